/* 2D convolution with zero padding, groups and an optional bias; the plan may
 * fuse a following activation into it (p.act, p.slope).
 *
 * Backward nodes only see their inputs, and the size of x is not recoverable
 * from y when the stride skips trailing rows.  So both backward nodes carry
 * the forward's settings plus, in p.pad (top, bottom, left, right), the
 * padding that makes the sizes exact: bottom = (OH - 1)·stride + KH - H - top,
 * which is negative when rows of x are never reached.  Then
 *   H  = (OH - 1)·stride + KH - top - bottom   (backward data: gy, w → dx)
 *   KH = H + top + bottom - (OH - 1)·stride    (backward weights: x, gy → dw) */
#include "conv-private.h"

/* x (N, C_in, H, W) against w (C_out, C_in / groups, KH, KW). */
static gboolean
check_channels (const GcutShape *x, const GcutShape *w, int groups, GError **error)
{
  if (x->dims[1] % groups || w->dims[0] % groups)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%d groups do not divide the %" G_GINT64_FORMAT
                   " input and %" G_GINT64_FORMAT " output channels",
                   groups, x->dims[1], w->dims[0]);
      return FALSE;
    }
  if (w->dims[1] * groups != x->dims[1])
    {
      if (groups == 1)
        g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                     "weight has %" G_GINT64_FORMAT
                     " input channels but x has %" G_GINT64_FORMAT,
                     w->dims[1], x->dims[1]);
      else
        g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                     "weight has %" G_GINT64_FORMAT
                     " input channels per group, %d groups "
                     "need %" G_GINT64_FORMAT " but x has %" G_GINT64_FORMAT,
                     w->dims[1], groups, w->dims[1] * groups, x->dims[1]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conv2d_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutOpParams *p = &node->p;
  const GcutShape *x, *w;
  gint64 h, wd;

  if (!gcut_conv_check_settings (p, FALSE, error)
      || !gcut_conv_shapes (graph, node, &x, &w, error))
    return FALSE;
  if (!check_channels (x, w, p->groups, error)
      || !gcut_conv_check_bias (graph, node, w->dims[0], error))
    return FALSE;
  h = x->dims[2] + 2 * p->padding;
  wd = x->dims[3] + 2 * p->padding;
  if (w->dims[2] > h || w->dims[3] > wd)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "kernel %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " is larger than the padded input %" G_GINT64_FORMAT
                   "x%" G_GINT64_FORMAT,
                   w->dims[2], w->dims[3], h, wd);
      return FALSE;
    }
  node->shape = gcut_shape4 (x->dims[0], w->dims[0], (h - w->dims[2]) / p->stride + 1,
                             (wd - w->dims[3]) / p->stride + 1);
  return TRUE;
}

/* The forward's settings plus the exact paddings, without the activation. */
static GcutOpParams
backward_params (const GcutGraph *graph, GcutValue self)
{
  const GcutNode *node = gcut_graph_node (graph, self);
  const GcutShape *x = &gcut_graph_node (graph, node->inputs[0])->shape;
  const GcutShape *w = &gcut_graph_node (graph, node->inputs[1])->shape;
  GcutOpParams p = { .stride = node->p.stride,
                     .padding = node->p.padding,
                     .groups = node->p.groups };
  for (int i = 0; i < 2; i++)
    {
      p.pad[2 * i] = p.padding;
      p.pad[2 * i + 1] = (node->shape.dims[2 + i] - 1) * p.stride + w->dims[2 + i]
                         - x->dims[2 + i] - p.padding;
    }
  return p;
}

static void
conv2d_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                 GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutOpParams p = backward_params (graph, self);
  GcutValue g = gcut_act_backward (graph, self, gy);

  gcut_conv_backward_nodes (graph, &node, g, &p, GCUT_OP_CONV2D_BWD_DATA,
                            GCUT_OP_CONV2D_BWD_WEIGHTS, need, gx);
}

/* gy (N, C_out, OH, OW), w → dx (N, C_in, H, W) */
static gboolean
conv2d_bwd_data_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutOpParams *p = &node->p;
  const GcutShape *gy, *w;

  if (!gcut_conv_shapes (graph, node, &gy, &w, error))
    return FALSE;
  if (!gcut_conv_check_gradient (gy, w->dims[0], error))
    return FALSE;
  node->shape
      = gcut_shape4 (gy->dims[0], w->dims[1] * p->groups,
                     (gy->dims[2] - 1) * p->stride + w->dims[2] - p->pad[0] - p->pad[1],
                     (gy->dims[3] - 1) * p->stride + w->dims[3] - p->pad[2] - p->pad[3]);
  return TRUE;
}

/* x (N, C_in, H, W), gy (N, C_out, OH, OW) → dw (C_out, C_in / groups, KH, KW) */
static gboolean
conv2d_bwd_weights_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutOpParams *p = &node->p;
  const GcutShape *x, *gy;

  if (!gcut_conv_shapes (graph, node, &x, &gy, error))
    return FALSE;
  node->shape
      = gcut_shape4 (gy->dims[1], x->dims[1] / p->groups,
                     x->dims[2] + p->pad[0] + p->pad[1] - (gy->dims[2] - 1) * p->stride,
                     x->dims[3] + p->pad[2] + p->pad[3] - (gy->dims[3] - 1) * p->stride);
  return TRUE;
}

const GcutOpClass gcut_op_conv2d = { "conv2d", conv2d_infer, conv2d_backward };
const GcutOpClass gcut_op_conv2d_bwd_data
    = { "conv2d backward data", conv2d_bwd_data_infer, NULL };
const GcutOpClass gcut_op_conv2d_bwd_weights
    = { "conv2d backward weights", conv2d_bwd_weights_infer, NULL };

GcutValue
gcut_conv2d (GcutGraph *graph, GcutValue x, GcutValue weight, GcutValue bias, int stride,
             int padding, int groups)
{
  GcutOpParams p = { .stride = stride, .padding = padding, .groups = groups };
  GcutValue in[3] = { x, weight, bias };
  return gcut_graph_add (graph, GCUT_OP_CONV2D, in, bias == GCUT_NONE ? 2 : 3, &p);
}
