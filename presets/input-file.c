/* Opening the files a user names for reading.  See gcp-input-file.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcp/gcp-input-file.h>

static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO (named pipe)";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return "a device";
  return "not a plain file";
}

int
gcp_open_regular (const char *path, GStatBuf *st, GError **error)
{
  g_autofree char *name = g_filename_display_name (path);
  GStatBuf local;
  int fd, saved;

  st = st ? st : &local;
  fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, GCP_ERROR, saved == ENOENT ? GCP_ERROR_NOT_FOUND : GCP_ERROR_IO,
                   "%s: %s", name, g_strerror (saved));
      return -1;
    }
  if (fstat (fd, st) != 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, GCP_ERROR, GCP_ERROR_IO, "%s: %s", name, g_strerror (saved));
      return -1;
    }
  if (!S_ISREG (st->st_mode))
    {
      close (fd);
      g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID, "%s is %s, not a regular file",
                   name, file_kind (st->st_mode));
      return -1;
    }
  return fd;
}

gboolean
gcp_read_regular (const char *path, gsize max_bytes, char **contents, gsize *length,
                  GError **error)
{
  g_autofree char *name = g_filename_display_name (path);
  g_autofree char *text = NULL;
  GStatBuf st;
  gsize len = 0, size;
  int fd = gcp_open_regular (path, &st, error);

  if (fd < 0)
    return FALSE;
  if ((guint64)st.st_size > max_bytes)
    {
      close (fd);
      g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                   "%s is too large (%" G_GUINT64_FORMAT
                   " bytes, at most %" G_GSIZE_FORMAT ")",
                   name, (guint64)st.st_size, max_bytes);
      return FALSE;
    }
  /* One byte more than fstat saw shows a file that grew meanwhile. */
  size = (gsize)st.st_size;
  text = g_malloc (size + 2);
  while (len <= size)
    {
      gssize n = read (fd, text + len, size + 1 - len);
      if (n == 0)
        break;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, GCP_ERROR, GCP_ERROR_IO, "%s: %s", name,
                       g_strerror (saved));
          return FALSE;
        }
      len += n;
    }
  close (fd);
  if (len > size)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_IO, "%s changed while it was read", name);
      return FALSE;
    }
  text[len] = '\0';
  *contents = g_steal_pointer (&text);
  if (length)
    *length = len;
  return TRUE;
}
