/* tgp-account — one signed-in Teams account inside libpurple: the connection life cycle.
 *
 * login: read and check the settings → sign in (stored refresh token, else a device code shown
 * through purple_request_action, or with auth_method "browser" the authorize URL opened with
 * purple_notify_uri and shown in a request dialog) → GET /me → PURPLE_CONNECTED → tgp_account_on_ready().
 * close: cancel everything, close our dialogs, drop the connection.
 *
 * For the modules built on this shell (buddy list, conversations, sync, presence…):
 *   - Get the account with tgp_account_from_gc (gc) in prpl callbacks.
 *   - Every request takes ta->cancellable and passes tgp_account_ref (ta) as its user_data.
 *     Every callback starts with
 *         g_autoptr (TgpAccount) ta = user_data;
 *         if (tgp_account_is_closed (ta)) return;
 *     and only then calls the _finish function or touches ta->gc / purple state. (The struct,
 *     ta->graph and ta->auth stay valid while a reference is held; ta->gc is NULL once closed.)
 *   - Start your module from tgp_account_on_ready() and free its state from
 *     tgp_account_on_close() (both in tgp-account.c; marked EXTEND HERE). Add your fields at the
 *     end of TgpAccount, in the marked block.
 *   - Report a failure that ends the connection with tgp_account_fail (ta, what, error): it maps
 *     TG_ERROR codes to purple reasons (network problems are retried by the client).
 */
#pragma once
#include <purple.h>

#include "core/tg-auth.h"
#include "core/tg-graph.h"

G_BEGIN_DECLS

#define TGP_PLUGIN_ID "prpl-teams-graph"

/* Account setting keys and defaults (DESIGN.md: the external contract). */
#define TGP_OPT_GRAPH_URL "graph_url"
#define TGP_OPT_LOGIN_URL "login_url"
#define TGP_OPT_TENANT "tenant"
#define TGP_OPT_CLIENT_ID "client_id"
#define TGP_OPT_POLL_INTERVAL "poll_interval"
#define TGP_OPT_PRESENCE_INTERVAL "presence_interval"
#define TGP_OPT_AUTH_METHOD "auth_method"

#define TGP_DEFAULT_GRAPH_URL "https://graph.microsoft.com/v1.0"
#define TGP_DEFAULT_LOGIN_URL "https://login.microsoftonline.com"
#define TGP_DEFAULT_TENANT "organizations"
#define TGP_DEFAULT_CLIENT_ID "14d82eec-204b-4c2f-b7e8-296a70dab67e"
#define TGP_DEFAULT_POLL_INTERVAL 5
#define TGP_DEFAULT_PRESENCE_INTERVAL 60
#define TGP_AUTH_DEVICE_CODE "device_code"
#define TGP_AUTH_BROWSER "browser"

typedef struct _TgpAccount TgpAccount;

struct _TgpAccount {
  gatomicrefcount ref;

  PurpleAccount *account;
  PurpleConnection *gc;           /* NULL once the connection is closed */
  GCancellable *cancellable;      /* cancelled by close; every request takes it */
  TgGraph *graph;                 /* the account's Graph client (token source: auth) */
  TgAuth *auth;

  /* Settings, checked at login. */
  char *graph_url;
  char *login_url;
  char *tenant;
  char *client_id;
  guint poll_interval;            /* seconds */
  guint presence_interval;        /* seconds */
  gboolean browser_sign_in;       /* auth_method "browser": authorize URL + loopback redirect */

  /* The signed-in user, from GET /me (set before tgp_account_on_ready). */
  char *self_id;                  /* AAD object id */
  char *self_upn;                 /* userPrincipalName */
  char *self_mail;                /* may be NULL */
  char *self_display_name;
  char *tenant_id;                /* the id token's tid, else the tenant setting if a GUID; may be NULL */

  gboolean ready;                 /* signed in, /me fetched, PURPLE_CONNECTED */

  /* Sign-in prompt (private to tgp-account.c). */
  gpointer prompt;
  gboolean prompt_is_notify;

  /* ---- EXTEND HERE: state of the modules built on the shell (buddies, conversations, sync,
   * presence…). Initialise it in tgp_account_on_ready(), free it in tgp_account_on_close(). */
  struct _TgpSyncGlue *sync_glue;  /* tgp-sync.c: the sync engine and its glue */
  struct _TgpBlist *blist;          /* tgp-blist.c: buddy name <-> one-on-one chat id */
  struct _TgpIm *im;                /* tgp-im.c: outgoing IMs waiting for their chat */
  struct _TgpAvatars *avatars;      /* tgp-avatars.c: buddy icon fetch queue */
  struct _TgpImages *images;        /* tgp-images.c: messages waiting for their images */
  struct _TgpReadstate *readstate;  /* tgp-readstate.c: what to mark read */
  struct _TgRefs *refs;             /* core/tg-refs: users and chats as typed, resolved and cached */
  struct _TgpPresence *presence;    /* tgp-presence.c: buddy name <-> user id, presence poll */
};

TgpAccount *tgp_account_ref (TgpAccount *ta);
void tgp_account_unref (TgpAccount *ta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgpAccount, tgp_account_unref)

/* TRUE once the connection was closed: a callback holding a reference must just return. */
gboolean tgp_account_is_closed (TgpAccount *ta);

/* The account of a connection (NULL for NULL or a closed connection). */
TgpAccount *tgp_account_from_gc (PurpleConnection *gc);
/* The account of a conversation's connection (NULL likewise, and for NULL). */
TgpAccount *tgp_account_from_conv (PurpleConversation *conv);

/* prpl login / close. */
void tgp_account_login (PurpleAccount *account);
void tgp_account_close (PurpleConnection *gc);

/* Signed in and /me fetched, the connection is PURPLE_CONNECTED: the rest starts here. */
void tgp_account_on_ready (TgpAccount *ta);
/* The connection is closing (ta->gc still set, ta->cancellable already cancelled). */
void tgp_account_on_close (TgpAccount *ta);

/* Ends the connection because of `error` (G_IO_ERROR_CANCELLED is ignored), with the message
 * "<what>: <error message>" (`what` may be NULL). TG_ERROR_CONFIG → INVALID_SETTINGS;
 * AUTH_DECLINED / SIGNED_OUT / FORBIDDEN → AUTHENTICATION_FAILED; OFFLINE / SERVER / THROTTLED /
 * BAD_RESPONSE → NETWORK_ERROR (clients reconnect); anything else → OTHER_ERROR. */
void tgp_account_fail (TgpAccount *ta, const char *what, const GError *error);

G_END_DECLS
