/* tg-members — group chat membership: create a group chat, add, remove and list members, leave
 * (the seed's create_group_chat, add_member_to_group_chat, remove_member_from_group_chat,
 * list_group_chat_members).
 *
 * People are named as users type them and resolved through tg-refs. Roles follow Graph's
 * conversationMember documentation, not the seed (which made everyone an owner): the creator
 * is the owner; an in-tenant guest gets "guest"; everyone else is a basic member, which Graph
 * spells as an empty roles list. Members are removed by their membership id, looked up from
 * GET /chats/{id}/members — never by their user id (the seed's 404).
 */
#pragma once
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tg-graph.h"
#include "tg-model.h"
#include "tg-refs.h"

G_BEGIN_DECLS

/* Graph's "all history" value of visibleHistoryStartDateTime. */
#define TG_MEMBERS_ALL_HISTORY "0001-01-01T00:00:00Z"

/* The roles to send for `user` joining a chat: "owner" for the chat's creator, "guest" for a
 * guest user (userType Guest), none for a basic member. Static, NULL-terminated. */
const char *const *tg_members_roles_for (const TgUser *user, gboolean creator);

/* Adds one aadUserConversationMember object for `user_id` to `b` (inside an array):
 * @odata.type, roles, user@odata.bind (Graph's own absolute users URL), and
 * visibleHistoryStartDateTime when `visible_history` is non-NULL. */
void tg_members_build_member (JsonBuilder *b, const char *user_id, const char *const *roles,
                              const char *visible_history);

/* create_group_chat: resolves every ref of `members` (NULL-terminated; the caller `me_id` is
 * included whether or not it is listed, duplicates dropped), then POST /chats {chatType group,
 * topic (when non-empty), members}. Needs at least one other person. Result: the new TgChat. */
void tg_members_create_group_chat_async (TgRefs *refs, const char *me_id,
                                         const char *const *members, const char *topic,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
TgChat *tg_members_create_group_chat_finish (GAsyncResult *result, GError **error);

/* GET /chats/{id}/members (every page). Result: GPtrArray of TgMember*. */
void tg_members_list_async (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *tg_members_list_finish (GAsyncResult *result, GError **error);

/* Resolves `user_ref`, then POST /chats/{id}/members as a basic member (or guest) with the
 * whole history shared. Result: the user added (TgUser, tg_user_free). */
void tg_members_add_async (TgRefs *refs, const char *chat_id, const char *user_ref,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
TgUser *tg_members_add_finish (GAsyncResult *result, GError **error);

/* Looks `user_ref` (user id, e-mail or UPN) up among the chat's members — through tg-refs when
 * it names nobody directly — then DELETE /chats/{id}/members/{membership id}. Not a member →
 * TG_ERROR_NOT_FOUND. Result: the member removed (tg_member_free). */
void tg_members_remove_async (TgRefs *refs, const char *chat_id, const char *user_ref,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
TgMember *tg_members_remove_finish (GAsyncResult *result, GError **error);

/* Leaves the chat for good: removes the member whose user id is `me_id`. */
void tg_members_leave_async (TgRefs *refs, const char *chat_id, const char *me_id,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
gboolean tg_members_leave_finish (GAsyncResult *result, GError **error);

G_END_DECLS
