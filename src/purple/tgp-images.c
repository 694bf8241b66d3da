/* tgp-images — pictures inside Teams messages, both ways (see tgp-images.h). */
#include "purple/tgp-images.h"

#include <stdlib.h>
#include <string.h>

#include "core/tg-hosted.h"
#include "core/tg-markup.h"
#include "purple/tgp-sync.h"

#define DBG "teams-graph"

/* A message waiting for its images. */
typedef struct {
  int refs;                /* the chat queue's, and one per download in flight */
  TgMessage *msg;
  TgSyncMessageFlags flags;
  TgpDeliverFunc deliver;
  GHashTable *ids;         /* src → GINT_TO_POINTER (image store id) */
  guint outstanding;       /* downloads in flight */
  gboolean late;           /* the wait is over: deliver with what is there */
  gboolean finished;       /* delivered or dropped; downloads still answering are discarded */
  guint timer;
} Pending;

typedef struct {
  int id;                  /* image store id */
  PurpleStoredImage *img;  /* one reference */
} Held;

struct _TgpImages {
  GHashTable *chats;       /* chat id → GQueue* of Pending*, oldest first */
  Pending *current;        /* the message being delivered */
  GArray *held;            /* Held: images of IMs typed but not yet posted */
};
typedef struct _TgpImages TgpImages;

typedef struct {
  TgpAccount *ta;
  Pending *pending;
  char *src;
} Download;

/* ------------------------------------------------------------------------------------------ */

static Pending *
pending_ref (Pending *p)
{
  p->refs++;
  return p;
}

/* Gives the store entries back: the UI took its own while writing the message. */
static void
release_ids (Pending *p)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, p->ids);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    purple_imgstore_unref_by_id (GPOINTER_TO_INT (value));
  g_hash_table_remove_all (p->ids);
}

static void
pending_finish (Pending *p)
{
  p->finished = TRUE;
  if (p->timer != 0)
    {
      g_source_remove (p->timer);
      p->timer = 0;
    }
  release_ids (p);
}

static void
pending_unref (Pending *p)
{
  if (--p->refs > 0)
    return;
  pending_finish (p);
  g_hash_table_destroy (p->ids);
  tg_message_unref (p->msg);
  g_free (p);
}

static void
queue_free (gpointer data)
{
  GQueue *queue = data;
  Pending *p;

  while ((p = g_queue_pop_head (queue)) != NULL)
    {
      pending_finish (p);   /* its timer too: nothing runs after the connection is gone */
      pending_unref (p);
    }
  g_queue_free (queue);
}

void
tgp_images_start (TgpAccount *ta)
{
  TgpImages *im;

  if (ta->images != NULL)
    return;
  im = g_new0 (TgpImages, 1);
  im->chats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);
  im->held = g_array_new (FALSE, FALSE, sizeof (Held));
  ta->images = im;
}

void
tgp_images_stop (TgpAccount *ta)
{
  TgpImages *im = g_steal_pointer (&ta->images);
  GHashTableIter iter;
  gpointer value;

  if (im == NULL)
    return;
  /* Messages still waiting cannot be shown any more (no purple state may change now): the
   * engine moves its watermarks back before them, so the next session shows them. */
  g_hash_table_iter_init (&iter, im->chats);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    for (GList *l = ((GQueue *) value)->head; l != NULL; l = l->next)
      tg_sync_undeliver (tgp_sync_get (ta), ((Pending *) l->data)->msg);
  g_hash_table_destroy (im->chats);
  for (guint i = 0; i < im->held->len; i++)
    purple_imgstore_unref (g_array_index (im->held, Held, i).img);
  g_array_unref (im->held);
  g_free (im);
}

/* ------------------------------------------------------------------------------------------ */
/* In                                                                                          */

gboolean
tgp_images_ui_shows_images (void)
{
  const char *ui = purple_core_get_ui ();

  return !(ui != NULL && (g_strcmp0 (ui, "gnt-purple") == 0 || g_ascii_strcasecmp (ui, "bitlbee") == 0));
}

typedef struct {
  TgpAccount *ta;
  GPtrArray *paths;   /* char*: Graph paths, parallel to srcs */
  GPtrArray *srcs;
} Collect;

static char *
collect_src (const char *src, const char *alt, gpointer user_data)
{
  Collect *c = user_data;
  char *path;

  if (c->srcs->len >= TGP_IMAGES_PER_MESSAGE)
    return NULL;
  for (guint i = 0; i < c->srcs->len; i++)
    if (g_str_equal (g_ptr_array_index (c->srcs, i), src))
      return NULL;
  path = tg_hosted_path_from_src (c->ta->graph, src);
  if (path != NULL)
    {
      g_ptr_array_add (c->paths, path);
      g_ptr_array_add (c->srcs, g_strdup (src));
    }
  return NULL;
}

/* The hosted images (src and Graph path) a message shows, found as the renderer finds them. */
static void
collect_images (TgpAccount *ta, const TgMessage *msg, TgSyncMessageFlags flags, Collect *c)
{
  TgMarkupContext ctx = { .image = collect_src, .user_data = c };

  c->ta = ta;
  c->paths = g_ptr_array_new_with_free_func (g_free);
  c->srcs = g_ptr_array_new_with_free_func (g_free);
  if (msg->hosted_contents == NULL || msg->hosted_contents[0] == NULL
      || msg->content_type != TG_CONTENT_HTML || msg->is_deleted || tg_message_is_system (msg)
      || (flags & (TG_SYNC_MSG_DELETED | TG_SYNC_MSG_SYSTEM)) || !tgp_images_ui_shows_images ())
    return;
  g_free (tg_markup_from_teams (msg->body, &ctx));
}

/* Delivers the messages at the head of the chat's queue that are ready. */
static void
flush (TgpAccount *ta, const char *chat_id)
{
  TgpImages *im = ta->images;
  GQueue *queue;

  if (im == NULL || (queue = g_hash_table_lookup (im->chats, chat_id)) == NULL)
    return;
  while (!g_queue_is_empty (queue) && !tgp_account_is_closed (ta))
    {
      Pending *p = g_queue_peek_head (queue);

      if (p->outstanding > 0 && !p->late)
        return;
      g_queue_pop_head (queue);
      im->current = p;
      p->deliver (ta, p->msg, p->flags);
      if (ta->images != NULL)
        ta->images->current = NULL;
      pending_finish (p);
      pending_unref (p);
      im = ta->images;
      if (im == NULL)
        return;
    }
  g_hash_table_remove (im->chats, chat_id);
}

static gboolean
on_wait_over (gpointer data)
{
  Download *d = data;   /* only ta and pending are used: the timer's own Download */
  Pending *p = d->pending;

  p->timer = 0;
  p->late = TRUE;
  purple_debug_info (DBG, "images of message %s are late: delivered without them\n", p->msg->id);
  flush (d->ta, p->msg->chat_id);
  return G_SOURCE_REMOVE;
}

static void
download_free (gpointer data)
{
  Download *d = data;

  tgp_account_unref (d->ta);
  pending_unref (d->pending);
  g_free (d->src);
  g_free (d);
}

static Download *
download_new (TgpAccount *ta, Pending *p, const char *src)
{
  Download *d = g_new0 (Download, 1);

  d->ta = tgp_account_ref (ta);
  d->pending = pending_ref (p);
  d->src = g_strdup (src);
  return d;
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Download *d = data;
  TgpAccount *ta = d->ta;
  Pending *p = d->pending;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *type = NULL;

  if (tgp_account_is_closed (ta))
    {
      download_free (d);
      return;
    }
  bytes = tg_hosted_get_finish (ta->graph, result, &type, &error);
  p->outstanding--;
  if (bytes == NULL)
    purple_debug_info (DBG, "an image of message %s: %s\n", p->msg->id, error->message);
  else if (tg_hosted_sniff_image_type (bytes) == NULL)
    purple_debug_info (DBG, "an image of message %s is no image (%s)\n", p->msg->id,
                       type != NULL ? type : "no type");
  else if (!p->finished)
    {
      gsize size = 0;
      gconstpointer bytes_data = g_bytes_get_data (bytes, &size);
      /* the store takes the copy (g_free) */
      int id = purple_imgstore_add_with_id (g_memdup2 (bytes_data, size), size, NULL);

      if (id != 0)
        g_hash_table_replace (p->ids, g_strdup (d->src), GINT_TO_POINTER (id));
    }
  if (!p->finished && p->outstanding == 0)
    flush (ta, p->msg->chat_id);   /* d still holds p and ta */
  download_free (d);
}

void
tgp_images_deliver (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags,
                    TgpDeliverFunc deliver)
{
  TgpImages *im = ta->images;
  GQueue *queue;
  Pending *p;
  Collect c;

  if (im == NULL || msg->chat_id == NULL)
    {
      deliver (ta, msg, flags);
      return;
    }
  queue = g_hash_table_lookup (im->chats, msg->chat_id);
  collect_images (ta, msg, flags, &c);
  if (queue == NULL && c.paths->len == 0)
    {
      g_ptr_array_unref (c.paths);
      g_ptr_array_unref (c.srcs);
      deliver (ta, msg, flags);
      return;
    }
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (im->chats, g_strdup (msg->chat_id), queue);
    }
  p = g_new0 (Pending, 1);
  p->refs = 1;
  p->msg = tg_message_ref (msg);
  p->flags = flags;
  p->deliver = deliver;
  p->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_push_tail (queue, p);
  for (guint i = 0; i < c.paths->len; i++)
    {
      p->outstanding++;
      tg_hosted_get_async (ta->graph, g_ptr_array_index (c.paths, i), ta->cancellable,
                           on_downloaded, download_new (ta, p, g_ptr_array_index (c.srcs, i)));
    }
  if (c.paths->len > 0)
    {
      guint wait_ms = MAX (1, (guint) (TGP_IMAGES_WAIT_SECONDS * 1000 * tgp_sync_time_scale (ta)));

      p->timer = g_timeout_add_full (G_PRIORITY_DEFAULT, wait_ms, on_wait_over,
                                     download_new (ta, p, NULL), download_free);
    }
  g_ptr_array_unref (c.paths);
  g_ptr_array_unref (c.srcs);
  flush (ta, msg->chat_id);
}

void
tgp_images_deliver_sent (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags,
                         GPtrArray *images, TgpDeliverFunc write)
{
  TgpImages *im = ta->images;
  Pending *p;
  Collect c;

  if (im == NULL || images == NULL || images->len == 0)
    {
      write (ta, msg, flags);
      return;
    }
  collect_images (ta, msg, flags, &c);
  p = g_new0 (Pending, 1);
  p->refs = 1;
  p->msg = tg_message_ref (msg);
  p->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Graph keeps the images in the order of the body that referred to them. */
  for (guint i = 0; i < c.srcs->len && i < images->len; i++)
    {
      const TgHostedImage *image = g_ptr_array_index (images, i);
      gsize size = 0;
      gconstpointer data = g_bytes_get_data (image->bytes, &size);
      int id = purple_imgstore_add_with_id (g_memdup2 (data, size), size, NULL);

      if (id != 0)
        g_hash_table_replace (p->ids, g_strdup (g_ptr_array_index (c.srcs, i)), GINT_TO_POINTER (id));
    }
  g_ptr_array_unref (c.paths);
  g_ptr_array_unref (c.srcs);
  im->current = p;
  write (ta, msg, flags);
  if (ta->images != NULL)
    ta->images->current = NULL;
  pending_unref (p);
}

char *
tgp_images_inline (TgpAccount *ta, const char *src)
{
  Pending *p = ta != NULL && ta->images != NULL ? ta->images->current : NULL;
  gpointer id;

  if (p == NULL || src == NULL || !g_hash_table_lookup_extended (p->ids, src, NULL, &id))
    return NULL;
  return g_strdup_printf ("<img id=\"%d\">", GPOINTER_TO_INT (id));
}

/* ------------------------------------------------------------------------------------------ */
/* Out                                                                                         */

typedef struct {
  GArray *ids;             /* int: the store ids the text names */
  GPtrArray *images;       /* TgHostedImage* (to_teams only) */
} Scan;

static char *
scan_image (const char *purple_id, gpointer user_data)
{
  Scan *scan = user_data;
  char *end = NULL;
  long id = strtol (purple_id, &end, 10);
  PurpleStoredImage *img;
  g_autoptr (GBytes) bytes = NULL;
  const char *type;
  char temp_id[16];

  if (end == purple_id || *end != '\0' || id <= 0 || id > G_MAXINT)
    return NULL;
  int store_id = (int) id;

  g_array_append_val (scan->ids, store_id);
  if (scan->images == NULL || (img = purple_imgstore_find_by_id ((int) id)) == NULL)
    return NULL;
  bytes = g_bytes_new (purple_imgstore_get_data (img), purple_imgstore_get_size (img));
  type = tg_hosted_sniff_image_type (bytes);
  if (type == NULL)
    return NULL;   /* Teams would not show it */
  g_snprintf (temp_id, sizeof temp_id, "%u", scan->images->len + 1);
  g_ptr_array_add (scan->images, tg_hosted_image_new (temp_id, type, bytes));
  return tg_hosted_image_src (g_ptr_array_index (scan->images, scan->images->len - 1));
}

void
tgp_images_hold (TgpAccount *ta, const char *purple_markup)
{
  Scan scan = { .ids = g_array_new (FALSE, FALSE, sizeof (int)) };

  if (ta->images != NULL && purple_markup != NULL && g_strstr_len (purple_markup, -1, "<") != NULL)
    {
      g_free (tg_markup_to_teams_with_images (purple_markup, NULL, scan_image, &scan));
      for (guint i = 0; i < scan.ids->len; i++)
        {
          Held h = { g_array_index (scan.ids, int, i), NULL };

          if ((h.img = purple_imgstore_find_by_id (h.id)) == NULL)
            continue;
          purple_imgstore_ref (h.img);
          g_array_append_val (ta->images->held, h);
        }
    }
  g_array_unref (scan.ids);
}

static void
release_held (TgpAccount *ta, GArray *ids)
{
  GArray *held = ta->images != NULL ? ta->images->held : NULL;

  for (guint i = 0; held != NULL && i < ids->len; i++)
    for (guint j = 0; j < held->len; j++)
      if (g_array_index (held, Held, j).id == g_array_index (ids, int, i))
        {
          purple_imgstore_unref (g_array_index (held, Held, j).img);
          g_array_remove_index (held, j);
          break;
        }
}

char *
tgp_images_to_teams (TgpAccount *ta, const char *purple_markup, gboolean *is_html_out,
                     GPtrArray **images_out)
{
  Scan scan = { .ids = g_array_new (FALSE, FALSE, sizeof (int)),
                .images = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_hosted_image_free) };
  char *content = tg_markup_to_teams_with_images (purple_markup, is_html_out, scan_image, &scan);

  release_held (ta, scan.ids);
  g_array_unref (scan.ids);
  if (scan.images->len > 0)
    *images_out = scan.images;
  else
    {
      *images_out = NULL;
      g_ptr_array_unref (scan.images);
    }
  return content;
}
