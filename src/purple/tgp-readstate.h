/* tgp-readstate — telling Teams which chats the user has read.
 *
 * A chat is marked read (tg-readstate: markChatReadForUser) when the user has seen it: its
 * conversation's unseen count drops to zero (the "conversation-updated" signal with
 * PURPLE_CONV_UPDATE_UNSEEN, which Pidgin emits when the window gets the focus), or a message
 * arrives in a conversation that has the focus. Only when something arrived since the last mark
 * (own messages do not count: sending marks a chat read in Teams anyway), and at most once per
 * chat per poll interval: a mark wanted sooner is sent when the interval is over.
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

void tgp_readstate_start (TgpAccount *ta);
void tgp_readstate_stop (TgpAccount *ta);

/* A message of chat `msg->chat_id` was just written to its conversation (from tgp-sync). */
void tgp_readstate_on_delivered (TgpAccount *ta, const TgMessage *msg, TgSyncMessageFlags flags);

G_END_DECLS
