/* Training from either GIMP plug-in (see gimp-train-ui.h). */
#include <glib/gi18n-lib.h>

#include <libgimp/gimp.h>

#include "gimp-train-ui.h"
#include "gimp-train-window.h"

typedef struct
{
  const GcutTrainJob *job;
  const char *help_id;
  GcutTrainWindow *window;
} Ui;

static void
started (gpointer data, GcutTrainRun *run, const char *device)
{
  Ui *ui = data;

  if (ui->job->thumb)
    ui->window = gcut_train_window_new (ui->help_id, run, device, ui->job->thumb);
}

static void
progress (gpointer data, const GcutTrainStatus *status)
{
  Ui *ui = data;

  gimp_progress_set_text (status->text);
  gimp_progress_update (status->total > 0 ? (double)status->step / status->total : 0.0);
  if (ui->window)
    gcut_train_window_update (ui->window, status);
}

char *
gcut_train_in_gimp (const GcutTrainJob *job, const char *help_id, GError **error)
{
  static const GcutTrainHooks hooks = { started, progress };
  Ui ui = { job, help_id, NULL };
  char *path;

  gimp_progress_init (_ ("Preparing training…"));
  path = gcut_train_run (job, &hooks, &ui, error);
  g_clear_pointer (&ui.window, gcut_train_window_destroy);
  if (path)
    gimp_progress_set_text (_ ("Model saved"));
  return path;
}
