/* Graph internals shared by the builder, autodiff, plans and backends. */
#pragma once

#include <gcut/gcut-error.h>
#include <gcut/gcut-graph.h>
#include <gcut/gcut-plan.h>

#define GCUT_MAX_INPUTS 4

typedef enum
{
  /* leaves */
  GCUT_OP_INPUT,
  GCUT_OP_INDICES,
  GCUT_OP_PARAM,
  GCUT_OP_SEED, /* gradient given by the caller */
  /* forward ops, each followed by the kernels its backward uses */
  GCUT_OP_CONV2D,
  GCUT_OP_CONV2D_BWD_DATA,
  GCUT_OP_CONV2D_BWD_WEIGHTS,
  GCUT_OP_CONV_T2D,
  GCUT_OP_CONV_T2D_BWD_DATA,
  GCUT_OP_CONV_T2D_BWD_WEIGHTS,
  GCUT_OP_BIAS_GRAD, /* per-channel (image) or per-column (matrix) sum */
  GCUT_OP_PAD,
  GCUT_OP_PAD_BWD,
  GCUT_OP_INSTANCE_NORM,
  GCUT_OP_INSTANCE_NORM_BWD,
  GCUT_OP_INSTANCE_NORM_BWD_GAMMA,
  GCUT_OP_ACT,
  GCUT_OP_ACT_BWD,
  GCUT_OP_BLUR_DOWN,
  GCUT_OP_BLUR_DOWN_BWD,
  GCUT_OP_BLUR_UP,
  GCUT_OP_BLUR_UP_BWD,
  GCUT_OP_ADD,
  GCUT_OP_COPY,
  GCUT_OP_LINEAR,
  GCUT_OP_LINEAR_BWD_DATA,
  GCUT_OP_LINEAR_BWD_WEIGHTS,
  GCUT_OP_L2_NORMALIZE,
  GCUT_OP_L2_NORMALIZE_BWD,
  GCUT_OP_GATHER,
  GCUT_OP_GATHER_BWD,
  GCUT_OP_SOFTMAX,
  GCUT_OP_SOFTMAX_BWD,
  GCUT_OP_LOGSUMEXP,
  GCUT_OP_LOGSUMEXP_BWD,
  /* matrix, elementwise, reduction and shape ops (gcut-math.h) */
  GCUT_OP_MATMUL,
  GCUT_OP_MUL,
  GCUT_OP_DIV,
  GCUT_OP_SUB,
  GCUT_OP_ADD_BROADCAST,
  GCUT_OP_DIV_BWD,
  GCUT_OP_SQUARE_BWD,
  GCUT_OP_ABS_BWD,
  GCUT_OP_SOFTPLUS_BWD,
  GCUT_OP_AFFINE,
  GCUT_OP_EXP,
  GCUT_OP_LOG,
  GCUT_OP_SQUARE,
  GCUT_OP_ABS,
  GCUT_OP_SOFTPLUS,
  GCUT_OP_SUM_ROWS,
  GCUT_OP_SUM_COLS,
  GCUT_OP_SUM_ALL,
  GCUT_OP_MEAN_ALL,
  GCUT_OP_SUM_TO,
  GCUT_OP_EXPAND,
  GCUT_OP_RESHAPE,
  GCUT_OP_DETACH,
  GCUT_OP_FILL_DIAGONAL,
  GCUT_OP_MAX_ROWS,
  GCUT_OP_MAX_ROWS_BWD,
  GCUT_OP_COUNT
} GcutOp;

typedef enum
{
  GCUT_ACT_NONE,
  GCUT_ACT_RELU,
  GCUT_ACT_LEAKY_RELU,
  GCUT_ACT_TANH
} GcutAct;

typedef enum
{
  GCUT_DTYPE_F32,
  GCUT_DTYPE_I32
} GcutDType;

/* Settings of a node; each op reads the fields it documents. */
typedef struct
{
  int stride, padding, output_padding, groups; /* convolutions */
  int pad[4];                                  /* top, bottom, left, right */
  GcutPadMode pad_mode;
  GcutAct act; /* activation of ACT, or fused into CONV2D / INSTANCE_NORM / LINEAR */
  float slope; /* leaky ReLU */
  float eps;
  float alpha, beta;                 /* affine α·x + β, scales; fill value (beta) */
  gboolean transpose_a, transpose_b; /* matmul */
  GcutShape shape;                   /* reshape, sum to / expand: the target */
} GcutOpParams;

typedef struct
{
  GcutOp op;
  GcutDType dtype;
  GcutShape shape;
  int n_inputs;
  GcutValue inputs[GCUT_MAX_INPUTS];
  GcutOpParams p;
  GcutPrecision precision; /* set by the plan for its kernels */
  char *name;              /* leaves only */
  float *data;             /* PARAM: external storage */
  float *grad;             /* PARAM: where its gradient goes, may be NULL */
} GcutNode;

struct _GcutGraph
{
  GArray *nodes;  /* GcutNode */
  GError *error;  /* first builder error, sticky */
  guint64 serial; /* unique per graph, so networks can tell graphs apart */
};

/* Per-op behaviour independent of any backend: shape inference and the
 * construction of the backward pass. */
typedef struct
{
  const char *name;
  /* Checks the inputs and sets node->shape (and dtype); the message names the op. */
  gboolean (*infer) (const GcutGraph *graph, GcutNode *node, GError **error);
  /* Adds the nodes giving the gradient of each input i with need[i] set into
   * gx[i], from the gradient gy of this node's output. */
  void (*backward) (GcutGraph *graph, GcutValue self, GcutValue gy, const gboolean *need,
                    GcutValue *gx);
} GcutOpClass;

const GcutOpClass *gcut_op_class (GcutOp op);

static inline GcutNode *
gcut_graph_node (const GcutGraph *graph, GcutValue v)
{
  return &g_array_index (graph->nodes, GcutNode, v);
}

/* Adds a node after checking its inputs exist and inferring its shape; records the
 * error and returns GCUT_NONE on failure. */
GcutValue gcut_graph_add (GcutGraph *graph, GcutOp op, const GcutValue *inputs,
                          int n_inputs, const GcutOpParams *params);

gboolean gcut_shape_equal (const GcutShape *a, const GcutShape *b);
char *gcut_shape_to_string (const GcutShape *s);
GcutShape gcut_shape4 (gint64 n, gint64 c, gint64 h, gint64 w);
GcutShape gcut_shape2 (gint64 rows, gint64 cols);
GcutShape gcut_shape1 (gint64 n);

/* Helpers for op infer functions. */
gboolean gcut_expect_dims (const GcutGraph *graph, const GcutNode *node, int input,
                           int n_dims, GError **error);

/* One op class per forward or backward op, defined in ops/. */
extern const GcutOpClass gcut_op_conv2d, gcut_op_conv2d_bwd_data,
    gcut_op_conv2d_bwd_weights, gcut_op_conv_t2d, gcut_op_conv_t2d_bwd_data,
    gcut_op_conv_t2d_bwd_weights, gcut_op_bias_grad, gcut_op_pad, gcut_op_pad_bwd,
    gcut_op_instance_norm, gcut_op_instance_norm_bwd, gcut_op_instance_norm_bwd_gamma,
    gcut_op_act, gcut_op_act_bwd, gcut_op_blur_down, gcut_op_blur_down_bwd,
    gcut_op_blur_up, gcut_op_blur_up_bwd, gcut_op_add, gcut_op_copy, gcut_op_linear,
    gcut_op_linear_bwd_data, gcut_op_linear_bwd_weights, gcut_op_l2_normalize,
    gcut_op_l2_normalize_bwd, gcut_op_gather, gcut_op_gather_bwd, gcut_op_softmax,
    gcut_op_softmax_bwd, gcut_op_logsumexp, gcut_op_logsumexp_bwd, gcut_op_max_rows,
    gcut_op_max_rows_bwd;

/* Matrix, elementwise, reduction and shape ops (ops/matmul.c, elementwise.c,
 * reduce.c, shape.c). */
extern const GcutOpClass gcut_op_matmul, gcut_op_mul, gcut_op_div, gcut_op_sub,
    gcut_op_add_broadcast, gcut_op_div_bwd, gcut_op_square_bwd, gcut_op_abs_bwd,
    gcut_op_softplus_bwd, gcut_op_affine, gcut_op_exp, gcut_op_log, gcut_op_square,
    gcut_op_abs, gcut_op_softplus, gcut_op_sum_rows, gcut_op_sum_cols, gcut_op_sum_all,
    gcut_op_mean_all, gcut_op_sum_to, gcut_op_expand, gcut_op_reshape, gcut_op_detach,
    gcut_op_fill_diagonal;

/* For ops with a fused activation: the gradient before the activation. */
GcutValue gcut_act_backward (GcutGraph *graph, GcutValue self, GcutValue gy);
