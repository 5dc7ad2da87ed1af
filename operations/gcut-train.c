/* gcut:train — trains a contrastive translator on the input (the content
 * photo) and the aux input (the style painting), then shows the input
 * translated.  Training runs only while "run" is on, and a result is kept per
 * inputs and settings, so redrawing a preview never trains again. */
#include "gcut-ops.h"
#include <gcp/gcp-quality.h>

#ifdef GEGL_PROPERTIES

/* clang-format off */
enum_start (gcut_train_device)
  enum_value (GCUT_TRAIN_DEVICE_AUTO, "auto", N_("Automatic"))
  enum_value (GCUT_TRAIN_DEVICE_CPU, "cpu", N_("CPU"))
  enum_value (GCUT_TRAIN_DEVICE_CUDA, "cuda", N_("CUDA GPU"))
enum_end (GcutTrainDevice)

property_boolean (run, _("Train"), FALSE)
  description (_("Off: the input passes through. On: train (once for these "
                 "images and settings) and show the translated input"))

property_enum (quality, _("Quality"), int, gcut_ops_quality_choice,
               gcut_ops_quality_choice_default ())
  description (_("How long to train: each quality runs a recipe; Other runs the "
                 "recipe below"))

property_string (recipe, _("Recipe"), GCP_QUALITY_DEFAULT)
  description (_("A shipped recipe (balanced, quick, best, cut-cpu, cut, fastcut, "
                 "hdce-src, monce, …) or a recipe file"))
  ui_meta ("visible", "quality {other}")

property_string (init, _("Start from"), "")
  description (_("A base model to fine-tune, by name or file; empty uses the "
                 "recipe's choice, \"none\" starts from random weights"))

property_int (steps, _("Steps"), 0)
  description (_("Training steps; 0 uses the recipe's"))
  value_range (0, 10000000)
  ui_range (0, 20000)

property_int (seed, _("Seed"), -1)
  description (_("Random seed; -1 uses the recipe's"))
  value_range (-1, G_MAXINT)

property_enum (device, _("Device"), GcutTrainDevice, gcut_train_device,
               GCUT_TRAIN_DEVICE_AUTO)
  description (_("Where the networks train; Automatic uses a CUDA GPU when there is one"))

property_file_path (model, _("Save model as"), "")
  description (_("Where the trained model is written (a .safetensors file); empty "
                 "keeps it only in memory"))

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

#define GEGL_OP_COMPOSER
#define GEGL_OP_NAME gcut_train
/* clang-format off */
#define GEGL_OP_C_SOURCE gcut-train.c
/* clang-format on */

#include "gegl-op.h"
#include <string.h>
#include <gct-trainer.h>

#include "gcut-train-cache.h"

static GeglRectangle
get_bounding_box (GeglOperation *operation)
{
  return gcut_ops_whole_input (operation, NULL);
}

/* The whole of each input, but nothing of an image over the size limit (only
 * the region asked for of the input, which passes through): process refuses
 * it before anything is read, so it is never rendered. */
static GeglRectangle
get_required_for_output (GeglOperation *operation, const gchar *input_pad,
                         const GeglRectangle *roi)
{
  const GeglRectangle *box
      = gegl_operation_source_get_bounding_box (operation, input_pad);
  if (!box)
    return (GeglRectangle){ 0 };
  if ((gint64)box->width * box->height > GCUT_OPS_MAX_PIXELS)
    return strcmp (input_pad, "aux") ? *roi : (GeglRectangle){ 0 };
  return *box;
}

/* FALSE, with the error, when the style image is over the size limit that
 * gcut_ops_check_size applies to the input. */
static gboolean
check_style_size (GeglOperation *operation, GError **error)
{
  const GeglRectangle *box = gegl_operation_source_get_bounding_box (operation, "aux");
  if (!box || (gint64)box->width * box->height <= GCUT_OPS_MAX_PIXELS)
    return TRUE;
  g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
               _ ("The style image (aux input) is too large: %d×%d pixels, the limit is "
                  "%d megapixels"),
               box->width, box->height, (int)(GCUT_OPS_MAX_PIXELS >> 20));
  return FALSE;
}

typedef struct
{
  GeglOperation *op;
  char *text;
} Progress;

static gboolean
on_progress (const GctProgress *p, gpointer data)
{
  Progress *progress = data;
  g_free (progress->text);
  /* Steps are at most 10 million (the property's range). */
  progress->text
      = g_strdup_printf (_ ("Training: step %d of %d"), (int)p->step, (int)p->total);
  /* Translating the input afterwards is the last few percent. */
  gegl_operation_progress (progress->op, 0.95 * p->step / MAX (p->total, 1),
                           progress->text);
  return TRUE;
}

static GcutTrainResult *
train (GeglOperation *operation, GeglBuffer *input, GeglBuffer *aux, const char *key,
       GcutBackend *backend, GError **error)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  g_autoptr (GcpRecipe) recipe = gcp_recipe_load (o->recipe, error);
  /* Read in strips by the trainer, which keeps what the recipe needs. */
  g_autoptr (GctImageReader) content
      = gct_image_reader_new_for_buffer (input, "the input (content image)");
  g_autoptr (GctImageReader) style
      = gct_image_reader_new_for_buffer (aux, "the aux input (style image)");
  g_autoptr (GctTrainer) trainer = NULL;
  Progress progress = { operation, NULL };
  gboolean ok;

  if (!recipe)
    return NULL;
  if (o->steps > 0)
    gcp_recipe_set_steps (recipe, o->steps);
  if (o->seed >= 0)
    recipe->seed = o->seed;
  gcut_train_apply_init (recipe, o->init);
  trainer = gct_trainer_new (recipe, content, style, backend, error);
  if (!trainer)
    return NULL;
  gct_trainer_set_progress (trainer, on_progress, &progress);
  ok = gct_trainer_run (trainer, 0, error);
  g_free (progress.text);
  return ok ? gcut_train_result_new (trainer, key, error) : NULL;
}

/* The cached result for these inputs and settings, else a new run. */
static GcutTrainResult *
find_or_train (GeglOperation *operation, GeglBuffer *input, GeglBuffer *aux,
               GcutBackend **backend, GError **error)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  g_autofree char *key = NULL;
  GcutTrainResult *trained;

  if (!aux)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           _ ("Connect a style image to the aux input"));
      return NULL;
    }
  if (!(*backend = gcut_ops_backend (o->device, error)))
    return NULL;
  key = gcut_train_key (input, aux, o->recipe, o->init, o->steps, o->seed,
                        gcut_backend_name (*backend), error);
  if (!key)
    return NULL;
  trained = gcut_train_cache_lookup (key);
  if (!trained && (trained = train (operation, input, aux, key, *backend, error)))
    gcut_train_cache_insert (trained);
  return trained;
}

static gboolean
process (GeglOperation *operation, GeglBuffer *input, GeglBuffer *aux, GeglBuffer *output,
         const GeglRectangle *result, gint level)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  GeglRectangle box = gcut_ops_whole_input (operation, result);
  g_autoptr (GcutTrainResult) trained = NULL;
  g_autoptr (GError) error = NULL;
  GcutBackend *backend = NULL;

  if (!o->run)
    {
      gegl_buffer_copy (input, &box, GEGL_ABYSS_NONE, output, &box);
      gcut_ops_clear_error (operation, &o->error, &o->failed);
      return TRUE;
    }
  if (gcut_ops_check_size (operation, &error) && check_style_size (operation, &error))
    trained = find_or_train (operation, input, aux, &backend, &error);
  /* A SinCUT G's noise: gcut:translate's default seed unless one is given. */
  if (!trained || (*o->model && !gcut_train_result_save (trained, o->model, &error))
      || !gcut_ops_translate (operation, gcut_train_result_generator (trained), backend,
                              0, MAX (o->seed, 0), input, output, &box, 0.95, 1.0,
                              &error))
    {
      gcut_ops_fail (operation, &o->error, &o->failed, error, input, output, &box);
      return TRUE;
    }
  /* As gcut:translate shows the saved model by default: with its palette. */
  if (gcut_train_result_palette (trained))
    gcut_ops_match_palette (output, &box, gcut_train_result_palette (trained), 1.0);
  gcut_ops_clear_error (operation, &o->error, &o->failed);
  return TRUE;
}

static void
gegl_op_class_init (GeglOpClass *klass)
{
  GeglOperationClass *operation_class = GEGL_OPERATION_CLASS (klass);
  GeglOperationComposerClass *composer_class = GEGL_OPERATION_COMPOSER_CLASS (klass);

  gcut_ops_class_whole_image (operation_class);
  operation_class->get_bounding_box = get_bounding_box;
  operation_class->get_required_for_output = get_required_for_output;
  composer_class->process = process;
  gcut_ops_class_link_properties (G_OBJECT_CLASS (klass), "quality", "recipe");

  /* clang-format off */
  gegl_operation_class_set_keys (operation_class,
    "name",            "gcut:train",
    "title",           _("Train Contrastive Translation"),
    "categories",      "artistic:generic",
    "gimp:menu-path",  "<Image>/Filters/Artistic/Contrastive Translation",
    "gimp:menu-label", _("Train as a Live Filter…"),
    "description",     _("Learns the style of the aux image (a painting) for the "
                         "input (a photo) with contrastive unpaired translation, "
                         "and shows the input translated"),
    NULL);
  /* clang-format on */
}

#endif
