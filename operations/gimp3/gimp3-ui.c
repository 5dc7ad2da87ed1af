/* The version layer of the shared widgets (gimp-ui-compat.h), GTK 3. */
#include "gimp-ui-compat.h"

GtkWidget *
gcut_ui_box_new (GtkOrientation orientation, int spacing)
{
  return gtk_box_new (orientation, spacing);
}

void
gcut_ui_label_set_xalign (GtkWidget *label, float xalign)
{
  gtk_label_set_xalign (GTK_LABEL (label), xalign);
}

GtkWidget *
gcut_ui_progress_bar_new (void)
{
  GtkWidget *bar = gtk_progress_bar_new ();

  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (bar), TRUE);
  return bar;
}
