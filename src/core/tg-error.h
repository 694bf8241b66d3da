/* tg-error — the one error domain of the Teams core.
 *
 * Every failure the core reports is a GError in TG_ERROR whose code says what the user
 * must know. Errors that come from a Graph error body carry Graph's code and message in
 * the GError message ("Not found: ResourceNotFound: Chat does not exist"), never a token.
 */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TG_ERROR (tg_error_quark ())
GQuark tg_error_quark (void);

typedef enum {
  TG_ERROR_SIGNED_OUT,    /* credentials gone or refused (401 after refresh, invalid_grant) */
  TG_ERROR_FORBIDDEN,     /* 403: the account may not do this */
  TG_ERROR_NOT_FOUND,     /* 404, or a reference that matches nothing */
  TG_ERROR_AMBIGUOUS,     /* a reference that matches several things */
  TG_ERROR_THROTTLED,     /* 429 still after the bounded retries */
  TG_ERROR_OFFLINE,       /* network unreachable, connection refused/reset, DNS, TLS */
  TG_ERROR_SERVER,        /* 5xx still after the bounded retries */
  TG_ERROR_BAD_RESPONSE,  /* the server answered something we cannot understand */
  TG_ERROR_BAD_REQUEST,   /* 400/405/409/412/413…: Graph refused the request as made */
  TG_ERROR_CONFIG,        /* a setting is unusable (e.g. http:// to a non-loopback host) */
  TG_ERROR_AUTH_DECLINED, /* the user declined sign-in, or the code expired unused */
} TgErrorCode;

/* A GError for a Graph (or identity platform) error response. `body` may be NULL or any
 * JSON; Graph's {"error":{"code","message"}} and OAuth's {"error","error_description"}
 * shapes are both understood. */
GError *tg_error_from_http (guint status, JsonNode *body);

/* The TG_ERROR code for an HTTP status (e.g. 404 → TG_ERROR_NOT_FOUND). */
TgErrorCode tg_error_code_for_status (guint status);

/* TRUE when the error is worth an automatic reconnect (offline, throttled, server). */
gboolean tg_error_is_transient (const GError *error);

G_END_DECLS
