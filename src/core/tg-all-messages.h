/* tg-all-messages — the seed's list_all_messages: recent messages across all of the user's
 * chats, through GET /users/{id}/chats/getAllMessages.
 *
 * That endpoint is for applications only: it needs the Chat.Read.All or Chat.ReadWrite.All
 * *application* permission (admin consent) and is a metered API (model=A / model=B);
 * a delegated (signed-in user) token always gets 403, reported as TG_ERROR_FORBIDDEN with
 * Graph's message, once — the caller explains it (there is nothing to retry).
 */
#pragma once
#include <gio/gio.h>

#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

#define TG_ALL_MESSAGES_PAGE 50     /* $top per page */

/* Messages last modified after `since` and before `until` (µs; 0 = no bound), at most `top`
 * (0 = 50), following @odata.nextLink: GET /users/{user_id}/chats/getAllMessages?$top=N
 * &$filter=lastModifiedDateTime gt A and lastModifiedDateTime lt B. System events are kept (as
 * the seed's list_all_messages does), typing indicators dropped. Result: GPtrArray of
 * TgMessage*, newest first (g_ptr_array_unref). */
void tg_all_messages_list_async (TgGraph *graph, const char *user_id, gint64 since,
                                 gint64 until, guint top, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *tg_all_messages_list_finish (TgGraph *graph, GAsyncResult *result, GError **error);

G_END_DECLS
