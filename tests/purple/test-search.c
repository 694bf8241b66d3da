/* Search scenarios: the built plugin in the headless test bed against the Graph emulator.
 * /search with from: and a date range (the exact POST body), results filtered to this chat and
 * shown as compact lines (time, author, text), /search more for the next page, no hits, usage
 * errors before any request, quotes typed in a client (markup), /search in an IM; and the
 * account action "Recent messages in all chats…" (the request dialog; a delegated account's 403
 * explained once). */
#include <string.h>

#include "common/graph-fixture.h"
#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static FakeGraph *
new_tenant (void)
{
  return sc_tenant_new (ME, BOB, "Bob Jones", CAROL, "Carol Smith", NULL);
}

/* Asserts the exact body of the n-th search request. */
static void
assert_search_body (FakeGraph *fg, guint n, const char *query_string, guint from)
{
  FakeRequest *r = sc_nth_request (fg, "POST", "/v1.0/search/query", n);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *got = NULL, *expected = NULL, *escaped = NULL;

  gf_request_body (r, &node);
  json_generator_set_root (gen, node);
  got = json_generator_to_data (gen, NULL);
  {
    /* The query string as a JSON string literal. */
    g_autoptr (JsonNode) s = json_node_new (JSON_NODE_VALUE);
    g_autoptr (JsonGenerator) g2 = json_generator_new ();

    json_node_set_string (s, query_string);
    json_generator_set_root (g2, s);
    escaped = json_generator_to_data (g2, NULL);
  }
  expected = g_strdup_printf ("{\"requests\":[{\"entityTypes\":[\"chatMessage\"],\"query\":"
                              "{\"queryString\":%s},\"from\":%u,\"size\":25}]}", escaped, from);
  g_assert_cmpstr (got, ==, expected);
}

static char *
utc_date (int days_from_today)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) then = g_date_time_add_days (now, days_from_today);

  return g_date_time_format (then, "%Y-%m-%d");
}

/* ------------------------------------------------------------------------------------------ */
/* /search                                                                                     */

/* from: and a date range: the exact body; only this chat's messages of that sender, one compact
 * line each (time, author, text), newest first. */
static void
test_search_from_and_dates (void)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *other = sc_group_chat (fg, "Other", BOB, CAROL, NULL);
  g_autofree char *since = utc_date (-1), *until = utc_date (1);
  g_autofree char *cmd = NULL, *kql = NULL;
  PurpleAccount *acc;
  PurpleConversation *conv;
  TbEvent *head, *first, *second, *end;

  fake_graph_inject_message (fg, plans, BOB, "<p>budget <b>draft</b> for May</p>");
  fake_graph_inject_message (fg, plans, CAROL, "budget looks fine to me");
  fake_graph_inject_message (fg, other, BOB, "budget of the other team");
  fake_graph_inject_message (fg, plans, BOB, "final budget\nsecond line");
  fake_graph_mark_read (fg, plans);
  fake_graph_mark_read (fg, other);
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_join_and_wait (acc, plans);
  tb_run_for (50);

  fake_graph_clear_log (fg);
  tb_events_mark ();
  cmd = g_strdup_printf ("search budget from:%s since:%s until:%s", BOB, since, until);
  sc_run_command (conv, cmd);
  end = sc_wait_write ("End of results.");
  kql = g_strdup_printf ("\"budget\" from:\"%s\" sent>=%s sent<=%s", BOB, since, until);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/search/query"), ==, 1);
  assert_search_body (fg, 0, kql, 0);
  /* Both of Bob's messages here are fetched in full; nothing from the other chat. */
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/chats/*/messages/*"), ==, 2);
  g_assert_nonnull (strstr (sc_nth_request (fg, "GET", "/v1.0/chats/*/messages/*", 0)->path, plans));
  g_assert_nonnull (strstr (sc_nth_request (fg, "GET", "/v1.0/chats/*/messages/*", 1)->path, plans));

  head = tb_events_find (TB_EV_WRITE, "Messages matching");
  g_assert_nonnull (head);
  g_assert_nonnull (strstr (head->text, "(1–2)"));
  g_assert_true (head->flags & PURPLE_MESSAGE_SYSTEM);
  first = tb_events_find (TB_EV_WRITE, "final budget second line");
  second = tb_events_find (TB_EV_WRITE, "budget <b>draft</b>");
  g_assert_null (second);   /* the text is plain, not Teams markup */
  second = tb_events_find (TB_EV_WRITE, "budget draft for May");
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_assert_nonnull (strstr (first->text, "<b>Bob Jones</b>: final budget second line"));
  g_assert_true (first->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_true (first->flags & PURPLE_MESSAGE_NO_LOG);
  g_assert_cmpstr (first->conv, ==, plans);
  /* Newest first, between the head and the end line. */
  g_assert_cmpuint (head->index, <, first->index);
  g_assert_cmpuint (first->index, <, second->index);
  g_assert_cmpuint (second->index, <, end->index);
  g_assert_null (tb_events_find (TB_EV_WRITE, "looks fine"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "other team"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "/search more"));
}

static void
test_search_no_hits (void)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *other = sc_group_chat (fg, "Other", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;
  TbEvent *ev;

  fake_graph_inject_message (fg, plans, BOB, "hello");
  fake_graph_inject_message (fg, other, BOB, "zebra crossing");
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_join_and_wait (acc, plans);
  tb_run_for (50);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  /* A hit in another chat is no hit here. */
  sc_run_command (conv, "search zebra");
  ev = sc_wait_write ("No messages match");
  g_assert_cmpstr (ev->text, ==, "No messages match “zebra”.");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  assert_search_body (fg, 0, "\"zebra\"", 0);
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/chats/*/messages/*"), ==, 0);
  g_assert_null (tb_events_find (TB_EV_WRITE, "Messages matching"));
  /* Nothing to continue. */
  tb_events_mark ();
  sc_run_command (conv, "search more");
  ev = sc_wait_write ("No more messages match");
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/search/query"), ==, 1);
}

/* "Plans" with 14 read messages "report 00" … "report 13" (from Carol and Bob in turn, or all from
 * Bob), joined; *fg_out gets the emulator. */
static PurpleConversation *
join_reports_chat (FakeGraph **fg_out, gboolean alternate_senders)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleConversation *conv;
  char text[32];

  for (int i = 0; i < 14; i++)
    {
      g_snprintf (text, sizeof text, "report %02d", i);
      fake_graph_inject_message (fg, plans, alternate_senders && i % 2 == 0 ? CAROL : BOB, text);
    }
  fake_graph_mark_read (fg, plans);
  conv = sc_join_and_wait (sc_connect_and_sync (fg, 1), plans);
  tb_run_for (50);
  *fg_out = fg;
  return conv;
}

/* 14 hits: 10, then /search more for the last 4 (the body's from moves on), then no more. */
static void
test_search_more (void)
{
  FakeGraph *fg;
  PurpleConversation *conv = join_reports_chat (&fg, TRUE);
  TbEvent *ev;

  fake_graph_clear_log (fg);

  tb_events_mark ();
  sc_run_command (conv, "search report");
  sc_wait_write ("Type /search more for more results.");
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "report "), ==, 10);
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "report 13"));
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "report 04"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "report 03"));
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "(1–10)"));
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/chats/*/messages/*"), ==, 10);

  tb_events_mark ();
  sc_run_command (conv, "search more");
  sc_wait_write ("End of results.");
  assert_search_body (fg, 1, "\"report\"", 10);
  ev = tb_events_find (TB_EV_WRITE, "More messages matching “report” (11–14):");
  g_assert_nonnull (ev);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "report 0"), ==, 4);
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "report 00"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "report 04"));

  tb_events_mark ();
  sc_run_command (conv, "search more");
  ev = sc_wait_write ("No more messages match “report”.");
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/search/query"), ==, 2);
}

/* New hits arriving between the pages shift Graph's offsets: /search more shows no message
 * twice. */
static void
test_search_more_after_new_hits (void)
{
  FakeGraph *fg;
  PurpleConversation *conv = join_reports_chat (&fg, FALSE);
  const char *plans = fake_graph_find_chat (fg, "Plans");
  tb_events_mark ();
  sc_run_command (conv, "search report");
  sc_wait_write ("Type /search more for more results.");
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "report 04"));
  for (int i = 0; i < 3; i++)
    fake_graph_inject_message (fg, plans, CAROL, "fresh report");
  tb_events_mark ();
  sc_run_command (conv, "search more");
  sc_wait_write ("End of results.");
  /* Graph's page from offset 10 now starts with report 06: those three are not shown again. */
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "(11–14)"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "report 06"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "report 04"));
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "report 03"));
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "report 00"));
}

/* Bad input is refused with a usage error before any request. */
static void
test_search_usage (void)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, plans);
  char *error = NULL;

  fake_graph_clear_log (fg);
  g_assert_cmpint (sc_command (conv, "search budget since:2024-02-30", NULL, &error), ==,
                   PURPLE_CMD_STATUS_FAILED);
  g_assert_nonnull (strstr (error, "Not a date: “2024-02-30”"));
  g_assert_nonnull (strstr (error, "Usage: /search WORDS [from:USER] [since:DATE] [until:DATE]"));
  g_clear_pointer (&error, g_free);
  g_assert_cmpint (sc_command (conv, "search x since:2024-06-01 until:2024-05-01", NULL, &error), ==,
                   PURPLE_CMD_STATUS_FAILED);
  g_assert_nonnull (strstr (error, "is after"));
  g_clear_pointer (&error, g_free);
  g_assert_cmpint (sc_command (conv, "search x from:bob from:carol", NULL, &error), ==,
                   PURPLE_CMD_STATUS_FAILED);
  g_assert_nonnull (strstr (error, "only once"));
  g_clear_pointer (&error, g_free);
  g_assert_cmpint (sc_command (conv, "search", NULL, &error), ==, PURPLE_CMD_STATUS_FAILED);
  g_assert_nonnull (strstr (error, "Usage: /search"));
  g_clear_pointer (&error, g_free);
  g_assert_cmpint (sc_command (conv, "search *", NULL, &error), ==, PURPLE_CMD_STATUS_FAILED);
  g_assert_nonnull (strstr (error, "Nothing to search for"));
  g_clear_pointer (&error, g_free);
  g_assert_cmpint (sc_command (conv, "search more", NULL, &error), ==, PURPLE_CMD_STATUS_FAILED);
  g_assert_nonnull (strstr (error, "no search to continue"));
  g_clear_pointer (&error, g_free);
  tb_run_for (50);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/search/query"), ==, 0);
}

/* Quotes typed in a client: a phrase; KQL operators typed stay text; so do < and &. */
static void
test_search_quotes (void)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;

  fake_graph_inject_message (fg, plans, BOB, "plans for next year are OR-free");
  fake_graph_inject_message (fg, plans, BOB, "next: a year of rest");
  fake_graph_mark_read (fg, plans);
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_join_and_wait (acc, plans);
  tb_run_for (50);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  g_assert_cmpint (sc_command (conv, "search \"next year\" OR", "search &quot;next year&quot; OR",
                            NULL), ==, PURPLE_CMD_STATUS_OK);
  sc_wait_write ("End of results.");
  assert_search_body (fg, 0, "\"next year\" \"OR\"", 0);
  g_assert_nonnull (tb_events_find (TB_EV_WRITE, "plans for next year are OR-free"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "a year of rest"));
  /* What looks like markup in the plain text typed is searched as typed. */
  tb_events_mark ();
  g_assert_cmpint (sc_command (conv, "search 1<2 & <b>", "search 1&lt;2 &amp; &lt;b&gt;", NULL), ==,
                   PURPLE_CMD_STATUS_OK);
  sc_wait_write ("No messages match “1&lt;2 &amp; &lt;b&gt;”.");   /* written as markup */
  assert_search_body (fg, 1, "\"1<2\" \"&\" \"<b>\"", 0);
}

/* In an IM: the one-on-one chat's messages only. */
static void
test_search_im (void)
{
  FakeGraph *fg = new_tenant ();
  const char *im = sc_one_on_one (fg, BOB, "Bob Jones");
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;
  TbEvent *ev;

  fake_graph_inject_message (fg, im, BOB, "lunch on friday?");
  fake_graph_inject_message (fg, plans, CAROL, "team lunch");
  fake_graph_mark_read (fg, im);
  fake_graph_mark_read (fg, plans);
  acc = sc_connect_and_sync (fg, 1);
  tb_run_for (100);
  conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, BOB);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  sc_run_command (conv, "search lunch");
  sc_wait_write ("End of results.");
  ev = tb_events_find (TB_EV_WRITE, "lunch on friday?");
  g_assert_nonnull (ev);
  g_assert_nonnull (strstr (ev->text, "Bob Jones"));
  g_assert_null (tb_events_find (TB_EV_WRITE, "team lunch"));
  g_assert_nonnull (strstr (sc_nth_request (fg, "GET", "/v1.0/chats/*/messages/*", 0)->path, im));
}

/* ------------------------------------------------------------------------------------------ */
/* "Recent messages in all chats…"                                                             */

/* Opens the dialog, fills it in (NULL keeps a default) and answers OK. */
static void
ask_recent (PurpleAccount *acc, const char *since, const char *until, int count)
{
  TbEvent *ev;
  PurpleRequestFields *fields;

  g_assert_true (tb_account_action (acc, "Recent messages in all chats…"));
  ev = tb_wait_event (TB_EV_REQUEST, "Recent messages in all chats");
  fields = tb_request_fields (ev);
  g_assert_nonnull (fields);
  g_assert_nonnull (purple_request_fields_get_string (fields, "since"));
  g_assert_cmpint (purple_request_fields_get_integer (fields, "count"), ==, 50);
  if (since != NULL)
    purple_request_field_string_set_value (purple_request_fields_get_field (fields, "since"), since);
  if (until != NULL)
    purple_request_field_string_set_value (purple_request_fields_get_field (fields, "until"), until);
  if (count > 0)
    purple_request_field_int_set_value (purple_request_fields_get_field (fields, "count"), count);
  g_assert_true (tb_request_ok (ev, NULL));
}

/* A delegated account: one request, one clear explanation, the connection stays. */
static void
test_recent_forbidden (void)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  FakeRequest *r;
  TbEvent *ev;
  g_autofree char *path = NULL;

  fake_graph_inject_message (fg, plans, BOB, "hello");
  acc = sc_connect_and_sync (fg, 1);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  ask_recent (acc, "2024-05-01", "2024-05-31", 20);
  ev = tb_wait_event (TB_EV_NOTIFY, "application permission");
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_MESSAGE);
  g_assert_cmpint (ev->detail, ==, PURPLE_NOTIFY_MSG_ERROR);
  g_assert_nonnull (strstr (ev->secondary, "Chat.Read.All or Chat.ReadWrite.All application permission"));
  g_assert_nonnull (strstr (ev->secondary, "admin consent"));
  g_assert_nonnull (strstr (ev->secondary, "model=A or model=B"));
  g_assert_nonnull (strstr (ev->secondary, "/search"));
  /* The exact request, made once. */
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/users/*/chats/getAllMessages"), ==, 1);
  r = sc_nth_request (fg, "GET", "/v1.0/users/*/chats/getAllMessages", 0);
  path = g_strdup_printf ("/v1.0/users/%s/chats/getAllMessages", fake_graph_user_id (fg, ME));
  g_assert_cmpstr (r->path, ==, path);
  g_assert_cmpstr (r->query, ==, "$top=20&$filter=lastModifiedDateTime gt 2024-05-01T00:00:00.000Z"
                                 " and lastModifiedDateTime lt 2024-05-31T23:59:59.999999Z");
  g_assert_cmpuint (r->status, ==, 403);
  /* One dialog, no stack of errors, still connected. */
  tb_run_for (100);
  g_assert_cmpuint (tb_events_count (TB_EV_NOTIFY, NULL), ==, 1);
  g_assert_null (tb_events_find (TB_EV_CONN_ERROR, NULL));
  g_assert_null (tb_events_find (TB_EV_WRITE, "Forbidden"));
  g_assert_true (purple_account_is_connected (acc));
}

/* With the application permission: the messages, newest first, with chat and author. */
static void
test_recent_granted (void)
{
  FakeGraph *fg = new_tenant ();
  const char *plans = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *im = sc_one_on_one (fg, CAROL, "Carol Smith");
  PurpleAccount *acc;
  TbEvent *ev;
  const char *older, *newer;

  fake_graph_inject_message (fg, plans, BOB, "status <b>green</b>");
  fake_graph_inject_message (fg, im, CAROL, "coffee?");
  fake_graph_set_application_permissions (fg, TRUE);
  acc = sc_connect_and_sync (fg, 1);
  tb_run_for (100);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  ask_recent (acc, NULL, NULL, 0);
  ev = tb_wait_event (TB_EV_NOTIFY, "2 messages, newest first");
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_FORMATTED);
  newer = strstr (ev->text, "Carol Smith: coffee?");
  older = strstr (ev->text, "<i>Plans</i> — Bob Jones: status green");
  g_assert_nonnull (newer);
  g_assert_nonnull (older);
  g_assert_true (newer < older);
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/users/*/chats/getAllMessages"), ==, 1);
  g_assert_nonnull (strstr (sc_nth_request (fg, "GET", "/v1.0/users/*/chats/getAllMessages", 0)->query,
                            "$top=50&$filter=lastModifiedDateTime gt "));
}

/* A bad date: said so, nothing asked of Graph. */
static void
test_recent_bad_date (void)
{
  FakeGraph *fg = new_tenant ();
  PurpleAccount *acc;
  TbEvent *ev;

  sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  acc = sc_connect_and_sync (fg, 1);
  fake_graph_clear_log (fg);
  tb_events_mark ();
  ask_recent (acc, "yesterday", NULL, 0);
  ev = tb_wait_event (TB_EV_NOTIFY, "Not a date");
  g_assert_nonnull (strstr (ev->secondary, "“yesterday”"));
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/users/*/chats/getAllMessages"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/search/from-and-dates", test_search_from_and_dates);
  tb_add ("/search/no-hits", test_search_no_hits);
  tb_add ("/search/more", test_search_more);
  tb_add ("/search/more-after-new-hits", test_search_more_after_new_hits);
  tb_add ("/search/usage", test_search_usage);
  tb_add ("/search/quotes", test_search_quotes);
  tb_add ("/search/im", test_search_im);
  tb_add ("/recent/forbidden", test_recent_forbidden);
  tb_add ("/recent/granted", test_recent_granted);
  tb_add ("/recent/bad-date", test_recent_bad_date);
  return tb_run ();
}
