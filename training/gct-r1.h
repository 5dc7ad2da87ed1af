/* gegl-cut training: the R1 gradient penalty on the discriminator's real inputs.
 *
 * As the official SinCUT code (and StyleGAN2): with S(x) = the sum of D's
 * logit map over every location and every image of the batch (pred_real.sum()),
 * g = ∇_x S(x) and g_b its part for image b,
 *
 *     R1 = γ/2 · (1/B) Σ_b ‖g_b‖².
 *
 * The engine has no double backward, so ∇_θ R1 = (γ/B)·(∂²S/∂θ∂x)·g comes from
 * a central difference of parameter gradients along g:
 *
 *     (∂²S/∂θ∂x)·g ≈ ‖g‖ · [∇_θ S(x + hĝ) − ∇_θ S(x − hĝ)] / (2h),
 *     ĝ = g/‖g‖ (norm over the whole batch), h = ε·√n for n elements in x:
 *     every element of the [−1, 1] images moves by ε in the RMS.
 *
 * D treats the images of a batch independently (instance norm; no minibatch
 * statistics in the StyleGAN2-lite D), so the one
 * direction g over the batch gives Σ_b H_b g_b (H_b = ∂²S/∂θ∂x_b), the terms the mean
 * asks for.  As in the double backward, each LeakyReLU counts as linear with
 * its slope at x: the difference runs D with the slopes frozen (a difference
 * through the kinks adds a term of the result's order that no h removes).
 * Cost: one forward and input-only backward of D on B images, one forward and
 * backward on 2B.  Error against PyTorch's double backward in float64
 * (tests/training/test-r1.c): ≤ 4e-4 of the gradient's largest entry at
 * ε = 3e-3; float32 rounding grows as 1/ε below (5e-3 at 1e-4), truncation
 * as ε² above (1.5e-2 to 0.3 at 0.1).  The biases of convolutions that feed
 * an instance norm, on which R1 does not depend, get the difference of two
 * float32 rounding residues over 2ε instead of 0: up to ~1e-3 of the largest
 * entry, harmless (the norm removes them).
 */
#pragma once

#include <gcut/gcut.h>

G_BEGIN_DECLS

/* The default step ε (see above). */
#define GCT_R1_EPS 3e-3

typedef struct _GctR1 GctR1;

/* Plans for D (PatchGAN or StyleGAN2-lite) on batches of `batch`
 * (3, size, size) images, built once; D is borrowed.  eps: the step ε, > 0
 * (GCT_R1_EPS). */
GctR1 *gct_r1_new (GcutNetwork *D, GcutBackend *backend, int batch, int size, double eps,
                   GError **error);
void gct_r1_free (GctR1 *r1);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctR1, gct_r1_free)

/* R1 of D at the real batch x (NCHW float32) with weight γ: stores R1 in
 * *value and ADDS scale·∇_θ R1 to D's gradients (scale: the interval of lazy
 * regularization, 1 when applied every step). */
gboolean gct_r1_apply (GctR1 *r1, const float *x, double gamma, double scale,
                       double *value, GError **error);

G_END_DECLS
