/* Matrix products through cuBLAS (fp32, pedantic math: no TF32).  Our
 * matrices are row-major; cuBLAS sees each as its column-major transpose, so
 * Y = X·Wᵀ is computed as Yᵀ = W·Xᵀ and so on. */
#include "cuda-private.h"

typedef struct
{
  cublasOperation_t ta, tb;
  int m, n, kk, lda, ldb, ldc;
  const float *a, *b;
} Gemm;

static gboolean
linear_prepare (GcutCudaKernel *k, GError **error)
{
  Gemm *g = g_new0 (Gemm, 1);
  const gint64 *x = k->in[0].shape.dims, *w = k->in[1].shape.dims;

  k->state = g;
  switch (k->node->op)
    {
    case GCUT_OP_LINEAR: /* x (rows, in), w (out, in) → y (rows, out) */
      *g = (Gemm){ CUBLAS_OP_T, CUBLAS_OP_N, w[0], x[0],          x[1],
                   x[1],        x[1],        w[0], k->in[1].data, k->in[0].data };
      break;
    case GCUT_OP_LINEAR_BWD_DATA: /* gy (rows, out), w (out, in) → dx (rows, in) */
      *g = (Gemm){ CUBLAS_OP_N, CUBLAS_OP_N, w[1], x[0],          w[0],
                   w[1],        w[0],        w[1], k->in[1].data, k->in[0].data };
      break;
    default: /* x (rows, in), gy (rows, out) → dw (out, in) */
      *g = (Gemm){ CUBLAS_OP_N, CUBLAS_OP_T, x[1], w[1],          x[0],
                   x[1],        w[1],        x[1], k->in[0].data, k->in[1].data };
    }
  return TRUE;
}

static void
linear_run (GcutCudaKernel *k, void *scratch)
{
  const Gemm *g = k->state;
  const float one = 1.f, zero = 0.f;
  const GcutOpParams *p = &k->node->p;
  cublasStatus_t st
      = cublasSgemm (k->be->cublas, g->ta, g->tb, g->m, g->n, g->kk, &one, g->a, g->lda,
                     g->b, g->ldb, &zero, k->out.data, g->ldc);
  if (st != CUBLAS_STATUS_SUCCESS)
    g_warning ("cuBLAS: matrix product (op %d) failed (status %d)", (int)k->node->op, st);
  if (k->node->op == GCUT_OP_LINEAR && (k->n_in > 2 || p->act != GCUT_ACT_NONE))
    gcut_k_bias_act (k->out.data, k->n_in > 2 ? k->in[2].data : NULL,
                     gcut_shape_numel (&k->out.shape), 1, k->out.shape.dims[1], p->act,
                     p->slope, k->be->stream);
}

static void
linear_release (GcutCudaKernel *k)
{
  g_free (k->state);
}

const GcutCudaOp gcut_cuda_linear = { linear_prepare, linear_run, linear_release };
const GcutCudaOp gcut_cuda_linear_bwd_data
    = { linear_prepare, linear_run, linear_release };
const GcutCudaOp gcut_cuda_linear_bwd_weights
    = { linear_prepare, linear_run, linear_release };
