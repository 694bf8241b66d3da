/* Group chat scenarios: the built plugin in the headless test bed against the Graph emulator.
 * Joining (by id, by a unique topic, an ambiguous or unknown topic), participants (UPN names,
 * display-name aliases), sending (POST, echoed once), receiving (once, sender, server time),
 * renames and membership changes made elsewhere, /topic, /history (system messages included,
 * paging), closing a window without leaving, and the room list. */
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

static gboolean
cond_topic (gpointer data)
{
  void **w = data;

  return g_strcmp0 (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (w[0])), w[1]) == 0;
}

static void
wait_topic (PurpleConversation *conv, const char *topic)
{
  void *w[2] = { conv, (void *) topic };

  tb_wait (cond_topic, w, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Joining                                                                                     */

static void
test_join_by_id (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv;
  PurpleConvChatBuddy *cb;

  conv = sc_join_and_wait (acc, id);
  g_assert_cmpstr (purple_conversation_get_name (conv), ==, id);
  g_assert_cmpstr (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), ==, "Plans");
  g_assert_cmpstr (purple_conversation_get_title (conv), ==, "Plans");
  g_assert_nonnull (tb_events_find (TB_EV_CHAT_TOPIC, "Plans"));
  /* Participants by lower-case UPN, aliased to display names; me among them. */
  g_assert_cmpuint (g_list_length (purple_conv_chat_get_users (PURPLE_CONV_CHAT (conv))), ==, 3);
  cb = purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), BOB);
  g_assert_nonnull (cb);
  g_assert_cmpstr (cb->alias, ==, "Bob Jones");
  cb = purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), CAROL);
  g_assert_nonnull (cb);
  g_assert_cmpstr (cb->alias, ==, "Carol Smith");
  g_assert_true (sc_has_user (conv, ME));
  g_assert_cmpstr (purple_conv_chat_get_nick (PURPLE_CONV_CHAT (conv)), ==, ME);
  g_assert_nonnull (tb_events_find (TB_EV_CHAT_USERS_ADDED, BOB));
}

static void
test_join_by_unknown_id (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  TbEvent *ev;

  sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 1);
  sc_join (acc, "19:nothing-here@thread.v2", NULL);
  ev = tb_wait_event (TB_EV_NOTIFY, "19:nothing-here@thread.v2");
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_MSG_ERROR);
  g_assert_null (tb_events_find (TB_EV_CHAT_JOINED, NULL));
}

static void
test_join_by_topic (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;

  sc_group_chat (fg, "Other plans", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 1);
  sc_join (acc, NULL, "Plans");
  /* Named as joined (get_chat_name of the components: bitlbee finds its channel by it). */
  conv = sc_wait_chat_conv (acc, "Plans");
  g_assert_cmpstr (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), ==, "Plans");
  g_assert_true (sc_has_user (conv, BOB));
  /* It is that chat: a line said there goes to it, a line from it comes here. */
  {
    g_autofree char *path = g_strconcat ("/v1.0/chats/", id, "/messages", NULL);

    purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "by topic");
    sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
    g_assert_cmpstr (sc_last_request (fg, "POST", "/v1.0/chats/*/messages")->path, ==, path);
    g_assert_cmpstr (sc_wait_write ("by topic")->conv, ==, "Plans");
    fake_graph_inject_message (fg, id, BOB, "answer by topic");
    g_assert_cmpstr (sc_wait_write ("answer by topic")->conv, ==, "Plans");
    g_assert_null (sc_chat_conv (acc, id));
  }
  /* chat_info_defaults: what a client types in its join box (bitlbee's `chat add`). */
  {
    PurplePluginProtocolInfo *prpl =
      PURPLE_PLUGIN_PROTOCOL_INFO (purple_find_prpl (TB_PLUGIN_ID));
    GHashTable *d1 = prpl->chat_info_defaults (NULL, id);
    GHashTable *d2 = prpl->chat_info_defaults (NULL, "Plans");
    GList *info = prpl->chat_info (NULL);

    g_assert_cmpstr (g_hash_table_lookup (d1, "id"), ==, id);
    g_assert_null (g_hash_table_lookup (d1, "topic"));
    g_assert_cmpstr (g_hash_table_lookup (d2, "topic"), ==, "Plans");
    g_assert_null (g_hash_table_lookup (d2, "id"));
    g_assert_cmpuint (g_list_length (info), ==, 2);
    g_hash_table_destroy (d1);
    g_hash_table_destroy (d2);
    g_list_free_full (info, g_free);
  }
}

/* A topic only the server knows yet (created after the engine's chat list): asked for. */
static void
test_join_by_new_topic (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  const char *id;

  sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 1);
  id = sc_group_chat (fg, "Brand new", BOB, CAROL, NULL);
  sc_join (acc, NULL, "Brand new");
  g_assert_nonnull (sc_wait_chat_conv (acc, "Brand new"));
  g_assert_null (sc_chat_conv (acc, id));
}

static void
test_join_ambiguous_topic (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id1 = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *id2 = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  TbEvent *ev;
  g_autofree char *all = NULL;

  sc_group_chat (fg, "Other", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 1);
  sc_join (acc, NULL, "Plans");
  ev = tb_wait_event (TB_EV_NOTIFY, "Plans");
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_MSG_ERROR);
  all = g_strconcat (ev->primary, "\n", ev->secondary, NULL);
  g_assert_nonnull (strstr (all, id1));
  g_assert_nonnull (strstr (all, id2));
  g_assert_nonnull (strstr (all, "\"Plans\""));
  g_assert_nonnull (strstr (all, "2 Teams chats"));
  g_assert_null (tb_events_find (TB_EV_CHAT_JOINED, NULL));

  /* No chat at all with a topic. */
  tb_events_mark ();
  sc_join (acc, NULL, "Nothing like it");
  ev = tb_wait_event (TB_EV_NOTIFY, "No Teams chat has the topic \"Nothing like it\"");
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_MSG_ERROR);
  g_assert_null (tb_events_find (TB_EV_CHAT_JOINED, NULL));
}

/* ------------------------------------------------------------------------------------------ */
/* Messages                                                                                    */

static void
test_send (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *path = g_strconcat ("/v1.0/chats/", id, "/messages", NULL);
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body, *content;
  FakeRequest *r;
  TbEvent *ev;

  tb_events_mark ();
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "Hello <b>team</b> &amp; co");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  r = sc_last_request (fg, "POST", "/v1.0/chats/*/messages");
  g_assert_cmpstr (r->path, ==, path);
  body = gf_request_body (r, &keep);
  content = json_object_get_object_member (body, "body");
  g_assert_cmpstr (json_object_get_string_member (content, "contentType"), ==, "html");
  g_assert_nonnull (strstr (json_object_get_string_member (content, "content"), "<b>team</b>"));
  g_assert_nonnull (strstr (json_object_get_string_member (content, "content"), "&amp; co"));

  ev = sc_wait_write ("team");
  g_assert_cmpstr (ev->conv, ==, id);
  g_assert_true (ev->flags & PURPLE_MESSAGE_SEND);
  g_assert_cmpstr (ev->who, ==, ME);
  /* Not again after the next polls. */
  sc_wait_polls (fg, 3);
  tb_run_for (50);
  g_assert_cmpuint (sc_count_writes ("team"), ==, 1);

  /* Plain text goes as text. */
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "just words");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 2);
  r = sc_last_request (fg, "POST", "/v1.0/chats/*/messages");
  g_clear_pointer (&keep, json_node_unref);
  body = gf_request_body (r, &keep);
  content = json_object_get_object_member (body, "body");
  g_assert_cmpstr (json_object_get_string_member (content, "contentType"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (content, "content"), ==, "just words");
  sc_wait_write ("just words");
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (sc_count_writes ("just words"), ==, 1);
}

static void
test_send_error (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  TbEvent *ev;

  fake_graph_add_fault (fg, "POST", "/v1.0/chats/*/messages", FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  tb_events_mark ();
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "forbidden words");
  ev = sc_wait_write ("Message not sent");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  g_assert_nonnull (strstr (ev->text, "forbidden words"));
}

static void
test_receive (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  const char *mid;
  TbEvent *ev;

  sc_join_and_wait (acc, id);
  tb_events_mark ();
  mid = fake_graph_inject_message (fg, id, BOB, "<p>Hi <i>all</i></p>");
  ev = sc_wait_write ("Hi <i>all</i>");
  g_assert_cmpstr (ev->conv, ==, id);
  g_assert_cmpstr (ev->who, ==, BOB);
  g_assert_cmpstr (ev->alias, ==, "Bob Jones");
  g_assert_true (ev->flags & PURPLE_MESSAGE_RECV);
  g_assert_cmpint (ev->mtime, ==, sc_server_time (fg, id, mid, "createdDateTime"));
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes ("Hi <i>all</i>"), ==, 1);
}

/* A message for a chat whose window is not open opens it: nothing is lost. */
static void
test_receive_opens (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv;
  TbEvent *ev;

  g_assert_null (sc_chat_conv (acc, id));
  fake_graph_inject_message (fg, id, CAROL, "Anyone there?");
  ev = sc_wait_write ("Anyone there?");
  g_assert_cmpstr (ev->who, ==, CAROL);
  conv = sc_chat_conv (acc, id);
  g_assert_nonnull (conv);
  g_assert_cmpstr (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), ==, "Plans");
  g_assert_true (sc_has_user (conv, CAROL));
}

/* ------------------------------------------------------------------------------------------ */
/* Changes made elsewhere                                                                      */

static void
test_rename_elsewhere (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  TbEvent *ev;

  tb_events_mark ();
  g_assert_true (fake_graph_rename_chat (fg, id, BOB, "Better plans"));
  wait_topic (conv, "Better plans");
  g_assert_nonnull (tb_events_find (TB_EV_CHAT_TOPIC, "Better plans"));
  ev = sc_wait_write ("Better plans");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_nonnull (strstr (ev->text, "Bob"));
  g_assert_cmpstr (purple_conversation_get_title (conv), ==, "Better plans");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "Better plans"), ==, 1);
}

static void
test_members_elsewhere (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  TbEvent *ev;

  tb_events_mark ();
  g_assert_true (fake_graph_add_member (fg, id, BOB, DAVE));
  sc_wait_user (conv, DAVE, TRUE);
  g_assert_cmpstr (purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), DAVE)->alias, ==,
                   "Dave Brown");
  ev = sc_wait_write ("Dave");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_nonnull (strstr (ev->text, "added"));

  tb_events_mark ();
  g_assert_true (fake_graph_remove_member (fg, id, BOB, CAROL));
  sc_wait_user (conv, CAROL, FALSE);
  g_assert_true (sc_has_user (conv, DAVE));
  g_assert_true (sc_has_user (conv, BOB));
  ev = sc_wait_write ("removed");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_nonnull (strstr (ev->text, "Carol"));
}

/* ------------------------------------------------------------------------------------------ */
/* Commands                                                                                    */

static void
test_topic_command (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  g_autofree char *path = g_strconcat ("/v1.0/chats/", id, NULL);
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;
  FakeRequest *r;

  tb_events_mark ();
  sc_run_command (conv, "topic");
  g_assert_nonnull (sc_wait_write ("Topic: Plans"));
  g_assert_cmpuint (fake_graph_count (fg, "PATCH", "*"), ==, 0);

  sc_run_command (conv, "topic Summer party");
  sc_wait_requests (fg, "PATCH", "/v1.0/chats/*", 1);
  r = sc_last_request (fg, "PATCH", "/v1.0/chats/*");
  g_assert_cmpstr (r->path, ==, path);
  body = gf_request_body (r, &keep);
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (body, "topic"), ==, "Summer party");
  wait_topic (conv, "Summer party");

  /* Graph refuses ':' — the error reaches the conversation. */
  tb_events_mark ();
  sc_run_command (conv, "topic a: b");
  g_assert_true (sc_wait_write ("Could not set the topic")->flags & PURPLE_MESSAGE_ERROR);
  g_assert_cmpstr (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), ==, "Summer party");

  /* The client's own topic setting (IRC TOPIC in bitlbee) goes the same way. */
  {
    PurplePluginProtocolInfo *prpl =
      PURPLE_PLUGIN_PROTOCOL_INFO (purple_find_prpl (TB_PLUGIN_ID));

    prpl->set_chat_topic (purple_account_get_connection (acc),
                          purple_conv_chat_get_id (PURPLE_CONV_CHAT (conv)), "Via client");
    sc_wait_requests (fg, "PATCH", "/v1.0/chats/*", 3);
    wait_topic (conv, "Via client");
  }

  /* bitlbee hands a command typed in the channel to chat_send: it runs, nothing is posted;
   * "//topic" is text. */
  tb_events_mark ();
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "/topic");
  g_assert_nonnull (sc_wait_write ("Topic: Via client"));
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), "//topic is text");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  g_assert_cmpuint (fake_graph_count (fg, "PATCH", "*"), ==, 3);
}

static void
test_history (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;
  char text[32];
  GPtrArray *events;
  guint first = 0, n = 0;
  const char *expect[] = { "old 6", "old 7", "renamed", "old 8", "old 9" };
  const char *senders[] = { CAROL, BOB, NULL, CAROL, BOB };

  for (int i = 0; i < 10; i++)
    {
      g_snprintf (text, sizeof text, "old %d", i);
      fake_graph_inject_message (fg, id, i % 2 ? BOB : CAROL, text);
      if (i == 7)
        fake_graph_rename_chat (fg, id, BOB, "Plans v2");
    }
  fake_graph_mark_read (fg, id);
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_join_and_wait (acc, id);
  tb_run_for (50);

  tb_events_mark ();
  sc_run_command (conv, "history 5");
  sc_wait_write ("End of history");
  events = tb_events ();
  /* The 5 lines after "Last 5 messages", in order, each marked as history. */
  for (guint i = 0; i < events->len; i++)
    {
      TbEvent *ev = events->pdata[i];

      if (ev->type == TB_EV_WRITE && ev->text != NULL && strstr (ev->text, "Last 5 messages"))
        first = i + 1;
    }
  g_assert_cmpuint (first, >, 0);
  for (guint i = first; i < events->len && n < G_N_ELEMENTS (expect); i++)
    {
      TbEvent *ev = events->pdata[i];

      if (ev->type != TB_EV_WRITE)
        continue;
      g_assert_nonnull (strstr (ev->text, expect[n]));
      g_assert_true (ev->flags & PURPLE_MESSAGE_DELAYED);
      g_assert_true (ev->flags & PURPLE_MESSAGE_NO_LOG);
      if (n == 2)
        g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
      else
        g_assert_cmpstr (ev->who, ==, senders[n]);
      n++;
    }
  g_assert_cmpuint (n, ==, 5);
  g_assert_nonnull (strstr (((TbEvent *) events->pdata[first + 5])->text, "End of history"));
}

static void
test_history_paging (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;
  char text[32];

  for (int i = 0; i < 70; i++)
    {
      g_snprintf (text, sizeof text, "msg %02d.", i);
      fake_graph_inject_message (fg, id, BOB, text);
    }
  fake_graph_mark_read (fg, id);
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_join_and_wait (acc, id);
  tb_run_for (50);

  fake_graph_clear_log (fg);
  tb_events_mark ();
  sc_run_command (conv, "history 60");
  sc_wait_write ("End of history");
  /* two history pages (newest first) */
  g_assert_cmpuint (sc_count_with_query (fg, "GET", "*/messages", "createdDateTime desc", NULL),
                    ==, 2);
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "Last 60 messages"));
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "msg "), ==, 60);
  g_assert_null (tb_events_find (TB_EV_WRITE, "msg 09."));
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "msg 10."));
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "msg 69."));
  /* Oldest first. */
  g_assert_cmpuint (tb_events_find (TB_EV_WRITE, "msg 10.")->index, <,
                    tb_events_find (TB_EV_WRITE, "msg 69.")->index);

  /* Default: 20. */
  tb_events_mark ();
  sc_run_command (conv, "history");
  sc_wait_write ("End of history");
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "Last 20 messages"));
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "msg "), ==, 20);
}


/* Own messages sent from another Teams client: shown once, as sent by me, flagged so that
 * bitlbee shows them (REMOTE_SEND). */
static void
test_own_from_elsewhere (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  TbEvent *ev;

  sc_join_and_wait (acc, id);
  fake_graph_inject_message (fg, id, BOB, "are you there?");
  sc_wait_write ("are you there?");
  tb_events_mark ();
  fake_graph_inject_message (fg, id, ME, "typed on my phone");
  ev = sc_wait_write ("typed on my phone");
  g_assert_cmpstr (ev->who, ==, ME);
  g_assert_true (ev->flags & PURPLE_MESSAGE_SEND);
  g_assert_true (ev->flags & PURPLE_MESSAGE_REMOTE_SEND);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes ("typed on my phone"), ==, 1);
}

/* Removed from the chat elsewhere: the open conversation says so and is left. */
static void
test_removed_elsewhere (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  TbEvent *ev;

  tb_events_mark ();
  g_assert_true (fake_graph_remove_member (fg, id, BOB, ME));
  ev = sc_wait_write ("no longer a member");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_cmpstr (ev->conv, ==, id);
  g_assert_true (purple_conv_chat_has_left (PURPLE_CONV_CHAT (conv)));
}

/* /history in an IM: the one-on-one chat's last messages. */
static void
test_history_im (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_one_on_one (fg, BOB, "Bob Jones");
  PurpleAccount *acc;
  PurpleConversation *conv;
  char text[32];

  for (int i = 0; i < 4; i++)
    {
      g_snprintf (text, sizeof text, "im line %d.", i);
      fake_graph_inject_message (fg, id, i == 2 ? ME : BOB, text);
    }
  fake_graph_mark_read (fg, id);
  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 2);
  conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, BOB);
  tb_events_mark ();
  sc_run_command (conv, "history 3");
  sc_wait_write ("End of history");
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "im line "), ==, 3);
  g_assert_null (tb_events_find (TB_EV_WRITE, "im line 0."));
  g_assert_cmpstr (tb_events_find (TB_EV_WRITE, "im line 1.")->who, ==, BOB);
  g_assert_true (tb_events_find (TB_EV_WRITE, "im line 2.")->flags & PURPLE_MESSAGE_SEND);
  g_assert_true (tb_events_find (TB_EV_WRITE, "im line 3.")->flags & PURPLE_MESSAGE_DELAYED);
  g_assert_cmpuint (tb_events_find (TB_EV_WRITE, "im line 1.")->index, <,
                    tb_events_find (TB_EV_WRITE, "im line 3.")->index);
}

/* ------------------------------------------------------------------------------------------ */
/* Closing and the room list                                                                   */

static void
test_close_does_not_leave (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);

  purple_conversation_destroy (conv);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (fake_graph_count (fg, "DELETE", "*"), ==, 0);
  g_assert_null (sc_chat_conv (acc, id));
  /* Still a member: a new message opens the chat again. */
  fake_graph_inject_message (fg, id, BOB, "Still here?");
  sc_wait_write ("Still here?");
  g_assert_nonnull (sc_chat_conv (acc, id));
}

static void
test_roomlist (void)
{
  FakeGraph *fg = new_tenant ();
  const char *id1 = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *id2 = sc_group_chat (fg, "Party", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleRoomlist *list;
  guint found = 0;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  list = purple_roomlist_get_list (purple_account_get_connection (acc));
  g_assert_nonnull (list);
  g_assert_false (purple_roomlist_get_in_progress (list));
  g_assert_cmpuint (g_list_length (purple_roomlist_get_fields (list)), ==, 3);
  for (GList *l = list->rooms; l != NULL; l = l->next)
    {
      PurpleRoomlistRoom *room = l->data;
      const char *rid = g_list_nth_data (room->fields, 0);
      const char *topic = g_list_nth_data (room->fields, 1);

      g_assert_cmpstr (g_list_nth_data (room->fields, 2), ==, "3");
      if (g_strcmp0 (rid, id1) == 0)
        {
          g_assert_cmpstr (topic, ==, "Plans");
          found++;
        }
      else if (g_strcmp0 (rid, id2) == 0)
        {
          g_assert_cmpstr (topic, ==, "Party");
          found++;
        }
    }
  g_assert_cmpuint (found, ==, 2);
  g_assert_cmpuint (g_list_length (list->rooms), ==, 2);
  /* Joining a room hands its fields over as components. */
  purple_roomlist_room_join (list, list->rooms->data);
  g_assert_nonnull (sc_wait_chat_conv (
    acc, g_list_nth_data (((PurpleRoomlistRoom *) list->rooms->data)->fields, 0)));
  purple_roomlist_unref (list);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/groupchat/join/by-id", test_join_by_id);
  tb_add ("/groupchat/join/unknown-id", test_join_by_unknown_id);
  tb_add ("/groupchat/join/by-topic", test_join_by_topic);
  tb_add ("/groupchat/join/by-new-topic", test_join_by_new_topic);
  tb_add ("/groupchat/join/ambiguous-topic", test_join_ambiguous_topic);
  tb_add ("/groupchat/send", test_send);
  tb_add ("/groupchat/send-error", test_send_error);
  tb_add ("/groupchat/receive", test_receive);
  tb_add ("/groupchat/receive-opens", test_receive_opens);
  tb_add ("/groupchat/rename-elsewhere", test_rename_elsewhere);
  tb_add ("/groupchat/members-elsewhere", test_members_elsewhere);
  tb_add ("/groupchat/topic-command", test_topic_command);
  tb_add ("/groupchat/history", test_history);
  tb_add ("/groupchat/history-paging", test_history_paging);
  tb_add ("/groupchat/own-from-elsewhere", test_own_from_elsewhere);
  tb_add ("/groupchat/removed-elsewhere", test_removed_elsewhere);
  tb_add ("/groupchat/history-im", test_history_im);
  tb_add ("/groupchat/close-does-not-leave", test_close_does_not_leave);
  tb_add ("/groupchat/roomlist", test_roomlist);
  return tb_run ();
}
