/* gegl-cut training: WeightNCE (Zhan et al. 2022, eq. 2).
 *
 *   ℓ_i = −log( e^{s_ii/τ} / (e^{s_ii/τ} + Q(P−1) Σ_{j≠i} w_ij e^{s_ij/τ}) ),
 *   w_ij = softmax_{j≠i}(s_ij/β),  L = mean_i ℓ_i.
 *
 * The official MoNCE code ships no WeightNCE; this follows MoNCE's code
 * (monce.c) with the plan replaced by the softmax weights: the diagonal of
 * s/β is set to −10/β before the softmax (excluded), f_ij = Q(P−1)w_ij + 1e-8
 * enters as log f_ij in the logits, the −10 diagonal and target 0 as in
 * PatchNCE.  P is the locations per image.  Like MoNCE's plan the weights are
 * not detached by default (detach_weights to stop their gradient).
 *
 * Options (GctWeightNceOptions): nce (batch, grouping, τ), β > 0, Q > 0,
 * detach_weights. */
#include <math.h>

#include "gct-losses-private.h"

GctWeightNceOptions
gct_weight_nce_options_default (void)
{
  return (GctWeightNceOptions){ .nce = gct_nce_options_default (),
                                .beta = 0.1f,
                                .q_weight = 1.0f,
                                .detach_weights = FALSE };
}

GcutValue
gct_weight_nce (GcutGraph *g, GcutValue q, GcutValue k, const GctWeightNceOptions *o)
{
  GctWeightNceOptions def = gct_weight_nce_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  if (!gct_nce_check (g, q, k, &o->nce, "WeightNCE", &groups, &n, &c))
    return GCUT_NONE;
  if (!(o->beta > 0) || !isfinite (o->beta))
    return gct_fail (g, "WeightNCE", "option beta (%g) must be positive", o->beta);
  if (!(o->q_weight > 0) || !isfinite (o->q_weight))
    return gct_fail (g, "WeightNCE", "option q_weight (%g) must be positive",
                     o->q_weight);
  gint64 rows = groups * n;
  gint64 per_image = rows / o->nce.batch;
  const float tau = o->nce.tau;
  GcutValue kd = gcut_detach (g, k), qt = gct_over_tau (g, q, tau);
  GcutValue pos = gct_row_dots (g, qt, kd);
  GcutValue s = gcut_reshape (g, gct_similarities (g, qt, kd, groups, n, c),
                              gct_shape2 (rows, n));
  GcutValue z = gct_fill_diagonal_rows (g, gcut_affine (g, s, tau / o->beta, 0.0f),
                                        groups, n, -10.0f / o->beta);
  GcutValue w = gcut_softmax_rows (g, z);
  if (o->detach_weights)
    w = gcut_detach (g, w);
  GcutValue f = gcut_affine (g, w, (float)(per_image - 1) * o->q_weight, 1e-8f);
  return gct_weighted_nce (g, s, pos, f, groups, n, tau);
}
