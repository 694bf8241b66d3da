/* Unit tests for tg-url: https anywhere, plain http only to loopback. */
#include <string.h>

#include "core/tg-error.h"
#include "core/tg-url.h"

static void
assert_allowed (const char *url)
{
  g_autoptr (GError) error = NULL;

  if (!tg_url_check_allowed (url, "graph_url", &error))
    g_error ("%s refused: %s", url, error->message);
  g_assert_no_error (error);
}

static void
assert_refused (const char *url)
{
  g_autoptr (GError) error = NULL;

  if (tg_url_check_allowed (url, "graph_url", &error))
    g_error ("%s allowed", url);
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  /* The message names the setting so that the user knows what to fix. */
  g_assert_nonnull (strstr (error->message, "graph_url"));
}

static void
test_loopback_http_allowed (void)
{
  assert_allowed ("http://127.0.0.1:8080/v1.0");
  assert_allowed ("http://127.1.2.3/v1.0");
  assert_allowed ("http://127.255.255.255/");
  assert_allowed ("http://[::1]:9999/v1.0");
  assert_allowed ("http://localhost/v1.0");
  assert_allowed ("http://LOCALHOST:80/v1.0");
  assert_allowed ("HTTP://LocalHost/v1.0");
}

static void
test_other_http_refused (void)
{
  assert_refused ("http://127.0.0.1.evil.com/v1.0");
  assert_refused ("http://10.0.0.1/v1.0");
  assert_refused ("http://graph.microsoft.com/v1.0");
  assert_refused ("http://128.0.0.1/");
  assert_refused ("http://localhost.evil.com/");
  assert_refused ("http://evil.localhost.com/");
  assert_refused ("http://127.0.0.1@evil.com/");          /* userinfo, host is evil.com */
  assert_refused ("http://[::2]/");
  assert_refused ("http://[::ffff:10.0.0.1]/");
  assert_refused ("http://0.0.0.0/");
  assert_refused ("http:///v1.0");
  assert_refused ("ftp://127.0.0.1/");
  assert_refused ("file:///etc/passwd");
  assert_refused ("javascript:alert(1)");
  assert_refused ("not a url");
  assert_refused ("");
  assert_refused (NULL);
}

static void
test_https_anywhere (void)
{
  assert_allowed ("https://graph.microsoft.com/v1.0");
  assert_allowed ("HTTPS://graph.microsoft.com/v1.0");
  assert_allowed ("https://10.0.0.1:8443/v1.0");
  assert_allowed ("https://127.0.0.1/");
  assert_allowed ("https://login.microsoftonline.com");
}

static void
test_error_message_names_host_only (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (tg_url_check_allowed ("http://10.0.0.1/v1.0/me?$skiptoken=SECRETISH",
                                        NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "10.0.0.1"));
  g_assert_null (strstr (error->message, "SECRETISH"));
  /* NULL GError** is fine. */
  g_assert_false (tg_url_check_allowed ("http://10.0.0.1/", "x", NULL));
}

static void
test_host_is_loopback (void)
{
  const char *yes[] = { "127.0.0.1", "127.1.2.3", "127.0.0.255", "::1", "[::1]", "localhost",
                        "LOCALHOST", "LocalHost", "0:0:0:0:0:0:0:1" };
  const char *no[] = { "127.0.0.1.evil.com", "10.0.0.1", "128.0.0.1", "::2", "[::2]",
                       "localhost.", "mylocalhost", "", "127.1", "127.0.0.1 ", "[::1", "::ffff:127.0.0.1",
                       "0.0.0.0", "::" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    if (!tg_url_host_is_loopback (yes[i]))
      g_error ("%s should be loopback", yes[i]);
  for (guint i = 0; i < G_N_ELEMENTS (no); i++)
    if (tg_url_host_is_loopback (no[i]))
      g_error ("%s should not be loopback", no[i]);
  g_assert_false (tg_url_host_is_loopback (NULL));
}

static void
assert_join (const char *base, const char *path, const char *expected)
{
  g_autofree char *joined = tg_url_join (base, path);

  g_assert_cmpstr (joined, ==, expected);
}

static void
test_join (void)
{
  assert_join ("https://g.example/v1.0", "/me", "https://g.example/v1.0/me");
  assert_join ("https://g.example/v1.0/", "/me", "https://g.example/v1.0/me");
  assert_join ("https://g.example/v1.0//", "//me", "https://g.example/v1.0/me");
  assert_join ("https://g.example/v1.0", "me/chats?$top=50", "https://g.example/v1.0/me/chats?$top=50");
  assert_join ("https://g.example/v1.0", "https://other.example/x?y=1", "https://other.example/x?y=1");
  assert_join ("https://g.example/v1.0", "HTTP://127.0.0.1/x", "HTTP://127.0.0.1/x");
  assert_join ("https://g.example/v1.0/", "", "https://g.example/v1.0");
  assert_join ("https://g.example/v1.0", NULL, "https://g.example/v1.0");
  assert_join ("https://g.example/v1.0", "/$batch", "https://g.example/v1.0/$batch");
}


/* One path segment escaped (never a second segment or a query), NULL as "", no suffix. */
static void
test_path (void)
{
  g_autofree char *chat = tg_url_path ("/chats/", "19:a/b?c#d@thread.v2", "/messages");
  g_autofree char *none = tg_url_path ("/users/", NULL, "/photo");
  g_autofree char *bare = tg_url_path ("/pinnedMessages/", "1=2", NULL);

  g_assert_cmpstr (chat, ==, "/chats/19:a%2Fb%3Fc%23d@thread.v2/messages");
  g_assert_cmpstr (none, ==, "/users//photo");
  g_assert_cmpstr (bare, ==, "/pinnedMessages/1=2");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/url/loopback-http-allowed", test_loopback_http_allowed);
  g_test_add_func ("/url/other-http-refused", test_other_http_refused);
  g_test_add_func ("/url/https-anywhere", test_https_anywhere);
  g_test_add_func ("/url/error-message-names-host-only", test_error_message_names_host_only);
  g_test_add_func ("/url/host-is-loopback", test_host_is_loopback);
  g_test_add_func ("/url/join", test_join);
  g_test_add_func ("/url/path", test_path);
  return g_test_run ();
}
