/* Rows divided by their L2 norm plus eps, as CUT's Normalize: y = x / (‖x‖ + eps).
 * Its backward L2_NORMALIZE_BWD (x, gy) is exact for this form. */
#include <math.h>
#include "../graph-private.h"

static gboolean
l2_normalize_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!gcut_expect_dims (graph, node, 0, 2, error))
    return FALSE;
  if (!(node->p.eps >= 0.f) || !isfinite (node->p.eps))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "eps must be finite and 0 or more, not %g", node->p.eps);
      return FALSE;
    }
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return TRUE;
}

static void
l2_normalize_backward (GcutGraph *graph, GcutValue self, GcutValue gy,
                       const gboolean *need, GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self);
  GcutValue in[2] = { node.inputs[0], gy };
  gx[0] = gcut_graph_add (graph, GCUT_OP_L2_NORMALIZE_BWD, in, 2, &node.p);
}

static gboolean
l2_normalize_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  const GcutShape *gy = &gcut_graph_node (graph, node->inputs[1])->shape;
  if (!l2_normalize_infer (graph, node, error))
    return FALSE;
  if (!gcut_shape_equal (x, gy))
    {
      g_autofree char *sx = gcut_shape_to_string (x);
      g_autofree char *sg = gcut_shape_to_string (gy);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the gradient %s does not match the input %s", sg, sx);
      return FALSE;
    }
  return TRUE;
}

const GcutOpClass gcut_op_l2_normalize
    = { "L2 normalize", l2_normalize_infer, l2_normalize_backward };
const GcutOpClass gcut_op_l2_normalize_bwd
    = { "L2 normalize backward", l2_normalize_bwd_infer, NULL };

GcutValue
gcut_l2_normalize (GcutGraph *graph, GcutValue x, float eps)
{
  GcutOpParams p = { .eps = eps };
  return gcut_graph_add (graph, GCUT_OP_L2_NORMALIZE, &x, 1, &p);
}
