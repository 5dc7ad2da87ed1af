/* gegl-cut training: durations as people read them, for progress lines. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "m:ss", or "h:mm:ss" from an hour on; "?" for a negative or unknown time. */
char *gct_format_duration (double seconds);

G_END_DECLS
