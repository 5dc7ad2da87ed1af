/* gegl-cut presets: opening the files a user names (models, checkpoints,
 * recipes, images) for reading. */
#pragma once

#include <glib/gstdio.h>
#include <gcp/gcp-error.h>

G_BEGIN_DECLS

/* A read-only descriptor (close-on-exec) of path if it is a regular file,
 * else -1 and an error naming path and what it is instead: opened without
 * blocking, so a FIFO is refused at once instead of waiting for a writer, and
 * a directory or device is refused before anything maps or reads it.
 * GCP_ERROR_NOT_FOUND when path does not exist, GCP_ERROR_INVALID when it is
 * not a regular file, GCP_ERROR_IO otherwise.  st (may be NULL) receives its
 * status. */
int gcp_open_regular (const char *path, GStatBuf *st, GError **error);

/* The whole of the regular file path, NUL-terminated, refused without being
 * read when it holds more than max_bytes. */
gboolean gcp_read_regular (const char *path, gsize max_bytes, char **contents,
                           gsize *length, GError **error);

G_END_DECLS
