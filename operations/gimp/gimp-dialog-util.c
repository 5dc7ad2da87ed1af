/* Widgets both settings dialogs use (see gimp-dialog-util.h). */
#include <string.h>

#include <glib/gi18n-lib.h>

#include "gimp-dialog-util.h"
#include "gimp-ui-compat.h"

typedef struct
{
  GtkWidget *combo;
  char *title, *pattern, *pattern_name;
} Browse;

static void
browse_free (gpointer data, GClosure *closure)
{
  Browse *b = data;
  g_free (b->title);
  g_free (b->pattern);
  g_free (b->pattern_name);
  g_free (b);
}

static void
on_browse (GtkButton *button, gpointer data)
{
  Browse *b = data;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (button));
  GtkWidget *chooser = gtk_file_chooser_dialog_new (
      b->title, GTK_WINDOW (toplevel), GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Cancel"),
      GTK_RESPONSE_CANCEL, _ ("_Open"), GTK_RESPONSE_ACCEPT, NULL);
  GtkFileFilter *filter = gtk_file_filter_new ();
  GtkFileFilter *all = gtk_file_filter_new ();
  GtkWidget *entry = gtk_bin_get_child (GTK_BIN (b->combo));
  const char *current = gtk_entry_get_text (GTK_ENTRY (entry));

  gtk_file_filter_set_name (filter, b->pattern_name);
  gtk_file_filter_add_pattern (filter, b->pattern);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_file_filter_set_name (all, _ ("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  if (strchr (current, '/'))
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (chooser), current);

  if (gtk_dialog_run (GTK_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
      if (path)
        gtk_entry_set_text (GTK_ENTRY (entry), path);
    }
  gtk_widget_destroy (chooser);
}

GtkWidget *
gcut_name_or_file_new (const char *const *names, const char *current,
                       const char *chooser_title, const char *pattern,
                       const char *pattern_name, GtkWidget **combo)
{
  GtkWidget *hbox = gcut_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *button = gtk_button_new_with_mnemonic (_ ("_Browse…"));
  Browse *b = g_new0 (Browse, 1);

  *combo = gtk_combo_box_text_new_with_entry ();
  for (int i = 0; names && names[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (*combo), names[i]);
  gtk_entry_set_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (*combo))), current);
  gtk_entry_set_width_chars (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (*combo))), 28);
  gtk_box_pack_start (GTK_BOX (hbox), *combo, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), button, FALSE, FALSE, 0);

  b->combo = *combo;
  b->title = g_strdup (chooser_title);
  b->pattern = g_strdup (pattern);
  b->pattern_name = g_strdup (pattern_name);
  g_signal_connect_data (button, "clicked", G_CALLBACK (on_browse), b, browse_free, 0);
  return hbox;
}

char *
gcut_name_or_file_get (GtkWidget *combo)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (combo))));
  return g_strstrip (g_strdup (text));
}
