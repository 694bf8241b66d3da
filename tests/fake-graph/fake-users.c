/* fake-users — /me, /users/{id|upn}, /users?$filter|$search, photos and presence. */
#include "fake-graph/fake-internal.h"
#include <stdio.h>
#include <string.h>

static void
respond_user (FakeReq *req, FakeResp *resp, FakeUser *u)
{
  JsonNode *node = fake_render_user (req->fg, u, fake_req_param (req, "$select"));
  char *ctx = g_strdup_printf ("%s/$metadata#users/$entity", req->fg->graph_url);
  json_object_set_string_member (json_node_get_object (node), "@odata.context", ctx);
  g_free (ctx);
  fake_resp_json (resp, 200, node);
}

static void
get_user (FakeReq *req, FakeResp *resp)
{
  FakeUser *u = fake_req_user (req, resp, req->args[0]);
  if (u)
    respond_user (req, resp, u);
}

/* ---- listing with $filter / $search ---- */

typedef gboolean (*UserPredicate) (FakeUser *u, gpointer data);

typedef struct {
  char *field;
  char *value;
  gboolean prefix;   /* startswith() rather than eq */
} UserFilter;

static const char *
user_field (FakeUser *u, const char *field)
{
  if (g_ascii_strcasecmp (field, "mail") == 0)
    return u->mail;
  if (g_ascii_strcasecmp (field, "userPrincipalName") == 0)
    return u->upn;
  if (g_ascii_strcasecmp (field, "id") == 0)
    return u->id;
  if (g_ascii_strcasecmp (field, "displayName") == 0)
    return u->display_name;
  if (g_ascii_strcasecmp (field, "givenName") == 0)
    return u->given_name;
  if (g_ascii_strcasecmp (field, "surname") == 0)
    return u->surname;
  if (g_ascii_strcasecmp (field, "jobTitle") == 0)
    return u->job_title;
  if (g_ascii_strcasecmp (field, "department") == 0)
    return u->department;
  return NULL;
}

static gboolean
filter_matches (FakeUser *u, gpointer data)
{
  UserFilter *f = data;
  const char *value = user_field (u, f->field);
  if (value == NULL)
    return FALSE;
  if (f->prefix)
    return g_ascii_strncasecmp (value, f->value, strlen (f->value)) == 0;
  return g_ascii_strcasecmp (value, f->value) == 0;
}

static gboolean
parse_user_filter (const char *text, UserFilter *f)
{
  static const char *const patterns[] = {
    "^\\s*(mail|userPrincipalName|id|displayName|givenName|surname|jobTitle|department)"
      "\\s+eq\\s+'((?:[^']|'')*)'\\s*$",
    "^\\s*startswith\\(\\s*(mail|userPrincipalName|displayName|givenName|surname)\\s*,"
      "\\s*'((?:[^']|'')*)'\\s*\\)\\s*$",
  };
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++) {
    GRegex *re = g_regex_new (patterns[i], G_REGEX_CASELESS, 0, NULL);
    GMatchInfo *mi = NULL;
    gboolean ok = g_regex_match (re, text, 0, &mi);
    if (ok) {
      char *quoted = g_match_info_fetch (mi, 2);
      char **parts = g_strsplit (quoted, "''", -1);   /* OData doubles a quote inside a literal */
      f->field = g_match_info_fetch (mi, 1);
      f->value = g_strjoinv ("'", parts);
      g_strfreev (parts);
      g_free (quoted);
      f->prefix = i == 1;
    }
    g_match_info_free (mi);
    g_regex_unref (re);
    if (ok)
      return TRUE;
  }
  return FALSE;
}

typedef struct {
  GPtrArray *fields;
  GPtrArray *values;
  gboolean any;     /* OR between clauses */
} UserSearch;

/* Graph's $search matches the start of any word of the property. */
static gboolean
word_prefix_match (const char *value, const char *term)
{
  if (value == NULL)
    return FALSE;
  char **words = g_strsplit_set (value, " .@-_", -1);
  gboolean found = FALSE;
  for (guint i = 0; !found && words[i]; i++)
    found = *words[i] && g_ascii_strncasecmp (words[i], term, strlen (term)) == 0;
  g_strfreev (words);
  return found || g_ascii_strncasecmp (value, term, strlen (term)) == 0;
}

static gboolean
search_matches (FakeUser *u, gpointer data)
{
  UserSearch *s = data;
  for (guint i = 0; i < s->fields->len; i++) {
    gboolean hit = word_prefix_match (user_field (u, g_ptr_array_index (s->fields, i)),
                                      g_ptr_array_index (s->values, i));
    if (hit && s->any)
      return TRUE;
    if (!hit && !s->any)
      return FALSE;
  }
  return !s->any;
}

static gboolean
parse_user_search (const char *text, UserSearch *s)
{
  /* "field:term", where a backslash escapes the next character (\" and \\). */
  GRegex *re = g_regex_new ("\"(\\w+):((?:[^\"\\\\]|\\\\.)*)\"", 0, 0, NULL);
  GRegex *unescape = g_regex_new ("\\\\(.)", 0, 0, NULL);
  GMatchInfo *mi = NULL;
  g_regex_match (re, text, 0, &mi);
  while (g_match_info_matches (mi)) {
    char *raw = g_match_info_fetch (mi, 2);
    g_ptr_array_add (s->fields, g_match_info_fetch (mi, 1));
    g_ptr_array_add (s->values, g_regex_replace (unescape, raw, -1, 0, "\\1", 0, NULL));
    g_free (raw);
    g_match_info_next (mi, NULL);
  }
  g_regex_unref (unescape);
  g_match_info_free (mi);
  g_regex_unref (re);
  s->any = strstr (text, " OR ") != NULL;
  return s->fields->len > 0;
}

static JsonNode *
render_user_cb (gpointer item, gpointer ctx)
{
  FakeReq *req = ctx;
  return fake_render_user (req->fg, item, fake_req_param (req, "$select"));
}

static void
respond_users (FakeReq *req, FakeResp *resp, UserPredicate pred, gpointer data, guint top)
{
  GArray *items = g_array_new (FALSE, TRUE, sizeof (FakeSortItem));
  for (guint i = 0; i < req->fg->users->len; i++) {
    FakeUser *u = g_ptr_array_index (req->fg->users, i);
    if (pred && !pred (u, data))
      continue;
    FakeSortItem it = { -(gint64) i, 0, u->id, u };
    g_array_append_val (items, it);
  }
  fake_respond_page (req, resp, items, top, render_user_cb, req, "users");
  g_array_unref (items);
}

static void
unsupported_query (FakeReq *req, FakeResp *resp, const char *what)
{
  fake_resp_error (req, resp, 400, "Request_UnsupportedQuery",
                   "Unsupported or invalid query %s specified.", what);
}

static void
list_users (FakeReq *req, FakeResp *resp)
{
  const char *filter = fake_req_param (req, "$filter");
  const char *search = fake_req_param (req, "$search");
  guint top;
  if (!fake_req_top (req, resp, 100, 999, &top))
    return;
  if (search) {
    const char *cl = fake_req_header (req, "ConsistencyLevel");
    if (cl == NULL || g_ascii_strcasecmp (cl, "eventual") != 0) {
      fake_resp_error (req, resp, 400, "Request_UnsupportedQuery",
                       "Request with $search query parameter only works through MSGraph with a "
                       "special request header: 'ConsistencyLevel: eventual'");
      return;
    }
    UserSearch s = { g_ptr_array_new_with_free_func (g_free),
                     g_ptr_array_new_with_free_func (g_free), FALSE };
    if (parse_user_search (search, &s))
      respond_users (req, resp, search_matches, &s, top);
    else
      unsupported_query (req, resp, "$search");
    g_ptr_array_unref (s.fields);
    g_ptr_array_unref (s.values);
    return;
  }
  if (filter) {
    UserFilter f = { 0 };
    if (parse_user_filter (filter, &f))
      respond_users (req, resp, filter_matches, &f, top);
    else
      unsupported_query (req, resp, "filter clause");
    g_free (f.field);
    g_free (f.value);
    return;
  }
  respond_users (req, resp, NULL, NULL, top);
}

/* ---- photos ---- */

static void
photo_not_found (FakeReq *req, FakeResp *resp)
{
  fake_resp_error (req, resp, 404, "ImageNotFound", "Exception of type "
                   "'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.");
}

static void
get_photo_value (FakeReq *req, FakeResp *resp)
{
  FakeUser *u = fake_req_user (req, resp, req->args[0]);
  if (u == NULL)
    return;
  if (u->photo == NULL) {
    photo_not_found (req, resp);
    return;
  }
  fake_resp_bytes (resp, 200, u->photo_type ? u->photo_type : "image/png", u->photo);
}

static void
get_sized_photo_value (FakeReq *req, FakeResp *resp)
{
  guint w = 0, h = 0;
  if (sscanf (req->args[1], "%ux%u", &w, &h) != 2 || w != h || w == 0) {
    photo_not_found (req, resp);
    return;
  }
  get_photo_value (req, resp);
}

static void
get_photo_meta (FakeReq *req, FakeResp *resp)
{
  FakeUser *u = fake_req_user (req, resp, req->args[0]);
  if (u == NULL)
    return;
  if (u->photo == NULL) {
    photo_not_found (req, resp);
    return;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "@odata.mediaContentType",
                                 u->photo_type ? u->photo_type : "image/png");
  /* Graph's photo ETag: a quoted hex token that changes when the photo does. */
  char *etag = g_strdup_printf ("\"%08X\"", g_bytes_hash (u->photo));
  json_object_set_string_member (o, "@odata.mediaEtag", etag);
  g_free (etag);
  json_object_set_string_member (o, "id", "48X48");
  json_object_set_int_member (o, "height", 48);
  json_object_set_int_member (o, "width", 48);
  fake_resp_object (resp, 200, o);
}

/* ---- presence ---- */

static void
get_presence (FakeReq *req, FakeResp *resp)
{
  FakeUser *u = fake_req_user (req, resp, req->args[0]);
  if (u)
    fake_resp_json (resp, 200, fake_render_presence (u, NULL));
}

static gboolean
valid_preferred_presence (const char *availability, const char *activity)
{
  static const char *const pairs[][2] = {
    { "Available", "Available" }, { "Busy", "Busy" }, { "DoNotDisturb", "DoNotDisturb" },
    { "BeRightBack", "BeRightBack" }, { "Away", "Away" }, { "Offline", "OffWork" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    if (g_strcmp0 (availability, pairs[i][0]) == 0 && g_strcmp0 (activity, pairs[i][1]) == 0)
      return TRUE;
  return FALSE;
}

static void
set_preferred_presence (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  if (!fake_identity_token_has_scope (req->fg, req->access_token, "Presence.ReadWrite")) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "Insufficient privileges: the token lacks Presence.ReadWrite.");
    return;
  }
  JsonObject *body = fake_req_json_object (req, resp);
  if (body == NULL)
    return;
  const char *availability = fake_json_string (body, "availability");
  const char *activity = fake_json_string (body, "activity");
  if (!valid_preferred_presence (availability, activity)) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Invalid availability/activity pair '%s'/'%s'.",
                     availability ? availability : "", activity ? activity : "");
    return;
  }
  fake_graph_set_presence (req->fg, req->fg->me->upn, availability, activity);
  fake_resp_empty (resp, 200);
}

static void
clear_preferred_presence (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  fake_graph_set_presence (req->fg, req->fg->me->upn, "Available", "Available");
  fake_resp_empty (resp, 200);
}

/* POST …/presence/setStatusMessage {statusMessage:{message:{content,contentType},
 * expiryDateTime?}}: Presence.ReadWrite, own presence only. */
static void
set_status_message (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  if (!fake_identity_token_has_scope (req->fg, req->access_token, "Presence.ReadWrite")) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "Insufficient privileges: the token lacks Presence.ReadWrite.");
    return;
  }
  JsonObject *body = fake_req_json_object (req, resp);
  if (body == NULL)
    return;
  JsonObject *status = fake_json_object (body, "statusMessage");
  JsonObject *message = status ? fake_json_object (status, "message") : NULL;
  const char *content = message ? fake_json_string (message, "content") : NULL;
  const char *type = message ? fake_json_string (message, "contentType") : NULL;
  if (content == NULL) {
    fake_resp_error (req, resp, 400, "BadRequest", "'statusMessage.message.content' is required.");
    return;
  }
  if (type != NULL && g_ascii_strcasecmp (type, "text") != 0
      && g_ascii_strcasecmp (type, "html") != 0) {
    fake_resp_error (req, resp, 400, "BadRequest", "Invalid contentType '%s'.", type);
    return;
  }
  fake_graph_set_status_message (req->fg, req->fg->me->upn, content,
                                 type ? type : "text");
  fake_resp_empty (resp, 200);
}

static void
get_presences (FakeReq *req, FakeResp *resp)
{
  JsonObject *body = fake_req_json_object (req, resp);
  if (body == NULL)
    return;
  JsonArray *ids = fake_json_array (body, "ids");
  guint n = ids ? json_array_get_length (ids) : 0;
  if (ids == NULL || n > 650) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     ids ? "Too many ids: at most 650 per request." : "'ids' is required.");
    return;
  }
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (ids, i);
    const char *id = JSON_NODE_HOLDS_VALUE (node)
                     && json_node_get_value_type (node) == G_TYPE_STRING
                     ? json_node_get_string (node) : NULL;
    if (id == NULL)
      continue;
    FakeUser *u = g_hash_table_lookup (req->fg->user_by_id, id);
    json_array_add_element (arr, fake_render_presence (u, id));
  }
  JsonObject *root = json_object_new ();
  char *ctx = g_strdup_printf ("%s/$metadata#Collection(microsoft.graph.presence)",
                               req->fg->graph_url);
  json_object_set_string_member (root, "@odata.context", ctx);
  g_free (ctx);
  json_object_set_array_member (root, "value", arr);
  fake_resp_object (resp, 200, root);
}

const FakeRoute fake_user_routes[] = {
  { "GET", "/v1.0/users", list_users },
  { "GET", "/v1.0/users/*", get_user },
  { "GET", "/v1.0/users/*/photo", get_photo_meta },
  { "GET", "/v1.0/users/*/photo/$value", get_photo_value },
  { "GET", "/v1.0/users/*/photos/*/$value", get_sized_photo_value },
  { "GET", "/v1.0/users/*/presence", get_presence },
  { "POST", "/v1.0/users/*/presence/setUserPreferredPresence", set_preferred_presence },
  { "POST", "/v1.0/users/*/presence/clearUserPreferredPresence", clear_preferred_presence },
  { "POST", "/v1.0/users/*/presence/setStatusMessage", set_status_message },
  { "POST", "/v1.0/communications/getPresencesByUserId", get_presences },
  { NULL, NULL, NULL },
};
