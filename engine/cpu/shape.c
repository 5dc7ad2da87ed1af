/* Reshape and detach (copies of plain data) and fill diagonal. */
#include "cpu-private.h"

static gboolean
plain_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_check_plain (k, error);
}

static void
copy_run (GcutCpuKernel *k, void *scratch)
{
  if (k->out.data != k->in[0].data)
    memcpy (k->out.data, k->in[0].data, gcut_tensor_bytes (&k->out));
}

static void
fill_diagonal_run (GcutCpuKernel *k, void *scratch)
{
  const GcutShape *s = &k->out.shape;
  const gint64 n = s->dims[s->n_dims - 1], batch = gcut_shape_numel (s) / (n * n);
  const float value = k->node->p.beta;
  float *y = k->out.data;

  copy_run (k, scratch);
  for (gint64 b = 0; b < batch; b++)
    for (gint64 i = 0; i < n; i++)
      y[(b * n + i) * n + i] = value;
}

const GcutCpuOp gcut_cpu_reshape = { plain_prepare, copy_run, NULL };
const GcutCpuOp gcut_cpu_fill_diagonal = { plain_prepare, fill_diagonal_run, NULL };
