/* testbed — a headless libpurple client for scenario tests (see testbed.h). */
#include "purple/testbed.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

/* libpurple loads every system plugin while probing (Jabber, SSL, media with GStreamer and
 * PulseAudio…) and some of them, and libpurple's own status prefs, are never freed at quit.
 * LeakSanitizer must not blame the plugin under test for them. The patterns name only
 * libpurple's start-up paths, so a leak in the plugin's login, requests or callbacks still
 * shows. Matching needs whole stacks: the system libraries have no frame pointers. */
#define TB_EXPORT __attribute__ ((visibility ("default")))
TB_EXPORT const char *__lsan_default_suppressions (void);
TB_EXPORT const char *__asan_default_options (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:purple_plugins_probe\n"
         "leak:purple_plugin_probe\n"
         "leak:purple_ssl_init\n"
         "leak:purple_media_manager_get\n"
         "leak:purple_prefs_connect_callback\n"
         "leak:_dl_init\n"
         "leak:libpulse.so\n";
}

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

struct _TbRequest {
  gboolean is_notify;
  int type;                    /* PurpleRequestType or PurpleNotifyType */
  gboolean open;
  TbEvent *event;
  gpointer user_data;
  /* request_action / request_choice */
  GPtrArray *labels;           /* char* (NULL-terminated) */
  GArray *callbacks;           /* GCallback (actions) */
  GArray *values;              /* int (choices) */
  /* input / choice / fields / file */
  GCallback ok_cb;
  GCallback cancel_cb;
  PurpleRequestFields *fields;
  /* notify_searchresults: the results (freed when the dialog closes, as Pidgin does) */
  PurpleNotifySearchResults *results;
  PurpleConnection *gc;
};

typedef struct {
  PurpleAccount *account;
  guint start;                 /* event index when tb_account_connect was last called */
} TbConnectWait;

static struct {
  gboolean initialised;
  gboolean verbose;
  char *user_dir;
  GPtrArray *events;           /* TbEvent* */
  guint mark;
  GString *debug;
  GPtrArray *fakes;            /* FakeGraph* */
  GHashTable *connect_start;   /* PurpleAccount* → event index + 1 */
  int signal_handle;           /* address used as the libpurple signal handle */
} tb;

/* ------------------------------------------------------------------------------------------ */
/* Events                                                                                      */

const char *
tb_event_type_name (TbEventType type)
{
  switch (type)
    {
    case TB_EV_PROGRESS: return "progress";
    case TB_EV_CONNECTED: return "connected";
    case TB_EV_DISCONNECTED: return "disconnected";
    case TB_EV_CONN_ERROR: return "conn-error";
    case TB_EV_NOTICE: return "notice";
    case TB_EV_REQUEST: return "request";
    case TB_EV_REQUEST_CLOSED: return "request-closed";
    case TB_EV_NOTIFY: return "notify";
    case TB_EV_NOTIFY_CLOSED: return "notify-closed";
    case TB_EV_WRITE: return "write";
    case TB_EV_CONV_CREATED: return "conv-created";
    case TB_EV_CONV_DESTROYED: return "conv-destroyed";
    case TB_EV_CHAT_JOINED: return "chat-joined";
    case TB_EV_CHAT_LEFT: return "chat-left";
    case TB_EV_CHAT_TOPIC: return "chat-topic";
    case TB_EV_CHAT_USERS_ADDED: return "chat-users-added";
    case TB_EV_CHAT_USERS_REMOVED: return "chat-users-removed";
    case TB_EV_CHAT_USER_RENAMED: return "chat-user-renamed";
    case TB_EV_ADD_BUDDY: return "add-buddy";
    case TB_EV_ANY: return "any";
    default: return "?";
    }
}

static void
request_free (TbRequest *req)
{
  if (req == NULL)
    return;
  if (req->labels != NULL)
    g_ptr_array_unref (req->labels);
  if (req->callbacks != NULL)
    g_array_unref (req->callbacks);
  if (req->values != NULL)
    g_array_unref (req->values);
  if (req->fields != NULL)
    purple_request_fields_destroy (req->fields);
  g_free (req);
}

static void
event_free (TbEvent *ev)
{
  g_free (ev->conv);
  g_free (ev->who);
  g_free (ev->alias);
  g_free (ev->title);
  g_free (ev->primary);
  g_free (ev->secondary);
  g_free (ev->text);
  request_free (ev->request);
  g_free (ev);
}

static char *
event_line (TbEvent *ev)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "#%u %s", ev->index, tb_event_type_name (ev->type));
  if (ev->account != NULL)
    g_string_append_printf (s, " [%s]", purple_account_get_username (ev->account));
  if (ev->type == TB_EV_CONN_ERROR || ev->type == TB_EV_REQUEST || ev->type == TB_EV_NOTIFY
      || ev->type == TB_EV_PROGRESS || ev->type == TB_EV_WRITE || ev->type == TB_EV_CONV_CREATED)
    g_string_append_printf (s, " code=%d", ev->code);
  if (ev->type == TB_EV_CONN_ERROR)
    g_string_append_printf (s, " fatal=%d", ev->fatal);
#define FIELD(name) if (ev->name != NULL) g_string_append_printf (s, " " #name "=\"%s\"", ev->name)
  FIELD (conv);
  FIELD (who);
  FIELD (alias);
  FIELD (title);
  FIELD (primary);
  FIELD (secondary);
  FIELD (text);
#undef FIELD
  if (ev->type == TB_EV_WRITE)
    g_string_append_printf (s, " flags=0x%x mtime=%ld", (unsigned) ev->flags, (long) ev->mtime);
  return g_string_free (s, FALSE);
}

static TbEvent *
event_add (TbEventType type, PurpleAccount *account)
{
  TbEvent *ev = g_new0 (TbEvent, 1);

  ev->type = type;
  ev->account = account;
  ev->index = tb.events->len;
  g_ptr_array_add (tb.events, ev);
  return ev;
}

/* Called once an event is filled in. */
static void
event_done (TbEvent *ev)
{
  if (tb.verbose)
    {
      g_autofree char *line = event_line (ev);
      g_printerr ("TB EVENT %s\n", line);
    }
}

GPtrArray *
tb_events (void)
{
  return tb.events;
}

guint
tb_events_mark (void)
{
  tb.mark = tb.events->len;
  return tb.mark;
}

void
tb_events_set_mark (guint mark)
{
  tb.mark = MIN (mark, tb.events->len);
}

static gboolean
contains (const char *haystack, const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

static gboolean
event_matches (TbEvent *ev, TbEventType type, const char *substring)
{
  if (type != TB_EV_ANY && ev->type != type)
    return FALSE;
  if (substring == NULL)
    return TRUE;
  return contains (ev->conv, substring) || contains (ev->who, substring)
         || contains (ev->alias, substring) || contains (ev->title, substring)
         || contains (ev->primary, substring) || contains (ev->secondary, substring)
         || contains (ev->text, substring);
}

TbEvent *
tb_events_find (TbEventType type, const char *substring)
{
  for (guint i = tb.mark; i < tb.events->len; i++)
    if (event_matches (tb.events->pdata[i], type, substring))
      return tb.events->pdata[i];
  return NULL;
}

guint
tb_events_count (TbEventType type, const char *substring)
{
  guint n = 0;

  for (guint i = tb.mark; i < tb.events->len; i++)
    if (event_matches (tb.events->pdata[i], type, substring))
      n++;
  return n;
}

TbEvent *
tb_last_error (PurpleAccount *account)
{
  for (guint i = tb.events->len; i > 0; i--)
    {
      TbEvent *ev = tb.events->pdata[i - 1];
      if (ev->type == TB_EV_CONN_ERROR && ev->account == account)
        return ev;
    }
  return NULL;
}

char *
tb_events_dump (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < tb.events->len; i++)
    {
      g_autofree char *line = event_line (tb.events->pdata[i]);
      g_string_append_printf (s, "%s%s\n", i == tb.mark && i > 0 ? "---- mark ----\n" : "", line);
    }
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Debug output                                                                                */

const char *
tb_debug_log (void)
{
  return tb.debug->str;
}

void
tb_debug_log_clear (void)
{
  g_string_truncate (tb.debug, 0);
}

static const char *
purple_level_name (PurpleDebugLevel level)
{
  switch (level)
    {
    case PURPLE_DEBUG_MISC: return "misc";
    case PURPLE_DEBUG_INFO: return "info";
    case PURPLE_DEBUG_WARNING: return "warning";
    case PURPLE_DEBUG_ERROR: return "error";
    case PURPLE_DEBUG_FATAL: return "fatal";
    default: return "all";
    }
}

static void
debug_print (PurpleDebugLevel level, const char *category, const char *text)
{
  gsize start = tb.debug->len;

  g_string_append_printf (tb.debug, "[%s] %s: %s", category != NULL ? category : "-",
                          purple_level_name (level), text);
  if (tb.debug->len == 0 || tb.debug->str[tb.debug->len - 1] != '\n')
    g_string_append_c (tb.debug, '\n');
  if (tb.verbose)
    g_printerr ("%s", tb.debug->str + start);
}

static gboolean
debug_is_enabled (PurpleDebugLevel level, const char *category)
{
  return TRUE;
}

static PurpleDebugUiOps debug_ops = {
  .print = debug_print,
  .is_enabled = debug_is_enabled,
};

/* Every GLib log message (g_debug included: G_MESSAGES_DEBUG=all is set) goes into the buffer;
 * warnings and worse also go to GLib's default writer (and so to stderr and GTest). */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }
  if (tb.debug != NULL && message != NULL)
    {
      gsize start = tb.debug->len;
      g_string_append_printf (tb.debug, "[glib:%s] %s\n", domain != NULL ? domain : "-", message);
      if (tb.verbose)
        g_printerr ("%s", tb.debug->str + start);
    }
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE))
    return g_log_writer_default (level, fields, n_fields, data);
  return G_LOG_WRITER_HANDLED;
}

/* Unstructured g_log messages (g_debug and friends) reach the default handler first: GTest's
 * in test programs, which would print every debug line into the TAP output. */
static GLogFunc previous_default_handler;

static void
log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if (tb.debug != NULL && message != NULL)
    {
      gsize start = tb.debug->len;
      g_string_append_printf (tb.debug, "[glib:%s] %s\n", domain != NULL ? domain : "-", message);
      if (tb.verbose)
        g_printerr ("%s", tb.debug->str + start);
    }
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE))
      && previous_default_handler != NULL)
    previous_default_handler (domain, level, message, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Event loop ui ops: libpurple on the GLib main loop                                         */

typedef struct {
  PurpleInputFunction func;
  gpointer data;
} TbInput;

static gboolean
input_dispatch (GIOChannel *channel, GIOCondition condition, gpointer data)
{
  TbInput *input = data;
  PurpleInputCondition cond = 0;

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR | G_IO_PRI))
    cond |= PURPLE_INPUT_READ;
  if (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL))
    cond |= PURPLE_INPUT_WRITE;
  input->func (input->data, g_io_channel_unix_get_fd (channel), cond);
  return G_SOURCE_CONTINUE;
}

static guint
input_add (int fd, PurpleInputCondition cond, PurpleInputFunction func, gpointer data)
{
  TbInput *input = g_new0 (TbInput, 1);
  GIOCondition gcond = 0;
  GIOChannel *channel;
  guint id;

  input->func = func;
  input->data = data;
  if (cond & PURPLE_INPUT_READ)
    gcond |= G_IO_IN | G_IO_HUP | G_IO_ERR | G_IO_PRI;
  if (cond & PURPLE_INPUT_WRITE)
    gcond |= G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL;
  channel = g_io_channel_unix_new (fd);
  id = g_io_add_watch_full (channel, G_PRIORITY_DEFAULT, gcond, input_dispatch, input, g_free);
  g_io_channel_unref (channel);
  return id;
}

static gboolean
source_remove (guint id)
{
  return g_source_remove (id);
}

static PurpleEventLoopUiOps loop_ops = {
  .timeout_add = g_timeout_add,
  .timeout_remove = source_remove,
  .input_add = input_add,
  .input_remove = source_remove,
  .timeout_add_seconds = g_timeout_add_seconds,
};

/* ------------------------------------------------------------------------------------------ */
/* Connection ui ops                                                                           */

static void
conn_progress (PurpleConnection *gc, const char *text, size_t step, size_t step_count)
{
  TbEvent *ev = event_add (TB_EV_PROGRESS, purple_connection_get_account (gc));

  ev->text = g_strdup (text);
  ev->code = (int) step;
  event_done (ev);
}

static void
conn_connected (PurpleConnection *gc)
{
  event_done (event_add (TB_EV_CONNECTED, purple_connection_get_account (gc)));
}

static void
conn_disconnected (PurpleConnection *gc)
{
  event_done (event_add (TB_EV_DISCONNECTED, purple_connection_get_account (gc)));
}

static void
conn_notice (PurpleConnection *gc, const char *text)
{
  TbEvent *ev = event_add (TB_EV_NOTICE, purple_connection_get_account (gc));

  ev->text = g_strdup (text);
  event_done (ev);
}

static void
conn_report_reason (PurpleConnection *gc, PurpleConnectionError reason, const char *text)
{
  TbEvent *ev = event_add (TB_EV_CONN_ERROR, purple_connection_get_account (gc));

  ev->code = reason;
  ev->fatal = purple_connection_error_is_fatal (reason);
  ev->text = g_strdup (text);
  event_done (ev);
}

static PurpleConnectionUiOps conn_ops = {
  .connect_progress = conn_progress,
  .connected = conn_connected,
  .disconnected = conn_disconnected,
  .notice = conn_notice,
  .report_disconnect_reason = conn_report_reason,
};

/* ------------------------------------------------------------------------------------------ */
/* Request ui ops: recorded, answered by the test                                             */

static TbRequest *
request_new (TbEvent *ev, gboolean is_notify, int type, gpointer user_data)
{
  TbRequest *req = g_new0 (TbRequest, 1);

  req->is_notify = is_notify;
  req->type = type;
  req->open = TRUE;
  req->event = ev;
  req->user_data = user_data;
  ev->request = req;
  ev->code = type;
  return req;
}

static TbEvent *
request_event (PurpleAccount *account, const char *title, const char *primary,
               const char *secondary, const char *who, PurpleConversation *conv)
{
  TbEvent *ev = event_add (TB_EV_REQUEST, account);

  ev->title = g_strdup (title);
  ev->primary = g_strdup (primary);
  ev->secondary = g_strdup (secondary);
  ev->who = g_strdup (who);
  ev->conv = conv != NULL ? g_strdup (purple_conversation_get_name (conv)) : NULL;
  return ev;
}

static void *
req_input (const char *title, const char *primary, const char *secondary,
           const char *default_value, gboolean multiline, gboolean masked, gchar *hint,
           const char *ok_text, GCallback ok_cb, const char *cancel_text, GCallback cancel_cb,
           PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data)
{
  TbEvent *ev = request_event (account, title, primary, secondary, who, conv);
  TbRequest *req = request_new (ev, FALSE, PURPLE_REQUEST_INPUT, user_data);

  ev->text = g_strdup (default_value);
  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  event_done (ev);
  return req;
}

static void *
req_choice (const char *title, const char *primary, const char *secondary, int default_value,
            const char *ok_text, GCallback ok_cb, const char *cancel_text, GCallback cancel_cb,
            PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data,
            va_list choices)
{
  TbEvent *ev = request_event (account, title, primary, secondary, who, conv);
  TbRequest *req = request_new (ev, FALSE, PURPLE_REQUEST_CHOICE, user_data);
  const char *label;
  GString *text = g_string_new (NULL);

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  req->labels = g_ptr_array_new_with_free_func (g_free);
  req->values = g_array_new (FALSE, FALSE, sizeof (int));
  while ((label = va_arg (choices, const char *)) != NULL)
    {
      int value = va_arg (choices, int);
      g_ptr_array_add (req->labels, g_strdup (label));
      g_array_append_val (req->values, value);
      g_string_append_printf (text, "%s%s", text->len ? "\n" : "", label);
    }
  g_ptr_array_add (req->labels, NULL);
  ev->text = g_string_free (text, FALSE);
  event_done (ev);
  return req;
}

static void *
req_action (const char *title, const char *primary, const char *secondary, int default_action,
            PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data,
            size_t action_count, va_list actions)
{
  TbEvent *ev = request_event (account, title, primary, secondary, who, conv);
  TbRequest *req = request_new (ev, FALSE, PURPLE_REQUEST_ACTION, user_data);
  GString *text = g_string_new (NULL);

  req->labels = g_ptr_array_new_with_free_func (g_free);
  req->callbacks = g_array_new (FALSE, FALSE, sizeof (GCallback));
  for (size_t i = 0; i < action_count; i++)
    {
      const char *label = va_arg (actions, const char *);
      GCallback cb = va_arg (actions, GCallback);
      g_ptr_array_add (req->labels, g_strdup (label));
      g_array_append_val (req->callbacks, cb);
      g_string_append_printf (text, "%s%s", text->len ? "\n" : "", label);
    }
  g_ptr_array_add (req->labels, NULL);
  ev->text = g_string_free (text, FALSE);
  event_done (ev);
  return req;
}

static void *
req_fields (const char *title, const char *primary, const char *secondary,
            PurpleRequestFields *fields, const char *ok_text, GCallback ok_cb,
            const char *cancel_text, GCallback cancel_cb, PurpleAccount *account, const char *who,
            PurpleConversation *conv, void *user_data)
{
  TbEvent *ev = request_event (account, title, primary, secondary, who, conv);
  TbRequest *req = request_new (ev, FALSE, PURPLE_REQUEST_FIELDS, user_data);
  GString *text = g_string_new (NULL);

  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  req->fields = fields;   /* the UI owns them from here (destroyed when the dialog closes) */
  for (GList *g = purple_request_fields_get_groups (fields); g != NULL; g = g->next)
    for (GList *f = purple_request_field_group_get_fields (g->data); f != NULL; f = f->next)
      {
        PurpleRequestField *field = f->data;
        g_string_append_printf (text, "%s%s: %s", text->len ? "\n" : "",
                                purple_request_field_get_id (field),
                                purple_request_field_get_label (field) ? purple_request_field_get_label (field) : "");
      }
  ev->text = g_string_free (text, FALSE);
  event_done (ev);
  return req;
}

static void *
req_file (const char *title, const char *filename, gboolean savedialog, GCallback ok_cb,
          GCallback cancel_cb, PurpleAccount *account, const char *who, PurpleConversation *conv,
          void *user_data)
{
  TbEvent *ev = request_event (account, title, NULL, NULL, who, conv);
  TbRequest *req = request_new (ev, FALSE, PURPLE_REQUEST_FILE, user_data);

  ev->text = g_strdup (filename);
  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  event_done (ev);
  return req;
}

static void *
req_folder (const char *title, const char *dirname, GCallback ok_cb, GCallback cancel_cb,
            PurpleAccount *account, const char *who, PurpleConversation *conv, void *user_data)
{
  TbEvent *ev = request_event (account, title, NULL, NULL, who, conv);
  TbRequest *req = request_new (ev, FALSE, PURPLE_REQUEST_FOLDER, user_data);

  ev->text = g_strdup (dirname);
  req->ok_cb = ok_cb;
  req->cancel_cb = cancel_cb;
  event_done (ev);
  return req;
}

static void
req_close (PurpleRequestType type, void *handle)
{
  TbRequest *req = handle;
  TbEvent *ev;

  if (req == NULL || !req->open)
    return;
  req->open = FALSE;
  /* libpurple hands the fields to the UI; the dialog's end destroys them. */
  if (req->fields != NULL)
    {
      purple_request_fields_destroy (req->fields);
      req->fields = NULL;
    }
  ev = event_add (TB_EV_REQUEST_CLOSED, req->event->account);
  ev->code = type;
  ev->title = g_strdup (req->event->title);
  ev->primary = g_strdup (req->event->primary);
  event_done (ev);
}

static PurpleRequestUiOps request_ops = {
  .request_input = req_input,
  .request_choice = req_choice,
  .request_action = req_action,
  .request_fields = req_fields,
  .request_file = req_file,
  .close_request = req_close,
  .request_folder = req_folder,
};

gboolean
tb_request_is_open (TbEvent *event)
{
  return event != NULL && event->request != NULL && event->request->open;
}

const char *const *
tb_request_action_labels (TbEvent *event)
{
  if (event == NULL || event->request == NULL || event->request->labels == NULL)
    return NULL;
  return (const char *const *) event->request->labels->pdata;
}

gboolean
tb_request_choose (TbEvent *event, int index)
{
  TbRequest *req;
  PurpleRequestActionCb cb;

  if (!tb_request_is_open (event) || event->request->type != PURPLE_REQUEST_ACTION)
    return FALSE;
  req = event->request;
  if (index < 0 || (guint) index >= req->callbacks->len)
    return FALSE;
  cb = (PurpleRequestActionCb) g_array_index (req->callbacks, GCallback, index);
  if (cb != NULL)
    cb (req->user_data, index);
  purple_request_close (PURPLE_REQUEST_ACTION, req);
  return TRUE;
}

gboolean
tb_request_choose_label (TbEvent *event, const char *label)
{
  const char *const *labels = tb_request_action_labels (event);

  for (int i = 0; labels != NULL && labels[i] != NULL; i++)
    if (g_str_equal (labels[i], label))
      return tb_request_choose (event, i);
  return FALSE;
}

/* Answers an open request dialog with OK (`text` for input/choice) or Cancel, as the buttons
 * do: the callback of that button with what the dialog type passes, then the dialog closes.
 * OK is no answer to a request_action (its buttons are tb_request_choose); Cancel just closes it. */
static gboolean
request_answer (TbEvent *event, gboolean ok, const char *text)
{
  TbRequest *req;
  GCallback cb;

  if (!tb_request_is_open (event) || event->request->is_notify)
    return FALSE;
  req = event->request;
  cb = ok ? req->ok_cb : req->cancel_cb;
  switch (req->type)
    {
    case PURPLE_REQUEST_INPUT:
    case PURPLE_REQUEST_FILE:
    case PURPLE_REQUEST_FOLDER:
      if (cb != NULL)
        ((PurpleRequestInputCb) cb) (req->user_data, ok ? text : NULL);
      break;
    case PURPLE_REQUEST_CHOICE:
      if (cb != NULL)
        ((PurpleRequestChoiceCb) cb) (req->user_data, ok && text != NULL ? atoi (text) : 0);
      break;
    case PURPLE_REQUEST_FIELDS:
      if (cb != NULL)
        ((PurpleRequestFieldsCb) cb) (req->user_data, req->fields);
      break;
    default:
      if (ok)
        return FALSE;
      break;
    }
  purple_request_close (req->type, req);
  return TRUE;
}

gboolean
tb_request_ok (TbEvent *event, const char *text)
{
  return request_answer (event, TRUE, text);
}

gboolean
tb_request_cancel (TbEvent *event)
{
  return request_answer (event, FALSE, NULL);
}

gboolean
tb_request_close (TbEvent *event)
{
  if (!tb_request_is_open (event))
    return FALSE;
  if (event->request->is_notify)
    purple_notify_close (event->request->type, event->request);
  else
    purple_request_close (event->request->type, event->request);
  return TRUE;
}

PurpleRequestFields *
tb_request_fields (TbEvent *event)
{
  return tb_request_is_open (event) ? event->request->fields : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Notify ui ops                                                                               */

static TbEvent *
notify_event (int type, PurpleAccount *account, const char *title, const char *primary,
              const char *secondary, const char *text)
{
  TbEvent *ev = event_add (TB_EV_NOTIFY, account);

  ev->title = g_strdup (title);
  ev->primary = g_strdup (primary);
  ev->secondary = g_strdup (secondary);
  ev->text = g_strdup (text);
  request_new (ev, TRUE, type, NULL);
  event_done (ev);
  return ev;
}

static void *
notify_message (PurpleNotifyMsgType msg_type, const char *title, const char *primary,
                const char *secondary)
{
  TbEvent *ev = notify_event (PURPLE_NOTIFY_MESSAGE, NULL, title, primary, secondary, NULL);

  ev->detail = msg_type;   /* error / warning / info */
  return ev->request;
}

static void *
notify_email (PurpleConnection *gc, const char *subject, const char *from, const char *to,
              const char *url)
{
  TbEvent *ev = notify_event (PURPLE_NOTIFY_EMAIL, gc ? purple_connection_get_account (gc) : NULL,
                              subject, from, to, url);
  return ev->request;
}

static void *
notify_emails (PurpleConnection *gc, size_t count, gboolean detailed, const char **subjects,
               const char **froms, const char **tos, const char **urls)
{
  g_autofree char *text = g_strdup_printf ("%zu e-mails", count);
  TbEvent *ev = notify_event (PURPLE_NOTIFY_EMAILS, gc ? purple_connection_get_account (gc) : NULL,
                              NULL, NULL, NULL, text);
  return ev->request;
}

static void *
notify_formatted (const char *title, const char *primary, const char *secondary, const char *text)
{
  TbEvent *ev = notify_event (PURPLE_NOTIFY_FORMATTED, NULL, title, primary, secondary, text);
  return ev->request;
}

static char *
search_rows_text (PurpleNotifySearchResults *results)
{
  GString *s = g_string_new (NULL);

  for (GList *r = results ? results->rows : NULL; r != NULL; r = r->next)
    {
      gboolean first = TRUE;
      for (GList *c = r->data; c != NULL; c = c->next)
        {
          g_string_append_printf (s, "%s%s", first ? "" : "\t", c->data ? (char *) c->data : "");
          first = FALSE;
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static void *
notify_searchresults (PurpleConnection *gc, const char *title, const char *primary,
                      const char *secondary, PurpleNotifySearchResults *results, gpointer data)
{
  g_autofree char *rows = search_rows_text (results);
  TbEvent *ev = notify_event (PURPLE_NOTIFY_SEARCHRESULTS,
                              gc ? purple_connection_get_account (gc) : NULL, title, primary,
                              secondary, rows);
  ev->request->results = results;
  ev->request->gc = gc;
  ev->request->user_data = data;
  return ev->request;
}

static void
notify_searchresults_new_rows (PurpleConnection *gc, PurpleNotifySearchResults *results, void *data)
{
  g_autofree char *rows = search_rows_text (results);
  TbEvent *ev = notify_event (PURPLE_NOTIFY_SEARCHRESULTS,
                              gc ? purple_connection_get_account (gc) : NULL, "new rows", NULL,
                              NULL, rows);

  /* Not a dialog of its own. */
  ev->request->open = FALSE;
}

static void *
notify_userinfo (PurpleConnection *gc, const char *who, PurpleNotifyUserInfo *info)
{
  g_autofree char *text = purple_notify_user_info_get_text_with_newline (info, "\n");
  TbEvent *ev = notify_event (PURPLE_NOTIFY_USERINFO, gc ? purple_connection_get_account (gc) : NULL,
                              NULL, NULL, NULL, text);

  ev->who = g_strdup (who);
  return ev->request;
}

static void *
notify_uri (const char *uri)
{
  TbEvent *ev = notify_event (PURPLE_NOTIFY_URI, NULL, NULL, NULL, NULL, uri);

  /* Opening a URI leaves no dialog to close. */
  ev->request->open = FALSE;
  return NULL;
}

static void
notify_close (PurpleNotifyType type, void *handle)
{
  TbRequest *req = handle;
  TbEvent *ev;

  if (req == NULL || !req->open)
    return;
  req->open = FALSE;
  if (req->results != NULL)
    purple_notify_searchresults_free (g_steal_pointer (&req->results));
  ev = event_add (TB_EV_NOTIFY_CLOSED, req->event->account);
  ev->code = type;
  ev->title = g_strdup (req->event->title);
  ev->primary = g_strdup (req->event->primary);
  event_done (ev);
}

gboolean
tb_searchresults_click (TbEvent *event, const char *label, guint row)
{
  TbRequest *req = tb_request_is_open (event) ? event->request : NULL;
  GList *cells;

  if (req == NULL || req->results == NULL
      || (cells = g_list_nth_data (req->results->rows, row)) == NULL)
    return FALSE;
  for (GList *l = req->results->buttons; l != NULL; l = l->next)
    {
      PurpleNotifySearchButton *button = l->data;

      if (button->type == PURPLE_NOTIFY_BUTTON_LABELED && g_strcmp0 (button->label, label) == 0)
        {
          button->callback (req->gc, cells, req->user_data);
          return TRUE;
        }
    }
  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* Buddy list ui ops: only the "add buddy" dialog, recorded (the test adds the buddy itself if
 * it wants to, as the user would by pressing Add). */

static void
blist_request_add_buddy (PurpleAccount *account, const char *username, const char *group,
                         const char *alias)
{
  TbEvent *ev = event_add (TB_EV_ADD_BUDDY, account);

  ev->who = g_strdup (username);
  ev->alias = g_strdup (alias);
  ev->text = g_strdup (group);
  event_done (ev);
}

static PurpleBlistUiOps blist_ops = {
  .request_add_buddy = blist_request_add_buddy,
};

gboolean
tb_account_action (PurpleAccount *account, const char *label)
{
  PurpleConnection *gc = purple_account_get_connection (account);
  PurplePlugin *plugin = purple_find_prpl (TB_PLUGIN_ID);
  gboolean done = FALSE;
  GList *actions;

  if (gc == NULL || plugin == NULL || !PURPLE_PLUGIN_HAS_ACTIONS (plugin))
    return FALSE;
  actions = PURPLE_PLUGIN_ACTIONS (plugin, gc);
  for (GList *l = actions; l != NULL; l = l->next)
    {
      PurplePluginAction *action = l->data;

      if (action != NULL && !done && g_strcmp0 (action->label, label) == 0)
        {
          action->plugin = plugin;
          action->context = gc;
          action->callback (action);
          done = TRUE;
        }
      if (action != NULL)
        purple_plugin_action_free (action);
    }
  g_list_free (actions);
  return done;
}

static PurpleNotifyUiOps notify_ops = {
  .notify_message = notify_message,
  .notify_email = notify_email,
  .notify_emails = notify_emails,
  .notify_formatted = notify_formatted,
  .notify_searchresults = notify_searchresults,
  .notify_searchresults_new_rows = notify_searchresults_new_rows,
  .notify_userinfo = notify_userinfo,
  .notify_uri = notify_uri,
  .close_notify = notify_close,
};

/* ------------------------------------------------------------------------------------------ */
/* Conversation ui ops and signals                                                             */

static TbEvent *
conv_event (TbEventType type, PurpleConversation *conv)
{
  TbEvent *ev = event_add (type, purple_conversation_get_account (conv));

  ev->conv = g_strdup (purple_conversation_get_name (conv));
  ev->code = purple_conversation_get_type (conv);
  return ev;
}

static void
conv_create (PurpleConversation *conv)
{
  event_done (conv_event (TB_EV_CONV_CREATED, conv));
}

static void
conv_destroy (PurpleConversation *conv)
{
  event_done (conv_event (TB_EV_CONV_DESTROYED, conv));
}

/* Only write_conv is set: libpurple routes IM and chat lines through it, as in a real UI. */
static void
conv_write (PurpleConversation *conv, const char *who, const char *alias, const char *message,
            PurpleMessageFlags flags, time_t mtime)
{
  TbEvent *ev = conv_event (TB_EV_WRITE, conv);

  ev->who = g_strdup (who);
  ev->alias = g_strdup (alias);
  ev->text = g_strdup (message);
  ev->flags = flags;
  ev->mtime = mtime;
  event_done (ev);
}

static void
conv_chat_add_users (PurpleConversation *conv, GList *cbuddies, gboolean new_arrivals)
{
  TbEvent *ev = conv_event (TB_EV_CHAT_USERS_ADDED, conv);
  GString *names = g_string_new (NULL);

  for (GList *l = cbuddies; l != NULL; l = l->next)
    {
      PurpleConvChatBuddy *cb = l->data;
      g_string_append_printf (names, "%s%s", names->len ? "\n" : "", purple_conv_chat_cb_get_name (cb));
    }
  ev->text = g_string_free (names, FALSE);
  event_done (ev);
}

static void
conv_chat_rename_user (PurpleConversation *conv, const char *old_name, const char *new_name,
                       const char *new_alias)
{
  TbEvent *ev = conv_event (TB_EV_CHAT_USER_RENAMED, conv);

  ev->who = g_strdup (old_name);
  ev->text = g_strdup (new_name);
  ev->alias = g_strdup (new_alias);
  event_done (ev);
}

static void
conv_chat_remove_users (PurpleConversation *conv, GList *users)
{
  TbEvent *ev = conv_event (TB_EV_CHAT_USERS_REMOVED, conv);
  GString *names = g_string_new (NULL);

  for (GList *l = users; l != NULL; l = l->next)
    g_string_append_printf (names, "%s%s", names->len ? "\n" : "", (const char *) l->data);
  ev->text = g_string_free (names, FALSE);
  event_done (ev);
}

static gboolean
conv_has_focus (PurpleConversation *conv)
{
  return FALSE;
}

static PurpleConversationUiOps conv_ops = {
  .create_conversation = conv_create,
  .destroy_conversation = conv_destroy,
  .write_conv = conv_write,
  .chat_add_users = conv_chat_add_users,
  .chat_rename_user = conv_chat_rename_user,
  .chat_remove_users = conv_chat_remove_users,
  .has_focus = conv_has_focus,
};

static void
on_chat_joined (PurpleConversation *conv, gpointer data)
{
  event_done (conv_event (TB_EV_CHAT_JOINED, conv));
}

static void
on_chat_left (PurpleConversation *conv, gpointer data)
{
  event_done (conv_event (TB_EV_CHAT_LEFT, conv));
}

static void
on_chat_topic_changed (PurpleConversation *conv, const char *who, const char *topic, gpointer data)
{
  TbEvent *ev = conv_event (TB_EV_CHAT_TOPIC, conv);

  ev->who = g_strdup (who);
  ev->text = g_strdup (topic);
  event_done (ev);
}

/* ------------------------------------------------------------------------------------------ */
/* Core                                                                                        */

static GHashTable *
ui_info (void)
{
  static GHashTable *info;

  if (info == NULL)
    {
      info = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (info, "name", "purple-teams-graph test bed");
      g_hash_table_insert (info, "version", "1");
      g_hash_table_insert (info, "client_type", "bot");
    }
  return info;
}

static void
ui_init (void)
{
  purple_connections_set_ui_ops (&conn_ops);
  purple_conversations_set_ui_ops (&conv_ops);
  purple_request_set_ui_ops (&request_ops);
  purple_notify_set_ui_ops (&notify_ops);
  purple_blist_set_ui_ops (&blist_ops);
}

static void
debug_ui_init (void)
{
  purple_debug_set_ui_ops (&debug_ops);
}

static PurpleCoreUiOps core_ops = {
  .debug_ui_init = debug_ui_init,
  .ui_init = ui_init,
  .get_ui_info = ui_info,
};

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
remove_user_dir (void)
{
  if (tb.user_dir != NULL)
    remove_tree (tb.user_dir);
  g_clear_pointer (&tb.user_dir, g_free);
}

/* A failed g_assert aborts: the temp user dir (which holds tokens) goes anyway. */
static void
on_abort (int sig)
{
  remove_user_dir ();
  signal (sig, SIG_DFL);
  raise (sig);
}

void
tb_init (void)
{
  const char *build_dir = g_getenv ("TG_BUILD_DIR");
  g_autofree char *plugin_dir = NULL;
  g_autofree char *plugin_file = NULL;
  GError *error = NULL;

  if (tb.initialised)
    return;
  tb.initialised = TRUE;
  tb.verbose = g_getenv ("TB_VERBOSE") != NULL && !g_str_equal (g_getenv ("TB_VERBOSE"), "0");
  tb.events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  tb.debug = g_string_new (NULL);
  tb.fakes = g_ptr_array_new ();
  tb.connect_start = g_hash_table_new (NULL, NULL);

  /* Capture everything, g_debug included, into the debug buffer. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);
  previous_default_handler = g_log_set_default_handler (log_handler, NULL);

  /* 1. a fresh user dir, or libpurple would use ~/.purple */
  tb.user_dir = g_dir_make_tmp ("tg-testbed-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_user_dir);
  signal (SIGABRT, on_abort);
  purple_util_set_user_dir (tb.user_dir);
  /* libpurple's Jabber plugin starts the media manager, which makes GStreamer probe every
   * audio/video device (PulseAudio, Vulkan…): slow, noisy under valgrind, and leaky. No
   * GStreamer plugins, and a registry in the temp dir instead of ~/.cache. */
  {
    g_autofree char *registry = g_build_filename (tb.user_dir, "gst-registry.bin", NULL);
    g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
    g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
    g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
    g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  }

  /* 2. libpurple on the GLib main loop; no console debug (the ui ops capture it) */
  purple_debug_set_enabled (FALSE);
  purple_core_set_ui_ops (&core_ops);
  purple_eventloop_set_ui_ops (&loop_ops);

  /* 3. the plugin search path before init (init probes the plugins) */
  plugin_dir = build_dir != NULL ? g_strdup (build_dir) : g_canonicalize_filename ("build", NULL);
  plugin_file = g_build_filename (plugin_dir, "libteams-graph.so", NULL);
  if (!g_file_test (plugin_file, G_FILE_TEST_EXISTS))
    g_error ("test bed: %s not found (set TG_BUILD_DIR to the build directory)", plugin_file);
  purple_plugins_add_search_path (plugin_dir);

  /* 4. core, buddy list, prefs */
  if (!purple_core_init (TB_UI_ID))
    g_error ("test bed: purple_core_init failed");
  purple_set_blist (purple_blist_new ());
  purple_blist_load ();
  purple_prefs_load ();
  /* No idle reporting or away changes behind the tests' backs. */
  purple_prefs_set_string ("/purple/away/idle_reporting", "none");
  purple_prefs_set_bool ("/purple/away/away_when_idle", FALSE);

  purple_signal_connect (purple_conversations_get_handle (), "chat-joined", &tb.signal_handle,
                         PURPLE_CALLBACK (on_chat_joined), NULL);
  purple_signal_connect (purple_conversations_get_handle (), "chat-left", &tb.signal_handle,
                         PURPLE_CALLBACK (on_chat_left), NULL);
  purple_signal_connect (purple_conversations_get_handle (), "chat-topic-changed",
                         &tb.signal_handle, PURPLE_CALLBACK (on_chat_topic_changed), NULL);

  if (purple_find_prpl (TB_PLUGIN_ID) == NULL)
    {
      /* libpurple said why in its debug output (e.g. "undefined symbol: …"). */
      GString *why = g_string_new (NULL);
      g_auto (GStrv) lines = g_strsplit (tb.debug->str, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (strstr (lines[i], plugin_file) != NULL)
          g_string_append_printf (why, "\n  %s", lines[i]);
      g_error ("test bed: %s did not register %s%s", plugin_file, TB_PLUGIN_ID, why->str);
    }
}

typedef struct {
  void (*test) (void);
} TbTest;

static void
run_test (gconstpointer data)
{
  const TbTest *t = data;

  t->test ();
  tb_reset ();
}

void
tb_add (const char *path, void (*test) (void))
{
  TbTest *t = g_new0 (TbTest, 1);

  t->test = test;
  g_test_add_data_func_full (path, t, run_test, g_free);
}

int
tb_run (void)
{
  int result = g_test_run ();

  tb_reset ();
  purple_signals_disconnect_by_handle (&tb.signal_handle);
  purple_core_quit ();
  tb_drain ();
  remove_user_dir ();
  g_ptr_array_unref (tb.events);
  g_ptr_array_unref (tb.fakes);
  g_hash_table_unref (tb.connect_start);
  g_string_free (tb.debug, TRUE);
  tb.debug = NULL;
  return result;
}

void
tb_reset (void)
{
  GList *accounts = g_list_copy (purple_accounts_get_all ());

  for (GList *l = accounts; l != NULL; l = l->next)
    tb_account_disconnect (l->data);
  for (GList *l = accounts; l != NULL; l = l->next)
    purple_accounts_delete (l->data);
  g_list_free (accounts);
  g_hash_table_remove_all (tb.connect_start);
  /* Cancelled requests finish from idles, and the emulators must see the plugin's
   * connections close before they go (or libsoup leaks the server end). */
  tb_run_for (20);

  /* Close what the plugin left open (closing calls back into libpurple, not into us). */
  for (guint i = 0; i < tb.events->len; i++)
    {
      TbEvent *ev = tb.events->pdata[i];
      if (tb_request_is_open (ev))
        tb_request_close (ev);
    }
  for (guint i = 0; i < tb.fakes->len; i++)
    fake_graph_free (tb.fakes->pdata[i]);
  g_ptr_array_set_size (tb.fakes, 0);
  tb_run_for (20);
  g_ptr_array_set_size (tb.events, 0);
  tb.mark = 0;
  tb_debug_log_clear ();
}

/* ------------------------------------------------------------------------------------------ */
/* Emulator and accounts                                                                       */

static FakeGraph *
fake_started (FakeGraph *fg)
{
  GError *error = NULL;

  if (!fake_graph_listen (fg, 0, &error))
    g_error ("test bed: the emulator cannot listen: %s", error->message);
  fake_graph_set_device_interval (fg, 0);
  g_ptr_array_add (tb.fakes, fg);
  return fg;
}

FakeGraph *
tb_fake_new (const char *me_upn)
{
  return fake_started (fake_graph_new (me_upn));
}

FakeGraph *
tb_fake_new_from_file (const char *path)
{
  GError *error = NULL;
  FakeGraph *fg = fake_graph_new_from_file (path, &error);

  if (fg == NULL)
    g_error ("test bed: the tenant %s does not load: %s", path, error->message);
  return fake_started (fg);
}

PurpleAccount *
tb_account_new (FakeGraph *fg, const char *upn)
{
  PurpleAccount *account = purple_account_new (upn, TB_PLUGIN_ID);

  purple_accounts_add (account);
  if (fg != NULL)
    {
      purple_account_set_string (account, "graph_url", fake_graph_graph_url (fg));
      purple_account_set_string (account, "login_url", fake_graph_base_url (fg));
    }
  return account;
}

PurpleAccount *
tb_account_new_signed_in (FakeGraph *fg, const char *upn)
{
  PurpleAccount *account = tb_account_new (fg, upn);
  char *refresh_token = fake_graph_issue_refresh_token (fg);

  purple_account_set_remember_password (account, TRUE);
  purple_account_set_password (account, refresh_token);
  memset (refresh_token, 0, strlen (refresh_token));
  g_free (refresh_token);
  return account;
}

void
tb_account_connect (PurpleAccount *account)
{
  g_hash_table_insert (tb.connect_start, account, GUINT_TO_POINTER (tb.events->len + 1));
  purple_account_set_enabled (account, TB_UI_ID, TRUE);
  if (purple_account_is_disconnected (account))
    purple_account_set_status (account, "available", TRUE, NULL);
  if (purple_account_is_disconnected (account))
    purple_account_connect (account);
}

void
tb_account_disconnect (PurpleAccount *account)
{
  purple_account_set_enabled (account, TB_UI_ID, FALSE);
  /* After a connection error libpurple disconnects from a timeout, and set_enabled ignores a
   * connection that "wants to die": disconnect now so that nothing is left pending. */
  if (!purple_account_is_disconnected (account))
    purple_account_disconnect (account);
}

gpointer
tb_account_protocol_data (PurpleAccount *account)
{
  PurpleConnection *gc = purple_account_get_connection (account);

  return gc != NULL ? purple_connection_get_protocol_data (gc) : NULL;
}

guint
tb_unused_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GError *error = NULL;
  guint port;

  g_assert_nonnull (socket);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* Bound but never listening, then closed: connections are refused. */
  g_socket_close (socket, NULL);
  return port;
}

/* ------------------------------------------------------------------------------------------ */
/* Waiting                                                                                     */

static gboolean
on_guard (gpointer data)
{
  gboolean *tripped = data;

  *tripped = TRUE;
  return G_SOURCE_REMOVE;
}

static guint
scaled_timeout (guint timeout_ms)
{
  const char *scale = g_getenv ("TB_TIMEOUT_SCALE");
  double factor = scale != NULL ? g_ascii_strtod (scale, NULL) : 1.0;

  if (timeout_ms == 0)
    timeout_ms = TB_DEFAULT_TIMEOUT_MS;
  if (factor < 1.0)
    factor = 1.0;
  return (guint) MIN (timeout_ms * factor, (double) G_MAXUINT);
}

static void
report_hang (const char *file, int line, const char *func, const char *what, guint timeout_ms)
{
  g_autofree char *events = tb_events_dump ();
  const char *log = tb.debug->str;
  gsize len = tb.debug->len;
  g_autofree char *message = NULL;

  if (len > 8000)
    log += len - 8000;
  g_test_message ("events:\n%s", events);
  g_test_message ("debug log (tail):\n%s", log);
  message = g_strdup_printf ("tb_wait: \"%s\" did not happen within %u ms", what, timeout_ms);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, message);
}

gboolean
tb_wait_full (const char *file, int line, const char *func, const char *what,
              TbCondition condition, gpointer data, guint timeout_ms)
{
  gboolean tripped = FALSE;
  guint ms = scaled_timeout (timeout_ms);
  guint guard;

  if (condition (data))
    return TRUE;
  guard = g_timeout_add (ms, on_guard, &tripped);
  while (!condition (data) && !tripped)
    g_main_context_iteration (NULL, TRUE);
  if (!tripped)
    {
      g_source_remove (guard);
      return TRUE;
    }
  report_hang (file, line, func, what, ms);
  return FALSE;
}

gboolean
tb_cond_disconnected (gpointer account)
{
  return purple_account_is_disconnected (account);
}

static TbEvent *
error_since_connect (PurpleAccount *account)
{
  guint start = GPOINTER_TO_UINT (g_hash_table_lookup (tb.connect_start, account));

  for (guint i = start > 0 ? start - 1 : 0; i < tb.events->len; i++)
    {
      TbEvent *ev = tb.events->pdata[i];
      if (ev->account == account && ev->type == TB_EV_CONN_ERROR)
        return ev;
    }
  return NULL;
}

static gboolean
cond_connected_or_failed (gpointer account)
{
  return purple_account_is_connected (account) || error_since_connect (account) != NULL
         || purple_account_is_disconnected (account);
}

void
tb_wait_connected_full (const char *file, int line, const char *func, PurpleAccount *account)
{
  TbEvent *error;

  if (!tb_wait_full (file, line, func, "connected", cond_connected_or_failed, account, 0))
    return;
  if (purple_account_is_connected (account))
    return;
  error = error_since_connect (account);
  {
    g_autofree char *events = tb_events_dump ();
    g_autofree char *message = g_strdup_printf (
      "tb_wait_connected: %s did not connect: %s", purple_account_get_username (account),
      error != NULL ? error->text : "disconnected without an error");
    g_test_message ("events:\n%s", events);
    g_assertion_message (G_LOG_DOMAIN, file, line, func, message);
  }
}

typedef struct {
  TbEventType type;
  const char *substring;
} EventWait;

static gboolean
cond_event (gpointer data)
{
  EventWait *w = data;

  return tb_events_find (w->type, w->substring) != NULL;
}

TbEvent *
tb_wait_event_full (const char *file, int line, const char *func, TbEventType type,
                    const char *substring)
{
  EventWait w = { type, substring };
  g_autofree char *what = g_strdup_printf ("event %s \"%s\"", tb_event_type_name (type),
                                           substring != NULL ? substring : "");

  if (!tb_wait_full (file, line, func, what, cond_event, &w, 0))
    return NULL;
  return tb_events_find (type, substring);
}

void
tb_run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_guard, &done);   /* removes itself when it fires */
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
tb_drain (void)
{
  for (int i = 0; i < 1000 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}
