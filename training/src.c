/* gegl-cut training: SRC, semantic relation consistency (Jung et al. 2022).
 *
 *   P_k = softmax_j(k_k·k_j),  Q_k = softmax_j(q_k·q_j)   (no temperature,
 *   diagonal kept),  L = Σ_k JSD(P_k ‖ Q_k),  JSD = ½KL(P‖M) + ½KL(Q‖M),
 *   M = ½(P + Q), summed over all n×n entries of every group; P detached.
 *
 * Official code (Hneg_SRC models/SRC.py): softmax over dim=1 of the (1, n, n)
 * relation matrices; they are symmetric, so the summed JSD is the same as
 * with row softmaxes, which we use.  The official loss is a sum (not a mean)
 * over entries; the trainer multiplies by λ_SRC and divides by the number of
 * taps.  The official code views the whole batch as one group (CUT's batch
 * is 1); all_from_minibatch gives that, the default is per image.
 *
 * Variants (supplement C.3), option variant:
 *   GCT_SRC_KL: Σ_k KL(P_k ‖ Q_k);
 *   GCT_SRC_L1: Σ_k Σ_{j≠k} |k_k·k_j − q_k·q_j|;
 *   GCT_SRC_L2: Σ_k Σ_{j≠k} (k_k·k_j − q_k·q_j)².
 * Applied to (x, G(x)) only. */
#include "gct-losses-private.h"

GctSrcOptions
gct_src_options_default (void)
{
  return (
      GctSrcOptions){ .batch = 1, .all_from_minibatch = FALSE, .variant = GCT_SRC_JSD };
}

GcutValue
gct_src (GcutGraph *g, GcutValue q, GcutValue k, const GctSrcOptions *o)
{
  GctSrcOptions def = gct_src_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  GctNceOptions nce = { .batch = o->batch,
                        .all_negatives_from_minibatch = o->all_from_minibatch,
                        .tau = 1.0f };
  if (!gct_nce_check (g, q, k, &nce, "SRC", &groups, &n, &c))
    return GCUT_NONE;
  if (o->variant < GCT_SRC_JSD || o->variant > GCT_SRC_L2)
    return gct_fail (g, "SRC", "option variant (%d) is not a GctSrcVariant",
                     (int)o->variant);

  gint64 rows = groups * n;
  GcutValue kd = gcut_detach (g, k);
  GcutValue aq = gct_similarities (g, q, q, groups, n, c);
  GcutValue ak = gct_similarities (g, kd, kd, groups, n, c);
  if (o->variant == GCT_SRC_L1 || o->variant == GCT_SRC_L2)
    {
      GcutValue d = gcut_fill_diagonal (g, gcut_sub (g, ak, aq), 0.0f);
      d = o->variant == GCT_SRC_L1 ? gcut_abs (g, d) : gcut_square (g, d);
      return gcut_sum_all (g, d);
    }
  aq = gcut_reshape (g, aq, gct_shape2 (rows, n));
  ak = gcut_reshape (g, ak, gct_shape2 (rows, n));
  /* Everything is written with P (an exact row softmax, detached) and the
   * small log-ratio r_kj = log Q_kj − log P_kj = d_kj − log Σ_j P_kj e^{d_kj},
   * d = q·q − k·k, so the float32 rounding of the rows' logsumexps (≈ log n,
   * shared by a whole row) never enters the sums: 1e-7 instead of 1e-6. */
  GcutValue d = gcut_sub (g, aq, ak);
  GcutValue p = gcut_detach (g, gcut_softmax_rows (g, ak));
  GcutValue log_z = gcut_log (g, gcut_sum_rows (g, gcut_mul (g, p, gcut_exp (g, d))));
  if (o->variant == GCT_SRC_KL) /* Σ_j P_j (log P_j − log Q_j) = log Σ P e^d − Σ P d */
    return gcut_sum_all (g, gcut_sub (g, log_z, gcut_sum_rows (g, gcut_mul (g, p, d))));
  /* JSD = ½ Σ [Q (log 2 + r − softplus r) + P (log 2 − softplus r)], Q = P e^r */
  GcutValue r = gcut_sub (g, d, log_z);
  GcutValue qq = gcut_mul (g, p, gcut_exp (g, r));
  GcutValue sp = gcut_softplus (g, r);
  /* ln2 in float32 is 1.9e-9 too large; as Σ_j Q_kj = Σ_j P_kj = 1 the terms
   * ½·ln2·(Q + P) add up to rows·ln2 exactly, so the rounding is taken back
   * once on the sum (otherwise a 2e-6 relative bias for n = 256). */
  const float ln2 = (float)G_LN2;
  const float ln2_lo = (float)(G_LN2 - (double)ln2);
  GcutValue t
      = gcut_add (g, gcut_mul (g, qq, gcut_affine (g, gcut_sub (g, r, sp), 1.0f, ln2)),
                  gcut_mul (g, p, gcut_affine (g, sp, -1.0f, ln2)));
  return gcut_affine (g, gcut_sum_all (g, t), 0.5f, (float)rows * ln2_lo);
}
