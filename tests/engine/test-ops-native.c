/* Tests of the engine's own (non-oneDNN) kernels: finite-difference gradient
 * checks, forward values against naive double-precision references written
 * straight from the PyTorch definitions, and the errors of bad graphs. */
#include <math.h>
#include <string.h>
#include "gradcheck.h"
#include "test-util.h"

static const int all_blocks[] = { 1, 8, 16, 0 };

/* ---- naive references, plain NCHW, in double ---- */

/* PyTorch's reflect padding, as the periodic mirror extension of 0 … n − 1. */
static gint64
ref_reflect (gint64 i, gint64 n)
{
  gint64 period = 2 * (n - 1), m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

static gint64
ref_source (GcutPadMode mode, gint64 i, gint64 n)
{
  if (mode == GCUT_PAD_REFLECT)
    return ref_reflect (i, n);
  if (mode == GCUT_PAD_REPLICATE)
    return CLAMP (i, 0, n - 1);
  return i >= 0 && i < n ? i : -1;
}

/* One H × W plane padded into (H + t + b) × (W + l + r). */
static void
ref_pad_plane (const float *x, gint64 h, gint64 w, GcutPadMode mode, const int *pad,
               double *out)
{
  gint64 wo = w + pad[2] + pad[3];
  for (gint64 oy = 0; oy < h + pad[0] + pad[1]; oy++)
    for (gint64 ox = 0; ox < wo; ox++)
      {
        gint64 sy = ref_source (mode, oy - pad[0], h),
               sx = ref_source (mode, ox - pad[2], w);
        out[oy * wo + ox] = sy < 0 || sx < 0 ? 0.0 : x[sy * w + sx];
      }
}

/* CUT Downsample of one plane: reflect pad 1, then the 3 × 3 filter
 * [1,2,1]ᵀ[1,2,1]/16 at stride 2. */
static void
ref_blur_down_plane (const float *x, gint64 h, gint64 w, double *out)
{
  static const int pad1[4] = { 1, 1, 1, 1 };
  static const double a[3] = { 1, 2, 1 };
  g_autofree double *p = g_new (double, (h + 2) * (w + 2));
  gint64 ho = (h + 2 - 3) / 2 + 1, wo = (w + 2 - 3) / 2 + 1;
  ref_pad_plane (x, h, w, GCUT_PAD_REFLECT, pad1, p);
  for (gint64 y = 0; y < ho; y++)
    for (gint64 xo = 0; xo < wo; xo++)
      {
        double s = 0;
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 3; j++)
            s += a[i] * a[j] / 16 * p[(2 * y + i) * (w + 2) + 2 * xo + j];
        out[y * wo + xo] = s;
      }
}

/* CUT Upsample of one plane: replicate pad 1, conv_transpose2d with the 4 × 4
 * filter 4·[1,3,3,1]ᵀ[1,3,3,1]/64, stride 2, padding 2 (output
 * (h + 2 − 1)·2 − 4 + 4 = 2h + 2), then [1:-1, 1:-1]. */
static void
ref_blur_up_plane (const float *x, gint64 h, gint64 w, double *out)
{
  static const int pad1[4] = { 1, 1, 1, 1 };
  static const double a[4] = { 1, 3, 3, 1 };
  gint64 hf = 2 * h + 2, wf = 2 * w + 2;
  g_autofree double *p = g_new (double, (h + 2) * (w + 2));
  g_autofree double *full = g_new0 (double, hf *wf);
  ref_pad_plane (x, h, w, GCUT_PAD_REPLICATE, pad1, p);
  for (gint64 i = 0; i < h + 2; i++)
    for (gint64 j = 0; j < w + 2; j++)
      for (int ki = 0; ki < 4; ki++)
        for (int kj = 0; kj < 4; kj++)
          {
            gint64 oy = 2 * i - 2 + ki, ox = 2 * j - 2 + kj;
            if (oy >= 0 && oy < hf && ox >= 0 && ox < wf)
              full[oy * wf + ox] += p[i * (w + 2) + j] * 4 * a[ki] * a[kj] / 64;
          }
  for (gint64 y = 0; y < 2 * h; y++)
    for (gint64 xo = 0; xo < 2 * w; xo++)
      out[y * 2 * w + xo] = full[(y + 1) * wf + xo + 1];
}

/* Instance norm of one plane of n pixels, two-pass, then γ, β and the
 * activation (slope below zero `lo`). */
static void
ref_instance_norm_plane (const float *x, gint64 n, double gamma, double beta, double eps,
                         double lo, double *out)
{
  double mean = 0, var = 0;
  for (gint64 i = 0; i < n; i++)
    mean += x[i];
  mean /= n;
  for (gint64 i = 0; i < n; i++)
    var += (x[i] - mean) * (x[i] - mean);
  var /= n;
  for (gint64 i = 0; i < n; i++)
    {
      double v = (x[i] - mean) / sqrt (var + eps) * gamma + beta;
      out[i] = v > 0 ? v : v * lo;
    }
}

/* ---- running a graph forward ---- */

typedef struct
{
  GcutShape shape;
  const void *data; /* float, or gint32 with `indices` */
  gboolean indices;
} FwdLeaf;

/* The output of `build` on the leaves, computed with channel block `block`. */
static float *
run_forward (const FwdLeaf *leaves, int n_leaves, GcBuildFunc build, gpointer user_data,
             int block, gint64 *n_out)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  GcutValue values[8] = { GCUT_NONE }, out;
  GcutShape shape;
  float *data;

  for (int i = 0; i < n_leaves; i++)
    values[i] = leaves[i].indices
                    ? gcut_input_indices (graph, "idx", leaves[i].shape.dims[0])
                    : gcut_input (graph, "x", leaves[i].shape);
  out = build (graph, values, user_data);
  plan = gcut_plan_new (
      graph, gcut_backend_cpu (),
      &(GcutPlanSpec){ .outputs = &out, .n_outputs = 1, .block = block }, &error);
  g_assert_no_error (error);
  for (int i = 0; i < n_leaves; i++)
    g_assert_true (leaves[i].indices
                       ? gcut_plan_set_indices (plan, values[i], leaves[i].data, &error)
                       : gcut_plan_set_input (plan, values[i], leaves[i].data, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  shape = gcut_graph_shape (graph, out);
  *n_out = 1;
  for (int i = 0; i < shape.n_dims; i++)
    *n_out *= shape.dims[i];
  data = g_new (float, *n_out);
  g_assert_true (gcut_plan_get_output (plan, out, data, &error));
  return data;
}

/* Fails the test at the first of n values off by more than tol. */
static void
expect_close (const char *what, int block, const float *got, const double *want, gint64 n,
              double tol)
{
  for (gint64 i = 0; i < n; i++)
    if (!(fabs (got[i] - want[i]) <= tol))
      {
        g_test_message ("%s, block %d: element %" G_GINT64_FORMAT " is %.8g, not %.8g",
                        what, block, i, got[i], want[i]);
        g_test_fail ();
        return;
      }
}

/* A reference mapping one h × w plane to the planes of the result. */
typedef void (*PlaneRef) (const float *x, gint64 h, gint64 w, gpointer user_data,
                          double *out);

/* Checks build against ref, ho × wo planes out, for every block. */
static void
check_planes (const char *what, GcutShape xs, gint64 ho, gint64 wo, GcBuildFunc build,
              PlaneRef ref, gpointer user_data, double tol)
{
  gint64 planes = xs.dims[0] * xs.dims[1], h = xs.dims[2], w = xs.dims[3], n_out;
  gint64 n_want = planes * ho * wo;
  g_autofree float *x = gc_random_floats (planes * h * w, -1, 1, 7);
  g_autofree double *want = g_new (double, n_want);
  FwdLeaf leaf = { xs, x, FALSE };

  for (gint64 pl = 0; pl < planes; pl++)
    ref (x + pl * h * w, h, w, user_data, want + pl * ho * wo);
  for (const int *b = all_blocks; *b; b++)
    {
      g_autofree float *got = run_forward (&leaf, 1, build, user_data, *b, &n_out);
      g_assert_cmpint (n_out, ==, n_want);
      expect_close (what, *b, got, want, n_out, tol);
    }
}

/* ---- activations ---- */

static GcutValue
build_act (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gc_activate (g, x[0], GPOINTER_TO_INT (data));
}

static void
test_activations (void)
{
  GcLeaf x = gc_image (2, 16, 5, 3);
  for (GcAct a = GC_ACT_RELU; a <= GC_ACT_TANH; a++)
    gc_check ("activation", &x, 1, build_act, GINT_TO_POINTER (a), all_blocks, 1e-2);
}

/* ---- pad ---- */

typedef struct
{
  const char *what;
  GcutPadMode mode;
  int pad[4];
} PadCase;

static const PadCase pad_cases[] = {
  { "zero pad", GCUT_PAD_ZERO, { 1, 2, 0, 3 } },
  { "reflect pad", GCUT_PAD_REFLECT, { 2, 1, 3, 0 } },
  { "reflect pad, widest", GCUT_PAD_REFLECT, { 4, 3, 1, 3 } },
  { "replicate pad", GCUT_PAD_REPLICATE, { 3, 0, 1, 5 } },
};

static GcutValue
build_pad (GcutGraph *g, const GcutValue *x, gpointer data)
{
  const PadCase *c = data;
  return gcut_pad (g, x[0], c->mode, c->pad[0], c->pad[1], c->pad[2], c->pad[3]);
}

static void
ref_pad (const float *x, gint64 h, gint64 w, gpointer data, double *out)
{
  const PadCase *c = data;
  ref_pad_plane (x, h, w, c->mode, c->pad, out);
}

static void
test_pad (void)
{
  GcLeaf x = gc_image (2, 16, 5, 4);
  for (guint i = 0; i < G_N_ELEMENTS (pad_cases); i++)
    {
      const PadCase *c = &pad_cases[i];
      gc_check (c->what, &x, 1, build_pad, (gpointer)c, all_blocks, 1e-2);
      check_planes (c->what, x.shape, 5 + c->pad[0] + c->pad[1],
                    4 + c->pad[2] + c->pad[3], build_pad, ref_pad, (gpointer)c, 0);
    }
}

/* ---- instance norm ---- */

typedef struct
{
  const char *what;
  int n_affine; /* 0, γ, or γ and β */
  GcAct act;
} NormCase;

static const NormCase norm_cases[] = {
  { "instance norm", 0, GC_ACT_NONE },
  { "instance norm, gamma", 1, GC_ACT_NONE },
  { "instance norm, gamma, beta", 2, GC_ACT_NONE },
  { "instance norm + ReLU", 0, GC_ACT_RELU },
  { "instance norm, gamma, beta + leaky ReLU", 2, GC_ACT_LEAKY_RELU },
  { "instance norm + tanh", 1, GC_ACT_TANH },
};

/* Leaves: x, then γ and β as the case has them; the activation after the norm
 * is fused by the plan. */
static GcutValue
build_norm (GcutGraph *g, const GcutValue *x, gpointer data)
{
  const NormCase *c = data;
  GcutValue y = gcut_instance_norm (g, x[0], c->n_affine > 0 ? x[1] : GCUT_NONE,
                                    c->n_affine > 1 ? x[2] : GCUT_NONE, 1e-5f);
  return gc_activate (g, y, c->act);
}

static void
test_instance_norm_grad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (norm_cases); i++)
    {
      /* 15 pixels: a tail past the vector loops in the plain layout */
      GcLeaf leaves[3] = { gc_image (2, 16, 5, 3), gc_param (gc_shape1 (16)),
                           gc_param (gc_shape1 (16)) };
      gc_check (norm_cases[i].what, leaves, 1 + norm_cases[i].n_affine, build_norm,
                (gpointer)&norm_cases[i], all_blocks, 1e-2);
    }
  /* 1600 pixels: statistics over several chunks of a plane */
  GcLeaf big[2] = { gc_image (1, 16, 40, 40), gc_param (gc_shape1 (16)) };
  gc_check ("instance norm, several chunks", big, 2, build_norm, (gpointer)&norm_cases[1],
            all_blocks, 1e-2);
}

/* Against the reference on planes of h × w whose mean is far from 0 compared
 * with their spread. */
static void
check_norm_forward (const NormCase *c, gint64 n, gint64 ch, gint64 h, gint64 w,
                    double tol)
{
  gint64 hw = h * w, numel = n * ch * hw, n_out;
  g_autofree float *x = gc_random_floats (numel, 2.5, 3.5, 11);
  g_autofree float *gamma = gc_random_floats (ch, 0.5, 1.5, 12);
  g_autofree float *beta = gc_random_floats (ch, -0.5, 0.5, 13);
  g_autofree double *want = g_new (double, numel);
  FwdLeaf leaves[3] = { { gc_shape4 (n, ch, h, w), x, FALSE },
                        { gc_shape1 (ch), gamma, FALSE },
                        { gc_shape1 (ch), beta, FALSE } };
  double lo = c->act == GC_ACT_RELU ? 0 : c->act == GC_ACT_LEAKY_RELU ? 0.2 : 1;

  for (gint64 pl = 0; pl < n * ch; pl++)
    ref_instance_norm_plane (x + pl * hw, hw, c->n_affine > 0 ? gamma[pl % ch] : 1,
                             c->n_affine > 1 ? beta[pl % ch] : 0, 1e-5, lo,
                             want + pl * hw);
  for (const int *b = all_blocks; *b; b++)
    {
      g_autofree float *got
          = run_forward (leaves, 1 + c->n_affine, build_norm, (gpointer)c, *b, &n_out);
      expect_close (c->what, *b, got, want, n_out, tol);
    }
}

static void
test_instance_norm_forward (void)
{
  check_norm_forward (&norm_cases[0], 2, 32, 9, 7, 1e-5);
  check_norm_forward (&norm_cases[4], 2, 32, 9, 7, 1e-5);
  /* PyTorch's accuracy on full-size planes */
  check_norm_forward (&norm_cases[0], 1, 16, 256, 256, 1e-5);
}

/* ---- blur ---- */

static GcutValue
build_blur (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return data ? gcut_blur_up (g, x[0]) : gcut_blur_down (g, x[0]);
}

static void
ref_blur (const float *x, gint64 h, gint64 w, gpointer data, double *out)
{
  if (data)
    ref_blur_up_plane (x, h, w, out);
  else
    ref_blur_down_plane (x, h, w, out);
}

static void
test_blur_down (void)
{
  static const gint64 sizes[][2] = { { 7, 5 }, { 6, 8 }, { 2, 3 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      GcLeaf x = gc_image (2, 16, sizes[i][0], sizes[i][1]);
      gc_check ("blur down", &x, 1, build_blur, NULL, all_blocks, 1e-2);
      check_planes ("blur down", x.shape, (sizes[i][0] - 1) / 2 + 1,
                    (sizes[i][1] - 1) / 2 + 1, build_blur, ref_blur, NULL, 1e-6);
    }
}

static void
test_blur_up (void)
{
  static const gint64 sizes[][2] = { { 3, 4 }, { 5, 2 }, { 1, 1 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      GcLeaf x = gc_image (2, 16, sizes[i][0], sizes[i][1]);
      gc_check ("blur up", &x, 1, build_blur, GINT_TO_POINTER (1), all_blocks, 1e-2);
      check_planes ("blur up", x.shape, 2 * sizes[i][0], 2 * sizes[i][1], build_blur,
                    ref_blur, GINT_TO_POINTER (1), 1e-6);
    }
}

/* ---- add ---- */

static GcutValue
build_add (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gcut_add (g, x[0], x[1]);
}

static void
test_add (void)
{
  GcLeaf images[2] = { gc_image (2, 16, 3, 5), gc_image (2, 16, 3, 5) };
  GcLeaf matrices[2] = { { GC_INPUT, gc_shape2 (4, 7), -1, 1, 0 },
                         { GC_INPUT, gc_shape2 (4, 7), -1, 1, 0 } };
  GcutShape s = images[0].shape;
  gint64 n = 2 * 16 * 3 * 5, n_out;
  g_autofree float *a = gc_random_floats (n, -1, 1, 1);
  g_autofree float *b = gc_random_floats (n, -1, 1, 2);
  g_autofree double *want = g_new (double, n);
  FwdLeaf leaves[2] = { { s, a, FALSE }, { s, b, FALSE } };

  gc_check ("add", images, 2, build_add, NULL, all_blocks, 1e-2);
  gc_check ("add, matrices", matrices, 2, build_add, NULL, all_blocks, 1e-2);
  for (gint64 i = 0; i < n; i++)
    want[i] = a[i] + b[i];
  for (const int *blk = all_blocks; *blk; blk++)
    {
      g_autofree float *got = run_forward (leaves, 2, build_add, NULL, *blk, &n_out);
      expect_close ("add", *blk, got, want, n, 0);
    }
}

/* ---- L2 normalize ---- */

static GcutValue
build_l2 (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gcut_l2_normalize (g, x[0], 1e-7f);
}

static void
test_l2_normalize (void)
{
  GcLeaf x = { GC_INPUT, gc_shape2 (6, 10), -1, 1, 0 };
  gint64 n_out;
  g_autofree float *data = gc_random_floats (60, -1, 1, 3);
  g_autofree double *want = g_new (double, 60);
  g_autofree float *got = NULL;
  FwdLeaf leaf = { x.shape, data, FALSE };

  gc_check ("L2 normalize", &x, 1, build_l2, NULL, all_blocks, 1e-2);
  for (int r = 0; r < 6; r++)
    {
      double norm = 0;
      for (int j = 0; j < 10; j++)
        norm += (double)data[r * 10 + j] * data[r * 10 + j];
      for (int j = 0; j < 10; j++)
        want[r * 10 + j] = data[r * 10 + j] / (sqrt (norm) + 1e-7);
    }
  got = run_forward (&leaf, 1, build_l2, NULL, 1, &n_out);
  expect_close ("L2 normalize", 1, got, want, 60, 1e-6);
}

/* ---- gather ---- */

static GcutValue
build_gather (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return gcut_gather_locations (g, x[0], x[1]);
}

static void
test_gather (void)
{
  /* 9 indices below 5: some repeat, so their gradients must add up */
  GcLeaf leaves[2] = { gc_image (2, 16, 4, 5), { GC_INDICES, gc_shape1 (9), 0, 0, 5 } };
  GcLeaf param[2] = { gc_param (gc_shape4 (2, 16, 4, 5)), leaves[1] };
  static const gint32 idx[] = { 19, 0, 7, 7, 12, 3 };
  const gint64 N = 2, C = 32, H = 4, W = 5, P = G_N_ELEMENTS (idx);
  g_autofree float *x = gc_random_floats (N * C * H * W, -1, 1, 5);
  g_autofree double *want = g_new (double, N *P *C);
  FwdLeaf fwd[2] = { { gc_shape4 (N, C, H, W), x, FALSE }, { gc_shape1 (P), idx, TRUE } };
  gint64 n_out;

  gc_check ("gather", leaves, 2, build_gather, NULL, all_blocks, 1e-2);
  /* a parameter's gradient is copied from the blocked layout into plain storage */
  gc_check ("gather from a parameter", param, 2, build_gather, NULL, all_blocks, 1e-2);
  /* feat.permute(0, 2, 3, 1).flatten(1, 2)[:, idx, :].flatten(0, 1) */
  for (gint64 n = 0; n < N; n++)
    for (gint64 p = 0; p < P; p++)
      for (gint64 c = 0; c < C; c++)
        want[(n * P + p) * C + c] = x[((n * C + c) * H + idx[p] / W) * W + idx[p] % W];
  for (const int *b = all_blocks; *b; b++)
    {
      g_autofree float *got = run_forward (fwd, 2, build_gather, NULL, *b, &n_out);
      expect_close ("gather", *b, got, want, n_out, 0);
    }
}

/* ---- softmax and log-sum-exp ---- */

static GcutValue
build_rows (GcutGraph *g, const GcutValue *x, gpointer data)
{
  return data ? gcut_logsumexp_rows (g, x[0]) : gcut_softmax_rows (g, x[0]);
}

static void
test_softmax (void)
{
  GcLeaf x = { GC_INPUT, gc_shape2 (5, 9), -3, 3, 0 };
  /* large values: unstable without the max shift */
  static const float data[2][3] = { { 1000, 1001, 999 }, { -50, 0, 50 } };
  FwdLeaf leaf = { gc_shape2 (2, 3), data, FALSE };
  g_autofree double *want_softmax = g_new (double, 6);
  double want_lse[2];
  g_autofree float *softmax = NULL, *lse = NULL;
  gint64 n_out;

  gc_check ("softmax", &x, 1, build_rows, NULL, all_blocks, 1e-2);
  gc_check ("logsumexp", &x, 1, build_rows, GINT_TO_POINTER (1), all_blocks, 1e-2);
  for (int r = 0; r < 2; r++)
    {
      double m = MAX (MAX (data[r][0], data[r][1]), data[r][2]), sum = 0;
      for (int j = 0; j < 3; j++)
        sum += exp (data[r][j] - m);
      for (int j = 0; j < 3; j++)
        want_softmax[r * 3 + j] = exp (data[r][j] - m) / sum;
      want_lse[r] = m + log (sum);
    }
  softmax = run_forward (&leaf, 1, build_rows, NULL, 1, &n_out);
  expect_close ("softmax", 1, softmax, want_softmax, 6, 1e-7);
  lse = run_forward (&leaf, 1, build_rows, GINT_TO_POINTER (1), 1, &n_out);
  expect_close ("logsumexp", 1, lse, want_lse, 2, 1e-4);
}

/* ---- errors ---- */

static void
test_errors (void)
{
  GcutShape image = gc_shape4 (2, 16, 5, 4);
  struct
  {
    int which;
    const char *message;
  } cases[] = {
    { 0, "pad: reflect padding by 5 on the top needs an image height of more than 5 "
         "pixels, not 5" },
    { 1, "pad: the left pad is -1; pads must be 0 or more" },
    { 2, "gather locations: input 0 must be a 4-dimensional float tensor, not (6, 16)" },
    { 3, "gather locations: input 1 must be an index list" },
    { 4, "add: the shapes (2, 16, 5, 4) and (2, 16, 4, 5) differ" },
    { 5, "instance norm: gamma must be a float vector of the 16 channels, not (8)" },
    { 6, "instance norm: beta needs gamma" },
    { 7, "blur down: reflect padding by 1 needs at least 2 x 2 pixels, not 1 x 4" },
    { 8, "logsumexp: input 0 must be a 2-dimensional float tensor" },
    { 9, "L2 normalize: eps must be finite and 0 or more, not -1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GcutGraph) g = gcut_graph_new ();
      GcutValue x = gcut_input (g, "x", image);
      GcutValue m = gcut_input (g, "m", gc_shape2 (6, 16));
      switch (cases[i].which)
        {
        case 0:
          gcut_pad (g, x, GCUT_PAD_REFLECT, 5, 0, 0, 0);
          break;
        case 1:
          gcut_pad (g, x, GCUT_PAD_ZERO, 0, 0, -1, 0);
          break;
        case 2:
          gcut_gather_locations (g, m, gcut_input_indices (g, "idx", 3));
          break;
        case 3:
          gcut_gather_locations (g, x, gcut_input (g, "i", gc_shape1 (3)));
          break;
        case 4:
          gcut_add (g, x, gcut_input (g, "y", gc_shape4 (2, 16, 4, 5)));
          break;
        case 5:
          gcut_instance_norm (g, x, gcut_input (g, "gamma", gc_shape1 (8)), GCUT_NONE,
                              1e-5f);
          break;
        case 6:
          gcut_instance_norm (g, x, GCUT_NONE, gcut_input (g, "beta", gc_shape1 (16)),
                              1e-5f);
          break;
        case 7:
          gcut_blur_down (g, gcut_input (g, "thin", gc_shape4 (1, 16, 1, 4)));
          break;
        case 8:
          gcut_logsumexp_rows (g, x);
          break;
        case 9:
          gcut_l2_normalize (g, m, -1.f);
          break;
        }
      gc_expect_graph_error (g, cases[i].message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ops/activations", test_activations);
  g_test_add_func ("/ops/pad", test_pad);
  g_test_add_func ("/ops/instance-norm/gradient", test_instance_norm_grad);
  g_test_add_func ("/ops/instance-norm/forward", test_instance_norm_forward);
  g_test_add_func ("/ops/blur-down", test_blur_down);
  g_test_add_func ("/ops/blur-up", test_blur_up);
  g_test_add_func ("/ops/add", test_add);
  g_test_add_func ("/ops/l2-normalize", test_l2_normalize);
  g_test_add_func ("/ops/gather", test_gather);
  g_test_add_func ("/ops/softmax", test_softmax);
  g_test_add_func ("/ops/errors", test_errors);
  return g_test_run ();
}
