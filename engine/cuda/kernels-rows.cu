/* Row kernels (one block per row, sums in double in a fixed order) and the
 * gathers of feature vectors. */
#include "kernels-common.cuh"

__global__ static void
l2_kernel (const float *x, float *y, int64_t cols, float eps)
{
  __shared__ double buf[THREADS];
  const float *xr = x + blockIdx.x * cols;
  double s = 0;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    s += (double)xr[j] * xr[j];
  float d = (float)sqrt (block_sum (s, buf)) + eps;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    y[blockIdx.x * cols + j] = xr[j] / d;
}

extern "C" void
gcut_k_l2_normalize (const float *x, float *y, int64_t rows, int64_t cols, float eps,
                     cudaStream_t s)
{
  if (rows)
    l2_kernel<<<(unsigned)rows, THREADS, 0, s>>> (x, y, cols, eps);
}

__global__ static void
l2_bwd_kernel (const float *x, const float *gy, float *gx, int64_t cols, float eps)
{
  __shared__ double buf[THREADS];
  const float *xr = x + blockIdx.x * cols, *gr = gy + blockIdx.x * cols;
  double ss = 0, sd = 0;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    ss += (double)xr[j] * xr[j], sd += (double)gr[j] * xr[j];
  double s = sqrt (block_sum (ss, buf)), dot = block_sum (sd, buf), d = s + eps;
  float a = 1.0 / d, b = s > 0 ? -dot / (s * d * d) : 0.0;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    gx[blockIdx.x * cols + j] = gr[j] * a + xr[j] * b;
}

extern "C" void
gcut_k_l2_normalize_bwd (const float *x, const float *gy, float *gx, int64_t rows,
                         int64_t cols, float eps, cudaStream_t s)
{
  if (rows)
    l2_bwd_kernel<<<(unsigned)rows, THREADS, 0, s>>> (x, gy, gx, cols, eps);
}

/* The row's maximum, or 0 when it is not finite (a row of −∞). */
__device__ static float
row_shift (const float *xr, int64_t cols, float *buf)
{
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    m = fmaxf (m, xr[j]);
  m = block_max (m, buf);
  return isfinite (m) ? m : 0.f;
}

/* mode 0: softmax into y; mode 1: log-sum-exp into y[row]. */
__global__ static void
exp_rows_kernel (int mode, const float *x, float *y, int64_t cols)
{
  __shared__ double buf[THREADS];
  __shared__ float fbuf[THREADS];
  const float *xr = x + blockIdx.x * cols;
  float shift = row_shift (xr, cols, fbuf);
  double s = 0;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    {
      float e = expf (xr[j] - shift);
      if (mode == 0)
        y[blockIdx.x * cols + j] = e;
      s += e;
    }
  s = block_sum (s, buf);
  if (mode == 1)
    {
      if (threadIdx.x == 0)
        y[blockIdx.x] = shift + log (s);
      return;
    }
  float inv = 1.0 / s;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    y[blockIdx.x * cols + j] *= inv;
}

extern "C" void
gcut_k_softmax (const float *x, float *y, int64_t rows, int64_t cols, cudaStream_t s)
{
  if (rows)
    exp_rows_kernel<<<(unsigned)rows, THREADS, 0, s>>> (0, x, y, cols);
}

extern "C" void
gcut_k_logsumexp (const float *x, float *y, int64_t rows, int64_t cols, cudaStream_t s)
{
  if (rows)
    exp_rows_kernel<<<(unsigned)rows, THREADS, 0, s>>> (1, x, y, cols);
}

__global__ static void
softmax_bwd_kernel (const float *y, const float *gy, float *gx, int64_t cols)
{
  __shared__ double buf[THREADS];
  const float *yr = y + blockIdx.x * cols, *gr = gy + blockIdx.x * cols;
  double d = 0;
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    d += (double)yr[j] * gr[j];
  float dot = block_sum (d, buf);
  for (int64_t j = threadIdx.x; j < cols; j += THREADS)
    gx[blockIdx.x * cols + j] = yr[j] * (gr[j] - dot);
}

extern "C" void
gcut_k_softmax_bwd (const float *y, const float *gy, float *gx, int64_t rows,
                    int64_t cols, cudaStream_t s)
{
  if (rows)
    softmax_bwd_kernel<<<(unsigned)rows, THREADS, 0, s>>> (y, gy, gx, cols);
}

__global__ static void
logsumexp_bwd_kernel (const float *x, const float *y, const float *gy, float *gx,
                      int64_t rows, int64_t cols)
{
  FOR_EACH (i, rows * cols)
  {
    int64_t r = i / cols;
    gx[i] = expf (x[i] - y[r]) * gy[r];
  }
}

extern "C" void
gcut_k_logsumexp_bwd (const float *x, const float *y, const float *gy, float *gx,
                      int64_t rows, int64_t cols, cudaStream_t s)
{
  logsumexp_bwd_kernel<<<blocks_for (rows * cols), THREADS, 0, s>>> (x, y, gy, gx, rows,
                                                                       cols);
}

__global__ static void
gather_kernel (const float *x, const int32_t *idx, float *y, int64_t N, int64_t C,
               int64_t hw, int64_t P)
{
  FOR_EACH (i, N * P * C)
  {
    int64_t c = i % C, p = i / C % P, n = i / (C * P);
    y[i] = x[(n * C + c) * hw + idx[p]];
  }
}

extern "C" void
gcut_k_gather (const float *x, const int32_t *idx, float *y, int64_t N, int64_t C,
               int64_t hw, int64_t P, cudaStream_t s)
{
  gather_kernel<<<blocks_for (N * P * C), THREADS, 0, s>>> (x, idx, y, N, C, hw, P);
}

/* One thread per (image, channel) adds its rows in order: repeated indices
 * sum deterministically, and no two threads write one place. */
__global__ static void
gather_bwd_kernel (const float *gy, const int32_t *idx, float *gx, int64_t N, int64_t C,
                   int64_t hw, int64_t P)
{
  FOR_EACH (i, N * C)
  {
    int64_t c = i % C, n = i / C;
    float *plane = gx + i * hw;
    for (int64_t p = 0; p < P; p++)
      plane[idx[p]] += gy[(n * P + p) * C + c];
  }
}

extern "C" void
gcut_k_gather_bwd (const float *gy, const int32_t *idx, float *gx, int64_t N, int64_t C,
                   int64_t hw, int64_t P, cudaStream_t s)
{
  cudaMemsetAsync (gx, 0, N * C * hw * sizeof (float), s);
  gather_bwd_kernel<<<blocks_for (N * C), THREADS, 0, s>>> (gy, idx, gx, N, C, hw, P);
}
