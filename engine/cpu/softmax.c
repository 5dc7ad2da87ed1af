/* Row-wise softmax and log-sum-exp, one row per work item.  Rows are shifted
 * by their maximum so exp cannot overflow; a row of −∞ is shifted by 0 instead
 * and gives −∞ (log-sum-exp) or NaN (softmax), as in PyTorch. */
#include <math.h>
#include "cpu-private.h"

/* exp (x) for x in [−88, 88]: Cephes' expf, 2^n·e^r with |r| ≤ ln 2 / 2 and a
 * degree-6 polynomial, relative error about 1e-7; results below 2^−126 are
 * flushed to 0.  Written without branches so that loops over it vectorize
 * (libm's expf is a call per element). */
static inline float
exp_in_range (float x)
{
  float n = (x * 1.44269504f + 12582912.f) - 12582912.f; /* round (x / ln 2) */
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f, biased = n + 127.f, scale;
  gint32 bits = (gint32)(biased > 0.f ? biased : 0.f) << 23;

  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  memcpy (&scale, &bits, sizeof scale);
  return (p * r * r + r + 1.f) * scale;
}

/* e = exp (x − shift) over n floats, x − shift ≤ 0, returning Σe in double.
 * The arguments are clamped in a loop of their own: a clamp feeding the
 * arithmetic would stop the vectorizer. */
static double
exp_shifted (const float *x, gint64 n, float shift, float *e)
{
  double sum = 0;
#pragma omp simd
  for (gint64 j = 0; j < n; j++)
    {
      float v = x[j] - shift;
      e[j] = v > -88.f ? v : -88.f;
    }
#pragma omp simd reduction(+ : sum)
  for (gint64 j = 0; j < n; j++)
    sum += e[j] = exp_in_range (e[j]);
  return sum;
}

static float
row_shift (const float *x, gint64 n)
{
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (gint64 j = 0; j < n; j++)
    m = MAX (m, x[j]);
  return isfinite (m) ? m : 0.f;
}

static void
softmax_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->out.shape.dims[0], cols = k->out.shape.dims[1];
  const float *x = k->in[0].data;
  float *y = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols;
      float *yr = y + r * cols;
      float inv = 1.0 / exp_shifted (xr, cols, row_shift (xr, cols), yr);
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        yr[j] *= inv;
    }
}

/* Only the sum of the exponentials is needed: they go through a block on
 * the stack rather than a copy of the input in memory. */
static void
logsumexp_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->in[0].shape.dims[0], cols = k->in[0].shape.dims[1];
  const float *x = k->in[0].data;
  float *y = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols;
      float shift = row_shift (xr, cols), e[1024];
      double sum = 0;
      for (gint64 j = 0; j < cols; j += G_N_ELEMENTS (e))
        sum += exp_shifted (xr + j, MIN (cols - j, (gint64)G_N_ELEMENTS (e)), shift, e);
      y[r] = shift + log (sum);
    }
}

static void
softmax_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->out.shape.dims[0], cols = k->out.shape.dims[1];
  const float *y = k->in[0].data, *gy = k->in[1].data;
  float *gx = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      const float *yr = y + r * cols, *gr = gy + r * cols;
      float dot = gcut_cpu_dot (yr, gr, cols);
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        gx[r * cols + j] = yr[j] * (gr[j] - dot);
    }
}

/* gx = exp (x − y)·gy, x − y ≤ 0 since y ≥ the row's maximum. */
static void
logsumexp_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->out.shape.dims[0], cols = k->out.shape.dims[1];
  const float *x = k->in[0].data, *y = k->in[1].data, *gy = k->in[2].data;
  float *gx = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      float *gr = gx + r * cols;
      exp_shifted (x + r * cols, cols, y[r], gr);
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        gr[j] *= gy[r];
    }
}

const GcutCpuOp gcut_cpu_softmax = { NULL, softmax_run, NULL };
const GcutCpuOp gcut_cpu_softmax_bwd = { NULL, softmax_bwd_run, NULL };
const GcutCpuOp gcut_cpu_logsumexp = { NULL, logsumexp_run, NULL };
const GcutCpuOp gcut_cpu_logsumexp_bwd = { NULL, logsumexp_bwd_run, NULL };
