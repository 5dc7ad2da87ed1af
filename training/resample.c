/* gegl-cut training: resizing as Pillow does (gct-resample.h).  The taps are
 * those of Pillow's Resample.c, the passes keep floats. */
#include <math.h>

#include <gcut/gcut-error.h>

#include "gct-resample.h"

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

static inline float
clamp01 (double v)
{
  return v < 0 ? 0.0f : v > 1 ? 1.0f : (float)v;
}

/* One axis of a resize, in → out pixels: the kernel's support in source
 * pixels (stretched when shrinking) and the most taps of an output pixel. */
typedef struct
{
  int in, out, ksize;
  double scale, filterscale, support;
  GctFilter filter;
} Axis;

static Axis
axis_new (int in, int out, GctFilter filter)
{
  Axis a = { .in = in, .out = out, .scale = (double)in / out, .filter = filter };
  a.filterscale = a.scale < 1 ? 1 : a.scale;
  a.support = (filter == GCT_FILTER_BICUBIC ? 2.0 : 1.0) * a.filterscale;
  a.ksize = (int)ceil (a.support) * 2 + 1;
  return a;
}

/* The taps of outputs [first, first + n): per output its first source pixel
 * and their number in bounds, their ksize normalized weights in weights. */
static void
axis_taps (const Axis *a, int first, int n, int *bounds, double *weights)
{
  double (*f) (double) = a->filter == GCT_FILTER_BICUBIC ? bicubic : triangle;
  double ss = 1.0 / a->filterscale;

  for (int i = 0; i < n; i++)
    {
      double center = (first + i + 0.5) * a->scale, ww = 0;
      int xmin = (int)(center - a->support + 0.5), xmax;
      double *k = weights + (gsize)i * a->ksize;

      if (xmin < 0)
        xmin = 0;
      xmax = (int)(center + a->support + 0.5);
      if (xmax > a->in)
        xmax = a->in;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          k[x] = f ((x + xmin - center + 0.5) * ss);
          ww += k[x];
        }
      if (ww != 0)
        for (int x = 0; x < xmax; x++)
          k[x] /= ww;
      bounds[2 * i] = xmin;
      bounds[2 * i + 1] = xmax;
    }
}

/* Work (multiply-adds) below which a loop is not worth sharing out among
 * threads: crops of a batch are small, and threads that wait for each other
 * on a busy machine cost more than they bring. */
#define PARALLEL_WORK (1 << 20)

/* The horizontal pass of one source row for n outputs. */
static void
h_row (const float *row, int c, const int *bounds, const double *weights, int ksize,
       int n, float *out)
{
  for (int i = 0; i < n; i++)
    {
      const double *k = weights + (gsize)i * ksize;
      const float *p = row + (gsize)bounds[2 * i] * c;
      for (int ch = 0; ch < c; ch++)
        {
          double s = 0;
          for (int x = 0; x < bounds[2 * i + 1]; x++)
            s += k[x] * p[(gsize)x * c + ch];
          out[(gsize)i * c + ch] = clamp01 (s);
        }
    }
}

/* The vertical pass of one output row of len floats: count rows of the
 * horizontal pass from row first of a ring of n_rows rows of stride floats. */
static void
v_row (const float *ring, int n_rows, gsize stride, int first, const double *k, int count,
       gsize len, float *out)
{
  const float *end = ring + (gsize)n_rows * stride;
  for (gsize i = 0; i < len; i++)
    {
      const float *p = ring + (gsize)(first % n_rows) * stride + i;
      double s = 0;
      for (int y = 0; y < count; y++)
        {
          s += k[y] * *p;
          p += stride;
          if (p >= end)
            p -= (gsize)n_rows * stride;
        }
      out[i] = clamp01 (s);
    }
}

static gpointer
no_memory (GError **error, int sw, int sh, int dw, int dh)
{
  g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
               "not enough memory to resize %d×%d pixels to %d×%d", sw, sh, dw, dh);
  return NULL;
}

/* ---- a row at a time ---- */

/* Source rows through the horizontal pass at a time, a few for each thread. */
#define CHUNK_ROWS 64

struct _GctResampler
{
  Axis h, v;
  int c;
  int *hb, *vb;
  double *hw, *vw;
  /* The horizontal pass of the last ring_rows source rows, by row modulo
   * ring_rows: an output row reads at most v.ksize consecutive rows and is
   * finished as soon as its last one is in, so a chunk of new rows never
   * overwrites a row still to be read. */
  float *ring;
  int ring_rows;
  int next_in, next_out;
};

void
gct_resampler_free (GctResampler *r)
{
  if (!r)
    return;
  g_free (r->hb);
  g_free (r->vb);
  g_free (r->hw);
  g_free (r->vw);
  g_free (r->ring);
  g_free (r);
}

GctResampler *
gct_resampler_new (int sw, int sh, int dw, int dh, int channels, GctFilter filter,
                   GError **error)
{
  g_autoptr (GctResampler) r = g_try_new0 (GctResampler, 1);

  g_return_val_if_fail (sw > 0 && sh > 0 && dw > 0 && dh > 0 && channels > 0, NULL);
  if (!r)
    return no_memory (error, sw, sh, dw, dh);
  r->h = axis_new (sw, dw, filter);
  r->v = axis_new (sh, dh, filter);
  r->c = channels;
  r->hb = g_try_new (int, 2 * (gsize)dw);
  r->vb = g_try_new (int, 2 * (gsize)dh);
  r->hw = g_try_new (double, (gsize)dw * r->h.ksize);
  r->vw = g_try_new (double, (gsize)dh * r->v.ksize);
  r->ring_rows = r->v.ksize + CHUNK_ROWS;
  gsize ring = (gsize)r->ring_rows * dw * channels;
  r->ring = g_try_new (float, ring);
  if (!r->hb || !r->vb || !r->hw || !r->vw || !r->ring)
    return no_memory (error, sw, sh, dw, dh);
  axis_taps (&r->h, 0, dw, r->hb, r->hw);
  axis_taps (&r->v, 0, dh, r->vb, r->vw);
  return g_steal_pointer (&r);
}

void
gct_resampler_push (GctResampler *r, const float *rows, int n_rows, float *dst)
{
  const int dw = r->h.out, c = r->c;
  const gsize stride = (gsize)dw * c;

  n_rows = MIN (n_rows, r->v.in - r->next_in);
  for (int done = 0; done < n_rows; done += CHUNK_ROWS)
    {
      int n = MIN (CHUNK_ROWS, n_rows - done), y0 = r->next_in, first = r->next_out;
      int end = first;

#pragma omp parallel for schedule(static) if ((gint64)n * stride * r->h.ksize            \
                                              > PARALLEL_WORK)
      for (int i = 0; i < n; i++)
        h_row (rows + (gsize)(done + i) * r->h.in * c, c, r->hb, r->hw, r->h.ksize, dw,
               r->ring + (gsize)((y0 + i) % r->ring_rows) * stride);
      r->next_in += n;
      while (end < r->v.out && r->vb[2 * end] + r->vb[2 * end + 1] <= r->next_in)
        end++;
#pragma omp parallel for schedule(                                                       \
    static) if ((gint64)(end - first) * stride * r->v.ksize > PARALLEL_WORK)
      for (int yy = first; yy < end; yy++)
        v_row (r->ring, r->ring_rows, stride, r->vb[2 * yy],
               r->vw + (gsize)yy * r->v.ksize, r->vb[2 * yy + 1], stride,
               dst + (gsize)yy * stride);
      r->next_out = end;
    }
}

gboolean
gct_resample (const float *src, int sw, int sh, int channels, float *dst, int dw, int dh,
              GctFilter filter, GError **error)
{
  g_autoptr (GctResampler) r
      = gct_resampler_new (sw, sh, dw, dh, channels, filter, error);
  if (!r)
    return FALSE;
  gct_resampler_push (r, src, sh, dst);
  return TRUE;
}

/* ---- windows ---- */

struct _GctResampleWindow
{
  int sw, sh, min_dw, min_dh, w, h, c;
  GctFilter filter;
  int *hb, *vb;
  double *hw, *vw;
  int span_max; /* the most source rows a window reads */
  float *tmp;   /* their horizontal pass, span_max rows of w pixels */
};

void
gct_resample_window_free (GctResampleWindow *win)
{
  if (!win)
    return;
  g_free (win->hb);
  g_free (win->vb);
  g_free (win->hw);
  g_free (win->vw);
  g_free (win->tmp);
  g_free (win);
}

GctResampleWindow *
gct_resample_window_new (int sw, int sh, int min_dw, int min_dh, int w, int h,
                         int channels, GctFilter filter, GError **error)
{
  g_autoptr (GctResampleWindow) win = g_try_new0 (GctResampleWindow, 1);
  /* The smallest output has the widest kernel and the largest scale. */
  Axis ha = axis_new (sw, min_dw, filter), va = axis_new (sh, min_dh, filter);

  g_return_val_if_fail (sw > 0 && sh > 0 && w > 0 && h > 0 && channels > 0, NULL);
  g_return_val_if_fail (min_dw >= w && min_dh >= h, NULL);
  if (!win)
    return no_memory (error, sw, sh, min_dw, min_dh);
  *win = (GctResampleWindow){ sw, sh, min_dw, min_dh, w, h, channels, filter };
  /* h outputs span (h − 1)·scale source rows between their centres, plus the
   * support on both sides, plus one for the rounding of each end. */
  win->span_max = (int)MIN ((double)sh, floor ((h - 1) * va.scale + 2 * va.support) + 3);
  win->hb = g_try_new (int, 2 * (gsize)w);
  win->vb = g_try_new (int, 2 * (gsize)h);
  gsize hw = (gsize)w * ha.ksize, vw = (gsize)h * va.ksize;
  gsize tmp = (gsize)win->span_max * w * channels;
  win->hw = g_try_new (double, hw);
  win->vw = g_try_new (double, vw);
  win->tmp = g_try_new (float, tmp);
  if (!win->hb || !win->vb || !win->hw || !win->vw || !win->tmp)
    return no_memory (error, sw, sh, min_dw, min_dh);
  return g_steal_pointer (&win);
}

void
gct_resample_window_run (GctResampleWindow *win, const float *src, int dw, int dh, int x0,
                         int y0, float *dst)
{
  Axis ha = axis_new (win->sw, dw, win->filter), va = axis_new (win->sh, dh, win->filter);
  const int w = win->w, c = win->c;
  int first, end;

  g_return_if_fail (dw >= win->min_dw && dh >= win->min_dh);
  g_return_if_fail (x0 >= 0 && y0 >= 0 && x0 + w <= dw && y0 + win->h <= dh);
  axis_taps (&ha, x0, w, win->hb, win->hw);
  axis_taps (&va, y0, win->h, win->vb, win->vw);
  first = win->vb[0];
  end = win->vb[2 * (win->h - 1)] + win->vb[2 * (win->h - 1) + 1];
  g_return_if_fail (end - first <= win->span_max);
#pragma omp parallel for schedule(static) if ((gint64)(end - first) * w * c * ha.ksize   \
                                              > PARALLEL_WORK)
  for (int y = first; y < end; y++)
    h_row (src + (gsize)y * win->sw * c, c, win->hb, win->hw, ha.ksize, w,
           win->tmp + (gsize)(y - first) * w * c);
#pragma omp parallel for schedule(static) if ((gint64)win->h * w * c * va.ksize          \
                                              > PARALLEL_WORK)
  for (int i = 0; i < win->h; i++)
    v_row (win->tmp, win->span_max, (gsize)w * c, win->vb[2 * i] - first,
           win->vw + (gsize)i * va.ksize, win->vb[2 * i + 1], (gsize)w * c,
           dst + (gsize)i * w * c);
}
