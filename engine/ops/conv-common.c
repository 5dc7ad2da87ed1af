#include "conv-private.h"

gboolean
gcut_conv_check_settings (const GcutOpParams *p, gboolean transposed, GError **error)
{
  const char *problem = p->stride < 1    ? "the stride must be at least 1"
                        : p->padding < 0 ? "the padding must not be negative"
                        : p->groups < 1  ? "groups must be at least 1"
                        : !transposed    ? NULL
                        : p->output_padding < 0
                            ? "the output padding must not be negative"
                        : p->output_padding >= p->stride
                            ? "the output padding must be smaller than the stride"
                            : NULL;
  if (!problem)
    return TRUE;
  if (transposed)
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                 "%s (stride %d, padding %d, output padding %d, groups %d)", problem,
                 p->stride, p->padding, p->output_padding, p->groups);
  else
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                 "%s (stride %d, padding %d, groups %d)", problem, p->stride, p->padding,
                 p->groups);
  return FALSE;
}

gboolean
gcut_conv_shapes (const GcutGraph *graph, const GcutNode *node, const GcutShape **a,
                  const GcutShape **b, GError **error)
{
  if (!gcut_expect_dims (graph, node, 0, 4, error)
      || !gcut_expect_dims (graph, node, 1, 4, error))
    return FALSE;
  *a = &gcut_graph_node (graph, node->inputs[0])->shape;
  *b = &gcut_graph_node (graph, node->inputs[1])->shape;
  return TRUE;
}

gboolean
gcut_conv_check_bias (const GcutGraph *graph, const GcutNode *node, gint64 c_out,
                      GError **error)
{
  gint64 n;
  if (node->n_inputs < 3)
    return TRUE;
  if (!gcut_expect_dims (graph, node, 2, 1, error))
    return FALSE;
  n = gcut_graph_node (graph, node->inputs[2])->shape.dims[0];
  if (n != c_out)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "bias has %" G_GINT64_FORMAT
                   " entries but the weight has %" G_GINT64_FORMAT " output channels",
                   n, c_out);
      return FALSE;
    }
  return TRUE;
}

gboolean
gcut_conv_check_gradient (const GcutShape *gy, gint64 c_out, GError **error)
{
  if (gy->dims[1] == c_out)
    return TRUE;
  g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
               "the gradient has %" G_GINT64_FORMAT
               " channels but the weight has %" G_GINT64_FORMAT " outputs",
               gy->dims[1], c_out);
  return FALSE;
}

void
gcut_conv_backward_nodes (GcutGraph *graph, const GcutNode *node, GcutValue g,
                          const GcutOpParams *p, GcutOp data_op, GcutOp weights_op,
                          const gboolean *need, GcutValue *gx)
{
  if (need[0])
    gx[0] = gcut_graph_add (graph, data_op, (GcutValue[]){ g, node->inputs[1] }, 2, p);
  if (need[1])
    gx[1] = gcut_graph_add (graph, weights_op, (GcutValue[]){ node->inputs[0], g }, 2, p);
  if (node->n_inputs > 2 && need[2])
    gx[2] = gcut_graph_add (graph, GCUT_OP_BIAS_GRAD, &g, 1, NULL);
}
