/* Helpers shared by the matrix, elementwise, reduction and shape ops
 * (gcut-math.h): the gradient of a broadcast operand, summed back to its
 * shape, and the broadcast that undoes a sum. */
#pragma once

#include <gcut/gcut-math.h>
#include "../graph-private.h"

/* x summed down to `shape` (right-aligned, each dimension 1 or x's), times
 * scale; x itself when the shapes are equal and scale is 1. */
GcutValue gcut_sum_to (GcutGraph *graph, GcutValue x, GcutShape shape, float scale);
/* x broadcast up to `shape`, times scale. */
GcutValue gcut_expand_to (GcutGraph *graph, GcutValue x, GcutShape shape, float scale);
/* FALSE with "input i must be a float tensor" when it holds indices. */
gboolean gcut_expect_float (const GcutGraph *graph, const GcutNode *node, int i,
                            GError **error);
