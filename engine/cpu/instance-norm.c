/* Instance normalization kernels.
 *
 * A plane is one image's block of B channels: H·W pixels of B lanes, cut into
 * fixed chunks.  Each kernel makes three passes: per-lane sums of each chunk,
 * per-lane coefficients of each plane from its chunk sums (in chunk order, so
 * results do not depend on the thread count), and an elementwise pass over
 * the chunks again.  The passes go through the planes a group at a time, a
 * group small enough that the chunks a thread summed are still in its cache
 * when it reads them again.  The backward kernels recompute the statistics
 * from x.
 *
 * Inner loops run over W floats at a time, W a multiple of every block, so
 * float j of a chunk belongs to lane j mod B and the loops vectorize alike for
 * plain and blocked layouts. */
#include <math.h>
#include <omp.h>
#include "cpu-private.h"

#define W 16
#define CHUNK_FLOATS 16384  /* of one plane per work item; a multiple of W */
#define CHUNKS_PER_THREAD 4 /* per group: their x and g stay in a core's cache */
#define RUN 16              /* steps summed in float before adding to double */

typedef struct
{
  gint64 planes, blocks, hw, chunk, n_chunks; /* blocks: channel blocks per image */
  int B, n_sums, n_coefs;
} Split;

/* Sums per lane: Σ(x − K), Σ(x − K)², and in the backward kernels Σg and
 * Σg·(x − K); coefficients per lane: those of the last pass. */
static Split
split (const GcutCpuKernel *k)
{
  const GcutTensor *x = &k->in[0];
  Split s = { .B = x->block, .n_sums = 4 };
  if (k->node->op == GCUT_OP_INSTANCE_NORM)
    s.n_sums = 2, s.n_coefs = 2;
  else if (k->node->op == GCUT_OP_INSTANCE_NORM_BWD)
    s.n_coefs = 3;
  s.blocks = x->shape.dims[1] / s.B;
  s.planes = x->shape.dims[0] * s.blocks;
  s.hw = x->shape.dims[2] * x->shape.dims[3];
  s.chunk = CHUNK_FLOATS / s.B;
  s.n_chunks = (s.hw + s.chunk - 1) / s.chunk;
  return s;
}

/* Scratch: the chunk sums (double), then the plane coefficients (float). */
static gsize
sums_bytes (const Split *s)
{
  return s->planes * s->n_chunks * s->n_sums * s->B * sizeof (double);
}

static gsize
scratch_bytes (const Split *s)
{
  return sums_bytes (s) + s->planes * s->n_coefs * s->B * sizeof (float);
}

/* The sums are taken about a per-lane shift K, the plane's first pixel, so
 * Σ(x − K)² does not cancel against the mean; runs of RUN steps are summed in
 * float (fast, and exact enough for a few terms), then added up in double. */
static const float *
plane_shift (const Split *s, const float *x, gint64 pl)
{
  return x + pl * s->hw * s->B;
}

/* Folds W accumulators per sum into the B lanes of `sums`. */
static void
fold_lanes (double acc[][W], int n_sums, int B, double *sums)
{
  memset (sums, 0, n_sums * B * sizeof (double));
  for (int k = 0; k < n_sums; k++)
    for (int m = 0; m < W; m++)
      sums[k * B + m % B] += acc[k][m];
}

/* Σ(x − K), Σ(x − K)² of n floats and, with g, Σg, Σg·(x − K). */
static void
sum_chunk (const float *x, const float *g, const float *shift, gint64 n, int B,
           double *sums)
{
  double acc[4][W] = { { 0 } };
  float k[W];
  gint64 full = n - n % W, j = 0; /* a tail only with B = 1 */

  for (int m = 0; m < W; m++)
    k[m] = shift[m % B];
  while (j < full)
    {
      float f[4][W] = { { 0 } };
      gint64 end = MIN (full, j + RUN * W);
      if (g)
        for (; j < end; j += W)
#pragma omp simd
          for (int m = 0; m < W; m++)
            {
              float v = x[j + m] - k[m], d = g[j + m];
              f[0][m] += v, f[1][m] += v * v, f[2][m] += d, f[3][m] += d * v;
            }
      else
        for (; j < end; j += W)
#pragma omp simd
          for (int m = 0; m < W; m++)
            {
              float v = x[j + m] - k[m];
              f[0][m] += v, f[1][m] += v * v;
            }
      for (int i = 0; i < 4; i++)
        for (int m = 0; m < W; m++)
          acc[i][m] += f[i][m];
    }
  for (; j < n; j++)
    {
      double v = x[j] - k[j % W], d = g ? g[j] : 0.f;
      acc[0][j % W] += v, acc[1][j % W] += v * v;
      acc[2][j % W] += d, acc[3][j % W] += d * v;
    }
  fold_lanes (acc, g ? 4 : 2, B, sums);
}

/* Where work item i (a chunk of a plane) starts, in floats, and how many it
 * has. */
static gint64
item_range (const Split *s, gint64 i, gint64 *n)
{
  gint64 pl = i / s->n_chunks, from = i % s->n_chunks * s->chunk;
  *n = MIN (s->chunk, s->hw - from) * s->B;
  return (pl * s->hw + from) * s->B;
}

typedef struct
{
  double mean, rstd, mean_g, mean_gxhat; /* the last two with g only */
} LaneStats;

/* Statistics of lane l of plane pl from its chunk sums, in chunk order. */
static LaneStats
lane_stats (const Split *s, const double *partials, const float *x, gint64 pl, int l,
            double eps)
{
  double sum[4] = { 0 }, n = s->hw, d;
  LaneStats st;
  for (gint64 ch = 0; ch < s->n_chunks; ch++)
    for (int k = 0; k < s->n_sums; k++)
      sum[k] += partials[((pl * s->n_chunks + ch) * s->n_sums + k) * s->B + l];
  d = sum[0] / n; /* μ − K */
  st.mean = plane_shift (s, x, pl)[l] + d;
  st.rstd = 1.0 / sqrt (MAX (sum[1] / n - d * d, 0.0) + eps);
  st.mean_g = sum[2] / n;
  st.mean_gxhat = (sum[3] / n - d * st.mean_g) * st.rstd;
  return st;
}

typedef struct Norm Norm;
struct Norm
{
  const GcutCpuKernel *k;
  Split s;
  const float *x, *g; /* g: the incoming gradient, NULL going forward */
  double *sums;       /* scratch: n_sums × B per item */
  float *coefs;       /* scratch: n_coefs × B per plane */
  /* pass 2 for plane pl, pass 3 over n floats from `at` of plane pl; either
   * may be NULL */
  void (*plane) (const Norm *nm, gint64 pl);
  void (*apply) (const Norm *nm, gint64 pl, gint64 at, gint64 n);
};

static Norm
norm_new (const GcutCpuKernel *k, void *scratch)
{
  Norm nm = { .k = k, .s = split (k), .x = k->in[0].data };
  nm.g = nm.s.n_sums > 2 ? k->in[1].data : NULL;
  nm.sums = scratch;
  nm.coefs = (float *)((char *)scratch + sums_bytes (&nm.s));
  return nm;
}

/* The same static schedule in passes 1 and 3 gives each thread the chunks it
 * summed. */
static void
run_passes (const Norm *nm)
{
  const Split *s = &nm->s;
#pragma omp parallel
  {
    gint64 group = MAX (1, omp_get_num_threads () * CHUNKS_PER_THREAD / s->n_chunks);
    for (gint64 first = 0; first < s->planes; first += group)
      {
        gint64 last = MIN (s->planes, first + group);
#pragma omp for schedule(static)
        for (gint64 i = first * s->n_chunks; i < last * s->n_chunks; i++)
          {
            gint64 n, at = item_range (s, i, &n);
            sum_chunk (nm->x + at, nm->g ? nm->g + at : NULL,
                       plane_shift (s, nm->x, i / s->n_chunks), n, s->B,
                       nm->sums + i * s->n_sums * s->B);
          }
        if (nm->plane)
#pragma omp for schedule(static)
          for (gint64 pl = first; pl < last; pl++)
            nm->plane (nm, pl);
        if (nm->apply)
#pragma omp for schedule(static)
          for (gint64 i = first * s->n_chunks; i < last * s->n_chunks; i++)
            {
              gint64 n, at = item_range (s, i, &n);
              nm->apply (nm, i / s->n_chunks, at, n);
            }
      }
  }
}

static LaneStats
norm_stats (const Norm *nm, gint64 pl, int l)
{
  return lane_stats (&nm->s, nm->sums, nm->x, pl, l, nm->k->node->p.eps);
}

/* Coefficient j of the lanes of plane pl: B floats from plane_coefs ()[j·B]. */
static float *
plane_coefs (const Norm *nm, gint64 pl)
{
  return nm->coefs + pl * nm->s.n_coefs * nm->s.B;
}

/* γ of lane l of plane pl, if the kernel has γ as input i. */
static double
lane_gamma (const Norm *nm, int i, gint64 pl, int l)
{
  const float *gamma = nm->k->n_in > i ? nm->k->in[i].data : NULL;
  return gamma ? gamma[pl % nm->s.blocks * nm->s.B + l] : 1.0;
}

/* Forward: a = γ/σ, b = β − μ·a, from inputs x, γ?, β?. */
static void
forward_plane (const Norm *nm, gint64 pl)
{
  const float *beta = nm->k->n_in > 2 ? nm->k->in[2].data : NULL;
  float *coef = plane_coefs (nm, pl);
  for (int l = 0; l < nm->s.B; l++)
    {
      LaneStats st = norm_stats (nm, pl, l);
      double a = lane_gamma (nm, 1, pl, l) * st.rstd;
      coef[l] = a;
      coef[nm->s.B + l]
          = (beta ? beta[pl % nm->s.blocks * nm->s.B + l] : 0.0) - st.mean * a;
    }
}

/* y = x·a + b, then the activation as max (v, 0) + lo·min (v, 0) (forms the
 * vectorizer turns into maxps, minps), lo being the slope below zero; tanh
 * goes over the result afterwards. */
static void
forward_apply (const Norm *nm, gint64 pl, gint64 at, gint64 n)
{
  const GcutOpParams *p = &nm->k->node->p;
  const float *coef = plane_coefs (nm, pl), *x = nm->x + at;
  float *y = (float *)nm->k->out.data + at;
  float aw[W], bw[W];
  float lo = p->act == GCUT_ACT_RELU         ? 0.f
             : p->act == GCUT_ACT_LEAKY_RELU ? p->slope
                                             : 1.f;
  gint64 j = 0;

  for (int m = 0; m < W; m++)
    aw[m] = coef[m % nm->s.B], bw[m] = coef[nm->s.B + m % nm->s.B];
  for (; j + W <= n; j += W)
#pragma omp simd
    for (int m = 0; m < W; m++)
      {
        float v = x[j + m] * aw[m] + bw[m];
        y[j + m] = (v > 0.f ? v : 0.f) + lo * (v < 0.f ? v : 0.f);
      }
  for (; j < n; j++)
    {
      float v = x[j] * aw[j % W] + bw[j % W];
      y[j] = (v > 0.f ? v : 0.f) + lo * (v < 0.f ? v : 0.f);
    }
  if (p->act == GCUT_ACT_TANH)
    for (j = 0; j < n; j++)
      y[j] = tanhf (y[j]);
}

/* Backward: dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂)) = A·g + Bx·x + D, from
 * inputs x, g, γ?. */
static void
backward_plane (const Norm *nm, gint64 pl)
{
  float *coef = plane_coefs (nm, pl);
  for (int l = 0; l < nm->s.B; l++)
    {
      LaneStats st = norm_stats (nm, pl, l);
      double a = lane_gamma (nm, 2, pl, l) * st.rstd;
      coef[l] = a;
      coef[nm->s.B + l] = -a * st.rstd * st.mean_gxhat;
      coef[2 * nm->s.B + l] = -a * (st.mean_g - st.mean * st.rstd * st.mean_gxhat);
    }
}

static void
backward_apply (const Norm *nm, gint64 pl, gint64 at, gint64 n)
{
  const int B = nm->s.B;
  const float *coef = plane_coefs (nm, pl), *x = nm->x + at, *g = nm->g + at;
  float *dx = (float *)nm->k->out.data + at;
  float aw[W], bw[W], dw[W];
  gint64 j = 0;

  for (int m = 0; m < W; m++)
    aw[m] = coef[m % B], bw[m] = coef[B + m % B], dw[m] = coef[2 * B + m % B];
  for (; j + W <= n; j += W)
#pragma omp simd
    for (int m = 0; m < W; m++)
      dx[j + m] = g[j + m] * aw[m] + x[j + m] * bw[m] + dw[m];
  for (; j < n; j++)
    dx[j] = g[j] * aw[j % W] + x[j] * bw[j % W] + dw[j % W];
}

static gboolean
norm_prepare (GcutCpuKernel *k, GError **error)
{
  Split s = split (k);
  /* the plan only makes layouts agree for kernels with an image result */
  if (s.n_sums > 2 && k->in[1].block != s.B)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "x and the gradient are in different channel blocks (%d, %d)", s.B,
                   k->in[1].block);
      return FALSE;
    }
  k->scratch_bytes = scratch_bytes (&s);
  return TRUE;
}

/* The forward and the backward kernel differ only in passes 2 and 3. */
static void
norm_run (GcutCpuKernel *k, void *scratch)
{
  gboolean forward = k->node->op == GCUT_OP_INSTANCE_NORM;
  Norm nm = norm_new (k, scratch);
  nm.plane = forward ? forward_plane : backward_plane;
  nm.apply = forward ? forward_apply : backward_apply;
  run_passes (&nm);
}

/* dγ[c] = Σ over images of Σ g·x̂, summed in image order. */
static void
gamma_run (GcutCpuKernel *k, void *scratch)
{
  Norm nm = norm_new (k, scratch);
  float *dgamma = k->out.data;

  run_passes (&nm);
#pragma omp parallel for
  for (gint64 c = 0; c < nm.s.blocks * nm.s.B; c++)
    {
      double sum = 0;
      for (gint64 n = 0; n < k->in[0].shape.dims[0]; n++)
        sum += norm_stats (&nm, n * nm.s.blocks + c / nm.s.B, c % nm.s.B).mean_gxhat
               * nm.s.hw;
      dgamma[c] = sum;
    }
}

const GcutCpuOp gcut_cpu_instance_norm = { norm_prepare, norm_run, NULL };
const GcutCpuOp gcut_cpu_instance_norm_bwd = { norm_prepare, norm_run, NULL };
const GcutCpuOp gcut_cpu_instance_norm_bwd_gamma = { norm_prepare, gamma_run, NULL };
