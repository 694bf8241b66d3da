/* tg-sync — the sync engine: turns polling of Microsoft Graph into a stream of chat and message
 * events, each delivered once. No libpurple here; the purple adapter implements
 * TgSyncCallbacks.
 *
 * One poll cycle (DESIGN.md "Sync without push"):
 *   1. GET /me/chats?$expand=lastMessagePreview&$orderby=lastMessagePreview/createdDateTime desc
 *      &$top=50, following nextLink only while a whole page is newer than the known state:
 *      an idle cycle is exactly one request whatever the number of chats;
 *   2. a full chat-list refresh (GET /me/chats?$expand=members, all pages) at start, when a new
 *      chat or a changed chat (lastUpdatedDateTime: rename, members) shows up, and every
 *      full_refresh_interval; its differences become chat events;
 *   3. chats whose preview moved: GET /chats/{id}/messages?$orderby=lastModifiedDateTime desc
 *      &$filter=lastModifiedDateTime gt <watermark>, up to 20 chats per $batch, paging as needed
 *      (at most one request per chat per second);
 *   4. messages de-duplicated by chat id + message id + etag and delivered per chat in creation
 *      order: new messages, edits, soft deletes, reaction changes, system events, each once.
 * Watermarks (per chat: last lastModifiedDateTime and creation time seen) are exported and
 * imported as one compact string. A chat with no stored watermark (the first sign-in, or a chat
 * never seen before) delivers only its unread messages (created after
 * viewpoint.lastMessageReadDateTime). Messages delivered while catching up after start are
 * flagged DELAYED.
 * Errors: throttling and network errors lengthen the interval (exponential backoff up to 5 min)
 * and are reported through `error`; the engine keeps polling until stopped.
 * After tg_sync_stop or tg_sync_free no callback runs.
 */
#pragma once
#include <gio/gio.h>
#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

typedef struct _TgSync TgSync;

typedef enum {
  TG_SYNC_MSG_NEW      = 1 << 0,  /* a message not delivered before */
  TG_SYNC_MSG_EDITED   = 1 << 1,  /* new text of a message (delivered before or not) */
  TG_SYNC_MSG_DELETED  = 1 << 2,  /* soft-deleted (body empty) */
  TG_SYNC_MSG_DELAYED  = 1 << 3,  /* sent while we were offline (catch-up after start) */
  TG_SYNC_MSG_OWN      = 1 << 4,  /* sent by the signed-in user from another client */
  TG_SYNC_MSG_SYSTEM   = 1 << 5,  /* a system event (members added, renamed, call…): use
                                   * tg_message_markup / tg_message_system_text */
} TgSyncMessageFlags;

typedef enum {
  TG_SYNC_CHAT_NEW      = 1 << 0,  /* not known before (includes every chat of the first list) */
  TG_SYNC_CHAT_TOPIC    = 1 << 1,  /* the topic changed */
  TG_SYNC_CHAT_MEMBERS  = 1 << 2,  /* members were added or removed */
  TG_SYNC_CHAT_INITIAL  = 1 << 3,  /* part of the first full list of this engine */
} TgSyncChatFlags;

typedef struct {
  TgChat *chat;                   /* the chat as now known (members included) */
  TgSyncChatFlags flags;
} TgSyncChatChange;

typedef struct {
  /* New or changed chats (GPtrArray of TgSyncChatChange*, owned by the engine during the call;
   * ref what you keep). The first call after start lists every chat (NEW|INITIAL). */
  void (*chats_changed) (TgSync *sync, GPtrArray *changes, gpointer user_data);
  /* A chat that is no longer among my chats (left, removed, hidden for all). */
  void (*chat_removed) (TgSync *sync, const char *chat_id, gpointer user_data);
  /* A message event; msg->chat_id is set. Per chat, calls come in creation order. */
  void (*message) (TgSync *sync, TgMessage *msg, TgSyncMessageFlags flags, gpointer user_data);
  /* The reactions of a message changed; msg->reactions holds the whole new set, `added` (never
   * NULL, borrowed TgReaction* of msg->reactions) the reactions not reported before — each
   * reaction is in `added` once, also across restarts (by the watermark); it may be empty
   * when reactions were only removed. */
  void (*reactions_changed) (TgSync *sync, TgMessage *msg, GPtrArray *added, gpointer user_data);
  /* A poll failed (throttled, offline, server, signed out…). The engine goes on with backoff;
   * the adapter decides (tg_error_is_transient) whether to disconnect. */
  void (*error) (TgSync *sync, const GError *error, gpointer user_data);
  /* The watermarks moved: store tg_sync_export_state () when convenient. May be NULL. */
  void (*state_changed) (TgSync *sync, gpointer user_data);
  /* The chats whose conversation is open (a set of chat ids; the engine unrefs it), asked once
   * every watch_every cycles; may return NULL. Must not stop or free the engine. May be NULL. */
  GHashTable *(*open_chats) (TgSync *sync, gpointer user_data);
} TgSyncCallbacks;

/* `me_id` is the signed-in user's AAD id (own messages are flagged by it). `callbacks` is
 * copied; any member may be NULL. The engine is idle until tg_sync_start or
 * tg_sync_poll_once_async. */
TgSync *tg_sync_new (TgGraph *graph, const char *me_id, const TgSyncCallbacks *callbacks,
                     gpointer user_data);
/* Stops (see tg_sync_stop) and frees. */
void tg_sync_free (TgSync *sync);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSync, tg_sync_free)

/* Seconds between polls (default 5, minimum 1). Applies from the next scheduling. */
void tg_sync_set_poll_interval (TgSync *sync, guint seconds);
/* Seconds between unconditional full chat-list refreshes (default 1800; 0 = never). */
void tg_sync_set_full_refresh_interval (TgSync *sync, guint seconds);
/* Multiplies every wait of the engine (poll interval, backoff, rate-limit spacing); tests use
 * 0.001. Default 1. */
void tg_sync_set_time_scale (TgSync *sync, double scale);

/* Starts polling on the thread-default main context (first poll at once). */
void tg_sync_start (TgSync *sync);
/* Cancels every request in flight and the timer; no callback runs after this returns.
 * tg_sync_start may be called again. */
void tg_sync_stop (TgSync *sync);
gboolean tg_sync_is_running (TgSync *sync);

/* One poll cycle now (tests and "refresh now"); does not touch the timer. If a cycle is
 * running, another one starts after it. Fails with the cycle's error (the error callback is
 * called too) or G_IO_ERROR_CANCELLED. */
void tg_sync_poll_once_async (TgSync *sync, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_sync_poll_once_finish (TgSync *sync, GAsyncResult *result, GError **error);

/* Asks for a full chat-list refresh in the next cycle (e.g. after /invite or creating a chat). */
void tg_sync_request_full_refresh (TgSync *sync);

/* Own sends. Call tg_sync_note_sending before POSTing a message and
 * tg_sync_note_sent with the answer's id + etag after it: the poller does not fetch that chat
 * while the send is in flight (at most 30 s), so the message cannot come back before its id is
 * known, and then does not deliver this chat id + message id + etag. A later change (other etag)
 * is delivered as usual. After a failed send call tg_sync_note_sent with message_id NULL.
 * (note_sent alone, without note_sending, works too but leaves the race open.) */
void tg_sync_note_sending (TgSync *sync, const char *chat_id);
void tg_sync_note_sent (TgSync *sync, const char *chat_id, const char *message_id,
                        const char *etag);
void tg_sync_note_sent_message (TgSync *sync, const TgMessage *msg);
/* This client is about to edit or soft-delete one of its messages (`pending` TRUE, before the
 * request) and shows the outcome itself: the poller does not deliver that edit or delete (once;
 * reactions on the message still are). Call again with FALSE when the request failed. Race-free,
 * unlike noting the new version afterwards: the poll may see the change before the answer. */
void tg_sync_note_own_change (TgSync *sync, const char *chat_id, const char *message_id,
                              gboolean pending);
/* A reaction this client sets (setReaction; `pending` TRUE, before the request): when the poller
 * sees it on the message, it is not reported in `added` (the user was told already). FALSE
 * withdraws the note (the request failed). */
void tg_sync_note_reaction (TgSync *sync, const char *chat_id, const char *message_id,
                            const char *reaction_type, gboolean pending);

/* A message the engine delivered that the adapter could not show (the account closed while the
 * message waited for its images): the chat's watermarks move back before it, so that an engine
 * started from the next tg_sync_export_state delivers it (and what came after it) again. The
 * running engine does not deliver it again. */
void tg_sync_undeliver (TgSync *sync, const TgMessage *msg);

/* Open conversations. The preview scan only sees a chat's newest message, so an edit, delete or
 * reaction on an older message surfaces with the chat's next new message. Every `cycles` poll
 * cycles (default 3; 0 = never) the engine asks the open_chats callback and also fetches those
 * chats, batched with the rest: one more inner request per open chat per watch cycle, none
 * when nothing is open. */
void tg_sync_set_watch_every (TgSync *sync, guint cycles);

/* Watermarks as one compact printable string (no newlines), newly allocated. */
char *tg_sync_export_state (TgSync *sync);
/* Restores exported watermarks (before the first poll). FALSE (and a fresh state) when the
 * string is not understood; NULL or "" = no state (first sign-in). */
gboolean tg_sync_import_state (TgSync *sync, const char *state);

/* The delay before the next timed poll in ms, backoff included (for tests and the debug log). */
guint tg_sync_next_delay_ms (TgSync *sync);
/* The chats announced so far: a new array of TgChat references (g_ptr_array_unref). */
GPtrArray *tg_sync_get_chats (TgSync *sync);
TgChat *tg_sync_get_chat (TgSync *sync, const char *chat_id);   /* not a new ref */

/* Feeds one page of Graph chatMessage objects for `chat_id` straight into de-duplication and
 * delivery, as if it had been fetched (benchmarks, tests). Returns the number of events
 * delivered. The chat does not have to be known. */
guint tg_sync_ingest_page (TgSync *sync, const char *chat_id, JsonArray *messages);

G_END_DECLS
