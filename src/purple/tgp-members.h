/* tgp-members — group chat membership in purple clients, on top of tg-members:
 *   - the account action "New group chat…" (members and a topic; the new chat opens), and
 *     "Start a group chat…" on a buddy (the same, with the buddy filled in);
 *   - the client's Invite on a chat (prpl chat_invite) and /invite <user…> in a chat: add members
 *     with the history shared;
 *   - /invite <user…> in an IM: a new group chat with the other person and the invitees (Teams
 *     cannot add people to a one-on-one chat; this is what its own client does);
 *   - /kick <user>, /members (with roles), /leave (for good: the conversation shows it left).
 * After a change the chat list is refreshed at once, so the buddy list and the participants
 * follow; changes made elsewhere arrive through the sync engine (tgp-chat.c).
 */
#pragma once
#include <purple.h>

G_BEGIN_DECLS

/* The account action (plugin actions, context = the PurpleConnection). */
void tgp_members_action_new_group_chat (PurplePluginAction *action);
/* prpl blist_node_menu: "Start a group chat…" on a buddy (the same dialog, the buddy filled in:
 * how Pidgin users turn an IM into a group chat, besides /invite in the IM). */
GList *tgp_members_blist_node_menu (PurpleBlistNode *node);
/* prpl chat_invite. */
void tgp_members_chat_invite (PurpleConnection *gc, int id, const char *message, const char *who);

/* For the commands (tgp-commands.c); `conv` is connected. `users` is what followed the command
 * (names separated by spaces or commas). FALSE with *error set for a usage error. */
gboolean tgp_members_invite_command (PurpleConversation *conv, const char *users, char **error);
gboolean tgp_members_kick_command (PurpleConversation *conv, const char *user, char **error);
void tgp_members_list_command (PurpleConversation *conv);
void tgp_members_leave_command (PurpleConversation *conv);

G_END_DECLS
