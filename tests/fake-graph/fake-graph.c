/* fake-graph — the server: SoupServer on 127.0.0.1, request parsing, faults, the request log,
 * the bearer-token check and dispatch to the route tables of the other files. */
#include "fake-graph/fake-internal.h"
#include <string.h>

/* ---- faults ---- */

typedef struct {
  char *method;
  GPatternSpec *glob;
  FakeFaultKind kind;
  guint status;
  char *retry_after;
  guint delay_ms;
  guint remaining;   /* 0 = unlimited */
} FakeFault;

static void
fault_free (FakeFault *f)
{
  g_free (f->method);
  g_pattern_spec_free (f->glob);
  g_free (f->retry_after);
  g_free (f);
}

void
fake_graph_add_fault (FakeGraph *fg, const char *method, const char *path_glob,
                      FakeFaultKind kind, guint status, const char *retry_after,
                      guint delay_ms, guint count)
{
  FakeFault *f = g_new0 (FakeFault, 1);
  f->method = g_strdup (method);
  f->glob = g_pattern_spec_new (path_glob ? path_glob : "*");
  f->kind = kind;
  f->status = status;
  f->retry_after = g_strdup (retry_after);
  f->delay_ms = delay_ms;
  f->remaining = count;
  g_ptr_array_add (fg->faults, f);
}

void
fake_graph_clear_faults (FakeGraph *fg)
{
  g_ptr_array_set_size (fg->faults, 0);
}

gboolean
fake_fault_take (FakeGraph *fg, const char *method, const char *path, gboolean in_batch,
                 FakeFaultInfo *info)
{
  for (guint i = 0; i < fg->faults->len; i++) {
    FakeFault *f = g_ptr_array_index (fg->faults, i);
    if (in_batch && f->kind == FAKE_FAULT_DROP)
      continue;
    if (f->method && g_ascii_strcasecmp (f->method, method) != 0)
      continue;
    if (!g_pattern_spec_match_string (f->glob, path))
      continue;
    info->kind = f->kind;
    info->status = f->status;
    info->delay_ms = f->delay_ms;
    g_snprintf (info->retry_after, sizeof info->retry_after, "%s",
                f->retry_after ? f->retry_after : "");
    if (f->remaining == 1)
      g_ptr_array_remove_index (fg->faults, i);
    else if (f->remaining > 1)
      f->remaining--;
    return TRUE;
  }
  return FALSE;
}

/* ---- the request log ---- */

static void
request_free (FakeRequest *r)
{
  g_free (r->method);
  g_free (r->path);
  g_free (r->query);
  g_free (r->body);
  g_free (r);
}

FakeRequest *
fake_log_add (FakeGraph *fg, FakeReq *req)
{
  FakeRequest *r = g_new0 (FakeRequest, 1);
  r->method = g_strdup (req->method);
  r->path = g_strdup (req->path);
  r->query = g_strdup (req->query);
  if (req->body && g_bytes_get_size (req->body))
    r->body = g_strndup (g_bytes_get_data (req->body, NULL), g_bytes_get_size (req->body));
  r->in_batch = req->in_batch;
  g_ptr_array_add (fg->log, r);
  return r;
}

GPtrArray *
fake_graph_requests (FakeGraph *fg)
{
  return fg->log;
}

guint
fake_graph_count (FakeGraph *fg, const char *method, const char *path_glob)
{
  GPatternSpec *glob = g_pattern_spec_new (path_glob ? path_glob : "*");
  guint n = 0;
  for (guint i = 0; i < fg->log->len; i++) {
    FakeRequest *r = g_ptr_array_index (fg->log, i);
    if (method && g_ascii_strcasecmp (method, r->method) != 0)
      continue;
    if (g_pattern_spec_match_string (glob, r->path))
      n++;
  }
  g_pattern_spec_free (glob);
  return n;
}

void
fake_graph_clear_log (FakeGraph *fg)
{
  g_ptr_array_set_size (fg->log, 0);
}

/* ---- requests ---- */

static void
param_free (FakeParam *p)
{
  g_free (p->name);
  g_free (p->value);
  g_free (p);
}

static char *
form_unescape (const char *text)
{
  char *plus = g_strdup (text);
  for (char *p = plus; *p; p++)
    if (*p == '+')
      *p = ' ';
  char *decoded = g_uri_unescape_string (plus, NULL);
  if (decoded == NULL)
    return plus;
  g_free (plus);
  return decoded;
}

static void
parse_query (FakeReq *req, const char *raw_query)
{
  req->params = g_ptr_array_new_with_free_func ((GDestroyNotify) param_free);
  if (raw_query == NULL || *raw_query == '\0')
    return;
  req->query = form_unescape (raw_query);
  char **pairs = g_strsplit (raw_query, "&", -1);
  for (guint i = 0; pairs[i]; i++) {
    if (*pairs[i] == '\0')
      continue;
    char *eq = strchr (pairs[i], '=');
    FakeParam *p = g_new0 (FakeParam, 1);
    if (eq) {
      *eq = '\0';
      p->value = form_unescape (eq + 1);
    } else {
      p->value = g_strdup ("");
    }
    p->name = form_unescape (pairs[i]);
    g_ptr_array_add (req->params, p);
  }
  g_strfreev (pairs);
}

/* Splits "name('value')" segments into two; "me" becomes "users", <me id>. */
static void
parse_segments (FakeReq *req, const char *raw_path)
{
  GPtrArray *out = g_ptr_array_new ();
  char **parts = g_strsplit (raw_path, "/", -1);
  for (guint i = 0; parts[i]; i++) {
    if (*parts[i] == '\0')
      continue;
    char *seg = g_uri_unescape_string (parts[i], NULL);
    if (seg == NULL)
      seg = g_strdup (parts[i]);
    char *open = strstr (seg, "('");
    if (open && g_str_has_suffix (seg, "')") && open > seg) {
      g_ptr_array_add (out, g_strndup (seg, open - seg));
      g_ptr_array_add (out, g_strndup (open + 2, strlen (open + 2) - 2));
      g_free (seg);
    } else if (out->len == 1 && strcmp (seg, "me") == 0
               && strcmp (g_ptr_array_index (out, 0), "v1.0") == 0) {
      g_ptr_array_add (out, g_strdup ("users"));
      g_ptr_array_add (out, g_strdup (req->fg->me->id));
      g_free (seg);
    } else {
      g_ptr_array_add (out, seg);
    }
  }
  g_strfreev (parts);
  req->n_seg = out->len;
  g_ptr_array_add (out, NULL);
  req->seg = (char **) g_ptr_array_free (out, FALSE);
}

FakeReq *
fake_req_new (FakeGraph *fg, const char *method, const char *raw_path, const char *raw_query,
              SoupMessageHeaders *headers, GBytes *body)
{
  FakeReq *req = g_new0 (FakeReq, 1);
  req->fg = fg;
  req->method = g_ascii_strup (method, -1);
  req->path = g_uri_unescape_string (raw_path, NULL);
  if (req->path == NULL)
    req->path = g_strdup (raw_path);
  parse_segments (req, raw_path);
  parse_query (req, raw_query);
  req->headers = headers ? soup_message_headers_ref (headers)
                         : soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  req->body = body ? g_bytes_ref (body) : NULL;
  return req;
}

void
fake_req_free (FakeReq *req)
{
  if (req == NULL)
    return;
  g_free (req->method);
  g_free (req->path);
  g_strfreev (req->seg);
  g_ptr_array_unref (req->params);
  g_free (req->query);
  soup_message_headers_unref (req->headers);
  if (req->body)
    g_bytes_unref (req->body);
  if (req->json)
    json_node_unref (req->json);
  g_free (req);
}

const char *
fake_req_param (FakeReq *req, const char *name)
{
  for (guint i = 0; i < req->params->len; i++) {
    FakeParam *p = g_ptr_array_index (req->params, i);
    if (strcmp (p->name, name) == 0)
      return p->value;
  }
  return NULL;
}

const char *
fake_req_header (FakeReq *req, const char *name)
{
  return soup_message_headers_get_one (req->headers, name);
}

JsonObject *
fake_req_json_object (FakeReq *req, FakeResp *resp)
{
  if (!req->json_tried) {
    req->json_tried = TRUE;
    if (req->body && g_bytes_get_size (req->body)) {
      JsonParser *parser = json_parser_new ();
      gsize len;
      const char *data = g_bytes_get_data (req->body, &len);
      if (json_parser_load_from_data (parser, data, len, NULL) && json_parser_get_root (parser))
        req->json = json_node_copy (json_parser_get_root (parser));
      g_object_unref (parser);
    }
  }
  if (req->json && JSON_NODE_HOLDS_OBJECT (req->json))
    return json_node_get_object (req->json);
  fake_resp_error (req, resp, 400, "BadRequest", "Empty Payload. JSON content expected.");
  return NULL;
}

gboolean
fake_req_prefers_unknown_enums (FakeReq *req)
{
  const char *prefer = fake_req_header (req, "Prefer");
  return prefer && fake_str_contains_ci (prefer, "include-unknown-enum-members");
}

gboolean
fake_req_top (FakeReq *req, FakeResp *resp, guint fallback, guint max, guint *top)
{
  const char *text = fake_req_param (req, "$top");
  if (text == NULL) {
    *top = fallback;
    return TRUE;
  }
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0' || n == 0 || n > max) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Invalid page size specified: '%s'. Must be between 1 and %u inclusive.",
                     text, max);
    return FALSE;
  }
  *top = (guint) n;
  return TRUE;
}

FakeChat *
fake_req_chat (FakeReq *req, FakeResp *resp, const char *chat_id)
{
  FakeChat *chat = fake_store_chat (req->fg, chat_id);
  if (chat == NULL) {
    fake_resp_error (req, resp, 404, "NotFound", "Chat '%s' was not found.", chat_id);
    return NULL;
  }
  if (fake_chat_member (chat, req->fg->me) == NULL) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "Forbidden: the signed-in user is not a member of this chat.");
    return NULL;
  }
  return chat;
}

FakeMessage *
fake_req_message (FakeReq *req, FakeResp *resp, FakeChat *chat, const char *id)
{
  FakeMessage *m = fake_chat_message (chat, id);
  if (m == NULL)
    fake_resp_error (req, resp, 404, "NotFound", "Message '%s' was not found.", id);
  return m;
}

FakeUser *
fake_req_user (FakeReq *req, FakeResp *resp, const char *id_or_upn)
{
  FakeUser *u = fake_store_user (req->fg, id_or_upn);
  if (u == NULL)
    fake_resp_error (req, resp, 404, "Request_ResourceNotFound",
                     "Resource '%s' does not exist or one of its queried reference-property "
                     "objects are not present.", id_or_upn);
  return u;
}

gboolean
fake_req_is_me (FakeReq *req, FakeResp *resp, const char *id_or_upn)
{
  if (fake_store_user (req->fg, id_or_upn) == req->fg->me)
    return TRUE;
  fake_resp_error (req, resp, 403, "Forbidden",
                   "Delegated access is only allowed for the signed-in user.");
  return FALSE;
}

/* ---- responses ---- */

FakeResp *
fake_resp_new (void)
{
  FakeResp *resp = g_new0 (FakeResp, 1);
  resp->headers = g_ptr_array_new_with_free_func (g_free);
  return resp;
}

void
fake_resp_free (FakeResp *resp)
{
  if (resp == NULL)
    return;
  g_free (resp->content_type);
  if (resp->body)
    g_bytes_unref (resp->body);
  g_ptr_array_unref (resp->headers);
  g_free (resp);
}

static void
resp_reset (FakeResp *resp)
{
  g_clear_pointer (&resp->content_type, g_free);
  g_clear_pointer (&resp->body, g_bytes_unref);
}

void
fake_resp_header (FakeResp *resp, const char *name, const char *value)
{
  g_ptr_array_add (resp->headers, g_strdup (name));
  g_ptr_array_add (resp->headers, g_strdup (value));
}

const char *
fake_resp_get_header (FakeResp *resp, const char *name)
{
  for (guint i = 0; i + 1 < resp->headers->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (resp->headers, i), name) == 0)
      return g_ptr_array_index (resp->headers, i + 1);
  return NULL;
}

#define GRAPH_JSON_TYPE \
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

void
fake_resp_json (FakeResp *resp, guint status, JsonNode *node)
{
  resp_reset (resp);
  resp->status = status;
  resp->content_type = g_strdup (GRAPH_JSON_TYPE);
  char *text = fake_json_to_string (node);
  resp->body = g_bytes_new_take (text, strlen (text));
  json_node_unref (node);
}

void
fake_resp_object (FakeResp *resp, guint status, JsonObject *obj)
{
  fake_resp_json (resp, status, json_node_init_object (json_node_alloc (), obj));
  json_object_unref (obj);
}

void
fake_resp_bytes (FakeResp *resp, guint status, const char *content_type, GBytes *bytes)
{
  resp_reset (resp);
  resp->status = status;
  resp->content_type = g_strdup (content_type);
  resp->body = g_bytes_ref (bytes);
}

void
fake_resp_empty (FakeResp *resp, guint status)
{
  resp_reset (resp);
  resp->status = status;
}

static void
error_body (FakeReq *req, FakeResp *resp, guint status, const char *code, const char *message)
{
  JsonObject *inner = json_object_new ();
  char *date = fake_time_format (fake_now_ms ());
  date[19] = '\0';   /* Graph's innerError date has no fraction */
  char *dated = g_strconcat (date, "Z", NULL);
  json_object_set_string_member (inner, "date", dated);
  g_free (dated);
  g_free (date);
  char *rid = g_uuid_string_random ();
  json_object_set_string_member (inner, "request-id", rid);
  const char *crid = req ? fake_req_header (req, "client-request-id") : NULL;
  json_object_set_string_member (inner, "client-request-id", crid ? crid : rid);
  g_free (rid);
  JsonObject *err = json_object_new ();
  json_object_set_string_member (err, "code", code);
  json_object_set_string_member (err, "message", message);
  json_object_set_object_member (err, "innerError", inner);
  JsonObject *root = json_object_new ();
  json_object_set_object_member (root, "error", err);
  fake_resp_object (resp, status, root);
}

void
fake_resp_error (FakeReq *req, FakeResp *resp, guint status, const char *code,
                 const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  error_body (req, resp, status, code, message);
  g_free (message);
}

void
fake_resp_status_error (FakeReq *req, FakeResp *resp, guint status)
{
  static const struct { guint status; const char *code; const char *message; } table[] = {
    { 400, "BadRequest", "Bad request." },
    { 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid." },
    { 403, "Forbidden", "Forbidden." },
    { 404, "NotFound", "Resource not found." },
    { 409, "Conflict", "Conflict." },
    { 412, "PreconditionFailed", "Precondition failed." },
    { 429, "TooManyRequests", "Too many requests." },
    { 500, "InternalServerError", "Internal server error." },
    { 502, "BadGateway", "Bad gateway." },
    { 503, "ServiceUnavailable", "Service unavailable." },
    { 504, "GatewayTimeout", "Gateway timeout." },
  };
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].status == status) {
      error_body (req, resp, status, table[i].code, table[i].message);
      return;
    }
  error_body (req, resp, status, "UnknownError", "Error.");
}

void
fake_resp_oauth_error (FakeResp *resp, guint status, const char *error,
                       const char *description)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "error", error);
  json_object_set_string_member (o, "error_description", description);
  json_object_set_array_member (o, "error_codes", json_array_new ());
  char *ts = fake_time_format (fake_now_ms ());
  json_object_set_string_member (o, "timestamp", ts);
  g_free (ts);
  char *trace = g_uuid_string_random ();
  json_object_set_string_member (o, "trace_id", trace);
  json_object_set_string_member (o, "correlation_id", trace);
  g_free (trace);
  fake_resp_object (resp, status, o);
  g_free (resp->content_type);
  resp->content_type = g_strdup ("application/json; charset=utf-8");
}

/* ---- paging ---- */

static int
sort_item_cmp (const FakeSortItem *a, const FakeSortItem *b)
{
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  if (a->key2 != b->key2)
    return a->key2 < b->key2 ? -1 : 1;
  return g_strcmp0 (a->id, b->id);
}

static gint
sort_desc (gconstpointer a, gconstpointer b)
{
  return -sort_item_cmp (a, b);
}

static char *
encode_skiptoken (const FakeSortItem *item)
{
  char *plain = g_strdup_printf ("fg1|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%s",
                                 item->key, item->key2, item->id);
  char *token = g_base64_encode ((const guchar *) plain, strlen (plain));
  g_free (plain);
  return token;
}

static gboolean
decode_skiptoken (const char *token, FakeSortItem *pos, char **id_out)
{
  gsize len = 0;
  guchar *raw = g_base64_decode (token, &len);
  char *plain = g_strndup ((const char *) raw, len);
  g_free (raw);
  char **parts = g_strsplit (plain, "|", 4);
  gboolean ok = g_strv_length (parts) == 4 && strcmp (parts[0], "fg1") == 0;
  if (ok) {
    pos->key = g_ascii_strtoll (parts[1], NULL, 10);
    pos->key2 = g_ascii_strtoll (parts[2], NULL, 10);
    *id_out = g_strdup (parts[3]);
    pos->id = *id_out;
  }
  g_strfreev (parts);
  g_free (plain);
  return ok;
}

static char *
escape_query_value (const char *text)
{
  return g_uri_escape_string (text, "$'(),:@/", TRUE);
}

static char *
next_link (FakeReq *req, const char *token)
{
  GString *url = g_string_new (req->fg->base_url);
  char *raw_path = g_uri_escape_string (req->path, "/$'(),:@!*;=", TRUE);
  g_string_append (url, raw_path);
  g_free (raw_path);
  char sep = '?';
  for (guint i = 0; i < req->params->len; i++) {
    FakeParam *p = g_ptr_array_index (req->params, i);
    if (strcmp (p->name, "$skiptoken") == 0)
      continue;
    char *n = escape_query_value (p->name), *v = escape_query_value (p->value);
    g_string_append_printf (url, "%c%s=%s", sep, n, v);
    g_free (n);
    g_free (v);
    sep = '&';
  }
  char *t = g_uri_escape_string (token, NULL, FALSE);
  g_string_append_printf (url, "%c$skiptoken=%s", sep, t);
  g_free (t);
  return g_string_free (url, FALSE);
}

void
fake_respond_page (FakeReq *req, FakeResp *resp, GArray *items, guint top,
                   FakeRenderFunc render, gpointer ctx, const char *context)
{
  g_array_sort (items, sort_desc);
  guint start = 0;
  const char *token = fake_req_param (req, "$skiptoken");
  if (token) {
    FakeSortItem pos = { 0 };
    char *id = NULL;
    if (!decode_skiptoken (token, &pos, &id)) {
      fake_resp_error (req, resp, 400, "BadRequest", "Invalid skip token.");
      return;
    }
    while (start < items->len
           && sort_item_cmp (&g_array_index (items, FakeSortItem, start), &pos) >= 0)
      start++;
    g_free (id);
  }
  JsonObject *root = json_object_new ();
  char *ctx_url = g_strdup_printf ("%s/$metadata#%s", req->fg->graph_url, context);
  json_object_set_string_member (root, "@odata.context", ctx_url);
  g_free (ctx_url);
  JsonArray *arr = json_array_new ();
  guint end = MIN (items->len, start + top);
  for (guint i = start; i < end; i++)
    json_array_add_element (arr, render (g_array_index (items, FakeSortItem, i).item, ctx));
  if (end < items->len) {
    char *tok = encode_skiptoken (&g_array_index (items, FakeSortItem, end - 1));
    char *link = next_link (req, tok);
    json_object_set_string_member (root, "@odata.nextLink", link);
    g_free (link);
    g_free (tok);
  }
  json_object_set_array_member (root, "value", arr);
  fake_resp_object (resp, 200, root);
}

/* ---- dispatch ---- */

static const FakeRoute *const route_tables[] = {
  fake_chat_routes, fake_message_routes, fake_user_routes, fake_misc_routes,
};

static gboolean
route_matches (const FakeRoute *route, FakeReq *req)
{
  char **pat = g_strsplit (route->pattern + 1, "/", -1);
  guint n = g_strv_length (pat), arg = 0;
  gboolean ok = n == req->n_seg;
  for (guint i = 0; ok && i < n; i++) {
    if (strcmp (pat[i], "*") == 0) {
      if (arg < G_N_ELEMENTS (req->args))
        req->args[arg++] = req->seg[i];
    } else if (strcmp (pat[i], req->seg[i]) != 0) {
      ok = FALSE;
    }
  }
  g_strfreev (pat);
  return ok;
}

void
fake_dispatch_graph (FakeReq *req, FakeResp *resp)
{
  gboolean path_known = FALSE;
  for (guint t = 0; t < G_N_ELEMENTS (route_tables); t++) {
    for (const FakeRoute *r = route_tables[t]; r->pattern; r++) {
      if (!route_matches (r, req))
        continue;
      path_known = TRUE;
      if (strcmp (r->method, req->method) == 0) {
        r->handler (req, resp);
        return;
      }
    }
  }
  if (path_known)
    fake_resp_error (req, resp, 405, "Request_BadRequest",
                     "The method %s is not allowed on this resource.", req->method);
  else
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Resource not found for the segment '%s'.",
                     req->n_seg ? req->seg[req->n_seg - 1] : "");
}

static gboolean
check_bearer (FakeReq *req, FakeResp *resp)
{
  const char *auth = fake_req_header (req, "Authorization");
  const char *problem = "Access token is empty.";
  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 && auth[7]) {
    problem = fake_identity_check_access (req->fg, auth + 7);
    if (problem == NULL) {
      req->access_token = auth + 7;
      return TRUE;
    }
  }
  fake_resp_error (req, resp, 401, "InvalidAuthenticationToken", "%s", problem);
  fake_resp_header (resp, "WWW-Authenticate",
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
                    "common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
  return FALSE;
}

static gboolean
is_graph_path (FakeReq *req)
{
  return req->n_seg >= 1 && strcmp (req->seg[0], "v1.0") == 0;
}

/* Handles everything but /_fake/; *delay_ms is set when inner $batch faults ask for one. */
static void
process (FakeReq *req, FakeResp *resp, guint *delay_ms)
{
  if (is_graph_path (req)) {
    if (!check_bearer (req, resp))
      return;
    if (req->n_seg == 2 && strcmp (req->seg[1], "$batch") == 0 && strcmp (req->method, "POST") == 0)
      fake_batch_handle (req, resp, delay_ms);
    else
      fake_dispatch_graph (req, resp);
    return;
  }
  if (fake_identity_handle (req, resp))
    return;
  fake_resp_error (req, resp, 404, "NotFound", "No such endpoint: %s", req->path);
}

/* FAKE_GRAPH_TRACE=1 prints each request and its status on stderr. */
void
fake_trace (FakeReq *req, guint status)
{
  static int enabled = -1;
  if (enabled < 0)
    enabled = g_getenv ("FAKE_GRAPH_TRACE") != NULL;
  if (enabled)
    g_printerr ("fake-graph: %s%s %s%s%s -> %u\n", req->in_batch ? "  [batch] " : "", req->method,
                req->path, req->query ? "?" : "", req->query ? req->query : "", status);
}

/* ---- SoupServer glue ---- */

typedef struct {
  FakeGraph *fg;
  SoupServerMessage *msg;
  FakeReq *req;
  FakeResp *resp;    /* NULL: compute when the delay ends */
  guint source;
} FakePending;

static void
write_response (FakeGraph *fg, SoupServerMessage *msg, FakeReq *req, FakeResp *resp)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  char *rid = g_uuid_string_random ();
  soup_message_headers_replace (h, "request-id", rid);
  const char *crid = fake_req_header (req, "client-request-id");
  soup_message_headers_replace (h, "client-request-id", crid ? crid : rid);
  g_free (rid);
  for (guint i = 0; i + 1 < resp->headers->len; i += 2)
    soup_message_headers_append (h, g_ptr_array_index (resp->headers, i),
                                 g_ptr_array_index (resp->headers, i + 1));
  soup_server_message_set_status (msg, resp->status, NULL);
  if (resp->body) {
    gsize len;
    const char *data = g_bytes_get_data (resp->body, &len);
    soup_server_message_set_response (msg, resp->content_type, SOUP_MEMORY_COPY, data, len);
  }
  if (req->log)
    req->log->status = resp->status;
  fake_trace (req, resp->status);
}

static void
pending_free (FakePending *p)
{
  if (p->source)
    g_source_remove (p->source);
  g_object_unref (p->msg);
  fake_req_free (p->req);
  fake_resp_free (p->resp);
  g_free (p);
}

static gboolean
pending_fire (gpointer data)
{
  FakePending *p = data;
  p->source = 0;
  if (p->resp == NULL) {
    guint ignored = 0;
    p->resp = fake_resp_new ();
    process (p->req, p->resp, &ignored);
  }
  write_response (p->fg, p->msg, p->req, p->resp);
  soup_server_message_unpause (p->msg);
  g_ptr_array_remove (p->fg->pending, p);
  return G_SOURCE_REMOVE;
}

static void
delay_request (FakeGraph *fg, SoupServerMessage *msg, FakeReq *req, FakeResp *resp,
               guint delay_ms)
{
  FakePending *p = g_new0 (FakePending, 1);
  p->fg = fg;
  p->msg = g_object_ref (msg);
  p->req = req;
  p->resp = resp;
  soup_server_message_pause (msg);
  p->source = g_timeout_add (delay_ms, pending_fire, p);
  g_ptr_array_add (fg->pending, p);
}

static void
drop_connection (SoupServerMessage *msg)
{
  GIOStream *stream = soup_server_message_steal_connection (msg);
  if (stream) {
    g_io_stream_close (stream, NULL, NULL);
    g_object_unref (stream);
  }
}

static void
apply_fault (FakeGraph *fg, SoupServerMessage *msg, FakeReq *req, const FakeFaultInfo *fault)
{
  if (fault->kind == FAKE_FAULT_DROP) {
    req->log->status = 0;
    drop_connection (msg);
    fake_req_free (req);
    return;
  }
  if (fault->kind == FAKE_FAULT_DELAY) {
    delay_request (fg, msg, req, NULL, fault->delay_ms);
    return;
  }
  FakeResp *resp = fake_resp_new ();
  fake_resp_status_error (req, resp, fault->status);
  if (fault->retry_after[0])
    fake_resp_header (resp, "Retry-After", fault->retry_after);
  write_response (fg, msg, req, resp);
  fake_resp_free (resp);
  fake_req_free (req);
}

static gboolean
is_control_path (FakeReq *req)
{
  return req->n_seg >= 1 && strcmp (req->seg[0], "_fake") == 0;
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer data)
{
  FakeGraph *fg = data;
  GUri *uri = soup_server_message_get_uri (msg);
  GBytes *body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  FakeReq *req = fake_req_new (fg, soup_server_message_get_method (msg), g_uri_get_path (uri),
                               g_uri_get_query (uri),
                               soup_server_message_get_request_headers (msg), body);
  g_bytes_unref (body);
  FakeResp *resp = fake_resp_new ();
  if (is_control_path (req)) {
    fake_control_handle (req, resp);
    write_response (fg, msg, req, resp);
    fake_resp_free (resp);
    fake_req_free (req);
    return;
  }
  req->log = fake_log_add (fg, req);
  FakeFaultInfo fault;
  if (fake_fault_take (fg, req->method, req->path, FALSE, &fault)) {
    fake_resp_free (resp);
    apply_fault (fg, msg, req, &fault);
    return;
  }
  guint delay_ms = 0;
  process (req, resp, &delay_ms);
  if (delay_ms) {
    delay_request (fg, msg, req, resp, delay_ms);
    return;
  }
  write_response (fg, msg, req, resp);
  fake_resp_free (resp);
  fake_req_free (req);
}

/* ---- life cycle ---- */

FakeGraph *
fake_graph_new_empty (void)
{
  FakeGraph *fg = g_new0 (FakeGraph, 1);
  fg->tenant_id = g_uuid_string_random ();
  fg->users = g_ptr_array_new ();
  fg->user_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  fg->user_by_upn = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fg->chats = g_ptr_array_new ();
  fg->chat_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  fg->identity = fake_identity_new ();
  fg->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_free);
  fg->log = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  fg->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  fg->base_url = g_strdup ("http://127.0.0.1:0");
  fg->graph_url = g_strdup ("http://127.0.0.1:0/v1.0");
  return fg;
}

FakeGraph *
fake_graph_new (const char *me_upn)
{
  g_return_val_if_fail (me_upn != NULL, NULL);
  FakeGraph *fg = fake_graph_new_empty ();
  const char *at = strchr (me_upn, '@');
  fg->domain = g_strdup (at ? at + 1 : "contoso.com");
  fg->me = fake_store_add_user (fg, me_upn, NULL, NULL);
  fake_graph_set_presence (fg, me_upn, "Available", "Available");
  return fg;
}

FakeGraph *
fake_graph_new_from_json (const char *json, GError **error)
{
  JsonParser *parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, error)) {
    g_object_unref (parser);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "tenant JSON is not an object");
    g_object_unref (parser);
    return NULL;
  }
  FakeGraph *fg = fake_graph_new_empty ();
  if (!fake_tenant_load (fg, json_node_get_object (root), error)) {
    fake_graph_free (fg);
    fg = NULL;
  }
  g_object_unref (parser);
  return fg;
}

FakeGraph *
fake_graph_new_from_file (const char *path, GError **error)
{
  char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  FakeGraph *fg = fake_graph_new_from_json (text, error);
  g_free (text);
  return fg;
}

static void
rebase_text (char **text, const char *before, const char *after)
{
  if (*text == NULL || strstr (*text, before) == NULL)
    return;
  GString *moved = g_string_new (*text);
  g_string_replace (moved, before, after, 0);
  g_free (*text);
  *text = g_string_free (moved, FALSE);
}

/* Bodies written before the port was known (a tenant file's inline images) name the
 * placeholder URL: they move to the real one. */
static void
rebase_contents (FakeGraph *fg, const char *before)
{
  for (guint i = 0; i < fg->chats->len; i++) {
    FakeChat *chat = g_ptr_array_index (fg->chats, i);
    for (guint j = 0; j < chat->messages->len; j++) {
      FakeMessage *m = g_ptr_array_index (chat->messages, j);
      rebase_text (&m->content, before, fg->graph_url);
      rebase_text (&m->saved_content, before, fg->graph_url);
    }
  }
}

gboolean
fake_graph_listen (FakeGraph *fg, guint port, GError **error)
{
  g_return_val_if_fail (fg->server == NULL, FALSE);
  fg->server = soup_server_new ("server-header", "fake-graph ", NULL);
  soup_server_add_handler (fg->server, NULL, server_callback, fg, NULL);
  if (!soup_server_listen_local (fg->server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, error)) {
    g_clear_object (&fg->server);
    return FALSE;
  }
  GSList *uris = soup_server_get_uris (fg->server);
  guint bound = uris ? (guint) g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  char *before = fg->graph_url;
  g_free (fg->base_url);
  fg->base_url = g_strdup_printf ("http://127.0.0.1:%u", bound);
  fg->graph_url = g_strdup_printf ("%s/v1.0", fg->base_url);
  rebase_contents (fg, before);
  g_free (before);
  return TRUE;
}

const char *
fake_graph_base_url (FakeGraph *fg)
{
  return fg->base_url;
}

const char *
fake_graph_graph_url (FakeGraph *fg)
{
  return fg->graph_url;
}

void
fake_graph_free (FakeGraph *fg)
{
  if (fg == NULL)
    return;
  if (fg->server)
    soup_server_disconnect (fg->server);
  g_ptr_array_unref (fg->pending);
  g_clear_object (&fg->server);
  g_ptr_array_unref (fg->faults);
  g_ptr_array_unref (fg->log);
  fake_identity_free (fg->identity);
  fake_store_free_all (fg);
  g_free (fg->tenant_id);
  g_free (fg->domain);
  g_free (fg->base_url);
  g_free (fg->graph_url);
  g_free (fg);
}
