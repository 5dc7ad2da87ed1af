/* Parity of the training losses (training/gct-losses.h) with the PyTorch
 * reference (tests/reference/losses.py), plus finite-difference gradient
 * checks and option errors.
 *
 *   test-losses [--dir DIR] [--backend NAME]
 *   DIR: cases written by `losses.py export`; NAME: cpu (default), cuda, auto
 *
 * Each case file holds F32 inputs, the F64 reference value and gradients
 * (computed in float64 from the same F32 inputs) and, for MoNCE, the plan T.
 * We build the loss on the CPU backend, differentiate with respect to q (or
 * the GAN / identity inputs) and require
 *   value:    |ours − ref| / |ref|                    ≤ 1e-5,
 *   gradient: max_i |ours_i − ref_i| / max_i |ref_i|  ≤ 1e-5,
 *   plan T:   max_i |ours_i − ref_i| / max_i |ref_i|  ≤ 1e-5.
 * Without --dir only the gradient checks and option tests run. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gcp/gcp-safetensors.h>
#include <gcut/gcut.h>

#include "../engine/gradcheck.h"
#include "gct-losses.h"

#define PARITY_TOL 1e-5

static GcutBackend *backend;

static double
worst_rel (const float *ours, const double *ref, gint64 n, double *scale_out)
{
  double worst = 0, scale = 0;
  for (gint64 i = 0; i < n; i++)
    {
      worst = MAX (worst, fabs ((double)ours[i] - ref[i]));
      scale = MAX (scale, fabs (ref[i]));
    }
  if (scale_out)
    *scale_out = scale;
  return scale > 0 ? worst / scale : worst;
}

static const char *
meta (GcpSafetensors *st, const char *key, const char *def)
{
  const char *v = gcp_safetensors_metadata (st, key);
  return v ? v : def;
}

static double
meta_num (GcpSafetensors *st, const char *key, double def)
{
  const char *v = gcp_safetensors_metadata (st, key);
  return v ? g_ascii_strtod (v, NULL) : def;
}

static const GcpTensorView *
tensor (GcpSafetensors *st, const char *name, GcpDType dtype)
{
  const GcpTensorView *v = gcp_safetensors_lookup (st, name);
  if (!v || v->dtype != dtype)
    g_error ("case tensor %s missing or not %s", name, gcp_dtype_name (dtype));
  return v;
}

static GcutShape
shape_of (const GcpTensorView *v)
{
  GcutShape s = { .n_dims = v->n_dims };
  for (int i = 0; i < v->n_dims; i++)
    s.dims[i] = v->shape[i];
  return s;
}

static gint64
numel (GcutShape s)
{
  gint64 n = 1;
  for (int i = 0; i < s.n_dims; i++)
    n *= s.dims[i];
  return n;
}

/* Builds the case's loss from its options; *plan_T gets MoNCE's plan. */
static GcutValue
build_case (GcpSafetensors *st, GcutGraph *g, GcutValue a, GcutValue b, GcutValue *plan_T)
{
  const char *loss = meta (st, "loss", "");
  GctNceOptions nce = gct_nce_options_default ();
  nce.batch = (int)meta_num (st, "batch", 1);
  nce.all_negatives_from_minibatch = meta_num (st, "all_negatives", 0) != 0;
  *plan_T = GCUT_NONE;
  if (!strcmp (loss, "patchnce"))
    return gct_patch_nce (g, a, b, &nce);
  if (!strcmp (loss, "dce"))
    return gct_dce (g, a, b, &nce);
  if (!strcmp (loss, "hdce"))
    {
      GctHdceOptions o
          = { nce, (float)meta_num (st, "gamma", 50),
              !strcmp (meta (st, "form", "official"), "official") ? GCT_HDCE_OFFICIAL
                                                                  : GCT_HDCE_IMPORTANCE,
              GCUT_NONE };
      return gct_hdce (g, a, b, &o);
    }
  if (!strcmp (loss, "src"))
    {
      const char *var = meta (st, "variant", "jsd");
      GctSrcOptions o = { nce.batch, nce.all_negatives_from_minibatch,
                          !strcmp (var, "kl")   ? GCT_SRC_KL
                          : !strcmp (var, "l1") ? GCT_SRC_L1
                          : !strcmp (var, "l2") ? GCT_SRC_L2
                                                : GCT_SRC_JSD };
      return gct_src (g, a, b, &o);
    }
  if (!strcmp (loss, "weightnce"))
    {
      GctWeightNceOptions o
          = { nce, (float)meta_num (st, "beta", 0.1), (float)meta_num (st, "q", 1),
              meta_num (st, "detach", 0) != 0 };
      return gct_weight_nce (g, a, b, &o);
    }
  if (!strcmp (loss, "monce"))
    {
      GctMonceOptions o = gct_monce_options_default ();
      o.nce = nce;
      o.beta = (float)meta_num (st, "beta", 0.1);
      o.q_weight = (float)meta_num (st, "q", 1);
      o.cost
          = !strcmp (meta (st, "cost", "hard"), "easy") ? GCT_MONCE_EASY : GCT_MONCE_HARD;
      o.iterations = (int)meta_num (st, "iterations", 50);
      *plan_T = gct_monce_plan (g, a, b, &o);
      return gct_monce (g, a, b, &o);
    }
  GctGanMode mode
      = !strcmp (meta (st, "mode", "lsgan"), "lsgan") ? GCT_GAN_LSGAN : GCT_GAN_NONSAT;
  if (!strcmp (loss, "gan-d"))
    return gct_gan_d (g, a, b, mode);
  if (!strcmp (loss, "gan-g"))
    return gct_gan_g (g, b, mode);
  if (!strcmp (loss, "identity"))
    return gct_l1_identity (g, a, b);
  g_error ("unknown loss '%s'", loss);
}

static void
test_case (gconstpointer data)
{
  const char *path = data;
  g_autoptr (GError) error = NULL;
  GcpSafetensors *st = gcp_safetensors_load (path, &error);
  g_assert_no_error (error);
  const char *loss = meta (st, "loss", "");
  gboolean gan = g_str_has_prefix (loss, "gan-"), idt = !strcmp (loss, "identity");
  const char *na = gan ? "real" : idt ? "x" : "q";
  const char *nb = gan ? "fake" : idt ? "y" : "k";
  const GcpTensorView *ta = tensor (st, na, GCP_DTYPE_F32);
  const GcpTensorView *tb = tensor (st, nb, GCP_DTYPE_F32);

  g_autoptr (GcutGraph) g = gcut_graph_new ();
  GcutValue a = gcut_input (g, na, shape_of (ta));
  GcutValue b = gcut_input (g, nb, shape_of (tb));
  GcutValue plan_T;
  GcutValue out = build_case (st, g, a, b, &plan_T);
  if (!gcut_graph_check (g, &error))
    g_error ("%s: %s", path, error->message);

  /* Differentiate with respect to the inputs that have reference gradients. */
  const char *gnames[2];
  GcutValue wrt[2];
  int n_wrt = 0;
  if (gan)
    {
      if (!strcmp (loss, "gan-d"))
        gnames[n_wrt] = "grad_real", wrt[n_wrt++] = a;
      gnames[n_wrt] = "grad_fake", wrt[n_wrt++] = b;
    }
  else
    gnames[n_wrt] = idt ? "grad_x" : "grad_q", wrt[n_wrt++] = a;
  GcutValue outputs[2] = { out, plan_T };
  g_autoptr (GcutPlan) plan = gcut_plan_new (
      g, backend,
      &(GcutPlanSpec){ outputs, plan_T == GCUT_NONE ? 1 : 2, &out, 1, wrt, n_wrt, 1 },
      &error);
  g_assert_no_error (error);
  gcut_plan_set_input (plan, a, ta->data, &error);
  g_assert_no_error (error);
  gcut_plan_set_input (plan, b, tb->data, &error);
  g_assert_no_error (error);
  float one = 1.0f, value;
  g_assert_true (gcut_plan_forward (plan, &error));
  gcut_plan_get_output (plan, out, &value, &error);
  g_assert_no_error (error);
  g_assert_true (gcut_plan_set_seed (plan, out, &one, &error));
  g_assert_true (gcut_plan_backward (plan, &error));

  const double ref = *(const double *)tensor (st, "value", GCP_DTYPE_F64)->data;
  double rel = fabs (value - ref) / MAX (fabs (ref), 1e-30);
  g_test_message ("%s: value %.9g ref %.9g rel %.2e", loss, value, ref, rel);
  printf ("# %s value rel %.2e", g_path_get_basename (path), rel);
  gboolean ok = rel <= PARITY_TOL;
  for (int i = 0; i < n_wrt; i++)
    {
      const GcpTensorView *r = tensor (st, gnames[i], GCP_DTYPE_F64);
      GcutShape s = gcut_graph_shape (g, wrt[i]);
      g_assert_cmpint (numel (s), ==, (gint64)(r->n_bytes / 8));
      g_autofree float *grad = g_new (float, numel (s));
      g_assert_true (gcut_plan_get_grad (plan, wrt[i], grad, &error));
      double scale, e = worst_rel (grad, r->data, numel (s), &scale);
      printf (", %s rel %.2e", gnames[i], e);
      ok = ok && e <= PARITY_TOL;
    }
  if (plan_T != GCUT_NONE)
    {
      const GcpTensorView *r = tensor (st, "T", GCP_DTYPE_F64);
      GcutShape s = gcut_graph_shape (g, plan_T);
      g_assert_cmpint (numel (s), ==, (gint64)(r->n_bytes / 8));
      g_autofree float *t = g_new (float, numel (s));
      g_assert_true (gcut_plan_get_output (plan, plan_T, t, &error));
      double e = worst_rel (t, r->data, numel (s), NULL);
      printf (", T rel %.2e", e);
      ok = ok && e <= PARITY_TOL;
    }
  printf ("\n");
  if (!ok)
    g_test_fail_printf ("%s: beyond %g relative", path, PARITY_TOL);
  gcp_safetensors_free (st);
}

/* ---- gradient checks at small P -------------------------------------- */

typedef struct
{
  const char *loss;
  int batch, P, C;
  gboolean all;
  float k_data[2 * 8 * 6];
} GcCase;

static GcutValue
gc_build (GcutGraph *g, const GcutValue *leaves, gpointer user_data)
{
  GcCase *c = user_data;
  gint64 rows = (gint64)c->batch * c->P;
  GcutValue q = gcut_l2_normalize (g, leaves[0], 1e-7f);
  GcutValue k = gcut_param (g, "k", (GcutShape){ 2, { rows, c->C } }, c->k_data, NULL);
  k = gcut_l2_normalize (g, k, 1e-7f);
  GctNceOptions nce
      = { c->batch, c->all, 0.5f }; /* a mild τ keeps finite differences exact */
  if (!strcmp (c->loss, "patchnce"))
    return gct_patch_nce (g, q, k, &nce);
  if (!strcmp (c->loss, "hdce"))
    return gct_hdce (g, q, k,
                     &(GctHdceOptions){ nce, 0.5f, GCT_HDCE_OFFICIAL, GCUT_NONE });
  if (!strcmp (c->loss, "hdce-is"))
    return gct_hdce (g, q, k,
                     &(GctHdceOptions){ nce, 0.5f, GCT_HDCE_IMPORTANCE, GCUT_NONE });
  if (!strcmp (c->loss, "hdce-run-time-gamma"))
    {
      /* 1/Γ = 2 as the trainer passes it: a (1, 1) value read at every run. */
      static float inv_gamma = 2.0f;
      GcutValue v
          = gcut_param (g, "inv_gamma", (GcutShape){ 2, { 1, 1 } }, &inv_gamma, NULL);
      return gct_hdce (g, q, k, &(GctHdceOptions){ nce, 123.f, GCT_HDCE_OFFICIAL, v });
    }
  if (!strcmp (c->loss, "src"))
    return gct_src (g, q, k, &(GctSrcOptions){ c->batch, c->all, GCT_SRC_JSD });
  if (!strcmp (c->loss, "weightnce"))
    return gct_weight_nce (g, q, k, &(GctWeightNceOptions){ nce, 0.5f, 1.0f, FALSE });
  GctMonceOptions o = gct_monce_options_default ();
  o.nce = nce;
  o.beta = 0.5f;
  o.cost = !strcmp (c->loss, "monce-easy") ? GCT_MONCE_EASY : GCT_MONCE_HARD;
  return gct_monce (g, q, k, &o);
}

static void
test_gradcheck (gconstpointer data)
{
  GcCase c = { .loss = data, .batch = 2, .P = 8, .C = 6, .all = FALSE };
  GRand *r = g_rand_new_with_seed (7);
  for (guint i = 0; i < G_N_ELEMENTS (c.k_data); i++)
    c.k_data[i] = (float)g_rand_double_range (r, -1, 1);
  g_rand_free (r);
  static const int blocks[] = { 1, 0 };
  for (int all = 0; all < 2; all++)
    {
      c.all = all;
      GcLeaf leaf = { GC_INPUT, { 2, { (gint64)c.batch * c.P, c.C } }, -1.0f, 1.0f, 0 };
      g_autofree char *what
          = g_strdup_printf ("%s (%s)", c.loss, all ? "minibatch" : "per image");
      gc_check (what, &leaf, 1, gc_build, &c, blocks, 2e-2);
    }
}

/* ---- MoNCE from the formula alone --------------------------------------- */

/* Three queries and three keys (float32, near-unit rows) whose plan T is far
 * from symmetric, and the loss worked out in float64 from the paper's eq. 2
 * with w_ij = T_ij by monce-by-hand.py (standard library only, independent of
 * the PyTorch reference).  With the transposed plan the losses would be
 * 0.5627, 3.9455 and 0.0928: far outside the tolerance. */
static const float by_hand_q[9]
    = { 0.975900054f,  0.195180014f, 0.0975900069f, 0.282216251f, 0.940720856f,
        -0.188144177f, -0.42107597f, 0.336860776f,  0.84215194f };
static const float by_hand_k[9]
    = { 0.83925432f,  0.466252416f, -0.27975145f,  -0.169030845f, 0.845154226f,
        0.507092535f, 0.616315663f, -0.352180362f, 0.704360723f };

static void
test_monce_by_hand (void)
{
  static const struct
  {
    GctMonceCost cost;
    float beta, tau, q_weight;
    double loss;
  } cases[] = { { GCT_MONCE_HARD, 0.5f, 0.5f, 1.0f, 1.23128220525 },
                { GCT_MONCE_EASY, 0.5f, 0.07f, 2.0f, 2.82157185859 },
                { GCT_MONCE_HARD, 0.1f, 0.07f, 1.0f, 3.59176781228 } };
  GcutShape s = { 2, { 3, 3 } };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GcutGraph) g = gcut_graph_new ();
      GcutValue q = gcut_input (g, "q", s), k = gcut_input (g, "k", s);
      GctMonceOptions o = gct_monce_options_default ();
      o.nce.tau = cases[i].tau;
      o.beta = cases[i].beta;
      o.q_weight = cases[i].q_weight;
      o.cost = cases[i].cost;
      GcutValue out = gct_monce (g, q, k, &o);
      g_autoptr (GcutPlan) plan = gcut_plan_new (
          g, backend, &(GcutPlanSpec){ &out, 1, NULL, 0, NULL, 0, 1 }, &error);
      g_assert_no_error (error);
      g_assert_true (gcut_plan_set_input (plan, q, by_hand_q, &error));
      g_assert_true (gcut_plan_set_input (plan, k, by_hand_k, &error));
      g_assert_true (gcut_plan_forward (plan, &error));
      float value;
      g_assert_true (gcut_plan_get_output (plan, out, &value, &error));
      double rel = fabs (value - cases[i].loss) / cases[i].loss;
      printf ("# case %u: %.9g, by hand %.9g, rel %.2e\n", i, value, cases[i].loss, rel);
      if (!(rel <= PARITY_TOL))
        g_test_fail_printf ("case %u: MoNCE %.9g, by hand %.9g", i, value, cases[i].loss);
    }
}

/* ---- option errors ----------------------------------------------------- */

static void
expect_error (GcutGraph *g, GcutValue v, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (v, ==, GCUT_NONE);
  g_assert_false (gcut_graph_check (g, &error));
  if (!strstr (error->message, needle))
    g_test_fail_printf ("error '%s' does not name '%s'", error->message, needle);
}

static void
test_options (void)
{
  GcutShape s = { 2, { 16, 4 } };
#define FRESH()                                                                          \
  g_autoptr (GcutGraph) g = gcut_graph_new ();                                           \
  GcutValue q = gcut_input (g, "q", s), k = gcut_input (g, "k", s);                      \
  (void)k
  {
    FRESH ();
    GctNceOptions o = gct_nce_options_default ();
    o.tau = 0;
    expect_error (g, gct_patch_nce (g, q, k, &o), "tau");
  }
  {
    FRESH ();
    GctNceOptions o = gct_nce_options_default ();
    o.batch = 3;
    expect_error (g, gct_dce (g, q, k, &o), "batch");
  }
  {
    FRESH ();
    GctHdceOptions o = gct_hdce_options_default ();
    o.gamma = -1;
    expect_error (g, gct_hdce (g, q, k, &o), "gamma");
  }
  {
    FRESH ();
    GctSrcOptions o = gct_src_options_default ();
    o.variant = 9;
    expect_error (g, gct_src (g, q, k, &o), "variant");
  }
  {
    FRESH ();
    GctWeightNceOptions o = gct_weight_nce_options_default ();
    o.beta = 0;
    expect_error (g, gct_weight_nce (g, q, k, &o), "beta");
  }
  {
    FRESH ();
    GctMonceOptions o = gct_monce_options_default ();
    o.iterations = 0;
    expect_error (g, gct_monce (g, q, k, &o), "iterations");
  }
  {
    FRESH ();
    GctMonceOptions o = gct_monce_options_default ();
    o.q_weight = NAN;
    expect_error (g, gct_monce (g, q, k, &o), "q_weight");
  }
  {
    FRESH ();
    expect_error (g, gct_gan_g (g, q, 7), "mode");
  }
  {
    FRESH ();
    GcutValue k2 = gcut_input (g, "k2", (GcutShape){ 2, { 16, 5 } });
    expect_error (g, gct_patch_nce (g, q, k2, NULL), "same shape");
  }
#undef FRESH
  /* Γ curriculum */
  g_assert_cmpfloat (fabs (gct_hdce_gamma (0, 400, 50, 10, GCT_GAMMA_LINEAR, 0) - 50), <,
                     1e-12);
  g_assert_cmpfloat (fabs (gct_hdce_gamma (200, 400, 50, 10, GCT_GAMMA_LINEAR, 0) - 30),
                     <, 1e-12);
  g_assert_cmpfloat (fabs (gct_hdce_gamma (400, 400, 200, 40, GCT_GAMMA_LINEAR, 0) - 40),
                     <, 1e-12);
  g_assert_cmpfloat (
      fabs (gct_hdce_gamma (150, 400, 50, 10, GCT_GAMMA_STEPPED, 200) - 35), <, 1e-12);
  g_assert_cmpfloat (gct_hdce_gamma (201, 400, 50, 10, GCT_GAMMA_STEPPED, 200), ==, 1.0);
}

static gint
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
main (int argc, char **argv)
{
  const char *dir = NULL, *backend_name = "cpu";
  for (int i = 1; i + 1 < argc;)
    if (!strcmp (argv[i], "--dir") || !strcmp (argv[i], "--backend"))
      {
        *(argv[i][2] == 'd' ? &dir : &backend_name) = argv[i + 1];
        memmove (argv + i, argv + i + 2, (argc - i - 1) * sizeof *argv);
        argc -= 2;
      }
    else
      i++;
  {
    g_autoptr (GError) error = NULL;
    backend = gcut_backend_get (backend_name, NULL, &error);
    if (!backend)
      {
        /* meson's "skip": the CUDA backend on a machine without a GPU */
        g_print ("SKIP: no %s backend here: %s\n", backend_name, error->message);
        return 77;
      }
  }
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/losses/options", test_options);
  g_test_add_func ("/losses/monce/by-hand", test_monce_by_hand);
  static const char *gc_losses[]
      = { "patchnce", "hdce",      "hdce-run-time-gamma", "hdce-is",
          "src",      "weightnce", "monce-hard",          "monce-easy" };
  for (guint i = 0; i < G_N_ELEMENTS (gc_losses); i++)
    {
      g_autofree char *name = g_strdup_printf ("/losses/gradcheck/%s", gc_losses[i]);
      g_test_add_data_func (name, gc_losses[i], test_gradcheck);
    }
  if (dir)
    {
      g_autoptr (GError) error = NULL;
      GDir *d = g_dir_open (dir, 0, &error);
      g_assert_no_error (error);
      GPtrArray *files = g_ptr_array_new ();
      const char *name;
      while ((name = g_dir_read_name (d)))
        if (g_str_has_suffix (name, ".safetensors"))
          g_ptr_array_add (files, g_strdup (name));
      g_dir_close (d);
      g_ptr_array_sort (files, cmp_names);
      if (files->len == 0)
        g_error ("no cases in %s", dir);
      for (guint i = 0; i < files->len; i++)
        {
          char *f = files->pdata[i];
          g_autofree char *tname
              = g_strdup_printf ("/losses/parity/%.*s", (int)(strlen (f) - 12), f);
          g_test_add_data_func (tname, g_build_filename (dir, f, NULL), test_case);
        }
    }
  return g_test_run ();
}
