/* tg-search — the seed's search_messages: message search through Microsoft Search
 * (POST /search/query, entityTypes chatMessage).
 *
 * Owns two things:
 *   - the KQL builder (pure): what the user typed — words, "phrases", from:, since:, until: —
 *     becomes a queryString in which every user term is a quoted phrase (so AND, OR, NOT, NEAR,
 *     -word, from:x, sent>x, parentheses typed as text stay text), quotes and backslashes
 *     inside a phrase are backslash-escaped, and dates are checked (YYYY-MM-DD or a full ISO 8601
 *     time) and written as sent>= / sent<= (both bounds inclusive);
 *   - the search itself: one page of hits filtered to one chat (Microsoft Search looks through
 *     all of the user's chats and cannot be scoped to one), scanning on through Graph's pages
 *     (from/size) until enough hits of that chat were found, with a cursor for the next page.
 *     A hit only carries a highlighted, possibly cut summary and the sender's name and address
 *     (graph-api.md), so the full messages are then fetched with GET /chats/{c}/messages/{m},
 *     at most TG_SEARCH_FETCH_CONCURRENCY at a time; a message that cannot be fetched (deleted
 *     meanwhile, 403…) keeps the summary.
 */
#pragma once
#include <gio/gio.h>

#include "tg-graph.h"
#include "tg-model.h"

G_BEGIN_DECLS

#define TG_SEARCH_GRAPH_PAGE 25             /* hits asked of Graph per request (its default) */
#define TG_SEARCH_MAX_SCAN 8                /* Graph requests at most per search call */
#define TG_SEARCH_FETCH_CONCURRENCY 4       /* full-message GETs in flight at most */
#define TG_SEARCH_KQL_MAX 4096              /* longest queryString sent (KQL's default limit) */

/* ---- the query ---- */

typedef struct {
  char *text;     /* words and "phrases" to find, NULL when none */
  char *from;     /* a sender's name or address (KQL from: takes both), NULL when none */
  char *since;    /* a date (YYYY-MM-DD) or ISO 8601 time, as typed; NULL when none */
  char *until;
} TgSearchQuery;

/* Splits a command line such as `budget "next year" from:bob@contoso.com since:2024-05-01`
 * into its parts: from:, since: and until: (case-insensitive, each at most once, the value may
 * be "quoted") are options; everything else is text, kept as typed. TG_ERROR_BAD_REQUEST with a
 * message for the user when an option is repeated or has no value. */
TgSearchQuery *tg_search_query_parse (const char *line, GError **error);
void tg_search_query_free (TgSearchQuery *query);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSearchQuery, tg_search_query_free)

/* The KQL queryString for text / from / since / until (each may be NULL). In `text`, blanks
 * separate terms and "double quotes" group a phrase; \" and \\ stand for a quote and a
 * backslash; an unclosed quote runs to the end. Each term becomes "term" (a term of only `*` is
 * dropped: Graph finds nothing for it). Newly allocated, or NULL + TG_ERROR_BAD_REQUEST with a
 * message for the user: invalid UTF-8, a bad date, since after until, nothing to search for, or
 * a query longer than TG_SEARCH_KQL_MAX. */
char *tg_search_build_kql (const char *text, const char *from, const char *since,
                           const char *until, GError **error);

/* A date typed by the user: "YYYY-MM-DD" (a calendar date, UTC; with `end_of_day` its last
 * microsecond) or a full ISO 8601 time ("2024-05-01T10:00:00Z", "…+02:00"). *usec_out (may be
 * NULL) gets the time; *kql_out (may be NULL) what KQL's sent takes: the date as typed, or the
 * time in UTC ("2024-05-01T08:00:00Z"). FALSE + TG_ERROR_BAD_REQUEST naming the text otherwise. */
gboolean tg_search_parse_date (const char *text, gboolean end_of_day, gint64 *usec_out,
                               char **kql_out, GError **error);

/* ---- the search ---- */

typedef struct {
  char *message_id;
  char *chat_id;          /* resource.chatId, NULL for channel messages */
  gint64 created;         /* µs */
  char *from_name;        /* resource.from.emailAddress.name, may be NULL */
  char *from_address;     /* resource.from.emailAddress.address, may be NULL */
  char *summary;          /* Graph's snippet as plain text (highlights dropped), never NULL */
  TgMessage *message;     /* the full message, NULL when it could not be fetched */
} TgSearchHit;

typedef struct {
  GPtrArray *hits;        /* TgSearchHit*, in Graph's order (newest first) */
  gboolean more;          /* Graph has results after next_from (maybe of other chats) */
  guint next_from;        /* the `from` of the next page */
} TgSearchPage;

void tg_search_page_free (TgSearchPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSearchPage, tg_search_page_free)

/* Up to `max_hits` (0 = 10) hits for `kql` in the chat `chat_id` (NULL = every chat), starting
 * at Graph's result offset `from` (0 for a new search, page->next_from for the next page):
 * POST /search/query {"requests":[{"entityTypes":["chatMessage"],"query":{"queryString":kql},
 * "from":from,"size":25}]}, repeated with the following offsets while Graph says
 * moreResultsAvailable and fewer than max_hits were found, at most TG_SEARCH_MAX_SCAN times;
 * then the full messages are fetched (see above). Duplicate hits are dropped. */
void tg_search_messages_async (TgGraph *graph, const char *kql, const char *chat_id, guint from,
                               guint max_hits, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
TgSearchPage *tg_search_messages_finish (TgGraph *graph, GAsyncResult *result, GError **error);

G_END_DECLS
