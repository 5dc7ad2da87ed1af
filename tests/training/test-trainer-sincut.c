/* The trainer on SinCUT's networks (tiny-sincut-recipe.json): a few steps with
 * the StyleGAN2-lite G and D, the non-saturating GAN and R1, finite losses and
 * R1 reported; exact resume from a checkpoint (G's noise comes from the saved
 * noise stream); a saved model translating a whole image; R1's difference
 * quotient converged on the StyleGAN2-lite D. */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gct-r1.h"
#include "gct-translate.h"
#include "trainer-test-util.h"

#define STEPS 8

/* The content image's pixels, and readers of both images for the trainer. */
static GctImage *content_pixels;
static GctImageReader *content, *style;
static GcpRecipe *recipe;
static char *tmpdir;

static void
count_taps (const GctStepInputs *in, gpointer data)
{
  *(int *)data = in->n_taps;
}

static void
test_train (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctTrainer) t = gct_trainer_new (recipe, content, style, NULL, &error);
  int n_losses, r1 = -1, n_taps = 0;
  const char *const *names;
  const float *h;
  gint64 n;

  g_assert_no_error (error);
  g_assert_cmpint (gcut_network_kind (gct_trainer_generator (t)), ==,
                   GCUT_NETWORK_STYLEGAN2_GENERATOR);
  g_assert_cmpint (gcut_network_kind (gct_trainer_discriminator (t)), ==,
                   GCUT_NETWORK_STYLEGAN2_DISCRIMINATOR);
  names = gct_trainer_loss_names (t, &n_losses);
  for (int i = 0; i < n_losses; i++)
    if (!strcmp (names[i], "R1"))
      r1 = i;
  g_assert_cmpint (r1, >=, 0);
  gct_trainer_set_step_observer (t, count_taps, &n_taps);
  g_assert_true (gct_trainer_run (t, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n_taps, ==, GCUT_STYLEGAN2_N_TAPS);
  h = gct_trainer_loss_history (t, &n);
  g_assert_cmpint (n, ==, STEPS);
  for (gint64 s = 0; s < n; s++)
    {
      GString *line = g_string_new (NULL);
      for (int i = 0; i < n_losses; i++)
        {
          g_assert_true (isfinite (h[s * n_losses + i]));
          g_string_append_printf (line, " %s %.4g", names[i], h[s * n_losses + i]);
        }
      g_test_message ("step %" G_GINT64_FORMAT ":%s", s + 1, line->str);
      g_string_free (line, TRUE);
      g_assert_cmpfloat (h[s * n_losses + r1], >, 0);
    }
}

/* As /trainer/resume-variants: 4 steps, a checkpoint, 4 more from it. */
static void
test_resume (void)
{
  g_autofree char *ckpt = g_build_filename (tmpdir, "sincut.ckpt.safetensors", NULL);
  gct_test_check_resume (recipe, content, style, ckpt, STEPS / 2, STEPS);
}

/* A StyleGAN2-lite G from a saved model translates a whole image of odd sides
 * in one pass: values in [0, 1], alpha untouched, the same output twice (the
 * noise has a fixed seed). */
static void
test_translate (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "sincut.safetensors", NULL);
  g_autoptr (GctTrainer) t = gct_trainer_new (recipe, content, style, NULL, &error);
  g_autoptr (GcpModel) model = NULL;
  g_autoptr (GcutNetwork) G = NULL;
  const int w = 37, h = 29;
  gsize n = (gsize)w * h * 4, arena = 0;
  g_autofree float *a = g_new (float, n), *b = g_new (float, n);
  GctImage image = { w, h, a };
  int changed = 0;

  g_assert_no_error (error);
  g_assert_true (gct_trainer_run (t, 2, &error));
  g_assert_true (gct_trainer_save_model (t, path, &error));
  g_assert_no_error (error);
  model = gcp_model_load (path, &error);
  g_assert_no_error (error);
  G = gcp_model_steal_generator (model);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 4; c++)
        a[((gsize)y * w + x) * 4 + c]
            = content_pixels->rgba[((gsize)y * content_pixels->width + x) * 4 + c];
  memcpy (b, a, n * sizeof (float));
  g_assert_true (
      gct_translate_image (G, NULL, GCUT_PRECISION_EXACT, &image, 0, 0, &arena, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (arena, >, 0);
  for (gsize i = 0; i < n; i++)
    {
      if (i % 4 == 3)
        g_assert_cmpfloat (a[i], ==, b[i]);
      g_assert_true (a[i] >= 0 && a[i] <= 1);
      changed += a[i] != b[i];
    }
  g_assert_cmpint (changed, >, 0);
  memcpy (b, a, n * sizeof (float));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 4; c++)
        a[((gsize)y * w + x) * 4 + c]
            = content_pixels->rgba[((gsize)y * content_pixels->width + x) * 4 + c];
  g_assert_true (
      gct_translate_image (G, NULL, GCUT_PRECISION_EXACT, &image, 0, 0, NULL, &error));
  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
  g_unlink (path);
}

/* ∇_θ R1 into grad (from zero gradients). */
static void
r1_grad (GcutNetwork *D, const float *x, int batch, int size, double eps, float *grad)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctR1) r1 = gct_r1_new (D, gcut_backend_cpu (), batch, size, eps, &error);
  gsize n;
  float *grads = gcut_network_grads (D, &n);
  double value;

  g_assert_no_error (error);
  memset (grads, 0, n * sizeof (float));
  g_assert_true (gct_r1_apply (r1, x, 1.0, 1.0, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (value, >, 0);
  memcpy (grad, grads, n * sizeof (float));
}

/* As /r1/converged for the PatchGAN: ε and ε/3 agree on the StyleGAN2-lite D
 * (11 activations at 64², frozen through the hooked build). */
static void
test_r1_converged (void)
{
  const int batch = 2, size = 64;
  g_autoptr (GcutNetwork) D = gcut_stylegan2_discriminator_new (
      &(GcutStyleGan2DiscriminatorConfig){ .ndf = 2, .size = size });
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  gsize n, n_x = (gsize)batch * 3 * size * size;
  g_autofree float *x = g_new (float, n_x);
  gcut_network_grads (D, &n);
  g_autofree float *a = g_new (float, n), *b = g_new (float, n);
  double worst = 0, m = 0;

  gcut_stylegan2_init (D, 3);
  /* Smooth content in [−1, 1], as an image crop. */
  for (gsize i = 0; i < n_x; i++)
    x[i] = (float)(0.7 * sin (0.1 * (i / size) + 0.2 * (i % size) + (i / (size * size)))
                   + g_rand_double_range (rand, -0.3, 0.3));
  r1_grad (D, x, batch, size, GCT_R1_EPS, a);
  r1_grad (D, x, batch, size, GCT_R1_EPS / 3, b);
  for (gsize i = 0; i < n; i++)
    {
      worst = MAX (worst, fabs (a[i] - b[i]));
      m = MAX (m, fabs (a[i]));
    }
  g_test_message ("ε %g against ε/3: %.3g of the largest entry", GCT_R1_EPS, worst / m);
  g_assert_cmpfloat (m, >, 0);
  /* test-r1.c's bound: ≤ 1e-3 at ε, rounding growing as 1/ε. */
  g_assert_cmpfloat (worst, <=, 4e-3 * m);
}

/* A batch whose buffers cannot fit (256 crops of 1024², G's noise alone 1 GB
 * per side) fails with an error naming the batch, in 512 MB more address
 * space than the process has, instead of aborting. */
static void
test_out_of_memory (void)
{
  g_autoptr (GcpRecipe) r = gcp_recipe_copy (recipe);
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  r->sampling.crop_size = 1024;
  r->sampling.batch = 256;
  g_assert_true (gcp_recipe_validate (r, &error));
  gcp_test_limit_address_space (512 << 20);
  g_assert_null (gct_trainer_new (r, content, style, NULL, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "256 crops of 1024²"));
}

int
main (int argc, char **argv)
{
  int status;

  tmpdir = gct_test_init (&argc, &argv, "sincut");
  content_pixels = gct_test_image (GCT_TEST_CONTENT);
  content = gct_image_reader_new_for_image (content_pixels, "the content image");
  style = gct_test_reader (GCT_TEST_STYLE);
  recipe = gct_test_recipe (GCT_TEST_RECIPE, STEPS);

  g_test_add_func ("/sincut/train", test_train);
  g_test_add_func ("/sincut/resume", test_resume);
  g_test_add_func ("/sincut/translate", test_translate);
  g_test_add_func ("/sincut/r1-converged", test_r1_converged);
  g_test_add_func ("/sincut/out-of-memory", test_out_of_memory);
  status = g_test_run ();

  gct_image_reader_free (content);
  gct_image_reader_free (style);
  gct_image_free (content_pixels);
  gcp_recipe_free (recipe);
  gct_test_finish (tmpdir);
  return status;
}
