/* Recipes: every shipped recipe validates, round trips, lookup by name, and
 * hostile recipes are refused with a message naming the key. */
#include <string.h>
#include <glib/gstdio.h>

#include <gcp/gcp-quality.h>
#include <gcp/gcp-recipe.h>
#include "test-dirs.h"

static void
test_shipped (void)
{
  g_autoptr (GDir) dir = g_dir_open (GCP_TEST_RECIPES_DIR, 0, NULL);
  const char *name;
  int n = 0;
  gboolean seen_cut = FALSE, seen_cpu = FALSE, seen_sincut = FALSE,
           seen_sincut_cpu = FALSE, seen_single = FALSE, seen_single_cpu = FALSE;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = NULL, *json = NULL, *json2 = NULL, *bare = NULL;
      g_autoptr (GcpRecipe) r = NULL, r2 = NULL;
      g_autoptr (GError) error = NULL;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (GCP_TEST_RECIPES_DIR, name, NULL);
      r = gcp_recipe_load_file (path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (r->description);
      g_assert_cmpuint (strlen (r->description), >, 40);
      /* By bare name, through $GEGL_CUT_RECIPE_PATH. */
      bare = g_strndup (name, strlen (name) - 5);
      r2 = gcp_recipe_load (bare, &error);
      g_assert_no_error (error);
      /* Written out and read back, nothing changes. */
      json = gcp_recipe_to_json (r);
      g_clear_pointer (&r2, gcp_recipe_free);
      r2 = gcp_recipe_parse (json, -1, &error);
      g_assert_no_error (error);
      json2 = gcp_recipe_to_json (r2);
      g_assert_cmpstr (json, ==, json2);
      g_test_message ("%s: %" G_GINT64_FORMAT " steps, ngf %d, crops %d", name,
                      r->schedule.steps, r->generator.ngf, r->sampling.crop_size);
      seen_cut |= g_str_equal (name, "cut.json");
      seen_cpu |= g_str_equal (name, "cut-cpu.json");
      seen_sincut |= g_str_equal (name, "sincut.json");
      seen_sincut_cpu |= g_str_equal (name, "sincut-cpu.json");
      seen_single |= g_str_equal (name, "hdce-src-single.json");
      seen_single_cpu |= g_str_equal (name, "hdce-src-single-cpu.json");
      n++;
    }
  g_assert_cmpint (n, >=, 10);
  g_assert_true (seen_cut && seen_cpu);
  g_assert_true (seen_sincut && seen_sincut_cpu && seen_single && seen_single_cpu);
}

static void
test_values (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) cut = gcp_recipe_load ("cut", &error);
  g_autoptr (GcpRecipe) fast = gcp_recipe_load ("fastcut.json", &error);
  g_autoptr (GcpRecipe) hdce = gcp_recipe_load ("hdce-src", &error);
  g_autoptr (GcpRecipe) monce = gcp_recipe_load ("monce", &error);

  g_assert_no_error (error);
  /* METHODS.md §3. */
  g_assert_cmpint (cut->generator.ngf, ==, 64);
  g_assert_cmpint (cut->generator.n_blocks, ==, 9);
  g_assert_cmpint (cut->gan.kind, ==, GCP_GAN_LSGAN);
  g_assert_cmpfloat (cut->nce.weight, ==, 1);
  g_assert_cmpfloat (cut->nce.tau, ==, 0.07);
  g_assert_true (cut->nce.identity);
  g_assert_cmpfloat (cut->optimizer.lr, ==, 2e-4);
  g_assert_cmpfloat (cut->optimizer.beta1, ==, 0.5);
  g_assert_cmpfloat (cut->optimizer.beta2, ==, 0.999);
  g_assert_cmpint (cut->schedule.decay_start * 2, ==, cut->schedule.steps);
  g_assert_cmpint (cut->sampling.load_size, ==, 286);
  g_assert_cmpint (cut->sampling.crop_size, ==, 256);
  g_assert_cmpfloat (fast->nce.weight, ==, 10);
  g_assert_false (fast->nce.identity);
  g_assert_true (fast->nce.flip_equivariance);
  g_assert_cmpint (fast->schedule.decay_start * 4, ==, fast->schedule.steps * 3);
  g_assert_cmpint (hdce->nce.kind, ==, GCP_NCE_HDCE);
  g_assert_cmpfloat (hdce->nce.weight, ==, 0.1);
  g_assert_cmpfloat (hdce->src.weight, ==, 0.05);
  g_assert_cmpfloat (hdce->nce.gamma_start, ==, 50);
  g_assert_cmpfloat (hdce->nce.gamma_end, ==, 10);
  g_assert_cmpint (monce->nce.kind, ==, GCP_NCE_MONCE);
  g_assert_cmpfloat (monce->nce.beta, ==, 0.1);
  g_assert_cmpfloat (monce->nce.q, ==, 1);
  g_assert_cmpint (monce->nce.sinkhorn_iters, ==, 50);
}

static void
test_defaults (void)
{
  g_autoptr (GcpRecipe) def = gcp_recipe_new_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) empty = gcp_recipe_parse ("{}", -1, &error);
  g_autofree char *a = NULL, *b = NULL, *schema = NULL;

  g_assert_no_error (error);
  g_assert_true (gcp_recipe_validate (def, &error));
  a = gcp_recipe_to_json (def);
  b = gcp_recipe_to_json (empty);
  g_assert_cmpstr (a, ==, b);
  g_assert_nonnull (strstr (a, "\"lr\": 0.0002"));
  g_assert_nonnull (strstr (a, "\"eps\": 1e-08"));
  schema = gcp_recipe_schema_text ();
  g_test_message ("%s", schema);
  g_assert_nonnull (strstr (schema, "losses.nce.tau: number in (0, 10], default 0.07"));
}

/* The single-image recipes to come (SinCUT, hDCE+SRC single) use these keys. */
/* hDCE's stepped curriculum (the official step_gamma). */
static void
test_gamma_schedule (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) r = gcp_recipe_parse (
      "{\"losses\": {\"nce\": {\"kind\": \"hdce\", \"gamma_schedule\": \"stepped\", "
      "\"gamma_step_at\": 200}}}",
      -1, &error);
  g_autoptr (GcpRecipe) linear = gcp_recipe_new_default ();
  GcpRecipe *bad;

  g_assert_no_error (error);
  g_assert_cmpint (r->nce.gamma_schedule, ==, GCP_GAMMA_STEPPED);
  g_assert_cmpint (r->nce.gamma_step_at, ==, 200);
  g_assert_cmpint (linear->nce.gamma_schedule, ==, GCP_GAMMA_LINEAR);
  bad = gcp_recipe_parse ("{\"losses\": {\"nce\": {\"gamma_schedule\": \"cosine\"}}}", -1,
                          &error);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "losses.nce.gamma_schedule"));
}

static void
test_single_image_keys (void)
{
  const char *sincut
      = "{\"description\": \"SinCUT\", \"architecture\": {"
        "  \"generator\": {\"kind\": \"stylegan2-lite\", \"ngf\": 10, \"n_blocks\": 6,"
        "                  \"n_downsampling\": 1},"
        "  \"discriminator\": {\"kind\": \"stylegan2-lite\", \"ndf\": 8}},"
        " \"losses\": {\"gan\": {\"kind\": \"nonsaturating\"},"
        "  \"nce\": {\"weight\": 4, \"negatives\": \"across_crops\", \"kind\": \"hdce\","
        "           \"gamma_start\": 200, \"gamma_end\": 40},"
        "  \"src\": {\"weight\": 10},"
        "  \"identity_l1\": {\"weight\": 1}, \"r1\": {\"weight\": 1, \"interval\": 1}},"
        " \"optimizer\": {\"lr\": 0.002, \"beta1\": 0, \"beta2\": 0.99},"
        " \"schedule\": {\"steps\": 100000, \"decay_start\": 100000},"
        " \"sampling\": {\"mode\": \"zoom_crops\", \"crop_size\": 64, \"zoom_min\": 0.25,"
        "              \"zoom_max\": 1, \"batch\": 16}}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) r = gcp_recipe_parse (sincut, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpint (r->generator.kind, ==, GCP_GENERATOR_STYLEGAN2_LITE);
  /* The largest seed, and digits inside strings left alone. */
  {
    g_autoptr (GcpRecipe) big
        = gcp_recipe_parse ("{\"description\": \"a \\\"12345678901234567890\\\" b\", "
                            "\"seed\": 9007199254740991}",
                            -1, &error);
    g_assert_no_error (error);
    g_assert_cmpint (big->seed, ==, G_GINT64_CONSTANT (9007199254740991));
    g_assert_cmpstr (big->description, ==, "a \"12345678901234567890\" b");
  }
  g_assert_cmpint (r->sampling.mode, ==, GCP_SAMPLING_ZOOM_CROPS);
  g_assert_cmpint (r->sampling.batch, ==, 16);
  g_assert_cmpfloat (r->r1.weight, ==, 1);
  g_assert_cmpfloat (r->optimizer.beta1, ==, 0);
}

typedef struct
{
  const char *json;
  GcpError code;
  const char *message; /* the whole message, or a prefix when ending in '*' */
} Hostile;

static const Hostile hostile[] = {
  { "{\"losses\": {\"nce\": {\"tau\": -1}}}", GCP_ERROR_INVALID,
    "losses.nce.tau: must be in (0, 10], got -1" },
  { "{\"losses\": {\"nce\": {\"tau\": 0}}}", GCP_ERROR_INVALID,
    "losses.nce.tau: must be in (0, 10], got 0" },
  { "{\"losses\": {\"nce\": {\"taux\": 1}}}", GCP_ERROR_INVALID,
    "losses.nce.taux: unknown key" },
  { "{\"bogus\": true}", GCP_ERROR_INVALID, "bogus: unknown key" },
  { "{\"architecture\": {\"generator\": {\"ngf\": 64, \"ngf2\": 1}}}", GCP_ERROR_INVALID,
    "architecture.generator.ngf2: unknown key" },
  { "{\"seed\": \"1\"}", GCP_ERROR_INVALID,
    "seed: must be an integer in [0, 9007199254740991], got \"1\"" },
  { "{\"seed\": -1}", GCP_ERROR_INVALID,
    "seed: must be an integer in [0, 9007199254740991], got -1" },
  { "{\"seed\": null}", GCP_ERROR_INVALID,
    "seed: must be an integer in [0, 9007199254740991], got null" },
  { "{\"sampling\": {\"flip\": 1}}", GCP_ERROR_INVALID,
    "sampling.flip: must be true or false, got 1" },
  { "{\"sampling\": {\"flip\": \"yes\"}}", GCP_ERROR_INVALID,
    "sampling.flip: must be true or false, got \"yes\"" },
  { "{\"schedule\": {\"steps\": 1e30}}", GCP_ERROR_INVALID,
    "schedule.steps: must be an integer in [1, 1000000000], got 1e+30" },
  { "{\"schedule\": {\"steps\": 9223372036854775807}}", GCP_ERROR_INVALID,
    "schedule.steps: must be an integer in [1, 1000000000], got 9.223372036854776e+18" },
  { "{\"schedule\": {\"steps\": 2.5}}", GCP_ERROR_INVALID,
    "schedule.steps: must be an integer in [1, 1000000000], got 2.5" },
  { "{\"architecture\": {\"generator\": {\"ngf\": 100000000000}}}", GCP_ERROR_INVALID,
    "architecture.generator.ngf: must be an integer in [1, 512], got 100000000000" },
  { "{\"optimizer\": {\"lr\": 1e400}}", GCP_ERROR_INVALID,
    "optimizer.lr: must be in (0, 1], got inf" },
  { "{\"optimizer\": {\"beta1\": 1}}", GCP_ERROR_INVALID,
    "optimizer.beta1: must be in [0, 1), got 1" },
  { "{\"optimizer\": {\"lr\": [0.1]}}", GCP_ERROR_INVALID,
    "optimizer.lr: must be a number in (0, 1], got an array" },
  { "{\"architecture\": []}", GCP_ERROR_INVALID,
    "architecture: must be an object, got an array" },
  { "{\"losses\": 3}", GCP_ERROR_INVALID, "losses: must be an object, got 3" },
  { "{\"sampling\": {\"mode\": \"zoom\"}}", GCP_ERROR_INVALID,
    "sampling.mode: must be one of resize_crop, zoom_crops; got \"zoom\"" },
  { "{\"losses\": {\"nce\": {\"kind\": \"PatchNCE\"}}}", GCP_ERROR_INVALID,
    "losses.nce.kind: must be one of patchnce, dce, hdce, weightnce, monce; got "
    "\"PatchNCE\"" },
  { "{\"description\": 5}", GCP_ERROR_INVALID, "description: must be a string, got 5" },
  { "{\"schedule\": {\"steps\": 10, \"decay_start\": 20}}", GCP_ERROR_INVALID,
    "schedule.decay_start: must be at most schedule.steps (10), got 20" },
  { "{\"sampling\": {\"crop_size\": 300}}", GCP_ERROR_INVALID,
    "sampling.crop_size: must be at most sampling.load_size (286) for resize_crop, "
    "got 300" },
  { "{\"sampling\": {\"crop_size\": 130}}", GCP_ERROR_INVALID,
    "sampling.crop_size: must be a multiple of 4, got 130" },
  { "{\"sampling\": {\"zoom_min\": 0.9, \"zoom_max\": 0.5}}", GCP_ERROR_INVALID,
    "sampling.zoom_min: must be at most sampling.zoom_max (0.5), got 0.9" },
  { "{\"architecture\": {\"generator\": {\"n_blocks\": 3}}}", GCP_ERROR_INVALID,
    "architecture.generator.n_blocks: must be at least 5 for resnet*" },
  /* Numbers float32 cannot hold: they became 0, or 1, and failed later
   * without naming the key. */
  { "{\"losses\": {\"nce\": {\"tau\": 1e-300}}}", GCP_ERROR_INVALID,
    "losses.nce.tau: must be at least 1.1754944e-38 (the smallest normal float32), got "
    "1e-300" },
  { "{\"losses\": {\"nce\": {\"kind\": \"weightnce\", \"beta\": 1e-40}}}",
    GCP_ERROR_INVALID, "losses.nce.beta: must be at least 1.1754944e-38*" },
  { "{\"losses\": {\"nce\": {\"q\": 1e-300}}}", GCP_ERROR_INVALID,
    "losses.nce.q: must be at least 1.1754944e-38*" },
  { "{\"losses\": {\"nce\": {\"kind\": \"hdce\", \"gamma_end\": 1e-39}}}",
    GCP_ERROR_INVALID, "losses.nce.gamma_end: must be at least 1.1754944e-38*" },
  { "{\"losses\": {\"gan\": {\"weight\": 1e-300}}}", GCP_ERROR_INVALID,
    "losses.gan.weight: must be 0 or at least 1.1754944e-38 (the smallest normal "
    "float32), got 1e-300" },
  { "{\"optimizer\": {\"lr\": 1e-300}}", GCP_ERROR_INVALID,
    "optimizer.lr: must be at least 1.1754944e-38*" },
  { "{\"optimizer\": {\"eps\": 1e-45}}", GCP_ERROR_INVALID,
    "optimizer.eps: must be at least 1.1754944e-38*" },
  { "{\"optimizer\": {\"beta2\": 0.99999999}}", GCP_ERROR_INVALID,
    "optimizer.beta2: must be at most 0.99999994 (below 1 in float32), got 0.99999999" },
  { "{\"optimizer\": {\"beta1\": 0.999999999}}", GCP_ERROR_INVALID,
    "optimizer.beta1: must be at most 0.99999994*" },
  /* Crops the networks cannot take: found by building them, so the
   * smallest depends on the architecture. */
  { "{\"sampling\": {\"crop_size\": 16}}", GCP_ERROR_INVALID,
    "sampling.crop_size: the networks cannot run on crops this small (conv2d: *" },
  { "{\"architecture\": {\"discriminator\": {\"n_layers\": 8}}}", GCP_ERROR_INVALID,
    "sampling.crop_size: the networks cannot run on crops this small*" },
  { "{\"architecture\": {\"discriminator\": {\"kind\": \"stylegan2-lite\"}},"
    " \"sampling\": {\"crop_size\": 80}}",
    GCP_ERROR_INVALID,
    "sampling.crop_size: the stylegan2-lite discriminator takes crops of 2^k to 5/4·2^k "
    "− "
    "1 pixels, k from 3 to 10 (64 to 79, 128 to 159, …); the smallest these networks "
    "take "
    "is 8, got 80" },
  { "{\"architecture\": {\"generator\": {\"kind\": \"stylegan2-lite\", "
    "\"n_downsampling\": 4, \"n_blocks\": 2}, \"discriminator\": {\"kind\": "
    "\"stylegan2-lite\"}}, \"sampling\": {\"crop_size\": 68}}",
    GCP_ERROR_INVALID,
    "sampling.crop_size: the generator gives back 64-pixel images for these crops; the "
    "smallest these networks take is 16, got 68" },
  { "{\"architecture\": {\"generator\": {\"kind\": \"stylegan2-lite\", "
    "\"n_downsampling\": 1, \"n_blocks\": 2}}}",
    GCP_ERROR_INVALID,
    "architecture.generator.n_blocks: must be at least 4 for stylegan2-lite with 1 "
    "downsampling*" },
  { "{\"architecture\": {\"heads\": {\"n_patches\": 1}}}", GCP_ERROR_INVALID,
    "architecture.heads.n_patches: must be at least 2 when each crop's patches are the "
    "negatives*" },
  /* Losses whose weights leave nothing, or something that needs what is gone. */
  { "{\"losses\": {\"gan\": {\"weight\": 0}, \"nce\": {\"weight\": 0}}}",
    GCP_ERROR_INVALID,
    "losses: every loss weight is 0 (gan, nce, src, identity_l1): nothing to train" },
  { "{\"losses\": {\"gan\": {\"weight\": 0}, \"r1\": {\"weight\": 1}}}",
    GCP_ERROR_INVALID, "losses.r1.weight: must be 0 when losses.gan.weight is 0*" },
  { "{\"losses\": {\"nce\": {\"weight\": 0, \"flip_equivariance\": true}}}",
    GCP_ERROR_INVALID,
    "losses.nce.flip_equivariance: must be false when losses.nce.weight and*" },
  { "{\"init\": 5}", GCP_ERROR_INVALID, "init: must be a string, got 5" },
  /* json-glib would wrap these around silently. */
  { "{\"seed\": 99999999999999999999}", GCP_ERROR_INVALID,
    "seed: must be an integer in [0, 9007199254740991], got 1e+20" },
  { "{\"seed\": -99999999999999999999}", GCP_ERROR_INVALID,
    "seed: must be an integer in [0, 9007199254740991], got -1e+20" },
  { "{\"seed\": 9007199254740992}", GCP_ERROR_INVALID,
    "seed: must be an integer in [0, 9007199254740991], got 9007199254740992" },
  /* json-glib would keep the last silently. */
  { "{\"seed\": 1, \"seed\": 2}", GCP_ERROR_INVALID, "seed: duplicate key" },
  { "{\"losses\": {\"nce\": {\"tau\": 0.1, \"tau\": 0.2}}}", GCP_ERROR_INVALID,
    "losses.nce.tau: duplicate key" },
  /* Not JSON, or not an object. */
  { "", GCP_ERROR_CORRUPT, "recipe is not valid JSON*" },
  { "{\"seed\": 1,}", GCP_ERROR_CORRUPT, "recipe is not valid JSON*" },
  { "// a comment\n{}", GCP_ERROR_CORRUPT, "recipe is not valid JSON*" },
  { "{} {}", GCP_ERROR_CORRUPT, "recipe is not valid JSON*" },
  { "{'seed': 1}", GCP_ERROR_CORRUPT, "recipe is not valid JSON*" },
  { "[1, 2]", GCP_ERROR_CORRUPT, "recipe must be a JSON object, got an array" },
  { "42", GCP_ERROR_CORRUPT, "recipe must be a JSON object, got 42" },
  { "\"cut\"", GCP_ERROR_CORRUPT, "recipe must be a JSON object, got \"cut\"" },
  { "null", GCP_ERROR_CORRUPT, "recipe must be a JSON object, got null" },
  { "{\"a\xff\": 1}", GCP_ERROR_CORRUPT, "recipe is not UTF-8 text" },
};

static void
expect (const char *json, gssize len, GcpError code, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) r = gcp_recipe_parse (json, len, &error);
  gsize n = strlen (message);

  if (r)
    g_error ("accepted: %s", json);
  g_assert_error (error, GCP_ERROR, (int)code);
  if (message[n - 1] == '*' ? strncmp (error->message, message, n - 1) != 0
                            : strcmp (error->message, message) != 0)
    g_error ("for %s\n  got      “%s”\n  expected “%s”", json, error->message, message);
  g_test_message ("%s", error->message);
}

static void
test_hostile (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    expect (hostile[i].json, -1, hostile[i].code, hostile[i].message);

  /* Deep nesting (json-glib would recurse), and a huge file. */
  {
    GString *deep = g_string_new ("{\"a\": ");
    for (int i = 0; i < 100000; i++)
      g_string_append_c (deep, '[');
    expect (deep->str, deep->len, GCP_ERROR_CORRUPT, "recipe is not valid JSON*");
    g_string_free (deep, TRUE);
  }
  {
    gsize n = (2 << 20) + 10;
    g_autofree char *big = g_malloc (n + 1);
    memset (big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = 0;
    expect (big, n, GCP_ERROR_CORRUPT, "recipe is too large*");
  }
  /* Embedded NUL. */
  expect ("{}\0{}", 5, GCP_ERROR_CORRUPT, "recipe is not valid JSON*");

  /* A file names itself in the message. */
  {
    g_autofree char *dir = g_dir_make_tmp ("gcp-recipe-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "bad.json", NULL);
    g_autoptr (GError) error = NULL;
    g_assert_true (g_file_set_contents (path, "{\"seed\": -5}", -1, NULL));
    g_assert_null (gcp_recipe_load (path, &error));
    g_assert_nonnull (strstr (error->message, "bad.json: seed: must be"));
    g_unlink (path);
    g_rmdir (dir);
  }
}

static void
test_find (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *user_dir
      = g_build_filename (g_get_user_data_dir (), "gegl-cut", "recipes", NULL);
  g_autofree char *mine = g_build_filename (user_dir, "mine.json", NULL);
  g_autofree char *found = NULL;
  char *p;

  /* The source tree, through $GEGL_CUT_RECIPE_PATH. */
  found = gcp_recipe_find ("cut", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (found, "/presets/recipes/cut.json"));
  /* The user's data dir (private to this test). */
  g_assert_cmpint (g_mkdir_with_parents (user_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (mine, "{\"seed\": 7}", -1, NULL));
  {
    g_autoptr (GcpRecipe) r = gcp_recipe_load ("mine", &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->seed, ==, 7);
  }
  /* Paths pass through; missing names and odd names are errors. */
  p = gcp_recipe_find ("./some/where.json", &error);
  g_assert_cmpstr (p, ==, "./some/where.json");
  g_free (p);
  g_assert_null (gcp_recipe_find ("no-such-recipe", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (gcp_recipe_find (".hidden", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (gcp_recipe_find ("a b", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  g_clear_error (&error);
  g_unlink (mine);
}

static void
test_generator_json (void)
{
  GcpGeneratorConfig c = { GCP_GENERATOR_RESNET, 16, 5, TRUE, FALSE, 2 }, d;
  g_autofree char *json = gcp_generator_config_to_json (&c);
  g_autoptr (GError) error = NULL;

  g_test_message ("%s", json);
  g_assert_cmpstr (json, ==,
                   "{\"kind\": \"resnet\",\"ngf\": 16,\"n_blocks\": 5,\"antialias\": "
                   "true,\"antialias_up\": false,\"n_downsampling\": 2}");
  g_assert_true (gcp_generator_config_parse (json, &d, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (&c, sizeof c, &d, sizeof d);
  g_assert_false (gcp_generator_config_parse ("{\"ngf\": 0}", &d, &error));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (gcp_generator_config_parse ("{\"layers\": 3}", &d, &error));
  g_clear_error (&error);
}

/* Each quality of the GIMP dialogs runs a shipped recipe, found back from it. */
static void
test_qualities (void)
{
  int n;
  const GcpQuality *q = gcp_qualities (&n);

  g_assert_cmpint (n, ==, 3);
  g_assert_nonnull (gcp_quality_find (GCP_QUALITY_DEFAULT));
  g_assert_null (gcp_quality_find ("cut-cpu"));
  g_assert_null (gcp_quality_for_recipe ("cut-cpu"));
  for (int i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *file = g_strconcat (q[i].recipe, ".json", NULL);
      g_autofree char *path = g_build_filename (GCP_TEST_RECIPES_DIR, file, NULL);
      g_autoptr (GcpRecipe) recipe = gcp_recipe_load_file (path, &error);

      g_assert_no_error (error);
      g_assert_true (gcp_quality_find (q[i].name) == &q[i]);
      g_assert_true (gcp_quality_for_recipe (q[i].recipe) == &q[i]);
      g_assert_nonnull (q[i].label);
      g_assert_nonnull (q[i].help);
      g_test_message ("%s: %s, %" G_GINT64_FORMAT " steps", q[i].name, q[i].recipe,
                      recipe->schedule.steps);
    }
}

/* "init" names the base model: kept through JSON, absent when unset. */
static void
test_init (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpRecipe) r = gcp_recipe_parse ("{\"init\": \"photo-base\"}", -1, &error);
  g_autoptr (GcpRecipe) none = gcp_recipe_new_default ();
  g_autoptr (GcpRecipe) copy = NULL, back = NULL;
  g_autofree char *json = NULL, *plain = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (r->init, ==, "photo-base");
  copy = gcp_recipe_copy (r);
  g_assert_cmpstr (copy->init, ==, "photo-base");
  json = gcp_recipe_to_json (copy);
  back = gcp_recipe_parse (json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->init, ==, "photo-base");
  /* Recipes without it write what they wrote before. */
  plain = gcp_recipe_to_json (none);
  g_assert_null (strstr (plain, "init"));
}

/* A reconstruction recipe (L1 identity alone) and the other weights of 0
 * that leave a loss to train are valid. */
static void
test_zero_weights (void)
{
  const char *valid[] = {
    "{\"losses\": {\"gan\": {\"weight\": 0}, \"nce\": {\"weight\": 0},"
    " \"identity_l1\": {\"weight\": 1}}}",
    "{\"losses\": {\"gan\": {\"weight\": 0}}}",
    "{\"losses\": {\"nce\": {\"weight\": 0}}}",
    "{\"losses\": {\"nce\": {\"weight\": 0}, \"src\": {\"weight\": 1}}}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GcpRecipe) r = gcp_recipe_parse (valid[i], -1, &error);
      g_assert_no_error (error);
    }
}

static void
test_generator_differences (void)
{
  GcpGeneratorConfig a = { GCP_GENERATOR_RESNET, 16, 5, TRUE, TRUE, 2 }, b = a;
  g_autofree char *same = NULL, *two = NULL, *kinds = NULL;

  /* n_downsampling does not shape a resnet. */
  b.n_downsampling = 3;
  same = gcp_generator_config_differences (&a, "A", &b, "B");
  g_assert_null (same);
  b.ngf = 32;
  b.antialias_up = FALSE;
  two = gcp_generator_config_differences (&a, "A", &b, "B");
  g_assert_cmpstr (two, ==, "ngf 16 (A) / 32 (B), antialias_up true (A) / false (B)");
  b.kind = GCP_GENERATOR_STYLEGAN2_LITE;
  kinds = gcp_generator_config_differences (&a, "A", &b, "B");
  g_assert_cmpstr (kinds, ==, "kind \"resnet\" (A) / \"stylegan2-lite\" (B)");
}

int
main (int argc, char **argv)
{
  g_autofree char *root = gcp_test_isolate_data_dirs ();
  int rc;

  g_setenv ("GEGL_CUT_RECIPE_PATH", GCP_TEST_RECIPES_DIR, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recipe/shipped", test_shipped);
  g_test_add_func ("/recipe/values", test_values);
  g_test_add_func ("/recipe/defaults", test_defaults);
  g_test_add_func ("/recipe/single-image-keys", test_single_image_keys);
  g_test_add_func ("/recipe/gamma-schedule", test_gamma_schedule);
  g_test_add_func ("/recipe/hostile", test_hostile);
  g_test_add_func ("/recipe/find", test_find);
  g_test_add_func ("/recipe/generator-json", test_generator_json);
  g_test_add_func ("/recipe/qualities", test_qualities);
  g_test_add_func ("/recipe/init", test_init);
  g_test_add_func ("/recipe/zero-weights", test_zero_weights);
  g_test_add_func ("/recipe/generator-differences", test_generator_differences);
  rc = g_test_run ();
  gcp_test_remove_tree (root);
  return rc;
}
