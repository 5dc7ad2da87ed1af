#include <math.h>
#include <gegl.h>
#include <glib/gstdio.h>
#include <gcut/gcut-error.h>
#include "image-io.h"

void
gct_image_free (GctImage *image)
{
  if (!image)
    return;
  g_free (image->rgba);
  g_free (image);
}

GctImage *
gct_image_load (const char *path, GError **error)
{
  g_autoptr (GeglNode) graph = NULL;
  GeglNode *load;
  GeglRectangle box;
  GctImage *image;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such image file",
                   path);
      return NULL;
    }
  if (!gegl_has_operation ("gegl:load"))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s: GEGL has no image loaders (is GEGL_PATH missing GEGL's own "
                   "plug-in folder?)",
                   path);
      return NULL;
    }
  graph = gegl_node_new ();
  load = gegl_node_new_child (graph, "operation", "gegl:load", "path", path, NULL);
  box = gegl_node_get_bounding_box (load);
  if (box.width <= 0 || box.height <= 0)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s: GEGL could not read this file as an image", path);
      return NULL;
    }
  if ((gint64)box.width * box.height > G_MAXINT32 / 4)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s: %d×%d pixels is too large", path, box.width, box.height);
      return NULL;
    }
  image = g_new0 (GctImage, 1);
  image->width = box.width;
  image->height = box.height;
  image->rgba = g_try_new (float, (gsize)box.width *box.height * 4);
  if (!image->rgba)
    {
      gct_image_free (image);
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "%s: not enough memory for %d×%d pixels", path, box.width, box.height);
      return NULL;
    }
  gegl_node_blit (load, 1.0, &box, babl_format ("R'G'B'A float"), image->rgba,
                  GEGL_AUTO_ROWSTRIDE, GEGL_BLIT_DEFAULT);
  return image;
}

gboolean
gct_image_save (const GctImage *image, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  const char *ext = strrchr (base, '.');
  g_autofree char *tmp = NULL;
  GeglRectangle box = { 0, 0, image->width, image->height };
  g_autoptr (GeglBuffer) buffer = NULL;
  g_autoptr (GeglNode) graph = NULL;
  GeglNode *src, *save;
  GStatBuf st;
  int fd;

  if (!ext)
    {
      g_set_error (
          error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: give the file an extension (.png, .jpg, .tif, …) to pick a format", path);
      return FALSE;
    }
  /* The temporary name keeps the extension: GEGL picks the format by it. */
  tmp = g_strdup_printf ("%s/.%.*s.XXXXXX%s", dir, (int)(ext - base), base, ext);
  fd = g_mkstemp (tmp);
  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot write in %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  close (fd);

  buffer = gegl_buffer_new (&box, babl_format ("R'G'B'A float"));
  gegl_buffer_set (buffer, &box, 0, babl_format ("R'G'B'A float"), image->rgba,
                   GEGL_AUTO_ROWSTRIDE);
  graph = gegl_node_new ();
  src = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", buffer,
                             NULL);
  save = gegl_node_new_child (graph, "operation", "gegl:save", "path", tmp, NULL);
  gegl_node_link (src, save);
  gegl_node_process (save);

  if (g_stat (tmp, &st) != 0 || st.st_size == 0)
    {
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "%s: GEGL wrote nothing (unknown format %s, or the disk is full)",
                   path, ext);
      return FALSE;
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

float *
gct_image_to_tensor (const GctImage *image)
{
  gsize plane = (gsize)image->width * image->height;
  float *t = g_new (float, 3 * plane);
  for (gsize i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      {
        float v = image->rgba[4 * i + c];
        /* NaN or infinite pixels would spread through instance norm to the
         * whole output: treat them as mid grey. */
        t[c * plane + i] = isfinite (v) ? v * 2.f - 1.f : 0.f;
      }
  return t;
}

void
gct_image_from_tensor (GctImage *image, const float *t)
{
  gsize plane = (gsize)image->width * image->height;
  for (gsize i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      image->rgba[4 * i + c] = CLAMP ((t[c * plane + i] + 1.f) * 0.5f, 0.f, 1.f);
}
