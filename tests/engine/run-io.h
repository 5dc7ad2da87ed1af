/* An image in memory behind the callbacks of a GcutGeneratorRun, for the
 * tests of whole-image generator runs. */
#pragma once

#include <gcut/gcut.h>

typedef struct
{
  int width, height;
  const float *input; /* (3, height, width); may be output itself */
  float *output;
  double last_fraction;
  int n_progress, cancel_at; /* cancel at that report (0: never) */
  gboolean fail_read;
} GcIo;

/* GcutGeneratorRun's read, write and progress on a GcIo, checking that
 * rectangles are inside the image and progress grows to at most 1. */
gboolean gc_io_read (int x, int y, int w, int h, float *rgb, gpointer data,
                     GError **error);
gboolean gc_io_write (int x, int y, int w, int h, const float *rgb, gpointer data,
                      GError **error);
gboolean gc_io_progress (double fraction, gpointer data);

/* A (3, height, width) image in [-1, 1]: smooth structure (a few random waves
 * per channel) with a little noise. */
float *gc_test_image (int width, int height, guint32 seed);

/* The reference of a whole-image run: y of a plan over graph whose input x
 * gets `input` (3, height, width) padded by repeating its edges to the size of
 * x; returns the (3, height, width) corner of y.  setup (may be NULL) sets
 * the plan's other inputs first. */
float *gc_one_pass (GcutGraph *graph, GcutValue x, GcutValue y, const float *input,
                    int width, int height, void (*setup) (GcutPlan *plan, gpointer data),
                    gpointer data);
