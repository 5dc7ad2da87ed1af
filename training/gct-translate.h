/* gegl-cut training: running a generator over a whole image. */
#pragma once

#include <gcut/gcut.h>

#include "image-io.h"

G_BEGIN_DECLS

/* Replaces the RGB of image by G(image) (alpha untouched), on backend (NULL:
 * the CPU), with gcut_generator_run(): in one pass when the image fits the
 * default memory budget, else in tiles of tile_size pixels (0: the largest
 * that fit) with the same result.  A StyleGAN2-lite G's (SinCUT) noise comes
 * from noise_seed, a function of position (gcut_stylegan2_generator_noise_fill),
 * so a model gives the same output for a seed whatever the tiles (0 is
 * gcut:translate's default).
 * arena_bytes (may be NULL) receives the largest plan's working memory. */
gboolean gct_translate_image (GcutNetwork *G, GcutBackend *backend,
                              GcutPrecision precision, GctImage *image, int tile_size,
                              guint64 noise_seed, gsize *arena_bytes, GError **error);

G_END_DECLS
