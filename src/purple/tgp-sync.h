/* tgp-sync — the sync engine (core tg-sync) inside a purple account: the glue that turns its
 * events into buddy-list updates, IMs and chat lines.
 *
 * Owns the account's TgSync: created in tgp_account_on_ready (poll interval from the
 * poll_interval setting; watermarks imported from the account setting "sync_state" and saved
 * back whenever they move, and at close), freed in tgp_account_on_close. Dispatches:
 *   chats_changed     → tgp_blist_update (buddy list) and, for group/meeting chats,
 *                       tgp_chat_on_chat_changed (open conversations);
 *   chat_removed      → tgp_blist_remove_chat and tgp_chat_on_chat_removed;
 *   message           → tgp_im_deliver (one-on-one chats) or tgp_chat_deliver (others);
 *   reactions_changed → a system line in the chat's open conversation (tgp-message);
 *   open_chats        → the chat ids of this account's open conversations (watched by the
 *                       engine, so changes to older messages show while a window is open);
 *   error             → transient (offline, throttled, server): logged, the engine backs off,
 *                       a connection notice after repeated failures; otherwise the connection
 *                       ends (tgp_account_fail).
 * The hidden account setting "sync_time_scale" (a decimal, default 1) scales every wait of the
 * engine and the Graph client's retry waits; tests set it small so that polls cost no wall time.
 */
#pragma once
#include <purple.h>

#include "core/tg-sync.h"
#include "purple/tgp-account.h"

G_BEGIN_DECLS

#define TGP_OPT_SYNC_STATE "sync_state"
#define TGP_OPT_SYNC_TIME_SCALE "sync_time_scale"

/* From tgp_account_on_ready / tgp_account_on_close. */
void tgp_sync_start (TgpAccount *ta);
void tgp_sync_stop (TgpAccount *ta);

/* The account's sync engine (tg_sync_note_sent, tg_sync_get_chat,
 * tg_sync_request_full_refresh…), NULL before on_ready and after close. */
TgSync *tgp_sync_get (TgpAccount *ta);

/* The "sync_time_scale" setting (0 < scale ≤ 1; 1 when unset or unusable): other modules
 * scale their waits with it too. */
double tgp_sync_time_scale (TgpAccount *ta);

/* Saves the watermarks into the account setting now. */
void tgp_sync_save_state (TgpAccount *ta);

G_END_DECLS
