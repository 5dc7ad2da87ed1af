/* Shared inside the presets library. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The folders a bare name is looked up in, in order: each folder of the
 * environment variable env (colon-separated; may be NULL), then
 * $XDG_DATA_HOME/gegl-cut/sub, the installed data dir's gegl-cut/sub, and
 * gegl-cut/sub under each system data dir. */
GPtrArray *gcp_data_search_dirs (const char *env, const char *sub);

G_END_DECLS
