/* tg-presence — presence through Graph (see tg-presence.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-presence.h"

#include <string.h>

#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-markup.h"
#include "core/tg-task.h"

void
tg_presence_free (TgPresence *presence)
{
  if (presence == NULL)
    return;
  g_free (presence->user_id);
  g_free (presence->availability_name);
  g_free (presence->activity);
  g_free (presence->status_message);
  g_free (presence);
}

TgAvailability
tg_presence_availability_from_string (const char *availability)
{
  static const struct {
    const char *name;
    TgAvailability value;
  } table[] = {
    { "Available", TG_AVAILABILITY_AVAILABLE },
    { "AvailableIdle", TG_AVAILABILITY_AVAILABLE },
    { "Away", TG_AVAILABILITY_AWAY },
    { "BeRightBack", TG_AVAILABILITY_AWAY },
    { "Busy", TG_AVAILABILITY_BUSY },
    { "BusyIdle", TG_AVAILABILITY_BUSY },
    /* Activities, should a server put them where the availability belongs. */
    { "InACall", TG_AVAILABILITY_BUSY },
    { "InAConferenceCall", TG_AVAILABILITY_BUSY },
    { "InAMeeting", TG_AVAILABILITY_BUSY },
    { "Presenting", TG_AVAILABILITY_BUSY },
    { "DoNotDisturb", TG_AVAILABILITY_DO_NOT_DISTURB },
    { "Offline", TG_AVAILABILITY_OFFLINE },
  };

  if (availability == NULL)
    return TG_AVAILABILITY_UNKNOWN;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (availability, table[i].name) == 0)
      return table[i].value;
  return TG_AVAILABILITY_UNKNOWN;
}

/* "SomeActivity" → "Some activity": Graph's activity words are CamelCase English. */
static char *
words_of_camel_case (const char *word)
{
  GString *s = g_string_new (NULL);

  for (const char *p = word; *p != '\0'; p++)
    {
      if (g_ascii_isupper (*p) && s->len > 0)
        {
          g_string_append_c (s, ' ');
          g_string_append_c (s, g_ascii_tolower (*p));
        }
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

char *
tg_presence_activity_text (const char *activity)
{
  static const char *const same_as_availability[] = {
    "Available", "Away", "Busy", "DoNotDisturb", "Offline", "PresenceUnknown",
  };
  static const struct {
    const char *name;
    const char *text;
  } known[] = {
    { "InACall", "In a call" },
    { "InAConferenceCall", "In a conference call" },
    { "InAMeeting", "In a meeting" },
    { "BeRightBack", "Be right back" },
    { "OffWork", "Off work" },
    { "OutOfOffice", "Out of office" },
    { "UrgentInterruptionsOnly", "Urgent interruptions only" },
  };

  if (activity == NULL || *activity == '\0')
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (same_as_availability); i++)
    if (strcmp (activity, same_as_availability[i]) == 0)
      return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (activity, known[i].name) == 0)
      return g_strdup (known[i].text);
  return words_of_camel_case (activity);
}

/* statusMessage.message ({content, contentType}) as plain text; NULL when absent or blank. */
static char *
status_message_text (JsonObject *presence)
{
  JsonObject *message = tg_json_object (tg_json_object (presence, "statusMessage"), "message");
  const char *content = tg_json_string (message, "content");
  const char *type = tg_json_string (message, "contentType");
  g_autofree char *text = NULL;

  if (content == NULL)
    return NULL;
  if (type != NULL && g_ascii_strcasecmp (type, "html") == 0)
    text = tg_markup_to_plain (content, NULL);
  else
    text = g_strdup (content);
  g_strstrip (text);
  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

GPtrArray *
tg_presence_parse (JsonNode *answer, GError **error)
{
  JsonArray *value = tg_json_array (tg_json_node_object (answer), "value");
  GPtrArray *out;

  if (value == NULL)
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_RESPONSE,
                           "Bad response: presences without a value array");
      return NULL;
    }
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_presence_free);
  for (guint i = 0, n = tg_json_array_length (value); i < n; i++)
    {
      JsonObject *o = tg_json_array_object (value, i);
      const char *id = tg_json_string (o, "id");
      const char *availability = tg_json_string (o, "availability");
      TgPresence *p;

      if (id == NULL || *id == '\0')
        continue;
      p = g_new0 (TgPresence, 1);
      p->user_id = g_strdup (id);
      p->availability = tg_presence_availability_from_string (availability);
      p->availability_name = g_strdup (availability);
      p->activity = g_strdup (tg_json_string (o, "activity"));
      p->status_message = status_message_text (o);
      g_ptr_array_add (out, p);
    }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* getPresencesByUserId, chunked */

typedef struct {
  TgGraph *graph;
  GPtrArray *ids;        /* unique ids (char*, owned) */
  guint next;            /* index of the first id of the next chunk */
  GPtrArray *presences;  /* accumulated TgPresence* */
} GetPresences;

static void
get_presences_free (gpointer data)
{
  GetPresences *gp = data;

  tg_graph_unref (gp->graph);
  g_ptr_array_unref (gp->ids);
  g_ptr_array_unref (gp->presences);
  g_free (gp);
}

static void send_next_chunk (GTask *task);

static void
on_chunk (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  GetPresences *gp = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (JsonNode) node = tg_graph_send_finish (gp->graph, result, NULL, &error);
  GPtrArray *chunk;

  if (error == NULL)
    chunk = tg_presence_parse (node, &error);
  if (error != NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  g_ptr_array_extend_and_steal (gp->presences, chunk);
  send_next_chunk (task);
}

static void
send_next_chunk (GTask *task)
{
  GetPresences *gp = g_task_get_task_data (task);
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) body = NULL;
  guint end;
  TgCall *call;

  if (gp->next >= gp->ids->len)
    {
      tg_task_done_pointer (task, g_ptr_array_ref (gp->presences),
                            (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  end = MIN (gp->next + TG_PRESENCE_MAX_IDS, gp->ids->len);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ids");
  json_builder_begin_array (b);
  for (; gp->next < end; gp->next++)
    json_builder_add_string_value (b, g_ptr_array_index (gp->ids, gp->next));
  json_builder_end_array (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = tg_call_new ("POST", "/communications/getPresencesByUserId");
  tg_call_set_json_body (call, body);
  /* A read: replaying it after a network error is harmless. */
  tg_call_set_idempotent (call, TRUE);
  tg_graph_send_async (gp->graph, call, g_task_get_cancellable (task), on_chunk, task);
}

void
tg_presence_get_async (TgGraph *graph, const char *const *ids, guint n_ids,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GetPresences *gp = g_new0 (GetPresences, 1);
  GTask *task = tg_task_new (tg_presence_get_async, gp, get_presences_free, cancellable, callback,
                             user_data);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  gp->graph = tg_graph_ref (graph);
  gp->ids = g_ptr_array_new_with_free_func (g_free);
  gp->presences = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_presence_free);
  for (guint i = 0; ids != NULL && i < n_ids; i++)
    {
      if (ids[i] == NULL || *ids[i] == '\0' || !g_hash_table_add (seen, (gpointer) ids[i]))
        continue;
      g_ptr_array_add (gp->ids, g_strdup (ids[i]));
    }
  send_next_chunk (task);
}

GPtrArray *
tg_presence_get_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* setUserPreferredPresence */

static void
on_empty_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;

  /* Both setters: Graph answers 200 with no body; whatever body comes is of no use. */
  if (tg_task_send_finish (task, g_task_get_task_data (task), result, NULL))
    tg_task_done_boolean (task);
}

void
tg_presence_set_preferred_async (TgGraph *graph, const char *availability,
                                 const char *activity, const char *expiration,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GTask *task = tg_task_new_for_graph (graph, tg_presence_set_preferred_async, cancellable,
                                       callback, user_data);
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) body = NULL;
  TgCall *call;

  if (availability == NULL || *availability == '\0' || activity == NULL || *activity == '\0')
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, "No availability or activity given");
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "availability");
  json_builder_add_string_value (b, availability);
  json_builder_set_member_name (b, "activity");
  json_builder_add_string_value (b, activity);
  if (expiration != NULL && *expiration != '\0')
    {
      json_builder_set_member_name (b, "expirationDuration");
      json_builder_add_string_value (b, expiration);
    }
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  call = tg_call_new ("POST", "/me/presence/setUserPreferredPresence");
  tg_call_set_json_body (call, body);
  /* Setting the same presence twice is the same as once. */
  tg_call_set_idempotent (call, TRUE);
  tg_graph_send_async (graph, call, cancellable, on_empty_answer, task);
}

gboolean
tg_presence_set_preferred_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* setStatusMessage */

JsonNode *
tg_presence_status_message_body (const char *text)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "statusMessage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, text != NULL ? text : "");
  json_builder_set_member_name (b, "contentType");
  json_builder_add_string_value (b, "text");
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
tg_presence_set_status_message_async (TgGraph *graph, const char *text,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  GTask *task = tg_task_new_for_graph (graph, tg_presence_set_status_message_async, cancellable,
                                       callback, user_data);
  g_autoptr (JsonNode) body = tg_presence_status_message_body (text);
  TgCall *call = tg_call_new ("POST", "/me/presence/setStatusMessage");

  tg_call_set_json_body (call, body);
  /* Setting the same message twice is the same as once. */
  tg_call_set_idempotent (call, TRUE);
  tg_graph_send_async (graph, call, cancellable, on_empty_answer, task);
}

gboolean
tg_presence_set_status_message_finish (TgGraph *graph, GAsyncResult *result, GError **error)
{
  return tg_task_finish_boolean (result, error);
}
