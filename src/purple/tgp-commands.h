/* tgp-commands — the slash commands of Teams conversations (DESIGN.md's table), registered with
 * libpurple for prpl-teams-graph only.
 *
 * One table (name, argument spec, where it applies, handler, help); tgp_commands_register walks
 * it on plugin load and tgp_commands_unregister on unload. A new command is one handler and
 * one row. Now: /history [n] and /invite <user…> (IMs and chats), /topic [text], /kick <user>,
 * /members and /leave (chats; membership in tgp-members.c).
 */
#pragma once
#include <purple.h>

G_BEGIN_DECLS

void tgp_commands_register (void);
void tgp_commands_unregister (void);

G_END_DECLS
