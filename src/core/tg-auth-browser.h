/* tg-auth-browser — the pieces of the browser sign-in (OAuth 2.0 authorization code + PKCE,
 * RFC 6749 §4.1, RFC 7636, RFC 8252 loopback redirect) that tg-auth drives:
 *
 *   - PKCE: a code_verifier from the operating system's CSPRNG and its S256 code_challenge;
 *   - the loopback listener: a SoupServer on 127.0.0.1, ephemeral port, for one redirect
 *     (redirect_uri http://localhost:<port>), which checks `state`, answers the browser a small
 *     "You may close this window" page and hands over the authorization code (or the error the
 *     identity platform redirected with);
 *   - the authorize URL to open in the browser.
 *
 * The code, the verifier and the state are secrets: never logged, never in a GError, wiped when
 * freed. The token exchange itself (POST /token, grant_type=authorization_code) is tg-auth's.
 */
#pragma once
#include <gio/gio.h>

G_BEGIN_DECLS

/* `n_bytes` bytes from the kernel's CSPRNG (getrandom, else /dev/urandom), base64url without
 * padding (32 bytes → 43 characters, a valid RFC 7636 code_verifier). NULL + TG_ERROR_CONFIG
 * when no secure randomness is available. */
char *tg_auth_browser_random_string (gsize n_bytes, GError **error);

/* The S256 code_challenge of `verifier`: base64url (no padding) of its SHA-256. */
char *tg_auth_browser_pkce_challenge (const char *verifier);

typedef struct _TgAuthBrowser TgAuthBrowser;

/* Starts listening on 127.0.0.1 (any free port) and prepares the authorize URL for
 * `authorize_url` ({login_url}/{tenant}/oauth2/v2.0/authorize) with `client_id`, `scopes`, a
 * fresh state and code challenge; `login_hint` (may be NULL) pre-fills the user's address.
 * Runs on the thread-default main context. NULL + TG_ERROR_CONFIG when no port can be opened
 * or no secure randomness is available. */
TgAuthBrowser *tg_auth_browser_new (const char *authorize_url, const char *client_id,
                                    const char *scopes, const char *login_hint, GError **error);
/* Closes the listener at once; a pending wait completes with G_IO_ERROR_CANCELLED from an idle. */
void tg_auth_browser_free (TgAuthBrowser *browser);

/* The URL the user must open (it carries state and code_challenge, not the verifier). */
const char *tg_auth_browser_get_authorize_url (TgAuthBrowser *browser);
/* http://localhost:<port>: the redirect_uri of the authorize URL and of the token request. */
const char *tg_auth_browser_get_redirect_uri (TgAuthBrowser *browser);
/* The PKCE code_verifier for the token request (secret). */
const char *tg_auth_browser_get_code_verifier (TgAuthBrowser *browser);

/* Waits for the browser's redirect. Requests to other paths get 404, a redirect whose `state`
 * is missing or wrong gets a 400 page and the wait goes on (it is not ours: a stale tab or a
 * forgery). The first redirect with the right state ends the wait once its page was sent:
 * `code` → the authorization code (a secret string to free with tg_auth_browser_free_secret);
 * `error=...` → NULL + TG_ERROR_AUTH_DECLINED (access_denied, consent or interaction needed),
 * TG_ERROR_CONFIG (the app registration refused the request: client id, redirect URI, scopes),
 * TG_ERROR_SERVER (server_error, temporarily_unavailable) or TG_ERROR_SIGNED_OUT (others), with
 * the error and its description in the message. One wait at a time. */
void tg_auth_browser_wait_async (TgAuthBrowser *browser, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
char *tg_auth_browser_wait_finish (TgAuthBrowser *browser, GAsyncResult *result, GError **error);

/* Wipes and frees a secret string (NULL is fine). */
void tg_auth_browser_free_secret (char *secret);

G_END_DECLS
