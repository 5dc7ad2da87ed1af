/* Sum and copy.  The sum's operands share one layout, so it runs over the flat
 * buffers; the copy converts between channel blocks when they differ. */
#include "cpu-private.h"

static gboolean
elementwise_prepare (GcutCpuKernel *k, GError **error)
{
  return TRUE;
}

static void
add_run (GcutCpuKernel *k, void *scratch)
{
  const float *a = k->in[0].data, *b = k->in[1].data;
  float *y = k->out.data;
  gint64 n = gcut_shape_numel (&k->out.shape);
#pragma omp parallel for simd
  for (gint64 i = 0; i < n; i++)
    y[i] = a[i] + b[i];
}

/* Channel by channel between blocks: pixel i of a channel plane sits block
 * floats after pixel i − 1. */
static void
copy_run (GcutCpuKernel *k, void *scratch)
{
  const GcutTensor *src = &k->in[0], *dst = &k->out;
  const GcutShape *s = &dst->shape;

  if (s->n_dims != 4 || src->block == dst->block)
    {
      memcpy (dst->data, src->data, gcut_tensor_bytes (dst));
      return;
    }
#pragma omp parallel for collapse(2)
  for (gint64 n = 0; n < s->dims[0]; n++)
    for (gint64 c = 0; c < s->dims[1]; c++)
      {
        const float *from = gcut_cpu_plane (src, n, c);
        float *to = gcut_cpu_plane (dst, n, c);
        for (gint64 i = 0; i < s->dims[2] * s->dims[3]; i++)
          to[i * dst->block] = from[i * src->block];
      }
}

const GcutCpuOp gcut_cpu_add = { elementwise_prepare, add_run, NULL };
const GcutCpuOp gcut_cpu_copy = { elementwise_prepare, copy_run, NULL };
