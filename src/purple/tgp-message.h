/* tgp-message — the one renderer of Teams messages for purple conversations, shared by IMs
 * (tgp-im) and group chats (tgp-chat), so that both show a message the same way.
 *
 * It turns a TgMessage plus the sync engine's flags into what purple_conversation_write /
 * serv_got_im / serv_got_chat_in take:
 *   - text: the body as purple markup (tg-markup: Teams html → the html subset clients show;
 *     <at> mentions in bold, emoji as characters, attachments as links);
 *     an edit as "(edited) <new text>"; a soft delete as "(deleted a message)";
 *     a system event (members added, renamed, call…) as its readable line;
 *   - flags: PURPLE_MESSAGE_RECV, or PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND for
 *     the signed-in user's own messages sent from another client (bitlbee drops own echoes
 *     without REMOTE_SEND); PURPLE_MESSAGE_NICK when the signed-in user is mentioned;
 *     PURPLE_MESSAGE_DELAYED for messages that arrived while we were offline;
 *     PURPLE_MESSAGE_SYSTEM for system events and deletes; PURPLE_MESSAGE_IMAGES when inline
 *     images of the purple image store are shown (tgp-images: during its delivery only);
 *   - time: the server's timestamp (creation time; the edit/delete time for edits/deletes).
 * No Graph knowledge: it reads the model only.
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

/* Renders `msg` (flags as given by the sync engine; 0 = an ordinary new message, e.g. from
 * history). *html_out is newly allocated purple markup (never NULL); *flags_out and *when_out
 * are set (each out pointer may be NULL). */
void tgp_message_render (TgpAccount *ta, const TgMessage *msg, TgSyncMessageFlags flags,
                         char **html_out, PurpleMessageFlags *flags_out, time_t *when_out);

/* TRUE when the signed-in user is among msg->mentions. */
gboolean tgp_message_mentions_me (TgpAccount *ta, const TgMessage *msg);

/* The name a message's sender goes by in purple (buddy / chat participant name):
 * lower-case e-mail/UPN when known from `chat`'s members (chat may be NULL), else the AAD user
 * id, else the application name for bots, else "" (system events). Newly allocated. */
char *tgp_message_sender_name (TgpAccount *ta, const TgChat *chat, const TgMessage *msg);
/* A member's participant name in chat conversations (the one sender names match): lower-case
 * e-mail/UPN, else the user id; NULL when it has neither. Newly allocated. */
char *tgp_message_member_name (const TgMember *member);

/* "<who> reacted <emoji> to: <excerpt>" as plain text (Graph's reaction names such as "like"
 * shown as their emoji). Newly allocated. */
char *tgp_message_reaction_line (const char *who, const char *reaction_type, const char *excerpt);

/* The system line of one new reaction: "Bob reacted 👍 to: <excerpt>" ("You reacted …" for the
 * signed-in user). Newly allocated purple markup. */
char *tgp_message_render_reaction (TgpAccount *ta, const TgMessage *msg,
                                   const TgReaction *reaction);

/* `text` (plain) on one line: newlines and tabs as blanks, trimmed, cut after `max_chars`
 * characters with "…". Newly allocated plain text (escape it for markup). */
char *tgp_message_one_line (const char *text, guint max_chars);
/* A message's body as plain text on one line (tgp_message_one_line), "" for an empty body;
 * TGP_MESSAGE_EXCERPT_CHARS is the length used to quote a message in feedback lines. */
#define TGP_MESSAGE_EXCERPT_CHARS 40
char *tgp_message_excerpt (const TgMessage *msg, guint max_chars);

G_END_DECLS
