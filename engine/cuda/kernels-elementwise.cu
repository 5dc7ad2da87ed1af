/* Elementwise kernels: activations, sums, bias with activation, padding. */
#include "kernels-common.cuh"

__global__ static void
bias_act_kernel (float *y, const float *bias, int64_t n, int64_t inner, int64_t C,
                 int act, float slope)
{
  FOR_EACH (i, n)
  {
    float v = y[i];
    if (bias)
      v += bias[(i / inner) % C];
    y[i] = activate (v, act, slope);
  }
}

extern "C" void
gcut_k_bias_act (float *y, const float *bias, int64_t n, int64_t inner, int64_t C,
                 int act, float slope, cudaStream_t s)
{
  bias_act_kernel<<<blocks_for (n), THREADS, 0, s>>> (y, bias, n, inner, C, act, slope);
}

__global__ static void
act_kernel (const float *x, float *y, int64_t n, int act, float slope)
{
  FOR_EACH (i, n)
  y[i] = activate (x[i], act, slope);
}

extern "C" void
gcut_k_act (const float *x, float *y, int64_t n, int act, float slope, cudaStream_t s)
{
  act_kernel<<<blocks_for (n), THREADS, 0, s>>> (x, y, n, act, slope);
}

__global__ static void
act_bwd_kernel (const float *y, const float *gy, float *gx, int64_t n, int act,
                float slope)
{
  FOR_EACH (i, n)
  {
    float g = gy[i], v = y[i];
    switch (act)
      {
      case 1:
        g = v > 0.f ? g : 0.f;
        break;
      case 2:
        g = v > 0.f ? g : g * slope;
        break;
      case 3:
        g = g * (1.f - v * v);
        break;
      }
    gx[i] = g;
  }
}

extern "C" void
gcut_k_act_bwd (const float *y, const float *gy, float *gx, int64_t n, int act,
                float slope, cudaStream_t s)
{
  act_bwd_kernel<<<blocks_for (n), THREADS, 0, s>>> (y, gy, gx, n, act, slope);
}

__global__ static void
add_kernel (const float *a, const float *b, float *y, int64_t n)
{
  FOR_EACH (i, n)
  y[i] = a[i] + b[i];
}

extern "C" void
gcut_k_add (const float *a, const float *b, float *y, int64_t n, cudaStream_t s)
{
  add_kernel<<<blocks_for (n), THREADS, 0, s>>> (a, b, y, n);
}

/* Where padded position i (from the image's first pixel) reads from, or -1
 * for zero padding; mode as GcutPadMode (0 zero, 1 reflect, 2 replicate). */
__device__ static inline int64_t
source_index (int mode, int64_t i, int64_t size)
{
  if (i >= 0 && i < size)
    return i;
  if (mode == 1)
    return i < 0 ? -i : 2 * (size - 1) - i;
  if (mode == 2)
    return i < 0 ? 0 : size - 1;
  return -1;
}

__global__ static void
pad_kernel (const float *x, float *y, int64_t planes, int64_t h, int64_t w, int64_t ho,
            int64_t wo, int top, int left, int mode)
{
  FOR_EACH (i, planes * ho * wo)
  {
    int64_t ox = i % wo, oy = i / wo % ho, pl = i / (wo * ho);
    int64_t sy = source_index (mode, oy - top, h), sx = source_index (mode, ox - left, w);
    y[i] = sy < 0 || sx < 0 ? 0.f : x[(pl * h + sy) * w + sx];
  }
}

extern "C" void
gcut_k_pad (const float *x, float *y, int64_t planes, int64_t h, int64_t w, int64_t ho,
            int64_t wo, int top, int left, int mode, cudaStream_t s)
{
  pad_kernel<<<blocks_for (planes * ho * wo), THREADS, 0, s>>> (x, y, planes, h, w, ho,
                                                                  wo, top, left, mode);
}

/* Padded positions along one dimension that read image position p: the
 * interior one first, then the border ones in order (at most 16 borders). */
__device__ static inline int
sources_of (int64_t p, int64_t size, int before, int after, int mode, int64_t *list)
{
  int n = 0;
  list[n++] = p + before;
  for (int k = 0; k < before + after && n < 17; k++)
    {
      int64_t o = k < before ? k : size + k;
      if (source_index (mode, o - before, size) == p)
        list[n++] = o;
    }
  return n;
}

__global__ static void
pad_bwd_kernel (const float *gy, float *gx, int64_t planes, int64_t h, int64_t w,
                int64_t ho, int64_t wo, int top, int bottom, int left, int right,
                int mode)
{
  FOR_EACH (i, planes * h * w)
  {
    int64_t sx = i % w, sy = i / w % h, pl = i / (w * h);
    int64_t rows[17], cols[17];
    int nr = sources_of (sy, h, top, bottom, mode, rows);
    int nc = sources_of (sx, w, left, right, mode, cols);
    const float *src = gy + pl * ho * wo;
    float acc = 0.f;
    for (int r = 0; r < nr; r++)
      for (int c = 0; c < nc; c++)
        acc += src[rows[r] * wo + cols[c]];
    gx[i] = acc;
  }
}

extern "C" void
gcut_k_pad_bwd (const float *gy, float *gx, int64_t planes, int64_t h, int64_t w,
                int64_t ho, int64_t wo, const int *pad, int mode, cudaStream_t s)
{
  pad_bwd_kernel<<<blocks_for (planes * h * w), THREADS, 0, s>>> (
      gy, gx, planes, h, w, ho, wo, pad[0], pad[1], pad[2], pad[3], mode);
}
