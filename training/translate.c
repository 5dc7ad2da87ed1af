/* gegl-cut training: running a generator over a whole image (gct-translate.h). */
#include <math.h>

#include "gct-random.h"
#include "gct-translate.h"

/* The StyleGAN2-lite G's noise: the same values for every translation, so a
 * model always gives the same image. */
#define NOISE_SEED 0
#define MAX_NOISE 8

/* Image value in [0, 1] to the network's [−1, 1].  NaN or infinite pixels would
 * spread through instance norm to the whole output: treat them as mid grey. */
static float
to_net (float v)
{
  return isfinite (v) ? v * 2.f - 1.f : 0.f;
}

static float
from_net (float v)
{
  return CLAMP ((v + 1.f) * 0.5f, 0.f, 1.f);
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
            = from_net (rgb[((gsize)c * h + r) * w + i]);
  return TRUE;
}

/* A StyleGAN2-lite G has no tiled runner: one pass over the image, padded by
 * repeating its edges to a multiple of 2^n_downsampling, the sides the network
 * gives back unchanged. */
static gboolean
translate_whole (GcutNetwork *G, GcutBackend *backend, GcutPrecision precision,
                 GctImage *image, gsize *arena_bytes, GError **error)
{
  int n_noise = gcut_stylegan2_generator_n_noise (G), m = 1 << n_noise;
  int W = image->width, H = image->height;
  int w = (W + m - 1) / m * m, h = (H + m - 1) / m * m;
  GcutShape xs = { 4, { 1, 3, h, w } };
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  GcutValue x = gcut_input (g, "x", xs), noise[MAX_NOISE], out;
  g_autofree float *rgb = g_new (float, (gsize)3 * h * w);
  GctRng rng;

  g_return_val_if_fail (n_noise <= MAX_NOISE, FALSE);
  for (int i = 0; i < n_noise; i++)
    {
      g_autofree char *name = g_strdup_printf ("noise%d", i);
      noise[i] = gcut_input (g, name, gcut_stylegan2_generator_noise_shape (G, xs, i));
    }
  out = gcut_stylegan2_generator_build (G, g, x, noise, NULL, FALSE);
  if (!gcut_graph_check (g, error))
    return FALSE;
  plan = gcut_plan_new (
      g, backend ? backend : gcut_backend_cpu (),
      &(GcutPlanSpec){ .outputs = &out, .n_outputs = 1, .precision = precision }, error);
  if (!plan)
    return FALSE;
  if (arena_bytes)
    *arena_bytes = gcut_plan_arena_size (plan);
  gct_rng_init (&rng, NOISE_SEED, GCT_STREAM_NOISE);
  for (int i = 0; i < n_noise; i++)
    {
      GcutShape s = gcut_graph_shape (g, noise[i]);
      gsize n = (gsize)(s.dims[2] * s.dims[3]);
      g_autofree float *v = g_new (float, n);
      for (gsize j = 0; j < n; j++)
        v[j] = (float)gct_rng_normal (&rng);
      if (!gcut_plan_set_input (plan, noise[i], v, error))
        return FALSE;
    }
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < h; r++)
      for (int i = 0; i < w; i++)
        rgb[((gsize)c * h + r) * w + i]
            = to_net (image->rgba[4 * ((gsize)MIN (r, H - 1) * W + MIN (i, W - 1)) + c]);
  if (!gcut_plan_set_input (plan, x, rgb, error) || !gcut_plan_forward (plan, error)
      || !gcut_plan_get_output (plan, out, rgb, error))
    return FALSE;
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < H; r++)
      for (int i = 0; i < W; i++)
        image->rgba[4 * ((gsize)r * W + i) + c]
            = from_net (rgb[((gsize)c * h + r) * w + i]);
  return TRUE;
}

gboolean
gct_translate_image (GcutNetwork *G, GcutBackend *backend, GcutPrecision precision,
                     GctImage *image, int tile_size, gsize *arena_bytes, GError **error)
{
  if (gcut_network_kind (G) == GCUT_NETWORK_STYLEGAN2_GENERATOR)
    return translate_whole (G, backend, precision, image, arena_bytes, error);
  /* Every output tile is written after all reads of the input it depends on
   * (the decoder reads only features), so the image is translated in place. */
  GcutGeneratorRun run = { image->width, image->height, tile_size, 0,     precision,
                           read_rgb,     write_rgb,     NULL,      image, arena_bytes };
  return gcut_resnet_generator_run (G, backend, &run, error);
}
