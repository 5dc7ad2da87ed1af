/* gegl-cut operations: trained models, loaded once per file version. */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gcp/gcp-model-file.h>
#include <gct-palette.h>
#include <gct-strength.h>

#include "gcut-ops.h"

/* Interpolations kept per model: a slider's last positions. */
#define N_STRENGTHS 2

struct _GcutOpsModel
{
  gint ref_count;
  GcutNetwork *G, *F;
  /* A model from a file that records its base: the file's architecture, the
   * base record and the file's folder (where the base may lie too). */
  GcpGeneratorConfig architecture;
  GcpBaseRecord base; /* name NULL: none */
  char *folder;
  float *palette;      /* the file's (gcp_model_palette); NULL: none */
  GMutex lock;         /* for what follows */
  GcutNetwork *base_G; /* the base's generator, once loaded */
  double strength[N_STRENGTHS];
  GcutOpsModel *at[N_STRENGTHS]; /* the last interpolations, newest first */
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
  g_mutex_init (&model->lock);
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
  g_free (model->base.name);
  g_free (model->base.sha256);
  g_free (model->folder);
  g_free (model->palette);
  gcut_network_free (model->base_G);
  for (int i = 0; i < N_STRENGTHS; i++)
    gcut_ops_model_unref (model->at[i]);
  g_mutex_clear (&model->lock);
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

const float *
gcut_ops_model_palette (GcutOpsModel *model)
{
  return model->palette;
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
  const GcpBaseRecord *base;
  GcutNetwork *G;
  GcutOpsModel *model;

  if (!file)
    return NULL;
  G = gcp_model_steal_generator (file);
  model = gcut_ops_model_new (G, load_heads (file, G));
  model->architecture = *gcp_model_architecture (file);
  model->palette = gct_palette_copy (gcp_model_palette (file));
  if ((base = gcp_model_base (file)))
    {
      model->base.name = g_strdup (base->name);
      model->base.sha256 = g_strdup (base->sha256);
      model->folder = g_path_get_dirname (path);
    }
  return model;
}

/* The interpolation at strength s, made under the model's lock.  The base is
 * loaded once; a base that cannot be used is looked for again next time (it
 * may have been installed since). */
static GcutOpsModel *
interpolate (GcutOpsModel *model, double s, GError **error)
{
  GcutNetwork *G;
  GcutOpsModel *at;

  if (!model->base_G)
    {
      g_autoptr (GcpModel) base = gcp_model_load_base (&model->base, model->folder,
                                                       &model->architecture, error);
      if (!base)
        return NULL;
      model->base_G = gcp_model_steal_generator (base);
    }
  G = gct_strength_interpolate (model->base_G, model->G, &model->architecture, s, error);
  if (!G)
    return NULL;
  at = gcut_ops_model_new (G, NULL);
  gcut_ops_model_unref (model->at[N_STRENGTHS - 1]);
  memmove (model->at + 1, model->at, (N_STRENGTHS - 1) * sizeof *model->at);
  memmove (model->strength + 1, model->strength,
           (N_STRENGTHS - 1) * sizeof *model->strength);
  model->at[0] = gcut_ops_model_ref (at);
  model->strength[0] = s;
  return at;
}

GcutOpsModel *
gcut_ops_model_at_strength (GcutOpsModel *model, double s, GError **error)
{
  GcutOpsModel *at = NULL;

  if (s >= 1)
    return gcut_ops_model_ref (model);
  if (!model->base.name)
    return NULL;
  g_mutex_lock (&model->lock);
  for (int i = 0; i < N_STRENGTHS && !at; i++)
    if (model->at[i] && model->strength[i] == s)
      at = gcut_ops_model_ref (model->at[i]);
  if (!at)
    at = interpolate (model, s, error);
  g_mutex_unlock (&model->lock);
  return at;
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
