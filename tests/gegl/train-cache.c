/* gcut:train keeps its results: rendering again with the same inputs and
 * settings (a preview redrawn, another output path) never trains again, and a
 * change that matters does.
 *
 *   train-cache CONTENT STYLE RECIPE OUTDIR   (GEGL_PATH must find gcut:*) */
#include <string.h>
#include <unistd.h>

#include <gegl.h>
#include <glib/gstdio.h>

#include "gct-gegl-compat.h"

static int trainings;
static double last = 1.0;

/* Training reports 0…0.95 a step at a time, translating 0.95…1 (GEGL passes
 * no message with the signal): a run starts where the fraction falls below
 * 0.95 again. */
static void
on_progress (GeglNode *node, double fraction, gpointer data)
{
  if (fraction < 0.95 && last >= 0.95)
    trainings++;
  last = fraction;
}

static void
render (GeglNode *sink)
{
  gegl_node_process (sink);
}

int
main (int argc, char **argv)
{
  g_autofree char *model_a = NULL, *model_b = NULL, *error_text = NULL;
  GeglNode *graph, *content, *style, *train, *sink;
  GeglBuffer *out = NULL;

  if (argc != 5)
    {
      g_printerr ("usage: train-cache CONTENT STYLE RECIPE OUTDIR\n");
      return 2;
    }
  g_setenv ("LANGUAGE", "C", TRUE);
  gegl_init (&argc, &argv);
  model_a = g_build_filename (argv[4], "cache-a.safetensors", NULL);
  model_b = g_build_filename (argv[4], "cache-b.safetensors", NULL);
  g_unlink (model_a);
  g_unlink (model_b);

  graph = gegl_node_new ();
  content = gegl_node_new_child (graph, "operation", "gegl:load", "path", argv[1], NULL);
  style = gegl_node_new_child (graph, "operation", "gegl:load", "path", argv[2], NULL);
  train = gegl_node_new_child (graph, "operation", "gcut:train", "recipe", argv[3],
                               "steps", 2, "run", TRUE, "model", model_a, NULL);
  sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer", &out,
                              NULL);
  gegl_node_link_many (content, train, sink, NULL);
  gct_node_connect (train, "aux", style, "output");
  g_signal_connect (train, "progress", G_CALLBACK (on_progress), NULL);

  g_print ("1..4\n");
  render (sink);
  gegl_node_get (train, "error", &error_text, NULL);
  g_print ("%s 1 first render trains (%d run, error \"%s\")\n",
           trainings == 1 && g_file_test (model_a, G_FILE_TEST_EXISTS) ? "ok" : "not ok",
           trainings, error_text);
  g_clear_object (&out);

  gegl_node_set (train, "model", model_b, NULL);
  render (sink);
  g_print ("%s 2 another output path: written, not retrained (%d runs)\n",
           trainings == 1 && g_file_test (model_b, G_FILE_TEST_EXISTS) ? "ok" : "not ok",
           trainings);
  g_clear_object (&out);

  gegl_node_set (train, "run", FALSE, NULL);
  render (sink);
  gegl_node_set (train, "run", TRUE, NULL);
  render (sink);
  g_print ("%s 3 switching run off and on again: not retrained (%d runs)\n",
           trainings == 1 ? "ok" : "not ok", trainings);
  g_clear_object (&out);

  gegl_node_set (train, "steps", 3, NULL);
  render (sink);
  g_print ("%s 4 more steps: trained again (%d runs)\n", trainings == 2 ? "ok" : "not ok",
           trainings);
  g_clear_object (&out);

  g_object_unref (graph);
  /* GEGL reports on stdout, which is not TAP, the buffers its cache still
   * holds at exit (the whole-image ops' cached regions): send it to stderr. */
  fflush (stdout);
  dup2 (STDERR_FILENO, STDOUT_FILENO);
  gegl_exit ();
  return 0;
}
