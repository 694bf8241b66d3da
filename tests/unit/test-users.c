/* Unit tests for tg-users against the Graph emulator in-process: one user's profile by UPN, id
 * or mail alias (the $filter fallback), not found / ambiguous / empty; the profile fields parsed
 * null-safely; user search (the exact $search expression with quotes escaped, ConsistencyLevel,
 * $select/$top) and its errors.
 * Waiting = iterating the main context until the operation completes (20 s hang guard).
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-auth.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-users.h"
#include "fake-graph/fake-graph.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"

typedef GfFixture Fx;

static TgUser *
get_user (Fx *fx, const char *ref, GError **error)
{
  GfWait w = { 0 };
  TgUser *user;

  tg_users_get_async (fx->graph, ref, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  user = tg_users_get_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return user;
}

static GPtrArray *
search (Fx *fx, const char *text, GError **error)
{
  GfWait w = { 0 };
  GPtrArray *users;

  tg_users_search_async (fx->graph, text, 0, NULL, gf_wait_cb, &w);
  gf_wait (&w);
  users = tg_users_search_finish (fx->graph, w.result, error);
  g_clear_object (&w.result);
  return users;
}

static FakeRequest *
last_request (Fx *fx)
{
  GPtrArray *log = fake_graph_requests (fx->fg);

  g_assert_cmpuint (log->len, >, 0);
  return g_ptr_array_index (log, log->len - 1);
}

static void
test_get_profile (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  const char *bob_id = fake_graph_add_user (fx->fg, BOB, "Bob Builder");
  g_autoptr (TgUser) by_upn = NULL, by_id = NULL, by_alias = NULL;
  GError *error = NULL;
  FakeRequest *r;

  fake_graph_set_user_details (fx->fg, BOB, "Site lead", "Construction", "robert@contoso.com");
  fake_graph_set_user_contact (fx->fg, BOB, "Building 7", "+1 555 0100", "+1 555 0199");

  by_upn = get_user (fx, " " BOB " ", &error);
  g_assert_no_error (error);
  r = last_request (fx);
  g_assert_cmpstr (r->method, ==, "GET");
  g_assert_cmpstr (r->path, ==, "/v1.0/users/" BOB);
  g_assert_cmpstr (r->query, ==, "$select=" TG_USERS_PROFILE_FIELDS);
  g_assert_cmpstr (by_upn->id, ==, bob_id);
  g_assert_cmpstr (by_upn->display_name, ==, "Bob Builder");
  g_assert_cmpstr (by_upn->user_principal_name, ==, BOB);
  g_assert_cmpstr (by_upn->mail, ==, "robert@contoso.com");
  g_assert_cmpstr (by_upn->job_title, ==, "Site lead");
  g_assert_cmpstr (by_upn->department, ==, "Construction");
  g_assert_cmpstr (by_upn->office_location, ==, "Building 7");
  g_assert_cmpstr (by_upn->mobile_phone, ==, "+1 555 0100");
  g_assert_cmpuint (g_strv_length (by_upn->business_phones), ==, 1);
  g_assert_cmpstr (by_upn->business_phones[0], ==, "+1 555 0199");

  by_id = get_user (fx, bob_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_id->user_principal_name, ==, BOB);

  /* A mail address that is not the UPN: 404, then the mail filter (quotes doubled). */
  fake_graph_clear_log (fx->fg);
  by_alias = get_user (fx, "Robert@contoso.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_alias->id, ==, bob_id);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 2);
  r = last_request (fx);
  g_assert_cmpstr (r->path, ==, "/v1.0/users");
  g_assert_cmpstr (r->query, ==, "$filter=mail eq 'Robert@contoso.com'&$select=" TG_USERS_PROFILE_FIELDS);
  gf_fixture_free (fx);
}

static void
test_get_errors (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  GError *error = NULL;
  FakeRequest *r;

  g_assert_null (get_user (fx, "nobody@contoso.com", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "No such user: nobody@contoso.com"));
  g_clear_error (&error);

  g_assert_null (get_user (fx, "o'brien@contoso.com", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  r = last_request (fx);
  g_assert_nonnull (strstr (r->query, "mail eq 'o''brien@contoso.com'"));

  /* Two people with one address. */
  fake_graph_add_user (fx->fg, "a@contoso.com", "A");
  fake_graph_add_user (fx->fg, "b@contoso.com", "B");
  fake_graph_set_user_details (fx->fg, "a@contoso.com", NULL, NULL, "team@contoso.com");
  fake_graph_set_user_details (fx->fg, "b@contoso.com", NULL, NULL, "team@contoso.com");
  g_assert_null (get_user (fx, "team@contoso.com", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_AMBIGUOUS);
  g_clear_error (&error);

  /* No id, no request; not an address: no filter try. */
  fake_graph_clear_log (fx->fg);
  g_assert_null (get_user (fx, "  ", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 0);
  g_assert_null (get_user (fx, "11111111-2222-3333-4444-555555555555", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 1);

  /* Server trouble is passed on as it is. */
  fake_graph_add_fault (fx->fg, "GET", "/v1.0/users/*", FAKE_FAULT_STATUS, 403, NULL, 0, 1);
  g_assert_null (get_user (fx, BOB, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

static void
test_profile_fields_mistyped (void)
{
  g_autoptr (JsonNode) node = tg_json_parse ("{\"id\":\"u\",\"department\":7,\"officeLocation\":null,"
                                             "\"mobilePhone\":[],\"businessPhones\":[\"+1\",null,3,\"+2\"]}",
                                             -1, NULL);
  g_autoptr (JsonNode) none = tg_json_parse ("{\"id\":\"u\",\"businessPhones\":\"+1\"}", -1, NULL);
  g_autoptr (TgUser) user = tg_user_new_from_json (tg_json_node_object (node));
  g_autoptr (TgUser) bare = tg_user_new_from_json (tg_json_node_object (none));

  g_assert_null (user->department);
  g_assert_null (user->office_location);
  g_assert_null (user->mobile_phone);
  g_assert_cmpuint (g_strv_length (user->business_phones), ==, 2);
  g_assert_cmpstr (user->business_phones[1], ==, "+2");
  g_assert_nonnull (bare->business_phones);
  g_assert_cmpuint (g_strv_length (bare->business_phones), ==, 0);
}

static void
test_search (void)
{
  Fx *fx = gf_fixture_new_withholding (ME, NULL);
  g_autoptr (GPtrArray) found = NULL, quoted = NULL, none = NULL;
  g_autofree char *expression = NULL;
  GError *error = NULL;
  FakeRequest *r;

  fake_graph_add_user (fx->fg, BOB, "Bob Builder");
  fake_graph_add_user (fx->fg, "bobby@contoso.com", "Roberta Bobson");
  fake_graph_add_user (fx->fg, "dan@contoso.com", "Dan \"The Man\" Smith");
  fake_graph_set_user_details (fx->fg, BOB, "Site lead", "Construction", NULL);

  found = search (fx, " bob ", &error);
  g_assert_no_error (error);
  r = last_request (fx);
  g_assert_cmpstr (r->method, ==, "GET");
  g_assert_cmpstr (r->path, ==, "/v1.0/users");
  g_assert_cmpstr (r->query, ==, "$search=\"displayName:bob\" OR \"mail:bob\"&$select="
                   TG_USERS_PROFILE_FIELDS "&$top=25");
  /* Bob by name, Roberta by the word "Bobson" and by her address. */
  g_assert_cmpuint (found->len, ==, 2);
  for (guint i = 0; i < found->len; i++)
    {
      TgUser *u = g_ptr_array_index (found, i);

      if (g_str_equal (u->user_principal_name, BOB))
        {
          g_assert_cmpstr (u->job_title, ==, "Site lead");
          g_assert_cmpstr (u->department, ==, "Construction");
        }
      else
        g_assert_cmpstr (u->user_principal_name, ==, "bobby@contoso.com");
    }

  /* A double quote stays inside the term. */
  expression = tg_users_search_expression ("\"The \\");
  g_assert_cmpstr (expression, ==, "\"displayName:\\\"The \\\\\" OR \"mail:\\\"The \\\\\"");
  quoted = search (fx, "\"The", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (quoted->len, ==, 1);
  g_assert_cmpstr (((TgUser *) quoted->pdata[0])->user_principal_name, ==, "dan@contoso.com");
  r = last_request (fx);
  g_assert_cmpstr (r->query, ==, "$search=\"displayName:\\\"The\" OR \"mail:\\\"The\"&$select="
                   TG_USERS_PROFILE_FIELDS "&$top=25");

  none = search (fx, "zzz", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  fake_graph_clear_log (fx->fg);
  g_assert_null (search (fx, "   ", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 0);

  fake_graph_add_fault (fx->fg, "GET", "/v1.0/users", FAKE_FAULT_STATUS, 400, NULL, 0, 1);
  g_assert_null (search (fx, "bob", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/users/get-profile", test_get_profile);
  g_test_add_func ("/users/get-errors", test_get_errors);
  g_test_add_func ("/users/profile-fields-mistyped", test_profile_fields_mistyped);
  g_test_add_func ("/users/search", test_search);
  return g_test_run ();
}
