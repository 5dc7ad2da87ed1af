/* gegl-cut's GIMP 3 plug-in: registers the two procedures under
 * Filters → Artistic → Contrastive Translation. */
#include "gimp3-plugin.h"

typedef struct
{
  GimpPlugIn parent_instance;
} GcutPlugIn;

typedef GimpPlugInClass GcutPlugInClass;

G_DEFINE_TYPE (GcutPlugIn, gcut_plug_in, GIMP_TYPE_PLUG_IN)

static GList *
query_procedures (GimpPlugIn *plug_in)
{
  return g_list_append (g_list_append (NULL, g_strdup (GCUT_PROC_TRAIN)),
                        g_strdup (GCUT_PROC_APPLY));
}

static GimpProcedure *
create_procedure (GimpPlugIn *plug_in, const char *name)
{
  if (g_strcmp0 (name, GCUT_PROC_TRAIN) == 0)
    return gcut_train_procedure_new (plug_in);
  if (g_strcmp0 (name, GCUT_PROC_APPLY) == 0)
    return gcut_apply_procedure_new (plug_in);
  return NULL;
}

/* GIMP only takes catalogs beside the plug-in; ours are installed with the
 * operations', so the plug-in binds its domain itself (gcut_plug_in_init) and
 * registers labels already translated. */
static gboolean
set_i18n (GimpPlugIn *plug_in, const char *procedure_name, char **gettext_domain,
          char **catalog_dir)
{
  return FALSE;
}

static void
gcut_plug_in_class_init (GcutPlugInClass *klass)
{
  klass->query_procedures = query_procedures;
  klass->create_procedure = create_procedure;
  klass->set_i18n = set_i18n;
}

static void
gcut_plug_in_init (GcutPlugIn *plug_in)
{
  bindtextdomain (GETTEXT_PACKAGE, GCUT_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

GimpProcedure *
gcut_procedure_new (GimpPlugIn *plug_in, const char *name, GimpRunImageFunc run,
                    const char *label, const char *blurb, const char *help)
{
  GimpProcedure *procedure = gimp_image_procedure_new (
      plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN, run, NULL, NULL);

  gimp_procedure_set_image_types (procedure, "RGB*");
  gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, label);
  gimp_procedure_add_menu_path (procedure, GCUT_MENU_PATH);
  gimp_procedure_set_documentation (procedure, blurb, help, name);
  gimp_procedure_set_attribution (procedure, GCUT_ATTRIBUTION);
  return procedure;
}

GimpDrawable *
gcut_single_drawable (GimpDrawable **drawables, GError **error)
{
  if (!drawables || !drawables[0] || drawables[1])
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("Choose exactly one layer or channel"));
      return NULL;
    }
  return drawables[0];
}

GIMP_MAIN (gcut_plug_in_get_type ())
