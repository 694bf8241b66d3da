/* fake-batch — POST /v1.0/$batch: up to 20 inner requests, each run through the same routes
 * in order (and faults: STATUS answers that inner request, DELAY holds the whole batch),
 * answered in reverse order (Graph promises no order) with an outer 200. */
#include "fake-graph/fake-internal.h"
#include <string.h>

typedef struct {
  const char *id;
  const char *method;
  const char *url;
  JsonObject *headers;
  JsonNode *body;
} InnerRequest;

static gboolean
parse_inner (JsonNode *node, InnerRequest *in)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  in->id = fake_json_string (o, "id");
  in->method = fake_json_string (o, "method");
  in->url = fake_json_string (o, "url");
  in->headers = fake_json_object (o, "headers");
  in->body = o ? json_object_get_member (o, "body") : NULL;
  if (in->body && JSON_NODE_HOLDS_NULL (in->body))
    in->body = NULL;
  return in->id && in->method && in->url;
}

static gboolean
check_batch (FakeReq *req, FakeResp *resp, JsonArray *requests)
{
  guint n = requests ? json_array_get_length (requests) : 0;
  if (requests == NULL || n == 0) {
    fake_resp_error (req, resp, 400, "BadRequest", "Invalid batch payload format.");
    return FALSE;
  }
  if (n > 20) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "The number of requests in a batch cannot exceed 20.");
    return FALSE;
  }
  GHashTable *ids = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < n; i++) {
    InnerRequest in;
    if (!parse_inner (json_array_get_element (requests, i), &in)) {
      fake_resp_error (req, resp, 400, "BadRequest",
                       "Each batch request needs 'id', 'method' and 'url'.");
      ok = FALSE;
    } else if (!g_hash_table_add (ids, (gpointer) in.id)) {
      fake_resp_error (req, resp, 400, "BadRequest",
                       "Batch request ids must be unique ('%s' is repeated).", in.id);
      ok = FALSE;
    }
  }
  g_hash_table_unref (ids);
  return ok;
}

static SoupMessageHeaders *
inner_headers (JsonObject *headers)
{
  SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  if (headers == NULL)
    return h;
  GList *names = json_object_get_members (headers);
  for (GList *l = names; l; l = l->next) {
    const char *value = fake_json_string (headers, l->data);
    if (value)
      soup_message_headers_append (h, l->data, value);
  }
  g_list_free (names);
  return h;
}

static GBytes *
inner_body (JsonNode *body)
{
  if (body == NULL)
    return NULL;
  char *text;
  if (JSON_NODE_HOLDS_VALUE (body) && json_node_get_value_type (body) == G_TYPE_STRING)
    text = g_strdup (json_node_get_string (body));
  else
    text = fake_json_to_string (body);
  return g_bytes_new_take (text, strlen (text));
}

static JsonNode *
response_body (FakeResp *resp)
{
  if (resp->body == NULL)
    return NULL;
  gsize len;
  const char *data = g_bytes_get_data (resp->body, &len);
  if (resp->content_type && strstr (resp->content_type, "json")) {
    JsonParser *parser = json_parser_new ();
    JsonNode *node = NULL;
    if (json_parser_load_from_data (parser, data, len, NULL) && json_parser_get_root (parser))
      node = json_node_copy (json_parser_get_root (parser));
    g_object_unref (parser);
    if (node)
      return node;
  }
  char *b64 = g_base64_encode ((const guchar *) data, len);
  JsonNode *node = json_node_init_string (json_node_alloc (), b64);
  g_free (b64);
  return node;
}

static JsonObject *
response_entry (const char *id, FakeResp *resp)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", id);
  json_object_set_int_member (o, "status", resp->status);
  JsonObject *headers = json_object_new ();
  if (resp->content_type)
    json_object_set_string_member (headers, "Content-Type", resp->content_type);
  for (guint i = 0; i + 1 < resp->headers->len; i += 2)
    json_object_set_string_member (headers, g_ptr_array_index (resp->headers, i),
                                   g_ptr_array_index (resp->headers, i + 1));
  json_object_set_object_member (o, "headers", headers);
  JsonNode *body = response_body (resp);
  if (body)
    json_object_set_member (o, "body", body);
  return o;
}

/* Runs one inner request; its fault (if any) answers instead of the route. */
static void
run_inner (FakeReq *outer, const InnerRequest *in, FakeResp *resp, guint *max_delay)
{
  FakeGraph *fg = outer->fg;
  if (g_str_has_prefix (in->url, "http://") || g_str_has_prefix (in->url, "https://")) {
    fake_resp_error (NULL, resp, 400, "BadRequest",
                     "Batch request urls must be relative: '%s'.", in->url);
    return;
  }
  const char *rel = in->url[0] == '/' ? in->url + 1 : in->url;
  const char *q = strchr (rel, '?');
  char *path = g_strdup_printf ("/v1.0/%.*s", (int) (q ? q - rel : (int) strlen (rel)), rel);
  SoupMessageHeaders *headers = inner_headers (in->headers);
  GBytes *body = inner_body (in->body);
  FakeReq *req = fake_req_new (fg, in->method, path, q ? q + 1 : NULL, headers, body);
  req->in_batch = TRUE;
  req->access_token = outer->access_token;
  req->log = fake_log_add (fg, req);
  FakeFaultInfo fault = { 0 };
  if (body && soup_message_headers_get_one (headers, "Content-Type") == NULL) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Write request id : %s does not contain Content-Type header or body.", in->id);
  } else if (fake_fault_take (fg, req->method, req->path, TRUE, &fault)
             && fault.kind == FAKE_FAULT_STATUS) {
    fake_resp_status_error (req, resp, fault.status);
    if (fault.retry_after[0])
      fake_resp_header (resp, "Retry-After", fault.retry_after);
  } else {
    if (fault.kind == FAKE_FAULT_DELAY)
      *max_delay = MAX (*max_delay, fault.delay_ms);
    if (req->n_seg == 2 && strcmp (req->seg[1], "$batch") == 0)
      fake_resp_error (req, resp, 400, "BadRequest", "Batches cannot be nested.");
    else
      fake_dispatch_graph (req, resp);
  }
  req->log->status = resp->status;
  fake_trace (req, resp->status);
  fake_req_free (req);
  soup_message_headers_unref (headers);
  if (body)
    g_bytes_unref (body);
  g_free (path);
}

void
fake_batch_handle (FakeReq *req, FakeResp *resp, guint *max_delay_ms)
{
  JsonObject *body = fake_req_json_object (req, resp);
  if (body == NULL)
    return;
  JsonArray *requests = fake_json_array (body, "requests");
  if (!check_batch (req, resp, requests))
    return;
  guint n = json_array_get_length (requests);
  GPtrArray *entries = g_ptr_array_new ();
  for (guint i = 0; i < n; i++) {
    InnerRequest in;
    parse_inner (json_array_get_element (requests, i), &in);
    FakeResp *inner = fake_resp_new ();
    run_inner (req, &in, inner, max_delay_ms);
    g_ptr_array_add (entries, response_entry (in.id, inner));
    fake_resp_free (inner);
  }
  JsonArray *responses = json_array_new ();
  for (guint i = n; i-- > 0;)
    json_array_add_object_element (responses, g_ptr_array_index (entries, i));
  g_ptr_array_unref (entries);
  JsonObject *root = json_object_new ();
  json_object_set_array_member (root, "responses", responses);
  fake_resp_object (resp, 200, root);
}
