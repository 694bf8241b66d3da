/* Unit tests for tg_chats_update_topic (update_group_chat_topic) against the Graph emulator:
 * the PATCH request and its body, the updated chat, the topic rules Graph enforces (group
 * chats only, no ':'), an unknown chat, and argument checks that need no request.
 * Waiting = iterating the main context until the operation completes, with a 20 s hang guard.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-graph.h"
#include "fake-graph/fake-graph.h"

typedef GfFixture Fixture;

/* Alice (signed in), Bob and Carol. */
static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  gf_fixture_set_up (fx, "alice@contoso.com");
  gf_fixture_add_users (fx, "bob@contoso.com", "Bob Jones", "carol@contoso.com", "Carol Smith", NULL);
}

/* Runs one update and returns its outcome. */
static gboolean
update_topic (Fixture *fx, const char *chat_id, const char *topic, TgChat **chat_out,
              GError **error)
{
  GfWait w = { 0 };
  gboolean ok;

  tg_chats_update_topic_async (fx->graph, chat_id, topic, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  ok = tg_chats_update_topic_finish (fx->graph, w.result, chat_out, error);
  g_object_unref (w.result);
  return ok;
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
  req = gf_last_request (fx->fg, "PATCH", "*");
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
  g_test_add ("/chats/topic/sets", Fixture, NULL, fixture_set_up, test_sets_topic, gf_fixture_tear_down);
  g_test_add ("/chats/topic/chat-out-optional", Fixture, NULL, fixture_set_up,
              test_chat_out_optional, gf_fixture_tear_down);
  g_test_add ("/chats/topic/refused", Fixture, NULL, fixture_set_up, test_refused, gf_fixture_tear_down);
  g_test_add ("/chats/topic/bad-arguments", Fixture, NULL, fixture_set_up, test_bad_arguments,
              gf_fixture_tear_down);
  return g_test_run ();
}
