/* Row maxima: MAX_ROWS (…, rows, cols) → (…, rows, 1), and MAX_ROWS_BWD (x, y, gy),
 * which hands each row's gradient to the first entry equal to the maximum. */
#include "math-private.h"

static gboolean
max_rows_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  if (!gcut_expect_float (graph, node, 0, error))
    return FALSE;
  if (x->n_dims < 2 || x->n_dims > 3)
    {
      g_autofree char *s = gcut_shape_to_string (x);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "input 0 must be a matrix or a batch of matrices, not %s", s);
      return FALSE;
    }
  node->shape = *x;
  node->shape.dims[x->n_dims - 1] = 1;
  return TRUE;
}

static void
max_rows_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                   GcutValue *gx)
{
  GcutValue in[3] = { gcut_graph_node (graph, self)->inputs[0], self, gy };
  gx[0] = gcut_graph_add (graph, GCUT_OP_MAX_ROWS_BWD, in, 3, NULL);
}

static gboolean
max_rows_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return TRUE;
}

const GcutOpClass gcut_op_max_rows = { "max rows", max_rows_infer, max_rows_backward };
const GcutOpClass gcut_op_max_rows_bwd
    = { "max rows backward", max_rows_bwd_infer, NULL };

GcutValue
gcut_max_rows (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_MAX_ROWS, &x, 1, NULL);
}
