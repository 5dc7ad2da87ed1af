/* Gradient checks of the oneDNN-backed kernels (convolutions, transposed
 * convolutions, linear layers, and the bias gradients they use), the shape
 * errors of their builders, and forward parity with naive direct loops. */
#include <math.h>
#include "gradcheck.h"
#include "test-util.h"

static const int all_blocks[] = { 1, 8, 16, 0 };

/* One convolution, or with transposed a transposed one: weight (C_out, C_in /
 * groups, k, k), or (C_in, C_out / groups, k, k). */
typedef struct
{
  const char *path;
  int n, c_in, h, w, c_out, k, stride, padding, output_padding, groups;
  gboolean bias, transposed;
  GcAct act;
} ConvCase;

static const ConvCase conv_cases[] = {
  { "/ops/conv2d/k1", 2, 16, 5, 6, 16, 1, 1, 0, 0, 1, TRUE },
  { "/ops/conv2d/k3-p1", 2, 16, 6, 5, 32, 3, 1, 1, 0, 1, TRUE },
  { "/ops/conv2d/k3-s2-p1-no-bias", 1, 16, 7, 8, 16, 3, 2, 1, 0, 1, FALSE },
  { "/ops/conv2d/k3-s2-p0-uneven", 1, 16, 8, 7, 16, 3, 2, 0, 0, 1, TRUE },
  { "/ops/conv2d/k4-s2-p1", 1, 16, 8, 9, 32, 4, 2, 1, 0, 1, TRUE },
  { "/ops/conv2d/k7-p3-rgb-in", 1, 3, 9, 8, 16, 7, 1, 3, 0, 1, TRUE },
  { "/ops/conv2d/k7-p3-rgb-out", 1, 16, 6, 6, 3, 7, 1, 3, 0, 1, TRUE },
  { "/ops/conv2d/groups-2", 1, 32, 6, 6, 32, 3, 1, 1, 0, 2, TRUE },
  { "/ops/conv2d/depthwise", 2, 16, 7, 6, 16, 3, 2, 1, 0, 16, FALSE },
  { "/ops/conv2d/depthwise-bias", 1, 32, 5, 5, 32, 3, 1, 1, 0, 32, TRUE },
  { "/ops/conv2d/bias-grad-chunks", 1, 16, 72, 64, 16, 1, 1, 0, 0, 1, TRUE },
  { "/ops/conv2d/fused-relu", 1, 16, 4, 4, 16, 3, 1, 1, 0, 1, TRUE, FALSE, GC_ACT_RELU },
  { "/ops/conv2d/fused-leaky-relu", 1, 16, 6, 7, 32, 4, 2, 1, 0, 1, TRUE, FALSE,
    GC_ACT_LEAKY_RELU },
  { "/ops/conv2d/fused-tanh", 1, 16, 6, 6, 3, 7, 1, 3, 0, 1, TRUE, FALSE, GC_ACT_TANH },
  { "/ops/conv-transpose2d/k3-s2-p1-op1", 1, 16, 5, 4, 16, 3, 2, 1, 1, 1, TRUE, TRUE },
  { "/ops/conv-transpose2d/k3-s2-p1-op1-no-bias", 2, 32, 3, 4, 16, 3, 2, 1, 1, 1, FALSE,
    TRUE },
  { "/ops/conv-transpose2d/k4-s2-p1", 1, 16, 4, 5, 32, 4, 2, 1, 0, 1, TRUE, TRUE },
  { "/ops/conv-transpose2d/groups-2", 1, 32, 4, 5, 16, 3, 2, 1, 1, 2, TRUE, TRUE },
  { "/ops/conv-transpose2d/depthwise", 1, 16, 5, 5, 16, 3, 2, 1, 1, 16, FALSE, TRUE },
};

static GcutShape
conv_weight_shape (const ConvCase *cc)
{
  if (cc->transposed)
    return gc_shape4 (cc->c_in, cc->c_out / cc->groups, cc->k, cc->k);
  return gc_shape4 (cc->c_out, cc->c_in / cc->groups, cc->k, cc->k);
}

static GcutValue
build_conv (GcutGraph *g, const GcutValue *leaf, gpointer data)
{
  const ConvCase *cc = data;
  GcutValue b = cc->bias ? leaf[2] : GCUT_NONE, y;

  if (cc->transposed)
    return gcut_conv_transpose2d (g, leaf[0], leaf[1], b, cc->stride, cc->padding,
                                  cc->output_padding, cc->groups);
  /* The plan fuses the activation into the convolution. */
  y = gcut_conv2d (g, leaf[0], leaf[1], b, cc->stride, cc->padding, cc->groups);
  return gc_activate (g, y, cc->act);
}

static void
test_conv (gconstpointer data)
{
  const ConvCase *cc = data;
  GcLeaf leaves[3]
      = { gc_image (cc->n, cc->c_in, cc->h, cc->w), gc_param (conv_weight_shape (cc)),
          gc_param (gc_shape1 (cc->c_out)) };
  gc_check (cc->path, leaves, cc->bias ? 3 : 2, build_conv, (gpointer)cc, all_blocks,
            1e-2);
}

typedef struct
{
  const char *path;
  int rows, in, out;
  gboolean bias;
} LinearCase;

static const LinearCase linear_cases[] = {
  { "/ops/linear/bias", 6, 16, 8, TRUE },
  { "/ops/linear/no-bias", 5, 7, 3, FALSE },
  /* more than one band of 64 columns in the bias gradient */
  { "/ops/linear/wide", 4, 9, 70, TRUE },
};

static GcutValue
build_linear (GcutGraph *g, const GcutValue *leaf, gpointer data)
{
  const LinearCase *lc = data;
  return gcut_linear (g, leaf[0], leaf[1], lc->bias ? leaf[2] : GCUT_NONE);
}

static void
test_linear (gconstpointer data)
{
  const LinearCase *lc = data;
  GcLeaf leaves[3] = { { GC_INPUT, { 2, { lc->rows, lc->in } }, -1.f, 1.f, 0 },
                       gc_param ((GcutShape){ 2, { lc->out, lc->in } }),
                       gc_param (gc_shape1 (lc->out)) };
  gc_check (lc->path, leaves, lc->bias ? 3 : 2, build_linear, (gpointer)lc, all_blocks,
            1e-2);
}

static void
conv_error (GcutShape x, GcutShape w, int stride, int padding, int groups,
            const char *message)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  gcut_conv2d (graph, gcut_input (graph, "x", x), gcut_param (graph, "w", w, NULL, NULL),
               GCUT_NONE, stride, padding, groups);
  gc_expect_graph_error (graph, message);
}

static void
test_conv_errors (void)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();

  conv_error (gc_shape4 (1, 4, 8, 8), gc_shape4 (8, 3, 3, 3), 1, 1, 1,
              "conv2d: weight has 3 input channels but x has 4");
  conv_error (gc_shape4 (1, 4, 3, 3), gc_shape4 (8, 4, 7, 7), 1, 1, 1,
              "kernel 7x7 is larger than the padded input 5x5");
  conv_error (gc_shape4 (1, 4, 8, 8), gc_shape4 (8, 4, 3, 3), 0, 1, 1,
              "the stride must be at least 1");
  conv_error (gc_shape4 (1, 6, 8, 8), gc_shape4 (8, 3, 3, 3), 1, 1, 4,
              "4 groups do not divide the 6 input");
  conv_error (gc_shape4 (1, 8, 8, 8), gc_shape4 (8, 2, 3, 3), 1, 1, 2,
              "weight has 2 input channels per group, 2 groups need 4 but x has 8");
  conv_error (gc_shape4 (1, 8, 8, 8), gc_shape4 (8, 8, 3, 3), 1, -1, 1,
              "the padding must not be negative");
  conv_error ((GcutShape){ 2, { 8, 8 } }, gc_shape4 (8, 8, 3, 3), 1, 1, 1,
              "input 0 must be a 4-dimensional float tensor, not (8, 8)");

  gcut_conv2d (graph, gcut_input (graph, "x", gc_shape4 (1, 4, 8, 8)),
               gcut_param (graph, "w", gc_shape4 (8, 4, 3, 3), NULL, NULL),
               gcut_param (graph, "b", gc_shape1 (4), NULL, NULL), 1, 1, 1);
  gc_expect_graph_error (graph,
                         "bias has 4 entries but the weight has 8 output channels");
}

static void
test_conv_transpose_errors (void)
{
  struct
  {
    GcutShape x, w;
    int stride, padding, output_padding, groups;
    const char *message;
  } cases[] = {
    { gc_shape4 (1, 4, 5, 5), gc_shape4 (3, 8, 3, 3), 2, 1, 1, 1,
      "transposed conv2d: weight has 3 input channels but x has 4" },
    { gc_shape4 (1, 4, 5, 5), gc_shape4 (4, 8, 3, 3), 2, 1, 2, 1,
      "the output padding must be smaller than the stride" },
    { gc_shape4 (1, 4, 5, 5), gc_shape4 (4, 8, 3, 3), 0, 1, 0, 1,
      "the stride must be at least 1" },
    { gc_shape4 (1, 6, 5, 5), gc_shape4 (6, 2, 3, 3), 2, 1, 1, 4,
      "4 groups do not divide the 6 input channels" },
    { gc_shape4 (1, 4, 1, 1), gc_shape4 (4, 8, 1, 1), 1, 1, 0, 1,
      "padding 1 leaves nothing of the 1x1 output" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GcutGraph) graph = gcut_graph_new ();
      gcut_conv_transpose2d (graph, gcut_input (graph, "x", cases[i].x),
                             gcut_param (graph, "w", cases[i].w, NULL, NULL), GCUT_NONE,
                             cases[i].stride, cases[i].padding, cases[i].output_padding,
                             cases[i].groups);
      gc_expect_graph_error (graph, cases[i].message);
    }
}

static void
test_linear_errors (void)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutGraph) graph2 = gcut_graph_new ();

  gcut_linear (graph, gcut_input (graph, "x", (GcutShape){ 2, { 3, 4 } }),
               gcut_param (graph, "w", (GcutShape){ 2, { 6, 5 } }, NULL, NULL),
               GCUT_NONE);
  gc_expect_graph_error (graph, "linear: weight has 5 input features but x has 4");
  gcut_linear (graph2, gcut_input (graph2, "x", (GcutShape){ 2, { 3, 4 } }),
               gcut_param (graph2, "w", (GcutShape){ 2, { 6, 4 } }, NULL, NULL),
               gcut_param (graph2, "b", gc_shape1 (5), NULL, NULL));
  gc_expect_graph_error (graph2, "bias has 5 entries but the weight has 6 outputs");
}

/* Forward parity with naive loops accumulating in double, as PyTorch defines
 * the ops. */
static double
at (const float *t, gint64 n, gint64 c, gint64 h, gint64 w, gint64 C, gint64 H, gint64 W)
{
  return t[((n * C + c) * H + h) * W + w];
}

static void
naive_conv (const ConvCase *cc, const float *x, const float *wt, const float *b,
            double *y, gint64 oh, gint64 ow)
{
  const int cig = cc->c_in / cc->groups, cog = cc->c_out / cc->groups, k = cc->k;
  for (int n = 0; n < cc->n; n++)
    for (int o = 0; o < cc->c_out; o++)
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
          {
            double sum = b[o];
            for (int ci = 0; ci < cig; ci++)
              for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++)
                  {
                    int h = i * cc->stride - cc->padding + kh;
                    int w = j * cc->stride - cc->padding + kw;
                    if (h < 0 || h >= cc->h || w < 0 || w >= cc->w)
                      continue;
                    sum += at (x, n, o / cog * cig + ci, h, w, cc->c_in, cc->h, cc->w)
                           * wt[((o * cig + ci) * k + kh) * k + kw];
                  }
            y[((n * cc->c_out + o) * oh + i) * ow + j] = sum;
          }
}

static void
naive_conv_transpose (const ConvCase *cc, const float *x, const float *wt, const float *b,
                      double *y, gint64 oh, gint64 ow)
{
  const int cig = cc->c_in / cc->groups, cog = cc->c_out / cc->groups, k = cc->k;
  for (int n = 0; n < cc->n; n++)
    for (int o = 0; o < cc->c_out; o++)
      for (gint64 i = 0; i < oh * ow; i++)
        y[(n * cc->c_out + o) * oh * ow + i] = b[o];
  for (int n = 0; n < cc->n; n++)
    for (int ci = 0; ci < cc->c_in; ci++)
      for (int co = 0; co < cog; co++)
        for (int i = 0; i < cc->h; i++)
          for (int j = 0; j < cc->w; j++)
            for (int kh = 0; kh < k; kh++)
              for (int kw = 0; kw < k; kw++)
                {
                  gint64 h = i * cc->stride - cc->padding + kh;
                  gint64 w = j * cc->stride - cc->padding + kw;
                  int o = ci / cig * cog + co;
                  if (h < 0 || h >= oh || w < 0 || w >= ow)
                    continue;
                  y[((n * cc->c_out + o) * oh + h) * ow + w]
                      += at (x, n, ci, i, j, cc->c_in, cc->h, cc->w)
                         * wt[((ci * cog + co) * k + kh) * k + kw];
                }
}

static void
check_parity (const ConvCase *cc, int block)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GcutPlan) plan = NULL;
  GRand *rand = g_rand_new_with_seed (42);
  GcutShape ws = conv_weight_shape (cc), ys;
  gint64 nx = (gint64)cc->n * cc->c_in * cc->h * cc->w;
  gint64 nw = gcut_shape_numel (&ws), ny;
  g_autofree float *x = g_new (float, nx), *wt = g_new (float, nw);
  g_autofree float *b = g_new (float, cc->c_out), *y = NULL;
  g_autofree double *ref = NULL;
  GcutValue leaf[3], out;

  for (gint64 i = 0; i < nx; i++)
    x[i] = g_rand_double_range (rand, -1, 1);
  for (gint64 i = 0; i < nw; i++)
    wt[i] = g_rand_double_range (rand, -0.5, 0.5);
  for (int i = 0; i < cc->c_out; i++)
    b[i] = g_rand_double_range (rand, -0.5, 0.5);
  g_rand_free (rand);

  leaf[0] = gcut_input (graph, "x", gc_shape4 (cc->n, cc->c_in, cc->h, cc->w));
  leaf[1] = gcut_param (graph, "w", ws, wt, NULL);
  leaf[2] = gcut_param (graph, "b", gc_shape1 (cc->c_out), b, NULL);
  out = build_conv (graph, leaf, (gpointer)cc);
  plan = gcut_plan_new (
      graph, gcut_backend_cpu (),
      &(GcutPlanSpec){ .outputs = &out, .n_outputs = 1, .block = block }, &error);
  g_assert_no_error (error);
  ys = gcut_graph_shape (graph, out);
  ny = gcut_shape_numel (&ys);
  y = g_new (float, ny);
  ref = g_new (double, ny);
  g_assert_true (gcut_plan_set_input (plan, leaf[0], x, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, out, y, &error));

  if (cc->transposed)
    naive_conv_transpose (cc, x, wt, b, ref, ys.dims[2], ys.dims[3]);
  else
    naive_conv (cc, x, wt, b, ref, ys.dims[2], ys.dims[3]);
  for (gint64 i = 0; i < ny; i++)
    if (fabs (y[i] - ref[i]) > 1e-4 * (1.0 + fabs (ref[i])))
      g_error ("%s, block %d: element %" G_GINT64_FORMAT " is %.7g, expected %.7g",
               cc->path, block, i, y[i], ref[i]);
}

static void
test_parity (gconstpointer data)
{
  for (const int *b = all_blocks; *b; b++)
    check_parity (data, *b);
}

static const ConvCase parity_cases[] = {
  { "/ops/parity/conv2d-groups", 2, 32, 9, 7, 16, 3, 2, 1, 0, 2, TRUE },
  { "/ops/parity/conv-transpose2d-groups", 2, 32, 5, 4, 16, 3, 2, 1, 1, 2, TRUE, TRUE },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    g_test_add_data_func (conv_cases[i].path, &conv_cases[i], test_conv);
  for (guint i = 0; i < G_N_ELEMENTS (linear_cases); i++)
    g_test_add_data_func (linear_cases[i].path, &linear_cases[i], test_linear);
  for (guint i = 0; i < G_N_ELEMENTS (parity_cases); i++)
    g_test_add_data_func (parity_cases[i].path, &parity_cases[i], test_parity);
  g_test_add_func ("/ops/errors/conv2d", test_conv_errors);
  g_test_add_func ("/ops/errors/conv-transpose2d", test_conv_transpose_errors);
  g_test_add_func ("/ops/errors/linear", test_linear_errors);
  return g_test_run ();
}
