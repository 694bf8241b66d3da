/* fake-chats — /me/chats, /chats/{id} (get, patch, create), members, pins, read state and
 * the application-only getAllMessages. */
#include "fake-graph/fake-internal.h"
#include <string.h>

typedef struct {
  FakeGraph *fg;
  gboolean preview;
  gboolean members;
  gboolean include_unknown;
} ChatView;

static JsonNode *
render_chat_cb (gpointer item, gpointer ctx)
{
  ChatView *v = ctx;
  return fake_render_chat (v->fg, item, v->preview, v->members, v->include_unknown);
}

/* $expand=members,lastMessagePreview; FALSE after a 400 for anything else. */
static gboolean
parse_chat_expand (FakeReq *req, FakeResp *resp, ChatView *view)
{
  const char *expand = fake_req_param (req, "$expand");
  if (expand == NULL)
    return TRUE;
  char **parts = g_strsplit (expand, ",", -1);
  gboolean ok = TRUE;
  for (guint i = 0; ok && parts[i]; i++) {
    char *p = g_strstrip (parts[i]);
    if (strcmp (p, "members") == 0)
      view->members = TRUE;
    else if (strcmp (p, "lastMessagePreview") == 0)
      view->preview = TRUE;
    else
      ok = FALSE;
  }
  if (!ok)
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Parsing OData Select and Expand failed: Could not find a property named "
                     "'%s' on type 'microsoft.graph.chat'.", expand);
  g_strfreev (parts);
  return ok;
}

/* Collapses runs of blanks so "a  desc" == "a desc". */
static char *
normalize_spaces (const char *text)
{
  char **words = g_strsplit_set (text, " \t", -1);
  GString *out = g_string_new (NULL);
  for (guint i = 0; words[i]; i++) {
    if (*words[i] == '\0')
      continue;
    if (out->len)
      g_string_append_c (out, ' ');
    g_string_append (out, words[i]);
  }
  g_strfreev (words);
  return g_string_free (out, FALSE);
}

/* $orderby for /me/chats: only lastMessagePreview/createdDateTime desc. */
static gboolean
parse_chat_orderby (FakeReq *req, FakeResp *resp, gboolean *by_preview)
{
  const char *orderby = fake_req_param (req, "$orderby");
  *by_preview = FALSE;
  if (orderby == NULL)
    return TRUE;
  char *norm = normalize_spaces (orderby);
  gboolean ok = g_ascii_strcasecmp (norm, "lastMessagePreview/createdDateTime desc") == 0;
  g_free (norm);
  if (!ok) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Only '$orderby=lastMessagePreview/createdDateTime desc' is supported.");
    return FALSE;
  }
  *by_preview = TRUE;
  return TRUE;
}

/* $filter for /me/chats: chatType eq '…' (and topic eq '…'). */
static gboolean
parse_chat_filter (FakeReq *req, FakeResp *resp, char **type, char **topic)
{
  const char *filter = fake_req_param (req, "$filter");
  *type = *topic = NULL;
  if (filter == NULL)
    return TRUE;
  GMatchInfo *mi = NULL;
  GRegex *re = g_regex_new ("^\\s*(chatType|topic)\\s+eq\\s+'([^']*)'\\s*$",
                            G_REGEX_CASELESS, 0, NULL);
  gboolean ok = g_regex_match (re, filter, 0, &mi);
  if (ok) {
    char *field = g_match_info_fetch (mi, 1);
    if (g_ascii_strcasecmp (field, "chatType") == 0)
      *type = g_match_info_fetch (mi, 2);
    else
      *topic = g_match_info_fetch (mi, 2);
    g_free (field);
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  if (!ok)
    fake_resp_error (req, resp, 400, "BadRequest", "Invalid filter clause: '%s'.", filter);
  return ok;
}

static void
list_chats (FakeReq *req, FakeResp *resp)
{
  FakeGraph *fg = req->fg;
  ChatView view = { fg, FALSE, FALSE, fake_req_prefers_unknown_enums (req) };
  guint top;
  gboolean by_preview;
  char *type = NULL, *topic = NULL;
  if (!fake_req_is_me (req, resp, req->args[0]) || !fake_req_top (req, resp, 20, 50, &top)
      || !parse_chat_expand (req, resp, &view) || !parse_chat_orderby (req, resp, &by_preview)
      || !parse_chat_filter (req, resp, &type, &topic))
    return;
  GArray *items = g_array_new (FALSE, TRUE, sizeof (FakeSortItem));
  for (guint i = 0; i < fg->chats->len; i++) {
    FakeChat *c = g_ptr_array_index (fg->chats, i);
    if (!fake_chat_member (c, fg->me) || fake_chat_is_self (c))
      continue;
    if ((type && g_strcmp0 (c->chat_type, type) != 0) || (topic && g_strcmp0 (c->topic, topic)))
      continue;
    FakeMessage *last = fake_chat_last_message (c);
    FakeSortItem it = { c->created, 0, c->id, c };
    if (by_preview)
      it.key = last ? last->created : G_MININT64 + 1;
    g_array_append_val (items, it);
  }
  fake_respond_page (req, resp, items, top, render_chat_cb, &view, "chats");
  g_array_unref (items);
  g_free (type);
  g_free (topic);
}

/* GET /chats: the signed-in user's chats, like /me/chats. */
static void
list_my_chats (FakeReq *req, FakeResp *resp)
{
  req->args[0] = req->fg->me->id;
  list_chats (req, resp);
}

static void
respond_chat (FakeReq *req, FakeResp *resp, FakeChat *chat, guint status)
{
  ChatView view = { req->fg, FALSE, FALSE, fake_req_prefers_unknown_enums (req) };
  if (!parse_chat_expand (req, resp, &view))
    return;
  JsonNode *node = render_chat_cb (chat, &view);
  char *ctx = g_strdup_printf ("%s/$metadata#chats/$entity", req->fg->graph_url);
  json_object_set_string_member (json_node_get_object (node), "@odata.context", ctx);
  g_free (ctx);
  fake_resp_json (resp, status, node);
}

static void
get_chat (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  if (chat)
    respond_chat (req, resp, chat, 200);
}

static void
get_user_chat (FakeReq *req, FakeResp *resp)
{
  if (!fake_req_is_me (req, resp, req->args[0]))
    return;
  FakeChat *chat = fake_req_chat (req, resp, req->args[1]);
  if (chat)
    respond_chat (req, resp, chat, 200);
}

/* 400s for a topic Graph refuses; NULL topic is fine when `required` is FALSE. */
static gboolean
check_topic (FakeReq *req, FakeResp *resp, const char *topic)
{
  if (topic == NULL)
    return TRUE;
  if (g_utf8_strlen (topic, -1) > 250) {
    fake_resp_error (req, resp, 400, "BadRequest", "Topic can be at most 250 characters.");
    return FALSE;
  }
  if (strchr (topic, ':')) {
    fake_resp_error (req, resp, 400, "BadRequest", "Topic cannot contain ':'.");
    return FALSE;
  }
  return TRUE;
}

static void
patch_chat (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  JsonObject *body = chat ? fake_req_json_object (req, resp) : NULL;
  if (body == NULL)
    return;
  if (!json_object_has_member (body, "topic")) {
    respond_chat (req, resp, chat, 200);
    return;
  }
  const char *topic = fake_json_string (body, "topic");
  if (g_strcmp0 (chat->chat_type, "group") != 0) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Topic can only be set on group chats.");
    return;
  }
  if (!check_topic (req, resp, topic))
    return;
  if (g_strcmp0 (topic, chat->topic) != 0)
    fake_chat_rename (req->fg, chat, req->fg->me, topic);
  respond_chat (req, resp, chat, 200);
}

/* One aadUserConversationMember body → its user and role; NULL after a 400/404. */
static FakeUser *
parse_member_body (FakeReq *req, FakeResp *resp, JsonObject *m, const char **role)
{
  const char *type = fake_json_string (m, "@odata.type");
  if (g_strcmp0 (type, "#microsoft.graph.aadUserConversationMember") != 0) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Member @odata.type must be '#microsoft.graph.aadUserConversationMember'.");
    return NULL;
  }
  const char *bind = fake_json_string (m, "user@odata.bind");
  FakeUser *user = fake_user_from_bind (req->fg, bind);
  if (user == NULL) {
    fake_resp_error (req, resp, bind ? 404 : 400, bind ? "NotFound" : "BadRequest",
                     bind ? "User '%s' was not found." : "Member is missing %s.",
                     bind ? bind : "user@odata.bind");
    return NULL;
  }
  JsonArray *roles = fake_json_array (m, "roles");
  *role = "owner";
  if (roles && json_array_get_length (roles) > 0) {
    JsonNode *first = json_array_get_element (roles, 0);
    if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
      *role = json_node_get_string (first);
  } else if (roles) {
    *role = "";
  }
  return user;
}

typedef struct {
  GPtrArray *users;
  GPtrArray *roles;
} MemberList;

static gboolean
parse_members (FakeReq *req, FakeResp *resp, JsonObject *body, MemberList *list)
{
  JsonArray *members = fake_json_array (body, "members");
  if (members == NULL || json_array_get_length (members) == 0) {
    fake_resp_error (req, resp, 400, "BadRequest", "A chat needs 'members'.");
    return FALSE;
  }
  for (guint i = 0; i < json_array_get_length (members); i++) {
    JsonNode *n = json_array_get_element (members, i);
    const char *role = NULL;
    FakeUser *u = JSON_NODE_HOLDS_OBJECT (n)
                  ? parse_member_body (req, resp, json_node_get_object (n), &role) : NULL;
    if (u == NULL) {
      if (!JSON_NODE_HOLDS_OBJECT (n))
        fake_resp_error (req, resp, 400, "BadRequest", "Invalid member.");
      return FALSE;
    }
    if (g_ptr_array_find (list->users, u, NULL))
      continue;
    g_ptr_array_add (list->users, u);
    g_ptr_array_add (list->roles, (gpointer) role);
  }
  if (!g_ptr_array_find (list->users, req->fg->me, NULL)) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "The caller must be one of the members of the chat.");
    return FALSE;
  }
  return TRUE;
}

static FakeChat *
create_chat_from (FakeReq *req, FakeResp *resp, const char *type, const char *topic,
                  MemberList *list)
{
  FakeGraph *fg = req->fg;
  if (strcmp (type, "oneOnOne") == 0) {
    if (list->users->len != 2 || topic) {
      fake_resp_error (req, resp, 400, "BadRequest",
                       "A oneOnOne chat has exactly two members and no topic.");
      return NULL;
    }
    FakeUser *other = g_ptr_array_index (list->users, list->users->pdata[0] == fg->me ? 1 : 0);
    FakeChat *existing = fake_store_find_one_on_one (fg, fg->me, other);
    if (existing)
      return existing;
  } else if (list->users->len < 2) {
    fake_resp_error (req, resp, 400, "BadRequest", "A group chat needs at least two members.");
    return NULL;
  }
  FakeChat *chat = fake_store_add_chat (fg, type, topic, NULL, 0);
  for (guint i = 0; i < list->users->len; i++)
    fake_chat_add_member_raw (fg, chat, g_ptr_array_index (list->users, i),
                              g_ptr_array_index (list->roles, i), FAKE_TIME_NEVER);
  return chat;
}

static void
create_chat (FakeReq *req, FakeResp *resp)
{
  JsonObject *body = fake_req_json_object (req, resp);
  if (body == NULL)
    return;
  const char *type = fake_json_string (body, "chatType");
  const char *topic = fake_json_string (body, "topic");
  if (g_strcmp0 (type, "oneOnOne") != 0 && g_strcmp0 (type, "group") != 0) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "chatType must be 'oneOnOne' or 'group'.");
    return;
  }
  if (!check_topic (req, resp, topic))
    return;
  MemberList list = { g_ptr_array_new (), g_ptr_array_new () };
  if (parse_members (req, resp, body, &list)) {
    FakeChat *chat = create_chat_from (req, resp, type, topic, &list);
    if (chat)
      respond_chat (req, resp, chat, 201);
  }
  g_ptr_array_unref (list.users);
  g_ptr_array_unref (list.roles);
}

/* ---- members ---- */

static void
list_members (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  if (chat == NULL)
    return;
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < chat->members->len; i++)
    json_array_add_element (arr, fake_render_member (req->fg, chat,
                                                     g_ptr_array_index (chat->members, i)));
  JsonObject *root = json_object_new ();
  char *ctx = g_strdup_printf ("%s/$metadata#chats('%s')/members", req->fg->graph_url, chat->id);
  json_object_set_string_member (root, "@odata.context", ctx);
  g_free (ctx);
  json_object_set_int_member (root, "@odata.count", chat->members->len);
  json_object_set_array_member (root, "value", arr);
  fake_resp_object (resp, 200, root);
}

static FakeMember *
req_member (FakeReq *req, FakeResp *resp, FakeChat *chat, const char *membership_id)
{
  FakeMember *m = fake_chat_member_by_id (chat, membership_id);
  if (m == NULL)
    fake_resp_error (req, resp, 404, "NotFound", "Member '%s' was not found.", membership_id);
  return m;
}

static void
get_member (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMember *m = chat ? req_member (req, resp, chat, req->args[1]) : NULL;
  if (m)
    fake_resp_json (resp, 200, fake_render_member (req->fg, chat, m));
}

static gboolean
parse_visible_history (FakeReq *req, FakeResp *resp, JsonObject *body, gint64 *visible)
{
  const char *text = fake_json_string (body, "visibleHistoryStartDateTime");
  *visible = 0;   /* absent: shares no history */
  if (text == NULL)
    return TRUE;
  if (!fake_time_parse (text, visible)) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Invalid visibleHistoryStartDateTime '%s'.", text);
    return FALSE;
  }
  return TRUE;
}

static void
add_member (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  JsonObject *body = chat ? fake_req_json_object (req, resp) : NULL;
  if (body == NULL)
    return;
  if (g_strcmp0 (chat->chat_type, "oneOnOne") == 0) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "Members cannot be added to a oneOnOne chat.");
    return;
  }
  const char *role = NULL;
  gint64 visible;
  FakeUser *user = parse_member_body (req, resp, body, &role);
  if (user == NULL || !parse_visible_history (req, resp, body, &visible))
    return;
  if (fake_chat_member (chat, user)) {
    fake_resp_error (req, resp, 409, "Conflict", "'%s' is already a member of the chat.",
                     user->upn);
    return;
  }
  FakeMember *m = fake_chat_add_member_event (req->fg, chat, req->fg->me, user, role, visible);
  char *location = fake_member_location (req->fg, chat, m);
  fake_resp_empty (resp, 201);
  fake_resp_header (resp, "Location", location);
  g_free (location);
}

static void
remove_member (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  FakeMember *m = chat ? req_member (req, resp, chat, req->args[1]) : NULL;
  if (m == NULL)
    return;
  if (g_strcmp0 (chat->chat_type, "oneOnOne") == 0) {
    fake_resp_error (req, resp, 403, "Forbidden",
                     "Members cannot be removed from a oneOnOne chat.");
    return;
  }
  fake_chat_remove_member_event (req->fg, chat, req->fg->me, m);
  fake_resp_empty (resp, 204);
}

/* ---- read state ---- */

static gboolean
body_user_is_me (FakeReq *req, FakeResp *resp, JsonObject *body)
{
  const char *uid = fake_json_string (fake_json_object (body, "user"), "id");
  if (uid == NULL) {
    fake_resp_error (req, resp, 400, "BadRequest", "'user' with an 'id' is required.");
    return FALSE;
  }
  return fake_req_is_me (req, resp, uid);
}

static void
mark_read (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  JsonObject *body = chat ? fake_req_json_object (req, resp) : NULL;
  if (body == NULL || !body_user_is_me (req, resp, body))
    return;
  fake_chat_mark_read (req->fg, chat);
  fake_resp_empty (resp, 204);
}

static void
mark_unread (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  JsonObject *body = chat ? fake_req_json_object (req, resp) : NULL;
  if (body == NULL || !body_user_is_me (req, resp, body))
    return;
  gint64 when;
  if (!fake_time_parse (fake_json_string (body, "lastMessageReadDateTime"), &when)) {
    fake_resp_error (req, resp, 400, "BadRequest", "'lastMessageReadDateTime' is required.");
    return;
  }
  chat->last_read = when;
  fake_resp_empty (resp, 204);
}

/* ---- pins ---- */

static JsonNode *
render_pin (FakeReq *req, FakeChat *chat, FakePin *pin, gboolean with_message)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", pin->id);
  if (with_message)
    json_object_set_member (o, "message",
                            fake_render_message (req->fg, chat, pin->message,
                                                 fake_req_prefers_unknown_enums (req)));
  return fake_node_take_object (o);
}

static void
list_pins (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  if (chat == NULL)
    return;
  const char *expand = fake_req_param (req, "$expand");
  if (expand && strcmp (expand, "message") != 0) {
    fake_resp_error (req, resp, 400, "BadRequest", "Only $expand=message is supported.");
    return;
  }
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < chat->pins->len; i++)
    json_array_add_element (arr, render_pin (req, chat, g_ptr_array_index (chat->pins, i),
                                             expand != NULL));
  JsonObject *root = json_object_new ();
  char *ctx = g_strdup_printf ("%s/$metadata#chats('%s')/pinnedMessages", req->fg->graph_url,
                               chat->id);
  json_object_set_string_member (root, "@odata.context", ctx);
  g_free (ctx);
  json_object_set_array_member (root, "value", arr);
  fake_resp_object (resp, 200, root);
}

/* "…/chats/{c}/messages/{m}" or "…/chats('c')/messages('m')" → c and m. */
static gboolean
parse_message_bind (const char *url, char **chat_id, char **message_id)
{
  GRegex *re = g_regex_new ("chats(?:\\('([^']+)'\\)|/([^/]+))/messages(?:\\('([^']+)'\\)|/([^/?]+))",
                            0, 0, NULL);
  GMatchInfo *mi = NULL;
  gboolean ok = url && g_regex_match (re, url, 0, &mi);
  if (ok) {
    char *c1 = g_match_info_fetch (mi, 1), *c2 = g_match_info_fetch (mi, 2);
    char *m1 = g_match_info_fetch (mi, 3), *m2 = g_match_info_fetch (mi, 4);
    *chat_id = g_uri_unescape_string (*c1 ? c1 : c2, NULL);
    *message_id = g_uri_unescape_string (*m1 ? m1 : (m2 ? m2 : ""), NULL);
    g_free (c1);
    g_free (c2);
    g_free (m1);
    g_free (m2);
    ok = *chat_id && *message_id;
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  return ok;
}

static void
pin_message (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  JsonObject *body = chat ? fake_req_json_object (req, resp) : NULL;
  if (body == NULL)
    return;
  char *cid = NULL, *mid = NULL;
  if (!parse_message_bind (fake_json_string (body, "message@odata.bind"), &cid, &mid)
      || strcmp (cid, chat->id) != 0) {
    fake_resp_error (req, resp, 400, "BadRequest",
                     "'message@odata.bind' must name a message of this chat.");
  } else {
    FakeMessage *m = fake_req_message (req, resp, chat, mid);
    if (m && fake_chat_pin_of (chat, m)) {
      fake_resp_error (req, resp, 409, "Conflict", "The message is already pinned.");
    } else if (m) {
      FakePin *pin = fake_chat_pin (req->fg, chat, req->fg->me, m);
      JsonNode *node = render_pin (req, chat, pin, FALSE);
      char *ctx = g_strdup_printf ("%s/$metadata#chats('%s')/pinnedMessages/$entity",
                                   req->fg->graph_url, chat->id);
      json_object_set_string_member (json_node_get_object (node), "@odata.context", ctx);
      g_free (ctx);
      fake_resp_json (resp, 201, node);
    }
  }
  g_free (cid);
  g_free (mid);
}

static void
unpin_message (FakeReq *req, FakeResp *resp)
{
  FakeChat *chat = fake_req_chat (req, resp, req->args[0]);
  if (chat == NULL)
    return;
  FakePin *pin = fake_chat_pin_by_id (chat, req->args[1]);
  if (pin == NULL) {
    fake_resp_error (req, resp, 404, "NotFound", "Pinned message '%s' was not found.",
                     req->args[1]);
    return;
  }
  fake_chat_unpin (req->fg, chat, req->fg->me, pin);
  fake_resp_empty (resp, 204);
}

const FakeRoute fake_chat_routes[] = {
  { "GET", "/v1.0/users/*/chats/getAllMessages", fake_all_messages },
  { "GET", "/v1.0/chats/getAllMessages", fake_all_messages },
  { "GET", "/v1.0/users/*/chats", list_chats },
  { "GET", "/v1.0/users/*/chats/*", get_user_chat },
  { "GET", "/v1.0/chats", list_my_chats },
  { "POST", "/v1.0/chats", create_chat },
  { "GET", "/v1.0/chats/*", get_chat },
  { "PATCH", "/v1.0/chats/*", patch_chat },
  { "GET", "/v1.0/chats/*/members", list_members },
  { "POST", "/v1.0/chats/*/members", add_member },
  { "GET", "/v1.0/chats/*/members/*", get_member },
  { "DELETE", "/v1.0/chats/*/members/*", remove_member },
  { "POST", "/v1.0/chats/*/markChatReadForUser", mark_read },
  { "POST", "/v1.0/chats/*/markChatUnreadForUser", mark_unread },
  { "GET", "/v1.0/chats/*/pinnedMessages", list_pins },
  { "POST", "/v1.0/chats/*/pinnedMessages", pin_message },
  { "DELETE", "/v1.0/chats/*/pinnedMessages/*", unpin_message },
  { NULL, NULL, NULL },
};
