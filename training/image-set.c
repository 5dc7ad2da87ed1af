/* gegl-cut training: the images of one side of a run, and their samplers
 * (gct-image-set.h). */
#include <string.h>

#include "gct-image-set.h"

typedef struct
{
  char *path;             /* NULL: a reader */
  GctImageReader *reader; /* borrowed; NULL: a file */
} Entry;

struct _GctImageSet
{
  GArray *entries;    /* Entry */
  GPtrArray *skipped; /* "FILE: why", NULL-terminated */
};

static void
entry_clear (gpointer p)
{
  g_free (((Entry *)p)->path);
}

GctImageSet *
gct_image_set_new (void)
{
  GctImageSet *set = g_new0 (GctImageSet, 1);
  set->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (set->entries, entry_clear);
  set->skipped = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (set->skipped, NULL);
  return set;
}

void
gct_image_set_free (GctImageSet *set)
{
  if (!set)
    return;
  g_array_unref (set->entries);
  g_ptr_array_unref (set->skipped);
  g_free (set);
}

static void
add_file (GctImageSet *set, const char *path)
{
  Entry e = { g_strdup (path), NULL };
  g_array_append_val (set->entries, e);
}

static void
skip (GctImageSet *set, const char *path, const char *why)
{
  g_ptr_array_insert (set->skipped, (gint)set->skipped->len - 1,
                      g_strdup_printf ("%s: %s", path, why));
}

static int
compare_bytes (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static gboolean
add_folder (GctImageSet *set, const char *path, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint before = set->entries->len;

  if (!dir)
    return FALSE;
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_strdup (name));
  /* Byte order: the same set in every locale. */
  g_ptr_array_sort (names, compare_bytes);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (path, names->pdata[i], NULL);
      if (g_file_test (file, G_FILE_TEST_IS_DIR))
        skip (set, file, "a folder (folders are not searched)");
      else if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
        skip (set, file, "not a regular file");
      else if (!gct_image_file_name (names->pdata[i]))
        skip (set, file, "not an image (by its name)");
      else
        add_file (set, file);
    }
  if (set->entries->len == before)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no images in this folder", path);
      return FALSE;
    }
  return TRUE;
}

gboolean
gct_image_set_add_path (GctImageSet *set, const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return add_folder (set, path, error);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no such image file or folder", path);
      return FALSE;
    }
  add_file (set, path);
  return TRUE;
}

void
gct_image_set_add_reader (GctImageSet *set, GctImageReader *reader)
{
  Entry e = { NULL, reader };
  g_array_append_val (set->entries, e);
}

GctImageSet *
gct_image_set_of (GctImageReader *reader)
{
  GctImageSet *set = gct_image_set_new ();
  if (reader)
    gct_image_set_add_reader (set, reader);
  return set;
}

guint
gct_image_set_size (const GctImageSet *set)
{
  return set->entries->len;
}

const char *
gct_image_set_path (const GctImageSet *set, guint i)
{
  return g_array_index (set->entries, Entry, i).path;
}

const char *
gct_image_set_name (const GctImageSet *set, guint i)
{
  const Entry *e = &g_array_index (set->entries, Entry, i);
  return e->path ? e->path : gct_image_reader_name (e->reader);
}

const char *const *
gct_image_set_skipped (const GctImageSet *set)
{
  return (const char *const *)set->skipped->pdata;
}

/* ---- sampling ---- */

typedef struct
{
  GctSampler *sampler;
  int width, height;
  char *sha256;
} Image;

struct _GctSetSampler
{
  Image *images;
  guint n;
  int crop;
  char *sha256;
};

void
gct_set_sampler_free (GctSetSampler *s)
{
  if (!s)
    return;
  for (guint i = 0; i < s->n; i++)
    {
      gct_sampler_free (s->images[i].sampler);
      g_free (s->images[i].sha256);
    }
  g_free (s->images);
  g_free (s->sha256);
  g_free (s);
}

GctSetSampler *
gct_set_sampler_new (const GctImageSet *set, const GctSamplingConfig *config,
                     GctHistogram *histogram, GError **error)
{
  g_autoptr (GctSetSampler) s = g_new0 (GctSetSampler, 1);
  guint n = gct_image_set_size (set);

  if (n == 0)
    {
      g_set_error (error, GCT_SAMPLING_ERROR, 0, "no images");
      return NULL;
    }
  s->images = g_new0 (Image, n);
  s->crop = config->crop_size;
  for (guint i = 0; i < n; i++, s->n++)
    {
      const Entry *e = &g_array_index (set->entries, Entry, i);
      g_autoptr (GctImageReader) opened
          = e->reader ? NULL : gct_image_reader_open (e->path, error);
      GctImageReader *image = e->reader ? e->reader : opened;
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      Image *im = &s->images[i];

      if (!image
          || !(im->sampler = gct_sampler_new (image, config, sum, histogram, error)))
        return NULL;
      im->width = gct_image_reader_width (image);
      im->height = gct_image_reader_height (image);
      im->sha256 = g_strdup (g_checksum_get_string (sum));
    }
  if (n == 1)
    s->sha256 = g_strdup (s->images[0].sha256);
  else
    {
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      for (guint i = 0; i < n; i++)
        {
          g_checksum_update (sum, (const guchar *)s->images[i].sha256, -1);
          g_checksum_update (sum, (const guchar *)"\n", 1);
        }
      s->sha256 = g_strdup (g_checksum_get_string (sum));
    }
  return g_steal_pointer (&s);
}

void
gct_set_sampler_sample (GctSetSampler *s, GctRng *rng, int n, float *out)
{
  const gsize per = (gsize)3 * s->crop * s->crop;

  if (s->n == 1)
    {
      gct_sampler_sample (s->images[0].sampler, rng, n, out);
      return;
    }
  for (int b = 0; b < n; b++)
    {
      guint i = (guint)gct_rng_range (rng, 0, s->n - 1);
      gct_sampler_sample (s->images[i].sampler, rng, 1, out + b * per);
    }
}

guint
gct_set_sampler_n_images (const GctSetSampler *s)
{
  return s->n;
}

void
gct_set_sampler_image (const GctSetSampler *s, guint i, int *width, int *height,
                       const char **sha256)
{
  *width = s->images[i].width;
  *height = s->images[i].height;
  *sha256 = s->images[i].sha256;
}

const char *
gct_set_sampler_sha256 (const GctSetSampler *s)
{
  return s->sha256;
}
