/* fake-photo — tiny generated PNG avatars (a coloured disc per user) so that photo endpoints
 * serve real, decodable images without any image library. */
#include "fake-graph/fake-internal.h"
#include <string.h>

static guint32
crc32_update (guint32 crc, const guint8 *data, gsize len)
{
  static guint32 table[256];
  static gboolean ready;
  if (!ready) {
    for (guint32 n = 0; n < 256; n++) {
      guint32 c = n;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    ready = TRUE;
  }
  crc ^= 0xffffffffu;
  for (gsize i = 0; i < len; i++)
    crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

static void
put_be32 (GByteArray *out, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (out, b, 4);
}

static void
put_chunk (GByteArray *out, const char *type, const guint8 *data, gsize len)
{
  put_be32 (out, (guint32) len);
  guint before = out->len;
  g_byte_array_append (out, (const guint8 *) type, 4);
  if (len)
    g_byte_array_append (out, data, len);
  put_be32 (out, crc32_update (0, out->data + before, len + 4));
}

/* zlib stream of stored (uncompressed) deflate blocks. */
static GByteArray *
zlib_stored (const guint8 *data, gsize len)
{
  GByteArray *z = g_byte_array_new ();
  guint8 head[2] = { 0x78, 0x01 };
  g_byte_array_append (z, head, 2);
  guint32 a = 1, b = 0;
  for (gsize i = 0; i < len; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  gsize off = 0;
  do {
    gsize n = MIN (len - off, 65535);
    guint8 block[5] = { off + n == len ? 1 : 0, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff };
    g_byte_array_append (z, block, 5);
    g_byte_array_append (z, data + off, n);
    off += n;
  } while (off < len);
  put_be32 (z, (b << 16) | a);
  return z;
}

/* A PNG (8-bit RGB, unfiltered rows, stored deflate) of `rgb`: w × h pixels, 3 bytes each. */
static GBytes *
encode_png (const guint8 *rgb, guint w, guint h)
{
  gsize stride = 1 + 3 * (gsize) w;
  guint8 *raw = g_malloc0 (stride * h);
  for (guint y = 0; y < h; y++)
    memcpy (raw + y * stride + 1, rgb + (gsize) y * 3 * w, 3 * (gsize) w);
  GByteArray *png = g_byte_array_new ();
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_byte_array_append (png, sig, 8);
  guint8 ihdr[13] = { w >> 24, (w >> 16) & 0xff, (w >> 8) & 0xff, w & 0xff,
                      h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff,
                      8 /* bit depth */, 2 /* RGB */, 0, 0, 0 };
  put_chunk (png, "IHDR", ihdr, sizeof ihdr);
  GByteArray *z = zlib_stored (raw, stride * h);
  put_chunk (png, "IDAT", z->data, z->len);
  g_byte_array_unref (z);
  put_chunk (png, "IEND", NULL, 0);
  g_free (raw);
  return g_byte_array_free_to_bytes (png);
}

/* A colour of its own per seed, mid-bright. */
static void
seed_colour (const char *seed, guint8 out[3])
{
  guint h = g_str_hash (seed ? seed : "");
  out[0] = 60 + h % 150;
  out[1] = 60 + (h >> 8) % 150;
  out[2] = 60 + (h >> 16) % 150;
}

static void
put_pixel (guint8 *rgb, guint w, guint x, guint y, const guint8 c[3])
{
  memcpy (rgb + 3 * ((gsize) y * w + x), c, 3);
}

GBytes *
fake_photo_png (const char *seed, guint size)
{
  /* A person's silhouette (head and shoulders, pale) on the user's colour, so that clients
   * show something that reads as a profile photo. */
  guint8 bg[3], fg[3];
  seed_colour (seed, bg);
  for (int k = 0; k < 3; k++)
    fg[k] = (guint8) (255 - (255 - bg[k]) / 4);
  guint8 *rgb = g_malloc (3 * (gsize) size * size);
  double c = (size - 1) / 2.0;
  double head_y = size * 0.38, head_r = size * 0.19;
  double body_y = size * 1.02, body_rx = size * 0.36, body_ry = size * 0.40;
  for (guint y = 0; y < size; y++)
    for (guint x = 0; x < size; x++) {
      double dx = x - c, dy = y - head_y, by = y - body_y;
      gboolean head = dx * dx + dy * dy <= head_r * head_r;
      gboolean body = (dx * dx) / (body_rx * body_rx) + (by * by) / (body_ry * body_ry) <= 1.0;
      put_pixel (rgb, size, x, y, head || body ? fg : bg);
    }
  GBytes *png = encode_png (rgb, size, size);
  g_free (rgb);
  return png;
}

GBytes *
fake_picture_png (const char *seed, guint width, guint height)
{
  /* A sketch of an app screen in the seed's colour — title bar, side bar, lines of text, a
   * button — so that a shared picture looks like one. */
  static const guint8 paper[3] = { 250, 250, 252 }, ink[3] = { 196, 200, 208 },
                      panel[3] = { 230, 232, 238 };
  guint8 accent[3];
  seed_colour (seed, accent);
  guint8 *rgb = g_malloc (3 * (gsize) width * height);
  guint bar = MAX (height / 8, 4), side = width / 4, pad = MAX (width / 24, 2), step = 2 * pad;
  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++) {
      guint row = y >= bar + pad ? (y - bar - pad) / step : 0;
      gboolean on_row = y >= bar + pad && (y - bar - pad) % step < pad / 2 + 1;
      const guint8 *c = paper;
      if (x == 0 || y == 0 || x == width - 1 || y == height - 1)
        c = ink;
      else if (y < bar)
        c = accent;
      else if (x < side)
        c = on_row && x > pad && x < side - pad ? ink : panel;
      else if (y + 2 * pad > height - bar && y + pad < height && x + side > width && x + pad < width)
        c = accent;                                          /* the button */
      else if (on_row && y + 2 * bar < height && x > side + pad
               && x + pad + (row % 3) * side / 2 < width)
        c = ink;                                             /* text, lines of three lengths */
      put_pixel (rgb, width, x, y, c);
    }
  GBytes *png = encode_png (rgb, width, height);
  g_free (rgb);
  return png;
}
