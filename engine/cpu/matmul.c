/* Matrix products op(a)·op(b), plain or batched, through oneDNN's matmul.
 * Transposed operands are read in place through strides. */
#include "dnnl-private.h"

/* t (…, rows, cols), or its transpose, over t's row-major storage. */
static void
operand_md (const GcutTensor *t, gboolean transposed, dnnl_memory_desc_t *md)
{
  const int nd = t->shape.n_dims;
  const gint64 rows = t->shape.dims[nd - 2], cols = t->shape.dims[nd - 1];
  dnnl_dims_t dims, strides;

  if (nd == 3)
    {
      dims[0] = t->shape.dims[0];
      strides[0] = rows * cols;
    }
  dims[nd - 2] = transposed ? cols : rows;
  dims[nd - 1] = transposed ? rows : cols;
  strides[nd - 2] = transposed ? 1 : cols;
  strides[nd - 1] = transposed ? cols : 1;
  dnnl_memory_desc_init_by_strides (md, nd, dims, dnnl_f32, strides);
}

static gboolean
matmul_prepare (GcutCpuKernel *k, GError **error)
{
  g_auto (dnnl_primitive_desc_t) pd = NULL;
  GcutDnnlArg args[] = { { DNNL_ARG_SRC, .data = k->in[0].data },
                         { DNNL_ARG_WEIGHTS, .data = k->in[1].data },
                         { DNNL_ARG_DST, .data = k->out.data, .output = TRUE } };
  dnnl_matmul_desc_t d;

  if (!gcut_cpu_check_plain (k, error))
    return FALSE;
  operand_md (&k->in[0], k->node->p.transpose_a, &args[0].md);
  operand_md (&k->in[1], k->node->p.transpose_b, &args[1].md);
  operand_md (&k->out, FALSE, &args[2].md);
  return gcut_dnnl_check (
             dnnl_matmul_desc_init (&d, &args[0].md, &args[1].md, NULL, &args[2].md),
             "describing the matrix product", error)
         && gcut_dnnl_pd (&d, GCUT_ACT_NONE, 0.f, NULL, &pd, error)
         && gcut_dnnl_add (k, pd, args, 3, error);
}

const GcutCpuOp gcut_cpu_matmul = { matmul_prepare, gcut_dnnl_run, gcut_dnnl_release };
