/* Sign-in scenarios: the built plugin in the headless test bed against the Graph emulator.
 * Each asserts what a user (or libpurple) would see: the device code prompt, connection state
 * and errors, the remembered password, and that no secret reaches the debug log. */
#include <string.h>

#include <libsoup/soup.h>

#include "core/tg-graph.h"
#include "core/tg-json.h"
#include "purple/scenario.h"
#include "purple/testbed.h"
#include "purple/tgp-account.h"

#define ME "alice@contoso.com"
#define TOKEN_PATH "/*/oauth2/v2.0/token"
#define DEVICECODE_PATH "/*/oauth2/v2.0/devicecode"

static PurpleAccount *
new_account (FakeGraph *fg, const char *refresh_token)
{
  PurpleAccount *acc = tb_account_new (fg, ME);

  if (refresh_token != NULL)
    {
      purple_account_set_remember_password (acc, TRUE);
      purple_account_set_password (acc, refresh_token);
    }
  return acc;
}

static TgpAccount *
tgp (PurpleAccount *acc)
{
  TgpAccount *ta = tb_account_protocol_data (acc);

  g_assert_nonnull (ta);
  return ta;
}

/* Number of logged requests to `path_glob` whose body contains `needle`. */
static guint
count_bodies (FakeGraph *fg, const char *path_glob, const char *needle)
{
  GPtrArray *log = fake_graph_requests (fg);
  g_autoptr (GPatternSpec) glob = g_pattern_spec_new (path_glob);
  guint n = 0;

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];
      if (g_pattern_spec_match_string (glob, r->path) && r->body != NULL && strstr (r->body, needle) != NULL)
        n++;
    }
  return n;
}

/* ---- a Graph GET through the connected account's own client (as modules do) ---- */

typedef struct {
  TgGraph *graph;
  gboolean done;
  JsonNode *node;
  GError *error;
} GetResult;

static void
on_get (GObject *source, GAsyncResult *result, gpointer data)
{
  GetResult *r = data;

  r->node = tg_graph_send_finish (r->graph, result, NULL, &r->error);
  r->done = TRUE;
}

/* GET `path` through the account's TgGraph, with the account's cancellable. */
static void
account_get (TgpAccount *ta, const char *path, GCancellable *cancellable, GetResult *r)
{
  memset (r, 0, sizeof *r);
  r->graph = tg_graph_ref (ta->graph);
  tg_graph_get_async (ta->graph, path, cancellable != NULL ? cancellable : ta->cancellable, on_get, r);
}

static gboolean
cond_get_done (gpointer data)
{
  return ((GetResult *) data)->done;
}

static void
get_result_clear (GetResult *r)
{
  g_clear_pointer (&r->node, json_node_unref);
  g_clear_error (&r->error);
  g_clear_pointer (&r->graph, tg_graph_unref);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_registration (void)
{
  PurplePlugin *prpl = purple_find_prpl (TB_PLUGIN_ID);
  PurplePluginProtocolInfo *info;
  GList *options, *types, *entries;
  GHashTable *defaults;
  gboolean seen_graph = FALSE, seen_login = FALSE, seen_tenant = FALSE, seen_client = FALSE;
  gboolean seen_poll = FALSE, seen_presence = FALSE, seen_auth = FALSE;
  /* "unknown" is for buddies only (not user-settable): listed, not claimed available. */
  const char *ids[] = { "available", "away", "busy", "dnd", "offline", "unknown" };
  PurpleStatusPrimitive prims[] = { PURPLE_STATUS_AVAILABLE, PURPLE_STATUS_AWAY,
                                    PURPLE_STATUS_UNAVAILABLE, PURPLE_STATUS_UNAVAILABLE,
                                    PURPLE_STATUS_OFFLINE, PURPLE_STATUS_AWAY };
  PurpleAccount *acc;
  guint i = 0;

  g_assert_nonnull (prpl);
  g_assert_cmpstr (prpl->info->name, ==, "Teams (Graph)");
  info = PURPLE_PLUGIN_PROTOCOL_INFO (prpl);
  g_assert_true (info->options & OPT_PROTO_NO_PASSWORD);
  g_assert_true (info->options & OPT_PROTO_CHAT_TOPIC);
  g_assert_cmpstr (info->list_icon (NULL, NULL), ==, "teams-graph");

  for (options = info->protocol_options; options != NULL; options = options->next)
    {
      PurpleAccountOption *opt = options->data;
      const char *key = purple_account_option_get_setting (opt);
      if (g_str_equal (key, "graph_url"))
        seen_graph = g_str_equal (purple_account_option_get_default_string (opt),
                                  "https://graph.microsoft.com/v1.0");
      else if (g_str_equal (key, "login_url"))
        seen_login = g_str_equal (purple_account_option_get_default_string (opt),
                                  "https://login.microsoftonline.com");
      else if (g_str_equal (key, "tenant"))
        seen_tenant = g_str_equal (purple_account_option_get_default_string (opt), "organizations");
      else if (g_str_equal (key, "client_id"))
        seen_client = g_str_equal (purple_account_option_get_default_string (opt),
                                   "14d82eec-204b-4c2f-b7e8-296a70dab67e");
      else if (g_str_equal (key, "poll_interval"))
        seen_poll = purple_account_option_get_default_int (opt) == 5;
      else if (g_str_equal (key, "presence_interval"))
        seen_presence = purple_account_option_get_default_int (opt) == 60;
      else if (g_str_equal (key, "auth_method"))
        seen_auth = purple_account_option_get_type (opt) == PURPLE_PREF_STRING_LIST
                    && g_str_equal (purple_account_option_get_default_list_value (opt), "device_code");
    }
  g_assert_true (seen_graph && seen_login && seen_tenant && seen_client);
  g_assert_true (seen_poll && seen_presence && seen_auth);

  acc = tb_account_new (NULL, ME);
  types = info->status_types (acc);
  for (GList *l = types; l != NULL; l = l->next, i++)
    {
      g_assert_cmpuint (i, <, G_N_ELEMENTS (ids));
      g_assert_cmpstr (purple_status_type_get_id (l->data), ==, ids[i]);
      g_assert_cmpint (purple_status_type_get_primitive (l->data), ==, prims[i]);
      g_assert_cmpint (purple_status_type_is_user_settable (l->data), ==,
                       !g_str_equal (ids[i], "unknown"));
    }
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (ids));
  g_list_free_full (types, (GDestroyNotify) purple_status_type_destroy);

  /* bitlbee asks for the chat components without a connection. */
  entries = info->chat_info (NULL);
  g_assert_cmpuint (g_list_length (entries), ==, 2);
  g_assert_cmpstr (((struct proto_chat_entry *) entries->data)->identifier, ==, "id");
  g_assert_cmpstr (((struct proto_chat_entry *) entries->next->data)->identifier, ==, "topic");
  g_list_free_full (entries, g_free);
  g_assert_nonnull (info->chat_info_defaults);
  defaults = info->chat_info_defaults (NULL, "19:abc@thread.v2");
  g_assert_cmpstr (g_hash_table_lookup (defaults, "id"), ==, "19:abc@thread.v2");
  g_hash_table_unref (defaults);
  defaults = info->chat_info_defaults (NULL, "Project X");
  g_assert_cmpstr (g_hash_table_lookup (defaults, "topic"), ==, "Project X");
  g_assert_null (g_hash_table_lookup (defaults, "id"));
  g_hash_table_unref (defaults);
  defaults = info->chat_info_defaults (NULL, NULL);
  g_assert_cmpuint (g_hash_table_size (defaults), ==, 0);
  g_hash_table_unref (defaults);
}

/* Device code shown, authorization_pending a few times, then connected with /me read and the
 * refresh token remembered; the next connect uses it and shows no code. */
static void
test_device_code (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  g_autofree char *uri = g_strdup_printf ("%s/devicelogin", fake_graph_base_url (fg));
  g_autofree char *expected = NULL;
  g_autofree char *password = NULL;
  const char *code;
  TbEvent *prompt;
  TgpAccount *ta;

  fake_graph_set_device_auto_approve (fg, 3);   /* pending, pending, pending, approved */
  tb_account_connect (acc);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  code = fake_graph_last_user_code (fg);
  g_assert_nonnull (code);
  /* The URL and the code on their own, readable in Finch and bitlbee as plain text. */
  expected = g_strdup_printf ("To sign in, open %s and enter the code %s", uri, code);
  g_assert_cmpstr (prompt->primary, ==, expected);
  g_assert_cmpint (prompt->code, ==, PURPLE_REQUEST_ACTION);
  g_assert_true (prompt->account == acc);
  g_assert_nonnull (strstr (prompt->secondary, ME));
  /* bitlbee maps "OK" and "Cancel" captions to its yes/no answers. */
  g_assert_cmpstr (tb_request_action_labels (prompt)[0], ==, "OK");
  g_assert_cmpstr (tb_request_action_labels (prompt)[1], ==, "Cancel sign-in");
  g_assert_null (tb_events_find (TB_EV_NOTIFY, NULL));   /* no notify_uri, no second dialog */

  tb_wait_connected (acc);
  g_assert_false (tb_request_is_open (prompt));
  g_assert_nonnull (tb_events_find (TB_EV_REQUEST_CLOSED, "enter the code"));
  g_assert_cmpuint (fake_graph_count (fg, "POST", DEVICECODE_PATH), ==, 1);
  g_assert_cmpuint (count_bodies (fg, TOKEN_PATH, "grant_type=urn"), ==, 4);
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/me"), ==, 1);
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
  g_assert_nonnull (tb_events_find (TB_EV_PROGRESS, "Waiting for you to sign in"));

  ta = tgp (acc);
  g_assert_true (ta->ready);
  g_assert_cmpstr (ta->self_upn, ==, ME);
  g_assert_cmpstr (ta->self_id, ==, fake_graph_user_id (fg, ME));
  g_assert_nonnull (ta->self_display_name);
  g_assert_nonnull (ta->tenant_id);
  g_assert_nonnull (purple_account_get_password (acc));
  g_assert_true (purple_account_get_remember_password (acc));
  password = g_strdup (purple_account_get_password (acc));

  /* Second connect: the remembered refresh token, no device code. */
  tb_account_disconnect (acc);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  tb_account_connect (acc);
  tb_wait_connected (acc);
  g_assert_null (tb_events_find (TB_EV_REQUEST, NULL));
  g_assert_cmpuint (fake_graph_count (fg, "POST", DEVICECODE_PATH), ==, 0);
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, 1);
  g_assert_cmpuint (count_bodies (fg, TOKEN_PATH, "grant_type=refresh_token"), ==, 1);
  {
    g_autofree char *form = soup_form_encode ("refresh_token", password, NULL);
    g_assert_cmpuint (count_bodies (fg, TOKEN_PATH, form), ==, 1);
  }
  /* The newest refresh token is the one kept. */
  g_assert_cmpstr (purple_account_get_password (acc), !=, password);
}

/* The access token expires mid-session: the next request gets a 401, the token is refreshed
 * and the request replayed, and the user sees nothing. */
static void
test_token_expiry (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  GetResult r = { 0 };
  TgpAccount *ta;
  GPtrArray *log;
  guint statuses[2], n = 0;

  tb_account_connect (acc);
  tb_wait_connected (acc);
  ta = tgp (acc);

  fake_graph_expire_access_tokens (fg);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  account_get (ta, "/me", NULL, &r);
  tb_wait (cond_get_done, &r, 0);
  g_assert_no_error (r.error);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r.node), "id"), ==, fake_graph_user_id (fg, ME));
  get_result_clear (&r);

  g_assert_cmpuint (count_bodies (fg, TOKEN_PATH, "grant_type=refresh_token"), ==, 1);
  log = fake_graph_requests (fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *req = log->pdata[i];
      if (g_str_equal (req->path, "/v1.0/me") && n < 2)
        statuses[n++] = req->status;
    }
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (statuses[0], ==, 401);
  g_assert_cmpuint (statuses[1], ==, 200);
  g_assert_true (purple_account_is_connected (acc));
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
  g_assert_null (tb_events_find (TB_EV_REQUEST, NULL));
  g_assert_null (tb_events_find (TB_EV_NOTIFY, NULL));
  g_assert_cmpstr (purple_account_get_password (acc), !=, rt);
}

/* A revoked refresh token is not a dead account: a new device code sign-in follows. */
static void
test_revoked_refresh_token (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  TbEvent *prompt;

  fake_graph_revoke_refresh_tokens (fg);
  tb_account_connect (acc);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  g_assert_nonnull (strstr (prompt->primary, fake_graph_last_user_code (fg)));
  tb_wait_connected (acc);
  g_assert_cmpuint (count_bodies (fg, TOKEN_PATH, "grant_type=refresh_token"), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "POST", DEVICECODE_PATH), ==, 1);
  g_assert_nonnull (purple_account_get_password (acc));
  g_assert_cmpstr (purple_account_get_password (acc), !=, rt);
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
}

/* The refresh token is revoked while connected: the next refresh shows a device code prompt,
 * and the request that needed it completes once the user has signed in again. */
static void
test_revoked_mid_session (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  GetResult r = { 0 };
  TgpAccount *ta;
  TbEvent *prompt;

  tb_account_connect (acc);
  tb_wait_connected (acc);
  ta = tgp (acc);
  fake_graph_set_device_auto_approve (fg, -1);
  fake_graph_revoke_refresh_tokens (fg);
  fake_graph_expire_access_tokens (fg);
  tb_events_mark ();
  account_get (ta, "/me", NULL, &r);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  g_assert_false (r.done);
  g_assert_true (fake_graph_approve_device_code (fg, fake_graph_last_user_code (fg)));
  tb_wait (cond_get_done, &r, 0);
  g_assert_no_error (r.error);
  get_result_clear (&r);
  g_assert_false (tb_request_is_open (prompt));
  g_assert_true (purple_account_is_connected (acc));
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
}

/* Declined: an authentication error that libpurple does not retry by itself. */
static void
test_declined (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  TbEvent *prompt, *error;
  guint polls;

  fake_graph_set_device_auto_approve (fg, -1);
  tb_account_connect (acc);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  g_assert_true (fake_graph_decline_device_code (fg, fake_graph_last_user_code (fg)));
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED);
  g_assert_true (error->fatal);
  g_assert_nonnull (strstr (error->text, "declined"));
  g_assert_false (tb_request_is_open (prompt));
  tb_wait_disconnected (acc);
  polls = fake_graph_count (fg, "POST", TOKEN_PATH);
  tb_run_for (200);
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, polls);
  g_assert_cmpuint (tb_events_count (TB_EV_CONN_ERROR, NULL), ==, 1);
  g_assert_null (purple_account_get_password (acc));
}

/* The user presses "Cancel sign-in": an authentication error, polling stops. */
static void
test_cancelled_by_user (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  TbEvent *prompt, *error;
  guint polls;

  fake_graph_set_device_auto_approve (fg, -1);
  tb_account_connect (acc);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  g_assert_true (tb_request_choose_label (prompt, "Cancel sign-in"));
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED);
  g_assert_nonnull (strstr (error->text, "cancelled"));
  tb_wait_disconnected (acc);
  polls = fake_graph_count (fg, "POST", TOKEN_PATH);
  tb_run_for (200);
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, polls);
}

/* "OK" only hides the prompt: sign-in goes on. */
static void
test_prompt_ok_keeps_polling (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  TbEvent *prompt;

  fake_graph_set_device_auto_approve (fg, -1);
  tb_account_connect (acc);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  g_assert_true (tb_request_choose_label (prompt, "OK"));
  g_assert_true (fake_graph_approve_device_code (fg, fake_graph_last_user_code (fg)));
  tb_wait_connected (acc);
}

/* The code expires before the user signs in. */
static void
test_code_expired (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  TbEvent *error;

  fake_graph_set_device_auto_approve (fg, -1);
  fake_graph_set_device_code_lifetime (fg, 1);
  tb_account_connect (acc);
  tb_wait_event (TB_EV_REQUEST, "enter the code");
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED);
  g_assert_nonnull (strstr (error->text, "expired"));
  g_assert_true (error->fatal);
}

/* Nothing listens: a network error, which clients retry (not fatal). */
static void
test_unreachable (void)
{
  guint port = tb_unused_port ();
  g_autofree char *base = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree char *graph = g_strdup_printf ("http://127.0.0.1:%u/v1.0", port);
  PurpleAccount *acc = tb_account_new (NULL, ME);
  TbEvent *error;

  purple_account_set_string (acc, "graph_url", graph);
  purple_account_set_string (acc, "login_url", base);
  tb_account_connect (acc);
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_NETWORK_ERROR);
  g_assert_false (error->fatal);
  g_assert_false (purple_connection_error_is_fatal (error->code));
  tb_wait_disconnected (acc);
}

/* The sign-in server fails (503) or throttles: a network error, retried by clients. */
static void
test_server_error (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  TbEvent *error;

  fake_graph_add_fault (fg, "POST", TOKEN_PATH, FAKE_FAULT_STATUS, 503, NULL, 0, 0);
  tb_account_connect (acc);
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_NETWORK_ERROR);
  g_assert_false (error->fatal);
  /* The stored refresh token was not thrown away by a server failure. */
  g_assert_cmpstr (purple_account_get_password (acc), ==, rt);
}

/* /me failing with 5xx after sign-in is a network error too. */
static void
test_profile_server_error (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  TbEvent *error;
  TgpAccount *ta;

  fake_graph_add_fault (fg, "GET", "/v1.0/me", FAKE_FAULT_STATUS, 503, "0", 0, 0);
  tb_account_connect (acc);
  ta = tgp (acc);
  tg_graph_set_retry_policy (ta->graph, 2, 0.001);
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_NETWORK_ERROR);
  g_assert_nonnull (strstr (error->text, "profile"));
}

static void
expect_invalid_settings (const char *key, const char *value, const char *in_text)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  TbEvent *error;

  purple_account_set_string (acc, key, value);
  tb_events_mark ();
  tb_account_connect (acc);
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS);
  g_assert_true (error->fatal);
  if (in_text != NULL && strstr (error->text, in_text) == NULL)
    g_error ("connection error \"%s\" does not mention \"%s\"", error->text, in_text);
  tb_wait_disconnected (acc);
  g_assert_cmpuint (fake_graph_requests (fg)->len, ==, 0);   /* nothing was sent anywhere */
  tb_reset ();
}

static void
test_invalid_settings (void)
{
  expect_invalid_settings ("graph_url", "http://example.com/v1.0", "graph_url");
  expect_invalid_settings ("graph_url", "not a url at all", "graph_url");
  expect_invalid_settings ("login_url", "http://example.com", "login_url");
  expect_invalid_settings ("login_url", "ftp://127.0.0.1/", "login_url");
  expect_invalid_settings ("tenant", "../../evil", "tenant");
  expect_invalid_settings ("client_id", "a b", "client_id");
  expect_invalid_settings ("auth_method", "password", "auth_method");
}

/* Closing while the device code is being polled: the prompt goes, polling stops, nothing
 * calls back into the closed connection (ASan would see a use after free). */
static void
test_close_while_polling (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  TbEvent *prompt;
  guint polls, events;

  fake_graph_set_device_auto_approve (fg, -1);
  tb_account_connect (acc);
  prompt = tb_wait_event (TB_EV_REQUEST, "enter the code");
  tb_run_for (50);   /* some polls */
  tb_account_disconnect (acc);
  g_assert_false (tb_request_is_open (prompt));
  g_assert_true (purple_account_is_disconnected (acc));
  polls = fake_graph_count (fg, "POST", TOKEN_PATH);
  events = tb_events ()->len;
  g_assert_true (fake_graph_approve_device_code (fg, fake_graph_last_user_code (fg)));
  tb_run_for (300);
  /* At most the poll that was on the wire when the account closed. */
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), <=, polls + 1);
  g_assert_cmpuint (tb_events ()->len, ==, events);
  g_assert_null (tb_events_find (TB_EV_CONNECTED, NULL));
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
}

/* Closing while a token request is on the wire. */
static void
test_close_during_token_request (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  guint events;

  fake_graph_add_fault (fg, "POST", TOKEN_PATH, FAKE_FAULT_DELAY, 0, NULL, 300, 0);
  tb_account_connect (acc);
  tb_wait_event (TB_EV_PROGRESS, "Signing in");
  tb_run_for (50);
  tb_account_disconnect (acc);
  events = tb_events ()->len;
  tb_run_for (500);
  g_assert_cmpuint (tb_events ()->len, ==, events);
  g_assert_null (tb_events_find (TB_EV_CONNECTED, NULL));
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
  /* A refresh token that came back after the close is not stored. */
  g_assert_cmpstr (purple_account_get_password (acc), ==, rt);
}

/* Closing while GET /me is on the wire. */
static void
test_close_during_profile_request (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  guint events;

  fake_graph_add_fault (fg, "GET", "/v1.0/me", FAKE_FAULT_DELAY, 0, NULL, 300, 0);
  tb_account_connect (acc);
  tb_wait_event (TB_EV_PROGRESS, "Reading your profile");
  tb_run_for (50);
  tb_account_disconnect (acc);
  events = tb_events ()->len;
  tb_run_for (500);
  g_assert_cmpuint (tb_events ()->len, ==, events);
  g_assert_null (tb_events_find (TB_EV_CONNECTED, NULL));
}

/* Closing while a mid-session refresh is on the wire: the waiting request is cancelled. */
static void
test_close_during_refresh (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  PurpleAccount *acc = new_account (fg, rt);
  GetResult r = { 0 };
  TgpAccount *ta;
  GCancellable *cancellable;

  tb_account_connect (acc);
  tb_wait_connected (acc);
  ta = tgp (acc);
  fake_graph_expire_access_tokens (fg);
  fake_graph_add_fault (fg, "POST", TOKEN_PATH, FAKE_FAULT_DELAY, 0, NULL, 300, 0);
  cancellable = g_object_ref (ta->cancellable);
  account_get (ta, "/me", cancellable, &r);
  tb_run_for (50);
  tb_account_disconnect (acc);
  tb_wait (cond_get_done, &r, 0);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  get_result_clear (&r);
  tb_run_for (400);
  g_object_unref (cancellable);
}

/* ---- the secrets check ---- */

static void
add_form_secrets (GPtrArray *secrets, FakeGraph *fg)
{
  GPtrArray *log = fake_graph_requests (fg);

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];
      GHashTable *form;
      const char *keys[] = { "device_code", "refresh_token", "code", "code_verifier" };

      if (r->body == NULL || strstr (r->path, "/oauth2/") == NULL)
        continue;
      form = soup_form_decode (r->body);
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          const char *v = g_hash_table_lookup (form, keys[k]);
          if (v != NULL && *v != '\0')
            g_ptr_array_add (secrets, g_strdup (v));
        }
      g_hash_table_unref (form);
    }
}

/* Every access token the emulator issued. */
static void
add_access_tokens (GPtrArray *secrets, FakeGraph *fg)
{
  g_autoptr (GPtrArray) tokens = fake_graph_issued_access_tokens (fg);

  for (guint i = 0; i < tokens->len; i++)
    g_ptr_array_add (secrets, g_strdup (tokens->pdata[i]));
}

static void
add_secret (GPtrArray *secrets, const char *value)
{
  if (value != NULL && *value != '\0')
    g_ptr_array_add (secrets, g_strdup (value));
}

/* A full life: device code with pending polls, reconnect with the refresh token,
 * expiry and refresh, revocation and a new device code, a declined code. Then neither the
 * debug log (purple debug + every GLib message) nor any connection error holds a token, a
 * device code or a user code. */
static void
test_no_secrets_in_logs (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_account (fg, NULL);
  g_autoptr (GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  GetResult r = { 0 };
  const char *log;
  TgpAccount *ta;
  guint checked = 0;

  /* 1. device code sign-in (pending twice) */
  fake_graph_set_device_auto_approve (fg, 2);
  tb_account_connect (acc);
  tb_wait_event (TB_EV_REQUEST, "enter the code");
  add_secret (secrets, fake_graph_last_user_code (fg));
  tb_wait_connected (acc);
  add_secret (secrets, purple_account_get_password (acc));
  add_access_tokens (secrets, fg);

  /* 2. expiry mid-session → refresh */
  ta = tgp (acc);
  fake_graph_expire_access_tokens (fg);
  account_get (ta, "/me", NULL, &r);
  tb_wait (cond_get_done, &r, 0);
  g_assert_no_error (r.error);
  get_result_clear (&r);
  add_secret (secrets, purple_account_get_password (acc));
  add_access_tokens (secrets, fg);

  /* 3. reconnect with the stored refresh token */
  tb_account_disconnect (acc);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  add_secret (secrets, purple_account_get_password (acc));

  /* 4. revoked → device code again */
  tb_account_disconnect (acc);
  fake_graph_revoke_refresh_tokens (fg);
  fake_graph_set_device_auto_approve (fg, 1);
  tb_events_mark ();
  tb_account_connect (acc);
  tb_wait_event (TB_EV_REQUEST, "enter the code");
  add_secret (secrets, fake_graph_last_user_code (fg));
  tb_wait_connected (acc);
  add_secret (secrets, purple_account_get_password (acc));

  /* 5. a declined code */
  tb_account_disconnect (acc);
  purple_account_set_password (acc, NULL);
  fake_graph_set_device_auto_approve (fg, -1);
  tb_events_mark ();
  tb_account_connect (acc);
  tb_wait_event (TB_EV_REQUEST, "enter the code");
  add_secret (secrets, fake_graph_last_user_code (fg));
  fake_graph_decline_device_code (fg, fake_graph_last_user_code (fg));
  tb_wait_event (TB_EV_CONN_ERROR, NULL);
  tb_wait_disconnected (acc);

  add_form_secrets (secrets, fg);
  add_access_tokens (secrets, fg);

  log = tb_debug_log ();
  /* The capture works: the core's and libpurple's lines are there. */
  g_assert_nonnull (strstr (log, "token refreshed, expires in"));
  g_assert_nonnull (strstr (log, "device code sign-in"));
  g_assert_nonnull (strstr (log, "GET /v1.0/me"));
  g_assert_cmpuint (secrets->len, >=, 8);
  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = secrets->pdata[i];
      if (strlen (secret) < 6)
        continue;
      checked++;
      sc_assert_secret_hidden (secret, i);
    }
  g_assert_cmpuint (checked, >=, 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/signin/registration", test_registration);
  tb_add ("/signin/device-code", test_device_code);
  tb_add ("/signin/token-expiry", test_token_expiry);
  tb_add ("/signin/revoked-refresh-token", test_revoked_refresh_token);
  tb_add ("/signin/revoked-mid-session", test_revoked_mid_session);
  tb_add ("/signin/declined", test_declined);
  tb_add ("/signin/cancelled-by-user", test_cancelled_by_user);
  tb_add ("/signin/prompt-ok-keeps-polling", test_prompt_ok_keeps_polling);
  tb_add ("/signin/code-expired", test_code_expired);
  tb_add ("/signin/unreachable", test_unreachable);
  tb_add ("/signin/server-error", test_server_error);
  tb_add ("/signin/profile-server-error", test_profile_server_error);
  tb_add ("/signin/invalid-settings", test_invalid_settings);
  tb_add ("/signin/close-while-polling", test_close_while_polling);
  tb_add ("/signin/close-during-token-request", test_close_during_token_request);
  tb_add ("/signin/close-during-profile-request", test_close_during_profile_request);
  tb_add ("/signin/close-during-refresh", test_close_during_refresh);
  tb_add ("/signin/no-secrets-in-logs", test_no_secrets_in_logs);
  return tb_run ();
}
