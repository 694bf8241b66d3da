/* tgp-readstate — telling Teams which chats the user has read (see tgp-readstate.h). */
#include "purple/tgp-readstate.h"

#include "core/tg-readstate.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

typedef struct {
  TgpAccount *ta;          /* not a reference: the state lives no longer than the account's modules */
  char *chat_id;
  gboolean unread;         /* something arrived since the last mark */
  gint64 last_mark;        /* monotonic µs of the last mark sent, 0 = none */
  guint timer;             /* a mark waiting for the end of the interval */
} ChatRead;

struct _TgpReadstate {
  GHashTable *chats;       /* chat id → ChatRead* */
};
typedef struct _TgpReadstate TgpReadstate;

typedef struct {
  TgpAccount *ta;
  char *chat_id;
} Req;

static void
chat_read_free (ChatRead *cr)
{
  if (cr->timer != 0)
    g_source_remove (cr->timer);
  g_free (cr->chat_id);
  g_free (cr);
}

static ChatRead *
chat_read (TgpAccount *ta, const char *chat_id)
{
  ChatRead *cr = g_hash_table_lookup (ta->readstate->chats, chat_id);

  if (cr == NULL)
    {
      cr = g_new0 (ChatRead, 1);
      cr->ta = ta;
      cr->chat_id = g_strdup (chat_id);
      g_hash_table_insert (ta->readstate->chats, cr->chat_id, cr);
    }
  return cr;
}

/* The shortest time between two marks of one chat: the poll interval (scaled in tests). */
static gint64
min_gap_us (TgpAccount *ta)
{
  return (gint64) (MAX (ta->poll_interval, 1) * G_USEC_PER_SEC * tgp_sync_time_scale (ta));
}

static void
on_marked (GObject *source, GAsyncResult *result, gpointer data)
{
  Req *req = data;
  TgpAccount *ta = req->ta;
  g_autoptr (GError) error = NULL;

  if (!tgp_account_is_closed (ta)
      && !tg_readstate_mark_read_finish (ta->graph, result, &error))
    {
      purple_debug_info (DBG, "could not mark chat %s read: %s\n", req->chat_id, error->message);
      /* Worth another try the next time the user looks. */
      if (ta->readstate != NULL)
        chat_read (ta, req->chat_id)->unread = TRUE;
    }
  tgp_account_unref (req->ta);
  g_free (req->chat_id);
  g_free (req);
}

/* The signed-in user's tenant: from the sign-in, else as the chat tells it. */
static const char *
tenant_of (TgpAccount *ta, const char *chat_id)
{
  TgChat *chat;
  TgMember *me;

  if (ta->tenant_id != NULL)
    return ta->tenant_id;
  chat = tgp_sync_get (ta) != NULL ? tg_sync_get_chat (tgp_sync_get (ta), chat_id) : NULL;
  if (chat == NULL)
    return NULL;
  me = tg_chat_find_member (chat, ta->self_id);
  return me != NULL && me->tenant_id != NULL ? me->tenant_id : chat->tenant_id;
}

static void
send_mark (ChatRead *cr)
{
  TgpAccount *ta = cr->ta;
  Req *req;

  cr->unread = FALSE;
  cr->last_mark = g_get_monotonic_time ();
  req = g_new0 (Req, 1);
  req->ta = tgp_account_ref (ta);
  req->chat_id = g_strdup (cr->chat_id);
  purple_debug_misc (DBG, "marking chat %s read\n", cr->chat_id);
  tg_readstate_mark_read_async (ta->graph, cr->chat_id, ta->self_id, tenant_of (ta, cr->chat_id),
                                ta->cancellable, on_marked, req);
}

static gboolean
on_interval_over (gpointer data)
{
  ChatRead *cr = data;

  cr->timer = 0;
  if (cr->unread && !tgp_account_is_closed (cr->ta))
    send_mark (cr);
  return G_SOURCE_REMOVE;
}

/* The user has seen chat_id. */
static void
seen (TgpAccount *ta, const char *chat_id)
{
  ChatRead *cr;
  gint64 wait;

  if (ta->readstate == NULL || chat_id == NULL || tgp_account_is_closed (ta))
    return;
  cr = g_hash_table_lookup (ta->readstate->chats, chat_id);
  if (cr == NULL || !cr->unread || cr->timer != 0)
    return;
  wait = cr->last_mark == 0 ? 0 : cr->last_mark + min_gap_us (ta) - g_get_monotonic_time ();
  if (wait <= 0)
    send_mark (cr);
  else
    cr->timer = g_timeout_add (MAX (1, (guint) (wait / 1000)), on_interval_over, cr);
}

static const char *
conv_chat_id (TgpAccount *ta, PurpleConversation *conv)
{
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_IM)
    return tgp_blist_chat_id_for_buddy (ta, purple_conversation_get_name (conv));
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT)
    return tgp_chat_conv_chat_id (conv);
  return NULL;
}

static void
on_conversation_updated (PurpleConversation *conv, PurpleConvUpdateType type, gpointer data)
{
  TgpAccount *ta = data;

  if (type != PURPLE_CONV_UPDATE_UNSEEN || purple_conversation_get_account (conv) != ta->account
      || tgp_account_is_closed (ta))
    return;
  if (GPOINTER_TO_INT (purple_conversation_get_data (conv, "unseen-count")) != 0)
    return;
  seen (ta, conv_chat_id (ta, conv));
}

/* ------------------------------------------------------------------------------------------ */

void
tgp_readstate_start (TgpAccount *ta)
{
  TgpReadstate *rs;

  if (ta->readstate != NULL)
    return;
  rs = g_new0 (TgpReadstate, 1);
  rs->chats = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) chat_read_free);
  ta->readstate = rs;
  /* The module's state is the handle: other modules may connect with the account as theirs. */
  purple_signal_connect (purple_conversations_get_handle (), "conversation-updated", rs,
                         PURPLE_CALLBACK (on_conversation_updated), ta);
}

void
tgp_readstate_stop (TgpAccount *ta)
{
  TgpReadstate *rs = g_steal_pointer (&ta->readstate);

  if (rs == NULL)
    return;
  purple_signals_disconnect_by_handle (rs);
  g_hash_table_destroy (rs->chats);
  g_free (rs);
}

void
tgp_readstate_on_delivered (TgpAccount *ta, const TgMessage *msg, TgSyncMessageFlags flags)
{
  PurpleConversation *conv = NULL;
  GList *l;

  if (ta->readstate == NULL || msg == NULL || msg->chat_id == NULL || tgp_account_is_closed (ta))
    return;
  if ((flags & TG_SYNC_MSG_OWN) || !(flags & TG_SYNC_MSG_NEW))
    return;
  chat_read (ta, msg->chat_id)->unread = TRUE;
  /* Written into a window that has the focus: seen at once. */
  for (l = purple_get_conversations (); l != NULL && conv == NULL; l = l->next)
    if (purple_conversation_get_account (l->data) == ta->account
        && g_strcmp0 (conv_chat_id (ta, l->data), msg->chat_id) == 0)
      conv = l->data;
  if (conv != NULL && purple_conversation_has_focus (conv))
    seen (ta, msg->chat_id);
}
