/* gegl-cut training: sets of files by identity (device and inode), so that
 * "photo.png", "./photo.png", a symbolic link to it and a hard link of it are
 * all the same file, for refusing to write over an input. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GctFileSet GctFileSet;

GctFileSet *gct_file_set_new (void);
void gct_file_set_free (GctFileSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctFileSet, gct_file_set_free)

/* Adds the file at path (following symbolic links) under that name; a path
 * where nothing is yet stands for the file it would create.  FALSE, and
 * nothing added, when its folder cannot be found.  The first name of a file
 * stays. */
gboolean gct_file_set_add (GctFileSet *set, const char *path);
/* The name under which the file at path was added, or NULL. */
const char *gct_file_set_lookup (GctFileSet *set, const char *path);

/* Whether a and b are the same file, or would create the same file. */
gboolean gct_same_file (const char *a, const char *b);

G_END_DECLS
