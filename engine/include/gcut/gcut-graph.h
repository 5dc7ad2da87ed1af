/* gegl-cut engine: building computation graphs.
 *
 * A graph is built for one set of input shapes; every value has a fixed shape.
 * Builder functions never fail loudly: the first error (a shape mismatch, a zero
 * size, …) is kept in the graph, later calls return GCUT_NONE, and
 * gcut_graph_check() or compiling a plan reports it.  So network code can chain
 * calls without checking each one.
 *
 * Images are (N, C, H, W); matrices are (rows, cols); index lists are (n).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GcutGraph GcutGraph;

/* A value: the single output of one node of the graph. */
typedef int GcutValue;
#define GCUT_NONE (-1)

#define GCUT_MAX_DIMS 4

typedef struct
{
  int n_dims;
  gint64 dims[GCUT_MAX_DIMS];
} GcutShape;

/* The number of elements: the product of the dimensions. */
gint64 gcut_shape_numel (const GcutShape *s);

typedef enum
{
  GCUT_PAD_ZERO,
  GCUT_PAD_REFLECT,
  GCUT_PAD_REPLICATE
} GcutPadMode;

GcutGraph *gcut_graph_new (void);
void gcut_graph_free (GcutGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutGraph, gcut_graph_free)

/* FALSE with the first recorded error, if any. */
gboolean gcut_graph_check (const GcutGraph *graph, GError **error);
GcutShape gcut_graph_shape (const GcutGraph *graph, GcutValue value);
int gcut_graph_n_values (const GcutGraph *graph);
/* Records error as the graph's error unless one is already there (the first
 * stays); takes ownership.  For builders outside the engine, e.g. losses that
 * check their options. */
void gcut_graph_set_error (GcutGraph *graph, GError *error);

/* Leaves.  Inputs are float32 data given to the plan before each run; index
 * inputs are int32 lists (e.g. sampled patch locations).  Parameters live
 * outside the graph: `data` is read at every run, `grad` (may be NULL) receives
 * the gradient when a plan differentiates with respect to the parameter. */
GcutValue gcut_input (GcutGraph *graph, const char *name, GcutShape shape);
GcutValue gcut_input_indices (GcutGraph *graph, const char *name, gint64 n);
GcutValue gcut_param (GcutGraph *graph, const char *name, GcutShape shape, float *data,
                      float *grad);

/* Convolution with zero padding; bias may be GCUT_NONE.  Weight is
 * (C_out, C_in / groups, KH, KW) as in PyTorch. */
GcutValue gcut_conv2d (GcutGraph *graph, GcutValue x, GcutValue weight, GcutValue bias,
                       int stride, int padding, int groups);
/* Transposed convolution; weight is (C_in, C_out / groups, KH, KW) as in PyTorch. */
GcutValue gcut_conv_transpose2d (GcutGraph *graph, GcutValue x, GcutValue weight,
                                 GcutValue bias, int stride, int padding,
                                 int output_padding, int groups);
GcutValue gcut_pad (GcutGraph *graph, GcutValue x, GcutPadMode mode, int top, int bottom,
                    int left, int right);
/* Per-image, per-channel normalization; gamma and beta (C) may be GCUT_NONE. */
GcutValue gcut_instance_norm (GcutGraph *graph, GcutValue x, GcutValue gamma,
                              GcutValue beta, float eps);
GcutValue gcut_relu (GcutGraph *graph, GcutValue x);
GcutValue gcut_leaky_relu (GcutGraph *graph, GcutValue x, float slope);
GcutValue gcut_tanh (GcutGraph *graph, GcutValue x);
/* CUT's antialiased resampling: Downsample = reflect pad 1, depthwise blur
 * [1,2,1]ᵀ[1,2,1]/16, stride 2; Upsample = replicate pad 1, depthwise transposed
 * blur 4·[1,3,3,1]ᵀ[1,3,3,1]/64, stride 2, padding 2, minus one border: 2× out. */
GcutValue gcut_blur_down (GcutGraph *graph, GcutValue x);
GcutValue gcut_blur_up (GcutGraph *graph, GcutValue x);
GcutValue gcut_add (GcutGraph *graph, GcutValue a, GcutValue b);
/* x (rows, in) · weightᵀ (out, in) + bias (out); bias may be GCUT_NONE. */
GcutValue gcut_linear (GcutGraph *graph, GcutValue x, GcutValue weight, GcutValue bias);
/* Each row divided by (its L2 norm + eps). */
GcutValue gcut_l2_normalize (GcutGraph *graph, GcutValue x, float eps);
/* Feature vectors of x (N, C, H, W) at flat locations idx (P) of the H·W grid:
 * (N·P, C), rows ordered image by image, as CUT's PatchSampleF. */
GcutValue gcut_gather_locations (GcutGraph *graph, GcutValue x, GcutValue idx);
GcutValue gcut_softmax_rows (GcutGraph *graph, GcutValue x);
/* (rows, cols) → (rows, 1) */
GcutValue gcut_logsumexp_rows (GcutGraph *graph, GcutValue x);

G_END_DECLS
