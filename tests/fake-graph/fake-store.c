/* fake-store — the in-memory tenant: users, chats, members, messages, reactions and pins,
 * and the mutations that keep Graph's bookkeeping (ids, etags, lastUpdatedDateTime, system
 * event messages) consistent whoever triggers them (HTTP handlers, the C API, /_fake/). */
#include "fake-graph/fake-internal.h"
#include <string.h>

/* ---- ids ---- */

/* base64 of `text` + a counter, retried until it has no '/' or '+' (path-safe, still opaque). */
static char *
safe_opaque_id (const char *text)
{
  for (guint n = 0;; n++) {
    char *plain = n ? g_strdup_printf ("%s##%u", text, n) : g_strdup (text);
    char *b64 = g_base64_encode ((const guchar *) plain, strlen (plain));
    g_free (plain);
    if (strpbrk (b64, "/+") == NULL)
      return b64;
    g_free (b64);
  }
}

gint64
fake_stamp (FakeGraph *fg)
{
  gint64 now = fake_now_ms ();
  if (now <= fg->last_stamp)
    now = fg->last_stamp + 1;
  fg->last_stamp = now;
  return now;
}

/* ---- users ---- */

static void
user_free (FakeUser *u)
{
  g_free (u->id);
  g_free (u->upn);
  g_free (u->display_name);
  g_free (u->given_name);
  g_free (u->surname);
  g_free (u->mail);
  g_free (u->job_title);
  g_free (u->department);
  g_free (u->office_location);
  g_free (u->mobile_phone);
  g_strfreev (u->business_phones);
  g_free (u->availability);
  g_free (u->activity);
  g_free (u->status_message);
  g_free (u->status_message_type);
  g_free (u->photo_type);
  if (u->photo)
    g_bytes_unref (u->photo);
  g_free (u);
}

FakeUser *
fake_store_user (FakeGraph *fg, const char *id_or_upn)
{
  if (id_or_upn == NULL)
    return NULL;
  FakeUser *u = g_hash_table_lookup (fg->user_by_id, id_or_upn);
  if (u)
    return u;
  char *lower = g_ascii_strdown (id_or_upn, -1);
  u = g_hash_table_lookup (fg->user_by_upn, lower);
  g_free (lower);
  return u;
}

static void
split_display_name (FakeUser *u)
{
  const char *space = strrchr (u->display_name, ' ');
  if (space) {
    u->given_name = g_strndup (u->display_name, space - u->display_name);
    u->surname = g_strdup (space + 1);
  } else {
    u->given_name = g_strdup (u->display_name);
  }
}

FakeUser *
fake_store_add_user (FakeGraph *fg, const char *upn, const char *display_name, const char *id)
{
  g_return_val_if_fail (upn != NULL, NULL);
  FakeUser *existing = fake_store_user (fg, upn);
  if (existing)
    return existing;
  FakeUser *u = g_new0 (FakeUser, 1);
  u->id = id ? g_strdup (id) : g_uuid_string_random ();
  u->upn = g_strdup (upn);
  u->mail = g_strdup (upn);
  if (display_name) {
    u->display_name = g_strdup (display_name);
  } else {
    const char *at = strchr (upn, '@');
    u->display_name = at ? g_strndup (upn, at - upn) : g_strdup (upn);
  }
  split_display_name (u);
  u->availability = g_strdup ("Offline");
  u->activity = g_strdup ("Offline");
  g_ptr_array_add (fg->users, u);
  g_hash_table_insert (fg->user_by_id, u->id, u);
  g_hash_table_insert (fg->user_by_upn, g_ascii_strdown (upn, -1), u);
  return u;
}

/* ---- chats ---- */

static void
member_free (FakeMember *m)
{
  g_free (m->id);
  g_free (m->role);
  g_free (m);
}

static void
reaction_free (FakeReaction *r)
{
  g_free (r->reaction_type);
  g_free (r);
}

static void
hosted_free (FakeHosted *h)
{
  g_free (h->id);
  g_free (h->content_type);
  g_bytes_unref (h->bytes);
  g_free (h);
}

static void
message_free (FakeMessage *m)
{
  g_free (m->id);
  g_free (m->content_type);
  g_free (m->content);
  g_free (m->saved_content);
  g_free (m->reply_to_id);
  g_free (m->subject);
  g_free (m->importance);
  if (m->mentions)
    json_node_unref (m->mentions);
  if (m->attachments)
    json_node_unref (m->attachments);
  if (m->event_detail)
    json_node_unref (m->event_detail);
  g_ptr_array_unref (m->reactions);
  g_ptr_array_unref (m->hosted);
  g_free (m);
}

static void
pin_free (FakePin *p)
{
  g_free (p->id);
  g_free (p);
}

static void
chat_free (FakeChat *c)
{
  g_free (c->id);
  g_free (c->chat_type);
  g_free (c->topic);
  g_ptr_array_unref (c->members);
  g_ptr_array_unref (c->pins);
  g_hash_table_unref (c->message_by_id);
  g_ptr_array_unref (c->messages);
  g_free (c);
}

FakeChat *
fake_store_chat (FakeGraph *fg, const char *chat_id)
{
  return chat_id ? g_hash_table_lookup (fg->chat_by_id, chat_id) : NULL;
}

static char *
new_chat_id (const char *chat_type)
{
  char *hex = fake_random_hex (32);
  char *id;
  if (g_strcmp0 (chat_type, "meeting") == 0) {
    char *token = fake_random_token (24);
    id = g_strdup_printf ("19:meeting_%s@thread.v2", token);
    g_free (token);
  } else {
    id = g_strdup_printf ("19:%s@thread.v2", hex);
  }
  g_free (hex);
  return id;
}

FakeChat *
fake_store_add_chat (FakeGraph *fg, const char *chat_type, const char *topic, const char *id,
                     gint64 created)
{
  FakeChat *c = g_new0 (FakeChat, 1);
  c->id = id ? g_strdup (id) : new_chat_id (chat_type);
  c->chat_type = g_strdup (chat_type);
  c->topic = g_strcmp0 (chat_type, "oneOnOne") == 0 ? NULL : g_strdup (topic);
  c->created = created ? created : fake_stamp (fg);
  c->last_updated = c->created;
  c->last_read = FAKE_TIME_NEVER;
  c->members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  c->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);
  c->message_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  c->pins = g_ptr_array_new_with_free_func ((GDestroyNotify) pin_free);
  g_ptr_array_add (fg->chats, c);
  g_hash_table_insert (fg->chat_by_id, c->id, c);
  return c;
}

/* A one-on-one chat's id is built from its two members, as Graph does. */
static void
maybe_rename_one_on_one (FakeGraph *fg, FakeChat *chat)
{
  if (g_strcmp0 (chat->chat_type, "oneOnOne") != 0 || chat->members->len != 2
      || !g_str_has_suffix (chat->id, "@thread.v2"))
    return;
  FakeMember *a = g_ptr_array_index (chat->members, 0);
  FakeMember *b = g_ptr_array_index (chat->members, 1);
  const char *x = a->user->id, *y = b->user->id;
  if (strcmp (x, y) > 0) {
    const char *t = x;
    x = y;
    y = t;
  }
  char *id = g_strdup_printf ("19:%s_%s@unq.gbl.spaces", x, y);
  if (g_hash_table_contains (fg->chat_by_id, id)) {
    g_free (id);
    return;
  }
  g_hash_table_remove (fg->chat_by_id, chat->id);
  g_free (chat->id);
  chat->id = id;
  g_hash_table_insert (fg->chat_by_id, chat->id, chat);
  for (guint i = 0; i < chat->members->len; i++) {
    FakeMember *m = g_ptr_array_index (chat->members, i);
    char *plain = g_strdup_printf ("1##0##%s##%s##%s", fg->tenant_id, chat->id, m->user->id);
    g_free (m->id);
    m->id = safe_opaque_id (plain);
    g_free (plain);
  }
}

FakeMember *
fake_chat_member (FakeChat *chat, FakeUser *user)
{
  for (guint i = 0; i < chat->members->len; i++) {
    FakeMember *m = g_ptr_array_index (chat->members, i);
    if (m->user == user)
      return m;
  }
  return NULL;
}

FakeMember *
fake_chat_member_by_id (FakeChat *chat, const char *membership_id)
{
  for (guint i = 0; i < chat->members->len; i++) {
    FakeMember *m = g_ptr_array_index (chat->members, i);
    if (g_strcmp0 (m->id, membership_id) == 0)
      return m;
  }
  return NULL;
}

FakeMember *
fake_chat_add_member_raw (FakeGraph *fg, FakeChat *chat, FakeUser *user, const char *role,
                          gint64 visible_history)
{
  FakeMember *m = fake_chat_member (chat, user);
  if (m)
    return m;
  m = g_new0 (FakeMember, 1);
  char *plain = g_strdup_printf ("1##0##%s##%s##%s", fg->tenant_id, chat->id, user->id);
  m->id = safe_opaque_id (plain);
  g_free (plain);
  m->user = user;
  m->role = g_strdup (role ? role : "owner");
  m->visible_history = visible_history;
  g_ptr_array_add (chat->members, m);
  maybe_rename_one_on_one (fg, chat);
  return m;
}

FakeChat *
fake_store_find_one_on_one (FakeGraph *fg, FakeUser *a, FakeUser *b)
{
  for (guint i = 0; i < fg->chats->len; i++) {
    FakeChat *c = g_ptr_array_index (fg->chats, i);
    if (g_strcmp0 (c->chat_type, "oneOnOne") != 0)
      continue;
    if (a == b) {
      if (c->members->len == 1 && fake_chat_member (c, a))
        return c;
    } else if (fake_chat_member (c, a) && fake_chat_member (c, b)) {
      return c;
    }
  }
  return NULL;
}

gboolean
fake_chat_is_self (FakeChat *chat)
{
  return g_strcmp0 (chat->chat_type, "oneOnOne") == 0 && chat->members->len == 1;
}

/* ---- messages ---- */

FakeMessage *
fake_chat_message (FakeChat *chat, const char *id)
{
  return id ? g_hash_table_lookup (chat->message_by_id, id) : NULL;
}

FakeMessage *
fake_chat_last_message (FakeChat *chat)
{
  return chat->messages->len ? g_ptr_array_index (chat->messages, chat->messages->len - 1)
                             : NULL;
}

static FakeMessage *
message_append (FakeGraph *fg, FakeChat *chat, gint64 created)
{
  if (created == 0)
    created = fake_stamp (fg);
  FakeMessage *last = fake_chat_last_message (chat);
  if (last && created <= last->created)
    created = last->created + 1;
  if (created > fg->last_stamp && created <= fake_now_ms () + 86400000)
    fg->last_stamp = MAX (fg->last_stamp, created);
  FakeMessage *m = g_new0 (FakeMessage, 1);
  m->created = created;
  m->modified = created;
  m->id = g_strdup_printf ("%" G_GINT64_FORMAT, created);
  m->importance = g_strdup ("normal");
  m->mentions = fake_node_take_array (json_array_new ());
  m->attachments = fake_node_take_array (json_array_new ());
  m->reactions = g_ptr_array_new_with_free_func ((GDestroyNotify) reaction_free);
  m->hosted = g_ptr_array_new_with_free_func ((GDestroyNotify) hosted_free);
  g_ptr_array_add (chat->messages, m);
  g_hash_table_insert (chat->message_by_id, m->id, m);
  return m;
}

FakeMessage *
fake_chat_post (FakeGraph *fg, FakeChat *chat, FakeUser *from, const char *content_type,
                const char *content, gint64 created)
{
  FakeMessage *m = message_append (fg, chat, created);
  m->from = from;
  m->content_type = g_strdup (content_type ? content_type : "html");
  m->content = g_strdup (content ? content : "");
  if (from == fg->me && chat->last_read < m->created)
    chat->last_read = m->created;
  return m;
}

FakeMessage *
fake_chat_post_event (FakeGraph *fg, FakeChat *chat, JsonObject *detail, gint64 created)
{
  FakeMessage *m = message_append (fg, chat, created);
  m->system = TRUE;
  m->content_type = g_strdup ("html");
  m->content = g_strdup ("<systemEventMessage/>");
  m->event_detail = json_node_init_object (json_node_alloc (), detail);
  json_object_unref (detail);
  return m;
}

void
fake_message_touch (FakeGraph *fg, FakeMessage *m)
{
  gint64 stamp = fake_stamp (fg);
  m->modified = MAX (stamp, m->modified + 1);
}

void
fake_message_edit (FakeGraph *fg, FakeMessage *m, const char *content_type, const char *content)
{
  g_free (m->content);
  m->content = g_strdup (content ? content : "");
  if (content_type) {
    g_free (m->content_type);
    m->content_type = g_strdup (content_type);
  }
  fake_message_touch (fg, m);
  m->edited = m->modified;
}

void
fake_message_soft_delete (FakeGraph *fg, FakeMessage *m)
{
  if (m->deleted)
    return;
  g_free (m->saved_content);
  m->saved_content = m->content;
  m->content = g_strdup ("");
  fake_message_touch (fg, m);
  m->deleted = m->modified;
}

void
fake_message_undo_delete (FakeGraph *fg, FakeMessage *m)
{
  if (!m->deleted)
    return;
  g_free (m->content);
  m->content = m->saved_content ? m->saved_content : g_strdup ("");
  m->saved_content = NULL;
  m->deleted = 0;
  fake_message_touch (fg, m);
}

gboolean
fake_message_set_reaction (FakeGraph *fg, FakeMessage *m, FakeUser *by, const char *type,
                           gboolean set)
{
  for (guint i = 0; i < m->reactions->len; i++) {
    FakeReaction *r = g_ptr_array_index (m->reactions, i);
    if (r->user == by && g_strcmp0 (r->reaction_type, type) == 0) {
      if (set)
        return TRUE;
      g_ptr_array_remove_index (m->reactions, i);
      fake_message_touch (fg, m);
      return TRUE;
    }
  }
  if (!set)
    return FALSE;
  FakeReaction *r = g_new0 (FakeReaction, 1);
  r->reaction_type = g_strdup (type);
  r->user = by;
  fake_message_touch (fg, m);
  r->created = m->modified;
  g_ptr_array_add (m->reactions, r);
  return TRUE;
}

/* ---- events ---- */

JsonObject *
fake_identity_object (FakeGraph *fg, FakeUser *user, gboolean with_odata_type)
{
  JsonObject *id = json_object_new ();
  json_object_set_null_member (id, "application");
  json_object_set_null_member (id, "device");
  JsonObject *u = json_object_new ();
  if (with_odata_type)
    json_object_set_string_member (u, "@odata.type", "#microsoft.graph.teamworkUserIdentity");
  json_object_set_string_member (u, "id", user->id);
  json_object_set_string_member (u, "displayName", user->display_name);
  json_object_set_string_member (u, "userIdentityType", "aadUser");
  json_object_set_string_member (u, "tenantId", fg->tenant_id);
  json_object_set_object_member (id, "user", u);
  return id;
}

static JsonObject *
event_detail (FakeGraph *fg, const char *kind, FakeUser *initiator)
{
  JsonObject *d = json_object_new ();
  char *type = g_strdup_printf ("#microsoft.graph.%sEventMessageDetail", kind);
  json_object_set_string_member (d, "@odata.type", type);
  g_free (type);
  if (initiator)
    json_object_set_object_member (d, "initiator", fake_identity_object (fg, initiator, FALSE));
  else
    json_object_set_null_member (d, "initiator");
  return d;
}

static JsonArray *
event_members (FakeGraph *fg, FakeUser *user)
{
  JsonArray *arr = json_array_new ();
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", user->id);
  json_object_set_string_member (o, "displayName", user->display_name);
  json_object_set_string_member (o, "userIdentityType", "aadUser");
  json_object_set_string_member (o, "tenantId", fg->tenant_id);
  json_array_add_object_element (arr, o);
  return arr;
}

void
fake_chat_rename (FakeGraph *fg, FakeChat *chat, FakeUser *by, const char *topic)
{
  g_free (chat->topic);
  chat->topic = g_strdup (topic);
  chat->last_updated = fake_stamp (fg);
  JsonObject *d = event_detail (fg, "chatRenamed", by);
  json_object_set_string_member (d, "chatId", chat->id);
  fake_json_set_string_or_null (d, "chatDisplayName", topic);
  fake_chat_post_event (fg, chat, d, 0);
}

FakeMember *
fake_chat_add_member_event (FakeGraph *fg, FakeChat *chat, FakeUser *by, FakeUser *user,
                            const char *role, gint64 visible)
{
  if (visible == 0)
    visible = fake_stamp (fg);
  FakeMember *m = fake_chat_add_member_raw (fg, chat, user, role, visible);
  chat->last_updated = fake_stamp (fg);
  JsonObject *d = event_detail (fg, "membersAdded", by);
  char *vis = fake_time_format (visible);
  json_object_set_string_member (d, "visibleHistoryStartDateTime", vis);
  g_free (vis);
  json_object_set_array_member (d, "members", event_members (fg, user));
  fake_chat_post_event (fg, chat, d, 0);
  return m;
}

void
fake_chat_remove_member_event (FakeGraph *fg, FakeChat *chat, FakeUser *by, FakeMember *member)
{
  FakeUser *user = member->user;
  g_ptr_array_remove (chat->members, member);
  chat->last_updated = fake_stamp (fg);
  JsonObject *d = event_detail (fg, "membersDeleted", by);
  json_object_set_array_member (d, "members", event_members (fg, user));
  fake_chat_post_event (fg, chat, d, 0);
}

FakePin *
fake_chat_pin_by_id (FakeChat *chat, const char *pin_id)
{
  for (guint i = 0; i < chat->pins->len; i++) {
    FakePin *p = g_ptr_array_index (chat->pins, i);
    if (g_strcmp0 (p->id, pin_id) == 0)
      return p;
  }
  return NULL;
}

FakePin *
fake_chat_pin_of (FakeChat *chat, FakeMessage *m)
{
  for (guint i = 0; i < chat->pins->len; i++) {
    FakePin *p = g_ptr_array_index (chat->pins, i);
    if (p->message == m)
      return p;
  }
  return NULL;
}

static void
post_pin_event (FakeGraph *fg, FakeChat *chat, FakeUser *by, const char *kind)
{
  JsonObject *d = event_detail (fg, kind, by);
  gint64 now = fake_stamp (fg);
  fake_json_set_time (d, "eventDateTime", now);
  fake_chat_post_event (fg, chat, d, 0);
}

FakePin *
fake_chat_pin (FakeGraph *fg, FakeChat *chat, FakeUser *by, FakeMessage *m)
{
  FakePin *p = fake_chat_pin_of (chat, m);
  if (p)
    return p;
  p = g_new0 (FakePin, 1);
  char *plain = g_strdup_printf ("pin##%s##%s##%u", chat->id, m->id, ++chat->pin_seq);
  p->id = safe_opaque_id (plain);
  g_free (plain);
  p->message = m;
  g_ptr_array_add (chat->pins, p);
  if (by)
    post_pin_event (fg, chat, by, "messagePinned");
  return p;
}

void
fake_chat_unpin (FakeGraph *fg, FakeChat *chat, FakeUser *by, FakePin *pin)
{
  g_ptr_array_remove (chat->pins, pin);
  if (by)
    post_pin_event (fg, chat, by, "messageUnpinned");
}

void
fake_chat_mark_read (FakeGraph *fg, FakeChat *chat)
{
  gint64 now = fake_now_ms ();
  FakeMessage *last = fake_chat_last_message (chat);
  if (last && last->created > now)
    now = last->created;
  chat->last_read = now;
}

/* ---- mentions ---- */

/* The text of `<at id="N">Text</at>` in html, or NULL. */
static char *
at_tag_text (const char *html, guint n)
{
  char *open1 = g_strdup_printf ("<at id=\"%u\">", n);
  char *open2 = g_strdup_printf ("<at id='%u'>", n);
  const char *p = html ? strstr (html, open1) : NULL;
  gsize skip = strlen (open1);
  if (p == NULL && html) {
    p = strstr (html, open2);
    skip = strlen (open2);
  }
  g_free (open1);
  g_free (open2);
  if (p == NULL)
    return NULL;
  p += skip;
  const char *end = strstr (p, "</at>");
  if (end == NULL)
    return NULL;
  char *inner = g_strndup (p, end - p);
  char *text = fake_html_to_text (inner);
  g_free (inner);
  return text;
}

JsonNode *
fake_build_mentions (FakeGraph *fg, FakeChat *chat, const char *html,
                     const char *const *mentioned)
{
  JsonArray *arr = json_array_new ();
  for (guint i = 0; mentioned && mentioned[i]; i++) {
    JsonObject *mo = json_object_new ();
    json_object_set_int_member (mo, "id", i);
    char *text = at_tag_text (html, i);
    JsonObject *what = json_object_new ();
    if (g_ascii_strcasecmp (mentioned[i], "everyone") == 0) {
      JsonObject *conv = json_object_new ();
      json_object_set_string_member (conv, "@odata.type",
                                     "#microsoft.graph.teamworkConversationIdentity");
      json_object_set_string_member (conv, "id", chat->id);
      json_object_set_string_member (conv, "displayName", text ? text : "Everyone");
      json_object_set_string_member (conv, "conversationIdentityType", "chat");
      json_object_set_null_member (what, "application");
      json_object_set_null_member (what, "device");
      json_object_set_null_member (what, "user");
      json_object_set_object_member (what, "conversation", conv);
      json_object_set_string_member (mo, "mentionText", text ? text : "Everyone");
    } else {
      FakeUser *u = fake_store_user (fg, mentioned[i]);
      if (u == NULL) {
        g_free (text);
        json_object_unref (what);
        json_object_unref (mo);
        continue;
      }
      json_object_set_string_member (mo, "mentionText", text ? text : u->display_name);
      json_object_unref (what);
      what = fake_identity_object (fg, u, TRUE);
      json_object_set_null_member (what, "conversation");
      JsonObject *uo = fake_json_object (what, "user");
      json_object_set_string_member (uo, "displayName", text ? text : u->display_name);
    }
    json_object_set_object_member (mo, "mentioned", what);
    g_free (text);
    json_array_add_object_element (arr, mo);
  }
  return fake_node_take_array (arr);
}

void
fake_store_free_all (FakeGraph *fg)
{
  g_hash_table_unref (fg->chat_by_id);
  g_ptr_array_set_free_func (fg->chats, (GDestroyNotify) chat_free);
  g_ptr_array_unref (fg->chats);
  g_hash_table_unref (fg->user_by_id);
  g_hash_table_unref (fg->user_by_upn);
  g_ptr_array_set_free_func (fg->users, (GDestroyNotify) user_free);
  g_ptr_array_unref (fg->users);
}
