/* tg-json — null-safe, type-checked access to json-glib trees (see tg-json.h); the parser
 * is in tg-json-parser.c. */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-json.h"

#include <math.h>

char *
tg_json_to_string (JsonNode *node)
{
  if (node == NULL)
    return g_strdup ("null");
  return json_to_string (node, FALSE);
}

JsonObject *
tg_json_node_object (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

JsonArray *
tg_json_node_array (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

/* The member node, or NULL when obj/member is NULL or the member is absent. */
static JsonNode *
member_node (JsonObject *obj, const char *member)
{
  if (obj == NULL || member == NULL)
    return NULL;
  return json_object_get_member (obj, member);
}

/* The member node when it holds a scalar of `type`, else NULL. */
static JsonNode *
member_value (JsonObject *obj, const char *member, GType type)
{
  JsonNode *node = member_node (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
tg_json_string (JsonObject *obj, const char *member)
{
  JsonNode *node = member_value (obj, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

gint64
tg_json_int (JsonObject *obj, const char *member, gint64 fallback)
{
  JsonNode *node = member_node (obj, member);
  double d;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return fallback;
  /* 1e3 or 2.0: accept whole numbers that fit; a fraction is not an int. */
  d = json_node_get_double (node);
  if (!isfinite (d) || d != floor (d) || d < -9.2e18 || d > 9.2e18)
    return fallback;
  return (gint64) d;
}

double
tg_json_double (JsonObject *obj, const char *member, double fallback)
{
  JsonNode *node = member_node (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return fallback;
}

gboolean
tg_json_bool (JsonObject *obj, const char *member, gboolean fallback)
{
  JsonNode *node = member_value (obj, member, G_TYPE_BOOLEAN);

  return node != NULL ? json_node_get_boolean (node) : fallback;
}

JsonObject *
tg_json_object (JsonObject *obj, const char *member)
{
  return tg_json_node_object (member_node (obj, member));
}

JsonArray *
tg_json_array (JsonObject *obj, const char *member)
{
  return tg_json_node_array (member_node (obj, member));
}

/* Walks all members of a NULL-terminated list but the last as objects; returns the object
 * holding the last one and sets *last to its name. */
static JsonObject *
walk_path (JsonObject *obj, va_list args, const char **last)
{
  const char *member = va_arg (args, const char *);

  *last = NULL;
  while (member != NULL)
    {
      const char *next = va_arg (args, const char *);

      if (next == NULL)
        {
          *last = member;
          return obj;
        }
      obj = tg_json_object (obj, member);
      member = next;
    }
  return obj;
}

const char *
tg_json_path_string (JsonObject *obj, ...)
{
  va_list args;
  const char *last;
  JsonObject *holder;

  va_start (args, obj);
  holder = walk_path (obj, args, &last);
  va_end (args);
  return last != NULL ? tg_json_string (holder, last) : NULL;
}

JsonObject *
tg_json_path_object (JsonObject *obj, ...)
{
  va_list args;
  const char *last;
  JsonObject *holder;

  va_start (args, obj);
  holder = walk_path (obj, args, &last);
  va_end (args);
  /* An empty path names obj itself. */
  return last != NULL ? tg_json_object (holder, last) : obj;
}

static JsonNode *
array_element (JsonArray *array, guint i)
{
  if (array == NULL || i >= json_array_get_length (array))
    return NULL;
  return json_array_get_element (array, i);
}

JsonObject *
tg_json_array_object (JsonArray *array, guint i)
{
  return tg_json_node_object (array_element (array, i));
}

const char *
tg_json_array_string (JsonArray *array, guint i)
{
  JsonNode *node = array_element (array, i);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

guint
tg_json_array_length (JsonArray *array)
{
  return array != NULL ? json_array_get_length (array) : 0;
}

JsonNode *
tg_json_new_string_object (const char *member, const char *value)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_alloc ();

  json_object_set_string_member (obj, member, value);
  json_node_init_object (node, obj);
  json_object_unref (obj);
  return node;
}
