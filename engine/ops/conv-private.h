/* Checks and backward wiring shared by conv2d and its transposed form. */
#pragma once

#include "../graph-private.h"

/* FALSE naming the first setting out of range; the output padding only counts
 * (and is only named) for the transposed form. */
gboolean gcut_conv_check_settings (const GcutOpParams *p, gboolean transposed,
                                   GError **error);
/* Inputs 0 and 1 must have 4 dimensions; their shapes in *a and *b. */
gboolean gcut_conv_shapes (const GcutGraph *graph, const GcutNode *node,
                           const GcutShape **a, const GcutShape **b, GError **error);
/* The optional bias, input 2, must have c_out entries. */
gboolean gcut_conv_check_bias (const GcutGraph *graph, const GcutNode *node, gint64 c_out,
                               GError **error);
/* The incoming gradient gy of a backward data node must have c_out channels. */
gboolean gcut_conv_check_gradient (const GcutShape *gy, gint64 c_out, GError **error);
/* The gradients of `node` (a copy: adding nodes moves the graph's) from g as
 * `need` asks: data_op (g, w), weights_op (x, g), both with params p, and the
 * bias gradient of g. */
void gcut_conv_backward_nodes (GcutGraph *graph, const GcutNode *node, GcutValue g,
                               const GcutOpParams *p, GcutOp data_op, GcutOp weights_op,
                               const gboolean *need, GcutValue *gx);
