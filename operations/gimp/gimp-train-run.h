/* Training for both GIMP plug-ins (2.10 and 3): the trainer runs in a worker
 * thread while the calling thread runs the main loop, where the plug-in's
 * hooks show the progress.  Nothing here calls libgimp or GTK. */
#pragma once

#include <gegl.h>
#include <gio/gio.h>

#include "gct-trainer.h"
#include "image-io.h"

G_BEGIN_DECLS

typedef struct _GcutTrainRun GcutTrainRun;

typedef struct
{
  GctImageReader *content; /* the photo, read in strips by the trainer */
  GctImageReader *style;   /* the painting */
  const char *recipe;      /* a recipe name or file */
  int steps;               /* 0: the recipe's */
  const char *model_name;  /* see gcut_train_model_path */
  /* The content scaled down for previews of the current translation; NULL:
   * no previews. */
  const GctImage *thumb;
} GcutTrainJob;

typedef struct
{
  gint64 step, total;
  char *text; /* "Training: step 40 of 720, 2 min left" */
  int n_losses;
  const char *const *names;
  /* The losses of every step so far: n_steps rows of n_losses. */
  const float *history;
  gint64 n_steps;
  const GctImage *preview; /* the newest translation of the thumb, or NULL */
} GcutTrainStatus;

/* Called in the calling thread, from its main loop; each may be NULL. */
typedef struct
{
  /* Before the first step: run is for gcut_train_run_cancel, device names
   * where the networks train. */
  void (*started) (gpointer data, GcutTrainRun *run, const char *device);
  /* After steps, at most once per turn of the main loop. */
  void (*progress) (gpointer data, const GcutTrainStatus *status);
} GcutTrainHooks;

/* Where a model called name is saved: $XDG_DATA_HOME/gegl-cut/models/
 * NAME.safetensors, where every front door finds it by name.  NULL, with an
 * error, for a name that is empty, starts with '.', or has characters other
 * than letters, digits, '.', '-' and '_'. */
char *gcut_train_model_path (const char *name, GError **error);

/* The recipe a dialog's choice runs: recipe when it is not empty (the
 * Advanced field), else the recipe of the quality called quality
 * (gcp-quality.h).  NULL, with an error, for an unknown quality. */
const char *gcut_train_choose_recipe (const char *quality, const char *recipe,
                                      GError **error);

/* Trains job and saves the model (atomically) under its name; returns its
 * path.  A file of that name that is not a model is refused before training
 * (gcp_safetensors_may_replace).  Fails with GCT_TRAINER_ERROR_CANCELLED after
 * gcut_train_run_cancel, and then, as on any failure, writes nothing.
 * gegl_init() must have been called. */
char *gcut_train_run (const GcutTrainJob *job, const GcutTrainHooks *hooks, gpointer data,
                      GError **error);

/* Stops the run before its next step; from the calling thread's main loop
 * (a Cancel button). */
void gcut_train_run_cancel (GcutTrainRun *run);

/* The whole of buffer scaled by scale (≤ 1), as R'G'B'A float; NULL, with an
 * error, when there is not enough memory. */
GctImage *gcut_train_read_buffer (GeglBuffer *buffer, double scale, GError **error);

/* The preview's scale for content: it fits in size pixels. */
double gcut_train_thumb_scale (const GctImageReader *content, int size);

G_END_DECLS
