#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gegl.h>
#include <gegl-plugin.h>
#include <glib/gstdio.h>
#include <gcp/gcp-atomic-file.h>
#include <gcut/gcut-error.h>
#include <gcp/gcp-input-file.h>
#include "image-io.h"

/* The extensions of GEGL's loaders. */
static const char *const image_extensions[] = {
  "png", "jpg", "jpeg", "jpe", "tif", "tiff", "webp", "exr", "hdr",
  "pic", "ppm", "pgm",  "pbm", "pnm", "gif",  "bmp",  "dng", "cr2",
  "cr3", "nef", "arw",  "orf", "rw2", "raf",  "pef",  "srw",
};

gboolean
gct_image_file_name (const char *name)
{
  const char *dot = strrchr (name, '.');

  if (name[0] == '.' || !dot)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (image_extensions); i++)
    if (g_ascii_strcasecmp (dot + 1, image_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

void
gct_image_free (GctImage *image)
{
  if (!image)
    return;
  g_free (image->rgba);
  g_free (image);
}

/* ---- readers ---- */

struct _GctImageReader
{
  int width, height;
  char *name;
  GctReadRows read;
  gpointer data;
  GDestroyNotify destroy;
};

GctImageReader *
gct_image_reader_new (int width, int height, const char *name, GctReadRows read,
                      gpointer data, GDestroyNotify destroy)
{
  GctImageReader *r = g_new0 (GctImageReader, 1);
  *r = (GctImageReader){ width, height, g_strdup (name), read, data, destroy };
  return r;
}

void
gct_image_reader_free (GctImageReader *r)
{
  if (!r)
    return;
  if (r->destroy)
    r->destroy (r->data);
  g_free (r->name);
  g_free (r);
}

int
gct_image_reader_width (const GctImageReader *r)
{
  return r->width;
}

int
gct_image_reader_height (const GctImageReader *r)
{
  return r->height;
}

const char *
gct_image_reader_name (const GctImageReader *r)
{
  return r->name;
}

gboolean
gct_image_reader_read (GctImageReader *r, int y, int n_rows, float *rgba, GError **error)
{
  g_return_val_if_fail (y >= 0 && n_rows >= 0 && y + n_rows <= r->height, FALSE);
  return r->read (r->data, y, n_rows, rgba, error);
}

/* A file: its gegl:load node, which decodes the file on the first read into
 * a buffer of the loader's own format (in GEGL's tile cache, spilled to
 * GEGL's swap), for gct_buffer_get_rgba. */
typedef struct
{
  GeglNode *graph, *load;
  GeglRectangle box;
  GeglBuffer *buffer;
  char *path;
} FileSource;

static void
file_source_free (gpointer data)
{
  FileSource *f = data;
  g_clear_object (&f->buffer);
  g_object_unref (f->graph);
  g_free (f->path);
  g_free (f);
}

static gboolean
read_file (gpointer data, int y, int n_rows, float *rgba, GError **error)
{
  FileSource *f = data;
  GeglRectangle rows = { f->box.x, f->box.y + y, f->box.width, n_rows };

  if (!f->buffer)
    {
      GeglNode *sink = gegl_node_new_child (f->graph, "operation", "gegl:buffer-sink",
                                            "buffer", &f->buffer, NULL);
      gegl_node_link (f->load, sink);
      gegl_node_process (sink);
      if (!f->buffer)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "%s: GEGL could not read this file as an image", f->path);
          return FALSE;
        }
    }
  return gct_buffer_get_rgba (f->buffer, &rows, rgba, error);
}

GctImageReader *
gct_image_reader_open (const char *path, GError **error)
{
  g_autoptr (GeglNode) graph = NULL;
  FileSource *f;
  GeglNode *load;
  GeglRectangle box;
  /* GEGL's loaders would block on a FIFO and misreport a directory. */
  int fd = gcp_open_regular (path, NULL, error);

  if (fd < 0)
    return NULL;
  close (fd);
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
  /* The loaders read the size from the header, decoding nothing. */
  box = gegl_node_get_bounding_box (load);
  if (box.width <= 0 || box.height <= 0)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s: GEGL could not read this file as an image", path);
      return NULL;
    }
  if ((gint64)box.width * box.height > GCT_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "%s: %d×%d pixels is too large (gegl-cut reads at most %d "
                   "megapixels)",
                   path, box.width, box.height, GCT_IMAGE_MAX_PIXELS >> 20);
      return NULL;
    }
  f = g_new0 (FileSource, 1);
  *f = (FileSource){ g_steal_pointer (&graph), load, box, NULL, g_strdup (path) };
  return gct_image_reader_new (box.width, box.height, path, read_file, f,
                               file_source_free);
}

static gboolean
read_image (gpointer data, int y, int n_rows, float *rgba, GError **error)
{
  const GctImage *image = data;
  memcpy (rgba, image->rgba + (gsize)y * image->width * 4,
          (gsize)n_rows * image->width * 4 * sizeof (float));
  return TRUE;
}

GctImageReader *
gct_image_reader_new_for_image (const GctImage *image, const char *name)
{
  return gct_image_reader_new (image->width, image->height, name, read_image,
                               (gpointer)image, NULL);
}

static gboolean
read_buffer (gpointer data, int y, int n_rows, float *rgba, GError **error)
{
  GeglBuffer *buffer = data;
  const GeglRectangle *box = gegl_buffer_get_extent (buffer);
  GeglRectangle rows = { box->x, box->y + y, box->width, n_rows };

  return gct_buffer_get_rgba (buffer, &rows, rgba, error);
}

GctImageReader *
gct_image_reader_new_for_buffer (GeglBuffer *buffer, const char *name)
{
  const GeglRectangle *box = gegl_buffer_get_extent (buffer);
  return gct_image_reader_new (box->width, box->height, name, read_buffer,
                               g_object_ref (buffer), g_object_unref);
}

/* ---- whole images ---- */

GctImage *
gct_image_load (const char *path, GError **error)
{
  g_autoptr (GctImageReader) reader = gct_image_reader_open (path, error);
  g_autoptr (GctImage) image = NULL;

  if (!reader)
    return NULL;
  image = g_new0 (GctImage, 1);
  image->width = reader->width;
  image->height = reader->height;
  image->rgba = g_try_new (float, (gsize)image->width * image->height * 4);
  if (!image->rgba)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "%s: not enough memory for %d×%d pixels", path, image->width,
                   image->height);
      return NULL;
    }
  if (!gct_image_reader_read (reader, 0, image->height, image->rgba, error))
    return NULL;
  return g_steal_pointer (&image);
}

const char *
gct_image_saver (const char *path, GError **error)
{
  const char *ext = strrchr (path, '.');
  const char *saver;

  if (!ext || strchr (ext, '/'))
    {
      g_set_error (
          error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: give the file an extension (.png, .jpg, .tif, …) to pick a format", path);
      return NULL;
    }
  /* Loads GEGL's modules, whose savers register their extensions. */
  gegl_has_operation ("gegl:save");
  saver = gegl_operation_handlers_get_saver (ext);
  /* GEGL falls back to PNG for extensions it does not know. */
  if (!saver
      || (g_ascii_strcasecmp (ext, ".png") != 0 && strcmp (saver, "gegl:png-save") == 0))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: GEGL cannot write %s files (try .png, .jpg, .tif, .webp, .exr)",
                   path, ext);
      return NULL;
    }
  return saver;
}

/* GEGL's savers print write errors and go on, so they write to memory (a
 * memfd, by its /proc name); the file is then written from there with every
 * step checked. */
static void
encode (const GctImage *image, const char *saver, int fd)
{
  GeglRectangle box = { 0, 0, image->width, image->height };
  g_autofree char *target = g_strdup_printf ("/proc/self/fd/%d", fd);
  g_autoptr (GeglBuffer) buffer = gegl_buffer_new (&box, babl_format ("R'G'B'A float"));
  g_autoptr (GeglNode) graph = gegl_node_new ();
  GeglNode *src, *save;

  gegl_buffer_set (buffer, &box, 0, babl_format ("R'G'B'A float"), image->rgba,
                   GEGL_AUTO_ROWSTRIDE);
  src = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", buffer,
                             NULL);
  save = gegl_node_new_child (graph, "operation", saver, "path", target, NULL);
  gegl_node_link (src, save);
  gegl_node_process (save);
}

/* The encoded size, or 0 with an error when the encoding is missing or was
 * cut short. */
static off_t
encoded_size (int fd, const char *path, const char *saver, GError **error)
{
  struct stat st;
  struct rlimit limit;

  if (fstat (fd, &st) != 0 || st.st_size == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s wrote nothing", path,
                   saver);
      return 0;
    }
  /* A write past the process's file size limit (which memory files obey too)
   * fails, and GEGL's saver carries on: what stopped at the limit is cut. */
  if (getrlimit (RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
      && (rlim_t)st.st_size >= limit.rlim_cur)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_IO, "error writing “%s”: %s", path,
                   g_strerror (EFBIG));
      return 0;
    }
  return st.st_size;
}

static gboolean
copy_to (int fd, off_t size, const char *path, GError **error)
{
  g_autoptr (GcpAtomicFile) file = gcp_atomic_file_new (path, error);
  char chunk[65536];

  if (!file)
    return FALSE;
  for (off_t done = 0; done < size;)
    {
      gssize n = pread (fd, chunk, MIN ((off_t)sizeof chunk, size - done), done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, GCP_ERROR, GCP_ERROR_IO,
                       "%s: reading the encoded image: %s", path,
                       n < 0 ? g_strerror (errno) : "it shrank");
          return FALSE;
        }
      if (!gcp_atomic_file_write (file, chunk, n, error))
        return FALSE;
      done += n;
    }
  return gcp_atomic_file_commit (g_steal_pointer (&file), error);
}

gboolean
gct_image_save (const GctImage *image, const char *path, GError **error)
{
  const char *saver = gct_image_saver (path, error);
  int fd;
  off_t size;
  gboolean ok;

  if (!saver)
    return FALSE;
  fd = memfd_create ("gcut-image", MFD_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_IO, "%s: no memory file to encode in: %s",
                   path, g_strerror (errno));
      return FALSE;
    }
  encode (image, saver, fd);
  size = encoded_size (fd, path, saver, error);
  ok = size > 0 && copy_to (fd, size, path, error);
  close (fd);
  return ok;
}
