/* tg-hosted — images carried inside chat messages (see tg-hosted.h). */
#include "tg-hosted.h"

#include <string.h>

#include "tg-chats.h"
#include "tg-error.h"

char *
tg_hosted_path_from_src (TgGraph *graph, const char *src)
{
  g_autofree char *path = NULL;
  const char *hosted, *q;

  if (graph == NULL || src == NULL)
    return NULL;
  path = tg_chats_relative_link (graph, src);
  if (path == NULL || !g_str_has_prefix (path, "/chats/"))
    return NULL;
  /* /chats/{c}/messages/{m}/hostedContents/{h}/$value, nothing else, no way back up. */
  if (strstr (path, "/..") != NULL || strchr (path, '?') != NULL || strchr (path, '#') != NULL)
    return NULL;
  hosted = strstr (path, "/hostedContents/");
  if (hosted == NULL || !g_str_has_suffix (path, "/$value"))
    return NULL;
  q = strstr (path + strlen ("/chats/"), "/messages/");
  if (q == NULL || q > hosted)
    return NULL;
  /* exactly one segment between hostedContents/ and /$value */
  q = hosted + strlen ("/hostedContents/");
  if (*q == '/' || strchr (q, '/') != path + strlen (path) - strlen ("/$value"))
    return NULL;
  return g_steal_pointer (&path);
}

/* The answer is the graph's own result: the caller's callback gets it directly. */
void
tg_hosted_get_async (TgGraph *graph, const char *path, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, callback, user_data);
}

GBytes *
tg_hosted_get_finish (TgGraph *graph, GAsyncResult *result, char **content_type_out,
                      GError **error)
{
  GBytes *bytes = tg_graph_send_bytes_finish (graph, result, content_type_out, error);

  if (bytes != NULL && g_bytes_get_size (bytes) == 0)
    {
      g_bytes_unref (bytes);
      if (content_type_out != NULL)
        g_clear_pointer (content_type_out, g_free);
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_RESPONSE, "Bad response: an empty image");
      return NULL;
    }
  return bytes;
}

TgHostedImage *
tg_hosted_image_new (const char *temporary_id, const char *content_type, GBytes *bytes)
{
  TgHostedImage *image = g_new0 (TgHostedImage, 1);

  image->temporary_id = g_strdup (temporary_id);
  image->content_type = g_strdup (content_type != NULL ? content_type : "image/png");
  image->bytes = bytes != NULL ? g_bytes_ref (bytes) : g_bytes_new (NULL, 0);
  return image;
}

void
tg_hosted_image_free (TgHostedImage *image)
{
  if (image == NULL)
    return;
  g_free (image->temporary_id);
  g_free (image->content_type);
  g_bytes_unref (image->bytes);
  g_free (image);
}

char *
tg_hosted_image_src (const TgHostedImage *image)
{
  return g_strdup_printf ("../hostedContents/%s/$value", image->temporary_id);
}

JsonArray *
tg_hosted_images_to_json (GPtrArray *images)
{
  JsonArray *array;

  if (images == NULL || images->len == 0)
    return NULL;
  array = json_array_new ();
  for (guint i = 0; i < images->len; i++)
    {
      const TgHostedImage *image = g_ptr_array_index (images, i);
      JsonObject *o = json_object_new ();
      gsize size = 0;
      const guchar *data = g_bytes_get_data (image->bytes, &size);
      g_autofree char *b64 = g_base64_encode (data, size);

      json_object_set_string_member (o, "@microsoft.graph.temporaryId", image->temporary_id);
      json_object_set_string_member (o, "contentBytes", b64);
      json_object_set_string_member (o, "contentType", image->content_type);
      json_array_add_object_element (array, o);
    }
  return array;
}

const char *
tg_hosted_sniff_image_type (GBytes *bytes)
{
  static const struct { const char *magic; gsize len; const char *type; } kinds[] = {
    { "\x89PNG\r\n\x1a\n", 8, "image/png" },
    { "\xff\xd8\xff", 3, "image/jpeg" },
    { "GIF87a", 6, "image/gif" },
    { "GIF89a", 6, "image/gif" },
    { "BM", 2, "image/bmp" },
  };
  gsize size = 0;
  const guchar *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  if (data == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (size >= kinds[i].len && memcmp (data, kinds[i].magic, kinds[i].len) == 0)
      return kinds[i].type;
  if (size >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";
  return NULL;
}
