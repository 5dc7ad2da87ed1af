/* Finding presets by bare name in the data folders. */
#include <string.h>
#include <gcp/gcp-error.h>
#include "presets-private.h"

static gboolean
valid_bare_name (const char *name)
{
  if (!*name || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Takes dir; the installed data dir is often also a system data dir. */
static void
add_dir (GPtrArray *dirs, char *dir)
{
  for (guint i = 0; i < dirs->len; i++)
    if (!strcmp (dirs->pdata[i], dir))
      {
        g_free (dir);
        return;
      }
  g_ptr_array_add (dirs, dir);
}

/* The folders a bare name is looked up in, in order: each folder of the
 * environment variable env (colon-separated; may be NULL), then
 * $XDG_DATA_HOME/gegl-cut/sub, the installed data dir's gegl-cut/sub, and
 * gegl-cut/sub under each system data dir. */
static GPtrArray *
gcp_data_search_dirs (const char *env, const char *sub)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  const char *path = env ? g_getenv (env) : NULL;
  const char *const *sys = g_get_system_data_dirs ();

  if (path && *path)
    {
      g_auto (GStrv) parts = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);
      for (int i = 0; parts[i]; i++)
        if (*parts[i])
          add_dir (dirs, g_strdup (parts[i]));
    }
  add_dir (dirs, g_build_filename (g_get_user_data_dir (), "gegl-cut", sub, NULL));
  add_dir (dirs, g_build_filename (GCP_DATADIR, "gegl-cut", sub, NULL));
  for (int i = 0; sys[i]; i++)
    add_dir (dirs, g_build_filename (sys[i], "gegl-cut", sub, NULL));
  return dirs;
}

char *
gcp_data_find (const char *name, const char *what, const char *ext, const char *env,
               const char *sub, GError **error)
{
  g_autoptr (GPtrArray) dirs = NULL;
  g_autofree char *file = NULL;
  GString *tried;

  if (strchr (name, '/'))
    return g_strdup (name);
  if (!valid_bare_name (name))
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                   "“%s” is not a %s name (letters, digits, '.', '-', '_') or a path "
                   "(with a '/')",
                   name, what);
      return NULL;
    }
  file = g_str_has_suffix (name, ext) ? g_strdup (name) : g_strconcat (name, ext, NULL);
  dirs = gcp_data_search_dirs (env, sub);
  tried = g_string_new (NULL);
  for (guint i = 0; i < dirs->len; i++)
    {
      g_autofree char *path = g_build_filename (dirs->pdata[i], file, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_string_free (tried, TRUE);
          return g_steal_pointer (&path);
        }
      g_string_append_printf (tried, "%s%s", i ? ", " : "", (char *)dirs->pdata[i]);
    }
  g_set_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND, "no %s “%s” (looked in %s)", what,
               name, tried->str);
  g_string_free (tried, TRUE);
  return NULL;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_utf8_collate (*(const char *const *)a, *(const char *const *)b);
}

char **
gcp_data_list (const char *ext, const char *env, const char *sub)
{
  g_autoptr (GPtrArray) dirs = gcp_data_search_dirs (env, sub);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; i < dirs->len; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs->pdata[i], 0, NULL);
      const char *file;

      while (dir && (file = g_dir_read_name (dir)))
        {
          char *name;

          if (!g_str_has_suffix (file, ext))
            continue;
          name = g_strndup (file, strlen (file) - strlen (ext));
          /* An earlier folder hides the same name in a later one, as in lookups. */
          if (valid_bare_name (name) && !g_hash_table_contains (seen, name))
            {
              g_hash_table_add (seen, name);
              g_ptr_array_add (names, name);
            }
          else
            g_free (name);
        }
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **)g_ptr_array_free (names, FALSE);
}
