/* tg-mentions — outgoing mentions (see tg-mentions.h). */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-mentions.h"

#include <string.h>

#include "core/tg-chats.h"
#include "core/tg-error.h"
#include "core/tg-markup.h"
#include "core/tg-task.h"

#define GUID_LEN 36

/* ------------------------------------------------------------------------------------------ */
/* Scanning                                                                                    */

static void
token_free (gpointer p)
{
  TgMentionToken *t = p;

  g_free (t->ref);
  g_free (t);
}

/* A letter or digit in any script (a combining mark counts: it belongs to the letter before). */
static gboolean
unicode_word_char (const char *p)
{
  gunichar c = g_utf8_get_char_validated (p, -1);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    return TRUE;   /* not valid UTF-8: never split it */
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

/* TRUE when the character before `p` (in `text`) continues a word or an address, so that an
 * '@' at `p` is inside "bob@contoso.com" or "é@…" rather than starting a mention. */
static gboolean
word_before (const char *text, const char *p)
{
  const char *prev;
  guchar c;

  if (p == text)
    return FALSE;
  prev = g_utf8_find_prev_char (text, p);
  if (prev == NULL)
    return FALSE;
  c = (guchar) *prev;
  if (c >= 0x80)
    return unicode_word_char (prev);
  return g_ascii_isalnum (c) || strchr ("_.-+%@/", c) != NULL;
}

/* TRUE when the token ending at `p` is followed by more of a word ("@everyone2", "@x.y…"). */
static gboolean
word_continues (const char *p)
{
  guchar c = (guchar) p[0];

  if (c >= 0x80)
    return unicode_word_char (p);
  if (g_ascii_isalnum (c) || c == '_' || c == '-' || c == '@')
    return TRUE;
  return c == '.' && (g_ascii_isalnum (p[1]) || ((guchar) p[1] >= 0x80 && unicode_word_char (p + 1)));
}

static gboolean
is_guid (const char *p)
{
  for (int i = 0; i < GUID_LEN; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (p[i] != '-')
            return FALSE;
        }
      else if (!g_ascii_isxdigit (p[i]))
        return FALSE;
    }
  return TRUE;
}

static gboolean
local_byte (guchar c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static gboolean
domain_byte (guchar c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-';
}

/* Parses the token after the '@' at `p`: its kind, ref and end; FALSE when it is none. */
static gboolean
parse_token (const char *p, TgMentionKind *kind, char **ref, const char **end)
{
  const char *q;

  if (g_ascii_strncasecmp (p, "everyone", 8) == 0 && !word_continues (p + 8))
    {
      *kind = TG_MENTION_EVERYONE;
      *ref = NULL;
      *end = p + 8;
      return TRUE;
    }
  /* @<id>, which arrives escaped in html */
  if (strncmp (p, "&lt;", 4) == 0 && strnlen (p + 4, GUID_LEN) == GUID_LEN && is_guid (p + 4)
      && strncmp (p + 4 + GUID_LEN, "&gt;", 4) == 0)
    {
      *kind = TG_MENTION_USER;
      *ref = g_strndup (p + 4, GUID_LEN);
      *end = p + 4 + GUID_LEN + 4;
      return TRUE;
    }
  if (strnlen (p, GUID_LEN) == GUID_LEN && is_guid (p) && !word_continues (p + GUID_LEN))
    {
      *kind = TG_MENTION_USER;
      *ref = g_strndup (p, GUID_LEN);
      *end = p + GUID_LEN;
      return TRUE;
    }
  /* user@domain: a local part, '@', a dotted domain (a sentence's final '.' is not part of it) */
  for (q = p; local_byte (*q); q++)
    ;
  if (q == p || *p == '.' || *q != '@')
    return FALSE;
  {
    const char *d = q + 1, *e;

    for (e = d; domain_byte (*e); e++)
      ;
    while (e > d && (e[-1] == '.' || e[-1] == '-'))
      e--;
    if (e == d || *d == '.' || *d == '-' || memchr (d, '.', e - d) == NULL
        || *e == '@' || *e == '_' || ((guchar) *e >= 0x80 && unicode_word_char (e)))
      return FALSE;
    *kind = TG_MENTION_USER;
    *ref = g_strndup (p, e - p);
    *end = e;
    return TRUE;
  }
}

/* Elements whose text is never scanned: links, code, and mentions already made. */
static gboolean
opaque_element (const char *name, gsize len)
{
  static const char *const names[] = { "a", "at", "code", "pre" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strlen (names[i]) == len && g_ascii_strncasecmp (name, names[i], len) == 0)
      return TRUE;
  return FALSE;
}

GPtrArray *
tg_mentions_scan (const char *html)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (token_free);
  int opaque = 0;
  const char *p = html;

  if (html == NULL)
    return tokens;
  while (*p != '\0')
    {
      if (*p == '<')
        {
          const char *name = p + 1, *close = strchr (p, '>');
          gboolean closing = *name == '/';
          gsize len = 0;

          if (close == NULL)
            break;
          if (closing)
            name++;
          while (g_ascii_isalnum (name[len]))
            len++;
          if (len > 0 && opaque_element (name, len) && close[-1] != '/')
            opaque = closing ? MAX (opaque - 1, 0) : opaque + 1;
          p = close + 1;
          continue;
        }
      if (*p == '@' && opaque == 0 && !word_before (html, p))
        {
          TgMentionKind kind;
          char *ref = NULL;
          const char *end;

          if (parse_token (p + 1, &kind, &ref, &end))
            {
              TgMentionToken *t = g_new0 (TgMentionToken, 1);

              t->kind = kind;
              t->ref = ref;
              t->start = p - html;
              t->end = end - html;
              g_ptr_array_add (tokens, t);
              p = end;
              continue;
            }
        }
      p++;
    }
  return tokens;
}

/* ------------------------------------------------------------------------------------------ */
/* Building                                                                                    */

static char *
user_key (const char *ref)
{
  return g_utf8_strdown (ref, -1);
}

static JsonObject *
mention_json (int id, const char *text, const char *kind, JsonObject *who)
{
  JsonObject *m = json_object_new ();
  JsonObject *mentioned = json_object_new ();

  json_object_set_int_member (m, "id", id);
  json_object_set_string_member (m, "mentionText", text);
  json_object_set_object_member (mentioned, kind, who);
  json_object_set_object_member (m, "mentioned", mentioned);
  return m;
}

char *
tg_mentions_build (const char *html, GPtrArray *tokens, GHashTable *users, const char *chat_id,
                   JsonArray **mentions_out)
{
  GString *out = g_string_new (NULL);
  JsonArray *mentions = json_array_new ();
  gsize pos = 0;
  int next_id = 0;

  for (guint i = 0; tokens != NULL && i < tokens->len; i++)
    {
      const TgMentionToken *t = g_ptr_array_index (tokens, i);
      JsonObject *who = NULL;
      const char *name = NULL, *kind = NULL;
      g_autofree char *escaped = NULL;

      g_string_append_len (out, html + pos, t->start - pos);
      pos = t->end;
      if (t->kind == TG_MENTION_EVERYONE && chat_id != NULL)
        {
          name = "Everyone";
          kind = "conversation";
          who = json_object_new ();
          json_object_set_string_member (who, "id", chat_id);
          json_object_set_string_member (who, "displayName", name);
          json_object_set_string_member (who, "conversationIdentityType", "chat");
        }
      else if (t->kind == TG_MENTION_USER && users != NULL)
        {
          g_autofree char *key = user_key (t->ref);
          const TgUser *u = g_hash_table_lookup (users, key);

          if (u != NULL)
            {
              name = u->display_name != NULL && *u->display_name != '\0' ? u->display_name : t->ref;
              kind = "user";
              who = json_object_new ();
              json_object_set_string_member (who, "id", u->id);
              json_object_set_string_member (who, "displayName", name);
              json_object_set_string_member (who, "userIdentityType", "aadUser");
            }
        }
      if (who == NULL)
        {
          g_string_append_len (out, html + t->start, t->end - t->start);   /* left as typed */
          continue;
        }
      escaped = g_markup_escape_text (name, -1);
      g_string_append_printf (out, "<at id=\"%d\">%s</at>", next_id, escaped);
      json_array_add_object_element (mentions, mention_json (next_id, name, kind, who));
      next_id++;
    }
  g_string_append (out, html + pos);
  if (json_array_get_length (mentions) == 0)
    g_clear_pointer (&mentions, json_array_unref);
  if (mentions_out != NULL)
    *mentions_out = mentions;
  else if (mentions != NULL)
    json_array_unref (mentions);
  return g_string_free (out, FALSE);
}

static gboolean
tokens_have_everyone (GPtrArray *tokens)
{
  for (guint i = 0; i < tokens->len; i++)
    if (((TgMentionToken *) g_ptr_array_index (tokens, i))->kind == TG_MENTION_EVERYONE)
      return TRUE;
  return FALSE;
}

gboolean
tg_mentions_has_everyone (const char *content, gboolean is_html)
{
  g_autofree char *html = NULL;
  g_autoptr (GPtrArray) tokens = NULL;

  if (content == NULL || strchr (content, '@') == NULL)
    return FALSE;
  html = is_html ? g_strdup (content) : tg_markup_from_text (content);
  tokens = tg_mentions_scan (html);
  return tokens_have_everyone (tokens);
}

/* ------------------------------------------------------------------------------------------ */
/* Resolving (get_mentions)                                                                    */

void
tg_mentions_prepared_free (TgMentionsPrepared *p)
{
  if (p == NULL)
    return;
  g_free (p->content);
  if (p->mentions != NULL)
    json_array_unref (p->mentions);
  g_strfreev (p->unresolved);
  g_free (p);
}

typedef struct {
  TgRefs *refs;
  char *chat_id;
  char *content;
  gboolean is_html;
  char *html;              /* content as Teams html */
  GPtrArray *tokens;
  GHashTable *users;       /* lower-case ref → TgUser* (owned) */
  GPtrArray *unresolved;   /* char* */
  guint pending;
  GError *cancelled;
} Prepare;

static void
prepare_free (gpointer p)
{
  Prepare *pr = p;

  tg_refs_unref (pr->refs);
  g_free (pr->chat_id);
  g_free (pr->content);
  g_free (pr->html);
  if (pr->tokens != NULL)
    g_ptr_array_unref (pr->tokens);
  if (pr->users != NULL)
    g_hash_table_destroy (pr->users);
  g_ptr_array_unref (pr->unresolved);
  g_clear_error (&pr->cancelled);
  g_free (pr);
}

/* Returns the result: the built html and mentions, or the content as given when nothing was
 * resolved (no tokens at all: html NULL). */
static void
prepare_return (GTask *task)
{
  Prepare *pr = g_task_get_task_data (task);
  TgMentionsPrepared *out;
  JsonArray *mentions = NULL;
  g_autofree char *html = NULL;

  if (pr->cancelled != NULL)
    {
      tg_task_fail (task, g_steal_pointer (&pr->cancelled));
      return;
    }
  out = g_new0 (TgMentionsPrepared, 1);
  if (pr->html != NULL)
    html = tg_mentions_build (pr->html, pr->tokens, pr->users, pr->chat_id, &mentions);
  if (mentions != NULL)
    {
      out->content = g_steal_pointer (&html);
      out->is_html = TRUE;
      out->mentions = mentions;
    }
  else
    {
      out->content = g_strdup (pr->content);   /* nothing resolved: as typed */
      out->is_html = pr->is_html;
    }
  g_ptr_array_add (pr->unresolved, NULL);
  out->unresolved = (char **) g_ptr_array_free (g_steal_pointer (&pr->unresolved), FALSE);
  pr->unresolved = g_ptr_array_new_with_free_func (g_free);
  tg_task_done_pointer (task, out, (GDestroyNotify) tg_mentions_prepared_free);
}

typedef struct {
  GTask *task;
  char *key;
} Pending;

static void
on_user (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *pd = data;
  GTask *task = pd->task;
  Prepare *pr = g_task_get_task_data (task);
  GError *error = NULL;
  TgUser *user = tg_refs_resolve_user_finish (pr->refs, result, &error);

  if (user != NULL)
    g_hash_table_replace (pr->users, g_steal_pointer (&pd->key), user);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (pr->cancelled == NULL)
        pr->cancelled = g_steal_pointer (&error);
    }
  else
    g_ptr_array_add (pr->unresolved, g_strdup (error->message));
  g_clear_error (&error);
  g_free (pd->key);
  g_free (pd);
  if (--pr->pending == 0)
    prepare_return (task);
}

void
tg_mentions_prepare_async (TgRefs *refs, const char *chat_id, gboolean group_chat,
                           const char *content, gboolean is_html, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  Prepare *pr = g_new0 (Prepare, 1);
  GTask *task = tg_task_new (tg_mentions_prepare_async, pr, prepare_free, cancellable, callback,
                             user_data);
  g_autoptr (GHashTable) asked = NULL;

  pr->refs = tg_refs_ref (refs);
  pr->chat_id = g_strdup (chat_id);
  pr->content = g_strdup (content != NULL ? content : "");
  pr->is_html = is_html;
  pr->unresolved = g_ptr_array_new_with_free_func (g_free);
  if (strchr (pr->content, '@') == NULL)
    {
      prepare_return (task);   /* nothing that could be a mention: no work, no request */
      return;
    }
  pr->html = is_html ? g_strdup (pr->content) : tg_markup_from_text (pr->content);
  pr->tokens = tg_mentions_scan (pr->html);
  pr->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) tg_user_free);
  if (!group_chat && tokens_have_everyone (pr->tokens))
    {
      tg_task_fail_new (task, TG_ERROR_BAD_REQUEST, TG_MENTIONS_EVERYONE_REFUSED);
      return;
    }
  asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < pr->tokens->len; i++)
    {
      const TgMentionToken *t = g_ptr_array_index (pr->tokens, i);

      if (t->kind == TG_MENTION_USER)
        g_hash_table_add (asked, user_key (t->ref));
    }
  if (g_hash_table_size (asked) == 0)
    {
      prepare_return (task);
      return;
    }
  /* All refs are asked for at once (GTask delivers every answer from the main loop, so none
   * comes before the last request is out); the last answer builds the result. */
  pr->pending = g_hash_table_size (asked);
  {
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init (&it, asked);
    while (g_hash_table_iter_next (&it, &key, NULL))
      {
        Pending *pd = g_new0 (Pending, 1);

        pd->task = task;
        pd->key = g_strdup (key);
        tg_refs_resolve_user_async (refs, key, cancellable, on_user, pd);
      }
  }
}

TgMentionsPrepared *
tg_mentions_prepare_finish (GAsyncResult *result, GError **error)
{
  return tg_task_finish_pointer (result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Sending                                                                                     */

typedef struct {
  TgRefs *refs;
  char *chat_id;
  GPtrArray *images;         /* TgHostedImage*, or NULL */
  char **unresolved;
} Send;

static void
send_free (gpointer p)
{
  Send *s = p;

  tg_refs_unref (s->refs);
  g_free (s->chat_id);
  g_clear_pointer (&s->images, g_ptr_array_unref);
  g_strfreev (s->unresolved);
  g_free (s);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Send *s = g_task_get_task_data (task);
  GError *error = NULL;
  TgMessage *msg = tg_chats_send_message_finish (tg_refs_graph (s->refs), result, &error);

  if (msg == NULL)
    tg_task_fail (task, error);
  else
    tg_task_done_pointer (task, msg, (GDestroyNotify) tg_message_unref);
}

static void
on_prepared (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  Send *s = g_task_get_task_data (task);
  GError *error = NULL;
  TgMentionsPrepared *p = tg_mentions_prepare_finish (result, &error);

  if (p == NULL)
    {
      tg_task_fail (task, error);
      return;
    }
  s->unresolved = g_steal_pointer (&p->unresolved);
  tg_chats_send_message_with_images_async (tg_refs_graph (s->refs), s->chat_id, p->content,
                                           p->is_html, p->mentions, s->images,
                                           g_task_get_cancellable (task), on_sent, task);
  tg_mentions_prepared_free (p);
}

void
tg_mentions_send_async (TgRefs *refs, const char *chat_id, gboolean group_chat,
                        const char *content, gboolean is_html, GPtrArray *images,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  Send *s = g_new0 (Send, 1);
  GTask *task = tg_task_new (tg_mentions_send_async, s, send_free, cancellable, callback,
                             user_data);

  s->refs = tg_refs_ref (refs);
  s->chat_id = g_strdup (chat_id);
  s->images = images != NULL ? g_ptr_array_ref (images) : NULL;
  tg_mentions_prepare_async (refs, chat_id, group_chat, content, is_html, cancellable,
                             on_prepared, task);
}

TgMessage *
tg_mentions_send_finish (GAsyncResult *result, char ***unresolved_out, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  if (unresolved_out != NULL)
    {
      Send *s = g_task_get_task_data (G_TASK (result));

      *unresolved_out = s->unresolved != NULL ? g_strdupv (s->unresolved) : g_new0 (char *, 1);
    }
  return g_task_propagate_pointer (G_TASK (result), error);
}
