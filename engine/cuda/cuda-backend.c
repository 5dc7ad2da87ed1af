/* The CUDA backend: device memory through cudaMalloc, one stream, cuDNN for
 * convolutions, cuBLAS for matrix products, our kernels for the rest.  Images
 * are plain NCHW (preferred block 1) for now.
 *
 * Parameters and their gradients live in the network's host buffer: each
 * parameter gets a device copy (params.c), uploaded once per run when a kernel
 * first reads it, and each kernel writing a parameter gradient copies it back
 * through pinned memory, delivered at the end of the backward pass.  That
 * costs transfers every step; a later round keeps parameters on the device. */
#include <gmodule.h>
#include <string.h>
#include "cuda-private.h"

static const GcutCudaOp *const cuda_ops[GCUT_OP_COUNT] = {
  [GCUT_OP_CONV2D] = &gcut_cuda_conv2d,
  [GCUT_OP_CONV2D_BWD_DATA] = &gcut_cuda_conv2d_bwd_data,
  [GCUT_OP_CONV2D_BWD_WEIGHTS] = &gcut_cuda_conv2d_bwd_weights,
  [GCUT_OP_CONV_T2D] = &gcut_cuda_conv_t2d,
  [GCUT_OP_CONV_T2D_BWD_DATA] = &gcut_cuda_conv_t2d_bwd_data,
  [GCUT_OP_CONV_T2D_BWD_WEIGHTS] = &gcut_cuda_conv_t2d_bwd_weights,
  [GCUT_OP_BIAS_GRAD] = &gcut_cuda_bias_grad,
  [GCUT_OP_PAD] = &gcut_cuda_pad,
  [GCUT_OP_PAD_BWD] = &gcut_cuda_pad_bwd,
  [GCUT_OP_INSTANCE_NORM] = &gcut_cuda_instance_norm,
  [GCUT_OP_INSTANCE_NORM_BWD] = &gcut_cuda_instance_norm_bwd,
  [GCUT_OP_INSTANCE_NORM_BWD_GAMMA] = &gcut_cuda_instance_norm_bwd_gamma,
  [GCUT_OP_ACT] = &gcut_cuda_act,
  [GCUT_OP_ACT_BWD] = &gcut_cuda_act_bwd,
  [GCUT_OP_BLUR_DOWN] = &gcut_cuda_blur_down,
  [GCUT_OP_BLUR_DOWN_BWD] = &gcut_cuda_blur_down_bwd,
  [GCUT_OP_BLUR_UP] = &gcut_cuda_blur_up,
  [GCUT_OP_BLUR_UP_BWD] = &gcut_cuda_blur_up_bwd,
  [GCUT_OP_ADD] = &gcut_cuda_add,
  [GCUT_OP_COPY] = &gcut_cuda_copy,
  [GCUT_OP_LINEAR] = &gcut_cuda_linear,
  [GCUT_OP_LINEAR_BWD_DATA] = &gcut_cuda_linear_bwd_data,
  [GCUT_OP_LINEAR_BWD_WEIGHTS] = &gcut_cuda_linear_bwd_weights,
  [GCUT_OP_L2_NORMALIZE] = &gcut_cuda_l2_normalize,
  [GCUT_OP_L2_NORMALIZE_BWD] = &gcut_cuda_l2_normalize_bwd,
  [GCUT_OP_GATHER] = &gcut_cuda_gather,
  [GCUT_OP_GATHER_BWD] = &gcut_cuda_gather_bwd,
  [GCUT_OP_SOFTMAX] = &gcut_cuda_softmax,
  [GCUT_OP_SOFTMAX_BWD] = &gcut_cuda_softmax_bwd,
  [GCUT_OP_LOGSUMEXP] = &gcut_cuda_logsumexp,
  [GCUT_OP_LOGSUMEXP_BWD] = &gcut_cuda_logsumexp_bwd,
  [GCUT_OP_MATMUL] = &gcut_cuda_matmul,
  [GCUT_OP_MUL] = &gcut_cuda_elementwise,
  [GCUT_OP_DIV] = &gcut_cuda_elementwise,
  [GCUT_OP_SUB] = &gcut_cuda_elementwise,
  [GCUT_OP_ADD_BROADCAST] = &gcut_cuda_elementwise,
  [GCUT_OP_DIV_BWD] = &gcut_cuda_elementwise,
  [GCUT_OP_SQUARE_BWD] = &gcut_cuda_elementwise,
  [GCUT_OP_ABS_BWD] = &gcut_cuda_elementwise,
  [GCUT_OP_SOFTPLUS_BWD] = &gcut_cuda_elementwise,
  [GCUT_OP_AFFINE] = &gcut_cuda_elementwise,
  [GCUT_OP_EXP] = &gcut_cuda_elementwise,
  [GCUT_OP_LOG] = &gcut_cuda_elementwise,
  [GCUT_OP_SQUARE] = &gcut_cuda_elementwise,
  [GCUT_OP_ABS] = &gcut_cuda_elementwise,
  [GCUT_OP_SOFTPLUS] = &gcut_cuda_elementwise,
  [GCUT_OP_SUM_ROWS] = &gcut_cuda_sum,
  [GCUT_OP_SUM_COLS] = &gcut_cuda_sum,
  [GCUT_OP_SUM_ALL] = &gcut_cuda_sum,
  [GCUT_OP_MEAN_ALL] = &gcut_cuda_sum,
  [GCUT_OP_SUM_TO] = &gcut_cuda_sum,
  [GCUT_OP_EXPAND] = &gcut_cuda_elementwise,
  [GCUT_OP_RESHAPE] = &gcut_cuda_reshape,
  [GCUT_OP_DETACH] = &gcut_cuda_reshape,
  [GCUT_OP_FILL_DIAGONAL] = &gcut_cuda_fill_diagonal,
  [GCUT_OP_MAX_ROWS] = &gcut_cuda_max_rows,
  [GCUT_OP_MAX_ROWS_BWD] = &gcut_cuda_max_rows_bwd,
};

gboolean
gcut_cuda_check (cudaError_t status, const char *what, GError **error)
{
  if (status == cudaSuccess)
    return TRUE;
  g_set_error (error, GCUT_ERROR,
               status == cudaErrorMemoryAllocation ? GCUT_ERROR_OUT_OF_MEMORY
                                                   : GCUT_ERROR_BACKEND,
               "CUDA: %s failed: %s", what, cudaGetErrorString (status));
  return FALSE;
}

gboolean
gcut_cudnn_check (cudnnStatus_t status, const char *what, GError **error)
{
  if (status == CUDNN_STATUS_SUCCESS)
    return TRUE;
  g_set_error (error, GCUT_ERROR,
               status == CUDNN_STATUS_NOT_SUPPORTED  ? GCUT_ERROR_UNSUPPORTED
               : status == CUDNN_STATUS_ALLOC_FAILED ? GCUT_ERROR_OUT_OF_MEMORY
                                                     : GCUT_ERROR_BACKEND,
               "cuDNN: %s failed: %s", what, cudnnGetErrorString (status));
  return FALSE;
}

gboolean
gcut_cublas_check (cublasStatus_t status, const char *what, GError **error)
{
  if (status == CUBLAS_STATUS_SUCCESS)
    return TRUE;
  g_set_error (error, GCUT_ERROR,
               status == CUBLAS_STATUS_ALLOC_FAILED ? GCUT_ERROR_OUT_OF_MEMORY
                                                    : GCUT_ERROR_BACKEND,
               "cuBLAS: %s failed (status %d)", what, (int)status);
  return FALSE;
}

/* Run-time failures (a launch that fails mid-plan) cannot be returned by the
 * table's void functions: the first is reported once. */
void
gcut_cuda_warn_once (cudaError_t status, const char *what)
{
  static gboolean warned;
  if (status != cudaSuccess && !warned)
    {
      warned = TRUE;
      g_warning ("CUDA: %s failed: %s", what, cudaGetErrorString (status));
    }
}

gboolean
gcut_cuda_is_device_pointer (const void *p)
{
  struct cudaPointerAttributes attr;
  if (!p || cudaPointerGetAttributes (&attr, p) != cudaSuccess)
    {
      cudaGetLastError (); /* clear it */
      return FALSE;
    }
  return attr.type == cudaMemoryTypeDevice;
}

/* Waits for the stream and copies the host results of the kernels run so far
 * out of their pinned buffers. */
static void
cuda_finish (GcutBackend *backend)
{
  GcutCudaBackend *be = (GcutCudaBackend *)backend;
  gcut_cuda_warn_once (cudaStreamSynchronize (be->stream), "running the plan");
  for (guint i = 0; i < be->pending->len; i++)
    {
      GcutCudaKernel *k = g_ptr_array_index (be->pending, i);
      memcpy (k->host_out, k->pinned_out, gcut_tensor_bytes (&k->out));
    }
  g_ptr_array_set_size (be->pending, 0);
}

/* A run begins: parameters are read again from the host. */
static void
cuda_begin (GcutBackend *backend)
{
  GcutCudaBackend *be = (GcutCudaBackend *)backend;
  /* copies from page-locked parameters still queued must not see new values */
  gcut_cuda_warn_once (cudaStreamSynchronize (be->stream), "finishing the last run");
  be->generation++;
}

static int
cuda_preferred_block (GcutBackend *backend)
{
  return 1;
}

static void
cuda_set_threads (GcutBackend *backend, int n_threads)
{
}

/* Half of what is free leaves room for the parameters, cuDNN's own
 * allocations and other users of the GPU. */
static gsize
cuda_memory_budget (GcutBackend *backend)
{
  size_t free_bytes = 0, total = 0;
  if (cudaMemGetInfo (&free_bytes, &total) != cudaSuccess)
    return GCUT_DEFAULT_MEMORY_BUDGET;
  return free_bytes / 2;
}

static gpointer
cuda_alloc (GcutBackend *backend, gsize bytes, GError **error)
{
  void *p = NULL;
  cudaError_t status = cudaMalloc (&p, bytes);
  if (status != cudaSuccess)
    {
      cudaGetLastError ();
      g_set_error (error, GCUT_ERROR,
                   status == cudaErrorMemoryAllocation ? GCUT_ERROR_OUT_OF_MEMORY
                                                       : GCUT_ERROR_BACKEND,
                   "out of GPU memory allocating %" G_GSIZE_FORMAT " MiB (%s)",
                   bytes >> 20, cudaGetErrorString (status));
      return NULL;
    }
  return p;
}

static void
cuda_free (GcutBackend *backend, gpointer data)
{
  GcutCudaBackend *be = (GcutCudaBackend *)backend;
  cudaStreamSynchronize (be->stream);
  cudaFree (data);
}

/* The plan zeroes parameter gradients no path reaches: those are host memory. */
static void
cuda_zero (GcutBackend *backend, void *data, gsize bytes)
{
  GcutCudaBackend *be = (GcutCudaBackend *)backend;
  if (gcut_cuda_is_device_pointer (data))
    gcut_cuda_warn_once (cudaMemsetAsync (data, 0, bytes, be->stream), "zeroing");
  else
    memset (data, 0, bytes);
}

/* The pinned buffer of uploads and downloads, grown to `bytes`. */
static gboolean
staging (GcutCudaBackend *be, gsize bytes)
{
  if (be->staging_bytes >= bytes)
    return TRUE;
  gcut_cuda_warn_once (cudaStreamSynchronize (be->stream), "growing the staging buffer");
  if (be->staging)
    cudaFreeHost (be->staging);
  be->staging = NULL;
  be->staging_bytes = 0;
  if (cudaMallocHost (&be->staging, bytes) != cudaSuccess)
    {
      gcut_cuda_warn_once (cudaGetLastError (), "allocating a staging buffer");
      be->staging = NULL;
      return FALSE;
    }
  be->staging_bytes = bytes;
  return TRUE;
}

static void
cuda_upload (GcutBackend *backend, const GcutTensor *dst, const void *host)
{
  GcutCudaBackend *be = (GcutCudaBackend *)backend;
  gsize bytes = gcut_tensor_bytes (dst);
  if (!gcut_cuda_is_device_pointer (dst->data))
    {
      memcpy (dst->data, host, bytes);
      return;
    }
  /* Through our staging buffer: the caller's buffer may share a page with a
   * range we locked, and a copy must not straddle a locked range.  The caller
   * may reuse its buffer at once, so the copy is synchronous. */
  if (!staging (be, bytes))
    return;
  gcut_cuda_warn_once (cudaStreamSynchronize (be->stream), "uploading");
  memcpy (be->staging, host, bytes);
  gcut_cuda_warn_once (
      cudaMemcpyAsync (dst->data, be->staging, bytes, cudaMemcpyHostToDevice, be->stream),
      "uploading");
  gcut_cuda_warn_once (cudaStreamSynchronize (be->stream), "uploading");
}

static void
cuda_download (GcutBackend *backend, const GcutTensor *src, void *host)
{
  GcutCudaBackend *be = (GcutCudaBackend *)backend;
  gsize bytes = gcut_tensor_bytes (src);
  if (!gcut_cuda_is_device_pointer (src->data))
    {
      cuda_finish (backend);
      memcpy (host, src->data, bytes);
      return;
    }
  if (!staging (be, bytes))
    return;
  gcut_cuda_warn_once (
      cudaMemcpyAsync (be->staging, src->data, bytes, cudaMemcpyDeviceToHost, be->stream),
      "downloading");
  gcut_cuda_warn_once (cudaStreamSynchronize (be->stream), "running the plan");
  memcpy (host, be->staging, bytes);
}

static void cuda_release (GcutBackend *backend, gpointer kernel);

/* A device copy of host tensor t, for a kernel to read or write. */
static gboolean
mirror (GcutTensor *t, void **host, GError **error)
{
  void *dev = NULL;
  if (!t->data || gcut_cuda_is_device_pointer (t->data))
    return TRUE;
  if (!gcut_cuda_check (cudaMalloc (&dev, MAX (gcut_tensor_bytes (t), 4)),
                        "allocating a parameter's device copy", error))
    return FALSE;
  *host = t->data;
  t->data = dev;
  return TRUE;
}

static gpointer
cuda_prepare (GcutBackend *backend, const GcutNode *node, const GcutTensor *in,
              const GcutTensor *out, gsize *scratch_bytes, GError **error)
{
  const GcutCudaOp *op = node->op < GCUT_OP_COUNT ? cuda_ops[node->op] : NULL;
  GcutCudaKernel *k;

  if (!op)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "the CUDA backend has no kernel for this op yet");
      return NULL;
    }
  for (int i = 0; i <= node->n_inputs; i++)
    {
      const GcutTensor *t = i < node->n_inputs ? &in[i] : out;
      if (t->shape.n_dims == 4 && t->block != 1)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                       "the CUDA backend computes plain NCHW images only, not "
                       "channel block %d",
                       t->block);
          return NULL;
        }
    }
  k = g_new0 (GcutCudaKernel, 1);
  k->be = (GcutCudaBackend *)backend;
  k->node = node;
  k->n_in = node->n_inputs;
  for (int i = 0; i < node->n_inputs; i++)
    k->in[i] = in[i];
  k->out = *out;
  for (int i = 0; i < k->n_in; i++)
    if (k->in[i].data && !gcut_cuda_is_device_pointer (k->in[i].data))
      {
        k->mirror[i] = gcut_cuda_mirror_get (k->be, k->in[i].data,
                                             gcut_tensor_bytes (&k->in[i]), error);
        if (!k->mirror[i])
          goto fail;
        k->in[i].data = k->mirror[i]->dev;
      }
  if (!mirror (&k->out, &k->host_out, error)
      || (k->host_out
          && !(k->locked_out
               = gcut_cuda_lock_host (k->be, k->host_out, gcut_tensor_bytes (&k->out)))
          && !gcut_cuda_check (
              cudaMallocHost (&k->pinned_out, gcut_tensor_bytes (&k->out)),
              "allocating pinned memory", error))
      || !op->prepare (k, error))
    goto fail;
  *scratch_bytes = k->scratch_bytes;
  return k;

fail:
  cuda_release (backend, k);
  return NULL;
}

static void
cuda_run (GcutBackend *backend, gpointer kernel, void *scratch)
{
  GcutCudaKernel *k = kernel;
  cudaStream_t s = k->be->stream;

  for (int i = 0; i < k->n_in; i++)
    if (k->mirror[i])
      gcut_cuda_mirror_update (k->be, k->mirror[i]);
  cuda_ops[k->node->op]->run (k, scratch);
  gcut_cuda_warn_once (cudaGetLastError (), "a kernel launch");
  /* GCUT_CUDA_SYNC=1: wait for each kernel, so that GCUT_PROFILE's per-node
   * times are GPU times (plus launch and transfers) */
  if (k->be->sync_each)
    gcut_cuda_warn_once (cudaStreamSynchronize (s), "running a kernel");
  /* delivered by cuda_finish () at the end of the pass */
  if (k->host_out)
    {
      gcut_cuda_warn_once (cudaMemcpyAsync (k->pinned_out ? k->pinned_out : k->host_out,
                                            k->out.data, gcut_tensor_bytes (&k->out),
                                            cudaMemcpyDeviceToHost, s),
                           "downloading a gradient");
      if (k->pinned_out)
        g_ptr_array_add (k->be->pending, k);
    }
}

static void
cuda_release (GcutBackend *backend, gpointer kernel)
{
  GcutCudaKernel *k = kernel;
  const GcutCudaOp *op = cuda_ops[k->node->op];

  cuda_finish (&k->be->base);
  if (op && op->release)
    op->release (k);
  for (int i = 0; i < k->n_in; i++)
    if (k->mirror[i])
      gcut_cuda_mirror_unref (k->be, k->mirror[i]);
  if (k->host_out)
    cudaFree (k->out.data);
  if (k->pinned_out)
    cudaFreeHost (k->pinned_out);
  if (k->locked_out)
    gcut_cuda_unlock_host (k->be, k->host_out, gcut_tensor_bytes (&k->out));
  g_free (k);
}

/* The module's entry point: checks the driver, a device and the libraries,
 * and names what is missing. */
G_MODULE_EXPORT GcutBackend *gcut_cuda_backend_new (GError **error);

GcutBackend *
gcut_cuda_backend_new (GError **error)
{
  static GcutCudaBackend *be;
  struct cudaDeviceProp prop;
  int driver = 0, n = 0;
  size_t free_bytes = 0, total = 0;
  cudaError_t status;

  if (be)
    return &be->base;
  if (cudaDriverGetVersion (&driver) != cudaSuccess || driver == 0)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED, "no NVIDIA driver");
      return NULL;
    }
  status = cudaGetDeviceCount (&n);
  if (status == cudaErrorInsufficientDriver)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "the NVIDIA driver (CUDA %d.%d) is older than this module needs",
                   driver / 1000, driver % 1000 / 10);
      return NULL;
    }
  if (status != cudaSuccess || n == 0)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED, "no CUDA device (%s)",
                   status != cudaSuccess ? cudaGetErrorString (status) : "none found");
      return NULL;
    }
  if (cudnnGetVersion () / 10000 != CUDNN_MAJOR)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "cuDNN not found: version %zu loaded, %d needed", cudnnGetVersion (),
                   CUDNN_MAJOR);
      return NULL;
    }

  GcutCudaBackend *b = g_new0 (GcutCudaBackend, 1);
  b->base = (GcutBackend){ .name = "cuda",
                           .preferred_block = cuda_preferred_block,
                           .set_threads = cuda_set_threads,
                           .memory_budget = cuda_memory_budget,
                           .alloc = cuda_alloc,
                           .free = cuda_free,
                           .zero = cuda_zero,
                           .upload = cuda_upload,
                           .download = cuda_download,
                           .prepare = cuda_prepare,
                           .run = cuda_run,
                           .release = cuda_release,
                           .begin = cuda_begin,
                           .finish = cuda_finish };
  b->pending = g_ptr_array_new ();
  b->mirrors = g_hash_table_new (NULL, NULL);
  b->locked = gcut_cuda_locked_new ();
  b->generation = 1;
  b->sync_each = g_strcmp0 (g_getenv ("GCUT_CUDA_SYNC"), "1") == 0;
  if (!gcut_cuda_check (cudaSetDevice (0), "selecting the device", error)
      || !gcut_cuda_check (cudaGetDeviceProperties (&prop, 0), "reading the device",
                           error))
    goto fail;
  g_strlcpy (b->name, prop.name, sizeof b->name);
  status = cudaStreamCreateWithFlags (&b->stream, cudaStreamNonBlocking);
  if (status == cudaSuccess)
    status = cudaMemGetInfo (&free_bytes, &total);
  if (status == cudaErrorMemoryAllocation
      || (status == cudaSuccess && free_bytes < (64u << 20)))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "out of GPU memory (%zu MiB free)", free_bytes >> 20);
      goto fail;
    }
  if (!gcut_cuda_check (status, "starting the device", error))
    goto fail;
  if (!gcut_cudnn_check (cudnnCreate (&b->cudnn), "cuDNN not usable: creating a handle",
                         error)
      || !gcut_cudnn_check (cudnnSetStream (b->cudnn, b->stream), "setting its stream",
                            error)
      || !gcut_cublas_check (cublasCreate (&b->cublas), "creating a handle", error)
      || !gcut_cublas_check (cublasSetStream (b->cublas, b->stream), "setting its stream",
                             error)
      /* fp32 for now: no TF32 tensor cores */
      || !gcut_cublas_check (cublasSetMathMode (b->cublas, CUBLAS_PEDANTIC_MATH),
                             "setting the math mode", error))
    goto fail;
  be = b;
  return &be->base;

fail:
  if (b->cublas)
    cublasDestroy (b->cublas);
  if (b->cudnn)
    cudnnDestroy (b->cudnn);
  if (b->stream)
    cudaStreamDestroy (b->stream);
  g_ptr_array_free (b->pending, TRUE);
  g_hash_table_destroy (b->mirrors);
  g_array_free (b->locked, TRUE);
  g_free (b);
  return NULL;
}
