/* CUT's blur resampling through 1-D tap lists (built in resample.c): output
 * (y, x) = Σ over row taps t, column taps u of wr[t]·wc[u]·in(at[t], at[u]). */
#include "kernels-common.cuh"

__global__ static void
resample_kernel (const float *x, float *y, int64_t planes, int64_t hi, int64_t wi,
                 int64_t ho, int64_t wo, const int32_t *rs, const int32_t *ra,
                 const float *rw, const int32_t *cs, const int32_t *ca, const float *cw)
{
  FOR_EACH (i, planes * ho * wo)
  {
    int64_t ox = i % wo, oy = i / wo % ho, pl = i / (wo * ho);
    const float *plane = x + pl * hi * wi;
    float acc = 0.f;
    for (int32_t t = rs[oy]; t < rs[oy + 1]; t++)
      {
        const float *row = plane + (int64_t)ra[t] * wi;
        for (int32_t u = cs[ox]; u < cs[ox + 1]; u++)
          acc += rw[t] * cw[u] * row[ca[u]];
      }
    y[i] = acc;
  }
}

extern "C" void
gcut_k_resample (const float *x, float *y, int64_t planes, int64_t hi, int64_t wi,
                 int64_t ho, int64_t wo, const int32_t *row_start, const int32_t *row_at,
                 const float *row_w, const int32_t *col_start, const int32_t *col_at,
                 const float *col_w, cudaStream_t s)
{
  resample_kernel<<<blocks_for (planes * ho * wo), THREADS, 0, s>>> (
      x, y, planes, hi, wi, ho, wo, row_start, row_at, row_w, col_start, col_at, col_w);
}
