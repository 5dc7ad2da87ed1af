#include <string.h>
#include "test-util.h"

GcutShape
gc_shape1 (gint64 n)
{
  return (GcutShape){ 1, { n } };
}

GcutShape
gc_shape2 (gint64 rows, gint64 cols)
{
  return (GcutShape){ 2, { rows, cols } };
}

GcutShape
gc_shape4 (gint64 n, gint64 c, gint64 h, gint64 w)
{
  return (GcutShape){ 4, { n, c, h, w } };
}

gint64
gc_numel (const GcutShape *s)
{
  gint64 n = 1;
  for (int i = 0; i < s->n_dims; i++)
    n *= s->dims[i];
  return n;
}

void
gc_fill_random (float *p, gint64 n, double lo, double hi, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  for (gint64 i = 0; i < n; i++)
    p[i] = g_rand_double_range (rand, lo, hi);
  g_rand_free (rand);
}

float *
gc_random_floats (gint64 n, double lo, double hi, guint32 seed)
{
  float *x = g_new (float, n);
  gc_fill_random (x, n, lo, hi, seed);
  return x;
}

void
gc_expect_graph_error (GcutGraph *graph, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (gcut_graph_check (graph, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  if (!strstr (error->message, message))
    {
      g_test_message ("error \"%s\" does not say \"%s\"", error->message, message);
      g_test_fail ();
    }
}

GcutValue
gc_activate (GcutGraph *graph, GcutValue y, GcAct act)
{
  switch (act)
    {
    case GC_ACT_RELU:
      return gcut_relu (graph, y);
    case GC_ACT_LEAKY_RELU:
      return gcut_leaky_relu (graph, y, 0.2f);
    case GC_ACT_TANH:
      return gcut_tanh (graph, y);
    default:
      return y;
    }
}
