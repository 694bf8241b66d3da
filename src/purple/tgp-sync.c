/* tgp-sync — the sync engine inside a purple account (see tgp-sync.h). */
#include "purple/tgp-conv.h"
#include "purple/tgp-sync.h"

#include <stdlib.h>
#include <string.h>

#include "core/tg-error.h"
#include "purple/tgp-avatars.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-im.h"
#include "purple/tgp-images.h"
#include "purple/tgp-message.h"
#include "purple/tgp-readstate.h"
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
  tgp_avatars_update (ta, changes);
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

/* Writes a message where it belongs (now, or once its images are in: tgp-images). */
static void
deliver_message (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags)
{
  TgChat *chat;

  if (tgp_account_is_closed (ta) || tgp_sync_get (ta) == NULL)
    return;
  chat = tg_sync_get_chat (tgp_sync_get (ta), msg->chat_id);
  if (is_one_on_one (ta, chat, msg->chat_id))
    tgp_im_deliver (ta, chat, msg, flags);
  else if (chat != NULL)
    tgp_chat_deliver (ta, chat, msg, flags);
  else
    {
      purple_debug_warning (DBG, "message %s of an unknown chat %s dropped\n", msg->id, msg->chat_id);
      return;
    }
  tgp_readstate_on_delivered (ta, msg, flags);
}

static void
on_message (TgSync *sync, TgMessage *msg, TgSyncMessageFlags flags, gpointer user_data)
{
  TgpAccount *ta = user_data;

  if (tgp_account_is_closed (ta) || msg == NULL || msg->chat_id == NULL)
    return;
  healthy (ta);
  tgp_images_deliver (ta, msg, flags, deliver_message);
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
  /* A window kept across a reconnect is re-joined, or libpurple drops lines written to it. */
  if (chat != NULL)
    return tgp_chat_conversation_if_open (ta, chat);
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
on_reactions_changed (TgSync *sync, TgMessage *msg, GPtrArray *added, gpointer user_data)
{
  TgpAccount *ta = user_data;
  PurpleConversation *conv;
  time_t when;

  if (tgp_account_is_closed (ta) || msg == NULL || msg->chat_id == NULL)
    return;
  healthy (ta);
  /* Removed reactions are not announced. A reaction does not open a window: it goes where
   * the conversation is open. */
  if (added->len == 0)
    return;
  conv = open_conversation (ta, tg_sync_get_chat (sync, msg->chat_id), msg->chat_id);
  if (conv == NULL)
    {
      purple_debug_misc (DBG, "%u new reaction(s) to message %s (no open conversation)\n",
                         added->len, msg->id);
      return;
    }
  for (guint i = 0; i < added->len; i++)
    {
      const TgReaction *r = g_ptr_array_index (added, i);
      g_autofree char *line = tgp_message_render_reaction (ta, msg, r);

      when = r->created > 0 ? (time_t) (r->created / G_USEC_PER_SEC)
             : msg->last_modified > 0 ? (time_t) (msg->last_modified / G_USEC_PER_SEC) : time (NULL);
      tgp_conv_write_html (conv, PURPLE_MESSAGE_SYSTEM, line, when);
    }
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

/* The chats of this account's open conversations (IMs and joined chats): the engine fetches
 * them now and then, so edits and reactions on older messages show while a window is open. */
static GHashTable *
on_open_chats (TgSync *sync, gpointer user_data)
{
  TgpAccount *ta = user_data;
  GHashTable *open;

  if (tgp_account_is_closed (ta))
    return NULL;
  open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (GList *l = purple_get_conversations (); l != NULL; l = l->next)
    {
      PurpleConversation *conv = l->data;
      const char *chat_id;

      if (purple_conversation_get_account (conv) != ta->account)
        continue;
      if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT
          && purple_conv_chat_has_left (PURPLE_CONV_CHAT (conv)))
        continue;
      chat_id = tgp_chat_conv_chat_id (conv);
      if (chat_id != NULL)
        g_hash_table_add (open, g_strdup (chat_id));
    }
  return open;
}

static const TgSyncCallbacks callbacks = {
  .chats_changed = on_chats_changed,
  .chat_removed = on_chat_removed,
  .message = on_message,
  .reactions_changed = on_reactions_changed,
  .error = on_error,
  .state_changed = on_state_changed,
  .open_chats = on_open_chats,
};

/* ------------------------------------------------------------------------------------------ */

double
tgp_sync_time_scale (TgpAccount *ta)
{
  const char *scale = ta != NULL && ta->account != NULL
                      ? purple_account_get_string (ta->account, TGP_OPT_SYNC_TIME_SCALE, NULL) : NULL;
  double value = scale != NULL && *scale != '\0' ? g_ascii_strtod (scale, NULL) : 1;

  return value > 0 && value <= 1 ? value : 1;
}

void
tgp_sync_start (TgpAccount *ta)
{
  TgpSyncGlue *glue;
  const char *state;
  double scale;

  if (ta->sync_glue != NULL)
    return;
  glue = g_new0 (TgpSyncGlue, 1);
  glue->sync = tg_sync_new (ta->graph, ta->self_id, &callbacks, ta);
  ta->sync_glue = glue;

  tg_sync_set_poll_interval (glue->sync, ta->poll_interval);
  tg_sync_set_full_refresh_interval (glue->sync, FULL_REFRESH_INTERVAL);
  scale = tgp_sync_time_scale (ta);
  if (scale < 1)
    {
      tg_sync_set_time_scale (glue->sync, scale);
      /* The engine counts this one in real seconds. */
      tg_sync_set_full_refresh_interval (glue->sync,
                                         MAX (1, (guint) (FULL_REFRESH_INTERVAL * scale)));
      /* And the Graph client's retry waits (its default number of tries). */
      tg_graph_set_retry_policy (ta->graph, 5, scale);
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
