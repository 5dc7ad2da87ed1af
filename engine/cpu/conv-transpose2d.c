/* Transposed convolutions: oneDNN deconvolutions, built by the convolution
 * code in conv2d.c. */
#include "dnnl-private.h"

static gboolean
conv_t_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_conv_prepare (k, TRUE, GCUT_CONV_FORWARD, error);
}

static gboolean
conv_t_bwd_data_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_conv_prepare (k, TRUE, GCUT_CONV_BACKWARD_DATA, error);
}

static gboolean
conv_t_bwd_weights_prepare (GcutCpuKernel *k, GError **error)
{
  return gcut_cpu_conv_prepare (k, TRUE, GCUT_CONV_BACKWARD_WEIGHTS, error);
}

const GcutCpuOp gcut_cpu_conv_t2d = { conv_t_prepare, gcut_dnnl_run, gcut_dnnl_release };
const GcutCpuOp gcut_cpu_conv_t2d_bwd_data
    = { conv_t_bwd_data_prepare, gcut_dnnl_run, gcut_dnnl_release };
const GcutCpuOp gcut_cpu_conv_t2d_bwd_weights
    = { conv_t_bwd_weights_prepare, gcut_dnnl_run, gcut_dnnl_release };
