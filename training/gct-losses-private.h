/* gegl-cut training: helpers shared by the loss files (loss-common.c). */
#pragma once

#include "gct-losses.h"

G_BEGIN_DECLS

GcutShape gct_shape2 (gint64 a, gint64 b);
GcutShape gct_shape3 (gint64 a, gint64 b, gint64 c);

/* Records "loss: message" as the graph's error (unless it has one already)
 * and returns GCUT_NONE. */
GcutValue gct_fail (GcutGraph *g, const char *loss, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

/* Checks q, k and the options of a contrastive loss; gives the number of
 * groups of negatives, the rows per group and the channels.  FALSE (with the
 * error recorded, naming the option) when something is wrong. */
gboolean gct_nce_check (GcutGraph *g, GcutValue q, GcutValue k, const GctNceOptions *o,
                        const char *loss, gint64 *groups, gint64 *per_group,
                        gint64 *channels);

/* Batched similarities a·bᵀ of (groups·n, c) rows, per group → (groups, n, n). */
GcutValue gct_similarities (GcutGraph *g, GcutValue a, GcutValue b, gint64 groups,
                            gint64 n, gint64 c);
/* Row-wise dots q_i·k_i → (rows, 1). */
GcutValue gct_row_dots (GcutGraph *g, GcutValue q, GcutValue k);
/* fill_diagonal of (rows = groups·n, n) seen as (groups, n, n); same shape back. */
GcutValue gct_fill_diagonal_rows (GcutGraph *g, GcutValue x, gint64 groups, gint64 n,
                                  float value);
/* Maxima of the rows of x (rows, n) → (rows, 1), detached. */
GcutValue gct_row_max_detached (GcutGraph *g, GcutValue x);
/* Ones shaped like x (no gradient). */
GcutValue gct_ones_like (GcutGraph *g, GcutValue x);
/* q/τ.  The losses divide the queries rather than the similarities: then
 * s_ij/τ = (q_i/τ)·k_j costs a pass over the (rows, c) queries instead of two
 * (forward and backward) over the (rows, n) logits. */
GcutValue gct_over_tau (GcutGraph *g, GcutValue q, float tau);

/* The re-weighted NCE shared by WeightNCE and MoNCE (official monce.py):
 * s (rows, n) the similarities over τ of each row with its group, pos
 * (rows, 1) the positives over τ, f (rows, n) the scaled weights
 * f_ij = Q·(P−1)·w_ij + 1e-8; ℓ_i = softplus(logsumexp_j n_ij − s_ii/τ) with
 * n_ij = s_ij/τ + log f_ij and n_ii = −10/τ; returns mean_i ℓ_i. */
GcutValue gct_weighted_nce (GcutGraph *g, GcutValue s, GcutValue pos, GcutValue f,
                            gint64 groups, gint64 n, float tau);

G_END_DECLS
