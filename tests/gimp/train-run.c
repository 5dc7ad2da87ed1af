/* The training both GIMP plug-ins share (operations/gimp/gimp-train-run.c),
 * without GIMP:
 *   train-run RECIPE CONTENT STYLE
 * A run saves its model under its name and shows every step's losses and
 * previews; Cancel stops it and writes nothing; bad names, recipes and
 * qualities are errors. */
#include <string.h>

#include <glib/gstdio.h>

#include <gcp/gcp-quality.h>

#include "gimp-train-run.h"

static const char *recipe_path, *content_path, *style_path;

typedef struct
{
  GcutTrainRun *run;
  gint64 cancel_at; /* 0: never */
  int progress_calls, previews;
  gint64 last_step, last_n_steps;
  int n_losses;
} Seen;

static void
started (gpointer data, GcutTrainRun *run, const char *device)
{
  Seen *seen = data;
  seen->run = run;
  g_assert_cmpstr (device, !=, NULL);
}

static void
progress (gpointer data, const GcutTrainStatus *s)
{
  Seen *seen = data;

  seen->progress_calls++;
  seen->previews += s->preview != NULL;
  /* Every step's losses are there, in order. */
  g_assert_cmpint (s->n_steps, ==, s->step);
  g_assert_cmpint (s->n_steps, >=, seen->last_n_steps);
  g_assert_nonnull (strstr (s->text, "step"));
  seen->last_step = s->step;
  seen->last_n_steps = s->n_steps;
  seen->n_losses = s->n_losses;
  if (seen->cancel_at && s->step >= seen->cancel_at)
    gcut_train_run_cancel (seen->run);
}

static const GcutTrainHooks hooks = { started, progress };

typedef struct
{
  GctImageReader *content, *style;
  GctImage *thumb;
} Images;

static void
images_load (Images *im)
{
  g_autoptr (GError) error = NULL;

  im->content = gct_image_reader_open (content_path, &error);
  g_assert_no_error (error);
  im->style = gct_image_reader_open (style_path, &error);
  g_assert_no_error (error);
  im->thumb = gct_image_load (content_path, &error);
  g_assert_no_error (error);
}

static void
images_clear (Images *im)
{
  gct_image_reader_free (im->content);
  gct_image_reader_free (im->style);
  gct_image_free (im->thumb);
}

static void
test_complete (void)
{
  Images im;
  Seen seen = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL, *expected = NULL;

  images_load (&im);
  path = gcut_train_run (
      &(GcutTrainJob){ im.content, im.style, recipe_path, 4, "done", im.thumb }, &hooks,
      &seen, &error);
  g_assert_no_error (error);
  expected = gcut_train_model_path ("done", NULL);
  g_assert_cmpstr (path, ==, expected);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (seen.last_step, ==, 4);
  g_assert_cmpint (seen.last_n_steps, ==, 4);
  g_assert_cmpint (seen.n_losses, >, 0);
  g_assert_cmpint (seen.previews, >, 0);
  images_clear (&im);
}

static void
test_cancel (void)
{
  Images im;
  Seen seen = { .cancel_at = 2 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL, *unwanted = gcut_train_model_path ("cancelled", NULL);
  g_autofree char *folder = g_path_get_dirname (unwanted);
  g_autoptr (GDir) dir = NULL;

  images_load (&im);
  path = gcut_train_run (
      &(GcutTrainJob){ im.content, im.style, recipe_path, 50, "cancelled", NULL }, &hooks,
      &seen, &error);
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED);
  g_assert_null (path);
  g_assert_cmpint (seen.last_step, <, 50);
  /* Nothing written: no model, no temporary file beside it. */
  g_assert_false (g_file_test (unwanted, G_FILE_TEST_EXISTS));
  dir = g_dir_open (folder, 0, NULL);
  for (const char *name; dir && (name = g_dir_read_name (dir));)
    g_assert_false (g_str_has_prefix (name, "cancelled"));
  images_clear (&im);
}

static void
test_errors (void)
{
  Images im;
  g_autoptr (GError) error = NULL;
  g_autofree char *bad = NULL;

  images_load (&im);
  g_assert_null (gcut_train_run (
      &(GcutTrainJob){ im.content, im.style, recipe_path, 2, "../escape", NULL }, NULL,
      NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "../escape"));
  g_clear_error (&error);
  g_assert_null (gcut_train_run (
      &(GcutTrainJob){ im.content, im.style, "no-such-recipe", 2, "x", NULL }, NULL, NULL,
      &error));
  g_assert_nonnull (strstr (error->message, "no-such-recipe"));
  g_clear_error (&error);
  g_assert_null (
      gcut_train_run (&(GcutTrainJob){ im.content, im.style, recipe_path, -3, "x", NULL },
                      NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* A name taken by a file that is not a model: refused, the file kept. */
  {
    g_autofree char *taken = gcut_train_model_path ("taken", NULL);
    g_autofree char *folder = g_path_get_dirname (taken), *text = NULL;

    g_mkdir_with_parents (folder, 0755);
    g_assert_true (g_file_set_contents (taken, "not a model", -1, NULL));
    g_assert_null (gcut_train_run (
        &(GcutTrainJob){ im.content, im.style, recipe_path, 2, "taken", NULL }, NULL,
        NULL, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (taken, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "not a model");
    g_remove (taken);
  }
  bad = gcut_train_model_path ("", &error);
  g_assert_null (bad);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  images_clear (&im);
}

/* A dialog's choice: the Advanced recipe when given, else the quality's. */
static void
test_choose_recipe (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (gcut_train_choose_recipe ("quick", "", NULL), ==,
                   gcp_quality_find ("quick")->recipe);
  g_assert_cmpstr (gcut_train_choose_recipe ("quick", NULL, NULL), ==,
                   gcp_quality_find ("quick")->recipe);
  g_assert_cmpstr (gcut_train_choose_recipe ("best", "my.json", NULL), ==, "my.json");
  g_assert_null (gcut_train_choose_recipe ("slow", "", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("gcut-train-run-XXXXXX", NULL);
  g_autofree char *models = g_build_filename (home, "gegl-cut", "models", NULL);
  int rc;

  g_assert_cmpint (argc, >=, 4);
  recipe_path = argv[1], content_path = argv[2], style_path = argv[3];
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  gegl_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-run/complete", test_complete);
  g_test_add_func ("/train-run/cancel", test_cancel);
  g_test_add_func ("/train-run/errors", test_errors);
  g_test_add_func ("/train-run/choose-recipe", test_choose_recipe);
  rc = g_test_run ();
  {
    g_autofree char *done = g_build_filename (models, "done.safetensors", NULL);
    g_autofree char *parent = g_path_get_dirname (models);
    g_remove (done);
    g_rmdir (models);
    g_rmdir (parent);
    g_rmdir (home);
  }
  gegl_exit ();
  return rc;
}
