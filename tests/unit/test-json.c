/* Unit tests for tg-json: the getters never raise a critical (the runner sets
 * G_DEBUG=fatal-criticals) on missing, null or mistyped input; parsing is strict RFC 8259,
 * fails cleanly, and builds the tree json-glib's JsonParser builds for valid JSON. */
#include <math.h>
#include <string.h>

#include "core/tg-error.h"
#include "core/tg-json.h"

static JsonNode *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = tg_json_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static const char *sample =
  "{\"s\":\"text\",\"i\":42,\"big\":9007199254740993,\"d\":2.5,\"whole\":3.0,\"b\":true,"
  "\"n\":null,\"o\":{\"inner\":{\"id\":\"x1\",\"n\":null}},\"a\":[{\"k\":1},\"str\",7,null,[1]],"
  "\"empty\":\"\",\"neg\":-5,\"huge\":1e300}";

static void
test_parse (void)
{
  g_autoptr (GError) error = NULL;
  const char *bad[] = { "", "{", "{\"a\":}", "[1,2", "nul", "{\"a\":1}}", "\xff\xfe" };
  JsonNode *node;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      node = tg_json_parse (bad[i], -1, &error);
      g_assert_null (node);
      g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
      g_clear_error (&error);
    }
  node = tg_json_parse (NULL, -1, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);
  /* NULL error pointer is allowed. */
  g_assert_null (tg_json_parse ("{", -1, NULL));

  /* A length cuts the text (no terminator needed). */
  node = tg_json_parse ("[1,2]garbage", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tg_json_array_length (tg_json_node_array (node)), ==, 2);
  json_node_unref (node);

  /* Scalars are valid JSON documents too. */
  node = parse_ok ("\"just a string\"");
  g_assert_null (tg_json_node_object (node));
  g_assert_null (tg_json_node_array (node));
  json_node_unref (node);
  node = parse_ok ("null");
  g_assert_null (tg_json_node_object (node));
  json_node_unref (node);
}

static void
test_parse_depth_limit (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GString) ok = g_string_new (NULL);
  JsonNode *node;

  /* Deep nesting is refused before json-glib recurses into it. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  node = tg_json_parse (deep->str, deep->len, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* The limit is 256 levels: 256 parse, 257 do not. */
  for (guint levels = 256; levels <= 257; levels++)
    {
      g_autoptr (GString) edge = g_string_new (NULL);

      for (guint i = 0; i < levels; i++)
        g_string_append (edge, i % 2 ? "{\"k\":" : "[");
      g_string_append_c (edge, '1');
      for (guint i = levels; i-- > 0;)
        g_string_append_c (edge, i % 2 ? '}' : ']');
      node = tg_json_parse (edge->str, edge->len, &error);
      if (levels == 256)
        {
          g_assert_no_error (error);
          json_node_unref (node);
        }
      else
        {
          g_assert_null (node);
          g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
          g_assert_cmpstr (error->message, ==, "Bad response: JSON nested too deeply");
          g_clear_error (&error);
        }
    }

  /* Brackets inside strings do not count; modest nesting is fine. */
  g_string_append (ok, "{\"s\":\"");
  for (guint i = 0; i < 5000; i++)
    g_string_append (ok, "[{");
  g_string_append (ok, "\\\"\",\"a\":[[[[[[[[[[1]]]]]]]]]]}");
  node = tg_json_parse (ok->str, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (tg_json_string (tg_json_node_object (node), "s")), ==, 10001);
  json_node_unref (node);
}

/* The compact text of json-glib's own tree for `text` (keeps member order, int vs double). */
static char *
json_glib_text (const char *text, gssize len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, len, NULL));
  return json_to_string (json_parser_get_root (parser), FALSE);
}

static void
assert_same_as_json_glib (const char *text)
{
  g_autoptr (JsonNode) node = parse_ok (text);
  g_autofree char *ours = json_to_string (node, FALSE);
  g_autofree char *theirs = json_glib_text (text, -1);

  g_assert_cmpstr (ours, ==, theirs);
}

/* Every child knows its parent, as with JsonParser. */
static void
assert_parents (JsonNode *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
      {
        JsonNode *child = json_array_get_element (json_node_get_array (node), i);

        g_assert_true (json_node_get_parent (child) == node);
        assert_parents (child);
      }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr (GList) values = json_object_get_values (json_node_get_object (node));

      for (GList *l = values; l != NULL; l = l->next)
        {
          g_assert_true (json_node_get_parent (l->data) == node);
          assert_parents (l->data);
        }
    }
}

static void
test_parse_same_tree_as_json_glib (void)
{
  const char *valid[] = {
    sample,
    "{\"a\":1,\"b\":{\"c\":[true,false,null,\"\"]},\"a\":[2]}",   /* repeated name */
    "{\"b\":1,\"a\":2,\"b\":3}",
    " \r\n\t[ 1 , -2 , 0 , -0 , 3.25 , -0.5e-3 , 1E+2 , 2e2 , 1.5E-300 ] \n",
    "[9223372036854775807,-9223372036854775808,1e400,-1e400,1e-400,5e-324]",
    "[\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\", \"\\u00e9\\u20AC\\ud83d\\ude00\\uDBFF\\uDFFF\"]",
    "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"]",
    "{\"\":\"empty name\",\"\\u0041\":\"A\"}",
    "\"a\\u0000b\"", "{\"a\\u0000x\":1}",    /* C strings end at U+0000, as with json-glib */
    "\xef\xbb\xbf{\"bom\":true}",
    "[[],{},[[]],[{}],{\"a\":{}}]",
    "true", "false", "null", "0", "-1", "1.0", "\"x\"",
    /* a Graph page as it comes over the wire */
    "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#chats('19%3Aabc%40thread.v2')/messages\","
    "\"@odata.count\":2,\"@odata.nextLink\":\"https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/messages"
    "?$top=50&$skiptoken=M2UyZDAwMDAwMDMx\",\"value\":[{\"id\":\"1714550000123\",\"replyToId\":null,"
    "\"etag\":\"1714550000123\",\"messageType\":\"message\",\"createdDateTime\":\"2024-05-01T08:00:00.123Z\","
    "\"lastModifiedDateTime\":\"2024-05-01T08:00:00.123Z\",\"deletedDateTime\":null,\"importance\":\"normal\","
    "\"from\":{\"application\":null,\"device\":null,\"user\":{\"@odata.type\":\"#microsoft.graph.teamworkUserIdentity\","
    "\"id\":\"8ea0e38b-efb3-4757-924a-5f94061cf8c2\",\"displayName\":\"Ren\u00e9e O\\u2019Brien\","
    "\"userIdentityType\":\"aadUser\",\"tenantId\":\"t\"}},\"body\":{\"contentType\":\"html\","
    "\"content\":\"<p>Hi <at id=\\\"0\\\">Bob</at> \\u003cb\\u003ebold\\u003c/b\\u003e "
    "<a href=\\\"https://x.example/?a=1&amp;b=2\\\">link</a> \\ud83d\\ude00\\r\\n</p>\"},"
    "\"attachments\":[],\"mentions\":[{\"id\":0,\"mentionText\":\"Bob\",\"mentioned\":{\"application\":null,"
    "\"device\":null,\"conversation\":null,\"user\":{\"id\":\"u-bob\",\"displayName\":\"Bob\"}}}],"
    "\"reactions\":[{\"reactionType\":\"\\u2764\\ufe0f\",\"createdDateTime\":\"2024-05-01T08:01:00Z\"}],"
    "\"eventDetail\":null},{\"id\":\"1714550000999\",\"messageType\":\"systemEventMessage\","
    "\"eventDetail\":{\"@odata.type\":\"#microsoft.graph.callEndedEventMessageDetail\",\"callDuration\":\"PT1M30S\","
    "\"callParticipants\":[],\"initiator\":{\"user\":{\"id\":\"u-carol\",\"displayName\":null}}}}]}",
  };
  g_autoptr (JsonNode) node = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    assert_same_as_json_glib (valid[i]);

  node = parse_ok ("{\"a\":[1,{\"b\":[null]}],\"c\":{\"d\":\"e\"}}");
  g_assert_null (json_node_get_parent (node));
  assert_parents (node);
}

/* Names and strings longer than the parser's stack buffers, escapes across the boundary. */
static void
test_parse_long_strings (void)
{
  g_autoptr (GString) text = g_string_new ("{");
  g_autoptr (GString) name = g_string_new (NULL), value = g_string_new (NULL);
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *theirs = NULL, *ours = NULL;

  for (guint i = 0; i < 300; i++)
    g_string_append (name, i % 7 ? "n" : "\\u00e9");
  for (guint i = 0; i < 9000; i++)
    g_string_append (value, i % 5 ? "v" : "\\n\\ud83d\\ude00\xc3\xa9");
  for (guint k = 0; k < 3; k++)
    g_string_append_printf (text, "%s\"%s%u\":{\"%s\":\"%s\"}", k ? "," : "", name->str, k,
                            name->str, value->str);
  g_string_append (text, "}");
  node = parse_ok (text->str);
  ours = json_to_string (node, FALSE);
  theirs = json_glib_text (text->str, -1);
  g_assert_cmpstr (ours, ==, theirs);
  g_assert_cmpuint (json_object_get_size (tg_json_node_object (node)), ==, 3);
}

static void
test_parse_values (void)
{
  g_autoptr (JsonNode) node = parse_ok (
    "{\"int\":-9223372036854775808,\"max\":9223372036854775807,\"big\":9223372036854775808,"
    "\"neg0\":-0,\"dneg0\":-0.0,\"inf\":1e400,\"esc\":\"\\ud83d\\ude00\\u00e9\\n\","
    "\"nul\":\"ab\\u0000cd\"}");
  JsonObject *obj = tg_json_node_object (node);
  JsonNode *big = json_object_get_member (obj, "big"), *neg0 = json_object_get_member (obj, "neg0");

  g_assert_cmpint (tg_json_int (obj, "int", 0), ==, G_MININT64);
  g_assert_cmpint (tg_json_int (obj, "max", 0), ==, G_MAXINT64);
  /* beyond 64 bits: a double (json-glib wraps it around to G_MININT64) */
  g_assert_cmpint (json_node_get_value_type (big), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (big), ==, 9223372036854775808.0);
  g_assert_cmpint (json_node_get_value_type (neg0), ==, G_TYPE_INT64);
  g_assert_true (signbit (tg_json_double (obj, "dneg0", 1)));
  g_assert_true (isinf (tg_json_double (obj, "inf", 0)));
  g_assert_cmpstr (tg_json_string (obj, "esc"), ==, "\xf0\x9f\x98\x80\xc3\xa9\n");
  g_assert_cmpstr (tg_json_string (obj, "nul"), ==, "ab");
}

/* Outside RFC 8259 (json-glib takes most of these) or not UTF-8: an error, never a tree. */
static void
test_parse_strict (void)
{
  const char *bad[] = {
    "01", "-01", "1.", ".5", "+1", "-", "- 1", "1e", "1e+", "0x10", "1.e1", "Infinity", "NaN",
    "[1,]", "{\"a\":1,}", "[,1]", "[1 2]", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{a:1}", "{1:2}",
    "'a'", "{'a':1}", "TRUE", "nul", "tru", "nullx", "[truex]", "/*c*/1", "//c\n1", "1 /*c*/",
    "var x = {\"a\":1};", "[1] [2]", "{} x", "\"a\" \"b\"", "[", "]", "{\"a\"", "{\"a\":", "[1,",
    "\"a\tb\"", "\"a\nb\"", "\"\x01\"", "\"\\x41\"", "\"\\'\"", "\"\\U0041\"", "\"\\u00G0\"",
    "\"\\u00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\ud83d\\n\"", "\"\\ud83dx\"",
    "\"unterminated", "\"\\", "\"\xff\"", "\"\xc0\x80\"", "\"\xc3\"", "\"\xe2\x82\"", "\"\xed\xa0\x80\"",
    "\"\xf4\x90\x80\x80\"", "\"\xf8\x88\x80\x80\x80\"", "\"\x80\"", "[\xc3\xa9]", "\f1", "\v1",
    "\xef\xbb\xbf", "\xef\xbb", "  \n ",
  };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      JsonNode *node = tg_json_parse (bad[i], -1, &error);

      if (node != NULL)
        g_error ("accepted: %s", bad[i]);
      g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_clear_error (&error);
    }
  /* NUL bytes inside the given length */
  g_assert_null (tg_json_parse ("[1]\0", 4, &error));
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("[\"a\0b\"]", 7, &error));
  g_clear_error (&error);
  /* the length is respected: the text is not read up to a terminator */
  g_assert_null (tg_json_parse ("\"abc\"", 4, &error));
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("[1,2]", 4, &error));
  g_clear_error (&error);
}

static void
test_parse_error_messages (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (tg_json_parse ("{\n  \"a\": x}", -1, &error));
  g_assert_cmpstr (error->message, ==,
                   "Bad response: invalid JSON (line 2, column 8: unexpected character 'x')");
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("[1,]", -1, &error));
  g_assert_cmpstr (error->message, ==, "Bad response: invalid JSON (line 1, column 4: trailing comma in array)");
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("[\"\xc3\xa9\", \x01]", -1, &error));
  g_assert_cmpstr (error->message, ==, "Bad response: invalid JSON (line 1, column 7: unexpected byte 0x01)");
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("[1", -1, &error));
  g_assert_cmpstr (error->message, ==, "Bad response: invalid JSON (line 1, column 3: expected ',' or ']' in array)");
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("", -1, &error));
  g_assert_cmpstr (error->message, ==, "Bad response: empty JSON");
  g_clear_error (&error);

  /* A broken token response must not put the token into the message. */
  g_assert_null (tg_json_parse ("{\"access_token\":\"eyJ0eXAiSECRET\" \"refresh_token\":\"0.ARSECRET\"}",
                                -1, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_assert_null (strstr (error->message, "SECRET"));
  g_assert_null (strstr (error->message, "eyJ"));
  g_clear_error (&error);
  g_assert_null (tg_json_parse ("{\"access_token\":eyJ0eXAiSECRET}", -1, &error));
  g_assert_null (strstr (error->message, "SECRET"));
  g_assert_null (strstr (error->message, "eyJ0"));
}

static void
test_getters_typed (void)
{
  g_autoptr (JsonNode) node = parse_ok (sample);
  JsonObject *obj = tg_json_node_object (node);

  g_assert_nonnull (obj);
  g_assert_cmpstr (tg_json_string (obj, "s"), ==, "text");
  g_assert_cmpstr (tg_json_string (obj, "empty"), ==, "");
  g_assert_cmpint (tg_json_int (obj, "i", -1), ==, 42);
  g_assert_cmpint (tg_json_int (obj, "neg", 0), ==, -5);
  g_assert_cmpint (tg_json_int (obj, "big", 0), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpint (tg_json_int (obj, "whole", -1), ==, 3);
  g_assert_cmpfloat_with_epsilon (tg_json_double (obj, "d", 0), 2.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (tg_json_double (obj, "i", 0), 42.0, 1e-12);
  g_assert_true (tg_json_bool (obj, "b", FALSE));
  g_assert_nonnull (tg_json_object (obj, "o"));
  g_assert_cmpuint (tg_json_array_length (tg_json_array (obj, "a")), ==, 5);
}

/* Every getter on every member of the wrong type gives the fallback. */
static void
test_getters_mistyped (void)
{
  g_autoptr (JsonNode) node = parse_ok (sample);
  JsonObject *obj = tg_json_node_object (node);
  const char *members[] = { "s", "i", "d", "b", "n", "o", "a", "missing", "" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      const char *m = members[i];

      if (!g_str_equal (m, "s"))
        g_assert_null (tg_json_string (obj, m));
      if (!g_str_equal (m, "i"))
        g_assert_cmpint (tg_json_int (obj, m, -7), ==, -7);
      if (!g_str_equal (m, "d") && !g_str_equal (m, "i"))
        g_assert_cmpfloat (tg_json_double (obj, m, -7.5), ==, -7.5);
      if (!g_str_equal (m, "b"))
        g_assert_true (tg_json_bool (obj, m, TRUE));
      if (!g_str_equal (m, "o"))
        g_assert_null (tg_json_object (obj, m));
      if (!g_str_equal (m, "a"))
        g_assert_null (tg_json_array (obj, m));
    }
  /* A fraction or an out-of-range number is not an int. */
  g_assert_cmpint (tg_json_int (obj, "d", -1), ==, -1);
  g_assert_cmpint (tg_json_int (obj, "huge", -1), ==, -1);
  /* "true" is not a number, 1 is not a boolean. */
  g_assert_true (tg_json_bool (obj, "i", TRUE));
  g_assert_false (tg_json_bool (obj, "i", FALSE));
}

static void
test_getters_null_input (void)
{
  g_assert_null (tg_json_node_object (NULL));
  g_assert_null (tg_json_node_array (NULL));
  g_assert_null (tg_json_string (NULL, "x"));
  g_assert_cmpint (tg_json_int (NULL, "x", 9), ==, 9);
  g_assert_cmpfloat (tg_json_double (NULL, "x", 9.5), ==, 9.5);
  g_assert_false (tg_json_bool (NULL, "x", FALSE));
  g_assert_null (tg_json_object (NULL, "x"));
  g_assert_null (tg_json_array (NULL, "x"));
  g_assert_null (tg_json_path_string (NULL, "a", "b", NULL));
  g_assert_null (tg_json_path_object (NULL, "a", NULL));
  g_assert_null (tg_json_array_object (NULL, 0));
  g_assert_null (tg_json_array_string (NULL, 0));
  g_assert_cmpuint (tg_json_array_length (NULL), ==, 0);

  {
    g_autoptr (JsonNode) node = parse_ok ("{\"x\":1}");
    JsonObject *obj = tg_json_node_object (node);

    /* A NULL member name is a miss, not a critical. */
    g_assert_null (tg_json_string (obj, NULL));
    g_assert_cmpint (tg_json_int (obj, NULL, 3), ==, 3);
  }
}

static void
test_paths (void)
{
  g_autoptr (JsonNode) node = parse_ok (sample);
  JsonObject *obj = tg_json_node_object (node);

  g_assert_cmpstr (tg_json_path_string (obj, "o", "inner", "id", NULL), ==, "x1");
  g_assert_cmpstr (tg_json_path_string (obj, "s", NULL), ==, "text");
  g_assert_null (tg_json_path_string (obj, "o", "inner", "n", NULL));     /* null */
  g_assert_null (tg_json_path_string (obj, "o", "missing", "id", NULL));  /* missing step */
  g_assert_null (tg_json_path_string (obj, "s", "inner", "id", NULL));    /* string as a step */
  g_assert_null (tg_json_path_string (obj, "n", "x", NULL));              /* null as a step */
  g_assert_null (tg_json_path_string (obj, "a", "k", NULL));              /* array as a step */
  g_assert_null (tg_json_path_string (obj, "o", "inner", NULL));          /* object, not string */
  g_assert_null (tg_json_path_string (obj, NULL));                        /* empty path */
  g_assert_nonnull (tg_json_path_object (obj, "o", "inner", NULL));
  g_assert_true (tg_json_path_object (obj, NULL) == obj);
  g_assert_null (tg_json_path_object (obj, "o", "inner", "id", NULL));
  g_assert_null (tg_json_path_object (obj, "n", NULL));
}

static void
test_arrays (void)
{
  g_autoptr (JsonNode) node = parse_ok (sample);
  JsonArray *a = tg_json_array (tg_json_node_object (node), "a");

  g_assert_cmpint (tg_json_int (tg_json_array_object (a, 0), "k", 0), ==, 1);
  g_assert_null (tg_json_array_object (a, 1));
  g_assert_cmpstr (tg_json_array_string (a, 1), ==, "str");
  g_assert_null (tg_json_array_string (a, 0));
  g_assert_null (tg_json_array_string (a, 2));
  g_assert_null (tg_json_array_object (a, 3));
  g_assert_null (tg_json_array_string (a, 3));
  g_assert_null (tg_json_array_object (a, 4));
  g_assert_null (tg_json_array_object (a, 5));
  g_assert_null (tg_json_array_string (a, G_MAXUINT));
}

static void
test_to_string (void)
{
  g_autoptr (JsonNode) node = parse_ok ("{ \"a\" : [1, \"x\\\"y\"] }");
  g_autofree char *text = tg_json_to_string (node);
  g_autofree char *null_text = tg_json_to_string (NULL);
  g_autoptr (JsonNode) again = parse_ok (text);

  g_assert_null (strchr (text, '\n'));
  g_assert_cmpstr (tg_json_array_string (tg_json_array (tg_json_node_object (again), "a"), 1), ==, "x\"y");
  g_assert_cmpstr (null_text, ==, "null");
}

/* Parsed trees belong to the caller and may be changed. */
static void
test_parsed_tree_is_mutable (void)
{
  g_autoptr (JsonNode) node = parse_ok ("{\"a\":1}");

  json_object_set_string_member (tg_json_node_object (node), "b", "two");
  g_assert_cmpstr (tg_json_string (tg_json_node_object (node), "b"), ==, "two");
}


/* {"member": "value"} as a request body: quotes and non-ASCII kept as they are. */
static void
test_new_string_object (void)
{
  g_autoptr (JsonNode) node = tg_json_new_string_object ("topic", "Plans \"Q3\" \xc3\xa9t\xc3\xa9");
  g_autofree char *text = tg_json_to_string (node);

  g_assert_cmpstr (tg_json_string (tg_json_node_object (node), "topic"), ==,
                   "Plans \"Q3\" \xc3\xa9t\xc3\xa9");
  g_assert_cmpuint (json_object_get_size (tg_json_node_object (node)), ==, 1);
  g_assert_cmpstr (text, ==, "{\"topic\":\"Plans \\\"Q3\\\" \xc3\xa9t\xc3\xa9\"}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/parse", test_parse);
  g_test_add_func ("/json/parse-depth-limit", test_parse_depth_limit);
  g_test_add_func ("/json/parse-same-tree-as-json-glib", test_parse_same_tree_as_json_glib);
  g_test_add_func ("/json/parse-values", test_parse_values);
  g_test_add_func ("/json/parse-long-strings", test_parse_long_strings);
  g_test_add_func ("/json/parse-strict", test_parse_strict);
  g_test_add_func ("/json/parse-error-messages", test_parse_error_messages);
  g_test_add_func ("/json/getters-typed", test_getters_typed);
  g_test_add_func ("/json/getters-mistyped", test_getters_mistyped);
  g_test_add_func ("/json/getters-null-input", test_getters_null_input);
  g_test_add_func ("/json/paths", test_paths);
  g_test_add_func ("/json/arrays", test_arrays);
  g_test_add_func ("/json/to-string", test_to_string);
  g_test_add_func ("/json/parsed-tree-is-mutable", test_parsed_tree_is_mutable);
  g_test_add_func ("/json/new-string-object", test_new_string_object);
  return g_test_run ();
}
