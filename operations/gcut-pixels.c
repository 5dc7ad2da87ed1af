/* gegl-cut operations: pixels between GEGL buffers and the generator. */
#include <math.h>
#include <stdio.h>

#include <gct-palette.h>

#include "gcut-ops.h"
#include "image-io.h"

#define RGBA "R'G'B'A float"

GcutBackend *
gcut_ops_backend (int device, GError **error)
{
  static const char *const names[] = { "auto", "cpu", "cuda" };
  g_autofree char *reason = NULL;
  GcutBackend *backend = gcut_backend_get (names[CLAMP (device, 0, 2)], &reason, error);
  if (!backend)
    g_prefix_error (error, _ ("The CUDA GPU cannot be used (choose Automatic or CPU): "));
  return backend;
}

void
gcut_ops_rgba_to_rgb (const float *rgba, gsize n_pixels, gsize plane, float *rgb)
{
  for (gsize i = 0; i < n_pixels; i++)
    for (int c = 0; c < 3; c++)
      {
        float v = rgba[4 * i + c];
        v = isnan (v) ? 0.f : CLAMP (v, 0.f, 1.f);
        rgb[c * plane + i] = 2.f * v - 1.f;
      }
}

typedef struct
{
  GeglOperation *op;
  GeglBuffer *input, *output;
  GeglRectangle box;
  double from, to;
} Transfer;

static gboolean
read_rgb (int x, int y, int w, int h, float *rgb, gpointer data, GError **error)
{
  Transfer *t = data;
  GeglRectangle r = { t->box.x + x, t->box.y + y, w, h };
  g_autofree float *rgba = g_try_new (float, (gsize)w *h * 4);

  if (!rgba)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   _ ("Not enough memory for a %d×%d tile"), w, h);
      return FALSE;
    }
  if (!gct_buffer_get_rgba (t->input, &r, rgba, error))
    return FALSE;
  gcut_ops_rgba_to_rgb (rgba, (gsize)w * h, (gsize)w * h, rgb);
  return TRUE;
}

/* The alpha of the output is the input's, read again per tile rather than
 * kept for the whole image. */
static gboolean
write_rgb (int x, int y, int w, int h, const float *rgb, gpointer data, GError **error)
{
  Transfer *t = data;
  GeglRectangle r = { t->box.x + x, t->box.y + y, w, h };
  gsize n = (gsize)w * h;
  g_autofree float *rgba = g_try_new (float, n * 4);

  if (!rgba)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   _ ("Not enough memory for a %d×%d tile"), w, h);
      return FALSE;
    }
  if (!gct_buffer_get_rgba (t->input, &r, rgba, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      rgba[4 * i + c] = gct_pixel_from_net (rgb[c * n + i]);
  gegl_buffer_set (t->output, &r, 0, babl_format (RGBA), rgba, GEGL_AUTO_ROWSTRIDE);
  return TRUE;
}

static gboolean
progress (double fraction, gpointer data)
{
  Transfer *t = data;
  gegl_operation_progress (t->op, t->from + (t->to - t->from) * fraction,
                           _ ("Translating"));
  return TRUE;
}

gboolean
gcut_ops_translate (GeglOperation *op, GcutNetwork *G, GcutBackend *backend,
                    int tile_size, guint64 noise_seed, GeglBuffer *input,
                    GeglBuffer *output, const GeglRectangle *box, double from, double to,
                    GError **error)
{
  Transfer t = { op, input, output, *box, from, to };
  GcutGeneratorRun run = {
    .width = box->width,
    .height = box->height,
    .tile_size = tile_size,
    .precision = GCUT_PRECISION_FAST,
    .read = read_rgb,
    .write = write_rgb,
    .progress = progress,
    .data = &t,
    .noise_seed = noise_seed,
  };
  GError *local = NULL;

  if (gcut_generator_run (G, backend, &run, &local))
    return TRUE;
  /* Out of GPU memory even in the smallest tiles: the CPU has more. */
  if (backend != gcut_backend_cpu ()
      && g_error_matches (local, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY))
    {
      g_printerr ("%s: %s; translating on the CPU instead\n",
                  gegl_operation_get_name (op), local->message);
      g_clear_error (&local);
      return gcut_generator_run (G, gcut_backend_cpu (), &run, error);
    }
  g_propagate_error (error, local);
  return FALSE;
}

/* Row strip i of box, rows high. */
static GeglRectangle
strip_at (const GeglRectangle *box, int y, int rows)
{
  return (GeglRectangle){ box->x, box->y + y, box->width, MIN (rows, box->height - y) };
}

void
gcut_ops_match_palette (GeglBuffer *output, const GeglRectangle *box, const float *levels,
                        double amount)
{
  const Babl *format = babl_format (RGBA);
  int rows = MAX (1, (1 << 18) / MAX (box->width, 1));
  g_autofree float *strip = g_new (float, (gsize)box->width *rows * 4);
  g_autoptr (GctHistogram) histogram = gct_histogram_new ();
  g_autoptr (GctPaletteMap) map = NULL;

  for (int y = 0; y < box->height; y += rows)
    {
      GeglRectangle r = strip_at (box, y, rows);
      gegl_buffer_get (output, &r, 1.0, format, strip, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      gct_histogram_add (histogram, strip, (gsize)r.width * r.height);
    }
  map = gct_palette_map_new (histogram, levels);
  for (int y = 0; y < box->height; y += rows)
    {
      GeglRectangle r = strip_at (box, y, rows);
      gegl_buffer_get (output, &r, 1.0, format, strip, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      gct_palette_map_apply (map, strip, strip, (gsize)r.width * r.height, amount);
      gegl_buffer_set (output, &r, 0, format, strip, GEGL_AUTO_ROWSTRIDE);
    }
}

void
gcut_ops_fail (GeglOperation *op, char **error_field, gboolean *failed_field,
               const GError *error, GeglBuffer *input, GeglBuffer *output,
               const GeglRectangle *box)
{
  gcut_ops_report_error (op, error_field, failed_field, error);
  g_printerr ("%s: %s\n", gegl_operation_get_name (op), error->message);
  gegl_buffer_copy (input, box, GEGL_ABYSS_NONE, output, box);
}

GeglRectangle
gcut_ops_whole_input (GeglOperation *op, const GeglRectangle *roi)
{
  const GeglRectangle *in = gegl_operation_source_get_bounding_box (op, "input");
  if (!in)
    return (GeglRectangle){ 0 };
  if ((gint64)in->width * in->height > GCUT_OPS_MAX_PIXELS && roi)
    return *roi;
  return *in;
}

static void
prepare (GeglOperation *op)
{
  const Babl *format = babl_format (RGBA);
  gegl_operation_set_format (op, "input", format);
  if (GEGL_IS_OPERATION_COMPOSER (op))
    gegl_operation_set_format (op, "aux", format);
  gegl_operation_set_format (op, "output", format);
}

static GeglRectangle
whole_region (GeglOperation *op, const gchar *pad, const GeglRectangle *roi)
{
  return gcut_ops_whole_input (op, roi);
}

static GeglRectangle
cached_region (GeglOperation *op, const GeglRectangle *roi)
{
  return gcut_ops_whole_input (op, roi);
}

void
gcut_ops_class_whole_image (GeglOperationClass *klass)
{
  klass->prepare = prepare;
  klass->get_required_for_output = whole_region;
  klass->get_invalidated_by_change = whole_region;
  klass->get_cached_region = cached_region;
  /* The engine parallelizes inside; the instance norms need the whole image. */
  klass->threaded = FALSE;
}

gboolean
gcut_ops_check_size (GeglOperation *op, GError **error)
{
  GeglRectangle whole = gcut_ops_whole_input (op, NULL);
  const GeglRectangle *box = &whole;
  if ((gint64)box->width * box->height <= GCUT_OPS_MAX_PIXELS)
    return TRUE;
  g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
               _ ("The image is too large: %d×%d pixels, the limit is %d megapixels"),
               box->width, box->height, (int)(GCUT_OPS_MAX_PIXELS >> 20));
  return FALSE;
}
