#include <math.h>
#include "gradcheck.h"
#include "test-util.h"

#define MAX_LEAVES 8
#define MAX_PROBES 64 /* coordinates checked per leaf */

GcLeaf
gc_image (gint64 n, gint64 c, gint64 h, gint64 w)
{
  return (GcLeaf){ GC_INPUT, { 4, { n, c, h, w } }, -1.f, 1.f, 0 };
}

GcLeaf
gc_param (GcutShape shape)
{
  return (GcLeaf){ GC_PARAM, shape, -0.5f, 0.5f, 0 };
}

typedef struct
{
  GcutPlan *plan;
  GcutValue values[MAX_LEAVES], out;
  float *data[MAX_LEAVES];
  const GcLeaf *leaves;
  int n_leaves;
  float *out_data, *r;
  gint64 n_out;
} Check;

/* L = Σ r·out, in double. */
static double
loss (Check *c)
{
  double sum = 0;
  for (int i = 0; i < c->n_leaves; i++)
    if (c->leaves[i].kind == GC_INPUT)
      g_assert_true (gcut_plan_set_input (c->plan, c->values[i], c->data[i], NULL));
  g_assert_true (gcut_plan_forward (c->plan, NULL));
  g_assert_true (gcut_plan_get_output (c->plan, c->out, c->out_data, NULL));
  for (gint64 k = 0; k < c->n_out; k++)
    sum += (double)c->r[k] * c->out_data[k];
  return sum;
}

static double
central_difference (Check *c, float *x, float h)
{
  float saved = *x;
  double up, down;
  *x = saved + h;
  up = loss (c);
  *x = saved - h;
  down = loss (c);
  *x = saved;
  return (up - down) / (2.0 * h);
}

static void
check_block (const char *what, const GcLeaf *leaves, int n_leaves, GcBuildFunc build,
             gpointer user_data, int block, double tol)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (1234 + block);
  float *grads[MAX_LEAVES] = { NULL };
  GcutValue wrt[MAX_LEAVES];
  int n_wrt = 0, skipped = 0, probed = 0;
  Check c = { .leaves = leaves, .n_leaves = n_leaves };

  g_assert_cmpint (n_leaves, <=, MAX_LEAVES);
  for (int i = 0; i < n_leaves; i++)
    {
      gint64 n = gc_numel (&leaves[i].shape);
      c.data[i] = g_new (float, n);
      grads[i] = g_new0 (float, n);
      if (leaves[i].kind == GC_INDICES)
        {
          gint32 *idx = (gint32 *)c.data[i];
          for (gint64 k = 0; k < n; k++)
            idx[k] = g_rand_int_range (rand, 0, leaves[i].range);
          c.values[i] = gcut_input_indices (graph, "idx", n);
          continue;
        }
      for (gint64 k = 0; k < n; k++)
        c.data[i][k] = g_rand_double_range (rand, leaves[i].lo, leaves[i].hi);
      c.values[i] = leaves[i].kind == GC_PARAM
                        ? gcut_param (graph, "p", leaves[i].shape, c.data[i], grads[i])
                        : gcut_input (graph, "x", leaves[i].shape);
      wrt[n_wrt++] = c.values[i];
    }
  c.out = build (graph, c.values, user_data);
  g_assert_true (gcut_graph_check (graph, &error));
  g_assert_no_error (error);
  c.plan = gcut_plan_new (graph, gcut_backend_cpu (),
                          &(GcutPlanSpec){ .outputs = &c.out,
                                           .n_outputs = 1,
                                           .seeds = &c.out,
                                           .n_seeds = 1,
                                           .wrt = wrt,
                                           .n_wrt = n_wrt,
                                           .block = block },
                          &error);
  g_assert_no_error (error);

  for (int i = 0; i < n_leaves; i++)
    if (leaves[i].kind == GC_INDICES)
      g_assert_true (
          gcut_plan_set_indices (c.plan, c.values[i], (gint32 *)c.data[i], NULL));
  GcutShape oshape = gcut_graph_shape (graph, c.out);
  c.n_out = gc_numel (&oshape);
  c.out_data = g_new (float, c.n_out);
  c.r = g_new (float, c.n_out);
  for (gint64 k = 0; k < c.n_out; k++)
    c.r[k] = g_rand_double_range (rand, -1, 1);

  loss (&c);
  g_assert_true (gcut_plan_set_seed (c.plan, c.out, c.r, NULL));
  g_assert_true (gcut_plan_backward (c.plan, &error));
  for (int i = 0; i < n_leaves; i++)
    if (leaves[i].kind == GC_INPUT)
      g_assert_true (gcut_plan_get_grad (c.plan, c.values[i], grads[i], NULL));

  for (int i = 0; i < n_leaves; i++)
    {
      gint64 n = gc_numel (&leaves[i].shape);
      double scale = 1e-3, worst = 0;
      gint64 worst_at = -1;
      double worst_fd = 0;
      if (leaves[i].kind == GC_INDICES)
        continue;
      for (gint64 k = 0; k < n; k++)
        scale = MAX (scale, fabs (grads[i][k]));
      for (int probe = 0; probe < MIN (n, MAX_PROBES); probe++)
        {
          gint64 k = n <= MAX_PROBES ? probe : g_rand_int_range (rand, 0, n);
          double fd1 = central_difference (&c, &c.data[i][k], 2e-3f);
          double fd2 = central_difference (&c, &c.data[i][k], 1e-3f);
          probed++;
          if (fabs (fd1 - fd2) > 0.5 * tol * scale)
            {
              skipped++; /* not smooth here */
              continue;
            }
          double err = fabs (fd2 - grads[i][k]) / scale;
          if (err > worst)
            worst = err, worst_at = k, worst_fd = fd2;
        }
      if (worst > tol)
        {
          g_test_message ("%s, block %d, leaf %d: element %" G_GINT64_FORMAT
                          " analytic %.6g, numeric %.6g (error %.3g of scale %.3g)",
                          what, block, i, worst_at, grads[i][worst_at], worst_fd, worst,
                          scale);
          g_test_fail ();
        }
    }
  if (skipped * 20 > probed)
    {
      g_test_message ("%s, block %d: %d of %d points were not smooth", what, block,
                      skipped, probed);
      g_test_fail ();
    }

  gcut_plan_free (c.plan);
  for (int i = 0; i < n_leaves; i++)
    g_free (c.data[i]), g_free (grads[i]);
  g_free (c.out_data);
  g_free (c.r);
  g_rand_free (rand);
}

void
gc_check (const char *what, const GcLeaf *leaves, int n_leaves, GcBuildFunc build,
          gpointer user_data, const int *blocks, double tol)
{
  for (const int *b = blocks; *b; b++)
    check_block (what, leaves, n_leaves, build, user_data, *b, tol);
}
