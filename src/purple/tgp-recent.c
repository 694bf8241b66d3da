/* tgp-recent — the messages shown per chat, newest first (see tgp-recent.h). */
#include "purple/tgp-recent.h"

#include <string.h>

#include "purple/tgp-message.h"

/* Messages remembered per chat: far more than anyone counts back with /delete 7. */
#define RECENT_MAX 200

/* "<account user name>\n<chat id>" → GPtrArray of TgpRecentMessage*, newest first. */
static GHashTable *stores;

static void
recent_free (gpointer p)
{
  TgpRecentMessage *r = p;

  g_free (r->id);
  g_free (r->chat_id);
  g_free (r->sender);
  g_free (r->excerpt);
  g_free (r);
}

static GPtrArray *
store (TgpAccount *ta, const char *chat_id, gboolean create)
{
  g_autofree char *key = NULL;
  GPtrArray *list;

  if (ta == NULL || ta->account == NULL || chat_id == NULL)
    return NULL;
  key = g_strconcat (purple_account_get_username (ta->account), "\n", chat_id, NULL);
  list = stores != NULL ? g_hash_table_lookup (stores, key) : NULL;
  if (list == NULL && create)
    {
      if (stores == NULL)
        stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
      list = g_ptr_array_new_with_free_func (recent_free);
      g_hash_table_insert (stores, g_steal_pointer (&key), list);
    }
  return list;
}

static int
find (GPtrArray *list, const char *message_id)
{
  for (guint i = 0; list != NULL && i < list->len; i++)
    if (g_strcmp0 (((TgpRecentMessage *) g_ptr_array_index (list, i))->id, message_id) == 0)
      return (int) i;
  return -1;
}

void
tgp_recent_forget (TgpAccount *ta, const char *chat_id, const char *message_id)
{
  GPtrArray *list = store (ta, chat_id, FALSE);
  int i = find (list, message_id);

  if (i >= 0)
    g_ptr_array_remove_index (list, (guint) i);
}

void
tgp_recent_note (TgpAccount *ta, const TgMessage *msg)
{
  GPtrArray *list;
  TgpRecentMessage *r;
  guint pos;
  int i;

  if (msg == NULL || msg->id == NULL || msg->chat_id == NULL || tg_message_is_system (msg))
    return;
  if (msg->is_deleted)
    {
      tgp_recent_forget (ta, msg->chat_id, msg->id);
      return;
    }
  list = store (ta, msg->chat_id, TRUE);
  if (list == NULL)
    return;
  i = find (list, msg->id);
  if (i >= 0)
    {
      /* Shown again (an edit, or /history): the text may be new. */
      r = g_ptr_array_index (list, i);
      g_free (r->excerpt);
      r->excerpt = tgp_message_excerpt (msg, TGP_MESSAGE_EXCERPT_CHARS);
      return;
    }
  r = g_new0 (TgpRecentMessage, 1);
  r->id = g_strdup (msg->id);
  r->chat_id = g_strdup (msg->chat_id);
  r->own = ta->self_id != NULL && msg->from_user_id != NULL
           && g_ascii_strcasecmp (msg->from_user_id, ta->self_id) == 0;
  r->sender = g_strdup (msg->from_display_name != NULL ? msg->from_display_name
                        : msg->from_app_name != NULL ? msg->from_app_name : "");
  r->created = msg->created;
  r->excerpt = tgp_message_excerpt (msg, TGP_MESSAGE_EXCERPT_CHARS);
  /* Newest first; of equal times, the one shown later counts as newer. */
  for (pos = 0; pos < list->len; pos++)
    if (((TgpRecentMessage *) g_ptr_array_index (list, pos))->created <= r->created)
      break;
  g_ptr_array_insert (list, (gint) pos, r);
  if (list->len > RECENT_MAX)
    g_ptr_array_set_size (list, RECENT_MAX);
}

const TgpRecentMessage *
tgp_recent_nth (TgpAccount *ta, const char *chat_id, guint n)
{
  GPtrArray *list = store (ta, chat_id, FALSE);

  if (list == NULL || n == 0 || n > list->len)
    return NULL;
  return g_ptr_array_index (list, n - 1);
}

const TgpRecentMessage *
tgp_recent_last_own (TgpAccount *ta, const char *chat_id)
{
  GPtrArray *list = store (ta, chat_id, FALSE);

  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      const TgpRecentMessage *r = g_ptr_array_index (list, i);

      if (r->own)
        return r;
    }
  return NULL;
}

guint
tgp_recent_count (TgpAccount *ta, const char *chat_id)
{
  GPtrArray *list = store (ta, chat_id, FALSE);

  return list != NULL ? list->len : 0;
}

void
tgp_recent_clear_all (void)
{
  g_clear_pointer (&stores, g_hash_table_unref);
}
