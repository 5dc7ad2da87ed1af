/* Reshape (a copy of plain data under another shape of the same size, p.shape),
 * detach (a copy the gradient does not flow through) and fill diagonal (the
 * last two dimensions' diagonal set to p.beta; its gradient is 0 there). */
#include "math-private.h"

static gboolean
reshape_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  const GcutShape *t = &node->p.shape;
  gboolean positive = t->n_dims >= 1 && t->n_dims <= GCUT_MAX_DIMS;

  if (!gcut_expect_float (graph, node, 0, error))
    return FALSE;
  for (int d = 0; positive && d < t->n_dims; d++)
    positive = t->dims[d] > 0;
  if (!positive || gcut_shape_numel (t) != gcut_shape_numel (x))
    {
      g_autofree char *sx = gcut_shape_to_string (x);
      g_autofree char *st = gcut_shape_to_string (t);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s (%" G_GINT64_FORMAT " elements) cannot be seen as %s", sx,
                   gcut_shape_numel (x), st);
      return FALSE;
    }
  node->shape = *t;
  return TRUE;
}

static void
reshape_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                  GcutValue *gx)
{
  GcutValue x = gcut_graph_node (graph, self)->inputs[0];
  gx[0] = gcut_reshape (graph, gy, gcut_graph_node (graph, x)->shape);
}

static gboolean
same_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!gcut_expect_float (graph, node, 0, error))
    return FALSE;
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return TRUE;
}

/* No gradient: gx[0] stays GCUT_NONE. */
static void
detach_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                 GcutValue *gx)
{
}

static gboolean
fill_diagonal_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  if (!same_infer (graph, node, error))
    return FALSE;
  if (x->n_dims < 2 || x->dims[x->n_dims - 1] != x->dims[x->n_dims - 2])
    {
      g_autofree char *s = gcut_shape_to_string (x);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the last two dimensions must be equal (square matrices), not %s", s);
      return FALSE;
    }
  return TRUE;
}

static void
fill_diagonal_backward (GcutGraph *graph, GcutValue self, GcutValue gy,
                        const gboolean *need, GcutValue *gx)
{
  gx[0] = gcut_fill_diagonal (graph, gy, 0.f);
}

const GcutOpClass gcut_op_reshape = { "reshape", reshape_infer, reshape_backward };
const GcutOpClass gcut_op_detach = { "detach", same_infer, detach_backward };
const GcutOpClass gcut_op_fill_diagonal
    = { "fill diagonal", fill_diagonal_infer, fill_diagonal_backward };

GcutValue
gcut_reshape (GcutGraph *graph, GcutValue x, GcutShape shape)
{
  GcutOpParams p = { .shape = shape };
  return gcut_graph_add (graph, GCUT_OP_RESHAPE, &x, 1, &p);
}

GcutValue
gcut_detach (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_DETACH, &x, 1, NULL);
}

GcutValue
gcut_fill_diagonal (GcutGraph *graph, GcutValue x, float value)
{
  GcutOpParams p = { .beta = value };
  return gcut_graph_add (graph, GCUT_OP_FILL_DIAGONAL, &x, 1, &p);
}
