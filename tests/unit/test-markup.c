/* Unit tests for tg-markup: Teams HTML → purple markup / plain text, purple markup → Teams.
 * The Teams bodies are shaped like real Graph chatMessage payloads. */
#include "core/tg-markup.h"

#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* Helpers */

/* Checks that `m` is purple markup as the module promises: valid UTF-8, only <b> <i> <u> <s>
 * <pre> <a href="http(s)/mailto"> <br>, well nested, entities only &amp; &lt; &gt;, no raw
 * newline, no quote-breaking in href. Returns NULL when fine, else a reason. */
static const char *
purple_markup_problem (const char *m)
{
  static const char *const pairs[] = { "b", "i", "u", "s", "pre" }; /* and <a href>, below */
  GPtrArray *stack = g_ptr_array_new ();
  const char *p = m, *problem = NULL;

  if (!g_utf8_validate (m, -1, NULL)) {
    problem = "invalid UTF-8";
    goto out;
  }
  while (*p && !problem) {
    if (*p == '\n' || *p == '\r') {
      problem = "raw newline";
    } else if (*p == '>') {
      problem = "raw '>'";
    } else if (*p == '&') {
      if (g_str_has_prefix (p, "&amp;") || g_str_has_prefix (p, "&lt;") ||
          g_str_has_prefix (p, "&gt;"))
        p = strchr (p, ';');
      else
        problem = "bad entity";
    } else if (*p == '<') {
      const char *gt = strchr (p, '>');
      if (!gt) {
        problem = "unterminated tag";
        break;
      }
      char *tag = g_strndup (p + 1, gt - p - 1);
      if (g_str_equal (tag, "br")) {
      } else if (g_str_has_prefix (tag, "a href=\"")) {
        const char *url = tag + 8;
        gsize n = strlen (url);
        if (n < 2 || url[n - 1] != '"' || memchr (url, '"', n - 1) || strchr (url, '<') ||
            strchr (url, ' '))
          problem = "bad href";
        else if (!(g_ascii_strncasecmp (url, "http://", 7) == 0 ||
                   g_ascii_strncasecmp (url, "https://", 8) == 0 ||
                   g_ascii_strncasecmp (url, "mailto:", 7) == 0))
          problem = "unsafe href";
        for (guint i = 0; i < stack->len; i++)
          if (g_str_equal (g_ptr_array_index (stack, i), "a"))
            problem = "nested link";
        g_ptr_array_add (stack, (gpointer) "a");
      } else if (tag[0] == '/') {
        if (stack->len == 0 || !g_str_equal (g_ptr_array_index (stack, stack->len - 1), tag + 1))
          problem = "misnested close";
        else
          g_ptr_array_set_size (stack, stack->len - 1);
      } else {
        gboolean known = FALSE;
        for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
          if (g_str_equal (tag, pairs[i])) {
            g_ptr_array_add (stack, (gpointer) pairs[i]);
            known = TRUE;
          }
        if (!known)
          problem = "tag outside the subset";
      }
      g_free (tag);
      p = gt;
    }
    p++;
  }
  if (!problem && stack->len)
    problem = "unclosed tag";
out:
  g_ptr_array_free (stack, TRUE);
  return problem;
}

#define assert_purple_ok(m)                                                                    \
  G_STMT_START {                                                                               \
    const char *why_ = purple_markup_problem (m);                                              \
    if (why_)                                                                                  \
      g_error ("%s: %s in «%s»", G_STRLOC, why_, m);                                           \
  } G_STMT_END

/* What a user sees of purple markup: <br> as \n, tags dropped, entities decoded. */
static char *
visible (const char *m)
{
  GString *s = g_string_new (NULL);
  for (const char *p = m; *p;) {
    if (*p == '<') {
      const char *gt = strchr (p, '>');
      if (g_str_has_prefix (p, "<br>"))
        g_string_append_c (s, '\n');
      p = gt ? gt + 1 : p + strlen (p);
    } else if (*p == '&') {
      static const char *const ents[][2] = {
        { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&#39;", "'" },
      };
      gboolean done = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (ents) && !done; i++)
        if (g_str_has_prefix (p, ents[i][0])) {
          g_string_append (s, ents[i][1]);
          p += strlen (ents[i][0]);
          done = TRUE;
        }
      if (!done)
        g_string_append_c (s, *p++);
    } else {
      g_string_append_c (s, *p++);
    }
  }
  return g_string_free (s, FALSE);
}

/* What Pidgin sends for typed text: escaped, newlines as <br>. */
static char *
as_typed_in_pidgin (const char *plain)
{
  char *esc = g_markup_escape_text (plain, -1);
  char **lines = g_strsplit (esc, "\n", -1);
  char *m = g_strjoinv ("<br>", lines);
  g_strfreev (lines);
  g_free (esc);
  return m;
}

static const char *const file_names[][3] = {
  { "153fa47d-18c9-4179-be08-9879815a9f90", "Budget 2024.xlsx",
    "https://contoso.sharepoint.com/sites/fin/Shared%20Documents/Budget%202024.xlsx" },
  { "a&b", "R&D <plan>.docx", "https://contoso.sharepoint.com/r?x=1&y=2" },
  { "evil", "evil.html", "javascript:alert(1)" },
  { "nourl", "card", NULL },
  { "hidden", "", NULL },
  { "badutf8", "bad\xff.txt", "https://x.example/f" },
};

static gboolean
lookup_attachment (const char *id, const char **name, const char **url, gpointer user_data)
{
  int *calls = user_data;
  if (calls)
    (*calls)++;
  for (guint i = 0; i < G_N_ELEMENTS (file_names); i++)
    if (g_str_equal (id, file_names[i][0])) {
      *name = file_names[i][1];
      *url = file_names[i][2];
      return TRUE;
    }
  return FALSE;
}

static const TgMarkupContext files_ctx = { lookup_attachment, NULL, NULL };

static void
check_teams (const char *html, const char *purple, const char *plain)
{
  char *m = tg_markup_from_teams (html, &files_ctx);
  char *t = tg_markup_to_plain (html, &files_ctx);
  assert_purple_ok (m);
  g_assert_true (g_utf8_validate (t, -1, NULL));
  if (purple)
    g_assert_cmpstr (m, ==, purple);
  if (plain)
    g_assert_cmpstr (t, ==, plain);
  g_free (m);
  g_free (t);
}

static void
check_out (const char *markup, const char *expected, gboolean expect_html)
{
  gboolean is_html = !expect_html;
  char *r = tg_markup_to_teams (markup, &is_html);
  g_assert_cmpstr (r, ==, expected);
  g_assert_cmpint (is_html, ==, expect_html);
  g_assert_true (g_utf8_validate (r, -1, NULL));
  g_free (r);
}

/* ---------------------------------------------------------------------------------------- */
/* Teams HTML → purple: ordinary messages */

static void
test_paragraphs (void)
{
  check_teams ("<p>Hello world</p>", "Hello world", "Hello world");
  check_teams ("<div><div>Hi there</div></div>", "Hi there", "Hi there");
  check_teams ("<p>one</p><p>two</p>", "one<br>two", "one\ntwo");
  check_teams ("<p>one</p>\r\n<p>two</p>\n", "one<br>two", "one\ntwo");
  check_teams ("<div>a</div><div><br></div><div>b</div>", "a<br><br>b", "a\n\nb");
  check_teams ("plain text, no tags", "plain text, no tags", NULL);
  check_teams ("", "", "");
}

static void
test_line_breaks (void)
{
  check_teams ("line1<br>line2", "line1<br>line2", "line1\nline2");
  check_teams ("line1<br/>line2<BR />line3", "line1<br>line2<br>line3", "line1\nline2\nline3");
  check_teams ("a<br><br>b", "a<br><br>b", "a\n\nb");
  check_teams ("a</br>b", "a<br>b", "a\nb");
  /* A final <br> shows nothing in Teams either; a second one is an empty line. */
  check_teams ("<div>a<br></div><div>b</div>", "a<br>b", "a\nb");
  check_teams ("a<br>", "a", "a");
  check_teams ("a<br><br>", "a<br>", "a\n");
  check_teams ("<br>a", "<br>a", "\na");
}

static void
test_whitespace (void)
{
  check_teams ("<p>  a \n\t b  </p>", "a b", "a b");
  check_teams ("<p>a&nbsp;&nbsp; b</p>", "a   b", "a   b");
  check_teams ("<p>&nbsp;indented</p>", " indented", " indented");
  check_teams ("<b>bold</b> <i>it</i>", "<b>bold</b> <i>it</i>", "bold it");
  check_teams ("a<b> b</b>", "a <b>b</b>", "a b");
  check_teams ("<p>x</p>   <p>y</p>", "x<br>y", "x\ny");
  check_teams ("tab&#9;here", "tab\there", "tab\there");
}

static void
test_formatting (void)
{
  check_teams ("<p><b>b</b> <i>i</i> <u>u</u> <s>s</s></p>", "<b>b</b> <i>i</i> <u>u</u> <s>s</s>",
               "b i u s");
  check_teams ("<strong>st</strong><em>em</em><strike>x</strike><del>d</del><ins>n</ins>",
               "<b>st</b><i>em</i><s>x</s><s>d</s><u>n</u>", "stemxdn");
  check_teams ("<span style=\"color:rgb(255,0,0);font-size:20px\">red</span>", "red", "red");
  check_teams ("<p><b><i>both</i></b></p>", "<b><i>both</i></b>", "both");
  check_teams ("<b></b><i> </i>x", "x", "x");
  check_teams ("<h1>Title</h1><p>body</p>", "<b>Title</b><br>body", "Title\nbody");
  check_teams ("<p>x</p><hr><p>y</p>", "x<br>----------<br>y", "x\n----------\ny");
  check_teams ("before <code>git  status</code> after", "before git status after",
               "before git status after");
}

static void
test_links (void)
{
  check_teams ("<p><a href=\"https://www.contoso.com\" rel=\"noreferrer noopener\" "
               "target=\"_blank\" title=\"https://www.contoso.com\">https://www.contoso.com</a></p>",
               "<a href=\"https://www.contoso.com\">https://www.contoso.com</a>",
               "https://www.contoso.com");
  check_teams ("<a href=\"https://x.example/?a=1&amp;b=2\">the site</a>",
               "<a href=\"https://x.example/?a=1&amp;b=2\">the site</a>",
               "the site (https://x.example/?a=1&b=2)");
  check_teams ("<a href=\"mailto:alice@contoso.com\">alice@contoso.com</a>",
               "<a href=\"mailto:alice@contoso.com\">alice@contoso.com</a>", "alice@contoso.com");
  check_teams ("<a href=\"http://h.example/a b\">x</a>", "<a href=\"http://h.example/a%20b\">x</a>",
               "x (http://h.example/a%20b)");
  check_teams ("<a href='https://q.example/\"onmouseover=\"x'>q</a>",
               "<a href=\"https://q.example/%22onmouseover=%22x\">q</a>", NULL);
  check_teams ("<a href=https://u.example/x>unquoted</a>",
               "<a href=\"https://u.example/x\">unquoted</a>", NULL);
  check_teams ("<a href=\"https://a.example\">outer <a href=\"https://b.example\">inner</a></a>",
               "<a href=\"https://a.example\">outer inner</a>", NULL);
  check_teams ("<a href=\"https://e.example\"></a>text", "text", "text");
  check_teams ("<a name=\"anchor\">no href</a>", "no href", "no href");
}

static void
test_mentions (void)
{
  const char *html = "<div><div><at id=\"0\">Adele Vance</at> and <at id=\"1\">Megan Bowen</at>, "
                     "please review. Thanks <at id=\"0\">Adele Vance</at>!</div></div>";
  check_teams (html,
               "<b>Adele Vance</b> and <b>Megan Bowen</b>, please review. Thanks <b>Adele Vance</b>!",
               "Adele Vance and Megan Bowen, please review. Thanks Adele Vance!");
  check_teams ("<p><at id=\"0\">Everyone</at> standup in 5</p>", "<b>Everyone</b> standup in 5",
               NULL);
  check_teams ("<p>Hi <span itemtype=\"http://schema.skype.com/Mention\" itemscope=\"\" "
               "itemid=\"0\">Alex</span>!</p>",
               "Hi <b>Alex</b>!", "Hi Alex!");
  check_teams ("<at id=\"0\">O&#39;Brien &amp; Co</at>", "<b>O'Brien &amp; Co</b>", "O'Brien & Co");
  check_teams ("<at id=\"0\">Unclosed", "<b>Unclosed</b>", "Unclosed");
}

static void
test_emoji (void)
{
  check_teams ("<p>Nice <emoji id=\"1f44d_thumbsup\" alt=\"👍\" title=\"Thumbs up\"></emoji></p>",
               "Nice 👍", "Nice 👍");
  check_teams ("<p>hi <emoji id=\"smile\" alt=\"🙂\" title=\"Smile\"></emoji><emoji id=\"heart\" "
               "alt=\"❤️\" title=\"Heart\"></emoji>!</p>",
               "hi 🙂❤️!", NULL);
  check_teams ("<p>Great job <span class=\"animated-emoticon-50-cool\" title=\"Cool\" "
               "type=\"(cool)\"><img itemscope=\"\" itemtype=\"http://schema.skype.com/Emoji\" "
               "itemid=\"cool\" src=\"https://statics.teams.cdn.office.net/evergreen-assets/"
               "personal-expressions/v2/assets/emoticons/cool/default/20_f.png\" title=\"Cool\" "
               "alt=\"😎\" style=\"width:20px;height:20px;\"></span></p>",
               "Great job 😎", "Great job 😎");
  check_teams ("<emoji id=\"family\" alt=\"👨&#x200D;👩&#x200D;👧\"></emoji>", "👨‍👩‍👧", NULL);
  check_teams ("<emoji id=\"x\" title=\"Party\"></emoji>", "Party", NULL);
  check_teams ("<img itemtype=\"http://schema.skype.com/Emoji\" title=\"Laugh\">", "Laugh", NULL);
  check_teams ("<emoji alt=\"😀\">😀</emoji>", "😀", NULL);
  check_teams ("<emoji alt=\"😀\"/>x", "😀x", NULL);
  check_teams ("<emoji alt=\"😀\">and text", "😀and text", NULL);
  check_teams ("<emoji alt=\"&lt;3\"></emoji>", "&lt;3", "<3");
}

static void
test_lists (void)
{
  const char *html = "<ul><li>one</li><li>two<ul><li>two.a</li><li>two.b<ol><li>deep</li></ol>"
                     "</li></ul></li><li>three</li></ul><p>after</p>";
  check_teams (html,
               "• one<br>• two<br>  • two.a<br>  • two.b<br>    1. deep<br>• three<br>after",
               "• one\n• two\n  • two.a\n  • two.b\n    1. deep\n• three\nafter");
  check_teams ("<p>Steps:</p><ol><li>first</li><li>second</li><li>third</li></ol>",
               "Steps:<br>1. first<br>2. second<br>3. third", NULL);
  check_teams ("<ol start=\"7\"><li>seven</li><li>eight</li></ol>", "7. seven<br>8. eight", NULL);
  check_teams ("<ul><li>unclosed<li>items</ul>", "• unclosed<br>• items", NULL);
  check_teams ("<ul><li><p>para in item</p><p>second para</p></li></ul>",
               "• para in item<br>  second para", NULL);
  check_teams ("<li>stray item</li>", "• stray item", NULL);
}

static void
test_quotes (void)
{
  const char *reply =
    "<blockquote itemscope=\"\" itemtype=\"http://schema.skype.com/Reply\" itemid=\"1616990032035\">"
    "\r\n<strong itemprop=\"mri\" itemid=\"8:orgid:1c1a9d1f\">Alice</strong><span itemprop=\"time\" "
    "itemid=\"1616990032035\"></span>\r\n<p itemprop=\"preview\">Original &amp; text</p>\r\n"
    "</blockquote>\r\n<p>My reply</p>";
  check_teams (reply, "&gt; <b>Alice</b><br>&gt; Original &amp; text<br>My reply",
               "> Alice\n> Original & text\nMy reply");
  check_teams ("<blockquote>a<blockquote>b</blockquote>c</blockquote>d",
               "&gt; a<br>&gt; &gt; b<br>&gt; c<br>d", "> a\n> > b\n> c\nd");
}

static void
test_code_blocks (void)
{
  const char *html = "<pre class=\"language-c\"><code>if (a &lt; b &amp;&amp; c)\n"
                     "    x = \"&gt;\";\n</code></pre><p>done</p>";
  check_teams (html, "<pre>if (a &lt; b &amp;&amp; c)<br>    x = \"&gt;\";</pre><br>done",
               "if (a < b && c)\n    x = \">\";\ndone");
  check_teams ("<codeblock class=\"\"><code>a  &lt;b&gt;<br>  c</code></codeblock>",
               "<pre>a  &lt;b&gt;<br>  c</pre>", "a  <b>\n  c");
  check_teams ("<pre>\nleading newline dropped</pre>", "<pre>leading newline dropped</pre>", NULL);
  check_teams ("<pre>a\r\nb\rc</pre>", "<pre>a<br>b<br>c</pre>", "a\nb\nc");
  check_teams ("<pre>tab\there</pre>", "<pre>tab\there</pre>", NULL);
  check_teams ("<p>x</p><pre>code</pre><p>y</p>", "x<br><pre>code</pre><br>y", "x\ncode\ny");
}

static void
test_tables (void)
{
  check_teams ("<table itemprop=\"copy-paste-table\"><tbody><tr><td><p>Name</p></td><td><p>Role"
               "</p></td></tr><tr><td>Ann</td><td>Owner</td></tr></tbody></table><p>end</p>",
               "Name | Role<br>Ann | Owner<br>end", "Name | Role\nAnn | Owner\nend");
  check_teams ("<table><tr><th>h1<th>h2<tr><td>x<td>y</table>", "h1 | h2<br>x | y", NULL);
}

static void
test_entities (void)
{
  check_teams ("&amp; &lt; &gt; &quot; &#39; &apos; &nbsp;|", "&amp; &lt; &gt; \" ' '  |",
               "& < > \" ' '  |");
  check_teams ("&#x1F600; &#128512; &#X1f600;", "😀 😀 😀", NULL);
  check_teams ("&eacute;t&eacute; &euro;5 &hellip; &mdash; &copy; &trade; &rarr;",
               "été €5 … — © ™ →", NULL);
  check_teams ("&unknown; &; & alone &#; &#x; AT&T", "&amp;unknown; &amp;; &amp; alone &amp;#; "
               "&amp;#x; AT&amp;T", "&unknown; &; & alone &#; &#x; AT&T");
  check_teams ("&#0;|&#xD800;|&#x110000;|&#99999999999999;|&#150;|&#x80;",
               "\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|–|€", NULL);
  check_teams ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;",
               "<script>alert(1)</script>");
  check_teams ("&amp;lt; stays text", "&amp;lt; stays text", "&lt; stays text");
  check_teams ("&copy2024 &ampx &lt3", "©2024 &amp;x &lt;3", NULL);
  check_teams ("&#1;&#x7f;ctl", "ctl", NULL);
}

static void
test_attachments (void)
{
  int calls = 0;
  TgMarkupContext ctx = { lookup_attachment, NULL, &calls };
  char *m = tg_markup_from_teams ("<p>Here is the file</p><attachment "
                                  "id=\"153fa47d-18c9-4179-be08-9879815a9f90\"></attachment>", &ctx);
  g_assert_cmpstr (m, ==, "Here is the file<br><a href=\"https://contoso.sharepoint.com/sites/fin/"
                          "Shared%20Documents/Budget%202024.xlsx\">Budget 2024.xlsx</a>");
  g_assert_cmpint (calls, ==, 1);
  g_free (m);

  check_teams ("<attachment id=\"a&amp;b\"></attachment>",
               "<a href=\"https://contoso.sharepoint.com/r?x=1&amp;y=2\">R&amp;D &lt;plan&gt;.docx</a>",
               "R&D <plan>.docx (https://contoso.sharepoint.com/r?x=1&y=2)");
  check_teams ("<attachment id=\"evil\"></attachment>", "evil.html", "evil.html");
  check_teams ("<attachment id=\"nourl\"></attachment>", "card", "card");
  check_teams ("x<attachment id=\"hidden\"></attachment>", "x", "x");
  check_teams ("<attachment id=\"missing\"></attachment>", "[attachment]", "[attachment]");
  check_teams ("<attachment id=\"badutf8\"></attachment>",
               "<a href=\"https://x.example/f\">bad\xEF\xBF\xBD.txt</a>", NULL);
  check_teams ("<attachment></attachment>", "[attachment]", NULL);
  check_teams ("<a href=\"https://l.example\"><attachment id=\"153fa47d-18c9-4179-be08-"
               "9879815a9f90\"></attachment></a>",
               "<a href=\"https://l.example\">Budget 2024.xlsx</a>", NULL);

  /* no context at all */
  m = tg_markup_from_teams ("<attachment id=\"x\"></attachment>", NULL);
  g_assert_cmpstr (m, ==, "[attachment]");
  g_free (m);
}

static char *
image_hook (const char *src, const char *alt, gpointer user_data)
{
  GPtrArray *seen = user_data;
  g_ptr_array_add (seen, g_strdup_printf ("%s|%s", src, alt ? alt : "(null)"));
  if (strstr (src, "/hostedContents/"))
    return g_strdup ("<img id=\"42\">");
  return NULL;
}

static void
test_images (void)
{
  const char *hosted =
    "<p><img alt=\"image\" src=\"https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/messages/"
    "1616/hostedContents/aWQ9eF8w/$value\" width=\"300\" height=\"200\" style=\"vertical-align:"
    "bottom\" itemscope=\"\" itemtype=\"http://schema.skype.com/AMSImage\"></p>";
  check_teams (hosted,
               "<a href=\"https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/messages/1616/"
               "hostedContents/aWQ9eF8w/$value\">[image]</a>",
               "[image] (https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/messages/1616/"
               "hostedContents/aWQ9eF8w/$value)");
  check_teams ("<img src=\"../hostedContents/1/$value\">", "[image]", "[image]");
  check_teams ("<img src=x onerror=alert(1)>", "[image]", "[image]");
  check_teams ("<img src=\"javascript:alert(1)\">", "[image]", NULL);
  check_teams ("<img alt=\"just alt\">", "just alt", NULL);
  check_teams ("<img itemtype=\"http://schema.skype.com/Giphy\" src=\"https://media.giphy.com/"
               "media/x/giphy.gif\" alt=\"GIF\">",
               "<a href=\"https://media.giphy.com/media/x/giphy.gif\">[image]</a>", NULL);

  GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
  TgMarkupContext ctx = { NULL, image_hook, seen };
  char *m = tg_markup_from_teams (hosted, &ctx);
  g_assert_cmpstr (m, ==, "<img id=\"42\">");
  g_free (m);
  m = tg_markup_from_teams ("a <img src=\"https://r.example/p.png\" alt=\"A&amp;B\"> b", &ctx);
  g_assert_cmpstr (m, ==, "a <a href=\"https://r.example/p.png\">[image]</a> b");
  g_free (m);
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen, 1), ==, "https://r.example/p.png|A&B");
  /* emoji images never reach the hook; neither does the plain renderer */
  m = tg_markup_from_teams ("<img itemtype=\"http://schema.skype.com/Emoji\" alt=\"😀\">", &ctx);
  g_free (m);
  m = tg_markup_to_plain (hosted, &ctx);
  g_assert_cmpstr (m, ==, "[image] (https://graph.microsoft.com/v1.0/chats/19:abc@thread.v2/"
                          "messages/1616/hostedContents/aWQ9eF8w/$value)");
  g_free (m);
  g_assert_cmpuint (seen->len, ==, 2);
  g_ptr_array_free (seen, TRUE);
}

static void
test_system_event (void)
{
  check_teams ("<systemEventMessage/>", "", "");
  check_teams ("<systemEventMessage></systemEventMessage>", "", "");
}

static void
test_search_summary (void)
{
  check_teams ("…the <c0>budget</c0> review is<ddd/>", "…the <b>budget</b> review is…",
               "…the budget review is…");
}

static void
test_null_and_empty (void)
{
  char *r;
  gboolean html = TRUE;
  r = tg_markup_from_teams (NULL, NULL);
  g_assert_cmpstr (r, ==, "");
  g_free (r);
  r = tg_markup_to_plain (NULL, NULL);
  g_assert_cmpstr (r, ==, "");
  g_free (r);
  r = tg_markup_from_text (NULL);
  g_assert_cmpstr (r, ==, "");
  g_free (r);
  r = tg_markup_to_teams (NULL, &html);
  g_assert_cmpstr (r, ==, "");
  g_assert_false (html);
  g_free (r);
  r = tg_markup_to_teams ("", &html);
  g_assert_cmpstr (r, ==, "");
  g_assert_false (html);
  g_free (r);
}

static void
test_real_payloads (void)
{
  /* as Graph returns it: nested divs with newlines between them */
  check_teams ("<div><div>\n<div>\n<div>\n<div>\n<div><at id=\"0\">Megan Bowen</at> Hello! </div>\n"
               "</div>\n</div>\n</div>\n</div>\n</div>",
               "<b>Megan Bowen</b> Hello!", "Megan Bowen Hello!");
  check_teams ("<p>Hello</p><p><img alt=\"image\" src=\"https://graph.microsoft.com/v1.0/chats/"
               "19:2da4c29f6d7041eca70b638b43d45437@thread.v2/messages/1615971548136/hostedContents/"
               "aWQ9eF8wLXd1cy1kMi1lZTZk/$value\" width=\"250\" height=\"250\" "
               "style=\"vertical-align:bottom; width:250px; height:250px\"></p>",
               "Hello<br><a href=\"https://graph.microsoft.com/v1.0/chats/19:2da4c29f6d7041eca70b638b43d"
               "45437@thread.v2/messages/1615971548136/hostedContents/aWQ9eF8wLXd1cy1kMi1lZTZk/$value\">"
               "[image]</a>",
               NULL);
  check_teams ("<p>Agenda for <strong>Monday</strong>:</p>\n<ol>\n<li>Review&nbsp;PRs</li>\n<li>Plan "
               "the <em>sprint</em></li>\n</ol>\n<p>&nbsp;</p>",
               "Agenda for <b>Monday</b>:<br>1. Review PRs<br>2. Plan the <i>sprint</i><br> ",
               "Agenda for Monday:\n1. Review PRs\n2. Plan the sprint\n ");
  check_teams ("<p>I've added the doc <attachment id=\"153fa47d-18c9-4179-be08-9879815a9f90\">"
               "</attachment></p>",
               "I've added the doc <a href=\"https://contoso.sharepoint.com/sites/fin/Shared%20Documents/"
               "Budget%202024.xlsx\">Budget 2024.xlsx</a>",
               "I've added the doc Budget 2024.xlsx (https://contoso.sharepoint.com/sites/fin/"
               "Shared%20Documents/Budget%202024.xlsx)");
}

/* The checker the other tests rely on does catch what it must. */
static void
test_checker_sanity (void)
{
  static const char *const bad[] = {
    "<script>", "<b>x", "<b><i>x</b></i>", "&nbsp;", "a\nb", "a > b", "<code>x</code>",
    "<a href=\"javascript:x\">y</a>", "<a href=\"https://x\"><a href=\"https://y\">z</a></a>",
    "<a href=\"https://x\" onclick=\"y\">z</a>", "<img src=\"x\">", "\xff",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_nonnull (purple_markup_problem (bad[i]));
  g_assert_null (purple_markup_problem ("<b>a &amp; <i>b</i></b><br><a href=\"https://x/?a&amp;b\">"
                                        "l</a> <s>s</s><u>u</u><pre>p &lt; &gt;</pre>"));
}

/* ---------------------------------------------------------------------------------------- */
/* Hostile input */

static void
test_script_style (void)
{
  check_teams ("<script>alert(1)</script>hi", "hi", "hi");
  check_teams ("<SCRIPT type=\"text/javascript\">x<b>y</b></SCRIPT >after", "after", "after");
  check_teams ("<style>p { color: red }</style><p>styled</p>", "styled", "styled");
  check_teams ("a<script>never closed <b>x</b>", "a", "a");
  check_teams ("<script>var s = \"</scr\" + \"ipt>\";</script>ok", "ok", NULL);
  check_teams ("<iframe src=\"https://evil.example\">inside</iframe><noscript>n</noscript>"
               "<title>t</title><template><b>t</b></template>v",
               "v", "v");
  check_teams ("<script/>still script</script>x", "x", NULL);
  check_teams ("<scripty>shown</scripty>", "shown", NULL);
  check_teams ("<svg><script>alert(1)</script><text>svg text</text></svg>", "svg text", NULL);
}

static void
test_event_handlers (void)
{
  check_teams ("<b onmouseover=\"alert(1)\" style=\"x\">bold</b>", "<b>bold</b>", NULL);
  check_teams ("<a href=\"https://ok.example\" onclick=\"steal()\">ok</a>",
               "<a href=\"https://ok.example\">ok</a>", NULL);
  check_teams ("<img src=x onerror=\"alert(document.cookie)\">", "[image]", NULL);
  check_teams ("<body onload=alert(1)><p>t</p></body>", "t", NULL);
  check_teams ("<div style=\"background:url(javascript:alert(1))\">d</div>", "d", NULL);
}

static void
test_javascript_links (void)
{
  static const char *const hrefs[] = {
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "jav&#x61;script:alert(1)",
    "jav&#x61script:alert(1)", "jav&#97;script:alert(1)", "&#106;avascript:alert(1)",
    "java&#x09;script:alert(1)", "java&#10;script:alert(1)", "java\tscript:alert(1)",
    "javascript&colon;alert(1)", "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;x",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)",
    "//evil.example/x", "/relative", "file:///etc/passwd", "https:", "http://",
    "ht&#x00;tp://x", "",
  };
  for (guint i = 0; i < G_N_ELEMENTS (hrefs); i++) {
    char *html = g_strdup_printf ("<a href=\"%s\">click</a>", hrefs[i]);
    char *m = tg_markup_from_teams (html, NULL);
    char *t = tg_markup_to_plain (html, NULL);
    char *out = tg_markup_to_teams (html, NULL);
    assert_purple_ok (m);
    g_assert_cmpstr (m, ==, "click");
    g_assert_cmpstr (t, ==, "click");
    g_assert_cmpstr (out, ==, "click");
    g_free (html);
    g_free (m);
    g_free (t);
    g_free (out);
  }
  /* unquoted and single-quoted forms */
  check_teams ("<a href=javascript:alert(1)>x</a><a href='javascript:alert(1)'>y</a>", "xy", NULL);
  /* mixed case and whitespace around a good scheme stay links */
  check_teams ("<a href=\" HTTPS://Ok.Example/\n\">ok</a>", "<a href=\"HTTPS://Ok.Example/\">ok</a>",
               NULL);
}

static void
test_unclosed_and_misnested (void)
{
  check_teams ("<b>bold to the end", "<b>bold to the end</b>", "bold to the end");
  check_teams ("<b>x<i>y</b>z</i>w", "<b>x<i>y</i></b>zw", "xyzw");
  check_teams ("</b>stray</i> close</p>", "stray close", NULL);
  check_teams ("<p><b>a</p><p>b</b></p>", "<b>a<br>b</b>", "a\nb");
  check_teams ("<ul><li><b>item", "• <b>item</b>", NULL);
  check_teams ("<a href=\"https://x.example\">link <b>bold</a> after", "<a href=\"https://x.example\">"
               "link <b>bold</b></a> after", NULL);
  check_teams ("a <b title=\"x", "a &lt;b title=\"x", "a <b title=\"x");
  check_teams ("a <b", "a &lt;b", "a <b");
  check_teams ("x <a href=\"https://e.example", "x &lt;a href=\"https://e.example", NULL);
  check_teams ("1 < 2 and 3 > 2, <3 <= x", "1 &lt; 2 and 3 &gt; 2, &lt;3 &lt;= x",
               "1 < 2 and 3 > 2, <3 <= x");
  check_teams ("a </ b", "a &lt;/ b", NULL);
  check_teams ("a</>b", "ab", NULL);
  check_teams ("a<!-- hidden <b>x</b> -->b<!---->c<!-->d", "abcd", "abcd");
  check_teams ("a<!-- never closed", "a", NULL);
  check_teams ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>doc</body></html>",
               "doc", "doc");
  check_teams ("<?xml version=\"1.0\"?><![CDATA[x]]>y", "y", NULL);
  check_teams ("<b/>x<i/>", "x", NULL);
  check_teams ("<unknown-tag attr=\"1\">kept</unknown-tag>", "kept", "kept");
  check_teams ("<p title=\"a>b\">quoted gt</p>", "quoted gt", NULL);
  check_teams ("<p title='it\"s'>mixed quotes</p>", "mixed quotes", NULL);
}

static void
test_deep_nesting (void)
{
  static const char *const opens[][2] = {
    { "<b>", "</b>" }, { "<div>", "</div>" }, { "<ul><li>", "</li></ul>" },
    { "<blockquote>", "</blockquote>" }, { "<a href=\"https://x.example\">", "</a>" },
    { "<span>", "</span>" }, { "<pre>", "</pre>" }, { "<table><tr><td>", "</td></tr></table>" },
    { "<emoji alt=\"e\">", "</emoji>" }, { "<i><u>", "" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (opens); k++) {
    GString *html = g_string_new (NULL);
    for (int i = 0; i < 10000; i++)
      g_string_append (html, opens[k][0]);
    g_string_append (html, "deep&amp;text");
    for (int i = 0; i < 10000; i++)
      g_string_append (html, opens[k][1]);
    g_string_append (html, "tail");

    char *m = tg_markup_from_teams (html->str, NULL);
    char *t = tg_markup_to_plain (html->str, NULL);
    char *o = tg_markup_to_teams (html->str, NULL);
    assert_purple_ok (m);
    g_assert_nonnull (strstr (m, "deep&amp;text"));
    g_assert_nonnull (strstr (m, "tail"));
    g_assert_nonnull (strstr (t, "deep&text"));
    g_assert_nonnull (strstr (t, "tail"));
    g_assert_nonnull (strstr (o, "deep&amp;text"));
    g_free (m);
    g_free (t);
    g_free (o);
    g_string_free (html, TRUE);
  }

  /* 100k unclosed spans, then many stray closes */
  GString *html = g_string_new (NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append (html, "<span>");
  g_string_append (html, "x");
  for (int i = 0; i < 100000; i++)
    g_string_append (html, "</b>");
  char *m = tg_markup_from_teams (html->str, NULL);
  g_assert_cmpstr (m, ==, "x");
  g_free (m);
  g_string_free (html, TRUE);
}

static void
test_invalid_utf8 (void)
{
  check_teams ("a\xff" "b", "a\xEF\xBF\xBD" "b", "a\xEF\xBF\xBD" "b");
  check_teams ("<b>\xc3</b>", "<b>\xEF\xBF\xBD</b>", NULL);
  check_teams ("\xed\xa0\x80 surrogate", NULL, NULL);
  check_teams ("<a href=\"https://x.example/\xff\">l\xfe</a>", NULL, NULL);
  check_teams ("<emoji alt=\"\xf0\x9f\x98\"></emoji>", NULL, NULL);
  check_teams ("truncated at end \xe2\x82", NULL, NULL);

  char *r = tg_markup_to_teams ("x\xff<b>\xc0\xaf</b>", NULL);
  g_assert_true (g_utf8_validate (r, -1, NULL));
  g_free (r);
  r = tg_markup_from_text ("x\xffy");
  g_assert_cmpstr (r, ==, "x\xEF\xBF\xBDy");
  g_free (r);
}

static void
test_many_attributes (void)
{
  GString *html = g_string_new ("<a ");
  for (int i = 0; i < 5000; i++)
    g_string_append_printf (html, "data-%d=\"v\" ", i);
  g_string_append (html, "href=\"https://late.example\">many</a>");
  char *m = tg_markup_from_teams (html->str, NULL);
  assert_purple_ok (m);
  g_assert_cmpstr (m, ==, "many");
  g_free (m);
  g_string_free (html, TRUE);

  html = g_string_new ("&");
  for (int i = 0; i < 1000; i++)
    g_string_append_c (html, 'a');
  g_string_append (html, ";<");
  for (int i = 0; i < 1000; i++)
    g_string_append_c (html, 'b');
  g_string_append (html, ">z");
  m = tg_markup_from_teams (html->str, NULL);
  assert_purple_ok (m);
  g_assert_true (g_str_has_suffix (m, "z"));
  g_free (m);
  g_string_free (html, TRUE);
}

/* ---------------------------------------------------------------------------------------- */
/* Plain text renderer, contentType text */

static void
test_plain_renderer (void)
{
  char *t = tg_markup_to_plain ("<p>Hi <at id=\"0\">Ann</at> &amp; <b>all</b>:</p><ul><li>a &lt; b"
                                "</li><li><a href=\"https://w.example\">wiki</a></li></ul>"
                                "<blockquote>q</blockquote><p>bye <emoji alt=\"👋\"></emoji></p>",
                                NULL);
  g_assert_cmpstr (t, ==, "Hi Ann & all:\n• a < b\n• wiki (https://w.example)\n> q\nbye 👋");
  g_free (t);
}

static void
test_from_text (void)
{
  char *m = tg_markup_from_text ("a < b & c > d\nline \"2\"\r\n\tx\x01");
  g_assert_cmpstr (m, ==, "a &lt; b &amp; c &gt; d<br>line \"2\"<br>\tx");
  assert_purple_ok (m);
  g_free (m);
}

/* ---------------------------------------------------------------------------------------- */
/* Purple markup → Teams */

static void
test_out_plain_text (void)
{
  check_out ("hello", "hello", FALSE);
  check_out ("a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos; &#39;", "a & b <c> \"q\" 's' '", FALSE);
  check_out ("line1<br>line2\nline3<BR/>line4", "line1\nline2\nline3\nline4", FALSE);
  check_out ("two  spaces", "two  spaces", FALSE);
  check_out ("<font color=\"#FF0000\" face=\"Sans\" size=\"3\">red</font>", "red", FALSE);
  check_out ("<span style=\"font-size: small\">small</span>", "small", FALSE);
  check_out ("<FONT COLOR=\"#000000\">x</FONT>", "x", FALSE);
  check_out ("<b></b>empty bold", "empty bold", FALSE);
  check_out ("I <3 you", "I <3 you", FALSE);
  check_out ("<grin> and <g>", "<grin> and <g>", FALSE);
  check_out ("<img id=\"3\">pic", "pic", FALSE);
  check_out ("emoji 😀 ünï", "emoji 😀 ünï", FALSE);
  check_out ("&nbsp;x", " x", FALSE);
  check_out ("a\r\nb", "a\nb", FALSE);
  check_out ("<script>alert(1)</script>x", "x", FALSE);
}

static void
test_out_html (void)
{
  check_out ("<b>bold</b> and <i>it</i> <u>u</u> <s>s</s>",
             "<b>bold</b> and <i>it</i> <u>u</u> <s>s</s>", TRUE);
  check_out ("<B>x</B><STRONG>y</STRONG><EM>z</EM><strike>w</strike>",
             "<b>x</b><b>y</b><i>z</i><s>w</s>", TRUE);
  check_out ("<b>a &amp; b &lt;tag&gt;</b>", "<b>a &amp; b &lt;tag&gt;</b>", TRUE);
  check_out ("<b>bold</b>  two<br>three\nfour", "<b>bold</b> &nbsp;two<br>three<br>four", TRUE);
  check_out ("<font color=\"red\"><b>r</b></font>", "<b>r</b>", TRUE);
  check_out ("<a href=\"https://x.example/?a=1&amp;b=2\">site</a>",
             "<a href=\"https://x.example/?a=1&amp;b=2\">site</a>", TRUE);
  check_out ("<a href=\"javascript:alert(1)\">site</a>", "site", FALSE);
  check_out ("<b>unclosed", "<b>unclosed</b>", TRUE);
  check_out ("<b>x<i>y</b>z", "<b>x<i>y</i></b>z", TRUE);
  check_out ("<b>x</b>\n", "<b>x</b><br><br>", TRUE);
  check_out ("<code>c &lt; d</code>", "<code>c &lt; d</code>", TRUE);

  /* is_html_out NULL: always HTML */
  char *r = tg_markup_to_teams ("plain  &amp; simple\n", NULL);
  g_assert_cmpstr (r, ==, "plain &nbsp;&amp; simple<br><br>");
  g_free (r);
  r = tg_markup_to_teams (" lead and trail ", NULL);
  g_assert_cmpstr (r, ==, "&nbsp;lead and trail&nbsp;");
  g_free (r);
  r = tg_markup_to_teams ("tab\tx", NULL);
  g_assert_cmpstr (r, ==, "tab&#9;x");
  g_free (r);
}

/* ---------------------------------------------------------------------------------------- */
/* Round trips */

static const char *const round_trip_texts[] = {
  "hello",
  "a < b & c > d",
  "\"double\" and 'single' quotes",
  "multiple   spaces    here",
  " leading space",
  "trailing space ",
  "  ",
  "line1\nline2",
  "para\n\nbreak",
  "\nleading newline",
  "trailing newline\n",
  "two trailing\n\n",
  "\n",
  "x  \n  y",
  "tab\there",
  "unicode: ünïcödé 日本語 Ελληνικά עברית",
  "emoji 😀 👍🏽 👨‍👩‍👧 ❤️",
  "&amp; literal entity text &lt;b&gt;",
  "<b>not bold</b> <script>alert(1)</script>",
  "http://example.com/?a=1&b=2",
  "AT&T; a&b;c &#39;",
  "100% <3 >_< ;-)",
  "",
};

static void
test_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (round_trip_texts); i++) {
    const char *plain = round_trip_texts[i];
    char *typed = as_typed_in_pidgin (plain);
    gboolean is_html = TRUE;

    /* no formatting: sent as contentType text, exactly the typed text */
    char *text = tg_markup_to_teams (typed, &is_html);
    g_assert_false (is_html);
    g_assert_cmpstr (text, ==, plain);

    /* text body coming back */
    char *from_text = tg_markup_from_text (text);
    char *seen = visible (from_text);
    g_assert_cmpstr (seen, ==, plain);
    g_free (seen);

    /* forced HTML (as when mentions are added) coming back */
    char *html = tg_markup_to_teams (typed, NULL);
    char *back = tg_markup_from_teams (html, NULL);
    char *back_plain = tg_markup_to_plain (html, NULL);
    assert_purple_ok (back);
    seen = visible (back);
    g_assert_cmpstr (seen, ==, plain);
    g_assert_cmpstr (back_plain, ==, plain);

    g_free (seen);
    g_free (back);
    g_free (back_plain);
    g_free (html);
    g_free (from_text);
    g_free (text);
    g_free (typed);
  }
}

static void
test_round_trip_formatted (void)
{
  const char *typed = "<b>Bold</b> &amp; <i>it&lt;al&gt;</i>  <u>u</u><br><s>gone</s> "
                      "<a href=\"https://x.example/?q=a&amp;r=b\">link</a>";
  gboolean is_html = FALSE;
  char *html = tg_markup_to_teams (typed, &is_html);
  g_assert_true (is_html);
  char *back = tg_markup_from_teams (html, NULL);
  g_assert_cmpstr (back, ==, "<b>Bold</b> &amp; <i>it&lt;al&gt;</i>  <u>u</u><br><s>gone</s> "
                             "<a href=\"https://x.example/?q=a&amp;r=b\">link</a>");
  g_free (back);
  g_free (html);
}

/* ---------------------------------------------------------------------------------------- */
/* Generated input */

static const char *const fragments[] = {
  "<b>", "</b>", "<i>", "</i>", "<u>", "<s>", "</s>", "<p>", "</p>", "<div>", "</div>", "<br>",
  "<ul>", "</ul>", "<ol start=\"3\">", "</ol>", "<li>", "</li>", "<pre>", "</pre>", "<code>",
  "</code>", "<blockquote>", "</blockquote>", "<table>", "<tr>", "<td>", "</td>", "</tr>",
  "<a href=\"https://x.example/?a&amp;b\">", "<a href=\"javascript:alert(1)\">", "</a>",
  "<at id=\"0\">", "</at>", "<emoji alt=\"😀\">", "</emoji>", "<attachment id=\"a&amp;b\">",
  "</attachment>", "<img src=x onerror=alert(1)>", "<img itemtype=\"http://schema.skype.com/Emoji\" alt=\"🙂\">",
  "<script>", "</script>", "<style>", "<!--", "-->", "<systemEventMessage/>", "<h2>", "</h2>",
  "<hr>", "<span itemtype=\"http://schema.skype.com/Mention\">", "</span>", "<font color=red>",
  "&amp;", "&lt;", "&gt;", "&nbsp;", "&#x1F600;", "&#0;", "&", "<", ">", "\"", "'", "=", "/", " ",
  "  ", "\n", "\r\n", "\t", "text", "日本", "😀", "\xff", "\xc3", "\xe2\x82", "<!", "</", "<?",
  "<a ", "href=", "'x", "&#x6a;", "&colon;", "<codeblock>", "<ddd/>", "<c0>",
};

static void
assert_teams_html_ok (const char *h)
{
  g_assert_true (g_utf8_validate (h, -1, NULL));
  for (const char *p = h; *p; p++) {
    if (*p == '<') {
      static const char *const ok[] = { "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>",
                                        "<code>", "</code>", "<pre>", "</pre>", "</a>", "<br>",
                                        "<a href=\"http", "<a href=\"mailto:" };
      gboolean good = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
        good |= g_ascii_strncasecmp (p, ok[i], strlen (ok[i])) == 0;
      if (!good)
        g_error ("bad Teams tag at «%s» in «%s»", p, h);
    }
  }
}

static void
test_generated (void)
{
  GRand *rand = g_rand_new_with_seed (20240607);
  int calls = 0;
  TgMarkupContext ctx = { lookup_attachment, NULL, &calls };

  for (int n = 0; n < 4000; n++) {
    GString *in = g_string_new (NULL);
    int count = g_rand_int_range (rand, 1, 40);
    for (int i = 0; i < count; i++)
      g_string_append (in, fragments[g_rand_int_range (rand, 0, G_N_ELEMENTS (fragments))]);

    char *m = tg_markup_from_teams (in->str, &ctx);
    char *t = tg_markup_to_plain (in->str, &ctx);
    gboolean is_html;
    char *o = tg_markup_to_teams (in->str, &is_html);
    char *oh = tg_markup_to_teams (in->str, NULL);
    const char *why = purple_markup_problem (m);
    if (why)
      g_error ("%s for «%s» → «%s»", why, in->str, m);
    g_assert_true (g_utf8_validate (t, -1, NULL));
    g_assert_true (g_utf8_validate (o, -1, NULL));
    assert_teams_html_ok (oh);
    if (is_html)
      assert_teams_html_ok (o);
    /* what we send is read back as clean markup too */
    char *again = tg_markup_from_teams (oh, NULL);
    assert_purple_ok (again);
    g_free (again);
    g_free (m);
    g_free (t);
    g_free (o);
    g_free (oh);
    g_string_free (in, TRUE);
  }
  g_rand_free (rand);
}

/* Words survive any mix of harmless, possibly broken, structure. */
static void
test_no_text_lost (void)
{
  static const char *const tags_only[] = {
    "<b>", "</b>", "<i>", "</i>", "<p>", "</p>", "<div>", "<br>", "<ul>", "<li>", "</ul>", "<ol>",
    "</li>", "<pre>", "</pre>", "<blockquote>", "</blockquote>", "<table>", "<tr>", "<td>", "</td>",
    "<a href=\"https://x.example\">", "</a>", "<at id=\"1\">", "</at>", "<span>", "</span>",
    "<h3>", "</h3>", "<code>", "<font>", "<x-unknown a=1>", "</nope>", " ", "\n", "&nbsp;",
  };
  GRand *rand = g_rand_new_with_seed (7);
  for (int n = 0; n < 2000; n++) {
    GString *in = g_string_new (NULL);
    GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
    int count = g_rand_int_range (rand, 1, 30);
    for (int i = 0; i < count; i++) {
      if (g_rand_boolean (rand)) {
        char *w = g_strdup_printf ("w%dx%d", n, i);
        g_string_append (in, w);
        g_string_append_c (in, ' ');
        g_ptr_array_add (words, w);
      } else {
        g_string_append (in, tags_only[g_rand_int_range (rand, 0, G_N_ELEMENTS (tags_only))]);
      }
    }
    char *m = tg_markup_from_teams (in->str, NULL);
    char *t = tg_markup_to_plain (in->str, NULL);
    char *o = tg_markup_to_teams (in->str, NULL);
    for (guint i = 0; i < words->len; i++) {
      const char *w = g_ptr_array_index (words, i);
      if (!strstr (m, w) || !strstr (t, w) || !strstr (o, w))
        g_error ("lost «%s» of «%s»", w, in->str);
    }
    g_free (m);
    g_free (t);
    g_free (o);
    g_ptr_array_free (words, TRUE);
    g_string_free (in, TRUE);
  }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/markup/teams/paragraphs", test_paragraphs);
  g_test_add_func ("/markup/teams/line-breaks", test_line_breaks);
  g_test_add_func ("/markup/teams/whitespace", test_whitespace);
  g_test_add_func ("/markup/teams/formatting", test_formatting);
  g_test_add_func ("/markup/teams/links", test_links);
  g_test_add_func ("/markup/teams/mentions", test_mentions);
  g_test_add_func ("/markup/teams/emoji", test_emoji);
  g_test_add_func ("/markup/teams/lists", test_lists);
  g_test_add_func ("/markup/teams/quotes", test_quotes);
  g_test_add_func ("/markup/teams/code-blocks", test_code_blocks);
  g_test_add_func ("/markup/teams/tables", test_tables);
  g_test_add_func ("/markup/teams/entities", test_entities);
  g_test_add_func ("/markup/teams/attachments", test_attachments);
  g_test_add_func ("/markup/teams/images", test_images);
  g_test_add_func ("/markup/teams/system-event", test_system_event);
  g_test_add_func ("/markup/teams/search-summary", test_search_summary);
  g_test_add_func ("/markup/teams/real-payloads", test_real_payloads);
  g_test_add_func ("/markup/null-and-empty", test_null_and_empty);
  g_test_add_func ("/markup/checker-sanity", test_checker_sanity);
  g_test_add_func ("/markup/hostile/script-style", test_script_style);
  g_test_add_func ("/markup/hostile/event-handlers", test_event_handlers);
  g_test_add_func ("/markup/hostile/javascript-links", test_javascript_links);
  g_test_add_func ("/markup/hostile/unclosed-misnested", test_unclosed_and_misnested);
  g_test_add_func ("/markup/hostile/deep-nesting", test_deep_nesting);
  g_test_add_func ("/markup/hostile/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/markup/hostile/many-attributes", test_many_attributes);
  g_test_add_func ("/markup/plain/renderer", test_plain_renderer);
  g_test_add_func ("/markup/plain/from-text", test_from_text);
  g_test_add_func ("/markup/out/plain-text", test_out_plain_text);
  g_test_add_func ("/markup/out/html", test_out_html);
  g_test_add_func ("/markup/round-trip/plain", test_round_trip);
  g_test_add_func ("/markup/round-trip/formatted", test_round_trip_formatted);
  g_test_add_func ("/markup/generated/invariants", test_generated);
  g_test_add_func ("/markup/generated/no-text-lost", test_no_text_lost);

  return g_test_run ();
}
