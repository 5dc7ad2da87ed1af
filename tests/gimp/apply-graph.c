/* Applying a model as both GIMP plug-ins do (operations/gimp/gimp-apply-graph.c),
 * without GIMP:
 *   apply-graph MODEL IMAGE
 * The result is gcut:translate's, progress runs to the end, and bad settings
 * are errors that name what is wrong. */
#include <math.h>
#include <string.h>

#include "gimp-apply-graph.h"

static const char *model_path, *image_path;

static GeglBuffer *
load (void)
{
  g_autoptr (GeglNode) graph = gegl_node_new ();
  GeglBuffer *buffer = NULL;
  GeglNode *load
      = gegl_node_new_child (graph, "operation", "gegl:load", "path", image_path, NULL);
  GeglNode *sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer",
                                        &buffer, NULL);
  gegl_node_link (load, sink);
  gegl_node_process (sink);
  return buffer;
}

static void
on_progress (double fraction, gpointer data)
{
  double *last = data;
  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  *last = fraction;
}

static void
test_same_as_op (void)
{
  g_autoptr (GeglBuffer) source = load ();
  const GeglRectangle *box = gegl_buffer_get_extent (source);
  g_autoptr (GeglBuffer) dest = gegl_buffer_new (box, babl_format ("R'G'B'A float"));
  g_autoptr (GeglBuffer) ref = NULL;
  g_autoptr (GeglNode) graph = gegl_node_new ();
  g_autoptr (GError) error = NULL;
  g_autofree float *a = NULL, *b = NULL;
  gsize n = (gsize)box->width * box->height * 4;
  GeglNode *in, *op, *sink;
  double last = -1.0;

  g_assert_true (gcut_apply_buffers (
      source, dest, &(GcutApplySettings){ model_path, "cpu", 0, 1.0, 1.0 }, on_progress,
      &last, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (last, >, 0.0);

  in = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", source,
                            NULL);
  op = gegl_node_new_child (graph, "operation", "gcut:translate", "model", model_path,
                            "device", 1, NULL);
  sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer", &ref,
                              NULL);
  gegl_node_link_many (in, op, sink, NULL);
  gegl_node_process (sink);
  a = g_new (float, n);
  b = g_new (float, n);
  gegl_buffer_get (dest, box, 1.0, babl_format ("R'G'B'A float"), a, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  gegl_buffer_get (ref, box, 1.0, babl_format ("R'G'B'A float"), b, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
}

static void
expect_error (const GcutApplySettings *settings, const char *what)
{
  g_autoptr (GeglBuffer) source = load ();
  g_autoptr (GeglBuffer) dest
      = gegl_buffer_new (gegl_buffer_get_extent (source), babl_format ("R'G'B'A float"));
  g_autoptr (GError) error = NULL;

  g_assert_false (gcut_apply_buffers (source, dest, settings, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_errors (void)
{
  expect_error (&(GcutApplySettings){ "does-not-exist", "cpu", 0, 1.0, 1.0 },
                "does-not-exist");
  expect_error (&(GcutApplySettings){ model_path, "tpu", 0, 1.0, 1.0 }, "tpu");
  expect_error (&(GcutApplySettings){ model_path, "cpu", -5, 1.0, 1.0 }, "-5");
  expect_error (&(GcutApplySettings){ model_path, "cpu", 0, 1.5, 1.0 }, "1.5");
  expect_error (&(GcutApplySettings){ model_path, "cpu", 0, NAN, 1.0 }, "nan");
  expect_error (&(GcutApplySettings){ model_path, "cpu", 0, 1.0, -0.5 }, "-0.5");
  expect_error (&(GcutApplySettings){ model_path, "cpu", 0, 1.0, NAN }, "nan");
  if (!gcut_apply_has ("strength"))
    expect_error (&(GcutApplySettings){ model_path, "cpu", 0, 0.5, 1.0 }, "strength");
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (argc, >=, 3);
  model_path = argv[1], image_path = argv[2];
  gegl_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/apply-graph/same-as-op", test_same_as_op);
  g_test_add_func ("/apply-graph/errors", test_errors);
  return g_test_run ();
}
