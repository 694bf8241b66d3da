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

GAsyncResult *
gf_wait (GfWait *w)
{
  gboolean hung = FALSE;
  guint guard = g_timeout_add_seconds (HANG_GUARD_S, on_hang_guard, &hung);

  while (w->result == NULL && !hung)
    g_main_context_iteration (NULL, TRUE);
  if (!hung)
    g_source_remove (guard);
  g_assert_false (hung);
  return w->result;
}

void
gf_wait_clear (GfWait *w)
{
  g_clear_object (&w->result);
}

GfFixture *
gf_fixture_new (const char *me_upn)
{
  GfFixture *fx = g_new0 (GfFixture, 1);
  GError *error = NULL;
  g_autofree char *refresh = NULL;
  GfWait w = { 0 };

  fx->fg = fake_graph_new (me_upn);
  g_assert_true (fake_graph_listen (fx->fg, 0, &error));
  fx->me_id = fake_graph_user_id (fx->fg, me_upn);
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
  return fx;
}

void
gf_fixture_free (GfFixture *fx)
{
  tg_auth_free (fx->auth);
  tg_graph_unref (fx->graph);
  fake_graph_free (fx->fg);
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
gf_request_body (FakeRequest *r, JsonNode **keep)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (r);
  g_assert_nonnull (r->body);
  *keep = json_from_string (r->body, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*keep));
  return json_node_get_object (*keep);
}
