/* Shared inside the presets library. */
#pragma once

#include <glib.h>
#include <gcp/gcp-recipe.h>

G_BEGIN_DECLS

/* What a model or checkpoint header can hold (safetensors-private.h): the
 * tensors and names of the largest networks recipes make, and the metadata. */
typedef struct _GcpHeaderLimits GcpHeaderLimits;
const GcpHeaderLimits *gcp_model_header_limits (void);

/* Recipes are read whole; none needs more. */
#define GCP_MAX_RECIPE_BYTES (1 << 20)

/* The largest value the recipe schema allows for the numeric key path
 * ("architecture.generator.n_blocks"). */
double gcp_recipe_key_max (const char *path);

/* The path of preset `name`: as given when it contains a '/', else the first
 * file name + ext (unless name ends in it) found in the folders of the
 * environment variable env (colon-separated), then $XDG_DATA_HOME/gegl-cut/sub,
 * the installed data dir's and each system data dir's gegl-cut/sub.  Errors say
 * "<what>" ("model", "recipe") and list the folders looked in. */
char *gcp_data_find (const char *name, const char *what, const char *ext, const char *env,
                     const char *sub, GError **error);
/* The bare names (without ext) of the files in those folders, sorted, each
 * once (an earlier folder hides a later one's file, as in lookups);
 * NULL-terminated, free with g_strfreev. */
char **gcp_data_list (const char *ext, const char *env, const char *sub);

/* Whether the recipe's generator and discriminator can run on its crops and
 * leave each contrastive patch a negative, by building narrow copies of them;
 * the error names the key to change.  Part of gcp_recipe_validate(). */
gboolean gcp_recipe_check_networks (const GcpRecipe *recipe, GError **error);

G_END_DECLS
