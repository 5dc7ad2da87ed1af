/* gegl-cut training: durations as people read them (gct-duration.h). */
#include <math.h>

#include "gct-duration.h"

char *
gct_format_duration (double seconds)
{
  if (seconds < 0 || !isfinite (seconds))
    return g_strdup ("?");
  gint64 t = (gint64)(seconds + 0.5);
  if (t >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", t / 3600,
                            (int)(t / 60 % 60), (int)(t % 60));
  return g_strdup_printf ("%d:%02d", (int)(t / 60), (int)(t % 60));
}
