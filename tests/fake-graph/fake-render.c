/* fake-render — the model as Graph's JSON: every field graph-api.md lists, with the nulls
 * real Graph sends. */
#include "fake-graph/fake-internal.h"
#include <string.h>

/* ---- users ---- */

static const char *const default_user_fields[] = {
  "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
  "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id", NULL
};

static void
set_user_field (JsonObject *o, FakeUser *u, const char *field)
{
  if (strcmp (field, "businessPhones") == 0) {
    JsonArray *phones = json_array_new ();
    for (guint i = 0; u->business_phones && u->business_phones[i]; i++)
      json_array_add_string_element (phones, u->business_phones[i]);
    json_object_set_array_member (o, field, phones);
  }
  else if (strcmp (field, "displayName") == 0)
    fake_json_set_string_or_null (o, field, u->display_name);
  else if (strcmp (field, "givenName") == 0)
    fake_json_set_string_or_null (o, field, u->given_name);
  else if (strcmp (field, "jobTitle") == 0)
    fake_json_set_string_or_null (o, field, u->job_title);
  else if (strcmp (field, "mail") == 0)
    fake_json_set_string_or_null (o, field, u->mail);
  else if (strcmp (field, "mobilePhone") == 0)
    fake_json_set_string_or_null (o, field, u->mobile_phone);
  else if (strcmp (field, "officeLocation") == 0)
    fake_json_set_string_or_null (o, field, u->office_location);
  else if (strcmp (field, "preferredLanguage") == 0)
    json_object_set_string_member (o, field, "en-US");
  else if (strcmp (field, "surname") == 0)
    fake_json_set_string_or_null (o, field, u->surname);
  else if (strcmp (field, "userPrincipalName") == 0)
    json_object_set_string_member (o, field, u->upn);
  else if (strcmp (field, "id") == 0)
    json_object_set_string_member (o, field, u->id);
  else if (strcmp (field, "department") == 0)
    fake_json_set_string_or_null (o, field, u->department);
  else if (strcmp (field, "accountEnabled") == 0)
    json_object_set_boolean_member (o, field, TRUE);
  else if (strcmp (field, "userType") == 0)
    json_object_set_string_member (o, field, "Member");
  else
    json_object_set_null_member (o, field);
}

JsonNode *
fake_render_user (FakeGraph *fg, FakeUser *u, const char *select)
{
  JsonObject *o = json_object_new ();
  if (select && *select) {
    char **fields = g_strsplit (select, ",", -1);
    for (guint i = 0; fields[i]; i++) {
      char *f = g_strstrip (fields[i]);
      if (*f)
        set_user_field (o, u, f);
    }
    g_strfreev (fields);
    if (!json_object_has_member (o, "id"))
      set_user_field (o, u, "id");
  } else {
    for (guint i = 0; default_user_fields[i]; i++)
      set_user_field (o, u, default_user_fields[i]);
  }
  return fake_node_take_object (o);
}

JsonNode *
fake_render_presence (FakeUser *u, const char *id)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", u ? u->id : id);
  json_object_set_string_member (o, "availability", u ? u->availability : "PresenceUnknown");
  json_object_set_string_member (o, "activity", u ? u->activity : "PresenceUnknown");
  /* Graph's shape for someone else's message: no expiryDateTime/publishedDateTime. */
  if (u && u->status_message) {
    JsonObject *status = json_object_new (), *message = json_object_new ();
    json_object_set_string_member (message, "content", u->status_message);
    json_object_set_string_member (message, "contentType", u->status_message_type);
    json_object_set_object_member (status, "message", message);
    json_object_set_object_member (o, "statusMessage", status);
  } else
    json_object_set_null_member (o, "statusMessage");
  return fake_node_take_object (o);
}

/* ---- members ---- */

JsonNode *
fake_render_member (FakeGraph *fg, FakeChat *chat, FakeMember *m)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "@odata.type", "#microsoft.graph.aadUserConversationMember");
  json_object_set_string_member (o, "id", m->id);
  JsonArray *roles = json_array_new ();
  if (m->role && *m->role)
    json_array_add_string_element (roles, m->role);
  json_object_set_array_member (o, "roles", roles);
  json_object_set_string_member (o, "displayName", m->user->display_name);
  fake_json_set_time (o, "visibleHistoryStartDateTime", m->visible_history);
  json_object_set_string_member (o, "userId", m->user->id);
  fake_json_set_string_or_null (o, "email", m->user->mail);
  json_object_set_string_member (o, "tenantId", fg->tenant_id);
  return fake_node_take_object (o);
}

char *
fake_member_location (FakeGraph *fg, FakeChat *chat, FakeMember *m)
{
  return g_strdup_printf ("/chats/%s/members/%s", chat->id, m->id);
}

/* ---- messages ---- */

static const char *
message_type (FakeMessage *m, gboolean include_unknown)
{
  if (!m->system)
    return "message";
  return include_unknown ? "systemEventMessage" : "unknownFutureValue";
}

static JsonObject *
body_object (FakeMessage *m)
{
  JsonObject *b = json_object_new ();
  json_object_set_string_member (b, "contentType", m->content_type);
  json_object_set_string_member (b, "content", m->content);
  return b;
}

static void
set_from (FakeGraph *fg, JsonObject *o, FakeMessage *m)
{
  if (m->from)
    json_object_set_object_member (o, "from", fake_identity_object (fg, m->from, TRUE));
  else
    json_object_set_null_member (o, "from");
}

static void
set_event_detail (JsonObject *o, FakeMessage *m)
{
  if (m->event_detail)
    json_object_set_member (o, "eventDetail", json_node_copy (m->event_detail));
  else
    json_object_set_null_member (o, "eventDetail");
}

static JsonArray *
render_reactions (FakeGraph *fg, FakeMessage *m)
{
  JsonArray *arr = json_array_new ();
  for (guint i = 0; i < m->reactions->len; i++) {
    FakeReaction *r = g_ptr_array_index (m->reactions, i);
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "reactionType", r->reaction_type);
    json_object_set_null_member (o, "displayName");
    json_object_set_null_member (o, "reactionContentUrl");
    fake_json_set_time (o, "createdDateTime", r->created);
    JsonObject *who = fake_identity_object (fg, r->user, TRUE);
    /* Real Graph leaves the reacting user's name out: clients resolve the id. */
    json_object_set_null_member (fake_json_object (who, "user"), "displayName");
    json_object_set_object_member (o, "user", who);
    json_array_add_object_element (arr, o);
  }
  return arr;
}

JsonNode *
fake_render_message (FakeGraph *fg, FakeChat *chat, FakeMessage *m, gboolean include_unknown)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", m->id);
  fake_json_set_string_or_null (o, "replyToId", m->reply_to_id);
  char *etag = g_strdup_printf ("%" G_GINT64_FORMAT, m->modified);
  json_object_set_string_member (o, "etag", etag);
  g_free (etag);
  json_object_set_string_member (o, "messageType", message_type (m, include_unknown));
  fake_json_set_time (o, "createdDateTime", m->created);
  fake_json_set_time (o, "lastModifiedDateTime", m->modified);
  fake_json_set_time (o, "lastEditedDateTime", m->edited);
  fake_json_set_time (o, "deletedDateTime", m->deleted);
  fake_json_set_string_or_null (o, "subject", m->subject);
  json_object_set_null_member (o, "summary");
  json_object_set_string_member (o, "chatId", chat->id);
  json_object_set_string_member (o, "importance", m->importance);
  json_object_set_string_member (o, "locale", "en-us");
  json_object_set_null_member (o, "webUrl");
  json_object_set_null_member (o, "channelIdentity");
  json_object_set_null_member (o, "policyViolation");
  set_event_detail (o, m);
  set_from (fg, o, m);
  json_object_set_object_member (o, "body", body_object (m));
  if (m->deleted) {
    json_object_set_array_member (o, "attachments", json_array_new ());
    json_object_set_array_member (o, "mentions", json_array_new ());
  } else {
    json_object_set_member (o, "attachments", json_node_copy (m->attachments));
    json_object_set_member (o, "mentions", json_node_copy (m->mentions));
  }
  json_object_set_array_member (o, "reactions", render_reactions (fg, m));
  return fake_node_take_object (o);
}

JsonNode *
fake_render_preview (FakeGraph *fg, FakeChat *chat, gboolean include_unknown)
{
  FakeMessage *m = fake_chat_last_message (chat);
  if (m == NULL)
    return json_node_init_null (json_node_alloc ());
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", m->id);
  fake_json_set_time (o, "createdDateTime", m->created);
  json_object_set_boolean_member (o, "isDeleted", m->deleted != 0);
  json_object_set_string_member (o, "messageType", message_type (m, include_unknown));
  set_event_detail (o, m);
  json_object_set_object_member (o, "body", body_object (m));
  set_from (fg, o, m);
  return fake_node_take_object (o);
}

/* ---- chats ---- */

static JsonObject *
meeting_info (FakeGraph *fg, FakeChat *chat)
{
  JsonObject *o = json_object_new ();
  json_object_set_null_member (o, "calendarEventId");
  char *url = g_strdup_printf ("https://teams.microsoft.com/l/meetup-join/%s/0", chat->id);
  json_object_set_string_member (o, "joinWebUrl", url);
  g_free (url);
  FakeMember *first = chat->members->len ? g_ptr_array_index (chat->members, 0) : NULL;
  if (first)
    json_object_set_object_member (o, "organizer", fake_identity_object (fg, first->user, TRUE));
  else
    json_object_set_null_member (o, "organizer");
  return o;
}

JsonNode *
fake_render_chat (FakeGraph *fg, FakeChat *chat, gboolean with_preview, gboolean with_members,
                  gboolean include_unknown)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "id", chat->id);
  fake_json_set_string_or_null (o, "topic", chat->topic);
  fake_json_set_time (o, "createdDateTime", chat->created);
  fake_json_set_time (o, "lastUpdatedDateTime", chat->last_updated);
  json_object_set_string_member (o, "chatType", chat->chat_type);
  char *url = g_strdup_printf ("https://teams.microsoft.com/l/chat/%s/0?tenantId=%s", chat->id,
                               fg->tenant_id);
  json_object_set_string_member (o, "webUrl", url);
  g_free (url);
  json_object_set_string_member (o, "tenantId", fg->tenant_id);
  json_object_set_boolean_member (o, "isHiddenForAllMembers", FALSE);
  if (g_strcmp0 (chat->chat_type, "meeting") == 0)
    json_object_set_object_member (o, "onlineMeetingInfo", meeting_info (fg, chat));
  else
    json_object_set_null_member (o, "onlineMeetingInfo");
  JsonObject *vp = json_object_new ();
  json_object_set_boolean_member (vp, "isHidden", chat->hidden);
  fake_json_set_time (vp, "lastMessageReadDateTime", chat->last_read);
  json_object_set_object_member (o, "viewpoint", vp);
  if (with_preview)
    json_object_set_member (o, "lastMessagePreview",
                            fake_render_preview (fg, chat, include_unknown));
  if (with_members) {
    JsonArray *arr = json_array_new ();
    for (guint i = 0; i < chat->members->len && i < 25; i++)
      json_array_add_element (arr, fake_render_member (fg, chat,
                                                       g_ptr_array_index (chat->members, i)));
    json_object_set_array_member (o, "members", arr);
  }
  return fake_node_take_object (o);
}
