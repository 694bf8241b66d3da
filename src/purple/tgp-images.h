/* tgp-images — pictures inside Teams messages, both ways.
 *
 * In: a message whose body shows hosted images (<img src="…/hostedContents/{h}/$value">) is
 * delivered once its images are downloaded with the account's token (tg-hosted), each stored
 * in the purple image store and shown inline as <img id="N"> (tgp_images_inline, the image
 * hook of tgp-message's rendering). The wait is bounded (TGP_IMAGES_WAIT_SECONDS, scaled by
 * sync_time_scale); an image that fails or is late is shown as an "[image]" link instead, so
 * the message is never lost. Messages of one chat stay in order: those that arrive while an
 * earlier one waits for its images wait behind it. Each image's store entry is released right
 * after the message is written (the UI keeps its own reference while it shows the image).
 * Text clients (Finch, bitlbee), which cannot show images, get the links and no downloads.
 *
 * Out: images inserted in Pidgin reach send_im / chat_send as <img id="N"> of the image
 * store; tgp_images_to_teams turns the message into Teams html whose images refer to
 * hostedContents (tg-hosted) sent with the message. An IM is posted later than send_im
 * returns (its outbox), so tgp_images_hold keeps its images in the store until then.
 */
#pragma once
#include <purple.h>

#include "core/tg-model.h"
#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

#define TGP_IMAGES_WAIT_SECONDS 15
/* Images of one message downloaded at most; further ones stay links. */
#define TGP_IMAGES_PER_MESSAGE 8

typedef void (*TgpDeliverFunc) (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags);

void tgp_images_start (TgpAccount *ta);
void tgp_images_stop (TgpAccount *ta);

/* FALSE in the text clients (Finch, bitlbee): they show no pictures, so none is downloaded. */
gboolean tgp_images_ui_shows_images (void);

/* Calls deliver (ta, msg, flags) now, or once msg's images are in (see above). */
void tgp_images_deliver (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags,
                         TgpDeliverFunc deliver);

/* Calls write (ta, msg, flags) with the hosted images of `msg`, a message this client has just
 * sent, shown inline from `images` (the TgHostedImage* it was sent with, in body order) instead
 * of downloading them back. */
void tgp_images_deliver_sent (TgpAccount *ta, TgMessage *msg, TgSyncMessageFlags flags,
                              GPtrArray *images, TgpDeliverFunc write);

/* During a delivery: the purple markup of the inline image `src` ("<img id=\"N\">"), or NULL
 * when it was not downloaded (the caller shows a link). */
char *tgp_images_inline (TgpAccount *ta, const char *src);

/* Keeps the store images of `purple_markup` alive until tgp_images_to_teams converts it. */
void tgp_images_hold (TgpAccount *ta, const char *purple_markup);

/* Outgoing purple markup → Teams content (as tg_markup_to_teams) and *images_out: a
 * GPtrArray of TgHostedImage* (NULL when there is none) to send with it. Images no longer in
 * the store are left out. Releases what tgp_images_hold kept for this text. */
char *tgp_images_to_teams (TgpAccount *ta, const char *purple_markup, gboolean *is_html_out,
                           GPtrArray **images_out);

G_END_DECLS
