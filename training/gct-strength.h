/* gegl-cut training: style strength, how much of a model's effect is applied.
 *
 * At strength s in [0, 1], the front doors (gcut-translate --strength, the
 * strength of gcut:translate) use
 *   - for a model that records its base (gcp_model_base) when the base's file
 *     is found with the recorded checksum and the same generator: the
 *     generator whose weights are (1 − s)·base + s·model, parameter by
 *     parameter (so s = 1 is the model and s = 0 the base, exactly);
 *   - otherwise the pixels: out = in + s·(G(in) − in) on R', G' and B', alpha
 *     untouched.
 * At s = 0 they return the input itself, without running a network: that is
 * what "no effect" means to an artist whichever way strength works, and with
 * a base trained to reproduce photographs (presets/recipes/base-photo.json)
 * the base's own output is nearly the input anyway, so the two ends meet.
 */
#pragma once

#include <gcp/gcp-model-file.h>

G_BEGIN_DECLS

/* A new generator of architecture arch (that of base and tuned) whose weights
 * are (1 − s)·base + s·tuned. */
GcutNetwork *gct_strength_interpolate (GcutNetwork *base, GcutNetwork *tuned,
                                       const GcpGeneratorConfig *arch, double s,
                                       GError **error);

/* out = in + s·(out − in) on the colour channels of n_pixels R'G'B'A pixels
 * (where in is not finite, out stays); alpha is left as it is in out. */
void gct_strength_blend (const float *in_rgba, float *out_rgba, gsize n_pixels, double s);

G_END_DECLS
