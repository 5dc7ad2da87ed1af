/* Crops from one in-memory image: CUT's resize_and_crop and SinCUT's
 * zoom_and_patch, with Pillow-compatible resampling.  See gct-sampling.h. */
#include <math.h>
#include <string.h>
#include "gct-sampling.h"

G_DEFINE_QUARK (gct - sampling - error - quark, gct_sampling_error)

/* ---- resampling (the algorithm of Pillow's Resample.c, in float) ---- */

static double
bicubic (double x)
{
  const double a = -0.5;
  if (x < 0)
    x = -x;
  if (x < 1)
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

static double
triangle (double x)
{
  if (x < 0)
    x = -x;
  return x < 1 ? 1 - x : 0;
}

/* Per output index: the first input index, the number of taps, and ksize
 * normalized weights. */
static int
precompute (int in_size, int out_size, GctFilter filter, int **bounds_out,
            double **weights_out)
{
  double (*f) (double) = filter == GCT_FILTER_BICUBIC ? bicubic : triangle;
  double support = filter == GCT_FILTER_BICUBIC ? 2.0 : 1.0;
  double scale = (double)in_size / out_size, filterscale = scale < 1 ? 1 : scale;
  int ksize;
  int *bounds;
  double *w;

  support *= filterscale;
  ksize = (int)ceil (support) * 2 + 1;
  bounds = g_new (int, 2 * out_size);
  w = g_new0 (double, (gsize)ksize *out_size);
  for (int xx = 0; xx < out_size; xx++)
    {
      double center = (xx + 0.5) * scale, ss = 1.0 / filterscale, ww = 0;
      int xmin = (int)(center - support + 0.5), xmax;
      double *k = w + (gsize)xx * ksize;

      if (xmin < 0)
        xmin = 0;
      xmax = (int)(center + support + 0.5);
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          k[x] = f ((x + xmin - center + 0.5) * ss);
          ww += k[x];
        }
      if (ww != 0)
        for (int x = 0; x < xmax; x++)
          k[x] /= ww;
      bounds[2 * xx] = xmin;
      bounds[2 * xx + 1] = xmax;
    }
  *bounds_out = bounds;
  *weights_out = w;
  return ksize;
}

static inline float
clamp01 (double v)
{
  return v < 0 ? 0.0f : v > 1 ? 1.0f : (float)v;
}

void
gct_resample (const float *src, int sw, int sh, int channels, float *dst, int dw, int dh,
              GctFilter filter)
{
  int *hb, *vb;
  double *hw, *vw;
  int hk = precompute (sw, dw, filter, &hb, &hw);
  int vk = precompute (sh, dh, filter, &vb, &vw);
  float *tmp = g_new (float, (gsize)dw *sh *channels);
  const int c = channels;

  /* Horizontal pass: sh rows of dw pixels. */
#pragma omp parallel for schedule(static)
  for (int y = 0; y < sh; y++)
    for (int xx = 0; xx < dw; xx++)
      {
        const double *k = hw + (gsize)xx * hk;
        const float *row = src + ((gsize)y * sw + hb[2 * xx]) * c;
        for (int ch = 0; ch < c; ch++)
          {
            double s = 0;
            for (int x = 0; x < hb[2 * xx + 1]; x++)
              s += k[x] * row[(gsize)x * c + ch];
            tmp[((gsize)y * dw + xx) * c + ch] = clamp01 (s);
          }
      }
      /* Vertical pass. */
#pragma omp parallel for schedule(static)
  for (int yy = 0; yy < dh; yy++)
    {
      const double *k = vw + (gsize)yy * vk;
      for (int xx = 0; xx < dw; xx++)
        for (int ch = 0; ch < c; ch++)
          {
            double s = 0;
            for (int y = 0; y < vb[2 * yy + 1]; y++)
              s += k[y] * tmp[((gsize)(vb[2 * yy] + y) * dw + xx) * c + ch];
            dst[((gsize)yy * dw + xx) * c + ch] = clamp01 (s);
          }
    }
  g_free (tmp);
  g_free (hb);
  g_free (vb);
  g_free (hw);
  g_free (vw);
}

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
  float *rgb;        /* the image (zoom_crops) or its load_size² resize */
  float *zoomed;     /* zoom_crops: room for the largest zoomed image */
  guint32 *cells, *scratch;
  gsize n_cells_max;
};

void
gct_sampler_free (GctSampler *sampler)
{
  if (!sampler)
    return;
  g_free (sampler->rgb);
  g_free (sampler->zoomed);
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

GctSampler *
gct_sampler_new (const GctImage *image, const GctSamplingConfig *config, GError **error)
{
  const GctSamplingConfig *c = config;
  g_autoptr (GctSampler) s = NULL;
  g_autofree float *rgb = NULL;
  gsize n;

  if (!image || image->width < 1 || image->height < 1 || !image->rgba)
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0, "the image is empty");
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
  n = (gsize)image->width * image->height;
  rgb = g_new (float, n * 3);
  for (gsize i = 0; i < n; i++)
    for (int ch = 0; ch < 3; ch++)
      rgb[i * 3 + ch] = CLAMP (image->rgba[i * 4 + ch], 0.0f, 1.0f);

  if (c->mode == GCT_SAMPLING_RESIZE_CROP)
    {
      s->width = s->height = c->load_size;
      s->rgb = g_new (float, (gsize)c->load_size * c->load_size * 3);
      gct_resample (rgb, image->width, image->height, 3, s->rgb, c->load_size,
                    c->load_size, GCT_FILTER_BICUBIC);
    }
  else
    {
      int wmax, hmax;
      s->width = image->width;
      s->height = image->height;
      s->rgb = g_steal_pointer (&rgb);
      zoomed_size (s, c->zoom_max, s->width, &wmax);
      zoomed_size (s, c->zoom_max, s->height, &hmax);
      wmax += 1;
      hmax += 1;
      s->zoomed = g_new (float, (gsize)wmax *hmax * 3);
      s->n_cells_max = (gsize)(wmax / c->crop_size) * (hmax / c->crop_size);
      s->cells = g_new (guint32, s->n_cells_max + 1);
      s->scratch = g_new (guint32, s->n_cells_max + 1);
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

  /* zoom_crops: one zoom per batch, one grid cell per crop. */
  double zx = gct_rng_uniform (rng, s->config.zoom_min, s->config.zoom_max);
  double zy = gct_rng_uniform (rng, s->config.zoom_min, s->config.zoom_max);
  int zw, zh, nw, nh, n_cells, next = 0;

  zoomed_size (s, zx, s->width, &zw);
  zoomed_size (s, zy, s->height, &zh);
  gct_resample (s->rgb, s->width, s->height, 3, s->zoomed, zw, zh, GCT_FILTER_BILINEAR);
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
      put_crop (s->zoomed, zw, x0 + ix * crop, y0 + iy * crop, crop, flip, out + b * per);
    }
}
