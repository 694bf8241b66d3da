/* tgp-presence — Teams presence in the buddy list (see tgp-presence.h). */
#include "purple/tgp-presence.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-users.h"
#include "purple/tgp-blist.h"

#define DBG "teams-graph"

struct _TgpPresence {
  GHashTable *name_to_id;   /* lower-case buddy name → user id */
  GHashTable *id_to_name;   /* user id → lower-case buddy name */
  GHashTable *known;        /* user id → TgPresence* last received */
  GHashTable *asked;        /* user ids asked for at least once this session (set) */
  guint timer;              /* the presence_interval poll */
  gboolean in_flight;       /* one fetch at a time */
  gboolean again;           /* a full poll fell due while a fetch was running */
  gboolean again_new;       /* ids never asked for arrived while a fetch was running */
  gboolean read_refused;    /* 403 on getPresencesByUserId: noted, no more polls */
  gboolean write_refused;   /* 403 on setUserPreferredPresence/setStatusMessage: noted, no
                             * more tries */
  char *sent_message;       /* the own status message last sent (plain), NULL: unknown */
};
typedef struct _TgpPresence TgpPresence;

static void fetch (TgpAccount *ta, gboolean all);

/* ------------------------------------------------------------------------------------------ */
/* Mapping                                                                                     */

const char *
tgp_presence_status_id (TgAvailability availability)
{
  switch (availability)
    {
    case TG_AVAILABILITY_AVAILABLE:
      return "available";
    case TG_AVAILABILITY_AWAY:
      return "away";
    case TG_AVAILABILITY_BUSY:
      return "busy";
    case TG_AVAILABILITY_DO_NOT_DISTURB:
      return "dnd";
    case TG_AVAILABILITY_OFFLINE:
      return "offline";
    case TG_AVAILABILITY_UNKNOWN:
    default:
      return TGP_STATUS_UNKNOWN;
    }
}

char *
tgp_presence_describe (TgpAccount *ta, const char *user_id)
{
  const TgPresence *p = tgp_presence_lookup (ta, user_id);
  PurpleStatusType *type;
  g_autofree char *activity = NULL;
  const char *name;

  if (p == NULL)
    return NULL;
  type = purple_account_get_status_type (ta->account, tgp_presence_status_id (p->availability));
  name = type != NULL ? purple_status_type_get_name (type) : p->availability_name;
  activity = tg_presence_activity_text (p->activity);
  if (activity != NULL)
    return g_strdup_printf ("%s (%s)", name, activity);
  return g_strdup (name);
}

/* The status attribute "message" of a presence: the activity and the status message joined by
 * " · ", either alone when the other is missing; NULL when both are. */
static char *
shown_message (const TgPresence *p)
{
  g_autofree char *activity = tg_presence_activity_text (p->activity);

  if (activity != NULL && p->status_message != NULL)
    return g_strdup_printf ("%s \u00b7 %s", activity, p->status_message);
  if (activity != NULL)
    return g_steal_pointer (&activity);
  return g_strdup (p->status_message);
}

char *
tgp_presence_status_text (PurpleBuddy *buddy)
{
  PurpleStatus *status = purple_presence_get_active_status (purple_buddy_get_presence (buddy));
  const char *message = status != NULL ? purple_status_get_attr_string (status, "message") : NULL;

  /* Pidgin puts this into Pango markup as it is. */
  return message != NULL && *message != '\0' ? g_markup_escape_text (message, -1) : NULL;
}

void
tgp_presence_tooltip_text (PurpleBuddy *buddy, PurpleNotifyUserInfo *info, gboolean full)
{
  PurpleConnection *gc = purple_account_get_connection (purple_buddy_get_account (buddy));
  TgpAccount *ta = tgp_account_from_gc (gc);
  const char *id;
  const TgPresence *p;
  g_autofree char *text = NULL;

  if (ta == NULL || !PURPLE_BUDDY_IS_ONLINE (buddy))
    return;
  id = tgp_presence_user_id (ta, purple_buddy_get_name (buddy));
  text = id != NULL ? tgp_presence_describe (ta, id) : NULL;
  if (text != NULL)
    purple_notify_user_info_add_pair_plaintext (info, "Status", text);
  p = tgp_presence_lookup (ta, id);
  if (p != NULL && p->status_message != NULL)
    purple_notify_user_info_add_pair_plaintext (info, "Message", p->status_message);
}

/* Pushes a presence onto the buddy, unless the buddy already shows exactly that. */
static void
apply (TgpAccount *ta, const char *name, const TgPresence *p)
{
  PurpleBuddy *buddy = purple_find_buddy (ta->account, name);
  const char *status_id = tgp_presence_status_id (p->availability);
  g_autofree char *message = shown_message (p);
  PurpleStatus *current;

  if (buddy == NULL)
    return;
  current = purple_presence_get_active_status (purple_buddy_get_presence (buddy));
  if (current != NULL && g_strcmp0 (purple_status_get_id (current), status_id) == 0
      && g_strcmp0 (purple_status_get_attr_string (current, "message"), message) == 0)
    return;
  purple_debug_misc (DBG, "presence: %s is %s%s%s\n", name, status_id, message ? ": " : "",
                     message ? message : "");
  if (message != NULL)
    purple_prpl_got_user_status (ta->account, name, status_id, "message", message, NULL);
  else
    purple_prpl_got_user_status (ta->account, name, status_id, NULL);
}

/* Maps the name to the id; TRUE when the id was never asked for. */
static gboolean
remember (TgpPresence *pr, const char *buddy_name, const char *user_id)
{
  g_autofree char *name = NULL;
  const char *old_id;

  if (buddy_name == NULL || *buddy_name == '\0' || user_id == NULL || *user_id == '\0')
    return FALSE;
  name = g_utf8_strdown (buddy_name, -1);
  old_id = g_hash_table_lookup (pr->name_to_id, name);
  if (g_strcmp0 (old_id, user_id) != 0)
    {
      if (old_id != NULL)
        g_hash_table_remove (pr->id_to_name, old_id);
      g_hash_table_replace (pr->name_to_id, g_strdup (name), g_strdup (user_id));
      g_hash_table_replace (pr->id_to_name, g_strdup (user_id), g_strdup (name));
    }
  return !g_hash_table_contains (pr->asked, user_id);
}

void
tgp_presence_remember_user (TgpAccount *ta, const char *buddy_name, const char *user_id)
{
  if (ta != NULL && ta->presence != NULL && remember (ta->presence, buddy_name, user_id))
    fetch (ta, FALSE);
}

const char *
tgp_presence_user_id (TgpAccount *ta, const char *buddy_name)
{
  g_autofree char *name = NULL;

  if (ta == NULL || ta->presence == NULL || buddy_name == NULL)
    return NULL;
  name = g_utf8_strdown (buddy_name, -1);
  return g_hash_table_lookup (ta->presence->name_to_id, name);
}

const TgPresence *
tgp_presence_lookup (TgpAccount *ta, const char *user_id)
{
  if (ta == NULL || ta->presence == NULL || user_id == NULL)
    return NULL;
  return g_hash_table_lookup (ta->presence->known, user_id);
}

void
tgp_presence_on_chats_changed (TgpAccount *ta, GPtrArray *changes)
{
  TgpPresence *pr;
  gboolean new_ids = FALSE;

  if (tgp_account_is_closed (ta) || (pr = ta->presence) == NULL || changes == NULL)
    return;
  for (guint i = 0; i < changes->len; i++)
    {
      const TgSyncChatChange *change = g_ptr_array_index (changes, i);
      g_autofree char *name = tgp_blist_buddy_name_for_chat (ta, change->chat);
      TgMember *other;
      const TgPresence *p;

      if (name == NULL)
        continue;
      other = tg_chat_other_member (change->chat, ta->self_id);
      if (other == NULL || other->user_id == NULL || *other->user_id == '\0')
        continue;
      new_ids |= remember (pr, name, other->user_id);
      /* The buddy list may have just (re)created the buddy with no presence: what we know. */
      p = g_hash_table_lookup (pr->known, other->user_id);
      if (p != NULL)
        apply (ta, name, p);
    }
  /* Once for everything that arrived together (700 chats of the first list: 2 calls). */
  if (new_ids)
    fetch (ta, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Polling                                                                                     */

static void
note (TgpAccount *ta, const char *primary, const char *secondary)
{
  purple_notify_message (ta->gc, PURPLE_NOTIFY_MSG_WARNING, "Teams presence", primary, secondary,
                         NULL, NULL);
}

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (TgpAccount) ta = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) presences = NULL;
  TgpPresence *pr;

  if (tgp_account_is_closed (ta) || (pr = ta->presence) == NULL)
    return;
  pr->in_flight = FALSE;
  presences = tg_presence_get_finish (ta->graph, result, &error);
  if (presences == NULL)
    {
      if (g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN))
        {
          pr->read_refused = TRUE;
          g_clear_handle_id (&pr->timer, g_source_remove);
          note (ta, "Your buddies' presence is not available",
                "Teams refused to show presence to this sign-in (the Presence.Read.All "
                "permission is missing). Buddies stay in the list and can be messaged.");
          return;
        }
      /* Transient or not, the next interval tries again. */
      purple_debug_warning (DBG, "presence poll failed: %s\n", error->message);
    }
  for (guint i = 0; presences != NULL && i < presences->len; i++)
    {
      TgPresence *p = g_ptr_array_index (presences, i);
      const char *name = g_hash_table_lookup (pr->id_to_name, p->user_id);

      if (name != NULL)
        apply (ta, name, p);
      if (tgp_account_is_closed (ta))
        return;
      g_hash_table_replace (pr->known, g_strdup (p->user_id), g_steal_pointer (&presences->pdata[i]));
    }
  if (pr->again || pr->again_new)
    fetch (ta, pr->again);
}

/* Asks for every known id (`all`) or only those never asked for. */
static void
fetch (TgpAccount *ta, gboolean all)
{
  TgpPresence *pr = ta->presence;
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer id, name;

  if (pr->read_refused)
    return;
  if (pr->in_flight)
    {
      if (all)
        pr->again = TRUE;
      else
        pr->again_new = TRUE;
      return;
    }
  pr->again = pr->again_new = FALSE;
  g_hash_table_iter_init (&iter, pr->id_to_name);
  while (g_hash_table_iter_next (&iter, &id, &name))
    {
      if (!all && g_hash_table_contains (pr->asked, id))
        continue;
      /* Only buddies: a chat that went, a search result not (yet) added cost nothing. */
      if (purple_find_buddy (ta->account, name) == NULL)
        continue;
      g_ptr_array_add (ids, id);
      g_hash_table_add (pr->asked, g_strdup (id));
    }
  if (ids->len == 0)
    return;
  pr->in_flight = TRUE;
  tg_presence_get_async (ta->graph, (const char *const *) ids->pdata, ids->len, ta->cancellable,
                         on_fetched, tgp_account_ref (ta));
}

static gboolean
on_interval (gpointer data)
{
  TgpAccount *ta = data;

  fetch (ta, TRUE);
  return G_SOURCE_CONTINUE;
}

void
tgp_presence_start (TgpAccount *ta)
{
  TgpPresence *pr;

  if (ta->presence != NULL)
    return;
  pr = g_new0 (TgpPresence, 1);
  pr->name_to_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pr->id_to_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pr->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) tg_presence_free);
  pr->asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pr->sent_message = g_strdup ("");
  ta->presence = pr;
  pr->timer = g_timeout_add_seconds (ta->presence_interval, on_interval, ta);
}

void
tgp_presence_stop (TgpAccount *ta)
{
  TgpPresence *pr = g_steal_pointer (&ta->presence);

  if (pr == NULL)
    return;
  g_clear_handle_id (&pr->timer, g_source_remove);
  g_hash_table_destroy (pr->name_to_id);
  g_hash_table_destroy (pr->id_to_name);
  g_hash_table_destroy (pr->known);
  g_hash_table_destroy (pr->asked);
  g_free (pr->sent_message);
  g_free (pr);
}

/* ------------------------------------------------------------------------------------------ */
/* Own status                                                                                  */

/* What the own-status setters share after their request: TRUE when it succeeded. A 403 is
 * noted once per session and stops further writes (tgp_presence_set_status checks it). */
static gboolean
own_write_done (TgpAccount *ta, GError *error, const char *what)
{
  if (error == NULL)
    return TRUE;
  if (g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN))
    {
      if (ta->presence->write_refused)
        return FALSE;
      ta->presence->write_refused = TRUE;
      note (ta, "Your status was not changed in Teams",
            "This sign-in may not set your presence (your organisation has not granted the "
            "Presence.ReadWrite permission to this app). The status you pick here is shown in "
            "this client only; your buddies' presence still works.");
      return FALSE;
    }
  purple_debug_warning (DBG, "setting your Teams %s failed: %s\n", what, error->message);
  return FALSE;
}

static void
on_preferred_set (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (TgpAccount) ta = data;
  g_autoptr (GError) error = NULL;

  if (tgp_account_is_closed (ta) || ta->presence == NULL)
    return;
  tg_presence_set_preferred_finish (ta->graph, result, &error);
  own_write_done (ta, error, "status");
}

static void
on_status_message_set (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (TgpAccount) ta = data;
  g_autoptr (GError) error = NULL;

  if (tgp_account_is_closed (ta) || ta->presence == NULL)
    return;
  tg_presence_set_status_message_finish (ta->graph, result, &error);
  /* Not known to have arrived: the next status change sends its message whatever it is. */
  if (!own_write_done (ta, error, "status message"))
    g_clear_pointer (&ta->presence->sent_message, g_free);
}

/* Sends the status's "message" attribute (Pidgin's markup → plain text) unless it is the one
 * last sent. */
static void
send_status_message (TgpAccount *ta, PurpleStatus *status)
{
  const char *typed = purple_status_get_attr_string (status, "message");
  g_autofree char *plain = g_strstrip (purple_markup_strip_html (typed != NULL ? typed : ""));
  TgpPresence *pr = ta->presence;

  if (g_strcmp0 (plain, pr->sent_message) == 0)
    return;
  g_free (pr->sent_message);
  pr->sent_message = g_strdup (plain);
  tg_presence_set_status_message_async (ta->graph, plain, ta->cancellable, on_status_message_set,
                                        tgp_account_ref (ta));
}

void
tgp_presence_set_status (PurpleAccount *account, PurpleStatus *status)
{
  static const struct {
    const char *status_id;
    const char *availability;
    const char *activity;
  } table[] = {
    { "available", "Available", "Available" },
    { "away", "Away", "Away" },
    { "busy", "Busy", "Busy" },
    { "dnd", "DoNotDisturb", "DoNotDisturb" },
  };
  TgpAccount *ta = tgp_account_from_gc (purple_account_get_connection (account));
  const char *id = status != NULL ? purple_status_get_id (status) : NULL;

  if (ta == NULL || !ta->ready || ta->presence == NULL || id == NULL)
    return;
  if (ta->presence->write_refused)
    {
      purple_debug_info (DBG, "status %s kept in this client (no Presence.ReadWrite)\n", id);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (id, table[i].status_id))
      {
        tg_presence_set_preferred_async (ta->graph, table[i].availability, table[i].activity,
                                         TGP_PRESENCE_EXPIRATION, ta->cancellable,
                                         on_preferred_set, tgp_account_ref (ta));
        send_status_message (ta, status);
        return;
      }
}

/* ------------------------------------------------------------------------------------------ */
/* Buddies the user adds                                                                       */

typedef struct {
  TgpAccount *ta;
  char *name;
} AddedBuddy;

static void
on_added_buddy_user (GObject *source, GAsyncResult *result, gpointer data)
{
  AddedBuddy *added = data;
  g_autoptr (TgpAccount) ta = added->ta;
  g_autofree char *name = added->name;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgUser) user = NULL;

  g_free (added);
  if (tgp_account_is_closed (ta))
    return;
  user = tg_users_get_finish (ta->graph, result, &error);
  if (user == NULL)
    {
      /* The buddy stays (an IM tells the user more); it just has no presence. */
      purple_debug_info (DBG, "presence: no Teams user for the buddy %s: %s\n", name, error->message);
      return;
    }
  tgp_presence_remember_user (ta, name, user->id);
}

void
tgp_presence_add_buddy (PurpleConnection *gc, PurpleBuddy *buddy, PurpleGroup *group)
{
  TgpAccount *ta = tgp_account_from_gc (gc);
  const char *name = buddy != NULL ? purple_buddy_get_name (buddy) : NULL;
  const char *id;
  AddedBuddy *added;

  if (ta == NULL || ta->presence == NULL || name == NULL)
    return;
  id = tgp_presence_user_id (ta, name);
  if (id != NULL)
    {
      const TgPresence *p = g_hash_table_lookup (ta->presence->known, id);

      if (p != NULL)
        apply (ta, name, p);
      else
        fetch (ta, FALSE);
      return;
    }
  added = g_new0 (AddedBuddy, 1);
  added->ta = tgp_account_ref (ta);
  added->name = g_strdup (name);
  tg_users_get_async (ta->graph, name, ta->cancellable, on_added_buddy_user, added);
}
