/* tg-auth-browser — PKCE, the authorize URL and the loopback redirect listener
 * (see tg-auth-browser.h).
 *
 * Lifetime: TgAuthBrowser is reference counted internally. tg_auth_browser_free() closes the
 * server and drops the owner's reference; the delivery idle and the "finished" handlers of
 * pages in flight hold their own, so a late signal never finds freed memory.
 *
 * The wait ends only after the browser got its page (SoupServerMessage::finished), and from an
 * idle: the owner may then free us (and so the server) without doing it inside a server
 * callback, and without cutting off the page the user is looking at.
 */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-auth-browser.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "core/tg-error.h"

#define MAX_RANDOM_BYTES 256
#define MAX_DESCRIPTION_CHARS 300   /* error descriptions from the redirect are cut to this */

struct _TgAuthBrowser {
  gatomicrefcount ref;
  GMainContext *context;
  SoupServer *server;             /* NULL once freed by the owner */
  char *redirect_uri;
  char *authorize_url;
  char *verifier;                 /* secret */
  char *state;                    /* secret */

  gboolean answered;              /* a redirect with our state came (its outcome is below) */
  gboolean page_sent;             /* ... and the browser has its page: the wait may end */
  char *code;                     /* secret; the outcome when it is a code */
  GError *error;                  /* the outcome when the redirect carried error=... */

  GTask *task;                    /* the pending wait */
  gulong cancel_handler;
  GSource *idle;                  /* delivery, pending */
};

void
tg_auth_browser_free_secret (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static TgAuthBrowser *
browser_ref (TgAuthBrowser *browser)
{
  g_atomic_ref_count_inc (&browser->ref);
  return browser;
}

static void
browser_unref (TgAuthBrowser *browser)
{
  if (browser == NULL || !g_atomic_ref_count_dec (&browser->ref))
    return;
  g_warn_if_fail (browser->task == NULL && browser->idle == NULL);
  g_free (browser->redirect_uri);
  g_free (browser->authorize_url);
  tg_auth_browser_free_secret (browser->verifier);
  tg_auth_browser_free_secret (browser->state);
  tg_auth_browser_free_secret (browser->code);
  g_clear_error (&browser->error);
  g_main_context_unref (browser->context);
  g_free (browser);
}

/* ------------------------------------------------------------------------------------------ */
/* PKCE                                                                                        */

/* base64url without padding (RFC 4648 §5, as RFC 7636 wants it). */
static char *
base64url (const guchar *data, gsize len)
{
  char *text = g_base64_encode (data, len);
  char *end = text + strlen (text);

  while (end > text && end[-1] == '=')
    *--end = '\0';
  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  return text;
}

/* Fills `buf` from the kernel's CSPRNG. getrandom() does not block once the pool is
 * initialised (GRND_NONBLOCK makes sure of it); /dev/urandom is the fallback for kernels
 * without the call. g_random_* is not cryptographic and is never used for these values. */
static gboolean
secure_random (guchar *buf, gsize len, GError **error)
{
  gsize got = 0;
  int fd;

  while (got < len)
    {
      ssize_t n = getrandom (buf + got, len - got, GRND_NONBLOCK);
      if (n > 0)
        got += (gsize) n;
      else if (n < 0 && errno == EINTR)
        continue;
      else
        break;
    }
  if (got == len)
    return TRUE;
  if (errno != ENOSYS)
    goto fail;
  fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    goto fail;
  while (got < len)
    {
      ssize_t n = read (fd, buf + got, len - got);
      if (n > 0)
        got += (gsize) n;
      else if (!(n < 0 && errno == EINTR))
        break;
    }
  close (fd);
  if (got == len)
    return TRUE;
fail:
  g_set_error_literal (error, TG_ERROR, TG_ERROR_CONFIG,
                       "No secure random numbers are available for the browser sign-in");
  return FALSE;
}

char *
tg_auth_browser_random_string (gsize n_bytes, GError **error)
{
  guchar buf[MAX_RANDOM_BYTES];
  char *text;

  g_return_val_if_fail (n_bytes > 0 && n_bytes <= MAX_RANDOM_BYTES, NULL);
  if (!secure_random (buf, n_bytes, error))
    return NULL;
  text = base64url (buf, n_bytes);
  memset (buf, 0, sizeof buf);
  return text;
}

char *
tg_auth_browser_pkce_challenge (const char *verifier)
{
  guint8 digest[32];
  gsize len = sizeof digest;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_return_val_if_fail (verifier != NULL, NULL);
  g_checksum_update (sum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  return base64url (digest, len);
}

/* ------------------------------------------------------------------------------------------ */
/* The outcome of a redirect                                                                   */

/* A state comparison that does not tell an attacker how much of the guess was right. */
static gboolean
same_secret (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  guchar diff = la != lb;

  for (gsize i = 0; i < la && i < lb; i++)
    diff |= (guchar) (a[i] ^ b[i]);
  return diff == 0;
}

/* The error a redirect's error=... stands for. The description comes from the identity
 * platform through the browser: one line, cut short. */
static GError *
redirect_error (const char *code, const char *description)
{
  g_autofree char *detail = NULL;
  TgErrorCode kind;
  const char *what;

  if (description != NULL && *description != '\0')
    {
      g_autofree char *cut = g_utf8_make_valid (description, -1);
      g_autofree char *line = NULL;

      if (g_utf8_strlen (cut, -1) > MAX_DESCRIPTION_CHARS)
        {
          g_autofree char *head = g_utf8_substring (cut, 0, MAX_DESCRIPTION_CHARS);
          line = g_strconcat (head, "…", NULL);
        }
      else
        line = g_strdup (cut);
      g_strdelimit (line, "\r\n\t", ' ');
      detail = g_strdup_printf ("%s: %s", code, line);
    }
  else
    detail = g_strdup (code);

  if (g_str_equal (code, "access_denied") || g_str_equal (code, "consent_required")
      || g_str_equal (code, "interaction_required") || g_str_equal (code, "login_required"))
    {
      kind = TG_ERROR_AUTH_DECLINED;
      what = "Sign-in was declined in the browser";
    }
  else if (g_str_equal (code, "invalid_client") || g_str_equal (code, "unauthorized_client")
           || g_str_equal (code, "invalid_request") || g_str_equal (code, "invalid_scope")
           || g_str_equal (code, "unsupported_response_type"))
    {
      kind = TG_ERROR_CONFIG;
      what = "The sign-in server refused the app registration (client_id, tenant, redirect URI "
             "or permissions)";
    }
  else if (g_str_equal (code, "server_error") || g_str_equal (code, "temporarily_unavailable"))
    {
      kind = TG_ERROR_SERVER;
      what = "The sign-in server could not complete the sign-in";
    }
  else
    {
      kind = TG_ERROR_SIGNED_OUT;
      what = "Sign-in refused";
    }
  return g_error_new (TG_ERROR, kind, "%s (%s)", what, detail);
}

/* ------------------------------------------------------------------------------------------ */
/* Handing the outcome to the wait                                                             */

static gboolean deliver_idle (gpointer data);

static void
schedule_delivery (TgAuthBrowser *browser)
{
  if (browser->idle != NULL)
    return;
  browser->idle = g_idle_source_new ();
  g_source_set_callback (browser->idle, deliver_idle, browser_ref (browser),
                         (GDestroyNotify) browser_unref);
  g_source_set_static_name (browser->idle, "tg-auth-browser deliver");
  g_source_attach (browser->idle, browser->context);
}

static gboolean
deliver_idle (gpointer data)
{
  TgAuthBrowser *browser = data;
  GTask *task = browser->task;
  GCancellable *cancellable;

  g_clear_pointer (&browser->idle, g_source_unref);
  if (task == NULL)
    return G_SOURCE_REMOVE;
  cancellable = g_task_get_cancellable (task);
  if (browser->server != NULL && !g_cancellable_is_cancelled (cancellable) && !browser->page_sent)
    return G_SOURCE_REMOVE;   /* nothing to tell yet */

  browser->task = NULL;
  if (browser->cancel_handler != 0)
    g_cancellable_disconnect (cancellable, browser->cancel_handler);
  browser->cancel_handler = 0;
  if (browser->server == NULL || g_cancellable_is_cancelled (cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else if (browser->error != NULL)
    g_task_return_error (task, g_steal_pointer (&browser->error));
  else
    g_task_return_pointer (task, g_steal_pointer (&browser->code),
                           (GDestroyNotify) tg_auth_browser_free_secret);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
on_wait_cancelled (GCancellable *cancellable, gpointer data)
{
  /* Not here: disconnecting a cancellable from its own handler would deadlock. */
  schedule_delivery (data);
}

static void
closure_unref_browser (gpointer data, GClosure *closure)
{
  browser_unref (data);
}

static void
on_page_finished (SoupServerMessage *msg, gpointer data)
{
  TgAuthBrowser *browser = data;

  browser->page_sent = TRUE;
  schedule_delivery (browser);
}

/* ------------------------------------------------------------------------------------------ */
/* The listener                                                                                */

static void
answer_page (SoupServerMessage *msg, guint status, const char *title, const char *text)
{
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *x = g_markup_escape_text (text, -1);
  g_autofree char *html = g_strdup_printf (
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Teams (Graph) sign-in</title></head>"
    "<body style=\"font-family: sans-serif; margin: 3em\"><h1>%s</h1><p>%s</p></body></html>\n",
    t, x);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Content-Security-Policy", "default-src 'none'");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, html,
                                    strlen (html));
}

static const char *
query_value (GHashTable *query, const char *name)
{
  return query != NULL ? g_hash_table_lookup (query, name) : NULL;
}

static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  TgAuthBrowser *browser = data;
  const char *method = soup_server_message_get_method (msg);
  const char *state = query_value (query, "state");
  const char *code = query_value (query, "code");
  const char *error = query_value (query, "error");

  if (browser->server == NULL)
    return;
  if (!g_str_equal (path, "/"))
    {
      /* favicon.ico and the like. */
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (state == NULL || !same_secret (state, browser->state))
    {
      g_debug ("browser sign-in: refused a redirect whose state is %s",
               state == NULL ? "missing" : "not ours");
      answer_page (msg, SOUP_STATUS_BAD_REQUEST, "This sign-in answer is not expected",
                   "It does not belong to the sign-in your chat client is waiting for (an old "
                   "browser tab?). Start the sign-in from your chat client again if it does not "
                   "complete.");
      return;
    }
  if (browser->answered)
    {
      answer_page (msg, SOUP_STATUS_OK, "Sign-in already handled",
                   "You may close this window and return to your chat client.");
      return;
    }
  if (error != NULL && *error != '\0')
    {
      g_autofree char *shown = g_strdup_printf ("The sign-in server answered \"%s\". You may "
                                                "close this window; your chat client shows "
                                                "what happened.", error);

      browser->error = redirect_error (error, query_value (query, "error_description"));
      g_debug ("browser sign-in: the redirect carried an error (%s)", error);
      answer_page (msg, SOUP_STATUS_OK, "Sign-in failed", shown);
    }
  else if (code != NULL && *code != '\0')
    {
      browser->code = g_strdup (code);
      g_debug ("browser sign-in: authorization code received");
      answer_page (msg, SOUP_STATUS_OK, "Signed in to Teams (Graph)",
                   "You may close this window and return to your chat client.");
    }
  else
    {
      answer_page (msg, SOUP_STATUS_BAD_REQUEST, "This sign-in answer has no code",
                   "Start the sign-in from your chat client again.");
      return;
    }
  browser->answered = TRUE;
  g_signal_connect_data (msg, "finished", G_CALLBACK (on_page_finished), browser_ref (browser),
                         closure_unref_browser, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */

static void
append_param (GString *url, const char *name, const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_printf (url, "%c%s=%s", strchr (url->str, '?') != NULL ? '&' : '?', name, escaped);
}

TgAuthBrowser *
tg_auth_browser_new (const char *authorize_url, const char *client_id, const char *scopes,
                     const char *login_hint, GError **error)
{
  TgAuthBrowser *browser;
  g_autofree char *challenge = NULL;
  g_autoptr (GError) listen_error = NULL;
  GSList *uris;
  guint port = 0;
  GString *url;

  g_return_val_if_fail (authorize_url != NULL && client_id != NULL && scopes != NULL, NULL);
  browser = g_new0 (TgAuthBrowser, 1);
  g_atomic_ref_count_init (&browser->ref);
  browser->context = g_main_context_ref_thread_default ();
  browser->verifier = tg_auth_browser_random_string (32, error);
  if (browser->verifier != NULL)
    browser->state = tg_auth_browser_random_string (16, error);
  if (browser->state == NULL)
    {
      browser_unref (browser);
      return NULL;
    }

  browser->server = soup_server_new ("server-header", "teams-graph ", NULL);
  /* The handler's reference goes when the server does (tg_auth_browser_free). */
  soup_server_add_handler (browser->server, NULL, on_request, browser_ref (browser),
                           (GDestroyNotify) browser_unref);
  if (!soup_server_listen_local (browser->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &listen_error))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG,
                   "Cannot receive the browser sign-in on 127.0.0.1: %s", listen_error->message);
      g_clear_object (&browser->server);
      browser_unref (browser);
      return NULL;
    }
  uris = soup_server_get_uris (browser->server);
  if (uris != NULL)
    port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  /* RFC 8252 §7.3: Microsoft accepts http://localhost with any port for public clients. */
  browser->redirect_uri = g_strdup_printf ("http://localhost:%u", port);

  challenge = tg_auth_browser_pkce_challenge (browser->verifier);
  url = g_string_new (authorize_url);
  append_param (url, "client_id", client_id);
  append_param (url, "response_type", "code");
  append_param (url, "redirect_uri", browser->redirect_uri);
  append_param (url, "response_mode", "query");
  append_param (url, "scope", scopes);
  append_param (url, "state", browser->state);
  append_param (url, "code_challenge", challenge);
  append_param (url, "code_challenge_method", "S256");
  if (login_hint != NULL && *login_hint != '\0')
    append_param (url, "login_hint", login_hint);
  browser->authorize_url = g_string_free (url, FALSE);
  g_debug ("browser sign-in: waiting for the redirect on 127.0.0.1:%u", port);
  return browser;
}

void
tg_auth_browser_free (TgAuthBrowser *browser)
{
  if (browser == NULL)
    return;
  if (browser->server != NULL)
    {
      soup_server_disconnect (browser->server);
      g_clear_object (&browser->server);
    }
  if (browser->task != NULL)
    schedule_delivery (browser);   /* → G_IO_ERROR_CANCELLED */
  browser_unref (browser);
}

const char *
tg_auth_browser_get_authorize_url (TgAuthBrowser *browser)
{
  return browser->authorize_url;
}

const char *
tg_auth_browser_get_redirect_uri (TgAuthBrowser *browser)
{
  return browser->redirect_uri;
}

const char *
tg_auth_browser_get_code_verifier (TgAuthBrowser *browser)
{
  return browser->verifier;
}

void
tg_auth_browser_wait_async (TgAuthBrowser *browser, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tg_auth_browser_wait_async);
  g_task_set_name (task, "tg-auth-browser wait");
  if (browser->task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The browser sign-in is already being waited for");
      g_object_unref (task);
      return;
    }
  browser->task = task;
  if (cancellable != NULL)
    browser->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_wait_cancelled),
                                                     browser, NULL);
  if (browser->page_sent || browser->server == NULL)
    schedule_delivery (browser);
}

char *
tg_auth_browser_wait_finish (TgAuthBrowser *browser, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
