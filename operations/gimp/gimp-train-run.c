/* Training for both GIMP plug-ins (see gimp-train-run.h). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include <gcp/gcp-atomic-file.h>
#include <gcp/gcp-model-file.h>
#include <gcp/gcp-quality.h>
#include <gcp/gcp-safetensors.h>

#include "gct-duration.h"
#include "gct-palette.h"
#include "gct-translate.h"
#include "gimp-train-run.h"

/* How often the preview is translated again, in microseconds: translating
 * the thumbnail costs a fraction of a second. */
#define PREVIEW_EVERY (5 * G_USEC_PER_SEC)

struct _GcutTrainRun
{
  GctTrainer *trainer;
  GcutBackend *backend;
  GcutPrecision precision;
  const GctImage *thumb; /* NULL: no previews */
  gint64 previewed_at;   /* g_get_monotonic_time of the last preview */
  const GcutTrainHooks *hooks;
  gpointer data;
  GMainLoop *loop;
  GArray *shown; /* the history the hooks have seen (calling thread) */

  /* Written by the worker, read by the calling thread. */
  GMutex lock;
  GctProgress progress; /* names and values are not kept */
  GArray *history;      /* the losses of every step, n_losses per step */
  GctImage *snapshot;   /* the newest preview not yet shown */
  gboolean update_pending;
  gboolean ok;
  GError *error;
};

static GctImage *
image_new (int width, int height, GError **error)
{
  GctImage *image = g_new0 (GctImage, 1);

  image->width = width;
  image->height = height;
  image->rgba = g_try_new (float, (gsize)width *height * 4);
  if (!image->rgba)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _ ("Not enough memory for a %d×%d image"), width, height);
      gct_image_free (image);
      return NULL;
    }
  return image;
}

GctImage *
gcut_train_read_buffer (GeglBuffer *buffer, double scale, GError **error)
{
  const GeglRectangle *extent = gegl_buffer_get_extent (buffer);
  GeglRectangle rect = { 0, 0, MAX (1, (int)floor (extent->width * scale)),
                         MAX (1, (int)floor (extent->height * scale)) };
  GctImage *image = image_new (rect.width, rect.height, error);

  if (!image)
    return NULL;
  /* Full size as every front door reads it; previews resampled by GEGL. */
  if (scale == 1.0 && gct_buffer_get_rgba (buffer, &rect, image->rgba, NULL))
    return image;
  gegl_buffer_get (buffer, &rect, scale, babl_format ("R'G'B'A float"), image->rgba,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  return image;
}

double
gcut_train_thumb_scale (const GctImageReader *content, int size)
{
  return MIN (1.0, (double)size
                       / MAX (gct_image_reader_width (content),
                              gct_image_reader_height (content)));
}

char *
gcut_train_model_path (const char *name, GError **error)
{
  g_autofree char *file = NULL;
  gboolean ok = *name && name[0] != '.';

  for (const char *p = name; *p; p++)
    ok &= g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '_';
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not a model name: use letters, digits, '.', '-' and '_', "
                      "not starting with '.'"),
                   name);
      return NULL;
    }
  file = g_strconcat (name, ".safetensors", NULL);
  return g_build_filename (g_get_user_data_dir (), "gegl-cut", "models", file, NULL);
}

const char *
gcut_train_choose_recipe (const char *quality, const char *recipe, GError **error)
{
  const GcpQuality *q;

  if (recipe && *recipe)
    return recipe;
  q = gcp_quality_find (quality);
  if (!q)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Unknown quality “%s” (use quick, balanced or best)"),
                   quality ? quality : "");
      return NULL;
    }
  return q->recipe;
}

/* Calling thread: hands the latest progress the worker posted to the hooks. */
static gboolean
show_progress (gpointer data)
{
  GcutTrainRun *run = data;
  GctProgress p;
  g_autoptr (GctImage) snapshot = NULL;
  g_autofree char *eta = NULL, *text = NULL;
  int nl;
  const char *const *names = gct_trainer_loss_names (run->trainer, &nl);

  g_mutex_lock (&run->lock);
  p = run->progress;
  g_array_append_vals (run->shown, (float *)run->history->data + run->shown->len,
                       run->history->len - run->shown->len);
  snapshot = g_steal_pointer (&run->snapshot);
  run->update_pending = FALSE;
  g_mutex_unlock (&run->lock);

  eta = gct_format_duration (p.eta_seconds);
  /* Runs are far shorter than 2^31 steps. */
  text = g_strdup_printf (_ ("Training: step %d of %d, %s left"), (int)p.step,
                          (int)p.total, eta);
  if (run->hooks && run->hooks->progress)
    run->hooks->progress (run->data,
                          &(GcutTrainStatus){ .step = p.step,
                                              .total = p.total,
                                              .text = text,
                                              .n_losses = nl,
                                              .names = names,
                                              .history = (float *)run->shown->data,
                                              .n_steps = nl ? run->shown->len / nl : 0,
                                              .preview = snapshot });
  return G_SOURCE_REMOVE;
}

/* Worker thread, between two steps: the generator is not changing. */
static gboolean
on_progress (const GctProgress *p, gpointer data)
{
  GcutTrainRun *run = data;
  g_autoptr (GctImage) snapshot = NULL;
  gboolean schedule;

  /* A preview every few seconds, whatever a step takes, and at the end. */
  if (run->thumb
      && (g_get_monotonic_time () - run->previewed_at >= PREVIEW_EVERY
          || p->step == p->total))
    {
      run->previewed_at = g_get_monotonic_time ();
      g_autoptr (GError) error = NULL;

      snapshot = image_new (run->thumb->width, run->thumb->height, NULL);
      if (snapshot)
        memcpy (snapshot->rgba, run->thumb->rgba,
                (gsize)run->thumb->width * run->thumb->height * 4 * sizeof (float));
      /* A failed preview only leaves the previous one showing; a good one has
       * the palette the new layer will have. */
      if (snapshot
          && !gct_translate_image (gct_trainer_generator (run->trainer), run->backend,
                                   run->precision, snapshot, 0, 0, NULL, &error))
        g_clear_pointer (&snapshot, gct_image_free);
      if (snapshot)
        gct_palette_match_image (gct_trainer_palette (run->trainer), snapshot, 1.0);
    }

  g_mutex_lock (&run->lock);
  run->progress = *p;
  for (int i = 0; i < p->n_losses; i++)
    g_array_append_val (run->history, (float){ (float)p->values[i] });
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
  GcutTrainRun *run = data;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
train_thread (gpointer data)
{
  GcutTrainRun *run = data;

  run->ok = gct_trainer_run (run->trainer, 0, &run->error);
  g_idle_add (quit_loop, run);
  return NULL;
}

static gboolean
announce_start (gpointer data)
{
  GcutTrainRun *run = data;

  if (run->hooks && run->hooks->started)
    run->hooks->started (run->data, run, gcut_backend_name (run->backend));
  return G_SOURCE_REMOVE;
}

void
gcut_train_run_cancel (GcutTrainRun *run)
{
  /* Only stores to an atomic flag: safe while the worker runs. */
  gct_trainer_cancel (run->trainer);
}

static GctTrainer *
new_trainer (const GcutTrainJob *job, GcutBackend **backend, GError **error)
{
  g_autoptr (GcpRecipe) recipe = gcp_recipe_load (job->recipe, error);

  if (!recipe)
    return NULL;
  if (job->steps < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Steps must be 0 (the recipe's) or more, not %d"), job->steps);
      return NULL;
    }
  if (job->steps > 0)
    gcp_recipe_set_steps (recipe, job->steps);
  *backend = gcut_backend_get ("auto", NULL, error);
  return *backend ? gct_trainer_new (recipe, job->content, job->style, *backend, error)
                  : NULL;
}

static gboolean
make_folder (const char *path, GError **error)
{
  g_autofree char *folder = g_path_get_dirname (path);

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
                   _ ("Cannot create the folder %s: %s"), folder, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

char *
gcut_train_run (const GcutTrainJob *job, const GcutTrainHooks *hooks, gpointer data,
                GError **error)
{
  g_autofree char *path = gcut_train_model_path (job->model_name, error);
  g_autoptr (GctTrainer) trainer = NULL;
  GcutTrainRun run = { 0 };
  GcutBackend *backend = NULL;
  GThread *thread;
  int nl;

  /* Before training, not after: a name taken by something else than a model
   * would otherwise cost the whole run. */
  if (!path || !gcp_safetensors_may_replace (path, GCP_MODEL_FORMAT, error))
    return NULL;
  gcp_atomic_file_clean_for (path);
  if (!(trainer = new_trainer (job, &backend, error)))
    return NULL;
  gct_trainer_loss_names (trainer, &nl);

  run.trainer = trainer;
  run.backend = backend;
  /* The preview may be tiled: never bf16, whose rounding would show the tiles. */
  run.precision = MIN (gcp_recipe_engine_precision (gct_trainer_recipe (trainer)),
                       GCUT_PRECISION_FAST);
  run.thumb = job->thumb;
  run.previewed_at = g_get_monotonic_time ();
  run.hooks = hooks;
  run.data = data;
  run.loop = g_main_loop_new (NULL, FALSE);
  run.shown = g_array_new (FALSE, FALSE, sizeof (float));
  run.history = g_array_new (FALSE, FALSE, sizeof (float));
  g_mutex_init (&run.lock);
  gct_trainer_set_progress (trainer, on_progress, &run);

  g_idle_add (announce_start, &run);
  thread = g_thread_new ("gcut-train", train_thread, &run);
  g_main_loop_run (run.loop);
  g_thread_join (thread);
  /* Updates still queued point at run: run them now, while it lives. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_main_loop_unref (run.loop);
  g_array_unref (run.shown);
  g_array_unref (run.history);
  g_clear_pointer (&run.snapshot, gct_image_free);
  g_mutex_clear (&run.lock);

  if (!run.ok)
    {
      g_propagate_error (error, run.error);
      return NULL;
    }
  /* Written to a temporary file, then renamed: never a half-written model. */
  if (!make_folder (path, error) || !gct_trainer_save_model (trainer, path, error))
    return NULL;
  return g_steal_pointer (&path);
}
