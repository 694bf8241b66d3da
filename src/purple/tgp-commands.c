/* tgp-commands — slash commands of Teams conversations (see tgp-commands.h). */
#include "purple/tgp-commands.h"

#include <stdlib.h>
#include <string.h>

#include "core/tg-chats.h"
#include "purple/tgp-account.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-conv.h"
#include "purple/tgp-members.h"
#include "purple/tgp-message.h"
#include "purple/tgp-search.h"
#include "purple/tgp-msgops.h"
#include "purple/tgp-recent.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

#define HISTORY_DEFAULT 20
#define HISTORY_MAX 500
#define HISTORY_PAGE 50        /* Graph's largest $top for chat messages */

/* Where a command applies. */
typedef enum {
  IN_IM = 1 << 0,
  IN_CHAT = 1 << 1,
} Where;

typedef struct {
  const char *name;
  const char *args;        /* purple_cmd_register's spec; every argument is optional */
  Where where;
  PurpleCmdRet (*handler) (PurpleConversation *conv, const char *cmd, char **args, char **error,
                           void *data);
  const char *help;
} TgpCommand;

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

/* The conversation's account, when it is connected; else sets *error. */
static TgpAccount *
conv_account (PurpleConversation *conv, char **error)
{
  TgpAccount *ta = tgp_account_from_conv (conv);

  if (ta == NULL || tgp_account_is_closed (ta) || !ta->ready)
    {
      *error = g_strdup ("Not connected to Teams.");
      return NULL;
    }
  return ta;
}

static const char *
first_arg (char **args)
{
  if (args == NULL || args[0] == NULL)
    return NULL;
  return *args[0] != '\0' ? args[0] : NULL;
}

TgpAccount *
tgp_commands_account (PurpleConversation *conv, char **error)
{
  return conv_account (conv, error);
}

typedef TgpConvRef ConvRef;

void
tgp_conv_ref_init (ConvRef *ref, TgpAccount *ta, PurpleConversation *conv)
{
  ref->ta = tgp_account_ref (ta);
  ref->type = purple_conversation_get_type (conv);
  ref->name = g_strdup (purple_conversation_get_name (conv));
}

void
tgp_conv_ref_clear (ConvRef *ref)
{
  tgp_account_unref (ref->ta);
  g_free (ref->name);
}

PurpleConversation *
tgp_conv_ref_get (ConvRef *ref)
{
  if (tgp_account_is_closed (ref->ta))
    return NULL;
  return purple_find_conversation_with_account (ref->type, ref->name, ref->ta->account);
}

/* ------------------------------------------------------------------------------------------ */
/* /history [n]                                                                                */

typedef struct {
  ConvRef conv;
  char *chat_id;
  guint wanted;
  GPtrArray *pages;        /* GPtrArray* of TgMessage*, newest page first */
  guint count;
} History;

static void
history_free (History *h)
{
  tgp_conv_ref_clear (&h->conv);
  g_free (h->chat_id);
  g_ptr_array_unref (h->pages);
  g_free (h);
}

/* Writes one history message, marked as history (delayed, not logged again). */
static void
history_write (TgpAccount *ta, PurpleConversation *conv, const TgChat *chat, TgMessage *msg)
{
  g_autofree char *html = NULL;
  g_autofree char *who = NULL;
  PurpleMessageFlags flags = 0;
  time_t when = 0;

  tgp_message_render (ta, msg, TG_SYNC_MSG_DELAYED, &html, &flags, &when);
  flags |= PURPLE_MESSAGE_DELAYED | PURPLE_MESSAGE_NO_LOG;
  tgp_recent_note (ta, msg);
  if (flags & PURPLE_MESSAGE_SYSTEM)
    {
      tgp_conv_write_html (conv, flags, html, when);
      return;
    }
  if (flags & PURPLE_MESSAGE_SEND)
    who = g_strdup (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT
                    ? purple_conv_chat_get_nick (PURPLE_CONV_CHAT (conv))
                    : purple_account_get_username (ta->account));
  else
    who = tgp_message_sender_name (ta, chat, msg);
  if (who == NULL || *who == '\0')
    {
      g_free (who);
      who = g_strdup (msg->from_display_name != NULL ? msg->from_display_name : "unknown");
    }
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT)
    purple_conv_chat_write (PURPLE_CONV_CHAT (conv), who, html, flags, when);
  else
    purple_conv_im_write (PURPLE_CONV_IM (conv), who, html, flags, when);
}

static void
history_show (History *h, PurpleConversation *conv)
{
  TgpAccount *ta = h->conv.ta;
  TgSync *sync = tgp_sync_get (ta);
  const TgChat *chat = sync != NULL ? tg_sync_get_chat (sync, h->chat_id) : NULL;
  guint skip = h->count > h->wanted ? h->count - h->wanted : 0;
  g_autofree char *head = NULL;

  if (h->count == 0)
    {
      tgp_conv_write_html (conv, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG,
                           "No messages in this chat yet.", time (NULL));
      return;
    }
  head = g_strdup_printf ("Last %u message%s:", MIN (h->count, h->wanted),
                          MIN (h->count, h->wanted) == 1 ? "" : "s");
  tgp_conv_write_html (conv, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG, head, time (NULL));
  /* Pages are newest first, each oldest first: walk them backwards. */
  for (guint p = h->pages->len; p > 0; p--)
    {
      GPtrArray *page = g_ptr_array_index (h->pages, p - 1);

      for (guint i = 0; i < page->len; i++)
        {
          if (skip > 0)
            {
              skip--;
              continue;
            }
          history_write (ta, conv, chat, g_ptr_array_index (page, i));
        }
    }
  tgp_conv_write_html (conv, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG, "End of history.",
                       time (NULL));
}

static void on_history_page (GObject *source, GAsyncResult *result, gpointer data);

static void
history_fetch (History *h, const char *next_link)
{
  guint left = h->wanted - h->count;

  tg_chats_list_messages_async (h->conv.ta->graph, h->chat_id, next_link,
                                MIN (left, HISTORY_PAGE), TRUE, h->conv.ta->cancellable,
                                on_history_page, h);
}

static void
on_history_page (GObject *source, GAsyncResult *result, gpointer data)
{
  History *h = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;
  GPtrArray *page;
  PurpleConversation *conv;

  if (tgp_account_is_closed (h->conv.ta))
    {
      history_free (h);
      return;
    }
  page = tg_chats_list_messages_finish (h->conv.ta->graph, result, &next, &error);
  conv = tgp_conv_ref_get (&h->conv);
  if (conv == NULL)
    {
      if (page != NULL)
        g_ptr_array_unref (page);
      history_free (h);
      return;
    }
  if (page == NULL)
    {
      g_autofree char *line = g_strdup_printf ("Could not read the history: %s", error->message);

      tgp_conv_write_plain (conv, PURPLE_MESSAGE_ERROR, line);
      history_free (h);
      return;
    }
  g_ptr_array_add (h->pages, page);
  h->count += page->len;
  if (h->count < h->wanted && next != NULL && page->len > 0)
    {
      history_fetch (h, next);
      return;
    }
  history_show (h, conv);
  history_free (h);
}

static PurpleCmdRet
cmd_history (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  TgpAccount *ta = conv_account (conv, error);
  const char *arg = first_arg (args);
  const char *chat_id;
  long n = HISTORY_DEFAULT;
  History *h;

  if (ta == NULL)
    return PURPLE_CMD_RET_FAILED;
  if (arg != NULL)
    {
      char *end = NULL;

      n = strtol (arg, &end, 10);
      if (end == arg || *end != '\0' || n < 1)
        {
          *error = g_strdup ("Usage: /history [n] — n is a number of messages (1 or more).");
          return PURPLE_CMD_RET_FAILED;
        }
      if (n > HISTORY_MAX)
        n = HISTORY_MAX;
    }
  chat_id = tgp_chat_conv_chat_id (conv);
  if (chat_id == NULL)
    {
      *error = g_strdup ("There is no Teams chat with this person yet.");
      return PURPLE_CMD_RET_FAILED;
    }
  h = g_new0 (History, 1);
  tgp_conv_ref_init (&h->conv, ta, conv);
  h->chat_id = g_strdup (chat_id);
  h->wanted = (guint) n;
  h->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  history_fetch (h, NULL);
  return PURPLE_CMD_RET_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* /topic [text]                                                                               */

static PurpleCmdRet
cmd_topic (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  TgpAccount *ta = conv_account (conv, error);
  const char *arg = first_arg (args);
  g_autofree char *plain = NULL;

  if (ta == NULL)
    return PURPLE_CMD_RET_FAILED;
  if (arg != NULL)
    {
      plain = purple_markup_strip_html (arg);
      g_strstrip (plain);
    }
  tgp_chat_topic_command (conv, plain);
  return PURPLE_CMD_RET_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* /search <text> [from:<user>] [since:<date>] [until:<date>], /search more (tgp-search)        */

static PurpleCmdRet
cmd_search (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  TgpAccount *ta = conv_account (conv, error);

  if (ta == NULL)
    return PURPLE_CMD_RET_FAILED;
  return tgp_search_command (ta, conv, first_arg (args), error);
}

/* ------------------------------------------------------------------------------------------ */
/* Membership: /invite, /kick, /members, /leave (tgp-members.c)                                */

/* The command's argument as plain text (clients may hand markup). */
static char *
plain_arg (char **args)
{
  const char *arg = first_arg (args);

  return arg != NULL ? g_strstrip (purple_markup_strip_html (arg)) : g_strdup ("");
}

/* /invite and /kick: `command` with the argument as plain text. */
static PurpleCmdRet
run_with_plain_arg (PurpleConversation *conv, char **args, char **error,
                    gboolean (*command) (PurpleConversation *conv, const char *arg, char **error))
{
  g_autofree char *arg = NULL;

  if (conv_account (conv, error) == NULL)
    return PURPLE_CMD_RET_FAILED;
  arg = plain_arg (args);
  return command (conv, arg, error) ? PURPLE_CMD_RET_OK : PURPLE_CMD_RET_FAILED;
}

static PurpleCmdRet
cmd_invite (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  return run_with_plain_arg (conv, args, error, tgp_members_invite_command);
}

static PurpleCmdRet
cmd_kick (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  return run_with_plain_arg (conv, args, error, tgp_members_kick_command);
}

static PurpleCmdRet
cmd_members (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  if (conv_account (conv, error) == NULL)
    return PURPLE_CMD_RET_FAILED;
  tgp_members_list_command (conv);
  return PURPLE_CMD_RET_OK;
}

static PurpleCmdRet
cmd_leave (PurpleConversation *conv, const char *cmd, char **args, char **error, void *data)
{
  if (conv_account (conv, error) == NULL)
    return PURPLE_CMD_RET_FAILED;
  tgp_members_leave_command (conv);
  return PURPLE_CMD_RET_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* The table                                                                                   */

static const TgpCommand commands[] = {
  { "history", "w", IN_IM | IN_CHAT, cmd_history,
    "history [n]:  Show the last n messages of this Teams chat (default 20), system messages "
    "included, oldest first." },
  { "topic", "s", IN_CHAT, cmd_topic,
    "topic [text]:  Show the topic of this Teams group chat, or set it to text." },
  { "search", "s", IN_IM | IN_CHAT, cmd_search,
    /* Help is markup (libpurple's convention): &lt; &gt; for angle brackets. */
    "search &lt;text&gt; [from:&lt;user&gt;] [since:&lt;date&gt;] [until:&lt;date&gt;]:  "
    "Search this Teams chat's "
    "messages (words, \"phrases\"; from: a name or address; dates as YYYY-MM-DD, both "
    "included). /search more shows the next results." },
  { "delete", "w", IN_IM | IN_CHAT, tgp_msgops_cmd_delete,
    "delete [n]:  Delete your n-th last message here (default 1: the last one)." },
  { "edit", "s", IN_IM | IN_CHAT, tgp_msgops_cmd_edit,
    "edit &lt;text&gt;:  Replace the text of your last message here." },
  { "pin", "w", IN_IM | IN_CHAT, tgp_msgops_cmd_pin,
    "pin [n]:  Pin the n-th last message of this chat (default 1: the last one)." },
  { "unpin", "w", IN_IM | IN_CHAT, tgp_msgops_cmd_unpin,
    "unpin [n]:  Unpin the n-th last message of this chat (default 1)." },
  { "pinned", "", IN_IM | IN_CHAT, tgp_msgops_cmd_pinned,
    "pinned:  List the pinned messages of this chat (time, author, text)." },
  { "react", "ww", IN_IM | IN_CHAT, tgp_msgops_cmd_react,
    "react &lt;emoji&gt; [n]:  React with emoji to the n-th last message (default 1), e.g. /react \xf0\x9f\x91\x8d 2." },
  { "invite", "s", IN_IM | IN_CHAT, cmd_invite,
    "invite &lt;user&gt; [user…]:  Add people (e-mail addresses or user ids) to this Teams group chat, "
    "with the history shared. In an instant message: start a group chat with this person and "
    "them." },
  { "kick", "s", IN_CHAT, cmd_kick,
    "kick &lt;user&gt; [reason]:  Remove someone (e-mail address or user id) from this Teams group "
    "chat (Teams keeps no reason)." },
  { "members", "", IN_CHAT, cmd_members,
    "members:  List the members of this Teams group chat with their roles." },
  { "leave", "", IN_CHAT, cmd_leave,
    "leave:  Leave this Teams group chat for good (closing the window only closes it)." },
};

static PurpleCmdId command_ids[G_N_ELEMENTS (commands)];

/* ---- commands typed as text (bitlbee) ---- */

/* The command name of "/name args" (plain text), or NULL. */
static char *
typed_command_name (const char *message)
{
  g_autofree char *plain = NULL;
  const char *p, *end;

  if (message == NULL || message[0] != '/' || message[1] == '/' || message[1] == '\0')
    return NULL;
  plain = purple_markup_strip_html (message);
  p = plain + 1;
  for (end = p; *end != '\0' && !g_ascii_isspace (*end); end++)
    ;
  return end > p ? g_strndup (p, end - p) : NULL;
}

gboolean
tgp_commands_is_typed_command (PurpleConversation *conv, const char *message)
{
  g_autofree char *name = typed_command_name (message);
  gboolean known = FALSE;
  GList *cmds;

  if (name == NULL)
    return FALSE;
  cmds = purple_cmd_list (conv);
  for (GList *l = cmds; l != NULL && !known; l = l->next)
    known = g_ascii_strcasecmp (l->data, name) == 0;
  g_list_free (cmds);
  return known;
}

void
tgp_commands_run_typed (PurpleConversation *conv, const char *message)
{
  g_autofree char *plain = purple_markup_strip_html (message);
  g_autofree char *error = NULL;

  if (!purple_conversation_do_command (conv, plain + 1, message + 1, &error) && error != NULL)
    tgp_conv_feedback (conv, TRUE, "%s", error);
}

void
tgp_commands_register (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const TgpCommand *c = &commands[i];
      PurpleCmdFlag flags = PURPLE_CMD_FLAG_PRPL_ONLY | PURPLE_CMD_FLAG_ALLOW_WRONG_ARGS;

      if (command_ids[i] != 0)
        continue;
      if (c->where & IN_IM)
        flags |= PURPLE_CMD_FLAG_IM;
      if (c->where & IN_CHAT)
        flags |= PURPLE_CMD_FLAG_CHAT;
      command_ids[i] = purple_cmd_register (c->name, c->args, PURPLE_CMD_P_PRPL, flags,
                                            TGP_PLUGIN_ID, (PurpleCmdFunc) c->handler, c->help,
                                            NULL);
    }
}

void
tgp_commands_unregister (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (command_ids[i] != 0)
      {
        purple_cmd_unregister (command_ids[i]);
        command_ids[i] = 0;
      }
}
