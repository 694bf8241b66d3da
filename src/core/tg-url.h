/* tg-url — which URLs the plugin may talk to.
 *
 * https:// anywhere; http:// only to loopback hosts (127.0.0.0/8, ::1, localhost), so that the
 * emulator and tests work and nothing real ever leaves the machine unencrypted.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* TRUE when `url` is acceptable; otherwise FALSE with TG_ERROR_CONFIG naming the setting
 * (`setting_name`, e.g. "graph_url") and why. */
gboolean tg_url_check_allowed (const char *url, const char *setting_name, GError **error);

/* TRUE for 127.0.0.0/8, ::1 and localhost (case-insensitive). */
gboolean tg_url_host_is_loopback (const char *host);

/* base + "/" + path with exactly one slash between them (newly allocated). An absolute
 * `path` (http:// or https://) is returned as is. */
char *tg_url_join (const char *base, const char *path);

/* prefix + `segment` escaped as one path element (NULL as "") + suffix (may be NULL), e.g.
 * ("/chats/", "19:a/b@thread.v2", "/messages") → "/chats/19:a%2Fb@thread.v2/messages". */
char *tg_url_path (const char *prefix, const char *segment, const char *suffix);

G_END_DECLS
