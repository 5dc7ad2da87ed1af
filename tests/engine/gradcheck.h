/* Finite-difference gradient checks for engine ops.
 *
 * The op under test is built from leaves by a callback; the check draws random
 * leaves and a random seed r, and compares the plan's gradient of
 * L = Σ r·out with central differences of L (accumulated in double).  Points where
 * the function is not smooth (the two step sizes disagree, e.g. at a ReLU kink)
 * are skipped; at most 2% may be. */
#pragma once

#include <gcut/gcut.h>

typedef enum
{
  GC_INPUT,  /* differentiated, values uniform in [lo, hi] */
  GC_PARAM,  /* differentiated, through the parameter's grad storage */
  GC_INDICES /* not differentiated: distinct random indices below `range` */
} GcLeafKind;

typedef struct
{
  GcLeafKind kind;
  GcutShape shape;
  float lo, hi;
  gint64 range;
} GcLeaf;

typedef GcutValue (*GcBuildFunc) (GcutGraph *graph, const GcutValue *leaves,
                                  gpointer user_data);

/* Runs the check for each channel block in `blocks` (0-terminated); fails the
 * test (g_test_fail with a message) on a mismatch beyond tol, relative to the
 * largest gradient entry. */
void gc_check (const char *what, const GcLeaf *leaves, int n_leaves, GcBuildFunc build,
               gpointer user_data, const int *blocks, double tol);

/* Convenience leaves. */
GcLeaf gc_image (gint64 n, gint64 c, gint64 h, gint64 w);
GcLeaf gc_param (GcutShape shape);
