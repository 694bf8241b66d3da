/* tgp-all-messages — "Recent messages in all chats…" (see tgp-all-messages.h). */
#include "purple/tgp-all-messages.h"

#include <string.h>

#include "core/tg-all-messages.h"
#include "core/tg-error.h"
#include "core/tg-search.h"
#include "purple/tgp-account.h"
#include "purple/tgp-message.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"
#define TITLE "Recent messages in all chats"
#define DEFAULT_COUNT 50
#define MAX_COUNT 500
#define LINE_CHARS 200

#define PERMISSION_PRIMARY "Recent messages in all chats needs an application permission"
#define PERMISSION_EXPLANATION \
  "Microsoft Graph lists the messages of all chats (getAllMessages) only to applications: it " \
  "needs the Chat.Read.All or Chat.ReadWrite.All application permission, granted by an " \
  "administrator of your organisation (admin consent), and it is a metered API, billed per " \
  "message (model=A or model=B). A signed-in account like this one (delegated permissions) " \
  "always gets \"403 Forbidden\" there.\n\nTo find messages, use /search or /history in a " \
  "conversation."

/* "time — chat — author: text", as markup. */
static void
append_message (GString *out, TgpAccount *ta, TgMessage *msg)
{
  TgSync *sync = tgp_sync_get (ta);
  const TgChat *chat = sync != NULL && msg->chat_id != NULL ? tg_sync_get_chat (sync, msg->chat_id) : NULL;
  g_autofree char *title = chat != NULL ? tg_chat_title (chat, ta->self_id) : NULL;
  g_autofree char *text = NULL, *esc_title = NULL, *esc_text = NULL;
  time_t t = (time_t) (msg->created / G_USEC_PER_SEC);
  struct tm tm;
  const char *author = msg->from_display_name != NULL ? msg->from_display_name : msg->from_app_name;

  if (tg_message_is_system (msg))
    {
      text = tg_message_system_text (msg);
      author = NULL;
    }
  else if (msg->is_deleted)
    text = g_strdup ("(deleted a message)");
  else
    text = tgp_message_excerpt (msg, LINE_CHARS);
  esc_title = g_markup_escape_text (title != NULL ? title : msg->chat_id != NULL ? msg->chat_id : "?", -1);
  esc_text = g_markup_escape_text (text != NULL ? text : "", -1);
  g_string_append_printf (out, "<b>%s</b> — <i>%s</i> — ",
                          msg->created > 0 && localtime_r (&t, &tm) != NULL
                          ? purple_utf8_strftime ("%Y-%m-%d %H:%M", &tm) : "?", esc_title);
  if (author != NULL && *author != '\0')
    {
      g_autofree char *esc_author = g_markup_escape_text (author, -1);

      g_string_append_printf (out, "%s: ", esc_author);
    }
  g_string_append_printf (out, "%s<br>", esc_text);
}

static void
on_all_messages (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (TgpAccount) ta = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) msgs = NULL;
  g_autoptr (GString) html = NULL;
  g_autofree char *primary = NULL;

  if (tgp_account_is_closed (ta))
    return;
  msgs = tg_all_messages_list_finish (ta->graph, result, &error);
  if (msgs == NULL)
    {
      purple_debug_info (DBG, "getAllMessages failed: %s\n", error->message);
      if (g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN))
        purple_notify_message (ta->gc, PURPLE_NOTIFY_MSG_ERROR, TITLE, PERMISSION_PRIMARY,
                               PERMISSION_EXPLANATION, NULL, NULL);
      else
        purple_notify_error (ta->gc, TITLE, "Cannot list the recent messages", error->message);
      return;
    }
  if (msgs->len == 0)
    {
      purple_notify_info (ta->gc, TITLE, "No messages in that time range.", NULL);
      return;
    }
  html = g_string_new (NULL);
  for (guint i = 0; i < msgs->len; i++)
    append_message (html, ta, g_ptr_array_index (msgs, i));
  primary = g_strdup_printf ("%u message%s, newest first", msgs->len, msgs->len == 1 ? "" : "s");
  purple_notify_formatted (ta->gc, TITLE, primary, NULL, html->str, NULL, NULL);
}

/* An optional bound from the dialog: empty = none. */
static gboolean
read_bound (PurpleRequestFields *fields, const char *id, gboolean end_of_day, gint64 *usec,
            GError **error)
{
  const char *text = purple_request_fields_get_string (fields, id);
  g_autofree char *s = g_strstrip (g_strdup (text != NULL ? text : ""));

  *usec = 0;
  return *s == '\0' || tg_search_parse_date (s, end_of_day, usec, NULL, error);
}

static void
on_dialog_ok (PurpleConnection *gc, PurpleRequestFields *fields)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  g_autoptr (GError) error = NULL;
  gint64 since, until;
  int count;

  if (ta == NULL || tgp_account_is_closed (ta) || !ta->ready)
    return;
  count = purple_request_fields_get_integer (fields, "count");
  if (!read_bound (fields, "since", FALSE, &since, &error) ||
      !read_bound (fields, "until", TRUE, &until, &error))
    {
      purple_notify_error (gc, TITLE, "Cannot list the recent messages", error->message);
      return;
    }
  if (count < 1 || count > MAX_COUNT)
    {
      g_autofree char *msg = g_strdup_printf ("The number of messages must be 1 to %d.", MAX_COUNT);

      purple_notify_error (gc, TITLE, "Cannot list the recent messages", msg);
      return;
    }
  if (since > 0 && until > 0 && since >= until)
    {
      purple_notify_error (gc, TITLE, "Cannot list the recent messages",
                           "The start of the time range is not before its end.");
      return;
    }
  tg_all_messages_list_async (ta->graph, ta->self_id, since, until, (guint) count,
                              ta->cancellable, on_all_messages, tgp_account_ref (ta));
}

static void
on_action (PurplePluginAction *action)
{
  PurpleConnection *gc = action->context;
  TgpAccount *ta = tgp_account_from_gc (gc);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) day_ago = g_date_time_add_days (now, -1);
  g_autofree char *since = g_date_time_format (day_ago, "%Y-%m-%dT%H:%MZ");
  PurpleRequestFields *fields;
  PurpleRequestFieldGroup *group;

  if (ta == NULL || tgp_account_is_closed (ta) || !ta->ready)
    return;
  fields = purple_request_fields_new ();
  group = purple_request_field_group_new (NULL);
  purple_request_fields_add_group (fields, group);
  purple_request_field_group_add_field (
    group, purple_request_field_string_new ("since", "From (YYYY-MM-DD or ISO 8601 time, UTC; "
                                                     "empty: no limit)", since, FALSE));
  purple_request_field_group_add_field (
    group, purple_request_field_string_new ("until", "Until (empty: now)", "", FALSE));
  purple_request_field_group_add_field (
    group, purple_request_field_int_new ("count", "Number of messages", DEFAULT_COUNT));
  /* The dialog belongs to the connection: libpurple closes it when the connection goes, so
   * `gc` is valid whenever a callback runs. */
  purple_request_fields (gc, TITLE, "Recent messages in all your Teams chats",
                         "Needs an application permission that signed-in accounts do not have; "
                         "Microsoft Graph says so when asked.",
                         fields, "_Show", G_CALLBACK (on_dialog_ok), "_Cancel", NULL,
                         ta->account, NULL, NULL, gc);
}

PurplePluginAction *
tgp_all_messages_action_new (void)
{
  return purple_plugin_action_new (TGP_ALL_MESSAGES_ACTION, on_action);
}
