/* Model files: G (and optionally D, F, optimizer states) plus metadata in one
 * .safetensors file.  See gcp-model-file.h. */
#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include <gcp/gcp-model-file.h>
#include <gcp/gcp-network-io.h>
#include <gcut/gcut-error.h>
#include "presets-private.h"
#include "safetensors-private.h"

struct _GcpModel
{
  GcpSafetensors *st;
  GcpGeneratorConfig architecture;
  GcutNetwork *G;
  GcpBaseRecord base;   /* name NULL: none */
  const float *palette; /* in st; NULL: none */
};

void
gcp_model_free (GcpModel *model)
{
  if (!model)
    return;
  g_free (model->base.name);
  g_free (model->base.sha256);
  gcut_network_free (model->G);
  gcp_safetensors_free (model->st);
  g_free (model);
}

const GcpGeneratorConfig *
gcp_model_architecture (const GcpModel *model)
{
  return &model->architecture;
}

GcutNetwork *
gcp_model_generator (GcpModel *model)
{
  return model->G;
}

GcutNetwork *
gcp_model_steal_generator (GcpModel *model)
{
  return g_steal_pointer (&model->G);
}

const char *
gcp_model_recipe_json (const GcpModel *model)
{
  return gcp_safetensors_metadata (model->st, "recipe");
}

const char *
gcp_model_training_json (const GcpModel *model)
{
  return gcp_safetensors_metadata (model->st, "training");
}

const GcpBaseRecord *
gcp_model_base (const GcpModel *model)
{
  return model->base.name ? &model->base : NULL;
}

const float *
gcp_model_palette (const GcpModel *model)
{
  return model->palette;
}

char *
gcp_model_sha256 (const GcpModel *model)
{
  return gcp_safetensors_sha256 (model->st);
}

const GcpSafetensors *
gcp_model_file (const GcpModel *model)
{
  return model->st;
}

gboolean
gcp_model_has (const GcpModel *model, const char *prefix)
{
  for (guint i = 0; i < gcp_safetensors_n_tensors (model->st); i++)
    if (g_str_has_prefix (gcp_safetensors_tensor (model->st, i)->name, prefix))
      return TRUE;
  return FALSE;
}

/* SinCUT's StyleGAN2-lite generator at the official crop size 64, which
 * sets its widths (the architecture has no key for it). */
static GcutStyleGan2GeneratorConfig
stylegan2_config (const GcpGeneratorConfig *c)
{
  return (GcutStyleGan2GeneratorConfig){ c->ngf, c->n_downsampling, c->n_blocks, 64 };
}

gint64
gcp_generator_n_params (const GcpGeneratorConfig *c)
{
  gint64 ngf = c->ngf, n = 0;

  if (c->kind == GCP_GENERATOR_STYLEGAN2_LITE)
    {
      GcutStyleGan2GeneratorConfig sc = stylegan2_config (c);
      return gcut_stylegan2_generator_count_params (&sc);
    }
  if (c->kind != GCP_GENERATOR_RESNET)
    return -1;
  n += 3 * ngf * 49 + ngf;    /* 7×7 in */
  for (int i = 0; i < 2; i++) /* down: conv3×3 ngf·2^i → ngf·2^(i+1) */
    {
      gint64 in = ngf << i, out = in * 2;
      n += in * out * 9 + out;
    }
  n += (gint64)c->n_blocks * 2 * (16 * ngf * ngf * 9 + 4 * ngf);
  for (int i = 0; i < 2; i++) /* up: 3×3 ngf·2^(2−i) → half (either kind) */
    {
      gint64 in = ngf << (2 - i), out = in / 2;
      n += in * out * 9 + out;
    }
  n += ngf * 3 * 49 + 3; /* 7×7 out */
  return n;
}

/* G, or why there is none: the configuration was checked, so only its
 * memory can be missing. */
static GcutNetwork *
checked_new (GcutNetwork *G, const GcpGeneratorConfig *c, GError **error)
{
  if (!G)
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                 "not enough memory for a generator of %" G_GINT64_FORMAT
                 " parameters (ngf %d, %d blocks)",
                 gcp_generator_n_params (c), c->ngf, c->n_blocks);
  return G;
}

GcutNetwork *
gcp_generator_new (const GcpGeneratorConfig *c, GError **error)
{
  GcutResnetGeneratorConfig rc;

  if (c->kind == GCP_GENERATOR_STYLEGAN2_LITE)
    {
      GcutStyleGan2GeneratorConfig sc = stylegan2_config (c);
      if (gcut_stylegan2_generator_count_params (&sc) < 0)
        {
          g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                       "generator stylegan2-lite: ngf %d / n_downsampling %d / n_blocks "
                       "%d out of range (ngf 1 to 512, n_downsampling 1 to 4, and "
                       "n_downsampling + n_blocks / 2 at least 3)",
                       c->ngf, c->n_downsampling, c->n_blocks);
          return NULL;
        }
      return checked_new (gcut_stylegan2_generator_new (&sc), c, error);
    }
  if (c->kind != GCP_GENERATOR_RESNET)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_UNSUPPORTED, "unknown generator kind %d",
                   c->kind);
      return NULL;
    }
  if (c->ngf < 1 || c->ngf > 512 || c->n_blocks < 0 || c->n_blocks > 32)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                   "generator ngf %d / n_blocks %d out of range", c->ngf, c->n_blocks);
      return NULL;
    }
  rc.ngf = c->ngf;
  rc.n_blocks = c->n_blocks;
  rc.antialias = c->antialias;
  rc.antialias_up = c->antialias_up;
  return checked_new (gcut_resnet_generator_new (&rc), c, error);
}

/* A metadata value that must be a JSON object when present. */
static gboolean
check_json_object (const GcpSafetensors *st, const char *key, GError **error)
{
  const char *text = gcp_safetensors_metadata (st, key);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local = NULL;

  if (!text)
    return TRUE;
  if (!gcp_json_check_strict (text, strlen (text), &local))
    {
      const char *msg = local->message;
      if (g_str_has_prefix (msg, "header is not valid JSON: "))
        msg += strlen ("header is not valid JSON: ");
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "metadata “%s” is not valid JSON: %s", key, msg);
      return FALSE;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, &local)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "metadata “%s” is not a JSON object", key);
      return FALSE;
    }
  return TRUE;
}

/* A string member of the "base" object, checked by valid(); NULL with an
 * error naming the member otherwise. */
static const char *
base_member (JsonObject *obj, const char *name, gboolean (*valid) (const char *),
             const char *what, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *v = node && JSON_NODE_HOLDS_VALUE (node)
                          && json_node_get_value_type (node) == G_TYPE_STRING
                      ? json_node_get_string (node)
                      : NULL;
  if (!v || !valid (v))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "metadata “base”: “%s” must be %s", name, what);
      return NULL;
    }
  return v;
}

/* A name to look for as NAME.safetensors: no folders, nothing unprintable. */
static gboolean
valid_base_name (const char *v)
{
  if (!*v || strlen (v) > 255 || !g_utf8_validate (v, -1, NULL) || g_str_equal (v, ".")
      || g_str_equal (v, ".."))
    return FALSE;
  for (const char *p = v; *p; p = g_utf8_next_char (p))
    if (*p == '/' || g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static gboolean
valid_sha256 (const char *v)
{
  if (strlen (v) != 64)
    return FALSE;
  for (const char *p = v; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* The optional "base" metadata: {"name", "sha256"} and nothing else. */
static gboolean
read_base (const GcpSafetensors *st, GcpBaseRecord *base, GError **error)
{
  const char *text = gcp_safetensors_metadata (st, "base");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj;
  const char *name, *sha;

  if (!text)
    return TRUE;
  /* check_json_object made sure it is an object. */
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return FALSE;
  obj = json_node_get_object (json_parser_get_root (parser));
  if (json_object_get_size (obj) != 2
      || !(name = base_member (obj, "name", valid_base_name,
                               "a file name without '/' (at most 255 bytes)", error))
      || !(sha = base_member (obj, "sha256", valid_sha256,
                              "64 lowercase hexadecimal digits", error)))
    {
      if (error && !*error)
        g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                     "metadata “base” must hold exactly “name” and “sha256”");
      return FALSE;
    }
  base->name = g_strdup (name);
  base->sha256 = g_strdup (sha);
  return TRUE;
}

/* Every tensor of net under prefix is present, F32, of the right shape and
 * finite: all checked before anything is copied. */
static gboolean
check_network_tensors (GcutNetwork *net, const GcpSafetensors *st, const char *prefix,
                       GError **error)
{
  for (guint i = 0; i < gcut_network_n_params (net); i++)
    {
      g_autofree char *name
          = g_strconcat (prefix, gcut_network_param_name (net, i), NULL);
      GcutShape shape = gcut_network_param_shape (net, i);
      const float *data
          = gcp_safetensors_get_f32 (st, name, shape.n_dims, shape.dims, error);
      gint64 n = 1;

      if (!data)
        return FALSE;
      for (int d = 0; d < shape.n_dims; d++)
        n *= shape.dims[d];
      for (gint64 k = 0; k < n; k++)
        if (!isfinite (data[k]))
          {
            g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                         "tensor %s holds a non-finite value (%s) at element "
                         "%" G_GINT64_FORMAT ": the model is broken (did its training "
                         "diverge?)",
                         name, isnan (data[k]) ? "NaN" : "infinity", k);
            return FALSE;
          }
    }
  return TRUE;
}

gboolean
gcp_model_load_network (const GcpModel *model, const char *prefix, GcutNetwork *net,
                        GError **error)
{
  return check_network_tensors (net, model->st, prefix, error)
         && gcp_network_load (net, model->st, prefix, NULL, error);
}

/* ---- what a file can hold ---- */

/* The tensors of models and checkpoints: the networks', the Adam states' (m,
 * v and step each) and the trainer's own (step, seconds, random streams, loss
 * history; TRAINER_TENSORS leaves room for more). */
static const char *const tensor_prefixes[]
    = { "G.", "D.", "F.", "adam.G.", "adam.D.", "adam.F.", "trainer.", "palette", NULL };
#define ADAM_TENSORS 3
#define TRAINER_TENSORS 16
/* The largest StyleGAN2-lite discriminator gcut_stylegan2_discriminator_new
 * makes (its input size). */
#define SG2_D_MAX_SIZE 1024
/* Per tensor: the name, then dtype, shape (up to GCP_MAX_DIMS 20-digit sizes),
 * offsets and punctuation take under 512 bytes however a writer spaces them. */
#define ENTRY_BYTES 512
/* The metadata: a recipe (written escaped, at most 3 bytes per byte of text)
 * and a few small records. */
#define METADATA_BYTES (3 * (guint64)GCP_MAX_RECIPE_BYTES + (1 << 16))

/* Adds net's tensor count to *n and its longest name to *longest; the counts
 * depend on the depths only, so the nets are made as narrow as they go. */
static void
count_tensors (GcutNetwork *net, guint *n, gsize *longest)
{
  g_assert (net); /* a few bytes of parameters */
  *n += gcut_network_n_params (net);
  for (guint i = 0; i < gcut_network_n_params (net); i++)
    *longest = MAX (*longest, strlen (gcut_network_param_name (net, i)));
  gcut_network_free (net);
}

static gpointer
compute_model_limits (gpointer data)
{
  GcpHeaderLimits *limits = data;
  int n_blocks = (int)gcp_recipe_key_max ("architecture.generator.n_blocks");
  int n_down = (int)gcp_recipe_key_max ("architecture.generator.n_downsampling");
  int n_layers = (int)gcp_recipe_key_max ("architecture.discriminator.n_layers");
  GcpGeneratorConfig resnet = { GCP_GENERATOR_RESNET, 1, n_blocks, FALSE, FALSE, 1 };
  GcpGeneratorConfig sg2
      = { GCP_GENERATOR_STYLEGAN2_LITE, 1, n_blocks, FALSE, FALSE, n_down };
  int taps[GCUT_GENERATOR_N_TAPS] = { 1, 1, 1, 1, 1 };
  guint n_g = 0, n_g2 = 0, n_d = 0, n_d2 = 0, n_f = 0;
  gsize longest = 0;

  count_tensors (gcp_generator_new (&resnet, NULL), &n_g, &longest);
  count_tensors (gcp_generator_new (&sg2, NULL), &n_g2, &longest);
  count_tensors (gcut_patchgan_new (&(GcutPatchGanConfig){ 1, n_layers, TRUE }), &n_d,
                 &longest);
  count_tensors (gcut_stylegan2_discriminator_new (
                     &(GcutStyleGan2DiscriminatorConfig){ 1, SG2_D_MAX_SIZE }),
                 &n_d2, &longest);
  count_tensors (gcut_patch_heads_new (taps, GCUT_GENERATOR_N_TAPS, 1), &n_f, &longest);
  limits->max_tensors
      = MAX (n_g, n_g2) + MAX (n_d, n_d2) + n_f + 3 * ADAM_TENSORS + TRAINER_TENSORS + 1;
  limits->max_header_bytes
      = METADATA_BYTES
        + (guint64)limits->max_tensors * (strlen ("adam.G.") + longest + ENTRY_BYTES);
  limits->prefixes = tensor_prefixes;
  return NULL;
}

const GcpHeaderLimits *
gcp_model_header_limits (void)
{
  static GcpHeaderLimits limits;
  static GOnce once = G_ONCE_INIT;
  g_once (&once, compute_model_limits, &limits);
  return &limits;
}

/* ---- reading ---- */

/* The "palette" tensor, when there is one: its shape, and levels that are
 * finite, in their channel's range and non-decreasing (a map built from them
 * must be monotone). */
static gboolean
read_palette (const GcpSafetensors *st, const float **palette, GError **error)
{
  static const char *const channel[3] = { "Y'", "Cb", "Cr" };
  static const double lo[3] = { 0, -0.5, -0.5 };
  const gint64 shape[2] = { 3, GCP_PALETTE_LEVELS };
  g_autoptr (GError) local = NULL;
  const float *p;

  *palette = NULL;
  if (!gcp_safetensors_lookup (st, "palette"))
    return TRUE;
  if (!(p = gcp_safetensors_get_f32 (st, "palette", 2, shape, &local)))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT, "the palette: %s",
                   local->message);
      return FALSE;
    }
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < GCP_PALETTE_LEVELS; i++)
      {
        float v = p[c * GCP_PALETTE_LEVELS + i];
        if (!(v >= lo[c] && v <= lo[c] + 1)
            || (i && v < p[c * GCP_PALETTE_LEVELS + i - 1]))
          {
            g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                         "the palette's %s level %d (%g) is out of range or below "
                         "the level before it",
                         channel[c], i, v);
            return FALSE;
          }
      }
  *palette = p;
  return TRUE;
}

static GcpModel *
model_from_file (GcpSafetensors *st_in, GError **error)
{
  g_autoptr (GcpSafetensors) st = st_in;
  g_autoptr (GcpModel) model = NULL;
  const char *format = gcp_safetensors_metadata (st, "format");
  const char *arch = gcp_safetensors_metadata (st, "architecture");
  GcpGeneratorConfig config;
  g_autoptr (GError) local = NULL;
  gint64 expect, have = 0;

  if (!format)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
                   "not a gegl-cut model: the file has no “format” metadata");
      return NULL;
    }
  if (!g_str_equal (format, GCP_MODEL_FORMAT))
    {
      g_autofree char *esc = g_strescape (format, NULL);
      g_set_error (error, GCP_ERROR, GCP_ERROR_UNSUPPORTED,
                   "unsupported model format “%.64s” (this version reads “%s”)", esc,
                   GCP_MODEL_FORMAT);
      return NULL;
    }
  if (!arch)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "the model has no “architecture” metadata");
      return NULL;
    }
  if (!gcp_generator_config_parse (arch, &config, &local))
    {
      /* The message names the key ("architecture.generator.ngf: …"). */
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT, "%s", local->message);
      return NULL;
    }
  if (!check_json_object (st, "recipe", error)
      || !check_json_object (st, "training", error)
      || !check_json_object (st, "source", error)
      || !check_json_object (st, "base", error))
    return NULL;

  /* Before building the network (whose size the architecture alone would
   * decide): its parameter count must match what the file holds under "G.". */
  expect = gcp_generator_n_params (&config);
  if (expect < 0)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "the architecture (%s, ngf %d, %d blocks, %d downsamplings) is not "
                   "a network this version can make",
                   config.kind == GCP_GENERATOR_STYLEGAN2_LITE ? "stylegan2-lite"
                                                               : "resnet",
                   config.ngf, config.n_blocks, config.n_downsampling);
      return NULL;
    }
  for (guint i = 0; i < gcp_safetensors_n_tensors (st); i++)
    {
      const GcpTensorView *t = gcp_safetensors_tensor (st, i);
      if (g_str_has_prefix (t->name, "G."))
        have += t->n_bytes / MAX (gcp_dtype_size (t->dtype), 1);
    }
  /* A file with too few parameters is reported below, naming the first
   * missing tensor, as long as building the network costs little more than
   * the file itself; beyond that, refuse here. */
  if (have > expect || expect > 4 * have + (1 << 24))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
                   "the architecture (ngf %d, %d blocks) has %" G_GINT64_FORMAT
                   " generator parameters but the file holds %" G_GINT64_FORMAT,
                   config.ngf, config.n_blocks, expect, have);
      return NULL;
    }

  model = g_new0 (GcpModel, 1);
  model->architecture = config;
  if (!read_base (st, &model->base, error) || !read_palette (st, &model->palette, error))
    return NULL;
  model->st = g_steal_pointer (&st);
  model->G = gcp_generator_new (&config, error);
  if (!model->G)
    return NULL;
  if (!gcp_model_load_network (model, "G.", model->G, &local))
    {
      if (local->code == GCP_ERROR_CORRUPT) /* non-finite weights */
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      g_set_error (error, GCP_ERROR,
                   local->code == GCP_ERROR_NOT_FOUND ? GCP_ERROR_MISMATCH : local->code,
                   "the generator's tensors do not match the architecture (ngf %d, %d "
                   "blocks): %s",
                   config.ngf, config.n_blocks, local->message);
      return NULL;
    }
  return g_steal_pointer (&model);
}

GcpModel *
gcp_model_parse (GBytes *bytes, GError **error)
{
  GcpSafetensors *st
      = gcp_safetensors_parse_limited (bytes, gcp_model_header_limits (), error);
  return st ? model_from_file (st, error) : NULL;
}

GcpModel *
gcp_model_load (const char *name_or_path, GError **error)
{
  g_autofree char *path = gcp_model_find (name_or_path, error);
  GcpSafetensors *st;
  GcpModel *model;

  if (!path)
    return NULL;
  st = gcp_safetensors_load_limited (path, gcp_model_header_limits (), error);
  if (!st)
    return NULL;
  model = model_from_file (st, error);
  if (!model)
    g_prefix_error (error, "%s: ", path);
  return model;
}

/* ---- the base of a fine-tuned model ---- */

/* The base at path, if its bytes are the recorded ones; else NULL, with why
 * in *why (kept when already set: the first reason is the one to give). */
static GcpModel *
load_if_recorded (const char *path, const GcpBaseRecord *base, GError **why)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GcpModel) model = gcp_model_load (path, &local);
  g_autofree char *sha = NULL;

  if (!model)
    {
      if (why && !*why)
        *why = g_steal_pointer (&local);
      return NULL;
    }
  sha = gcp_model_sha256 (model);
  if (!g_str_equal (sha, base->sha256))
    {
      if (why && !*why)
        g_set_error (why, GCP_ERROR, GCP_ERROR_MISMATCH,
                     "%s is not the recorded base: its SHA-256 is %.12s…, the model "
                     "was fine-tuned from %.12s…",
                     path, sha, base->sha256);
      return NULL;
    }
  return g_steal_pointer (&model);
}

GcpModel *
gcp_model_load_base (const GcpBaseRecord *base, const char *beside,
                     const GcpGeneratorConfig *arch, GError **error)
{
  g_autoptr (GError) why = NULL;
  g_autofree char *by_name = gcp_model_find (base->name, &why);
  g_autofree char *file = g_strconcat (base->name, ".safetensors", NULL);
  g_autofree char *next_to = beside ? g_build_filename (beside, file, NULL) : NULL;
  g_autoptr (GcpModel) model = NULL;
  g_autofree char *diff = NULL;

  if (by_name)
    model = load_if_recorded (by_name, base, &why);
  if (!model && next_to && g_file_test (next_to, G_FILE_TEST_IS_REGULAR)
      && (!by_name || strcmp (by_name, next_to)))
    {
      /* What is wrong with this file says more than "not in the model folders". */
      if (!by_name)
        g_clear_error (&why);
      model = load_if_recorded (next_to, base, &why);
    }
  if (!model)
    {
      if (why->code == GCP_ERROR_NOT_FOUND && beside)
        g_set_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND,
                     "base model “%s”: %s, nor in the model's folder %s", base->name,
                     why->message, beside);
      else
        g_propagate_prefixed_error (error, g_steal_pointer (&why),
                                    "base model “%s”: ", base->name);
      return NULL;
    }
  diff = gcp_generator_config_differences (arch, "the model",
                                           gcp_model_architecture (model), "its base");
  if (diff)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
                   "base model “%s” has another generator: %s", base->name, diff);
      return NULL;
    }
  return g_steal_pointer (&model);
}

/* The builder's object as compact JSON. */
static char *
builder_text (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

char *
gcp_base_record_to_json (const GcpBaseRecord *base)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, base->name);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, base->sha256);
  json_builder_end_object (b);
  return builder_text (b);
}

/* ---- writing ---- */

static void
add_image (JsonBuilder *b, const char *key, const GcpImageRecord *img)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  if (img->n_images <= 1)
    {
      json_builder_set_member_name (b, "width");
      json_builder_add_int_value (b, img->width);
      json_builder_set_member_name (b, "height");
      json_builder_add_int_value (b, img->height);
    }
  else
    {
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, img->n_images);
    }
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, img->sha256 ? img->sha256 : "");
  json_builder_end_object (b);
}

char *
gcp_training_record_to_json (const GcpTrainingRecord *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, r->steps);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, isfinite (r->seconds) ? r->seconds : 0);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, r->device ? r->device : "");
  json_builder_set_member_name (b, "losses");
  json_builder_begin_object (b);
  for (int i = 0; i < r->n_losses; i++)
    {
      json_builder_set_member_name (b, r->losses[i].name);
      /* JSON has no NaN: a diverged loss is recorded as null. */
      if (isfinite (r->losses[i].value))
        json_builder_add_double_value (b, r->losses[i].value);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  add_image (b, "content", &r->content);
  add_image (b, "style", &r->style);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

GcpSafetensorsWriter *
gcp_model_writer_new (GcutNetwork *G, const GcpGeneratorConfig *architecture,
                      const char *recipe_json, const char *training_json)
{
  GcpSafetensorsWriter *w = gcp_safetensors_writer_new ();
  g_autofree char *arch = gcp_generator_config_to_json (architecture);

  gcp_safetensors_writer_set_metadata (w, "format", GCP_MODEL_FORMAT);
  gcp_safetensors_writer_set_metadata (w, "architecture", arch);
  if (recipe_json)
    gcp_safetensors_writer_set_metadata (w, "recipe", recipe_json);
  if (training_json)
    gcp_safetensors_writer_set_metadata (w, "training", training_json);
  gcp_network_add_to (G, w, "G.");
  return w;
}

void
gcp_model_writer_set_base (GcpSafetensorsWriter *w, const GcpBaseRecord *base)
{
  g_autofree char *json = base ? gcp_base_record_to_json (base) : NULL;
  if (json)
    gcp_safetensors_writer_set_metadata (w, "base", json);
}

void
gcp_model_writer_set_palette (GcpSafetensorsWriter *w, const float *levels)
{
  const gint64 shape[2] = { 3, GCP_PALETTE_LEVELS };
  if (levels)
    gcp_safetensors_writer_add (w, "palette", GCP_DTYPE_F32, 2, shape, levels);
}

gboolean
gcp_model_save (const char *path, GcutNetwork *G, const GcpGeneratorConfig *architecture,
                const char *recipe_json, const char *training_json, GcutNetwork *D,
                GcutNetwork *F, GError **error)
{
  g_autoptr (GcpSafetensorsWriter) w
      = gcp_model_writer_new (G, architecture, recipe_json, training_json);
  if (D)
    gcp_network_add_to (D, w, "D.");
  if (F)
    gcp_network_add_to (F, w, "F.");
  return gcp_safetensors_writer_save (w, path, error);
}

/* ---- finding ---- */

char *
gcp_model_find (const char *name, GError **error)
{
  return gcp_data_find (name, "model", ".safetensors", "GEGL_CUT_MODEL_PATH", "models",
                        error);
}

char **
gcp_model_list (void)
{
  return gcp_data_list (".safetensors", "GEGL_CUT_MODEL_PATH", "models");
}
