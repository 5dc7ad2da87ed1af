/* gegl-cut's GIMP 2.10 plug-in: registers the two procedures under
 * Filters → Artistic → Contrastive Translation and runs them. */
#include <string.h>

#include <gegl.h>

#include <gcp/gcp-quality.h>

#include "gct-trainer.h"
#include "gimp2-plugin.h"
#include <libgimp/gimpui.h>

static const GcutTrainValues train_defaults
    = { .style_drawable = -1, .recipe = GCP_QUALITY_DEFAULT, .model_name = "my-style" };
static const GcutApplyValues apply_defaults = { .model = "starry-night",
                                                .device = "auto",
                                                .tile_size = 0,
                                                .strength = 1.0,
                                                .palette = 1.0 };

gboolean
gcut_copy_field (char *field, gsize size, const char *src)
{
  return g_strlcpy (field, src ? src : "", size) < size;
}

static void
query (void)
{
  static const GimpParamDef train_args[] = {
    { GIMP_PDB_INT32, "run-mode",
      "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS "
      "(2) }" },
    { GIMP_PDB_IMAGE, "image", "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "The content to learn from, then translate" },
    { GIMP_PDB_DRAWABLE, "style-drawable",
      "The style painting: a drawable of any open image, or -1 to use style-file" },
    { GIMP_PDB_STRING, "style-file",
      "The style painting's file, when style-drawable is -1" },
    { GIMP_PDB_STRING, "recipe",
      "How long to train: quick (about 2 minutes), balanced (about 5), best (a GPU); "
      "or any recipe name (cut-cpu, fastcut, cut, hdce-src, monce, ...) or recipe "
      "JSON file; empty: balanced" },
    { GIMP_PDB_INT32, "steps", "Training steps (0: the recipe's)" },
    { GIMP_PDB_STRING, "model-name",
      "The model is written to $XDG_DATA_HOME/gegl-cut/models/MODEL-NAME.safetensors" },
  };
  static const GimpParamDef train_returns[] = {
    { GIMP_PDB_STRING, "model-path", "The model file written" },
  };
  static const GimpParamDef apply_args[] = {
    { GIMP_PDB_INT32, "run-mode",
      "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS "
      "(2) }" },
    { GIMP_PDB_IMAGE, "image", "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "The drawable to translate" },
    { GIMP_PDB_STRING, "model", "An installed model's name or a model file" },
    { GIMP_PDB_STRING, "device", "auto, cpu or cuda" },
    { GIMP_PDB_INT32, "tile-size", "Tile edge in pixels (0: automatic)" },
  };

  gimp_plugin_domain_register (GETTEXT_PACKAGE, GCUT_LOCALEDIR);

  gimp_install_procedure (GCUT_PROC_TRAIN, GCUT_TRAIN_BLURB, GCUT_TRAIN_HELP,
                          GCUT_ATTRIBUTION, GCUT_TRAIN_LABEL, "RGB*", GIMP_PLUGIN,
                          G_N_ELEMENTS (train_args), G_N_ELEMENTS (train_returns),
                          train_args, train_returns);
  gimp_plugin_menu_register (GCUT_PROC_TRAIN, GCUT_MENU_PATH);

  gimp_install_procedure (GCUT_PROC_APPLY, GCUT_APPLY_BLURB, GCUT_APPLY_HELP,
                          GCUT_ATTRIBUTION, GCUT_APPLY_LABEL, "RGB*", GIMP_PLUGIN,
                          G_N_ELEMENTS (apply_args), 0, apply_args, NULL);
  gimp_plugin_menu_register (GCUT_PROC_APPLY, GCUT_MENU_PATH);
}

/* Reports a failure: the text goes back after the status, which GIMP shows
 * to whoever called the procedure (the error console, a script's error);
 * a user at a dialog also gets it as a message. */
static GimpPDBStatusType
fail (GimpRunMode mode, GError *error, GimpParam *values, int *n_values)
{
  static char *text;

  g_free (text);
  text = g_strdup (error->message);
  g_error_free (error);
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_message (text);
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = text;
  *n_values = 2;
  return GIMP_PDB_EXECUTION_ERROR;
}

static gint32
add_result_layer (gint32 image, gint32 drawable, const char *model_name)
{
  gint32 layer = gimp_layer_new_from_drawable (drawable, image);
  g_autofree char *name
      = g_strdup_printf (_ ("Contrastive translation (%s)"), model_name);
  gint32 parent = -1, position = 0;

  if (gimp_item_is_layer (drawable))
    {
      parent = gimp_item_get_parent (drawable);
      position = gimp_image_get_item_position (image, drawable);
    }
  gimp_item_set_name (layer, name);
  gimp_image_insert_layer (image, layer, parent, position);
  return layer;
}

static GimpPDBStatusType
run_train (GimpRunMode mode, int n_params, const GimpParam *param, GimpParam *values,
           int *n_values)
{
  static char *model_path;
  gint32 image = param[1].data.d_image, drawable = param[2].data.d_drawable, layer;
  GcutTrainValues v = train_defaults;
  GcutApplyValues apply = apply_defaults;
  GError *error = NULL;
  g_autofree char *path = NULL;

  if (mode == GIMP_RUN_NONINTERACTIVE)
    {
      if (n_params != 8)
        return GIMP_PDB_CALLING_ERROR;
      v.style_drawable = param[3].data.d_drawable;
      v.steps = param[6].data.d_int32;
      if (!gcut_copy_field (v.style_file, sizeof v.style_file, param[4].data.d_string)
          || !gcut_copy_field (v.recipe, sizeof v.recipe, param[5].data.d_string)
          || !gcut_copy_field (v.model_name, sizeof v.model_name, param[7].data.d_string)
          || v.steps < 0)
        return GIMP_PDB_CALLING_ERROR;
      if (!*v.recipe)
        gcut_copy_field (v.recipe, sizeof v.recipe, train_defaults.recipe);
    }
  else
    {
      gimp_get_data (GCUT_PROC_TRAIN, &v);
      if (mode == GIMP_RUN_INTERACTIVE && !gcut_train_dialog (&v))
        return GIMP_PDB_CANCEL;
      gimp_set_data (GCUT_PROC_TRAIN, &v, sizeof v);
    }

  path = gcut_train (drawable, &v, mode != GIMP_RUN_NONINTERACTIVE, &error);
  if (!path)
    {
      if (g_error_matches (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED))
        {
          g_error_free (error);
          return GIMP_PDB_CANCEL;
        }
      return fail (mode, error, values, n_values);
    }

  gcut_copy_field (apply.model, sizeof apply.model, path);
  gimp_image_undo_group_start (image);
  layer = add_result_layer (image, drawable, v.model_name);
  if (!gcut_apply_drawable (layer, &apply, &error))
    gimp_image_remove_layer (image, layer);
  gimp_image_undo_group_end (image);
  if (error)
    {
      g_prefix_error (&error, _ ("The model was saved as %s, but applying it failed: "),
                      path);
      return fail (mode, error, values, n_values);
    }
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  g_free (model_path);
  model_path = g_steal_pointer (&path);
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = model_path;
  *n_values = 2;
  return GIMP_PDB_SUCCESS;
}

static GimpPDBStatusType
run_apply (GimpRunMode mode, int n_params, const GimpParam *param, GimpParam *values,
           int *n_values)
{
  gint32 image = param[1].data.d_image, drawable = param[2].data.d_drawable;
  GcutApplyValues v = apply_defaults;
  GError *error = NULL;

  if (mode == GIMP_RUN_NONINTERACTIVE)
    {
      if (n_params != 6)
        return GIMP_PDB_CALLING_ERROR;
      v.tile_size = param[5].data.d_int32;
      if (!gcut_copy_field (v.model, sizeof v.model, param[3].data.d_string)
          || !gcut_copy_field (v.device, sizeof v.device, param[4].data.d_string)
          || v.tile_size < 0)
        return GIMP_PDB_CALLING_ERROR;
      if (!*v.device)
        gcut_copy_field (v.device, sizeof v.device, apply_defaults.device);
    }
  else
    {
      gimp_get_data (GCUT_PROC_APPLY, &v);
      if (mode == GIMP_RUN_INTERACTIVE && !gcut_apply_dialog (&v))
        return GIMP_PDB_CANCEL;
      gimp_set_data (GCUT_PROC_APPLY, &v, sizeof v);
    }

  gimp_image_undo_group_start (image);
  gcut_apply_drawable (drawable, &v, &error);
  gimp_image_undo_group_end (image);
  if (error)
    return fail (mode, error, values, n_values);
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return GIMP_PDB_SUCCESS;
}

static void
run (const char *name, int n_params, const GimpParam *param, int *n_return_vals,
     GimpParam **return_vals)
{
  static GimpParam values[2];
  GimpRunMode mode = param[0].data.d_int32;

  bindtextdomain (GETTEXT_PACKAGE, GCUT_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  gegl_init (NULL, NULL);
  /* Repeating a filter (last values) is interactive too: the training window
   * is the only way to cancel a run gracefully. */
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_ui_init (GCUT_PLUG_IN_BINARY, FALSE);

  *n_return_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  if (strcmp (name, GCUT_PROC_TRAIN) == 0)
    values[0].data.d_status = run_train (mode, n_params, param, values, n_return_vals);
  else if (strcmp (name, GCUT_PROC_APPLY) == 0)
    values[0].data.d_status = run_apply (mode, n_params, param, values, n_return_vals);
  else
    values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
}

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

MAIN ()
