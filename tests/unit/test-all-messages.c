/* Unit tests for tg-all-messages against the Graph emulator in-process: a delegated token's 403
 * comes back as one TG_ERROR_FORBIDDEN after exactly one request (the exact path and query);
 * with the application permission: the time range, the count, paging, newest first, system
 * events kept; bad arguments refused before any request. */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-all-messages.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "fake-graph/fake-graph.h"

typedef GfFixture Fx;

/* A tenant: me, Bob, a group chat and a one-on-one chat with messages 10 days, 5 h, 3 h, 2 h and
 * 1 h old, and a rename event 90 min ago. */
static Fx *
fx_new (void)
{
  const char *json =
    "{\"me\":\"me@contoso.com\",\"users\":["
    "{\"upn\":\"me@contoso.com\",\"displayName\":\"Me\"},"
    "{\"upn\":\"bob@contoso.com\",\"displayName\":\"Bob Jones\"}],"
    "\"chats\":["
    "{\"chatType\":\"group\",\"topic\":\"Plans\",\"members\":[\"bob@contoso.com\"],\"messages\":["
    "{\"from\":\"bob@contoso.com\",\"text\":\"ten days old\",\"minutesAgo\":14400},"
    "{\"from\":\"bob@contoso.com\",\"text\":\"five hours old\",\"minutesAgo\":300},"
    "{\"event\":\"chatRenamed\",\"by\":\"bob@contoso.com\",\"topic\":\"Plans\",\"minutesAgo\":90},"
    "{\"from\":\"me@contoso.com\",\"text\":\"one hour old\",\"minutesAgo\":60}]},"
    "{\"chatType\":\"oneOnOne\",\"members\":[\"bob@contoso.com\"],\"messages\":["
    "{\"from\":\"bob@contoso.com\",\"text\":\"three hours old\",\"minutesAgo\":180},"
    "{\"from\":\"bob@contoso.com\",\"text\":\"two hours old\",\"minutesAgo\":120}]}]}";
  g_autoptr (GError) error = NULL;
  FakeGraph *fg = fake_graph_new_from_json (json, &error);

  g_assert_no_error (error);
  return gf_fixture_new_for (fg);
}

static GPtrArray *
list_all (Fx *fx, const char *user_id, gint64 since, gint64 until, guint top, GError **error)
{
  GfWait w = { 0 };
  GPtrArray *msgs;

  tg_all_messages_list_async (fx->graph, user_id, since, until, top, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  msgs = tg_all_messages_list_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return msgs;
}

static gint64
hours_ago (double h)
{
  return g_get_real_time () - (gint64) (h * 3600 * G_USEC_PER_SEC);
}

static void
test_delegated_forbidden (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GError) error = NULL;
  gint64 since = tg_time_parse ("2024-05-01T00:00:00Z"), until = tg_time_parse ("2024-05-02T12:30:00Z");
  GPtrArray *msgs = list_all (fx, fx->me_id, since, until, 20, &error);
  GPtrArray *log = fake_graph_requests (fx->fg);
  FakeRequest *r;
  g_autofree char *path = g_strdup_printf ("/v1.0/users/%s/chats/getAllMessages", fx->me_id);

  g_assert_null (msgs);
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "Chat.Read.All"));
  /* One request, not retried. */
  g_assert_cmpuint (log->len, ==, 1);
  r = log->pdata[0];
  g_assert_cmpstr (r->method, ==, "GET");
  g_assert_cmpstr (r->path, ==, path);
  g_assert_cmpstr (r->query, ==, "$top=20&$filter=lastModifiedDateTime gt 2024-05-01T00:00:00.000Z "
                                 "and lastModifiedDateTime lt 2024-05-02T12:30:00.000Z");
  g_assert_cmpuint (r->status, ==, 403);
  gf_fixture_free (fx);
}

static void
test_range_and_count (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) msgs = NULL, two = NULL;
  TgMessage *m;

  fake_graph_set_application_permissions (fx->fg, TRUE);
  /* The last 6 hours, up to 2.5 hours ago: 5 h and 3 h old, from both chats. */
  msgs = list_all (fx, fx->me_id, hours_ago (6), hours_ago (2.5), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 2);
  m = msgs->pdata[0];
  g_assert_cmpstr (m->body, ==, "three hours old");
  g_assert_nonnull (m->chat_id);
  g_assert_cmpstr (m->from_display_name, ==, "Bob Jones");
  g_assert_cmpstr (((TgMessage *) msgs->pdata[1])->body, ==, "five hours old");
  g_assert_cmpstr (((TgMessage *) msgs->pdata[1])->chat_id, !=, m->chat_id);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/users/*/chats/getAllMessages"), ==, 1);

  /* No upper bound, count 2: the two newest, a system event among them. */
  two = list_all (fx, fx->me_id, hours_ago (6), 0, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (two->len, ==, 2);
  g_assert_cmpstr (((TgMessage *) two->pdata[0])->body, ==, "one hour old");
  g_assert_true (tg_message_is_system (two->pdata[1]));
  g_assert_cmpint (((TgMessage *) two->pdata[1])->event->kind, ==, TG_EVENT_CHAT_RENAMED);
  gf_fixture_free (fx);
}

static void
test_paging (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) msgs = NULL;
  const char *plans = fake_graph_find_chat (fx->fg, "Plans");

  fake_graph_set_application_permissions (fx->fg, TRUE);
  for (int i = 0; i < 70; i++)
    fake_graph_inject_message (fx->fg, plans, "bob@contoso.com", "flood");
  fake_graph_clear_log (fx->fg);
  msgs = list_all (fx, fx->me_id, hours_ago (0.5), 0, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 60);
  /* $top=50, then the nextLink. */
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/users/*/chats/getAllMessages"), ==, 2);
  for (guint i = 1; i < msgs->len; i++)
    g_assert_cmpint (((TgMessage *) msgs->pdata[i - 1])->created, >=,
                     ((TgMessage *) msgs->pdata[i])->created);
  gf_fixture_free (fx);
}

static void
test_bad_arguments (void)
{
  Fx *fx = fx_new ();
  GError *error = NULL;

  g_assert_null (list_all (fx, NULL, 0, 0, 10, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_null (list_all (fx, fx->me_id, hours_ago (1), hours_ago (2), 10, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 0);
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/all-messages/delegated-forbidden", test_delegated_forbidden);
  g_test_add_func ("/all-messages/range-and-count", test_range_and_count);
  g_test_add_func ("/all-messages/paging", test_paging);
  g_test_add_func ("/all-messages/bad-arguments", test_bad_arguments);
  return g_test_run ();
}
