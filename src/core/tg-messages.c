/* tg-messages — operations on one message of a chat (see tg-messages.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-messages.h"

#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-task.h"
#include "core/tg-url.h"

#define PREFER_UNKNOWN_ENUMS "include-unknown-enum-members"
/* Graph wants its own absolute URL in @odata.bind, whatever our base URL is. */
#define GRAPH_BIND_BASE "https://graph.microsoft.com/v1.0"

typedef struct
{
  TgGraph *graph;
  char *chat_id;
  char *message_id;
  const char *forbidden_text;   /* what a 403 means for this operation, or NULL */
  char *pin_id;                 /* pin: the new pin's id */
} Op;

static void
op_free (gpointer p)
{
  Op *op = p;

  tg_graph_unref (op->graph);
  g_free (op->chat_id);
  g_free (op->message_id);
  g_free (op->pin_id);
  g_free (op);
}

/* A task for one operation; NULL (and the callback already called with the error) when an id
 * is missing. */
static GTask *
op_task (TgGraph *graph, const char *chat_id, const char *message_id, gboolean needs_message,
         GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
         gpointer tag)
{
  Op *op = g_new0 (Op, 1);
  GTask *task = tg_task_new (tag, op, op_free, cancellable, callback, user_data);

  op->graph = tg_graph_ref (graph);
  op->chat_id = g_strdup (chat_id);
  op->message_id = g_strdup (message_id);
  if (tg_task_missing (task, "chat id", chat_id)
      || (needs_message && tg_task_missing (task, "message id", message_id)))
    return NULL;
  return task;
}

/* The answer of a call whose success has no body that matters (204, or 201 + object). */
static void
on_empty_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (op->graph, result, NULL, &error);

  if (error != NULL)
    {
      if (op->forbidden_text != NULL && g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN))
        {
          g_error_free (error);
          tg_task_fail_new (task, TG_ERROR_FORBIDDEN, "%s", op->forbidden_text);
        }
      else
        tg_task_fail (task, error);
      return;
    }
  if (g_task_get_source_tag (task) == tg_messages_pin_async)
    op->pin_id = g_strdup (tg_json_string (tg_json_node_object (node), "id"));
  tg_task_done_boolean (task);
}

/* ------------------------------------------------------------------------------------------ */

void
tg_messages_soft_delete_async (TgGraph *graph, const char *me_id, const char *chat_id,
                               const char *message_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, message_id, TRUE, cancellable, callback, user_data,
                         tg_messages_soft_delete_async);
  g_autofree char *chat_path = NULL, *path = NULL;
  Op *op;

  if (task == NULL)
    return;
  op = g_task_get_task_data (task);
  if (tg_task_missing (task, "user id", me_id))
    return;
  op->forbidden_text = "You can only delete your own messages";
  chat_path = tg_chats_message_path (chat_id, message_id, "/softDelete");
  path = tg_url_path ("/users/", me_id, chat_path);
  tg_graph_send_async (graph, tg_call_new ("POST", path), cancellable, on_empty_answer, task);
}

gboolean
tg_messages_soft_delete_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}

void
tg_messages_edit_async (TgGraph *graph, const char *chat_id, const char *message_id,
                        const char *content, gboolean is_html, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, message_id, TRUE, cancellable, callback, user_data,
                         tg_messages_edit_async);
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  TgCall *call;

  if (task == NULL)
    return;
  if (content == NULL || strspn (content, " \t\r\n") == strlen (content))
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "A message cannot be edited to nothing");
      return;
    }
  ((Op *) g_task_get_task_data (task))->forbidden_text = "You can only edit your own messages";
  body = tg_chats_message_body (content, is_html, NULL);
  path = tg_chats_message_path (chat_id, message_id, "");
  call = tg_call_new ("PATCH", path);
  tg_call_set_json_body (call, body);
  tg_graph_send_async (graph, call, cancellable, on_empty_answer, task);
}

gboolean
tg_messages_edit_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}

void
tg_messages_set_reaction_async (TgGraph *graph, const char *chat_id, const char *message_id,
                                const char *reaction, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, message_id, TRUE, cancellable, callback, user_data,
                         tg_messages_set_reaction_async);
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  TgCall *call;

  if (task == NULL)
    return;
  if (reaction == NULL || *reaction == '\0' || !g_utf8_validate (reaction, -1, NULL))
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "No reaction given");
      return;
    }
  body = tg_json_new_string_object ("reactionType", reaction);
  path = tg_chats_message_path (chat_id, message_id, "/setReaction");
  call = tg_call_new ("POST", path);
  tg_call_set_json_body (call, body);
  /* Setting the same reaction twice changes nothing: safe to replay. */
  tg_call_set_idempotent (call, TRUE);
  tg_graph_send_async (graph, call, cancellable, on_empty_answer, task);
}

gboolean
tg_messages_set_reaction_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* pins */

void
tg_pinned_message_free (TgPinnedMessage *pin)
{
  if (pin == NULL)
    return;
  g_free (pin->id);
  if (pin->message != NULL)
    tg_message_unref (pin->message);
  g_free (pin);
}

static GPtrArray *
parse_pins (JsonArray *array, const char *chat_id)
{
  GPtrArray *pins = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_pinned_message_free);

  for (guint i = 0, n = tg_json_array_length (array); i < n; i++)
    {
      JsonObject *obj = tg_json_array_object (array, i);
      const char *id = tg_json_string (obj, "id");
      TgPinnedMessage *pin;

      if (id == NULL || *id == '\0')
        continue;
      pin = g_new0 (TgPinnedMessage, 1);
      pin->id = g_strdup (id);
      pin->message = tg_message_new_from_json (tg_json_object (obj, "message"), chat_id);
      g_ptr_array_add (pins, pin);
    }
  return pins;
}

static void
list_pins (GTask *task, GAsyncReadyCallback cb)
{
  Op *op = g_task_get_task_data (task);
  static const char *const headers[] = { "Prefer", PREFER_UNKNOWN_ENUMS, NULL };
  g_autofree char *path = tg_chats_path (op->chat_id, "/pinnedMessages?$expand=message");

  tg_graph_get_all_async (op->graph, path, 0, headers, g_task_get_cancellable (task), cb, task);
}

/* The pins, or NULL after returning the error to the task. */
static GPtrArray *
finish_pins (GTask *task, GAsyncResult *result)
{
  Op *op = g_task_get_task_data (task);
  JsonArray *array = tg_task_get_all_finish (task, op->graph, result);
  GPtrArray *pins;

  if (array == NULL)
    return NULL;
  pins = parse_pins (array, op->chat_id);
  json_array_unref (array);
  return pins;
}

static void
on_pins_listed (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  GPtrArray *pins = finish_pins (task, result);

  if (pins == NULL)
    return;
  tg_task_done_pointer (task, pins, (GDestroyNotify) g_ptr_array_unref);
}

void
tg_messages_list_pinned_async (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, NULL, FALSE, cancellable, callback, user_data,
                         tg_messages_list_pinned_async);

  if (task != NULL)
    list_pins (task, on_pins_listed);
}

GPtrArray *
tg_messages_list_pinned_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

void
tg_messages_pin_async (TgGraph *graph, const char *chat_id, const char *message_id,
                      GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, message_id, TRUE, cancellable, callback, user_data,
                         tg_messages_pin_async);
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *bind_path = NULL, *bind = NULL, *path = NULL;
  TgCall *call;

  if (task == NULL)
    return;
  bind_path = tg_chats_message_path (chat_id, message_id, "");
  bind = g_strconcat (GRAPH_BIND_BASE, bind_path, NULL);
  body = tg_json_new_string_object ("message@odata.bind", bind);
  path = tg_chats_path (chat_id, "/pinnedMessages");
  call = tg_call_new ("POST", path);
  tg_call_set_json_body (call, body);
  tg_graph_send_async (graph, call, cancellable, on_empty_answer, task);
}

gboolean
tg_messages_pin_finish (TgGraph *graph, GAsyncResult *result, char **pin_id_out, GError **error)
{
  gboolean ok = tg_task_finish_boolean (result, error);

  if (pin_id_out != NULL)
    {
      Op *op = g_task_get_task_data (G_TASK (result));

      *pin_id_out = ok ? g_steal_pointer (&op->pin_id) : NULL;
    }
  return ok;
}

static void
on_pins_for_unpin (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  g_autoptr (GPtrArray) pins = finish_pins (task, result);
  g_autofree char *suffix = NULL, *path = NULL;
  const TgPinnedMessage *found = NULL;

  if (pins == NULL)
    return;
  for (guint i = 0; i < pins->len && found == NULL; i++)
    {
      const TgPinnedMessage *pin = g_ptr_array_index (pins, i);

      if (pin->message != NULL && g_strcmp0 (pin->message->id, op->message_id) == 0)
        found = pin;
    }
  if (found == NULL)
    {
      tg_task_fail_new (task, TG_ERROR_NOT_FOUND, "That message is not pinned");
      return;
    }
  /* The pin's own id, never the message id. */
  suffix = tg_url_path ("/pinnedMessages/", found->id, NULL);
  path = tg_chats_path (op->chat_id, suffix);
  tg_graph_send_async (op->graph, tg_call_new ("DELETE", path), g_task_get_cancellable (task),
                       on_empty_answer, task);
}

void
tg_messages_unpin_async (TgGraph *graph, const char *chat_id, const char *message_id,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, message_id, TRUE, cancellable, callback, user_data,
                         tg_messages_unpin_async);

  if (task != NULL)
    list_pins (task, on_pins_for_unpin);
}

gboolean
tg_messages_unpin_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}
