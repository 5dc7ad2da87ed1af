/* gegl-cut training: pictures of a run's losses, for the loss-curve PNG and
 * the GIMP training windows alike. */
#pragma once

#include "gct-trainer.h"
#include "image-io.h"

G_BEGIN_DECLS

/* Every loss of the run so far, on axes from 0, with tick values, and a
 * legend (see gct_loss_plot); written as an image (any format GEGL saves, by
 * the extension).  gegl_init() must have been called.  Nothing is written
 * before the first step. */
gboolean gct_loss_curve_save (GctTrainer *trainer, const char *path, GError **error);

/* The smoothed curve of loss l of a history of n_steps rows of n_losses
 * values, into smoothed[n_steps]: an exponential moving average whose time
 * constant is a fiftieth of the run, τ = max(1, n_steps / 50) steps
 * (s_t = β s_{t-1} + (1 - β) x_t with β = 1 - 1/τ, s_0 = 0), debiased as
 * Adam and TensorBoard do (s_t / (1 - β^t)), so the first steps are not pulled
 * towards 0.  Values that are not finite are skipped (the curve holds). */
void gct_loss_smooth (const float *history, gint64 n_steps, int n_losses, int l,
                      double *smoothed);

/* Plots the history into the width×height rectangle of im at x, y (RGBA
 * float, drawn over what is there): four grid lines, then for each loss the
 * range of its raw values over the steps of each pixel column in a faint
 * tint, and over them its smoothed curve in the loss's colour.  The vertical
 * axis runs from 0 to the value returned, a little above the highest smoothed
 * value: raw spikes beyond it are cut at the top. */
double gct_loss_plot (GctImage *im, int x, int y, int width, int height,
                      const float *history, gint64 n_steps, int n_losses);

/* The colour of loss l in every plot, R'G'B' in [0, 1]. */
const float *gct_loss_color (int l);

G_END_DECLS
