/* fake-tenant — builds the tenant from the JSON format of tests/fake-graph/README.md. Times
 * are given relative to the load ("minutesAgo") or absolute ("createdDateTime"). */
#include "fake-graph/fake-internal.h"
#include <string.h>

/* The size of the picture a tenant message with "image": true carries. */
#define TENANT_IMAGE_WIDTH 240
#define TENANT_IMAGE_HEIGHT 150

typedef struct {
  FakeGraph *fg;
  gint64 now;
  GError **error;
} Loader;

static gboolean
fail (Loader *ld, const char *fmt, const char *arg)
{
  g_set_error (ld->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, fmt, arg ? arg : "");
  return FALSE;
}

static double
json_number (JsonObject *o, const char *member, double fallback)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return fallback;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    return (double) json_node_get_int (n);
  if (t == G_TYPE_DOUBLE)
    return json_node_get_double (n);
  return fallback;
}

static gboolean
json_bool (JsonObject *o, const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN
         && json_node_get_boolean (n);
}

/* "minutesAgo": N (or prefix + "MinutesAgo") or an absolute date-time; `fallback` otherwise. */
static gint64
when (Loader *ld, JsonObject *o, const char *minutes_member, const char *date_member,
      gint64 fallback)
{
  gint64 t;
  if (date_member && fake_time_parse (fake_json_string (o, date_member), &t))
    return t;
  double minutes = json_number (o, minutes_member, -1);
  return minutes >= 0 ? ld->now - (gint64) (minutes * 60000) : fallback;
}

static void
set_str (char **slot, const char *value)
{
  if (value) {
    g_free (*slot);
    *slot = g_strdup (value);
  }
}

static const char *const *string_list (JsonArray *arr, GPtrArray *keep);

static gboolean
load_user (Loader *ld, JsonObject *o)
{
  const char *upn = fake_json_string (o, "upn");
  if (upn == NULL)
    return fail (ld, "a user has no \"upn\"%s", NULL);
  FakeUser *u = fake_store_add_user (ld->fg, upn, fake_json_string (o, "displayName"),
                                     fake_json_string (o, "id"));
  set_str (&u->mail, fake_json_string (o, "mail"));
  set_str (&u->job_title, fake_json_string (o, "jobTitle"));
  set_str (&u->department, fake_json_string (o, "department"));
  set_str (&u->office_location, fake_json_string (o, "officeLocation"));
  set_str (&u->mobile_phone, fake_json_string (o, "mobilePhone"));
  GPtrArray *phones = g_ptr_array_new ();
  g_strfreev (u->business_phones);
  u->business_phones = g_strdupv ((char **) string_list (fake_json_array (o, "businessPhones"), phones));
  g_ptr_array_unref (phones);
  JsonObject *presence = fake_json_object (o, "presence");
  const char *availability = presence ? fake_json_string (presence, "availability")
                                      : fake_json_string (o, "presence");
  if (availability)
    fake_graph_set_presence (ld->fg, upn, availability,
                             presence ? fake_json_string (presence, "activity") : NULL);
  if (json_bool (o, "photo"))
    fake_graph_set_user_photo (ld->fg, upn, NULL);
  return TRUE;
}

static FakeUser *
need_user (Loader *ld, const char *upn)
{
  FakeUser *u = fake_store_user (ld->fg, upn);
  if (u == NULL)
    fail (ld, "unknown user \"%s\" (list it in \"users\")", upn);
  return u;
}

static const char *const *
string_list (JsonArray *arr, GPtrArray *keep)
{
  for (guint i = 0; arr && i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
      g_ptr_array_add (keep, (gpointer) json_node_get_string (n));
  }
  g_ptr_array_add (keep, NULL);
  return (const char *const *) keep->pdata;
}

/* {"event": "membersAdded"|"membersDeleted"|"chatRenamed"|"messagePinned"|…, "by", …} */
static gboolean
load_event (Loader *ld, FakeChat *chat, JsonObject *o, gint64 created)
{
  const char *kind = fake_json_string (o, "event");
  FakeUser *by = need_user (ld, fake_json_string (o, "by"));
  if (by == NULL)
    return FALSE;
  JsonObject *d = json_object_new ();
  char *type = g_strdup_printf ("#microsoft.graph.%sEventMessageDetail", kind);
  json_object_set_string_member (d, "@odata.type", type);
  g_free (type);
  json_object_set_object_member (d, "initiator", fake_identity_object (ld->fg, by, FALSE));
  if (strcmp (kind, "chatRenamed") == 0) {
    json_object_set_string_member (d, "chatId", chat->id);
    fake_json_set_string_or_null (d, "chatDisplayName", fake_json_string (o, "topic"));
  } else if (g_str_has_prefix (kind, "members")) {
    JsonArray *arr = json_array_new ();
    GPtrArray *keep = g_ptr_array_new ();
    const char *const *upns = string_list (fake_json_array (o, "members"), keep);
    for (guint i = 0; upns[i]; i++) {
      FakeUser *u = need_user (ld, upns[i]);
      if (u == NULL) {
        g_ptr_array_unref (keep);
        json_array_unref (arr);
        json_object_unref (d);
        return FALSE;
      }
      JsonObject *m = json_object_new ();
      json_object_set_string_member (m, "id", u->id);
      json_object_set_string_member (m, "displayName", u->display_name);
      json_object_set_string_member (m, "userIdentityType", "aadUser");
      json_object_set_string_member (m, "tenantId", ld->fg->tenant_id);
      json_array_add_object_element (arr, m);
    }
    g_ptr_array_unref (keep);
    if (strcmp (kind, "membersAdded") == 0)
      json_object_set_string_member (d, "visibleHistoryStartDateTime", "0001-01-01T00:00:00Z");
    json_object_set_array_member (d, "members", arr);
  } else {
    fake_json_set_time (d, "eventDateTime", created);
  }
  fake_chat_post_event (ld->fg, chat, d, created);
  chat->last_updated = MAX (chat->last_updated, created);
  return TRUE;
}

static void
bump_stamp (Loader *ld, gint64 t)
{
  if (t <= ld->now)
    ld->fg->last_stamp = MAX (ld->fg->last_stamp, t);
}

static gboolean
load_reactions (Loader *ld, FakeMessage *m, JsonArray *arr)
{
  for (guint i = 0; arr && i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    JsonObject *r = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    FakeUser *by = need_user (ld, fake_json_string (r, "by"));
    const char *type = fake_json_string (r, "type");
    if (by == NULL)
      return FALSE;
    FakeReaction *fr = g_new0 (FakeReaction, 1);
    fr->reaction_type = g_strdup (type ? type : "like");
    fr->user = by;
    fr->created = m->created + 30000 * (i + 1);
    m->modified = MAX (m->modified, fr->created);
    g_ptr_array_add (m->reactions, fr);
  }
  return TRUE;
}

static void
apply_message_state (Loader *ld, FakeChat *chat, FakeMessage *m, JsonObject *o)
{
  gint64 edited = when (ld, o, "editedMinutesAgo", NULL, json_bool (o, "edited")
                                                         ? m->created + 60000 : 0);
  if (edited) {
    m->edited = MAX (edited, m->created + 1);
    m->modified = MAX (m->modified, m->edited);
  }
  const char *importance = fake_json_string (o, "importance");
  if (importance)
    set_str (&m->importance, importance);
  JsonNode *attachments = json_object_get_member (o, "attachments");
  if (attachments && JSON_NODE_HOLDS_ARRAY (attachments)) {
    json_node_unref (m->attachments);
    m->attachments = json_node_copy (attachments);
  }
  if (json_bool (o, "pinned"))
    fake_chat_pin (ld->fg, chat, NULL, m);
  gint64 deleted = when (ld, o, "deletedMinutesAgo", NULL, json_bool (o, "deleted")
                                                           ? m->created + 120000 : 0);
  if (deleted) {
    m->saved_content = m->content;
    m->content = g_strdup ("");
    m->deleted = MAX (deleted, m->modified + 1);
    m->modified = m->deleted;
  }
  bump_stamp (ld, m->modified);
}

static gboolean
load_message (Loader *ld, FakeChat *chat, JsonObject *o, gint64 fallback_time)
{
  gint64 created = when (ld, o, "minutesAgo", "createdDateTime", fallback_time);
  if (fake_json_string (o, "event"))
    return load_event (ld, chat, o, created);
  FakeUser *from = need_user (ld, fake_json_string (o, "from"));
  if (from == NULL)
    return FALSE;
  const char *text = fake_json_string (o, "text");
  const char *html = fake_json_string (o, "html");
  FakeMessage *m = fake_chat_post (ld->fg, chat, from, text && !html ? "text" : "html",
                                   html ? html : text, created);
  if (json_bool (o, "image")) {
    /* "image": true — a picture pasted into the message (a hosted content). */
    GBytes *png = fake_picture_png (m->id, TENANT_IMAGE_WIDTH, TENANT_IMAGE_HEIGHT);
    fake_message_add_image (ld->fg, chat, m, png, "image/png", TENANT_IMAGE_WIDTH, TENANT_IMAGE_HEIGHT);
    g_bytes_unref (png);
  }
  GPtrArray *keep = g_ptr_array_new ();
  const char *const *mentioned = string_list (fake_json_array (o, "mentions"), keep);
  if (mentioned[0]) {
    json_node_unref (m->mentions);
    m->mentions = fake_build_mentions (ld->fg, chat, m->content, mentioned);
  }
  g_ptr_array_unref (keep);
  if (!load_reactions (ld, m, fake_json_array (o, "reactions")))
    return FALSE;
  apply_message_state (ld, chat, m, o);
  return TRUE;
}

/* "unread": N leaves the last N messages unread; "read": false leaves all; default all read. */
static void
apply_read_state (Loader *ld, FakeChat *chat, JsonObject *o)
{
  guint n = chat->messages->len;
  double unread = json_number (o, "unread", 0);
  JsonNode *read = json_object_get_member (o, "read");
  if (read && JSON_NODE_HOLDS_VALUE (read) && !json_node_get_boolean (read))
    unread = n;
  if (unread >= n) {
    chat->last_read = n ? FAKE_TIME_NEVER : chat->created;
  } else {
    FakeMessage *m = g_ptr_array_index (chat->messages, n - 1 - (guint) unread);
    chat->last_read = m->created;
  }
}

static gboolean
load_chat (Loader *ld, JsonObject *o)
{
  const char *type = fake_json_string (o, "chatType");
  if (type == NULL)
    type = "group";
  JsonArray *messages = fake_json_array (o, "messages");
  gint64 created = when (ld, o, "createdMinutesAgo", "createdDateTime", ld->now - 30 * 86400000LL);
  FakeChat *chat = fake_store_add_chat (ld->fg, type, fake_json_string (o, "topic"),
                                        fake_json_string (o, "id"), created);
  chat->hidden = json_bool (o, "hidden");
  fake_chat_add_member_raw (ld->fg, chat, ld->fg->me, "owner", FAKE_TIME_NEVER);
  GPtrArray *keep = g_ptr_array_new ();
  const char *const *upns = string_list (fake_json_array (o, "members"), keep);
  gboolean ok = TRUE;
  for (guint i = 0; ok && upns[i]; i++) {
    FakeUser *u = need_user (ld, upns[i]);
    if (u)
      fake_chat_add_member_raw (ld->fg, chat, u, "owner", FAKE_TIME_NEVER);
    ok = u != NULL;
  }
  g_ptr_array_unref (keep);
  guint n = messages ? json_array_get_length (messages) : 0;
  for (guint i = 0; ok && i < n; i++) {
    JsonNode *node = json_array_get_element (messages, i);
    gint64 fallback = ld->now - (gint64) (n - i) * 60000;
    ok = JSON_NODE_HOLDS_OBJECT (node) ? load_message (ld, chat, json_node_get_object (node),
                                                       fallback)
                                       : fail (ld, "a message is not an object%s", NULL);
  }
  if (ok)
    apply_read_state (ld, chat, o);
  return ok;
}

static gboolean
load_array (Loader *ld, JsonObject *root, const char *member,
            gboolean (*load) (Loader *, JsonObject *))
{
  JsonArray *arr = fake_json_array (root, member);
  for (guint i = 0; arr && i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    if (!JSON_NODE_HOLDS_OBJECT (n))
      return fail (ld, "an entry of \"%s\" is not an object", member);
    if (!load (ld, json_node_get_object (n)))
      return FALSE;
  }
  return TRUE;
}

gboolean
fake_tenant_load (FakeGraph *fg, JsonObject *root, GError **error)
{
  Loader ld = { fg, fake_now_ms (), error };
  const char *me = fake_json_string (root, "me");
  if (me == NULL)
    return fail (&ld, "the tenant has no \"me\"%s", NULL);
  const char *tid = fake_json_string (root, "tenantId");
  if (tid)
    set_str (&fg->tenant_id, tid);
  const char *at = strchr (me, '@');
  fg->domain = g_strdup (at ? at + 1 : "contoso.com");
  if (!load_array (&ld, root, "users", load_user))
    return FALSE;
  fg->me = fake_store_add_user (fg, me, NULL, NULL);
  if (!load_array (&ld, root, "chats", load_chat))
    return FALSE;
  return TRUE;
}
