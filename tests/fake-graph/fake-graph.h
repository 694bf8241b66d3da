/* fake-graph — an in-memory Microsoft Graph + identity platform emulator (SoupServer on
 * 127.0.0.1) for tests, benchmarks and the demo.
 *
 * Serves, with Graph's real shapes (fields, nulls, paging with opaque skip tokens, the
 * documented $top/$orderby/$filter rules and their 400s, Prefer handling, $batch):
 *   {base}/v1.0/...                      Graph endpoints of ../shared/graph-api.md
 *   {base}/{tenant}/oauth2/v2.0/devicecode, /token, /authorize   identity endpoints
 *   {base}/_fake/...                     control endpoints (inject, faults, log) for other processes
 * The login_url setting is {base}; graph_url is {base}/v1.0.
 *
 * The tenant is loaded from JSON (see tests/fake-graph/README.md for the format) or built with
 * the functions below. Users are named by UPN everywhere in this API.
 */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FakeGraph FakeGraph;

/* An empty tenant whose signed-in user ("me") is `me_upn`, created as a user. */
FakeGraph *fake_graph_new (const char *me_upn);
/* A tenant from JSON text / a JSON file. */
FakeGraph *fake_graph_new_from_json (const char *json, GError **error);
FakeGraph *fake_graph_new_from_file (const char *path, GError **error);
void fake_graph_free (FakeGraph *fg);

/* Listens on 127.0.0.1:`port` (0 = any free port), on the thread-default main context. */
gboolean fake_graph_listen (FakeGraph *fg, guint port, GError **error);
const char *fake_graph_base_url (FakeGraph *fg);   /* http://127.0.0.1:PORT (the login_url) */
const char *fake_graph_graph_url (FakeGraph *fg);  /* http://127.0.0.1:PORT/v1.0 (the graph_url) */

/* ---- building the tenant ---- */
/* Returns the user's id (a GUID string owned by fg). */
const char *fake_graph_add_user (FakeGraph *fg, const char *upn, const char *display_name);
const char *fake_graph_user_id (FakeGraph *fg, const char *upn);
/* Creates a chat; `members` is a NULL-terminated list of UPNs (me is added when absent).
 * chat_type "oneOnOne" | "group" | "meeting"; topic may be NULL. Returns the chat id. */
const char *fake_graph_add_chat (FakeGraph *fg, const char *chat_type, const char *topic,
                                 const char *const *members);
/* Marks everything currently in the chat as read by me (viewpoint.lastMessageReadDateTime). */
void fake_graph_mark_read (FakeGraph *fg, const char *chat_id);

/* ---- acting as someone else (each updates lastMessagePreview / lastUpdatedDateTime and
 * creates the system event messages Graph would) ---- */
/* Posts a message; returns its id (owned by fg). `html` is the body content (contentType html). */
const char *fake_graph_inject_message (FakeGraph *fg, const char *chat_id, const char *from_upn,
                                       const char *html);
gboolean fake_graph_edit_message (FakeGraph *fg, const char *chat_id, const char *message_id,
                                  const char *new_html);
gboolean fake_graph_delete_message (FakeGraph *fg, const char *chat_id, const char *message_id);
gboolean fake_graph_add_reaction (FakeGraph *fg, const char *chat_id, const char *message_id,
                                  const char *by_upn, const char *reaction);
gboolean fake_graph_rename_chat (FakeGraph *fg, const char *chat_id, const char *by_upn,
                                 const char *topic);
gboolean fake_graph_add_member (FakeGraph *fg, const char *chat_id, const char *by_upn,
                                const char *upn);
gboolean fake_graph_remove_member (FakeGraph *fg, const char *chat_id, const char *by_upn,
                                   const char *upn);
void fake_graph_set_presence (FakeGraph *fg, const char *upn, const char *availability,
                              const char *activity);
/* Sets (or, with NULL or "", clears) someone's Teams status message; `content_type` "text"
 * (the default for NULL) or "html", as Graph's itemBody says. */
void fake_graph_set_status_message (FakeGraph *fg, const char *upn, const char *content,
                                    const char *content_type);
/* Someone's status message content, NULL when none. */
const char *fake_graph_status_message (FakeGraph *fg, const char *upn);

/* ---- identity ---- */
void fake_graph_set_token_lifetime (FakeGraph *fg, guint seconds);   /* default 3600 */
/* Device codes are approved automatically after `polls` token polls (default 1);
 * -1 = only by fake_graph_approve_device_code. */
void fake_graph_set_device_auto_approve (FakeGraph *fg, int polls);
const char *fake_graph_last_user_code (FakeGraph *fg);               /* NULL when none */
gboolean fake_graph_approve_device_code (FakeGraph *fg, const char *user_code);
gboolean fake_graph_decline_device_code (FakeGraph *fg, const char *user_code);
void fake_graph_expire_access_tokens (FakeGraph *fg);   /* every issued access token now 401s */
void fake_graph_revoke_refresh_tokens (FakeGraph *fg);  /* every refresh token → invalid_grant */
/* A refresh token valid for me, as if issued earlier (for tests that start signed in). */
char *fake_graph_issue_refresh_token (FakeGraph *fg);

/* ---- faults: the next `count` requests (0 = unlimited) whose method matches (`method` NULL =
 * any) and whose path (without query, e.g. "/v1.0/me/chats") matches the glob `path_glob` ---- */
typedef enum {
  FAKE_FAULT_STATUS,     /* answer `status` with a Graph error body; Retry-After `retry_after` if non-NULL */
  FAKE_FAULT_DROP,       /* close the connection without an answer */
  FAKE_FAULT_DELAY,      /* answer normally after `delay_ms` */
} FakeFaultKind;
void fake_graph_add_fault (FakeGraph *fg, const char *method, const char *path_glob,
                           FakeFaultKind kind, guint status, const char *retry_after,
                           guint delay_ms, guint count);
void fake_graph_clear_faults (FakeGraph *fg);

/* ---- the request log ---- */
typedef struct {
  char *method;
  char *path;        /* without the query */
  char *query;       /* decoded query string, may be NULL */
  char *body;        /* request body text, may be NULL */
  guint status;      /* status answered (0 = dropped) */
  gboolean in_batch; /* an inner request of a $batch */
} FakeRequest;
/* All requests so far (inner $batch requests included, flagged), oldest first. Owned by fg. */
GPtrArray *fake_graph_requests (FakeGraph *fg);
/* How many logged requests match method (NULL = any) and the path glob. */
guint fake_graph_count (FakeGraph *fg, const char *method, const char *path_glob);
void fake_graph_clear_log (FakeGraph *fg);

/* ---- additions (beyond the first draft of this header) ---- */
const char *fake_graph_tenant_id (FakeGraph *fg);
const char *fake_graph_me_upn (FakeGraph *fg);
/* Job title, department and mail (NULL leaves a field unchanged). */
void fake_graph_set_user_details (FakeGraph *fg, const char *upn, const char *job_title,
                                  const char *department, const char *mail);
/* Office location, mobile phone and one business phone (NULL leaves a field unchanged). */
void fake_graph_set_user_contact (FakeGraph *fg, const char *upn, const char *office_location,
                                  const char *mobile_phone, const char *business_phone);
/* A photo for /users/{id}/photos/48x48/$value: `png` (ref taken) or, when NULL, a generated one. */
void fake_graph_set_user_photo (FakeGraph *fg, const char *upn, GBytes *png);
/* The user has no photo any more (404 ImageNotFound). */
void fake_graph_remove_user_photo (FakeGraph *fg, const char *upn);
/* Like fake_graph_inject_message, with Graph mentions: `mentioned` is a NULL-terminated list of
 * UPNs ("everyone" = the whole chat), entry N matching `<at id="N">Text</at>` in `html`. */
const char *fake_graph_inject_mention_message (FakeGraph *fg, const char *chat_id,
                                               const char *from_upn, const char *html,
                                               const char *const *mentioned);
/* Posts `html` followed by an inline image as Teams clients do: the bytes become a hosted
 * content of the message and the body gets <img src="{graph}/chats/{c}/messages/{m}/
 * hostedContents/{h}/$value">. Returns the message id (owned by fg). */
const char *fake_graph_inject_image_message (FakeGraph *fg, const char *chat_id,
                                             const char *from_upn, const char *html,
                                             GBytes *image, const char *content_type);
/* Replaces a message's attachments[] with `attachments_json` (a JSON array of Graph
 * chatMessageAttachment objects; the body refers to them as <attachment id="…">), without
 * touching its times: call it right after posting. FALSE when unknown or not an array. */
gboolean fake_graph_set_message_attachments (FakeGraph *fg, const char *chat_id,
                                             const char *message_id, const char *attachments_json);
/* Pins a message as `by_upn` (creates the messagePinned system event). */
gboolean fake_graph_pin_message (FakeGraph *fg, const char *chat_id, const char *by_upn,
                                 const char *message_id);
/* A chat id by id, group topic, or (one-on-one) the other member's UPN; NULL when none. */
const char *fake_graph_find_chat (FakeGraph *fg, const char *name);
guint fake_graph_message_count (FakeGraph *fg, const char *chat_id);   /* system events too */
const char *fake_graph_last_message_id (FakeGraph *fg, const char *chat_id);
/* A message as GET would return it (with Prefer: include-unknown-enum-members); NULL when
 * unknown. Free with json_node_unref. */
JsonNode *fake_graph_message_json (FakeGraph *fg, const char *chat_id, const char *message_id);
/* The `interval` (seconds) the device code endpoint declares (default 1). Polls sooner than
 * 80% of it after the previous poll get slow_down (and +5 s); 0 = poll as fast as you like. */
void fake_graph_set_device_interval (FakeGraph *fg, guint seconds);
/* Every access token issued so far, expired ones included (newly allocated strings; free the
 * array with g_ptr_array_unref). For tests that check no secret leaks into logs. */
GPtrArray *fake_graph_issued_access_tokens (FakeGraph *fg);
/* How long device codes live (expires_in, default 900 s); after that: expired_token. */
void fake_graph_set_device_code_lifetime (FakeGraph *fg, guint seconds);
/* /authorize redirects with error=`error` (e.g. "access_denied": the user declined) and
 * `description` (may be NULL) instead of a code; NULL `error` approves again (the default). */
void fake_graph_set_authorize_error (FakeGraph *fg, const char *error, const char *description);

/* Lets every token act as one with the Chat.Read.All application permission, so that
 * /users/{id}/chats/getAllMessages answers (default FALSE: 403, as Graph answers delegated
 * tokens). */
void fake_graph_set_application_permissions (FakeGraph *fg, gboolean granted);
/* Tokens issued from now on lack the permission `scope` (e.g. "Presence.ReadWrite": the tenant's
 * admin has not consented to it), whatever the client asks for; NULL grants everything again. */
void fake_graph_withhold_scope (FakeGraph *fg, const char *scope);

G_END_DECLS
