/* Reading and writing images through GEGL, so every format GEGL loads works. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Pixels as R'G'B'A float, rows top to bottom, 4 floats per pixel. */
typedef struct
{
  int width, height;
  float *rgba;
} GctImage;

void gct_image_free (GctImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctImage, gct_image_free)

/* gegl_init() must have been called. */
GctImage *gct_image_load (const char *path, GError **error);
/* In the format of path's extension, atomically (gcp-atomic-file.h): every
 * write checked, the old file kept on any failure. */
gboolean gct_image_save (const GctImage *image, const char *path, GError **error);
/* The GEGL operation that writes path's format, or NULL with an error when
 * path has no extension or one GEGL cannot write. */
const char *gct_image_saver (const char *path, GError **error);

/* RGB as an NCHW tensor (1, 3, H, W) in [-1, 1], and back (alpha untouched). */
float *gct_image_to_tensor (const GctImage *image);
void gct_image_from_tensor (GctImage *image, const float *tensor);

G_END_DECLS
