/* tgp-avatars — Teams profile photos as buddy icons (see tgp-avatars.h). */
#include "purple/tgp-avatars.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-hosted.h"   /* tg_hosted_sniff_image_type */
#include "core/tg-photos.h"
#include "purple/tgp-blist.h"
#include "purple/tgp-images.h"

#define DBG "teams-graph"

typedef struct {
  char *user_id;
  char *who;            /* the buddy name */
  char *etag;           /* the photo's media ETag, once known (may stay NULL) */
} Job;

struct _TgpAvatars {
  GQueue waiting;       /* Job* */
  guint running;
  GHashTable *checked;  /* lower-case user id → TRUE: handled (or being handled) this session */
};
typedef struct _TgpAvatars TgpAvatars;

/* The user data of a request. */
typedef struct {
  TgpAccount *ta;
  Job *job;
} Req;

static void pump (TgpAccount *ta);

static void
job_free (Job *job)
{
  g_free (job->user_id);
  g_free (job->who);
  g_free (job->etag);
  g_free (job);
}

static void
req_free (Req *req)
{
  tgp_account_unref (req->ta);
  job_free (req->job);
  g_free (req);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Req, req_free)

void
tgp_avatars_start (TgpAccount *ta)
{
  TgpAvatars *av;

  if (ta->avatars != NULL)
    return;
  av = g_new0 (TgpAvatars, 1);
  g_queue_init (&av->waiting);
  av->checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ta->avatars = av;
}

void
tgp_avatars_stop (TgpAccount *ta)
{
  TgpAvatars *av = g_steal_pointer (&ta->avatars);

  if (av == NULL)
    return;
  g_queue_clear_full (&av->waiting, (GDestroyNotify) job_free);
  g_hash_table_destroy (av->checked);
  g_free (av);
}

/* ------------------------------------------------------------------------------------------ */

/* One request of this job has ended: the next one may start. */
static void
job_done (TgpAccount *ta)
{
  if (ta->avatars == NULL)
    return;
  ta->avatars->running--;
  pump (ta);
}

/* A failure worth another try in a later change of the chat (not a 404). */
static void
job_failed (TgpAccount *ta, Job *job, const char *what, const GError *error)
{
  purple_debug_info (DBG, "photo of %s: %s failed: %s\n", job->who, what, error->message);
  if (!g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND) && ta->avatars != NULL)
    {
      g_autofree char *key = g_ascii_strdown (job->user_id, -1);

      g_hash_table_remove (ta->avatars->checked, key);
    }
}

/* The checksum libpurple keeps with the buddy's icon, NULL when none (or no buddy). */
static const char *
current_checksum (TgpAccount *ta, const char *who)
{
  PurpleBuddy *buddy = purple_find_buddy (ta->account, who);

  return buddy != NULL ? purple_buddy_icons_get_checksum_for_user (buddy) : NULL;
}

static void
on_photo (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  TgpAccount *ta = req->ta;
  Job *job = req->job;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *checksum = NULL;
  gsize size = 0;
  gconstpointer bytes_data;

  if (tgp_account_is_closed (ta))
    return;
  bytes = tg_photos_get_finish (ta->graph, result, NULL, &error);
  job_done (ta);
  if (bytes == NULL)
    {
      job_failed (ta, job, "download", error);
      return;
    }
  if (tg_hosted_sniff_image_type (bytes) == NULL)
    {
      purple_debug_info (DBG, "photo of %s: not an image, ignored\n", job->who);
      return;
    }
  bytes_data = g_bytes_get_data (bytes, &size);
  checksum = job->etag != NULL ? g_strdup (job->etag)
                               : g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, bytes);
  purple_debug_info (DBG, "photo of %s: %" G_GSIZE_FORMAT " bytes\n", job->who, size);
  /* libpurple takes the data (g_free) */
  purple_buddy_icons_set_for_user (ta->account, job->who, g_memdup2 (bytes_data, size), size,
                                   checksum);
}

static void
on_etag (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (Req) req = data;
  TgpAccount *ta = req->ta;
  Job *job = req->job;
  g_autoptr (GError) error = NULL;
  const char *known;

  if (tgp_account_is_closed (ta))
    return;
  job->etag = tg_photos_get_etag_finish (ta->graph, result, &error);
  if (error != NULL)
    {
      if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND)
          && current_checksum (ta, job->who) != NULL)
        {
          purple_debug_info (DBG, "photo of %s: removed\n", job->who);
          purple_buddy_icons_set_for_user (ta->account, job->who, NULL, 0, NULL);
        }
      job_failed (ta, job, "metadata", error);
      job_done (ta);
      return;
    }
  known = current_checksum (ta, job->who);
  if (job->etag != NULL && g_strcmp0 (known, job->etag) == 0)
    {
      purple_debug_misc (DBG, "photo of %s: unchanged\n", job->who);
      job_done (ta);
      return;
    }
  /* Still counted as running: the download follows. */
  tg_photos_get_async (ta->graph, job->user_id, TG_PHOTOS_ICON_SIZE, ta->cancellable, on_photo,
                       g_steal_pointer (&req));
}

static void
pump (TgpAccount *ta)
{
  TgpAvatars *av = ta->avatars;

  while (av != NULL && av->running < TGP_AVATARS_PARALLEL && !g_queue_is_empty (&av->waiting)
         && !tgp_account_is_closed (ta))
    {
      Req *req = g_new0 (Req, 1);

      req->ta = tgp_account_ref (ta);
      req->job = g_queue_pop_head (&av->waiting);
      av->running++;
      tg_photos_get_etag_async (ta->graph, req->job->user_id, ta->cancellable, on_etag, req);
    }
}

void
tgp_avatars_update (TgpAccount *ta, GPtrArray *changes)
{
  TgpAvatars *av = ta->avatars;

  if (av == NULL || tgp_account_is_closed (ta) || changes == NULL
      || !tgp_images_ui_shows_images ())   /* Finch and bitlbee show no buddy icons */
    return;
  for (guint i = 0; i < changes->len; i++)
    {
      const TgSyncChatChange *change = g_ptr_array_index (changes, i);
      const TgChat *chat = change->chat;
      TgMember *other;
      char *key;
      Job *job;
      g_autofree char *who = NULL;

      if (chat == NULL || chat->type != TG_CHAT_TYPE_ONE_ON_ONE)
        continue;
      other = tg_chat_other_member (chat, ta->self_id);
      if (other == NULL || other->user_id == NULL || *other->user_id == '\0')
        continue;
      key = g_ascii_strdown (other->user_id, -1);
      if (g_hash_table_contains (av->checked, key))
        {
          g_free (key);
          continue;
        }
      who = tgp_blist_buddy_name_for_chat (ta, chat);
      if (who == NULL || purple_find_buddy (ta->account, who) == NULL)
        {
          g_free (key);
          continue;   /* no buddy to show it on (e.g. the user removed it) */
        }
      g_hash_table_add (av->checked, key);
      job = g_new0 (Job, 1);
      job->user_id = g_strdup (other->user_id);
      job->who = g_steal_pointer (&who);
      g_queue_push_tail (&av->waiting, job);
    }
  pump (ta);
}
