/* gegl-cut presets: recipes, the hyperparameters of one training run.
 *
 * A recipe is a JSON object (the shipped ones are in presets/recipes/):
 *
 *   { "description": "…", "seed": 1, "precision": "exact", "init": "photo-base",
 *     "architecture": { "generator": {…}, "discriminator": {…}, "heads": {…} },
 *     "losses": { "gan": {…}, "nce": {…}, "src": {…}, "identity_l1": {…},
 *                 "r1": {…} },
 *     "optimizer": {…}, "schedule": {…}, "sampling": {…} }
 *
 * Every key is optional; a missing key takes its default.  The keys, their
 * types, ranges and defaults are defined in ONE place, the table `fields` in
 * presets/recipe.c, and gcp_recipe_schema_text() prints it.  Reading is strict:
 * an unknown key, a value of the wrong type, an out-of-range value or a
 * contradiction between keys is an error (GCP_ERROR_INVALID) whose message
 * starts with the key's path, e.g.
 *   "losses.nce.tau: must be in (0, 10], got -1".
 * Text that is not JSON, or JSON whose root is not an object, gives
 * GCP_ERROR_CORRUPT.
 */
#pragma once

#include <gcp/gcp-error.h>
#include <gcut/gcut-plan.h>

G_BEGIN_DECLS

typedef enum
{
  GCP_GENERATOR_RESNET,         /* CUT's ResnetGenerator */
  GCP_GENERATOR_STYLEGAN2_LITE, /* SinCUT's small StyleGAN2-style network */
} GcpGeneratorKind;

typedef enum
{
  GCP_DISCRIMINATOR_PATCHGAN,
  GCP_DISCRIMINATOR_STYLEGAN2_LITE,
} GcpDiscriminatorKind;

typedef enum
{
  GCP_GAN_LSGAN,
  GCP_GAN_NONSATURATING,
} GcpGanKind;

typedef enum
{
  GCP_NCE_PATCHNCE,
  GCP_NCE_DCE,
  GCP_NCE_HDCE,
  GCP_NCE_WEIGHTNCE,
  GCP_NCE_MONCE,
} GcpNceKind;

typedef enum
{
  GCP_NEGATIVES_SAME_IMAGE,   /* CUT: negatives from the same image */
  GCP_NEGATIVES_ACROSS_CROPS, /* SinCUT: from every crop of the batch */
} GcpNegatives;

typedef enum
{
  GCP_HDCE_OFFICIAL, /* weights multiply the similarity (the authors' code) */
  GCP_HDCE_PAPER,    /* importance sampling e^{s/τ}·e^{k·k/Γ} (the paper) */
} GcpHdceForm;

typedef enum
{
  GCP_GAMMA_LINEAR,  /* Γ from gamma_start to gamma_end over the run */
  GCP_GAMMA_STEPPED, /* the same, then Γ = 1 after gamma_step_at (step_gamma) */
} GcpGammaSchedule;

typedef enum
{
  GCP_MONCE_HARD, /* cost e^{s/β}: unpaired */
  GCP_MONCE_EASY, /* cost e^{(1−s)/β}: paired */
} GcpMonceCost;

typedef enum
{
  GCP_SRC_JSD, /* Jensen–Shannon divergence (the paper) */
  GCP_SRC_KL,  /* KL(P‖Q) */
} GcpSrcVariant;

typedef enum
{
  GCP_SAMPLING_RESIZE_CROP, /* CUT's resize_and_crop */
  GCP_SAMPLING_ZOOM_CROPS,  /* SinCUT's zoom_and_patch */
} GcpSamplingMode;

typedef enum
{
  GCP_PRECISION_EXACT, /* float32 everywhere, reproducible */
  GCP_PRECISION_FAST,  /* transform-based algorithms (Winograd), float32 */
  GCP_PRECISION_BF16,  /* also bf16 operands where the CPU has them */
} GcpPrecision;

typedef struct
{
  GcpGeneratorKind kind;
  int ngf;
  int n_blocks;
  gboolean antialias;    /* blur downsampling */
  gboolean antialias_up; /* blur upsampling */
  int n_downsampling;    /* stylegan2-lite only */
} GcpGeneratorConfig;

typedef struct
{
  char *description;
  gint64 seed;
  GcpPrecision precision;
  char *init;       /* the base model to fine-tune (name or path); NULL or "": none */
  gboolean palette; /* record the style images' palette in the model */

  GcpGeneratorConfig generator;
  struct
  {
    GcpDiscriminatorKind kind;
    int ndf;
    int n_layers;
    gboolean antialias;
  } discriminator;
  struct
  {
    int nc;        /* width of the projection MLPs */
    int n_patches; /* P, locations sampled per tap */
  } heads;

  struct
  {
    GcpGanKind kind;
    double weight; /* λ_GAN */
  } gan;
  struct
  {
    GcpNceKind kind;
    double weight; /* λ_NCE (λ_hDCE, …) */
    double tau;
    gboolean identity;          /* the same loss on (y, G(y)) */
    gboolean flip_equivariance; /* FastCUT */
    GcpNegatives negatives;
    double gamma_start, gamma_end; /* hDCE's Γ, linear over the steps */
    GcpGammaSchedule gamma_schedule;
    gint64 gamma_step_at;
    GcpHdceForm hdce_form;
    double beta; /* WeightNCE / MoNCE temperature */
    double q;    /* MoNCE/WeightNCE negative scale Q */
    GcpMonceCost monce_cost;
    int sinkhorn_iters; /* MoNCE */
  } nce;
  struct
  {
    double weight; /* λ_SRC; 0 turns SRC off */
    GcpSrcVariant variant;
  } src;
  struct
  {
    double weight; /* L1 identity ‖G(y) − y‖₁; 0 turns it off */
  } identity_l1;
  struct
  {
    double weight; /* λ_R1; 0 turns it off */
    int interval;  /* every this many steps */
  } r1;

  struct
  {
    double lr, beta1, beta2, eps;
  } optimizer;
  struct
  {
    gint64 steps;
    gint64 decay_start; /* constant rate before, linear to 0 after */
  } schedule;
  struct
  {
    GcpSamplingMode mode;
    int load_size; /* resize_crop */
    int crop_size;
    double zoom_min, zoom_max; /* zoom_crops */
    gboolean flip;
    int batch; /* crops per step and per image (SinCUT: 16) */
  } sampling;
} GcpRecipe;

/* Every field at its default (CUT's values). */
GcpRecipe *gcp_recipe_new_default (void);
/* The engine's precision for the recipe's "precision". */
GcutPrecision gcp_recipe_engine_precision (const GcpRecipe *recipe);
void gcp_recipe_free (GcpRecipe *recipe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcpRecipe, gcp_recipe_free)
GcpRecipe *gcp_recipe_copy (const GcpRecipe *recipe);
/* Changes the run's length, keeping the recipe's share of constant rate and decay. */
void gcp_recipe_set_steps (GcpRecipe *recipe, gint64 steps);

/* Parses and validates JSON text (len −1: NUL-terminated). */
GcpRecipe *gcp_recipe_parse (const char *text, gssize len, GError **error);
/* Reads a regular file (gcp_read_regular) of at most 1 MiB; parse errors are
 * prefixed with its name. */
GcpRecipe *gcp_recipe_load_file (const char *path, GError **error);
/* A bare name ("cut", "cut.json") found by gcp_recipe_find, or a path (any
 * name with a '/'). */
GcpRecipe *gcp_recipe_load (const char *name_or_path, GError **error);

/* Checks ranges, what float32 makes of each number, the keys that depend on
 * each other, and that the networks can run on the crops (also after a
 * caller changed fields); the message names the key. */
gboolean gcp_recipe_validate (const GcpRecipe *recipe, GError **error);

/* The StyleGAN2-lite discriminator's input size for a crop side (the official
 * min(load_size, crop_size) as a power of two, 8 to 1024), or 0 when none
 * fits: it takes sides from size to 5/4·size − 1.  A validated recipe's crop
 * fits. */
int gcp_stylegan2_discriminator_size (int crop);

/* The whole recipe as pretty JSON with every key (newly allocated). */
char *gcp_recipe_to_json (const GcpRecipe *recipe);
/* The generator's configuration as compact JSON: the "architecture" of a
 * model file ({"kind": "resnet", "ngf": 64, …}). */
char *gcp_generator_config_to_json (const GcpGeneratorConfig *config);
/* Parses that JSON strictly (unknown keys are errors; missing keys take the
 * recipe defaults). */
gboolean gcp_generator_config_parse (const char *text, GcpGeneratorConfig *config,
                                     GError **error);

/* NULL when a and b make the same network (the keys its kind does not use are
 * not compared), else the keys that differ with both values, labelled, e.g.
 * "ngf 16 (the recipe) / 32 (the base), n_blocks 5 (the recipe) / 9 (the
 * base)"; newly allocated. */
char *gcp_generator_config_differences (const GcpGeneratorConfig *a, const char *a_label,
                                        const GcpGeneratorConfig *b, const char *b_label);

/* Where a bare recipe name is looked for, in order: each folder of
 * $GEGL_CUT_RECIPE_PATH (colon-separated; the tests point it at the source
 * tree's presets/recipes), $XDG_DATA_HOME/gegl-cut/recipes, then
 * gegl-cut/recipes under the installed data dir and the system data dirs.
 * ".json" is appended when the name lacks it.  A name with a '/' is returned
 * as it is.  Bare names may hold only letters, digits, '.', '-' and '_' and may
 * not start with '.'. */
char *gcp_recipe_find (const char *name, GError **error);
/* The bare names of the recipes in those folders, sorted, each once;
 * NULL-terminated, free with g_strfreev. */
char **gcp_recipe_list (void);

/* Every key with its type, range, default and meaning, one per line. */
char *gcp_recipe_schema_text (void);

G_END_DECLS
