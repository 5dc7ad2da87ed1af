/* The settings dialogs of the two procedures, built by GimpProcedureDialog
 * from their arguments, with the name-or-file rows (gimp-dialog-util.h) for
 * the model and the recipe. */
#include <libgimp/gimpui.h>

#include <gcp/gcp-model-file.h>
#include <gcp/gcp-recipe.h>

#include "gimp-dialog-util.h"
#include "gimp3-plugin.h"

/* A labelled name-or-file row whose text is config's property, put first in
 * box. */
static void
add_name_or_file_row (GtkWidget *box, GimpProcedureConfig *config, const char *property,
                      const char *mnemonic, const char *tooltip, char **names,
                      const char *chooser_title, const char *pattern,
                      const char *pattern_name)
{
  g_autofree char *current = NULL;
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (mnemonic);
  GtkWidget *combo, *row;

  g_object_get (config, property, &current, NULL);
  row = gcut_name_or_file_new ((const char *const *)names, current ? current : "",
                               chooser_title, pattern, pattern_name, &combo);
  g_object_bind_property (config, property, gtk_bin_get_child (GTK_BIN (combo)), "text",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_widget_set_tooltip_text (combo, tooltip);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), gtk_bin_get_child (GTK_BIN (combo)));
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), row, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), hbox, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (box), hbox, 0);
  gtk_widget_show_all (hbox);
}

/* Sets property's widget sensitive when config's choice is nick. */
static void
sensitive_if (GimpProcedureDialog *dialog, const char *property, const char *choice,
              const char *nick)
{
  GimpValueArray *values = gimp_value_array_new (1);
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, nick);
  gimp_value_array_append (values, &value);
  g_value_unset (&value);
  gimp_procedure_dialog_set_sensitive_if_in (dialog, property, NULL, choice, values,
                                             TRUE);
}

gboolean
gcut_apply_dialog (GimpProcedure *procedure, GimpProcedureConfig *config)
{
  g_auto (GStrv) models = gcp_model_list ();
  GtkWidget *dialog, *box, *strength, *palette;
  gboolean ok;

  dialog = gimp_procedure_dialog_new (procedure, config,
                                      _ ("Apply a Contrastive Translation Model"));
  gimp_procedure_dialog_set_ok_label (GIMP_PROCEDURE_DIALOG (dialog), _ ("_Apply"));
  strength = gimp_procedure_dialog_get_widget (GIMP_PROCEDURE_DIALOG (dialog), "strength",
                                               GIMP_TYPE_SCALE_ENTRY);
  palette = gimp_procedure_dialog_get_widget (GIMP_PROCEDURE_DIALOG (dialog), "palette",
                                              GIMP_TYPE_SCALE_ENTRY);
  /* An older gcut:translate: full strength and the network's colours only. */
  if (!gcut_apply_has ("strength"))
    {
      g_object_set (config, "strength", 1.0, NULL);
      gtk_widget_set_sensitive (strength, FALSE);
    }
  gtk_widget_set_sensitive (palette, gcut_apply_has ("palette"));
  box = gimp_procedure_dialog_fill_box (GIMP_PROCEDURE_DIALOG (dialog), "apply-box",
                                        "strength", "palette", "device", "tile-size",
                                        NULL);
  gtk_box_set_spacing (GTK_BOX (box), 6);
  add_name_or_file_row (box, config, "model", _ ("_Model"),
                        _ ("An installed model or a model file trained by gegl-cut"),
                        models, _ ("Choose a Model File"), "*.safetensors",
                        _ ("Models (*.safetensors)"));
  gimp_procedure_dialog_fill (GIMP_PROCEDURE_DIALOG (dialog), "apply-box", NULL);
  ok = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog));
  gtk_widget_destroy (dialog);
  return ok;
}

static GtkWidget *
italic_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_STYLE, PANGO_STYLE_ITALIC, -1);
  return label;
}

gboolean
gcut_train_dialog (GimpProcedure *procedure, GimpProcedureConfig *config,
                   GimpImage *image)
{
  GimpProcedureDialog *d;
  g_auto (GStrv) recipes = gcp_recipe_list ();
  g_autofree char *folder
      = g_build_filename (g_get_user_data_dir (), "gegl-cut", "models", NULL);
  g_autofree char *saved_in = g_strdup_printf (_ ("Saved in %s"), folder);
  g_autoptr (GimpDrawable) layer = NULL;
  g_autoptr (GFile) file = NULL;
  GtkWidget *dialog, *training, *advanced, *content;
  gboolean ok;

  /* A style file given without a layer (a script's last values) is the
   * style. */
  g_object_get (config, "style-layer", &layer, "style-file", &file, NULL);
  if (!layer && file)
    g_object_set (config, "style-source", "file", NULL);

  dialog = gimp_procedure_dialog_new (procedure, config, _ ("Train on a Style Image"));
  d = GIMP_PROCEDURE_DIALOG (dialog);
  gimp_procedure_dialog_set_ok_label (d, _ ("_Train"));

  /* The style painting: an open image's layer or a file. */
  gimp_procedure_dialog_get_widget (d, "style-source", GIMP_TYPE_INT_RADIO_FRAME);
  gimp_procedure_dialog_fill_box (d, "style-box", "style-source", "style-layer",
                                  "style-file", NULL);
  gimp_procedure_dialog_get_label (d, "style-title", _ ("Style Painting"), FALSE, FALSE);
  gimp_procedure_dialog_fill_frame (d, "style-frame", "style-title", FALSE, "style-box");
  sensitive_if (d, "style-layer", "style-source", "layer");
  sensitive_if (d, "style-file", "style-source", "file");

  /* How long, and the model's name. */
  training
      = gimp_procedure_dialog_fill_box (d, "training-box", "quality", "model-name", NULL);
  gtk_box_pack_start (GTK_BOX (training), italic_label (saved_in), FALSE, FALSE, 0);
  gimp_procedure_dialog_get_label (d, "training-title", _ ("Training"), FALSE, FALSE);
  gimp_procedure_dialog_fill_frame (d, "training-frame", "training-title", FALSE,
                                    "training-box");

  /* Advanced: a recipe instead of the quality's, and the steps. */
  advanced = gimp_procedure_dialog_fill_box (d, "advanced-box", "steps", NULL);
  gtk_box_set_spacing (GTK_BOX (advanced), 6);
  add_name_or_file_row (
      advanced, config, "recipe", _ ("_Recipe:"),
      _ ("A recipe to run instead of the quality's: a shipped recipe or "
         "a recipe file; empty: the quality's"),
      recipes, _ ("Choose a Recipe File"), "*.json", _ ("Recipes (*.json)"));
  gimp_procedure_dialog_get_label (d, "advanced-title", _ ("_Advanced"), FALSE, TRUE);
  gimp_procedure_dialog_fill_expander (d, "advanced", "advanced-title", FALSE,
                                       "advanced-box");

  gimp_procedure_dialog_fill (d, "style-frame", "training-frame", "advanced", NULL);
  content = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  gtk_box_pack_end (GTK_BOX (content),
                    italic_label (_ ("The translated image is added as a new layer.")),
                    FALSE, FALSE, 0);
  gtk_widget_show_all (content);
  ok = gimp_procedure_dialog_run (d);
  gtk_widget_destroy (dialog);
  return ok;
}
