/* CUT's PatchSampleF: the feature vectors of x (N, C, H, W) at flat locations
 * idx (P) of the H·W grid, as rows n·P + p of an (N·P, C) matrix.
 * GATHER_BWD (gy, idx) scatter-adds the rows back into a zeroed image; the
 * image size cannot be read off its inputs, so it travels in p.pad[0] (height)
 * and p.pad[1] (width).  The plan checks index ranges when they are set. */
#include "../graph-private.h"

/* Input i must be a list of indices. */
static gboolean
expect_indices (const GcutGraph *graph, const GcutNode *node, int i, GError **error)
{
  const GcutNode *idx = gcut_graph_node (graph, node->inputs[i]);
  if (idx->dtype != GCUT_DTYPE_I32 || idx->shape.n_dims != 1)
    {
      g_autofree char *s = gcut_shape_to_string (&idx->shape);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "input %d must be an index list (gcut_input_indices), not a float "
                   "tensor %s",
                   i, s);
      return FALSE;
    }
  return TRUE;
}

static gboolean
gather_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  const GcutShape *idx = &gcut_graph_node (graph, node->inputs[1])->shape;
  if (!gcut_expect_dims (graph, node, 0, 4, error)
      || !expect_indices (graph, node, 1, error))
    return FALSE;
  node->shape = gcut_shape2 (x->dims[0] * idx->dims[0], x->dims[1]);
  return TRUE;
}

static void
gather_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                 GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self);
  const GcutShape *x = &gcut_graph_node (graph, node.inputs[0])->shape;
  GcutOpParams p = { .pad = { x->dims[2], x->dims[3] } };
  GcutValue in[2] = { gy, node.inputs[1] };
  gx[0] = gcut_graph_add (graph, GCUT_OP_GATHER_BWD, in, 2, &p);
}

static gboolean
gather_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *gy = &gcut_graph_node (graph, node->inputs[0])->shape;
  gint64 p = gcut_graph_node (graph, node->inputs[1])->shape.dims[0];
  if (!gcut_expect_dims (graph, node, 0, 2, error)
      || !expect_indices (graph, node, 1, error))
    return FALSE;
  if (gy->dims[0] % p != 0 || node->p.pad[0] < 1 || node->p.pad[1] < 1)
    {
      g_autofree char *s = gcut_shape_to_string (gy);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "a gradient %s is not %" G_GINT64_FORMAT
                   " rows per image of %d x %d pixels",
                   s, p, node->p.pad[0], node->p.pad[1]);
      return FALSE;
    }
  node->shape
      = gcut_shape4 (gy->dims[0] / p, gy->dims[1], node->p.pad[0], node->p.pad[1]);
  return TRUE;
}

const GcutOpClass gcut_op_gather = { "gather locations", gather_infer, gather_backward };
const GcutOpClass gcut_op_gather_bwd
    = { "gather locations backward", gather_bwd_infer, NULL };

GcutValue
gcut_gather_locations (GcutGraph *graph, GcutValue x, GcutValue idx)
{
  GcutValue in[2] = { x, idx };
  return gcut_graph_add (graph, GCUT_OP_GATHER, in, 2, NULL);
}
