/* Image padding with PyTorch's semantics: zeros, reflection (the border pixel
 * itself is not repeated) or replication of the border.  The backward pass folds
 * the gradient of the border back into the pixels it was copied from. */
#include "../graph-private.h"

static const char *const side_names[] = { "top", "bottom", "left", "right" };

/* Checks the pads p.pad for an image of h × w pixels. */
static gboolean
check_pads (const GcutOpParams *p, gint64 h, gint64 w, GError **error)
{
  if ((guint)p->pad_mode > GCUT_PAD_REPLICATE)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT, "unknown pad mode %d",
                   (int)p->pad_mode);
      return FALSE;
    }
  for (int i = 0; i < 4; i++)
    {
      gint64 size = i < 2 ? h : w;
      if (p->pad[i] < 0)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "the %s pad is %d; pads must be 0 or more", side_names[i],
                       p->pad[i]);
          return FALSE;
        }
      if (p->pad_mode == GCUT_PAD_REFLECT && p->pad[i] >= size)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "reflect padding by %d on the %s needs an image %s of more than "
                       "%d pixels, not %" G_GINT64_FORMAT,
                       p->pad[i], side_names[i], i < 2 ? "height" : "width", p->pad[i],
                       size);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
pad_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  const int *pad = node->p.pad;

  if (!gcut_expect_dims (graph, node, 0, 4, error)
      || !check_pads (&node->p, x->dims[2], x->dims[3], error))
    return FALSE;
  node->shape = gcut_shape4 (x->dims[0], x->dims[1], x->dims[2] + pad[0] + pad[1],
                             x->dims[3] + pad[2] + pad[3]);
  return TRUE;
}

static void
pad_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
              GcutValue *gx)
{
  GcutOpParams p = gcut_graph_node (graph, self)->p;
  gx[0] = gcut_graph_add (graph, GCUT_OP_PAD_BWD, &gy, 1, &p);
}

/* The gradient of the padded image gives the image size back. */
static gboolean
pad_bwd_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutShape *gy = &gcut_graph_node (graph, node->inputs[0])->shape;
  const int *pad = node->p.pad;
  gint64 h = gy->dims[2] - pad[0] - pad[1], w = gy->dims[3] - pad[2] - pad[3];

  if (!gcut_expect_dims (graph, node, 0, 4, error))
    return FALSE;
  if (h <= 0 || w <= 0)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "pads %d, %d, %d, %d leave nothing of a %" G_GINT64_FORMAT
                   " x %" G_GINT64_FORMAT " gradient",
                   pad[0], pad[1], pad[2], pad[3], gy->dims[2], gy->dims[3]);
      return FALSE;
    }
  if (!check_pads (&node->p, h, w, error))
    return FALSE;
  node->shape = gcut_shape4 (gy->dims[0], gy->dims[1], h, w);
  return TRUE;
}

const GcutOpClass gcut_op_pad = { "pad", pad_infer, pad_backward };
const GcutOpClass gcut_op_pad_bwd = { "pad backward", pad_bwd_infer, NULL };

GcutValue
gcut_pad (GcutGraph *graph, GcutValue x, GcutPadMode mode, int top, int bottom, int left,
          int right)
{
  GcutOpParams p = { .pad = { top, bottom, left, right }, .pad_mode = mode };
  return gcut_graph_add (graph, GCUT_OP_PAD, &x, 1, &p);
}
