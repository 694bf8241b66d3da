/* tg-refs — references as people type them, resolved to Graph objects (the seed's user_ref and
 * group_chat_ref, without their faults).
 *
 * Users: an AAD user id, a UPN, or an e-mail address that is not the UPN, looked up by
 * tg_users_get_async (tg-users.h: not found / ambiguous as it says). A TgRefs (one per account)
 * caches what it resolved, under the user's id, UPN and mail, so a second mention or invite
 * costs no request.
 *
 * Group chats: a chat id ("19:…") or a topic, matched over EVERY page of /me/chats (the seed
 * looked at the first page only): exact topic first, else case-insensitively. None →
 * TG_ERROR_NOT_FOUND naming the topic; several → TG_ERROR_AMBIGUOUS listing each candidate's id
 * and topic. One-on-one chats have no topic and never match.
 */
#pragma once
#include <gio/gio.h>

#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

typedef struct _TgRefs TgRefs;

TgRefs *tg_refs_new (TgGraph *graph);
TgRefs *tg_refs_ref (TgRefs *refs);
void tg_refs_unref (TgRefs *refs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRefs, tg_refs_unref)
TgGraph *tg_refs_graph (TgRefs *refs);

/* ---- users ---- */
/* Resolves `ref` (trimmed) to a user: from the cache of `refs` when known, else from Graph (and
 * cached). The result is a new TgUser (tg_user_free). */
void tg_refs_resolve_user_async (TgRefs *refs, const char *ref, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
TgUser *tg_refs_resolve_user_finish (TgRefs *refs, GAsyncResult *result, GError **error);
/* The cached user for `ref` (not a copy), NULL when not cached. */
const TgUser *tg_refs_cached_user (TgRefs *refs, const char *ref);
/* (Without a cache: tg_users_get_async, the look-up this builds on.) */

/* ---- group chats ---- */
gboolean tg_refs_is_chat_id (const char *ref);   /* "19:…" */
/* The group/meeting chats of `chats` (TgChat*) whose topic is `topic`: the exact matches, or
 * when there are none the case-insensitive ones. A new array of new references. */
GPtrArray *tg_refs_match_topic (GPtrArray *chats, const char *topic);
/* The error for a topic that matched `matches` (none → NOT_FOUND, several → AMBIGUOUS with every
 * candidate's id and topic), NULL when exactly one matched. */
GError *tg_refs_topic_error (const char *topic, GPtrArray *matches);
/* A chat id → GET /chats/{id}?$expand=members; a topic → every page of /me/chats, matched as
 * above. Result: TgChat (tg_chat_unref). */
void tg_refs_resolve_chat_async (TgGraph *graph, const char *ref, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
TgChat *tg_refs_resolve_chat_finish (GAsyncResult *result, GError **error);

G_END_DECLS
