/* The checkpoint file of a tiled generator run (feature-store-private.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <gcut/gcut-error.h>

#include "feature-store-private.h"

struct _GcutFeatureStore
{
  int fd;
  int width, height, channels;
  int image_width, image_height;
  char *dir;
  float *row; /* one row of a plane */
};

static gsize
plane_bytes (const GcutFeatureStore *s)
{
  return (gsize)s->width * s->height * s->channels * sizeof (float);
}

static gboolean
io_error (const GcutFeatureStore *s, int err, GError **error)
{
  g_autofree char *size = g_format_size (2 * plane_bytes (s));
  if (err == ENOSPC || err == EDQUOT || err == EFBIG)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                 "no space left in %s for the temporary features of a %d×%d image "
                 "(needs %s)",
                 s->dir, s->image_width, s->image_height, size);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                 "temporary features of the image in %s: %s", s->dir, g_strerror (err));
  return FALSE;
}

static gboolean
transfer (const GcutFeatureStore *s, gboolean write, float *data, gsize n, goffset at,
          GError **error)
{
  char *p = (char *)data;
  n *= sizeof (float);
  while (n > 0)
    {
      gssize done = write ? pwrite (s->fd, p, n, at) : pread (s->fd, p, n, at);
      if (done < 0 && errno == EINTR)
        continue;
      if (done <= 0)
        return io_error (s, done < 0 ? errno : write ? ENOSPC : EIO, error);
      p += done;
      n -= done;
      at += done;
    }
  return TRUE;
}

static goffset
offset (const GcutFeatureStore *s, int plane, int x, int y)
{
  return (((goffset)plane * s->height + y) * s->width + x) * s->channels
         * (goffset)sizeof (float);
}

GcutFeatureStore *
gcut_feature_store_new (int width, int height, int channels, int image_width,
                        int image_height, GError **error)
{
  g_autoptr (GcutFeatureStore) s = g_new0 (GcutFeatureStore, 1);
  g_autofree char *path = NULL;
  int err;

  *s = (GcutFeatureStore){ -1, width, height, channels, image_width, image_height };
  s->fd = g_file_open_tmp ("gegl-cut-XXXXXX.features", &path, error);
  if (s->fd < 0)
    return NULL;
  /* Nothing is left behind, however the run ends. */
  g_unlink (path);
  s->dir = g_path_get_dirname (path);
  /* Reserving the space now reports a full disk before any work is done. */
  err = posix_fallocate (s->fd, 0, 2 * plane_bytes (s));
  if (err)
    {
      io_error (s, err, error);
      return NULL;
    }
  s->row = g_try_new (float, (gsize)width *channels);
  if (!s->row)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory for a row of the features of a %d×%d image",
                   image_width, image_height);
      return NULL;
    }
  return g_steal_pointer (&s);
}

void
gcut_feature_store_free (GcutFeatureStore *store)
{
  if (store->fd >= 0)
    close (store->fd);
  g_free (store->dir);
  g_free (store->row);
  g_free (store);
}

gboolean
gcut_feature_store_read (GcutFeatureStore *store, int plane, int x, int y, int w, int h,
                         float *block, GError **error)
{
  const int C = store->channels;
  for (int r = 0; r < h; r++)
    {
      if (!transfer (store, FALSE, store->row, (gsize)w * C,
                     offset (store, plane, x, y + r), error))
        return FALSE;
#pragma omp parallel for
      for (int c = 0; c < C; c++)
        {
          float *dst = block + ((gsize)c * h + r) * w;
          for (int i = 0; i < w; i++)
            dst[i] = store->row[(gsize)i * C + c];
        }
    }
  return TRUE;
}

gboolean
gcut_feature_store_write (GcutFeatureStore *store, int plane, int x, int y, int w, int h,
                          const float *block, int bw, int bh, int bx, int by,
                          GError **error)
{
  const int C = store->channels;
  for (int r = 0; r < h; r++)
    {
#pragma omp parallel for
      for (int c = 0; c < C; c++)
        {
          const float *src = block + ((gsize)c * bh + by + r) * bw + bx;
          for (int i = 0; i < w; i++)
            store->row[(gsize)i * C + c] = src[i];
        }
      if (!transfer (store, TRUE, store->row, (gsize)w * C,
                     offset (store, plane, x, y + r), error))
        return FALSE;
    }
  return TRUE;
}
