/* tg-task — the GTask plumbing that every core operation shares (internal to src/core: no
 * public contract, never included from src/purple).
 *
 * Core tasks have no source object (TgGraph is not a GObject): what an operation needs travels
 * in the task data. Each helper that "returns" to a task also drops the operation's reference,
 * so a caller stops touching the task after it:
 *
 *   GTask *task = tg_task_new_for_graph (graph, tg_x_async, cancellable, callback, user_data);
 *   if (tg_task_missing (task, "chat id", chat_id))
 *     return;                                            // "No chat id given", task gone
 *   …
 *   static void on_answer (…) {
 *     g_autoptr (JsonNode) node = NULL;
 *     if (!tg_task_send_finish (task, graph, result, &node))
 *       return;                                          // the error went to the caller
 *     tg_task_done_pointer (task, thing, thing_free);
 *   }
 *   Thing *tg_x_finish (…) { return tg_task_finish_pointer (result, error); }
 */
#pragma once
#include <gio/gio.h>

#include "core/tg-graph.h"

G_BEGIN_DECLS

/* A task with `tag` as source tag and `data` (freed with `free_data`) as task data. */
GTask *tg_task_new (gpointer tag, gpointer data, GDestroyNotify free_data,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
/* The same with a reference to `graph` as the task data (g_task_get_task_data gives it back). */
GTask *tg_task_new_for_graph (TgGraph *graph, gpointer tag, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);

/* Returns `error` (taken) to the task. */
void tg_task_fail (GTask *task, GError *error);
/* Returns a new TG_ERROR `code` error to the task. */
void tg_task_fail_new (GTask *task, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);
/* Returns TG_ERROR_BAD_RESPONSE "Bad response: <what>" to the task. */
void tg_task_fail_bad_response (GTask *task, const char *what);
/* FALSE when `value` is a non-empty string; else TRUE after returning TG_ERROR_BAD_REQUEST
 * "No <what> given" to the task. */
gboolean tg_task_missing (GTask *task, const char *what, const char *value);

void tg_task_done_pointer (GTask *task, gpointer result, GDestroyNotify result_destroy);
void tg_task_done_boolean (GTask *task);

/* For the _finish functions: the task's result (with a check that it is a task). */
gpointer tg_task_finish_pointer (GAsyncResult *result, GError **error);
gboolean tg_task_finish_boolean (GAsyncResult *result, GError **error);

/* Finishes a tg_graph_send_async: TRUE on success (*node_out, when asked for, gets the body,
 * which may be NULL); FALSE after returning the error to the task. */
gboolean tg_task_send_finish (GTask *task, TgGraph *graph, GAsyncResult *result,
                              JsonNode **node_out);
/* The same for an answer that must be a JSON object: the body, or NULL after returning the
 * error (a body that is not an object is "Bad response: expected a JSON object"). */
JsonNode *tg_task_send_finish_object (GTask *task, TgGraph *graph, GAsyncResult *result);
/* Finishes a tg_graph_get_all_async: the items, or NULL after returning the error. */
JsonArray *tg_task_get_all_finish (GTask *task, TgGraph *graph, GAsyncResult *result);

G_END_DECLS
