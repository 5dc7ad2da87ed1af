/* gegl-cut training: running a generator over a whole image (gct-translate.h). */
#include <math.h>

#include "gct-translate.h"

static gboolean
read_rgb (int x, int y, int w, int h, float *rgb, gpointer data, GError **error)
{
  const GctImage *image = data;
  for (int r = 0; r < h; r++)
    for (int i = 0; i < w; i++)
      for (int c = 0; c < 3; c++)
        {
          float v = image->rgba[4 * ((gsize)(y + r) * image->width + x + i) + c];
          /* NaN or infinite pixels would spread through instance norm to the
           * whole output: treat them as mid grey. */
          rgb[((gsize)c * h + r) * w + i] = isfinite (v) ? v * 2.f - 1.f : 0.f;
        }
  return TRUE;
}

static gboolean
write_rgb (int x, int y, int w, int h, const float *rgb, gpointer data, GError **error)
{
  GctImage *image = data;
  for (int r = 0; r < h; r++)
    for (int i = 0; i < w; i++)
      for (int c = 0; c < 3; c++)
        image->rgba[4 * ((gsize)(y + r) * image->width + x + i) + c]
            = CLAMP ((rgb[((gsize)c * h + r) * w + i] + 1.f) * 0.5f, 0.f, 1.f);
  return TRUE;
}

gboolean
gct_translate_image (GcutNetwork *G, GcutBackend *backend, GcutPrecision precision,
                     GctImage *image, int tile_size, gsize *arena_bytes, GError **error)
{
  /* Every output tile is written after all reads of the input it depends on
   * (the decoder reads only features), so the image is translated in place. */
  GcutGeneratorRun run = { image->width, image->height, tile_size, 0,     precision,
                           read_rgb,     write_rgb,     NULL,      image, arena_bytes };
  return gcut_resnet_generator_run (G, backend, &run, error);
}
