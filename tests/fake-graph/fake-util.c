/* fake-util — time stamps, random tokens, html → text and null-safe json helpers. */
#include "fake-graph/fake-internal.h"
#include <string.h>

gint64
fake_now_ms (void)
{
  return g_get_real_time () / 1000;
}

char *
fake_time_format (gint64 ms)
{
  if (ms == FAKE_TIME_NEVER)
    return g_strdup ("0001-01-01T00:00:00Z");
  gint64 secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = (int) (ms - secs * 1000);
  GDateTime *dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL)
    return g_strdup ("0001-01-01T00:00:00Z");
  char *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  char *text = g_strdup_printf ("%s.%03dZ", base, millis);
  g_free (base);
  g_date_time_unref (dt);
  return text;
}

gboolean
fake_time_parse (const char *text, gint64 *ms)
{
  if (text == NULL || *text == '\0')
    return FALSE;
  GTimeZone *utc = g_time_zone_new_utc ();
  GDateTime *dt = g_date_time_new_from_iso8601 (text, utc);
  g_time_zone_unref (utc);
  if (dt == NULL)
    return FALSE;
  if (g_date_time_get_year (dt) <= 1)
    *ms = FAKE_TIME_NEVER;
  else
    *ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  g_date_time_unref (dt);
  return TRUE;
}

char *
fake_base64url (const guchar *data, gsize len)
{
  char *b64 = g_base64_encode (data, len);
  for (char *p = b64; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  char *eq = strchr (b64, '=');
  if (eq)
    *eq = '\0';
  return b64;
}

char *
fake_random_token (guint n_bytes)
{
  guchar *buf = g_malloc (n_bytes);
  for (guint i = 0; i < n_bytes; i++)
    buf[i] = (guchar) g_random_int_range (0, 256);
  char *text = fake_base64url (buf, n_bytes);
  g_free (buf);
  return text;
}

char *
fake_random_hex (guint n_chars)
{
  static const char hex[] = "0123456789abcdef";
  char *text = g_malloc (n_chars + 1);
  for (guint i = 0; i < n_chars; i++)
    text[i] = hex[g_random_int_range (0, 16)];
  text[n_chars] = '\0';
  return text;
}

static void
append_entity (GString *out, const char **p)
{
  static const struct { const char *name; const char *text; } entities[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
    { "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " },
  };
  for (guint i = 0; i < G_N_ELEMENTS (entities); i++) {
    gsize n = strlen (entities[i].name);
    if (g_ascii_strncasecmp (*p, entities[i].name, n) == 0) {
      g_string_append (out, entities[i].text);
      *p += n;
      return;
    }
  }
  g_string_append_c (out, '&');
  (*p)++;
}

char *
fake_html_to_text (const char *html)
{
  GString *out = g_string_new (NULL);
  const char *p = html ? html : "";
  while (*p) {
    if (*p == '<') {
      const char *end = strchr (p, '>');
      if (end == NULL)
        break;
      if (g_ascii_strncasecmp (p, "<br", 3) == 0 || g_ascii_strncasecmp (p, "</p", 3) == 0
          || g_ascii_strncasecmp (p, "</div", 5) == 0)
        g_string_append_c (out, ' ');
      p = end + 1;
    } else if (*p == '&') {
      append_entity (out, &p);
    } else {
      g_string_append_c (out, *p++);
    }
  }
  return g_strstrip (g_string_free (out, FALSE));
}

gboolean
fake_str_contains_ci (const char *haystack, const char *needle)
{
  if (haystack == NULL || needle == NULL)
    return FALSE;
  char *h = g_utf8_casefold (haystack, -1);
  char *n = g_utf8_casefold (needle, -1);
  gboolean found = strstr (h, n) != NULL;
  g_free (h);
  g_free (n);
  return found;
}

const char *
fake_json_string (JsonObject *obj, const char *member)
{
  if (obj == NULL)
    return NULL;
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
fake_json_object (JsonObject *obj, const char *member)
{
  if (obj == NULL)
    return NULL;
  JsonNode *node = json_object_get_member (obj, member);
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
fake_json_array (JsonObject *obj, const char *member)
{
  if (obj == NULL)
    return NULL;
  JsonNode *node = json_object_get_member (obj, member);
  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

void
fake_json_set_string_or_null (JsonObject *obj, const char *member, const char *value)
{
  if (value)
    json_object_set_string_member (obj, member, value);
  else
    json_object_set_null_member (obj, member);
}

void
fake_json_set_time (JsonObject *obj, const char *member, gint64 ms)
{
  if (ms == 0) {
    json_object_set_null_member (obj, member);
    return;
  }
  char *text = fake_time_format (ms);
  json_object_set_string_member (obj, member, text);
  g_free (text);
}

JsonNode *
fake_node_take_object (JsonObject *obj)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, obj);
  return node;
}

JsonNode *
fake_node_take_array (JsonArray *arr)
{
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, arr);
  return node;
}

char *
fake_json_to_string (JsonNode *node)
{
  JsonGenerator *gen = json_generator_new ();
  json_generator_set_root (gen, node);
  char *text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  return text;
}

/* "https://graph.microsoft.com/v1.0/users('x')", ".../users/x" or just "x". */
FakeUser *
fake_user_from_bind (FakeGraph *fg, const char *url)
{
  if (url == NULL)
    return NULL;
  const char *p = strstr (url, "users(");
  if (p) {
    p += strlen ("users(");
    gboolean quoted = *p == '\'';
    if (quoted)
      p++;
    const char *end = strchr (p, quoted ? '\'' : ')');
    if (end == NULL)
      return NULL;
    char *name = g_strndup (p, end - p);
    char *decoded = g_uri_unescape_string (name, NULL);
    FakeUser *user = fake_store_user (fg, decoded ? decoded : name);
    g_free (decoded);
    g_free (name);
    return user;
  }
  p = strstr (url, "users/");
  if (p) {
    p += strlen ("users/");
    const char *end = strpbrk (p, "/?");
    char *name = end ? g_strndup (p, end - p) : g_strdup (p);
    char *decoded = g_uri_unescape_string (name, NULL);
    FakeUser *user = fake_store_user (fg, decoded ? decoded : name);
    g_free (decoded);
    g_free (name);
    return user;
  }
  return NULL;
}
