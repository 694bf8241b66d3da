/* tgp-conv — the lines the plugin itself writes into a conversation (feedback of commands,
 * errors of sends, listings), from plain text that is escaped here.
 */
#pragma once
#include <purple.h>

G_BEGIN_DECLS

/* `html` written at `when` with `flags` and no sender. Every line of ours goes through here: a
 * UI that never shows purple_conversation_write (bitlbee) gets it through the IM's or chat's
 * own writer, with a sender it can show. */
void tgp_conv_write_html (PurpleConversation *conv, PurpleMessageFlags flags, const char *html,
                          time_t when);
/* `text` (plain, may hold markup characters) written now with `flags`. */
void tgp_conv_write_plain (PurpleConversation *conv, PurpleMessageFlags flags, const char *text);
/* The same for several lines: each '\n' becomes a line break. */
void tgp_conv_write_lines (PurpleConversation *conv, PurpleMessageFlags flags, const char *text);
/* A feedback line that is not logged: an error line, or a system line. */
void tgp_conv_feedback (PurpleConversation *conv, gboolean is_error, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

G_END_DECLS
