/* fake-browser — a browser's part of the browser sign-in, for tests (see fake-browser.h). */
#include "common/fake-browser.h"

#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>

#define HANG_GUARD_MS 20000

typedef struct {
  gboolean done;
  GBytes *bytes;
  GError *error;
} Pending;

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *p = data;

  p->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &p->error);
  p->done = TRUE;
}

static gboolean
on_guard (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static guint
guard_ms (void)
{
  const char *scale = g_getenv ("TB_TIMEOUT_SCALE");
  double s = scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;

  return (guint) (HANG_GUARD_MS * (s >= 1.0 ? s : 1.0));
}

FakeBrowserPage *
fake_browser_get (const char *url)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  FakeBrowserPage *page = g_new0 (FakeBrowserPage, 1);
  Pending p = { 0 };
  gboolean hung = FALSE;
  GSource *guard;

  g_assert_nonnull (msg);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &p);
  guard = g_timeout_source_new (guard_ms ());
  g_source_set_callback (guard, on_guard, &hung, NULL);
  g_source_attach (guard, g_main_context_get_thread_default ());
  while (!p.done && !hung)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);
  if (hung)
    g_error ("fake-browser: no answer to GET %s", url);

  page->error = p.error;
  if (p.error == NULL)
    {
      SoupMessageHeaders *h = soup_message_get_response_headers (msg);
      gsize len = 0;
      const char *data = p.bytes != NULL ? g_bytes_get_data (p.bytes, &len) : NULL;

      page->status = soup_message_get_status (msg);
      page->location = g_strdup (soup_message_headers_get_one (h, "Location"));
      page->content_type = g_strdup (soup_message_headers_get_content_type (h, NULL));
      if (len > 0)
        page->body = g_strndup (data, len);
    }
  g_clear_pointer (&p.bytes, g_bytes_unref);
  return page;
}

FakeBrowserPage *
fake_browser_follow (const char *url)
{
  g_autoptr (FakeBrowserPage) first = fake_browser_get (url);

  g_assert_no_error (first->error);
  if (first->status != 302 || first->location == NULL)
    g_error ("fake-browser: GET %s answered %u without a redirect (%s)", url, first->status,
             first->body != NULL ? first->body : "");
  return fake_browser_get (first->location);
}

char *
fake_browser_query_param (const char *url, const char *name)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr (GHashTable) params = NULL;
  const char *query = uri != NULL ? g_uri_get_query (uri) : NULL;

  if (query == NULL)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  return params != NULL ? g_strdup (g_hash_table_lookup (params, name)) : NULL;
}

char *
fake_browser_replace_param (const char *url, const char *name, const char *value)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_auto (GStrv) pairs = NULL;
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);
  g_autofree char *prefix = g_strconcat (name, "=", NULL);
  GString *query = g_string_new (NULL);
  g_autoptr (GUri) out = NULL;

  g_assert_nonnull (uri);
  pairs = g_strsplit (g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "", "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      if (*pairs[i] == '\0' || g_str_has_prefix (pairs[i], prefix))
        continue;
      g_string_append_printf (query, "%s%s", query->len > 0 ? "&" : "", pairs[i]);
    }
  g_string_append_printf (query, "%s%s%s", query->len > 0 ? "&" : "", prefix, escaped);
  out = g_uri_build (G_URI_FLAGS_ENCODED_QUERY, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), g_uri_get_path (uri), query->str, NULL);
  g_string_free (query, TRUE);
  return g_uri_to_string (out);
}

gboolean
fake_browser_port_closed (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (uri);
  g_assert_cmpint (g_uri_get_port (uri), >, 0);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) g_uri_get_port (uri),
                                                NULL, &error);
  return connection == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

void
fake_browser_page_free (FakeBrowserPage *page)
{
  if (page == NULL)
    return;
  g_free (page->location);
  g_free (page->body);
  g_free (page->content_type);
  g_clear_error (&page->error);
  g_free (page);
}
