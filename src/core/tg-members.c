/* tg-members — group chat membership (see tg-members.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-members.h"

#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-task.h"

/* Graph's conversationMember.roles: "owner" only for owners, "guest" for in-tenant guests, and
 * "a basic member shouldn't have any values specified". Sending ["owner"] for everyone (the
 * seed) hands every invitee the right to remove people and rename the chat. */
static const char *const ROLES_OWNER[] = { "owner", NULL };
static const char *const ROLES_GUEST[] = { "guest", NULL };
static const char *const ROLES_MEMBER[] = { NULL };

const char *const *
tg_members_roles_for (const TgUser *user, gboolean creator)
{
  if (creator)
    return ROLES_OWNER;
  if (user != NULL && user->user_type != NULL && g_ascii_strcasecmp (user->user_type, "Guest") == 0)
    return ROLES_GUEST;
  return ROLES_MEMBER;
}

void
tg_members_build_member (JsonBuilder *b, const char *user_id, const char *const *roles,
                         const char *visible_history)
{
  g_autofree char *bind = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "@odata.type");
  json_builder_add_string_value (b, "#microsoft.graph.aadUserConversationMember");
  json_builder_set_member_name (b, "roles");
  json_builder_begin_array (b);
  for (guint i = 0; roles != NULL && roles[i] != NULL; i++)
    json_builder_add_string_value (b, roles[i]);
  json_builder_end_array (b);
  /* Graph wants its own absolute users URL here, whatever our base URL is. */
  bind = g_strdup_printf ("https://graph.microsoft.com/v1.0/users('%s')", user_id);
  json_builder_set_member_name (b, "user@odata.bind");
  json_builder_add_string_value (b, bind);
  if (visible_history != NULL)
    {
      json_builder_set_member_name (b, "visibleHistoryStartDateTime");
      json_builder_add_string_value (b, visible_history);
    }
  json_builder_end_object (b);
}

/* ------------------------------------------------------------------------------------------ */
/* One operation's state (tasks have no source object: TgGraph is not a GObject)               */

typedef struct {
  TgRefs *refs;
  char *chat_id;
  char *me_id;
  char *topic;
  char **refs_left;      /* create: the refs to resolve, in order */
  guint next_ref;
  GPtrArray *users;      /* create: TgUser* resolved (me excluded) */
  char *user_ref;        /* add / remove */
  TgUser *user;          /* add / remove: the resolved user */
  TgMember *member;      /* remove: the member found */
  GPtrArray *members;    /* remove: the chat's members */
} Op;

static void
op_free (gpointer p)
{
  Op *op = p;

  tg_refs_unref (op->refs);
  g_free (op->chat_id);
  g_free (op->me_id);
  g_free (op->topic);
  g_strfreev (op->refs_left);
  if (op->users != NULL)
    g_ptr_array_unref (op->users);
  g_free (op->user_ref);
  tg_user_free (op->user);
  if (op->member != NULL)
    tg_member_free (op->member);
  if (op->members != NULL)
    g_ptr_array_unref (op->members);
  g_free (op);
}

static GTask *
op_task (TgRefs *refs, const char *chat_id, GCancellable *cancellable,
         GAsyncReadyCallback callback, gpointer user_data, gpointer tag)
{
  Op *op = g_new0 (Op, 1);

  op->refs = tg_refs_ref (refs);
  op->chat_id = g_strdup (chat_id);
  return tg_task_new (tag, op, op_free, cancellable, callback, user_data);
}

static TgGraph *
op_graph (Op *op)
{
  return tg_refs_graph (op->refs);
}

/* Finishes a send: TRUE on success (node, if asked, gets the body), else returns the error. */
static gboolean
op_send_finish (GTask *task, GAsyncResult *result, JsonNode **node_out)
{
  Op *op = g_task_get_task_data (task);

  return tg_task_send_finish (task, op_graph (op), result, node_out);
}

/* ------------------------------------------------------------------------------------------ */
/* create_group_chat                                                                           */

static void
on_group_created (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  g_autoptr (JsonNode) node = NULL;
  TgChat *chat;

  if (!op_send_finish (task, result, &node))
    return;
  chat = tg_chat_new_from_json (tg_json_node_object (node));
  if (chat == NULL || chat->type == TG_CHAT_TYPE_ONE_ON_ONE)
    {
      if (chat != NULL)
        tg_chat_unref (chat);
      tg_task_fail_bad_response (task, "the new chat is not a group chat");
    }
  else
    tg_task_done_pointer (task, chat, (GDestroyNotify) tg_chat_unref);
}

static void
post_group_chat (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  TgCall *call;

  if (op->users->len == 0)
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "A group chat needs at least one other member");
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "chatType");
  json_builder_add_string_value (b, "group");
  if (op->topic != NULL && *op->topic != '\0')
    {
      json_builder_set_member_name (b, "topic");
      json_builder_add_string_value (b, op->topic);
    }
  json_builder_set_member_name (b, "members");
  json_builder_begin_array (b);
  tg_members_build_member (b, op->me_id, tg_members_roles_for (NULL, TRUE), NULL);
  for (guint i = 0; i < op->users->len; i++)
    {
      const TgUser *u = g_ptr_array_index (op->users, i);

      tg_members_build_member (b, u->id, tg_members_roles_for (u, FALSE), NULL);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = tg_call_new ("POST", "/chats");
  tg_call_set_json_body (call, body);
  tg_graph_send_async (op_graph (op), call, g_task_get_cancellable (task), on_group_created, task);
}

static void resolve_next_member (GTask *task);

static void
on_member_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  TgUser *user = tg_refs_resolve_user_finish (op->refs, result, &error);
  gboolean dup = FALSE;

  if (user == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  for (guint i = 0; i < op->users->len && !dup; i++)
    dup = tg_id_equal (((TgUser *) g_ptr_array_index (op->users, i))->id, user->id);
  if (dup || tg_id_equal (user->id, op->me_id))
    tg_user_free (user);     /* listed twice, or the caller (who is in anyway) */
  else
    g_ptr_array_add (op->users, user);
  resolve_next_member (task);
}

static void
resolve_next_member (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  while (op->refs_left[op->next_ref] != NULL && *g_strstrip (op->refs_left[op->next_ref]) == '\0')
    op->next_ref++;
  if (op->refs_left[op->next_ref] == NULL)
    {
      post_group_chat (task);
      return;
    }
  tg_refs_resolve_user_async (op->refs, op->refs_left[op->next_ref++],
                              g_task_get_cancellable (task), on_member_resolved, task);
}

void
tg_members_create_group_chat_async (TgRefs *refs, const char *me_id, const char *const *members,
                                    const char *topic, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (refs, NULL, cancellable, callback, user_data,
                         tg_members_create_group_chat_async);
  Op *op = g_task_get_task_data (task);

  if (tg_task_missing (task, "signed-in user", me_id))
    return;
  op->me_id = g_strdup (me_id);
  op->topic = topic != NULL ? g_strstrip (g_strdup (topic)) : NULL;
  op->refs_left = g_strdupv ((char **) (members != NULL ? members : (const char *const[]) { NULL }));
  op->users = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_user_free);
  resolve_next_member (task);
}

TgChat *
tg_members_create_group_chat_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* list                                                                                        */

static GPtrArray *
members_from_json (JsonArray *array)
{
  GPtrArray *members = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_member_free);

  for (guint i = 0, n = tg_json_array_length (array); i < n; i++)
    {
      TgMember *m = tg_member_new_from_json (tg_json_array_object (array, i));

      if (m != NULL)
        g_ptr_array_add (members, m);
    }
  return members;
}

static void
on_members_listed (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  JsonArray *array = tg_task_get_all_finish (task, g_task_get_task_data (task), result);

  if (array == NULL)
    return;
  tg_task_done_pointer (task, members_from_json (array), (GDestroyNotify) g_ptr_array_unref);
  json_array_unref (array);
}

void
tg_members_list_async (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = tg_task_new_for_graph (graph, tg_members_list_async, cancellable, callback,
                                       user_data);
  g_autofree char *path = NULL;

  if (tg_task_missing (task, "chat id", chat_id))
    return;
  path = tg_chats_path (chat_id, "/members");
  tg_graph_get_all_async (graph, path, 0, NULL, cancellable, on_members_listed, task);
}

GPtrArray *
tg_members_list_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* add                                                                                         */

static void
on_member_added (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);

  if (!op_send_finish (task, result, NULL))
    return;
  tg_task_done_pointer (task, g_steal_pointer (&op->user), (GDestroyNotify) tg_user_free);
}

static void
on_invitee (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  TgCall *call;

  op->user = tg_refs_resolve_user_finish (op->refs, result, &error);
  if (op->user == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  /* The whole history is shared, as Teams offers by default when someone is added. */
  tg_members_build_member (b, op->user->id, tg_members_roles_for (op->user, FALSE),
                           TG_MEMBERS_ALL_HISTORY);
  body = json_builder_get_root (b);
  path = tg_chats_path (op->chat_id, "/members");
  call = tg_call_new ("POST", path);
  tg_call_set_json_body (call, body);
  tg_graph_send_async (op_graph (op), call, g_task_get_cancellable (task), on_member_added, task);
}

void
tg_members_add_async (TgRefs *refs, const char *chat_id, const char *user_ref,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = op_task (refs, chat_id, cancellable, callback, user_data, tg_members_add_async);

  if (tg_task_missing (task, "chat id", chat_id) || tg_task_missing (task, "user", user_ref))
    return;
  tg_refs_resolve_user_async (refs, user_ref, cancellable, on_invitee, task);
}

TgUser *
tg_members_add_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* remove / leave                                                                              */

static void
on_member_removed (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);

  if (!op_send_finish (task, result, NULL))
    return;
  tg_task_done_pointer (task, g_steal_pointer (&op->member), (GDestroyNotify) tg_member_free);
}

static void
delete_member (GTask *task, const TgMember *member)
{
  Op *op = g_task_get_task_data (task);
  g_autofree char *escaped = NULL, *suffix = NULL, *path = NULL;

  if (member->id == NULL || *member->id == '\0')
    {
      tg_task_fail_new (task, TG_ERROR_BAD_RESPONSE, "Bad response: the member %s has no membership id",
                        op->user_ref);
      return;
    }
  op->member = tg_member_copy (member);
  escaped = g_uri_escape_string (member->id, NULL, TRUE);
  suffix = g_strconcat ("/members/", escaped, NULL);
  path = tg_chats_path (op->chat_id, suffix);
  tg_graph_send_async (op_graph (op), tg_call_new ("DELETE", path), g_task_get_cancellable (task),
                       on_member_removed, task);
}

static const TgMember *
find_member (GPtrArray *members, const char *ref, const TgUser *user)
{
  for (guint i = 0; i < members->len; i++)
    {
      const TgMember *m = g_ptr_array_index (members, i);

      if (tg_member_matches (m, ref))
        return m;
      if (user != NULL && (tg_id_equal (m->user_id, user->id) || tg_member_matches (m, user->mail)
                           || tg_member_matches (m, user->user_principal_name)))
        return m;
    }
  return NULL;
}

static void
not_a_member (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  tg_task_fail_new (task, TG_ERROR_NOT_FOUND, "%s is not a member of this chat", op->user_ref);
}

static void
on_leaver_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  const TgMember *m;

  op->user = tg_refs_resolve_user_finish (op->refs, result, &error);
  if (op->user == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  m = find_member (op->members, op->user_ref, op->user);
  if (m == NULL)
    not_a_member (task);
  else
    delete_member (task, m);
}

static void
on_members_for_remove (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  const TgMember *m;

  op->members = tg_members_list_finish (result, &error);
  if (op->members == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  m = find_member (op->members, op->user_ref, tg_refs_cached_user (op->refs, op->user_ref));
  if (m != NULL)
    {
      delete_member (task, m);
      return;
    }
  /* A UPN that is not the member's e-mail, or a name typed differently: ask who it is. */
  tg_refs_resolve_user_async (op->refs, op->user_ref, g_task_get_cancellable (task),
                              on_leaver_resolved, task);
}

void
tg_members_remove_async (TgRefs *refs, const char *chat_id, const char *user_ref,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  GTask *task = op_task (refs, chat_id, cancellable, callback, user_data, tg_members_remove_async);
  Op *op = g_task_get_task_data (task);

  if (tg_task_missing (task, "chat id", chat_id) || tg_task_missing (task, "user", user_ref))
    return;
  op->user_ref = g_strstrip (g_strdup (user_ref));
  tg_members_list_async (op_graph (op), chat_id, cancellable, on_members_for_remove, task);
}

TgMember *
tg_members_remove_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

static void
on_left (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  GError *error = NULL;
  TgMember *m = tg_members_remove_finish (result, &error);

  if (m == NULL && g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
    {
      g_clear_error (&error);
      tg_task_fail_new (task, TG_ERROR_NOT_FOUND, "You are not a member of this chat");
    }
  else if (m == NULL)
    tg_task_fail (task, error);
  else
    {
      tg_member_free (m);
      tg_task_done_boolean (task);
    }
}

void
tg_members_leave_async (TgRefs *refs, const char *chat_id, const char *me_id,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task = tg_task_new (tg_members_leave_async, NULL, NULL, cancellable, callback, user_data);

  if (tg_task_missing (task, "signed-in user", me_id))
    return;
  tg_members_remove_async (refs, chat_id, me_id, cancellable, on_left, task);
}

gboolean
tg_members_leave_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}
