/* Parity of our G, D and F with the official PyTorch networks.
 *
 * cut_networks.py exports weights, an input, the outputs and the gradients of
 * L = Σ fake·r_fake + Σ D(fake)·r_d + Σ_l Σ F_l(tap_l)·r_feat_l; this test loads
 * the weights into our networks, runs one plan computing the same and compares:
 * outputs within 1e-4 max absolute error, every gradient within 1e-3 of its
 * tensor's largest entry (see VANISHING for the gradients that are exactly 0). */
#include <gcut/gcut.h>

#include "parity-common.h"

#define OUT_TOL 1e-4
#define GRAD_TOL 1e-3

static int ngf = 64, n_blocks = 9, ndf = 64, n_patches = 256, batch = 1, height = 64,
           width = 64;
static int block;
static gboolean no_antialias, no_antialias_up;

int
main (int argc, char **argv)
{
  GOptionEntry entries[]
      = { { "dir", 0, 0, G_OPTION_ARG_FILENAME, &parity_dir, "Exported case", "DIR" },
          { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "Generator width", "N" },
          { "n-blocks", 0, 0, G_OPTION_ARG_INT, &n_blocks, "Residual blocks", "N" },
          { "ndf", 0, 0, G_OPTION_ARG_INT, &ndf, "Discriminator width", "N" },
          { "n-patches", 0, 0, G_OPTION_ARG_INT, &n_patches, "Sampled locations", "N" },
          { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Images", "N" },
          { "height", 0, 0, G_OPTION_ARG_INT, &height, "Image height", "N" },
          { "width", 0, 0, G_OPTION_ARG_INT, &width, "Image width", "N" },
          { "block", 0, 0, G_OPTION_ARG_INT, &block, "Channel block (0: automatic)",
            "N" },
          { "no-antialias", 0, 0, G_OPTION_ARG_NONE, &no_antialias, "Strided convs down",
            NULL },
          { "no-antialias-up", 0, 0, G_OPTION_ARG_NONE, &no_antialias_up,
            "Transposed convs up", NULL },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- CUT parity with PyTorch");
  g_autoptr (GError) error = NULL;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !parity_dir)
    g_error ("%s", error ? error->message : "--dir is required");

  GcutResnetGeneratorConfig gc = { ngf, n_blocks, !no_antialias, !no_antialias_up };
  GcutPatchGanConfig dc = { ndf, 3, !no_antialias };
  g_autoptr (GcutNetwork) G = gcut_resnet_generator_new (&gc);
  g_autoptr (GcutNetwork) D = gcut_patchgan_new (&dc);
  int tap_channels[GCUT_GENERATOR_N_TAPS];
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    tap_channels[t] = gcut_resnet_generator_tap_channels (G, t);
  g_autoptr (GcutNetwork) F
      = gcut_patch_heads_new (tap_channels, GCUT_GENERATOR_N_TAPS, 256);
  parity_load_net (G, "G.safetensors");
  parity_load_net (D, "D.safetensors");
  parity_load_net (F, "F.safetensors");
  g_autoptr (GcpSafetensors) ref = parity_load ("case.safetensors");

  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  GcutValue x = gcut_input (graph, "x", (GcutShape){ 4, { batch, 3, height, width } });
  GcutValue taps[GCUT_GENERATOR_N_TAPS], ids[GCUT_GENERATOR_N_TAPS],
      feats[GCUT_GENERATOR_N_TAPS];
  GcutValue fake = gcut_resnet_generator_build (G, graph, x, taps, FALSE);
  GcutValue d_fake = gcut_patchgan_build (D, graph, fake);
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    {
      GcutShape s = gcut_graph_shape (graph, taps[t]);
      ids[t] = gcut_input_indices (graph, "ids", MIN (n_patches, s.dims[2] * s.dims[3]));
      feats[t] = gcut_patch_heads_build (F, graph, t, taps[t], ids[t]);
    }
  if (!gcut_graph_check (graph, &error))
    g_error ("%s", error->message);

  GcutValue outputs[3 + 2 * GCUT_GENERATOR_N_TAPS] = { fake, d_fake };
  GcutValue seeds[2 + GCUT_GENERATOR_N_TAPS] = { fake, d_fake };
  int n_outputs = 2, n_wrt = 0;
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    {
      outputs[n_outputs++] = taps[t];
      outputs[n_outputs++] = feats[t];
      seeds[2 + t] = feats[t];
    }
  guint n_params
      = gcut_network_n_params (G) + gcut_network_n_params (D) + gcut_network_n_params (F);
  g_autofree GcutValue *wrt = g_new (GcutValue, n_params + 1);
  gcut_network_values (G, graph, wrt);
  n_wrt += gcut_network_n_params (G);
  gcut_network_values (D, graph, wrt + n_wrt);
  n_wrt += gcut_network_n_params (D);
  gcut_network_values (F, graph, wrt + n_wrt);
  n_wrt += gcut_network_n_params (F);
  wrt[n_wrt++] = x;

  g_autoptr (GcutPlan) plan
      = gcut_plan_new (graph, gcut_backend_cpu (),
                       &(GcutPlanSpec){ outputs, n_outputs, seeds,
                                        2 + GCUT_GENERATOR_N_TAPS, wrt, n_wrt, block },
                       &error);
  if (!plan)
    g_error ("%s", error->message);

  GcutShape xs = gcut_graph_shape (graph, x);
  gcut_plan_set_input (plan, x, parity_expect (ref, "x", xs), &error);
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    {
      g_autofree char *name = g_strdup_printf ("ids%d", t);
      const GcpTensorView *v = gcp_safetensors_lookup (ref, name);
      GcutShape s = gcut_graph_shape (graph, ids[t]);
      g_autofree gint32 *idx = g_new (gint32, s.dims[0]);
      if (!v || v->dtype != GCP_DTYPE_I64 || v->n_dims != 1 || v->shape[0] != s.dims[0])
        g_error ("%s: missing, or not %" G_GINT64_FORMAT " int64 indices", name,
                 s.dims[0]);
      for (gint64 i = 0; i < s.dims[0]; i++)
        {
          gint64 value;
          memcpy (&value, (const char *)v->data + 8 * i, 8);
          idx[i] = value;
        }
      if (!gcut_plan_set_indices (plan, ids[t], idx, &error))
        g_error ("%s", error->message);
    }
  if (!gcut_plan_forward (plan, &error))
    g_error ("%s", error->message);

  for (int o = 0; o < n_outputs; o++)
    {
      static const char *names[] = { "fake", "d_fake" };
      g_autofree char *name
          = o < 2 ? g_strdup (names[o])
                  : g_strdup_printf ("%s%d", o % 2 ? "feat" : "tap", (o - 2) / 2);
      GcutShape s = gcut_graph_shape (graph, outputs[o]);
      g_autofree float *ours = g_new (float, parity_numel (s));
      gcut_plan_get_output (plan, outputs[o], ours, &error);
      parity_compare (name, ours, parity_expect (ref, name, s), parity_numel (s), OUT_TOL,
                      FALSE);
    }

  static const char *seed_names[] = { "r_fake", "r_d" };
  for (int s = 0; s < 2 + GCUT_GENERATOR_N_TAPS; s++)
    {
      g_autofree char *name
          = s < 2 ? g_strdup (seed_names[s]) : g_strdup_printf ("r_feat%d", s - 2);
      if (!gcut_plan_set_seed (
              plan, seeds[s],
              parity_expect (ref, name, gcut_graph_shape (graph, seeds[s])), &error))
        g_error ("%s", error->message);
    }
  if (!gcut_plan_backward (plan, &error))
    g_error ("%s", error->message);
  parity_compare_grads (G, ref, "G", GRAD_TOL);
  parity_compare_grads (D, ref, "D", GRAD_TOL);
  parity_compare_grads (F, ref, "F", GRAD_TOL);
  g_autofree float *gx = g_new (float, parity_numel (xs));
  gcut_plan_get_grad (plan, x, gx, &error);
  parity_compare ("grad.x", gx, parity_expect (ref, "grad.x", xs), parity_numel (xs),
                  GRAD_TOL, TRUE);

  g_print ("%s: %d of %u comparisons failed\n", parity_dir, parity_failures,
           n_params + 2 + 2 * 5 + 1);
  g_free (parity_dir);
  return parity_failures ? 1 : 0;
}
