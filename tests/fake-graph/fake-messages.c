/* fake-messages — /chats/{id}/messages: list (with Graph's $orderby/$filter rules), get,
 * send (mentions, hosted contents), edit, soft delete, reactions and hosted contents. */
#include "fake-graph/fake-internal.h"
#include <string.h>

typedef enum { ORDER_LAST_MODIFIED, ORDER_CREATED } MessageOrder;

typedef struct {
  MessageOrder order;
  gboolean explicit_order;
  gint64 mod_gt, mod_lt, created_lt;   /* G_MININT64 / G_MAXINT64 = unbounded */
} MessageQuery;

typedef struct {
  FakeGraph *fg;
  FakeChat *chat;
  gboolean include_unknown;
} MessageView;

static JsonNode *
render_message_cb (gpointer item, gpointer ctx)
{
  MessageView *v = ctx;
  return fake_render_message (v->fg, v->chat, item, v->include_unknown);
}

static gboolean
parse_message_orderby (FakeReq *req, FakeResp *resp, MessageQuery *q)
{
  const char *text = fake_req_param (req, "$orderby");
  q->order = ORDER_LAST_MODIFIED;
  q->explicit_order = text != NULL;
  if (text == NULL)
    return TRUE;
  GRegex *re = g_regex_new ("^\\s*(lastModifiedDateTime|createdDateTime)\\s+(?i:desc)\\s*$",
                            0, 0, NULL);
  GMatchInfo *mi = NULL;
  gboolean ok = g_regex_match (re, text, 0, &mi);
  if (ok) {
    char *field = g_match_info_fetch (mi, 1);
    if (strcmp (field, "createdDateTime") == 0)
      q->order = ORDER_CREATED;
    g_free (field);
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  if (!ok)
    fake_resp_error (req, resp, 400, "BadRequest",
                     "$orderby supports only 'lastModifiedDateTime desc' and "
                     "'createdDateTime desc', got '%s'.", text);
  return ok;
}

static gboolean
filter_error (FakeReq *req, FakeResp *resp, const char *clause, const char *why)
{
  fake_resp_error (req, resp, 400, "BadRequest", "Invalid $filter clause '%s': %s", clause, why);
  return FALSE;
}

/* One "field op value" clause; other fields are silently ignored, as Graph does. */
static gboolean
apply_filter_clause (FakeReq *req, FakeResp *resp, MessageQuery *q, const char *clause)
{
  GRegex *re = g_regex_new ("^\\s*(\\w+)\\s+(\\w+)\\s+'?([^']*?)'?\\s*$", 0, 0, NULL);
  GMatchInfo *mi = NULL;
  gboolean ok = TRUE;
  if (g_regex_match (re, clause, 0, &mi)) {
    char *field = g_match_info_fetch (mi, 1), *op = g_match_info_fetch (mi, 2);
    char *value = g_match_info_fetch (mi, 3);
    gboolean is_mod = strcmp (field, "lastModifiedDateTime") == 0;
    gboolean is_created = strcmp (field, "createdDateTime") == 0;
    gint64 when = 0;
    if (!is_mod && !is_created)
      ok = TRUE;
    else if (g_ascii_strcasecmp (op, "ge") == 0 || g_ascii_strcasecmp (op, "le") == 0)
      ok = filter_error (req, resp, clause, "only 'gt' and 'lt' are supported");
    else if (!fake_time_parse (value, &when))
      ok = filter_error (req, resp, clause, "the value is not a date-time");
    else if (is_mod && (!q->explicit_order || q->order != ORDER_LAST_MODIFIED))
      ok = filter_error (req, resp, clause,
                         "needs $orderby=lastModifiedDateTime desc");
    else if (is_created && q->order != ORDER_CREATED)
      ok = filter_error (req, resp, clause, "needs $orderby=createdDateTime desc");
    else if (is_mod && g_ascii_strcasecmp (op, "gt") == 0)
      q->mod_gt = MAX (q->mod_gt, when);
    else if (is_mod && g_ascii_strcasecmp (op, "lt") == 0)
      q->mod_lt = MIN (q->mod_lt, when);
    else if (is_created && g_ascii_strcasecmp (op, "lt") == 0)
      q->created_lt = MIN (q->created_lt, when);
    else
      ok = filter_error (req, resp, clause, "unsupported operator");
    g_free (field);
    g_free (op);
    g_free (value);
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  return ok;
}

static gboolean
parse_message_filter (FakeReq *req, FakeResp *resp, MessageQuery *q)
{
  q->mod_gt = G_MININT64;
  q->mod_lt = q->created_lt = G_MAXINT64;
  const char *text = fake_req_param (req, "$filter");
  if (text == NULL)
    return TRUE;
  char **clauses = g_regex_split_simple ("\\s+and\\s+", text, G_REGEX_CASELESS, 0);
  gboolean ok = TRUE;
  for (guint i = 0; ok && clauses[i]; i++)
    ok = apply_filter_clause (req, resp, q, clauses[i]);
  g_strfreev (clauses);
  return ok;
}

static void
list_messages (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  MessageQuery q = { 0 };
  guint top;
  if (chat == NULL || !fake_req_top (req, resp, 20, 50, &top)
      || !parse_message_orderby (req, resp, &q) || !parse_message_filter (req, resp, &q))
    return;
  GArray *items = g_array_new (FALSE, TRUE, sizeof (FakeSortItem));
  for (guint i = 0; i < chat->messages->len; i++) {
    FakeMessage *m = g_ptr_array_index (chat->messages, i);
    if (m->modified <= q.mod_gt || m->modified >= q.mod_lt || m->created >= q.created_lt)
      continue;
    FakeSortItem it = { m->modified, m->created, m->id, m };
    if (q.order == ORDER_CREATED) {
      it.key = m->created;
      it.key2 = 0;
    }
    g_array_append_val (items, it);
  }
  MessageView view = { req->fg, chat, fake_req_prefers_unknown_enums (req) };
  char *context = g_strdup_printf ("chats('%s')/messages", chat->id);
  fake_respond_page (req, resp, items, top, render_message_cb, &view, context);
  g_free (context);
  g_array_unref (items);
}

/* ---- getAllMessages: application permission only ---- */

typedef struct {
  FakeChat *chat;
  FakeMessage *m;
} ChatMessage;

static JsonNode *
render_chat_message_cb (gpointer item, gpointer ctx)
{
  ChatMessage *cm = item;
  MessageView *v = ctx;
  return fake_render_message (v->fg, cm->chat, cm->m, v->include_unknown);
}

/* Delegated tokens get Graph's 403. With fake_graph_set_application_permissions: the messages
 * of every chat of the user in the path (every chat for /chats/getAllMessages), $top ≤ 50,
 * $filter lastModifiedDateTime gt/lt, newest change first, paged. */
void
fake_all_messages (FakeReq *req, FakeResp *resp)
{
  if (!req->fg->app_permissions) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "Missing role permissions on the request. API requires one of "
                     "'Chat.Read.All, Chat.ReadWrite.All'. Roles on the request ''. "
                     "This API needs application permissions; delegated tokens are refused.");
    return;
  }
  FakeUser *user = NULL;
  if (req->args[0] != NULL && (user = fake_req_user (req, resp, req->args[0])) == NULL)
    return;
  MessageQuery q = { .order = ORDER_LAST_MODIFIED, .explicit_order = TRUE };
  guint top;
  if (!fake_req_top (req, resp, 20, 50, &top) || !parse_message_filter (req, resp, &q))
    return;
  GArray *items = g_array_new (FALSE, TRUE, sizeof (FakeSortItem));
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  for (guint c = 0; c < req->fg->chats->len; c++) {
    FakeChat *chat = g_ptr_array_index (req->fg->chats, c);
    if (user != NULL && fake_chat_member (chat, user) == NULL)
      continue;
    for (guint i = 0; i < chat->messages->len; i++) {
      FakeMessage *m = g_ptr_array_index (chat->messages, i);
      if (m->modified <= q.mod_gt || m->modified >= q.mod_lt)
        continue;
      ChatMessage *cm = g_new (ChatMessage, 1);
      cm->chat = chat;
      cm->m = m;
      g_ptr_array_add (pairs, cm);
      FakeSortItem it = { m->modified, m->created, m->id, cm };
      g_array_append_val (items, it);
    }
  }
  MessageView view = { req->fg, NULL, fake_req_prefers_unknown_enums (req) };
  fake_respond_page (req, resp, items, top, render_chat_message_cb, &view, "chats/getAllMessages");
  g_array_unref (items);
  g_ptr_array_unref (pairs);
}

void
fake_graph_set_application_permissions (FakeGraph *fg, gboolean granted)
{
  fg->app_permissions = granted;
}

static void
respond_message (FakeReq *req, FakeResp *resp, FakeChat *chat, FakeMessage *m, guint status)
{
  JsonNode *node = fake_render_message (req->fg, chat, m, fake_req_prefers_unknown_enums (req));
  char *ctx = g_strdup_printf ("%s/$metadata#chats('%s')/messages/$entity", req->fg->graph_url,
                               chat->id);
  json_object_set_string_member (json_node_get_object (node), "@odata.context", ctx);
  g_free (ctx);
  fake_resp_json (resp, status, node);
}

static void
get_message (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMessage *m = chat ? fake_req_message (req, resp, chat, req->args[1]) : NULL;
  if (m)
    respond_message (req, resp, chat, m, 200);
}

/* ---- sending ---- */

typedef struct {
  const char *content_type;   /* "html" | "text" */
  const char *content;
} BodyIn;

static gboolean
parse_body (FakeReq *req, FakeResp *resp, JsonObject *obj, BodyIn *body)
{
  JsonObject *b = fake_json_object (obj, "body");
  body->content = fake_json_string (b, "content");
  const char *ct = fake_json_string (b, "contentType");
  if (body->content == NULL || *body->content == '\0') {
    fake_resp_error (req, resp, 400, "BadRequest", "Missing body content.");
    return FALSE;
  }
  if (ct == NULL || g_ascii_strcasecmp (ct, "text") == 0)
    body->content_type = "text";
  else if (g_ascii_strcasecmp (ct, "html") == 0)
    body->content_type = "html";
  else {
    fake_resp_error (req, resp, 400, "BadRequest", "Invalid contentType '%s'.", ct);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_mentions (FakeReq *req, FakeResp *resp, JsonArray *mentions, const BodyIn *body)
{
  guint n = mentions ? json_array_get_length (mentions) : 0;
  if (n && strcmp (body->content_type, "html") != 0) {
    fake_resp_error (req, resp, 400, "BadRequest", "Mentions need an html body.");
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (mentions, i);
    JsonObject *mo = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    gint64 id = mo && json_object_has_member (mo, "id")
                ? json_node_get_int (json_object_get_member (mo, "id")) : -1;
    char *tag = g_strdup_printf ("<at id=\"%" G_GINT64_FORMAT "\">", id);
    gboolean found = strstr (body->content, tag) != NULL;
    g_free (tag);
    if (!found || fake_json_object (mo, "mentioned") == NULL) {
      fake_resp_error (req, resp, 400, "BadRequest",
                       "Mention %u does not match an <at id=\"N\"> tag of the body.", i);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_hosted_contents (FakeReq *req, FakeResp *resp, JsonArray *hosted)
{
  guint n = hosted ? json_array_get_length (hosted) : 0;
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (hosted, i);
    JsonObject *h = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    if (fake_json_string (h, "@microsoft.graph.temporaryId") == NULL
        || fake_json_string (h, "contentBytes") == NULL
        || fake_json_string (h, "contentType") == NULL) {
      fake_resp_error (req, resp, 400, "BadRequest",
                       "hostedContents need @microsoft.graph.temporaryId, contentBytes and "
                       "contentType.");
      return FALSE;
    }
  }
  return TRUE;
}

/* Keeps `bytes` (taken) as the message's next hosted content. */
static FakeHosted *
add_hosted (FakeMessage *m, GBytes *bytes, const char *content_type)
{
  FakeHosted *hc = g_new0 (FakeHosted, 1);
  /* Graph's hosted content ids are base64 of an "id=…,type=1,url=…" descriptor. */
  char *plain = g_strdup_printf ("id=x_%s_%u,type=1,url=fake", m->id, m->hosted->len);
  hc->id = g_base64_encode ((const guchar *) plain, strlen (plain));
  g_free (plain);
  hc->bytes = bytes;
  hc->content_type = g_strdup (content_type);
  g_ptr_array_add (m->hosted, hc);
  return hc;
}

void
fake_message_add_image (FakeGraph *fg, FakeChat *chat, FakeMessage *m, GBytes *bytes,
                        const char *content_type, guint width, guint height)
{
  FakeHosted *hc = add_hosted (m, g_bytes_ref (bytes), content_type ? content_type : "image/png");
  char *content = g_strdup_printf ("%s<p><img src=\"%s/chats/%s/messages/%s/hostedContents/%s/$value\" "
                                   "alt=\"image\" width=\"%u\" height=\"%u\" itemscope=\"png\" "
                                   "style=\"vertical-align:bottom\"></p>", m->content ? m->content : "",
                                   fg->graph_url, chat->id, m->id, hc->id, width, height);
  g_free (m->content);
  m->content = content;
}

/* Stores checked hostedContents; rewrites "../hostedContents/<temporaryId>/$value" in the body. */
static void
take_hosted_contents (FakeGraph *fg, JsonArray *hosted, FakeChat *chat, FakeMessage *m)
{
  guint n = hosted ? json_array_get_length (hosted) : 0;
  for (guint i = 0; i < n; i++) {
    JsonObject *h = json_node_get_object (json_array_get_element (hosted, i));
    gsize len = 0;
    guchar *data = g_base64_decode (fake_json_string (h, "contentBytes"), &len);
    FakeHosted *hc = add_hosted (m, g_bytes_new_take (data, len), fake_json_string (h, "contentType"));
    char *from = g_strdup_printf ("../hostedContents/%s/$value",
                                  fake_json_string (h, "@microsoft.graph.temporaryId"));
    char *to = g_strdup_printf ("%s/chats/%s/messages/%s/hostedContents/%s/$value",
                                fg->graph_url, chat->id, m->id, hc->id);
    GString *content = g_string_new (m->content);
    g_string_replace (content, from, to, 0);
    g_free (m->content);
    m->content = g_string_free (content, FALSE);
    g_free (from);
    g_free (to);
  }
}

static void
replace_array (JsonNode **slot, JsonObject *obj, const char *member)
{
  if (fake_json_array (obj, member) == NULL)
    return;
  json_node_unref (*slot);
  *slot = json_node_copy (json_object_get_member (obj, member));
}

static gboolean
check_importance (FakeReq *req, FakeResp *resp, const char *importance)
{
  if (importance == NULL || strcmp (importance, "normal") == 0
      || strcmp (importance, "high") == 0 || strcmp (importance, "urgent") == 0)
    return TRUE;
  fake_resp_error (req, resp, 400, "BadRequest", "Invalid importance '%s'.", importance);
  return FALSE;
}

static void
post_message (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  JsonObject *obj = chat ? fake_req_json_object (req, resp) : NULL;
  BodyIn body;
  if (obj == NULL || !parse_body (req, resp, obj, &body))
    return;
  JsonArray *hosted = fake_json_array (obj, "hostedContents");
  const char *importance = fake_json_string (obj, "importance");
  if (!check_mentions (req, resp, fake_json_array (obj, "mentions"), &body)
      || !check_importance (req, resp, importance) || !check_hosted_contents (req, resp, hosted))
    return;
  FakeMessage *m = fake_chat_post (req->fg, chat, req->fg->me, body.content_type, body.content, 0);
  take_hosted_contents (req->fg, hosted, chat, m);
  replace_array (&m->mentions, obj, "mentions");
  replace_array (&m->attachments, obj, "attachments");
  if (importance) {
    g_free (m->importance);
    m->importance = g_strdup (importance);
  }
  m->subject = g_strdup (fake_json_string (obj, "subject"));
  respond_message (req, resp, chat, m, 201);
}

/* ---- changing ---- */

static FakeMessage *
own_message (FakeReq *req, FakeResp *resp, FakeChat *chat, const char *id)
{
  FakeMessage *m = fake_req_message (req, resp, chat, id);
  if (m && (m->system || m->from != req->fg->me)) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "Only the sender of a message can change or delete it.");
    return NULL;
  }
  return m;
}

static void
patch_message (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMessage *m = chat ? own_message (req, resp, chat, req->args[1]) : NULL;
  JsonObject *obj = m ? fake_req_json_object (req, resp) : NULL;
  BodyIn body;
  if (obj == NULL || !parse_body (req, resp, obj, &body))
    return;
  if (m->deleted) {
    fake_resp_error (req, resp, 400, "BadRequest", "A deleted message cannot be edited.");
    return;
  }
  if (!check_mentions (req, resp, fake_json_array (obj, "mentions"), &body))
    return;
  fake_message_edit (req->fg, m, body.content_type, body.content);
  replace_array (&m->mentions, obj, "mentions");
  fake_resp_empty (resp, 204);
}

static void
soft_delete (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  FakeChat *chat = fake_req_chat (req, resp, req->args[1]);
  FakeMessage *m = chat ? own_message (req, resp, chat, req->args[2]) : NULL;
  if (m == NULL)
    return;
  fake_message_soft_delete (req->fg, m);
  fake_resp_empty (resp, 204);
}

static void
undo_soft_delete (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  FakeChat *chat = fake_req_chat (req, resp, req->args[1]);
  FakeMessage *m = chat ? own_message (req, resp, chat, req->args[2]) : NULL;
  if (m == NULL)
    return;
  fake_message_undo_delete (req->fg, m);
  fake_resp_empty (resp, 204);
}

static void
react (FakeReq *req, FakeResp *resp, gboolean set)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMessage *m = chat ? fake_req_message (req, resp, chat, req->args[1]) : NULL;
  JsonObject *obj = m ? fake_req_json_object (req, resp) : NULL;
  if (obj == NULL)
    return;
  const char *type = fake_json_string (obj, "reactionType");
  if (type == NULL || *type == '\0') {
    fake_resp_error (req, resp, 400, "BadRequest", "'reactionType' is required.");
    return;
  }
  fake_message_set_reaction (req->fg, m, req->fg->me, type, set);
  fake_resp_empty (resp, 204);
}

static void
set_reaction (FakeReq *req, FakeResp *resp)
{
  react (req, resp, TRUE);
}

static void
unset_reaction (FakeReq *req, FakeResp *resp)
{
  react (req, resp, FALSE);
}

/* ---- hosted contents ---- */

static FakeHosted *
req_hosted (FakeReq *req, FakeResp *resp, FakeMessage *m, const char *id)
{
  for (guint i = 0; i < m->hosted->len; i++) {
    FakeHosted *h = g_ptr_array_index (m->hosted, i);
    if (strcmp (h->id, id) == 0)
      return h;
  }
  fake_resp_error (req, resp, 404, "NotFound", "Hosted content '%s' was not found.", id);
  return NULL;
}

static JsonNode *
render_hosted (FakeHosted *h)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", h->id);
  json_object_set_string_member (o, "contentType", h->content_type);
  json_object_set_null_member (o, "contentBytes");
  return fake_node_take_object (o);
}

static void
list_hosted (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMessage *m = chat ? fake_req_message (req, resp, chat, req->args[1]) : NULL;
  if (m == NULL)
    return;
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < m->hosted->len; i++)
    json_array_add_element (arr, render_hosted (g_ptr_array_index (m->hosted, i)));
  JsonObject *root = json_object_new ();
  json_object_set_array_member (root, "value", arr);
  fake_resp_object (resp, 200, root);
}

static void
get_hosted (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMessage *m = chat ? fake_req_message (req, resp, chat, req->args[1]) : NULL;
  FakeHosted *h = m ? req_hosted (req, resp, m, req->args[2]) : NULL;
  if (h)
    fake_resp_json (resp, 200, render_hosted (h));
}

static void
get_hosted_value (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMessage *m = chat ? fake_req_message (req, resp, chat, req->args[1]) : NULL;
  FakeHosted *h = m ? req_hosted (req, resp, m, req->args[2]) : NULL;
  if (h)
    fake_resp_bytes (resp, 200, h->content_type, h->bytes);
}

static void
list_user_chat_messages (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  req->args[0] = req->args[1];
  list_messages (req, resp);
}

const FakeRoute fake_message_routes[] = {
  { "GET", "/v1.0/chats/*/messages", list_messages },
  { "POST", "/v1.0/chats/*/messages", post_message },
  { "GET", "/v1.0/users/*/chats/*/messages", list_user_chat_messages },
  { "GET", "/v1.0/chats/*/messages/*", get_message },
  { "PATCH", "/v1.0/chats/*/messages/*", patch_message },
  { "POST", "/v1.0/chats/*/messages/*/setReaction", set_reaction },
  { "POST", "/v1.0/chats/*/messages/*/unsetReaction", unset_reaction },
  { "POST", "/v1.0/users/*/chats/*/messages/*/softDelete", soft_delete },
  { "POST", "/v1.0/users/*/chats/*/messages/*/undoSoftDelete", undo_soft_delete },
  { "GET", "/v1.0/chats/*/messages/*/hostedContents", list_hosted },
  { "GET", "/v1.0/chats/*/messages/*/hostedContents/*", get_hosted },
  { "GET", "/v1.0/chats/*/messages/*/hostedContents/*/$value", get_hosted_value },
  { NULL, NULL, NULL },
};
