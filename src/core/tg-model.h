/* tg-model — the plain data of Teams chats: chats, members, messages, users.
 *
 * Owns the JSON → struct parsers for Graph's chat, conversationMember, chatMessage and user
 * resources, Graph's ISO-8601 times, and the readable text of system event messages.
 * Every parser is null-safe: missing, null or mistyped fields give NULL / 0 / the UNKNOWN
 * enum value and never a critical. Structs are reference counted (tg_*_ref / tg_*_unref)
 * so that the sync engine, the purple adapter and callbacks can share them; treat the
 * fields as read-only once a struct has been handed out.
 *
 * Times are gint64 microseconds since the Unix epoch (UTC); 0 means absent or "never"
 * (Graph's 0001-01-01T00:00:00Z).
 */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* ---- times ---- */

/* Parses Graph's ISO-8601 ("2024-05-01T10:20:30.1234567Z", "…+02:00", no fraction, …).
 * 0 for NULL, unparsable text and for any time before 1970 (0001-01-01 = never). */
gint64 tg_time_parse (const char *iso);
/* "2024-05-01T10:20:30.123Z" (3 fraction digits when µs is a whole ms, else 6), newly
 * allocated; good for $filter. NULL for 0. */
char *tg_time_format (gint64 usec);

/* ---- users and members ---- */

/* TRUE when both are set and name the same AAD object (ids are GUIDs: case does not matter). */
gboolean tg_id_equal (const char *a, const char *b);

typedef struct {
  char *id;                 /* AAD object id */
  char *display_name;
  char *user_principal_name;
  char *mail;
  char *job_title;
  char *user_type;          /* "Member", "Guest" (userType), may be NULL */
  /* Profile fields (present when the request $select-ed them). */
  char *department;
  char *office_location;
  char *mobile_phone;
  char **business_phones;   /* NULL-terminated, never NULL */
} TgUser;

TgUser *tg_user_new_from_json (JsonObject *obj);    /* NULL when obj is NULL or has no id */
TgUser *tg_user_copy (const TgUser *user);          /* NULL for NULL */
void tg_user_free (TgUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgUser, tg_user_free)

typedef struct {
  char *id;                 /* membership id (opaque, for DELETE /chats/{c}/members/{id}) */
  char *user_id;            /* AAD user id, may be NULL (e.g. anonymous guests) */
  char *display_name;
  char *email;
  char *tenant_id;
  char **roles;             /* NULL-terminated, never NULL ("owner", "guest", …) */
  gint64 visible_history_start;
} TgMember;

TgMember *tg_member_new_from_json (JsonObject *obj);  /* NULL when obj is NULL */
TgMember *tg_member_copy (const TgMember *member);
void tg_member_free (TgMember *member);
gboolean tg_member_has_role (const TgMember *member, const char *role);
/* TRUE when `ref` names this member: user id, or e-mail (case-insensitive). */
gboolean tg_member_matches (const TgMember *member, const char *ref);

/* ---- messages ---- */

typedef enum {
  TG_MESSAGE_TYPE_UNKNOWN = 0,   /* unknownFutureValue or anything new */
  TG_MESSAGE_TYPE_MESSAGE,
  TG_MESSAGE_TYPE_SYSTEM,        /* systemEventMessage */
  TG_MESSAGE_TYPE_CHAT_EVENT,
  TG_MESSAGE_TYPE_TYPING,
} TgMessageType;

typedef enum {
  TG_CONTENT_TEXT = 0,
  TG_CONTENT_HTML,
} TgContentType;

typedef enum {
  TG_IMPORTANCE_NORMAL = 0,
  TG_IMPORTANCE_HIGH,
  TG_IMPORTANCE_URGENT,
} TgImportance;

/* The kind of a system event (eventDetail["@odata.type"]). */
typedef enum {
  TG_EVENT_NONE = 0,             /* not a system event */
  TG_EVENT_OTHER,                /* an event type this code does not know */
  TG_EVENT_MEMBERS_ADDED,
  TG_EVENT_MEMBERS_DELETED,
  TG_EVENT_MEMBERS_JOINED,
  TG_EVENT_MEMBERS_LEFT,
  TG_EVENT_CHAT_RENAMED,
  TG_EVENT_MESSAGE_PINNED,
  TG_EVENT_MESSAGE_UNPINNED,
  TG_EVENT_CALL_STARTED,
  TG_EVENT_CALL_ENDED,
  TG_EVENT_CALL_RECORDING,
  TG_EVENT_CALL_TRANSCRIPT,
  TG_EVENT_MEETING_POLICY_UPDATED,
  TG_EVENT_APP_INSTALLED,
  TG_EVENT_APP_REMOVED,
  TG_EVENT_APP_UPGRADED,
  TG_EVENT_TAB_UPDATED,
  TG_EVENT_CHAT_CREATED,
  TG_EVENT_HISTORY_SHARED,
} TgEventKind;

/* An identity in a message (sender, initiator, event member, reactor). */
typedef struct {
  char *id;                 /* user / application id, may be NULL */
  char *display_name;       /* may be NULL */
} TgIdentity;

typedef struct {
  TgEventKind kind;
  char *odata_type;         /* the raw "@odata.type", may be NULL */
  TgIdentity initiator;     /* who did it (fields may be NULL) */
  GPtrArray *members;       /* TgIdentity*: members added/removed/joined/left; never NULL */
  char *chat_display_name;  /* chatRenamed: the new topic */
  char *call_duration;      /* callEnded: ISO-8601 duration ("PT1M30S"), may be NULL */
  gint64 visible_history_start;  /* membersAdded */
} TgEventDetail;

typedef struct {
  char *reaction_type;      /* "like", "heart", or an emoji */
  char *display_name;       /* Graph's name of the reaction, may be NULL */
  gint64 created;
  TgIdentity user;
} TgReaction;

typedef struct {
  int id;                   /* matches <at id="N"> in the html body */
  char *mention_text;
  char *user_id;            /* mentioned.user.id, NULL when not a user */
  char *conversation_id;    /* mentioned.conversation.id (@everyone), else NULL */
  char *display_name;       /* mentioned.{user|conversation|application}.displayName */
} TgMention;

typedef struct {
  char *id;
  char *content_type;       /* "reference" (file), "messageReference", an adaptive card type… */
  char *content_url;
  char *content;            /* inline JSON text of cards / quoted messages, may be NULL */
  char *name;
  char *thumbnail_url;
} TgAttachment;

typedef struct {
  /* identity */
  char *id;                 /* unique inside its chat only */
  char *chat_id;            /* may be NULL when Graph leaves it out (the caller knows it) */
  char *etag;
  char *reply_to_id;
  char *subject;
  TgMessageType type;
  TgImportance importance;
  /* times (µs, 0 = absent) */
  gint64 created;
  gint64 last_modified;
  gint64 last_edited;
  gint64 deleted;
  gboolean is_deleted;      /* deletedDateTime set, or the preview's isDeleted */
  /* sender: NULL for system events; for bots from_user_id is NULL and from_app_* are set */
  char *from_user_id;
  char *from_display_name;
  char *from_app_id;
  char *from_app_name;
  /* content */
  char *body;               /* body.content as sent (never NULL; "" when absent) */
  TgContentType content_type;
  GPtrArray *mentions;      /* TgMention*, never NULL */
  GPtrArray *reactions;     /* TgReaction*, never NULL */
  GPtrArray *attachments;   /* TgAttachment*, never NULL */
  char **hosted_contents;   /* ids of hosted contents referenced by the body, NULL-terminated, never NULL */
  TgEventDetail *event;     /* non-NULL for system events */
  /* private: cached rendering (see tg_message_markup) */
  char *markup_;
} TgMessage;

/* Parses a chatMessage (or a chat's lastMessagePreview). NULL when obj is NULL or has no id.
 * `chat_id` (may be NULL) is used when the JSON has no chatId. */
TgMessage *tg_message_new_from_json (JsonObject *obj, const char *chat_id);
TgMessage *tg_message_ref (TgMessage *msg);
void tg_message_unref (TgMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMessage, tg_message_unref)

gboolean tg_message_is_system (const TgMessage *msg);   /* system event or chat event */
/* The message as purple markup (html subset): for system events the readable event line,
 * for deleted messages "", else the body converted from Teams html (or escaped text).
 * Computed once and cached; owned by msg. This is the one place where Teams html becomes
 * display markup. */
const char *tg_message_markup (TgMessage *msg);
/* Teams html (or plain text when !is_html) → purple markup (newly allocated), via tg-markup. */
char *tg_model_body_to_markup (const char *content, gboolean is_html);

/* The readable line of a system event, newly allocated, plain text (not markup):
 * "Bob added Carol and Dave", "Bob renamed the chat to \"Plans\"", "Bob pinned a message",
 * "Call started", "Call ended (1 min 30 s)". NULL when msg is not a system event. */
char *tg_message_system_text (const TgMessage *msg);

/* Reactions fingerprint: equal for equal reaction sets (order-insensitive). */
guint64 tg_message_reactions_hash (const TgMessage *msg);

/* ---- chats ---- */

typedef enum {
  TG_CHAT_TYPE_UNKNOWN = 0,      /* unknownFutureValue / anything new; as a filter: all chats */
  TG_CHAT_TYPE_ONE_ON_ONE,
  TG_CHAT_TYPE_GROUP,
  TG_CHAT_TYPE_MEETING,
} TgChatType;

const char *tg_chat_type_to_string (TgChatType type);   /* "oneOnOne", "group", "meeting", "unknownFutureValue" */
TgChatType tg_chat_type_from_string (const char *s);

typedef struct {
  char *id;
  TgChatType type;
  char *topic;              /* NULL unless set (groups) */
  char *tenant_id;
  char *web_url;
  gint64 created;
  gint64 last_updated;      /* renamed or members changed (not new messages) */
  gboolean hidden;          /* viewpoint.isHidden */
  gint64 last_read;         /* viewpoint.lastMessageReadDateTime, 0 = never */
  GPtrArray *members;       /* TgMember*, never NULL; see members_known */
  gboolean members_known;   /* TRUE when the JSON carried "members" ($expand=members) */
  TgMessage *preview;       /* lastMessagePreview, NULL when absent */
} TgChat;

TgChat *tg_chat_new_from_json (JsonObject *obj);       /* NULL when obj is NULL or has no id */
TgChat *tg_chat_ref (TgChat *chat);
void tg_chat_unref (TgChat *chat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgChat, tg_chat_unref)

/* TRUE when the preview is newer than the last read time. */
gboolean tg_chat_is_unread (const TgChat *chat);
/* The member whose user id / email is `ref` (case-insensitive for emails), or NULL. */
TgMember *tg_chat_find_member (const TgChat *chat, const char *ref);
/* For one-on-one chats: the member that is not `me_id`; NULL if unknown. Never returns the
 * member `me_id` itself (a chat with only oneself yields NULL). */
TgMember *tg_chat_other_member (const TgChat *chat, const char *me_id);
/* A display title: the topic, else the other members' names joined by ", ". Newly allocated. */
char *tg_chat_title (const TgChat *chat, const char *me_id);

G_END_DECLS
