/* Unit tests for tg-refs against the Graph emulator: user refs by UPN, id and e-mail alias (the
 * exact GET, then the mail filter with quotes doubled), the account cache (no second request,
 * under every name of the user), unknown and ambiguous users; group chat refs by id and by
 * topic over every page of /me/chats (the match on the 3rd page), exact before case-insensitive
 * matches, an unknown topic and an ambiguous one listing the candidates' ids and topics.
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-error.h"
#include "core/tg-refs.h"
#include "core/tg-users.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"

static TgUser *
resolve (TgRefs *refs, const char *ref, GError **error)
{
  GfWait w = { 0 };
  TgUser *user;

  tg_refs_resolve_user_async (refs, ref, NULL, gf_wait_cb, &w);
  user = tg_refs_resolve_user_finish (refs, gf_wait (&w), error);
  gf_wait_clear (&w);
  return user;
}

static TgChat *
resolve_chat (GfFixture *fx, const char *ref, GError **error)
{
  GfWait w = { 0 };
  TgChat *chat;

  tg_refs_resolve_chat_async (fx->graph, ref, NULL, gf_wait_cb, &w);
  chat = tg_refs_resolve_chat_finish (gf_wait (&w), error);
  gf_wait_clear (&w);
  return chat;
}

static void
test_user_by_upn_and_cache (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *bob_id = fake_graph_add_user (fx->fg, BOB, "Bob Jones");
  g_autoptr (TgRefs) refs = tg_refs_new (fx->graph);
  g_autoptr (TgUser) user = NULL, again = NULL, by_id = NULL;
  GError *error = NULL;
  FakeRequest *r;

  user = resolve (refs, "  Bob@Contoso.com ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, bob_id);
  g_assert_cmpstr (user->display_name, ==, "Bob Jones");
  g_assert_cmpstr (user->user_principal_name, ==, BOB);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 1);
  r = g_ptr_array_index (fake_graph_requests (fx->fg), 0);
  g_assert_cmpstr (r->method, ==, "GET");
  g_assert_cmpstr (r->path, ==, "/v1.0/users/Bob@Contoso.com");
  g_assert_nonnull (strstr (r->query, "$select=id,displayName,userPrincipalName,mail,userType"));

  /* cached under the typed ref, the UPN and the id */
  again = resolve (refs, BOB, &error);
  by_id = resolve (refs, bob_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->id, ==, bob_id);
  g_assert_cmpstr (by_id->display_name, ==, "Bob Jones");
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 1);
  g_assert_nonnull (tg_refs_cached_user (refs, "BOB@contoso.com"));
  gf_fixture_free (fx);
}

static void
test_user_by_id (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *bob_id = fake_graph_add_user (fx->fg, BOB, "Bob Jones");
  g_autoptr (TgRefs) refs = tg_refs_new (fx->graph);
  g_autoptr (TgUser) user = NULL;
  g_autofree char *path = g_strdup_printf ("/v1.0/users/%s", bob_id);
  GError *error = NULL;

  user = resolve (refs, bob_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->user_principal_name, ==, BOB);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", path), ==, 1);
  gf_fixture_free (fx);
}

static void
test_user_by_mail_alias (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *id = fake_graph_add_user (fx->fg, "sean@contoso.com", "Seán O'Neil");
  g_autoptr (TgRefs) refs = tg_refs_new (fx->graph);
  g_autoptr (TgUser) user = NULL;
  GError *error = NULL;
  GPtrArray *log;
  FakeRequest *first, *second;

  fake_graph_set_user_details (fx->fg, "sean@contoso.com", NULL, NULL, "s.o'neil@contoso.com");
  user = resolve (refs, "s.o'neil@contoso.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->id, ==, id);
  log = fake_graph_requests (fx->fg);
  g_assert_cmpuint (log->len, ==, 2);
  first = log->pdata[0];
  second = log->pdata[1];
  g_assert_cmpstr (first->path, ==, "/v1.0/users/s.o'neil@contoso.com");
  g_assert_cmpuint (first->status, ==, 404);
  g_assert_cmpstr (second->path, ==, "/v1.0/users");
  g_assert_nonnull (strstr (second->query, "$filter=mail eq 's.o''neil@contoso.com'"));
  g_assert_cmpuint (second->status, ==, 200);
  /* the alias is cached too */
  g_assert_nonnull (tg_refs_cached_user (refs, "S.O'Neil@contoso.com"));
  gf_fixture_free (fx);
}

static void
test_user_unknown (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  g_autoptr (TgRefs) refs = tg_refs_new (fx->graph);
  GError *error = NULL;

  g_assert_null (resolve (refs, "nobody@contoso.com", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nobody@contoso.com"));
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 2);

  /* not an address: no mail filter */
  g_assert_null (resolve (refs, "nobody", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 3);

  /* nothing, or a path in disguise: refused without a request */
  g_assert_null (resolve (refs, "  ", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_null (resolve (refs, "../me", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (fake_graph_requests (fx->fg)->len, ==, 3);
  gf_fixture_free (fx);
}

static void
test_user_ambiguous_mail (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *a = fake_graph_add_user (fx->fg, "ann1@contoso.com", "Ann One");
  const char *b = fake_graph_add_user (fx->fg, "ann2@contoso.com", "Ann Two");
  g_autoptr (TgRefs) refs = tg_refs_new (fx->graph);
  GError *error = NULL;

  fake_graph_set_user_details (fx->fg, "ann1@contoso.com", NULL, NULL, "ann@contoso.com");
  fake_graph_set_user_details (fx->fg, "ann2@contoso.com", NULL, NULL, "ann@contoso.com");
  g_assert_null (resolve (refs, "ann@contoso.com", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_AMBIGUOUS);
  g_assert_nonnull (strstr (error->message, a));
  g_assert_nonnull (strstr (error->message, b));
  g_assert_nonnull (strstr (error->message, "Ann Two"));
  g_error_free (error);
  gf_fixture_free (fx);
}

static void
test_odata_quote (void)
{
  g_autofree char *a = tg_users_odata_quote ("o'neil");
  g_autofree char *b = tg_users_odata_quote ("''");
  g_autofree char *c = tg_users_odata_quote (NULL);

  g_assert_cmpstr (a, ==, "'o''neil'");
  g_assert_cmpstr (b, ==, "''''''");
  g_assert_cmpstr (c, ==, "''");
}

/* ---- chats ---- */

static void
test_chat_topic_third_page (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *members[] = { BOB, NULL };
  const char *needle = NULL;
  g_autoptr (TgChat) chat = NULL;
  GError *error = NULL;

  fake_graph_add_user (fx->fg, BOB, "Bob");
  /* 120 chats, $top=50: the chat named "Needle" is among the last 20 listed. */
  for (guint i = 0; i < 120; i++)
    {
      g_autofree char *topic = g_strdup_printf ("Chat %u", i);
      const char *id = fake_graph_add_chat (fx->fg, "group", i == 0 || i == 119 ? NULL : topic,
                                            members);

      if (i == 0)
        needle = id;
    }
  g_assert_true (fake_graph_rename_chat (fx->fg, needle, BOB, "Needle"));
  fake_graph_clear_log (fx->fg);
  chat = resolve_chat (fx, "needle", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chat->id, ==, needle);
  g_assert_cmpstr (chat->topic, ==, "Needle");
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats"), ==, 3);
  gf_fixture_free (fx);
}

static void
test_chat_topic_ambiguous_and_unknown (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *members[] = { BOB, NULL };
  const char *a, *b, *exact;
  g_autoptr (TgChat) chat = NULL;
  GError *error = NULL;

  fake_graph_add_user (fx->fg, BOB, "Bob");
  a = fake_graph_add_chat (fx->fg, "group", "Plans", members);
  b = fake_graph_add_chat (fx->fg, "group", "Plans", members);
  exact = fake_graph_add_chat (fx->fg, "group", "plans", members);

  g_assert_null (resolve_chat (fx, "PLANS", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_AMBIGUOUS);
  g_assert_nonnull (strstr (error->message, "3 Teams chats"));
  g_assert_nonnull (strstr (error->message, a));
  g_assert_nonnull (strstr (error->message, b));
  g_assert_nonnull (strstr (error->message, exact));
  g_assert_nonnull (strstr (error->message, "\"Plans\""));
  g_clear_error (&error);

  /* an exact match wins over case-insensitive ones */
  chat = resolve_chat (fx, "plans", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chat->id, ==, exact);

  g_assert_null (resolve_chat (fx, "Nothing like it", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "\"Nothing like it\""));
  g_clear_error (&error);
  gf_fixture_free (fx);
}

static void
test_chat_by_id (void)
{
  GfFixture *fx = gf_fixture_new (ME);
  const char *members[] = { BOB, NULL };
  const char *id;
  g_autoptr (TgChat) chat = NULL;
  GError *error = NULL;

  fake_graph_add_user (fx->fg, BOB, "Bob");
  id = fake_graph_add_chat (fx->fg, "group", "Plans", members);
  fake_graph_clear_log (fx->fg);
  chat = resolve_chat (fx, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chat->id, ==, id);
  g_assert_cmpuint (fake_graph_count (fx->fg, "GET", "/v1.0/me/chats"), ==, 0);
  g_assert_null (resolve_chat (fx, "19:nothing@thread.v2", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "19:nothing@thread.v2"));
  g_clear_error (&error);
  gf_fixture_free (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/refs/user/upn-and-cache", test_user_by_upn_and_cache);
  g_test_add_func ("/refs/user/id", test_user_by_id);
  g_test_add_func ("/refs/user/mail-alias", test_user_by_mail_alias);
  g_test_add_func ("/refs/user/unknown", test_user_unknown);
  g_test_add_func ("/refs/user/ambiguous-mail", test_user_ambiguous_mail);
  g_test_add_func ("/refs/odata-quote", test_odata_quote);
  g_test_add_func ("/refs/chat/topic-third-page", test_chat_topic_third_page);
  g_test_add_func ("/refs/chat/topic-ambiguous-and-unknown", test_chat_topic_ambiguous_and_unknown);
  g_test_add_func ("/refs/chat/by-id", test_chat_by_id);
  return g_test_run ();
}
