/* Unit tests for tg-model: Graph JSON → chats, members, messages, users; times; system event
 * text. Real-shaped JSON (as Graph sends it), with nulls, missing and mistyped fields: nothing
 * may raise a critical (the runner sets G_DEBUG=fatal-criticals). */
#include <string.h>

#include "core/tg-json.h"
#include "core/tg-model.h"

static JsonNode *
parse (const char *text)
{
  GError *error = NULL;
  JsonNode *node = tg_json_parse (text, -1, &error);

  g_assert_no_error (error);
  return node;
}

/* ---- times ---- */

static void
test_time_parse (void)
{
  /* 2024-05-01T10:20:30Z = 1714558830 */
  g_assert_cmpint (tg_time_parse ("2024-05-01T10:20:30Z"), ==, 1714558830LL * G_USEC_PER_SEC);
  g_assert_cmpint (tg_time_parse ("2024-05-01T10:20:30.123Z"), ==, 1714558830123000LL);
  g_assert_cmpint (tg_time_parse ("2024-05-01T10:20:30.1234567Z"), ==, 1714558830123456LL);
  g_assert_cmpint (tg_time_parse ("2024-05-01T10:20:30.5"), ==, 1714558830500000LL);
  g_assert_cmpint (tg_time_parse ("2024-05-01T12:20:30+02:00"), ==, 1714558830LL * G_USEC_PER_SEC);
  g_assert_cmpint (tg_time_parse ("2024-05-01T08:20:30.000-02:00"), ==, 1714558830LL * G_USEC_PER_SEC);
  g_assert_cmpint (tg_time_parse ("2024-02-29T00:00:00Z"), ==, 1709164800LL * G_USEC_PER_SEC);
  g_assert_cmpint (tg_time_parse ("1970-01-01T00:00:01Z"), ==, G_USEC_PER_SEC);
  /* never / garbage */
  g_assert_cmpint (tg_time_parse ("0001-01-01T00:00:00Z"), ==, 0);
  g_assert_cmpint (tg_time_parse (NULL), ==, 0);
  g_assert_cmpint (tg_time_parse (""), ==, 0);
  g_assert_cmpint (tg_time_parse ("yesterday"), ==, 0);
  g_assert_cmpint (tg_time_parse ("2024-13-01T00:00:00Z"), ==, 0);
  g_assert_cmpint (tg_time_parse ("2024-05-01T10:20:30Zjunk"), ==, 0);
  g_assert_cmpint (tg_time_parse ("2024-05-01T10:20:30."), ==, 0);
  g_assert_cmpint (tg_time_parse ("2024-05-01"), ==, 0);
}

static void
test_time_format (void)
{
  g_autofree char *a = tg_time_format (1714558830123000LL);
  g_autofree char *b = tg_time_format (1714558830123456LL);
  g_autofree char *c = tg_time_format (1714558830LL * G_USEC_PER_SEC);

  g_assert_cmpstr (a, ==, "2024-05-01T10:20:30.123Z");
  g_assert_cmpstr (b, ==, "2024-05-01T10:20:30.123456Z");
  g_assert_cmpstr (c, ==, "2024-05-01T10:20:30.000Z");
  g_assert_null (tg_time_format (0));
  g_assert_cmpint (tg_time_parse (b), ==, 1714558830123456LL);
}

/* ---- chats ---- */

static const char chat_json[] =
  "{\"id\":\"19:abc@thread.v2\",\"topic\":\"Plans\",\"createdDateTime\":\"2024-01-02T03:04:05.678Z\","
  "\"lastUpdatedDateTime\":\"2024-03-01T00:00:00Z\",\"chatType\":\"group\","
  "\"webUrl\":\"https://teams.microsoft.com/l/chat/19%3Aabc%40thread.v2/0\","
  "\"tenantId\":\"t-1\",\"isHiddenForAllMembers\":false,"
  "\"viewpoint\":{\"isHidden\":false,\"lastMessageReadDateTime\":\"2024-04-01T00:00:00Z\"},"
  "\"members@odata.context\":\"x\","
  "\"members\":["
  " {\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\",\"id\":\"MCMjMSMj\","
  "  \"roles\":[\"owner\"],\"displayName\":\"Alice\",\"visibleHistoryStartDateTime\":\"0001-01-01T00:00:00Z\","
  "  \"userId\":\"u-alice\",\"email\":\"alice@contoso.com\",\"tenantId\":\"t-1\"},"
  " {\"@odata.type\":\"#microsoft.graph.aadUserConversationMember\",\"id\":\"MCMjMiMj\","
  "  \"roles\":[],\"displayName\":\"Bob\",\"userId\":\"u-bob\",\"email\":\"Bob@Contoso.com\"},"
  " {\"id\":\"guest\",\"roles\":[\"guest\",42,null],\"displayName\":null,\"userId\":null,\"email\":null},"
  " 17, null],"
  "\"lastMessagePreview\":{\"id\":\"1714000000000\",\"createdDateTime\":\"2024-04-25T00:00:00Z\","
  " \"isDeleted\":false,\"messageType\":\"message\",\"eventDetail\":null,"
  " \"body\":{\"contentType\":\"text\",\"content\":\"see you\"},"
  " \"from\":{\"application\":null,\"device\":null,\"user\":{\"@odata.type\":\"#microsoft.graph.teamworkUserIdentity\","
  "  \"id\":\"u-bob\",\"displayName\":\"Bob\",\"userIdentityType\":\"aadUser\"}}}}";

static void
test_chat_parse (void)
{
  g_autoptr (JsonNode) node = parse (chat_json);
  g_autoptr (TgChat) chat = tg_chat_new_from_json (tg_json_node_object (node));
  TgMember *m;
  g_autofree char *title = NULL;

  g_assert_nonnull (chat);
  g_assert_cmpstr (chat->id, ==, "19:abc@thread.v2");
  g_assert_cmpint (chat->type, ==, TG_CHAT_TYPE_GROUP);
  g_assert_cmpstr (chat->topic, ==, "Plans");
  g_assert_cmpint (chat->created, ==, tg_time_parse ("2024-01-02T03:04:05.678Z"));
  g_assert_cmpint (chat->last_updated, ==, tg_time_parse ("2024-03-01T00:00:00Z"));
  g_assert_cmpint (chat->last_read, ==, tg_time_parse ("2024-04-01T00:00:00Z"));
  g_assert_true (g_str_has_prefix (chat->web_url, "https://teams.microsoft.com/"));
  g_assert_true (chat->members_known);
  g_assert_cmpuint (chat->members->len, ==, 3);   /* 17 and null skipped */
  m = g_ptr_array_index (chat->members, 0);
  g_assert_cmpstr (m->id, ==, "MCMjMSMj");
  g_assert_cmpstr (m->user_id, ==, "u-alice");
  g_assert_cmpstr (m->email, ==, "alice@contoso.com");
  g_assert_true (tg_member_has_role (m, "owner"));
  g_assert_cmpint (m->visible_history_start, ==, 0);
  m = g_ptr_array_index (chat->members, 2);
  g_assert_null (m->user_id);
  g_assert_cmpuint (g_strv_length (m->roles), ==, 1);
  g_assert_true (tg_chat_find_member (chat, "bob@contoso.COM") == g_ptr_array_index (chat->members, 1));
  g_assert_true (tg_chat_find_member (chat, "u-alice") == g_ptr_array_index (chat->members, 0));
  g_assert_null (tg_chat_find_member (chat, "carol@contoso.com"));
  g_assert_null (tg_chat_find_member (chat, NULL));
  g_assert_nonnull (chat->preview);
  g_assert_cmpstr (chat->preview->from_display_name, ==, "Bob");
  g_assert_cmpstr (chat->preview->chat_id, ==, "19:abc@thread.v2");
  g_assert_true (tg_chat_is_unread (chat));
  title = tg_chat_title (chat, "u-alice");
  g_assert_cmpstr (title, ==, "Plans");
}

static void
test_chat_one_on_one (void)
{
  g_autoptr (JsonNode) node = parse (
    "{\"id\":\"19:u-alice_u-bob@unq.gbl.spaces\",\"topic\":null,\"chatType\":\"oneOnOne\","
    "\"viewpoint\":{\"isHidden\":true,\"lastMessageReadDateTime\":\"0001-01-01T00:00:00Z\"},"
    "\"members\":[{\"userId\":\"u-alice\",\"displayName\":\"Alice\"},{\"userId\":\"u-bob\",\"displayName\":\"Bob\"}]}");
  g_autoptr (TgChat) chat = tg_chat_new_from_json (tg_json_node_object (node));
  g_autofree char *title = NULL;
  TgMember *other;

  g_assert_cmpint (chat->type, ==, TG_CHAT_TYPE_ONE_ON_ONE);
  g_assert_null (chat->topic);
  g_assert_true (chat->hidden);
  g_assert_cmpint (chat->last_read, ==, 0);
  g_assert_null (chat->preview);
  g_assert_false (tg_chat_is_unread (chat));
  other = tg_chat_other_member (chat, "U-ALICE");
  g_assert_nonnull (other);
  g_assert_cmpstr (other->user_id, ==, "u-bob");
  title = tg_chat_title (chat, "u-alice");
  g_assert_cmpstr (title, ==, "Bob");
}

/* A chat with only oneself must not yield oneself (nor anyone) as "the other member". */
static void
test_chat_self_only (void)
{
  g_autoptr (JsonNode) node = parse (
    "{\"id\":\"48:notes\",\"chatType\":\"oneOnOne\",\"members\":[{\"userId\":\"u-me\"}]}");
  g_autoptr (TgChat) chat = tg_chat_new_from_json (tg_json_node_object (node));

  g_assert_null (tg_chat_other_member (chat, "u-me"));
}

static void
test_chat_mistyped (void)
{
  static const char *const bad[] = {
    "{\"id\":\"c1\",\"topic\":5,\"chatType\":7,\"createdDateTime\":true,\"viewpoint\":\"x\","
    "\"members\":{\"a\":1},\"lastMessagePreview\":[1,2]}",
    "{\"id\":\"c2\",\"chatType\":\"unknownFutureValue\",\"viewpoint\":null,\"members\":null,"
    "\"lastMessagePreview\":null,\"lastUpdatedDateTime\":\"garbage\"}",
    "{\"id\":\"c3\",\"chatType\":\"somethingNew\",\"lastMessagePreview\":{\"id\":null}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) node = parse (bad[i]);
      g_autoptr (TgChat) chat = tg_chat_new_from_json (tg_json_node_object (node));
      g_autofree char *title = NULL;

      g_assert_nonnull (chat);
      g_assert_null (chat->topic);
      g_assert_cmpint (chat->type, ==, TG_CHAT_TYPE_UNKNOWN);
      g_assert_cmpuint (chat->members->len, ==, 0);
      g_assert_false (chat->members_known);
      g_assert_null (chat->preview);
      g_assert_cmpint (chat->created, ==, 0);
      title = tg_chat_title (chat, NULL);
      g_assert_cmpstr (title, ==, chat->id);
    }
  {
    g_autoptr (JsonNode) a = parse ("{\"topic\":\"no id\"}");
    g_autoptr (JsonNode) b = parse ("[1]");
    g_autoptr (JsonNode) c = parse ("{\"id\":42}");

    g_assert_null (tg_chat_new_from_json (tg_json_node_object (a)));
    g_assert_null (tg_chat_new_from_json (tg_json_node_object (b)));
    g_assert_null (tg_chat_new_from_json (tg_json_node_object (c)));
    g_assert_null (tg_chat_new_from_json (NULL));
  }
  g_assert_cmpint (tg_chat_type_from_string ("meeting"), ==, TG_CHAT_TYPE_MEETING);
  g_assert_cmpstr (tg_chat_type_to_string (TG_CHAT_TYPE_ONE_ON_ONE), ==, "oneOnOne");
}

/* ---- messages ---- */

static const char message_json[] =
  "{\"id\":\"1714558830123\",\"replyToId\":null,\"etag\":\"1714558899000\",\"messageType\":\"message\","
  "\"createdDateTime\":\"2024-05-01T10:20:30.123Z\",\"lastModifiedDateTime\":\"2024-05-01T10:21:39Z\","
  "\"lastEditedDateTime\":\"2024-05-01T10:21:39Z\",\"deletedDateTime\":null,\"subject\":null,"
  "\"summary\":null,\"chatId\":\"19:abc@thread.v2\",\"importance\":\"high\",\"locale\":\"en-us\","
  "\"webUrl\":null,\"channelIdentity\":null,\"policyViolation\":null,\"eventDetail\":null,"
  "\"from\":{\"application\":null,\"device\":null,\"user\":{\"@odata.type\":\"#microsoft.graph.teamworkUserIdentity\","
  " \"id\":\"u-bob\",\"displayName\":\"Bob\",\"userIdentityType\":\"aadUser\",\"tenantId\":\"t-1\"}},"
  "\"body\":{\"contentType\":\"html\",\"content\":\"<p>Hi <at id=\\\"0\\\">Alice</at>, <b>look</b>"
  " <emoji id=\\\"smile\\\" alt=\\\"\\ud83d\\ude42\\\" title=\\\"Smile\\\"></emoji></p>"
  "<p><img src=\\\"https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/messages/1/hostedContents/aWQ9MQ==/$value\\\">"
  "<img src=\\\"../hostedContents/aWQ9Mg==/$value\\\"><img src=\\\"../hostedContents/aWQ9MQ==/$value\\\"></p>"
  "<attachment id=\\\"att1\\\"></attachment>\"},"
  "\"attachments\":[{\"id\":\"att1\",\"contentType\":\"reference\",\"contentUrl\":\"https://contoso.sharepoint.com/f.docx\","
  " \"content\":null,\"name\":\"f.docx\",\"thumbnailUrl\":null,\"teamsAppId\":null}, 5],"
  "\"mentions\":[{\"id\":0,\"mentionText\":\"Alice\",\"mentioned\":{\"application\":null,\"device\":null,"
  " \"conversation\":null,\"tag\":null,\"user\":{\"id\":\"u-alice\",\"displayName\":\"Alice\",\"userIdentityType\":\"aadUser\"}}},"
  " {\"id\":1,\"mentionText\":\"Everyone\",\"mentioned\":{\"conversation\":{\"id\":\"19:abc@thread.v2\","
  " \"displayName\":\"Everyone\",\"conversationIdentityType\":\"chat\"}}}],"
  "\"reactions\":[{\"reactionType\":\"like\",\"displayName\":\"Like\",\"reactionContentUrl\":null,"
  " \"createdDateTime\":\"2024-05-01T10:21:00Z\",\"user\":{\"application\":null,\"device\":null,"
  " \"user\":{\"id\":\"u-alice\",\"displayName\":null,\"userIdentityType\":\"aadUser\"}}},"
  " {\"reactionType\":null}, {\"reactionType\":\"\\u2764\\ufe0f\",\"user\":null}],"
  "\"messageHistory\":[]}";

static void
test_message_parse (void)
{
  g_autoptr (JsonNode) node = parse (message_json);
  g_autoptr (TgMessage) msg = tg_message_new_from_json (tg_json_node_object (node), "ignored");
  TgMention *mention;
  TgReaction *reaction;
  TgAttachment *att;
  const char *markup;

  g_assert_nonnull (msg);
  g_assert_cmpstr (msg->id, ==, "1714558830123");
  g_assert_cmpstr (msg->chat_id, ==, "19:abc@thread.v2");
  g_assert_cmpstr (msg->etag, ==, "1714558899000");
  g_assert_null (msg->reply_to_id);
  g_assert_cmpint (msg->type, ==, TG_MESSAGE_TYPE_MESSAGE);
  g_assert_cmpint (msg->importance, ==, TG_IMPORTANCE_HIGH);
  g_assert_cmpint (msg->created, ==, 1714558830123000LL);
  g_assert_cmpint (msg->last_modified, ==, 1714558899LL * G_USEC_PER_SEC);
  g_assert_cmpint (msg->last_edited, ==, 1714558899LL * G_USEC_PER_SEC);
  g_assert_cmpint (msg->deleted, ==, 0);
  g_assert_false (msg->is_deleted);
  g_assert_cmpstr (msg->from_user_id, ==, "u-bob");
  g_assert_cmpstr (msg->from_display_name, ==, "Bob");
  g_assert_cmpint (msg->content_type, ==, TG_CONTENT_HTML);
  g_assert_false (tg_message_is_system (msg));
  g_assert_null (msg->event);

  g_assert_cmpuint (msg->mentions->len, ==, 2);
  mention = g_ptr_array_index (msg->mentions, 0);
  g_assert_cmpint (mention->id, ==, 0);
  g_assert_cmpstr (mention->user_id, ==, "u-alice");
  g_assert_cmpstr (mention->mention_text, ==, "Alice");
  mention = g_ptr_array_index (msg->mentions, 1);
  g_assert_null (mention->user_id);
  g_assert_cmpstr (mention->conversation_id, ==, "19:abc@thread.v2");

  g_assert_cmpuint (msg->reactions->len, ==, 2);   /* reactionType null skipped */
  reaction = g_ptr_array_index (msg->reactions, 0);
  g_assert_cmpstr (reaction->reaction_type, ==, "like");
  g_assert_cmpstr (reaction->user.id, ==, "u-alice");
  g_assert_null (reaction->user.display_name);
  reaction = g_ptr_array_index (msg->reactions, 1);
  g_assert_null (reaction->user.id);

  g_assert_cmpuint (msg->attachments->len, ==, 1);
  att = g_ptr_array_index (msg->attachments, 0);
  g_assert_cmpstr (att->name, ==, "f.docx");
  g_assert_cmpstr (att->content_type, ==, "reference");

  g_assert_cmpuint (g_strv_length (msg->hosted_contents), ==, 2);
  g_assert_cmpstr (msg->hosted_contents[0], ==, "aWQ9MQ==");
  g_assert_cmpstr (msg->hosted_contents[1], ==, "aWQ9Mg==");

  markup = tg_message_markup (msg);
  g_assert_nonnull (strstr (markup, "Hi <b>Alice</b>, <b>look</b> \xf0\x9f\x99\x82"));
  g_assert_nonnull (strstr (markup, "<a href=\"https://contoso.sharepoint.com/f.docx\">f.docx</a>"));
  g_assert_null (strstr (markup, "<p>"));
  g_assert_null (strstr (markup, "<at"));
  g_assert_true (markup == tg_message_markup (msg));   /* cached */
}

static void
test_message_mistyped (void)
{
  static const char *const bad[] = {
    "{\"id\":\"1\"}",
    "{\"id\":\"2\",\"from\":null,\"body\":null,\"mentions\":null,\"reactions\":null,\"attachments\":null}",
    "{\"id\":\"3\",\"from\":\"bob\",\"body\":\"text\",\"mentions\":\"x\",\"reactions\":{},\"attachments\":7,"
    " \"createdDateTime\":12,\"etag\":5,\"messageType\":[],\"importance\":null}",
    "{\"id\":\"4\",\"from\":{\"user\":null,\"application\":{\"id\":\"app\",\"displayName\":\"Bot\"}},"
    " \"body\":{\"contentType\":null,\"content\":null},\"mentions\":[null,{\"mentioned\":null}],"
    " \"reactions\":[{\"reactionType\":\"like\",\"user\":{\"user\":7}}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonNode) node = parse (bad[i]);
      g_autoptr (TgMessage) msg = tg_message_new_from_json (tg_json_node_object (node), "19:c");

      g_assert_nonnull (msg);
      g_assert_cmpstr (msg->chat_id, ==, "19:c");
      g_assert_cmpstr (msg->body, ==, "");
      g_assert_nonnull (msg->mentions);
      g_assert_nonnull (msg->reactions);
      g_assert_nonnull (msg->attachments);
      g_assert_nonnull (msg->hosted_contents);
      g_assert_null (msg->from_user_id);
      g_assert_cmpint (msg->created, ==, 0);
      g_assert_cmpstr (tg_message_markup (msg), ==, "");
      g_assert_null (tg_message_system_text (msg));
      if (i == 3)
        {
          g_assert_cmpstr (msg->from_app_name, ==, "Bot");
          g_assert_cmpstr (msg->from_display_name, ==, "Bot");
          g_assert_cmpuint (msg->mentions->len, ==, 1);
          g_assert_cmpuint (msg->reactions->len, ==, 1);
        }
    }
  {
    g_autoptr (JsonNode) a = parse ("{\"body\":{\"content\":\"no id\"}}");

    g_assert_null (tg_message_new_from_json (tg_json_node_object (a), "c"));
    g_assert_null (tg_message_new_from_json (NULL, "c"));
  }
}

static void
test_message_deleted (void)
{
  g_autoptr (JsonNode) node = parse (
    "{\"id\":\"9\",\"messageType\":\"message\",\"createdDateTime\":\"2024-05-01T10:00:00Z\","
    "\"lastModifiedDateTime\":\"2024-05-01T11:00:00Z\",\"deletedDateTime\":\"2024-05-01T11:00:00Z\","
    "\"from\":{\"user\":{\"id\":\"u-bob\",\"displayName\":\"Bob\"}},\"body\":{\"contentType\":\"html\",\"content\":\"\"}}");
  g_autoptr (TgMessage) msg = tg_message_new_from_json (tg_json_node_object (node), NULL);
  g_autoptr (JsonNode) preview = parse ("{\"id\":\"9\",\"isDeleted\":true,\"createdDateTime\":\"2024-05-01T10:00:00Z\"}");
  g_autoptr (TgMessage) pmsg = tg_message_new_from_json (tg_json_node_object (preview), "19:c");

  g_assert_true (msg->is_deleted);
  g_assert_cmpint (msg->deleted, ==, tg_time_parse ("2024-05-01T11:00:00Z"));
  g_assert_null (msg->chat_id);
  g_assert_cmpstr (tg_message_markup (msg), ==, "");
  g_assert_true (pmsg->is_deleted);
  /* no lastModifiedDateTime: the newest of the other times */
  g_assert_cmpint (pmsg->last_modified, ==, pmsg->created);
}

static void
test_message_text_body (void)
{
  g_autoptr (JsonNode) node = parse (
    "{\"id\":\"1\",\"body\":{\"contentType\":\"text\",\"content\":\"a < b & c\\nnext\"}}");
  g_autoptr (TgMessage) msg = tg_message_new_from_json (tg_json_node_object (node), "c");
  g_autofree char *m2 = tg_model_body_to_markup ("<div>one</div><div>two<br/>three</div><script>x</script>"
                                                 "<a href=\"https://x/?a=1&amp;b=2\">link</a><img src=\"x\">",
                                                 TRUE);

  g_assert_cmpstr (tg_message_markup (msg), ==, "a &lt; b &amp; c<br>next");
  g_assert_cmpstr (m2, ==, "one<br>two<br>three<br><a href=\"https://x/?a=1&amp;b=2\">link</a>[image]");
}

/* ---- system events ---- */

static TgMessage *
system_message (const char *detail)
{
  g_autofree char *text = g_strdup_printf (
    "{\"id\":\"1\",\"messageType\":\"systemEventMessage\",\"createdDateTime\":\"2024-05-01T10:00:00Z\","
    "\"from\":null,\"body\":{\"contentType\":\"html\",\"content\":\"<systemEventMessage/>\"},"
    "\"eventDetail\":%s}", detail);
  g_autoptr (JsonNode) node = parse (text);
  TgMessage *msg = tg_message_new_from_json (tg_json_node_object (node), "19:c");

  g_assert_nonnull (msg);
  g_assert_true (tg_message_is_system (msg));
  g_assert_null (msg->from_user_id);
  g_assert_null (msg->from_display_name);
  return msg;
}

#define INITIATOR(name) "\"initiator\":{\"application\":null,\"device\":null,\"user\":{\"id\":\"u-" name "\",\"displayName\":\"" name "\",\"userIdentityType\":\"aadUser\"}}"

static void
check_system (const char *detail, TgEventKind kind, const char *expected)
{
  g_autoptr (TgMessage) msg = system_message (detail);
  g_autofree char *text = tg_message_system_text (msg);

  g_assert_nonnull (msg->event);
  g_assert_cmpint (msg->event->kind, ==, kind);
  g_assert_cmpstr (text, ==, expected);
}

static void
test_system_text (void)
{
  check_system ("{\"@odata.type\":\"#microsoft.graph.membersAddedEventMessageDetail\","
                "\"visibleHistoryStartDateTime\":\"0001-01-01T00:00:00Z\","
                "\"members\":[{\"id\":\"u-carol\",\"displayName\":\"Carol\",\"userIdentityType\":\"aadUser\"}],"
                INITIATOR ("Bob") "}",
                TG_EVENT_MEMBERS_ADDED, "Bob added Carol");
  check_system ("{\"@odata.type\":\"#microsoft.graph.membersAddedEventMessageDetail\","
                "\"members\":[{\"id\":\"a\",\"displayName\":\"Carol\"},{\"id\":\"b\",\"displayName\":\"Dave\"},"
                "{\"id\":\"c\",\"displayName\":null}],\"initiator\":null}",
                TG_EVENT_MEMBERS_ADDED, "Carol, Dave and c were added");
  check_system ("{\"@odata.type\":\"#microsoft.graph.membersDeletedEventMessageDetail\","
                "\"members\":[{\"id\":\"u-carol\",\"displayName\":\"Carol\"}]," INITIATOR ("Bob") "}",
                TG_EVENT_MEMBERS_DELETED, "Bob removed Carol");
  check_system ("{\"@odata.type\":\"#microsoft.graph.membersDeletedEventMessageDetail\","
                "\"members\":[{\"id\":\"u-Bob\",\"displayName\":\"Bob\"}]," INITIATOR ("Bob") "}",
                TG_EVENT_MEMBERS_DELETED, "Bob left the chat");
  check_system ("{\"@odata.type\":\"#microsoft.graph.membersJoinedEventMessageDetail\","
                "\"members\":[{\"id\":\"u-carol\",\"displayName\":\"Carol\"}]}",
                TG_EVENT_MEMBERS_JOINED, "Carol joined the chat");
  check_system ("{\"@odata.type\":\"#microsoft.graph.membersLeftEventMessageDetail\","
                "\"members\":[]," INITIATOR ("Dave") "}",
                TG_EVENT_MEMBERS_LEFT, "Dave left the chat");
  check_system ("{\"@odata.type\":\"#microsoft.graph.chatRenamedEventMessageDetail\","
                "\"chatId\":\"19:c\",\"chatDisplayName\":\"Q3 plans\"," INITIATOR ("Bob") "}",
                TG_EVENT_CHAT_RENAMED, "Bob renamed the chat to \"Q3 plans\"");
  check_system ("{\"@odata.type\":\"#microsoft.graph.chatRenamedEventMessageDetail\",\"chatDisplayName\":null}",
                TG_EVENT_CHAT_RENAMED, "Someone removed the chat name");
  check_system ("{\"@odata.type\":\"#microsoft.graph.messagePinnedEventMessageDetail\","
                "\"eventDateTime\":\"2024-05-01T10:00:00Z\"," INITIATOR ("Bob") "}",
                TG_EVENT_MESSAGE_PINNED, "Bob pinned a message");
  check_system ("{\"@odata.type\":\"#microsoft.graph.messageUnpinnedEventMessageDetail\"}",
                TG_EVENT_MESSAGE_UNPINNED, "A message was unpinned");
  check_system ("{\"@odata.type\":\"#microsoft.graph.callStartedEventMessageDetail\","
                "\"callEventType\":\"call\",\"callId\":\"x\"," INITIATOR ("Bob") "}",
                TG_EVENT_CALL_STARTED, "Call started");
  check_system ("{\"@odata.type\":\"#microsoft.graph.callEndedEventMessageDetail\","
                "\"callDuration\":\"PT1M30S\",\"callEventType\":\"call\",\"callParticipants\":[]}",
                TG_EVENT_CALL_ENDED, "Call ended (1 min 30 s)");
  check_system ("{\"@odata.type\":\"#microsoft.graph.callEndedEventMessageDetail\",\"callDuration\":7}",
                TG_EVENT_CALL_ENDED, "Call ended");
  check_system ("{\"@odata.type\":\"#microsoft.graph.somethingNewEventMessageDetail\"}",
                TG_EVENT_OTHER, "Chat event (somethingNew)");
  check_system ("{\"@odata.type\":5}", TG_EVENT_OTHER, "Chat event");
  check_system ("null", TG_EVENT_OTHER, "Chat event");
  check_system ("{}", TG_EVENT_OTHER, "Chat event");
}

/* Without Prefer: include-unknown-enum-members a system event is "unknownFutureValue". */
static void
test_system_unknown_enum (void)
{
  g_autoptr (JsonNode) node = parse (
    "{\"id\":\"5\",\"messageType\":\"unknownFutureValue\",\"from\":null,"
    "\"eventDetail\":{\"@odata.type\":\"#microsoft.graph.chatRenamedEventMessageDetail\",\"chatDisplayName\":\"<X>\"}}");
  g_autoptr (TgMessage) msg = tg_message_new_from_json (tg_json_node_object (node), "c");

  g_assert_cmpint (msg->type, ==, TG_MESSAGE_TYPE_SYSTEM);
  g_assert_cmpstr (tg_message_markup (msg), ==, "The chat was renamed to &quot;&lt;X&gt;&quot;");
}

static void
test_reactions_hash (void)
{
  g_autoptr (JsonNode) a = parse ("{\"id\":\"1\",\"reactions\":[{\"reactionType\":\"like\",\"user\":{\"user\":{\"id\":\"a\"}}},"
                                  "{\"reactionType\":\"heart\",\"user\":{\"user\":{\"id\":\"b\"}}}]}");
  g_autoptr (JsonNode) b = parse ("{\"id\":\"1\",\"reactions\":[{\"reactionType\":\"heart\",\"user\":{\"user\":{\"id\":\"b\"}}},"
                                  "{\"reactionType\":\"like\",\"user\":{\"user\":{\"id\":\"a\"}}}]}");
  g_autoptr (JsonNode) c = parse ("{\"id\":\"1\",\"reactions\":[{\"reactionType\":\"like\",\"user\":{\"user\":{\"id\":\"a\"}}}]}");
  g_autoptr (TgMessage) ma = tg_message_new_from_json (tg_json_node_object (a), "c");
  g_autoptr (TgMessage) mb = tg_message_new_from_json (tg_json_node_object (b), "c");
  g_autoptr (TgMessage) mc = tg_message_new_from_json (tg_json_node_object (c), "c");

  g_assert_cmpuint (tg_message_reactions_hash (ma), ==, tg_message_reactions_hash (mb));
  g_assert_cmpuint (tg_message_reactions_hash (ma), !=, tg_message_reactions_hash (mc));
}

/* ---- users and members ---- */

static void
test_user_member (void)
{
  g_autoptr (JsonNode) u = parse ("{\"id\":\"u-1\",\"displayName\":\"Alice\",\"userPrincipalName\":\"alice@contoso.com\","
                                  "\"mail\":null,\"jobTitle\":3}");
  g_autoptr (JsonNode) bad = parse ("{\"displayName\":\"no id\"}");
  g_autoptr (TgUser) user = tg_user_new_from_json (tg_json_node_object (u));
  g_autoptr (JsonNode) mnode = parse ("{\"id\":\"m\",\"userId\":\"u-1\",\"email\":\"A@x.com\",\"roles\":[\"Owner\"]}");
  TgMember *m = tg_member_new_from_json (tg_json_node_object (mnode)), *copy;

  g_assert_cmpstr (user->user_principal_name, ==, "alice@contoso.com");
  g_assert_null (user->mail);
  g_assert_null (user->job_title);
  g_assert_null (tg_user_new_from_json (tg_json_node_object (bad)));
  g_assert_true (tg_member_matches (m, "a@X.com"));
  g_assert_true (tg_member_matches (m, "U-1"));
  g_assert_false (tg_member_matches (m, ""));
  g_assert_true (tg_member_has_role (m, "owner"));
  copy = tg_member_copy (m);
  g_assert_cmpstr (copy->email, ==, "A@x.com");
  g_assert_true (tg_member_has_role (copy, "owner"));
  tg_member_free (copy);
  tg_member_free (m);
  g_assert_null (tg_member_new_from_json (NULL));
}


/* AAD ids compare without regard to case; a missing id equals nothing. */
static void
test_id_equal (void)
{
  g_assert_true (tg_id_equal ("8f7a1c2e-AAAA-4b1b-9c3d-000000000001",
                              "8F7A1C2E-aaaa-4B1B-9C3D-000000000001"));
  g_assert_false (tg_id_equal ("8f7a1c2e-aaaa-4b1b-9c3d-000000000001",
                               "8f7a1c2e-aaaa-4b1b-9c3d-000000000002"));
  g_assert_false (tg_id_equal (NULL, NULL));
  g_assert_false (tg_id_equal ("a", NULL));
  g_assert_false (tg_id_equal (NULL, "a"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/time/parse", test_time_parse);
  g_test_add_func ("/model/time/format", test_time_format);
  g_test_add_func ("/model/chat/parse", test_chat_parse);
  g_test_add_func ("/model/chat/one-on-one", test_chat_one_on_one);
  g_test_add_func ("/model/chat/self-only", test_chat_self_only);
  g_test_add_func ("/model/chat/mistyped", test_chat_mistyped);
  g_test_add_func ("/model/message/parse", test_message_parse);
  g_test_add_func ("/model/message/mistyped", test_message_mistyped);
  g_test_add_func ("/model/message/deleted", test_message_deleted);
  g_test_add_func ("/model/message/text-body", test_message_text_body);
  g_test_add_func ("/model/system/text", test_system_text);
  g_test_add_func ("/model/system/unknown-enum", test_system_unknown_enum);
  g_test_add_func ("/model/message/reactions-hash", test_reactions_hash);
  g_test_add_func ("/model/user-member", test_user_member);
  g_test_add_func ("/model/id-equal", test_id_equal);
  return g_test_run ();
}
