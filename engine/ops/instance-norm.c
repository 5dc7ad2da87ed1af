/* Instance normalization: per image and channel, (x − μ) / √(σ² + eps) over the
 * H·W pixels (biased variance), then · γ + β when given, then the activation the
 * plan may have fused in (p.act, p.slope).
 *
 * Inputs: x, then γ (C) if given, then β (C) if given; β needs γ, which keeps
 * the inputs unambiguous.  The backward kernels take x and recompute the
 * statistics instead of keeping state:
 *   INSTANCE_NORM_BWD (x, g, γ?) → dx,  INSTANCE_NORM_BWD_GAMMA (x, g) → dγ (C),
 * where g is the gradient before the fused activation; dβ is a BIAS_GRAD of g. */
#include <math.h>
#include "../graph-private.h"

/* Input i must be a vector of c channel values; `what` names it. */
static gboolean
expect_channels (const GcutGraph *graph, const GcutNode *node, int i, gint64 c,
                 const char *what, GError **error)
{
  const GcutNode *in = gcut_graph_node (graph, node->inputs[i]);
  if (in->dtype != GCUT_DTYPE_F32 || in->shape.n_dims != 1 || in->shape.dims[0] != c)
    {
      g_autofree char *s = gcut_shape_to_string (&in->shape);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s must be a float vector of the %" G_GINT64_FORMAT
                   " channels, not %s%s",
                   what, c, s, in->dtype == GCUT_DTYPE_F32 ? "" : " of indices");
      return FALSE;
    }
  return TRUE;
}

/* Checks x, eps and the channel vectors from input `first_vector` on, named by
 * `names`; the result has the shape of x. */
static gboolean
infer_image_op (const GcutGraph *graph, GcutNode *node, int first_vector,
                const char *const *names, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;

  if (!gcut_expect_dims (graph, node, 0, 4, error))
    return FALSE;
  if (!(node->p.eps >= 0.f) || !isfinite (node->p.eps))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "eps must be finite and 0 or more, not %g", node->p.eps);
      return FALSE;
    }
  for (int i = first_vector; i < node->n_inputs; i++)
    if (!expect_channels (graph, node, i, x->dims[1], names[i - first_vector], error))
      return FALSE;
  node->shape = *x;
  return TRUE;
}

static const char *const affine_names[] = { "gamma", "beta" };

static gboolean
instance_norm_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  return infer_image_op (graph, node, 1, affine_names, error);
}

static void
instance_norm_backward (GcutGraph *graph, GcutValue self, GcutValue gy,
                        const gboolean *need, GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* the array may grow */
  GcutOpParams p = { .eps = node.p.eps };
  GcutValue g = gcut_act_backward (graph, self, gy);
  GcutValue in[3] = { node.inputs[0], g, node.inputs[1] };

  if (need[0])
    gx[0] = gcut_graph_add (graph, GCUT_OP_INSTANCE_NORM_BWD, in,
                            node.n_inputs > 1 ? 3 : 2, &p);
  if (node.n_inputs > 1 && need[1])
    gx[1] = gcut_graph_add (graph, GCUT_OP_INSTANCE_NORM_BWD_GAMMA, in, 2, &p);
  if (node.n_inputs > 2 && need[2])
    gx[2] = gcut_graph_add (graph, GCUT_OP_BIAS_GRAD, &g, 1, NULL);
}

/* (x, g, γ?): g must match x, γ the channels. */
static gboolean
instance_norm_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *g = &gcut_graph_node (graph, node->inputs[1])->shape;
  if (!infer_image_op (graph, node, 2, affine_names, error))
    return FALSE;
  if (!gcut_shape_equal (g, &node->shape))
    {
      g_autofree char *sx = gcut_shape_to_string (&node->shape);
      g_autofree char *sg = gcut_shape_to_string (g);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the gradient %s does not match the input %s", sg, sx);
      return FALSE;
    }
  return TRUE;
}

static gboolean
instance_norm_bwd_gamma_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!instance_norm_bwd_infer (graph, node, error))
    return FALSE;
  node->shape = gcut_shape1 (node->shape.dims[1]);
  return TRUE;
}

const GcutOpClass gcut_op_instance_norm
    = { "instance norm", instance_norm_infer, instance_norm_backward };
const GcutOpClass gcut_op_instance_norm_bwd
    = { "instance norm backward", instance_norm_bwd_infer, NULL };
const GcutOpClass gcut_op_instance_norm_bwd_gamma
    = { "instance norm gamma gradient", instance_norm_bwd_gamma_infer, NULL };

GcutValue
gcut_instance_norm (GcutGraph *graph, GcutValue x, GcutValue gamma, GcutValue beta,
                    float eps)
{
  GcutValue in[3] = { x, gamma, beta };
  GcutOpParams p = { .eps = eps };

  if (gamma == GCUT_NONE && beta != GCUT_NONE)
    {
      gcut_graph_set_error (
          graph,
          g_error_new_literal (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                               "instance norm: beta needs gamma (give a gamma of ones)"));
      return GCUT_NONE;
    }
  return gcut_graph_add (graph, GCUT_OP_INSTANCE_NORM, in,
                         gamma == GCUT_NONE  ? 1
                         : beta == GCUT_NONE ? 2
                                             : 3,
                         &p);
}
