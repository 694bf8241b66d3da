/* Unit tests for tg_chats_update_topic (update_group_chat_topic) against the Graph emulator:
 * the PATCH request and its body, the updated chat, the topic rules Graph enforces (group
 * chats only, no ':'), an unknown chat, and argument checks that need no request.
 * Waiting = iterating the main context until the operation completes, with a 20 s hang guard.
 */
#include <string.h>

#include "core/tg-auth.h"
#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-graph.h"
#include "fake-graph/fake-graph.h"

#define HANG_GUARD_S 20

typedef struct {
  FakeGraph *fg;
  SoupSession *session;
  TgGraph *graph;
  TgAuth *auth;
} Fixture;

typedef struct {
  gboolean done;
  GAsyncResult *result;
} Waiter;

static gboolean
on_hang_guard (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Waiter *w = data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

static void
wait_for (Waiter *w)
{
  gboolean hung = FALSE;
  guint guard = g_timeout_add_seconds (HANG_GUARD_S, on_hang_guard, &hung);

  while (!w->done && !hung)
    g_main_context_iteration (NULL, TRUE);
  if (!hung)
    g_source_remove (guard);
  g_assert_false (hung);
}

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *refresh = NULL;

  fx->fg = fake_graph_new ("alice@contoso.com");
  g_assert_true (fake_graph_listen (fx->fg, 0, &error));
  g_assert_no_error (error);
  fake_graph_add_user (fx->fg, "bob@contoso.com", "Bob Jones");
  fake_graph_add_user (fx->fg, "carol@contoso.com", "Carol Smith");
  fx->graph = tg_graph_new (fake_graph_graph_url (fx->fg), &error);
  g_assert_no_error (error);
  tg_graph_set_retry_policy (fx->graph, 3, 0.001);
  fx->session = soup_session_new ();
  fx->auth = tg_auth_new (fx->session, fake_graph_base_url (fx->fg), "organizations",
                          "14d82eec-204b-4c2f-b7e8-296a70dab67e", NULL, &error);
  g_assert_no_error (error);
  refresh = fake_graph_issue_refresh_token (fx->fg);
  tg_auth_set_refresh_token (fx->auth, refresh);
  tg_auth_attach (fx->auth, fx->graph);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  tg_auth_free (fx->auth);
  tg_graph_unref (fx->graph);
  g_object_unref (fx->session);
  fake_graph_free (fx->fg);
}

/* Runs one update and returns its outcome. */
static gboolean
update_topic (Fixture *fx, const char *chat_id, const char *topic, TgChat **chat_out,
              GError **error)
{
  Waiter w = { 0 };
  gboolean ok;

  tg_chats_update_topic_async (fx->graph, chat_id, topic, NULL, on_done, &w);
  wait_for (&w);
  ok = tg_chats_update_topic_finish (fx->graph, w.result, chat_out, error);
  g_object_unref (w.result);
  return ok;
}

static const FakeRequest *
last_request (Fixture *fx, const char *method)
{
  GPtrArray *log = fake_graph_requests (fx->fg);

  for (guint i = log->len; i > 0; i--)
    {
      const FakeRequest *r = g_ptr_array_index (log, i - 1);

      if (g_strcmp0 (r->method, method) == 0)
        return r;
    }
  return NULL;
}

static void
test_sets_topic (Fixture *fx, gconstpointer data)
{
  const char *members[] = { "bob@contoso.com", "carol@contoso.com", NULL };
  const char *id = fake_graph_add_chat (fx->fg, "group", "Old plans", members);
  g_autoptr (GError) error = NULL;
  g_autoptr (TgChat) chat = NULL;
  g_autofree char *path = g_strconcat ("/v1.0/chats/", id, NULL);
  const FakeRequest *req;

  g_assert_true (update_topic (fx, id, "New plans & \"quotes\"", &chat, &error));
  g_assert_no_error (error);
  g_assert_nonnull (chat);
  g_assert_cmpstr (chat->id, ==, id);
  g_assert_cmpstr (chat->topic, ==, "New plans & \"quotes\"");

  g_assert_cmpuint (fake_graph_count (fx->fg, "PATCH", "/v1.0/chats/*"), ==, 1);
  req = last_request (fx, "PATCH");
  g_assert_nonnull (req);
  g_assert_cmpstr (req->path, ==, path);
  g_assert_nonnull (req->body);
  {
    g_autoptr (JsonNode) body = json_from_string (req->body, &error);
    JsonObject *obj;

    g_assert_no_error (error);
    obj = json_node_get_object (body);
    g_assert_cmpuint (json_object_get_size (obj), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (obj, "topic"), ==, "New plans & \"quotes\"");
  }
}

static void
test_chat_out_optional (Fixture *fx, gconstpointer data)
{
  const char *members[] = { "bob@contoso.com", "carol@contoso.com", NULL };
  const char *id = fake_graph_add_chat (fx->fg, "group", NULL, members);
  g_autoptr (GError) error = NULL;

  g_assert_true (update_topic (fx, id, "First topic", NULL, &error));
  g_assert_no_error (error);
}

static void
test_refused (Fixture *fx, gconstpointer data)
{
  const char *group[] = { "bob@contoso.com", "carol@contoso.com", NULL };
  const char *pair[] = { "bob@contoso.com", NULL };
  const char *group_id = fake_graph_add_chat (fx->fg, "group", "Plans", group);
  const char *one_id = fake_graph_add_chat (fx->fg, "oneOnOne", NULL, pair);
  TgChat *chat = (TgChat *) 0x1;
  GError *error = NULL;

  /* Graph's topic rules: no ':' … */
  g_assert_false (update_topic (fx, group_id, "a: b", &chat, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_assert_null (chat);
  g_assert_nonnull (strstr (error->message, ":"));
  g_clear_error (&error);
  /* … group chats only … */
  g_assert_false (update_topic (fx, one_id, "Hello", NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  /* … an existing chat. */
  g_assert_false (update_topic (fx, "19:nope@thread.v2", "Hello", NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
test_bad_arguments (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;

  fake_graph_clear_log (fx->fg);
  g_assert_false (update_topic (fx, NULL, "Hello", NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (update_topic (fx, "19:x@thread.v2", NULL, NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (fx->fg, "PATCH", "*"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/chats/topic/sets", Fixture, NULL, fixture_set_up, test_sets_topic, fixture_tear_down);
  g_test_add ("/chats/topic/chat-out-optional", Fixture, NULL, fixture_set_up,
              test_chat_out_optional, fixture_tear_down);
  g_test_add ("/chats/topic/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);
  g_test_add ("/chats/topic/bad-arguments", Fixture, NULL, fixture_set_up, test_bad_arguments,
              fixture_tear_down);
  return g_test_run ();
}
