/* tg-json — null-safe, type-checked access to json-glib trees.
 *
 * Graph sends nulls and omits fields freely; a missing or mistyped member must never raise a
 * GLib critical or crash. Every getter here returns the fallback (NULL, 0, FALSE) instead.
 */
#pragma once
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Parses UTF-8 JSON text, strictly by RFC 8259 (tg-json-parser.c); NULL with
 * TG_ERROR_BAD_RESPONSE on failure (invalid, nested deeper than 256, empty). */
JsonNode *tg_json_parse (const char *data, gssize length, GError **error);
/* Compact JSON text of a node (newly allocated). */
char *tg_json_to_string (JsonNode *node);

JsonObject *tg_json_node_object (JsonNode *node);          /* NULL unless an object */
JsonArray *tg_json_node_array (JsonNode *node);            /* NULL unless an array */

const char *tg_json_string (JsonObject *obj, const char *member);   /* NULL unless a string */
gint64 tg_json_int (JsonObject *obj, const char *member, gint64 fallback);
double tg_json_double (JsonObject *obj, const char *member, double fallback);
gboolean tg_json_bool (JsonObject *obj, const char *member, gboolean fallback);
JsonObject *tg_json_object (JsonObject *obj, const char *member);   /* NULL unless an object */
JsonArray *tg_json_array (JsonObject *obj, const char *member);     /* NULL unless an array */

/* Follows a NULL-terminated path of object members: tg_json_path_string (msg, "from", "user",
 * "id", NULL). NULL as soon as a step is missing or of the wrong type. */
const char *tg_json_path_string (JsonObject *obj, ...) G_GNUC_NULL_TERMINATED;
JsonObject *tg_json_path_object (JsonObject *obj, ...) G_GNUC_NULL_TERMINATED;

/* Element i of an array as an object / string; NULL when out of range or mistyped. */
JsonObject *tg_json_array_object (JsonArray *array, guint i);
const char *tg_json_array_string (JsonArray *array, guint i);
guint tg_json_array_length (JsonArray *array);             /* 0 for NULL */

/* A new {"member": "value"} object node (request bodies of one field). */
JsonNode *tg_json_new_string_object (const char *member, const char *value);

G_END_DECLS
