/* gegl-cut training: running a generator over a whole image (gct-translate.h). */
#include <math.h>

#include "gct-translate.h"

/* Image value in [0, 1] to the network's [−1, 1].  NaN or infinite pixels would
 * spread through instance norm to the whole output: treat them as mid grey. */
static float
to_net (float v)
{
  return isfinite (v) ? v * 2.f - 1.f : 0.f;
}

static gboolean
read_rgb (int x, int y, int w, int h, float *rgb, gpointer data, GError **error)
{
  const GctImage *image = data;
  for (int r = 0; r < h; r++)
    for (int i = 0; i < w; i++)
      for (int c = 0; c < 3; c++)
        rgb[((gsize)c * h + r) * w + i]
            = to_net (image->rgba[4 * ((gsize)(y + r) * image->width + x + i) + c]);
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
            = gct_pixel_from_net (rgb[((gsize)c * h + r) * w + i]);
  return TRUE;
}

gboolean
gct_translate_image (GcutNetwork *G, GcutBackend *backend, GcutPrecision precision,
                     GctImage *image, int tile_size, guint64 noise_seed,
                     gsize *arena_bytes, GError **error)
{
  /* The runners write each output tile after all reads of the input it
   * depends on, so the image is translated in place. */
  GcutGeneratorRun run = {
    .width = image->width,
    .height = image->height,
    .tile_size = tile_size,
    .precision = precision,
    .read = read_rgb,
    .write = write_rgb,
    .data = image,
    .arena_bytes = arena_bytes,
    .noise_seed = noise_seed,
  };
  return gcut_generator_run (G, backend, &run, error);
}
