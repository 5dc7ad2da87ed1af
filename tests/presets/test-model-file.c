/* Model files: round trip, and files that must be refused (truncated, wrong
 * format, wrong architecture, NaN weights, missing or misshapen tensors, more
 * tensors than a model holds, a hostile base record), generators too large
 * for memory; finding a fine-tuned model's base. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include <gcut/gcut-error.h>
#include <gcp/gcp-model-file.h>
#include <gcp/gcp-network-io.h>
#include "test-dirs.h"
#include "test-memory.h"

static const GcpGeneratorConfig small = { GCP_GENERATOR_RESNET, 4, 5, TRUE, TRUE, 2 };

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static GcutNetwork *
make_generator (const GcpGeneratorConfig *c, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  GcutNetwork *G = gcp_generator_new (c, &error);
  g_assert_no_error (error);
  gcut_network_init_xavier (G, 0.02f, seed);
  /* Non-zero biases too, so a lost bias would show. */
  for (guint p = 0; p < gcut_network_n_params (G); p++)
    gcut_network_param_data (G, p)[0] += 0.001f * (p % 13 + 1);
  return G;
}

/* Parameters equal, one by one (the flat buffer may hold padding). */
static void
assert_same_params (GcutNetwork *a, GcutNetwork *b)
{
  g_assert_cmpuint (gcut_network_n_params (a), ==, gcut_network_n_params (b));
  for (guint p = 0; p < gcut_network_n_params (a); p++)
    {
      GcutShape s = gcut_network_param_shape (a, p);
      gint64 k = 1;
      for (int d = 0; d < s.n_dims; d++)
        k *= s.dims[d];
      g_assert_cmpstr (gcut_network_param_name (a, p), ==,
                       gcut_network_param_name (b, p));
      g_assert_cmpmem (gcut_network_param_data (a, p), k * 4,
                       gcut_network_param_data (b, p), k * 4);
    }
}

static void
expect_refused (GBytes *bytes, GcpError code, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpModel) m = gcp_model_parse (bytes, &error);
  g_assert_null (m);
  g_assert_error (error, GCP_ERROR, (int)code);
  if (part && !strstr (error->message, part))
    g_error ("message “%s” lacks “%s”", error->message, part);
  g_test_message ("refused: %s", error->message);
}

static GBytes *
save_to_bytes (GcpSafetensorsWriter *w)
{
  g_autofree char *path = tmp_path ("w.safetensors");
  g_autoptr (GError) error = NULL;
  char *data;
  gsize len;
  g_assert_true (gcp_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_unlink (path);
  return g_bytes_new_take (data, len);
}

static void
test_param_count (void)
{
  const int ngfs[] = { 1, 4, 8 };
  for (guint i = 0; i < G_N_ELEMENTS (ngfs); i++)
    for (int blocks = 5; blocks <= 9; blocks += 4)
      for (int aa = 0; aa < 4; aa++)
        {
          GcpGeneratorConfig c
              = { GCP_GENERATOR_RESNET, ngfs[i], blocks, aa & 1, aa >> 1, 2 };
          g_autoptr (GcutNetwork) G = gcp_generator_new (&c, NULL);
          gint64 n = 0;
          for (guint p = 0; p < gcut_network_n_params (G); p++)
            {
              GcutShape s = gcut_network_param_shape (G, p);
              gint64 k = 1;
              for (int d = 0; d < s.n_dims; d++)
                k *= s.dims[d];
              n += k;
            }
          g_assert_cmpint (n, ==, gcp_generator_n_params (&c));
        }
}

static void
test_round_trip (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  GcutPatchGanConfig dc = { 4, 3, TRUE };
  g_autoptr (GcutNetwork) D = gcut_patchgan_new (&dc);
  int taps[GCUT_GENERATOR_N_TAPS];
  g_autoptr (GcutNetwork) F = NULL;
  g_autoptr (GcpRecipe) recipe = gcp_recipe_new_default ();
  g_autofree char *recipe_json = NULL, *training_json = NULL;
  g_autofree char *path = tmp_path ("model.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpModel) m = NULL;
  const GcpLossValue losses[] = { { "D", 0.25 }, { "G_GAN", 0.5 }, { "NCE", 3.5 } };
  GcpTrainingRecord rec
      = { 1234, 56.5, "cpu", losses, 3, { 640, 480, "ab12" }, { 700, 560, "cd34" } };

  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    taps[t] = gcut_resnet_generator_tap_channels (G, t);
  F = gcut_patch_heads_new (taps, GCUT_GENERATOR_N_TAPS, 16);
  gcut_network_init_xavier (D, 0.02f, 4);
  gcut_network_init_xavier (F, 0.02f, 5);
  recipe->generator = small;
  recipe->description = g_strdup ("a test — with “quotes”");
  recipe_json = gcp_recipe_to_json (recipe);
  training_json = gcp_training_record_to_json (&rec);
  g_test_message ("training: %s", training_json);

  g_assert_true (
      gcp_model_save (path, G, &small, recipe_json, training_json, D, F, &error));
  g_assert_no_error (error);
  m = gcp_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (gcp_model_architecture (m), sizeof small, &small, sizeof small);
  assert_same_params (G, gcp_model_generator (m));
  g_assert_cmpstr (gcp_model_recipe_json (m), ==, recipe_json);
  {
    g_autoptr (GcpRecipe) back = gcp_recipe_parse (gcp_model_recipe_json (m), -1, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (back->description, ==, recipe->description);
  }
  g_assert_nonnull (strstr (gcp_model_training_json (m), "\"sha256\":\"cd34\""));
  g_assert_nonnull (strstr (gcp_model_training_json (m), "\"steps\":1234"));
  g_assert_true (gcp_model_has (m, "D."));
  g_assert_true (gcp_model_has (m, "F."));
  g_assert_false (gcp_model_has (m, "adam."));
  {
    g_autoptr (GcutNetwork) D2 = gcut_patchgan_new (&dc);
    g_assert_true (gcp_model_load_network (m, "D.", D2, &error));
    g_assert_no_error (error);
    assert_same_params (D, D2);
    /* A discriminator of another size is refused. */
    GcutPatchGanConfig dc8 = { 8, 3, TRUE };
    g_autoptr (GcutNetwork) D8 = gcut_patchgan_new (&dc8);
    g_assert_false (gcp_model_load_network (m, "D.", D8, &error));
    g_assert_error (error, GCP_ERROR, GCP_ERROR_MISMATCH);
    g_clear_error (&error);
  }
  /* The generator can be taken out and outlives the model. */
  {
    GcutNetwork *g2 = gcp_model_steal_generator (m);
    g_clear_pointer (&m, gcp_model_free);
    g_assert_cmpint (gcut_network_find (g2, "model.1.weight"), >=, 0);
    gcut_network_free (g2);
  }
  /* Without the optional parts. */
  g_assert_true (gcp_model_save (path, G, &small, NULL, NULL, NULL, NULL, &error));
  m = gcp_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_null (gcp_model_recipe_json (m));
  g_assert_false (gcp_model_has (m, "D."));
  g_unlink (path);
}

static void
test_truncated (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  g_autofree char *path = tmp_path ("t.safetensors");
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  g_assert_true (gcp_model_save (path, G, &small, "{}", "{}", NULL, NULL, &error));
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  for (gsize cut = 0; cut < len; cut += cut < 600 ? 1 : 997)
    {
      g_autoptr (GBytes) b = g_bytes_new (data, cut);
      g_autoptr (GcpModel) m = gcp_model_parse (b, &error);
      g_assert_null (m);
      g_assert_error (error, GCP_ERROR, GCP_ERROR_CORRUPT);
      g_clear_error (&error);
    }
  {
    g_autoptr (GBytes) b = g_bytes_new (data, len - 1);
    expect_refused (b, GCP_ERROR_CORRUPT, NULL);
  }
  /* And a truncated file on disk. */
  g_assert_true (g_file_set_contents (path, data, len / 2, NULL));
  g_assert_null (gcp_model_load (path, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_CORRUPT);
  g_test_message ("refused: %s", error->message);
  g_unlink (path);
}

static void
test_format (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
  g_autoptr (GBytes) good = save_to_bytes (w);
  g_autoptr (GcpModel) m = gcp_model_parse (good, NULL);

  g_assert_nonnull (m);
  gcp_safetensors_writer_set_metadata (w, "format", "gegl-cut/2");
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_UNSUPPORTED, "gegl-cut/2");
  }
  gcp_safetensors_writer_set_metadata (w, "format", "");
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_UNSUPPORTED, "format");
  }
  /* No format at all: a plain safetensors file, not ours. */
  {
    g_autoptr (GcpSafetensorsWriter) plain = gcp_safetensors_writer_new ();
    gcp_network_add_to (G, plain, "G.");
    g_autoptr (GBytes) b = save_to_bytes (plain);
    expect_refused (b, GCP_ERROR_MISMATCH, "not a gegl-cut model");
  }
  /* Metadata that must be JSON objects. */
  gcp_safetensors_writer_set_metadata (w, "format", GCP_MODEL_FORMAT);
  gcp_safetensors_writer_set_metadata (w, "recipe", "{\"seed\": ");
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_CORRUPT, "recipe");
  }
  gcp_safetensors_writer_set_metadata (w, "recipe", "{}");
  gcp_safetensors_writer_set_metadata (w, "training", "[1]");
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_CORRUPT, "training");
  }
  gcp_safetensors_writer_set_metadata (w, "training", "{}");
  gcp_safetensors_writer_set_metadata (w, "source", "\"latest_net_G.pth\"");
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_CORRUPT, "source");
  }
  gcp_safetensors_writer_set_metadata (w, "source", "{\"checkpoint\": {}}");
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    g_autoptr (GcpModel) back = gcp_model_parse (b, NULL);
    g_assert_nonnull (back);
  }
}

static GBytes *
with_architecture (GcutNetwork *G, const char *arch)
{
  g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
  gcp_safetensors_writer_set_metadata (w, "architecture", arch);
  return save_to_bytes (w);
}

static void
test_architecture (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  GcpGeneratorConfig other = small;
  g_autofree char *json = NULL;

  /* Another width: the parameter count differs. */
  other.ngf = 8;
  json = gcp_generator_config_to_json (&other);
  {
    g_autoptr (GBytes) b = with_architecture (G, json);
    expect_refused (b, GCP_ERROR_MISMATCH, "expected shape [8, 3, 7, 7]");
  }
  /* Same count, other layers: transposed convolutions upstairs. */
  other = small;
  other.antialias_up = FALSE;
  g_free (json);
  json = gcp_generator_config_to_json (&other);
  {
    g_autoptr (GBytes) b = with_architecture (G, json);
    expect_refused (b, GCP_ERROR_MISMATCH, "G.model.");
  }
  /* Malformed, unknown keys, out of range, missing, other kinds. */
  {
    g_autoptr (GBytes) b = with_architecture (G, "{\"kind\": \"resnet\", \"ngf\": -4}");
    expect_refused (b, GCP_ERROR_CORRUPT, "ngf");
  }
  {
    g_autoptr (GBytes) b = with_architecture (G, "{\"kind\": \"unet\"}");
    expect_refused (b, GCP_ERROR_CORRUPT, "kind");
  }
  {
    g_autoptr (GBytes) b = with_architecture (G, "{\"depth\": 3}");
    expect_refused (b, GCP_ERROR_CORRUPT, "depth: unknown key");
  }
  {
    g_autoptr (GBytes) b = with_architecture (G, "not json");
    expect_refused (b, GCP_ERROR_CORRUPT, "architecture");
  }
  {
    /* A SinCUT architecture over a ResNet's tensors. */
    g_autoptr (GBytes) b = with_architecture (
        G, "{\"kind\": \"stylegan2-lite\", \"ngf\": 4, \"n_blocks\": 5}");
    expect_refused (b, GCP_ERROR_MISMATCH, "match");
  }
  /* A huge architecture over a small file: refused before allocating. */
  {
    g_autoptr (GBytes) b
        = with_architecture (G, "{\"kind\": \"resnet\", \"ngf\": 512, \"n_blocks\": 32}");
    expect_refused (b, GCP_ERROR_MISMATCH, "generator parameters");
  }
}

static void
test_nan (void)
{
  const float bad[] = { NAN, INFINITY, -INFINITY };
  for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
    {
      g_autoptr (GcutNetwork) G = make_generator (&small, 3);
      int i = gcut_network_find (G, "model.10.conv_block.1.weight");
      if (i < 0)
        i = gcut_network_n_params (G) / 2;
      gcut_network_param_data (G, i)[5] = bad[k];
      g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
      g_autoptr (GBytes) b = save_to_bytes (w);
      expect_refused (b, GCP_ERROR_CORRUPT, isnan (bad[k]) ? "NaN" : "infinity");
    }
}

static void
test_tensors (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  g_autofree char *arch = gcp_generator_config_to_json (&small);
  guint n = gcut_network_n_params (G);

  /* One tensor missing. */
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    gcp_safetensors_writer_set_metadata (w, "format", GCP_MODEL_FORMAT);
    gcp_safetensors_writer_set_metadata (w, "architecture", arch);
    for (guint i = 1; i < n; i++)
      {
        g_autofree char *name = g_strconcat ("G.", gcut_network_param_name (G, i), NULL);
        GcutShape s = gcut_network_param_shape (G, i);
        gcp_safetensors_writer_add (w, name, GCP_DTYPE_F32, s.n_dims, s.dims,
                                    gcut_network_param_data (G, i));
      }
    g_autoptr (GBytes) b = save_to_bytes (w);
    g_autofree char *missing = g_strconcat ("G.", gcut_network_param_name (G, 0), NULL);
    expect_refused (b, GCP_ERROR_MISMATCH, missing);
  }
  /* One tensor with its dimensions swapped (same size). */
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    int victim = gcut_network_find (G, "model.1.weight");
    gcp_safetensors_writer_set_metadata (w, "format", GCP_MODEL_FORMAT);
    gcp_safetensors_writer_set_metadata (w, "architecture", arch);
    g_assert_cmpint (victim, >=, 0);
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *name = g_strconcat ("G.", gcut_network_param_name (G, i), NULL);
        GcutShape s = gcut_network_param_shape (G, i);
        if ((int)i == victim)
          {
            gint64 t = s.dims[0];
            s.dims[0] = s.dims[1];
            s.dims[1] = t;
          }
        gcp_safetensors_writer_add (w, name, GCP_DTYPE_F32, s.n_dims, s.dims,
                                    gcut_network_param_data (G, i));
      }
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_MISMATCH, "G.model.1.weight");
  }
  /* An extra tensor under G. */
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
    float one = 1;
    gcp_safetensors_writer_add (w, "G.model.99.weight", GCP_DTYPE_F32, 0, NULL, &one);
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_MISMATCH, NULL);
  }
  /* The wrong dtype. */
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    gcp_safetensors_writer_set_metadata (w, "format", GCP_MODEL_FORMAT);
    gcp_safetensors_writer_set_metadata (w, "architecture", arch);
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *name = g_strconcat ("G.", gcut_network_param_name (G, i), NULL);
        GcutShape s = gcut_network_param_shape (G, i);
        gcp_safetensors_writer_add (w, name, i == 0 ? GCP_DTYPE_I32 : GCP_DTYPE_F32,
                                    s.n_dims, s.dims, gcut_network_param_data (G, i));
      }
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_MISMATCH, NULL);
  }
  /* Garbage. */
  {
    guint8 junk[4096];
    for (guint i = 0; i < sizeof junk; i++)
      junk[i] = (guint8)(i * 131 + 7);
    g_autoptr (GBytes) b = g_bytes_new (junk, sizeof junk);
    g_autoptr (GError) error = NULL;
    g_assert_null (gcp_model_parse (b, &error));
    g_assert_nonnull (error);
  }
}

static void
test_find (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  g_autofree char *dir
      = g_build_filename (g_get_user_data_dir (), "gegl-cut", "models", NULL);
  g_autofree char *path = g_build_filename (dir, "starry-night.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpModel) m = NULL;
  char *p;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (gcp_model_save (path, G, &small, NULL, NULL, NULL, NULL, &error));
  m = gcp_model_load ("starry-night", &error);
  g_assert_no_error (error);
  p = gcp_model_find ("starry-night.safetensors", &error);
  g_assert_cmpstr (p, ==, path);
  g_free (p);
  p = gcp_model_find ("models/x.safetensors", &error);
  g_assert_cmpstr (p, ==, "models/x.safetensors");
  g_free (p);
  g_assert_null (gcp_model_find ("nope", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (gcp_model_find ("..", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (gcp_model_load ("/nonexistent/dir/m.safetensors", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND);
  g_unlink (path);
}

/* ---- what a model can hold, and memory (in subprocesses whose address
 * space is capped at what they use plus the allowance; the time limit only
 * guards against hangs: a refusal takes milliseconds) ---- */

#define MiB (1024 * 1024)
#define SUBPROCESS_TIMEOUT_US (120 * G_USEC_PER_SEC)

/* A model file whose header lists empty tensors prefix0, prefix1, … (hex)
 * until it is header_bytes long, after valid model metadata. */
static GBytes *
empty_tensors (gsize header_bytes, const char *prefix)
{
  GString *h = g_string_sized_new (header_bytes + 8);
  guint64 len;

  g_string_append (h, "01234567{\"__metadata__\":{\"format\":\"" GCP_MODEL_FORMAT
                      "\",\"architecture\":\"{}\"}");
  for (guint i = 0; h->len + 80 < header_bytes + 8; i++)
    g_string_append_printf (
        h, ",\"%s%x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}", prefix,
        i);
  g_string_append_c (h, '}');
  len = GUINT64_TO_LE ((guint64)h->len - 8);
  memcpy (h->str, &len, 8);
  return g_string_free_to_bytes (h);
}

/* The file: 1.7 million empty tensors in a header just under the
 * safetensors limit of 100 MB cost 3.1 GB to refuse. */
static void
test_many_tensors_memory (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GBytes) b = empty_tensors (99900000, "G.");
      gcp_test_limit_address_space (100 * MiB);
      expect_refused (b, GCP_ERROR_CORRUPT, "header");
      return;
    }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Within the header size a model may have, more tensors than one holds. */
static void
test_tensor_count (void)
{
  g_autoptr (GBytes) b = empty_tensors (200000, "G.");
  expect_refused (b, GCP_ERROR_CORRUPT, "tensors, more than");
}

/* A name no model has, even among tensors that would otherwise pass. */
static void
test_unknown_name (void)
{
  g_autoptr (GBytes) b = empty_tensors (300, "weights.");
  expect_refused (b, GCP_ERROR_MISMATCH, "“weights.0”");
}

/* A generator whose parameters do not fit in memory (ngf 512, 32 blocks: 2.4
 * billion) is an error, not an abort. */
static void
test_generator_out_of_memory (void)
{
  if (g_test_subprocess ())
    {
      GcpGeneratorConfig huge = { GCP_GENERATOR_RESNET, 512, 32, TRUE, TRUE, 2 };
      g_autoptr (GError) error = NULL;
      gcp_test_limit_address_space (1024 * MiB);
      g_assert_null (gcp_generator_new (&huge, &error));
      g_assert_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY);
      g_test_message ("%s", error->message);
      return;
    }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static const char *const SHA_A
    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* A fine-tuned model records its base; a model without one reads as before. */
static void
test_base_record (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
  GcpBaseRecord base = { "photo-base", (char *)SHA_A };
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    g_autoptr (GcpModel) m = gcp_model_parse (b, &error);
    g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, b);
    g_autofree char *mine = NULL;
    g_assert_no_error (error);
    g_assert_null (gcp_model_base (m));
    /* The checksum of the file's bytes, which a base record holds. */
    mine = gcp_model_sha256 (m);
    g_assert_cmpstr (mine, ==, sha);
  }
  gcp_model_writer_set_base (w, &base);
  {
    g_autoptr (GBytes) b = save_to_bytes (w);
    g_autoptr (GcpModel) m = gcp_model_parse (b, &error);
    g_assert_no_error (error);
    g_assert_nonnull (gcp_model_base (m));
    g_assert_cmpstr (gcp_model_base (m)->name, ==, "photo-base");
    g_assert_cmpstr (gcp_model_base (m)->sha256, ==, SHA_A);
  }
}

static void
test_base_hostile (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  g_autofree char *long_name = g_strnfill (300, 'a');
  g_autofree char *too_long
      = g_strdup_printf ("{\"name\": \"%s\", \"sha256\": \"%s\"}", long_name, SHA_A);
  g_autofree char *upper = g_ascii_strup (SHA_A, -1);
  g_autofree char *upper_json
      = g_strdup_printf ("{\"name\": \"a\", \"sha256\": \"%s\"}", upper);
  const char *cases[][2] = {
    { "[1]", "base" },
    { "not json", "base" },
    { "{}", "exactly" },
    { "{\"name\": \"a\"}", "exactly" },
    { "{\"name\": \"a\", \"sha256\": \"00\"}", "sha256" },
    { "{\"name\": \"a\", \"sha256\": 5}", "sha256" },
    { upper_json, "sha256" },
    { "{\"name\": \"../../etc/passwd\", \"sha256\": \""
      "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\"}",
      "name" },
    { "{\"name\": \"\", \"sha256\": \""
      "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\"}",
      "name" },
    { "{\"name\": \"a\\nb\", \"sha256\": \""
      "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\"}",
      "name" },
    { "{\"name\": \"..\", \"sha256\": \""
      "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\"}",
      "name" },
    { "{\"name\": [\"a\"], \"sha256\": \""
      "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\"}",
      "name" },
    { too_long, "name" },
    { "{\"name\": \"a\", \"sha256\": \""
      "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\", \"url\": \"x\"}",
      "exactly" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
      gcp_safetensors_writer_set_metadata (w, "base", cases[i][0]);
      g_autoptr (GBytes) b = save_to_bytes (w);
      expect_refused (b, GCP_ERROR_CORRUPT, cases[i][1]);
    }
}

/* A palette: level i of channel c at lo + (i + c) / 400, non-decreasing
 * and in range. */
static void
fill_palette (float *levels)
{
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < GCP_PALETTE_LEVELS; i++)
      levels[c * GCP_PALETTE_LEVELS + i] = (c ? -0.5f : 0.0f) + (float)(i + c) / 400.0f;
}

/* A palette round-trips; a model without one has none. */
static void
test_palette (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  float levels[3 * GCP_PALETTE_LEVELS];
  g_autoptr (GError) error = NULL;

  fill_palette (levels);
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
    g_autoptr (GBytes) b = save_to_bytes (w);
    g_autoptr (GcpModel) m = gcp_model_parse (b, &error);
    g_assert_no_error (error);
    g_assert_null (gcp_model_palette (m));
  }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
    gcp_model_writer_set_palette (w, levels);
    g_autoptr (GBytes) b = save_to_bytes (w);
    g_autoptr (GcpModel) m = gcp_model_parse (b, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (gcp_model_palette (m), sizeof levels, levels, sizeof levels);
  }
}

/* A palette of the wrong dtype or shape, with a NaN, a level out of its
 * channel's range or below the one before: refused, naming it. */
static void
test_palette_hostile (void)
{
  g_autoptr (GcutNetwork) G = make_generator (&small, 3);
  const gint64 shape[2] = { 3, GCP_PALETTE_LEVELS }, flat[1] = { 3 * GCP_PALETTE_LEVELS };
  const gint64 short_shape[2] = { 3, GCP_PALETTE_LEVELS - 1 };
  float good[3 * GCP_PALETTE_LEVELS];
  struct
  {
    int index;
    float value;
    const char *part;
  } bad[] = {
    { 10, NAN, "Y' level 10" },
    { GCP_PALETTE_LEVELS + 3, -0.6f, "Cb level 3" },
    { 3 * GCP_PALETTE_LEVELS - 1, 0.51f, "Cr level 255" },
    { 100, 0.0f, "Y' level 100" }, /* below level 99 */
    { 0, INFINITY, "Y' level 0" },
  };

  fill_palette (good);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      float levels[3 * GCP_PALETTE_LEVELS];
      g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
      memcpy (levels, good, sizeof levels);
      levels[bad[i].index] = bad[i].value;
      gcp_safetensors_writer_add (w, "palette", GCP_DTYPE_F32, 2, shape, levels);
      g_autoptr (GBytes) b = save_to_bytes (w);
      expect_refused (b, GCP_ERROR_CORRUPT, bad[i].part);
    }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
    gcp_safetensors_writer_add (w, "palette", GCP_DTYPE_F32, 1, flat, good);
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_CORRUPT, "palette");
  }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
    gcp_safetensors_writer_add (w, "palette", GCP_DTYPE_F32, 2, short_shape, good);
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_CORRUPT, "palette");
  }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_model_writer_new (G, &small, NULL, NULL);
    gcp_safetensors_writer_add (w, "palette", GCP_DTYPE_I32, 2, shape, good);
    g_autoptr (GBytes) b = save_to_bytes (w);
    expect_refused (b, GCP_ERROR_CORRUPT, "palette");
  }
}

/* A base file for the lookups: G of seed, optionally of another config. */
static char *
save_base (const char *dir, const char *name, const GcpGeneratorConfig *c, guint64 seed)
{
  g_autoptr (GcutNetwork) G = make_generator (c, seed);
  g_autofree char *file = g_strconcat (name, ".safetensors", NULL);
  char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;
  char *data, *sha;
  gsize len;

  g_assert_true (gcp_model_save (path, G, c, NULL, NULL, NULL, NULL, &error));
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)data, len);
  g_free (data);
  g_free (path);
  return sha;
}

static void
expect_no_base (const GcpBaseRecord *base, const char *beside, GcpError code,
                const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpModel) m = gcp_model_load_base (base, beside, &small, &error);
  g_assert_null (m);
  g_assert_error (error, GCP_ERROR, (int)code);
  if (!strstr (error->message, part))
    g_error ("message “%s” lacks “%s”", error->message, part);
  g_test_message ("no base: %s", error->message);
}

/* By name in the model folders, then beside the model; the checksum decides. */
static void
test_base_lookup (void)
{
  g_autofree char *folders = g_build_filename (tmp_dir, "models", NULL);
  g_autofree char *beside = g_build_filename (tmp_dir, "beside", NULL);
  GcpGeneratorConfig wide = small;
  g_autoptr (GError) error = NULL;
  g_autofree char *sha_folders = NULL, *sha_beside = NULL, *sha_wide = NULL;

  wide.ngf = 8;
  g_assert_cmpint (g_mkdir_with_parents (folders, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (beside, 0700), ==, 0);
  g_setenv ("GEGL_CUT_MODEL_PATH", folders, TRUE);
  sha_folders = save_base (folders, "base", &small, 1);
  sha_beside = save_base (beside, "base", &small, 2);
  sha_wide = save_base (beside, "wide", &wide, 3);

  {
    GcpBaseRecord b = { "base", sha_folders };
    g_autoptr (GcpModel) m = gcp_model_load_base (&b, beside, &small, &error);
    g_autofree char *sha = NULL;
    g_assert_no_error (error);
    sha = gcp_model_sha256 (m);
    g_assert_cmpstr (sha, ==, sha_folders);
  }
  {
    /* The same name in the model folders holds other bytes: the file beside. */
    GcpBaseRecord b = { "base", sha_beside };
    g_autoptr (GcpModel) m = gcp_model_load_base (&b, beside, &small, &error);
    g_autofree char *sha = NULL;
    g_assert_no_error (error);
    sha = gcp_model_sha256 (m);
    g_assert_cmpstr (sha, ==, sha_beside);
  }
  {
    GcpBaseRecord b = { "base", (char *)SHA_A };
    expect_no_base (&b, beside, GCP_ERROR_MISMATCH, "not the recorded base");
    expect_no_base (&b, NULL, GCP_ERROR_MISMATCH, "not the recorded base");
  }
  {
    GcpBaseRecord b = { "missing", (char *)SHA_A };
    expect_no_base (&b, beside, GCP_ERROR_NOT_FOUND, "missing");
  }
  {
    GcpBaseRecord b = { "wide", sha_wide };
    expect_no_base (&b, beside, GCP_ERROR_MISMATCH, "ngf 4 (the model) / 8 (its base)");
  }
  g_unsetenv ("GEGL_CUT_MODEL_PATH");
  gcp_test_remove_tree (folders);
  gcp_test_remove_tree (beside);
}

int
main (int argc, char **argv)
{
  g_autofree char *root = gcp_test_isolate_data_dirs ();
  int rc;

  g_unsetenv ("GEGL_CUT_MODEL_PATH");
  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("gcp-model-XXXXXX", NULL);
  g_test_add_func ("/model-file/param-count", test_param_count);
  g_test_add_func ("/model-file/round-trip", test_round_trip);
  g_test_add_func ("/model-file/truncated", test_truncated);
  g_test_add_func ("/model-file/format", test_format);
  g_test_add_func ("/model-file/architecture", test_architecture);
  g_test_add_func ("/model-file/nan", test_nan);
  g_test_add_func ("/model-file/tensors", test_tensors);
  g_test_add_func ("/model-file/find", test_find);
  g_test_add_func ("/model-file/palette", test_palette);
  g_test_add_func ("/model-file/palette-hostile", test_palette_hostile);
  g_test_add_func ("/model-file/many-tensors-memory", test_many_tensors_memory);
  g_test_add_func ("/model-file/tensor-count", test_tensor_count);
  g_test_add_func ("/model-file/unknown-name", test_unknown_name);
  g_test_add_func ("/model-file/generator-out-of-memory", test_generator_out_of_memory);
  g_test_add_func ("/model-file/base-record", test_base_record);
  g_test_add_func ("/model-file/base-hostile", test_base_hostile);
  g_test_add_func ("/model-file/base-lookup", test_base_lookup);
  rc = g_test_run ();
  gcp_test_remove_tree (root);
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return rc;
}
