/* gegl-cut presets: model files, what users call presets.
 *
 * A model is one .safetensors file (see gcp-safetensors.h) holding
 *   - G's parameters as "G." + the official state-dict name (F32),
 *   - optionally D's ("D."), F's ("F.") and the optimizer states
 *     ("adam.G.m", "adam.G.v", "adam.G.step", the same for D and F) for
 *     resuming a training run,
 * and "__metadata__" strings:
 *   "format"       "gegl-cut/1"
 *   "architecture" the generator's configuration as JSON,
 *                  {"kind": "resnet", "ngf": 64, "n_blocks": 9, …}
 *   "recipe"       the full recipe as JSON (gcp_recipe_to_json)
 *   "training"     the training record as JSON (gcp_training_record_to_json)
 *   "source"       (models made by gcut-import from a checkpoint of the
 *                  official PyTorch code) where it came from, as JSON: the
 *                  checkpoint's and options file's names and SHA-256, the
 *                  official options
 *   "base"         only in a fine-tuned model: the base model training started
 *                  from, {"name": "photo-base", "sha256": "<64 hex digits>"},
 *                  its name (the file name without ".safetensors") and the
 *                  SHA-256 of its file's bytes, so that a front door can find
 *                  it again and interpolate between the two (style strength)
 * and, in a model trained with the recipe's palette on, the tensor "palette"
 * (F32, [3, GCP_PALETTE_LEVELS]): the painting's palette (gct-palette.h).
 *
 * The reader checks, before copying any weight: the format string, the
 * architecture (parsed strictly), that "recipe", "training" and "source"
 * (when present) are JSON objects, that "base" (when present) is an object of
 * exactly those two strings (a name of at most 255 bytes without '/' or
 * control characters, 64 lowercase hex digits), that the file holds exactly
 * G's tensors under "G." with
 * the shapes the architecture implies, that every weight is finite, and that
 * a palette has its shape and holds finite, non-decreasing levels in range.
 * Nothing a file holds can make it abort or allocate more than the file's
 * tensors imply.
 */
#pragma once

#include <gcp/gcp-recipe.h>
#include <gcp/gcp-safetensors.h>
#include <gcut/gcut-network.h>

G_BEGIN_DECLS

#define GCP_MODEL_FORMAT "gegl-cut/1"

typedef struct _GcpModel GcpModel;

/* A path, or a bare name resolved by gcp_model_find. */
GcpModel *gcp_model_load (const char *name_or_path, GError **error);
/* A whole file in memory (keeps a reference to bytes). */
GcpModel *gcp_model_parse (GBytes *bytes, GError **error);
void gcp_model_free (GcpModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcpModel, gcp_model_free)

const GcpGeneratorConfig *gcp_model_architecture (const GcpModel *model);
/* The generator with the file's weights; owned by the model. */
GcutNetwork *gcp_model_generator (GcpModel *model);
/* Takes the generator out of the model (the caller frees it). */
GcutNetwork *gcp_model_steal_generator (GcpModel *model);
/* Metadata strings; NULL when absent. */
const char *gcp_model_recipe_json (const GcpModel *model);
const char *gcp_model_training_json (const GcpModel *model);
/* The base a fine-tuned model records (see "base" above). */
typedef struct
{
  char *name;
  char *sha256; /* lowercase hex */
} GcpBaseRecord;

/* The model's base; NULL for a model trained from random weights. */
const GcpBaseRecord *gcp_model_base (const GcpModel *model);

/* Quantiles per channel of a palette (see "palette" above). */
#define GCP_PALETTE_LEVELS 256
/* The model's palette, 3 × GCP_PALETTE_LEVELS floats (Y', Cb, Cr); NULL for a
 * model without one. */
const float *gcp_model_palette (const GcpModel *model);
/* {"name": …, "sha256": …} */
char *gcp_base_record_to_json (const GcpBaseRecord *base);
/* The SHA-256 of the bytes of the model's file, lowercase hex (newly allocated). */
char *gcp_model_sha256 (const GcpModel *model);
/* Loads the base a model records: the file of its name found as gcp_model_find
 * finds bare names, then NAME.safetensors in beside (the fine-tuned model's
 * folder; may be NULL); the first whose bytes have the recorded SHA-256.  Its
 * generator must be of the architecture arch (GCP_ERROR_MISMATCH naming the
 * keys that differ).  GCP_ERROR_NOT_FOUND when no file has that name,
 * GCP_ERROR_MISMATCH when none has that checksum. */
GcpModel *gcp_model_load_base (const GcpBaseRecord *base, const char *beside,
                               const GcpGeneratorConfig *arch, GError **error);

/* The file, for the optional parts (D, F, optimizer states). */
const GcpSafetensors *gcp_model_file (const GcpModel *model);
/* Whether the file has any tensor under prefix ("D.", "adam.G.", …). */
gboolean gcp_model_has (const GcpModel *model, const char *prefix);
/* Loads net from the tensors under prefix: shapes checked before copying,
 * non-finite values refused. */
gboolean gcp_model_load_network (const GcpModel *model, const char *prefix,
                                 GcutNetwork *net, GError **error);

/* The number of parameters a resnet generator of this configuration has
 * (without building it). */
gint64 gcp_generator_n_params (const GcpGeneratorConfig *config);
/* An engine network for the configuration (NULL with an error for a kind the
 * engine does not build yet). */
GcutNetwork *gcp_generator_new (const GcpGeneratorConfig *config, GError **error);

/* What a training run records in its model. */
typedef struct
{
  const char *name;
  double value;
} GcpLossValue;

/* The images of one side: one image of width × height (n_images 0 or 1;
 * none: all 0 and sha256 NULL), or a set of n_images > 1 whose sha256 is the
 * set's checksum. */
typedef struct
{
  int width, height;
  const char *sha256; /* hex, of the image file or its pixels */
  int n_images;
} GcpImageRecord;

typedef struct
{
  gint64 steps;
  double seconds;
  const char *device; /* "cpu", "cuda:0 (NVIDIA H100)", … */
  const GcpLossValue *losses;
  int n_losses;
  GcpImageRecord content, style;
} GcpTrainingRecord;

/* {"steps": …, "seconds": …, "device": …, "losses": {name: value, …},
 *  "content": {"width", "height", "sha256"}, "style": {…}}, where a set of
 *  several images is {"images": n, "sha256"} */
char *gcp_training_record_to_json (const GcpTrainingRecord *record);

/* A writer holding the metadata and G's tensors under "G." (borrowed: G must
 * outlive the save).  Add optional parts with gcp_network_add_to (writer, D,
 * "D.") or gct_adam_add_to (…, "adam.G."), then gcp_safetensors_writer_save,
 * which writes atomically.  recipe_json and training_json may be NULL. */
GcpSafetensorsWriter *gcp_model_writer_new (GcutNetwork *G,
                                            const GcpGeneratorConfig *architecture,
                                            const char *recipe_json,
                                            const char *training_json);
/* Records a fine-tuned model's base in the writer's metadata (NULL: none). */
void gcp_model_writer_set_base (GcpSafetensorsWriter *writer, const GcpBaseRecord *base);
/* Adds the palette levels (3 × GCP_PALETTE_LEVELS floats, kept by reference
 * until the writer saves); NULL adds none. */
void gcp_model_writer_set_palette (GcpSafetensorsWriter *writer, const float *levels);
/* The common case in one call: G (and D, F when not NULL). */
gboolean gcp_model_save (const char *path, GcutNetwork *G,
                         const GcpGeneratorConfig *architecture, const char *recipe_json,
                         const char *training_json, GcutNetwork *D, GcutNetwork *F,
                         GError **error);

/* A name with a '/' is a path and returned as it is; a bare name ("starry-night",
 * letters, digits, '.', '-', '_', not starting with '.') is looked for as
 * name.safetensors in each folder of $GEGL_CUT_MODEL_PATH (colon-separated),
 * $XDG_DATA_HOME/gegl-cut/models, then gegl-cut/models under the installed
 * data dir and the system data dirs. */
char *gcp_model_find (const char *name, GError **error);
/* The bare names of the models in those folders (without ".safetensors"),
 * sorted, each once; NULL-terminated, free with g_strfreev. */
char **gcp_model_list (void);

G_END_DECLS
