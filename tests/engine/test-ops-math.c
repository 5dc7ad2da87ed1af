/* Tests of the matrix, elementwise, reduction and shape ops (gcut-math.h):
 * finite-difference gradient checks, forward values against naive
 * double-precision loops, detach and fill diagonal, a composed loss, and the
 * errors of bad graphs. */
#include <math.h>
#include <string.h>
#include "gradcheck.h"
#include "test-util.h"

static const int plain[] = { 1, 0 };

static GcutShape
shape3 (gint64 b, gint64 rows, gint64 cols)
{
  return (GcutShape){ 3, { b, rows, cols } };
}

static GcLeaf
leaf (GcutShape s, float lo, float hi)
{
  return (GcLeaf){ GC_INPUT, s, lo, hi, 0 };
}

/* The output of `build` on float inputs of the given shapes and data (block 1). */
static float *
run_forward (const GcutShape *shapes, float *const *data, int n, GcBuildFunc build,
             gpointer user_data, GcutShape *out_shape)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  GcutValue values[8], out;
  float *result;

  for (int i = 0; i < n; i++)
    values[i] = gcut_input (graph, "x", shapes[i]);
  out = build (graph, values, user_data);
  plan = gcut_plan_new (graph, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = &out, .n_outputs = 1, .block = 1 },
                        &error);
  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    g_assert_true (gcut_plan_set_input (plan, values[i], data[i], &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  *out_shape = gcut_graph_shape (graph, out);
  result = g_new (float, gc_numel (out_shape));
  g_assert_true (gcut_plan_get_output (plan, out, result, &error));
  return result;
}

/* Fails the test at the first of n values off by more than tol·(1 + |want|). */
static void
expect_close (const char *what, const float *got, const double *want, gint64 n,
              double tol)
{
  for (gint64 i = 0; i < n; i++)
    {
      gboolean same_special
          = (isnan (want[i]) && isnan (got[i])) || (isinf (want[i]) && got[i] == want[i]);
      if (!same_special && !(fabs (got[i] - want[i]) <= tol * (1 + fabs (want[i]))))
        {
          g_test_message ("%s: element %" G_GINT64_FORMAT " is %.8g, not %.8g", what, i,
                          got[i], want[i]);
          g_test_fail ();
          return;
        }
    }
}

/* ---- matmul ---- */

typedef struct
{
  gboolean ta, tb;
} Trans;

static GcutValue
build_matmul (GcutGraph *g, const GcutValue *x, gpointer data)
{
  const Trans *t = data;
  return gcut_matmul (g, x[0], x[1], t->ta, t->tb);
}

/* Shapes of a and b for op(a) (…, m, k) and op(b) (…, k, n). */
static void
matmul_shapes (gint64 batch, gint64 m, gint64 k, gint64 n, Trans t, GcutShape *sa,
               GcutShape *sb)
{
  *sa = t.ta ? gc_shape2 (k, m) : gc_shape2 (m, k);
  *sb = t.tb ? gc_shape2 (n, k) : gc_shape2 (k, n);
  if (batch)
    {
      *sa = shape3 (batch, sa->dims[0], sa->dims[1]);
      *sb = shape3 (batch, sb->dims[0], sb->dims[1]);
    }
}

static void
test_matmul (void)
{
  const gint64 m = 5, k = 7, n = 3;
  for (int batch = 0; batch <= 3; batch += 3)
    for (int c = 0; c < 4; c++)
      {
        Trans t = { c & 1, c >> 1 };
        GcutShape sa, sb, so;
        gint64 B = MAX (batch, 1);
        g_autofree char *what
            = g_strdup_printf ("matmul batch %d, transposes %d %d", batch, t.ta, t.tb);
        matmul_shapes (batch, m, k, n, t, &sa, &sb);
        GcLeaf leaves[2] = { leaf (sa, -1, 1), leaf (sb, -1, 1) };
        g_autofree float *a = gc_random_floats (gc_numel (&sa), -1, 1, 1 + c);
        g_autofree float *b = gc_random_floats (gc_numel (&sb), -1, 1, 11 + c);
        g_autofree double *want = g_new0 (double, B *m *n);
        float *data[2] = { a, b };
        GcutShape shapes[2] = { sa, sb };

        gc_check (what, leaves, 2, build_matmul, &t, plain, 1e-2);
        for (gint64 bi = 0; bi < B; bi++)
          for (gint64 i = 0; i < m; i++)
            for (gint64 j = 0; j < n; j++)
              {
                double s = 0;
                for (gint64 l = 0; l < k; l++)
                  s += (double)a[bi * m * k + (t.ta ? l * m + i : i * k + l)]
                       * b[bi * k * n + (t.tb ? j * k + l : l * n + j)];
                want[(bi * m + i) * n + j] = s;
              }
        g_autofree float *got = run_forward (shapes, data, 2, build_matmul, &t, &so);
        g_assert_cmpint (so.n_dims, ==, batch ? 3 : 2);
        g_assert_cmpint (so.dims[so.n_dims - 2], ==, m);
        g_assert_cmpint (so.dims[so.n_dims - 1], ==, n);
        expect_close (what, got, want, B * m * n, 1e-5);
      }
}

/* A bigger product, as the losses use: (4, 256, 64) · (4, 257, 64)ᵀ. */
static void
test_matmul_large (void)
{
  Trans t = { FALSE, TRUE };
  GcutShape shapes[2] = { shape3 (4, 256, 64), shape3 (4, 257, 64) }, so;
  g_autofree float *a = gc_random_floats (gc_numel (&shapes[0]), -1, 1, 3);
  g_autofree float *b = gc_random_floats (gc_numel (&shapes[1]), -1, 1, 4);
  float *data[2] = { a, b };
  g_autofree float *got = run_forward (shapes, data, 2, build_matmul, &t, &so);
  g_autofree double *want = g_new (double, 4 * 256 * 257);
  for (gint64 bi = 0; bi < 4; bi++)
    for (gint64 i = 0; i < 256; i++)
      for (gint64 j = 0; j < 257; j++)
        {
          double s = 0;
          for (gint64 l = 0; l < 64; l++)
            s += (double)a[(bi * 256 + i) * 64 + l] * b[(bi * 257 + j) * 64 + l];
          want[(bi * 256 + i) * 257 + j] = s;
        }
  expect_close ("matmul (4, 256, 64)·(4, 257, 64)ᵀ", got, want, 4 * 256 * 257, 1e-4);
}

/* ---- binary elementwise ops with broadcasting ---- */

typedef enum
{
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV
} BinOp;

static const char *const bin_names[] = { "add_broadcast", "sub", "mul", "div" };

static GcutValue
build_binary (GcutGraph *g, const GcutValue *x, gpointer data)
{
  switch (GPOINTER_TO_INT (data))
    {
    case OP_ADD:
      return gcut_add_broadcast (g, x[0], x[1]);
    case OP_SUB:
      return gcut_sub (g, x[0], x[1]);
    case OP_MUL:
      return gcut_mul (g, x[0], x[1]);
    default:
      return gcut_div (g, x[0], x[1]);
    }
}

static double
ref_binary (BinOp op, double a, double b)
{
  switch (op)
    {
    case OP_ADD:
      return a + b;
    case OP_SUB:
      return a - b;
    case OP_MUL:
      return a * b;
    default:
      return (float)a / (float)b;
    }
}

/* Element of x (shape s) at the coordinates of y's element i (shape o), broadcast. */
static gint64
bcast_index (const GcutShape *s, const GcutShape *o, gint64 i)
{
  gint64 idx = 0, mul = 1;
  for (int d = o->n_dims - 1; d >= 0; d--)
    {
      gint64 c = i % o->dims[d];
      i /= o->dims[d];
      if (s->dims[d] != 1)
        idx += c * mul;
      mul *= s->dims[d];
    }
  return idx;
}

static void
test_binary (void)
{
  static const GcutShape pairs[][2] = {
    { { 2, { 3, 4 } }, { 2, { 3, 4 } } },
    { { 2, { 3, 4 } }, { 2, { 3, 1 } } },
    { { 2, { 1, 4 } }, { 2, { 3, 4 } } },
    { { 2, { 3, 1 } }, { 2, { 1, 4 } } },
    { { 2, { 1, 1 } }, { 2, { 3, 4 } } },
    { { 3, { 2, 3, 4 } }, { 3, { 2, 3, 4 } } },
    { { 3, { 2, 3, 4 } }, { 3, { 2, 1, 4 } } },
    { { 3, { 1, 3, 1 } }, { 3, { 2, 3, 4 } } },
    { { 3, { 2, 3, 1 } }, { 3, { 1, 1, 4 } } },
    { { 1, { 5 } }, { 1, { 1 } } },
  };
  for (int op = OP_ADD; op <= OP_DIV; op++)
    for (guint p = 0; p < G_N_ELEMENTS (pairs); p++)
      {
        GcutShape sa = pairs[p][0], sb = pairs[p][1], so;
        /* divisors away from 0 */
        float lo = op == OP_DIV ? 0.5f : -1.f, hi = op == OP_DIV ? 2.f : 1.f;
        GcLeaf leaves[2] = { leaf (sa, -1, 1), leaf (sb, lo, hi) };
        g_autofree char *a_s = NULL, *what = NULL;
        g_autofree float *a = gc_random_floats (gc_numel (&sa), -1, 1, 21 + p);
        g_autofree float *b = gc_random_floats (gc_numel (&sb), lo, hi, 31 + p);
        float *data[2] = { a, b };
        GcutShape shapes[2] = { sa, sb };
        g_autofree float *got = NULL;
        g_autofree double *want = NULL;

        what = g_strdup_printf ("%s, pair %u", bin_names[op], p);
        gc_check (what, leaves, 2, build_binary, GINT_TO_POINTER (op), plain, 1e-2);
        got = run_forward (shapes, data, 2, build_binary, GINT_TO_POINTER (op), &so);
        want = g_new (double, gc_numel (&so));
        for (gint64 i = 0; i < gc_numel (&so); i++)
          want[i] = ref_binary (op, a[bcast_index (&sa, &so, i)],
                                b[bcast_index (&sb, &so, i)]);
        expect_close (what, got, want, gc_numel (&so), 1e-6);
      }
}

/* ---- unary elementwise ops ---- */

typedef enum
{
  U_AFFINE,
  U_EXP,
  U_LOG,
  U_SQUARE,
  U_ABS,
  U_SOFTPLUS,
  U_COUNT
} UnOp;

static const char *const un_names[]
    = { "affine", "exp", "log", "square", "abs", "softplus" };

static GcutValue
build_unary (GcutGraph *g, const GcutValue *x, gpointer data)
{
  switch (GPOINTER_TO_INT (data))
    {
    case U_AFFINE:
      return gcut_affine (g, x[0], -1.5f, 0.25f);
    case U_EXP:
      return gcut_exp (g, x[0]);
    case U_LOG:
      return gcut_log (g, x[0]);
    case U_SQUARE:
      return gcut_square (g, x[0]);
    case U_ABS:
      return gcut_abs (g, x[0]);
    default:
      return gcut_softplus (g, x[0]);
    }
}

static double
ref_unary (UnOp op, float x)
{
  switch (op)
    {
    case U_AFFINE:
      return -1.5 * x + 0.25;
    case U_EXP:
      return exp (x);
    case U_LOG:
      return log (x);
    case U_SQUARE:
      return (double)x * x;
    case U_ABS:
      return fabs (x);
    default:
      return log1p (exp (x));
    }
}

static void
test_unary (void)
{
  static const float special[] = { 0.f, -0.f, -1.f, 100.f, -100.f, 30.f, -30.f, 1e-3f };
  for (int op = 0; op < U_COUNT; op++)
    for (int nd = 2; nd <= 3; nd++)
      {
        GcutShape s = nd == 2 ? gc_shape2 (4, 5) : shape3 (2, 3, 4), so;
        float lo = op == U_LOG ? 0.5f : op == U_SOFTPLUS ? -5.f : -1.f;
        float hi = op == U_LOG ? 2.f : op == U_SOFTPLUS ? 5.f : 1.f;
        GcLeaf l = leaf (s, lo, hi);
        g_autofree char *what = g_strdup_printf ("%s %dD", un_names[op], nd);
        g_autofree float *x = gc_random_floats (gc_numel (&s), lo, hi, 41 + op);
        g_autofree double *want = g_new (double, gc_numel (&s));
        g_autofree float *got = NULL;

        gc_check (what, &l, 1, build_unary, GINT_TO_POINTER (op), plain, 1e-2);
        /* extremes: exp overflows to inf, log of 0 and negatives gives −inf and
         * NaN, softplus stays exact at ±100 */
        memcpy (x, special, sizeof special);
        got = run_forward (&s, &x, 1, build_unary, GINT_TO_POINTER (op), &so);
        for (gint64 i = 0; i < gc_numel (&s); i++)
          want[i] = (float)ref_unary (op, x[i]); /* exp (100) overflows */
        expect_close (what, got, want, gc_numel (&s), 2e-6);
      }
}

static GcutValue
build_ones (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gcut_affine (g, x[0], 0.f, 1.f);
}

/* affine (x, 0, β) is β everywhere, even where x is not finite (ones_like). */
static void
test_affine_constant (void)
{
  GcutShape s = gc_shape2 (2, 3), so;
  float data[6] = { INFINITY, -INFINITY, NAN, 0.f, -2.f, 1e30f }, *x = data;
  const double want[6] = { 1, 1, 1, 1, 1, 1 };
  g_autofree float *got = run_forward (&s, &x, 1, build_ones, NULL, &so);
  expect_close ("affine (x, 0, 1)", got, want, 6, 0);
}

/* ---- sums ---- */

typedef enum
{
  S_ROWS,
  S_COLS,
  S_ALL,
  S_MEAN,
  S_COUNT
} SumOp;

static const char *const sum_names[] = { "sum_rows", "sum_cols", "sum_all", "mean_all" };

static GcutValue
build_sum (GcutGraph *g, const GcutValue *x, gpointer data)
{
  switch (GPOINTER_TO_INT (data))
    {
    case S_ROWS:
      return gcut_sum_rows (g, x[0]);
    case S_COLS:
      return gcut_sum_cols (g, x[0]);
    case S_ALL:
      return gcut_sum_all (g, x[0]);
    default:
      return gcut_mean_all (g, x[0]);
    }
}

static void
check_sum_forward (SumOp op, GcutShape s)
{
  const int nd = s.n_dims;
  const gint64 B = nd == 3 ? s.dims[0] : 1, R = s.dims[nd - 2], C = s.dims[nd - 1];
  g_autofree float *x = gc_random_floats (gc_numel (&s), -1, 1, 51 + op);
  g_autofree double *want = g_new0 (double, B *R *C);
  g_autofree float *got = NULL;
  g_autofree char *what = g_strdup_printf ("%s forward, %" G_GINT64_FORMAT " elements",
                                           sum_names[op], gc_numel (&s));
  GcutShape so, expect;

  for (gint64 b = 0; b < B; b++)
    for (gint64 r = 0; r < R; r++)
      for (gint64 c = 0; c < C; c++)
        {
          double v = x[(b * R + r) * C + c];
          if (op == S_ROWS)
            want[b * R + r] += v;
          else if (op == S_COLS)
            want[b * C + c] += v;
          else
            want[0] += op == S_MEAN ? v / (B * R * C) : v;
        }
  expect = op == S_ALL || op == S_MEAN ? gc_shape1 (1) : s;
  if (op == S_ROWS)
    expect.dims[nd - 1] = 1;
  if (op == S_COLS)
    expect.dims[nd - 2] = 1;
  got = run_forward (&s, &x, 1, build_sum, GINT_TO_POINTER (op), &so);
  g_assert_cmpint (so.n_dims, ==, expect.n_dims);
  for (int d = 0; d < so.n_dims; d++)
    g_assert_cmpint (so.dims[d], ==, expect.dims[d]);
  expect_close (what, got, want, gc_numel (&so), 1e-6);
}

static void
test_sums (void)
{
  for (int op = 0; op < S_COUNT; op++)
    for (int nd = 2; nd <= 3; nd++)
      {
        GcutShape s = nd == 2 ? gc_shape2 (4, 5) : shape3 (2, 3, 4);
        GcLeaf l = leaf (s, -1, 1);
        g_autofree char *what = g_strdup_printf ("%s %dD", sum_names[op], nd);
        gc_check (what, &l, 1, build_sum, GINT_TO_POINTER (op), plain, 1e-2);
        check_sum_forward (op, s);
        /* sizes that split into several chunks and threads */
        check_sum_forward (op, nd == 2 ? gc_shape2 (256, 257) : shape3 (4, 256, 257));
      }
  check_sum_forward (S_ALL, gc_shape2 (1, 1));
  check_sum_forward (S_MEAN, gc_shape2 (1000, 300));
}

/* ---- row maxima ---- */

static GcutValue
build_max_rows (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gcut_max_rows (g, x[0]);
}

static void
test_max_rows (void)
{
  GcutShape s = shape3 (2, 3, 5), so;
  GcLeaf l = leaf (s, -1, 1);
  g_autofree float *x = gc_random_floats (gc_numel (&s), -1, 1, 71);
  g_autofree double *want = g_new (double, 6);
  g_autofree float *got = NULL;

  gc_check ("max_rows", &l, 1, build_max_rows, NULL, plain, 1e-2);
  for (int r = 0; r < 6; r++)
    {
      want[r] = x[r * 5];
      for (int c = 1; c < 5; c++)
        want[r] = MAX (want[r], x[r * 5 + c]);
    }
  got = run_forward (&s, &x, 1, build_max_rows, NULL, &so);
  g_assert_cmpint (so.n_dims, ==, 3);
  g_assert_cmpint (so.dims[2], ==, 1);
  expect_close ("max_rows forward", got, want, 6, 0);
}

/* ---- reshape, detach, fill diagonal ---- */

static GcutValue
build_reshape (GcutGraph *g, const GcutValue *x, gpointer data)
{
  /* (2, 3, 4) → (6, 4), then a broadcast product that tells rows apart */
  GcutValue r = gcut_reshape (g, x[0], gc_shape2 (6, 4));
  return gcut_mul (g, r, x[1]);
}

static GcutValue
build_fill_diagonal (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gcut_fill_diagonal (g, x[0], -10.f);
}

static void
test_shape_ops (void)
{
  GcLeaf reshape_leaves[2]
      = { leaf (shape3 (2, 3, 4), -1, 1), leaf (gc_shape2 (6, 1), -1, 1) };
  GcLeaf fill_leaf = leaf (shape3 (2, 4, 4), -1, 1);
  GcLeaf fill_leaf2 = leaf (gc_shape2 (3, 3), -1, 1);
  GcutShape s = shape3 (2, 4, 4), so;
  g_autofree float *x = gc_random_floats (32, -1, 1, 61);
  g_autofree double *want = g_new (double, 32);
  g_autofree float *got = NULL;

  gc_check ("reshape", reshape_leaves, 2, build_reshape, NULL, plain, 1e-2);
  gc_check ("fill_diagonal 3D", &fill_leaf, 1, build_fill_diagonal, NULL, plain, 1e-2);
  gc_check ("fill_diagonal 2D", &fill_leaf2, 1, build_fill_diagonal, NULL, plain, 1e-2);
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++)
        want[(b * 4 + i) * 4 + j] = i == j ? -10.0 : x[(b * 4 + i) * 4 + j];
  got = run_forward (&s, &x, 1, build_fill_diagonal, NULL, &so);
  expect_close ("fill_diagonal forward", got, want, 32, 0);
}

/* y = x + detach (x)·w: ∂/∂x must be 1 (not 1 + w), ∂/∂w = x. */
static void
test_detach (void)
{
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  GcutShape s = gc_shape2 (3, 4);
  GcutValue x = gcut_input (g, "x", s), w = gcut_input (g, "w", s);
  GcutValue d = gcut_detach (g, x);
  GcutValue y = gcut_add_broadcast (g, x, gcut_mul (g, d, w));
  GcutValue only = gcut_sum_all (g, gcut_detach (g, w));
  GcutValue wrt[2] = { x, w }, outs[2] = { y, only };
  g_autofree float *xd = gc_random_floats (12, -1, 1, 71);
  g_autofree float *wd = gc_random_floats (12, -1, 1, 72);
  g_autofree float *seed = gc_random_floats (12, -1, 1, 73);
  float gx[12], gw[12], out[12], one = 1.f;

  plan = gcut_plan_new (g, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = outs,
                                         .n_outputs = 2,
                                         .seeds = &y,
                                         .n_seeds = 1,
                                         .wrt = wrt,
                                         .n_wrt = 2,
                                         .block = 1 },
                        &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, x, xd, &error));
  g_assert_true (gcut_plan_set_input (plan, w, wd, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, y, out, &error));
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (out[i], xd[i] + xd[i] * wd[i], 1e-6);
  g_assert_true (gcut_plan_set_seed (plan, y, seed, &error));
  g_assert_true (gcut_plan_backward (plan, &error));
  g_assert_true (gcut_plan_get_grad (plan, x, gx, &error));
  g_assert_true (gcut_plan_get_grad (plan, w, gw, &error));
  for (int i = 0; i < 12; i++)
    {
      g_assert_cmpfloat (gx[i], ==, seed[i]);
      g_assert_cmpfloat_with_epsilon (gw[i], seed[i] * xd[i], 1e-6);
    }
  g_assert_no_error (error);

  /* a loss only reached through detach: a zero gradient, not an error */
  {
    g_autoptr (GcutGraph) g2 = gcut_graph_new ();
    g_autoptr (GcutPlan) p2 = NULL;
    GcutValue v = gcut_input (g2, "v", s);
    GcutValue l = gcut_mean_all (g2, gcut_square (g2, gcut_detach (g2, v)));
    float gv[12];
    p2 = gcut_plan_new (g2, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = &l,
                                         .n_outputs = 1,
                                         .seeds = &l,
                                         .n_seeds = 1,
                                         .wrt = &v,
                                         .n_wrt = 1,
                                         .block = 1 },
                        &error);
    g_assert_no_error (error);
    g_assert_true (gcut_plan_set_input (p2, v, xd, &error));
    g_assert_true (gcut_plan_forward (p2, &error));
    g_assert_true (gcut_plan_set_seed (p2, l, &one, &error));
    g_assert_true (gcut_plan_backward (p2, &error));
    g_assert_true (gcut_plan_get_grad (p2, v, gv, &error));
    for (int i = 0; i < 12; i++)
      g_assert_cmpfloat (gv[i], ==, 0.f);
  }
}

/* ---- a composed loss ----
 * L = mean_all (logsumexp_rows (reshape (q·kᵀ))) with k detached, q (B, P, C),
 * k (B, K, C): ∂L/∂q[b, i] = Σ_j softmax (s[b, i])_j · k[b, j] / (B·P). */
static void
test_composed_loss (void)
{
  const gint64 B = 2, P = 5, K = 6, C = 8;
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  GcutValue q = gcut_input (g, "q", shape3 (B, P, C));
  GcutValue k = gcut_input (g, "k", shape3 (B, K, C));
  GcutValue s = gcut_matmul (g, q, gcut_detach (g, k), FALSE, TRUE);
  GcutValue l = gcut_mean_all (
      g, gcut_logsumexp_rows (g, gcut_reshape (g, s, gc_shape2 (B * P, K))));
  GcutValue wrt[2] = { q, k };
  g_autofree float *qd = gc_random_floats (B * P * C, -1, 1, 81);
  g_autofree float *kd = gc_random_floats (B * K * C, -1, 1, 82);
  g_autofree float *gq = g_new (float, B *P *C);
  g_autofree float *gk = g_new (float, B *K *C);
  g_autofree double *want = g_new0 (double, B *P *C);
  double want_l = 0;
  float one = 1.f, got_l;

  plan = gcut_plan_new (g, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = &l,
                                         .n_outputs = 1,
                                         .seeds = &l,
                                         .n_seeds = 1,
                                         .wrt = wrt,
                                         .n_wrt = 2,
                                         .block = 1 },
                        &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, q, qd, &error));
  g_assert_true (gcut_plan_set_input (plan, k, kd, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, l, &got_l, &error));
  g_assert_true (gcut_plan_set_seed (plan, l, &one, &error));
  g_assert_true (gcut_plan_backward (plan, &error));
  g_assert_true (gcut_plan_get_grad (plan, q, gq, &error));
  g_assert_true (gcut_plan_get_grad (plan, k, gk, &error));

  for (gint64 b = 0; b < B; b++)
    for (gint64 i = 0; i < P; i++)
      {
        double sc[6], m = -INFINITY, sum = 0;
        for (gint64 j = 0; j < K; j++)
          {
            sc[j] = 0;
            for (gint64 c = 0; c < C; c++)
              sc[j] += (double)qd[(b * P + i) * C + c] * kd[(b * K + j) * C + c];
            m = MAX (m, sc[j]);
          }
        for (gint64 j = 0; j < K; j++)
          sum += exp (sc[j] - m);
        want_l += (m + log (sum)) / (B * P);
        for (gint64 j = 0; j < K; j++)
          for (gint64 c = 0; c < C; c++)
            want[(b * P + i) * C + c]
                += exp (sc[j] - m) / sum * kd[(b * K + j) * C + c] / (B * P);
      }
  g_assert_cmpfloat_with_epsilon (got_l, want_l, 1e-5);
  expect_close ("composed loss, dL/dq", gq, want, B * P * C, 1e-5);
  for (gint64 i = 0; i < B * K * C; i++)
    g_assert_cmpfloat (gk[i], ==, 0.f);
}

/* A few ops in a chain, every gradient checked by finite differences: the
 * Sinkhorn step u = a / (K·v) and a JSD-like term with broadcasts. */
static GcutValue
build_chain (GcutGraph *g, const GcutValue *x, gpointer data)
{
  GcutValue K = gcut_exp (g, gcut_affine (g, x[0], -2.f, 0.f)); /* (2, 4, 5) */
  GcutValue v = x[1];                                           /* (2, 5, 1) */
  GcutValue u = gcut_div (g, gcut_affine (g, x[2], 0.f, 1.25f),
                          gcut_matmul (g, K, v, FALSE, FALSE));
  GcutValue vv = gcut_div (g, x[2], gcut_matmul (g, u, K, TRUE, FALSE)); /* (2, 1, 5) */
  GcutValue p = gcut_mul (g, gcut_mul (g, u, K), vv);                    /* (2, 4, 5) */
  GcutValue m = gcut_sub (g, gcut_log (g, p), gcut_softplus (g, x[0]));
  return gcut_sum_cols (g,
                        gcut_add_broadcast (g, gcut_square (g, m), gcut_abs (g, x[0])));
}

static void
test_chain (void)
{
  GcLeaf leaves[3] = { leaf (shape3 (2, 4, 5), -1, 1), leaf (shape3 (2, 5, 1), 0.5, 2),
                       leaf (shape3 (2, 1, 1), 0.5, 2) };
  gc_check ("sinkhorn-like chain", leaves, 3, build_chain, NULL, plain, 1e-2);
}

/* GAN losses on a one-channel discriminator map (N, 1, H, W): plain in every
 * plan, whatever the channel block. */
static GcutValue
build_gan (GcutGraph *g, const GcutValue *x, gpointer data)
{
  GcutValue d = gcut_sub (g, x[0], x[1]); /* (2, 1, 3, 4) − (1, 1, 1, 1) */
  return gcut_add_broadcast (g, gcut_mean_all (g, gcut_softplus (g, d)),
                             gcut_mean_all (g, gcut_square (g, x[0])));
}

static void
test_gan_maps (void)
{
  static const int all_blocks[] = { 1, 8, 16, 0 };
  GcLeaf leaves[2] = { leaf ((GcutShape){ 4, { 2, 1, 3, 4 } }, -2, 2),
                       leaf ((GcutShape){ 4, { 1, 1, 1, 1 } }, -1, 1) };
  gc_check ("GAN-style losses on (N, 1, H, W)", leaves, 2, build_gan, NULL, all_blocks,
            1e-2);
}

/* ---- errors ---- */

static void
test_errors (void)
{
  static const char *const messages[] = {
    "matmul: cannot multiply (4, 5) by (6, 3): the inner sizes 5 and 6 differ",
    "matmul: cannot multiply (4, 5) transposed by (6, 3) transposed: the inner sizes 4 "
    "and 3 differ",
    "matmul: (2, 4, 5) and (3, 5, 3) must both be matrices, or batches of the same size",
    "matmul: input 0 must be a float matrix or batch of matrices (2 or 3 dimensions), "
    "not "
    "(5)",
    "mul: the shapes (4, 5) and (4, 3) cannot be broadcast: dimension 1 is 5 and 3",
    "div: the shapes (4, 5) and (2, 4, 5) have different numbers of dimensions",
    "fill diagonal: the last two dimensions must be equal (square matrices), not (4, 5)",
    "reshape: (4, 5) (20 elements) cannot be seen as (3, 7)",
    "sum rows: input 0 must be a matrix or a batch of matrices, not (5)",
    "affine: alpha and beta must be finite, not inf and 0",
    "exp: input 0 must be a float tensor, not indices",
    "fill diagonal: the last two dimensions must be equal (square matrices), not (4)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr (GcutGraph) g = gcut_graph_new ();
      GcutValue m = gcut_input (g, "m", gc_shape2 (4, 5));
      GcutValue v = gcut_input (g, "v", gc_shape1 (5));
      switch (i)
        {
        case 0:
          gcut_matmul (g, m, gcut_input (g, "b", gc_shape2 (6, 3)), FALSE, FALSE);
          break;
        case 1:
          gcut_matmul (g, m, gcut_input (g, "b", gc_shape2 (6, 3)), TRUE, TRUE);
          break;
        case 2:
          gcut_matmul (g, gcut_input (g, "a", shape3 (2, 4, 5)),
                       gcut_input (g, "b", shape3 (3, 5, 3)), FALSE, FALSE);
          break;
        case 3:
          gcut_matmul (g, v, m, FALSE, FALSE);
          break;
        case 4:
          gcut_mul (g, m, gcut_input (g, "b", gc_shape2 (4, 3)));
          break;
        case 5:
          gcut_div (g, m, gcut_input (g, "b", shape3 (2, 4, 5)));
          break;
        case 6:
          gcut_fill_diagonal (g, m, 0.f);
          break;
        case 7:
          gcut_reshape (g, m, gc_shape2 (3, 7));
          break;
        case 8:
          gcut_sum_rows (g, v);
          break;
        case 9:
          gcut_affine (g, m, INFINITY, 0.f);
          break;
        case 10:
          gcut_exp (g, gcut_input_indices (g, "idx", 4));
          break;
        case 11:
          gcut_fill_diagonal (g, gcut_input (g, "w", gc_shape1 (4)), 0.f);
          break;
        }
      gc_expect_graph_error (g, messages[i]);
    }
}

/* A broadcast over channel-blocked images is refused when the plan is made,
 * not misread (same-shaped operands run blocked: /plan/blocked-elementwise). */
static void
test_blocked_refused (void)
{
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  g_autoptr (GError) error = NULL;
  GcutValue x = gcut_input (g, "x", (GcutShape){ 4, { 1, 16, 2, 2 } });
  GcutValue y = gcut_mul (g, x, gcut_input (g, "s", (GcutShape){ 4, { 1, 16, 1, 1 } }));
  GcutPlan *plan = gcut_plan_new (
      g, gcut_backend_cpu (),
      &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1, .block = 16 }, &error);
  g_assert_null (plan);
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "plain layouts only"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/math/matmul", test_matmul);
  g_test_add_func ("/math/matmul-large", test_matmul_large);
  g_test_add_func ("/math/binary", test_binary);
  g_test_add_func ("/math/unary", test_unary);
  g_test_add_func ("/math/affine-constant", test_affine_constant);
  g_test_add_func ("/math/sums", test_sums);
  g_test_add_func ("/math/max-rows", test_max_rows);
  g_test_add_func ("/math/shape-ops", test_shape_ops);
  g_test_add_func ("/math/detach", test_detach);
  g_test_add_func ("/math/composed-loss", test_composed_loss);
  g_test_add_func ("/math/chain", test_chain);
  g_test_add_func ("/math/gan-maps", test_gan_maps);
  g_test_add_func ("/math/errors", test_errors);
  g_test_add_func ("/math/blocked-refused", test_blocked_refused);
  return g_test_run ();
}
