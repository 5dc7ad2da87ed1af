/* gegl-cut training: the Adam optimizer and the learning-rate schedule.
 *
 * One GctAdam per network (G, D, F), over the network's flat parameter buffer
 * (gcut_network_data / gcut_network_grads).  The update is torch.optim.Adam's
 * (PyTorch 1.13, amsgrad off, weight decay 0), step t counted from 1:
 *
 *   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
 *
 * so ε is added after the square root of the bias-corrected second moment, as
 * PyTorch does (not the "ε-hat" variant of the paper's algorithm).  Bias
 * corrections are computed in double, the element updates in float, in
 * parallel with OpenMP.
 */
#pragma once

#include <gcp/gcp-recipe.h>
#include <gcp/gcp-safetensors.h>
#include <gcut/gcut-network.h>

G_BEGIN_DECLS

typedef struct
{
  double lr;    /* the base rate: 2e-4 for CUT */
  double beta1; /* 0.5 for CUT, 0 for SinCUT */
  double beta2; /* 0.999 for CUT, 0.99 for SinCUT */
  double eps;   /* 1e-8 */
} GctAdamConfig;

typedef struct _GctAdam GctAdam;

/* The recipe's "optimizer" section. */
void gct_adam_config_from_recipe (const GcpRecipe *recipe, GctAdamConfig *config);

/* State for n parameters, m = v = 0, step 0; NULL when its 2n floats do not
 * fit in memory. */
GctAdam *gct_adam_new (gsize n, const GctAdamConfig *config);
void gct_adam_free (GctAdam *adam);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctAdam, gct_adam_free)

gsize gct_adam_size (const GctAdam *adam);
/* Updates taken so far. */
gint64 gct_adam_steps (const GctAdam *adam);
const GctAdamConfig *gct_adam_config (const GctAdam *adam);
/* The moments, n floats each (for tests and inspection). */
const float *gct_adam_m (const GctAdam *adam);
const float *gct_adam_v (const GctAdam *adam);

/* One update of params (n floats) with grads at learning rate lr (the
 * schedule's rate for this step, usually gct_lr_linear()). */
void gct_adam_step (GctAdam *adam, float *params, const float *grads, double lr);

/* The same for a network's flat buffers (gcut_network_data / _grads): a
 * state sized for net (NULL when out of memory), and one update of all its
 * parameters. */
GctAdam *gct_adam_new_for_network (GcutNetwork *net, const GctAdamConfig *config);
void gct_adam_step_network (GctAdam *adam, GcutNetwork *net, double lr);

/* Adds the state to writer as prefix + "m" (F32, [n]), "v" (F32, [n]) and
 * "step" (I64 scalar), e.g. prefix "adam.G.".  The data stays borrowed. */
void gct_adam_add_to (GctAdam *adam, GcpSafetensorsWriter *writer, const char *prefix);
/* Restores the state saved by gct_adam_add_to, for an exact resume; checks the
 * size and that the moments are finite (v >= 0). */
gboolean gct_adam_load (GctAdam *adam, const GcpSafetensors *st, const char *prefix,
                        GError **error);

/* CUT's "linear" policy in steps: the base rate for the first constant_steps
 * steps, then a linear decay over decay_steps steps.  For step s (counted from
 * 0) the factor is
 *
 *   1 − max(0, s + 1 − constant_steps) / (decay_steps + 1)
 *
 * which is exactly the official LambdaLR rule (epoch_count 1) with one "epoch"
 * per step: the last step of the decay runs at lr/(decay_steps+1), and steps
 * past the end at 0.  Returns lr times that factor. */
double gct_lr_linear (double lr, gint64 step, gint64 constant_steps, gint64 decay_steps);

G_END_DECLS
