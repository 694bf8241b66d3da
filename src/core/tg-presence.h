/* tg-presence — Teams presence through Graph: other users' availability and activity, and the
 * signed-in user's preferred presence.
 *
 * Owns:
 *   - POST /communications/getPresencesByUserId {"ids":[…]} for any number of ids: duplicates
 *     dropped, at most TG_PRESENCE_MAX_IDS ids per call, the calls made one after another (so a
 *     large buddy list never floods the server);
 *   - the parser of Graph's presence collection (null-safe: entries without an id are skipped,
 *     unknown availabilities become TG_AVAILABILITY_UNKNOWN);
 *   - POST /me/presence/setUserPreferredPresence {availability, activity, expirationDuration}
 *     (needs the delegated Presence.ReadWrite permission: a token without it gets
 *     TG_ERROR_FORBIDDEN);
 *   - POST /me/presence/setStatusMessage {statusMessage:{message:{content, contentType:"text"}}}
 *     (the user's own status message; "" clears it; also needs Presence.ReadWrite);
 *   - the readable text of an activity ("InAMeeting" → "In a meeting").
 */
#pragma once
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "tg-graph.h"

G_BEGIN_DECLS

/* Graph accepts at most this many ids in one getPresencesByUserId call. */
#define TG_PRESENCE_MAX_IDS 650

typedef enum {
  TG_AVAILABILITY_UNKNOWN,        /* PresenceUnknown, missing or not understood */
  TG_AVAILABILITY_AVAILABLE,      /* Available, AvailableIdle */
  TG_AVAILABILITY_AWAY,           /* Away, BeRightBack */
  TG_AVAILABILITY_BUSY,           /* Busy, BusyIdle (and the activities InACall, InAMeeting) */
  TG_AVAILABILITY_DO_NOT_DISTURB, /* DoNotDisturb */
  TG_AVAILABILITY_OFFLINE,        /* Offline */
} TgAvailability;

typedef struct {
  char *user_id;                  /* AAD object id, never NULL */
  TgAvailability availability;
  char *availability_name;        /* Graph's word as sent ("BeRightBack"), may be NULL */
  char *activity;                 /* Graph's word as sent ("InAMeeting"), may be NULL */
  char *status_message;           /* the user's status message as plain text, NULL when none */
} TgPresence;

void tg_presence_free (TgPresence *presence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPresence, tg_presence_free)

/* Graph's availability word → TgAvailability (case-sensitive as Graph sends it). */
TgAvailability tg_presence_availability_from_string (const char *availability);

/* The activity as a status message ("InAMeeting" → "In a meeting", an unknown "FooBar" →
 * "Foo bar"), newly allocated; NULL when it only repeats the availability (Available, Away,
 * Busy, DoNotDisturb, Offline, PresenceUnknown) or is empty. */
char *tg_presence_activity_text (const char *activity);

/* Parses a getPresencesByUserId answer ({"value":[{id, availability, activity,
 * statusMessage?:{message:{content, contentType}}}, …]}) into a GPtrArray of TgPresence*
 * (owning them); an html status message becomes plain text, a blank one none. NULL +
 * TG_ERROR_BAD_RESPONSE when there is no value array. */
GPtrArray *tg_presence_parse (JsonNode *answer, GError **error);

/* The presence of `n_ids` users (`ids` need not be unique; NULL or empty entries are skipped).
 * Result: GPtrArray of TgPresence* for the users Graph answered for, in answer order. The
 * whole operation fails with the first call that fails. */
void tg_presence_get_async (TgGraph *graph, const char *const *ids, guint n_ids,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data);
GPtrArray *tg_presence_get_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* Sets the signed-in user's preferred presence. `availability`/`activity` are Graph's words;
 * the supported pairs are Available/Available, Busy/Busy, DoNotDisturb/DoNotDisturb,
 * BeRightBack/BeRightBack, Away/Away, Offline/OffWork. `expiration` is an ISO 8601 duration
 * ("PT8H"), NULL for Graph's default. */
void tg_presence_set_preferred_async (TgGraph *graph, const char *availability,
                                      const char *activity, const char *expiration,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean tg_presence_set_preferred_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* The body of setStatusMessage for `text` (plain text; NULL or "" → the body that clears the
 * message): {"statusMessage":{"message":{"content":…,"contentType":"text"}}}. */
JsonNode *tg_presence_status_message_body (const char *text);

/* Sets (or with NULL/"" clears) the signed-in user's Teams status message. A token without
 * Presence.ReadWrite gets TG_ERROR_FORBIDDEN. */
void tg_presence_set_status_message_async (TgGraph *graph, const char *text,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean tg_presence_set_status_message_finish (TgGraph *graph, GAsyncResult *result,
                                                GError **error);

G_END_DECLS
