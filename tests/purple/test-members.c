/* Membership and mention scenarios: the built plugin in the headless test bed against the Graph
 * emulator. The "New group chat…" account action (3 members and a topic: the exact POST, the
 * conversation that opens), /invite and the client's Invite (history shared), /invite in an IM
 * (a new group chat with both people), /kick by e-mail (the membership id looked up), /members
 * with roles, /leave (for good: the conversation shows it left), mentions of a user and of
 * everyone, @everyone refused in a one-on-one chat, an unknown mention sent as plain text, and a
 * topic resolved from the 3rd page of chats.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define DAVE "dave@contoso.com"

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static FakeGraph *
new_tenant (void)
{
  return sc_tenant_new (ME, BOB, "Bob Jones", CAROL, "Carol Smith", DAVE, "Dave Brown", NULL);
}

static void
check_bound_member (JsonObject *m, FakeGraph *fg, const char *upn, const char *role)
{
  g_autofree char *bind = g_strdup_printf ("https://graph.microsoft.com/v1.0/users('%s')",
                                           fake_graph_user_id (fg, upn));
  JsonArray *roles = json_object_get_array_member (m, "roles");

  g_assert_cmpstr (json_object_get_string_member (m, "user@odata.bind"), ==, bind);
  if (role == NULL)
    g_assert_cmpuint (json_array_get_length (roles), ==, 0);
  else
    {
      g_assert_cmpuint (json_array_get_length (roles), ==, 1);
      g_assert_cmpstr (json_array_get_string_element (roles, 0), ==, role);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Creating                                                                                    */

static void
test_new_group_chat (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  PurpleRequestFields *fields;
  PurpleConversation *conv;
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;
  JsonArray *members;
  TbEvent *ev;
  const char *id;

  sc_group_chat (fg, "Existing", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 1);
  tb_events_mark ();
  g_assert_true (tb_account_action (acc, "New group chat…"));
  ev = tb_wait_event (TB_EV_REQUEST, "New Teams group chat");
  g_assert_cmpint (ev->code, ==, PURPLE_REQUEST_FIELDS);
  fields = tb_request_fields (ev);
  purple_request_field_string_set_value (purple_request_fields_get_field (fields, "members"),
                                         "bob@contoso.com, Carol@Contoso.com; dave@contoso.com");
  purple_request_field_string_set_value (purple_request_fields_get_field (fields, "topic"),
                                         "Launch plans");
  g_assert_true (tb_request_ok (ev, NULL));

  sc_wait_requests (fg, "POST", "/v1.0/chats", 1);
  body = gf_request_body (gf_last_request (fg, "POST", "/v1.0/chats"), &keep);
  g_assert_cmpstr (json_object_get_string_member (body, "chatType"), ==, "group");
  g_assert_cmpstr (json_object_get_string_member (body, "topic"), ==, "Launch plans");
  members = json_object_get_array_member (body, "members");
  g_assert_cmpuint (json_array_get_length (members), ==, 4);
  /* only the creator is an owner (the seed made everyone one) */
  check_bound_member (json_array_get_object_element (members, 0), fg, ME, "owner");
  check_bound_member (json_array_get_object_element (members, 1), fg, BOB, NULL);
  check_bound_member (json_array_get_object_element (members, 2), fg, CAROL, NULL);
  check_bound_member (json_array_get_object_element (members, 3), fg, DAVE, NULL);

  /* the new chat opens, titled and with its people */
  id = fake_graph_find_chat (fg, "Launch plans");
  g_assert_nonnull (id);
  conv = sc_wait_chat_conv (acc, id);
  g_assert_cmpstr (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), ==, "Launch plans");
  sc_wait_user (conv, DAVE, TRUE);
  g_assert_nonnull (purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), BOB));
  g_assert_nonnull (purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), CAROL));
}

static void
test_new_group_chat_unknown_member (void)
{
  FakeGraph *fg = new_tenant ();
  const char *existing = sc_group_chat (fg, "Existing", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleRequestFields *fields;
  TbEvent *ev;

  tb_events_mark ();
  g_assert_true (tb_account_action (acc, "New group chat…"));
  ev = tb_wait_event (TB_EV_REQUEST, "New Teams group chat");
  fields = tb_request_fields (ev);
  purple_request_field_string_set_value (purple_request_fields_get_field (fields, "members"),
                                         "bob@contoso.com nobody@contoso.com");
  g_assert_true (tb_request_ok (ev, NULL));
  ev = tb_wait_event (TB_EV_NOTIFY, "Could not create the group chat");
  g_assert_nonnull (strstr (ev->secondary, "nobody@contoso.com"));
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats"), ==, 0);
  g_assert_nonnull (existing);
}

static void
test_invite_in_im (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  PurpleConversation *im;
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;
  JsonArray *members;
  GPtrArray *log;
  FakeRequest *r;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  im = sc_im_conv (acc, BOB);
  tb_events_mark ();
  sc_run_command (im, "invite carol@contoso.com");
  sc_wait_requests (fg, "POST", "/v1.0/chats", 1);
  body = gf_request_body (gf_last_request (fg, "POST", "/v1.0/chats"), &keep);
  g_assert_cmpstr (json_object_get_string_member (body, "chatType"), ==, "group");
  g_assert_false (json_object_has_member (body, "topic"));
  members = json_object_get_array_member (body, "members");
  g_assert_cmpuint (json_array_get_length (members), ==, 3);
  check_bound_member (json_array_get_object_element (members, 0), fg, ME, "owner");
  check_bound_member (json_array_get_object_element (members, 1), fg, BOB, NULL);
  check_bound_member (json_array_get_object_element (members, 2), fg, CAROL, NULL);
  /* no member was POSTed to the one-on-one chat */
  log = fake_graph_requests (fg);
  for (guint i = 0; i < log->len; i++)
    {
      r = log->pdata[i];
      g_assert_false (g_str_equal (r->method, "POST") && g_str_has_suffix (r->path, "/members"));
    }
  tb_wait_event (TB_EV_CHAT_JOINED, NULL);
  tb_wait_event (TB_EV_WRITE, "Started a group chat");
}

static void
test_buddy_menu (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  PurpleBuddy *buddy;
  PurplePlugin *prpl;
  GList *menu;
  PurpleMenuAction *item;
  TbEvent *ev;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  buddy = purple_find_buddy (acc, BOB);
  g_assert_nonnull (buddy);
  prpl = purple_connection_get_prpl (purple_account_get_connection (acc));
  menu = PURPLE_PLUGIN_PROTOCOL_INFO (prpl)->blist_node_menu ((PurpleBlistNode *) buddy);
  g_assert_nonnull (menu);
  item = menu->data;
  g_assert_cmpstr (item->label, ==, "Start a group chat…");
  tb_events_mark ();
  ((void (*) (PurpleBlistNode *, gpointer)) item->callback) ((PurpleBlistNode *) buddy, item->data);
  g_list_free_full (menu, (GDestroyNotify) purple_menu_action_free);
  ev = tb_wait_event (TB_EV_REQUEST, "New Teams group chat");
  g_assert_cmpstr (purple_request_fields_get_string (tb_request_fields (ev), "members"), ==,
                   BOB ", ");
  purple_request_field_string_set_value (
    purple_request_fields_get_field (tb_request_fields (ev), "members"), BOB ", " DAVE);
  g_assert_true (tb_request_ok (ev, NULL));
  sc_wait_requests (fg, "POST", "/v1.0/chats", 1);
  tb_wait_event (TB_EV_CHAT_JOINED, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Adding, removing, listing, leaving                                                          */

static void
test_invite (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/members", id);
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;
  FakeRequest *r;

  tb_events_mark ();
  sc_run_command (conv, "invite @Dave@contoso.com");   /* typed as for a mention */
  sc_wait_requests (fg, "POST", path, 1);
  r = gf_last_request (fg, "POST", path);
  body = gf_request_body (r, &keep);
  check_bound_member (body, fg, DAVE, NULL);
  g_assert_cmpstr (json_object_get_string_member (body, "visibleHistoryStartDateTime"), ==,
                   "0001-01-01T00:00:00Z");
  tb_wait_event (TB_EV_WRITE, "Added Dave Brown (dave@contoso.com) to the chat.");
  /* the participant list follows (full chat-list refresh) */
  sc_wait_user (conv, DAVE, TRUE);

  /* an unknown user: told, nothing POSTed */
  tb_events_mark ();
  sc_run_command (conv, "invite nobody@contoso.com");
  tb_wait_event (TB_EV_WRITE, "Could not add nobody@contoso.com");
  g_assert_cmpuint (fake_graph_count (fg, "POST", path), ==, 1);
}

static void
test_client_invite (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/members", id);
  g_autoptr (JsonNode) keep = NULL;

  serv_chat_invite (purple_account_get_connection (acc),
                    purple_conv_chat_get_id (PURPLE_CONV_CHAT (conv)), "join us", DAVE);
  sc_wait_requests (fg, "POST", path, 1);
  check_bound_member (gf_request_body (gf_last_request (fg, "POST", path), &keep), fg, DAVE, NULL);
  sc_wait_user (conv, DAVE, TRUE);
}

static void
test_kick_by_email (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *members_path = g_strdup_printf ("/v1.0/chats/%s/members", id);
  FakeRequest *del;
  GPtrArray *log;
  guint get_at = 0, del_at = 0;

  fake_graph_clear_log (fg);
  tb_events_mark ();
  sc_run_command (conv, "kick CAROL@contoso.com off topic");   /* a reason, as IRC sends one */
  sc_wait_requests (fg, "DELETE", "/v1.0/chats/*/members/*", 1);
  del = gf_last_request (fg, "DELETE", "/v1.0/chats/*/members/*");
  g_assert_cmpuint (del->status, ==, 204);
  /* the membership id, looked up first — not Carol's user id */
  g_assert_true (g_str_has_prefix (del->path, members_path));
  g_assert_null (strstr (del->path, fake_graph_user_id (fg, CAROL)));
  log = fake_graph_requests (fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];

      if (g_str_equal (r->method, "GET") && g_str_equal (r->path, members_path) && get_at == 0)
        get_at = i + 1;
      if (r == del)
        del_at = i + 1;
    }
  g_assert_cmpuint (get_at, >, 0);
  g_assert_cmpuint (get_at, <, del_at);
  tb_wait_event (TB_EV_WRITE, "Removed Carol Smith (carol@contoso.com) from the chat.");
  sc_wait_user (conv, CAROL, FALSE);

  /* someone who is not in the chat */
  tb_events_mark ();
  sc_run_command (conv, "kick dave@contoso.com");
  tb_wait_event (TB_EV_WRITE, "dave@contoso.com is not a member of this chat");
  g_assert_cmpuint (fake_graph_count (fg, "DELETE", "*"), ==, 1);
}

static void
test_members_command (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/members", id);
  TbEvent *ev;

  /* Dave joins as a basic member (POSTed with no roles) */
  sc_run_command (conv, "invite dave@contoso.com");
  tb_wait_event (TB_EV_WRITE, "Added Dave Brown");
  tb_events_mark ();
  sc_run_command (conv, "members");
  ev = tb_wait_event (TB_EV_WRITE, "4 members:");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_nonnull (strstr (ev->text, "Bob Jones (bob@contoso.com) — owner"));
  g_assert_nonnull (strstr (ev->text, "Dave Brown (dave@contoso.com) — member"));
  g_assert_nonnull (strstr (ev->text, "<br>"));
  g_assert_cmpuint (fake_graph_count (fg, "GET", path), >=, 1);
}

static void
test_leave (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  FakeRequest *del;
  TbEvent *ev;

  tb_events_mark ();
  sc_run_command (conv, "leave");
  sc_wait_requests (fg, "DELETE", "/v1.0/chats/*/members/*", 1);
  del = gf_last_request (fg, "DELETE", "/v1.0/chats/*/members/*");
  g_assert_cmpuint (del->status, ==, 204);
  g_assert_null (strstr (del->path, fake_graph_user_id (fg, ME)));
  ev = tb_wait_event (TB_EV_WRITE, "You left this chat.");
  g_assert_cmpstr (ev->conv, ==, id);
  tb_wait_event (TB_EV_CHAT_LEFT, NULL);
  g_assert_true (purple_conv_chat_has_left (PURPLE_CONV_CHAT (conv)));
  /* the chat leaves the chat list at the next polls, without a second "left" line */
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "no longer a member"), ==, 0);
  g_assert_cmpuint (fake_graph_count (fg, "DELETE", "*"), ==, 1);
}

/* A chat of 31 people: the chat list names 25 of them (Graph's $expand=members cap), the
 * participants come from the whole member list, and follow a removal made elsewhere. */
static void
test_more_than_25_members (void)
{
  FakeGraph *fg = new_tenant ();
  const char *members[31];
  g_autoptr (GPtrArray) upns = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = NULL;
  PurpleAccount *acc;
  PurpleConversation *conv;
  PurpleConvChatBuddy *cb;
  const char *id;

  for (guint i = 0; i < 30; i++)
    {
      char *upn = g_strdup_printf ("user%02u@contoso.com", i);
      g_autofree char *name = g_strdup_printf ("User %02u", i);

      fake_graph_add_user (fg, upn, name);
      g_ptr_array_add (upns, upn);
      members[i] = upn;
    }
  members[30] = NULL;
  id = fake_graph_add_chat (fg, "group", "Big", members);
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_join_and_wait (acc, id);
  path = g_strdup_printf ("/v1.0/chats/%s/members", id);
  sc_wait_requests (fg, "GET", path, 1);
  for (guint i = 0; i < 30; i++)
    sc_wait_user (conv, members[i], TRUE);
  g_assert_cmpuint (g_list_length (purple_conv_chat_get_users (PURPLE_CONV_CHAT (conv))), ==, 31);
  cb = purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), "user29@contoso.com");
  g_assert_cmpstr (cb->alias, ==, "User 29");

  /* removed elsewhere: the member list is read again */
  g_assert_true (fake_graph_remove_member (fg, id, "user00@contoso.com", "user29@contoso.com"));
  sc_wait_user (conv, "user29@contoso.com", FALSE);
  g_assert_cmpuint (fake_graph_count (fg, "GET", path), >=, 2);
  g_assert_cmpuint (g_list_length (purple_conv_chat_get_users (PURPLE_CONV_CHAT (conv))), ==, 30);
}

/* ------------------------------------------------------------------------------------------ */
/* Mentions                                                                                    */

static void
test_mentions_in_chat (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/messages", id);
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body, *m0, *m1;
  JsonArray *mentions;

  tb_events_mark ();
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "hi @bob@contoso.com and @everyone!");
  sc_wait_requests (fg, "POST", path, 1);
  body = gf_request_body (gf_last_request (fg, "POST", path), &keep);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "contentType"), ==, "html");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "content"), ==,
                   "hi <at id=\"0\">Bob Jones</at> and <at id=\"1\">Everyone</at>!");
  mentions = json_object_get_array_member (body, "mentions");
  g_assert_cmpuint (json_array_get_length (mentions), ==, 2);
  m0 = json_array_get_object_element (mentions, 0);
  m1 = json_array_get_object_element (mentions, 1);
  g_assert_cmpint (json_object_get_int_member (m0, "id"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (m0, "mentionText"), ==, "Bob Jones");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_object_get_object_member (m0, "mentioned"), "user"), "id"), ==,
                   fake_graph_user_id (fg, BOB));
  g_assert_cmpint (json_object_get_int_member (m1, "id"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_object_get_object_member (m1, "mentioned"), "conversation"), "id"), ==, id);
  /* shown once, with the mention as Teams renders it */
  tb_wait_event (TB_EV_WRITE, "Bob Jones");
}

/* Incoming: a mention of me, and of everyone, highlight the line; one of someone else does not. */
static void
test_incoming_mentions_highlight (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *me[] = { ME, NULL };
  const char *everyone[] = { "everyone", NULL };
  const char *carol[] = { CAROL, NULL };
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  TbEvent *ev;

  sc_join_and_wait (acc, id);
  tb_events_mark ();
  fake_graph_inject_mention_message (fg, id, BOB, "<at id=\"0\">Alice</at> first", me);
  fake_graph_inject_mention_message (fg, id, BOB, "<at id=\"0\">Everyone</at> second", everyone);
  fake_graph_inject_mention_message (fg, id, BOB, "<at id=\"0\">Carol</at> third", carol);
  ev = tb_wait_event (TB_EV_WRITE, "first");
  g_assert_true (ev->flags & PURPLE_MESSAGE_NICK);
  ev = tb_wait_event (TB_EV_WRITE, "second");
  g_assert_true (ev->flags & PURPLE_MESSAGE_NICK);
  ev = tb_wait_event (TB_EV_WRITE, "third");
  g_assert_false (ev->flags & PURPLE_MESSAGE_NICK);
}

static void
test_everyone_refused_in_im (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  TbEvent *ev;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  tb_events_mark ();
  sc_send_im (acc, BOB, "@everyone look");
  ev = tb_wait_event (TB_EV_WRITE, "@everyone works only in group chats");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  g_assert_nonnull (strstr (ev->text, "was not sent"));
  g_assert_nonnull (strstr (ev->text, "@everyone look"));

  /* with someone who has no chat yet: not even the chat is created */
  tb_events_mark ();
  sc_send_im (acc, DAVE, "hi <b>@Everyone</b>");
  tb_wait_event (TB_EV_WRITE, "@everyone works only in group chats");
  /* and a message after it goes as usual, so nothing was queued before it */
  sc_send_im (acc, BOB, "fine");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats"), ==, 0);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats/*/messages"), ==, 1);
}

/* @<user id> as bitlbee sends it (raw) and as Pidgin does (escaped), in a one-on-one chat. */
static void
test_mention_by_id_in_im (void)
{
  FakeGraph *fg = new_tenant ();
  const char *bob_id = fake_graph_user_id (fg, BOB);
  g_autofree char *raw = g_strdup_printf ("ok <%s>? not a mention; @<%s> is", bob_id, bob_id);
  g_autofree char *escaped = g_strdup_printf ("and @&lt;%s&gt;", bob_id);
  PurpleAccount *acc;
  g_autoptr (JsonNode) keep = NULL;
  g_autoptr (JsonNode) keep2 = NULL;
  JsonObject *body;
  JsonArray *mentions;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  sc_send_im (acc, BOB, raw);
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  body = gf_request_body (gf_last_request (fg, "POST", "/v1.0/chats/*/messages"), &keep);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "contentType"), ==, "html");
  g_assert_nonnull (strstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                           "content"),
                            "not a mention; <at id=\"0\">Bob Jones</at> is"));
  mentions = json_object_get_array_member (body, "mentions");
  g_assert_cmpuint (json_array_get_length (mentions), ==, 1);

  sc_send_im (acc, BOB, escaped);
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 2);
  body = gf_request_body (gf_last_request (fg, "POST", "/v1.0/chats/*/messages"), &keep2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "content"), ==, "and <at id=\"0\">Bob Jones</at>");
}

static void
test_unknown_mention_in_im (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;
  TbEvent *ev;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  tb_events_mark ();
  sc_send_im (acc, BOB, "ask @nobody@contoso.com");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  body = gf_request_body (gf_last_request (fg, "POST", "/v1.0/chats/*/messages"), &keep);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "content"), ==, "ask @nobody@contoso.com");
  g_assert_false (json_object_has_member (body, "mentions"));
  ev = tb_wait_event (TB_EV_WRITE, "Not mentioned");
  g_assert_nonnull (strstr (ev->text, "nobody@contoso.com"));
  g_assert_nonnull (strstr (ev->text, "sent as plain text"));
}

/* ------------------------------------------------------------------------------------------ */
/* References                                                                                  */

/* The chat list requests of the resolver (tg_chats_list_my_joined: every page of 50). */
static guint
count_chat_list_pages (FakeGraph *fg)
{
  return sc_count_with_query (fg, "GET", SC_CHAT_LIST, "$expand=members", "$top=50", NULL);
}

static void
test_topic_from_third_page (void)
{
  FakeGraph *fg = new_tenant ();
  const char *members[] = { BOB, NULL };
  PurpleAccount *acc;
  GHashTable *components;
  PurpleConversation *conv;
  const char *needle;

  sc_group_chat (fg, "Existing", BOB, CAROL, NULL);
  /* no poll during the test (one per hour × the test scale: 36 s): the sync engine knows only
   * "Existing", so the topic must be found by listing every chat */
  acc = sc_connect_and_sync (fg, 3600);
  needle = fake_graph_add_chat (fg, "group", "Needle", members);   /* the oldest: listed last */
  for (guint i = 0; i < 110; i++)
    {
      g_autofree char *topic = g_strdup_printf ("Filler %u", i);

      fake_graph_add_chat (fg, "group", topic, members);
    }
  fake_graph_clear_log (fg);
  components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (components, g_strdup ("topic"), g_strdup ("needle"));
  serv_join_chat (purple_account_get_connection (acc), components);
  g_hash_table_destroy (components);
  conv = sc_wait_chat_conv (acc, "needle");
  g_assert_cmpstr (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), ==, "Needle");
  g_assert_cmpstr (purple_conversation_get_title (conv), ==, "Needle");
  /* 112 chats: pages of 50, 50 and 12 (the sync engine may list them once more meanwhile; the
   * exact count is checked in tests/unit/test-refs.c) */
  g_assert_cmpuint (count_chat_list_pages (fg), >=, 3);
  g_assert_nonnull (needle);
}

static void
test_ambiguous_topic_listed (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  GHashTable *components;
  const char *a, *b;
  g_autofree char *all = NULL;
  TbEvent *ev;

  sc_group_chat (fg, "Existing", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 3600);
  a = sc_group_chat (fg, "Retro", BOB, CAROL, NULL);
  b = sc_group_chat (fg, "retro", BOB, CAROL, NULL);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (components, g_strdup ("topic"), g_strdup ("RETRO"));
  serv_join_chat (purple_account_get_connection (acc), components);
  g_hash_table_destroy (components);
  ev = tb_wait_event (TB_EV_NOTIFY, "2 Teams chats have the topic \"RETRO\"");
  all = g_strconcat (ev->primary, "\n", ev->secondary, NULL);
  g_assert_nonnull (strstr (all, a));
  g_assert_nonnull (strstr (all, b));
  g_assert_nonnull (strstr (all, "\"Retro\""));
  g_assert_nonnull (strstr (all, "\"retro\""));
  g_assert_null (tb_events_find (TB_EV_CHAT_JOINED, NULL));
  g_assert_cmpuint (count_chat_list_pages (fg), >=, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/members/new-group-chat", test_new_group_chat);
  tb_add ("/members/new-group-chat-unknown-member", test_new_group_chat_unknown_member);
  tb_add ("/members/invite-in-im", test_invite_in_im);
  tb_add ("/members/buddy-menu", test_buddy_menu);
  tb_add ("/members/invite", test_invite);
  tb_add ("/members/client-invite", test_client_invite);
  tb_add ("/members/kick-by-email", test_kick_by_email);
  tb_add ("/members/members-command", test_members_command);
  tb_add ("/members/leave", test_leave);
  tb_add ("/members/more-than-25", test_more_than_25_members);
  tb_add ("/members/mentions-in-chat", test_mentions_in_chat);
  tb_add ("/members/incoming-mentions-highlight", test_incoming_mentions_highlight);
  tb_add ("/members/everyone-refused-in-im", test_everyone_refused_in_im);
  tb_add ("/members/mention-by-id-in-im", test_mention_by_id_in_im);
  tb_add ("/members/unknown-mention-in-im", test_unknown_mention_in_im);
  tb_add ("/members/topic-from-third-page", test_topic_from_third_page);
  tb_add ("/members/ambiguous-topic-listed", test_ambiguous_topic_listed);
  return tb_run ();
}
