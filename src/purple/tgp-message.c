/* tgp-message — the shared renderer of Teams messages (see tgp-message.h). */
#include "purple/tgp-message.h"

#include <string.h>

#include "core/tg-markup.h"
#include "purple/tgp-images.h"
#include "purple/tgp-sync.h"


/* ---- tg-markup context: the message's attachments ---- */

static gboolean
find_attachment (const char *id, const char **name, const char **url, gpointer user_data)
{
  const TgMessage *msg = user_data;

  for (guint i = 0; i < msg->attachments->len; i++)
    {
      const TgAttachment *att = g_ptr_array_index (msg->attachments, i);

      if (att->id == NULL || g_strcmp0 (att->id, id) != 0)
        continue;
      if (g_strcmp0 (att->content_type, "messageReference") == 0)
        {
          /* A reply's quote: Teams shows it as a box above the text; we show the text. */
          *name = "";
          *url = NULL;
          return TRUE;
        }
      if (att->name != NULL && *att->name != '\0')
        *name = att->name;
      else if (att->content_type != NULL && strstr (att->content_type, "card") != NULL)
        *name = "[card]";
      else
        *name = "[attachment]";
      *url = att->content_url;
      return TRUE;
    }
  return FALSE;
}

typedef struct {
  TgpAccount *ta;
  const TgMessage *msg;
  gboolean images;     /* an image was shown inline */
} RenderCtx;

static gboolean
render_attachment (const char *id, const char **name, const char **url, gpointer user_data)
{
  return find_attachment (id, name, url, (gpointer) ((RenderCtx *) user_data)->msg);
}

/* Inline images downloaded for this delivery (tgp-images), else the default link. */
static char *
render_image (const char *src, const char *alt, gpointer user_data)
{
  RenderCtx *rc = user_data;
  char *markup = tgp_images_inline (rc->ta, src);

  rc->images |= markup != NULL;
  return markup;
}

/* *images_out (may be NULL): whether the markup shows images of the purple image store. */
static char *
body_markup (TgpAccount *ta, const TgMessage *msg, gboolean *images_out)
{
  RenderCtx rc = { ta, msg, FALSE };
  TgMarkupContext ctx = { .attachment = render_attachment, .image = render_image, .user_data = &rc };
  char *markup;

  if (msg->content_type == TG_CONTENT_HTML)
    markup = tg_markup_from_teams (msg->body, &ctx);
  else
    markup = tg_markup_from_text (msg->body);
  if (images_out != NULL)
    *images_out = rc.images;
  return markup;
}

static char *
body_plain (const TgMessage *msg)
{
  TgMarkupContext ctx = { .attachment = find_attachment, .user_data = (gpointer) msg };

  if (msg->content_type == TG_CONTENT_HTML)
    return tg_markup_to_plain (msg->body, &ctx);
  return g_strdup (msg->body != NULL ? msg->body : "");
}


/* ------------------------------------------------------------------------------------------ */

gboolean
tgp_message_mentions_me (TgpAccount *ta, const TgMessage *msg)
{
  if (ta == NULL || ta->self_id == NULL || msg == NULL)
    return FALSE;
  for (guint i = 0; i < msg->mentions->len; i++)
    {
      const TgMention *m = g_ptr_array_index (msg->mentions, i);

      if (m->user_id != NULL && g_ascii_strcasecmp (m->user_id, ta->self_id) == 0)
        return TRUE;
      /* @everyone names the chat itself: it is meant for me too. */
      if (m->conversation_id != NULL && msg->chat_id != NULL
          && g_strcmp0 (m->conversation_id, msg->chat_id) == 0)
        return TRUE;
    }
  return FALSE;
}

void
tgp_message_render (TgpAccount *ta, const TgMessage *msg, TgSyncMessageFlags flags,
                    char **html_out, PurpleMessageFlags *flags_out, time_t *when_out)
{
  PurpleMessageFlags pflags = 0;
  gint64 when_us;
  char *html;
  gboolean own = (flags & TG_SYNC_MSG_OWN) != 0;
  gboolean images = FALSE;

  g_return_if_fail (msg != NULL);

  /* Own messages are also recognised without the engine's flag (history). */
  if (!own && ta != NULL && ta->self_id != NULL && msg->from_user_id != NULL
      && g_ascii_strcasecmp (msg->from_user_id, ta->self_id) == 0)
    own = TRUE;

  when_us = msg->created;
  if ((flags & TG_SYNC_MSG_SYSTEM) || tg_message_is_system (msg))
    {
      g_autofree char *text = tg_message_system_text (msg);

      html = g_markup_escape_text (text != NULL && *text != '\0' ? text : "(a chat event)", -1);
      pflags = PURPLE_MESSAGE_SYSTEM;
      own = FALSE;
    }
  else if ((flags & TG_SYNC_MSG_DELETED) || msg->is_deleted)
    {
      /* Shown from its sender ("Bob: (deleted a message)"), so that a group chat tells who. */
      html = g_strdup ("(deleted a message)");
      if (msg->deleted != 0)
        when_us = msg->deleted;
      else if (msg->last_modified != 0)
        when_us = msg->last_modified;
    }
  else if (flags & TG_SYNC_MSG_EDITED)
    {
      g_autofree char *body = body_markup (ta, msg, &images);

      html = g_strconcat ("(edited) ", body, NULL);
      if (msg->last_edited != 0)
        when_us = msg->last_edited;
      else if (msg->last_modified != 0)
        when_us = msg->last_modified;
    }
  else
    html = body_markup (ta, msg, &images);

  if ((pflags & PURPLE_MESSAGE_SYSTEM) == 0)
    {
      if (own)
        pflags |= PURPLE_MESSAGE_SEND | PURPLE_MESSAGE_REMOTE_SEND;
      else
        {
          pflags |= PURPLE_MESSAGE_RECV;
          if (tgp_message_mentions_me (ta, msg))
            pflags |= PURPLE_MESSAGE_NICK;
        }
    }
  if (flags & TG_SYNC_MSG_DELAYED)
    pflags |= PURPLE_MESSAGE_DELAYED;
  if (images)
    pflags |= PURPLE_MESSAGE_IMAGES;   /* <img id> of the image store, as other prpls flag it */
  if (when_us == 0)
    when_us = msg->last_modified;

  if (html_out != NULL)
    *html_out = html;
  else
    g_free (html);
  if (flags_out != NULL)
    *flags_out = pflags;
  if (when_out != NULL)
    *when_out = when_us > 0 ? (time_t) (when_us / G_USEC_PER_SEC) : time (NULL);
}

/* ------------------------------------------------------------------------------------------ */

char *
tgp_message_member_name (const TgMember *m)
{
  if (m->email != NULL && *m->email != '\0')
    return g_utf8_strdown (m->email, -1);
  if (m->user_id != NULL && *m->user_id != '\0')
    return g_ascii_strdown (m->user_id, -1);
  return NULL;
}

char *
tgp_message_sender_name (TgpAccount *ta, const TgChat *chat, const TgMessage *msg)
{
  g_return_val_if_fail (msg != NULL, g_strdup (""));

  if (msg->from_user_id != NULL && *msg->from_user_id != '\0')
    {
      if (chat == NULL && ta != NULL && msg->chat_id != NULL && tgp_sync_get (ta) != NULL)
        chat = tg_sync_get_chat (tgp_sync_get (ta), msg->chat_id);
      if (chat != NULL)
        {
          TgMember *m = tg_chat_find_member (chat, msg->from_user_id);
          char *name = m != NULL ? tgp_message_member_name (m) : NULL;

          if (name != NULL)
            return name;
        }
      if (ta != NULL && tg_id_equal (msg->from_user_id, ta->self_id))
        return g_utf8_strdown (ta->self_upn != NULL ? ta->self_upn
                                                    : purple_account_get_username (ta->account), -1);
      return g_ascii_strdown (msg->from_user_id, -1);
    }
  if (msg->from_app_name != NULL && *msg->from_app_name != '\0')
    return g_strdup (msg->from_app_name);
  if (msg->from_app_id != NULL)
    return g_strdup (msg->from_app_id);
  return g_strdup ("");
}

/* ------------------------------------------------------------------------------------------ */

static const char *
reaction_symbol (const char *type)
{
  static const struct { const char *name, *symbol; } known[] = {
    { "like", "\xf0\x9f\x91\x8d" },        /* 👍 */
    { "heart", "\xe2\x9d\xa4\xef\xb8\x8f" }, /* ❤️ */
    { "laugh", "\xf0\x9f\x98\x86" },       /* 😆 */
    { "surprised", "\xf0\x9f\x98\xae" },   /* 😮 */
    { "sad", "\xf0\x9f\x98\xa2" },         /* 😢 */
    { "angry", "\xf0\x9f\x98\xa0" },       /* 😠 */
  };

  if (type == NULL)
    return "?";
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_ascii_strcasecmp (type, known[i].name) == 0)
      return known[i].symbol;
  return type;
}

static char *
reactor_name (TgpAccount *ta, const TgMessage *msg, const TgReaction *r)
{
  if (ta != NULL && ta->self_id != NULL && r->user.id != NULL
      && g_ascii_strcasecmp (r->user.id, ta->self_id) == 0)
    return g_strdup ("you");
  if (r->user.display_name != NULL && *r->user.display_name != '\0')
    return g_strdup (r->user.display_name);
  if (r->user.id != NULL && ta != NULL && msg->chat_id != NULL && tgp_sync_get (ta) != NULL)
    {
      TgChat *chat = tg_sync_get_chat (tgp_sync_get (ta), msg->chat_id);
      TgMember *m = chat != NULL ? tg_chat_find_member (chat, r->user.id) : NULL;

      if (m != NULL && m->display_name != NULL && *m->display_name != '\0')
        return g_strdup (m->display_name);
      if (m != NULL && m->email != NULL)
        return g_strdup (m->email);
    }
  return g_strdup (r->user.id != NULL ? r->user.id : "someone");
}

char *
tgp_message_one_line (const char *text, guint max_chars)
{
  g_autofree char *plain = g_strstrip (g_strdup (text != NULL ? text : ""));

  for (char *p = plain; *p != '\0'; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  if ((guint) g_utf8_strlen (plain, -1) > max_chars)
    {
      g_autofree char *cut = g_utf8_substring (plain, 0, max_chars);
      return g_strconcat (cut, "\xe2\x80\xa6", NULL);
    }
  return g_steal_pointer (&plain);
}

char *
tgp_message_excerpt (const TgMessage *msg, guint max_chars)
{
  g_autofree char *plain = NULL;

  g_return_val_if_fail (msg != NULL, g_strdup (""));
  plain = body_plain (msg);
  return tgp_message_one_line (plain, max_chars);
}

char *
tgp_message_reaction_line (const char *who, const char *reaction_type, const char *excerpt)
{
  return g_strdup_printf ("%s reacted %s to: %s", who, reaction_symbol (reaction_type),
                          excerpt != NULL && *excerpt != '\0' ? excerpt : "a message");
}

char *
tgp_message_render_reaction (TgpAccount *ta, const TgMessage *msg, const TgReaction *reaction)
{
  g_autofree char *who = NULL, *excerpt = NULL, *line = NULL;

  g_return_val_if_fail (msg != NULL && reaction != NULL, g_strdup (""));
  who = reactor_name (ta, msg, reaction);
  excerpt = tgp_message_excerpt (msg, TGP_MESSAGE_EXCERPT_CHARS);
  line = tgp_message_reaction_line (g_str_equal (who, "you") ? "You" : who,
                                    reaction->reaction_type, excerpt);
  return g_markup_escape_text (line, -1);
}
