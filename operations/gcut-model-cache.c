/* gegl-cut operations: trained models, loaded once per file version. */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gcp/gcp-model-file.h>

#include "gcut-ops.h"

struct _GcutOpsModel
{
  gint ref_count;
  GcutNetwork *G, *F;
};

typedef struct
{
  char *path;
  gint64 mtime;
  goffset size;
  GcutOpsModel *model;
} Entry;

/* A few recent files: enough for a graph that compares models, small enough
 * that stale generators do not pile up in GIMP's memory. */
#define CACHE_SIZE 4

static GMutex cache_lock;
static Entry cache[CACHE_SIZE];

GcutOpsModel *
gcut_ops_model_new (GcutNetwork *G, GcutNetwork *F)
{
  GcutOpsModel *model = g_new0 (GcutOpsModel, 1);
  model->ref_count = 1;
  model->G = G;
  model->F = F;
  return model;
}

GcutOpsModel *
gcut_ops_model_ref (GcutOpsModel *model)
{
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
gcut_ops_model_unref (GcutOpsModel *model)
{
  if (!model || !g_atomic_int_dec_and_test (&model->ref_count))
    return;
  gcut_network_free (model->G);
  gcut_network_free (model->F);
  g_free (model);
}

GcutNetwork *
gcut_ops_model_generator (GcutOpsModel *model)
{
  return model->G;
}

GcutNetwork *
gcut_ops_model_heads (GcutOpsModel *model)
{
  return model->F;
}

/* F is optional: models from before it was saved, or from other tools, still
 * translate; only the similarity op falls back to the raw encoder features. */
static GcutNetwork *
load_heads (GcpModel *file, GcutNetwork *G)
{
  const char *recipe_json = gcp_model_recipe_json (file);
  g_autoptr (GcpRecipe) recipe = NULL;
  int channels[GCUT_GENERATOR_N_TAPS];
  GcutNetwork *F;

  if (!recipe_json || !gcp_model_has (file, "F.")
      || gcut_network_kind (G) != GCUT_NETWORK_RESNET_GENERATOR)
    return NULL;
  recipe = gcp_recipe_parse (recipe_json, -1, NULL);
  if (!recipe)
    return NULL;
  for (int t = 0; t < GCUT_GENERATOR_N_TAPS; t++)
    channels[t] = gcut_resnet_generator_tap_channels (G, t);
  F = gcut_patch_heads_new (channels, GCUT_GENERATOR_N_TAPS, recipe->heads.nc);
  if (F && !gcp_model_load_network (file, "F.", F, NULL))
    g_clear_pointer (&F, gcut_network_free);
  return F;
}

static GcutOpsModel *
load (const char *path, GError **error)
{
  g_autoptr (GcpModel) file = gcp_model_load (path, error);
  GcutNetwork *G;

  if (!file)
    return NULL;
  G = gcp_model_steal_generator (file);
  return gcut_ops_model_new (G, load_heads (file, G));
}

GcutOpsModel *
gcut_ops_model_get (const char *name_or_path, GError **error)
{
  g_autofree char *path = NULL;
  GStatBuf st;
  GcutOpsModel *model;
  int slot = 0;

  if (!name_or_path || !*name_or_path)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           _ ("No model chosen"));
      return NULL;
    }
  path = gcp_model_find (name_or_path, error);
  if (!path)
    return NULL;
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return NULL;
    }

  g_mutex_lock (&cache_lock);
  for (int i = 0; i < CACHE_SIZE; i++)
    if (cache[i].path && !strcmp (cache[i].path, path))
      {
        if (cache[i].mtime == (gint64)st.st_mtime && cache[i].size == st.st_size)
          {
            model = gcut_ops_model_ref (cache[i].model);
            g_mutex_unlock (&cache_lock);
            return model;
          }
        slot = i;
      }
  model = load (path, error);
  if (model)
    {
      /* Reuse the slot of an older version of this file, else drop the last. */
      if (!cache[slot].path || strcmp (cache[slot].path, path))
        slot = CACHE_SIZE - 1;
      g_free (cache[slot].path);
      gcut_ops_model_unref (cache[slot].model);
      memmove (cache + 1, cache, slot * sizeof (Entry));
      cache[0] = (Entry){ g_strdup (path), (gint64)st.st_mtime, st.st_size,
                          gcut_ops_model_ref (model) };
    }
  g_mutex_unlock (&cache_lock);
  return model;
}
