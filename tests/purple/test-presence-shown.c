/* What the clients show of a buddy's Teams presence beyond the status icon, asked the way
 * Pidgin asks: the prpl's status_text (the line under the name in Pidgin's buddy list) and
 * tooltip_text (Pidgin's and Finch's tooltips). libpurple shows neither by itself, so a busy
 * colleague "In a meeting" looked merely busy in real Pidgin although the status carried the
 * activity. A buddy's Teams status message ("Working from home") is shown the same ways: after
 * the activity on the line under the name, on a "Message" line of the tooltip. */
#include <string.h>

#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define FRANK "frank@contoso.com"

static PurplePluginProtocolInfo *
prpl (void)
{
  PurplePlugin *plugin = purple_find_prpl (TB_PLUGIN_ID);

  g_assert_nonnull (plugin);
  return PURPLE_PLUGIN_PROTOCOL_INFO (plugin);
}

/* The line Pidgin shows under the buddy's name (NULL: none). */
static char *
shown_status (PurpleAccount *acc, const char *name)
{
  PurpleBuddy *buddy = purple_find_buddy (acc, name);

  g_assert_nonnull (buddy);
  g_assert_nonnull (prpl ()->status_text);
  return prpl ()->status_text (buddy);
}

/* The protocol's part of the tooltip, as text with "\n" between the lines. */
static char *
shown_tooltip (PurpleAccount *acc, const char *name)
{
  PurpleBuddy *buddy = purple_find_buddy (acc, name);
  PurpleNotifyUserInfo *info = purple_notify_user_info_new ();
  char *text;

  g_assert_nonnull (buddy);
  g_assert_nonnull (prpl ()->tooltip_text);
  prpl ()->tooltip_text (buddy, info, TRUE);
  text = purple_notify_user_info_get_text_with_newline (info, "\n");
  purple_notify_user_info_destroy (info);
  return text;
}

static FakeGraph *
colleagues (void)
{
  static const char *const people[] = { BOB, CAROL, FRANK, NULL };
  FakeGraph *fg = tb_fake_new (ME);

  for (guint i = 0; people[i] != NULL; i++)
    {
      const char *members[] = { people[i], NULL };

      fake_graph_add_user (fg, people[i], people[i]);
      fake_graph_add_chat (fg, "oneOnOne", NULL, members);
    }
  fake_graph_set_presence (fg, BOB, "Busy", "InAMeeting");
  fake_graph_set_presence (fg, CAROL, "Available", "Available");
  fake_graph_set_presence (fg, FRANK, "Offline", "OffWork");
  return fg;
}

static PurpleAccount *
connect (FakeGraph *fg, int presence_interval)
{
  PurpleAccount *acc = tb_account_new_signed_in (fg, ME);

  purple_account_set_int (acc, "poll_interval", 1);
  purple_account_set_int (acc, "presence_interval", presence_interval);
  purple_account_set_string (acc, "sync_time_scale", "0.01");
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_buddy_status (acc, BOB, "busy");
  sc_wait_buddy_status (acc, CAROL, "available");
  sc_wait_buddy_status (acc, FRANK, "offline");
  return acc;
}

static void
test_line_under_the_name (void)
{
  FakeGraph *fg = colleagues ();
  PurpleAccount *acc = connect (fg, 1);
  g_autofree char *bob = NULL, *carol = NULL, *frank = NULL, *changed = NULL, *escaped = NULL;

  bob = shown_status (acc, BOB);
  carol = shown_status (acc, CAROL);
  frank = shown_status (acc, FRANK);
  g_assert_cmpstr (bob, ==, "In a meeting");
  g_assert_null (carol);            /* "Available" says nothing the icon does not */
  g_assert_cmpstr (frank, ==, "Off work");

  /* The line follows the next change. */
  fake_graph_set_presence (fg, BOB, "Away", "BeRightBack");
  sc_wait_buddy_status (acc, BOB, "away");
  changed = shown_status (acc, BOB);
  g_assert_cmpstr (changed, ==, "Be right back");

  /* Pidgin pastes it into Pango markup: an activity Graph may add one day is escaped. */
  fake_graph_set_presence (fg, BOB, "Busy", "Q&A<Session>");
  sc_wait_buddy_status (acc, BOB, "busy");
  escaped = shown_status (acc, BOB);
  g_assert_nonnull (escaped);
  g_assert_null (strchr (escaped, '<'));
  g_assert_nonnull (strstr (escaped, "&amp;"));
}

static void
test_tooltip (void)
{
  FakeGraph *fg = colleagues ();
  PurpleAccount *acc = connect (fg, 3600);
  g_autofree char *bob = NULL, *carol = NULL, *frank = NULL, *closed = NULL;

  bob = shown_tooltip (acc, BOB);
  carol = shown_tooltip (acc, CAROL);
  frank = shown_tooltip (acc, FRANK);
  g_assert_cmpstr (bob, ==, "<b>Status</b>: Busy (In a meeting)");
  g_assert_cmpstr (carol, ==, "<b>Status</b>: Available");
  /* Offline: Pidgin adds "Status: Offline" itself, no second status line. */
  g_assert_cmpstr (frank, ==, "");

  /* A tooltip drawn after the account closed adds nothing (and touches nothing freed). */
  tb_account_disconnect (acc);
  closed = shown_tooltip (acc, BOB);
  g_assert_cmpstr (closed, ==, "");
}

typedef struct {
  PurpleAccount *acc;
  const char *name;
  const char *text;   /* NULL: none */
} ShownWait;

static gboolean
cond_shown (gpointer data)
{
  ShownWait *w = data;
  g_autofree char *text = shown_status (w->acc, w->name);

  return g_strcmp0 (text, w->text) == 0;
}

#define wait_shown(acc, name, text) \
  G_STMT_START { \
    ShownWait w_ = { (acc), (name), (text) }; \
    tb_wait (cond_shown, &w_, 0); \
  } G_STMT_END

static void
test_status_message (void)
{
  FakeGraph *fg = colleagues ();
  PurpleAccount *acc;
  g_autofree char *bob = NULL, *carol = NULL, *frank = NULL, *tip = NULL, *tip_after = NULL;

  /* Teams keeps what the user typed as html; plain text arrives as it is. */
  fake_graph_set_status_message (fg, BOB, "<p>Working from <b>home</b></p>", "html");
  fake_graph_set_status_message (fg, CAROL, "Back at 3 <soon>", "text");
  acc = connect (fg, 1);

  bob = shown_status (acc, BOB);
  carol = shown_status (acc, CAROL);
  frank = shown_status (acc, FRANK);
  g_assert_cmpstr (bob, ==, "In a meeting \u00b7 Working from home");
  g_assert_cmpstr (carol, ==, "Back at 3 &lt;soon&gt;");   /* no activity text: just the message */
  g_assert_cmpstr (frank, ==, "Off work");                 /* no message: just the activity */
  g_assert_cmpstr (purple_status_get_attr_string (sc_buddy_status (acc, BOB), "message"), ==,
                   "In a meeting \u00b7 Working from home");
  tip = shown_tooltip (acc, BOB);
  g_assert_cmpstr (tip, ==, "<b>Status</b>: Busy (In a meeting)\n<b>Message</b>: Working from home");

  /* Changed and cleared in Teams: the next poll shows it. */
  fake_graph_set_status_message (fg, BOB, "Lunch", "text");
  wait_shown (acc, BOB, "In a meeting \u00b7 Lunch");
  fake_graph_set_status_message (fg, BOB, NULL, NULL);
  wait_shown (acc, BOB, "In a meeting");
  tip_after = shown_tooltip (acc, BOB);
  g_assert_cmpstr (tip_after, ==, "<b>Status</b>: Busy (In a meeting)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/presence-shown/line-under-the-name", test_line_under_the_name);
  tb_add ("/presence-shown/tooltip", test_tooltip);
  tb_add ("/presence-shown/status-message", test_status_message);
  return tb_run ();
}
