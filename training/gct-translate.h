/* gegl-cut training: running a generator over a whole image. */
#pragma once

#include <gcut/gcut.h>

#include "image-io.h"

G_BEGIN_DECLS

/* Replaces the RGB of image by G(image) (alpha untouched), on backend (NULL:
 * the CPU).  A ResNet G runs with gcut_resnet_generator_run(): in one pass
 * when the image fits the default memory budget, else in tiles of tile_size
 * pixels (0: the largest that fit) with the same result.  A StyleGAN2-lite G
 * (SinCUT) runs in one pass over the whole image (tile_size ignored), its
 * noise drawn from a fixed seed, so a model always gives the same output.
 * arena_bytes (may be NULL) receives the largest plan's working memory. */
gboolean gct_translate_image (GcutNetwork *G, GcutBackend *backend,
                              GcutPrecision precision, GctImage *image, int tile_size,
                              gsize *arena_bytes, GError **error);

G_END_DECLS
