/* gegl-cut operations: the bundle GEGL loads, registering every gcut:* op. */
#include "gcut-ops.h"

void gegl_op_gcut_translate_register_type (GTypeModule *module);
void gegl_op_gcut_train_register_type (GTypeModule *module);
void gegl_op_gcut_similarity_register_type (GTypeModule *module);

static const GeglModuleInfo modinfo = { GEGL_MODULE_ABI_VERSION };

G_MODULE_EXPORT const GeglModuleInfo *
gegl_module_query (GTypeModule *module)
{
  return &modinfo;
}

G_MODULE_EXPORT gboolean
gegl_module_register (GTypeModule *module)
{
  /* The labels are translated when the classes are made, right after this;
   * GEGL_CUT_LOCALEDIR points at uninstalled catalogs (tests). */
  const char *localedir = g_getenv ("GEGL_CUT_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : GCUT_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  gegl_op_gcut_translate_register_type (module);
  gegl_op_gcut_train_register_type (module);
  gegl_op_gcut_similarity_register_type (module);
  return TRUE;
}
