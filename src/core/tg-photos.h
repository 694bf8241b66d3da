/* tg-photos — users' profile photos, for buddy icons.
 *
 *   tg_photos_get_etag_async  GET /users/{id}/photo: the photo's metadata, whose
 *                             @odata.mediaEtag changes when the photo does — one small JSON
 *                             answer that tells whether a cached icon is still current;
 *   tg_photos_get_async       GET /users/{id}/photos/{N}x{N}/$value: the image bytes.
 * A user without a photo answers 404 ImageNotFound: TG_ERROR_NOT_FOUND (the caller remembers
 * it; asking again costs another 404).
 */
#pragma once
#include <gio/gio.h>
#include "tg-graph.h"

G_BEGIN_DECLS

/* The square size of buddy icons. */
#define TG_PHOTOS_ICON_SIZE 48

void tg_photos_get_etag_async (TgGraph *graph, const char *user_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
/* The media ETag (newly allocated; NULL with no error when Graph gave none). NULL + error on
 * failure. */
char *tg_photos_get_etag_finish (TgGraph *graph, GAsyncResult *result, GError **error);

void tg_photos_get_async (TgGraph *graph, const char *user_id, guint size,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
/* The image bytes (never empty: an empty answer is TG_ERROR_BAD_RESPONSE) and their content
 * type (may be NULL). */
GBytes *tg_photos_get_finish (TgGraph *graph, GAsyncResult *result, char **content_type_out,
                              GError **error);

/* "/users/<escaped id>" + suffix (newly allocated). */
char *tg_photos_user_path (const char *user_id, const char *suffix);

G_END_DECLS
