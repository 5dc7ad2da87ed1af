/* Convolutions and transposed convolutions through cuDNN, fp32 without TF32
 * (CUDNN_FMA_MATH).  Algorithms are chosen once per kernel in prepare from
 * cuDNN's heuristics (deterministic ones for the backward passes); their
 * workspace is the plan's shared scratch.
 *
 * A transposed convolution is the data gradient of the convolution that maps
 * its output back to its input: its forward pass runs cuDNN's backward data,
 * its backward data pass a forward convolution, its weight gradient cuDNN's
 * backward filter with the roles of x and the gradient swapped. */
#include "cuda-private.h"

#define MAX_WORKSPACE ((gsize)1 << 30)

typedef enum
{
  PASS_FORWARD,       /* y = x ⋆ w */
  PASS_BACKWARD_DATA, /* dx from dy */
  PASS_BACKWARD_FILTER
} Pass;

typedef struct
{
  Pass pass; /* the cuDNN call */
  /* the convolution's x, w, y in cuDNN's forward terms */
  const GcutTensor *x, *w, *y;
  const GcutTensor *bias;
  cudnnTensorDescriptor_t x_d, y_d;
  cudnnFilterDescriptor_t w_d;
  cudnnConvolutionDescriptor_t conv_d;
  int algo;
} Conv;

static gboolean
tensor_desc (cudnnTensorDescriptor_t *d, const GcutTensor *t, GError **error)
{
  return gcut_cudnn_check (cudnnCreateTensorDescriptor (d), "creating a descriptor",
                           error)
         && gcut_cudnn_check (
             cudnnSetTensor4dDescriptor (*d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                         t->shape.dims[0], t->shape.dims[1],
                                         t->shape.dims[2], t->shape.dims[3]),
             "describing an image", error);
}

/* FFT and Winograd algorithms, whose error is larger than a direct
 * computation's: used only when the plan's precision is FAST, as on the CPU. */
static gboolean
is_transform (Pass pass, int algo)
{
  switch (pass)
    {
    case PASS_FORWARD:
      return algo >= CUDNN_CONVOLUTION_FWD_ALGO_FFT;
    case PASS_BACKWARD_DATA:
      return algo >= CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT;
    default:
      return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT
             || algo >= CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD;
    }
}

/* Picks the first algorithm cuDNN suggests that is deterministic where asked
 * and fits the workspace cap, preferring in turn: fp32 FMA math and a direct
 * algorithm (unless the precision is FAST), any math and a direct algorithm,
 * then anything. */
#define PICK(perf, n, want_det)                                                          \
  do                                                                                     \
    {                                                                                    \
      gboolean fast_ = k->node->precision != GCUT_PRECISION_EXACT;                        \
      for (int pass_ = 0; pass_ < 3 && c->algo < 0; pass_++)                             \
        for (int i_ = 0; i_ < (n); i_++)                                                 \
          if ((perf)[i_].status == CUDNN_STATUS_SUCCESS                                  \
              && (!(want_det) || (perf)[i_].determinism == CUDNN_DETERMINISTIC)          \
              && (perf)[i_].memory <= MAX_WORKSPACE                                      \
              && (pass_ > 0 || (perf)[i_].mathType == CUDNN_FMA_MATH)                    \
              && (pass_ > 1 || fast_ || !is_transform (c->pass, (perf)[i_].algo)))       \
            {                                                                            \
              c->algo = (perf)[i_].algo;                                                 \
              k->scratch_bytes = (perf)[i_].memory;                                      \
              break;                                                                     \
            }                                                                            \
    }                                                                                    \
  while (0)

static gboolean
choose_algorithm (GcutCudaKernel *k, Conv *c, GError **error)
{
  cudnnHandle_t h = k->be->cudnn;
  int n = 0;
  c->algo = -1;
  switch (c->pass)
    {
    case PASS_FORWARD:
      {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        if (!gcut_cudnn_check (cudnnGetConvolutionForwardAlgorithm_v7 (
                                   h, c->x_d, c->w_d, c->conv_d, c->y_d,
                                   CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf),
                               "choosing a forward algorithm", error))
          return FALSE;
        PICK (perf, n, FALSE);
        break;
      }
    case PASS_BACKWARD_DATA:
      {
        cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        if (!gcut_cudnn_check (cudnnGetConvolutionBackwardDataAlgorithm_v7 (
                                   h, c->w_d, c->y_d, c->conv_d, c->x_d,
                                   CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, perf),
                               "choosing a backward data algorithm", error))
          return FALSE;
        PICK (perf, n, TRUE);
        break;
      }
    default:
      {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        if (!gcut_cudnn_check (cudnnGetConvolutionBackwardFilterAlgorithm_v7 (
                                   h, c->x_d, c->y_d, c->conv_d, c->w_d,
                                   CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, perf),
                               "choosing a backward filter algorithm", error))
          return FALSE;
        PICK (perf, n, TRUE);
        break;
      }
    }
  if (g_getenv ("GCUT_CUDA_VERBOSE"))
    g_printerr (
        "gcut-cuda: op %d, cuDNN pass %d, x %dx%dx%dx%d, w %dx%dx%dx%d: algorithm "
        "%d, workspace %zu\n",
        (int)k->node->op, (int)c->pass, (int)c->x->shape.dims[0],
        (int)c->x->shape.dims[1], (int)c->x->shape.dims[2], (int)c->x->shape.dims[3],
        (int)c->w->shape.dims[0], (int)c->w->shape.dims[1], (int)c->w->shape.dims[2],
        (int)c->w->shape.dims[3], c->algo, k->scratch_bytes);
  if (c->algo < 0)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                           "cuDNN offers no deterministic fp32 algorithm for this "
                           "convolution");
      return FALSE;
    }
  return TRUE;
}

static void
conv_release (GcutCudaKernel *k)
{
  Conv *c = k->state;
  if (!c)
    return;
  if (c->x_d)
    cudnnDestroyTensorDescriptor (c->x_d);
  if (c->y_d)
    cudnnDestroyTensorDescriptor (c->y_d);
  if (c->w_d)
    cudnnDestroyFilterDescriptor (c->w_d);
  if (c->conv_d)
    cudnnDestroyConvolutionDescriptor (c->conv_d);
  g_free (c);
}

/* transposed: the node is a transposed convolution's; node_pass: which of its
 * three kernels. */
static gboolean
conv_prepare (GcutCudaKernel *k, gboolean transposed, Pass node_pass, GError **error)
{
  const GcutOpParams *p = &k->node->p;
  Conv *c = g_new0 (Conv, 1);
  const GcutTensor *a, *b; /* the image-side tensors: the node's x and y */
  int oh, ow, dims[4];

  k->state = c;
  /* In the node's own terms: x (its input image), w, y (its output image). */
  switch (node_pass)
    {
    case PASS_FORWARD:
      a = &k->in[0], c->w = &k->in[1], b = &k->out;
      c->bias = k->n_in > 2 ? &k->in[2] : NULL;
      break;
    case PASS_BACKWARD_DATA:
      a = &k->out, c->w = &k->in[1], b = &k->in[0];
      break;
    default:
      a = &k->in[0], c->w = &k->out, b = &k->in[1];
    }
  /* In cuDNN's convolution terms, the transposed one runs backwards. */
  c->x = transposed ? b : a;
  c->y = transposed ? a : b;
  if (transposed && node_pass != PASS_BACKWARD_FILTER)
    c->pass = node_pass == PASS_FORWARD ? PASS_BACKWARD_DATA : PASS_FORWARD;
  else
    c->pass = node_pass;
  if (node_pass != PASS_FORWARD && (p->pad[0] != p->padding || p->pad[2] != p->padding))
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                           "asymmetric convolution paddings are not supported on CUDA");
      return FALSE;
    }
  if (!tensor_desc (&c->x_d, c->x, error) || !tensor_desc (&c->y_d, c->y, error)
      || !gcut_cudnn_check (cudnnCreateFilterDescriptor (&c->w_d),
                            "creating a descriptor", error)
      /* both weights are (out, in/groups) of the cuDNN convolution: a transposed
       * one's (C_in, C_out/groups) is that of the convolution running back */
      || !gcut_cudnn_check (
          cudnnSetFilter4dDescriptor (c->w_d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                      c->w->shape.dims[0], c->w->shape.dims[1],
                                      c->w->shape.dims[2], c->w->shape.dims[3]),
          "describing the weights", error)
      || !gcut_cudnn_check (cudnnCreateConvolutionDescriptor (&c->conv_d),
                            "creating a descriptor", error)
      || !gcut_cudnn_check (cudnnSetConvolution2dDescriptor (
                                c->conv_d, p->padding, p->padding, p->stride, p->stride,
                                1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                            "describing the convolution", error)
      || !gcut_cudnn_check (cudnnSetConvolutionGroupCount (c->conv_d, p->groups),
                            "setting groups", error)
      || !gcut_cudnn_check (cudnnSetConvolutionMathType (c->conv_d, CUDNN_FMA_MATH),
                            "setting fp32 math", error)
      || !gcut_cudnn_check (
          cudnnGetConvolutionNdForwardOutputDim (c->conv_d, c->x_d, c->w_d, 4, dims),
          "sizing the convolution", error))
    return FALSE;
  oh = dims[2], ow = dims[3];
  if (oh != c->y->shape.dims[2] || ow != c->y->shape.dims[3]
      || dims[1] != c->y->shape.dims[1])
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                   "cuDNN sizes this convolution's result %dx%d, the graph %dx%d", oh, ow,
                   (int)c->y->shape.dims[2], (int)c->y->shape.dims[3]);
      return FALSE;
    }
  return choose_algorithm (k, c, error);
}

static void
conv_run (GcutCudaKernel *k, void *scratch)
{
  Conv *c = k->state;
  const float one = 1.f, zero = 0.f;
  cudnnHandle_t h = k->be->cudnn;
  const GcutOpParams *p = &k->node->p;
  cudnnStatus_t st;

  switch (c->pass)
    {
    case PASS_FORWARD:
      st = cudnnConvolutionForward (h, &one, c->x_d, c->x->data, c->w_d, c->w->data,
                                    c->conv_d, c->algo, scratch, k->scratch_bytes, &zero,
                                    c->y_d, c->y->data);
      break;
    case PASS_BACKWARD_DATA:
      st = cudnnConvolutionBackwardData (h, &one, c->w_d, c->w->data, c->y_d, c->y->data,
                                         c->conv_d, c->algo, scratch, k->scratch_bytes,
                                         &zero, c->x_d, c->x->data);
      break;
    default:
      st = cudnnConvolutionBackwardFilter (h, &one, c->x_d, c->x->data, c->y_d,
                                           c->y->data, c->conv_d, c->algo, scratch,
                                           k->scratch_bytes, &zero, c->w_d, c->w->data);
    }
  if (st != CUDNN_STATUS_SUCCESS)
    g_warning ("cuDNN: convolution (op %d) failed: %s", (int)k->node->op,
               cudnnGetErrorString (st));
  /* the node's result gets its bias and fused activation */
  if ((k->node->op == GCUT_OP_CONV2D || k->node->op == GCUT_OP_CONV_T2D)
      && (c->bias || p->act != GCUT_ACT_NONE))
    gcut_k_bias_act (k->out.data, c->bias ? c->bias->data : NULL,
                     gcut_shape_numel (&k->out.shape),
                     k->out.shape.dims[2] * k->out.shape.dims[3], k->out.shape.dims[1],
                     p->act, p->slope, k->be->stream);
}

#define CONV_OP(name, transposed, pass)                                                  \
  static gboolean name##_prepare (GcutCudaKernel *k, GError **error)                     \
  {                                                                                      \
    return conv_prepare (k, transposed, pass, error);                                    \
  }                                                                                      \
  const GcutCudaOp gcut_cuda_##name = { name##_prepare, conv_run, conv_release };

CONV_OP (conv2d, FALSE, PASS_FORWARD)
CONV_OP (conv2d_bwd_data, FALSE, PASS_BACKWARD_DATA)
CONV_OP (conv2d_bwd_weights, FALSE, PASS_BACKWARD_FILTER)
CONV_OP (conv_t2d, TRUE, PASS_FORWARD)
CONV_OP (conv_t2d_bwd_data, TRUE, PASS_BACKWARD_DATA)
CONV_OP (conv_t2d_bwd_weights, TRUE, PASS_BACKWARD_FILTER)
