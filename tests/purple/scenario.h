/* scenario — the steps many test-bed scenarios (tests/purple/test-*.c) share, built on the test
 * bed (testbed.h) and the emulator's request log (fake-graph.h): a tenant with users and chats,
 * a signed-in account that polls fast, waiting for requests, polls, conversation writes, joined
 * chats and participants, the logged requests, slash commands and secrets kept out of logs.
 *
 *   FakeGraph *fg = sc_tenant_new ("alice@contoso.com", BOB, "Bob Jones", NULL);
 *   const char *id = sc_group_chat (fg, "Plans", BOB, NULL);
 *   PurpleAccount *acc = sc_connect_and_sync (fg, 1);        // the chat list is in the blist
 *   PurpleConversation *conv = sc_join_and_wait (acc, id);
 *
 *   sc_run_command (conv, "topic New plans");
 *   sc_wait_requests (fg, "PATCH", chat_path, 1);           // chat_path: "/v1.0/chats/<id>"
 *   body = gf_request_body (sc_last_request (fg, "PATCH", chat_path), &keep);  // graph-fixture.h
 *   g_assert_cmpstr (json_object_get_string_member (body, "topic"), ==, "New plans");
 *
 * Every wait here is a tb_wait: it fails the test, at the caller's line, when the condition
 * does not hold within the test bed's hang guard. */
#pragma once
#include "purple/testbed.h"

G_BEGIN_DECLS

/* Every wait of the plugin × this (the sync_time_scale setting): a 1 s poll interval is 10 ms. */
#define SC_TIME_SCALE "0.01"

/* The caller's place, for the waits' failure messages. */
#define SC_HERE __FILE__, __LINE__, G_STRFUNC

/* ---- the tenant ---- */
/* An emulator (tb_fake_new) for `me_upn` with more users in its directory: pairs of UPN and
 * display name, then NULL. */
FakeGraph *sc_tenant_new (const char *me_upn, ...) G_GNUC_NULL_TERMINATED;
/* A group chat of the signed-in user and the users `...` (UPNs, then NULL), with `topic` (NULL:
 * none); returns its id. */
const char *sc_group_chat (FakeGraph *fg, const char *topic, ...) G_GNUC_NULL_TERMINATED;
/* A one-on-one chat with `upn`, who is added to the directory as `display_name` unless already
 * there; returns its id. */
const char *sc_one_on_one (FakeGraph *fg, const char *upn, const char *display_name);

/* ---- accounts ---- */
/* The account of the emulator's signed-in user, signed in (tb_account_new_signed_in: no
 * prompt), polling every `poll_s` seconds, every wait scaled by SC_TIME_SCALE; not connected. */
PurpleAccount *sc_account_new (FakeGraph *fg, int poll_s);
/* sc_account_new, connected (tb_wait_connected). */
PurpleAccount *sc_connect_new (FakeGraph *fg, int poll_s);
/* sc_connect_new, and the first chat list is in the buddy list (sc_wait_chat_list). */
PurpleAccount *sc_connect_and_sync (FakeGraph *fg, int poll_s);
/* Waits until the buddy list has a chat or a buddy of `acc` (the chat list arrived: it is
 * applied in one go). */
#define sc_wait_chat_list(acc) sc_wait_chat_list_at (SC_HERE, (acc))
void sc_wait_chat_list_at (const char *file, int line, const char *func, PurpleAccount *acc);

/* ---- the request log ---- */
/* Waits until the emulator has logged at least `n` requests of `method` to `glob`
 * (fake_graph_count's glob). */
#define sc_wait_requests(fg, method, glob, n) \
  sc_wait_requests_at (SC_HERE, (fg), (method), (glob), (n))
void sc_wait_requests_at (const char *file, int line, const char *func, FakeGraph *fg,
                          const char *method, const char *glob, guint n);
/* Waits until `n` more such requests than now have been logged (the arguments are evaluated
 * twice). */
#define sc_wait_more_requests(fg, method, glob, n) \
  sc_wait_requests_at (SC_HERE, (fg), (method), (glob), \
                       fake_graph_count ((fg), (method), (glob)) + (n))
/* The chat list: each poll cycle starts with GET SC_CHAT_LIST. */
#define SC_CHAT_LIST "/v1.0/me/chats"
/* Waits until `n` more poll cycles have been made. */
#define sc_wait_polls(fg, n) sc_wait_more_requests ((fg), "GET", SC_CHAT_LIST, (n))
/* How many logged requests of `method` to `glob` have a query that contains each of `...`
 * (strings, then NULL). */
guint sc_count_with_query (FakeGraph *fg, const char *method, const char *glob, ...)
  G_GNUC_NULL_TERMINATED;
/* The last / the `n`-th (0-based, oldest first) logged request of `method` to `glob`; fails the
 * test when there is none. */
FakeRequest *sc_last_request (FakeGraph *fg, const char *method, const char *glob);
FakeRequest *sc_nth_request (FakeGraph *fg, const char *method, const char *glob, guint n);
/* A request body, parsed: gf_request_body (common/graph-fixture.h). */

/* ---- conversations ---- */
/* Conversation writes (TB_EV_WRITE) at or after the events mark whose text fields contain
 * `text`: the first one waited for, and how many there are. */
#define sc_wait_write(text) tb_wait_event (TB_EV_WRITE, (text))
#define sc_count_writes(text) tb_events_count (TB_EV_WRITE, (text))
/* Waits until there are at least `n` of them. */
#define sc_wait_writes(text, n) sc_wait_writes_at (SC_HERE, (text), (n))
void sc_wait_writes_at (const char *file, int line, const char *func, const char *text, guint n);
/* The IM conversation with `who`, opened when there is none. */
PurpleConversation *sc_im_conv (PurpleAccount *acc, const char *who);
/* Sends `text` (markup, as typed) to `who` from that IM conversation. */
void sc_send_im (PurpleAccount *acc, const char *who, const char *text);
/* The conversation of chat `chat_id` while the user is in it; NULL when none or it has left. */
PurpleConversation *sc_chat_conv (PurpleAccount *acc, const char *chat_id);
/* Waits until the user is in chat `chat_id` (sc_chat_conv); returns the conversation. */
#define sc_wait_chat_conv(acc, chat_id) sc_wait_chat_conv_at (SC_HERE, (acc), (chat_id))
PurpleConversation *sc_wait_chat_conv_at (const char *file, int line, const char *func,
                                          PurpleAccount *acc, const char *chat_id);
/* Joins a chat as a client does (serv_join_chat) with the components id and/or topic (NULL:
 * left out). */
void sc_join (PurpleAccount *acc, const char *id, const char *topic);
/* sc_join by id, then sc_wait_chat_conv. */
#define sc_join_and_wait(acc, id) (sc_join ((acc), (id), NULL), sc_wait_chat_conv ((acc), (id)))
/* TRUE when `name` is in the participants of chat conversation `conv`. */
gboolean sc_has_user (PurpleConversation *conv, const char *name);
/* Waits until `name` is (`present`) or is no longer (!`present`) a participant. */
#define sc_wait_user(conv, name, present) sc_wait_user_at (SC_HERE, (conv), (name), (present))
void sc_wait_user_at (const char *file, int line, const char *func, PurpleConversation *conv,
                      const char *name, gboolean present);

/* ---- commands ---- */
/* Runs "/<cmdline>" in `conv` as a client does, with `markup` (NULL = cmdline) as what was
 * typed; returns the status and, when `error_out` is not NULL, the error text (free it). */
PurpleCmdStatus sc_command (PurpleConversation *conv, const char *cmdline, const char *markup,
                            char **error_out);
/* sc_command that must succeed (PURPLE_CMD_STATUS_OK); the test aborts with the error if not. */
void sc_run_command (PurpleConversation *conv, const char *cmdline);

/* ---- secrets ---- */
/* Fails the test when `secret` is in the debug log (tb_debug_log) or in the text of a
 * connection error; the message names it by `number` only, never by its value. */
void sc_assert_secret_hidden (const char *secret, guint number);

/* ---- messages and buddies ---- */
/* A date-time member (`field`, e.g. "createdDateTime") of the emulator's message, in seconds;
 * asserts the message and the field exist. */
time_t sc_server_time (FakeGraph *fg, const char *chat_id, const char *message_id,
                       const char *field);
/* The active status of buddy `name`, NULL when there is no such buddy. */
PurpleStatus *sc_buddy_status (PurpleAccount *acc, const char *name);
/* Waits until buddy `name` shows the status `status_id` (e.g. "busy"), whatever its message. */
#define sc_wait_buddy_status(acc, name, status_id) \
  sc_wait_buddy_status_at (SC_HERE, (acc), (name), (status_id))
void sc_wait_buddy_status_at (const char *file, int line, const char *func, PurpleAccount *acc,
                              const char *name, const char *status_id);

G_END_DECLS
