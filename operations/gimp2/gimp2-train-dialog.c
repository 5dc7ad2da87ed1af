/* The settings dialog of plug-in-gcut-train: the style, how long to train
 * (a quality), the model's name; the recipe and steps under Advanced. */
#include <gcp/gcp-quality.h>
#include <gcp/gcp-recipe.h>

#include "gimp-dialog-util.h"
#include "gimp-train-run.h"
#include "gimp2-plugin.h"

typedef struct
{
  GtkWidget *use_layer, *layer_combo, *file_button;
} StyleWidgets;

static gboolean
is_rgb (gint32 image, gint32 drawable, gpointer data)
{
  return gimp_drawable_is_rgb (drawable);
}

static void
on_style_toggled (GtkToggleButton *button, gpointer data)
{
  StyleWidgets *w = data;
  gboolean layer = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (w->use_layer));

  gtk_widget_set_sensitive (w->layer_combo, layer);
  gtk_widget_set_sensitive (w->file_button, !layer);
}

static GtkWidget *
style_frame (const GcutTrainValues *values, StyleWidgets *w)
{
  GtkWidget *frame = gimp_frame_new (_ ("Style Painting"));
  GtkWidget *table = gtk_table_new (2, 2, FALSE);
  GtkWidget *use_file;
  GtkFileFilter *filter = gtk_file_filter_new ();
  gboolean layer
      = values->style_drawable != -1 && gimp_item_is_valid (values->style_drawable);

  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_container_add (GTK_CONTAINER (frame), table);

  w->use_layer = gtk_radio_button_new_with_mnemonic (NULL, _ ("From a _layer:"));
  w->layer_combo = gimp_drawable_combo_box_new (is_rgb, NULL);
  if (layer)
    gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (w->layer_combo),
                                   values->style_drawable);
  gtk_table_attach (GTK_TABLE (table), w->use_layer, 0, 1, 0, 1, GTK_FILL, GTK_FILL, 0,
                    0);
  gtk_table_attach (GTK_TABLE (table), w->layer_combo, 1, 2, 0, 1, GTK_FILL | GTK_EXPAND,
                    GTK_FILL, 0, 0);

  use_file = gtk_radio_button_new_with_mnemonic_from_widget (
      GTK_RADIO_BUTTON (w->use_layer), _ ("From a _file:"));
  w->file_button = gtk_file_chooser_button_new (_ ("Choose the Style Painting"),
                                                GTK_FILE_CHOOSER_ACTION_OPEN);
  gtk_file_filter_set_name (filter, _ ("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (w->file_button), filter);
  if (*values->style_file)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (w->file_button), values->style_file);
  gtk_table_attach (GTK_TABLE (table), use_file, 0, 1, 1, 2, GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach (GTK_TABLE (table), w->file_button, 1, 2, 1, 2, GTK_FILL | GTK_EXPAND,
                    GTK_FILL, 0, 0);

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (layer ? w->use_layer : use_file),
                                TRUE);
  g_signal_connect (w->use_layer, "toggled", G_CALLBACK (on_style_toggled), w);
  on_style_toggled (NULL, w);
  return frame;
}

/* The qualities as a combo box, on values' recipe's quality (else the
 * default one). */
static GtkWidget *
quality_combo (const GcutTrainValues *values)
{
  const GcpQuality *current = gcp_quality_for_recipe (values->recipe);
  GtkWidget *combo = gtk_combo_box_text_new ();
  int n;
  const GcpQuality *q = gcp_qualities (&n);

  if (!current)
    current = gcp_quality_find (GCP_QUALITY_DEFAULT);
  for (int i = 0; i < n; i++)
    {
      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (combo), _ (q[i].label));
      if (&q[i] == current)
        gtk_combo_box_set_active (GTK_COMBO_BOX (combo), i);
    }
  return combo;
}

/* Advanced: a recipe that overrides the quality, and the steps. */
static GtkWidget *
advanced_expander (const GcutTrainValues *values, GtkWidget **recipe, GtkWidget **steps)
{
  GtkWidget *expander = gtk_expander_new_with_mnemonic (_ ("_Advanced"));
  GtkWidget *table = gtk_table_new (2, 2, FALSE);
  GtkWidget *label, *recipe_row, *steps_row;
  /* The installed recipes; the entry also takes any other name or a file. */
  g_auto (GStrv) recipes = gcp_recipe_list ();
  gboolean custom = !gcp_quality_for_recipe (values->recipe);

  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_container_set_border_width (GTK_CONTAINER (table), 6);
  gtk_container_add (GTK_CONTAINER (expander), table);
  gtk_expander_set_expanded (GTK_EXPANDER (expander), custom || values->steps > 0);

  recipe_row = gcut_name_or_file_new (
      (const char *const *)recipes, custom ? values->recipe : "",
      _ ("Choose a Recipe File"), "*.json", _ ("Recipes (*.json)"), recipe);
  gtk_widget_set_tooltip_text (*recipe, _ ("A recipe to run instead of the quality's: a "
                                           "shipped recipe or a recipe file; empty: the "
                                           "quality's"));
  label = gimp_table_attach_aligned (GTK_TABLE (table), 0, 0, _ ("_Recipe:"), 0.0, 0.5,
                                     recipe_row, 1, FALSE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), *recipe);

  steps_row = gtk_hbox_new (FALSE, 6);
  *steps = gtk_spin_button_new_with_range (0, 1000000, 100);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (*steps), values->steps);
  gtk_box_pack_start (GTK_BOX (steps_row), *steps, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (steps_row), gtk_label_new (_ ("(0: the recipe's)")), FALSE,
                      FALSE, 0);
  label = gimp_table_attach_aligned (GTK_TABLE (table), 0, 1, _ ("_Steps:"), 0.0, 0.5,
                                     steps_row, 1, FALSE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), *steps);
  return expander;
}

gboolean
gcut_train_dialog (GcutTrainValues *values)
{
  GtkWidget *dialog, *vbox, *frame, *table, *quality, *recipe, *steps;
  GtkWidget *name, *folder_label, *hint;
  g_autofree char *folder
      = g_build_filename (g_get_user_data_dir (), "gegl-cut", "models", NULL);
  StyleWidgets style = { 0 };
  gboolean ok;

  dialog = gimp_dialog_new (_ ("Train on a Style Image"), GCUT_PLUG_IN_ROLE, NULL, 0,
                            gimp_standard_help_func, GCUT_PROC_TRAIN, _ ("_Cancel"),
                            GTK_RESPONSE_CANCEL, _ ("_Train"), GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (dialog), GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (dialog));

  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))), vbox,
                      TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), style_frame (values, &style), FALSE, FALSE, 0);

  frame = gimp_frame_new (_ ("Training"));
  gtk_box_pack_start (GTK_BOX (vbox), frame, FALSE, FALSE, 0);
  table = gtk_table_new (3, 2, FALSE);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_container_add (GTK_CONTAINER (frame), table);

  quality = quality_combo (values);
  gtk_widget_set_tooltip_text (quality, _ ("How long to train: the longer, the closer "
                                           "to the painting's style"));
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 0, _ ("_Quality:"), 0.0, 0.5, quality,
                             1, FALSE);

  name = gtk_entry_new ();
  gtk_entry_set_text (GTK_ENTRY (name), values->model_name);
  gtk_entry_set_activates_default (GTK_ENTRY (name), TRUE);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 1, _ ("_Model name:"), 0.0, 0.5, name,
                             1, FALSE);

  /* The folder can be long: one line, shortened in the middle, whole in the
   * tooltip. */
  folder_label = gtk_label_new (folder);
  gtk_misc_set_alignment (GTK_MISC (folder_label), 0.0, 0.5);
  gtk_label_set_ellipsize (GTK_LABEL (folder_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_tooltip_text (folder_label, folder);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 2, _ ("Saved in:"), 0.0, 0.5,
                             folder_label, 1, FALSE);

  gtk_box_pack_start (GTK_BOX (vbox), advanced_expander (values, &recipe, &steps), FALSE,
                      FALSE, 0);

  hint = gtk_label_new (_ ("The translated image is added as a new layer."));
  gtk_misc_set_alignment (GTK_MISC (hint), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (hint), PANGO_ATTR_STYLE, PANGO_STYLE_ITALIC, -1);
  gtk_box_pack_start (GTK_BOX (vbox), hint, FALSE, FALSE, 0);

  gtk_widget_show_all (dialog);
  ok = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;
  if (ok)
    {
      int n, active = gtk_combo_box_get_active (GTK_COMBO_BOX (quality));
      const GcpQuality *q = gcp_qualities (&n);
      g_autofree char *recipe_text = gcut_name_or_file_get (recipe);
      g_autofree char *file
          = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (style.file_button));
      gint32 layer = -1;

      if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (style.use_layer)))
        gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (style.layer_combo), &layer);
      values->style_drawable = layer;
      gcut_copy_field (values->style_file, sizeof values->style_file, file);
      gcut_copy_field (
          values->recipe, sizeof values->recipe,
          gcut_train_choose_recipe (q[CLAMP (active, 0, n - 1)].name, recipe_text, NULL));
      values->steps = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (steps));
      gcut_copy_field (values->model_name, sizeof values->model_name,
                       gtk_entry_get_text (GTK_ENTRY (name)));
    }
  gtk_widget_destroy (dialog);
  return ok;
}
