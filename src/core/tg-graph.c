/* tg-graph — the Microsoft Graph HTTP client of one account (see tg-graph.h).
 *
 * One request = one TgRequest driven by callbacks: token → send → read body (bounded) →
 * success, or error mapping, 401 refresh + replay, retry wait, redirect. The retry wait is a
 * timeout source with the caller's cancellable as a child source, so cancelling wakes it at
 * once. Every TgRequest holds a ref on the graph, so no callback ever finds freed state.
 */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-graph.h"

#include <math.h>
#include <string.h>

#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-url.h"

#define TG_GRAPH_USER_AGENT "purple-teams-graph/0.1"
#define TG_GRAPH_IO_TIMEOUT_S 30
#define TG_GRAPH_IDLE_TIMEOUT_S 60
#define TG_GRAPH_MAX_CONNS_PER_HOST 6
#define TG_GRAPH_MAX_BODY (32 * 1024 * 1024)
#define TG_GRAPH_READ_CHUNK (64 * 1024)
#define TG_GRAPH_MAX_REDIRECTS 5
#define TG_GRAPH_BATCH_MAX 20
#define TG_GRAPH_MAX_PAGES 10000

#define TG_GRAPH_DEFAULT_TRIES 5
#define TG_GRAPH_BACKOFF_BASE_S 1.0
#define TG_GRAPH_BACKOFF_CAP_S 60.0
#define TG_GRAPH_RETRY_AFTER_CAP_S 300.0
#define TG_GRAPH_JITTER 0.2

struct _TgGraph {
  grefcount ref;
  char *base_url;          /* without trailing slash */
  GUri *base_uri;
  SoupSession *session;

  TgTokenSource source;
  gpointer source_data;
  gboolean has_source;

  guint max_tries;
  double time_scale;
  TgRetryObserver observer;
  gpointer observer_data;
};

struct _TgCall {
  char *method;
  char *path;
  JsonNode *json;          /* kept for $batch, which embeds bodies as JSON */
  GBytes *body;
  char *content_type;
  GPtrArray *headers;      /* name, value, name, value, … */
  int idempotent;          /* -1: decided by the method */
};

/* ------------------------------------------------------------------------------------------ */
/* The graph object                                                                            */

TgGraph *
tg_graph_new (const char *base_url, GError **error)
{
  TgGraph *graph;
  g_autofree char *trimmed = NULL;
  GUri *uri;

  if (!tg_url_check_allowed (base_url, "graph_url", error))
    return NULL;
  trimmed = tg_url_join (base_url, "");
  uri = g_uri_parse (trimmed, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG, "graph_url is not a valid URL");
      return NULL;
    }

  graph = g_new0 (TgGraph, 1);
  g_ref_count_init (&graph->ref);
  graph->base_url = g_steal_pointer (&trimmed);
  graph->base_uri = uri;
  graph->session = soup_session_new_with_options ("user-agent", TG_GRAPH_USER_AGENT,
                                                  "timeout", TG_GRAPH_IO_TIMEOUT_S,
                                                  "idle-timeout", TG_GRAPH_IDLE_TIMEOUT_S,
                                                  "max-conns-per-host", TG_GRAPH_MAX_CONNS_PER_HOST,
                                                  NULL);
  /* Authorization is ours alone: libsoup's auth manager would answer 401s its own way. */
  soup_session_remove_feature_by_type (graph->session, SOUP_TYPE_AUTH_MANAGER);
  graph->max_tries = TG_GRAPH_DEFAULT_TRIES;
  graph->time_scale = 1.0;
  return graph;
}

TgGraph *
tg_graph_ref (TgGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_ref_count_inc (&graph->ref);
  return graph;
}

void
tg_graph_unref (TgGraph *graph)
{
  if (graph == NULL || !g_ref_count_dec (&graph->ref))
    return;
  soup_session_abort (graph->session);
  g_object_unref (graph->session);
  g_uri_unref (graph->base_uri);
  g_free (graph->base_url);
  g_free (graph);
}

const char *
tg_graph_base_url (TgGraph *graph)
{
  return graph->base_url;
}

SoupSession *
tg_graph_session (TgGraph *graph)
{
  return graph->session;
}

void
tg_graph_set_token_source (TgGraph *graph, const TgTokenSource *source, gpointer user_data)
{
  if (source == NULL)
    {
      memset (&graph->source, 0, sizeof graph->source);
      graph->has_source = FALSE;
      graph->source_data = NULL;
      return;
    }
  graph->source = *source;
  graph->source_data = user_data;
  graph->has_source = source->get_access_token != NULL;
}

void
tg_graph_set_retry_policy (TgGraph *graph, guint max_tries, double time_scale)
{
  graph->max_tries = MAX (max_tries, 1);
  graph->time_scale = (isfinite (time_scale) && time_scale >= 0) ? time_scale : 1.0;
}

void
tg_graph_set_retry_observer (TgGraph *graph, TgRetryObserver observer, gpointer user_data)
{
  graph->observer = observer;
  graph->observer_data = user_data;
}

void
tg_graph_set_timeout (TgGraph *graph, guint seconds)
{
  g_object_set (graph->session, "timeout", seconds, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Retry timing                                                                                */

/* Seconds from a Retry-After value: digits with at most one '.', nothing else (no sign, no
 * exponent, no "inf"). HTTP dates are not used by Graph and fall back to backoff. */
static gboolean
parse_retry_after (const char *text, double *seconds)
{
  g_autofree char *trimmed = NULL;
  gboolean seen_dot = FALSE, seen_digit = FALSE;

  if (text == NULL)
    return FALSE;
  trimmed = g_strstrip (g_strdup (text));
  for (const char *p = trimmed; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        seen_digit = TRUE;
      else if (*p == '.' && !seen_dot)
        seen_dot = TRUE;
      else
        return FALSE;
    }
  if (!seen_digit)
    return FALSE;
  *seconds = g_ascii_strtod (trimmed, NULL);
  return isfinite (*seconds);
}

double
tg_graph_retry_delay (const char *retry_after, guint attempt, double rand01)
{
  double seconds, backoff;

  if (parse_retry_after (retry_after, &seconds))
    return MIN (seconds, TG_GRAPH_RETRY_AFTER_CAP_S);

  attempt = MAX (attempt, 1);
  backoff = TG_GRAPH_BACKOFF_BASE_S * ldexp (1.0, (int) MIN (attempt - 1, 30));
  backoff = MIN (backoff, TG_GRAPH_BACKOFF_CAP_S);
  if (!(rand01 >= 0.0 && rand01 < 1.0))
    rand01 = 0.5;
  backoff *= 1.0 - TG_GRAPH_JITTER + 2 * TG_GRAPH_JITTER * rand01;
  return MIN (backoff, TG_GRAPH_BACKOFF_CAP_S);
}

static gboolean
status_is_retryable (guint status, gboolean idempotent)
{
  /* A 504 may come after the server did the work: replaying a POST could post twice. */
  return status == 429 || status == 503 || (status == 504 && idempotent);
}

static gboolean
method_is_idempotent (const char *method)
{
  static const char *const idempotent[] = { "GET", "HEAD", "OPTIONS", "PUT", "DELETE", NULL };

  return g_strv_contains (idempotent, method);
}

/* Calls `func` after `delay_seconds` × time_scale, or at once when `cancellable` fires; the
 * callback tells the two apart with g_cancellable_is_cancelled. Returns the attached source
 * (a new ref). */
static GSource *
schedule_wait (TgGraph *graph, double delay_seconds, GCancellable *cancellable,
               GMainContext *context, GSourceFunc func, gpointer data)
{
  double ms = delay_seconds * graph->time_scale * 1000.0;
  GSource *source = g_timeout_source_new ((guint) CLAMP (ms, 0, G_MAXUINT / 2));
  GSource *cancel_source;

  if (cancellable != NULL)
    {
      cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (source, cancel_source);
      g_source_unref (cancel_source);
    }
  g_source_set_name (source, "tg-graph retry wait");
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  return source;
}

static void
notify_retry (TgGraph *graph, const char *method, const char *path, guint status, guint attempt,
              double delay)
{
  g_debug ("retry %s %s in %.3f s (status %u, retry %u)", method, path, delay, status, attempt);
  if (graph->observer != NULL)
    graph->observer (method, path, status, attempt, delay, graph->observer_data);
}

/* ------------------------------------------------------------------------------------------ */
/* Calls                                                                                       */

TgCall *
tg_call_new (const char *method, const char *path_or_url)
{
  TgCall *call = g_new0 (TgCall, 1);

  call->method = g_ascii_strup (method != NULL ? method : "GET", -1);
  call->path = g_strdup (path_or_url != NULL ? path_or_url : "/");
  call->headers = g_ptr_array_new_with_free_func (g_free);
  call->idempotent = -1;
  return call;
}

void
tg_call_free (TgCall *call)
{
  if (call == NULL)
    return;
  g_free (call->method);
  g_free (call->path);
  g_clear_pointer (&call->json, json_node_unref);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->content_type);
  g_ptr_array_unref (call->headers);
  g_free (call);
}

static void
clear_body (TgCall *call)
{
  g_clear_pointer (&call->json, json_node_unref);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_pointer (&call->content_type, g_free);
}

void
tg_call_set_json_body (TgCall *call, JsonNode *body)
{
  char *text;

  clear_body (call);
  if (body == NULL)
    return;
  call->json = json_node_copy (body);
  text = tg_json_to_string (body);
  call->body = g_bytes_new_take (text, strlen (text));
  call->content_type = g_strdup ("application/json");
}

void
tg_call_set_raw_body (TgCall *call, const char *content_type, GBytes *bytes)
{
  clear_body (call);
  if (bytes == NULL)
    return;
  call->body = g_bytes_ref (bytes);
  call->content_type = g_strdup (content_type != NULL ? content_type : "application/octet-stream");
}

void
tg_call_add_header (TgCall *call, const char *name, const char *value)
{
  if (name == NULL || value == NULL)
    return;
  g_ptr_array_add (call->headers, g_strdup (name));
  g_ptr_array_add (call->headers, g_strdup (value));
}

void
tg_call_set_idempotent (TgCall *call, gboolean idempotent)
{
  call->idempotent = idempotent ? 1 : 0;
}

static gboolean
call_is_idempotent (TgCall *call)
{
  return call->idempotent >= 0 ? call->idempotent : method_is_idempotent (call->method);
}

const char *
tg_call_method (TgCall *call)
{
  return call->method;
}

const char *
tg_call_path (TgCall *call)
{
  return call->path;
}

/* ------------------------------------------------------------------------------------------ */
/* One request                                                                                 */

typedef struct {
  GBytes *body;
  char *content_type;
} TgResponse;

static void
tg_response_free (TgResponse *response)
{
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response->content_type);
  g_free (response);
}

typedef struct {
  TgGraph *graph;
  TgCall *call;
  GTask *task;
  GCancellable *cancellable;
  char *url;               /* current target (changes on redirect) */
  char *log_path;          /* its path only, for the debug log */
  gboolean idempotent;
  gboolean with_token;     /* FALSE once the target left the Graph origin */
  gboolean refreshed;      /* the one refresh after a 401 was used */
  guint failures;          /* retryable failures so far */
  guint redirects;
  char *token;
  char *refused_token;     /* the token a 401 refused */
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *body;
  GSource *wait;
} TgRequest;

static void request_start (TgRequest *req);

static void
free_secret (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
request_free (TgRequest *req)
{
  if (req->wait != NULL)
    {
      g_source_destroy (req->wait);
      g_source_unref (req->wait);
    }
  g_clear_object (&req->stream);
  g_clear_object (&req->msg);
  if (req->body != NULL)
    g_byte_array_unref (req->body);
  free_secret (req->token);
  free_secret (req->refused_token);
  g_free (req->url);
  g_free (req->log_path);
  tg_call_free (req->call);
  tg_graph_unref (req->graph);
  g_free (req);
}

static guint
request_status (TgRequest *req)
{
  return req->msg != NULL ? soup_message_get_status (req->msg) : 0;
}

static void
scrub_secret (GError *error, const char *secret)
{
  g_autoptr (GString) text = NULL;

  if (secret == NULL || *secret == '\0' || strstr (error->message, secret) == NULL)
    return;
  text = g_string_new (error->message);
  g_string_replace (text, secret, "[token]", 0);
  g_free (error->message);
  error->message = g_strdup (text->str);
}

/* Hands the result to the caller and frees the request. */
static void
request_complete (TgRequest *req, TgResponse *response, GError *error)
{
  GTask *task = req->task;

  g_task_set_task_data (task, GUINT_TO_POINTER (request_status (req)), NULL);
  if (error != NULL)
    {
      /* Belt and braces: a server echoing our token must not put it in front of the user. */
      scrub_secret (error, req->token);
      scrub_secret (error, req->refused_token);
      g_debug ("%s %s failed: %s", req->call->method, req->log_path, error->message);
    }
  request_free (req);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify) tg_response_free);
  g_object_unref (task);
}

static GError *
map_transport_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || error->domain == TG_ERROR)
    return g_error_copy (error);
  if (error->domain == SOUP_SESSION_ERROR)
    return g_error_new (TG_ERROR, TG_ERROR_BAD_RESPONSE, "Bad response: %s", error->message);
  if (error->domain == G_TLS_ERROR)
    return g_error_new (TG_ERROR, TG_ERROR_OFFLINE, "Offline: secure connection failed: %s",
                        error->message);
  return g_error_new (TG_ERROR, TG_ERROR_OFFLINE, "Offline: %s", error->message);
}

static int
uri_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (GUri *a, GUri *b)
{
  const char *sa = g_uri_get_scheme (a), *sb = g_uri_get_scheme (b);
  const char *ha = g_uri_get_host (a), *hb = g_uri_get_host (b);

  if (sa == NULL || sb == NULL || ha == NULL || hb == NULL)
    return FALSE;
  return g_ascii_strcasecmp (sa, sb) == 0 && g_ascii_strcasecmp (ha, hb) == 0
         && uri_port (a) == uri_port (b);
}

/* Points the request at `url` (checked against the http/loopback rule); the token goes only
 * to Graph's own origin. */
static gboolean
request_set_target (TgRequest *req, const char *url, const char *what, GError **error)
{
  g_autoptr (GUri) uri = NULL;

  if (!tg_url_check_allowed (url, what, error))
    return FALSE;
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG, "%s is not a valid URL", what);
      return FALSE;
    }
  g_free (req->url);
  req->url = g_strdup (url);
  g_free (req->log_path);
  req->log_path = g_strdup (g_uri_get_path (uri));
  req->with_token = req->graph->has_source && same_origin (uri, req->graph->base_uri);
  return TRUE;
}

/* Waits (retry policy permitting) and starts over; FALSE when the tries are used up. */
static gboolean
request_retry_later (TgRequest *req, guint status, const char *retry_after);

static void
request_fail_transport (TgRequest *req, GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && req->idempotent)
    {
      g_debug ("%s %s: %s", req->call->method, req->log_path, error->message);
      if (request_retry_later (req, 0, NULL))
        {
          g_error_free (error);
          return;
        }
    }
  request_complete (req, NULL, map_transport_error (error));
  g_error_free (error);
}

static gboolean
on_retry_wait_done (gpointer data)
{
  TgRequest *req = data;

  g_clear_pointer (&req->wait, g_source_unref);
  if (g_cancellable_is_cancelled (req->cancellable))
    request_complete (req, NULL,
                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled"));
  else
    request_start (req);
  return G_SOURCE_REMOVE;
}

static gboolean
request_retry_later (TgRequest *req, guint status, const char *retry_after)
{
  double delay;

  req->failures++;
  if (req->failures >= req->graph->max_tries)
    return FALSE;
  delay = tg_graph_retry_delay (retry_after, req->failures, g_random_double ());
  notify_retry (req->graph, req->call->method, req->log_path, status, req->failures, delay);
  g_clear_object (&req->msg);
  req->wait = schedule_wait (req->graph, delay, req->cancellable,
                             g_task_get_context (req->task), on_retry_wait_done, req);
  return TRUE;
}

static void
request_succeed (TgRequest *req)
{
  TgResponse *response = g_new0 (TgResponse, 1);
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);

  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&req->body));
  response->content_type = g_strdup (content_type);
  request_complete (req, response, NULL);
}

static void
request_follow_redirect (TgRequest *req)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);
  const char *location = soup_message_headers_get_one (headers, "Location");
  g_autoptr (GError) error = NULL;
  g_autofree char *target = NULL;

  if (location != NULL)
    target = g_uri_resolve_relative (req->url, location, SOUP_HTTP_URI_FLAGS, NULL);
  if (target == NULL || ++req->redirects > TG_GRAPH_MAX_REDIRECTS)
    {
      request_complete (req, NULL, g_error_new (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                                "Bad response: unusable redirect (HTTP %u)",
                                                request_status (req)));
      return;
    }
  if (!request_set_target (req, target, "redirect", &error))
    {
      request_complete (req, NULL, g_steal_pointer (&error));
      return;
    }
  request_start (req);
}

static void
request_fail_http (TgRequest *req)
{
  guint status = request_status (req);
  g_autoptr (JsonNode) body = NULL;

  if (req->body != NULL && req->body->len > 0)
    body = tg_json_parse ((const char *) req->body->data, req->body->len, NULL);
  request_complete (req, NULL, tg_error_from_http (status, body));
}

/* A 401: refresh once (unless another request already did), then replay. */
static void
request_handle_unauthorized (TgRequest *req)
{
  if (!req->with_token || req->refreshed)
    {
      request_fail_http (req);
      return;
    }
  req->refreshed = TRUE;
  g_clear_pointer (&req->refused_token, free_secret);
  req->refused_token = g_steal_pointer (&req->token);
  request_start (req);
}

static void
request_handle_response (TgRequest *req)
{
  guint status = request_status (req);
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);

  g_debug ("%s %s -> %u", req->call->method, req->log_path, status);
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    request_succeed (req);
  else if (SOUP_STATUS_IS_REDIRECTION (status) && status != 304
           && (g_str_equal (req->call->method, "GET") || g_str_equal (req->call->method, "HEAD")))
    request_follow_redirect (req);
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    request_handle_unauthorized (req);
  else if (!status_is_retryable (status, req->idempotent)
           || !request_retry_later (req, status, soup_message_headers_get_one (headers, "Retry-After")))
    request_fail_http (req);
}

static GError *
body_too_large_error (void)
{
  return g_error_new (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                      "Bad response: body larger than %u MiB", TG_GRAPH_MAX_BODY / (1024 * 1024));
}

static void request_read_chunk (TgRequest *req);

static void
on_chunk_read (GObject *source, GAsyncResult *result, gpointer data)
{
  TgRequest *req = data;
  GError *error = NULL;
  g_autoptr (GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (chunk == NULL)
    {
      g_clear_object (&req->stream);
      request_fail_transport (req, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      g_clear_object (&req->stream);
      request_handle_response (req);
      return;
    }
  if (req->body->len + g_bytes_get_size (chunk) > TG_GRAPH_MAX_BODY)
    {
      g_clear_object (&req->stream);
      request_complete (req, NULL, body_too_large_error ());
      return;
    }
  g_byte_array_append (req->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  request_read_chunk (req);
}

static void
request_read_chunk (TgRequest *req)
{
  g_input_stream_read_bytes_async (req->stream, TG_GRAPH_READ_CHUNK, G_PRIORITY_DEFAULT,
                                   req->cancellable, on_chunk_read, req);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  TgRequest *req = data;
  GError *error = NULL;
  SoupMessageHeaders *headers;

  req->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (req->stream == NULL)
    {
      request_fail_transport (req, error);
      return;
    }
  headers = soup_message_get_response_headers (req->msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > TG_GRAPH_MAX_BODY)
    {
      g_clear_object (&req->stream);
      request_complete (req, NULL, body_too_large_error ());
      return;
    }
  if (req->body != NULL)
    g_byte_array_unref (req->body);
  req->body = g_byte_array_new ();
  request_read_chunk (req);
}

static SoupMessage *
request_build_message (TgRequest *req)
{
  g_autoptr (GUri) uri = g_uri_parse (req->url, SOUP_HTTP_URI_FLAGS, NULL);
  SoupMessage *msg;
  SoupMessageHeaders *headers;
  GPtrArray *extra = req->call->headers;

  if (uri == NULL)
    return NULL;
  msg = soup_message_new_from_uri (req->call->method, uri);
  headers = soup_message_get_request_headers (msg);
  for (guint i = 0; i + 1 < extra->len; i += 2)
    soup_message_headers_append (headers, extra->pdata[i], extra->pdata[i + 1]);
  if (req->with_token && req->token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", req->token, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
      memset (value, 0, strlen (value));
    }
  if (req->call->body != NULL)
    soup_message_set_request_body_from_bytes (msg, req->call->content_type, req->call->body);
  /* Redirects are followed here, where the http/loopback rule and token scope apply. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* Lets libsoup reuse a kept-alive connection; it does so only for idempotent requests. */
  if (req->idempotent)
    soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  return msg;
}

static void
request_send (TgRequest *req)
{
  g_clear_object (&req->msg);
  req->msg = request_build_message (req);
  if (req->msg == NULL)
    {
      request_complete (req, NULL, g_error_new (TG_ERROR, TG_ERROR_CONFIG, "Invalid URL"));
      return;
    }
  g_debug ("%s %s", req->call->method, req->log_path);
  soup_session_send_async (req->graph->session, req->msg, G_PRIORITY_DEFAULT, req->cancellable,
                           on_sent, req);
}

static gboolean
request_take_current_token (TgRequest *req)
{
  TgGraph *graph = req->graph;

  g_clear_pointer (&req->token, free_secret);
  /* The source may have been detached while this request waited. */
  if (!graph->has_source)
    return FALSE;
  req->token = graph->source.get_access_token (graph->source_data);
  return req->token != NULL && *req->token != '\0';
}

static void
on_refreshed (GObject *source, GAsyncResult *result, gpointer data)
{
  TgRequest *req = data;
  TgGraph *graph = req->graph;
  GError *error = NULL;

  if (!graph->has_source || graph->source.refresh_finish == NULL
      || !graph->source.refresh_finish (graph->source_data, result, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (TG_ERROR, TG_ERROR_SIGNED_OUT, "Signed out: token refresh failed");
      request_complete (req, NULL, map_transport_error (error));
      g_error_free (error);
      return;
    }
  if (g_cancellable_is_cancelled (req->cancellable))
    {
      request_complete (req, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                        "Operation was cancelled"));
      return;
    }
  if (!request_take_current_token (req))
    {
      request_complete (req, NULL, g_error_new_literal (TG_ERROR, TG_ERROR_SIGNED_OUT,
                                                        "Signed out: no access token"));
      return;
    }
  request_send (req);
}

static void
request_refresh (TgRequest *req)
{
  TgGraph *graph = req->graph;

  if (!graph->has_source || graph->source.refresh_async == NULL)
    {
      request_complete (req, NULL, g_error_new_literal (TG_ERROR, TG_ERROR_SIGNED_OUT,
                                                        "Signed out: no access token"));
      return;
    }
  g_debug ("%s %s: refreshing the access token", req->call->method, req->log_path);
  graph->source.refresh_async (graph->source_data, req->cancellable, on_refreshed, req);
}

/* Gets a token (refreshing when there is none) and sends. After a 401, a token other than
 * the refused one means another request has refreshed already: no need to refresh again. */
static void
request_start (TgRequest *req)
{
  if (g_cancellable_is_cancelled (req->cancellable))
    {
      request_complete (req, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                        "Operation was cancelled"));
      return;
    }
  if (!req->with_token)
    {
      request_send (req);
      return;
    }
  if (request_take_current_token (req)
      && (req->refused_token == NULL || !g_str_equal (req->refused_token, req->token)))
    {
      request_send (req);
      return;
    }
  request_refresh (req);
}

void
tg_graph_send_async (TgGraph *graph, TgCall *call, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  TgRequest *req;
  g_autofree char *url = NULL;
  GError *error = NULL;

  g_return_if_fail (graph != NULL);
  g_return_if_fail (call != NULL);
  req = g_new0 (TgRequest, 1);
  url = tg_url_join (graph->base_url, call->path);

  req->graph = tg_graph_ref (graph);
  req->call = call;
  req->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (req->task, tg_graph_send_async);
  /* The source object would be a GObject; the graph is checked through the task data. */
  req->cancellable = g_task_get_cancellable (req->task);
  req->idempotent = call_is_idempotent (call);
  g_object_set_data (G_OBJECT (req->task), "tg-graph", graph);
  if (!request_set_target (req, url, g_str_equal (url, call->path) ? "URL" : "graph_url", &error))
    {
      req->log_path = g_strdup ("(refused URL)");
      request_complete (req, NULL, error);
      return;
    }
  request_start (req);
}

static TgResponse *
send_propagate (TgGraph *graph, GAsyncResult *result, guint *status_out, GError **error)
{
  GTask *task = G_TASK (result);

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_object_get_data (G_OBJECT (task), "tg-graph") == graph, NULL);
  if (status_out != NULL)
    *status_out = GPOINTER_TO_UINT (g_task_get_task_data (task));
  return g_task_propagate_pointer (task, error);
}

JsonNode *
tg_graph_send_finish (TgGraph *graph, GAsyncResult *result, guint *status_out, GError **error)
{
  TgResponse *response = send_propagate (graph, result, status_out, error);
  JsonNode *node = NULL;
  gsize size = 0;
  const char *data;

  if (response == NULL)
    return NULL;
  data = response->body != NULL ? g_bytes_get_data (response->body, &size) : NULL;
  if (size > 0)
    node = tg_json_parse (data, size, error);
  tg_response_free (response);
  return node;
}

GBytes *
tg_graph_send_bytes_finish (TgGraph *graph, GAsyncResult *result, char **content_type_out,
                            GError **error)
{
  TgResponse *response = send_propagate (graph, result, NULL, error);
  GBytes *bytes;

  if (content_type_out != NULL)
    *content_type_out = NULL;
  if (response == NULL)
    return NULL;
  bytes = g_steal_pointer (&response->body);
  if (content_type_out != NULL)
    *content_type_out = g_steal_pointer (&response->content_type);
  tg_response_free (response);
  return bytes != NULL ? bytes : g_bytes_new (NULL, 0);
}

void
tg_graph_get_async (TgGraph *graph, const char *path, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, callback, user_data);
}

void
tg_graph_post_async (TgGraph *graph, const char *path, JsonNode *body,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TgCall *call = tg_call_new ("POST", path);

  tg_call_set_json_body (call, body);
  tg_graph_send_async (graph, call, cancellable, callback, user_data);
}

/* ------------------------------------------------------------------------------------------ */
/* Paging                                                                                      */

typedef struct {
  TgGraph *graph;
  GTask *task;
  JsonArray *items;
  guint max_items;
  char **headers;          /* name, value, …, NULL */
  char *current;           /* the URL or path being fetched */
  guint pages;
} TgPager;

static void
pager_free (TgPager *pager)
{
  if (pager->items != NULL)
    json_array_unref (pager->items);
  g_strfreev (pager->headers);
  g_free (pager->current);
  tg_graph_unref (pager->graph);
  g_free (pager);
}

static void
pager_complete (TgPager *pager, GError *error)
{
  GTask *task = pager->task;
  JsonArray *items = g_steal_pointer (&pager->items);

  pager_free (pager);
  if (error != NULL)
    {
      json_array_unref (items);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, items, (GDestroyNotify) json_array_unref);
  g_object_unref (task);
}

static void pager_fetch (TgPager *pager);

static gboolean
pager_is_full (TgPager *pager)
{
  return pager->max_items > 0 && json_array_get_length (pager->items) >= pager->max_items;
}

/* Appends a page's `value` items; FALSE when the page has none (not a collection). */
static gboolean
pager_take_page (TgPager *pager, JsonObject *page)
{
  JsonArray *value = tg_json_array (page, "value");
  guint n = tg_json_array_length (value);

  if (value == NULL)
    return FALSE;
  for (guint i = 0; i < n && !pager_is_full (pager); i++)
    json_array_add_element (pager->items, json_node_copy (json_array_get_element (value, i)));
  return TRUE;
}

static void
on_page (GObject *source, GAsyncResult *result, gpointer data)
{
  TgPager *pager = data;
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (pager->graph, result, NULL, &error);
  const char *next;

  if (error != NULL)
    {
      pager_complete (pager, error);
      return;
    }
  if (!pager_take_page (pager, tg_json_node_object (node)))
    {
      pager_complete (pager, g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                                  "Bad response: not a collection (no value array)"));
      return;
    }
  next = tg_json_string (tg_json_node_object (node), "@odata.nextLink");
  if (next == NULL || *next == '\0' || pager_is_full (pager))
    {
      pager_complete (pager, NULL);
      return;
    }
  if (!tg_url_check_allowed (next, "@odata.nextLink", &error))
    {
      pager_complete (pager, error);
      return;
    }
  /* A server that links a page to itself would keep us here forever. */
  if (g_str_equal (next, pager->current) || ++pager->pages >= TG_GRAPH_MAX_PAGES)
    {
      pager_complete (pager, g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                                  "Bad response: paging does not end"));
      return;
    }
  g_free (pager->current);
  pager->current = g_strdup (next);
  pager_fetch (pager);
}

static void
pager_fetch (TgPager *pager)
{
  TgCall *call = tg_call_new ("GET", pager->current);

  for (guint i = 0; pager->headers != NULL && pager->headers[i] != NULL
                    && pager->headers[i + 1] != NULL; i += 2)
    tg_call_add_header (call, pager->headers[i], pager->headers[i + 1]);
  tg_graph_send_async (pager->graph, call, g_task_get_cancellable (pager->task), on_page, pager);
}

void
tg_graph_get_all_async (TgGraph *graph, const char *path, guint max_items,
                        const char *const *headers, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  TgPager *pager;

  g_return_if_fail (graph != NULL);
  g_return_if_fail (path != NULL);
  pager = g_new0 (TgPager, 1);
  pager->graph = tg_graph_ref (graph);
  pager->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (pager->task, tg_graph_get_all_async);
  g_object_set_data (G_OBJECT (pager->task), "tg-graph", graph);
  pager->items = json_array_new ();
  pager->max_items = max_items;
  pager->headers = g_strdupv ((char **) headers);
  pager->current = g_strdup (path);
  pager_fetch (pager);
}

JsonArray *
tg_graph_get_all_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_graph_get_all_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------------------ */
/* $batch                                                                                      */

typedef struct {
  TgGraph *graph;
  GTask *task;
  TgCall **calls;
  guint n_calls;
  GPtrArray *responses;    /* TgBatchResponse*, in call order */
  GArray *pending;         /* indices (guint) to send this round */
  GArray *retry;           /* indices to send next round */
  guint pos;               /* first index in `pending` not yet sent */
  guint chunk[TG_GRAPH_BATCH_MAX];
  guint chunk_len;
  guint round;             /* 1-based */
  double retry_delay;      /* the longest wait asked for by a retryable answer this round */
  guint retry_status;
  GSource *wait;
} TgBatch;

static void
batch_response_clear (TgBatchResponse *response)
{
  response->status = 0;
  g_clear_pointer (&response->body, json_node_unref);
  g_clear_error (&response->error);
}

static void
batch_response_free (TgBatchResponse *response)
{
  batch_response_clear (response);
  g_free (response->id);
  g_free (response);
}

static void
batch_free (TgBatch *batch)
{
  if (batch->wait != NULL)
    {
      g_source_destroy (batch->wait);
      g_source_unref (batch->wait);
    }
  for (guint i = 0; i < batch->n_calls; i++)
    tg_call_free (batch->calls[i]);
  g_free (batch->calls);
  if (batch->responses != NULL)
    g_ptr_array_unref (batch->responses);
  g_array_unref (batch->pending);
  g_array_unref (batch->retry);
  tg_graph_unref (batch->graph);
  g_free (batch);
}

static void
batch_complete (TgBatch *batch, GError *error)
{
  GTask *task = batch->task;
  GPtrArray *responses = g_steal_pointer (&batch->responses);

  batch_free (batch);
  if (error != NULL)
    {
      g_ptr_array_unref (responses);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, responses, (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

/* The call's URL relative to the Graph base ("/chats/x/messages"), or NULL when it points
 * elsewhere. */
static char *
batch_relative_url (TgGraph *graph, const char *path)
{
  gsize base_len = strlen (graph->base_url);

  if (g_ascii_strncasecmp (path, "http://", 7) == 0 || g_ascii_strncasecmp (path, "https://", 8) == 0)
    {
      if (strncmp (path, graph->base_url, base_len) != 0 || path[base_len] != '/')
        return NULL;
      path += base_len;
    }
  return path[0] == '/' ? g_strdup (path) : g_strconcat ("/", path, NULL);
}

static JsonNode *
batch_call_body (TgCall *call)
{
  if (call->json != NULL)
    return json_node_copy (call->json);
  if (call->body != NULL)
    {
      /* Non-JSON bodies travel base64-encoded inside a batch. */
      g_autofree char *encoded = g_base64_encode (g_bytes_get_data (call->body, NULL),
                                                   g_bytes_get_size (call->body));
      return json_node_init_string (json_node_alloc (), encoded);
    }
  return NULL;
}

static JsonNode *
batch_build_request (TgBatch *batch, guint index, const char *url)
{
  TgCall *call = batch->calls[index];
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *id = g_strdup_printf ("%u", index);
  JsonNode *body = batch_call_body (call);
  gboolean has_content_type = FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, call->method);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "headers");
  json_builder_begin_object (builder);
  for (guint i = 0; i + 1 < call->headers->len; i += 2)
    {
      has_content_type |= g_ascii_strcasecmp (call->headers->pdata[i], "Content-Type") == 0;
      json_builder_set_member_name (builder, call->headers->pdata[i]);
      json_builder_add_string_value (builder, call->headers->pdata[i + 1]);
    }
  if (body != NULL && !has_content_type)
    {
      json_builder_set_member_name (builder, "Content-Type");
      json_builder_add_string_value (builder, call->content_type);
    }
  json_builder_end_object (builder);
  if (body != NULL)
    {
      json_builder_set_member_name (builder, "body");
      json_builder_add_value (builder, body);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Retry-After from an inner response's headers object (names are case-insensitive). */
static const char *
batch_retry_after (JsonObject *headers, char *buffer, gsize size)
{
  g_autoptr (GList) members = headers != NULL ? json_object_get_members (headers) : NULL;

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node;

      if (g_ascii_strcasecmp (l->data, "Retry-After") != 0)
        continue;
      node = json_object_get_member (headers, l->data);
      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
        return NULL;
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return json_node_get_string (node);
      if (json_node_get_value_type (node) == G_TYPE_INT64)
        g_snprintf (buffer, size, "%" G_GINT64_FORMAT, json_node_get_int (node));
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
        g_ascii_formatd (buffer, size, "%.3f", json_node_get_double (node));
      else
        return NULL;
      return buffer;
    }
  return NULL;
}

/* Stores one inner answer; queues it for the next round when it asks to be retried. */
static void
batch_take_answer (TgBatch *batch, guint index, JsonObject *answer)
{
  TgBatchResponse *response = batch->responses->pdata[index];
  gint64 status = tg_json_int (answer, "status", 0);
  JsonNode *body = json_object_get_member (answer, "body");
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  const char *retry_after;

  batch_response_clear (response);
  response->status = (status > 0 && status < 1000) ? (guint) status : 0;
  if (body != NULL && !JSON_NODE_HOLDS_NULL (body))
    response->body = json_node_copy (body);
  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    return;
  response->error = response->status != 0
                      ? tg_error_from_http (response->status, response->body)
                      : g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                             "Bad response: $batch answer without a status");
  if (!status_is_retryable (response->status, call_is_idempotent (batch->calls[index])))
    return;
  retry_after = batch_retry_after (tg_json_object (answer, "headers"), buffer, sizeof buffer);
  batch->retry_delay = MAX (batch->retry_delay,
                            tg_graph_retry_delay (retry_after, batch->round, g_random_double ()));
  batch->retry_status = response->status;
  g_array_append_val (batch->retry, index);
}

/* The chunk slot of the answer's id, or -1 for an id we did not send in this chunk. */
static int
batch_chunk_slot (TgBatch *batch, const char *id)
{
  guint64 index;

  if (id == NULL || !g_ascii_string_to_unsigned (id, 10, 0, G_MAXUINT, &index, NULL))
    return -1;
  for (guint i = 0; i < batch->chunk_len; i++)
    if (batch->chunk[i] == index)
      return (int) i;
  return -1;
}

static void
batch_take_chunk_answers (TgBatch *batch, JsonObject *root)
{
  JsonArray *answers = tg_json_array (root, "responses");
  gboolean answered[TG_GRAPH_BATCH_MAX] = { FALSE };

  for (guint i = 0; i < tg_json_array_length (answers); i++)
    {
      JsonObject *answer = tg_json_array_object (answers, i);
      int slot = batch_chunk_slot (batch, tg_json_string (answer, "id"));

      if (slot < 0 || answered[slot])
        continue;
      answered[slot] = TRUE;
      batch_take_answer (batch, batch->chunk[slot], answer);
    }
  for (guint i = 0; i < batch->chunk_len; i++)
    {
      TgBatchResponse *response = batch->responses->pdata[batch->chunk[i]];

      if (answered[i])
        continue;
      batch_response_clear (response);
      response->error = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                             "Bad response: no answer in $batch");
    }
}

static void batch_send_chunk (TgBatch *batch);

static void
on_batch_chunk (GObject *source, GAsyncResult *result, gpointer data)
{
  TgBatch *batch = data;
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (batch->graph, result, NULL, &error);

  if (error != NULL)
    {
      batch_complete (batch, error);
      return;
    }
  if (tg_json_array (tg_json_node_object (node), "responses") == NULL)
    {
      batch_complete (batch, g_error_new_literal (TG_ERROR, TG_ERROR_BAD_RESPONSE,
                                                  "Bad response: $batch answer without responses"));
      return;
    }
  batch_take_chunk_answers (batch, tg_json_node_object (node));
  batch_send_chunk (batch);
}

static gboolean
on_batch_wait_done (gpointer data)
{
  TgBatch *batch = data;
  GArray *swap;

  g_source_unref (batch->wait);
  batch->wait = NULL;
  if (g_cancellable_is_cancelled (g_task_get_cancellable (batch->task)))
    {
      batch_complete (batch, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  "Operation was cancelled"));
      return G_SOURCE_REMOVE;
    }
  swap = batch->pending;
  batch->pending = batch->retry;
  batch->retry = swap;
  g_array_set_size (batch->retry, 0);
  batch->pos = 0;
  batch->round++;
  batch->retry_delay = 0;
  batch_send_chunk (batch);
  return G_SOURCE_REMOVE;
}

/* Every chunk of this round has been answered: done, or wait and resend the retryable ones. */
static void
batch_round_done (TgBatch *batch)
{
  if (batch->retry->len == 0 || batch->round >= batch->graph->max_tries)
    {
      batch_complete (batch, NULL);
      return;
    }
  {
    /* Named like single requests are: the URL path ("/v1.0/$batch"). */
    g_autofree char *path = g_strconcat (g_uri_get_path (batch->graph->base_uri), "/$batch", NULL);

    notify_retry (batch->graph, "POST", path, batch->retry_status, batch->round, batch->retry_delay);
  }
  batch->wait = schedule_wait (batch->graph, batch->retry_delay, g_task_get_cancellable (batch->task),
                               g_task_get_context (batch->task), on_batch_wait_done, batch);
}

static void
batch_send_chunk (TgBatch *batch)
{
  g_autoptr (JsonArray) requests = json_array_new ();
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  TgCall *post;
  gboolean idempotent = TRUE;

  batch->chunk_len = 0;
  while (batch->pos < batch->pending->len && batch->chunk_len < TG_GRAPH_BATCH_MAX)
    {
      guint index = g_array_index (batch->pending, guint, batch->pos++);
      g_autofree char *url = batch_relative_url (batch->graph, batch->calls[index]->path);

      batch->chunk[batch->chunk_len++] = index;
      json_array_add_element (requests, batch_build_request (batch, index, url));
      idempotent &= call_is_idempotent (batch->calls[index]);
    }
  if (batch->chunk_len == 0)
    {
      json_object_unref (object);
      batch_round_done (batch);
      return;
    }
  json_object_set_array_member (object, "requests", json_array_ref (requests));
  json_node_take_object (root, object);
  post = tg_call_new ("POST", "/$batch");
  tg_call_set_json_body (post, root);
  /* A $batch of reads may be replayed like a read; one holding a write may not. */
  tg_call_set_idempotent (post, idempotent);
  tg_graph_send_async (batch->graph, post, g_task_get_cancellable (batch->task), on_batch_chunk, batch);
}

/* Fills responses[] and queues every call that can go into a batch. */
static void
batch_prepare (TgBatch *batch)
{
  for (guint i = 0; i < batch->n_calls; i++)
    {
      TgBatchResponse *response = g_new0 (TgBatchResponse, 1);
      g_autofree char *url = batch_relative_url (batch->graph, batch->calls[i]->path);

      response->id = g_strdup_printf ("%u", i);
      g_ptr_array_add (batch->responses, response);
      if (url == NULL)
        response->error = g_error_new_literal (TG_ERROR, TG_ERROR_BAD_REQUEST,
                                               "Bad request: a $batch takes Graph paths only");
      else
        g_array_append_val (batch->pending, i);
    }
}

void
tg_graph_batch_async (TgGraph *graph, GPtrArray *calls, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  TgBatch *batch;
  gsize n = 0;

  g_return_if_fail (graph != NULL);
  batch = g_new0 (TgBatch, 1);
  batch->graph = tg_graph_ref (graph);
  batch->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (batch->task, tg_graph_batch_async);
  /* The calls are ours whatever free function the array has. */
  if (calls != NULL)
    {
      batch->calls = (TgCall **) g_ptr_array_steal (calls, &n);
      g_ptr_array_unref (calls);
    }
  batch->n_calls = n;
  batch->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_response_free);
  batch->pending = g_array_new (FALSE, FALSE, sizeof (guint));
  batch->retry = g_array_new (FALSE, FALSE, sizeof (guint));
  batch->round = 1;
  batch_prepare (batch);
  batch_send_chunk (batch);
}

GPtrArray *
tg_graph_batch_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_graph_batch_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
