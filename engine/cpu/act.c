/* Activations, elementwise over the whole buffer: any layout works alike. */
#include <math.h>
#include "cpu-private.h"

/* out = g where y > 0, else 0 (ReLU) or g·slope (leaky ReLU): the forward
 * pass with y = g = x, the backward with y the result.  Elementwise, so out may
 * be y or g. */
static void
gate (GcutAct act, float slope, const float *y, const float *g, float *out, gint64 n)
{
  if (act == GCUT_ACT_RELU)
    {
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        {
          float gi = g[i]; /* loaded either way, or the loop does not vectorize */
          out[i] = y[i] > 0.f ? gi : 0.f;
        }
    }
  else
    {
#pragma omp parallel for simd
      for (gint64 i = 0; i < n; i++)
        out[i] = y[i] > 0.f ? g[i] : g[i] * slope;
    }
}

void
gcut_cpu_activate (GcutAct act, float slope, float *data, gint64 n)
{
  switch (act)
    {
    case GCUT_ACT_RELU:
    case GCUT_ACT_LEAKY_RELU:
      gate (act, slope, data, data, data, n);
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
    case GCUT_ACT_LEAKY_RELU:
      gate (k->node->p.act, slope, y, gy, gx, n);
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

const GcutCpuOp gcut_cpu_act = { NULL, act_run, NULL };
const GcutCpuOp gcut_cpu_act_bwd = { NULL, act_bwd_run, NULL };
