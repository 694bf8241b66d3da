/* tg-error — the one error domain of the Teams core (see tg-error.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-error.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "core/tg-json.h"

/* Graph's messages are short; anything longer is cut so a hostile body cannot flood the UI. */
#define TG_ERROR_TEXT_MAX 400

G_DEFINE_QUARK (tg-error-quark, tg_error)

TgErrorCode
tg_error_code_for_status (guint status)
{
  switch (status)
    {
    case 401:
      return TG_ERROR_SIGNED_OUT;
    case 403:
      return TG_ERROR_FORBIDDEN;
    case 404:
    case 410:
      return TG_ERROR_NOT_FOUND;
    case 429:
      return TG_ERROR_THROTTLED;
    default:
      break;
    }
  if (status >= 500 && status <= 599)
    return TG_ERROR_SERVER;
  if (status >= 400 && status <= 499)
    return TG_ERROR_BAD_REQUEST;
  /* 1xx/3xx/unknown where an answer was expected: nothing we can use. */
  return TG_ERROR_BAD_RESPONSE;
}

static const char *
label_for_code (TgErrorCode code)
{
  switch (code)
    {
    case TG_ERROR_SIGNED_OUT: return "Signed out";
    case TG_ERROR_FORBIDDEN: return "Forbidden";
    case TG_ERROR_NOT_FOUND: return "Not found";
    case TG_ERROR_AMBIGUOUS: return "Ambiguous";
    case TG_ERROR_THROTTLED: return "Throttled";
    case TG_ERROR_OFFLINE: return "Offline";
    case TG_ERROR_SERVER: return "Server error";
    case TG_ERROR_BAD_RESPONSE: return "Bad response";
    case TG_ERROR_BAD_REQUEST: return "Bad request";
    case TG_ERROR_CONFIG: return "Configuration error";
    case TG_ERROR_AUTH_DECLINED: return "Sign-in declined";
    default: return "Error";
    }
}

/* OAuth error codes that say more than their HTTP status (always 400) does. */
static gboolean
code_for_oauth_error (const char *oauth_error, TgErrorCode *code)
{
  if (oauth_error == NULL)
    return FALSE;
  if (g_str_equal (oauth_error, "invalid_grant") || g_str_equal (oauth_error, "interaction_required")
      || g_str_equal (oauth_error, "invalid_client"))
    *code = TG_ERROR_SIGNED_OUT;
  else if (g_str_equal (oauth_error, "authorization_declined")
           || g_str_equal (oauth_error, "expired_token")
           || g_str_equal (oauth_error, "bad_verification_code")
           || g_str_equal (oauth_error, "access_denied"))
    *code = TG_ERROR_AUTH_DECLINED;
  else
    return FALSE;
  return TRUE;
}

/* Appends `text` cut to a sane length, on one line. */
static void
append_clipped (GString *out, const char *text)
{
  const char *end = text;
  glong chars = 0;

  while (*end != '\0' && chars < TG_ERROR_TEXT_MAX)
    {
      end = g_utf8_next_char (end);
      chars++;
    }
  for (const char *p = text; p < end; p++)
    g_string_append_c (out, (*p == '\n' || *p == '\r') ? ' ' : *p);
  if (*end != '\0')
    g_string_append (out, "…");
}

GError *
tg_error_from_http (guint status, JsonNode *body)
{
  JsonObject *root = tg_json_node_object (body);
  JsonObject *graph_error = tg_json_object (root, "error");
  const char *code_text = NULL;
  const char *message = NULL;
  TgErrorCode code = tg_error_code_for_status (status);
  GString *text;

  if (graph_error != NULL)
    {
      code_text = tg_json_string (graph_error, "code");
      message = tg_json_string (graph_error, "message");
    }
  else
    {
      /* OAuth shape: {"error": "invalid_grant", "error_description": "..."} */
      code_text = tg_json_string (root, "error");
      message = tg_json_string (root, "error_description");
      code_for_oauth_error (code_text, &code);
    }

  text = g_string_new (label_for_code (code));
  if (code_text != NULL && *code_text != '\0')
    {
      g_string_append (text, ": ");
      append_clipped (text, code_text);
    }
  if (message != NULL && *message != '\0')
    {
      g_string_append (text, ": ");
      append_clipped (text, message);
    }
  if (code_text == NULL && message == NULL)
    {
      const char *phrase = soup_status_get_phrase (status);
      g_string_append_printf (text, ": HTTP %u%s%s", status, phrase ? " " : "", phrase ? phrase : "");
    }
  {
    GError *error = g_error_new_literal (TG_ERROR, code, text->str);
    g_string_free (text, TRUE);
    return error;
  }
}

gboolean
tg_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != TG_ERROR)
    return FALSE;
  return error->code == TG_ERROR_OFFLINE || error->code == TG_ERROR_THROTTLED
         || error->code == TG_ERROR_SERVER;
}
