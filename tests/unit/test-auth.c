/* Unit tests for tg-auth: device code sign-in and token refresh.
 *
 * Two kinds of server, in-process on the test's main context:
 *   - the Graph + identity emulator (fake-graph.h): the real flows (pending, slow_down,
 *     declined, expired, refresh, revocation, 401 after expiry);
 *   - a scripted SoupServer ("script"): answers the emulator never gives (invalid_client,
 *     bad_verification_code, 5xx, malformed replies, string expires_in, an exact id token).
 * Waiting = iterating the main context until a condition holds, with a 20 s hang guard.
 */
#include <string.h>

#include <libsoup/soup.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "core/tg-graph.h"
#include "core/tg-json.h"
#include "fake-graph/fake-graph.h"

#define ME "alice@contoso.com"
#define CLIENT_ID "14d82eec-204b-4c2f-b7e8-296a70dab67e"

/* ------------------------------------------------------------------------------------------ */
/* Waiting                                                                                     */

static gboolean
cond_flag (gpointer data)
{
  return *(gboolean *) data;
}

/* ------------------------------------------------------------------------------------------ */
/* A TgAuth with recording callbacks                                                           */

typedef struct {
  SoupSession *session;
  TgAuth *auth;
  guint shown;
  guint closed;
  char *uri;
  char *user_code;
  char *message;
  guint expires_in;
  GPtrArray *refresh_tokens;   /* every refresh_token_changed value ("" for NULL) */
  /* sign-in outcome */
  gboolean done;
  gboolean ok;
  GError *error;
  guint completions;
} Fixture;

static void
cb_show (gpointer data, const char *uri, const char *user_code, const char *message, guint expires_in)
{
  Fixture *f = data;

  f->shown++;
  g_free (f->uri);
  g_free (f->user_code);
  g_free (f->message);
  f->uri = g_strdup (uri);
  f->user_code = g_strdup (user_code);
  f->message = g_strdup (message);
  f->expires_in = expires_in;
}

static void
cb_close (gpointer data)
{
  ((Fixture *) data)->closed++;
}

static void
cb_refresh_token (gpointer data, const char *token)
{
  g_ptr_array_add (((Fixture *) data)->refresh_tokens, g_strdup (token != NULL ? token : ""));
}

static const TgAuthCallbacks callbacks = {
  .show_device_code = cb_show,
  .close_device_code = cb_close,
  .refresh_token_changed = cb_refresh_token,
};

static void
fixture_init (Fixture *f, const char *login_url, const char *tenant)
{
  GError *error = NULL;

  memset (f, 0, sizeof *f);
  f->session = soup_session_new ();
  f->refresh_tokens = g_ptr_array_new_with_free_func (g_free);
  f->auth = tg_auth_new (f->session, login_url, tenant, CLIENT_ID, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->auth);
  tg_auth_set_callbacks (f->auth, &callbacks, f);
}

static void
fixture_clear (Fixture *f)
{
  tg_auth_free (f->auth);
  /* Cancelled work finishes from idles; then the server side must see our connections close
   * before the server goes, or libsoup leaks its end of them. */
  gf_spin_ms (20);
  soup_session_abort (f->session);
  g_object_unref (f->session);
  gf_spin_ms (20);
  g_free (f->uri);
  g_free (f->user_code);
  g_free (f->message);
  g_ptr_array_unref (f->refresh_tokens);
  g_clear_error (&f->error);
}

static void
on_signed_in (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *f = data;

  f->completions++;
  g_clear_error (&f->error);
  f->ok = tg_auth_sign_in_finish (f->auth, result, &f->error);
  f->done = TRUE;
}

static void
sign_in (Fixture *f, GCancellable *cancellable)
{
  f->done = FALSE;
  tg_auth_sign_in_async (f->auth, cancellable, on_signed_in, f);
}

static void
sign_in_and_wait (Fixture *f)
{
  sign_in (f, NULL);
  gf_wait_until (cond_flag, &f->done);
}

/* A device code sign-in the user has not approved yet: started, and its code shown. */
static void
start_unapproved_sign_in (Fixture *f, FakeGraph *fg, GCancellable *cancellable)
{
  fake_graph_set_device_auto_approve (fg, -1);
  fixture_init (f, fake_graph_base_url (fg), "organizations");
  sign_in (f, cancellable);
  gf_wait_until (cond_flag, &f->shown);
}

static FakeGraph *
new_fake (void)
{
  FakeGraph *fg = fake_graph_new (ME);
  GError *error = NULL;

  g_assert_true (fake_graph_listen (fg, 0, &error));
  g_assert_no_error (error);
  fake_graph_set_device_interval (fg, 0);
  return fg;
}

/* Number of token requests whose form body contains `needle`. */
static guint
token_requests (FakeGraph *fg, const char *needle)
{
  GPtrArray *log = fake_graph_requests (fg);
  guint n = 0;

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];
      if (g_str_has_suffix (r->path, "/oauth2/v2.0/token") && r->body != NULL
          && (needle == NULL || strstr (r->body, needle) != NULL))
        n++;
    }
  return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Against the emulator                                                                        */

static void
test_new_checks_settings (void)
{
  SoupSession *session = soup_session_new ();
  GError *error = NULL;

  g_assert_null (tg_auth_new (session, "http://example.com", "organizations", CLIENT_ID, NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "login_url"));
  g_clear_error (&error);
  g_assert_null (tg_auth_new (session, "https://login.example.com", "a/../b", CLIENT_ID, NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_clear_error (&error);
  g_assert_null (tg_auth_new (session, "https://login.example.com", "organizations", "", NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_clear_error (&error);
  g_object_unref (session);
}

/* Pending, pending, approved: one prompt with the server's URL and code, then closed; the
 * refresh token is reported; the tenant id comes from the id token. */
static void
test_device_code (void)
{
  FakeGraph *fg = new_fake ();
  g_autofree char *uri = g_strdup_printf ("%s/devicelogin", fake_graph_base_url (fg));
  Fixture f;

  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  fake_graph_set_device_auto_approve (fg, 2);
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);
  g_assert_true (f.ok);
  g_assert_cmpuint (f.shown, ==, 1);
  g_assert_cmpuint (f.closed, ==, 1);
  g_assert_cmpstr (f.uri, ==, uri);
  g_assert_cmpstr (f.user_code, ==, fake_graph_last_user_code (fg));
  g_assert_cmpuint (f.expires_in, ==, 900);
  g_assert_cmpuint (token_requests (fg, "device_code="), ==, 3);
  g_assert_cmpuint (f.refresh_tokens->len, ==, 1);
  g_assert_cmpuint (strlen (f.refresh_tokens->pdata[0]), >, 0);
  g_assert_true (tg_auth_has_valid_token (f.auth));
  g_assert_nonnull (tg_auth_get_tenant_id (f.auth));
  g_assert_cmpfloat (tg_auth_get_poll_interval (f.auth), ==, 0.01);   /* 0 → the floor */
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* The poll follows the server's interval (1 s): no slow_down when obeyed. */
static void
test_follows_interval (void)
{
  FakeGraph *fg = new_fake ();
  Fixture f;

  fake_graph_set_device_interval (fg, 1);
  fake_graph_set_device_auto_approve (fg, 1);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);
  g_assert_cmpuint (token_requests (fg, "device_code="), ==, 2);
  g_assert_cmpfloat (tg_auth_get_poll_interval (f.auth), ==, 1.0);
  fixture_clear (&f);
  fake_graph_free (fg);
}

static gboolean
cond_interval_grew (gpointer data)
{
  return tg_auth_get_poll_interval (data) > 1.0;
}

/* Polling too early (time scale 0.001 against a 1 s interval) draws slow_down: the interval
 * grows by 5 s each time. */
static void
test_slow_down (void)
{
  FakeGraph *fg = new_fake ();
  GCancellable *cancellable = g_cancellable_new ();
  Fixture f;

  fake_graph_set_device_interval (fg, 1);
  fake_graph_set_device_auto_approve (fg, -1);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  tg_auth_set_time_scale (f.auth, 0.001);
  sign_in (&f, cancellable);
  gf_wait_until (cond_interval_grew, f.auth);
  g_assert_cmpfloat (tg_auth_get_poll_interval (f.auth), ==, 6.0);
  g_cancellable_cancel (cancellable);
  gf_wait_until (cond_flag, &f.done);
  g_assert_error (f.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (cancellable);
  fixture_clear (&f);
  fake_graph_free (fg);
}

static void
test_declined (void)
{
  FakeGraph *fg = new_fake ();
  Fixture f;

  start_unapproved_sign_in (&f, fg, NULL);
  g_assert_true (fake_graph_decline_device_code (fg, f.user_code));
  gf_wait_until (cond_flag, &f.done);
  g_assert_error (f.error, TG_ERROR, TG_ERROR_AUTH_DECLINED);
  g_assert_nonnull (strstr (f.error->message, "declined"));
  g_assert_null (strstr (f.error->message, f.user_code));
  g_assert_cmpuint (f.closed, ==, 1);
  g_assert_false (tg_auth_has_valid_token (f.auth));
  fixture_clear (&f);
  fake_graph_free (fg);
}

static void
test_expired_token (void)
{
  FakeGraph *fg = new_fake ();
  Fixture f;

  fake_graph_set_device_auto_approve (fg, -1);
  fake_graph_set_device_code_lifetime (fg, 1);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  sign_in_and_wait (&f);
  g_assert_error (f.error, TG_ERROR, TG_ERROR_AUTH_DECLINED);
  g_assert_nonnull (strstr (f.error->message, "expired"));
  g_assert_cmpuint (f.closed, ==, 1);
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* The code's expires_in is kept locally too: time scale 0.0001 makes 900 s pass at once, and
 * polling stops without asking the server. */
static void
test_local_expiry (void)
{
  FakeGraph *fg = new_fake ();
  Fixture f;

  fake_graph_set_device_auto_approve (fg, -1);
  fake_graph_set_device_interval (fg, 1);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  tg_auth_set_time_scale (f.auth, 0.00001);   /* 900 s → 9 ms, 1 s → 10 µs */
  sign_in_and_wait (&f);
  g_assert_error (f.error, TG_ERROR, TG_ERROR_AUTH_DECLINED);
  g_assert_nonnull (strstr (f.error->message, "expired"));
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* A stored refresh token is used first; the new one is reported. */
static void
test_refresh_token_first (void)
{
  FakeGraph *fg = new_fake ();
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  Fixture f;

  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  tg_auth_set_refresh_token (f.auth, rt);
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);
  g_assert_cmpuint (f.shown, ==, 0);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/*/oauth2/v2.0/devicecode"), ==, 0);
  g_assert_cmpuint (token_requests (fg, "grant_type=refresh_token"), ==, 1);
  g_assert_cmpuint (f.refresh_tokens->len, ==, 1);
  g_assert_cmpstr (f.refresh_tokens->pdata[0], !=, rt);
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* invalid_grant: forget the refresh token (reported as NULL), sign in with a device code. */
static void
test_invalid_grant_falls_back (void)
{
  FakeGraph *fg = new_fake ();
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  Fixture f;

  fake_graph_revoke_refresh_tokens (fg);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  tg_auth_set_refresh_token (f.auth, rt);
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);
  g_assert_cmpuint (f.shown, ==, 1);
  g_assert_cmpuint (f.refresh_tokens->len, ==, 2);
  g_assert_cmpstr (f.refresh_tokens->pdata[0], ==, "");
  g_assert_cmpuint (strlen (f.refresh_tokens->pdata[1]), >, 0);
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* A 503 or two while polling does not end the sign-in. */
static void
test_poll_survives_server_errors (void)
{
  FakeGraph *fg = new_fake ();
  Fixture f;

  fake_graph_set_device_auto_approve (fg, 1);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  tg_auth_set_time_scale (f.auth, 0.01);
  fake_graph_add_fault (fg, "POST", "/*/oauth2/v2.0/token", FAKE_FAULT_STATUS, 503, NULL, 0, 2);
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* ---- with a TgGraph ---- */

typedef struct {
  TgGraph *graph;
  gboolean done;
  JsonNode *node;
  GError *error;
} Get;

static void
on_get (GObject *source, GAsyncResult *result, gpointer data)
{
  Get *g = data;

  g->node = tg_graph_send_finish (g->graph, result, NULL, &g->error);
  g->done = TRUE;
}

static gboolean
cond_all_gets (gpointer data)
{
  Get *gets = data;

  for (guint i = 0; i < 3; i++)
    if (!gets[i].done)
      return FALSE;
  return TRUE;
}

static TgGraph *
attached_graph (Fixture *f, FakeGraph *fg)
{
  GError *error = NULL;
  TgGraph *graph = tg_graph_new (fake_graph_graph_url (fg), &error);

  g_assert_no_error (error);
  tg_graph_set_retry_policy (graph, 3, 0.001);
  tg_auth_attach (f->auth, graph);
  return graph;
}

/* Three requests get 401 at once after expiry: one token request serves them all. */
static void
test_coalesced_refresh (void)
{
  FakeGraph *fg = new_fake ();
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  Get gets[3] = { 0 };
  TgGraph *graph;
  Fixture f;

  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  graph = attached_graph (&f, fg);
  tg_auth_set_refresh_token (f.auth, rt);
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);

  fake_graph_expire_access_tokens (fg);
  fake_graph_clear_log (fg);
  for (guint i = 0; i < 3; i++)
    {
      gets[i].graph = graph;
      tg_graph_get_async (graph, "/me", NULL, on_get, &gets[i]);
    }
  gf_wait_until (cond_all_gets, gets);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_no_error (gets[i].error);
      g_assert_nonnull (gets[i].node);
      json_node_unref (gets[i].node);
    }
  g_assert_cmpuint (token_requests (fg, NULL), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/me"), ==, 6);   /* 3 × (401, 200) */
  fixture_clear (&f);
  tg_graph_unref (graph);
  fake_graph_free (fg);
}

static gboolean
cond_token_expiring (gpointer data)
{
  return !tg_auth_has_valid_token (data);
}

/* A token about to expire is renewed before the request goes out: no 401 at all. */
static void
test_refresh_before_expiry (void)
{
  FakeGraph *fg = new_fake ();
  g_autofree char *rt = fake_graph_issue_refresh_token (fg);
  Get g = { 0 };
  TgGraph *graph;
  Fixture f;
  GPtrArray *log;

  fake_graph_set_token_lifetime (fg, 1);   /* renewed after 0.5 s */
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  graph = attached_graph (&f, fg);
  tg_auth_set_refresh_token (f.auth, rt);
  sign_in_and_wait (&f);
  g_assert_true (tg_auth_has_valid_token (f.auth));
  gf_wait_until (cond_token_expiring, f.auth);
  fake_graph_clear_log (fg);
  g.graph = graph;
  tg_graph_get_async (graph, "/me", NULL, on_get, &g);
  gf_wait_until (cond_flag, &g.done);
  g_assert_no_error (g.error);
  json_node_unref (g.node);
  log = fake_graph_requests (fg);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_true (g_str_has_suffix (((FakeRequest *) log->pdata[0])->path, "/oauth2/v2.0/token"));
  g_assert_cmpstr (((FakeRequest *) log->pdata[1])->path, ==, "/v1.0/me");
  g_assert_cmpuint (((FakeRequest *) log->pdata[1])->status, ==, 200);
  fixture_clear (&f);
  tg_graph_unref (graph);
  fake_graph_free (fg);
}

/* ---- cancellation and freeing ---- */

static void
test_cancel_stops_polling (void)
{
  FakeGraph *fg = new_fake ();
  GCancellable *cancellable = g_cancellable_new ();
  Fixture f;
  guint polls;

  start_unapproved_sign_in (&f, fg, cancellable);
  gf_spin_ms (50);
  g_cancellable_cancel (cancellable);
  gf_wait_until (cond_flag, &f.done);
  g_assert_error (f.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  polls = token_requests (fg, NULL);
  gf_spin_ms (200);
  g_assert_cmpuint (token_requests (fg, NULL), <=, polls + 1);
  g_assert_cmpuint (f.completions, ==, 1);
  g_object_unref (cancellable);
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* One of two waiters cancels: the other still gets signed in. */
static void
test_one_waiter_cancels (void)
{
  FakeGraph *fg = new_fake ();
  GCancellable *cancellable = g_cancellable_new ();
  Fixture f;
  Fixture other = { 0 };

  fake_graph_set_device_auto_approve (fg, -1);
  fixture_init (&f, fake_graph_base_url (fg), "organizations");
  sign_in (&f, NULL);
  other.auth = f.auth;
  tg_auth_sign_in_async (f.auth, cancellable, on_signed_in, &other);
  gf_wait_until (cond_flag, &f.shown);
  g_cancellable_cancel (cancellable);
  gf_wait_until (cond_flag, &other.done);
  g_assert_error (other.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&other.error);
  g_assert_true (fake_graph_approve_device_code (fg, f.user_code));
  gf_wait_until (cond_flag, &f.done);
  g_assert_no_error (f.error);
  g_assert_cmpuint (f.shown, ==, 1);   /* one acquisition for both */
  g_object_unref (cancellable);
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* Freeing the auth mid-poll: the caller hears G_IO_ERROR_CANCELLED from an idle (not inside
 * tg_auth_free), and no callback runs after the free. */
static void
test_free_while_polling (void)
{
  FakeGraph *fg = new_fake ();
  Fixture f;

  start_unapproved_sign_in (&f, fg, NULL);
  tg_auth_free (f.auth);
  g_assert_false (f.done);
  gf_wait_until (cond_flag, &f.done);
  g_assert_error (f.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (fake_graph_approve_device_code (fg, f.user_code));
  gf_spin_ms (100);
  g_assert_cmpuint (f.closed, ==, 0);
  g_assert_cmpuint (f.refresh_tokens->len, ==, 0);
  f.auth = NULL;
  fixture_clear (&f);
  fake_graph_free (fg);
}

/* ------------------------------------------------------------------------------------------ */
/* Against a scripted server                                                                   */

typedef struct {
  SoupServer *server;
  char *base_url;
  GQueue devicecode;   /* char* "status|body" answers, one per request */
  GQueue token;
  guint devicecode_requests;
  guint token_requests;
} Script;

static void
script_answer (SoupServerMessage *msg, GQueue *queue)
{
  char *entry = g_queue_pop_head (queue);
  const char *body = "{\"error\":\"authorization_pending\"}";
  guint status = 400;

  if (entry != NULL)
    {
      status = (guint) g_ascii_strtoull (entry, NULL, 10);
      body = strchr (entry, '|') + 1;
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
  g_free (entry);
}

static void
script_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data)
{
  Script *s = data;

  if (g_str_has_suffix (path, "/oauth2/v2.0/devicecode"))
    {
      s->devicecode_requests++;
      script_answer (msg, &s->devicecode);
    }
  else if (g_str_has_suffix (path, "/oauth2/v2.0/token"))
    {
      s->token_requests++;
      script_answer (msg, &s->token);
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static Script *
script_new (void)
{
  Script *s = g_new0 (Script, 1);
  GError *error = NULL;
  GSList *uris;

  s->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (s->server, NULL, script_handler, s, NULL);
  g_assert_true (soup_server_listen_local (s->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (s->server);
  s->base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return s;
}

static void
script_push (GQueue *queue, guint status, const char *body)
{
  g_queue_push_tail (queue, g_strdup_printf ("%u|%s", status, body));
}

static void
script_free (Script *s)
{
  g_queue_clear_full (&s->devicecode, g_free);
  g_queue_clear_full (&s->token, g_free);
  g_object_unref (s->server);
  g_free (s->base_url);
  g_free (s);
}

#define DEVICE_REPLY \
  "{\"user_code\":\"ABCD-EFGH\",\"device_code\":\"DC-secret-0123456789\"," \
  "\"verification_url\":\"https://microsoft.com/devicelogin\",\"expires_in\":\"900\"," \
  "\"interval\":0}"

/* An id token whose payload is {"tid":"11111111-2222-3333-4444-555555555555"}. */
#define ID_TOKEN "eyJhbGciOiJub25lIn0.eyJ0aWQiOiIxMTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTUifQ."

/* The older spelling verification_url, a string expires_in, and a tenant id from the token. */
static void
test_script_shapes (void)
{
  Script *s = script_new ();
  Fixture f;

  script_push (&s->devicecode, 200, DEVICE_REPLY);
  script_push (&s->token, 400, "{\"error\":\"authorization_pending\"}");
  script_push (&s->token, 200, "{\"access_token\":\"AT-secret\",\"expires_in\":\"3599\","
                               "\"refresh_token\":\"RT-secret\",\"id_token\":\"" ID_TOKEN "\"}");
  fixture_init (&f, s->base_url, "contoso.onmicrosoft.com");
  sign_in_and_wait (&f);
  g_assert_no_error (f.error);
  g_assert_cmpstr (f.uri, ==, "https://microsoft.com/devicelogin");
  g_assert_cmpstr (f.user_code, ==, "ABCD-EFGH");
  g_assert_cmpuint (f.expires_in, ==, 900);
  g_assert_cmpstr (tg_auth_get_tenant_id (f.auth), ==, "11111111-2222-3333-4444-555555555555");
  g_assert_cmpuint (f.refresh_tokens->len, ==, 1);
  g_assert_cmpstr (f.refresh_tokens->pdata[0], ==, "RT-secret");
  g_assert_true (tg_auth_has_valid_token (f.auth));
  fixture_clear (&f);
  script_free (s);
}

/* A tenant given as a GUID is the tenant id until an id token says otherwise. */
static void
test_tenant_guid_setting (void)
{
  Fixture f;

  fixture_init (&f, "https://login.example.com", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");
  g_assert_cmpstr (tg_auth_get_tenant_id (f.auth), ==, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  fixture_clear (&f);
  fixture_init (&f, "https://login.example.com", "organizations");
  g_assert_null (tg_auth_get_tenant_id (f.auth));
  fixture_clear (&f);
}

typedef struct {
  const char *name;
  guint devicecode_status;
  const char *devicecode_body;
  guint token_status;
  const char *token_body;
  int domain_is_tg;     /* 1: TG_ERROR */
  int code;
  const char *in_message;
} ScriptCase;

static void
run_script_case (gconstpointer data)
{
  const ScriptCase *c = data;
  Script *s = script_new ();
  Fixture f;

  script_push (&s->devicecode, c->devicecode_status, c->devicecode_body);
  if (c->token_body != NULL)
    script_push (&s->token, c->token_status, c->token_body);
  fixture_init (&f, s->base_url, "organizations");
  sign_in_and_wait (&f);
  g_assert_false (f.ok);
  g_assert_error (f.error, TG_ERROR, c->code);
  if (c->in_message != NULL && strstr (f.error->message, c->in_message) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", f.error->message, c->in_message);
  /* Never a secret in an error message. */
  g_assert_null (strstr (f.error->message, "DC-secret"));
  g_assert_null (strstr (f.error->message, "ABCD-EFGH"));
  fixture_clear (&f);
  script_free (s);
}

static const ScriptCase script_cases[] = {
  { "bad-verification-code", 200, DEVICE_REPLY, 400, "{\"error\":\"bad_verification_code\"}",
    1, TG_ERROR_AUTH_DECLINED, "not recognise" },
  { "declined", 200, DEVICE_REPLY, 400, "{\"error\":\"authorization_declined\"}",
    1, TG_ERROR_AUTH_DECLINED, "declined" },
  { "expired", 200, DEVICE_REPLY, 400, "{\"error\":\"expired_token\"}",
    1, TG_ERROR_AUTH_DECLINED, "expired" },
  { "invalid-client", 400, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700016: "
    "Application not found in the directory.\\r\\nTrace ID: x\"}", 0, NULL,
    1, TG_ERROR_CONFIG, "AADSTS700016" },
  { "devicecode-503", 503, "{}", 0, NULL, 1, TG_ERROR_SERVER, "503" },
  { "devicecode-429", 429, "{}", 0, NULL, 1, TG_ERROR_THROTTLED, NULL },
  { "devicecode-garbage", 200, "<html>captive portal</html>", 0, NULL,
    1, TG_ERROR_BAD_RESPONSE, NULL },
  { "token-without-access-token", 200, DEVICE_REPLY, 200, "{\"token_type\":\"Bearer\"}",
    1, TG_ERROR_BAD_RESPONSE, NULL },
  { "token-unknown-error", 200, DEVICE_REPLY, 400, "{\"error\":\"unsupported_grant_type\"}",
    1, TG_ERROR_SIGNED_OUT, "unsupported_grant_type" },
};

/* The sign-in server is unreachable: TG_ERROR_OFFLINE (worth a reconnect). */
static void
test_unreachable (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  Fixture f;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);
  fixture_init (&f, url, "organizations");
  tg_auth_set_refresh_token (f.auth, "RT-secret");
  sign_in_and_wait (&f);
  g_assert_error (f.error, TG_ERROR, TG_ERROR_OFFLINE);
  g_assert_true (tg_error_is_transient (f.error));
  g_assert_cmpuint (f.refresh_tokens->len, ==, 0);   /* a network error keeps the token */
  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth/new-checks-settings", test_new_checks_settings);
  g_test_add_func ("/auth/device-code", test_device_code);
  g_test_add_func ("/auth/follows-interval", test_follows_interval);
  g_test_add_func ("/auth/slow-down", test_slow_down);
  g_test_add_func ("/auth/declined", test_declined);
  g_test_add_func ("/auth/expired-token", test_expired_token);
  g_test_add_func ("/auth/local-expiry", test_local_expiry);
  g_test_add_func ("/auth/refresh-token-first", test_refresh_token_first);
  g_test_add_func ("/auth/invalid-grant-falls-back", test_invalid_grant_falls_back);
  g_test_add_func ("/auth/poll-survives-server-errors", test_poll_survives_server_errors);
  g_test_add_func ("/auth/coalesced-refresh", test_coalesced_refresh);
  g_test_add_func ("/auth/refresh-before-expiry", test_refresh_before_expiry);
  g_test_add_func ("/auth/cancel-stops-polling", test_cancel_stops_polling);
  g_test_add_func ("/auth/one-waiter-cancels", test_one_waiter_cancels);
  g_test_add_func ("/auth/free-while-polling", test_free_while_polling);
  g_test_add_func ("/auth/script/shapes", test_script_shapes);
  g_test_add_func ("/auth/tenant-guid-setting", test_tenant_guid_setting);
  g_test_add_func ("/auth/unreachable", test_unreachable);
  for (guint i = 0; i < G_N_ELEMENTS (script_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/auth/script/%s", script_cases[i].name);
      g_test_add_data_func (path, &script_cases[i], run_script_case);
    }
  return g_test_run ();
}
