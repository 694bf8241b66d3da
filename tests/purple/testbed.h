/* testbed — a headless libpurple client for scenario tests (tests/purple/test-*.c).
 *
 * It loads the built plugin from $TG_BUILD_DIR exactly as Pidgin/Finch do (dlopen through
 * libpurple's plugin search path), runs libpurple on the GLib main loop, and records what a
 * user would see, in order, as events: connection progress/state/errors, request and notify
 * dialogs (which the test can answer or close — nothing ever blocks), conversation writes,
 * chat joins/topics/members. It also keeps the whole debug output (purple debug + GLib log,
 * G_MESSAGES_DEBUG=all) in one buffer, for secret-leak checks and for failure reports.
 *
 * A scenario:
 *
 *   static void
 *   test_hello (void)
 *   {
 *     FakeGraph *fg = tb_fake_new ("alice@contoso.com");     // emulator on 127.0.0.1:<any>
 *     PurpleAccount *acc = tb_account_new (fg, "alice@contoso.com");   // or _signed_in: no prompt
 *     TbEvent *ev;
 *
 *     tb_account_connect (acc);
 *     ev = tb_wait_event (TB_EV_REQUEST, "enter the code");   // the device code prompt
 *     g_assert_nonnull (strstr (ev->primary, fake_graph_last_user_code (fg)));
 *     tb_wait_connected (acc);                                 // fails the test on an error
 *     ...
 *   }                                                          // tb_reset() runs after each test
 *
 *   int
 *   main (int argc, char **argv)
 *   {
 *     g_test_init (&argc, &argv, NULL);
 *     tb_init ();
 *     tb_add ("/signin/hello", test_hello);
 *     return tb_run ();
 *   }
 *
 * Rules: waiting = iterating the main context until a condition holds, with a hang guard
 * (default 20 s, × $TB_TIMEOUT_SCALE) that fails the test and prints the events and the end of
 * the debug log; never assert on elapsed time. The test bed never reconnects an account by
 * itself (libpurple leaves that to the UI): a test sees each connection error exactly once.
 * $TB_VERBOSE=1 also prints the debug log (and each event) to stderr as it happens.
 *
 * The plugin's per-connection state is reachable for white-box steps: include
 * "purple/tgp-account.h" and use (TgpAccount *) tb_account_protocol_data (acc), e.g. to send a
 * Graph request through ta->graph with ta->cancellable (the test links its own copy of the core,
 * which works on the plugin's objects: same code, same layout).
 *
 * Steps that many scenarios share (a tenant with chats, a signed-in account that polls fast,
 * waiting for requests/polls/writes, the request log, joins, commands) are in scenario.h.
 */
#pragma once
#include <purple.h>

#include "fake-graph/fake-graph.h"

G_BEGIN_DECLS

#define TB_UI_ID "tg-testbed"
#define TB_PLUGIN_ID "prpl-teams-graph"
#define TB_DEFAULT_TIMEOUT_MS 20000

typedef enum {
  TB_EV_PROGRESS,          /* connect_progress: text, code = step */
  TB_EV_CONNECTED,         /* the connection reached PURPLE_CONNECTED */
  TB_EV_DISCONNECTED,      /* the connection was destroyed */
  TB_EV_CONN_ERROR,        /* report_disconnect_reason: code = PurpleConnectionError, text, fatal */
  TB_EV_NOTICE,            /* connection notice: text */
  TB_EV_REQUEST,           /* a request dialog: code = PurpleRequestType, title/primary/secondary,
                            * text = default value (input); answer it with tb_request_* */
  TB_EV_REQUEST_CLOSED,    /* a request dialog was closed (by the plugin or by an answer) */
  TB_EV_NOTIFY,            /* a notification: code = PurpleNotifyType, title/primary/secondary;
                            * text = formatted text / user info / URI / search result rows */
  TB_EV_NOTIFY_CLOSED,
  TB_EV_WRITE,             /* write_conv: conv, who, alias, text = message, flags, mtime,
                            * code = PurpleConversationType */
  TB_EV_CONV_CREATED,      /* conv, code = PurpleConversationType */
  TB_EV_CONV_DESTROYED,    /* conv */
  TB_EV_CHAT_JOINED,       /* "chat-joined" signal: conv */
  TB_EV_CHAT_LEFT,         /* "chat-left" signal: conv */
  TB_EV_CHAT_TOPIC,        /* "chat-topic-changed": conv, who, text = topic */
  TB_EV_CHAT_USERS_ADDED,  /* chat_add_users: conv, text = names separated by "\n" */
  TB_EV_CHAT_USERS_REMOVED,/* chat_remove_users: conv, text = names separated by "\n" */
  TB_EV_CHAT_USER_RENAMED, /* chat_rename_user: conv, who = old name, text = new name, alias */
  TB_EV_ADD_BUDDY,         /* purple_blist_request_add_buddy: who = user name, alias, text = group */
  TB_EV_ANY = -1           /* for the find functions: any type */
} TbEventType;

typedef struct _TbRequest TbRequest;

typedef struct {
  TbEventType type;
  guint index;                 /* position in the event log (0-based) */
  PurpleAccount *account;      /* NULL when libpurple gives none (e.g. notify_message) */
  int code;                    /* see the type */
  int detail;                  /* TB_EV_NOTIFY from notify_message: PurpleNotifyMsgType */
  gboolean fatal;              /* TB_EV_CONN_ERROR: purple_connection_error_is_fatal (code) */
  char *conv;
  char *who;
  char *alias;
  char *title;
  char *primary;
  char *secondary;
  char *text;
  PurpleMessageFlags flags;
  time_t mtime;
  TbRequest *request;          /* TB_EV_REQUEST / TB_EV_NOTIFY: the dialog */
} TbEvent;

/* ---- set-up ---- */
/* Once per process, after g_test_init: temp user dir, ui ops, plugin path, purple_core_init,
 * blist, prefs. Aborts when the plugin cannot be found. */
void tb_init (void);
/* g_test_add_func with tb_reset() after the test. */
void tb_add (const char *path, void (*test) (void));
/* g_test_run, then shuts libpurple down and removes the temp user dir. */
int tb_run (void);
/* Disconnects and deletes every account, closes open dialogs, frees the emulators from
 * tb_fake_new, clears the events and the debug log. */
void tb_reset (void);

/* ---- the emulator and accounts ---- */
/* A FakeGraph listening on 127.0.0.1 (any port), freed by tb_reset. Device codes are
 * auto-approved after 1 poll (the emulator's default) and may be polled without waiting
 * (device interval 0), so a device code sign-in costs milliseconds. */
FakeGraph *tb_fake_new (const char *me_upn);
/* The same with the organisation of a tenant JSON file (tests/fake-graph/README.md); a file
 * that does not load fails the test. */
FakeGraph *tb_fake_new_from_file (const char *path);
/* A prpl-teams-graph account `upn` (added to libpurple's account list, not yet enabled) whose
 * graph_url/login_url point at `fg` (when non-NULL). */
PurpleAccount *tb_account_new (FakeGraph *fg, const char *upn);
/* The same, with a refresh token from the emulator as the remembered password: connecting
 * signs in without a device code prompt (what most messaging scenarios want). */
PurpleAccount *tb_account_new_signed_in (FakeGraph *fg, const char *upn);
/* Enables the account for the test bed UI with an available status: libpurple connects it. */
void tb_account_connect (PurpleAccount *account);
/* Disables it: libpurple disconnects (calls the prpl's close) synchronously. */
void tb_account_disconnect (PurpleAccount *account);
/* The plugin's per-connection data (purple_connection_get_protocol_data), NULL when offline. */
gpointer tb_account_protocol_data (PurpleAccount *account);
/* A TCP port on 127.0.0.1 that nothing listens on (for "server unreachable"). */
guint tb_unused_port (void);

/* ---- waiting ---- */
typedef gboolean (*TbCondition) (gpointer data);
/* Iterates the default main context until `condition (data)` holds. When `timeout_ms` (0 =
 * the default) passes first, the test fails with `what`, the events and the debug log tail. */
#define tb_wait(condition, data, timeout_ms) \
  tb_wait_full (__FILE__, __LINE__, G_STRFUNC, #condition, (condition), (data), (timeout_ms))
gboolean tb_wait_full (const char *file, int line, const char *func, const char *what,
                       TbCondition condition, gpointer data, guint timeout_ms);
/* Waits until the account is connected; fails the test (with the error text) when it reports
 * a connection error or disconnects instead. */
#define tb_wait_connected(account) tb_wait_connected_full (__FILE__, __LINE__, G_STRFUNC, (account))
void tb_wait_connected_full (const char *file, int line, const char *func, PurpleAccount *account);
/* Waits until the account is disconnected (after an error libpurple disconnects from an idle). */
#define tb_wait_disconnected(account) \
  tb_wait_full (__FILE__, __LINE__, G_STRFUNC, "disconnected", tb_cond_disconnected, (account), 0)
gboolean tb_cond_disconnected (gpointer account);
/* Waits for an event of `type` (TB_EV_ANY = any) whose text fields contain `substring` (NULL =
 * any), at or after the events mark (tb_events_mark); returns it. */
#define tb_wait_event(type, substring) \
  tb_wait_event_full (__FILE__, __LINE__, G_STRFUNC, (type), (substring))
TbEvent *tb_wait_event_full (const char *file, int line, const char *func, TbEventType type,
                             const char *substring);
/* Runs the main loop for `ms` milliseconds (to check that nothing more happens). */
void tb_run_for (guint ms);
/* Runs whatever is ready now (pending sources), without waiting. */
void tb_drain (void);

/* ---- events ---- */
/* All events so far (TbEvent*), oldest first. Owned by the test bed. */
GPtrArray *tb_events (void);
/* Later finds/waits only look at events from here on; returns the mark (an index). */
guint tb_events_mark (void);
void tb_events_set_mark (guint mark);
/* The first event at or after the mark of `type` (TB_EV_ANY = any) whose conv, who, alias,
 * title, primary, secondary or text contains `substring` (NULL = any); NULL when none. */
TbEvent *tb_events_find (TbEventType type, const char *substring);
/* The same, counting matches. */
guint tb_events_count (TbEventType type, const char *substring);
/* The last connection error of `account` at or after the mark, NULL when none. */
TbEvent *tb_last_error (PurpleAccount *account);
/* One line per event, for test messages. */
char *tb_events_dump (void);
const char *tb_event_type_name (TbEventType type);

/* ---- dialogs ---- */
/* TRUE while the request/notify dialog of `event` is open. */
gboolean tb_request_is_open (TbEvent *event);
/* request_action: runs the action with this index / label (e.g. "Cancel sign-in"), then closes
 * the dialog as a client does. FALSE when no such action or the dialog is closed. */
gboolean tb_request_choose (TbEvent *event, int index);
gboolean tb_request_choose_label (TbEvent *event, const char *label);
/* Labels of a request_action's actions (NULL-terminated, owned by the test bed). */
const char *const *tb_request_action_labels (TbEvent *event);
/* request_input: answers OK with `text`. request_fields: answers OK (set values first through
 * tb_request_fields). request_choice: answers OK with `choice` (pass it as text, e.g. "1"). */
gboolean tb_request_ok (TbEvent *event, const char *text);
/* Answers Cancel (request_input/fields/choice: the cancel callback; request_action: nothing). */
gboolean tb_request_cancel (TbEvent *event);
/* Closes the dialog without answering (the user closed the window). */
gboolean tb_request_close (TbEvent *event);
/* request_fields: the fields to fill in before tb_request_ok. */
PurpleRequestFields *tb_request_fields (TbEvent *event);

/* ---- account actions and search results ---- */
/* Runs the account action labelled `label` as a client's account menu does (context = the
 * connection); FALSE when the account is offline or the plugin has no such action. */
gboolean tb_account_action (PurpleAccount *account, const char *label);
/* A search results dialog (TB_EV_NOTIFY, code PURPLE_NOTIFY_SEARCHRESULTS; its rows are the
 * event's text): clicks the button labelled `label` with row `row` (0-based) selected. FALSE
 * when the dialog is closed or has no such button or row. */
gboolean tb_searchresults_click (TbEvent *event, const char *label, guint row);

/* ---- debug output ---- */
/* Everything purple_debug and GLib logged since the last tb_reset (one line per message,
 * "[category] text"). */
const char *tb_debug_log (void);
void tb_debug_log_clear (void);

G_END_DECLS
