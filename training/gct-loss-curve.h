/* gegl-cut training: a picture of a run's losses. */
#pragma once

#include "gct-trainer.h"

G_BEGIN_DECLS

/* Every loss of the run so far as a curve (averaged over the steps of each
 * pixel column) on axes from 0, with tick values, and a legend; written as an
 * image (any format GEGL saves, by the extension).  gegl_init() must have been
 * called.  Nothing is written before the first step. */
gboolean gct_loss_curve_save (GctTrainer *trainer, const char *path, GError **error);

G_END_DECLS
