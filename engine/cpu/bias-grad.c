/* Bias gradients: per-channel sums of an image, per-column sums of a matrix.
 *
 * Both are sums of `lanes` adjacent floats over rows `stride` apart: a block
 * of channels over the pixels of one image (plain images: one channel, stride
 * 1), or a band of columns over the rows of a matrix.  Every (unit, chunk of
 * rows) is summed on its own into the scratch, then the partial sums are added
 * in a fixed order, so the result does not depend on the thread count. */
#include "cpu-private.h"

#define CHUNK 4096   /* rows summed in float before joining the double total */
#define MAX_LANES 64 /* columns of a matrix per unit */

typedef struct
{
  gint64 batch, groups; /* units: batch × groups of lanes */
  gint64 unit_step;     /* floats from one unit to the next */
  gint64 rows, stride;
  int lanes;
  gint64 width; /* outputs: lane l of group g is output g·lanes + l */
  gint64 n_chunks;
} Sums;

static Sums
describe (const GcutCpuKernel *k)
{
  const GcutShape *s = &k->in[0].shape;
  Sums u;

  if (s->n_dims == 4)
    {
      int block = k->in[0].block;
      u = (Sums){ .batch = s->dims[0],
                  .groups = s->dims[1] / block,
                  .rows = s->dims[2] * s->dims[3],
                  .stride = block,
                  .lanes = block,
                  .width = s->dims[1] };
      u.unit_step = u.rows * block;
    }
  else
    u = (Sums){ .batch = 1,
                .groups = (s->dims[1] + MAX_LANES - 1) / MAX_LANES,
                .unit_step = MAX_LANES,
                .rows = s->dims[0],
                .stride = s->dims[1],
                .lanes = MIN (s->dims[1], MAX_LANES),
                .width = s->dims[1] };
  u.n_chunks = (u.rows + CHUNK - 1) / CHUNK;
  return u;
}

/* Lane sums of rows [from, to) of one unit; lanes beyond the width of a last,
 * narrower group are left out. */
static void
sum_chunk (const Sums *u, const float *src, gint64 from, gint64 to, int lanes,
           double *dst)
{
  float part[MAX_LANES] = { 0.f };

  if (u->stride == 1)
    {
      float s = 0.f;
#pragma omp simd reduction(+ : s)
      for (gint64 r = from; r < to; r++)
        s += src[r];
      part[0] = s;
    }
  else
    for (gint64 r = from; r < to; r++)
      {
        const float *row = src + r * u->stride;
#pragma omp simd
        for (int l = 0; l < lanes; l++)
          part[l] += row[l];
      }
  for (int l = 0; l < lanes; l++)
    dst[l] = part[l];
}

static gboolean
bias_grad_prepare (GcutCpuKernel *k, GError **error)
{
  Sums u = describe (k);
  k->scratch_bytes = u.batch * u.groups * u.n_chunks * u.lanes * sizeof (double);
  return TRUE;
}

static void
bias_grad_run (GcutCpuKernel *k, void *scratch)
{
  const Sums u = describe (k);
  const float *data = k->in[0].data;
  double *partial = scratch;
  float *out = k->out.data;

#pragma omp parallel for collapse(2)
  for (gint64 unit = 0; unit < u.batch * u.groups; unit++)
    for (gint64 j = 0; j < u.n_chunks; j++)
      {
        gint64 g = unit % u.groups;
        int lanes = MIN (u.lanes, u.width - g * u.lanes);
        sum_chunk (&u, data + unit * u.unit_step, j * CHUNK,
                   MIN (u.rows, (j + 1) * CHUNK), lanes,
                   partial + (unit * u.n_chunks + j) * u.lanes);
      }

#pragma omp parallel for
  for (gint64 o = 0; o < u.width; o++)
    {
      gint64 g = o / u.lanes, l = o % u.lanes;
      double total = 0.0;
      for (gint64 n = 0; n < u.batch; n++)
        for (gint64 j = 0; j < u.n_chunks; j++)
          total += partial[((n * u.groups + g) * u.n_chunks + j) * u.lanes + l];
      out[o] = total;
    }
}

const GcutCpuOp gcut_cpu_bias_grad = { bias_grad_prepare, bias_grad_run, NULL };
