/* Data folders for the lookup tests. */
#include <glib/gstdio.h>
#include "test-dirs.h"

/* Removes a folder and everything in it. */
void
gcp_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        gcp_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Private data dirs for the lookups (set before GLib reads them; GTest's own
 * G_TEST_OPTION_ISOLATE_DIRS leaks in GLib 2.74, which valgrind reports). */
char *
gcp_test_isolate_data_dirs (void)
{
  char *root = g_dir_make_tmp ("gcp-test-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (root, "data", NULL);
  g_autofree char *sys = g_build_filename (root, "system", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_DATA_DIRS", sys, TRUE);
  return root;
}
