/* tg-users — directory look-ups (see tg-users.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-users.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-task.h"

typedef struct {
  TgGraph *graph;
  char *ref;
  gboolean tried_mail_filter;
} GetUser;

static void
get_user_free (gpointer data)
{
  GetUser *gu = data;

  tg_graph_unref (gu->graph);
  g_free (gu->ref);
  g_free (gu);
}

static void send_get_user (GTask *task);

static void
return_not_found (GTask *task, const char *ref)
{
  tg_task_fail_new (task, TG_ERROR_NOT_FOUND, "No such user: %s", ref);
}

/* Several users with one mail address: the error names each of them. */
static void
return_ambiguous (GTask *task, const char *ref, JsonArray *users)
{
  GString *list = g_string_new (NULL);

  for (guint i = 0; i < tg_json_array_length (users); i++)
    {
      JsonObject *u = tg_json_array_object (users, i);
      const char *name = tg_json_string (u, "displayName");
      const char *upn = tg_json_string (u, "userPrincipalName");
      const char *id = tg_json_string (u, "id");

      g_string_append_printf (list, "%s%s <%s> (%s)", i > 0 ? ", " : "",
                              name != NULL ? name : "?", upn != NULL ? upn : "?",
                              id != NULL ? id : "?");
    }
  tg_task_fail_new (task, TG_ERROR_AMBIGUOUS, "Several users have the address %s: %s", ref,
                    list->str);
  g_string_free (list, TRUE);
}

static void
on_user (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  GetUser *gu = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (gu->graph, result, NULL, &error);
  JsonObject *obj;
  TgUser *user;

  if (error != NULL)
    {
      /* 404 (no such UPN) or 400 (not a valid id): an e-mail alias may still match by mail. */
      gboolean not_that = g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND)
                          || g_error_matches (error, TG_ERROR, TG_ERROR_BAD_REQUEST);

      if (not_that && !gu->tried_mail_filter && strchr (gu->ref, '@') != NULL)
        {
          g_error_free (error);
          gu->tried_mail_filter = TRUE;
          send_get_user (task);
          return;
        }
      if (not_that)
        {
          g_error_free (error);
          return_not_found (task, gu->ref);
          return;
        }
      tg_task_fail (task, error);
      return;
    }
  obj = tg_json_node_object (node);
  if (gu->tried_mail_filter)
    {
      JsonArray *value = tg_json_array (obj, "value");

      if (tg_json_array_length (value) > 1)
        {
          return_ambiguous (task, gu->ref, value);
          return;
        }
      obj = tg_json_array_object (value, 0);
    }
  user = tg_user_new_from_json (obj);
  if (user == NULL)
    {
      return_not_found (task, gu->ref);
      return;
    }
  tg_task_done_pointer (task, user, (GDestroyNotify) tg_user_free);
}

char *
tg_users_odata_quote (const char *value)
{
  g_auto (GStrv) parts = g_strsplit (value != NULL ? value : "", "'", -1);
  g_autofree char *doubled = g_strjoinv ("''", parts);

  return g_strdup_printf ("'%s'", doubled);
}

static void
send_get_user (GTask *task)
{
  GetUser *gu = g_task_get_task_data (task);
  g_autofree char *path = NULL;

  if (!gu->tried_mail_filter)
    {
      g_autofree char *escaped = g_uri_escape_string (gu->ref, "@", TRUE);

      path = g_strdup_printf ("/users/%s?$select=" TG_USERS_PROFILE_FIELDS, escaped);
    }
  else
    {
      g_autofree char *quoted = tg_users_odata_quote (gu->ref);
      g_autofree char *filter = g_strdup_printf ("mail eq %s", quoted);
      g_autofree char *escaped = g_uri_escape_string (filter, NULL, TRUE);

      path = g_strdup_printf ("/users?$filter=%s&$select=" TG_USERS_PROFILE_FIELDS, escaped);
    }
  tg_graph_send_async (gu->graph, tg_call_new ("GET", path), g_task_get_cancellable (task),
                       on_user, task);
}

void
tg_users_get_async (TgGraph *graph, const char *ref, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  GetUser *gu = g_new0 (GetUser, 1);
  GTask *task = tg_task_new (tg_users_get_async, gu, get_user_free, cancellable, callback,
                             user_data);

  gu->graph = tg_graph_ref (graph);
  gu->ref = g_strstrip (g_strdup (ref != NULL ? ref : ""));
  if (tg_task_missing (task, "user", gu->ref))
    return;
  /* Something no user can be called (it would change the request's path): no request. */
  if (strpbrk (gu->ref, "/?#\\") != NULL)
    {
      return_not_found (task, gu->ref);
      return;
    }
  send_get_user (task);
}

TgUser *
tg_users_get_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* $search */

static void
append_escaped_term (GString *out, const char *field, const char *text)
{
  g_string_append_printf (out, "\"%s:", field);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

char *
tg_users_search_expression (const char *text)
{
  GString *out = g_string_new (NULL);

  append_escaped_term (out, "displayName", text != NULL ? text : "");
  g_string_append (out, " OR ");
  append_escaped_term (out, "mail", text != NULL ? text : "");
  return g_string_free (out, FALSE);
}

static void
on_search (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  g_autoptr (JsonNode) node = NULL;
  JsonArray *value;
  GPtrArray *users;

  if (!tg_task_send_finish (task, g_task_get_task_data (task), result, &node))
    return;
  value = tg_json_array (tg_json_node_object (node), "value");
  if (value == NULL)
    {
      tg_task_fail_bad_response (task, "users without a value array");
      return;
    }
  users = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_user_free);
  for (guint i = 0, n = tg_json_array_length (value); i < n; i++)
    {
      TgUser *user = tg_user_new_from_json (tg_json_array_object (value, i));

      if (user != NULL)
        g_ptr_array_add (users, user);
    }
  tg_task_done_pointer (task, users, (GDestroyNotify) g_ptr_array_unref);
}

void
tg_users_search_async (TgGraph *graph, const char *text, guint max, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = tg_task_new_for_graph (graph, tg_users_search_async, cancellable, callback,
                                       user_data);
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autofree char *expression = NULL, *escaped = NULL, *path = NULL;
  TgCall *call;

  if (*trimmed == '\0')
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "Nothing to search for");
      return;
    }
  if (max == 0)
    max = 25;
  expression = tg_users_search_expression (trimmed);
  escaped = g_uri_escape_string (expression, NULL, TRUE);
  path = g_strdup_printf ("/users?$search=%s&$select=" TG_USERS_PROFILE_FIELDS "&$top=%u",
                          escaped, MIN (max, 999));
  call = tg_call_new ("GET", path);
  tg_call_add_header (call, "ConsistencyLevel", "eventual");
  tg_graph_send_async (graph, call, cancellable, on_search, task);
}

GPtrArray *
tg_users_search_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}
