/* CUT's antialiased resampling, depthwise and fixed:
 *   BLUR_DOWN (Downsample): reflect pad 1, blur [1,2,1]ᵀ[1,2,1]/16, stride 2:
 *     H → ⌊(H − 1)/2⌋ + 1;
 *   BLUR_UP (Upsample): replicate pad 1, transposed blur 4·[1,3,3,1]ᵀ[1,3,3,1]/64,
 *     stride 2, padding 2, minus one border pixel all round: H → 2H.
 * Their backward ops are the transposed maps.  BLUR_DOWN_BWD cannot tell an odd
 * size from the even one above it, so both backward ops carry the size of
 * their result in p.pad[0] (height) and p.pad[1] (width). */
#include "../graph-private.h"

static gint64
down_size (gint64 n)
{
  return (n - 1) / 2 + 1;
}

static gboolean
blur_down_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  if (!gcut_expect_dims (graph, node, 0, 4, error))
    return FALSE;
  if (x->dims[2] < 2 || x->dims[3] < 2)
    {
      g_set_error (
          error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
          "reflect padding by 1 needs at least 2 x 2 pixels, not %" G_GINT64_FORMAT
          " x %" G_GINT64_FORMAT,
          x->dims[2], x->dims[3]);
      return FALSE;
    }
  node->shape = gcut_shape4 (x->dims[0], x->dims[1], down_size (x->dims[2]),
                             down_size (x->dims[3]));
  return TRUE;
}

static gboolean
blur_up_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  if (!gcut_expect_dims (graph, node, 0, 4, error))
    return FALSE;
  node->shape = gcut_shape4 (x->dims[0], x->dims[1], 2 * x->dims[2], 2 * x->dims[3]);
  return TRUE;
}

/* The gradient goes through the op of `bwd` back to the size of the input. */
static void
blur_backward (GcutGraph *graph, GcutValue self, GcutOp bwd, GcutValue gy, GcutValue *gx)
{
  const GcutShape *x
      = &gcut_graph_node (graph, gcut_graph_node (graph, self)->inputs[0])->shape;
  GcutOpParams p = { .pad = { x->dims[2], x->dims[3] } };
  gx[0] = gcut_graph_add (graph, bwd, &gy, 1, &p);
}

static void
blur_down_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                    GcutValue *gx)
{
  blur_backward (graph, self, GCUT_OP_BLUR_DOWN_BWD, gy, gx);
}

static void
blur_up_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                  GcutValue *gx)
{
  blur_backward (graph, self, GCUT_OP_BLUR_UP_BWD, gy, gx);
}

/* The result (N, C, p.pad[0], p.pad[1]) must be at least min_size pixels each
 * way and what the forward op maps to the gradient's size. */
static gboolean
blur_bwd_infer (const GcutGraph *graph, GcutNode *node, int min_size,
                gint64 (*forward_size) (gint64), GError **error)
{
  const GcutShape *gy = &gcut_graph_node (graph, node->inputs[0])->shape;
  const int *size = node->p.pad;
  if (!gcut_expect_dims (graph, node, 0, 4, error))
    return FALSE;
  if (size[0] < min_size || size[1] < min_size || forward_size (size[0]) != gy->dims[2]
      || forward_size (size[1]) != gy->dims[3])
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "a %d x %d image does not resample to the %" G_GINT64_FORMAT
                   " x %" G_GINT64_FORMAT " gradient",
                   size[0], size[1], gy->dims[2], gy->dims[3]);
      return FALSE;
    }
  node->shape = gcut_shape4 (gy->dims[0], gy->dims[1], size[0], size[1]);
  return TRUE;
}

static gboolean
blur_down_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  return blur_bwd_infer (graph, node, 2, down_size, error);
}

static gint64
up_size (gint64 n)
{
  return 2 * n;
}

static gboolean
blur_up_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  return blur_bwd_infer (graph, node, 1, up_size, error);
}

const GcutOpClass gcut_op_blur_down
    = { "blur down", blur_down_infer, blur_down_backward };
const GcutOpClass gcut_op_blur_down_bwd
    = { "blur down backward", blur_down_bwd_infer, NULL };
const GcutOpClass gcut_op_blur_up = { "blur up", blur_up_infer, blur_up_backward };
const GcutOpClass gcut_op_blur_up_bwd = { "blur up backward", blur_up_bwd_infer, NULL };

GcutValue
gcut_blur_down (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_BLUR_DOWN, &x, 1, NULL);
}

GcutValue
gcut_blur_up (GcutGraph *graph, GcutValue x)
{
  return gcut_graph_add (graph, GCUT_OP_BLUR_UP, &x, 1, NULL);
}
