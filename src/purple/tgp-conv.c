/* tgp-conv — lines the plugin writes into conversations (see tgp-conv.h). */
#include "purple/tgp-conv.h"

#include <stdarg.h>

/* The sender a line of ours is given where the UI would not show it without one. bitlbee's
 * write_conv passes on only the user's own messages sent elsewhere (PURPLE_MESSAGE_SEND), so
 * every purple_conversation_write of ours vanished there (command feedback, /members, the
 * history's head lines, system events); and a UI without write_conv never sees those either.
 * There the line goes through the IM's or chat's own writer: bitlbee routes an IM line by its
 * sender (so in a query it comes from the buddy the query is with) and shows a chat line from
 * a temporary nick. */
#define TGP_CONV_CHAT_SENDER "Teams"

static gboolean
ui_shows_senderless_lines (PurpleConversation *conv)
{
  PurpleConversationUiOps *ops = purple_conversation_get_ui_ops (conv);
  const char *ui = purple_core_get_ui ();

  if (ui != NULL && g_ascii_strcasecmp (ui, "bitlbee") == 0)
    return FALSE;
  return ops == NULL || ops->write_conv != NULL;
}

void
tgp_conv_write_html (PurpleConversation *conv, PurpleMessageFlags flags, const char *html,
                     time_t when)
{
  if (ui_shows_senderless_lines (conv))
    purple_conversation_write (conv, NULL, html, flags, when);
  else if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT)
    purple_conv_chat_write (PURPLE_CONV_CHAT (conv), TGP_CONV_CHAT_SENDER, html, flags, when);
  else
    purple_conv_im_write (PURPLE_CONV_IM (conv), purple_conversation_get_name (conv), html,
                          flags, when);
}

void
tgp_conv_write_plain (PurpleConversation *conv, PurpleMessageFlags flags, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  tgp_conv_write_html (conv, flags, escaped, time (NULL));
}

void
tgp_conv_write_lines (PurpleConversation *conv, PurpleMessageFlags flags, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_auto (GStrv) lines = g_strsplit (escaped, "\n", -1);
  g_autofree char *html = g_strjoinv ("<br>", lines);

  tgp_conv_write_html (conv, flags, html, time (NULL));
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
