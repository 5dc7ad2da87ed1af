/* Training from either GIMP plug-in: GIMP's progress bar and, for a user, the
 * training window (gimp-train-window.h). */
#pragma once

#include "gimp-train-run.h"

G_BEGIN_DECLS

/* The preview in the training window fits in this many pixels. */
#define GCUT_TRAIN_THUMB_SIZE 192

/* gcut_train_run (see gimp-train-run.h) with GIMP's progress and, when
 * job->thumb is set, the training window, whose Cancel button cancels it;
 * help_id is the procedure's name. */
char *gcut_train_in_gimp (const GcutTrainJob *job, const char *help_id, GError **error);

G_END_DECLS
