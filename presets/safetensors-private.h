/* Internals shared by the .safetensors reader and writer. */
#pragma once

#include <gcp/gcp-safetensors.h>
#include "presets-private.h"

/* The reference implementation refuses longer headers; so do we, both ways. */
#define GCP_MAX_HEADER_BYTES 100000000

/* Checks that text is exactly one JSON value (RFC 8259, nothing else: no
 * comments, no single quotes, nothing after it) nested at most a few levels,
 * and that no string holds \u0000.  Run before json-glib, which is lenient
 * about all of these and recurses without limit. */
gboolean gcp_json_check_strict (const char *text, gsize len, GError **error);
/* The same for safetensors headers, whose numbers are all counts: every
 * integer must fit in a gint64 (json-glib misreads those past that range), and
 * root_key is called with each member name of the outermost object as it is
 * met (the raw text between the quotes, escapes as written); an error it sets
 * stops the check. */
typedef gboolean (*GcpJsonKeyFunc) (const char *key, gsize len, gpointer data,
                                    GError **error);
gboolean gcp_json_check_strict_keys (const char *text, gsize len, GcpJsonKeyFunc root_key,
                                     gpointer data, GError **error);

/* What a header may hold, checked as the syntax is, before json-glib builds
 * its tree (some 2 KB per tensor): a file of a known kind need not be
 * parsed to be refused. */
struct _GcpHeaderLimits
{
  guint64 max_header_bytes;
  guint max_tensors;
  const char *const *prefixes; /* each tensor name starts with one; NULL: any */
};

GcpSafetensors *gcp_safetensors_parse_limited (GBytes *bytes,
                                               const GcpHeaderLimits *limits,
                                               GError **error);
GcpSafetensors *gcp_safetensors_load_limited (const char *path,
                                              const GcpHeaderLimits *limits,
                                              GError **error);

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
