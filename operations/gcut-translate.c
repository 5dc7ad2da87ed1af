/* gcut:translate — applies a trained contrastive translator (a model file)
 * to an image, in the style it learned. */
#include "gcut-ops.h"

#ifdef GEGL_PROPERTIES

/* clang-format off */
enum_start (gcut_translate_device)
  enum_value (GCUT_TRANSLATE_DEVICE_AUTO, "auto", N_("Automatic"))
  enum_value (GCUT_TRANSLATE_DEVICE_CPU, "cpu", N_("CPU"))
  enum_value (GCUT_TRANSLATE_DEVICE_CUDA, "cuda", N_("CUDA GPU"))
enum_end (GcutTranslateDevice)

property_enum (installed_model, _("Model"), int, gcut_ops_model_choice,
               gcut_ops_model_choice_default ())
  description (_("An installed model, or Other for a model file; a model trained "
                 "after GIMP started is listed after a restart"))

property_string (model, _("Model file or name"), GCUT_OPS_DEFAULT_MODEL)
  description (_("A model file trained by gegl-cut, or the name of an installed model"))
  ui_meta ("visible", "installed-model {other}")

property_enum (device, _("Device"), GcutTranslateDevice, gcut_translate_device,
               GCUT_TRANSLATE_DEVICE_AUTO)
  description (_("Where the network runs; Automatic uses a CUDA GPU when there is one"))

property_int (tile_size, _("Tile size"), 0)
  description (_("Edge of the square tiles the image is processed in, in pixels; "
                 "0 picks the largest that fits in memory. Results do not depend "
                 "on it"))
  value_range (0, 16384)
  ui_range (0, 4096)

property_double (strength, _("Strength"), 1.0)
  description (_("How much of the learned style to apply: 1 is the model's full "
                 "effect, 0 leaves the image as it is. A model fine-tuned from a "
                 "base model moves between the base and itself; other models mix "
                 "their result with the image"))
  value_range (0.0, 1.0)
  ui_range (0.0, 1.0)

property_double (palette, _("Painting's colours"), 1.0)
  description (_("How far the result takes the tones and colours of the painting "
                 "the model learned: 1 the painting's, 0 the network's own. Only "
                 "models trained with a palette (Quick, Balanced) have one; even at "
                 "strength 0 they recolour"))
  value_range (0.0, 1.0)
  ui_range (0.0, 1.0)

property_int (seed, _("Seed"), 0)
  description (_("Random seed for models whose generator uses noise"))
  value_range (0, G_MAXINT)

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
#define GEGL_OP_NAME gcut_translate
/* clang-format off */
#define GEGL_OP_C_SOURCE gcut-translate.c
/* clang-format on */

#include "gegl-op.h"
#include <gct-strength.h>

/* Strength by pixels: output = input + s·(output − input), a strip of rows
 * at a time. */
static void
blend (GeglBuffer *input, GeglBuffer *output, const GeglRectangle *box, double s)
{
  const Babl *format = babl_format ("R'G'B'A float");
  int rows = MAX (1, (1 << 18) / MAX (box->width, 1));
  g_autofree float *in = g_new (float, (gsize)box->width *rows * 4);
  g_autofree float *out = g_new (float, (gsize)box->width *rows * 4);

  for (int y = 0; y < box->height; y += rows)
    {
      GeglRectangle r = { box->x, box->y + y, box->width, MIN (rows, box->height - y) };
      gegl_buffer_get (input, &r, 1.0, format, in, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      gegl_buffer_get (output, &r, 1.0, format, out, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      gct_strength_blend (in, out, (gsize)r.width * r.height, s);
      gegl_buffer_set (output, &r, 0, format, out, GEGL_AUTO_ROWSTRIDE);
    }
}

/* The model to run at the op's strength; *by_pixels when its result is to be
 * blended with the input instead. */
static GcutOpsModel *
at_strength (GeglOperation *operation, GcutOpsModel *model, gboolean *by_pixels)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  g_autoptr (GError) why = NULL;
  GcutOpsModel *at = gcut_ops_model_at_strength (model, o->strength, &why);

  *by_pixels = !at;
  if (why)
    g_printerr ("%s: %s; blending pixels for the strength instead\n",
                gegl_operation_get_name (operation), why->message);
  return at ? at : gcut_ops_model_ref (model);
}

/* The generator's result at the op's strength, in output; FALSE with error. */
static gboolean
run_generator (GeglOperation *operation, GcutOpsModel *model, GeglBuffer *input,
               GeglBuffer *output, const GeglRectangle *box, GError **error)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  g_autoptr (GcutOpsModel) run = NULL;
  GcutBackend *backend;
  gboolean by_pixels = FALSE;

  /* No effect at all: the input itself (gct-strength.h says why). */
  if (o->strength <= 0)
    {
      gegl_buffer_copy (input, box, GEGL_ABYSS_NONE, output, box);
      return TRUE;
    }
  if (!(backend = gcut_ops_backend (o->device, error)))
    return FALSE;
  run = at_strength (operation, model, &by_pixels);
  if (!gcut_ops_translate (operation, gcut_ops_model_generator (run), backend,
                           o->tile_size, o->seed, input, output, box, 0.0, 1.0, error))
    return FALSE;
  if (by_pixels && o->strength < 1)
    blend (input, output, box, o->strength);
  return TRUE;
}

static gboolean
process (GeglOperation *operation, GeglBuffer *input, GeglBuffer *output,
         const GeglRectangle *result, gint level)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  GeglRectangle box = gcut_ops_whole_input (operation, result);
  g_autoptr (GcutOpsModel) model = NULL;
  g_autoptr (GError) error = NULL;

  if (!gcut_ops_check_size (operation, &error)
      || !(model = gcut_ops_model_get (o->model, &error))
      || !run_generator (operation, model, input, output, &box, &error))
    {
      gcut_ops_fail (operation, &o->error, &o->failed, error, input, output, &box);
      return TRUE;
    }
  if (gcut_ops_model_palette (model) && o->palette > 0)
    gcut_ops_match_palette (output, &box, gcut_ops_model_palette (model), o->palette);
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
    "name",            "gcut:translate",
    "title",           _("Contrastive Translation"),
    "categories",      "artistic:generic",
    "gimp:menu-path",  "<Image>/Filters/Artistic/Contrastive Translation",
    "gimp:menu-label", _("Apply a Model as a Live Filter…"),
    "description",     _("Repaints the image in the style a contrastive "
                         "translation model (CUT) learned from a painting"),
    NULL);
  /* clang-format on */
}

#endif
