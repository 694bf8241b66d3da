/* tgp-conv — lines the plugin writes into conversations (see tgp-conv.h). */
#include "purple/tgp-conv.h"

#include <stdarg.h>

void
tgp_conv_write_plain (PurpleConversation *conv, PurpleMessageFlags flags, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  purple_conversation_write (conv, NULL, escaped, flags, time (NULL));
}

void
tgp_conv_write_lines (PurpleConversation *conv, PurpleMessageFlags flags, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_auto (GStrv) lines = g_strsplit (escaped, "\n", -1);
  g_autofree char *html = g_strjoinv ("<br>", lines);

  purple_conversation_write (conv, NULL, html, flags, time (NULL));
}

void
tgp_conv_feedback (PurpleConversation *conv, gboolean is_error, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  tgp_conv_write_plain (conv, (is_error ? PURPLE_MESSAGE_ERROR : PURPLE_MESSAGE_SYSTEM)
                              | PURPLE_MESSAGE_NO_LOG, text);
}
