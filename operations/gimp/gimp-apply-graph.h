/* Applying a model for both GIMP plug-ins (2.10 and 3): the GEGL operation
 * gcut:translate from a drawable's buffer into its shadow, so that the pixels
 * are those of the op in the gegl tool.  Nothing here calls libgimp. */
#pragma once

#include <gegl.h>

G_BEGIN_DECLS

#define GCUT_OP_TRANSLATE "gcut:translate"

typedef struct
{
  const char *model;  /* an installed model's name or a model file */
  const char *device; /* "auto", "cpu", "cuda" */
  int tile_size;      /* 0: automatic */
  double strength;    /* 0 to 1: how much of the translation shows */
  double palette;     /* 0 to 1: how far it takes the painting's colours */
} GcutApplySettings;

/* Whether the installed gcut:translate has the property setting ("strength",
 * "palette": later versions).  Without it, only the op's own behaviour can
 * be had: full strength, the network's colours. */
gboolean gcut_apply_has (const char *setting);

/* Runs gcut:translate with settings over the whole of source into dest;
 * progress (may be NULL) receives 0 to 1.  Fails, with the op's reason, when
 * the op cannot run (dest is then not written): the op is not installed, the
 * model cannot be used, a setting is out of range. */
gboolean gcut_apply_buffers (GeglBuffer *source, GeglBuffer *dest,
                             const GcutApplySettings *settings,
                             void (*progress) (double fraction, gpointer data),
                             gpointer data, GError **error);

G_END_DECLS
