/* Matrix products op(a)·op(b) of matrices (rows, cols) or batches of them
 * (batch, rows, cols), op = transpose when p.transpose_a / p.transpose_b.
 * Backward, with A = op(a), B = op(b) and gy = ∂L/∂(A·B):
 *   ∂L/∂A = gy·Bᵀ, ∂L/∂B = Aᵀ·gy, transposed back where a or b was. */
#include "math-private.h"

static gboolean
matmul_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *s[2];
  gint64 inner[2], outer[2];
  int nd;

  for (int i = 0; i < 2; i++)
    {
      const GcutNode *in = gcut_graph_node (graph, node->inputs[i]);
      s[i] = &in->shape;
      if (in->dtype != GCUT_DTYPE_F32 || s[i]->n_dims < 2 || s[i]->n_dims > 3)
        {
          g_autofree char *str = gcut_shape_to_string (s[i]);
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "input %d must be a float matrix or batch of matrices (2 or 3 "
                       "dimensions), not %s%s",
                       i, str, in->dtype == GCUT_DTYPE_F32 ? "" : " of indices");
          return FALSE;
        }
    }
  nd = s[0]->n_dims;
  if (s[1]->n_dims != nd || (nd == 3 && s[0]->dims[0] != s[1]->dims[0]))
    {
      g_autofree char *sa = gcut_shape_to_string (s[0]);
      g_autofree char *sb = gcut_shape_to_string (s[1]);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s and %s must both be matrices, or batches of the same size", sa,
                   sb);
      return FALSE;
    }
  inner[0] = s[0]->dims[nd - (node->p.transpose_a ? 2 : 1)];
  outer[0] = s[0]->dims[nd - (node->p.transpose_a ? 1 : 2)];
  inner[1] = s[1]->dims[nd - (node->p.transpose_b ? 1 : 2)];
  outer[1] = s[1]->dims[nd - (node->p.transpose_b ? 2 : 1)];
  if (inner[0] != inner[1])
    {
      g_autofree char *sa = gcut_shape_to_string (s[0]);
      g_autofree char *sb = gcut_shape_to_string (s[1]);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "cannot multiply %s%s by %s%s: the inner sizes %" G_GINT64_FORMAT
                   " and %" G_GINT64_FORMAT " differ",
                   sa, node->p.transpose_a ? " transposed" : "", sb,
                   node->p.transpose_b ? " transposed" : "", inner[0], inner[1]);
      return FALSE;
    }
  node->shape = *s[0];
  node->shape.dims[nd - 2] = outer[0];
  node->shape.dims[nd - 1] = outer[1];
  return TRUE;
}

static void
matmul_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                 GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutValue a = node.inputs[0], b = node.inputs[1];
  gboolean ta = node.p.transpose_a, tb = node.p.transpose_b;

  if (need[0])
    gx[0] = ta ? gcut_matmul (graph, b, gy, tb, TRUE) /* (gy·Bᵀ)ᵀ = B·gyᵀ */
               : gcut_matmul (graph, gy, b, FALSE, !tb);
  if (need[1])
    gx[1] = tb ? gcut_matmul (graph, gy, a, TRUE, ta) /* (Aᵀ·gy)ᵀ = gyᵀ·A */
               : gcut_matmul (graph, a, gy, !ta, FALSE);
}

const GcutOpClass gcut_op_matmul = { "matmul", matmul_infer, matmul_backward };

GcutValue
gcut_matmul (GcutGraph *graph, GcutValue a, GcutValue b, gboolean transpose_a,
             gboolean transpose_b)
{
  GcutValue in[2] = { a, b };
  GcutOpParams p = { .transpose_a = !!transpose_a, .transpose_b = !!transpose_b };
  return gcut_graph_add (graph, GCUT_OP_MATMUL, in, 2, &p);
}
