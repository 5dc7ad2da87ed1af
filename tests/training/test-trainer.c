/* The trainer: a short run of a tiny CUT (tiny-recipe.json) on the bundled
 * forest photo and a downscaled crop of The Starry Night; finite losses, the
 * NCE loss falling, exact resume from a checkpoint, NaN detection and
 * cancellation. */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gct-sampling.h"
#include "trainer-test-util.h"

#define STEPS 30

static GctImage *style_crop;
static GctImageReader *content, *style;
static GcpRecipe *recipe;
static char *tmpdir;
/* The uninterrupted run's history, for the resume test. */
static float *reference;
static int n_losses;

static int
loss_index (GctTrainer *t, const char *name)
{
  int n;
  const char *const *names = gct_trainer_loss_names (t, &n);
  for (int i = 0; i < n; i++)
    if (!strcmp (names[i], name))
      return i;
  g_assert_not_reached ();
}

static GctTrainer *
new_trainer (void)
{
  g_autoptr (GError) error = NULL;
  GctTrainer *t = gct_trainer_new (recipe, content, style, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

static void
test_train (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctTrainer) t = new_trainer ();
  gint64 n;
  const float *h;
  int nce;
  double first = 0, last = 0;

  g_assert_true (gct_trainer_run (t, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gct_trainer_step_count (t), ==, STEPS);
  h = gct_trainer_loss_history (t, &n);
  gct_trainer_loss_names (t, &n_losses);
  g_assert_cmpint (n, ==, STEPS);
  for (gint64 i = 0; i < n * n_losses; i++)
    g_assert_true (isfinite (h[i]));
  nce = loss_index (t, "NCE_X");
  for (int i = 0; i < 10; i++)
    {
      first += h[i * n_losses + nce] / 10;
      last += h[(STEPS - 10 + i) * n_losses + nce] / 10;
    }
  g_test_message ("NCE_X: mean %.4f over the first 10 steps, %.4f over the last 10",
                  first, last);
  g_assert_cmpfloat (last, <, first);
  reference = g_memdup2 (h, n * n_losses * sizeof (float));
}

static void
test_resume (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ckpt = g_build_filename (tmpdir, "resume.ckpt.safetensors", NULL);
  g_autoptr (GctTrainer) a = new_trainer ();
  g_autoptr (GctTrainer) b = NULL;
  gint64 n;
  const float *h;
  int bitwise = 0;

  if (!reference)
    {
      g_test_skip ("needs /trainer/train");
      return;
    }
  gct_trainer_set_checkpoint (a, ckpt, 5);
  g_assert_true (gct_trainer_run (a, 5, &error));
  g_assert_cmpint (gct_trainer_last_checkpoint_step (a), ==, 5);
  g_clear_pointer (&a, gct_trainer_free);

  b = gct_trainer_new_from_checkpoint (ckpt, content, style, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gct_trainer_step_count (b), ==, 5);
  g_assert_true (gct_trainer_run (b, 10, &error));
  g_assert_no_error (error);
  h = gct_trainer_loss_history (b, &n);
  g_assert_cmpint (n, ==, 10);
  for (int i = 0; i < 10 * n_losses; i++)
    {
      g_assert_cmpfloat_with_epsilon (h[i], reference[i], 1e-6);
      bitwise += h[i] == reference[i];
    }
  g_test_message ("%d of %d loss values bitwise equal to the uninterrupted run", bitwise,
                  10 * n_losses);
}

/* Resume equals an uninterrupted run for the recipes with more state: flip
 * equivariance (the noise stream), hDCE's Γ curriculum (plan rebuilds) with
 * SRC, and zoomed crops in a batch of 2 with minibatch negatives. */
static void
check_resume_variant (const GcpRecipe *r, const char *name)
{
  g_autofree char *ckpt = g_strdup_printf ("%s/%s.ckpt.safetensors", tmpdir, name);
  gct_test_check_resume (r, content, style, ckpt, 4, 8);
}

static void
test_resume_variants (void)
{
  g_autoptr (GcpRecipe) fast = gcp_recipe_copy (recipe);
  g_autoptr (GcpRecipe) hdce = gcp_recipe_copy (recipe);
  g_autoptr (GcpRecipe) zoom = gcp_recipe_copy (recipe);
  g_autoptr (GError) error = NULL;

  fast->nce.weight = 10;
  fast->nce.identity = FALSE;
  fast->nce.flip_equivariance = TRUE;
  g_assert_true (gcp_recipe_validate (fast, &error));
  check_resume_variant (fast, "fast");

  hdce->nce.kind = GCP_NCE_HDCE;
  hdce->nce.weight = 0.1;
  hdce->nce.gamma_start = 50;
  hdce->nce.gamma_end = 10;
  hdce->src.weight = 0.05;
  hdce->schedule.steps = 8;
  hdce->schedule.decay_start = 4;
  g_assert_true (gcp_recipe_validate (hdce, &error));
  check_resume_variant (hdce, "hdce");

  zoom->sampling.mode = GCP_SAMPLING_ZOOM_CROPS;
  zoom->sampling.zoom_min = 0.5;
  zoom->sampling.zoom_max = 1;
  zoom->sampling.batch = 2;
  zoom->nce.negatives = GCP_NEGATIVES_ACROSS_CROPS;
  zoom->nce.kind = GCP_NCE_MONCE;
  zoom->identity_l1.weight = 1;
  g_assert_true (gcp_recipe_validate (zoom, &error));
  check_resume_variant (zoom, "zoom");
}

static void
test_nan (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ckpt = g_build_filename (tmpdir, "nan.ckpt.safetensors", NULL);
  g_autoptr (GctTrainer) t = new_trainer ();
  g_autoptr (GctTrainer) back = NULL;
  GcutNetwork *G = gct_trainer_generator (t);

  gct_trainer_set_checkpoint (t, ckpt, 1);
  g_assert_true (gct_trainer_run (t, 2, &error));
  gcut_network_param_data (G, 0)[3] = NAN;
  g_assert_false (gct_trainer_run (t, 4, &error));
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_NUMERIC);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "NaN"));
  g_assert_nonnull (strstr (error->message, "step 3"));
  g_assert_nonnull (strstr (error->message, ckpt));
  g_assert_cmpint (gct_trainer_step_count (t), ==, 2);
  g_clear_error (&error);

  /* The last good checkpoint is intact and finite. */
  back = gct_trainer_new_from_checkpoint (ckpt, content, style, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gct_trainer_step_count (back), ==, 2);

  /* A NaN in D's last bias (no activation after it) reaches the D loss,
   * which is checked before any update; the resumed trainer names the
   * checkpoint it came from. */
  GcutNetwork *D = gct_trainer_discriminator (back);
  gcut_network_param_data (D, gcut_network_n_params (D) - 1)[0] = NAN;
  g_assert_false (gct_trainer_step (back, &error));
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_NUMERIC);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "the D loss became NaN"));
  g_assert_nonnull (strstr (error->message, ckpt));
  g_assert_cmpint (gct_trainer_step_count (back), ==, 2);
}

static gboolean
stop_at_3 (const GctProgress *p, gpointer data)
{
  (void)data;
  g_assert_cmpint (p->total, ==, STEPS);
  g_assert_cmpint (p->n_losses, ==, n_losses ? n_losses : p->n_losses);
  return p->step < 3;
}

static void
test_cancel (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ckpt = g_build_filename (tmpdir, "cancel.ckpt.safetensors", NULL);
  g_autoptr (GctTrainer) t = new_trainer ();
  g_autoptr (GctTrainer) back = NULL;

  /* Through the progress callback: stops before step 4, writes the checkpoint. */
  gct_trainer_set_progress (t, stop_at_3, NULL);
  gct_trainer_set_checkpoint (t, ckpt, 0);
  g_assert_false (gct_trainer_run (t, 0, &error));
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpint (gct_trainer_step_count (t), ==, 3);
  back = gct_trainer_new_from_checkpoint (ckpt, content, style, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gct_trainer_step_count (back), ==, 3);

  /* As a signal handler would: before any step. */
  gct_trainer_cancel (back);
  g_assert_false (gct_trainer_run (back, 0, &error));
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED);
  g_assert_cmpint (gct_trainer_step_count (back), ==, 3);
}

/* A copy of the checkpoint at from, at to, with one random stream's state
 * (crops 0, patches 1, noise 2) zeroed: the one state xoshiro256** never
 * leaves, where rejection sampling draws zeros forever. */
static void
zero_stream (const char *from, const char *to, int stream)
{
  g_autoptr (GError) error = NULL;
  char *data;
  gsize len;

  g_assert_true (g_file_get_contents (from, &data, &len, &error));
  g_autoptr (GBytes) bytes = g_bytes_new_take (data, len);
  g_autoptr (GcpSafetensors) st = gcp_safetensors_parse (bytes, &error);
  g_assert_no_error (error);
  const GcpTensorView *v = gcp_safetensors_lookup (st, "trainer.rng");
  g_assert_nonnull (v);
  g_assert_true ((const char *)v->data >= data
                 && (const char *)v->data + v->n_bytes <= data + len);
  /* 6 words per stream: the 4 of the state, then the Box–Muller spare. */
  memset (data + ((const char *)v->data - data) + stream * 6 * sizeof (guint64), 0,
          4 * sizeof (guint64));
  g_assert_true (g_file_set_contents (to, data, len, &error));
}

/* A checkpoint whose random stream is all zero is refused, naming the file
 * and the stream.  Resumed, the crops stream would spin forever in
 * gct_rng_below's rejection loop: the subprocess's timeout turns that hang
 * into a failure. */
static void
test_zero_rng (void)
{
  static const char *const streams[] = { "crops", "patches", "noise" };
  g_autofree char *ckpt = g_build_filename (tmpdir, "rng.ckpt.safetensors", NULL);
  g_autoptr (GctTrainer) t = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  t = new_trainer ();
  gct_trainer_set_checkpoint (t, ckpt, 2);
  g_assert_true (gct_trainer_run (t, 2, &error));
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *bad
          = g_strdup_printf ("%s/rng-%s.ckpt.safetensors", tmpdir, streams[i]);
      zero_stream (ckpt, bad, i);
      g_autoptr (GctTrainer) back
          = gct_trainer_new_from_checkpoint (bad, content, style, NULL, 0, &error);
      if (back)
        gct_trainer_run (back, 3, NULL);
      g_assert_null (back);
      g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, bad));
      g_assert_nonnull (strstr (error->message, streams[i]));
      g_clear_error (&error);
      g_unlink (bad);
    }
}

/* The StyleGAN2-lite D must come down to 4×4: 48-pixel crops are refused
 * by the recipe's validation, naming the key, before any plan is built. */
static void
test_unsupported (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) r = gcp_recipe_copy (recipe);
  r->discriminator.kind = GCP_DISCRIMINATOR_STYLEGAN2_LITE;
  r->sampling.load_size = 48;
  r->sampling.crop_size = 48;
  g_assert_null (gct_trainer_new (r, content, style, NULL, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "sampling.crop_size: "));
  g_test_message ("%s", error->message);
}

/* A discriminator too large for memory (ndf 512, 8 layers: 1.6 billion
 * parameters, against 1 GB more address space) is an error naming the key;
 * its constructor returned NULL and the trainer reported nothing. */
static void
test_discriminator_out_of_memory (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) r = gcp_recipe_copy (recipe);

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  r->discriminator.ndf = 512;
  r->discriminator.n_layers = 8;
  /* The smallest crop these 8 layers take. */
  r->sampling.load_size = r->sampling.crop_size = 768;
  gcp_test_limit_address_space (1 << 30);
  g_assert_null (gct_trainer_new (r, content, style, NULL, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "architecture.discriminator"));
  g_test_message ("%s", error->message);
}

/* A 96² crop of the painting around its big swirl, downscaled to 48². */
static GctImage *
style_image (GError **error)
{
  g_autoptr (GctImage) full = gct_image_load (GCT_TEST_STYLE, error);
  GctImage *out;
  const int x0 = 250, y0 = 120, s = 96, d = 48;
  g_autofree float *crop = NULL;

  if (!full)
    return NULL;
  crop = g_new (float, (gsize)s *s * 4);
  for (int y = 0; y < s; y++)
    memcpy (crop + (gsize)y * s * 4,
            full->rgba + ((gsize)(y0 + y) * full->width + x0) * 4,
            s * 4 * sizeof (float));
  out = g_new0 (GctImage, 1);
  out->width = out->height = d;
  out->rgba = g_new (float, (gsize)d *d * 4);
  g_assert_true (gct_resample (crop, s, s, 4, out->rgba, d, d, GCT_FILTER_BICUBIC, NULL));
  return out;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  tmpdir = gct_test_init (&argc, &argv, "trainer");
  content = gct_test_reader (GCT_TEST_CONTENT);
  style_crop = style_image (&error);
  g_assert_no_error (error);
  style = gct_image_reader_new_for_image (style_crop, "the style crop");
  recipe = gct_test_recipe (GCT_TEST_RECIPE, STEPS);

  g_test_add_func ("/trainer/train", test_train);
  g_test_add_func ("/trainer/resume", test_resume);
  g_test_add_func ("/trainer/resume-variants", test_resume_variants);
  g_test_add_func ("/trainer/nan", test_nan);
  g_test_add_func ("/trainer/cancel", test_cancel);
  g_test_add_func ("/trainer/unsupported", test_unsupported);
  g_test_add_func ("/trainer/discriminator-out-of-memory",
                   test_discriminator_out_of_memory);
  g_test_add_func ("/trainer/zero-rng", test_zero_rng);
  status = g_test_run ();

  g_free (reference);
  gct_image_reader_free (content);
  gct_image_reader_free (style);
  gct_image_free (style_crop);
  gcp_recipe_free (recipe);
  gct_test_finish (tmpdir);
  return status;
}
