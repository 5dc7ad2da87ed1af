/* gcut:similarity — what a trained model matches: for one query point, how
 * similar every other patch of the image looks to the model's encoder, as in
 * the similarity maps of the CUT papers.  The features are those the
 * contrastive loss compares (encoder layer, then the projection head F when
 * the model file has it), and similarity is shown as the loss weighs it,
 * exp((cos − 1) / τ), scaled so the most similar 1% of the image is brightest. */
#include "gcut-ops.h"

#ifdef GEGL_PROPERTIES

/* clang-format off */
property_enum (installed_model, _("Model"), int, gcut_ops_model_choice,
               gcut_ops_model_choice_default ())
  description (_("An installed model, or Other for a model file; a model trained "
                 "after GIMP started is listed after a restart"))

property_string (model, _("Model file or name"), GCUT_OPS_DEFAULT_MODEL)
  description (_("A model file trained by gegl-cut, or the name of an installed model"))
  ui_meta ("visible", "installed-model {other}")

property_double (x, _("Query X"), 0.5)
  description (_("Horizontal position of the query point, relative to the image"))
  value_range (0.0, 1.0)
  ui_meta ("unit", "relative-coordinate")
  ui_meta ("axis", "x")

property_double (y, _("Query Y"), 0.5)
  description (_("Vertical position of the query point, relative to the image"))
  value_range (0.0, 1.0)
  ui_meta ("unit", "relative-coordinate")
  ui_meta ("axis", "y")

property_int (layer, _("Encoder layer"), 4)
  description (_("Which of the five encoder layers to compare: 0 looks at single "
                 "pixels, 4 at the largest patches"))
  value_range (0, 4)

property_double (temperature, _("Temperature"), 0.07)
  description (_("Sharpness of the map; the contrastive loss uses 0.07"))
  value_range (0.01, 1.0)

property_double (visibility, _("Image visibility"), 0.35)
  description (_("How much of the image shows under the map"))
  value_range (0.0, 1.0)

property_boolean (failed, _("Failed"), FALSE)
  description (_("Whether the last run failed; set by the operation"))
  ui_meta ("visible", "0")

property_string (error, _("Error"), "")
  description (_("Why the last run failed; empty when it worked; set by the "
                 "operation"))
  ui_meta ("error", "true")
  ui_meta ("visible", "failed")
/* clang-format on */

#else

#define GEGL_OP_FILTER
#define GEGL_OP_NAME gcut_similarity
/* clang-format off */
#define GEGL_OP_C_SOURCE gcut-similarity.c
/* clang-format on */

#include <math.h>
#include <stdlib.h>

#include "gegl-op.h"

/* Encoding is done at most at this size: the map is a picture for the eye,
 * and the encoder's memory grows with the area. */
#define MAX_SIDE 1024

typedef struct
{
  int width, height; /* of the feature map */
  int dim;           /* features per location */
  float *rows;       /* (height·width, dim), unit length */
} Features;

static void
features_clear (Features *f)
{
  g_clear_pointer (&f->rows, g_free);
}

/* Unit feature rows of every location of encoder layer `layer` for the
 * (3, h, w) image. */
static gboolean
encode (GcutOpsModel *model, int layer, const float *rgb, int w, int h, Features *out,
        GError **error)
{
  GcutNetwork *G = gcut_ops_model_generator (model);
  GcutNetwork *F = gcut_ops_model_heads (model);
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree gint32 *idx = NULL;
  GcutValue x, taps[GCUT_GENERATOR_N_TAPS], rows, locations;
  GcutShape shape, rows_shape;

  /* A SinCUT G has three taps (input, blocks 2 and 4): the layer property's
   * range 0–4 spreads over them, so 4 is still the largest patches. */
  gboolean sincut = gcut_network_kind (G) == GCUT_NETWORK_STYLEGAN2_GENERATOR;
  int tap = sincut ? (layer * (GCUT_STYLEGAN2_N_TAPS - 1) + 2) / 4 : layer;

  x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, h, w } });
  if (sincut)
    gcut_stylegan2_generator_build (G, graph, x, NULL, taps, TRUE);
  else
    gcut_resnet_generator_build (G, graph, x, taps, TRUE);
  if (!gcut_graph_check (graph, error))
    return FALSE;
  shape = gcut_graph_shape (graph, taps[tap]);
  out->height = shape.dims[2];
  out->width = shape.dims[3];
  locations = gcut_input_indices (graph, "locations", (gint64)out->width * out->height);
  rows = F ? gcut_patch_heads_build (F, graph, tap, taps[tap], locations)
           : gcut_l2_normalize (
               graph, gcut_gather_locations (graph, taps[tap], locations), 1e-7f);
  plan = gcut_plan_new (graph, gcut_backend_cpu (),
                        &(GcutPlanSpec){ .outputs = &rows, .n_outputs = 1 }, error);
  if (!plan)
    return FALSE;
  rows_shape = gcut_graph_shape (graph, rows);
  out->dim = rows_shape.dims[1];
  /* The model's head width sets the size. */
  idx = g_try_new (gint32, (gsize)out->width * out->height);
  out->rows = g_try_new (float, (gsize)out->width * out->height * out->dim);
  if (!idx || !out->rows)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   _ ("Not enough memory for %d×%d features of %d values"), out->width,
                   out->height, out->dim);
      return FALSE;
    }
  for (gint32 i = 0; i < out->width * out->height; i++)
    idx[i] = i;
  return gcut_plan_set_input (plan, x, rgb, error)
         && gcut_plan_set_indices (plan, locations, idx, error)
         && gcut_plan_forward (plan, error)
         && gcut_plan_get_output (plan, rows, out->rows, error);
}

static int
compare_floats (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Scales map so its top 1% reaches 1: most locations score far below the
 * query itself, and an unscaled map would look black but for one spot. */
static void
stretch (float *map, gsize n)
{
  g_autofree float *sorted = g_memdup2 (map, n * sizeof (float));
  float top;

  qsort (sorted, n, sizeof (float), compare_floats);
  top = MAX (sorted[(gsize)(0.99 * (n - 1))], 1e-6f);
  for (gsize i = 0; i < n; i++)
    map[i] = MIN (map[i] / top, 1.f);
}

/* exp((cos − 1)/τ) of every location against the query location. */
static float *
similarity_map (const Features *f, double qx, double qy, double tau)
{
  int cx = CLAMP ((int)(qx * f->width), 0, f->width - 1);
  int cy = CLAMP ((int)(qy * f->height), 0, f->height - 1);
  const float *q = f->rows + ((gsize)cy * f->width + cx) * f->dim;
  gsize n = (gsize)f->width * f->height;
  float *map = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    {
      const float *r = f->rows + i * f->dim;
      double dot = 0;
      for (int d = 0; d < f->dim; d++)
        dot += (double)q[d] * r[d];
      map[i] = (float)exp ((MIN (dot, 1.0) - 1.0) / tau);
    }
  stretch (map, n);
  return map;
}

/* A dark-to-bright heat ramp (black, purple, orange, pale yellow), easy to
 * read over a photo. */
static void
heat (float v, float rgb[3])
{
  static const float stops[5][3] = { { 0.00f, 0.00f, 0.02f },
                                     { 0.34f, 0.06f, 0.43f },
                                     { 0.73f, 0.21f, 0.33f },
                                     { 0.98f, 0.55f, 0.04f },
                                     { 0.99f, 1.00f, 0.64f } };
  float t = CLAMP (v, 0.f, 1.f) * 4.f;
  int i = MIN ((int)t, 3);
  float a = t - i;
  for (int c = 0; c < 3; c++)
    rgb[c] = stops[i][c] * (1.f - a) + stops[i + 1][c] * a;
}

/* Bilinear sample of the map at image pixel (px, py), pixel centres aligned. */
static float
sample (const float *map, int mw, int mh, double fx, double fy)
{
  double x = CLAMP (fx * mw - 0.5, 0.0, mw - 1.0),
         y = CLAMP (fy * mh - 0.5, 0.0, mh - 1.0);
  int x0 = (int)x, y0 = (int)y, x1 = MIN (x0 + 1, mw - 1), y1 = MIN (y0 + 1, mh - 1);
  double ax = x - x0, ay = y - y0;
  return (float)((map[y0 * mw + x0] * (1 - ax) + map[y0 * mw + x1] * ax) * (1 - ay)
                 + (map[y1 * mw + x0] * (1 - ax) + map[y1 * mw + x1] * ax) * ay);
}

static gboolean
render (GeglOperation *operation, GeglBuffer *input, GeglBuffer *output,
        const GeglRectangle *box, const float *map, int mw, int mh, GError **error)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  double qx = o->x * box->width, qy = o->y * box->height;
  /* One row of the image: a gigapixel may be one very long row. */
  g_autofree float *row = g_try_new (float, (gsize)box->width * 4);

  if (!row)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   _ ("Not enough memory for a row of %d pixels"), box->width);
      return FALSE;
    }

  for (int y = 0; y < box->height; y++)
    {
      GeglRectangle r = { box->x, box->y + y, box->width, 1 };
      gegl_buffer_get (input, &r, 1.0, babl_format ("R'G'B'A float"), row,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      for (int x = 0; x < box->width; x++)
        {
          float *p = row + 4 * x, rgb[3];
          float grey = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
          double d = hypot (x + 0.5 - qx, y + 0.5 - qy);
          heat (sample (map, mw, mh, (x + 0.5) / box->width, (y + 0.5) / box->height),
                rgb);
          for (int c = 0; c < 3; c++)
            p[c] = (float)(o->visibility * (isnan (grey) ? 0.f : grey)
                           + (1 - o->visibility) * rgb[c]);
          /* A ring marks the query point. */
          if (d >= 5.0 && d < 7.0)
            p[0] = p[1] = p[2] = 1.f;
        }
      gegl_buffer_set (output, &r, 0, babl_format ("R'G'B'A float"), row,
                       GEGL_AUTO_ROWSTRIDE);
      if (y % 64 == 0)
        gegl_operation_progress (operation, 0.5 + 0.5 * y / box->height, _ ("Drawing"));
    }
  return TRUE;
}

static gboolean
process (GeglOperation *operation, GeglBuffer *input, GeglBuffer *output,
         const GeglRectangle *result, gint level)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  GeglRectangle box = gcut_ops_whole_input (operation, result);
  double scale = MIN (1.0, (double)MAX_SIDE / MAX (box.width, box.height));
  /* A multiple of 4, as the encoder halves twice. */
  int w = MAX (4, (int)(box.width * scale + 3) / 4 * 4);
  int h = MAX (4, (int)(box.height * scale + 3) / 4 * 4);
  g_autoptr (GcutOpsModel) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *rgba = NULL, *rgb = NULL, *map = NULL;
  Features features = { 0 };

  if (gcut_ops_check_size (operation, &error))
    model = gcut_ops_model_get (o->model, &error);
  if (model)
    {
      double s = MIN ((double)w / box.width, (double)h / box.height);
      GeglRectangle scaled = { (int)(box.x * s), (int)(box.y * s), w, h };
      rgba = g_new (float, (gsize)w *h * 4);
      rgb = g_new (float, (gsize)w *h * 3);
      /* Resampled so the whole box fills w×h. */
      gegl_buffer_get (input, &scaled, s, babl_format ("R'G'B'A float"), rgba,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
      gcut_ops_rgba_to_rgb (rgba, (gsize)w * h, (gsize)w * h, rgb);
      gegl_operation_progress (operation, 0.0, _ ("Encoding"));
    }
  if (model && encode (model, o->layer, rgb, w, h, &features, &error))
    map = similarity_map (&features, o->x, o->y, o->temperature);
  if (!map
      || !render (operation, input, output, &box, map, features.width, features.height,
                  &error))
    {
      features_clear (&features);
      gcut_ops_fail (operation, &o->error, &o->failed, error, input, output, &box);
      return TRUE;
    }
  features_clear (&features);
  gcut_ops_clear_error (operation, &o->error, &o->failed);
  return TRUE;
}

static void
gegl_op_class_init (GeglOpClass *klass)
{
  GeglOperationClass *operation_class = GEGL_OPERATION_CLASS (klass);
  GeglOperationFilterClass *filter_class = GEGL_OPERATION_FILTER_CLASS (klass);

  gcut_ops_class_whole_image (operation_class);
  filter_class->process = process;
  gcut_ops_class_link_properties (G_OBJECT_CLASS (klass), "installed-model", "model");

  /* clang-format off */
  gegl_operation_class_set_keys (operation_class,
    "name",            "gcut:similarity",
    "title",           _("Contrastive Similarity Map"),
    "categories",      "artistic:generic",
    "gimp:menu-path",  "<Image>/Filters/Artistic/Contrastive Translation",
    "gimp:menu-label", _("Similarity Map…"),
    "description",     _("Shows which parts of the image a trained contrastive "
                         "translation model finds similar to a query point"),
    NULL);
  /* clang-format on */
}

#endif
