/* tgp-profiles — people in the directory: Get Info and the "Search users…" account action.
 *
 * Owns:
 *   - prpl get_info on a buddy or a chat participant: the user (by AAD id when the buddy's id is
 *     known, else by the name: UPN or mail, tg_users_get_async) shown with
 *     purple_notify_userinfo: name, Teams status (when polled), job title, department, office,
 *     business and mobile phones, e-mail, user name (UPN); a failure is shown in the same
 *     window ("Error");
 *   - the action "Search users…": a request input, then tg_users_search_async, then
 *     purple_notify_searchresults with the columns Name, Address, Job title, Department and
 *     the buttons "Add buddy" (purple_blist_request_add_buddy into the "Teams" group, alias =
 *     display name; the user id is handed to tgp-presence) and "IM" (opens a conversation; the
 *     chat is created with the first message, tgp-im).
 * Addresses in results are buddy names as tgp-blist names people: lower-case mail, else UPN.
 */
#pragma once
#include <purple.h>

#include "purple/tgp-account.h"

G_BEGIN_DECLS

#define TGP_ACTION_SEARCH_USERS "Search users…"

/* prpl get_info. */
void tgp_profiles_get_info (PurpleConnection *gc, const char *who);

/* The account action TGP_ACTION_SEARCH_USERS (action->context is the connection). */
void tgp_profiles_search_action (PurplePluginAction *action);

G_END_DECLS
