/* Graph storage, leaves, and the checks every node goes through. */
#include "graph-private.h"

/* Sizes beyond this are refused: they overflow index arithmetic long before
 * they could fit in memory. */
#define GCUT_MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 40)

static const GcutOpClass *const op_classes[GCUT_OP_COUNT] = {
  [GCUT_OP_CONV2D] = &gcut_op_conv2d,
  [GCUT_OP_CONV2D_BWD_DATA] = &gcut_op_conv2d_bwd_data,
  [GCUT_OP_CONV2D_BWD_WEIGHTS] = &gcut_op_conv2d_bwd_weights,
  [GCUT_OP_CONV_T2D] = &gcut_op_conv_t2d,
  [GCUT_OP_CONV_T2D_BWD_DATA] = &gcut_op_conv_t2d_bwd_data,
  [GCUT_OP_CONV_T2D_BWD_WEIGHTS] = &gcut_op_conv_t2d_bwd_weights,
  [GCUT_OP_BIAS_GRAD] = &gcut_op_bias_grad,
  [GCUT_OP_PAD] = &gcut_op_pad,
  [GCUT_OP_PAD_BWD] = &gcut_op_pad_bwd,
  [GCUT_OP_INSTANCE_NORM] = &gcut_op_instance_norm,
  [GCUT_OP_INSTANCE_NORM_BWD] = &gcut_op_instance_norm_bwd,
  [GCUT_OP_INSTANCE_NORM_BWD_GAMMA] = &gcut_op_instance_norm_bwd_gamma,
  [GCUT_OP_ACT] = &gcut_op_act,
  [GCUT_OP_ACT_BWD] = &gcut_op_act_bwd,
  [GCUT_OP_BLUR_DOWN] = &gcut_op_blur_down,
  [GCUT_OP_BLUR_DOWN_BWD] = &gcut_op_blur_down_bwd,
  [GCUT_OP_BLUR_UP] = &gcut_op_blur_up,
  [GCUT_OP_BLUR_UP_BWD] = &gcut_op_blur_up_bwd,
  [GCUT_OP_ADD] = &gcut_op_add,
  [GCUT_OP_COPY] = &gcut_op_copy,
  [GCUT_OP_LINEAR] = &gcut_op_linear,
  [GCUT_OP_LINEAR_BWD_DATA] = &gcut_op_linear_bwd_data,
  [GCUT_OP_LINEAR_BWD_WEIGHTS] = &gcut_op_linear_bwd_weights,
  [GCUT_OP_L2_NORMALIZE] = &gcut_op_l2_normalize,
  [GCUT_OP_L2_NORMALIZE_BWD] = &gcut_op_l2_normalize_bwd,
  [GCUT_OP_GATHER] = &gcut_op_gather,
  [GCUT_OP_GATHER_BWD] = &gcut_op_gather_bwd,
  [GCUT_OP_SOFTMAX] = &gcut_op_softmax,
  [GCUT_OP_SOFTMAX_BWD] = &gcut_op_softmax_bwd,
  [GCUT_OP_LOGSUMEXP] = &gcut_op_logsumexp,
  [GCUT_OP_LOGSUMEXP_BWD] = &gcut_op_logsumexp_bwd,
  [GCUT_OP_MATMUL] = &gcut_op_matmul,
  [GCUT_OP_MUL] = &gcut_op_mul,
  [GCUT_OP_DIV] = &gcut_op_div,
  [GCUT_OP_SUB] = &gcut_op_sub,
  [GCUT_OP_ADD_BROADCAST] = &gcut_op_add_broadcast,
  [GCUT_OP_DIV_BWD] = &gcut_op_div_bwd,
  [GCUT_OP_SQUARE_BWD] = &gcut_op_square_bwd,
  [GCUT_OP_ABS_BWD] = &gcut_op_abs_bwd,
  [GCUT_OP_SOFTPLUS_BWD] = &gcut_op_softplus_bwd,
  [GCUT_OP_AFFINE] = &gcut_op_affine,
  [GCUT_OP_EXP] = &gcut_op_exp,
  [GCUT_OP_LOG] = &gcut_op_log,
  [GCUT_OP_SQUARE] = &gcut_op_square,
  [GCUT_OP_ABS] = &gcut_op_abs,
  [GCUT_OP_SOFTPLUS] = &gcut_op_softplus,
  [GCUT_OP_SUM_ROWS] = &gcut_op_sum_rows,
  [GCUT_OP_SUM_COLS] = &gcut_op_sum_cols,
  [GCUT_OP_SUM_ALL] = &gcut_op_sum_all,
  [GCUT_OP_MEAN_ALL] = &gcut_op_mean_all,
  [GCUT_OP_SUM_TO] = &gcut_op_sum_to,
  [GCUT_OP_EXPAND] = &gcut_op_expand,
  [GCUT_OP_RESHAPE] = &gcut_op_reshape,
  [GCUT_OP_DETACH] = &gcut_op_detach,
  [GCUT_OP_FILL_DIAGONAL] = &gcut_op_fill_diagonal,
  [GCUT_OP_MAX_ROWS] = &gcut_op_max_rows,
  [GCUT_OP_MAX_ROWS_BWD] = &gcut_op_max_rows_bwd,
};

const GcutOpClass *
gcut_op_class (GcutOp op)
{
  return op_classes[op];
}

GcutGraph *
gcut_graph_new (void)
{
  static guint64 counter;
  GcutGraph *graph = g_new0 (GcutGraph, 1);
  graph->serial = __atomic_add_fetch (&counter, 1, __ATOMIC_RELAXED);
  graph->nodes = g_array_new (FALSE, TRUE, sizeof (GcutNode));
  return graph;
}

void
gcut_graph_free (GcutGraph *graph)
{
  if (!graph)
    return;
  for (guint i = 0; i < graph->nodes->len; i++)
    g_free (gcut_graph_node (graph, i)->name);
  g_array_free (graph->nodes, TRUE);
  g_clear_error (&graph->error);
  g_free (graph);
}

gboolean
gcut_graph_check (const GcutGraph *graph, GError **error)
{
  if (graph->error)
    {
      g_propagate_error (error, g_error_copy (graph->error));
      return FALSE;
    }
  return TRUE;
}

int
gcut_graph_n_values (const GcutGraph *graph)
{
  return graph->nodes->len;
}

GcutShape
gcut_graph_shape (const GcutGraph *graph, GcutValue value)
{
  g_return_val_if_fail (value >= 0 && value < (int)graph->nodes->len, (GcutShape){ 0 });
  return gcut_graph_node (graph, value)->shape;
}

void
gcut_graph_set_error (GcutGraph *graph, GError *err)
{
  if (graph->error)
    g_error_free (err);
  else
    graph->error = err;
}

static gboolean
shape_valid (const GcutShape *shape, GError **error)
{
  gint64 n = 1;
  if (shape->n_dims < 1 || shape->n_dims > GCUT_MAX_DIMS)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "a tensor needs 1 to %d dimensions, not %d", GCUT_MAX_DIMS,
                   shape->n_dims);
      return FALSE;
    }
  for (int i = 0; i < shape->n_dims; i++)
    {
      if (shape->dims[i] <= 0 || shape->dims[i] > GCUT_MAX_ELEMENTS / n)
        {
          g_autofree char *s = gcut_shape_to_string (shape);
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       shape->dims[i] <= 0 ? "shape %s has an empty dimension"
                                           : "shape %s is too large",
                       s);
          return FALSE;
        }
      n *= shape->dims[i];
    }
  return TRUE;
}

static GcutValue
append (GcutGraph *graph, const GcutNode *node)
{
  g_array_append_vals (graph->nodes, node, 1);
  return graph->nodes->len - 1;
}

static GcutValue
add_leaf (GcutGraph *graph, GcutOp op, GcutDType dtype, const char *name, GcutShape shape)
{
  GError *err = NULL;
  if (graph->error)
    return GCUT_NONE;
  if (!shape_valid (&shape, &err))
    {
      g_prefix_error (&err, "%s: ", name ? name : "input");
      gcut_graph_set_error (graph, err);
      return GCUT_NONE;
    }
  GcutNode node = { .op = op, .dtype = dtype, .shape = shape, .name = g_strdup (name) };
  return append (graph, &node);
}

GcutValue
gcut_input (GcutGraph *graph, const char *name, GcutShape shape)
{
  return add_leaf (graph, GCUT_OP_INPUT, GCUT_DTYPE_F32, name, shape);
}

GcutValue
gcut_input_indices (GcutGraph *graph, const char *name, gint64 n)
{
  return add_leaf (graph, GCUT_OP_INDICES, GCUT_DTYPE_I32, name, gcut_shape1 (n));
}

GcutValue
gcut_param (GcutGraph *graph, const char *name, GcutShape shape, float *data, float *grad)
{
  GcutValue v = add_leaf (graph, GCUT_OP_PARAM, GCUT_DTYPE_F32, name, shape);
  if (v != GCUT_NONE)
    {
      gcut_graph_node (graph, v)->data = data;
      gcut_graph_node (graph, v)->grad = grad;
    }
  return v;
}

GcutValue
gcut_graph_add (GcutGraph *graph, GcutOp op, const GcutValue *inputs, int n_inputs,
                const GcutOpParams *params)
{
  const GcutOpClass *klass = gcut_op_class (op);
  GError *err = NULL;
  GcutNode node = { .op = op, .dtype = GCUT_DTYPE_F32, .n_inputs = n_inputs };

  if (graph->error)
    return GCUT_NONE;
  for (int i = 0; i < n_inputs; i++)
    {
      if (inputs[i] < 0 || inputs[i] >= (int)graph->nodes->len)
        {
          g_set_error (&err, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "%s: input %d is not a value of this graph", klass->name, i);
          gcut_graph_set_error (graph, err);
          return GCUT_NONE;
        }
      node.inputs[i] = inputs[i];
    }
  for (int i = n_inputs; i < GCUT_MAX_INPUTS; i++)
    node.inputs[i] = GCUT_NONE;
  if (params)
    node.p = *params;
  if (!klass->infer (graph, &node, &err) || !shape_valid (&node.shape, &err))
    {
      g_prefix_error (&err, "%s: ", klass->name);
      gcut_graph_set_error (graph, err);
      return GCUT_NONE;
    }
  return append (graph, &node);
}

gboolean
gcut_expect_dims (const GcutGraph *graph, const GcutNode *node, int input, int n_dims,
                  GError **error)
{
  const GcutNode *in = gcut_graph_node (graph, node->inputs[input]);
  if (in->shape.n_dims != n_dims || in->dtype != GCUT_DTYPE_F32)
    {
      g_autofree char *s = gcut_shape_to_string (&in->shape);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "input %d must be a %d-dimensional float tensor, not %s%s", input,
                   n_dims, s, in->dtype == GCUT_DTYPE_F32 ? "" : " of indices");
      return FALSE;
    }
  return TRUE;
}
