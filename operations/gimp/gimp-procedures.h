/* What the two procedures are, in both GIMP plug-ins: their names, menu
 * entries and documentation; their arguments are each version's. */
#pragma once

#define GCUT_PROC_TRAIN "plug-in-gcut-train"
#define GCUT_PROC_APPLY "plug-in-gcut-apply"
#define GCUT_PLUG_IN_ROLE "gegl-cut"
#define GCUT_MENU_PATH "<Image>/Filters/Artistic/Contrastive Translation"
#define GCUT_ATTRIBUTION "gegl-cut authors", "gegl-cut authors", "2025"

#define GCUT_TRAIN_LABEL N_ ("_Train on a Style Image…")
#define GCUT_TRAIN_BLURB N_ ("Learn a painting's style from one image and apply it")
#define GCUT_TRAIN_HELP                                                                  \
  "Trains a contrastive unpaired translator (CUT and its relatives) on the "             \
  "drawable (the content photo) and one style painting, writes the model to "            \
  "$XDG_DATA_HOME/gegl-cut/models/MODEL-NAME.safetensors and adds the translated "       \
  "drawable as a new layer.  Training runs in the plug-in; interactively, a window "     \
  "shows the progress, the loss curves and the current translation and can cancel "      \
  "the run, which then writes nothing."

#define GCUT_APPLY_LABEL N_ ("_Apply Model…")
#define GCUT_APPLY_BLURB N_ ("Repaint the drawable with a trained translation model")
#define GCUT_APPLY_HELP                                                                  \
  "Applies the GEGL operation gcut:translate with the given model to the whole "         \
  "drawable (the selection limits what changes).  The pixels are those of "              \
  "`gegl in -o out -- gcut:translate model=MODEL`."
