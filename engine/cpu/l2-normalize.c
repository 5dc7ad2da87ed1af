/* Row L2 normalization, one row per work item; norms and dot products are
 * summed in double. */
#include <math.h>
#include "cpu-private.h"

static void
l2_normalize_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->out.shape.dims[0], cols = k->out.shape.dims[1];
  const float *x = k->in[0].data;
  float *y = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols;
      float d = sqrt (gcut_cpu_dot (xr, xr, cols)) + k->node->p.eps;
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        y[r * cols + j] = xr[j] / d;
    }
}

/* With s = ‖x‖ and d = s + eps: gx = gy/d − x·(gy·x)/(s·d²), the second term
 * vanishing with x = 0. */
static void
l2_normalize_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const gint64 rows = k->out.shape.dims[0], cols = k->out.shape.dims[1];
  const float *x = k->in[0].data, *gy = k->in[1].data;
  float *gx = k->out.data;

#pragma omp parallel for
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols, *gr = gy + r * cols;
      double s = sqrt (gcut_cpu_dot (xr, xr, cols)), d = s + k->node->p.eps;
      float a = 1.0 / d, b = s > 0 ? -gcut_cpu_dot (gr, xr, cols) / (s * d * d) : 0.0;
#pragma omp simd
      for (gint64 j = 0; j < cols; j++)
        gx[r * cols + j] = gr[j] * a + xr[j] * b;
    }
}

const GcutCpuOp gcut_cpu_l2_normalize = { NULL, l2_normalize_run, NULL };
const GcutCpuOp gcut_cpu_l2_normalize_bwd = { NULL, l2_normalize_bwd_run, NULL };
