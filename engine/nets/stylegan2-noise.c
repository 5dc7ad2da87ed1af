/* The StyleGAN2-lite generator's noise as a function of position, for
 * translating images in tiles that agree with one pass (gcut-network.h).
 *
 * Counter-based: the key of a (seed, noise input) pair is a SplitMix64 hash,
 * and the value at (row, col) is Box–Muller on outputs 2n + 1 and 2n + 2 of the
 * SplitMix64 sequence of that key, n = row·2³² + col.  No state runs from one
 * pixel to the next, so any window comes out alone, in any order, and the same
 * on every platform. */
#include <math.h>

#include <gcut/gcut-network.h>

#define GOLDEN G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)

/* SplitMix64's output function (Steele, Lea & Flood, 2014). */
static guint64
mix (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void
gcut_stylegan2_generator_noise_fill (guint64 seed, int index, int row, int col, int h,
                                     int w, float *dst)
{
  guint64 key = mix (mix (seed) + (guint64)(index + 1) * GOLDEN);

  g_return_if_fail (row >= 0 && col >= 0 && h >= 0 && w >= 0);
#pragma omp parallel for if ((gint64)h * w > 1 << 14)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint64 n = (guint64)(row + y) << 32 | (guint32)(col + x);
        guint64 a = mix (key + (2 * n + 1) * GOLDEN),
                b = mix (key + (2 * n + 2) * GOLDEN);
        /* u in (0, 1] keeps the logarithm finite. */
        double u = ((a >> 11) + 1) * 0x1p-53, v = (b >> 11) * 0x1p-53;
        dst[(gsize)y * w + x] = (float)(sqrt (-2 * log (u)) * cos (2 * G_PI * v));
      }
}
