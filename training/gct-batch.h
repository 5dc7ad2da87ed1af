/* gegl-cut training: the work list of a batch translation
 * (gcut-translate MODEL -o OUTDIR IN…). */
#pragma once

#include <glib.h>

#include "gct-file-set.h"

G_BEGIN_DECLS

typedef struct
{
  char *input;  /* as found */
  char *output; /* OUTDIR/STEM.FORMAT */
} GctBatchItem;

typedef struct
{
  GPtrArray *items;    /* GctBatchItem, one per file, sorted by input path */
  GPtrArray *problems; /* "ARG: why", for arguments that gave no file */
  GctFileSet *inputs;  /* every input, so that no output is written over one */
} GctBatch;

/* The images args name: a file as it is; a folder's images (by extension:
 * .png, .jpg, .tif, .webp, .exr, camera raw files, …; not hidden files, not
 * sub-folders); a quoted glob pattern's files (for lists too long for the
 * shell).  Each file once, whatever the names it is given by.  Outputs are
 * OUTDIR/STEM.FORMAT, STEM the input's name without its extension; two inputs
 * of the same stem are an error that names them. */
GctBatch *gct_batch_new (char **args, int n_args, const char *outdir, const char *format,
                         GError **error);
void gct_batch_free (GctBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctBatch, gct_batch_free)

/* Whether item is in shard k of n (1 ≤ k ≤ n).  By a hash of the output's
 * name, not its place in the list, so that machines that list the inputs at
 * different times (array jobs starting minutes apart while photos are still
 * copied in) agree on every file they both see. */
gboolean gct_batch_item_in_shard (const GctBatchItem *item, int k, int n);

G_END_DECLS
