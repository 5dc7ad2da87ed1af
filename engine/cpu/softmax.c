/* Row-wise softmax and log-sum-exp, one row per work item.  Rows are shifted
 * by their maximum so exp cannot overflow; a row of −∞ is shifted by 0 instead
 * and gives −∞ (log-sum-exp) or NaN (softmax), as in PyTorch. */
#include <math.h>
#include "cpu-private.h"

static gboolean
rows_prepare (GcutCpuKernel *k, GError **error)
{
  return TRUE;
}

static float
row_shift (const float *x, gint64 n)
{
  float m = -INFINITY;
  for (gint64 j = 0; j < n; j++)
    m = MAX (m, x[j]);
  return isfinite (m) ? m : 0.f;
}

/* e = exp(x − shift) into e (may be NULL), returning Σe in double. */
static double
sum_exp (const float *x, gint64 n, float shift, float *e)
{
  double sum = 0;
  for (gint64 j = 0; j < n; j++)
    {
      float v = expf (x[j] - shift);
      if (e)
        e[j] = v;
      sum += v;
    }
  return sum;
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
      float *yr = y + r * cols;
      float inv = 1.0 / sum_exp (x + r * cols, cols, row_shift (x + r * cols, cols), yr);
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        yr[j] *= inv;
    }
}

static void
logsumexp_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->in[0].shape.dims[0], cols = k->in[0].shape.dims[1];
  const float *x = k->in[0].data;
  float *y = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      float shift = row_shift (x + r * cols, cols);
      y[r] = shift + log (sum_exp (x + r * cols, cols, shift, NULL));
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
      double dot = 0;
#pragma omp simd reduction(+ : dot)
      for (gint64 j = 0; j < cols; j++)
        dot += (double)yr[j] * gr[j];
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        gx[r * cols + j] = yr[j] * (gr[j] - (float)dot);
    }
}

static void
logsumexp_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->out.shape.dims[0], cols = k->out.shape.dims[1];
  const float *x = k->in[0].data, *y = k->in[1].data, *gy = k->in[2].data;
  float *gx = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    for (gint64 j = 0; j < cols; j++)
      gx[r * cols + j] = expf (x[r * cols + j] - y[r]) * gy[r];
}

const GcutCpuOp gcut_cpu_softmax = { rows_prepare, softmax_run, NULL };
const GcutCpuOp gcut_cpu_softmax_bwd = { rows_prepare, softmax_bwd_run, NULL };
const GcutCpuOp gcut_cpu_logsumexp = { rows_prepare, logsumexp_run, NULL };
const GcutCpuOp gcut_cpu_logsumexp_bwd = { rows_prepare, logsumexp_bwd_run, NULL };
