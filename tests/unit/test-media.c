/* Unit tests for the media parts of the core: tg-photos (photo ETag, 404 for no photo, bytes),
 * tg-hosted (which srcs may get the token, download, hostedContents[] out, image sniffing),
 * tg-chats' send with images (the POST body, the emulator stores the bytes), tg-markup's
 * outgoing image hook and tg-readstate (the markChatReadForUser body), against the Graph
 * emulator in-process. Waiting = iterating the main context (20 s hang guard).
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-hosted.h"
#include "core/tg-json.h"
#include "core/tg-markup.h"
#include "core/tg-photos.h"
#include "core/tg-readstate.h"
#include "fake-graph/fake-graph.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"

/* Enough of a PNG for every check here (the signature, then anything). */
static const guint8 PNG[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
                              'D', 'R', 1, 2, 3, 4, 0xff, 0x00, 0x7f };

typedef GfFixture Fx;
#define BOB_ID(fx) fake_graph_user_id ((fx)->fg, BOB)
#define CAROL_ID(fx) fake_graph_user_id ((fx)->fg, CAROL)

/* Me, Bob and Carol, signed in as me. */
static Fx *
fx_new (void)
{
  return gf_fixture_add_users (gf_fixture_new (ME), BOB, "Bob", CAROL, "Carol", NULL);
}

/* The body of the only logged request matching method + path glob, parsed. */
static JsonObject *
only_request_body (Fx *fx, const char *method, const char *glob, JsonNode **node_out)
{
  g_assert_cmpuint (fake_graph_count (fx->fg, method, glob), ==, 1);
  return gf_request_body (gf_last_request (fx->fg, method, glob), node_out);
}

/* ---- tg-photos ---- */

static void
test_photo (void)
{
  Fx *fx = fx_new ();
  g_autoptr (GBytes) png = g_bytes_new_static (PNG, sizeof PNG);
  g_autoptr (GBytes) other = g_bytes_new_static (PNG, sizeof PNG - 1);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *etag = NULL, *etag2 = NULL, *type = NULL;
  GError *error = NULL;
  GfWait w = { 0 };

  fake_graph_set_user_photo (fx->fg, BOB, png);

  tg_photos_get_etag_async (fx->graph, BOB_ID (fx), NULL, gf_wait_cb, &w);
  gf_wait (&w);
  etag = tg_photos_get_etag_finish (fx->graph, w.result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (etag);
  gf_wait_clear (&w);

  tg_photos_get_async (fx->graph, BOB_ID (fx), TG_PHOTOS_ICON_SIZE, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  bytes = tg_photos_get_finish (fx->graph, w.result, &type, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bytes, png));
  g_assert_cmpstr (type, ==, "image/png");
  gf_wait_clear (&w);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/users/*/photo"), ==, 1);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/users/*/photos/48x48/$value"), ==, 1);

  /* a new photo, a new ETag */
  fake_graph_set_user_photo (fx->fg, BOB, other);
  tg_photos_get_etag_async (fx->graph, BOB_ID (fx), NULL, gf_wait_cb, &w);
  gf_wait (&w);
  etag2 = tg_photos_get_etag_finish (fx->graph, w.result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (etag2, !=, etag);
  gf_wait_clear (&w);

  /* no photo: one 404, TG_ERROR_NOT_FOUND, both ways */
  tg_photos_get_etag_async (fx->graph, CAROL_ID (fx), NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_null (tg_photos_get_etag_finish (fx->graph, w.result, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gf_wait_clear (&w);
  tg_photos_get_async (fx->graph, CAROL_ID (fx), 0, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_null (tg_photos_get_finish (fx->graph, w.result, NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gf_wait_clear (&w);

  /* no user id: refused without a request */
  fake_graph_clear_log (fx->fg);
  tg_photos_get_etag_async (fx->graph, "", NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_null (tg_photos_get_etag_finish (fx->graph, w.result, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  gf_wait_clear (&w);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 0);
  gf_fixture_free (fx);
}

/* ---- tg-hosted ---- */

static void
test_hosted_paths (void)
{
  g_autoptr (TgGraph) graph = tg_graph_new ("https://graph.microsoft.com/v1.0", NULL);
  static const struct { const char *src, *path; } cases[] = {
    { "https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/messages/1700000000000/hostedContents/aWQ9eA==/$value",
      "/chats/19:abc@thread.v2/messages/1700000000000/hostedContents/aWQ9eA==/$value" },
    /* the token goes nowhere else */
    { "https://evil.example.com/v1.0/chats/c/messages/m/hostedContents/h/$value", NULL },
    { "https://graph.microsoft.com/beta/chats/c/messages/m/hostedContents/h/$value", NULL },
    { "https://graph.microsoft.com/v1.0.evil.com/chats/c/messages/m/hostedContents/h/$value", NULL },
    /* only hosted contents of chat messages */
    { "https://graph.microsoft.com/v1.0/me/photo/$value", NULL },
    { "https://graph.microsoft.com/v1.0/chats/c/messages/m/hostedContents/h", NULL },
    { "https://graph.microsoft.com/v1.0/chats/c/messages/m/hostedContents//$value", NULL },
    { "https://graph.microsoft.com/v1.0/chats/c/messages/m/hostedContents/h/x/$value", NULL },
    { "https://graph.microsoft.com/v1.0/chats/c/hostedContents/h/messages/m/$value", NULL },
    { "https://graph.microsoft.com/v1.0/chats/c/messages/m/hostedContents/h/$value?x=1", NULL },
    { "https://graph.microsoft.com/v1.0/chats/../users/messages/m/hostedContents/h/$value", NULL },
    { "../hostedContents/1/$value", NULL },
    { "", NULL },
  };

  g_assert_nonnull (graph);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = tg_hosted_path_from_src (graph, cases[i].src);

      g_assert_cmpstr (path, ==, cases[i].path);
    }
  g_assert_null (tg_hosted_path_from_src (graph, NULL));
  g_assert_null (tg_hosted_path_from_src (NULL, cases[0].src));
}

static void
test_sniff (void)
{
  static const struct { const char *data; gsize len; const char *type; } cases[] = {
    { "\x89PNG\r\n\x1a\nrest", 12, "image/png" },
    { "\xff\xd8\xff\xe0", 4, "image/jpeg" },
    { "GIF89a..", 8, "image/gif" },
    { "GIF87a..", 8, "image/gif" },
    { "BM......", 8, "image/bmp" },
    { "RIFF\0\0\0\0WEBPVP8 ", 16, "image/webp" },
    { "<html>", 6, NULL },
    { "\x89PN", 3, NULL },
    { "", 0, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) b = g_bytes_new_static (cases[i].data, cases[i].len);

      g_assert_cmpstr (tg_hosted_sniff_image_type (b), ==, cases[i].type);
    }
  g_assert_null (tg_hosted_sniff_image_type (NULL));
}

static char *
image_out (const char *purple_id, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  if (g_str_equal (purple_id, "7"))
    return g_strdup ("../hostedContents/1/$value");
  return NULL;
}

static void
test_markup_images_out (void)
{
  guint calls = 0;
  gboolean is_html = FALSE;
  g_autofree char *a = tg_markup_to_teams_with_images ("look <IMG ID=\"7\"> here", &is_html,
                                                       image_out, &calls);
  g_autofree char *b = NULL, *c = NULL, *d = NULL;

  g_assert_cmpstr (a, ==, "look <img src=\"../hostedContents/1/$value\" alt=\"image\"> here");
  g_assert_true (is_html);
  g_assert_cmpuint (calls, ==, 1);
  /* an image the hook does not know is dropped, the text stays plain */
  b = tg_markup_to_teams_with_images ("x<img id=\"8\">y", &is_html, image_out, &calls);
  g_assert_cmpstr (b, ==, "xy");
  g_assert_false (is_html);
  g_assert_cmpuint (calls, ==, 2);
  /* without a hook: as tg_markup_to_teams */
  c = tg_markup_to_teams_with_images ("x<img id=\"7\">y", &is_html, NULL, NULL);
  d = tg_markup_to_teams ("x<img id=\"7\">y", NULL);
  g_assert_cmpstr (c, ==, "xy");
  g_assert_cmpstr (d, ==, "xy");
}

static void
test_hosted_json (void)
{
  g_autoptr (GBytes) png = g_bytes_new_static (PNG, sizeof PNG);
  g_autoptr (GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_hosted_image_free);
  g_autoptr (JsonArray) array = NULL;
  g_autofree char *src = NULL;
  g_autofree guchar *decoded = NULL;
  JsonObject *o;
  gsize len = 0;

  g_assert_null (tg_hosted_images_to_json (NULL));
  g_assert_null (tg_hosted_images_to_json (images));
  g_ptr_array_add (images, tg_hosted_image_new ("1", "image/png", png));
  src = tg_hosted_image_src (images->pdata[0]);
  g_assert_cmpstr (src, ==, "../hostedContents/1/$value");
  array = tg_hosted_images_to_json (images);
  g_assert_cmpuint (tg_json_array_length (array), ==, 1);
  o = tg_json_array_object (array, 0);
  g_assert_cmpstr (tg_json_string (o, "@microsoft.graph.temporaryId"), ==, "1");
  g_assert_cmpstr (tg_json_string (o, "contentType"), ==, "image/png");
  decoded = g_base64_decode (tg_json_string (o, "contentBytes"), &len);
  g_assert_cmpmem (decoded, len, PNG, sizeof PNG);
}

/* An image sent with a message comes back as a hosted content whose bytes are the same. */
static void
test_send_with_images (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, NULL };
  const char *chat_id = fake_graph_add_chat (fx->fg, "oneOnOne", NULL, members);
  g_autoptr (GBytes) png = g_bytes_new_static (PNG, sizeof PNG);
  g_autoptr (GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_hosted_image_free);
  g_autoptr (TgMessage) msg = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GBytes) back = NULL;
  g_autofree char *content = NULL, *path = NULL, *type = NULL;
  g_autofree guchar *decoded = NULL;
  GError *error = NULL;
  GfWait w = { 0 };
  JsonObject *body, *hosted;
  gsize len = 0;

  g_ptr_array_add (images, tg_hosted_image_new ("1", "image/png", png));
  content = g_strdup_printf ("see <img src=\"%s\" alt=\"image\">", "../hostedContents/1/$value");
  tg_chats_send_message_with_images_async (fx->graph, chat_id, content, FALSE, NULL, images, NULL,
                                           gf_wait_cb, &w);
  gf_wait (&w);
  msg = tg_chats_send_message_finish (fx->graph, w.result, &error);
  g_assert_no_error (error);
  gf_wait_clear (&w);

  body = only_request_body (fx, "POST", "/v1.0/chats/*/messages", &node);
  g_assert_cmpstr (tg_json_path_string (body, "body", "contentType", NULL), ==, "html");
  g_assert_cmpstr (tg_json_path_string (body, "body", "content", NULL), ==, content);
  g_assert_cmpuint (tg_json_array_length (tg_json_array (body, "hostedContents")), ==, 1);
  hosted = tg_json_array_object (tg_json_array (body, "hostedContents"), 0);
  g_assert_cmpstr (tg_json_string (hosted, "@microsoft.graph.temporaryId"), ==, "1");
  g_assert_cmpstr (tg_json_string (hosted, "contentType"), ==, "image/png");
  decoded = g_base64_decode (tg_json_string (hosted, "contentBytes"), &len);
  g_assert_cmpmem (decoded, len, PNG, sizeof PNG);

  /* the created message refers to its hosted content by URL; fetching it gives the bytes */
  g_assert_cmpuint (g_strv_length (msg->hosted_contents), ==, 1);
  {
    const char *start = strstr (msg->body, "src=\"");
    g_autofree char *src = NULL;

    g_assert_nonnull (start);
    start += 5;
    src = g_strndup (start, strchr (start, '"') - start);
    path = tg_hosted_path_from_src (fx->graph, src);
  }
  g_assert_nonnull (path);
  tg_hosted_get_async (fx->graph, path, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  back = tg_hosted_get_finish (fx->graph, w.result, &type, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, png));
  g_assert_cmpstr (type, ==, "image/png");
  gf_wait_clear (&w);

  /* a message without images has no hostedContents member */
  g_clear_pointer (&node, json_node_unref);
  fake_graph_clear_log (fx->fg);
  tg_chats_send_message_async (fx->graph, chat_id, "plain", FALSE, NULL, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_clear_pointer (&msg, tg_message_unref);
  msg = tg_chats_send_message_finish (fx->graph, w.result, &error);
  g_assert_no_error (error);
  gf_wait_clear (&w);
  body = only_request_body (fx, "POST", "/v1.0/chats/*/messages", &node);
  g_assert_false (json_object_has_member (body, "hostedContents"));
  g_assert_cmpstr (tg_json_path_string (body, "body", "contentType", NULL), ==, "text");
  gf_fixture_free (fx);
}

/* A failed download is an error, not empty bytes. */
static void
test_hosted_missing (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, NULL };
  const char *chat_id = fake_graph_add_chat (fx->fg, "oneOnOne", NULL, members);
  const char *mid = fake_graph_inject_message (fx->fg, chat_id, BOB, "hi");
  g_autofree char *path = g_strdup_printf ("/chats/%s/messages/%s/hostedContents/bm9uZQ==/$value",
                                           chat_id, mid);
  GError *error = NULL;
  GfWait w = { 0 };

  tg_hosted_get_async (fx->graph, path, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_null (tg_hosted_get_finish (fx->graph, w.result, NULL, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gf_wait_clear (&w);
  gf_fixture_free (fx);
}

/* ---- tg-readstate ---- */

static void
test_mark_read (void)
{
  Fx *fx = fx_new ();
  const char *members[] = { BOB, NULL };
  const char *chat_id = fake_graph_add_chat (fx->fg, "oneOnOne", NULL, members);
  g_autoptr (JsonNode) node = NULL;
  GError *error = NULL;
  GfWait w = { 0 };
  JsonObject *body;

  fake_graph_inject_message (fx->fg, chat_id, BOB, "hi");
  tg_readstate_mark_read_async (fx->graph, chat_id, fx->me_id, fake_graph_tenant_id (fx->fg), NULL,
                                gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_true (tg_readstate_mark_read_finish (fx->graph, w.result, &error));
  g_assert_no_error (error);
  gf_wait_clear (&w);
  body = only_request_body (fx, "POST", "/v1.0/chats/*/markChatReadForUser", &node);
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
  g_assert_cmpuint (json_object_get_size (tg_json_object (body, "user")), ==, 2);
  g_assert_cmpstr (tg_json_path_string (body, "user", "id", NULL), ==, fx->me_id);
  g_assert_cmpstr (tg_json_path_string (body, "user", "tenantId", NULL), ==,
                   fake_graph_tenant_id (fx->fg));

  /* someone else's id: Graph refuses, the error comes back */
  tg_readstate_mark_read_async (fx->graph, chat_id, BOB_ID (fx), NULL, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  g_assert_false (tg_readstate_mark_read_finish (fx->graph, w.result, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  gf_wait_clear (&w);
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/photo", test_photo);
  g_test_add_func ("/media/hosted-paths", test_hosted_paths);
  g_test_add_func ("/media/sniff", test_sniff);
  g_test_add_func ("/media/markup-images-out", test_markup_images_out);
  g_test_add_func ("/media/hosted-json", test_hosted_json);
  g_test_add_func ("/media/send-with-images", test_send_with_images);
  g_test_add_func ("/media/hosted-missing", test_hosted_missing);
  g_test_add_func ("/media/mark-read", test_mark_read);
  return g_test_run ();
}
