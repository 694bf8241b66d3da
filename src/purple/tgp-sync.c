/* tgp-sync — the sync engine inside a purple account (see tgp-sync.h). */
#include "purple/tgp-sync.h"

#include <stdlib.h>
#include <string.h>

#include "core/tg-error.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-im.h"
#include "purple/tgp-message.h"
#include "purple/tgp-presence.h"

#define DBG "teams-graph"
/* Consecutive transient poll failures before the user is told (the engine goes on). */
#define FAILURES_BEFORE_NOTICE 3
/* Seconds between full chat-list refreshes: a chat that went away (left, removed by someone
 * else) shows no sign in the cheap poll, only in a full list. One full list is about one
 * request per 50 chats, so every 10 minutes costs little. */
#define FULL_REFRESH_INTERVAL 600

struct _TgpSyncGlue {
  TgSync *sync;
  guint failures;          /* consecutive transient failures */
  gboolean notice_shown;   /* the "cannot reach Teams" notice of this run of failures */
};
typedef struct _TgpSyncGlue TgpSyncGlue;

TgSync *
tgp_sync_get (TgpAccount *ta)
{
  return ta != NULL && ta->sync_glue != NULL ? ta->sync_glue->sync : NULL;
}

void
tgp_sync_save_state (TgpAccount *ta)
{
  g_autofree char *state = NULL;
  TgSync *sync = tgp_sync_get (ta);

  if (sync == NULL || ta->account == NULL)
    return;
  state = tg_sync_export_state (sync);
  if (g_strcmp0 (state, purple_account_get_string (ta->account, TGP_OPT_SYNC_STATE, NULL)) != 0)
    purple_account_set_string (ta->account, TGP_OPT_SYNC_STATE, state);
}

/* Something came through: the connection works. */
static void
healthy (TgpAccount *ta)
{
  ta->sync_glue->failures = 0;
  ta->sync_glue->notice_shown = FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* TgSyncCallbacks                                                                             */

static void
on_chats_changed (TgSync *sync, GPtrArray *changes, gpointer user_data)
{
  TgpAccount *ta = user_data;

  if (tgp_account_is_closed (ta))
    return;
  healthy (ta);
  tgp_blist_update (ta, changes);
  tgp_presence_on_chats_changed (ta, changes);
  for (guint i = 0; i < changes->len && !tgp_account_is_closed (ta); i++)
    {
      const TgSyncChatChange *change = g_ptr_array_index (changes, i);

      if (change->chat != NULL && change->chat->type != TG_CHAT_TYPE_ONE_ON_ONE)
        tgp_chat_on_chat_changed (ta, change);
    }
}

static void
on_chat_removed (TgSync *sync, const char *chat_id, gpointer user_data)
{
  TgpAccount *ta = user_data;

  if (tgp_account_is_closed (ta))
    return;
  purple_debug_info (DBG, "chat %s is no longer among your chats\n", chat_id);
  tgp_blist_remove_chat (ta, chat_id);
  if (!tgp_account_is_closed (ta))
    tgp_chat_on_chat_removed (ta, chat_id);
}

static gboolean
is_one_on_one (TgpAccount *ta, const TgChat *chat, const char *chat_id)
{
  if (chat != NULL)
    return chat->type == TG_CHAT_TYPE_ONE_ON_ONE;
  /* Not (yet) in the engine's list: a chat the IM side knows is one-on-one. */
  return tgp_blist_buddy_for_chat_id (ta, chat_id) != NULL;
}

static void
on_message (TgSync *sync, TgMessage *msg, TgSyncMessageFlags flags, gpointer user_data)
{
  TgpAccount *ta = user_data;
  TgChat *chat;

  if (tgp_account_is_closed (ta) || msg == NULL || msg->chat_id == NULL)
    return;
  healthy (ta);
  chat = tg_sync_get_chat (sync, msg->chat_id);
  if (is_one_on_one (ta, chat, msg->chat_id))
    tgp_im_deliver (ta, chat, msg, flags);
  else if (chat != NULL)
    tgp_chat_deliver (ta, chat, msg, flags);
  else
    purple_debug_warning (DBG, "message %s of an unknown chat %s dropped\n", msg->id, msg->chat_id);
}

/* The open conversation of a chat (IM or chat), NULL when none is open. */
static PurpleConversation *
open_conversation (TgpAccount *ta, const TgChat *chat, const char *chat_id)
{
  GList *l;

  if (is_one_on_one (ta, chat, chat_id))
    {
      const char *who = tgp_blist_buddy_for_chat_id (ta, chat_id);

      if (chat != NULL)
        return tgp_im_conversation (ta, chat, FALSE);
      return who != NULL ? purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, who,
                                                                  ta->account)
                         : NULL;
    }
  for (l = purple_get_chats (); l != NULL; l = l->next)
    {
      PurpleConversation *conv = l->data;

      if (purple_conversation_get_account (conv) == ta->account
          && g_strcmp0 (tgp_chat_conv_chat_id (conv), chat_id) == 0)
        return conv;
    }
  return NULL;
}

static void
on_reactions_changed (TgSync *sync, TgMessage *msg, gpointer user_data)
{
  TgpAccount *ta = user_data;
  PurpleConversation *conv;
  g_autofree char *line = NULL;
  time_t when;

  if (tgp_account_is_closed (ta) || msg == NULL || msg->chat_id == NULL)
    return;
  healthy (ta);
  /* A reaction does not open a window: it goes where the conversation is open. */
  conv = open_conversation (ta, tg_sync_get_chat (sync, msg->chat_id), msg->chat_id);
  if (conv == NULL)
    {
      purple_debug_misc (DBG, "reactions of message %s changed (no open conversation)\n", msg->id);
      return;
    }
  line = tgp_message_render_reactions (ta, msg);
  when = msg->last_modified > 0 ? (time_t) (msg->last_modified / G_USEC_PER_SEC) : time (NULL);
  purple_conversation_write (conv, NULL, line, PURPLE_MESSAGE_SYSTEM, when);
}

static void
on_error (TgSync *sync, const GError *error, gpointer user_data)
{
  TgpAccount *ta = user_data;
  TgpSyncGlue *glue;

  if (tgp_account_is_closed (ta) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  glue = ta->sync_glue;
  if (!tg_error_is_transient (error))
    {
      tgp_account_fail (ta, "Could not read your chats", error);
      return;
    }
  glue->failures++;
  purple_debug_info (DBG, "poll failed (%u in a row, next try in %u ms): %s\n", glue->failures,
                     tg_sync_next_delay_ms (sync), error->message);
  if (glue->failures >= FAILURES_BEFORE_NOTICE && !glue->notice_shown)
    {
      g_autofree char *text = g_strdup_printf ("Teams cannot be reached (%s); still trying.",
                                               error->message);
      glue->notice_shown = TRUE;
      purple_connection_notice (ta->gc, text);
    }
}

static void
on_state_changed (TgSync *sync, gpointer user_data)
{
  TgpAccount *ta = user_data;

  if (tgp_account_is_closed (ta))
    return;
  tgp_sync_save_state (ta);
}

static const TgSyncCallbacks callbacks = {
  .chats_changed = on_chats_changed,
  .chat_removed = on_chat_removed,
  .message = on_message,
  .reactions_changed = on_reactions_changed,
  .error = on_error,
  .state_changed = on_state_changed,
};

/* ------------------------------------------------------------------------------------------ */

void
tgp_sync_start (TgpAccount *ta)
{
  TgpSyncGlue *glue;
  const char *state, *scale;

  if (ta->sync_glue != NULL)
    return;
  glue = g_new0 (TgpSyncGlue, 1);
  glue->sync = tg_sync_new (ta->graph, ta->self_id, &callbacks, ta);
  ta->sync_glue = glue;

  tg_sync_set_poll_interval (glue->sync, ta->poll_interval);
  tg_sync_set_full_refresh_interval (glue->sync, FULL_REFRESH_INTERVAL);
  scale = purple_account_get_string (ta->account, TGP_OPT_SYNC_TIME_SCALE, NULL);
  if (scale != NULL && *scale != '\0')
    {
      double value = g_ascii_strtod (scale, NULL);

      if (value > 0 && value <= 1)
        {
          tg_sync_set_time_scale (glue->sync, value);
          /* The engine counts this one in real seconds. */
          tg_sync_set_full_refresh_interval (glue->sync,
                                             MAX (1, (guint) (FULL_REFRESH_INTERVAL * value)));
          /* And the Graph client's retry waits (its default number of tries). */
          tg_graph_set_retry_policy (ta->graph, 5, value);
        }
    }
  state = purple_account_get_string (ta->account, TGP_OPT_SYNC_STATE, NULL);
  if (state != NULL && *state != '\0' && !tg_sync_import_state (glue->sync, state))
    purple_debug_warning (DBG, "the saved sync state was not understood; starting afresh\n");
  tg_sync_start (glue->sync);
}

void
tgp_sync_stop (TgpAccount *ta)
{
  TgpSyncGlue *glue = ta->sync_glue;

  if (glue == NULL)
    return;
  tg_sync_stop (glue->sync);
  tgp_sync_save_state (ta);
  ta->sync_glue = NULL;
  tg_sync_free (glue->sync);
  g_free (glue);
}
