/* Convolutions and transposed convolutions through oneDNN.  Weights stay in
 * PyTorch's plain layout outside the kernel (they change every training step);
 * each kernel reorders them into the blocked layout its primitive picked, and
 * weight gradients back out of it.  Activations keep the plan's layout.
 *
 * BF16 plans on CPUs that multiply bfloat16 natively read the pass's inputs as
 * bf16 (converted by reorders in the kernel) and write f32, accumulating in
 * f32. */
#include "dnnl-private.h"

/* The convolution in forward terms: x → y with weights w.  In the backward
 * passes the gradient tensors stand in for the tensors of their shape. */
typedef struct
{
  gboolean transposed;
  const GcutTensor *x, *w, *y;
  dnnl_memory_desc_t x_md, y_md, w_md, w_any;
  dnnl_dims_t strides, pad_l, pad_r;
} Conv;

/* oneDNN describes PyTorch's weights as (groups, out, in, kh, kw): OIHW for a
 * convolution, IOHW for a transposed one, whose weight is (C_in, C_out/groups). */
static void
describe_weights (Conv *c, int groups)
{
  const gint64 ic = c->x->shape.dims[1], oc = c->y->shape.dims[1];
  const gint64 kh = c->w->shape.dims[2], kw = c->w->shape.dims[3];
  dnnl_format_tag_t tag;

  if (groups > 1)
    {
      dnnl_dims_t dims = { groups, oc / groups, ic / groups, kh, kw };
      tag = c->transposed ? dnnl_giohw : dnnl_goihw;
      dnnl_memory_desc_init_by_tag (&c->w_md, 5, dims, dnnl_f32, tag);
      dnnl_memory_desc_init_by_tag (&c->w_any, 5, dims, dnnl_f32, dnnl_format_tag_any);
    }
  else
    {
      dnnl_dims_t dims = { oc, ic, kh, kw };
      tag = c->transposed ? dnnl_iohw : dnnl_oihw;
      dnnl_memory_desc_init_by_tag (&c->w_md, 4, dims, dnnl_f32, tag);
      dnnl_memory_desc_init_by_tag (&c->w_any, 4, dims, dnnl_f32, dnnl_format_tag_any);
    }
}

static void
any_layout (dnnl_memory_desc_t *md)
{
  dnnl_memory_desc_init_by_tag (md, md->ndims, md->dims, dnnl_f32, dnnl_format_tag_any);
}

static gboolean
describe (GcutCpuKernel *k, gboolean transposed, GcutConvPass pass, Conv *c,
          GError **error)
{
  const GcutOpParams *p = &k->node->p;

  c->transposed = transposed;
  c->x = pass == GCUT_CONV_BACKWARD_DATA ? &k->out : &k->in[0];
  c->w = pass == GCUT_CONV_BACKWARD_WEIGHTS ? &k->out : &k->in[1];
  c->y = pass == GCUT_CONV_FORWARD ? &k->out
                                   : &k->in[pass == GCUT_CONV_BACKWARD_DATA ? 0 : 1];
  if (c->w->block != 1)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                           "the weight must be a parameter or a plain tensor");
      return FALSE;
    }
  describe_weights (c, p->groups);
  gcut_cpu_md (c->x, &c->x_md);
  gcut_cpu_md (c->y, &c->y_md);
  for (int i = 0; i < 2; i++)
    {
      /* The far-side padding that makes the sizes agree; it is negative when
       * the last rows of the larger side are never reached. */
      gint64 x = c->x->shape.dims[2 + i], y = c->y->shape.dims[2 + i];
      gint64 kernel = c->w->shape.dims[2 + i];
      gint64 small = transposed ? x : y, large = transposed ? y : x;
      c->strides[i] = p->stride;
      c->pad_l[i] = p->padding;
      c->pad_r[i] = (small - 1) * p->stride + kernel - large - p->padding;
    }
  return TRUE;
}

static dnnl_status_t
init_desc (const Conv *c, GcutConvPass pass, const dnnl_memory_desc_t *bias,
           dnnl_alg_kind_t alg, dnnl_convolution_desc_t *d)
{
  if (c->transposed)
    switch (pass)
      {
      case GCUT_CONV_FORWARD:
        return dnnl_deconvolution_forward_desc_init (
            d, dnnl_forward_training, dnnl_deconvolution_direct, &c->x_md, &c->w_any,
            bias, &c->y_md, c->strides, c->pad_l, c->pad_r);
      case GCUT_CONV_BACKWARD_DATA:
        return dnnl_deconvolution_backward_data_desc_init (
            d, dnnl_deconvolution_direct, &c->x_md, &c->w_any, &c->y_md, c->strides,
            c->pad_l, c->pad_r);
      default:
        return dnnl_deconvolution_backward_weights_desc_init (
            d, dnnl_deconvolution_direct, &c->x_md, &c->w_any, NULL, &c->y_md, c->strides,
            c->pad_l, c->pad_r);
      }
  switch (pass)
    {
    case GCUT_CONV_FORWARD:
      return dnnl_convolution_forward_desc_init (d, dnnl_forward_training, alg, &c->x_md,
                                                 &c->w_any, bias, &c->y_md, c->strides,
                                                 c->pad_l, c->pad_r);
    case GCUT_CONV_BACKWARD_DATA:
      return dnnl_convolution_backward_data_desc_init (
          d, alg, &c->x_md, &c->w_any, &c->y_md, c->strides, c->pad_l, c->pad_r);
    default:
      return dnnl_convolution_backward_weights_desc_init (
          d, alg, &c->x_md, &c->w_any, NULL, &c->y_md, c->strides, c->pad_l, c->pad_r);
    }
}

/* Without avx512_bf16 (or AMX) oneDNN emulates bf16, slower than f32. */
static gboolean
bf16_native (void)
{
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa ();
  return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

/* The pass's descriptor with its inputs in bf16: x and w forward, y (the
 * output gradient) and w backward to data, x and y backward to weights. */
static Conv
bf16_conv (const Conv *c, GcutConvPass pass)
{
  Conv b = *c;
  b.x_md.data_type = pass == GCUT_CONV_BACKWARD_DATA ? dnnl_f32 : dnnl_bf16;
  b.y_md.data_type = pass == GCUT_CONV_FORWARD ? dnnl_f32 : dnnl_bf16;
  b.w_any.data_type = pass == GCUT_CONV_BACKWARD_WEIGHTS ? dnnl_f32 : dnnl_bf16;
  return b;
}

static gboolean
make_pd (GcutCpuKernel *k, const Conv *c, GcutConvPass pass,
         const dnnl_memory_desc_t *bias, GcutAct act, const_dnnl_primitive_desc_t hint,
         dnnl_primitive_desc_t *pd, GError **error)
{
  const gboolean fast = k->node->precision != GCUT_PRECISION_EXACT;
  const gboolean bf16 = k->node->precision == GCUT_PRECISION_BF16;
  dnnl_convolution_desc_t d;

  /* Winograd where the plan allows it and oneDNN has it (3×3, stride 1): it
   * outruns bf16 direct there.  Else bf16 where the CPU has it natively, unless
   * oneDNN only has its reference code for it.  Else oneDNN's choice among the
   * exact algorithms, which may itself be Winograd for the weight gradient,
   * where its error stays at rounding level. */
  if (!c->transposed && fast
      && init_desc (c, pass, bias, dnnl_convolution_winograd, &d) == dnnl_success
      && gcut_dnnl_pd (&d, act, k->node->p.slope, hint, pd, NULL))
    return TRUE;
  if (bf16 && bf16_native ())
    {
      Conv b = bf16_conv (c, pass);
      if (init_desc (&b, pass, bias, dnnl_convolution_direct, &d) == dnnl_success
          && gcut_dnnl_pd (&d, act, k->node->p.slope, hint, pd, NULL))
        {
          if (!gcut_dnnl_is_reference (*pd))
            return TRUE;
          g_clear_pointer (pd, dnnl_primitive_desc_destroy);
        }
    }
  return gcut_dnnl_check (init_desc (c, pass, bias, dnnl_convolution_auto, &d),
                          "describing the convolution", error)
         && gcut_dnnl_pd (&d, act, k->node->p.slope, hint, pd, error);
}

/* The primitive descriptor of the pass; backward ones are chosen against a
 * forward one, kept as the hint. */
static gboolean
make_pass_pd (GcutCpuKernel *k, const Conv *c, GcutConvPass pass,
              dnnl_primitive_desc_t *pd, GError **error)
{
  GcutDnnlSeq *s = gcut_dnnl_seq (k);
  dnnl_memory_desc_t b_md;

  if (pass == GCUT_CONV_FORWARD)
    {
      if (k->n_in > 2)
        gcut_cpu_md (&k->in[2], &b_md);
      return make_pd (k, c, pass, k->n_in > 2 ? &b_md : NULL, k->node->p.act, NULL, pd,
                      error);
    }
  return make_pd (k, c, GCUT_CONV_FORWARD, NULL, GCUT_ACT_NONE, NULL, &s->hint, error)
         && make_pd (k, c, pass, NULL, GCUT_ACT_NONE, s->hint, pd, error);
}

static GcutDnnlArg
weights_arg (int arg, const Conv *c, gboolean output)
{
  return (GcutDnnlArg){ .arg = arg, .md = c->w_md, .data = c->w->data, .output = output };
}

/* Weights are read, and their gradient written, through the primitive's own
 * blocked layout, reordered at each run since they change at each step. */
static gboolean
bind (GcutCpuKernel *k, const Conv *c, GcutConvPass pass, const_dnnl_primitive_desc_t pd,
      GError **error)
{
  GcutDnnlArg a[4];

  switch (pass)
    {
    case GCUT_CONV_FORWARD:
      a[0] = gcut_dnnl_tensor_arg (DNNL_ARG_SRC, c->x, FALSE);
      a[1] = weights_arg (DNNL_ARG_WEIGHTS, c, FALSE);
      a[2] = gcut_dnnl_tensor_arg (DNNL_ARG_DST, c->y, TRUE);
      if (k->n_in > 2)
        a[3] = gcut_dnnl_tensor_arg (DNNL_ARG_BIAS, &k->in[2], FALSE);
      return gcut_dnnl_add (k, pd, a, k->n_in > 2 ? 4 : 3, error);
    case GCUT_CONV_BACKWARD_DATA:
      a[0] = gcut_dnnl_tensor_arg (DNNL_ARG_DIFF_DST, c->y, FALSE);
      a[1] = weights_arg (DNNL_ARG_WEIGHTS, c, FALSE);
      a[2] = gcut_dnnl_tensor_arg (DNNL_ARG_DIFF_SRC, c->x, TRUE);
      return gcut_dnnl_add (k, pd, a, 3, error);
    default:
      a[0] = gcut_dnnl_tensor_arg (DNNL_ARG_SRC, c->x, FALSE);
      a[1] = gcut_dnnl_tensor_arg (DNNL_ARG_DIFF_DST, c->y, FALSE);
      a[2] = weights_arg (DNNL_ARG_DIFF_WEIGHTS, c, TRUE);
      return gcut_dnnl_add (k, pd, a, 3, error);
    }
}

gboolean
gcut_cpu_conv_prepare (GcutCpuKernel *k, gboolean transposed, GcutConvPass pass,
                       GError **error)
{
  g_auto (dnnl_primitive_desc_t) pd = NULL;
  GcutDnnlSeq *s = gcut_dnnl_seq (k);
  Conv c;

  if (!describe (k, transposed, pass, &c, error)
      || !make_pass_pd (k, &c, pass, &pd, error))
    return FALSE;
  if (gcut_dnnl_is_reference (pd))
    {
      /* Only the slow reference code takes the plan's layouts (e.g. 3 output
       * channels from a blocked image): let oneDNN pick the image layouts too,
       * through reorders. */
      dnnl_primitive_desc_destroy (g_steal_pointer (&pd));
      g_clear_pointer (&s->hint, dnnl_primitive_desc_destroy);
      any_layout (&c.x_md);
      any_layout (&c.y_md);
      if (!make_pass_pd (k, &c, pass, &pd, error))
        return FALSE;
    }
  return bind (k, &c, pass, pd, error);
}

static gboolean
conv_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_conv_prepare (k, FALSE, GCUT_CONV_FORWARD, error);
}

static gboolean
conv_bwd_data_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_conv_prepare (k, FALSE, GCUT_CONV_BACKWARD_DATA, error);
}

static gboolean
conv_bwd_weights_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_conv_prepare (k, FALSE, GCUT_CONV_BACKWARD_WEIGHTS, error);
}

const GcutCpuOp gcut_cpu_conv2d = { conv_prepare, gcut_dnnl_run, gcut_dnnl_release };
const GcutCpuOp gcut_cpu_conv2d_bwd_data
    = { conv_bwd_data_prepare, gcut_dnnl_run, gcut_dnnl_release };
const GcutCpuOp gcut_cpu_conv2d_bwd_weights
    = { conv_bwd_weights_prepare, gcut_dnnl_run, gcut_dnnl_release };
