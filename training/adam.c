/* Adam as torch.optim.Adam, over one flat parameter buffer. */
#include <math.h>
#include <string.h>
#include <gcp/gcp-error.h>
#include "gct-adam.h"

struct _GctAdam
{
  GctAdamConfig config;
  gsize n;
  gint64 step;
  float *m, *v;
};

void
gct_adam_config_from_recipe (const GcpRecipe *recipe, GctAdamConfig *config)
{
  config->lr = recipe->optimizer.lr;
  config->beta1 = recipe->optimizer.beta1;
  config->beta2 = recipe->optimizer.beta2;
  config->eps = recipe->optimizer.eps;
}

GctAdam *
gct_adam_new (gsize n, const GctAdamConfig *config)
{
  g_autoptr (GctAdam) adam = g_new0 (GctAdam, 1);

  adam->config = *config;
  adam->n = n;
  /* n follows from a recipe's networks. */
  adam->m = g_try_new0 (float, n ? n : 1);
  adam->v = g_try_new0 (float, n ? n : 1);
  return adam->m && adam->v ? g_steal_pointer (&adam) : NULL;
}

void
gct_adam_free (GctAdam *adam)
{
  if (!adam)
    return;
  g_free (adam->m);
  g_free (adam->v);
  g_free (adam);
}

gsize
gct_adam_size (const GctAdam *adam)
{
  return adam->n;
}

gint64
gct_adam_steps (const GctAdam *adam)
{
  return adam->step;
}

const GctAdamConfig *
gct_adam_config (const GctAdam *adam)
{
  return &adam->config;
}

const float *
gct_adam_m (const GctAdam *adam)
{
  return adam->m;
}

const float *
gct_adam_v (const GctAdam *adam)
{
  return adam->v;
}

void
gct_adam_step (GctAdam *adam, float *params, const float *grads, double lr)
{
  const double beta1 = adam->config.beta1, beta2 = adam->config.beta2;
  gint64 t = ++adam->step;
  /* As PyTorch: the scalars in double, the tensor arithmetic in float. */
  const double bias1 = 1.0 - pow (beta1, (double)t);
  const double bias2_sqrt = sqrt (1.0 - pow (beta2, (double)t));
  /* PyTorch 1.13's _single_tensor_adam, operation by operation: Python
   * scalars become float operands, and its CPU kernels evaluate
   * add_(g, alpha) as m + alpha·g, addcmul_(g, g, value) as v + (value·g)·g,
   * and addcdiv_(m, denom, value) as p + (value·m)/denom. */
  const float neg_step_size = (float)(-(lr / bias1));
  const float bias2_sqrt_f = (float)bias2_sqrt;
  const float b1 = (float)beta1, c1 = (float)(1.0 - beta1);
  const float b2 = (float)beta2, c2 = (float)(1.0 - beta2);
  const float eps = (float)adam->config.eps;
  float *restrict m = adam->m, *restrict v = adam->v;
  const gint64 n = (gint64)adam->n;

#pragma omp parallel for schedule(static) if (n > 65536)
  for (gint64 i = 0; i < n; i++)
    {
      float g = grads[i];
      /* PyTorch's vectorized kernels fuse the last multiply-add (FMA); a
       * float product is exact in double, so one double add and one
       * rounding gives the fused result (a double rounding can differ in the
       * last bit about once in 2^29 elements), without needing FMA
       * hardware. */
      float mi = (float)((double)g * c1 + (double)(m[i] * b1));
      float vi = (float)((double)(c2 * g) * g + (double)(v[i] * b2));
      m[i] = mi;
      v[i] = vi;
      float denom = sqrtf (vi) / bias2_sqrt_f + eps;
      params[i] = params[i] + (neg_step_size * mi) / denom;
    }
}

GctAdam *
gct_adam_new_for_network (GcutNetwork *net, const GctAdamConfig *config)
{
  gsize n;
  gcut_network_data (net, &n);
  return gct_adam_new (n, config);
}

void
gct_adam_step_network (GctAdam *adam, GcutNetwork *net, double lr)
{
  gsize n, ng;
  float *params = gcut_network_data (net, &n);
  float *grads = gcut_network_grads (net, &ng);

  g_return_if_fail (n == adam->n && ng == adam->n);
  gct_adam_step (adam, params, grads, lr);
}

void
gct_adam_add_to (GctAdam *adam, GcpSafetensorsWriter *writer, const char *prefix)
{
  gint64 shape[1] = { (gint64)adam->n };
  g_autofree char *m = g_strconcat (prefix, "m", NULL);
  g_autofree char *v = g_strconcat (prefix, "v", NULL);
  g_autofree char *step = g_strconcat (prefix, "step", NULL);

  gcp_safetensors_writer_add (writer, m, GCP_DTYPE_F32, 1, shape, adam->m);
  gcp_safetensors_writer_add (writer, v, GCP_DTYPE_F32, 1, shape, adam->v);
  gcp_safetensors_writer_add (writer, step, GCP_DTYPE_I64, 0, NULL, &adam->step);
}

gboolean
gct_adam_load (GctAdam *adam, const GcpSafetensors *st, const char *prefix,
               GError **error)
{
  gint64 shape[1] = { (gint64)adam->n };
  g_autofree char *mname = g_strconcat (prefix, "m", NULL);
  g_autofree char *vname = g_strconcat (prefix, "v", NULL);
  g_autofree char *sname = g_strconcat (prefix, "step", NULL);
  const float *m = gcp_safetensors_get_f32 (st, mname, 1, shape, error);
  const float *v = m ? gcp_safetensors_get_f32 (st, vname, 1, shape, error) : NULL;
  const GcpTensorView *step = gcp_safetensors_lookup (st, sname);
  gint64 steps;

  if (!v)
    return FALSE;
  if (!step)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND, "no tensor %s", sname);
      return FALSE;
    }
  if (step->dtype != GCP_DTYPE_I64 || step->n_dims != 0)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
                   "tensor %s: expected an I64 scalar", sname);
      return FALSE;
    }
  memcpy (&steps, step->data, sizeof steps);
  if (steps < 0)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "tensor %s: negative step count %" G_GINT64_FORMAT, sname, steps);
      return FALSE;
    }
  for (gsize i = 0; i < adam->n; i++)
    if (!isfinite (m[i]) || !isfinite (v[i]) || v[i] < 0)
      {
        g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                     "optimizer state %s: invalid value at element %" G_GSIZE_FORMAT,
                     prefix, i);
        return FALSE;
      }
  memcpy (adam->m, m, adam->n * sizeof (float));
  memcpy (adam->v, v, adam->n * sizeof (float));
  adam->step = steps;
  return TRUE;
}

double
gct_lr_linear (double lr, gint64 step, gint64 constant_steps, gint64 decay_steps)
{
  gint64 past = step + 1 - constant_steps;
  double factor;

  if (past <= 0)
    return lr;
  if (decay_steps <= 0 || past > decay_steps)
    return 0.0;
  factor = 1.0 - (double)past / (double)(decay_steps + 1);
  return lr * factor;
}
