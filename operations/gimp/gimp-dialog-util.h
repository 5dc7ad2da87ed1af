/* Widgets both settings dialogs use. */
#pragma once

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

G_BEGIN_DECLS

/* A row for "a name from a list, or a file": an editable combo box holding
 * names (NULL-terminated) with current in its entry, and a button that opens a
 * file chooser (showing files matching pattern) and puts the chosen path into
 * the entry.  *combo receives the combo box for gcut_name_or_file_get. */
GtkWidget *gcut_name_or_file_new (const char *const *names, const char *current,
                                  const char *chooser_title, const char *pattern,
                                  const char *pattern_name, GtkWidget **combo);
/* The entry's text, stripped of surrounding white space (newly allocated). */
char *gcut_name_or_file_get (GtkWidget *combo);

G_END_DECLS
