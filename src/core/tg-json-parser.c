/* tg-json-parser — tg_json_parse: strict RFC 8259 text → json-glib tree (see tg-json.h).
 *
 * Why not JsonParser: it is the biggest cost of ingesting message pages (a GScanner token
 * at a time, a GObject signal per node) and it is lax (comments, single quotes, "var x =",
 * a second top-level value silently dropped, integers beyond 64 bits wrapped). This parser
 * builds the same JsonNode tree json-glib would build for valid JSON, through json-glib's
 * own constructors, so every reader keeps using tg-json.h's getters.
 *
 * How: one pass over the text as given (it need not be NUL-terminated), never copied as a
 * whole: a page-sized allocation per parse made glibc's malloc consolidate the chunks the
 * previous tree had just freed, and the next tree's small allocations then took the slow
 * path (a quarter of all instructions). A string is unescaped into a scratch buffer (on the
 * stack until a string outgrows it) that json-glib then copies; member names likewise, in
 * a small buffer per object level. Recursion is bounded by TG_JSON_MAX_DEPTH.
 *
 * Same tree as json-glib for valid input: integers that fit in 64 bits are G_TYPE_INT64,
 * every other number G_TYPE_DOUBLE (g_ascii_strtod: 1e400 is inf, like json-glib); members
 * keep their order, a repeated name keeps its first position and its last value; a string
 * holding \u0000 ends there (C strings); every child's parent is set; a UTF-8 byte order
 * mark is skipped. Differences, all on input outside RFC 8259 or beyond json-glib's range:
 * raw control characters in strings, lone surrogates, invalid UTF-8, leading zeros, bare
 * "-", comments and any trailing data are errors; integers beyond 64 bits become doubles
 * instead of wrapping around. Error messages give line and column and never quote the
 * input beyond one ASCII character (bodies can hold tokens).
 */
#define G_LOG_DOMAIN "teams-graph"
#include "core/tg-json.h"

#include <string.h>

#include "core/tg-error.h"

/* Graph documents never nest anywhere near this deep; a hostile body of a million '['
 * must not exhaust the stack. */
#define TG_JSON_MAX_DEPTH 256

/* A growable byte buffer that starts on the caller's stack. */
typedef struct {
  char *data;
  gsize len, size;
  char *inline_data;     /* the stack storage (data is heap memory once it differs) */
} Scratch;

#define SCRATCH_INIT(storage) { (storage), 0, sizeof (storage), (storage) }

typedef struct {
  const char *start;
  const char *p;         /* the next byte to read */
  const char *end;
  Scratch *text;         /* for string values (used up before the next string) */
  guint depth;
  const char *problem;   /* set once, at the first error */
  const char *problem_at;
  gboolean show_byte;    /* the problem is the byte at problem_at */
  gboolean too_deep;
} Parser;

/* Bytes a string scan must stop at: controls, '"', '\\' and
 * the bytes of multi-byte UTF-8 (validated); everything else is copied as it is. */
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
static const guint8 string_special[256] = {
  R16 (1), R16 (1),                                        /* 0x00-0x1f */
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,          /* 0x20-0x2f: '"' */
  R16 (0), R16 (0),                                        /* 0x30-0x4f */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,          /* 0x50-0x5f: '\\' */
  R16 (0), R16 (0),                                        /* 0x60-0x7f */
  R16 (1), R16 (1), R16 (1), R16 (1), R16 (1), R16 (1), R16 (1), R16 (1),  /* 0x80-0xff */
};
#undef R16

static gboolean
fail (Parser *ps, const char *at, const char *problem)
{
  if (ps->problem == NULL)
    {
      ps->problem = problem;
      ps->problem_at = at;
    }
  return FALSE;
}

static gboolean
unexpected (Parser *ps, const char *at)
{
  if (ps->problem == NULL)
    ps->show_byte = TRUE;
  return fail (ps, at, "unexpected character");
}

/* The byte at ps->p; '\0' at the end (a NUL byte is invalid anywhere in JSON anyway). */
static inline char
peek (const Parser *ps)
{
  return ps->p < ps->end ? *ps->p : '\0';
}

static inline void
skip_space (Parser *ps)
{
  const char *p = ps->p, *end = ps->end;

  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  ps->p = p;
}

static void
scratch_reserve (Scratch *s, gsize more)
{
  gsize need = s->len + more;

  if (need <= s->size)
    return;
  s->size = MAX (need, s->size * 2);
  if (s->data == s->inline_data)
    s->data = memcpy (g_malloc (s->size), s->inline_data, s->len);
  else
    s->data = g_realloc (s->data, s->size);
}

static void
scratch_clear (Scratch *s)
{
  if (s->data != s->inline_data)
    g_free (s->data);
}

/* Length of the well-formed UTF-8 sequence at p, of at most `avail` bytes (Unicode table
 * 3-7: no overlong forms, no surrogates, nothing above U+10FFFF); 0 when it is not one. */
static guint
utf8_sequence (const guchar *p, gsize avail)
{
  guchar c = p[0];

  if (c >= 0xc2 && c <= 0xdf)
    return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef)
    {
      guchar lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

      return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
  if (c >= 0xf0 && c <= 0xf4)
    {
      guchar lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

      return avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
             (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
  return 0;
}

/* Four hex digits at p (before end), or -1. */
static int
hex4 (const char *p, const char *end)
{
  int v = 0;

  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      char c = p[i];
      int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* The escape whose backslash is at *pp, decoded into `out`; moves *pp past it. */
static gboolean
unescape (Parser *ps, const char **pp, Scratch *out)
{
  const char *bs = *pp, *p = bs + 1;
  char c = p < ps->end ? *p : '\0', simple;
  int u, lo;

  switch (c)
    {
    case '"': simple = '"'; break;
    case '\\': simple = '\\'; break;
    case '/': simple = '/'; break;
    case 'b': simple = '\b'; break;
    case 'f': simple = '\f'; break;
    case 'n': simple = '\n'; break;
    case 'r': simple = '\r'; break;
    case 't': simple = '\t'; break;
    case 'u':
      if ((u = hex4 (p + 1, ps->end)) < 0)
        return fail (ps, bs, "invalid \\u escape");
      p += 5;
      if (u >= 0xdc00 && u <= 0xdfff)
        return fail (ps, bs, "unpaired UTF-16 surrogate in \\u escape");
      if (u >= 0xd800 && u <= 0xdbff)
        {
          /* a high surrogate must be followed by an escaped low one */
          if (ps->end - p < 2 || p[0] != '\\' || p[1] != 'u' || (lo = hex4 (p + 2, ps->end)) < 0 ||
              lo < 0xdc00 || lo > 0xdfff)
            return fail (ps, bs, "unpaired UTF-16 surrogate in \\u escape");
          u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
          p += 6;
        }
      scratch_reserve (out, 4);
      out->len += g_unichar_to_utf8 ((gunichar) u, out->data + out->len);
      *pp = p;
      return TRUE;
    default:
      return fail (ps, bs, "invalid escape in string");
    }
  scratch_reserve (out, 1);
  out->data[out->len++] = simple;
  *pp = p + 1;
  return TRUE;
}

/* The string whose opening quote is at ps->p, unescaped into `out` (emptied first) and
 * NUL-terminated; returns out's data, NULL on error. */
static const char *
parse_string (Parser *ps, Scratch *out)
{
  const char *open = ps->p, *p = open + 1, *end = ps->end;

  out->len = 0;
  for (;;)
    {
      const char *run = p;
      guchar c;
      guint n;

      while (p < end && !string_special[(guchar) *p])
        p++;
      scratch_reserve (out, p - run + 1);
      memcpy (out->data + out->len, run, p - run);
      out->len += p - run;
      if (p == end)
        {
          fail (ps, open, "unterminated string");
          return NULL;
        }
      c = (guchar) *p;
      if (c == '"')
        {
          out->data[out->len] = '\0';
          ps->p = p + 1;
          return out->data;
        }
      if (c == '\\')
        {
          if (!unescape (ps, &p, out))
            return NULL;
        }
      else if (c >= 0x80)
        {
          if ((n = utf8_sequence ((const guchar *) p, end - p)) == 0)
            {
              fail (ps, p, "invalid UTF-8 in string");
              return NULL;
            }
          scratch_reserve (out, n);
          memcpy (out->data + out->len, p, n);
          out->len += n;
          p += n;
        }
      else
        {
          fail (ps, p, "control character in string (must be escaped)");
          return NULL;
        }
    }
}

static inline gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static JsonNode *
parse_number (Parser *ps)
{
  const char *start = ps->p, *p = start, *end = ps->end;
  gboolean negative = *p == '-', integer = TRUE, overflow = FALSE;
  guint64 magnitude = 0;
  char digits[64], *copy;
  double d;

#define AT(q) ((q) < end ? *(q) : '\0')
  if (negative)
    p++;
  if (AT (p) == '0')
    {
      p++;
      if (is_digit (AT (p)))
        {
          fail (ps, start, "invalid number (leading zero)");
          return NULL;
        }
    }
  else if (is_digit (AT (p)))
    for (; is_digit (AT (p)); p++)
      {
        guint digit = *p - '0';

        if (magnitude > (G_MAXUINT64 - digit) / 10)
          overflow = TRUE;
        else
          magnitude = magnitude * 10 + digit;
      }
  else
    {
      fail (ps, start, "invalid number");
      return NULL;
    }
  if (AT (p) == '.')
    {
      integer = FALSE;
      p++;
      if (!is_digit (AT (p)))
        {
          fail (ps, start, "invalid number (no digit after '.')");
          return NULL;
        }
      while (is_digit (AT (p)))
        p++;
    }
  if (AT (p) == 'e' || AT (p) == 'E')
    {
      integer = FALSE;
      p++;
      if (AT (p) == '+' || AT (p) == '-')
        p++;
      if (!is_digit (AT (p)))
        {
          fail (ps, start, "invalid number (no digit in exponent)");
          return NULL;
        }
      while (is_digit (AT (p)))
        p++;
    }
#undef AT
  ps->p = p;
  if (integer && !overflow)
    {
      if (!negative && magnitude <= (guint64) G_MAXINT64)
        return json_node_init_int (json_node_alloc (), (gint64) magnitude);
      if (negative && magnitude <= (guint64) G_MAXINT64 + 1)
        return json_node_init_int (json_node_alloc (), (gint64) (0 - magnitude));
    }
  /* The span is strict JSON, so strtod reads exactly it, once NUL-terminated. */
  if ((gsize) (p - start) < sizeof digits)
    {
      memcpy (digits, start, p - start);
      digits[p - start] = '\0';
      d = g_ascii_strtod (digits, NULL);
    }
  else
    {
      copy = g_strndup (start, p - start);
      d = g_ascii_strtod (copy, NULL);
      g_free (copy);
    }
  return json_node_init_double (json_node_alloc (), d);
}

static JsonNode *parse_value (Parser *ps);

static gboolean
enter (Parser *ps)
{
  if (++ps->depth > TG_JSON_MAX_DEPTH)
    {
      ps->too_deep = TRUE;
      return fail (ps, ps->p, "nested too deeply");
    }
  return TRUE;
}

static JsonNode *
parse_array (Parser *ps)
{
  JsonNode *node = json_node_alloc (), *element;
  JsonArray *array = json_array_new ();

  json_node_init_array (node, NULL);
  json_node_take_array (node, array);
  ps->p++;                             /* '[' */
  skip_space (ps);
  if (peek (ps) == ']')
    {
      ps->p++;
      return node;
    }
  for (;;)
    {
      if ((element = parse_value (ps)) == NULL)
        break;
      json_node_set_parent (element, node);
      json_array_add_element (array, element);
      skip_space (ps);
      if (peek (ps) == ']')
        {
          ps->p++;
          return node;
        }
      if (peek (ps) != ',')
        {
          fail (ps, ps->p, "expected ',' or ']' in array");
          break;
        }
      ps->p++;
      skip_space (ps);
      if (peek (ps) == ']')
        {
          fail (ps, ps->p, "trailing comma in array");
          break;
        }
    }
  json_node_unref (node);
  return NULL;
}

static JsonNode *
parse_object (Parser *ps)
{
  JsonNode *node = json_node_alloc (), *member;
  JsonObject *object = json_object_new ();
  char name_storage[64];
  Scratch name_buf = SCRATCH_INIT (name_storage);
  const char *name;
  gboolean done = FALSE;

  json_node_init_object (node, NULL);
  json_node_take_object (node, object);
  ps->p++;                             /* '{' */
  skip_space (ps);
  if (peek (ps) == '}')
    {
      ps->p++;
      return node;
    }
  while (!done)
    {
      if (peek (ps) != '"')
        {
          fail (ps, ps->p, peek (ps) == '}' ? "trailing comma in object"
                                            : "expected a member name (a string) in object");
          break;
        }
      if ((name = parse_string (ps, &name_buf)) == NULL)
        break;
      skip_space (ps);
      if (peek (ps) != ':')
        {
          fail (ps, ps->p, "expected ':' after member name");
          break;
        }
      ps->p++;
      skip_space (ps);
      if ((member = parse_value (ps)) == NULL)
        break;
      json_node_set_parent (member, node);
      json_object_set_member (object, name, member);
      skip_space (ps);
      if (peek (ps) != ',' && peek (ps) != '}')
        {
          fail (ps, ps->p, "expected ',' or '}' in object");
          break;
        }
      done = *ps->p++ == '}';
      if (!done)
        skip_space (ps);
    }
  scratch_clear (&name_buf);
  if (!done)
    g_clear_pointer (&node, json_node_unref);
  return node;
}

static gboolean
literal (Parser *ps, const char *word, gsize len)
{
  if ((gsize) (ps->end - ps->p) < len || memcmp (ps->p, word, len) != 0)
    return fail (ps, ps->p, "invalid literal (true, false or null expected)");
  ps->p += len;
  return TRUE;
}

/* The value at ps->p (no leading space). */
static JsonNode *
parse_value (Parser *ps)
{
  JsonNode *node;
  const char *s;

  switch (peek (ps))
    {
    case '"':
      if ((s = parse_string (ps, ps->text)) == NULL)
        return NULL;
      return json_node_init_string (json_node_alloc (), s);
    case '{':
    case '[':
      if (!enter (ps))
        return NULL;
      node = peek (ps) == '{' ? parse_object (ps) : parse_array (ps);
      ps->depth--;
      return node;
    case 't':
      return literal (ps, "true", 4) ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return literal (ps, "false", 5) ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return literal (ps, "null", 4) ? json_node_init_null (json_node_alloc ()) : NULL;
    default:
      if (peek (ps) == '-' || is_digit (peek (ps)))
        return parse_number (ps);
      if (ps->p == ps->end)
        fail (ps, ps->p, "unexpected end of data");
      else
        unexpected (ps, ps->p);
      return NULL;
    }
}

/* "line 3, column 14: unexpected character 'x'" — the only input it shows is one printable
 * ASCII character. */
static void
set_parse_error (Parser *ps, GError **error)
{
  const char *at = ps->problem_at != NULL ? ps->problem_at : ps->p;
  guint line = 1, column = 1;
  g_autofree char *what = NULL;

  if (ps->too_deep)
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_RESPONSE,
                           "Bad response: JSON nested too deeply");
      return;
    }
  for (const char *c = ps->start; c < at; c++)
    if (*c == '\n')
      line++, column = 1;
    else if (((guchar) *c & 0xc0) != 0x80)   /* count characters, not UTF-8 bytes */
      column++;
  if (ps->show_byte && at == ps->end)
    what = g_strdup ("unexpected end of data");
  else if (ps->show_byte)
    what = (guchar) *at > 0x20 && (guchar) *at < 0x7f
             ? g_strdup_printf ("unexpected character '%c'", *at)
             : g_strdup_printf ("unexpected byte 0x%02X", (guchar) *at);
  g_set_error (error, TG_ERROR, TG_ERROR_BAD_RESPONSE,
               "Bad response: invalid JSON (line %u, column %u: %s)", line, column,
               what != NULL ? what : ps->problem != NULL ? ps->problem : "syntax error");
}

JsonNode *
tg_json_parse (const char *data, gssize length, GError **error)
{
  Parser ps = { 0 };
  char text_storage[2048];
  Scratch text = SCRATCH_INIT (text_storage);
  gsize size;
  JsonNode *root;

  if (data == NULL)
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_RESPONSE, "Bad response: no JSON data");
      return NULL;
    }
  size = length < 0 ? strlen (data) : (gsize) length;
  ps.start = ps.p = data;
  ps.end = data + size;
  ps.text = &text;
  if (size >= 3 && memcmp (ps.p, "\xef\xbb\xbf", 3) == 0)
    ps.p += 3;
  skip_space (&ps);
  if (ps.p == ps.end)
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_BAD_RESPONSE, "Bad response: empty JSON");
      return NULL;
    }
  root = parse_value (&ps);
  if (root != NULL)
    {
      skip_space (&ps);
      if (ps.p != ps.end)
        {
          fail (&ps, ps.p, "data after the JSON value");
          g_clear_pointer (&root, json_node_unref);
        }
    }
  if (root == NULL)
    set_parse_error (&ps, error);
  scratch_clear (&text);
  return root;
}
