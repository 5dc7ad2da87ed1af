/* gegl-cut operations: finished gcut:train runs, kept per inputs and settings. */
#include <string.h>

#include <gcp/gcp-model-file.h>
#include <gcp/gcp-network-io.h>
#include <gct-palette.h>

#include "gcut-train-cache.h"

struct _GcutTrainResult
{
  gint ref_count;
  char *key;
  GcutNetwork *G, *F; /* F NULL for a recipe without NCE or SRC */
  GcpGeneratorConfig architecture;
  char *recipe_json, *training_json;
  GcpBaseRecord base; /* name NULL: none */
  float *palette;     /* NULL: none */
};

/* Two results: the run being tuned and the one before, to compare. */
#define CACHE_SIZE 2

static GMutex cache_lock;
static GcutTrainResult *cache[CACHE_SIZE];

GcutTrainResult *
gcut_train_result_new (GctTrainer *trainer, const char *key, GError **error)
{
  const GcpRecipe *recipe = gct_trainer_recipe (trainer);
  const GcpBaseRecord *base = gct_trainer_base (trainer, NULL);
  GcutNetwork *F = gct_trainer_heads (trainer);
  g_autoptr (GcutTrainResult) r = g_new0 (GcutTrainResult, 1);

  r->ref_count = 1;
  r->key = g_strdup (key);
  r->architecture = recipe->generator;
  /* Copies, whatever kind of networks the recipe made (a SinCUT G has
   * three taps and different widths). */
  r->G = gcut_network_copy (gct_trainer_generator (trainer));
  r->F = r->G && F ? gcut_network_copy (F) : NULL;
  if (!r->G || (F && !r->F))
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                           _ ("Not enough memory to keep the trained model"));
      return NULL;
    }
  r->recipe_json = gcp_recipe_to_json (recipe);
  r->training_json = gct_trainer_training_json (trainer);
  if (base)
    {
      r->base.name = g_strdup (base->name);
      r->base.sha256 = g_strdup (base->sha256);
    }
  r->palette = gct_palette_copy (gct_trainer_palette (trainer));
  return g_steal_pointer (&r);
}

static GcutTrainResult *
result_ref (GcutTrainResult *r)
{
  g_atomic_int_inc (&r->ref_count);
  return r;
}

void
gcut_train_result_unref (GcutTrainResult *r)
{
  if (!r || !g_atomic_int_dec_and_test (&r->ref_count))
    return;
  gcut_network_free (r->G);
  gcut_network_free (r->F);
  g_free (r->key);
  g_free (r->recipe_json);
  g_free (r->training_json);
  g_free (r->base.name);
  g_free (r->base.sha256);
  g_free (r->palette);
  g_free (r);
}

GcutNetwork *
gcut_train_result_generator (GcutTrainResult *r)
{
  return r->G;
}

const float *
gcut_train_result_palette (GcutTrainResult *r)
{
  return r->palette;
}

gboolean
gcut_train_result_save (GcutTrainResult *r, const char *path, GError **error)
{
  g_autoptr (GcpSafetensorsWriter) w
      = gcp_model_writer_new (r->G, &r->architecture, r->recipe_json, r->training_json);
  gcp_model_writer_set_base (w, r->base.name ? &r->base : NULL);
  gcp_model_writer_set_palette (w, r->palette);
  if (r->F)
    gcp_network_add_to (r->F, w, "F.");
  return gcp_safetensors_writer_save (w, path, error);
}

/* Strips of at most a million pixels (a row in pieces when it is longer)
 * keep the digest's memory at 16 MB whatever the image's size; the bytes
 * digested are those of the whole image, row after row. */
static void
digest_pixels (GChecksum *sum, GeglBuffer *buffer)
{
  const GeglRectangle *box = gegl_buffer_get_extent (buffer);
  const int most = 1 << 20;
  int rows = MAX (1, most / MAX (box->width, 1)), cols = MIN (box->width, most);
  g_autofree float *strip = g_new (float, (gsize)rows *MAX (cols, 1) * 4);

  g_checksum_update (sum, (const guchar *)box, sizeof *box);
  for (int y = 0; y < box->height; y += rows)
    for (int x = 0; x < box->width; x += cols)
      {
        GeglRectangle r = { box->x + x, box->y + y, MIN (cols, box->width - x),
                            MIN (rows, box->height - y) };
        /* As training reads them, else a key could change with babl's choices. */
        if (!gct_buffer_get_rgba (buffer, &r, strip, NULL))
          gegl_buffer_get (buffer, &r, 1.0, babl_format ("R'G'B'A float"), strip,
                           GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
        g_checksum_update (sum, (const guchar *)strip,
                           (gsize)r.width * r.height * 4 * sizeof (float));
      }
}

void
gcut_train_apply_init (GcpRecipe *recipe, const char *init)
{
  if (!init || !*init)
    return;
  g_free (recipe->init);
  recipe->init = g_str_equal (init, "none") ? NULL : g_strdup (init);
}

/* The base's file goes into the key by its bytes (a missing one is left to
 * the trainer to report). */
static void
digest_base (GChecksum *sum, const char *init)
{
  g_autofree char *path = init && *init ? gcp_model_find (init, NULL) : NULL;
  g_autoptr (GMappedFile) file = path ? g_mapped_file_new (path, FALSE, NULL) : NULL;

  if (file)
    g_checksum_update (sum, (const guchar *)g_mapped_file_get_contents (file),
                       g_mapped_file_get_length (file));
}

char *
gcut_train_key (GeglBuffer *content, GeglBuffer *style, const char *recipe_name,
                const char *init, int steps, int seed, const char *device, GError **error)
{
  g_autoptr (GcpRecipe) recipe = gcp_recipe_load (recipe_name, error);
  g_autoptr (GChecksum) sum = NULL;
  g_autofree char *recipe_json = NULL, *settings = NULL;

  if (!recipe)
    return NULL;
  gcut_train_apply_init (recipe, init);
  recipe_json = gcp_recipe_to_json (recipe);
  settings = g_strdup_printf ("%d %d %s", steps, seed, device);
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  digest_pixels (sum, content);
  digest_pixels (sum, style);
  g_checksum_update (sum, (const guchar *)recipe_json, -1);
  digest_base (sum, recipe->init);
  g_checksum_update (sum, (const guchar *)settings, -1);
  return g_strdup (g_checksum_get_string (sum));
}

GcutTrainResult *
gcut_train_cache_lookup (const char *key)
{
  GcutTrainResult *found = NULL;
  g_mutex_lock (&cache_lock);
  for (int i = 0; i < CACHE_SIZE && !found; i++)
    if (cache[i] && !strcmp (cache[i]->key, key))
      found = result_ref (cache[i]);
  g_mutex_unlock (&cache_lock);
  return found;
}

void
gcut_train_cache_insert (GcutTrainResult *r)
{
  g_mutex_lock (&cache_lock);
  gcut_train_result_unref (cache[CACHE_SIZE - 1]);
  memmove (cache + 1, cache, (CACHE_SIZE - 1) * sizeof *cache);
  cache[0] = result_ref (r);
  g_mutex_unlock (&cache_lock);
}
