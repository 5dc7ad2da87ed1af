/* Internals shared by the .safetensors reader and writer. */
#pragma once

#include <gcp/gcp-safetensors.h>

/* The reference implementation refuses longer headers; so do we, both ways. */
#define GCP_MAX_HEADER_BYTES 100000000

/* Checks that text is exactly one JSON value (RFC 8259, nothing else: no
 * comments, no single quotes, nothing after it) nested at most a few levels,
 * and that no string holds \u0000.  Run before json-glib, which is lenient
 * about all of these and recurses without limit. */
gboolean gcp_json_check_strict (const char *text, gsize len, GError **error);
/* The same, and every integer fits in a gint64: for safetensors headers,
 * whose numbers are all counts, which json-glib misreads past that range. */
gboolean gcp_json_check_strict_int64 (const char *text, gsize len, GError **error);

/* "[2, 3]", for messages; free with g_free(). */
char *gcp_format_shape (int n_dims, const gint64 *shape);

/* Files are little-endian: reverses each elem_size-byte element in place. */
static inline void
gcp_swap_elements (guint8 *bytes, gsize n_bytes, gsize elem_size)
{
  for (gsize at = 0; at + elem_size <= n_bytes; at += elem_size)
    for (gsize i = 0, j = elem_size - 1; i < j; i++, j--)
      {
        guint8 t = bytes[at + i];
        bytes[at + i] = bytes[at + j];
        bytes[at + j] = t;
      }
}
