/* The gcut-math.h ops on the GPU: matrix products through cuBLAS (strided
 * batches, fp32 with the backend's pedantic math: no TF32), one broadcasting
 * elementwise kernel for every elementwise op, deterministic sums, copies for
 * reshape and detach, fill diagonal and row maxima (kernels-math.cu).  The
 * shape bookkeeping follows the CPU backend (cpu/elementwise.c, cpu/reduce.c)
 * so both see the same merged dimensions. */
#include "cuda-private.h"

#define SUM_MIN_CHUNK 4096  /* terms per block when an output is split */
#define SUM_SPLIT_BELOW 264 /* outputs below which large sums are split */

/* ---- matrix products ---- */

typedef struct
{
  cublasOperation_t op_a, op_b; /* cuBLAS's first operand is our b */
  int m, n, k, lda, ldb, ldc, batch;
  long long stride_a, stride_b, stride_c;
} Matmul;

/* Row-major C (M, N) = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, and a
 * row-major matrix is its column-major transpose: cuBLAS computes
 * (N, M) = opB (b) · opA (a) with each operand's leading dimension its
 * stored column count. */
static gboolean
matmul_prepare (GcutCudaKernel *k, GError **error)
{
  const GcutOpParams *p = &k->node->p;
  const int nd = k->out.shape.n_dims;
  const gint64 ra = k->in[0].shape.dims[nd - 2], ca = k->in[0].shape.dims[nd - 1];
  const gint64 rb = k->in[1].shape.dims[nd - 2], cb = k->in[1].shape.dims[nd - 1];
  const gint64 M = k->out.shape.dims[nd - 2], N = k->out.shape.dims[nd - 1];
  const gint64 K = p->transpose_a ? ra : ca;
  Matmul *g;

  if (MAX (MAX (M, N), MAX (MAX (K, ca), cb)) > G_MAXINT
      || (nd == 3 && k->out.shape.dims[0] > G_MAXINT))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "matrix product too large for cuBLAS's int sizes");
      return FALSE;
    }
  g = k->state = g_new0 (Matmul, 1);
  g->op_b = p->transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  g->op_a = p->transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  g->m = N;
  g->n = M;
  g->k = K;
  g->ldb = cb;
  g->lda = ca;
  g->ldc = N;
  g->batch = nd == 3 ? k->out.shape.dims[0] : 1;
  g->stride_a = ra * ca;
  g->stride_b = rb * cb;
  g->stride_c = M * N;
  return TRUE;
}

static void
matmul_run (GcutCudaKernel *k, void *scratch)
{
  const Matmul *g = k->state;
  const float one = 1.f, zero = 0.f;
  cublasStatus_t st;

  if (g->m == 0 || g->n == 0)
    return;
  if (g->k == 0)
    {
      cudaMemsetAsync (k->out.data, 0, gcut_tensor_bytes (&k->out), k->be->stream);
      return;
    }
  st = cublasSgemmStridedBatched (k->be->cublas, g->op_b, g->op_a, g->m, g->n, g->k, &one,
                                  k->in[1].data, g->ldb, g->stride_b, k->in[0].data,
                                  g->lda, g->stride_a, &zero, k->out.data, g->ldc,
                                  g->stride_c, g->batch);
  if (st != CUBLAS_STATUS_SUCCESS)
    g_warning ("cuBLAS: batched matrix product failed (status %d)", st);
}

static void
free_state (GcutCudaKernel *k)
{
  g_free (k->state);
}

/* ---- elementwise ---- */

static int
ew_code (GcutOp op)
{
  switch (op)
    {
    case GCUT_OP_ADD_BROADCAST:
      return 0;
    case GCUT_OP_SUB:
      return 1;
    case GCUT_OP_MUL:
      return 2;
    case GCUT_OP_DIV:
      return 3;
    case GCUT_OP_DIV_BWD:
      return 4;
    case GCUT_OP_SQUARE_BWD:
      return 5;
    case GCUT_OP_ABS_BWD:
      return 6;
    case GCUT_OP_SOFTPLUS_BWD:
      return 7;
    case GCUT_OP_AFFINE:
      return 8;
    case GCUT_OP_EXPAND:
      return 9;
    case GCUT_OP_EXP:
      return 10;
    case GCUT_OP_LOG:
      return 11;
    case GCUT_OP_SQUARE:
      return 12;
    case GCUT_OP_ABS:
      return 13;
    default: /* GCUT_OP_SOFTPLUS */
      return 14;
    }
}

/* Strides of t right-aligned against y's 4-D shape, 0 where t broadcasts. */
static void
strides_of (const GcutShape *t, const gint64 *ydims, gint64 *st)
{
  int off = 4 - t->n_dims;
  gint64 s = 1;
  for (int d = 3; d >= 0; d--)
    {
      gint64 n = d >= off ? t->dims[d - off] : 1;
      st[d] = n == 1 && ydims[d] != 1 ? 0 : s;
      s *= n;
    }
}

static gboolean
ew_prepare (GcutCudaKernel *k, GError **error)
{
  GcutKEw *e = k->state = g_new0 (GcutKEw, 1);
  gint64 dims[4], sa[4], sb[4], md[4], ma[4], mb[4];
  int off = 4 - k->out.shape.n_dims, n = 0;

  for (int d = 0; d < 4; d++)
    dims[d] = d >= off ? k->out.shape.dims[d - off] : 1;
  strides_of (&k->in[0].shape, dims, sa);
  strides_of (&k->in[k->n_in > 1 ? 1 : 0].shape, dims, sb);
  /* merge neighbouring dimensions both operands step through as one */
  for (int d = 0; d < 4; d++)
    {
      if (dims[d] == 1)
        continue;
      if (n > 0 && ma[n - 1] == sa[d] * dims[d] && mb[n - 1] == sb[d] * dims[d])
        {
          md[n - 1] *= dims[d];
          ma[n - 1] = sa[d];
          mb[n - 1] = sb[d];
          continue;
        }
      md[n] = dims[d];
      ma[n] = sa[d];
      mb[n] = sb[d];
      n++;
    }
  /* right-aligned into 4, leading dimensions of size 1 */
  for (int d = 0; d < 4; d++)
    {
      int s = d - (4 - n);
      e->dims[d] = s >= 0 ? md[s] : 1;
      e->sa[d] = s >= 0 ? ma[s] : 0;
      e->sb[d] = s >= 0 ? mb[s] : 0;
    }
  e->op = ew_code (k->node->op);
  e->alpha = k->node->p.alpha;
  e->beta = k->node->p.beta;
  e->n = gcut_shape_numel (&k->out.shape);
  return TRUE;
}

static void
ew_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_elementwise (k->state, k->in[0].data, k->in[k->n_in > 1 ? 1 : 0].data,
                      k->out.data, k->be->stream);
}

/* ---- sums ---- */

static gboolean
sum_prepare (GcutCudaKernel *k, GError **error)
{
  gint64 in[4], out[4], stride[4], s = 1;
  gint64 kept[4], kept_stride[4], summed[2], summed_stride[2];
  int oi = 4 - k->in[0].shape.n_dims, oo = 4 - k->out.shape.n_dims, prev = -1;
  int n_kept = 0, n_summed = 0;
  GcutKRed *r;

  for (int d = 3; d >= 0; d--)
    {
      in[d] = d >= oi ? k->in[0].shape.dims[d - oi] : 1;
      out[d] = d >= oo ? k->out.shape.dims[d - oo] : 1;
      stride[d] = s;
      s *= in[d];
    }
  /* group neighbouring dimensions that are both kept or both summed: at most
   * two summed and two kept groups remain */
  for (int d = 0; d < 4; d++)
    {
      int is_summed = out[d] == 1;
      if (in[d] == 1)
        continue;
      if (is_summed && prev == 1)
        {
          summed[n_summed - 1] *= in[d];
          summed_stride[n_summed - 1] = stride[d];
        }
      else if (!is_summed && prev == 0)
        {
          kept[n_kept - 1] *= in[d];
          kept_stride[n_kept - 1] = stride[d];
        }
      else if (is_summed)
        {
          summed[n_summed] = in[d];
          summed_stride[n_summed++] = stride[d];
        }
      else
        {
          kept[n_kept] = in[d];
          kept_stride[n_kept++] = stride[d];
        }
      prev = is_summed;
    }
  r = k->state = g_new0 (GcutKRed, 1);
  for (int d = 0; d < 4; d++)
    {
      int j = d - (4 - n_kept);
      r->kept[d] = j >= 0 ? kept[j] : 1;
      r->kept_stride[d] = j >= 0 ? kept_stride[j] : 0;
    }
  for (int d = 0; d < 2; d++)
    {
      int j = d - (2 - n_summed);
      r->summed[d] = j >= 0 ? summed[j] : 1;
      r->summed_stride[d] = j >= 0 ? summed_stride[j] : 0;
    }
  r->n_out = gcut_shape_numel (&k->out.shape);
  r->n_sum = r->summed[0] * r->summed[1];
  switch (k->node->op)
    {
    case GCUT_OP_MEAN_ALL:
      r->scale = 1.0 / s;
      break;
    case GCUT_OP_SUM_TO:
      r->scale = k->node->p.alpha;
      break;
    default:
      r->scale = 1.0;
    }
  /* few outputs of many terms: split each into chunks (a fixed split, so the
   * result does not depend on the GPU) */
  r->chunk = r->n_sum;
  if (r->n_out < SUM_SPLIT_BELOW && r->n_sum > SUM_MIN_CHUNK)
    r->chunk = MAX (SUM_MIN_CHUNK, (r->n_sum + 65534) / 65535);
  r->chunk = MAX (r->chunk, 1);
  r->n_chunks = (r->n_sum + r->chunk - 1) / r->chunk;
  if (r->n_out >= G_MAXINT || r->n_chunks > 65535)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "sum too large for one kernel launch");
      return FALSE;
    }
  if (r->n_chunks > 1)
    k->scratch_bytes = r->n_out * r->n_chunks * sizeof (double);
  return TRUE;
}

static void
sum_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_sum (k->state, k->in[0].data, k->out.data, scratch, k->be->stream);
}

/* ---- reshape, detach, fill diagonal ---- */

static gboolean
no_prepare (GcutCudaKernel *k, GError **error)
{
  return TRUE;
}

static void
copy_run (GcutCudaKernel *k, void *scratch)
{
  if (k->out.data != k->in[0].data)
    cudaMemcpyAsync (k->out.data, k->in[0].data, gcut_tensor_bytes (&k->out),
                     cudaMemcpyDeviceToDevice, k->be->stream);
}

static void
fill_diagonal_run (GcutCudaKernel *k, void *scratch)
{
  const GcutShape *s = &k->out.shape;
  const gint64 n = s->dims[s->n_dims - 1];

  copy_run (k, scratch);
  if (n > 0)
    gcut_k_fill_diagonal (k->out.data, gcut_shape_numel (s) / (n * n), n, k->node->p.beta,
                          k->be->stream);
}

/* ---- row maxima ---- */

static gint64
row_length (const GcutCudaKernel *k)
{
  return k->in[0].shape.dims[k->in[0].shape.n_dims - 1];
}

static gboolean
max_rows_prepare (GcutCudaKernel *k, GError **error)
{
  if (gcut_shape_numel (&k->in[0].shape) / MAX (row_length (k), 1) >= G_MAXINT)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "too many rows for one kernel launch");
      return FALSE;
    }
  return TRUE;
}

static void
max_rows_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_max_rows (k->in[0].data, k->out.data, gcut_shape_numel (&k->out.shape),
                   row_length (k), k->be->stream);
}

static void
max_rows_bwd_run (GcutCudaKernel *k, void *scratch)
{
  gcut_k_max_rows_bwd (k->in[0].data, k->in[1].data, k->in[2].data, k->out.data,
                       gcut_shape_numel (&k->in[1].shape), row_length (k), k->be->stream);
}

const GcutCudaOp gcut_cuda_matmul = { matmul_prepare, matmul_run, free_state };
const GcutCudaOp gcut_cuda_elementwise = { ew_prepare, ew_run, free_state };
const GcutCudaOp gcut_cuda_sum = { sum_prepare, sum_run, free_state };
const GcutCudaOp gcut_cuda_reshape = { no_prepare, copy_run, NULL };
const GcutCudaOp gcut_cuda_fill_diagonal = { no_prepare, fill_diagonal_run, NULL };
const GcutCudaOp gcut_cuda_max_rows = { max_rows_prepare, max_rows_run, NULL };
const GcutCudaOp gcut_cuda_max_rows_bwd = { max_rows_prepare, max_rows_bwd_run, NULL };
