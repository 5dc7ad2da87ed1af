/* gegl-cut training: crops from one in-memory image.
 *
 * A GctSampler holds one image (RGB; alpha is ignored) and cuts batches of
 * crops from it as NCHW float tensors in [-1, 1] (v ↦ 2v − 1, as the official
 * ToTensor + Normalize(0.5, 0.5)).  Two modes, after the official data code:
 *
 * - GCT_SAMPLING_RESIZE_CROP, CUT's "resize_and_crop": the image is resized to
 *   load_size × load_size (aspect NOT kept, as torchvision's Resize([s, s])),
 *   then each crop is a uniform random crop_size² window (offsets as Python's
 *   randint, both ends included) and a horizontal flip with probability 1/2.
 *   The resize is done once, when the sampler is made.
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
 *
 * Resizing follows Pillow's Image.resize (Resample.c), which is what the
 * official code runs: separable, horizontal pass then vertical, bicubic with
 * a = −0.5 (support 2) or bilinear (triangle, support 1), and when shrinking
 * the kernel is stretched by the scale factor (antialiasing), weights
 * normalized per output pixel, each pass clamped to [0, 1].  Unlike Pillow we
 * keep floats between and after the passes instead of rounding to 8 bits, so
 * results differ from Pillow's by its rounding: tests/training/test-sampling
 * checks at most 2/255 per channel and a mean under 0.4/255 on
 * data/samples/forest.jpg (as Pillow decodes it), shrinking and enlarging.
 *
 * Everything is deterministic for the state of the GctRng passed in (use the
 * GCT_STREAM_CROPS stream).
 */
#pragma once

#include "image-io.h"
#include "gct-random.h"
#include <gcp/gcp-recipe.h>

G_BEGIN_DECLS

typedef enum
{
  GCT_FILTER_BILINEAR,
  GCT_FILTER_BICUBIC,
} GctFilter;

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

/* Resizes an interleaved image of `channels` floats per pixel (rows top to
 * bottom) from sw × sh to dw × dh like Pillow's resize, see above. */
void gct_resample (const float *src, int sw, int sh, int channels, float *dst, int dw,
                   int dh, GctFilter filter);

typedef struct _GctSampler GctSampler;

/* Keeps a copy of the image's RGB.  Fails (GCT_SAMPLING_ERROR) on an empty
 * image or an impossible configuration. */
GctSampler *gct_sampler_new (const GctImage *image, const GctSamplingConfig *config,
                             GError **error);
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
