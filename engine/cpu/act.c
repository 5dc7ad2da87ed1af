/* Activations, elementwise over the whole buffer: any layout works alike. */
#include <math.h>
#include "cpu-private.h"

void
gcut_cpu_activate (GcutAct act, float slope, float *data, gint64 n)
{
  switch (act)
    {
    case GCUT_ACT_RELU:
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        data[i] = data[i] > 0.f ? data[i] : 0.f;
      break;
    case GCUT_ACT_LEAKY_RELU:
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        data[i] = data[i] > 0.f ? data[i] : data[i] * slope;
      break;
    case GCUT_ACT_TANH:
#pragma omp parallel for
      for (gint64 i = 0; i < n; i++)
        data[i] = tanhf (data[i]);
      break;
    case GCUT_ACT_NONE:
      break;
    }
}

static gboolean
act_prepare (GcutCpuKernel *k, GError **error)
{
  return TRUE;
}

static void
act_run (GcutCpuKernel *k, void *scratch)
{
  gint64 n = gcut_tensor_bytes (&k->out) / 4;
  if (k->out.data != k->in[0].data)
    memcpy (k->out.data, k->in[0].data, n * 4);
  gcut_cpu_activate (k->node->p.act, k->node->p.slope, k->out.data, n);
}

/* gx = gy · act'(x), written with y = act(x). */
static void
act_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const float *y = k->in[0].data, *gy = k->in[1].data;
  float *gx = k->out.data, slope = k->node->p.slope;
  gint64 n = gcut_tensor_bytes (&k->out) / 4;
  switch (k->node->p.act)
    {
    case GCUT_ACT_RELU:
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        gx[i] = y[i] > 0.f ? gy[i] : 0.f;
      break;
    case GCUT_ACT_LEAKY_RELU:
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        gx[i] = y[i] > 0.f ? gy[i] : gy[i] * slope;
      break;
    case GCUT_ACT_TANH:
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        gx[i] = gy[i] * (1.f - y[i] * y[i]);
      break;
    case GCUT_ACT_NONE:
      memcpy (gx, gy, n * 4);
      break;
    }
}

const GcutCpuOp gcut_cpu_act = { act_prepare, act_run, NULL };
const GcutCpuOp gcut_cpu_act_bwd = { act_prepare, act_bwd_run, NULL };
