/* fake-api — the C API of fake-graph.h for building the tenant and acting as other users. */
#include "fake-graph/fake-internal.h"
#include <string.h>

const char *
fake_graph_add_user (FakeGraph *fg, const char *upn, const char *display_name)
{
  FakeUser *u = fake_store_add_user (fg, upn, display_name, NULL);
  return u ? u->id : NULL;
}

const char *
fake_graph_user_id (FakeGraph *fg, const char *upn)
{
  FakeUser *u = fake_store_user (fg, upn);
  return u ? u->id : NULL;
}

const char *
fake_graph_tenant_id (FakeGraph *fg)
{
  return fg->tenant_id;
}

const char *
fake_graph_me_upn (FakeGraph *fg)
{
  return fg->me ? fg->me->upn : NULL;
}

void
fake_graph_set_user_contact (FakeGraph *fg, const char *upn, const char *office_location,
                             const char *mobile_phone, const char *business_phone)
{
  FakeUser *u = fake_store_user (fg, upn);
  g_return_if_fail (u != NULL);
  if (office_location) {
    g_free (u->office_location);
    u->office_location = g_strdup (office_location);
  }
  if (mobile_phone) {
    g_free (u->mobile_phone);
    u->mobile_phone = g_strdup (mobile_phone);
  }
  if (business_phone) {
    const char *one[] = { business_phone, NULL };
    g_strfreev (u->business_phones);
    u->business_phones = g_strdupv ((char **) one);
  }
}

void
fake_graph_set_user_details (FakeGraph *fg, const char *upn, const char *job_title,
                             const char *department, const char *mail)
{
  FakeUser *u = fake_store_user (fg, upn);
  g_return_if_fail (u != NULL);
  if (job_title) {
    g_free (u->job_title);
    u->job_title = g_strdup (job_title);
  }
  if (department) {
    g_free (u->department);
    u->department = g_strdup (department);
  }
  if (mail) {
    g_free (u->mail);
    u->mail = g_strdup (mail);
  }
}

void
fake_graph_set_user_photo (FakeGraph *fg, const char *upn, GBytes *png)
{
  FakeUser *u = fake_store_user (fg, upn);
  g_return_if_fail (u != NULL);
  if (u->photo)
    g_bytes_unref (u->photo);
  u->photo = png ? g_bytes_ref (png) : fake_photo_png (u->id, 48);
  g_free (u->photo_type);
  u->photo_type = g_strdup ("image/png");
}

const char *
fake_graph_add_chat (FakeGraph *fg, const char *chat_type, const char *topic,
                     const char *const *members)
{
  FakeChat *chat = fake_store_add_chat (fg, chat_type, topic, NULL, 0);
  fake_chat_add_member_raw (fg, chat, fg->me, "owner", FAKE_TIME_NEVER);
  for (guint i = 0; members && members[i]; i++) {
    FakeUser *u = fake_store_user (fg, members[i]);
    if (u == NULL)
      u = fake_store_add_user (fg, members[i], NULL, NULL);
    fake_chat_add_member_raw (fg, chat, u, "owner", FAKE_TIME_NEVER);
  }
  return chat->id;
}

void
fake_graph_mark_read (FakeGraph *fg, const char *chat_id)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  g_return_if_fail (chat != NULL);
  fake_chat_mark_read (fg, chat);
}

const char *
fake_graph_find_chat (FakeGraph *fg, const char *name)
{
  if (name == NULL)
    return NULL;
  FakeChat *chat = fake_store_chat (fg, name);
  if (chat)
    return chat->id;
  FakeUser *u = fake_store_user (fg, name);
  if (u) {
    chat = fake_store_find_one_on_one (fg, fg->me, u);
    return chat ? chat->id : NULL;
  }
  for (guint i = 0; i < fg->chats->len; i++) {
    chat = g_ptr_array_index (fg->chats, i);
    if (chat->topic && strcmp (chat->topic, name) == 0)
      return chat->id;
  }
  return NULL;
}

static FakeChat *
chat_and_member (FakeGraph *fg, const char *chat_id, const char *upn, FakeUser **user)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  *user = fake_store_user (fg, upn);
  if (chat == NULL || *user == NULL)
    return NULL;
  return fake_chat_member (chat, *user) ? chat : NULL;
}

const char *
fake_graph_inject_mention_message (FakeGraph *fg, const char *chat_id, const char *from_upn,
                                   const char *html, const char *const *mentioned)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  if (chat == NULL || from_upn == NULL)
    return NULL;
  /* Lenient on purpose: the sender need not be a member; unknown users are created. */
  FakeUser *from = fake_store_add_user (fg, from_upn, NULL, NULL);
  FakeMessage *m = fake_chat_post (fg, chat, from, "html", html, 0);
  if (mentioned) {
    json_node_unref (m->mentions);
    m->mentions = fake_build_mentions (fg, chat, html, mentioned);
  }
  return m->id;
}

const char *
fake_graph_inject_message (FakeGraph *fg, const char *chat_id, const char *from_upn,
                           const char *html)
{
  return fake_graph_inject_mention_message (fg, chat_id, from_upn, html, NULL);
}

void
fake_graph_remove_user_photo (FakeGraph *fg, const char *upn)
{
  FakeUser *u = fake_store_user (fg, upn);
  g_return_if_fail (u != NULL);
  g_clear_pointer (&u->photo, g_bytes_unref);
}

gboolean
fake_graph_set_message_attachments (FakeGraph *fg, const char *chat_id, const char *message_id,
                                    const char *attachments_json)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  FakeMessage *m = chat ? fake_chat_message (chat, message_id) : NULL;
  JsonNode *node = attachments_json ? json_from_string (attachments_json, NULL) : NULL;
  if (m == NULL || node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
    if (node)
      json_node_unref (node);
    return FALSE;
  }
  json_node_unref (m->attachments);
  m->attachments = node;
  return TRUE;
}

const char *
fake_graph_inject_image_message (FakeGraph *fg, const char *chat_id, const char *from_upn,
                                 const char *html, GBytes *image, const char *content_type)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  if (chat == NULL || from_upn == NULL || image == NULL)
    return NULL;
  FakeUser *from = fake_store_add_user (fg, from_upn, NULL, NULL);
  FakeMessage *m = fake_chat_post (fg, chat, from, "html", "", 0);
  g_free (m->content);
  m->content = g_strdup (html ? html : "");
  fake_message_add_image (fg, chat, m, image, content_type, 48, 48);
  return m->id;
}

static FakeMessage *
find_message (FakeGraph *fg, const char *chat_id, const char *message_id)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  return chat ? fake_chat_message (chat, message_id) : NULL;
}

gboolean
fake_graph_edit_message (FakeGraph *fg, const char *chat_id, const char *message_id,
                         const char *new_html)
{
  FakeMessage *m = find_message (fg, chat_id, message_id);
  if (m == NULL || m->system)
    return FALSE;
  fake_message_edit (fg, m, "html", new_html);
  return TRUE;
}

gboolean
fake_graph_delete_message (FakeGraph *fg, const char *chat_id, const char *message_id)
{
  FakeMessage *m = find_message (fg, chat_id, message_id);
  if (m == NULL)
    return FALSE;
  fake_message_soft_delete (fg, m);
  return TRUE;
}

gboolean
fake_graph_add_reaction (FakeGraph *fg, const char *chat_id, const char *message_id,
                         const char *by_upn, const char *reaction)
{
  FakeMessage *m = find_message (fg, chat_id, message_id);
  FakeUser *by = fake_store_user (fg, by_upn);
  if (m == NULL || by == NULL || reaction == NULL)
    return FALSE;
  return fake_message_set_reaction (fg, m, by, reaction, TRUE);
}

gboolean
fake_graph_pin_message (FakeGraph *fg, const char *chat_id, const char *by_upn,
                        const char *message_id)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  FakeMessage *m = find_message (fg, chat_id, message_id);
  FakeUser *by = fake_store_user (fg, by_upn);
  if (chat == NULL || m == NULL || by == NULL)
    return FALSE;
  fake_chat_pin (fg, chat, by, m);
  return TRUE;
}

gboolean
fake_graph_rename_chat (FakeGraph *fg, const char *chat_id, const char *by_upn,
                        const char *topic)
{
  FakeUser *by;
  FakeChat *chat = chat_and_member (fg, chat_id, by_upn, &by);
  if (chat == NULL || g_strcmp0 (chat->chat_type, "oneOnOne") == 0)
    return FALSE;
  fake_chat_rename (fg, chat, by, topic);
  return TRUE;
}

gboolean
fake_graph_add_member (FakeGraph *fg, const char *chat_id, const char *by_upn, const char *upn)
{
  FakeUser *by;
  FakeChat *chat = chat_and_member (fg, chat_id, by_upn, &by);
  FakeUser *user = fake_store_user (fg, upn);
  if (chat == NULL || user == NULL || g_strcmp0 (chat->chat_type, "oneOnOne") == 0
      || fake_chat_member (chat, user))
    return FALSE;
  fake_chat_add_member_event (fg, chat, by, user, "owner", FAKE_TIME_NEVER);
  return TRUE;
}

gboolean
fake_graph_remove_member (FakeGraph *fg, const char *chat_id, const char *by_upn,
                          const char *upn)
{
  FakeUser *by;
  FakeChat *chat = chat_and_member (fg, chat_id, by_upn, &by);
  FakeUser *user = fake_store_user (fg, upn);
  FakeMember *member = chat && user ? fake_chat_member (chat, user) : NULL;
  if (member == NULL || g_strcmp0 (chat->chat_type, "oneOnOne") == 0)
    return FALSE;
  fake_chat_remove_member_event (fg, chat, by, member);
  return TRUE;
}

void
fake_graph_set_presence (FakeGraph *fg, const char *upn, const char *availability,
                         const char *activity)
{
  FakeUser *u = fake_store_user (fg, upn);
  g_return_if_fail (u != NULL);
  g_free (u->availability);
  g_free (u->activity);
  u->availability = g_strdup (availability ? availability : "PresenceUnknown");
  u->activity = g_strdup (activity ? activity : u->availability);
}

void
fake_graph_set_status_message (FakeGraph *fg, const char *upn, const char *content,
                               const char *content_type)
{
  FakeUser *u = fake_store_user (fg, upn);
  g_return_if_fail (u != NULL);
  g_clear_pointer (&u->status_message, g_free);
  g_clear_pointer (&u->status_message_type, g_free);
  /* Teams: an empty message is no message. */
  if (content == NULL || *content == '\0')
    return;
  u->status_message = g_strdup (content);
  u->status_message_type = g_strdup (content_type ? content_type : "text");
}

const char *
fake_graph_status_message (FakeGraph *fg, const char *upn)
{
  FakeUser *u = fake_store_user (fg, upn);
  return u ? u->status_message : NULL;
}

guint
fake_graph_message_count (FakeGraph *fg, const char *chat_id)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  return chat ? chat->messages->len : 0;
}

const char *
fake_graph_last_message_id (FakeGraph *fg, const char *chat_id)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  FakeMessage *m = chat ? fake_chat_last_message (chat) : NULL;
  return m ? m->id : NULL;
}

JsonNode *
fake_graph_message_json (FakeGraph *fg, const char *chat_id, const char *message_id)
{
  FakeChat *chat = fake_store_chat (fg, chat_id);
  FakeMessage *m = chat ? fake_chat_message (chat, message_id) : NULL;
  return m ? fake_render_message (fg, chat, m, TRUE) : NULL;
}
