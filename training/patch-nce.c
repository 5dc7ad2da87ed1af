/* gegl-cut training: PatchNCE (CUT, Park et al. 2020).
 *
 *   ℓ_i = −log( e^{s_ii/τ} / (e^{s_ii/τ} + Σ_{j≠i} e^{s_ij/τ}) ),  s_ij = q_i·k_j,
 *   L = mean_i ℓ_i.
 *
 * Official code (models/patchnce.py): the negatives are the whole n×n matrix
 * of the group with its diagonal set to −10 (not removed), so each row has
 * n + 1 logits [s_ii, s_i1 … −10 … s_in]/τ, target index 0; the extra term
 * e^{−10/τ} is kept here too.  Cross-entropy over those logits equals
 * softplus(logsumexp_j(neg_ij/τ) − s_ii/τ), which is what the graph computes
 * (no concatenation needed).  Keys are detached.  Groups: per image (the
 * official default, batch_dim_for_bmm = batch_size) or the whole minibatch
 * (nce_includes_all_negatives_from_minibatch).  The trainer multiplies by λ
 * and averages over taps; the NCE identity term is this loss on (y, G(y)).
 *
 * Options (GctNceOptions): batch ≥ 1 dividing the rows, τ > 0, the grouping. */
#include "gct-losses-private.h"

GcutValue
gct_patch_nce (GcutGraph *g, GcutValue q, GcutValue k, const GctNceOptions *o)
{
  GctNceOptions def = gct_nce_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  if (!gct_nce_check (g, q, k, o, "PatchNCE", &groups, &n, &c))
    return GCUT_NONE;
  GcutValue kd = gcut_detach (g, k), qt = gct_over_tau (g, q, o->tau);
  GcutValue pos = gct_row_dots (g, qt, kd);
  GcutValue s = gcut_fill_diagonal (g, gct_similarities (g, qt, kd, groups, n, c),
                                    -10.0f / o->tau);
  s = gcut_reshape (g, s, gct_shape2 (groups * n, n));
  GcutValue neg = gcut_logsumexp_rows (g, s);
  return gcut_mean_all (g, gcut_softplus (g, gcut_sub (g, neg, pos)));
}
