/* The settings dialog of plug-in-gcut-apply. */
#include <gcp/gcp-model-file.h>

#include "gimp-apply-graph.h"
#include "gimp-dialog-util.h"
#include "gimp2-plugin.h"

/* The op's device nicks, in the order of the combo box. */
static const char *const devices[] = { "auto", "cpu", "cuda" };

/* A 0…1 spin button for one of gcut:translate's settings; an older op
 * without it leaves the op's own behaviour (fallback) and the button off. */
static GtkWidget *
unit_spin (const char *setting, double value, double fallback, const char *tooltip)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (0.0, 1.0, 0.05);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_tooltip_text (spin, tooltip);
  if (!gcut_apply_has (setting))
    {
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), fallback);
      gtk_widget_set_sensitive (spin, FALSE);
    }
  return spin;
}

gboolean
gcut_apply_dialog (GcutApplyValues *values)
{
  GtkWidget *dialog, *table, *label, *model_row, *model, *device, *tile, *tile_row;
  GtkWidget *strength, *palette;
  g_auto (GStrv) models = gcp_model_list ();
  int active = 0;
  gboolean ok;

  dialog
      = gimp_dialog_new (_ ("Apply a Contrastive Translation Model"), GCUT_PLUG_IN_ROLE,
                         NULL, 0, gimp_standard_help_func, GCUT_PROC_APPLY, _ ("_Cancel"),
                         GTK_RESPONSE_CANCEL, _ ("_OK"), GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (dialog), GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (dialog));

  table = gtk_table_new (5, 2, FALSE);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_container_set_border_width (GTK_CONTAINER (table), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))), table,
                      TRUE, TRUE, 0);

  model_row = gcut_name_or_file_new ((const char *const *)models, values->model,
                                     _ ("Choose a Model File"), "*.safetensors",
                                     _ ("Models (*.safetensors)"), &model);
  gtk_widget_set_tooltip_text (model, _ ("An installed model or a model file trained by "
                                         "gegl-cut"));
  /* The labels of rows point their mnemonic at the widget that takes input. */
  label = gimp_table_attach_aligned (GTK_TABLE (table), 0, 0, _ ("_Model:"), 0.0, 0.5,
                                     model_row, 1, FALSE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), model);

  strength = unit_spin ("strength", values->strength, 1.0,
                        _ ("How much of the translation shows: 0 keeps the image, 1 "
                           "shows the translation alone"));
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 1, _ ("_Strength:"), 0.0, 0.5,
                             strength, 1, TRUE);
  palette = unit_spin ("palette", values->palette, 0.0,
                       _ ("How far the result takes the tones and colours of the "
                          "painting the model learned (models trained with Quick or "
                          "Balanced): 1 the painting's, 0 the network's own"));
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 2, _ ("_Painting's colours:"), 0.0,
                             0.5, palette, 1, TRUE);

  device = gimp_int_combo_box_new (_ ("Automatic"), 0, _ ("CPU"), 1, _ ("CUDA GPU"), 2,
                                   NULL);
  for (int i = 0; i < (int)G_N_ELEMENTS (devices); i++)
    if (g_strcmp0 (values->device, devices[i]) == 0)
      active = i;
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (device), active);
  gtk_widget_set_tooltip_text (device, _ ("Where the network runs; Automatic uses a CUDA "
                                          "GPU when there is one"));
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 3, _ ("_Device:"), 0.0, 0.5, device, 1,
                             TRUE);

  tile_row = gtk_hbox_new (FALSE, 6);
  tile = gtk_spin_button_new_with_range (0, 16384, 64);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (tile), values->tile_size);
  gtk_widget_set_tooltip_text (tile, _ ("Edge of the square tiles the image is processed "
                                        "in; results do not depend on it"));
  gtk_box_pack_start (GTK_BOX (tile_row), tile, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (tile_row), gtk_label_new (_ ("pixels (0: automatic)")),
                      FALSE, FALSE, 0);
  label = gimp_table_attach_aligned (GTK_TABLE (table), 0, 4, _ ("_Tile size:"), 0.0, 0.5,
                                     tile_row, 1, FALSE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), tile);

  gtk_widget_show_all (dialog);
  ok = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;
  if (ok)
    {
      g_autofree char *model_text = gcut_name_or_file_get (model);

      gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (device), &active);
      gcut_copy_field (values->model, sizeof values->model, model_text);
      gcut_copy_field (values->device, sizeof values->device, devices[active]);
      values->tile_size = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (tile));
      values->strength = gtk_spin_button_get_value (GTK_SPIN_BUTTON (strength));
      values->palette = gtk_spin_button_get_value (GTK_SPIN_BUTTON (palette));
    }
  gtk_widget_destroy (dialog);
  return ok;
}
