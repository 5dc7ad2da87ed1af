/* The window an interactive training run shows, in both GIMP plug-ins:
 * progress, the loss curves, the content as the generator currently
 * translates it, and a Cancel button. */
#pragma once

#include "gimp-train-run.h"

G_BEGIN_DECLS

typedef struct _GcutTrainWindow GcutTrainWindow;

/* help_id: the procedure's name.  Cancel (or closing the window) cancels
 * run; the window stays until gcut_train_window_destroy. */
GcutTrainWindow *gcut_train_window_new (const char *help_id, GcutTrainRun *run,
                                        const char *device, const GctImage *thumb);
void gcut_train_window_update (GcutTrainWindow *window, const GcutTrainStatus *status);
void gcut_train_window_destroy (GcutTrainWindow *window);

G_END_DECLS
