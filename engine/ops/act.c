/* Activations: ReLU, leaky ReLU and tanh, and their backward, which reads the
 * output y (for leaky ReLU with a positive slope, y > 0 exactly where x > 0). */
#include "../graph-private.h"

static gboolean
act_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (node->p.act == GCUT_ACT_LEAKY_RELU && !(node->p.slope > 0.f))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the leaky ReLU slope must be positive, not %g", node->p.slope);
      return FALSE;
    }
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return gcut_graph_node (graph, node->inputs[0])->dtype == GCUT_DTYPE_F32
         || (g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                                  "indices are not numbers to activate"),
             FALSE);
}

/* Gradient through the activation fused into (or standing as) node `self`. */
GcutValue
gcut_act_backward (GcutGraph *graph, GcutValue self, GcutValue gy)
{
  GcutOpParams p = gcut_graph_node (graph, self)->p;
  GcutValue in[2] = { self, gy };
  if (p.act == GCUT_ACT_NONE)
    return gy;
  return gcut_graph_add (graph, GCUT_OP_ACT_BWD, in, 2, &p);
}

static void
act_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
              GcutValue *gx)
{
  gx[0] = gcut_act_backward (graph, self, gy);
}

static gboolean
act_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return TRUE;
}

const GcutOpClass gcut_op_act = { "activation", act_infer, act_backward };
const GcutOpClass gcut_op_act_bwd = { "activation backward", act_bwd_infer, NULL };

static GcutValue
activate (GcutGraph *graph, GcutValue x, GcutAct act, float slope)
{
  GcutOpParams p = { .act = act, .slope = slope };
  return gcut_graph_add (graph, GCUT_OP_ACT, &x, 1, &p);
}

GcutValue
gcut_relu (GcutGraph *graph, GcutValue x)
{
  return activate (graph, x, GCUT_ACT_RELU, 0.f);
}

GcutValue
gcut_leaky_relu (GcutGraph *graph, GcutValue x, float slope)
{
  return activate (graph, x, GCUT_ACT_LEAKY_RELU, slope);
}

GcutValue
gcut_tanh (GcutGraph *graph, GcutValue x)
{
  return activate (graph, x, GCUT_ACT_TANH, 0.f);
}
