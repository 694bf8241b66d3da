/* The plugin's own lines (command feedback, listings) in a UI that shows only lines with a
 * sender: bitlbee. Its write_conv passes on only the user's own messages sent elsewhere (older
 * bitlbee had none), so purple_conversation_write (conv, NULL, …) never reached IRC: /members
 * typed in a channel ran and printed nothing, /pin said nothing. tgp-conv writes them through
 * the IM's and chat's own writers there (write_im from the query's buddy, write_chat from a
 * "Teams" nick). Here each conversation gets ui ops with write_im and write_chat only, as such
 * a UI has; tests/clients/test-bitlbee.py proves the same in bitlbee itself.
 */
#include <string.h>

#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"

typedef struct {
  gboolean chat;     /* written through write_chat (else write_im) */
  char *who;
  char *text;
} Line;

static GPtrArray *lines;   /* Line*, what the sender-only UI was given */

static void
line_free (gpointer p)
{
  Line *l = p;

  g_free (l->who);
  g_free (l->text);
  g_free (l);
}

static void
record (gboolean chat, const char *who, const char *message)
{
  Line *l = g_new0 (Line, 1);

  l->chat = chat;
  l->who = g_strdup (who);
  l->text = g_strdup (message);
  g_ptr_array_add (lines, l);
}

static void
write_chat (PurpleConversation *conv, const char *who, const char *message,
            PurpleMessageFlags flags, time_t mtime)
{
  record (TRUE, who, message);
}

static void
write_im (PurpleConversation *conv, const char *who, const char *message,
          PurpleMessageFlags flags, time_t mtime)
{
  record (FALSE, who, message);
}

/* A UI that shows lines only by their sender: no write_conv. */
static PurpleConversationUiOps sender_only_ops = {
  .write_chat = write_chat,
  .write_im = write_im,
};

/* The first line given to the sender-only UI that contains `text`, NULL when none. */
static Line *
find_line (const char *text)
{
  for (guint i = 0; i < lines->len; i++)
    {
      Line *l = g_ptr_array_index (lines, i);

      if (l->text != NULL && strstr (l->text, text) != NULL)
        return l;
    }
  return NULL;
}

static gboolean
cond_line (gpointer text)
{
  return find_line (text) != NULL;
}

static void
use_sender_only_ui (PurpleConversation *conv)
{
  if (lines == NULL)
    lines = g_ptr_array_new_with_free_func (line_free);
  g_ptr_array_set_size (lines, 0);
  purple_conversation_set_ui_ops (conv, &sender_only_ops);
}

static void
test_im_feedback_from_the_buddy (void)
{
  FakeGraph *fg = sc_tenant_new (ME, NULL);
  PurpleAccount *acc;
  PurpleConversation *conv;
  PurpleConversationUiOps *testbed_ops;
  Line *l;

  sc_one_on_one (fg, BOB, "Bob Jones");
  acc = sc_connect_and_sync (fg, 1);
  conv = sc_im_conv (acc, BOB);
  testbed_ops = purple_conversation_get_ui_ops (conv);
  use_sender_only_ui (conv);

  sc_run_command (conv, "pinned");
  sc_wait_requests (fg, "GET", "/v1.0/chats/*/pinnedMessages", 1);
  tb_wait (cond_line, "No pinned messages in this chat.", 0);
  l = find_line ("No pinned messages in this chat.");
  g_assert_false (l->chat);
  g_assert_cmpstr (l->who, ==, BOB);   /* the query it belongs to */

  purple_conversation_set_ui_ops (conv, testbed_ops);
}

static void
test_chat_listing_from_a_teams_nick (void)
{
  FakeGraph *fg = sc_tenant_new (ME, BOB, "Bob Jones", CAROL, "Carol Smith", NULL);
  const char *id = sc_group_chat (fg, "Plans", BOB, CAROL, NULL);
  PurpleAccount *acc = sc_connect_and_sync (fg, 1);
  PurpleConversation *conv = sc_join_and_wait (acc, id);
  PurpleConversationUiOps *testbed_ops = purple_conversation_get_ui_ops (conv);
  Line *l;

  use_sender_only_ui (conv);
  sc_run_command (conv, "members");
  sc_wait_requests (fg, "GET", "/v1.0/chats/*/members", 1);
  tb_wait (cond_line, "3 members:", 0);
  l = find_line ("3 members:");
  g_assert_true (l->chat);
  g_assert_cmpstr (l->who, ==, "Teams");
  g_assert_nonnull (strstr (l->text, "Carol Smith"));
  g_assert_nonnull (strstr (l->text, "Bob Jones"));
  /* Nothing was posted: the command ran, it was not sent as text. */
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats/*/messages"), ==, 0);

  purple_conversation_set_ui_ops (conv, testbed_ops);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/senderless-lines/im-feedback-from-the-buddy", test_im_feedback_from_the_buddy);
  tb_add ("/senderless-lines/chat-listing-from-a-teams-nick", test_chat_listing_from_a_teams_nick);
  rc = tb_run ();
  if (lines != NULL)
    g_ptr_array_unref (lines);
  return rc;
}
