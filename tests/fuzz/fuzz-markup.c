/* libFuzzer target for tg-markup (not part of make). Build and run by hand:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-markup.c \
 *     src/core/tg-markup.c $(pkg-config --cflags --libs glib-2.0) -o /tmp/fuzz-markup
 *   /tmp/fuzz-markup -max_len=4096 -timeout=5 [corpus-dir]
 *
 * Every input goes through all four conversions; besides crashes, leaks and UB it aborts when
 * an output breaks the module's promises: invalid UTF-8, a purple tag or entity outside the
 * subset, an unsafe link, or Teams HTML we send that does not read back as clean markup.
 */
#include "core/tg-markup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static gboolean
attachment (const char *id, const char **name, const char **url, gpointer user_data)
{
  if (id[0] == 'n')
    return FALSE;
  *name = id;
  *url = id[0] == 'j' ? "javascript:alert(1)" : "https://files.example/f?a=1&b=2";
  return TRUE;
}

static char *
image (const char *src, const char *alt, gpointer user_data)
{
  return strstr (src, "hosted") ? g_strdup ("<img id=\"1\">") : NULL;
}

static const TgMarkupContext ctx = { attachment, image, NULL };

static void
check_purple (const char *m)
{
  static const char *const allowed[] = { "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>",
                                         "</s>", "<pre>", "</pre>", "</a>", "<br>",
                                         "<img id=\"1\">" };
  if (!g_utf8_validate (m, -1, NULL))
    abort ();
  for (const char *p = m; *p; p++) {
    if (*p == '\n' || *p == '>')
      abort ();
    if (*p == '&' && !g_str_has_prefix (p, "&amp;") && !g_str_has_prefix (p, "&lt;") &&
        !g_str_has_prefix (p, "&gt;"))
      abort ();
    if (*p != '<')
      continue;
    gboolean ok = FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS (allowed) && !ok; i++)
      ok = g_str_has_prefix (p, allowed[i]);
    if (!ok && g_str_has_prefix (p, "<a href=\"")) {
      const char *url = p + 9, *end = strchr (url, '"');
      ok = end && end[1] == '>' && !memchr (url, '<', end - url) &&
           (g_ascii_strncasecmp (url, "http://", 7) == 0 ||
            g_ascii_strncasecmp (url, "https://", 8) == 0 ||
            g_ascii_strncasecmp (url, "mailto:", 7) == 0);
    }
    if (!ok)
      abort ();
    p = strchr (p, '>');
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *in = g_strndup ((const char *) data, size);
  gboolean is_html;

  char *m = tg_markup_from_teams (in, &ctx);
  check_purple (m);
  char *t = tg_markup_to_plain (in, &ctx);
  if (!g_utf8_validate (t, -1, NULL))
    abort ();
  char *x = tg_markup_from_text (in);
  check_purple (x);
  char *o = tg_markup_to_teams (in, &is_html);
  if (!g_utf8_validate (o, -1, NULL))
    abort ();
  char *h = tg_markup_to_teams (in, NULL);
  char *back = tg_markup_from_teams (h, NULL);
  check_purple (back);

  g_free (back);
  g_free (h);
  g_free (o);
  g_free (x);
  g_free (t);
  g_free (m);
  g_free (in);
  return 0;
}
