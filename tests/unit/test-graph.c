/* Unit tests for tg-graph: the Graph HTTP client.
 *
 * Two kinds of server, both in-process on the test's main context:
 *   - the Graph emulator (fake-graph.h), for behaviour against Graph's real shapes;
 *   - a scripted SoupServer ("script"), for answers the emulator would never give (broken
 *     JSON, decimal Retry-After on chosen requests, $batch answers in reverse order, hostile
 *     nextLinks, oversized bodies).
 * Waiting = iterating the main context until a flag is set, with a 20 s hang guard.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-error.h"
#include "core/tg-graph.h"
#include "core/tg-json.h"
#include "fake-graph/fake-graph.h"

#define FAST 0.001   /* time_scale: retry waits cost nothing */

/* ------------------------------------------------------------------------------------------ */
/* Waiting                                                                                     */

typedef struct {
  gboolean done;
  guint calls;
  GAsyncResult *result;
} Waiter;

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Waiter *w = data;

  w->calls++;
  g_clear_object (&w->result);
  w->result = g_object_ref (result);
  w->done = TRUE;
}

static void
waiter_clear (Waiter *w)
{
  g_clear_object (&w->result);
  w->done = FALSE;
  w->calls = 0;
}

/* Sends and waits; returns the body (or NULL) with *error / *status set. */
static JsonNode *
send_sync (TgGraph *graph, TgCall *call, guint *status, GError **error)
{
  Waiter w = { 0 };
  JsonNode *node;

  tg_graph_send_async (graph, call, NULL, on_done, &w);
  gf_wait_flag (&w.done);
  node = tg_graph_send_finish (graph, w.result, status, error);
  waiter_clear (&w);
  return node;
}

static JsonNode *
get_sync (TgGraph *graph, const char *path, guint *status, GError **error)
{
  return send_sync (graph, tg_call_new ("GET", path), status, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Retry observer                                                                              */

typedef struct {
  GArray *delays;     /* double */
  GArray *attempts;   /* guint */
  GArray *statuses;   /* guint */
  GCancellable *cancel_on_wait;
} Retries;

static void
on_retry (const char *method, const char *path, guint status, guint attempt, double delay,
          gpointer data)
{
  Retries *r = data;

  g_array_append_val (r->delays, delay);
  g_array_append_val (r->attempts, attempt);
  g_array_append_val (r->statuses, status);
  if (r->cancel_on_wait != NULL)
    g_cancellable_cancel (r->cancel_on_wait);
}

static void
retries_init (Retries *r)
{
  r->delays = g_array_new (FALSE, FALSE, sizeof (double));
  r->attempts = g_array_new (FALSE, FALSE, sizeof (guint));
  r->statuses = g_array_new (FALSE, FALSE, sizeof (guint));
  r->cancel_on_wait = NULL;
}

static void
retries_clear (Retries *r)
{
  g_array_unref (r->delays);
  g_array_unref (r->attempts);
  g_array_unref (r->statuses);
}

/* ------------------------------------------------------------------------------------------ */
/* Log capture: every message of the process, to check that no secret is ever logged           */

static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      {
        g_string_append (captured_log, fields[i].value);
        g_string_append_c (captured_log, '\n');
      }
  /* Fatal levels (criticals under G_DEBUG=fatal-criticals) still go to stderr and abort. */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_standard_streams (level, fields, n_fields, data);
  return G_LOG_WRITER_HANDLED;
}

/* ------------------------------------------------------------------------------------------ */
/* The scripted server                                                                         */

typedef struct _Script Script;
typedef void (*ScriptFunc) (Script *script, SoupServerMessage *msg, const char *path,
                            const char *body);

struct _Script {
  SoupServer *server;
  char *base;         /* http://127.0.0.1:PORT */
  char *graph_url;    /* base + /v1.0 */
  ScriptFunc func;
  gpointer data;
  guint hits;
  GPtrArray *log;     /* "METHOD /path" */
  GPtrArray *auth;    /* Authorization header of each request ("" when none) */
  GPtrArray *bodies;  /* request bodies */
};

static void
reply (SoupServerMessage *msg, guint status, const char *json, const char *retry_after)
{
  soup_server_message_set_status (msg, status, NULL);
  if (retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  retry_after);
  if (json != NULL)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
reply_graph_error (SoupServerMessage *msg, guint status, const char *code, const char *message,
                   const char *retry_after)
{
  g_autofree char *json = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\","
                                           "\"innerError\":{\"request-id\":\"r1\"}}}",
                                           code, message);

  reply (msg, status, json, retry_after);
}

/* Closes the connection without an answer. */
static void
reply_drop (SoupServerMessage *msg)
{
  GIOStream *stream = soup_server_message_steal_connection (msg);

  g_io_stream_close (stream, NULL, NULL);
  g_object_unref (stream);
}

static void
script_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data)
{
  Script *script = data;
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) flat = soup_message_body_flatten (request_body);
  g_autofree char *body = g_strndup (g_bytes_get_data (flat, NULL), g_bytes_get_size (flat));
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  script->hits++;
  g_ptr_array_add (script->log, g_strdup_printf ("%s %s", soup_server_message_get_method (msg), path));
  g_ptr_array_add (script->auth, g_strdup (auth != NULL ? auth : ""));
  g_ptr_array_add (script->bodies, g_strdup (body));
  script->func (script, msg, path, body);
}

static Script *
script_new (ScriptFunc func, gpointer data)
{
  Script *script = g_new0 (Script, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  script->server = soup_server_new (NULL, NULL);
  script->func = func;
  script->data = data;
  script->log = g_ptr_array_new_with_free_func (g_free);
  script->auth = g_ptr_array_new_with_free_func (g_free);
  script->bodies = g_ptr_array_new_with_free_func (g_free);
  soup_server_add_handler (script->server, NULL, script_handler, script, NULL);
  g_assert_true (soup_server_listen_local (script->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (script->server);
  script->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  script->graph_url = g_strconcat (script->base, "/v1.0", NULL);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return script;
}

static void
script_free (Script *script)
{
  soup_server_disconnect (script->server);
  g_object_unref (script->server);
  g_ptr_array_unref (script->log);
  g_ptr_array_unref (script->auth);
  g_ptr_array_unref (script->bodies);
  g_free (script->base);
  g_free (script->graph_url);
  g_free (script);
}

static TgGraph *
graph_for (const char *url)
{
  g_autoptr (GError) error = NULL;
  TgGraph *graph = tg_graph_new (url, &error);

  g_assert_no_error (error);
  g_assert_nonnull (graph);
  tg_graph_set_retry_policy (graph, 5, FAST);
  return graph;
}

/* ------------------------------------------------------------------------------------------ */
/* A simple token source: hands out tokens from a list; refresh moves to the next one.         */

typedef struct {
  const char *const *tokens;   /* NULL-terminated */
  guint current;               /* index into tokens; a NULL entry = no token */
  gboolean start_empty;        /* get_access_token returns NULL until the first refresh */
  gboolean fail_refresh;
  guint refreshes;
} ListTokens;

static char *
list_get_token (gpointer data)
{
  ListTokens *lt = data;

  if (lt->start_empty && lt->refreshes == 0)
    return NULL;
  return g_strdup (lt->tokens[lt->current]);
}

static void
list_refresh_async (gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback,
                    gpointer callback_data)
{
  ListTokens *lt = data;
  GTask *task = g_task_new (NULL, cancellable, callback, callback_data);

  lt->refreshes++;
  if (lt->fail_refresh)
    g_task_return_new_error (task, TG_ERROR, TG_ERROR_SIGNED_OUT, "Signed out: invalid_grant");
  else
    {
      if (lt->refreshes > 1 || !lt->start_empty)
        if (lt->tokens[lt->current] != NULL)
          lt->current++;
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

static gboolean
list_refresh_finish (gpointer data, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static const TgTokenSource list_token_source = {
  list_get_token, list_refresh_async, list_refresh_finish,
};

/* ------------------------------------------------------------------------------------------ */
/* Pure functions                                                                              */

static void
test_new_refuses_plain_http (void)
{
  g_autoptr (GError) error = NULL;
  TgGraph *graph;

  graph = tg_graph_new ("http://10.0.0.1/v1.0", &error);
  g_assert_null (graph);
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "graph_url"));
  g_clear_error (&error);

  graph = tg_graph_new ("http://127.0.0.1.evil.com/v1.0", &error);
  g_assert_null (graph);
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_clear_error (&error);

  graph = tg_graph_new ("https://graph.microsoft.com/v1.0/", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_graph_base_url (graph), ==, "https://graph.microsoft.com/v1.0");
  g_assert_true (SOUP_IS_SESSION (tg_graph_session (graph)));
  g_assert_cmpstr (soup_session_get_user_agent (tg_graph_session (graph)), ==, "purple-teams-graph/0.1");
  tg_graph_unref (graph);

  graph = tg_graph_new ("http://[::1]:8080/v1.0", &error);
  g_assert_no_error (error);
  tg_graph_unref (graph);
}

static void
test_retry_delay (void)
{
  double previous = 0;

  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay ("2.128", 1, 0.5), 2.128, 1e-9);
  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay (" 7 ", 3, 0.5), 7.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay ("0", 3, 0.5), 0.0, 1e-9);
  /* Retry-After is capped. */
  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay ("100000", 1, 0.5), 300.0, 1e-9);
  /* Unparseable values fall back to backoff (1 s ± 20 % for the first retry). */
  {
    const char *bad[] = { NULL, "", "abc", "-1", "inf", "nan", "1e3", "2..1", "0x10",
                          "Wed, 21 Oct 2015 07:28:00 GMT" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        double d = tg_graph_retry_delay (bad[i], 1, 0.5);

        g_assert_cmpfloat_with_epsilon (d, 1.0, 1e-9);
      }
  }
  /* Backoff doubles, then stays at the 60 s cap, whatever the attempt number. */
  for (guint attempt = 1; attempt <= 40; attempt++)
    {
      double mid = tg_graph_retry_delay (NULL, attempt, 0.5);
      double low = tg_graph_retry_delay (NULL, attempt, 0.0);
      double high = tg_graph_retry_delay (NULL, attempt, 0.999999);

      g_assert_cmpfloat (mid, >=, previous);
      g_assert_cmpfloat (mid, <=, 60.0);
      g_assert_cmpfloat (high, <=, 60.0);
      g_assert_cmpfloat (low, >=, 0.8 * mid - 1e-9);
      g_assert_cmpfloat (high, <=, 1.2 * mid + 1e-9);
      if (attempt <= 6)
        {
          g_assert_cmpfloat_with_epsilon (mid, (double) (1u << (attempt - 1)), 1e-9);
          g_assert_cmpfloat (high, >, mid);
          g_assert_cmpfloat (low, <, mid);
        }
      previous = mid;
    }
  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay (NULL, 40, 0.5), 60.0, 1e-9);
  /* Attempt 0 is treated as the first; a bogus random draw is tolerated. */
  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay (NULL, 0, 0.5), 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (tg_graph_retry_delay (NULL, 1, 7.0), 1.0, 1e-9);
}

static void
assert_status_maps (guint status, TgErrorCode code)
{
  g_autoptr (GError) error = tg_error_from_http (status, NULL);

  g_assert_cmpint (tg_error_code_for_status (status), ==, code);
  g_assert_error (error, TG_ERROR, (gint) code);
}

static void
test_error_mapping (void)
{
  g_autoptr (JsonNode) graph_body = tg_json_parse (
    "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"Chat does not exist\","
    "\"innerError\":{\"request-id\":\"abc\"}}}", -1, NULL);
  g_autoptr (JsonNode) oauth_body = tg_json_parse (
    "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70000: expired\"}", -1, NULL);
  g_autoptr (JsonNode) declined = tg_json_parse ("{\"error\":\"authorization_declined\"}", -1, NULL);
  g_autoptr (JsonNode) odd = tg_json_parse ("{\"error\":{\"code\":5,\"message\":[1]}}", -1, NULL);
  g_autoptr (JsonNode) scalar = tg_json_parse ("\"oops\"", -1, NULL);
  g_autoptr (GError) error = NULL;

  assert_status_maps (401, TG_ERROR_SIGNED_OUT);
  assert_status_maps (403, TG_ERROR_FORBIDDEN);
  assert_status_maps (404, TG_ERROR_NOT_FOUND);
  assert_status_maps (410, TG_ERROR_NOT_FOUND);
  assert_status_maps (429, TG_ERROR_THROTTLED);
  assert_status_maps (500, TG_ERROR_SERVER);
  assert_status_maps (502, TG_ERROR_SERVER);
  assert_status_maps (503, TG_ERROR_SERVER);
  assert_status_maps (504, TG_ERROR_SERVER);
  assert_status_maps (400, TG_ERROR_BAD_REQUEST);
  assert_status_maps (405, TG_ERROR_BAD_REQUEST);
  assert_status_maps (409, TG_ERROR_BAD_REQUEST);
  assert_status_maps (412, TG_ERROR_BAD_REQUEST);
  assert_status_maps (413, TG_ERROR_BAD_REQUEST);
  assert_status_maps (302, TG_ERROR_BAD_RESPONSE);
  assert_status_maps (0, TG_ERROR_BAD_RESPONSE);

  error = tg_error_from_http (404, graph_body);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Not found: ResourceNotFound: Chat does not exist");
  g_clear_error (&error);

  /* The identity platform's shape; invalid_grant means signing in again whatever the status. */
  error = tg_error_from_http (400, oauth_body);
  g_assert_error (error, TG_ERROR, TG_ERROR_SIGNED_OUT);
  g_assert_nonnull (strstr (error->message, "invalid_grant"));
  g_assert_nonnull (strstr (error->message, "AADSTS70000"));
  g_clear_error (&error);
  error = tg_error_from_http (400, declined);
  g_assert_error (error, TG_ERROR, TG_ERROR_AUTH_DECLINED);
  g_clear_error (&error);

  /* Mistyped bodies fall back to the status. */
  error = tg_error_from_http (403, odd);
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "403"));
  g_clear_error (&error);
  error = tg_error_from_http (500, scalar);
  g_assert_error (error, TG_ERROR, TG_ERROR_SERVER);
  g_clear_error (&error);

  g_assert_false (tg_error_is_transient (NULL));
  error = tg_error_from_http (429, NULL);
  g_assert_true (tg_error_is_transient (error));
  g_clear_error (&error);
  error = tg_error_from_http (404, NULL);
  g_assert_false (tg_error_is_transient (error));
}

static void
test_call_accessors (void)
{
  g_autoptr (TgCall) call = tg_call_new ("get", "/me");

  g_assert_cmpstr (tg_call_method (call), ==, "GET");
  g_assert_cmpstr (tg_call_path (call), ==, "/me");
  tg_call_add_header (call, "Prefer", "include-unknown-enum-members");
  tg_call_add_header (call, NULL, "ignored");
  tg_call_set_json_body (call, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Scripted-server tests                                                                       */

static void
script_ok_me (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  if (g_str_equal (path, "/v1.0/me"))
    reply (msg, 200, "{\"id\":\"u1\",\"displayName\":\"Alice\"}", NULL);
  else if (g_str_equal (path, "/v1.0/empty"))
    reply (msg, 204, NULL, NULL);
  else if (g_str_equal (path, "/v1.0/echo"))
    reply (msg, 201, body, NULL);
  else if (g_str_equal (path, "/v1.0/photo"))
    soup_server_message_set_response (msg, "image/png", SOUP_MEMORY_STATIC, "\x89PNG\0\1", 6),
      soup_server_message_set_status (msg, 200, NULL);
  else
    reply_graph_error (msg, 404, "NotFound", "No such thing", NULL);
}

static void
test_script_basic (void)
{
  Script *script = script_new (script_ok_me, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) me = NULL, empty = NULL, echo = NULL;
  g_autoptr (JsonNode) body = tg_json_parse ("{\"body\":{\"content\":\"hi\"}}", -1, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *content_type = NULL;
  TgCall *call;
  Waiter w = { 0 };
  guint status = 0;

  me = get_sync (graph, "/me", &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (me), "displayName"), ==, "Alice");

  empty = get_sync (graph, "empty", &status, &error);
  g_assert_no_error (error);
  g_assert_null (empty);
  g_assert_cmpuint (status, ==, 204);

  tg_graph_post_async (graph, "/echo", body, NULL, on_done, &w);
  gf_wait_flag (&w.done);
  echo = tg_graph_send_finish (graph, w.result, &status, &error);
  waiter_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 201);
  g_assert_cmpstr (tg_json_path_string (tg_json_node_object (echo), "body", "content", NULL), ==, "hi");

  call = tg_call_new ("GET", "/photo");
  tg_graph_send_async (graph, call, NULL, on_done, &w);
  gf_wait_flag (&w.done);
  bytes = tg_graph_send_bytes_finish (graph, w.result, &content_type, &error);
  waiter_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 6);
  g_assert_cmpint (memcmp (g_bytes_get_data (bytes, NULL), "\x89PNG\0\1", 6), ==, 0);
  g_assert_cmpstr (content_type, ==, "image/png");

  /* No token source: no Authorization header at all. */
  g_assert_cmpstr (script->auth->pdata[0], ==, "");
  g_assert_cmpstr (script->log->pdata[1], ==, "GET /v1.0/empty");
  g_assert_cmpstr (script->log->pdata[2], ==, "POST /v1.0/echo");

  tg_graph_unref (graph);
  script_free (script);
}

static void
script_bad_json (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  if (g_str_equal (path, "/v1.0/truncated"))
    reply (msg, 200, "{\"value\": [1, 2", NULL);
  else if (g_str_equal (path, "/v1.0/html"))
    soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "<html>oops</html>", 17),
      soup_server_message_set_status (msg, 200, NULL);
  else if (g_str_equal (path, "/v1.0/not-a-collection"))
    reply (msg, 200, "{\"value\": 42}", NULL);
  else if (g_str_equal (path, "/v1.0/html-error"))
    soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "<html>bad gw</html>", 19),
      soup_server_message_set_status (msg, 502, NULL);
  else if (g_str_equal (path, "/v1.0/odd-status"))
    reply (msg, 302, NULL, NULL);  /* a redirect without a Location */
}

static void
test_script_bad_response (void)
{
  Script *script = script_new (script_bad_json, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  Waiter w = { 0 };
  JsonNode *node;
  JsonArray *items;

  node = get_sync (graph, "/truncated", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  node = get_sync (graph, "/html", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* Non-JSON error bodies still map by status. */
  node = get_sync (graph, "/html-error", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "502"));
  g_clear_error (&error);

  node = get_sync (graph, "/odd-status", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  tg_graph_get_all_async (graph, "/not-a-collection", 0, NULL, NULL, on_done, &w);
  gf_wait_flag (&w.done);
  items = tg_graph_get_all_finish (graph, w.result, &error);
  waiter_clear (&w);
  g_assert_null (items);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);

  tg_graph_unref (graph);
  script_free (script);
}

/* Streams an endless body, chunk by chunk, until the client gives up. */
static void
on_big_wrote_chunk (SoupServerMessage *msg, gpointer data)
{
  static char chunk[1024 * 1024];
  guint *sent = data;

  if (++*sent > 40)
    {
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      return;
    }
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                            chunk, sizeof chunk);
}

static guint big_sent;

static void
script_big (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, 200, NULL);
  if (g_str_equal (path, "/v1.0/declared"))
    {
      /* Refused from the header alone. */
      soup_message_headers_set_content_length (headers, 33 * 1024 * 1024);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      return;
    }
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  big_sent = 0;
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_big_wrote_chunk), &big_sent);
  on_big_wrote_chunk (msg, &big_sent);
}

static void
test_script_oversized_body (void)
{
  Script *script = script_new (script_big, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  node = get_sync (graph, "/declared", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  node = get_sync (graph, "/streamed", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_assert_cmpuint (big_sent, <=, 40);

  tg_graph_unref (graph);
  script_free (script);
}

/* /flaky answers per the count of hits: 429 with "2.128", 503 with "0.5", then 200. */
static void
script_retry_after (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  if (script->hits == 1)
    reply_graph_error (msg, 429, "TooManyRequests", "Slow down", "2.128");
  else if (script->hits == 2)
    reply_graph_error (msg, 503, "ServiceUnavailable", "Busy", "0.5");
  else if (script->hits == 3)
    reply_graph_error (msg, 504, "GatewayTimeout", "Slow", "3");
  else
    reply (msg, 200, "{\"ok\":true}", NULL);
}

static void
test_script_retry_after_honoured (void)
{
  Script *script = script_new (script_retry_after, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  Retries r;

  retries_init (&r);
  tg_graph_set_retry_observer (graph, on_retry, &r);
  node = get_sync (graph, "/flaky", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (tg_json_bool (tg_json_node_object (node), "ok", FALSE));
  g_assert_cmpuint (script->hits, ==, 4);
  g_assert_cmpuint (r.delays->len, ==, 3);
  /* The observer sees the requested delay itself, decimals included, not the scaled wait. */
  g_assert_cmpfloat_with_epsilon (g_array_index (r.delays, double, 0), 2.128, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (r.delays, double, 1), 0.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (r.delays, double, 2), 3.0, 1e-9);
  g_assert_cmpuint (g_array_index (r.attempts, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (r.attempts, guint, 2), ==, 3);
  g_assert_cmpuint (g_array_index (r.statuses, guint, 0), ==, 429);
  g_assert_cmpuint (g_array_index (r.statuses, guint, 1), ==, 503);
  g_assert_cmpuint (g_array_index (r.statuses, guint, 2), ==, 504);
  retries_clear (&r);
  tg_graph_unref (graph);
  script_free (script);
}

/* A 504 after a POST is not replayed: the server may have done the work already. */
static void
script_504 (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  reply_graph_error (msg, 504, "GatewayTimeout", "Slow", "1");
}

static void
test_script_504_post_not_replayed (void)
{
  Script *script = script_new (script_504, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = tg_json_parse ("{}", -1, NULL);
  TgCall *call = tg_call_new ("POST", "/chats/c/messages");
  JsonNode *node;

  tg_call_set_json_body (call, body);
  node = send_sync (graph, call, NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_SERVER);
  g_assert_cmpuint (script->hits, ==, 1);
  g_clear_error (&error);

  /* …unless the caller says it is safe to. */
  call = tg_call_new ("POST", "/communications/getPresencesByUserId");
  tg_call_set_idempotent (call, TRUE);
  node = send_sync (graph, call, NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_SERVER);
  g_assert_cmpuint (script->hits, ==, 1 + 5);

  tg_graph_unref (graph);
  script_free (script);
}

/* Bearer tokens: "good-2" is the only one accepted. */
static void
script_auth (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (g_strcmp0 (auth, "Bearer good-2") == 0)
    reply (msg, 200, "{\"id\":\"me\"}", NULL);
  else
    /* A hostile server echoing the token back must not get it into an error message. */
    reply_graph_error (msg, 401, "InvalidAuthenticationToken",
                       auth != NULL ? auth + strlen ("Bearer ") : "none", NULL);
}

static void
test_script_refresh_on_401 (void)
{
  Script *script = script_new (script_auth, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  const char *tokens[] = { "stale-1", "good-2", NULL };
  ListTokens lt = { tokens, 0, FALSE, FALSE, 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  tg_graph_set_token_source (graph, &list_token_source, &lt);
  node = get_sync (graph, "/me", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_cmpuint (lt.refreshes, ==, 1);
  g_assert_cmpuint (script->hits, ==, 2);
  g_assert_cmpstr (script->auth->pdata[0], ==, "Bearer stale-1");
  g_assert_cmpstr (script->auth->pdata[1], ==, "Bearer good-2");
  tg_graph_unref (graph);
  script_free (script);
}

static void
test_script_null_token_refreshes_first (void)
{
  Script *script = script_new (script_auth, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  const char *tokens[] = { "good-2", NULL };
  ListTokens lt = { tokens, 0, TRUE, FALSE, 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  tg_graph_set_token_source (graph, &list_token_source, &lt);
  node = get_sync (graph, "/me", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lt.refreshes, ==, 1);
  /* The refresh happened before anything was sent. */
  g_assert_cmpuint (script->hits, ==, 1);
  g_assert_cmpstr (script->auth->pdata[0], ==, "Bearer good-2");
  tg_graph_unref (graph);
  script_free (script);
}

static void
test_script_second_401_signs_out (void)
{
  Script *script = script_new (script_auth, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  const char *tokens[] = { "stale-1", "stale-2", "stale-3", NULL };
  ListTokens lt = { tokens, 0, FALSE, FALSE, 0 };
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  tg_graph_set_token_source (graph, &list_token_source, &lt);
  node = get_sync (graph, "/me", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_SIGNED_OUT);
  g_assert_nonnull (strstr (error->message, "InvalidAuthenticationToken"));
  /* The server echoed the token; the message must not carry it. */
  g_assert_null (strstr (error->message, "stale-2"));
  g_assert_cmpuint (lt.refreshes, ==, 1);
  g_assert_cmpuint (script->hits, ==, 2);
  g_clear_error (&error);

  /* A refresh that fails ends it at once. */
  lt.current = 0;
  lt.refreshes = 0;
  lt.fail_refresh = TRUE;
  node = get_sync (graph, "/me", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_SIGNED_OUT);
  g_assert_cmpuint (lt.refreshes, ==, 1);
  g_assert_cmpuint (script->hits, ==, 3);
  tg_graph_unref (graph);
  script_free (script);
}

/* Pages at /v1.0/items?page=N; the next link is absolute. `data` picks a hostile last link. */
static void
script_pages (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  GHashTable *query;
  const char *page_text = NULL;
  guint page;
  g_autoptr (GString) json = g_string_new ("{\"value\":[");
  const char *hostile = script->data;

  query = soup_form_decode (g_uri_get_query (soup_server_message_get_uri (msg)) ?: "");
  page_text = g_hash_table_lookup (query, "page");
  page = page_text != NULL ? (guint) atoi (page_text) : 0;
  for (guint i = 0; i < 10; i++)
    g_string_append_printf (json, "%s{\"n\":%u}", i ? "," : "", page * 10 + i);
  g_string_append (json, "]");
  if (page < 3)
    g_string_append_printf (json, ",\"@odata.nextLink\":\"%s/v1.0/items?page=%u&$skiptoken=x%%3D\"",
                            script->base, page + 1);
  else if (hostile != NULL)
    g_string_append_printf (json, ",\"@odata.nextLink\":\"%s\"", hostile);
  g_string_append (json, "}");
  g_hash_table_unref (query);
  reply (msg, 200, json->str, NULL);
}

static JsonArray *
get_all_sync (TgGraph *graph, const char *path, guint max, const char *const *headers,
              GError **error)
{
  Waiter w = { 0 };
  JsonArray *items;

  tg_graph_get_all_async (graph, path, max, headers, NULL, on_done, &w);
  gf_wait_flag (&w.done);
  items = tg_graph_get_all_finish (graph, w.result, error);
  waiter_clear (&w);
  return items;
}

static void
test_script_paging (void)
{
  Script *script = script_new (script_pages, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  const char *headers[] = { "Prefer", "include-unknown-enum-members", NULL };
  g_autoptr (GError) error = NULL;
  JsonArray *items;

  items = get_all_sync (graph, "/items", 0, headers, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (items), ==, 40);
  for (guint i = 0; i < 40; i++)
    g_assert_cmpint (tg_json_int (tg_json_array_object (items, i), "n", -1), ==, i);
  json_array_unref (items);
  g_assert_cmpuint (script->hits, ==, 4);

  /* max_items stops early: 15 items need 2 pages. */
  script->hits = 0;
  items = get_all_sync (graph, "/items", 15, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (items), ==, 15);
  g_assert_cmpuint (script->hits, ==, 2);
  json_array_unref (items);
  tg_graph_unref (graph);
  script_free (script);
}

static void
test_script_paging_refuses_plain_http_link (void)
{
  Script *script = script_new (script_pages, (gpointer) "http://10.0.0.1/v1.0/items?page=4");
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  JsonArray *items;

  items = get_all_sync (graph, "/items", 0, NULL, &error);
  g_assert_null (items);
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_assert_cmpuint (script->hits, ==, 4);
  g_clear_error (&error);

  /* A nextLink to another https origin may be followed, but never gets the token. */
  script_free (script);
  tg_graph_unref (graph);
}

/* $batch: answers in reverse order; inner /throttled is 429 (Retry-After from `data`) on its
 * first try; inner /gone is 404; everything else 200 echoing the url. */
typedef struct {
  guint batches;
  guint throttled_hits;
  guint max_requests_seen;
  const char *retry_after;
  gboolean always_throttle;
} BatchScript;

static void
script_batch (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  BatchScript *bs = script->data;
  g_autoptr (JsonNode) root = tg_json_parse (body, -1, NULL);
  JsonArray *requests = tg_json_array (tg_json_node_object (root), "requests");
  guint n = tg_json_array_length (requests);
  g_autoptr (GString) json = g_string_new ("{\"responses\":[");

  g_assert_cmpstr (path, ==, "/v1.0/$batch");
  bs->batches++;
  bs->max_requests_seen = MAX (bs->max_requests_seen, n);
  for (guint k = n; k-- > 0;)
    {
      JsonObject *request = tg_json_array_object (requests, k);
      const char *id = tg_json_string (request, "id");
      const char *url = tg_json_string (request, "url");
      const char *sep = k + 1 == n ? "" : ",";

      g_assert_nonnull (id);
      g_assert_true (g_str_has_prefix (url, "/"));
      g_assert_false (g_str_has_prefix (url, "/v1.0"));
      if (g_str_equal (url, "/throttled") && (bs->throttled_hits++ == 0 || bs->always_throttle))
        g_string_append_printf (json, "%s{\"id\":\"%s\",\"status\":429,\"headers\":{\"retry-after\":"
                                "\"%s\"},\"body\":{\"error\":{\"code\":\"TooManyRequests\","
                                "\"message\":\"later\"}}}", sep, id, bs->retry_after);
      else if (g_str_equal (url, "/gone"))
        g_string_append_printf (json, "%s{\"id\":\"%s\",\"status\":404,\"body\":{\"error\":"
                                "{\"code\":\"NotFound\",\"message\":\"gone\"}}}", sep, id);
      else
        g_string_append_printf (json, "%s{\"id\":\"%s\",\"status\":200,\"headers\":{},"
                                "\"body\":{\"url\":\"%s\"}}", sep, id, url);
    }
  g_string_append (json, "]}");
  reply (msg, 200, json->str, NULL);
}

static GPtrArray *
batch_sync (TgGraph *graph, GPtrArray *calls, GError **error)
{
  Waiter w = { 0 };
  GPtrArray *responses;

  tg_graph_batch_async (graph, calls, NULL, on_done, &w);
  gf_wait_flag (&w.done);
  responses = tg_graph_batch_finish (graph, w.result, error);
  waiter_clear (&w);
  return responses;
}

static void
test_script_batch_mixed_in_order (void)
{
  BatchScript bs = { .retry_after = "1.5" };
  Script *script = script_new (script_batch, &bs);
  TgGraph *graph = graph_for (script->graph_url);
  GPtrArray *calls = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GPtrArray *responses;
  TgBatchResponse *r;
  Retries retries;
  g_autofree char *absolute = g_strconcat (script->graph_url, "/users/abs", NULL);

  retries_init (&retries);
  tg_graph_set_retry_observer (graph, on_retry, &retries);
  g_ptr_array_add (calls, tg_call_new ("GET", "/me"));
  g_ptr_array_add (calls, tg_call_new ("GET", "/gone"));
  g_ptr_array_add (calls, tg_call_new ("GET", "/throttled"));
  g_ptr_array_add (calls, tg_call_new ("GET", "chats/x/messages?$top=5"));
  g_ptr_array_add (calls, tg_call_new ("GET", absolute));
  g_ptr_array_add (calls, tg_call_new ("GET", "https://elsewhere.example/x"));
  responses = batch_sync (graph, calls, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (responses->len, ==, 6);

  r = responses->pdata[0];
  g_assert_cmpstr (r->id, ==, "0");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_no_error (r->error);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "url"), ==, "/me");
  r = responses->pdata[1];
  g_assert_cmpstr (r->id, ==, "1");
  g_assert_cmpuint (r->status, ==, 404);
  g_assert_error (r->error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (r->error->message, "gone"));
  r = responses->pdata[2];
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_no_error (r->error);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "url"), ==, "/throttled");
  r = responses->pdata[3];
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "url"), ==, "/chats/x/messages?$top=5");
  r = responses->pdata[4];
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "url"), ==, "/users/abs");
  /* An absolute URL off the Graph base cannot go into a batch; the others are unaffected. */
  r = responses->pdata[5];
  g_assert_cmpuint (r->status, ==, 0);
  g_assert_error (r->error, TG_ERROR, TG_ERROR_BAD_REQUEST);

  /* One follow-up batch for the throttled one, after its Retry-After. */
  g_assert_cmpuint (bs.batches, ==, 2);
  g_assert_cmpuint (retries.delays->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (retries.delays, double, 0), 1.5, 1e-9);
  g_assert_cmpuint (g_array_index (retries.statuses, guint, 0), ==, 429);
  g_ptr_array_unref (responses);
  retries_clear (&retries);
  tg_graph_unref (graph);
  script_free (script);
}

static void
test_script_batch_split_and_bounded (void)
{
  BatchScript bs = { .retry_after = "0.25", .always_throttle = TRUE };
  Script *script = script_new (script_batch, &bs);
  TgGraph *graph = graph_for (script->graph_url);
  GPtrArray *calls = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_call_free);
  g_autoptr (GError) error = NULL;
  GPtrArray *responses;

  for (guint i = 0; i < 45; i++)
    {
      g_autofree char *path = g_strdup_printf ("/users/u%u", i);

      g_ptr_array_add (calls, tg_call_new ("GET", i == 44 ? "/throttled" : path));
    }
  responses = batch_sync (graph, calls, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (responses->len, ==, 45);
  g_assert_cmpuint (bs.max_requests_seen, ==, 20);
  /* 3 batches of 20 + 20 + 5, then 4 retries of the always-throttled one (5 tries in all). */
  g_assert_cmpuint (bs.batches, ==, 3 + 4);
  for (guint i = 0; i < 44; i++)
    {
      TgBatchResponse *r = responses->pdata[i];
      g_autofree char *url = g_strdup_printf ("/users/u%u", i);
      g_autofree char *id = g_strdup_printf ("%u", i);

      g_assert_cmpstr (r->id, ==, id);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "url"), ==, url);
    }
  g_assert_cmpuint (((TgBatchResponse *) responses->pdata[44])->status, ==, 429);
  g_assert_error (((TgBatchResponse *) responses->pdata[44])->error, TG_ERROR, TG_ERROR_THROTTLED);
  g_ptr_array_unref (responses);

  /* An empty set completes with an empty result and no request. */
  responses = batch_sync (graph, g_ptr_array_new (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (responses->len, ==, 0);
  g_assert_cmpuint (bs.batches, ==, 7);
  g_ptr_array_unref (responses);
  tg_graph_unref (graph);
  script_free (script);
}

/* Holds every request unanswered until the test ends: a request in flight forever. */
static void
script_hang (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  soup_server_message_pause (msg);
  g_ptr_array_add (script->data, g_object_ref (msg));
}

static gboolean
cancel_soon (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_script_cancel_mid_request (void)
{
  GPtrArray *held = g_ptr_array_new_with_free_func (g_object_unref);
  Script *script = script_new (script_hang, held);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Waiter w = { 0 };
  JsonNode *node;

  tg_graph_get_async (graph, "/me", cancellable, on_done, &w);
  /* Cancel once the server holds the request. */
  while (held->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_idle_add (cancel_soon, cancellable);
  gf_wait_flag (&w.done);
  node = tg_graph_send_finish (graph, w.result, NULL, &error);
  g_assert_null (node);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The graph goes away right after; nothing else may run. */
  tg_graph_unref (graph);
  for (guint i = 0; i < held->len; i++)
    soup_server_message_unpause (held->pdata[i]);
  gf_spin_ms (50);
  g_assert_cmpuint (w.calls, ==, 1);
  waiter_clear (&w);
  script_free (script);
  g_ptr_array_unref (held);
}

/* Always 429 with a Retry-After of 100 s, and time_scale 1: the wait is real. */
static void
script_throttle_long (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  if (g_str_equal (path, "/v1.0/$batch"))
    reply (msg, 200, "{\"responses\":[{\"id\":\"0\",\"status\":429,\"headers\":{\"Retry-After\":100}}]}",
           NULL);
  else
    reply_graph_error (msg, 429, "TooManyRequests", "later", "100");
}

static void
test_script_cancel_during_retry_wait (void)
{
  Script *script = script_new (script_throttle_long, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Waiter w = { 0 };
  Retries r;
  GPtrArray *calls;

  retries_init (&r);
  tg_graph_set_retry_policy (graph, 5, 1.0);
  tg_graph_set_retry_observer (graph, on_retry, &r);
  r.cancel_on_wait = cancellable;  /* cancels as the 100 s wait begins */

  tg_graph_get_async (graph, "/me", cancellable, on_done, &w);
  gf_wait_flag (&w.done);   /* the hang guard (20 s) proves the 100 s wait was cut short */
  g_assert_null (tg_graph_send_finish (graph, w.result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (r.delays->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (r.delays, double, 0), 100.0, 1e-9);
  g_assert_cmpuint (script->hits, ==, 1);
  waiter_clear (&w);
  g_clear_error (&error);

  /* The same for a $batch waiting to resend its throttled requests. */
  g_cancellable_reset (cancellable);
  calls = g_ptr_array_new ();
  g_ptr_array_add (calls, tg_call_new ("GET", "/me"));
  tg_graph_batch_async (graph, calls, cancellable, on_done, &w);
  gf_wait_flag (&w.done);
  g_assert_null (tg_graph_batch_finish (graph, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (r.delays->len, ==, 2);
  g_assert_cmpfloat_with_epsilon (g_array_index (r.delays, double, 1), 100.0, 1e-9);

  tg_graph_unref (graph);
  gf_spin_ms (20);
  g_assert_cmpuint (w.calls, ==, 1);
  waiter_clear (&w);
  retries_clear (&r);
  script_free (script);
}

static void
test_script_cancelled_before_start (void)
{
  Script *script = script_new (script_ok_me, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Waiter w = { 0 };
  JsonArray *items;

  g_cancellable_cancel (cancellable);
  tg_graph_get_all_async (graph, "/me", 0, NULL, cancellable, on_done, &w);
  tg_graph_unref (graph);  /* the operation keeps what it needs alive */
  gf_wait_flag (&w.done);
  items = tg_graph_get_all_finish (NULL, w.result, &error);
  g_assert_null (items);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (script->hits, ==, 0);
  waiter_clear (&w);
  script_free (script);
}

/* Drops the first connection of each path, answers afterwards. */
static void
script_drop_once (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  GHashTable *seen = script->data;

  if (!g_hash_table_contains (seen, path))
    {
      g_hash_table_add (seen, g_strdup (path));
      reply_drop (msg);
      return;
    }
  reply (msg, 200, "{\"ok\":true}", NULL);
}

static void
test_script_dropped_connection (void)
{
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Script *script = script_new (script_drop_once, seen);
  TgGraph *graph = graph_for (script->graph_url);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = tg_json_parse ("{}", -1, NULL);
  g_autoptr (JsonNode) node = NULL;
  TgCall *call;
  JsonNode *failed;
  Retries r;

  retries_init (&r);
  tg_graph_set_retry_observer (graph, on_retry, &r);
  node = get_sync (graph, "/me", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_cmpuint (script->hits, ==, 2);
  g_assert_cmpuint (r.delays->len, ==, 1);
  g_assert_cmpuint (g_array_index (r.statuses, guint, 0), ==, 0);

  call = tg_call_new ("POST", "/chats/c/messages");
  tg_call_set_json_body (call, body);
  failed = send_sync (graph, call, NULL, &error);
  g_assert_null (failed);
  g_assert_error (error, TG_ERROR, TG_ERROR_OFFLINE);
  g_assert_true (tg_error_is_transient (error));
  g_assert_cmpuint (script->hits, ==, 3);
  g_assert_cmpuint (r.delays->len, ==, 1);

  retries_clear (&r);
  tg_graph_unref (graph);
  script_free (script);
  g_hash_table_unref (seen);
}

static void
test_closed_port_is_offline (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) any = NULL, bound = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  TgGraph *graph;
  JsonNode *node;
  Retries r;

  /* A port that was free a moment ago: bind, read the port, close. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  any = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (socket, any, TRUE, &error));
  bound = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1.0",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  graph = graph_for (url);
  retries_init (&r);
  tg_graph_set_retry_observer (graph, on_retry, &r);
  node = get_sync (graph, "/me", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_OFFLINE);
  /* A GET is retried (5 tries in all: 4 waits), and the waits grow. */
  g_assert_cmpuint (r.delays->len, ==, 4);
  for (guint i = 0; i < r.delays->len; i++)
    {
      double expected = (double) (1u << i);

      g_assert_cmpuint (g_array_index (r.attempts, guint, i), ==, i + 1);
      g_assert_cmpfloat (g_array_index (r.delays, double, i), >=, 0.8 * expected);
      g_assert_cmpfloat (g_array_index (r.delays, double, i), <=, 1.2 * expected);
    }
  retries_clear (&r);
  tg_graph_unref (graph);
}

/* Redirects are followed here: same origin keeps the token, another origin does not get it,
 * a plain-http non-loopback target is refused. */
static void
script_redirects (Script *script, SoupServerMessage *msg, const char *path, const char *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *other = g_strdup_printf ("http://localhost:%s/v1.0/me", strrchr (script->base, ':') + 1);

  if (g_str_equal (path, "/v1.0/me"))
    {
      reply (msg, 200, "{\"id\":\"me\"}", NULL);
      return;
    }
  soup_server_message_set_status (msg, 302, NULL);
  if (g_str_equal (path, "/v1.0/same"))
    soup_message_headers_replace (headers, "Location", "/v1.0/me");
  else if (g_str_equal (path, "/v1.0/other"))
    soup_message_headers_replace (headers, "Location", other);
  else if (g_str_equal (path, "/v1.0/evil"))
    soup_message_headers_replace (headers, "Location", "http://10.0.0.1/v1.0/me");
  else
    soup_message_headers_replace (headers, "Location", path);  /* a loop */
}

static void
test_script_redirects (void)
{
  Script *script = script_new (script_redirects, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  const char *tokens[] = { "tok", NULL };
  ListTokens lt = { tokens, 0, FALSE, FALSE, 0 };
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  tg_graph_set_token_source (graph, &list_token_source, &lt);
  node = get_sync (graph, "/same", NULL, &error);
  g_assert_no_error (error);
  json_node_unref (node);
  g_assert_cmpuint (script->hits, ==, 2);
  g_assert_cmpstr (script->auth->pdata[1], ==, "Bearer tok");

  node = get_sync (graph, "/other", NULL, &error);
  g_assert_no_error (error);
  json_node_unref (node);
  g_assert_cmpuint (script->hits, ==, 4);
  g_assert_cmpstr (script->auth->pdata[2], ==, "Bearer tok");
  g_assert_cmpstr (script->auth->pdata[3], ==, "");   /* another origin: no token */

  node = get_sync (graph, "/evil", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_CONFIG);
  g_assert_cmpuint (script->hits, ==, 5);
  g_clear_error (&error);

  node = get_sync (graph, "/loop", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE);
  g_assert_cmpuint (script->hits, ==, 5 + 6);   /* the first answer and 5 redirects */
  tg_graph_unref (graph);
  script_free (script);
}

/* Secrets: the captured log holds method + path, never tokens or query strings. */
static void
test_script_logs_no_secrets (void)
{
  Script *script = script_new (script_auth, NULL);
  TgGraph *graph = graph_for (script->graph_url);
  const char *tokens[] = { "stale-SECRET-1", "good-2", NULL };
  ListTokens lt = { tokens, 0, FALSE, FALSE, 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  g_string_truncate (captured_log, 0);
  tg_graph_set_token_source (graph, &list_token_source, &lt);
  node = get_sync (graph, "/me?$filter=mail%20eq%20'private'", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (captured_log->str, "GET /v1.0/me"));
  g_assert_null (strstr (captured_log->str, "SECRET"));
  g_assert_null (strstr (captured_log->str, "good-2"));
  g_assert_null (strstr (captured_log->str, "private"));
  g_assert_null (strstr (captured_log->str, "Bearer"));
  tg_graph_unref (graph);
  script_free (script);
}

/* ------------------------------------------------------------------------------------------ */
/* Against the Graph emulator                                                                  */

#define TEST_CLIENT_ID "14d82eec-204b-4c2f-b7e8-296a70dab67e"

/* A token source that uses the emulator's token endpoint with a refresh token it issued. */
typedef struct {
  FakeGraph *fg;
  SoupSession *session;
  char *refresh_token;
  char *access_token;
  guint refreshes;
} FakeTokens;

static char *
fake_tokens_get (gpointer data)
{
  FakeTokens *ft = data;

  return g_strdup (ft->access_token);
}

static void
on_token_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  FakeTokens *ft = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GError *error = NULL;
  g_autoptr (GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonNode) node = NULL;
  const char *access, *refresh;

  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  node = tg_json_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
  access = tg_json_string (tg_json_node_object (node), "access_token");
  refresh = tg_json_string (tg_json_node_object (node), "refresh_token");
  if (soup_message_get_status (msg) != 200 || access == NULL)
    {
      g_task_return_error (task, tg_error_from_http (soup_message_get_status (msg), node));
      g_object_unref (task);
      return;
    }
  g_free (ft->access_token);
  ft->access_token = g_strdup (access);
  if (refresh != NULL)
    {
      g_free (ft->refresh_token);
      ft->refresh_token = g_strdup (refresh);
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
fake_tokens_refresh_async (gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer callback_data)
{
  FakeTokens *ft = data;
  GTask *task = g_task_new (NULL, cancellable, callback, callback_data);
  g_autofree char *url = g_strconcat (fake_graph_base_url (ft->fg), "/organizations/oauth2/v2.0/token", NULL);
  char *form = soup_form_encode ("grant_type", "refresh_token", "client_id", TEST_CLIENT_ID,
                                 "refresh_token", ft->refresh_token,
                                 "scope", "Chat.ReadWrite offline_access", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new_from_encoded_form ("POST", url, form);

  ft->refreshes++;
  g_task_set_task_data (task, ft, NULL);
  soup_session_send_and_read_async (ft->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_token_answer, task);
}

static gboolean
fake_tokens_refresh_finish (gpointer data, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static const TgTokenSource fake_token_source = {
  fake_tokens_get, fake_tokens_refresh_async, fake_tokens_refresh_finish,
};

typedef struct {
  FakeGraph *fg;
  TgGraph *graph;
  FakeTokens tokens;
  Retries retries;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->fg = fake_graph_new ("alice@contoso.com");
  g_assert_true (fake_graph_listen (fx->fg, 0, &error));
  g_assert_no_error (error);
  fx->graph = graph_for (fake_graph_graph_url (fx->fg));
  fx->tokens.fg = fx->fg;
  fx->tokens.session = soup_session_new ();
  fx->tokens.refresh_token = fake_graph_issue_refresh_token (fx->fg);
  /* No access token yet: the first request refreshes first. */
  tg_graph_set_token_source (fx->graph, &fake_token_source, &fx->tokens);
  retries_init (&fx->retries);
  tg_graph_set_retry_observer (fx->graph, on_retry, &fx->retries);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  tg_graph_unref (fx->graph);
  g_object_unref (fx->tokens.session);
  g_free (fx->tokens.refresh_token);
  g_free (fx->tokens.access_token);
  retries_clear (&fx->retries);
  fake_graph_free (fx->fg);
}

static void
test_fake_get_and_first_refresh (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) me = get_sync (fx->graph, "/me", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (me), "userPrincipalName"), ==, "alice@contoso.com");
  g_assert_cmpuint (fx->tokens.refreshes, ==, 1);
  /* Refreshed before sending: the only Graph request is the one that succeeded. */
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 1);
}

static void
assert_fake_status_maps (Fixture *fx, guint status, TgErrorCode code, guint expected_tries)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node;
  guint got_status = 0;

  fake_graph_clear_log (fx->fg);
  fake_graph_clear_faults (fx->fg);
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_STATUS, status, NULL, 0, 0);
  node = get_sync (fx->graph, "/me", &got_status, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, (gint) code);
  g_assert_cmpuint (got_status, ==, status);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, expected_tries);
  fake_graph_clear_faults (fx->fg);
}

static void
test_fake_error_mapping (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  assert_fake_status_maps (fx, 403, TG_ERROR_FORBIDDEN, 1);
  assert_fake_status_maps (fx, 404, TG_ERROR_NOT_FOUND, 1);
  assert_fake_status_maps (fx, 400, TG_ERROR_BAD_REQUEST, 1);
  assert_fake_status_maps (fx, 409, TG_ERROR_BAD_REQUEST, 1);
  assert_fake_status_maps (fx, 500, TG_ERROR_SERVER, 1);
  /* Retryable statuses, exhausted after the 5 tries of the policy. */
  assert_fake_status_maps (fx, 429, TG_ERROR_THROTTLED, 5);
  assert_fake_status_maps (fx, 503, TG_ERROR_SERVER, 5);
  assert_fake_status_maps (fx, 504, TG_ERROR_SERVER, 5);

  /* The emulator's own answers: a chat that does not exist, a $top beyond the limit. */
  node = get_sync (fx->graph, "/chats/19:nope@thread.v2", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  node = get_sync (fx->graph, "/me/chats?$top=500", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
}

static void
test_fake_backoff_bounded (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  /* 429 without Retry-After: exponential backoff, 4 waits for 5 tries, growing. */
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_STATUS, 429, NULL, 0, 0);
  node = get_sync (fx->graph, "/me", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_THROTTLED);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 5);
  g_assert_cmpuint (fx->retries.delays->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      double expected = (double) (1u << i);
      double delay = g_array_index (fx->retries.delays, double, i);

      g_assert_cmpuint (g_array_index (fx->retries.attempts, guint, i), ==, i + 1);
      g_assert_cmpuint (g_array_index (fx->retries.statuses, guint, i), ==, 429);
      g_assert_cmpfloat (delay, >=, 0.8 * expected);
      g_assert_cmpfloat (delay, <=, 1.2 * expected);
    }
  /* A different bound is honoured too. */
  g_clear_error (&error);
  fake_graph_clear_log (fx->fg);
  tg_graph_set_retry_policy (fx->graph, 2, FAST);
  node = get_sync (fx->graph, "/me", NULL, &error);
  g_assert_error (error, TG_ERROR, TG_ERROR_THROTTLED);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 2);
}

static void
test_fake_retry_after_honoured (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_STATUS, 429, "2.128", 0, 2);
  node = get_sync (fx->graph, "/me", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 3);
  g_assert_cmpuint (fx->retries.delays->len, ==, 2);
  g_assert_cmpfloat_with_epsilon (g_array_index (fx->retries.delays, double, 0), 2.128, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_array_index (fx->retries.delays, double, 1), 2.128, 1e-9);
}

static void
test_fake_refresh_on_401 (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) first = get_sync (fx->graph, "/me", NULL, &error);
  g_autoptr (JsonNode) second = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpuint (fx->tokens.refreshes, ==, 1);
  fake_graph_clear_log (fx->fg);
  fake_graph_expire_access_tokens (fx->fg);
  second = get_sync (fx->graph, "/me", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpuint (fx->tokens.refreshes, ==, 2);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 2);
}

static void
test_fake_signed_out_after_failed_refresh (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) first = get_sync (fx->graph, "/me", NULL, &error);
  JsonNode *node;

  g_assert_no_error (error);
  g_assert_nonnull (first);
  fake_graph_expire_access_tokens (fx->fg);
  fake_graph_revoke_refresh_tokens (fx->fg);
  node = get_sync (fx->graph, "/me", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_SIGNED_OUT);
  g_assert_null (strstr (error->message, fx->tokens.access_token));
  g_assert_null (strstr (error->message, fx->tokens.refresh_token));
  g_assert_cmpuint (fx->tokens.refreshes, ==, 2);
}

static void
test_fake_dropped_connection (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) me = NULL;
  g_autoptr (JsonNode) body = tg_json_parse ("{\"body\":{\"contentType\":\"text\",\"content\":\"hi\"}}",
                                             -1, NULL);
  const char *members[] = { "alice@contoso.com", "bob@contoso.com", NULL };
  const char *chat;
  g_autofree char *path = NULL;
  TgCall *call;
  JsonNode *node;

  fake_graph_add_user (fx->fg, "bob@contoso.com", "Bob");
  chat = fake_graph_add_chat (fx->fg, "group", "Plans", members);

  /* A GET survives a dropped connection… */
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_DROP, 0, NULL, 0, 1);
  me = get_sync (fx->graph, "/me", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (me);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 2);

  /* …a POST is not replayed: it may have been done already. */
  fake_graph_add_fault (fx->fg, "POST", "/v1.0/chats/*/messages", FAKE_FAULT_DROP, 0, NULL, 0, 1);
  path = g_strdup_printf ("/chats/%s/messages", chat);
  call = tg_call_new ("POST", path);
  tg_call_set_json_body (call, body);
  node = send_sync (fx->graph, call, NULL, &error);
  g_assert_null (node);
  g_assert_error (error, TG_ERROR, TG_ERROR_OFFLINE);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/chats/*/messages"), ==, 1);
}

static void
test_fake_paging (Fixture *fx, gconstpointer data)
{
  const char *members[] = { "alice@contoso.com", "bob@contoso.com", NULL };
  const char *headers[] = { "Prefer", "include-unknown-enum-members", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  const char *chat;
  JsonArray *items;

  fake_graph_add_user (fx->fg, "bob@contoso.com", "Bob");
  chat = fake_graph_add_chat (fx->fg, "group", "Busy", members);
  for (guint i = 0; i < 120; i++)
    {
      g_autofree char *html = g_strdup_printf ("<p>message %u</p>", i);

      fake_graph_inject_message (fx->fg, chat, "bob@contoso.com", html);
    }
  fake_graph_clear_log (fx->fg);
  path = g_strdup_printf ("/chats/%s/messages?$top=50", chat);
  items = get_all_sync (fx->graph, path, 0, headers, &error);
  g_assert_no_error (error);
  /* 120 messages (plus whatever system events the chat has), over 3 or more pages. */
  g_assert_cmpuint (json_array_get_length (items), >=, 120);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/chats/*/messages"), >=, 3);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      const char *id = tg_json_string (tg_json_array_object (items, i), "id");

      g_assert_nonnull (id);
      g_assert_false (g_hash_table_contains (ids, id));   /* no page seen twice */
      g_hash_table_add (ids, (gpointer) id);
    }
  g_hash_table_remove_all (ids);
  json_array_unref (items);

  /* Stopping early fetches only the pages needed. */
  fake_graph_clear_log (fx->fg);
  items = get_all_sync (fx->graph, path, 60, headers, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (items), ==, 60);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/chats/*/messages"), ==, 2);
  json_array_unref (items);
}

static void
test_fake_batch_mixed (Fixture *fx, gconstpointer data)
{
  const char *members[] = { "alice@contoso.com", "bob@contoso.com", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *chat_path = NULL;
  GPtrArray *calls = g_ptr_array_new ();
  GPtrArray *responses;
  TgBatchResponse *r;
  const char *chat;

  fake_graph_add_user (fx->fg, "bob@contoso.com", "Bob");
  chat = fake_graph_add_chat (fx->fg, "group", "Plans", members);
  chat_path = g_strdup_printf ("/chats/%s", chat);
  /* The chat's inner GET is throttled once (Retry-After 1.75), then answered. */
  {
    g_autofree char *glob = g_strdup_printf ("/v1.0/chats/%s", chat);

    fake_graph_add_fault (fx->fg, "GET", glob, FAKE_FAULT_STATUS, 429, "1.75", 0, 1);
  }
  g_ptr_array_add (calls, tg_call_new ("GET", "/me"));
  g_ptr_array_add (calls, tg_call_new ("GET", "/chats/19:nope@thread.v2"));
  g_ptr_array_add (calls, tg_call_new ("GET", chat_path));
  responses = batch_sync (fx->graph, calls, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (responses->len, ==, 3);
  r = responses->pdata[0];
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "userPrincipalName"), ==, "alice@contoso.com");
  r = responses->pdata[1];
  g_assert_cmpuint (r->status, ==, 404);
  g_assert_error (r->error, TG_ERROR, TG_ERROR_NOT_FOUND);
  r = responses->pdata[2];
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_no_error (r->error);
  g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "id"), ==, chat);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/$batch"), ==, 2);
  g_assert_cmpuint (fx->retries.delays->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (fx->retries.delays, double, 0), 1.75, 1e-9);
  g_ptr_array_unref (responses);
}

static void
test_fake_batch_split (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *calls = g_ptr_array_new ();
  GPtrArray *responses;

  for (guint i = 0; i < 45; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%02u@contoso.com", i);
      g_autofree char *path = g_strdup_printf ("/users/%s", upn);

      fake_graph_add_user (fx->fg, upn, upn);
      g_ptr_array_add (calls, tg_call_new ("GET", path));
    }
  responses = batch_sync (fx->graph, calls, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (responses->len, ==, 45);
  g_assert_cmpuint (fake_graph_count (fx->fg, "POST", "/v1.0/$batch"), ==, 3);
  for (guint i = 0; i < 45; i++)
    {
      TgBatchResponse *r = responses->pdata[i];
      g_autofree char *upn = g_strdup_printf ("user%02u@contoso.com", i);

      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpstr (tg_json_string (tg_json_node_object (r->body), "userPrincipalName"), ==, upn);
    }
  g_ptr_array_unref (responses);
}

static void
test_fake_cancel_mid_request (Fixture *fx, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) warm = get_sync (fx->graph, "/me", NULL, &error);
  Waiter w = { 0 };

  g_assert_no_error (error);
  g_assert_nonnull (warm);
  fake_graph_clear_log (fx->fg);
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me/chats", FAKE_FAULT_DELAY, 0, NULL, 300, 1);
  tg_graph_get_all_async (fx->graph, "/me/chats", 0, NULL, cancellable, on_done, &w);
  while (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats") == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  gf_wait_flag (&w.done);
  g_assert_null (tg_graph_get_all_finish (fx->graph, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Past the server's delay: the late answer reaches nobody. */
  gf_spin_ms (400);
  g_assert_cmpuint (w.calls, ==, 1);
  waiter_clear (&w);
}

/* ------------------------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  /* Debug output of our domain on, so that the log capture sees what would be logged. */
  g_setenv ("G_MESSAGES_DEBUG", "teams-graph", TRUE);
  g_test_init (&argc, &argv, NULL);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/graph/new/refuses-plain-http", test_new_refuses_plain_http);
  g_test_add_func ("/graph/retry-delay", test_retry_delay);
  g_test_add_func ("/graph/error-mapping", test_error_mapping);
  g_test_add_func ("/graph/call/accessors", test_call_accessors);
  g_test_add_func ("/graph/script/basic", test_script_basic);
  g_test_add_func ("/graph/script/bad-response", test_script_bad_response);
  g_test_add_func ("/graph/script/oversized-body", test_script_oversized_body);
  g_test_add_func ("/graph/script/retry-after-honoured", test_script_retry_after_honoured);
  g_test_add_func ("/graph/script/504-post-not-replayed", test_script_504_post_not_replayed);
  g_test_add_func ("/graph/script/refresh-on-401", test_script_refresh_on_401);
  g_test_add_func ("/graph/script/null-token-refreshes-first", test_script_null_token_refreshes_first);
  g_test_add_func ("/graph/script/second-401-signs-out", test_script_second_401_signs_out);
  g_test_add_func ("/graph/script/paging", test_script_paging);
  g_test_add_func ("/graph/script/paging-refuses-plain-http-link", test_script_paging_refuses_plain_http_link);
  g_test_add_func ("/graph/script/batch-mixed-in-order", test_script_batch_mixed_in_order);
  g_test_add_func ("/graph/script/batch-split-and-bounded", test_script_batch_split_and_bounded);
  g_test_add_func ("/graph/script/cancel-mid-request", test_script_cancel_mid_request);
  g_test_add_func ("/graph/script/cancel-during-retry-wait", test_script_cancel_during_retry_wait);
  g_test_add_func ("/graph/script/cancelled-before-start", test_script_cancelled_before_start);
  g_test_add_func ("/graph/script/dropped-connection", test_script_dropped_connection);
  g_test_add_func ("/graph/closed-port-is-offline", test_closed_port_is_offline);
  g_test_add_func ("/graph/script/logs-no-secrets", test_script_logs_no_secrets);
  g_test_add_func ("/graph/script/redirects", test_script_redirects);
  g_test_add ("/graph/fake/get-and-first-refresh", Fixture, NULL, fixture_set_up,
              test_fake_get_and_first_refresh, fixture_tear_down);
  g_test_add ("/graph/fake/error-mapping", Fixture, NULL, fixture_set_up, test_fake_error_mapping,
              fixture_tear_down);
  g_test_add ("/graph/fake/backoff-bounded", Fixture, NULL, fixture_set_up, test_fake_backoff_bounded,
              fixture_tear_down);
  g_test_add ("/graph/fake/retry-after-honoured", Fixture, NULL, fixture_set_up,
              test_fake_retry_after_honoured, fixture_tear_down);
  g_test_add ("/graph/fake/refresh-on-401", Fixture, NULL, fixture_set_up, test_fake_refresh_on_401,
              fixture_tear_down);
  g_test_add ("/graph/fake/signed-out-after-failed-refresh", Fixture, NULL, fixture_set_up,
              test_fake_signed_out_after_failed_refresh, fixture_tear_down);
  g_test_add ("/graph/fake/dropped-connection", Fixture, NULL, fixture_set_up,
              test_fake_dropped_connection, fixture_tear_down);
  g_test_add ("/graph/fake/paging", Fixture, NULL, fixture_set_up, test_fake_paging, fixture_tear_down);
  g_test_add ("/graph/fake/batch-mixed", Fixture, NULL, fixture_set_up, test_fake_batch_mixed,
              fixture_tear_down);
  g_test_add ("/graph/fake/batch-split", Fixture, NULL, fixture_set_up, test_fake_batch_split,
              fixture_tear_down);
  g_test_add ("/graph/fake/cancel-mid-request", Fixture, NULL, fixture_set_up,
              test_fake_cancel_mid_request, fixture_tear_down);
  return g_test_run ();
}
