/* fake-identity — the Microsoft identity platform endpoints a public client uses:
 * /{tenant}/oauth2/v2.0/devicecode, /token (device_code, refresh_token, authorization_code
 * with PKCE) and /authorize (auto-approving, 302 to the loopback redirect_uri, or with the
 * error fake_graph_set_authorize_error() sets), plus the
 * opaque access tokens every Graph request is checked against. Errors have OAuth's shape.
 *
 * Device code polling: the server declares `interval` (default 1 s, fake_graph_set_device_
 * interval() changes it; 0 lets tests poll as fast as they like). A poll that comes sooner
 * than 80% of the interval after the previous one (or after the code was issued) gets
 * slow_down, and the interval of that code grows by 5 s, as RFC 8628 says. */
#include "fake-graph/fake-internal.h"
#include <string.h>

typedef enum { DC_PENDING, DC_APPROVED, DC_DECLINED, DC_USED } DeviceState;

typedef struct {
  char *device_code;
  char *user_code;
  char *client_id;
  char *scope;
  gint64 expires;      /* monotonic ms */
  gint64 last_poll;    /* monotonic ms */
  guint interval;      /* seconds */
  guint polls;
  DeviceState state;
} DeviceCode;

typedef struct {
  char *scope;
  gint64 expires;      /* monotonic ms; 0 = expired */
} AccessToken;

typedef struct {
  char *scope;
  gboolean revoked;
} RefreshToken;

typedef struct {
  char *client_id;
  char *redirect_uri;
  char *challenge;
  char *method;
  char *scope;
  gint64 expires;
} AuthCode;

struct _FakeIdentity {
  GHashTable *device_codes;   /* device_code → DeviceCode */
  GHashTable *access;         /* token → AccessToken */
  GHashTable *refresh;        /* token → RefreshToken */
  GHashTable *codes;          /* authorization code → AuthCode */
  char *last_user_code;
  guint token_lifetime;
  int auto_approve;
  guint interval;
  guint device_lifetime;
  char *authorize_error;          /* /authorize redirects with this error instead of a code */
  char *authorize_error_description;
  char *withheld_scope;       /* a permission never granted (no admin consent), or NULL */
};

static gint64
mono_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void
device_code_free (DeviceCode *d)
{
  g_free (d->device_code);
  g_free (d->user_code);
  g_free (d->client_id);
  g_free (d->scope);
  g_free (d);
}

static void
access_free (AccessToken *a)
{
  g_free (a->scope);
  g_free (a);
}

static void
refresh_free (RefreshToken *r)
{
  g_free (r->scope);
  g_free (r);
}

static void
auth_code_free (AuthCode *c)
{
  g_free (c->client_id);
  g_free (c->redirect_uri);
  g_free (c->challenge);
  g_free (c->method);
  g_free (c->scope);
  g_free (c);
}

FakeIdentity *
fake_identity_new (void)
{
  FakeIdentity *id = g_new0 (FakeIdentity, 1);
  id->device_codes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify) device_code_free);
  id->access = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) access_free);
  id->refresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) refresh_free);
  id->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) auth_code_free);
  id->token_lifetime = 3600;
  id->auto_approve = 1;
  id->interval = 1;
  id->device_lifetime = 900;
  return id;
}

void
fake_identity_free (FakeIdentity *id)
{
  g_hash_table_unref (id->device_codes);
  g_hash_table_unref (id->access);
  g_hash_table_unref (id->refresh);
  g_hash_table_unref (id->codes);
  g_free (id->last_user_code);
  g_free (id->authorize_error);
  g_free (id->authorize_error_description);
  g_free (id->withheld_scope);
  g_free (id);
}

/* ---- settings (fake-graph.h) ---- */

void
fake_graph_set_token_lifetime (FakeGraph *fg, guint seconds)
{
  fg->identity->token_lifetime = seconds;
}

void
fake_graph_set_device_auto_approve (FakeGraph *fg, int polls)
{
  fg->identity->auto_approve = polls;
}

void
fake_graph_set_device_interval (FakeGraph *fg, guint seconds)
{
  fg->identity->interval = seconds;
}

void
fake_graph_set_device_code_lifetime (FakeGraph *fg, guint seconds)
{
  fg->identity->device_lifetime = seconds;
}

void
fake_graph_set_authorize_error (FakeGraph *fg, const char *error, const char *description)
{
  g_free (fg->identity->authorize_error);
  g_free (fg->identity->authorize_error_description);
  fg->identity->authorize_error = g_strdup (error);
  fg->identity->authorize_error_description = g_strdup (description);
}

const char *
fake_graph_last_user_code (FakeGraph *fg)
{
  return fg->identity->last_user_code;
}

static DeviceCode *
device_by_user_code (FakeIdentity *id, const char *user_code)
{
  if (user_code == NULL)
    return NULL;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, id->device_codes);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    DeviceCode *d = value;
    if (g_ascii_strcasecmp (d->user_code, user_code) == 0)
      return d;
  }
  return NULL;
}

static gboolean
set_device_state (FakeGraph *fg, const char *user_code, DeviceState state)
{
  DeviceCode *d = device_by_user_code (fg->identity, user_code);
  if (d == NULL || d->state != DC_PENDING)
    return FALSE;
  d->state = state;
  return TRUE;
}

gboolean
fake_graph_approve_device_code (FakeGraph *fg, const char *user_code)
{
  return set_device_state (fg, user_code, DC_APPROVED);
}

gboolean
fake_graph_decline_device_code (FakeGraph *fg, const char *user_code)
{
  return set_device_state (fg, user_code, DC_DECLINED);
}

void
fake_graph_expire_access_tokens (FakeGraph *fg)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, fg->identity->access);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((AccessToken *) value)->expires = 0;
}

void
fake_graph_revoke_refresh_tokens (FakeGraph *fg)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, fg->identity->refresh);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((RefreshToken *) value)->revoked = TRUE;
}

GPtrArray *
fake_graph_issued_access_tokens (FakeGraph *fg)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, fg->identity->access);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (out, g_strdup (key));
  return out;
}

#define DEFAULT_SCOPES \
  "Chat.ReadWrite ChatMessage.Send User.ReadBasic.All Presence.Read.All Presence.ReadWrite " \
  "offline_access"

static char *
new_refresh_token (FakeIdentity *id, const char *scope)
{
  char *token = fake_random_token (48);
  RefreshToken *r = g_new0 (RefreshToken, 1);
  r->scope = g_strdup (scope);
  g_hash_table_insert (id->refresh, g_strdup (token), r);
  return token;
}

char *
fake_graph_issue_refresh_token (FakeGraph *fg)
{
  return new_refresh_token (fg->identity, DEFAULT_SCOPES);
}

/* ---- access tokens ---- */

const char *
fake_identity_check_access (FakeGraph *fg, const char *token)
{
  AccessToken *a = g_hash_table_lookup (fg->identity->access, token);
  if (a == NULL)
    return "IDX14100: JWT is not well formed: the access token is not one this tenant issued.";
  if (mono_ms () >= a->expires)
    return "Lifetime validation failed, the token is expired.";
  return NULL;
}

static gboolean
scope_has (const char *scope, const char *wanted)
{
  if (scope == NULL)
    return FALSE;
  char **words = g_strsplit (scope, " ", -1);
  gboolean found = FALSE;
  for (guint i = 0; !found && words[i]; i++) {
    const char *w = words[i];
    if (g_str_has_prefix (w, "https://graph.microsoft.com/"))
      w += strlen ("https://graph.microsoft.com/");
    found = g_ascii_strcasecmp (w, wanted) == 0 || g_ascii_strcasecmp (w, ".default") == 0;
  }
  g_strfreev (words);
  return found;
}

gboolean
fake_identity_token_has_scope (FakeGraph *fg, const char *token, const char *scope)
{
  AccessToken *a = token ? g_hash_table_lookup (fg->identity->access, token) : NULL;
  return a && scope_has (a->scope, scope);
}

/* The scopes granted, as AAD echoes them: without the OpenID ones. */
static char *
granted_scopes (const char *scope)
{
  GString *out = g_string_new (NULL);
  char **words = g_strsplit (scope ? scope : "", " ", -1);
  for (guint i = 0; words[i]; i++) {
    const char *w = words[i];
    if (*w == '\0' || strcmp (w, "offline_access") == 0 || strcmp (w, "openid") == 0
        || strcmp (w, "profile") == 0 || strcmp (w, "email") == 0)
      continue;
    if (out->len)
      g_string_append_c (out, ' ');
    g_string_append (out, w);
  }
  g_strfreev (words);
  return g_string_free (out, FALSE);
}

static char *
json_b64url (JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  char *text = fake_json_to_string (node);
  char *b64 = fake_base64url ((const guchar *) text, strlen (text));
  g_free (text);
  json_node_unref (node);
  return b64;
}

/* An unsigned JWT with the claims a client may read (preferred_username, name, oid, tid). */
static char *
id_token (FakeGraph *fg, const char *client_id)
{
  JsonObject *header = json_object_new ();
  json_object_set_string_member (header, "typ", "JWT");
  json_object_set_string_member (header, "alg", "none");
  JsonObject *claims = json_object_new ();
  json_object_set_string_member (claims, "aud", client_id ? client_id : "");
  char *iss = g_strdup_printf ("https://login.microsoftonline.com/%s/v2.0", fg->tenant_id);
  json_object_set_string_member (claims, "iss", iss);
  g_free (iss);
  gint64 now = fake_now_ms () / 1000;
  json_object_set_int_member (claims, "iat", now);
  json_object_set_int_member (claims, "nbf", now);
  json_object_set_int_member (claims, "exp", now + 3600);
  json_object_set_string_member (claims, "name", fg->me->display_name);
  json_object_set_string_member (claims, "oid", fg->me->id);
  json_object_set_string_member (claims, "preferred_username", fg->me->upn);
  json_object_set_string_member (claims, "sub", fg->me->id);
  json_object_set_string_member (claims, "tid", fg->tenant_id);
  json_object_set_string_member (claims, "ver", "2.0");
  char *h = json_b64url (header), *c = json_b64url (claims);
  char *jwt = g_strdup_printf ("%s.%s.", h, c);
  g_free (h);
  g_free (c);
  json_object_unref (header);
  json_object_unref (claims);
  return jwt;
}

void
fake_graph_withhold_scope (FakeGraph *fg, const char *scope)
{
  g_free (fg->identity->withheld_scope);
  fg->identity->withheld_scope = g_strdup (scope);
}

/* `scope` without the withheld permission (newly allocated). */
static char *
consented_scopes (FakeIdentity *id, const char *scope)
{
  if (id->withheld_scope == NULL)
    return g_strdup (scope);
  GString *out = g_string_new (NULL);
  char **words = g_strsplit (scope ? scope : "", " ", -1);
  for (guint i = 0; words[i]; i++) {
    if (*words[i] == '\0' || scope_has (words[i], id->withheld_scope))
      continue;
    if (out->len)
      g_string_append_c (out, ' ');
    g_string_append (out, words[i]);
  }
  g_strfreev (words);
  return g_string_free (out, FALSE);
}

static void
respond_tokens (FakeReq *req, FakeResp *resp, const char *requested, const char *client_id)
{
  FakeIdentity *id = req->fg->identity;
  char *access = fake_random_token (48);
  AccessToken *a = g_new0 (AccessToken, 1);
  char *scope = consented_scopes (id, requested);
  a->scope = g_strdup (scope);
  a->expires = mono_ms () + (gint64) id->token_lifetime * 1000;
  g_hash_table_insert (id->access, g_strdup (access), a);
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "token_type", "Bearer");
  char *granted = granted_scopes (scope);
  json_object_set_string_member (o, "scope", granted);
  g_free (granted);
  json_object_set_int_member (o, "expires_in", id->token_lifetime);
  json_object_set_int_member (o, "ext_expires_in", id->token_lifetime);
  json_object_set_string_member (o, "access_token", access);
  if (scope_has (scope, "offline_access")) {
    char *refresh = new_refresh_token (id, scope);
    json_object_set_string_member (o, "refresh_token", refresh);
    g_free (refresh);
  }
  char *idt = id_token (req->fg, client_id);
  json_object_set_string_member (o, "id_token", idt);
  g_free (idt);
  g_free (access);
  g_free (scope);
  fake_resp_object (resp, 200, o);
  g_free (resp->content_type);
  resp->content_type = g_strdup ("application/json; charset=utf-8");
  fake_resp_header (resp, "Cache-Control", "no-store, no-cache");
}

/* ---- form bodies ---- */

static GHashTable *
form_params (FakeReq *req)
{
  if (req->body == NULL || g_bytes_get_size (req->body) == 0)
    return g_hash_table_new (g_str_hash, g_str_equal);
  char *text = g_strndup (g_bytes_get_data (req->body, NULL), g_bytes_get_size (req->body));
  GHashTable *form = soup_form_decode (text);
  g_free (text);
  return form;
}

static const char *
form_get (GHashTable *form, const char *name)
{
  const char *v = g_hash_table_lookup (form, name);
  return v && *v ? v : NULL;
}

static gboolean
require_param (FakeResp *resp, GHashTable *form, const char *name)
{
  if (form_get (form, name))
    return TRUE;
  char *msg = g_strdup_printf ("AADSTS900144: The request body must contain the following "
                               "parameter: '%s'.", name);
  fake_resp_oauth_error (resp, 400, "invalid_request", msg);
  g_free (msg);
  return FALSE;
}

/* ---- device code ---- */

static char *
new_user_code (void)
{
  static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ23456789";
  char *code = g_malloc (10);
  for (guint i = 0; i < 9; i++)
    code[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  code[9] = '\0';
  return code;
}

static void
devicecode_endpoint (FakeReq *req, FakeResp *resp)
{
  FakeIdentity *id = req->fg->identity;
  GHashTable *form = form_params (req);
  if (require_param (resp, form, "client_id") && require_param (resp, form, "scope")) {
    DeviceCode *d = g_new0 (DeviceCode, 1);
    d->device_code = fake_random_token (64);
    d->user_code = new_user_code ();
    d->client_id = g_strdup (form_get (form, "client_id"));
    d->scope = g_strdup (form_get (form, "scope"));
    d->interval = id->interval;
    d->last_poll = mono_ms ();
    d->expires = d->last_poll + (gint64) id->device_lifetime * 1000;
    g_hash_table_insert (id->device_codes, d->device_code, d);
    g_free (id->last_user_code);
    id->last_user_code = g_strdup (d->user_code);
    char *uri = g_strdup_printf ("%s/devicelogin", req->fg->base_url);
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "user_code", d->user_code);
    json_object_set_string_member (o, "device_code", d->device_code);
    json_object_set_string_member (o, "verification_uri", uri);
    json_object_set_int_member (o, "expires_in", id->device_lifetime);
    json_object_set_int_member (o, "interval", d->interval);
    char *msg = g_strdup_printf ("To sign in, use a web browser to open the page %s and enter "
                                 "the code %s to authenticate.", uri, d->user_code);
    json_object_set_string_member (o, "message", msg);
    g_free (msg);
    g_free (uri);
    fake_resp_object (resp, 200, o);
  }
  g_hash_table_unref (form);
}

static void
device_code_grant (FakeReq *req, FakeResp *resp, GHashTable *form)
{
  FakeIdentity *id = req->fg->identity;
  const char *code = form_get (form, "device_code");
  if (code == NULL)
    code = form_get (form, "code");
  DeviceCode *d = code ? g_hash_table_lookup (id->device_codes, code) : NULL;
  gint64 now = mono_ms ();
  if (d == NULL) {
    fake_resp_oauth_error (resp, 400, "bad_verification_code",
                           "AADSTS70019: The device code is not known to the server.");
    return;
  }
  if (d->state == DC_USED) {
    fake_resp_oauth_error (resp, 400, "invalid_grant",
                           "AADSTS54005: The device code was already redeemed.");
    return;
  }
  if (now >= d->expires) {
    fake_resp_oauth_error (resp, 400, "expired_token",
                           "AADSTS70020: The provided value for the input parameter "
                           "'device_code' is expired.");
    return;
  }
  if (d->state == DC_DECLINED) {
    fake_resp_oauth_error (resp, 400, "authorization_declined",
                           "AADSTS70000: The user declined the sign-in request.");
    return;
  }
  gint64 since = now - d->last_poll;
  d->last_poll = now;
  if (d->interval && since < (gint64) d->interval * 800) {
    d->interval += 5;
    fake_resp_oauth_error (resp, 400, "slow_down",
                           "The client is polling too fast: wait 'interval' seconds more.");
    return;
  }
  d->polls++;
  if (d->state == DC_PENDING && id->auto_approve >= 0 && d->polls > (guint) id->auto_approve)
    d->state = DC_APPROVED;
  if (d->state != DC_APPROVED) {
    fake_resp_oauth_error (resp, 400, "authorization_pending",
                           "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. "
                           "Continue polling.");
    return;
  }
  d->state = DC_USED;
  respond_tokens (req, resp, d->scope, d->client_id);
}

static void
refresh_token_grant (FakeReq *req, FakeResp *resp, GHashTable *form)
{
  FakeIdentity *id = req->fg->identity;
  const char *token = form_get (form, "refresh_token");
  RefreshToken *r = token ? g_hash_table_lookup (id->refresh, token) : NULL;
  if (r == NULL || r->revoked) {
    fake_resp_oauth_error (resp, 400, "invalid_grant",
                           "AADSTS700082: The refresh token has expired or was revoked. "
                           "Sign in again.");
    return;
  }
  const char *scope = form_get (form, "scope");
  char *with_offline = NULL;
  if (scope && scope_has (r->scope, "offline_access") && !scope_has (scope, "offline_access"))
    scope = with_offline = g_strconcat (scope, " offline_access", NULL);
  respond_tokens (req, resp, scope ? scope : r->scope, form_get (form, "client_id"));
  g_free (with_offline);
}

static gboolean
pkce_matches (AuthCode *c, const char *verifier)
{
  if (c->challenge == NULL)
    return TRUE;
  if (verifier == NULL)
    return FALSE;
  if (g_strcmp0 (c->method, "plain") == 0)
    return strcmp (c->challenge, verifier) == 0;
  guint8 digest[32];
  gsize len = sizeof digest;
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  char *expected = fake_base64url (digest, len);
  gboolean ok = strcmp (expected, c->challenge) == 0;
  g_free (expected);
  return ok;
}

static void
authorization_code_grant (FakeReq *req, FakeResp *resp, GHashTable *form)
{
  FakeIdentity *id = req->fg->identity;
  const char *code = form_get (form, "code");
  AuthCode *c = code ? g_hash_table_lookup (id->codes, code) : NULL;
  const char *problem = NULL;
  if (c == NULL || mono_ms () >= c->expires)
    problem = "AADSTS70008: The provided authorization code is invalid, expired or redeemed.";
  else if (g_strcmp0 (c->redirect_uri, form_get (form, "redirect_uri")) != 0)
    problem = "AADSTS50148: The redirect_uri does not match the one of the authorization request.";
  else if (!pkce_matches (c, form_get (form, "code_verifier")))
    problem = "AADSTS501481: The Code_Verifier does not match the code_challenge.";
  if (problem) {
    fake_resp_oauth_error (resp, 400, "invalid_grant", problem);
    return;
  }
  char *scope = g_strdup (c->scope), *client = g_strdup (c->client_id);
  g_hash_table_remove (id->codes, code);
  respond_tokens (req, resp, scope, client);
  g_free (scope);
  g_free (client);
}

static void
token_endpoint (FakeReq *req, FakeResp *resp)
{
  GHashTable *form = form_params (req);
  const char *grant = form_get (form, "grant_type");
  if (!require_param (resp, form, "grant_type") || !require_param (resp, form, "client_id"))
    ;
  else if (strcmp (grant, "urn:ietf:params:oauth:grant-type:device_code") == 0)
    device_code_grant (req, resp, form);
  else if (strcmp (grant, "refresh_token") == 0)
    refresh_token_grant (req, resp, form);
  else if (strcmp (grant, "authorization_code") == 0)
    authorization_code_grant (req, resp, form);
  else
    fake_resp_oauth_error (resp, 400, "unsupported_grant_type",
                           "AADSTS70003: The app requested an unsupported grant type.");
  g_hash_table_unref (form);
}

/* ---- authorize (browser sign-in, approved at once) ---- */

static gboolean
loopback_redirect (const char *uri)
{
  return uri && (g_str_has_prefix (uri, "http://localhost") || g_str_has_prefix (uri, "http://127.0.0.1"));
}

/* 302 to redirect_uri?name=value[&error_description=…]&state=… */
static void
redirect_with (FakeResp *resp, const char *redirect_uri, const char *name, const char *value,
               const char *description, const char *state)
{
  GString *loc = g_string_new (redirect_uri);
  char *v = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (loc, "%c%s=%s", strchr (redirect_uri, '?') ? '&' : '?', name, v);
  g_free (v);
  /* An error redirect carries its description, as AAD's does. */
  if (description != NULL) {
    char *d = g_uri_escape_string (description, NULL, FALSE);
    g_string_append_printf (loc, "&error_description=%s", d);
    g_free (d);
  }
  if (state) {
    char *s = g_uri_escape_string (state, NULL, FALSE);
    g_string_append_printf (loc, "&state=%s", s);
    g_free (s);
  }
  fake_resp_empty (resp, 302);
  fake_resp_header (resp, "Location", loc->str);
  g_string_free (loc, TRUE);
}

static void
authorize_endpoint (FakeReq *req, FakeResp *resp)
{
  const char *redirect_uri = fake_req_param (req, "redirect_uri");
  const char *client_id = fake_req_param (req, "client_id");
  const char *method = fake_req_param (req, "code_challenge_method");
  if (!loopback_redirect (redirect_uri) || client_id == NULL) {
    fake_resp_oauth_error (resp, 400, "invalid_request",
                           "AADSTS50011: client_id and a loopback redirect_uri are required.");
    return;
  }
  const char *state = fake_req_param (req, "state");
  if (g_strcmp0 (fake_req_param (req, "response_type"), "code") != 0) {
    redirect_with (resp, redirect_uri, "error", "unsupported_response_type",
                   "AADSTS700054: response_type 'code' is the one enabled for the app.", state);
    return;
  }
  if (method && strcmp (method, "S256") != 0 && strcmp (method, "plain") != 0) {
    redirect_with (resp, redirect_uri, "error", "invalid_request",
                   "AADSTS50126: code_challenge_method must be S256 or plain.", state);
    return;
  }
  FakeIdentity *id = req->fg->identity;
  if (id->authorize_error != NULL) {
    /* The user declined (or a policy refused): AAD redirects with the error. */
    redirect_with (resp, redirect_uri, "error", id->authorize_error,
                   id->authorize_error_description, state);
    return;
  }
  AuthCode *c = g_new0 (AuthCode, 1);
  c->client_id = g_strdup (client_id);
  c->redirect_uri = g_strdup (redirect_uri);
  c->challenge = g_strdup (fake_req_param (req, "code_challenge"));
  c->method = g_strdup (method ? method : "plain");
  c->scope = g_strdup (fake_req_param (req, "scope"));
  c->expires = mono_ms () + 600 * 1000;
  char *code = fake_random_token (48);
  g_hash_table_insert (req->fg->identity->codes, g_strdup (code), c);
  redirect_with (resp, redirect_uri, "code", code, NULL, state);
  g_free (code);
}

/* ---- the verification page (for people trying the demo) ---- */

static void
devicelogin_page (FakeReq *req, FakeResp *resp)
{
  const char *code = fake_req_param (req, "code");
  if (code == NULL && req->body && g_bytes_get_size (req->body)) {
    GHashTable *form = form_params (req);
    gboolean ok = fake_graph_approve_device_code (req->fg, form_get (form, "code"));
    g_hash_table_unref (form);
    code = ok ? "approved" : NULL;
  } else if (code) {
    code = fake_graph_approve_device_code (req->fg, code) ? "approved" : NULL;
  }
  const char *html = code
    ? "<html><body><p>Signed in. You may close this page.</p></body></html>"
    : "<html><body><form method='post'><p>Enter code: <input name='code'>"
      "<button>Next</button></p></form></body></html>";
  GBytes *bytes = g_bytes_new_static (html, strlen (html));
  fake_resp_bytes (resp, 200, "text/html; charset=utf-8", bytes);
  g_bytes_unref (bytes);
}

gboolean
fake_identity_handle (FakeReq *req, FakeResp *resp)
{
  if (req->n_seg == 1 && strcmp (req->seg[0], "devicelogin") == 0) {
    devicelogin_page (req, resp);
    return TRUE;
  }
  if (req->n_seg != 4 || strcmp (req->seg[1], "oauth2") != 0 || strcmp (req->seg[2], "v2.0") != 0)
    return FALSE;
  const char *what = req->seg[3];
  gboolean post = strcmp (req->method, "POST") == 0;
  if (strcmp (what, "devicecode") == 0 && post)
    devicecode_endpoint (req, resp);
  else if (strcmp (what, "token") == 0 && post)
    token_endpoint (req, resp);
  else if (strcmp (what, "authorize") == 0 && strcmp (req->method, "GET") == 0)
    authorize_endpoint (req, resp);
  else
    fake_resp_oauth_error (resp, 405, "invalid_request", "Unsupported identity endpoint.");
  return TRUE;
}
