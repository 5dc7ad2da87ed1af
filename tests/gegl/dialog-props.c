/* What GIMP's filter dialogs see of the ops' properties
 * (operations/gcut-dialog-props.c), in one process:
 *   dialog-props MODELS_DIR
 * where MODELS_DIR holds a.safetensors and b.safetensors (only listed, never
 * read).  The lists of installed models and qualities follow the string
 * properties both ways; "error" and "failed" are outputs: a failed run sets
 * them and says so from the main loop only, a changed setting clears them, and
 * a host that copies them back cannot set them. */
#include <string.h>

#include <gegl.h>
#include <glib/gstdio.h>

typedef struct
{
  int error, failed;
} Notified;

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer data)
{
  Notified *n = data;
  n->error += g_str_equal (pspec->name, "error");
  n->failed += g_str_equal (pspec->name, "failed");
}

/* The value of the enum property name whose nick is nick, or -1. */
static int
enum_value (GeglNode *node, const char *name, const char *nick)
{
  GParamSpec *pspec = gegl_node_find_property (node, name);
  GEnumClass *klass = g_type_class_ref (pspec->value_type);
  GEnumValue *v = g_enum_get_value_by_nick (klass, nick);
  int value = v ? v->value : -1;

  g_type_class_unref (klass);
  return value;
}

static char *
get_string (GeglNode *node, const char *name)
{
  char *s = NULL;
  gegl_node_get (node, name, &s, NULL);
  return s;
}

static int
get_int (GeglNode *node, const char *name)
{
  int v = -1;
  gegl_node_get (node, name, &v, NULL);
  return v;
}

static void
test_model_choice (void)
{
  g_autoptr (GeglNode) graph = gegl_node_new ();
  GeglNode *node = gegl_node_new_child (graph, "operation", "gcut:translate", NULL);
  int a = enum_value (node, "installed-model", "a");
  int b = enum_value (node, "installed-model", "b");
  g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

  g_assert_cmpint (a, >, 0);
  g_assert_cmpint (b, >, 0);
  g_assert_cmpint (enum_value (node, "installed-model", "other"), ==, 0);
  /* The default model, listed or not, is the one in the list. */
  s1 = get_string (node, "model");
  g_assert_cmpstr (s1, ==, "starry-night");
  g_assert_cmpint (get_int (node, "installed-model"), ==,
                   MAX (0, enum_value (node, "installed-model", "starry-night")));

  /* Chosen from the list, the model is the string the op and GIMP read. */
  gegl_node_set (node, "installed-model", b, NULL);
  s2 = get_string (node, "model");
  g_assert_cmpstr (s2, ==, "b");
  /* A string, as the gegl tool sets it, chooses its entry, or "other". */
  gegl_node_set (node, "model", "a", NULL);
  g_assert_cmpint (get_int (node, "installed-model"), ==, a);
  gegl_node_set (node, "model", "/somewhere/c.safetensors", NULL);
  g_assert_cmpint (get_int (node, "installed-model"), ==, 0);
  /* "Other" keeps the string, and typing a listed name there keeps "other". */
  gegl_node_set (node, "installed-model", a, NULL);
  gegl_node_set (node, "installed-model", 0, NULL);
  s3 = get_string (node, "model");
  g_assert_cmpstr (s3, ==, "a");
  gegl_node_set (node, "model", "b", NULL);
  g_assert_cmpint (get_int (node, "installed-model"), ==, 0);
  s4 = get_string (node, "model");
  g_assert_cmpstr (s4, ==, "b");
}

static void
test_quality_choice (void)
{
  g_autoptr (GeglNode) graph = gegl_node_new ();
  GeglNode *node = gegl_node_new_child (graph, "operation", "gcut:train", NULL);
  g_autofree char *recipe = get_string (node, "recipe"), *quick = NULL;

  g_assert_cmpstr (recipe, ==, "balanced");
  g_assert_cmpint (get_int (node, "quality"), ==,
                   enum_value (node, "quality", "balanced"));
  gegl_node_set (node, "quality", enum_value (node, "quality", "quick"), NULL);
  quick = get_string (node, "recipe");
  g_assert_cmpstr (quick, ==, "quick");
  gegl_node_set (node, "recipe", "cut-cpu", NULL);
  g_assert_cmpint (get_int (node, "quality"), ==, 0);
}

static void
test_error_outputs (void)
{
  g_autoptr (GeglNode) graph = gegl_node_new ();
  GeglNode *color = gegl_node_new_child (graph, "operation", "gegl:color", NULL);
  GeglNode *crop = gegl_node_new_child (graph, "operation", "gegl:crop", "width", 8.0,
                                        "height", 8.0, NULL);
  GeglNode *node = gegl_node_new_child (graph, "operation", "gcut:translate", "model",
                                        "does-not-exist", NULL);
  GeglNode *sink = NULL;
  g_autoptr (GeglBuffer) out = NULL;
  g_autofree char *error = NULL, *after = NULL, *copied = NULL;
  gboolean failed = FALSE;
  Notified n = { 0 };

  sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer", &out,
                              NULL);
  gegl_node_link_many (color, crop, node, sink, NULL);
  g_signal_connect (node, "notify", G_CALLBACK (on_notify), &n);

  /* A host copying its saved values back sets nothing. */
  gegl_node_set (node, "error", "old message", "failed", TRUE, NULL);
  copied = get_string (node, "error");
  g_assert_cmpstr (copied, ==, "");

  n = (Notified){ 0 };
  gegl_node_process (sink);
  gegl_node_get (node, "error", &error, "failed", &failed, NULL);
  g_assert_true (failed);
  g_assert_nonnull (strstr (error, "does-not-exist"));
  /* Not while processing: GEGL would invalidate the node there. */
  g_assert_cmpint (n.error + n.failed, ==, 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (n.error, ==, 1);
  g_assert_cmpint (n.failed, ==, 1);

  /* The notify invalidated the node; the same failure again changes nothing:
   * no notify, so no endless redraws. */
  n = (Notified){ 0 };
  g_clear_object (&out);
  gegl_node_process (sink);
  g_assert_nonnull (out);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (n.error + n.failed, ==, 0);

  /* Another setting: the message is stale at once. */
  gegl_node_set (node, "tile-size", 64, NULL);
  gegl_node_get (node, "error", &after, "failed", &failed, NULL);
  g_assert_cmpstr (after, ==, "");
  g_assert_false (failed);
  g_assert_cmpint (n.error, ==, 1);
  g_assert_cmpint (n.failed, ==, 1);
}

int
main (int argc, char **argv)
{
  g_autofree char *empty = g_dir_make_tmp ("gcut-dialog-props-XXXXXX", NULL);
  int rc;

  g_assert_cmpint (argc, >=, 2);
  /* Only the given models are installed; set before GEGL lists them. */
  g_setenv ("GEGL_CUT_MODEL_PATH", argv[1], TRUE);
  g_setenv ("XDG_DATA_HOME", empty, TRUE);
  g_setenv ("XDG_DATA_DIRS", empty, TRUE);
  gegl_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dialog-props/model-choice", test_model_choice);
  g_test_add_func ("/dialog-props/quality-choice", test_quality_choice);
  g_test_add_func ("/dialog-props/error-outputs", test_error_outputs);
  rc = g_test_run ();
  gegl_exit ();
  g_rmdir (empty);
  return rc;
}
