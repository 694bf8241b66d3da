/* tgp-account — the connection life cycle of one Teams account (see tgp-account.h). */
#include "purple/tgp-account.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-refs.h"
#include "core/tg-url.h"
#include "purple/tgp-avatars.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-im.h"
#include "purple/tgp-images.h"
#include "purple/tgp-readstate.h"
#include "purple/tgp-presence.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

/* Progress steps shown by clients while connecting. */
enum { STEP_SIGN_IN, STEP_WAIT_USER, STEP_PROFILE, STEP_COUNT };

/* ------------------------------------------------------------------------------------------ */
/* Reference counting                                                                          */

TgpAccount *
tgp_account_ref (TgpAccount *ta)
{
  g_return_val_if_fail (ta != NULL, NULL);
  g_atomic_ref_count_inc (&ta->ref);
  return ta;
}

void
tgp_account_unref (TgpAccount *ta)
{
  if (ta == NULL || !g_atomic_ref_count_dec (&ta->ref))
    return;
  /* Only references from finished callbacks are left: nothing can call into us any more. */
  tg_auth_free (ta->auth);
  if (ta->graph != NULL)
    tg_graph_unref (ta->graph);
  g_clear_object (&ta->cancellable);
  g_free (ta->graph_url);
  g_free (ta->login_url);
  g_free (ta->tenant);
  g_free (ta->client_id);
  g_free (ta->self_id);
  g_free (ta->self_upn);
  g_free (ta->self_mail);
  g_free (ta->self_display_name);
  g_free (ta->tenant_id);
  g_free (ta);
}

gboolean
tgp_account_is_closed (TgpAccount *ta)
{
  return ta == NULL || ta->gc == NULL || g_cancellable_is_cancelled (ta->cancellable);
}

TgpAccount *
tgp_account_from_gc (PurpleConnection *gc)
{
  TgpAccount *ta;

  if (gc == NULL)
    return NULL;
  ta = purple_connection_get_protocol_data (gc);
  return tgp_account_is_closed (ta) ? NULL : ta;
}

TgpAccount *
tgp_account_from_conv (PurpleConversation *conv)
{
  return conv != NULL ? tgp_account_from_gc (purple_conversation_get_gc (conv)) : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */

static PurpleConnectionError
reason_for_error (const GError *error)
{
  if (error->domain != TG_ERROR)
    return error->domain == G_IO_ERROR ? PURPLE_CONNECTION_ERROR_NETWORK_ERROR
                                       : PURPLE_CONNECTION_ERROR_OTHER_ERROR;
  switch ((TgErrorCode) error->code)
    {
    case TG_ERROR_CONFIG:
      return PURPLE_CONNECTION_ERROR_INVALID_SETTINGS;
    case TG_ERROR_AUTH_DECLINED:
    case TG_ERROR_SIGNED_OUT:
    case TG_ERROR_FORBIDDEN:
      return PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED;
    case TG_ERROR_OFFLINE:
    case TG_ERROR_SERVER:
    case TG_ERROR_THROTTLED:
    case TG_ERROR_BAD_RESPONSE:
      return PURPLE_CONNECTION_ERROR_NETWORK_ERROR;
    default:
      return PURPLE_CONNECTION_ERROR_OTHER_ERROR;
    }
}

void
tgp_account_fail (TgpAccount *ta, const char *what, const GError *error)
{
  g_autofree char *text = NULL;

  g_return_if_fail (error != NULL);
  if (tgp_account_is_closed (ta) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  text = what != NULL ? g_strdup_printf ("%s: %s", what, error->message) : g_strdup (error->message);
  purple_debug_info (DBG, "%s: connection error: %s\n", purple_account_get_username (ta->account), text);
  purple_connection_error_reason (ta->gc, reason_for_error (error), text);
}

static void
fail_settings (TgpAccount *ta, const char *text)
{
  purple_debug_info (DBG, "%s: invalid settings: %s\n", purple_account_get_username (ta->account), text);
  purple_connection_error_reason (ta->gc, PURPLE_CONNECTION_ERROR_INVALID_SETTINGS, text);
}

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                    */

static char *
setting_string (PurpleAccount *account, const char *key, const char *fallback)
{
  const char *value = purple_account_get_string (account, key, fallback);
  char *text = g_strstrip (g_strdup (value != NULL ? value : ""));

  if (*text == '\0')
    {
      g_free (text);
      text = g_strdup (fallback);
    }
  return text;
}

/* Reads and checks the settings; FALSE after reporting INVALID_SETTINGS. */
static gboolean
read_settings (TgpAccount *ta)
{
  PurpleAccount *account = ta->account;
  g_autoptr (GError) error = NULL;
  g_autofree char *auth_method = NULL;
  int poll, presence;

  ta->graph_url = setting_string (account, TGP_OPT_GRAPH_URL, TGP_DEFAULT_GRAPH_URL);
  ta->login_url = setting_string (account, TGP_OPT_LOGIN_URL, TGP_DEFAULT_LOGIN_URL);
  ta->tenant = setting_string (account, TGP_OPT_TENANT, TGP_DEFAULT_TENANT);
  ta->client_id = setting_string (account, TGP_OPT_CLIENT_ID, TGP_DEFAULT_CLIENT_ID);
  auth_method = setting_string (account, TGP_OPT_AUTH_METHOD, TGP_AUTH_DEVICE_CODE);
  poll = purple_account_get_int (account, TGP_OPT_POLL_INTERVAL, TGP_DEFAULT_POLL_INTERVAL);
  presence = purple_account_get_int (account, TGP_OPT_PRESENCE_INTERVAL, TGP_DEFAULT_PRESENCE_INTERVAL);

  if (!tg_url_check_allowed (ta->graph_url, TGP_OPT_GRAPH_URL, &error)
      || !tg_url_check_allowed (ta->login_url, TGP_OPT_LOGIN_URL, &error))
    {
      fail_settings (ta, error->message);
      return FALSE;
    }
  if (poll < 1 || poll > 3600)
    {
      fail_settings (ta, "poll_interval must be between 1 and 3600 seconds");
      return FALSE;
    }
  if (presence < 1 || presence > 86400)
    {
      fail_settings (ta, "presence_interval must be between 1 and 86400 seconds");
      return FALSE;
    }
  ta->poll_interval = (guint) poll;
  ta->presence_interval = (guint) presence;

  if (g_str_equal (auth_method, TGP_AUTH_BROWSER))
    ta->browser_sign_in = TRUE;
  else if (!g_str_equal (auth_method, TGP_AUTH_DEVICE_CODE))
    {
      fail_settings (ta, "auth_method must be \"device_code\" or \"browser\"");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* The sign-in prompts (device code, browser)                                                  */

static void
prompt_close (TgpAccount *ta)
{
  gpointer handle = g_steal_pointer (&ta->prompt);

  if (handle == NULL)
    return;
  if (ta->prompt_is_notify)
    purple_notify_close (PURPLE_NOTIFY_MESSAGE, handle);
  else
    purple_request_close (PURPLE_REQUEST_ACTION, handle);
}

/* "OK": the user has read the code; the prompt goes, polling goes on. */
static void
prompt_on_ok (gpointer data, int action)
{
  TgpAccount *ta = data;

  ta->prompt = NULL;
}

static void
prompt_on_cancel (gpointer data, int action)
{
  TgpAccount *ta = data;

  ta->prompt = NULL;
  if (tgp_account_is_closed (ta))
    return;
  purple_connection_error_reason (ta->gc, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED,
                                  "Sign-in was cancelled.");
}

/* Shows the sign-in prompt (OK hides it, "Cancel sign-in" ends the connection), or a notice
 * in clients without request dialogs. */
static void
prompt_show (TgpAccount *ta, const char *primary, const char *secondary)
{
  prompt_close (ta);
  if (!ta->ready)
    purple_connection_update_progress (ta->gc, "Waiting for you to sign in", STEP_WAIT_USER, STEP_COUNT);
  ta->prompt_is_notify = FALSE;
  ta->prompt = purple_request_action (ta->gc, "Teams sign-in", primary, secondary, 0,
                                      ta->account, NULL, NULL, ta, 2,
                                      "OK", G_CALLBACK (prompt_on_ok),
                                      "Cancel sign-in", G_CALLBACK (prompt_on_cancel));
  if (ta->prompt == NULL)
    {
      /* A client without request dialogs: tell the user at least. */
      ta->prompt_is_notify = TRUE;
      ta->prompt = purple_notify_message (ta->gc, PURPLE_NOTIFY_MSG_INFO, "Teams sign-in", primary,
                                          secondary, NULL, NULL);
    }
}

static void
auth_show_device_code (gpointer data, const char *verification_uri, const char *user_code,
                       const char *message, guint expires_in)
{
  TgpAccount *ta = data;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  guint minutes = MAX ((expires_in + 59) / 60, 1);

  if (tgp_account_is_closed (ta))
    return;
  /* The URL and the code stand on their own (spaces around them) so that text clients such
   * as Finch and bitlbee, and terminals that detect URLs, show them plainly. */
  primary = g_strdup_printf ("To sign in, open %s and enter the code %s", verification_uri, user_code);
  secondary = g_strdup_printf ("Account: %s\nThe code is valid for %u minute%s. "
                               "This message closes by itself once you have signed in.",
                               purple_account_get_username (ta->account), minutes,
                               minutes == 1 ? "" : "s");
  prompt_show (ta, primary, secondary);
}

static void
auth_show_browser_sign_in (gpointer data, const char *authorize_url, guint expires_in)
{
  TgpAccount *ta = data;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  guint minutes = MAX ((expires_in + 59) / 60, 1);

  if (tgp_account_is_closed (ta))
    return;
  /* The address is in the dialog too: Finch and bitlbee users (or anyone whose browser did not
   * open) copy it from there. It carries no secret: the PKCE verifier stays here. */
  primary = g_strdup_printf ("To sign in, open %s in your web browser", authorize_url);
  secondary = g_strdup_printf ("Account: %s\nSign in there; the browser then comes back to this "
                               "computer (localhost) and this message closes by itself. "
                               "The sign-in waits %u minute%s.",
                               purple_account_get_username (ta->account), minutes,
                               minutes == 1 ? "" : "s");
  prompt_show (ta, primary, secondary);
  purple_notify_uri (ta->gc, authorize_url);
}

static void
auth_close_prompt (gpointer data)
{
  TgpAccount *ta = data;

  if (tgp_account_is_closed (ta))
    return;
  prompt_close (ta);
}

static void
auth_refresh_token_changed (gpointer data, const char *refresh_token)
{
  TgpAccount *ta = data;

  if (tgp_account_is_closed (ta))
    return;
  /* The refresh token is the remembered password: keyring plugins protect it there. */
  purple_account_set_remember_password (ta->account, TRUE);
  purple_account_set_password (ta->account, refresh_token);
}

static const TgAuthCallbacks auth_callbacks = {
  .show_device_code = auth_show_device_code,
  .close_device_code = auth_close_prompt,
  .refresh_token_changed = auth_refresh_token_changed,
  .show_browser_sign_in = auth_show_browser_sign_in,
  .close_browser_sign_in = auth_close_prompt,
};

/* ------------------------------------------------------------------------------------------ */
/* Login                                                                                       */

static gboolean
same_address (const char *a, const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

static void
on_me (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (TgpAccount) ta = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *me;
  const char *id, *upn, *username;

  if (tgp_account_is_closed (ta))
    return;
  node = tg_graph_send_finish (ta->graph, result, NULL, &error);
  if (node == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE, "empty answer");
      tgp_account_fail (ta, "Could not read your profile", error);
      return;
    }
  me = tg_json_node_object (node);
  id = tg_json_string (me, "id");
  upn = tg_json_string (me, "userPrincipalName");
  if (id == NULL || *id == '\0')
    {
      error = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE, "the answer has no user id");
      tgp_account_fail (ta, "Could not read your profile", error);
      return;
    }
  ta->self_id = g_strdup (id);
  ta->self_upn = g_strdup (upn);
  ta->self_mail = g_strdup (tg_json_string (me, "mail"));
  ta->self_display_name = g_strdup (tg_json_string (me, "displayName"));
  ta->tenant_id = g_strdup (tg_auth_get_tenant_id (ta->auth));

  username = purple_account_get_username (ta->account);
  if (!same_address (username, ta->self_upn) && !same_address (username, ta->self_mail))
    purple_debug_warning (DBG, "%s: signed in as %s, not as the account's user name\n", username,
                          ta->self_upn != NULL ? ta->self_upn : ta->self_id);
  if (ta->self_display_name != NULL && *ta->self_display_name != '\0')
    purple_connection_set_display_name (ta->gc, ta->self_display_name);

  purple_debug_info (DBG, "%s: signed in (user id %s)\n", username, ta->self_id);
  ta->ready = TRUE;
  purple_connection_set_state (ta->gc, PURPLE_CONNECTED);
  if (!tgp_account_is_closed (ta))
    tgp_account_on_ready (ta);
}

static void
on_signed_in (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (TgpAccount) ta = data;
  g_autoptr (GError) error = NULL;

  if (tgp_account_is_closed (ta))
    return;
  if (!tg_auth_sign_in_finish (ta->auth, result, &error))
    {
      tgp_account_fail (ta, "Sign-in failed", error);
      return;
    }
  purple_connection_update_progress (ta->gc, "Reading your profile", STEP_PROFILE, STEP_COUNT);
  tg_graph_get_async (ta->graph, "/me", ta->cancellable, on_me, tgp_account_ref (ta));
}

void
tgp_account_login (PurpleAccount *account)
{
  PurpleConnection *gc = purple_account_get_connection (account);
  TgpAccount *ta = g_new0 (TgpAccount, 1);
  g_autoptr (GError) error = NULL;

  g_atomic_ref_count_init (&ta->ref);
  ta->account = account;
  ta->gc = gc;
  ta->cancellable = g_cancellable_new ();
  purple_connection_set_protocol_data (gc, ta);
  /* Teams bodies are HTML; colours and font sizes do not exist there. */
  gc->flags |= PURPLE_CONNECTION_HTML | PURPLE_CONNECTION_NO_BGCOLOR | PURPLE_CONNECTION_NO_FONTSIZE;

  if (!read_settings (ta))
    return;
  ta->graph = tg_graph_new (ta->graph_url, &error);
  if (ta->graph != NULL)
    ta->auth = tg_auth_new (tg_graph_session (ta->graph), ta->login_url, ta->tenant,
                            ta->client_id, NULL, &error);
  if (ta->auth == NULL)
    {
      tgp_account_fail (ta, NULL, error);
      return;
    }
  tg_auth_set_callbacks (ta->auth, &auth_callbacks, ta);
  tg_auth_set_method (ta->auth, ta->browser_sign_in ? TG_AUTH_METHOD_BROWSER : TG_AUTH_METHOD_DEVICE_CODE);
  tg_auth_set_login_hint (ta->auth, purple_account_get_username (account));
  tg_auth_set_refresh_token (ta->auth, purple_account_get_password (account));
  tg_auth_attach (ta->auth, ta->graph);

  purple_connection_update_progress (gc, "Signing in", STEP_SIGN_IN, STEP_COUNT);
  tg_auth_sign_in_async (ta->auth, ta->cancellable, on_signed_in, tgp_account_ref (ta));
}

/* ------------------------------------------------------------------------------------------ */
/* Ready / close: the extension points                                                         */

void
tgp_account_on_ready (TgpAccount *ta)
{
  /* EXTEND HERE: start the buddy list, conversations, sync and presence modules. */
  ta->refs = tg_refs_new (ta->graph);
  tgp_blist_start (ta);
  tgp_im_start (ta);
  tgp_avatars_start (ta);
  tgp_images_start (ta);
  tgp_readstate_start (ta);
  tgp_presence_start (ta);
  tgp_sync_start (ta);     /* last: its events go to the modules above */
}

void
tgp_account_on_close (TgpAccount *ta)
{
  /* EXTEND HERE: stop timers and free the state of the modules started in on_ready
   * (requests need no care: they were cancelled and their callbacks will find the account
   * closed). */
  tgp_images_stop (ta);    /* before the engine saves its state: see tgp_images_stop */
  tgp_sync_stop (ta);      /* no sync event after this (none can come in between) */
  tgp_presence_stop (ta);
  tgp_readstate_stop (ta);
  tgp_avatars_stop (ta);
  tgp_im_stop (ta);
  tgp_blist_stop (ta);
  g_clear_pointer (&ta->refs, tg_refs_unref);
}

void
tgp_account_close (PurpleConnection *gc)
{
  TgpAccount *ta = purple_connection_get_protocol_data (gc);

  if (ta == NULL)
    return;
  g_cancellable_cancel (ta->cancellable);
  if (ta->auth != NULL)
    tg_auth_set_callbacks (ta->auth, NULL, NULL);
  tgp_account_on_close (ta);
  /* Our dialogs go with the connection; their callbacks can no longer run. */
  ta->prompt = NULL;
  purple_request_close_with_handle (gc);
  purple_notify_close_with_handle (gc);
  ta->gc = NULL;
  purple_connection_set_protocol_data (gc, NULL);
  tgp_account_unref (ta);
}
