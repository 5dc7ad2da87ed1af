/* CUT's blur resampling, forward and backward, as one fused kernel.
 *
 * Every op here is separable: out(y, x) = Σ wr·wc·in(r, c) over the taps (r, wr)
 * of output row y and (c, wc) of output column x.  prepare builds each 1-D tap
 * list straight from the op's definition (padding, filter, stride, crop), merges
 * taps that padding points at the same pixel, and transposes the lists for the
 * backward ops; run reads the input once per tap with no padded intermediate. */
#include "cpu-private.h"

typedef struct
{
  gint32 at;
  float w;
} Tap;

/* Taps of output o: taps[start[o]] up to taps[start[o + 1]]. */
typedef struct
{
  gint32 *start;
  Tap *taps;
} TapList;

typedef struct
{
  TapList rows, cols;
} Resample;

typedef struct
{
  gint64 out, in;
  float w;
} Triplet;

static void
add_triplet (GArray *t, gint64 out, gint64 in, float w)
{
  Triplet tr = { out, in, w };
  g_array_append_val (t, tr);
}

static gint64
reflect (gint64 i, gint64 n)
{
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* Downsample of n pixels: output y reads padded pixel 2y + i, which is pixel
 * 2y + i − 1 reflected, with weight [1,2,1][i]/4. */
static void
down_map (gint64 n, GArray *t)
{
  static const float f[3] = { 0.25f, 0.5f, 0.25f };
  for (gint64 y = 0; y < (n - 1) / 2 + 1; y++)
    for (int i = 0; i < 3; i++)
      add_triplet (t, y, reflect (2 * y + i - 1, n), f[i]);
}

/* Upsample of n pixels: padded pixel i (pixel i − 1, replicated) adds to full
 * output 2i + k − 2 (stride 2, padding 2) with weight 2·[1,3,3,1][k]/8; the crop
 * keeps full outputs 1 to 2n, as output u = 2i + k − 3. */
static void
up_map (gint64 n, GArray *t)
{
  static const float f[4] = { 0.25f, 0.75f, 0.75f, 0.25f };
  for (gint64 i = 0; i < n + 2; i++)
    for (int k = 0; k < 4; k++)
      {
        gint64 u = 2 * i + k - 3;
        if (u >= 0 && u < 2 * n)
          add_triplet (t, u, CLAMP (i - 1, 0, n - 1), f[k]);
      }
}

/* The tap lists of n_out outputs from the triplets of a map, or of its
 * transpose. */
static TapList
build_taps (const GArray *triplets, gint64 n_out, gboolean transpose)
{
  TapList list = { g_new0 (gint32, n_out + 1), g_new (Tap, triplets->len) };
  g_autofree gint32 *len = g_new0 (gint32, n_out);
  gint32 packed = 0;

  for (guint k = 0; k < triplets->len; k++)
    {
      const Triplet *tr = &g_array_index (triplets, Triplet, k);
      list.start[(transpose ? tr->in : tr->out) + 1]++;
    }
  for (gint64 o = 0; o < n_out; o++)
    list.start[o + 1] += list.start[o];
  for (guint k = 0; k < triplets->len; k++)
    {
      const Triplet *tr = &g_array_index (triplets, Triplet, k);
      gint64 o = transpose ? tr->in : tr->out, i = transpose ? tr->out : tr->in;
      Tap *taps = list.taps + list.start[o];
      int j = 0;
      while (j < len[o] && taps[j].at != i)
        j++;
      if (j == len[o])
        taps[len[o]++] = (Tap){ i, 0.f };
      taps[j].w += tr->w;
    }
  for (gint64 o = 0; o < n_out; o++) /* close the gaps merging left */
    {
      gint32 from = list.start[o];
      list.start[o] = packed;
      memmove (list.taps + packed, list.taps + from, len[o] * sizeof (Tap));
      packed += len[o];
    }
  list.start[n_out] = packed;
  return list;
}

/* The 1-D factor along dimension d of kernel k. */
static TapList
factor_taps (const GcutCpuKernel *k, int d)
{
  GcutOp op = k->node->op;
  gboolean backward = op == GCUT_OP_BLUR_DOWN_BWD || op == GCUT_OP_BLUR_UP_BWD;
  /* the forward map's input size: the result's size for backward ops */
  gint64 n = (backward ? k->out : k->in[0]).shape.dims[d];
  g_autoptr (GArray) triplets = g_array_new (FALSE, FALSE, sizeof (Triplet));

  if (op == GCUT_OP_BLUR_DOWN || op == GCUT_OP_BLUR_DOWN_BWD)
    down_map (n, triplets);
  else
    up_map (n, triplets);
  return build_taps (triplets, k->out.shape.dims[d], backward);
}

static gboolean
resample_prepare (GcutCpuKernel *k, GError **error)
{
  Resample *r = g_new (Resample, 1);
  r->rows = factor_taps (k, 2);
  r->cols = factor_taps (k, 3);
  k->state = r;
  return TRUE;
}

static void
resample_release (GcutCpuKernel *k)
{
  Resample *r = k->state;
  g_free (r->rows.start);
  g_free (r->rows.taps);
  g_free (r->cols.start);
  g_free (r->cols.taps);
  g_free (r);
}

/* Output row y of one plane.  Inlined with B a constant, so the lane loops
 * unroll and the accumulators stay in registers. */
static inline __attribute__ ((always_inline)) void
resample_row (const Resample *r, const float *plane, gint64 wi, gint64 y, float *dst,
              gint64 wo, const int B)
{
  for (gint64 x = 0; x < wo; x++)
    {
      float acc[16] = { 0 }; /* the largest block */
      for (gint32 t = r->rows.start[y]; t < r->rows.start[y + 1]; t++)
        {
          const float *row = plane + r->rows.taps[t].at * wi * B;
          for (gint32 u = r->cols.start[x]; u < r->cols.start[x + 1]; u++)
            {
              const float *px = row + r->cols.taps[u].at * B;
              float w = r->rows.taps[t].w * r->cols.taps[u].w;
#pragma omp simd
              for (int l = 0; l < B; l++)
                acc[l] += w * px[l];
            }
        }
      for (int l = 0; l < B; l++)
        dst[x * B + l] = acc[l];
    }
}

static void
resample_run (GcutCpuKernel *k, void *scratch)
{
  const Resample *r = k->state;
  const GcutShape *si = &k->in[0].shape, *so = &k->out.shape;
  const int B = k->out.block;
  const gint64 planes = so->dims[0] * so->dims[1] / B;
  const gint64 hi = si->dims[2], wi = si->dims[3], ho = so->dims[2], wo = so->dims[3];

#pragma omp parallel for collapse(2)
  for (gint64 pl = 0; pl < planes; pl++)
    for (gint64 y = 0; y < ho; y++)
      {
        const float *plane = (const float *)k->in[0].data + pl * hi * wi * B;
        float *dst = (float *)k->out.data + (pl * ho + y) * wo * B;
        switch (B)
          {
          case 16:
            resample_row (r, plane, wi, y, dst, wo, 16);
            break;
          case 8:
            resample_row (r, plane, wi, y, dst, wo, 8);
            break;
          default:
            resample_row (r, plane, wi, y, dst, wo, 1);
          }
      }
}

const GcutCpuOp gcut_cpu_blur_down = { resample_prepare, resample_run, resample_release };
const GcutCpuOp gcut_cpu_blur_down_bwd
    = { resample_prepare, resample_run, resample_release };
const GcutCpuOp gcut_cpu_blur_up = { resample_prepare, resample_run, resample_release };
const GcutCpuOp gcut_cpu_blur_up_bwd
    = { resample_prepare, resample_run, resample_release };
