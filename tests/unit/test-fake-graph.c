/* test-fake-graph — self-tests of the Graph emulator through plain libsoup requests: the
 * shapes, rules and 400s that every other test relies on. */
#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include "fake-graph/fake-graph.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"

typedef struct {
  FakeGraph *fg;
  SoupSession *session;
  char *token;
} Fx;

typedef struct {
  guint status;
  GBytes *body;
  JsonNode *json;
  SoupMessageHeaders *headers;
  GError *error;
  gboolean done;
  gint64 elapsed_ms;
} Reply;

static void
reply_free (Reply *r)
{
  if (r->body)
    g_bytes_unref (r->body);
  if (r->json)
    json_node_unref (r->json);
  if (r->headers)
    soup_message_headers_unref (r->headers);
  g_clear_error (&r->error);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

/* ---- the fixture ---- */

static Fx *
fx_new (void)
{
  Fx *fx = g_new0 (Fx, 1);
  fx->fg = fake_graph_new (ME);
  fake_graph_add_user (fx->fg, BOB, "Bob Builder");
  fake_graph_add_user (fx->fg, CAROL, "Carol Danvers");
  g_assert_true (fake_graph_listen (fx->fg, 0, NULL));
  fx->session = soup_session_new_with_options ("timeout", 20, NULL);
  return fx;
}

static void
fx_free (Fx *fx)
{
  g_object_unref (fx->session);
  /* let the server see the client's connections close before it goes */
  gint64 until = g_get_monotonic_time () + 50 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  fake_graph_free (fx->fg);
  g_free (fx->token);
  g_free (fx);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- requests ---- */

static void
sent_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Reply *r = data;
  r->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &r->error);
  r->done = TRUE;
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static Reply *
send_message (Fx *fx, SoupMessage *msg)
{
  Reply *r = g_new0 (Reply, 1);
  gint64 start = g_get_monotonic_time ();
  guint waker = g_timeout_add (50, wake, NULL);
  soup_session_send_and_read_async (fx->session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, r);
  while (!r->done) {
    g_main_context_iteration (NULL, TRUE);
    if (g_get_monotonic_time () - start > 20 * G_USEC_PER_SEC)
      g_error ("request hangs: %s", g_uri_get_path (soup_message_get_uri (msg)));
  }
  g_source_remove (waker);
  r->elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  r->status = soup_message_get_status (msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  const char *type = soup_message_headers_get_content_type (r->headers, NULL);
  if (r->body && type && strstr (type, "json") && g_bytes_get_size (r->body)) {
    JsonParser *parser = json_parser_new ();
    gsize len;
    const char *data = g_bytes_get_data (r->body, &len);
    if (json_parser_load_from_data (parser, data, len, NULL))
      r->json = json_node_copy (json_parser_get_root (parser));
    g_object_unref (parser);
  }
  g_object_unref (msg);
  return r;
}

static SoupMessage *
new_message (Fx *fx, const char *method, const char *path)
{
  char *url = g_str_has_prefix (path, "http") ? g_strdup (path)
                                              : g_strconcat (fake_graph_base_url (fx->fg), path, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  g_free (url);
  if (fx->token) {
    char *auth = g_strdup_printf ("Bearer %s", fx->token);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    g_free (auth);
  }
  return msg;
}

/* `path` is relative to the base URL (or a whole URL); `headers` a NULL-terminated name, value
 * list; `json` the body or NULL. */
static Reply *
http (Fx *fx, const char *method, const char *path, const char *json, const char *const *headers)
{
  SoupMessage *msg = new_message (fx, method, path);
  for (guint i = 0; headers && headers[i]; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  if (json) {
    GBytes *bytes = g_bytes_new (json, strlen (json));
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    g_bytes_unref (bytes);
  }
  return send_message (fx, msg);
}

static Reply *
get (Fx *fx, const char *path)
{
  return http (fx, "GET", path, NULL, NULL);
}

static Reply *
post_form (Fx *fx, const char *path, ...)
{
  va_list ap;
  va_start (ap, path);
  GHashTable *form = g_hash_table_new (g_str_hash, g_str_equal);
  const char *name;
  while ((name = va_arg (ap, const char *)))
    g_hash_table_insert (form, (gpointer) name, va_arg (ap, char *));
  va_end (ap);
  char *encoded = soup_form_encode_hash (form);
  g_hash_table_unref (form);
  SoupMessage *msg = new_message (fx, "POST", path);
  GBytes *bytes = g_bytes_new_take (encoded, strlen (encoded));
  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
  g_bytes_unref (bytes);
  return send_message (fx, msg);
}

static JsonObject *
obj (Reply *r)
{
  g_assert_nonnull (r->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (r->json));
  return json_node_get_object (r->json);
}

static JsonArray *
value (Reply *r)
{
  return json_object_get_array_member (obj (r), "value");
}

static const char *
str (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

static gboolean
is_null (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  return n && JSON_NODE_HOLDS_NULL (n);
}

static void
assert_graph_error (Reply *r, guint status, const char *code)
{
  g_assert_cmpuint (r->status, ==, status);
  JsonObject *err = json_object_get_object_member (obj (r), "error");
  g_assert_cmpstr (str (err, "code"), ==, code);
  g_assert_nonnull (str (err, "message"));
  JsonObject *inner = json_object_get_object_member (err, "innerError");
  g_assert_nonnull (str (inner, "date"));
  g_assert_nonnull (str (inner, "request-id"));
  g_assert_nonnull (str (inner, "client-request-id"));
}

static void
assert_oauth_error (Reply *r, const char *error)
{
  g_assert_cmpuint (r->status, ==, 400);
  g_assert_cmpstr (str (obj (r), "error"), ==, error);
  g_assert_nonnull (str (obj (r), "error_description"));
}

/* A signed-in fixture: an access token from a refresh token grant. */
static void
fx_sign_in (Fx *fx)
{
  char *refresh = fake_graph_issue_refresh_token (fx->fg);
  g_autoptr (Reply) r = post_form (fx, "/organizations/oauth2/v2.0/token",
                                   "grant_type", "refresh_token", "client_id", "test",
                                   "refresh_token", refresh, NULL);
  g_free (refresh);
  g_assert_cmpuint (r->status, ==, 200);
  g_free (fx->token);
  fx->token = g_strdup (str (obj (r), "access_token"));
}

static Fx *
fx_signed_in (void)
{
  Fx *fx = fx_new ();
  fx_sign_in (fx);
  return fx;
}

static char *
graph_path (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *rel = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  char *path = g_strconcat ("/v1.0", rel, NULL);
  g_free (rel);
  return path;
}

static const char *
group_chat (Fx *fx, const char *topic)
{
  const char *members[] = { BOB, CAROL, NULL };
  return fake_graph_add_chat (fx->fg, "group", topic, members);
}

/* ---- identity ---- */

static void
test_token_missing_expired (void)
{
  Fx *fx = fx_new ();
  g_autoptr (Reply) none = get (fx, "/v1.0/me");
  assert_graph_error (none, 401, "InvalidAuthenticationToken");
  fx->token = g_strdup ("made-up");
  g_autoptr (Reply) bad = get (fx, "/v1.0/me");
  assert_graph_error (bad, 401, "InvalidAuthenticationToken");
  fx_sign_in (fx);
  g_autoptr (Reply) ok = get (fx, "/v1.0/me");
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpstr (str (obj (ok), "userPrincipalName"), ==, ME);
  fake_graph_expire_access_tokens (fx->fg);
  g_autoptr (Reply) expired = get (fx, "/v1.0/me");
  assert_graph_error (expired, 401, "InvalidAuthenticationToken");
  /* a lifetime of 0 s issues tokens that are already expired */
  fake_graph_set_token_lifetime (fx->fg, 0);
  fx_sign_in (fx);
  g_autoptr (Reply) zero = get (fx, "/v1.0/me");
  g_assert_cmpuint (zero->status, ==, 401);
  fx_free (fx);
}

static Reply *
poll_device (Fx *fx, const char *device_code)
{
  return post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code", "client_id", "test",
                    "device_code", device_code, NULL);
}

static char *
start_device (Fx *fx)
{
  g_autoptr (Reply) r = post_form (fx, "/organizations/oauth2/v2.0/devicecode", "client_id",
                                   "test", "scope", "Chat.ReadWrite offline_access", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  JsonObject *o = obj (r);
  g_assert_cmpstr (str (o, "user_code"), ==, fake_graph_last_user_code (fx->fg));
  g_assert_true (g_str_has_prefix (str (o, "verification_uri"), fake_graph_base_url (fx->fg)));
  g_assert_nonnull (strstr (str (o, "message"), str (o, "user_code")));
  g_assert_true (json_object_has_member (o, "expires_in"));
  g_assert_true (json_object_has_member (o, "interval"));
  return g_strdup (str (o, "device_code"));
}

static void
test_device_code_states (void)
{
  Fx *fx = fx_new ();
  fake_graph_set_device_interval (fx->fg, 0);
  fake_graph_set_device_auto_approve (fx->fg, -1);
  g_autofree char *code = start_device (fx);
  g_autoptr (Reply) pending = poll_device (fx, code);
  assert_oauth_error (pending, "authorization_pending");
  g_assert_true (fake_graph_approve_device_code (fx->fg, fake_graph_last_user_code (fx->fg)));
  g_autoptr (Reply) ok = poll_device (fx, code);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpstr (str (obj (ok), "token_type"), ==, "Bearer");
  g_assert_nonnull (str (obj (ok), "access_token"));
  g_assert_nonnull (str (obj (ok), "refresh_token"));
  g_assert_nonnull (str (obj (ok), "id_token"));
  g_assert_cmpint (json_object_get_int_member (obj (ok), "expires_in"), ==, 3600);
  g_autoptr (Reply) again = poll_device (fx, code);
  assert_oauth_error (again, "invalid_grant");
  g_autoptr (Reply) unknown = poll_device (fx, "nope");
  assert_oauth_error (unknown, "bad_verification_code");

  g_autofree char *declined = start_device (fx);
  g_assert_true (fake_graph_decline_device_code (fx->fg, fake_graph_last_user_code (fx->fg)));
  g_autoptr (Reply) no = poll_device (fx, declined);
  assert_oauth_error (no, "authorization_declined");

  fake_graph_set_device_code_lifetime (fx->fg, 0);
  g_autofree char *expired = start_device (fx);
  g_autoptr (Reply) late = poll_device (fx, expired);
  assert_oauth_error (late, "expired_token");
  fx_free (fx);
}

static void
test_device_code_auto_and_slow_down (void)
{
  Fx *fx = fx_new ();
  /* defaults: interval 1 s, approved after one poll; polling at once is too fast */
  g_autofree char *code = start_device (fx);
  g_autoptr (Reply) fast = poll_device (fx, code);
  assert_oauth_error (fast, "slow_down");
  fake_graph_set_device_interval (fx->fg, 0);
  g_autofree char *code2 = start_device (fx);
  g_autoptr (Reply) first = poll_device (fx, code2);
  assert_oauth_error (first, "authorization_pending");
  g_autoptr (Reply) second = poll_device (fx, code2);
  g_assert_cmpuint (second->status, ==, 200);
  fake_graph_set_device_auto_approve (fx->fg, 0);
  g_autofree char *code3 = start_device (fx);
  g_autoptr (Reply) at_once = poll_device (fx, code3);
  g_assert_cmpuint (at_once->status, ==, 200);
  fx_free (fx);
}

static void
test_refresh_rotation_and_revoke (void)
{
  Fx *fx = fx_new ();
  g_autofree char *refresh = fake_graph_issue_refresh_token (fx->fg);
  g_autoptr (Reply) r = post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type",
                                   "refresh_token", "client_id", "test", "refresh_token", refresh,
                                   "scope", "Chat.ReadWrite offline_access", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  const char *rotated = str (obj (r), "refresh_token");
  g_assert_nonnull (rotated);
  g_assert_cmpstr (rotated, !=, refresh);
  fake_graph_revoke_refresh_tokens (fx->fg);
  g_autoptr (Reply) revoked = post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type",
                                         "refresh_token", "client_id", "test", "refresh_token",
                                         rotated, NULL);
  assert_oauth_error (revoked, "invalid_grant");
  g_autoptr (Reply) no_grant = post_form (fx, "/organizations/oauth2/v2.0/token", "client_id",
                                          "test", NULL);
  assert_oauth_error (no_grant, "invalid_request");
  fx_free (fx);
}

static char *
s256 (const char *verifier)
{
  guint8 digest[32];
  gsize len = sizeof digest;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  char *b64 = g_base64_encode (digest, len);
  for (char *p = b64; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  *strchrnul (b64, '=') = '\0';
  return b64;
}

static void
test_pkce (void)
{
  Fx *fx = fx_new ();
  const char *verifier = "a-verifier-that-is-long-enough-0123456789abcdefghijklmnop";
  g_autofree char *challenge = s256 (verifier);
  g_autofree char *path = g_strdup_printf (
      "/organizations/oauth2/v2.0/authorize?client_id=test&response_type=code&redirect_uri="
      "http%%3A%%2F%%2Flocalhost%%3A4321&scope=Chat.ReadWrite%%20offline_access&state=xyz&"
      "code_challenge=%s&code_challenge_method=S256", challenge);
  SoupMessage *msg = new_message (fx, "GET", path);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  g_autoptr (Reply) r = send_message (fx, msg);
  g_assert_cmpuint (r->status, ==, 302);
  const char *location = soup_message_headers_get_one (r->headers, "Location");
  g_assert_true (g_str_has_prefix (location, "http://localhost:4321?code="));
  g_assert_nonnull (strstr (location, "&state=xyz"));
  GUri *uri = g_uri_parse (location, G_URI_FLAGS_NONE, NULL);
  GHashTable *params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  const char *code = g_hash_table_lookup (params, "code");
  g_autoptr (Reply) wrong = post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type",
                                       "authorization_code", "client_id", "test", "code", code,
                                       "redirect_uri", "http://localhost:4321", "code_verifier",
                                       "wrong", NULL);
  assert_oauth_error (wrong, "invalid_grant");
  g_autoptr (Reply) ok = post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type",
                                    "authorization_code", "client_id", "test", "code", code,
                                    "redirect_uri", "http://localhost:4321", "code_verifier",
                                    verifier, NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_nonnull (str (obj (ok), "refresh_token"));
  g_autoptr (Reply) reused = post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type",
                                        "authorization_code", "client_id", "test", "code", code,
                                        "redirect_uri", "http://localhost:4321", "code_verifier",
                                        verifier, NULL);
  assert_oauth_error (reused, "invalid_grant");
  g_hash_table_unref (params);
  g_uri_unref (uri);
  fx_free (fx);
}

/* ---- chats ---- */

/* Follows nextLinks; returns every id seen, checks skip tokens are opaque. */
static GPtrArray *
collect_pages (Fx *fx, const char *first, guint *pages)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  char *next = g_strdup (first);
  *pages = 0;
  while (next) {
    g_autoptr (Reply) r = get (fx, next);
    g_free (next);
    next = NULL;
    g_assert_cmpuint (r->status, ==, 200);
    (*pages)++;
    JsonArray *arr = value (r);
    for (guint i = 0; i < json_array_get_length (arr); i++)
      g_ptr_array_add (ids, g_strdup (str (json_array_get_object_element (arr, i), "id")));
    const char *link = str (obj (r), "@odata.nextLink");
    if (link) {
      g_assert_true (g_str_has_prefix (link, fake_graph_graph_url (fx->fg)));
      const char *tok = strstr (link, "$skiptoken=");
      g_assert_nonnull (tok);
      tok += strlen ("$skiptoken=");
      gboolean digits = TRUE;
      for (const char *p = tok; *p && *p != '&'; p++)
        digits = digits && g_ascii_isdigit (*p);
      g_assert_false (digits);
      next = g_strdup (link);
    }
  }
  return ids;
}

static void
assert_unique (GPtrArray *ids)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_add (seen, ids->pdata[i]));
  g_hash_table_unref (seen);
}

static void
test_chat_paging (void)
{
  Fx *fx = fx_signed_in ();
  for (guint i = 0; i < 45; i++) {
    char *topic = g_strdup_printf ("Topic %u", i);
    const char *id = group_chat (fx, topic);
    fake_graph_inject_message (fx->fg, id, BOB, "hi");
    g_free (topic);
  }
  guint pages;
  g_autoptr (GPtrArray) ids = collect_pages (fx, "/v1.0/me/chats?$top=20&$expand=members", &pages);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (ids->len, ==, 45);
  assert_unique (ids);
  g_autoptr (Reply) big = get (fx, "/v1.0/me/chats?$top=51");
  assert_graph_error (big, 400, "BadRequest");
  g_autoptr (Reply) asc = get (fx, "/v1.0/me/chats?$orderby=lastMessagePreview/createdDateTime%20asc");
  assert_graph_error (asc, 400, "BadRequest");
  fx_free (fx);
}

static void
test_chat_fields_and_order (void)
{
  Fx *fx = fx_signed_in ();
  const char *one_members[] = { BOB, NULL };
  const char *one = fake_graph_add_chat (fx->fg, "oneOnOne", NULL, one_members);
  const char *group = group_chat (fx, "Team");
  fake_graph_inject_message (fx->fg, group, BOB, "first");
  fake_graph_inject_message (fx->fg, one, BOB, "second");
  g_autoptr (Reply) r = get (fx, "/v1.0/me/chats?$expand=lastMessagePreview&"
                                 "$orderby=lastMessagePreview/createdDateTime%20desc");
  g_assert_cmpuint (r->status, ==, 200);
  JsonArray *arr = value (r);
  g_assert_cmpuint (json_array_get_length (arr), ==, 2);
  JsonObject *c0 = json_array_get_object_element (arr, 0);
  g_assert_cmpstr (str (c0, "id"), ==, one);
  g_assert_true (g_str_has_suffix (one, "@unq.gbl.spaces"));
  g_assert_true (is_null (c0, "topic"));
  g_assert_cmpstr (str (c0, "chatType"), ==, "oneOnOne");
  g_assert_nonnull (str (c0, "tenantId"));
  g_assert_nonnull (str (c0, "webUrl"));
  JsonObject *vp = json_object_get_object_member (c0, "viewpoint");
  g_assert_cmpstr (str (vp, "lastMessageReadDateTime"), ==, "0001-01-01T00:00:00Z");
  JsonObject *preview = json_object_get_object_member (c0, "lastMessagePreview");
  g_assert_cmpstr (str (json_object_get_object_member (preview, "body"), "content"), ==, "second");
  g_assert_false (json_object_get_boolean_member (preview, "isDeleted"));
  /* a message does not bump lastUpdatedDateTime; a rename does */
  g_assert_cmpstr (str (c0, "lastUpdatedDateTime"), ==, str (c0, "createdDateTime"));
  fake_graph_mark_read (fx->fg, one);
  g_autofree char *path = graph_path ("/chats/%s", one);
  g_autoptr (Reply) read = get (fx, path);
  vp = json_object_get_object_member (obj (read), "viewpoint");
  g_assert_cmpstr (str (vp, "lastMessageReadDateTime"), !=, "0001-01-01T00:00:00Z");
  g_autoptr (Reply) groups = get (fx, "/v1.0/me/chats?$filter=chatType%20eq%20'group'");
  g_assert_cmpuint (json_array_get_length (value (groups)), ==, 1);
  g_assert_cmpstr (str (json_array_get_object_element (value (groups), 0), "topic"), ==, "Team");
  fx_free (fx);
}

static void
test_patch_and_create (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Old");
  g_autofree char *path = graph_path ("/chats/%s", group);
  g_autoptr (Reply) colon = http (fx, "PATCH", path, "{\"topic\":\"a:b\"}", NULL);
  assert_graph_error (colon, 400, "BadRequest");
  g_autofree char *long_topic = g_strnfill (251, 'x');
  g_autofree char *long_body = g_strdup_printf ("{\"topic\":\"%s\"}", long_topic);
  g_autoptr (Reply) too_long = http (fx, "PATCH", path, long_body, NULL);
  assert_graph_error (too_long, 400, "BadRequest");
  g_autoptr (Reply) ok = http (fx, "PATCH", path, "{\"topic\":\"New\"}", NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpstr (str (obj (ok), "topic"), ==, "New");
  g_assert_cmpstr (str (obj (ok), "lastUpdatedDateTime"), !=, str (obj (ok), "createdDateTime"));

  const char *bob_id = fake_graph_user_id (fx->fg, BOB);
  g_autofree char *create_one = g_strdup_printf (
      "{\"chatType\":\"oneOnOne\",\"members\":["
      "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\",\"roles\":[\"owner\"],"
      "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users('%s')\"},"
      "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\",\"roles\":[\"owner\"],"
      "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users('%s')\"}]}", ME, bob_id);
  g_autoptr (Reply) c1 = http (fx, "POST", "/v1.0/chats", create_one, NULL);
  g_assert_cmpuint (c1->status, ==, 201);
  g_autoptr (Reply) c2 = http (fx, "POST", "/v1.0/chats", create_one, NULL);
  g_assert_cmpuint (c2->status, ==, 201);
  g_assert_cmpstr (str (obj (c1), "id"), ==, str (obj (c2), "id"));
  g_autofree char *one_path = graph_path ("/chats/%s", str (obj (c1), "id"));
  g_autoptr (Reply) one_topic = http (fx, "PATCH", one_path, "{\"topic\":\"x\"}", NULL);
  assert_graph_error (one_topic, 400, "BadRequest");

  const char *without_me =
      "{\"chatType\":\"group\",\"topic\":\"T\",\"members\":["
      "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\","
      "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users('" BOB "')\"},"
      "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\","
      "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users('" CAROL "')\"}]}";
  g_autoptr (Reply) refused = http (fx, "POST", "/v1.0/chats", without_me, NULL);
  assert_graph_error (refused, 403, "Forbidden");
  const char *group_body =
      "{\"chatType\":\"group\",\"topic\":\"T\",\"members\":["
      "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\","
      "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users('" ME "')\"},"
      "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\","
      "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users/" CAROL "\"}]}";
  g_autoptr (Reply) created = http (fx, "POST", "/v1.0/chats", group_body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  g_assert_cmpstr (str (obj (created), "chatType"), ==, "group");
  g_assert_true (g_str_has_suffix (str (obj (created), "id"), "@thread.v2"));
  fx_free (fx);
}

/* ---- members ---- */

static void
test_members (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Members");
  fake_graph_add_user (fx->fg, "dave@contoso.com", "Dave Lister");
  g_autofree char *path = graph_path ("/chats/%s/members", group);
  g_autoptr (Reply) list = get (fx, path);
  g_assert_cmpuint (list->status, ==, 200);
  JsonArray *arr = value (list);
  g_assert_cmpuint (json_array_get_length (arr), ==, 3);
  const char *bob_id = fake_graph_user_id (fx->fg, BOB);
  const char *bob_membership = NULL;
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonObject *m = json_array_get_object_element (arr, i);
    g_assert_cmpstr (str (m, "@odata.type"), ==, "#microsoft.graph.aadUserConversationMember");
    g_assert_cmpstr (str (m, "id"), !=, str (m, "userId"));
    g_assert_nonnull (str (m, "email"));
    g_assert_nonnull (str (m, "displayName"));
    if (g_strcmp0 (str (m, "userId"), bob_id) == 0)
      bob_membership = str (m, "id");
  }
  g_assert_nonnull (bob_membership);
  g_autofree char *by_user = graph_path ("/chats/%s/members/%s", group, bob_id);
  g_autoptr (Reply) wrong = http (fx, "DELETE", by_user, NULL, NULL);
  assert_graph_error (wrong, 404, "NotFound");
  g_autofree char *by_membership = graph_path ("/chats/%s/members/%s", group, bob_membership);
  g_autoptr (Reply) gone = http (fx, "DELETE", by_membership, NULL, NULL);
  g_assert_cmpuint (gone->status, ==, 204);

  const char *add = "{\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\","
                    "\"user@odata.bind\":\"https://graph.microsoft.com/v1.0/users('dave@contoso.com')\","
                    "\"visibleHistoryStartDateTime\":\"0001-01-01T00:00:00Z\",\"roles\":[\"owner\"]}";
  g_autoptr (Reply) added = http (fx, "POST", path, add, NULL);
  g_assert_cmpuint (added->status, ==, 201);
  const char *location = soup_message_headers_get_one (added->headers, "Location");
  g_assert_nonnull (location);
  g_assert_nonnull (strstr (location, "/members/"));
  g_autoptr (Reply) twice = http (fx, "POST", path, add, NULL);
  g_assert_cmpuint (twice->status, ==, 409);

  g_autoptr (Reply) after = get (fx, path);
  g_assert_cmpuint (json_array_get_length (value (after)), ==, 3);
  /* the two changes left system events: membersDeleted then membersAdded */
  g_autofree char *msgs = graph_path ("/chats/%s/messages?$orderby=createdDateTime%%20desc", group);
  const char *prefer[] = { "Prefer", "include-unknown-enum-members", NULL };
  g_autoptr (Reply) events = http (fx, "GET", msgs, NULL, prefer);
  JsonArray *ev = value (events);
  g_assert_cmpuint (json_array_get_length (ev), ==, 2);
  JsonObject *added_ev = json_array_get_object_element (ev, 0);
  JsonObject *detail = json_object_get_object_member (added_ev, "eventDetail");
  g_assert_cmpstr (str (detail, "@odata.type"), ==,
                   "#microsoft.graph.membersAddedEventMessageDetail");
  g_assert_cmpstr (str (detail, "visibleHistoryStartDateTime"), ==, "0001-01-01T00:00:00Z");
  JsonObject *who = json_array_get_object_element (json_object_get_array_member (detail, "members"), 0);
  g_assert_cmpstr (str (who, "displayName"), ==, "Dave Lister");
  g_assert_nonnull (json_object_get_object_member (detail, "initiator"));
  detail = json_object_get_object_member (json_array_get_object_element (ev, 1), "eventDetail");
  g_assert_cmpstr (str (detail, "@odata.type"), ==,
                   "#microsoft.graph.membersDeletedEventMessageDetail");
  fx_free (fx);
}

/* ---- messages ---- */

static void
test_message_paging (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Busy");
  for (guint i = 0; i < 55; i++) {
    char *html = g_strdup_printf ("message %u", i);
    fake_graph_inject_message (fx->fg, group, i % 2 ? BOB : CAROL, html);
    g_free (html);
  }
  g_autofree char *path = graph_path ("/chats/%s/messages?$top=25", group);
  guint pages;
  g_autoptr (GPtrArray) ids = collect_pages (fx, path, &pages);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (ids->len, ==, 55);
  assert_unique (ids);
  /* newest first, and ids are creation times in ms, strictly increasing */
  for (guint i = 1; i < ids->len; i++)
    g_assert_cmpint (g_ascii_strtoll (ids->pdata[i - 1], NULL, 10), >,
                     g_ascii_strtoll (ids->pdata[i], NULL, 10));
  g_autofree char *big = graph_path ("/chats/%s/messages?$top=51", group);
  g_autoptr (Reply) r = get (fx, big);
  assert_graph_error (r, 400, "BadRequest");
  fx_free (fx);
}

static char *
iso_of_ms (gint64 ms)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (ms / 1000);
  char *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  char *text = g_strdup_printf ("%s.%03dZ", base, (int) (ms % 1000));
  g_free (base);
  g_date_time_unref (dt);
  return text;
}

static guint
count_messages (Fx *fx, const char *chat, const char *query, guint expect_status)
{
  g_autofree char *path = graph_path ("/chats/%s/messages?%s", chat, query);
  g_autoptr (Reply) r = get (fx, path);
  g_assert_cmpuint (r->status, ==, expect_status);
  if (expect_status != 200) {
    assert_graph_error (r, expect_status, "BadRequest");
    return 0;
  }
  return json_array_get_length (value (r));
}

static void
test_message_filter_rules (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Filters");
  const char *first = fake_graph_inject_message (fx->fg, group, BOB, "one");
  fake_graph_inject_message (fx->fg, group, BOB, "two");
  fake_graph_inject_message (fx->fg, group, BOB, "three");
  g_autofree char *t = iso_of_ms (g_ascii_strtoll (first, NULL, 10));
  g_autofree char *gt = g_strdup_printf ("$filter=lastModifiedDateTime%%20gt%%20%s", t);
  g_autofree char *gt_ordered = g_strdup_printf ("$orderby=lastModifiedDateTime%%20desc&%s", gt);
  g_autofree char *ge = g_strdup_printf ("$orderby=lastModifiedDateTime%%20desc&"
                                         "$filter=lastModifiedDateTime%%20ge%%20%s", t);
  g_autofree char *lt_created = g_strdup_printf ("$orderby=createdDateTime%%20desc&"
                                                 "$filter=createdDateTime%%20lt%%20%s", t);
  g_autofree char *lt_wrong_order = g_strdup_printf ("$orderby=lastModifiedDateTime%%20desc&"
                                                     "$filter=createdDateTime%%20lt%%20%s", t);
  g_assert_cmpuint (count_messages (fx, group, gt_ordered, 200), ==, 2);
  count_messages (fx, group, gt, 400);               /* needs the explicit $orderby */
  count_messages (fx, group, ge, 400);               /* ge/le refused */
  g_assert_cmpuint (count_messages (fx, group, lt_created, 200), ==, 0);
  count_messages (fx, group, lt_wrong_order, 400);
  count_messages (fx, group, "$orderby=createdDateTime%20asc", 400);
  count_messages (fx, group, "$orderby=subject%20desc", 400);
  /* a filter on another field is silently ignored */
  g_assert_cmpuint (count_messages (fx, group, "$filter=subject%20eq%20'x'", 200), ==, 3);
  /* an edit moves a message past the watermark */
  fake_graph_edit_message (fx->fg, group, first, "one, edited");
  g_assert_cmpuint (count_messages (fx, group, gt_ordered, 200), ==, 3);
  fx_free (fx);
}

static void
test_system_messages_and_prefer (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Before");
  g_assert_true (fake_graph_rename_chat (fx->fg, group, BOB, "After"));
  g_autofree char *path = graph_path ("/chats/%s/messages", group);
  g_autoptr (Reply) plain = get (fx, path);
  JsonObject *m = json_array_get_object_element (value (plain), 0);
  g_assert_cmpstr (str (m, "messageType"), ==, "unknownFutureValue");
  const char *prefer[] = { "Prefer", "include-unknown-enum-members", NULL };
  g_autoptr (Reply) r = http (fx, "GET", path, NULL, prefer);
  m = json_array_get_object_element (value (r), 0);
  g_assert_cmpstr (str (m, "messageType"), ==, "systemEventMessage");
  g_assert_true (is_null (m, "from"));
  JsonObject *body = json_object_get_object_member (m, "body");
  g_assert_cmpstr (str (body, "content"), ==, "<systemEventMessage/>");
  JsonObject *detail = json_object_get_object_member (m, "eventDetail");
  g_assert_cmpstr (str (detail, "@odata.type"), ==, "#microsoft.graph.chatRenamedEventMessageDetail");
  g_assert_cmpstr (str (detail, "chatDisplayName"), ==, "After");
  JsonObject *initiator = json_object_get_object_member (detail, "initiator");
  g_assert_cmpstr (str (json_object_get_object_member (initiator, "user"), "id"), ==,
                   fake_graph_user_id (fx->fg, BOB));
  g_autofree char *chat_path = graph_path ("/chats/%s?$expand=lastMessagePreview", group);
  g_autoptr (Reply) chat = http (fx, "GET", chat_path, NULL, prefer);
  g_assert_cmpstr (str (obj (chat), "topic"), ==, "After");
  JsonObject *preview = json_object_get_object_member (obj (chat), "lastMessagePreview");
  g_assert_cmpstr (str (preview, "messageType"), ==, "systemEventMessage");
  fx_free (fx);
}

static void
test_send_edit_delete (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Send");
  g_autofree char *path = graph_path ("/chats/%s/messages", group);
  const char *bob_id = fake_graph_user_id (fx->fg, BOB);
  g_autofree char *body = g_strdup_printf (
      "{\"body\":{\"contentType\":\"html\",\"content\":\"hi <at id=\\\"0\\\">Bob</at> "
      "<img src=\\\"../hostedContents/1/$value\\\">\"},"
      "\"mentions\":[{\"id\":0,\"mentionText\":\"Bob\",\"mentioned\":{\"user\":{\"id\":\"%s\","
      "\"displayName\":\"Bob\",\"userIdentityType\":\"aadUser\"}}}],"
      "\"hostedContents\":[{\"@microsoft.graph.temporaryId\":\"1\",\"contentBytes\":\"aGVsbG8=\","
      "\"contentType\":\"image/png\"}]}", bob_id);
  g_autoptr (Reply) sent = http (fx, "POST", path, body, NULL);
  g_assert_cmpuint (sent->status, ==, 201);
  JsonObject *m = obj (sent);
  const char *id = str (m, "id");
  g_assert_cmpstr (str (m, "etag"), ==, id);
  g_assert_cmpstr (str (m, "messageType"), ==, "message");
  g_assert_true (is_null (m, "lastEditedDateTime"));
  g_assert_true (is_null (m, "deletedDateTime"));
  g_assert_true (is_null (m, "replyToId"));
  g_assert_cmpstr (str (m, "chatId"), ==, group);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (m, "mentions")), ==, 1);
  const char *content = str (json_object_get_object_member (m, "body"), "content");
  const char *src = strstr (content, fake_graph_graph_url (fx->fg));
  g_assert_nonnull (src);
  g_autofree char *img = g_strndup (src, strchr (src, '"') - src);
  g_autoptr (Reply) bytes = get (fx, img);
  g_assert_cmpuint (bytes->status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (bytes->body, NULL), g_bytes_get_size (bytes->body), "hello", 5);

  g_autoptr (Reply) bad_mention = http (fx, "POST", path,
      "{\"body\":{\"contentType\":\"html\",\"content\":\"no tag\"},\"mentions\":[{\"id\":0,"
      "\"mentionText\":\"x\",\"mentioned\":{\"user\":{\"id\":\"x\"}}}]}", NULL);
  assert_graph_error (bad_mention, 400, "BadRequest");

  g_autofree char *msg_path = graph_path ("/chats/%s/messages/%s", group, id);
  g_autoptr (Reply) edited = http (fx, "PATCH", msg_path,
                                   "{\"body\":{\"contentType\":\"text\",\"content\":\"edited\"}}", NULL);
  g_assert_cmpuint (edited->status, ==, 204);
  g_autoptr (Reply) after_edit = get (fx, msg_path);
  g_assert_false (is_null (obj (after_edit), "lastEditedDateTime"));
  g_assert_cmpstr (str (obj (after_edit), "etag"), !=, id);
  g_assert_cmpstr (str (obj (after_edit), "id"), ==, id);

  const char *bobs = fake_graph_inject_message (fx->fg, group, BOB, "bob's");
  g_autofree char *bob_path = graph_path ("/chats/%s/messages/%s", group, bobs);
  g_autoptr (Reply) not_mine = http (fx, "PATCH", bob_path,
                                     "{\"body\":{\"contentType\":\"text\",\"content\":\"x\"}}", NULL);
  assert_graph_error (not_mine, 403, "Forbidden");
  const char *me_id = fake_graph_user_id (fx->fg, ME);
  g_autofree char *del_bob = graph_path ("/users/%s/chats/%s/messages/%s/softDelete", me_id, group, bobs);
  g_autoptr (Reply) refused = http (fx, "POST", del_bob, NULL, NULL);
  assert_graph_error (refused, 403, "Forbidden");
  g_autofree char *del = graph_path ("/users/%s/chats/%s/messages/%s/softDelete", me_id, group, id);
  g_autoptr (Reply) deleted = http (fx, "POST", del, NULL, NULL);
  g_assert_cmpuint (deleted->status, ==, 204);
  g_autoptr (Reply) gone = get (fx, msg_path);
  g_assert_false (is_null (obj (gone), "deletedDateTime"));
  g_assert_cmpstr (str (json_object_get_object_member (obj (gone), "body"), "content"), ==, "");
  g_autofree char *undo = graph_path ("/users/%s/chats/%s/messages/%s/undoSoftDelete", me_id, group, id);
  g_autoptr (Reply) undone = http (fx, "POST", undo, NULL, NULL);
  g_assert_cmpuint (undone->status, ==, 204);
  g_autoptr (Reply) back = get (fx, msg_path);
  g_assert_true (is_null (obj (back), "deletedDateTime"));
  g_assert_cmpstr (str (json_object_get_object_member (obj (back), "body"), "content"), ==, "edited");

  g_autofree char *react = graph_path ("/chats/%s/messages/%s/setReaction", group, bobs);
  g_autoptr (Reply) reacted = http (fx, "POST", react, "{\"reactionType\":\"👍\"}", NULL);
  g_assert_cmpuint (reacted->status, ==, 204);
  g_autoptr (Reply) with_reaction = get (fx, bob_path);
  JsonArray *reactions = json_object_get_array_member (obj (with_reaction), "reactions");
  g_assert_cmpuint (json_array_get_length (reactions), ==, 1);
  JsonObject *reaction = json_array_get_object_element (reactions, 0);
  g_assert_cmpstr (str (reaction, "reactionType"), ==, "👍");
  JsonObject *who = json_object_get_object_member (json_object_get_object_member (reaction, "user"), "user");
  g_assert_cmpstr (str (who, "id"), ==, me_id);
  fx_free (fx);
}

static void
test_pins (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Pins");
  const char *mid = fake_graph_inject_message (fx->fg, group, BOB, "pin me");
  g_autofree char *path = graph_path ("/chats/%s/pinnedMessages", group);
  g_autofree char *bind = g_strdup_printf ("{\"message@odata.bind\":\"https://graph.microsoft.com"
                                           "/v1.0/chats/%s/messages/%s\"}", group, mid);
  g_autoptr (Reply) pinned = http (fx, "POST", path, bind, NULL);
  g_assert_cmpuint (pinned->status, ==, 201);
  const char *pin_id = str (obj (pinned), "id");
  g_assert_cmpstr (pin_id, !=, mid);
  g_autofree char *expand = graph_path ("/chats/%s/pinnedMessages?$expand=message", group);
  g_autoptr (Reply) list = get (fx, expand);
  JsonObject *p = json_array_get_object_element (value (list), 0);
  g_assert_cmpstr (str (p, "id"), ==, pin_id);
  g_assert_cmpstr (str (json_object_get_object_member (p, "message"), "id"), ==, mid);
  g_autofree char *by_msg = graph_path ("/chats/%s/pinnedMessages/%s", group, mid);
  g_autoptr (Reply) wrong = http (fx, "DELETE", by_msg, NULL, NULL);
  assert_graph_error (wrong, 404, "NotFound");
  g_autofree char *by_pin = graph_path ("/chats/%s/pinnedMessages/%s", group, pin_id);
  g_autoptr (Reply) unpinned = http (fx, "DELETE", by_pin, NULL, NULL);
  g_assert_cmpuint (unpinned->status, ==, 204);
  g_autoptr (Reply) empty = get (fx, path);
  g_assert_cmpuint (json_array_get_length (value (empty)), ==, 0);
  fx_free (fx);
}

static void
test_read_state (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Read");
  fake_graph_inject_message (fx->fg, group, BOB, "unread");
  g_autofree char *path = graph_path ("/chats/%s/markChatReadForUser", group);
  g_autofree char *body = g_strdup_printf ("{\"user\":{\"id\":\"%s\",\"tenantId\":\"%s\"}}",
                                           fake_graph_user_id (fx->fg, ME),
                                           fake_graph_tenant_id (fx->fg));
  g_autoptr (Reply) r = http (fx, "POST", path, body, NULL);
  g_assert_cmpuint (r->status, ==, 204);
  g_autofree char *chat_path = graph_path ("/chats/%s?$expand=lastMessagePreview", group);
  g_autoptr (Reply) chat = get (fx, chat_path);
  const char *read = str (json_object_get_object_member (obj (chat), "viewpoint"),
                          "lastMessageReadDateTime");
  const char *last = str (json_object_get_object_member (obj (chat), "lastMessagePreview"),
                          "createdDateTime");
  g_assert_cmpstr (read, >=, last);
  fx_free (fx);
}

/* ---- batch, faults, log ---- */

static JsonObject *
batch_response (JsonArray *responses, const char *id)
{
  for (guint i = 0; i < json_array_get_length (responses); i++) {
    JsonObject *o = json_array_get_object_element (responses, i);
    if (g_strcmp0 (str (o, "id"), id) == 0)
      return o;
  }
  g_assert_not_reached ();
}

static void
test_batch_mixed (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Batch");
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/users/*", FAKE_FAULT_STATUS, 429, "2.5", 0, 1);
  g_autofree char *body = g_strdup_printf (
      "{\"requests\":["
      "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/chats/%s\"},"
      "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"chats/nope\"},"
      "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/users/" BOB "\"},"
      "{\"id\":\"4\",\"method\":\"POST\",\"url\":\"/chats/%s/messages\","
      "\"headers\":{\"Content-Type\":\"application/json\"},"
      "\"body\":{\"body\":{\"content\":\"from a batch\"}}}]}", group, group);
  g_autoptr (Reply) r = http (fx, "POST", "/v1.0/$batch", body, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  JsonArray *responses = json_object_get_array_member (obj (r), "responses");
  g_assert_cmpuint (json_array_get_length (responses), ==, 4);
  JsonObject *one = batch_response (responses, "1");
  g_assert_cmpint (json_object_get_int_member (one, "status"), ==, 200);
  g_assert_cmpstr (str (json_object_get_object_member (one, "body"), "id"), ==, group);
  JsonObject *two = batch_response (responses, "2");
  g_assert_cmpint (json_object_get_int_member (two, "status"), ==, 404);
  JsonObject *err = json_object_get_object_member (json_object_get_object_member (two, "body"), "error");
  g_assert_cmpstr (str (err, "code"), ==, "NotFound");
  JsonObject *three = batch_response (responses, "3");
  g_assert_cmpint (json_object_get_int_member (three, "status"), ==, 429);
  g_assert_cmpstr (str (json_object_get_object_member (three, "headers"), "Retry-After"), ==, "2.5");
  JsonObject *four = batch_response (responses, "4");
  g_assert_cmpint (json_object_get_int_member (four, "status"), ==, 201);
  g_assert_cmpuint (fake_graph_message_count (fx->fg, group), ==, 1);
  /* the inner requests are logged, flagged */
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/chats/*"), ==, 2);
  GPtrArray *log = fake_graph_requests (fx->fg);
  FakeRequest *last = g_ptr_array_index (log, log->len - 1);
  g_assert_true (last->in_batch);

  GString *many = g_string_new ("{\"requests\":[");
  for (guint i = 0; i < 21; i++)
    g_string_append_printf (many, "%s{\"id\":\"%u\",\"method\":\"GET\",\"url\":\"/me\"}", i ? "," : "", i);
  g_string_append (many, "]}");
  g_autoptr (Reply) too_many = http (fx, "POST", "/v1.0/$batch", many->str, NULL);
  assert_graph_error (too_many, 400, "BadRequest");
  g_string_free (many, TRUE);
  fx_free (fx);
}

static void
test_faults (void)
{
  Fx *fx = fx_signed_in ();
  fake_graph_clear_log (fx->fg);
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_STATUS, 503, "1.5", 0, 2);
  fake_graph_add_fault (fx->fg, "POST", "/v1.0/me", FAKE_FAULT_STATUS, 500, NULL, 0, 0);
  for (guint i = 0; i < 2; i++) {
    g_autoptr (Reply) r = get (fx, "/v1.0/me");
    assert_graph_error (r, 503, "ServiceUnavailable");
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Retry-After"), ==, "1.5");
  }
  g_autoptr (Reply) ok = get (fx, "/v1.0/me");
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 3);
  fake_graph_clear_faults (fx->fg);

  fake_graph_add_fault (fx->fg, NULL, "/v1.0/users/*", FAKE_FAULT_DROP, 0, NULL, 0, 1);
  /* a fresh connection, or libsoup would silently replay the GET on a reused one */
  SoupMessage *msg = new_message (fx, "GET", "/v1.0/users/" BOB);
  soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  g_autoptr (Reply) dropped = send_message (fx, msg);
  g_assert_nonnull (dropped->error);
  GPtrArray *log = fake_graph_requests (fx->fg);
  FakeRequest *last = g_ptr_array_index (log, log->len - 1);
  g_assert_cmpuint (last->status, ==, 0);
  g_assert_cmpstr (last->path, ==, "/v1.0/users/" BOB);

  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_DELAY, 0, NULL, 300, 1);
  g_autoptr (Reply) slow = get (fx, "/v1.0/me");
  g_assert_cmpuint (slow->status, ==, 200);
  g_assert_cmpint (slow->elapsed_ms, >=, 250);
  fx_free (fx);
}

/* Freeing the emulator while it holds a delayed answer neither crashes nor leaks. */
static void
test_free_while_delayed (void)
{
  Fx *fx = fx_signed_in ();
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/me", FAKE_FAULT_DELAY, 0, NULL, 10000, 1);
  Reply *r = g_new0 (Reply, 1);
  SoupMessage *msg = new_message (fx, "GET", "/v1.0/me");
  GCancellable *cancel = g_cancellable_new ();
  soup_session_send_and_read_async (fx->session, msg, G_PRIORITY_DEFAULT, cancel, sent_cb, r);
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (fake_graph_count (fx->fg, "GET", "/v1.0/me") == 0 && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me"), ==, 1);
  g_cancellable_cancel (cancel);
  while (!r->done)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (cancel);
  g_object_unref (msg);
  reply_free (r);
  fx_free (fx);
}

/* ---- users, presence, search ---- */

static void
test_users (void)
{
  Fx *fx = fx_signed_in ();
  fake_graph_set_user_details (fx->fg, CAROL, "Manager", "Engineering", "carol.d@contoso.com");
  fake_graph_set_user_photo (fx->fg, BOB, NULL);
  g_autoptr (Reply) bob = get (fx, "/v1.0/users/" BOB);
  g_assert_cmpuint (bob->status, ==, 200);
  g_assert_cmpstr (str (obj (bob), "displayName"), ==, "Bob Builder");
  g_autoptr (Reply) by_mail = get (fx, "/v1.0/users/carol.d@contoso.com");
  g_assert_cmpuint (by_mail->status, ==, 404);
  g_autoptr (Reply) filtered = get (fx, "/v1.0/users?$filter=mail%20eq%20'carol.d@contoso.com'");
  g_assert_cmpuint (json_array_get_length (value (filtered)), ==, 1);
  g_autoptr (Reply) no_header = get (fx, "/v1.0/users?$search=%22displayName:bo%22");
  assert_graph_error (no_header, 400, "Request_UnsupportedQuery");
  const char *eventual[] = { "ConsistencyLevel", "eventual", NULL };
  g_autoptr (Reply) found = http (fx, "GET", "/v1.0/users?$search=%22displayName:bu%22", NULL, eventual);
  g_assert_cmpuint (json_array_get_length (value (found)), ==, 1);
  g_autoptr (Reply) dept = get (fx, "/v1.0/users/" CAROL "?$select=displayName,department");
  g_assert_cmpstr (str (obj (dept), "department"), ==, "Engineering");
  g_autoptr (Reply) photo = get (fx, "/v1.0/users/" BOB "/photos/48x48/$value");
  g_assert_cmpuint (photo->status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (photo->body, NULL), 4, "\x89PNG", 4);
  g_autoptr (Reply) no_photo = get (fx, "/v1.0/users/" CAROL "/photos/48x48/$value");
  g_assert_cmpuint (no_photo->status, ==, 404);
  g_autoptr (Reply) all = http (fx, "GET", "/v1.0/users/me/chats/getAllMessages", NULL, NULL);
  g_assert_cmpuint (all->status, !=, 200);
  g_autofree char *all_path = graph_path ("/users/%s/chats/getAllMessages",
                                          fake_graph_user_id (fx->fg, ME));
  g_autoptr (Reply) forbidden = get (fx, all_path);
  assert_graph_error (forbidden, 403, "Forbidden");
  fx_free (fx);
}

static void
test_presence (void)
{
  Fx *fx = fx_signed_in ();
  fake_graph_set_presence (fx->fg, BOB, "Busy", "InACall");
  g_autofree char *body = g_strdup_printf ("{\"ids\":[\"%s\",\"%s\"]}",
                                           fake_graph_user_id (fx->fg, BOB), "unknown-id");
  g_autoptr (Reply) r = http (fx, "POST", "/v1.0/communications/getPresencesByUserId", body, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  JsonObject *p = json_array_get_object_element (value (r), 0);
  g_assert_cmpstr (str (p, "availability"), ==, "Busy");
  g_assert_cmpstr (str (p, "activity"), ==, "InACall");
  GString *many = g_string_new ("{\"ids\":[");
  for (guint i = 0; i < 651; i++)
    g_string_append_printf (many, "%s\"id-%u\"", i ? "," : "", i);
  g_string_append (many, "]}");
  g_autoptr (Reply) too_many = http (fx, "POST", "/v1.0/communications/getPresencesByUserId",
                                     many->str, NULL);
  assert_graph_error (too_many, 400, "BadRequest");
  g_string_free (many, TRUE);
  g_autoptr (Reply) set = http (fx, "POST", "/v1.0/me/presence/setUserPreferredPresence",
                                "{\"availability\":\"DoNotDisturb\",\"activity\":\"DoNotDisturb\","
                                "\"expirationDuration\":\"PT1H\"}", NULL);
  g_assert_cmpuint (set->status, ==, 200);
  g_autoptr (Reply) mine = get (fx, "/v1.0/me/presence");
  g_assert_cmpstr (str (obj (mine), "availability"), ==, "DoNotDisturb");
  fx_free (fx);
}

static void
test_search (void)
{
  Fx *fx = fx_signed_in ();
  const char *group = group_chat (fx, "Search");
  fake_graph_inject_message (fx->fg, group, BOB, "the <b>deploy</b> is done");
  fake_graph_inject_message (fx->fg, group, CAROL, "deploy again tomorrow");
  fake_graph_inject_message (fx->fg, group, CAROL, "unrelated");
  const char *tmpl = "{\"requests\":[{\"entityTypes\":[\"chatMessage\"],\"query\":"
                     "{\"queryString\":\"%s\"},\"from\":0,\"size\":25}]}";
  g_autofree char *q1 = g_strdup_printf (tmpl, "deploy");
  g_autoptr (Reply) r1 = http (fx, "POST", "/v1.0/search/query", q1, NULL);
  g_assert_cmpuint (r1->status, ==, 200);
  JsonObject *container = json_array_get_object_element (
      json_object_get_array_member (json_array_get_object_element (value (r1), 0), "hitsContainers"), 0);
  g_assert_cmpint (json_object_get_int_member (container, "total"), ==, 2);
  JsonArray *hits = json_object_get_array_member (container, "hits");
  JsonObject *newest = json_object_get_object_member (json_array_get_object_element (hits, 0), "resource");
  g_assert_cmpstr (str (newest, "chatId"), ==, group);
  JsonObject *email = json_object_get_object_member (json_object_get_object_member (newest, "from"),
                                                     "emailAddress");
  g_assert_cmpstr (str (email, "address"), ==, CAROL);
  g_autofree char *q2 = g_strdup_printf (tmpl, "deploy from:bob");
  g_autoptr (Reply) r2 = http (fx, "POST", "/v1.0/search/query", q2, NULL);
  container = json_array_get_object_element (
      json_object_get_array_member (json_array_get_object_element (value (r2), 0), "hitsContainers"), 0);
  g_assert_cmpint (json_object_get_int_member (container, "total"), ==, 1);
  g_autofree char *q3 = g_strdup_printf (tmpl, "*");
  g_autoptr (Reply) r3 = http (fx, "POST", "/v1.0/search/query", q3, NULL);
  container = json_array_get_object_element (
      json_object_get_array_member (json_array_get_object_element (value (r3), 0), "hitsContainers"), 0);
  g_assert_cmpint (json_object_get_int_member (container, "total"), ==, 0);
  g_autofree char *q4 = g_strdup_printf (tmpl, "deploy sent<=2001-01-01");
  g_autoptr (Reply) r4 = http (fx, "POST", "/v1.0/search/query", q4, NULL);
  container = json_array_get_object_element (
      json_object_get_array_member (json_array_get_object_element (value (r4), 0), "hitsContainers"), 0);
  g_assert_cmpint (json_object_get_int_member (container, "total"), ==, 0);
  fx_free (fx);
}

/* ---- tenant JSON and control endpoints ---- */

static void
test_tenant_json (void)
{
  const char *json =
      "{\"me\":\"alice@contoso.com\",\"users\":["
      "{\"upn\":\"alice@contoso.com\",\"displayName\":\"Alice Liddell\"},"
      "{\"upn\":\"bob@contoso.com\",\"displayName\":\"Bob Builder\",\"presence\":\"Busy\",\"photo\":true}],"
      "\"chats\":[{\"chatType\":\"group\",\"topic\":\"Hist\",\"members\":[\"bob@contoso.com\"],"
      "\"unread\":1,\"messages\":["
      "{\"from\":\"bob@contoso.com\",\"html\":\"<at id=\\\"0\\\">Alice</at> hi\",\"minutesAgo\":10,"
      "\"mentions\":[\"alice@contoso.com\"],\"pinned\":true,\"edited\":true},"
      "{\"event\":\"chatRenamed\",\"by\":\"bob@contoso.com\",\"topic\":\"Hist\",\"minutesAgo\":5}]}]}";
  GError *error = NULL;
  FakeGraph *fg = fake_graph_new_from_json (json, &error);
  g_assert_no_error (error);
  const char *chat = fake_graph_find_chat (fg, "Hist");
  g_assert_nonnull (chat);
  g_assert_cmpuint (fake_graph_message_count (fg, chat), ==, 2);
  JsonNode *m = fake_graph_message_json (fg, chat, fake_graph_last_message_id (fg, chat));
  g_assert_cmpstr (str (json_node_get_object (m), "messageType"), ==, "systemEventMessage");
  json_node_unref (m);
  fake_graph_free (fg);
  FakeGraph *bad = fake_graph_new_from_json ("{\"me\":\"a@b.c\",\"chats\":[{\"members\":[\"x@y.z\"]}]}",
                                             &error);
  g_assert_null (bad);
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* the bundled demo tenant loads */
  if (g_file_test ("tests/fake-graph/demo-tenant.json", G_FILE_TEST_EXISTS)) {
    FakeGraph *demo = fake_graph_new_from_file ("tests/fake-graph/demo-tenant.json", &error);
    g_assert_no_error (error);
    g_assert_nonnull (fake_graph_find_chat (demo, "Project Phoenix"));
    fake_graph_free (demo);
  }
}

static void
test_control_endpoints (void)
{
  Fx *fx = fx_new ();
  const char *group = group_chat (fx, "Ctl");
  g_autoptr (Reply) inject = http (fx, "POST", "/_fake/inject",
                                   "{\"chat\":\"Ctl\",\"from\":\"" BOB "\",\"html\":\"yo\"}", NULL);
  g_assert_cmpuint (inject->status, ==, 200);
  g_assert_cmpstr (str (obj (inject), "id"), ==, fake_graph_last_message_id (fx->fg, group));
  g_autoptr (Reply) rename = http (fx, "POST", "/_fake/rename",
                                   "{\"chat\":\"Ctl\",\"by\":\"" BOB "\",\"topic\":\"Renamed\"}", NULL);
  g_assert_cmpuint (rename->status, ==, 200);
  g_assert_cmpstr (fake_graph_find_chat (fx->fg, "Renamed"), ==, group);
  g_autoptr (Reply) fault = http (fx, "POST", "/_fake/fault",
                                  "{\"path\":\"/v1.0/me\",\"status\":429,\"retryAfter\":\"1\"}", NULL);
  g_assert_cmpuint (fault->status, ==, 200);
  fx_sign_in (fx);
  g_autoptr (Reply) throttled = get (fx, "/v1.0/me");
  g_assert_cmpuint (throttled->status, ==, 429);
  g_autoptr (Reply) log = get (fx, "/_fake/log?path=/v1.0/me");
  g_assert_cmpint (json_object_get_int_member (obj (log), "count"), ==, 1);
  g_autoptr (Reply) expire = http (fx, "POST", "/_fake/expire-tokens", NULL, NULL);
  g_assert_cmpuint (expire->status, ==, 200);
  g_autoptr (Reply) expired = get (fx, "/v1.0/me");
  g_assert_cmpuint (expired->status, ==, 401);
  g_autoptr (Reply) unknown = http (fx, "POST", "/_fake/nope", NULL, NULL);
  g_assert_cmpuint (unknown->status, ==, 404);
  fx_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fake/auth/token-missing-expired", test_token_missing_expired);
  g_test_add_func ("/fake/auth/device-code-states", test_device_code_states);
  g_test_add_func ("/fake/auth/device-code-auto-slow-down", test_device_code_auto_and_slow_down);
  g_test_add_func ("/fake/auth/refresh-rotation-revoke", test_refresh_rotation_and_revoke);
  g_test_add_func ("/fake/auth/pkce", test_pkce);
  g_test_add_func ("/fake/chats/paging", test_chat_paging);
  g_test_add_func ("/fake/chats/fields-order", test_chat_fields_and_order);
  g_test_add_func ("/fake/chats/patch-create", test_patch_and_create);
  g_test_add_func ("/fake/chats/members", test_members);
  g_test_add_func ("/fake/chats/read-state", test_read_state);
  g_test_add_func ("/fake/messages/paging", test_message_paging);
  g_test_add_func ("/fake/messages/filter-rules", test_message_filter_rules);
  g_test_add_func ("/fake/messages/system-prefer", test_system_messages_and_prefer);
  g_test_add_func ("/fake/messages/send-edit-delete", test_send_edit_delete);
  g_test_add_func ("/fake/messages/pins", test_pins);
  g_test_add_func ("/fake/batch/mixed", test_batch_mixed);
  g_test_add_func ("/fake/faults", test_faults);
  g_test_add_func ("/fake/free-while-delayed", test_free_while_delayed);
  g_test_add_func ("/fake/users", test_users);
  g_test_add_func ("/fake/presence", test_presence);
  g_test_add_func ("/fake/search", test_search);
  g_test_add_func ("/fake/tenant-json", test_tenant_json);
  g_test_add_func ("/fake/control", test_control_endpoints);
  return g_test_run ();
}
