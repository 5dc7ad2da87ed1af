/* Launchers of our own CUDA kernels; plain C types so nvcc and the C side share it. */
#pragma once

#include <stdint.h>
#include <cuda_runtime_api.h>

/* The elementwise op of kernels-math.cu: y (n floats) = f(a, b), index i of y
 * split by dims (4, merged, outermost first), operand strides 0 where it
 * broadcasts; op is the kernel's own code (math.c maps GcutOp to it). */
typedef struct
{
  int op;
  float alpha, beta;
  int64_t n, dims[4], sa[4], sb[4];
} GcutKEw;

/* A sum down to a shape: output o's terms are x at its kept offset (o split by
 * kept, 4 dims, outermost first) plus summed index j split by summed (2 dims);
 * each output is summed in n_chunks chunks of `chunk` terms (one block each)
 * whose double partials are added in order: the same result every run. */
typedef struct
{
  int64_t kept[4], kept_stride[4], summed[2], summed_stride[2];
  int64_t n_out, n_sum, chunk, n_chunks;
  double scale;
} GcutKRed;

/* Launchers (kernels-*.cu), all on `s`, all over plain NCHW / row-major data. */
#ifdef __cplusplus
extern "C"
{
#endif
  /* y = act (x + bias[(i / inner) % C]) in place over n floats; bias may be NULL. */
  void gcut_k_bias_act (float *y, const float *bias, int64_t n, int64_t inner, int64_t C,
                        int act, float slope, cudaStream_t s);
  void gcut_k_act (const float *x, float *y, int64_t n, int act, float slope,
                   cudaStream_t s);
  void gcut_k_act_bwd (const float *y, const float *gy, float *gx, int64_t n, int act,
                       float slope, cudaStream_t s);
  void gcut_k_add (const float *a, const float *b, float *y, int64_t n, cudaStream_t s);
  /* planes of h × w → ho × wo, pads top, left; mode as GcutPadMode. */
  void gcut_k_pad (const float *x, float *y, int64_t planes, int64_t h, int64_t w,
                   int64_t ho, int64_t wo, int top, int left, int mode, cudaStream_t s);
  void gcut_k_pad_bwd (const float *gy, float *gx, int64_t planes, int64_t h, int64_t w,
                       int64_t ho, int64_t wo, const int *pad, int mode, cudaStream_t s);
  /* Instance norm: sums is planes × n_chunks × 4 doubles, coefs planes × 3
   * floats of scratch.  mode 0 forward, 1 backward data, 2 gamma gradient. */
  void gcut_k_norm (int mode, const float *x, const float *g, const float *gamma,
                    const float *beta, float *out, int64_t N, int64_t C, int64_t hw,
                    int64_t chunk, double eps, int act, float slope, double *sums,
                    float *coefs, cudaStream_t s);
  /* Per-channel sums of an image (planes N·C of hw), or column sums of a
   * (rows, cols) matrix when N == 0; partial: N·C·n_chunks doubles. */
  void gcut_k_bias_grad (const float *g, float *out, int64_t N, int64_t C, int64_t hw,
                         int64_t chunk, double *partial, cudaStream_t s);
  /* Separable resampling through tap lists on the device. */
  void gcut_k_resample (const float *x, float *y, int64_t planes, int64_t hi, int64_t wi,
                        int64_t ho, int64_t wo, const int32_t *row_start,
                        const int32_t *row_at, const float *row_w,
                        const int32_t *col_start, const int32_t *col_at,
                        const float *col_w, cudaStream_t s);
  void gcut_k_l2_normalize (const float *x, float *y, int64_t rows, int64_t cols,
                            float eps, cudaStream_t s);
  void gcut_k_l2_normalize_bwd (const float *x, const float *gy, float *gx, int64_t rows,
                                int64_t cols, float eps, cudaStream_t s);
  void gcut_k_softmax (const float *x, float *y, int64_t rows, int64_t cols,
                       cudaStream_t s);
  void gcut_k_softmax_bwd (const float *y, const float *gy, float *gx, int64_t rows,
                           int64_t cols, cudaStream_t s);
  void gcut_k_logsumexp (const float *x, float *y, int64_t rows, int64_t cols,
                         cudaStream_t s);
  void gcut_k_logsumexp_bwd (const float *x, const float *y, const float *gy, float *gx,
                             int64_t rows, int64_t cols, cudaStream_t s);
  void gcut_k_gather (const float *x, const int32_t *idx, float *y, int64_t N, int64_t C,
                      int64_t hw, int64_t P, cudaStream_t s);
  void gcut_k_gather_bwd (const float *gy, const int32_t *idx, float *gx, int64_t N,
                          int64_t C, int64_t hw, int64_t P, cudaStream_t s);
  /* gcut-math.h ops (kernels-math.cu); partial: n_out·n_chunks doubles. */
  void gcut_k_elementwise (const GcutKEw *e, const float *a, const float *b, float *y,
                           cudaStream_t s);
  void gcut_k_sum (const GcutKRed *r, const float *x, float *y, double *partial,
                   cudaStream_t s);
  void gcut_k_fill_diagonal (float *y, int64_t batch, int64_t n, float value,
                             cudaStream_t s);
  void gcut_k_max_rows (const float *x, float *y, int64_t rows, int64_t cols,
                        cudaStream_t s);
  void gcut_k_max_rows_bwd (const float *x, const float *y, const float *gy, float *gx,
                            int64_t rows, int64_t cols, cudaStream_t s);
#ifdef __cplusplus
}
#endif
