/* Gathering feature vectors at pixel locations, and scattering them back.  A
 * pixel's B channels of one block are contiguous, so both move B floats at a
 * time in any layout. */
#include "cpu-private.h"

static gboolean
gather_prepare (GcutCpuKernel *k, GError **error)
{
  return TRUE;
}

static void
gather_run (GcutCpuKernel *k, void *scratch)
{
  const GcutTensor *x = &k->in[0];
  const gint32 *idx = k->in[1].data;
  const gint64 P = k->in[1].shape.dims[0], C = x->shape.dims[1];
  const gint64 hw = x->shape.dims[2] * x->shape.dims[3];
  const int B = x->block;
  float *y = k->out.data;

#pragma omp parallel for collapse(2)
  for (gint64 n = 0; n < x->shape.dims[0]; n++)
    for (gint64 p = 0; p < P; p++)
      {
        float *row = y + (n * P + p) * C;
        for (gint64 cb = 0; cb < C / B; cb++)
          memcpy (row + cb * B,
                  (const float *)x->data + ((n * (C / B) + cb) * hw + idx[p]) * B,
                  B * sizeof (float));
      }
}

/* Each (image, channel block) is zeroed and then receives its rows in order:
 * repeated indices add up deterministically and work items never share
 * memory. */
static void
gather_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const GcutTensor *gx = &k->out;
  const float *gy = k->in[0].data;
  const gint32 *idx = k->in[1].data;
  const gint64 P = k->in[1].shape.dims[0], C = gx->shape.dims[1];
  const gint64 hw = gx->shape.dims[2] * gx->shape.dims[3];
  const int B = gx->block;

#pragma omp parallel for collapse(2)
  for (gint64 n = 0; n < gx->shape.dims[0]; n++)
    for (gint64 cb = 0; cb < C / B; cb++)
      {
        float *plane = (float *)gx->data + (n * (C / B) + cb) * hw * B;
        memset (plane, 0, hw * B * sizeof (float));
        for (gint64 p = 0; p < P; p++)
          {
            const float *src = gy + (n * P + p) * C + cb * B;
            float *dst = plane + idx[p] * B;
            for (int l = 0; l < B; l++)
              dst[l] += src[l];
          }
      }
}

const GcutCpuOp gcut_cpu_gather = { gather_prepare, gather_run, NULL };
const GcutCpuOp gcut_cpu_gather_bwd = { gather_prepare, gather_bwd_run, NULL };
