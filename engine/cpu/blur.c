/* CUT's blur resampling, forward and backward, as one fused kernel.
 *
 * prepare builds the 1-D tap lists of the op (../blur-taps.c); run reads the
 * input once per tap with no padded intermediate. */
#include "../blur-taps-private.h"
#include "cpu-private.h"

typedef struct
{
  GcutBlurTaps rows, cols;
} Resample;

static gboolean
resample_prepare (GcutCpuKernel *k, GError **error)
{
  Resample *r = g_new (Resample, 1);
  r->rows = gcut_blur_taps (k->node->op, &k->in[0].shape, &k->out.shape, 2);
  r->cols = gcut_blur_taps (k->node->op, &k->in[0].shape, &k->out.shape, 3);
  k->state = r;
  return TRUE;
}

static void
resample_release (GcutCpuKernel *k)
{
  Resample *r = k->state;
  gcut_blur_taps_clear (&r->rows);
  gcut_blur_taps_clear (&r->cols);
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
