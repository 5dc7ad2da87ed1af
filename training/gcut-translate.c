/* gcut-translate: runs a generator over an image.
 *
 * Until model files exist (they come with gcut-train) the generator is the
 * untrained CUT ResnetGenerator initialized as the official code does, which
 * exercises the whole inference path on real images. */
#include <gegl.h>
#include <gcut/gcut.h>
#include "image-io.h"

static int ngf = 64, n_blocks = 9, threads;
static gboolean exact;
static gint64 seed = 1;

/* The generator halves twice and doubles twice: sizes must be multiples of 4.
 * Edges are replicated out to the next multiple and cut away afterwards. */
static float *
pad_to_multiple (const float *t, int w, int h, int pw, int ph)
{
  float *p = g_new (float, 3 * (gsize)pw * ph);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++)
        p[((gsize)c * ph + y) * pw + x]
            = t[((gsize)c * h + MIN (y, h - 1)) * w + MIN (x, w - 1)];
  return p;
}

static void
crop (float *t, int pw, int ph, int w, int h)
{
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      memmove (t + ((gsize)c * h + y) * w, t + ((gsize)c * ph + y) * pw,
               w * sizeof (float));
}

static gboolean
translate (GctImage *image, GError **error)
{
  GcutResnetGeneratorConfig config = { ngf, n_blocks, TRUE, TRUE };
  g_autoptr (GcutNetwork) G = gcut_resnet_generator_new (&config);
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  int pw = (image->width + 3) / 4 * 4, ph = (image->height + 3) / 4 * 4;
  g_autofree float *input = gct_image_to_tensor (image);
  g_autofree float *padded = pad_to_multiple (input, image->width, image->height, pw, ph);
  g_autoptr (GcutPlan) plan = NULL;
  GcutValue x, y;
  gint64 start;

  gcut_network_init_xavier (G, 0.02f, seed);
  x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, ph, pw } });
  y = gcut_resnet_generator_build (G, graph, x, NULL, FALSE);
  plan = gcut_plan_new (
      graph, gcut_backend_cpu (),
      &(GcutPlanSpec){ .outputs = &y,
                       .n_outputs = 1,
                       .precision = exact ? GCUT_PRECISION_EXACT : GCUT_PRECISION_FAST },
      error);
  if (!plan)
    return FALSE;
  g_print ("Translating %dx%d pixels on the CPU (%.0f MiB of working memory)...\n",
           image->width, image->height, gcut_plan_arena_size (plan) / 1048576.0);
  start = g_get_monotonic_time ();
  if (!gcut_plan_set_input (plan, x, padded, error) || !gcut_plan_forward (plan, error)
      || !gcut_plan_get_output (plan, y, padded, error))
    return FALSE;
  g_print ("Done in %.2f s.\n", (g_get_monotonic_time () - start) / 1e6);
  crop (padded, pw, ph, image->width, image->height);
  gct_image_from_tensor (image, padded);
  return TRUE;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Initialization seed (default 1)", "N" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "Generator width (default 64)", "N" },
    { "n-blocks", 0, 0, G_OPTION_ARG_INT, &n_blocks, "Residual blocks (default 9)", "N" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: all)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("INPUT OUTPUT");
  g_autoptr (GError) error = NULL;
  g_autoptr (GctImage) image = NULL;

  g_option_context_set_summary (
      ctx,
      "Runs the CUT generator over INPUT and writes OUTPUT (any format GEGL knows).\n"
      "No trained model is loaded yet: the generator is initialized as the official\n"
      "code does, with --seed.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 3)
    {
      g_printerr ("%s\n", error ? error->message : "give an input and an output image");
      return 2;
    }
  if (ngf < 1 || ngf > 512 || n_blocks < 0 || n_blocks > 32)
    {
      g_printerr ("--ngf must be 1…512 and --n-blocks 0…32\n");
      return 2;
    }
  gegl_init (NULL, NULL);
  gcut_backend_set_threads (gcut_backend_cpu (), threads);
  image = gct_image_load (argv[1], &error);
  if (!image || !translate (image, &error) || !gct_image_save (image, argv[2], &error))
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      gegl_exit ();
      return 1;
    }
  g_print ("Wrote %s\n", argv[2]);
  g_clear_pointer (&image, gct_image_free);
  gegl_exit ();
  return 0;
}
