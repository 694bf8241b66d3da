/* fake-internal — what the emulator's files share: the in-memory tenant (users, chats,
 * members, messages, pins), the request/response abstraction every handler works on (so that
 * $batch can run inner requests through the same routes), and small helpers.
 *
 * Files: fake-graph.c (server, dispatch, faults, log, auth check), fake-store.c (model and
 * its mutations), fake-render.c (model → Graph JSON), fake-tenant.c (tenant JSON), fake-chats.c,
 * fake-messages.c, fake-users.c, fake-search.c, fake-batch.c, fake-identity.c,
 * fake-control.c (/_fake/), fake-util.c, fake-photo.c.
 */
#pragma once
#include <libsoup/soup.h>
#include "fake-graph/fake-graph.h"

G_BEGIN_DECLS

/* "0001-01-01T00:00:00Z": never read / share all history. */
#define FAKE_TIME_NEVER G_MININT64

typedef struct {
  char *id;
  char *upn;
  char *display_name;
  char *given_name;
  char *surname;
  char *mail;
  char *job_title;
  char *department;
  char *office_location;
  char *mobile_phone;
  char **business_phones; /* NULL = none ([]) */
  char *availability;
  char *activity;
  char *status_message;      /* statusMessage.message.content, NULL: none */
  char *status_message_type; /* its contentType: "text" | "html" */
  GBytes *photo;          /* NULL: 404 */
  char *photo_type;
} FakeUser;

typedef struct {
  char *id;               /* opaque base64 membership id */
  FakeUser *user;
  char *role;             /* "owner" | "guest" | "" */
  gint64 visible_history; /* ms, or FAKE_TIME_NEVER for all history */
} FakeMember;

typedef struct {
  char *reaction_type;
  FakeUser *user;
  gint64 created;
} FakeReaction;

typedef struct {
  char *id;
  char *content_type;
  GBytes *bytes;
} FakeHosted;

typedef struct {
  char *id;               /* creation epoch ms as text */
  gint64 created;
  gint64 modified;
  gint64 edited;          /* 0 = null */
  gint64 deleted;         /* 0 = null */
  FakeUser *from;         /* NULL for system events */
  gboolean system;        /* messageType systemEventMessage */
  char *content_type;     /* "html" | "text" */
  char *content;
  char *saved_content;    /* kept while soft-deleted */
  char *reply_to_id;
  char *subject;
  char *importance;
  JsonNode *mentions;     /* array */
  JsonNode *attachments;  /* array */
  JsonNode *event_detail; /* object or NULL */
  GPtrArray *reactions;   /* FakeReaction* */
  GPtrArray *hosted;      /* FakeHosted* */
} FakeMessage;

typedef struct {
  char *id;               /* pinnedChatMessageInfo id (opaque) */
  FakeMessage *message;
} FakePin;

typedef struct {
  char *id;
  char *chat_type;        /* oneOnOne | group | meeting */
  char *topic;            /* NULL unless group/meeting */
  gint64 created;
  gint64 last_updated;
  gint64 last_read;       /* FAKE_TIME_NEVER when never read */
  gboolean hidden;
  GPtrArray *members;     /* FakeMember* */
  GPtrArray *messages;    /* FakeMessage*, creation order */
  GHashTable *message_by_id;
  GPtrArray *pins;        /* FakePin* */
  guint pin_seq;
} FakeChat;

typedef struct _FakeIdentity FakeIdentity;

struct _FakeGraph {
  SoupServer *server;
  char *base_url;
  char *graph_url;
  char *tenant_id;
  char *domain;
  FakeUser *me;
  GPtrArray *users;            /* FakeUser* (owned) */
  GHashTable *user_by_id;
  GHashTable *user_by_upn;     /* lower-case upn → user */
  GPtrArray *chats;            /* FakeChat* (owned) */
  GHashTable *chat_by_id;
  gint64 last_stamp;           /* strictly increasing live timestamps */
  FakeIdentity *identity;
  GPtrArray *faults;
  GPtrArray *log;              /* FakeRequest* */
  GPtrArray *pending;          /* delayed requests in flight */
  gboolean app_permissions;    /* tokens act as Chat.Read.All application ones (getAllMessages) */
};

/* ---- one request through the routes (outer HTTP or inner $batch) ---- */
typedef struct {
  char *name;
  char *value;
} FakeParam;

typedef struct {
  FakeGraph *fg;
  char *method;
  char *path;                  /* decoded, without query, e.g. /v1.0/me/chats */
  char **seg;                  /* decoded segments, users('x') split, me → users/<id> */
  guint n_seg;
  GPtrArray *params;           /* FakeParam*, in order */
  char *query;                 /* decoded query for the log, NULL when none */
  SoupMessageHeaders *headers; /* request headers */
  GBytes *body;                /* may be NULL */
  JsonNode *json;              /* parsed body (lazily) */
  gboolean json_tried;
  gboolean in_batch;
  const char *args[6];         /* the route's captured segments */
  FakeRequest *log;
  const char *access_token;    /* validated bearer token (Graph requests) */
} FakeReq;

typedef struct {
  guint status;
  char *content_type;
  GBytes *body;
  GPtrArray *headers;          /* char* name, value, name, value… */
} FakeResp;

typedef void (*FakeHandler) (FakeReq *req, FakeResp *resp);
typedef struct {
  const char *method;
  const char *pattern;         /* segments; "*" captures one into args */
  FakeHandler handler;
} FakeRoute;

extern const FakeRoute fake_chat_routes[];
extern const FakeRoute fake_message_routes[];
extern const FakeRoute fake_user_routes[];
extern const FakeRoute fake_misc_routes[];

/* ---- fake-graph.c: dispatch ---- */
FakeReq *fake_req_new (FakeGraph *fg, const char *method, const char *raw_path,
                       const char *raw_query, SoupMessageHeaders *headers, GBytes *body);
void fake_req_free (FakeReq *req);
FakeResp *fake_resp_new (void);
void fake_resp_free (FakeResp *resp);
/* Runs a Graph request (auth already checked for outer ones) through the route tables. */
void fake_dispatch_graph (FakeReq *req, FakeResp *resp);
/* Finds the first fault for method/path and consumes one use; FALSE when none. DROP faults
 * never match inner $batch requests. */
typedef struct {
  FakeFaultKind kind;
  guint status;
  guint delay_ms;
  char retry_after[32];   /* "" when none */
} FakeFaultInfo;
gboolean fake_fault_take (FakeGraph *fg, const char *method, const char *path,
                          gboolean in_batch, FakeFaultInfo *info);
FakeGraph *fake_graph_new_empty (void);
FakeRequest *fake_log_add (FakeGraph *fg, FakeReq *req);
void fake_trace (FakeReq *req, guint status);   /* FAKE_GRAPH_TRACE=1 */

/* ---- responses ---- */
void fake_resp_header (FakeResp *resp, const char *name, const char *value);
const char *fake_resp_get_header (FakeResp *resp, const char *name);
void fake_resp_json (FakeResp *resp, guint status, JsonNode *node);   /* consumes node */
void fake_resp_object (FakeResp *resp, guint status, JsonObject *obj); /* consumes obj */
void fake_resp_bytes (FakeResp *resp, guint status, const char *content_type, GBytes *bytes);
void fake_resp_empty (FakeResp *resp, guint status);
void fake_resp_error (FakeReq *req, FakeResp *resp, guint status, const char *code,
                      const char *fmt, ...) G_GNUC_PRINTF (5, 6);
/* Graph's error body for a status alone (faults). */
void fake_resp_status_error (FakeReq *req, FakeResp *resp, guint status);
void fake_resp_oauth_error (FakeResp *resp, guint status, const char *error,
                            const char *description);

/* ---- request helpers ---- */
const char *fake_req_param (FakeReq *req, const char *name);
const char *fake_req_header (FakeReq *req, const char *name);
/* The body as a JSON object; NULL after answering 400 when it is not one. */
JsonObject *fake_req_json_object (FakeReq *req, FakeResp *resp);
gboolean fake_req_prefers_unknown_enums (FakeReq *req);
/* $top: `fallback` when absent; FALSE after answering 400 when invalid or > max. */
gboolean fake_req_top (FakeReq *req, FakeResp *resp, guint fallback, guint max, guint *top);
/* The chat by id that me may see; NULL after answering 404/403. */
FakeChat *fake_req_chat (FakeReq *req, FakeResp *resp, const char *chat_id);
FakeMessage *fake_req_message (FakeReq *req, FakeResp *resp, FakeChat *chat, const char *id);
/* The user named by id or UPN; NULL after answering 404. */
FakeUser *fake_req_user (FakeReq *req, FakeResp *resp, const char *id_or_upn);
/* TRUE when arg names me (id or UPN); otherwise answers 403 and returns FALSE. */
gboolean fake_req_is_me (FakeReq *req, FakeResp *resp, const char *id_or_upn);

/* GET /users/{id}/chats/getAllMessages (fake-messages.c). */
void fake_all_messages (FakeReq *req, FakeResp *resp);

/* ---- paging (keyset, descending, opaque $skiptoken) ---- */
typedef struct {
  gint64 key;
  gint64 key2;
  const char *id;
  gpointer item;
} FakeSortItem;
typedef JsonNode *(*FakeRenderFunc) (gpointer item, gpointer ctx);
/* Sorts `items` (FakeSortItem) descending, applies $skiptoken and `top`, renders one page with
 * @odata.nextLink when more remain. */
void fake_respond_page (FakeReq *req, FakeResp *resp, GArray *items, guint top,
                        FakeRenderFunc render, gpointer ctx, const char *context);

/* ---- fake-store.c: model ---- */
FakeUser *fake_store_user (FakeGraph *fg, const char *id_or_upn);   /* by id or UPN */
FakeUser *fake_store_add_user (FakeGraph *fg, const char *upn, const char *display_name,
                               const char *id);
FakeChat *fake_store_chat (FakeGraph *fg, const char *chat_id);
FakeChat *fake_store_add_chat (FakeGraph *fg, const char *chat_type, const char *topic,
                               const char *id, gint64 created);
FakeMember *fake_chat_member (FakeChat *chat, FakeUser *user);
FakeMember *fake_chat_member_by_id (FakeChat *chat, const char *membership_id);
FakeMember *fake_chat_add_member_raw (FakeGraph *fg, FakeChat *chat, FakeUser *user,
                                      const char *role, gint64 visible_history);
FakeChat *fake_store_find_one_on_one (FakeGraph *fg, FakeUser *a, FakeUser *b);
FakeMessage *fake_chat_message (FakeChat *chat, const char *id);
FakeMessage *fake_chat_last_message (FakeChat *chat);
gint64 fake_stamp (FakeGraph *fg);   /* now in ms, strictly increasing */
/* Appends a message at `created` (0 = now); ids strictly increase per chat. */
FakeMessage *fake_chat_post (FakeGraph *fg, FakeChat *chat, FakeUser *from,
                             const char *content_type, const char *content, gint64 created);
FakeMessage *fake_chat_post_event (FakeGraph *fg, FakeChat *chat, JsonObject *detail,
                                   gint64 created);
void fake_message_touch (FakeGraph *fg, FakeMessage *m);
/* Appends an inline image to the body as Teams clients post one: the bytes become a hosted
 * content and the body gets <p><img src="{graph}/chats/{c}/messages/{m}/hostedContents/{h}/$value">. */
void fake_message_add_image (FakeGraph *fg, FakeChat *chat, FakeMessage *m, GBytes *bytes,
                             const char *content_type, guint width, guint height);
void fake_message_edit (FakeGraph *fg, FakeMessage *m, const char *content_type,
                        const char *content);
void fake_message_soft_delete (FakeGraph *fg, FakeMessage *m);
void fake_message_undo_delete (FakeGraph *fg, FakeMessage *m);
gboolean fake_message_set_reaction (FakeGraph *fg, FakeMessage *m, FakeUser *by,
                                    const char *type, gboolean set);
/* Operations that also create Graph's system event messages. */
void fake_chat_rename (FakeGraph *fg, FakeChat *chat, FakeUser *by, const char *topic);
FakeMember *fake_chat_add_member_event (FakeGraph *fg, FakeChat *chat, FakeUser *by,
                                        FakeUser *user, const char *role, gint64 visible);
void fake_chat_remove_member_event (FakeGraph *fg, FakeChat *chat, FakeUser *by,
                                    FakeMember *member);
FakePin *fake_chat_pin (FakeGraph *fg, FakeChat *chat, FakeUser *by, FakeMessage *m);
FakePin *fake_chat_pin_by_id (FakeChat *chat, const char *pin_id);
FakePin *fake_chat_pin_of (FakeChat *chat, FakeMessage *m);
void fake_chat_unpin (FakeGraph *fg, FakeChat *chat, FakeUser *by, FakePin *pin);
void fake_chat_mark_read (FakeGraph *fg, FakeChat *chat);
/* TRUE for "message yourself" chats, which /me/chats does not list. */
gboolean fake_chat_is_self (FakeChat *chat);
JsonObject *fake_identity_object (FakeGraph *fg, FakeUser *user, gboolean with_odata_type);
void fake_store_free_all (FakeGraph *fg);
/* Turns the `<at id="N">Text</at>` tags of html and the mentioned users (NULL-terminated,
 * "everyone" = the conversation) into Graph's mentions array. */
JsonNode *fake_build_mentions (FakeGraph *fg, FakeChat *chat, const char *html,
                               const char *const *mentioned);

/* ---- fake-render.c: Graph JSON ---- */
JsonNode *fake_render_user (FakeGraph *fg, FakeUser *user, const char *select);
JsonNode *fake_render_chat (FakeGraph *fg, FakeChat *chat, gboolean with_preview,
                            gboolean with_members, gboolean include_unknown);
JsonNode *fake_render_message (FakeGraph *fg, FakeChat *chat, FakeMessage *m,
                               gboolean include_unknown);
JsonNode *fake_render_preview (FakeGraph *fg, FakeChat *chat, gboolean include_unknown);
JsonNode *fake_render_member (FakeGraph *fg, FakeChat *chat, FakeMember *member);
JsonNode *fake_render_presence (FakeUser *user, const char *id);
char *fake_member_location (FakeGraph *fg, FakeChat *chat, FakeMember *member);

/* ---- fake-tenant.c ---- */
gboolean fake_tenant_load (FakeGraph *fg, JsonObject *root, GError **error);

/* ---- fake-identity.c ---- */
FakeIdentity *fake_identity_new (void);
void fake_identity_free (FakeIdentity *id);
/* Serves /{tenant}/oauth2/v2.0/…; FALSE when the path is not an identity path. */
gboolean fake_identity_handle (FakeReq *req, FakeResp *resp);
/* NULL when valid; else the message of the 401. */
const char *fake_identity_check_access (FakeGraph *fg, const char *token);
gboolean fake_identity_token_has_scope (FakeGraph *fg, const char *token, const char *scope);

/* ---- fake-batch.c / fake-control.c / fake-search.c ---- */
void fake_batch_handle (FakeReq *req, FakeResp *resp, guint *max_delay_ms);
void fake_control_handle (FakeReq *req, FakeResp *resp);
void fake_search_query (FakeReq *req, FakeResp *resp);

/* ---- fake-photo.c ---- */
GBytes *fake_photo_png (const char *seed, guint size);          /* a square profile photo */
GBytes *fake_picture_png (const char *seed, guint width, guint height);   /* a shared picture */

/* ---- fake-util.c ---- */
char *fake_time_format (gint64 ms);
gboolean fake_time_parse (const char *text, gint64 *ms);
gint64 fake_now_ms (void);
char *fake_random_token (guint n_bytes);            /* base64url, no padding */
char *fake_random_hex (guint n_chars);
char *fake_base64url (const guchar *data, gsize len);
char *fake_html_to_text (const char *html);
gboolean fake_str_contains_ci (const char *haystack, const char *needle);
/* json helpers (null-safe) */
const char *fake_json_string (JsonObject *obj, const char *member);
JsonObject *fake_json_object (JsonObject *obj, const char *member);
JsonArray *fake_json_array (JsonObject *obj, const char *member);
void fake_json_set_string_or_null (JsonObject *obj, const char *member, const char *value);
void fake_json_set_time (JsonObject *obj, const char *member, gint64 ms);   /* 0 → null */
char *fake_json_to_string (JsonNode *node);
/* A new node owning the reference the caller held. */
JsonNode *fake_node_take_object (JsonObject *obj);
JsonNode *fake_node_take_array (JsonArray *arr);
/* The user named by a "…/users('x')" or "…/users/x" bind URL. */
FakeUser *fake_user_from_bind (FakeGraph *fg, const char *url);

G_END_DECLS
