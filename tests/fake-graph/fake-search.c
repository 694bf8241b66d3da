/* fake-search — POST /v1.0/search/query for entityTypes ["chatMessage"]: a small KQL subset
 * (words and "phrases" — \" escapes a quote — matched in the text, from:, to:, sent>= / sent<= / sent> / sent< /
 * sent:, IsRead:, IsMentioned:, hasAttachment:), over every chat of the signed-in user,
 * newest first, with Graph's hitsContainers shape. `*` alone finds nothing. */
#include "fake-graph/fake-internal.h"
#include <string.h>

typedef struct {
  GPtrArray *words;      /* char*, case-folded */
  GPtrArray *from;       /* char* */
  GPtrArray *to;         /* char* */
  gint64 after;          /* exclusive lower bound, ms */
  gint64 before;         /* exclusive upper bound, ms */
  int is_read;           /* -1 = any */
  int is_mentioned;
  int has_attachment;
  gboolean nothing;      /* "*" alone */
} Kql;

static void
kql_clear (Kql *q)
{
  g_ptr_array_unref (q->words);
  g_ptr_array_unref (q->from);
  g_ptr_array_unref (q->to);
}

/* Splits on blanks, keeping "quoted phrases" (quotes removed) together; \" and \\ stand for
 * a quote and a backslash. A token that starts with a quote is a literal phrase (operators and
 * restrictions in it are text): it is marked with a leading PHRASE byte. */
#define PHRASE '\1'

static GPtrArray *
kql_tokens (const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  gboolean quoted = FALSE;
  for (const char *p = text; ; p++) {
    if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
      g_string_append_c (cur, *++p);
      continue;
    }
    if (*p == '"') {
      if (!quoted && cur->len == 0)
        g_string_append_c (cur, PHRASE);
      quoted = !quoted;
      continue;
    }
    if (*p == '\0' || (!quoted && g_ascii_isspace (*p))) {
      if (cur->len && !(cur->len == 1 && cur->str[0] == PHRASE))
        g_ptr_array_add (out, g_strdup (cur->str));
      g_string_truncate (cur, 0);
      if (*p == '\0')
        break;
      continue;
    }
    g_string_append_c (cur, *p);
  }
  g_string_free (cur, TRUE);
  return out;
}

/* A date ("2024-05-01") or date-time; `end_of_day` moves a bare date to its last ms. */
static gboolean
kql_date (const char *text, gboolean end_of_day, gint64 *ms)
{
  if (fake_time_parse (text, ms))
    return TRUE;
  char *iso = g_strdup_printf ("%sT00:00:00Z", text);
  gboolean ok = fake_time_parse (iso, ms);
  g_free (iso);
  if (ok && end_of_day)
    *ms += 86400000 - 1;
  return ok;
}

static int
kql_bool (const char *value)
{
  return g_ascii_strcasecmp (value, "true") == 0 || strcmp (value, "1") == 0;
}

static gboolean
kql_sent (Kql *q, const char *rest)
{
  gint64 t;
  if (g_str_has_prefix (rest, ">=") && kql_date (rest + 2, FALSE, &t))
    q->after = MAX (q->after, t - 1);
  else if (g_str_has_prefix (rest, "<=") && kql_date (rest + 2, TRUE, &t))
    q->before = MIN (q->before, t + 1);
  else if (*rest == '>' && kql_date (rest + 1, TRUE, &t))
    q->after = MAX (q->after, t);
  else if (*rest == '<' && kql_date (rest + 1, FALSE, &t))
    q->before = MIN (q->before, t);
  else if ((*rest == ':' || *rest == '=') && kql_date (rest + 1, FALSE, &t)) {
    q->after = MAX (q->after, t - 1);
    q->before = MIN (q->before, t + 86400000);
  } else
    return FALSE;
  return TRUE;
}

/* A word or phrase to find; a trailing `*` (prefix match) is dropped: words match inside text. */
static void
add_word (Kql *q, const char *t)
{
  char *w = g_strdup (t);
  gsize n = strlen (w);
  if (n > 1 && w[n - 1] == '*')
    w[n - 1] = '\0';
  g_ptr_array_add (q->words, w);
}

static void
kql_parse (const char *text, Kql *q)
{
  q->words = g_ptr_array_new_with_free_func (g_free);
  q->from = g_ptr_array_new_with_free_func (g_free);
  q->to = g_ptr_array_new_with_free_func (g_free);
  q->after = G_MININT64;
  q->before = G_MAXINT64;
  q->is_read = q->is_mentioned = q->has_attachment = -1;
  GPtrArray *tokens = kql_tokens (text);
  q->nothing = tokens->len == 0 || (tokens->len == 1 && strcmp (tokens->pdata[0], "*") == 0);
  for (guint i = 0; i < tokens->len; i++) {
    const char *t = tokens->pdata[i];
    if (*t == PHRASE) {
      add_word (q, t + 1);
      continue;
    }
    if (strcmp (t, "AND") == 0 || strcmp (t, "OR") == 0 || strcmp (t, "*") == 0)
      continue;
    if (g_ascii_strncasecmp (t, "from:", 5) == 0)
      g_ptr_array_add (q->from, g_strdup (t + 5));
    else if (g_ascii_strncasecmp (t, "to:", 3) == 0)
      g_ptr_array_add (q->to, g_strdup (t + 3));
    else if (g_ascii_strncasecmp (t, "sent", 4) == 0 && kql_sent (q, t + 4))
      ;
    else if (g_ascii_strncasecmp (t, "IsRead:", 7) == 0)
      q->is_read = kql_bool (t + 7);
    else if (g_ascii_strncasecmp (t, "IsMentioned:", 12) == 0)
      q->is_mentioned = kql_bool (t + 12);
    else if (g_ascii_strncasecmp (t, "hasAttachment:", 14) == 0)
      q->has_attachment = kql_bool (t + 14);
    else
      add_word (q, t);
  }
  g_ptr_array_unref (tokens);
}

static gboolean
user_matches (FakeUser *u, const char *name)
{
  return u && (fake_str_contains_ci (u->upn, name) || fake_str_contains_ci (u->mail, name)
               || fake_str_contains_ci (u->display_name, name) || g_strcmp0 (u->id, name) == 0);
}

static gboolean
mentions_me (FakeGraph *fg, FakeMessage *m)
{
  JsonArray *arr = json_node_get_array (m->mentions);
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    JsonObject *mo = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    JsonObject *mentioned = fake_json_object (mo, "mentioned");
    if (g_strcmp0 (fake_json_string (fake_json_object (mentioned, "user"), "id"), fg->me->id) == 0
        || fake_json_object (mentioned, "conversation"))
      return TRUE;
  }
  return FALSE;
}

static gboolean
any_member_matches (FakeChat *chat, FakeUser *except, GPtrArray *names)
{
  for (guint n = 0; n < names->len; n++) {
    gboolean found = FALSE;
    for (guint i = 0; !found && i < chat->members->len; i++) {
      FakeMember *m = g_ptr_array_index (chat->members, i);
      found = m->user != except && user_matches (m->user, names->pdata[n]);
    }
    if (!found)
      return FALSE;
  }
  return TRUE;
}

static gboolean
kql_matches (FakeGraph *fg, Kql *q, FakeChat *chat, FakeMessage *m, const char *text)
{
  if (m->created <= q->after || m->created >= q->before)
    return FALSE;
  for (guint i = 0; i < q->from->len; i++)
    if (!user_matches (m->from, q->from->pdata[i]))
      return FALSE;
  if (!any_member_matches (chat, m->from, q->to))
    return FALSE;
  if (q->is_read >= 0 && (m->created <= chat->last_read) != q->is_read)
    return FALSE;
  if (q->is_mentioned >= 0 && mentions_me (fg, m) != q->is_mentioned)
    return FALSE;
  if (q->has_attachment >= 0
      && (json_array_get_length (json_node_get_array (m->attachments)) > 0) != q->has_attachment)
    return FALSE;
  for (guint i = 0; i < q->words->len; i++)
    if (!fake_str_contains_ci (text, q->words->pdata[i]))
      return FALSE;
  return TRUE;
}

/* The text with each search word wrapped in <c0>…</c0>, as Graph's summary does. */
static char *
summary (const char *text, GPtrArray *words)
{
  char *out = g_strdup (text);
  for (guint i = 0; i < words->len; i++) {
    const char *w = words->pdata[i];
    if (*w == '\0')
      continue;
    char *escaped = g_regex_escape_string (w, -1);
    GRegex *re = g_regex_new (escaped, G_REGEX_CASELESS, 0, NULL);
    char *next = re ? g_regex_replace (re, out, -1, 0, "<c0>\\0</c0>", 0, NULL) : NULL;
    if (next) {
      g_free (out);
      out = next;
    }
    if (re)
      g_regex_unref (re);
    g_free (escaped);
  }
  return out;
}

typedef struct {
  FakeChat *chat;
  FakeMessage *m;
} Hit;

static gint
hit_newest_first (gconstpointer a, gconstpointer b)
{
  const Hit *x = a, *y = b;
  return x->m->created < y->m->created ? 1 : x->m->created > y->m->created ? -1 : 0;
}

static GArray *
collect_hits (FakeGraph *fg, Kql *q)
{
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  for (guint c = 0; !q->nothing && c < fg->chats->len; c++) {
    FakeChat *chat = g_ptr_array_index (fg->chats, c);
    if (fake_chat_member (chat, fg->me) == NULL)
      continue;
    for (guint i = 0; i < chat->messages->len; i++) {
      FakeMessage *m = g_ptr_array_index (chat->messages, i);
      if (m->system || m->deleted)
        continue;
      char *text = fake_html_to_text (m->content);
      if (kql_matches (fg, q, chat, m, text)) {
        Hit h = { chat, m };
        g_array_append_val (hits, h);
      }
      g_free (text);
    }
  }
  g_array_sort (hits, hit_newest_first);
  return hits;
}

static JsonObject *
render_hit (FakeGraph *fg, const Hit *h, guint rank, GPtrArray *words)
{
  FakeMessage *m = h->m;
  char *text = fake_html_to_text (m->content);
  JsonObject *res = json_object_new ();
  json_object_set_string_member (res, "@odata.type", "#microsoft.graph.chatMessage");
  json_object_set_string_member (res, "id", m->id);
  fake_json_set_time (res, "createdDateTime", m->created);
  fake_json_set_time (res, "lastModifiedDateTime", m->modified);
  json_object_set_null_member (res, "replyToId");
  fake_json_set_string_or_null (res, "subject", m->subject);
  json_object_set_string_member (res, "chatId", h->chat->id);
  json_object_set_null_member (res, "channelIdentity");
  char *etag = g_strdup_printf ("%" G_GINT64_FORMAT, m->modified);
  json_object_set_string_member (res, "etag", etag);
  g_free (etag);
  json_object_set_string_member (res, "importance", m->importance);
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "content", text);
  json_object_set_object_member (res, "body", body);
  JsonObject *email = json_object_new ();
  json_object_set_string_member (email, "name", m->from->display_name);
  json_object_set_string_member (email, "address", m->from->mail ? m->from->mail : m->from->upn);
  JsonObject *from = json_object_new ();
  json_object_set_object_member (from, "emailAddress", email);
  json_object_set_object_member (res, "from", from);
  JsonObject *hit = json_object_new ();
  json_object_set_string_member (hit, "hitId", m->id);
  json_object_set_int_member (hit, "rank", rank);
  char *sum = summary (text, words);
  json_object_set_string_member (hit, "summary", sum);
  g_free (sum);
  json_object_set_object_member (hit, "resource", res);
  g_free (text);
  return hit;
}

static JsonObject *
search_response (FakeGraph *fg, Kql *q, guint from, guint size)
{
  GArray *hits = collect_hits (fg, q);
  JsonArray *arr = json_array_new ();
  for (guint i = from; i < hits->len && i < from + size; i++)
    json_array_add_object_element (arr, render_hit (fg, &g_array_index (hits, Hit, i), i + 1,
                                                    q->words));
  JsonObject *container = json_object_new ();
  json_object_set_array_member (container, "hits", arr);
  json_object_set_int_member (container, "total", hits->len);
  json_object_set_boolean_member (container, "moreResultsAvailable", from + size < hits->len);
  JsonArray *containers = json_array_new ();
  json_array_add_object_element (containers, container);
  JsonArray *terms = json_array_new ();
  for (guint i = 0; i < q->words->len; i++)
    json_array_add_string_element (terms, q->words->pdata[i]);
  JsonObject *resp = json_object_new ();
  json_object_set_array_member (resp, "searchTerms", terms);
  json_object_set_array_member (resp, "hitsContainers", containers);
  g_array_unref (hits);
  return resp;
}

static gboolean
wants_chat_messages (JsonObject *request)
{
  JsonArray *types = fake_json_array (request, "entityTypes");
  for (guint i = 0; types && i < json_array_get_length (types); i++) {
    JsonNode *n = json_array_get_element (types, i);
    if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
        && strcmp (json_node_get_string (n), "chatMessage") == 0)
      return TRUE;
  }
  return FALSE;
}

static gint64
int_member (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
         ? json_node_get_int (n) : fallback;
}

void
fake_search_query (FakeReq *req, FakeResp *resp)
{
  JsonObject *body = fake_req_json_object (req, resp);
  if (body == NULL)
    return;
  JsonArray *requests = fake_json_array (body, "requests");
  JsonNode *first = requests && json_array_get_length (requests)
                    ? json_array_get_element (requests, 0) : NULL;
  JsonObject *r = first && JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
  const char *qs = fake_json_string (fake_json_object (r, "query"), "queryString");
  gint64 from = int_member (r, "from", 0), size = int_member (r, "size", 25);
  if (r == NULL || qs == NULL || !wants_chat_messages (r) || from < 0 || size < 1 || size > 500) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Expected requests[0] with entityTypes [\"chatMessage\"], "
                     "query.queryString, from >= 0 and 1 <= size <= 500.");
    return;
  }
  Kql q;
  kql_parse (qs, &q);
  JsonArray *value = json_array_new ();
  json_array_add_object_element (value, search_response (req->fg, &q, from, size));
  kql_clear (&q);
  JsonObject *root = json_object_new ();
  json_object_set_array_member (root, "value", value);
  char *ctx = g_strdup_printf ("%s/$metadata#Collection(microsoft.graph.searchResponse)",
                               req->fg->graph_url);
  json_object_set_string_member (root, "@odata.context", ctx);
  g_free (ctx);
  fake_resp_object (resp, 200, root);
}

const FakeRoute fake_misc_routes[] = {
  { "POST", "/v1.0/search/query", fake_search_query },
  { NULL, NULL, NULL },
};
