/* tg-all-messages — messages across all chats (see tg-all-messages.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-all-messages.h"

#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-task.h"

static int
newest_first (gconstpointer a, gconstpointer b)
{
  const TgMessage *x = *(TgMessage *const *) a, *y = *(TgMessage *const *) b;

  if (x->created != y->created)
    return x->created > y->created ? -1 : 1;
  return g_strcmp0 (y->id, x->id);
}

static void
on_all_messages (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  JsonArray *array = tg_task_get_all_finish (task, g_task_get_task_data (task), result);
  GPtrArray *msgs;

  if (array == NULL)
    return;
  msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_message_unref);
  for (guint i = 0, n = tg_json_array_length (array); i < n; i++)
    {
      TgMessage *msg = tg_message_new_from_json (tg_json_array_object (array, i), NULL);

      if (msg == NULL)
        continue;
      if (msg->type == TG_MESSAGE_TYPE_TYPING)
        {
          tg_message_unref (msg);
          continue;
        }
      g_ptr_array_add (msgs, msg);
    }
  json_array_unref (array);
  g_ptr_array_sort (msgs, newest_first);
  tg_task_done_pointer (task, msgs, (GDestroyNotify) g_ptr_array_unref);
}

void
tg_all_messages_list_async (TgGraph *graph, const char *user_id, gint64 since, gint64 until,
                            guint top, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  static const char *const headers[] = { "Prefer", "include-unknown-enum-members", NULL };
  GTask *task = tg_task_new_for_graph (graph, tg_all_messages_list_async, cancellable, callback,
                                       user_data);
  g_autoptr (GString) path = g_string_new ("/users/");
  g_autoptr (GString) filter = g_string_new (NULL);
  g_autofree char *escaped_user = NULL;

  if (tg_task_missing (task, "user id", user_id))
    return;
  if (since > 0 && until > 0 && since >= until)
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST,
                        "The start of the time range is not before its end");
      return;
    }
  if (top == 0)
    top = TG_ALL_MESSAGES_PAGE;
  escaped_user = g_uri_escape_string (user_id, NULL, TRUE);
  g_string_append_printf (path, "%s/chats/getAllMessages?$top=%u", escaped_user,
                          MIN (top, TG_ALL_MESSAGES_PAGE));
  /* Graph filters getAllMessages on lastModifiedDateTime with gt / lt only. */
  if (since > 0)
    {
      g_autofree char *t = tg_time_format (since);

      g_string_append_printf (filter, "lastModifiedDateTime gt %s", t);
    }
  if (until > 0)
    {
      g_autofree char *t = tg_time_format (until);

      g_string_append_printf (filter, "%slastModifiedDateTime lt %s", filter->len > 0 ? " and " : "",
                              t);
    }
  if (filter->len > 0)
    {
      g_autofree char *escaped = g_uri_escape_string (filter->str, NULL, TRUE);

      g_string_append_printf (path, "&$filter=%s", escaped);
    }
  tg_graph_get_all_async (graph, path->str, top, headers, cancellable, on_all_messages, task);
}

GPtrArray *
tg_all_messages_list_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}
