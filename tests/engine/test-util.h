/* Small helpers shared by the engine's op tests. */
#pragma once

#include <gcut/gcut.h>

GcutShape gc_shape1 (gint64 n);
GcutShape gc_shape2 (gint64 rows, gint64 cols);
GcutShape gc_shape4 (gint64 n, gint64 c, gint64 h, gint64 w);
gint64 gc_numel (const GcutShape *s);

/* p[0 … n) uniform in [lo, hi), the same for the same seed. */
void gc_fill_random (float *p, gint64 n, double lo, double hi, guint32 seed);
/* The same in a new array; g_free () it. */
float *gc_random_floats (gint64 n, double lo, double hi, guint32 seed);

/* Shape errors: the builder records them, gcut_graph_check () reports them.
 * Fails the test unless the check fails with an invalid-argument error whose
 * message contains `message`. */
void gc_expect_graph_error (GcutGraph *graph, const char *message);

/* The activation a test case puts after the op under test. */
typedef enum
{
  GC_ACT_NONE,
  GC_ACT_RELU,
  GC_ACT_LEAKY_RELU, /* slope 0.2 */
  GC_ACT_TANH
} GcAct;

GcutValue gc_activate (GcutGraph *graph, GcutValue y, GcAct act);
