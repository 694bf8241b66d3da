/* tg-refs — user and group chat references (see tg-refs.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-refs.h"

#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-users.h"
#include "core/tg-task.h"

struct _TgRefs {
  gatomicrefcount ref;
  TgGraph *graph;
  GHashTable *users;   /* lower-case id / UPN / mail / typed ref → TgUser* (not owned: see owned) */
  GPtrArray *owned;    /* every cached TgUser, owned here */
};

TgRefs *
tg_refs_new (TgGraph *graph)
{
  TgRefs *refs = g_new0 (TgRefs, 1);

  g_atomic_ref_count_init (&refs->ref);
  refs->graph = tg_graph_ref (graph);
  refs->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  refs->owned = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_user_free);
  return refs;
}

TgRefs *
tg_refs_ref (TgRefs *refs)
{
  g_atomic_ref_count_inc (&refs->ref);
  return refs;
}

void
tg_refs_unref (TgRefs *refs)
{
  if (refs == NULL || !g_atomic_ref_count_dec (&refs->ref))
    return;
  g_hash_table_destroy (refs->users);
  g_ptr_array_unref (refs->owned);
  tg_graph_unref (refs->graph);
  g_free (refs);
}

TgGraph *
tg_refs_graph (TgRefs *refs)
{
  return refs->graph;
}

static char *
cache_key (const char *ref)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (ref != NULL ? ref : ""));

  return g_utf8_strdown (trimmed, -1);
}

const TgUser *
tg_refs_cached_user (TgRefs *refs, const char *ref)
{
  g_autofree char *key = NULL;

  if (refs == NULL || ref == NULL)
    return NULL;
  key = cache_key (ref);
  return g_hash_table_lookup (refs->users, key);
}

static void
cache_under (TgRefs *refs, const char *name, TgUser *user)
{
  if (name != NULL && *name != '\0')
    g_hash_table_replace (refs->users, cache_key (name), user);
}

static void
cache_user (TgRefs *refs, const char *typed, const TgUser *user)
{
  TgUser *copy = tg_user_copy (user);

  g_ptr_array_add (refs->owned, copy);
  cache_under (refs, copy->id, copy);
  cache_under (refs, copy->user_principal_name, copy);
  cache_under (refs, copy->mail, copy);
  cache_under (refs, typed, copy);
}

/* ------------------------------------------------------------------------------------------ */
/* Users                                                                                       */

typedef struct {
  TgRefs *refs;
  char *ref;
} Resolve;

static void
resolve_free (gpointer p)
{
  Resolve *r = p;

  tg_refs_unref (r->refs);
  g_free (r->ref);
  g_free (r);
}

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Resolve *r = g_task_get_task_data (task);
  GError *error = NULL;
  TgUser *user = tg_users_get_finish (r->refs->graph, result, &error);

  if (user == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  cache_user (r->refs, r->ref, user);
  tg_task_done_pointer (task, user, (GDestroyNotify) tg_user_free);
}

void
tg_refs_resolve_user_async (TgRefs *refs, const char *ref, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = tg_task_new (tg_refs_resolve_user_async, NULL, NULL, cancellable, callback,
                             user_data);
  const TgUser *cached = tg_refs_cached_user (refs, ref);
  Resolve *r;

  if (cached != NULL)
    {
      tg_task_done_pointer (task, tg_user_copy (cached), (GDestroyNotify) tg_user_free);
      return;
    }
  r = g_new0 (Resolve, 1);
  r->refs = tg_refs_ref (refs);
  r->ref = g_strdup (ref);
  g_task_set_task_data (task, r, resolve_free);
  tg_users_get_async (refs->graph, ref, cancellable, on_resolved, task);
}

TgUser *
tg_refs_resolve_user_finish (TgRefs *refs, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Group chats                                                                                 */

gboolean
tg_refs_is_chat_id (const char *ref)
{
  return ref != NULL && g_str_has_prefix (ref, "19:");
}

GPtrArray *
tg_refs_match_topic (GPtrArray *chats, const char *topic)
{
  GPtrArray *exact = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_chat_unref);
  GPtrArray *loose = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_chat_unref);
  g_autofree char *folded = g_utf8_casefold (topic != NULL ? topic : "", -1);

  for (guint i = 0; chats != NULL && topic != NULL && i < chats->len; i++)
    {
      TgChat *chat = g_ptr_array_index (chats, i);
      g_autofree char *other = NULL;

      if (chat->topic == NULL || chat->type == TG_CHAT_TYPE_ONE_ON_ONE)
        continue;
      if (strcmp (chat->topic, topic) == 0)
        g_ptr_array_add (exact, tg_chat_ref (chat));
      other = g_utf8_casefold (chat->topic, -1);
      if (strcmp (other, folded) == 0)
        g_ptr_array_add (loose, tg_chat_ref (chat));
    }
  if (exact->len > 0)
    {
      g_ptr_array_unref (loose);
      return exact;
    }
  g_ptr_array_unref (exact);
  return loose;
}

GError *
tg_refs_topic_error (const char *topic, GPtrArray *matches)
{
  GString *list;
  GError *error;

  if (matches != NULL && matches->len == 1)
    return NULL;
  if (matches == NULL || matches->len == 0)
    return g_error_new (TG_ERROR, TG_ERROR_NOT_FOUND, "No Teams chat has the topic \"%s\"", topic);
  list = g_string_new (NULL);
  for (guint i = 0; i < matches->len; i++)
    {
      const TgChat *chat = g_ptr_array_index (matches, i);

      g_string_append_printf (list, "\n%s — \"%s\" (%u members)", chat->id, chat->topic,
                              chat->members->len);
    }
  error = g_error_new (TG_ERROR, TG_ERROR_AMBIGUOUS, "%u Teams chats have the topic \"%s\":%s",
                       matches->len, topic, list->str);
  g_string_free (list, TRUE);
  return error;
}

typedef struct {
  TgGraph *graph;
  char *ref;
} ChatRef;

static void
chat_ref_free (gpointer p)
{
  ChatRef *cr = p;

  tg_graph_unref (cr->graph);
  g_free (cr->ref);
  g_free (cr);
}

static void
on_chat_by_id (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  ChatRef *cr = g_task_get_task_data (task);
  GError *error = NULL;
  TgChat *chat = tg_chats_get_chat_finish (cr->graph, result, &error);

  if (chat == NULL)
    {
      if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
        {
          g_clear_error (&error);
          error = g_error_new (TG_ERROR, TG_ERROR_NOT_FOUND, "No Teams chat %s", cr->ref);
        }
      tg_task_fail (task, error);
    }
  else
    tg_task_done_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
}

static void
on_chats_for_topic (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  ChatRef *cr = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (GPtrArray) chats = tg_chats_list_my_joined_finish (cr->graph, result, &error);
  g_autoptr (GPtrArray) matches = NULL;

  if (chats == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  matches = tg_refs_match_topic (chats, cr->ref);
  error = tg_refs_topic_error (cr->ref, matches);
  if (error != NULL)
    tg_task_fail (task, error);
  else
    tg_task_done_pointer (task, tg_chat_ref (g_ptr_array_index (matches, 0)),
                          (GDestroyNotify) tg_chat_unref);
}

void
tg_refs_resolve_chat_async (TgGraph *graph, const char *ref, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  ChatRef *cr = g_new0 (ChatRef, 1);
  GTask *task = tg_task_new (tg_refs_resolve_chat_async, cr, chat_ref_free, cancellable, callback,
                             user_data);

  cr->graph = tg_graph_ref (graph);
  cr->ref = g_strstrip (g_strdup (ref != NULL ? ref : ""));
  if (tg_task_missing (task, "chat", cr->ref))
    return;
  if (tg_refs_is_chat_id (cr->ref))
    tg_chats_get_chat_async (graph, cr->ref, cancellable, on_chat_by_id, task);
  else
    tg_chats_list_my_joined_async (graph, TG_CHAT_TYPE_UNKNOWN, cancellable, on_chats_for_topic,
                                   task);
}

TgChat *
tg_refs_resolve_chat_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}
