/* gegl-cut's GIMP 3 plug-in: what its files share. */
#pragma once

#include <glib/gi18n-lib.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "gimp-apply-graph.h"
#include "gimp-procedures.h"

G_BEGIN_DECLS

/* An image procedure on one RGB drawable in the submenu; label and blurb
 * translated. */
GimpProcedure *gcut_procedure_new (GimpPlugIn *plug_in, const char *name,
                                   GimpRunImageFunc run, const char *label,
                                   const char *blurb, const char *help);

/* The two procedures, with their arguments and run functions. */
GimpProcedure *gcut_train_procedure_new (GimpPlugIn *plug_in);
GimpProcedure *gcut_apply_procedure_new (GimpPlugIn *plug_in);

/* The settings dialogs; FALSE when the user cancels. */
gboolean gcut_train_dialog (GimpProcedure *procedure, GimpProcedureConfig *config,
                            GimpImage *image);
gboolean gcut_apply_dialog (GimpProcedure *procedure, GimpProcedureConfig *config);

/* Runs gcut:translate over the whole drawable through its shadow buffer, so the
 * pixels are those of the op in the gegl tool. */
gboolean gcut_apply_drawable (GimpDrawable *drawable, const GcutApplySettings *settings,
                              GError **error);

/* The one drawable a procedure works on; NULL, with an error, for none or
 * several. */
GimpDrawable *gcut_single_drawable (GimpDrawable **drawables, GError **error);

G_END_DECLS
