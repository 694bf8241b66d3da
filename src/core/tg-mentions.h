/* tg-mentions — outgoing mentions (the seed's get_mentions, which it then dropped on send).
 *
 * What people type: `@user@domain` (UPN or e-mail), `@<user id>` (with or without the angle
 * brackets) and `@everyone` (group and meeting chats). Each one becomes `<at id="N">Name</at>` in
 * the Teams html body plus entry N of the `mentions` array (Graph's chatMessageMention shapes),
 * N counting from 0 in order of appearance; the same person mentioned twice gets two entries,
 * as Graph says each <at id> matches the mention with that id. Names are the resolved display
 * names, html-escaped. A token is only a mention where it starts a word (so "bob@contoso.com"
 * in a sentence stays an address), never inside tags, links or code.
 *
 * The scanner and the builder are pure; tg_mentions_prepare_async (get_mentions) resolves the
 * users through tg-refs, tg_mentions_send_async also sends. `@everyone` in a one-on-one chat is refused (nothing is sent); a mention
 * that cannot be resolved stays plain text and is reported to the caller.
 */
#pragma once
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tg-model.h"
#include "tg-refs.h"

G_BEGIN_DECLS

typedef enum {
  TG_MENTION_USER,
  TG_MENTION_EVERYONE,
} TgMentionKind;

typedef struct {
  TgMentionKind kind;
  char *ref;        /* TG_MENTION_USER: the id or address typed (no '@', no brackets) */
  gsize start;      /* byte range of the whole token in the scanned html, '@' included */
  gsize end;
} TgMentionToken;

/* The mention tokens of Teams html `html`, in order (TgMentionToken*, owned by the array). */
GPtrArray *tg_mentions_scan (const char *html);

/* `html` with every token whose user is in `users` (lower-case ref → TgUser*), and every
 * @everyone when `chat_id` is non-NULL, replaced by <at id="N">…</at>; *mentions_out gets the
 * matching array (NULL when nothing was replaced). Newly allocated. */
char *tg_mentions_build (const char *html, GPtrArray *tokens, GHashTable *users,
                         const char *chat_id, JsonArray **mentions_out);

/* TRUE when `content` (Teams html when is_html, else plain text) mentions @everyone: a
 * one-on-one chat refuses it before anything is sent (even before the chat is created). */
gboolean tg_mentions_has_everyone (const char *content, gboolean is_html);
/* The message of that refusal. */
#define TG_MENTIONS_EVERYONE_REFUSED "@everyone works only in group chats"

/* get_mentions: `content` as it will be sent. content/is_html: the Teams html with <at>
 * elements and `mentions` (Graph's array; NULL when nothing became a mention, content then being
 * the input as given); unresolved: one line per mention left as plain text (NULL-terminated,
 * never NULL). */
typedef struct {
  char *content;
  gboolean is_html;
  JsonArray *mentions;
  char **unresolved;
} TgMentionsPrepared;
void tg_mentions_prepared_free (TgMentionsPrepared *prepared);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMentionsPrepared, tg_mentions_prepared_free)

/* Resolves each distinct user token of `content` (is_html: Teams html, else plain text) through
 * the cache of `refs`, all at once, and builds. `group_chat` FALSE and an @everyone →
 * TG_ERROR_BAD_REQUEST. No '@' at all: no request. */
void tg_mentions_prepare_async (TgRefs *refs, const char *chat_id, gboolean group_chat,
                                const char *content, gboolean is_html, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
TgMentionsPrepared *tg_mentions_prepare_finish (GAsyncResult *result, GError **error);

/* tg_mentions_prepare_async, then POST /chats/{id}/messages (tg_chats_send_message_with_images_async)
 * with what it built and `images` (TgHostedImage*, may be NULL). Without tokens it is one plain
 * send. `group_chat` FALSE and an @everyone → TG_ERROR_BAD_REQUEST, nothing sent. */
void tg_mentions_send_async (TgRefs *refs, const char *chat_id, gboolean group_chat,
                             const char *content, gboolean is_html, GPtrArray *images,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
/* The message sent. *unresolved_out (may be NULL) gets, also on failure, a NULL-terminated
 * vector (never NULL) of one line per mention left as plain text, e.g. "No Teams user \"x\"". */
TgMessage *tg_mentions_send_finish (GAsyncResult *result, char ***unresolved_out,
                                    GError **error);

G_END_DECLS
