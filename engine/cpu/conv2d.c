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
  const GcutTensor *x, *w, *y;
  GcutDnnlLayout w_plain; /* the weights as stored; d.w lets oneDNN choose */
  GcutDnnlLayout bias;
  GcutDnnlConv d;
} Conv;

/* oneDNN describes PyTorch's weights as (groups, out, in, kh, kw): OIHW for a
 * convolution, IOHW for a transposed one, whose weight is (C_in, C_out/groups). */
static void
describe_weights (Conv *c, int groups)
{
  const gint64 ic = c->x->shape.dims[1], oc = c->y->shape.dims[1];
  const gint64 kh = c->w->shape.dims[2], kw = c->w->shape.dims[3];
  GcutDnnlLayout *l = &c->w_plain;

  if (groups > 1)
    *l = (GcutDnnlLayout){ 5,
                           { groups, oc / groups, ic / groups, kh, kw },
                           dnnl_f32,
                           c->d.transposed ? dnnl_giohw : dnnl_goihw };
  else
    *l = (GcutDnnlLayout){
      4, { oc, ic, kh, kw }, dnnl_f32, c->d.transposed ? dnnl_iohw : dnnl_oihw
    };
  c->d.w = *l;
  c->d.w.tag = dnnl_format_tag_any;
}

static gboolean
describe (GcutCpuKernel *k, gboolean transposed, GcutConvPass pass, Conv *c,
          GError **error)
{
  const GcutOpParams *p = &k->node->p;

  c->d.transposed = transposed;
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
  gcut_cpu_layout (c->x, &c->d.x);
  gcut_cpu_layout (c->y, &c->d.y);
  if (pass == GCUT_CONV_FORWARD && k->n_in > 2)
    gcut_cpu_layout (&k->in[2], &c->bias);
  for (int i = 0; i < 2; i++)
    {
      /* The far-side padding that makes the sizes agree; it is negative when
       * the last rows of the larger side are never reached. */
      gint64 x = c->x->shape.dims[2 + i], y = c->y->shape.dims[2 + i];
      gint64 kernel = c->w->shape.dims[2 + i];
      gint64 small = transposed ? x : y, large = transposed ? y : x;
      c->d.strides[i] = p->stride;
      c->d.pad_l[i] = p->padding;
      c->d.pad_r[i] = (small - 1) * p->stride + kernel - large - p->padding;
    }
  return TRUE;
}

/* Without avx512_bf16 (or AMX) oneDNN emulates bf16, slower than f32. */
static gboolean
bf16_native (void)
{
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa ();
  return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

/* The pass with its inputs in bf16: x and w forward, y (the output gradient)
 * and w backward to data, x and y backward to weights. */
static GcutDnnlConv
bf16_conv (const GcutDnnlConv *d)
{
  GcutDnnlConv b = *d;
  b.x.type = d->pass == GCUT_CONV_BACKWARD_DATA ? dnnl_f32 : dnnl_bf16;
  b.y.type = d->pass == GCUT_CONV_FORWARD ? dnnl_f32 : dnnl_bf16;
  b.w.type = d->pass == GCUT_CONV_BACKWARD_WEIGHTS ? dnnl_f32 : dnnl_bf16;
  b.alg = dnnl_convolution_direct;
  return b;
}

static gboolean
make_pd (GcutCpuKernel *k, const Conv *c, GcutConvPass pass, gboolean with_bias,
         GcutAct act, const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd,
         GError **error)
{
  const gboolean fast = k->node->precision != GCUT_PRECISION_EXACT;
  const gboolean bf16 = k->node->precision == GCUT_PRECISION_BF16;
  g_auto (dnnl_primitive_attr_t) attr = NULL;
  GcutDnnlConv d = c->d;

  d.pass = pass;
  d.bias = with_bias ? &c->bias : NULL;
  if (!gcut_dnnl_attr_new (act, k->node->p.slope, &attr, error))
    return FALSE;
  /* Winograd where the plan allows it and oneDNN has it (3×3, stride 1; not
   * on x64 since oneDNN 3): it outruns bf16 direct there.  Else bf16 where the
   * CPU has it natively, unless oneDNN only has its reference code for it.
   * Else oneDNN's choice among the exact algorithms, which may itself be
   * Winograd for the weight gradient, where its error stays at rounding level. */
  d.alg = dnnl_convolution_winograd;
  if (!d.transposed && fast && gcut_dnnl_conv_pd (pd, &d, attr, hint) == dnnl_success)
    return TRUE;
  if (bf16 && bf16_native ())
    {
      GcutDnnlConv b = bf16_conv (&d);
      if (gcut_dnnl_conv_pd (pd, &b, attr, hint) == dnnl_success)
        {
          if (!gcut_dnnl_is_reference (*pd))
            return TRUE;
          g_clear_pointer (pd, dnnl_primitive_desc_destroy);
        }
    }
  d.alg = dnnl_convolution_auto;
  return gcut_dnnl_check (gcut_dnnl_conv_pd (pd, &d, attr, hint),
                          "creating the convolution", error);
}

/* The primitive descriptor of the pass; backward ones are chosen against a
 * forward one, kept as the hint. */
static gboolean
make_pass_pd (GcutCpuKernel *k, const Conv *c, GcutConvPass pass,
              dnnl_primitive_desc_t *pd, GError **error)
{
  GcutDnnlSeq *s = gcut_dnnl_seq (k);

  if (pass == GCUT_CONV_FORWARD)
    return make_pd (k, c, pass, k->n_in > 2, k->node->p.act, NULL, pd, error);
  return make_pd (k, c, GCUT_CONV_FORWARD, FALSE, GCUT_ACT_NONE, NULL, &s->hint, error)
         && make_pd (k, c, pass, FALSE, GCUT_ACT_NONE, s->hint, pd, error);
}

static GcutDnnlArg
weights_arg (int arg, const Conv *c, gboolean output)
{
  return (GcutDnnlArg){
    .arg = arg, .layout = c->w_plain, .data = c->w->data, .output = output
  };
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
  Conv c = { 0 };

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
      c.d.x.tag = dnnl_format_tag_any;
      c.d.y.tag = dnnl_format_tag_any;
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
