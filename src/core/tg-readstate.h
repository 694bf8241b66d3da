/* tg-readstate — the signed-in user's read marker of a chat.
 *
 * POST /chats/{id}/markChatReadForUser {"user":{"id":"<me>","tenantId":"<tid>"}} → 204: Teams
 * (and every other client of the user) then shows the chat as read.
 */
#pragma once
#include <gio/gio.h>
#include "tg-graph.h"

G_BEGIN_DECLS

/* `tenant_id` may be NULL when unknown (the member is then left out; Graph wants it, so give
 * it whenever it is known). The callback gets the graph's result: finish with
 * tg_readstate_mark_read_finish. */
void tg_readstate_mark_read_async (TgGraph *graph, const char *chat_id, const char *user_id,
                                   const char *tenant_id, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_readstate_mark_read_finish (TgGraph *graph, GAsyncResult *result, GError **error);

G_END_DECLS
