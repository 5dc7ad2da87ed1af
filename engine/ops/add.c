/* Elementwise sum of two values of one shape, and the copy a plan uses to move
 * a value into another layout (e.g. a gradient into a parameter's plain
 * storage). */
#include "../graph-private.h"

static gboolean
add_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutNode *a = gcut_graph_node (graph, node->inputs[0]);
  const GcutNode *b = gcut_graph_node (graph, node->inputs[1]);
  if (a->dtype != GCUT_DTYPE_F32 || b->dtype != GCUT_DTYPE_F32)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           "indices are not numbers to add");
      return FALSE;
    }
  if (!gcut_shape_equal (&a->shape, &b->shape))
    {
      g_autofree char *sa = gcut_shape_to_string (&a->shape);
      g_autofree char *sb = gcut_shape_to_string (&b->shape);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the shapes %s and %s differ", sa, sb);
      return FALSE;
    }
  node->shape = a->shape;
  return TRUE;
}

static void
add_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
              GcutValue *gx)
{
  gx[0] = gx[1] = gy;
}

static gboolean
copy_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  node->dtype = gcut_graph_node (graph, node->inputs[0])->dtype;
  return TRUE;
}

const GcutOpClass gcut_op_add = { "add", add_infer, add_backward };
const GcutOpClass gcut_op_copy = { "copy", copy_infer, NULL };

GcutValue
gcut_add (GcutGraph *graph, GcutValue a, GcutValue b)
{
  GcutValue in[2] = { a, b };
  return gcut_graph_add (graph, GCUT_OP_ADD, in, 2, NULL);
}
