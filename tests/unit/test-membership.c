/* Unit tests for tg-members against the Graph emulator: create_group_chat (the exact POST: the
 * creator as the only owner, basic members with no roles, Graph's users('<id>') binds, the
 * topic; duplicates and oneself dropped; an unknown member stops it before any POST), roles
 * (guest), add (history shared), remove by e-mail and by UPN through the looked-up membership
 * id (never the user id), a non-member, leave, and list with roles.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-members.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"
#define CAROL "carol@contoso.com"
#define DAVE "dave@contoso.com"

typedef struct {
  GfFixture *fx;
  TgRefs *refs;
  const char *bob, *carol, *dave;
} Fx;

static void
fx_init (Fx *f)
{
  f->fx = gf_fixture_new (ME);
  f->bob = fake_graph_add_user (f->fx->fg, BOB, "Bob Jones");
  f->carol = fake_graph_add_user (f->fx->fg, CAROL, "Carol Smith");
  f->dave = fake_graph_add_user (f->fx->fg, DAVE, "Dave Brown");
  f->refs = tg_refs_new (f->fx->graph);
}

static void
fx_clear (Fx *f)
{
  tg_refs_unref (f->refs);
  gf_fixture_free (f->fx);
}

static const char *
group (Fx *f)
{
  const char *members[] = { BOB, CAROL, NULL };
  const char *id = fake_graph_add_chat (f->fx->fg, "group", "Plans", members);

  fake_graph_clear_log (f->fx->fg);
  return id;
}

static void
check_member (JsonObject *m, const char *user_id, const char *role)
{
  g_autofree char *bind = g_strdup_printf ("https://graph.microsoft.com/v1.0/users('%s')", user_id);
  JsonArray *roles = tg_json_array (m, "roles");

  g_assert_cmpstr (tg_json_string (m, "@odata.type"), ==, "#microsoft.graph.aadUserConversationMember");
  g_assert_cmpstr (tg_json_string (m, "user@odata.bind"), ==, bind);
  g_assert_nonnull (roles);
  if (role == NULL)
    g_assert_cmpuint (tg_json_array_length (roles), ==, 0);
  else
    {
      g_assert_cmpuint (tg_json_array_length (roles), ==, 1);
      g_assert_cmpstr (tg_json_array_string (roles, 0), ==, role);
    }
}

static void
test_create_group_chat (void)
{
  Fx f = { 0 };
  const char *members[] = { BOB, "Carol@Contoso.com", DAVE, BOB, ME, NULL };
  GfWait w = { 0 };
  GError *error = NULL;
  g_autoptr (TgChat) chat = NULL;
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;
  JsonArray *sent;

  fx_init (&f);
  fake_graph_clear_log (f.fx->fg);
  tg_members_create_group_chat_async (f.refs, f.fx->me_id, members, " Launch plans ", NULL,
                                      gf_wait_cb, &w);
  chat = tg_members_create_group_chat_finish (gf_wait (&w), &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpint (chat->type, ==, TG_CHAT_TYPE_GROUP);
  g_assert_cmpstr (chat->topic, ==, "Launch plans");
  g_assert_cmpuint (fake_graph_count (f.fx->fg, "POST", "/v1.0/chats"), ==, 1);
  body = gf_request_body (gf_last_request (f.fx->fg, "POST", "/v1.0/chats"), &keep);
  g_assert_cmpstr (tg_json_string (body, "chatType"), ==, "group");
  g_assert_cmpstr (tg_json_string (body, "topic"), ==, "Launch plans");
  sent = tg_json_array (body, "members");
  g_assert_cmpuint (tg_json_array_length (sent), ==, 4);
  check_member (tg_json_array_object (sent, 0), f.fx->me_id, "owner");
  check_member (tg_json_array_object (sent, 1), f.bob, NULL);
  check_member (tg_json_array_object (sent, 2), f.carol, NULL);
  check_member (tg_json_array_object (sent, 3), f.dave, NULL);
  fx_clear (&f);
}

static void
test_create_group_chat_refused (void)
{
  Fx f = { 0 };
  const char *unknown[] = { BOB, "nobody@contoso.com", NULL };
  const char *only_me[] = { ME, NULL };
  GfWait w = { 0 };
  GError *error = NULL;

  fx_init (&f);
  fake_graph_clear_log (f.fx->fg);
  tg_members_create_group_chat_async (f.refs, f.fx->me_id, unknown, NULL, NULL, gf_wait_cb, &w);
  g_assert_null (tg_members_create_group_chat_finish (gf_wait (&w), &error));
  gf_wait_clear (&w);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nobody@contoso.com"));
  g_clear_error (&error);

  tg_members_create_group_chat_async (f.refs, f.fx->me_id, only_me, "Alone", NULL, gf_wait_cb, &w);
  g_assert_null (tg_members_create_group_chat_finish (gf_wait (&w), &error));
  gf_wait_clear (&w);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (f.fx->fg, "POST", "*"), ==, 0);
  fx_clear (&f);
}

static void
test_roles (void)
{
  TgUser guest = { .id = (char *) "g", .user_type = (char *) "Guest" };
  TgUser member = { .id = (char *) "m", .user_type = (char *) "Member" };
  const char *const *r;

  r = tg_members_roles_for (&member, TRUE);
  g_assert_cmpstr (r[0], ==, "owner");
  g_assert_null (r[1]);
  g_assert_null (tg_members_roles_for (&member, FALSE)[0]);
  g_assert_null (tg_members_roles_for (NULL, FALSE)[0]);
  r = tg_members_roles_for (&guest, FALSE);
  g_assert_cmpstr (r[0], ==, "guest");
  g_assert_null (r[1]);
}

static void
test_add (void)
{
  Fx f = { 0 };
  const char *chat;
  g_autofree char *path = NULL;
  GfWait w = { 0 };
  GError *error = NULL;
  g_autoptr (TgUser) user = NULL;
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;

  fx_init (&f);
  chat = group (&f);
  tg_members_add_async (f.refs, chat, DAVE, NULL, gf_wait_cb, &w);
  user = tg_members_add_finish (gf_wait (&w), &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, f.dave);
  path = g_strdup_printf ("/v1.0/chats/%s/members", chat);
  body = gf_request_body (gf_last_request (f.fx->fg, "POST", path), &keep);
  check_member (body, f.dave, NULL);
  g_assert_cmpstr (tg_json_string (body, "visibleHistoryStartDateTime"), ==,
                   "0001-01-01T00:00:00Z");
  g_assert_cmpuint (gf_last_request (f.fx->fg, "POST", path)->status, ==, 201);

  /* already a member: Graph's 409, reported */
  tg_members_add_async (f.refs, chat, DAVE, NULL, gf_wait_cb, &w);
  g_assert_null (tg_members_add_finish (gf_wait (&w), &error));
  gf_wait_clear (&w);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  fx_clear (&f);
}

static GPtrArray *
list (Fx *f, const char *chat)
{
  GfWait w = { 0 };
  GError *error = NULL;
  GPtrArray *members;

  tg_members_list_async (f->fx->graph, chat, NULL, gf_wait_cb, &w);
  members = tg_members_list_finish (gf_wait (&w), &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  return members;
}

static const TgMember *
member_of (GPtrArray *members, const char *user_id)
{
  for (guint i = 0; i < members->len; i++)
    if (g_strcmp0 (((TgMember *) members->pdata[i])->user_id, user_id) == 0)
      return members->pdata[i];
  return NULL;
}

static void
test_remove_by_email_and_upn (void)
{
  Fx f = { 0 };
  const char *chat;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autofree char *expected = NULL;
  GfWait w = { 0 };
  GError *error = NULL;
  TgMember *removed;
  FakeRequest *del;

  fx_init (&f);
  chat = group (&f);
  before = list (&f, chat);
  g_assert_nonnull (member_of (before, f.carol));
  g_assert_cmpstr (member_of (before, f.carol)->id, !=, f.carol);
  fake_graph_clear_log (f.fx->fg);

  tg_members_remove_async (f.refs, chat, "CAROL@contoso.com", NULL, gf_wait_cb, &w);
  removed = tg_members_remove_finish (gf_wait (&w), &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpstr (removed->user_id, ==, f.carol);
  tg_member_free (removed);
  /* GET members, then DELETE the membership id — not the user id */
  g_assert_cmpuint (fake_graph_requests (f.fx->fg)->len, ==, 2);
  expected = g_strdup_printf ("/v1.0/chats/%s/members/%s", chat, member_of (before, f.carol)->id);
  del = gf_last_request (f.fx->fg, "DELETE", "/v1.0/chats/*/members/*");
  g_assert_cmpstr (del->path, ==, expected);
  g_assert_cmpuint (del->status, ==, 204);
  after = list (&f, chat);
  g_assert_null (member_of (after, f.carol));

  /* Bob's e-mail differs from his UPN: the ref is resolved, then matched by user id */
  fake_graph_set_user_details (f.fx->fg, BOB, NULL, NULL, "robert@contoso.com");
  tg_members_remove_async (f.refs, chat, BOB, NULL, gf_wait_cb, &w);
  removed = tg_members_remove_finish (gf_wait (&w), &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpstr (removed->user_id, ==, f.bob);
  tg_member_free (removed);
  fx_clear (&f);
}

static void
test_remove_not_member (void)
{
  Fx f = { 0 };
  const char *chat;
  GfWait w = { 0 };
  GError *error = NULL;

  fx_init (&f);
  chat = group (&f);
  tg_members_remove_async (f.refs, chat, DAVE, NULL, gf_wait_cb, &w);
  g_assert_null (tg_members_remove_finish (gf_wait (&w), &error));
  gf_wait_clear (&w);
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, DAVE));
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (f.fx->fg, "DELETE", "*"), ==, 0);
  fx_clear (&f);
}

/* Leaving again: Graph no longer lists me (403 for a non-member in real Graph; the emulator
 * still answers the member list) — either way a clear error, no DELETE. */
static void
members_after_leave_check (Fx *f, const char *chat)
{
  GfWait w = { 0 };
  GError *error = NULL;
  guint deletes = fake_graph_count (f->fx->fg, "DELETE", "*");

  tg_members_leave_async (f->refs, chat, f->fx->me_id, NULL, gf_wait_cb, &w);
  g_assert_false (tg_members_leave_finish (gf_wait (&w), &error));
  gf_wait_clear (&w);
  g_assert_nonnull (error);
  if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
    g_assert_cmpstr (error->message, ==, "You are not a member of this chat");
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_count (f->fx->fg, "DELETE", "*"), ==, deletes);
}

static void
test_leave_and_list_roles (void)
{
  Fx f = { 0 };
  const char *chat;
  g_autoptr (GPtrArray) members = NULL;
  GfWait w = { 0 };
  GError *error = NULL;
  g_autofree char *expected = NULL;
  const TgMember *me;

  fx_init (&f);
  chat = group (&f);
  members = list (&f, chat);
  g_assert_cmpuint (members->len, ==, 3);
  me = member_of (members, f.fx->me_id);
  g_assert_nonnull (me);
  g_assert_nonnull (member_of (members, f.bob)->display_name);
  expected = g_strdup_printf ("/v1.0/chats/%s/members/%s", chat, me->id);

  tg_members_leave_async (f.refs, chat, f.fx->me_id, NULL, gf_wait_cb, &w);
  g_assert_true (tg_members_leave_finish (gf_wait (&w), &error));
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_cmpstr (gf_last_request (f.fx->fg, "DELETE", "*")->path, ==, expected);
  /* no lookup of oneself: it is matched by user id */
  g_assert_cmpuint (fake_graph_count (f.fx->fg, "GET", "/v1.0/users*"), ==, 0);
  members_after_leave_check (&f, chat);
  fx_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/members/create-group-chat", test_create_group_chat);
  g_test_add_func ("/members/create-group-chat-refused", test_create_group_chat_refused);
  g_test_add_func ("/members/roles", test_roles);
  g_test_add_func ("/members/add", test_add);
  g_test_add_func ("/members/remove-by-email-and-upn", test_remove_by_email_and_upn);
  g_test_add_func ("/members/remove-not-member", test_remove_not_member);
  g_test_add_func ("/members/leave-and-list-roles", test_leave_and_list_roles);
  return g_test_run ();
}
