/* Recipes: a strict, table-driven JSON schema.  See gcp-recipe.h.
 *
 * The table `fields` below is the one place where the keys, their types,
 * ranges, defaults and meanings are defined: parsing, defaults, validation,
 * the JSON writer and gcp_recipe_schema_text() all walk it. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include <gcp/gcp-input-file.h>
#include <gcp/gcp-recipe.h>
#include "safetensors-private.h"
#include "presets-private.h"

#ifndef GCP_DATADIR
#define GCP_DATADIR "/usr/local/share"
#endif

typedef enum
{
  F_OBJECT,
  F_STRING,
  F_BOOL,
  F_INT,   /* int */
  F_INT64, /* gint64 */
  F_DOUBLE,
  F_ENUM, /* int-sized enum, names in `names` */
} FieldType;

typedef struct
{
  const char *path;
  FieldType type;
  gsize offset;
  double min, max;
  gboolean min_open, max_open;
  const char *const *names; /* F_ENUM, NULL-terminated */
  double def;               /* numbers, bools, enum index */
  const char *doc;
} Field;

static const char *const precision_names[] = { "exact", "fast", "bf16", NULL };
static const char *const generator_names[] = { "resnet", "stylegan2-lite", NULL };
static const char *const discriminator_names[] = { "patchgan", "stylegan2-lite", NULL };
static const char *const gan_names[] = { "lsgan", "nonsaturating", NULL };
static const char *const nce_names[]
    = { "patchnce", "dce", "hdce", "weightnce", "monce", NULL };
static const char *const negatives_names[] = { "same_image", "across_crops", NULL };
static const char *const hdce_form_names[] = { "official", "paper", NULL };
static const char *const gamma_schedule_names[] = { "linear", "stepped", NULL };
static const char *const monce_cost_names[] = { "hard", "easy", NULL };
static const char *const src_names[] = { "jsd", "kl", NULL };
static const char *const sampling_names[] = { "resize_crop", "zoom_crops", NULL };

#define O(member) offsetof (GcpRecipe, member)
#define OBJ(path, doc)                                                                   \
  {                                                                                      \
    path, F_OBJECT, 0, 0, 0, FALSE, FALSE, NULL, 0, doc                                  \
  }
#define NUM(path, type, member, lo, lo_open, hi, hi_open, def, doc)                      \
  {                                                                                      \
    path, type, O (member), lo, hi, lo_open, hi_open, NULL, def, doc                     \
  }
#define BOOL(path, member, def, doc)                                                     \
  {                                                                                      \
    path, F_BOOL, O (member), 0, 1, FALSE, FALSE, NULL, def, doc                         \
  }
#define ENUM(path, member, names, def, doc)                                              \
  {                                                                                      \
    path, F_ENUM, O (member), 0, 0, FALSE, FALSE, names, def, doc                        \
  }

/* Objects come before their members.  Defaults are CUT's (METHODS.md §3). */
static const Field fields[] = {
  { "description", F_STRING, O (description), 0, 0, FALSE, FALSE, NULL, 0,
    "what the recipe is for (free text)" },
  NUM ("seed", F_INT64, seed, 0, FALSE, 9007199254740991.0, FALSE, 1,
       "seed of every random stream (crops, patches, initialization)"),
  ENUM ("precision", precision, precision_names, GCP_PRECISION_EXACT,
        "exact: float32 everywhere; fast: also Winograd convolutions; bf16: also "
        "bf16 operands where the CPU has them"),
  { "init", F_STRING, O (init), 0, 0, FALSE, FALSE, NULL, 0,
    "the base model fine-tuning starts from: a model name or a file path (its "
    "generator must be architecture.generator); absent or empty: random weights" },
  BOOL ("palette", palette, FALSE,
        "record the style images' palette (their tones and colours) in the model; "
        "translating then matches the output to it (gcut:translate's and "
        "gcut-translate's palette amount)"),

  OBJ ("architecture", "the networks"),
  OBJ ("architecture.generator", "the generator G (saved in models)"),
  ENUM ("architecture.generator.kind", generator.kind, generator_names,
        GCP_GENERATOR_RESNET, "resnet (CUT) or stylegan2-lite (SinCUT)"),
  NUM ("architecture.generator.ngf", F_INT, generator.ngf, 1, FALSE, 512, FALSE, 64,
       "channels of the first layer"),
  NUM ("architecture.generator.n_blocks", F_INT, generator.n_blocks, 0, FALSE, 32, FALSE,
       9, "residual blocks"),
  BOOL ("architecture.generator.antialias", generator.antialias, TRUE,
        "blurred downsampling (CUT's default) instead of strided convolutions"),
  BOOL ("architecture.generator.antialias_up", generator.antialias_up, TRUE,
        "blurred upsampling instead of transposed convolutions"),
  NUM ("architecture.generator.n_downsampling", F_INT, generator.n_downsampling, 1, FALSE,
       4, FALSE, 2, "stylegan2-lite: downsamplings (SinCUT: 1)"),
  OBJ ("architecture.discriminator", "the discriminator D"),
  ENUM ("architecture.discriminator.kind", discriminator.kind, discriminator_names,
        GCP_DISCRIMINATOR_PATCHGAN, "patchgan (CUT) or stylegan2-lite (SinCUT)"),
  NUM ("architecture.discriminator.ndf", F_INT, discriminator.ndf, 1, FALSE, 512, FALSE,
       64, "channels of the first layer"),
  NUM ("architecture.discriminator.n_layers", F_INT, discriminator.n_layers, 1, FALSE, 8,
       FALSE, 3, "downsampling layers"),
  BOOL ("architecture.discriminator.antialias", discriminator.antialias, TRUE,
        "blurred downsampling"),
  OBJ ("architecture.heads", "the projection heads F of the contrastive loss"),
  NUM ("architecture.heads.nc", F_INT, heads.nc, 1, FALSE, 4096, FALSE, 256,
       "width of each MLP"),
  NUM ("architecture.heads.n_patches", F_INT, heads.n_patches, 1, FALSE, 65536, FALSE,
       256, "P: locations sampled per tap"),

  OBJ ("losses", "the losses and their weights"),
  OBJ ("losses.gan", "the adversarial loss"),
  ENUM ("losses.gan.kind", gan.kind, gan_names, GCP_GAN_LSGAN,
        "lsgan (CUT) or nonsaturating (SinCUT)"),
  NUM ("losses.gan.weight", F_DOUBLE, gan.weight, 0, FALSE, 1000, FALSE, 1, "λ_GAN"),
  OBJ ("losses.nce", "the contrastive loss"),
  ENUM ("losses.nce.kind", nce.kind, nce_names, GCP_NCE_PATCHNCE,
        "patchnce, dce, hdce (hard-negative DCE), weightnce or monce"),
  NUM ("losses.nce.weight", F_DOUBLE, nce.weight, 0, FALSE, 1000, FALSE, 1,
       "λ_NCE (λ_hDCE for hdce)"),
  NUM ("losses.nce.tau", F_DOUBLE, nce.tau, 0, TRUE, 10, FALSE, 0.07, "temperature τ"),
  BOOL ("losses.nce.identity", nce.identity, TRUE,
        "also the loss on (y, G(y)), averaged with (x, G(x)) (CUT; not FastCUT)"),
  BOOL ("losses.nce.flip_equivariance", nce.flip_equivariance, FALSE,
        "FastCUT's flip-equivariance augmentation"),
  ENUM ("losses.nce.negatives", nce.negatives, negatives_names, GCP_NEGATIVES_SAME_IMAGE,
        "same_image (CUT) or across_crops (SinCUT: every crop of the batch)"),
  NUM ("losses.nce.gamma_start", F_DOUBLE, nce.gamma_start, 0, TRUE, 1e6, FALSE, 50,
       "hdce: Γ at the first step"),
  NUM ("losses.nce.gamma_end", F_DOUBLE, nce.gamma_end, 0, TRUE, 1e6, FALSE, 10,
       "hdce: Γ at the last step (linear in between)"),
  ENUM ("losses.nce.gamma_schedule", nce.gamma_schedule, gamma_schedule_names,
        GCP_GAMMA_LINEAR,
        "hdce: linear, or stepped: linear, then Γ = 1 after gamma_step_at (the "
        "official step_gamma, for the Cityscapes recipe)"),
  NUM ("losses.nce.gamma_step_at", F_INT64, nce.gamma_step_at, 0, FALSE,
       9007199254740991.0, FALSE, 0, "hdce, stepped: the last step before Γ = 1"),
  ENUM ("losses.nce.hdce_form", nce.hdce_form, hdce_form_names, GCP_HDCE_OFFICIAL,
        "hdce: official (weights times similarity) or paper (importance sampling)"),
  NUM ("losses.nce.beta", F_DOUBLE, nce.beta, 0, TRUE, 100, FALSE, 0.1,
       "weightnce/monce: temperature β of the weights"),
  NUM ("losses.nce.q", F_DOUBLE, nce.q, 0, TRUE, 1e6, FALSE, 1,
       "weightnce/monce: scale Q of the negatives"),
  ENUM ("losses.nce.monce_cost", nce.monce_cost, monce_cost_names, GCP_MONCE_HARD,
        "monce: hard (unpaired) or easy (paired) cost"),
  NUM ("losses.nce.sinkhorn_iters", F_INT, nce.sinkhorn_iters, 1, FALSE, 1000, FALSE, 50,
       "monce: Sinkhorn iterations"),
  OBJ ("losses.src", "semantic relation consistency (hDCE+SRC)"),
  NUM ("losses.src.weight", F_DOUBLE, src.weight, 0, FALSE, 1000, FALSE, 0,
       "λ_SRC; 0 turns SRC off"),
  ENUM ("losses.src.variant", src.variant, src_names, GCP_SRC_JSD,
        "jsd (the paper) or kl (KL(P‖Q))"),
  OBJ ("losses.identity_l1", "L1 identity loss |G(y) − y|"),
  NUM ("losses.identity_l1.weight", F_DOUBLE, identity_l1.weight, 0, FALSE, 1000, FALSE,
       0, "its weight; 0 turns it off (SinCUT: 1)"),
  OBJ ("losses.r1", "R1 gradient penalty on D's real inputs"),
  NUM ("losses.r1.weight", F_DOUBLE, r1.weight, 0, FALSE, 1000, FALSE, 0,
       "λ_R1; 0 turns it off (SinCUT: 1)"),
  NUM ("losses.r1.interval", F_INT, r1.interval, 1, FALSE, 1000, FALSE, 1,
       "apply every this many steps"),

  OBJ ("optimizer", "Adam, one state per network"),
  NUM ("optimizer.lr", F_DOUBLE, optimizer.lr, 0, TRUE, 1, FALSE, 2e-4,
       "base learning rate"),
  NUM ("optimizer.beta1", F_DOUBLE, optimizer.beta1, 0, FALSE, 1, TRUE, 0.5, "β1"),
  NUM ("optimizer.beta2", F_DOUBLE, optimizer.beta2, 0, FALSE, 1, TRUE, 0.999, "β2"),
  NUM ("optimizer.eps", F_DOUBLE, optimizer.eps, 0, TRUE, 1, FALSE, 1e-8, "ε"),

  OBJ ("schedule", "training length and learning-rate decay"),
  NUM ("schedule.steps", F_INT64, schedule.steps, 1, FALSE, 1e9, FALSE, 400000,
       "training steps"),
  NUM ("schedule.decay_start", F_INT64, schedule.decay_start, 0, FALSE, 1e9, FALSE,
       200000, "constant rate before this step, then linear to 0 at the end"),

  OBJ ("sampling", "crops from the two images"),
  ENUM ("sampling.mode", sampling.mode, sampling_names, GCP_SAMPLING_RESIZE_CROP,
        "resize_crop (CUT) or zoom_crops (SinCUT)"),
  NUM ("sampling.load_size", F_INT, sampling.load_size, 16, FALSE, 8192, FALSE, 286,
       "resize_crop: images are resized to this square first"),
  NUM ("sampling.crop_size", F_INT, sampling.crop_size, 4, FALSE, 4096, FALSE, 256,
       "side of the square crops, a multiple of 4 that the networks can take"),
  NUM ("sampling.zoom_min", F_DOUBLE, sampling.zoom_min, 0, TRUE, 4, FALSE,
       0.3333333333333333, "zoom_crops: smallest zoom per axis"),
  NUM ("sampling.zoom_max", F_DOUBLE, sampling.zoom_max, 0, TRUE, 4, FALSE, 1,
       "zoom_crops: largest zoom per axis"),
  BOOL ("sampling.flip", sampling.flip, TRUE, "random horizontal flips"),
  NUM ("sampling.batch", F_INT, sampling.batch, 1, FALSE, 256, FALSE, 1,
       "crops per image and step (SinCUT: 16)"),
};

/* ---- small helpers ---- */

/* The shortest decimal that reads back as the same double. */
static void
format_double (char *buf, gsize size, double v)
{
  if (isinf (v))
    {
      g_strlcpy (buf, v > 0 ? "inf" : "-inf", size);
      return;
    }
  if (v == floor (v) && fabs (v) < 1e15)
    {
      g_snprintf (buf, size, "%.0f", v);
      return;
    }
  for (int prec = 1; prec <= 17; prec++)
    {
      g_ascii_formatd (buf, size,
                       (const char *[]){ "%.1g", "%.2g", "%.3g", "%.4g", "%.5g", "%.6g",
                                         "%.7g", "%.8g", "%.9g", "%.10g", "%.11g",
                                         "%.12g", "%.13g", "%.14g", "%.15g", "%.16g",
                                         "%.17g" }[prec - 1],
                       v);
      if (g_ascii_strtod (buf, NULL) == v)
        return;
    }
}

static const Field *
find_field (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].path, path))
      return &fields[i];
  return NULL;
}

double
gcp_recipe_key_max (const char *path)
{
  const Field *f = find_field (path);
  g_return_val_if_fail (
      f && (f->type == F_INT || f->type == F_INT64 || f->type == F_DOUBLE), 0);
  return f->max;
}

static char *
range_text (const Field *f)
{
  char lo[40], hi[40];
  format_double (lo, sizeof lo, f->min);
  format_double (hi, sizeof hi, f->max);
  return g_strdup_printf ("%s%s, %s%s", f->min_open ? "(" : "[", lo, hi,
                          f->max_open ? ")" : "]");
}

static char *
enum_text (const Field *f)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; f->names[i]; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", f->names[i]);
  return g_string_free (s, FALSE);
}

/* A short rendering of a JSON value for messages. */
static char *
describe_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return g_strdup ("an object");
    case JSON_NODE_ARRAY:
      return g_strdup ("an array");
    case JSON_NODE_NULL:
      return g_strdup ("null");
    case JSON_NODE_VALUE:
      break;
    }
  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (t == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (t == G_TYPE_DOUBLE)
    {
      char buf[40];
      format_double (buf, sizeof buf, json_node_get_double (node));
      return g_strdup (buf);
    }
  if (t == G_TYPE_STRING)
    {
      const char *s = json_node_get_string (node);
      g_autofree char *esc = g_strescape (s, NULL);
      if (strlen (esc) > 40)
        {
          /* Cut at a character boundary. */
          const char *end = g_utf8_find_prev_char (esc, esc + 40);
          return g_strdup_printf ("\"%.*s…\"", (int)(end - esc), esc);
        }
      return g_strdup_printf ("\"%s\"", esc);
    }
  return g_strdup ("a value");
}

static gboolean fail (GError **error, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID, "%s: %s", path, msg);
  return FALSE;
}

static gboolean
in_range (const Field *f, double v)
{
  if (isnan (v))
    return FALSE;
  if (f->min_open ? !(v > f->min) : !(v >= f->min))
    return FALSE;
  if (f->max_open ? !(v < f->max) : !(v <= f->max))
    return FALSE;
  return TRUE;
}

static void
set_default (GcpRecipe *r, const Field *f)
{
  char *p = (char *)r + f->offset;
  switch (f->type)
    {
    case F_OBJECT:
      break;
    case F_STRING:
      g_free (*(char **)p);
      *(char **)p = NULL;
      break;
    case F_BOOL:
      *(gboolean *)p = f->def != 0;
      break;
    case F_INT:
    case F_ENUM:
      *(int *)p = (int)f->def;
      break;
    case F_INT64:
      *(gint64 *)p = (gint64)f->def;
      break;
    case F_DOUBLE:
      *(double *)p = f->def;
      break;
    }
}

/* ---- construction ---- */

GcpRecipe *
gcp_recipe_new_default (void)
{
  GcpRecipe *r = g_new0 (GcpRecipe, 1);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    set_default (r, &fields[i]);
  return r;
}

void
gcp_recipe_free (GcpRecipe *recipe)
{
  if (!recipe)
    return;
  g_free (recipe->description);
  g_free (recipe->init);
  g_free (recipe);
}

GcutPrecision
gcp_recipe_engine_precision (const GcpRecipe *recipe)
{
  switch (recipe->precision)
    {
    case GCP_PRECISION_FAST:
      return GCUT_PRECISION_FAST;
    case GCP_PRECISION_BF16:
      return GCUT_PRECISION_BF16;
    default:
      return GCUT_PRECISION_EXACT;
    }
}

void
gcp_recipe_set_steps (GcpRecipe *recipe, gint64 steps)
{
  double frac = recipe->schedule.steps > 0
                    ? (double)recipe->schedule.decay_start / recipe->schedule.steps
                    : 0.5;
  recipe->schedule.steps = steps;
  recipe->schedule.decay_start = (gint64)(frac * steps);
}

GcpRecipe *
gcp_recipe_copy (const GcpRecipe *recipe)
{
  GcpRecipe *r = g_memdup2 (recipe, sizeof *recipe);
  r->description = g_strdup (recipe->description);
  r->init = g_strdup (recipe->init);
  return r;
}

/* ---- reading ---- */

static gboolean
read_value (GcpRecipe *r, const Field *f, JsonNode *node, GError **error)
{
  char *p = (char *)r + f->offset;
  JsonNodeType nt = json_node_get_node_type (node);
  GType vt = nt == JSON_NODE_VALUE ? json_node_get_value_type (node) : G_TYPE_INVALID;
  gboolean is_number = vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE;
  g_autofree char *got = describe_node (node);

  switch (f->type)
    {
    case F_OBJECT:
      g_assert_not_reached ();
    case F_STRING:
      if (vt != G_TYPE_STRING)
        return fail (error, f->path, "must be a string, got %s", got);
      if (strlen (json_node_get_string (node)) > 10000)
        return fail (error, f->path, "must be at most 10000 bytes long");
      g_free (*(char **)p);
      *(char **)p = g_strdup (json_node_get_string (node));
      return TRUE;
    case F_BOOL:
      if (vt != G_TYPE_BOOLEAN)
        return fail (error, f->path, "must be true or false, got %s", got);
      *(gboolean *)p = json_node_get_boolean (node);
      return TRUE;
    case F_ENUM:
      if (vt == G_TYPE_STRING)
        for (int i = 0; f->names[i]; i++)
          if (g_str_equal (json_node_get_string (node), f->names[i]))
            {
              *(int *)p = i;
              return TRUE;
            }
      {
        g_autofree char *names = enum_text (f);
        return fail (error, f->path, "must be one of %s; got %s", names, got);
      }
    case F_INT:
    case F_INT64:
      {
        g_autofree char *range = range_text (f);
        double v;
        gint64 iv;
        if (vt == G_TYPE_INT64)
          {
            iv = json_node_get_int (node);
            v = (double)iv;
          }
        else if (vt == G_TYPE_DOUBLE)
          {
            v = json_node_get_double (node);
            if (v != floor (v) || !in_range (f, v))
              return fail (error, f->path, "must be an integer in %s, got %s", range,
                           got);
            iv = (gint64)v;
          }
        else
          return fail (error, f->path, "must be an integer in %s, got %s", range, got);
        /* The ranges are within ±2^53, where doubles are exact. */
        if (!in_range (f, v) || (double)iv != v)
          return fail (error, f->path, "must be an integer in %s, got %s", range, got);
        if (f->type == F_INT)
          *(int *)p = (int)iv;
        else
          *(gint64 *)p = iv;
        return TRUE;
      }
    case F_DOUBLE:
      {
        g_autofree char *range = range_text (f);
        double v;
        if (!is_number)
          return fail (error, f->path, "must be a number in %s, got %s", range, got);
        v = vt == G_TYPE_INT64 ? (double)json_node_get_int (node)
                               : json_node_get_double (node);
        if (!in_range (f, v))
          return fail (error, f->path, "must be in %s, got %s", range, got);
        *(double *)p = v;
        return TRUE;
      }
    }
  return FALSE;
}

static gboolean
read_object (GcpRecipe *r, JsonObject *obj, const char *prefix, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (obj);

  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      g_autofree char *path
          = prefix ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);
      const Field *f = find_field (path);
      JsonNode *node = json_object_get_member (obj, name);

      if (!f)
        {
          g_autofree char *esc = g_strescape (path, NULL);
          g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID, "%s: unknown key", esc);
          return FALSE;
        }
      if (f->type == F_OBJECT)
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_autofree char *got = describe_node (node);
              return fail (error, path, "must be an object, got %s", got);
            }
          if (!read_object (r, json_node_get_object (node), path, error))
            return FALSE;
        }
      else if (!read_value (r, f, node, error))
        return FALSE;
    }
  return TRUE;
}

/* What float32 makes of v: the networks and losses compute in float32, where
 * a value under the smallest normal number is 0 or loses its precision (τ =
 * 1e-300 became 0), and one just under an open maximum rounds up to it (β2 =
 * 0.99999999 became 1). */
static gboolean
check_float32 (const Field *f, double v, GError **error)
{
  char got[40], lo[40], hi[40];

  /* Float32 limits with float32's own 9 digits. */
  format_double (got, sizeof got, v);
  g_ascii_formatd (lo, sizeof lo, "%.8g", FLT_MIN);
  if (v != 0 && fabs (v) < FLT_MIN)
    return f->min_open
               ? fail (error, f->path,
                       "must be at least %s (the smallest normal float32), got %s", lo,
                       got)
               : fail (error, f->path,
                       "must be 0 or at least %s (the smallest normal float32), "
                       "got %s",
                       lo, got);
  if (f->max_open && (float)v >= f->max)
    {
      g_ascii_formatd (hi, sizeof hi, "%.8g", nextafterf ((float)f->max, 0));
      return fail (error, f->path, "must be at most %s (below %g in float32), got %s", hi,
                   f->max, got);
    }
  return TRUE;
}

/* Each value in its range, and the rules between keys. */
static gboolean
validate_fields (const GcpRecipe *r, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Field *f = &fields[i];
      const char *p = (const char *)r + f->offset;
      double v;
      char buf[40];

      switch (f->type)
        {
        case F_INT:
          v = *(const int *)p;
          break;
        case F_INT64:
          v = (double)*(const gint64 *)p;
          break;
        case F_DOUBLE:
          v = *(const double *)p;
          break;
        case F_ENUM:
          {
            int e = *(const int *)p, n = 0;
            while (f->names[n])
              n++;
            if (e < 0 || e >= n)
              return fail (error, f->path, "invalid value %d", e);
            continue;
          }
        default:
          continue;
        }
      if (!in_range (f, v))
        {
          g_autofree char *range = range_text (f);
          format_double (buf, sizeof buf, v);
          return fail (error, f->path, "must be in %s, got %s", range, buf);
        }
      if (f->type == F_DOUBLE && !check_float32 (f, v, error))
        return FALSE;
    }
  if (r->schedule.decay_start > r->schedule.steps)
    return fail (error, "schedule.decay_start",
                 "must be at most schedule.steps (%" G_GINT64_FORMAT
                 "), got %" G_GINT64_FORMAT,
                 r->schedule.steps, r->schedule.decay_start);
  if (r->sampling.crop_size % 4 != 0)
    return fail (error, "sampling.crop_size", "must be a multiple of 4, got %d",
                 r->sampling.crop_size);
  if (r->sampling.mode == GCP_SAMPLING_RESIZE_CROP
      && r->sampling.crop_size > r->sampling.load_size)
    return fail (error, "sampling.crop_size",
                 "must be at most sampling.load_size (%d) for resize_crop, got %d",
                 r->sampling.load_size, r->sampling.crop_size);
  if (r->sampling.zoom_min > r->sampling.zoom_max)
    {
      char lo[40], hi[40];
      format_double (lo, sizeof lo, r->sampling.zoom_min);
      format_double (hi, sizeof hi, r->sampling.zoom_max);
      return fail (error, "sampling.zoom_min",
                   "must be at most sampling.zoom_max (%s), got %s", hi, lo);
    }
  /* A weight of 0 leaves out what only that loss needs: D without the GAN
   * loss, F without NCE and SRC (training/trainer.c). */
  if (r->gan.weight == 0 && r->nce.weight == 0 && r->src.weight == 0
      && r->identity_l1.weight == 0)
    return fail (error, "losses",
                 "every loss weight is 0 (gan, nce, src, identity_l1): nothing to train");
  if (r->gan.weight == 0 && r->r1.weight > 0)
    return fail (error, "losses.r1.weight",
                 "must be 0 when losses.gan.weight is 0 (R1 regularizes the "
                 "discriminator, which is then not trained)");
  if (r->nce.weight == 0 && r->src.weight == 0 && r->nce.flip_equivariance)
    return fail (error, "losses.nce.flip_equivariance",
                 "must be false when losses.nce.weight and losses.src.weight are 0 "
                 "(it is an augmentation of the contrastive loss)");
  if (r->generator.kind == GCP_GENERATOR_RESNET && r->generator.n_blocks < 5)
    return fail (error, "architecture.generator.n_blocks",
                 "must be at least 5 for resnet (the contrastive loss taps the "
                 "output of block 5), got %d",
                 r->generator.n_blocks);
  if (r->generator.kind == GCP_GENERATOR_STYLEGAN2_LITE
      && r->generator.n_downsampling + r->generator.n_blocks / 2 < 3)
    return fail (error, "architecture.generator.n_blocks",
                 "must be at least %d for stylegan2-lite with %d downsampling%s (the "
                 "contrastive loss taps encoder layer 4), got %d",
                 2 * (3 - r->generator.n_downsampling), r->generator.n_downsampling,
                 r->generator.n_downsampling == 1 ? "" : "s", r->generator.n_blocks);
  return TRUE;
}

gboolean
gcp_recipe_validate (const GcpRecipe *r, GError **error)
{
  return validate_fields (r, error) && gcp_recipe_check_networks (r, error);
}

/* json-glib reads integer literals into a gint64 and silently wraps those
 * that do not fit.  Integers of more than 15 digits (past 2^53 a double no
 * longer holds every integer anyway) get ".0" appended so that json-glib
 * reads them as doubles and the range checks see their true size.  The text
 * has passed the strict syntax check, so strings are well formed. */
static char *
widen_long_integers (const char *text, gsize len, gsize *out_len)
{
  GString *out = g_string_sized_new (len + 16);
  gsize i = 0;

  while (i < len)
    {
      char c = text[i];
      if (c == '"')
        {
          gsize j = i + 1;
          while (j < len && text[j] != '"')
            j += text[j] == '\\' ? 2 : 1;
          g_string_append_len (out, text + i, MIN (j + 1, len) - i);
          i = j + 1;
        }
      else if (c == '-' || g_ascii_isdigit (c))
        {
          gsize j = i + (c == '-'), digits = 0;
          gboolean integral = TRUE;
          while (j < len && (g_ascii_isdigit (text[j]) || strchr (".eE+-", text[j])))
            {
              if (g_ascii_isdigit (text[j]))
                digits++;
              else
                integral = FALSE;
              j++;
            }
          g_string_append_len (out, text + i, j - i);
          if (integral && digits > 15)
            g_string_append (out, ".0");
          i = j;
        }
      else
        g_string_append_c (out, text[i++]);
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

/* Duplicate keys: json-glib keeps the last silently.  Each "object-member"
 * emission is counted per object; when the object did not grow, the member
 * was a duplicate. */
typedef struct
{
  GHashTable *counts; /* JsonObject * → members seen */
  JsonObject *dup_object;
  char *dup_name;
} DupCheck;

static void
on_object_member (JsonParser *parser, JsonObject *object, const char *name,
                  gpointer user_data)
{
  DupCheck *d = user_data;
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (d->counts, object)) + 1;

  g_hash_table_insert (d->counts, object, GUINT_TO_POINTER (seen));
  if (!d->dup_name && json_object_get_size (object) < seen)
    {
      d->dup_object = object;
      d->dup_name = g_strdup (name);
    }
}

/* The dotted path of target inside obj (prefix: obj's own path). */
static char *
object_path (JsonObject *obj, JsonObject *target, const char *prefix)
{
  g_autoptr (GList) members = NULL;

  if (obj == target)
    return g_strdup (prefix ? prefix : "");
  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *n = json_object_get_member (obj, l->data);
      if (JSON_NODE_HOLDS_OBJECT (n))
        {
          g_autofree char *sub
              = prefix ? g_strconcat (prefix, ".", l->data, NULL) : g_strdup (l->data);
          char *found = object_path (json_node_get_object (n), target, sub);
          if (found)
            return found;
        }
    }
  return NULL;
}

static JsonNode *
parse_json (const char *text, gsize len, const char *what, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *widened = NULL;
  gsize widened_len;
  DupCheck dup = { NULL, NULL, NULL };
  gboolean ok;

  if (len > GCP_MAX_RECIPE_BYTES)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "%s is too large (%" G_GSIZE_FORMAT " bytes, at most %d)", what, len,
                   GCP_MAX_RECIPE_BYTES);
      return NULL;
    }
  if (memchr (text, 0, len))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "%s is not valid JSON: a NUL byte at byte %" G_GSIZE_FORMAT, what,
                   (gsize)((const char *)memchr (text, 0, len) - text));
      return NULL;
    }
  if (!g_utf8_validate (text, len, NULL))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT, "%s is not UTF-8 text", what);
      return NULL;
    }
  /* The strict scanner rejects what json-glib would tolerate (comments,
   * trailing garbage) and nesting deep enough to hurt json-glib's recursion. */
  if (!gcp_json_check_strict (text, len, &local))
    {
      const char *msg = local->message;
      if (g_str_has_prefix (msg, "header is not valid JSON: "))
        msg += strlen ("header is not valid JSON: ");
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT, "%s is not valid JSON: %s", what,
                   msg);
      return NULL;
    }
  parser = json_parser_new ();
  dup.counts = g_hash_table_new (NULL, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &dup);
  widened = widen_long_integers (text, len, &widened_len);
  ok = json_parser_load_from_data (parser, widened, (gssize)widened_len, &local);
  g_hash_table_destroy (dup.counts);
  if (!ok)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT, "%s is not valid JSON: %s", what,
                   local->message);
      g_free (dup.dup_name);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (dup.dup_name)
    {
      g_autofree char *name = dup.dup_name;
      g_autofree char *where
          = root && JSON_NODE_HOLDS_OBJECT (root)
                ? object_path (json_node_get_object (root), dup.dup_object, NULL)
                : NULL;
      g_autofree char *esc = g_strescape (name, NULL);
      if (where && *where)
        g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID, "%s.%s: duplicate key", where,
                     esc);
      else
        g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID, "%s: duplicate key", esc);
      return NULL;
    }
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autofree char *got = root ? describe_node (root) : g_strdup ("nothing");
      g_set_error (error, GCP_ERROR, GCP_ERROR_CORRUPT,
                   "%s must be a JSON object, got %s", what, got);
      return NULL;
    }
  return json_node_copy (root);
}

GcpRecipe *
gcp_recipe_parse (const char *text, gssize len, GError **error)
{
  g_autoptr (GcpRecipe) r = gcp_recipe_new_default ();
  g_autoptr (JsonNode) root = NULL;

  if (len < 0)
    len = strlen (text);
  root = parse_json (text, len, "recipe", error);
  if (!root)
    return NULL;
  if (!read_object (r, json_node_get_object (root), NULL, error))
    return NULL;
  if (!gcp_recipe_validate (r, error))
    return NULL;
  return g_steal_pointer (&r);
}

GcpRecipe *
gcp_recipe_load_file (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len;
  GcpRecipe *r;

  if (!gcp_read_regular (path, GCP_MAX_RECIPE_BYTES, &text, &len, error))
    return NULL;
  r = gcp_recipe_parse (text, len, error);
  if (!r)
    g_prefix_error (error, "%s: ", path);
  return r;
}

/* ---- finding ---- */

char *
gcp_recipe_find (const char *name, GError **error)
{
  return gcp_data_find (name, "recipe", ".json", "GEGL_CUT_RECIPE_PATH", "recipes",
                        error);
}

char **
gcp_recipe_list (void)
{
  return gcp_data_list (".json", "GEGL_CUT_RECIPE_PATH", "recipes");
}

GcpRecipe *
gcp_recipe_load (const char *name_or_path, GError **error)
{
  g_autofree char *path = gcp_recipe_find (name_or_path, error);
  return path ? gcp_recipe_load_file (path, error) : NULL;
}

/* ---- writing ---- */

static void
append_value (GString *s, const GcpRecipe *r, const Field *f)
{
  const char *p = (const char *)r + f->offset;
  char buf[40];

  switch (f->type)
    {
    case F_OBJECT:
      break;
    case F_STRING:
      {
        g_autoptr (JsonNode) n = json_node_new (JSON_NODE_VALUE);
        g_autofree char *text = NULL;
        json_node_set_string (n, *(char *const *)p ? *(char *const *)p : "");
        text = json_to_string (n, FALSE);
        g_string_append (s, text);
        break;
      }
    case F_BOOL:
      g_string_append (s, *(const gboolean *)p ? "true" : "false");
      break;
    case F_ENUM:
      g_string_append_printf (s, "\"%s\"", f->names[*(const int *)p]);
      break;
    case F_INT:
      g_string_append_printf (s, "%d", *(const int *)p);
      break;
    case F_INT64:
      g_string_append_printf (s, "%" G_GINT64_FORMAT, *(const gint64 *)p);
      break;
    case F_DOUBLE:
      format_double (buf, sizeof buf, *(const double *)p);
      /* JSON numbers: "1e-08" is fine, "inf" cannot happen (validated). */
      g_string_append (s, buf);
      break;
    }
}

/* Writes the members of the object at prefix (NULL: the root). */
static void
append_object (GString *s, const GcpRecipe *r, const char *prefix, int depth)
{
  gsize plen = prefix ? strlen (prefix) + 1 : 0;
  gboolean first = TRUE;

  g_string_append (s, "{");
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Field *f = &fields[i];
      const char *rest;
      if (prefix && !(g_str_has_prefix (f->path, prefix) && f->path[plen - 1] == '.'))
        continue;
      rest = f->path + plen;
      if (strchr (rest, '.'))
        continue; /* a member of a member */
      if (f->type == F_STRING && !*(char *const *)((const char *)r + f->offset))
        continue; /* no description, no init */
      g_string_append_printf (s, "%s\n%*s\"%s\": ", first ? "" : ",", 2 * (depth + 1), "",
                              rest);
      first = FALSE;
      if (f->type == F_OBJECT)
        append_object (s, r, f->path, depth + 1);
      else
        append_value (s, r, f);
    }
  g_string_append_printf (s, "\n%*s}", 2 * depth, "");
}

char *
gcp_recipe_to_json (const GcpRecipe *recipe)
{
  GString *s = g_string_new (NULL);
  append_object (s, recipe, NULL, 0);
  g_string_append_c (s, '\n');
  return g_string_free (s, FALSE);
}

char *
gcp_generator_config_to_json (const GcpGeneratorConfig *config)
{
  GcpRecipe r = { 0 };
  GString *s = g_string_new (NULL);
  r.generator = *config;
  append_object (s, &r, "architecture.generator", 0);
  /* One line. */
  g_autofree char *text = g_string_free (s, FALSE);
  GString *out = g_string_new (NULL);
  for (const char *p = text; *p; p++)
    if (*p == '\n')
      {
        while (p[1] == ' ')
          p++;
      }
    else
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

gboolean
gcp_generator_config_parse (const char *text, GcpGeneratorConfig *config, GError **error)
{
  g_autoptr (GcpRecipe) r = gcp_recipe_new_default ();
  g_autoptr (JsonNode) root = parse_json (text, strlen (text), "architecture", error);

  if (!root)
    return FALSE;
  if (!read_object (r, json_node_get_object (root), "architecture.generator", error))
    return FALSE;
  /* A model's generator alone: the recipe's other keys are defaults. */
  if (!validate_fields (r, error))
    return FALSE;
  *config = r->generator;
  return TRUE;
}

/* Whether a generator key shapes the network of this kind. */
static gboolean
generator_key_used (GcpGeneratorKind kind, const char *key)
{
  if (kind == GCP_GENERATOR_RESNET)
    return !g_str_equal (key, "n_downsampling");
  return !g_str_equal (key, "antialias") && !g_str_equal (key, "antialias_up");
}

char *
gcp_generator_config_differences (const GcpGeneratorConfig *a, const char *a_label,
                                  const GcpGeneratorConfig *b, const char *b_label)
{
  const char *prefix = "architecture.generator.";
  GcpRecipe ra = { 0 }, rb = { 0 };
  GString *s = g_string_new (NULL);

  ra.generator = *a;
  rb.generator = *b;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Field *f = &fields[i];
      const char *key = f->path + strlen (prefix);
      g_autoptr (GString) va = g_string_new (NULL), vb = g_string_new (NULL);

      if (!g_str_has_prefix (f->path, prefix)
          || (a->kind == b->kind && !generator_key_used (a->kind, key)))
        continue;
      append_value (va, &ra, f);
      append_value (vb, &rb, f);
      if (!g_str_equal (va->str, vb->str))
        g_string_append_printf (s, "%s%s %s (%s) / %s (%s)", s->len ? ", " : "", key,
                                va->str, a_label, vb->str, b_label);
      /* Other kinds: their own keys do not compare. */
      if (a->kind != b->kind)
        break;
    }
  if (!s->len)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return g_string_free (s, FALSE);
}

char *
gcp_recipe_schema_text (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Field *f = &fields[i];
      g_autofree char *detail = NULL;
      char def[40];
      switch (f->type)
        {
        case F_OBJECT:
          detail = g_strdup ("object");
          break;
        case F_STRING:
          detail = g_strdup ("string, optional");
          break;
        case F_BOOL:
          detail
              = g_strdup_printf ("true or false, default %s", f->def ? "true" : "false");
          break;
        case F_ENUM:
          {
            g_autofree char *names = enum_text (f);
            detail
                = g_strdup_printf ("one of %s, default %s", names, f->names[(int)f->def]);
            break;
          }
        case F_INT:
        case F_INT64:
        case F_DOUBLE:
          {
            g_autofree char *range = range_text (f);
            format_double (def, sizeof def, f->def);
            detail = g_strdup_printf ("%s in %s, default %s",
                                      f->type == F_DOUBLE ? "number" : "integer", range,
                                      def);
            break;
          }
        }
      g_string_append_printf (s, "%s: %s — %s\n", f->path, detail, f->doc);
    }
  return g_string_free (s, FALSE);
}
