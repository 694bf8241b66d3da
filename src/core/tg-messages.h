/* tg-messages — operations on one message of a chat: soft delete, edit, reactions and pins
 * (the seed's delete_message, pin_message, unpin_message, list_pinned_messages, plus edit and
 * react).
 *
 * GIO async style, errors in TG_ERROR. Graph answers most of these with 204 and no body, so
 * the finish functions return a gboolean. Pins have their own ids (pinnedChatMessageInfo), not
 * the message's: tg_messages_unpin_async takes the MESSAGE id and looks the pin up itself, so
 * callers never send a message id where a pin id belongs (the seed's fault).
 */
#pragma once
#include <gio/gio.h>

#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

/* POST /users/{me_id}/chats/{c}/messages/{m}/softDelete → 204. Graph allows it on own messages
 * only: its 403 becomes TG_ERROR_FORBIDDEN "You can only delete your own messages". */
void tg_messages_soft_delete_async (TgGraph *graph, const char *me_id, const char *chat_id,
                                    const char *message_id, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_messages_soft_delete_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* PATCH /chats/{c}/messages/{m} {"body": {contentType, content}} → 204 (own messages only: 403
 * becomes TG_ERROR_FORBIDDEN "You can only edit your own messages"). Graph returns no body, so
 * the new etag is not known here (GET the message for it). */
void tg_messages_edit_async (TgGraph *graph, const char *chat_id, const char *message_id,
                             const char *content, gboolean is_html, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_messages_edit_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* POST /chats/{c}/messages/{m}/setReaction {"reactionType": reaction} → 204. `reaction` is a
 * Unicode emoji ("👍") or one of Graph's names ("like", "heart"…). */
void tg_messages_set_reaction_async (TgGraph *graph, const char *chat_id, const char *message_id,
                                     const char *reaction, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_messages_set_reaction_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* ---- pins ---- */

typedef struct {
  char *id;               /* the pinnedChatMessageInfo id (for DELETE …/pinnedMessages/{id}) */
  TgMessage *message;     /* the pinned message ($expand=message); NULL when Graph left it out */
} TgPinnedMessage;

void tg_pinned_message_free (TgPinnedMessage *pin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPinnedMessage, tg_pinned_message_free)

/* GET /chats/{c}/pinnedMessages?$expand=message, every page. Result: GPtrArray of
 * TgPinnedMessage* (free with g_ptr_array_unref), in Graph's order. */
void tg_messages_list_pinned_async (TgGraph *graph, const char *chat_id,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
GPtrArray *tg_messages_list_pinned_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* POST /chats/{c}/pinnedMessages {"message@odata.bind": "https://graph.microsoft.com/v1.0/chats/
 * {c}/messages/{m}"} → 201. *pin_id_out (may be NULL) gets the new pin's id (NULL when Graph
 * returned none). */
void tg_messages_pin_async (TgGraph *graph, const char *chat_id, const char *message_id,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
gboolean tg_messages_pin_finish (TgGraph *graph, GAsyncResult *result, char **pin_id_out,
                                 GError **error);

/* Unpins MESSAGE `message_id`: lists the pins (as above), then DELETE
 * /chats/{c}/pinnedMessages/{pin id of that message} → 204. A message that is not pinned →
 * TG_ERROR_NOT_FOUND "That message is not pinned" (and no DELETE). */
void tg_messages_unpin_async (TgGraph *graph, const char *chat_id, const char *message_id,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
gboolean tg_messages_unpin_finish (TgGraph *graph, GAsyncResult *result, GError **error);

G_END_DECLS
