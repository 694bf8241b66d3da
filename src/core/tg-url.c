/* tg-url — which URLs the plugin may talk to (see tg-url.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-url.h"

#include <gio/gio.h>

#include "core/tg-error.h"

gboolean
tg_url_host_is_loopback (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autofree char *bare = NULL;
  gsize len;

  if (host == NULL || *host == '\0')
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  /* Accept "[::1]" as well as "::1". */
  len = strlen (host);
  if (host[0] == '[' && len > 2 && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);

  /* A literal address only: "127.0.0.1.evil.com" does not parse and is refused. */
  address = g_inet_address_new_from_string (bare);
  if (address == NULL)
    return FALSE;
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return g_inet_address_to_bytes (address)[0] == 127;
  return g_inet_address_get_is_loopback (address);
}

static const char *
setting_label (const char *setting_name)
{
  return setting_name != NULL ? setting_name : "URL";
}

gboolean
tg_url_check_allowed (const char *url, const char *setting_name, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (url == NULL || *url == '\0')
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG, "%s is not set", setting_label (setting_name));
      return FALSE;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG, "%s is not a valid URL",
                   setting_label (setting_name));
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG, "%s has no host name",
                   setting_label (setting_name));
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0)
    {
      if (tg_url_host_is_loopback (host))
        return TRUE;
      /* Name the host only: the rest of the URL may carry a skip token or user input. */
      g_set_error (error, TG_ERROR, TG_ERROR_CONFIG,
                   "%s: plain http:// is allowed only to this machine (127.0.0.1, ::1, "
                   "localhost); use https:// for %s",
                   setting_label (setting_name), host);
      return FALSE;
    }
  g_set_error (error, TG_ERROR, TG_ERROR_CONFIG, "%s must be an https:// URL",
               setting_label (setting_name));
  return FALSE;
}

static gboolean
is_absolute_http_url (const char *path)
{
  return g_ascii_strncasecmp (path, "https://", 8) == 0
         || g_ascii_strncasecmp (path, "http://", 7) == 0;
}

char *
tg_url_join (const char *base, const char *path)
{
  gsize base_len;

  if (path != NULL && is_absolute_http_url (path))
    return g_strdup (path);
  if (base == NULL)
    base = "";
  base_len = strlen (base);
  while (base_len > 0 && base[base_len - 1] == '/')
    base_len--;
  if (path == NULL)
    path = "";
  while (*path == '/')
    path++;
  if (*path == '\0')
    return g_strndup (base, base_len);
  return g_strdup_printf ("%.*s/%s", (int) base_len, base, path);
}

char *
tg_url_path (const char *prefix, const char *segment, const char *suffix)
{
  g_autofree char *escaped =
    g_uri_escape_string (segment != NULL ? segment : "", G_URI_RESERVED_CHARS_ALLOWED_IN_PATH_ELEMENT, TRUE);

  return g_strconcat (prefix, escaped, suffix, NULL);
}
