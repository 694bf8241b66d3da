/* tgp-im — Teams one-on-one chats as purple IMs (see tgp-im.h). */
#include "purple/tgp-im.h"

#include <errno.h>
#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-mentions.h"
#include "core/tg-markup.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-commands.h"
#include "purple/tgp-conv.h"
#include "purple/tgp-images.h"
#include "purple/tgp-message.h"
#include "purple/tgp-recent.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

/* The messages typed to one recipient, posted one at a time. */
typedef struct {
  char *who;            /* normalized recipient, as the conversation is named */
  GQueue texts;         /* char*: purple markup typed by the user, oldest first */
  gboolean busy;        /* a create or post is in flight */
  char *posting_to;     /* the chat id of the post in flight, else NULL */
  GPtrArray *held;      /* Held*: own messages of that chat seen by the poller meanwhile */
} Outbox;

typedef struct {
  TgMessage *msg;
  TgSyncMessageFlags flags;
} Held;

struct _TgpIm {
  GHashTable *outboxes;  /* who → Outbox* */
};
typedef struct _TgpIm TgpIm;

/* The user data of a request: the account reference and the recipient. */
typedef struct {
  TgpAccount *ta;
  char *who;
  char *chat_id;
} Req;

static void pump (TgpAccount *ta, Outbox *ob);

static void
held_free (gpointer data)
{
  Held *h = data;

  tg_message_unref (h->msg);
  g_free (h);
}

static void
outbox_free (gpointer data)
{
  Outbox *ob = data;

  g_free (ob->who);
  g_queue_clear_full (&ob->texts, g_free);
  g_free (ob->posting_to);
  g_ptr_array_unref (ob->held);
  g_free (ob);
}

static Req *
req_new (TgpAccount *ta, const char *who, const char *chat_id)
{
  Req *req = g_new0 (Req, 1);

  req->ta = tgp_account_ref (ta);
  req->who = g_strdup (who);
  req->chat_id = g_strdup (chat_id);
  return req;
}

static void
req_free (Req *req)
{
  tgp_account_unref (req->ta);
  g_free (req->who);
  g_free (req->chat_id);
  g_free (req);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Req, req_free)

void
tgp_im_start (TgpAccount *ta)
{
  TgpIm *im;

  if (ta->im != NULL)
    return;
  im = g_new0 (TgpIm, 1);
  im->outboxes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, outbox_free);
  ta->im = im;
}

void
tgp_im_stop (TgpAccount *ta)
{
  TgpIm *im = g_steal_pointer (&ta->im);

  if (im == NULL)
    return;
  g_hash_table_destroy (im->outboxes);
  g_free (im);
}

/* ------------------------------------------------------------------------------------------ */
/* Conversations                                                                               */

static PurpleConversation *
im_conv (TgpAccount *ta, const char *who, gboolean create)
{
  PurpleConversation *conv =
    purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, who, ta->account);

  if (conv == NULL && create)
    conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, ta->account, who);
  return conv;
}

static char *
chat_buddy_name (TgpAccount *ta, const TgChat *chat, const TgMessage *msg)
{
  const char *known = chat != NULL ? tgp_blist_buddy_for_chat_id (ta, chat->id) : NULL;
  char *name;

  if (known != NULL)
    return g_strdup (known);
  name = tgp_blist_buddy_name_for_chat (ta, chat);
  if (name != NULL)
    return name;
  if (msg != NULL)
    {
      /* Members unknown: the sender, unless that is me. */
      name = tgp_message_sender_name (ta, chat, msg);
      if (*name != '\0' && !(msg->from_user_id != NULL && ta->self_id != NULL
                             && g_ascii_strcasecmp (msg->from_user_id, ta->self_id) == 0))
        return name;
      g_free (name);
    }
  return NULL;
}

PurpleConversation *
tgp_im_conversation (TgpAccount *ta, const TgChat *chat, gboolean create)
{
  g_autofree char *who = NULL;

  if (tgp_account_is_closed (ta) || chat == NULL)
    return NULL;
  who = chat_buddy_name (ta, chat, NULL);
  return who != NULL ? im_conv (ta, who, create) : NULL;
}

static void
write_error (TgpAccount *ta, const char *who, const char *text, const GError *error)
{
  PurpleConversation *conv = im_conv (ta, who, TRUE);
  g_autofree char *esc_who = g_markup_escape_text (who, -1);
  g_autofree char *reason = NULL;
  g_autofree char *line = NULL;

  if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
    reason = g_strdup_printf ("there is no Teams user \"%s\" (use an e-mail address, a "
                              "user principal name or a user id)", esc_who);
  else
    reason = g_markup_escape_text (error->message, -1);
  line = g_strdup_printf ("Your message to %s was not sent: %s.<br>Not sent: %s", esc_who,
                          reason, text);
  purple_debug_info (DBG, "IM to %s not sent: %s\n", who, error->message);
  tgp_conv_write_html (conv, PURPLE_MESSAGE_ERROR | PURPLE_MESSAGE_NO_LOG, line, time (NULL));
}

/* ------------------------------------------------------------------------------------------ */
/* Incoming                                                                                    */

static void
write_message (TgpAccount *ta, const char *who, const TgChat *chat, TgMessage *msg,
               TgSyncMessageFlags flags)
{
  g_autofree char *html = NULL;
  PurpleMessageFlags pflags;
  time_t when;

  tgp_message_render (ta, msg, flags, &html, &pflags, &when);
  tgp_recent_note (ta, msg);
  if (pflags & (PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_SYSTEM))
    {
      PurpleConversation *conv = im_conv (ta, who, TRUE);
      const char *me = purple_account_get_username (ta->account);

      purple_conv_im_write (PURPLE_CONV_IM (conv), (pflags & PURPLE_MESSAGE_SEND) ? me : who,
                            html, pflags, when);
    }
  else
    serv_got_im (ta->gc, who, html, pflags, when);
}

static Outbox *
outbox_posting_to (TgpAccount *ta, const char *chat_id)
{
  GHashTableIter iter;
  gpointer value;

  if (ta->im == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, ta->im->outboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Outbox *ob = value;

      if (ob->posting_to != NULL && g_str_equal (ob->posting_to, chat_id))
        return ob;
    }
  return NULL;
}

void
tgp_im_deliver (TgpAccount *ta, const TgChat *chat, TgMessage *msg, TgSyncMessageFlags flags)
{
  g_autofree char *who = NULL;
  Outbox *ob;

  if (tgp_account_is_closed (ta) || msg == NULL)
    return;
  who = chat_buddy_name (ta, chat, msg);
  if (who == NULL)
    {
      purple_debug_warning (DBG, "a message of chat %s has no one to come from\n",
                            chat != NULL ? chat->id : msg->chat_id);
      return;
    }
  /* An own message of a chat we are posting to right now may be the one being posted: it
   * waits until the post answers (which tells its id). */
  if ((flags & TG_SYNC_MSG_OWN) && (flags & TG_SYNC_MSG_NEW) && msg->chat_id != NULL
      && (ob = outbox_posting_to (ta, msg->chat_id)) != NULL)
    {
      Held *h = g_new0 (Held, 1);

      h->msg = tg_message_ref (msg);
      h->flags = flags;
      g_ptr_array_add (ob->held, h);
      return;
    }
  write_message (ta, who, chat, msg, flags);
}

/* ------------------------------------------------------------------------------------------ */
/* Outgoing                                                                                    */

static Outbox *
outbox_get (TgpAccount *ta, const char *who)
{
  return ta->im != NULL ? g_hash_table_lookup (ta->im->outboxes, who) : NULL;
}

/* The post in flight has ended (sent_id: the id of the message it made, or NULL). */
static void
release_held (TgpAccount *ta, Outbox *ob, const char *sent_id)
{
  g_autoptr (GPtrArray) held = ob->held;
  g_autofree char *chat_id = g_steal_pointer (&ob->posting_to);

  ob->held = g_ptr_array_new_with_free_func (held_free);
  for (guint i = 0; i < held->len && !tgp_account_is_closed (ta); i++)
    {
      Held *h = g_ptr_array_index (held, i);

      if (sent_id != NULL && g_strcmp0 (h->msg->id, sent_id) == 0)
        continue;
      write_message (ta, ob->who, tgp_sync_get (ta) != NULL && chat_id != NULL
                                    ? tg_sync_get_chat (tgp_sync_get (ta), chat_id) : NULL,
                     h->msg, h->flags);
    }
}

static void
next (TgpAccount *ta, Outbox *ob)
{
  g_free (g_queue_pop_head (&ob->texts));
  ob->busy = FALSE;
  pump (ta, ob);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  TgpAccount *ta = req->ta;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgMessage) msg = NULL;
  g_auto (GStrv) unresolved = NULL;
  Outbox *ob;

  if (tgp_account_is_closed (ta))
    return;
  msg = tg_mentions_send_finish (result, &unresolved, &error);
  for (guint i = 0; unresolved[i] != NULL; i++)
    tgp_conv_feedback (im_conv (ta, req->who, TRUE), FALSE,
                       "Not mentioned (%s): sent as plain text.", unresolved[i]);
  ob = outbox_get (ta, req->who);
  tg_sync_note_sent (tgp_sync_get (ta), req->chat_id, msg != NULL ? msg->id : NULL,
                     msg != NULL ? msg->etag : NULL);
  if (msg != NULL)
    tgp_recent_note (ta, msg);   /* libpurple echoed it when typed */
  if (ob == NULL)
    return;
  if (msg == NULL)
    write_error (ta, req->who, g_queue_peek_head (&ob->texts), error);
  release_held (ta, ob, msg != NULL ? msg->id : NULL);
  if (!tgp_account_is_closed (ta))
    next (ta, ob);
}

static void
post (TgpAccount *ta, Outbox *ob, const char *chat_id)
{
  const char *text = g_queue_peek_head (&ob->texts);
  gboolean is_html = FALSE;
  g_autoptr (GPtrArray) images = NULL;
  g_autofree char *content = tgp_images_to_teams (ta, text, &is_html, &images);

  g_free (ob->posting_to);
  ob->posting_to = g_strdup (chat_id);
  tg_sync_note_sending (tgp_sync_get (ta), chat_id);
  /* A one-on-one chat: @everyone is refused there, nothing is sent. */
  tg_mentions_send_async (ta->refs, chat_id, FALSE, content, is_html, images, ta->cancellable,
                          on_sent, req_new (ta, ob->who, chat_id));
}

static void
on_created (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  TgpAccount *ta = req->ta;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgChat) chat = NULL;
  g_autofree char *name = NULL;
  Outbox *ob;

  if (tgp_account_is_closed (ta))
    return;
  chat = tg_chats_create_one_on_one_finish (ta->graph, result, &error);
  ob = outbox_get (ta, req->who);
  if (ob == NULL)
    return;
  if (chat == NULL)
    {
      write_error (ta, req->who, g_queue_peek_head (&ob->texts), error);
      next (ta, ob);
      return;
    }
  purple_debug_info (DBG, "one-on-one chat with %s: %s\n", req->who, chat->id);
  name = tgp_blist_buddy_name_for_chat (ta, chat);
  if (name != NULL)
    tgp_blist_map (ta, name, chat->id);
  tgp_blist_map (ta, req->who, chat->id);
  /* The buddy list learns about the chat (and its buddy) with the next full list. */
  if (tgp_sync_get (ta) != NULL)
    tg_sync_request_full_refresh (tgp_sync_get (ta));
  post (ta, ob, chat->id);
}

static void
pump (TgpAccount *ta, Outbox *ob)
{
  const char *chat_id;

  if (ob->busy || g_queue_is_empty (&ob->texts) || tgp_account_is_closed (ta))
    return;
  ob->busy = TRUE;
  chat_id = tgp_blist_chat_id_for_buddy (ta, ob->who);
  if (chat_id != NULL)
    post (ta, ob, chat_id);
  else
    tg_chats_create_one_on_one_async (ta->graph, ta->self_id, ob->who, ta->cancellable,
                                      on_created, req_new (ta, ob->who, NULL));
}

/* "/name args" typed as text (bitlbee) where name is a command of this conversation: run it. */
static gboolean
try_command (TgpAccount *ta, const char *who, const char *message)
{
  if (!tgp_commands_is_typed_command (im_conv (ta, who, FALSE), message))
    return FALSE;
  tgp_commands_run_typed (im_conv (ta, who, TRUE), message);
  return TRUE;
}

/* @everyone has no meaning in a one-on-one chat: refused before anything is sent (a chat that
 * does not exist yet is not even created). */
static gboolean
refuse_everyone (TgpAccount *ta, const char *who, const char *message)
{
  gboolean is_html = FALSE;
#ifdef HAVE_TG_MARKUP
  g_autofree char *content = tg_markup_to_teams (message, &is_html);
#else
  g_autofree char *content = purple_markup_strip_html (message);
#endif
  g_autoptr (GError) error = NULL;

  if (!tg_mentions_has_everyone (content, is_html))
    return FALSE;
  error = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_REQUEST, TG_MENTIONS_EVERYONE_REFUSED);
  write_error (ta, who, message, error);
  return TRUE;
}

int
tgp_im_send (PurpleConnection *gc, const char *who, const char *message, PurpleMessageFlags flags)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  g_autofree char *key = NULL;
  Outbox *ob;

  if (ta == NULL || ta->im == NULL)
    return -ENOTCONN;
  if (who == NULL || *who == '\0' || message == NULL)
    return -EINVAL;
  if (try_command (ta, who, message))
    return 0;

  key = g_utf8_strdown (who, -1);
  g_strstrip (key);
  if (refuse_everyone (ta, key, message))
    return 0;
  ob = g_hash_table_lookup (ta->im->outboxes, key);
  if (ob == NULL)
    {
      ob = g_new0 (Outbox, 1);
      ob->who = g_steal_pointer (&key);
      g_queue_init (&ob->texts);
      ob->held = g_ptr_array_new_with_free_func (held_free);
      g_hash_table_insert (ta->im->outboxes, ob->who, ob);
    }
  g_queue_push_tail (&ob->texts, g_strdup (message));
  tgp_images_hold (ta, message);   /* posted later: keep its images in the store till then */
  pump (ta, ob);
  return 1;
}
