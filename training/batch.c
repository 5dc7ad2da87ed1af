/* gegl-cut training: the work list of a batch translation (gct-batch.h). */
#include <errno.h>
#include <glob.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gct-batch.h"
#include "image-io.h"

static void
item_free (gpointer data)
{
  GctBatchItem *item = data;

  g_free (item->input);
  g_free (item->output);
  g_free (item);
}

void
gct_batch_free (GctBatch *batch)
{
  if (!batch)
    return;
  g_ptr_array_unref (batch->items);
  g_ptr_array_unref (batch->problems);
  gct_file_set_free (batch->inputs);
  g_free (batch);
}

static void
add_file (GctBatch *batch, GPtrArray *paths, const char *path)
{
  if (!gct_file_set_lookup (batch->inputs, path)
      && gct_file_set_add (batch->inputs, path))
    g_ptr_array_add (paths, g_strdup (path));
}

static void
add_folder (GctBatch *batch, GPtrArray *paths, const char *folder)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (folder, 0, &error);
  const char *name;

  if (!dir)
    {
      g_ptr_array_add (batch->problems, g_strdup (error->message));
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);

      if (gct_image_file_name (name) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        add_file (batch, paths, path);
    }
}

static void
add_pattern (GctBatch *batch, GPtrArray *paths, const char *pattern)
{
  glob_t found;
  guint n = 0;

  if (glob (pattern, 0, NULL, &found) == 0)
    for (gsize i = 0; i < found.gl_pathc; i++)
      if (g_file_test (found.gl_pathv[i], G_FILE_TEST_IS_REGULAR))
        {
          add_file (batch, paths, found.gl_pathv[i]);
          n++;
        }
  globfree (&found);
  if (n == 0)
    g_ptr_array_add (batch->problems, g_strdup_printf ("%s: matches no file", pattern));
}

static void
add_argument (GctBatch *batch, GPtrArray *paths, const char *arg)
{
  if (g_file_test (arg, G_FILE_TEST_IS_DIR))
    add_folder (batch, paths, arg);
  else if (g_file_test (arg, G_FILE_TEST_EXISTS))
    add_file (batch, paths, arg);
  else if (strpbrk (arg, "*?["))
    add_pattern (batch, paths, arg);
  else
    g_ptr_array_add (batch->problems,
                     g_strdup_printf ("%s: %s", arg, g_strerror (ENOENT)));
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static char *
output_for (const char *input, const char *outdir, const char *format)
{
  g_autofree char *base = g_path_get_basename (input);
  char *dot = strrchr (base, '.');
  g_autofree char *name = NULL;

  if (dot && dot != base)
    *dot = '\0';
  name = g_strconcat (base, ".", format, NULL);
  return g_build_filename (outdir, name, NULL);
}

GctBatch *
gct_batch_new (char **args, int n_args, const char *outdir, const char *format,
               GError **error)
{
  g_autoptr (GctBatch) batch = g_new0 (GctBatch, 1);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) by_output = g_hash_table_new (g_str_hash, g_str_equal);

  batch->items = g_ptr_array_new_with_free_func (item_free);
  batch->problems = g_ptr_array_new_with_free_func (g_free);
  batch->inputs = gct_file_set_new ();
  for (int i = 0; i < n_args; i++)
    add_argument (batch, paths, args[i]);
  g_ptr_array_sort (paths, compare_paths);

  for (guint i = 0; i < paths->len; i++)
    {
      GctBatchItem *item = g_new0 (GctBatchItem, 1);
      const GctBatchItem *other;

      item->input = g_strdup (g_ptr_array_index (paths, i));
      item->output = output_for (item->input, outdir, format);
      g_ptr_array_add (batch->items, item);
      other = g_hash_table_lookup (by_output, item->output);
      if (other)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                       "%s and %s would both be translated to %s; rename one, or "
                       "translate them into different folders",
                       other->input, item->input, item->output);
          return NULL;
        }
      g_hash_table_insert (by_output, item->output, item);
    }
  return g_steal_pointer (&batch);
}

gboolean
gct_batch_item_in_shard (const GctBatchItem *item, int k, int n)
{
  g_autofree char *name = g_path_get_basename (item->output);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;
  guint64 h = 0;

  g_checksum_update (sum, (const guchar *)name, -1);
  g_checksum_get_digest (sum, digest, &len);
  for (int i = 0; i < 8; i++)
    h = h << 8 | digest[i];
  return (int)(h % (guint64)n) == k - 1;
}
