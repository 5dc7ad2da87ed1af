/* Parity of our SinCUT networks (StyleGAN2-style G and D) with the PyTorch
 * reference of the official ones.
 *
 * sincut_networks.py exports weights, an input, the noise, the outputs and the
 * gradients of L = Σ fake·r_fake + Σ_l Σ tap_l·r_tap_l + Σ D(d_in)·r_d_logits
 * (d_in: the fake, or a separate image y); this test loads the weights, runs
 * one plan computing the same and compares: outputs within 1e-4 max absolute
 * error, every gradient within 1e-3 of its tensor's largest entry.  It also
 * checks that the encoder alone (encode_only) gives the same taps. */
#include <gcut/gcut.h>

#include "parity-common.h"

#define OUT_TOL 1e-4
#define GRAD_TOL 1e-3

static int ngf = 10, ndf = 8, size = 64, n_down = 1, n_blocks = 6, batch = 1, height = 64,
           width = 64, d_height, d_width;

/* The taps of the encoder alone, against the reference's. */
static void
check_encode_only (GcutNetwork *G, GcpSafetensors *ref, GcutShape xs)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutValue x = gcut_input (graph, "x", xs), taps[GCUT_STYLEGAN2_N_TAPS];

  g_assert_true (gcut_stylegan2_generator_build (G, graph, x, NULL, taps, TRUE)
                 == GCUT_NONE);
  g_autoptr (GcutPlan) plan = gcut_plan_new (
      graph, gcut_backend_cpu (),
      &(GcutPlanSpec){ taps, GCUT_STYLEGAN2_N_TAPS, NULL, 0, NULL, 0, 0 }, &error);
  if (!plan || !gcut_plan_set_input (plan, x, parity_expect (ref, "x", xs), &error)
      || !gcut_plan_forward (plan, &error))
    g_error ("encode_only: %s", error->message);
  for (int t = 0; t < GCUT_STYLEGAN2_N_TAPS; t++)
    {
      g_autofree char *name = g_strdup_printf ("tap%d", t);
      g_autofree char *what = g_strdup_printf ("encode_only %s", name);
      GcutShape s = gcut_graph_shape (graph, taps[t]);
      g_autofree float *ours = g_new (float, parity_numel (s));
      gcut_plan_get_output (plan, taps[t], ours, &error);
      parity_compare (what, ours, parity_expect (ref, name, s), parity_numel (s), OUT_TOL,
                      FALSE);
    }
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[]
      = { { "dir", 0, 0, G_OPTION_ARG_FILENAME, &parity_dir, "Exported case", "DIR" },
          { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "Generator width", "N" },
          { "ndf", 0, 0, G_OPTION_ARG_INT, &ndf, "Discriminator width", "N" },
          { "size", 0, 0, G_OPTION_ARG_INT, &size, "Official crop size", "N" },
          { "n-downsampling", 0, 0, G_OPTION_ARG_INT, &n_down, "Downsamplings", "N" },
          { "n-blocks", 0, 0, G_OPTION_ARG_INT, &n_blocks, "Residual blocks", "N" },
          { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Images", "N" },
          { "height", 0, 0, G_OPTION_ARG_INT, &height, "Image height", "N" },
          { "width", 0, 0, G_OPTION_ARG_INT, &width, "Image width", "N" },
          { "d-height", 0, 0, G_OPTION_ARG_INT, &d_height, "D on a separate image", "N" },
          { "d-width", 0, 0, G_OPTION_ARG_INT, &d_width, "of this width", "N" },
          { "threads", 0, 0, G_OPTION_ARG_INT, &(int){ 0 }, "(for the exporter)", "N" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- SinCUT parity with PyTorch");
  g_autoptr (GError) error = NULL;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !parity_dir)
    g_error ("%s", error ? error->message : "--dir is required");

  g_autoptr (GcutNetwork) G = gcut_stylegan2_generator_new (
      &(GcutStyleGan2GeneratorConfig){ ngf, n_down, n_blocks, size });
  g_autoptr (GcutNetwork) D = gcut_stylegan2_discriminator_new (
      &(GcutStyleGan2DiscriminatorConfig){ ndf, size });
  parity_load_net (G, "G.safetensors");
  parity_load_net (D, "D.safetensors");
  g_autoptr (GcpSafetensors) ref = parity_load ("case.safetensors");

  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  GcutShape xs = { 4, { batch, 3, height, width } };
  GcutValue x = gcut_input (graph, "x", xs), y = GCUT_NONE;
  int n_noise = gcut_stylegan2_generator_n_noise (G);
  g_autofree GcutValue *noise = g_new (GcutValue, n_noise);
  for (int i = 0; i < n_noise; i++)
    noise[i]
        = gcut_input (graph, "noise", gcut_stylegan2_generator_noise_shape (G, xs, i));
  GcutValue taps[GCUT_STYLEGAN2_N_TAPS];
  GcutValue fake = gcut_stylegan2_generator_build (G, graph, x, noise, taps, FALSE);
  if (d_height)
    y = gcut_input (graph, "y", (GcutShape){ 4, { batch, 3, d_height, d_width } });
  GcutValue logits = gcut_stylegan2_discriminator_build (D, graph, d_height ? y : fake);
  if (!gcut_graph_check (graph, &error))
    g_error ("%s", error->message);

  static const char *names[] = { "fake", "d_logits", "tap0", "tap1", "tap2" };
  GcutValue outputs[] = { fake, logits, taps[0], taps[1], taps[2] };
  int n_outputs = G_N_ELEMENTS (outputs);
  guint n_params = gcut_network_n_params (G) + gcut_network_n_params (D);
  g_autofree GcutValue *wrt = g_new (GcutValue, n_params + 2);
  int n_wrt = 0;
  gcut_network_values (G, graph, wrt);
  n_wrt += gcut_network_n_params (G);
  gcut_network_values (D, graph, wrt + n_wrt);
  n_wrt += gcut_network_n_params (D);
  wrt[n_wrt++] = x;
  if (d_height)
    wrt[n_wrt++] = y;

  g_autoptr (GcutPlan) plan = gcut_plan_new (
      graph, gcut_backend_cpu (),
      &(GcutPlanSpec){ outputs, n_outputs, outputs, n_outputs, wrt, n_wrt, 0 }, &error);
  if (!plan)
    g_error ("%s", error->message);
  gcut_plan_set_input (plan, x, parity_expect (ref, "x", xs), &error);
  for (int i = 0; i < n_noise; i++)
    {
      g_autofree char *name = g_strdup_printf ("noise%d", i);
      gcut_plan_set_input (plan, noise[i],
                           parity_expect (ref, name, gcut_graph_shape (graph, noise[i])),
                           &error);
    }
  if (d_height)
    gcut_plan_set_input (plan, y, parity_expect (ref, "y", gcut_graph_shape (graph, y)),
                         &error);
  if (error || !gcut_plan_forward (plan, &error))
    g_error ("%s", error->message);

  for (int o = 0; o < n_outputs; o++)
    {
      GcutShape s = gcut_graph_shape (graph, outputs[o]);
      g_autofree float *ours = g_new (float, parity_numel (s));
      g_autofree char *r_name = g_strconcat ("r_", names[o], NULL);
      gcut_plan_get_output (plan, outputs[o], ours, &error);
      parity_compare (names[o], ours, parity_expect (ref, names[o], s), parity_numel (s),
                      OUT_TOL, FALSE);
      if (!gcut_plan_set_seed (plan, outputs[o], parity_expect (ref, r_name, s), &error))
        g_error ("%s", error->message);
    }
  if (!gcut_plan_backward (plan, &error))
    g_error ("%s", error->message);
  parity_compare_grads (G, ref, "G", GRAD_TOL);
  parity_compare_grads (D, ref, "D", GRAD_TOL);
  g_autofree float *gx = g_new (float, parity_numel (xs));
  gcut_plan_get_grad (plan, x, gx, &error);
  parity_compare ("grad.x", gx, parity_expect (ref, "grad.x", xs), parity_numel (xs),
                  GRAD_TOL, TRUE);
  if (d_height)
    {
      GcutShape ys = gcut_graph_shape (graph, y);
      g_autofree float *gy = g_new (float, parity_numel (ys));
      gcut_plan_get_grad (plan, y, gy, &error);
      parity_compare ("grad.y", gy, parity_expect (ref, "grad.y", ys), parity_numel (ys),
                      GRAD_TOL, TRUE);
    }
  check_encode_only (G, ref, xs);

  g_print ("%s: %d of %d comparisons failed\n", parity_dir, parity_failures,
           parity_comparisons);
  g_free (parity_dir);
  return parity_failures ? 1 : 0;
}
