/* tg-chats — chat and message operations (see tg-chats.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-chats.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-hosted.h"
#include "core/tg-json.h"
#include "core/tg-members.h"
#include "core/tg-task.h"
#include "core/tg-url.h"
#include "core/tg-users.h"

#define PREFER_UNKNOWN_ENUMS "include-unknown-enum-members"

char *
tg_chats_path (const char *chat_id, const char *suffix)
{
  return tg_url_path ("/chats/", chat_id, suffix);
}

char *
tg_chats_message_path (const char *chat_id, const char *message_id, const char *tail)
{
  g_autofree char *suffix = tg_url_path ("/messages/", message_id, tail);

  return tg_chats_path (chat_id, suffix);
}

char *
tg_chats_relative_link (TgGraph *graph, const char *link)
{
  const char *base = tg_graph_base_url (graph);
  gsize len;

  if (link == NULL || base == NULL)
    return NULL;
  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    len--;
  if (strncmp (link, base, len) != 0 || link[len] != '/')
    return NULL;
  return g_strdup (link + len);
}

/* ------------------------------------------------------------------------------------------ */
/* list_my_joined */

typedef struct
{
  TgGraph *graph;
  TgChatType filter;
} ListJoined;

static void
list_joined_free (gpointer p)
{
  ListJoined *lj = p;

  tg_graph_unref (lj->graph);
  g_free (lj);
}

static void
on_list_joined_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  ListJoined *lj = g_task_get_task_data (task);
  JsonArray *array = tg_task_get_all_finish (task, lj->graph, result);
  GPtrArray *chats;

  if (array == NULL)
    return;
  chats = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_chat_unref);
  for (guint i = 0, n = tg_json_array_length (array); i < n; i++)
    {
      TgChat *chat = tg_chat_new_from_json (tg_json_array_object (array, i));

      if (chat == NULL)
        continue;
      if (lj->filter != TG_CHAT_TYPE_UNKNOWN && chat->type != lj->filter)
        {
          tg_chat_unref (chat);
          continue;
        }
      g_ptr_array_add (chats, chat);
    }
  json_array_unref (array);
  tg_task_done_pointer (task, chats, (GDestroyNotify) g_ptr_array_unref);
}

void
tg_chats_list_my_joined_async (TgGraph *graph, TgChatType type_filter,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  ListJoined *lj = g_new0 (ListJoined, 1);
  GTask *task = tg_task_new (tg_chats_list_my_joined_async, lj, list_joined_free, cancellable,
                             callback, user_data);
  g_autofree char *path = NULL;

  lj->graph = tg_graph_ref (graph);
  lj->filter = type_filter;
  if (type_filter != TG_CHAT_TYPE_UNKNOWN)
    path = g_strdup_printf ("/me/chats?$expand=members&$top=50&$filter=chatType%%20eq%%20'%s'",
                            tg_chat_type_to_string (type_filter));
  else
    path = g_strdup ("/me/chats?$expand=members&$top=50");
  tg_graph_get_all_async (graph, path, 0, NULL, cancellable, on_list_joined_cb, task);
}

GPtrArray *
tg_chats_list_my_joined_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* single requests whose answer is one object */

typedef struct
{
  TgGraph *graph;
  char *chat_id;
  char *me_id;
  char *recipient;
  TgUser *user;
} Op;

static void
op_free (gpointer p)
{
  Op *op = p;

  tg_graph_unref (op->graph);
  g_free (op->chat_id);
  g_free (op->me_id);
  g_free (op->recipient);
  tg_user_free (op->user);
  g_free (op);
}

static GTask *
op_task (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
         GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  Op *op = g_new0 (Op, 1);

  op->graph = tg_graph_ref (graph);
  op->chat_id = g_strdup (chat_id);
  return tg_task_new (tag, op, op_free, cancellable, callback, user_data);
}

/* Finishes a send and returns its JSON object body, or NULL after returning the error. */
static JsonNode *
op_take_node (GTask *task, GAsyncResult *result)
{
  Op *op = g_task_get_task_data (task);

  return tg_task_send_finish_object (task, op->graph, result);
}

static void
on_chat_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  g_autoptr (JsonNode) node = op_take_node (task, result);
  TgChat *chat;

  if (node == NULL)
    return;
  chat = tg_chat_new_from_json (tg_json_node_object (node));
  if (chat == NULL)
    tg_task_fail_bad_response (task, "a chat without id");
  else
    tg_task_done_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
}

void
tg_chats_get_chat_async (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data, tg_chats_get_chat_async);
  g_autofree char *path = NULL;

  if (tg_task_missing (task, "chat id", chat_id))
    return;
  path = tg_chats_path (chat_id, "?$expand=members");
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, on_chat_answer, task);
}

TgChat *
tg_chats_get_chat_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

static void
on_message_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = op_take_node (task, result);
  TgMessage *msg;

  if (node == NULL)
    return;
  msg = tg_message_new_from_json (tg_json_node_object (node), op->chat_id);
  if (msg == NULL)
    tg_task_fail_bad_response (task, "a message without id");
  else
    tg_task_done_pointer (task, msg, (GDestroyNotify) tg_message_unref);
}

void
tg_chats_get_message_async (TgGraph *graph, const char *chat_id, const char *message_id,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data,
                         tg_chats_get_message_async);
  g_autofree char *path = NULL;
  TgCall *call;

  if (tg_task_missing (task, "chat id", chat_id) || tg_task_missing (task, "message id", message_id))
    return;
  path = tg_chats_message_path (chat_id, message_id, NULL);
  call = tg_call_new ("GET", path);
  tg_call_add_header (call, "Prefer", PREFER_UNKNOWN_ENUMS);
  tg_graph_send_async (graph, call, cancellable, on_message_answer, task);
}

TgMessage *
tg_chats_get_message_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

JsonNode *
tg_chats_message_body (const char *content, gboolean is_html, JsonArray *mentions)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gboolean has_mentions = mentions != NULL && json_array_get_length (mentions) > 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "body");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "contentType");
  json_builder_add_string_value (b, is_html || has_mentions ? "html" : "text");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, content != NULL ? content : "");
  json_builder_end_object (b);
  if (has_mentions)
    {
      JsonNode *m = json_node_alloc ();

      json_node_init_array (m, mentions);
      json_builder_set_member_name (b, "mentions");
      json_builder_add_value (b, json_node_copy (m));
      json_node_unref (m);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
tg_chats_send_message_async (TgGraph *graph, const char *chat_id, const char *content,
                             gboolean is_html, JsonArray *mentions, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  tg_chats_send_message_with_images_async (graph, chat_id, content, is_html, mentions, NULL,
                                           cancellable, callback, user_data);
}

void
tg_chats_send_message_with_images_async (TgGraph *graph, const char *chat_id,
                                         const char *content, gboolean is_html,
                                         JsonArray *mentions, GPtrArray *images,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data,
                         tg_chats_send_message_async);
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonArray) hosted = tg_hosted_images_to_json (images);
  g_autofree char *path = NULL;
  TgCall *call;

  if (tg_task_missing (task, "chat id", chat_id))
    return;
  if (content == NULL || *content == '\0')
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "Cannot send an empty message");
      return;
    }
  body = tg_chats_message_body (content, is_html || hosted != NULL, mentions);
  if (hosted != NULL)
    json_object_set_array_member (json_node_get_object (body), "hostedContents",
                                  json_array_ref (hosted));
  path = tg_chats_path (chat_id, "/messages");
  call = tg_call_new ("POST", path);
  tg_call_set_json_body (call, body);
  tg_graph_send_async (graph, call, cancellable, on_message_answer, task);
}

TgMessage *
tg_chats_send_message_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* list_messages */

typedef struct
{
  TgGraph *graph;
  char *chat_id;
  gboolean include_system;
  char *next_link;
} ListMessages;

static void
list_messages_free (gpointer p)
{
  ListMessages *lm = p;

  tg_graph_unref (lm->graph);
  g_free (lm->chat_id);
  g_free (lm->next_link);
  g_free (lm);
}

static int
compare_created (gconstpointer a, gconstpointer b)
{
  const TgMessage *x = *(TgMessage *const *) a, *y = *(TgMessage *const *) b;

  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  return g_strcmp0 (x->id, y->id);
}

static void
on_list_messages (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  ListMessages *lm = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  JsonObject *obj;
  JsonArray *value;
  GPtrArray *msgs;
  const char *next;

  if (!tg_task_send_finish (task, lm->graph, result, &node))
    return;
  obj = tg_json_node_object (node);
  value = tg_json_array (obj, "value");
  if (value == NULL)
    {
      tg_task_fail_bad_response (task, "not a collection (no value array)");
      return;
    }
  msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_message_unref);
  for (guint i = 0, n = tg_json_array_length (value); i < n; i++)
    {
      TgMessage *msg = tg_message_new_from_json (tg_json_array_object (value, i), lm->chat_id);

      if (msg == NULL)
        continue;
      if (msg->type == TG_MESSAGE_TYPE_TYPING || (!lm->include_system && tg_message_is_system (msg)))
        {
          tg_message_unref (msg);
          continue;
        }
      g_ptr_array_add (msgs, msg);
    }
  g_ptr_array_sort (msgs, compare_created);
  next = tg_json_string (obj, "@odata.nextLink");
  lm->next_link = next != NULL && *next != '\0' ? g_strdup (next) : NULL;
  tg_task_done_pointer (task, msgs, (GDestroyNotify) g_ptr_array_unref);
}

void
tg_chats_list_messages_async (TgGraph *graph, const char *chat_id, const char *next_link,
                              guint top, gboolean include_system, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  ListMessages *lm = g_new0 (ListMessages, 1);
  GTask *task = tg_task_new (tg_chats_list_messages_async, lm, list_messages_free, cancellable,
                             callback, user_data);
  g_autofree char *path = NULL;
  TgCall *call;

  lm->graph = tg_graph_ref (graph);
  lm->chat_id = g_strdup (chat_id);
  lm->include_system = include_system;
  if (tg_task_missing (task, "chat id", chat_id))
    return;
  if (next_link != NULL && *next_link != '\0')
    path = g_strdup (next_link);
  else
    {
      g_autofree char *suffix = NULL;

      if (top == 0)
        top = 20;
      suffix = g_strdup_printf ("/messages?$top=%u&$orderby=createdDateTime%%20desc", MIN (top, 50));
      path = tg_chats_path (chat_id, suffix);
    }
  call = tg_call_new ("GET", path);
  tg_call_add_header (call, "Prefer", PREFER_UNKNOWN_ENUMS);
  tg_graph_send_async (graph, call, cancellable, on_list_messages, task);
}

GPtrArray *
tg_chats_list_messages_finish (TgGraph *graph, GAsyncResult *result, char **next_link_out,
                               GError **error)
{
  GPtrArray *msgs = tg_task_finish_pointer (result, error);

  if (next_link_out != NULL)
    {
      ListMessages *lm = g_task_get_task_data (G_TASK (result));

      *next_link_out = msgs != NULL ? g_steal_pointer (&lm->next_link) : NULL;
    }
  return msgs;
}

/* ------------------------------------------------------------------------------------------ */
/* create_one_on_one */

static void
on_chat_created (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = op_take_node (task, result);
  TgChat *chat;

  if (node == NULL)
    return;
  chat = tg_chat_new_from_json (tg_json_node_object (node));
  if (chat == NULL)
    {
      tg_task_fail_bad_response (task, "the new chat has no id");
      return;
    }
  /* Never hand out some other chat as "the chat with X": the answer must be a one-on-one chat
   * and, when it names its members, must include the recipient. */
  if (chat->type != TG_CHAT_TYPE_ONE_ON_ONE ||
      (chat->members_known && chat->members->len > 0 &&
       tg_chat_find_member (chat, op->user->id) == NULL))
    {
      tg_chat_unref (chat);
      tg_task_fail_bad_response (task, "the created chat is not a one-on-one chat with the recipient");
      return;
    }
  tg_task_done_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
}

static void
post_one_on_one (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  TgCall *call;

  if (tg_id_equal (op->user->id, op->me_id))
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "There is no one-on-one chat with yourself (%s)",
                        op->recipient);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "chatType");
  json_builder_add_string_value (b, "oneOnOne");
  json_builder_set_member_name (b, "members");
  json_builder_begin_array (b);
  /* Both people own a one-on-one chat (its members are fixed anyway). */
  tg_members_build_member (b, op->me_id, tg_members_roles_for (NULL, TRUE), NULL);
  tg_members_build_member (b, op->user->id, tg_members_roles_for (NULL, TRUE), NULL);
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = tg_call_new ("POST", "/chats");
  tg_call_set_json_body (call, body);
  tg_graph_send_async (op->graph, call, g_task_get_cancellable (task), on_chat_created, task);
}

static void
on_recipient (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;

  op->user = tg_users_get_finish (op->graph, result, &error);
  if (op->user == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  post_one_on_one (task);
}

/* The recipient as a directory user (id, UPN, or a mail alias through the mail filter). */
static void
resolve_recipient (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  tg_users_get_async (op->graph, op->recipient, g_task_get_cancellable (task), on_recipient, task);
}

static void
on_me (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = op_take_node (task, result);
  const char *id;

  if (node == NULL)
    return;
  id = tg_json_string (tg_json_node_object (node), "id");
  if (id == NULL)
    {
      tg_task_fail_bad_response (task, "/me has no id");
      return;
    }
  op->me_id = g_strdup (id);
  resolve_recipient (task);
}

void
tg_chats_create_one_on_one_async (TgGraph *graph, const char *me_id, const char *recipient,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  GTask *task = op_task (graph, NULL, cancellable, callback, user_data,
                         tg_chats_create_one_on_one_async);
  Op *op = g_task_get_task_data (task);

  op->recipient = g_strstrip (g_strdup (recipient != NULL ? recipient : ""));
  if (tg_task_missing (task, "user", op->recipient))
    return;
  if (me_id != NULL && *me_id != '\0')
    {
      op->me_id = g_strdup (me_id);
      resolve_recipient (task);
    }
  else
    tg_graph_send_async (graph, tg_call_new ("GET", "/me?$select=id,userPrincipalName,mail"),
                         cancellable, on_me, task);
}

TgChat *
tg_chats_create_one_on_one_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* update_group_chat_topic */

/* The task's pointer result when Graph answered success without a chat body. */
static char no_chat_body;

static void
on_topic_updated (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  TgChat *chat;

  if (!tg_task_send_finish (task, op->graph, result, &node))
    return;
  /* 200 + the chat (Graph), or an empty 2xx: both are success. */
  chat = tg_chat_new_from_json (tg_json_node_object (node));
  if (chat != NULL)
    tg_task_done_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
  else
    tg_task_done_pointer (task, &no_chat_body, NULL);
}

void
tg_chats_update_topic_async (TgGraph *graph, const char *chat_id, const char *topic,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data,
                         tg_chats_update_topic_async);
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  TgCall *call;

  if (tg_task_missing (task, "chat id", chat_id))
    return;
  if (topic == NULL)
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "No topic given");
      return;
    }
  body = tg_json_new_string_object ("topic", topic);
  path = tg_chats_path (chat_id, "");
  call = tg_call_new ("PATCH", path);
  tg_call_set_json_body (call, body);
  tg_graph_send_async (graph, call, cancellable, on_topic_updated, task);
}

gboolean
tg_chats_update_topic_finish (TgGraph *graph, GAsyncResult *result, TgChat **chat_out,
                              GError **error)
{
  gpointer p;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  if (chat_out != NULL)
    *chat_out = NULL;
  p = g_task_propagate_pointer (G_TASK (result), error);
  if (p == NULL)
    return FALSE;
  if (p == &no_chat_body)
    return TRUE;
  if (chat_out != NULL)
    *chat_out = p;
  else
    tg_chat_unref (p);
  return TRUE;
}
