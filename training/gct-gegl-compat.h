/* gegl-cut training: GEGL calls that changed between Debian 12's GEGL (0.4.42)
 * and Debian 13's (0.4.62). */
#pragma once

#include <gegl.h>

/* Connects source's output_pad to sink's input_pad.  Newer GEGL has
 * gegl_node_connect and deprecates gegl_node_connect_from; older GEGL has
 * only the latter (meson defines GCT_HAVE_GEGL_NODE_CONNECT). */
static inline gboolean
gct_node_connect (GeglNode *sink, const char *input_pad, GeglNode *source,
                  const char *output_pad)
{
#ifdef GCT_HAVE_GEGL_NODE_CONNECT
  return gegl_node_connect (sink, input_pad, source, output_pad);
#else
  return gegl_node_connect_from (sink, input_pad, source, output_pad);
#endif
}
