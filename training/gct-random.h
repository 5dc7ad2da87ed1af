/* gegl-cut training: seeded random number streams.
 *
 * The generator is xoshiro256** (Blackman & Vigna, 2018, public domain
 * reference at https://prng.di.unimi.it/): 256 bits of state, period 2^256 − 1,
 * passes BigCrush, a few nanoseconds per 64-bit output.  A stream is seeded by
 * running SplitMix64 from a key that mixes the user's seed with the stream's
 * number, so every purpose (crops, patch ids, initialization, noise) gets its
 * own sequence from one seed: drawing more crops never shifts the patch ids.
 *
 * Everything is deterministic for a (seed, stream) pair on every platform:
 * integers without modulo bias (Lemire's multiply-and-reject), floats and
 * doubles from the top bits, normals by Box–Muller with the second value kept.
 * A GctRng is a plain value: copy it to save or fork the state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GCT_STREAM_CROPS = 1,   /* crop positions, zooms, flips */
  GCT_STREAM_PATCHES = 2, /* the contrastive losses' patch locations */
  GCT_STREAM_INIT = 3,    /* network initialization */
  GCT_STREAM_NOISE = 4,   /* anything else that needs noise */
} GctStream;

typedef struct
{
  guint64 s[4];
  double spare; /* the second Box–Muller value */
  gboolean has_spare;
} GctRng;

/* Seeds rng for one stream of seed (any 64-bit number names a stream). */
void gct_rng_init (GctRng *rng, guint64 seed, guint64 stream);
/* FALSE for the all-zero state, the one xoshiro256** never leaves: every draw
 * is 0 and rejection sampling never ends.  gct_rng_init never makes it; check
 * a state read from a file. */
gboolean gct_rng_state_valid (const GctRng *rng);

guint64 gct_rng_next_u64 (GctRng *rng);
/* The upper 32 bits of the next output. */
guint32 gct_rng_next_u32 (GctRng *rng);
/* Uniform in [0, bound); bound > 0.  No modulo bias. */
guint32 gct_rng_below (GctRng *rng, guint32 bound);
guint64 gct_rng_below64 (GctRng *rng, guint64 bound);
/* Uniform in [lo, hi], both included (lo <= hi), like Python's randint. */
gint64 gct_rng_range (GctRng *rng, gint64 lo, gint64 hi);
/* Uniform in [0, 1): 53 (double) or 24 (float) random bits. */
double gct_rng_double (GctRng *rng);
float gct_rng_float (GctRng *rng);
/* Uniform in [lo, hi). */
double gct_rng_uniform (GctRng *rng, double lo, double hi);
/* Standard normal. */
double gct_rng_normal (GctRng *rng);
/* TRUE with probability 1/2. */
gboolean gct_rng_coin (GctRng *rng);

/* The first k entries of a uniformly random permutation of 0 … n−1 (k <= n):
 * k distinct values, as CUT's `torch.randperm(H*W)[:P]`.  scratch holds n
 * entries (its content is overwritten) so a training step allocates nothing;
 * NULL allocates one for the call.  O(n + k). */
void gct_rng_permutation_prefix (GctRng *rng, guint32 n, guint32 k, guint32 *out,
                                 guint32 *scratch);
/* Shuffles n values in place (Fisher–Yates). */
void gct_rng_shuffle (GctRng *rng, guint32 *values, guint32 n);

G_END_DECLS
