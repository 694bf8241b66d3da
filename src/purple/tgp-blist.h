/* tgp-blist — Teams chats in the purple buddy list.
 *
 * Owns:
 *   - one buddy per one-on-one chat, named after the other member (lower-case UPN/e-mail, else
 *     the AAD user id), server alias = display name (serv_got_alias, so a local alias the user
 *     set stays in front), created in the group "Teams";
 *   - one PurpleChat per group or meeting chat (components "id" and "topic"), in the group
 *     "Teams Group Chats", alias = the topic, else the members' display names;
 *   - the per-account map buddy name ↔ one-on-one chat id, kept in memory and rebuilt from
 *     the sync engine's chat list, through which IMs find their chat.
 * The user's choices stay: nodes are created only when missing and never moved; a PurpleChat's
 * alias is rewritten only while it still equals the alias this module set last (remembered in
 * the node setting "tgp-alias"). Chats that disappear lose their nodes, except buddies the user
 * moved out of "Teams" (the person is still reachable: an IM creates the chat again).
 *
 * Presence: Pidgin and Finch hide offline buddies by default, so buddies left offline would
 * make the list of chats invisible; marking them "available" would tell the user someone can
 * answer now when nobody knows. Buddies whose presence is not known get the status
 * "unknown" ("Presence unknown", an away-like primitive that no user can pick): listed, with
 * a neutral claim, until a presence module sets real statuses (which this module then leaves
 * alone). Buddies can be messaged whatever their status (offline_message is TRUE: Teams keeps
 * the messages).
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

#define TGP_GROUP_BUDDIES "Teams"
#define TGP_GROUP_CHATS "Teams Group Chats"
/* The status id of buddies whose presence is not known (registered in tgp-plugin.c). */
#define TGP_STATUS_UNKNOWN "unknown"

void tgp_blist_start (TgpAccount *ta);
void tgp_blist_stop (TgpAccount *ta);

/* New or changed chats (the sync engine's chats_changed). */
void tgp_blist_update (TgpAccount *ta, GPtrArray *changes);
/* A chat that is gone. */
void tgp_blist_remove_chat (TgpAccount *ta, const char *chat_id);

/* The buddy name of a one-on-one chat's other member (newly allocated), NULL when unknown. */
char *tgp_blist_buddy_name_for_chat (TgpAccount *ta, const TgChat *chat);
/* The one-on-one chat id of a buddy name or user reference (any case), NULL when none known. */
const char *tgp_blist_chat_id_for_buddy (TgpAccount *ta, const char *name);
/* The buddy name of a known one-on-one chat id, NULL when unknown. */
const char *tgp_blist_buddy_for_chat_id (TgpAccount *ta, const char *chat_id);
/* Maps `name` (also any other reference to the same user) to a one-on-one chat. */
void tgp_blist_map (TgpAccount *ta, const char *name, const char *chat_id);

/* prpl normalize: buddy names compare case-insensitively. */
const char *tgp_blist_normalize (const PurpleAccount *account, const char *who);
/* prpl offline_message: Teams keeps messages for offline users. */
gboolean tgp_blist_offline_message (const PurpleBuddy *buddy);

G_END_DECLS
