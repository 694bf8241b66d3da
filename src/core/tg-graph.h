/* tg-graph — the Microsoft Graph HTTP client of one account.
 *
 * Owns the libsoup 3 session. Every request is async (GIO convention), takes the caller's
 * GCancellable (the account's), and gets the bearer token added here and only here.
 * Responsibilities:
 *   - error bodies → TG_ERROR (tg-error.h), with Graph's code and message;
 *   - 429/503/504: wait for Retry-After (seconds, decimals allowed) or back off exponentially
 *     with jitter; GETs are also retried after network errors; tries are bounded; a 504 or a
 *     network error is not replayed for a non-idempotent call (POST, PATCH) unless
 *     tg_call_set_idempotent says it is safe;
 *   - 401: the token source is asked to refresh once, then the request is replayed;
 *   - paging: follows @odata.nextLink whole, never rebuilding it;
 *   - $batch: up to 20 requests per POST, larger sets split; inner 429s retried;
 *   - plain http:// refused unless the host is loopback (tg-url.h), for nextLinks and
 *     redirects too; the token is sent only to the graph_url's own origin;
 *   - response bodies over 32 MiB → TG_ERROR_BAD_RESPONSE.
 * Tokens never appear in debug output (method + path only) nor in error messages.
 */
#pragma once
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _TgGraph TgGraph;

/* How the client gets and renews access tokens (implemented by tg-auth). */
typedef struct {
  /* The current access token (newly allocated), or NULL when there is none or it is about to
   * expire: then refresh is called before the request is sent. */
  char *(*get_access_token) (gpointer user_data);
  void (*refresh_async) (gpointer user_data, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer callback_data);
  gboolean (*refresh_finish) (gpointer user_data, GAsyncResult *result, GError **error);
} TgTokenSource;

/* `base_url` is the graph_url setting, e.g. https://graph.microsoft.com/v1.0.
 * NULL + TG_ERROR_CONFIG when it is not an allowed URL. */
TgGraph *tg_graph_new (const char *base_url, GError **error);
TgGraph *tg_graph_ref (TgGraph *graph);
void tg_graph_unref (TgGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgGraph, tg_graph_unref)

const char *tg_graph_base_url (TgGraph *graph);
SoupSession *tg_graph_session (TgGraph *graph);   /* shared with tg-auth (same connection pool) */

void tg_graph_set_token_source (TgGraph *graph, const TgTokenSource *source, gpointer user_data);

/* Retry policy. Defaults: 5 tries in all, backoff 1 s doubling to 60 s, Retry-After capped at
 * 300 s. `time_scale` multiplies every wait (tests use 0.001 so that waits cost nothing). */
void tg_graph_set_retry_policy (TgGraph *graph, guint max_tries, double time_scale);

/* The I/O timeout of the session in seconds (default 30). */
void tg_graph_set_timeout (TgGraph *graph, guint seconds);

/* Observes each wait before a retry (for tests and the debug log). */
typedef void (*TgRetryObserver) (const char *method, const char *path, guint status,
                                 guint attempt, double delay_seconds, gpointer user_data);
void tg_graph_set_retry_observer (TgGraph *graph, TgRetryObserver observer, gpointer user_data);

/* The wait before retry number `attempt` (1-based): Retry-After when the header parses
 * (seconds, decimals allowed, capped), else exponential backoff with ±20% jitter drawn from
 * `rand01` in [0,1). Pure, for unit tests. */
double tg_graph_retry_delay (const char *retry_after, guint attempt, double rand01);

/* ---- one request ---- */

typedef struct _TgCall TgCall;

/* `path_or_url`: relative to the base URL ("/me/chats?$top=50") or absolute (a nextLink). */
TgCall *tg_call_new (const char *method, const char *path_or_url);
void tg_call_free (TgCall *call);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgCall, tg_call_free)
void tg_call_set_json_body (TgCall *call, JsonNode *body);          /* copied */
void tg_call_set_raw_body (TgCall *call, const char *content_type, GBytes *bytes);
void tg_call_add_header (TgCall *call, const char *name, const char *value);
/* Whether the call may be replayed after a network error or a 504 (default: by method — GET,
 * HEAD, OPTIONS, PUT, DELETE are; POST and PATCH are not). */
void tg_call_set_idempotent (TgCall *call, gboolean idempotent);
const char *tg_call_method (TgCall *call);
const char *tg_call_path (TgCall *call);

/* Sends `call` (consumed). The result is the parsed JSON body (NULL for an empty 2xx body such
 * as 204) or an error. */
void tg_graph_send_async (TgGraph *graph, TgCall *call, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
JsonNode *tg_graph_send_finish (TgGraph *graph, GAsyncResult *result, guint *status_out,
                                GError **error);
/* Same, for binary responses (photos, hosted contents): the raw bytes and their type. */
GBytes *tg_graph_send_bytes_finish (TgGraph *graph, GAsyncResult *result,
                                    char **content_type_out, GError **error);

/* Shorthands for the common cases (body may be NULL; it is not consumed). */
void tg_graph_get_async (TgGraph *graph, const char *path, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
void tg_graph_post_async (TgGraph *graph, const char *path, JsonNode *body,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);

/* ---- paging ---- */

/* GETs `path` and every @odata.nextLink after it, concatenating the `value` arrays, stopping
 * after `max_items` items (0 = all). The result is a JsonArray (owned by the caller). Extra
 * headers (e.g. Prefer) may be given as a NULL-terminated name, value, … list in `headers`. */
void tg_graph_get_all_async (TgGraph *graph, const char *path, guint max_items,
                             const char *const *headers, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
JsonArray *tg_graph_get_all_finish (TgGraph *graph, GAsyncResult *result, GError **error);

/* ---- $batch ---- */

typedef struct {
  char *id;          /* the request's id: its index in the submitted array, as a string */
  guint status;      /* inner HTTP status, 0 when the request never got an answer */
  JsonNode *body;    /* inner body, may be NULL */
  GError *error;     /* non-NULL when status is not 2xx (same mapping as single requests) */
} TgBatchResponse;

/* Sends `calls` (consumed; relative paths only) as as many $batch POSTs as needed (≤ 20 each),
 * retrying inner 429/503/504 responses within the retry policy. The result is a GPtrArray of
 * TgBatchResponse* in the order of `calls` (free with g_ptr_array_unref). The whole operation
 * fails only when the batch requests themselves fail. */
void tg_graph_batch_async (TgGraph *graph, GPtrArray *calls, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *tg_graph_batch_finish (TgGraph *graph, GAsyncResult *result, GError **error);

G_END_DECLS
