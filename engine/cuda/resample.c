/* CUT's blur resampling on the GPU: prepare builds each 1-D tap list from the
 * op's definition exactly as the CPU backend does (cpu/blur.c), merged and
 * transposed for the backward ops, and uploads it; the kernel reads them. */
#include "cuda-private.h"

typedef struct
{
  gint64 out, in;
  float w;
} Triplet;

typedef struct
{
  void *dev; /* one allocation: row start, at, w; column start, at, w */
  gint32 *row_start, *row_at, *col_start, *col_at;
  float *row_w, *col_w;
} Taps;

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

static void
down_map (gint64 n, GArray *t)
{
  static const float f[3] = { 0.25f, 0.5f, 0.25f };
  for (gint64 y = 0; y < (n - 1) / 2 + 1; y++)
    for (int i = 0; i < 3; i++)
      add_triplet (t, y, reflect (2 * y + i - 1, n), f[i]);
}

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

/* Host tap lists (start: n_out + 1 entries) of a map or its transpose, taps
 * of one output merged by source in first-seen order as on the CPU. */
static void
build_taps (const GArray *triplets, gint64 n_out, gboolean transpose, GArray *start,
            GArray *at, GArray *w)
{
  for (gint64 o = 0; o < n_out; o++)
    {
      gint32 first = at->len;
      g_array_append_val (start, first);
      for (guint k = 0; k < triplets->len; k++)
        {
          const Triplet *tr = &g_array_index (triplets, Triplet, k);
          gint32 src = transpose ? tr->out : tr->in;
          guint j;
          if ((transpose ? tr->in : tr->out) != o)
            continue;
          for (j = first; j < at->len && g_array_index (at, gint32, j) != src; j++)
            ;
          if (j == at->len)
            {
              float zero = 0.f;
              g_array_append_val (at, src);
              g_array_append_val (w, zero);
            }
          g_array_index (w, float, j) += tr->w;
        }
    }
  gint32 end = at->len;
  g_array_append_val (start, end);
}

static gboolean
resample_prepare (GcutCudaKernel *k, GError **error)
{
  GcutOp op = k->node->op;
  gboolean backward = op == GCUT_OP_BLUR_DOWN_BWD || op == GCUT_OP_BLUR_UP_BWD;
  gboolean down = op == GCUT_OP_BLUR_DOWN || op == GCUT_OP_BLUR_DOWN_BWD;
  g_autoptr (GArray) start = g_array_new (FALSE, FALSE, 4);
  g_autoptr (GArray) at = g_array_new (FALSE, FALSE, 4);
  g_autoptr (GArray) w = g_array_new (FALSE, FALSE, 4);
  gint64 sizes[2][3]; /* per dimension: start, at/w length, offset */
  Taps *t = g_new0 (Taps, 1);
  g_autofree char *host = NULL;
  gsize bytes = 0;

  k->state = t;
  for (int d = 0; d < 2; d++)
    {
      gint64 n = (backward ? k->out : k->in[0]).shape.dims[2 + d];
      g_autoptr (GArray) triplets = g_array_new (FALSE, FALSE, sizeof (Triplet));
      guint s0 = start->len, a0 = at->len;
      if (down)
        down_map (n, triplets);
      else
        up_map (n, triplets);
      build_taps (triplets, k->out.shape.dims[2 + d], backward, start, at, w);
      /* starts are relative to this dimension's taps */
      for (guint i = s0; i < start->len; i++)
        g_array_index (start, gint32, i) -= a0;
      sizes[d][0] = start->len - s0;
      sizes[d][1] = at->len - a0;
    }
  bytes = (start->len + 2 * at->len) * 4;
  host = g_malloc (bytes);
  {
    gint32 *h = (gint32 *)host;
    gint64 s = 0, a = 0;
    gsize off = 0;
    for (int d = 0; d < 2; d++)
      {
        memcpy (h + off, (gint32 *)start->data + s, sizes[d][0] * 4);
        sizes[d][2] = off;
        off += sizes[d][0];
        memcpy (h + off, (gint32 *)at->data + a, sizes[d][1] * 4);
        off += sizes[d][1];
        memcpy (h + off, (float *)w->data + a, sizes[d][1] * 4);
        off += sizes[d][1];
        s += sizes[d][0], a += sizes[d][1];
      }
  }
  if (!gcut_cuda_check (cudaMalloc (&t->dev, bytes), "allocating blur taps", error)
      || !gcut_cuda_check (cudaMemcpy (t->dev, host, bytes, cudaMemcpyHostToDevice),
                           "uploading blur taps", error))
    return FALSE;
  t->row_start = (gint32 *)t->dev + sizes[0][2];
  t->row_at = t->row_start + sizes[0][0];
  t->row_w = (float *)(t->row_at + sizes[0][1]);
  t->col_start = (gint32 *)t->dev + sizes[1][2];
  t->col_at = t->col_start + sizes[1][0];
  t->col_w = (float *)(t->col_at + sizes[1][1]);
  return TRUE;
}

static void
resample_run (GcutCudaKernel *k, void *scratch)
{
  const Taps *t = k->state;
  const gint64 *si = k->in[0].shape.dims, *so = k->out.shape.dims;
  gcut_k_resample (k->in[0].data, k->out.data, so[0] * so[1], si[2], si[3], so[2], so[3],
                   t->row_start, t->row_at, t->row_w, t->col_start, t->col_at, t->col_w,
                   k->be->stream);
}

static void
resample_release (GcutCudaKernel *k)
{
  Taps *t = k->state;
  if (t && t->dev)
    cudaFree (t->dev);
  g_free (t);
}

const GcutCudaOp gcut_cuda_blur_down
    = { resample_prepare, resample_run, resample_release };
const GcutCudaOp gcut_cuda_blur_down_bwd
    = { resample_prepare, resample_run, resample_release };
const GcutCudaOp gcut_cuda_blur_up = { resample_prepare, resample_run, resample_release };
const GcutCudaOp gcut_cuda_blur_up_bwd
    = { resample_prepare, resample_run, resample_release };
