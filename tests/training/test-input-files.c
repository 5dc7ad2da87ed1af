/* Every loader of a file a user names (model, checkpoint, recipe, image)
 * refuses a FIFO, a directory and a device at once, saying what the path is.
 * A FIFO used to block forever (waiting for a writer) and a directory to fail
 * as "mmap() failed: No such device"; each case runs in a subprocess whose
 * time limit turns such a hang into a failure. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <gcp/gcp-model-file.h>
#include <gct-trainer.h>
#include "image-io.h"

/* Far more than a refusal takes: only a hang reaches it. */
#define SUBPROCESS_TIMEOUT_US (60 * G_USEC_PER_SEC)

typedef gboolean (*Loader) (const char *path, GError **error);

static gboolean
load_model (const char *path, GError **error)
{
  g_autoptr (GcpModel) m = gcp_model_load (path, error);
  return m != NULL;
}

static gboolean
load_checkpoint (const char *path, GError **error)
{
  float pixel[4] = { 0.5f, 0.5f, 0.5f, 1.f };
  GctImage image = { 1, 1, pixel };
  g_autoptr (GctImageReader) content = gct_image_reader_new_for_image (&image, "content");
  g_autoptr (GctImageReader) style = gct_image_reader_new_for_image (&image, "style");
  g_autoptr (GctTrainer) t
      = gct_trainer_new_from_checkpoint (path, content, style, NULL, 0, error);
  return t != NULL;
}

static gboolean
load_recipe (const char *path, GError **error)
{
  g_autoptr (GcpRecipe) r = gcp_recipe_load (path, error);
  return r != NULL;
}

static gboolean
load_image (const char *path, GError **error)
{
  g_autoptr (GctImage) image = gct_image_load (path, error);
  return image != NULL;
}

static const struct
{
  const char *name;
  Loader load;
} loaders[] = {
  { "model", load_model },
  { "checkpoint", load_checkpoint },
  { "recipe", load_recipe },
  { "image", load_image },
};

static char *tmp_dir;

/* The paths to try and what the message must call them. */
static const struct
{
  const char *name, *kind;
} inputs[] = {
  { "fifo", "FIFO" },
  { "dir", "directory" },
  { "/dev/null", "device" },
};

static void
test_refused (gconstpointer data)
{
  guint l = GPOINTER_TO_UINT (data);

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autofree char *path = inputs[i].name[0] == '/'
                                  ? g_strdup (inputs[i].name)
                                  : g_build_filename (tmp_dir, inputs[i].name, NULL);
      g_autoptr (GError) error = NULL;

      g_assert_false (loaders[l].load (path, &error));
      g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
      g_test_message ("%s %s: %s", loaders[l].name, inputs[i].name, error->message);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, inputs[i].kind));
      g_assert_nonnull (strstr (error->message, "not a regular file"));
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *fifo = NULL, *dir = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  /* The subprocesses share the parent's folder (G_TEST_TMP_DIR is per run). */
  tmp_dir = g_strdup (g_getenv ("GCT_INPUT_FILES_DIR"));
  if (!tmp_dir)
    {
      tmp_dir = g_dir_make_tmp ("gct-inputs-XXXXXX", NULL);
      g_setenv ("GCT_INPUT_FILES_DIR", tmp_dir, TRUE);
      fifo = g_build_filename (tmp_dir, "fifo", NULL);
      dir = g_build_filename (tmp_dir, "dir", NULL);
      g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
      g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
    }
  for (guint l = 0; l < G_N_ELEMENTS (loaders); l++)
    {
      g_autofree char *name = g_strdup_printf ("/input-files/%s", loaders[l].name);
      g_test_add_data_func (name, GUINT_TO_POINTER (l), test_refused);
    }
  rc = g_test_run ();
  if (fifo)
    {
      g_unlink (fifo);
      g_rmdir (dir);
      g_rmdir (tmp_dir);
    }
  g_free (tmp_dir);
  return rc;
}
