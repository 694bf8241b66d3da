/* tgp-search — `/search <text> [from:<user>] [since:<date>] [until:<date>]` and `/search more`
 * in Teams conversations (IMs and chats): the seed's search_messages through tg-search.
 *
 * The results are written into the conversation as system lines (not logged): a head line,
 * one compact line per message — time, author, text (one line, cut at 200 characters) — and
 * a last line that says whether `/search more` has more. No hits: "No messages match …".
 * Bad dates or options are refused at once with a usage error, before any request.
 * Per conversation it keeps the last search (its KQL, Graph's cursor, the ids shown, so that
 * new hits shifting Graph's offsets never show a message twice) in the conversation's
 * data, freed with the conversation; a newer search supersedes one still running.
 */
#pragma once
#include <purple.h>

#include "purple/tgp-account.h"

G_BEGIN_DECLS

/* The /search handler (`args`: the rest of the command line as the client passed it, may be
 * markup or NULL). On a usage error *error is set and PURPLE_CMD_RET_FAILED returned. */
PurpleCmdRet tgp_search_command (TgpAccount *ta, PurpleConversation *conv, const char *args,
                                 char **error);

/* From the plugin's unload: forgets every conversation's search. */
void tgp_search_plugin_unload (void);

G_END_DECLS
