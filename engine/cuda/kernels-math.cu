/* The gcut-math.h ops: one broadcasting elementwise kernel driven by the op
 * code, deterministic sums (double, fixed tree and chunk order), fill
 * diagonal and row maxima.  The sizes come prepared from math.c. */
#include "kernels-common.cuh"

/* GcutOp codes of the elementwise ops (math.c maps them, so that this file
 * needs no engine header). */
enum
{
  EW_ADD,
  EW_SUB,
  EW_MUL,
  EW_DIV,
  EW_DIV_BWD,
  EW_SQUARE_BWD,
  EW_ABS_BWD,
  EW_SOFTPLUS_BWD,
  EW_AFFINE,
  EW_EXPAND,
  EW_EXP,
  EW_LOG,
  EW_SQUARE,
  EW_ABS,
  EW_SOFTPLUS
};

__device__ static inline float
ew_apply (int op, float x, float z, float alpha, float beta)
{
  switch (op)
    {
    case EW_ADD:
      return x + z;
    case EW_SUB:
      return x - z;
    case EW_MUL:
      return x * z;
    case EW_DIV:
      return x / z;
    case EW_DIV_BWD:
      return -(x * z);
    case EW_SQUARE_BWD:
      return 2.f * x * z;
    case EW_ABS_BWD:
      return z > 0.f ? x : z < 0.f ? -x : 0.f;
    case EW_SOFTPLUS_BWD:
      return x / (1.f + expf (-z));
    case EW_AFFINE:
      /* α = 0 is a constant, even over inf and NaN (ones_like) */
      return alpha == 0.f ? beta : alpha * x + beta;
    case EW_EXPAND:
      return alpha * x;
    case EW_EXP:
      return expf (x);
    case EW_LOG:
      return logf (x);
    case EW_SQUARE:
      return x * x;
    case EW_ABS:
      return fabsf (x);
    default: /* EW_SOFTPLUS */
      return fmaxf (x, 0.f) + log1pf (expf (-fabsf (x)));
    }
}

/* y[i] = f(a[off_a(i)], b[off_b(i)]) with y's (merged) 4-D index split by
 * dims, strides 0 where an operand broadcasts. */
__global__ static void
ew_kernel (GcutKEw e, const float *a, const float *b, float *y)
{
  FOR_EACH (i, e.n)
  {
    int64_t rem = i, oa = 0, ob = 0;
    for (int d = 3; d >= 0; d--)
      {
        int64_t j = rem % e.dims[d];
        rem /= e.dims[d];
        oa += j * e.sa[d];
        ob += j * e.sb[d];
      }
    y[i] = ew_apply (e.op, a[oa], b[ob], e.alpha, e.beta);
  }
}

extern "C" void
gcut_k_elementwise (const GcutKEw *e, const float *a, const float *b, float *y,
                    cudaStream_t s)
{
  ew_kernel<<<blocks_for (e->n), THREADS, 0, s>>> (*e, a, b, y);
}

/* Input offset of output o (kept dims) plus summed index j (summed dims). */
__device__ static inline int64_t
red_offset (const GcutKRed &r, int64_t o, int64_t j)
{
  int64_t off = 0;
  for (int d = 3; d >= 0; d--)
    {
      off += o % r.kept[d] * r.kept_stride[d];
      o /= r.kept[d];
    }
  off += j % r.summed[1] * r.summed_stride[1];
  off += j / r.summed[1] * r.summed_stride[0];
  return off;
}

/* Block (o, c) sums chunk c of output o's terms in a fixed order; with one
 * chunk it writes the scaled result, else a double partial. */
__global__ static void
red_partial (GcutKRed r, const float *x, float *y, double *partial)
{
  __shared__ double buf[THREADS];
  const int64_t o = blockIdx.x, c = blockIdx.y;
  const int64_t from = c * r.chunk,
                to = from + r.chunk < r.n_sum ? from + r.chunk : r.n_sum;
  double acc = 0;
  for (int64_t j = from + threadIdx.x; j < to; j += THREADS)
    acc += x[red_offset (r, o, j)];
  acc = block_sum (acc, buf);
  if (threadIdx.x == 0)
    {
      if (r.n_chunks == 1)
        y[o] = (float)(acc * r.scale);
      else
        partial[o * r.n_chunks + c] = acc;
    }
}

__global__ static void
red_final (GcutKRed r, const double *partial, float *y)
{
  FOR_EACH (o, r.n_out)
  {
    double acc = 0;
    for (int64_t c = 0; c < r.n_chunks; c++)
      acc += partial[o * r.n_chunks + c];
    y[o] = (float)(acc * r.scale);
  }
}

extern "C" void
gcut_k_sum (const GcutKRed *r, const float *x, float *y, double *partial, cudaStream_t s)
{
  /* math.c keeps n_out below 2³¹ and n_chunks below 65536 */
  red_partial<<<dim3 ((unsigned)r->n_out, (unsigned)r->n_chunks), THREADS, 0, s>>> (
      *r, x, y, partial);
  if (r->n_chunks > 1)
    red_final<<<blocks_for (r->n_out), THREADS, 0, s>>> (*r, partial, y);
}

__global__ static void
fill_diagonal_kernel (float *y, int64_t batch, int64_t n, float value)
{
  FOR_EACH (i, batch * n)
  {
    const int64_t b = i / n, d = i % n;
    y[(b * n + d) * n + d] = value;
  }
}

extern "C" void
gcut_k_fill_diagonal (float *y, int64_t batch, int64_t n, float value, cudaStream_t s)
{
  fill_diagonal_kernel<<<blocks_for (batch * n), THREADS, 0, s>>> (y, batch, n, value);
}

/* One block per row.  The maximum as the CPU takes it: the first entry, then
 * each strictly larger one (fmaxf gives the same for numbers). */
__global__ static void
max_rows_kernel (const float *x, float *y, int64_t cols)
{
  __shared__ float buf[THREADS];
  const float *row = x + blockIdx.x * cols;
  float m = row[0];
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    m = row[j] > m ? row[j] : m;
  m = block_max (m, buf);
  if (threadIdx.x == 0)
    y[blockIdx.x] = m;
}

/* The row's gradient goes to the first entry equal to the maximum. */
__global__ static void
max_rows_bwd_kernel (const float *x, const float *y, const float *gy, float *gx,
                     int64_t cols)
{
  __shared__ int64_t first[THREADS];
  const int64_t r = blockIdx.x;
  const float *row = x + r * cols;
  const float m = y[r];
  int64_t f = cols;
  for (int64_t j = threadIdx.x; j < cols && f == cols; j += THREADS)
    if (row[j] == m)
      f = j;
  first[threadIdx.x] = f;
  __syncthreads ();
  for (int s = THREADS / 2; s > 0; s >>= 1)
    {
      if (threadIdx.x < s)
        if (first[threadIdx.x + s] < first[threadIdx.x])
          first[threadIdx.x] = first[threadIdx.x + s];
      __syncthreads ();
    }
  f = first[0];
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    gx[r * cols + j] = j == f ? gy[r] : 0.f;
}

extern "C" void
gcut_k_max_rows (const float *x, float *y, int64_t rows, int64_t cols, cudaStream_t s)
{
  if (rows > 0)
    max_rows_kernel<<<(unsigned)rows, THREADS, 0, s>>> (x, y, cols);
}

extern "C" void
gcut_k_max_rows_bwd (const float *x, const float *y, const float *gy, float *gx,
                     int64_t rows, int64_t cols, cudaStream_t s)
{
  if (rows > 0)
    max_rows_bwd_kernel<<<(unsigned)rows, THREADS, 0, s>>> (x, y, gy, gx, cols);
}
