/* build/fake-graph [--port N] [--tenant FILE] [--demo]
 *
 * Serves the Graph emulator on 127.0.0.1 until SIGINT/SIGTERM. The first line on stdout is the
 * base URL (the login_url; the graph_url is that + "/v1.0"). Other processes drive it through
 * the /_fake/ control endpoints (tests/fake-graph/README.md). --demo loads the bundled
 * demo tenant (unless --tenant is given) and makes the colleagues chat now and then.
 */
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include "fake-graph/fake-graph.h"

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static char *
find_demo_tenant (const char *argv0)
{
  const char *env = g_getenv ("FAKE_GRAPH_DEMO_TENANT");
  if (env)
    return g_strdup (env);
  char *dir = g_path_get_dirname (argv0);
  const char *candidates[] = { "tests/fake-graph/demo-tenant.json",
                               "../tests/fake-graph/demo-tenant.json",
                               "../../tests/fake-graph/demo-tenant.json" };
  char *found = NULL;
  for (guint i = 0; !found && i < G_N_ELEMENTS (candidates); i++) {
    char *a = g_build_filename (dir, candidates[i], NULL);
    if (g_file_test (a, G_FILE_TEST_EXISTS))
      found = a;
    else
      g_free (a);
    if (!found && g_file_test (candidates[i], G_FILE_TEST_EXISTS))
      found = g_strdup (candidates[i]);
  }
  g_free (dir);
  return found;
}

/* ---- demo life: a colleague says something every little while ---- */

typedef struct {
  FakeGraph *fg;
  guint tick;
} DemoLife;

static gboolean
demo_tick (gpointer data)
{
  static const char *const lines[] = {
    "Quick question: did the <b>Q3 numbers</b> land yet?",
    "I'm grabbing coffee ☕ — anyone want one?",
    "Pushed the fix, CI is green 🎉",
    "Can we move our 1:1 to 3pm?",
    "Reminder: design review tomorrow at 10.",
    "Thanks, that helps a lot!",
  };
  static const char *const availabilities[][2] = {
    { "Available", "Available" }, { "Busy", "InACall" }, { "Away", "Away" },
    { "DoNotDisturb", "Presenting" }, { "BeRightBack", "BeRightBack" },
  };
  DemoLife *life = data;
  const char *chats[] = { "bob@contoso.com", "Project Phoenix", "carol@contoso.com" };
  const char *from[] = { "bob@contoso.com", "dave@contoso.com", "carol@contoso.com" };
  guint i = life->tick++;
  const char *chat = fake_graph_find_chat (life->fg, chats[i % G_N_ELEMENTS (chats)]);
  if (chat)
    fake_graph_inject_message (life->fg, chat, from[i % G_N_ELEMENTS (from)],
                               lines[i % G_N_ELEMENTS (lines)]);
  const char *who[] = { "bob@contoso.com", "carol@contoso.com", "dave@contoso.com" };
  guint a = (i * 7 + 3) % G_N_ELEMENTS (availabilities);
  if (fake_graph_user_id (life->fg, who[i % G_N_ELEMENTS (who)]))
    fake_graph_set_presence (life->fg, who[i % G_N_ELEMENTS (who)], availabilities[a][0],
                             availabilities[a][1]);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  int port = 0;
  char *tenant = NULL;
  gboolean demo = FALSE;
  int life_seconds = 45;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0 = any free one)", "N" },
    { "tenant", 't', 0, G_OPTION_ARG_FILENAME, &tenant, "Tenant JSON file", "FILE" },
    { "demo", 'd', 0, G_OPTION_ARG_NONE, &demo, "Demo tenant, with colleagues who chat", NULL },
    { "life", 0, 0, G_OPTION_ARG_INT, &life_seconds,
      "Seconds between demo messages (0 = none; default 45)", "S" },
    { NULL },
  };
  GError *error = NULL;
  GOptionContext *ctx = g_option_context_new ("— a Microsoft Graph emulator for tests");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "fake-graph: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (demo && tenant == NULL)
    tenant = find_demo_tenant (argv[0]);
  FakeGraph *fg = tenant ? fake_graph_new_from_file (tenant, &error)
                         : fake_graph_new ("alice@contoso.com");
  if (fg == NULL) {
    fprintf (stderr, "fake-graph: %s: %s\n", tenant, error->message);
    return 1;
  }
  if (!fake_graph_listen (fg, (guint) port, &error)) {
    fprintf (stderr, "fake-graph: cannot listen: %s\n", error->message);
    return 1;
  }
  printf ("%s\n", fake_graph_base_url (fg));
  fflush (stdout);
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_loop, loop);
  g_unix_signal_add (SIGTERM, quit_loop, loop);
  DemoLife life = { fg, 0 };
  if (demo && life_seconds > 0)
    g_timeout_add_seconds ((guint) life_seconds, demo_tick, &life);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  fake_graph_free (fg);
  g_free (tenant);
  return 0;
}
