/* The .safetensors writer: reference layout, atomic save (gcp-atomic-file.h)
 * that never replaces a file of another kind.
 *
 * Files come out byte for byte as the reference implementation writes them
 * (compact JSON, "__metadata__" first, tensors by dtype size then name, header
 * padded with spaces to a multiple of 8), with metadata keys sorted so the
 * output depends only on the contents.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include <gcp/gcp-atomic-file.h>
#include "safetensors-private.h"

typedef struct
{
  char *name;
  GcpDType dtype;
  int n_dims;
  gint64 shape[GCP_MAX_DIMS];
  gsize n_bytes;
  const void *data;
} Item;

struct _GcpSafetensorsWriter
{
  GPtrArray *items;     /* Item */
  GHashTable *names;    /* the names in items */
  GHashTable *metadata; /* key → value, owned */
  GError *error;        /* the first mistake of add() or set_metadata() */
};

/* The reference orders dtypes by alignment (its enum order) and writes the
 * largest first; we follow it so that files match. */
static const int dtype_rank[GCP_DTYPE_N_TYPES] = {
  [GCP_DTYPE_BOOL] = 0, [GCP_DTYPE_U8] = 1,   [GCP_DTYPE_I8] = 2,   [GCP_DTYPE_I16] = 5,
  [GCP_DTYPE_U16] = 6,  [GCP_DTYPE_F16] = 7,  [GCP_DTYPE_BF16] = 8, [GCP_DTYPE_I32] = 9,
  [GCP_DTYPE_U32] = 10, [GCP_DTYPE_F32] = 11, [GCP_DTYPE_F64] = 12, [GCP_DTYPE_I64] = 13,
  [GCP_DTYPE_U64] = 14,
};

static void
item_free (gpointer data)
{
  Item *item = data;

  g_free (item->name);
  g_free (item);
}

GcpSafetensorsWriter *
gcp_safetensors_writer_new (void)
{
  GcpSafetensorsWriter *writer = g_new0 (GcpSafetensorsWriter, 1);

  writer->items = g_ptr_array_new_with_free_func (item_free);
  writer->names = g_hash_table_new (g_str_hash, g_str_equal);
  writer->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return writer;
}

void
gcp_safetensors_writer_free (GcpSafetensorsWriter *writer)
{
  if (writer == NULL)
    return;
  g_hash_table_unref (writer->names);
  g_ptr_array_unref (writer->items);
  g_hash_table_unref (writer->metadata);
  g_clear_error (&writer->error);
  g_free (writer);
}

static void keep_error (GcpSafetensorsWriter *writer, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
keep_error (GcpSafetensorsWriter *writer, const char *format, ...)
{
  va_list args;

  if (writer->error != NULL)
    return;
  va_start (args, format);
  writer->error = g_error_new_valist (GCP_ERROR, GCP_ERROR_INVALID, format, args);
  va_end (args);
}

/* The number of bytes of the tensor, or FALSE after keeping an error. */
static gboolean
check_tensor (GcpSafetensorsWriter *writer, const char *name, GcpDType dtype, int n_dims,
              const gint64 *shape, gsize *n_bytes)
{
  guint64 total = gcp_dtype_size (dtype);
  gboolean overflow = FALSE;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    keep_error (writer, "a tensor name is missing or not valid UTF-8");
  else if (strcmp (name, "__metadata__") == 0)
    keep_error (writer, "“__metadata__” cannot name a tensor");
  else if (g_hash_table_contains (writer->names, name))
    keep_error (writer, "tensor “%s” added twice", name);
  else if (total == 0)
    keep_error (writer, "tensor “%s”: invalid dtype %d", name, (int)dtype);
  else if (n_dims < 0 || n_dims > GCP_MAX_DIMS)
    keep_error (writer, "tensor “%s”: %d dimensions, expected 0 to %d", name, n_dims,
                GCP_MAX_DIMS);
  else if (n_dims > 0 && shape == NULL)
    keep_error (writer, "tensor “%s”: no shape", name);
  else
    {
      for (int i = 0; i < n_dims; i++)
        overflow |= shape[i] < 0 || !g_uint64_checked_mul (&total, total, shape[i]);
      if (!overflow && total <= G_MAXSIZE)
        {
          *n_bytes = total;
          return TRUE;
        }
      g_autofree char *text = gcp_format_shape (n_dims, shape);
      keep_error (writer, "tensor “%s”: invalid shape %s", name, text);
    }
  return FALSE;
}

void
gcp_safetensors_writer_add (GcpSafetensorsWriter *writer, const char *name,
                            GcpDType dtype, int n_dims, const gint64 *shape,
                            const void *data)
{
  Item *item;
  gsize n_bytes;

  g_return_if_fail (writer != NULL);

  if (writer->error != NULL)
    return;
  if (!check_tensor (writer, name, dtype, n_dims, shape, &n_bytes))
    return;
  if (n_bytes > 0 && data == NULL)
    {
      keep_error (writer, "tensor “%s”: no data", name);
      return;
    }

  item = g_new0 (Item, 1);
  item->name = g_strdup (name);
  item->dtype = dtype;
  item->n_dims = n_dims;
  if (n_dims > 0)
    memcpy (item->shape, shape, n_dims * sizeof (gint64));
  item->n_bytes = n_bytes;
  item->data = data;
  g_ptr_array_add (writer->items, item);
  g_hash_table_add (writer->names, item->name);
}

void
gcp_safetensors_writer_set_metadata (GcpSafetensorsWriter *writer, const char *key,
                                     const char *value)
{
  g_return_if_fail (writer != NULL);

  if (key == NULL || value == NULL || !g_utf8_validate (key, -1, NULL)
      || !g_utf8_validate (value, -1, NULL))
    keep_error (writer, "a __metadata__ key or value is missing or not valid UTF-8");
  else
    g_hash_table_insert (writer->metadata, g_strdup (key), g_strdup (value));
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static int
compare_items (gconstpointer a, gconstpointer b)
{
  const Item *x = *(const Item *const *)a, *y = *(const Item *const *)b;

  if (dtype_rank[x->dtype] != dtype_rank[y->dtype])
    return dtype_rank[y->dtype] - dtype_rank[x->dtype];
  return strcmp (x->name, y->name);
}

/* A JSON string, escaped as serde_json does: the reference's byte layout. */
static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (; *s; s++)
    {
      guchar c = *s;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

/* The 8-byte length and the padded header, with items sorted in file order. */
static GString *
build_header (GcpSafetensorsWriter *writer)
{
  GString *out = g_string_new (NULL);
  guint64 offset = 0, header_len;
  gboolean first = TRUE;

  g_string_append_len (out, "\0\0\0\0\0\0\0\0{", 9);
  if (g_hash_table_size (writer->metadata) > 0)
    {
      g_autofree const char **keys
          = (const char **)g_hash_table_get_keys_as_array (writer->metadata, NULL);
      guint n = g_hash_table_size (writer->metadata);

      qsort (keys, n, sizeof (char *), compare_strings);
      g_string_append (out, "\"__metadata__\":{");
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          append_json_string (out, keys[i]);
          g_string_append_c (out, ':');
          append_json_string (out, g_hash_table_lookup (writer->metadata, keys[i]));
        }
      g_string_append_c (out, '}');
      first = FALSE;
    }

  g_ptr_array_sort (writer->items, compare_items);
  for (guint i = 0; i < writer->items->len; i++)
    {
      const Item *item = g_ptr_array_index (writer->items, i);

      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      append_json_string (out, item->name);
      g_string_append_printf (out, ":{\"dtype\":\"%s\",\"shape\":[",
                              gcp_dtype_name (item->dtype));
      for (int d = 0; d < item->n_dims; d++)
        g_string_append_printf (out, "%s%" G_GINT64_FORMAT, d ? "," : "", item->shape[d]);
      g_string_append_printf (
          out, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
          offset, offset + item->n_bytes);
      offset += item->n_bytes;
    }
  g_string_append_c (out, '}');

  /* Pad so the data starts 8-aligned, hence every tensor of it is aligned. */
  while (out->len % 8 != 0)
    g_string_append_c (out, ' ');
  header_len = GUINT64_TO_LE ((guint64)out->len - 8);
  memcpy (out->str, &header_len, 8);
  return out;
}

static gboolean
write_tensor (GcpAtomicFile *file, const Item *item, GError **error)
{
  gsize size = gcp_dtype_size (item->dtype);
  guint8 chunk[16384]; /* a multiple of every dtype size */

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN || size == 1)
    return gcp_atomic_file_write (file, item->data, item->n_bytes, error);

  /* Files are little-endian: swap through a small buffer. */
  for (gsize done = 0; done < item->n_bytes;)
    {
      gsize len = MIN (sizeof chunk, item->n_bytes - done);

      memcpy (chunk, (const guint8 *)item->data + done, len);
      gcp_swap_elements (chunk, len, size);
      if (!gcp_atomic_file_write (file, chunk, len, error))
        return FALSE;
      done += len;
    }
  return TRUE;
}

/* The name of a format, "gegl-cut" for "gegl-cut/1". */
static char *
format_family (const char *format)
{
  const char *slash = strchr (format, '/');

  return slash ? g_strndup (format, slash - format) : g_strdup (format);
}

gboolean
gcp_safetensors_may_replace (const char *path, const char *format, GError **error)
{
  g_autofree char *name = g_filename_display_name (path);
  g_autoptr (GcpSafetensors) st = NULL;
  g_autoptr (GError) why = NULL;
  GStatBuf sb;
  const char *found;

  if (g_lstat (path, &sb) != 0 && errno == ENOENT)
    return TRUE;
  st = gcp_safetensors_load (path, &why);
  found = st ? gcp_safetensors_metadata (st, "format") : NULL;
  if (st && format)
    {
      g_autofree char *want = format_family (format);
      g_autofree char *have = found ? format_family (found) : NULL;

      if (g_strcmp0 (want, have) == 0)
        return TRUE;
    }
  else if (st)
    return TRUE;
  g_autofree char *reason = why     ? g_strdup (why->message)
                            : found ? g_strdup_printf ("its format is “%s”", found)
                                    : g_strdup ("its metadata names no format");
  g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
               "refusing to replace “%s”, which is not a %s file (%s); choose another "
               "name or remove it first",
               name, format ? format : ".safetensors", reason);
  return FALSE;
}

gboolean
gcp_safetensors_writer_save (GcpSafetensorsWriter *writer, const char *path,
                             GError **error)
{
  g_autoptr (GString) header = NULL;
  g_autoptr (GcpAtomicFile) file = NULL;
  gboolean ok;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (writer->error != NULL)
    {
      g_propagate_error (error, g_error_copy (writer->error));
      return FALSE;
    }
  header = build_header (writer);
  if (header->len - 8 > GCP_MAX_HEADER_BYTES)
    {
      g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                   "the header would take %" G_GSIZE_FORMAT
                   " bytes, over the limit of %d: too many tensors or too much metadata",
                   header->len - 8, GCP_MAX_HEADER_BYTES);
      return FALSE;
    }
  if (!gcp_safetensors_may_replace (
          path, g_hash_table_lookup (writer->metadata, "format"), error))
    return FALSE;

  file = gcp_atomic_file_new (path, error);
  if (!file)
    return FALSE;
  ok = gcp_atomic_file_write (file, header->str, header->len, error);
  for (guint i = 0; ok && i < writer->items->len; i++)
    ok = write_tensor (file, g_ptr_array_index (writer->items, i), error);
  return ok && gcp_atomic_file_commit (g_steal_pointer (&file), error);
}
