/* tgp-all-messages — the account action "Recent messages in all chats…" (the seed's
 * list_all_messages, through tg-all-messages).
 *
 * A request dialog asks for the time range (dates as YYYY-MM-DD or ISO 8601 times, UTC) and a
 * count; the messages are shown newest first in one formatted notify window (time, chat,
 * author, one-line text). Graph serves this only to applications with an application
 * permission: a delegated account's 403 becomes ONE error dialog that says which permission,
 * who grants it and that the API is metered — not a stack of errors, and the connection stays.
 */
#pragma once
#include <purple.h>

G_BEGIN_DECLS

#define TGP_ALL_MESSAGES_ACTION "Recent messages in all chats…"

/* The action for the plugin's actions list. */
PurplePluginAction *tgp_all_messages_action_new (void);

G_END_DECLS
