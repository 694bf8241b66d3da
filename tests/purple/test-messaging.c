/* Messaging scenarios: the built plugin in the headless test bed against the Graph emulator.
 * The buddy list from the chat list, incoming IMs (once, in order, with the server time),
 * reconnects (delayed, never repeated), edits and deletes, own messages from other clients,
 * sending (to a buddy, to a new user, to nobody) and the cost of idle polls. */
#include <string.h>

#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"

/* ---- helpers ---- */

typedef struct {
  PurpleAccount *acc;
  const char *group;
  guint buddies;
  guint chats;
} BlistWait;

static void
count_nodes (PurpleAccount *acc, const char *group_name, guint *buddies, guint *chats)
{
  *buddies = *chats = 0;
  for (PurpleBlistNode *n = purple_blist_get_root (); n != NULL; n = purple_blist_node_next (n, TRUE))
    {
      if (PURPLE_BLIST_NODE_IS_BUDDY (n) && purple_buddy_get_account (PURPLE_BUDDY (n)) == acc
          && (group_name == NULL
              || g_str_equal (purple_group_get_name (purple_buddy_get_group (PURPLE_BUDDY (n))), group_name)))
        (*buddies)++;
      else if (PURPLE_BLIST_NODE_IS_CHAT (n) && purple_chat_get_account (PURPLE_CHAT (n)) == acc
               && (group_name == NULL
                   || g_str_equal (purple_group_get_name (purple_chat_get_group (PURPLE_CHAT (n))), group_name)))
        (*chats)++;
    }
}

static gboolean
cond_blist (gpointer data)
{
  BlistWait *w = data;
  guint b, c;

  count_nodes (w->acc, NULL, &b, &c);
  return b >= w->buddies && c >= w->chats;
}

static void
wait_blist (PurpleAccount *acc, guint buddies, guint chats)
{
  BlistWait w = { acc, NULL, buddies, chats };

  tb_wait (cond_blist, &w, 0);
}

static PurpleChat *
find_chat_node (PurpleAccount *acc, const char *chat_id)
{
  for (PurpleBlistNode *n = purple_blist_get_root (); n != NULL; n = purple_blist_node_next (n, TRUE))
    if (PURPLE_BLIST_NODE_IS_CHAT (n) && purple_chat_get_account (PURPLE_CHAT (n)) == acc
        && g_strcmp0 (g_hash_table_lookup (purple_chat_get_components (PURPLE_CHAT (n)), "id"), chat_id) == 0)
      return PURPLE_CHAT (n);
  return NULL;
}

/* ---- the buddy list ---- */

static void
test_blist_120_chats (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc;
  const char *group_ids[20];
  guint b, c;

  /* 100 one-on-one chats, 12 group chats with a topic, 4 without, 4 meetings: 120. */
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *upn = g_strdup_printf ("User.%03d@Contoso.com", i);
      g_autofree char *name = g_strdup_printf ("User Number %03d", i);
      sc_one_on_one (fg, upn, name);
    }
  fake_graph_add_user (fg, "carol@contoso.com", "Carol Jones");
  fake_graph_add_user (fg, "dave@contoso.com", "Dave Brown");
  for (int i = 0; i < 20; i++)
    {
      const char *members[] = { "carol@contoso.com", "dave@contoso.com", NULL };
      g_autofree char *topic = g_strdup_printf ("Project %02d", i);

      group_ids[i] = fake_graph_add_chat (fg, i < 16 ? "group" : "meeting",
                                          i < 12 || i >= 16 ? topic : NULL, members);
    }

  acc = sc_connect_new (fg, 1);
  wait_blist (acc, 100, 20);
  /* All pages were read (50 per page). */
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/me/chats"), >=, 3);

  count_nodes (acc, "Teams", &b, &c);
  g_assert_cmpuint (b, ==, 100);
  g_assert_cmpuint (c, ==, 0);
  count_nodes (acc, "Teams Group Chats", &b, &c);
  g_assert_cmpuint (b, ==, 0);
  g_assert_cmpuint (c, ==, 20);

  for (int i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("user.%03d@contoso.com", i);
      g_autofree char *alias = g_strdup_printf ("User Number %03d", i);
      PurpleBuddy *buddy = purple_find_buddy (acc, name);

      g_assert_nonnull (buddy);
      g_assert_cmpstr (purple_buddy_get_name (buddy), ==, name);
      g_assert_cmpstr (purple_buddy_get_server_alias (buddy), ==, alias);
      /* Shown (not offline), without a claim of availability. */
      g_assert_cmpstr (purple_status_get_id (purple_presence_get_active_status (
                         purple_buddy_get_presence (buddy))), ==, "unknown");
      g_assert_true (PURPLE_BUDDY_IS_ONLINE (buddy));
    }
  for (int i = 0; i < 20; i++)
    {
      PurpleChat *node = find_chat_node (acc, group_ids[i]);
      g_autofree char *topic = g_strdup_printf ("Project %02d", i);

      g_assert_nonnull (node);
      if (i < 12 || i >= 16)
        {
          g_assert_cmpstr (purple_chat_get_name (node), ==, topic);
          g_assert_cmpstr (g_hash_table_lookup (purple_chat_get_components (node), "topic"), ==, topic);
        }
      else
        {
          /* No topic: the members' names. */
          g_assert_nonnull (strstr (purple_chat_get_name (node), "Carol Jones"));
          g_assert_nonnull (strstr (purple_chat_get_name (node), "Dave Brown"));
        }
    }

  /* A few more polls change nothing. */
  sc_wait_polls (fg, 3);
  count_nodes (acc, NULL, &b, &c);
  g_assert_cmpuint (b, ==, 100);
  g_assert_cmpuint (c, ==, 20);
}

static gboolean
cond_chat_alias (gpointer data)
{
  PurpleChat *node = data;

  return g_strcmp0 (purple_chat_get_name (node), "Renamed") == 0;
}

static gboolean
cond_buddy_present (gpointer data)
{
  void **args = data;

  return purple_find_buddy (args[0], args[1]) != NULL;
}

static gboolean
cond_chat_gone (gpointer data)
{
  void **args = data;

  return find_chat_node (args[0], args[1]) == NULL;
}

static gboolean
cond_topic (gpointer data)
{
  PurpleChat *node = data;

  return g_strcmp0 (g_hash_table_lookup (purple_chat_get_components (node), "topic"), "Mine now") == 0;
}

static void
test_blist_follows_and_keeps_user_choices (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *members[] = { "carol@contoso.com", "dave@contoso.com", NULL };
  const char *g1, *g2, *g3;
  PurpleAccount *acc;
  PurpleBuddy *bob;
  PurpleChat *n1, *n2;
  PurpleGroup *friends;

  sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  fake_graph_add_user (fg, "carol@contoso.com", "Carol Jones");
  fake_graph_add_user (fg, "dave@contoso.com", "Dave Brown");
  g1 = fake_graph_add_chat (fg, "group", "Plans", members);
  g2 = fake_graph_add_chat (fg, "group", "Lunch", members);

  acc = sc_connect_new (fg, 1);
  wait_blist (acc, 1, 2);
  bob = purple_find_buddy (acc, "bob@contoso.com");
  n1 = find_chat_node (acc, g1);
  n2 = find_chat_node (acc, g2);
  g_assert_nonnull (bob);

  /* The user re-aliases Bob and the "Lunch" chat, and moves Bob to a group of their own. */
  purple_blist_alias_buddy (bob, "My Bob");
  purple_blist_alias_chat (n2, "Food");
  friends = purple_group_new ("Friends");
  purple_blist_add_group (friends, NULL);
  purple_blist_add_buddy (bob, NULL, friends, NULL);

  /* Renamed on the server: the untouched node follows, the user's alias stays. */
  fake_graph_rename_chat (fg, g1, "carol@contoso.com", "Renamed");
  fake_graph_rename_chat (fg, g2, "carol@contoso.com", "Mine now");
  tb_wait (cond_chat_alias, n1, 0);
  tb_wait (cond_topic, n2, 0);
  g_assert_cmpstr (purple_chat_get_name (n2), ==, "Food");

  /* A chat that appears while online. */
  g3 = fake_graph_add_chat (fg, "group", "Brand new", members);
  {
    BlistWait w = { acc, NULL, 1, 3 };
    tb_wait (cond_blist, &w, 0);
  }
  g_assert_nonnull (find_chat_node (acc, g3));
  {
    const char *new_members[] = { "erin@contoso.com", NULL };
    void *args[] = { acc, "erin@contoso.com" };

    fake_graph_add_user (fg, "Erin@Contoso.com", "Erin White");
    fake_graph_add_chat (fg, "oneOnOne", NULL, new_members);
    tb_wait (cond_buddy_present, args, 0);
  }

  /* A chat I leave disappears. */
  fake_graph_remove_member (fg, g3, ME, ME);
  {
    void *args[] = { acc, (void *) g3 };
    tb_wait (cond_chat_gone, args, 0);
  }

  /* After a reconnect (a full list again) the user's choices are still there. */
  tb_account_disconnect (acc);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_polls (fg, 3);
  bob = purple_find_buddy (acc, "bob@contoso.com");
  g_assert_nonnull (bob);
  g_assert_cmpstr (purple_buddy_get_alias (bob), ==, "My Bob");
  g_assert_cmpstr (purple_buddy_get_server_alias (bob), ==, "Bob Smith");
  g_assert_true (purple_buddy_get_group (bob) == friends);
  GSList *bobs = purple_find_buddies (acc, "bob@contoso.com");
  g_assert_cmpuint (g_slist_length (bobs), ==, 1);
  g_slist_free (bobs);
  g_assert_cmpstr (purple_chat_get_name (find_chat_node (acc, g2)), ==, "Food");
  g_assert_cmpstr (purple_chat_get_name (find_chat_node (acc, g1)), ==, "Renamed");
}

/* ---- incoming ---- */

static void
test_im_incoming_once (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "Bob@Contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  const char *mid;
  TbEvent *ev;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  mid = fake_graph_inject_message (fg, chat, "bob@contoso.com", "Hello <b>there</b> &amp; you");
  ev = sc_wait_write ("Hello");
  g_assert_cmpstr (ev->who, ==, "bob@contoso.com");
  g_assert_cmpint (ev->code, ==, PURPLE_CONV_TYPE_IM);
  g_assert_true (ev->flags & PURPLE_MESSAGE_RECV);
  g_assert_false (ev->flags & PURPLE_MESSAGE_DELAYED);
  g_assert_nonnull (strstr (ev->text, "<b>there</b>"));
  g_assert_nonnull (strstr (ev->text, "&amp; you"));
  g_assert_cmpint (ev->mtime, ==, sc_server_time (fg, chat, mid, "createdDateTime"));

  sc_wait_polls (fg, 5);
  g_assert_cmpuint (sc_count_writes ("Hello"), ==, 1);
}

static void
test_im_burst (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chats[5];
  PurpleAccount *acc;

  for (int c = 0; c < 5; c++)
    {
      g_autofree char *upn = g_strdup_printf ("peer%d@contoso.com", c);
      g_autofree char *name = g_strdup_printf ("Peer %d", c);
      chats[c] = sc_one_on_one (fg, upn, name);
    }
  acc = sc_connect_new (fg, 1);
  wait_blist (acc, 5, 0);
  sc_wait_polls (fg, 2);

  for (int i = 0; i < 10; i++)
    for (int c = 0; c < 5; c++)
      {
        g_autofree char *upn = g_strdup_printf ("peer%d@contoso.com", c);
        g_autofree char *text = g_strdup_printf ("burst %d.%02d", c, i);
        fake_graph_inject_message (fg, chats[c], upn, text);
      }
  sc_wait_writes ("burst ", 50);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes ("burst "), ==, 50);

  for (int c = 0; c < 5; c++)
    {
      g_autofree char *upn = g_strdup_printf ("peer%d@contoso.com", c);
      g_autofree char *prefix = g_strdup_printf ("burst %d.", c);
      GPtrArray *events = tb_events ();
      int expect = 0;

      for (guint i = 0; i < events->len; i++)
        {
          TbEvent *ev = events->pdata[i];
          g_autofree char *want = NULL;

          if (ev->type != TB_EV_WRITE || ev->text == NULL || strstr (ev->text, prefix) == NULL)
            continue;
          g_assert_cmpstr (ev->who, ==, upn);
          want = g_strdup_printf ("burst %d.%02d", c, expect);
          g_assert_cmpstr (ev->text, ==, want);
          expect++;
        }
      g_assert_cmpint (expect, ==, 10);
    }
}

static void
test_reconnect_delayed (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  const char *state;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "before one");
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "before two");
  sc_wait_write ("before two");
  sc_wait_polls (fg, 2);
  tb_account_disconnect (acc);
  state = purple_account_get_string (acc, "sync_state", NULL);
  g_assert_nonnull (state);
  g_assert_cmpstr (state, !=, "");

  fake_graph_inject_message (fg, chat, "bob@contoso.com", "offline 1");
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "offline 2");
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "offline 3");
  fake_graph_mark_read (fg, chat);   /* read elsewhere: the watermarks decide, not unread state */

  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_write ("offline 3");
  sc_wait_polls (fg, 5);
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("offline %d", i);
      TbEvent *ev = tb_events_find (TB_EV_WRITE, text);

      g_assert_cmpuint (sc_count_writes (text), ==, 1);
      g_assert_cmpstr (ev->who, ==, "bob@contoso.com");
      g_assert_true (ev->flags & PURPLE_MESSAGE_DELAYED);
    }
  g_assert_cmpuint (tb_events_find (TB_EV_WRITE, "offline 1")->index, <,
                    tb_events_find (TB_EV_WRITE, "offline 2")->index);
  g_assert_cmpuint (tb_events_find (TB_EV_WRITE, "offline 2")->index, <,
                    tb_events_find (TB_EV_WRITE, "offline 3")->index);
  g_assert_cmpuint (sc_count_writes ("before one"), ==, 1);
  g_assert_cmpuint (sc_count_writes ("before two"), ==, 1);
}

static void
test_edit_delete (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  const char *mid;
  TbEvent *ev;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  mid = fake_graph_inject_message (fg, chat, "bob@contoso.com", "first version");
  sc_wait_write ("first version");
  fake_graph_edit_message (fg, chat, mid, "second version");
  ev = sc_wait_write ("second version");
  g_assert_cmpstr (ev->text, ==, "(edited) second version");
  g_assert_cmpstr (ev->who, ==, "bob@contoso.com");
  sc_wait_polls (fg, 3);
  fake_graph_delete_message (fg, chat, mid);
  ev = sc_wait_write ("(deleted a message)");
  g_assert_cmpstr (ev->who, ==, "bob@contoso.com");
  sc_wait_polls (fg, 5);
  g_assert_cmpuint (sc_count_writes ("first version"), ==, 1);
  g_assert_cmpuint (sc_count_writes ("(edited) second version"), ==, 1);
  g_assert_cmpuint (sc_count_writes ("(deleted a message)"), ==, 1);
}

static void
test_own_message_elsewhere (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  TbEvent *ev;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  fake_graph_inject_message (fg, chat, ME, "typed on my phone");
  ev = sc_wait_write ("typed on my phone");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SEND);
  g_assert_true (ev->flags & PURPLE_MESSAGE_REMOTE_SEND);
  g_assert_false (ev->flags & PURPLE_MESSAGE_RECV);
  g_assert_cmpstr (ev->conv, ==, "bob@contoso.com");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes ("typed on my phone"), ==, 1);
}

/* ---- sending ---- */

static void
test_send_to_buddy (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  FakeRequest *r;
  g_autofree char *path = NULL;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  sc_send_im (acc, "Bob@Contoso.com", "hi <b>Bob</b> &amp; co");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  r = sc_last_request (fg, "POST", "/v1.0/chats/*/messages");
  path = g_strdup_printf ("/v1.0/chats/%s/messages", chat);
  g_assert_cmpstr (r->path, ==, path);
  g_assert_nonnull (r->body);
  g_assert_nonnull (strstr (r->body, "<b>Bob</b>"));
  g_assert_nonnull (strstr (r->body, "\"html\""));
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats"), ==, 0);
  g_assert_cmpuint (fake_graph_message_count (fg, chat), >=, 1);

  /* Echoed once by libpurple, never again by the poller. */
  sc_wait_polls (fg, 5);
  g_assert_cmpuint (sc_count_writes ("<b>Bob</b>"), ==, 1);
  g_assert_true (tb_events_find (TB_EV_WRITE, "<b>Bob</b>")->flags & PURPLE_MESSAGE_SEND);

  /* Plain text goes as text; several in a row keep their order. */
  sc_send_im (acc, "bob@contoso.com", "one");
  sc_send_im (acc, "bob@contoso.com", "two");
  sc_send_im (acc, "bob@contoso.com", "three");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 4);
  {
    GPtrArray *log = fake_graph_requests (fg);
    const char *order[] = { "one", "two", "three" };
    guint k = 0;

    for (guint i = 0; i < log->len; i++)
      {
        FakeRequest *q = log->pdata[i];
        if (g_str_equal (q->method, "POST") && g_str_equal (q->path, path) && k < 3
            && strstr (q->body, "hi <b>") == NULL)
          {
            g_autofree char *want = g_strdup_printf ("\"%s\"", order[k]);
            g_assert_nonnull (strstr (q->body, want));
            k++;
          }
      }
    g_assert_cmpuint (k, ==, 3);
  }
  sc_wait_polls (fg, 5);
  g_assert_cmpuint (sc_count_writes ("two"), ==, 1);
}

static void
test_send_to_new_user (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *carol_id = fake_graph_add_user (fg, "carol@contoso.com", "Carol Jones");
  const char *me_id = fake_graph_user_id (fg, ME);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  FakeRequest *r;
  const char *chat;
  void *args[] = { acc, "carol@contoso.com" };

  sc_wait_polls (fg, 2);
  sc_send_im (acc, "Carol@Contoso.com", "nice to meet you");
  sc_wait_requests (fg, "POST", "/v1.0/chats", 1);
  r = sc_last_request (fg, "POST", "/v1.0/chats");
  g_assert_nonnull (strstr (r->body, "oneOnOne"));
  g_assert_nonnull (strstr (r->body, carol_id));
  g_assert_nonnull (strstr (r->body, me_id));
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  chat = fake_graph_find_chat (fg, "carol@contoso.com");
  g_assert_nonnull (chat);
  g_assert_cmpuint (fake_graph_message_count (fg, chat), >=, 1);

  /* The chat joins the buddy list; the message is not shown a second time. */
  tb_wait (cond_buddy_present, args, 0);
  sc_wait_polls (fg, 5);
  g_assert_cmpuint (sc_count_writes ("nice to meet you"), ==, 1);

  /* The second message goes to the same chat, without creating anything. */
  sc_send_im (acc, "carol@contoso.com", "again");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats"), ==, 1);
}

static void
test_send_unknown_recipient (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc = sc_connect_new (fg, 1);
  TbEvent *ev;
  guint errors_before;

  sc_wait_polls (fg, 2);
  sc_send_im (acc, "nobody@contoso.com", "the secret plan");
  tb_wait_event (TB_EV_WRITE, "not sent");
  ev = tb_events_find (TB_EV_WRITE, "not sent");
  g_assert_true (ev->flags & PURPLE_MESSAGE_ERROR);
  g_assert_nonnull (strstr (ev->text, "the secret plan"));
  g_assert_nonnull (strstr (ev->text, "nobody@contoso.com"));
  g_assert_cmpstr (ev->conv, ==, "nobody@contoso.com");
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats/*/messages"), ==, 0);
  /* The connection stays up. */
  errors_before = tb_events_count (TB_EV_CONN_ERROR, NULL);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (tb_events_count (TB_EV_CONN_ERROR, NULL), ==, errors_before);
  g_assert_true (purple_account_is_connected (acc));
}

static void
test_mention_and_reactions (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  const char *mentioned[] = { ME, NULL };
  const char *mid;
  TbEvent *ev;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  mid = fake_graph_inject_mention_message (fg, chat, "bob@contoso.com",
                                           "hey <at id=\"0\">Alice</at>, look", mentioned);
  ev = sc_wait_write ("look");
  g_assert_nonnull (strstr (ev->text, "<b>Alice</b>"));
  g_assert_true (ev->flags & PURPLE_MESSAGE_NICK);

  fake_graph_inject_message (fg, chat, "bob@contoso.com", "no mention here");
  ev = sc_wait_write ("no mention here");
  g_assert_false (ev->flags & PURPLE_MESSAGE_NICK);

  /* A reaction becomes one system line in the open conversation. A reaction does not move the
   * chat's lastMessagePreview, so the cheap poll sees it with the chat's next message. */
  fake_graph_add_reaction (fg, chat, mid, "bob@contoso.com", "like");
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "and another thing");
  ev = sc_wait_write (" reacted ");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SYSTEM);
  g_assert_cmpstr (ev->text, ==, "Bob Smith reacted \xf0\x9f\x91\x8d to: hey Alice, look");
  g_assert_cmpstr (ev->conv, ==, "bob@contoso.com");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 1);
  g_assert_cmpuint (sc_count_writes ("look"), ==, 2);   /* the message and the reactions line */
}

/* While the conversation is open, a reaction or an edit on an older message shows without
 * waiting for a new message (the engine watches open conversations); each once. */
static void
test_open_conversation_watched (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  const char *old;
  TbEvent *ev;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  old = fake_graph_inject_message (fg, chat, "bob@contoso.com", "an older message");
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "the newest one");
  sc_wait_write ("the newest one");   /* the IM window is open now */

  fake_graph_add_reaction (fg, chat, old, "bob@contoso.com", "like");
  ev = sc_wait_write (" reacted ");
  g_assert_nonnull (strstr (ev->text, "an older message"));
  g_assert_true (fake_graph_edit_message (fg, chat, old, "an older message, corrected"));
  ev = sc_wait_write ("(edited) an older message, corrected");
  g_assert_cmpstr (ev->conv, ==, "bob@contoso.com");
  sc_wait_polls (fg, 6);
  g_assert_cmpuint (sc_count_writes (" reacted "), ==, 1);
  g_assert_cmpuint (sc_count_writes ("(edited)"), ==, 1);
  g_assert_cmpuint (sc_count_writes ("the newest one"), ==, 1);
}

static char *cmd_seen;

static PurpleCmdRet
on_test_cmd (PurpleConversation *conv, const gchar *cmd, gchar **args, gchar **error, void *data)
{
  g_free (cmd_seen);
  cmd_seen = g_strdup (args[0] != NULL ? args[0] : "");
  return PURPLE_CMD_RET_OK;
}

static void
test_im_runs_commands (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc;
  PurpleCmdId id;

  sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  acc = sc_connect_new (fg, 1);
  wait_blist (acc, 1, 0);
  id = purple_cmd_register ("tgtestcmd", "s", PURPLE_CMD_P_PRPL,
                            PURPLE_CMD_FLAG_IM | PURPLE_CMD_FLAG_PRPL_ONLY | PURPLE_CMD_FLAG_ALLOW_WRONG_ARGS,
                            "prpl-teams-graph", on_test_cmd, "tgtestcmd: a test", NULL);
  /* bitlbee hands "/tgtestcmd …" to send_im: it runs, nothing is posted. */
  sc_send_im (acc, "bob@contoso.com", "/tgtestcmd some words");
  g_assert_cmpstr (cmd_seen, ==, "some words");
  /* An unknown command is an ordinary message. */
  sc_send_im (acc, "bob@contoso.com", "/shrug whatever");
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  g_assert_nonnull (strstr (sc_last_request (fg, "POST", "/v1.0/chats/*/messages")->body,
                            "/shrug whatever"));
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (fake_graph_count (fg, "POST", "/v1.0/chats/*/messages"), ==, 1);
  purple_cmd_unregister (id);
  g_clear_pointer (&cmd_seen, g_free);
}

/* ---- failures ---- */

static void
test_poll_failures (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat = sc_one_on_one (fg, "bob@contoso.com", "Bob Smith");
  PurpleAccount *acc = sc_connect_new (fg, 1);
  TbEvent *ev;

  wait_blist (acc, 1, 0);
  sc_wait_polls (fg, 2);
  /* Transient: the connection stays, the user is told once, the engine recovers. */
  fake_graph_add_fault (fg, "GET", "/v1.0/me/chats", FAKE_FAULT_STATUS, 503, NULL, 0, 0);
  ev = tb_wait_event (TB_EV_NOTICE, "cannot be reached");
  g_assert_nonnull (ev);
  g_assert_null (tb_last_error (acc));
  fake_graph_clear_faults (fg);
  fake_graph_inject_message (fg, chat, "bob@contoso.com", "back again");
  sc_wait_write ("back again");
  g_assert_cmpuint (tb_events_count (TB_EV_NOTICE, "cannot be reached"), ==, 1);
  g_assert_null (tb_last_error (acc));

  /* Not transient (access refused): the connection ends with the reason. */
  fake_graph_add_fault (fg, "GET", "/v1.0/me/chats", FAKE_FAULT_STATUS, 403, NULL, 0, 0);
  tb_wait_event (TB_EV_CONN_ERROR, "Could not read your chats");
  ev = tb_last_error (acc);
  g_assert_cmpint (ev->code, ==, PURPLE_CONNECTION_ERROR_AUTHENTICATION_FAILED);
  tb_wait_disconnected (acc);
}

/* ---- cost ---- */

static void
test_idle_poll_cost (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  PurpleAccount *acc;
  GPtrArray *log;
  guint lists = 0;

  for (int i = 0; i < 60; i++)
    {
      g_autofree char *upn = g_strdup_printf ("idle%02d@contoso.com", i);
      const char *chat = sc_one_on_one (fg, upn, "Idle");
      fake_graph_inject_message (fg, chat, upn, "old news");
      fake_graph_mark_read (fg, chat);
    }
  acc = sc_connect_new (fg, 1);
  wait_blist (acc, 60, 0);
  /* the once-per-session look at each buddy's photo (none here: 60 404s) is no idle cost */
  sc_wait_requests (fg, "GET", "/v1.0/users/*/photo", 60);
  sc_wait_polls (fg, 3);
  fake_graph_clear_log (fg);
  sc_wait_polls (fg, 10);
  log = fake_graph_requests (fg);
  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];

      g_assert_cmpstr (r->method, ==, "GET");
      g_assert_cmpstr (r->path, ==, "/v1.0/me/chats");
      lists++;
    }
  g_assert_cmpuint (lists, >=, 10);
  g_assert_cmpuint (sc_count_writes ("old news"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/messaging/blist/120-chats", test_blist_120_chats);
  tb_add ("/messaging/blist/follows-and-keeps-user-choices", test_blist_follows_and_keeps_user_choices);
  tb_add ("/messaging/im/incoming-once", test_im_incoming_once);
  tb_add ("/messaging/im/burst-50-into-5", test_im_burst);
  tb_add ("/messaging/im/reconnect-delayed", test_reconnect_delayed);
  tb_add ("/messaging/im/edit-delete", test_edit_delete);
  tb_add ("/messaging/im/own-message-elsewhere", test_own_message_elsewhere);
  tb_add ("/messaging/im/mention-and-reactions", test_mention_and_reactions);
  tb_add ("/messaging/im/open-conversation-watched", test_open_conversation_watched);
  tb_add ("/messaging/im/runs-commands", test_im_runs_commands);
  tb_add ("/messaging/send/to-buddy", test_send_to_buddy);
  tb_add ("/messaging/send/to-new-user", test_send_to_new_user);
  tb_add ("/messaging/send/unknown-recipient", test_send_unknown_recipient);
  tb_add ("/messaging/sync/poll-failures", test_poll_failures);
  tb_add ("/messaging/sync/idle-poll-cost", test_idle_poll_cost);
  return tb_run ();
}
