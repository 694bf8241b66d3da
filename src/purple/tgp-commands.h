/* tgp-commands — the slash commands of Teams conversations (DESIGN.md's table), registered with
 * libpurple for prpl-teams-graph only.
 *
 * One table (name, argument spec, where it applies, handler, help); tgp_commands_register walks
 * it on plugin load and tgp_commands_unregister on unload. A new command is one handler and
 * one row. Now: /history [n], /search, /invite <user…> and the message operations of
 * tgp-msgops (/delete, /edit, /pin, /unpin, /pinned, /react) in IMs and chats; /topic [text],
 * /kick <user>, /members and /leave in chats (membership in tgp-members.c).
 */
#pragma once
#include <purple.h>

G_BEGIN_DECLS

void tgp_commands_register (void);
void tgp_commands_unregister (void);

/* bitlbee hands what the user typed to send_im / chat_send, slash commands included. TRUE when
 * `message` is "/name …" and name is a command of `conv` (NULL: of any conversation); "//…"
 * is text. */
gboolean tgp_commands_is_typed_command (PurpleConversation *conv, const char *message);
/* Runs such a typed command in `conv`; an error goes into the conversation. */
void tgp_commands_run_typed (PurpleConversation *conv, const char *message);

/* ---- for command handlers kept in other modules (tgp-msgops…) ---- */
#include "purple/tgp-account.h"

/* The conversation's account when it is connected; else NULL with *error set. */
TgpAccount *tgp_commands_account (PurpleConversation *conv, char **error);

/* A conversation found again after an asynchronous call (it may have been closed meanwhile):
 * holds an account reference; get returns NULL once the account closed or the window went. */
typedef struct {
  TgpAccount *ta;
  PurpleConversationType type;
  char *name;
} TgpConvRef;
void tgp_conv_ref_init (TgpConvRef *ref, TgpAccount *ta, PurpleConversation *conv);
void tgp_conv_ref_clear (TgpConvRef *ref);
PurpleConversation *tgp_conv_ref_get (TgpConvRef *ref);

G_END_DECLS
