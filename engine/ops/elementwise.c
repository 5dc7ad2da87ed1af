/* Elementwise ops.  Binary ones broadcast like NumPy over operands with the
 * same number of dimensions; the gradient of a broadcast operand is summed
 * back to its shape.  The helper ops of the backward passes:
 *   DIV_BWD (a, b) = −a·b       (∂/∂b of a/b is −gy·y/b = DIV_BWD (gy/b, y))
 *   SQUARE_BWD (gy, x) = 2·gy·x
 *   ABS_BWD (gy, x) = gy·sign(x)  (0 at 0, as PyTorch)
 *   SOFTPLUS_BWD (gy, x) = gy·σ(x) */
#include <math.h>
#include "math-private.h"

gboolean
gcut_expect_float (const GcutGraph *graph, const GcutNode *node, int i, GError **error)
{
  if (gcut_graph_node (graph, node->inputs[i])->dtype == GCUT_DTYPE_F32)
    return TRUE;
  g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
               "input %d must be a float tensor, not indices", i);
  return FALSE;
}

static gboolean
binary_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *a = &gcut_graph_node (graph, node->inputs[0])->shape;
  const GcutShape *b = &gcut_graph_node (graph, node->inputs[1])->shape;

  if (!gcut_expect_float (graph, node, 0, error)
      || !gcut_expect_float (graph, node, 1, error))
    return FALSE;
  if (a->n_dims != b->n_dims)
    {
      g_autofree char *sa = gcut_shape_to_string (a);
      g_autofree char *sb = gcut_shape_to_string (b);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "the shapes %s and %s have different numbers of dimensions; "
                   "broadcasting needs the same number (reshape first)",
                   sa, sb);
      return FALSE;
    }
  node->shape = *a;
  for (int d = 0; d < a->n_dims; d++)
    {
      if (a->dims[d] != b->dims[d] && a->dims[d] != 1 && b->dims[d] != 1)
        {
          g_autofree char *sa = gcut_shape_to_string (a);
          g_autofree char *sb = gcut_shape_to_string (b);
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "the shapes %s and %s cannot be broadcast: dimension %d is "
                       "%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                       sa, sb, d, a->dims[d], b->dims[d]);
          return FALSE;
        }
      node->shape.dims[d] = MAX (a->dims[d], b->dims[d]);
    }
  return TRUE;
}

static GcutValue
binary (GcutGraph *graph, GcutOp op, GcutValue a, GcutValue b)
{
  GcutValue in[2] = { a, b };
  return gcut_graph_add (graph, op, in, 2, NULL);
}

static void
binary_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                 GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutValue a = node.inputs[0], b = node.inputs[1];
  GcutShape sa = gcut_graph_node (graph, a)->shape,
            sb = gcut_graph_node (graph, b)->shape;
  GcutValue ga = GCUT_NONE, gb = GCUT_NONE;

  switch (node.op)
    {
    case GCUT_OP_ADD_BROADCAST:
      ga = gb = gy;
      break;
    case GCUT_OP_SUB:
      ga = gy;
      if (need[1])
        gx[1] = gcut_affine (graph, gcut_sum_to (graph, gy, sb, 1.f), -1.f, 0.f);
      break;
    case GCUT_OP_MUL:
      ga = need[0] ? binary (graph, GCUT_OP_MUL, gy, b) : GCUT_NONE;
      gb = need[1] ? binary (graph, GCUT_OP_MUL, gy, a) : GCUT_NONE;
      break;
    case GCUT_OP_DIV:
      ga = binary (graph, GCUT_OP_DIV, gy, b);
      gb = need[1] ? binary (graph, GCUT_OP_DIV_BWD, ga, self) : GCUT_NONE;
      break;
    case GCUT_OP_DIV_BWD:
      ga = need[0] ? binary (graph, GCUT_OP_DIV_BWD, gy, b) : GCUT_NONE;
      gb = need[1] ? binary (graph, GCUT_OP_DIV_BWD, gy, a) : GCUT_NONE;
      break;
    default:
      gcut_graph_set_error (graph, g_error_new (GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                                           "%s cannot be differentiated",
                                           gcut_op_class (node.op)->name));
      return;
    }
  if (need[0] && ga != GCUT_NONE)
    gx[0] = gcut_sum_to (graph, ga, sa, 1.f);
  if (need[1] && gb != GCUT_NONE)
    gx[1] = gcut_sum_to (graph, gb, sb, 1.f);
}

static gboolean
unary_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  if (!gcut_expect_float (graph, node, 0, error))
    return FALSE;
  if (node->op == GCUT_OP_AFFINE
      && !(isfinite (node->p.alpha) && isfinite (node->p.beta)))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "alpha and beta must be finite, not %g and %g", node->p.alpha,
                   node->p.beta);
      return FALSE;
    }
  node->shape = gcut_graph_node (graph, node->inputs[0])->shape;
  return TRUE;
}

static void
unary_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutValue x = node.inputs[0];

  switch (node.op)
    {
    case GCUT_OP_AFFINE:
      gx[0] = gcut_affine (graph, gy, node.p.alpha, 0.f);
      break;
    case GCUT_OP_EXP:
      gx[0] = binary (graph, GCUT_OP_MUL, gy, self);
      break;
    case GCUT_OP_LOG:
      gx[0] = binary (graph, GCUT_OP_DIV, gy, x);
      break;
    case GCUT_OP_SQUARE:
      gx[0] = binary (graph, GCUT_OP_SQUARE_BWD, gy, x);
      break;
    case GCUT_OP_ABS:
      gx[0] = binary (graph, GCUT_OP_ABS_BWD, gy, x);
      break;
    case GCUT_OP_SOFTPLUS:
      gx[0] = binary (graph, GCUT_OP_SOFTPLUS_BWD, gy, x);
      break;
    default:
      g_assert_not_reached ();
    }
}

const GcutOpClass gcut_op_mul = { "mul", binary_infer, binary_backward };
const GcutOpClass gcut_op_div = { "div", binary_infer, binary_backward };
const GcutOpClass gcut_op_sub = { "sub", binary_infer, binary_backward };
const GcutOpClass gcut_op_add_broadcast
    = { "add broadcast", binary_infer, binary_backward };
const GcutOpClass gcut_op_div_bwd = { "div backward", binary_infer, binary_backward };
const GcutOpClass gcut_op_square_bwd = { "square backward", binary_infer, NULL };
const GcutOpClass gcut_op_abs_bwd = { "abs backward", binary_infer, NULL };
const GcutOpClass gcut_op_softplus_bwd = { "softplus backward", binary_infer, NULL };
const GcutOpClass gcut_op_affine = { "affine", unary_infer, unary_backward };
const GcutOpClass gcut_op_exp = { "exp", unary_infer, unary_backward };
const GcutOpClass gcut_op_log = { "log", unary_infer, unary_backward };
const GcutOpClass gcut_op_square = { "square", unary_infer, unary_backward };
const GcutOpClass gcut_op_abs = { "abs", unary_infer, unary_backward };
const GcutOpClass gcut_op_softplus = { "softplus", unary_infer, unary_backward };

GcutValue
gcut_mul (GcutGraph *graph, GcutValue a, GcutValue b)
{
  return binary (graph, GCUT_OP_MUL, a, b);
}

GcutValue
gcut_div (GcutGraph *graph, GcutValue a, GcutValue b)
{
  return binary (graph, GCUT_OP_DIV, a, b);
}

GcutValue
gcut_sub (GcutGraph *graph, GcutValue a, GcutValue b)
{
  return binary (graph, GCUT_OP_SUB, a, b);
}

GcutValue
gcut_add_broadcast (GcutGraph *graph, GcutValue a, GcutValue b)
{
  return binary (graph, GCUT_OP_ADD_BROADCAST, a, b);
}

GcutValue
gcut_affine (GcutGraph *graph, GcutValue x, float alpha, float beta)
{
  GcutOpParams p = { .alpha = alpha, .beta = beta };
  return gcut_graph_add (graph, GCUT_OP_AFFINE, &x, 1, &p);
}

GcutValue
gcut_exp (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_EXP, &x, 1, NULL);
}

GcutValue
gcut_log (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_LOG, &x, 1, NULL);
}

GcutValue
gcut_square (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_SQUARE, &x, 1, NULL);
}

GcutValue
gcut_abs (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_ABS, &x, 1, NULL);
}

GcutValue
gcut_softplus (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_SOFTPLUS, &x, 1, NULL);
}
