/* Sums down to a shape (SUM_ROWS, SUM_COLS, SUM_ALL, MEAN_ALL, SUM_TO), in
 * double, times a scale.  Shapes are right-aligned into 4 dimensions and
 * neighbouring dimensions that are both kept or both summed are merged, which
 * leaves at most two summed groups.  Each output is summed on its own, so the
 * result does not depend on the thread count; a single output (sum of
 * everything) is split into fixed chunks added in order. */
#include "cpu-private.h"

#define CHUNK 16384
#define PARALLEL_MIN 32768

typedef struct
{
  int n_kept, n_summed;
  gint64 kept[4], kept_stride[4];
  gint64 summed[2], summed_stride[2];
  gint64 n_out, n_in;
  double scale;
} Red;

static gboolean
sum_prepare (GcutCpuKernel *k, GError **error)
{
  gint64 in[4], out[4], stride[4], s = 1;
  int oi = 4 - k->in[0].shape.n_dims, oo = 4 - k->out.shape.n_dims, prev = -1;
  Red *r;

  if (!gcut_cpu_check_plain (k, error))
    return FALSE;
  for (int d = 3; d >= 0; d--)
    {
      in[d] = d >= oi ? k->in[0].shape.dims[d - oi] : 1;
      out[d] = d >= oo ? k->out.shape.dims[d - oo] : 1;
      stride[d] = s;
      s *= in[d];
    }
  r = k->state = g_new0 (Red, 1);
  r->n_in = s;
  r->n_out = gcut_shape_numel (&k->out.shape);
  switch (k->node->op)
    {
    case GCUT_OP_MEAN_ALL:
      r->scale = 1.0 / s;
      break;
    case GCUT_OP_SUM_TO:
      r->scale = k->node->p.alpha;
      break;
    default:
      r->scale = 1.0;
    }
  for (int d = 0; d < 4; d++)
    {
      int summed = out[d] == 1;
      if (in[d] == 1)
        continue;
      if (summed && prev == 1)
        {
          r->summed[r->n_summed - 1] *= in[d];
          r->summed_stride[r->n_summed - 1] = stride[d];
        }
      else if (!summed && prev == 0)
        {
          r->kept[r->n_kept - 1] *= in[d];
          r->kept_stride[r->n_kept - 1] = stride[d];
        }
      else if (summed)
        {
          r->summed[r->n_summed] = in[d];
          r->summed_stride[r->n_summed++] = stride[d];
        }
      else
        {
          r->kept[r->n_kept] = in[d];
          r->kept_stride[r->n_kept++] = stride[d];
        }
      prev = summed;
    }
  return TRUE;
}

static double
sum_strided (const float *x, gint64 n, gint64 stride)
{
  double s = 0;
  if (stride == 1)
    {
#pragma omp simd reduction(+ : s)
      for (gint64 i = 0; i < n; i++)
        s += x[i];
    }
  else
    for (gint64 i = 0; i < n; i++)
      s += x[i * stride];
  return s;
}

static double
sum_groups (const Red *r, const float *x)
{
  double s = 0;
  switch (r->n_summed)
    {
    case 0:
      return x[0];
    case 1:
      return sum_strided (x, r->summed[0], r->summed_stride[0]);
    default:
      for (gint64 i = 0; i < r->summed[0]; i++)
        s += sum_strided (x + i * r->summed_stride[0], r->summed[1], r->summed_stride[1]);
      return s;
    }
}

static void
sum_run (GcutCpuKernel *k, void *scratch)
{
  const Red *r = k->state;
  const float *x = k->in[0].data;
  float *y = k->out.data;

  if (r->n_out == 1)
    {
      /* everything is summed: one contiguous group */
      gint64 n_chunks = (r->n_in + CHUNK - 1) / CHUNK;
      double total = 0;
      if (n_chunks == 1)
        total = sum_strided (x, r->n_in, 1);
      else
        {
          double *part = g_alloca (sizeof (double) * MIN (n_chunks, 4096));
          for (gint64 c0 = 0; c0 < n_chunks; c0 += 4096)
            {
              gint64 m = MIN (4096, n_chunks - c0);
#pragma omp parallel for
              for (gint64 c = 0; c < m; c++)
                {
                  gint64 from = (c0 + c) * CHUNK;
                  part[c] = sum_strided (x + from, MIN (CHUNK, r->n_in - from), 1);
                }
              for (gint64 c = 0; c < m; c++)
                total += part[c];
            }
        }
      y[0] = (float)(total * r->scale);
      return;
    }
#pragma omp parallel for if (r->n_in >= PARALLEL_MIN)
  for (gint64 o = 0; o < r->n_out; o++)
    {
      gint64 off = 0, rem = o;
      for (int d = r->n_kept - 1; d >= 0; d--)
        {
          off += rem % r->kept[d] * r->kept_stride[d];
          rem /= r->kept[d];
        }
      y[o] = (float)(sum_groups (r, x + off) * r->scale);
    }
}

static void
sum_release (GcutCpuKernel *k)
{
  g_free (k->state);
}

const GcutCpuOp gcut_cpu_sum = { sum_prepare, sum_run, sum_release };
