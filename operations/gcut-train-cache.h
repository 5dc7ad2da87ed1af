/* gegl-cut operations: what gcut:train keeps of a finished run, and the cache
 * that spares previews from training twice. */
#pragma once

#include <gct-trainer.h>

#include "gcut-ops.h"

typedef struct _GcutTrainResult GcutTrainResult;

/* Copies the trained networks and the model's metadata out of trainer;
 * NULL when they do not fit in memory. */
GcutTrainResult *gcut_train_result_new (GctTrainer *trainer, const char *key,
                                        GError **error);
void gcut_train_result_unref (GcutTrainResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutTrainResult, gcut_train_result_unref)
GcutNetwork *gcut_train_result_generator (GcutTrainResult *result);
/* The style's palette when the recipe records one (gct_trainer_palette). */
const float *gcut_train_result_palette (GcutTrainResult *result);
/* Writes the model file (atomically), as gcut-train would. */
gboolean gcut_train_result_save (GcutTrainResult *result, const char *path,
                                 GError **error);

/* The init property over the recipe's: empty keeps the recipe's, "none"
 * clears it, anything else names the base. */
void gcut_train_apply_init (GcpRecipe *recipe, const char *init);

/* A digest of the pixels of both inputs and of the settings that change the
 * result (the recipe's text, not its name, so an edited recipe file counts,
 * and the base model's bytes, so an edited base does too). */
char *gcut_train_key (GeglBuffer *content, GeglBuffer *style, const char *recipe,
                      const char *init, int steps, int seed, const char *device,
                      GError **error);
GcutTrainResult *gcut_train_cache_lookup (const char *key);
void gcut_train_cache_insert (GcutTrainResult *result);
