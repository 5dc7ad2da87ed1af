/* The random streams: the reference generator, determinism, independence of
 * streams, and statistical sanity of every distribution. */
#include <math.h>
#include <string.h>

#include "gct-random.h"

#define TRIALS 1000000

static void
test_reference (void)
{
  /* xoshiro256** from the state {1, 2, 3, 4}, as the reference C code. */
  GctRng rng = { { 1, 2, 3, 4 }, 0, FALSE };
  g_assert_cmpuint (gct_rng_next_u64 (&rng), ==, 11520);
  g_assert_cmpuint (gct_rng_next_u64 (&rng), ==, 0);
  g_assert_cmpuint (gct_rng_next_u64 (&rng), ==, 1509978240);
  g_assert_cmpuint (gct_rng_next_u64 (&rng), ==,
                    G_GUINT64_CONSTANT (1215971899390074240));
}

static void
test_determinism (void)
{
  GctRng a, b, c;
  guint32 pa[50], pb[50];

  gct_rng_init (&a, 42, GCT_STREAM_CROPS);
  gct_rng_init (&b, 42, GCT_STREAM_CROPS);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpuint (gct_rng_next_u64 (&a), ==, gct_rng_next_u64 (&b));
  for (int i = 0; i < 100; i++)
    g_assert_cmpfloat (gct_rng_normal (&a), ==, gct_rng_normal (&b));
  gct_rng_permutation_prefix (&a, 1000, 50, pa, NULL);
  gct_rng_permutation_prefix (&b, 1000, 50, pb, NULL);
  g_assert_cmpmem (pa, sizeof pa, pb, sizeof pb);
  /* A copy continues the same sequence. */
  c = a;
  for (int i = 0; i < 100; i++)
    g_assert_cmpuint (gct_rng_below (&a, 77), ==, gct_rng_below (&c, 77));
  /* Pinned values: a change of algorithm must be deliberate (it changes
   * every seeded training run). */
  gct_rng_init (&a, 0, 0);
  g_test_message ("first output for seed 0 stream 0: %" G_GUINT64_FORMAT,
                  gct_rng_next_u64 (&a));
}

/* Pearson correlation of the doubles of two generators. */
static double
correlation (GctRng *a, GctRng *b, int n)
{
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (int i = 0; i < n; i++)
    {
      double x = gct_rng_double (a), y = gct_rng_double (b);
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
    }
  double cov = sab / n - (sa / n) * (sb / n);
  return cov / sqrt ((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
}

static void
test_streams (void)
{
  const guint64 streams[]
      = { GCT_STREAM_CROPS, GCT_STREAM_PATCHES, GCT_STREAM_INIT, GCT_STREAM_NOISE };
  /* Different streams of one seed, and the same stream of neighbouring seeds,
   * share no outputs and are uncorrelated (|r| < 5/sqrt(n)). */
  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    for (guint j = 0; j < G_N_ELEMENTS (streams); j++)
      {
        GctRng a, b;
        if (i == j)
          continue;
        gct_rng_init (&a, 7, streams[i]);
        gct_rng_init (&b, 7, streams[j]);
        g_assert_cmpuint (gct_rng_next_u64 (&a), !=, gct_rng_next_u64 (&b));
        double r = correlation (&a, &b, 100000);
        g_assert_cmpfloat (fabs (r), <, 5 / sqrt (100000.0));
      }
  for (guint64 seed = 0; seed < 8; seed++)
    {
      GctRng a, b;
      gct_rng_init (&a, seed, GCT_STREAM_CROPS);
      gct_rng_init (&b, seed + 1, GCT_STREAM_CROPS);
      double r = correlation (&a, &b, 100000);
      g_assert_cmpfloat (fabs (r), <, 5 / sqrt (100000.0));
    }
  /* Drawing from one stream leaves another untouched. */
  {
    GctRng crops, patches, fresh;
    gct_rng_init (&crops, 3, GCT_STREAM_CROPS);
    gct_rng_init (&patches, 3, GCT_STREAM_PATCHES);
    gct_rng_init (&fresh, 3, GCT_STREAM_PATCHES);
    for (int i = 0; i < 1000; i++)
      gct_rng_next_u64 (&crops);
    g_assert_cmpuint (gct_rng_next_u64 (&patches), ==, gct_rng_next_u64 (&fresh));
  }
}

/* Chi-square of counts against uniform, with k−1 degrees of freedom;
 * compared with a generous bound (mean k−1, sd sqrt(2(k−1))). */
static void
check_uniform_counts (const guint *counts, guint k, guint n)
{
  double chi = 0, e = (double)n / k;
  for (guint i = 0; i < k; i++)
    chi += (counts[i] - e) * (counts[i] - e) / e;
  double bound = (k - 1) + 6 * sqrt (2.0 * (k - 1));
  if (chi > bound)
    g_error ("chi-square %.1f over %.1f for %u cells", chi, bound, k);
}

static void
test_integers (void)
{
  GctRng rng;
  guint counts[10] = { 0 };
  guint low = 0, hits = 0;

  gct_rng_init (&rng, 1, GCT_STREAM_NOISE);
  for (int i = 0; i < TRIALS; i++)
    counts[gct_rng_below (&rng, 10)]++;
  check_uniform_counts (counts, 10, TRIALS);

  /* For a bound of 3·2^30, taking the output modulo the bound would make the
   * first third of the range twice as likely as the rest. */
  const guint32 big = 3u << 30;
  for (int i = 0; i < TRIALS; i++)
    low += gct_rng_below (&rng, big) < big / 3;
  g_assert_cmpfloat (fabs (low / (double)TRIALS - 1 / 3.0), <, 0.003);

  /* 64-bit bounds, and ranges with both ends included. */
  for (int i = 0; i < TRIALS / 10; i++)
    {
      guint64 v = gct_rng_below64 (&rng, G_GUINT64_CONSTANT (3) << 62);
      g_assert_cmpuint (v, <, G_GUINT64_CONSTANT (3) << 62);
      gint64 r = gct_rng_range (&rng, -2, 2);
      g_assert_cmpint (r, >=, -2);
      g_assert_cmpint (r, <=, 2);
      hits += r == 2;
    }
  g_assert_cmpfloat (fabs (hits / (TRIALS / 10.0) - 0.2), <, 0.01);
  g_assert_cmpint (gct_rng_range (&rng, 5, 5), ==, 5);
  memset (counts, 0, sizeof counts);
  for (int i = 0; i < TRIALS; i++)
    counts[gct_rng_coin (&rng)]++;
  check_uniform_counts (counts, 2, TRIALS);
}

static void
test_reals (void)
{
  GctRng rng;
  double s = 0, ss = 0, lo = 1, hi = 0;
  int within = 0;
  guint counts[100] = { 0 };

  gct_rng_init (&rng, 2, GCT_STREAM_NOISE);
  for (int i = 0; i < TRIALS; i++)
    {
      double u = gct_rng_double (&rng);
      float f = gct_rng_float (&rng);
      g_assert_true (u >= 0 && u < 1);
      g_assert_true (f >= 0 && f < 1);
      s += u;
      ss += u * u;
      lo = MIN (lo, u);
      hi = MAX (hi, u);
      counts[(int)(f * 100)]++;
    }
  check_uniform_counts (counts, 100, TRIALS);
  g_assert_cmpfloat (fabs (s / TRIALS - 0.5), <, 0.002);
  g_assert_cmpfloat (fabs (ss / TRIALS - s * s / TRIALS / TRIALS - 1 / 12.0), <, 0.001);
  g_assert_cmpfloat (lo, <, 1e-4);
  g_assert_cmpfloat (hi, >, 1 - 1e-4);
  for (int i = 0; i < 1000; i++)
    {
      double v = gct_rng_uniform (&rng, -3, 5);
      g_assert_true (v >= -3 && v < 5);
    }

  s = ss = 0;
  double s3 = 0, s4 = 0;
  for (int i = 0; i < TRIALS; i++)
    {
      double z = gct_rng_normal (&rng);
      g_assert_true (isfinite (z));
      s += z;
      ss += z * z;
      s3 += z * z * z;
      s4 += z * z * z * z;
      within += fabs (z) < 1;
    }
  g_assert_cmpfloat (fabs (s / TRIALS), <, 0.005);
  g_assert_cmpfloat (fabs (ss / TRIALS - 1), <, 0.01);
  g_assert_cmpfloat (fabs (s3 / TRIALS), <, 0.02);
  g_assert_cmpfloat (fabs (s4 / TRIALS - 3), <, 0.05);
  g_assert_cmpfloat (fabs (within / (double)TRIALS - 0.682689), <, 0.003);
}

static void
test_permutation (void)
{
  GctRng rng;
  const guint32 n = 256 * 256, k = 256;
  g_autofree guint32 *scratch = g_new (guint32, n);
  guint32 out[256];
  guint first[10] = { 0 }, last[10] = { 0 };

  gct_rng_init (&rng, 9, GCT_STREAM_PATCHES);
  /* P of H·W without replacement. */
  for (int t = 0; t < 50; t++)
    {
      g_autofree guint8 *seen = g_new0 (guint8, n);
      gct_rng_permutation_prefix (&rng, n, k, out, scratch);
      for (guint32 i = 0; i < k; i++)
        {
          g_assert_cmpuint (out[i], <, n);
          g_assert_false (seen[out[i]]);
          seen[out[i]] = 1;
        }
    }
  /* Every position is uniform over the values. */
  for (int t = 0; t < 100000; t++)
    {
      guint32 o[10];
      gct_rng_permutation_prefix (&rng, 10, 10, o, NULL);
      first[o[0]]++;
      last[o[9]]++;
    }
  check_uniform_counts (first, 10, 100000);
  check_uniform_counts (last, 10, 100000);
  /* k = n gives a permutation; k = 0 and n = 0 are fine. */
  gct_rng_permutation_prefix (&rng, 0, 0, out, NULL);
  {
    guint32 v[5] = { 0, 1, 2, 3, 4 };
    guint sum = 0;
    gct_rng_shuffle (&rng, v, 5);
    for (int i = 0; i < 5; i++)
      sum += 1u << v[i];
    g_assert_cmpuint (sum, ==, 31);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/random/reference", test_reference);
  g_test_add_func ("/random/determinism", test_determinism);
  g_test_add_func ("/random/streams", test_streams);
  g_test_add_func ("/random/integers", test_integers);
  g_test_add_func ("/random/reals", test_reals);
  g_test_add_func ("/random/permutation", test_permutation);
  return g_test_run ();
}
