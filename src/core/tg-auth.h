/* tg-auth — signing in to the Microsoft identity platform and keeping tokens fresh.
 *
 * OAuth 2.0 device code flow against {login_url}/{tenant}/oauth2/v2.0/{devicecode,token}
 * (authorization_pending, slow_down, authorization_declined, expired_token handled), or the
 * browser sign-in (authorization code + PKCE S256 with a loopback redirect, tg-auth-browser.h)
 * for organisations whose conditional access blocks the device code flow; refresh
 * tokens (used first when one is known; invalid_grant falls back to a new device code sign-in),
 * access tokens refreshed before they expire and after a 401 (via the TgTokenSource it gives
 * tg-graph). Tokens and codes never appear in debug output.
 */
#pragma once
#include <gio/gio.h>
#include "core/tg-graph.h"

G_BEGIN_DECLS

typedef struct _TgAuth TgAuth;

/* How a user signs in when no refresh token is known (or it was refused). */
typedef enum {
  TG_AUTH_METHOD_DEVICE_CODE,   /* the default: a code to enter at the verification URL */
  TG_AUTH_METHOD_BROWSER,       /* the authorize URL in a browser, redirect to 127.0.0.1 */
} TgAuthMethod;

#define TG_AUTH_DEFAULT_SCOPES \
  "Chat.ReadWrite ChatMessage.Send User.ReadBasic.All Presence.Read.All Presence.ReadWrite offline_access"

typedef struct {
  /* A device code sign-in needs the user: show them `verification_uri` and `user_code`
   * (`message` is the server's own sentence, may be NULL). Must not block. */
  void (*show_device_code) (gpointer data, const char *verification_uri, const char *user_code,
                            const char *message, guint expires_in_seconds);
  /* The device code prompt is no longer needed (signed in, failed or cancelled). */
  void (*close_device_code) (gpointer data);
  /* A new refresh token was issued: persist it (the account's remembered password).
   * NULL: the stored one was refused (revoked, expired): forget it; a device code sign-in
   * follows. */
  void (*refresh_token_changed) (gpointer data, const char *refresh_token);
  /* A browser sign-in needs the user: open `authorize_url` in their browser (and show it, for
   * those who must copy it). The listener waits `expires_in_seconds`. Must not block. */
  void (*show_browser_sign_in) (gpointer data, const char *authorize_url, guint expires_in_seconds);
  /* The browser sign-in prompt is no longer needed (signed in, failed or cancelled). */
  void (*close_browser_sign_in) (gpointer data);
} TgAuthCallbacks;
/* Callbacks run on the thread-default main context of tg_auth_new(), never after
 * tg_auth_free() and never for an acquisition that was cancelled by its callers. */

/* NULL + TG_ERROR_CONFIG when login_url is not an allowed URL, or tenant / client_id are not
 * plain names (letters, digits, '.', '-', '_'). `scopes` NULL = default. */
TgAuth *tg_auth_new (SoupSession *session, const char *login_url, const char *tenant,
                     const char *client_id, const char *scopes, GError **error);
/* Cancels whatever is in flight (callers' callbacks then report G_IO_ERROR_CANCELLED from an
 * idle, never from inside this call), detaches from the graph, silences the callbacks. */
void tg_auth_free (TgAuth *auth);

void tg_auth_set_callbacks (TgAuth *auth, const TgAuthCallbacks *callbacks, gpointer data);
/* A refresh token from storage (or pasted by the user); NULL or "" for none. */
void tg_auth_set_refresh_token (TgAuth *auth, const char *refresh_token);

/* The interactive sign-in to use (default TG_AUTH_METHOD_DEVICE_CODE). */
void tg_auth_set_method (TgAuth *auth, TgAuthMethod method);
/* The user's address, passed to the browser sign-in as login_hint (NULL = none). */
void tg_auth_set_login_hint (TgAuth *auth, const char *login_hint);

/* Signs in: the refresh token when there is one, else (or when it is refused) the device code
 * flow or the browser sign-in (tg_auth_set_method). Completes when an access token is held.
 * The browser sign-in waits 10 minutes for the redirect (scaled by the time scale), then the
 * code is exchanged (grant_type=authorization_code, code_verifier, redirect_uri) and the
 * listener closed. Errors: TG_ERROR_AUTH_DECLINED (declined, code expired or not recognised,
 * browser sign-in not completed in time), TG_ERROR_CONFIG (tenant/client id refused),
 * TG_ERROR_OFFLINE / _SERVER / _THROTTLED (worth a reconnect), TG_ERROR_SIGNED_OUT /
 * _BAD_RESPONSE (other refusals), G_IO_ERROR_CANCELLED.
 * Sign-in and refreshes share one token acquisition: concurrent callers cost one request, and
 * a refresh whose refresh token is refused runs the device code flow too (the prompt appears
 * mid-session; requests wait for it). The device code is polled every `interval` seconds the
 * server asks for (+5 s on slow_down), never blocking, until its expires_in runs out. */
void tg_auth_sign_in_async (TgAuth *auth, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_auth_sign_in_finish (TgAuth *auth, GAsyncResult *result, GError **error);

/* Plugs this auth into a Graph client as its token source (keeps a ref on the graph until
 * tg_auth_free). get_access_token gives NULL from 5 minutes before expiry (or halfway through
 * a short-lived token), so the graph refreshes first; a 401 refreshes once. */
void tg_auth_attach (TgAuth *auth, TgGraph *graph);

/* The signed-in user's tenant id: the id token's 'tid' claim, else the tenant setting when it
 * is a GUID; NULL when unknown. */
const char *tg_auth_get_tenant_id (TgAuth *auth);
/* TRUE while an access token is held that is not about to expire. */
gboolean tg_auth_has_valid_token (TgAuth *auth);

/* For tests: multiplies the device code poll waits, the code's lifetime and the browser
 * sign-in's wait (default 1.0). */
void tg_auth_set_time_scale (TgAuth *auth, double time_scale);
/* The current device code poll interval in seconds (the server's `interval` plus 5 s per
 * slow_down, before the time scale); 0 before any device code was issued. */
double tg_auth_get_poll_interval (TgAuth *auth);

G_END_DECLS
