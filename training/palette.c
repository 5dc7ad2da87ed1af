/* gegl-cut training: palettes and histogram matching (gct-palette.h). */
#include <math.h>

#include "gct-palette.h"

/* Bins per channel: finer than 16-bit input would need for ranks to matter
 * less than the palette's own 256 levels. */
#define BINS 4096
#define L GCP_PALETTE_LEVELS

/* Each channel's range for R'G'B' in [0, 1]: Y' in [0, 1], Cb and Cr in
 * [−0.5, 0.5]. */
static const double lo[3] = { 0.0, -0.5, -0.5 };

struct _GctHistogram
{
  guint64 count[3][BINS];
  guint64 n;
};

struct _GctPaletteMap
{
  float lut[3][BINS + 1]; /* the matched value at each bin edge */
};

static inline float
clamp01 (float v)
{
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

static void
to_ycc (const float *rgb, double *ycc)
{
  double r = clamp01 (rgb[0]), g = clamp01 (rgb[1]), b = clamp01 (rgb[2]);
  ycc[0] = 0.299 * r + 0.587 * g + 0.114 * b;
  ycc[1] = (b - ycc[0]) / 1.772;
  ycc[2] = (r - ycc[0]) / 1.402;
}

static void
from_ycc (const double *ycc, float *rgb)
{
  double r = ycc[0] + 1.402 * ycc[2], b = ycc[0] + 1.772 * ycc[1];
  double g = (ycc[0] - 0.299 * r - 0.114 * b) / 0.587;
  rgb[0] = clamp01 ((float)r);
  rgb[1] = clamp01 ((float)g);
  rgb[2] = clamp01 ((float)b);
}

/* Where v lies in channel c's bins, in [0, BINS]. */
static inline double
position (int c, double v)
{
  double p = (v - lo[c]) * BINS;
  return p < 0 ? 0 : p > BINS ? BINS : p;
}

static gboolean
counts (const float *px)
{
  return px[3] > 0 && isfinite (px[0]) && isfinite (px[1]) && isfinite (px[2]);
}

float *
gct_palette_copy (const float *levels)
{
  return levels ? g_memdup2 (levels, 3 * L * sizeof *levels) : NULL;
}

GctHistogram *
gct_histogram_new (void)
{
  return g_new0 (GctHistogram, 1);
}

void
gct_histogram_free (GctHistogram *h)
{
  g_free (h);
}

void
gct_histogram_add (GctHistogram *h, const float *rgba, gsize n_pixels)
{
  for (gsize i = 0; i < n_pixels; i++)
    {
      double ycc[3];
      if (!counts (rgba + 4 * i))
        continue;
      to_ycc (rgba + 4 * i, ycc);
      for (int c = 0; c < 3; c++)
        h->count[c][MIN ((int)position (c, ycc[c]), BINS - 1)]++;
      h->n++;
    }
}

/* The value of channel c below which a fraction rank of the pixels lie, the
 * pixels of a bin spread evenly over it. */
static double
quantile (const GctHistogram *h, int c, double rank)
{
  double want = rank * (double)h->n, below = 0;
  int first = 0, last = BINS - 1;

  while (!h->count[c][first])
    first++;
  while (!h->count[c][last])
    last--;
  for (int k = first; k <= last; k++)
    {
      double in = (double)h->count[c][k];
      if (in && below + in >= want)
        return lo[c] + (k + MAX (want - below, 0.0) / in) / BINS;
      below += in;
    }
  return lo[c] + (last + 1.0) / BINS;
}

gboolean
gct_histogram_palette (const GctHistogram *h, float *levels)
{
  if (!h->n)
    return FALSE;
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < L; i++)
      levels[c * L + i] = (float)quantile (h, c, (double)i / (L - 1));
  return TRUE;
}

/* The palette's value of channel c at a rank in [0, 1]. */
static double
palette_at (const float *levels, int c, double rank)
{
  double t = rank * (L - 1);
  int i = MIN ((int)t, L - 2);
  const float *q = levels + c * L;
  return q[i] + (t - i) * (q[i + 1] - q[i]);
}

GctPaletteMap *
gct_palette_map_new (const GctHistogram *image, const float *levels)
{
  GctPaletteMap *map = g_new (GctPaletteMap, 1);
  double n = MAX ((double)image->n, 1.0);

  /* An empty image maps every value to its rank 0: never applied to a
   * pixel that would have counted. */
  for (int c = 0; c < 3; c++)
    {
      guint64 below = 0;
      for (int k = 0; k <= BINS; k++)
        {
          map->lut[c][k] = (float)palette_at (levels, c, below / n);
          if (k < BINS)
            below += image->count[c][k];
        }
    }
  return map;
}

void
gct_palette_map_free (GctPaletteMap *map)
{
  g_free (map);
}

void
gct_palette_map_apply (const GctPaletteMap *map, const float *in, float *out,
                       gsize n_pixels, double amount)
{
  const float a = (float)amount;

  for (gsize i = 0; i < n_pixels; i++)
    {
      const float *p = in + 4 * i;
      float *o = out + 4 * i, matched[3];
      double ycc[3];

      if (!(isfinite (p[0]) && isfinite (p[1]) && isfinite (p[2])))
        {
          for (int c = 0; c < 4; c++)
            o[c] = p[c];
          continue;
        }
      to_ycc (p, ycc);
      for (int c = 0; c < 3; c++)
        {
          double t = position (c, ycc[c]);
          int k = MIN ((int)t, BINS - 1);
          ycc[c] = map->lut[c][k] + (t - k) * (map->lut[c][k + 1] - map->lut[c][k]);
        }
      from_ycc (ycc, matched);
      for (int c = 0; c < 3; c++)
        o[c] = p[c] + a * (matched[c] - p[c]);
      o[3] = p[3];
    }
}

void
gct_palette_match_image (const float *levels, GctImage *image, double amount)
{
  gsize n = (gsize)image->width * image->height;
  g_autoptr (GctHistogram) histogram = NULL;
  g_autoptr (GctPaletteMap) map = NULL;

  if (!levels || amount <= 0)
    return;
  histogram = gct_histogram_new ();
  gct_histogram_add (histogram, image->rgba, n);
  map = gct_palette_map_new (histogram, levels);
  gct_palette_map_apply (map, image->rgba, image->rgba, n, amount);
}
