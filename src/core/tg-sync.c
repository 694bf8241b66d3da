/* tg-sync — the polling sync engine (see tg-sync.h for the strategy). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-sync.h"

#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"

#define STATE_MAGIC "tgs1"
#define SCAN_TOP 50
#define FETCH_TOP 50
#define SEEN_MAX 500                 /* remembered message versions per chat */
#define PAGES_MAX_STATEFUL 100       /* per chat and cycle (5000 changes) */
#define PAGES_MAX_STATELESS 10       /* unread backlog of a chat without watermark */
#define PER_CHAT_SPACING_US (G_USEC_PER_SEC)          /* ≤ 1 request per chat per second */
#define LIST_SPACING_US (G_USEC_PER_SEC / 5)          /* ≤ 5 chat-list requests per second */
#define BACKOFF_MAX_S 300
#define SENDING_GUARD_US (30 * G_USEC_PER_SEC)  /* a send never confirmed stops holding back */
#define PREFER_UNKNOWN_ENUMS "include-unknown-enum-members"

/* ------------------------------------------------------------------------------------------ */
/* state */

typedef struct
{
  char *etag;
  gint64 last_modified;
  gint64 last_edited;
  guint64 reactions;
  char **reaction_keys;      /* reaction_key () of each reaction, NULL when none */
  gboolean deleted;
} Seen;

typedef struct
{
  char *id;
  TgChat *chat;              /* last full (members) or scanned version; NULL for imported state */
  gboolean announced;        /* reported through chats_changed in this engine */
  gboolean listed;           /* present in the last full list */
  gint64 last_updated;       /* lastUpdatedDateTime acted upon */
  guint64 preview_sig;       /* fingerprint of the preview acted upon; 0 = unknown */
  gint64 preview_time;       /* its createdDateTime */
  /* watermarks */
  gboolean has_state;
  gint64 wm_modified;        /* max lastModifiedDateTime seen */
  gint64 wm_created;         /* max createdDateTime seen */
  /* pending work */
  gboolean dirty;            /* messages must be fetched */
  gint64 unread_since;       /* stateless chats: deliver only created > this */
  guint64 pending_sig;       /* preview fingerprint that made it dirty */
  gint64 pending_time;
  gint64 last_request;       /* monotonic µs of the last message request */
  gboolean force_check;      /* imported while its messages were pending: fetch it */
  guint sending;             /* sends in flight from this client (note_sending) */
  gint64 sending_since;      /* monotonic µs of the oldest of them */
  /* de-duplication: message id → Seen, oldest first in seen_order */
  GHashTable *seen;
  GQueue seen_order;
  /* reactions this client set ("<message id>\x1f<type>"): not reported back as new */
  GHashTable *own_reactions;
  /* ids of messages this client is editing or deleting: that change is not delivered */
  GHashTable *own_changes;
} ChatState;

typedef struct _Cycle Cycle;

struct _TgSync
{
  gint ref;
  TgGraph *graph;
  char *me_id;
  TgSyncCallbacks cb;
  gpointer user_data;
  guint generation;          /* bumped by stop: stale work finds a different number */
  gboolean disposed;

  GHashTable *chats;         /* id → ChatState* */
  gint64 known_time;         /* G: every preview up to this time is known */
  gboolean listed_once;
  gboolean need_full_refresh;
  gint64 last_full_refresh;  /* monotonic µs */
  gboolean catching_up;

  guint interval_s;
  guint full_refresh_s;
  guint watch_every;
  guint cycles;              /* cycles begun */
  double time_scale;
  guint failures;            /* consecutive failed cycles */
  gboolean throttled;

  gboolean running;
  GSource *timer;
  GCancellable *cancellable; /* of the running cycle and everything it does */
  Cycle *cycle;
  GPtrArray *waiters;        /* GTask*: complete when the running cycle ends */
  GPtrArray *next_waiters;   /* GTask*: want one more cycle after it */
  gint64 last_list_request;  /* monotonic µs */
};

typedef struct
{
  char *chat_id;
  char *next;                /* link of the next page, NULL before the first */
  gint64 since;              /* filter: lastModifiedDateTime gt since (0 = none) */
  gboolean stateless;
  GPtrArray *msgs;           /* TgMessage* collected */
  guint pages;
  gboolean done;
  gboolean failed;
  gboolean in_round;
  gboolean was_dirty;        /* fetched because the preview moved (not only watched) */
} Fetch;

struct _Cycle
{
  gint ref;
  TgSync *sync;              /* strong ref */
  guint generation;
  GCancellable *cancellable;
  GError *error;             /* first failure */
  gint64 known_at_start;
  gint64 max_preview;
  guint scan_pages;
  gboolean did_full_refresh;
  gboolean state_moved;
  GPtrArray *fetches;        /* Fetch* */
  GSource *wait;
  guint refreshes;           /* full lists fetched by this cycle */
  guint number;
};

static void sync_unref (TgSync *sync);
static void cycle_scan (Cycle *cycle, const char *link);
static void cycle_fetch_round (Cycle *cycle);
static void cycle_finish (Cycle *cycle);
static void schedule_next (TgSync *sync);

static void
seen_free (gpointer p)
{
  Seen *s = p;

  g_free (s->etag);
  g_strfreev (s->reaction_keys);
  g_free (s);
}

static ChatState *
chat_state_new (const char *id)
{
  ChatState *cs = g_new0 (ChatState, 1);

  cs->id = g_strdup (id);
  cs->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, seen_free);
  g_queue_init (&cs->seen_order);
  cs->own_reactions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cs->own_changes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return cs;
}

static void
chat_state_free (gpointer p)
{
  ChatState *cs = p;

  g_free (cs->id);
  if (cs->chat != NULL)
    tg_chat_unref (cs->chat);
  g_queue_clear (&cs->seen_order);   /* keys are owned by the table */
  g_hash_table_unref (cs->seen);
  g_hash_table_unref (cs->own_reactions);
  g_hash_table_unref (cs->own_changes);
  g_free (cs);
}

static ChatState *
chat_state_get (TgSync *sync, const char *id, gboolean create)
{
  ChatState *cs = g_hash_table_lookup (sync->chats, id);

  if (cs == NULL && create)
    {
      cs = chat_state_new (id);
      g_hash_table_insert (sync->chats, cs->id, cs);
    }
  return cs;
}

/* Who reacted how: "<user id>\x1f<reaction type>". Newly allocated. */
static char *
reaction_key (const TgReaction *r)
{
  return g_strconcat (r->user.id != NULL ? r->user.id : "", "\x1f",
                      r->reaction_type != NULL ? r->reaction_type : "", NULL);
}

static char **
reaction_keys (const TgMessage *msg)
{
  char **keys;

  if (msg == NULL || msg->reactions->len == 0)
    return NULL;
  keys = g_new0 (char *, msg->reactions->len + 1);
  for (guint i = 0; i < msg->reactions->len; i++)
    keys[i] = reaction_key (g_ptr_array_index (msg->reactions, i));
  return keys;
}

/* Remembers (or updates) a message version (with the reactions of `msg`, which may be NULL);
 * prunes the oldest beyond SEEN_MAX. */
static Seen *
seen_put (ChatState *cs, const char *id, const char *etag, gint64 last_modified,
          gint64 last_edited, guint64 reactions, const TgMessage *msg, gboolean deleted)
{
  Seen *s = g_hash_table_lookup (cs->seen, id);

  if (s == NULL)
    {
      char *key = g_strdup (id);

      s = g_new0 (Seen, 1);
      g_hash_table_insert (cs->seen, key, s);
      g_queue_push_tail (&cs->seen_order, key);
      while (cs->seen_order.length > SEEN_MAX)
        {
          char *old = g_queue_pop_head (&cs->seen_order);

          g_hash_table_remove (cs->seen, old);
        }
    }
  if (g_strcmp0 (s->etag, etag) != 0)
    {
      g_free (s->etag);
      s->etag = g_strdup (etag);
    }
  s->last_modified = last_modified;
  s->last_edited = last_edited;
  s->reactions = reactions;
  g_strfreev (s->reaction_keys);
  s->reaction_keys = reaction_keys (msg);
  s->deleted = deleted;
  return s;
}

/* A timeout on the thread-default main context; the caller owns the returned reference. */
static GSource *
add_timeout (guint ms, GSourceFunc fn, gpointer data, GDestroyNotify destroy)
{
  GSource *source = ms == 0 ? g_idle_source_new () : g_timeout_source_new (ms);

  g_source_set_callback (source, fn, data, destroy);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static void
drop_source (GSource **source)
{
  if (*source != NULL)
    {
      GSource *s = *source;

      *source = NULL;
      g_source_destroy (s);
      g_source_unref (s);
    }
}

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static gint64
scaled_us (TgSync *sync, gint64 us)
{
  return (gint64) ((double) us * sync->time_scale);
}

static gboolean
is_me (TgSync *sync, const char *user_id)
{
  return tg_id_equal (user_id, sync->me_id);
}

/* FNV-1a over a string, continuing from h. */
static guint64
fnv (guint64 h, const char *s)
{
  for (const char *p = s != NULL ? s : ""; *p != '\0'; p++)
    h = (h ^ (guchar) *p) * 1099511628211ULL;
  return (h ^ 0xff) * 1099511628211ULL;
}

/* Fingerprint of a chat's lastMessagePreview; 1 for "no preview" (0 means unknown). */
static guint64
preview_sig (const TgMessage *p)
{
  guint64 h = 1469598103934665603ULL;
  char num[32];

  if (p == NULL)
    return 1;
  h = fnv (h, p->id);
  g_snprintf (num, sizeof num, "%" G_GINT64_FORMAT ":%d", p->created, p->is_deleted);
  h = fnv (h, num);
  h = fnv (h, p->body);
  return h == 0 || h == 1 ? 2 : h;
}

/* ------------------------------------------------------------------------------------------ */
/* delivery (every callback goes through here: nothing runs after stop) */

static gboolean
alive (TgSync *sync, guint generation)
{
  return !sync->disposed && sync->generation == generation;
}

static void
emit_error (TgSync *sync, guint generation, const GError *error)
{
  if (alive (sync, generation) && sync->cb.error != NULL)
    sync->cb.error (sync, error, sync->user_data);
}

static void
emit_state_changed (TgSync *sync, guint generation)
{
  if (alive (sync, generation) && sync->cb.state_changed != NULL)
    sync->cb.state_changed (sync, sync->user_data);
}

static int
compare_created (gconstpointer a, gconstpointer b)
{
  const TgMessage *x = *(TgMessage *const *) a, *y = *(TgMessage *const *) b;

  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  if (x->last_modified != y->last_modified)
    return x->last_modified < y->last_modified ? -1 : 1;
  return strcmp (x->id, y->id);
}

/* The reactions of `msg` not reported before: those missing from `known` (the keys last seen),
 * or, for a message not remembered (`unknown`: after a restart, or pruned), those created after
 * the chat's watermark (older ones came with an earlier fetch). Reactions this client set
 * itself (tg_sync_note_reaction) are left out once. Borrowed pointers into msg->reactions. */
static GPtrArray *
new_reactions (TgSync *sync, ChatState *cs, const TgMessage *msg, char **known, gboolean unknown)
{
  GPtrArray *added = g_ptr_array_new ();

  for (guint i = 0; i < msg->reactions->len; i++)
    {
      TgReaction *r = g_ptr_array_index (msg->reactions, i);
      g_autofree char *key = reaction_key (r);

      if (unknown ? (r->created != 0 && r->created <= cs->wm_modified)
                  : (known != NULL && g_strv_contains ((const char *const *) known, key)))
        continue;
      if (is_me (sync, r->user.id))
        {
          g_autofree char *own = g_strconcat (msg->id, "\x1f", r->reaction_type, NULL);

          if (g_hash_table_remove (cs->own_reactions, own))
            continue;
        }
      g_ptr_array_add (added, r);
    }
  return added;
}

/* Turns the collected messages of one chat into events, in creation order; updates the
 * watermarks and the seen table. `unread_since` > 0: a chat without watermark, deliver only
 * what was created after it. Returns the number of events delivered (stops early when the
 * engine is stopped by a callback). */
static guint
process_messages (TgSync *sync, guint generation, ChatState *cs, GPtrArray *msgs,
                  gboolean stateless, gint64 unread_since)
{
  guint events = 0;
  gint64 wm_modified = cs->wm_modified, wm_created = cs->wm_created;
  gboolean had_state = cs->has_state && !stateless;

  g_ptr_array_sort (msgs, compare_created);
  for (guint i = 0; i < msgs->len; i++)
    {
      TgMessage *msg = g_ptr_array_index (msgs, i);
      Seen *seen;
      guint64 rhash;
      TgSyncMessageFlags flags = 0;
      gboolean reactions_event = FALSE;
      g_autoptr (GPtrArray) added = NULL;

      if (msg->type == TG_MESSAGE_TYPE_TYPING)
        continue;
      if (msg->chat_id == NULL)
        msg->chat_id = g_strdup (cs->id);
      wm_modified = MAX (wm_modified, msg->last_modified);
      wm_created = MAX (wm_created, msg->created);
      rhash = tg_message_reactions_hash (msg);
      seen = g_hash_table_lookup (cs->seen, msg->id);

      if (seen != NULL)
        {
          /* Same version (etag, or lastModified when there is no etag): nothing new. */
          if (msg->etag != NULL ? g_strcmp0 (seen->etag, msg->etag) == 0
                                : seen->last_modified == msg->last_modified)
            continue;
          if (msg->is_deleted && !seen->deleted)
            flags = TG_SYNC_MSG_DELETED;
          else if (!msg->is_deleted &&
                   (seen->deleted || (msg->last_edited != seen->last_edited && msg->last_edited != 0)))
            flags = TG_SYNC_MSG_EDITED;
          reactions_event = !msg->is_deleted && rhash != seen->reactions;
        }
      else if (had_state && msg->last_modified != 0 && msg->last_modified <= cs->wm_modified)
        {
          /* Covered by an earlier fetch (a server that answers "gt" inclusively). */
          seen_put (cs, msg->id, msg->etag, msg->last_modified, msg->last_edited, rhash, msg,
                    msg->is_deleted);
          continue;
        }
      else if (stateless ? msg->created > unread_since : msg->created > cs->wm_created)
        {
          /* A message not delivered before; one deleted before we ever saw it stays unseen. */
          if (!msg->is_deleted)
            flags = TG_SYNC_MSG_NEW;
        }
      else if (!stateless)
        {
          /* A change to an older message we no longer (or never) remember. */
          if (msg->is_deleted)
            flags = TG_SYNC_MSG_DELETED;
          else if (msg->last_edited != 0)
            flags = TG_SYNC_MSG_EDITED;
          else
            reactions_event = msg->reactions->len > 0;
        }
      /* An edit or delete made by this client was shown by it already. */
      if ((flags & (TG_SYNC_MSG_EDITED | TG_SYNC_MSG_DELETED))
          && g_hash_table_remove (cs->own_changes, msg->id))
        flags = 0;
      if (reactions_event && (flags & TG_SYNC_MSG_NEW) == 0)
        added = new_reactions (sync, cs, msg, seen != NULL ? seen->reaction_keys : NULL,
                               seen == NULL);
      seen_put (cs, msg->id, msg->etag, msg->last_modified, msg->last_edited, rhash, msg,
                msg->is_deleted);

      if (flags != 0)
        {
          if (tg_message_is_system (msg))
            flags |= TG_SYNC_MSG_SYSTEM;
          if (is_me (sync, msg->from_user_id))
            flags |= TG_SYNC_MSG_OWN;
          if (sync->catching_up)
            flags |= TG_SYNC_MSG_DELAYED;
          (void) tg_message_markup (msg);   /* rendered once, here */
          if (!alive (sync, generation))
            break;
          if (sync->cb.message != NULL)
            sync->cb.message (sync, msg, flags, sync->user_data);
          events++;
        }
      if (added != NULL)
        {
          if (!alive (sync, generation))
            break;
          if (sync->cb.reactions_changed != NULL)
            sync->cb.reactions_changed (sync, msg, added, sync->user_data);
          events++;
        }
    }
  if (alive (sync, generation))
    {
      cs->wm_modified = wm_modified;
      cs->wm_created = wm_created;
      if (stateless && cs->wm_created < unread_since)
        cs->wm_created = unread_since;
      cs->has_state = TRUE;
    }
  return events;
}

/* ------------------------------------------------------------------------------------------ */
/* object life */

static TgSync *
sync_ref (TgSync *sync)
{
  g_atomic_int_inc (&sync->ref);
  return sync;
}

static void
sync_unref (TgSync *sync)
{
  if (!g_atomic_int_dec_and_test (&sync->ref))
    return;
  g_assert (sync->cycle == NULL);
  g_hash_table_unref (sync->chats);
  g_ptr_array_unref (sync->waiters);
  g_ptr_array_unref (sync->next_waiters);
  g_clear_object (&sync->cancellable);
  tg_graph_unref (sync->graph);
  g_free (sync->me_id);
  g_free (sync);
}

TgSync *
tg_sync_new (TgGraph *graph, const char *me_id, const TgSyncCallbacks *callbacks,
             gpointer user_data)
{
  TgSync *sync = g_new0 (TgSync, 1);

  g_return_val_if_fail (graph != NULL, NULL);
  sync->ref = 1;
  sync->graph = tg_graph_ref (graph);
  sync->me_id = g_strdup (me_id);
  if (callbacks != NULL)
    sync->cb = *callbacks;
  sync->user_data = user_data;
  sync->chats = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, chat_state_free);
  sync->need_full_refresh = TRUE;
  sync->catching_up = TRUE;
  sync->interval_s = 5;
  sync->full_refresh_s = 1800;
  sync->watch_every = 3;
  sync->time_scale = 1.0;
  sync->waiters = g_ptr_array_new ();
  sync->next_waiters = g_ptr_array_new ();
  return sync;
}

void
tg_sync_set_poll_interval (TgSync *sync, guint seconds)
{
  sync->interval_s = MAX (seconds, 1);
}

void
tg_sync_set_full_refresh_interval (TgSync *sync, guint seconds)
{
  sync->full_refresh_s = seconds;
}

void
tg_sync_set_time_scale (TgSync *sync, double scale)
{
  sync->time_scale = scale >= 0 ? scale : 1.0;
}

void
tg_sync_request_full_refresh (TgSync *sync)
{
  sync->need_full_refresh = TRUE;
}

guint
tg_sync_next_delay_ms (TgSync *sync)
{
  double s = sync->interval_s;

  if (sync->failures > 0)
    {
      /* Doubling from the interval (from 15 s when throttled: Graph asks to slow down). */
      double base = sync->throttled ? MAX (s, 15.0) : s;

      s = MIN (base * (double) (1u << MIN (sync->failures, 12u)), (double) BACKOFF_MAX_S);
    }
  return (guint) (s * 1000.0 * sync->time_scale);
}

GPtrArray *
tg_sync_get_chats (TgSync *sync)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_chat_unref);
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, sync->chats);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      ChatState *cs = value;

      if (cs->chat != NULL && cs->announced)
        g_ptr_array_add (out, tg_chat_ref (cs->chat));
    }
  return out;
}

TgChat *
tg_sync_get_chat (TgSync *sync, const char *chat_id)
{
  ChatState *cs = chat_id != NULL ? g_hash_table_lookup (sync->chats, chat_id) : NULL;

  return cs != NULL ? cs->chat : NULL;
}

void
tg_sync_note_sending (TgSync *sync, const char *chat_id)
{
  ChatState *cs;

  if (sync == NULL || chat_id == NULL)
    return;
  cs = chat_state_get (sync, chat_id, TRUE);
  if (cs->sending++ == 0)
    cs->sending_since = now_us ();
}

static void
sending_done (ChatState *cs)
{
  if (cs->sending > 0)
    cs->sending--;
}

void
tg_sync_undeliver (TgSync *sync, const TgMessage *msg)
{
  ChatState *cs;

  if (sync == NULL || msg == NULL || msg->chat_id == NULL || msg->created <= 0)
    return;
  cs = chat_state_get (sync, msg->chat_id, FALSE);
  if (cs == NULL || !cs->has_state)
    return;
  cs->wm_created = MIN (cs->wm_created, msg->created - 1);
  if (msg->last_modified > 0)
    cs->wm_modified = MIN (cs->wm_modified, msg->last_modified - 1);
  cs->wm_modified = MIN (cs->wm_modified, cs->wm_created);
  /* Exported as changed, with the preview scan reaching back to it (safe_known_time). */
  cs->pending_time = cs->dirty && cs->pending_time > 0 ? MIN (cs->pending_time, msg->created)
                                                       : msg->created;
  cs->dirty = TRUE;
}

void
tg_sync_set_watch_every (TgSync *sync, guint cycles)
{
  sync->watch_every = cycles;
}

void
tg_sync_note_sent (TgSync *sync, const char *chat_id, const char *message_id, const char *etag)
{
  ChatState *cs;

  if (sync == NULL || chat_id == NULL)
    return;
  cs = chat_state_get (sync, chat_id, TRUE);
  sending_done (cs);
  if (message_id == NULL)
    return;
  if (g_hash_table_contains (cs->seen, message_id))
    {
      Seen *s = g_hash_table_lookup (cs->seen, message_id);

      if (etag != NULL && g_strcmp0 (s->etag, etag) != 0)
        {
          g_free (s->etag);
          s->etag = g_strdup (etag);
        }
      return;
    }
  seen_put (cs, message_id, etag, 0, 0, 0, NULL, FALSE);
}

void
tg_sync_note_sent_message (TgSync *sync, const TgMessage *msg)
{
  ChatState *cs;

  if (sync == NULL || msg == NULL || msg->chat_id == NULL)
    return;
  cs = chat_state_get (sync, msg->chat_id, TRUE);
  sending_done (cs);
  if (g_hash_table_contains (cs->seen, msg->id))
    {
      Seen *seen = g_hash_table_lookup (cs->seen, msg->id);

      /* Delivered already (the poll was quicker): keep what the poll saw. */
      if (g_strcmp0 (seen->etag, msg->etag) == 0 || seen->last_modified > 0)
        return;
    }
  seen_put (cs, msg->id, msg->etag, msg->last_modified, msg->last_edited,
            tg_message_reactions_hash (msg), msg, msg->is_deleted);
}

void
tg_sync_note_own_change (TgSync *sync, const char *chat_id, const char *message_id,
                         gboolean pending)
{
  ChatState *cs;

  if (sync == NULL || chat_id == NULL || message_id == NULL)
    return;
  cs = chat_state_get (sync, chat_id, TRUE);
  if (pending)
    g_hash_table_add (cs->own_changes, g_strdup (message_id));
  else
    g_hash_table_remove (cs->own_changes, message_id);
}

/* Bounds the memory of reactions noted but never seen back (e.g. set twice). */
#define OWN_REACTIONS_MAX 200

void
tg_sync_note_reaction (TgSync *sync, const char *chat_id, const char *message_id,
                       const char *reaction_type, gboolean pending)
{
  g_autofree char *key = NULL;
  ChatState *cs;

  if (sync == NULL || chat_id == NULL || message_id == NULL || reaction_type == NULL)
    return;
  cs = chat_state_get (sync, chat_id, TRUE);
  key = g_strconcat (message_id, "\x1f", reaction_type, NULL);
  if (!pending)
    {
      g_hash_table_remove (cs->own_reactions, key);
      return;
    }
  if (g_hash_table_size (cs->own_reactions) >= OWN_REACTIONS_MAX)
    g_hash_table_remove_all (cs->own_reactions);
  g_hash_table_add (cs->own_reactions, g_steal_pointer (&key));
}

/* ------------------------------------------------------------------------------------------ */
/* state export / import: "tgs1;<G>;<chat id>,<modified>,<created>,<preview sig>;…"
 * with times in base 36 µs and the signature in base 36. */

static void
append_b36 (GString *s, guint64 v)
{
  char buf[16];
  int i = sizeof buf;

  buf[--i] = '\0';
  do
    {
      int d = (int) (v % 36);

      buf[--i] = (char) (d < 10 ? '0' + d : 'a' + d - 10);
      v /= 36;
    }
  while (v > 0 && i > 0);
  g_string_append (s, buf + i);
}

static gboolean
parse_b36 (const char *s, guint64 *out)
{
  guint64 v = 0;

  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    {
      int d;

      if (*s >= '0' && *s <= '9')
        d = *s - '0';
      else if (*s >= 'a' && *s <= 'z')
        d = *s - 'a' + 10;
      else
        return FALSE;
      if (v > (G_MAXUINT64 - d) / 36)
        return FALSE;
      v = v * 36 + d;
    }
  *out = v;
  return TRUE;
}

/* The time up to which every chat's preview is known: G, but before any chat still waiting
 * for its messages, so that a restart looks at those again. */
static gint64
safe_known_time (TgSync *sync)
{
  gint64 g = sync->known_time;
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, sync->chats);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      ChatState *cs = value;

      if (cs->dirty && cs->pending_time > 0 && cs->pending_time - 1 < g)
        g = cs->pending_time - 1;
    }
  return MAX (g, 0);
}

char *
tg_sync_export_state (TgSync *sync)
{
  GString *s = g_string_new (STATE_MAGIC ";");
  GHashTableIter it;
  gpointer value;

  append_b36 (s, (guint64) safe_known_time (sync));
  g_hash_table_iter_init (&it, sync->chats);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      ChatState *cs = value;

      if (!cs->has_state || strpbrk (cs->id, ";,") != NULL)
        continue;
      g_string_append_c (s, ';');
      g_string_append (s, cs->id);
      g_string_append_c (s, ',');
      append_b36 (s, (guint64) cs->wm_modified);
      g_string_append_c (s, ',');
      append_b36 (s, (guint64) cs->wm_created);
      g_string_append_c (s, ',');
      /* A chat still waiting for its messages must look changed after a restart. */
      append_b36 (s, cs->dirty ? 0 : cs->preview_sig);
    }
  return g_string_free (s, FALSE);
}

gboolean
tg_sync_import_state (TgSync *sync, const char *state)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (GHashTable) chats = NULL;
  guint64 g;

  sync->catching_up = TRUE;
  if (state == NULL || *state == '\0')
    return TRUE;
  parts = g_strsplit (state, ";", -1);
  if (parts[0] == NULL || strcmp (parts[0], STATE_MAGIC) != 0 || parts[1] == NULL ||
      !parse_b36 (parts[1], &g))
    return FALSE;
  chats = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, chat_state_free);
  for (guint i = 2; parts[i] != NULL; i++)
    {
      char *entry = parts[i], *c3, *c2, *c1;
      guint64 lm, cr, sig;
      ChatState *cs;

      if (*entry == '\0')
        continue;
      if ((c3 = strrchr (entry, ',')) == NULL)
        return FALSE;
      *c3 = '\0';
      if ((c2 = strrchr (entry, ',')) == NULL)
        return FALSE;
      *c2 = '\0';
      if ((c1 = strrchr (entry, ',')) == NULL)
        return FALSE;
      *c1 = '\0';
      if (*entry == '\0' || !parse_b36 (c1 + 1, &lm) || !parse_b36 (c2 + 1, &cr) ||
          !parse_b36 (c3 + 1, &sig) || lm > G_MAXINT64 || cr > G_MAXINT64)
        return FALSE;
      cs = chat_state_new (entry);
      cs->has_state = TRUE;
      cs->wm_modified = (gint64) lm;
      cs->wm_created = (gint64) cr;
      cs->preview_sig = sig;
      cs->force_check = sig == 0;
      g_hash_table_replace (chats, cs->id, cs);
    }
  /* Everything parsed: adopt it (chats already known keep their other fields). */
  {
    GHashTableIter it;
    gpointer value;

    g_hash_table_iter_init (&it, chats);
    while (g_hash_table_iter_next (&it, NULL, &value))
      {
        ChatState *in = value, *cs = chat_state_get (sync, in->id, TRUE);

        cs->has_state = TRUE;
        cs->wm_modified = MAX (cs->wm_modified, in->wm_modified);
        cs->wm_created = MAX (cs->wm_created, in->wm_created);
        if (cs->preview_sig == 0)
          cs->preview_sig = in->preview_sig;
        cs->force_check = in->force_check;
      }
  }
  sync->known_time = MAX (sync->known_time, (gint64) g);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* cycles */

static Cycle *
cycle_ref (Cycle *cycle)
{
  cycle->ref++;
  return cycle;
}

static void
fetch_free (gpointer p)
{
  Fetch *f = p;

  g_free (f->chat_id);
  g_free (f->next);
  g_ptr_array_unref (f->msgs);
  g_free (f);
}

static void
cycle_unref (Cycle *cycle)
{
  if (--cycle->ref > 0)
    return;
  g_clear_error (&cycle->error);
  g_object_unref (cycle->cancellable);
  g_ptr_array_unref (cycle->fetches);
  sync_unref (cycle->sync);
  g_free (cycle);
}

/* TRUE when this cycle may go on (not stopped); otherwise drops it. */
static gboolean
cycle_alive (Cycle *cycle)
{
  return cycle->sync->cycle == cycle && alive (cycle->sync, cycle->generation) &&
         !g_cancellable_is_cancelled (cycle->cancellable);
}

static void
cycle_note_error (Cycle *cycle, const GError *error)
{
  if (g_error_matches (error, TG_ERROR, TG_ERROR_THROTTLED))
    cycle->sync->throttled = TRUE;
  if (cycle->error == NULL)
    cycle->error = g_error_copy (error);
}

static void
complete_tasks (GPtrArray *tasks, const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  g_ptr_array_set_size (tasks, 0);
}

static void cycle_begin (TgSync *sync);

/* Runs `fn` after `delay_us` (scaled already), or now when there is no wait. */
typedef void (*CycleStep) (Cycle *cycle);

typedef struct
{
  Cycle *cycle;
  CycleStep step;
} Wait;

static gboolean
on_wait_done (gpointer data)
{
  Wait *w = data;

  g_clear_pointer (&w->cycle->wait, g_source_unref);
  if (cycle_alive (w->cycle))
    w->step (w->cycle);
  return G_SOURCE_REMOVE;
}

static void
wait_free (gpointer data)
{
  Wait *w = data;

  cycle_unref (w->cycle);
  g_free (w);
}

static void
cycle_after (Cycle *cycle, gint64 delay_us, CycleStep step)
{
  Wait *w;

  if (delay_us <= 0)
    {
      step (cycle);
      return;
    }
  w = g_new0 (Wait, 1);
  w->cycle = cycle_ref (cycle);
  w->step = step;
  cycle->wait = add_timeout ((guint) MAX (delay_us / 1000, 1), on_wait_done, w, wait_free);
}

/* ---- step: full chat list ---- */

static guint64
members_sig (const TgChat *chat)
{
  guint64 sum = 0;

  for (guint i = 0; i < chat->members->len; i++)
    {
      const TgMember *m = g_ptr_array_index (chat->members, i);
      guint64 h = fnv (1469598103934665603ULL, m->user_id != NULL ? m->user_id : m->id);

      sum += h * 0x9e3779b97f4a7c15ULL + (h >> 31);
    }
  return sum + chat->members->len;
}

static void
change_free (gpointer p)
{
  TgSyncChatChange *c = p;

  tg_chat_unref (c->chat);
  g_free (c);
}

static void
apply_full_list (Cycle *cycle, GPtrArray *chats)
{
  TgSync *sync = cycle->sync;
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func (change_free);
  g_autoptr (GPtrArray) removed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean initial = !sync->listed_once;
  GHashTableIter it;
  gpointer value;

  for (guint i = 0; i < chats->len; i++)
    {
      TgChat *chat = g_ptr_array_index (chats, i);
      ChatState *cs = chat_state_get (sync, chat->id, TRUE);
      TgSyncChatFlags flags = 0;

      g_hash_table_add (present, chat->id);
      if (!cs->announced)
        flags = TG_SYNC_CHAT_NEW | (initial ? TG_SYNC_CHAT_INITIAL : 0);
      else if (cs->chat != NULL)
        {
          if (g_strcmp0 (cs->chat->topic, chat->topic) != 0)
            flags |= TG_SYNC_CHAT_TOPIC;
          if (!cs->chat->members_known || members_sig (cs->chat) != members_sig (chat))
            flags |= TG_SYNC_CHAT_MEMBERS;
          /* lastUpdatedDateTime moves on renames and member changes; with the topic unchanged
           * it was the members, even when the change is beyond the 25 that $expand=members
           * shows (the adapter then reads the whole member list). */
          else if (chat->last_updated > cs->last_updated && (flags & TG_SYNC_CHAT_TOPIC) == 0)
            flags |= TG_SYNC_CHAT_MEMBERS;
        }
      if (cs->chat != NULL)
        tg_chat_unref (cs->chat);
      cs->chat = tg_chat_ref (chat);
      cs->announced = TRUE;
      cs->listed = TRUE;
      cs->last_updated = MAX (cs->last_updated, chat->last_updated);
      if (flags != 0)
        {
          TgSyncChatChange *c = g_new0 (TgSyncChatChange, 1);

          c->chat = tg_chat_ref (chat);
          c->flags = flags;
          g_ptr_array_add (changes, c);
        }
    }
  g_hash_table_iter_init (&it, sync->chats);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      ChatState *cs = value;

      if (!g_hash_table_contains (present, cs->id))
        {
          g_ptr_array_add (removed, g_strdup (cs->id));
          g_hash_table_iter_remove (&it);
        }
    }
  sync->listed_once = TRUE;
  sync->need_full_refresh = FALSE;
  sync->last_full_refresh = now_us ();
  cycle->did_full_refresh = TRUE;
  if (removed->len > 0)
    cycle->state_moved = TRUE;

  if ((changes->len > 0 || initial) && alive (sync, cycle->generation) && sync->cb.chats_changed != NULL)
    sync->cb.chats_changed (sync, changes, sync->user_data);
  for (guint i = 0; i < removed->len && alive (sync, cycle->generation); i++)
    if (sync->cb.chat_removed != NULL)
      sync->cb.chat_removed (sync, g_ptr_array_index (removed, i), sync->user_data);
}

static void cycle_after_refresh (Cycle *cycle);

static void
on_full_list (GObject *source, GAsyncResult *result, gpointer data)
{
  Cycle *cycle = data;
  GError *error = NULL;
  GPtrArray *chats = tg_chats_list_my_joined_finish (cycle->sync->graph, result, &error);

  if (!cycle_alive (cycle))
    {
      g_clear_error (&error);
      if (chats != NULL)
        g_ptr_array_unref (chats);
      cycle_unref (cycle);
      return;
    }
  if (chats == NULL)
    {
      cycle_note_error (cycle, error);
      g_error_free (error);
      cycle_finish (cycle);
      cycle_unref (cycle);
      return;
    }
  apply_full_list (cycle, chats);
  g_ptr_array_unref (chats);
  if (cycle_alive (cycle))
    cycle_after_refresh (cycle);
  cycle_unref (cycle);
}

static void
cycle_full_refresh (Cycle *cycle)
{
  cycle->refreshes++;
  cycle->sync->last_list_request = now_us ();
  tg_chats_list_my_joined_async (cycle->sync->graph, TG_CHAT_TYPE_UNKNOWN, cycle->cancellable,
                                 on_full_list, cycle_ref (cycle));
}

static gboolean
full_refresh_due (TgSync *sync)
{
  if (sync->need_full_refresh || !sync->listed_once)
    return TRUE;
  return sync->full_refresh_s > 0 &&
         now_us () - sync->last_full_refresh >= (gint64) sync->full_refresh_s * G_USEC_PER_SEC;
}

/* ---- step: scan the chat list by preview time ---- */

/* Looks at one chat of the scan; TRUE when it is newer than the known state. */
static gboolean
scan_chat (Cycle *cycle, TgChat *chat)
{
  TgSync *sync = cycle->sync;
  ChatState *cs = chat_state_get (sync, chat->id, FALSE);
  gint64 ptime = chat->preview != NULL ? chat->preview->created : 0;
  guint64 sig = preview_sig (chat->preview);

  cycle->max_preview = MAX (cycle->max_preview, ptime);
  if (cs == NULL || !cs->announced)
    {
      /* A chat we have not announced: the full list will bring its members. */
      sync->need_full_refresh = TRUE;
      if (cs == NULL)
        cs = chat_state_get (sync, chat->id, TRUE);
      if (cs->chat == NULL)
        cs->chat = tg_chat_ref (chat);
    }
  else if (chat->last_updated > cs->last_updated)
    sync->need_full_refresh = TRUE;   /* renamed or members changed */

  if (cs->dirty)
    {
      /* Still pending from an earlier cycle: keep the newest fingerprint. */
      cs->pending_sig = sig;
      cs->pending_time = MAX (cs->pending_time, ptime);
      return ptime > cycle->known_at_start;
    }
  if (!cs->has_state)
    {
      if (tg_chat_is_unread (chat))
        {
          cs->dirty = TRUE;
          cs->unread_since = chat->last_read;
          cs->pending_sig = sig;
          cs->pending_time = ptime;
        }
      else
        {
          /* Everything in it is read: start watching from its newest message. */
          cs->has_state = TRUE;
          cs->wm_modified = MAX (ptime, chat->last_read);
          cs->wm_created = cs->wm_modified;
          cs->preview_sig = sig;
          cs->preview_time = ptime;
          cycle->state_moved = TRUE;
        }
    }
  else if (cs->force_check ||
           (cs->preview_sig != sig && (cs->preview_sig != 0 || ptime > cs->wm_created)))
    {
      cs->force_check = FALSE;
      cs->dirty = TRUE;
      cs->unread_since = 0;
      cs->pending_sig = sig;
      cs->pending_time = ptime;
    }
  else if (cs->preview_sig == 0)
    {
      cs->preview_sig = sig;
      cs->preview_time = ptime;
    }
  return ptime > cycle->known_at_start;
}

static void
on_scan_page (GObject *source, GAsyncResult *result, gpointer data)
{
  Cycle *cycle = data;
  TgSync *sync = cycle->sync;
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (sync->graph, result, NULL, &error);
  JsonObject *obj;
  JsonArray *value;
  const char *next;
  gboolean last_newer = FALSE;
  guint n;

  if (!cycle_alive (cycle))
    {
      g_clear_error (&error);
      cycle_unref (cycle);
      return;
    }
  obj = tg_json_node_object (node);
  value = tg_json_array (obj, "value");
  if (error == NULL && value == NULL)
    error = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                 "Bad response: the chat list has no value array");
  if (error != NULL)
    {
      cycle_note_error (cycle, error);
      g_error_free (error);
      cycle_finish (cycle);
      cycle_unref (cycle);
      return;
    }
  cycle->scan_pages++;
  n = tg_json_array_length (value);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (TgChat) chat = tg_chat_new_from_json (tg_json_array_object (value, i));

      if (chat == NULL)
        continue;
      last_newer = scan_chat (cycle, chat);
    }
  next = tg_json_string (obj, "@odata.nextLink");
  /* Another page only while this whole page was newer than what we knew. */
  if (next != NULL && *next != '\0' && n > 0 && (cycle->known_at_start == 0 || last_newer) &&
      cycle->scan_pages < 1000)
    {
      g_autofree char *link = g_strdup (next);

      cycle_scan (cycle, link);
    }
  else if (sync->need_full_refresh && cycle->refreshes < 2)
    cycle_full_refresh (cycle);
  else
    cycle_fetch_round (cycle);
  cycle_unref (cycle);
}

typedef struct
{
  Cycle *cycle;
  char *link;
} ScanWait;

static void
cycle_scan_now (Cycle *cycle, const char *link)
{
  TgCall *call;

  cycle->sync->last_list_request = now_us ();
  call = tg_call_new ("GET", link != NULL ? link
                      : "/me/chats?$expand=lastMessagePreview"
                        "&$orderby=lastMessagePreview/createdDateTime%20desc&$top=50");
  tg_call_add_header (call, "Prefer", PREFER_UNKNOWN_ENUMS);
  tg_graph_send_async (cycle->sync->graph, call, cycle->cancellable, on_scan_page,
                       cycle_ref (cycle));
}

static gboolean
on_scan_wait (gpointer data)
{
  ScanWait *w = data;

  g_clear_pointer (&w->cycle->wait, g_source_unref);
  if (cycle_alive (w->cycle))
    cycle_scan_now (w->cycle, w->link);
  return G_SOURCE_REMOVE;
}

static void
scan_wait_free (gpointer data)
{
  ScanWait *w = data;

  cycle_unref (w->cycle);
  g_free (w->link);
  g_free (w);
}

/* One page of the scan, at most 5 list requests per second. */
static void
cycle_scan (Cycle *cycle, const char *link)
{
  TgSync *sync = cycle->sync;
  gint64 wait = sync->last_list_request + scaled_us (sync, LIST_SPACING_US) - now_us ();
  ScanWait *w;

  if (sync->last_list_request == 0 || wait <= 0)
    {
      cycle_scan_now (cycle, link);
      return;
    }
  w = g_new0 (ScanWait, 1);
  w->cycle = cycle_ref (cycle);
  w->link = g_strdup (link);
  cycle->wait = add_timeout ((guint) MAX (wait / 1000, 1), on_scan_wait, w, scan_wait_free);
}

static void
cycle_after_refresh (Cycle *cycle)
{
  /* The first full list of a cycle comes before the scan; a refresh asked for by the scan
   * comes after it, and then the messages are fetched. */
  if (cycle->scan_pages == 0)
    cycle_scan (cycle, NULL);
  else
    cycle_fetch_round (cycle);
}

/* ---- step: fetch the messages of changed chats ---- */

static char *
fetch_path (Fetch *f)
{
  g_autofree char *suffix = NULL;

  if (f->next != NULL)
    return g_strdup (f->next);
  if (f->since > 0)
    {
      g_autofree char *t = tg_time_format (f->since);

      suffix = g_strdup_printf ("/messages?$top=%d&$orderby=lastModifiedDateTime%%20desc"
                                "&$filter=lastModifiedDateTime%%20gt%%20%s", FETCH_TOP, t);
    }
  else
    suffix = g_strdup_printf ("/messages?$top=%d&$orderby=lastModifiedDateTime%%20desc", FETCH_TOP);
  return tg_chats_path (f->chat_id, suffix);
}

static void
fetch_complete (Cycle *cycle, Fetch *f)
{
  TgSync *sync = cycle->sync;
  ChatState *cs = chat_state_get (sync, f->chat_id, FALSE);

  f->done = TRUE;
  if (cs == NULL)
    return;
  process_messages (sync, cycle->generation, cs, f->msgs, f->stateless, f->since);
  if (!alive (sync, cycle->generation))
    return;
  cycle->state_moved = TRUE;
  if (!f->was_dirty)
    return;   /* a watched chat: its preview fingerprint was not looked at */
  cs->dirty = FALSE;
  cs->unread_since = 0;
  cs->preview_sig = cs->pending_sig;
  cs->preview_time = MAX (cs->preview_time, cs->pending_time);
  if (cs->wm_created < cs->preview_time && f->stateless)
    cs->wm_created = cs->preview_time;
  cycle->state_moved = TRUE;
}

/* Takes one answer (a page of messages, or an error) for `f`. */
static void
fetch_take (Cycle *cycle, Fetch *f, JsonNode *body, const GError *error)
{
  JsonObject *obj = tg_json_node_object (body);
  JsonArray *value = tg_json_array (obj, "value");
  const char *next;
  guint max_pages = f->stateless ? PAGES_MAX_STATELESS : PAGES_MAX_STATEFUL;

  if (error == NULL && value == NULL)
    {
      GError *e = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                       "Bad response: a message page has no value array");

      fetch_take (cycle, f, NULL, e);
      g_error_free (e);
      return;
    }
  if (error != NULL)
    {
      f->failed = TRUE;
      if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND) ||
          g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN))
        {
          /* The chat is gone or closed to us: the full list will tell. */
          ChatState *cs = chat_state_get (cycle->sync, f->chat_id, FALSE);

          if (cs != NULL)
            cs->dirty = FALSE;
          cycle->sync->need_full_refresh = TRUE;
          return;
        }
      cycle_note_error (cycle, error);
      return;
    }
  for (guint i = 0, n = tg_json_array_length (value); i < n; i++)
    {
      TgMessage *msg = tg_message_new_from_json (tg_json_array_object (value, i), f->chat_id);

      if (msg != NULL)
        g_ptr_array_add (f->msgs, msg);
    }
  f->pages++;
  next = tg_json_string (obj, "@odata.nextLink");
  if (next != NULL && *next != '\0' && f->pages < max_pages && tg_json_array_length (value) > 0)
    {
      g_free (f->next);
      f->next = g_strdup (next);
      return;
    }
  if (!f->stateless && next != NULL && *next != '\0' && f->pages >= max_pages)
    g_warning ("chat sync: more than %u pages of changes in one chat; older ones skipped", max_pages);
  fetch_complete (cycle, f);
}

static void
on_fetch_single (GObject *source, GAsyncResult *result, gpointer data)
{
  Cycle *cycle = data;
  GError *error = NULL;
  JsonNode *node = tg_graph_send_finish (cycle->sync->graph, result, NULL, &error);

  if (cycle_alive (cycle))
    {
      for (guint i = 0; i < cycle->fetches->len; i++)
        {
          Fetch *f = g_ptr_array_index (cycle->fetches, i);

          if (f->in_round)
            {
              f->in_round = FALSE;
              fetch_take (cycle, f, node, error);
              break;
            }
        }
      if (cycle_alive (cycle))
        cycle_fetch_round (cycle);
    }
  g_clear_error (&error);
  if (node != NULL)
    json_node_unref (node);
  cycle_unref (cycle);
}

static void
on_fetch_batch (GObject *source, GAsyncResult *result, gpointer data)
{
  Cycle *cycle = data;
  GError *error = NULL;
  GPtrArray *responses = tg_graph_batch_finish (cycle->sync->graph, result, &error);

  if (cycle_alive (cycle))
    {
      guint r = 0;

      for (guint i = 0; i < cycle->fetches->len && cycle_alive (cycle); i++)
        {
          Fetch *f = g_ptr_array_index (cycle->fetches, i);

          if (!f->in_round)
            continue;
          f->in_round = FALSE;
          if (error != NULL)
            fetch_take (cycle, f, NULL, error);
          else if (r < responses->len)
            {
              TgBatchResponse *resp = g_ptr_array_index (responses, r);

              fetch_take (cycle, f, resp->body, resp->error);
            }
          else
            {
              GError *e = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                               "Bad response: a $batch answer is missing");

              fetch_take (cycle, f, NULL, e);
              g_error_free (e);
            }
          r++;
        }
      if (cycle_alive (cycle))
        cycle_fetch_round (cycle);
    }
  g_clear_error (&error);
  if (responses != NULL)
    g_ptr_array_unref (responses);
  cycle_unref (cycle);
}

static void
cycle_fetch_send (Cycle *cycle)
{
  TgSync *sync = cycle->sync;
  g_autoptr (GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_call_free);
  gint64 now = now_us ();

  for (guint i = 0; i < cycle->fetches->len; i++)
    {
      Fetch *f = g_ptr_array_index (cycle->fetches, i);
      g_autofree char *path = NULL;
      ChatState *cs;
      TgCall *call;

      if (f->done || f->failed)
        continue;
      path = fetch_path (f);
      call = tg_call_new ("GET", path);
      tg_call_add_header (call, "Prefer", PREFER_UNKNOWN_ENUMS);
      g_ptr_array_add (calls, call);
      f->in_round = TRUE;
      if ((cs = chat_state_get (sync, f->chat_id, FALSE)) != NULL)
        cs->last_request = now;
    }
  if (calls->len == 0)
    {
      cycle_finish (cycle);
      return;
    }
  if (calls->len == 1)
    {
      TgCall *call = g_ptr_array_steal_index (calls, 0);

      tg_graph_send_async (sync->graph, call, cycle->cancellable, on_fetch_single,
                           cycle_ref (cycle));
      return;
    }
  tg_graph_batch_async (sync->graph, g_steal_pointer (&calls), cycle->cancellable,
                        on_fetch_batch, cycle_ref (cycle));
}

/* Sends the next round of message requests (first pages of every changed chat, then further
 * pages), keeping each chat to one request per second. */
static void
cycle_fetch_round (Cycle *cycle)
{
  TgSync *sync = cycle->sync;
  gint64 now = now_us (), wait = 0;
  gboolean any = FALSE;

  if (cycle->fetches->len == 0)
    {
      /* First round: which chats changed, and (every watch_every cycles) which are open? */
      g_autoptr (GHashTable) open = NULL;
      GHashTableIter it;
      gpointer value;

      if (sync->cb.open_chats != NULL && sync->watch_every > 0 &&
          cycle->number % sync->watch_every == 0)
        open = sync->cb.open_chats (sync, sync->user_data);
      g_hash_table_iter_init (&it, sync->chats);
      while (g_hash_table_iter_next (&it, NULL, &value))
        {
          ChatState *cs = value;
          gboolean watch_now = open != NULL && cs->has_state && g_hash_table_contains (open, cs->id);
          Fetch *f;

          if (!cs->dirty && !watch_now)
            continue;
          /* A send of ours is in flight here: wait for its id (note_sent), next cycle. */
          if (cs->sending > 0 && now - cs->sending_since < scaled_us (sync, SENDING_GUARD_US))
            continue;
          f = g_new0 (Fetch, 1);
          f->was_dirty = cs->dirty;
          f->chat_id = g_strdup (cs->id);
          f->stateless = !cs->has_state;
          f->since = f->stateless ? cs->unread_since : cs->wm_modified;
          f->msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_message_unref);
          g_ptr_array_add (cycle->fetches, f);
        }
    }
  for (guint i = 0; i < cycle->fetches->len; i++)
    {
      Fetch *f = g_ptr_array_index (cycle->fetches, i);
      ChatState *cs;

      if (f->done || f->failed)
        continue;
      any = TRUE;
      cs = chat_state_get (sync, f->chat_id, FALSE);
      if (cs != NULL && cs->last_request > 0)
        wait = MAX (wait, cs->last_request + scaled_us (sync, PER_CHAT_SPACING_US) - now);
    }
  if (!any)
    {
      cycle_finish (cycle);
      return;
    }
  cycle_after (cycle, wait, cycle_fetch_send);
}

/* ---- begin and end ---- */

static void
cycle_finish (Cycle *cycle)
{
  TgSync *sync = cycle->sync;
  guint generation = cycle->generation;
  g_autoptr (GPtrArray) waiters = NULL;
  gboolean failed = cycle->error != NULL;

  if (!cycle_alive (cycle))
    return;
  /* Chats that were listed but never reached by the scan are older than the known time. */
  if (!failed)
    {
      GHashTableIter it;
      gpointer value;
      gint64 horizon = MAX (sync->known_time, cycle->max_preview);

      g_hash_table_iter_init (&it, sync->chats);
      while (g_hash_table_iter_next (&it, NULL, &value))
        {
          ChatState *cs = value;

          if (!cs->has_state && !cs->dirty)
            {
              cs->has_state = TRUE;
              cs->wm_modified = cs->wm_created = horizon;
              cycle->state_moved = TRUE;
            }
        }
    }
  if (cycle->max_preview > sync->known_time && cycle->scan_pages > 0)
    {
      sync->known_time = cycle->max_preview;
      cycle->state_moved = TRUE;
    }

  sync->cycle = NULL;
  waiters = g_ptr_array_new ();
  g_ptr_array_extend_and_steal (waiters, g_steal_pointer (&sync->waiters));
  sync->waiters = g_ptr_array_new ();
  if (failed)
    {
      sync->failures++;
      emit_error (sync, generation, cycle->error);
    }
  else
    {
      sync->failures = 0;
      sync->throttled = FALSE;
      sync->catching_up = FALSE;
    }
  if (cycle->state_moved)
    emit_state_changed (sync, generation);
  complete_tasks (waiters, cycle->error);
  if (!alive (sync, generation))
    return;
  if (sync->cycle != NULL)
    return;   /* a callback started one */
  if (sync->next_waiters->len > 0)
    {
      g_ptr_array_extend_and_steal (sync->waiters, g_steal_pointer (&sync->next_waiters));
      sync->next_waiters = g_ptr_array_new ();
      cycle_begin (sync);
    }
  else if (sync->running)
    schedule_next (sync);
}

static void
cycle_begin (TgSync *sync)
{
  Cycle *cycle = g_new0 (Cycle, 1);

  g_assert (sync->cycle == NULL);
  cycle->ref = 1;
  cycle->sync = sync_ref (sync);
  cycle->generation = sync->generation;
  if (sync->cancellable == NULL)
    sync->cancellable = g_cancellable_new ();
  cycle->cancellable = g_object_ref (sync->cancellable);
  cycle->known_at_start = sync->known_time;
  cycle->fetches = g_ptr_array_new_with_free_func (fetch_free);
  cycle->number = ++sync->cycles;
  sync->cycle = cycle;
  sync->throttled = FALSE;
  if (full_refresh_due (sync))
    cycle_full_refresh (cycle);
  else
    cycle_scan (cycle, NULL);
  cycle_unref (cycle);   /* the steps in flight hold their own references */
}

/* ------------------------------------------------------------------------------------------ */
/* timer, start, stop */

static gboolean
on_timer (gpointer data)
{
  TgSync *sync = data;

  g_clear_pointer (&sync->timer, g_source_unref);
  if (sync->cycle == NULL)
    cycle_begin (sync);
  /* else: the running cycle reschedules the timer when it ends */
  return G_SOURCE_REMOVE;
}

static void
schedule_next (TgSync *sync)
{
  drop_source (&sync->timer);
  sync->timer = add_timeout (MAX (tg_sync_next_delay_ms (sync), 1), on_timer, sync, NULL);
}

void
tg_sync_start (TgSync *sync)
{
  if (sync->running)
    return;
  sync->running = TRUE;
  drop_source (&sync->timer);
  sync->timer = add_timeout (0, on_timer, sync, NULL);
}

gboolean
tg_sync_is_running (TgSync *sync)
{
  return sync->running;
}

void
tg_sync_stop (TgSync *sync)
{
  g_autoptr (GError) cancelled = NULL;
  g_autoptr (GPtrArray) waiters = NULL;

  sync->running = FALSE;
  sync->generation++;
  drop_source (&sync->timer);
  if (sync->cycle != NULL)
    {
      Cycle *cycle = sync->cycle;

      sync->cycle = NULL;
      drop_source (&cycle->wait);   /* drops the wait's cycle reference */
    }
  if (sync->cancellable != NULL)
    {
      g_cancellable_cancel (sync->cancellable);
      g_clear_object (&sync->cancellable);
    }
  /* The requests in flight end as cancelled and find a stale generation. Chats left dirty
   * are fetched by the next cycle. */
  cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Sync stopped");
  waiters = g_ptr_array_new ();
  g_ptr_array_extend_and_steal (waiters, g_steal_pointer (&sync->waiters));
  g_ptr_array_extend_and_steal (waiters, g_steal_pointer (&sync->next_waiters));
  sync->waiters = g_ptr_array_new ();
  sync->next_waiters = g_ptr_array_new ();
  complete_tasks (waiters, cancelled);
}

void
tg_sync_free (TgSync *sync)
{
  if (sync == NULL)
    return;
  tg_sync_stop (sync);
  sync->disposed = TRUE;
  sync_unref (sync);
}

/* ------------------------------------------------------------------------------------------ */
/* one poll on demand */

void
tg_sync_poll_once_async (TgSync *sync, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tg_sync_poll_once_async);
  if (sync->cycle != NULL)
    {
      g_ptr_array_add (sync->next_waiters, task);
      return;
    }
  g_ptr_array_add (sync->waiters, task);
  cycle_begin (sync);
}

gboolean
tg_sync_poll_once_finish (TgSync *sync, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------------------ */
/* direct ingestion */

guint
tg_sync_ingest_page (TgSync *sync, const char *chat_id, JsonArray *messages)
{
  g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_message_unref);
  ChatState *cs;
  guint events;

  if (sync == NULL || chat_id == NULL || sync->disposed)
    return 0;
  cs = chat_state_get (sync, chat_id, TRUE);
  if (!cs->has_state)
    cs->has_state = TRUE;
  for (guint i = 0, n = tg_json_array_length (messages); i < n; i++)
    {
      TgMessage *msg = tg_message_new_from_json (tg_json_array_object (messages, i), chat_id);

      if (msg != NULL)
        g_ptr_array_add (msgs, msg);
    }
  sync_ref (sync);
  events = process_messages (sync, sync->generation, cs, msgs, FALSE, 0);
  sync_unref (sync);
  return events;
}
