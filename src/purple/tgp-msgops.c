/* tgp-msgops — /delete, /edit, /pin, /unpin, /pinned, /react (see tgp-msgops.h). */
#include "purple/tgp-msgops.h"

#include <stdlib.h>
#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-markup.h"
#include "core/tg-messages.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-commands.h"
#include "purple/tgp-conv.h"
#include "purple/tgp-message.h"
#include "purple/tgp-recent.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

typedef enum {
  OP_DELETE,
  OP_EDIT,
  OP_PIN,
  OP_UNPIN,
  OP_PINNED,
  OP_REACT,
} OpKind;

/* One command in flight. */
typedef struct {
  TgpConvRef conv;
  OpKind kind;
  char *chat_id;
  char *message_id;     /* the target (none for /pinned) */
  char *excerpt;        /* its text as shown, for the success line */
  char *reaction;       /* /react */
} Op;

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

/* An error's message without its final full stop (the lines add their own). */
static char *
reason (const GError *error)
{
  char *text = g_strdup (error != NULL ? error->message : "unknown error");
  gsize len = strlen (text);

  while (len > 0 && (text[len - 1] == '.' || g_ascii_isspace (text[len - 1])))
    text[--len] = '\0';
  return text;
}

static const char *
quoted (const char *excerpt)
{
  return excerpt != NULL && *excerpt != '\0' ? excerpt : "(no text)";
}

/* The account and the chat of the conversation. NULL when there is none: then *ret says how
 * the command ends (FAILED with *error set when not connected; OK after an error line). */
static TgpAccount *
begin (PurpleConversation *conv, char **error, const char **chat_id, PurpleCmdRet *ret)
{
  TgpAccount *ta = tgp_commands_account (conv, error);

  *ret = PURPLE_CMD_RET_FAILED;
  if (ta == NULL)
    return NULL;
  *chat_id = tgp_chat_conv_chat_id (conv);
  if (*chat_id == NULL)
    {
      tgp_conv_feedback (conv, TRUE, "There is no Teams chat with %s yet.",
                         purple_conversation_get_name (conv));
      *ret = PURPLE_CMD_RET_OK;
      return NULL;
    }
  *ret = PURPLE_CMD_RET_OK;
  return ta;
}

/* The message `arg` names ("" or NULL = 1, the last one), or NULL after an error line. */
static const TgpRecentMessage *
target (TgpAccount *ta, PurpleConversation *conv, const char *chat_id, const char *arg,
        const char *usage)
{
  guint count = tgp_recent_count (ta, chat_id);
  long n = 1;

  if (arg != NULL && *arg != '\0')
    {
      char *end = NULL;

      n = strtol (arg, &end, 10);
      if (end == arg || *end != '\0' || n < 1)
        {
          tgp_conv_feedback (conv, TRUE,
                             "Usage: %s (n counts back from the last message: 1, 2, …).", usage);
          return NULL;
        }
    }
  if (count == 0)
    {
      tgp_conv_feedback (conv, TRUE,
                         "No message of this chat has been shown here yet (/history shows some).");
      return NULL;
    }
  if ((unsigned long) n > count)
    {
      tgp_conv_feedback (conv, TRUE, "There is no message %ld back: %u message%s of this chat %s "
                         "been shown here (/history shows more).", n, count,
                         count == 1 ? "" : "s", count == 1 ? "has" : "have");
      return NULL;
    }
  return tgp_recent_nth (ta, chat_id, (guint) n);
}

static Op *
op_new (OpKind kind, TgpAccount *ta, PurpleConversation *conv, const char *chat_id,
        const TgpRecentMessage *msg)
{
  Op *op = g_new0 (Op, 1);

  tgp_conv_ref_init (&op->conv, ta, conv);
  op->kind = kind;
  op->chat_id = g_strdup (chat_id);
  if (msg != NULL)
    {
      op->message_id = g_strdup (msg->id);
      op->excerpt = g_strdup (msg->excerpt);
    }
  return op;
}

static void
op_free (Op *op)
{
  tgp_conv_ref_clear (&op->conv);
  g_free (op->chat_id);
  g_free (op->message_id);
  g_free (op->excerpt);
  g_free (op->reaction);
  g_free (op);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

/* The success line of an operation on one message. */
static void
say_done (Op *op, PurpleConversation *conv)
{
  switch (op->kind)
    {
    case OP_DELETE:
      tgp_conv_feedback (conv, FALSE, "Deleted your message: %s", quoted (op->excerpt));
      break;
    case OP_EDIT:
      tgp_conv_feedback (conv, FALSE, "Edited your message: %s", quoted (op->excerpt));
      break;
    case OP_PIN:
      tgp_conv_feedback (conv, FALSE, "Pinned: %s", quoted (op->excerpt));
      break;
    case OP_UNPIN:
      tgp_conv_feedback (conv, FALSE, "Unpinned: %s", quoted (op->excerpt));
      break;
    case OP_REACT:
      {
        g_autofree char *line = tgp_message_reaction_line ("You", op->reaction, op->excerpt);
        tgp_conv_feedback (conv, FALSE, "%s", line);
      }
      break;
    case OP_PINNED:
      break;
    }
}

/* Per OpKind: the command's name (debug log) and the start of its error line. */
static const struct {
  const char *name;
  const char *failed;
} kinds[] = {
  [OP_DELETE] = { "delete", "Could not delete the message" },
  [OP_EDIT] = { "edit", "Could not edit the message" },
  [OP_PIN] = { "pin", "Could not pin the message" },
  [OP_UNPIN] = { "unpin", "Could not unpin the message" },
  [OP_PINNED] = { "pinned", "Could not list the pinned messages" },
  [OP_REACT] = { "react", "Could not react to the message" },
};

/* The conversation of a finished call, or NULL (op freed) when the account closed or the
 * window went away. On an error, the error line is written and NULL returned too. */
static PurpleConversation *
op_finished (Op *op, gboolean ok, const GError *error)
{
  PurpleConversation *conv;

  if (tgp_account_is_closed (op->conv.ta))
    {
      op_free (op);
      return NULL;
    }
  conv = tgp_conv_ref_get (&op->conv);
  if (conv != NULL && !ok)
    {
      g_autofree char *why = reason (error);

      purple_debug_info (DBG, "/%s in chat %s failed: %s\n", kinds[op->kind].name, op->chat_id,
                         error != NULL ? error->message : "?");
      tgp_conv_feedback (conv, TRUE, "%s: %s.", kinds[op->kind].failed, why);
    }
  if (conv == NULL || !ok)
    {
      op_free (op);
      return NULL;
    }
  return conv;
}

/* ------------------------------------------------------------------------------------------ */
/* /delete and /edit: the sync engine is told first, so that the poll never shows them again  */

static void
on_read_back (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Op) op = data;
  TgpAccount *ta = op->conv.ta;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgMessage) msg = NULL;
  PurpleConversation *conv;

  if (tgp_account_is_closed (ta))
    return;
  msg = tg_chats_get_message_finish (ta->graph, result, &error);
  if (msg != NULL)
    {
      tgp_recent_note (ta, msg);
      g_free (op->excerpt);
      op->excerpt = tgp_message_excerpt (msg, TGP_MESSAGE_EXCERPT_CHARS);
    }
  else
    purple_debug_info (DBG, "edited message %s not read back: %s\n", op->message_id,
                       error->message);
  conv = tgp_conv_ref_get (&op->conv);
  if (conv != NULL)
    say_done (op, conv);
}

static void
on_changed (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  TgpAccount *ta = op->conv.ta;
  g_autoptr (GError) error = NULL;
  gboolean ok = FALSE;
  PurpleConversation *conv;

  if (!tgp_account_is_closed (ta))
    {
      ok = op->kind == OP_DELETE ? tg_messages_soft_delete_finish (ta->graph, result, &error)
                                 : tg_messages_edit_finish (ta->graph, result, &error);
      if (!ok && tgp_sync_get (ta) != NULL)
        tg_sync_note_own_change (tgp_sync_get (ta), op->chat_id, op->message_id, FALSE);
      if (ok && op->kind == OP_DELETE)
        tgp_recent_forget (ta, op->chat_id, op->message_id);
    }
  conv = op_finished (op, ok, error);
  if (conv == NULL)
    return;
  if (op->kind == OP_DELETE)
    {
      say_done (op, conv);
      op_free (op);
      return;
    }
  /* Graph answers an edit with no body: the message is read back for its new text. */
  tg_chats_get_message_async (ta->graph, op->chat_id, op->message_id, ta->cancellable,
                              on_read_back, op);
}

PurpleCmdRet
tgp_msgops_cmd_delete (PurpleConversation *conv, const char *cmd, char **args, char **error,
                       void *data)
{
  const char *chat_id = NULL;
  PurpleCmdRet ret;
  TgpAccount *ta = begin (conv, error, &chat_id, &ret);
  const TgpRecentMessage *msg;

  if (ta == NULL)
    return ret;
  msg = target (ta, conv, chat_id, args != NULL ? args[0] : NULL, "/delete [n]");
  if (msg == NULL)
    return PURPLE_CMD_RET_OK;
  if (!msg->own)
    {
      tgp_conv_feedback (conv, TRUE,
                         "You can only delete your own messages (message %s is from %s: %s).",
                         args != NULL && args[0] != NULL && *args[0] != '\0' ? args[0] : "1",
                         *msg->sender != '\0' ? msg->sender : "someone else",
                         quoted (msg->excerpt));
      return PURPLE_CMD_RET_OK;
    }
  /* Shown here when done: the poll is not to show the delete again. */
  if (tgp_sync_get (ta) != NULL)
    tg_sync_note_own_change (tgp_sync_get (ta), chat_id, msg->id, TRUE);
  tg_messages_soft_delete_async (ta->graph, ta->self_id, chat_id, msg->id, ta->cancellable,
                                 on_changed, op_new (OP_DELETE, ta, conv, chat_id, msg));
  return PURPLE_CMD_RET_OK;
}

PurpleCmdRet
tgp_msgops_cmd_edit (PurpleConversation *conv, const char *cmd, char **args, char **error,
                     void *data)
{
  const char *chat_id = NULL;
  PurpleCmdRet ret;
  TgpAccount *ta = begin (conv, error, &chat_id, &ret);
  const TgpRecentMessage *msg;
  g_autofree char *content = NULL;
  gboolean is_html = FALSE;

  if (ta == NULL)
    return ret;
  if (args != NULL && args[0] != NULL)
    content = tg_markup_to_teams (args[0], &is_html);
  if (content == NULL || strspn (content, " \t\r\n") == strlen (content))
    {
      tgp_conv_feedback (conv, TRUE,
                         "Usage: /edit <text> (replaces the text of your last message).");
      return PURPLE_CMD_RET_OK;
    }
  msg = tgp_recent_last_own (ta, chat_id);
  if (msg == NULL)
    {
      tgp_conv_feedback (conv, TRUE, "None of your messages in this chat has been shown here yet, "
                         "so there is nothing to edit.");
      return PURPLE_CMD_RET_OK;
    }
  if (tgp_sync_get (ta) != NULL)
    tg_sync_note_own_change (tgp_sync_get (ta), chat_id, msg->id, TRUE);
  tg_messages_edit_async (ta->graph, chat_id, msg->id, content, is_html, ta->cancellable,
                          on_changed, op_new (OP_EDIT, ta, conv, chat_id, msg));
  return PURPLE_CMD_RET_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* /pin, /unpin, /react                                                                        */

static void
on_simple_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  TgpAccount *ta = op->conv.ta;
  g_autoptr (GError) error = NULL;
  PurpleConversation *conv;
  gboolean ok = FALSE;

  if (!tgp_account_is_closed (ta))
    switch (op->kind)
      {
      case OP_PIN:
        ok = tg_messages_pin_finish (ta->graph, result, NULL, &error);
        break;
      case OP_UNPIN:
        ok = tg_messages_unpin_finish (ta->graph, result, &error);
        break;
      case OP_REACT:
        ok = tg_messages_set_reaction_finish (ta->graph, result, &error);
        if (!ok && tgp_sync_get (ta) != NULL)
          tg_sync_note_reaction (tgp_sync_get (ta), op->chat_id, op->message_id, op->reaction,
                                 FALSE);
        break;
      default:
        g_assert_not_reached ();
      }
  conv = op_finished (op, ok, error);
  if (conv == NULL)
    return;
  say_done (op, conv);
  op_free (op);
}

static PurpleCmdRet
pin_or_unpin (PurpleConversation *conv, char **args, char **error, OpKind kind)
{
  const char *chat_id = NULL;
  PurpleCmdRet ret;
  TgpAccount *ta = begin (conv, error, &chat_id, &ret);
  const TgpRecentMessage *msg;
  Op *op;

  if (ta == NULL)
    return ret;
  msg = target (ta, conv, chat_id, args != NULL ? args[0] : NULL,
                kind == OP_PIN ? "/pin [n]" : "/unpin [n]");
  if (msg == NULL)
    return PURPLE_CMD_RET_OK;
  op = op_new (kind, ta, conv, chat_id, msg);
  if (kind == OP_PIN)
    tg_messages_pin_async (ta->graph, chat_id, msg->id, ta->cancellable, on_simple_done, op);
  else
    tg_messages_unpin_async (ta->graph, chat_id, msg->id, ta->cancellable, on_simple_done, op);
  return PURPLE_CMD_RET_OK;
}

PurpleCmdRet
tgp_msgops_cmd_pin (PurpleConversation *conv, const char *cmd, char **args, char **error,
                    void *data)
{
  return pin_or_unpin (conv, args, error, OP_PIN);
}

PurpleCmdRet
tgp_msgops_cmd_unpin (PurpleConversation *conv, const char *cmd, char **args, char **error,
                      void *data)
{
  return pin_or_unpin (conv, args, error, OP_UNPIN);
}

/* An emoji, or one of Graph's reaction names; not a word or a number (a forgotten emoji). */
static gboolean
is_reaction (const char *text)
{
  static const char *const names[] = { "like", "heart", "laugh", "surprised", "sad", "angry", NULL };

  if (text == NULL || *text == '\0' || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  if (g_strv_contains (names, text))
    return TRUE;
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return strpbrk (text, " \t\r\n") == NULL && strlen (text) <= 64;
  return FALSE;
}

PurpleCmdRet
tgp_msgops_cmd_react (PurpleConversation *conv, const char *cmd, char **args, char **error,
                      void *data)
{
  const char *chat_id = NULL;
  PurpleCmdRet ret;
  TgpAccount *ta = begin (conv, error, &chat_id, &ret);
  g_autofree char *reaction = NULL;
  const TgpRecentMessage *msg;
  Op *op;

  if (ta == NULL)
    return ret;
  if (args != NULL && args[0] != NULL)
    {
      reaction = purple_markup_strip_html (args[0]);
      g_strstrip (reaction);
    }
  if (!is_reaction (reaction))
    {
      tgp_conv_feedback (conv, TRUE, "Usage: /react <emoji> [n], e.g. /react \xf0\x9f\x91\x8d 2.");
      return PURPLE_CMD_RET_OK;
    }
  msg = target (ta, conv, chat_id, args != NULL && args[0] != NULL ? args[1] : NULL,
                "/react <emoji> [n]");
  if (msg == NULL)
    return PURPLE_CMD_RET_OK;
  op = op_new (OP_REACT, ta, conv, chat_id, msg);
  op->reaction = g_steal_pointer (&reaction);
  /* Told here; the poller then leaves this reaction out of its "new reactions". */
  if (tgp_sync_get (ta) != NULL)
    tg_sync_note_reaction (tgp_sync_get (ta), chat_id, msg->id, op->reaction, TRUE);
  tg_messages_set_reaction_async (ta->graph, chat_id, msg->id, op->reaction, ta->cancellable,
                                  on_simple_done, op);
  return PURPLE_CMD_RET_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* /pinned                                                                                     */

static char *
local_time (gint64 usec)
{
  g_autoptr (GDateTime) dt = NULL;

  if (usec <= 0)
    return g_strdup ("?");
  dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static void
on_pinned (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  TgpAccount *ta = op->conv.ta;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pins = NULL;
  PurpleConversation *conv;

  if (!tgp_account_is_closed (ta))
    pins = tg_messages_list_pinned_finish (ta->graph, result, &error);
  conv = op_finished (op, pins != NULL, error);
  if (conv == NULL)
    return;
  if (pins->len == 0)
    tgp_conv_feedback (conv, FALSE, "No pinned messages in this chat.");
  else
    {
      tgp_conv_feedback (conv, FALSE, "Pinned messages (%u):", pins->len);
      for (guint i = 0; i < pins->len; i++)
        {
          const TgPinnedMessage *pin = g_ptr_array_index (pins, i);
          g_autofree char *when = NULL, *who = NULL, *text = NULL;

          if (pin->message == NULL)
            {
              tgp_conv_feedback (conv, FALSE, "%u. (a message Teams did not return)", i + 1);
              continue;
            }
          when = local_time (pin->message->created);
          who = pin->message->from_display_name != NULL && *pin->message->from_display_name != '\0'
                ? g_strdup (pin->message->from_display_name)
                : tgp_message_sender_name (ta, NULL, pin->message);
          text = pin->message->is_deleted
                   ? g_strdup ("(deleted)")
                   : tgp_message_excerpt (pin->message, TGP_MESSAGE_EXCERPT_CHARS);
          tgp_conv_feedback (conv, FALSE, "%u. %s %s: %s", i + 1, when,
                             *who != '\0' ? who : "someone", quoted (text));
        }
    }
  op_free (op);
}

PurpleCmdRet
tgp_msgops_cmd_pinned (PurpleConversation *conv, const char *cmd, char **args, char **error,
                       void *data)
{
  const char *chat_id = NULL;
  PurpleCmdRet ret;
  TgpAccount *ta = begin (conv, error, &chat_id, &ret);

  if (ta == NULL)
    return ret;
  tg_messages_list_pinned_async (ta->graph, chat_id, ta->cancellable, on_pinned,
                                 op_new (OP_PINNED, ta, conv, chat_id, NULL));
  return PURPLE_CMD_RET_OK;
}
