/* The version layer of the shared widgets (gimp-ui-compat.h), GTK 2. */
#include "gimp-ui-compat.h"

GtkWidget *
gcut_ui_box_new (GtkOrientation orientation, int spacing)
{
  return orientation == GTK_ORIENTATION_VERTICAL ? gtk_vbox_new (FALSE, spacing)
                                                 : gtk_hbox_new (FALSE, spacing);
}

void
gcut_ui_label_set_xalign (GtkWidget *label, float xalign)
{
  gtk_misc_set_alignment (GTK_MISC (label), xalign, 0.5);
}

GtkWidget *
gcut_ui_progress_bar_new (void)
{
  return gtk_progress_bar_new ();
}
