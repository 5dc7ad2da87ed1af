/* Applying a model to a drawable: the GEGL op gcut:translate between the
 * drawable's buffer and its shadow. */
#include <gegl.h>

#include "gimp-plugin.h"

#define GCUT_OP_TRANSLATE "gcut:translate"

static void
on_progress (GeglNode *node, double progress, const char *message, gpointer data)
{
  gimp_progress_update (CLAMP (progress, 0.0, 1.0));
}

/* The op's device property is an enum; the PDB takes its nick. */
static gboolean
device_value (const char *nick, int *value, GError **error)
{
  GParamSpec *pspec = gegl_operation_find_property (GCUT_OP_TRANSLATE, "device");
  GEnumValue *v = NULL;

  if (pspec && G_IS_PARAM_SPEC_ENUM (pspec))
    v = g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM (pspec)->enum_class, nick);
  if (!v)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("Unknown device “%s” (use auto, cpu or cuda)"), nick);
      return FALSE;
    }
  *value = v->value;
  return TRUE;
}

gboolean
gcut_apply_drawable (gint32 drawable, const GcutApplyValues *values, GError **error)
{
  g_autoptr (GeglNode) graph = NULL;
  g_autoptr (GeglBuffer) source = NULL;
  g_autoptr (GeglBuffer) shadow = NULL;
  g_autofree char *op_error = NULL;
  GeglNode *input, *translate, *output;
  int device;

  if (!gegl_has_operation (GCUT_OP_TRANSLATE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _ ("The GEGL operation %s is not installed (GEGL looks for it in "
                      "its extension folders and in $GEGL_PATH)"),
                   GCUT_OP_TRANSLATE);
      return FALSE;
    }
  if (!device_value (values->device, &device, error))
    return FALSE;

  source = gimp_drawable_get_buffer (drawable);
  shadow = gimp_drawable_get_shadow_buffer (drawable);
  graph = gegl_node_new ();
  input = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", source,
                               NULL);
  translate = gegl_node_new_child (graph, "operation", GCUT_OP_TRANSLATE, "model",
                                   values->model, "device", device, "tile-size",
                                   values->tile_size, NULL);
  output = gegl_node_new_child (graph, "operation", "gegl:write-buffer", "buffer", shadow,
                                NULL);
  gegl_node_link_many (input, translate, output, NULL);
  g_signal_connect (translate, "progress", G_CALLBACK (on_progress), NULL);

  gimp_progress_init_printf (_ ("Contrastive translation (%s)"), values->model);
  gegl_node_process (output);
  gimp_progress_update (1.0);

  /* A failed run passes the input through and says why in "error". */
  gegl_node_get (translate, "error", &op_error, NULL);
  if (op_error && *op_error)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, op_error);
      return FALSE;
    }

  /* The graph still holds the shadow: push its tiles to GIMP before merging. */
  gegl_buffer_flush (shadow);
  gimp_drawable_merge_shadow (drawable, TRUE);
  gimp_drawable_update (drawable, 0, 0, gimp_drawable_width (drawable),
                        gimp_drawable_height (drawable));
  return TRUE;
}
