/* Media scenarios: buddy icons from Teams photos (fetched once, skipped when unchanged on the
 * next session, one 404 for a user without one, new buddies later), inline images in (stored in
 * the image store, shown as <img id>, released after the write, a failed or late download still
 * delivers the message, in order), images out (an IM's <img id> arrives as hostedContents with
 * the same bytes) and read state (a conversation seen → one markChatReadForUser, not repeated).
 */
#include <string.h>

#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define DAVE "dave@contoso.com"
/* sc_account_new scales every wait of the plugin: the image wait of 15 s is 150 ms. */

#define PHOTO_META "/v1.0/users/*/photo"
#define PHOTO_VALUE "/v1.0/users/*/photos/48x48/$value"
#define HOSTED_VALUE "/v1.0/chats/*/messages/*/hostedContents/*/$value"
#define MARK_READ "/v1.0/chats/*/markChatReadForUser"

/* Enough of a PNG for the plugin (it checks the signature), different per seed. */
static GBytes *
png_bytes (guint8 seed)
{
  guint8 data[40] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  for (guint i = 8; i < sizeof data; i++)
    data[i] = (guint8) (seed * 31 + i);
  return g_bytes_new (data, sizeof data);
}

/* ---- helpers ---- */

static guint
count_path (FakeGraph *fg, const char *method, const char *user_id, const char *suffix)
{
  g_autofree char *path = g_strdup_printf ("/v1.0/users/%s%s", user_id, suffix);

  return fake_graph_count (fg, method, path);
}

typedef struct {
  PurpleAccount *acc;
  const char *who;
  GBytes *bytes;        /* NULL: any icon */
} IconWait;

/* The buddy shows an icon (with exactly `bytes` when given). libpurple may keep an emptied
 * icon object around after a removal: no data = no icon. */
static gboolean
cond_icon (gpointer data)
{
  IconWait *w = data;
  PurpleBuddyIcon *icon = purple_buddy_icons_find (w->acc, w->who);
  size_t len = 0;
  gconstpointer bytes = icon != NULL ? purple_buddy_icon_get_data (icon, &len) : NULL;

  if (bytes == NULL)
    return FALSE;
  return w->bytes == NULL
         || (len == g_bytes_get_size (w->bytes) && memcmp (bytes, g_bytes_get_data (w->bytes, NULL), len) == 0);
}

static gboolean
cond_no_icon (gpointer data)
{
  return !cond_icon (data);
}

/* Waits until the buddy's icon holds `expected`. */
static void
wait_icon (PurpleAccount *acc, const char *who, GBytes *expected)
{
  IconWait w = { acc, who, expected };

  tb_wait (cond_icon, &w, 0);
}

static void
assert_icon (PurpleAccount *acc, const char *who, GBytes *expected)
{
  IconWait w = { acc, who, expected };

  g_assert_true (cond_icon (&w));
}

/* ---- avatars ---- */

static void
test_avatar_once (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) bob_photo = png_bytes (1);
  PurpleAccount *acc;
  PurpleBuddy *bob;
  const char *bob_id, *carol_id;
  guint value_requests;

  sc_one_on_one (fg, BOB, "Bob Smith");
  sc_one_on_one (fg, CAROL, "Carol Jones");    /* no photo */
  bob_id = fake_graph_user_id (fg, BOB);
  carol_id = fake_graph_user_id (fg, CAROL);
  fake_graph_set_user_photo (fg, BOB, bob_photo);

  acc = sc_connect_new (fg, 1);
  wait_icon (acc, BOB, bob_photo);
  bob = purple_find_buddy (acc, BOB);
  g_assert_nonnull (bob);
  g_assert_nonnull (purple_buddy_icons_get_checksum_for_user (bob));
  sc_wait_requests (fg, "GET", PHOTO_META, 2);

  /* polls go on: nothing is asked again, Carol's 404 included */
  sc_wait_polls (fg, 5);
  g_assert_cmpuint (count_path (fg, "GET", bob_id, "/photo"), ==, 1);
  g_assert_cmpuint (count_path (fg, "GET", bob_id, "/photos/48x48/$value"), ==, 1);
  g_assert_cmpuint (count_path (fg, "GET", carol_id, "/photo"), ==, 1);
  g_assert_cmpuint (count_path (fg, "GET", carol_id, "/photos/48x48/$value"), ==, 0);
  {
    IconWait none = { acc, CAROL, NULL };

    g_assert_false (cond_icon (&none));
  }
  value_requests = fake_graph_count (fg, "GET", PHOTO_VALUE);
  g_assert_cmpuint (value_requests, ==, 1);

  /* the next session: the ETag is asked for, the unchanged photo is not downloaded again */
  tb_account_disconnect (acc);
  fake_graph_clear_log (fg);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_requests (fg, "GET", PHOTO_META, 2);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (count_path (fg, "GET", bob_id, "/photo"), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "GET", PHOTO_VALUE), ==, 0);
  assert_icon (acc, BOB, bob_photo);

  /* a new photo is seen in the session after the change */
  {
    g_autoptr (GBytes) new_photo = png_bytes (2);

    fake_graph_set_user_photo (fg, BOB, new_photo);
    tb_account_disconnect (acc);
    fake_graph_clear_log (fg);
    tb_account_connect (acc);
    tb_wait_connected (acc);
    wait_icon (acc, BOB, new_photo);
    g_assert_cmpuint (count_path (fg, "GET", bob_id, "/photos/48x48/$value"), ==, 1);
  }

  /* the photo removed: the icon goes in the next session */
  fake_graph_remove_user_photo (fg, BOB);
  tb_account_disconnect (acc);
  fake_graph_clear_log (fg);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_requests (fg, "GET", PHOTO_META, 2);
  {
    IconWait gone = { acc, BOB, NULL };

    tb_wait (cond_no_icon, &gone, 0);
  }
  g_assert_null (purple_buddy_icons_get_checksum_for_user (purple_find_buddy (acc, BOB)));
  g_assert_cmpuint (fake_graph_count (fg, "GET", PHOTO_VALUE), ==, 0);
}

/* At most 3 at a time: with every photo request held back, the most in flight at once is 3. */
typedef struct {
  FakeGraph *fg;
  PurpleAccount *acc;
  guint users;
  guint max_in_flight;
} QueueWait;

static gboolean
cond_all_icons (gpointer data)
{
  QueueWait *w = data;
  GPtrArray *log = fake_graph_requests (w->fg);
  guint in_flight = 0, icons = 0;

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];

      /* logged when they arrive, the status set when answered */
      if (r->status == 0 && g_str_has_prefix (r->path, "/v1.0/users/"))
        in_flight++;
    }
  w->max_in_flight = MAX (w->max_in_flight, in_flight);
  for (guint i = 0; i < w->users; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%u@contoso.com", i);

      IconWait one = { w->acc, upn, NULL };

      icons += cond_icon (&one);
    }
  return icons == w->users;
}

static void
test_avatar_queue (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  QueueWait w = { fg, NULL, 8, 0 };

  for (guint i = 0; i < w.users; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%u@contoso.com", i);
      g_autofree char *name = g_strdup_printf ("User %u", i);
      g_autoptr (GBytes) photo = png_bytes ((guint8) (10 + i));

      sc_one_on_one (fg, upn, name);
      fake_graph_set_user_photo (fg, upn, photo);
    }
  fake_graph_add_fault (fg, "GET", PHOTO_META, FAKE_FAULT_DELAY, 0, NULL, 300, 0);
  w.acc = sc_connect_new (fg, 1);
  tb_wait (cond_all_icons, &w, 0);
  g_assert_cmpuint (w.max_in_flight, ==, 3);
  for (guint i = 0; i < w.users; i++)
    {
      g_autofree char *upn = g_strdup_printf ("user%u@contoso.com", i);
      g_autoptr (GBytes) photo = png_bytes ((guint8) (10 + i));

      assert_icon (w.acc, upn, photo);
    }
  g_assert_cmpuint (fake_graph_count (fg, "GET", PHOTO_META), ==, w.users);
  g_assert_cmpuint (fake_graph_count (fg, "GET", PHOTO_VALUE), ==, w.users);
}

/* A buddy that appears later gets its icon too. */
static void
test_avatar_new_buddy (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) dave_photo = png_bytes (3);
  PurpleAccount *acc;
  const char *chat_id;

  sc_one_on_one (fg, BOB, "Bob Smith");
  acc = sc_connect_new (fg, 1);
  sc_wait_requests (fg, "GET", PHOTO_META, 1);

  fake_graph_add_user (fg, DAVE, "Dave Brown");
  fake_graph_set_user_photo (fg, DAVE, dave_photo);
  chat_id = sc_one_on_one (fg, DAVE, "Dave Brown");
  fake_graph_inject_message (fg, chat_id, DAVE, "hello there");
  wait_icon (acc, DAVE, dave_photo);
  g_assert_cmpuint (count_path (fg, "GET", fake_graph_user_id (fg, DAVE), "/photos/48x48/$value"),
                    ==, 1);
}

/* ---- images in ---- */

/* What the image store held for each <img id> when a message was written (as Pidgin takes it). */
static GHashTable *seen_images;   /* id → GBytes */

static void
remember_images (const char *message)
{
  for (const char *p = message; (p = strstr (p, "<img id=\"")) != NULL; p++)
    {
      int id = atoi (p + strlen ("<img id=\""));
      PurpleStoredImage *img = purple_imgstore_find_by_id (id);

      if (img != NULL)
        g_hash_table_replace (seen_images, GINT_TO_POINTER (id),
                              g_bytes_new (purple_imgstore_get_data (img), purple_imgstore_get_size (img)));
    }
}

static void
on_wrote_im (PurpleAccount *account, const char *who, char *message, PurpleConversation *conv,
             PurpleMessageFlags flags, gpointer data)
{
  remember_images (message);
}

static void
on_wrote_chat (PurpleAccount *account, const char *who, char *message, PurpleConversation *conv,
               PurpleMessageFlags flags, gpointer data)
{
  remember_images (message);
}

static void
watch_images (void)
{
  static int handle;

  if (seen_images == NULL)
    {
      seen_images = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_bytes_unref);
      purple_signal_connect (purple_conversations_get_handle (), "wrote-im-msg", &handle,
                             PURPLE_CALLBACK (on_wrote_im), NULL);
      purple_signal_connect (purple_conversations_get_handle (), "wrote-chat-msg", &handle,
                             PURPLE_CALLBACK (on_wrote_chat), NULL);
    }
  g_hash_table_remove_all (seen_images);
}

static int
image_id_of (const char *text)
{
  const char *p = strstr (text, "<img id=\"");

  g_assert_nonnull (p);
  return atoi (p + strlen ("<img id=\""));
}

static void
test_image_in (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) picture = png_bytes (4);
  PurpleAccount *acc;
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  TbEvent *ev;
  GBytes *shown;
  int id;

  watch_images ();
  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  fake_graph_inject_image_message (fg, chat_id, BOB, "<p>look at this</p>", picture, "image/png");
  ev = sc_wait_write ("look at this");
  g_assert_nonnull (strstr (ev->text, "<img id=\""));
  g_assert_null (strstr (ev->text, "[image]"));
  g_assert_cmpstr (ev->who, ==, BOB);
  g_assert_true (ev->flags & PURPLE_MESSAGE_IMAGES);
  id = image_id_of (ev->text);
  shown = g_hash_table_lookup (seen_images, GINT_TO_POINTER (id));
  g_assert_nonnull (shown);
  g_assert_true (g_bytes_equal (shown, picture));
  /* released once written: the UI holds its own reference while it shows it */
  g_assert_null (purple_imgstore_find_by_id (id));
  g_assert_cmpuint (fake_graph_count (fg, "GET", HOSTED_VALUE), ==, 1);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "look at this"), ==, 1);
  g_assert_cmpuint (fake_graph_count (fg, "GET", HOSTED_VALUE), ==, 1);
  (void) acc;
}

/* A download that fails: the message is there all the same, with a link. */
static void
test_image_in_failed (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) picture = png_bytes (5);
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  TbEvent *ev;

  sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  fake_graph_add_fault (fg, "GET", HOSTED_VALUE, FAKE_FAULT_STATUS, 404, NULL, 0, 0);
  fake_graph_inject_image_message (fg, chat_id, BOB, "<p>broken picture</p>", picture, "image/png");
  ev = sc_wait_write ("broken picture");
  g_assert_null (strstr (ev->text, "<img"));
  g_assert_nonnull (strstr (ev->text, "[image]"));
  g_assert_nonnull (strstr (ev->text, "hostedContents"));
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "broken picture"), ==, 1);
}

/* A download slower than the wait: delivered with a link when the wait is over; the message
 * after it still comes after it; the late bytes are dropped. */
static void
test_image_in_late_keeps_order (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) picture = png_bytes (6);
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  TbEvent *first, *second;

  sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  /* 3 s against a wait of 15 s × 0.01 */
  fake_graph_add_fault (fg, "GET", HOSTED_VALUE, FAKE_FAULT_DELAY, 0, NULL, 3000, 0);
  fake_graph_inject_image_message (fg, chat_id, BOB, "<p>slow picture</p>", picture, "image/png");
  fake_graph_inject_message (fg, chat_id, BOB, "after the picture");
  second = sc_wait_write ("after the picture");
  first = tb_events_find (TB_EV_WRITE, "slow picture");
  g_assert_nonnull (first);
  g_assert_cmpuint (first->index, <, second->index);
  g_assert_nonnull (strstr (first->text, "[image]"));
  /* the late answer comes and changes nothing */
  sc_wait_requests (fg, "GET", HOSTED_VALUE, 1);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "slow picture"), ==, 1);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "after the picture"), ==, 1);
}

/* Messages of one poll stay in order behind one that waits for its image. */
static void
test_image_in_order (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) picture = png_bytes (7);
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  TbEvent *before, *with_image, *after;

  sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  fake_graph_add_fault (fg, "GET", HOSTED_VALUE, FAKE_FAULT_DELAY, 0, NULL, 50, 0);
  fake_graph_inject_message (fg, chat_id, BOB, "one before");
  fake_graph_inject_image_message (fg, chat_id, BOB, "<p>the picture</p>", picture, "image/png");
  fake_graph_inject_message (fg, chat_id, BOB, "one after");
  after = sc_wait_write ("one after");
  before = tb_events_find (TB_EV_WRITE, "one before");
  with_image = tb_events_find (TB_EV_WRITE, "the picture");
  g_assert_nonnull (before);
  g_assert_nonnull (with_image);
  g_assert_cmpuint (before->index, <, with_image->index);
  g_assert_cmpuint (with_image->index, <, after->index);
}

/* Closing the account while an image is on its way: nothing is written then, nothing crashes,
 * and the message is not lost: the next session shows it. */
static void
test_image_in_close_while_waiting (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) picture = png_bytes (11);
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  PurpleAccount *acc;

  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  fake_graph_add_fault (fg, "GET", HOSTED_VALUE, FAKE_FAULT_DELAY, 0, NULL, 300, 0);
  fake_graph_inject_image_message (fg, chat_id, BOB, "<p>shown next time</p>", picture,
                                   "image/png");
  sc_wait_requests (fg, "GET", HOSTED_VALUE, 1);
  tb_account_disconnect (acc);
  tb_run_for (600);   /* the delayed answer and the image wait both pass */
  g_assert_null (tb_events_find (TB_EV_WRITE, "shown next time"));

  /* Not lost: the next session shows it, once. */
  tb_account_connect (acc);
  tb_wait_connected (acc);
  sc_wait_write ("shown next time");
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "shown next time"), ==, 1);
}

/* File attachments: their name, linked to the file. */
static void
test_attachment_in (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  const char *id;
  TbEvent *ev;

  sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  id = fake_graph_inject_message (fg, chat_id, BOB, "<p>the plan</p><attachment id=\"a1\"></attachment>");
  g_assert_true (fake_graph_set_message_attachments (fg, chat_id, id,
    "[{\"id\":\"a1\",\"contentType\":\"reference\","
    "\"contentUrl\":\"https://contoso.sharepoint.com/sites/x/Plan%20Q3.docx\","
    "\"content\":null,\"name\":\"Plan Q3.docx\",\"thumbnailUrl\":null}]"));
  ev = sc_wait_write ("the plan");
  g_assert_nonnull (strstr (ev->text,
                            "<a href=\"https://contoso.sharepoint.com/sites/x/Plan%20Q3.docx\">Plan Q3.docx</a>"));
}

/* ---- images out ---- */

/* The POST of a message carries `picture` as its one hosted content, referred to by the body. */
static void
assert_posted_image (FakeGraph *fg, const char *content, GBytes *picture)
{
  FakeRequest *post = sc_last_request (fg, "POST", "/v1.0/chats/*/messages");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree guchar *decoded = NULL;
  JsonObject *body, *hosted;
  JsonArray *list;
  gsize len = 0;

  g_assert_nonnull (post);
  g_assert_cmpuint (post->status, ==, 201);
  g_assert_true (json_parser_load_from_data (parser, post->body, -1, NULL));
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"), "contentType"),
                   ==, "html");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "body"), "content"),
                   ==, content);
  list = json_object_get_array_member (body, "hostedContents");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  hosted = json_array_get_object_element (list, 0);
  g_assert_cmpstr (json_object_get_string_member (hosted, "@microsoft.graph.temporaryId"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (hosted, "contentType"), ==, "image/png");
  decoded = g_base64_decode (json_object_get_string_member (hosted, "contentBytes"), &len);
  g_assert_cmpmem (decoded, len, g_bytes_get_data (picture, NULL), g_bytes_get_size (picture));
}

static int
store_image (GBytes *picture)
{
  return purple_imgstore_add_with_id (g_memdup2 (g_bytes_get_data (picture, NULL),
                                                 g_bytes_get_size (picture)),
                                      g_bytes_get_size (picture), "picture.png");
}

static void
test_image_out_im (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) picture = png_bytes (8);
  g_autofree char *text = NULL;
  PurpleAccount *acc;
  PurpleConversation *conv;
  int id;

  sc_one_on_one (fg, BOB, "Bob Smith");
  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);

  /* as Pidgin sends an inserted image: <IMG ID="N"> of the store, released after send_im */
  id = store_image (picture);
  text = g_strdup_printf ("here it is <IMG ID=\"%d\">", id);
  conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, BOB);
  purple_conv_im_send_with_flags (PURPLE_CONV_IM (conv), text, PURPLE_MESSAGE_IMAGES);
  purple_imgstore_unref_by_id (id);

  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  assert_posted_image (fg, "here it is <img src=\"../hostedContents/1/$value\" alt=\"image\">", picture);
  /* nothing of ours is left in the store */
  g_assert_null (purple_imgstore_find_by_id (id));
}

/* A group chat: an image in is shown inline, an image out goes as a hosted content. */
static void
test_images_group_chat (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (GBytes) in = png_bytes (9);
  g_autoptr (GBytes) out = png_bytes (10);
  const char *members[] = { BOB, CAROL, NULL };
  g_autofree char *text = NULL;
  GHashTable *components;
  PurpleAccount *acc;
  PurpleConversation *conv;
  const char *chat_id;
  TbEvent *ev;
  int id;

  fake_graph_add_user (fg, BOB, "Bob Smith");
  fake_graph_add_user (fg, CAROL, "Carol Jones");
  chat_id = fake_graph_add_chat (fg, "group", "Pictures", members);
  watch_images ();
  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (components, g_strdup ("id"), g_strdup (chat_id));
  serv_join_chat (purple_account_get_connection (acc), components);
  g_hash_table_destroy (components);
  ev = tb_wait_event (TB_EV_CHAT_JOINED, NULL);
  conv = purple_find_conversation_with_account (PURPLE_CONV_TYPE_CHAT, ev->conv, acc);
  g_assert_nonnull (conv);

  fake_graph_inject_image_message (fg, chat_id, CAROL, "<p>the whiteboard</p>", in, "image/png");
  ev = sc_wait_write ("the whiteboard");
  id = image_id_of (ev->text);
  g_assert_true (g_bytes_equal (g_hash_table_lookup (seen_images, GINT_TO_POINTER (id)), in));
  g_assert_null (purple_imgstore_find_by_id (id));

  id = store_image (out);
  text = g_strdup_printf ("<b>mine</b> <IMG ID=\"%d\">", id);
  purple_conv_chat_send_with_flags (PURPLE_CONV_CHAT (conv), text, PURPLE_MESSAGE_IMAGES);
  purple_imgstore_unref_by_id (id);
  sc_wait_requests (fg, "POST", "/v1.0/chats/*/messages", 1);
  assert_posted_image (fg, "<b>mine</b> <img src=\"../hostedContents/1/$value\" alt=\"image\">", out);
  g_assert_null (purple_imgstore_find_by_id (id));
  /* the echo in the window shows the picture too, once, not as a link */
  ev = sc_wait_write ("mine");
  g_assert_true (ev->flags & PURPLE_MESSAGE_SEND);
  id = image_id_of (ev->text);
  g_assert_true (g_bytes_equal (g_hash_table_lookup (seen_images, GINT_TO_POINTER (id)), out));
  g_assert_null (purple_imgstore_find_by_id (id));
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (tb_events_count (TB_EV_WRITE, "mine"), ==, 1);
}

/* ---- read state ---- */

/* What Pidgin does when the user looks at a conversation with unseen messages. */
static void
user_looks_at (PurpleConversation *conv)
{
  purple_conversation_set_data (conv, "unseen-count", GINT_TO_POINTER (0));
  purple_conversation_update (conv, PURPLE_CONV_UPDATE_UNSEEN);
}

static void
test_read_state (void)
{
  FakeGraph *fg = tb_fake_new (ME);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *chat_id = sc_one_on_one (fg, BOB, "Bob Smith");
  g_autofree char *path = g_strdup_printf ("/v1.0/chats/%s/markChatReadForUser", chat_id);
  PurpleAccount *acc;
  PurpleConversation *conv;
  FakeRequest *post;
  JsonObject *user;

  acc = sc_connect_new (fg, 1);
  sc_wait_polls (fg, 1);
  fake_graph_inject_message (fg, chat_id, BOB, "are you there?");
  sc_wait_write ("are you there?");
  conv = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, BOB, acc);
  g_assert_nonnull (conv);
  g_assert_cmpuint (fake_graph_count (fg, "POST", MARK_READ), ==, 0);

  /* unseen messages, not yet looked at: nothing */
  purple_conversation_set_data (conv, "unseen-count", GINT_TO_POINTER (1));
  purple_conversation_update (conv, PURPLE_CONV_UPDATE_UNSEEN);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", MARK_READ), ==, 0);

  user_looks_at (conv);
  sc_wait_requests (fg, "POST", MARK_READ, 1);
  post = sc_last_request (fg, "POST", MARK_READ);
  g_assert_cmpstr (post->path, ==, path);
  g_assert_cmpuint (post->status, ==, 204);
  g_assert_true (json_parser_load_from_data (parser, post->body, -1, NULL));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (json_parser_get_root (parser))), ==, 1);
  user = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "user");
  g_assert_cmpuint (json_object_get_size (user), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (user, "id"), ==, fake_graph_user_id (fg, ME));
  g_assert_cmpstr (json_object_get_string_member (user, "tenantId"), ==, fake_graph_tenant_id (fg));

  /* looking again with nothing new: not repeated */
  user_looks_at (conv);
  sc_wait_polls (fg, 3);
  user_looks_at (conv);
  sc_wait_polls (fg, 2);
  g_assert_cmpuint (fake_graph_count (fg, "POST", MARK_READ), ==, 1);

  /* something new, looked at: one more */
  fake_graph_inject_message (fg, chat_id, BOB, "hello?");
  sc_wait_write ("hello?");
  user_looks_at (conv);
  user_looks_at (conv);
  sc_wait_requests (fg, "POST", MARK_READ, 2);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (fake_graph_count (fg, "POST", MARK_READ), ==, 2);

  /* an own message from another client is no reason */
  fake_graph_inject_message (fg, chat_id, ME, "sent from my phone");
  sc_wait_write ("sent from my phone");
  user_looks_at (conv);
  sc_wait_polls (fg, 3);
  g_assert_cmpuint (fake_graph_count (fg, "POST", MARK_READ), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/media/avatar-once", test_avatar_once);
  tb_add ("/media/avatar-queue", test_avatar_queue);
  tb_add ("/media/avatar-new-buddy", test_avatar_new_buddy);
  tb_add ("/media/image-in", test_image_in);
  tb_add ("/media/image-in-failed", test_image_in_failed);
  tb_add ("/media/image-in-late-keeps-order", test_image_in_late_keeps_order);
  tb_add ("/media/image-in-order", test_image_in_order);
  tb_add ("/media/image-in-close-while-waiting", test_image_in_close_while_waiting);
  tb_add ("/media/attachment-in", test_attachment_in);
  tb_add ("/media/image-out-im", test_image_out_im);
  tb_add ("/media/images-group-chat", test_images_group_chat);
  tb_add ("/media/read-state", test_read_state);
  return tb_run ();
}
