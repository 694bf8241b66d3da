/* tgp-chat — Teams group and meeting chats as purple chat conversations.
 *
 * Owns: joining (by chat id, or by a topic resolved over every known chat), the participant list
 * (named by lower-case UPN/email, aliased to display names; read from the whole member list when
 * the chat list shows Graph's cap of 25), sending (echoed once; the poller is
 * told so that it does not deliver the message again), incoming messages and system events of
 * group chats (rendered by tgp-message), the topic (shown, followed, set), leaving the window
 * without leaving the Teams chat, and the room list of joined group chats.
 *
 * The sync glue (tgp-sync.c) calls tgp_chat_deliver / tgp_chat_on_chat_changed /
 * tgp_chat_on_chat_removed; the rest are prpl callbacks registered in tgp-plugin.c.
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

/* ---- from the sync engine ---- */
/* A message of a group or meeting chat: written into its conversation, which is opened
 * (serv_got_joined_chat) when it is not, so that nothing is lost. */
void tgp_chat_deliver (TgpAccount *ta, const TgChat *chat, TgMessage *msg,
                       TgSyncMessageFlags flags);
/* A chat was renamed or its members changed elsewhere: an open conversation follows. */
void tgp_chat_on_chat_changed (TgpAccount *ta, const TgSyncChatChange *change);
/* The conversation of a group chat when a window is open for it (re-joined when it was left
 * with an earlier connection), else NULL: for lines that do not open a window (reactions). */
PurpleConversation *tgp_chat_conversation_if_open (TgpAccount *ta, const TgChat *chat);
/* The user is no longer in the chat: an open conversation is told so. */
void tgp_chat_on_chat_removed (TgpAccount *ta, const char *chat_id);

/* ---- prpl callbacks ---- */
/* (chat_info and chat_info_defaults — components `id` and `topic` — are in tgp-plugin.c.) */
char *tgp_chat_get_name (GHashTable *components);
void tgp_chat_join (PurpleConnection *gc, GHashTable *components);
int tgp_chat_send (PurpleConnection *gc, int id, const char *message, PurpleMessageFlags flags);
void tgp_chat_leave (PurpleConnection *gc, int id);
void tgp_chat_set_topic (PurpleConnection *gc, int id, const char *topic);
PurpleRoomlist *tgp_chat_roomlist_get_list (PurpleConnection *gc);
void tgp_chat_roomlist_cancel (PurpleRoomlist *list);
/* Display names of participants (libpurple 2.14 asks with OPT_PROTO_UNIQUE_CHATNAME). */
char *tgp_chat_get_cb_alias (PurpleConnection *gc, int id, const char *who);

/* ---- for the commands (tgp-commands.c) ---- */
/* The Teams chat id of a conversation (chat or IM) of this plugin, NULL when unknown. */
const char *tgp_chat_conv_chat_id (PurpleConversation *conv);
/* Shows the topic of a chat conversation (as a system line), or sets it when `topic` is
 * non-NULL. */
void tgp_chat_topic_command (PurpleConversation *conv, const char *topic);

/* ---- for the membership module (tgp-members.c) ---- */
/* The joined chat conversation of `chat_id`, NULL when none is open (or it was left). */
PurpleConversation *tgp_chat_find_conversation (TgpAccount *ta, const char *chat_id);
/* Opens (or re-joins) the conversation of `chat` with its topic and participants, and presents
 * it. NULL when the connection is gone or `chat` is a one-on-one chat. */
PurpleConversation *tgp_chat_open (TgpAccount *ta, const TgChat *chat);
/* Writes plain `text` (escaped here) into a conversation as a system line; `error` makes it an
 * error line. Not logged. */
void tgp_chat_write_notice (PurpleConversation *conv, const char *text, gboolean error);

/* From the plugin's load / unload: per-conversation state follows the conversations. */
void tgp_chat_plugin_load (PurplePlugin *plugin);
void tgp_chat_plugin_unload (PurplePlugin *plugin);

G_END_DECLS
