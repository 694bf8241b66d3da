/* tg-chats — chat and message operations of the seed's ChatsService (the part the sync engine
 * and the conversation windows need): list joined chats, get a chat, create a one-on-one chat,
 * list / get / send messages.
 *
 * GIO async style, one call = one Graph operation (plus paging where said). Results are
 * tg-model structs; errors are TG_ERROR (tg-error.h). Message reads send
 * `Prefer: include-unknown-enum-members` so that system events keep their real type.
 */
#pragma once
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

/* GET /me/chats?$expand=members&$top=50, every page. `type_filter` TG_CHAT_TYPE_UNKNOWN = all
 * chats, else only that type. Result: GPtrArray of TgChat* (owns them; g_ptr_array_unref). */
void tg_chats_list_my_joined_async (TgGraph *graph, TgChatType type_filter,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
GPtrArray *tg_chats_list_my_joined_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* GET /chats/{id}?$expand=members → TgChat (tg_chat_unref). */
void tg_chats_get_chat_async (TgGraph *graph, const char *chat_id, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
TgChat *tg_chats_get_chat_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* The one-on-one chat between me and `recipient` (AAD user id or e-mail/UPN): resolves the
 * recipient to a user (GET /users/{ref}, falling back to a mail filter for aliases), refuses
 * oneself (TG_ERROR_BAD_REQUEST: there is no one-on-one chat with yourself — never some
 * arbitrary chat), then POST /chats with both users as owners; Graph returns the existing chat
 * when there is one. `me_id` is the signed-in user's AAD id (NULL: looked up with GET /me).
 * The result is checked to be a one-on-one chat (TG_ERROR_BAD_RESPONSE otherwise). */
void tg_chats_create_one_on_one_async (TgGraph *graph, const char *me_id, const char *recipient,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data);
TgChat *tg_chats_create_one_on_one_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* One page of a chat's history, newest page first: `next_link` NULL for the newest `top`
 * messages (GET /chats/{id}/messages?$top=N&$orderby=createdDateTime desc; top 0 = 20, capped
 * at 50), or a link returned by an earlier call for the page before it. The page's messages
 * come back OLDEST FIRST (display order). System events are dropped unless
 * `include_system`. Result: GPtrArray of TgMessage*; *next_link_out (may be NULL) gets the link
 * to the older page, or NULL at the beginning of the chat. */
void tg_chats_list_messages_async (TgGraph *graph, const char *chat_id, const char *next_link,
                                   guint top, gboolean include_system,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
GPtrArray *tg_chats_list_messages_finish (TgGraph *graph, GAsyncResult *result,
                                          char **next_link_out, GError **error);

/* GET /chats/{id}/messages/{mid} → TgMessage (tg_message_unref). */
void tg_chats_get_message_async (TgGraph *graph, const char *chat_id, const char *message_id,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
TgMessage *tg_chats_get_message_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* POST /chats/{id}/messages with body {contentType: html|text, content} and, when non-NULL and
 * non-empty, `mentions` (Graph's mention objects, copied as they are; content must then be
 * html with matching <at id="N"> tags). The result is the created message (hand it to
 * tg_sync_note_sent so that the poller does not deliver it again). */
void tg_chats_send_message_async (TgGraph *graph, const char *chat_id, const char *content,
                                  gboolean is_html, JsonArray *mentions,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
/* The same with inline images (TgHostedImage*, tg-hosted.h; NULL or empty = none), sent as
 * hostedContents[]: `content` refers to each as <img src="../hostedContents/{temporaryId}/$value">
 * (tg_hosted_image_src) and is sent as html. Finish with tg_chats_send_message_finish. */
void tg_chats_send_message_with_images_async (TgGraph *graph, const char *chat_id,
                                              const char *content, gboolean is_html,
                                              JsonArray *mentions, GPtrArray *images,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
TgMessage *tg_chats_send_message_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* The JSON body of a message post or edit: {"body": {"contentType": html|text, "content"},
 * "mentions": [...] (only when non-empty; forces html)}. Newly allocated. */
JsonNode *tg_chats_message_body (const char *content, gboolean is_html, JsonArray *mentions);

/* Helpers shared with the sync engine. */
/* "/chats/<escaped id>" + suffix (newly allocated). */
char *tg_chats_path (const char *chat_id, const char *suffix);
/* "/chats/<escaped id>/messages/<escaped message id>" + tail (may be NULL; newly allocated). */
char *tg_chats_message_path (const char *chat_id, const char *message_id, const char *tail);
/* A nextLink made relative to the graph's base URL (for $batch), or NULL when it is not under
 * the base URL. */
char *tg_chats_relative_link (TgGraph *graph, const char *link);

/* ---- update_group_chat_topic ---- */
/* PATCH /chats/{id} {"topic": topic} (group chats only; Graph refuses more than 250 characters
 * and ':' with TG_ERROR_BAD_REQUEST). On success *chat_out (may be NULL) gets the updated chat
 * Graph returned, or NULL when it returned no body. */
void tg_chats_update_topic_async (TgGraph *graph, const char *chat_id, const char *topic,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean tg_chats_update_topic_finish (TgGraph *graph, GAsyncResult *result, TgChat **chat_out,
                                       GError **error);

G_END_DECLS
