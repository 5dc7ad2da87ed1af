/* CPU backend internals: one kernel implementation per op, oneDNN handles. */
#pragma once

#include <string.h>
#include "../backend-private.h"
#include "dnnl-compat.h"

typedef struct
{
  const GcutNode *node;
  int n_in;
  GcutTensor in[GCUT_MAX_INPUTS];
  GcutTensor out;
  gsize scratch_bytes; /* set by prepare: shared scratch needed by run */
  gpointer state;      /* op-specific, freed by release */
} GcutCpuKernel;

typedef struct
{
  gboolean (*prepare) (GcutCpuKernel *k, GError **error); /* may be NULL */
  void (*run) (GcutCpuKernel *k, void *scratch);
  void (*release) (GcutCpuKernel *k); /* may be NULL */
} GcutCpuOp;

dnnl_engine_t gcut_cpu_engine (void);
dnnl_stream_t gcut_cpu_stream (void);
/* FALSE with a GError naming what failed when status is not dnnl_success. */
gboolean gcut_dnnl_check (dnnl_status_t status, const char *what, GError **error);
/* t's layout for oneDNN (nchw, nChw8c, nChw16c, or plain). */
void gcut_cpu_layout (const GcutTensor *t, GcutDnnlLayout *layout);

/* Images: the element stride between neighbouring pixels of one channel is
 * block; channel c's plane of image n starts at gcut_cpu_plane(). */
static inline float *
gcut_cpu_plane (const GcutTensor *t, gint64 n, gint64 c)
{
  const gint64 C = t->shape.dims[1], HW = t->shape.dims[2] * t->shape.dims[3];
  const int B = t->block;
  return (float *)t->data + ((n * (C / B) + c / B) * HW) * B + c % B;
}

extern const GcutCpuOp gcut_cpu_conv2d, gcut_cpu_conv2d_bwd_data,
    gcut_cpu_conv2d_bwd_weights, gcut_cpu_conv_t2d, gcut_cpu_conv_t2d_bwd_data,
    gcut_cpu_conv_t2d_bwd_weights, gcut_cpu_bias_grad, gcut_cpu_pad, gcut_cpu_pad_bwd,
    gcut_cpu_instance_norm, gcut_cpu_instance_norm_bwd, gcut_cpu_instance_norm_bwd_gamma,
    gcut_cpu_act, gcut_cpu_act_bwd, gcut_cpu_blur_down, gcut_cpu_blur_down_bwd,
    gcut_cpu_blur_up, gcut_cpu_blur_up_bwd, gcut_cpu_add, gcut_cpu_copy, gcut_cpu_linear,
    gcut_cpu_linear_bwd_data, gcut_cpu_linear_bwd_weights, gcut_cpu_l2_normalize,
    gcut_cpu_l2_normalize_bwd, gcut_cpu_gather, gcut_cpu_gather_bwd, gcut_cpu_softmax,
    gcut_cpu_softmax_bwd, gcut_cpu_logsumexp, gcut_cpu_logsumexp_bwd, gcut_cpu_max_rows,
    gcut_cpu_max_rows_bwd;

/* gcut-math.h ops: one matmul, one broadcasting elementwise kernel (driven by
 * the node's op), one sum kernel, copies and fill diagonal. */
extern const GcutCpuOp gcut_cpu_matmul, gcut_cpu_elementwise, gcut_cpu_sum,
    gcut_cpu_reshape, gcut_cpu_fill_diagonal;
/* FALSE with an UNSUPPORTED error when an operand is a channel-blocked image. */
gboolean gcut_cpu_check_plain (const GcutCpuKernel *k, GError **error);

/* Σ a·b over n floats, summed in double; shared by the row kernels. */
static inline double
gcut_cpu_dot (const float *a, const float *b, gint64 n)
{
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (gint64 j = 0; j < n; j++)
    sum += (double)a[j] * b[j];
  return sum;
}

/* In place over n floats; shared by fused kernels. */
void gcut_cpu_activate (GcutAct act, float slope, float *data, gint64 n);
