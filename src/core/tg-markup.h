/* tg-markup — message bodies between Teams HTML and what libpurple clients show.
 *
 * Pure functions (no I/O, no libpurple, no global state, thread-safe), built on one hand-written
 * tolerant HTML tokenizer; each call is a single pass over its input.
 *
 *   tg_markup_from_teams  Teams HTML (body.contentType "html") → purple markup
 *   tg_markup_to_plain    Teams HTML → plain UTF-8 text (bitlbee-like use, notifications,
 *                         search summaries)
 *   tg_markup_from_text   a body of contentType "text" → purple markup
 *   tg_markup_to_teams    outgoing purple markup → Teams HTML, or plain text when nothing is
 *                         formatted (and it says which, for body.contentType)
 *
 * The purple markup made here holds only <b> <i> <u> <s> <pre> <a href="…"> <br> and text
 * escaped as &amp; &lt; &gt;: no other tag or attribute, no raw newline (plus whatever
 * TgMarkupContext.image returns). Inline <code> keeps its text only: Pidgin ignores the tag and
 * purple_markup_html_to_xhtml() would show it. Links survive only for http:, https: and mailto:,
 * judged after entity decoding and the whitespace/control-character trimming browsers do;
 * otherwise the link text alone remains.
 *
 * Teams specifics: <at id>Name</at> → <b>Name</b> (the caller reads mentions[] to learn who was
 * mentioned); <emoji alt> and <img itemtype="…/Emoji" alt> → the alt characters; <attachment id>
 * → a link named after the file (TgMarkupContext.attachment); any other <img> → a "[image]" link
 * to its src, or what TgMarkupContext.image returns; <systemEventMessage/> → "". Lists become
 * "• " / "1. " lines (nested ones indented two spaces a level), block quotes "> " lines, table
 * rows "a | b" lines, code blocks keep their spaces and newlines. <script>, <style>, <iframe>…
 * vanish with their content, comments too.
 *
 * Whitespace collapses as in a browser, except in code blocks and where it comes from a character
 * reference (&nbsp; &#9; …), which tg_markup_to_teams uses for runs of spaces and tabs; so typed
 * text → tg_markup_to_teams → tg_markup_from_teams or _to_plain shows the same text again
 * (<, >, &, quotes, emoji, runs of spaces, newlines, trailing ones included).
 *
 * Malformed input never crashes and never loses text outside tags: unclosed and misnested
 * elements are closed in order, an unterminated tag is kept as text, invalid UTF-8 becomes
 * U+FFFD, nesting has no depth limit (past 256 open elements the deeper ones lose their
 * formatting, not their text). Results are always valid UTF-8, newly allocated, never NULL.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* What tg_markup_from_teams / tg_markup_to_plain ask the caller. Every member may be NULL, and
 * so may the context itself. */
typedef struct {
  /* Looks up <attachment id="…"> (the message's attachments[]): set *name (the text shown) and
   * *url (link target, may stay NULL) and return TRUE, or return FALSE when `id` is unknown
   * ("[attachment]" is shown). TRUE with an empty *name shows nothing (e.g. a reply reference
   * the caller renders elsewhere). The strings are copied before the call returns. */
  gboolean (*attachment) (const char *id, const char **name, const char **url, gpointer user_data);
  /* Purple markup only: called for every non-emoji <img> with its decoded src ("" if none) and
   * alt (NULL if none). Return newly allocated purple markup to insert as is (e.g.
   * <img id="N"> of the purple image store), or NULL for the default "[image]" link. */
  char *(*image) (const char *src, const char *alt, gpointer user_data);
  gpointer user_data;
} TgMarkupContext;

/* Teams HTML → purple markup. NULL html gives "". */
char *tg_markup_from_teams (const char *html, const TgMarkupContext *ctx);

/* Teams HTML → plain text: newlines as \n, links as "text (url)" unless the text is the url,
 * no escaping. The image hook is not called. */
char *tg_markup_to_plain (const char *html, const TgMarkupContext *ctx);

/* Plain text (body.contentType "text") → purple markup: escaped, newlines as <br>, spaces kept. */
char *tg_markup_from_text (const char *text);

/* Outgoing purple markup (what Pidgin/Finch/bitlbee send: <b> <i> <u> <s> <font> <span> <a href>
 * <br>, entities, raw newlines) → the body content to send. When `is_html_out` is NULL the result
 * is always Teams HTML (e.g. when mentions will be spliced in as <at> elements). Otherwise the
 * result is plain text and *is_html_out FALSE when the message has no formatting left (styling
 * such as <font>/<span> is dropped, its text kept), else Teams HTML and TRUE. Tags that are no
 * HTML ("<grin>", typed raw in bitlbee) stay text; purple <img id> images are dropped. */
char *tg_markup_to_teams (const char *purple_markup, gboolean *is_html_out);

/* Asked for each purple <img id="N"> (the purple image store id as written): return the newly
 * allocated src of the Teams <img> to send (e.g. "../hostedContents/1/$value"), or NULL to drop
 * the image. */
typedef char *(*TgMarkupImageOut) (const char *purple_id, gpointer user_data);
/* tg_markup_to_teams, with images: each <img id> the hook names becomes <img src="…"
 * alt="image"> in the html (which makes the result html). NULL `image` = tg_markup_to_teams. */
char *tg_markup_to_teams_with_images (const char *purple_markup, gboolean *is_html_out,
                                      TgMarkupImageOut image, gpointer user_data);

G_END_DECLS
