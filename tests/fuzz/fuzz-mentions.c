/* libFuzzer target for the mention scanner and builder of tg-mentions (not part of make). Build
 * and run by hand:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-mentions.c \
 *     src/core/tg-mentions.c src/core/tg-markup.c src/core/tg-model.c src/core/tg-json.c \
 *     src/core/tg-error.c src/core/tg-refs.c src/core/tg-chats.c src/core/tg-members.c \
 *     src/core/tg-graph.c src/core/tg-url.c \
 *     $(pkg-config --cflags --libs glib-2.0 gio-2.0 json-glib-1.0 libsoup-3.0) -lm -o /tmp/fuzz-mentions
 *   /tmp/fuzz-mentions -max_len=2048 -timeout=5 [corpus-dir]
 *
 * Each input is scanned and built with every user token resolved (names with markup
 * characters and non-ASCII); besides crashes, leaks and UB it aborts when the tokens are out of
 * order or out of bounds, when valid UTF-8 comes out invalid, or when the <at> elements and the
 * mentions array disagree.
 */
#include "core/tg-mentions.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *html = g_strndup ((const char *) data, size);
  GPtrArray *tokens = tg_mentions_scan (html);
  GHashTable *users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) tg_user_free);
  gsize len = strlen (html), last_end = 0;
  JsonArray *mentions = NULL;
  char *out;
  guint ats = 0, expected = 0;
  const char *chat_id = size % 2 ? "19:x@thread.v2" : NULL;

  for (guint i = 0; i < tokens->len; i++)
    {
      const TgMentionToken *t = g_ptr_array_index (tokens, i);

      if (t->start < last_end || t->end <= t->start || t->end > len || html[t->start] != '@')
        abort ();
      last_end = t->end;
      if (t->kind == TG_MENTION_USER || chat_id != NULL)
        expected++;
      if (t->kind == TG_MENTION_USER)
        {
          TgUser *u = g_new0 (TgUser, 1);

          if (t->ref == NULL || *t->ref == '\0')
            abort ();
          u->id = g_strdup (t->ref);
          u->display_name = g_strdup (i % 2 ? "<Zoë & \"O'Brien\">" : "日本");
          g_hash_table_replace (users, g_utf8_strdown (t->ref, -1), u);
        }
    }
  out = tg_mentions_build (html, tokens, users, chat_id, &mentions);
  if (g_utf8_validate (html, -1, NULL) && !g_utf8_validate (out, -1, NULL))
    abort ();
  for (const char *p = out; (p = strstr (p, "<at id=\"")) != NULL; p++)
    ats++;
  /* every resolved token became one <at>; the input may hold <at> tags of its own */
  if (mentions != NULL && json_array_get_length (mentions) > ats)
    abort ();
  if ((mentions != NULL ? json_array_get_length (mentions) : 0) != expected)
    abort ();
  if (mentions != NULL)
    json_array_unref (mentions);
  g_free (out);
  g_hash_table_destroy (users);
  g_ptr_array_unref (tokens);
  g_free (html);
  return 0;
}
