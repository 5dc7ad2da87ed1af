/* Matrix products through oneDNN's matmul.  Transposed operands are read in
 * place through strides, so nothing is copied. */
#include "dnnl-private.h"

/* t, or its transpose, as a matrix descriptor over t's row-major storage. */
static void
operand_md (const GcutTensor *t, gboolean transposed, dnnl_memory_desc_t *md)
{
  const gint64 rows = t->shape.dims[0], cols = t->shape.dims[1];
  if (transposed)
    dnnl_memory_desc_init_by_strides (md, 2, (dnnl_dims_t){ cols, rows }, dnnl_f32,
                                      (dnnl_dims_t){ 1, cols });
  else
    dnnl_memory_desc_init_by_strides (md, 2, (dnnl_dims_t){ rows, cols }, dnnl_f32,
                                      (dnnl_dims_t){ cols, 1 });
}

/* out = a·b (+ bias, then the node's activation), a and b possibly transposed. */
static gboolean
matmul_prepare (GcutCpuKernel *k, const GcutTensor *a, gboolean a_t, const GcutTensor *b,
                gboolean b_t, const GcutTensor *bias, GError **error)
{
  g_auto (dnnl_primitive_desc_t) pd = NULL;
  GcutDnnlArg args[] = { { DNNL_ARG_SRC, .data = a->data },
                         { DNNL_ARG_WEIGHTS, .data = b->data },
                         { DNNL_ARG_DST, .data = k->out.data, .output = TRUE },
                         { DNNL_ARG_BIAS, .data = bias ? bias->data : NULL } };
  dnnl_matmul_desc_t d;

  operand_md (a, a_t, &args[0].md);
  operand_md (b, b_t, &args[1].md);
  operand_md (&k->out, FALSE, &args[2].md);
  if (bias)
    dnnl_memory_desc_init_by_tag (&args[3].md, 2, (dnnl_dims_t){ 1, bias->shape.dims[0] },
                                  dnnl_f32, dnnl_ab);
  return gcut_dnnl_check (dnnl_matmul_desc_init (&d, &args[0].md, &args[1].md,
                                                 bias ? &args[3].md : NULL, &args[2].md),
                          "describing the matrix product", error)
         && gcut_dnnl_pd (&d, k->node->p.act, k->node->p.slope, NULL, &pd, error)
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
