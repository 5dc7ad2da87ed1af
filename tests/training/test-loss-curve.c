/* The loss plots (training/loss-curve.c): the debiased moving average, and
 * the faint raw values under the smoothed line. */
#include <math.h>

#include "gct-loss-curve.h"

/* A constant is its own average from the first step: without the debiasing
 * the curve would start near 0. */
static void
test_smooth_debiased (void)
{
  float hist[2 * 500];
  double out[500];

  for (int i = 0; i < 500; i++)
    hist[2 * i] = 3.f, hist[2 * i + 1] = i % 2 ? NAN : 0.25f;
  gct_loss_smooth (hist, 500, 2, 0, out);
  for (int i = 0; i < 500; i++)
    g_assert_cmpfloat_with_epsilon (out[i], 3.0, 1e-9);
  /* Non-finite values are skipped: the curve holds. */
  gct_loss_smooth (hist, 500, 2, 1, out);
  for (int i = 0; i < 500; i++)
    g_assert_cmpfloat_with_epsilon (out[i], 0.25, 1e-9);
}

/* Noise of ±0.3 around 1 over 1000 steps (τ = 20 steps): the smoothed
 * curve stays within 0.03 of 1 after its first τ steps. */
static void
test_smooth_noise (void)
{
  float hist[1000];
  double out[1000];

  for (int i = 0; i < 1000; i++)
    hist[i] = i % 2 ? 1.3f : 0.7f;
  gct_loss_smooth (hist, 1000, 1, 0, out);
  g_assert_cmpfloat (out[0], ==, 0.7f);
  for (int i = 20; i < 1000; i++)
    g_assert_cmpfloat (fabs (out[i] - 1.0), <, 0.03);
}

static const float *
pixel (const GctImage *im, int x, int y)
{
  return im->rgba + ((gsize)y * im->width + x) * 4;
}

/* In a 200×101 plot the same noise gives, in a middle column, the loss's
 * colour at 1 (the line) and a faint tint of it between 0.7 and 1 (the raw
 * range), nothing below 0.7. */
static void
test_plot (void)
{
  float hist[1000];
  GctImage im = { 200, 101, g_new (float, 200 * 101 * 4) };
  const float *rgb = gct_loss_color (0), *p;
  double top;
  int y_line, y_raw, y_below;

  for (int i = 0; i < 1000; i++)
    hist[i] = i % 2 ? 1.3f : 0.7f;
  for (int i = 0; i < 200 * 101 * 4; i++)
    im.rgba[i] = 1.f;
  top = gct_loss_plot (&im, 0, 0, 200, 101, hist, 1000, 1);
  g_assert_cmpfloat (top, >, 1.0);
  g_assert_cmpfloat (top, <, 1.3);
  y_line = 100 - (int)lrint (1.0 / top * 100);
  y_raw = 100 - (int)lrint (0.8 / top * 100);
  y_below = 100 - (int)lrint (0.6 / top * 100);
  /* The line is two pixels thick, from its value down. */
  p = pixel (&im, 101, y_line);
  for (int c = 0; c < 3; c++)
    g_assert_cmpfloat_with_epsilon (p[c], rgb[c], 1e-6);
  p = pixel (&im, 101, y_raw);
  for (int c = 0; c < 3; c++)
    {
      g_assert_cmpfloat (p[c], >, rgb[c] + 0.05);
      g_assert_cmpfloat (p[c], <=, 1.f);
    }
  g_assert_cmpfloat (p[0] + p[1] + p[2], <, 3.f - 0.1);
  p = pixel (&im, 101, y_below);
  g_assert_cmpfloat (p[0] + p[1] + p[2], ==, 3.f);
  g_free (im.rgba);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loss-curve/smooth-debiased", test_smooth_debiased);
  g_test_add_func ("/loss-curve/smooth-noise", test_smooth_noise);
  g_test_add_func ("/loss-curve/plot", test_plot);
  return g_test_run ();
}
