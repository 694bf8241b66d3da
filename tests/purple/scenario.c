/* scenario — the steps many test-bed scenarios share (see scenario.h). */
#include "purple/scenario.h"

#include <stdarg.h>
#include <string.h>

#include "common/graph-fixture.h"

/* ---- the tenant ---- */

FakeGraph *
sc_tenant_new (const char *me_upn, ...)
{
  FakeGraph *fg = tb_fake_new (me_upn);
  const char *upn;
  va_list ap;

  va_start (ap, me_upn);
  while ((upn = va_arg (ap, const char *)) != NULL)
    fake_graph_add_user (fg, upn, va_arg (ap, const char *));
  va_end (ap);
  return fg;
}

const char *
sc_group_chat (FakeGraph *fg, const char *topic, ...)
{
  g_autoptr (GPtrArray) members = g_ptr_array_new ();
  const char *upn;
  va_list ap;

  va_start (ap, topic);
  while ((upn = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (members, (gpointer) upn);
  va_end (ap);
  g_ptr_array_add (members, NULL);
  return fake_graph_add_chat (fg, "group", topic, (const char **) members->pdata);
}

const char *
sc_one_on_one (FakeGraph *fg, const char *upn, const char *display_name)
{
  const char *members[] = { upn, NULL };

  if (fake_graph_user_id (fg, upn) == NULL)
    fake_graph_add_user (fg, upn, display_name);
  return fake_graph_add_chat (fg, "oneOnOne", NULL, members);
}

/* ---- accounts ---- */

PurpleAccount *
sc_account_new (FakeGraph *fg, int poll_s)
{
  PurpleAccount *acc = tb_account_new_signed_in (fg, fake_graph_me_upn (fg));

  purple_account_set_int (acc, "poll_interval", poll_s);
  purple_account_set_string (acc, "sync_time_scale", SC_TIME_SCALE);
  return acc;
}

PurpleAccount *
sc_connect_new (FakeGraph *fg, int poll_s)
{
  PurpleAccount *acc = sc_account_new (fg, poll_s);

  tb_account_connect (acc);
  tb_wait_connected (acc);
  return acc;
}

PurpleAccount *
sc_connect_and_sync (FakeGraph *fg, int poll_s)
{
  PurpleAccount *acc = sc_connect_new (fg, poll_s);

  sc_wait_chat_list (acc);
  return acc;
}

static gboolean
cond_chat_list (gpointer data)
{
  PurpleAccount *acc = data;

  for (PurpleBlistNode *n = purple_blist_get_root (); n != NULL; n = purple_blist_node_next (n, TRUE))
    if ((PURPLE_BLIST_NODE_IS_CHAT (n) && purple_chat_get_account (PURPLE_CHAT (n)) == acc)
        || (PURPLE_BLIST_NODE_IS_BUDDY (n) && purple_buddy_get_account (PURPLE_BUDDY (n)) == acc))
      return TRUE;
  return FALSE;
}

void
sc_wait_chat_list_at (const char *file, int line, const char *func, PurpleAccount *acc)
{
  tb_wait_full (file, line, func, "the chat list in the buddy list", cond_chat_list, acc, 0);
}

/* ---- the request log ---- */

typedef struct {
  FakeGraph *fg;
  const char *method;
  const char *glob;
  guint n;
} CountWait;

static gboolean
cond_count (gpointer data)
{
  CountWait *w = data;

  return fake_graph_count (w->fg, w->method, w->glob) >= w->n;
}

void
sc_wait_requests_at (const char *file, int line, const char *func, FakeGraph *fg,
                     const char *method, const char *glob, guint n)
{
  CountWait w = { fg, method, glob, n };
  g_autofree char *what = g_strdup_printf ("%u requests %s %s", n, method, glob);

  tb_wait_full (file, line, func, what, cond_count, &w, 0);
}

static gboolean
request_matches (FakeRequest *r, const char *method, GPatternSpec *glob)
{
  return g_str_equal (r->method, method) && g_pattern_spec_match_string (glob, r->path);
}

static gboolean
query_has_all (const char *query, va_list parts)
{
  const char *part;

  while ((part = va_arg (parts, const char *)) != NULL)
    if (query == NULL || strstr (query, part) == NULL)
      return FALSE;
  return TRUE;
}

guint
sc_count_with_query (FakeGraph *fg, const char *method, const char *glob, ...)
{
  GPtrArray *log = fake_graph_requests (fg);
  g_autoptr (GPatternSpec) spec = g_pattern_spec_new (glob);
  guint n = 0;

  for (guint i = 0; i < log->len; i++)
    {
      FakeRequest *r = log->pdata[i];
      va_list parts;

      va_start (parts, glob);
      if (request_matches (r, method, spec) && query_has_all (r->query, parts))
        n++;
      va_end (parts);
    }
  return n;
}

/* A request the test expects is not in the log: fails the test. */
static FakeRequest *
no_request (const char *method, const char *glob)
{
  g_autofree char *message = g_strdup_printf ("no request %s %s in the emulator's log", method, glob);

  g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message);
  return NULL;
}

FakeRequest *
sc_last_request (FakeGraph *fg, const char *method, const char *glob)
{
  FakeRequest *r = gf_last_request (fg, method, glob);

  return r != NULL ? r : no_request (method, glob);
}

FakeRequest *
sc_nth_request (FakeGraph *fg, const char *method, const char *glob, guint n)
{
  GPtrArray *log = fake_graph_requests (fg);
  g_autoptr (GPatternSpec) spec = g_pattern_spec_new (glob);

  for (guint i = 0; i < log->len; i++)
    if (request_matches (log->pdata[i], method, spec) && n-- == 0)
      return log->pdata[i];
  return no_request (method, glob);
}

/* ---- conversations ---- */

typedef struct {
  const char *text;
  guint n;
} WriteWait;

static gboolean
cond_writes (gpointer data)
{
  WriteWait *w = data;

  return sc_count_writes (w->text) >= w->n;
}

void
sc_wait_writes_at (const char *file, int line, const char *func, const char *text, guint n)
{
  WriteWait w = { text, n };
  g_autofree char *what = g_strdup_printf ("%u writes \"%s\"", n, text);

  tb_wait_full (file, line, func, what, cond_writes, &w, 0);
}

PurpleConversation *
sc_im_conv (PurpleAccount *acc, const char *who)
{
  PurpleConversation *conv = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, who, acc);

  return conv != NULL ? conv : purple_conversation_new (PURPLE_CONV_TYPE_IM, acc, who);
}

void
sc_send_im (PurpleAccount *acc, const char *who, const char *text)
{
  purple_conv_im_send (PURPLE_CONV_IM (sc_im_conv (acc, who)), text);
}

PurpleConversation *
sc_chat_conv (PurpleAccount *acc, const char *chat_id)
{
  PurpleConversation *conv =
    purple_find_conversation_with_account (PURPLE_CONV_TYPE_CHAT, chat_id, acc);

  return conv != NULL && !purple_conv_chat_has_left (PURPLE_CONV_CHAT (conv)) ? conv : NULL;
}

typedef struct {
  PurpleAccount *acc;
  const char *chat_id;
} ConvWait;

static gboolean
cond_chat_conv (gpointer data)
{
  ConvWait *w = data;

  return sc_chat_conv (w->acc, w->chat_id) != NULL;
}

PurpleConversation *
sc_wait_chat_conv_at (const char *file, int line, const char *func, PurpleAccount *acc,
                      const char *chat_id)
{
  ConvWait w = { acc, chat_id };
  g_autofree char *what = g_strdup_printf ("in chat %s", chat_id);

  tb_wait_full (file, line, func, what, cond_chat_conv, &w, 0);
  return sc_chat_conv (acc, chat_id);
}

void
sc_join (PurpleAccount *acc, const char *id, const char *topic)
{
  GHashTable *components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (id != NULL)
    g_hash_table_insert (components, g_strdup ("id"), g_strdup (id));
  if (topic != NULL)
    g_hash_table_insert (components, g_strdup ("topic"), g_strdup (topic));
  serv_join_chat (purple_account_get_connection (acc), components);
  g_hash_table_destroy (components);
}

gboolean
sc_has_user (PurpleConversation *conv, const char *name)
{
  return purple_conv_chat_cb_find (PURPLE_CONV_CHAT (conv), name) != NULL;
}

typedef struct {
  PurpleConversation *conv;
  const char *name;
  gboolean present;
} UserWait;

static gboolean
cond_user (gpointer data)
{
  UserWait *w = data;

  return sc_has_user (w->conv, w->name) == w->present;
}

void
sc_wait_user_at (const char *file, int line, const char *func, PurpleConversation *conv,
                 const char *name, gboolean present)
{
  UserWait w = { conv, name, present };
  g_autofree char *what = g_strdup_printf ("%s %s the chat", name, present ? "in" : "out of");

  tb_wait_full (file, line, func, what, cond_user, &w, 0);
}

/* ---- commands ---- */

PurpleCmdStatus
sc_command (PurpleConversation *conv, const char *cmdline, const char *markup, char **error_out)
{
  char *error = NULL;
  PurpleCmdStatus status =
    purple_cmd_do_command (conv, cmdline, markup != NULL ? markup : cmdline, &error);

  if (error_out != NULL)
    *error_out = error;
  else
    g_free (error);
  return status;
}

void
sc_run_command (PurpleConversation *conv, const char *cmdline)
{
  g_autofree char *error = NULL;
  PurpleCmdStatus status = sc_command (conv, cmdline, NULL, &error);

  if (status != PURPLE_CMD_STATUS_OK)
    g_error ("/%s: status %d (%s)", cmdline, status, error != NULL ? error : "");
}

/* ---- secrets ---- */

void
sc_assert_secret_hidden (const char *secret, guint number)
{
  GPtrArray *events = tb_events ();

  if (strstr (tb_debug_log (), secret) != NULL)
    g_error ("secret #%u (%zu chars) found in the debug log", number, strlen (secret));
  for (guint e = 0; e < events->len; e++)
    {
      TbEvent *ev = events->pdata[e];

      if (ev->type == TB_EV_CONN_ERROR && ev->text != NULL && strstr (ev->text, secret) != NULL)
        g_error ("secret #%u found in a connection error", number);
    }
}

/* ---- messages and buddies ---- */

time_t
sc_server_time (FakeGraph *fg, const char *chat_id, const char *message_id, const char *field)
{
  g_autoptr (JsonNode) node = fake_graph_message_json (fg, chat_id, message_id);
  g_autoptr (GDateTime) dt = NULL;
  const char *iso;

  g_assert_nonnull (node);
  iso = json_object_get_string_member (json_node_get_object (node), field);
  g_assert_nonnull (iso);
  dt = g_date_time_new_from_iso8601 (iso, NULL);
  g_assert_nonnull (dt);
  return (time_t) g_date_time_to_unix (dt);
}

PurpleStatus *
sc_buddy_status (PurpleAccount *acc, const char *name)
{
  PurpleBuddy *buddy = purple_find_buddy (acc, name);

  return buddy != NULL ? purple_presence_get_active_status (purple_buddy_get_presence (buddy)) : NULL;
}

typedef struct {
  PurpleAccount *acc;
  const char *name;
  const char *status_id;
} StatusWait;

static gboolean
cond_buddy_status (gpointer data)
{
  StatusWait *w = data;
  PurpleStatus *status = sc_buddy_status (w->acc, w->name);

  return status != NULL && g_strcmp0 (purple_status_get_id (status), w->status_id) == 0;
}

void
sc_wait_buddy_status_at (const char *file, int line, const char *func, PurpleAccount *acc,
                         const char *name, const char *status_id)
{
  StatusWait w = { acc, name, status_id };
  g_autofree char *what = g_strdup_printf ("%s %s", name, status_id);

  tb_wait_full (file, line, func, what, cond_buddy_status, &w, 0);
}
