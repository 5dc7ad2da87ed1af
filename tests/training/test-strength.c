/* Style strength (gct-strength.h): the interpolated generator at 0, 0.5 and 1
 * is the base, the midpoint-weights network and the model, weights and
 * output exactly; the pixel blend. */
#include <math.h>
#include <string.h>

#include "gct-strength.h"
#include "gct-translate.h"

static const GcpGeneratorConfig arch = { GCP_GENERATOR_RESNET, 8, 5, TRUE, TRUE, 2 };

static GcutNetwork *
generator (guint64 seed)
{
  g_autoptr (GError) error = NULL;
  GcutNetwork *G = gcp_generator_new (&arch, &error);
  gsize n;
  float *w;

  g_assert_no_error (error);
  gcut_network_init_xavier (G, 0.02f, seed);
  /* Biases apart too, so that every parameter differs between the two. */
  w = gcut_network_data (G, &n);
  for (gsize i = 0; i < n; i++)
    w[i] += 1e-3f * (float)((i * 7919 + seed * 104729) % 101) / 101.0f;
  return G;
}

/* Smooth colour ramps with some texture: enough for the networks to differ. */
static GctImage *
test_image (void)
{
  GctImage *image = g_new0 (GctImage, 1);
  image->width = 44;
  image->height = 36;
  image->rgba = g_new (float, 44 * 36 * 4);
  for (int y = 0; y < 36; y++)
    for (int x = 0; x < 44; x++)
      {
        float *p = image->rgba + (y * 44 + x) * 4;
        p[0] = x / 43.0f;
        p[1] = y / 35.0f;
        p[2] = 0.5f + 0.5f * sinf (0.7f * x + 0.3f * y);
        p[3] = 1;
      }
  return image;
}

static GctImage *
translate (GcutNetwork *G, const GctImage *image)
{
  g_autoptr (GError) error = NULL;
  GctImage *out = g_new0 (GctImage, 1);
  gsize bytes = (gsize)image->width * image->height * 4 * sizeof (float);

  *out = *image;
  out->rgba = g_memdup2 (image->rgba, bytes);
  g_assert_true (
      gct_translate_image (G, NULL, GCUT_PRECISION_EXACT, out, 0, 0, NULL, &error));
  g_assert_no_error (error);
  return out;
}

static void
assert_same (GcutNetwork *a, GcutNetwork *b, const GctImage *image)
{
  gsize na, nb;
  const float *da = gcut_network_data (a, &na), *db = gcut_network_data (b, &nb);
  g_autoptr (GctImage) oa = translate (a, image), ob = translate (b, image);

  g_assert_cmpmem (da, na * sizeof (float), db, nb * sizeof (float));
  g_assert_cmpmem (oa->rgba, (gsize)oa->width * oa->height * 4 * sizeof (float), ob->rgba,
                   (gsize)ob->width * ob->height * 4 * sizeof (float));
}

static void
test_interpolate (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctImage) image = test_image ();
  g_autoptr (GcutNetwork) base = generator (1), tuned = generator (2);
  g_autoptr (GcutNetwork) mid = gcp_generator_new (&arch, &error);
  g_autoptr (GcutNetwork) at0 = NULL, at1 = NULL, at_half = NULL;
  gsize n;
  const float *a = gcut_network_data (base, &n), *b = gcut_network_data (tuned, &n);
  float *m = gcut_network_data (mid, &n);

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    m[i] = (float)(((double)a[i] + (double)b[i]) / 2);
  at0 = gct_strength_interpolate (base, tuned, &arch, 0, &error);
  at_half = gct_strength_interpolate (base, tuned, &arch, 0.5, &error);
  at1 = gct_strength_interpolate (base, tuned, &arch, 1, &error);
  g_assert_no_error (error);
  assert_same (at0, base, image);
  assert_same (at_half, mid, image);
  assert_same (at1, tuned, image);
  /* And in between, something else than either end. */
  {
    g_autoptr (GctImage) o0 = translate (base, image), oh = translate (at_half, image);
    g_assert_true (memcmp (o0->rgba, oh->rgba,
                           (gsize)image->width * image->height * 4 * sizeof (float)));
  }
  /* Networks of another size are refused. */
  {
    GcpGeneratorConfig wide = arch;
    wide.ngf = 16;
    g_autoptr (GcutNetwork) w = gcp_generator_new (&wide, NULL);
    g_assert_null (gct_strength_interpolate (base, w, &arch, 0.5, &error));
    g_assert_error (error, GCP_ERROR, GCP_ERROR_MISMATCH);
  }
}

static void
test_blend (void)
{
  float in[8] = { 0.2f, 0.4f, 1.0f, 0.5f, NAN, 0.0f, 2.0f, 1.0f };
  float out[8] = { 0.6f, 0.0f, 0.0f, 0.9f, 0.3f, 1.0f, 0.0f, 0.7f };
  const float want[8] = { 0.2f + 0.25f * (0.6f - 0.2f),
                          0.4f + 0.25f * (0.0f - 0.4f),
                          1.0f + 0.25f * (0.0f - 1.0f),
                          0.9f,
                          0.3f, /* NaN in: the translation stays */
                          0.0f + 0.25f * (1.0f - 0.0f),
                          2.0f + 0.25f * (0.0f - 2.0f),
                          0.7f };
  float zero[8];

  memcpy (zero, out, sizeof out);
  gct_strength_blend (in, out, 2, 0.25);
  g_assert_cmpmem (out, sizeof out, want, sizeof want);
  /* 0: the input's colours exactly, the output's alpha. */
  gct_strength_blend (in, zero, 2, 0);
  g_assert_cmpfloat (zero[0], ==, in[0]);
  g_assert_cmpfloat (zero[2], ==, in[2]);
  g_assert_cmpfloat (zero[3], ==, 0.9f);
  g_assert_cmpfloat (zero[6], ==, in[6]);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gcut_backend_set_threads (gcut_backend_cpu (), 2);
  g_test_add_func ("/strength/interpolate", test_interpolate);
  g_test_add_func ("/strength/blend", test_blend);
  status = g_test_run ();
  return status;
}
