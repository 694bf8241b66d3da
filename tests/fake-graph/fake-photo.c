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

GBytes *
fake_photo_png (const char *seed, guint size)
{
  guint h = g_str_hash (seed ? seed : "");
  guint8 bg[3] = { 60 + h % 150, 60 + (h >> 8) % 150, 60 + (h >> 16) % 150 };
  gsize stride = 1 + 3 * (gsize) size;
  guint8 *raw = g_malloc0 (stride * size);
  double r = size * 0.35, c = (size - 1) / 2.0;
  for (guint y = 0; y < size; y++) {
    guint8 *row = raw + y * stride;
    for (guint x = 0; x < size; x++) {
      gboolean disc = (x - c) * (x - c) + (y - c) * (y - c) <= r * r;
      for (int k = 0; k < 3; k++)
        row[1 + 3 * x + k] = disc ? (guint8) (255 - (255 - bg[k]) / 3) : bg[k];
    }
  }
  GByteArray *png = g_byte_array_new ();
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_byte_array_append (png, sig, 8);
  guint8 ihdr[13] = { 0 };
  ihdr[0] = size >> 24; ihdr[1] = (size >> 16) & 0xff; ihdr[2] = (size >> 8) & 0xff; ihdr[3] = size & 0xff;
  memcpy (ihdr + 4, ihdr, 4);
  ihdr[8] = 8;   /* bit depth */
  ihdr[9] = 2;   /* RGB */
  put_chunk (png, "IHDR", ihdr, sizeof ihdr);
  GByteArray *z = zlib_stored (raw, stride * size);
  put_chunk (png, "IDAT", z->data, z->len);
  g_byte_array_unref (z);
  put_chunk (png, "IEND", NULL, 0);
  g_free (raw);
  return g_byte_array_free_to_bytes (png);
}
