/* Fully connected layer: y (rows, out) = x (rows, in) · wᵀ + b, with w (out, in)
 * as in PyTorch; a fused activation (p.act) is applied last. */
#include "../graph-private.h"

static gboolean
linear_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x, *w;

  if (!gcut_expect_dims (graph, node, 0, 2, error)
      || !gcut_expect_dims (graph, node, 1, 2, error)
      || (node->n_inputs > 2 && !gcut_expect_dims (graph, node, 2, 1, error)))
    return FALSE;
  x = &gcut_graph_node (graph, node->inputs[0])->shape;
  w = &gcut_graph_node (graph, node->inputs[1])->shape;
  if (w->dims[1] != x->dims[1])
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "weight has %" G_GINT64_FORMAT
                   " input features but x has %" G_GINT64_FORMAT,
                   w->dims[1], x->dims[1]);
      return FALSE;
    }
  if (node->n_inputs > 2
      && gcut_graph_node (graph, node->inputs[2])->shape.dims[0] != w->dims[0])
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "bias has %" G_GINT64_FORMAT
                   " entries but the weight has %" G_GINT64_FORMAT " outputs",
                   gcut_graph_node (graph, node->inputs[2])->shape.dims[0], w->dims[0]);
      return FALSE;
    }
  node->shape = gcut_shape2 (x->dims[0], w->dims[0]);
  return TRUE;
}

static void
linear_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                 GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutValue g = gcut_act_backward (graph, self, gy);

  if (need[0])
    gx[0] = gcut_graph_add (graph, GCUT_OP_LINEAR_BWD_DATA,
                            (GcutValue[]){ g, node.inputs[1] }, 2, NULL);
  if (need[1])
    gx[1] = gcut_graph_add (graph, GCUT_OP_LINEAR_BWD_WEIGHTS,
                            (GcutValue[]){ node.inputs[0], g }, 2, NULL);
  if (node.n_inputs > 2 && need[2])
    gx[2] = gcut_graph_add (graph, GCUT_OP_BIAS_GRAD, &g, 1, NULL);
}

/* gy (rows, out), w (out, in) → dx (rows, in) */
static gboolean
linear_bwd_data_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!gcut_expect_dims (graph, node, 0, 2, error)
      || !gcut_expect_dims (graph, node, 1, 2, error))
    return FALSE;
  node->shape = gcut_shape2 (gcut_graph_node (graph, node->inputs[0])->shape.dims[0],
                             gcut_graph_node (graph, node->inputs[1])->shape.dims[1]);
  return TRUE;
}

/* x (rows, in), gy (rows, out) → dw (out, in) */
static gboolean
linear_bwd_weights_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!gcut_expect_dims (graph, node, 0, 2, error)
      || !gcut_expect_dims (graph, node, 1, 2, error))
    return FALSE;
  node->shape = gcut_shape2 (gcut_graph_node (graph, node->inputs[1])->shape.dims[1],
                             gcut_graph_node (graph, node->inputs[0])->shape.dims[1]);
  return TRUE;
}

const GcutOpClass gcut_op_linear = { "linear", linear_infer, linear_backward };
const GcutOpClass gcut_op_linear_bwd_data
    = { "linear backward data", linear_bwd_data_infer, NULL };
const GcutOpClass gcut_op_linear_bwd_weights
    = { "linear backward weights", linear_bwd_weights_infer, NULL };

GcutValue
gcut_linear (GcutGraph *graph, GcutValue x, GcutValue weight, GcutValue bias)
{
  GcutValue in[3] = { x, weight, bias };
  return gcut_graph_add (graph, GCUT_OP_LINEAR, in, bias == GCUT_NONE ? 2 : 3, NULL);
}
