/* Helpers shared by the kernel files. */
#pragma once

#include "kernels.h"

#define THREADS 256

static inline unsigned
blocks_for (int64_t n)
{
  int64_t b = (n + THREADS - 1) / THREADS;
  return (unsigned)(b < 1 ? 1 : b > 1048576 ? 1048576 : b);
}

/* Grid-stride loop over [0, n). */
#define FOR_EACH(i, n)                                                                   \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);              \
       i += (int64_t)gridDim.x * blockDim.x)

/* Sum of v over the block in a fixed tree order (deterministic); all threads
 * get the result.  buf: THREADS doubles of shared memory. */
__device__ static inline double
block_sum (double v, double *buf)
{
  buf[threadIdx.x] = v;
  __syncthreads ();
  for (int s = THREADS / 2; s > 0; s >>= 1)
    {
      if (threadIdx.x < s)
        buf[threadIdx.x] += buf[threadIdx.x + s];
      __syncthreads ();
    }
  double r = buf[0];
  __syncthreads ();
  return r;
}

__device__ static inline float
block_max (float v, float *buf)
{
  buf[threadIdx.x] = v;
  __syncthreads ();
  for (int s = THREADS / 2; s > 0; s >>= 1)
    {
      if (threadIdx.x < s)
        buf[threadIdx.x] = fmaxf (buf[threadIdx.x], buf[threadIdx.x + s]);
      __syncthreads ();
    }
  float r = buf[0];
  __syncthreads ();
  return r;
}

/* GcutAct: 0 none, 1 ReLU, 2 leaky ReLU, 3 tanh */
__device__ static inline float
activate (float v, int act, float slope)
{
  switch (act)
    {
    case 1:
      return v > 0.f ? v : 0.f;
    case 2:
      return v > 0.f ? v : v * slope;
    case 3:
      return tanhf (v);
    default:
      return v;
    }
}
