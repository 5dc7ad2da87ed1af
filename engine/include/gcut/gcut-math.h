/* gegl-cut engine: matrix, elementwise and reduction ops, the pieces the
 * training losses are built from (training/ builds each loss as a subgraph,
 * so its backward comes from these ops' own backward passes).
 *
 * Shapes: matrices are (rows, cols) or batches (batch, rows, cols).  Binary
 * elementwise ops broadcast like NumPy: each dimension equal, or 1 in one of
 * the two operands (same number of dimensions).  All follow the graph's
 * error rules (gcut-graph.h).
 */
#pragma once

#include <gcut/gcut-graph.h>

G_BEGIN_DECLS

/* op(a) · op(b), op = transpose when asked; batched when 3-D (batch sizes equal). */
GcutValue gcut_matmul (GcutGraph *graph, GcutValue a, GcutValue b, gboolean transpose_a,
                       gboolean transpose_b);
/* The same data seen with another shape of the same size (plain layouts only). */
GcutValue gcut_reshape (GcutGraph *graph, GcutValue x, GcutShape shape);

GcutValue gcut_mul (GcutGraph *graph, GcutValue a, GcutValue b);
GcutValue gcut_div (GcutGraph *graph, GcutValue a, GcutValue b);
GcutValue gcut_sub (GcutGraph *graph, GcutValue a, GcutValue b);
/* Broadcasting sum; gcut_add (gcut-graph.h) is the same-shape special case. */
GcutValue gcut_add_broadcast (GcutGraph *graph, GcutValue a, GcutValue b);
/* alpha·x + beta */
GcutValue gcut_affine (GcutGraph *graph, GcutValue x, float alpha, float beta);
GcutValue gcut_exp (GcutGraph *graph, GcutValue x);
GcutValue gcut_log (GcutGraph *graph, GcutValue x);
GcutValue gcut_square (GcutGraph *graph, GcutValue x);
GcutValue gcut_abs (GcutGraph *graph, GcutValue x);
/* log(1 + e^x), stable for large |x| */
GcutValue gcut_softplus (GcutGraph *graph, GcutValue x);
/* Identity whose gradient is zero: detached keys, importance weights, … */
GcutValue gcut_detach (GcutGraph *graph, GcutValue x);
/* x (…, n, n) with its diagonal set to value (no gradient flows there). */
GcutValue gcut_fill_diagonal (GcutGraph *graph, GcutValue x, float value);

/* Sums over the last dimension ((…, rows, cols) → (…, rows, 1)), over the
 * second-to-last ((…, rows, cols) → (…, 1, cols)), and over everything → (1). */
GcutValue gcut_sum_rows (GcutGraph *graph, GcutValue x);
GcutValue gcut_sum_cols (GcutGraph *graph, GcutValue x);
GcutValue gcut_sum_all (GcutGraph *graph, GcutValue x);
/* Largest entry of each row: (…, rows, cols) → (…, rows, 1); the gradient goes
 * to the first largest entry. */
GcutValue gcut_max_rows (GcutGraph *graph, GcutValue x);
/* Mean over everything → (1). */
GcutValue gcut_mean_all (GcutGraph *graph, GcutValue x);

G_END_DECLS
