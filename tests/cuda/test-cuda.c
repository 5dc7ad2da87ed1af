/* The CUDA backend against the CPU backend: every op forward and backward
 * (the gcut-math.h ops and the training losses built from them at P = 256 with
 * tighter bounds, MATH_OUT_TOL and MATH_GRAD_TOL), then small G, D and F
 * training-like steps and the real 256² generator.
 *
 * Each case builds one graph, runs it on both backends (CPU in its default
 * layout, CUDA in plain NCHW, both in exact precision) with the same leaves
 * and seeds, and compares per tensor: outputs within OUT_TOL, gradients within
 * GRAD_TOL of the reference tensor's largest magnitude (for network parameter
 * gradients at least 1% of the largest in the network, since some are exactly
 * 0 in theory, e.g. biases before an instance norm; see GRAD_TOL_256_NORMED
 * for the one exception).  The worst errors are printed (every one with
 * GCUT_TEST_VERBOSE=1).  Without the module or a GPU the test exits 77
 * (skipped). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gcut/gcut.h>

#include "gct-losses.h"

#define OUT_TOL 1e-4
#define GRAD_TOL 1e-3
/* The weight gradients of convolutions followed by instance norm at 256x256
 * are sums of ~65k terms that nearly cancel (the norm removes each channel's
 * mean): two fp32 computations differ by up to a few percent of the largest
 * entry.  Measured on an H100: PyTorch fp32 on the GPU against float64 3.6e-2,
 * PyTorch fp32 on the CPU against float64 8.5e-3, PyTorch GPU against CPU
 * 3.6e-2; ours (CUDA against our CPU) 4.2e-2.  Those tensors get this bound;
 * everything else in that case keeps GRAD_TOL. */
#define GRAD_TOL_256_NORMED 6e-2

/* the activations the test applies after an op */
enum
{
  ACT_NONE,
  ACT_RELU,
  ACT_LEAKY_RELU,
  ACT_TANH
};

static GcutBackend *cuda;
static int failures;

typedef enum
{
  LEAF_INPUT,
  LEAF_PARAM,
  LEAF_INDICES
} LeafKind;

typedef struct
{
  LeafKind kind;
  GcutShape shape;
  gint64 range; /* indices: distinct values below this; inputs: when > 0,
                   rounded to multiples of 1/range (ties) */
} Leaf;

typedef GcutValue (*Build) (GcutGraph *graph, const GcutValue *leaves, gpointer data);

static gint64
numel (GcutShape s)
{
  gint64 n = 1;
  for (int i = 0; i < s.n_dims; i++)
    n *= s.dims[i];
  return n;
}

static void
fill (float *p, gint64 n, GRand *rand)
{
  for (gint64 i = 0; i < n; i++)
    p[i] = g_rand_double_range (rand, -1, 1);
}

/* max |a − b| / max (max |ref|, floor); prints and counts a failure. */
static double
compare (const char *what, const char *part, const float *ours, const float *ref,
         gint64 n, double floor, double tol)
{
  double worst = 0, scale = floor;
  for (gint64 i = 0; i < n; i++)
    {
      double d = fabs ((double)ours[i] - ref[i]);
      worst = isnan (d) ? INFINITY : MAX (worst, d);
      scale = MAX (scale, fabs (ref[i]));
    }
  double rel = worst / MAX (scale, 1e-30);
  gboolean ok = rel <= tol;
  if (!ok || g_getenv ("GCUT_TEST_VERBOSE"))
    printf ("  %-44s %-12s rel err %.3g (max |d| %.3g, scale %.3g)%s\n", what, part, rel,
            worst, scale, ok ? "" : "  FAIL");
  if (!ok)
    failures++;
  return rel;
}

typedef struct
{
  double out, grad; /* the worst relative errors seen */
} Worst;

static Worst worst_ops, worst_math;
/* the tolerances check_op applies (tightened for the gcut-math.h ops) */
static double op_out_tol = OUT_TOL, op_grad_tol = GRAD_TOL;
static Worst *op_worst = &worst_ops;

/* Runs the graph of `build` on backend b and fills out and grads (one buffer
 * per differentiated leaf, in leaf order). */
static void
run_case (GcutBackend *b, const Leaf *leaves, int n, Build build, gpointer data,
          float **leaf_data, const float *seed_data, float *out, float **grads)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutValue v[8], wrt[8], y;
  int n_wrt = 0;

  for (int i = 0; i < n; i++)
    {
      if (leaves[i].kind == LEAF_INDICES)
        v[i] = gcut_input_indices (graph, "idx", leaves[i].shape.dims[0]);
      else if (leaves[i].kind == LEAF_PARAM)
        {
          memset (grads[i], 0, numel (leaves[i].shape) * 4);
          v[i] = gcut_param (graph, "p", leaves[i].shape, leaf_data[i], grads[i]);
        }
      else
        v[i] = gcut_input (graph, "x", leaves[i].shape);
      if (leaves[i].kind != LEAF_INDICES)
        wrt[n_wrt++] = v[i];
    }
  y = build (graph, v, data);
  g_autoptr (GcutPlan) plan = gcut_plan_new (
      graph, b, &(GcutPlanSpec){ &y, 1, &y, 1, wrt, n_wrt, 0, GCUT_PRECISION_EXACT },
      &error);
  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    if (leaves[i].kind == LEAF_INDICES)
      g_assert_true (gcut_plan_set_indices (plan, v[i], (gint32 *)leaf_data[i], NULL));
    else if (leaves[i].kind == LEAF_INPUT)
      g_assert_true (gcut_plan_set_input (plan, v[i], leaf_data[i], NULL));
  g_assert_true (gcut_plan_forward (plan, NULL));
  g_assert_true (gcut_plan_get_output (plan, y, out, NULL));
  g_assert_true (gcut_plan_set_seed (plan, y, seed_data, NULL));
  g_assert_true (gcut_plan_backward (plan, NULL));
  for (int i = 0; i < n; i++)
    if (leaves[i].kind == LEAF_INPUT)
      g_assert_true (gcut_plan_get_grad (plan, v[i], grads[i], NULL));
}

static void
check_op (const char *what, const Leaf *leaves, int n, Build build, gpointer data)
{
  GRand *rand = g_rand_new_with_seed (g_str_hash (what));
  float *leaf_data[8], *grads[2][8];
  gint64 n_out;

  for (int i = 0; i < n; i++)
    {
      gint64 m = numel (leaves[i].shape);
      leaf_data[i] = g_new (float, m);
      grads[0][i] = g_new0 (float, m);
      grads[1][i] = g_new0 (float, m);
      if (leaves[i].kind == LEAF_INDICES)
        {
          gint32 *idx = (gint32 *)leaf_data[i];
          for (gint64 j = 0; j < m; j++)
            {
              gboolean fresh;
              do
                {
                  idx[j] = g_rand_int_range (rand, 0, leaves[i].range);
                  fresh = TRUE;
                  for (gint64 k = 0; k < j; k++)
                    fresh &= idx[k] != idx[j];
                }
              while (!fresh);
            }
        }
      else
        {
          fill (leaf_data[i], m, rand);
          for (gint64 j = 0; leaves[i].range > 0 && j < m; j++)
            leaf_data[i][j]
                = roundf (leaf_data[i][j] * leaves[i].range) / leaves[i].range;
        }
    }
  {
    g_autoptr (GcutGraph) g = gcut_graph_new ();
    GcutValue v[8];
    for (int i = 0; i < n; i++)
      v[i] = leaves[i].kind == LEAF_INDICES
                 ? gcut_input_indices (g, "idx", leaves[i].shape.dims[0])
                 : gcut_input (g, "x", leaves[i].shape);
    n_out = numel (gcut_graph_shape (g, build (g, v, data)));
  }
  g_autofree float *seed = g_new (float, n_out);
  g_autofree float *out_cpu = g_new (float, n_out);
  g_autofree float *out_cuda = g_new (float, n_out);
  fill (seed, n_out, rand);
  run_case (gcut_backend_cpu (), leaves, n, build, data, leaf_data, seed, out_cpu,
            grads[0]);
  run_case (cuda, leaves, n, build, data, leaf_data, seed, out_cuda, grads[1]);
  double e = compare (what, "output", out_cuda, out_cpu, n_out, 0, op_out_tol);
  op_worst->out = MAX (op_worst->out, e); /* MAX evaluates its arguments twice */
  for (int i = 0; i < n; i++)
    {
      char part[32];
      g_snprintf (part, sizeof part, "grad %d", i);
      if (leaves[i].kind != LEAF_INDICES)
        {
          e = compare (what, part, grads[1][i], grads[0][i], numel (leaves[i].shape), 0,
                       op_grad_tol);
          op_worst->grad = MAX (op_worst->grad, e);
        }
      g_free (leaf_data[i]);
      g_free (grads[0][i]);
      g_free (grads[1][i]);
    }
  g_rand_free (rand);
}

/* ---- ops ---- */

static GcutShape
s1 (gint64 n)
{
  return (GcutShape){ 1, { n } };
}

static GcutShape
s2 (gint64 r, gint64 c)
{
  return (GcutShape){ 2, { r, c } };
}

static GcutShape
s4 (gint64 n, gint64 c, gint64 h, gint64 w)
{
  return (GcutShape){ 4, { n, c, h, w } };
}

typedef struct
{
  int stride, padding, output_padding, groups;
  gboolean transposed, bias;
  int act;
} ConvCase;

static GcutValue
apply_act (GcutGraph *g, GcutValue v, int act)
{
  switch (act)
    {
    case ACT_RELU:
      return gcut_relu (g, v);
    case ACT_LEAKY_RELU:
      return gcut_leaky_relu (g, v, 0.2f);
    case ACT_TANH:
      return gcut_tanh (g, v);
    default:
      return v;
    }
}

static GcutValue
build_conv (GcutGraph *g, const GcutValue *l, gpointer data)
{
  const ConvCase *c = data;
  GcutValue b = c->bias ? l[2] : GCUT_NONE;
  GcutValue y = c->transposed
                    ? gcut_conv_transpose2d (g, l[0], l[1], b, c->stride, c->padding,
                                             c->output_padding, c->groups)
                    : gcut_conv2d (g, l[0], l[1], b, c->stride, c->padding, c->groups);
  return apply_act (g, y, c->act);
}

static void
test_convs (void)
{
  static const struct
  {
    const char *what;
    ConvCase c;
    GcutShape x, w;
    gint64 cout;
  } cases[] = {
    { "conv 3x3 pad 1 + bias",
      { 1, 1, 0, 1, FALSE, TRUE },
      { 4, { 2, 6, 9, 11 } },
      { 4, { 4, 6, 3, 3 } },
      4 },
    { "conv 3x3 stride 2 + ReLU",
      { 2, 1, 0, 1, FALSE, FALSE, ACT_RELU },
      { 4, { 2, 6, 9, 11 } },
      { 4, { 5, 6, 3, 3 } },
      5 },
    { "conv 4x4 stride 2 + leaky",
      { 2, 1, 0, 1, FALSE, TRUE, ACT_LEAKY_RELU },
      { 4, { 1, 3, 16, 14 } },
      { 4, { 8, 3, 4, 4 } },
      8 },
    { "conv 7x7 pad 0 + bias",
      { 1, 0, 0, 1, FALSE, TRUE },
      { 4, { 1, 8, 14, 13 } },
      { 4, { 3, 8, 7, 7 } },
      3 },
    { "conv grouped",
      { 1, 1, 0, 2, FALSE, TRUE },
      { 4, { 2, 6, 8, 8 } },
      { 4, { 4, 3, 3, 3 } },
      4 },
    { "conv 1x1 + tanh",
      { 1, 0, 0, 1, FALSE, TRUE, ACT_TANH },
      { 4, { 2, 5, 6, 7 } },
      { 4, { 3, 5, 1, 1 } },
      3 },
    { "transposed conv s2 op1 + bias",
      { 2, 1, 1, 1, TRUE, TRUE },
      { 4, { 2, 6, 5, 7 } },
      { 4, { 6, 4, 3, 3 } },
      4 },
    { "transposed conv s1",
      { 1, 1, 0, 1, TRUE, FALSE },
      { 4, { 1, 4, 6, 6 } },
      { 4, { 4, 3, 3, 3 } },
      3 },
    { "transposed conv grouped",
      { 2, 0, 0, 2, TRUE, TRUE },
      { 4, { 1, 4, 5, 5 } },
      { 4, { 4, 3, 2, 2 } },
      6 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Leaf l[3] = { { LEAF_INPUT, cases[i].x },
                    { LEAF_PARAM, cases[i].w },
                    { LEAF_PARAM, s1 (cases[i].cout) } };
      check_op (cases[i].what, l, cases[i].c.bias ? 3 : 2, build_conv,
                (gpointer)&cases[i].c);
    }
}

typedef struct
{
  GcutPadMode mode;
  int pad[4];
} PadCase;

static GcutValue
build_pad (GcutGraph *g, const GcutValue *l, gpointer data)
{
  const PadCase *c = data;
  return gcut_pad (g, l[0], c->mode, c->pad[0], c->pad[1], c->pad[2], c->pad[3]);
}

static void
test_pads (void)
{
  static const PadCase cases[] = { { GCUT_PAD_REFLECT, { 3, 3, 3, 3 } },
                                   { GCUT_PAD_REFLECT, { 1, 2, 0, 3 } },
                                   { GCUT_PAD_REPLICATE, { 1, 1, 1, 1 } },
                                   { GCUT_PAD_REPLICATE, { 4, 0, 2, 5 } },
                                   { GCUT_PAD_ZERO, { 1, 2, 0, 3 } } };
  Leaf x = { LEAF_INPUT, s4 (2, 3, 7, 6) };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char what[64];
      g_snprintf (what, sizeof what, "pad mode %d (%d,%d,%d,%d)", cases[i].mode,
                  cases[i].pad[0], cases[i].pad[1], cases[i].pad[2], cases[i].pad[3]);
      check_op (what, &x, 1, build_pad, (gpointer)&cases[i]);
    }
}

typedef struct
{
  int n_affine;
  int act;
} NormCase;

static GcutValue
build_norm (GcutGraph *g, const GcutValue *l, gpointer data)
{
  const NormCase *c = data;
  GcutValue y = gcut_instance_norm (g, l[0], c->n_affine > 0 ? l[1] : GCUT_NONE,
                                    c->n_affine > 1 ? l[2] : GCUT_NONE, 1e-5f);
  return apply_act (g, y, c->act);
}

static void
test_norms (void)
{
  static const NormCase cases[]
      = { { 0, ACT_NONE }, { 2, ACT_RELU }, { 1, ACT_LEAKY_RELU }, { 2, ACT_TANH } };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char what[64];
      Leaf l[3] = { { LEAF_INPUT, s4 (2, 5, 9, 7) },
                    { LEAF_PARAM, s1 (5) },
                    { LEAF_PARAM, s1 (5) } };
      g_snprintf (what, sizeof what, "instance norm, %d affine, act %d",
                  cases[i].n_affine, cases[i].act);
      check_op (what, l, 1 + cases[i].n_affine, build_norm, (gpointer)&cases[i]);
    }
  /* several chunks per plane */
  Leaf big[3] = { { LEAF_INPUT, s4 (1, 3, 150, 130) },
                  { LEAF_PARAM, s1 (3) },
                  { LEAF_PARAM, s1 (3) } };
  check_op ("instance norm, several chunks", big, 3, build_norm, (gpointer)&cases[1]);
}

static GcutValue
build_act_alone (GcutGraph *g, const GcutValue *l, gpointer data)
{
  /* after an add, so that the plan cannot fuse it */
  return apply_act (g, gcut_add (g, l[0], l[1]), GPOINTER_TO_INT (data));
}

static GcutValue
build_blur (GcutGraph *g, const GcutValue *l, gpointer data)
{
  return data ? gcut_blur_up (g, l[0]) : gcut_blur_down (g, l[0]);
}

static GcutValue
build_linear (GcutGraph *g, const GcutValue *l, gpointer data)
{
  GcutValue y = gcut_linear (g, l[0], l[1], data ? l[2] : GCUT_NONE);
  return data ? gcut_relu (g, y) : y;
}

static GcutValue
build_l2 (GcutGraph *g, const GcutValue *l, gpointer data)
{
  return gcut_l2_normalize (g, l[0], 1e-7f);
}

static GcutValue
build_gather (GcutGraph *g, const GcutValue *l, gpointer data)
{
  return gcut_gather_locations (g, l[0], l[1]);
}

static GcutValue
build_rows (GcutGraph *g, const GcutValue *l, gpointer data)
{
  return data ? gcut_logsumexp_rows (g, l[0]) : gcut_softmax_rows (g, l[0]);
}

static GcutValue
build_bias_grad_image (GcutGraph *g, const GcutValue *l, gpointer data)
{
  /* the bias gradient of a conv over a large image: many partial sums */
  return gcut_conv2d (g, l[0], l[1], l[2], 1, 0, 1);
}

static void
test_others (void)
{
  for (int a = ACT_RELU; a <= ACT_TANH; a++)
    {
      Leaf l[2] = { { LEAF_INPUT, s4 (2, 3, 5, 6) }, { LEAF_INPUT, s4 (2, 3, 5, 6) } };
      char what[32];
      g_snprintf (what, sizeof what, "add + activation %d", a);
      check_op (what, l, 2, build_act_alone, GINT_TO_POINTER (a));
    }
  Leaf odd = { LEAF_INPUT, s4 (2, 3, 9, 11) }, even = { LEAF_INPUT, s4 (1, 4, 8, 6) };
  check_op ("blur down, odd", &odd, 1, build_blur, NULL);
  check_op ("blur down, even", &even, 1, build_blur, NULL);
  check_op ("blur up", &odd, 1, build_blur, GINT_TO_POINTER (1));
  Leaf lin[3] = { { LEAF_INPUT, s2 (37, 20) },
                  { LEAF_PARAM, s2 (24, 20) },
                  { LEAF_PARAM, s1 (24) } };
  check_op ("linear + bias + ReLU", lin, 3, build_linear, GINT_TO_POINTER (1));
  check_op ("linear", lin, 2, build_linear, NULL);
  Leaf rows = { LEAF_INPUT, s2 (33, 300) };
  check_op ("L2 normalize", &rows, 1, build_l2, NULL);
  check_op ("softmax", &rows, 1, build_rows, NULL);
  check_op ("logsumexp", &rows, 1, build_rows, GINT_TO_POINTER (1));
  Leaf gat[2] = { { LEAF_INPUT, s4 (2, 6, 7, 9) }, { LEAF_INDICES, s1 (20), 63 } };
  check_op ("gather", gat, 2, build_gather, NULL);
  Leaf gat_p[2] = { { LEAF_PARAM, s4 (1, 5, 6, 6) }, { LEAF_INDICES, s1 (30), 36 } };
  check_op ("gather from a parameter", gat_p, 2, build_gather, NULL);
  Leaf bg[3] = { { LEAF_INPUT, s4 (2, 3, 100, 90) },
                 { LEAF_PARAM, s4 (4, 3, 1, 1) },
                 { LEAF_PARAM, s1 (4) } };
  check_op ("conv 1x1 on 100x90 (bias grad chunks)", bg, 3, build_bias_grad_image, NULL);
}

/* ---- gcut-math.h ops ---- */

/* Tolerances of the math ops and losses: values within 1e-5 of the reference
 * tensor's largest magnitude (for a loss value, relative to it), gradients
 * within 1e-4 of the reference gradient's largest magnitude. */
#define MATH_OUT_TOL 1e-5
#define MATH_GRAD_TOL 1e-4

static GcutShape
s3 (gint64 a, gint64 b, gint64 c)
{
  return (GcutShape){ .n_dims = 3, .dims = { a, b, c } };
}

typedef enum
{
  M_MATMUL,
  M_MUL,
  M_DIV_EXP, /* a / e^b: b's gradient goes through DIV_BWD */
  M_SUB,
  M_ADD,
  M_AFFINE,
  M_AFFINE_ZERO, /* α = 0 over log of negatives (NaN): exactly β */
  M_EXP,
  M_LOG,
  M_SQUARE,
  M_ABS,
  M_SOFTPLUS,
  M_DETACH,
  M_FILL_DIAGONAL,
  M_SUM_ROWS,
  M_SUM_COLS,
  M_SUM_ALL,
  M_MEAN_ALL,
  M_RESHAPE,
  M_MAX_ROWS
} MathKind;

typedef struct
{
  MathKind kind;
  gboolean ta, tb;
} MathCase;

static GcutValue
build_math (GcutGraph *g, const GcutValue *l, gpointer data)
{
  const MathCase *c = data;
  GcutValue x = l[0];
  switch (c->kind)
    {
    case M_MATMUL:
      return gcut_matmul (g, l[0], l[1], c->ta, c->tb);
    case M_MUL:
      return gcut_mul (g, l[0], l[1]);
    case M_DIV_EXP:
      return gcut_div (g, l[0], gcut_exp (g, l[1]));
    case M_SUB:
      return gcut_sub (g, l[0], l[1]);
    case M_ADD:
      return gcut_add_broadcast (g, l[0], l[1]);
    case M_AFFINE:
      return gcut_affine (g, x, 2.5f, -0.3f);
    case M_AFFINE_ZERO:
      return gcut_mul (g, gcut_affine (g, gcut_log (g, x), 0.f, 1.5f), x);
    case M_EXP:
      return gcut_exp (g, gcut_affine (g, x, 3.f, 0.f));
    case M_LOG:
      return gcut_log (g, gcut_affine (g, gcut_square (g, x), 1.f, 0.05f));
    case M_SQUARE:
      return gcut_square (g, x);
    case M_ABS:
      return gcut_abs (g, x);
    case M_SOFTPLUS:
      return gcut_softplus (g, gcut_affine (g, x, 30.f, 0.f));
    case M_DETACH:
      return gcut_mul (g, x, gcut_detach (g, gcut_exp (g, x)));
    case M_FILL_DIAGONAL:
      return gcut_fill_diagonal (g, x, -10.f);
    case M_SUM_ROWS:
      return gcut_sum_rows (g, x);
    case M_SUM_COLS:
      return gcut_sum_cols (g, x);
    case M_SUM_ALL:
      return gcut_sum_all (g, x);
    case M_MEAN_ALL:
      return gcut_mean_all (g, x);
    case M_RESHAPE:
      {
        GcutShape s = gcut_graph_shape (g, x);
        return gcut_reshape (g, x, s2 (numel (s) / 4, 4));
      }
    default:
      return gcut_max_rows (g, x);
    }
}

static void
check_math (const char *what, MathKind kind, GcutShape a, GcutShape b)
{
  MathCase c = { kind };
  Leaf l[2] = { { LEAF_INPUT, a }, { LEAF_INPUT, b } };
  check_op (what, l, b.n_dims ? 2 : 1, build_math, &c);
}

static void
check_matmul (const char *what, GcutShape a, GcutShape b, gboolean ta, gboolean tb)
{
  MathCase c = { M_MATMUL, ta, tb };
  Leaf l[2] = { { LEAF_INPUT, a }, { LEAF_INPUT, b } };
  char name[96];
  g_snprintf (name, sizeof name, "matmul %s%s%s", what, ta ? " aT" : "", tb ? " bT" : "");
  check_op (name, l, 2, build_math, &c);
}

static void
test_math (void)
{
  const GcutShape none = { 0 };

  op_out_tol = MATH_OUT_TOL;
  op_grad_tol = MATH_GRAD_TOL;
  op_worst = &worst_math;
  for (int t = 0; t < 4; t++)
    {
      gboolean ta = t & 1, tb = t >> 1;
      check_matmul ("2-D", ta ? s2 (20, 37) : s2 (37, 20), tb ? s2 (24, 20) : s2 (20, 24),
                    ta, tb);
      check_matmul ("batched", ta ? s3 (3, 9, 17) : s3 (3, 17, 9),
                    tb ? s3 (3, 11, 9) : s3 (3, 9, 11), ta, tb);
    }
  /* the similarities of the losses: (groups, 256, 256) from (·, 256, C) */
  check_matmul ("256x256 batched", s3 (2, 256, 256), s3 (2, 256, 256), FALSE, TRUE);
  check_matmul ("wide", s2 (5, 3000), s2 (3000, 7), FALSE, FALSE);

  /* broadcasting: the gradient of a broadcast operand is SUM_TO */
  check_math ("mul, same shape", M_MUL, s3 (2, 5, 7), s3 (2, 5, 7));
  check_math ("mul, b (2,1,7)", M_MUL, s3 (2, 5, 7), s3 (2, 1, 7));
  check_math ("mul, a (1,5,1)", M_MUL, s3 (1, 5, 1), s3 (2, 5, 7));
  check_math ("div by exp, b (2,5,1)", M_DIV_EXP, s3 (2, 5, 7), s3 (2, 5, 1));
  check_math ("div by exp, same shape", M_DIV_EXP, s2 (33, 300), s2 (33, 300));
  check_math ("sub, b (1,1,7)", M_SUB, s3 (2, 5, 7), s3 (1, 1, 7));
  check_math ("sub, a (2,5,1)", M_SUB, s3 (2, 5, 1), s3 (2, 5, 7));
  check_math ("add, b (1,5,1) (two summed groups)", M_ADD, s3 (6, 5, 7), s3 (1, 5, 1));
  check_math ("add, b (1,1,7) over 20000 rows (chunked)", M_ADD, s3 (4, 5000, 7),
              s3 (1, 1, 7));
  check_math ("add, b (1,1) (scalar)", M_ADD, s2 (300, 300), s2 (1, 1));
  check_math ("add, 4-D b (1,3,1,1)", M_ADD, s4 (2, 3, 5, 6), s4 (1, 3, 1, 1));

  /* unary */
  check_math ("affine", M_AFFINE, s3 (2, 5, 7), none);
  check_math ("affine alpha 0 over NaN", M_AFFINE_ZERO, s2 (17, 19), none);
  check_math ("exp", M_EXP, s2 (33, 300), none);
  check_math ("log", M_LOG, s2 (33, 300), none);
  check_math ("square", M_SQUARE, s2 (33, 300), none);
  check_math ("abs", M_ABS, s2 (33, 300), none);
  {
    /* abs at exactly 0: ABS_BWD gives 0 there */
    Leaf z = { LEAF_INPUT, s2 (16, 40), 2 };
    MathCase c = { M_ABS };
    check_op ("abs, with zeros", &z, 1, build_math, &c);
  }
  check_math ("softplus (x in [-30, 30])", M_SOFTPLUS, s2 (33, 300), none);
  check_math ("detach", M_DETACH, s2 (33, 30), none);
  check_math ("fill diagonal", M_FILL_DIAGONAL, s3 (3, 6, 6), none);
  check_math ("fill diagonal 256", M_FILL_DIAGONAL, s2 (256, 256), none);

  /* sums and their backward (EXPAND) */
  check_math ("sum rows", M_SUM_ROWS, s3 (3, 5, 300), none);
  check_math ("sum cols", M_SUM_COLS, s3 (3, 300, 5), none);
  check_math ("sum rows 2-D", M_SUM_ROWS, s2 (256, 256), none);
  check_math ("sum cols 2-D", M_SUM_COLS, s2 (256, 256), none);
  check_math ("sum all", M_SUM_ALL, s3 (2, 5, 7), none);
  check_math ("sum all, 140000 (chunked)", M_SUM_ALL, s3 (2, 350, 200), none);
  check_math ("mean all", M_MEAN_ALL, s4 (1, 3, 64, 64), none);
  check_math ("reshape", M_RESHAPE, s3 (2, 3, 10), none);

  /* row maxima; ties go to the first largest entry */
  check_math ("max rows", M_MAX_ROWS, s3 (3, 7, 300), none);
  check_math ("max rows 2-D", M_MAX_ROWS, s2 (50, 1000), none);
  {
    Leaf tie = { LEAF_INPUT, s3 (2, 40, 300), 4 };
    MathCase c = { M_MAX_ROWS };
    check_op ("max rows with ties", &tie, 1, build_math, &c);
  }
  op_out_tol = OUT_TOL;
  op_grad_tol = GRAD_TOL;
  op_worst = &worst_ops;
  printf ("math ops: worst output error %.3g (tolerance %g), worst gradient error %.3g "
          "(tolerance %g), relative to each tensor's largest magnitude\n",
          worst_math.out, MATH_OUT_TOL, worst_math.grad, MATH_GRAD_TOL);
}

/* ---- losses (training/gct-losses.h) at P = 256 ---- */

typedef enum
{
  L_PATCH_NCE,
  L_PATCH_NCE_B2_ALL,
  L_DCE,
  L_HDCE,
  L_HDCE_IS,
  L_SRC_JSD,
  L_SRC_KL,
  L_SRC_L1,
  L_SRC_L2,
  L_WEIGHT_NCE,
  L_WEIGHT_NCE_GRAD_W,
  L_MONCE_HARD,
  L_MONCE_EASY,
  L_GAN_D_LSGAN,
  L_GAN_D_NONSAT,
  L_GAN_G_LSGAN,
  L_GAN_G_NONSAT,
  L_IDENTITY,
  L_COUNT
} LossKind;

static const char *const loss_names[L_COUNT] = { "PatchNCE",
                                                 "PatchNCE B=2 all negatives",
                                                 "DCE",
                                                 "hDCE (official)",
                                                 "hDCE (importance)",
                                                 "SRC JSD",
                                                 "SRC KL",
                                                 "SRC L1",
                                                 "SRC L2",
                                                 "WeightNCE",
                                                 "WeightNCE, w not detached",
                                                 "MoNCE hard",
                                                 "MoNCE easy",
                                                 "GAN D LSGAN",
                                                 "GAN D non-saturating",
                                                 "GAN G LSGAN",
                                                 "GAN G non-saturating",
                                                 "L1 identity" };

static GcutValue
build_loss (GcutGraph *g, LossKind kind, GcutValue a, GcutValue b)
{
  GctNceOptions nce = gct_nce_options_default ();
  switch (kind)
    {
    case L_PATCH_NCE:
      return gct_patch_nce (g, a, b, &nce);
    case L_PATCH_NCE_B2_ALL:
      nce.batch = 2;
      nce.all_negatives_from_minibatch = TRUE;
      return gct_patch_nce (g, a, b, &nce);
    case L_DCE:
      return gct_dce (g, a, b, &nce);
    case L_HDCE:
    case L_HDCE_IS:
      {
        GctHdceOptions o = gct_hdce_options_default ();
        o.form = kind == L_HDCE ? GCT_HDCE_OFFICIAL : GCT_HDCE_IMPORTANCE;
        return gct_hdce (g, a, b, &o);
      }
    case L_SRC_JSD:
    case L_SRC_KL:
    case L_SRC_L1:
    case L_SRC_L2:
      {
        GctSrcOptions o = gct_src_options_default ();
        o.variant = kind == L_SRC_JSD  ? GCT_SRC_JSD
                    : kind == L_SRC_KL ? GCT_SRC_KL
                    : kind == L_SRC_L1 ? GCT_SRC_L1
                                       : GCT_SRC_L2;
        return gct_src (g, a, b, &o);
      }
    case L_WEIGHT_NCE:
    case L_WEIGHT_NCE_GRAD_W:
      {
        GctWeightNceOptions o = gct_weight_nce_options_default ();
        o.detach_weights = kind == L_WEIGHT_NCE;
        return gct_weight_nce (g, a, b, &o);
      }
    case L_MONCE_HARD:
    case L_MONCE_EASY:
      {
        GctMonceOptions o = gct_monce_options_default ();
        o.cost = kind == L_MONCE_HARD ? GCT_MONCE_HARD : GCT_MONCE_EASY;
        return gct_monce (g, a, b, &o);
      }
    case L_GAN_D_LSGAN:
    case L_GAN_D_NONSAT:
      return gct_gan_d (g, a, b, kind == L_GAN_D_LSGAN ? GCT_GAN_LSGAN : GCT_GAN_NONSAT);
    case L_GAN_G_LSGAN:
    case L_GAN_G_NONSAT:
      return gct_gan_g (g, b, kind == L_GAN_G_LSGAN ? GCT_GAN_LSGAN : GCT_GAN_NONSAT);
    default:
      return gct_l1_identity (g, a, b);
    }
}

/* Runs loss `kind` of a and b on backend be: its value, and the gradients
 * with respect to a (ga) and b (gb, GAN losses only; may be NULL). */
static void
run_loss (GcutBackend *be, LossKind kind, GcutShape shape, const float *a_data,
          const float *b_data, float *value, float *ga, float *gb)
{
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutValue a = gcut_input (g, "a", shape), b = gcut_input (g, "b", shape);
  GcutValue y = build_loss (g, kind, a, b), wrt[2];
  gboolean gan = kind >= L_GAN_D_LSGAN && kind <= L_GAN_G_NONSAT;
  gboolean g_only = kind == L_GAN_G_LSGAN || kind == L_GAN_G_NONSAT;
  int n_wrt = 0;
  float one = 1.f;

  if (!gcut_graph_check (g, &error))
    g_error ("%s: %s", loss_names[kind], error->message);
  if (!g_only)
    wrt[n_wrt++] = a;
  if (gan)
    wrt[n_wrt++] = b;
  g_autoptr (GcutPlan) plan = gcut_plan_new (
      g, be, &(GcutPlanSpec){ &y, 1, &y, 1, wrt, n_wrt, 1, GCUT_PRECISION_EXACT },
      &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, a, a_data, NULL));
  g_assert_true (gcut_plan_set_input (plan, b, b_data, NULL));
  g_assert_true (gcut_plan_forward (plan, NULL));
  g_assert_true (gcut_plan_get_output (plan, y, value, NULL));
  g_assert_true (gcut_plan_set_seed (plan, y, &one, NULL));
  g_assert_true (gcut_plan_backward (plan, NULL));
  if (!g_only)
    g_assert_true (gcut_plan_get_grad (plan, a, ga, NULL));
  if (gan)
    g_assert_true (gcut_plan_get_grad (plan, b, gb, NULL));
}

/* unit rows, like the projected patch features */
static void
fill_unit_rows (float *p, gint64 rows, gint64 cols, GRand *rand)
{
  fill (p, rows * cols, rand);
  for (gint64 r = 0; r < rows; r++)
    {
      double n = 0;
      for (gint64 c = 0; c < cols; c++)
        n += (double)p[r * cols + c] * p[r * cols + c];
      for (gint64 c = 0; c < cols; c++)
        p[r * cols + c] = (float)(p[r * cols + c] / sqrt (n));
    }
}

static void
test_losses (void)
{
  const gint64 P = 256, C = 256;
  Worst worst = { 0 };

  for (int kind = 0; kind < L_COUNT; kind++)
    {
      gboolean gan = kind >= L_GAN_D_LSGAN && kind <= L_GAN_G_NONSAT;
      gboolean g_only = kind == L_GAN_G_LSGAN || kind == L_GAN_G_NONSAT;
      GcutShape shape = gan                          ? s4 (1, 1, 30, 30)
                        : kind == L_IDENTITY         ? s4 (1, 3, 64, 64)
                        : kind == L_PATCH_NCE_B2_ALL ? s2 (2 * P, C)
                                                     : s2 (P, C);
      gint64 n = numel (shape);
      GRand *rand = g_rand_new_with_seed (g_str_hash (loss_names[kind]));
      g_autofree float *a = g_new (float, n), *b = g_new (float, n);
      float *ga[2], *gb[2], value[2];
      char what[80];

      if (gan || kind == L_IDENTITY)
        {
          fill (a, n, rand);
          fill (b, n, rand);
        }
      else
        {
          fill_unit_rows (a, shape.dims[0], C, rand);
          fill_unit_rows (b, shape.dims[0], C, rand);
        }
      for (int i = 0; i < 2; i++)
        {
          ga[i] = g_new0 (float, n);
          gb[i] = g_new0 (float, n);
          run_loss (i ? cuda : gcut_backend_cpu (), kind, shape, a, b, &value[i], ga[i],
                    gb[i]);
        }
      {
        /* deterministic: a second CUDA run gives the same bits */
        g_autofree float *ga2 = g_new0 (float, n), *gb2 = g_new0 (float, n);
        float value2;
        run_loss (cuda, kind, shape, a, b, &value2, ga2, gb2);
        if (memcmp (&value2, &value[1], 4) || memcmp (ga2, ga[1], n * 4)
            || memcmp (gb2, gb[1], n * 4))
          {
            printf ("  loss %s: a second CUDA run differs  FAIL\n", loss_names[kind]);
            failures++;
          }
      }
      g_snprintf (what, sizeof what, "loss %s, P=%" G_GINT64_FORMAT, loss_names[kind],
                  shape.dims[0]);
      double e = compare (what, "value", &value[1], &value[0], 1, 0, MATH_OUT_TOL);
      worst.out = MAX (worst.out, e);
      if (!g_only)
        {
          e = compare (what, "grad a", ga[1], ga[0], n, 0, MATH_GRAD_TOL);
          worst.grad = MAX (worst.grad, e);
        }
      if (gan)
        {
          e = compare (what, "grad b", gb[1], gb[0], n, 0, MATH_GRAD_TOL);
          worst.grad = MAX (worst.grad, e);
        }
      if (g_getenv ("GCUT_TEST_VERBOSE"))
        printf ("  %s: cpu %.9g cuda %.9g\n", what, value[0], value[1]);
      for (int i = 0; i < 2; i++)
        {
          g_free (ga[i]);
          g_free (gb[i]);
        }
      g_rand_free (rand);
    }
  printf ("losses: worst value error %.3g (relative, tolerance %g), worst gradient "
          "error %.3g (of the gradient's largest magnitude, tolerance %g); each CUDA "
          "run repeated: same bits\n",
          worst.out, MATH_OUT_TOL, worst.grad, MATH_GRAD_TOL);
}

/* ---- networks ---- */

typedef struct
{
  GcutNetwork *nets[3];
  int n_nets;
  GcutGraph *graph;
  GcutValue x, idx, outs[3];
  int n_outs;
  GcutValue wrt[512];
  int n_wrt;
} NetCase;

/* Runs the case's graph on backend b; outputs and all parameter gradients
 * come back concatenated. */
static void
run_net (NetCase *c, GcutBackend *b, const float *x, const gint32 *idx, float **seeds,
         float **outs, float **grads, gboolean backward, double *seconds)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcutPlan) plan = gcut_plan_new (
      c->graph, b,
      &(GcutPlanSpec){ c->outs, c->n_outs, backward ? c->outs : NULL,
                       backward ? c->n_outs : 0, backward ? c->wrt : NULL,
                       backward ? c->n_wrt : 0, 0, GCUT_PRECISION_EXACT },
      &error);
  g_assert_no_error (error);
  for (int rep = 0; rep < 2; rep++) /* the second run is timed */
    {
      gint64 start = g_get_monotonic_time ();
      g_assert_true (gcut_plan_set_input (plan, c->x, x, NULL));
      if (c->idx != GCUT_NONE)
        g_assert_true (gcut_plan_set_indices (plan, c->idx, idx, NULL));
      g_assert_true (gcut_plan_forward (plan, NULL));
      for (int i = 0; i < c->n_outs; i++)
        g_assert_true (gcut_plan_get_output (plan, c->outs[i], outs[i], NULL));
      if (backward)
        {
          for (int i = 0; i < c->n_outs; i++)
            g_assert_true (gcut_plan_set_seed (plan, c->outs[i], seeds[i], NULL));
          g_assert_true (gcut_plan_backward (plan, NULL));
        }
      *seconds = (g_get_monotonic_time () - start) / 1e6;
    }
  for (int n = 0; backward && n < c->n_nets; n++)
    {
      gsize count;
      float *g = gcut_network_grads (c->nets[n], &count);
      grads[n] = g_memdup2 (g, count * 4);
    }
}

/* Parameters whose gradient is a long, cancelling sum at large sizes: the
 * weights of every generator convolution but the last (model.30). */
static gboolean
normed_weight (const char *name)
{
  return g_str_has_suffix (name, ".weight") && g_str_has_prefix (name, "model.")
         && !g_str_equal (name, "model.30.weight");
}

static void
check_net (const char *what, NetCase *c, int size, gboolean backward, double normed_tol)
{
  GRand *rand = g_rand_new_with_seed (11);
  g_autofree float *x = g_new (float, 3 * size * size);
  gint32 idx[64];
  float *seeds[3], *outs[2][3], *grads[2][3] = { { 0 } };
  double t[2];

  fill (x, 3 * size * size, rand);
  for (int i = 0; i < 64; i++)
    idx[i] = (i * 7919) % 64 + 0; /* distinct */
  for (int i = 0; i < c->n_outs; i++)
    {
      gint64 m = numel (gcut_graph_shape (c->graph, c->outs[i]));
      seeds[i] = g_new (float, m);
      fill (seeds[i], m, rand);
      outs[0][i] = g_new (float, m);
      outs[1][i] = g_new (float, m);
    }
  run_net (c, gcut_backend_cpu (), x, idx, seeds, outs[0], grads[0], backward, &t[0]);
  run_net (c, cuda, x, idx, seeds, outs[1], grads[1], backward, &t[1]);
  printf ("%s: cpu %.3f s, cuda %.4f s (second run, transfers included)\n", what, t[0],
          t[1]);
  double worst_out = 0, worst_grad = 0;
  for (int i = 0; i < c->n_outs; i++)
    {
      char part[32];
      g_snprintf (part, sizeof part, "output %d", i);
      double e = compare (what, part, outs[1][i], outs[0][i],
                          numel (gcut_graph_shape (c->graph, c->outs[i])), 0, OUT_TOL);
      worst_out = MAX (worst_out, e);
      g_free (seeds[i]);
      g_free (outs[0][i]);
      g_free (outs[1][i]);
    }
  for (int n = 0; backward && n < c->n_nets; n++)
    {
      gsize count;
      double net_scale = 0;
      gcut_network_grads (c->nets[n], &count);
      for (gsize j = 0; j < count; j++)
        net_scale = MAX (net_scale, fabs (grads[0][n][j]));
      gsize at = 0;
      for (guint p = 0; p < gcut_network_n_params (c->nets[n]); p++)
        {
          gint64 m = numel (gcut_network_param_shape (c->nets[n], p));
          const char *name = gcut_network_param_name (c->nets[n], p);
          double e = compare (what, name, grads[1][n] + at, grads[0][n] + at, m,
                              0.01 * net_scale,
                              n == 0 && normed_weight (name) ? normed_tol : GRAD_TOL);
          worst_grad = MAX (worst_grad, e);
          at += m;
        }
      g_free (grads[0][n]);
      g_free (grads[1][n]);
    }
  printf ("%s: worst output error %.3g, worst gradient error %.3g (relative)\n", what,
          worst_out, worst_grad);
  g_rand_free (rand);
}

static void
test_tiny_step (void)
{
  GcutResnetGeneratorConfig gc = { 16, 2, TRUE, TRUE };
  GcutPatchGanConfig dc = { 16, 3, TRUE };
  GcutValue taps[GCUT_GENERATOR_N_TAPS];
  int channels[GCUT_GENERATOR_N_TAPS], size = 64;
  NetCase c = { 0 };

  c.nets[0] = gcut_resnet_generator_new (&gc);
  c.nets[1] = gcut_patchgan_new (&dc);
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    channels[t] = gcut_resnet_generator_tap_channels (c.nets[0], t);
  c.nets[2] = gcut_patch_heads_new (channels, GCUT_GENERATOR_N_TAPS, 32);
  c.n_nets = 3;
  for (int n = 0; n < 3; n++)
    gcut_network_init_xavier (c.nets[n], 0.5f, n + 1);
  c.graph = gcut_graph_new ();
  c.x = gcut_input (c.graph, "x", s4 (1, 3, size, size));
  c.outs[0] = gcut_resnet_generator_build (c.nets[0], c.graph, c.x, taps, FALSE);
  c.outs[1] = gcut_patchgan_build (c.nets[1], c.graph, c.outs[0]);
  c.idx = gcut_input_indices (c.graph, "idx", 16);
  c.outs[2] = gcut_patch_heads_build (c.nets[2], c.graph, 3, taps[3], c.idx);
  c.n_outs = 3;
  for (int n = 0; n < 3; n++)
    {
      gcut_network_values (c.nets[n], c.graph, c.wrt + c.n_wrt);
      c.n_wrt += gcut_network_n_params (c.nets[n]);
    }
  check_net ("tiny G+D+F step 64x64", &c, size, TRUE, GRAD_TOL);
  gcut_graph_free (c.graph);
  for (int n = 0; n < 3; n++)
    gcut_network_free (c.nets[n]);
}

static void
test_generator_256 (gboolean backward)
{
  GcutResnetGeneratorConfig gc = { 64, 9, TRUE, TRUE };
  NetCase c = { 0 };
  c.nets[0] = gcut_resnet_generator_new (&gc);
  c.n_nets = 1;
  gcut_network_init_xavier (c.nets[0], 0.02f, 1);
  c.graph = gcut_graph_new ();
  c.x = gcut_input (c.graph, "x", s4 (1, 3, 256, 256));
  c.idx = GCUT_NONE;
  c.outs[0] = gcut_resnet_generator_build (c.nets[0], c.graph, c.x, NULL, FALSE);
  c.n_outs = 1;
  gcut_network_values (c.nets[0], c.graph, c.wrt);
  c.n_wrt = gcut_network_n_params (c.nets[0]);
  check_net (backward ? "G 256x256 forward+backward" : "G 256x256 forward", &c, 256,
             backward, GRAD_TOL_256_NORMED);
  gcut_graph_free (c.graph);
  gcut_network_free (c.nets[0]);
}

/* The errors a user can cause come back as GErrors, not crashes. */
static void
test_errors (void)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutValue x = gcut_input (graph, "x", s4 (1, 16, 8, 8));
  GcutValue y = gcut_relu (graph, gcut_add (graph, x, x));
  GcutPlan *plan = gcut_plan_new (
      graph, cuda, &(GcutPlanSpec){ &y, 1, NULL, 0, NULL, 0, 16, GCUT_PRECISION_EXACT },
      &error);
  if (plan || !g_error_matches (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED))
    {
      printf ("  a blocked layout on CUDA should fail cleanly: %s\n",
              error ? error->message : "it did not fail");
      failures++;
    }
  else
    printf ("blocked layout refused: %s\n", error->message);
  gcut_plan_free (plan);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;

  setvbuf (stdout, NULL, _IOLBF, 0);
  cuda = gcut_backend_get ("cuda", &reason, &error);
  if (!cuda)
    {
      printf ("SKIP: no CUDA backend here: %s\n", error->message);
      return 77;
    }
  printf ("%s\n", reason);
  {
    g_autofree char *auto_reason = NULL;
    GcutBackend *a = gcut_backend_get ("auto", &auto_reason, NULL);
    printf ("auto: %s (%s)\n", gcut_backend_name (a), auto_reason);
  }
  test_errors ();
  test_convs ();
  test_pads ();
  test_norms ();
  test_others ();
  test_math ();
  test_losses ();
  printf ("ops: worst output error %.3g (tolerance %g), worst gradient error %.3g "
          "(tolerance %g), relative to each tensor's largest magnitude\n",
          worst_ops.out, OUT_TOL, worst_ops.grad, GRAD_TOL);
  test_tiny_step ();
  if (!g_getenv ("GCUT_TEST_QUICK"))
    {
      test_generator_256 (FALSE);
      test_generator_256 (TRUE);
    }
  printf ("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
