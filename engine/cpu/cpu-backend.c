/* The CPU backend: oneDNN for convolutions and matrix products, OpenMP C for
 * the rest.  Images inside a plan use oneDNN's channel-blocked layout. */
#include <omp.h>
#include <string.h>
#include "cpu-private.h"

static const GcutCpuOp *const cpu_ops[GCUT_OP_COUNT] = {
  [GCUT_OP_CONV2D] = &gcut_cpu_conv2d,
  [GCUT_OP_CONV2D_BWD_DATA] = &gcut_cpu_conv2d_bwd_data,
  [GCUT_OP_CONV2D_BWD_WEIGHTS] = &gcut_cpu_conv2d_bwd_weights,
  [GCUT_OP_CONV_T2D] = &gcut_cpu_conv_t2d,
  [GCUT_OP_CONV_T2D_BWD_DATA] = &gcut_cpu_conv_t2d_bwd_data,
  [GCUT_OP_CONV_T2D_BWD_WEIGHTS] = &gcut_cpu_conv_t2d_bwd_weights,
  [GCUT_OP_BIAS_GRAD] = &gcut_cpu_bias_grad,
  [GCUT_OP_PAD] = &gcut_cpu_pad,
  [GCUT_OP_PAD_BWD] = &gcut_cpu_pad_bwd,
  [GCUT_OP_INSTANCE_NORM] = &gcut_cpu_instance_norm,
  [GCUT_OP_INSTANCE_NORM_BWD] = &gcut_cpu_instance_norm_bwd,
  [GCUT_OP_INSTANCE_NORM_BWD_GAMMA] = &gcut_cpu_instance_norm_bwd_gamma,
  [GCUT_OP_ACT] = &gcut_cpu_act,
  [GCUT_OP_ACT_BWD] = &gcut_cpu_act_bwd,
  [GCUT_OP_BLUR_DOWN] = &gcut_cpu_blur_down,
  [GCUT_OP_BLUR_DOWN_BWD] = &gcut_cpu_blur_down_bwd,
  [GCUT_OP_BLUR_UP] = &gcut_cpu_blur_up,
  [GCUT_OP_BLUR_UP_BWD] = &gcut_cpu_blur_up_bwd,
  [GCUT_OP_ADD] = &gcut_cpu_add,
  [GCUT_OP_COPY] = &gcut_cpu_copy,
  [GCUT_OP_LINEAR] = &gcut_cpu_linear,
  [GCUT_OP_LINEAR_BWD_DATA] = &gcut_cpu_linear_bwd_data,
  [GCUT_OP_LINEAR_BWD_WEIGHTS] = &gcut_cpu_linear_bwd_weights,
  [GCUT_OP_L2_NORMALIZE] = &gcut_cpu_l2_normalize,
  [GCUT_OP_L2_NORMALIZE_BWD] = &gcut_cpu_l2_normalize_bwd,
  [GCUT_OP_GATHER] = &gcut_cpu_gather,
  [GCUT_OP_GATHER_BWD] = &gcut_cpu_gather_bwd,
  [GCUT_OP_SOFTMAX] = &gcut_cpu_softmax,
  [GCUT_OP_SOFTMAX_BWD] = &gcut_cpu_softmax_bwd,
  [GCUT_OP_LOGSUMEXP] = &gcut_cpu_logsumexp,
  [GCUT_OP_LOGSUMEXP_BWD] = &gcut_cpu_logsumexp_bwd,
  [GCUT_OP_MATMUL] = &gcut_cpu_matmul,
  [GCUT_OP_MUL] = &gcut_cpu_elementwise,
  [GCUT_OP_DIV] = &gcut_cpu_elementwise,
  [GCUT_OP_SUB] = &gcut_cpu_elementwise,
  [GCUT_OP_ADD_BROADCAST] = &gcut_cpu_elementwise,
  [GCUT_OP_DIV_BWD] = &gcut_cpu_elementwise,
  [GCUT_OP_SQUARE_BWD] = &gcut_cpu_elementwise,
  [GCUT_OP_ABS_BWD] = &gcut_cpu_elementwise,
  [GCUT_OP_SOFTPLUS_BWD] = &gcut_cpu_elementwise,
  [GCUT_OP_AFFINE] = &gcut_cpu_elementwise,
  [GCUT_OP_EXP] = &gcut_cpu_elementwise,
  [GCUT_OP_LOG] = &gcut_cpu_elementwise,
  [GCUT_OP_SQUARE] = &gcut_cpu_elementwise,
  [GCUT_OP_ABS] = &gcut_cpu_elementwise,
  [GCUT_OP_SOFTPLUS] = &gcut_cpu_elementwise,
  [GCUT_OP_SUM_ROWS] = &gcut_cpu_sum,
  [GCUT_OP_SUM_COLS] = &gcut_cpu_sum,
  [GCUT_OP_SUM_ALL] = &gcut_cpu_sum,
  [GCUT_OP_MEAN_ALL] = &gcut_cpu_sum,
  [GCUT_OP_SUM_TO] = &gcut_cpu_sum,
  [GCUT_OP_EXPAND] = &gcut_cpu_elementwise,
  [GCUT_OP_RESHAPE] = &gcut_cpu_reshape,
  [GCUT_OP_DETACH] = &gcut_cpu_reshape,
  [GCUT_OP_FILL_DIAGONAL] = &gcut_cpu_fill_diagonal,
  [GCUT_OP_MAX_ROWS] = &gcut_cpu_max_rows,
  [GCUT_OP_MAX_ROWS_BWD] = &gcut_cpu_max_rows_bwd,
};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static gpointer
create_dnnl (gpointer data)
{
  if (dnnl_engine_create (&engine, dnnl_cpu, 0) != dnnl_success
      || dnnl_stream_create (&stream, engine, dnnl_stream_default_flags) != dnnl_success)
    g_error ("oneDNN could not create a CPU engine"); /* only if the library is broken */
  return NULL;
}

static void
ensure_dnnl (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, create_dnnl, NULL);
}

dnnl_engine_t
gcut_cpu_engine (void)
{
  ensure_dnnl ();
  return engine;
}

dnnl_stream_t
gcut_cpu_stream (void)
{
  ensure_dnnl ();
  return stream;
}

gboolean
gcut_dnnl_check (dnnl_status_t status, const char *what, GError **error)
{
  if (status == dnnl_success)
    return TRUE;
  g_set_error (error, GCUT_ERROR,
               status == dnnl_out_of_memory   ? GCUT_ERROR_OUT_OF_MEMORY
               : status == dnnl_unimplemented ? GCUT_ERROR_UNSUPPORTED
                                              : GCUT_ERROR_BACKEND,
               "oneDNN: %s failed (status %d)", what, (int)status);
  return FALSE;
}

void
gcut_cpu_layout (const GcutTensor *t, GcutDnnlLayout *layout)
{
  static const dnnl_format_tag_t plain[] = { dnnl_a, dnnl_ab, dnnl_abc };
  const int n = t->shape.n_dims;

  *layout = (GcutDnnlLayout){
    .ndims = n,
    .type = t->dtype == GCUT_DTYPE_I32 ? dnnl_s32 : dnnl_f32,
    .tag = n >= 1 && n <= 3 ? plain[n - 1]
           : t->block == 16 ? dnnl_nChw16c
           : t->block == 8  ? dnnl_nChw8c
                            : dnnl_nchw,
  };
  for (int i = 0; i < n; i++)
    layout->dims[i] = t->shape.dims[i];
}

static int
cpu_preferred_block (GcutBackend *backend)
{
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa ();
  return isa >= dnnl_cpu_isa_avx512_core ? 16 : 8;
}

static void
cpu_set_threads (GcutBackend *backend, int n_threads)
{
  omp_set_num_threads (n_threads > 0 ? n_threads : omp_get_num_procs ());
}

static gpointer
cpu_alloc (GcutBackend *backend, gsize bytes, GError **error)
{
  gpointer p = NULL;
  if (posix_memalign (&p, 64, bytes) != 0)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "out of memory allocating %" G_GSIZE_FORMAT " MiB", bytes >> 20);
      return NULL;
    }
  return p;
}

static void
cpu_free (GcutBackend *backend, gpointer data)
{
  free (data);
}

static void
cpu_zero (GcutBackend *backend, void *data, gsize bytes)
{
  memset (data, 0, bytes);
}

/* Between NCHW and the channel-blocked layout; plain tensors are copied. */
static void
convert (const GcutTensor *t, float *blocked, float *plain, gboolean to_blocked)
{
  const gint64 N = t->shape.dims[0], C = t->shape.dims[1];
  const gint64 HW = t->shape.dims[2] * t->shape.dims[3];
#pragma omp parallel for collapse(2)
  for (gint64 n = 0; n < N; n++)
    for (gint64 c = 0; c < C; c++)
      {
        float *b = gcut_cpu_plane (t, n, c), *p = plain + (n * C + c) * HW;
        for (gint64 i = 0; i < HW; i++)
          {
            if (to_blocked)
              b[i * t->block] = p[i];
            else
              p[i] = b[i * t->block];
          }
      }
}

static void
cpu_upload (GcutBackend *backend, const GcutTensor *dst, const void *host)
{
  if (dst->block > 1)
    convert (dst, dst->data, (float *)host, TRUE);
  else
    memcpy (dst->data, host, gcut_tensor_bytes (dst));
}

static void
cpu_download (GcutBackend *backend, const GcutTensor *src, void *host)
{
  if (src->block > 1)
    convert (src, src->data, host, FALSE);
  else
    memcpy (host, src->data, gcut_tensor_bytes (src));
}

static gpointer
cpu_prepare (GcutBackend *backend, const GcutNode *node, const GcutTensor *in,
             const GcutTensor *out, gsize *scratch_bytes, GError **error)
{
  const GcutCpuOp *op = cpu_ops[node->op];
  GcutCpuKernel *k = g_new0 (GcutCpuKernel, 1);

  k->node = node;
  k->n_in = node->n_inputs;
  for (int i = 0; i < node->n_inputs; i++)
    k->in[i] = in[i];
  k->out = *out;
  if (op->prepare && !op->prepare (k, error))
    {
      if (op->release)
        op->release (k);
      g_free (k);
      return NULL;
    }
  *scratch_bytes = k->scratch_bytes;
  return k;
}

static void
cpu_run (GcutBackend *backend, gpointer kernel, void *scratch)
{
  GcutCpuKernel *k = kernel;
  cpu_ops[k->node->op]->run (k, scratch);
}

static void
cpu_release (GcutBackend *backend, gpointer kernel)
{
  GcutCpuKernel *k = kernel;
  if (cpu_ops[k->node->op]->release)
    cpu_ops[k->node->op]->release (k);
  g_free (k);
}

static GcutBackend cpu_backend = {
  .name = "cpu",
  .preferred_block = cpu_preferred_block,
  .set_threads = cpu_set_threads,
  .alloc = cpu_alloc,
  .free = cpu_free,
  .zero = cpu_zero,
  .upload = cpu_upload,
  .download = cpu_download,
  .prepare = cpu_prepare,
  .run = cpu_run,
  .release = cpu_release,
};

GcutBackend *
gcut_backend_cpu (void)
{
  return &cpu_backend;
}
