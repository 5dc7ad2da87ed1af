/* gegl-cut training: the R1 gradient penalty (gct-r1.h). */
#include <math.h>
#include <string.h>

#include "gct-r1.h"

/* PatchGAN has at most 9 activations; the StyleGAN2-lite D 3 + 2 per halving
 * (11 at 64², 19 at 1024²). */
#define MAX_ACT 19
#define SLOPE 0.2f

struct _GctR1
{
  GcutNetwork *D;
  int batch, n_act;
  GcutValue *hook_z;           /* while building: where activation() records */
  const GcutValue *hook_slope; /* while building: the slopes it multiplies by */
  double eps;
  gsize n_x, n_logits, n_z[MAX_ACT]; /* floats per batch of B images */

  /* g = ∇_x S(x) and the pre-activations at x; input-only backward, so D's
   * gradients are untouched */
  GcutGraph *g_graph;
  GcutPlan *g_plan;
  GcutValue g_x, g_logits, g_z[MAX_ACT];

  /* ∇_θ [c·S(x + hĝ) − c·S(x − hĝ)] on one batch of 2B images, D's LeakyReLUs
   * frozen at their slopes at x */
  GcutGraph *h_graph;
  GcutPlan *h_plan;
  GcutValue h_x, h_logits, h_slope[MAX_ACT];

  float *ones, *seed, *g, *x2, *saved, *z, *slope;
};

void
gct_r1_free (GctR1 *r1)
{
  if (!r1)
    return;
  g_clear_pointer (&r1->g_plan, gcut_plan_free);
  g_clear_pointer (&r1->g_graph, gcut_graph_free);
  g_clear_pointer (&r1->h_plan, gcut_plan_free);
  g_clear_pointer (&r1->h_graph, gcut_graph_free);
  g_free (r1->ones);
  g_free (r1->seed);
  g_free (r1->g);
  g_free (r1->x2);
  g_free (r1->saved);
  g_free (r1->z);
  g_free (r1->slope);
  g_free (r1);
}

/* Stands in for D's LeakyReLUs: computes them and records their inputs in
 * r1->hook_z, or (r1->hook_slope set) multiplies by the recorded slopes, which
 * is D linearized in its kinks. */
static GcutValue
activation (GcutGraph *g, GcutValue x, int index, gpointer data)
{
  GctR1 *r1 = data;
  if (index >= MAX_ACT)
    {
      gcut_graph_set_error (g,
                            g_error_new (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                                         "R1: more than %d activations in D", MAX_ACT));
      return GCUT_NONE;
    }
  r1->n_act = MAX (r1->n_act, index + 1);
  if (r1->hook_slope)
    return gcut_mul (g, x, r1->hook_slope[index]);
  r1->hook_z[index] = x;
  return gcut_leaky_relu (g, x, SLOPE);
}

static GcutValue
build_d (GctR1 *r1, GcutGraph *g, GcutValue x, GcutValue *z, const GcutValue *slope)
{
  r1->hook_z = z;
  r1->hook_slope = slope;
  if (gcut_network_kind (r1->D) == GCUT_NETWORK_STYLEGAN2_DISCRIMINATOR)
    return gcut_stylegan2_discriminator_build_hooked (r1->D, g, x, activation, r1);
  return gcut_patchgan_build_hooked (r1->D, g, x, activation, r1);
}

GctR1 *
gct_r1_new (GcutNetwork *D, GcutBackend *backend, int batch, int size, double eps,
            GError **error)
{
  g_autoptr (GctR1) r1 = g_new0 (GctR1, 1);
  guint n = gcut_network_n_params (D);
  g_autofree GcutValue *wrt = g_new (GcutValue, n);
  gsize n_z = 0, n_params;

  if (!(eps > 0) || batch < 1 || size < 1)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "R1: eps (%g), batch (%d) and size (%d) must be positive", eps, batch,
                   size);
      return NULL;
    }
  r1->D = D;
  r1->batch = batch;
  r1->eps = eps;
  r1->n_x = (gsize)batch * 3 * size * size;

  /* The difference quotient divides float32 rounding by ε: both plans use the
   * exact algorithms whatever the trainer's precision. */
  r1->g_graph = gcut_graph_new ();
  r1->g_x = gcut_input (r1->g_graph, "x", (GcutShape){ 4, { batch, 3, size, size } });
  r1->g_logits = build_d (r1, r1->g_graph, r1->g_x, r1->g_z, NULL);
  if (!gcut_graph_check (r1->g_graph, error))
    return NULL;
  r1->g_plan = gcut_plan_new (r1->g_graph, backend,
                              &(GcutPlanSpec){ .outputs = r1->g_z,
                                               .n_outputs = r1->n_act,
                                               .seeds = &r1->g_logits,
                                               .n_seeds = 1,
                                               .wrt = &r1->g_x,
                                               .n_wrt = 1,
                                               .precision = GCUT_PRECISION_EXACT },
                              error);
  if (!r1->g_plan)
    return NULL;
  GcutShape logits = gcut_graph_shape (r1->g_graph, r1->g_logits);
  r1->n_logits = gcut_shape_numel (&logits);

  r1->h_graph = gcut_graph_new ();
  r1->h_x = gcut_input (r1->h_graph, "x", (GcutShape){ 4, { 2 * batch, 3, size, size } });
  for (int i = 0; i < r1->n_act; i++)
    {
      GcutShape s = gcut_graph_shape (r1->g_graph, r1->g_z[i]);
      g_autofree char *name = g_strdup_printf ("slope%d", i);
      r1->n_z[i] = gcut_shape_numel (&s);
      n_z += r1->n_z[i];
      s.dims[0] *= 2;
      r1->h_slope[i] = gcut_input (r1->h_graph, name, s);
    }
  r1->h_logits = build_d (r1, r1->h_graph, r1->h_x, NULL, r1->h_slope);
  gcut_network_values (D, r1->h_graph, wrt);
  if (!gcut_graph_check (r1->h_graph, error))
    return NULL;
  r1->h_plan = gcut_plan_new (r1->h_graph, backend,
                              &(GcutPlanSpec){ .seeds = &r1->h_logits,
                                               .n_seeds = 1,
                                               .wrt = wrt,
                                               .n_wrt = (int)n,
                                               .precision = GCUT_PRECISION_EXACT },
                              error);
  if (!r1->h_plan)
    return NULL;

  /* Sizes follow from the recipe's batch, crop and discriminator. */
  gcut_network_grads (D, &n_params);
  r1->ones = g_try_new (float, r1->n_logits);
  r1->seed = g_try_new (float, 2 * r1->n_logits);
  r1->g = g_try_new (float, r1->n_x);
  r1->x2 = g_try_new (float, 2 * r1->n_x);
  r1->saved = g_try_new (float, n_params);
  r1->z = g_try_new (float, n_z);
  r1->slope = g_try_new (float, 2 * n_z);
  if (!r1->ones || !r1->seed || !r1->g || !r1->x2 || !r1->saved || !r1->z || !r1->slope)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "R1: not enough memory for a batch of %d crops of %d pixels", batch,
                   size);
      return NULL;
    }
  for (gsize i = 0; i < r1->n_logits; i++)
    r1->ones[i] = 1.0f;
  return g_steal_pointer (&r1);
}

gboolean
gct_r1_apply (GctR1 *r1, const float *x, double gamma, double scale, double *value,
              GError **error)
{
  double gg = 0;
  gsize n;
  float *grads;

  if (!gcut_plan_set_input (r1->g_plan, r1->g_x, x, error)
      || !gcut_plan_forward (r1->g_plan, error)
      || !gcut_plan_set_seed (r1->g_plan, r1->g_logits, r1->ones, error)
      || !gcut_plan_backward (r1->g_plan, error)
      || !gcut_plan_get_grad (r1->g_plan, r1->g_x, r1->g, error))
    return FALSE;
  for (gsize i = 0; i < r1->n_x; i++)
    gg += (double)r1->g[i] * r1->g[i];
  *value = 0.5 * gamma * gg / r1->batch;
  if (gg == 0 || gamma * scale == 0)
    return TRUE;

  /* The exact ∇_θ R1 (PyTorch's double backward) treats each LeakyReLU as
   * linear with its slope at x; a difference through the real kinks would
   * add a term of the order of the result that does not shrink with h. */
  for (int i = 0; i < r1->n_act; i++)
    {
      gsize m = r1->n_z[i];
      if (!gcut_plan_get_output (r1->g_plan, r1->g_z[i], r1->z, error))
        return FALSE;
      for (gsize j = 0; j < m; j++)
        r1->slope[j] = r1->slope[m + j] = r1->z[j] > 0 ? 1.0f : SLOPE;
      if (!gcut_plan_set_input (r1->h_plan, r1->h_slope[i], r1->slope, error))
        return FALSE;
    }

  /* Images span [−1, 1]: each element moves by ε in the RMS, whatever the
   * image (a mid-gray crop has a tiny ‖x‖, which would shrink the step into
   * float32 rounding). */
  double h = r1->eps * sqrt ((double)r1->n_x), norm = sqrt (gg);
  float step = (float)(h / norm);
  for (gsize i = 0; i < r1->n_x; i++)
    {
      r1->x2[i] = x[i] + step * r1->g[i];
      r1->x2[r1->n_x + i] = x[i] - step * r1->g[i];
    }
  /* ∇_θ R1 = (γ/B)·‖g‖·[∇_θ S(x+) − ∇_θ S(x−)]/(2h), folded into the seeds. */
  float c = (float)(scale * gamma * norm / (2 * h * r1->batch));
  for (gsize i = 0; i < r1->n_logits; i++)
    {
      r1->seed[i] = c;
      r1->seed[r1->n_logits + i] = -c;
    }
  /* The plan overwrites D's gradients: keep the caller's to add them back. */
  grads = gcut_network_grads (r1->D, &n);
  memcpy (r1->saved, grads, n * sizeof (float));
  if (!gcut_plan_set_input (r1->h_plan, r1->h_x, r1->x2, error)
      || !gcut_plan_forward (r1->h_plan, error)
      || !gcut_plan_set_seed (r1->h_plan, r1->h_logits, r1->seed, error)
      || !gcut_plan_backward (r1->h_plan, error))
    return FALSE;
  /* Parameter by parameter: the plan leaves the buffer's padding alone. */
  for (guint p = 0; p < gcut_network_n_params (r1->D); p++)
    {
      float *d = gcut_network_param_grad (r1->D, p);
      const float *s = r1->saved + (d - grads);
      GcutShape ps = gcut_network_param_shape (r1->D, p);
      gsize m = gcut_shape_numel (&ps);
#pragma omp parallel for schedule(static) if (m > 65536)
      for (gsize i = 0; i < m; i++)
        d[i] += s[i];
    }
  return TRUE;
}
