/* gegl-cut presets: the training qualities the GIMP dialogs offer.
 *
 * Artists choose how long to wait, not a recipe: each quality names the
 * recipe (presets/recipes/NAME.json) that it runs.  This table is the one
 * place that maps them; both GIMP plug-ins and gcut:train use it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;   /* "quick": the value the PDB and gcut:train take */
  const char *label;  /* for a dialog, untranslated (gettext it) */
  const char *recipe; /* the recipe it runs */
  const char *help;   /* a tooltip, untranslated */
} GcpQuality;

/* The quality a dialog starts with. */
#define GCP_QUALITY_DEFAULT "balanced"

/* Every quality, quickest first; *n_qualities receives how many. */
const GcpQuality *gcp_qualities (int *n_qualities);
/* The quality called name, or NULL. */
const GcpQuality *gcp_quality_find (const char *name);
/* The quality that runs recipe (a bare recipe name), or NULL: a recipe a
 * dialog shows under Advanced. */
const GcpQuality *gcp_quality_for_recipe (const char *recipe);

G_END_DECLS
