/* tg-auth — signing in to the Microsoft identity platform and keeping tokens fresh
 * (see tg-auth.h).
 *
 * Everything that obtains an access token is one "acquisition": the refresh token grant when a
 * refresh token is known, else (or when it is refused) the interactive sign-in: the device
 * code flow or the browser sign-in (listener + PKCE from tg-auth-browser, then the
 * authorization code grant). At most one
 * acquisition runs at a time; sign-in and every refresh request (tg-graph's TgTokenSource) wait
 * on it as "waiters", so concurrent 401s cost one token request. A waiter whose cancellable
 * fires leaves at once; when the last one has left, the acquisition stops (its requests are
 * cancelled and its poll timer removed).
 *
 * Lifetime: TgAuth is reference counted internally. tg_auth_free() drops the owner's reference,
 * cancels everything and silences the callbacks; acquisitions, requests and timers hold their
 * own references, so a late completion never finds freed memory.
 *
 * Secrets (tokens, codes, the form bodies that carry them) are never logged and never put in a
 * GError; they are wiped from memory when dropped.
 */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-auth.h"

#include <string.h>

#include "core/tg-auth-browser.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-url.h"

#define GRANT_DEVICE_CODE "urn:ietf:params:oauth:grant-type:device_code"
#define GRANT_REFRESH "refresh_token"
#define GRANT_AUTH_CODE "authorization_code"

#define REFRESH_MARGIN_S 300        /* access tokens are renewed this long before they expire */
#define DEFAULT_POLL_INTERVAL_S 5.0
#define MIN_POLL_INTERVAL_S 0.01    /* an emulator may ask for very short intervals */
#define SLOW_DOWN_STEP_S 5.0
#define DEFAULT_DEVICE_CODE_LIFETIME_S 900
#define BROWSER_WAIT_S 600          /* how long the browser sign-in waits for the redirect */
#define MAX_POLL_FAILURES 4         /* consecutive transport/5xx failures tolerated while polling */
#define MAX_BODY_TEXT 300           /* error descriptions are cut to this many characters */

typedef struct _Acquire Acquire;

struct _TgAuth {
  gatomicrefcount ref;
  gboolean freed;                 /* the owner called tg_auth_free */
  GMainContext *context;          /* where timers and idles run (thread-default at creation) */
  GThread *thread;                /* the thread that created us (not a reference) */

  SoupSession *session;
  char *login_url;
  char *tenant;
  char *client_id;
  char *scopes;
  char *token_url;
  char *devicecode_url;
  char *authorize_url;
  TgAuthMethod method;
  char *login_hint;

  TgAuthCallbacks callbacks;
  gpointer callbacks_data;

  char *refresh_token;            /* secret */
  char *access_token;             /* secret */
  gint64 access_renew_at;         /* monotonic µs after which the token counts as expiring */
  char *tenant_id;                /* 'tid' of the id token, or the tenant setting when a GUID */

  TgGraph *graph;                 /* attached graph (ref), or NULL */
  double time_scale;              /* scales device-code poll waits and the code's lifetime */
  double poll_interval;           /* current device code poll interval (s), 0 before any */

  Acquire *acquire;               /* the acquisition in flight, or NULL */
};

typedef struct {
  GTask *task;
  GCancellable *cancellable;      /* the caller's, may be NULL */
  gulong handler;
} Waiter;

typedef enum {
  STEP_REFRESH,                   /* refresh token grant in flight */
  STEP_DEVICE_CODE,               /* devicecode request in flight */
  STEP_POLL,                      /* polling the token endpoint for the device code */
  STEP_BROWSER,                   /* waiting for the browser's redirect */
  STEP_CODE_EXCHANGE,             /* authorization code grant in flight */
} AcquireStep;

struct _Acquire {
  grefcount ref;
  TgAuth *auth;                   /* ref */
  GCancellable *cancellable;      /* ours: cancels our requests */
  GList *waiters;                 /* Waiter* */
  gboolean done;
  AcquireStep step;

  /* device code flow */
  char *device_code;              /* secret */
  double interval;                /* seconds, before time_scale */
  gint64 deadline;                /* monotonic µs (scaled) after which the code is dead */
  guint poll_failures;
  GSource *timer;                 /* device code poll, or the browser sign-in's deadline */
  gboolean prompt_shown;          /* the device code prompt */

  /* browser sign-in */
  TgAuthBrowser *browser;         /* the loopback listener, freed when the acquisition ends */
  gboolean browser_prompt_shown;
};

/* One form POST to the identity platform. */
typedef struct {
  Acquire *op;                    /* ref */
  SoupMessage *msg;
  void (*handle) (Acquire *op, guint status, JsonObject *reply, GError *transport_error);
} Post;

static void acquire_complete (Acquire *op, GError *error);
static void start_device_code (Acquire *op);
static void start_interactive (Acquire *op);
static void schedule_poll (Acquire *op);

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static void
free_secret (char *secret)
{
  tg_auth_browser_free_secret (secret);
}

static void
replace_secret (char **slot, const char *value)
{
  free_secret (*slot);
  *slot = g_strdup (value);
}

static TgAuth *
auth_ref (TgAuth *auth)
{
  g_atomic_ref_count_inc (&auth->ref);
  return auth;
}

static void
auth_unref (TgAuth *auth)
{
  if (auth == NULL || !g_atomic_ref_count_dec (&auth->ref))
    return;
  g_clear_object (&auth->session);
  g_free (auth->login_url);
  g_free (auth->tenant);
  g_free (auth->client_id);
  g_free (auth->scopes);
  g_free (auth->token_url);
  g_free (auth->devicecode_url);
  g_free (auth->authorize_url);
  g_free (auth->login_hint);
  free_secret (auth->refresh_token);
  free_secret (auth->access_token);
  g_free (auth->tenant_id);
  g_clear_pointer (&auth->graph, tg_graph_unref);
  g_main_context_unref (auth->context);
  g_free (auth);
}

static Acquire *
acquire_ref (Acquire *op)
{
  g_ref_count_inc (&op->ref);
  return op;
}

static void
acquire_unref (Acquire *op)
{
  if (op == NULL || !g_ref_count_dec (&op->ref))
    return;
  g_warn_if_fail (op->waiters == NULL);
  g_warn_if_fail (op->timer == NULL);
  g_warn_if_fail (op->browser == NULL);
  g_object_unref (op->cancellable);
  free_secret (op->device_code);
  auth_unref (op->auth);
  g_free (op);
}

/* A seconds value that servers send as a number or (older endpoints) as a string. */
static double
json_seconds (JsonObject *obj, const char *member, double fallback)
{
  const char *text = tg_json_string (obj, member);

  if (text != NULL)
    {
      char *end = NULL;
      double v = g_ascii_strtod (text, &end);
      return (end != text && v >= 0) ? v : fallback;
    }
  return tg_json_double (obj, member, fallback);
}

/* "error: description" from an OAuth error body, on one line and cut short. The description
 * comes from the server and never holds a token or code (they are our secrets, not its). */
static char *
oauth_error_text (JsonObject *reply, guint status)
{
  const char *code = tg_json_string (reply, "error");
  const char *description = tg_json_string (reply, "error_description");
  GString *text = g_string_new (NULL);

  if (code != NULL)
    g_string_append (text, code);
  else
    g_string_append_printf (text, "HTTP %u", status);
  if (description != NULL && *description != '\0')
    {
      const char *p = description;
      glong n = 0;

      g_string_append (text, ": ");
      while (*p != '\0' && n < MAX_BODY_TEXT)
        {
          const char *next = g_utf8_next_char (p);
          if (*p == '\r' || *p == '\n')
            g_string_append_c (text, ' ');
          else
            g_string_append_len (text, p, next - p);
          p = next;
          n++;
        }
      if (*p != '\0')
        g_string_append (text, "…");
    }
  return g_string_free (text, FALSE);
}

/* OAuth errors that say the client id, tenant or scopes are wrong (the user's settings). */
static gboolean
is_config_error (const char *code)
{
  return code != NULL
         && (g_str_equal (code, "invalid_client") || g_str_equal (code, "unauthorized_client")
             || g_str_equal (code, "invalid_scope") || g_str_equal (code, "invalid_request")
             || g_str_equal (code, "invalid_tenant"));
}

/* The error for a reply we cannot continue from (not one of the flow's own codes). */
static GError *
reply_error (guint status, JsonObject *reply, const char *what)
{
  const char *code = tg_json_string (reply, "error");

  if (status == 429 || (status >= 500 && status <= 599))
    return g_error_new (TG_ERROR, tg_error_code_for_status (status),
                        "The sign-in server could not %s (HTTP %u)", what, status);
  if (g_strcmp0 (code, "temporarily_unavailable") == 0)
    return g_error_new (TG_ERROR, TG_ERROR_SERVER,
                        "The sign-in server could not %s (temporarily unavailable)", what);
  if (is_config_error (code))
    {
      g_autofree char *text = oauth_error_text (reply, status);
      return g_error_new (TG_ERROR, TG_ERROR_CONFIG,
                          "The sign-in server refused the tenant or client_id setting: %s", text);
    }
  if (code != NULL)
    {
      g_autofree char *text = oauth_error_text (reply, status);
      return g_error_new (TG_ERROR, TG_ERROR_SIGNED_OUT, "Sign-in refused: %s", text);
    }
  return g_error_new (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                      "The sign-in server gave an answer that cannot be used (HTTP %u)", status);
}

/* The id token's claims (JWT payload; not verified: it only names the tenant for display and
 * for Graph calls that want a tenant id). NULL when absent or malformed. */
static JsonObject *
id_token_claims (const char *id_token)
{
  g_auto (GStrv) parts = NULL;
  g_autofree guchar *payload = NULL;
  gsize len = 0;
  GString *b64;
  JsonNode *node;
  JsonObject *obj = NULL;

  if (id_token == NULL)
    return NULL;
  parts = g_strsplit (id_token, ".", 4);
  if (g_strv_length (parts) < 2)
    return NULL;
  b64 = g_string_new (parts[1]);
  for (gsize i = 0; i < b64->len; i++)
    {
      if (b64->str[i] == '-')
        b64->str[i] = '+';
      else if (b64->str[i] == '_')
        b64->str[i] = '/';
    }
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');
  payload = g_base64_decode (b64->str, &len);
  g_string_free (b64, TRUE);
  if (payload == NULL || len == 0)
    return NULL;
  node = tg_json_parse ((const char *) payload, len, NULL);
  if (tg_json_node_object (node) != NULL)
    obj = json_object_ref (tg_json_node_object (node));
  if (node != NULL)
    json_node_unref (node);
  return obj;
}

static gboolean
is_guid (const char *text)
{
  static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

  if (text == NULL || strlen (text) != sizeof pattern - 1)
    return FALSE;
  for (gsize i = 0; pattern[i] != '\0'; i++)
    if (pattern[i] == '-' ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

/* Tenant names and client ids go into URLs and forms: letters, digits, '.', '-', '_'. */
static gboolean
is_plain_name (const char *text)
{
  if (text == NULL || *text == '\0' || strlen (text) > 256)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static GSource *
attach_timeout (TgAuth *auth, double seconds, GSourceFunc func, Acquire *op)
{
  double ms = seconds * 1000.0;
  GSource *source = g_timeout_source_new (ms < 1.0 ? 1 : ms > G_MAXUINT ? G_MAXUINT : (guint) ms);

  g_source_set_callback (source, func, acquire_ref (op), (GDestroyNotify) acquire_unref);
  g_source_set_static_name (source, "tg-auth poll");
  g_source_attach (source, auth->context);
  return source;
}

/* ------------------------------------------------------------------------------------------ */
/* Token replies                                                                               */

/* Takes the tokens of a successful token reply. FALSE (and `error`) when it holds none. */
static gboolean
accept_tokens (TgAuth *auth, JsonObject *reply, const char *how, GError **error)
{
  const char *access = tg_json_string (reply, "access_token");
  const char *refresh = tg_json_string (reply, "refresh_token");
  double expires_in = json_seconds (reply, "expires_in", 3600);
  double margin;
  JsonObject *claims;

  if (access == NULL || *access == '\0')
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_RESPONSE,
                           "The sign-in server answered without an access token");
      return FALSE;
    }
  replace_secret (&auth->access_token, access);
  /* Renew 5 minutes ahead, or halfway through a token that lives less than 10 minutes. */
  margin = MIN (REFRESH_MARGIN_S, expires_in / 2);
  auth->access_renew_at = g_get_monotonic_time () + (gint64) ((expires_in - margin) * G_USEC_PER_SEC);

  claims = id_token_claims (tg_json_string (reply, "id_token"));
  if (claims != NULL)
    {
      const char *tid = tg_json_string (claims, "tid");
      if (tid != NULL && *tid != '\0')
        {
          g_free (auth->tenant_id);
          auth->tenant_id = g_strdup (tid);
        }
      json_object_unref (claims);
    }

  g_debug ("%s, expires in %.0f s", how, expires_in);

  if (refresh != NULL && *refresh != '\0'
      && (auth->refresh_token == NULL || !g_str_equal (auth->refresh_token, refresh)))
    {
      replace_secret (&auth->refresh_token, refresh);
      if (!auth->freed && auth->callbacks.refresh_token_changed != NULL)
        auth->callbacks.refresh_token_changed (auth->callbacks_data, auth->refresh_token);
    }
  return TRUE;
}

/* Ends the operation with the tokens of a 200 token reply (or why they are unusable). */
static void
complete_with_tokens (Acquire *op, JsonObject *reply, const char *how)
{
  GError *failure = NULL;

  if (accept_tokens (op->auth, reply, how, &failure))
    acquire_complete (op, NULL);
  else
    acquire_complete (op, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* Form POSTs                                                                                  */

static void
on_posted (GObject *source, GAsyncResult *result, gpointer data)
{
  Post *post = data;
  Acquire *op = post->op;
  GError *error = NULL;
  g_autoptr (GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status = soup_message_get_status (post->msg);

  if (op->done)
    g_clear_error (&error);   /* nobody waits for this answer any more */
  else if (error != NULL)
    post->handle (op, 0, NULL, error);
  else
    {
      g_autoptr (JsonNode) node = NULL;
      gsize len = 0;
      const char *text = g_bytes_get_data (bytes, &len);

      if (len > 0)
        node = tg_json_parse (text, len, NULL);
      post->handle (op, status, tg_json_node_object (node), NULL);
    }
  g_clear_error (&error);
  g_object_unref (post->msg);
  acquire_unref (op);
  g_free (post);
}

/* POSTs the NULL-terminated name/value pairs as a form to `url`. */
static void
post_form (Acquire *op, const char *url,
           void (*handle) (Acquire *, guint, JsonObject *, GError *), ...)
{
  Post *post = g_new0 (Post, 1);
  GHashTable *fields = g_hash_table_new (g_str_hash, g_str_equal);
  char *form;
  va_list ap;
  const char *name;

  va_start (ap, handle);
  while ((name = va_arg (ap, const char *)) != NULL)
    g_hash_table_insert (fields, (gpointer) name, va_arg (ap, char *));
  va_end (ap);
  form = soup_form_encode_hash (fields);
  g_hash_table_unref (fields);

  post->op = acquire_ref (op);
  post->handle = handle;
  post->msg = soup_message_new_from_encoded_form ("POST", url, form);   /* takes `form` */
  soup_message_headers_replace (soup_message_get_request_headers (post->msg), "Accept",
                                "application/json");
  soup_session_send_and_read_async (op->auth->session, post->msg, G_PRIORITY_DEFAULT,
                                    op->cancellable, on_posted, post);
}

static GError *
transport_error (GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  return g_error_new (TG_ERROR, TG_ERROR_OFFLINE, "Cannot reach the sign-in server: %s",
                      error->message);
}

/* ------------------------------------------------------------------------------------------ */
/* Device code flow                                                                            */

static void
on_poll_reply (Acquire *op, guint status, JsonObject *reply, GError *error)
{
  TgAuth *auth = op->auth;
  const char *code = tg_json_string (reply, "error");
  GError *failure = NULL;

  if (error != NULL || status == 429 || (status >= 500 && status <= 599)
      || g_strcmp0 (code, "temporarily_unavailable") == 0)
    {
      /* A passing network or server fault must not throw away a sign-in the user is doing. */
      if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          acquire_complete (op, g_error_copy (error));
          return;
        }
      if (++op->poll_failures <= MAX_POLL_FAILURES)
        {
          g_debug ("device code poll failed (%s); trying again", error ? "network" : "server");
          schedule_poll (op);
          return;
        }
      acquire_complete (op, error ? transport_error (error) : reply_error (status, reply, "check the sign-in"));
      return;
    }
  op->poll_failures = 0;

  if (status == 200)
    {
      complete_with_tokens (op, reply, "token issued for the device code");
      return;
    }
  if (g_strcmp0 (code, "authorization_pending") == 0)
    {
      schedule_poll (op);
      return;
    }
  if (g_strcmp0 (code, "slow_down") == 0)
    {
      op->interval += SLOW_DOWN_STEP_S;
      auth->poll_interval = op->interval;
      g_debug ("device code poll: slow_down, now every %.2f s", op->interval);
      schedule_poll (op);
      return;
    }
  if (g_strcmp0 (code, "authorization_declined") == 0 || g_strcmp0 (code, "access_denied") == 0)
    failure = g_error_new_literal (TG_ERROR, TG_ERROR_AUTH_DECLINED, "Sign-in was declined.");
  else if (g_strcmp0 (code, "expired_token") == 0 || g_strcmp0 (code, "code_expired") == 0)
    failure = g_error_new_literal (TG_ERROR, TG_ERROR_AUTH_DECLINED,
                                   "The sign-in code expired before it was used. "
                                   "Reconnect to get a new code.");
  else if (g_strcmp0 (code, "bad_verification_code") == 0)
    failure = g_error_new_literal (TG_ERROR, TG_ERROR_AUTH_DECLINED,
                                   "The sign-in server did not recognise the sign-in code. "
                                   "Reconnect to get a new code.");
  else if (g_strcmp0 (code, "invalid_grant") == 0)
    {
      g_autofree char *text = oauth_error_text (reply, status);
      failure = g_error_new (TG_ERROR, TG_ERROR_AUTH_DECLINED, "Sign-in was refused: %s", text);
    }
  else
    failure = reply_error (status, reply, "check the sign-in");
  acquire_complete (op, failure);
}

static gboolean
on_poll_timer (gpointer data)
{
  Acquire *op = data;
  TgAuth *auth = op->auth;

  g_clear_pointer (&op->timer, g_source_unref);
  if (op->done)
    return G_SOURCE_REMOVE;
  if (g_get_monotonic_time () >= op->deadline)
    {
      acquire_complete (op, g_error_new_literal (TG_ERROR, TG_ERROR_AUTH_DECLINED,
                                                 "The sign-in code expired before it was used. "
                                                 "Reconnect to get a new code."));
      return G_SOURCE_REMOVE;
    }
  post_form (op, auth->token_url, on_poll_reply,
             "grant_type", GRANT_DEVICE_CODE,
             "client_id", auth->client_id,
             "device_code", op->device_code,
             NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (Acquire *op)
{
  double wait = op->interval * op->auth->time_scale;

  if (op->poll_failures > 0)
    wait *= 1 << MIN (op->poll_failures, 4);
  g_warn_if_fail (op->timer == NULL);
  op->timer = attach_timeout (op->auth, wait, on_poll_timer, op);
}

static void
on_device_code_reply (Acquire *op, guint status, JsonObject *reply, GError *error)
{
  TgAuth *auth = op->auth;
  const char *user_code;
  const char *device_code;
  const char *uri;
  double expires_in;

  if (error != NULL)
    {
      acquire_complete (op, transport_error (error));
      return;
    }
  if (status != 200)
    {
      acquire_complete (op, reply_error (status, reply, "start the sign-in"));
      return;
    }
  user_code = tg_json_string (reply, "user_code");
  device_code = tg_json_string (reply, "device_code");
  uri = tg_json_string (reply, "verification_uri");
  if (uri == NULL)
    uri = tg_json_string (reply, "verification_url");   /* the older endpoints' spelling */
  if (user_code == NULL || *user_code == '\0' || device_code == NULL || *device_code == '\0'
      || uri == NULL || *uri == '\0')
    {
      acquire_complete (op, g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                                 "The sign-in server answered without a sign-in code"));
      return;
    }
  expires_in = json_seconds (reply, "expires_in", DEFAULT_DEVICE_CODE_LIFETIME_S);
  op->interval = MAX (json_seconds (reply, "interval", DEFAULT_POLL_INTERVAL_S), MIN_POLL_INTERVAL_S);
  auth->poll_interval = op->interval;
  op->deadline = g_get_monotonic_time () + (gint64) (expires_in * auth->time_scale * G_USEC_PER_SEC);
  replace_secret (&op->device_code, device_code);
  op->step = STEP_POLL;
  g_debug ("device code sign-in: code issued, valid for %.0f s, polling every %.2f s",
           expires_in, op->interval);

  op->prompt_shown = TRUE;
  if (!auth->freed && auth->callbacks.show_device_code != NULL)
    auth->callbacks.show_device_code (auth->callbacks_data, uri, user_code,
                                      tg_json_string (reply, "message"),
                                      (guint) MIN (expires_in, G_MAXUINT));
  if (!op->done)
    schedule_poll (op);
}

static void
start_device_code (Acquire *op)
{
  TgAuth *auth = op->auth;

  op->step = STEP_DEVICE_CODE;
  g_debug ("device code sign-in: requesting a code");
  post_form (op, auth->devicecode_url, on_device_code_reply,
             "client_id", auth->client_id,
             "scope", auth->scopes,
             NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Browser sign-in: authorization code + PKCE, redirect to the loopback listener               */

static void
on_code_reply (Acquire *op, guint status, JsonObject *reply, GError *error)
{
  GError *failure = NULL;

  if (error != NULL)
    {
      acquire_complete (op, transport_error (error));
      return;
    }
  if (status == 200)
    {
      complete_with_tokens (op, reply, "token issued for the browser sign-in");
      return;
    }
  if (g_strcmp0 (tg_json_string (reply, "error"), "invalid_grant") == 0)
    {
      g_autofree char *text = oauth_error_text (reply, status);
      failure = g_error_new (TG_ERROR, TG_ERROR_AUTH_DECLINED,
                             "The sign-in server refused the browser sign-in (%s). "
                             "Reconnect to try again.", text);
    }
  else
    failure = reply_error (status, reply, "complete the sign-in");
  acquire_complete (op, failure);
}

static void
on_browser_redirect (GObject *source, GAsyncResult *result, gpointer data)
{
  Acquire *op = data;
  TgAuth *auth = op->auth;
  GError *error = NULL;
  char *code = tg_auth_browser_wait_finish (op->browser, result, &error);

  if (op->done)
    g_clear_error (&error);   /* the acquisition ended meanwhile (cancelled, timed out) */
  else if (code == NULL)
    acquire_complete (op, error);
  else
    {
      /* The user is done in the browser; the exchange has the session's own timeouts. */
      if (op->timer != NULL)
        {
          g_source_destroy (op->timer);
          g_clear_pointer (&op->timer, g_source_unref);
        }
      op->step = STEP_CODE_EXCHANGE;
      g_debug ("browser sign-in: exchanging the authorization code");
      post_form (op, auth->token_url, on_code_reply,
                 "grant_type", GRANT_AUTH_CODE,
                 "client_id", auth->client_id,
                 "code", code,
                 "redirect_uri", tg_auth_browser_get_redirect_uri (op->browser),
                 "code_verifier", tg_auth_browser_get_code_verifier (op->browser),
                 "scope", auth->scopes,
                 NULL);
    }
  free_secret (code);
  acquire_unref (op);
}

static gboolean
on_browser_deadline (gpointer data)
{
  Acquire *op = data;

  g_clear_pointer (&op->timer, g_source_unref);
  acquire_complete (op, g_error_new (TG_ERROR, TG_ERROR_AUTH_DECLINED,
                                     "The browser sign-in was not completed within %u minutes. "
                                     "Reconnect to try again.", BROWSER_WAIT_S / 60));
  return G_SOURCE_REMOVE;
}

static void
start_browser (Acquire *op)
{
  TgAuth *auth = op->auth;
  GError *error = NULL;

  op->step = STEP_BROWSER;
  op->browser = tg_auth_browser_new (auth->authorize_url, auth->client_id, auth->scopes,
                                     auth->login_hint, &error);
  if (op->browser == NULL)
    {
      acquire_complete (op, error);
      return;
    }
  g_warn_if_fail (op->timer == NULL);
  op->timer = attach_timeout (auth, BROWSER_WAIT_S * auth->time_scale, on_browser_deadline, op);
  tg_auth_browser_wait_async (op->browser, op->cancellable, on_browser_redirect, acquire_ref (op));
  op->browser_prompt_shown = TRUE;
  if (!auth->freed && auth->callbacks.show_browser_sign_in != NULL)
    auth->callbacks.show_browser_sign_in (auth->callbacks_data,
                                          tg_auth_browser_get_authorize_url (op->browser),
                                          BROWSER_WAIT_S);
}

/* The sign-in that needs the user, by the configured method. */
static void
start_interactive (Acquire *op)
{
  if (op->auth->method == TG_AUTH_METHOD_BROWSER)
    start_browser (op);
  else
    start_device_code (op);
}

/* ------------------------------------------------------------------------------------------ */
/* Refresh token grant                                                                         */

static void
on_refresh_reply (Acquire *op, guint status, JsonObject *reply, GError *error)
{
  TgAuth *auth = op->auth;
  const char *code = tg_json_string (reply, "error");

  if (error != NULL)
    {
      acquire_complete (op, transport_error (error));
      return;
    }
  if (status == 200)
    {
      complete_with_tokens (op, reply, "token refreshed");
      return;
    }
  if (g_strcmp0 (code, "invalid_grant") == 0 || g_strcmp0 (code, "interaction_required") == 0
      || g_strcmp0 (code, "consent_required") == 0)
    {
      /* The refresh token is dead (revoked, expired, password changed, new consent needed):
       * forget it and sign in again instead of failing the account. */
      g_debug ("refresh token refused (%s); starting an interactive sign-in", code);
      free_secret (auth->refresh_token);
      auth->refresh_token = NULL;
      if (!auth->freed && auth->callbacks.refresh_token_changed != NULL)
        auth->callbacks.refresh_token_changed (auth->callbacks_data, NULL);
      if (!op->done)
        start_interactive (op);
      return;
    }
  acquire_complete (op, reply_error (status, reply, "refresh the sign-in"));
}

/* ------------------------------------------------------------------------------------------ */
/* Acquisitions and their waiters                                                              */

static void
waiter_free (Waiter *w)
{
  if (w->handler != 0)
    g_cancellable_disconnect (w->cancellable, w->handler);
  g_clear_object (&w->cancellable);
  g_clear_object (&w->task);
  g_free (w);
}

/* Ends the acquisition: every waiter gets the outcome (`error` NULL = success; consumed). */
static void
acquire_complete (Acquire *op, GError *error)
{
  TgAuth *auth = op->auth;
  GList *waiters;

  if (op->done)
    {
      g_clear_error (&error);
      return;
    }
  acquire_ref (op);
  op->done = TRUE;
  if (auth->acquire == op)
    auth->acquire = NULL;
  if (op->timer != NULL)
    {
      g_source_destroy (op->timer);
      g_clear_pointer (&op->timer, g_source_unref);
    }
  g_cancellable_cancel (op->cancellable);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("sign-in failed: %s", error->message);

  /* The listener goes now: no later redirect is answered, the port is free again. */
  g_clear_pointer (&op->browser, tg_auth_browser_free);
  if (op->prompt_shown && !auth->freed && auth->callbacks.close_device_code != NULL)
    auth->callbacks.close_device_code (auth->callbacks_data);
  if (op->browser_prompt_shown && !auth->freed && auth->callbacks.close_browser_sign_in != NULL)
    auth->callbacks.close_browser_sign_in (auth->callbacks_data);

  /* Waiter callbacks may run right here and may start a new acquisition: detach first. */
  waiters = g_steal_pointer (&op->waiters);
  for (GList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *w = l->data;
      GTask *task = g_object_ref (w->task);

      if (w->handler != 0)
        g_cancellable_disconnect (w->cancellable, w->handler);
      w->handler = 0;
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      waiter_free (w);
    }
  g_list_free (waiters);
  g_clear_error (&error);
  acquire_unref (op);   /* auth->acquire's reference */
  acquire_unref (op);   /* ours */
}

/* Runs (from an idle) after a waiter's cancellable fired: cancelled waiters leave; when none
 * is left, the acquisition stops. */
static gboolean
sweep_cancelled (gpointer data)
{
  Acquire *op = data;
  GList *l = op->waiters;

  while (l != NULL)
    {
      GList *next = l->next;
      Waiter *w = l->data;

      if (w->cancellable != NULL && g_cancellable_is_cancelled (w->cancellable))
        {
          GTask *task = g_object_ref (w->task);

          op->waiters = g_list_delete_link (op->waiters, l);
          waiter_free (w);
          g_task_return_error_if_cancelled (task);
          g_object_unref (task);
        }
      l = next;
    }
  if (op->waiters == NULL && !op->done)
    acquire_complete (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

/* TRUE when every waiter's cancellable has fired (nobody wants the acquisition any more). */
static gboolean
all_waiters_cancelled (Acquire *op)
{
  for (GList *l = op->waiters; l != NULL; l = l->next)
    {
      Waiter *w = l->data;
      if (w->cancellable == NULL || !g_cancellable_is_cancelled (w->cancellable))
        return FALSE;
    }
  return TRUE;
}

static void
on_waiter_cancelled (GCancellable *cancellable, gpointer data)
{
  Acquire *op = data;
  GSource *idle = g_idle_source_new ();

  /* The loopback port closes with the account, not an iteration later: a browser that comes
   * back after that finds nobody listening. (Only on our own thread: the server is not
   * thread-safe; elsewhere the sweep below closes it.) */
  if (op->browser != NULL && g_thread_self () == op->auth->thread && all_waiters_cancelled (op))
    g_clear_pointer (&op->browser, tg_auth_browser_free);

  /* Not here: disconnecting a cancellable from its own handler would deadlock. */
  g_source_set_callback (idle, sweep_cancelled, acquire_ref (op), (GDestroyNotify) acquire_unref);
  g_source_set_static_name (idle, "tg-auth cancel");
  g_source_attach (idle, op->auth->context);
  g_source_unref (idle);
}

static gboolean
abort_idle (gpointer data)
{
  acquire_complete (data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

/* Stops the acquisition now (requests cancelled, timer removed) but tells its waiters from an
 * idle, so that no caller's callback runs inside tg_auth_free(). */
static void
acquire_abort_later (Acquire *op)
{
  GSource *idle;

  if (op->timer != NULL)
    {
      g_source_destroy (op->timer);
      g_clear_pointer (&op->timer, g_source_unref);
    }
  g_cancellable_cancel (op->cancellable);
  g_clear_pointer (&op->browser, tg_auth_browser_free);
  idle = g_idle_source_new ();
  g_source_set_callback (idle, abort_idle, acquire_ref (op), (GDestroyNotify) acquire_unref);
  g_source_set_static_name (idle, "tg-auth abort");
  g_source_attach (idle, op->auth->context);
  g_source_unref (idle);
}

/* Makes `task` wait for the acquisition in flight, starting one when there is none. */
static void
acquire_join (TgAuth *auth, GTask *task)
{
  Acquire *op = auth->acquire;
  Waiter *w;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_task_return_error_if_cancelled (task))
    return;
  if (op == NULL)
    {
      op = g_new0 (Acquire, 1);
      g_ref_count_init (&op->ref);
      op->auth = auth_ref (auth);
      op->cancellable = g_cancellable_new ();
      auth->acquire = op;
      w = g_new0 (Waiter, 1);
      w->task = g_object_ref (task);
      op->waiters = g_list_append (op->waiters, w);
      if (cancellable != NULL)
        {
          w->cancellable = g_object_ref (cancellable);
          w->handler = g_cancellable_connect (cancellable, G_CALLBACK (on_waiter_cancelled), op, NULL);
        }
      if (auth->refresh_token != NULL)
        {
          op->step = STEP_REFRESH;
          post_form (op, auth->token_url, on_refresh_reply,
                     "grant_type", GRANT_REFRESH,
                     "client_id", auth->client_id,
                     "refresh_token", auth->refresh_token,
                     "scope", auth->scopes,
                     NULL);
        }
      else
        start_interactive (op);
      return;
    }
  w = g_new0 (Waiter, 1);
  w->task = g_object_ref (task);
  op->waiters = g_list_append (op->waiters, w);
  if (cancellable != NULL)
    {
      w->cancellable = g_object_ref (cancellable);
      w->handler = g_cancellable_connect (cancellable, G_CALLBACK (on_waiter_cancelled), op, NULL);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Token source for tg-graph                                                                   */

static gboolean
access_token_usable (TgAuth *auth)
{
  return auth->access_token != NULL && g_get_monotonic_time () < auth->access_renew_at;
}

static char *
source_get_access_token (gpointer data)
{
  TgAuth *auth = data;

  if (auth->freed || !access_token_usable (auth))
    return NULL;
  return g_strdup (auth->access_token);
}

static void
source_refresh_async (gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer callback_data)
{
  TgAuth *auth = data;
  GTask *task = g_task_new (NULL, cancellable, callback, callback_data);

  g_task_set_source_tag (task, source_refresh_async);
  g_task_set_name (task, "tg-auth refresh");
  if (auth->freed)
    g_task_return_new_error (task, TG_ERROR, TG_ERROR_SIGNED_OUT, "Signed out");
  else
    {
      /* The current token was refused (or is expiring): whatever it is, get a new one. */
      free_secret (auth->access_token);
      auth->access_token = NULL;
      acquire_join (auth, task);
    }
  g_object_unref (task);
}

static gboolean
source_refresh_finish (gpointer data, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static const TgTokenSource token_source = {
  .get_access_token = source_get_access_token,
  .refresh_async = source_refresh_async,
  .refresh_finish = source_refresh_finish,
};

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */

TgAuth *
tg_auth_new (SoupSession *session, const char *login_url, const char *tenant,
             const char *client_id, const char *scopes, GError **error)
{
  TgAuth *auth;
  g_autofree char *base = NULL;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  if (!tg_url_check_allowed (login_url, "login_url", error))
    return NULL;
  if (!is_plain_name (tenant))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG,
                   "The tenant setting must be a tenant id, a domain name or \"organizations\"");
      return NULL;
    }
  if (!is_plain_name (client_id))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG,
                   "The client_id setting must be an application (client) id");
      return NULL;
    }

  auth = g_new0 (TgAuth, 1);
  g_atomic_ref_count_init (&auth->ref);
  auth->context = g_main_context_ref_thread_default ();
  auth->thread = g_thread_self ();
  auth->session = g_object_ref (session);
  auth->login_url = g_strdup (login_url);
  auth->tenant = g_strdup (tenant);
  auth->client_id = g_strdup (client_id);
  auth->scopes = g_strdup (scopes != NULL && *scopes != '\0' ? scopes : TG_AUTH_DEFAULT_SCOPES);
  base = tg_url_join (login_url, tenant);
  auth->token_url = tg_url_join (base, "oauth2/v2.0/token");
  auth->devicecode_url = tg_url_join (base, "oauth2/v2.0/devicecode");
  auth->authorize_url = tg_url_join (base, "oauth2/v2.0/authorize");
  auth->time_scale = 1.0;
  if (is_guid (tenant))
    auth->tenant_id = g_ascii_strdown (tenant, -1);
  return auth;
}

void
tg_auth_free (TgAuth *auth)
{
  if (auth == NULL)
    return;
  g_return_if_fail (!auth->freed);
  auth->freed = TRUE;
  memset (&auth->callbacks, 0, sizeof auth->callbacks);
  auth->callbacks_data = NULL;
  if (auth->graph != NULL)
    {
      tg_graph_set_token_source (auth->graph, NULL, NULL);
      g_clear_pointer (&auth->graph, tg_graph_unref);
    }
  if (auth->acquire != NULL)
    acquire_abort_later (auth->acquire);
  auth_unref (auth);
}

void
tg_auth_set_callbacks (TgAuth *auth, const TgAuthCallbacks *callbacks, gpointer data)
{
  g_return_if_fail (auth != NULL);
  if (callbacks != NULL)
    auth->callbacks = *callbacks;
  else
    memset (&auth->callbacks, 0, sizeof auth->callbacks);
  auth->callbacks_data = callbacks != NULL ? data : NULL;
}

void
tg_auth_set_method (TgAuth *auth, TgAuthMethod method)
{
  g_return_if_fail (auth != NULL);
  auth->method = method;
}

void
tg_auth_set_login_hint (TgAuth *auth, const char *login_hint)
{
  g_return_if_fail (auth != NULL);
  g_free (auth->login_hint);
  auth->login_hint = (login_hint != NULL && *login_hint != '\0') ? g_strdup (login_hint) : NULL;
}

void
tg_auth_set_refresh_token (TgAuth *auth, const char *refresh_token)
{
  g_return_if_fail (auth != NULL);
  free_secret (auth->refresh_token);
  auth->refresh_token = (refresh_token != NULL && *refresh_token != '\0') ? g_strdup (refresh_token) : NULL;
}

void
tg_auth_sign_in_async (TgAuth *auth, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tg_auth_sign_in_async);
  g_task_set_name (task, "tg-auth sign-in");
  if (auth->freed)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else if (access_token_usable (auth))
    g_task_return_boolean (task, TRUE);
  else
    acquire_join (auth, task);
  g_object_unref (task);
}

gboolean
tg_auth_sign_in_finish (TgAuth *auth, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
tg_auth_attach (TgAuth *auth, TgGraph *graph)
{
  g_return_if_fail (auth != NULL && graph != NULL);
  if (auth->graph != NULL)
    {
      tg_graph_set_token_source (auth->graph, NULL, NULL);
      tg_graph_unref (auth->graph);
    }
  auth->graph = tg_graph_ref (graph);
  tg_graph_set_token_source (graph, &token_source, auth);
}

const char *
tg_auth_get_tenant_id (TgAuth *auth)
{
  g_return_val_if_fail (auth != NULL, NULL);
  return auth->tenant_id;
}

gboolean
tg_auth_has_valid_token (TgAuth *auth)
{
  g_return_val_if_fail (auth != NULL, FALSE);
  return access_token_usable (auth);
}

void
tg_auth_set_time_scale (TgAuth *auth, double time_scale)
{
  g_return_if_fail (auth != NULL);
  auth->time_scale = (time_scale >= 0 && time_scale <= 1e6) ? time_scale : 1.0;
}

double
tg_auth_get_poll_interval (TgAuth *auth)
{
  g_return_val_if_fail (auth != NULL, 0);
  return auth->poll_interval;
}
