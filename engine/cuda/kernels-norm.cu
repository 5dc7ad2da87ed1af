/* Instance normalization and bias gradients.  As on the CPU, sums are taken
 * per chunk of a plane about a shift K (the plane's first pixel), in double,
 * then combined in chunk order: the results do not depend on scheduling. */
#include "kernels-common.cuh"

/* Pass 1: per (chunk, plane) Σ(x − K), Σ(x − K)² and with g, Σg, Σg·(x − K). */
__global__ static void
norm_sums_kernel (const float *x, const float *g, int64_t hw, int64_t chunk, double *sums)
{
  __shared__ double buf[THREADS];
  int64_t pl = blockIdx.x, ch = blockIdx.y, n_chunks = gridDim.y;
  const float *xp = x + pl * hw;
  const float *gp = g ? g + pl * hw : NULL;
  float k = xp[0];
  double a[4] = { 0, 0, 0, 0 };
  int64_t end = min ((ch + 1) * chunk, hw);
  for (int64_t i = ch * chunk + threadIdx.x; i < end; i += THREADS)
    {
      double v = xp[i] - k;
      a[0] += v, a[1] += v * v;
      if (gp)
        {
          double d = gp[i];
          a[2] += d, a[3] += d * v;
        }
    }
  double *out = sums + (pl * n_chunks + ch) * 4;
  for (int s = 0; s < 4; s++)
    {
      double t = block_sum (a[s], buf);
      if (threadIdx.x == 0)
        out[s] = t;
    }
}

struct Stats
{
  double mean, rstd, mean_g, mean_gxhat;
};

__device__ static Stats
plane_stats (const float *x, const double *sums, int64_t pl, int64_t n_chunks, int64_t hw,
             double eps)
{
  double s[4] = { 0, 0, 0, 0 }, n = (double)hw, d;
  Stats st;
  for (int64_t c = 0; c < n_chunks; c++)
    for (int k = 0; k < 4; k++)
      s[k] += sums[(pl * n_chunks + c) * 4 + k];
  d = s[0] / n;
  st.mean = x[pl * hw] + d;
  st.rstd = 1.0 / sqrt (fmax (s[1] / n - d * d, 0.0) + eps);
  st.mean_g = s[2] / n;
  st.mean_gxhat = (s[3] / n - d * st.mean_g) * st.rstd;
  return st;
}

/* Pass 2: coefficients per plane (forward: a, b; backward: A, B, D). */
__global__ static void
norm_coefs_kernel (int mode, const float *x, const float *gamma, const float *beta,
                   int64_t planes, int64_t C, int64_t n_chunks, int64_t hw, double eps,
                   const double *sums, float *coefs)
{
  FOR_EACH (pl, planes)
  {
    Stats st = plane_stats (x, sums, pl, n_chunks, hw, eps);
    double a = (gamma ? gamma[pl % C] : 1.0) * st.rstd;
    if (mode == 0)
      {
        coefs[pl * 3] = a;
        coefs[pl * 3 + 1] = (beta ? beta[pl % C] : 0.0) - st.mean * a;
      }
    else
      {
        coefs[pl * 3] = a;
        coefs[pl * 3 + 1] = -a * st.rstd * st.mean_gxhat;
        coefs[pl * 3 + 2] = -a * (st.mean_g - st.mean * st.rstd * st.mean_gxhat);
      }
  }
}

/* Pass 3, elementwise. */
__global__ static void
norm_apply_kernel (int mode, const float *x, const float *g, float *out, int64_t n,
                   int64_t hw, const float *coefs, int act, float slope)
{
  FOR_EACH (i, n)
  {
    const float *c = coefs + i / hw * 3;
    if (mode == 0)
      {
        float v = x[i] * c[0] + c[1];
        float lo = act == 1 ? 0.f : act == 2 ? slope : 1.f;
        v = (v > 0.f ? v : 0.f) + lo * (v < 0.f ? v : 0.f);
        out[i] = act == 3 ? tanhf (v) : v;
      }
    else
      out[i] = g[i] * c[0] + x[i] * c[1] + c[2];
  }
}

/* dγ[c] = Σ over images of hw·mean(g·x̂), in image order. */
__global__ static void
norm_gamma_kernel (const float *x, int64_t N, int64_t C, int64_t n_chunks, int64_t hw,
                   double eps, const double *sums, float *dgamma)
{
  FOR_EACH (c, C)
  {
    double total = 0;
    for (int64_t n = 0; n < N; n++)
      total += plane_stats (x, sums, n * C + c, n_chunks, hw, eps).mean_gxhat * hw;
    dgamma[c] = total;
  }
}

extern "C" void
gcut_k_norm (int mode, const float *x, const float *g, const float *gamma,
             const float *beta, float *out, int64_t N, int64_t C, int64_t hw,
             int64_t chunk, double eps, int act, float slope, double *sums, float *coefs,
             cudaStream_t s)
{
  int64_t planes = N * C, n_chunks = (hw + chunk - 1) / chunk;
  dim3 grid ((unsigned)planes, (unsigned)n_chunks);
  norm_sums_kernel<<<grid, THREADS, 0, s>>> (x, mode ? g : NULL, hw, chunk, sums);
  if (mode == 2)
    {
      norm_gamma_kernel<<<blocks_for (C), THREADS, 0, s>>> (x, N, C, n_chunks, hw, eps,
                                                              sums, out);
      return;
    }
  norm_coefs_kernel<<<blocks_for (planes), THREADS, 0, s>>> (
      mode, x, gamma, beta, planes, C, n_chunks, hw, eps, sums, coefs);
  norm_apply_kernel<<<blocks_for (planes * hw), THREADS, 0, s>>> (
      mode, x, g, out, planes * hw, hw, coefs, act, slope);
}

__global__ static void
plane_sums_kernel (const float *g, int64_t hw, int64_t chunk, double *partial)
{
  __shared__ double buf[THREADS];
  int64_t pl = blockIdx.x, ch = blockIdx.y;
  int64_t end = min ((ch + 1) * chunk, hw);
  double a = 0;
  for (int64_t i = ch * chunk + threadIdx.x; i < end; i += THREADS)
    a += g[pl * hw + i];
  a = block_sum (a, buf);
  if (threadIdx.x == 0)
    partial[pl * gridDim.y + ch] = a;
}

__global__ static void
channel_total_kernel (const double *partial, float *out, int64_t N, int64_t C,
                      int64_t n_chunks)
{
  FOR_EACH (c, C)
  {
    double t = 0;
    for (int64_t n = 0; n < N; n++)
      for (int64_t j = 0; j < n_chunks; j++)
        t += partial[(n * C + c) * n_chunks + j];
    out[c] = t;
  }
}

/* Column sums of a (rows, cols) matrix, each column in row order. */
__global__ static void
column_sums_kernel (const float *g, float *out, int64_t rows, int64_t cols)
{
  FOR_EACH (c, cols)
  {
    double t = 0;
    for (int64_t r = 0; r < rows; r++)
      t += g[r * cols + c];
    out[c] = t;
  }
}

extern "C" void
gcut_k_bias_grad (const float *g, float *out, int64_t N, int64_t C, int64_t hw,
                  int64_t chunk, double *partial, cudaStream_t s)
{
  if (N == 0)
    {
      column_sums_kernel<<<blocks_for (C), THREADS, 0, s>>> (g, out, hw, C);
      return;
    }
  int64_t n_chunks = (hw + chunk - 1) / chunk;
  plane_sums_kernel<<<dim3 ((unsigned)(N * C), (unsigned)n_chunks), THREADS, 0, s>>> (
      g, hw, chunk, partial);
  channel_total_kernel<<<blocks_for (C), THREADS, 0, s>>> (partial, out, N, C,
                                                             n_chunks);
}
