/* Message operation scenarios: the built plugin in the headless test bed against the Graph
 * emulator. /delete (own, from this client and from elsewhere; someone else's refused before any
 * request; Graph's 403), /edit (PATCH, shown once), /pin → /pinned → /unpin (the DELETE carries
 * the PINNED id, not the message id), /react (setReaction, not echoed back by the poll),
 * incoming reactions (one line each, once, also across a reconnect), and the error paths: no
 * message yet, n out of range or not a number, 404s. "The n-th last message" counts what the
 * conversation has shown: incoming, own sends and /history. */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-messages.h"
#include "purple/scenario.h"
#include "purple/testbed.h"
#include "purple/tgp-account.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define THUMBS "\xf0\x9f\x91\x8d"

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static FakeGraph *
new_tenant (void)
{
  return sc_tenant_new (ME, BOB, "Bob Jones", CAROL, "Carol Smith", NULL);
}

/* The conversation of a chat that has shown a message (group chats open on a message). */
static PurpleConversation *
chat_conv (PurpleAccount *acc, const char *chat_id)
{
  PurpleConversation *conv =
    purple_find_conversation_with_account (PURPLE_CONV_TYPE_CHAT, chat_id, acc);

  g_assert_nonnull (conv);
  return conv;
}

/* Runs a command and waits for the line that contains `expect`; returns it. */
static TbEvent *
command_says (PurpleConversation *conv, const char *cmdline, const char *expect)
{
  tb_events_mark ();
  sc_run_command (conv, cmdline);
  return sc_wait_write (expect);
}

static JsonObject *
message_json (FakeGraph *fg, const char *chat, const char *mid, JsonNode **keep)
{
  g_clear_pointer (keep, json_node_unref);   /* a test may read several into one keep */
  *keep = fake_graph_message_json (fg, chat, mid);
  g_assert_nonnull (*keep);
  return json_node_get_object (*keep);
}

/* Requests that change messages or pins (everything but reads). */
static guint
count_changes (FakeGraph *fg)
{
  return fake_graph_count (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete")
         + fake_graph_count (fg, "PATCH", "/v1.0/chats/*/messages/*")
         + fake_graph_count (fg, "POST", "/v1.0/chats/*/pinnedMessages")
         + fake_graph_count (fg, "DELETE", "/v1.0/chats/*/pinnedMessages/*")
         + fake_graph_count (fg, "POST", "/v1.0/chats/*/messages/*/setReaction");
}

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
cond_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* The pinned-message id of message `mid`, asked through the plugin's own Graph client (white
 * box); NULL when it is not pinned. */
static char *
pin_id_of (PurpleAccount *acc, const char *chat, const char *mid)
{
  TgpAccount *ta = tb_account_protocol_data (acc);
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pins = NULL;

  tg_messages_list_pinned_async (ta->graph, chat, ta->cancellable, on_result, &result);
  tb_wait (cond_result, &result, 0);
  pins = tg_messages_list_pinned_finish (ta->graph, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  for (guint i = 0; i < pins->len; i++)
    {
      const TgPinnedMessage *pin = g_ptr_array_index (pins, i);

      if (pin->message != NULL && g_strcmp0 (pin->message->id, mid) == 0)
        return g_strdup (pin->id);
    }
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* /delete                                                                                     */

static void
test_delete_own_refuse_others (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) keep = NULL;
  PurpleConversation *conv;
  const char *mine, *bobs;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  mine = fake_graph_inject_message (fg, chat, ME, "my typo");   /* from another client */
  sc_wait_write ("my typo");
  bobs = fake_graph_inject_message (fg, chat, BOB, "Bob's words");
  sc_wait_write ("Bob's words");
  conv = chat_conv (acc, chat);

  /* The last message is Bob's: refused before any request. */
  ev = command_says (conv, "delete", "You can only delete your own messages");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  g_assert_nonnull (strstr (ev->text, "Bob"));
  ev = command_says (conv, "delete 1", "You can only delete your own messages");
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete"), ==, 0);

  /* The one before is mine. */
  ev = command_says (conv, "delete 2", "Deleted your message: my typo");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  path = g_strdup_printf ("/v1.0/users/%s/chats/%s/messages/%s/softDelete",
                          fake_graph_user_id (fg, ME), chat, mine);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete"), ==, 1);
  g_assert_cmpstr (sc_last_request (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete")->path,
                   ==, path);
  g_assert_nonnull (json_object_get_string_member (message_json (fg, chat, mine, &keep),
                                                   "deletedDateTime"));
  g_assert_null (json_object_get_string_member (message_json (fg, chat, bobs, &keep),
                                                "deletedDateTime"));
  /* Shown once: the poll does not announce the delete again. */
  fake_graph_inject_message (fg, chat, CAROL, "later");
  sc_wait_write ("later");
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (sc_count_writes ("deleted a message"), ==, 0);
  /* The deleted message no longer counts: 2 is now "Bob's words", not mine. */
  command_says (conv, "delete 2", "You can only delete your own messages");
}

/* Own messages sent from this client count too (an IM here), and Graph's 403 reads the same. */
static void
test_delete_own_send_im_403 (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_one_on_one (fg, BOB, "Bob Jones");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  PurpleConversation *conv;
  FakeRequest *r;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, BOB);
  purple_conv_im_send (PURPLE_CONV_IM (conv), "sent from here");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  sc_wait_polls (fg, 2);

  fake_graph_add_fault (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete",
                        FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  ev = command_says (conv, "delete", "Could not delete");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  g_assert_cmpstr (ev->text, ==, "Could not delete the message: You can only delete your own messages.");

  ev = command_says (conv, "delete", "Deleted your message: sent from here");
  r = sc_last_request (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete");
  g_assert_nonnull (strstr (r->path, fake_graph_last_message_id (fg, chat)));
  g_assert_cmpuint (r->status, ==, 204);
  g_assert_cmpstr (ev->conv, ==, BOB);
  /* The delete was the chat's last change: the poll sees it at once, and does not show it. */
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes ("deleted a message"), ==, 0);
}

/* The same commands in an IM: Bob's incoming message and my own send count. */
static void
test_im_pin_react_edit (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_one_on_one (fg, BOB, "Bob Jones");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  g_autofree char *react_path = NULL, *edit_path = NULL;
  g_autoptr (JsonNode) keep = NULL;
  PurpleConversation *conv;
  const char *bobs, *mine;

  sc_wait_polls (fg, 2);
  bobs = fake_graph_inject_message (fg, chat, BOB, "coffee?");
  sc_wait_write ("coffee?");
  conv = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, BOB, acc);
  g_assert_nonnull (conv);
  purple_conv_im_send (PURPLE_CONV_IM (conv), "sure, in 5");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  mine = fake_graph_last_message_id (fg, chat);
  sc_wait_polls (fg, 2);

  command_says (conv, "react " THUMBS " 2", "You reacted " THUMBS " to: coffee?");
  react_path = g_strdup_printf ("/v1.0/chats/%s/messages/%s/setReaction", chat, bobs);
  g_assert_cmpstr (sc_last_request (fg, "POST", "/v1.0/chats/*/messages/*/setReaction")->path, ==,
                   react_path);
  command_says (conv, "pin", "Pinned: sure, in 5");
  command_says (conv, "pinned", "Pinned messages (1):");
  sc_wait_write (" alice: sure, in 5");   /* time, author (the emulator calls me "alice"), text */
  command_says (conv, "edit sure, in 10", "Edited your message: sure, in 10");
  edit_path = g_strdup_printf ("/v1.0/chats/%s/messages/%s", chat, mine);
  g_assert_cmpstr (sc_last_request (fg, "PATCH", "/v1.0/chats/*/messages/*")->path, ==, edit_path);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (
                       gf_request_body (sc_last_request (fg, "PATCH", "/v1.0/chats/*/messages/*"), &keep),
                       "body"), "content"), ==, "sure, in 10");
}

/* ------------------------------------------------------------------------------------------ */
/* /edit                                                                                       */

static void
test_edit (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) keep = NULL, msg = NULL;
  PurpleConversation *conv;
  JsonObject *body;
  const char *mine;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  fake_graph_inject_message (fg, chat, BOB, "Bob first");
  sc_wait_write ("Bob first");
  conv = chat_conv (acc, chat);
  ev = command_says (conv, "edit new words", "nothing to edit");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  ev = command_says (conv, "edit", "Usage: /edit");

  mine = fake_graph_inject_message (fg, chat, ME, "teh plan");
  sc_wait_write ("teh plan");
  fake_graph_inject_message (fg, chat, BOB, "Bob after");
  sc_wait_write ("Bob after");

  /* The last OWN message is edited, whatever came after it. */
  ev = command_says (conv, "edit the plan", "Edited your message: the plan");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  path = g_strdup_printf ("/v1.0/chats/%s/messages/%s", chat, mine);
  g_assert_cmpuint (fake_graph_count (fg, "PATCH", "/v1.0/chats/*/messages/*"), ==, 1);
  body = gf_request_body (sc_last_request (fg, "PATCH", "/v1.0/chats/*/messages/*"), &keep);
  g_assert_cmpstr (sc_last_request (fg, "PATCH", "/v1.0/chats/*/messages/*")->path, ==, path);
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "contentType"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"),
                                                  "content"), ==, "the plan");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (message_json (fg, chat, mine, &msg), "body"),
                     "content"), ==, "the plan");

  /* Shown once: the poll does not bring an "(edited)" copy. */
  fake_graph_inject_message (fg, chat, CAROL, "Carol later");
  sc_wait_write ("Carol later");
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (sc_count_writes ("(edited)"), ==, 0);
  g_assert_cmpuint (sc_count_writes ("the plan"), ==, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* pins                                                                                        */

static void
test_pin_pinned_unpin (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  g_autofree char *bind = NULL, *delete_path = NULL, *pin_id = NULL;
  g_autoptr (JsonNode) keep = NULL;
  PurpleConversation *conv;
  const char *agenda;
  FakeRequest *r;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  agenda = fake_graph_inject_message (fg, chat, BOB, "<p>the <b>agenda</b></p>");
  sc_wait_write ("agenda");
  fake_graph_inject_message (fg, chat, CAROL, "thanks");
  sc_wait_write ("thanks");
  conv = chat_conv (acc, chat);

  ev = command_says (conv, "pinned", "No pinned messages");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);

  /* /pin 2: the message bound by Graph's absolute URL */
  ev = command_says (conv, "pin 2", "Pinned: the agenda");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats/*/pinnedMessages"), ==, 1);
  r = sc_last_request (fg, "POST", "/v1.0/chats/*/pinnedMessages");
  bind = g_strdup_printf ("https://graph.microsoft.com/v1.0/chats/%s/messages/%s", chat, agenda);
  g_assert_cmpstr (json_object_get_string_member (gf_request_body (r, &keep), "message@odata.bind"),
                   ==, bind);

  /* /pinned: time, author, text */
  ev = command_says (conv, "pinned", "Pinned messages (1):");
  ev = sc_wait_write ("1. ");
  g_assert_nonnull (strstr (ev->text, "Bob Jones: the agenda"));
  g_assert_true (g_regex_match_simple ("^1\\. \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d Bob Jones: ",
                                       ev->text, 0, 0));
  g_assert_nonnull (strstr (sc_last_request (fg, "GET", "/v1.0/chats/*/pinnedMessages")->query,
                            "$expand=message"));

  /* /unpin 2: the DELETE names the pinned-message id, not the message id */
  pin_id = pin_id_of (acc, chat, agenda);
  g_assert_nonnull (pin_id);
  g_assert_cmpstr (pin_id, !=, agenda);
  ev = command_says (conv, "unpin 2", "Unpinned: the agenda");
  g_assert_cmpuint (fake_graph_count (fg, "DELETE", "/v1.0/chats/*/pinnedMessages/*"), ==, 1);
  r = sc_last_request (fg, "DELETE", "/v1.0/chats/*/pinnedMessages/*");
  g_assert_cmpuint (r->status, ==, 204);
  delete_path = g_strdup_printf ("/v1.0/chats/%s/pinnedMessages/%s", chat, pin_id);
  g_assert_cmpstr (r->path, ==, delete_path);
  g_assert_null (pin_id_of (acc, chat, agenda));
  command_says (conv, "pinned", "No pinned messages");

  /* not pinned (any more) */
  ev = command_says (conv, "unpin 2", "Could not unpin");
  g_assert_cmpstr (ev->text, ==, "Could not unpin the message: That message is not pinned.");
  g_assert_cmpuint (fake_graph_count (fg, "DELETE", "/v1.0/chats/*/pinnedMessages/*"), ==, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* reactions                                                                                   */

static void
test_react (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) keep = NULL, msg = NULL;
  PurpleConversation *conv;
  JsonArray *reactions;
  const char *lunch;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  lunch = fake_graph_inject_message (fg, chat, BOB, "lunch at noon?");
  sc_wait_write ("lunch at noon?");
  fake_graph_inject_message (fg, chat, CAROL, "I'm in");
  sc_wait_write ("I'm in");
  conv = chat_conv (acc, chat);

  ev = command_says (conv, "react", "Usage: /react");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  ev = command_says (conv, "react 2", "Usage: /react");

  ev = command_says (conv, "react " THUMBS " 2", "You reacted " THUMBS " to: lunch at noon?");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  path = g_strdup_printf ("/v1.0/chats/%s/messages/%s/setReaction", chat, lunch);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats/*/messages/*/setReaction"), ==, 1);
  g_assert_cmpstr (sc_last_request (fg, "POST", "/v1.0/chats/*/messages/*/setReaction")->path, ==, path);
  g_assert_cmpstr (json_object_get_string_member (
                     gf_request_body (sc_last_request (fg, "POST", "/v1.0/chats/*/messages/*/setReaction"),
                                   &keep), "reactionType"), ==, THUMBS);
  reactions = json_object_get_array_member (message_json (fg, chat, lunch, &msg), "reactions");
  g_assert_cmpuint (json_array_get_length (reactions), ==, 1);

  /* The poll sees the reaction (with the next message): not announced a second time. */
  fake_graph_inject_message (fg, chat, BOB, "see you");
  sc_wait_write ("see you");
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 1);
}

/* Bob's reaction: one line, once; Carol's later: only hers; none again after a reconnect, and
 * one made while away shows once. */
static void
test_incoming_reactions_once (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  const char *mine;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  mine = fake_graph_inject_message (fg, chat, ME, "ship it on Friday");
  sc_wait_write ("ship it on Friday");

  tb_events_mark ();
  fake_graph_add_reaction (fg, chat, mine, BOB, "like");
  fake_graph_inject_message (fg, chat, BOB, "ok");   /* a reaction does not move the preview */
  ev = sc_wait_write (" reacted ");
  g_assert_cmpstr (ev->text, ==, "Bob Jones reacted " THUMBS " to: ship it on Friday");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_cmpstr (ev->conv, ==, chat);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 1);

  fake_graph_add_reaction (fg, chat, mine, CAROL, "\xe2\x9d\xa4\xef\xb8\x8f");
  fake_graph_inject_message (fg, chat, CAROL, "nice");
  sc_wait_write ("Carol Smith reacted");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 2);
  g_assert_cmpuint (sc_count_writes ("Bob Jones reacted"), ==, 1);

  /* my own reaction from another client */
  fake_graph_add_reaction (fg, chat, mine, ME, "heart");
  fake_graph_inject_message (fg, chat, CAROL, "so?");
  ev = sc_wait_write ("You reacted");
  g_assert_cmpstr (ev->text, ==, "You reacted \xe2\x9d\xa4\xef\xb8\x8f to: ship it on Friday");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 3);

  /* reconnect: nothing again; a reaction made meanwhile, once */
  tb_account_disconnect (acc);
  fake_graph_add_reaction (fg, chat, mine, BOB, "laugh");
  fake_graph_inject_message (fg, chat, BOB, "back?");
  tb_events_mark ();
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_write ("back?");
  ev = sc_wait_write (" reacted ");
  g_assert_cmpstr (ev->text, ==, "Bob Jones reacted \xf0\x9f\x98\x86 to: ship it on Friday");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* errors, /history                                                                            */

static void
test_errors (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  const char *quiet = sc_one_on_one (fg, BOB, "Bob Jones");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  PurpleConversation *conv, *im;
  guint changes;
  TbEvent *ev;

  sc_wait_polls (fg, 2);
  (void) quiet;
  /* nothing shown yet */
  im = purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, BOB);
  ev = command_says (im, "pin", "No message of this chat has been shown here yet");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  command_says (im, "react " THUMBS, "No message of this chat has been shown here yet");
  command_says (im, "delete", "No message of this chat has been shown here yet");
  /* no chat at all with Carol (yet) */
  ev = command_says (purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, CAROL), "pinned",
                     "There is no Teams chat with " CAROL " yet.");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);

  fake_graph_inject_message (fg, chat, BOB, "one");
  sc_wait_write ("one");
  fake_graph_inject_message (fg, chat, BOB, "two");
  sc_wait_write ("two");
  conv = chat_conv (acc, chat);
  changes = count_changes (fg);
  /* out of range, not a number */
  ev = command_says (conv, "pin 3", "There is no message 3 back: 2 messages");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  ev = command_says (conv, "unpin x", "Usage: /unpin [n]");
  ev = command_says (conv, "delete 0", "Usage: /delete [n]");
  ev = command_says (conv, "react " THUMBS " 9", "There is no message 9 back");
  g_assert_cmpuint (count_changes (fg), ==, changes);

  /* Graph's 404 (the message went away meanwhile) */
  fake_graph_add_fault (fg, "POST", "/v1.0/chats/*/pinnedMessages", FAKE_FAULT_STATUS, 404,
                        NULL, 0, 1);
  ev = command_says (conv, "pin", "Could not pin the message: Not found");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  fake_graph_add_fault (fg, "POST", "/v1.0/chats/*/messages/*/setReaction", FAKE_FAULT_STATUS,
                        403, NULL, 0, 1);
  ev = command_says (conv, "react " THUMBS, "Could not react to the message: Forbidden");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  fake_graph_add_fault (fg, "GET", "/v1.0/chats/*/pinnedMessages", FAKE_FAULT_STATUS, 404,
                        NULL, 0, 1);
  ev = command_says (conv, "pinned", "Could not list the pinned messages: Not found");
}

/* /history brings older messages into the count, in creation order behind newer ones. */
static void
test_history_counts (void)
{
  FakeGraph *fg = new_tenant ();
  const char *chat = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;
  const char *old_mine;
  FakeRequest *r;

  old_mine = fake_graph_inject_message (fg, chat, ME, "an old one of mine");
  fake_graph_inject_message (fg, chat, BOB, "an old one of Bob's");
  fake_graph_mark_read (fg, chat);
  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 2);
  fake_graph_inject_message (fg, chat, CAROL, "new from Carol");
  sc_wait_write ("new from Carol");
  conv = chat_conv (acc, chat);
  command_says (conv, "delete 2", "There is no message 2 back: 1 message");

  command_says (conv, "history 5", "End of history");
  /* 1 = Carol's, 2 = Bob's old one, 3 = my old one */
  command_says (conv, "delete 2", "You can only delete your own messages");
  command_says (conv, "delete 3", "Deleted your message: an old one of mine");
  r = sc_last_request (fg, "POST", "/v1.0/users/*/chats/*/messages/*/softDelete");
  g_assert_nonnull (strstr (r->path, old_mine));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/msgops/delete/own-refuse-others", test_delete_own_refuse_others);
  tb_add ("/msgops/delete/own-send-im-403", test_delete_own_send_im_403);
  tb_add ("/msgops/im/pin-react-edit", test_im_pin_react_edit);
  tb_add ("/msgops/edit", test_edit);
  tb_add ("/msgops/pin-pinned-unpin", test_pin_pinned_unpin);
  tb_add ("/msgops/react", test_react);
  tb_add ("/msgops/incoming-reactions-once", test_incoming_reactions_once);
  tb_add ("/msgops/errors", test_errors);
  tb_add ("/msgops/history-counts", test_history_counts);
  return tb_run ();
}
