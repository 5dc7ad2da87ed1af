/* gegl-cut training: MoNCE, contrastive learning with negatives re-weighted
 * by optimal transport (Zhan et al. 2022, "Modulated contrast for versatile
 * image synthesis").
 *
 *   ℓ_i = −log( e^{s_ii/τ} / (e^{s_ii/τ} + Q(P−1) Σ_{j≠i} w_ij e^{s_ij/τ}) ),
 *   w = T, the entropic optimal transport plan between the queries and the
 *   keys of a group, L = mean_i ℓ_i.
 *
 * Official code (fnzhan/MoNCE, CUT_MoNCE/models/sinkhorn.py and monce.py):
 *   C = q·kᵀ per group;  X = C ("hard", unpaired) or 1 − C ("easy", paired);
 *   X_ii = −10 (the diagonal is excluded by this mask, not removed);
 *   K = e^{X/β};  u = v = 1;  50 times: u = a/(K v), v = 1/(uᵀ K)  (a = 1:
 *   uniform marginals);  T = diag(u) K diag(v).  The plan is NOT detached:
 *   gradients reach q through all unrolled iterations (keys are detached).
 *   OT() returns T permuted and monce.py permutes it back, so the weight of
 *   the negative (q_i, k_j) is T_ij, built from q_i·k_j (the paper's
 *   w_ij = T_ij): f_ij = Q·(P−1)·T_ij + 1e-8, entering as logits
 *   s_ij/τ + log f_ij with the −10 diagonal (logit −10/τ), one positive
 *   logit s_ii/τ, target 0: cross-entropy = softplus(lse − s_ii/τ).
 *   P is the official num_patches, the locations per image, also when the
 *   negatives come from the whole minibatch.  β: 0.1 in the paper's recipes
 *   (the code's default is 1), Q = 1.
 *
 * Options (GctMonceOptions): nce (batch, grouping, τ), β > 0, Q > 0, cost,
 * iterations ≥ 1 (50). */
#include <math.h>

#include "gct-losses-private.h"

GctMonceOptions
gct_monce_options_default (void)
{
  return (GctMonceOptions){ .nce = gct_nce_options_default (),
                            .beta = 0.1f,
                            .q_weight = 1.0f,
                            .cost = GCT_MONCE_HARD,
                            .iterations = 50 };
}

static gboolean
monce_check (GcutGraph *g, GcutValue q, GcutValue k, const GctMonceOptions *o,
             gint64 *groups, gint64 *n, gint64 *c)
{
  if (!gct_nce_check (g, q, k, &o->nce, "MoNCE", groups, n, c))
    return FALSE;
  if (!(o->beta > 0) || !isfinite (o->beta))
    return gct_fail (g, "MoNCE", "option beta (%g) must be positive", o->beta), FALSE;
  if (!(o->q_weight > 0) || !isfinite (o->q_weight))
    return gct_fail (g, "MoNCE", "option q_weight (%g) must be positive", o->q_weight),
           FALSE;
  if (o->cost != GCT_MONCE_HARD && o->cost != GCT_MONCE_EASY)
    return gct_fail (g, "MoNCE", "option cost (%d) is not a GctMonceCost", (int)o->cost),
           FALSE;
  if (o->iterations < 1 || o->iterations > 10000)
    return gct_fail (g, "MoNCE", "option iterations (%d) must be in [1, 10000]",
                     o->iterations),
           FALSE;
  return TRUE;
}

/* Gibbs kernel e^{X/β} of the similarities a·bᵀ (groups, n, n). */
static GcutValue
kernel (GcutGraph *g, GcutValue a, GcutValue b, gint64 groups, gint64 n, gint64 c,
        const GctMonceOptions *o)
{
  GcutValue x = gct_similarities (g, a, b, groups, n, c);
  if (o->cost == GCT_MONCE_EASY)
    x = gcut_affine (g, x, -1.0f, 1.0f);
  x = gcut_fill_diagonal (g, x, -10.0f);
  return gcut_exp (g, gcut_affine (g, x, 1.0f / o->beta, 0.0f));
}

/* The scalings u (groups, n, 1) and v (groups, 1, n) of the plan. */
static void
sinkhorn (GcutGraph *g, GcutValue K, gint64 groups, gint64 n, int iterations,
          GcutValue *u_out, GcutValue *v_out)
{
  GcutValue u = GCUT_NONE, v = GCUT_NONE;
  GcutValue ones_col = GCUT_NONE, ones_row = GCUT_NONE;
  for (int it = 0; it < iterations; it++)
    {
      /* u = 1/(K v); the first K·1 is a row sum. */
      GcutValue kv
          = it == 0 ? gcut_sum_rows (g, K)
                    : gcut_matmul (g, K, gcut_reshape (g, v, gct_shape3 (groups, n, 1)),
                                   FALSE, FALSE);
      if (ones_col == GCUT_NONE)
        ones_col = gct_ones_like (g, kv);
      u = gcut_div (g, ones_col, kv);
      /* v = 1/(uᵀ K) */
      GcutValue uk = gcut_matmul (g, u, K, TRUE, FALSE);
      if (ones_row == GCUT_NONE)
        ones_row = gct_ones_like (g, uk);
      v = gcut_div (g, ones_row, uk);
    }
  *u_out = u;
  *v_out = v;
}

/* T = diag(u) K diag(v) (groups, n, n): row i holds query i's weights. */
static GcutValue
plan (GcutGraph *g, GcutValue q, GcutValue kd, gint64 groups, gint64 n, gint64 c,
      const GctMonceOptions *o)
{
  GcutValue K = kernel (g, q, kd, groups, n, c, o);
  GcutValue u, v;
  sinkhorn (g, K, groups, n, o->iterations, &u, &v);
  return gcut_mul (g, gcut_mul (g, u, K), v);
}

GcutValue
gct_monce_plan (GcutGraph *g, GcutValue q, GcutValue k, const GctMonceOptions *o)
{
  GctMonceOptions def = gct_monce_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  if (!monce_check (g, q, k, o, &groups, &n, &c))
    return GCUT_NONE;
  return plan (g, q, gcut_detach (g, k), groups, n, c, o);
}

GcutValue
gct_monce (GcutGraph *g, GcutValue q, GcutValue k, const GctMonceOptions *o)
{
  GctMonceOptions def = gct_monce_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  if (!monce_check (g, q, k, o, &groups, &n, &c))
    return GCUT_NONE;
  gint64 rows = groups * n;
  gint64 per_image = rows / o->nce.batch;
  GcutValue kd = gcut_detach (g, k);
  GcutValue T = plan (g, q, kd, groups, n, c, o);
  GcutValue f = gcut_affine (g, gcut_reshape (g, T, gct_shape2 (rows, n)),
                             (float)(per_image - 1) * o->q_weight, 1e-8f);
  GcutValue qt = gct_over_tau (g, q, o->nce.tau);
  GcutValue pos = gct_row_dots (g, qt, kd);
  GcutValue s = gcut_reshape (g, gct_similarities (g, qt, kd, groups, n, c),
                              gct_shape2 (rows, n));
  return gct_weighted_nce (g, s, pos, f, groups, n, o->nce.tau);
}
