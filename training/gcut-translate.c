/* gcut-translate: runs a trained generator over an image.
 *
 *   gcut-translate MODEL INPUT OUTPUT
 *
 * MODEL is a model file (a path, or a bare name found by gcp_model_find).
 * With --untrained there is no MODEL: the generator is the CUT ResnetGenerator
 * initialized as the official code does (--seed, --ngf, --n-blocks), which
 * exercises the inference path without a trained model. */
#include <locale.h>
#include <string.h>

#include <gegl.h>
#include <gcp/gcp-model-file.h>
#include <gcut/gcut.h>

#include "gct-translate.h"
#include "image-io.h"

static int ngf = 64, n_blocks = 9, threads, tile_size;
static gboolean exact, untrained;
static gint64 seed = 1, noise_seed;
static char *device;

static GcutNetwork *
untrained_generator (void)
{
  GcutResnetGeneratorConfig config = { ngf, n_blocks, TRUE, TRUE };
  GcutNetwork *G = gcut_resnet_generator_new (&config);
  gcut_network_init_xavier (G, 0.02f, seed);
  return G;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device, "cpu, cuda or auto (default cpu)",
      "DEVICE" },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: all)", "N" },
    { "tile-size", 't', 0, G_OPTION_ARG_INT, &tile_size,
      "Translate in tiles of N pixels, with the same result and less memory "
      "(default 0: the whole image when it fits in 512 MiB, or half the free "
      "memory of a GPU, else the largest tiles that do; smaller ones when "
      "memory runs out)",
      "N" },
    { "exact", 0, 0, G_OPTION_ARG_NONE, &exact,
      "Only algorithms that match direct computation to float rounding", NULL },
    { "untrained", 0, 0, G_OPTION_ARG_NONE, &untrained,
      "No MODEL: an untrained generator initialized from --seed", NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed,
      "With --untrained: initialization seed (default 1)", "N" },
    { "noise-seed", 0, 0, G_OPTION_ARG_INT64, &noise_seed,
      "Seed of the noise of SinCUT models (default 0, as gcut:translate's)", "N" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "With --untrained: width (default 64)", "N" },
    { "n-blocks", 0, 0, G_OPTION_ARG_INT, &n_blocks,
      "With --untrained: residual blocks (default 9)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL INPUT OUTPUT");
  g_autoptr (GError) error = NULL;
  g_autoptr (GctImage) image = NULL;
  g_autoptr (GcutNetwork) G = NULL;
  g_autofree char *reason = NULL;
  GcutBackend *backend;
  const char *in, *out;
  gsize arena = 0;
  gint64 start;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (
      ctx,
      "Translates INPUT with the generator of MODEL (a .safetensors file written by\n"
      "gcut-train, or the bare name of an installed model) and writes OUTPUT, in any\n"
      "format GEGL knows.  With --untrained, give only INPUT and OUTPUT.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 2;
    }
  if (argc != (untrained ? 3 : 4))
    {
      g_printerr ("gcut-translate: %s\n",
                  untrained ? "with --untrained, give an input and an output image"
                            : "give a model, an input and an output image "
                              "(or --untrained INPUT OUTPUT)");
      return 2;
    }
  if (tile_size < 0 || noise_seed < 0)
    {
      g_printerr ("gcut-translate: --tile-size and --noise-seed must be 0 or more\n");
      return 2;
    }
  if (untrained && (ngf < 1 || ngf > 512 || n_blocks < 0 || n_blocks > 32))
    {
      g_printerr ("gcut-translate: --ngf must be 1…512 and --n-blocks 0…32\n");
      return 2;
    }
  in = argv[argc - 2];
  out = argv[argc - 1];

  backend = gcut_backend_get (device ? device : "cpu", &reason, &error);
  if (!backend)
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 1;
    }
  gcut_backend_set_threads (backend, threads);
  if (untrained)
    G = untrained_generator ();
  else
    {
      /* A file in the current folder is meant even without a '/'. */
      g_autofree char *name
          = !strchr (argv[1], '/') && g_file_test (argv[1], G_FILE_TEST_IS_REGULAR)
                ? g_strconcat ("./", argv[1], NULL)
                : g_strdup (argv[1]);
      g_autoptr (GcpModel) model = gcp_model_load (name, &error);
      if (!model)
        {
          g_printerr ("gcut-translate: %s\n", error->message);
          return 1;
        }
      G = gcp_model_steal_generator (model);
    }

  gegl_init (NULL, NULL);
  image = gct_image_load (in, &error);
  if (image)
    {
      g_print ("Translating %dx%d pixels on %s...\n", image->width, image->height,
               gcut_backend_name (backend));
      start = g_get_monotonic_time ();
      if (gct_translate_image (G, backend,
                               exact ? GCUT_PRECISION_EXACT : GCUT_PRECISION_FAST, image,
                               tile_size, noise_seed, &arena, &error))
        g_print ("Done in %.2f s (%.0f MiB of working memory).\n",
                 (g_get_monotonic_time () - start) / 1e6, arena / 1048576.0);
      else
        g_clear_pointer (&image, gct_image_free);
    }
  if (!image || !gct_image_save (image, out, &error))
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      g_clear_pointer (&image, gct_image_free);
      gegl_exit ();
      return 1;
    }
  g_print ("Wrote %s\n", out);
  g_clear_pointer (&image, gct_image_free);
  gegl_exit ();
  return 0;
}
