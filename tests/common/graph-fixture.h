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

/* The request log is empty when this returns. */
GfFixture *gf_fixture_new (const char *me_upn);
void gf_fixture_free (GfFixture *fx);

typedef struct {
  GAsyncResult *result;
} GfWait;

void gf_wait_cb (GObject *source, GAsyncResult *result, gpointer data);
GAsyncResult *gf_wait (GfWait *w);
void gf_wait_clear (GfWait *w);

/* The last logged request with this method whose path matches the glob, NULL when none. */
FakeRequest *gf_last_request (FakeGraph *fg, const char *method, const char *path_glob);
/* The request body parsed as a JSON object (kept alive by *keep; json_node_unref it). */
JsonObject *gf_request_body (FakeRequest *r, JsonNode **keep);

G_END_DECLS
