/* Matrix products through oneDNN's matmul.  Transposed operands are read in
 * place through strides, so nothing is copied. */
#include "dnnl-private.h"

/* t, or its transpose, as a matrix over t's row-major storage. */
static GcutDnnlLayout
operand (const GcutTensor *t, gboolean transposed)
{
  const gint64 rows = t->shape.dims[0], cols = t->shape.dims[1];
  if (transposed)
    return (GcutDnnlLayout){
      2, { cols, rows }, dnnl_f32, dnnl_format_tag_undef, { 1, cols }
    };
  return (
      GcutDnnlLayout){ 2, { rows, cols }, dnnl_f32, dnnl_format_tag_undef, { cols, 1 } };
}

/* out = a·b (+ bias, then the node's activation), a and b possibly transposed. */
static gboolean
matmul_prepare (GcutCpuKernel *k, const GcutTensor *a, gboolean a_t, const GcutTensor *b,
                gboolean b_t, const GcutTensor *bias, GError **error)
{
  g_auto (dnnl_primitive_desc_t) pd = NULL;
  g_auto (dnnl_primitive_attr_t) attr = NULL;
  GcutDnnlArg args[] = {
    { DNNL_ARG_SRC, operand (a, a_t), a->data },
    { DNNL_ARG_WEIGHTS, operand (b, b_t), b->data },
    { DNNL_ARG_DST, operand (&k->out, FALSE), k->out.data, TRUE },
    { DNNL_ARG_BIAS,
      { 2, { 1, bias ? bias->shape.dims[0] : 0 }, dnnl_f32, dnnl_ab },
      bias ? bias->data : NULL },
  };

  return gcut_dnnl_attr_new (k->node->p.act, k->node->p.slope, &attr, error)
         && gcut_dnnl_check (gcut_dnnl_matmul_pd (&pd, &args[0].layout, &args[1].layout,
                                                  bias ? &args[3].layout : NULL,
                                                  &args[2].layout, attr),
                             "creating the matrix product", error)
         && gcut_dnnl_add (k, pd, args, bias ? 4 : 3, error);
}

/* y (rows, out) = x (rows, in) · wᵀ + b */
static gboolean
linear_prepare (GcutCpuKernel *k, GError **error)
{
  return matmul_prepare (k, &k->in[0], FALSE, &k->in[1], TRUE,
                         k->n_in > 2 ? &k->in[2] : NULL, error);
}

/* dx (rows, in) = gy (rows, out) · w (out, in) */
static gboolean
linear_bwd_data_prepare (GcutCpuKernel *k, GError **error)
{
  return matmul_prepare (k, &k->in[0], FALSE, &k->in[1], FALSE, NULL, error);
}

/* dw (out, in) = gyᵀ · x, from inputs (x, gy) */
static gboolean
linear_bwd_weights_prepare (GcutCpuKernel *k, GError **error)
{
  return matmul_prepare (k, &k->in[1], TRUE, &k->in[0], FALSE, NULL, error);
}

const GcutCpuOp gcut_cpu_linear = { linear_prepare, gcut_dnnl_run, gcut_dnnl_release };
const GcutCpuOp gcut_cpu_linear_bwd_data
    = { linear_bwd_data_prepare, gcut_dnnl_run, gcut_dnnl_release };
const GcutCpuOp gcut_cpu_linear_bwd_weights
    = { linear_bwd_weights_prepare, gcut_dnnl_run, gcut_dnnl_release };
