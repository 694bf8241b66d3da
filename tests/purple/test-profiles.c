/* Profile scenarios: the built plugin in the headless test bed against the Graph emulator.
 * Get Info on a buddy (by user id, with the polled status) and on a chat participant (by
 * address, a mail alias through the filter); an unknown user; "Search users…" (the exact
 * request, the rows, "Add buddy" → the add-buddy dialog and the added buddy's presence, "IM"
 * → a conversation); searches with nothing to find or nothing typed; a buddy added by hand
 * gets presence. */
#include <string.h>

#include "purple/scenario.h"
#include "purple/testbed.h"

#define ME "alice@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define DAVE "dave@contoso.com"
#define ERIN "erin@contoso.com"
#define PROFILE_SELECT \
  "$select=id,displayName,userPrincipalName,mail,userType,jobTitle,department,officeLocation," \
  "businessPhones,mobilePhone"

/* ---- helpers ---- */

static FakeGraph *
tenant (void)
{
  FakeGraph *fg = sc_tenant_new (ME, BOB, "Bob Builder", CAROL, "Carol White", DAVE, "Dave Bobrowski",
                                 ERIN, "Erin Green", NULL);

  fake_graph_set_user_details (fg, BOB, "Site lead", "Construction", NULL);
  fake_graph_set_user_contact (fg, BOB, "Building 7", "+1 555 0100", "+1 555 0199");
  fake_graph_set_user_details (fg, CAROL, "Engineer", "R&D", "c.white@contoso.com");
  fake_graph_set_user_details (fg, DAVE, "Designer", "Studio", NULL);
  sc_one_on_one (fg, BOB, "Bob Builder");
  sc_group_chat (fg, "Site plans", BOB, CAROL, NULL);
  return fg;
}

static PurpleAccount *
connect_new (FakeGraph *fg)
{
  PurpleAccount *acc = sc_account_new (fg, 1);

  purple_account_set_int (acc, "presence_interval", 1);
  tb_account_connect (acc);
  tb_wait_connected (acc);
  return acc;
}

static TbEvent *
get_info (PurpleAccount *acc, const char *who)
{
  TbEvent *ev;

  tb_events_mark ();
  serv_get_info (purple_account_get_connection (acc), who);
  ev = tb_wait_event (TB_EV_NOTIFY, NULL);
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_USERINFO);
  g_assert_cmpstr (ev->who, ==, who);
  return ev;
}

static void
assert_has (const char *text, const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    g_error ("\"%s\" not in:\n%s", part, text ? text : "(null)");
}

/* Runs "Search users…" with `text`; returns the notification that followed. */
static TbEvent *
search_users (PurpleAccount *acc, const char *text)
{
  TbEvent *input;

  tb_events_mark ();
  g_assert_true (tb_account_action (acc, "Search users…"));
  input = tb_wait_event (TB_EV_REQUEST, "Search Teams users");
  g_assert_cmpint (input->code, ==, PURPLE_REQUEST_INPUT);
  tb_events_mark ();
  g_assert_true (tb_request_ok (input, text));
  return tb_wait_event (TB_EV_NOTIFY, NULL);
}

/* The index of the result row whose text contains `part`. */
static guint
row_with (TbEvent *results, const char *part)
{
  g_auto (GStrv) rows = g_strsplit (results->text, "\n", -1);

  for (guint i = 0; rows[i] != NULL; i++)
    if (strstr (rows[i], part) != NULL)
      return i;
  g_error ("no row with \"%s\" in:\n%s", part, results->text);
  return 0;
}

/* ---- scenarios ---- */

static void
test_get_info_buddy (void)
{
  FakeGraph *fg = tenant ();
  PurpleAccount *acc;
  TbEvent *info;
  FakeRequest *r;
  g_autofree char *path = g_strdup_printf ("/v1.0/users/%s", fake_graph_user_id (fg, BOB));

  fake_graph_set_presence (fg, BOB, "Busy", "InAMeeting");
  acc = connect_new (fg);
  sc_wait_buddy_status (acc, BOB, "busy");

  info = get_info (acc, BOB);
  /* By the buddy's user id: the name is an address that need not be the UPN. */
  r = sc_last_request (fg, "GET", "/v1.0/users/*");
  g_assert_cmpstr (r->path, ==, path);
  g_assert_cmpstr (r->query, ==, PROFILE_SELECT);
  assert_has (info->text, "<b>Name</b>: Bob Builder");
  assert_has (info->text, "<b>Status</b>: Busy (In a meeting)");
  assert_has (info->text, "<b>Job title</b>: Site lead");
  assert_has (info->text, "<b>Department</b>: Construction");
  assert_has (info->text, "<b>Office</b>: Building 7");
  assert_has (info->text, "<b>Business phone</b>: +1 555 0199");
  assert_has (info->text, "<b>Mobile phone</b>: +1 555 0100");
  assert_has (info->text, "<b>E-mail</b>: bob@contoso.com");
  assert_has (info->text, "<b>User name</b>: bob@contoso.com");
  g_assert_null (strstr (info->text, "User.Read.All"));

  /* Erin's profile has none of those fields (what User.ReadBasic.All gets): a note says why
   * they may be missing. */
  info = get_info (acc, ERIN);
  assert_has (info->text, "<b>Name</b>: Erin Green");
  assert_has (info->text, "User.Read.All");
  g_assert_null (strstr (info->text, "Job title"));
}

static void
test_get_info_participant (void)
{
  FakeGraph *fg = tenant ();
  PurpleAccount *acc = connect_new (fg);
  TbEvent *info;
  FakeRequest *r;

  /* A participant of a group chat, not a buddy: by the name the chat shows. */
  info = get_info (acc, CAROL);
  r = sc_last_request (fg, "GET", "/v1.0/users/*");
  g_assert_cmpstr (r->path, ==, "/v1.0/users/" CAROL);
  assert_has (info->text, "<b>Name</b>: Carol White");
  assert_has (info->text, "<b>Department</b>: R&amp;D");
  assert_has (info->text, "<b>E-mail</b>: c.white@contoso.com");
  assert_has (info->text, "<b>User name</b>: carol@contoso.com");
  g_assert_null (strstr (info->text, "Status"));
  g_assert_null (strstr (info->text, "Office"));

  /* Her mail address is not her UPN: 404, then the mail filter. */
  fake_graph_clear_log (fg);
  info = get_info (acc, "c.white@contoso.com");
  assert_has (info->text, "<b>User name</b>: carol@contoso.com");
  r = sc_last_request (fg, "GET", "/v1.0/users");
  g_assert_cmpstr (r->query, ==, "$filter=mail eq 'c.white@contoso.com'&" PROFILE_SELECT);
}

static void
test_get_info_unknown (void)
{
  FakeGraph *fg = tenant ();
  PurpleAccount *acc = connect_new (fg);
  TbEvent *info = get_info (acc, "nobody@contoso.com");

  assert_has (info->text, "<b>Error</b>: No such user: nobody@contoso.com");
  g_assert_true (purple_account_is_connected (acc));
}

static void
test_search_users (void)
{
  FakeGraph *fg = tenant ();
  PurpleAccount *acc = connect_new (fg);
  TbEvent *results, *add, *conv;
  FakeRequest *r;
  PurpleBuddy *buddy;
  guint dave;

  fake_graph_set_presence (fg, DAVE, "DoNotDisturb", "Presenting");
  results = search_users (acc, " bob ");
  g_assert_cmpint (results->code, ==, PURPLE_NOTIFY_SEARCHRESULTS);
  r = sc_last_request (fg, "GET", "/v1.0/users");
  g_assert_cmpstr (r->query, ==, "$search=\"displayName:bob\" OR \"mail:bob\"&" PROFILE_SELECT "&$top=25");
  g_assert_cmpuint (r->status, ==, 200);   /* ConsistencyLevel: eventual was sent */
  assert_has (results->primary, "Teams users matching \"bob\"");
  assert_has (results->secondary, "2 found");
  assert_has (results->text, "Bob Builder\tbob@contoso.com\tSite lead\tConstruction\n");
  assert_has (results->text, "Dave Bobrowski\tdave@contoso.com\tDesigner\tStudio\n");
  g_assert_null (strstr (results->text, "Carol"));

  /* "Add buddy": the client's add-buddy dialog, filled in. */
  dave = row_with (results, DAVE);
  tb_events_mark ();
  g_assert_true (tb_searchresults_click (results, "Add buddy", dave));
  add = tb_wait_event (TB_EV_ADD_BUDDY, DAVE);
  g_assert_cmpstr (add->alias, ==, "Dave Bobrowski");
  g_assert_cmpstr (add->text, ==, "Teams");
  /* The user presses Add: the buddy shows Dave's presence, without looking him up again. */
  fake_graph_clear_log (fg);
  buddy = purple_buddy_new (acc, add->who, add->alias);
  purple_blist_add_buddy (buddy, NULL, purple_group_new (add->text), NULL);
  purple_account_add_buddy (acc, buddy);
  sc_wait_buddy_status (acc, DAVE, "dnd");
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/users*"), ==, 0);

  /* "IM": a conversation with him. */
  tb_events_mark ();
  g_assert_true (tb_searchresults_click (results, "IM", row_with (results, BOB)));
  conv = tb_wait_event (TB_EV_CONV_CREATED, BOB);
  g_assert_cmpint (conv->code, ==, PURPLE_CONV_TYPE_IM);
  g_assert_nonnull (purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, BOB, acc));
  g_assert_false (tb_searchresults_click (results, "Delete", 0));
  g_assert_false (tb_searchresults_click (results, "IM", 7));
}

static void
test_search_nothing (void)
{
  FakeGraph *fg = tenant ();
  PurpleAccount *acc = connect_new (fg);
  TbEvent *ev;

  ev = search_users (acc, "zebra");
  g_assert_cmpint (ev->code, ==, PURPLE_NOTIFY_MESSAGE);
  assert_has (ev->primary, "Teams users matching \"zebra\"");
  assert_has (ev->secondary, "Nobody");

  fake_graph_clear_log (fg);
  ev = search_users (acc, "   ");
  g_assert_cmpint (ev->detail, ==, PURPLE_NOTIFY_MSG_ERROR);
  assert_has (ev->primary, "Nothing to search for");
  g_assert_cmpuint (fake_graph_count (fg, "GET", "/v1.0/users*"), ==, 0);

  /* A refusal is told, the connection stays. */
  fake_graph_add_fault (fg, "GET", "/v1.0/users", FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  ev = search_users (acc, "bob");
  g_assert_cmpint (ev->detail, ==, PURPLE_NOTIFY_MSG_ERROR);
  assert_has (ev->primary, "The user search failed");
  g_assert_true (purple_account_is_connected (acc));
}

static void
test_buddy_added_by_hand (void)
{
  FakeGraph *fg = tenant ();
  PurpleAccount *acc = connect_new (fg);
  PurpleBuddy *buddy;
  FakeRequest *r;

  fake_graph_set_presence (fg, ERIN, "Away", "Away");
  buddy = purple_buddy_new (acc, ERIN, NULL);
  purple_blist_add_buddy (buddy, NULL, purple_group_new ("Friends"), NULL);
  purple_account_add_buddy (acc, buddy);
  sc_wait_buddy_status (acc, ERIN, "away");
  r = sc_last_request (fg, "GET", "/v1.0/users/*");
  g_assert_cmpstr (r->path, ==, "/v1.0/users/" ERIN);

  /* Someone who is not in the directory stays a buddy without presence. */
  buddy = purple_buddy_new (acc, "ghost@contoso.com", NULL);
  purple_blist_add_buddy (buddy, NULL, purple_group_new ("Friends"), NULL);
  fake_graph_clear_log (fg);
  purple_account_add_buddy (acc, buddy);
  sc_wait_requests (fg, "GET", "/v1.0/users", 1);
  tb_drain ();
  g_assert_nonnull (purple_find_buddy (acc, "ghost@contoso.com"));
  g_assert_true (purple_account_is_connected (acc));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tb_init ();
  tb_add ("/profiles/get-info-buddy", test_get_info_buddy);
  tb_add ("/profiles/get-info-participant", test_get_info_participant);
  tb_add ("/profiles/get-info-unknown", test_get_info_unknown);
  tb_add ("/profiles/search-users", test_search_users);
  tb_add ("/profiles/search-nothing", test_search_nothing);
  tb_add ("/profiles/buddy-added-by-hand", test_buddy_added_by_hand);
  return tb_run ();
}
