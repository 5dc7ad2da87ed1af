/* Times one training step (gct_trainer_step) of a recipe, for
 * bench/race_training.py and bench/race_load.py: synthetic 286² images or the
 * given files, warm-up steps first, then the timed steps' mean and median,
 * printed as "mean_step_seconds <mean>" and then "step_seconds <median>".
 *
 *   gcut-bench-training RECIPE [--device D] [--threads N] [--precision P]
 *                      [--batch N] [--steps N] [--warmup N]
 *                      [--content FILE --style FILE] */
#include <stdlib.h>

#include "gct-trainer.h"
#include "image-io.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static GctImage
noise_image (int size, guint32 seed)
{
  GctImage im = { size, size, g_new (float, (gsize)size *size * 4) };
  GRand *r = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < (gsize)size * size * 4; i++)
    im.rgba[i] = (float)g_rand_double (r);
  g_rand_free (r);
  return im;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int threads = 2, steps = 3, warmup = 1, batch = 0;
  g_autofree char *precision = NULL, *device = NULL, *content_path = NULL,
                  *style_path = NULL;
  GOptionEntry entries[]
      = { { "device", 0, 0, G_OPTION_ARG_STRING, &device, "cpu (default), cuda or auto",
            "D" },
          { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads (0: all)", "N" },
          { "precision", 0, 0, G_OPTION_ARG_STRING, &precision,
            "exact, fast or bf16 (default: the recipe's)", "P" },
          { "batch", 0, 0, G_OPTION_ARG_INT, &batch,
            "crops per step (default: the recipe's)", "N" },
          { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "timed steps", "N" },
          { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "untimed steps first", "N" },
          { "content", 0, 0, G_OPTION_ARG_FILENAME, &content_path,
            "the photo (default: noise)", "FILE" },
          { "style", 0, 0, G_OPTION_ARG_FILENAME, &style_path,
            "the painting (default: noise)", "FILE" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("RECIPE - time training steps");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2 || steps < 1
      || !content_path != !style_path)
    {
      g_printerr ("%s\n", error ? error->message
                                : "usage: gcut-bench-training RECIPE [--content FILE "
                                  "--style FILE]");
      return 2;
    }
  gcut_backend_set_threads (gcut_backend_cpu (), threads);
  GcutBackend *backend = gcut_backend_get (device ? device : "cpu", NULL, &error);
  g_autoptr (GcpRecipe) recipe = backend ? gcp_recipe_load_file (argv[1], &error) : NULL;
  if (!recipe)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (batch > 0)
    recipe->sampling.batch = batch;
  if (precision)
    {
      /* The recipe parser knows the names and says what is wrong. */
      g_autofree char *json = g_strdup_printf ("{\"precision\": \"%s\"}", precision);
      g_autoptr (GcpRecipe) p = gcp_recipe_parse (json, -1, &error);
      if (!p)
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      recipe->precision = p->precision;
    }
  GctImage content = { 0 }, style = { 0 };
  g_autoptr (GctImageReader) content_reader = NULL;
  g_autoptr (GctImageReader) style_reader = NULL;
  if (content_path)
    {
      gegl_init (NULL, NULL);
      content_reader = gct_image_reader_open (content_path, &error);
      style_reader = content_reader ? gct_image_reader_open (style_path, &error) : NULL;
    }
  else
    {
      content = noise_image (286, 1);
      style = noise_image (286, 2);
      content_reader = gct_image_reader_new_for_image (&content, "content noise");
      style_reader = gct_image_reader_new_for_image (&style, "style noise");
    }
  g_autoptr (GctTrainer) t
      = style_reader
            ? gct_trainer_new (recipe, content_reader, style_reader, backend, &error)
            : NULL;
  g_autofree double *times = g_new (double, steps);
  double total = 0;
  gboolean ok = t != NULL;
  for (int i = 0; ok && i < warmup + steps; i++)
    {
      gint64 start = g_get_monotonic_time ();
      ok = gct_trainer_step (t, &error);
      if (i >= warmup)
        total += times[i - warmup] = (g_get_monotonic_time () - start) / 1e6;
    }
  g_free (content.rgba);
  g_free (style.rgba);
  if (!ok)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  qsort (times, steps, sizeof (double), cmp_double);
  g_print ("mean_step_seconds %.4f\n", total / steps);
  g_print ("step_seconds %.4f\n", times[steps / 2]);
  return 0;
}
