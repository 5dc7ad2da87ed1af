#include "tiny-step.h"

/* A small generator, D and heads, forward and backward, as a training step
 * would run them. */

void
step_init (Step *s, int block, int size)
{
  GcutResnetGeneratorConfig gc = { 16, 2, TRUE, TRUE };
  GcutPatchGanConfig dc = { 16, 3, TRUE };
  GcutValue taps[GCUT_GENERATOR_N_TAPS], wrt[256], seeds[3];
  int channels[GCUT_GENERATOR_N_TAPS], n_wrt = 0;
  g_autoptr (GError) error = NULL;

  s->G = gcut_resnet_generator_new (&gc);
  s->D = gcut_patchgan_new (&dc);
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    channels[t] = gcut_resnet_generator_tap_channels (s->G, t);
  s->F = gcut_patch_heads_new (channels, GCUT_GENERATOR_N_TAPS, 32);
  gcut_network_init_xavier (s->G, 0.5f, 1);
  gcut_network_init_xavier (s->D, 0.5f, 2);
  gcut_network_init_xavier (s->F, 0.5f, 3);
  s->graph = gcut_graph_new ();
  s->x = gcut_input (s->graph, "x", (GcutShape){ 4, { 1, 3, size, size } });
  s->fake = gcut_resnet_generator_build (s->G, s->graph, s->x, taps, FALSE);
  s->logits = gcut_patchgan_build (s->D, s->graph, s->fake);
  s->idx = gcut_input_indices (s->graph, "idx", 16);
  s->feat = gcut_patch_heads_build (s->F, s->graph, 3, taps[3], s->idx);
  gcut_network_values (s->G, s->graph, wrt);
  n_wrt += gcut_network_n_params (s->G);
  gcut_network_values (s->D, s->graph, wrt + n_wrt);
  n_wrt += gcut_network_n_params (s->D);
  gcut_network_values (s->F, s->graph, wrt + n_wrt);
  n_wrt += gcut_network_n_params (s->F);
  seeds[0] = s->fake, seeds[1] = s->logits, seeds[2] = s->feat;
  s->plan
      = gcut_plan_new (s->graph, gcut_backend_cpu (),
                       &(GcutPlanSpec){ seeds, 3, seeds, 3, wrt, n_wrt, block }, &error);
  g_assert_no_error (error);
}

void
step_run (Step *s, const float *x, const gint32 *idx, float *const *seeds)
{
  GcutValue values[3] = { s->fake, s->logits, s->feat };
  g_assert_true (gcut_plan_set_input (s->plan, s->x, x, NULL));
  g_assert_true (gcut_plan_set_indices (s->plan, s->idx, idx, NULL));
  g_assert_true (gcut_plan_forward (s->plan, NULL));
  for (int i = 0; i < 3; i++)
    g_assert_true (gcut_plan_set_seed (s->plan, values[i], seeds[i], NULL));
  g_assert_true (gcut_plan_backward (s->plan, NULL));
}

void
step_clear (Step *s)
{
  gcut_plan_free (s->plan);
  gcut_graph_free (s->graph);
  gcut_network_free (s->G);
  gcut_network_free (s->D);
  gcut_network_free (s->F);
}
