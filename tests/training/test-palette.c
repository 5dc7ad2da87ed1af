/* Palettes and histogram matching (gct-palette.h), against values worked out
 * by hand on tiny images: ranks with the pixels of a bin spread over it,
 * Y'CbCr of BT.601, alpha and non-finite values. */
#include <math.h>

#include "gct-palette.h"

#define L GCP_PALETTE_LEVELS

static void
grey (float *px, float v, float alpha)
{
  px[0] = px[1] = px[2] = v;
  px[3] = alpha;
}

/* A palette whose Y' levels run evenly from y0 to y1, its Cb and Cr all c. */
static void
ramp_palette (float *levels, double y0, double y1, double cb, double cr)
{
  for (int i = 0; i < L; i++)
    {
      levels[i] = (float)(y0 + (y1 - y0) * i / (L - 1));
      levels[L + i] = (float)cb;
      levels[2 * L + i] = (float)cr;
    }
}

/* Four greys of different brightness onto Y' from 0.5 to 0.9: pixel j of 4
 * (darkest first) has rank (j + f) / 4, f where its value lies in its 1/4096
 * bin, so it becomes 0.5 + 0.4·(j + f)/4 and stays grey.  Given out of
 * order, so that ranks come from values, not positions. */
static void
test_grey_ranks (void)
{
  const float y[4] = { 0.30f, 0.1003f, 0.7502f, 0.2f };
  const int order[4] = { 2, 0, 3, 1 };
  float px[16], levels[3 * L];
  g_autoptr (GctHistogram) h = gct_histogram_new ();
  g_autoptr (GctPaletteMap) map = NULL;

  for (int i = 0; i < 4; i++)
    grey (px + 4 * i, y[i], 1);
  ramp_palette (levels, 0.5, 0.9, 0, 0);
  gct_histogram_add (h, px, 4);
  map = gct_palette_map_new (h, levels);
  gct_palette_map_apply (map, px, px, 4, 1.0);
  for (int i = 0; i < 4; i++)
    {
      double f = y[i] * 4096 - floor (y[i] * 4096);
      double want = 0.5 + 0.4 * (order[i] + f) / 4;
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat_with_epsilon (px[4 * i + c], want, 2e-6);
      g_assert_cmpfloat (px[4 * i + 3], ==, 1);
    }
}

/* Colour: every pixel takes the palette's Cb and Cr, here constant, keeping
 * its rank in Y'.  One pixel, Y' 0.4 onto a constant Y' of 0.5 with Cb −0.1
 * and Cr 0.2: R' = 0.5 + 1.402·0.2, B' = 0.5 − 0.1772, G' from Y'. */
static void
test_colour (void)
{
  float px[4] = { 0.4f, 0.4f, 0.4f, 1 }, levels[3 * L];
  g_autoptr (GctHistogram) h = gct_histogram_new ();
  g_autoptr (GctPaletteMap) map = NULL;
  double r = 0.5 + 1.402 * 0.2, b = 0.5 - 1.772 * 0.1;
  double g = (0.5 - 0.299 * r - 0.114 * b) / 0.587;

  ramp_palette (levels, 0.5, 0.5, -0.1, 0.2);
  gct_histogram_add (h, px, 1);
  map = gct_palette_map_new (h, levels);
  gct_palette_map_apply (map, px, px, 1, 1.0);
  g_assert_cmpfloat_with_epsilon (px[0], r, 1e-6);
  g_assert_cmpfloat_with_epsilon (px[1], g, 1e-6);
  g_assert_cmpfloat_with_epsilon (px[2], b, 1e-6);
}

/* The palette of 1000 greys at (i + 0.5)/1000, one pixel a bin at most:
 * level k, at rank k/255, lies in the bin of pixel ⌈1000·k/255⌉ − 1 (or the
 * next, where that is an integer and rounding decides), Cb and Cr at 0. */
static void
test_palette_of_histogram (void)
{
  g_autofree float *px = g_new (float, 4000);
  float levels[3 * L];
  g_autoptr (GctHistogram) h = gct_histogram_new ();

  g_assert_false (gct_histogram_palette (h, levels));
  for (int i = 0; i < 1000; i++)
    grey (px + 4 * i, (float)((i + 0.5) / 1000), 1);
  gct_histogram_add (h, px, 1000);
  g_assert_true (gct_histogram_palette (h, levels));
  for (int k = 0; k < L; k++)
    {
      int j = MAX ((int)ceil (1000.0 * k / (L - 1) - 1e-9) - 1, 0);
      double near = MIN (fabs (levels[k] - (j + 0.5) / 1000),
                         fabs (levels[k] - (j + 1.5) / 1000));
      g_assert_cmpfloat (near, <=, 1.0 / 4096 + 1e-6);
      g_assert_cmpfloat (fabs (levels[L + k]), <=, 1.0 / 4096);
      g_assert_cmpfloat (fabs (levels[2 * L + k]), <=, 1.0 / 4096);
      if (k)
        g_assert_cmpfloat (levels[k], >=, levels[k - 1]);
    }
}

/* Matching an image to its own palette nearly keeps it (the 256 levels are
 * coarser than the image's values in the tails of a channel); amount 0
 * changes nothing; amount 0.5 is the midpoint. */
static void
test_own_palette_and_amount (void)
{
  const int n = 64 * 48;
  g_autofree float *px = g_new (float, 4 * n), *out = g_new (float, 4 * n);
  float levels[3 * L];
  g_autoptr (GctHistogram) h = gct_histogram_new ();
  g_autoptr (GctPaletteMap) map = NULL;
  g_autoptr (GctPaletteMap) other = NULL;
  double sum = 0;

  for (int i = 0; i < n; i++)
    {
      int x = i % 64, y = i / 64;
      px[4 * i] = x / 63.0f;
      px[4 * i + 1] = y / 47.0f;
      px[4 * i + 2] = (float)((x * 7 + y * 13) % 29) / 28.0f;
      px[4 * i + 3] = 1;
    }
  gct_histogram_add (h, px, n);
  g_assert_true (gct_histogram_palette (h, levels));
  map = gct_palette_map_new (h, levels);
  gct_palette_map_apply (map, px, out, n, 1.0);
  for (int i = 0; i < 4 * n; i++)
    {
      g_assert_cmpfloat (fabs (out[i] - px[i]), <, 0.05);
      sum += fabs (out[i] - px[i]);
    }
  g_assert_cmpfloat (sum / (4 * n), <, 0.002);

  ramp_palette (levels, 0.2, 0.6, 0.05, -0.05);
  other = gct_palette_map_new (h, levels);
  gct_palette_map_apply (other, px, out, n, 0.0);
  for (int i = 0; i < 4 * n; i++)
    g_assert_cmpfloat (out[i], ==, px[i]);
  {
    g_autofree float *full = g_new (float, 4 * n);
    gct_palette_map_apply (other, px, full, n, 1.0);
    gct_palette_map_apply (other, px, out, n, 0.5);
    for (int i = 0; i < 4 * n; i++)
      g_assert_cmpfloat_with_epsilon (out[i], px[i] + 0.5f * (full[i] - px[i]), 1e-6);
  }
}

/* Transparent pixels and non-finite colours do not count; a non-finite
 * pixel is copied through, alpha too. */
static void
test_alpha_and_nan (void)
{
  float px[16], levels[3 * L];
  g_autoptr (GctHistogram) h = gct_histogram_new ();
  g_autoptr (GctPaletteMap) map = NULL;

  grey (px, 0.2f, 1);
  grey (px + 4, 0.9f, 0); /* transparent: not counted */
  grey (px + 8, NAN, 1);
  grey (px + 12, 0.6f, 0.5f);
  ramp_palette (levels, 0.0, 1.0, 0, 0);
  gct_histogram_add (h, px, 4);
  map = gct_palette_map_new (h, levels);
  gct_palette_map_apply (map, px, px, 4, 1.0);
  /* Two counted pixels: 0.2 has rank (0 + f)/2, 0.6 has (1 + f)/2. */
  g_assert_cmpfloat_with_epsilon (px[0], (0.2f * 4096.0 - floor (0.2f * 4096.0)) / 2,
                                  2e-6);
  g_assert_cmpfloat_with_epsilon (px[12], (1 + 0.6f * 4096.0 - floor (0.6f * 4096.0)) / 2,
                                  2e-6);
  g_assert_cmpfloat (px[15], ==, 0.5f);
  g_assert_true (isnan (px[8]));
  g_assert_cmpfloat (px[11], ==, 1);
  /* Above every counted pixel: rank 1. */
  g_assert_cmpfloat_with_epsilon (px[4], 1.0, 1e-6);
  g_assert_cmpfloat (px[7], ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/palette/grey-ranks", test_grey_ranks);
  g_test_add_func ("/palette/colour", test_colour);
  g_test_add_func ("/palette/of-histogram", test_palette_of_histogram);
  g_test_add_func ("/palette/own-palette-and-amount", test_own_palette_and_amount);
  g_test_add_func ("/palette/alpha-and-nan", test_alpha_and_nan);
  return g_test_run ();
}
