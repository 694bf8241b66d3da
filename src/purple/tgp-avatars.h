/* tgp-avatars — Teams profile photos as buddy icons.
 *
 * For every buddy of a one-on-one chat (each chat the sync engine reports as new or changed),
 * once per session: GET /users/{id}/photo (tg-photos) gives the photo's ETag; when it equals the
 * checksum of the icon libpurple already keeps for the buddy (purple_buddy_icons_get_checksum_for_user,
 * saved with the buddy list), nothing more is fetched; otherwise the 48×48 photo is downloaded
 * and set with purple_buddy_icons_set_for_user, checksum = the ETag (a hash of the bytes when
 * Graph gives none). A user without a photo (404) costs that one request per session, and a
 * buddy icon we had set for them is removed. At most TGP_AVATARS_PARALLEL users are being
 * fetched at a time; the others wait in a queue. Text clients (Finch, bitlbee), which show no
 * buddy icons, cost no photo request.
 */
#pragma once
#include <purple.h>

#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

#define TGP_AVATARS_PARALLEL 3

void tgp_avatars_start (TgpAccount *ta);
void tgp_avatars_stop (TgpAccount *ta);

/* New or changed chats (the sync engine's chats_changed), after tgp_blist_update. */
void tgp_avatars_update (TgpAccount *ta, GPtrArray *changes);

G_END_DECLS
