/* gegl-cut engine: execution plans.
 *
 * A plan compiles a graph once for a backend: it adds the backward pass when
 * gradients are asked for, fuses what the backend can fuse, picks memory layouts,
 * assigns every intermediate a place in one arena (reusing memory whose value is
 * dead) and prepares each kernel.  Running it afterwards allocates nothing.
 */
#pragma once

#include <gcut/gcut-backend.h>
#include <gcut/gcut-graph.h>

G_BEGIN_DECLS

typedef struct _GcutPlan GcutPlan;

typedef enum
{
  /* Algorithms whose results match direct computation to float rounding;
   * what the parity tests hold the engine to. */
  GCUT_PRECISION_EXACT,
  /* Also transform-based ones (Winograd convolutions on the CPU, about 2× faster
   * for 3×3 layers) whose error is larger, around 1e-5 of the values' scale;
   * still float32 operands, so results hardly depend on the input's shape
   * (tiles agree with one pass to about 1e-6). */
  GCUT_PRECISION_FAST,
  /* FAST, and bf16 operands with f32 accumulation for the other convolutions,
   * transposed ones included, forward and backward, where the CPU multiplies
   * bf16 natively (avx512_bf16, AMX): about 2× faster, each product off by up
   * to 2⁻⁸ relatively.  Through a deep network that rounding makes results
   * depend on the input's shape at the 1e-2 level: for training, where speed
   * matters and every step differs anyway. */
  GCUT_PRECISION_BF16
} GcutPrecision;

typedef struct
{
  /* Values read back after gcut_plan_forward(). */
  const GcutValue *outputs;
  int n_outputs;
  /* Values whose gradient the caller gives before gcut_plan_backward(); the
   * backward pass computes d(Σ seed·value)/d(wrt). */
  const GcutValue *seeds;
  int n_seeds;
  /* Parameters (gradient written to their grad storage) and inputs (read back
   * with gcut_plan_get_grad()) to differentiate with respect to. */
  const GcutValue *wrt;
  int n_wrt;
  /* Channel block of image intermediates: 0 picks the backend's best, 1 forces
   * plain NCHW; other values are for tests. */
  int block;
  GcutPrecision precision;
} GcutPlanSpec;

GcutPlan *gcut_plan_new (GcutGraph *graph, GcutBackend *backend, const GcutPlanSpec *spec,
                         GError **error);
void gcut_plan_free (GcutPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutPlan, gcut_plan_free)

/* Data is NCHW float32 (or int32 indices), copied in. */
gboolean gcut_plan_set_input (GcutPlan *plan, GcutValue input, const float *data,
                              GError **error);
gboolean gcut_plan_set_indices (GcutPlan *plan, GcutValue input, const gint32 *idx,
                                GError **error);
gboolean gcut_plan_set_seed (GcutPlan *plan, GcutValue value, const float *grad,
                             GError **error);

gboolean gcut_plan_forward (GcutPlan *plan, GError **error);
/* Runs the forward pass only as far as value: the nodes built before it, in
 * the graph's order.  The next gcut_plan_forward() runs the rest, reading
 * parameters as they are then, so a caller may read value (an output), change
 * parameters that only later nodes read, and finish the pass (a training step
 * computes G(x) once for the D update and the G update).  Setting an input in
 * between makes that forward pass start again from the beginning. */
gboolean gcut_plan_forward_until (GcutPlan *plan, GcutValue value, GError **error);
gboolean gcut_plan_backward (GcutPlan *plan, GError **error);

/* Copies out as NCHW float32. */
gboolean gcut_plan_get_output (GcutPlan *plan, GcutValue value, float *data,
                               GError **error);
gboolean gcut_plan_get_grad (GcutPlan *plan, GcutValue input, float *data,
                             GError **error);

/* Bytes of the intermediate arena, for tests and memory reports. */
gsize gcut_plan_arena_size (const GcutPlan *plan);
/* All the working memory the plan holds, for memory budgets: the arena and
 * the kernels' shared scratch (the CPU backend's layout and bf16 copies of
 * convolution operands, Winograd workspaces). */
gsize gcut_plan_memory_size (const GcutPlan *plan);

G_END_DECLS
