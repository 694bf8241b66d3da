/* tgp-profiles — Get Info and user search (see tgp-profiles.h). */
#include "purple/tgp-profiles.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-users.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-presence.h"

#define DBG "teams-graph"
#define SEARCH_TITLE "Search users"
/* Results shown at most (one request). */
#define SEARCH_MAX 25

/* The buddy name of a directory user (tgp-blist's convention), newly allocated. */
static char *
buddy_name_for_user (const TgUser *user)
{
  if (user->mail != NULL && *user->mail != '\0')
    return g_utf8_strdown (user->mail, -1);
  if (user->user_principal_name != NULL && *user->user_principal_name != '\0')
    return g_utf8_strdown (user->user_principal_name, -1);
  return g_ascii_strdown (user->id, -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Get Info                                                                                    */

typedef struct {
  TgpAccount *ta;
  char *who;
} InfoRequest;

static void
add_pair (PurpleNotifyUserInfo *info, const char *label, const char *value)
{
  if (value != NULL && *value != '\0')
    purple_notify_user_info_add_pair_plaintext (info, label, value);
}

static void
on_user_info (GObject *source, GAsyncResult *result, gpointer data)
{
  InfoRequest *req = data;
  g_autoptr (TgpAccount) ta = req->ta;
  g_autofree char *who = req->who;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgUser) user = NULL;
  g_autofree char *status = NULL;
  PurpleNotifyUserInfo *info;

  g_free (req);
  if (tgp_account_is_closed (ta))
    return;
  user = tg_users_get_finish (ta->graph, result, &error);
  info = purple_notify_user_info_new ();
  if (user == NULL)
    {
      purple_debug_info (DBG, "profile of %s: %s\n", who, error->message);
      add_pair (info, "Error", error->message);
      purple_notify_userinfo (ta->gc, who, info, NULL, NULL);
      purple_notify_user_info_destroy (info);
      return;
    }
  /* What the buddy list learns on the way: this name is this user. */
  if (purple_find_buddy (ta->account, who) != NULL)
    tgp_presence_remember_user (ta, who, user->id);
  status = tgp_presence_describe (ta, user->id);
  add_pair (info, "Name", user->display_name);
  add_pair (info, "Status", status);
  add_pair (info, "Job title", user->job_title);
  add_pair (info, "Department", user->department);
  add_pair (info, "Office", user->office_location);
  for (guint i = 0; user->business_phones[i] != NULL; i++)
    add_pair (info, "Business phone", user->business_phones[i]);
  add_pair (info, "Mobile phone", user->mobile_phone);
  add_pair (info, "E-mail", user->mail);
  add_pair (info, "User name", user->user_principal_name);
  /* With the default User.ReadBasic.All, Graph answers these fields with null (no error). */
  if (user->job_title == NULL && user->department == NULL && user->office_location == NULL
      && user->mobile_phone == NULL && user->business_phones[0] == NULL)
    add_pair (info, "Note",
              "Teams sent no job title, department, office or phone: none may be set, or "
              "your organisation has not granted this app the User.Read.All permission "
              "(User.ReadBasic.All covers names and addresses only).");
  purple_notify_userinfo (ta->gc, who, info, NULL, NULL);
  purple_notify_user_info_destroy (info);
}

void
tgp_profiles_get_info (PurpleConnection *gc, const char *who)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  const char *id;
  InfoRequest *req;

  if (ta == NULL || !ta->ready || who == NULL)
    return;
  id = tgp_presence_user_id (ta, who);
  req = g_new0 (InfoRequest, 1);
  req->ta = tgp_account_ref (ta);
  req->who = g_strdup (who);
  tg_users_get_async (ta->graph, id != NULL ? id : who, ta->cancellable, on_user_info, req);
}

/* ------------------------------------------------------------------------------------------ */
/* Search users…                                                                               */

typedef struct {
  TgpAccount *ta;
  char *text;
} SearchRequest;

/* A results dialog's user data: buddy name → user id, and the display names for aliases. */
typedef struct {
  GHashTable *ids;
  GHashTable *names;
} Found;

static void
found_free (gpointer data)
{
  Found *found = data;

  g_hash_table_destroy (found->ids);
  g_hash_table_destroy (found->names);
  g_free (found);
}

static const char *
row_name (GList *row)
{
  return g_list_nth_data (row, 1);
}

static void
on_add_buddy (PurpleConnection *gc, GList *row, gpointer data)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  Found *found = data;
  const char *name = row_name (row);

  if (ta == NULL || name == NULL)
    return;
  tgp_presence_remember_user (ta, name, g_hash_table_lookup (found->ids, name));
  purple_blist_request_add_buddy (ta->account, name, TGP_GROUP_BUDDIES,
                                  g_hash_table_lookup (found->names, name));
}

static void
on_im (PurpleConnection *gc, GList *row, gpointer data)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  const char *name = row_name (row);
  PurpleConversation *conv;

  if (ta == NULL || name == NULL)
    return;
  conv = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, name, ta->account);
  if (conv == NULL)
    conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, ta->account, name);
  purple_conversation_present (conv);
}

static void
on_search_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SearchRequest *req = data;
  g_autoptr (TgpAccount) ta = req->ta;
  g_autofree char *text = req->text;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autofree char *primary = NULL, *secondary = NULL;
  PurpleNotifySearchResults *results;
  Found *found;

  g_free (req);
  if (tgp_account_is_closed (ta))
    return;
  users = tg_users_search_finish (ta->graph, result, &error);
  if (users == NULL)
    {
      purple_notify_error (ta->gc, SEARCH_TITLE, "The user search failed", error->message);
      return;
    }
  primary = g_strdup_printf ("Teams users matching \"%s\"", text);
  if (users->len == 0)
    {
      purple_notify_info (ta->gc, SEARCH_TITLE, primary,
                          "Nobody's name or address has a word that starts like this.");
      return;
    }
  results = purple_notify_searchresults_new ();
  purple_notify_searchresults_column_add (results, purple_notify_searchresults_column_new ("Name"));
  purple_notify_searchresults_column_add (results, purple_notify_searchresults_column_new ("Address"));
  purple_notify_searchresults_column_add (results, purple_notify_searchresults_column_new ("Job title"));
  purple_notify_searchresults_column_add (results, purple_notify_searchresults_column_new ("Department"));
  found = g_new0 (Found, 1);
  found->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  found->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < users->len; i++)
    {
      const TgUser *user = g_ptr_array_index (users, i);
      char *name = buddy_name_for_user (user);
      GList *row = NULL;

      row = g_list_append (row, g_strdup (user->display_name != NULL ? user->display_name : ""));
      row = g_list_append (row, g_strdup (name));
      row = g_list_append (row, g_strdup (user->job_title != NULL ? user->job_title : ""));
      row = g_list_append (row, g_strdup (user->department != NULL ? user->department : ""));
      purple_notify_searchresults_row_add (results, row);
      g_hash_table_replace (found->names, g_strdup (name), g_strdup (user->display_name));
      g_hash_table_replace (found->ids, name, g_strdup (user->id));
    }
  purple_notify_searchresults_button_add_labeled (results, "Add buddy", on_add_buddy);
  purple_notify_searchresults_button_add_labeled (results, "IM", on_im);
  secondary = users->len >= SEARCH_MAX
              ? g_strdup_printf ("The first %u; type more of the name to narrow it down.", users->len)
              : g_strdup_printf ("%u found.", users->len);
  if (purple_notify_searchresults (ta->gc, SEARCH_TITLE, primary, secondary, results,
                                   found_free, found) == NULL)
    {
      /* A client without a results window (libpurple has already called found_free): the
       * results are ours to free. Clients that show them free them when the window closes. */
      purple_notify_searchresults_free (results);
    }
}

static void
on_search_text (gpointer data, const char *text)
{
  TgpAccount *ta = tgp_account_from_gc (data);
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  SearchRequest *req;

  if (ta == NULL)
    return;
  if (*trimmed == '\0')
    {
      purple_notify_error (ta->gc, SEARCH_TITLE, "Nothing to search for",
                           "Type a name or an address, or the start of one.");
      return;
    }
  req = g_new0 (SearchRequest, 1);
  req->ta = tgp_account_ref (ta);
  req->text = g_strdup (trimmed);
  tg_users_search_async (ta->graph, trimmed, SEARCH_MAX, ta->cancellable, on_search_done, req);
}

void
tgp_profiles_search_action (PurplePluginAction *action)
{
  PurpleConnection *gc = action->context;
  TgpAccount *ta = tgp_account_from_gc (gc);

  if (ta == NULL || !ta->ready)
    return;
  /* The dialog belongs to the connection: closing the account closes it (tgp-account.c). */
  purple_request_input (gc, SEARCH_TITLE, "Search Teams users",
                        "A name or an address; the start of any word of it is enough.", NULL,
                        FALSE, FALSE, NULL, "_Search", G_CALLBACK (on_search_text), "_Cancel",
                        NULL, ta->account, NULL, NULL, gc);
}
