/* tg-photos — users' profile photos (see tg-photos.h). */
#include "tg-photos.h"

#include "tg-error.h"
#include "tg-json.h"

/* Tasks have no source object (TgGraph is not a GObject): the graph travels in the data. */
static GTask *
photo_task (TgGraph *graph, GCancellable *cancellable, GAsyncReadyCallback callback,
            gpointer user_data, gpointer tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, tg_graph_ref (graph), (GDestroyNotify) tg_graph_unref);
  return task;
}

static gboolean
no_user (GTask *task, const char *user_id)
{
  if (user_id != NULL && *user_id != '\0')
    return FALSE;
  g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_REQUEST, "No user id given");
  g_object_unref (task);
  return TRUE;
}

char *
tg_photos_user_path (const char *user_id, const char *suffix)
{
  g_autofree char *escaped =
    g_uri_escape_string (user_id != NULL ? user_id : "", G_URI_RESERVED_CHARS_ALLOWED_IN_PATH_ELEMENT, TRUE);

  return g_strconcat ("/users/", escaped, suffix, NULL);
}

static void
on_etag (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (g_task_get_task_data (task), result, NULL,
                                                    &error);
  JsonObject *obj;

  if (error != NULL)
    g_task_return_error (task, error);
  else if ((obj = tg_json_node_object (node)) == NULL)
    g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_RESPONSE,
                             "Bad response: the photo metadata is not a JSON object");
  else
    g_task_return_pointer (task, g_strdup (tg_json_string (obj, "@odata.mediaEtag")), g_free);
  g_object_unref (task);
}

void
tg_photos_get_etag_async (TgGraph *graph, const char *user_id, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = photo_task (graph, cancellable, callback, user_data, tg_photos_get_etag_async);
  g_autofree char *path = NULL;

  if (no_user (task, user_id))
    return;
  path = tg_photos_user_path (user_id, "/photo");
  tg_graph_send_async (graph, tg_call_new ("GET", path), cancellable, on_etag, task);
}

char *
tg_photos_get_etag_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
    g_task_return_error (task, error);
  else if (g_bytes_get_size (bytes) == 0)
    {
      g_bytes_unref (bytes);
      g_free (content_type);
      g_task_return_new_error (task, TG_ERROR, TG_ERROR_BAD_RESPONSE,
                               "Bad response: an empty photo");
    }
  else
    {
      Photo *p = g_new0 (Photo, 1);

      p->bytes = bytes;
      p->content_type = content_type;
      g_task_return_pointer (task, p, (GDestroyNotify) photo_free);
    }
  g_object_unref (task);
}

void
tg_photos_get_async (TgGraph *graph, const char *user_id, guint size, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = photo_task (graph, cancellable, callback, user_data, tg_photos_get_async);
  g_autofree char *suffix = NULL;
  g_autofree char *path = NULL;

  if (no_user (task, user_id))
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
