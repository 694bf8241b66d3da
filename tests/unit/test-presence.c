/* Unit tests for tg-presence against the Graph emulator in-process: getPresencesByUserId in
 * chunks of at most 650 ids (700 users → exactly 2 calls, duplicates dropped), the parser
 * (real-shaped, null and mistyped JSON), activity texts, setUserPreferredPresence (the body,
 * and a token without Presence.ReadWrite → TG_ERROR_FORBIDDEN), status messages (parsed from
 * presence answers, text and html, null-safe; setStatusMessage's body to set and to clear, the
 * emulator following, 403 without Presence.ReadWrite), cancellation.
 * Waiting = iterating the main context until the operation completes (20 s hang guard).
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-presence.h"
#include "fake-graph/fake-graph.h"

#define ME "me@contoso.com"

typedef GfFixture Fx;

static GPtrArray *
get_presences (Fx *fx, const char *const *ids, guint n, GCancellable *cancellable, GError **error)
{
  GfWait w = { 0 };
  GPtrArray *out;

  tg_presence_get_async (fx->graph, ids, n, cancellable, gf_wait_cb, &w);
  gf_wait (&w);
  out = tg_presence_get_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return out;
}

static const TgPresence *
find_presence (GPtrArray *presences, const char *id)
{
  for (guint i = 0; i < presences->len; i++)
    {
      const TgPresence *p = g_ptr_array_index (presences, i);

      if (g_str_equal (p->user_id, id))
        return p;
    }
  return NULL;
}

/* ---- getPresencesByUserId ---- */

static void
test_chunks_of_650 (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) presences = NULL;
  GError *error = NULL;
  GPtrArray *log;
  guint calls = 0, total = 0;
  const TgPresence *p;

  for (guint i = 0; i < 700; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%03u@contoso.com", i);

      g_ptr_array_add (ids, g_strdup (fake_graph_add_user (fx->fg, upn, upn)));
    }
  fake_graph_set_presence (fx->fg, "user000@contoso.com", "Busy", "InAMeeting");
  fake_graph_set_presence (fx->fg, "user699@contoso.com", "BeRightBack", "BeRightBack");
  /* Duplicates and empty entries cost nothing. */
  g_ptr_array_add (ids, g_strdup (g_ptr_array_index (ids, 0)));
  g_ptr_array_add (ids, g_strdup (""));
  g_ptr_array_add (ids, NULL);

  presences = get_presences (fx, (const char *const *) ids->pdata, ids->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (presences->len, ==, 700);
  p = find_presence (presences, g_ptr_array_index (ids, 0));
  g_assert_nonnull (p);
  g_assert_cmpint (p->availability, ==, TG_AVAILABILITY_BUSY);
  g_assert_cmpstr (p->availability_name, ==, "Busy");
  g_assert_cmpstr (p->activity, ==, "InAMeeting");
  p = find_presence (presences, g_ptr_array_index (ids, 699));
  g_assert_cmpint (p->availability, ==, TG_AVAILABILITY_AWAY);

  /* Exactly two calls: 650 ids, then 50, each id once. */
  log = fake_graph_requests (fx->fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = g_ptr_array_index (log, i);
      g_autoptr (JsonNode) body = NULL;
      JsonArray *sent;

      g_assert_cmpstr (r->method, ==, "POST");
      g_assert_cmpstr (r->path, ==, "/v1.0/communications/getPresencesByUserId");
      body = tg_json_parse (r->body, -1, &error);
      g_assert_no_error (error);
      sent = tg_json_array (tg_json_node_object (body), "ids");
      g_assert_cmpuint (tg_json_array_length (sent), ==, calls == 0 ? 650 : 50);
      for (guint j = 0; j < tg_json_array_length (sent); j++)
        g_assert_cmpstr (tg_json_array_string (sent, j), ==, g_ptr_array_index (ids, total + j));
      total += tg_json_array_length (sent);
      calls++;
    }
  g_assert_cmpuint (calls, ==, 2);
  g_assert_cmpuint (total, ==, 700);
  gf_fixture_free (fx);
}

static void
test_exactly_650_is_one_call (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) presences = NULL;
  g_autoptr (GPtrArray) none = NULL;
  GError *error = NULL;

  for (guint i = 0; i < 650; i++)
    {
      g_autofree char *upn = g_strdup_printf ("u%03u@contoso.com", i);

      g_ptr_array_add (ids, g_strdup (fake_graph_add_user (fx->fg, upn, upn)));
    }
  presences = get_presences (fx, (const char *const *) ids->pdata, ids->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (presences->len, ==, 650);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/communications/getPresencesByUserId"), ==, 1);

  /* No ids: no call at all. */
  fake_graph_clear_log (fx->fg);
  none = get_presences (fx, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (fake_graph_count (fx->fg, NULL, "*"), ==, 0);
  gf_fixture_free (fx);
}

static void
test_unknown_user_and_errors (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  const char *bob = fake_graph_add_user (fx->fg, "bob@contoso.com", "Bob");
  const char *ids[] = { bob, "00000000-0000-0000-0000-000000000000" };
  g_autoptr (GPtrArray) presences = NULL;
  GPtrArray *failed;
  GError *error = NULL;

  presences = get_presences (fx, ids, G_N_ELEMENTS (ids), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (presences->len, ==, 2);
  g_assert_cmpint (find_presence (presences, ids[1])->availability, ==, TG_AVAILABILITY_UNKNOWN);

  /* A refusal is the operation's error. */
  fake_graph_add_fault (fx->fg, "POST", "/v1.0/communications/getPresencesByUserId",
                        FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  failed = get_presences (fx, ids, G_N_ELEMENTS (ids), NULL, &error);
  g_assert_null (failed);
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

static void
test_cancel (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  const char *ids[] = { fake_graph_add_user (fx->fg, "bob@contoso.com", "Bob") };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GPtrArray *presences;
  GError *error = NULL;

  fake_graph_add_fault (fx->fg, "POST", "/v1.0/communications/getPresencesByUserId",
                        FAKE_FAULT_DELAY, 0, NULL, 2000, 1);
  g_cancellable_cancel (cancellable);
  presences = get_presences (fx, ids, 1, cancellable, &error);
  g_assert_null (presences);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

/* ---- the parser ---- */

static GPtrArray *
parse_text (const char *text, GError **error)
{
  g_autoptr (JsonNode) node = tg_json_parse (text, -1, NULL);

  return tg_presence_parse (node, error);
}

static void
test_parse (void)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) real = NULL, mistyped = NULL;
  const TgPresence *p;

  real = parse_text ("{\"@odata.context\":\"x\",\"value\":["
                     "{\"id\":\"a\",\"availability\":\"AvailableIdle\",\"activity\":\"Inactive\",\"statusMessage\":null},"
                     "{\"id\":\"b\",\"availability\":\"DoNotDisturb\",\"activity\":\"Presenting\"},"
                     "{\"id\":\"c\",\"availability\":\"Offline\",\"activity\":\"OffWork\"},"
                     "{\"id\":\"d\",\"availability\":\"PresenceUnknown\",\"activity\":\"PresenceUnknown\"},"
                     "{\"id\":\"e\",\"availability\":\"BusyIdle\",\"activity\":\"InACall\"}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (real->len, ==, 5);
  g_assert_cmpint (((TgPresence *) real->pdata[0])->availability, ==, TG_AVAILABILITY_AVAILABLE);
  g_assert_cmpint (((TgPresence *) real->pdata[1])->availability, ==, TG_AVAILABILITY_DO_NOT_DISTURB);
  g_assert_cmpint (((TgPresence *) real->pdata[2])->availability, ==, TG_AVAILABILITY_OFFLINE);
  g_assert_cmpint (((TgPresence *) real->pdata[3])->availability, ==, TG_AVAILABILITY_UNKNOWN);
  g_assert_cmpint (((TgPresence *) real->pdata[4])->availability, ==, TG_AVAILABILITY_BUSY);
  g_assert_cmpstr (((TgPresence *) real->pdata[4])->activity, ==, "InACall");

  /* Nulls, wrong types, entries that are not objects, ids missing: skipped or unknown. */
  mistyped = parse_text ("{\"value\":[null, 7, \"x\", [], {\"availability\":\"Busy\"},"
                         "{\"id\":42,\"availability\":\"Busy\"}, {\"id\":\"\"},"
                         "{\"id\":\"f\",\"availability\":5,\"activity\":{}},"
                         "{\"id\":\"g\",\"availability\":null,\"activity\":null},"
                         "{\"id\":\"h\",\"availability\":\"busy\"}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mistyped->len, ==, 3);
  p = mistyped->pdata[0];
  g_assert_cmpstr (p->user_id, ==, "f");
  g_assert_cmpint (p->availability, ==, TG_AVAILABILITY_UNKNOWN);
  g_assert_null (p->availability_name);
  g_assert_null (p->activity);
  g_assert_cmpint (((TgPresence *) mistyped->pdata[2])->availability, ==, TG_AVAILABILITY_UNKNOWN);

  /* Not a collection. */
  for (guint i = 0; i < 5; i++)
    {
      static const char *const bad[] = { "{}", "[]", "{\"value\":{}}", "{\"value\":null}", "null" };

      g_assert_null (parse_text (bad[i], &error));
      g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
      g_clear_error (&error);
    }
  g_assert_null (tg_presence_parse (NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);
}

static void
test_parse_status_message (void)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) parsed = NULL;
  static const char *const expected[] = {
    "Working from home today",   /* text, as is (trimmed) */
    "Back at 3 & then lunch",    /* html → plain text */
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  parsed = parse_text ("{\"value\":["
                       "{\"id\":\"a\",\"availability\":\"Busy\",\"activity\":\"InAMeeting\","
                       "\"statusMessage\":{\"message\":{\"content\":\" Working from home today \","
                       "\"contentType\":\"text\"}}},"
                       "{\"id\":\"b\",\"statusMessage\":{\"message\":{\"content\":"
                       "\"<p>Back at <b>3</b> &amp; then lunch</p>\",\"contentType\":\"html\"},"
                       "\"expiryDateTime\":{\"dateTime\":\"2026-12-04T17:00:00\",\"timeZone\":\"UTC\"}}},"
                       "{\"id\":\"c\",\"statusMessage\":null},"
                       "{\"id\":\"d\",\"statusMessage\":{\"message\":null}},"
                       "{\"id\":\"e\",\"statusMessage\":{\"message\":{\"content\":\"\",\"contentType\":\"text\"}}},"
                       "{\"id\":\"f\",\"statusMessage\":{\"message\":{\"content\":\"<p> </p>\",\"contentType\":\"html\"}}},"
                       "{\"id\":\"g\",\"statusMessage\":{\"message\":{\"content\":7}}},"
                       "{\"id\":\"h\",\"statusMessage\":\"hello\"},"
                       "{\"id\":\"i\",\"statusMessage\":[]},"
                       "{\"id\":\"j\"}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < parsed->len; i++)
    g_assert_cmpstr (((TgPresence *) parsed->pdata[i])->status_message, ==, expected[i]);
  /* The rest of the presence is unaffected. */
  g_assert_cmpstr (((TgPresence *) parsed->pdata[0])->activity, ==, "InAMeeting");
}

static void
test_availability_and_activity_text (void)
{
  static const struct {
    const char *word;
    TgAvailability availability;
  } availabilities[] = {
    { "Available", TG_AVAILABILITY_AVAILABLE }, { "AvailableIdle", TG_AVAILABILITY_AVAILABLE },
    { "Away", TG_AVAILABILITY_AWAY }, { "BeRightBack", TG_AVAILABILITY_AWAY },
    { "Busy", TG_AVAILABILITY_BUSY }, { "BusyIdle", TG_AVAILABILITY_BUSY },
    { "InACall", TG_AVAILABILITY_BUSY }, { "InAMeeting", TG_AVAILABILITY_BUSY },
    { "DoNotDisturb", TG_AVAILABILITY_DO_NOT_DISTURB }, { "Offline", TG_AVAILABILITY_OFFLINE },
    { "PresenceUnknown", TG_AVAILABILITY_UNKNOWN }, { "", TG_AVAILABILITY_UNKNOWN },
    { "Something", TG_AVAILABILITY_UNKNOWN }, { NULL, TG_AVAILABILITY_UNKNOWN },
  };
  static const struct {
    const char *activity;
    const char *text;
  } texts[] = {
    { "InAMeeting", "In a meeting" }, { "InACall", "In a call" },
    { "InAConferenceCall", "In a conference call" }, { "Presenting", "Presenting" },
    { "BeRightBack", "Be right back" }, { "OffWork", "Off work" },
    { "OutOfOffice", "Out of office" }, { "Inactive", "Inactive" },
    { "FocusingDeeply", "Focusing deeply" },
    { "Available", NULL }, { "Away", NULL }, { "Busy", NULL }, { "DoNotDisturb", NULL },
    { "Offline", NULL }, { "PresenceUnknown", NULL }, { "", NULL }, { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (availabilities); i++)
    g_assert_cmpint (tg_presence_availability_from_string (availabilities[i].word), ==,
                     availabilities[i].availability);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *text = tg_presence_activity_text (texts[i].activity);

      g_assert_cmpstr (text, ==, texts[i].text);
    }
}

/* ---- setUserPreferredPresence ---- */

static gboolean
set_preferred (Fx *fx, const char *availability, const char *activity, const char *expiration,
               GError **error)
{
  GfWait w = { 0 };
  gboolean ok;

  tg_presence_set_preferred_async (fx->graph, availability, activity, expiration, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  ok = tg_presence_set_preferred_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return ok;
}

static void
test_set_preferred (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  const char *me_id = fake_graph_user_id (fx->fg, ME);
  g_autoptr (GPtrArray) presences = NULL;
  g_autoptr (JsonNode) body = NULL;
  FakeRequest *r;
  GError *error = NULL;

  g_assert_true (set_preferred (fx, "DoNotDisturb", "DoNotDisturb", "PT8H", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 1);
  r = g_ptr_array_index (fake_graph_requests (fx->fg), 0);
  g_assert_cmpstr (r->method, ==, "POST");
  g_assert_cmpstr (r->path, ==, "/v1.0/me/presence/setUserPreferredPresence");
  body = tg_json_parse (r->body, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (body), "availability"), ==, "DoNotDisturb");
  g_assert_cmpstr (tg_json_string (tg_json_node_object (body), "activity"), ==, "DoNotDisturb");
  g_assert_cmpstr (tg_json_string (tg_json_node_object (body), "expirationDuration"), ==, "PT8H");
  g_assert_cmpuint (json_object_get_size (tg_json_node_object (body)), ==, 3);

  /* The emulator's presence follows. */
  presences = get_presences (fx, &me_id, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((TgPresence *) presences->pdata[0])->availability, ==, TG_AVAILABILITY_DO_NOT_DISTURB);

  /* No expiration: Graph's default (the member is left out). */
  fake_graph_clear_log (fx->fg);
  g_assert_true (set_preferred (fx, "Away", "Away", NULL, &error));
  r = g_ptr_array_index (fake_graph_requests (fx->fg), 0);
  g_assert_null (strstr (r->body, "expirationDuration"));

  /* Nothing to send: refused here, no request. */
  fake_graph_clear_log (fx->fg);
  g_assert_false (set_preferred (fx, "", "Away", NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 0);
  gf_fixture_free (fx);
}

static void
test_set_preferred_without_permission (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, "Presence.ReadWrite");
  GError *error = NULL;

  g_assert_false (set_preferred (fx, "Busy", "Busy", "PT8H", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/me/presence/setUserPreferredPresence"), ==, 1);
  gf_fixture_free (fx);
}

/* ---- setStatusMessage ---- */

static gboolean
set_status_message (Fx *fx, const char *text, GError **error)
{
  GfWait w = { 0 };
  gboolean ok;

  tg_presence_set_status_message_async (fx->graph, text, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  ok = tg_presence_set_status_message_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return ok;
}

/* The one logged request's body, re-serialised compactly (so member order is asserted too). */
static char *
logged_body (Fx *fx, const char *path)
{
  GPtrArray *log = fake_graph_requests (fx->fg);
  FakeRequest *r;
  g_autoptr (JsonNode) body = NULL;
  GError *error = NULL;

  g_assert_cmpuint (log->len, ==, 1);
  r = g_ptr_array_index (log, 0);
  g_assert_cmpstr (r->method, ==, "POST");
  g_assert_cmpstr (r->path, ==, path);
  body = tg_json_parse (r->body, -1, &error);
  g_assert_no_error (error);
  return json_to_string (body, FALSE);
}

#define SET_STATUS_MESSAGE "/v1.0/me/presence/setStatusMessage"

static void
test_status_message_body (void)
{
  static const struct {
    const char *text;
    const char *json;
  } cases[] = {
    { "Working from home today",
      "{\"statusMessage\":{\"message\":{\"content\":\"Working from home today\",\"contentType\":\"text\"}}}" },
    { "", "{\"statusMessage\":{\"message\":{\"content\":\"\",\"contentType\":\"text\"}}}" },
    { NULL, "{\"statusMessage\":{\"message\":{\"content\":\"\",\"contentType\":\"text\"}}}" },
    { "a \"quote\" <b>", "{\"statusMessage\":{\"message\":{\"content\":\"a \\\"quote\\\" <b>\",\"contentType\":\"text\"}}}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) body = tg_presence_status_message_body (cases[i].text);
      g_autofree char *json = json_to_string (body, FALSE);

      g_assert_cmpstr (json, ==, cases[i].json);
    }
}

static void
test_set_status_message (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  const char *me_id = fake_graph_user_id (fx->fg, ME);
  g_autoptr (GPtrArray) presences = NULL;
  g_autofree char *set = NULL, *cleared = NULL;
  GError *error = NULL;

  g_assert_true (set_status_message (fx, "Working from home today", &error));
  g_assert_no_error (error);
  set = logged_body (fx, SET_STATUS_MESSAGE);
  g_assert_cmpstr (set, ==, "{\"statusMessage\":{\"message\":{\"content\":"
                            "\"Working from home today\",\"contentType\":\"text\"}}}");
  g_assert_cmpstr (fake_graph_status_message (fx->fg, ME), ==, "Working from home today");

  /* What the others see of it, through getPresencesByUserId. */
  presences = get_presences (fx, &me_id, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((TgPresence *) presences->pdata[0])->status_message, ==, "Working from home today");

  fake_graph_clear_log (fx->fg);
  g_assert_true (set_status_message (fx, NULL, &error));
  cleared = logged_body (fx, SET_STATUS_MESSAGE);
  g_assert_cmpstr (cleared, ==, "{\"statusMessage\":{\"message\":{\"content\":\"\",\"contentType\":\"text\"}}}");
  g_assert_null (fake_graph_status_message (fx->fg, ME));
  gf_fixture_free (fx);
}

static void
test_set_status_message_without_permission (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, "Presence.ReadWrite");
  GError *error = NULL;

  g_assert_false (set_status_message (fx, "Lunch", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", SET_STATUS_MESSAGE), ==, 1);
  g_assert_null (fake_graph_status_message (fx->fg, ME));
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/presence/chunks-of-650", test_chunks_of_650);
  g_test_add_func ("/presence/exactly-650-is-one-call", test_exactly_650_is_one_call);
  g_test_add_func ("/presence/unknown-user-and-errors", test_unknown_user_and_errors);
  g_test_add_func ("/presence/cancel", test_cancel);
  g_test_add_func ("/presence/parse", test_parse);
  g_test_add_func ("/presence/parse-status-message", test_parse_status_message);
  g_test_add_func ("/presence/status-message-body", test_status_message_body);
  g_test_add_func ("/presence/set-status-message", test_set_status_message);
  g_test_add_func ("/presence/set-status-message-without-permission",
                   test_set_status_message_without_permission);
  g_test_add_func ("/presence/availability-and-activity-text", test_availability_and_activity_text);
  g_test_add_func ("/presence/set-preferred", test_set_preferred);
  g_test_add_func ("/presence/set-preferred-without-permission", test_set_preferred_without_permission);
  return g_test_run ();
}
