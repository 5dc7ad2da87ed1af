/* Training in the plug-in process: the trainer runs in a worker thread while
 * the main thread keeps GIMP's progress bar and the training window current
 * (libgimp and GTK are used from the main thread only). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <gegl.h>
#include <glib/gstdio.h>
#include <gcp/gcp-atomic-file.h>

#include "gct-duration.h"
#include "gct-trainer.h"
#include "gct-translate.h"
#include "gimp-plugin.h"
#include "gimp-train-window.h"

/* The training window's preview fits in this many pixels. */
#define THUMB_SIZE 192

typedef struct
{
  GctTrainer *trainer;
  GcutBackend *backend;
  GcutPrecision precision;
  GctImage *thumb_content; /* content scaled down, translated for the preview */
  gint64 snapshot_every;   /* 0: no previews (non-interactive runs) */
  GMainLoop *loop;
  GcutTrainWindow *window;

  /* Written by the worker, read by the main thread. */
  GMutex lock;
  GctProgress progress; /* names and values point into the two fields below */
  const char *names[GCT_TRAINER_MAX_LOSSES];
  double values[GCT_TRAINER_MAX_LOSSES];
  GctImage *snapshot; /* the newest preview not yet shown */
  gboolean update_pending;
  gboolean ok;
  GError *error;
} TrainRun;

static GctImage *
image_new (int width, int height)
{
  GctImage *image = g_new0 (GctImage, 1);
  image->width = width;
  image->height = height;
  image->rgba = g_new (float, (gsize)width *height * 4);
  return image;
}

static GctImage *
image_copy (const GctImage *src)
{
  GctImage *image = image_new (src->width, src->height);
  memcpy (image->rgba, src->rgba, (gsize)src->width * src->height * 4 * sizeof (float));
  return image;
}

/* The whole drawable, scaled by scale (≤ 1), as R'G'B'A float. */
static GctImage *
read_drawable (gint32 drawable, double scale)
{
  g_autoptr (GeglBuffer) buffer = gimp_drawable_get_buffer (drawable);
  const GeglRectangle *extent = gegl_buffer_get_extent (buffer);
  GeglRectangle rect = { 0, 0, MAX (1, (int)floor (extent->width * scale)),
                         MAX (1, (int)floor (extent->height * scale)) };
  GctImage *image = image_new (rect.width, rect.height);

  gegl_buffer_get (buffer, &rect, scale, babl_format ("R'G'B'A float"), image->rgba,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  return image;
}

/* Main thread: shows the latest progress the worker posted. */
static gboolean
show_progress (gpointer data)
{
  TrainRun *run = data;
  GctProgress p;
  g_autoptr (GctImage) snapshot = NULL;
  g_autoptr (GString) losses = g_string_new (NULL);

  g_mutex_lock (&run->lock);
  p = run->progress;
  for (int i = 0; i < p.n_losses; i++)
    g_string_append_printf (losses, "%s%s %.3g", i ? "  " : "", run->names[i],
                            run->values[i]);
  snapshot = g_steal_pointer (&run->snapshot);
  run->update_pending = FALSE;
  g_mutex_unlock (&run->lock);

  g_autofree char *eta = gct_format_duration (p.eta_seconds);
  /* Runs are far shorter than 2^31 steps. */
  g_autofree char *text = g_strdup_printf (_ ("Training: step %d of %d, %s left"),
                                           (int)p.step, (int)p.total, eta);
  double fraction = p.total > 0 ? (double)p.step / p.total : 0.0;

  gimp_progress_set_text (text);
  gimp_progress_update (fraction);
  if (run->window)
    {
      gcut_train_window_set_progress (run->window, fraction, text, losses->str);
      if (snapshot)
        gcut_train_window_set_preview (run->window, snapshot);
    }
  return G_SOURCE_REMOVE;
}

/* Worker thread, between two steps: the generator is not changing. */
static gboolean
on_progress (const GctProgress *p, gpointer data)
{
  TrainRun *run = data;
  g_autoptr (GctImage) snapshot = NULL;
  gboolean schedule;

  if (run->snapshot_every > 0
      && (p->step % run->snapshot_every == 0 || p->step == p->total))
    {
      g_autoptr (GError) error = NULL;
      snapshot = image_copy (run->thumb_content);
      /* A failed preview only leaves the previous one showing. */
      if (!gct_translate_image (gct_trainer_generator (run->trainer), run->backend,
                                run->precision, snapshot, 0, 0, NULL, &error))
        g_clear_pointer (&snapshot, gct_image_free);
    }

  g_mutex_lock (&run->lock);
  run->progress = *p;
  run->progress.n_losses = MIN (p->n_losses, GCT_TRAINER_MAX_LOSSES);
  for (int i = 0; i < run->progress.n_losses; i++)
    {
      run->names[i] = p->names[i];
      run->values[i] = p->values[i];
    }
  run->progress.names = run->names;
  run->progress.values = run->values;
  if (snapshot)
    {
      g_clear_pointer (&run->snapshot, gct_image_free);
      run->snapshot = g_steal_pointer (&snapshot);
    }
  schedule = !run->update_pending;
  run->update_pending = TRUE;
  g_mutex_unlock (&run->lock);

  if (schedule)
    g_idle_add (show_progress, run);
  return TRUE;
}

static gboolean
quit_loop (gpointer data)
{
  TrainRun *run = data;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
train_thread (gpointer data)
{
  TrainRun *run = data;

  run->ok = gct_trainer_run (run->trainer, 0, &run->error);
  g_idle_add (quit_loop, run);
  return NULL;
}

static void
on_cancel (gpointer data)
{
  TrainRun *run = data;
  /* Only stores to an atomic flag: safe while the worker runs.  The run then
   * stops before its next step and nothing is written. */
  gct_trainer_cancel (run->trainer);
}

static gboolean
valid_model_name (const char *name)
{
  if (!*name || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static GcpRecipe *
load_recipe (const GcutTrainValues *values, GError **error)
{
  g_autoptr (GcpRecipe) recipe = gcp_recipe_load (values->recipe, error);

  if (!recipe)
    return NULL;
  if (values->steps > 0)
    gcp_recipe_set_steps (recipe, values->steps);
  return g_steal_pointer (&recipe);
}

/* A drawable's pixels, for the trainer to read in strips. */
static GctImageReader *
drawable_reader (gint32 drawable, const char *name)
{
  g_autoptr (GeglBuffer) buffer = gimp_drawable_get_buffer (drawable);
  return gct_image_reader_new_for_buffer (buffer, name);
}

static GctImageReader *
load_style (const GcutTrainValues *values, GError **error)
{
  if (values->style_drawable != -1)
    {
      if (!gimp_item_is_valid (values->style_drawable)
          || !gimp_item_is_drawable (values->style_drawable))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("The style drawable %d does not exist"),
                       values->style_drawable);
          return NULL;
        }
      return drawable_reader (values->style_drawable, "the style layer");
    }
  if (!*values->style_file)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("Choose a style image: a layer or an image file"));
      return NULL;
    }
  return gct_image_reader_open (values->style_file, error);
}

char *
gcut_train (gint32 drawable, const GcutTrainValues *values, gboolean interactive,
            GError **error)
{
  g_autoptr (GcpRecipe) recipe = NULL;
  g_autoptr (GctImageReader) content = NULL, style = NULL;
  g_autoptr (GctImage) thumb = NULL;
  g_autoptr (GctTrainer) trainer = NULL;
  g_autofree char *folder = NULL, *file = NULL, *path = NULL;
  TrainRun run = { 0 };
  GcutBackend *backend;
  GThread *thread;

  if (!valid_model_name (values->model_name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not a model name: use letters, digits, '.', '-' and '_', "
                      "not starting with '.'"),
                   values->model_name);
      return NULL;
    }
  folder = g_build_filename (g_get_user_data_dir (), "gegl-cut", "models", NULL);
  file = g_strconcat (values->model_name, ".safetensors", NULL);
  path = g_build_filename (folder, file, NULL);
  /* Before training, not after: a name taken by something else than a model
   * would otherwise cost the whole run. */
  if (!gcp_safetensors_may_replace (path, GCP_MODEL_FORMAT, error))
    return NULL;
  gcp_atomic_file_clean_for (path);

  gimp_progress_init (_ ("Preparing training…"));
  recipe = load_recipe (values, error);
  if (!recipe)
    return NULL;
  style = load_style (values, error);
  if (!style)
    return NULL;
  content = drawable_reader (drawable, "the image");
  backend = gcut_backend_get ("auto", NULL, error);
  if (!backend)
    return NULL;
  trainer = gct_trainer_new (recipe, content, style, backend, error);
  if (!trainer)
    return NULL;

  run.trainer = trainer;
  run.backend = backend;
  /* The preview may be tiled: never bf16, whose rounding would show the tiles. */
  run.precision = MIN (gcp_recipe_engine_precision (recipe), GCUT_PRECISION_FAST);
  run.loop = g_main_loop_new (NULL, FALSE);
  g_mutex_init (&run.lock);
  if (interactive)
    {
      double scale = MIN (1.0, (double)THUMB_SIZE
                                   / MAX (gct_image_reader_width (content),
                                          gct_image_reader_height (content)));
      thumb = read_drawable (drawable, scale);
      run.thumb_content = thumb;
      run.snapshot_every = MAX (1, gct_trainer_total_steps (trainer) / 40);
      run.window = gcut_train_window_new (gcut_backend_name (backend), on_cancel, &run);
      gcut_train_window_set_preview (run.window, thumb);
    }
  gct_trainer_set_progress (trainer, on_progress, &run);

  thread = g_thread_new ("gcut-train", train_thread, &run);
  g_main_loop_run (run.loop);
  g_thread_join (thread);
  /* Updates still queued point at run: run them now, while it lives. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_clear_pointer (&run.window, gcut_train_window_destroy);
  g_main_loop_unref (run.loop);
  g_clear_pointer (&run.snapshot, gct_image_free);
  g_mutex_clear (&run.lock);

  if (!run.ok)
    {
      g_propagate_error (error, run.error);
      return NULL;
    }
  gimp_progress_set_text (_ ("Saving the model…"));
  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
                   _ ("Cannot create the folder %s: %s"), folder, g_strerror (err));
      return NULL;
    }
  /* Written to a temporary file, then renamed: never a half-written model. */
  if (!gct_trainer_save_model (trainer, path, error))
    return NULL;
  return g_steal_pointer (&path);
}
