/* tg-markup — Teams HTML ⇄ purple markup. See tg-markup.h for the contract.
 *
 * Shape: one tolerant tokenizer (lex_next) that walks the input once and hands out text runs and
 * tags with their raw attribute spans; two consumers of those tokens:
 *   - the renderer (Render) for Teams HTML → purple markup or plain text, which keeps a bounded
 *     stack of open elements, collapses whitespace lazily (pending space / pending newlines)
 *     and writes an element's opening tag only when content arrives, so output is always
 *     well nested and empty elements vanish;
 *   - the sender (Send) for purple markup → Teams HTML / plain text, where whitespace is literal.
 * Nothing recurses, so nesting depth costs no C stack; elements deeper than MAX_DEPTH lose
 * their formatting but never their text.
 */
#include "tg-markup.h"

#include <string.h>

#define MAX_DEPTH 256   /* open elements tracked; deeper ones are rendered as plain content */
#define MAX_ATTRS 24    /* attributes kept per tag; later ones are parsed and ignored */
#define MAX_TAG_NAME 24 /* longer names are unknown tags */
#define INLINE_DEPTH 24 /* open elements tracked without a heap allocation */

/* Grows an element stack that starts in inline storage: the new array (the old one is freed or
 * was the inline one), or NULL when it holds MAX_DEPTH already. */
static gpointer
frames_grow (gpointer frames, guint *cap, gconstpointer inline_frames, gsize size)
{
  guint ncap = MIN (*cap * 2, MAX_DEPTH);
  if (*cap >= MAX_DEPTH)
    return NULL;
  if (frames == inline_frames) {
    frames = g_malloc_n (ncap, size);
    memcpy (frames, inline_frames, *cap * size);
  } else {
    frames = g_realloc_n (frames, ncap, size);
  }
  *cap = ncap;
  return frames;
}

/* ------------------------------------------------------------------------------------------ */
/* Elements */

typedef enum {
  K_NONE,   /* known, no effect of its own (content rendered) */
  K_FMT,    /* inline formatting: arg = Out */
  K_A, K_AT, K_SPAN,
  K_BLOCK,  /* starts and ends a line */
  K_H, K_PRE, K_BQ, K_LIST /* arg 1 = ordered */, K_LI, K_TR, K_TD,
  K_BR, K_HR, K_IMG, K_EMOJI, K_ATTACH, K_DDD,
  K_VOID,   /* no content, no effect */
  K_RAW,    /* content skipped with the element (script, style…) */
} Kind;

typedef enum { OUT_NONE, OUT_B, OUT_I, OUT_U, OUT_S, OUT_CODE, OUT_PRE, OUT_A } Out;

typedef struct {
  const char *name;
  guint8 kind;
  guint8 arg;
} TagInfo;

/* Sorted by strcmp (bsearch). */
static const TagInfo tags[] = {
  { "a", K_A, 0 }, { "abbr", K_NONE, 0 }, { "address", K_BLOCK, 0 }, { "article", K_BLOCK, 0 },
  { "aside", K_BLOCK, 0 }, { "at", K_AT, 0 }, { "attachment", K_ATTACH, 0 },
  { "b", K_FMT, OUT_B }, { "base", K_VOID, 0 }, { "big", K_NONE, 0 },
  { "blockquote", K_BQ, 0 }, { "body", K_NONE, 0 }, { "br", K_BR, 0 }, { "button", K_NONE, 0 },
  { "c0", K_FMT, OUT_B }, { "caption", K_BLOCK, 0 }, { "center", K_BLOCK, 0 },
  { "cite", K_FMT, OUT_I }, { "code", K_FMT, OUT_CODE }, { "codeblock", K_PRE, 0 },
  { "col", K_VOID, 0 }, { "colgroup", K_NONE, 0 }, { "dd", K_BLOCK, 0 }, { "ddd", K_DDD, 0 },
  { "del", K_FMT, OUT_S }, { "details", K_BLOCK, 0 }, { "dfn", K_FMT, OUT_I },
  { "dir", K_LIST, 0 }, { "div", K_BLOCK, 0 }, { "dl", K_BLOCK, 0 }, { "dt", K_BLOCK, 0 },
  { "em", K_FMT, OUT_I }, { "embed", K_VOID, 0 }, { "emoji", K_EMOJI, 0 },
  { "fieldset", K_BLOCK, 0 }, { "figcaption", K_BLOCK, 0 }, { "figure", K_BLOCK, 0 },
  { "font", K_NONE, 0 }, { "footer", K_BLOCK, 0 }, { "form", K_BLOCK, 0 },
  { "h1", K_H, 0 }, { "h2", K_H, 0 }, { "h3", K_H, 0 }, { "h4", K_H, 0 }, { "h5", K_H, 0 },
  { "h6", K_H, 0 }, { "head", K_NONE, 0 }, { "header", K_BLOCK, 0 }, { "hr", K_HR, 0 },
  { "html", K_NONE, 0 }, { "i", K_FMT, OUT_I }, { "iframe", K_RAW, 0 }, { "img", K_IMG, 0 },
  { "input", K_VOID, 0 }, { "ins", K_FMT, OUT_U }, { "kbd", K_FMT, OUT_CODE },
  { "label", K_NONE, 0 }, { "legend", K_BLOCK, 0 }, { "li", K_LI, 0 }, { "link", K_VOID, 0 },
  { "listing", K_PRE, 0 }, { "main", K_BLOCK, 0 }, { "mark", K_NONE, 0 }, { "menu", K_LIST, 0 },
  { "meta", K_VOID, 0 }, { "nav", K_BLOCK, 0 }, { "noembed", K_RAW, 0 },
  { "noframes", K_RAW, 0 }, { "noscript", K_RAW, 0 }, { "object", K_NONE, 0 },
  { "ol", K_LIST, 1 }, { "option", K_NONE, 0 }, { "p", K_BLOCK, 0 }, { "param", K_VOID, 0 },
  { "pre", K_PRE, 0 }, { "q", K_NONE, 0 }, { "s", K_FMT, OUT_S }, { "samp", K_FMT, OUT_CODE },
  { "script", K_RAW, 0 }, { "section", K_BLOCK, 0 }, { "select", K_NONE, 0 },
  { "small", K_NONE, 0 }, { "source", K_VOID, 0 }, { "span", K_SPAN, 0 },
  { "strike", K_FMT, OUT_S }, { "strong", K_FMT, OUT_B }, { "style", K_RAW, 0 },
  { "sub", K_NONE, 0 }, { "summary", K_BLOCK, 0 }, { "sup", K_NONE, 0 },
  { "systemeventmessage", K_VOID, 0 }, { "table", K_BLOCK, 0 }, { "tbody", K_NONE, 0 },
  { "td", K_TD, 0 }, { "template", K_RAW, 0 }, { "textarea", K_NONE, 0 },
  { "tfoot", K_NONE, 0 }, { "th", K_TD, 0 }, { "thead", K_NONE, 0 }, { "title", K_RAW, 0 },
  { "tr", K_TR, 0 }, { "track", K_VOID, 0 }, { "tt", K_FMT, OUT_CODE }, { "u", K_FMT, OUT_U },
  { "ul", K_LIST, 0 }, { "var", K_FMT, OUT_I }, { "wbr", K_VOID, 0 },
};

static int
tag_lookup (const char *name, gsize len)
{
  char buf[MAX_TAG_NAME + 1];
  if (len == 0 || len > MAX_TAG_NAME)
    return -1;
  for (gsize i = 0; i < len; i++)
    buf[i] = g_ascii_tolower (name[i]);
  buf[len] = '\0';
  int lo = 0, hi = (int) G_N_ELEMENTS (tags) - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int c = strcmp (buf, tags[mid].name);
    if (c == 0)
      return mid;
    if (c < 0)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return -1;
}

static inline Kind
tag_kind (int tag)
{
  return tag < 0 ? K_NONE : (Kind) tags[tag].kind;
}

/* ------------------------------------------------------------------------------------------ */
/* Character references */

typedef struct {
  const char *name;
  guint32 cp;
} Entity;

/* Sorted by strcmp: the HTML 4 set plus the HTML 5 names an obfuscator or a mail client is
 * likely to use. Unknown names stay as literal text. */
static const Entity entities[] = {
  { "AElig", 0x00C6 }, { "AMP", 0x0026 }, { "Aacute", 0x00C1 }, { "Acirc", 0x00C2 },
  { "Agrave", 0x00C0 }, { "Alpha", 0x0391 }, { "Aring", 0x00C5 }, { "Atilde", 0x00C3 },
  { "Auml", 0x00C4 }, { "Beta", 0x0392 }, { "COPY", 0x00A9 }, { "Ccedil", 0x00C7 },
  { "Chi", 0x03A7 }, { "Dagger", 0x2021 }, { "Delta", 0x0394 }, { "ETH", 0x00D0 },
  { "Eacute", 0x00C9 }, { "Ecirc", 0x00CA }, { "Egrave", 0x00C8 }, { "Epsilon", 0x0395 },
  { "Eta", 0x0397 }, { "Euml", 0x00CB }, { "GT", 0x003E }, { "Gamma", 0x0393 }, { "Hat", 0x005E },
  { "Iacute", 0x00CD }, { "Icirc", 0x00CE }, { "Igrave", 0x00CC }, { "Iota", 0x0399 },
  { "Iuml", 0x00CF }, { "Kappa", 0x039A }, { "LT", 0x003C }, { "Lambda", 0x039B },
  { "Mu", 0x039C }, { "NewLine", 0x000A }, { "NoBreak", 0x2060 }, { "Ntilde", 0x00D1 },
  { "Nu", 0x039D }, { "OElig", 0x0152 }, { "Oacute", 0x00D3 }, { "Ocirc", 0x00D4 },
  { "Ograve", 0x00D2 }, { "Omega", 0x03A9 }, { "Omicron", 0x039F }, { "Oslash", 0x00D8 },
  { "Otilde", 0x00D5 }, { "Ouml", 0x00D6 }, { "Phi", 0x03A6 }, { "Pi", 0x03A0 },
  { "Prime", 0x2033 }, { "Psi", 0x03A8 }, { "QUOT", 0x0022 }, { "REG", 0x00AE },
  { "Rho", 0x03A1 }, { "Scaron", 0x0160 }, { "Sigma", 0x03A3 }, { "THORN", 0x00DE },
  { "TRADE", 0x2122 }, { "Tab", 0x0009 }, { "Tau", 0x03A4 }, { "Theta", 0x0398 },
  { "Uacute", 0x00DA }, { "Ucirc", 0x00DB }, { "Ugrave", 0x00D9 }, { "Upsilon", 0x03A5 },
  { "Uuml", 0x00DC }, { "Xi", 0x039E }, { "Yacute", 0x00DD }, { "Yuml", 0x0178 },
  { "ZeroWidthSpace", 0x200B }, { "Zeta", 0x0396 }, { "aacute", 0x00E1 }, { "acirc", 0x00E2 },
  { "acute", 0x00B4 }, { "aelig", 0x00E6 }, { "agrave", 0x00E0 }, { "alpha", 0x03B1 },
  { "amp", 0x0026 }, { "and", 0x2227 }, { "ang", 0x2220 }, { "apos", 0x0027 },
  { "aring", 0x00E5 }, { "ast", 0x002A }, { "asymp", 0x2248 }, { "atilde", 0x00E3 },
  { "auml", 0x00E4 }, { "bdquo", 0x201E }, { "beta", 0x03B2 }, { "brvbar", 0x00A6 },
  { "bsol", 0x005C }, { "bull", 0x2022 }, { "bullet", 0x2022 }, { "cap", 0x2229 },
  { "ccedil", 0x00E7 }, { "cedil", 0x00B8 }, { "cent", 0x00A2 }, { "check", 0x2713 },
  { "chi", 0x03C7 }, { "circ", 0x02C6 }, { "clubs", 0x2663 }, { "colon", 0x003A },
  { "comma", 0x002C }, { "commat", 0x0040 }, { "cong", 0x2245 }, { "copy", 0x00A9 },
  { "crarr", 0x21B5 }, { "cross", 0x2717 }, { "cup", 0x222A }, { "curren", 0x00A4 },
  { "dArr", 0x21D3 }, { "dagger", 0x2020 }, { "darr", 0x2193 }, { "dash", 0x2010 },
  { "deg", 0x00B0 }, { "delta", 0x03B4 }, { "diams", 0x2666 }, { "divide", 0x00F7 },
  { "dollar", 0x0024 }, { "eacute", 0x00E9 }, { "ecirc", 0x00EA }, { "egrave", 0x00E8 },
  { "empty", 0x2205 }, { "emsp", 0x2003 }, { "ensp", 0x2002 }, { "epsilon", 0x03B5 },
  { "equals", 0x003D }, { "equiv", 0x2261 }, { "eta", 0x03B7 }, { "eth", 0x00F0 },
  { "euml", 0x00EB }, { "euro", 0x20AC }, { "excl", 0x0021 }, { "exist", 0x2203 },
  { "female", 0x2640 }, { "flat", 0x266D }, { "fnof", 0x0192 }, { "forall", 0x2200 },
  { "frac12", 0x00BD }, { "frac13", 0x2153 }, { "frac14", 0x00BC }, { "frac18", 0x215B },
  { "frac23", 0x2154 }, { "frac34", 0x00BE }, { "frasl", 0x2044 }, { "gamma", 0x03B3 },
  { "ge", 0x2265 }, { "grave", 0x0060 }, { "gt", 0x003E }, { "hArr", 0x21D4 }, { "half", 0x00BD },
  { "harr", 0x2194 }, { "hearts", 0x2665 }, { "hellip", 0x2026 }, { "horbar", 0x2015 },
  { "hyphen", 0x2010 }, { "iacute", 0x00ED }, { "icirc", 0x00EE }, { "iexcl", 0x00A1 },
  { "igrave", 0x00EC }, { "infin", 0x221E }, { "int", 0x222B }, { "iota", 0x03B9 },
  { "iquest", 0x00BF }, { "isin", 0x2208 }, { "iuml", 0x00EF }, { "kappa", 0x03BA },
  { "lArr", 0x21D0 }, { "lambda", 0x03BB }, { "lang", 0x27E8 }, { "laquo", 0x00AB },
  { "larr", 0x2190 }, { "lbrace", 0x007B }, { "lbrack", 0x005B }, { "lceil", 0x2308 },
  { "lcub", 0x007B }, { "ldquo", 0x201C }, { "le", 0x2264 }, { "lfloor", 0x230A },
  { "lowast", 0x2217 }, { "lowbar", 0x005F }, { "loz", 0x25CA }, { "lpar", 0x0028 },
  { "lrm", 0x200E }, { "lsaquo", 0x2039 }, { "lsqb", 0x005B }, { "lsquo", 0x2018 },
  { "lt", 0x003C }, { "macr", 0x00AF }, { "male", 0x2642 }, { "mdash", 0x2014 },
  { "micro", 0x00B5 }, { "middot", 0x00B7 }, { "minus", 0x2212 }, { "mldr", 0x2026 },
  { "mu", 0x03BC }, { "nabla", 0x2207 }, { "natur", 0x266E }, { "nbsp", 0x00A0 },
  { "ndash", 0x2013 }, { "ne", 0x2260 }, { "ni", 0x220B }, { "nldr", 0x2025 }, { "not", 0x00AC },
  { "notin", 0x2209 }, { "nsub", 0x2284 }, { "ntilde", 0x00F1 }, { "nu", 0x03BD },
  { "num", 0x0023 }, { "oacute", 0x00F3 }, { "ocirc", 0x00F4 }, { "oelig", 0x0153 },
  { "ograve", 0x00F2 }, { "oline", 0x203E }, { "omega", 0x03C9 }, { "omicron", 0x03BF },
  { "oplus", 0x2295 }, { "or", 0x2228 }, { "ordf", 0x00AA }, { "ordm", 0x00BA },
  { "oslash", 0x00F8 }, { "otilde", 0x00F5 }, { "otimes", 0x2297 }, { "ouml", 0x00F6 },
  { "para", 0x00B6 }, { "part", 0x2202 }, { "percnt", 0x0025 }, { "period", 0x002E },
  { "permil", 0x2030 }, { "perp", 0x22A5 }, { "phi", 0x03C6 }, { "phone", 0x260E },
  { "pi", 0x03C0 }, { "piv", 0x03D6 }, { "plus", 0x002B }, { "plusmn", 0x00B1 },
  { "pound", 0x00A3 }, { "prime", 0x2032 }, { "prod", 0x220F }, { "prop", 0x221D },
  { "psi", 0x03C8 }, { "quest", 0x003F }, { "quot", 0x0022 }, { "rArr", 0x21D2 },
  { "radic", 0x221A }, { "rang", 0x27E9 }, { "raquo", 0x00BB }, { "rarr", 0x2192 },
  { "rbrace", 0x007D }, { "rbrack", 0x005D }, { "rceil", 0x2309 }, { "rcub", 0x007D },
  { "rdquo", 0x201D }, { "reg", 0x00AE }, { "rfloor", 0x230B }, { "rho", 0x03C1 },
  { "rlm", 0x200F }, { "rpar", 0x0029 }, { "rsaquo", 0x203A }, { "rsqb", 0x005D },
  { "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "scaron", 0x0161 }, { "sdot", 0x22C5 },
  { "sect", 0x00A7 }, { "semi", 0x003B }, { "sharp", 0x266F }, { "shy", 0x00AD },
  { "sigma", 0x03C3 }, { "sigmaf", 0x03C2 }, { "sim", 0x223C }, { "sol", 0x002F },
  { "spades", 0x2660 }, { "star", 0x2606 }, { "starf", 0x2605 }, { "sub", 0x2282 },
  { "sube", 0x2286 }, { "sum", 0x2211 }, { "sup", 0x2283 }, { "sup1", 0x00B9 }, { "sup2", 0x00B2 },
  { "sup3", 0x00B3 }, { "supe", 0x2287 }, { "szlig", 0x00DF }, { "tau", 0x03C4 },
  { "there4", 0x2234 }, { "theta", 0x03B8 }, { "thetasym", 0x03D1 }, { "thinsp", 0x2009 },
  { "thorn", 0x00FE }, { "tilde", 0x02DC }, { "times", 0x00D7 }, { "trade", 0x2122 },
  { "uArr", 0x21D1 }, { "uacute", 0x00FA }, { "uarr", 0x2191 }, { "ucirc", 0x00FB },
  { "ugrave", 0x00F9 }, { "uml", 0x00A8 }, { "upsih", 0x03D2 }, { "upsilon", 0x03C5 },
  { "uuml", 0x00FC }, { "verbar", 0x007C }, { "vert", 0x007C }, { "xi", 0x03BE },
  { "yacute", 0x00FD }, { "yen", 0x00A5 }, { "yuml", 0x00FF }, { "zeta", 0x03B6 },
  { "zwj", 0x200D }, { "zwnj", 0x200C },
};

static const Entity *
entity_lookup (const char *name, gsize len)
{
  int lo = 0, hi = (int) G_N_ELEMENTS (entities) - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    const char *e = entities[mid].name;
    int c = strncmp (name, e, len);
    if (c == 0 && e[len] != '\0')
      c = -1;
    if (c == 0)
      return &entities[mid];
    if (c < 0)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* What browsers do with &#128; … &#159;: the Windows-1252 character of that byte. */
static const guint16 cp1252[32] = {
  0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
  0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
};

/* p points at '&'. Returns how many bytes form a character reference (0: none, the '&' is a
 * literal) and the code point in *cp. Numeric references need no ';' (as in browsers, which
 * matters for "jav&#x61script:"); named ones do, except the few legacy names browsers accept
 * bare, which in attribute values stay literal before an alphanumeric or '='. */
static gsize
decode_ref (const char *p, const char *end, gboolean in_attr, gunichar *cp)
{
  const char *q = p + 1;

  if (q < end && *q == '#') {
    gboolean hex = FALSE;
    guint32 v = 0;
    const char *digits;
    q++;
    if (q < end && (*q == 'x' || *q == 'X')) {
      hex = TRUE;
      q++;
    }
    digits = q;
    while (q < end && (hex ? g_ascii_isxdigit (*q) : g_ascii_isdigit (*q))) {
      if (v <= 0x10FFFF)
        v = v * (hex ? 16 : 10) + (guint32) (hex ? g_ascii_xdigit_value (*q) : *q - '0');
      q++;
    }
    if (q == digits)
      return 0;
    if (q < end && *q == ';')
      q++;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
      v = 0xFFFD;
    else if (v >= 0x80 && v <= 0x9F)
      v = cp1252[v - 0x80];
    *cp = v;
    return (gsize) (q - p);
  }

  const char *name = q;
  while (q < end && q - name < 32 && g_ascii_isalnum (*q))
    q++;
  if (q == name)
    return 0;
  if (q < end && *q == ';') {
    const Entity *e = entity_lookup (name, (gsize) (q - name));
    if (e) {
      *cp = e->cp;
      return (gsize) (q + 1 - p);
    }
  }
  static const struct { const char *name; guint8 len; guint16 cp; } legacy[] = {
    { "nbsp", 4, 0xA0 }, { "quot", 4, '"' }, { "copy", 4, 0xA9 }, { "amp", 3, '&' },
    { "reg", 3, 0xAE }, { "lt", 2, '<' }, { "gt", 2, '>' },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (legacy); i++) {
    gsize n = legacy[i].len;
    if ((gsize) (q - name) >= n && memcmp (name, legacy[i].name, n) == 0) {
      const char *after = name + n;
      if (in_attr && after < end && (g_ascii_isalnum (*after) || *after == '='))
        return 0;
      *cp = legacy[i].cp;
      return (gsize) (after - p);
    }
  }
  return 0;
}

/* Appends s[0..len) to buf as valid UTF-8, each invalid byte becoming U+FFFD. */
static void
append_utf8 (GString *buf, const char *s, gsize len)
{
  while (len > 0) {
    const char *bad;
    if (g_utf8_validate_len (s, len, &bad)) {
      g_string_append_len (buf, s, (gssize) len);
      return;
    }
    g_string_append_len (buf, s, bad - s);
    g_string_append (buf, "\xEF\xBF\xBD");
    len -= (gsize) (bad - s) + 1;
    s = bad + 1;
  }
}

/* An attribute value, references decoded, as valid UTF-8 into buf (replaced, not appended). */
static const char *
decode_attr (GString *buf, const char *v, gsize len)
{
  const char *end = v + len, *run = v;
  g_string_truncate (buf, 0);
  for (const char *p = v; p < end;) {
    if (*p == '&') {
      gunichar cp;
      gsize n = decode_ref (p, end, TRUE, &cp);
      if (n) {
        append_utf8 (buf, run, (gsize) (p - run));
        g_string_append_unichar (buf, cp);
        p += n;
        run = p;
        continue;
      }
    }
    p++;
  }
  append_utf8 (buf, run, (gsize) (end - run));
  return buf->str;
}

/* ------------------------------------------------------------------------------------------ */
/* Tokenizer */

typedef enum { TOK_EOF, TOK_TEXT, TOK_START, TOK_END } TokType;

typedef struct {
  const char *name, *value; /* value NULL when the attribute has none */
  gsize name_len, value_len;
} Attr;

typedef struct {
  TokType type;
  const char *start; /* TEXT: the raw text (references undecoded); START/END: the whole tag */
  gsize len;
  int tag;           /* tags[] index, -1 unknown */
  gboolean self_closing;
  guint n_attrs;
  Attr attrs[MAX_ATTRS];
} Token;

typedef struct {
  const char *p, *end;
} Lexer;

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Does '<' at p open markup? Anything else is a literal '<' (as in "a < b" or "<3"). */
static inline gboolean
opens_markup (const char *p, const char *end)
{
  if (p + 1 >= end)
    return FALSE;
  char c = p[1];
  if (g_ascii_isalpha (c))
    return TRUE;
  if (c == '/')
    return p + 2 < end && (g_ascii_isalpha (p[2]) || p[2] == '>');
  if (c == '!')
    return p + 2 < end && (p[2] == '-' || p[2] == '[' || g_ascii_isalpha (p[2]));
  if (c == '?')
    return p + 2 < end && g_ascii_isalpha (p[2]);
  return FALSE;
}

/* Past a comment, doctype, CDATA or processing instruction at p; to the end if unterminated
 * (they hide their content, as in browsers). */
static const char *
skip_declaration (const char *p, const char *end)
{
  if (end - p >= 4 && memcmp (p, "<!--", 4) == 0) {
    const char *q = p + 4;
    if (q < end && *q == '>')
      return q + 1;
    if (end - q >= 2 && q[0] == '-' && q[1] == '>')
      return q + 2;
    const char *e = g_strstr_len (q, end - q, "-->");
    return e ? e + 3 : end;
  }
  const char *gt = memchr (p, '>', (gsize) (end - p));
  return gt ? gt + 1 : end;
}

/* Past the end tag closing a raw-text element (script, style…), or the end. */
static const char *
skip_raw (const char *p, const char *end, const char *name, gsize name_len)
{
  while (p < end) {
    const char *lt = memchr (p, '<', (gsize) (end - p));
    if (!lt)
      break;
    const char *n = lt + 2;
    if (n + name_len <= end && lt[1] == '/' && g_ascii_strncasecmp (n, name, name_len) == 0 &&
        (n + name_len == end || is_space (n[name_len]) || n[name_len] == '/' ||
         n[name_len] == '>')) {
      const char *gt = memchr (n, '>', (gsize) (end - n));
      return gt ? gt + 1 : end;
    }
    p = lt + 1;
  }
  return end;
}

/* Parses the tag at p ('<' or '</'). FALSE when the input ends inside it. */
static gboolean
parse_tag (const char *p, const char *end, Token *t, const char **next)
{
  gboolean is_end = p[1] == '/';
  const char *q = p + (is_end ? 2 : 1), *name = q;

  while (q < end && !is_space (*q) && *q != '/' && *q != '>')
    q++;
  t->type = is_end ? TOK_END : TOK_START;
  t->tag = tag_lookup (name, (gsize) (q - name));
  t->self_closing = FALSE;
  t->n_attrs = 0;

  for (;;) {
    while (q < end && (is_space (*q) || *q == '/')) {
      if (*q == '/' && q + 1 < end && q[1] == '>')
        t->self_closing = TRUE;
      q++;
    }
    if (q >= end)
      return FALSE;
    if (*q == '>') {
      q++;
      break;
    }
    const char *an = q++;
    while (q < end && !is_space (*q) && *q != '/' && *q != '>' && *q != '=')
      q++;
    gsize an_len = (gsize) (q - an);
    const char *val = NULL;
    gsize val_len = 0;
    while (q < end && is_space (*q))
      q++;
    if (q < end && *q == '=') {
      q++;
      while (q < end && is_space (*q))
        q++;
      if (q >= end)
        return FALSE;
      if (*q == '"' || *q == '\'') {
        const char *close = memchr (q + 1, *q, (gsize) (end - q - 1));
        if (!close)
          return FALSE;
        val = q + 1;
        val_len = (gsize) (close - val);
        q = close + 1;
      } else {
        val = q;
        while (q < end && !is_space (*q) && *q != '>')
          q++;
        val_len = (gsize) (q - val);
      }
    }
    if (t->n_attrs < MAX_ATTRS)
      t->attrs[t->n_attrs++] = (Attr) { an, val, an_len, val_len };
  }
  t->start = p;
  t->len = (gsize) (q - p);
  *next = q;
  return TRUE;
}

static TokType
lex_next (Lexer *lx, Token *t)
{
  for (;;) {
    const char *p = lx->p, *end = lx->end, *q = p;

    if (p >= end)
      return t->type = TOK_EOF;
    /* Text up to the next '<' that opens markup. */
    while (q < end) {
      const char *lt = memchr (q, '<', (gsize) (end - q));
      if (!lt) {
        q = end;
        break;
      }
      if (opens_markup (lt, end)) {
        q = lt;
        break;
      }
      q = lt + 1;
    }
    if (q > p) {
      t->type = TOK_TEXT;
      t->start = p;
      t->len = (gsize) (q - p);
      lx->p = q;
      return TOK_TEXT;
    }
    if (p[1] == '!' || p[1] == '?') {
      lx->p = skip_declaration (p, end);
      continue;
    }
    if (p[1] == '/' && p[2] == '>') {
      lx->p = p + 3;
      continue;
    }
    if (!parse_tag (p, end, t, &lx->p)) {
      /* Unterminated tag: browsers would drop it; we keep its source as text. */
      t->type = TOK_TEXT;
      t->start = p;
      t->len = (gsize) (end - p);
      lx->p = end;
      return TOK_TEXT;
    }
    if (t->type == TOK_START && tag_kind (t->tag) == K_RAW) {
      const char *name = tags[t->tag].name;
      lx->p = skip_raw (lx->p, end, name, strlen (name));
    }
    return t->type;
  }
}

/* The first attribute called `name` (lower case), raw, or NULL. */
static const Attr *
attr_find (const Token *t, const char *name)
{
  gsize len = strlen (name);
  for (guint i = 0; i < t->n_attrs; i++)
    if (t->attrs[i].name_len == len && g_ascii_strncasecmp (t->attrs[i].name, name, len) == 0)
      return &t->attrs[i];
  return NULL;
}

/* The decoded value of attribute `name` in buf, or NULL when absent or valueless. */
static const char *
attr_get (const Token *t, const char *name, GString *buf)
{
  const Attr *a = attr_find (t, name);
  if (!a || !a->value)
    return NULL;
  return decode_attr (buf, a->value, a->value_len);
}

/* ------------------------------------------------------------------------------------------ */
/* Links */

/* A link target purple may show, newly allocated, or NULL: http://, https:// or mailto: only
 * (after the tab/newline removal and trimming browsers apply), with spaces, quotes and angle
 * brackets percent-encoded. */
static char *
sanitize_url (const char *url)
{
  GString *s;
  const char *p = url, *end;

  if (!url)
    return NULL;
  while (*p && (guchar) *p <= 0x20)
    p++;
  end = p + strlen (p);
  while (end > p && (guchar) end[-1] <= 0x20)
    end--;
  s = g_string_sized_new ((gsize) (end - p) + 8);
  for (; p < end; p++) {
    guchar c = (guchar) *p;
    if (c == '\t' || c == '\n' || c == '\r')
      continue;
    if (c < 0x20 || c == 0x7F) {
      g_string_free (s, TRUE);
      return NULL;
    }
    if (c == ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`')
      g_string_append_printf (s, "%%%02X", c);
    else
      g_string_append_c (s, (char) c);
  }
  if ((g_ascii_strncasecmp (s->str, "https://", 8) == 0 && s->len > 8) ||
      (g_ascii_strncasecmp (s->str, "http://", 7) == 0 && s->len > 7) ||
      (g_ascii_strncasecmp (s->str, "mailto:", 7) == 0 && s->len > 7))
    return g_string_free (s, FALSE);
  g_string_free (s, TRUE);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Teams HTML → purple markup / plain text */

typedef enum { MODE_PURPLE, MODE_PLAIN } Mode;

typedef struct {
  gint16 tag;        /* tags[] index */
  guint8 kind;
  guint8 out;        /* Out: what the frame writes around its content */
  gint counter;      /* lists: last item number; rows: cells so far */
  gsize link_start;  /* plain mode: where the link text began */
  char *href;        /* OUT_A: sanitized target */
} Frame;

typedef struct {
  Mode mode;
  const TgMarkupContext *ctx;
  GString *out, *scratch;
  guint depth, n_open;   /* frames[0..n_open) have had their opening written */
  guint pending_nl;      /* line breaks owed before the next content */
  gboolean pending_space, pending_sep, col0, pre_fresh, has_marker;
  guint quote_depth, list_depth, pre_depth, link_depth, cell_depth;
  char marker[16];
  char *emoji_alt;       /* <emoji alt> waiting to see whether the element has content */
  Frame *frames;         /* inline_frames, or on the heap once deeper */
  guint cap;
  Frame inline_frames[INLINE_DEPTH];
} Render;

/* Purple markup: no <code>, which Pidgin ignores and purple_markup_html_to_xhtml() turns into
 * visible "<code>" text; <pre> both know. */
static const char *const purple_open[] = { "", "<b>", "<i>", "<u>", "<s>", "", "<pre>", "" };
static const char *const purple_close[] = { "", "</b>", "</i>", "</u>", "</s>", "", "</pre>",
                                            "</a>" };
/* Teams HTML */
static const char *const teams_open[] = { "", "<b>", "<i>", "<u>", "<s>", "<code>", "<pre>", "" };
static const char *const teams_close[] = { "", "</b>", "</i>", "</u>", "</s>", "</code>", "</pre>",
                                           "</a>" };

static inline void
r_newline (Render *r)
{
  if (r->mode == MODE_PURPLE)
    g_string_append_len (r->out, "<br>", 4);
  else
    g_string_append_c (r->out, '\n');
}

static void
r_put_raw_escaped (Render *r, const char *s, gsize len)
{
  if (r->mode == MODE_PLAIN) {
    g_string_append_len (r->out, s, (gssize) len);
    return;
  }
  const char *run = s, *end = s + len;
  for (const char *p = s; p < end; p++) {
    const char *rep;
    switch (*p) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      default: continue;
    }
    g_string_append_len (r->out, run, p - run);
    g_string_append (r->out, rep);
    run = p + 1;
  }
  g_string_append_len (r->out, run, end - run);
}

static void
r_write_prefix (Render *r)
{
  for (guint i = 0; i < r->quote_depth && i < 8; i++)
    g_string_append (r->out, r->mode == MODE_PURPLE ? "&gt; " : "> ");
  if (r->list_depth > 0) {
    guint indent = 2 * (r->has_marker ? r->list_depth - 1 : r->list_depth);
    for (guint i = 0; i < indent && i < 64; i++)
      g_string_append_c (r->out, ' ');
  }
  if (r->has_marker) {
    g_string_append (r->out, r->marker);
    r->has_marker = FALSE;
  }
}

/* Everything owed before content: line breaks, the line prefix, a collapsed space or a cell
 * separator, and the openings of elements that had no content yet. */
static void
r_flush (Render *r)
{
  if (r->pending_nl) {
    for (guint i = 0; i < r->pending_nl; i++)
      r_newline (r);
    r->pending_nl = 0;
    r->col0 = TRUE;
  }
  if (r->col0) {
    r_write_prefix (r);
    r->col0 = FALSE;
  } else if (r->pending_sep) {
    g_string_append (r->out, " | ");
  } else if (r->pending_space) {
    g_string_append_c (r->out, ' ');
  }
  r->pending_space = r->pending_sep = FALSE;
  r->pre_fresh = FALSE;
  for (; r->n_open < r->depth; r->n_open++) {
    Frame *f = &r->frames[r->n_open];
    if (r->mode == MODE_PURPLE) {
      if (f->out == OUT_A) {
        g_string_append (r->out, "<a href=\"");
        r_put_raw_escaped (r, f->href, strlen (f->href));
        g_string_append (r->out, "\">");
      } else {
        g_string_append (r->out, purple_open[f->out]);
      }
    } else if (f->out == OUT_A) {
      f->link_start = r->out->len;
    }
  }
}

/* A block starts or ends: what follows goes on a new line (inside a table cell: after a space). */
static inline void
r_soft_break (Render *r)
{
  if (r->cell_depth > 0)
    r->pending_space = TRUE;
  else if (!r->col0 && r->pending_nl == 0)
    r->pending_nl = 1;
}

/* Text that is already valid UTF-8 (an alt, a file name): controls dropped, line breaks and
 * tabs shown as spaces. */
static void
r_put_str (Render *r, const char *s)
{
  if (!s || !*s)
    return;
  r_flush (r);
  const char *run = s;
  for (const char *p = s;; p++) {
    guchar c = (guchar) *p;
    if (c >= 0x20 && c != 0x7F)
      continue;
    r_put_raw_escaped (r, run, (gsize) (p - run));
    if (c == 0)
      break;
    if (c == '\t' || c == '\n' || c == '\r')
      g_string_append_c (r->out, ' ');
    run = p + 1;
  }
}

/* `text` as a link to `url` (sanitized already; NULL: no link). */
static void
r_put_link (Render *r, const char *url, const char *text)
{
  if (!url || r->link_depth > 0) {
    r_put_str (r, text);
    return;
  }
  r_flush (r);
  if (r->mode == MODE_PURPLE) {
    g_string_append (r->out, "<a href=\"");
    r_put_raw_escaped (r, url, strlen (url));
    g_string_append (r->out, "\">");
    r_put_str (r, text);
    g_string_append (r->out, "</a>");
  } else {
    r_put_str (r, text);
    if (strcmp (url, text) != 0)
      g_string_append_printf (r->out, " (%s)", url);
  }
}

static Frame *
r_push (Render *r, int tag, Kind kind, Out out)
{
  if (r->depth == r->cap) {
    Frame *grown = frames_grow (r->frames, &r->cap, r->inline_frames, sizeof (Frame));
    if (!grown)
      return NULL;
    r->frames = grown;
  }
  Frame *f = &r->frames[r->depth++];
  *f = (Frame) { .tag = (gint16) tag, .kind = (guint8) kind, .out = (guint8) out };
  switch (kind) {
    case K_BQ: r->quote_depth++; break;
    case K_LIST: r->list_depth++; break;
    case K_PRE: r->pre_depth++; r->pre_fresh = TRUE; break;
    case K_TD: r->cell_depth++; break;
    default: break;
  }
  return f;
}

static void
r_pop (Render *r)
{
  Frame *f = &r->frames[r->depth - 1];

  if (r->depth <= r->n_open) {
    if (r->mode == MODE_PURPLE) {
      g_string_append (r->out, purple_close[f->out]);
    } else if (f->out == OUT_A) {
      const char *text = r->out->str + f->link_start;
      const char *bare = g_ascii_strncasecmp (f->href, "mailto:", 7) == 0 ? f->href + 7 : f->href;
      if (strcmp (text, f->href) != 0 && strcmp (text, bare) != 0)
        g_string_append_printf (r->out, " (%s)", f->href);
    }
    r->n_open = r->depth - 1;
  }
  switch (f->kind) {
    case K_BQ: r->quote_depth--; break;
    case K_LIST: r->list_depth--; break;
    case K_PRE: r->pre_depth--; break;
    case K_TD: r->cell_depth--; break;
    default: break;
  }
  if (f->out == OUT_A)
    r->link_depth--;
  if (f->kind == K_H || f->kind == K_PRE || f->kind == K_BQ || f->kind == K_LIST ||
      f->kind == K_LI || f->kind == K_TR)
    r_soft_break (r);
  g_free (f->href);
  r->depth--;
}

static void
r_pop_to (Render *r, guint depth)
{
  while (r->depth > depth)
    r_pop (r);
}

/* Index of the topmost frame for `tag`, looking no deeper than a frame of kind `stop`
 * (K_NONE: no limit); -1 when none. */
static int
r_find (Render *r, int tag, Kind stop)
{
  for (int i = (int) r->depth - 1; i >= 0; i--) {
    if (r->frames[i].tag == tag)
      return i;
    if (stop != K_NONE && r->frames[i].kind == stop)
      return -1;
  }
  return -1;
}

static void
r_emoji_flush (Render *r)
{
  char *alt = r->emoji_alt;
  r->emoji_alt = NULL;
  r_put_str (r, alt);
  g_free (alt);
}

/* A code point from a character reference: shown literally (never collapsed). */
static void
r_put_ref (Render *r, gunichar cp)
{
  char buf[8];
  switch (cp) {
    case '\n':
      r->pending_nl++;
      return;
    case '\r':
      return;
    case 0xA0: case '\f':
      cp = ' ';
      break;
    default:
      if ((cp < 0x20 && cp != '\t') || cp == 0x7F)
        return;
  }
  r_flush (r);
  gint n = g_unichar_to_utf8 (cp, buf);
  r_put_raw_escaped (r, buf, (gsize) n);
}

/* Bytes that go through as they are (before UTF-8 validation). */
static guint8 plain_byte[256];

static void
init_tables (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    for (int c = 0x21; c < 256; c++)
      plain_byte[c] = c != '&' && c != '<' && c != '>' && c != 0x7F;
    g_once_init_leave (&done, 1);
  }
}

static void
r_text (Render *r, const char *s, gsize len)
{
  const char *p = s, *end = s + len;

  while (p < end) {
    guchar c = (guchar) *p;
    if (plain_byte[c]) {
      const char *q = p + 1;
      while (q < end && plain_byte[(guchar) *q])
        q++;
      r_flush (r);
      append_utf8 (r->out, p, (gsize) (q - p));
      p = q;
      continue;
    }
    if (c == '&') {
      gunichar cp;
      gsize n = decode_ref (p, end, FALSE, &cp);
      if (n) {
        r_put_ref (r, cp);
        p += n;
        continue;
      }
    }
    p++;
    if (is_space ((char) c)) {
      if (r->pre_depth == 0) {
        r->pending_space = TRUE;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && p < end && *p == '\n')
          p++;
        if (r->pre_fresh)
          r->pre_fresh = FALSE;
        else
          r->pending_nl++;
      } else {
        r_flush (r);
        g_string_append_c (r->out, c == '\f' ? ' ' : (char) c);
      }
      continue;
    }
    if (c < 0x20 || c == 0x7F)
      continue;
    r_flush (r);
    r_put_raw_escaped (r, (const char *) &c, 1);
  }
}

/* Text inside <emoji alt>: the same character as the alt shows once. */
static void
r_emoji_text (Render *r, const Token *t)
{
  GString *buf = r->scratch;
  decode_attr (buf, t->start, t->len);
  char *stripped = g_strstrip (g_strdup (buf->str));
  if (*stripped) {
    if (strcmp (stripped, r->emoji_alt) == 0)
      g_clear_pointer (&r->emoji_alt, g_free);
    else
      r_emoji_flush (r);
  }
  g_free (stripped);
  r_text (r, t->start, t->len);
}

static void
r_image (Render *r, const Token *t)
{
  GString *buf = r->scratch;
  const char *itemtype = attr_get (t, "itemtype", buf);

  if (itemtype && strstr (itemtype, "schema.skype.com/Emoji")) {
    const char *alt = attr_get (t, "alt", buf);
    if (!alt || !*alt)
      alt = attr_get (t, "title", buf);
    r_put_str (r, alt);
    return;
  }
  char *src = g_strdup (attr_get (t, "src", buf));
  char *alt = g_strdup (attr_get (t, "alt", buf));
  if (r->mode == MODE_PURPLE && r->ctx && r->ctx->image) {
    char *markup = r->ctx->image (src ? src : "", alt, r->ctx->user_data);
    if (markup) {
      r_flush (r);
      g_string_append (r->out, markup);
      g_free (markup);
      goto out;
    }
  }
  if (src && *src) {
    char *url = sanitize_url (src);
    r_put_link (r, url, "[image]");
    g_free (url);
  } else {
    r_put_str (r, alt);
  }
out:
  g_free (src);
  g_free (alt);
}

static void
r_attachment (Render *r, const Token *t)
{
  const char *id = attr_get (t, "id", r->scratch);
  const char *name = NULL, *url = NULL;

  if (!id || !r->ctx || !r->ctx->attachment ||
      !r->ctx->attachment (id, &name, &url, r->ctx->user_data)) {
    r_put_str (r, "[attachment]");
    return;
  }
  if (!name || !*name)
    return;
  GString *valid = g_string_new (NULL);
  append_utf8 (valid, name, strlen (name));
  char *u = sanitize_url (url);
  r_put_link (r, u, valid->str);
  g_free (u);
  g_string_free (valid, TRUE);
}

static void
r_start (Render *r, const Token *t)
{
  Kind kind = tag_kind (t->tag);
  Frame *f = NULL;

  switch (kind) {
    case K_FMT:
      f = r_push (r, t->tag, kind, (Out) tags[t->tag].arg);
      break;
    case K_AT:
      f = r_push (r, t->tag, kind, OUT_B);
      break;
    case K_SPAN: {
      const char *itemtype = attr_get (t, "itemtype", r->scratch);
      gboolean mention = itemtype && strstr (itemtype, "schema.skype.com/Mention");
      f = r_push (r, t->tag, kind, mention ? OUT_B : OUT_NONE);
      break;
    }
    case K_A: {
      char *href = r->link_depth == 0 ? sanitize_url (attr_get (t, "href", r->scratch)) : NULL;
      f = r_push (r, t->tag, kind, href ? OUT_A : OUT_NONE);
      if (f && href) {
        f->href = href;
        r->link_depth++;
      } else {
        g_free (href);
      }
      break;
    }
    case K_BLOCK:
      r_soft_break (r);
      return;
    case K_H:
      r_soft_break (r);
      f = r_push (r, t->tag, kind, OUT_B);
      break;
    case K_PRE:
      r_soft_break (r);
      f = r_push (r, t->tag, kind, OUT_PRE);
      break;
    case K_BQ:
      r_soft_break (r);
      f = r_push (r, t->tag, kind, OUT_NONE);
      break;
    case K_LIST: {
      r_soft_break (r);
      f = r_push (r, t->tag, kind, OUT_NONE);
      if (f) {
        const char *start = tags[t->tag].arg ? attr_get (t, "start", r->scratch) : NULL;
        f->counter = start ? (gint) CLAMP (g_ascii_strtoll (start, NULL, 10), -100000, 100000) - 1
                           : 0;
      }
      break;
    }
    case K_LI: {
      int open_li = r_find (r, t->tag, K_LIST);
      if (open_li >= 0)
        r_pop_to (r, (guint) open_li);
      r_soft_break (r);
      Frame *list = NULL;
      for (int i = (int) r->depth - 1; i >= 0 && !list; i--)
        if (r->frames[i].kind == K_LIST)
          list = &r->frames[i];
      if (list && tags[list->tag].arg)
        g_snprintf (r->marker, sizeof r->marker, "%d. ", ++list->counter);
      else
        g_strlcpy (r->marker, "\xE2\x80\xA2 ", sizeof r->marker);
      r->has_marker = r->cell_depth == 0;
      f = r_push (r, t->tag, kind, OUT_NONE);
      break;
    }
    case K_TR: {
      int open_tr = r_find (r, t->tag, K_NONE);
      if (open_tr >= 0)
        r_pop_to (r, (guint) open_tr);
      r_soft_break (r);
      f = r_push (r, t->tag, kind, OUT_NONE);
      break;
    }
    case K_TD:
      for (int i = (int) r->depth - 1; i >= 0; i--) {
        if (r->frames[i].kind == K_TD) {
          r_pop_to (r, (guint) i); /* the previous cell was left open */
          break;
        }
        if (r->frames[i].kind == K_TR)
          break;
      }
      for (int i = (int) r->depth - 1; i >= 0; i--)
        if (r->frames[i].kind == K_TR) {
          if (r->frames[i].counter++ > 0)
            r->pending_sep = TRUE;
          break;
        }
      f = r_push (r, t->tag, kind, OUT_NONE);
      break;
    case K_BR:
      r->pending_nl++;
      return;
    case K_HR:
      r_soft_break (r);
      r_put_str (r, "----------");
      r_soft_break (r);
      return;
    case K_IMG:
      r_image (r, t);
      return;
    case K_EMOJI: {
      const char *alt = attr_get (t, "alt", r->scratch);
      if (!alt || !*alt)
        alt = attr_get (t, "title", r->scratch);
      if (alt && *alt) {
        if (t->self_closing)
          r_put_str (r, alt);
        else
          r->emoji_alt = g_strdup (alt);
      }
      return;
    }
    case K_ATTACH:
      r_attachment (r, t);
      return;
    case K_DDD:
      r_put_str (r, "\xE2\x80\xA6");
      return;
    case K_NONE: case K_VOID: case K_RAW:
      return;
  }
  if (f && t->self_closing)
    r_pop (r);
}

static void
r_end (Render *r, const Token *t)
{
  Kind kind = tag_kind (t->tag);

  switch (kind) {
    case K_BR:
      r->pending_nl++;
      return;
    case K_BLOCK:
      r_soft_break (r);
      return;
    case K_FMT: case K_AT: case K_SPAN: case K_A: case K_H: case K_PRE: case K_BQ: case K_LIST:
    case K_LI: case K_TR: case K_TD: {
      int i = r_find (r, t->tag, K_NONE);
      if (i >= 0)
        r_pop_to (r, (guint) i);
      else if (kind == K_H || kind == K_PRE || kind == K_BQ || kind == K_LIST || kind == K_LI)
        r_soft_break (r);
      return;
    }
    default:
      return;
  }
}

static char *
render (const char *html, const TgMarkupContext *ctx, Mode mode)
{
  Render rs, *r = &rs;
  Lexer lx;
  Token t;
  gsize len;

  if (!html)
    return g_strdup ("");
  init_tables ();
  len = strlen (html);
  memset (r, 0, G_STRUCT_OFFSET (Render, inline_frames));
  r->frames = r->inline_frames;
  r->cap = INLINE_DEPTH;
  r->mode = mode;
  r->ctx = ctx;
  r->out = g_string_sized_new (len + len / 8 + 16);
  r->scratch = g_string_new (NULL);
  r->col0 = TRUE;
  lx.p = html;
  lx.end = html + len;

  while (lex_next (&lx, &t) != TOK_EOF) {
    if (r->emoji_alt && t.type != TOK_TEXT)
      r_emoji_flush (r);
    switch (t.type) {
      case TOK_TEXT:
        if (r->emoji_alt)
          r_emoji_text (r, &t);
        else
          r_text (r, t.start, t.len);
        break;
      case TOK_START:
        r_start (r, &t);
        break;
      case TOK_END:
        r_end (r, &t);
        break;
      case TOK_EOF:
        break;
    }
  }
  if (r->emoji_alt)
    r_emoji_flush (r);
  r_pop_to (r, 0);
  /* A final line break shows nothing (as in browsers); further ones are empty lines. */
  for (guint i = 1; i < r->pending_nl; i++)
    r_newline (r);

  g_string_free (r->scratch, TRUE);
  if (r->frames != r->inline_frames)
    g_free (r->frames);
  return g_string_free (r->out, FALSE);
}

char *
tg_markup_from_teams (const char *html, const TgMarkupContext *ctx)
{
  return render (html, ctx, MODE_PURPLE);
}

char *
tg_markup_to_plain (const char *html, const TgMarkupContext *ctx)
{
  return render (html, ctx, MODE_PLAIN);
}

char *
tg_markup_from_text (const char *text)
{
  GString *out;
  const char *p, *run;

  if (!text)
    return g_strdup ("");
  GString *valid = g_string_new (NULL);
  append_utf8 (valid, text, strlen (text));
  out = g_string_sized_new (valid->len + 16);
  for (p = run = valid->str;; p++) {
    guchar c = (guchar) *p;
    const char *rep;
    if (c == '&')
      rep = "&amp;";
    else if (c == '<')
      rep = "&lt;";
    else if (c == '>')
      rep = "&gt;";
    else if (c == '\n')
      rep = "<br>";
    else if (c == '\r')
      rep = p[1] == '\n' ? "" : "<br>";
    else if ((c < 0x20 && c != '\t') || c == 0x7F)
      rep = "";
    else
      continue;
    g_string_append_len (out, run, p - run);
    if (c == 0)
      break;
    g_string_append (out, rep);
    run = p + 1;
  }
  g_string_free (valid, TRUE);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Purple markup → Teams HTML / plain text */

typedef struct {
  gint16 tag;
  guint8 out;
  char *href;
} SendFrame;

typedef struct {
  GString *html, *text;  /* text is built only while nothing is formatted */
  GString *scratch;
  gboolean formatted;    /* an element was written to html */
  gboolean line_start;   /* nothing visible on the current line yet */
  gboolean last_nl;      /* the last thing written was a line break typed as such */
  gboolean pending_break; /* a block ended: a line break before any further content */
  guint spaces;          /* run of spaces not yet written to html */
  guint depth, n_open;
  SendFrame *frames;     /* inline_frames, or on the heap once deeper */
  guint cap;
  SendFrame inline_frames[INLINE_DEPTH];
} Send;

/* Writes the pending run of spaces so that Teams shows them all: a single ordinary space where
 * HTML keeps one, &nbsp; for the rest and at the start or end of a line. */
static void
s_spaces (Send *s, gboolean line_end)
{
  if (s->spaces == 0)
    return;
  guint n = s->spaces;
  if (!line_end && !s->line_start) {
    g_string_append_c (s->html, ' ');
    n--;
  }
  while (n--)
    g_string_append (s->html, "&nbsp;");
  s->spaces = 0;
}

static void
s_open (Send *s)
{
  for (; s->n_open < s->depth; s->n_open++) {
    SendFrame *f = &s->frames[s->n_open];
    if (f->out == OUT_A) {
      g_string_append (s->html, "<a href=\"");
      for (const char *p = f->href; *p; p++)
        if (*p == '&')
          g_string_append (s->html, "&amp;");
        else
          g_string_append_c (s->html, *p);
      g_string_append (s->html, "\">");
    } else {
      g_string_append (s->html, teams_open[f->out]);
    }
    if (f->out != OUT_NONE)
      s->formatted = TRUE;
  }
}

static void
s_break (Send *s)
{
  g_string_append (s->html, "<br>");
  if (!s->formatted)
    g_string_append_c (s->text, '\n');
}

/* Visible UTF-8 (valid), `html` being its escaped form. */
static void
s_visible (Send *s, const char *text, gsize len, const char *html)
{
  if (s->pending_break) {
    s_break (s);
    s->pending_break = FALSE;
  }
  s_spaces (s, FALSE);
  s_open (s);
  g_string_append (s->html, html ? html : "");
  if (!html)
    g_string_append_len (s->html, text, (gssize) len);
  if (!s->formatted)
    g_string_append_len (s->text, text, (gssize) len);
  s->line_start = s->last_nl = FALSE;
}

static void
s_newline (Send *s)
{
  if (s->pending_break) {
    s_break (s);
    s->pending_break = FALSE;
  }
  s_spaces (s, TRUE);
  s_break (s);
  s->line_start = s->last_nl = TRUE;
}

static void
s_char (Send *s, gunichar cp)
{
  char buf[8];
  switch (cp) {
    case ' ':
      s->spaces++;
      if (!s->formatted)
        g_string_append_c (s->text, ' ');
      return;
    case '\n':
      s_newline (s);
      return;
    case '\t':
      s_visible (s, "\t", 1, "&#9;");
      return;
    case 0xA0:
      s_visible (s, " ", 1, "&nbsp;");
      return;
    case '&':
      s_visible (s, "&", 1, "&amp;");
      return;
    case '<':
      s_visible (s, "<", 1, "&lt;");
      return;
    case '>':
      s_visible (s, ">", 1, "&gt;");
      return;
    default:
      if (cp < 0x20 || cp == 0x7F)
        return;
      s_visible (s, buf, (gsize) g_unichar_to_utf8 (cp, buf), NULL);
  }
}

static void
s_text (Send *s, const char *p, gsize len)
{
  const char *end = p + len;
  GString *valid = s->scratch;

  while (p < end) {
    guchar c = (guchar) *p;
    if (plain_byte[c]) {
      const char *q = p + 1;
      while (q < end && plain_byte[(guchar) *q])
        q++;
      g_string_truncate (valid, 0);
      append_utf8 (valid, p, (gsize) (q - p));
      s_visible (s, valid->str, valid->len, NULL);
      p = q;
      continue;
    }
    if (c == '&') {
      gunichar cp;
      gsize n = decode_ref (p, end, FALSE, &cp);
      if (n) {
        s_char (s, cp);
        p += n;
        continue;
      }
    }
    if (c == '\r') {
      p++;
      if (p < end && *p == '\n')
        p++;
      s_newline (s);
      continue;
    }
    s_char (s, c);
    p++;
  }
}

static void
s_soft_break (Send *s)
{
  if (!s->line_start) {
    s_spaces (s, TRUE);
    s->line_start = s->pending_break = TRUE;
  }
}

static void
s_pop_to (Send *s, guint depth)
{
  while (s->depth > depth) {
    SendFrame *f = &s->frames[--s->depth];
    if (s->depth < s->n_open) {
      g_string_append (s->html, teams_close[f->out]);
      s->n_open = s->depth;
    }
    g_free (f->href);
  }
}

static void
s_push (Send *s, int tag, Out out, char *href)
{
  if (s->depth == s->cap) {
    SendFrame *grown = frames_grow (s->frames, &s->cap, s->inline_frames, sizeof (SendFrame));
    if (!grown) {
      g_free (href);
      return;
    }
    s->frames = grown;
  }
  s->frames[s->depth++] = (SendFrame) { (gint16) tag, (guint8) out, href };
}

static int
s_find (Send *s, int tag)
{
  for (int i = (int) s->depth - 1; i >= 0; i--)
    if (s->frames[i].tag == tag)
      return i;
  return -1;
}

/* An outgoing image: <img src> as the caller names it (attribute-escaped). */
static void
s_image (Send *s, const char *src)
{
  if (s->pending_break) {
    s_break (s);
    s->pending_break = FALSE;
  }
  s_spaces (s, FALSE);
  s_open (s);
  g_string_append (s->html, "<img src=\"");
  for (const char *p = src; *p; p++)
    switch (*p) {
      case '&': g_string_append (s->html, "&amp;"); break;
      case '"': g_string_append (s->html, "&quot;"); break;
      case '<': g_string_append (s->html, "&lt;"); break;
      case '>': g_string_append (s->html, "&gt;"); break;
      default: g_string_append_c (s->html, *p);
    }
  g_string_append (s->html, "\" alt=\"image\">");
  s->formatted = TRUE;
  s->line_start = s->last_nl = FALSE;
}

char *
tg_markup_to_teams (const char *purple_markup, gboolean *is_html_out)
{
  return tg_markup_to_teams_with_images (purple_markup, is_html_out, NULL, NULL);
}

char *
tg_markup_to_teams_with_images (const char *purple_markup, gboolean *is_html_out,
                                TgMarkupImageOut image, gpointer user_data)
{
  Send ss, *s = &ss;
  Lexer lx;
  Token t;
  gsize len;

  if (is_html_out)
    *is_html_out = FALSE;
  if (!purple_markup)
    return g_strdup ("");
  init_tables ();
  len = strlen (purple_markup);
  memset (s, 0, G_STRUCT_OFFSET (Send, inline_frames));
  s->frames = s->inline_frames;
  s->cap = INLINE_DEPTH;
  s->html = g_string_sized_new (len + 16);
  s->text = g_string_sized_new (len + 1);
  s->scratch = g_string_new (NULL);
  s->line_start = TRUE;
  lx.p = purple_markup;
  lx.end = purple_markup + len;

  while (lex_next (&lx, &t) != TOK_EOF) {
    if (t.type == TOK_TEXT || t.tag < 0) {
      /* text, and tags purple does not know, which someone typed */
      s_text (s, t.start, t.len);
      continue;
    }
    Kind kind = tag_kind (t.tag);
    gboolean start = t.type == TOK_START;
    switch (kind) {
      case K_FMT: case K_H: case K_PRE: case K_A: {
        Out out = kind == K_FMT ? (Out) tags[t.tag].arg
                  : kind == K_H ? OUT_B : kind == K_PRE ? OUT_PRE : OUT_A;
        if (kind == K_H || kind == K_PRE)
          s_soft_break (s);
        if (start && !t.self_closing) {
          char *href = NULL;
          if (kind == K_A) {
            gboolean nested = FALSE;
            for (guint i = 0; i < s->depth; i++)
              nested |= s->frames[i].out == OUT_A;
            href = nested ? NULL : sanitize_url (attr_get (&t, "href", s->scratch));
            out = href ? OUT_A : OUT_NONE;
          }
          s_push (s, t.tag, out, href);
        } else if (!start) {
          int i = s_find (s, t.tag);
          if (i >= 0)
            s_pop_to (s, (guint) i);
        }
        break;
      }
      case K_BR:
        s_newline (s);
        break;
      case K_BLOCK: case K_BQ: case K_LIST: case K_LI: case K_TR: case K_HR:
        s_soft_break (s);
        break;
      case K_IMG:
        if (start && image) {
          char *id = g_strdup (attr_get (&t, "id", s->scratch));
          char *src = id ? image (id, user_data) : NULL;
          if (src)
            s_image (s, src);
          g_free (src);
          g_free (id);
        }
        break;
      default: /* <font>, <span>, <body>…: styling or unsupported, text kept */
        break;
    }
  }
  s_pop_to (s, 0);
  s_spaces (s, TRUE);
  /* Teams, like a browser, shows no line for a final <br>; one more keeps the typed one. */
  if (s->last_nl)
    g_string_append (s->html, "<br>");

  char *result;
  if (is_html_out && !s->formatted) {
    result = g_string_free (s->text, FALSE);
    g_string_free (s->html, TRUE);
  } else {
    if (is_html_out)
      *is_html_out = TRUE;
    result = g_string_free (s->html, FALSE);
    g_string_free (s->text, TRUE);
  }
  g_string_free (s->scratch, TRUE);
  if (s->frames != s->inline_frames)
    g_free (s->frames);
  return result;
}
