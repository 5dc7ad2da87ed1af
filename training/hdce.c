/* gegl-cut training: hDCE, DCE with hard negatives weighted by the source's
 * semantic relation (Jung et al. 2022, "Exploring patch-wise semantic
 * relation for contrastive learning in image-to-image translation tasks").
 *
 * Official form (GCT_HDCE_OFFICIAL, the default; Hneg_SRC models/SRC.py and
 * models/hDCE.py):
 *
 *   w_ij = softmax_j( (k_i·k_j)/Γ ) with the diagonal of k·kᵀ set to −10,
 *          each row divided by its maximum (largest weight 1), detached;
 *   ℓ_i  = logsumexp_j( (w_ij·s_ij − s_ii)/τ ), the j = i entry being
 *          (−10 − s_ii)/τ (the official −10 diagonal, ≈ e^{−140}: negligible).
 *
 * The weight multiplies the similarity, not the exponential.  Dividing the
 * softmax by its row maximum is w_ij = e^{(k_i·k_j − max_{j≠i} k_i·k_j)/Γ};
 * the graph computes it that way.  The official module returns
 * mean(exp(v − v.detach())) − 1 + CE.detach(): a cross-entropy value with this
 * loss's gradient; we return mean_i ℓ_i (same gradient).  The weights are
 * taken over the same groups as the negatives (the official SRC always views
 * the batch as one group; CUT's batch is 1).  The official single-image code
 * masks the diagonal with eye(1), which makes every weight 1: not copied.
 *
 * Paper's form (GCT_HDCE_IMPORTANCE; eq. 4–5): negatives drawn from
 * q(z⁻) ∝ e^{γ k_i·k_j} p(z⁻), γ = 1/Γ, estimated by importance sampling with
 * self-normalized weights ŵ_ij = softmax_{j≠i}(k_i·k_j/Γ) (detached):
 *
 *   ℓ_i = −s_ii/τ + log Σ_{j≠i} (n−1)·ŵ_ij·e^{s_ij/τ}
 *
 * (n the rows of the group; with Γ → ∞ both forms become DCE).
 *
 * Curriculum (supplement): Γ(t) = Γ0 + (Γ_final − Γ0)·t/T, 50 → 10 for
 * horse→zebra, 200 → 40 for the single-image Monet experiment; "stepped"
 * (cityscapes; official step_gamma) sets Γ = 1 once t > step_at.
 *
 * Options (GctHdceOptions): nce (batch, grouping, τ), Γ > 0 (or a run-time
 * 1/Γ value), form. */
#include <math.h>

#include "gct-losses-private.h"

GctHdceOptions
gct_hdce_options_default (void)
{
  return (GctHdceOptions){ .nce = gct_nce_options_default (),
                           .gamma = 50.0f,
                           .form = GCT_HDCE_OFFICIAL,
                           .inv_gamma = GCUT_NONE };
}

double
gct_hdce_gamma (gint64 step, gint64 total, double gamma0, double gamma_final,
                GctGammaSchedule mode, gint64 step_at)
{
  double t = total > 0 ? (double)CLAMP (step, 0, total) / (double)total : 1.0;
  if (mode == GCT_GAMMA_STEPPED && step > step_at)
    return 1.0;
  return gamma0 + (gamma_final - gamma0) * t;
}

/* x / Γ, with Γ a constant or the run-time value of the options. */
static GcutValue
over_gamma (GcutGraph *g, GcutValue x, const GctHdceOptions *o)
{
  if (o->inv_gamma != GCUT_NONE)
    return gcut_mul (g, x, o->inv_gamma);
  return gcut_affine (g, x, 1.0f / o->gamma, 0.0f);
}

GcutValue
gct_hdce (GcutGraph *g, GcutValue q, GcutValue k, const GctHdceOptions *o)
{
  GctHdceOptions def = gct_hdce_options_default ();
  gint64 groups, n, c;
  if (!o)
    o = &def;
  if (!gct_nce_check (g, q, k, &o->nce, "hDCE", &groups, &n, &c))
    return GCUT_NONE;
  if (o->inv_gamma == GCUT_NONE && (!(o->gamma > 0) || !isfinite (o->gamma)))
    return gct_fail (g, "hDCE", "option gamma (%g) must be positive", o->gamma);
  if (o->form != GCT_HDCE_OFFICIAL && o->form != GCT_HDCE_IMPORTANCE)
    return gct_fail (g, "hDCE", "option form (%d) is not a GctHdceForm", (int)o->form);

  const float tau = o->nce.tau;
  gint64 rows = groups * n;
  GcutValue kd = gcut_detach (g, k), qt = gct_over_tau (g, q, tau);
  GcutValue pos = gct_row_dots (g, qt, kd);
  GcutValue s = gcut_reshape (g, gct_similarities (g, qt, kd, groups, n, c),
                              gct_shape2 (rows, n));
  GcutValue kk = gcut_reshape (g, gct_similarities (g, kd, kd, groups, n, c),
                               gct_shape2 (rows, n));
  GcutValue logits;
  float shift = 0.0f;
  if (o->form == GCT_HDCE_OFFICIAL)
    {
      GcutValue kkm = gct_fill_diagonal_rows (g, kk, groups, n, -10.0f);
      GcutValue m = gct_row_max_detached (g, kkm);
      GcutValue w = gcut_exp (g, over_gamma (g, gcut_sub (g, kkm, m), o));
      w = gcut_detach (g, w);
      GcutValue ws
          = gct_fill_diagonal_rows (g, gcut_mul (g, w, s), groups, n, -10.0f / tau);
      logits = gcut_sub (g, ws, pos);
    }
  else
    {
      GcutValue z = gct_fill_diagonal_rows (g, over_gamma (g, kk, o), groups, n, -1e4f);
      GcutValue logw = gcut_detach (g, gcut_sub (g, z, gcut_logsumexp_rows (g, z)));
      logits = gct_fill_diagonal_rows (g, gcut_add (g, gcut_sub (g, s, pos), logw),
                                       groups, n, -1e4f);
      shift = logf ((float)(n - 1)); /* moved out of the logsumexp */
    }
  GcutValue l = gcut_mean_all (g, gcut_logsumexp_rows (g, logits));
  return shift != 0.0f ? gcut_affine (g, l, 1.0f, shift) : l;
}
