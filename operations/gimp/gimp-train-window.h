/* The window an interactive training run shows: progress, the losses, the
 * content as the generator currently translates it, and a Cancel button. */
#pragma once

#include <glib.h>

#include "image-io.h"

G_BEGIN_DECLS

typedef struct _GcutTrainWindow GcutTrainWindow;

/* on_cancel runs (in the main thread) when the user presses Cancel or closes
 * the window; the window stays until gcut_train_window_destroy. */
GcutTrainWindow *gcut_train_window_new (const char *device, GDestroyNotify on_cancel,
                                        gpointer data);
void gcut_train_window_set_progress (GcutTrainWindow *window, double fraction,
                                     const char *text, const char *losses);
void gcut_train_window_set_preview (GcutTrainWindow *window, const GctImage *image);
void gcut_train_window_destroy (GcutTrainWindow *window);

G_END_DECLS
