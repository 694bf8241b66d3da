/* The organisation of `make demo` (tests/fake-graph/demo-tenant.json) shows what the README
 * screenshot promises, asked as Pidgin asks: every kind of presence with its activity on the
 * line under the name, photos as buddy icons (and none for who has none), and in Project
 * Phoenix the unread mention of you (highlighted) and a picture pasted inline (shown from the
 * image store, not as a link). The demo once had no picture, and nobody noticed that its
 * presence showed no activity in real Pidgin. */
#include <string.h>

#include "purple/scenario.h"
#include "purple/testbed.h"

#define DEMO_TENANT "tests/fake-graph/demo-tenant.json"
#define ME "alice@contoso.com"

typedef struct {
  PurpleAccount *acc;
  const char *name;
} IconWait;

static gboolean
cond_icon (gpointer data)
{
  IconWait *w = data;

  return purple_buddy_icons_find (w->acc, w->name) != NULL;
}

/* The width × height of the PNG the image store held for the <img id> of each written
 * message, by id (the store lets go of it once the message is written). */
static GHashTable *shown_sizes;

static void
on_wrote_chat (PurpleAccount *account, const char *who, char *message, PurpleConversation *conv,
               PurpleMessageFlags flags, gpointer data)
{
  static const guchar png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  for (const char *p = message; (p = strstr (p, "<img id=\"")) != NULL; p++)
    {
      int id = atoi (p + strlen ("<img id=\""));
      PurpleStoredImage *img = purple_imgstore_find_by_id (id);
      const guchar *bytes = img != NULL ? purple_imgstore_get_data (img) : NULL;

      if (bytes == NULL || purple_imgstore_get_size (img) < 24 || memcmp (bytes, png_signature, 8) != 0)
        continue;
      g_hash_table_replace (shown_sizes, GINT_TO_POINTER (id),
                            g_strdup_printf ("%u×%u", GUINT32_FROM_BE (*(guint32 *) (bytes + 16)),
                                             GUINT32_FROM_BE (*(guint32 *) (bytes + 20))));
    }
}

static void
test_what_the_screenshot_shows (void)
{
  static const struct {
    const char *name;
    const char *status_id;
    const char *line;      /* under the name in Pidgin's buddy list; NULL = none */
    gboolean photo;
  } buddies[] = {
    { "bob@contoso.com", "busy", "In a meeting", TRUE },
    { "carol@contoso.com", "available", NULL, TRUE },
    { "dave@contoso.com", "away", NULL, TRUE },
    { "erin.brockovich@contoso.com", "dnd", "Presenting", FALSE },
    { "grace@contoso.com", "away", "Be right back", TRUE },
  };
  static int handle;
  PurplePluginProtocolInfo *prpl;
  FakeGraph *fg;
  PurpleAccount *acc;
  TbEvent *mention, *picture;
  const char *img;

  g_assert_true (g_file_test (DEMO_TENANT, G_FILE_TEST_EXISTS));   /* run from the tree's root */
  shown_sizes = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  purple_signal_connect (purple_conversations_get_handle (), "wrote-chat-msg", &handle,
                         PURPLE_CALLBACK (on_wrote_chat), NULL);
  fg = tb_fake_new_from_file (DEMO_TENANT);
  acc = tb_account_new_signed_in (fg, ME);
  purple_account_set_int (acc, "poll_interval", 1);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  prpl = PURPLE_PLUGIN_PROTOCOL_INFO (purple_find_prpl (TB_PLUGIN_ID));

  for (guint i = 0; i < G_N_ELEMENTS (buddies); i++)
    {
      IconWait w = { acc, buddies[i].name };
      PurpleBuddy *buddy;
      g_autofree char *line = NULL;

      sc_wait_buddy_status (acc, buddies[i].name, buddies[i].status_id);
      buddy = purple_find_buddy (acc, buddies[i].name);
      g_assert_cmpstr (purple_group_get_name (purple_buddy_get_group (buddy)), ==, "Teams");
      line = prpl->status_text (buddy);
      g_assert_cmpstr (line, ==, buddies[i].line);
      if (buddies[i].photo)
        tb_wait (cond_icon, &w, 0);
    }
  tb_drain ();
  g_assert_null (purple_buddy_icons_find (acc, "erin.brockovich@contoso.com"));

  /* Project Phoenix opens with its three unread messages. */
  sc_wait_write ("sign off the scope");
  sc_wait_write ("new mockups");
  mention = tb_events_find (TB_EV_WRITE, "sign off the scope");
  g_assert_cmpstr (mention->conv, ==, fake_graph_find_chat (fg, "Project Phoenix"));
  g_assert_true (mention->flags & PURPLE_MESSAGE_NICK);
  picture = tb_events_find (TB_EV_WRITE, "new mockups");
  g_assert_cmpstr (picture->conv, ==, fake_graph_find_chat (fg, "Project Phoenix"));
  g_assert_true (picture->flags & PURPLE_MESSAGE_IMAGES);
  g_assert_false (picture->flags & PURPLE_MESSAGE_NICK);
  img = strstr (picture->text, "<img id=\"");
  g_assert_nonnull (img);
  g_assert_cmpstr (g_hash_table_lookup (shown_sizes, GINT_TO_POINTER (atoi (img + strlen ("<img id=\"")))),
                   ==, "240×150");
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "blocked on it"), ==, 1);

  purple_signals_disconnect_by_handle (&handle);
  g_clear_pointer (&shown_sizes, g_hash_table_unref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/demo-tenant/what-the-screenshot-shows", test_what_the_screenshot_shows);
  return tb_run ();
}
