/* Unit tests for tg-chats against the Graph emulator in-process: list_my_joined (all pages,
 * type filter, members), get_chat, create_one_on_one (never some arbitrary chat for one's own
 * address), list_messages (pages, display order, system events), get_message, send_message.
 * Waiting = iterating the main context until the operation completes (20 s hang guard).
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "fake-graph/fake-graph.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"

typedef GfFixture Fx;
#define BOB_ID(fx) fake_graph_user_id ((fx)->fg, BOB)

/* Me, Bob and Carol, signed in as me. */
static Fx *
fx_new (void)
{
  return gf_fixture_add_users (gf_fixture_new (ME), BOB, "Bob", CAROL, "Carol", NULL);
}

/* ---- list_my_joined ---- */

static GPtrArray *
list_joined (Fx *fx, TgChatType filter, GError **error)
{
  GfWait w = { 0 };
  GPtrArray *chats;

  tg_chats_list_my_joined_async (fx->graph, filter, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  chats = tg_chats_list_my_joined_finish (fx->graph, w.result, error);
  gf_wait_clear (&w);
  return chats;
}

static void
test_list_joined (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) all = NULL, groups = NULL, ones = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;
  guint n_one = 0;

  for (guint i = 0; i < 120; i++)
    {
      const char *members[] = { i % 3 == 0 ? BOB : CAROL, NULL };
      g_autofree char *topic = g_strdup_printf ("room %u", i);

      fake_graph_add_chat (fx->fg, i % 10 == 0 ? "oneOnOne" : "group", i % 10 == 0 ? NULL : topic,
                           members);
    }
  all = list_joined (fx, TG_CHAT_TYPE_UNKNOWN, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 120);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats"), ==, 3);
  for (guint i = 0; i < all->len; i++)
    {
      TgChat *chat = g_ptr_array_index (all, i);

      g_assert_true (g_hash_table_add (ids, chat->id));
      g_assert_true (chat->members_known);
      g_assert_cmpuint (chat->members->len, ==, 2);
      g_assert_nonnull (tg_chat_find_member (chat, fx->me_id));
      n_one += chat->type == TG_CHAT_TYPE_ONE_ON_ONE;
    }
  g_assert_cmpuint (n_one, ==, 12);
  groups = list_joined (fx, TG_CHAT_TYPE_GROUP, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 108);
  for (guint i = 0; i < groups->len; i++)
    g_assert_cmpint (((TgChat *) groups->pdata[i])->type, ==, TG_CHAT_TYPE_GROUP);
  ones = list_joined (fx, TG_CHAT_TYPE_ONE_ON_ONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ones->len, ==, 12);
  gf_fixture_free (fx);
}

static void
test_list_joined_error (void)
{
  Fx *fx = fx_new ();
  GError *error = NULL;
  GPtrArray *chats;

  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me/chats", FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  chats = list_joined (fx, TG_CHAT_TYPE_UNKNOWN, &error);
  g_assert_null (chats);
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

/* ---- get_chat ---- */

static void
test_get_chat (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, CAROL, NULL };
  const char *id = fake_graph_add_chat (fx->fg, "group", "Plans", members);
  GfWait w = { 0 };
  GError *error = NULL;
  g_autoptr (TgChat) chat = NULL;
  TgChat *missing;

  tg_chats_get_chat_async (fx->graph, id, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  chat = tg_chats_get_chat_finish (fx->graph, w.result, &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpstr (chat->id, ==, id);
  g_assert_cmpstr (chat->topic, ==, "Plans");
  g_assert_cmpint (chat->type, ==, TG_CHAT_TYPE_GROUP);
  g_assert_cmpuint (chat->members->len, ==, 3);
  g_assert_nonnull (tg_chat_find_member (chat, BOB));
  g_assert_nonnull (tg_chat_find_member (chat, BOB_ID (fx)));

  tg_chats_get_chat_async (fx->graph, "19:nope@thread.v2", NULL, gf_wait_cb, &w);
  gf_wait (&w);
  missing = tg_chats_get_chat_finish (fx->graph, w.result, &error);
  gf_wait_clear (&w);
  g_assert_null (missing);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* no request for an empty id */
  fake_graph_clear_log (fx->fg);
  tg_chats_get_chat_async (fx->graph, "", NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_null (tg_chats_get_chat_finish (fx->graph, w.result, &error));
  gf_wait_clear (&w);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (fx->fg, NULL, "*"), ==, 0);
  gf_fixture_free (fx);
}

/* ---- create_one_on_one ---- */

static TgChat *
create_one_on_one (Fx *fx, const char *me_id, const char *recipient, GError **error)
{
  GfWait w = { 0 };
  TgChat *chat;

  tg_chats_create_one_on_one_async (fx->graph, me_id, recipient, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  chat = tg_chats_create_one_on_one_finish (fx->graph, w.result, error);
  gf_wait_clear (&w);
  return chat;
}

static void
test_create_one_on_one (void)
{
  Fx *fx = fx_new ();
  GError *error = NULL;
  g_autoptr (TgChat) a = NULL, b = NULL, c = NULL;
  g_autofree char *body = NULL;
  GPtrArray *log;

  a = create_one_on_one (fx, fx->me_id, BOB, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->type, ==, TG_CHAT_TYPE_ONE_ON_ONE);
  /* the POST named both users as owners */
  log = fake_graph_requests (fx->fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];

      if (strcmp (r->method, "POST") == 0 && strcmp (r->path, "/v1.0/chats") == 0)
        body = g_strdup (r->body);
    }
  g_assert_nonnull (body);
  g_assert_nonnull (strstr (body, "\"oneOnOne\""));
  g_assert_nonnull (strstr (body, fx->me_id));
  g_assert_nonnull (strstr (body, BOB_ID (fx)));
  g_assert_nonnull (strstr (body, "owner"));

  /* again, by id, and without knowing my id: the same chat */
  b = create_one_on_one (fx, fx->me_id, BOB_ID (fx), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b->id, ==, a->id);
  c = create_one_on_one (fx, NULL, "BOB@contoso.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->id, ==, a->id);
  gf_fixture_free (fx);
}

/* The seed bug: one's own address resolved to an arbitrary one-on-one chat. Here it is a clear
 * error, by UPN, by id, in any case, and no chat is created. */
static void
test_create_one_on_one_self (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, NULL };
  const char *refs[] = { ME, "ME@Contoso.com", NULL };
  GError *error = NULL;

  fake_graph_add_chat (fx->fg, "oneOnOne", NULL, members);
  refs[2] = fx->me_id;
  for (guint i = 0; i < G_N_ELEMENTS (refs); i++)
    for (guint with_me = 0; with_me < 2; with_me++)
      {
        TgChat *chat;

        fake_graph_clear_log (fx->fg);
        chat = create_one_on_one (fx, with_me ? fx->me_id : NULL, refs[i], &error);
        g_assert_null (chat);
        g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
        g_assert_nonnull (strstr (error->message, "yourself"));
        g_clear_error (&error);
        g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/chats"), ==, 0);
      }
  gf_fixture_free (fx);
}

static void
test_create_one_on_one_unknown (void)
{
  Fx *fx = fx_new ();
  GError *error = NULL;
  TgChat *chat;

  chat = create_one_on_one (fx, fx->me_id, "nobody@contoso.com", &error);
  g_assert_null (chat);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nobody@contoso.com"));
  g_clear_error (&error);
  chat = create_one_on_one (fx, fx->me_id, "  ", &error);
  g_assert_null (chat);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/chats"), ==, 0);
  gf_fixture_free (fx);
}

/* ---- messages ---- */

static GPtrArray *
list_messages (Fx *fx, const char *chat, const char *next, guint top, gboolean system,
               char **next_out, GError **error)
{
  GfWait w = { 0 };
  GPtrArray *msgs;

  tg_chats_list_messages_async (fx->graph, chat, next, top, system, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  msgs = tg_chats_list_messages_finish (fx->graph, w.result, next_out, error);
  gf_wait_clear (&w);
  return msgs;
}

static void
test_list_messages (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, CAROL, NULL };
  const char *chat = fake_graph_add_chat (fx->fg, "group", "History", members);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) page1 = NULL, page2 = NULL, with_sys = NULL, without_sys = NULL;
  g_autofree char *next = NULL, *next2 = NULL, *next3 = NULL;
  GError *error = NULL;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);

      g_ptr_array_add (sent, g_strdup (fake_graph_inject_message (fx->fg, chat, i % 2 ? BOB : CAROL, text)));
    }
  page1 = list_messages (fx, chat, NULL, 20, TRUE, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page1->len, ==, 20);
  g_assert_nonnull (next);
  /* the newest 20, oldest first */
  for (guint i = 0; i < 20; i++)
    g_assert_cmpstr (((TgMessage *) page1->pdata[i])->id, ==, sent->pdata[10 + i]);
  {
    GPtrArray *log = fake_graph_requests (fx->fg);
    FakeRequest *r = log->pdata[log->len - 1];

    g_assert_nonnull (strstr (r->query, "createdDateTime desc"));
  }
  page2 = list_messages (fx, chat, next, 20, TRUE, &next2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page2->len, ==, 10);
  g_assert_null (next2);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpstr (((TgMessage *) page2->pdata[i])->id, ==, sent->pdata[i]);

  /* system events: with Prefer they keep their type; dropped on request */
  g_assert_true (fake_graph_rename_chat (fx->fg, chat, BOB, "Renamed"));
  fake_graph_inject_message (fx->fg, chat, BOB, "after the rename");
  with_sys = list_messages (fx, chat, NULL, 5, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (with_sys->len, ==, 5);
  {
    TgMessage *ev = with_sys->pdata[3];
    g_autofree char *text = tg_message_system_text (ev);

    g_assert_cmpint (ev->type, ==, TG_MESSAGE_TYPE_SYSTEM);
    g_assert_cmpstr (text, ==, "Bob renamed the chat to \"Renamed\"");
  }
  without_sys = list_messages (fx, chat, NULL, 5, FALSE, &next3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (without_sys->len, ==, 4);
  for (guint i = 0; i < without_sys->len; i++)
    g_assert_false (tg_message_is_system (without_sys->pdata[i]));
  gf_fixture_free (fx);
}

static void
test_get_message (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, NULL };
  const char *chat = fake_graph_add_chat (fx->fg, "oneOnOne", NULL, members);
  const char *mid = fake_graph_inject_message (fx->fg, chat, BOB, "<p>exact</p>");
  GfWait w = { 0 };
  GError *error = NULL;
  g_autoptr (TgMessage) msg = NULL;

  tg_chats_get_message_async (fx->graph, chat, mid, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  msg = tg_chats_get_message_finish (fx->graph, w.result, &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpstr (msg->id, ==, mid);
  g_assert_cmpstr (msg->chat_id, ==, chat);
  g_assert_cmpstr (msg->from_user_id, ==, BOB_ID (fx));
  g_assert_cmpstr (tg_message_markup (msg), ==, "exact");

  tg_chats_get_message_async (fx->graph, chat, "1", NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_null (tg_chats_get_message_finish (fx->graph, w.result, &error));
  gf_wait_clear (&w);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

static TgMessage *
send_message (Fx *fx, const char *chat, const char *content, gboolean is_html, JsonArray *mentions,
              GError **error)
{
  GfWait w = { 0 };
  TgMessage *msg;

  tg_chats_send_message_async (fx->graph, chat, content, is_html, mentions, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  msg = tg_chats_send_message_finish (fx->graph, w.result, error);
  gf_wait_clear (&w);
  return msg;
}

static void
test_send_message (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, CAROL, NULL };
  const char *chat = fake_graph_add_chat (fx->fg, "group", "Send", members);
  GError *error = NULL;
  g_autoptr (TgMessage) text = NULL, html = NULL;
  g_autoptr (JsonNode) mentions = NULL;
  g_autofree char *mjson = NULL;
  TgMessage *none;

  text = send_message (fx, chat, "a < b", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (text->content_type, ==, TG_CONTENT_TEXT);
  g_assert_cmpstr (text->body, ==, "a < b");
  g_assert_cmpstr (text->from_user_id, ==, fx->me_id);
  g_assert_nonnull (text->etag);
  g_assert_cmpstr (tg_message_markup (text), ==, "a &lt; b");
  g_assert_cmpuint (fake_graph_message_count (fx->fg, chat), ==, 1);

  mjson = g_strdup_printf ("[{\"id\":0,\"mentionText\":\"Bob\",\"mentioned\":{\"user\":{\"id\":\"%s\","
                           "\"displayName\":\"Bob\",\"userIdentityType\":\"aadUser\"}}}]", BOB_ID (fx));
  mentions = tg_json_parse (mjson, -1, &error);
  g_assert_no_error (error);
  html = send_message (fx, chat, "<p>hey <at id=\"0\">Bob</at></p>", TRUE,
                       tg_json_node_array (mentions), &error);
  g_assert_no_error (error);
  g_assert_cmpint (html->content_type, ==, TG_CONTENT_HTML);
  g_assert_cmpuint (html->mentions->len, ==, 1);
  g_assert_cmpstr (((TgMention *) html->mentions->pdata[0])->user_id, ==, BOB_ID (fx));
  g_assert_cmpstr (tg_message_markup (html), ==, "hey <b>Bob</b>");

  none = send_message (fx, chat, "", FALSE, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  none = send_message (fx, "19:nope@thread.v2", "hi", FALSE, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

/* Cancelled before the answer: G_IO_ERROR_CANCELLED, nothing else. */
static void
test_cancel (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GfWait w = { 0 };
  GError *error = NULL;

  fake_graph_add_fault (fx->fg, NULL, "*", FAKE_FAULT_DELAY, 0, NULL, 200, 0);
  tg_chats_list_my_joined_async (fx->graph, TG_CHAT_TYPE_UNKNOWN, cancellable, gf_wait_cb, &w);
  g_cancellable_cancel (cancellable);
  gf_wait (&w);
  g_assert_null (tg_chats_list_my_joined_finish (fx->graph, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  gf_wait_clear (&w);
  fake_graph_clear_faults (fx->fg);
  gf_fixture_free (fx);
}

static void
test_paths (void)
{
  Fx *fx = fx_new ();
  g_autofree char *p = tg_chats_path ("19:a b/c@thread.v2", "/messages");
  g_autofree char *base = g_strconcat (fake_graph_graph_url (fx->fg), "/chats/x?$skiptoken=1", NULL);
  g_autofree char *rel = tg_chats_relative_link (fx->graph, base);

  g_assert_cmpstr (p, ==, "/chats/19:a%20b%2Fc@thread.v2/messages");
  g_assert_cmpstr (rel, ==, "/chats/x?$skiptoken=1");
  g_assert_null (tg_chats_relative_link (fx->graph, "https://elsewhere.example/v1.0/chats"));
  g_assert_null (tg_chats_relative_link (fx->graph, NULL));
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/chats/list-joined", test_list_joined);
  g_test_add_func ("/chats/list-joined-error", test_list_joined_error);
  g_test_add_func ("/chats/get-chat", test_get_chat);
  g_test_add_func ("/chats/create-one-on-one", test_create_one_on_one);
  g_test_add_func ("/chats/create-one-on-one-self", test_create_one_on_one_self);
  g_test_add_func ("/chats/create-one-on-one-unknown", test_create_one_on_one_unknown);
  g_test_add_func ("/chats/list-messages", test_list_messages);
  g_test_add_func ("/chats/get-message", test_get_message);
  g_test_add_func ("/chats/send-message", test_send_message);
  g_test_add_func ("/chats/cancel", test_cancel);
  g_test_add_func ("/chats/paths", test_paths);
  return g_test_run ();
}
