/* tgp-presence — Teams presence in the buddy list, and the user's own status sent to Teams.
 *
 * Owns:
 *   - the per-account map buddy name ↔ AAD user id, fed by the one-on-one chats the sync engine
 *     announces (the other member), by user look-ups (tgp_presence_remember_user) and by
 *     buddies the user adds (prpl add_buddy: looked up by name when the id is not known);
 *   - the presence poll: after the first chat list (and whenever a buddy with an id never asked
 *     for appears) and then every presence_interval seconds, the presence of every buddy of the
 *     account whose id is known (ids without a buddy are not asked for) through
 *     tg_presence_get_async (≤ 650 ids per call), mapped onto the status types of tgp-plugin.c:
 *       Available/AvailableIdle → available, Away/BeRightBack → away,
 *       Busy/BusyIdle/InACall/InAMeeting → busy, DoNotDisturb → dnd, Offline → offline,
 *       PresenceUnknown → unknown,
 *     with the activity and the buddy's Teams status message as the status attribute
 *     "message" ("In a meeting · Working from home", either alone when the other is missing).
 *     Only changed
 *     statuses are pushed to purple. A token without Presence.Read.All (403) gets one note
 *     and ends the poll for the session;
 *   - what the clients show of it beyond the status icon: prpl status_text (Pidgin's line
 *     under the name) and tooltip_text (Pidgin's and Finch's tooltips), which libpurple leaves
 *     to the protocol — without them the activity reaches no one but bitlbee; the tooltip has
 *     a "Status" line and, when the buddy set one, a "Message" line;
 *   - prpl set_status: available/away/busy/dnd → setUserPreferredPresence (Available, Away, Busy,
 *     DoNotDisturb), lasting TGP_PRESENCE_EXPIRATION so that a status picked here does not
 *     outlive the working day in Teams; the status's "message" attribute (what the user typed,
 *     html stripped) → setStatusMessage, only when it differs from the last one sent this
 *     session (none sent yet counts as empty, so signing in never clears a message set in
 *     Teams). A token without Presence.ReadWrite (403 on either) gets one note per session and
 *     no further requests.
 * The timer goes in tgp_presence_stop; callbacks after close find the account closed.
 */
#pragma once
#include <purple.h>

#include "core/tg-presence.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

/* How long a status set in the client holds in Teams (ISO 8601 duration). */
#define TGP_PRESENCE_EXPIRATION "PT8H"

/* From tgp_account_on_ready / tgp_account_on_close. */
void tgp_presence_start (TgpAccount *ta);
void tgp_presence_stop (TgpAccount *ta);

/* New or changed chats (the sync engine's chats_changed, after the buddy list took them). */
void tgp_presence_on_chats_changed (TgpAccount *ta, GPtrArray *changes);

/* `buddy_name` (any case) is the user `user_id`: its presence is polled from now on. */
void tgp_presence_remember_user (TgpAccount *ta, const char *buddy_name, const char *user_id);

/* The user id of a buddy name (any case), NULL when not known. */
const char *tgp_presence_user_id (TgpAccount *ta, const char *buddy_name);

/* The last presence received for a user id, NULL when none (owned by the module). */
const TgPresence *tgp_presence_lookup (TgpAccount *ta, const char *user_id);

/* The purple status id (tgp-plugin.c's status types) of an availability. */
const char *tgp_presence_status_id (TgAvailability availability);

/* "Busy (In a meeting)" from the last polled presence of a user id, NULL when none. */
char *tgp_presence_describe (TgpAccount *ta, const char *user_id);

/* prpl status_text: the line Pidgin shows under a buddy's name — the Teams activity ("In a
 * meeting"), escaped as markup; NULL when it has none. */
char *tgp_presence_status_text (PurpleBuddy *buddy);
/* prpl tooltip_text: "Status: Busy (In a meeting)" for a buddy who is online (for one who is
 * not, Pidgin adds "Status: Offline" itself, and a second status line would contradict it). */
void tgp_presence_tooltip_text (PurpleBuddy *buddy, PurpleNotifyUserInfo *info, gboolean full);

/* prpl set_status. */
void tgp_presence_set_status (PurpleAccount *account, PurpleStatus *status);
/* prpl add_buddy (a buddy the user added): its presence is polled from now on; a name whose
 * user id is not known yet is looked up once (tg_users_get_async). */
void tgp_presence_add_buddy (PurpleConnection *gc, PurpleBuddy *buddy, PurpleGroup *group);

G_END_DECLS
