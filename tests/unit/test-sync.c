/* Unit tests for tg-sync, the polling sync engine, against the Graph emulator in-process.
 *
 * The engine runs without its timer: each test drives tg_sync_poll_once_async and waits by
 * iterating the main context (20 s hang guard). Request costs are read from the emulator's
 * request log (fake_graph_count). No assertion depends on how long anything took.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-sync.h"
#include "fake-graph/fake-graph.h"

#define FAST 0.001
#define ME "me@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define DAVE "dave@contoso.com"
#define BOB_ID(fx) fake_graph_user_id ((fx)->fg, BOB)

/* ------------------------------------------------------------------------------------------ */
/* recorded events */

typedef enum { EV_CHATS, EV_REMOVED, EV_MESSAGE, EV_REACTIONS, EV_ERROR } EventKind;

typedef struct {
  EventKind kind;
  char *chat_id;
  TgMessage *msg;
  guint flags;
  guint added;           /* EV_REACTIONS: how many reactions were new */
  GPtrArray *changes;    /* EV_CHATS: TgSyncChatChange copies */
  GError *error;
} Event;

static void
event_free (gpointer p)
{
  Event *e = p;

  g_free (e->chat_id);
  if (e->msg != NULL)
    tg_message_unref (e->msg);
  if (e->changes != NULL)
    g_ptr_array_unref (e->changes);
  g_clear_error (&e->error);
  g_free (e);
}

static void
change_copy_free (gpointer p)
{
  TgSyncChatChange *c = p;

  tg_chat_unref (c->chat);
  g_free (c);
}

typedef struct {
  GfFixture *gf;
  FakeGraph *fg;               /* shorthands for gf's */
  TgGraph *graph;
  const char *me_id;
  TgSync *sync;
  GPtrArray *events;
  guint state_changes;
  gboolean forbid_callbacks;   /* after stop: any callback fails the test */
  GHashTable *open_chats;      /* what cb_open_chats answers (NULL: nothing open) */
} Fx;

static Event *
event_add (Fx *fx, EventKind kind)
{
  Event *e = g_new0 (Event, 1);

  g_assert_false (fx->forbid_callbacks);
  e->kind = kind;
  g_ptr_array_add (fx->events, e);
  return e;
}

static void
cb_chats_changed (TgSync *sync, GPtrArray *changes, gpointer data)
{
  Event *e = event_add (data, EV_CHATS);

  e->changes = g_ptr_array_new_with_free_func (change_copy_free);
  for (guint i = 0; i < changes->len; i++)
    {
      TgSyncChatChange *src = g_ptr_array_index (changes, i), *c = g_new0 (TgSyncChatChange, 1);

      c->chat = tg_chat_ref (src->chat);
      c->flags = src->flags;
      g_ptr_array_add (e->changes, c);
    }
}

static void
cb_chat_removed (TgSync *sync, const char *chat_id, gpointer data)
{
  event_add (data, EV_REMOVED)->chat_id = g_strdup (chat_id);
}

static void
cb_message (TgSync *sync, TgMessage *msg, TgSyncMessageFlags flags, gpointer data)
{
  Event *e = event_add (data, EV_MESSAGE);

  g_assert_nonnull (msg->chat_id);
  e->chat_id = g_strdup (msg->chat_id);
  e->msg = tg_message_ref (msg);
  e->flags = flags;
}

static void
cb_reactions (TgSync *sync, TgMessage *msg, GPtrArray *added, gpointer data)
{
  Event *e = event_add (data, EV_REACTIONS);

  g_assert_nonnull (added);
  e->added = added->len;

  e->chat_id = g_strdup (msg->chat_id);
  e->msg = tg_message_ref (msg);
}

static void
cb_error (TgSync *sync, const GError *error, gpointer data)
{
  event_add (data, EV_ERROR)->error = g_error_copy (error);
}

static void
cb_state_changed (TgSync *sync, gpointer data)
{
  Fx *fx = data;

  g_assert_false (fx->forbid_callbacks);
  fx->state_changes++;
}

static GHashTable *
cb_open_chats (TgSync *sync, gpointer data)
{
  Fx *fx = data;

  return fx->open_chats != NULL ? g_hash_table_ref (fx->open_chats) : NULL;
}

static const TgSyncCallbacks callbacks = {
  .chats_changed = cb_chats_changed,
  .chat_removed = cb_chat_removed,
  .message = cb_message,
  .reactions_changed = cb_reactions,
  .error = cb_error,
  .state_changed = cb_state_changed,
  .open_chats = cb_open_chats,
};

static guint
count_events (Fx *fx, EventKind kind)
{
  guint n = 0;

  for (guint i = 0; i < fx->events->len; i++)
    n += ((Event *) g_ptr_array_index (fx->events, i))->kind == kind;
  return n;
}

/* The i-th event of `kind` (NULL when there are fewer). */
static Event *
nth_event (Fx *fx, EventKind kind, guint i)
{
  for (guint k = 0; k < fx->events->len; k++)
    {
      Event *e = g_ptr_array_index (fx->events, k);

      if (e->kind == kind && i-- == 0)
        return e;
    }
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* fixture */

/* Me, Bob, Carol and Dave, signed in as me. */
static Fx *
fx_new (void)
{
  Fx *fx = g_new0 (Fx, 1);

  fx->gf = gf_fixture_add_users (gf_fixture_new (ME), BOB, "Bob Builder", CAROL, "Carol", DAVE,
                                 "Dave", NULL);
  fx->fg = fx->gf->fg;
  fx->graph = fx->gf->graph;
  fx->me_id = fx->gf->me_id;
  fx->events = g_ptr_array_new_with_free_func (event_free);
  return fx;
}

static void
fx_start_engine (Fx *fx, const char *state)
{
  fx->sync = tg_sync_new (fx->graph, fx->me_id, &callbacks, fx);
  tg_sync_set_time_scale (fx->sync, FAST);
  if (state != NULL)
    g_assert_true (tg_sync_import_state (fx->sync, state));
}

static void
fx_free (Fx *fx)
{
  g_clear_pointer (&fx->sync, tg_sync_free);
  gf_fixture_free (fx->gf);
  g_ptr_array_unref (fx->events);
  g_clear_pointer (&fx->open_chats, g_hash_table_unref);
  g_free (fx);
}

typedef struct {
  TgSync *sync;
  gboolean done;
  gboolean ok;
  GError *error;
} PollResult;

static void
on_polled (GObject *source, GAsyncResult *result, gpointer data)
{
  PollResult *r = data;

  /* the engine may be gone already: finish does not need it */
  r->ok = tg_sync_poll_once_finish (r->sync, result, &r->error);
  r->done = TRUE;
}

/* One poll cycle; returns its error (NULL on success). */
static GError *
poll_once (Fx *fx)
{
  PollResult r = { fx->sync, FALSE, FALSE, NULL };

  tg_sync_poll_once_async (fx->sync, NULL, on_polled, &r);
  gf_wait_flag (&r.done);
  g_assert_true (r.ok == (r.error == NULL));
  return r.error;
}

static void
poll_ok (Fx *fx)
{
  GError *error = poll_once (fx);

  g_assert_no_error (error);
}

/* The engine started with no saved state, and its first poll done. */
static void
fx_start_and_poll (Fx *fx)
{
  fx_start_engine (fx, NULL);
  poll_ok (fx);
}

/* n chats with bob (one-on-one for the first, groups after), each with one message read. */
static GPtrArray *
make_chats (Fx *fx, guint n, gboolean with_message)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      const char *members[] = { BOB, i % 2 ? CAROL : NULL, NULL };
      g_autofree char *topic = g_strdup_printf ("Topic %u", i);
      const char *id = fake_graph_add_chat (fx->fg, i == 0 ? "oneOnOne" : "group",
                                            i == 0 ? NULL : topic, members);

      g_ptr_array_add (ids, g_strdup (id));
      if (with_message)
        {
          g_autofree char *html = g_strdup_printf ("<p>hello %u</p>", i);

          fake_graph_inject_message (fx->fg, id, BOB, html);
          fake_graph_mark_read (fx->fg, id);
        }
    }
  return ids;
}

/* ------------------------------------------------------------------------------------------ */
/* tests */

/* 120 chats come in 3 pages; the first poll announces all of them once. */
static void
test_list_120 (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 120, FALSE);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  Event *e;

  fx_start_engine (fx, NULL);
  fake_graph_clear_log (fx->fg);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_CHATS), ==, 1);
  e = nth_event (fx, EV_CHATS, 0);
  g_assert_cmpuint (e->changes->len, ==, 120);
  for (guint i = 0; i < e->changes->len; i++)
    {
      TgSyncChatChange *c = g_ptr_array_index (e->changes, i);

      g_assert_cmpuint (c->flags, ==, TG_SYNC_CHAT_NEW | TG_SYNC_CHAT_INITIAL);
      g_assert_true (c->chat->members_known);
      g_assert_nonnull (tg_chat_find_member (c->chat, BOB));
      g_assert_true (g_hash_table_add (seen, c->chat->id));
    }
  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_contains (seen, ids->pdata[i]));
  /* the full list with members took 3 pages */
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats"), >=, 3);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);
  g_assert_cmpuint (count_events (fx, EV_ERROR), ==, 0);
  {
    g_autoptr (GPtrArray) known = tg_sync_get_chats (fx->sync);

    g_assert_cmpuint (known->len, ==, 120);
  }
  fx_free (fx);
}

/* With nothing new, a poll is one request, whatever the number of chats. */
static void
test_idle_one_request (void)
{
  Fx *fx = fx_new ();
  g_ptr_array_unref (make_chats (fx, 120, TRUE));

  fx_start_and_poll (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);   /* everything was read */
  for (guint round = 0; round < 3; round++)
    {
      fake_graph_clear_log (fx->fg);
      poll_ok (fx);
      g_assert_cmpuint (fake_graph_count (fx->fg, NULL, "*"), ==, 1);
      g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats"), ==, 1);
    }
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);
  g_assert_cmpuint (count_events (fx, EV_ERROR), ==, 0);
  fx_free (fx);
}

/* A message from someone else arrives once, with its sender and time. */
static void
test_inject_once (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 60, TRUE);
  const char *chat = ids->pdata[55];   /* on the second page of the list */
  const char *mid;
  Event *e;

  fx_start_and_poll (fx);
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "<p>Hi <b>there</b></p>");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  e = nth_event (fx, EV_MESSAGE, 0);
  g_assert_cmpstr (e->chat_id, ==, chat);
  g_assert_cmpstr (e->msg->id, ==, mid);
  g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_NEW);
  g_assert_cmpstr (e->msg->from_user_id, ==, BOB_ID (fx));
  g_assert_cmpstr (e->msg->from_display_name, ==, "Bob Builder");
  /* the emulator's message ids are the creation time in ms */
  g_assert_cmpint (e->msg->created / 1000, ==, g_ascii_strtoll (mid, NULL, 10));
  g_assert_cmpstr (tg_message_markup (e->msg), ==, "Hi <b>there</b>");
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  fx_free (fx);
}

/* 50 messages into 5 chats between two polls: all once, in creation order per chat, one $batch. */
static void
test_burst (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 30, TRUE);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) got = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  fx_start_and_poll (fx);
  for (guint i = 0; i < 50; i++)
    {
      const char *chat = ids->pdata[(i * 7) % 5 + 3];
      g_autofree char *html = g_strdup_printf ("burst %u", i);
      const char *mid = fake_graph_inject_message (fx->fg, chat, i % 3 ? BOB : CAROL, html);

      g_ptr_array_add (sent, g_strdup_printf ("%s/%s", chat, mid));
    }
  fake_graph_clear_log (fx->fg);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 50);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/$batch"), <=, 1);
  for (guint i = 0; i < fx->events->len; i++)
    {
      Event *e = g_ptr_array_index (fx->events, i);
      g_autofree char *key = NULL;

      if (e->kind != EV_MESSAGE)
        continue;
      key = g_strdup_printf ("%s/%s", e->chat_id, e->msg->id);
      g_assert_true (g_hash_table_add (got, g_steal_pointer (&key)));
      g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_NEW);
    }
  for (guint i = 0; i < sent->len; i++)
    g_assert_true (g_hash_table_contains (got, sent->pdata[i]));
  /* per chat: the order of the events is the order of creation */
  for (guint c = 3; c < 8; c++)
    {
      gint64 last = 0;
      guint n = 0;

      for (guint i = 0; i < fx->events->len; i++)
        {
          Event *e = g_ptr_array_index (fx->events, i);

          if (e->kind != EV_MESSAGE || strcmp (e->chat_id, ids->pdata[c]) != 0)
            continue;
          g_assert_cmpint (e->msg->created, >, last);
          last = e->msg->created;
          n++;
        }
      g_assert_cmpuint (n, ==, 10);
    }
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 50);
  fx_free (fx);
}

/* 45 changed chats: every message once, at most one $batch per 20 chats. */
static void
test_burst_many_chats (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 60, TRUE);

  fx_start_and_poll (fx);
  for (guint i = 0; i < 45; i++)
    fake_graph_inject_message (fx->fg, ids->pdata[i + 10], BOB, "x");
  fake_graph_clear_log (fx->fg);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 45);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/$batch"), <=, 3);
  /* the list scan: page 1 was all news, page 2 partly: 2 list requests, no full refresh */
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats"), <=, 2);
  fx_free (fx);
}

/* A chat with more changes than one page: paged, still once each and in order. */
static void
test_paging_one_chat (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  gint64 last = 0;

  fx_start_and_poll (fx);
  for (guint i = 0; i < 120; i++)
    fake_graph_inject_message (fx->fg, ids->pdata[1], BOB, "many");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 120);
  for (guint i = 0; i < 120; i++)
    {
      Event *e = nth_event (fx, EV_MESSAGE, i);

      g_assert_cmpint (e->msg->created, >, last);
      last = e->msg->created;
    }
  fx_free (fx);
}

/* Restart: watermarks exported before, 3 messages while offline → those 3, once, delayed. */
static void
test_restart_offline (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 70, TRUE);
  g_autofree char *state = NULL;
  const char *offline[3];

  fx_start_and_poll (fx);
  fake_graph_inject_message (fx->fg, ids->pdata[2], BOB, "before");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  state = tg_sync_export_state (fx->sync);
  g_assert_true (g_str_has_prefix (state, "tgs1;"));
  g_assert_null (strchr (state, '\n'));
  g_assert_cmpuint (fx->state_changes, >, 0);
  g_clear_pointer (&fx->sync, tg_sync_free);
  g_ptr_array_set_size (fx->events, 0);

  /* offline: new messages in two chats (one far down the list), none read */
  offline[0] = fake_graph_inject_message (fx->fg, ids->pdata[2], BOB, "while away 1");
  offline[1] = fake_graph_inject_message (fx->fg, ids->pdata[65], CAROL, "while away 2");
  offline[2] = fake_graph_inject_message (fx->fg, ids->pdata[2], BOB, "while away 3");

  fx_start_engine (fx, state);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      Event *e = nth_event (fx, EV_MESSAGE, i);

      g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_NEW | TG_SYNC_MSG_DELAYED);
      g_assert_true (strcmp (e->msg->id, offline[0]) == 0 || strcmp (e->msg->id, offline[1]) == 0 ||
                     strcmp (e->msg->id, offline[2]) == 0);
    }
  /* the chat list is announced again (the buddy list follows), with nothing removed */
  g_assert_cmpuint (count_events (fx, EV_CHATS), ==, 1);
  g_assert_cmpuint (count_events (fx, EV_REMOVED), ==, 0);
  /* and nothing after that; new messages are no longer "delayed" */
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 3);
  fake_graph_inject_message (fx->fg, ids->pdata[2], BOB, "back");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 4);
  g_assert_cmpuint (nth_event (fx, EV_MESSAGE, 3)->flags, ==, TG_SYNC_MSG_NEW);
  fx_free (fx);
}

static void
test_import_garbage (void)
{
  Fx *fx = fx_new ();

  fx->sync = tg_sync_new (fx->graph, fx->me_id, &callbacks, fx);
  g_assert_true (tg_sync_import_state (fx->sync, NULL));
  g_assert_true (tg_sync_import_state (fx->sync, ""));
  g_assert_false (tg_sync_import_state (fx->sync, "nonsense"));
  g_assert_false (tg_sync_import_state (fx->sync, "tgs1;zz!;x"));
  g_assert_false (tg_sync_import_state (fx->sync, "tgs1;10;chat-without-fields"));
  g_assert_true (tg_sync_import_state (fx->sync, "tgs1;10;19:a@thread.v2,1,2,3"));
  {
    g_autofree char *out = tg_sync_export_state (fx->sync);

    g_assert_cmpstr (out, ==, "tgs1;10;19:a@thread.v2,1,2,3");
  }
  fx_free (fx);
}

/* First sign-in: only unread messages, flagged delayed. */
static void
test_first_sign_in_unread (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 80, TRUE);   /* one read message each */
  const char *unread1, *unread2, *unread3;

  fake_graph_inject_message (fx->fg, ids->pdata[5], BOB, "read 1");
  fake_graph_mark_read (fx->fg, ids->pdata[5]);
  unread1 = fake_graph_inject_message (fx->fg, ids->pdata[5], BOB, "unread 1");
  unread2 = fake_graph_inject_message (fx->fg, ids->pdata[5], CAROL, "unread 2");
  unread3 = fake_graph_inject_message (fx->fg, ids->pdata[70], BOB, "unread 3");
  fake_graph_inject_message (fx->fg, ids->pdata[71], BOB, "read 2");
  fake_graph_mark_read (fx->fg, ids->pdata[71]);

  fx_start_and_poll (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 3);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->msg->id, ==,
                   strcmp (nth_event (fx, EV_MESSAGE, 0)->chat_id, ids->pdata[5]) == 0 ? unread1 : unread3);
  for (guint i = 0; i < 3; i++)
    {
      Event *e = nth_event (fx, EV_MESSAGE, i);

      g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_NEW | TG_SYNC_MSG_DELAYED);
      g_assert_true (strcmp (e->msg->id, unread1) == 0 || strcmp (e->msg->id, unread2) == 0 ||
                     strcmp (e->msg->id, unread3) == 0);
    }
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 3);
  fx_free (fx);
}

/* Edits and soft deletes of a known message: each once. */
static void
test_edit_delete (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 5, TRUE);
  const char *chat = ids->pdata[2], *mid;
  Event *e;

  fx_start_and_poll (fx);
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "first text");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);

  g_assert_true (fake_graph_edit_message (fx->fg, chat, mid, "<p>second text</p>"));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  e = nth_event (fx, EV_MESSAGE, 1);
  g_assert_cmpstr (e->msg->id, ==, mid);
  g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_EDITED);
  g_assert_cmpint (e->msg->last_edited, >, 0);
  g_assert_cmpstr (tg_message_markup (e->msg), ==, "second text");

  g_assert_true (fake_graph_delete_message (fx->fg, chat, mid));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 3);
  e = nth_event (fx, EV_MESSAGE, 2);
  g_assert_cmpstr (e->msg->id, ==, mid);
  g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_DELETED);
  g_assert_true (e->msg->is_deleted);
  fx_free (fx);
}

/* An edit and a delete this client announced (tg_sync_note_own_change) are not delivered, a
 * later edit is; a withdrawn note (the request failed) leaves the next edit delivered. */
static void
test_own_change_not_delivered (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 2, TRUE);
  const char *chat = ids->pdata[1], *mid;

  fx_start_and_poll (fx);
  mid = fake_graph_inject_message (fx->fg, chat, ME, "teh text");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);

  tg_sync_note_own_change (fx->sync, chat, mid, TRUE);
  g_assert_true (fake_graph_edit_message (fx->fg, chat, mid, "the text"));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);

  g_assert_true (fake_graph_edit_message (fx->fg, chat, mid, "the text, again"));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  g_assert_cmpuint (nth_event (fx, EV_MESSAGE, 1)->flags & TG_SYNC_MSG_EDITED, !=, 0);

  tg_sync_note_own_change (fx->sync, chat, mid, TRUE);
  tg_sync_note_own_change (fx->sync, chat, mid, FALSE);
  g_assert_true (fake_graph_edit_message (fx->fg, chat, mid, "third"));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 3);

  tg_sync_note_own_change (fx->sync, chat, mid, TRUE);
  g_assert_true (fake_graph_delete_message (fx->fg, chat, mid));
  fake_graph_inject_message (fx->fg, chat, BOB, "after");
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 4);
  g_assert_cmpuint (nth_event (fx, EV_MESSAGE, 3)->flags & TG_SYNC_MSG_NEW, !=, 0);
  fx_free (fx);
}

/* An edit of an older message shows up with the next change in that chat. */
static void
test_edit_older_message (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  const char *chat = ids->pdata[1], *old, *newer;
  guint edited = 0, news = 0;

  fx_start_and_poll (fx);
  old = fake_graph_inject_message (fx->fg, chat, BOB, "old");
  fake_graph_inject_message (fx->fg, chat, BOB, "later");
  poll_ok (fx);
  g_assert_true (fake_graph_edit_message (fx->fg, chat, old, "old, fixed"));
  newer = fake_graph_inject_message (fx->fg, chat, BOB, "newest");
  poll_ok (fx);
  for (guint i = 2; i < fx->events->len; i++)
    {
      Event *e = g_ptr_array_index (fx->events, i);

      if (e->kind != EV_MESSAGE)
        continue;
      if (e->flags == TG_SYNC_MSG_EDITED && strcmp (e->msg->id, old) == 0)
        edited++;
      if (e->flags == TG_SYNC_MSG_NEW && strcmp (e->msg->id, newer) == 0)
        news++;
    }
  g_assert_cmpuint (edited, ==, 1);
  g_assert_cmpuint (news, ==, 1);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 4);
  fx_free (fx);
}

static void
test_reactions (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  const char *chat = ids->pdata[0], *mid;
  Event *e;

  fx_start_and_poll (fx);
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "react to me");
  poll_ok (fx);
  g_assert_true (fake_graph_add_reaction (fx->fg, chat, mid, CAROL, "like"));
  /* the preview does not move on a reaction; the next message brings it along */
  fake_graph_inject_message (fx->fg, chat, BOB, "and another");
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 1);
  e = nth_event (fx, EV_REACTIONS, 0);
  g_assert_cmpstr (e->msg->id, ==, mid);
  g_assert_cmpuint (e->msg->reactions->len, ==, 1);
  g_assert_cmpstr (((TgReaction *) e->msg->reactions->pdata[0])->reaction_type, ==, "like");
  g_assert_cmpuint (e->added, ==, 1);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  fx_free (fx);
}

/* Each reaction is reported as new once: not again when another one joins it, not after a
 * restart (no memory but the watermark), and not at all when this client set it (noted). */
static void
test_reactions_added_once (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 2, TRUE);
  const char *chat = ids->pdata[1], *mid;
  g_autofree char *state = NULL;
  Event *e;

  fx_start_and_poll (fx);
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "react to me");
  poll_ok (fx);
  g_assert_true (fake_graph_add_reaction (fx->fg, chat, mid, CAROL, "like"));
  fake_graph_inject_message (fx->fg, chat, BOB, "one");
  poll_ok (fx);
  g_assert_true (fake_graph_add_reaction (fx->fg, chat, mid, BOB, "heart"));
  fake_graph_inject_message (fx->fg, chat, BOB, "two");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 2);
  e = nth_event (fx, EV_REACTIONS, 1);
  g_assert_cmpuint (e->msg->reactions->len, ==, 2);
  g_assert_cmpuint (e->added, ==, 1);

  /* set from this client: noted, so the change is reported with nothing new in it */
  tg_sync_note_reaction (fx->sync, chat, mid, "\xf0\x9f\x91\x8d", TRUE);
  g_assert_true (fake_graph_add_reaction (fx->fg, chat, mid, ME, "\xf0\x9f\x91\x8d"));
  fake_graph_inject_message (fx->fg, chat, BOB, "three");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 3);
  g_assert_cmpuint (nth_event (fx, EV_REACTIONS, 2)->added, ==, 0);

  /* restart: only the reaction made while away is new */
  state = tg_sync_export_state (fx->sync);
  g_clear_pointer (&fx->sync, tg_sync_free);
  g_ptr_array_set_size (fx->events, 0);
  g_assert_true (fake_graph_add_reaction (fx->fg, chat, mid, DAVE, "laugh"));
  fake_graph_inject_message (fx->fg, chat, BOB, "four");
  fx_start_engine (fx, state);
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 1);
  e = nth_event (fx, EV_REACTIONS, 0);
  g_assert_cmpuint (e->msg->reactions->len, ==, 4);
  g_assert_cmpuint (e->added, ==, 1);
  fx_free (fx);
}

/* Rename and member changes: a chat event (for the buddy list) and the system line, once. */
static void
test_rename_members (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 4, TRUE);
  const char *chat = ids->pdata[2];
  Event *e;
  TgSyncChatChange *c;
  g_autofree char *text = NULL;

  fx_start_and_poll (fx);
  g_assert_cmpuint (count_events (fx, EV_CHATS), ==, 1);

  g_assert_true (fake_graph_rename_chat (fx->fg, chat, BOB, "New name"));
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_CHATS), ==, 2);
  e = nth_event (fx, EV_CHATS, 1);
  g_assert_cmpuint (e->changes->len, ==, 1);
  c = g_ptr_array_index (e->changes, 0);
  g_assert_cmpstr (c->chat->id, ==, chat);
  g_assert_cmpuint (c->flags, ==, TG_SYNC_CHAT_TOPIC);
  g_assert_cmpstr (c->chat->topic, ==, "New name");
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  e = nth_event (fx, EV_MESSAGE, 0);
  g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_NEW | TG_SYNC_MSG_SYSTEM);
  text = tg_message_system_text (e->msg);
  g_assert_cmpstr (text, ==, "Bob Builder renamed the chat to \"New name\"");
  g_clear_pointer (&text, g_free);

  g_assert_true (fake_graph_add_member (fx->fg, chat, BOB, DAVE));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_CHATS), ==, 3);
  e = nth_event (fx, EV_CHATS, 2);
  c = g_ptr_array_index (e->changes, 0);
  g_assert_cmpuint (c->flags, ==, TG_SYNC_CHAT_MEMBERS);
  g_assert_nonnull (tg_chat_find_member (c->chat, DAVE));
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  text = tg_message_system_text (nth_event (fx, EV_MESSAGE, 1)->msg);
  g_assert_cmpstr (text, ==, "Bob Builder added Dave");
  fx_free (fx);
}

/* A new chat shows up: announced (with members), then its messages. Removal is reported. */
static void
test_new_and_removed_chat (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 4, TRUE);
  const char *members[] = { CAROL, DAVE, NULL };
  const char *chat;
  Event *e;
  guint chats_at, msg_at = 0;

  fx_start_and_poll (fx);
  chat = fake_graph_add_chat (fx->fg, "group", "Fresh", members);
  fake_graph_inject_message (fx->fg, chat, CAROL, "welcome");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_CHATS), ==, 2);
  e = nth_event (fx, EV_CHATS, 1);
  g_assert_cmpuint (e->changes->len, ==, 1);
  g_assert_cmpuint (((TgSyncChatChange *) e->changes->pdata[0])->flags, ==, TG_SYNC_CHAT_NEW);
  g_assert_nonnull (tg_chat_find_member (((TgSyncChatChange *) e->changes->pdata[0])->chat, DAVE));
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  /* the chat event came before its message */
  for (chats_at = 0; fx->events->pdata[chats_at] != e; chats_at++)
    ;
  for (guint i = 0; i < fx->events->len; i++)
    if (((Event *) fx->events->pdata[i])->kind == EV_MESSAGE)
      msg_at = i;
  g_assert_cmpuint (chats_at, <, msg_at);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->chat_id, ==, chat);

  g_assert_true (fake_graph_remove_member (fx->fg, ids->pdata[3], BOB, ME));
  tg_sync_request_full_refresh (fx->sync);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_REMOVED), ==, 1);
  g_assert_cmpstr (nth_event (fx, EV_REMOVED, 0)->chat_id, ==, ids->pdata[3]);
  fx_free (fx);
}

/* Sends through tg-chats and waits. */
typedef struct {
  gboolean done;
  TgMessage *msg;
  GError *error;
  TgGraph *graph;
} SendResult;

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  SendResult *r = data;

  r->msg = tg_chats_send_message_finish (r->graph, result, &r->error);
  r->done = TRUE;
}

static TgMessage *
send_message (Fx *fx, const char *chat, const char *text)
{
  SendResult r = { FALSE, NULL, NULL, fx->graph };

  tg_chats_send_message_async (fx->graph, chat, text, FALSE, NULL, NULL, on_sent, &r);
  gf_wait_flag (&r.done);
  g_assert_no_error (r.error);
  g_assert_nonnull (r.msg);
  return r.msg;
}

/* Own messages: from another client → delivered flagged own; from this client (note_sent) → not;
 * a later edit of it from elsewhere → delivered once. */
static void
test_own_messages (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  g_autoptr (TgMessage) sent = NULL;
  const char *mid;
  Event *e;

  fx_start_and_poll (fx);
  mid = fake_graph_inject_message (fx->fg, ids->pdata[1], ME, "from my phone");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  e = nth_event (fx, EV_MESSAGE, 0);
  g_assert_cmpstr (e->msg->id, ==, mid);
  g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_NEW | TG_SYNC_MSG_OWN);

  sent = send_message (fx, ids->pdata[2], "from here");
  g_assert_cmpstr (sent->from_user_id, ==, fx->me_id);
  tg_sync_note_sent (fx->sync, ids->pdata[2], sent->id, sent->etag);
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);

  g_assert_true (fake_graph_edit_message (fx->fg, ids->pdata[2], sent->id, "edited on the phone"));
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  e = nth_event (fx, EV_MESSAGE, 1);
  g_assert_cmpstr (e->msg->id, ==, sent->id);
  g_assert_cmpuint (e->flags, ==, TG_SYNC_MSG_EDITED | TG_SYNC_MSG_OWN);
  fx_free (fx);
}

/* A message the adapter could not show before closing (tg_sync_undeliver) comes again, once,
 * in the next session, with what came after it in that chat; nothing else is repeated. */
static void
test_undeliver (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 70, TRUE);
  g_autofree char *state = NULL;
  const char *lost, *after, *elsewhere;
  Event *e;

  fx_start_and_poll (fx);
  fake_graph_inject_message (fx->fg, ids->pdata[65], BOB, "shown before");
  lost = fake_graph_inject_message (fx->fg, ids->pdata[65], BOB, "not shown");
  after = fake_graph_inject_message (fx->fg, ids->pdata[65], CAROL, "not shown either");
  elsewhere = fake_graph_inject_message (fx->fg, ids->pdata[3], BOB, "shown elsewhere");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 4);
  for (guint i = 0; (e = nth_event (fx, EV_MESSAGE, i)) != NULL; i++)
    if (strcmp (e->msg->id, lost) == 0 || strcmp (e->msg->id, after) == 0)
      tg_sync_undeliver (fx->sync, e->msg);
  state = tg_sync_export_state (fx->sync);
  g_clear_pointer (&fx->sync, tg_sync_free);
  g_ptr_array_set_size (fx->events, 0);

  fx_start_engine (fx, state);
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->msg->id, ==, lost);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 1)->msg->id, ==, after);
  g_assert_cmpuint (nth_event (fx, EV_MESSAGE, 0)->flags, ==, TG_SYNC_MSG_NEW | TG_SYNC_MSG_DELAYED);
  (void) elsewhere;
  fx_free (fx);
}

/* A send in flight (note_sending) holds the chat's fetch back until its id is known, so a poll
 * that is quicker than the POST's answer cannot show our own message as if sent elsewhere; a
 * failed send (note_sent with no id) releases the chat at once. */
static void
test_sending_holds_fetch (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  g_autofree char *messages_path = NULL;
  g_autoptr (TgMessage) sent = NULL;
  const char *chat = ids->pdata[1], *mid;

  fx_start_and_poll (fx);
  /* real time: the 30 s guard must not run out while the test runs */
  tg_sync_set_time_scale (fx->sync, 1.0);
  messages_path = g_strdup_printf ("/v1.0/chats/%s/messages", chat);
  fake_graph_clear_log (fx->fg);

  tg_sync_note_sending (fx->sync, chat);
  sent = send_message (fx, chat, "from here");
  poll_ok (fx);    /* the preview moved, but the answer is not "known" yet: not fetched */
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", messages_path), ==, 0);

  tg_sync_note_sent (fx->sync, chat, sent->id, sent->etag);
  poll_ok (fx);    /* fetched now, and recognised as ours */
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", messages_path), ==, 1);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);

  tg_sync_note_sending (fx->sync, chat);
  tg_sync_note_sent (fx->sync, chat, NULL, NULL);   /* the send failed */
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "still here");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->msg->id, ==, mid);
  fx_free (fx);
}

/* A send whose answer never comes holds the chat back for 30 s (scaled), not for ever. */
static void
test_sending_guard_expires (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  const char *chat = ids->pdata[2], *mid;

  fx_start_and_poll (fx);
  tg_sync_note_sending (fx->sync, chat);
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "meanwhile");
  gf_spin_ms (100);      /* > 30 s × FAST */
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->msg->id, ==, mid);
  fx_free (fx);
}

/* An open conversation (watched) sees a reaction on an older message within watch_every
 * cycles, without a new message; that costs one message request per watch cycle, and a chat
 * no longer watched costs nothing again. */
static void
test_watched_chat (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  const char *chat = ids->pdata[0], *other = ids->pdata[1], *mid, *mid2;
  guint requests;

  fx->open_chats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx_start_engine (fx, NULL);
  tg_sync_set_watch_every (fx->sync, 2);
  poll_ok (fx);
  mid = fake_graph_inject_message (fx->fg, chat, BOB, "react to me");
  mid2 = fake_graph_inject_message (fx->fg, other, BOB, "and to me");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
  g_hash_table_add (fx->open_chats, g_strdup (chat));

  g_assert_true (fake_graph_add_reaction (fx->fg, chat, mid, CAROL, "like"));
  g_assert_true (fake_graph_add_reaction (fx->fg, other, mid2, CAROL, "heart"));
  fake_graph_clear_log (fx->fg);
  poll_ok (fx);
  poll_ok (fx);
  requests = fake_graph_count (fx->fg, NULL, "*");
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 1);
  g_assert_cmpstr (nth_event (fx, EV_REACTIONS, 0)->msg->id, ==, mid);
  g_assert_cmpuint (requests, ==, 2 + 1);   /* two chat lists, one watch fetch */
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);

  /* nothing new: the watch fetch delivers nothing twice */
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 1);

  g_hash_table_remove_all (fx->open_chats);
  fake_graph_clear_log (fx->fg);
  poll_ok (fx);
  poll_ok (fx);
  g_assert_cmpuint (fake_graph_count (fx->fg, NULL, "*"), ==, 2);
  g_assert_cmpuint (count_events (fx, EV_REACTIONS), ==, 1);   /* "heart" waits for a message */
  fx_free (fx);
}

/* 429 on the chat list: the poll fails once the retries are spent, the error is reported and
 * the interval grows with each failure instead of the engine hammering; success resets it. */
static void
test_throttle_backoff (void)
{
  Fx *fx = fx_new ();
  g_ptr_array_unref (make_chats (fx, 5, TRUE));
  guint base, prev, requests;

  fx_start_engine (fx, NULL);
  tg_sync_set_poll_interval (fx->sync, 5);
  poll_ok (fx);
  base = tg_sync_next_delay_ms (fx->sync);
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me/chats", FAKE_FAULT_STATUS, 429, "1", 0, 0);
  fake_graph_clear_log (fx->fg);
  prev = base;
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (GError) error = poll_once (fx);
      guint delay = tg_sync_next_delay_ms (fx->sync);

      g_assert_error (error, TG_ERROR, TG_ERROR_THROTTLED);
      g_assert_cmpuint (delay, >, prev);
      prev = delay;
    }
  g_assert_cmpuint (count_events (fx, EV_ERROR), ==, 4);
  g_assert_error (nth_event (fx, EV_ERROR, 0)->error, TG_ERROR, TG_ERROR_THROTTLED);
  /* each failed cycle costs the bounded retries of one request, no more */
  requests = fake_graph_count (fx->fg, NULL, "*");
  g_assert_cmpuint (requests, <=, 4 * 3);
  /* the cap: never more than 5 minutes (time scale applied) */
  for (guint i = 0; i < 10; i++)
    {
      GError *error = poll_once (fx);

      g_clear_error (&error);
    }
  g_assert_cmpuint (tg_sync_next_delay_ms (fx->sync), <=, (guint) (300 * 1000 * FAST) + 1);
  fake_graph_clear_faults (fx->fg);
  poll_ok (fx);
  g_assert_cmpuint (tg_sync_next_delay_ms (fx->sync), ==, base);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);
  fx_free (fx);
}

/* The timer: with 429s the engine slows down by itself (a bounded number of cycles in a
 * window where an unthrottled engine polls many times), then recovers. */
static void
test_timer_backoff (void)
{
  Fx *fx = fx_new ();
  g_ptr_array_unref (make_chats (fx, 3, TRUE));
  guint errors_then;

  fx_start_engine (fx, NULL);
  tg_sync_set_poll_interval (fx->sync, 1);
  tg_sync_set_time_scale (fx->sync, 0.001);   /* 1 ms interval */
  poll_ok (fx);
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me/chats", FAKE_FAULT_STATUS, 429, NULL, 0, 0);
  tg_sync_start (fx->sync);
  g_assert_true (tg_sync_is_running (fx->sync));
  while (count_events (fx, EV_ERROR) < 5)
    gf_spin_ms (5);
  /* after 5 failures the wait has doubled from the throttling base (15 s) up to the cap */
  g_assert_cmpuint (tg_sync_next_delay_ms (fx->sync), ==, 300);
  errors_then = count_events (fx, EV_ERROR);
  fake_graph_clear_faults (fx->fg);
  tg_sync_stop (fx->sync);
  g_assert_false (tg_sync_is_running (fx->sync));
  fx->forbid_callbacks = TRUE;
  gf_spin_ms (50);
  fx->forbid_callbacks = FALSE;
  g_assert_cmpuint (count_events (fx, EV_ERROR), ==, errors_then);
  poll_ok (fx);
  g_assert_cmpuint (tg_sync_next_delay_ms (fx->sync), ==, 1);
  fx_free (fx);
}

/* Running with the timer delivers by itself. */
static void
test_timer_delivers (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);

  fx_start_engine (fx, NULL);
  tg_sync_set_poll_interval (fx->sync, 1);
  tg_sync_set_time_scale (fx->sync, 0.01);
  tg_sync_start (fx->sync);
  while (count_events (fx, EV_CHATS) < 1)
    gf_spin_ms (5);
  fake_graph_inject_message (fx->fg, ids->pdata[0], BOB, "tick");
  while (count_events (fx, EV_MESSAGE) < 1)
    gf_spin_ms (5);
  gf_spin_ms (60);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  g_assert_cmpuint (count_events (fx, EV_ERROR), ==, 0);
  fx_free (fx);
}

/* Stop and free in the middle of a poll: no callback afterwards, the poll says cancelled. */
static void
test_stop_mid_poll (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 60, TRUE);
  PollResult r = { 0 };

  fx_start_and_poll (fx);
  for (guint i = 0; i < 30; i++)
    fake_graph_inject_message (fx->fg, ids->pdata[i], BOB, "pending");
  /* slow answers so that the poll is surely in flight */
  fake_graph_add_fault (fx->fg, NULL, "*", FAKE_FAULT_DELAY, 0, NULL, 30, 0);
  r.sync = fx->sync;
  tg_sync_poll_once_async (fx->sync, NULL, on_polled, &r);
  gf_spin_ms (10);
  tg_sync_stop (fx->sync);
  fx->forbid_callbacks = TRUE;
  gf_wait_flag (&r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  gf_spin_ms (150);
  fx->forbid_callbacks = FALSE;
  fake_graph_clear_faults (fx->fg);
  /* a poll after the stop picks everything up, once */
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 30);

  /* free in flight */
  for (guint i = 0; i < 5; i++)
    fake_graph_inject_message (fx->fg, ids->pdata[i], BOB, "more");
  fake_graph_add_fault (fx->fg, NULL, "*", FAKE_FAULT_DELAY, 0, NULL, 30, 0);
  memset (&r, 0, sizeof r);
  r.sync = fx->sync;
  tg_sync_poll_once_async (fx->sync, NULL, on_polled, &r);
  gf_spin_ms (10);
  fx->forbid_callbacks = TRUE;
  g_clear_pointer (&fx->sync, tg_sync_free);
  gf_wait_flag (&r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  gf_spin_ms (150);
  fx_free (fx);
}

/* A callback may stop and free the engine. */
static void
on_message_free_engine (TgSync *sync, TgMessage *msg, TgSyncMessageFlags flags, gpointer data)
{
  Fx *fx = data;

  cb_message (sync, msg, flags, data);
  g_clear_pointer (&fx->sync, tg_sync_free);
}

static void
test_free_from_callback (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  TgSyncCallbacks cbs = callbacks;
  PollResult r = { 0 };

  cbs.message = on_message_free_engine;
  fx->sync = tg_sync_new (fx->graph, fx->me_id, &cbs, fx);
  tg_sync_set_time_scale (fx->sync, FAST);
  poll_ok (fx);
  fake_graph_inject_message (fx->fg, ids->pdata[0], BOB, "one");
  fake_graph_inject_message (fx->fg, ids->pdata[0], BOB, "two");
  fake_graph_inject_message (fx->fg, ids->pdata[1], BOB, "three");
  r.sync = fx->sync;
  tg_sync_poll_once_async (fx->sync, NULL, on_polled, &r);
  gf_wait_flag (&r.done);
  g_clear_error (&r.error);
  g_assert_null (fx->sync);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  gf_spin_ms (20);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  fx_free (fx);
}

/* Network trouble: reported, and the engine keeps going. */
static void
test_network_error (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  GError *error;

  fx_start_and_poll (fx);
  fake_graph_add_fault (fx->fg, NULL, "/v1.0/me/chats", FAKE_FAULT_DROP, 0, NULL, 0, 0);
  error = poll_once (fx);
  g_assert_nonnull (error);
  g_assert_true (tg_error_is_transient (error));
  g_clear_error (&error);
  g_assert_cmpuint (count_events (fx, EV_ERROR), ==, 1);
  fake_graph_clear_faults (fx->fg);
  fake_graph_inject_message (fx->fg, ids->pdata[1], BOB, "after the outage");
  poll_ok (fx);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
  fx_free (fx);
}

/* A failed message fetch leaves the chat pending: the next poll gets it (once). */
static void
test_fetch_failure_retried (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GPtrArray) ids = make_chats (fx, 3, TRUE);
  GError *error;

  fx_start_and_poll (fx);
  fake_graph_inject_message (fx->fg, ids->pdata[1], BOB, "needs a retry");
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/chats/*/messages", FAKE_FAULT_STATUS, 500, NULL, 0, 0);
  error = poll_once (fx);
  g_assert_error (error, TG_ERROR, TG_ERROR_SERVER);
  g_clear_error (&error);
  g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 0);
  {
    /* a restart now must not lose it either */
    g_autofree char *state = tg_sync_export_state (fx->sync);

    fake_graph_clear_faults (fx->fg);
    poll_ok (fx);
    g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 1);
    g_clear_pointer (&fx->sync, tg_sync_free);
    fx_start_engine (fx, state);
    poll_ok (fx);
    g_assert_cmpuint (count_events (fx, EV_MESSAGE), ==, 2);
    g_assert_cmpuint (nth_event (fx, EV_MESSAGE, 1)->flags, ==, TG_SYNC_MSG_NEW | TG_SYNC_MSG_DELAYED);
  }
  fx_free (fx);
}

/* Direct ingestion (used by the benchmark): de-duplicates like the poller. */
static void
test_ingest_page (void)
{
  Fx *fx = fx_new ();
  g_autoptr (JsonNode) page = NULL;
  GError *error = NULL;

  fx_start_engine (fx, NULL);
  page = tg_json_parse (
    "[{\"id\":\"3\",\"etag\":\"3\",\"messageType\":\"message\",\"createdDateTime\":\"2024-05-01T10:00:03Z\","
    "\"lastModifiedDateTime\":\"2024-05-01T10:00:03Z\",\"from\":{\"user\":{\"id\":\"u-b\"}},\"body\":{\"content\":\"c\"}},"
    "{\"id\":\"1\",\"etag\":\"1\",\"messageType\":\"message\",\"createdDateTime\":\"2024-05-01T10:00:01Z\","
    "\"lastModifiedDateTime\":\"2024-05-01T10:00:01Z\",\"from\":{\"user\":{\"id\":\"u-b\"}},\"body\":{\"content\":\"a\"}},"
    "{\"id\":\"2\",\"etag\":\"2\",\"messageType\":\"typing\"},"
    "{\"id\":\"4\",\"etag\":\"4\",\"messageType\":\"systemEventMessage\",\"createdDateTime\":\"2024-05-01T10:00:04Z\","
    "\"from\":null,\"eventDetail\":{\"@odata.type\":\"#microsoft.graph.callStartedEventMessageDetail\"}},"
    "{\"noid\":1}, 7]", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tg_sync_ingest_page (fx->sync, "19:x", tg_json_node_array (page)), ==, 3);
  g_assert_cmpuint (tg_sync_ingest_page (fx->sync, "19:x", tg_json_node_array (page)), ==, 0);
  g_assert_cmpuint (tg_sync_ingest_page (fx->sync, "19:y", tg_json_node_array (page)), ==, 3);
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->msg->id, ==, "1");
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 1)->msg->id, ==, "3");
  g_assert_cmpuint (nth_event (fx, EV_MESSAGE, 2)->flags & TG_SYNC_MSG_SYSTEM, !=, 0);
  g_assert_cmpstr (tg_message_markup (nth_event (fx, EV_MESSAGE, 2)->msg), ==, "Call started");
  g_assert_cmpstr (nth_event (fx, EV_MESSAGE, 0)->chat_id, ==, "19:x");
  fx_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sync/list-120", test_list_120);
  g_test_add_func ("/sync/idle-one-request", test_idle_one_request);
  g_test_add_func ("/sync/inject-once", test_inject_once);
  g_test_add_func ("/sync/burst", test_burst);
  g_test_add_func ("/sync/burst-many-chats", test_burst_many_chats);
  g_test_add_func ("/sync/paging-one-chat", test_paging_one_chat);
  g_test_add_func ("/sync/restart-offline", test_restart_offline);
  g_test_add_func ("/sync/import-garbage", test_import_garbage);
  g_test_add_func ("/sync/first-sign-in-unread", test_first_sign_in_unread);
  g_test_add_func ("/sync/edit-delete", test_edit_delete);
  g_test_add_func ("/sync/edit-older", test_edit_older_message);
  g_test_add_func ("/sync/reactions", test_reactions);
  g_test_add_func ("/sync/reactions-added-once", test_reactions_added_once);
  g_test_add_func ("/sync/own-change-not-delivered", test_own_change_not_delivered);
  g_test_add_func ("/sync/rename-members", test_rename_members);
  g_test_add_func ("/sync/new-and-removed-chat", test_new_and_removed_chat);
  g_test_add_func ("/sync/own-messages", test_own_messages);
  g_test_add_func ("/sync/undeliver", test_undeliver);
  g_test_add_func ("/sync/sending-holds-fetch", test_sending_holds_fetch);
  g_test_add_func ("/sync/sending-guard-expires", test_sending_guard_expires);
  g_test_add_func ("/sync/watched-chat", test_watched_chat);
  g_test_add_func ("/sync/throttle-backoff", test_throttle_backoff);
  g_test_add_func ("/sync/timer-backoff", test_timer_backoff);
  g_test_add_func ("/sync/timer-delivers", test_timer_delivers);
  g_test_add_func ("/sync/stop-mid-poll", test_stop_mid_poll);
  g_test_add_func ("/sync/free-from-callback", test_free_from_callback);
  g_test_add_func ("/sync/network-error", test_network_error);
  g_test_add_func ("/sync/fetch-failure-retried", test_fetch_failure_retried);
  g_test_add_func ("/sync/ingest-page", test_ingest_page);
  return g_test_run ();
}
