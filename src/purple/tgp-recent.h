/* tgp-recent — the messages this client has shown of each Teams chat, so that commands can
 * name "the n-th last message" (/delete, /edit, /pin, /unpin, /react).
 *
 * Fed from everything that writes a message into a conversation: incoming and own messages
 * from the poller (new, edited; a soft delete drops the message), own sends from this client,
 * and /history pages. Ordered by the message's creation time, newest first (so a /history of
 * older messages slots in behind what was already shown), up to 200 per chat; system events
 * are not messages one can act on and are left out. Kept per account user name and chat id
 * for the plugin's lifetime: it survives reconnects, as the conversation windows do.
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

typedef struct {
  char *id;             /* the Graph message id */
  char *chat_id;
  gboolean own;         /* sent by the signed-in user (from any client) */
  char *sender;         /* display name of the sender, may be "" */
  gint64 created;       /* µs */
  char *excerpt;        /* tgp_message_excerpt: one line, for feedback */
} TgpRecentMessage;

/* `msg` (with msg->chat_id set) was shown: remembered, updated (an edit), or forgotten (a soft
 * delete). System events are ignored. */
void tgp_recent_note (TgpAccount *ta, const TgMessage *msg);
/* Forgets one message (after /delete). */
void tgp_recent_forget (TgpAccount *ta, const char *chat_id, const char *message_id);

/* The n-th last message of the chat (n = 1: the newest), NULL when fewer are known. Owned by
 * the store: valid until the next note/forget. */
const TgpRecentMessage *tgp_recent_nth (TgpAccount *ta, const char *chat_id, guint n);
/* The newest own message, NULL when none is known. */
const TgpRecentMessage *tgp_recent_last_own (TgpAccount *ta, const char *chat_id);
/* How many messages of the chat are known. */
guint tgp_recent_count (TgpAccount *ta, const char *chat_id);

/* Plugin unload: frees everything. */
void tgp_recent_clear_all (void);

G_END_DECLS
