/* The R1 penalty (gct-r1.h).
 *
 * Without PyTorch: that the difference has converged in ε, that the gradient is added to
 * D's (not written over it) and scales with `scale`, option errors, and a short trainer
 * run with R1 on.  With --dir (run-r1-parity.sh, cases from tests/reference/
 * r1_reference.py): the value and ∇_θ R1 against PyTorch's double backward in
 * float64, the error for a sweep of ε, and that a wrong ε or sign fails.
 * -m perf -p /r1/cost times R1 against a plain D step.
 */
#include <math.h>
#include <string.h>

#include <gcp/gcp-network-io.h>
#include <gegl.h>

#include "gct-losses.h"
#include "gct-r1.h"
#include "gct-trainer.h"

/* The R1 value: float32 sums of ‖g‖², whose rounding is ~1e-6. */
#define VALUE_TOL 1e-5
/* ∇_θ R1: largest absolute error over D's parameters that R1 depends on,
 * divided by D's largest entry.  At ε = GCT_R1_EPS the cases measure 2e-5 to
 * 4e-4 (the sweep in the log): float32 rounding divided by ε plus truncation
 * in ε². */
#define GRAD_TOL 1e-3
/* The parameters R1 does not depend on: the biases of the convolutions that
 * feed an instance norm, which removes them (reference 0, or 1e-15 of D's
 * largest entry where PyTorch's float64 leaves rounding).  Ours are not 0 but
 * the difference of the float32 residues of ∇_b S (the instance norm
 * backward's per-channel sum, 0 analytically) at x + hĝ and x − hĝ, divided
 * like every entry by 2h: a residue of n terms is about √n·u of their size
 * (2e-6 for the 32² pixels at model.3), ÷ 2ε 3e-4 of it, and any change of
 * inputs or summation order draws it anew.  b1-ndf8 measures 7e-4 to 1.2e-3
 * of D's largest entry (GCC 12 and 14, oneDNN 2.6 and 3.7, torch 1.13's and
 * 2.6's x, which differ by an ulp in a third of the pixels), the other cases
 * under 2e-4; the bound leaves 8× that. */
#define ZERO_REF 1e-9
#define ZERO_TOL 1e-2

static const char *dir;

static double
largest (const float *p, gsize n)
{
  double m = 0;
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (p[i]));
  return m;
}

static GcutPatchGanConfig config;

/* A D of width ndf (its config in `config`). */
static GcutNetwork *
new_d (int ndf, gboolean antialias, float gain, guint64 seed)
{
  config = (GcutPatchGanConfig){ ndf, 3, antialias };
  GcutNetwork *D = gcut_patchgan_new (&config);
  gcut_network_init_xavier (D, gain, seed);
  return D;
}

/* Smooth content in [−1, 1], as an image crop. */
static float *
test_image (int batch, int size, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  float *x = g_new (float, (gsize)batch * 3 * size * size);
  for (int p = 0; p < batch * 3; p++)
    {
      double a = g_rand_double_range (rand, 0.05, 0.3),
             b = g_rand_double_range (rand, 0.05, 0.3), o = g_rand_double (rand) * 6;
      for (int i = 0; i < size * size; i++)
        x[(gsize)p * size * size + i]
            = (float)(0.7 * sin (a * (i / size) + b * (i % size) + o)
                      + g_rand_double_range (rand, -0.3, 0.3));
    }
  return x;
}

/* ∇_θ R1 into grad (D's gradients preset to pattern, which must come back
 * added); returns R1. */
static double
r1_grad (GcutNetwork *D, const float *x, int batch, int size, double gamma, double eps,
         double scale, float *grad)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctR1) r1 = gct_r1_new (D, gcut_backend_cpu (), batch, size, eps, &error);
  gsize n;
  float *grads = gcut_network_grads (D, &n);
  double value;

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    grads[i] = (float)(1e-3 * sin ((double)i));
  g_assert_true (gct_r1_apply (r1, x, gamma, scale, &value, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    grad[i] = grads[i] - (float)(1e-3 * sin ((double)i));
  return value;
}

/* ---- without PyTorch ---- */

/* A finite difference of R1 values along θ crosses LeakyReLU kinks, which
 * the exact gradient ignores; without PyTorch, check that the difference has
 * converged: ε and ε/3 agree (a difference through the kinks moves by
 * O(1) of the result between such steps). */
static void
test_converged (void)
{
  const int batch = 2, size = 32;
  g_autoptr (GcutNetwork) D = new_d (8, TRUE, 0.5f, 3);
  g_autofree float *x = test_image (batch, size, 5);
  gsize n;
  gcut_network_grads (D, &n);
  g_autofree float *a = g_new (float, n), *b = g_new (float, n);
  double worst = 0;

  r1_grad (D, x, batch, size, 1.0, GCT_R1_EPS, 1.0, a);
  r1_grad (D, x, batch, size, 1.0, GCT_R1_EPS / 3, 1.0, b);
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs (a[i] - b[i]));
  g_test_message ("ε %g against ε/3: %.3g of the largest entry", GCT_R1_EPS,
                  worst / largest (a, n));
  /* The errors add: ≤ GRAD_TOL at ε, and rounding grows as 1/ε. */
  g_assert_cmpfloat (worst, <=, 4 * GRAD_TOL * largest (a, n));
}

static void
test_adds (void)
{
  const int batch = 1, size = 32;
  g_autoptr (GcutNetwork) D = new_d (8, TRUE, 0.5f, 4);
  g_autofree float *x = test_image (batch, size, 6);
  g_autoptr (GError) error = NULL;
  g_autoptr (GctR1) r1
      = gct_r1_new (D, gcut_backend_cpu (), batch, size, GCT_R1_EPS, &error);
  gsize n;
  float *grads = gcut_network_grads (D, &n);
  g_autofree float *a = g_new (float, n), *b = g_new (float, n);
  double v[3], worst = 0, m;

  g_assert_no_error (error);
  /* From zero gradients, from a pattern, and with scale 0 (nothing added). */
  memset (grads, 0, n * sizeof (float));
  g_assert_true (gct_r1_apply (r1, x, 2.0, 1.0, &v[0], &error));
  memcpy (a, grads, n * sizeof (float));
  for (gsize i = 0; i < n; i++)
    grads[i] = (float)sin ((double)i);
  g_assert_true (gct_r1_apply (r1, x, 2.0, 1.0, &v[1], &error));
  memcpy (b, grads, n * sizeof (float));
  g_assert_true (gct_r1_apply (r1, x, 2.0, 0.0, &v[2], &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (v[0], >, 0);
  g_assert_cmpfloat (v[0], ==, v[1]);
  g_assert_cmpfloat (v[0], ==, v[2]);
  g_assert_cmpmem (grads, n * sizeof (float), b, n * sizeof (float));
  m = largest (a, n);
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs (b[i] - sin ((double)i) - a[i]));
  /* float32 rounding of the sum only */
  g_assert_cmpfloat (worst, <=, 1e-6 * (1 + m));
}

static void
test_invalid (void)
{
  g_autoptr (GcutNetwork) D = new_d (8, TRUE, 0.02f, 1);
  g_autoptr (GError) error = NULL;
  g_assert_null (gct_r1_new (D, gcut_backend_cpu (), 1, 32, 0.0, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
}

static GcpRecipe *
r1_recipe (double weight, int interval, gint64 steps)
{
  g_autoptr (GError) error = NULL;
  GcpRecipe *r = gcp_recipe_load_file (GCT_TEST_RECIPE, &error);
  g_assert_no_error (error);
  r->r1.weight = weight;
  r->r1.interval = interval;
  r->schedule.steps = steps;
  r->schedule.decay_start = steps / 2;
  return r;
}

static void
test_trainer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctImageReader) content = gct_image_reader_open (GCT_TEST_CONTENT, &error);
  g_assert_no_error (error);
  g_autoptr (GctImageReader) style = gct_image_reader_open (GCT_TEST_STYLE, &error);
  g_assert_no_error (error);
  g_autoptr (GcpRecipe) r = r1_recipe (1.0, 2, 6);
  g_autoptr (GctTrainer) t = gct_trainer_new (r, content, style, NULL, &error);
  g_assert_no_error (error);
  int n_losses, r1 = -1;
  const char *const *names = gct_trainer_loss_names (t, &n_losses);
  for (int i = 0; i < n_losses; i++)
    if (!strcmp (names[i], "R1"))
      r1 = i;
  g_assert_cmpint (r1, >=, 0);
  g_assert_true (gct_trainer_run (t, 0, &error));
  g_assert_no_error (error);
  gint64 steps;
  const float *h = gct_trainer_loss_history (t, &steps);
  g_assert_cmpint (steps, ==, 6);
  for (gint64 i = 0; i < steps * n_losses; i++)
    g_assert_true (isfinite (h[i]));
  for (gint64 s = 0; s < steps; s++)
    {
      g_test_message ("step %" G_GINT64_FORMAT ": D %.4g, R1 %.4g", s + 1,
                      h[s * n_losses], h[s * n_losses + r1]);
      g_assert_cmpfloat (h[s * n_losses + r1], >, 0);
    }
}

/* ---- cost ---- */

/* Seconds per call of the D half of a training step without G (LSGAN loss on
 * a real and a fake batch, backward to D's parameters) and of gct_r1_apply. */
static void
time_case (int ndf, int batch, int size)
{
  g_autoptr (GcutNetwork) D = new_d (ndf, TRUE, 0.02f, 1);
  g_autofree float *x = test_image (batch, size, 1), *y = test_image (batch, size, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GctR1) r1
      = gct_r1_new (D, gcut_backend_cpu (), batch, size, GCT_R1_EPS, &error);
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  GcutShape shape = { 4, { batch, 3, size, size } };
  GcutValue real = gcut_input (g, "real", shape), fake = gcut_input (g, "fake", shape);
  GcutValue loss = gct_gan_d (g, gcut_patchgan_build (D, g, real),
                              gcut_patchgan_build (D, g, fake), GCT_GAN_LSGAN);
  g_autofree GcutValue *wrt = g_new (GcutValue, gcut_network_n_params (D));
  gcut_network_values (D, g, wrt);
  g_autoptr (GcutPlan) plan
      = gcut_plan_new (g, gcut_backend_cpu (),
                       &(GcutPlanSpec){ .seeds = &loss,
                                        .n_seeds = 1,
                                        .wrt = wrt,
                                        .n_wrt = (int)gcut_network_n_params (D),
                                        .precision = GCUT_PRECISION_FAST },
                       &error);
  const float one = 1;
  double t[2] = { 0 }, value;
  const int reps = 5;

  g_assert_no_error (error);
  for (int rep = -1; rep < reps; rep++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_assert_true (gcut_plan_set_input (plan, real, x, &error)
                     && gcut_plan_set_input (plan, fake, y, &error)
                     && gcut_plan_forward (plan, &error)
                     && gcut_plan_set_seed (plan, loss, &one, &error)
                     && gcut_plan_backward (plan, &error));
      gint64 t1 = g_get_monotonic_time ();
      g_assert_true (gct_r1_apply (r1, x, 1.0, 1.0, &value, &error));
      gint64 t2 = g_get_monotonic_time ();
      if (rep >= 0)
        {
          t[0] += (t1 - t0) / 1e6 / reps;
          t[1] += (t2 - t1) / 1e6 / reps;
        }
    }
  g_test_message ("ndf %d, %d×%d²: D step %.3f s, R1 %.3f s (%.2f×)", ndf, batch, size,
                  t[0], t[1], t[1] / t[0]);
}

static void
test_cost (void)
{
  if (!g_test_perf ())
    {
      g_test_skip ("a timing: -m perf");
      return;
    }
  time_case (64, 1, 256);
  time_case (64, 16, 64);
  time_case (8, 1, 32);
}

/* ---- against PyTorch ---- */

typedef struct
{
  GcutNetwork *D;
  GcpSafetensors *st;
  const float *x;
  int batch, size;
  double gamma, r1;
} Case;

static const float *
expect (GcpSafetensors *st, const char *name, int n_dims, const gint64 *dims)
{
  g_autoptr (GError) error = NULL;
  const float *p = gcp_safetensors_get_f32 (st, name, n_dims, dims, &error);
  g_assert_no_error (error);
  return p;
}

static void
case_load (Case *c, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dfile = g_build_filename (path, "D.safetensors", NULL);
  g_autofree char *cfile = g_build_filename (path, "case.safetensors", NULL);
  g_autoptr (GcpSafetensors) dst = gcp_safetensors_load (dfile, &error);
  g_assert_no_error (error);
  c->st = gcp_safetensors_load (cfile, &error);
  g_assert_no_error (error);
  const GcpTensorView *cfg = gcp_safetensors_lookup (c->st, "config");
  g_assert_nonnull (cfg);
  g_assert_true (cfg->dtype == GCP_DTYPE_I64 && cfg->shape[0] == 4);
  const gint64 *v = cfg->data;
  c->batch = (int)v[2];
  c->size = (int)v[3];
  config = (GcutPatchGanConfig){ (int)v[0], 3, v[1] != 0 };
  c->D = gcut_patchgan_new (&config);
  g_assert_true (gcp_network_load (c->D, dst, "", NULL, &error));
  g_assert_no_error (error);
  c->x = expect (c->st, "x", 4, (gint64[]){ c->batch, 3, c->size, c->size });
  c->gamma = expect (c->st, "gamma", 1, (gint64[]){ 1 })[0];
  c->r1 = expect (c->st, "r1", 1, (gint64[]){ 1 })[0];
}

/* Largest error of ∇_θ R1 over the parameters R1 depends on, divided by the
 * largest reference entry; *zero_err: the same over the others (ZERO_REF);
 * *value_err: the relative error of R1. */
static double
case_error (Case *c, double eps, double scale, double *value_err, double *zero_err,
            gboolean report)
{
  gsize n;
  gcut_network_grads (c->D, &n);
  g_autofree float *grad = g_new (float, n);
  double value = r1_grad (c->D, c->x, c->batch, c->size, c->gamma, eps, scale, grad);
  double worst = 0, worst_zero = 0, ref_max = 0;

  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < gcut_network_n_params (c->D); i++)
      {
        GcutShape s = gcut_network_param_shape (c->D, i);
        g_autofree char *name
            = g_strdup_printf ("grad.%s", gcut_network_param_name (c->D, i));
        const float *ref = expect (c->st, name, s.n_dims, s.dims);
        gsize m = 1;
        for (int d = 0; d < s.n_dims; d++)
          m *= (gsize)s.dims[d];
        if (pass == 0)
          ref_max = MAX (ref_max, largest (ref, m));
        else
          {
            /* where the parameter's gradient lies in D's buffer */
            gsize off = (gsize)(gcut_network_param_grad (c->D, i)
                                - gcut_network_grads (c->D, &n));
            double e = 0;
            gboolean zero = largest (ref, m) <= ZERO_REF * ref_max;
            for (gsize j = 0; j < m; j++)
              e = MAX (e, fabs ((double)grad[off + j] - ref[j]));
            if (zero)
              worst_zero = MAX (worst_zero, e);
            else
              worst = MAX (worst, e);
            if (report)
              g_test_message ("  %-24s error %.3g of D's largest entry (this one's %.3g, "
                              "ours %.3g)%s",
                              name, e / ref_max, largest (ref, m) / ref_max,
                              largest (grad + off, m) / ref_max,
                              zero ? ", analytically 0" : "");
          }
      }
  *value_err = fabs (value - c->r1) / c->r1;
  *zero_err = worst_zero / ref_max;
  return worst / ref_max;
}

static void
test_parity (gconstpointer data)
{
  Case c = { 0 };
  double verr, zerr, err;

  case_load (&c, data);
  g_test_message ("B %d, %d², γ %g: R1 %.6g", c.batch, c.size, c.gamma, c.r1);
  err = case_error (&c, GCT_R1_EPS, 1.0, &verr, &zerr, TRUE);
  g_test_message ("ε %g: R1 relative error %.3g, ∇θR1 error %.3g, %.3g where 0",
                  GCT_R1_EPS, verr, err, zerr);

  /* The error against ε, and the controls: a wrong ε either way or the wrong
   * sign must fail the tolerance. */
  static const double sweep[]
      = { 1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1 };
  for (guint i = 0; i < G_N_ELEMENTS (sweep); i++)
    {
      err = case_error (&c, sweep[i], 1.0, &verr, &zerr, FALSE);
      g_test_message ("ε %-6g ∇θR1 error %.3g, %.3g where 0", sweep[i], err, zerr);
    }
  err = case_error (&c, GCT_R1_EPS, 1.0, &verr, &zerr, FALSE);
  g_assert_cmpfloat (verr, <=, VALUE_TOL);
  g_assert_cmpfloat (err, <=, GRAD_TOL);
  g_assert_cmpfloat (zerr, <=, ZERO_TOL);
  err = case_error (&c, 1e-6, 1.0, &verr, &zerr, FALSE);
  g_assert_cmpfloat (err, >, GRAD_TOL);
  err = case_error (&c, 3e-1, 1.0, &verr, &zerr, FALSE);
  g_assert_cmpfloat (err, >, GRAD_TOL);
  err = case_error (&c, GCT_R1_EPS, -1.0, &verr, &zerr, FALSE);
  g_assert_cmpfloat (err, >, GRAD_TOL);

  gcut_network_free (c.D);
  gcp_safetensors_free (c.st);
}

int
main (int argc, char **argv)
{
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp (argv[i], "--dir"))
      {
        dir = argv[i + 1];
        memmove (argv + i, argv + i + 2, (argc - i - 1) * sizeof *argv);
        argc -= 2;
        break;
      }
  g_test_init (&argc, &argv, NULL);
  gegl_init (NULL, NULL);
  gcut_backend_set_threads (gcut_backend_cpu (), 2);
  g_test_add_func ("/r1/converged", test_converged);
  g_test_add_func ("/r1/adds", test_adds);
  g_test_add_func ("/r1/invalid", test_invalid);
  g_test_add_func ("/r1/trainer", test_trainer);
  g_test_add_func ("/r1/cost", test_cost);
  if (dir)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
      const char *name;
      g_assert_no_error (error);
      while ((name = g_dir_read_name (d)))
        {
          g_autofree char *tname = g_strdup_printf ("/r1/parity/%s", name);
          g_test_add_data_func_full (tname, g_build_filename (dir, name, NULL),
                                     test_parity, g_free);
        }
    }
  return g_test_run ();
}
