/* Browser sign-in scenarios (auth_method "browser"): the built plugin in the headless test bed
 * against the emulator, the test playing the browser (tests/common/fake-browser.h). Each
 * asserts what the user sees (the URL opened and shown in a dialog with Cancel, the page in the
 * browser, connection state and errors), the exact identity requests, the remembered refresh
 * token, that the loopback listener is gone afterwards, and that no secret reaches the log. */
#include <string.h>

#include <libsoup/soup.h>

#include "common/fake-browser.h"
#include "core/tg-auth-browser.h"
#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define AUTHORIZE_PATH "/organizations/oauth2/v2.0/authorize"
#define TOKEN_PATH "/organizations/oauth2/v2.0/token"
#define DEVICECODE_PATH "/organizations/oauth2/v2.0/devicecode"

static PurpleAccount *
new_browser_account (FakeGraph *fg)
{
  PurpleAccount *acc = tb_account_new (fg, ME);

  purple_account_set_string (acc, "auth_method", "browser");
  return acc;
}

/* What the plugin showed for one browser sign-in. */
typedef struct {
  TbEvent *uri;        /* purple_notify_uri */
  TbEvent *dialog;     /* the request dialog with the same URL */
  char *url;
  char *redirect_uri;
} Prompt;

static void
wait_prompt (Prompt *p)
{
  memset (p, 0, sizeof *p);
  p->uri = tb_wait_event (TB_EV_NOTIFY, "/oauth2/v2.0/authorize?");
  g_assert_cmpint (p->uri->code, ==, PURPLE_NOTIFY_URI);
  p->url = g_strdup (p->uri->text);
  p->dialog = tb_wait_event (TB_EV_REQUEST, "in your web browser");
  g_assert_cmpint (p->dialog->code, ==, PURPLE_REQUEST_ACTION);
  p->redirect_uri = fake_browser_query_param (p->url, "redirect_uri");
  g_assert_nonnull (p->redirect_uri);
}

static void
prompt_clear (Prompt *p)
{
  g_free (p->url);
  g_free (p->redirect_uri);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_end_to_end (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  g_autoptr (FakeBrowserPage) page = NULL;
  g_autoptr (GHashTable) form = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *from_verifier = NULL;
  g_autofree char *hint = NULL;
  const char *const *labels;
  FakeRequest *authorize, *token;
  Prompt p;

  tb_account_connect (acc);
  wait_prompt (&p);
  /* The dialog shows the very URL (Finch and bitlbee users copy it) and can cancel. */
  g_assert_nonnull (strstr (p.dialog->primary, p.url));
  g_assert_nonnull (strstr (p.dialog->secondary, ME));
  labels = tb_request_action_labels (p.dialog);
  g_assert_true (g_strv_contains (labels, "Cancel sign-in"));
  g_assert_true (g_str_has_prefix (p.url, fake_graph_base_url (fg)));
  g_assert_true (g_str_has_prefix (p.redirect_uri, "http://localhost:"));
  hint = fake_browser_query_param (p.url, "login_hint");
  g_assert_cmpstr (hint, ==, ME);
  g_assert_nonnull (tb_events_find (TB_EV_PROGRESS, "Waiting for you to sign in"));
  g_assert_cmpuint (fake_graph_count (fg, NULL, DEVICECODE_PATH), ==, 0);

  /* The browser: Microsoft's page sends it back to the plugin, which thanks the user. */
  page = fake_browser_follow (p.url);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->body, "You may close this window"));
  tb_wait_connected (acc);
  g_assert_false (tb_request_is_open (p.dialog));

  /* Exactly one authorize and one token request, the authorization code grant with PKCE. */
  g_assert_cmpuint (fake_graph_count (fg, "GET", AUTHORIZE_PATH), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, 1);
  authorize = sc_nth_request (fg, "GET", AUTHORIZE_PATH, 0);
  g_assert_nonnull (strstr (authorize->query, "response_type=code"));
  g_assert_nonnull (strstr (authorize->query, "code_challenge_method=S256"));
  token = sc_nth_request (fg, "POST", TOKEN_PATH, 0);
  form = soup_form_decode (token->body);
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==, "authorization_code");
  g_assert_cmpstr (g_hash_table_lookup (form, "redirect_uri"), ==, p.redirect_uri);
  challenge = fake_browser_query_param (p.url, "code_challenge");
  from_verifier = tg_auth_browser_pkce_challenge (g_hash_table_lookup (form, "code_verifier"));
  g_assert_cmpstr (from_verifier, ==, challenge);
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/me"), ==, 1);

  /* As after a device code: the refresh token is the remembered password. */
  g_assert_true (purple_account_get_remember_password (acc));
  g_assert_nonnull (purple_account_get_password (acc));
  g_assert_cmpuint (strlen (purple_account_get_password (acc)), >, 20);
  /* The listener went with the exchange. */
  g_assert_true (fake_browser_port_closed (p.redirect_uri));

  /* Reconnecting uses it: no browser, no prompt. */
  tb_account_disconnect (acc);
  tb_events_mark ();
  tb_account_connect (acc);
  tb_wait_connected (acc);
  g_assert_null (tb_events_find (TB_EV_NOTIFY, NULL));
  g_assert_null (tb_events_find (TB_EV_REQUEST, NULL));
  g_assert_cmpuint (fake_graph_count (fg, "GET", AUTHORIZE_PATH), ==, 1);
  prompt_clear (&p);
}

/* A redirect with someone else's state gets a 400 page and changes nothing; the real one
 * that follows still signs in. */
static void
test_state_mismatch (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  g_autoptr (FakeBrowserPage) first = NULL;
  g_autoptr (FakeBrowserPage) forged = NULL;
  g_autoptr (FakeBrowserPage) page = NULL;
  g_autofree char *tampered = NULL;
  Prompt p;

  tb_account_connect (acc);
  wait_prompt (&p);
  first = fake_browser_get (p.url);
  g_assert_cmpuint (first->status, ==, 302);
  tampered = fake_browser_replace_param (first->location, "state", "somebody-elses-state");
  forged = fake_browser_get (tampered);
  g_assert_cmpuint (forged->status, ==, 400);
  g_assert_nonnull (strstr (forged->body, "not expected"));
  tb_run_for (100);
  g_assert_false (purple_account_is_connected (acc));
  g_assert_null (tb_last_error (acc));
  g_assert_true (tb_request_is_open (p.dialog));
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, 0);

  page = fake_browser_get (first->location);
  g_assert_cmpuint (page->status, ==, 200);
  tb_wait_connected (acc);
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, 1);
  prompt_clear (&p);
}

/* The user declines in the browser: a clear error that the client must not retry. */
static void
test_access_denied (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  g_autoptr (FakeBrowserPage) page = NULL;
  TbEvent *error;
  Prompt p;

  fake_graph_set_authorize_error (fg, "access_denied",
                                  "AADSTS65004: User declined to consent to access the app.");
  tb_account_connect (acc);
  wait_prompt (&p);
  page = fake_browser_follow (p.url);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->body, "Sign-in failed"));
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED);
  g_assert_true (error->fatal);
  g_assert_nonnull (strstr (error->text, "Sign-in was declined in the browser"));
  g_assert_nonnull (strstr (error->text, "AADSTS65004"));
  tb_wait_disconnected (acc);
  g_assert_false (tb_request_is_open (p.dialog));
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, 0);
  g_assert_true (fake_browser_port_closed (p.redirect_uri));
  g_assert_cmpuint (tb_events_count (TB_EV_CONN_ERROR, NULL), ==, 1);
  prompt_clear (&p);
}

/* "Cancel sign-in" in the dialog: the connection ends cleanly, the port is closed, and a
 * browser that comes back later finds nobody. */
static void
test_cancelled_by_user (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  g_autoptr (FakeBrowserPage) first = NULL;
  g_autoptr (FakeBrowserPage) late = NULL;
  TbEvent *error;
  Prompt p;
  guint events;

  tb_account_connect (acc);
  wait_prompt (&p);
  first = fake_browser_get (p.url);
  g_assert_cmpuint (first->status, ==, 302);
  g_assert_true (tb_request_choose_label (p.dialog, "Cancel sign-in"));
  error = tb_wait_event (TB_EV_CONN_ERROR, NULL);
  g_assert_cmpint (error->code, ==, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED);
  g_assert_cmpstr (error->text, ==, "Sign-in was cancelled.");
  tb_wait_disconnected (acc);
  events = tb_events ()->len;
  g_assert_true (fake_browser_port_closed (p.redirect_uri));
  late = fake_browser_get (first->location);
  g_assert_error (late->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  tb_run_for (100);
  g_assert_cmpuint (tb_events ()->len, ==, events);
  g_assert_cmpuint (fake_graph_count (fg, "POST", TOKEN_PATH), ==, 0);
  prompt_clear (&p);
}

/* The account is disabled while the browser sign-in waits: dialog closed, listener gone,
 * nothing calls back into the closed connection. */
static void
test_close_while_waiting (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  Prompt p;
  guint events;

  tb_account_connect (acc);
  wait_prompt (&p);
  tb_account_disconnect (acc);
  g_assert_false (tb_request_is_open (p.dialog));
  g_assert_true (fake_browser_port_closed (p.redirect_uri));   /* at once, not later */
  events = tb_events ()->len;
  tb_run_for (50);
  g_assert_cmpuint (tb_events ()->len, ==, events);
  prompt_clear (&p);
}

/* A stored refresh token that was revoked: the browser sign-in runs again (not a device code). */
static void
test_revoked_refresh_token (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  g_autofree char *refresh = fake_graph_issue_refresh_token (fg);
  g_autoptr (FakeBrowserPage) page = NULL;
  Prompt p;

  purple_account_set_remember_password (acc, TRUE);
  purple_account_set_password (acc, refresh);
  fake_graph_revoke_refresh_tokens (fg);
  tb_account_connect (acc);
  wait_prompt (&p);
  g_assert_cmpuint (fake_graph_count (fg, NULL, DEVICECODE_PATH), ==, 0);
  page = fake_browser_follow (p.url);
  tb_wait_connected (acc);
  g_assert_cmpstr (purple_account_get_password (acc), !=, refresh);
  prompt_clear (&p);
}

/* Neither the debug log nor any connection error holds the authorization code, the PKCE
 * verifier, an access token or a refresh token, after a sign-in, a refused code and a decline. */
static void
test_no_secrets_in_logs (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = new_browser_account (fg);
  g_autoptr (GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) tokens = NULL;
  g_autoptr (FakeBrowserPage) first = NULL;
  g_autoptr (FakeBrowserPage) page = NULL;
  g_autoptr (FakeBrowserPage) bad = NULL;
  g_autofree char *tampered = NULL;
  GPtrArray *log;
  const char *debug;
  Prompt p;

  /* 1. a sign-in */
  tb_account_connect (acc);
  wait_prompt (&p);
  first = fake_browser_get (p.url);
  g_ptr_array_add (secrets, fake_browser_query_param (first->location, "code"));
  page = fake_browser_get (first->location);
  tb_wait_connected (acc);
  g_ptr_array_add (secrets, g_strdup (purple_account_get_password (acc)));
  prompt_clear (&p);

  /* 2. a code the token endpoint refuses */
  tb_account_disconnect (acc);
  purple_account_set_password (acc, NULL);
  tb_events_mark ();
  tb_account_connect (acc);
  wait_prompt (&p);
  g_clear_pointer (&first, fake_browser_page_free);
  first = fake_browser_get (p.url);
  tampered = fake_browser_replace_param (first->location, "code", "0123456789-refused-code");
  g_ptr_array_add (secrets, g_strdup ("0123456789-refused-code"));
  bad = fake_browser_get (tampered);
  tb_wait_event (TB_EV_CONN_ERROR, "refused the browser sign-in");
  tb_wait_disconnected (acc);
  prompt_clear (&p);

  /* Every code and verifier that went to the token endpoint, every access token issued. */
  log = fake_graph_requests (fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];
      g_autoptr (GHashTable) form = NULL;

      if (r->body == NULL || !g_str_equal (r->path, TOKEN_PATH))
        continue;
      form = soup_form_decode (r->body);
      g_ptr_array_add (secrets, g_strdup (g_hash_table_lookup (form, "code")));
      g_ptr_array_add (secrets, g_strdup (g_hash_table_lookup (form, "code_verifier")));
    }
  tokens = fake_graph_issued_access_tokens (fg);
  for (guint i = 0; i < tokens->len; i++)
    g_ptr_array_add (secrets, g_strdup (tokens->pdata[i]));

  debug = tb_debug_log ();
  g_assert_nonnull (strstr (debug, "browser sign-in: exchanging the authorization code"));
  g_assert_cmpuint (secrets->len, >=, 7);
  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = secrets->pdata[i];

      g_assert_nonnull (secret);
      g_assert_cmpuint (strlen (secret), >=, 16);
      sc_assert_secret_hidden (secret, i);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/browser-signin/end-to-end", test_end_to_end);
  tb_add ("/browser-signin/state-mismatch", test_state_mismatch);
  tb_add ("/browser-signin/access-denied", test_access_denied);
  tb_add ("/browser-signin/cancelled-by-user", test_cancelled_by_user);
  tb_add ("/browser-signin/close-while-waiting", test_close_while_waiting);
  tb_add ("/browser-signin/revoked-refresh-token", test_revoked_refresh_token);
  tb_add ("/browser-signin/no-secrets-in-logs", test_no_secrets_in_logs);
  return tb_run ();
}
