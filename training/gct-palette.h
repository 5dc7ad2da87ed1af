/* gegl-cut training: a painting's palette, and matching an image to it.
 *
 * A palette (gcp_model_palette) holds, for each of luma Y' and the colour
 * differences Cb and Cr (BT.601 full range, of gamma-encoded R'G'B' in
 * [0, 1]), GCP_PALETTE_LEVELS evenly spaced quantiles of a painting's pixels:
 * level 0 is the lowest value, the last the highest.
 *
 * Matching an image to a palette is histogram matching of each of the three
 * channels: every value moves to the palette's value at the same rank in the
 * image, so the picture takes the painting's tonal range and colours while
 * each channel keeps its order: edges and shading stay where they were.  In
 * Y'CbCr rather than R'G'B' because matching R', G' and B' each on its own
 * turns hues (blue skin, purple leaves); bench/quality/README.md has the
 * figures.  Ranks come from a histogram of the whole image, so one image
 * is matched the same way whatever tiles it is then processed in.
 */
#pragma once

#include <gcp/gcp-model-file.h>

#include "image-io.h"

G_BEGIN_DECLS

/* A copy of palette levels (3 × GCP_PALETTE_LEVELS floats) to keep beyond
 * their model; NULL for NULL. */
float *gct_palette_copy (const float *levels);

/* Counts of the Y'CbCr values of pixels, for ranks and quantiles. */
typedef struct _GctHistogram GctHistogram;

GctHistogram *gct_histogram_new (void);
void gct_histogram_free (GctHistogram *histogram);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctHistogram, gct_histogram_free)

/* Adds n_pixels R'G'B'A pixels; colours are clamped to [0, 1]; pixels with no
 * alpha, or a value that is not finite, are left out. */
void gct_histogram_add (GctHistogram *histogram, const float *rgba, gsize n_pixels);

/* The histogram's palette, into levels (3 × GCP_PALETTE_LEVELS floats);
 * FALSE, leaving levels alone, when no pixel was added. */
gboolean gct_histogram_palette (const GctHistogram *histogram, float *levels);

/* How an image (its histogram) moves to a palette: three monotone maps. */
typedef struct _GctPaletteMap GctPaletteMap;

GctPaletteMap *gct_palette_map_new (const GctHistogram *image, const float *levels);
void gct_palette_map_free (GctPaletteMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctPaletteMap, gct_palette_map_free)

/* out = in + amount·(matched(in) − in) on R', G' and B' of n_pixels R'G'B'A
 * pixels (in and out may be the same); alpha is copied.  A pixel with a
 * colour that is not finite is copied unchanged. */
void gct_palette_map_apply (const GctPaletteMap *map, const float *in_rgba,
                            float *out_rgba, gsize n_pixels, double amount);

/* A whole image in memory matched by amount to levels (a NULL levels, or
 * amount 0, leaves it): what every front door does after the generator, the
 * training previews and snapshots included. */
void gct_palette_match_image (const float *levels, GctImage *image, double amount);

G_END_DECLS
