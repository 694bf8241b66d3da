/* graph-fixture — for unit tests of core modules that talk to Graph: the emulator listening on
 * 127.0.0.1, a TgGraph signed in to it (retries scaled to nothing), and a way to wait for one
 * asynchronous result by iterating the main context (20 s hang guard that fails the test).
 *
 *   GfFixture *fx = gf_fixture_new ("me@contoso.com");
 *   GfWait w = { 0 };
 *   tg_x_async (fx->graph, …, NULL, gf_wait_cb, &w);
 *   thing = tg_x_finish (gf_wait (&w), &error);     // the result stays valid until gf_wait_clear
 *   gf_wait_clear (&w);
 *   gf_fixture_free (fx);
 */
#pragma once
#include <gio/gio.h>

#include "core/tg-auth.h"
#include "core/tg-graph.h"
#include "fake-graph/fake-graph.h"

G_BEGIN_DECLS

typedef struct {
  FakeGraph *fg;
  TgGraph *graph;
  TgAuth *auth;
  const char *me_id;     /* owned by fg */
} GfFixture;

/* The request log is empty when these return. */
GfFixture *gf_fixture_new (const char *me_upn);
/* Signs in to `fg` (taken; not listening yet), which the caller has set up first: a tenant from
 * JSON, scopes withheld, … */
GfFixture *gf_fixture_new_for (FakeGraph *fg);
/* The same with `scope` (may be NULL) not granted to the app: tests of 403 answers. */
GfFixture *gf_fixture_new_withholding (const char *me_upn, const char *scope);
void gf_fixture_free (GfFixture *fx);
/* Adds users to the tenant: UPN, display name, … NULL. Returns fx. */
GfFixture *gf_fixture_add_users (GfFixture *fx, const char *upn, const char *name, ...)
  G_GNUC_NULL_TERMINATED;

/* The same for g_test_add with a GfFixture (or a struct starting with one) and the signed-in
 * user's UPN as test data:
 *   g_test_add ("/x/y", GfFixture, "me@contoso.com", gf_fixture_set_up, test_y, gf_fixture_tear_down); */
void gf_fixture_set_up (GfFixture *fx, gconstpointer me_upn);
void gf_fixture_tear_down (GfFixture *fx, gconstpointer data);

typedef struct {
  GAsyncResult *result;
} GfWait;

void gf_wait_cb (GObject *source, GAsyncResult *result, gpointer data);
GAsyncResult *gf_wait (GfWait *w);
/* gf_wait that calls `each` (may be NULL) after every main-context iteration. */
GAsyncResult *gf_wait_each (GfWait *w, void (*each) (gpointer data), gpointer data);
/* Drops the result: `w` can wait again. */
void gf_wait_clear (GfWait *w);

/* Iterates the main context until cond (data) holds (the same hang guard); a 10 ms tick
 * re-checks conditions that depend on time only. */
void gf_wait_until (gboolean (*cond) (gpointer data), gpointer data);
/* Iterates the main context until *flag is TRUE. */
void gf_wait_flag (const gboolean *flag);
/* Lets whatever is ready (idles, answers in flight) run for `ms` milliseconds, to show that
 * nothing more happens; never a timed assertion. */
void gf_spin_ms (guint ms);

/* The last logged request with this method whose path matches the glob, NULL when none. */
FakeRequest *gf_last_request (FakeGraph *fg, const char *method, const char *path_glob);
/* The request body parsed as a JSON object, kept alive by *keep (NULL or an earlier body, which
 * is released; json_node_unref the last one). */
JsonObject *gf_request_body (const FakeRequest *r, JsonNode **keep);

G_END_DECLS
