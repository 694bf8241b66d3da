/* tgp-msgops — the message operations of a Teams conversation (IM or group chat): /delete [n],
 * /edit <text>, /pin [n], /unpin [n], /pinned and /react <emoji> [n]. Rows in tgp-commands.c's
 * table; the Graph calls are tg-messages'.
 *
 * "The n-th last message" is counted in what this client has shown of the chat (tgp-recent:
 * newest first, own messages included, system events not). Checks that need no server come
 * first (a number that is not one, no message that far back, someone else's message for
 * /delete and /edit). Every outcome is one line in the conversation: a system line on success
 * ("Deleted your message: …", "Pinned: …", "You reacted 👍 to: …"), an error line otherwise.
 * Before /edit and /delete the sync engine is told (tg_sync_note_own_change), so that the poll
 * does not show the change a second time (an edited message is then read back for its new
 * text); /react notes the reaction (tg_sync_note_reaction) for the same reason.
 */
#pragma once
#include <purple.h>

G_BEGIN_DECLS

PurpleCmdRet tgp_msgops_cmd_delete (PurpleConversation *conv, const char *cmd, char **args,
                                    char **error, void *data);
PurpleCmdRet tgp_msgops_cmd_edit (PurpleConversation *conv, const char *cmd, char **args,
                                  char **error, void *data);
PurpleCmdRet tgp_msgops_cmd_pin (PurpleConversation *conv, const char *cmd, char **args,
                                 char **error, void *data);
PurpleCmdRet tgp_msgops_cmd_unpin (PurpleConversation *conv, const char *cmd, char **args,
                                   char **error, void *data);
PurpleCmdRet tgp_msgops_cmd_pinned (PurpleConversation *conv, const char *cmd, char **args,
                                    char **error, void *data);
PurpleCmdRet tgp_msgops_cmd_react (PurpleConversation *conv, const char *cmd, char **args,
                                   char **error, void *data);

G_END_DECLS
