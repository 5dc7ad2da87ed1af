/* gegl-cut training: sets of files by identity (gct-file-set.h). */
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

#include "gct-file-set.h"

struct _GctFileSet
{
  GHashTable *names; /* "device:inode" → the path it was added as */
};

GctFileSet *
gct_file_set_new (void)
{
  GctFileSet *set = g_new0 (GctFileSet, 1);

  set->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return set;
}

void
gct_file_set_free (GctFileSet *set)
{
  if (!set)
    return;
  g_hash_table_unref (set->names);
  g_free (set);
}

/* A file that does not exist yet is known by its folder and its name, so
 * that two outputs to be written can be compared too. */
static char *
identity (const char *path)
{
  g_autofree char *dir = NULL, *base = NULL;
  struct stat st;

  if (stat (path, &st) == 0)
    return g_strdup_printf ("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  if (stat (dir, &st) != 0)
    return NULL;
  return g_strdup_printf ("%ju:%ju/%s", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, base);
}

gboolean
gct_file_set_add (GctFileSet *set, const char *path)
{
  char *key = identity (path);

  if (!key)
    return FALSE;
  if (g_hash_table_contains (set->names, key))
    g_free (key);
  else
    g_hash_table_insert (set->names, key, g_strdup (path));
  return TRUE;
}

const char *
gct_file_set_lookup (GctFileSet *set, const char *path)
{
  g_autofree char *key = identity (path);

  return key ? g_hash_table_lookup (set->names, key) : NULL;
}

gboolean
gct_same_file (const char *a, const char *b)
{
  g_autofree char *ka = identity (a), *kb = identity (b);

  return ka && kb && strcmp (ka, kb) == 0;
}
