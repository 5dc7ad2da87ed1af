/* gegl-cut's GIMP 2.10 plug-in: what its files share. */
#pragma once

#include <glib/gi18n-lib.h>

#include <libgimp/gimp.h>

#include "gimp-procedures.h"

G_BEGIN_DECLS

#define GCUT_PLUG_IN_BINARY "gegl-cut"

/* The settings of each procedure, kept between runs with gimp_set_data, hence
 * fixed-size strings. */
typedef struct
{
  gint32 style_drawable; /* -1: style_file */
  char style_file[4096];
  char recipe[4096]; /* a quality's recipe (gcp-quality.h), or any other */
  gint32 steps;      /* 0: the recipe's */
  char model_name[256];
} GcutTrainValues;

typedef struct
{
  char model[4096];
  char device[16]; /* "auto", "cpu", "cuda" */
  gint32 tile_size;
  double strength; /* the dialog's only: the procedure applies 1 */
  double palette;  /* the dialog's only: the procedure applies 1 */
} GcutApplyValues;

/* Copies src (NULL: "") into a fixed-size settings field; FALSE when it does
 * not fit. */
gboolean gcut_copy_field (char *field, gsize size, const char *src);

/* Runs gcut:translate over the whole drawable through its shadow buffer, so the
 * pixels are those of the op in the gegl tool. */
gboolean gcut_apply_drawable (gint32 drawable, const GcutApplyValues *values,
                              GError **error);

/* Trains on drawable (the content) and values' style, writes the model under
 * $XDG_DATA_HOME/gegl-cut/models and returns its path; interactive runs show
 * the training window. */
char *gcut_train (gint32 drawable, const GcutTrainValues *values, gboolean interactive,
                  GError **error);

/* The settings dialogs; FALSE when the user cancels. */
gboolean gcut_train_dialog (GcutTrainValues *values);
gboolean gcut_apply_dialog (GcutApplyValues *values);

G_END_DECLS
