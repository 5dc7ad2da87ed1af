/* Times our generator and discriminator on a backend (--device cpu, cuda or
 * auto); bench/race_networks.py (CPU) and bench/bench-cuda.py (GPU) run this
 * beside PyTorch and print the ratios.  Prints one line per case:
 * "<case> <median seconds> <min seconds>".  Each timed run ends by reading the
 * output back, so an asynchronous backend is timed to completion. */
#include <gcut/gcut.h>

static int size = 256, reps = 5, threads, ngf = 64, ndf = 64;
static gboolean fast, bf16;
static char *device, *cases;
static GcutBackend *backend;

typedef struct
{
  GcutPlan *plan;
  GcutValue x, y;
  float *x_data, *seed;
  gboolean backward;
} Case;

static double
median (double *t, int n)
{
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && t[j] < t[j - 1]; j--)
      {
        double s = t[j];
        t[j] = t[j - 1], t[j - 1] = s;
      }
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void
fill (float *p, gint64 n, GRand *rand)
{
  for (gint64 i = 0; i < n; i++)
    p[i] = g_rand_double_range (rand, -1, 1);
}

static void
time_case (const char *name, GcutNetwork *net, gboolean generator, gboolean backward)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  g_autofree GcutValue *wrt = g_new (GcutValue, gcut_network_n_params (net) + 1);
  GRand *rand = g_rand_new_with_seed (7);
  GcutValue x = gcut_input (graph, "x", (GcutShape){ 4, { 1, 3, size, size } });
  GcutValue y = generator ? gcut_resnet_generator_build (net, graph, x, NULL, FALSE)
                          : gcut_patchgan_build (net, graph, x);
  int n_wrt = gcut_network_n_params (net);
  gcut_network_values (net, graph, wrt);
  if (!generator)
    wrt[n_wrt++] = x; /* D's gradient reaches the fake image in training */
  GcutShape ys = gcut_graph_shape (graph, y);
  gint64 ny = gcut_shape_numel (&ys);
  g_autofree float *xd = g_new (float, 3 * size * size);
  g_autofree float *seed = g_new (float, ny);
  g_autofree float *out = g_new (float, ny);
  fill (xd, 3 * size * size, rand);
  fill (seed, ny, rand);
  g_autoptr (GcutPlan) plan
      = gcut_plan_new (graph, backend,
                       &(GcutPlanSpec){ &y, 1, backward ? &y : NULL, backward,
                                        backward ? wrt : NULL, backward ? n_wrt : 0, 0,
                                        bf16   ? GCUT_PRECISION_BF16
                                        : fast ? GCUT_PRECISION_FAST
                                               : GCUT_PRECISION_EXACT },
                       &error);
  if (!plan)
    g_error ("%s", error->message);
  double t[64] = { 0 };
  for (int r = -1; r < reps; r++) /* one warm-up run */
    {
      gint64 start = g_get_monotonic_time ();
      gcut_plan_set_input (plan, x, xd, NULL);
      gcut_plan_forward (plan, NULL);
      gcut_plan_get_output (plan, y, out, NULL);
      if (backward)
        {
          gcut_plan_set_seed (plan, y, seed, NULL);
          gcut_plan_backward (plan, NULL);
        }
      if (r >= 0)
        t[r] = (g_get_monotonic_time () - start) / 1e6;
    }
  double lo = t[0];
  for (int r = 1; r < reps; r++)
    lo = MIN (lo, t[r]);
  g_print ("%s %.4f %.4f\n", name, median (t, reps), lo);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[]
      = { { "size", 0, 0, G_OPTION_ARG_INT, &size, "Image side (256)", "N" },
          { "reps", 0, 0, G_OPTION_ARG_INT, &reps, "Timed runs (5)", "N" },
          { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "Threads (all)", "N" },
          { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "Generator width (64)", "N" },
          { "ndf", 0, 0, G_OPTION_ARG_INT, &ndf, "Discriminator width (64)", "N" },
          { "fast", 0, 0, G_OPTION_ARG_NONE, &fast,
            "FAST precision: Winograd convolutions", NULL },
          { "bf16", 0, 0, G_OPTION_ARG_NONE, &bf16,
            "BF16 precision: FAST and bf16 convolutions elsewhere", NULL },
          { "device", 0, 0, G_OPTION_ARG_STRING, &device, "cpu (default), cuda or auto",
            "NAME" },
          { "cases", 0, 0, G_OPTION_ARG_STRING, &cases,
            "Comma-separated cases to run (all)", "LIST" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- time G and D");
  g_autoptr (GError) error = NULL;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || reps < 1 || reps > 64)
    g_error ("%s", error ? error->message : "--reps must be 1…64");
  {
    g_autofree char *reason = NULL;
    backend = gcut_backend_get (device ? device : "cpu", &reason, &error);
    if (!backend)
      g_error ("%s", error->message);
    g_printerr ("device: %s\n", reason);
  }
  gcut_backend_set_threads (backend, threads);

  GcutResnetGeneratorConfig gc = { ngf, 9, TRUE, TRUE };
  GcutPatchGanConfig dc = { ndf, 3, TRUE };
  g_autoptr (GcutNetwork) G = gcut_resnet_generator_new (&gc);
  g_autoptr (GcutNetwork) D = gcut_patchgan_new (&dc);
  gcut_network_init_xavier (G, 0.02f, 1);
  gcut_network_init_xavier (D, 0.02f, 2);
  g_auto (GStrv) wanted = g_strsplit (cases ? cases : "", ",", -1);
#define WANTED(name) (!cases || g_strv_contains ((const char *const *)wanted, name))
  if (WANTED ("G_forward"))
    time_case ("G_forward", G, TRUE, FALSE);
  if (WANTED ("G_forward_backward"))
    time_case ("G_forward_backward", G, TRUE, TRUE);
  if (WANTED ("D_forward_backward"))
    time_case ("D_forward_backward", D, FALSE, TRUE);
  return 0;
}
