/* soup-cycle — one SoupServer life cycle, for tests/clients/test-valgrind-supp.sh.
 *
 * A server on 127.0.0.1 answers a few requests from a SoupSession, then everything is released
 * the way the emulator and tg-auth-browser release theirs (disconnect, unref, drain the main
 * context). Under valgrind this shows what libsoup itself leaks (tests/valgrind.supp) and, with
 * a mode that forgets one of our references, that the suppressions still let our leaks through.
 *
 *   soup-cycle clean          everything released
 *   soup-cycle forget-server  the SoupServer is never unref'd
 *   soup-cycle forget-stream  the handler steals the connection, closes it, keeps the reference
 */
#include <libsoup/soup.h>
#include <string.h>

static gboolean forget_stream;

static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  if (forget_stream)
    {
      GIOStream *stream = soup_server_message_steal_connection (msg);
      g_io_stream_close (stream, NULL, NULL);   /* and no g_object_unref: the bug under test */
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (body != NULL)
    g_bytes_unref (body);
  *(gboolean *) data = TRUE;
}

int
main (int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "clean";
  gboolean forget_server = strcmp (mode, "forget-server") == 0;
  SoupServer *server;
  SoupSession *session;
  GSList *uris;
  char *url;

  forget_stream = strcmp (mode, "forget-stream") == 0;
  if (!forget_server && !forget_stream && strcmp (mode, "clean") != 0)
    g_error ("unknown mode %s", mode);

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, on_request, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, NULL))
    g_error ("cannot listen on 127.0.0.1");
  uris = soup_server_get_uris (server);
  url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  session = soup_session_new ();
  for (int i = 0; i < 3; i++)
    {
      SoupMessage *msg = soup_message_new ("GET", url);
      gboolean done = FALSE;

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      g_object_unref (msg);
    }
  g_object_unref (session);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  soup_server_disconnect (server);
  if (!forget_server)
    g_object_unref (server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (url);
  return 0;
}
