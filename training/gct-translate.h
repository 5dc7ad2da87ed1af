/* gegl-cut training: running a generator over a whole image. */
#pragma once

#include <gcut/gcut.h>

#include "image-io.h"

G_BEGIN_DECLS

/* Replaces the RGB of image by G(image) (alpha untouched), on backend (NULL:
 * the CPU).  The generator halves twice and doubles twice, so the image is
 * padded (edges replicated) to a multiple of 4 and cut back afterwards.
 * arena_bytes (may be NULL) receives the plan's working memory. */
gboolean gct_translate_image (GcutNetwork *G, GcutBackend *backend,
                              GcutPrecision precision, GctImage *image,
                              gsize *arena_bytes, GError **error);

G_END_DECLS
