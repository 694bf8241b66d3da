/* Unit tests for tg-messages against the Graph emulator: soft delete (own, others' → the clear
 * "own messages only" error), edit, setReaction, and pins (pin → list with the pinned id and the
 * message → unpin by the PINNED id, not the message id; a message that is not pinned), with the
 * exact method, path and body of each request, and argument checks that need no request.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "core/tg-graph.h"
#include "core/tg-json.h"
#include "core/tg-messages.h"
#include "fake-graph/fake-graph.h"

typedef GfFixture Fixture;

/* Alice (signed in), Bob and Carol. */
static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  gf_fixture_set_up (fx, "alice@contoso.com");
  gf_fixture_add_users (fx, "bob@contoso.com", "Bob Jones", "carol@contoso.com", "Carol Smith", NULL);
}

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define THUMBS "\xf0\x9f\x91\x8d"

static const char *
group_chat (Fixture *fx)
{
  const char *members[] = { BOB, "carol@contoso.com", NULL };

  return fake_graph_add_chat (fx->fg, "group", "Plans", members);
}

/* The one request of `method` since the log was cleared, checked to have `path`. */
static const FakeRequest *
only_request (Fixture *fx, const char *method, const char *path)
{
  const FakeRequest *req = gf_last_request (fx->fg, method, "*");

  g_assert_cmpuint (fake_graph_count (fx->fg, method, "/v1.0/*"), ==, 1);
  g_assert_nonnull (req);
  g_assert_cmpstr (req->path, ==, path);
  return req;
}

static JsonNode *
message_json (Fixture *fx, const char *chat, const char *mid)
{
  JsonNode *node = fake_graph_message_json (fx->fg, chat, mid);

  g_assert_nonnull (node);
  return node;
}

/* ---- soft delete ---- */

static gboolean
soft_delete (Fixture *fx, const char *chat, const char *mid, GError **error)
{
  GfWait w = { 0 };
  gboolean ok;

  tg_messages_soft_delete_async (fx->graph, fake_graph_user_id (fx->fg, ME), chat, mid, NULL,
                                 gf_wait_cb, &w);
  gf_wait (&w);
  ok = tg_messages_soft_delete_finish (fx->graph, w.result, error);
  g_object_unref (w.result);
  return ok;
}

static void
test_soft_delete_own (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *mid = fake_graph_inject_message (fx->fg, chat, ME, "oops");
  g_autofree char *path = g_strdup_printf ("/v1.0/users/%s/chats/%s/messages/%s/softDelete",
                                           fake_graph_user_id (fx->fg, ME), chat, mid);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) after = NULL;
  const FakeRequest *req;

  fake_graph_clear_log (fx->fg);
  g_assert_true (soft_delete (fx, chat, mid, &error));
  g_assert_no_error (error);
  req = only_request (fx, "POST", path);
  g_assert_true (req->body == NULL || *req->body == '\0');
  g_assert_cmpuint (req->status, ==, 204);
  after = message_json (fx, chat, mid);
  g_assert_nonnull (tg_json_string (tg_json_node_object (after), "deletedDateTime"));
}

static void
test_soft_delete_others (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *mid = fake_graph_inject_message (fx->fg, chat, BOB, "mine, says Bob");
  GError *error = NULL;
  g_autoptr (JsonNode) after = NULL;

  g_assert_false (soft_delete (fx, chat, mid, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_assert_cmpstr (error->message, ==, "You can only delete your own messages");
  g_clear_error (&error);
  after = message_json (fx, chat, mid);
  g_assert_null (tg_json_string (tg_json_node_object (after), "deletedDateTime"));

  /* An unknown message is a 404, not a "not yours". */
  g_assert_false (soft_delete (fx, chat, "1700000000000", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* ---- edit ---- */

static gboolean
edit (Fixture *fx, const char *chat, const char *mid, const char *content, gboolean is_html,
      GError **error)
{
  GfWait w = { 0 };
  gboolean ok;

  tg_messages_edit_async (fx->graph, chat, mid, content, is_html, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  ok = tg_messages_edit_finish (fx->graph, w.result, error);
  g_object_unref (w.result);
  return ok;
}

static void
test_edit (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *mid = fake_graph_inject_message (fx->fg, chat, ME, "teh plan");
  const char *bobs = fake_graph_inject_message (fx->fg, chat, BOB, "Bob's");
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/messages/%s", chat, mid);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) keep = NULL, after = NULL;
  GError *refused = NULL;
  const FakeRequest *req;
  JsonObject *body;

  fake_graph_clear_log (fx->fg);
  g_assert_true (edit (fx, chat, mid, "the plan \"v2\"", FALSE, &error));
  g_assert_no_error (error);
  req = only_request (fx, "PATCH", path);
  body = gf_request_body (req, &keep);
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
  g_assert_cmpstr (tg_json_path_string (body, "body", "contentType", NULL), ==, "text");
  g_assert_cmpstr (tg_json_path_string (body, "body", "content", NULL), ==, "the plan \"v2\"");
  after = message_json (fx, chat, mid);
  g_assert_cmpstr (tg_json_path_string (tg_json_node_object (after), "body", "content", NULL), ==,
                   "the plan \"v2\"");
  g_assert_nonnull (tg_json_string (tg_json_node_object (after), "lastEditedDateTime"));

  g_assert_false (edit (fx, chat, bobs, "not mine", FALSE, &refused));
  g_assert_error (refused, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_assert_cmpstr (refused->message, ==, "You can only edit your own messages");
  g_clear_error (&refused);
}

/* ---- reactions ---- */

static void
test_set_reaction (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *mid = fake_graph_inject_message (fx->fg, chat, BOB, "lunch?");
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/messages/%s/setReaction", chat, mid);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) keep = NULL, after = NULL;
  GfWait w = { 0 };
  JsonObject *body;
  JsonArray *reactions;

  fake_graph_clear_log (fx->fg);
  tg_messages_set_reaction_async (fx->graph, chat, mid, THUMBS, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_true (tg_messages_set_reaction_finish (fx->graph, w.result, &error));
  g_object_unref (w.result);
  g_assert_no_error (error);
  body = gf_request_body (only_request (fx, "POST", path), &keep);
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
  g_assert_cmpstr (tg_json_string (body, "reactionType"), ==, THUMBS);

  after = message_json (fx, chat, mid);
  reactions = tg_json_array (tg_json_node_object (after), "reactions");
  g_assert_cmpuint (tg_json_array_length (reactions), ==, 1);
  g_assert_cmpstr (tg_json_string (tg_json_array_object (reactions, 0), "reactionType"), ==, THUMBS);
  g_assert_cmpstr (tg_json_path_string (tg_json_array_object (reactions, 0), "user", "user", "id", NULL),
                   ==, fake_graph_user_id (fx->fg, ME));
}

/* ---- pins ---- */

static GPtrArray *
list_pinned (Fixture *fx, const char *chat, GError **error)
{
  GfWait w = { 0 };
  GPtrArray *pins;

  tg_messages_list_pinned_async (fx->graph, chat, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  pins = tg_messages_list_pinned_finish (fx->graph, w.result, error);
  g_object_unref (w.result);
  return pins;
}

static gboolean
unpin (Fixture *fx, const char *chat, const char *mid, GError **error)
{
  GfWait w = { 0 };
  gboolean ok;

  tg_messages_unpin_async (fx->graph, chat, mid, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  ok = tg_messages_unpin_finish (fx->graph, w.result, error);
  g_object_unref (w.result);
  return ok;
}

static void
test_pin_list_unpin (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *first = fake_graph_inject_message (fx->fg, chat, BOB, "<p>the <b>agenda</b></p>");
  const char *second = fake_graph_inject_message (fx->fg, chat, ME, "minutes");
  g_autofree char *pins_path = g_strdup_printf ("/v1.0/chats/%s/pinnedMessages", chat);
  g_autofree char *bind = g_strdup_printf ("https://graph.microsoft.com/v1.0/chats/%s/messages/%s",
                                           chat, first);
  g_autofree char *pin_id = NULL, *delete_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) keep = NULL;
  g_autoptr (GPtrArray) pins = NULL, after = NULL;
  const TgPinnedMessage *pin;
  const FakeRequest *req;
  GfWait w = { 0 };
  JsonObject *body;

  /* pin: POST with the message bound by Graph's absolute URL */
  fake_graph_clear_log (fx->fg);
  tg_messages_pin_async (fx->graph, chat, first, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_true (tg_messages_pin_finish (fx->graph, w.result, &pin_id, &error));
  g_clear_object (&w.result);
  g_assert_no_error (error);
  g_assert_nonnull (pin_id);
  g_assert_cmpstr (pin_id, !=, first);
  req = only_request (fx, "POST", pins_path);
  body = gf_request_body (req, &keep);
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
  g_assert_cmpstr (tg_json_string (body, "message@odata.bind"), ==, bind);
  fake_graph_pin_message (fx->fg, chat, BOB, second);

  /* list: the pin ids and the messages */
  fake_graph_clear_log (fx->fg);
  pins = list_pinned (fx, chat, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pins);
  req = only_request (fx, "GET", pins_path);
  g_assert_nonnull (strstr (req->query, "$expand=message"));
  g_assert_cmpuint (pins->len, ==, 2);
  pin = g_ptr_array_index (pins, 0);
  g_assert_cmpstr (pin->id, ==, pin_id);
  g_assert_nonnull (pin->message);
  g_assert_cmpstr (pin->message->id, ==, first);
  g_assert_cmpstr (pin->message->chat_id, ==, chat);
  g_assert_cmpstr (pin->message->from_display_name, ==, "Bob Jones");
  g_assert_nonnull (strstr (pin->message->body, "agenda"));
  pin = g_ptr_array_index (pins, 1);
  g_assert_cmpstr (pin->message->id, ==, second);

  /* unpin by message id: one list, then DELETE with the PINNED id */
  fake_graph_clear_log (fx->fg);
  g_assert_true (unpin (fx, chat, first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", pins_path), ==, 1);
  delete_path = g_strdup_printf ("%s/%s", pins_path, pin_id);
  req = only_request (fx, "DELETE", delete_path);
  g_assert_cmpuint (req->status, ==, 204);
  g_assert_null (strstr (req->path + strlen (pins_path), first));

  after = list_pinned (fx, chat, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpstr (((TgPinnedMessage *) after->pdata[0])->message->id, ==, second);
}

static void
test_unpin_not_pinned (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *mid = fake_graph_inject_message (fx->fg, chat, BOB, "never pinned");
  GError *error = NULL;

  fake_graph_clear_log (fx->fg);
  g_assert_false (unpin (fx, chat, mid, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "That message is not pinned");
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (fx->fg, "DELETE", "/v1.0/*"), ==, 0);

  /* Pinning an unknown message: Graph's 404. */
  {
    GfWait w = { 0 };
    char *pin_id = (char *) "untouched";

    tg_messages_pin_async (fx->graph, chat, "1700000000000", NULL, gf_wait_cb, &w);
    gf_wait (&w);
    g_assert_false (tg_messages_pin_finish (fx->graph, w.result, &pin_id, &error));
    g_object_unref (w.result);
    g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
    g_assert_null (pin_id);
    g_clear_error (&error);
  }
}

static void
test_bad_arguments (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GfWait w = { 0 };

  fake_graph_clear_log (fx->fg);
  g_assert_false (soft_delete (fx, "19:x@thread.v2", NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (edit (fx, "19:x@thread.v2", "1", "   ", FALSE, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (unpin (fx, NULL, "1", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  tg_messages_set_reaction_async (fx->graph, "19:x@thread.v2", "1", "", NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_false (tg_messages_set_reaction_finish (fx->graph, w.result, &error));
  g_object_unref (w.result);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 0);
}

static void
test_cancelled (Fixture *fx, gconstpointer data)
{
  const char *chat = group_chat (fx);
  const char *mid = fake_graph_inject_message (fx->fg, chat, BOB, "x");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;
  GfWait w = { 0 };

  tg_messages_unpin_async (fx->graph, chat, mid, cancellable, gf_wait_cb, &w);
  g_cancellable_cancel (cancellable);
  gf_wait (&w);
  g_assert_false (tg_messages_unpin_finish (fx->graph, w.result, &error));
  g_object_unref (w.result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, gf_fixture_tear_down)
  ADD ("/messages/soft-delete/own", test_soft_delete_own);
  ADD ("/messages/soft-delete/others", test_soft_delete_others);
  ADD ("/messages/edit", test_edit);
  ADD ("/messages/set-reaction", test_set_reaction);
  ADD ("/messages/pins/pin-list-unpin", test_pin_list_unpin);
  ADD ("/messages/pins/unpin-not-pinned", test_unpin_not_pinned);
  ADD ("/messages/bad-arguments", test_bad_arguments);
  ADD ("/messages/cancelled", test_cancelled);
  return g_test_run ();
}
