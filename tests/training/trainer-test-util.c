/* What the trainer tests share (trainer-test-util.h). */
#include <math.h>

#include <gegl.h>
#include <glib/gstdio.h>

#include "trainer-test-util.h"

char *
gct_test_init (int *argc, char ***argv, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *template = g_strdup_printf ("gct-%s-XXXXXX", name);
  char *tmpdir;

  g_test_init (argc, argv, NULL);
  gegl_init (NULL, NULL);
  gcut_backend_set_threads (gcut_backend_cpu (), 2);
  tmpdir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
  return tmpdir;
}

void
gct_test_finish (char *tmpdir)
{
  g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  gegl_exit ();
}

GctImage *
gct_test_image (const char *path)
{
  g_autoptr (GError) error = NULL;
  GctImage *image = gct_image_load (path, &error);
  g_assert_no_error (error);
  return image;
}

GctImageReader *
gct_test_reader (const char *path)
{
  g_autoptr (GError) error = NULL;
  GctImageReader *reader = gct_image_reader_open (path, &error);
  g_assert_no_error (error);
  return reader;
}

GcpRecipe *
gct_test_recipe (const char *path, int steps)
{
  g_autoptr (GError) error = NULL;
  GcpRecipe *recipe = gcp_recipe_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (recipe->schedule.steps, ==, steps);
  return recipe;
}

/* The loss history of t: its length must be `steps`. */
static float *
history (GctTrainer *t, int steps, int *n_losses)
{
  gint64 n;
  const float *h = gct_trainer_loss_history (t, &n);
  gct_trainer_loss_names (t, n_losses);
  g_assert_cmpint (n, ==, steps);
  return g_memdup2 (h, (gsize)n * *n_losses * sizeof (float));
}

void
gct_test_check_resume (const GcpRecipe *r, GctImageReader *content, GctImageReader *style,
                       const char *ckpt, int split, int steps)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctTrainer) whole = gct_trainer_new (r, content, style, NULL, &error);
  g_autoptr (GctTrainer) half = NULL, rest = NULL;
  g_autofree float *ref = NULL, *got = NULL;
  int nl, bitwise = 0;

  g_assert_no_error (error);
  g_assert_true (gct_trainer_run (whole, steps, &error));
  g_assert_no_error (error);
  ref = history (whole, steps, &nl);

  half = gct_trainer_new (r, content, style, NULL, &error);
  g_assert_no_error (error);
  gct_trainer_set_checkpoint (half, ckpt, split);
  g_assert_true (gct_trainer_run (half, split, &error));
  g_assert_no_error (error);
  rest = gct_trainer_new_from_checkpoint (ckpt, content, style, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gct_trainer_step_count (rest), ==, split);
  g_assert_true (gct_trainer_run (rest, steps, &error));
  g_assert_no_error (error);
  got = history (rest, steps, &nl);
  for (int i = 0; i < steps * nl; i++)
    {
      g_assert_true (isfinite (got[i]));
      g_assert_cmpfloat_with_epsilon (got[i], ref[i], 1e-6);
      bitwise += got[i] == ref[i];
    }
  g_test_message ("%d of %d loss values bitwise equal to the uninterrupted run", bitwise,
                  steps * nl);
  g_unlink (ckpt);
}
