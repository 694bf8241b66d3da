/* tgp-members — group chat membership in purple clients (see tgp-members.h). */
#include "purple/tgp-members.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-members.h"
#include "purple/tgp-account.h"
#include "purple/tgp-chat.h"
#include "purple/tgp-conv.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

/* What an asynchronous call must find again: the account and where to report. */
typedef struct {
  TgpAccount *ta;
  char *chat_id;    /* the chat concerned (chat conversations) */
  char *im_name;    /* the IM conversation the command was typed in, else NULL */
  char *who;        /* the user as typed */
} Req;

static Req *
req_new (TgpAccount *ta, const char *chat_id, const char *im_name, const char *who)
{
  Req *req = g_new0 (Req, 1);

  req->ta = tgp_account_ref (ta);
  req->chat_id = g_strdup (chat_id);
  req->im_name = g_strdup (im_name);
  req->who = g_strdup (who);
  return req;
}

static void
req_free (Req *req)
{
  tgp_account_unref (req->ta);
  g_free (req->chat_id);
  g_free (req->im_name);
  g_free (req->who);
  g_free (req);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Req, req_free)

/* The people named in `text`: separated by commas, semicolons or white space; a leading '@'
 * (typed as for a mention) is dropped. */
static char **
split_users (const char *text)
{
  g_auto (GStrv) parts = g_regex_split_simple ("[\\s,;]+", text != NULL ? text : "", 0, 0);
  GPtrArray *users = g_ptr_array_new ();

  for (guint i = 0; parts != NULL && parts[i] != NULL; i++)
    {
      const char *name = parts[i][0] == '@' ? parts[i] + 1 : parts[i];

      if (*name != '\0')
        g_ptr_array_add (users, g_strdup (name));
    }
  g_ptr_array_add (users, NULL);
  return (char **) g_ptr_array_free (users, FALSE);
}

/* "Dave Brown (dave@contoso.com)", or the ref alone when nothing better is known. */
static char *
user_label (const char *name, const char *address, const char *ref)
{
  if (name != NULL && *name != '\0' && address != NULL && *address != '\0')
    return g_strdup_printf ("%s (%s)", name, address);
  if (name != NULL && *name != '\0')
    return g_strdup (name);
  return g_strdup (address != NULL && *address != '\0' ? address : ref);
}

static void
refresh_chats (TgpAccount *ta)
{
  if (tgp_sync_get (ta) != NULL)
    tg_sync_request_full_refresh (tgp_sync_get (ta));
}

/* The conversation a reply goes to: the IM it was typed in, else the chat's. */
static PurpleConversation *
req_conv (Req *req)
{
  if (tgp_account_is_closed (req->ta))
    return NULL;
  if (req->im_name != NULL)
    return purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, req->im_name,
                                                  req->ta->account);
  return tgp_chat_find_conversation (req->ta, req->chat_id);
}

static void
req_notice (Req *req, const char *text, gboolean error)
{
  PurpleConversation *conv = req_conv (req);

  if (conv != NULL)
    tgp_chat_write_notice (conv, text, error);
}

/* ------------------------------------------------------------------------------------------ */
/* New group chat (the account action, and /invite in an IM)                                  */

static void
on_group_chat_created (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  TgpAccount *ta = req->ta;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgChat) chat = NULL;

  if (tgp_account_is_closed (ta))
    return;
  chat = tg_members_create_group_chat_finish (result, &error);
  if (chat == NULL)
    {
      purple_debug_info (DBG, "group chat not created: %s\n", error->message);
      if (req->im_name != NULL)
        {
          g_autofree char *line = g_strdup_printf ("Could not start a group chat: %s",
                                                   error->message);

          req_notice (req, line, TRUE);
        }
      else
        purple_notify_error (ta->gc, "New group chat", "Could not create the group chat",
                             error->message);
      return;
    }
  purple_debug_info (DBG, "group chat created: %s\n", chat->id);
  if (req->im_name != NULL)
    {
      g_autofree char *title = tg_chat_title (chat, ta->self_id);
      g_autofree char *line = g_strdup_printf ("Started a group chat: %s", title);

      req_notice (req, line, FALSE);
    }
  tgp_chat_open (ta, chat);
  refresh_chats (ta);
}

static void
create_group_chat (TgpAccount *ta, char **members, const char *topic, const char *im_name)
{
  tg_members_create_group_chat_async (ta->refs, ta->self_id, (const char *const *) members, topic,
                                      ta->cancellable, on_group_chat_created,
                                      req_new (ta, NULL, im_name, NULL));
}

static void
on_new_group_chat_ok (PurpleConnection *gc, PurpleRequestFields *fields)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  g_auto (GStrv) members = NULL;

  if (ta == NULL || tgp_account_is_closed (ta) || !ta->ready)
    return;
  members = split_users (purple_request_fields_get_string (fields, "members"));
  if (members[0] == NULL)
    {
      purple_notify_error (gc, "New group chat", "Whom should the group chat include?",
                           "Give at least one e-mail address or user id.");
      return;
    }
  create_group_chat (ta, members, purple_request_fields_get_string (fields, "topic"), NULL);
}

/* The "New group chat" dialog; `members` pre-fills the members field (may be NULL). */
static void
ask_new_group_chat (PurpleConnection *gc, const char *members)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  PurpleRequestFields *fields;
  PurpleRequestFieldGroup *group;
  PurpleRequestField *field;

  if (ta == NULL || tgp_account_is_closed (ta) || !ta->ready)
    return;
  fields = purple_request_fields_new ();
  group = purple_request_field_group_new (NULL);
  purple_request_fields_add_group (fields, group);
  field = purple_request_field_string_new ("members", "_Members", members, FALSE);
  purple_request_field_set_required (field, TRUE);
  purple_request_field_group_add_field (group, field);
  field = purple_request_field_string_new ("topic", "_Topic (optional)", NULL, FALSE);
  purple_request_field_group_add_field (group, field);
  /* The connection is the handle: closing it closes the dialog (tgp_account_close). */
  purple_request_fields (gc, "New group chat", "New Teams group chat",
                         "Members: e-mail addresses or user ids, separated by commas. You are "
                         "included.", fields, "_Create", G_CALLBACK (on_new_group_chat_ok),
                         "_Cancel", NULL, ta->account, NULL, NULL, gc);
}

void
tgp_members_action_new_group_chat (PurplePluginAction *action)
{
  ask_new_group_chat (action != NULL ? action->context : NULL, NULL);
}

static void
on_buddy_group_chat (PurpleBlistNode *node, gpointer data)
{
  PurpleBuddy *buddy = PURPLE_BLIST_NODE_IS_BUDDY (node) ? PURPLE_BUDDY (node) : NULL;
  g_autofree char *members = NULL;

  if (buddy == NULL)
    return;
  members = g_strconcat (purple_buddy_get_name (buddy), ", ", NULL);
  ask_new_group_chat (purple_account_get_connection (purple_buddy_get_account (buddy)), members);
}

GList *
tgp_members_blist_node_menu (PurpleBlistNode *node)
{
  if (!PURPLE_BLIST_NODE_IS_BUDDY (node))
    return NULL;
  return g_list_append (NULL, purple_menu_action_new ("Start a group chat…",
                                                      PURPLE_CALLBACK (on_buddy_group_chat),
                                                      NULL, NULL));
}

/* ------------------------------------------------------------------------------------------ */
/* Adding                                                                                      */

static void
on_member_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgUser) user = NULL;
  g_autofree char *line = NULL;

  if (tgp_account_is_closed (req->ta))
    return;
  user = tg_members_add_finish (result, &error);
  if (user == NULL)
    {
      line = g_strdup_printf ("Could not add %s: %s", req->who, error->message);
      req_notice (req, line, TRUE);
      return;
    }
  {
    g_autofree char *label = user_label (user->display_name,
                                         user->mail != NULL ? user->mail : user->user_principal_name,
                                         req->who);

    line = g_strdup_printf ("Added %s to the chat.", label);
  }
  req_notice (req, line, FALSE);
  refresh_chats (req->ta);
}

static void
add_members (TgpAccount *ta, const char *chat_id, char **users)
{
  /* One request each (Graph adds one member per call). */
  for (guint i = 0; users[i] != NULL; i++)
    tg_members_add_async (ta->refs, chat_id, users[i], ta->cancellable, on_member_added,
                          req_new (ta, chat_id, NULL, users[i]));
}

void
tgp_members_chat_invite (PurpleConnection *gc, int id, const char *message, const char *who)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  PurpleConversation *conv = ta != NULL ? purple_find_chat (gc, id) : NULL;
  g_auto (GStrv) users = NULL;

  if (conv == NULL || tgp_account_is_closed (ta) || !ta->ready)
    return;
  users = split_users (who);
  if (users[0] != NULL)
    add_members (ta, tgp_chat_conv_chat_id (conv), users);
}

gboolean
tgp_members_invite_command (PurpleConversation *conv, const char *text, char **error)
{
  TgpAccount *ta = tgp_account_from_conv (conv);
  g_auto (GStrv) users = split_users (text);

  if (users[0] == NULL)
    {
      *error = g_strdup ("Usage: /invite <user> [user…] — e-mail addresses or user ids.");
      return FALSE;
    }
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_IM)
    {
      /* A one-on-one chat keeps its two members: a new group chat takes them all. */
      g_autoptr (GPtrArray) members = g_ptr_array_new ();

      g_ptr_array_add (members, (gpointer) purple_conversation_get_name (conv));
      for (guint i = 0; users[i] != NULL; i++)
        g_ptr_array_add (members, users[i]);
      g_ptr_array_add (members, NULL);
      create_group_chat (ta, (char **) members->pdata, NULL, purple_conversation_get_name (conv));
      return TRUE;
    }
  add_members (ta, tgp_chat_conv_chat_id (conv), users);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Removing, leaving                                                                           */

static void
on_member_removed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  g_autoptr (GError) error = NULL;
  TgMember *member;
  g_autofree char *line = NULL;

  if (tgp_account_is_closed (req->ta))
    return;
  member = tg_members_remove_finish (result, &error);
  if (member == NULL)
    {
      line = g_strdup_printf ("Could not remove %s: %s", req->who, error->message);
      req_notice (req, line, TRUE);
      return;
    }
  {
    g_autofree char *label = user_label (member->display_name, member->email, req->who);

    line = g_strdup_printf ("Removed %s from the chat.", label);
  }
  tg_member_free (member);
  req_notice (req, line, FALSE);
  refresh_chats (req->ta);
}

gboolean
tgp_members_kick_command (PurpleConversation *conv, const char *text, char **error)
{
  TgpAccount *ta = tgp_account_from_conv (conv);
  g_auto (GStrv) users = split_users (text);
  const char *chat_id = tgp_chat_conv_chat_id (conv);

  /* Words after the user are a reason (IRC's KICK has one, bitlbee passes it on): Teams keeps
   * none. */
  if (users[0] == NULL)
    {
      *error = g_strdup ("Usage: /kick <user> — an e-mail address or user id.");
      return FALSE;
    }
  tg_members_remove_async (ta->refs, chat_id, users[0], ta->cancellable, on_member_removed,
                           req_new (ta, chat_id, NULL, users[0]));
  return TRUE;
}

static void
on_left (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  g_autoptr (GError) error = NULL;
  PurpleConversation *conv;

  if (tgp_account_is_closed (req->ta))
    return;
  if (!tg_members_leave_finish (result, &error))
    {
      g_autofree char *line = g_strdup_printf ("Could not leave the chat: %s", error->message);

      req_notice (req, line, TRUE);
      return;
    }
  conv = req_conv (req);
  if (conv != NULL)
    {
      tgp_chat_write_notice (conv, "You left this chat.", FALSE);
      serv_got_chat_left (req->ta->gc, purple_conv_chat_get_id (PURPLE_CONV_CHAT (conv)));
    }
  refresh_chats (req->ta);
}

void
tgp_members_leave_command (PurpleConversation *conv)
{
  TgpAccount *ta = tgp_account_from_conv (conv);
  const char *chat_id = tgp_chat_conv_chat_id (conv);

  tg_members_leave_async (ta->refs, chat_id, ta->self_id, ta->cancellable, on_left,
                          req_new (ta, chat_id, NULL, NULL));
}

/* ------------------------------------------------------------------------------------------ */
/* Listing                                                                                     */

static const char *
role_label (const TgMember *m)
{
  if (tg_member_has_role (m, "owner"))
    return "owner";
  if (tg_member_has_role (m, "guest"))
    return "guest";
  return "member";
}

static void
on_members_listed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) members = NULL;
  PurpleConversation *conv;
  GString *text;

  if (tgp_account_is_closed (req->ta))
    return;
  members = tg_members_list_finish (result, &error);
  conv = req_conv (req);
  if (conv == NULL)
    return;
  if (members == NULL)
    {
      g_autofree char *line = g_strdup_printf ("Could not list the members: %s", error->message);

      tgp_chat_write_notice (conv, line, TRUE);
      return;
    }
  text = g_string_new (NULL);
  g_string_append_printf (text, "%u member%s:", members->len, members->len == 1 ? "" : "s");
  for (guint i = 0; i < members->len; i++)
    {
      const TgMember *m = g_ptr_array_index (members, i);
      g_autofree char *label = user_label (m->display_name, m->email, m->user_id);

      g_string_append_printf (text, "\n%s — %s", label, role_label (m));
    }
  tgp_conv_write_lines (conv, PURPLE_MESSAGE_SYSTEM | PURPLE_MESSAGE_NO_LOG, text->str);
  g_string_free (text, TRUE);
}

void
tgp_members_list_command (PurpleConversation *conv)
{
  TgpAccount *ta = tgp_account_from_conv (conv);
  const char *chat_id = tgp_chat_conv_chat_id (conv);

  tg_members_list_async (ta->graph, chat_id, ta->cancellable, on_members_listed,
                         req_new (ta, chat_id, NULL, NULL));
}
