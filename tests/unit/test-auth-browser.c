/* Unit tests for the browser sign-in: PKCE (RFC 7636 appendix B), the authorize URL, the
 * loopback listener (state, errors, other paths, cancel, free), and tg-auth's browser flow
 * against the emulator's /authorize and /token (exact requests, timeout, listener closed).
 * The test plays the browser with fake-browser.h. Waiting = iterating the main context until
 * a condition holds, with a 20 s hang guard.
 */
#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>

#include "common/graph-fixture.h"
#include "common/fake-browser.h"
#include "core/tg-auth-browser.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "fake-graph/fake-graph.h"

#define ME "alice@contoso.com"
#define CLIENT_ID "14d82eec-204b-4c2f-b7e8-296a70dab67e"

/* Runs what is ready now, without waiting. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The listener's base URL on 127.0.0.1 (the redirect_uri names localhost). */
static char *
listener_url (TgAuthBrowser *browser, const char *path_and_query)
{
  g_autoptr (GUri) uri = g_uri_parse (tg_auth_browser_get_redirect_uri (browser), G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return g_strdup_printf ("http://127.0.0.1:%d%s", g_uri_get_port (uri), path_and_query);
}

/* ------------------------------------------------------------------------------------------ */
/* PKCE                                                                                        */

static void
test_pkce_rfc7636 (void)
{
  /* RFC 7636 appendix B: the verifier of the octets given there, and its S256 challenge. */
  g_autofree char *challenge = tg_auth_browser_pkce_challenge ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void
assert_base64url (const char *text, gsize length)
{
  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), ==, length);
  for (const char *p = text; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
}

static void
test_random_strings (void)
{
  GError *error = NULL;
  g_autofree char *a = tg_auth_browser_random_string (32, &error);
  g_autofree char *b = tg_auth_browser_random_string (32, &error);
  g_autofree char *c = tg_auth_browser_random_string (16, &error);

  g_assert_no_error (error);
  /* 32 octets → 43 characters: RFC 7636 wants 43…128 of [A-Za-z0-9-._~]. */
  assert_base64url (a, 43);
  assert_base64url (b, 43);
  assert_base64url (c, 22);
  g_assert_cmpstr (a, !=, b);
}

/* ------------------------------------------------------------------------------------------ */
/* The listener                                                                                */

#define AUTHORIZE "https://login.example.com/organizations/oauth2/v2.0/authorize"

static TgAuthBrowser *
new_browser (void)
{
  GError *error = NULL;
  TgAuthBrowser *browser = tg_auth_browser_new (AUTHORIZE, CLIENT_ID, "Chat.ReadWrite offline_access",
                                                ME, &error);

  g_assert_no_error (error);
  g_assert_nonnull (browser);
  return browser;
}

static void
test_authorize_url (void)
{
  TgAuthBrowser *browser = new_browser ();
  const char *url = tg_auth_browser_get_authorize_url (browser);
  const char *redirect = tg_auth_browser_get_redirect_uri (browser);
  g_autofree char *expected_challenge = tg_auth_browser_pkce_challenge (tg_auth_browser_get_code_verifier (browser));
  const struct { const char *name; const char *value; } params[] = {
    { "client_id", CLIENT_ID },
    { "response_type", "code" },
    { "redirect_uri", redirect },
    { "response_mode", "query" },
    { "scope", "Chat.ReadWrite offline_access" },
    { "code_challenge", expected_challenge },
    { "code_challenge_method", "S256" },
    { "login_hint", ME },
  };
  g_autofree char *state = fake_browser_query_param (url, "state");

  g_assert_true (g_str_has_prefix (url, AUTHORIZE "?"));
  g_assert_true (g_str_has_prefix (redirect, "http://localhost:"));
  g_assert_cmpint (atoi (redirect + strlen ("http://localhost:")), >, 0);
  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    {
      g_autofree char *value = fake_browser_query_param (url, params[i].name);
      g_assert_cmpstr (value, ==, params[i].value);
    }
  assert_base64url (state, 22);
  assert_base64url (tg_auth_browser_get_code_verifier (browser), 43);
  /* The verifier never leaves this side. */
  g_assert_null (strstr (url, tg_auth_browser_get_code_verifier (browser)));
  tg_auth_browser_free (browser);
}

typedef struct {
  gboolean done;
  char *code;
  GError *error;
} Wait;

static void
on_wait (GObject *source, GAsyncResult *result, gpointer data)
{
  Wait *w = data;

  w->code = tg_auth_browser_wait_finish (NULL, result, &w->error);
  w->done = TRUE;
}

static void
wait_clear (Wait *w)
{
  g_free (w->code);
  g_clear_error (&w->error);
}

static char *
redirect_url (TgAuthBrowser *browser, const char *query_format, ...)
{
  va_list ap;
  g_autofree char *query = NULL;

  va_start (ap, query_format);
  query = g_strdup_vprintf (query_format, ap);
  va_end (ap);
  return listener_url (browser, query);
}

static void
test_redirect_code (void)
{
  TgAuthBrowser *browser = new_browser ();
  g_autofree char *state = fake_browser_query_param (tg_auth_browser_get_authorize_url (browser), "state");
  g_autofree char *favicon = listener_url (browser, "/favicon.ico");
  g_autofree char *wrong = redirect_url (browser, "/?code=forged&state=not-ours");
  g_autofree char *nostate = redirect_url (browser, "/?code=forged");
  g_autofree char *right = redirect_url (browser, "/?code=the-code&state=%s", state);
  g_autoptr (FakeBrowserPage) page = NULL;
  Wait w = { 0 };

  tg_auth_browser_wait_async (browser, NULL, on_wait, &w);

  page = fake_browser_get (favicon);
  g_assert_cmpuint (page->status, ==, 404);
  g_clear_pointer (&page, fake_browser_page_free);

  /* Not our state: 400 and the wait goes on. */
  page = fake_browser_get (wrong);
  g_assert_cmpuint (page->status, ==, 400);
  g_assert_nonnull (strstr (page->body, "not expected"));
  g_clear_pointer (&page, fake_browser_page_free);
  page = fake_browser_get (nostate);
  g_assert_cmpuint (page->status, ==, 400);
  g_clear_pointer (&page, fake_browser_page_free);
  drain ();
  g_assert_false (w.done);

  page = fake_browser_get (right);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_cmpstr (page->content_type, ==, "text/html");
  g_assert_nonnull (strstr (page->body, "You may close this window"));
  g_clear_pointer (&page, fake_browser_page_free);
  gf_wait_flag (&w.done);
  g_assert_no_error (w.error);
  g_assert_cmpstr (w.code, ==, "the-code");

  /* A reload after that: a page, nothing more. */
  page = fake_browser_get (right);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->body, "already handled"));
  g_clear_pointer (&page, fake_browser_page_free);

  tg_auth_browser_free (browser);
  wait_clear (&w);
}

static void
expect_redirect_error (const char *error, const char *description, int code, const char *in_message)
{
  TgAuthBrowser *browser = new_browser ();
  g_autofree char *state = fake_browser_query_param (tg_auth_browser_get_authorize_url (browser), "state");
  g_autofree char *escaped = g_uri_escape_string (description, NULL, FALSE);
  g_autofree char *url = redirect_url (browser, "/?error=%s&error_description=%s&state=%s", error,
                                       escaped, state);
  g_autoptr (FakeBrowserPage) page = NULL;
  Wait w = { 0 };

  tg_auth_browser_wait_async (browser, NULL, on_wait, &w);
  page = fake_browser_get (url);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->body, "Sign-in failed"));
  /* The description is shown escaped, never as markup. */
  g_assert_null (strstr (page->body, "<script"));
  gf_wait_flag (&w.done);
  g_assert_null (w.code);
  g_assert_error (w.error, TG_ERROR, code);
  if (strstr (w.error->message, in_message) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", w.error->message, in_message);
  g_assert_null (strchr (w.error->message, '\n'));
  tg_auth_browser_free (browser);
  wait_clear (&w);
}

static void
test_redirect_errors (void)
{
  expect_redirect_error ("access_denied", "AADSTS65004: User declined to consent to access the app.",
                         TG_ERROR_AUTH_DECLINED, "declined in the browser (access_denied: AADSTS65004");
  expect_redirect_error ("invalid_client", "AADSTS700016: Application not found\r\nin the directory.",
                         TG_ERROR_CONFIG, "app registration");
  expect_redirect_error ("temporarily_unavailable", "", TG_ERROR_SERVER, "temporarily_unavailable");
  expect_redirect_error ("<script>alert(1)</script>", "x", TG_ERROR_SIGNED_OUT, "Sign-in refused");
}

static void
test_cancel_and_free (void)
{
  TgAuthBrowser *browser = new_browser ();
  g_autofree char *redirect = g_strdup (tg_auth_browser_get_redirect_uri (browser));
  GCancellable *cancellable = g_cancellable_new ();
  Wait w = { 0 };

  /* Cancelled: the wait ends with CANCELLED, from an idle. */
  tg_auth_browser_wait_async (browser, cancellable, on_wait, &w);
  g_cancellable_cancel (cancellable);
  g_assert_false (w.done);
  gf_wait_flag (&w.done);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_clear (&w);
  g_object_unref (cancellable);

  /* Freed while waited for: CANCELLED, not inside the free, and the port is closed. */
  memset (&w, 0, sizeof w);
  tg_auth_browser_wait_async (browser, NULL, on_wait, &w);
  tg_auth_browser_free (browser);
  g_assert_false (w.done);
  gf_wait_flag (&w.done);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_clear (&w);
  g_assert_true (fake_browser_port_closed (redirect));
}

/* ------------------------------------------------------------------------------------------ */
/* tg-auth's browser sign-in against the emulator                                              */

typedef struct {
  FakeGraph *fg;
  SoupSession *session;
  TgAuth *auth;
  char *authorize_url;
  guint shown, closed, device_shown;
  guint expires_in;
  char *refresh_token;
  gboolean done;
  gboolean ok;
  GError *error;
} Flow;

static void
cb_show_browser (gpointer data, const char *url, guint expires_in)
{
  Flow *f = data;

  f->shown++;
  g_free (f->authorize_url);
  f->authorize_url = g_strdup (url);
  f->expires_in = expires_in;
}

static void
cb_close_browser (gpointer data)
{
  ((Flow *) data)->closed++;
}

static void
cb_show_device (gpointer data, const char *uri, const char *code, const char *message, guint expires)
{
  ((Flow *) data)->device_shown++;
}

static void
cb_refresh_token (gpointer data, const char *token)
{
  Flow *f = data;

  g_free (f->refresh_token);
  f->refresh_token = g_strdup (token);
}

static const TgAuthCallbacks flow_callbacks = {
  .show_device_code = cb_show_device,
  .refresh_token_changed = cb_refresh_token,
  .show_browser_sign_in = cb_show_browser,
  .close_browser_sign_in = cb_close_browser,
};

static void
flow_init (Flow *f)
{
  GError *error = NULL;

  memset (f, 0, sizeof *f);
  f->fg = fake_graph_new (ME);
  g_assert_true (fake_graph_listen (f->fg, 0, &error));
  g_assert_no_error (error);
  f->session = soup_session_new ();
  f->auth = tg_auth_new (f->session, fake_graph_base_url (f->fg), "organizations", CLIENT_ID, NULL, &error);
  g_assert_no_error (error);
  tg_auth_set_callbacks (f->auth, &flow_callbacks, f);
  tg_auth_set_method (f->auth, TG_AUTH_METHOD_BROWSER);
  tg_auth_set_login_hint (f->auth, ME);
}

static void
flow_clear (Flow *f)
{
  tg_auth_free (f->auth);
  drain ();
  g_object_unref (f->session);
  fake_graph_free (f->fg);
  g_free (f->authorize_url);
  g_free (f->refresh_token);
  g_clear_error (&f->error);
}

static void
on_signed_in (GObject *source, GAsyncResult *result, gpointer data)
{
  Flow *f = data;

  f->ok = tg_auth_sign_in_finish (f->auth, result, &f->error);
  f->done = TRUE;
}

static gboolean
is_shown_or_done (gpointer data)
{
  return ((Flow *) data)->shown > 0 || ((Flow *) data)->done;
}

static void
wait_shown (Flow *f)
{
  gf_wait_until (is_shown_or_done, f);
  g_assert_false (f->done);
}

static FakeRequest *
last_request (FakeGraph *fg, const char *method, const char *path_suffix)
{
  GPtrArray *log = fake_graph_requests (fg);

  for (guint i = log->len; i > 0; i--)
    {
      FakeRequest *r = log->pdata[i - 1];
      if (g_str_equal (r->method, method) && g_str_has_suffix (r->path, path_suffix))
        return r;
    }
  return NULL;
}

static void
test_flow_sign_in (void)
{
  Flow f;
  g_autoptr (FakeBrowserPage) page = NULL;
  g_autofree char *redirect = NULL;
  g_autofree char *challenge = NULL;
  g_autoptr (GHashTable) form = NULL;
  FakeRequest *authorize, *token;

  flow_init (&f);
  tg_auth_sign_in_async (f.auth, NULL, on_signed_in, &f);
  wait_shown (&f);
  g_assert_cmpuint (f.shown, ==, 1);
  g_assert_cmpuint (f.expires_in, ==, 600);
  g_assert_cmpuint (f.device_shown, ==, 0);
  g_assert_true (g_str_has_prefix (f.authorize_url, fake_graph_base_url (f.fg)));
  g_assert_nonnull (strstr (f.authorize_url, "/organizations/oauth2/v2.0/authorize?"));
  redirect = fake_browser_query_param (f.authorize_url, "redirect_uri");
  challenge = fake_browser_query_param (f.authorize_url, "code_challenge");

  /* The browser: the authorize page redirects to the listener, which answers a page. */
  page = fake_browser_follow (f.authorize_url);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->body, "You may close this window"));
  gf_wait_flag (&f.done);
  g_assert_no_error (f.error);
  g_assert_true (f.ok);
  g_assert_true (tg_auth_has_valid_token (f.auth));
  g_assert_nonnull (f.refresh_token);
  g_assert_cmpuint (f.closed, ==, 1);

  /* Exactly: one GET /authorize, one POST /token with the authorization code grant. */
  g_assert_cmpuint (fake_graph_count (f.fg, "GET", "/organizations/oauth2/v2.0/authorize"), ==, 1);
  g_assert_cmpuint (fake_graph_count (f.fg, "POST", "/organizations/oauth2/v2.0/token"), ==, 1);
  g_assert_cmpuint (fake_graph_count (f.fg, "POST", "/organizations/oauth2/v2.0/devicecode"), ==, 0);
  authorize = last_request (f.fg, "GET", "/authorize");
  g_assert_nonnull (strstr (authorize->query, "code_challenge_method=S256"));
  token = last_request (f.fg, "POST", "/token");
  g_assert_cmpuint (token->status, ==, 200);
  form = soup_form_decode (token->body);
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==, "authorization_code");
  g_assert_cmpstr (g_hash_table_lookup (form, "client_id"), ==, CLIENT_ID);
  g_assert_cmpstr (g_hash_table_lookup (form, "redirect_uri"), ==, redirect);
  g_assert_nonnull (g_hash_table_lookup (form, "code"));
  {
    g_autofree char *from_verifier = tg_auth_browser_pkce_challenge (g_hash_table_lookup (form, "code_verifier"));
    g_assert_cmpstr (from_verifier, ==, challenge);
  }

  /* The listener is gone with the exchange. */
  g_assert_true (fake_browser_port_closed (redirect));
  flow_clear (&f);
}

static void
test_flow_timeout (void)
{
  Flow f;
  g_autofree char *redirect = NULL;

  flow_init (&f);
  tg_auth_set_time_scale (f.auth, 0.0001);   /* 600 s → 60 ms */
  tg_auth_sign_in_async (f.auth, NULL, on_signed_in, &f);
  wait_shown (&f);
  redirect = fake_browser_query_param (f.authorize_url, "redirect_uri");
  gf_wait_flag (&f.done);
  g_assert_false (f.ok);
  g_assert_error (f.error, TG_ERROR, TG_ERROR_AUTH_DECLINED);
  g_assert_nonnull (strstr (f.error->message, "not completed within 10 minutes"));
  g_assert_cmpuint (f.closed, ==, 1);
  g_assert_true (fake_browser_port_closed (redirect));
  g_assert_cmpuint (fake_graph_count (f.fg, "POST", "/*/oauth2/v2.0/token"), ==, 0);
  flow_clear (&f);
}

/* A refresh token that is refused leads to the browser sign-in, not to a device code. */
static void
test_flow_after_refused_refresh (void)
{
  Flow f;
  g_autoptr (FakeBrowserPage) page = NULL;

  flow_init (&f);
  tg_auth_set_refresh_token (f.auth, "not-a-refresh-token-the-emulator-issued");
  tg_auth_sign_in_async (f.auth, NULL, on_signed_in, &f);
  wait_shown (&f);
  g_assert_cmpuint (f.device_shown, ==, 0);
  page = fake_browser_follow (f.authorize_url);
  g_assert_cmpuint (page->status, ==, 200);
  gf_wait_flag (&f.done);
  g_assert_no_error (f.error);
  g_assert_true (f.ok);
  flow_clear (&f);
}

/* The token endpoint refuses the code (here: a code it never issued, with the right state):
 * a clear AUTH_DECLINED naming the server's reason, the listener closed. */
static void
test_flow_code_refused (void)
{
  Flow f;
  g_autoptr (FakeBrowserPage) first = NULL;
  g_autoptr (FakeBrowserPage) page = NULL;
  g_autofree char *redirect = NULL;
  g_autofree char *tampered = NULL;

  flow_init (&f);
  tg_auth_sign_in_async (f.auth, NULL, on_signed_in, &f);
  wait_shown (&f);
  redirect = fake_browser_query_param (f.authorize_url, "redirect_uri");
  first = fake_browser_get (f.authorize_url);
  g_assert_cmpuint (first->status, ==, 302);
  tampered = fake_browser_replace_param (first->location, "code", "a-code-never-issued");
  page = fake_browser_get (tampered);
  g_assert_cmpuint (page->status, ==, 200);
  gf_wait_flag (&f.done);
  g_assert_false (f.ok);
  g_assert_error (f.error, TG_ERROR, TG_ERROR_AUTH_DECLINED);
  g_assert_nonnull (strstr (f.error->message, "invalid_grant: AADSTS70008"));
  g_assert_null (strstr (f.error->message, "a-code-never-issued"));
  g_assert_cmpuint (fake_graph_count (f.fg, "POST", "/*/oauth2/v2.0/token"), ==, 1);
  g_assert_true (fake_browser_port_closed (redirect));
  flow_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auth-browser/pkce-rfc7636", test_pkce_rfc7636);
  g_test_add_func ("/auth-browser/random-strings", test_random_strings);
  g_test_add_func ("/auth-browser/authorize-url", test_authorize_url);
  g_test_add_func ("/auth-browser/redirect-code", test_redirect_code);
  g_test_add_func ("/auth-browser/redirect-errors", test_redirect_errors);
  g_test_add_func ("/auth-browser/cancel-and-free", test_cancel_and_free);
  g_test_add_func ("/auth-browser/flow-sign-in", test_flow_sign_in);
  g_test_add_func ("/auth-browser/flow-timeout", test_flow_timeout);
  g_test_add_func ("/auth-browser/flow-after-refused-refresh", test_flow_after_refused_refresh);
  g_test_add_func ("/auth-browser/flow-code-refused", test_flow_code_refused);
  return g_test_run ();
}
