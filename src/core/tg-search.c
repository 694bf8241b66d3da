/* tg-search — KQL builder and message search (see tg-search.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-search.h"

#include <stdlib.h>
#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-markup.h"
#include "core/tg-task.h"

#define DEFAULT_MAX_HITS 10

/* ------------------------------------------------------------------------------------------ */
/* Tokens                                                                                      */

static gboolean
is_blank (const char *p)
{
  return g_unichar_isspace (g_utf8_get_char (p));
}

static const char *
skip_blanks (const char *p)
{
  while (*p != '\0' && is_blank (p))
    p = g_utf8_next_char (p);
  return p;
}

/* Reads one token at `p` (not a blank): up to the next blank outside "quotes". `value` (may be
 * NULL) gets its text with the quotes removed, \" and \\ resolved, and control characters inside
 * quotes as spaces; `raw` (may be NULL) the characters as typed. Returns the end. The input is
 * valid UTF-8. */
static const char *
read_token (const char *p, GString *value, GString *raw)
{
  gboolean quoted = FALSE;

  while (*p != '\0' && (quoted || !is_blank (p)))
    {
      const char *next = g_utf8_next_char (p);

      if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
        {
          if (value != NULL)
            g_string_append_c (value, p[1]);
          next = p + 2;
        }
      else if (*p == '"')
        quoted = !quoted;
      else if (value != NULL)
        {
          if (g_unichar_iscntrl (g_utf8_get_char (p)) || is_blank (p))
            g_string_append_c (value, ' ');
          else
            g_string_append_len (value, p, next - p);
        }
      if (raw != NULL)
        g_string_append_len (raw, p, next - p);
      p = next;
    }
  return p;
}

static gboolean
check_utf8 (const char *what, const char *text, GError **error)
{
  if (text == NULL || g_utf8_validate (text, -1, NULL))
    return TRUE;
  g_set_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST, "The %s is not valid UTF-8 text", what);
  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* The query                                                                                   */

void
tg_search_query_free (TgSearchQuery *query)
{
  if (query == NULL)
    return;
  g_free (query->text);
  g_free (query->from);
  g_free (query->since);
  g_free (query->until);
  g_free (query);
}

static const char *const option_names[] = { "from:", "since:", "until:" };

TgSearchQuery *
tg_search_query_parse (const char *line, GError **error)
{
  g_autoptr (TgSearchQuery) q = g_new0 (TgSearchQuery, 1);
  char **slots[G_N_ELEMENTS (option_names)] = { &q->from, &q->since, &q->until };
  g_autoptr (GString) text = g_string_new (NULL);
  const char *p;

  if (line == NULL)
    line = "";
  if (!check_utf8 ("search", line, error))
    return NULL;
  for (p = skip_blanks (line); *p != '\0'; p = skip_blanks (p))
    {
      guint opt = G_N_ELEMENTS (option_names);

      for (guint i = 0; i < G_N_ELEMENTS (option_names); i++)
        if (g_ascii_strncasecmp (p, option_names[i], strlen (option_names[i])) == 0)
          opt = i;
      if (opt < G_N_ELEMENTS (option_names))
        {
          g_autoptr (GString) value = g_string_new (NULL);
          g_autofree char *name = g_strndup (option_names[opt], strlen (option_names[opt]) - 1);

          p = read_token (p + strlen (option_names[opt]), value, NULL);
          g_strstrip (value->str);
          if (*value->str == '\0')
            {
              g_set_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST, "%s: needs a value (%s)",
                           name, opt == 0 ? "a name or an address" : "a date such as 2024-05-01");
              return NULL;
            }
          if (*slots[opt] != NULL)
            {
              g_set_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST, "%s: may be given only once",
                           name);
              return NULL;
            }
          *slots[opt] = g_strdup (value->str);
          continue;
        }
      if (text->len > 0)
        g_string_append_c (text, ' ');
      p = read_token (p, NULL, text);
    }
  q->text = text->len > 0 ? g_strdup (text->str) : NULL;
  return g_steal_pointer (&q);
}

/* ------------------------------------------------------------------------------------------ */
/* Dates                                                                                       */

static gboolean
read_ymd (const char *s, int *y, int *m, int *d)
{
  for (int i = 0; i < 10; i++)
    if ((i == 4 || i == 7) ? s[i] != '-' : !g_ascii_isdigit (s[i]))
      return FALSE;
  *y = atoi (s);
  *m = atoi (s + 5);
  *d = atoi (s + 8);
  return g_date_valid_dmy (*d, *m, *y) && *y >= 1970;
}

gboolean
tg_search_parse_date (const char *text, gboolean end_of_day, gint64 *usec_out, char **kql_out,
                      GError **error)
{
  g_autofree char *s = g_strstrip (g_strdup (text != NULL ? text : ""));
  gint64 usec = 0;
  char *kql = NULL;
  int y, m, d;

  if (strlen (s) >= 10 && read_ymd (s, &y, &m, &d))
    {
      if (s[10] == '\0')
        {
          g_autoptr (GDateTime) dt = g_date_time_new_utc (y, m, d, 0, 0, 0);

          usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC;
          if (end_of_day)
            usec += (gint64) 86400 * G_USEC_PER_SEC - 1;
          kql = g_strdup (s);
        }
      else if ((usec = tg_time_parse (s)) > 0)
        {
          g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

          kql = dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
        }
    }
  if (kql == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST,
                   "Not a date: “%s” (use YYYY-MM-DD, e.g. 2024-05-01, or a full ISO 8601 time "
                   "such as 2024-05-01T10:00:00Z)", s);
      return FALSE;
    }
  if (usec_out != NULL)
    *usec_out = usec;
  if (kql_out != NULL)
    *kql_out = kql;
  else
    g_free (kql);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* KQL                                                                                         */

/* Appends prefix"value" with \ and " escaped: inside quotes every KQL operator is plain text. */
static void
append_phrase (GString *out, const char *prefix, const char *value)
{
  if (out->len > 0)
    g_string_append_c (out, ' ');
  g_string_append (out, prefix);
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static gboolean
only_stars (const char *s)
{
  for (; *s != '\0'; s++)
    if (*s != '*' && *s != ' ')
      return FALSE;
  return TRUE;
}

char *
tg_search_build_kql (const char *text, const char *from, const char *since, const char *until,
                     GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *since_kql = NULL, *until_kql = NULL;
  gint64 since_usec = 0, until_usec = 0;

  if (!check_utf8 ("search text", text, error) || !check_utf8 ("from: value", from, error) ||
      !check_utf8 ("since: value", since, error) || !check_utf8 ("until: value", until, error))
    return NULL;
  for (const char *p = skip_blanks (text != NULL ? text : ""); *p != '\0'; p = skip_blanks (p))
    {
      g_autoptr (GString) term = g_string_new (NULL);

      p = read_token (p, term, NULL);
      g_strstrip (term->str);
      if (!only_stars (term->str))
        append_phrase (out, "", term->str);
    }
  if (from != NULL)
    {
      g_autofree char *who = g_strstrip (g_strdup (from));

      if (*who == '\0')
        {
          g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_REQUEST,
                               "from: needs a name or an address");
          return NULL;
        }
      append_phrase (out, "from:", who);
    }
  if (since != NULL && !tg_search_parse_date (since, FALSE, &since_usec, &since_kql, error))
    return NULL;
  if (until != NULL && !tg_search_parse_date (until, TRUE, &until_usec, &until_kql, error))
    return NULL;
  if (since_kql != NULL && until_kql != NULL && since_usec > until_usec)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST, "since: %s is after until: %s",
                   since_kql, until_kql);
      return NULL;
    }
  if (since_kql != NULL)
    g_string_append_printf (out, "%ssent>=%s", out->len > 0 ? " " : "", since_kql);
  if (until_kql != NULL)
    g_string_append_printf (out, "%ssent<=%s", out->len > 0 ? " " : "", until_kql);
  if (out->len == 0)
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_REQUEST,
                           "Nothing to search for: give some words, from:, since: or until:");
      return NULL;
    }
  if (out->len > TG_SEARCH_KQL_MAX)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST,
                   "The search is too long (at most %d characters)", TG_SEARCH_KQL_MAX);
      return NULL;
    }
  return g_strdup (out->str);
}

/* ------------------------------------------------------------------------------------------ */
/* The search                                                                                  */

static void
hit_free (TgSearchHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->message_id);
  g_free (hit->chat_id);
  g_free (hit->from_name);
  g_free (hit->from_address);
  g_free (hit->summary);
  g_clear_pointer (&hit->message, tg_message_unref);
  g_free (hit);
}

void
tg_search_page_free (TgSearchPage *page)
{
  if (page == NULL)
    return;
  g_ptr_array_unref (page->hits);
  g_free (page);
}

/* Graph's summary: html-ish text with <c0>…</c0> around the matches and <ddd/> where it was
 * cut. */
static char *
summary_to_plain (const char *summary)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *joined = NULL;

  if (summary == NULL)
    return g_strdup ("");
  parts = g_strsplit (summary, "<ddd/>", -1);
  joined = g_strjoinv ("…", parts);
  return tg_markup_to_plain (joined, NULL);
}

static TgSearchHit *
hit_new_from_json (JsonObject *obj)
{
  JsonObject *res = tg_json_object (obj, "resource");
  const char *id = tg_json_string (res, "id");
  TgSearchHit *hit;

  if (id == NULL)
    id = tg_json_string (obj, "hitId");
  if (id == NULL || *id == '\0')
    return NULL;
  hit = g_new0 (TgSearchHit, 1);
  hit->message_id = g_strdup (id);
  hit->chat_id = g_strdup (tg_json_string (res, "chatId"));
  hit->created = tg_time_parse (tg_json_string (res, "createdDateTime"));
  hit->from_name = g_strdup (tg_json_path_string (res, "from", "emailAddress", "name", NULL));
  hit->from_address = g_strdup (tg_json_path_string (res, "from", "emailAddress", "address", NULL));
  hit->summary = summary_to_plain (tg_json_string (obj, "summary"));
  return hit;
}

typedef struct {
  TgGraph *graph;
  char *kql;
  char *chat_id;          /* NULL: every chat */
  guint from;             /* Graph offset of the next request */
  guint max_hits;
  guint requests;         /* search requests made so far */
  TgSearchPage *page;
  GHashTable *seen;       /* "chat id\nmessage id" of the hits taken */
  guint next_fetch;       /* index of the next hit whose message is fetched */
  guint in_flight;
  gboolean cancelled;
} Search;

static void
search_free (gpointer p)
{
  Search *s = p;

  tg_graph_unref (s->graph);
  g_free (s->kql);
  g_free (s->chat_id);
  tg_search_page_free (s->page);
  g_hash_table_destroy (s->seen);
  g_free (s);
}

static void on_search_page (GObject *source, GAsyncResult *result, gpointer data);

static void
post_search (GTask *task)
{
  Search *s = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  TgCall *call;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "requests");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entityTypes");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "chatMessage");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "query");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "queryString");
  json_builder_add_string_value (b, s->kql);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "from");
  json_builder_add_int_value (b, s->from);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, TG_SEARCH_GRAPH_PAGE);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = tg_call_new ("POST", "/search/query");
  tg_call_set_json_body (call, body);
  /* A search changes nothing: safe to replay after a network error. */
  tg_call_set_idempotent (call, TRUE);
  s->requests++;
  tg_graph_send_async (s->graph, call, g_task_get_cancellable (task), on_search_page, task);
}

typedef struct {
  GTask *task;
  TgSearchHit *hit;
} Fetch;

static void fetch_messages (GTask *task);

static void
on_message_fetched (GObject *source, GAsyncResult *result, gpointer data)
{
  Fetch *f = data;
  GTask *task = f->task;
  Search *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  TgMessage *msg = tg_chats_get_message_finish (s->graph, result, &error);

  s->in_flight--;
  if (msg != NULL)
    f->hit->message = msg;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    s->cancelled = TRUE;
  else
    g_debug ("search: message %s kept as a summary: %s", f->hit->message_id, error->message);
  g_free (f);
  fetch_messages (task);
  g_object_unref (task);   /* the fetch's reference */
}

/* Keeps up to TG_SEARCH_FETCH_CONCURRENCY GETs in flight; returns the page when all are done.
 * The operation's own reference to the task is dropped then. */
static void
fetch_messages (GTask *task)
{
  Search *s = g_task_get_task_data (task);
  GPtrArray *hits = s->page->hits;

  while (!s->cancelled && s->in_flight < TG_SEARCH_FETCH_CONCURRENCY && s->next_fetch < hits->len)
    {
      TgSearchHit *hit = g_ptr_array_index (hits, s->next_fetch++);
      Fetch *f;

      if (hit->chat_id == NULL)
        continue;
      f = g_new0 (Fetch, 1);
      f->task = g_object_ref (task);
      f->hit = hit;
      s->in_flight++;
      tg_chats_get_message_async (s->graph, hit->chat_id, hit->message_id,
                                  g_task_get_cancellable (task), on_message_fetched, f);
    }
  if (s->in_flight > 0 || (!s->cancelled && s->next_fetch < hits->len))
    return;
  if (s->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else
    g_task_return_pointer (task, g_steal_pointer (&s->page), (GDestroyNotify) tg_search_page_free);
  g_object_unref (task);
}

static void
on_search_page (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Search *s = g_task_get_task_data (task);
  g_autoptr (JsonNode) node = NULL;
  JsonArray *value, *hits;
  JsonObject *container;
  guint n;

  if (!tg_task_send_finish (task, s->graph, result, &node))
    return;
  value = tg_json_array (tg_json_node_object (node), "value");
  if (value == NULL)
    {
      tg_task_fail_bad_response (task, "a search answer without value");
      return;
    }
  /* One request, one entity type: one response with one container (Graph leaves out "hits"
   * when there are none). */
  container = tg_json_array_object (tg_json_array (tg_json_array_object (value, 0),
                                                   "hitsContainers"), 0);
  hits = tg_json_array (container, "hits");
  n = tg_json_array_length (hits);
  for (guint i = 0; i < n; i++)
    {
      TgSearchHit *hit;
      char *key;

      if (s->page->hits->len >= s->max_hits)
        {
          /* Full: the next page starts at this hit. */
          s->page->next_from = s->from + i;
          s->page->more = TRUE;
          fetch_messages (task);
          return;
        }
      hit = hit_new_from_json (tg_json_array_object (hits, i));
      if (hit == NULL || (s->chat_id != NULL && g_strcmp0 (hit->chat_id, s->chat_id) != 0))
        {
          hit_free (hit);
          continue;
        }
      key = g_strconcat (hit->chat_id != NULL ? hit->chat_id : "", "\n", hit->message_id, NULL);
      if (!g_hash_table_add (s->seen, key))
        {
          hit_free (hit);
          continue;
        }
      g_ptr_array_add (s->page->hits, hit);
    }
  s->from += n;
  s->page->next_from = s->from;
  s->page->more = n > 0 && tg_json_bool (container, "moreResultsAvailable", FALSE);
  if (s->page->more && s->page->hits->len < s->max_hits && s->requests < TG_SEARCH_MAX_SCAN)
    {
      post_search (task);
      return;
    }
  fetch_messages (task);
}

void
tg_search_messages_async (TgGraph *graph, const char *kql, const char *chat_id, guint from,
                          guint max_hits, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  Search *s = g_new0 (Search, 1);
  GTask *task = tg_task_new (tg_search_messages_async, s, search_free, cancellable, callback,
                             user_data);

  s->graph = tg_graph_ref (graph);
  s->kql = g_strdup (kql);
  s->chat_id = chat_id != NULL && *chat_id != '\0' ? g_strdup (chat_id) : NULL;
  s->from = from;
  s->max_hits = max_hits > 0 ? max_hits : DEFAULT_MAX_HITS;
  s->page = g_new0 (TgSearchPage, 1);
  s->page->hits = g_ptr_array_new_with_free_func ((GDestroyNotify) hit_free);
  s->page->next_from = from;
  s->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (kql == NULL || *kql == '\0')
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "Nothing to search for");
      return;
    }
  post_search (task);
}

TgSearchPage *
tg_search_messages_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}
