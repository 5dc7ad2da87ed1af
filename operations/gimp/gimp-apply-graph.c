/* Applying a model for both GIMP plug-ins (see gimp-apply-graph.h). */
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "gimp-apply-graph.h"

gboolean
gcut_apply_has (const char *setting)
{
  return gegl_has_operation (GCUT_OP_TRANSLATE)
         && gegl_operation_find_property (GCUT_OP_TRANSLATE, setting) != NULL;
}

/* The op's device property is an enum; the plug-ins take its nick. */
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

static gboolean
check_settings (const GcutApplySettings *s, int *device, GError **error)
{
  if (!gegl_has_operation (GCUT_OP_TRANSLATE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _ ("The GEGL operation %s is not installed (GEGL looks for it in "
                      "its extension folders and in $GEGL_PATH)"),
                   GCUT_OP_TRANSLATE);
      return FALSE;
    }
  if (!(s->strength >= 0.0 && s->strength <= 1.0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The strength must be from 0 to 1, not %g"), s->strength);
      return FALSE;
    }
  if (!(s->palette >= 0.0 && s->palette <= 1.0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The painting's colours must be from 0 to 1, not %g"), s->palette);
      return FALSE;
    }
  if (s->strength != 1.0 && !gcut_apply_has ("strength"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _ ("The installed gcut:translate has no strength setting: "
                              "use strength 1, or update gegl-cut"));
      return FALSE;
    }
  if (s->tile_size < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The tile size must be 0 (automatic) or more, not %d"),
                   s->tile_size);
      return FALSE;
    }
  return device_value (s->device, device, error);
}

typedef struct
{
  void (*func) (double fraction, gpointer data);
  gpointer data;
} Progress;

/* GeglNode::progress has the fraction only; the message goes elsewhere. */
static void
on_progress (GeglNode *node, double fraction, gpointer data)
{
  Progress *p = data;
  p->func (CLAMP (fraction, 0.0, 1.0), p->data);
}

gboolean
gcut_apply_buffers (GeglBuffer *source, GeglBuffer *dest,
                    const GcutApplySettings *settings,
                    void (*progress) (double fraction, gpointer data), gpointer data,
                    GError **error)
{
  g_autoptr (GeglNode) graph = NULL;
  g_autofree char *op_error = NULL;
  GeglNode *input, *translate, *output;
  Progress p = { progress, data };
  int device;

  if (!check_settings (settings, &device, error))
    return FALSE;
  graph = gegl_node_new ();
  input = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", source,
                               NULL);
  translate = gegl_node_new_child (graph, "operation", GCUT_OP_TRANSLATE, "model",
                                   settings->model, "device", device, "tile-size",
                                   settings->tile_size, NULL);
  if (gcut_apply_has ("strength"))
    gegl_node_set (translate, "strength", settings->strength, NULL);
  /* An older op has no palette: it applies the network's colours. */
  if (gcut_apply_has ("palette"))
    gegl_node_set (translate, "palette", settings->palette, NULL);
  output = gegl_node_new_child (graph, "operation", "gegl:write-buffer", "buffer", dest,
                                NULL);
  gegl_node_link_many (input, translate, output, NULL);
  if (progress)
    g_signal_connect (translate, "progress", G_CALLBACK (on_progress), &p);
  gegl_node_process (output);

  /* A failed run passes the input through and says why in "error". */
  gegl_node_get (translate, "error", &op_error, NULL);
  if (op_error && *op_error)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, op_error);
      return FALSE;
    }
  /* The graph holds dest: push its tiles out before the caller uses it. */
  gegl_buffer_flush (dest);
  return TRUE;
}
