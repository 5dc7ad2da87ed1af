/* 2D transposed convolution as PyTorch's ConvTranspose2d: weight (C_in,
 * C_out / groups, KH, KW), output size (H - 1)·stride - 2·padding + KH +
 * output_padding, optional bias.
 *
 * Its backward nodes carry the forward's settings and, as those of conv2d, the
 * exact paddings in p.pad (top, bottom, left, right): here bottom = padding -
 * output_padding.  Then
 *   H  = (OH + top + bottom - KH) / stride + 1  (backward data: gy, w → dx)
 *   KH = OH + top + bottom - (H - 1)·stride     (backward weights: x, gy → dw) */
#include "conv-private.h"

/* x (N, C_in, H, W) against w (C_in, C_out / groups, KH, KW). */
static gboolean
check_channels (const GcutShape *x, const GcutShape *w, int groups, GError **error)
{
  if (w->dims[0] != x->dims[1])
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "weight has %" G_GINT64_FORMAT
                   " input channels but x has %" G_GINT64_FORMAT,
                   w->dims[0], x->dims[1]);
      return FALSE;
    }
  if (x->dims[1] % groups)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%d groups do not divide the %" G_GINT64_FORMAT " input channels",
                   groups, x->dims[1]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conv_t2d_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutOpParams *p = &node->p;
  const GcutShape *x, *w;
  gint64 c_out, h, wd;

  if (!gcut_conv_check_settings (p, TRUE, error)
      || !gcut_conv_shapes (graph, node, &x, &w, error))
    return FALSE;
  c_out = w->dims[1] * p->groups;
  if (!check_channels (x, w, p->groups, error)
      || !gcut_conv_check_bias (graph, node, c_out, error))
    return FALSE;
  h = (x->dims[2] - 1) * p->stride - 2 * p->padding + w->dims[2] + p->output_padding;
  wd = (x->dims[3] - 1) * p->stride - 2 * p->padding + w->dims[3] + p->output_padding;
  if (h < 1 || wd < 1)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "padding %d leaves nothing of the %" G_GINT64_FORMAT
                   "x%" G_GINT64_FORMAT " output",
                   p->padding, h + 2 * p->padding, wd + 2 * p->padding);
      return FALSE;
    }
  node->shape = gcut_shape4 (x->dims[0], c_out, h, wd);
  return TRUE;
}

static void
conv_t2d_backward (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                   GcutValue *gx)
{
  GcutNode node = *gcut_graph_node (graph, self); /* adding nodes moves it */
  GcutOpParams p = node.p;

  p.pad[0] = p.pad[2] = p.padding;
  p.pad[1] = p.pad[3] = p.padding - p.output_padding;
  gcut_conv_backward_nodes (graph, &node, gy, &p, GCUT_OP_CONV_T2D_BWD_DATA,
                            GCUT_OP_CONV_T2D_BWD_WEIGHTS, need, gx);
}

/* gy (N, C_out, OH, OW), w (C_in, C_out / groups, KH, KW) → dx (N, C_in, H, W) */
static gboolean
conv_t2d_bwd_data_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutOpParams *p = &node->p;
  const GcutShape *gy, *w;

  if (!gcut_conv_shapes (graph, node, &gy, &w, error))
    return FALSE;
  if (!gcut_conv_check_gradient (gy, w->dims[1] * p->groups, error))
    return FALSE;
  node->shape
      = gcut_shape4 (gy->dims[0], w->dims[0],
                     (gy->dims[2] + p->pad[0] + p->pad[1] - w->dims[2]) / p->stride + 1,
                     (gy->dims[3] + p->pad[2] + p->pad[3] - w->dims[3]) / p->stride + 1);
  return TRUE;
}

/* x (N, C_in, H, W), gy (N, C_out, OH, OW) → dw (C_in, C_out / groups, KH, KW) */
static gboolean
conv_t2d_bwd_weights_infer (const GcutGraph *graph, GcutNode *node, GError **error)
{
  const GcutOpParams *p = &node->p;
  const GcutShape *x, *gy;

  if (!gcut_conv_shapes (graph, node, &x, &gy, error))
    return FALSE;
  node->shape
      = gcut_shape4 (x->dims[1], gy->dims[1] / p->groups,
                     gy->dims[2] + p->pad[0] + p->pad[1] - (x->dims[2] - 1) * p->stride,
                     gy->dims[3] + p->pad[2] + p->pad[3] - (x->dims[3] - 1) * p->stride);
  return TRUE;
}

const GcutOpClass gcut_op_conv_t2d
    = { "transposed conv2d", conv_t2d_infer, conv_t2d_backward };
const GcutOpClass gcut_op_conv_t2d_bwd_data
    = { "transposed conv2d backward data", conv_t2d_bwd_data_infer, NULL };
const GcutOpClass gcut_op_conv_t2d_bwd_weights
    = { "transposed conv2d backward weights", conv_t2d_bwd_weights_infer, NULL };

GcutValue
gcut_conv_transpose2d (GcutGraph *graph, GcutValue x, GcutValue weight, GcutValue bias,
                       int stride, int padding, int output_padding, int groups)
{
  GcutOpParams p = { .stride = stride,
                     .padding = padding,
                     .output_padding = output_padding,
                     .groups = groups };
  GcutValue in[3] = { x, weight, bias };
  return gcut_graph_add (graph, GCUT_OP_CONV_T2D, in, bias == GCUT_NONE ? 2 : 3, &p);
}
