/* Sums, and the broadcast that is their backward:
 *   SUM_ROWS (…, rows, cols) → (…, rows, 1), SUM_COLS → (…, 1, cols),
 *   SUM_ALL and MEAN_ALL → (1),
 *   SUM_TO: x summed down to p.shape (right-aligned, each dimension 1 or x's),
 *     times p.alpha: the gradient of a broadcast operand,
 *   EXPAND: x broadcast up to p.shape, times p.alpha. */
#include "math-private.h"

static gboolean
sum_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;

  if (!gcut_expect_float (graph, node, 0, error))
    return FALSE;
  if ((node->op == GCUT_OP_SUM_ROWS || node->op == GCUT_OP_SUM_COLS) && x->n_dims < 2)
    {
      g_autofree char *s = gcut_shape_to_string (x);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "input 0 must be a matrix or a batch of matrices, not %s", s);
      return FALSE;
    }
  node->shape = *x;
  if (node->op == GCUT_OP_SUM_ROWS)
    node->shape.dims[x->n_dims - 1] = 1;
  else if (node->op == GCUT_OP_SUM_COLS)
    node->shape.dims[x->n_dims - 2] = 1;
  else
    node->shape = gcut_shape1 (1);
  return TRUE;
}

/* `small` fits into `big` by broadcasting: right-aligned, each dimension 1 or equal. */
static gboolean
broadcasts_to (const GcutShape *small, const GcutShape *big)
{
  int off = big->n_dims - small->n_dims;
  if (off < 0)
    return FALSE;
  for (int d = 0; d < small->n_dims; d++)
    if (small->dims[d] != 1 && small->dims[d] != big->dims[off + d])
      return FALSE;
  return TRUE;
}

static gboolean
sum_to_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  gboolean expand = node->op == GCUT_OP_EXPAND;

  if (!gcut_expect_float (graph, node, 0, error))
    return FALSE;
  if (node->p.shape.n_dims < 1 || node->p.shape.n_dims > GCUT_MAX_DIMS
      || !(expand ? broadcasts_to (x, &node->p.shape)
                  : broadcasts_to (&node->p.shape, x)))
    {
      g_autofree char *sx = gcut_shape_to_string (x);
      g_autofree char *st = gcut_shape_to_string (&node->p.shape);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT, "%s cannot be %s %s",
                   sx, expand ? "broadcast to" : "summed down to", st);
      return FALSE;
    }
  node->shape = node->p.shape;
  return TRUE;
}

static void
sum_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
              GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutShape x = gcut_graph_node (graph, node.inputs[0])->shape;

  switch (node.op)
    {
    case GCUT_OP_MEAN_ALL:
      gx[0] = gcut_expand_to (graph, gy, x, (float)(1.0 / gcut_shape_numel (&x)));
      break;
    case GCUT_OP_SUM_TO:
      gx[0] = gcut_expand_to (graph, gy, x, node.p.alpha);
      break;
    case GCUT_OP_EXPAND:
      gx[0] = gcut_sum_to (graph, gy, x, node.p.alpha);
      break;
    default:
      gx[0] = gcut_expand_to (graph, gy, x, 1.f);
    }
}

const GcutOpClass gcut_op_sum_rows = { "sum rows", sum_infer, sum_backward };
const GcutOpClass gcut_op_sum_cols = { "sum cols", sum_infer, sum_backward };
const GcutOpClass gcut_op_sum_all = { "sum all", sum_infer, sum_backward };
const GcutOpClass gcut_op_mean_all = { "mean all", sum_infer, sum_backward };
const GcutOpClass gcut_op_sum_to = { "sum to shape", sum_to_infer, sum_backward };
const GcutOpClass gcut_op_expand = { "expand", sum_to_infer, sum_backward };

GcutValue
gcut_sum_to (GcutGraph *graph, GcutValue x, GcutShape shape, float scale)
{
  GcutOpParams p = { .alpha = scale, .shape = shape };
  if (x >= 0 && x < gcut_graph_n_values (graph) && scale == 1.f)
    {
      GcutShape s = gcut_graph_shape (graph, x);
      if (gcut_shape_equal (&s, &shape))
        return x;
    }
  return gcut_graph_add (graph, GCUT_OP_SUM_TO, &x, 1, &p);
}

GcutValue
gcut_expand_to (GcutGraph *graph, GcutValue x, GcutShape shape, float scale)
{
  GcutOpParams p = { .alpha = scale, .shape = shape };
  return gcut_graph_add (graph, GCUT_OP_EXPAND, &x, 1, &p);
}

GcutValue
gcut_sum_rows (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_SUM_ROWS, &x, 1, NULL);
}

GcutValue
gcut_sum_cols (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_SUM_COLS, &x, 1, NULL);
}

GcutValue
gcut_sum_all (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_SUM_ALL, &x, 1, NULL);
}

GcutValue
gcut_mean_all (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_MEAN_ALL, &x, 1, NULL);
}
