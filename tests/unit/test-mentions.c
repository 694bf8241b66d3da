/* Unit tests for tg-mentions: the scanner (what is a mention and what is not: addresses inside
 * sentences, links, code, neighbours in any script, a sentence's final dot, @<id> escaped or bare,
 * @everyone), the builder (ids in order of appearance, a person mentioned twice gets two
 * entries, html-escaped names with quotes and unicode, Graph's mention shapes, unresolved refs
 * left as typed), and tg_mentions_send_async against the emulator (the exact POST, plain text
 * turned into html, @everyone refused in a one-on-one chat with no request, an unknown user
 * reported and sent as plain text, no lookup when there is no '@').
 */
#include <string.h>

#include "common/graph-fixture.h"
#include "core/tg-error.h"
#include "core/tg-json.h"
#include "core/tg-mentions.h"

#define ME "me@contoso.com"
#define BOB "bob@contoso.com"
#define GUID "0f8fad5b-d9cb-469f-a165-70867728950e"

/* ---- scanning ---- */

static char *
scan_summary (const char *html)
{
  g_autoptr (GPtrArray) tokens = tg_mentions_scan (html);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < tokens->len; i++)
    {
      const TgMentionToken *t = g_ptr_array_index (tokens, i);

      g_string_append_printf (s, "%s[%s|%.*s]", i > 0 ? " " : "",
                              t->kind == TG_MENTION_EVERYONE ? "everyone" : t->ref,
                              (int) (t->end - t->start), html + t->start);
    }
  return g_string_free (s, FALSE);
}

static void
check_scan (const char *html, const char *expected)
{
  g_autofree char *got = scan_summary (html);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_scan_addresses (void)
{
  check_scan ("hi @bob@contoso.com", "[bob@contoso.com|@bob@contoso.com]");
  /* the sentence's final dot, a comma, brackets */
  check_scan ("ask @bob@contoso.com.", "[bob@contoso.com|@bob@contoso.com]");
  check_scan ("(@a.b-c+d@sub.contoso.com), ok",
              "[a.b-c+d@sub.contoso.com|@a.b-c+d@sub.contoso.com]");
  /* an address inside a sentence is not a mention */
  check_scan ("mail bob@contoso.com please", "");
  check_scan ("x@bob@contoso.com", "");
  /* no domain, no dot in the domain, a leading dot */
  check_scan ("@bob @bob@ @bob@localhost @.bob@contoso.com", "");
  check_scan ("", "");
}

static void
test_scan_ids_and_everyone (void)
{
  check_scan ("@" GUID " hi", "[" GUID "|@" GUID "]");
  check_scan ("@&lt;" GUID "&gt;: hi", "[" GUID "|@&lt;" GUID "&gt;]");
  check_scan ("@" GUID "x", "");
  check_scan ("@everyone, look", "[everyone|@everyone]");
  check_scan ("@Everyone.", "[everyone|@Everyone]");
  check_scan ("@everyones @everyone2 @everyone.com", "");
}

static void
test_scan_skips_markup (void)
{
  check_scan ("<a href=\"mailto:@bob@contoso.com\">@bob@contoso.com</a> @carol@contoso.com",
              "[carol@contoso.com|@carol@contoso.com]");
  check_scan ("<code>@bob@contoso.com</code><pre>@everyone</pre>", "");
  check_scan ("<at id=\"0\">@bob@contoso.com</at><b>@bob@contoso.com</b>",
              "[bob@contoso.com|@bob@contoso.com]");
  check_scan ("<br/>@everyone", "[everyone|@everyone]");
  /* an unterminated tag ends the scan, never a read past the end */
  check_scan ("@everyone <b", "[everyone|@everyone]");
}

static void
test_scan_unicode (void)
{
  /* a letter before the '@' makes it part of a word; non-ASCII around a token is kept whole */
  check_scan ("é@bob@contoso.com", "");
  check_scan ("日本 @bob@contoso.com 日本", "[bob@contoso.com|@bob@contoso.com]");
  check_scan ("@bob@contoso.comé", "");
  check_scan ("«@everyone»", "[everyone|@everyone]");   /* punctuation in any script bounds a word */
  check_scan ("日本@bob@contoso.com", "");                 /* letters in any script do not */
  check_scan ("@bob@contoso.com—@everyone", "[bob@contoso.com|@bob@contoso.com] [everyone|@everyone]");
}

static void
test_has_everyone (void)
{
  g_assert_true (tg_mentions_has_everyone ("hi @everyone", FALSE));
  g_assert_true (tg_mentions_has_everyone ("<b>@EVERYONE</b>", TRUE));
  g_assert_false (tg_mentions_has_everyone ("<code>@everyone</code>", TRUE));
  g_assert_false (tg_mentions_has_everyone ("everyone@contoso.com", FALSE));
  g_assert_false (tg_mentions_has_everyone ("@bob@contoso.com", FALSE));
  g_assert_false (tg_mentions_has_everyone (NULL, FALSE));
}

/* ---- building ---- */

static TgUser *
user (const char *id, const char *name)
{
  TgUser *u = g_new0 (TgUser, 1);

  u->id = g_strdup (id);
  u->display_name = g_strdup (name);
  return u;
}

static GHashTable *
users_table (void)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) tg_user_free);

  g_hash_table_insert (t, g_strdup ("bob@contoso.com"), user ("id-bob", "Bob Jones"));
  g_hash_table_insert (t, g_strdup ("carol@contoso.com"),
                       user ("id-carol", "Carol \"CJ\" O'Brien & <Co>"));
  g_hash_table_insert (t, g_strdup ("zoë@contoso.com"), user ("id-zoe", "Zoë Ångström 日本"));
  g_hash_table_insert (t, g_strdup (GUID), user (GUID, "Dave"));
  return t;
}

static char *
build (const char *html, const char *chat_id, JsonArray **mentions)
{
  g_autoptr (GPtrArray) tokens = tg_mentions_scan (html);
  g_autoptr (GHashTable) users = users_table ();

  return tg_mentions_build (html, tokens, users, chat_id, mentions);
}

static void
check_user_mention (JsonArray *mentions, guint i, const char *id, const char *name)
{
  JsonObject *m = tg_json_array_object (mentions, i);

  g_assert_nonnull (m);
  g_assert_cmpint (tg_json_int (m, "id", -1), ==, i);
  g_assert_cmpstr (tg_json_string (m, "mentionText"), ==, name);
  g_assert_cmpstr (tg_json_path_string (m, "mentioned", "user", "id", NULL), ==, id);
  g_assert_cmpstr (tg_json_path_string (m, "mentioned", "user", "displayName", NULL), ==, name);
  g_assert_cmpstr (tg_json_path_string (m, "mentioned", "user", "userIdentityType", NULL), ==,
                   "aadUser");
}

static void
test_build_order_and_duplicates (void)
{
  JsonArray *mentions = NULL;
  g_autofree char *html = build ("@bob@contoso.com, @" GUID " and @BOB@contoso.com again",
                                 "19:x@thread.v2", &mentions);

  g_assert_cmpstr (html, ==, "<at id=\"0\">Bob Jones</at>, <at id=\"1\">Dave</at> and "
                             "<at id=\"2\">Bob Jones</at> again");
  g_assert_cmpuint (json_array_get_length (mentions), ==, 3);
  check_user_mention (mentions, 0, "id-bob", "Bob Jones");
  check_user_mention (mentions, 1, GUID, "Dave");
  check_user_mention (mentions, 2, "id-bob", "Bob Jones");
  json_array_unref (mentions);
}

static void
test_build_escapes_names (void)
{
  JsonArray *mentions = NULL;
  g_autofree char *html = build ("<p>&lt;hi&gt; @carol@contoso.com @zoë@contoso.com</p>", NULL,
                                 &mentions);

  /* zoë is no address the scanner takes (non-ASCII local part): left as typed */
  g_assert_cmpstr (html, ==, "<p>&lt;hi&gt; <at id=\"0\">Carol &quot;CJ&quot; O&apos;Brien &amp; "
                             "&lt;Co&gt;</at> @zoë@contoso.com</p>");
  g_assert_cmpuint (json_array_get_length (mentions), ==, 1);
  check_user_mention (mentions, 0, "id-carol", "Carol \"CJ\" O'Brien & <Co>");
  json_array_unref (mentions);
}

static void
test_build_unicode_names (void)
{
  g_autoptr (GHashTable) users = users_table ();
  g_autoptr (GPtrArray) tokens = tg_mentions_scan ("¡Hola @" GUID "! 😀");
  JsonArray *mentions = NULL;
  g_autofree char *html = NULL;

  g_hash_table_replace (users, g_strdup (GUID), user (GUID, "Zoë Ångström 日本"));
  html = tg_mentions_build ("¡Hola @" GUID "! 😀", tokens, users, NULL, &mentions);
  g_assert_cmpstr (html, ==, "¡Hola <at id=\"0\">Zoë Ångström 日本</at>! 😀");
  g_assert_true (g_utf8_validate (html, -1, NULL));
  check_user_mention (mentions, 0, GUID, "Zoë Ångström 日本");
  json_array_unref (mentions);
}

static void
test_build_everyone_and_unresolved (void)
{
  JsonArray *mentions = NULL;
  g_autofree char *html = build ("@everyone: @nobody@contoso.com and @bob@contoso.com",
                                 "19:x@thread.v2", &mentions);
  JsonObject *m;
  g_autofree char *none = NULL;

  g_assert_cmpstr (html, ==, "<at id=\"0\">Everyone</at>: @nobody@contoso.com and "
                             "<at id=\"1\">Bob Jones</at>");
  g_assert_cmpuint (json_array_get_length (mentions), ==, 2);
  m = tg_json_array_object (mentions, 0);
  g_assert_cmpint (tg_json_int (m, "id", -1), ==, 0);
  g_assert_cmpstr (tg_json_string (m, "mentionText"), ==, "Everyone");
  g_assert_cmpstr (tg_json_path_string (m, "mentioned", "conversation", "id", NULL), ==,
                   "19:x@thread.v2");
  g_assert_cmpstr (tg_json_path_string (m, "mentioned", "conversation", "displayName", NULL), ==,
                   "Everyone");
  g_assert_cmpstr (tg_json_path_string (m, "mentioned", "conversation",
                                        "conversationIdentityType", NULL), ==, "chat");
  check_user_mention (mentions, 1, "id-bob", "Bob Jones");
  json_array_unref (mentions);

  /* No chat id: @everyone stays text; nothing resolved: no mentions array at all. */
  mentions = (JsonArray *) 0x1;
  none = build ("@everyone @nobody@contoso.com", NULL, &mentions);
  g_assert_cmpstr (none, ==, "@everyone @nobody@contoso.com");
  g_assert_null (mentions);
}

/* ---- sending ---- */

typedef struct {
  GfFixture *fx;
  TgRefs *refs;
  const char *group_id;
  const char *one_id;
  const char *bob_id;
} SendFx;

static void
send_fx_init (SendFx *s)
{
  const char *members[] = { BOB, "carol@contoso.com", NULL };
  const char *one[] = { BOB, NULL };

  s->fx = gf_fixture_new (ME);
  s->bob_id = fake_graph_add_user (s->fx->fg, BOB, "Bob Jones");
  fake_graph_add_user (s->fx->fg, "carol@contoso.com", "Carol");
  s->group_id = fake_graph_add_chat (s->fx->fg, "group", "Plans", members);
  s->one_id = fake_graph_add_chat (s->fx->fg, "oneOnOne", NULL, one);
  s->refs = tg_refs_new (s->fx->graph);
  fake_graph_clear_log (s->fx->fg);
}

static void
send_fx_clear (SendFx *s)
{
  tg_refs_unref (s->refs);
  gf_fixture_free (s->fx);
}

static TgMessage *
send (SendFx *s, const char *chat_id, gboolean group, const char *content, gboolean is_html,
      char ***unresolved, GError **error)
{
  GfWait w = { 0 };
  TgMessage *msg;

  tg_mentions_send_async (s->refs, chat_id, group, content, is_html, NULL, NULL, gf_wait_cb, &w);
  msg = tg_mentions_send_finish (gf_wait (&w), unresolved, error);
  gf_wait_clear (&w);
  return msg;
}

static void
test_send_mentions (void)
{
  SendFx s = { 0 };
  GError *error = NULL;
  g_auto (GStrv) unresolved = NULL;
  g_autoptr (TgMessage) msg = NULL;
  g_autoptr (JsonNode) keep = NULL;
  g_autofree char *path = NULL;
  JsonObject *body;
  JsonArray *mentions;

  send_fx_init (&s);
  /* plain text with a newline and markup characters: becomes html around the mentions */
  msg = send (&s, s.group_id, TRUE, "a < b\n@bob@contoso.com @everyone", FALSE, &unresolved,
              &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpuint (g_strv_length (unresolved), ==, 0);
  g_assert_cmpuint (fake_graph_count (s.fx->fg, "GET", "/v1.0/users/bob@contoso.com"), ==, 1);
  path = g_strdup_printf ("/v1.0/chats/%s/messages", s.group_id);
  body = gf_request_body (gf_last_request (s.fx->fg, "POST", path), &keep);
  g_assert_cmpstr (tg_json_path_string (body, "body", "contentType", NULL), ==, "html");
  g_assert_cmpstr (tg_json_path_string (body, "body", "content", NULL), ==,
                   "a &lt; b<br><at id=\"0\">Bob Jones</at> <at id=\"1\">Everyone</at>");
  mentions = tg_json_array (body, "mentions");
  g_assert_cmpuint (tg_json_array_length (mentions), ==, 2);
  check_user_mention (mentions, 0, s.bob_id, "Bob Jones");
  g_assert_cmpstr (tg_json_path_string (tg_json_array_object (mentions, 1), "mentioned",
                                        "conversation", "id", NULL), ==, s.group_id);
  /* the message as Graph stored it carries them */
  g_assert_cmpuint (msg->mentions->len, ==, 2);

  /* a second mention of Bob costs no lookup (the account's cache) */
  g_clear_pointer (&msg, tg_message_unref);
  g_clear_pointer (&unresolved, g_strfreev);
  msg = send (&s, s.group_id, TRUE, "<b>@bob@contoso.com</b>", TRUE, &unresolved, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fake_graph_count (s.fx->fg, "GET", "/v1.0/users*"), ==, 1);
  send_fx_clear (&s);
}

/* get_mentions alone: resolves and builds, sends nothing. */
static void
test_prepare (void)
{
  SendFx s = { 0 };
  GError *error = NULL;
  GfWait w = { 0 };
  g_autoptr (TgMentionsPrepared) p = NULL;

  send_fx_init (&s);
  tg_mentions_prepare_async (s.refs, s.group_id, TRUE, "@nobody@contoso.com, @bob@contoso.com",
                             FALSE, NULL, gf_wait_cb, &w);
  p = tg_mentions_prepare_finish (gf_wait (&w), &error);
  gf_wait_clear (&w);
  g_assert_no_error (error);
  g_assert_true (p->is_html);
  g_assert_cmpstr (p->content, ==, "@nobody@contoso.com, <at id=\"0\">Bob Jones</at>");
  g_assert_cmpuint (json_array_get_length (p->mentions), ==, 1);
  check_user_mention (p->mentions, 0, s.bob_id, "Bob Jones");
  g_assert_cmpuint (g_strv_length (p->unresolved), ==, 1);
  g_assert_nonnull (strstr (p->unresolved[0], "nobody@contoso.com"));
  g_assert_cmpuint (fake_graph_count (s.fx->fg, "POST", "*"), ==, 0);
  send_fx_clear (&s);
}

static void
test_send_everyone_one_on_one (void)
{
  SendFx s = { 0 };
  GError *error = NULL;
  g_auto (GStrv) unresolved = NULL;
  TgMessage *msg;

  send_fx_init (&s);
  msg = send (&s, s.one_id, FALSE, "@everyone hello", FALSE, &unresolved, &error);
  g_assert_null (msg);
  g_assert_error (error, TG_ERROR, TG_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "@everyone"));
  g_assert_cmpuint (fake_graph_requests (s.fx->fg)->len, ==, 0);
  g_error_free (error);
  send_fx_clear (&s);
}

static void
test_send_unresolved (void)
{
  SendFx s = { 0 };
  GError *error = NULL;
  g_auto (GStrv) unresolved = NULL;
  g_autoptr (TgMessage) msg = NULL;
  g_autoptr (JsonNode) keep = NULL;
  JsonObject *body;

  send_fx_init (&s);
  msg = send (&s, s.one_id, FALSE, "hi @nobody@contoso.com", FALSE, &unresolved, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpuint (g_strv_length (unresolved), ==, 1);
  g_assert_nonnull (strstr (unresolved[0], "nobody@contoso.com"));
  body = gf_request_body (gf_last_request (s.fx->fg, "POST", "/v1.0/chats/*/messages"), &keep);
  g_assert_cmpstr (tg_json_path_string (body, "body", "contentType", NULL), ==, "text");
  g_assert_cmpstr (tg_json_path_string (body, "body", "content", NULL), ==,
                   "hi @nobody@contoso.com");
  g_assert_null (tg_json_array (body, "mentions"));

  /* nothing that looks like a mention: one request, the POST */
  fake_graph_clear_log (s.fx->fg);
  g_clear_pointer (&msg, tg_message_unref);
  msg = send (&s, s.one_id, FALSE, "write to bob@contoso.com", FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fake_graph_requests (s.fx->fg)->len, ==, 1);
  send_fx_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mentions/scan/addresses", test_scan_addresses);
  g_test_add_func ("/mentions/scan/ids-and-everyone", test_scan_ids_and_everyone);
  g_test_add_func ("/mentions/scan/skips-markup", test_scan_skips_markup);
  g_test_add_func ("/mentions/scan/unicode", test_scan_unicode);
  g_test_add_func ("/mentions/scan/has-everyone", test_has_everyone);
  g_test_add_func ("/mentions/build/order-and-duplicates", test_build_order_and_duplicates);
  g_test_add_func ("/mentions/build/escapes-names", test_build_escapes_names);
  g_test_add_func ("/mentions/build/unicode-names", test_build_unicode_names);
  g_test_add_func ("/mentions/build/everyone-and-unresolved", test_build_everyone_and_unresolved);
  g_test_add_func ("/mentions/prepare", test_prepare);
  g_test_add_func ("/mentions/send/mentions", test_send_mentions);
  g_test_add_func ("/mentions/send/everyone-one-on-one", test_send_everyone_one_on_one);
  g_test_add_func ("/mentions/send/unresolved", test_send_unresolved);
  return g_test_run ();
}
