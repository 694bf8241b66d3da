/* libFuzzer target for tg_json_parse, checked against json-glib's JsonParser (not part of
 * make). Build and run by hand:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-json.c \
 *     src/core/tg-json-parser.c src/core/tg-json.c src/core/tg-error.c \
 *     $(pkg-config --cflags --libs json-glib-1.0 libsoup-3.0) -o /tmp/fuzz-json
 *   /tmp/fuzz-json -max_len=4096 -timeout=5 -dict=tests/fuzz/json.dict [corpus-dir]
 *
 * It aborts when
 *  - tg_json_parse accepts a text that json-glib refuses, or builds a different tree (node
 *    types, value types, values bit for bit, member order, parents); the one allowed
 *    difference is an integer beyond 64 bits, a double here and wrapped around there;
 *  - json-glib accepts a text and tg_json_parse refuses the strict JSON text of that tree,
 *    or reads it back as a different tree (so every refusal is of text
 *    outside RFC 8259, which json-glib tolerates: comments, single quotes, trailing data,
 *    lone surrogates…);
 *  - a string or member name in an accepted tree is not valid UTF-8, or an error is not a
 *    TG_ERROR_BAD_RESPONSE with a valid UTF-8 message.
 */
#include "core/tg-error.h"
#include "core/tg-json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) { fprintf (stderr, "check failed: %s\n", #cond); abort (); } } while (0)

/* Depth, and whether a tree holds a value json-glib cannot write back as JSON: inf, nan, or
 * a string that is not UTF-8 (json-glib turns a lone \ud83d into the bytes of a surrogate). */
static guint
tree_depth (JsonNode *node, gboolean *unwritable)
{
  guint depth = 0;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE &&
      !isfinite (json_node_get_double (node)))
    *unwritable = TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
      !g_utf8_validate (json_node_get_string (node), -1, NULL))
    *unwritable = TRUE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          guint d = tree_depth (json_array_get_element (a, i), unwritable);  /* not inside MAX () */

          depth = MAX (depth, d);
        }
      return depth + 1;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr (GList) members = json_object_get_members (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        {
          if (!g_utf8_validate (l->data, -1, NULL))
            *unwritable = TRUE;
          guint d = tree_depth (json_object_get_member (json_node_get_object (node), l->data),
                                unwritable);

          depth = MAX (depth, d);
        }
      return depth + 1;
    }
  return 0;
}

/* An integer token json-glib wrapped around: ours is a double outside gint64's range. */
static gboolean
wrapped_integer (JsonNode *ours, JsonNode *theirs)
{
  double d;

  if (json_node_get_value_type (ours) != G_TYPE_DOUBLE ||
      json_node_get_value_type (theirs) != G_TYPE_INT64)
    return FALSE;
  d = json_node_get_double (ours);
  return d >= 9223372036854775808.0 || d <= -9223372036854775808.0;
}

static void
check_same (JsonNode *a, JsonNode *b, gboolean allow_wrapped)
{
  CHECK (json_node_get_node_type (a) == json_node_get_node_type (b));
  switch (json_node_get_node_type (a))
    {
    case JSON_NODE_NULL:
      break;
    case JSON_NODE_VALUE:
      if (allow_wrapped && wrapped_integer (a, b))
        break;
      CHECK (json_node_get_value_type (a) == json_node_get_value_type (b));
      if (json_node_get_value_type (a) == G_TYPE_INT64)
        CHECK (json_node_get_int (a) == json_node_get_int (b));
      else if (json_node_get_value_type (a) == G_TYPE_DOUBLE)
        {
          double x = json_node_get_double (a), y = json_node_get_double (b);

          CHECK (memcmp (&x, &y, sizeof x) == 0);
        }
      else if (json_node_get_value_type (a) == G_TYPE_BOOLEAN)
        CHECK (json_node_get_boolean (a) == json_node_get_boolean (b));
      else
        {
          CHECK (json_node_get_value_type (a) == G_TYPE_STRING);
          CHECK (g_utf8_validate (json_node_get_string (a), -1, NULL));
          CHECK (strcmp (json_node_get_string (a), json_node_get_string (b)) == 0);
        }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *x = json_node_get_array (a), *y = json_node_get_array (b);

        CHECK (json_array_get_length (x) == json_array_get_length (y));
        for (guint i = 0; i < json_array_get_length (x); i++)
          {
            CHECK (json_node_get_parent (json_array_get_element (x, i)) == a);
            check_same (json_array_get_element (x, i), json_array_get_element (y, i), allow_wrapped);
          }
        break;
      }
    case JSON_NODE_OBJECT:
      {
        JsonObject *x = json_node_get_object (a), *y = json_node_get_object (b);
        g_autoptr (GList) mx = json_object_get_members (x), my = json_object_get_members (y);
        GList *l, *k;

        CHECK (g_list_length (mx) == g_list_length (my));
        for (l = mx, k = my; l != NULL; l = l->next, k = k->next)
          {
            CHECK (g_utf8_validate (l->data, -1, NULL));
            CHECK (strcmp (l->data, k->data) == 0);
            CHECK (json_node_get_parent (json_object_get_member (x, l->data)) == a);
            check_same (json_object_get_member (x, l->data), json_object_get_member (y, k->data),
                        allow_wrapped);
          }
        break;
      }
    }
}

static void
write_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (; *s != '\0'; s++)
    if (*s == '"' || *s == '\\')
      g_string_append_printf (out, "\\%c", *s);
    else if ((guchar) *s < 0x20)
      g_string_append_printf (out, "\\u%04x", (guchar) *s);
    else
      g_string_append_c (out, *s);
  g_string_append_c (out, '"');
}

/* Strict RFC 8259 text of a tree (json-glib's generator leaves 0x1f unescaped). */
static void
write_json (GString *out, JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_INT64)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.17g", json_node_get_double (node)));
          if (strpbrk (buf, ".eE") == NULL)
            g_string_append (out, ".0");   /* stays a double */
        }
      else if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      else
        write_string (out, json_node_get_string (node));
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (node);

        g_string_append_c (out, '[');
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            write_json (out, json_array_get_element (a, i));
          }
        g_string_append_c (out, ']');
        break;
      }
    case JSON_NODE_OBJECT:
      {
        g_autoptr (GList) members = json_object_get_members (json_node_get_object (node));

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            write_string (out, l->data);
            g_string_append_c (out, ':');
            write_json (out, json_object_get_member (json_node_get_object (node), l->data));
          }
        g_string_append_c (out, '}');
        break;
      }
    }
}

static JsonNode *
ours (const char *data, gssize size)
{
  GError *error = NULL;
  JsonNode *node = tg_json_parse (data, size, &error);

  CHECK ((node == NULL) == (error != NULL));
  if (error != NULL)
    {
      CHECK (g_error_matches (error, TG_ERROR, TG_ERROR_BAD_RESPONSE));
      CHECK (g_utf8_validate (error->message, -1, NULL));
      g_error_free (error);
    }
  return node;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *mine = ours ((const char *) data, (gssize) size), *theirs = NULL;

  if (json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL))
    theirs = json_parser_get_root (parser);
  if (mine != NULL)
    {
      CHECK (theirs != NULL);
      check_same (mine, theirs, TRUE);
      json_node_unref (mine);
    }
  else if (theirs != NULL)
    {
      gboolean unwritable = FALSE;

      if (tree_depth (theirs, &unwritable) <= 256 && !unwritable)
        {
          g_autoptr (GString) text = g_string_new (NULL);
          JsonNode *again;

          write_json (text, theirs);
          again = ours (text->str, text->len);

          CHECK (again != NULL);
          check_same (again, theirs, FALSE);
          json_node_unref (again);
        }
    }
  return 0;
}
