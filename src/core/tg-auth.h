/* tg-auth — signing in to the Microsoft identity platform and keeping tokens fresh.
 *
 * OAuth 2.0 device code flow against {login_url}/{tenant}/oauth2/v2.0/{devicecode,token}
 * (authorization_pending, slow_down, authorization_declined, expired_token handled), refresh
 * tokens (used first when one is known; invalid_grant falls back to a new device code sign-in),
 * access tokens refreshed before they expire and after a 401 (via the TgTokenSource it gives
 * tg-graph). Tokens and codes never appear in debug output.
 */
#pragma once
#include <gio/gio.h>
#include "core/tg-graph.h"

G_BEGIN_DECLS

typedef struct _TgAuth TgAuth;

#define TG_AUTH_DEFAULT_SCOPES \
  "Chat.ReadWrite ChatMessage.Send User.ReadBasic.All Presence.Read.All Presence.ReadWrite offline_access"

typedef struct {
  /* A device code sign-in needs the user: show them `verification_uri` and `user_code`
   * (`message` is the server's own sentence, may be NULL). Must not block. */
  void (*show_device_code) (gpointer data, const char *verification_uri, const char *user_code,
                            const char *message, guint expires_in_seconds);
  /* The device code prompt is no longer needed (signed in, failed or cancelled). */
  void (*close_device_code) (gpointer data);
  /* A new refresh token was issued: persist it (the account's remembered password). */
  void (*refresh_token_changed) (gpointer data, const char *refresh_token);
} TgAuthCallbacks;

/* NULL + TG_ERROR_CONFIG when login_url is not an allowed URL. `scopes` NULL = default. */
TgAuth *tg_auth_new (SoupSession *session, const char *login_url, const char *tenant,
                     const char *client_id, const char *scopes, GError **error);
void tg_auth_free (TgAuth *auth);

void tg_auth_set_callbacks (TgAuth *auth, const TgAuthCallbacks *callbacks, gpointer data);
/* A refresh token from storage (or pasted by the user); NULL or "" for none. */
void tg_auth_set_refresh_token (TgAuth *auth, const char *refresh_token);

/* Signs in: the refresh token when there is one, else (or when it is refused) the device code
 * flow. Completes when an access token is held. */
void tg_auth_sign_in_async (TgAuth *auth, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_auth_sign_in_finish (TgAuth *auth, GAsyncResult *result, GError **error);

/* Plugs this auth into a Graph client as its token source. */
void tg_auth_attach (TgAuth *auth, TgGraph *graph);

G_END_DECLS
