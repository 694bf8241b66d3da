/* tgp-im — Teams one-on-one chats as purple IMs.
 *
 * Owns:
 *   - sending (prpl send_im): to a buddy whose one-on-one chat is known, the message is posted
 *     there (purple markup → Teams html by tg-markup); to any other user reference (UPN, e-mail,
 *     AAD user id) the chat is created first (tg_chats_create_one_on_one), then the message is
 *     posted and the name mapped to the chat. Messages to one recipient are posted one at a
 *     time, in the order typed. send_im returns 1: libpurple echoes the text at once; a failure
 *     is reported afterwards as an error line in the conversation that repeats the text, so
 *     nothing typed is lost. The sync engine is told about every posted message
 *     (tg_sync_note_sent), so it is not shown a second time after the next poll;
 *   - bitlbee nicety: an IM text "/<command> …" naming a purple command registered for the
 *     conversation runs it (purple_conversation_do_command) instead of being sent;
 *   - incoming one-on-one messages (tgp_im_deliver, from tgp-sync): from the buddy of the chat,
 *     with the server time; own messages sent from another client are written as sent by
 *     you (PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND).
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

void tgp_im_start (TgpAccount *ta);
void tgp_im_stop (TgpAccount *ta);

/* prpl send_im. */
int tgp_im_send (PurpleConnection *gc, const char *who, const char *message,
                 PurpleMessageFlags flags);

/* A message of a one-on-one chat, from the sync engine. */
void tgp_im_deliver (TgpAccount *ta, const TgChat *chat, TgMessage *msg,
                     TgSyncMessageFlags flags);

/* The IM conversation of a one-on-one chat (created when `create`), NULL when none. */
PurpleConversation *tgp_im_conversation (TgpAccount *ta, const TgChat *chat, gboolean create);

G_END_DECLS
