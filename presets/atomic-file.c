/* Replacing a file atomically (gcp-atomic-file.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <gcp/gcp-atomic-file.h>
#include "atomic-file-private.h"

struct _GcpAtomicFile
{
  char *path, *tmp;
  int fd;
  /* A second descriptor of the same open file: it keeps the lock from the
   * close of fd, which must be checked before the rename, to the rename. */
  int lock_fd;
};

typedef enum
{
  STEP_CREATE,
  STEP_WRITE,
  STEP_FLUSH,
  STEP_CLOSE,
  STEP_RENAME
} Step;

static void
set_errno_error (GError **error, int err, Step step, const char *path)
{
  static const char *const what[] = {
    [STEP_CREATE] = "cannot create a temporary file next to “%s”: %s",
    [STEP_WRITE] = "error writing “%s”: %s",
    [STEP_FLUSH] = "error flushing “%s” to disk: %s",
    [STEP_CLOSE] = "error closing “%s”: %s",
    [STEP_RENAME] = "cannot replace “%s”: %s",
  };
  g_autofree char *name = g_filename_display_name (path);

  if (err == ENOSPC
#ifdef EDQUOT
      || err == EDQUOT
#endif
  )
    g_set_error (error, GCP_ERROR, GCP_ERROR_NO_SPACE, "disk full while writing “%s”: %s",
                 name, g_strerror (err));
  else
    g_set_error (error, GCP_ERROR, GCP_ERROR_IO, what[step], name, g_strerror (err));
}

/* Creates and locks the temporary file.  A cleaner that opened it between
 * our creation and our lock may have removed it: then we start again. */
static gboolean
create_locked (GcpAtomicFile *file, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (file->path);
  g_autofree char *base = g_path_get_basename (file->path);

  for (int attempt = 0; attempt < 8; attempt++)
    {
      struct stat st;
      gboolean lost;
      g_autofree char *name = g_strconcat (".", base, GCP_TEMP_INFIX "XXXXXX", NULL);
      char *tmp = g_build_filename (dir, name, NULL);
      int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);

      if (fd < 0)
        {
          set_errno_error (error, errno, STEP_CREATE, file->path);
          g_free (tmp);
          return FALSE;
        }
      /* A cleaner holding the lock is about to remove the file, one that
       * held it before us has.  Where the file system has no locks, cleaners
       * cannot lock either and leave the file alone. */
      if (flock (fd, LOCK_EX | LOCK_NB) != 0)
        lost = errno == EWOULDBLOCK;
      else
        lost = fstat (fd, &st) == 0 && st.st_nlink == 0;
      if (lost)
        {
          close (fd);
          g_free (tmp);
          continue;
        }
      file->lock_fd = dup (fd);
      if (file->lock_fd < 0)
        {
          set_errno_error (error, errno, STEP_CREATE, file->path);
          close (fd);
          g_unlink (tmp);
          g_free (tmp);
          return FALSE;
        }
      file->fd = fd;
      file->tmp = tmp;
      return TRUE;
    }
  g_set_error (error, GCP_ERROR, GCP_ERROR_IO,
               "cannot create a temporary file next to “%s”: something keeps "
               "removing it",
               file->path);
  return FALSE;
}

GcpAtomicFile *
gcp_atomic_file_new (const char *path, GError **error)
{
  GcpAtomicFile *file = g_new0 (GcpAtomicFile, 1);

  file->path = g_strdup (path);
  file->fd = file->lock_fd = -1;
  if (!create_locked (file, error))
    {
      gcp_atomic_file_abort (file);
      return NULL;
    }
  return file;
}

gboolean
gcp_atomic_file_write (GcpAtomicFile *file, const void *data, gsize len, GError **error)
{
  const guint8 *p = data;

  while (len > 0)
    {
      gssize n = write (file->fd, p, MIN (len, (gsize)G_MAXSSIZE));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (error, errno, STEP_WRITE, file->path);
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

/* Makes the rename itself durable.  Best effort: some file systems refuse to
 * sync directories, and the data is already safe by then. */
static void
sync_directory (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

gboolean
gcp_atomic_file_commit (GcpAtomicFile *file, GError **error)
{
  Step step = STEP_FLUSH;
  int err = 0, fd = file->fd;

  while (fsync (fd) != 0 && (err = errno) == EINTR)
    err = 0;
  file->fd = -1;
  /* Linux closes the descriptor even when close() reports EINTR. */
  if (close (fd) != 0 && err == 0 && errno != EINTR)
    step = STEP_CLOSE, err = errno;
  if (err == 0 && g_rename (file->tmp, file->path) != 0)
    step = STEP_RENAME, err = errno;
  if (err != 0)
    {
      set_errno_error (error, err, step, file->path);
      gcp_atomic_file_abort (file);
      return FALSE;
    }
  sync_directory (file->path);
  g_clear_pointer (&file->tmp, g_free);
  gcp_atomic_file_abort (file);
  return TRUE;
}

void
gcp_atomic_file_abort (GcpAtomicFile *file)
{
  if (!file)
    return;
  if (file->fd >= 0)
    close (file->fd);
  /* Removed while still locked, so no cleaner can mistake it for stale. */
  if (file->tmp)
    g_unlink (file->tmp);
  if (file->lock_fd >= 0)
    close (file->lock_fd);
  g_free (file->tmp);
  g_free (file->path);
  g_free (file);
}
