/* Row-wise softmax and log-sum-exp of a (rows, cols) matrix, max-subtracted.
 *   SOFTMAX_BWD (y, gy): gx = y·(gy − Σ y·gy)
 *   LOGSUMEXP_BWD (x, y, gy): gx = exp(x − y)·gy, with y and gy (rows, 1). */
#include "../graph-private.h"

static gboolean
softmax_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!gcut_expect_dims (graph, node, 0, 2, error))
    return FALSE;
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return TRUE;
}

static gboolean
logsumexp_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!softmax_infer (graph, node, error))
    return FALSE;
  node->shape.dims[1] = 1;
  return TRUE;
}

/* Input i must have the shape `want`. */
static gboolean
expect_shape (const GcutGraph *graph, const GcutNode *node, int i, GcutShape want,
              GError **error)
{
  const GcutShape *got = &gcut_graph_node (graph, node->inputs[i])->shape;
  if (!gcut_shape_equal (&want, got))
    {
      g_autofree char *sw = gcut_shape_to_string (&want);
      g_autofree char *sg = gcut_shape_to_string (got);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "input %d must have the shape %s, not %s", i, sw, sg);
      return FALSE;
    }
  return TRUE;
}

static void
softmax_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                  GcutValue *gx)
{
  GcutValue in[2] = { self, gy };
  gx[0] = gcut_graph_add (graph, GCUT_OP_SOFTMAX_BWD, in, 2, NULL);
}

static gboolean
softmax_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  return softmax_infer (graph, node, error)
         && expect_shape (graph, node, 1, node->shape, error);
}

static void
logsumexp_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                    GcutValue *gx)
{
  GcutValue in[3] = { gcut_graph_node (graph, self)->inputs[0], self, gy };
  gx[0] = gcut_graph_add (graph, GCUT_OP_LOGSUMEXP_BWD, in, 3, NULL);
}

static gboolean
logsumexp_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  GcutShape column;
  if (!softmax_infer (graph, node, error))
    return FALSE;
  column = gcut_shape2 (node->shape.dims[0], 1);
  return expect_shape (graph, node, 1, column, error)
         && expect_shape (graph, node, 2, column, error);
}

const GcutOpClass gcut_op_softmax = { "softmax", softmax_infer, softmax_backward };
const GcutOpClass gcut_op_softmax_bwd = { "softmax backward", softmax_bwd_infer, NULL };
const GcutOpClass gcut_op_logsumexp
    = { "logsumexp", logsumexp_infer, logsumexp_backward };
const GcutOpClass gcut_op_logsumexp_bwd
    = { "logsumexp backward", logsumexp_bwd_infer, NULL };

GcutValue
gcut_softmax_rows (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_SOFTMAX, &x, 1, NULL);
}

GcutValue
gcut_logsumexp_rows (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_LOGSUMEXP, &x, 1, NULL);
}
