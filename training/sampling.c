/* Crops from one image: CUT's resize_and_crop and SinCUT's zoom_and_patch,
 * with Pillow-compatible resampling.  See gct-sampling.h. */
#include <math.h>
#include <string.h>

#include <gcut/gcut-error.h>

#include "gct-sampling.h"

G_DEFINE_QUARK (gct - sampling - error - quark, gct_sampling_error)

/* ---- the sampler ---- */

void
gct_sampling_config_from_recipe (const GcpRecipe *recipe, GctSamplingConfig *config)
{
  config->mode = recipe->sampling.mode == GCP_SAMPLING_ZOOM_CROPS
                     ? GCT_SAMPLING_ZOOM_CROPS
                     : GCT_SAMPLING_RESIZE_CROP;
  config->load_size = recipe->sampling.load_size;
  config->crop_size = recipe->sampling.crop_size;
  config->zoom_min = recipe->sampling.zoom_min;
  config->zoom_max = recipe->sampling.zoom_max;
  config->flip = recipe->sampling.flip;
}

struct _GctSampler
{
  GctSamplingConfig config;
  int width, height; /* of rgb */
  /* resize_crop: the load_size² resize; zoom_crops: the image, reduced to
   * GCT_SAMPLING_MAX_PIXELS */
  float *rgb;
  GctResampleWindow *window; /* zoom_crops: one crop of the zoomed image */
  float *crop;               /* zoom_crops: room for that crop */
  guint32 *cells, *scratch;
  gsize n_cells_max;
};

void
gct_sampler_free (GctSampler *sampler)
{
  if (!sampler)
    return;
  g_free (sampler->rgb);
  gct_resample_window_free (sampler->window);
  g_free (sampler->crop);
  g_free (sampler->cells);
  g_free (sampler->scratch);
  g_free (sampler);
}

/* Python's round() on a positive value: halves to even. */
static int
round_half_even (double v)
{
  return (int)nearbyint (v);
}

static void
zoomed_size (const GctSampler *s, double z, int size, int *out)
{
  int crop = s->config.crop_size;
  double v = MAX ((double)crop, size * z);
  *out = round_half_even (v);
}

static gboolean
no_memory (GError **error, const char *what)
{
  g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY, "not enough memory for %s",
               what);
  return FALSE;
}

/* RGB in [0, 1] of n R'G'B'A pixels; NaN becomes 0, as in translation. */
static void
to_rgb (const float *rgba, gsize n, float *rgb)
{
  for (gsize i = 0; i < n; i++)
    for (int ch = 0; ch < 3; ch++)
      {
        float v = rgba[i * 4 + ch];
        rgb[i * 3 + ch] = isnan (v) ? 0.0f : CLAMP (v, 0.0f, 1.0f);
      }
}

/* Reads image into rgb, dw × dh pixels: as it is when that is its size, else
 * resized (bicubic) as it is read, a strip of rows at a time, so that only
 * the strip and the resize's few rows are held besides rgb.  digest, when
 * not NULL, receives the image's R'G'B'A float rows, histogram its pixels. */
static gboolean
read_rgb (GctImageReader *image, int dw, int dh, GChecksum *digest,
          GctHistogram *histogram, float *rgb, GError **error)
{
  const int w = gct_image_reader_width (image), h = gct_image_reader_height (image);
  /* About 4 MB of R'G'B'A float per strip. */
  const int rows = MAX (1, (1 << 20) / w);
  const gboolean same = dw == w && dh == h;
  g_autoptr (GctResampler) resize = NULL;
  const gsize strip_pixels = (gsize)rows * w;
  g_autofree float *strip = g_try_new (float, strip_pixels * 4);
  g_autofree float *strip_rgb = same ? NULL : g_try_new (float, strip_pixels * 3);

  if (!strip || (!same && !strip_rgb))
    return no_memory (error, "a strip of its rows");
  if (!same && !(resize = gct_resampler_new (w, h, dw, dh, 3, GCT_FILTER_BICUBIC, error)))
    return FALSE;
  for (int y = 0; y < h; y += rows)
    {
      int n = MIN (rows, h - y);
      if (!gct_image_reader_read (image, y, n, strip, error))
        return FALSE;
      if (digest)
        g_checksum_update (digest, (const guchar *)strip,
                           (gsize)n * w * 4 * sizeof (float));
      if (histogram)
        gct_histogram_add (histogram, strip, (gsize)n * w);
      if (same)
        to_rgb (strip, (gsize)n * w, rgb + (gsize)y * w * 3);
      else
        {
          to_rgb (strip, (gsize)n * w, strip_rgb);
          gct_resampler_push (resize, strip_rgb, n, rgb);
        }
    }
  return TRUE;
}

/* zoom_crops: the size the image is sampled at, at most
 * GCT_SAMPLING_MAX_PIXELS with its aspect kept. */
static void
working_size (int w, int h, int *ww, int *wh)
{
  double f = sqrt ((double)GCT_SAMPLING_MAX_PIXELS / ((double)w * h));
  *ww = f < 1 ? MAX (1, (int)(w * f)) : w;
  *wh = f < 1 ? MAX (1, (int)(h * f)) : h;
}

/* zoom_crops: room for one crop of any zoom, and for the grid's cells. */
static gboolean
zoom_setup (GctSampler *s, GError **error)
{
  const GctSamplingConfig *c = &s->config;
  int wmin, hmin, wmax, hmax;

  zoomed_size (s, c->zoom_min, s->width, &wmin);
  zoomed_size (s, c->zoom_min, s->height, &hmin);
  zoomed_size (s, c->zoom_max, s->width, &wmax);
  zoomed_size (s, c->zoom_max, s->height, &hmax);
  s->window = gct_resample_window_new (s->width, s->height, wmin, hmin, c->crop_size,
                                       c->crop_size, 3, GCT_FILTER_BILINEAR, error);
  if (!s->window)
    return FALSE;
  s->n_cells_max = (gsize)((wmax + 1) / c->crop_size) * ((hmax + 1) / c->crop_size);
  if (s->n_cells_max > G_MAXINT32)
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0,
                   "zoomed to %d×%d, the image holds too many %d-pixel crops", wmax, hmax,
                   c->crop_size);
      return FALSE;
    }
  s->crop = g_try_new (float, (gsize)c->crop_size * c->crop_size * 3);
  s->cells = g_try_new (guint32, s->n_cells_max + 1);
  s->scratch = g_try_new (guint32, s->n_cells_max + 1);
  if (!s->crop || !s->cells || !s->scratch)
    return no_memory (error, "the grid of crops");
  return TRUE;
}

GctSampler *
gct_sampler_new (GctImageReader *image, const GctSamplingConfig *config,
                 GChecksum *digest, GctHistogram *histogram, GError **error)
{
  const GctSamplingConfig *c = config;
  g_autoptr (GctSampler) s = NULL;
  int w = gct_image_reader_width (image), h = gct_image_reader_height (image);

  if (w < 1 || h < 1)
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0, "%s: the image is empty",
                   gct_image_reader_name (image));
      return NULL;
    }
  if (c->crop_size < 1 || c->crop_size > 16384)
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0, "crop size %d out of range",
                   c->crop_size);
      return NULL;
    }
  if (c->mode == GCT_SAMPLING_RESIZE_CROP
      && (c->load_size < c->crop_size || c->load_size > 16384))
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0,
                   "load size %d must be at least the crop size %d (and at most 16384)",
                   c->load_size, c->crop_size);
      return NULL;
    }
  if (c->mode == GCT_SAMPLING_ZOOM_CROPS
      && !(c->zoom_min > 0 && c->zoom_min <= c->zoom_max && c->zoom_max <= 16))
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0,
                   "zoom range [%g, %g] must satisfy 0 < min <= max <= 16", c->zoom_min,
                   c->zoom_max);
      return NULL;
    }
  if (c->mode != GCT_SAMPLING_RESIZE_CROP && c->mode != GCT_SAMPLING_ZOOM_CROPS)
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0, "unknown sampling mode %d", c->mode);
      return NULL;
    }

  s = g_new0 (GctSampler, 1);
  s->config = *c;
  if (c->mode == GCT_SAMPLING_RESIZE_CROP)
    s->width = s->height = c->load_size;
  else
    working_size (w, h, &s->width, &s->height);
  s->rgb = g_try_new (float, (gsize)s->width * s->height * 3);
  if (!s->rgb)
    no_memory (error, "its working copy");
  if (!s->rgb || !read_rgb (image, s->width, s->height, digest, histogram, s->rgb, error)
      || (c->mode == GCT_SAMPLING_ZOOM_CROPS && !zoom_setup (s, error)))
    {
      g_prefix_error (error, "%s, %d×%d pixels, sampled at %d×%d: ",
                      gct_image_reader_name (image), w, h, s->width, s->height);
      return NULL;
    }
  return g_steal_pointer (&s);
}

/* Copies the crop at (x0, y0) of img (w wide) into out as CHW in [-1, 1]. */
static void
put_crop (const float *img, int w, int x0, int y0, int size, gboolean flip, float *out)
{
  gsize plane = (gsize)size * size;
  for (int y = 0; y < size; y++)
    {
      const float *row = img + ((gsize)(y0 + y) * w + x0) * 3;
      for (int x = 0; x < size; x++)
        {
          int sx = flip ? size - 1 - x : x;
          for (int ch = 0; ch < 3; ch++)
            out[ch * plane + (gsize)y * size + x] = 2.0f * row[sx * 3 + ch] - 1.0f;
        }
    }
}

void
gct_sampler_sample (GctSampler *s, GctRng *rng, int n, float *out)
{
  const int crop = s->config.crop_size;
  const gsize per = (gsize)3 * crop * crop;

  if (s->config.mode == GCT_SAMPLING_RESIZE_CROP)
    {
      for (int b = 0; b < n; b++)
        {
          int x = (int)gct_rng_range (rng, 0, s->width - crop);
          int y = (int)gct_rng_range (rng, 0, s->height - crop);
          gboolean flip = s->config.flip && gct_rng_coin (rng);
          put_crop (s->rgb, s->width, x, y, crop, flip, out + b * per);
        }
      return;
    }

  /* zoom_crops: one zoom per batch, one grid cell per crop, each crop
   * resized from the image on its own (the zoomed image is never made). */
  double zx = gct_rng_uniform (rng, s->config.zoom_min, s->config.zoom_max);
  double zy = gct_rng_uniform (rng, s->config.zoom_min, s->config.zoom_max);
  int zw, zh, nw, nh, n_cells, next = 0;

  zoomed_size (s, zx, s->width, &zw);
  zoomed_size (s, zy, s->height, &zh);
  nw = zw / crop;
  nh = zh / crop;
  n_cells = nw * nh;
  for (int b = 0; b < n; b++)
    {
      int room_x = zw - nw * crop, room_y = zh - nh * crop;
      int x0, y0, index, ix, iy;
      gboolean flip;

      if (next == 0) /* a new permutation of the cells whenever one runs out */
        gct_rng_permutation_prefix (rng, (guint32)n_cells, (guint32)n_cells, s->cells,
                                    s->scratch);
      index = (int)s->cells[next];
      next = (next + 1) % n_cells;
      x0 = (int)gct_rng_range (rng, 0, room_x);
      y0 = (int)gct_rng_range (rng, 0, room_y);
      ix = index / nh;
      iy = index % nh;
      flip = s->config.flip && gct_rng_coin (rng);
      gct_resample_window_run (s->window, s->rgb, zw, zh, x0 + ix * crop, y0 + iy * crop,
                               s->crop);
      put_crop (s->crop, crop, 0, 0, crop, flip, out + b * per);
    }
}
