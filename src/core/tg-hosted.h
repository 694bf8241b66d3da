/* tg-hosted — images carried inside chat messages (Graph's hostedContents).
 *
 * In: a message body shows an inline image as <img src="{graph}/chats/{c}/messages/{m}/
 * hostedContents/{h}/$value">; the bytes need the account's token, so they are fetched through
 * tg-graph — and only when the src lies under the account's own graph_url (the token never goes
 * anywhere else; other srcs stay links).
 * Out: an image sent with a message is a TgHostedImage; the body refers to it as
 * <img src="../hostedContents/{temporaryId}/$value"> and the POST carries hostedContents[]
 * ({"@microsoft.graph.temporaryId", "contentBytes": base64, "contentType"}).
 */
#pragma once
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "tg-graph.h"

G_BEGIN_DECLS

/* The Graph path (relative to the base URL) of an inline image's src, or NULL when `src` is
 * not a hosted content of a chat message under `graph`'s base URL. Newly allocated. */
char *tg_hosted_path_from_src (TgGraph *graph, const char *src);

/* GET `path` (from tg_hosted_path_from_src) → the bytes (never empty) and their content type. */
void tg_hosted_get_async (TgGraph *graph, const char *path, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
GBytes *tg_hosted_get_finish (TgGraph *graph, GAsyncResult *result, char **content_type_out,
                              GError **error);

typedef struct {
  char *temporary_id;   /* "1", "2"… unique within one message */
  char *content_type;   /* "image/png", … */
  GBytes *bytes;
} TgHostedImage;

TgHostedImage *tg_hosted_image_new (const char *temporary_id, const char *content_type,
                                    GBytes *bytes);   /* bytes: a reference is taken */
void tg_hosted_image_free (TgHostedImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgHostedImage, tg_hosted_image_free)

/* The src an outgoing body gives the image: "../hostedContents/<temporaryId>/$value". */
char *tg_hosted_image_src (const TgHostedImage *image);
/* hostedContents[] for a POST body (TgHostedImage* array; NULL or empty → NULL). */
JsonArray *tg_hosted_images_to_json (GPtrArray *images);

/* The image content type for bytes that start like a PNG, JPEG, GIF, BMP or WebP file, else
 * NULL (static string). */
const char *tg_hosted_sniff_image_type (GBytes *bytes);

G_END_DECLS
