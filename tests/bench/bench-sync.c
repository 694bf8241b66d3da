/* bench-sync — what the sync engine costs. Prints figures, asserts nothing.
 *
 *  1. Requests per poll cycle with 1000 chats in the emulator: the engine's idle cycle and a
 *     cycle with one new message, beside the naive strategy (list every chat, then fetch each
 *     chat's messages) measured in the same run.
 *  2. Ingestion speed: pages of 50 realistic Graph messages fed straight into the engine
 *     (parse → struct, html → markup, de-duplicate, deliver), no HTTP; once from parsed JSON
 *     trees and once from JSON text; per wall-clock second and per CPU second.
 *  3. The JSON text → tree step alone: tg_json_parse beside json-glib's JsonParser on the
 *     same pages, alternating, so that both see the same machine load.
 */
#include <string.h>
#include <time.h>

#include "core/tg-auth.h"
#include "core/tg-chats.h"
#include "core/tg-json.h"
#include "core/tg-sync.h"
#include "fake-graph/fake-graph.h"

#define N_CHATS 1000
#define CLIENT_ID "14d82eec-204b-4c2f-b7e8-296a70dab67e"

static gboolean
on_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_until (const gboolean *flag)
{
  gboolean hung = FALSE;
  guint guard = g_timeout_add_seconds (60, on_flag, &hung);

  while (!*flag && !hung)
    g_main_context_iteration (NULL, TRUE);
  if (!hung)
    g_source_remove (guard);
  else
    g_error ("bench-sync: hung");
}

typedef struct {
  guint messages;
  guint chats;
  guint errors;
  gsize markup_bytes;
} Counts;

static void
on_chats (TgSync *sync, GPtrArray *changes, gpointer data)
{
  ((Counts *) data)->chats += changes->len;
}

static void
on_message (TgSync *sync, TgMessage *msg, TgSyncMessageFlags flags, gpointer data)
{
  Counts *c = data;

  c->messages++;
  c->markup_bytes += strlen (tg_message_markup (msg));
}

static void
on_error (TgSync *sync, const GError *error, gpointer data)
{
  ((Counts *) data)->errors++;
  g_printerr ("bench-sync: poll error: %s\n", error->message);
}

static const TgSyncCallbacks callbacks = { on_chats, NULL, on_message, NULL, on_error, NULL };

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
poll_once (TgSync *sync)
{
  gboolean done = FALSE;

  tg_sync_poll_once_async (sync, NULL, on_done, &done);
  wait_until (&done);
}

/* ---- naive strategy: every chat, then every chat's newest messages ---- */

typedef struct {
  TgGraph *graph;
  guint pending;
  gboolean done;
} Naive;

static void
on_naive_messages (GObject *source, GAsyncResult *result, gpointer data)
{
  Naive *n = data;
  JsonNode *node = tg_graph_send_finish (n->graph, result, NULL, NULL);

  if (node != NULL)
    json_node_unref (node);
  if (--n->pending == 0)
    n->done = TRUE;
}

static void
on_naive_list (GObject *source, GAsyncResult *result, gpointer data)
{
  Naive *n = data;
  g_autoptr (GPtrArray) chats = tg_chats_list_my_joined_finish (n->graph, result, NULL);

  n->pending = chats != NULL ? chats->len : 0;
  if (n->pending == 0)
    n->done = TRUE;
  for (guint i = 0; chats != NULL && i < chats->len; i++)
    {
      g_autofree char *path = tg_chats_path (((TgChat *) chats->pdata[i])->id, "/messages?$top=1");

      tg_graph_send_async (n->graph, tg_call_new ("GET", path), NULL, on_naive_messages, n);
    }
}

static void
bench_requests (void)
{
  FakeGraph *fg = fake_graph_new ("me@contoso.com");
  GError *error = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  TgGraph *graph;
  TgAuth *auth;
  g_autofree char *refresh = NULL;
  gboolean done = FALSE;
  TgSync *sync;
  Counts counts = { 0 };
  Naive naive = { 0 };
  guint idle, one, naive_n, first;
  gint64 t0, t_idle;

  if (!fake_graph_listen (fg, 0, &error))
    g_error ("listen: %s", error->message);
  fake_graph_add_user (fg, "bob@contoso.com", "Bob");
  fake_graph_add_user (fg, "carol@contoso.com", "Carol");
  for (guint i = 0; i < N_CHATS; i++)
    {
      const char *members[] = { i % 2 ? "bob@contoso.com" : "carol@contoso.com", NULL };
      g_autofree char *topic = g_strdup_printf ("Chat %u", i);
      const char *id = fake_graph_add_chat (fg, i < 2 ? "oneOnOne" : "group", i < 2 ? NULL : topic,
                                            members);

      g_ptr_array_add (ids, (gpointer) id);
      fake_graph_inject_message (fg, id, members[0], "<p>hello</p>");
      fake_graph_mark_read (fg, id);
    }

  graph = tg_graph_new (fake_graph_graph_url (fg), &error);
  auth = tg_auth_new (tg_graph_session (graph), fake_graph_base_url (fg), "organizations",
                      CLIENT_ID, NULL, &error);
  refresh = fake_graph_issue_refresh_token (fg);
  tg_auth_set_refresh_token (auth, refresh);
  tg_auth_attach (auth, graph);
  tg_auth_sign_in_async (auth, NULL, on_done, &done);
  wait_until (&done);

  sync = tg_sync_new (graph, fake_graph_user_id (fg, "me@contoso.com"), &callbacks, &counts);
  tg_sync_set_time_scale (sync, 0.001);
  fake_graph_clear_log (fg);
  t0 = g_get_monotonic_time ();
  poll_once (sync);
  first = fake_graph_count (fg, NULL, "*");
  g_print ("first poll @%u chats: %u requests (full list with members + preview scan), %.0f ms, "
           "%u chats announced\n", N_CHATS, first, (g_get_monotonic_time () - t0) / 1000.0,
           counts.chats);

  fake_graph_clear_log (fg);
  t0 = g_get_monotonic_time ();
  poll_once (sync);
  t_idle = g_get_monotonic_time () - t0;
  idle = fake_graph_count (fg, NULL, "*");

  fake_graph_inject_message (fg, ids->pdata[N_CHATS / 2], "bob@contoso.com", "<p>news</p>");
  fake_graph_clear_log (fg);
  poll_once (sync);
  one = fake_graph_count (fg, NULL, "*");

  fake_graph_clear_log (fg);
  t0 = g_get_monotonic_time ();
  naive.graph = graph;
  tg_chats_list_my_joined_async (graph, TG_CHAT_TYPE_UNKNOWN, NULL, on_naive_list, &naive);
  wait_until (&naive.done);
  naive_n = fake_graph_count (fg, NULL, "*");

  g_print ("idle poll @%u chats: %u request%s (naive: %u), %.1f ms (naive: %.0f ms)\n", N_CHATS,
           idle, idle == 1 ? "" : "s", naive_n, t_idle / 1000.0,
           (g_get_monotonic_time () - t0) / 1000.0);
  g_print ("poll with 1 new message @%u chats: %u requests (naive: %u), %u message delivered\n",
           N_CHATS, one, naive_n, counts.messages);
  if (counts.errors > 0)
    g_print ("(%u poll errors)\n", counts.errors);

  tg_sync_free (sync);
  tg_auth_free (auth);
  tg_graph_unref (graph);
  fake_graph_free (fg);
}

/* ---- ingestion ---- */

/* CPU time of this thread in µs: on a loaded machine wall time also counts the time other
 * processes had the core, CPU time is what the engine itself used of one core. */
static gint64
cpu_time (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

#define PAGE 50
#define PAGES_PER_CHAT 40

/* One realistic page: html with a mention, emoji, a link and formatting; text bodies; a
 * system event; reactions on some; everything Graph sends, nulls included. */
static char *
make_page (guint page, gint64 base_ms)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < PAGE; i++)
    {
      guint n = page * PAGE + i;
      gint64 ms = base_ms + n * 1000;
      g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
      g_autofree char *t = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
      const char *from = n % 3 ? "u-bob" : "u-carol", *name = n % 3 ? "Bob Builder" : "Carol Jones";

      if (i > 0)
        g_string_append_c (s, ',');
      if (n % 25 == 24)
        {
          g_string_append_printf (s,
            "{\"id\":\"%" G_GINT64_FORMAT "\",\"replyToId\":null,\"etag\":\"%" G_GINT64_FORMAT "\","
            "\"messageType\":\"systemEventMessage\",\"createdDateTime\":\"%s.%03dZ\","
            "\"lastModifiedDateTime\":\"%s.%03dZ\",\"lastEditedDateTime\":null,\"deletedDateTime\":null,"
            "\"subject\":null,\"summary\":null,\"chatId\":null,\"importance\":\"normal\",\"locale\":\"en-us\","
            "\"webUrl\":null,\"channelIdentity\":null,\"policyViolation\":null,\"from\":null,"
            "\"body\":{\"contentType\":\"html\",\"content\":\"<systemEventMessage/>\"},"
            "\"attachments\":[],\"mentions\":[],\"reactions\":[],"
            "\"eventDetail\":{\"@odata.type\":\"#microsoft.graph.membersAddedEventMessageDetail\","
            "\"visibleHistoryStartDateTime\":\"0001-01-01T00:00:00Z\",\"members\":[{\"id\":\"u-dave\","
            "\"displayName\":\"Dave\",\"userIdentityType\":\"aadUser\",\"tenantId\":\"t\"}],"
            "\"initiator\":{\"application\":null,\"device\":null,\"user\":{\"id\":\"%s\",\"displayName\":\"%s\","
            "\"userIdentityType\":\"aadUser\",\"tenantId\":\"t\"}}}}",
            ms, ms, t, (int) (ms % 1000), t, (int) (ms % 1000), from, name);
          continue;
        }
      g_string_append_printf (s,
        "{\"id\":\"%" G_GINT64_FORMAT "\",\"replyToId\":null,\"etag\":\"%" G_GINT64_FORMAT "\","
        "\"messageType\":\"message\",\"createdDateTime\":\"%s.%03dZ\",\"lastModifiedDateTime\":\"%s.%03dZ\","
        "\"lastEditedDateTime\":null,\"deletedDateTime\":null,\"subject\":null,\"summary\":null,"
        "\"chatId\":null,\"importance\":\"normal\",\"locale\":\"en-us\",\"webUrl\":null,"
        "\"channelIdentity\":null,\"policyViolation\":null,\"eventDetail\":null,"
        "\"from\":{\"application\":null,\"device\":null,\"user\":{\"@odata.type\":"
        "\"#microsoft.graph.teamworkUserIdentity\",\"id\":\"%s\",\"displayName\":\"%s\","
        "\"userIdentityType\":\"aadUser\",\"tenantId\":\"t\"}},",
        ms, ms, t, (int) (ms % 1000), t, (int) (ms % 1000), from, name);
      if (n % 2 == 0)
        g_string_append_printf (s,
          "\"body\":{\"contentType\":\"html\",\"content\":\"<p>Hi <at id=\\\"0\\\">Alice</at>, message %u "
          "is <b>important</b> &amp; has a <a href=\\\"https://example.com/doc?id=%u\\\">link</a> "
          "<emoji id=\\\"smile\\\" alt=\\\"\\ud83d\\ude42\\\" title=\\\"Smile\\\"></emoji></p>"
          "<p>Second paragraph with some more words to make it look like a normal chat line.</p>\"},"
          "\"attachments\":[],\"mentions\":[{\"id\":0,\"mentionText\":\"Alice\",\"mentioned\":{"
          "\"application\":null,\"device\":null,\"conversation\":null,\"tag\":null,\"user\":{"
          "\"@odata.type\":\"#microsoft.graph.teamworkUserIdentity\",\"id\":\"u-alice\","
          "\"displayName\":\"Alice\",\"userIdentityType\":\"aadUser\",\"tenantId\":\"t\"}}}],",
          n, n);
      else
        g_string_append_printf (s,
          "\"body\":{\"contentType\":\"text\",\"content\":\"plain text line %u, nothing fancy <here>\"},"
          "\"attachments\":[],\"mentions\":[],", n);
      if (n % 5 == 0)
        g_string_append (s,
          "\"reactions\":[{\"reactionType\":\"like\",\"displayName\":\"Like\",\"reactionContentUrl\":null,"
          "\"createdDateTime\":\"2024-05-01T10:00:00Z\",\"user\":{\"application\":null,\"device\":null,"
          "\"user\":{\"@odata.type\":\"#microsoft.graph.teamworkUserIdentity\",\"id\":\"u-alice\","
          "\"displayName\":null,\"userIdentityType\":\"aadUser\",\"tenantId\":\"t\"}}}]}");
      else
        g_string_append (s, "\"reactions\":[]}");
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
bench_ingest (void)
{
  GError *error = NULL;
  TgGraph *graph = tg_graph_new ("http://127.0.0.1:9/v1.0", &error);
  char *texts[PAGES_PER_CHAT];
  JsonNode *trees[PAGES_PER_CHAT];
  gsize bytes = 0;

  for (guint p = 0; p < PAGES_PER_CHAT; p++)
    {
      texts[p] = make_page (p, G_GINT64_CONSTANT (1714550000000));
      bytes += strlen (texts[p]);
      trees[p] = tg_json_parse (texts[p], -1, &error);
      if (trees[p] == NULL)
        g_error ("page: %s", error->message);
    }
  for (guint mode = 0; mode < 2; mode++)
    {
      Counts counts = { 0 };
      TgSync *sync = tg_sync_new (graph, "u-me", &callbacks, &counts);
      guint rounds = 0, events = 0;
      gint64 t0 = g_get_monotonic_time (), c0 = cpu_time (), elapsed;

      /* each round: a fresh chat id, so every message is new to the engine */
      do
        {
          g_autofree char *chat = g_strdup_printf ("19:bench%u@thread.v2", rounds);

          for (guint p = 0; p < PAGES_PER_CHAT; p++)
            {
              if (mode == 0)
                events += tg_sync_ingest_page (sync, chat, tg_json_node_array (trees[p]));
              else
                {
                  g_autoptr (JsonNode) node = tg_json_parse (texts[p], -1, NULL);

                  events += tg_sync_ingest_page (sync, chat, tg_json_node_array (node));
                }
            }
          /* and the same pages again: all duplicates */
          events += tg_sync_ingest_page (sync, chat, tg_json_node_array (trees[PAGES_PER_CHAT - 1]));
          rounds++;
          elapsed = g_get_monotonic_time () - t0;
        }
      while (elapsed < 1500000 || rounds < 3);
      g_print ("ingest%s: %.0f msgs/s (%u messages in %.2f s, %u delivered, %.1f KB JSON per "
               "%u-message page; %.0f msgs per CPU second)\n",
               mode == 0 ? " (parsed JSON trees)" : " (from JSON text)",
               rounds * PAGES_PER_CHAT * PAGE / (elapsed / 1e6), rounds * PAGES_PER_CHAT * PAGE,
               elapsed / 1e6, counts.messages, bytes / 1024.0 / PAGES_PER_CHAT, PAGE,
               rounds * PAGES_PER_CHAT * PAGE / ((cpu_time () - c0) / 1e6));
      (void) events;
      tg_sync_free (sync);
    }
  for (guint p = 0; p < PAGES_PER_CHAT; p++)
    {
      g_free (texts[p]);
      json_node_unref (trees[p]);
    }
  tg_graph_unref (graph);
}

/* ---- parsing alone ---- */

static JsonNode *
json_glib_parse (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    g_error ("bench-sync: json-glib refused a page");
  return json_node_ref (json_parser_get_root (parser));
}

static void
bench_parse (void)
{
  char *texts[PAGES_PER_CHAT];
  gsize bytes = 0;
  gint64 spent[2] = { 0, 0 };
  guint rounds = 0;

  for (guint p = 0; p < PAGES_PER_CHAT; p++)
    {
      texts[p] = make_page (p, G_GINT64_CONSTANT (1714550000000));
      bytes += strlen (texts[p]);
    }
  do
    {
      for (guint parser = 0; parser < 2; parser++)
        {
          gint64 t0 = g_get_monotonic_time ();

          for (guint p = 0; p < PAGES_PER_CHAT; p++)
            json_node_unref (parser == 0 ? tg_json_parse (texts[p], -1, NULL)
                                         : json_glib_parse (texts[p]));
          spent[parser] += g_get_monotonic_time () - t0;
        }
      rounds++;
    }
  while (spent[0] + spent[1] < 1500000 || rounds < 3);
  g_print ("parse + free (JSON text -> tree): tg_json_parse %.0f MB/s, %.0f msgs/s; "
           "json-glib JsonParser %.0f MB/s, %.0f msgs/s\n",
           rounds * bytes / (spent[0] / 1e6) / 1e6, rounds * PAGES_PER_CHAT * PAGE / (spent[0] / 1e6),
           rounds * bytes / (spent[1] / 1e6) / 1e6, rounds * PAGES_PER_CHAT * PAGE / (spent[1] / 1e6));
  for (guint p = 0; p < PAGES_PER_CHAT; p++)
    g_free (texts[p]);
}

int
main (int argc, char **argv)
{
  bench_requests ();
  bench_ingest ();
  bench_parse ();
  return 0;
}
