/* Applying a model to a drawable: gcut:translate between the drawable's
 * buffer and its shadow (gimp-apply-graph.h). */
#include <gegl.h>

#include "gimp-apply-graph.h"
#include "gimp2-plugin.h"

static void
on_progress (double fraction, gpointer data)
{
  gimp_progress_update (fraction);
}

gboolean
gcut_apply_drawable (gint32 drawable, const GcutApplyValues *values, GError **error)
{
  g_autoptr (GeglBuffer) source = gimp_drawable_get_buffer (drawable);
  g_autoptr (GeglBuffer) shadow = gimp_drawable_get_shadow_buffer (drawable);
  GcutApplySettings settings = { values->model, values->device, values->tile_size,
                                 values->strength, values->palette };

  gimp_progress_init_printf (_ ("Contrastive translation (%s)"), values->model);
  if (!gcut_apply_buffers (source, shadow, &settings, on_progress, NULL, error))
    return FALSE;
  gimp_progress_update (1.0);
  gimp_drawable_merge_shadow (drawable, TRUE);
  gimp_drawable_update (drawable, 0, 0, gimp_drawable_width (drawable),
                        gimp_drawable_height (drawable));
  return TRUE;
}
