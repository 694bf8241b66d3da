/* tg-task — GTask plumbing shared by the core operations (see tg-task.h). */
#include "core/tg-task.h"

#include "core/tg-error.h"
#include "core/tg-json.h"

GTask *
tg_task_new (gpointer tag, gpointer data, GDestroyNotify free_data, GCancellable *cancellable,
             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  if (data != NULL)
    g_task_set_task_data (task, data, free_data);
  return task;
}

GTask *
tg_task_new_for_graph (TgGraph *graph, gpointer tag, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  return tg_task_new (tag, tg_graph_ref (graph), (GDestroyNotify) tg_graph_unref, cancellable,
                      callback, user_data);
}

void
tg_task_fail (GTask *task, GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

void
tg_task_fail_new (GTask *task, int code, const char *format, ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (TG_ERROR, code, format, args);
  va_end (args);
  tg_task_fail (task, error);
}

void
tg_task_fail_bad_response (GTask *task, const char *what)
{
  tg_task_fail_new (task, TG_ERROR_BAD_RESPONSE, "Bad response: %s", what);
}

gboolean
tg_task_missing (GTask *task, const char *what, const char *value)
{
  if (value != NULL && *value != '\0')
    return FALSE;
  tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "No %s given", what);
  return TRUE;
}

void
tg_task_done_pointer (GTask *task, gpointer result, GDestroyNotify result_destroy)
{
  g_task_return_pointer (task, result, result_destroy);
  g_object_unref (task);
}

void
tg_task_done_boolean (GTask *task)
{
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

gpointer
tg_task_finish_pointer (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
tg_task_finish_boolean (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
tg_task_send_finish (GTask *task, TgGraph *graph, GAsyncResult *result, JsonNode **node_out)
{
  GError *error = NULL;
  JsonNode *node = tg_graph_send_finish (graph, result, NULL, &error);

  if (error != NULL)
    {
      if (node != NULL)
        json_node_unref (node);
      tg_task_fail (task, error);
      return FALSE;
    }
  if (node_out != NULL)
    *node_out = node;
  else if (node != NULL)
    json_node_unref (node);
  return TRUE;
}

JsonNode *
tg_task_send_finish_object (GTask *task, TgGraph *graph, GAsyncResult *result)
{
  JsonNode *node = NULL;

  if (!tg_task_send_finish (task, graph, result, &node))
    return NULL;
  if (tg_json_node_object (node) == NULL)
    {
      if (node != NULL)
        json_node_unref (node);
      tg_task_fail_bad_response (task, "expected a JSON object");
      return NULL;
    }
  return node;
}

JsonArray *
tg_task_get_all_finish (GTask *task, TgGraph *graph, GAsyncResult *result)
{
  GError *error = NULL;
  JsonArray *array = tg_graph_get_all_finish (graph, result, &error);

  if (array == NULL)
    tg_task_fail (task, error);
  return array;
}
