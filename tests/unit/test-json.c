/* Unit tests for tg-json: the getters never raise a critical (the runner sets
 * G_DEBUG=fatal-criticals) on missing, null or mistyped input; parsing fails cleanly. */
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
