/* gegl-cut training: crops from one image.
 *
 * A GctSampler holds one image (RGB; alpha is ignored, NaN read as 0, values
 * clamped to [0, 1]) and cuts batches of crops from it as NCHW float tensors
 * in [-1, 1] (v ↦ 2v − 1, as the official ToTensor + Normalize(0.5, 0.5)).
 * Two modes, after the official data code:
 *
 * - GCT_SAMPLING_RESIZE_CROP, CUT's "resize_and_crop": the image is resized to
 *   load_size × load_size (aspect NOT kept, as torchvision's Resize([s, s])),
 *   then each crop is a uniform random crop_size² window (offsets as Python's
 *   randint, both ends included) and a horizontal flip with probability 1/2.
 *   The resize is done once, when the sampler is made, while the image is
 *   read: whatever the image's size, the sampler holds its load_size² resize,
 *   a strip of rows and a few rows of the resize.
 *
 * - GCT_SAMPLING_ZOOM_CROPS, SinCUT's "zoom_and_patch"
 *   (data/singleimage_dataset.py + base_dataset.py of the official code): per
 *   batch, one zoom factor per axis, zx and zy uniform in [zoom_min, zoom_max]
 *   (the official code uses [1/random_scale_max, 1] and shares the zoom within
 *   a minibatch); the image is resized (bilinear, as the official
 *   Image.BILINEAR) to max(crop, round(W·zx)) × max(crop, round(H·zy)); that
 *   image is divided into a grid of crop_size cells, and each crop takes a
 *   different cell (a random permutation of the cells; the official code walks
 *   a shuffled list of indices modulo the number of cells) shifted by a random
 *   offset in [0, room] per axis, where room is what the grid leaves over,
 *   then a flip with probability 1/2.
 *   Small images: the max() above means an axis shorter than the crop is
 *   upscaled to exactly the crop size (stretching that axis only, like the
 *   official code); an image smaller than the crop is therefore upscaled first.
 *   Each crop is resized from the image on its own, the same pixels as a
 *   resize of the whole image would give, so the zoomed image is never made.
 *   An image over GCT_SAMPLING_MAX_PIXELS is first reduced to fit (bicubic,
 *   aspect kept) as it is read: the sampler holds at most that many pixels.
 *
 * Resizing follows Pillow's Image.resize (gct-resample.h), which is what the
 * official code runs.
 *
 * Everything is deterministic for the state of the GctRng passed in (use the
 * GCT_STREAM_CROPS stream).
 */
#pragma once

#include <gcp/gcp-recipe.h>

#include "gct-random.h"
#include "gct-resample.h"
#include "gct-palette.h"
#include "image-io.h"

G_BEGIN_DECLS

/* zoom_crops: the most pixels of an image the sampler keeps, 16.8 million
 * (4096² in a square): 200 MB as float RGB for each of the two images.  A
 * 12-megapixel camera photo trains unchanged.  Crops see little of an image
 * that large (a 64-pixel crop at zoom 1/3 covers 0.2% of it), so a larger
 * one would cost memory, 12 bytes a pixel, for detail the crops rarely
 * reach. */
#define GCT_SAMPLING_MAX_PIXELS (1 << 24)

typedef enum
{
  GCT_SAMPLING_RESIZE_CROP,
  GCT_SAMPLING_ZOOM_CROPS,
} GctSamplingMode;

typedef struct
{
  GctSamplingMode mode;
  int load_size;             /* resize_crop: 286 */
  int crop_size;             /* 256 for CUT, 64 for SinCUT */
  double zoom_min, zoom_max; /* zoom_crops: 1/3 and 1 for SinCUT */
  gboolean flip;             /* random horizontal flips */
} GctSamplingConfig;

typedef struct _GctSampler GctSampler;

/* Reads the image once, keeping what the mode needs (see above).  digest, when
 * not NULL, receives the image's R'G'B'A float rows, top to bottom, and
 * histogram, when not NULL, its pixels (gct-palette.h).  Fails
 * with GCT_SAMPLING_ERROR on an empty image or an impossible configuration,
 * with the reader's error, or with GCUT_ERROR_OUT_OF_MEMORY; the message names
 * the image and its size. */
GctSampler *gct_sampler_new (GctImageReader *image, const GctSamplingConfig *config,
                             GChecksum *digest, GctHistogram *histogram, GError **error);
void gct_sampler_free (GctSampler *sampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctSampler, gct_sampler_free)

/* Fills out, n × 3 × crop_size × crop_size floats, with n crops. */
void gct_sampler_sample (GctSampler *sampler, GctRng *rng, int n, float *out);

/* The recipe's "sampling" section as a sampler configuration.  A run makes
 * one sampler per image (content and style), both drawing from the
 * GCT_STREAM_CROPS stream. */
void gct_sampling_config_from_recipe (const GcpRecipe *recipe, GctSamplingConfig *config);

#define GCT_SAMPLING_ERROR (gct_sampling_error_quark ())
GQuark gct_sampling_error_quark (void);

G_END_DECLS
