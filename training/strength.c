/* gegl-cut training: style strength (gct-strength.h). */
#include <math.h>

#include "gct-strength.h"

GcutNetwork *
gct_strength_interpolate (GcutNetwork *base, GcutNetwork *tuned,
                          const GcpGeneratorConfig *arch, double s, GError **error)
{
  g_autoptr (GcutNetwork) out = gcp_generator_new (arch, error);
  gsize n, n_base, n_tuned;
  float *dst;
  const float *a, *b;

  if (!out)
    return NULL;
  dst = gcut_network_data (out, &n);
  a = gcut_network_data (base, &n_base);
  b = gcut_network_data (tuned, &n_tuned);
  if (n_base != n || n_tuned != n)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
                   "the base has %" G_GSIZE_FORMAT
                   " generator weights and the model %" G_GSIZE_FORMAT
                   ", where the architecture has %" G_GSIZE_FORMAT,
                   n_base, n_tuned, n);
      return NULL;
    }
  /* Not a + s·(b − a), which misses b at s = 1 by a rounding. */
  for (gsize i = 0; i < n; i++)
    dst[i] = (float)((1.0 - s) * a[i] + s * b[i]);
  return g_steal_pointer (&out);
}

void
gct_strength_blend (const float *in, float *out, gsize n_pixels, double s)
{
  const float fs = (float)s;
  /* A NaN or infinite input keeps the translation, which the network made
   * from a sanitized value, rather than spreading into the blend. */
  for (gsize i = 0; i < n_pixels; i++)
    for (int c = 0; c < 3; c++)
      if (isfinite (in[4 * i + c]))
        out[4 * i + c] = in[4 * i + c] + fs * (out[4 * i + c] - in[4 * i + c]);
}
