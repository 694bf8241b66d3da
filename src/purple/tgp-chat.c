/* tgp-chat — Teams group and meeting chats as purple chat conversations (see tgp-chat.h).
 *
 * A chat conversation is named after what it was joined with, as get_chat_name says: the Teams
 * chat id (the buddy list's PurpleChat, incoming messages), or the topic when the user joined by
 * topic (bitlbee finds the channel of `chat add teams-graph "<topic>" #chan` by that name). It is
 * titled with the topic or the member names. Per conversation this module keeps a ConvData (the
 * chat id, the chat as last known, the ids of the own messages already shown) in the
 * conversation's data; it goes with the conversation ("deleting-conversation"), not with the
 * connection, since a conversation outlives it.
 */
#include "purple/tgp-chat.h"

#include <errno.h>
#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-markup.h"
#include "core/tg-members.h"
#include "core/tg-mentions.h"
#include "core/tg-refs.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-commands.h"
#include "purple/tgp-conv.h"
#include "purple/tgp-images.h"
#include "purple/tgp-message.h"
#include "purple/tgp-recent.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"
#define CONV_DATA_KEY "tgp-chat-data"
/* Own message ids remembered per conversation (to show each own message once). */
#define OWN_IDS_MAX 500

typedef struct {
  char *chat_id;          /* the Teams chat id (the conversation's name may be a topic) */
  TgChat *chat;           /* the chat as last known (members included); may be NULL */
  GHashTable *own_ids;    /* ids of own messages already shown here */
  GQueue own_order;       /* the same ids, oldest first (owned by own_ids) */
  GPtrArray *all_members; /* TgMember*: every member, when the chat list could not say (see
                           * members_truncated); NULL otherwise */
  gboolean fetching_members;
  gboolean members_stale;  /* they changed while being fetched: fetch again */
} ConvData;

/* purple chat ids: unique in the process (libpurple only needs them unique per connection). */
static int next_purple_chat_id = 1;
static PurplePlugin *plugin_handle;
static gboolean signals_connected;

/* ------------------------------------------------------------------------------------------ */
/* Conversation data                                                                           */

static void
conv_data_free (ConvData *cd)
{
  if (cd == NULL)
    return;
  g_free (cd->chat_id);
  g_clear_pointer (&cd->chat, tg_chat_unref);
  g_clear_pointer (&cd->all_members, g_ptr_array_unref);
  g_queue_clear (&cd->own_order);
  g_hash_table_destroy (cd->own_ids);
  g_free (cd);
}

static void on_deleting_conversation (PurpleConversation *conv, gpointer data);

/* Connected on first use: protocol plugins load before libpurple registers the conversation
 * signals. */
static void
ensure_signals (void)
{
  if (signals_connected || plugin_handle == NULL)
    return;
  purple_signal_connect (purple_conversations_get_handle (), "deleting-conversation",
                         plugin_handle, PURPLE_CALLBACK (on_deleting_conversation), NULL);
  signals_connected = TRUE;
}

static ConvData *
conv_data (PurpleConversation *conv)
{
  ConvData *cd = purple_conversation_get_data (conv, CONV_DATA_KEY);

  if (cd == NULL)
    {
      ensure_signals ();
      cd = g_new0 (ConvData, 1);
      cd->own_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_queue_init (&cd->own_order);
      purple_conversation_set_data (conv, CONV_DATA_KEY, cd);
    }
  return cd;
}

static void
on_deleting_conversation (PurpleConversation *conv, gpointer data)
{
  ConvData *cd = purple_conversation_get_data (conv, CONV_DATA_KEY);

  if (cd != NULL)
    {
      purple_conversation_set_data (conv, CONV_DATA_KEY, NULL);
      conv_data_free (cd);
    }
}

/* TRUE the first time `message_id` is seen in this conversation as an own message. */
static gboolean
own_message_first_time (PurpleConversation *conv, const char *message_id)
{
  ConvData *cd = conv_data (conv);
  char *key;

  if (message_id == NULL)
    return TRUE;
  if (g_hash_table_contains (cd->own_ids, message_id))
    return FALSE;
  key = g_strdup (message_id);
  g_hash_table_add (cd->own_ids, key);
  g_queue_push_tail (&cd->own_order, key);
  while (g_queue_get_length (&cd->own_order) > OWN_IDS_MAX)
    g_hash_table_remove (cd->own_ids, g_queue_pop_head (&cd->own_order));
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

const char *
tgp_chat_conv_chat_id (PurpleConversation *conv)
{
  PurpleAccount *account;
  PurpleConnection *gc;
  TgpAccount *ta;

  if (conv == NULL)
    return NULL;
  account = purple_conversation_get_account (conv);
  if (account == NULL || g_strcmp0 (purple_account_get_protocol_id (account), TGP_PLUGIN_ID) != 0)
    return NULL;
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT)
    {
      ConvData *cd = purple_conversation_get_data (conv, CONV_DATA_KEY);

      return cd != NULL && cd->chat_id != NULL ? cd->chat_id : purple_conversation_get_name (conv);
    }
  if (purple_conversation_get_type (conv) != PURPLE_CONV_TYPE_IM)
    return NULL;
  gc = purple_account_get_connection (account);
  ta = tgp_account_from_gc (gc);
  if (ta == NULL)
    return NULL;
  return tgp_blist_chat_id_for_buddy (ta, purple_conversation_get_name (conv));
}

/* The chat conversation of `chat_id` (joined or left), NULL when none. */
static PurpleConversation *
find_conv (TgpAccount *ta, const char *chat_id)
{
  for (GList *l = purple_get_chats (); l != NULL; l = l->next)
    {
      PurpleConversation *conv = l->data;

      if (purple_conversation_get_account (conv) == ta->account
          && g_strcmp0 (tgp_chat_conv_chat_id (conv), chat_id) == 0)
        return conv;
    }
  return NULL;
}

static gboolean
conv_is_joined (PurpleConversation *conv)
{
  return conv != NULL && !purple_conv_chat_has_left (PURPLE_CONV_CHAT (conv));
}

/* The chat as best known: the sync engine's, else what the conversation remembers. */
static TgChat *
known_chat (TgpAccount *ta, PurpleConversation *conv, const char *chat_id)
{
  TgSync *sync = tgp_sync_get (ta);
  TgChat *chat = sync != NULL && chat_id != NULL ? tg_sync_get_chat (sync, chat_id) : NULL;

  if ((chat == NULL || !chat->members_known) && conv != NULL)
    {
      ConvData *cd = purple_conversation_get_data (conv, CONV_DATA_KEY);

      if (cd != NULL && cd->chat != NULL)
        return cd->chat;
    }
  return chat;
}

static PurpleConvChatBuddyFlags
member_flags (const TgMember *m)
{
  return tg_member_has_role (m, "owner") ? PURPLE_CBFLAGS_OP : PURPLE_CBFLAGS_NONE;
}

/* The signed-in user's participant name in `chat`. Newly allocated. */
static char *
self_name (TgpAccount *ta, const TgChat *chat)
{
  if (chat != NULL && ta->self_id != NULL)
    for (guint i = 0; i < chat->members->len; i++)
      {
        const TgMember *m = g_ptr_array_index (chat->members, i);

        if (m->user_id != NULL && g_ascii_strcasecmp (m->user_id, ta->self_id) == 0)
          {
            char *name = tgp_message_member_name (m);

            if (name != NULL)
              return name;
          }
      }
  if (ta->self_mail != NULL && *ta->self_mail != '\0')
    return g_utf8_strdown (ta->self_mail, -1);
  if (ta->self_upn != NULL)
    return g_utf8_strdown (ta->self_upn, -1);
  return g_utf8_strdown (purple_account_get_username (ta->account), -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Topic and participants of an open conversation                                              */

static void
update_topic (TgpAccount *ta, PurpleConversation *conv, const TgChat *chat, const char *who)
{
  PurpleConvChat *cc = PURPLE_CONV_CHAT (conv);
  g_autofree char *title = tg_chat_title (chat, ta->self_id);

  if (title != NULL && *title != '\0'
      && g_strcmp0 (purple_conversation_get_title (conv), title) != 0)
    purple_conversation_set_title (conv, title);
  if (chat->topic != NULL && g_strcmp0 (purple_conv_chat_get_topic (cc), chat->topic) != 0)
    purple_conv_chat_set_topic (cc, who, chat->topic);
}

/* Makes the participant list equal to `members` (TgMember*). */
static void
update_participants (TgpAccount *ta, PurpleConversation *conv, GPtrArray *members)
{
  PurpleConvChat *cc = PURPLE_CONV_CHAT (conv);
  g_autoptr (GHashTable) wanted = NULL;   /* name → member */
  GList *add = NULL, *add_flags = NULL, *remove = NULL;

  wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < members->len; i++)
    {
      TgMember *m = g_ptr_array_index (members, i);
      char *name = tgp_message_member_name (m);

      if (name != NULL)
        g_hash_table_replace (wanted, name, m);
    }
  for (GList *l = purple_conv_chat_get_users (cc); l != NULL; l = l->next)
    {
      PurpleConvChatBuddy *cb = l->data;
      const TgMember *m = g_hash_table_lookup (wanted, cb->name);

      if (m == NULL)
        remove = g_list_prepend (remove, g_strdup (cb->name));
      else
        {
          if ((PurpleConvChatBuddyFlags) cb->flags != member_flags (m))
            purple_conv_chat_user_set_flags (cc, cb->name, member_flags (m));
          g_hash_table_remove (wanted, cb->name);
        }
    }
  if (remove != NULL)
    purple_conv_chat_remove_users (cc, remove, NULL);
  g_list_free_full (remove, g_free);

  {
    GHashTableIter it;
    gpointer key, value;

    g_hash_table_iter_init (&it, wanted);
    while (g_hash_table_iter_next (&it, &key, &value))
      {
        add = g_list_prepend (add, key);
        add_flags = g_list_prepend (add_flags, GINT_TO_POINTER (member_flags (value)));
      }
  }
  /* No "entered the room" lines: the chat's own system event says who added whom. */
  if (add != NULL)
    purple_conv_chat_add_users (cc, add, NULL, add_flags, FALSE);
  g_list_free (add);
  g_list_free (add_flags);
}

static void
remember_chat (PurpleConversation *conv, const TgChat *chat)
{
  ConvData *cd = conv_data (conv);

  if (cd->chat == chat)
    return;
  g_clear_pointer (&cd->chat, tg_chat_unref);
  cd->chat = tg_chat_ref ((TgChat *) chat);
}

/* Graph's chat list carries at most 25 members per chat ($expand=members): a chat listed with
 * that many may have more, and its participants come from GET /chats/{id}/members instead. */
#define EXPANDED_MEMBERS_MAX 25

static gboolean
members_truncated (const TgChat *chat)
{
  return chat->members->len >= EXPANDED_MEMBERS_MAX;
}

typedef struct {
  TgpAccount *ta;
  char *chat_id;
} MembersFetch;

static void fetch_all_members (TgpAccount *ta, PurpleConversation *conv, const char *chat_id);

static void
on_all_members (GObject *source, GAsyncResult *result, gpointer data)
{
  MembersFetch *mf = data;
  g_autoptr (GError) error = NULL;
  GPtrArray *members = NULL;
  PurpleConversation *conv;

  if (tgp_account_is_closed (mf->ta))
    goto out;
  members = tg_members_list_finish (result, &error);
  conv = tgp_chat_find_conversation (mf->ta, mf->chat_id);
  if (conv != NULL)
    {
      ConvData *cd = conv_data (conv);

      cd->fetching_members = FALSE;
      if (members != NULL)
        {
          g_clear_pointer (&cd->all_members, g_ptr_array_unref);
          cd->all_members = g_ptr_array_ref (members);
          update_participants (mf->ta, conv, members);
        }
      else
        purple_debug_warning (DBG, "members of %s: %s\n", mf->chat_id, error->message);
      if (cd->members_stale)
        fetch_all_members (mf->ta, conv, mf->chat_id);
    }
out:
  if (members != NULL)
    g_ptr_array_unref (members);
  tgp_account_unref (mf->ta);
  g_free (mf->chat_id);
  g_free (mf);
}

static void
fetch_all_members (TgpAccount *ta, PurpleConversation *conv, const char *chat_id)
{
  ConvData *cd = conv_data (conv);
  MembersFetch *mf;

  if (cd->fetching_members)
    {
      cd->members_stale = TRUE;
      return;
    }
  cd->fetching_members = TRUE;
  cd->members_stale = FALSE;
  mf = g_new0 (MembersFetch, 1);
  mf->ta = tgp_account_ref (ta);
  mf->chat_id = g_strdup (chat_id);
  tg_members_list_async (ta->graph, chat_id, ta->cancellable, on_all_members, mf);
}

/* The participants follow the chat's members: at once from the chat list, or — when that list
 * may be cut short — from the whole member list, fetched when not known yet or, with
 * `changed` (members changed elsewhere), again. */
static void
follow_members (TgpAccount *ta, PurpleConversation *conv, const TgChat *chat, gboolean changed)
{
  ConvData *cd = conv_data (conv);

  if (!chat->members_known)
    return;
  if (!members_truncated (chat))
    {
      g_clear_pointer (&cd->all_members, g_ptr_array_unref);
      update_participants (ta, conv, chat->members);
      return;
    }
  if (cd->all_members == NULL)
    update_participants (ta, conv, chat->members);   /* the first 25 meanwhile */
  else if (!changed)
    return;
  fetch_all_members (ta, conv, chat->id);
}

/* The chat's conversation, opened (or re-joined) when needed, with title, topic and
 * participants up to date. A new conversation is named `name` (NULL: the chat id); a left one
 * is re-joined under its name. NULL when the connection is gone. */
static PurpleConversation *
open_conversation (TgpAccount *ta, const TgChat *chat, const char *name)
{
  PurpleConversation *conv = find_conv (ta, chat->id);

  if (tgp_account_is_closed (ta))
    return NULL;
  if (!conv_is_joined (conv))
    {
      g_autofree char *nick = self_name (ta, chat);
      g_autofree char *conv_name =
        g_strdup (conv != NULL ? purple_conversation_get_name (conv) : name != NULL ? name : chat->id);
      ConvData *cd;

      conv = serv_got_joined_chat (ta->gc, next_purple_chat_id++, conv_name);
      if (conv == NULL)
        return NULL;
      cd = conv_data (conv);
      if (g_strcmp0 (cd->chat_id, chat->id) != 0)
        {
          g_free (cd->chat_id);
          cd->chat_id = g_strdup (chat->id);
        }
      purple_conv_chat_set_nick (PURPLE_CONV_CHAT (conv), nick);
    }
  /* Before the participants: get_cb_alias reads the members from here. */
  if (chat->members_known)
    remember_chat (conv, chat);
  update_topic (ta, conv, chat, NULL);
  follow_members (ta, conv, chat, FALSE);
  return conv;
}

PurpleConversation *
tgp_chat_conversation_if_open (TgpAccount *ta, const TgChat *chat)
{
  if (tgp_account_is_closed (ta) || chat == NULL || find_conv (ta, chat->id) == NULL)
    return NULL;
  return open_conversation (ta, chat, NULL);
}

PurpleConversation *
tgp_chat_find_conversation (TgpAccount *ta, const char *chat_id)
{
  PurpleConversation *conv = ta != NULL && !tgp_account_is_closed (ta) ? find_conv (ta, chat_id) : NULL;

  return conv_is_joined (conv) ? conv : NULL;
}

PurpleConversation *
tgp_chat_open (TgpAccount *ta, const TgChat *chat)
{
  PurpleConversation *conv;

  if (chat == NULL || chat->type == TG_CHAT_TYPE_ONE_ON_ONE)
    return NULL;
  conv = open_conversation (ta, chat, NULL);
  if (conv != NULL)
    purple_conversation_present (conv);
  return conv;
}

void
tgp_chat_write_notice (PurpleConversation *conv, const char *text, gboolean error)
{
  if (error)
    tgp_conv_write_plain (conv, PURPLE_MESSAGE_ERROR, text);
  else
    tgp_conv_feedback (conv, FALSE, "%s", text);
}

/* ------------------------------------------------------------------------------------------ */
/* From the sync engine                                                                        */

void
tgp_chat_deliver (TgpAccount *ta, const TgChat *chat, TgMessage *msg, TgSyncMessageFlags flags)
{
  PurpleConversation *conv;
  g_autofree char *html = NULL;
  g_autofree char *who = NULL;
  PurpleMessageFlags pflags = 0;
  time_t when = 0;

  if (tgp_account_is_closed (ta) || chat == NULL || msg == NULL)
    return;
  conv = open_conversation (ta, chat, NULL);
  if (conv == NULL)
    return;
  tgp_message_render (ta, msg, flags, &html, &pflags, &when);
  tgp_recent_note (ta, msg);

  if (pflags & PURPLE_MESSAGE_SYSTEM)
    {
      /* A rename is shown in the topic at once (the chat list follows on the next poll). */
      if (msg->event != NULL && msg->event->kind == TG_EVENT_CHAT_RENAMED
          && msg->event->chat_display_name != NULL && (flags & TG_SYNC_MSG_NEW)
          && !(flags & TG_SYNC_MSG_DELAYED))
        {
          PurpleConvChat *cc = PURPLE_CONV_CHAT (conv);

          if (g_strcmp0 (purple_conv_chat_get_topic (cc), msg->event->chat_display_name) != 0)
            purple_conv_chat_set_topic (cc, msg->event->initiator.display_name,
                                        msg->event->chat_display_name);
        }
      tgp_conv_write_html (conv, pflags, html, when);
      return;
    }

  if ((pflags & PURPLE_MESSAGE_SEND) && (flags & TG_SYNC_MSG_EDITED) == 0
      && (flags & TG_SYNC_MSG_DELETED) == 0 && !own_message_first_time (conv, msg->id))
    return;   /* already echoed when it was sent from here */

  who = tgp_message_sender_name (ta, chat, msg);
  if (pflags & PURPLE_MESSAGE_SEND)
    {
      g_free (who);
      who = g_strdup (purple_conv_chat_get_nick (PURPLE_CONV_CHAT (conv)));
    }
  if (who == NULL || *who == '\0')
    {
      g_free (who);
      who = g_strdup (msg->from_display_name != NULL ? msg->from_display_name : "unknown");
    }
  serv_got_chat_in (ta->gc, purple_conv_chat_get_id (PURPLE_CONV_CHAT (conv)), who, pflags, html,
                    when);
}

void
tgp_chat_on_chat_changed (TgpAccount *ta, const TgSyncChatChange *change)
{
  PurpleConversation *conv;
  const TgChat *chat = change != NULL ? change->chat : NULL;

  if (tgp_account_is_closed (ta) || chat == NULL || chat->type == TG_CHAT_TYPE_ONE_ON_ONE)
    return;
  conv = find_conv (ta, chat->id);
  if (!conv_is_joined (conv))
    return;   /* nothing open: the next join shows the chat as it is then */
  if (chat->members_known)
    remember_chat (conv, chat);
  update_topic (ta, conv, chat, NULL);
  follow_members (ta, conv, chat, TRUE);
}

void
tgp_chat_on_chat_removed (TgpAccount *ta, const char *chat_id)
{
  PurpleConversation *conv;

  if (tgp_account_is_closed (ta) || chat_id == NULL)
    return;
  conv = find_conv (ta, chat_id);
  if (!conv_is_joined (conv))
    return;
  tgp_conv_write_plain (conv, PURPLE_MESSAGE_SYSTEM, "You are no longer a member of this chat.");
  serv_got_chat_left (ta->gc, purple_conv_chat_get_id (PURPLE_CONV_CHAT (conv)));
}

/* ------------------------------------------------------------------------------------------ */
/* Components                                                                                  */

static const char *
component (GHashTable *components, const char *key)
{
  const char *value = components != NULL ? g_hash_table_lookup (components, key) : NULL;

  return value != NULL && *value != '\0' ? value : NULL;
}

char *
tgp_chat_get_name (GHashTable *components)
{
  const char *id = component (components, "id");

  return g_strdup (id != NULL ? id : component (components, "topic"));
}

char *
tgp_chat_get_cb_alias (PurpleConnection *gc, int id, const char *who)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  PurpleConversation *conv = ta != NULL ? purple_find_chat (gc, id) : NULL;
  const TgChat *chat;
  GPtrArray *members;

  if (conv == NULL || who == NULL)
    return NULL;
  {
    ConvData *cd = purple_conversation_get_data (conv, CONV_DATA_KEY);

    chat = known_chat (ta, conv, tgp_chat_conv_chat_id (conv));
    members = cd != NULL && cd->all_members != NULL ? cd->all_members
              : chat != NULL ? chat->members : NULL;
  }
  if (members == NULL)
    return NULL;
  for (guint i = 0; i < members->len; i++)
    {
      const TgMember *m = g_ptr_array_index (members, i);
      g_autofree char *name = tgp_message_member_name (m);

      if (name != NULL && g_strcmp0 (name, who) == 0 && m->display_name != NULL
          && *m->display_name != '\0')
        return g_strdup (m->display_name);
    }
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Joining                                                                                     */

typedef struct {
  TgpAccount *ta;
  GHashTable *components;   /* a copy, for purple_serv_got_join_chat_failed */
  char *id;
  char *topic;
} Join;

static void
join_free (Join *join)
{
  tgp_account_unref (join->ta);
  g_hash_table_destroy (join->components);
  g_free (join->id);
  g_free (join->topic);
  g_free (join);
}

static Join *
join_new (TgpAccount *ta, GHashTable *components)
{
  Join *join = g_new0 (Join, 1);

  join->ta = tgp_account_ref (ta);
  join->id = g_strdup (component (components, "id"));
  join->topic = g_strdup (component (components, "topic"));
  /* Only our two components: others (a room list's fields) need not even be strings. */
  join->components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (join->id != NULL)
    g_hash_table_insert (join->components, g_strdup ("id"), g_strdup (join->id));
  if (join->topic != NULL)
    g_hash_table_insert (join->components, g_strdup ("topic"), g_strdup (join->topic));
  return join;
}

/* Reports a join that cannot happen, in every client: the join-failed signal (Pidgin's join
 * dialog), an error dialog (Pidgin, Finch; bitlbee shows notifications as messages). */
static void
join_failed (Join *join, const char *primary, const char *secondary)
{
  TgpAccount *ta = join->ta;

  purple_debug_info (DBG, "join failed: %s %s\n", primary, secondary != NULL ? secondary : "");
  purple_serv_got_join_chat_failed (ta->gc, join->components);
  purple_notify_error (ta->gc, "Join Teams chat", primary, secondary);
}

static void
join_chat_known (Join *join, const TgChat *chat)
{
  PurpleConversation *conv;

  if (chat->type == TG_CHAT_TYPE_ONE_ON_ONE)
    {
      g_autofree char *primary = g_strdup_printf ("%s is a one-on-one chat", chat->id);

      join_failed (join, primary, "Send an instant message to the other person instead.");
      return;
    }
  /* Named as get_chat_name names these components. */
  conv = open_conversation (join->ta, chat, join->id != NULL ? NULL : join->topic);
  if (conv != NULL)
    purple_conversation_present (conv);
}

static void
on_get_chat (GObject *source, GAsyncResult *result, gpointer data)
{
  Join *join = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgChat) chat = NULL;

  if (tgp_account_is_closed (join->ta))
    {
      join_free (join);
      return;
    }
  chat = tg_chats_get_chat_finish (join->ta->graph, result, &error);
  if (chat == NULL)
    {
      g_autofree char *primary = g_strdup_printf ("Cannot join the Teams chat %s", join->id);

      join_failed (join, primary, error->message);
    }
  else
    join_chat_known (join, chat);
  join_free (join);
}

/* A topic that matched no chat or several: the resolver's error (its first line as the primary
 * text, the candidates' ids after it) and what to do about it. */
static void
join_topic_failed (Join *join, const GError *error)
{
  const char *nl = strchr (error->message, '\n');
  g_autofree char *primary = nl != NULL ? g_strndup (error->message, nl - error->message)
                                        : g_strdup (error->message);
  g_autofree char *secondary = NULL;

  if (g_str_has_suffix (primary, ":"))
    primary[strlen (primary) - 1] = '\0';   /* the list follows in the secondary text */
  if (g_error_matches (error, TG_ERROR, TG_ERROR_AMBIGUOUS))
    secondary = g_strdup_printf ("Join one of them by its chat id:%s", nl != NULL ? nl : "");
  else if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
    secondary = g_strdup ("Join it by its chat id, or check the topic in the room list.");
  else
    {
      g_free (primary);
      primary = g_strdup_printf ("Cannot look up the topic \"%s\"", join->topic);
      secondary = g_strdup (error->message);
    }
  join_failed (join, primary, secondary);
}

/* Resolves the topic among `chats` (tg-refs' matching): TRUE when decided (joined or reported);
 * FALSE when nothing matched and `final` is FALSE (the caller looks further). */
static gboolean
join_by_topic_among (Join *join, GPtrArray *chats, gboolean final)
{
  g_autoptr (GPtrArray) matches = tg_refs_match_topic (chats, join->topic);
  g_autoptr (GError) error = tg_refs_topic_error (join->topic, matches);

  if (error == NULL)
    {
      join_chat_known (join, g_ptr_array_index (matches, 0));
      return TRUE;
    }
  if (matches->len == 0 && !final)
    return FALSE;
  join_topic_failed (join, error);
  return TRUE;
}

static void
on_topic_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  Join *join = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgChat) chat = NULL;

  if (tgp_account_is_closed (join->ta))
    {
      join_free (join);
      return;
    }
  chat = tg_refs_resolve_chat_finish (result, &error);
  if (chat == NULL)
    join_topic_failed (join, error);
  else
    join_chat_known (join, chat);
  join_free (join);
}

void
tgp_chat_join (PurpleConnection *gc, GHashTable *components)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  TgSync *sync;
  Join *join;

  if (ta == NULL || tgp_account_is_closed (ta))
    return;
  sync = tgp_sync_get (ta);
  join = join_new (ta, components);
  if (join->id != NULL)
    {
      TgChat *chat = sync != NULL ? tg_sync_get_chat (sync, join->id) : NULL;

      if (chat != NULL && chat->members_known)
        {
          /* Known: joined at once (bitlbee expects the conversation during the join). */
          join_chat_known (join, chat);
          join_free (join);
          return;
        }
      tg_chats_get_chat_async (ta->graph, join->id, ta->cancellable, on_get_chat, join);
      return;
    }
  if (join->topic != NULL)
    {
      g_autoptr (GPtrArray) chats = sync != NULL ? tg_sync_get_chats (sync) : NULL;

      /* A match among the chats the engine knows decides at once; otherwise every page of
       * my chats is asked (a chat created a moment ago). */
      if (chats != NULL && chats->len > 0 && join_by_topic_among (join, chats, FALSE))
        {
          join_free (join);
          return;
        }
      tg_refs_resolve_chat_async (ta->graph, join->topic, ta->cancellable, on_topic_resolved,
                                  join);
      return;
    }
  join_failed (join, "Which Teams chat?", "Give a chat id (19:…) or a topic.");
  join_free (join);
}

/* ------------------------------------------------------------------------------------------ */
/* Sending                                                                                     */

typedef struct {
  TgpAccount *ta;
  char *chat_id;
  char *typed;    /* what the user typed (purple markup), for the error line */
  GPtrArray *images;  /* TgHostedImage* sent with it (tgp-images), may be NULL */
} Send;

/* The local echo of a message just sent (through tgp-images, which shows its images). */
static void
write_echo (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags)
{
  PurpleConversation *conv = find_conv (ta, msg->chat_id);
  g_autofree char *html = NULL;
  PurpleMessageFlags pflags = 0;
  time_t when = 0;

  if (!conv_is_joined (conv))
    return;
  tgp_message_render (ta, msg, flags, &html, &pflags, &when);
  /* PURPLE_MESSAGE_SEND only: a local echo (bitlbee drops it, as IRC shows what was typed). */
  serv_got_chat_in (ta->gc, purple_conv_chat_get_id (PURPLE_CONV_CHAT (conv)),
                    purple_conv_chat_get_nick (PURPLE_CONV_CHAT (conv)),
                    PURPLE_MESSAGE_SEND | (pflags & PURPLE_MESSAGE_IMAGES), html, when);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  Send *send = data;
  TgpAccount *ta = send->ta;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgMessage) msg = NULL;
  g_auto (GStrv) unresolved = NULL;
  PurpleConversation *conv;

  if (tgp_account_is_closed (ta))
    goto out;
  msg = tg_mentions_send_finish (result, &unresolved, &error);
  if (msg != NULL)
    tg_sync_note_sent_message (tgp_sync_get (ta), msg);
  else
    tg_sync_note_sent (tgp_sync_get (ta), send->chat_id, NULL, NULL);
  if (msg != NULL)
    tgp_recent_note (ta, msg);
  conv = find_conv (ta, send->chat_id);
  if (!conv_is_joined (conv))
    goto out;
  for (guint i = 0; unresolved[i] != NULL; i++)
    tgp_conv_feedback (conv, FALSE, "Not mentioned (%s): sent as plain text.", unresolved[i]);
  if (msg == NULL)
    {
      g_autofree char *plain = purple_markup_strip_html (send->typed);
      g_autofree char *line = g_strdup_printf ("Message not sent (%s): %s", error->message, plain);

      tgp_conv_write_plain (conv, PURPLE_MESSAGE_ERROR, line);
      goto out;
    }
  if (own_message_first_time (conv, msg->id))
    {
      if (msg->chat_id == NULL)
        msg->chat_id = g_strdup (send->chat_id);
      tgp_images_deliver_sent (ta, msg, TG_SYNC_MSG_NEW | TG_SYNC_MSG_OWN, send->images,
                               write_echo);
    }
out:
  tgp_account_unref (send->ta);
  g_free (send->chat_id);
  g_free (send->typed);
  if (send->images != NULL)
    g_ptr_array_unref (send->images);
  g_free (send);
}

int
tgp_chat_send (PurpleConnection *gc, int id, const char *message, PurpleMessageFlags flags)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  PurpleConversation *conv = ta != NULL ? purple_find_chat (gc, id) : NULL;
  g_autofree char *content = NULL;
  g_autoptr (GPtrArray) images = NULL;
  gboolean is_html = FALSE;
  Send *send;

  if (conv == NULL || tgp_account_is_closed (ta))
    return -ENOTCONN;
  if (tgp_commands_is_typed_command (conv, message))
    {
      tgp_commands_run_typed (conv, message);   /* bitlbee: a command typed in the channel */
      return 0;
    }
  content = tgp_images_to_teams (ta, message, &is_html, &images);
  if (strspn (content, " \t\r\n") == strlen (content))
    return 0;   /* nothing to send */
  send = g_new0 (Send, 1);
  send->ta = tgp_account_ref (ta);
  send->chat_id = g_strdup (tgp_chat_conv_chat_id (conv));
  send->typed = g_strdup (message);
  send->images = images != NULL ? g_ptr_array_ref (images) : NULL;
  tg_sync_note_sending (tgp_sync_get (ta), send->chat_id);
  /* Group and meeting chats: @everyone is allowed. */
  tg_mentions_send_async (ta->refs, send->chat_id, TRUE, content, is_html, images,
                          ta->cancellable, on_sent, send);
  return 0;
}

void
tgp_chat_leave (PurpleConnection *gc, int id)
{
  /* Closing the window only closes it: the user stays a member of the Teams chat (/leave is
   * the command that leaves for good). The conversation's data goes with the conversation. */
  purple_debug_info (DBG, "chat window %d closed (still a member)\n", id);
}

/* ------------------------------------------------------------------------------------------ */
/* Topic                                                                                       */

typedef struct {
  TgpAccount *ta;
  char *chat_id;
  char *topic;
} SetTopic;

static void
on_topic_set (GObject *source, GAsyncResult *result, gpointer data)
{
  SetTopic *st = data;
  TgpAccount *ta = st->ta;
  g_autoptr (GError) error = NULL;
  TgChat *chat = NULL;
  PurpleConversation *conv;
  gboolean ok;

  if (tgp_account_is_closed (ta))
    goto out;
  ok = tg_chats_update_topic_finish (ta->graph, result, &chat, &error);
  conv = find_conv (ta, st->chat_id);
  if (!conv_is_joined (conv))
    goto out;
  if (!ok)
    {
      g_autofree char *line = g_strdup_printf ("Could not set the topic: %s", error->message);

      tgp_conv_write_plain (conv, PURPLE_MESSAGE_ERROR, line);
      goto out;
    }
  if (chat != NULL && chat->members_known)
    remember_chat (conv, chat);
  if (g_strcmp0 (purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv)), st->topic) != 0)
    purple_conv_chat_set_topic (PURPLE_CONV_CHAT (conv),
                                purple_conv_chat_get_nick (PURPLE_CONV_CHAT (conv)), st->topic);
  if (chat != NULL)
    update_topic (ta, conv, chat, NULL);
  if (tgp_sync_get (ta) != NULL)
    tg_sync_request_full_refresh (tgp_sync_get (ta));
out:
  if (chat != NULL)
    tg_chat_unref (chat);
  tgp_account_unref (st->ta);
  g_free (st->chat_id);
  g_free (st->topic);
  g_free (st);
}

static void
set_topic (TgpAccount *ta, const char *chat_id, const char *topic)
{
  SetTopic *st = g_new0 (SetTopic, 1);

  st->ta = tgp_account_ref (ta);
  st->chat_id = g_strdup (chat_id);
  st->topic = g_strdup (topic);
  tg_chats_update_topic_async (ta->graph, chat_id, topic, ta->cancellable, on_topic_set, st);
}

void
tgp_chat_set_topic (PurpleConnection *gc, int id, const char *topic)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  PurpleConversation *conv = ta != NULL ? purple_find_chat (gc, id) : NULL;
  g_autofree char *plain = NULL;

  if (conv == NULL || tgp_account_is_closed (ta))
    return;
  /* Clients may hand markup (Pidgin's topic entry is plain; be safe). */
  plain = purple_markup_strip_html (topic != NULL ? topic : "");
  set_topic (ta, tgp_chat_conv_chat_id (conv), g_strstrip (plain));
}

void
tgp_chat_topic_command (PurpleConversation *conv, const char *topic)
{
  TgpAccount *ta = tgp_account_from_conv (conv);

  if (ta == NULL || purple_conversation_get_type (conv) != PURPLE_CONV_TYPE_CHAT)
    return;
  if (topic != NULL && *topic != '\0')
    {
      set_topic (ta, tgp_chat_conv_chat_id (conv), topic);
      return;
    }
  {
    const char *current = purple_conv_chat_get_topic (PURPLE_CONV_CHAT (conv));
    const TgChat *chat = known_chat (ta, conv, tgp_chat_conv_chat_id (conv));
    g_autofree char *line = NULL;

    if ((current == NULL || *current == '\0') && chat != NULL)
      current = chat->topic;
    if (current != NULL && *current != '\0')
      line = g_strdup_printf ("Topic: %s", current);
    else
      line = g_strdup ("This chat has no topic. Set one with /topic <text>.");
    tgp_conv_feedback (conv, FALSE, "%s", line);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Room list                                                                                   */

typedef struct {
  TgpAccount *ta;
  gboolean cancelled;
} RoomlistData;

static void
roomlist_fill (PurpleRoomlist *list, TgpAccount *ta, GPtrArray *chats)
{
  for (guint i = 0; chats != NULL && i < chats->len; i++)
    {
      const TgChat *chat = g_ptr_array_index (chats, i);
      g_autofree char *title = NULL;
      g_autofree char *members = NULL;
      PurpleRoomlistRoom *room;

      if (chat->type != TG_CHAT_TYPE_GROUP && chat->type != TG_CHAT_TYPE_MEETING)
        continue;
      if (chat->hidden)
        continue;
      title = tg_chat_title (chat, ta->self_id);
      room = purple_roomlist_room_new (PURPLE_ROOMLIST_ROOMTYPE_ROOM, title, NULL);
      purple_roomlist_room_add_field (list, room, chat->id);
      purple_roomlist_room_add_field (list, room, chat->topic != NULL ? chat->topic : "");
      /* The count as text: every field becomes a join component, and clients copy those as
       * strings. */
      members = g_strdup_printf ("%u", chat->members->len);
      purple_roomlist_room_add_field (list, room, members);
      purple_roomlist_room_add (list, room);
    }
  purple_roomlist_set_in_progress (list, FALSE);
}

static void
on_roomlist_chats (GObject *source, GAsyncResult *result, gpointer data)
{
  PurpleRoomlist *list = data;
  RoomlistData *rd = list->proto_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) chats = NULL;

  if (!tgp_account_is_closed (rd->ta))
    {
      chats = tg_chats_list_my_joined_finish (rd->ta->graph, result, &error);
      if (!rd->cancelled)
        {
          if (chats == NULL)
            {
              purple_notify_error (rd->ta->gc, "Teams room list", "Cannot list your group chats",
                                   error->message);
              purple_roomlist_set_in_progress (list, FALSE);
            }
          else
            roomlist_fill (list, rd->ta, chats);
        }
    }
  tgp_account_unref (rd->ta);
  g_free (rd);
  list->proto_data = NULL;
  purple_roomlist_unref (list);
}

PurpleRoomlist *
tgp_chat_roomlist_get_list (PurpleConnection *gc)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  PurpleRoomlist *list;
  GList *fields = NULL;
  TgSync *sync;
  g_autoptr (GPtrArray) chats = NULL;

  if (ta == NULL || tgp_account_is_closed (ta))
    return NULL;
  list = purple_roomlist_new (ta->account);
  /* Field names are chat components: joining a room hands them to join_chat. */
  fields = g_list_append (fields, purple_roomlist_field_new (PURPLE_ROOMLIST_FIELD_STRING,
                                                             "Chat ID", "id", FALSE));
  fields = g_list_append (fields, purple_roomlist_field_new (PURPLE_ROOMLIST_FIELD_STRING,
                                                             "Topic", "topic", FALSE));
  fields = g_list_append (fields, purple_roomlist_field_new (PURPLE_ROOMLIST_FIELD_STRING,
                                                             "Members", "members", FALSE));
  purple_roomlist_set_fields (list, fields);
  purple_roomlist_set_in_progress (list, TRUE);

  sync = tgp_sync_get (ta);
  chats = sync != NULL ? tg_sync_get_chats (sync) : NULL;
  if (chats != NULL && chats->len > 0)
    roomlist_fill (list, ta, chats);
  else
    {
      RoomlistData *rd = g_new0 (RoomlistData, 1);

      rd->ta = tgp_account_ref (ta);
      list->proto_data = rd;
      purple_roomlist_ref (list);
      tg_chats_list_my_joined_async (ta->graph, TG_CHAT_TYPE_UNKNOWN, ta->cancellable,
                                     on_roomlist_chats, list);
    }
  return list;
}

void
tgp_chat_roomlist_cancel (PurpleRoomlist *list)
{
  RoomlistData *rd = list->proto_data;

  if (rd != NULL)
    rd->cancelled = TRUE;
  purple_roomlist_set_in_progress (list, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Plugin life cycle                                                                           */

void
tgp_chat_plugin_load (PurplePlugin *plugin)
{
  plugin_handle = plugin;
}

void
tgp_chat_plugin_unload (PurplePlugin *plugin)
{
  if (signals_connected)
    {
      for (GList *l = purple_get_conversations (); l != NULL; l = l->next)
        on_deleting_conversation (l->data, NULL);
      purple_signals_disconnect_by_handle (plugin);
    }
  signals_connected = FALSE;
  plugin_handle = NULL;
}
