/* Fine-tuning and image sets (on images made here, without GEGL): a
 * reconstruction recipe builds neither D nor F;
 * a run starts from a base model's G (and F when it fits), records the base,
 * and a resume keeps the record without the base file; sets of images are
 * listed from folders, sampled uniformly and deterministically, recorded in
 * checkpoints and checked on resume. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "gct-image-set.h"
#include "trainer-test-util.h"

/* The images, and readers of them for the trainer. */
static GctImage *content_image, *style_image;
static GctImageReader *content, *style;
static GcpRecipe *recipe;
static char *tmpdir;

/* Empties and removes a folder of files. */
static void
remove_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Images made here rather than decoded: GEGL is never started, so valgrind
 * sees our code alone (GEGL's loaders leak as they load).  A photo-like
 * content (ramps and soft texture) and coloured stripes for the style. */
static GctImage *
pattern (int w, int h, gboolean striped)
{
  GctImage *image = g_new0 (GctImage, 1);
  image->width = w;
  image->height = h;
  image->rgba = g_new (float, (gsize)w *h * 4);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *p = image->rgba + ((gsize)y * w + x) * 4;
        if (striped)
          {
            p[0] = 0.5f + 0.5f * sinf (0.4f * (x + y));
            p[1] = 0.5f + 0.5f * sinf (0.3f * x - 0.2f * y);
            p[2] = 0.3f;
          }
        else
          {
            p[0] = (float)x / w;
            p[1] = 0.3f + 0.4f * y / h + 0.1f * sinf (0.9f * x) * sinf (0.7f * y);
            p[2] = 0.6f - 0.3f * x / w + 0.1f * cosf (0.5f * (x - y));
          }
        p[3] = 1;
      }
  return image;
}

static GctTrainer *
new_trainer (const GcpRecipe *r, GctImageReader *c, GctImageReader *s)
{
  g_autoptr (GError) error = NULL;
  GctTrainer *t = gct_trainer_new (r, c, s, NULL, &error);
  g_assert_no_error (error);
  return t;
}

static void
run (GctTrainer *t, gint64 until)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (gct_trainer_run (t, until, &error));
  g_assert_no_error (error);
}

static void
assert_same_weights (GcutNetwork *a, GcutNetwork *b)
{
  gsize na, nb;
  const float *da = gcut_network_data (a, &na), *db = gcut_network_data (b, &nb);
  g_assert_cmpuint (na, ==, nb);
  g_assert_cmpmem (da, na * sizeof (float), db, nb * sizeof (float));
}

static gboolean
same_weights (GcutNetwork *a, GcutNetwork *b)
{
  gsize na, nb;
  const float *da = gcut_network_data (a, &na), *db = gcut_network_data (b, &nb);
  return na == nb && !memcmp (da, db, na * sizeof (float));
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)data, len);
}

static GcpRecipe *
reconstruction_recipe (void)
{
  GcpRecipe *r = gcp_recipe_copy (recipe);
  g_autoptr (GError) error = NULL;
  r->gan.weight = 0;
  r->nce.weight = 0;
  r->identity_l1.weight = 1;
  g_assert_true (gcp_recipe_validate (r, &error));
  return r;
}

/* L1 identity alone: no D, no F, no content; G(y) ≈ y is learned. */
static void
test_reconstruction (void)
{
  g_autoptr (GcpRecipe) r = reconstruction_recipe ();
  g_autoptr (GctTrainer) t = new_trainer (r, NULL, content);
  g_autoptr (GError) error = NULL;
  g_autofree char *ckpt = tmp_path ("reconstruction.ckpt.safetensors");
  g_autofree char *model = tmp_path ("reconstruction.safetensors");
  g_autoptr (GcpModel) m = NULL;
  int n;
  gint64 steps;
  const char *const *names = gct_trainer_loss_names (t, &n);
  const float *h;
  double first = 0, last = 0;

  g_assert_null (gct_trainer_discriminator (t));
  g_assert_null (gct_trainer_heads (t));
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpstr (names[0], ==, "L1_idt");
  g_assert_cmpstr (names[1], ==, "G");
  run (t, 0);
  h = gct_trainer_loss_history (t, &steps);
  for (int i = 0; i < 10; i++)
    {
      first += h[i * n] / 10;
      last += h[(steps - 10 + i) * n] / 10;
    }
  g_test_message ("L1: mean %.4f over the first 10 steps, %.4f over the last 10", first,
                  last);
  g_assert_cmpfloat (last, <, 0.75 * first);
  /* The model holds G alone. */
  g_assert_true (gct_trainer_save_model (t, model, &error));
  m = gcp_model_load (model, &error);
  g_assert_no_error (error);
  g_assert_false (gcp_model_has (m, "F."));
  /* And resumes exactly. */
  gct_test_check_resume (r, NULL, content, ckpt, 4, 8);

  /* A recipe that translates content refuses to start without it. */
  g_clear_pointer (&t, gct_trainer_free);
  t = gct_trainer_new (recipe, NULL, style, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "needs content images"));
}

/* A short CUT run saved as a model, the base of the tests below. */
static char *
make_base (const char *name, const GcpRecipe *r, GctImageReader *c)
{
  g_autoptr (GctTrainer) t = new_trainer (r, c, style);
  g_autoptr (GError) error = NULL;
  g_autofree char *file = g_strconcat (name, ".safetensors", NULL);
  char *path = tmp_path (file);

  run (t, 3);
  g_assert_true (gct_trainer_save_model (t, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_from_base (void)
{
  g_autofree char *base_path = make_base ("base", recipe, content);
  g_autofree char *base_sha = file_sha256 (base_path);
  g_autofree char *moved = tmp_path ("base-moved.safetensors");
  g_autofree char *ckpt = tmp_path ("tuned.ckpt.safetensors");
  g_autofree char *model = tmp_path ("tuned.safetensors");
  g_autoptr (GcpRecipe) r = gcp_recipe_copy (recipe);
  g_autoptr (GcpModel) base = NULL, saved = NULL;
  g_autoptr (GctTrainer) fresh = NULL, a = NULL, b = NULL, resumed = NULL;
  g_autoptr (GError) error = NULL;
  const GcpBaseRecord *rec;
  gboolean heads;

  base = gcp_model_load (base_path, &error);
  g_assert_no_error (error);
  r->init = g_strdup (base_path);
  fresh = new_trainer (recipe, content, style);
  a = new_trainer (r, content, style);

  /* G and F from the base, D as a run from random weights has it. */
  assert_same_weights (gct_trainer_generator (a), gcp_model_generator (base));
  rec = gct_trainer_base (a, &heads);
  g_assert_nonnull (rec);
  g_assert_true (heads);
  {
    int taps[GCUT_GENERATOR_N_TAPS];
    for (int i = 0; i < GCUT_GENERATOR_N_TAPS; i++)
      taps[i] = gcut_resnet_generator_tap_channels (gct_trainer_generator (a), i);
    g_autoptr (GcutNetwork) F
        = gcut_patch_heads_new (taps, GCUT_GENERATOR_N_TAPS, recipe->heads.nc);
    g_assert_true (gcp_model_load_network (base, "F.", F, &error));
    assert_same_weights (gct_trainer_heads (a), F);
  }
  assert_same_weights (gct_trainer_discriminator (a), gct_trainer_discriminator (fresh));
  g_assert_false (
      same_weights (gct_trainer_generator (a), gct_trainer_generator (fresh)));
  g_assert_cmpstr (rec->name, ==, "base");
  g_assert_cmpstr (rec->sha256, ==, base_sha);

  /* The same base and seed give the same bytes. */
  b = new_trainer (r, content, style);
  run (a, 3);
  run (b, 3);
  assert_same_weights (gct_trainer_generator (a), gct_trainer_generator (b));
  assert_same_weights (gct_trainer_heads (a), gct_trainer_heads (b));

  /* The model and the checkpoint record the base; a resume keeps the record
   * without reading the base, which may be gone. */
  g_assert_true (gct_trainer_save_model (a, model, &error));
  g_assert_true (gct_trainer_save_checkpoint (a, ckpt, &error));
  g_assert_no_error (error);
  saved = gcp_model_load (model, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gcp_model_base (saved)->name, ==, "base");
  g_assert_cmpstr (gcp_model_base (saved)->sha256, ==, base_sha);
  g_assert_cmpint (g_rename (base_path, moved), ==, 0);
  resumed = gct_trainer_new_from_checkpoint (ckpt, content, style, NULL, 0, &error);
  g_assert_no_error (error);
  rec = gct_trainer_base (resumed, NULL);
  g_assert_nonnull (rec);
  g_assert_cmpstr (rec->name, ==, "base");
  g_assert_cmpstr (rec->sha256, ==, base_sha);
  assert_same_weights (gct_trainer_generator (resumed), gct_trainer_generator (a));
  g_assert_cmpint (g_rename (moved, base_path), ==, 0);
}

/* F fresh when the base's heads do not fit, or the base has none. */
static void
test_base_heads (void)
{
  g_autoptr (GcpRecipe) wide = gcp_recipe_copy (recipe);
  g_autoptr (GcpRecipe) recon = reconstruction_recipe ();
  g_autofree char *base_path = make_base ("heads-base", recipe, content);
  g_autofree char *recon_path = NULL;
  g_autoptr (GctTrainer) a = NULL, fresh = NULL, b = NULL;
  gboolean heads = TRUE;

  wide->heads.nc = 8;
  fresh = new_trainer (wide, content, style);
  wide->init = g_strdup (base_path);
  a = new_trainer (wide, content, style);
  g_assert_nonnull (gct_trainer_base (a, &heads));
  g_assert_false (heads);
  assert_same_weights (gct_trainer_heads (a), gct_trainer_heads (fresh));

  {
    g_autoptr (GctTrainer) t = new_trainer (recon, NULL, content);
    g_autoptr (GError) error = NULL;
    recon_path = tmp_path ("recon-base.safetensors");
    run (t, 2);
    g_assert_true (gct_trainer_save_model (t, recon_path, &error));
  }
  g_clear_pointer (&wide->init, g_free);
  wide->heads.nc = recipe->heads.nc;
  wide->init = g_strdup (recon_path);
  b = new_trainer (wide, content, style);
  g_assert_nonnull (gct_trainer_base (b, &heads));
  g_assert_false (heads);
}

static void
expect_base_refused (const GcpRecipe *r, GQuark domain, int code, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctTrainer) t = gct_trainer_new (r, content, style, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, domain, code);
  if (!strstr (error->message, part))
    g_error ("message “%s” lacks “%s”", error->message, part);
  g_test_message ("refused: %s", error->message);
}

static void
test_base_refused (void)
{
  g_autofree char *base_path = make_base ("other-base", recipe, content);
  g_autofree char *missing = tmp_path ("missing.safetensors");
  g_autoptr (GcpRecipe) r = gcp_recipe_copy (recipe);

  r->generator.ngf = 16;
  r->generator.antialias_up = FALSE;
  r->init = g_strdup (base_path);
  expect_base_refused (r, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_BASE,
                       "ngf 16 (the recipe) / 8 (the base), antialias_up false (the "
                       "recipe) / true (the base)");
  r->generator = recipe->generator;
  g_free (r->init);
  r->init = g_strdup (missing);
  expect_base_refused (r, GCP_ERROR, GCP_ERROR_NOT_FOUND, "init: ");
}

/* One colour per image, to tell which image a crop came from. */
static GctImage *
flat_image (float r, float g, float b)
{
  GctImage *image = g_new0 (GctImage, 1);
  image->width = image->height = 48;
  image->rgba = g_new (float, 48 * 48 * 4);
  for (int i = 0; i < 48 * 48; i++)
    {
      image->rgba[4 * i] = r;
      image->rgba[4 * i + 1] = g;
      image->rgba[4 * i + 2] = b;
      image->rgba[4 * i + 3] = 1;
    }
  return image;
}

/* Each crop comes from one image, chosen uniformly and reproducibly. */
static void
test_set_sampling (void)
{
  g_autoptr (GctImage) red = flat_image (1, 0, 0);
  g_autoptr (GctImage) green = flat_image (0, 1, 0);
  g_autoptr (GctImage) blue = flat_image (0, 0, 1);
  g_autoptr (GctImageReader) r = gct_image_reader_new_for_image (red, "red");
  g_autoptr (GctImageReader) g = gct_image_reader_new_for_image (green, "green");
  g_autoptr (GctImageReader) b = gct_image_reader_new_for_image (blue, "blue");
  g_autoptr (GctImageSet) set = gct_image_set_new ();
  g_autoptr (GctSetSampler) s = NULL;
  g_autoptr (GError) error = NULL;
  GctSamplingConfig sc;
  const int n = 3000, crop = recipe->sampling.crop_size;
  g_autofree float *out = g_new (float, (gsize)n * 3 * crop * crop);
  g_autofree float *again = g_new (float, (gsize)n * 3 * crop * crop);
  int counts[3] = { 0 };
  GctRng rng;

  gct_image_set_add_reader (set, r);
  gct_image_set_add_reader (set, g);
  gct_image_set_add_reader (set, b);
  gct_sampling_config_from_recipe (recipe, &sc);
  s = gct_set_sampler_new (set, &sc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gct_set_sampler_n_images (s), ==, 3);
  gct_rng_init (&rng, 5, GCT_STREAM_CROPS);
  gct_set_sampler_sample (s, &rng, n, out);
  for (int b = 0; b < n; b++)
    for (int c = 0; c < 3; c++)
      counts[c] += out[((gsize)b * 3 + c) * crop * crop] > 0;
  g_test_message ("crops per image: %d %d %d", counts[0], counts[1], counts[2]);
  /* Binomial(3000, 1/3): σ ≈ 25.8; the seed is fixed, 5σ leaves room for any
   * future change of the stream without making the test meaningless. */
  for (int c = 0; c < 3; c++)
    g_assert_cmpint (abs (counts[c] - n / 3), <, 129);
  g_assert_cmpint (counts[0] + counts[1] + counts[2], ==, n);
  gct_rng_init (&rng, 5, GCT_STREAM_CROPS);
  gct_set_sampler_sample (s, &rng, n, again);
  g_assert_cmpmem (out, (gsize)n * 3 * crop * crop * sizeof (float), again,
                   (gsize)n * 3 * crop * crop * sizeof (float));
}

/* Folders: image files in byte order of their names; the rest skipped. */
static void
test_folder (void)
{
  g_autofree char *dir = tmp_path ("photos");
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *empty = tmp_path ("empty");
  g_autofree char *data = NULL;
  g_autoptr (GctImageSet) set = gct_image_set_new ();
  g_autoptr (GError) error = NULL;
  const char *names[] = { "b.png", "a.png", "B.png" };
  const char *const *skipped;
  gsize len;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
  g_assert_true (g_file_get_contents (GCT_TEST_CONTENT, &data, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      g_assert_true (g_file_set_contents (p, data, len, NULL));
    }
  {
    g_autofree char *p = g_build_filename (dir, "notes.txt", NULL);
    g_assert_true (g_file_set_contents (p, "not an image", -1, NULL));
  }
  g_assert_true (gct_image_set_add_path (set, dir, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gct_image_set_size (set), ==, 3);
  g_assert_true (g_str_has_suffix (gct_image_set_path (set, 0), "/B.png"));
  g_assert_true (g_str_has_suffix (gct_image_set_path (set, 1), "/a.png"));
  g_assert_true (g_str_has_suffix (gct_image_set_path (set, 2), "/b.png"));
  skipped = gct_image_set_skipped (set);
  g_assert_cmpuint (g_strv_length ((char **)skipped), ==, 2);
  g_assert_nonnull (strstr (skipped[0], "notes.txt: not an image"));
  g_assert_nonnull (strstr (skipped[1], "sub: a folder"));

  g_assert_false (gct_image_set_add_path (set, empty, &error));
  g_assert_nonnull (strstr (error->message, "no images"));
  g_clear_error (&error);
  g_assert_false (gct_image_set_add_path (set, "/nonexistent/photo.jpg", &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/photo.jpg"));

  g_rmdir (sub);
  remove_files (dir);
  g_rmdir (empty);
}

static GctImageSet *
set_of (GctImageReader *a, GctImageReader *b)
{
  GctImageSet *set = gct_image_set_of (a);
  if (b)
    gct_image_set_add_reader (set, b);
  return set;
}

static GctTrainer *
set_trainer (const GctImageSet *c, const GctImageSet *s)
{
  g_autoptr (GError) error = NULL;
  GctTrainer *t = gct_trainer_new_from_sets (recipe, c, s, NULL, &error);
  g_assert_no_error (error);
  return t;
}

/* A run on two content images: reproducible, recorded, checked on resume. */
static void
test_set_training (void)
{
  g_autoptr (GctImage) flat = flat_image (0.2f, 0.5f, 0.7f);
  g_autoptr (GctImageReader) other = gct_image_reader_new_for_image (flat, "flat");
  g_autoptr (GctImageSet) two = set_of (content, other);
  g_autoptr (GctImageSet) swapped = set_of (other, content);
  g_autoptr (GctImageSet) one = set_of (content, NULL);
  g_autoptr (GctImageSet) styles = set_of (style, NULL);
  g_autoptr (GctTrainer) a = set_trainer (two, styles), b = set_trainer (two, styles);
  g_autoptr (GctTrainer) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ckpt = tmp_path ("set.ckpt.safetensors");
  g_autofree char *json = NULL;
  gint64 n;
  int nl;

  run (a, 4);
  run (b, 4);
  gct_trainer_loss_names (a, &nl);
  g_assert_cmpmem (gct_trainer_loss_history (a, &n), 4 * nl * sizeof (float),
                   gct_trainer_loss_history (b, &n), 4 * nl * sizeof (float));
  json = gct_trainer_training_json (a);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "\"content\":{\"images\":2,\"sha256\":"));
  g_assert_nonnull (strstr (json, "\"style\":{\"width\":"));

  g_assert_true (gct_trainer_save_checkpoint (a, ckpt, &error));
  back = gct_trainer_new_from_checkpoint_sets (ckpt, two, styles, NULL, 0, &error);
  g_assert_no_error (error);
  g_clear_pointer (&back, gct_trainer_free);
  back = gct_trainer_new_from_checkpoint_sets (ckpt, swapped, styles, NULL, 0, &error);
  g_assert_null (back);
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "content image 1 of 2 (flat)"));
  g_clear_error (&error);
  back = gct_trainer_new_from_checkpoint_sets (ckpt, one, styles, NULL, 0, &error);
  g_assert_null (back);
  g_assert_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "trained on 2 content images; 1 given"));
  g_test_message ("%s", error->message);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  gcut_backend_set_threads (gcut_backend_cpu (), 2);
  tmpdir = g_dir_make_tmp ("gct-trainer-init-XXXXXX", &error);
  g_assert_no_error (error);
  content_image = pattern (96, 64, FALSE);
  style_image = pattern (64, 48, TRUE);
  content = gct_image_reader_new_for_image (content_image, "content");
  style = gct_image_reader_new_for_image (style_image, "style");
  recipe = gct_test_recipe (GCT_TEST_RECIPE, 30);

  g_test_add_func ("/trainer-init/reconstruction", test_reconstruction);
  g_test_add_func ("/trainer-init/from-base", test_from_base);
  g_test_add_func ("/trainer-init/base-heads", test_base_heads);
  g_test_add_func ("/trainer-init/base-refused", test_base_refused);
  g_test_add_func ("/trainer-init/set-sampling", test_set_sampling);
  g_test_add_func ("/trainer-init/folder", test_folder);
  g_test_add_func ("/trainer-init/set-training", test_set_training);
  status = g_test_run ();

  gct_image_reader_free (content);
  gct_image_reader_free (style);
  gct_image_free (content_image);
  gct_image_free (style_image);
  gcp_recipe_free (recipe);
  remove_files (tmpdir);
  g_free (tmpdir);
  return status;
}
