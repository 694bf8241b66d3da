/* fake-control — /_fake/… endpoints so that shell tests, real-client tests and the demo can
 * drive the emulator from another process (no token needed; never logged). Bodies are JSON;
 * answers are JSON, errors {"error": "…"} with 400/404. Chats may be named by id, group topic
 * or (one-on-one) the other member's UPN. The list is in tests/fake-graph/README.md. */
#include "fake-graph/fake-internal.h"
#include <string.h>

typedef struct {
  FakeReq *req;
  FakeResp *resp;
  FakeGraph *fg;
  JsonObject *body;   /* {} when there is none */
  JsonObject *empty;
} Ctl;

static void
ctl_error (Ctl *c, guint status, const char *fmt, const char *arg)
{
  JsonObject *o = json_object_new ();
  char *msg = g_strdup_printf (fmt, arg ? arg : "");
  json_object_set_string_member (o, "error", msg);
  g_free (msg);
  fake_resp_object (c->resp, status, o);
}

static void
ctl_ok (Ctl *c, JsonObject *o)
{
  if (o == NULL) {
    o = json_object_new ();
    json_object_set_boolean_member (o, "ok", TRUE);
  }
  fake_resp_object (c->resp, 200, o);
}

static const char *
arg (Ctl *c, const char *name)
{
  const char *v = fake_json_string (c->body, name);
  return v ? v : fake_req_param (c->req, name);
}

static gint64
int_arg (Ctl *c, const char *name, gint64 fallback)
{
  JsonNode *n = json_object_get_member (c->body, name);
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);
  const char *text = arg (c, name);
  return text ? g_ascii_strtoll (text, NULL, 10) : fallback;
}

static const char *
need (Ctl *c, const char *name)
{
  const char *v = arg (c, name);
  if (v == NULL)
    ctl_error (c, 400, "missing \"%s\"", name);
  return v;
}

static const char *
need_chat (Ctl *c)
{
  const char *name = need (c, "chat");
  if (name == NULL)
    return NULL;
  const char *id = fake_graph_find_chat (c->fg, name);
  if (id == NULL)
    ctl_error (c, 404, "no chat \"%s\"", name);
  return id;
}

static void
ok_or_404 (Ctl *c, gboolean ok, const char *what)
{
  if (ok)
    ctl_ok (c, NULL);
  else
    ctl_error (c, 404, "%s failed (unknown chat, message or user?)", what);
}

/* ---- acting as colleagues ---- */

static void
ctl_inject (Ctl *c)
{
  const char *chat = need_chat (c), *from = chat ? need (c, "from") : NULL;
  const char *html = from ? need (c, "html") : NULL;
  if (html == NULL)
    return;
  GPtrArray *mentions = g_ptr_array_new ();
  JsonArray *arr = fake_json_array (c->body, "mentions");
  for (guint i = 0; arr && i < json_array_get_length (arr); i++)
    g_ptr_array_add (mentions, (gpointer) json_array_get_string_element (arr, i));
  g_ptr_array_add (mentions, NULL);
  const char *id = fake_graph_inject_mention_message (c->fg, chat, from, html,
                                                      arr ? (const char *const *) mentions->pdata
                                                          : NULL);
  g_ptr_array_unref (mentions);
  if (id == NULL) {
    ctl_error (c, 404, "cannot post as \"%s\"", from);
    return;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", id);
  json_object_set_string_member (o, "chatId", chat);
  ctl_ok (c, o);
}

static void
ctl_edit (Ctl *c)
{
  const char *chat = need_chat (c), *id = chat ? need (c, "id") : NULL;
  const char *html = id ? need (c, "html") : NULL;
  if (html)
    ok_or_404 (c, fake_graph_edit_message (c->fg, chat, id, html), "edit");
}

static void
ctl_delete (Ctl *c)
{
  const char *chat = need_chat (c), *id = chat ? need (c, "id") : NULL;
  if (id)
    ok_or_404 (c, fake_graph_delete_message (c->fg, chat, id), "delete");
}

static void
ctl_react (Ctl *c)
{
  const char *chat = need_chat (c), *id = chat ? need (c, "id") : NULL;
  const char *by = id ? need (c, "by") : NULL;
  if (by)
    ok_or_404 (c, fake_graph_add_reaction (c->fg, chat, id, by,
                                           arg (c, "reaction") ? arg (c, "reaction") : "like"),
               "react");
}

static void
ctl_pin (Ctl *c)
{
  const char *chat = need_chat (c), *id = chat ? need (c, "id") : NULL;
  const char *by = id ? need (c, "by") : NULL;
  if (by)
    ok_or_404 (c, fake_graph_pin_message (c->fg, chat, by, id), "pin");
}

static void
ctl_rename (Ctl *c)
{
  const char *chat = need_chat (c), *by = chat ? need (c, "by") : NULL;
  const char *topic = by ? need (c, "topic") : NULL;
  if (topic)
    ok_or_404 (c, fake_graph_rename_chat (c->fg, chat, by, topic), "rename");
}

static void
ctl_member (Ctl *c, gboolean add)
{
  const char *chat = need_chat (c), *by = chat ? need (c, "by") : NULL;
  const char *user = by ? need (c, "user") : NULL;
  if (user == NULL)
    return;
  gboolean ok = add ? fake_graph_add_member (c->fg, chat, by, user)
                    : fake_graph_remove_member (c->fg, chat, by, user);
  ok_or_404 (c, ok, add ? "member/add" : "member/remove");
}

static void
ctl_presence (Ctl *c)
{
  const char *user = need (c, "user"), *availability = user ? need (c, "availability") : NULL;
  if (availability == NULL)
    return;
  if (fake_graph_user_id (c->fg, user) == NULL) {
    ctl_error (c, 404, "no user \"%s\"", user);
    return;
  }
  fake_graph_set_presence (c->fg, user, availability, arg (c, "activity"));
  ctl_ok (c, NULL);
}

static void
ctl_status_message (Ctl *c)
{
  const char *user = need (c, "user");
  if (user == NULL)
    return;
  if (fake_graph_user_id (c->fg, user) == NULL) {
    ctl_error (c, 404, "no user \"%s\"", user);
    return;
  }
  fake_graph_set_status_message (c->fg, user, arg (c, "content"), arg (c, "contentType"));
  ctl_ok (c, NULL);
}

static void
ctl_mark_read (Ctl *c)
{
  const char *chat = need_chat (c);
  if (chat) {
    fake_graph_mark_read (c->fg, chat);
    ctl_ok (c, NULL);
  }
}

/* ---- building ---- */

static void
ctl_user (Ctl *c)
{
  const char *upn = need (c, "upn");
  if (upn == NULL)
    return;
  const char *id = fake_graph_add_user (c->fg, upn, arg (c, "displayName"));
  fake_graph_set_user_details (c->fg, upn, arg (c, "jobTitle"), arg (c, "department"),
                               arg (c, "mail"));
  JsonNode *photo = json_object_get_member (c->body, "photo");
  if (photo && JSON_NODE_HOLDS_VALUE (photo) && json_node_get_boolean (photo))
    fake_graph_set_user_photo (c->fg, upn, NULL);
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", id);
  ctl_ok (c, o);
}

static void
ctl_chat (Ctl *c)
{
  GPtrArray *members = g_ptr_array_new ();
  JsonArray *arr = fake_json_array (c->body, "members");
  for (guint i = 0; arr && i < json_array_get_length (arr); i++)
    g_ptr_array_add (members, (gpointer) json_array_get_string_element (arr, i));
  g_ptr_array_add (members, NULL);
  const char *type = arg (c, "chatType") ? arg (c, "chatType") : "group";
  const char *id = fake_graph_add_chat (c->fg, type, arg (c, "topic"),
                                        (const char *const *) members->pdata);
  g_ptr_array_unref (members);
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", id);
  ctl_ok (c, o);
}

/* ---- faults and the log ---- */

static void
ctl_fault (Ctl *c)
{
  const char *kind = arg (c, "kind") ? arg (c, "kind") : "status";
  FakeFaultKind k = FAKE_FAULT_STATUS;
  if (strcmp (kind, "drop") == 0)
    k = FAKE_FAULT_DROP;
  else if (strcmp (kind, "delay") == 0)
    k = FAKE_FAULT_DELAY;
  else if (strcmp (kind, "status") != 0) {
    ctl_error (c, 400, "kind must be status, drop or delay, not \"%s\"", kind);
    return;
  }
  fake_graph_add_fault (c->fg, arg (c, "method"), arg (c, "path") ? arg (c, "path") : "*", k,
                        (guint) int_arg (c, "status", 429), arg (c, "retryAfter"),
                        (guint) int_arg (c, "delayMs", 0), (guint) int_arg (c, "count", 1));
  ctl_ok (c, NULL);
}

static void
ctl_faults_clear (Ctl *c)
{
  fake_graph_clear_faults (c->fg);
  ctl_ok (c, NULL);
}

static void
ctl_log (Ctl *c)
{
  const char *method = arg (c, "method"), *glob = arg (c, "path");
  GPatternSpec *spec = g_pattern_spec_new (glob ? glob : "*");
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < c->fg->log->len; i++) {
    FakeRequest *r = g_ptr_array_index (c->fg->log, i);
    if ((method && g_ascii_strcasecmp (method, r->method) != 0)
        || !g_pattern_spec_match_string (spec, r->path))
      continue;
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "method", r->method);
    json_object_set_string_member (o, "path", r->path);
    fake_json_set_string_or_null (o, "query", r->query);
    fake_json_set_string_or_null (o, "body", r->body);
    json_object_set_int_member (o, "status", r->status);
    json_object_set_boolean_member (o, "inBatch", r->in_batch);
    json_array_add_object_element (arr, o);
  }
  g_pattern_spec_free (spec);
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, "count", json_array_get_length (arr));
  json_object_set_array_member (o, "requests", arr);
  ctl_ok (c, o);
}

static void
ctl_log_clear (Ctl *c)
{
  fake_graph_clear_log (c->fg);
  ctl_ok (c, NULL);
}

/* ---- identity ---- */

static void
ctl_device (Ctl *c, gboolean approve)
{
  const char *code = arg (c, "user_code") ? arg (c, "user_code") : fake_graph_last_user_code (c->fg);
  gboolean ok = approve ? fake_graph_approve_device_code (c->fg, code)
                        : fake_graph_decline_device_code (c->fg, code);
  ok_or_404 (c, ok, approve ? "approve" : "decline");
}

static void
ctl_user_code (Ctl *c)
{
  JsonObject *o = json_object_new ();
  fake_json_set_string_or_null (o, "userCode", fake_graph_last_user_code (c->fg));
  ctl_ok (c, o);
}

static void
ctl_expire (Ctl *c)
{
  fake_graph_expire_access_tokens (c->fg);
  ctl_ok (c, NULL);
}

static void
ctl_revoke (Ctl *c)
{
  fake_graph_revoke_refresh_tokens (c->fg);
  ctl_ok (c, NULL);
}

static void
ctl_refresh_token (Ctl *c)
{
  char *token = fake_graph_issue_refresh_token (c->fg);
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "refreshToken", token);
  g_free (token);
  ctl_ok (c, o);
}

static void
ctl_identity_settings (Ctl *c)
{
  if (json_object_has_member (c->body, "tokenLifetime"))
    fake_graph_set_token_lifetime (c->fg, (guint) int_arg (c, "tokenLifetime", 3600));
  if (json_object_has_member (c->body, "interval"))
    fake_graph_set_device_interval (c->fg, (guint) int_arg (c, "interval", 1));
  if (json_object_has_member (c->body, "autoApprove"))
    fake_graph_set_device_auto_approve (c->fg, (int) int_arg (c, "autoApprove", 1));
  if (json_object_has_member (c->body, "deviceCodeLifetime"))
    fake_graph_set_device_code_lifetime (c->fg, (guint) int_arg (c, "deviceCodeLifetime", 900));
  ctl_ok (c, NULL);
}

/* ---- looking ---- */

static void
ctl_info (Ctl *c)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "baseUrl", c->fg->base_url);
  json_object_set_string_member (o, "graphUrl", c->fg->graph_url);
  json_object_set_string_member (o, "tenantId", c->fg->tenant_id);
  json_object_set_string_member (o, "me", c->fg->me->upn);
  json_object_set_string_member (o, "meId", c->fg->me->id);
  ctl_ok (c, o);
}

static void
ctl_chats (Ctl *c)
{
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < c->fg->chats->len; i++) {
    FakeChat *chat = g_ptr_array_index (c->fg->chats, i);
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "id", chat->id);
    json_object_set_string_member (o, "chatType", chat->chat_type);
    fake_json_set_string_or_null (o, "topic", chat->topic);
    JsonArray *members = json_array_new ();
    for (guint m = 0; m < chat->members->len; m++)
      json_array_add_string_element (members,
                                     ((FakeMember *) g_ptr_array_index (chat->members, m))->user->upn);
    json_object_set_array_member (o, "members", members);
    json_object_set_int_member (o, "messages", chat->messages->len);
    json_array_add_object_element (arr, o);
  }
  JsonObject *o = json_object_new ();
  json_object_set_array_member (o, "chats", arr);
  ctl_ok (c, o);
}

static void
ctl_messages (Ctl *c)
{
  const char *chat_id = need_chat (c);
  if (chat_id == NULL)
    return;
  FakeChat *chat = fake_store_chat (c->fg, chat_id);
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < chat->messages->len; i++)
    json_array_add_element (arr, fake_render_message (c->fg, chat,
                                                      g_ptr_array_index (chat->messages, i), TRUE));
  JsonObject *o = json_object_new ();
  json_object_set_array_member (o, "messages", arr);
  ctl_ok (c, o);
}

typedef struct {
  const char *method;
  const char *path;
  void (*handler) (Ctl *c);
} CtlRoute;

static void ctl_member_add (Ctl *c) { ctl_member (c, TRUE); }
static void ctl_member_remove (Ctl *c) { ctl_member (c, FALSE); }
static void ctl_approve (Ctl *c) { ctl_device (c, TRUE); }
static void ctl_decline (Ctl *c) { ctl_device (c, FALSE); }

static const CtlRoute ctl_routes[] = {
  { "POST", "/_fake/inject", ctl_inject },
  { "POST", "/_fake/edit", ctl_edit },
  { "POST", "/_fake/delete", ctl_delete },
  { "POST", "/_fake/react", ctl_react },
  { "POST", "/_fake/pin", ctl_pin },
  { "POST", "/_fake/rename", ctl_rename },
  { "POST", "/_fake/member/add", ctl_member_add },
  { "POST", "/_fake/member/remove", ctl_member_remove },
  { "POST", "/_fake/presence", ctl_presence },
  { "POST", "/_fake/status-message", ctl_status_message },
  { "POST", "/_fake/mark-read", ctl_mark_read },
  { "POST", "/_fake/user", ctl_user },
  { "POST", "/_fake/chat", ctl_chat },
  { "POST", "/_fake/fault", ctl_fault },
  { "POST", "/_fake/fault/clear", ctl_faults_clear },
  { "DELETE", "/_fake/fault", ctl_faults_clear },
  { "GET", "/_fake/log", ctl_log },
  { "POST", "/_fake/log/clear", ctl_log_clear },
  { "DELETE", "/_fake/log", ctl_log_clear },
  { "POST", "/_fake/approve", ctl_approve },
  { "POST", "/_fake/decline", ctl_decline },
  { "GET", "/_fake/user-code", ctl_user_code },
  { "POST", "/_fake/expire-tokens", ctl_expire },
  { "POST", "/_fake/revoke-refresh-tokens", ctl_revoke },
  { "POST", "/_fake/refresh-token", ctl_refresh_token },
  { "POST", "/_fake/identity", ctl_identity_settings },
  { "GET", "/_fake/info", ctl_info },
  { "GET", "/_fake/chats", ctl_chats },
  { "GET", "/_fake/messages", ctl_messages },
};

void
fake_control_handle (FakeReq *req, FakeResp *resp)
{
  Ctl c = { req, resp, req->fg, NULL, json_object_new () };
  if (req->body && g_bytes_get_size (req->body)) {
    c.body = fake_req_json_object (req, resp);
    if (c.body == NULL) {
      json_object_unref (c.empty);
      return;
    }
  }
  if (c.body == NULL)
    c.body = c.empty;
  const CtlRoute *found = NULL;
  for (guint i = 0; !found && i < G_N_ELEMENTS (ctl_routes); i++)
    if (strcmp (ctl_routes[i].path, req->path) == 0 && strcmp (ctl_routes[i].method, req->method) == 0)
      found = &ctl_routes[i];
  if (found)
    found->handler (&c);
  else
    ctl_error (&c, 404, "no control endpoint %s (see tests/fake-graph/README.md)", req->path);
  json_object_unref (c.empty);
}
