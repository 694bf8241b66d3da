/* fake-browser — what a web browser does in the browser sign-in, for tests: GET a URL without
 * following redirects (so the test sees, and may tamper with, the Location the identity
 * platform answers), on the thread-default main context, iterating it until the answer came
 * (hang guard 20 s × $TB_TIMEOUT_SCALE: the test fails). Linked into every test program. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint status;        /* 0 when the request failed (then `error` says why) */
  char *location;      /* the Location header, NULL when none */
  char *body;          /* the body as text, NULL when empty */
  char *content_type;
  GError *error;       /* transport error (connection refused…) */
} FakeBrowserPage;

/* GET `url`; the result is freed with fake_browser_page_free. */
FakeBrowserPage *fake_browser_get (const char *url);
/* GET `url`, then GET its Location (one redirect, as a browser follows the identity platform's
 * 302 to the loopback redirect_uri). Fails the test when the first answer is no redirect. */
FakeBrowserPage *fake_browser_follow (const char *url);
/* The value of query parameter `name` in `url` (decoded, newly allocated), NULL when absent. */
char *fake_browser_query_param (const char *url, const char *name);
/* `url` with query parameter `name` set to `value` (newly allocated). */
char *fake_browser_replace_param (const char *url, const char *name, const char *value);
/* TRUE when nothing listens on 127.0.0.1 at the port of `url` (e.g. a redirect_uri naming
 * localhost). A blocking connect that never iterates the main context, so it tells what holds
 * right now, not after pending idles ran. */
gboolean fake_browser_port_closed (const char *url);
void fake_browser_page_free (FakeBrowserPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeBrowserPage, fake_browser_page_free)

G_END_DECLS
