/* The strict .safetensors reader.
 *
 * Every check runs before a GcpSafetensors is handed out, so a caller holding
 * one can trust all its views: each lies inside the file, has exactly the bytes its
 * dtype and shape need, and no two share a name.
 */
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <gcp/gcp-input-file.h>

#include "safetensors-private.h"

struct _GcpSafetensors
{
  GBytes *bytes;
  GcpTensorView *tensors; /* n_tensors of them, in the order of their data */
  guint n_tensors;
  GHashTable *by_name;   /* name → GcpTensorView in tensors */
  GHashTable *metadata;  /* key → value, both in strings */
  GStringChunk *strings; /* names, metadata keys and values */
  GPtrArray *copies;     /* aligned or byte-swapped copies of tensor data */
};

/* A tensor while the header is checked. */
typedef struct
{
  GcpTensorView view;
  guint64 begin;
  guint64 end;
} Entry;

static const struct
{
  const char *name;
  gsize size;
} dtypes[GCP_DTYPE_N_TYPES] = {
  [GCP_DTYPE_F32] = { "F32", 4 },   [GCP_DTYPE_F16] = { "F16", 2 },
  [GCP_DTYPE_BF16] = { "BF16", 2 }, [GCP_DTYPE_F64] = { "F64", 8 },
  [GCP_DTYPE_I64] = { "I64", 8 },   [GCP_DTYPE_I32] = { "I32", 4 },
  [GCP_DTYPE_I16] = { "I16", 2 },   [GCP_DTYPE_I8] = { "I8", 1 },
  [GCP_DTYPE_U8] = { "U8", 1 },     [GCP_DTYPE_BOOL] = { "BOOL", 1 },
  [GCP_DTYPE_U16] = { "U16", 2 },   [GCP_DTYPE_U32] = { "U32", 4 },
  [GCP_DTYPE_U64] = { "U64", 8 },
};

/* Where views of tensors without elements point: never read, but aligned. */
static const guint64 no_elements[1];

gsize
gcp_dtype_size (GcpDType dtype)
{
  return (guint)dtype < GCP_DTYPE_N_TYPES ? dtypes[dtype].size : 0;
}

const char *
gcp_dtype_name (GcpDType dtype)
{
  return (guint)dtype < GCP_DTYPE_N_TYPES ? dtypes[dtype].name : NULL;
}

static gboolean
dtype_from_name (const char *name, GcpDType *dtype)
{
  for (guint i = 0; i < GCP_DTYPE_N_TYPES; i++)
    if (strcmp (name, dtypes[i].name) == 0)
      {
        *dtype = i;
        return TRUE;
      }
  return FALSE;
}

char *
gcp_format_shape (int n_dims, const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean fail (GError **error, GcpError code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, GcpError code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (GCP_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

/* json-glib keeps the last of duplicate members and says nothing, but it
 * emits "object-member" for each one: remember the names each object got. */
typedef struct
{
  GHashTable *seen;   /* "object address/member name" */
  JsonObject *object; /* where the first duplicate was, or NULL */
  char *name;
} Duplicates;

static void
on_object_member (JsonParser *parser, JsonObject *object, const char *name, gpointer data)
{
  Duplicates *dups = data;
  char *key = g_strdup_printf ("%p/%s", (void *)object, name);

  if (!g_hash_table_add (dups->seen, key) && dups->object == NULL)
    {
      dups->object = object;
      dups->name = g_strdup (name);
    }
}

static gboolean
report_duplicate (const Duplicates *dups, JsonObject *root, GError **error)
{
  JsonNode *meta;

  if (dups->object == NULL)
    return TRUE;
  if (dups->object == root && strcmp (dups->name, "__metadata__") == 0)
    return fail (error, GCP_ERROR_CORRUPT, "“__metadata__” appears twice");
  if (dups->object == root)
    return fail (error, GCP_ERROR_CORRUPT, "tensor “%s” appears twice", dups->name);

  meta = json_object_get_member (root, "__metadata__");
  if (meta && JSON_NODE_HOLDS_OBJECT (meta)
      && json_node_get_object (meta) == dups->object)
    return fail (error, GCP_ERROR_CORRUPT, "__metadata__ key “%s” appears twice",
                 dups->name);

  g_autoptr (GList) names = json_object_get_members (root);
  for (GList *l = names; l; l = l->next)
    {
      JsonNode *node = json_object_get_member (root, l->data);

      if (JSON_NODE_HOLDS_OBJECT (node) && json_node_get_object (node) == dups->object)
        return fail (error, GCP_ERROR_CORRUPT, "tensor “%s”: key “%s” appears twice",
                     (const char *)l->data, dups->name);
    }
  return fail (error, GCP_ERROR_CORRUPT, "key “%s” appears twice in the header",
               dups->name);
}

/* Integers outside gint64, which json-glib misreads, were rejected by
 * gcp_json_check_strict_keys. */
static gboolean
get_count (JsonNode *node, guint64 *value)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_dtype (const char *name, JsonNode *node, GcpDType *dtype, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, GCP_ERROR_CORRUPT, "tensor “%s”: dtype is not a string", name);
  if (!dtype_from_name (json_node_get_string (node), dtype))
    return fail (error, GCP_ERROR_UNSUPPORTED, "tensor “%s”: unsupported dtype “%s”",
                 name, json_node_get_string (node));
  return TRUE;
}

static gboolean
read_shape (const char *name, JsonNode *node, GcpTensorView *view, GError **error)
{
  JsonArray *array;
  guint n;
  guint64 n_bytes = gcp_dtype_size (view->dtype);
  gboolean overflow = FALSE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, GCP_ERROR_CORRUPT, "tensor “%s”: shape is not an array", name);
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > GCP_MAX_DIMS)
    return fail (error, GCP_ERROR_UNSUPPORTED,
                 "tensor “%s”: %u dimensions, at most %d are supported", name, n,
                 GCP_MAX_DIMS);

  view->n_dims = n;
  for (guint i = 0; i < n; i++)
    {
      guint64 size;

      if (!get_count (json_array_get_element (array, i), &size))
        return fail (error, GCP_ERROR_CORRUPT,
                     "tensor “%s”: shape[%u] is not a non-negative 64-bit integer", name,
                     i);
      view->shape[i] = size;
      /* Like the reference, an overflow fails even if a later size is 0. */
      overflow |= !g_uint64_checked_mul (&n_bytes, n_bytes, size);
    }
  if (overflow || n_bytes > G_MAXSIZE)
    {
      g_autofree char *shape = gcp_format_shape (view->n_dims, view->shape);

      return fail (error, GCP_ERROR_CORRUPT,
                   "tensor “%s”: shape %s has too many elements", name, shape);
    }
  view->n_bytes = n_bytes;
  return TRUE;
}

static gboolean
read_offsets (const char *name, JsonNode *node, guint64 buffer_size, Entry *entry,
              GError **error)
{
  JsonArray *array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  if (array == NULL || json_array_get_length (array) != 2
      || !get_count (json_array_get_element (array, 0), &entry->begin)
      || !get_count (json_array_get_element (array, 1), &entry->end))
    return fail (error, GCP_ERROR_CORRUPT,
                 "tensor “%s”: data_offsets is not a pair of non-negative integers",
                 name);
  if (entry->begin > entry->end)
    return fail (error, GCP_ERROR_CORRUPT,
                 "tensor “%s”: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                 "] end before they begin",
                 name, entry->begin, entry->end);
  if (entry->end > buffer_size)
    return fail (error, GCP_ERROR_CORRUPT,
                 "tensor “%s”: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                 "] run past the end of the data (%" G_GUINT64_FORMAT " bytes)",
                 name, entry->begin, entry->end, buffer_size);
  if (entry->end - entry->begin != entry->view.n_bytes)
    {
      g_autofree char *shape = gcp_format_shape (entry->view.n_dims, entry->view.shape);

      return fail (error, GCP_ERROR_CORRUPT,
                   "tensor “%s”: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   "] hold %" G_GUINT64_FORMAT " bytes, but %s %s needs %" G_GSIZE_FORMAT,
                   name, entry->begin, entry->end, entry->end - entry->begin,
                   gcp_dtype_name (entry->view.dtype), shape, entry->view.n_bytes);
    }
  return TRUE;
}

static gboolean
read_tensor (const char *name, JsonNode *node, guint64 buffer_size, Entry *entry,
             GError **error)
{
  static const char *const keys[] = { "dtype", "shape", "data_offsets", NULL };
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, GCP_ERROR_CORRUPT, "tensor “%s”: entry is not an object", name);
  object = json_node_get_object (node);

  g_autoptr (GList) members = json_object_get_members (object);
  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (keys, l->data))
      return fail (error, GCP_ERROR_CORRUPT, "tensor “%s”: unexpected key “%s”", name,
                   (const char *)l->data);
  for (guint i = 0; keys[i]; i++)
    if (!json_object_has_member (object, keys[i]))
      return fail (error, GCP_ERROR_CORRUPT, "tensor “%s”: missing “%s”", name, keys[i]);

  return read_dtype (name, json_object_get_member (object, "dtype"), &entry->view.dtype,
                     error)
         && read_shape (name, json_object_get_member (object, "shape"), &entry->view,
                        error)
         && read_offsets (name, json_object_get_member (object, "data_offsets"),
                          buffer_size, entry, error);
}

static gboolean
read_metadata (GcpSafetensors *st, JsonNode *node, GError **error)
{
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, GCP_ERROR_CORRUPT, "__metadata__ is not an object");
  object = json_node_get_object (node);

  g_autoptr (GList) keys = json_object_get_members (object);
  for (GList *l = keys; l; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (value)
          || json_node_get_value_type (value) != G_TYPE_STRING)
        return fail (error, GCP_ERROR_CORRUPT, "__metadata__ “%s” is not a string",
                     (const char *)l->data);
      g_hash_table_insert (
          st->metadata, g_string_chunk_insert (st->strings, l->data),
          g_string_chunk_insert (st->strings, json_node_get_string (value)));
    }
  return TRUE;
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const Entry *x = a, *y = b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return strcmp (x->view.name, y->view.name);
}

/* Like the reference: the tensors, in order, must cover the data exactly. */
static gboolean
check_coverage (GArray *entries, guint64 buffer_size, GError **error)
{
  guint64 covered = 0;

  g_array_sort (entries, compare_entries);
  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *e = &g_array_index (entries, Entry, i);

      if (e->begin < covered)
        return fail (error, GCP_ERROR_CORRUPT, "tensor “%s” overlaps tensor “%s”",
                     e->view.name, g_array_index (entries, Entry, i - 1).view.name);
      if (e->begin > covered)
        return fail (error, GCP_ERROR_CORRUPT,
                     "%" G_GUINT64_FORMAT " bytes before tensor “%s” belong to no tensor",
                     e->begin - covered, e->view.name);
      covered = e->end;
    }
  if (covered != buffer_size)
    return fail (error, GCP_ERROR_CORRUPT,
                 "the last %" G_GUINT64_FORMAT " bytes of data belong to no tensor",
                 buffer_size - covered);
  return TRUE;
}

/* Points views into the file, or at a copy where the file leaves the data
 * misaligned for its dtype (or in the wrong byte order): as large as the
 * tensor, so running out of memory for it is an error. */
static gboolean
place_data (GcpSafetensors *st, GArray *entries, const guint8 *buffer, GError **error)
{
  st->n_tensors = entries->len;
  st->tensors = g_new (GcpTensorView, MAX (entries->len, 1));
  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *e = &g_array_index (entries, Entry, i);
      GcpTensorView *view = &st->tensors[i];
      gsize size = gcp_dtype_size (e->view.dtype);
      const guint8 *data = buffer + e->begin;

      *view = e->view;
      if (view->n_bytes == 0)
        view->data = no_elements;
      else if ((guintptr)data % size != 0
               || (G_BYTE_ORDER != G_LITTLE_ENDIAN && size > 1))
        {
          guint8 *copy = g_try_malloc (view->n_bytes);

          if (!copy)
            return fail (error, GCP_ERROR_IO,
                         "tensor “%s”: not enough memory to align its %" G_GSIZE_FORMAT
                         " bytes",
                         view->name, view->n_bytes);
          memcpy (copy, data, view->n_bytes);
          if (G_BYTE_ORDER != G_LITTLE_ENDIAN)
            gcp_swap_elements (copy, view->n_bytes, size);
          g_ptr_array_add (st->copies, copy);
          view->data = copy;
        }
      else
        view->data = data;
      g_hash_table_insert (st->by_name, (gpointer)view->name, view);
    }
  return TRUE;
}

static gboolean
read_header (GcpSafetensors *st, JsonObject *root, const guint8 *buffer,
             guint64 buffer_size, GError **error)
{
  g_autoptr (GArray) entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_autoptr (GList) names = json_object_get_members (root);

  for (GList *l = names; l; l = l->next)
    {
      JsonNode *node = json_object_get_member (root, l->data);
      Entry entry = { 0 };

      if (strcmp (l->data, "__metadata__") == 0)
        {
          if (!read_metadata (st, node, error))
            return FALSE;
          continue;
        }
      entry.view.name = g_string_chunk_insert (st->strings, l->data);
      if (!read_tensor (l->data, node, buffer_size, &entry, error))
        return FALSE;
      g_array_append_val (entries, entry);
    }

  return check_coverage (entries, buffer_size, error)
         && place_data (st, entries, buffer, error);
}

/* Counts the tensors and checks their names as the syntax check meets them. */
typedef struct
{
  const GcpHeaderLimits *limits;
  guint n_tensors;
} KeyCheck;

static gboolean
check_key (const char *key, gsize len, gpointer data, GError **error)
{
  KeyCheck *k = data;
  const char *const *prefixes = k->limits->prefixes;
  gboolean known = prefixes == NULL;

  if (len == strlen ("__metadata__") && memcmp (key, "__metadata__", len) == 0)
    return TRUE;
  if (++k->n_tensors > k->limits->max_tensors)
    return fail (error, GCP_ERROR_CORRUPT,
                 "the header lists more than %u tensors, more than the file can hold",
                 k->limits->max_tensors);
  for (guint i = 0; !known && prefixes[i]; i++)
    known = len >= strlen (prefixes[i])
            && memcmp (key, prefixes[i], strlen (prefixes[i])) == 0;
  if (!known)
    {
      g_autofree char *name = g_strndup (key, MIN (len, 64));
      g_autofree char *expected = g_strjoinv ("…, ", (char **)prefixes);
      return fail (error, GCP_ERROR_MISMATCH,
                   "unexpected tensor “%s%s” (the names start with %s…)", name,
                   len > 64 ? "…" : "", expected);
    }
  return TRUE;
}

/* Parses the JSON of the header; checks syntax, limits and duplicates. */
static JsonParser *
parse_json (const char *header, gsize header_len, const GcpHeaderLimits *limits,
            GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) json_error = NULL;
  Duplicates dups = { NULL };
  KeyCheck keys = { limits, 0 };
  gboolean ok;

  if (header_len == 0 || header[0] != '{')
    {
      fail (error, GCP_ERROR_CORRUPT, "header does not start with “{”");
      return NULL;
    }
  if (!gcp_json_check_strict_keys (header, header_len, check_key, &keys, error))
    return NULL;

  dups.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &dups);
  ok = json_parser_load_from_data (parser, header, header_len, &json_error);
  g_signal_handlers_disconnect_by_data (parser, &dups);
  g_hash_table_unref (dups.seen);

  if (!ok)
    fail (error, GCP_ERROR_CORRUPT, "header is not valid JSON: %s", json_error->message);
  else if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    ok = fail (error, GCP_ERROR_CORRUPT, "header is not a JSON object");
  else
    ok = report_duplicate (&dups, json_node_get_object (json_parser_get_root (parser)),
                           error);
  g_free (dups.name);
  return ok ? g_steal_pointer (&parser) : NULL;
}

/* The reference implementation's limits: any number of tensors. */
static const GcpHeaderLimits any_file = { GCP_MAX_HEADER_BYTES, G_MAXUINT, NULL };

GcpSafetensors *
gcp_safetensors_parse (GBytes *bytes, GError **error)
{
  return gcp_safetensors_parse_limited (bytes, &any_file, error);
}

GcpSafetensors *
gcp_safetensors_parse_limited (GBytes *bytes, const GcpHeaderLimits *limits,
                               GError **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  guint64 header_len;
  const char *header, *bad;
  g_autoptr (JsonParser) parser = NULL;
  GcpSafetensors *st;

  g_return_val_if_fail (bytes != NULL, NULL);

  if (size < 8)
    {
      fail (error, GCP_ERROR_CORRUPT,
            "file is %" G_GSIZE_FORMAT " bytes long, too short for a safetensors header",
            size);
      return NULL;
    }
  memcpy (&header_len, data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len == 0)
    {
      fail (error, GCP_ERROR_CORRUPT, "header length is 0");
      return NULL;
    }
  if (header_len > limits->max_header_bytes)
    {
      fail (error, GCP_ERROR_CORRUPT,
            "header length %" G_GUINT64_FORMAT " is over the limit of %" G_GUINT64_FORMAT
            " bytes",
            header_len, limits->max_header_bytes);
      return NULL;
    }
  if (header_len > size - 8)
    {
      fail (error, GCP_ERROR_CORRUPT,
            "header length %" G_GUINT64_FORMAT
            " runs past the end of the file (%" G_GSIZE_FORMAT " bytes): truncated?",
            header_len, size);
      return NULL;
    }

  header = (const char *)data + 8;
  if (!g_utf8_validate_len (header, header_len, &bad))
    {
      fail (error, GCP_ERROR_CORRUPT,
            "header is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")",
            (gsize)(bad - header));
      return NULL;
    }
  parser = parse_json (header, header_len, limits, error);
  if (parser == NULL)
    return NULL;

  st = g_new0 (GcpSafetensors, 1);
  st->bytes = g_bytes_ref (bytes);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new (g_str_hash, g_str_equal);
  st->strings = g_string_chunk_new (256);
  st->copies = g_ptr_array_new_with_free_func (g_free);
  if (!read_header (st, json_node_get_object (json_parser_get_root (parser)),
                    data + 8 + header_len, size - 8 - header_len, error))
    {
      gcp_safetensors_free (st);
      return NULL;
    }
  return st;
}

GcpSafetensors *
gcp_safetensors_load (const char *path, GError **error)
{
  return gcp_safetensors_load_limited (path, &any_file, error);
}

GcpSafetensors *
gcp_safetensors_load_limited (const char *path, const GcpHeaderLimits *limits,
                              GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *name = NULL;
  GcpSafetensors *st;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  fd = gcp_open_regular (path, NULL, error);
  if (fd < 0)
    return NULL;
  name = g_filename_display_name (path);
  file = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (file == NULL)
    {
      fail (error, GCP_ERROR_IO, "%s: %s", name, local->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (file);
  st = gcp_safetensors_parse_limited (bytes, limits, error);
  if (st == NULL)
    g_prefix_error (error, "%s: ", name);
  return st;
}

void
gcp_safetensors_free (GcpSafetensors *st)
{
  if (st == NULL)
    return;
  g_bytes_unref (st->bytes);
  g_free (st->tensors);
  g_hash_table_unref (st->by_name);
  g_hash_table_unref (st->metadata);
  g_string_chunk_free (st->strings);
  g_ptr_array_unref (st->copies);
  g_free (st);
}

guint
gcp_safetensors_n_tensors (const GcpSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->n_tensors;
}

const GcpTensorView *
gcp_safetensors_tensor (const GcpSafetensors *st, guint index)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (index < st->n_tensors, NULL);
  return &st->tensors[index];
}

const GcpTensorView *
gcp_safetensors_lookup (const GcpSafetensors *st, const char *name)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (st->by_name, name);
}

char *
gcp_safetensors_sha256 (const GcpSafetensors *st)
{
  g_return_val_if_fail (st != NULL, NULL);
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, st->bytes);
}

const char *
gcp_safetensors_metadata (const GcpSafetensors *st, const char *key)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return g_hash_table_lookup (st->metadata, key);
}

const float *
gcp_safetensors_get_f32 (const GcpSafetensors *st, const char *name, int n_dims,
                         const gint64 *shape, GError **error)
{
  const GcpTensorView *view;

  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (n_dims == 0 || shape != NULL, NULL);

  view = gcp_safetensors_lookup (st, name);
  if (view == NULL)
    {
      fail (error, GCP_ERROR_NOT_FOUND, "no tensor “%s”", name);
      return NULL;
    }
  if (view->dtype != GCP_DTYPE_F32)
    {
      fail (error, GCP_ERROR_MISMATCH, "tensor “%s”: expected dtype F32, found %s", name,
            gcp_dtype_name (view->dtype));
      return NULL;
    }
  if (n_dims != view->n_dims
      || (n_dims > 0 && memcmp (shape, view->shape, n_dims * sizeof (gint64)) != 0))
    {
      g_autofree char *expected = gcp_format_shape (n_dims, shape);
      g_autofree char *found = gcp_format_shape (view->n_dims, view->shape);

      fail (error, GCP_ERROR_MISMATCH, "tensor “%s”: expected shape %s, found %s", name,
            expected, found);
      return NULL;
    }
  return view->data;
}
