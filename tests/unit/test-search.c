/* Unit tests for tg-search: the KQL builder (terms quoted, quotes and backslashes escaped, KQL
 * operators typed as text kept as text, unicode, dates, empty input), the command-line split,
 * and the search against the Graph emulator in-process (the exact POST body, hits filtered to
 * one chat over several Graph pages, the next-page cursor, full messages fetched at most four at
 * a time, a summary kept when a message cannot be fetched, errors). */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-search.h"
#include "fake-graph/fake-graph.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"

/* ------------------------------------------------------------------------------------------ */
/* The KQL builder                                                                             */

static char *
kql (const char *text, const char *from, const char *since, const char *until)
{
  g_autoptr (GError) error = NULL;
  char *q = tg_search_build_kql (text, from, since, until, &error);

  g_assert_no_error (error);
  g_assert_nonnull (q);
  return q;
}

/* The error message of a refused query. */
static char *
kql_error (const char *text, const char *from, const char *since, const char *until)
{
  GError *error = NULL;
  char *q = tg_search_build_kql (text, from, since, until, &error);
  char *msg;

  g_assert_null (q);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

#define assert_kql(expected, text, from, since, until) \
  G_STMT_START { \
    g_autofree char *got_ = kql ((text), (from), (since), (until)); \
    g_assert_cmpstr (got_, ==, (expected)); \
  } G_STMT_END

static void
test_kql_words (void)
{
  assert_kql ("\"budget\"", "budget", NULL, NULL, NULL);
  assert_kql ("\"budget\" \"report\"", "  budget \t report  ", NULL, NULL, NULL);
  /* A "phrase" stays one term; an unclosed quote runs to the end. */
  assert_kql ("\"next year\" \"budget\"", "\"next year\" budget", NULL, NULL, NULL);
  assert_kql ("\"a\" \"open phrase\"", "a \"open phrase", NULL, NULL, NULL);
  /* Prefix wildcards are kept; a term of stars alone finds nothing in Graph: dropped. */
  assert_kql ("\"budg*\"", "budg* * **", NULL, NULL, NULL);
  /* Control characters inside a phrase become blanks. */
  assert_kql ("\"two lines\"", "\"two\nlines\"", NULL, NULL, NULL);
}

static void
test_kql_escaping (void)
{
  /* \" and \\ typed by the user are a quote and a backslash: escaped again inside the phrase. */
  assert_kql ("\"say\" \"\\\"hi\\\"\"", "say \\\"hi\\\"", NULL, NULL, NULL);
  assert_kql ("\"C:\\\\temp\\\\x\"", "C:\\temp\\\\x", NULL, NULL, NULL);
  assert_kql ("\"a \\\"quoted\\\" word\"", "\"a \\\"quoted\\\" word\"", NULL, NULL, NULL);
  /* from: values are escaped the same way. */
  assert_kql ("from:\"O\\\"Neil \\\\ Co\"", NULL, "O\"Neil \\ Co", NULL, NULL);
  /* A quote can never close the phrase early: nothing after it becomes KQL syntax. */
  assert_kql ("\"x\\\"\" \"OR\" \"from:y\"", "x\\\" OR from:y", NULL, NULL, NULL);
}

static void
test_kql_operators (void)
{
  /* Operators and restrictions typed as text are text: each one is a quoted phrase. */
  assert_kql ("\"cats\" \"AND\" \"dogs\" \"OR\" \"NOT\" \"NEAR\" \"-secret\" \"+must\"",
              "cats AND dogs OR NOT NEAR -secret +must", NULL, NULL, NULL);
  assert_kql ("\"from:eve\" \"sent>2020-01-01\" \"IsRead:true\" \"(a\" \"b)\" \"x..y\"",
              "from:eve sent>2020-01-01 IsRead:true (a b) x..y", NULL, NULL, NULL);
}

static void
test_kql_unicode (void)
{
  assert_kql ("\"café\" \"日本語\" \"👍\" \"Zoë's\"", "café 日本語 👍 Zoë's", NULL, NULL, NULL);
  /* Unicode blanks separate terms (no-break space, ideographic space). */
  assert_kql ("\"a\" \"b\" \"c\"", "a\u00a0b\u3000c", NULL, NULL, NULL);
  assert_kql ("from:\"Zoë Ångström\"", NULL, "Zoë Ångström", NULL, NULL);
  g_free (kql_error ("bad \xff\xfe", NULL, NULL, NULL));
  g_free (kql_error ("ok", "\xc3", NULL, NULL));
}

static void
test_kql_dates (void)
{
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL, *e6 = NULL;

  assert_kql ("\"budget\" from:\"bob@contoso.com\" sent>=2024-05-01 sent<=2024-05-31",
              "budget", "bob@contoso.com", "2024-05-01", "2024-05-31");
  assert_kql ("sent>=2024-05-01", NULL, NULL, "2024-05-01", NULL);
  assert_kql ("sent<=2024-05-31", NULL, NULL, NULL, " 2024-05-31 ");
  /* Full ISO 8601 times are accepted and written in UTC. */
  assert_kql ("\"x\" sent>=2024-05-01T08:30:00Z sent<=2024-05-01T17:00:00Z", "x", NULL,
              "2024-05-01T10:30:00+02:00", "2024-05-01T17:00:00.250Z");
  /* One day: since and until the same date. */
  assert_kql ("sent>=2024-05-01 sent<=2024-05-01", NULL, NULL, "2024-05-01", "2024-05-01");
  e1 = kql_error ("x", NULL, "2024-02-30", NULL);
  g_assert_nonnull (strstr (e1, "2024-02-30"));
  g_assert_nonnull (strstr (e1, "YYYY-MM-DD"));
  e2 = kql_error ("x", NULL, NULL, "yesterday");
  g_assert_nonnull (strstr (e2, "yesterday"));
  e3 = kql_error ("x", NULL, "2024-5-1", NULL);
  e4 = kql_error ("x", NULL, "1969-12-31", NULL);
  e5 = kql_error ("x", NULL, "2024-06-01", "2024-05-31");
  g_assert_nonnull (strstr (e5, "after"));
  e6 = kql_error ("x", NULL, "2024-05-01T25:00:00Z", NULL);
}

static void
test_kql_empty (void)
{
  g_autofree char *e1 = kql_error (NULL, NULL, NULL, NULL);
  g_autofree char *e2 = kql_error ("   ", NULL, NULL, NULL);
  g_autofree char *e3 = kql_error ("* \"\"", NULL, NULL, NULL);
  g_autofree char *e4 = kql_error ("x", "  ", NULL, NULL);
  g_autoptr (GString) long_text = g_string_new (NULL);
  g_autofree char *e5 = NULL;

  g_assert_nonnull (strstr (e1, "Nothing to search for"));
  g_assert_cmpstr (e2, ==, e1);
  g_assert_cmpstr (e3, ==, e1);
  g_assert_nonnull (strstr (e4, "from:"));
  /* Filters alone are a search. */
  assert_kql ("from:\"bob\"", NULL, "bob", NULL, NULL);
  for (int i = 0; i < 1000; i++)
    g_string_append (long_text, "word ");
  e5 = kql_error (long_text->str, NULL, NULL, NULL);
  g_assert_nonnull (strstr (e5, "too long"));
}

/* ------------------------------------------------------------------------------------------ */
/* The command line                                                                            */

static void
test_query_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgSearchQuery) q = NULL, q2 = NULL, q3 = NULL;
  TgSearchQuery *bad;

  q = tg_search_query_parse ("budget \"next year\" from:\"Bob Jones\" SINCE:2024-05-01 "
                             "until:2024-05-31 report", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q->text, ==, "budget \"next year\" report");
  g_assert_cmpstr (q->from, ==, "Bob Jones");
  g_assert_cmpstr (q->since, ==, "2024-05-01");
  g_assert_cmpstr (q->until, ==, "2024-05-31");

  /* A quoted "from:x" is text; escapes are kept as typed for the builder. */
  q2 = tg_search_query_parse ("\"from:eve\" say \\\"hi\\\"", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q2->text, ==, "\"from:eve\" say \\\"hi\\\"");
  g_assert_null (q2->from);
  {
    g_autofree char *k = kql (q2->text, q2->from, q2->since, q2->until);
    g_assert_cmpstr (k, ==, "\"from:eve\" \"say\" \"\\\"hi\\\"\"");
  }

  q3 = tg_search_query_parse ("   ", &error);
  g_assert_no_error (error);
  g_assert_null (q3->text);

  bad = tg_search_query_parse ("x from:bob from:carol", &error);
  g_assert_null (bad);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "only once"));
  g_clear_error (&error);
  bad = tg_search_query_parse ("x since:", &error);
  g_assert_null (bad);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "since:"));
  g_clear_error (&error);
  bad = tg_search_query_parse ("\xff", &error);
  g_assert_null (bad);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
}

static void
test_parse_date (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *k = NULL;
  gint64 start = 0, end = 0;

  g_assert_true (tg_search_parse_date ("2024-05-01", FALSE, &start, &k, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (k, ==, "2024-05-01");
  g_assert_cmpint (start, ==, tg_time_parse ("2024-05-01T00:00:00Z"));
  g_assert_true (tg_search_parse_date ("2024-05-01", TRUE, &end, NULL, &error));
  g_assert_cmpint (end, ==, tg_time_parse ("2024-05-02T00:00:00Z") - 1);
  g_assert_true (tg_search_parse_date ("2024-02-29T23:59:59-01:00", TRUE, &end, NULL, &error));
  g_assert_cmpint (end, ==, tg_time_parse ("2024-03-01T00:59:59Z"));
  g_assert_false (tg_search_parse_date ("2023-02-29", FALSE, NULL, NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
}

/* ------------------------------------------------------------------------------------------ */
/* The search against the emulator                                                             */

typedef GfFixture Fx;

static Fx *
fx_new (void)
{
  return gf_fixture_add_users (gf_fixture_new (ME), BOB, "Bob Jones", CAROL, "Carol Smith", NULL);
}

static const char *
group (Fx *fx, const char *topic)
{
  const char *members[] = { BOB, CAROL, NULL };

  return fake_graph_add_chat (fx->fg, "group", topic, members);
}

static TgSearchPage *
search_full (Fx *fx, const char *query, const char *chat_id, guint from, guint max_hits,
             void (*each) (gpointer), gpointer data, GError **error)
{
  GfWait w = { 0 };
  TgSearchPage *page;

  tg_search_messages_async (fx->graph, query, chat_id, from, max_hits, NULL, gf_wait_cb, &w);
  gf_wait_each (&w, each, data);
  page = tg_search_messages_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return page;
}

static TgSearchPage *
search (Fx *fx, const char *query, const char *chat_id, guint from, guint max_hits)
{
  g_autoptr (GError) error = NULL;
  TgSearchPage *page = search_full (fx, query, chat_id, from, max_hits, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

/* The n-th logged request of method + glob (0-based), NULL when none. */
static FakeRequest *
nth_request (FakeGraph *fg, const char *method, const char *glob, guint n)
{
  GPtrArray *log = fake_graph_requests (fg);
  g_autoptr (GPatternSpec) spec = g_pattern_spec_new (glob);

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];

      if (g_str_equal (r->method, method) && g_pattern_spec_match_string (spec, r->path) &&
          n-- == 0)
        return r;
    }
  return NULL;
}

/* The exact body of the n-th search request. */
static void
assert_search_body (FakeGraph *fg, guint n, const char *kql_text, guint from)
{
  FakeRequest *r = nth_request (fg, "POST", "/v1.0/search/query", n);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) expected = NULL, got = NULL;
  g_autofree char *expected_text = NULL, *got_text = NULL;

  g_assert_nonnull (r);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "requests");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entityTypes");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "chatMessage");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "query");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "queryString");
  json_builder_add_string_value (b, kql_text);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_int_value (b, from);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, 25);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  expected = json_builder_get_root (b);
  got = tg_json_parse (r->body, -1, NULL);
  g_assert_nonnull (got);
  expected_text = tg_json_to_string (expected);
  got_text = tg_json_to_string (got);
  g_assert_cmpstr (got_text, ==, expected_text);
}

static void
test_search_one_chat (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  const char *other = group (fx, "Other");
  g_autoptr (TgSearchPage) page = NULL;
  TgSearchHit *hit;

  fake_graph_inject_message (fx->fg, plans, BOB, "the <b>deploy</b> of the new site is done, "
                             "and this sentence is long enough to be cut in a summary");
  fake_graph_inject_message (fx->fg, other, BOB, "deploy elsewhere");
  fake_graph_inject_message (fx->fg, plans, CAROL, "nothing to see");
  fake_graph_inject_message (fx->fg, plans, CAROL, "Deploy again tomorrow");
  fake_graph_clear_log (fx->fg);

  page = search (fx, "\"deploy\"", plans, 0, 10);
  /* One search request, exactly this body. */
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/search/query"), ==, 1);
  assert_search_body (fx->fg, 0, "\"deploy\"", 0);
  /* Only this chat's hits, newest first, each message fetched in full. */
  g_assert_cmpuint (page->hits->len, ==, 2);
  g_assert_false (page->more);
  g_assert_cmpuint (page->next_from, ==, 3);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/chats/*/messages/*"), ==, 2);
  hit = page->hits->pdata[0];
  g_assert_cmpstr (hit->chat_id, ==, plans);
  g_assert_cmpstr (hit->from_name, ==, "Carol Smith");
  g_assert_cmpstr (hit->from_address, ==, CAROL);
  g_assert_nonnull (hit->message);
  g_assert_cmpstr (hit->message->body, ==, "Deploy again tomorrow");
  g_assert_cmpstr (hit->summary, ==, "Deploy again tomorrow");
  hit = page->hits->pdata[1];
  g_assert_nonnull (hit->message);
  g_assert_nonnull (strstr (hit->message->body, "<b>deploy</b>"));
  g_assert_cmpstr (hit->message->from_display_name, ==, "Bob Jones");
  g_assert_cmpint (hit->created, ==, hit->message->created);
  g_assert_true (nth_request (fx->fg, "GET", "/v1.0/chats/*/messages/*", 0) != NULL);
  gf_fixture_free (fx);
}

static void
test_search_no_hits (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  g_autoptr (TgSearchPage) page = NULL;

  fake_graph_inject_message (fx->fg, plans, BOB, "hello");
  fake_graph_clear_log (fx->fg);
  page = search (fx, "\"absent\"", plans, 0, 10);
  g_assert_cmpuint (page->hits->len, ==, 0);
  g_assert_false (page->more);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/search/query"), ==, 1);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "*"), ==, 0);
  gf_fixture_free (fx);
}

/* A page full: the cursor points at the next hit, and the next call starts there. */
static void
test_search_next_page (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  g_autoptr (TgSearchPage) first = NULL, second = NULL, third = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  char text[32];

  for (int i = 0; i < 23; i++)
    {
      g_snprintf (text, sizeof text, "report %02d", i);
      fake_graph_inject_message (fx->fg, plans, i % 2 ? BOB : CAROL, text);
    }
  fake_graph_clear_log (fx->fg);
  first = search (fx, "\"report\"", plans, 0, 10);
  g_assert_cmpuint (first->hits->len, ==, 10);
  g_assert_true (first->more);
  g_assert_cmpuint (first->next_from, ==, 10);
  g_assert_cmpstr (((TgSearchHit *) first->hits->pdata[0])->message->body, ==, "report 22");
  second = search (fx, "\"report\"", plans, first->next_from, 10);
  assert_search_body (fx->fg, 1, "\"report\"", 10);
  g_assert_cmpuint (second->hits->len, ==, 10);
  g_assert_cmpstr (((TgSearchHit *) second->hits->pdata[0])->message->body, ==, "report 12");
  third = search (fx, "\"report\"", plans, second->next_from, 10);
  g_assert_cmpuint (third->hits->len, ==, 3);
  g_assert_false (third->more);
  g_assert_cmpstr (((TgSearchHit *) third->hits->pdata[2])->message->body, ==, "report 00");
  for (guint p = 0; p < 3; p++)
    {
      TgSearchPage *page = p == 0 ? first : p == 1 ? second : third;

      for (guint i = 0; i < page->hits->len; i++)
        g_assert_true (g_hash_table_add (ids, ((TgSearchHit *) page->hits->pdata[i])->message_id));
    }
  g_assert_cmpuint (g_hash_table_size (ids), ==, 23);
  gf_fixture_free (fx);
}

/* This chat's hits come after a full Graph page of other chats' hits: the scan goes on to the
 * next Graph page. */
static void
test_search_scans_pages (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  const char *other = group (fx, "Other");
  g_autoptr (TgSearchPage) page = NULL;

  fake_graph_inject_message (fx->fg, plans, BOB, "release one");
  fake_graph_inject_message (fx->fg, plans, CAROL, "release two");
  for (int i = 0; i < 30; i++)
    fake_graph_inject_message (fx->fg, other, BOB, "release noise");
  fake_graph_clear_log (fx->fg);
  page = search (fx, "\"release\"", plans, 0, 10);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/search/query"), ==, 2);
  assert_search_body (fx->fg, 0, "\"release\"", 0);
  assert_search_body (fx->fg, 1, "\"release\"", 25);
  g_assert_cmpuint (page->hits->len, ==, 2);
  g_assert_false (page->more);
  g_assert_cmpstr (((TgSearchHit *) page->hits->pdata[0])->message->body, ==, "release two");
  g_assert_cmpstr (((TgSearchHit *) page->hits->pdata[1])->message->body, ==, "release one");
  gf_fixture_free (fx);
}

/* The scan is bounded: with only other chats' hits, TG_SEARCH_MAX_SCAN requests, then a cursor. */
static void
test_search_scan_bounded (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  const char *other = group (fx, "Other");
  g_autoptr (TgSearchPage) page = NULL;

  fake_graph_inject_message (fx->fg, plans, BOB, "unrelated");
  for (int i = 0; i < TG_SEARCH_GRAPH_PAGE * TG_SEARCH_MAX_SCAN + 5; i++)
    fake_graph_inject_message (fx->fg, other, BOB, "noise");
  fake_graph_clear_log (fx->fg);
  page = search (fx, "\"noise\"", plans, 0, 10);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/search/query"), ==, TG_SEARCH_MAX_SCAN);
  g_assert_cmpuint (page->hits->len, ==, 0);
  g_assert_true (page->more);
  g_assert_cmpuint (page->next_from, ==, TG_SEARCH_GRAPH_PAGE * TG_SEARCH_MAX_SCAN);
  gf_fixture_free (fx);
}

/* Unanswered message GETs at the emulator right now, and the most seen at once. */
typedef struct {
  FakeGraph *fg;
  guint max;
} InFlight;

static void
note_in_flight (gpointer data)
{
  InFlight *f = data;
  GPtrArray *log = fake_graph_requests (f->fg);
  g_autoptr (GPatternSpec) spec = g_pattern_spec_new ("/v1.0/chats/*/messages/*");
  guint n = 0;

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];

      n += g_str_equal (r->method, "GET") && g_pattern_spec_match_string (spec, r->path) &&
           r->status == 0;
    }
  f->max = MAX (f->max, n);
}

static void
test_search_bounded_concurrency (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  g_autoptr (TgSearchPage) page = NULL;
  g_autoptr (GError) error = NULL;
  InFlight f = { fx->fg, 0 };

  for (int i = 0; i < 9; i++)
    fake_graph_inject_message (fx->fg, plans, BOB, "slow item");
  /* The first four GETs are held long enough for a fifth to show up, were it ever sent while
   * they are in flight; the rest are answered at once. */
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/chats/*/messages/*", FAKE_FAULT_DELAY, 0, NULL,
                        2000, TG_SEARCH_FETCH_CONCURRENCY);
  fake_graph_clear_log (fx->fg);
  page = search_full (fx, "\"slow\"", plans, 0, 10, note_in_flight, &f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->hits->len, ==, 9);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/chats/*/messages/*"), ==, 9);
  for (guint i = 0; i < page->hits->len; i++)
    g_assert_nonnull (((TgSearchHit *) page->hits->pdata[i])->message);
  g_assert_cmpuint (f.max, <=, TG_SEARCH_FETCH_CONCURRENCY);
  g_assert_cmpuint (f.max, ==, TG_SEARCH_FETCH_CONCURRENCY);
  gf_fixture_free (fx);
}

/* A message that cannot be fetched keeps Graph's summary (highlights dropped). */
static void
test_search_fetch_fails (void)
{
  Fx *fx = fx_new ();
  const char *plans = group (fx, "Plans");
  g_autoptr (TgSearchPage) page = NULL;
  TgSearchHit *hit;

  fake_graph_inject_message (fx->fg, plans, BOB, "gone soon");
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/chats/*/messages/*", FAKE_FAULT_STATUS, 404, NULL,
                        0, 1);
  page = search (fx, "\"gone\"", plans, 0, 10);
  g_assert_cmpuint (page->hits->len, ==, 1);
  hit = page->hits->pdata[0];
  g_assert_null (hit->message);
  g_assert_cmpstr (hit->summary, ==, "gone soon");
  g_assert_cmpstr (hit->from_name, ==, "Bob Jones");
  g_assert_cmpint (hit->created, >, 0);
  gf_fixture_free (fx);
}

static void
test_search_errors (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GError) error = NULL;
  TgSearchPage *page;

  fake_graph_add_fault (fx->fg, "POST", "/v1.0/search/query", FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  page = search_full (fx, "\"x\"", "19:a@thread.v2", 0, 10, NULL, NULL, &error);
  g_assert_null (page);
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_clear_error (&error);
  page = search_full (fx, "", NULL, 0, 10, NULL, NULL, &error);
  g_assert_null (page);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  gf_fixture_free (fx);
}

/* Dates and from: reach the emulator's KQL: only the messages of that sender and those days. */
static void
test_search_from_and_dates (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) two_days_ago = g_date_time_add_days (now, -2);
  g_autofree char *since = g_date_time_format (two_days_ago, "%Y-%m-%d");
  g_autofree char *until = g_date_time_format (now, "%Y-%m-%d");
  const char *json =
    "{\"me\":\"me@contoso.com\",\"users\":["
    "{\"upn\":\"me@contoso.com\",\"displayName\":\"Me\"},"
    "{\"upn\":\"bob@contoso.com\",\"displayName\":\"Bob Jones\"},"
    "{\"upn\":\"carol@contoso.com\",\"displayName\":\"Carol Smith\"}],"
    "\"chats\":[{\"chatType\":\"group\",\"topic\":\"Plans\","
    "\"members\":[\"bob@contoso.com\",\"carol@contoso.com\"],\"messages\":["
    "{\"from\":\"bob@contoso.com\",\"text\":\"budget draft\",\"minutesAgo\":14400},"
    "{\"from\":\"carol@contoso.com\",\"text\":\"budget from carol\",\"minutesAgo\":600},"
    "{\"from\":\"bob@contoso.com\",\"text\":\"budget final\",\"minutesAgo\":300}]}]}";
  g_autoptr (GError) error = NULL;
  FakeGraph *fg = fake_graph_new_from_json (json, &error);
  Fx *fx;
  g_autoptr (TgSearchPage) page = NULL;
  g_autofree char *q = NULL, *expected = NULL;

  g_assert_no_error (error);
  fx = gf_fixture_new_for (fg);
  q = kql ("budget", "Bob Jones", since, until);
  expected = g_strdup_printf ("\"budget\" from:\"Bob Jones\" sent>=%s sent<=%s", since, until);
  g_assert_cmpstr (q, ==, expected);
  page = search (fx, q, fake_graph_find_chat (fg, "Plans"), 0, 10);
  assert_search_body (fg, 0, expected, 0);
  /* The ten-day-old draft and Carol's message are out. */
  g_assert_cmpuint (page->hits->len, ==, 1);
  g_assert_cmpstr (((TgSearchHit *) page->hits->pdata[0])->message->body, ==, "budget final");
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/search/kql/words", test_kql_words);
  g_test_add_func ("/search/kql/escaping", test_kql_escaping);
  g_test_add_func ("/search/kql/operators", test_kql_operators);
  g_test_add_func ("/search/kql/unicode", test_kql_unicode);
  g_test_add_func ("/search/kql/dates", test_kql_dates);
  g_test_add_func ("/search/kql/empty", test_kql_empty);
  g_test_add_func ("/search/query-parse", test_query_parse);
  g_test_add_func ("/search/parse-date", test_parse_date);
  g_test_add_func ("/search/one-chat", test_search_one_chat);
  g_test_add_func ("/search/no-hits", test_search_no_hits);
  g_test_add_func ("/search/next-page", test_search_next_page);
  g_test_add_func ("/search/scans-pages", test_search_scans_pages);
  g_test_add_func ("/search/scan-bounded", test_search_scan_bounded);
  g_test_add_func ("/search/bounded-concurrency", test_search_bounded_concurrency);
  g_test_add_func ("/search/fetch-fails", test_search_fetch_fails);
  g_test_add_func ("/search/errors", test_search_errors);
  g_test_add_func ("/search/from-and-dates", test_search_from_and_dates);
  return g_test_run ();
}
