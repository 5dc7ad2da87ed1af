#pragma once

#include <glib.h>

/* Removes a folder and everything in it. */
void gcp_test_remove_tree (const char *path);
/* Points the XDG data dirs at a fresh temporary folder, returned. */
char *gcp_test_isolate_data_dirs (void);
