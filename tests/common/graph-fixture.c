/* graph-fixture — a signed-in TgGraph against the emulator, for unit tests (see the header). */
#include "common/graph-fixture.h"

#define HANG_GUARD_S 20
#define CLIENT_ID "14d82eec-204b-4c2f-b7e8-296a70dab67e"

void
gf_wait_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GfWait *w = data;

  w->result = g_object_ref (result);
}

static gboolean
on_hang_guard (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
gf_wait_until (gboolean (*cond) (gpointer data), gpointer data)
{
  gboolean hung = FALSE;
  guint guard = g_timeout_add_seconds (HANG_GUARD_S, on_hang_guard, &hung);
  guint tick = g_timeout_add (10, on_tick, NULL);

  while (!cond (data) && !hung)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (!hung)
    g_source_remove (guard);
  g_assert_false (hung);
}

static gboolean
flag_is_set (gpointer data)
{
  return *(const gboolean *) data;
}

void
gf_wait_flag (const gboolean *flag)
{
  gf_wait_until (flag_is_set, (gpointer) flag);
}

void
gf_spin_ms (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, on_hang_guard, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

GAsyncResult *
gf_wait_each (GfWait *w, void (*each) (gpointer data), gpointer data)
{
  gboolean hung = FALSE;
  guint guard = g_timeout_add_seconds (HANG_GUARD_S, on_hang_guard, &hung);

  while (w->result == NULL && !hung)
    {
      g_main_context_iteration (NULL, TRUE);
      if (each != NULL)
        each (data);
    }
  if (!hung)
    g_source_remove (guard);
  g_assert_false (hung);
  return w->result;
}

GAsyncResult *
gf_wait (GfWait *w)
{
  return gf_wait_each (w, NULL, NULL);
}

void
gf_wait_clear (GfWait *w)
{
  g_clear_object (&w->result);
}

static void
fixture_init (GfFixture *fx, FakeGraph *fg)
{
  GError *error = NULL;
  g_autofree char *refresh = NULL;
  GfWait w = { 0 };

  fx->fg = fg;
  g_assert_true (fake_graph_listen (fx->fg, 0, &error));
  fx->me_id = fake_graph_user_id (fx->fg, fake_graph_me_upn (fx->fg));
  fx->graph = tg_graph_new (fake_graph_graph_url (fx->fg), &error);
  g_assert_no_error (error);
  tg_graph_set_retry_policy (fx->graph, 3, 0.001);
  fx->auth = tg_auth_new (tg_graph_session (fx->graph), fake_graph_base_url (fx->fg),
                          "organizations", CLIENT_ID, NULL, &error);
  g_assert_no_error (error);
  refresh = fake_graph_issue_refresh_token (fx->fg);
  tg_auth_set_refresh_token (fx->auth, refresh);
  tg_auth_attach (fx->auth, fx->graph);
  tg_auth_sign_in_async (fx->auth, NULL, gf_wait_cb, &w);
  g_assert_true (tg_auth_sign_in_finish (fx->auth, gf_wait (&w), &error));
  g_assert_no_error (error);
  gf_wait_clear (&w);
  fake_graph_clear_log (fx->fg);
}

GfFixture *
gf_fixture_new_for (FakeGraph *fg)
{
  GfFixture *fx = g_new0 (GfFixture, 1);

  fixture_init (fx, fg);
  return fx;
}

GfFixture *
gf_fixture_new (const char *me_upn)
{
  return gf_fixture_new_for (fake_graph_new (me_upn));
}

GfFixture *
gf_fixture_new_withholding (const char *me_upn, const char *scope)
{
  FakeGraph *fg = fake_graph_new (me_upn);

  fake_graph_withhold_scope (fg, scope);
  return gf_fixture_new_for (fg);
}

GfFixture *
gf_fixture_add_users (GfFixture *fx, const char *upn, const char *name, ...)
{
  va_list args;

  va_start (args, name);
  while (upn != NULL)
    {
      fake_graph_add_user (fx->fg, upn, name);
      upn = va_arg (args, const char *);
      name = upn != NULL ? va_arg (args, const char *) : NULL;
    }
  va_end (args);
  return fx;
}

void
gf_fixture_set_up (GfFixture *fx, gconstpointer me_upn)
{
  fixture_init (fx, fake_graph_new (me_upn));
}

void
gf_fixture_tear_down (GfFixture *fx, gconstpointer data)
{
  tg_auth_free (fx->auth);
  tg_graph_unref (fx->graph);
  gf_spin_ms (5);   /* let cancelled requests unwind before the server goes */
  fake_graph_free (fx->fg);
}

void
gf_fixture_free (GfFixture *fx)
{
  gf_fixture_tear_down (fx, NULL);
  g_free (fx);
}

FakeRequest *
gf_last_request (FakeGraph *fg, const char *method, const char *path_glob)
{
  GPtrArray *log = fake_graph_requests (fg);
  g_autoptr (GPatternSpec) spec = g_pattern_spec_new (path_glob);

  for (guint i = log->len; i > 0; i--)
    {
      FakeRequest *r = log->pdata[i - 1];

      if (g_str_equal (r->method, method) && g_pattern_spec_match_string (spec, r->path))
        return r;
    }
  return NULL;
}

JsonObject *
gf_request_body (const FakeRequest *r, JsonNode **keep)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (r);
  g_assert_nonnull (r->body);
  g_clear_pointer (keep, json_node_unref);   /* a test may read several bodies into one keep */
  *keep = json_from_string (r->body, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*keep));
  return json_node_get_object (*keep);
}
