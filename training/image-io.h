/* Reading and writing images through GEGL, so every format GEGL loads works. */
#pragma once

#include <gegl.h>

G_BEGIN_DECLS

/* The largest image read, in pixels: its R'G'B'A float rows stay within
 * GEGL's int row strides. */
#define GCT_IMAGE_MAX_PIXELS (G_MAXINT32 / 4)

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
/* Whether a file of this name (no folder) is an image GEGL reads, by its
 * extension (.png, .jpg, .tif, .webp, .exr, camera raw files, …); hidden
 * files are not. */
gboolean gct_image_file_name (const char *name);

/* An image read a strip of rows at a time, so that a large one can be reduced
 * as it is read: its size is known before any pixel is decoded.  A reader can
 * be read any number of times, in any order. */
typedef struct _GctImageReader GctImageReader;
/* Fills rgba with rows [y, y + n_rows) as R'G'B'A float, 4 floats per pixel. */
typedef gboolean (*GctReadRows) (gpointer data, int y, int n_rows, float *rgba,
                                 GError **error);

/* name says which image it is in messages. */
GctImageReader *gct_image_reader_new (int width, int height, const char *name,
                                      GctReadRows read, gpointer data,
                                      GDestroyNotify destroy);
/* A file through GEGL's loaders: only its header is read here, and an image
 * over GCT_IMAGE_MAX_PIXELS is refused (gegl_init() must have been called). */
GctImageReader *gct_image_reader_open (const char *path, GError **error);
/* An image in memory, borrowed, or a GeglBuffer's extent, referenced. */
GctImageReader *gct_image_reader_new_for_image (const GctImage *image, const char *name);
GctImageReader *gct_image_reader_new_for_buffer (GeglBuffer *buffer, const char *name);
void gct_image_reader_free (GctImageReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctImageReader, gct_image_reader_free)

int gct_image_reader_width (const GctImageReader *reader);
int gct_image_reader_height (const GctImageReader *reader);
const char *gct_image_reader_name (const GctImageReader *reader);
gboolean gct_image_reader_read (GctImageReader *reader, int y, int n_rows, float *rgba,
                                GError **error);

/* In the format of path's extension, atomically (gcp-atomic-file.h): every
 * write checked, the old file kept on any failure. */
gboolean gct_image_save (const GctImage *image, const char *path, GError **error);
/* The GEGL operation that writes path's format, or NULL with an error when
 * path has no extension or one GEGL cannot write. */
const char *gct_image_saver (const char *path, GError **error);

/* The pixels of rect as R'G'B'A float, the same in every process whatever
 * conversions babl picks (pixels.c); FALSE when out of memory. */
gboolean gct_buffer_get_rgba (GeglBuffer *buffer, const GeglRectangle *rect, float *rgba,
                              GError **error);

/* A network output in [−1, 1] as a pixel value in [0, 1], on the 16-bit grid
 * so that every conversion a host makes from it agrees (pixels.c); NaN gives
 * 0. */
float gct_pixel_from_net (float v);

G_END_DECLS
