/* Matrix products op(a)·op(b), plain or batched, through oneDNN's matmul.
 * Transposed operands are read in place through strides. */
#include "dnnl-private.h"

/* t (…, rows, cols), or its transpose, over t's row-major storage. */
static GcutDnnlLayout
operand (const GcutTensor *t, gboolean transposed)
{
  const int nd = t->shape.n_dims;
  const gint64 rows = t->shape.dims[nd - 2], cols = t->shape.dims[nd - 1];
  GcutDnnlLayout l = { .ndims = nd, .type = dnnl_f32, .tag = dnnl_format_tag_undef };

  if (nd == 3)
    {
      l.dims[0] = t->shape.dims[0];
      l.strides[0] = rows * cols;
    }
  l.dims[nd - 2] = transposed ? cols : rows;
  l.dims[nd - 1] = transposed ? rows : cols;
  l.strides[nd - 2] = transposed ? 1 : cols;
  l.strides[nd - 1] = transposed ? cols : 1;
  return l;
}

static gboolean
matmul_prepare (GcutCpuKernel *k, GError **error)
{
  g_auto (dnnl_primitive_desc_t) pd = NULL;
  g_auto (dnnl_primitive_attr_t) attr = NULL;
  GcutDnnlArg args[3];

  if (!gcut_cpu_check_plain (k, error))
    return FALSE;
  args[0] = (GcutDnnlArg){ DNNL_ARG_SRC, operand (&k->in[0], k->node->p.transpose_a),
                           k->in[0].data };
  args[1] = (GcutDnnlArg){ DNNL_ARG_WEIGHTS, operand (&k->in[1], k->node->p.transpose_b),
                           k->in[1].data };
  args[2] = (GcutDnnlArg){ DNNL_ARG_DST, operand (&k->out, FALSE), k->out.data, TRUE };
  return gcut_dnnl_attr_new (GCUT_ACT_NONE, 0.f, &attr, error)
         && gcut_dnnl_check (gcut_dnnl_matmul_pd (&pd, &args[0].layout, &args[1].layout,
                                                  NULL, &args[2].layout, attr),
                             "creating the matrix product", error)
         && gcut_dnnl_add (k, pd, args, 3, error);
}

const GcutCpuOp gcut_cpu_matmul = { matmul_prepare, gcut_dnnl_run, gcut_dnnl_release };
