/* CUT's blur resampling on the GPU: prepare uploads the op's 1-D tap lists
 * (../blur-taps.c, as the CPU backend uses them); the kernel reads them. */
#include "../blur-taps-private.h"
#include "cuda-private.h"

typedef struct
{
  void *dev; /* one allocation: row start, at, w; column start, at, w */
  gint32 *row_start, *row_at, *col_start, *col_at;
  float *row_w, *col_w;
} Taps;

/* Packs one dimension's taps as the kernel reads them: n_out + 1 starts, then
 * every tap's source, then every tap's weight.  Returns the ints written. */
static gsize
pack (const GcutBlurTaps *t, gint64 n_out, gint32 *h)
{
  gint32 n = t->start[n_out];
  float *w = (float *)(h + n_out + 1 + n);
  memcpy (h, t->start, (n_out + 1) * sizeof *h);
  for (gint32 i = 0; i < n; i++)
    {
      h[n_out + 1 + i] = t->taps[i].at;
      w[i] = t->taps[i].w;
    }
  return n_out + 1 + 2 * (gsize)n;
}

static gboolean
resample_prepare (GcutCudaKernel *k, GError **error)
{
  const gint64 *so = k->out.shape.dims;
  GcutBlurTaps rows = gcut_blur_taps (k->node->op, &k->in[0].shape, &k->out.shape, 2);
  GcutBlurTaps cols = gcut_blur_taps (k->node->op, &k->in[0].shape, &k->out.shape, 3);
  gsize n = so[2] + so[3] + 2 + 2 * (gsize)(rows.start[so[2]] + cols.start[so[3]]);
  g_autofree gint32 *host = g_new (gint32, n);
  gsize n_rows = pack (&rows, so[2], host);
  Taps *t = g_new0 (Taps, 1);
  gboolean ok;

  pack (&cols, so[3], host + n_rows);
  k->state = t;
  ok = gcut_cuda_check (cudaMalloc (&t->dev, n * 4), "allocating blur taps", error)
       && gcut_cuda_check (cudaMemcpy (t->dev, host, n * 4, cudaMemcpyHostToDevice),
                           "uploading blur taps", error);
  if (ok)
    {
      t->row_start = t->dev;
      t->row_at = t->row_start + so[2] + 1;
      t->row_w = (float *)(t->row_at + rows.start[so[2]]);
      t->col_start = t->row_start + n_rows;
      t->col_at = t->col_start + so[3] + 1;
      t->col_w = (float *)(t->col_at + cols.start[so[3]]);
    }
  gcut_blur_taps_clear (&rows);
  gcut_blur_taps_clear (&cols);
  return ok;
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
