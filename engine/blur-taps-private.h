/* CUT's blur resampling (Downsample, Upsample and their backward ops) as 1-D
 * tap lists, built once per kernel by every backend: each op is separable,
 * out(y, x) = Σ wr·wc·in(r, c) over the taps (r, wr) of output row y and
 * (c, wc) of output column x. */
#pragma once

#include "graph-private.h"

typedef struct
{
  gint32 at;
  float w;
} GcutBlurTap;

/* Taps of output o: taps[start[o]] up to taps[start[o + 1]]. */
typedef struct
{
  gint32 *start;
  GcutBlurTap *taps;
} GcutBlurTaps;

/* The taps along image dimension d (2: rows, 3: columns) of the blur op `op`
 * from an input of shape in to an output of shape out, straight from the op's
 * definition (padding, filter, stride, crop); taps that padding points at the
 * same pixel are merged, in first-seen order. */
GcutBlurTaps gcut_blur_taps (GcutOp op, const GcutShape *in, const GcutShape *out, int d);
void gcut_blur_taps_clear (GcutBlurTaps *taps);
