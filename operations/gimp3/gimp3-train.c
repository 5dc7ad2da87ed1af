/* plug-in-gcut-train in GIMP 3: trains on a drawable and a style from a
 * layer or a file (gimp-train-ui.h), then adds the translation as a layer. */
#include <gcp/gcp-quality.h>

#include "gimp-train-ui.h"
#include "gimp3-plugin.h"

static GctImage *
read_drawable (GimpDrawable *drawable, double scale, GError **error)
{
  g_autoptr (GeglBuffer) buffer = gimp_drawable_get_buffer (drawable);
  return gcut_train_read_buffer (buffer, scale, error);
}

/* A drawable's pixels, for the trainer to read in strips. */
static GctImageReader *
drawable_reader (GimpDrawable *drawable, const char *name)
{
  g_autoptr (GeglBuffer) buffer = gimp_drawable_get_buffer (drawable);
  return gct_image_reader_new_for_buffer (buffer, name);
}

/* The style: style-layer when set (in a dialog: when chosen), else
 * style-file. */
static GctImageReader *
load_style (GimpProcedureConfig *config, gboolean dialog, GError **error)
{
  g_autoptr (GimpDrawable) layer = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *source = NULL, *path = NULL;

  g_object_get (config, "style-layer", &layer, "style-file", &file, "style-source",
                &source, NULL);
  if (dialog && g_strcmp0 (source, "file") == 0)
    g_clear_object (&layer);
  if (layer)
    return drawable_reader (layer, "the style layer");
  path = file ? g_file_get_path (file) : NULL;
  if (!path)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("Choose a style image: a layer or an image file"));
      return NULL;
    }
  return gct_image_reader_open (path, error);
}

/* The translation of drawable by the model at path, as a new layer above it. */
static GimpLayer *
add_result_layer (GimpImage *image, GimpDrawable *drawable, const char *model_name,
                  const char *path, GError **error)
{
  GimpLayer *layer = gimp_layer_new_from_drawable (drawable, image);
  g_autofree char *name
      = g_strdup_printf (_ ("Contrastive translation (%s)"), model_name);
  GimpLayer *parent = NULL;
  int position = 0;
  gboolean ok;

  if (gimp_item_is_layer (GIMP_ITEM (drawable)))
    {
      parent = GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (drawable)));
      position = gimp_image_get_item_position (image, GIMP_ITEM (drawable));
    }
  gimp_item_set_name (GIMP_ITEM (layer), name);
  gimp_image_insert_layer (image, layer, parent, position);
  ok = gcut_apply_drawable (GIMP_DRAWABLE (layer),
                            &(GcutApplySettings){ path, "auto", 0, 1.0, 1.0 }, error);
  if (!ok)
    {
      gimp_image_remove_layer (image, layer);
      return NULL;
    }
  return layer;
}

static GimpValueArray *
fail (GimpProcedure *procedure, GError *error)
{
  GimpPDBStatusType status = GIMP_PDB_EXECUTION_ERROR;

  if (g_error_matches (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED))
    {
      g_clear_error (&error);
      status = GIMP_PDB_CANCEL;
    }
  return gimp_procedure_new_return_values (procedure, status, error);
}

static GimpValueArray *
run (GimpProcedure *procedure, GimpRunMode mode, GimpImage *image,
     GimpDrawable **drawables, GimpProcedureConfig *config, gpointer data)
{
  g_autoptr (GctImageReader) content = NULL, style = NULL;
  g_autoptr (GctImage) thumb = NULL;
  g_autofree char *quality = NULL, *recipe = NULL, *model_name = NULL, *path = NULL;
  GcutTrainJob job = { 0 };
  GimpDrawable *drawable;
  GimpValueArray *values;
  GimpLayer *layer;
  GError *error = NULL;

  gegl_init (NULL, NULL);
  if (!(drawable = gcut_single_drawable (drawables, &error)))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR, error);
  /* Repeating a filter (last values) is interactive too: the training window
   * is the only way to cancel a run gracefully. */
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_ui_init (GCUT_PLUG_IN_ROLE);
  if (mode == GIMP_RUN_INTERACTIVE && !gcut_train_dialog (procedure, config, image))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);

  g_object_get (config, "quality", &quality, "recipe", &recipe, "steps", &job.steps,
                "model-name", &model_name, NULL);
  job.recipe
      = gcut_train_choose_recipe (quality, recipe ? g_strstrip (recipe) : NULL, &error);
  job.model_name = model_name ? model_name : "";
  if (!job.recipe
      || !(style = load_style (config, mode != GIMP_RUN_NONINTERACTIVE, &error)))
    return fail (procedure, error);
  content = drawable_reader (drawable, "the image");
  if (mode != GIMP_RUN_NONINTERACTIVE
      && !(thumb = read_drawable (drawable,
                                  gcut_train_thumb_scale (content, GCUT_TRAIN_THUMB_SIZE),
                                  &error)))
    return fail (procedure, error);
  job.content = content;
  job.style = style;
  job.thumb = thumb;
  path = gcut_train_in_gimp (&job, GCUT_PROC_TRAIN, &error);
  if (!path)
    return fail (procedure, error);

  gimp_image_undo_group_start (image);
  layer = add_result_layer (image, drawable, job.model_name, path, &error);
  gimp_image_undo_group_end (image);
  if (!layer)
    {
      g_prefix_error (&error, _ ("The model was saved as %s, but applying it failed: "),
                      path);
      return fail (procedure, error);
    }
  if (mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_STRING (values, 1, path);
  GIMP_VALUES_SET_LAYER (values, 2, layer);
  return values;
}

static GimpChoice *
quality_choice (void)
{
  GimpChoice *choice = gimp_choice_new ();
  int n;
  const GcpQuality *q = gcp_qualities (&n);

  for (int i = 0; i < n; i++)
    gimp_choice_add (choice, q[i].name, i, _ (q[i].label), _ (q[i].help));
  return choice;
}

GimpProcedure *
gcut_train_procedure_new (GimpPlugIn *plug_in)
{
  GimpProcedure *procedure
      = gcut_procedure_new (plug_in, GCUT_PROC_TRAIN, run, _ (GCUT_TRAIN_LABEL),
                            _ (GCUT_TRAIN_BLURB), GCUT_TRAIN_HELP);

  gimp_procedure_add_drawable_argument (
      procedure, "style-layer", _ ("Style la_yer"),
      _ ("The style painting: a layer of any open image; when unset, style-file"), TRUE,
      G_PARAM_READWRITE);
  gimp_procedure_add_file_argument (procedure, "style-file", _ ("Style f_ile"),
                                    _ ("The style painting's file, when style-layer "
                                       "is unset"),
                                    GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE, NULL,
                                    G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument (
      procedure, "quality", _ ("_Quality"),
      _ ("How long to train: quick (about 2 minutes), balanced (about 5), best (a GPU)"),
      quality_choice (), GCP_QUALITY_DEFAULT, G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (
      procedure, "recipe", _ ("_Recipe"),
      _ ("A recipe to run instead of the quality's: a recipe name (cut-cpu, fastcut, "
         "cut, hdce-src, monce, ...) or a recipe file; empty: the quality's"),
      "", G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "steps", _ ("Ste_ps"),
                                   _ ("Training steps; 0: the recipe's"), 0, 10000000, 0,
                                   G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (
      procedure, "model-name", _ ("_Model name"),
      _ ("The model is written to $XDG_DATA_HOME/gegl-cut/models/MODEL-NAME.safetensors"),
      "my-style", G_PARAM_READWRITE);
  /* The dialog's: which of the two style arguments it uses. */
  gimp_procedure_add_choice_aux_argument (
      procedure, "style-source", _ ("Style _from"), _ ("Where the style painting is"),
      gimp_choice_new_with_values ("layer", 0, _ ("An open image's layer"), NULL, "file",
                                   1, _ ("An image file"), NULL, NULL),
      "layer", G_PARAM_READWRITE);

  gimp_procedure_add_string_return_value (procedure, "model-path", _ ("Model path"),
                                          _ ("The model file written"), NULL,
                                          G_PARAM_READWRITE);
  gimp_procedure_add_layer_return_value (procedure, "layer", _ ("Layer"),
                                         _ ("The translated layer added"), FALSE,
                                         G_PARAM_READWRITE);
  return procedure;
}
