/* gegl-cut operations: finished gcut:train runs, kept per inputs and settings. */
#include <string.h>

#include <gcp/gcp-model-file.h>

#include "gcut-train-cache.h"

struct _GcutTrainResult
{
  gint ref_count;
  char *key;
  GcutNetwork *G, *F;
  GcpGeneratorConfig architecture;
  char *recipe_json, *training_json;
};

/* Two results: the run being tuned and the one before, to compare. */
#define CACHE_SIZE 2

static GMutex cache_lock;
static GcutTrainResult *cache[CACHE_SIZE];

GcutTrainResult *
gcut_train_result_new (GctTrainer *trainer, const char *key, GError **error)
{
  const GcpRecipe *recipe = gct_trainer_recipe (trainer);
  g_autoptr (GcutTrainResult) r = g_new0 (GcutTrainResult, 1);

  r->ref_count = 1;
  r->key = g_strdup (key);
  r->architecture = recipe->generator;
  /* Copies, whatever kind of networks the recipe made (a SinCUT G has
   * three taps and different widths). */
  r->G = gcut_network_copy (gct_trainer_generator (trainer));
  r->F = r->G ? gcut_network_copy (gct_trainer_heads (trainer)) : NULL;
  if (!r->F)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                           _ ("Not enough memory to keep the trained model"));
      return NULL;
    }
  r->recipe_json = gcp_recipe_to_json (recipe);
  r->training_json = gct_trainer_training_json (trainer);
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
  g_free (r);
}

GcutNetwork *
gcut_train_result_generator (GcutTrainResult *r)
{
  return r->G;
}

gboolean
gcut_train_result_save (GcutTrainResult *r, const char *path, GError **error)
{
  return gcp_model_save (path, r->G, &r->architecture, r->recipe_json, r->training_json,
                         NULL, r->F, error);
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
        gegl_buffer_get (buffer, &r, 1.0, babl_format ("R'G'B'A float"), strip,
                         GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
        g_checksum_update (sum, (const guchar *)strip,
                           (gsize)r.width * r.height * 4 * sizeof (float));
      }
}

char *
gcut_train_key (GeglBuffer *content, GeglBuffer *style, const char *recipe_name,
                int steps, int seed, const char *device, GError **error)
{
  g_autoptr (GcpRecipe) recipe = gcp_recipe_load (recipe_name, error);
  g_autoptr (GChecksum) sum = NULL;
  g_autofree char *recipe_json = NULL, *settings = NULL;

  if (!recipe)
    return NULL;
  recipe_json = gcp_recipe_to_json (recipe);
  settings = g_strdup_printf ("%d %d %s", steps, seed, device);
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  digest_pixels (sum, content);
  digest_pixels (sum, style);
  g_checksum_update (sum, (const guchar *)recipe_json, -1);
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
