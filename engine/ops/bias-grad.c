/* Bias gradient: the sum over all but the channel axis of an image gradient
 * (N, C, H, W) → (C), or the column sums of a matrix gradient (rows, cols) →
 * (cols): in both, dimension 1 is kept. */
#include "../graph-private.h"

static gboolean
bias_grad_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutNode *g = gcut_graph_node (graph, node->inputs[0]);
  if (g->dtype != GCUT_DTYPE_F32 || (g->shape.n_dims != 4 && g->shape.n_dims != 2))
    {
      g_autofree char *s = gcut_shape_to_string (&g->shape);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the gradient must be a float image or matrix, not %s%s", s,
                   g->dtype == GCUT_DTYPE_F32 ? "" : " of indices");
      return FALSE;
    }
  node->shape = gcut_shape1 (g->shape.dims[1]);
  return TRUE;
}

const GcutOpClass gcut_op_bias_grad = { "bias gradient", bias_grad_infer, NULL };
