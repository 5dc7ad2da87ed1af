/* plug-in-gcut-apply in GIMP 3: gcut:translate between a drawable's buffer
 * and its shadow (gimp-apply-graph.h). */
#include "gimp3-plugin.h"

static void
on_progress (double fraction, gpointer data)
{
  gimp_progress_update (fraction);
}

gboolean
gcut_apply_drawable (GimpDrawable *drawable, const GcutApplySettings *settings,
                     GError **error)
{
  g_autoptr (GeglBuffer) source = gimp_drawable_get_buffer (drawable);
  g_autoptr (GeglBuffer) shadow = gimp_drawable_get_shadow_buffer (drawable);

  gimp_progress_init_printf (_ ("Contrastive translation (%s)"), settings->model);
  if (!gcut_apply_buffers (source, shadow, settings, on_progress, NULL, error))
    return FALSE;
  gimp_progress_update (1.0);
  gimp_drawable_merge_shadow (drawable, TRUE);
  gimp_drawable_update (drawable, 0, 0, gimp_drawable_get_width (drawable),
                        gimp_drawable_get_height (drawable));
  return TRUE;
}

static GimpValueArray *
run (GimpProcedure *procedure, GimpRunMode mode, GimpImage *image,
     GimpDrawable **drawables, GimpProcedureConfig *config, gpointer data)
{
  g_autofree char *model = NULL, *device = NULL;
  GcutApplySettings settings;
  GimpDrawable *drawable;
  GError *error = NULL;
  gboolean ok;

  gegl_init (NULL, NULL);
  if (!(drawable = gcut_single_drawable (drawables, &error)))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR, error);
  if (mode == GIMP_RUN_INTERACTIVE)
    {
      gimp_ui_init (GCUT_PLUG_IN_ROLE);
      if (!gcut_apply_dialog (procedure, config))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
    }

  g_object_get (config, "model", &model, "strength", &settings.strength, "palette",
                &settings.palette, "device", &device, "tile-size", &settings.tile_size,
                NULL);
  /* Typed in the dialog's entry: without surrounding spaces. */
  settings.model = model ? g_strstrip (model) : "";
  settings.device = device;
  gimp_image_undo_group_start (image);
  ok = gcut_apply_drawable (drawable, &settings, &error);
  gimp_image_undo_group_end (image);
  if (!ok)
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR, error);
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
}

GimpProcedure *
gcut_apply_procedure_new (GimpPlugIn *plug_in)
{
  GimpProcedure *procedure
      = gcut_procedure_new (plug_in, GCUT_PROC_APPLY, run, _ (GCUT_APPLY_LABEL),
                            _ (GCUT_APPLY_BLURB), GCUT_APPLY_HELP);

  gimp_procedure_add_string_argument (
      procedure, "model", _ ("_Model"),
      _ ("An installed model's name (see the list) or a model file trained by gegl-cut"),
      "starry-night", G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (
      procedure, "strength", _ ("St_rength"),
      _ ("How much of the translation shows: 0 keeps the image, 1 shows the "
         "translation alone"),
      0.0, 1.0, 1.0, G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (
      procedure, "palette", _ ("_Painting's colours"),
      _ ("How far the result takes the tones and colours of the painting the model "
         "learned (models trained with Quick or Balanced): 1 the painting's, 0 the "
         "network's own"),
      0.0, 1.0, 1.0, G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument (
      procedure, "device", _ ("_Device"), _ ("Where the network runs"),
      gimp_choice_new_with_values (
          "auto", 0, _ ("Automatic"), _ ("A CUDA GPU when there is one, else the CPU"),
          "cpu", 1, _ ("CPU"), NULL, "cuda", 2, _ ("CUDA GPU"), NULL, NULL),
      "auto", G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (
      procedure, "tile-size", _ ("_Tile size"),
      _ ("Edge of the square tiles the image is processed in, in pixels; 0 picks the "
         "largest that fits in memory. Results do not depend on it"),
      0, 16384, 0, G_PARAM_READWRITE);
  return procedure;
}
