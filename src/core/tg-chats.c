/* tg-chats — chat and message operations (see tg-chats.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-chats.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-hosted.h"
#include "core/tg-json.h"
#include "core/tg-members.h"
#include "core/tg-users.h"

#define PREFER_UNKNOWN_ENUMS "include-unknown-enum-members"

char *
tg_chats_path (const char *chat_id, const char *suffix)
{
  g_autofree char *escaped =
    g_uri_escape_string (chat_id != NULL ? chat_id : "", G_URI_RESERVED_CHARS_ALLOWED_IN_PATH_ELEMENT, TRUE);

  return g_strconcat ("/chats/", escaped, suffix, NULL);
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

static gboolean
bad_id (const char *what, const char *value, GTask *task)
{
  if (value != NULL && *value != '\0')
    return FALSE;
  g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_REQUEST, "No %s given", what);
  g_object_unref (task);
  return TRUE;
}

static GError *
bad_response (const char *what)
{
  return g_error_new (TG_ERROR, TG_ERROR_BAD_RESPONSE, "Bad response: %s", what);
}

/* ------------------------------------------------------------------------------------------ */
/* list_my_joined */

/* Tasks here have no source object (TgGraph is not a GObject): the graph travels in the data. */
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
  GError *error = NULL;
  JsonArray *array = tg_graph_get_all_finish (lj->graph, result, &error);
  GPtrArray *chats;

  if (array == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
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
  g_task_return_pointer (task, chats, (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

void
tg_chats_list_my_joined_async (TgGraph *graph, TgChatType type_filter,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  ListJoined *lj = g_new0 (ListJoined, 1);
  g_autofree char *path = NULL;

  g_task_set_source_tag (task, tg_chats_list_my_joined_async);
  lj->graph = tg_graph_ref (graph);
  lj->filter = type_filter;
  g_task_set_task_data (task, lj, list_joined_free);
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
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  g_task_set_source_tag (task, tag);
  op->graph = tg_graph_ref (graph);
  op->chat_id = g_strdup (chat_id);
  g_task_set_task_data (task, op, op_free);
  return task;
}

/* Finishes a send and returns its JSON object body, or NULL after returning the error. */
static JsonNode *
op_take_node (GTask *task, GAsyncResult *result)
{
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  JsonNode *node = tg_graph_send_finish (op->graph, result, NULL, &error);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return NULL;
    }
  if (tg_json_node_object (node) == NULL)
    {
      if (node != NULL)
        json_node_unref (node);
      g_task_return_error (task, bad_response ("expected a JSON object"));
      g_object_unref (task);
      return NULL;
    }
  return node;
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
    g_task_return_error (task, bad_response ("a chat without id"));
  else
    g_task_return_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
  g_object_unref (task);
}

void
tg_chats_get_chat_async (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data, tg_chats_get_chat_async);
  g_autofree char *path = NULL;

  if (bad_id ("chat id", chat_id, task))
    return;
  path = tg_chats_path (chat_id, "?$expand=members");
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, on_chat_answer, task);
}

TgChat *
tg_chats_get_chat_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
    g_task_return_error (task, bad_response ("a message without id"));
  else
    g_task_return_pointer (task, msg, (GDestroyNotify) tg_message_unref);
  g_object_unref (task);
}

void
tg_chats_get_message_async (TgGraph *graph, const char *chat_id, const char *message_id,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data,
                         tg_chats_get_message_async);
  g_autofree char *suffix = NULL, *escaped = NULL, *path = NULL;
  TgCall *call;

  if (bad_id ("chat id", chat_id, task) || bad_id ("message id", message_id, task))
    return;
  escaped = g_uri_escape_string (message_id, G_URI_RESERVED_CHARS_ALLOWED_IN_PATH_ELEMENT, TRUE);
  suffix = g_strconcat ("/messages/", escaped, NULL);
  path = tg_chats_path (chat_id, suffix);
  call = tg_call_new ("GET", path);
  tg_call_add_header (call, "Prefer", PREFER_UNKNOWN_ENUMS);
  tg_graph_send_async (graph, call, cancellable, on_message_answer, task);
}

TgMessage *
tg_chats_get_message_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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

  if (bad_id ("chat id", chat_id, task))
    return;
  if (content == NULL || *content == '\0')
    {
      g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_REQUEST, "Cannot send an empty message");
      g_object_unref (task);
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
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (lm->graph, result, NULL, &error);
  JsonObject *obj;
  JsonArray *value;
  GPtrArray *msgs;
  const char *next;

  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  obj = tg_json_node_object (node);
  value = tg_json_array (obj, "value");
  if (value == NULL)
    {
      g_task_return_error (task, bad_response ("not a collection (no value array)"));
      g_object_unref (task);
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
  g_task_return_pointer (task, msgs, (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

void
tg_chats_list_messages_async (TgGraph *graph, const char *chat_id, const char *next_link,
                              guint top, gboolean include_system, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  ListMessages *lm = g_new0 (ListMessages, 1);
  g_autofree char *path = NULL;
  TgCall *call;

  g_task_set_source_tag (task, tg_chats_list_messages_async);
  lm->graph = tg_graph_ref (graph);
  lm->chat_id = g_strdup (chat_id);
  lm->include_system = include_system;
  g_task_set_task_data (task, lm, list_messages_free);
  if (bad_id ("chat id", chat_id, task))
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
  GPtrArray *msgs;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  msgs = g_task_propagate_pointer (G_TASK (result), error);
  if (next_link_out != NULL)
    {
      ListMessages *lm = g_task_get_task_data (G_TASK (result));

      *next_link_out = msgs != NULL ? g_steal_pointer (&lm->next_link) : NULL;
    }
  return msgs;
}

/* ------------------------------------------------------------------------------------------ */
/* create_one_on_one */

static gboolean
same_id (const char *a, const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

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
      g_task_return_error (task, bad_response ("the new chat has no id"));
      g_object_unref (task);
      return;
    }
  /* Never hand out some other chat as "the chat with X": the answer must be a one-on-one chat
   * and, when it names its members, must include the recipient. */
  if (chat->type != TG_CHAT_TYPE_ONE_ON_ONE ||
      (chat->members_known && chat->members->len > 0 &&
       tg_chat_find_member (chat, op->user->id) == NULL))
    {
      tg_chat_unref (chat);
      g_task_return_error (task, bad_response ("the created chat is not a one-on-one chat with the recipient"));
      g_object_unref (task);
      return;
    }
  g_task_return_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
  g_object_unref (task);
}

static void
post_one_on_one (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  TgCall *call;

  if (same_id (op->user->id, op->me_id))
    {
      g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_REQUEST,
                               "There is no one-on-one chat with yourself (%s)", op->recipient);
      g_object_unref (task);
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
      g_task_return_error (task, error);
      g_object_unref (task);
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
      g_task_return_error (task, bad_response ("/me has no id"));
      g_object_unref (task);
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

  if (bad_id ("user", recipient, task))
    return;
  op->recipient = g_strstrip (g_strdup (recipient));
  if (*op->recipient == '\0')
    {
      g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_REQUEST, "No user given");
      g_object_unref (task);
      return;
    }
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
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (op->graph, result, NULL, &error);
  TgChat *chat;

  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* 200 + the chat (Graph), or an empty 2xx: both are success. */
  chat = tg_chat_new_from_json (tg_json_node_object (node));
  if (chat != NULL)
    g_task_return_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
  else
    g_task_return_pointer (task, &no_chat_body, NULL);
  g_object_unref (task);
}

void
tg_chats_update_topic_async (TgGraph *graph, const char *chat_id, const char *topic,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task = op_task (graph, chat_id, cancellable, callback, user_data,
                         tg_chats_update_topic_async);
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  TgCall *call;

  if (bad_id ("chat id", chat_id, task))
    return;
  if (topic == NULL)
    {
      g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_REQUEST, "No topic given");
      g_object_unref (task);
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "topic");
  json_builder_add_string_value (b, topic);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
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
