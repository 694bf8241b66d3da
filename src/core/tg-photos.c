/* tg-photos — users' profile photos (see tg-photos.h). */
#include "tg-photos.h"

#include "tg-error.h"
#include "tg-json.h"
#include "tg-task.h"
#include "tg-url.h"

char *
tg_photos_user_path (const char *user_id, const char *suffix)
{
  return tg_url_path ("/users/", user_id, suffix);
}

static void
on_etag (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *obj;

  if (!tg_task_send_finish (task, g_task_get_task_data (task), result, &node))
    return;
  if ((obj = tg_json_node_object (node)) == NULL)
    tg_task_fail_bad_response (task, "the photo metadata is not a JSON object");
  else
    tg_task_done_pointer (task, g_strdup (tg_json_string (obj, "@odata.mediaEtag")), g_free);
}

void
tg_photos_get_etag_async (TgGraph *graph, const char *user_id, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = tg_task_new_for_graph (graph, tg_photos_get_etag_async, cancellable, callback,
                                       user_data);
  g_autofree char *path = NULL;

  if (tg_task_missing (task, "user id", user_id))
    return;
  path = tg_photos_user_path (user_id, "/photo");
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, on_etag, task);
}

char *
tg_photos_get_etag_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

typedef struct {
  GBytes *bytes;
  char *content_type;
} Photo;

static void
photo_free (Photo *p)
{
  g_bytes_unref (p->bytes);
  g_free (p->content_type);
  g_free (p);
}

static void
on_photo (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  GError *error = NULL;
  char *content_type = NULL;
  GBytes *bytes = tg_graph_send_bytes_finish (g_task_get_task_data (task), result, &content_type,
                                              &error);

  if (bytes == NULL)
    tg_task_fail (task, error);
  else if (g_bytes_get_size (bytes) == 0)
    {
      g_bytes_unref (bytes);
      g_free (content_type);
      tg_task_fail_bad_response (task, "an empty photo");
    }
  else
    {
      Photo *p = g_new0 (Photo, 1);

      p->bytes = bytes;
      p->content_type = content_type;
      tg_task_done_pointer (task, p, (GDestroyNotify) photo_free);
    }
}

void
tg_photos_get_async (TgGraph *graph, const char *user_id, guint size, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = tg_task_new_for_graph (graph, tg_photos_get_async, cancellable, callback,
                                       user_data);
  g_autofree char *suffix = NULL;
  g_autofree char *path = NULL;

  if (tg_task_missing (task, "user id", user_id))
    return;
  if (size == 0)
    size = TG_PHOTOS_ICON_SIZE;
  suffix = g_strdup_printf ("/photos/%ux%u/$value", size, size);
  path = tg_photos_user_path (user_id, suffix);
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, on_photo, task);
}

GBytes *
tg_photos_get_finish (TgGraph *graph, GAsyncResult *result, char **content_type_out,
                      GError **error)
{
  Photo *p;
  GBytes *bytes;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  if (content_type_out != NULL)
    *content_type_out = NULL;
  p = g_task_propagate_pointer (G_TASK (result), error);
  if (p == NULL)
    return NULL;
  bytes = g_steal_pointer (&p->bytes);
  if (content_type_out != NULL)
    *content_type_out = g_steal_pointer (&p->content_type);
  photo_free (p);
  return bytes;
}
