/* The few things GTK 2 (GIMP 2.10) and GTK 3 (GIMP 3) do differently, for
 * the widgets both plug-ins share; each plug-in's version layer
 * (gimp2/gimp2-ui.c, gimp3/gimp3-ui.c) implements them. */
#pragma once

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

G_BEGIN_DECLS

GtkWidget *gcut_ui_box_new (GtkOrientation orientation, int spacing);
void gcut_ui_label_set_xalign (GtkWidget *label, float xalign);
/* A progress bar that shows its text. */
GtkWidget *gcut_ui_progress_bar_new (void);

G_END_DECLS
