/* Removing what killed writers left behind (gcp-atomic-file.h). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gcp/gcp-atomic-file.h>
#include "atomic-file-private.h"

/* Earlier versions took no lock: their files must also have been left alone
 * this long. */
#define UNLOCKED_GRACE_SECONDS (10 * 60)

typedef enum
{
  NOT_OURS,
  CURRENT,   /* ".NAME.gcut-XXXXXX" */
  OLD_MODEL, /* "NAME.XXXXXX", the model and checkpoint writer before locks */
  OLD_IMAGE, /* ".STEM.XXXXXX.EXT", the image writer's placeholder */
  OLD_GIO    /* ".goutputstream-XXXXXX", GIO's file under GEGL's savers */
} Kind;

/* Whether s ends, at end, in GCP_TEMP_RANDOM letters or digits after the
 * character sep. */
static gboolean
random_tail (const char *s, gsize end, char sep)
{
  if (end < GCP_TEMP_RANDOM + 1 || s[end - GCP_TEMP_RANDOM - 1] != sep)
    return FALSE;
  for (gsize i = end - GCP_TEMP_RANDOM; i < end; i++)
    if (!g_ascii_isalnum (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
target_is (const char *start, gsize len, const char *ext, GcpTargetFunc is_target,
           gpointer data)
{
  g_autofree char *target = NULL;

  if (len == 0)
    return FALSE;
  target = g_strdup_printf ("%.*s%s", (int)len, start, ext);
  return is_target (target, data);
}

static Kind
kind_of (const char *name, GcpTargetFunc is_target, gpointer data)
{
  gsize len = strlen (name), infix = strlen (GCP_TEMP_INFIX);
  const char *ext = strrchr (name, '.');

  if (name[0] == '.' && len > infix + GCP_TEMP_RANDOM
      && strncmp (name + len - GCP_TEMP_RANDOM - infix, GCP_TEMP_INFIX, infix) == 0)
    return target_is (name + 1, len - 1 - GCP_TEMP_RANDOM - infix, "", is_target, data)
               ? CURRENT
               : NOT_OURS;
  if (len == strlen (".goutputstream-") + GCP_TEMP_RANDOM
      && g_str_has_prefix (name, ".goutputstream") && random_tail (name, len, '-'))
    return OLD_GIO;
  if (name[0] == '.' && ext && random_tail (name, ext - name, '.')
      && target_is (name + 1, ext - name - GCP_TEMP_RANDOM - 2, ext, is_target, data))
    return OLD_IMAGE;
  if (random_tail (name, len, '.')
      && target_is (name, len - GCP_TEMP_RANDOM - 1, "", is_target, data))
    return OLD_MODEL;
  return NOT_OURS;
}

typedef struct
{
  const char *bytes;
  gsize len;
} Magic;

#define MAGIC(s)                                                                         \
  {                                                                                      \
    s, sizeof s - 1                                                                      \
  }

/* Whether the file holds magic at offset. */
static gboolean
starts_with (int fd, off_t size, off_t offset, Magic magic)
{
  char buf[64];

  g_assert (magic.len <= sizeof buf);
  return size >= offset + (off_t)magic.len
         && pread (fd, buf, magic.len, offset) == (gssize)magic.len
         && memcmp (buf, magic.bytes, magic.len) == 0;
}

/* What the earlier writers put in such a file, from its first bytes. */
static gboolean
content_fits (int fd, off_t size, Kind kind)
{
  /* Every gegl-cut model header starts so: metadata keys are sorted. */
  static const Magic model = MAGIC ("{\"__metadata__\":{\"architecture\":");
  static const Magic images[] = {
    MAGIC ("\x89PNG\r\n\x1a\n"),
    MAGIC ("\xff\xd8\xff"),
    MAGIC ("II*\0"),
    MAGIC ("MM\0*"),
    MAGIC ("RIFF"),
    MAGIC ("v/1\x01"),
  };

  if (size == 0)
    return TRUE;
  if (kind == OLD_MODEL)
    return starts_with (fd, size, 8, model);
  if (kind == OLD_GIO)
    for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
      if (starts_with (fd, size, 0, images[i]))
        return TRUE;
  return FALSE;
}

static gboolean
remove_if_stale (int dir_fd, const char *name, Kind kind, time_t now)
{
  struct stat st, again;
  /* O_NONBLOCK: a FIFO of that name must not hang us. */
  int fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  gboolean removed;

  if (fd < 0)
    return FALSE;
  /* Holding the lock while removing it keeps a writer that is just
   * starting from taking the file (see atomic-file.c). */
  removed = fstat (fd, &st) == 0 && S_ISREG (st.st_mode)
            && flock (fd, LOCK_EX | LOCK_NB) == 0
            && (kind == CURRENT
                || (now - st.st_mtime >= UNLOCKED_GRACE_SECONDS
                    && content_fits (fd, st.st_size, kind)))
            && fstatat (dir_fd, name, &again, AT_SYMLINK_NOFOLLOW) == 0
            && again.st_dev == st.st_dev && again.st_ino == st.st_ino
            && unlinkat (dir_fd, name, 0) == 0;
  close (fd);
  return removed;
}

guint
gcp_atomic_file_clean (const char *dir, GcpTargetFunc is_target, gpointer data)
{
  DIR *d = opendir (dir);
  time_t now = time (NULL);
  struct dirent *entry;
  guint removed = 0;

  if (!d)
    return 0;
  while ((entry = readdir (d)) != NULL)
    {
      Kind kind = kind_of (entry->d_name, is_target, data);

      if (kind != NOT_OURS && remove_if_stale (dirfd (d), entry->d_name, kind, now))
        removed++;
    }
  closedir (d);
  return removed;
}

static gboolean
is_name (const char *name, gpointer data)
{
  return strcmp (name, data) == 0;
}

guint
gcp_atomic_file_clean_for (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);

  return gcp_atomic_file_clean (dir, is_name, base);
}
