/* Row maxima over plain row-major matrices. */
#include "cpu-private.h"

static gboolean
max_rows_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_check_plain (k, error);
}

static gint64
row_length (const GcutCpuKernel *k)
{
  return k->in[0].shape.dims[k->in[0].shape.n_dims - 1];
}

static void
max_rows_run (GcutCpuKernel *k, void *scratch)
{
  const float *x = k->in[0].data;
  float *y = k->out.data;
  const gint64 n = row_length (k), rows = gcut_shape_numel (&k->out.shape);
#pragma omp parallel for if (rows * n > 65536)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *row = x + r * n;
      float m = row[0];
      for (gint64 j = 1; j < n; j++)
        m = row[j] > m ? row[j] : m;
      y[r] = m;
    }
}

static void
max_rows_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const float *x = k->in[0].data, *y = k->in[1].data, *gy = k->in[2].data;
  float *gx = k->out.data;
  const gint64 n = row_length (k), rows = gcut_shape_numel (&k->in[1].shape);
#pragma omp parallel for if (rows * n > 65536)
  for (gint64 r = 0; r < rows; r++)
    {
      gboolean taken = FALSE;
      for (gint64 j = 0; j < n; j++)
        {
          gboolean first = !taken && x[r * n + j] == y[r];
          gx[r * n + j] = first ? gy[r] : 0.f;
          taken |= first;
        }
    }
}

const GcutCpuOp gcut_cpu_max_rows = { max_rows_prepare, max_rows_run, NULL };
const GcutCpuOp gcut_cpu_max_rows_bwd = { max_rows_prepare, max_rows_bwd_run, NULL };
