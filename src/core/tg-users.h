/* tg-users — looking people up in the directory: one user's profile, and searching users by
 * name or address.
 *
 * Owns:
 *   - GET /users/{id or UPN}?$select=<profile fields>; an e-mail address that is not the UPN
 *     (Graph: 404) is tried once more as GET /users?$filter=mail eq '<address>';
 *   - GET /users?$search="displayName:<text>" OR "mail:<text>" with the header
 *     ConsistencyLevel: eventual (Graph refuses $search without it), double quotes and
 *     backslashes in the text escaped so that the user's text stays one search term.
 * Results are TgUser (tg-model.h) with the profile fields filled in.
 */
#pragma once
#include <gio/gio.h>
#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

/* The fields a profile shows. */
#define TG_USERS_PROFILE_FIELDS \
  "id,displayName,userPrincipalName,mail,userType,jobTitle,department,officeLocation," \
  "businessPhones,mobilePhone"

/* The user `ref` names (AAD id, UPN or e-mail address; surrounding spaces ignored): the one
 * directory look-up (tg-refs caches on top of it). After a 404 or 400 for something with an
 * '@', the mail filter. TG_ERROR_NOT_FOUND ("No such user: <ref>") when nobody has it (and,
 * without a request, for a ref with '/', '?', '#' or '\\'), TG_ERROR_AMBIGUOUS naming each
 * user when several have that mail address. Result: TgUser (tg_user_free). */
void tg_users_get_async (TgGraph *graph, const char *ref, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
TgUser *tg_users_get_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* The OData string literal of `value`: 'value' with each ' doubled (newly allocated). */
char *tg_users_odata_quote (const char *value);

/* The $search expression for `text` (newly allocated): "displayName:<text>" OR "mail:<text>",
 * with `"` and `\` in text escaped by a backslash. */
char *tg_users_search_expression (const char *text);

/* Users whose display name or mail has a word starting with `text`, at most `max` (1–999;
 * 0 = 25), one request. Result: GPtrArray of TgUser* (g_ptr_array_unref). Empty text →
 * TG_ERROR_BAD_REQUEST without a request. */
void tg_users_search_async (TgGraph *graph, const char *text, guint max,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
GPtrArray *tg_users_search_finish (TgGraph *graph, GAsyncResult *result, GError **error);

G_END_DECLS
