/* tgp-blist — Teams chats in the purple buddy list (see tgp-blist.h). */
#include "purple/tgp-blist.h"

#include <string.h>

#include "purple/tgp-sync.h"

#define DBG "teams-graph"
/* Node settings of PurpleChat nodes. */
#define NODE_ALIAS_SET "tgp-alias"   /* the alias this module set last */
/* Buddy and chat nodes: created by this module (only those are removed automatically). */
#define NODE_AUTO "tgp-auto"

struct _TgpBlist {
  GHashTable *name_to_chat;   /* normalized user reference → one-on-one chat id */
  GHashTable *chat_to_name;   /* one-on-one chat id → buddy name */
  gboolean pruned;            /* stale nodes removed after the first full chat list */
};
typedef struct _TgpBlist TgpBlist;

void
tgp_blist_start (TgpAccount *ta)
{
  TgpBlist *bl;

  if (ta->blist != NULL)
    return;
  bl = g_new0 (TgpBlist, 1);
  bl->name_to_chat = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  bl->chat_to_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ta->blist = bl;
}

void
tgp_blist_stop (TgpAccount *ta)
{
  TgpBlist *bl = g_steal_pointer (&ta->blist);

  if (bl == NULL)
    return;
  g_hash_table_destroy (bl->name_to_chat);
  g_hash_table_destroy (bl->chat_to_name);
  g_free (bl);
}

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                       */

const char *
tgp_blist_normalize (const PurpleAccount *account, const char *who)
{
  static char buf[512];
  g_autofree char *low = NULL;

  if (who == NULL)
    return NULL;
  low = g_utf8_strdown (who, -1);
  g_strlcpy (buf, low, sizeof buf);
  return buf;
}

gboolean
tgp_blist_offline_message (const PurpleBuddy *buddy)
{
  return TRUE;
}

static char *
norm (const char *name)
{
  return g_utf8_strdown (name, -1);
}

char *
tgp_blist_buddy_name_for_chat (TgpAccount *ta, const TgChat *chat)
{
  TgMember *other;

  if (chat == NULL || chat->type != TG_CHAT_TYPE_ONE_ON_ONE)
    return NULL;
  other = tg_chat_other_member (chat, ta->self_id);
  if (other == NULL)
    return NULL;
  if (other->email != NULL && *other->email != '\0')
    return g_utf8_strdown (other->email, -1);
  if (other->user_id != NULL && *other->user_id != '\0')
    return g_ascii_strdown (other->user_id, -1);
  return NULL;
}

void
tgp_blist_map (TgpAccount *ta, const char *name, const char *chat_id)
{
  TgpBlist *bl = ta->blist;

  if (bl == NULL || name == NULL || chat_id == NULL)
    return;
  g_hash_table_replace (bl->name_to_chat, norm (name), g_strdup (chat_id));
  if (!g_hash_table_contains (bl->chat_to_name, chat_id))
    g_hash_table_replace (bl->chat_to_name, g_strdup (chat_id), norm (name));
}

const char *
tgp_blist_chat_id_for_buddy (TgpAccount *ta, const char *name)
{
  g_autofree char *key = NULL;

  if (ta == NULL || ta->blist == NULL || name == NULL)
    return NULL;
  key = norm (name);
  return g_hash_table_lookup (ta->blist->name_to_chat, key);
}

const char *
tgp_blist_buddy_for_chat_id (TgpAccount *ta, const char *chat_id)
{
  if (ta == NULL || ta->blist == NULL || chat_id == NULL)
    return NULL;
  return g_hash_table_lookup (ta->blist->chat_to_name, chat_id);
}

/* ------------------------------------------------------------------------------------------ */
/* Nodes                                                                                       */

static PurpleGroup *
ensure_group (const char *name)
{
  PurpleGroup *group = purple_find_group (name);

  if (group == NULL)
    {
      group = purple_group_new (name);
      purple_blist_add_group (group, NULL);
    }
  return group;
}

static const char *
chat_node_id (PurpleChat *chat)
{
  GHashTable *components = purple_chat_get_components (chat);

  return components != NULL ? g_hash_table_lookup (components, "id") : NULL;
}

/* chat id → PurpleChat of this account, for every chat node in the list. */
static GHashTable *
index_chat_nodes (PurpleAccount *account)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);
  PurpleBlistNode *node;

  for (node = purple_blist_get_root (); node != NULL;
       node = purple_blist_node_next (node, TRUE))
    {
      const char *id;

      if (!PURPLE_BLIST_NODE_IS_CHAT (node))
        continue;
      if (purple_chat_get_account (PURPLE_CHAT (node)) != account)
        continue;
      id = chat_node_id (PURPLE_CHAT (node));
      if (id != NULL && *id != '\0')
        g_hash_table_insert (index, (gpointer) id, node);
    }
  return index;
}

static void
update_buddy (TgpAccount *ta, const TgChat *chat)
{
  g_autofree char *name = tgp_blist_buddy_name_for_chat (ta, chat);
  TgMember *other;
  PurpleBuddy *buddy;

  if (name == NULL)
    return;
  other = tg_chat_other_member (chat, ta->self_id);
  tgp_blist_map (ta, name, chat->id);
  /* The other ways to name the person lead to the same chat. */
  if (other->user_id != NULL)
    tgp_blist_map (ta, other->user_id, chat->id);
  if (other->email != NULL)
    tgp_blist_map (ta, other->email, chat->id);

  if (chat->hidden)
    return;
  buddy = purple_find_buddy (ta->account, name);
  if (buddy == NULL)
    {
      buddy = purple_buddy_new (ta->account, name, NULL);
      purple_blist_add_buddy (buddy, NULL, ensure_group (TGP_GROUP_BUDDIES), NULL);
      purple_blist_node_set_bool (PURPLE_BLIST_NODE (buddy), NODE_AUTO, TRUE);
    }
  if (other->display_name != NULL && *other->display_name != '\0'
      && g_strcmp0 (purple_buddy_get_server_alias (buddy), other->display_name) != 0)
    serv_got_alias (ta->gc, name, other->display_name);
  /* Listed but not claimed available, until real presence arrives (see tgp-blist.h). */
  if (!purple_presence_is_online (purple_buddy_get_presence (buddy)))
    purple_prpl_got_user_status (ta->account, name, TGP_STATUS_UNKNOWN, NULL);
}

static void
update_chat_node (TgpAccount *ta, GHashTable *index, const TgChat *chat)
{
  PurpleChat *node = g_hash_table_lookup (index, chat->id);
  g_autofree char *title = tg_chat_title (chat, ta->self_id);
  const char *topic = chat->topic != NULL ? chat->topic : "";

  if (title == NULL || *title == '\0')
    {
      g_free (title);
      title = g_strdup (chat->type == TG_CHAT_TYPE_MEETING ? "Meeting chat" : "Group chat");
    }

  if (node == NULL)
    {
      GHashTable *components;

      if (chat->hidden)
        return;
      components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (components, g_strdup ("id"), g_strdup (chat->id));
      g_hash_table_insert (components, g_strdup ("topic"), g_strdup (topic));
      node = purple_chat_new (ta->account, title, components);
      purple_blist_add_chat (node, ensure_group (TGP_GROUP_CHATS), NULL);
      purple_blist_node_set_string (PURPLE_BLIST_NODE (node), NODE_ALIAS_SET, title);
      purple_blist_node_set_bool (PURPLE_BLIST_NODE (node), NODE_AUTO, TRUE);
      g_hash_table_insert (index, (gpointer) chat_node_id (node), node);
      return;
    }

  /* Follow the topic; the alias only while the user has not changed it. */
  {
    GHashTable *components = purple_chat_get_components (node);
    const char *old_topic = g_hash_table_lookup (components, "topic");
    const char *alias = node->alias;
    const char *set = purple_blist_node_get_string (PURPLE_BLIST_NODE (node), NODE_ALIAS_SET);

    if (g_strcmp0 (old_topic != NULL ? old_topic : "", topic) != 0)
      {
        g_hash_table_replace (components, g_strdup ("topic"), g_strdup (topic));
        purple_blist_schedule_save ();
      }
    if (g_strcmp0 (alias, title) != 0 && (set == NULL || g_strcmp0 (alias, set) == 0))
      {
        purple_blist_alias_chat (node, title);
        purple_blist_node_set_string (PURPLE_BLIST_NODE (node), NODE_ALIAS_SET, title);
      }
  }
}

/* After the first full list: nodes of chats that went away while we were offline. */
static void
prune (TgpAccount *ta, GHashTable *listed_chats)
{
  GPtrArray *doomed = g_ptr_array_new ();
  PurpleGroup *buddies = purple_find_group (TGP_GROUP_BUDDIES);
  PurpleBlistNode *node;

  for (node = purple_blist_get_root (); node != NULL;
       node = purple_blist_node_next (node, TRUE))
    {
      if (PURPLE_BLIST_NODE_IS_CHAT (node))
        {
          const char *id;

          if (purple_chat_get_account (PURPLE_CHAT (node)) != ta->account
              || !purple_blist_node_get_bool (node, NODE_AUTO))
            continue;
          id = chat_node_id (PURPLE_CHAT (node));
          if (id != NULL && *id != '\0' && !g_hash_table_contains (listed_chats, id))
            g_ptr_array_add (doomed, node);
        }
      else if (PURPLE_BLIST_NODE_IS_BUDDY (node))
        {
          PurpleBuddy *buddy = PURPLE_BUDDY (node);

          if (purple_buddy_get_account (buddy) != ta->account
              || purple_buddy_get_group (buddy) != buddies || buddies == NULL
              || !purple_blist_node_get_bool (node, NODE_AUTO))
            continue;
          if (tgp_blist_chat_id_for_buddy (ta, purple_buddy_get_name (buddy)) == NULL)
            g_ptr_array_add (doomed, node);
        }
    }
  for (guint i = 0; i < doomed->len; i++)
    {
      node = g_ptr_array_index (doomed, i);
      if (PURPLE_BLIST_NODE_IS_CHAT (node))
        {
          purple_debug_info (DBG, "buddy list: chat %s is gone\n", chat_node_id (PURPLE_CHAT (node)));
          purple_blist_remove_chat (PURPLE_CHAT (node));
        }
      else
        {
          purple_debug_info (DBG, "buddy list: %s has no chat any more\n",
                             purple_buddy_get_name (PURPLE_BUDDY (node)));
          purple_blist_remove_buddy (PURPLE_BUDDY (node));
        }
    }
  g_ptr_array_free (doomed, TRUE);
}

void
tgp_blist_update (TgpAccount *ta, GPtrArray *changes)
{
  g_autoptr (GHashTable) index = NULL;
  gboolean initial = FALSE;

  if (tgp_account_is_closed (ta) || ta->blist == NULL || changes == NULL)
    return;
  index = index_chat_nodes (ta->account);
  for (guint i = 0; i < changes->len; i++)
    {
      const TgSyncChatChange *change = g_ptr_array_index (changes, i);
      const TgChat *chat = change->chat;

      if (chat == NULL || chat->id == NULL)
        continue;
      if (change->flags & TG_SYNC_CHAT_INITIAL)
        initial = TRUE;
      switch (chat->type)
        {
        case TG_CHAT_TYPE_ONE_ON_ONE:
          update_buddy (ta, chat);
          break;
        case TG_CHAT_TYPE_GROUP:
        case TG_CHAT_TYPE_MEETING:
          update_chat_node (ta, index, chat);
          break;
        default:
          break;
        }
    }

  if (initial && !ta->blist->pruned && tgp_sync_get (ta) != NULL)
    {
      g_autoptr (GPtrArray) all = tg_sync_get_chats (tgp_sync_get (ta));
      g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < all->len; i++)
        g_hash_table_add (listed, ((TgChat *) g_ptr_array_index (all, i))->id);
      ta->blist->pruned = TRUE;
      prune (ta, listed);
    }
}

void
tgp_blist_remove_chat (TgpAccount *ta, const char *chat_id)
{
  TgpBlist *bl;
  const char *name;

  if (tgp_account_is_closed (ta) || (bl = ta->blist) == NULL || chat_id == NULL)
    return;

  name = g_hash_table_lookup (bl->chat_to_name, chat_id);
  if (name != NULL)
    {
      PurpleBuddy *buddy = purple_find_buddy (ta->account, name);
      GHashTableIter iter;
      gpointer key, value;

      if (buddy != NULL && purple_buddy_get_group (buddy) == purple_find_group (TGP_GROUP_BUDDIES)
          && purple_blist_node_get_bool (PURPLE_BLIST_NODE (buddy), NODE_AUTO))
        purple_blist_remove_buddy (buddy);
      g_hash_table_iter_init (&iter, bl->name_to_chat);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (g_str_equal (value, chat_id))
          g_hash_table_iter_remove (&iter);
      g_hash_table_remove (bl->chat_to_name, chat_id);
      return;
    }

  {
    g_autoptr (GHashTable) index = index_chat_nodes (ta->account);
    PurpleChat *node = g_hash_table_lookup (index, chat_id);

    if (node != NULL && purple_blist_node_get_bool (PURPLE_BLIST_NODE (node), NODE_AUTO))
      purple_blist_remove_chat (node);
  }
}
