/* gegl-cut training: DCE, the decoupled contrastive loss (Yeh et al. 2021, as
 * used by Jung et al. 2022).
 *
 *   ℓ_i = −s_ii/τ + log Σ_{j≠i} e^{s_ij/τ},  L = mean_i ℓ_i.
 *
 * The positive is dropped from the denominator.  Official code (Hneg_SRC,
 * models/hDCE.py with no weights): the group's n×n similarity matrix with
 * its diagonal set to −10, ℓ_i = logsumexp_j((neg_ij − s_ii)/τ), so the
 * diagonal contributes e^{(−10 − s_ii)/τ} (≈ e^{−140}); kept here.  The
 * official module returns a value with the PatchNCE number and this loss's
 * gradient (exp(v − v.detach()) trick); we return the DCE value itself.
 * Options (GctNceOptions) as PatchNCE. */
#include "gct-losses-private.h"

GcutValue
gct_dce (GcutGraph *g, GcutValue q, GcutValue k, const GctNceOptions *o)
{
  GctNceOptions def = gct_nce_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  if (!gct_nce_check (g, q, k, o, "DCE", &groups, &n, &c))
    return GCUT_NONE;
  GcutValue kd = gcut_detach (g, k), qt = gct_over_tau (g, q, o->tau);
  GcutValue pos = gct_row_dots (g, qt, kd);
  GcutValue s = gcut_fill_diagonal (g, gct_similarities (g, qt, kd, groups, n, c),
                                    -10.0f / o->tau);
  s = gcut_reshape (g, s, gct_shape2 (groups * n, n));
  return gcut_mean_all (g, gcut_logsumexp_rows (g, gcut_sub (g, s, pos)));
}
