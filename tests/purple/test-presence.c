/* Presence scenarios: the built plugin in the headless test bed against the Graph emulator.
 * 700 buddies' presence in 2 calls; status changes (and their activity as the status message)
 * reflected within one interval, unchanged ones not pushed again; the own status sent with
 * setUserPreferredPresence (body asserted); the own status message sent with setStatusMessage
 * as plain text only when it changed, an empty one clearing it (bodies asserted); a token
 * without Presence.ReadWrite → one note and
 * no repeated requests; a token without presence read access → one note, no more polls; only
 * buddies in the list are asked for; closing with a presence request in flight. */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-json.h"
#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define PRESENCES "/v1.0/communications/getPresencesByUserId"
#define SET_PREFERRED "/v1.0/me/presence/setUserPreferredPresence"
#define SET_MESSAGE "/v1.0/me/presence/setStatusMessage"

/* ---- helpers ---- */

static PurpleAccount *
new_account (FakeGraph *fg, int presence_interval)
{
  PurpleAccount *acc = sc_account_new (fg, 1);

  purple_account_set_int (acc, "presence_interval", presence_interval);
  return acc;
}

/* One-on-one chats with each of `upns` (named by their UPNs). */
static FakeGraph *
tenant_with (const char *const *upns)
{
  FakeGraph *fg = tb_fake_new (ME);

  for (guint i = 0; upns[i] != NULL; i++)
    sc_one_on_one (fg, upns[i], upns[i]);
  return fg;
}

typedef struct {
  PurpleAccount *acc;
  const char *name;
  const char *status_id;
  const char *message;   /* NULL: none */
} StatusWait;

static gboolean
cond_status (gpointer data)
{
  StatusWait *w = data;
  PurpleStatus *status = sc_buddy_status (w->acc, w->name);

  return status != NULL && g_strcmp0 (purple_status_get_id (status), w->status_id) == 0
         && g_strcmp0 (purple_status_get_attr_string (status, "message"), w->message) == 0;
}

#define wait_status(acc, name, status_id, message) \
  G_STMT_START { \
    StatusWait w_ = { (acc), (name), (status_id), (message) }; \
    tb_wait (cond_status, &w_, 0); \
  } G_STMT_END

static guint status_changes;
static const char *watched_buddy;

/* "buddy-status-changed", "buddy-signed-on" and "buddy-signed-off" (going offline is a
 * sign-off to purple). */
static void
on_buddy_status_changed (PurpleBuddy *buddy, gpointer data)
{
  if (watched_buddy != NULL && g_str_equal (purple_buddy_get_name (buddy), watched_buddy))
    status_changes++;
}

/* ---- scenarios ---- */

typedef struct {
  PurpleAccount *acc;
  guint n;
} AllKnownWait;

static gboolean
cond_all_known (gpointer data)
{
  AllKnownWait *w = data;

  for (guint i = 0; i < w->n; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%03u@contoso.com", i);
      PurpleStatus *status = sc_buddy_status (w->acc, upn);

      if (status == NULL || g_str_equal (purple_status_get_id (status), "unknown"))
        return FALSE;
    }
  return TRUE;
}

static void
test_700_buddies_in_2_calls (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc;
  AllKnownWait w;
  GPtrArray *log;
  guint calls = 0, ids = 0;
  static const char *const availabilities[] = { "Available", "Away", "Busy", "DoNotDisturb" };
  static const char *const status_ids[] = { "available", "away", "busy", "dnd" };

  for (guint i = 0; i < 700; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%03u@contoso.com", i);

      sc_one_on_one (fg, upn, upn);
      fake_graph_set_presence (fg, upn, availabilities[i % 4], NULL);
    }
  /* One interval is longer than the test: only the sign-in fetch counts. */
  acc = new_account (fg, 3600);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  w = (AllKnownWait) { acc, 700 };
  tb_wait (cond_all_known, &w, 60000);

  for (guint i = 0; i < 700; i += 97)
    {
      g_autofree char *upn = g_strdup_printf ("user%03u@contoso.com", i);

      g_assert_cmpstr (purple_status_get_id (sc_buddy_status (acc, upn)), ==, status_ids[i % 4]);
    }
  tb_drain ();
  log = fake_graph_requests (fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = g_ptr_array_index (log, i);
      g_autoptr (JsonNode) body = NULL;

      if (!g_str_equal (r->path, PRESENCES))
        continue;
      body = tg_json_parse (r->body, -1, NULL);
      g_assert_cmpstr (r->method, ==, "POST");
      ids += tg_json_array_length (tg_json_array (tg_json_node_object (body), "ids"));
      g_assert_cmpuint (tg_json_array_length (tg_json_array (tg_json_node_object (body), "ids")), <=, 650);
      calls++;
    }
  g_assert_cmpuint (calls, ==, 2);
  g_assert_cmpuint (ids, ==, 700);
}

static void
test_changes_within_interval (void)
{
  static const char *const people[] = { BOB, CAROL, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc = new_account (fg, 1);
  guint before;

  fake_graph_set_presence (fg, BOB, "Available", NULL);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  wait_status (acc, BOB, "available", NULL);
  wait_status (acc, CAROL, "offline", NULL);

  /* Each change shows within one interval (the poll in flight, if any, or the next one),
   * with the activity as the message. */
  before = fake_graph_count (fg, "POST", PRESENCES);
  fake_graph_set_presence (fg, BOB, "Busy", "InAMeeting");
  wait_status (acc, BOB, "busy", "In a meeting");
  g_assert_cmpuint (fake_graph_count (fg, "POST", PRESENCES), <=, before + 2);
  fake_graph_set_presence (fg, BOB, "Busy", "InACall");
  wait_status (acc, BOB, "busy", "In a call");
  fake_graph_set_presence (fg, CAROL, "BeRightBack", NULL);
  wait_status (acc, CAROL, "away", "Be right back");
  fake_graph_set_presence (fg, CAROL, "DoNotDisturb", "Presenting");
  wait_status (acc, CAROL, "dnd", "Presenting");
  fake_graph_set_presence (fg, BOB, "AvailableIdle", "Available");
  wait_status (acc, BOB, "available", NULL);
  fake_graph_set_presence (fg, BOB, "PresenceUnknown", NULL);
  wait_status (acc, BOB, "unknown", NULL);
  fake_graph_set_presence (fg, BOB, "Away", "Away");
  wait_status (acc, BOB, "away", NULL);

  /* Nothing changes: two more polls push nothing to purple. */
  watched_buddy = BOB;
  status_changes = 0;
  before = fake_graph_count (fg, "POST", PRESENCES);
  sc_wait_more_requests (fg, "POST", PRESENCES, 2);
  tb_drain ();
  g_assert_cmpuint (status_changes, ==, 0);
  g_assert_cmpuint (fake_graph_count (fg, "POST", PRESENCES), >=, before + 2);
  /* …and the next change is pushed once. */
  fake_graph_set_presence (fg, BOB, "Offline", "OffWork");
  wait_status (acc, BOB, "offline", "Off work");
  sc_wait_more_requests (fg, "POST", PRESENCES, 2);
  tb_drain ();
  g_assert_cmpuint (status_changes, ==, 1);
  watched_buddy = NULL;
}

static void
test_own_status (void)
{
  static const char *const people[] = { BOB, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc = new_account (fg, 3600);
  static const struct {
    const char *status_id;
    const char *graph;
  } cases[] = {
    { "busy", "Busy" }, { "dnd", "DoNotDisturb" }, { "away", "Away" }, { "available", "Available" },
  };

  tb_account_connect (acc);
  tb_wait_connected (acc);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_PREFERRED), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) body = NULL;
      JsonObject *o;

      purple_account_set_status (acc, cases[i].status_id, TRUE, NULL);
      sc_wait_more_requests (fg, "POST", SET_PREFERRED, 1);
      g_assert_cmpuint (fake_graph_count (fg, "POST", SET_PREFERRED), ==, i + 1);
      o = gf_request_body (sc_last_request (fg, "POST", SET_PREFERRED), &body);
      g_assert_cmpstr (tg_json_string (o, "availability"), ==, cases[i].graph);
      g_assert_cmpstr (tg_json_string (o, "activity"), ==, cases[i].graph);
      g_assert_cmpstr (tg_json_string (o, "expirationDuration"), ==, "PT8H");
      g_assert_cmpuint (json_object_get_size (o), ==, 3);
    }
  /* The emulator took it (every answer was a success: no note). */
  g_assert_null (tb_events_find (TB_EV_NOTIFY, "Teams presence"));
}

/* The body of the last setStatusMessage, compact. */
static char *
last_message_body (FakeGraph *fg)
{
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *o = gf_request_body (sc_last_request (fg, "POST", SET_MESSAGE), &keep);

  g_assert_nonnull (o);
  return json_to_string (keep, FALSE);
}

static void
test_own_status_message (void)
{
  static const char *const people[] = { BOB, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc = new_account (fg, 3600);
  g_autofree char *set = NULL, *cleared = NULL;

  purple_account_set_int (acc, "poll_interval", 1);
  tb_account_connect (acc);
  tb_wait_connected (acc);

  /* No message typed and none sent yet: nothing to clear (a message set in Teams stays). */
  purple_account_set_status (acc, "dnd", TRUE, NULL);
  sc_wait_requests (fg, "POST", SET_PREFERRED, 1);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_MESSAGE), ==, 0);

  /* What the user typed, Pidgin's markup gone. */
  purple_account_set_status (acc, "busy", TRUE, "message", "Working <b>from</b> home &amp; more",
                             NULL);
  sc_wait_requests (fg, "POST", SET_MESSAGE, 1);
  set = last_message_body (fg);
  g_assert_cmpstr (set, ==, "{\"statusMessage\":{\"message\":{\"content\":"
                            "\"Working from home & more\",\"contentType\":\"text\"}}}");
  g_assert_cmpstr (fake_graph_status_message (fg, ME), ==, "Working from home & more");

  /* Another status, the same message (other markup, same text): only the presence goes. */
  purple_account_set_status (acc, "away", TRUE, "message", "<i>Working from home &amp; more</i>",
                             NULL);
  sc_wait_requests (fg, "POST", SET_PREFERRED, 3);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_MESSAGE), ==, 1);

  /* The message removed: Teams' is cleared. */
  purple_account_set_status (acc, "available", TRUE, NULL);
  sc_wait_requests (fg, "POST", SET_MESSAGE, 2);
  cleared = last_message_body (fg);
  g_assert_cmpstr (cleared, ==,
                   "{\"statusMessage\":{\"message\":{\"content\":\"\",\"contentType\":\"text\"}}}");
  g_assert_null (fake_graph_status_message (fg, ME));
  g_assert_null (tb_events_find (TB_EV_NOTIFY, "Teams presence"));
}

static void
test_no_presence_readwrite (void)
{
  static const char *const people[] = { BOB, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc;
  TbEvent *note;

  fake_graph_withhold_scope (fg, "Presence.ReadWrite");
  fake_graph_set_presence (fg, BOB, "Busy", "InAMeeting");
  acc = new_account (fg, 1);
  tb_account_connect (acc);
  tb_wait_connected (acc);

  purple_account_set_status (acc, "busy", TRUE, NULL);
  note = tb_wait_event (TB_EV_NOTIFY, "Your status was not changed in Teams");
  g_assert_nonnull (strstr (note->secondary, "Presence.ReadWrite"));
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_PREFERRED), ==, 1);

  /* Later changes stay in the client: no request, no second note, the connection stays. */
  purple_account_set_status (acc, "away", TRUE, NULL);
  purple_account_set_status (acc, "dnd", TRUE, NULL);
  sc_wait_more_requests (fg, "POST", PRESENCES, 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_PREFERRED), ==, 1);
  g_assert_cmpuint (tb_events_count (TB_EV_NOTIFY, "Your status was not changed"), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_MESSAGE), ==, 0);
  g_assert_true (purple_account_is_connected (acc));
  /* Reading presence needs no write permission. */
  wait_status (acc, BOB, "busy", "In a meeting");
}

/* A status with a message, Presence.ReadWrite withheld: both requests refused, one note. */
static void
test_no_presence_readwrite_message (void)
{
  static const char *const people[] = { BOB, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc;

  fake_graph_withhold_scope (fg, "Presence.ReadWrite");
  acc = new_account (fg, 1);
  tb_account_connect (acc);
  tb_wait_connected (acc);

  purple_account_set_status (acc, "busy", TRUE, "message", "Working from home", NULL);
  tb_wait_event (TB_EV_NOTIFY, "Your status was not changed in Teams");
  sc_wait_requests (fg, "POST", SET_MESSAGE, 1);
  g_assert_null (fake_graph_status_message (fg, ME));

  /* A new message later: kept in the client, no request, no second note. */
  purple_account_set_status (acc, "away", TRUE, "message", "Lunch", NULL);
  sc_wait_more_requests (fg, "POST", PRESENCES, 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_MESSAGE), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "POST", SET_PREFERRED), ==, 1);
  g_assert_cmpuint (tb_events_count (TB_EV_NOTIFY, "Your status was not changed"), ==, 1);
  g_assert_true (purple_account_is_connected (acc));
}

static void
test_no_presence_read (void)
{
  static const char *const people[] = { BOB, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc = new_account (fg, 1);

  fake_graph_add_fault (fg, "POST", PRESENCES, FAKE_FAULT_STATUS, 403, NULL, 0, 0);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  tb_wait_event (TB_EV_NOTIFY, "Your buddies' presence is not available");
  g_assert_cmpuint (fake_graph_count (fg, "POST", PRESENCES), ==, 1);

  /* The chat polls go on (several presence intervals); presence is not asked again. */
  for (guint i = 0; i < 3; i++)
    sc_wait_polls (fg, 1);
  tb_run_for (2100);
  g_assert_cmpuint (fake_graph_count (fg, "POST", PRESENCES), ==, 1);
  g_assert_cmpuint (tb_events_count (TB_EV_NOTIFY, "presence is not available"), ==, 1);
  g_assert_cmpstr (purple_status_get_id (sc_buddy_status (acc, BOB)), ==, "unknown");
  g_assert_true (purple_account_is_connected (acc));
}

static void
test_close_in_flight (void)
{
  static const char *const people[] = { BOB, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc = new_account (fg, 1);
  guint polls;

  fake_graph_add_fault (fg, "POST", PRESENCES, FAKE_FAULT_DELAY, 0, NULL, 1500, 1);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_polls (fg, 1);
  purple_account_set_status (acc, "busy", TRUE, NULL);
  tb_account_disconnect (acc);
  polls = fake_graph_count (fg, "GET", "/v1.0/me/chats");
  /* The delayed answer comes and goes; no timer fires for a closed account. */
  tb_run_for (2500);
  g_assert_cmpuint (fake_graph_count (fg, "POST", PRESENCES), <=, 1);
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/me/chats"), ==, polls);
  g_assert_null (tb_account_protocol_data (acc));
  g_assert_null (tb_events_find (TB_EV_NOTIFY, "Teams presence"));
}

static void
test_only_buddies_polled (void)
{
  static const char *const people[] = { BOB, CAROL, NULL };
  FakeGraph *fg = tenant_with (people);
  PurpleAccount *acc = new_account (fg, 1);
  g_autoptr (JsonNode) body = NULL;
  JsonArray *ids;

  fake_graph_set_presence (fg, CAROL, "Away", NULL);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  wait_status (acc, CAROL, "away", NULL);

  /* The user removes Carol from the list: her presence is no longer asked for. */
  purple_blist_remove_buddy (purple_find_buddy (acc, CAROL));
  sc_wait_more_requests (fg, "POST", PRESENCES, 2);
  ids = tg_json_array (gf_request_body (sc_last_request (fg, "POST", PRESENCES), &body), "ids");
  g_assert_cmpuint (tg_json_array_length (ids), ==, 1);
  g_assert_cmpstr (tg_json_array_string (ids, 0), ==, fake_graph_user_id (fg, BOB));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  for (guint i = 0; i < 3; i++)
    {
      static const char *const signals[] = { "buddy-status-changed", "buddy-signed-on",
                                             "buddy-signed-off" };

      purple_signal_connect (purple_blist_get_handle (), signals[i], &status_changes,
                             PURPLE_CALLBACK (on_buddy_status_changed), NULL);
    }
  tb_add ("/presence/700-buddies-in-2-calls", test_700_buddies_in_2_calls);
  tb_add ("/presence/changes-within-interval", test_changes_within_interval);
  tb_add ("/presence/own-status", test_own_status);
  tb_add ("/presence/own-status-message", test_own_status_message);
  tb_add ("/presence/no-presence-readwrite", test_no_presence_readwrite);
  tb_add ("/presence/no-presence-readwrite-message", test_no_presence_readwrite_message);
  tb_add ("/presence/no-presence-read", test_no_presence_read);
  tb_add ("/presence/only-buddies-polled", test_only_buddies_polled);
  tb_add ("/presence/close-in-flight", test_close_in_flight);
  return tb_run ();
}
