/* Seeded random number streams: xoshiro256** seeded by SplitMix64. */
#include <math.h>
#include "gct-random.h"

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
gct_rng_init (GctRng *rng, guint64 seed, guint64 stream)
{
  /* Mix seed and stream through SplitMix64 twice, so nearby seeds and nearby
   * stream numbers give unrelated keys. */
  guint64 key = seed;
  guint64 k1 = splitmix64 (&key);
  guint64 key2 = k1 ^ (stream * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL);
  guint64 k = splitmix64 (&key2);

  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&k);
  if (!gct_rng_state_valid (rng))
    rng->s[0] = 1;
  rng->spare = 0;
  rng->has_spare = FALSE;
}

gboolean
gct_rng_state_valid (const GctRng *rng)
{
  return (rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0;
}

guint64
gct_rng_next_u64 (GctRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

guint32
gct_rng_next_u32 (GctRng *rng)
{
  return (guint32)(gct_rng_next_u64 (rng) >> 32);
}

/* Lemire, "Fast random integer generation in an interval" (2019). */
guint32
gct_rng_below (GctRng *rng, guint32 bound)
{
  g_return_val_if_fail (bound > 0, 0);
  guint64 m = (guint64)gct_rng_next_u32 (rng) * bound;
  guint32 low = (guint32)m;

  if (low < bound)
    {
      guint32 threshold = -bound % bound;
      while (low < threshold)
        {
          m = (guint64)gct_rng_next_u32 (rng) * bound;
          low = (guint32)m;
        }
    }
  return (guint32)(m >> 32);
}

guint64
gct_rng_below64 (GctRng *rng, guint64 bound)
{
  g_return_val_if_fail (bound > 0, 0);
  if (bound <= G_MAXUINT32)
    return gct_rng_below (rng, (guint32)bound);
  /* Rejection on the smallest power-of-two mask that covers bound. */
  guint64 mask = bound - 1;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  for (;;)
    {
      guint64 x = gct_rng_next_u64 (rng) & mask;
      if (x < bound)
        return x;
    }
}

gint64
gct_rng_range (GctRng *rng, gint64 lo, gint64 hi)
{
  g_return_val_if_fail (lo <= hi, lo);
  guint64 span = (guint64)hi - (guint64)lo;
  if (span == G_MAXUINT64)
    return (gint64)gct_rng_next_u64 (rng);
  return (gint64)((guint64)lo + gct_rng_below64 (rng, span + 1));
}

double
gct_rng_double (GctRng *rng)
{
  return (gct_rng_next_u64 (rng) >> 11) * 0x1.0p-53;
}

float
gct_rng_float (GctRng *rng)
{
  return (gct_rng_next_u64 (rng) >> 40) * 0x1.0p-24f;
}

double
gct_rng_uniform (GctRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * gct_rng_double (rng);
}

double
gct_rng_normal (GctRng *rng)
{
  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  /* u1 in (0, 1] so the log is finite. */
  double u1 = 1.0 - gct_rng_double (rng);
  double u2 = gct_rng_double (rng);
  double r = sqrt (-2.0 * log (u1));
  rng->spare = r * sin (2.0 * G_PI * u2);
  rng->has_spare = TRUE;
  return r * cos (2.0 * G_PI * u2);
}

gboolean
gct_rng_coin (GctRng *rng)
{
  return (gct_rng_next_u64 (rng) >> 63) != 0;
}

void
gct_rng_permutation_prefix (GctRng *rng, guint32 n, guint32 k, guint32 *out,
                            guint32 *scratch)
{
  g_return_if_fail (k <= n);
  guint32 *a = scratch ? scratch : g_new (guint32, n ? n : 1);

  for (guint32 i = 0; i < n; i++)
    a[i] = i;
  /* Partial Fisher–Yates: position i takes a uniform pick of the rest. */
  for (guint32 i = 0; i < k; i++)
    {
      guint32 j = i + gct_rng_below (rng, n - i);
      guint32 t = a[i];
      a[i] = a[j];
      a[j] = t;
      out[i] = a[i];
    }
  if (!scratch)
    g_free (a);
}

void
gct_rng_shuffle (GctRng *rng, guint32 *values, guint32 n)
{
  for (guint32 i = n; i > 1; i--)
    {
      guint32 j = gct_rng_below (rng, i);
      guint32 t = values[i - 1];
      values[i - 1] = values[j];
      values[j] = t;
    }
}
