/* BF16 precision's bf16 convolutions against EXACT: single convolutions within
 * an elementwise bound, and the whole generator and discriminator within a
 * stated tolerance.  Skipped on CPUs without native bf16, where FAST uses no
 * bf16. */
#include <math.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>
#include "test-util.h"

static gboolean
skip_without_bf16 (void)
{
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa ();
  if ((isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16)
    return FALSE;
  g_test_skip ("the CPU has no native bf16");
  return TRUE;
}

typedef struct
{
  const char *path;
  int n, c_in, h, w, c_out, k, stride, padding, output_padding, groups;
  gboolean transposed;
  /* FALSE where FAST may pick Winograd instead (3×3, stride 1, blocked). */
  gboolean bf16;
} ConvCase;

static const ConvCase conv_cases[] = {
  { "/fast-bf16/conv2d/k1", 2, 16, 5, 6, 32, 1, 1, 0, 0, 1, FALSE, TRUE },
  { "/fast-bf16/conv2d/k4-s1-p1", 1, 32, 9, 8, 64, 4, 1, 1, 0, 1, FALSE, TRUE },
  { "/fast-bf16/conv2d/k4-s2-p1", 1, 16, 8, 9, 32, 4, 2, 1, 0, 1, FALSE, TRUE },
  { "/fast-bf16/conv2d/k3-s2-p1", 1, 32, 9, 8, 16, 3, 2, 1, 0, 1, FALSE, TRUE },
  { "/fast-bf16/conv2d/k7-rgb-in", 1, 3, 14, 13, 16, 7, 1, 0, 0, 1, FALSE, TRUE },
  { "/fast-bf16/conv2d/k7-rgb-out", 1, 16, 12, 12, 3, 7, 1, 0, 0, 1, FALSE, TRUE },
  { "/fast-bf16/conv2d/k4-groups-2", 1, 32, 7, 7, 32, 4, 1, 1, 0, 2, FALSE, TRUE },
  { "/fast-bf16/conv2d/k3-winograd", 1, 32, 8, 8, 32, 3, 1, 1, 0, 1, FALSE, FALSE },
  { "/fast-bf16/conv-transpose2d/k3-s2-p1-op1", 1, 32, 5, 4, 16, 3, 2, 1, 1, 1, TRUE,
    TRUE },
  { "/fast-bf16/conv-transpose2d/k4-s2-p1", 1, 16, 4, 5, 32, 4, 2, 1, 0, 1, TRUE, TRUE },
};

/* Leaves and results of one convolution: y = conv(x, w) + b, and for the seed
 * r the gradients dx and dw of Σ r·y. */
typedef struct
{
  float *x, *w, *b, *r;
  float *y, *dx, *dw;
  gint64 nx, nw, ny;
} ConvRun;

static void
conv_run (const ConvCase *cc, GcutPrecision precision, int block, ConvRun *io)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  GcutShape ws = cc->transposed
                     ? gc_shape4 (cc->c_in, cc->c_out / cc->groups, cc->k, cc->k)
                     : gc_shape4 (cc->c_out, cc->c_in / cc->groups, cc->k, cc->k);
  GcutValue x = gcut_input (graph, "x", gc_shape4 (cc->n, cc->c_in, cc->h, cc->w));
  GcutValue w = gcut_param (graph, "w", ws, io->w, io->dw);
  GcutValue b
      = io->b ? gcut_param (graph, "b", gc_shape1 (cc->c_out), io->b, NULL) : GCUT_NONE;
  GcutValue y = cc->transposed
                    ? gcut_conv_transpose2d (graph, x, w, b, cc->stride, cc->padding,
                                             cc->output_padding, cc->groups)
                    : gcut_conv2d (graph, x, w, b, cc->stride, cc->padding, cc->groups);
  GcutValue wrt[] = { x, w };

  plan = gcut_plan_new (graph, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = &y,
                                         .n_outputs = 1,
                                         .seeds = &y,
                                         .n_seeds = 1,
                                         .wrt = wrt,
                                         .n_wrt = 2,
                                         .block = block,
                                         .precision = precision },
                        &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, x, io->x, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, y, io->y, &error));
  g_assert_true (gcut_plan_set_seed (plan, y, io->r, &error));
  g_assert_true (gcut_plan_backward (plan, &error));
  g_assert_true (gcut_plan_get_grad (plan, x, io->dx, &error));
  g_assert_no_error (error);
}

static void
conv_run_init (ConvRun *io, const ConvCase *cc)
{
  gint64 oh = cc->transposed ? (cc->h - 1) * cc->stride - 2 * cc->padding + cc->k
                                   + cc->output_padding
                             : (cc->h + 2 * cc->padding - cc->k) / cc->stride + 1;
  gint64 ow = cc->transposed ? (cc->w - 1) * cc->stride - 2 * cc->padding + cc->k
                                   + cc->output_padding
                             : (cc->w + 2 * cc->padding - cc->k) / cc->stride + 1;
  io->nx = (gint64)cc->n * cc->c_in * cc->h * cc->w;
  io->nw = (gint64)cc->c_out * (cc->c_in / cc->groups) * cc->k * cc->k;
  io->ny = cc->n * cc->c_out * oh * ow;
  io->y = g_new (float, io->ny);
  io->dx = g_new (float, io->nx);
  io->dw = g_new0 (float, io->nw);
}

static void
conv_run_clear (ConvRun *io)
{
  g_free (io->y);
  g_free (io->dx);
  g_free (io->dw);
}

/* Worst |fast − exact| over one result, in units of its bound; *err_scale gets
 * the worst error relative to the largest |abs| entry. */
static double
worst_ratio (const float *fast, const float *exact, const float *abs, gint64 n,
             double tol, double *err_scale)
{
  double worst = 0, err = 0, scale = 0, big = 0;
  for (gint64 i = 0; i < n; i++)
    big = MAX (big, fabs (exact[i]));
  for (gint64 i = 0; i < n; i++)
    {
      double e = fabs ((double)fast[i] - exact[i]);
      /* The floor covers the f32 rounding of the bias added afterwards. */
      worst = MAX (worst, e / (tol * abs[i] + 0x1p-22 * big));
      err = MAX (err, e);
      scale = MAX (scale, abs[i]);
    }
  *err_scale = err / scale;
  return worst;
}

/* bf16 keeps 8 significant bits: rounding x and w each errs by at most
 * u = 2⁻⁹ relatively, so each product x·w by 2u + u² = 2⁻⁸ + 2⁻¹⁸.  Summing K
 * products in f32 adds at most K·2⁻²⁴ relatively, in the fast and in the exact
 * result.  So elementwise, with the same convolution of |x|, |w| and |r| as
 * abs:  |fast − exact| ≤ (2⁻⁸ + 2⁻¹⁸ + 2K·2⁻²⁴)·abs, for y, dx and dw alike. */
static void
test_conv (gconstpointer data)
{
  const ConvCase *cc = data;
  const int blocks[] = { 1, 0 };
  ConvRun io, exact, abs;
  gint64 k2 = (gint64)cc->k * cc->k;

  if (skip_without_bf16 ())
    return;
  conv_run_init (&io, cc);
  io.x = gc_random_floats (io.nx, -1, 1, 1);
  io.w = gc_random_floats (io.nw, -0.5, 0.5, 2);
  io.b = gc_random_floats (cc->c_out, -0.5, 0.5, 3);
  io.r = gc_random_floats (io.ny, -1, 1, 4);
  exact = io;
  conv_run_init (&exact, cc);
  abs = io;
  conv_run_init (&abs, cc);
  abs.x = g_new (float, io.nx);
  abs.w = g_new (float, io.nw);
  abs.r = g_new (float, io.ny);
  abs.b = NULL;
  for (gint64 i = 0; i < io.nx; i++)
    abs.x[i] = fabsf (io.x[i]);
  for (gint64 i = 0; i < io.nw; i++)
    abs.w[i] = fabsf (io.w[i]);
  for (gint64 i = 0; i < io.ny; i++)
    abs.r[i] = fabsf (io.r[i]);

  gint64 terms = MAX (MAX (cc->c_in, cc->c_out) / cc->groups * k2, io.ny / cc->c_out);
  double tol = 0x1p-8 + 0x1p-18 + 2 * terms * 0x1p-24;
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      double ry, rdx, rdw, ey, edx, edw;
      conv_run (cc, GCUT_PRECISION_EXACT, blocks[i], &exact);
      conv_run (cc, GCUT_PRECISION_EXACT, blocks[i], &abs);
      conv_run (cc, GCUT_PRECISION_BF16, blocks[i], &io);
      ry = worst_ratio (io.y, exact.y, abs.y, io.ny, tol, &ey);
      rdx = worst_ratio (io.dx, exact.dx, abs.dx, io.nx, tol, &edx);
      rdw = worst_ratio (io.dw, exact.dw, abs.dw, io.nw, tol, &edw);
      g_test_message ("block %d: worst error / bound: y %.3f, dx %.3f, dw %.3f; "
                      "/ max abs: y %.2e, dx %.2e, dw %.2e",
                      blocks[i], ry, rdx, rdw, ey, edx, edw);
      g_assert_cmpfloat (ry, <=, 1);
      g_assert_cmpfloat (rdx, <=, 1);
      g_assert_cmpfloat (rdw, <=, 1);
      /* bf16 is really used: its rounding shows far above f32's. */
      if (cc->bf16)
        {
          g_assert_cmpfloat (ey, >, 0x1p-14);
          g_assert_cmpfloat (edx, >, 0x1p-14);
          g_assert_cmpfloat (edw, >, 0x1p-14);
        }
    }

  g_free (abs.x), g_free (abs.w), g_free (abs.r);
  g_free (io.x), g_free (io.w), g_free (io.b), g_free (io.r);
  conv_run_clear (&abs);
  conv_run_clear (&exact);
  conv_run_clear (&io);
}

/* One pass of a network over a 64² image: output, parameter gradients and
 * (discriminator) the input's gradient for the seed r. */
typedef struct
{
  float *out, *grads, *dx;
  gsize n_grads;
} NetRun;

static void
net_run (GcutNetwork *net, gboolean generator, GcutPrecision precision, const float *x,
         const float *r, gint64 n_out, NetRun *res)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree GcutValue *wrt = g_new (GcutValue, gcut_network_n_params (net) + 1);
  int n_wrt = gcut_network_n_params (net);
  GcutValue in = gcut_input (graph, "x", gc_shape4 (1, 3, 64, 64));
  GcutValue y = generator ? gcut_resnet_generator_build (net, graph, in, NULL, FALSE)
                          : gcut_patchgan_build (net, graph, in);
  GcutShape ys = gcut_graph_shape (graph, y);
  float *grads;

  g_assert_cmpint (gc_numel (&ys), ==, n_out);
  gcut_network_values (net, graph, wrt);
  wrt[n_wrt++] = in;
  plan = gcut_plan_new (graph, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = &y,
                                         .n_outputs = 1,
                                         .seeds = &y,
                                         .n_seeds = 1,
                                         .wrt = wrt,
                                         .n_wrt = n_wrt,
                                         .precision = precision },
                        &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_input (plan, in, x, &error));
  g_assert_true (gcut_plan_forward (plan, &error));
  g_assert_true (gcut_plan_get_output (plan, y, res->out, &error));
  g_assert_true (gcut_plan_set_seed (plan, y, r, &error));
  g_assert_true (gcut_plan_backward (plan, &error));
  g_assert_true (gcut_plan_get_grad (plan, in, res->dx, &error));
  g_assert_no_error (error);
  grads = gcut_network_grads (net, &res->n_grads);
  res->grads = g_memdup2 (grads, res->n_grads * sizeof (float));
}

/* ‖a − b‖ / ‖b‖ and max |a − b| / max |b|. */
static void
rel_errors (const float *a, const float *b, gsize n, double *norm, double *max)
{
  double d2 = 0, b2 = 0, dm = 0, bm = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = (double)a[i] - b[i];
      d2 += d * d, b2 += (double)b[i] * b[i];
      dm = MAX (dm, fabs (d)), bm = MAX (bm, fabs (b[i]));
    }
  *norm = sqrt (d2 / b2);
  *max = dm / bm;
}

/* x rounded to the nearest bf16 (ties away from zero; finite x). */
static float
round_bf16 (float x)
{
  guint32 u;
  memcpy (&u, &x, sizeof u);
  u = (u + 0x8000u) & 0xffff0000u;
  memcpy (&x, &u, sizeof u);
  return x;
}

/* The networks' outputs are well conditioned: a bf16 layer's rounding errors
 * have random signs and add up like its terms do, so each layer adds a
 * relative error of a few 2⁻⁹; instance norms keep the scale, and over the ~20
 * layers it stays around 1%.  The tolerance is 3% in norm, 5% for the largest
 * entry.  Their gradients at CUT's initialisation (xavier, gain 0.02) are not:
 * instance norms divide by the small spread of each conv's output, and merely
 * rounding the parameters to bf16 moves the generator's gradients by ~15% in
 * EXACT.  FAST also rounds activations and output gradients, each about as
 * much, so its gradients must stay within 3× of that change. */
static void
test_network (gconstpointer data)
{
  const gboolean generator = GPOINTER_TO_INT (data);
  g_autoptr (GcutNetwork) net = NULL;
  g_autofree float *x = gc_random_floats (3 * 64 * 64, -1, 1, 5);
  g_autofree float *r = NULL, *params = NULL;
  gint64 n_out = generator ? 3 * 64 * 64 : 6 * 6;
  NetRun runs[3];
  double norm, max, base, base_dx;
  gsize n_params;
  float *p;

  if (skip_without_bf16 ())
    return;
  if (generator)
    net = gcut_resnet_generator_new (&(GcutResnetGeneratorConfig){ 64, 9, TRUE, TRUE });
  else
    net = gcut_patchgan_new (&(GcutPatchGanConfig){ 64, 3, TRUE });
  gcut_network_init_xavier (net, 0.02f, 1);
  r = gc_random_floats (n_out, -1, 1, 6);
  p = gcut_network_data (net, &n_params);
  params = g_memdup2 (p, n_params * sizeof *p);
  /* EXACT, FAST, and EXACT with the parameters rounded to bf16. */
  for (int i = 0; i < 3; i++)
    {
      runs[i].out = g_new (float, n_out);
      runs[i].dx = g_new (float, 3 * 64 * 64);
      if (i == 2)
        for (gsize j = 0; j < n_params; j++)
          p[j] = round_bf16 (params[j]);
      net_run (net, generator, i == 1 ? GCUT_PRECISION_BF16 : GCUT_PRECISION_EXACT, x, r,
               n_out, &runs[i]);
    }
  memcpy (p, params, n_params * sizeof *p);

  rel_errors (runs[1].out, runs[0].out, n_out, &norm, &max);
  g_test_message ("output: %.2e in norm, %.2e at most", norm, max);
  g_assert_cmpfloat (norm, <, 3e-2);
  g_assert_cmpfloat (max, <, 5e-2);
  rel_errors (runs[2].grads, runs[0].grads, runs[0].n_grads, &base, &max);
  rel_errors (runs[1].grads, runs[0].grads, runs[0].n_grads, &norm, &max);
  g_test_message ("parameter gradients: %.2e in norm (%.2e from rounding the "
                  "parameters), %.2e at most",
                  norm, base, max);
  g_assert_cmpfloat (norm, <, 3 * base);
  rel_errors (runs[2].dx, runs[0].dx, 3 * 64 * 64, &base_dx, &max);
  rel_errors (runs[1].dx, runs[0].dx, 3 * 64 * 64, &norm, &max);
  g_test_message ("input gradient: %.2e in norm (%.2e from rounding the "
                  "parameters), %.2e at most",
                  norm, base_dx, max);
  g_assert_cmpfloat (norm, <, 3 * base_dx);

  for (int i = 0; i < 3; i++)
    g_free (runs[i].out), g_free (runs[i].grads), g_free (runs[i].dx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    g_test_add_data_func (conv_cases[i].path, &conv_cases[i], test_conv);
  g_test_add_data_func ("/fast-bf16/generator", GINT_TO_POINTER (TRUE), test_network);
  g_test_add_data_func ("/fast-bf16/discriminator", GINT_TO_POINTER (FALSE),
                        test_network);
  return g_test_run ();
}
