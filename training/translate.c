/* gegl-cut training: running a generator over a whole image (gct-translate.h). */
#include <string.h>

#include "gct-translate.h"

static float *
pad_to_multiple (const float *t, int w, int h, int pw, int ph)
{
  float *p = g_new (float, 3 * (gsize)pw * ph);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++)
        p[((gsize)c * ph + y) * pw + x]
            = t[((gsize)c * h + MIN (y, h - 1)) * w + MIN (x, w - 1)];
  return p;
}

static void
crop (float *t, int pw, int ph, int w, int h)
{
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      memmove (t + ((gsize)c * h + y) * w, t + ((gsize)c * ph + y) * pw,
               w * sizeof (float));
}

gboolean
gct_translate_image (GcutNetwork *G, GcutBackend *backend, GcutPrecision precision,
                     GctImage *image, gsize *arena_bytes, GError **error)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  int pw = (image->width + 3) / 4 * 4, ph = (image->height + 3) / 4 * 4;
  g_autofree float *input = gct_image_to_tensor (image);
  g_autofree float *padded = pad_to_multiple (input, image->width, image->height, pw, ph);
  g_autoptr (GcutPlan) plan = NULL;
  GcutValue x, y;

  x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, ph, pw } });
  y = gcut_resnet_generator_build (G, graph, x, NULL, FALSE);
  plan = gcut_plan_new (
      graph, backend ? backend : gcut_backend_cpu (),
      &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1, .precision = precision }, error);
  if (!plan)
    return FALSE;
  if (arena_bytes)
    *arena_bytes = gcut_plan_arena_size (plan);
  if (!gcut_plan_set_input (plan, x, padded, error) || !gcut_plan_forward (plan, error)
      || !gcut_plan_get_output (plan, y, padded, error))
    return FALSE;
  crop (padded, pw, ph, image->width, image->height);
  gct_image_from_tensor (image, padded);
  return TRUE;
}
