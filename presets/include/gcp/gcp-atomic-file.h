/* gegl-cut presets: replacing a file so that it is never half-written.
 *
 * Every file our programs write (models, checkpoints, images) goes through
 * here.  The bytes go to a temporary file in the target's folder, so the
 * rename cannot cross file systems, named ".NAME.gcut-XXXXXX" and created
 * with mode 0666 less the umask; every write is checked, then the file is
 * flushed to disk (fsync), closed, and renamed over NAME.  On any failure the
 * temporary file is removed and NAME is left as it was.
 *
 * The writer holds a lock (flock) on its temporary file from creation to the
 * rename.  The kernel drops it when the process ends, however it ends, which
 * is how gcp_atomic_file_clean tells a killed writer's leftovers from a live
 * writer's file.
 */
#pragma once

#include <gcp/gcp-error.h>

G_BEGIN_DECLS

typedef struct _GcpAtomicFile GcpAtomicFile;

/* Starts replacing path (which need not exist).  A full disk or quota gives
 * GCP_ERROR_NO_SPACE, other system failures GCP_ERROR_IO, in every function
 * here; messages name path. */
GcpAtomicFile *gcp_atomic_file_new (const char *path, GError **error);
gboolean gcp_atomic_file_write (GcpAtomicFile *file, const void *data, gsize len,
                                GError **error);
/* Flushes, closes and renames the temporary file over the path; frees file,
 * and on failure removes the temporary file. */
gboolean gcp_atomic_file_commit (GcpAtomicFile *file, GError **error);
/* Gives up: removes the temporary file and frees file (NULL is fine). */
void gcp_atomic_file_abort (GcpAtomicFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcpAtomicFile, gcp_atomic_file_abort)

/* Whether name (a file name in the folder being cleaned, no '/') is one of the
 * caller's outputs. */
typedef gboolean (*GcpTargetFunc) (const char *name, gpointer data);

/* Removes from dir the temporary files that killed writers left for the
 * outputs is_target accepts, and returns how many it removed.  Only exact
 * names of our writers count, and only stale files:
 *   ".NAME.gcut-XXXXXX"  (this writer): when no process holds its lock;
 * and, written by earlier versions that took no lock, when no process holds a
 * lock on them and nothing touched them for 10 minutes (a live writer writes
 * its file continuously):
 *   "NAME.XXXXXX"          holding nothing or the start of a gegl-cut model,
 *   ".STEM.XXXXXX.EXT"     empty, where NAME is STEM.EXT (the image writer's
 *                          placeholder),
 *   ".goutputstream-XXXXXX" holding nothing or the start of a PNG, JPEG,
 *                          TIFF, WebP or OpenEXR file (GIO's temporary file
 *                          under GEGL's savers; its name says nothing of NAME,
 *                          so any clean of the folder removes these).
 * XXXXXX is six letters or digits.  Best effort: what cannot be examined or
 * removed is left alone. */
guint gcp_atomic_file_clean (const char *dir, GcpTargetFunc is_target, gpointer data);
/* The same for the one output path. */
guint gcp_atomic_file_clean_for (const char *path);

G_END_DECLS
