/* Plans: argument checking, memory reuse and layouts. */
#include <math.h>
#include "gradcheck.h"
#include "test-util.h"
#include "tiny-step.h"

/* Plain and channel-blocked layouts compute the same step. */
static void
test_layouts_agree (void)
{
  const int blocks[] = { 1, 8, 16 };
  float x[3 * 32 * 32], *seeds[3];
  g_autofree float *ref_grad = NULL;
  float ref_fake[3 * 32 * 32], fake[3 * 32 * 32];
  gint32 idx[16];
  gsize n_grad;

  gc_fill_random (x, G_N_ELEMENTS (x), -1, 1, 6);
  for (int i = 0; i < 16; i++)
    idx[i] = (i * 29) % 64;
  for (int b = 0; b < 3; b++)
    {
      Step s;
      GcutValue values[3];
      step_init (&s, blocks[b], 32);
      values[0] = s.fake, values[1] = s.logits, values[2] = s.feat;
      for (int i = 0; i < 3; i++)
        {
          GcutShape shape = gcut_graph_shape (s.graph, values[i]);
          seeds[i] = gc_random_floats (gc_numel (&shape), -1, 1, 20 + i);
        }
      step_run (&s, x, idx, seeds);
      g_assert_true (gcut_plan_get_output (s.plan, s.fake, b ? fake : ref_fake, NULL));
      float *grad = gcut_network_grads (s.G, &n_grad);
      if (b == 0)
        ref_grad = g_memdup2 (grad, n_grad * sizeof (float));
      else
        {
          double worst = 0, scale = 0;
          for (gsize i = 0; i < G_N_ELEMENTS (fake); i++)
            worst = MAX (worst, fabs (fake[i] - ref_fake[i]));
          g_assert_cmpfloat (worst, <, 1e-5);
          worst = 0;
          for (gsize i = 0; i < n_grad; i++)
            {
              worst = MAX (worst, fabs (grad[i] - ref_grad[i]));
              scale = MAX (scale, fabs (ref_grad[i]));
            }
          g_assert_cmpfloat (worst, <, 1e-4 * scale);
        }
      for (int i = 0; i < 3; i++)
        g_free (seeds[i]);
      step_clear (&s);
    }
}

/* Dead intermediates share memory: the arena of a long chain stays far below
 * the sum of its values. */
static void
test_arena_reuse (void)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  GcutShape shape = { 4, { 1, 16, 64, 64 } };
  GcutValue x = gcut_input (graph, "x", shape), y = x;
  g_autoptr (GError) error = NULL;
  for (int i = 0; i < 20; i++)
    y = i % 2 ? gcut_relu (graph, y) : gcut_tanh (graph, y);
  g_autoptr (GcutPlan) plan
      = gcut_plan_new (graph, gcut_backend_cpu (),
                       &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1 }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gcut_plan_arena_size (plan), <=, 3 * gc_numel (&shape) * 4 + 256);
}

/* The values of `out` for input `in` of a plan over graph; its arena size. */
static gsize
run_plan (GcutGraph *graph, GcutValue x, const float *in, const GcutValue *out, int n_out,
          float **got)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcutPlan) plan
      = gcut_plan_new (graph, gcut_backend_cpu (),
                       &(GcutPlanSpec){ .outputs = out, .n_outputs = n_out }, &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, x, in, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  for (int i = 0; i < n_out; i++)
    g_assert_true (gcut_plan_get_output (plan, out[i], got[i], &error));
  g_assert_no_error (error);
  return gcut_plan_arena_size (plan);
}

/* Elementwise ops and copies write over an input nothing reads later, and only
 * then: tanh → leaky ReLU → reshape → fill diagonal → tanh lives in one
 * value's memory next to the input's, while a ReLU whose input an add reads
 * again leaves it intact. */
static void
test_in_place (void)
{
  const int n = 48;
  g_autoptr (GcutGraph) chain = gcut_graph_new (), branch = gcut_graph_new ();
  GcutShape image = { 4, { 1, 1, n, n } }, matrix = { 2, { n, n } };
  GcutValue x = gcut_input (chain, "x", image), y = gcut_tanh (chain, x);
  GcutValue bx = gcut_input (branch, "x", image), a = gcut_tanh (branch, bx), sum;
  float in[48 * 48], got[2][48 * 48], *outs[] = { got[0], got[1] };

  y = gcut_reshape (chain, gcut_leaky_relu (chain, y, 0.2f), matrix);
  y = gcut_tanh (chain, gcut_fill_diagonal (chain, y, 3.f));
  sum = gcut_add (branch, a, gcut_relu (branch, a));
  gc_fill_random (in, G_N_ELEMENTS (in), -2, 2, 4);
  g_assert_cmpuint (run_plan (chain, x, in, &y, 1, outs), <=, 2 * sizeof in + 64);
  run_plan (branch, bx, in, &sum, 1, outs + 1);
  for (int i = 0; i < n * n; i++)
    {
      float t = tanhf (in[i]), leaky = t > 0 ? t : 0.2f * t;
      g_assert_cmpfloat_with_epsilon (got[0][i], tanhf (i / n == i % n ? 3.f : leaky),
                                      1e-6);
      g_assert_cmpfloat_with_epsilon (got[1][i], t + MAX (t, 0.f), 1e-6);
    }
}

/* A forward pass in two parts: as far as a = tanh(x), then the rest, which
 * reads the parameter as it is after the first part; an input set in between
 * restarts the pass, and a backward pass needs the whole forward pass. */
static void
test_forward_until (void)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutShape shape = { 2, { 3, 4 } };
  float x[12], x2[12], w[12], a[12], c[12];
  GcutValue xv = gcut_input (graph, "x", shape), av = gcut_tanh (graph, xv);
  GcutValue cv = gcut_mul (graph, av, gcut_param (graph, "w", shape, w, NULL));
  GcutValue out[] = { av, cv };

  gc_fill_random (x, 12, -2, 2, 1);
  gc_fill_random (x2, 12, -2, 2, 2);
  gc_fill_random (w, 12, -2, 2, 3);
  g_autoptr (GcutPlan) plan
      = gcut_plan_new (graph, gcut_backend_cpu (),
                       &(GcutPlanSpec){ .outputs = out, .n_outputs = 2 }, &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, xv, x, &error));
  g_assert_true (gcut_plan_forward_until (plan, av, &error));
  g_assert_false (gcut_plan_backward (plan, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (gcut_plan_get_output (plan, av, a, &error));
  for (int i = 0; i < 12; i++)
    {
      g_assert_cmpfloat_with_epsilon (a[i], tanhf (x[i]), 1e-6);
      w[i] = 2.0f * i; /* changed after the first part */
    }
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, cv, c, &error));
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (c[i], tanhf (x[i]) * 2.0f * i, 1e-5);

  g_assert_true (gcut_plan_forward_until (plan, av, &error));
  g_assert_true (gcut_plan_set_input (plan, xv, x2, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, cv, c, &error));
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (c[i], tanhf (x2[i]) * 2.0f * i, 1e-5);
  g_assert_false (gcut_plan_forward_until (plan, 1000, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
}

/* Elementwise ops over images of one shape run on channel-blocked layouts (R1
 * multiplies D's activations by their frozen slopes) and agree with plain
 * ones, forward and backward. */
static void
test_blocked_elementwise (void)
{
  GcutShape shape = { 4, { 2, 16, 5, 3 } };
  float a[480], b[480], seed[480], y[2][480], ga[2][480];

  gc_fill_random (a, 480, -2, 2, 1);
  gc_fill_random (b, 480, -2, 2, 2);
  gc_fill_random (seed, 480, -1, 1, 3);
  for (int k = 0; k < 2; k++)
    {
      g_autoptr (GcutGraph) graph = gcut_graph_new ();
      g_autoptr (GError) error = NULL;
      GcutValue av = gcut_input (graph, "a", shape), bv = gcut_input (graph, "b", shape);
      GcutValue yv = gcut_add (graph, gcut_tanh (graph, gcut_mul (graph, av, bv)),
                               gcut_sub (graph, av, bv));
      g_autoptr (GcutPlan) plan = gcut_plan_new (graph, gcut_backend_cpu (),
                                                 &(GcutPlanSpec){ .outputs = &yv,
                                                                  .n_outputs = 1,
                                                                  .seeds = &yv,
                                                                  .n_seeds = 1,
                                                                  .wrt = &av,
                                                                  .n_wrt = 1,
                                                                  .block = k ? 16 : 1 },
                                                 &error);
      g_assert_no_error (error);
      g_assert_true (gcut_plan_set_input (plan, av, a, &error)
                     && gcut_plan_set_input (plan, bv, b, &error)
                     && gcut_plan_forward (plan, &error)
                     && gcut_plan_get_output (plan, yv, y[k], &error)
                     && gcut_plan_set_seed (plan, yv, seed, &error)
                     && gcut_plan_backward (plan, &error)
                     && gcut_plan_get_grad (plan, av, ga[k], &error));
    }
  for (int i = 0; i < 480; i++)
    {
      g_assert_cmpfloat (y[1][i], ==, y[0][i]);
      g_assert_cmpfloat (ga[1][i], ==, ga[0][i]);
    }
}

static void
test_bad_shapes (void)
{
  {
    g_autoptr (GcutGraph) graph = gcut_graph_new ();
    gcut_input (graph, "x", (GcutShape){ 4, { 1, 3, 0, 8 } });
    gc_expect_graph_error (graph, "empty");
  }
  {
    g_autoptr (GcutGraph) graph = gcut_graph_new ();
    gcut_input (graph, "x", (GcutShape){ 4, { 1 << 20, 1 << 20, 1 << 20, 8 } });
    gc_expect_graph_error (graph, "too large");
  }
  {
    /* the first error stays; later calls are no-ops */
    g_autoptr (GcutGraph) graph = gcut_graph_new ();
    GcutValue a = gcut_input (graph, "a", (GcutShape){ 4, { 1, 3, 8, 8 } });
    GcutValue b = gcut_input (graph, "b", (GcutShape){ 4, { 1, 3, 8, 9 } });
    GcutValue c = gcut_add (graph, a, b);
    g_assert_cmpint (c, ==, GCUT_NONE);
    g_assert_cmpint (gcut_relu (graph, c), ==, GCUT_NONE);
    gc_expect_graph_error (graph, "add");
  }
  {
    g_autoptr (GcutGraph) graph = gcut_graph_new ();
    g_autoptr (GError) error = NULL;
    GcutValue x = gcut_input (graph, "x", (GcutShape){ 4, { 1, 3, 8, 8 } });
    GcutValue y = gcut_relu (graph, x);
    g_autoptr (GcutPlan) plan
        = gcut_plan_new (graph, gcut_backend_cpu (),
                         &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1 }, NULL);
    float data[3 * 64];
    /* reading a value that is not an output, backward without a pass */
    g_assert_false (gcut_plan_get_output (plan, x + 5, data, &error));
    g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (gcut_plan_set_input (plan, y, data, &error));
    g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (gcut_plan_backward (plan, &error));
    g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_bad_indices (void)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutValue x = gcut_input (graph, "x", (GcutShape){ 4, { 1, 4, 3, 3 } });
  GcutValue idx = gcut_input_indices (graph, "idx", 2);
  GcutValue y = gcut_gather_locations (graph, x, idx);
  g_autoptr (GcutPlan) plan
      = gcut_plan_new (graph, gcut_backend_cpu (),
                       &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1 }, &error);
  const gint32 bad[2] = { 0, 9 };
  g_assert_no_error (error);
  g_assert_false (gcut_plan_set_indices (plan, idx, bad, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "outside"));
}

/* One weight in two convolutions (as CUT's encoder, run on the image and on
 * its translation): the weight's gradient is the sum of both. */
static GcutValue
build_shared_weight (GcutGraph *graph, const GcutValue *leaves, gpointer data)
{
  GcutValue a = gcut_conv2d (graph, leaves[0], leaves[1], GCUT_NONE, 1, 1, 1);
  GcutValue b
      = gcut_conv2d (graph, gcut_tanh (graph, leaves[0]), leaves[1], GCUT_NONE, 1, 1, 1);
  return gcut_add (graph, a, b);
}

static void
test_shared_weight (void)
{
  static const int blocks[] = { 1, 16, 0 };
  GcLeaf leaves[2]
      = { gc_image (1, 16, 6, 5), gc_param ((GcutShape){ 4, { 16, 16, 3, 3 } }) };
  gc_check ("shared weight", leaves, 2, build_shared_weight, NULL, blocks, 1e-2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plan/layouts-agree", test_layouts_agree);
  g_test_add_func ("/plan/arena-reuse", test_arena_reuse);
  g_test_add_func ("/plan/in-place", test_in_place);
  g_test_add_func ("/plan/forward-until", test_forward_until);
  g_test_add_func ("/plan/blocked-elementwise", test_blocked_elementwise);
  g_test_add_func ("/plan/bad-shapes", test_bad_shapes);
  g_test_add_func ("/plan/bad-indices", test_bad_indices);
  g_test_add_func ("/plan/shared-weight", test_shared_weight);
  return g_test_run ();
}
