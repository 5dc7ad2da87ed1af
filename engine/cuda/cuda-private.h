/* CUDA backend internals: the backend state, one kernel record per node, and
 * the launchers of our own kernels (kernels-*.cu). */
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include "../backend-private.h"

typedef struct
{
  GcutBackend base;
  int device;
  cudaStream_t stream;
  cudnnHandle_t cudnn;
  cublasHandle_t cublas;
  char name[256];      /* the GPU's name */
  GPtrArray *pending;  /* kernels whose host result waits in pinned memory */
  GHashTable *mirrors; /* host pointer → GcutCudaMirror */
  GArray *locked;      /* page-locked host ranges (params.c) */
  void *staging;       /* pinned, for uploads and downloads */
  gsize staging_bytes;
  guint64 generation; /* runs begun: mirrors older than this are stale */
  gboolean sync_each; /* GCUT_CUDA_SYNC=1: wait after each kernel */
} GcutCudaBackend;

typedef struct
{
  GcutCudaBackend *be;
  const GcutNode *node;
  int n_in;
  /* Device views.  Host tensors (parameters and their gradients live in the
   * network's host buffer) are replaced by device copies: inputs by a mirror
   * shared by all kernels reading that parameter, uploaded once per run;
   * a host result by a device buffer copied back into host_out, page-locked
   * where possible (else through pinned_out, copied by finish ()). */
  GcutTensor in[GCUT_MAX_INPUTS];
  GcutTensor out;
  struct _GcutCudaMirror *mirror[GCUT_MAX_INPUTS];
  void *host_out, *pinned_out;
  gboolean locked_out;
  gsize scratch_bytes;
  gpointer state;
} GcutCudaKernel;

typedef struct
{
  gboolean (*prepare) (GcutCudaKernel *k, GError **error);
  void (*run) (GcutCudaKernel *k, void *scratch);
  void (*release) (GcutCudaKernel *k); /* may be NULL */
} GcutCudaOp;

extern const GcutCudaOp gcut_cuda_conv2d, gcut_cuda_conv2d_bwd_data,
    gcut_cuda_conv2d_bwd_weights, gcut_cuda_conv_t2d, gcut_cuda_conv_t2d_bwd_data,
    gcut_cuda_conv_t2d_bwd_weights, gcut_cuda_bias_grad, gcut_cuda_pad, gcut_cuda_pad_bwd,
    gcut_cuda_instance_norm, gcut_cuda_instance_norm_bwd,
    gcut_cuda_instance_norm_bwd_gamma, gcut_cuda_act, gcut_cuda_act_bwd,
    gcut_cuda_blur_down, gcut_cuda_blur_down_bwd, gcut_cuda_blur_up,
    gcut_cuda_blur_up_bwd, gcut_cuda_add, gcut_cuda_copy, gcut_cuda_linear,
    gcut_cuda_linear_bwd_data, gcut_cuda_linear_bwd_weights, gcut_cuda_l2_normalize,
    gcut_cuda_l2_normalize_bwd, gcut_cuda_gather, gcut_cuda_gather_bwd, gcut_cuda_softmax,
    gcut_cuda_softmax_bwd, gcut_cuda_logsumexp, gcut_cuda_logsumexp_bwd;
/* gcut-math.h ops (math.c): one matmul, one broadcasting elementwise kernel
 * (driven by the node's op), one sum kernel, copies, fill diagonal, row maxima. */
extern const GcutCudaOp gcut_cuda_matmul, gcut_cuda_elementwise, gcut_cuda_sum,
    gcut_cuda_reshape, gcut_cuda_fill_diagonal, gcut_cuda_max_rows,
    gcut_cuda_max_rows_bwd;

/* The device copy of a parameter's host data. */
typedef struct _GcutCudaMirror
{
  void *host, *dev, *pinned; /* pinned: staging, where host is not page-locked */
  gboolean locked;           /* host is page-locked (gcut_cuda_lock_host) */
  gsize bytes;
  guint64 generation; /* of the run it was last uploaded in */
  int refs;
  cudaEvent_t staged; /* the last upload has left `pinned` */
} GcutCudaMirror;

GcutCudaMirror *gcut_cuda_mirror_get (GcutCudaBackend *be, void *host, gsize bytes,
                                      GError **error);
/* Uploads the host data if this run has not yet. */
void gcut_cuda_mirror_update (GcutCudaBackend *be, GcutCudaMirror *m);
void gcut_cuda_mirror_unref (GcutCudaBackend *be, GcutCudaMirror *m);
gboolean gcut_cuda_is_device_pointer (const void *p);
/* Page-locks host memory for direct asynchronous copies (params.c); FALSE
 * where it could not, and copies go through a pinned staging buffer. */
gboolean gcut_cuda_lock_host (GcutCudaBackend *be, const void *host, gsize bytes);
void gcut_cuda_unlock_host (GcutCudaBackend *be, const void *host, gsize bytes);
GArray *gcut_cuda_locked_new (void);
void gcut_cuda_warn_once (cudaError_t status, const char *what);

/* FALSE with a GError naming `what` when a call failed. */
gboolean gcut_cuda_check (cudaError_t status, const char *what, GError **error);
gboolean gcut_cudnn_check (cudnnStatus_t status, const char *what, GError **error);
gboolean gcut_cublas_check (cublasStatus_t status, const char *what, GError **error);

#include "kernels.h"
