/* The ops our own kernels compute: the C side prepares sizes and scratch and
 * calls the launchers of kernels-*.cu. */
#include "cuda-private.h"

#define NORM_CHUNK 16384 /* pixels of a plane summed by one block */
#define SUM_CHUNK 4096   /* pixels per partial bias-gradient sum */

static gboolean
no_prepare (GcutCudaKernel *k, GError **error)
{
  return TRUE;
}

static gint64
numel (const GcutTensor *t)
{
  return gcut_shape_numel (&t->shape);
}

static void
act_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_act (k->in[0].data, k->out.data, numel (&k->out), k->node->p.act,
              k->node->p.slope, k->be->stream);
}

static void
act_bwd_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_act_bwd (k->in[0].data, k->in[1].data, k->out.data, numel (&k->out),
                  k->node->p.act, k->node->p.slope, k->be->stream);
}

static void
add_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_add (k->in[0].data, k->in[1].data, k->out.data, numel (&k->out), k->be->stream);
}

static void
copy_run (GcutCudaKernel *k, void *scratch)
{
  if (k->out.data != k->in[0].data)
    cudaMemcpyAsync (k->out.data, k->in[0].data, gcut_tensor_bytes (&k->out),
                     cudaMemcpyDeviceToDevice, k->be->stream);
}

static void
pad_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *x = k->in[0].shape.dims, *y = k->out.shape.dims;
  gcut_k_pad (k->in[0].data, k->out.data, x[0] * x[1], x[2], x[3], y[2], y[3],
              k->node->p.pad[0], k->node->p.pad[2], k->node->p.pad_mode, k->be->stream);
}

static void
pad_bwd_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *gy = k->in[0].shape.dims, *gx = k->out.shape.dims;
  gcut_k_pad_bwd (k->in[0].data, k->out.data, gx[0] * gx[1], gx[2], gx[3], gy[2], gy[3],
                  k->node->p.pad, k->node->p.pad_mode, k->be->stream);
}

/* Instance norm: chunk sums (double), plane coefficients (float) in scratch. */
static gint64
norm_chunks (const GcutCudaKernel *k)
{
  const gint64 hw = k->in[0].shape.dims[2] * k->in[0].shape.dims[3];
  return (hw + NORM_CHUNK - 1) / NORM_CHUNK;
}

static gboolean
norm_prepare (GcutCudaKernel *k, GError **error)
{
  const gint64 planes = k->in[0].shape.dims[0] * k->in[0].shape.dims[1];
  k->scratch_bytes = planes * norm_chunks (k) * 4 * sizeof (double) + planes * 3 * 4;
  return TRUE;
}

static void
norm_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->in[0].shape.dims;
  const GcutOpParams *p = &k->node->p;
  const gint64 planes = d[0] * d[1];
  int mode = k->node->op == GCUT_OP_INSTANCE_NORM       ? 0
             : k->node->op == GCUT_OP_INSTANCE_NORM_BWD ? 1
                                                        : 2;
  const float *g = mode ? k->in[1].data : NULL;
  const float *gamma = NULL, *beta = NULL;
  double *sums = scratch;

  if (mode == 0)
    {
      gamma = k->n_in > 1 ? k->in[1].data : NULL;
      beta = k->n_in > 2 ? k->in[2].data : NULL;
    }
  else if (mode == 1)
    gamma = k->n_in > 2 ? k->in[2].data : NULL;
  gcut_k_norm (mode, k->in[0].data, g, gamma, beta, k->out.data, d[0], d[1], d[2] * d[3],
               NORM_CHUNK, p->eps, p->act, p->slope, sums,
               (float *)(sums + planes * norm_chunks (k) * 4), k->be->stream);
}

static gboolean
bias_grad_prepare (GcutCudaKernel *k, GError **error)
{
  const gint64 *d = k->in[0].shape.dims;
  if (k->in[0].shape.n_dims == 4)
    k->scratch_bytes
        = d[0] * d[1] * ((d[2] * d[3] + SUM_CHUNK - 1) / SUM_CHUNK) * sizeof (double);
  return TRUE;
}

static void
bias_grad_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->in[0].shape.dims;
  if (k->in[0].shape.n_dims == 4)
    gcut_k_bias_grad (k->in[0].data, k->out.data, d[0], d[1], d[2] * d[3], SUM_CHUNK,
                      scratch, k->be->stream);
  else
    gcut_k_bias_grad (k->in[0].data, k->out.data, 0, d[1], d[0], SUM_CHUNK, scratch,
                      k->be->stream);
}

static void
l2_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->out.shape.dims;
  gcut_k_l2_normalize (k->in[0].data, k->out.data, d[0], d[1], k->node->p.eps,
                       k->be->stream);
}

static void
l2_bwd_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->out.shape.dims;
  gcut_k_l2_normalize_bwd (k->in[0].data, k->in[1].data, k->out.data, d[0], d[1],
                           k->node->p.eps, k->be->stream);
}

static void
gather_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *x = k->in[0].shape.dims;
  gcut_k_gather (k->in[0].data, k->in[1].data, k->out.data, x[0], x[1], x[2] * x[3],
                 k->in[1].shape.dims[0], k->be->stream);
}

static void
gather_bwd_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *gx = k->out.shape.dims;
  gcut_k_gather_bwd (k->in[0].data, k->in[1].data, k->out.data, gx[0], gx[1],
                     gx[2] * gx[3], k->in[1].shape.dims[0], k->be->stream);
}

static void
softmax_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->out.shape.dims;
  gcut_k_softmax (k->in[0].data, k->out.data, d[0], d[1], k->be->stream);
}

static void
softmax_bwd_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->out.shape.dims;
  gcut_k_softmax_bwd (k->in[0].data, k->in[1].data, k->out.data, d[0], d[1],
                      k->be->stream);
}

static void
logsumexp_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->in[0].shape.dims;
  gcut_k_logsumexp (k->in[0].data, k->out.data, d[0], d[1], k->be->stream);
}

static void
logsumexp_bwd_run (GcutCudaKernel *k, void *scratch)
{
  const gint64 *d = k->out.shape.dims;
  gcut_k_logsumexp_bwd (k->in[0].data, k->in[1].data, k->in[2].data, k->out.data, d[0],
                        d[1], k->be->stream);
}

const GcutCudaOp gcut_cuda_act = { no_prepare, act_run, NULL };
const GcutCudaOp gcut_cuda_act_bwd = { no_prepare, act_bwd_run, NULL };
const GcutCudaOp gcut_cuda_add = { no_prepare, add_run, NULL };
const GcutCudaOp gcut_cuda_copy = { no_prepare, copy_run, NULL };
const GcutCudaOp gcut_cuda_pad = { no_prepare, pad_run, NULL };
const GcutCudaOp gcut_cuda_pad_bwd = { no_prepare, pad_bwd_run, NULL };
const GcutCudaOp gcut_cuda_instance_norm = { norm_prepare, norm_run, NULL };
const GcutCudaOp gcut_cuda_instance_norm_bwd = { norm_prepare, norm_run, NULL };
const GcutCudaOp gcut_cuda_instance_norm_bwd_gamma = { norm_prepare, norm_run, NULL };
const GcutCudaOp gcut_cuda_bias_grad = { bias_grad_prepare, bias_grad_run, NULL };
const GcutCudaOp gcut_cuda_l2_normalize = { no_prepare, l2_run, NULL };
const GcutCudaOp gcut_cuda_l2_normalize_bwd = { no_prepare, l2_bwd_run, NULL };
const GcutCudaOp gcut_cuda_gather = { no_prepare, gather_run, NULL };
const GcutCudaOp gcut_cuda_gather_bwd = { no_prepare, gather_bwd_run, NULL };
const GcutCudaOp gcut_cuda_softmax = { no_prepare, softmax_run, NULL };
const GcutCudaOp gcut_cuda_softmax_bwd = { no_prepare, softmax_bwd_run, NULL };
const GcutCudaOp gcut_cuda_logsumexp = { no_prepare, logsumexp_run, NULL };
const GcutCudaOp gcut_cuda_logsumexp_bwd = { no_prepare, logsumexp_bwd_run, NULL };
