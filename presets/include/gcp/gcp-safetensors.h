/* gegl-cut presets: reading and writing .safetensors files.
 *
 * The format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of a UTF-8 JSON object (right-padded
 * with spaces), then the byte buffer.  The JSON maps each tensor name to
 * {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
 * buffer), plus an optional "__metadata__" object of string → string.
 *
 * The reader is strict: it checks the whole header (lengths, JSON syntax, every
 * key, dtypes, shapes, offsets, duplicate names, that the tensors exactly cover
 * the buffer) before handing out any tensor, and reports the first problem as a
 * GError in GCP_ERROR naming the tensor or key.  Nothing a file contains can
 * make it abort.
 *
 * The writer lays tensors out like the reference implementation (by dtype size,
 * largest first, then by name, with the header padded to a multiple of 8), so
 * every tensor of a file we wrote is naturally aligned, and it saves atomically:
 * a temporary file next to the target, fsync, rename, never over a file of
 * another kind.
 */
#pragma once

#include <gcp/gcp-error.h>

G_BEGIN_DECLS

typedef enum
{
  GCP_DTYPE_F32,
  GCP_DTYPE_F16,
  GCP_DTYPE_BF16,
  GCP_DTYPE_F64,
  GCP_DTYPE_I64,
  GCP_DTYPE_I32,
  GCP_DTYPE_I16,
  GCP_DTYPE_I8,
  GCP_DTYPE_U8,
  GCP_DTYPE_BOOL,
  GCP_DTYPE_U16,
  GCP_DTYPE_U32,
  GCP_DTYPE_U64,
  GCP_DTYPE_N_TYPES /* not a dtype */
} GcpDType;

#define GCP_MAX_DIMS 8

/* Bytes per element (0 for an invalid value), and the name used in files
 * ("F32", …; NULL for an invalid value). */
gsize gcp_dtype_size (GcpDType dtype);
const char *gcp_dtype_name (GcpDType dtype);

/* One tensor of a loaded file, valid as long as the GcpSafetensors.
 *
 * data holds n_bytes bytes in host byte order, C (row-major) order, and is
 * aligned for the dtype: the reader points into the file where the file allows
 * it (always for files we wrote) and otherwise keeps an aligned copy, e.g. for
 * a foreign file whose header length leaves the buffer at an odd address.  For
 * a tensor without elements (a 0 in its shape) data is a non-NULL pointer that
 * must not be read.  n_dims is 0 for a scalar (one element); shape entries
 * past n_dims are 0.  BF16 and F16 elements are raw 16-bit patterns. */
typedef struct
{
  const char *name;
  GcpDType dtype;
  int n_dims;
  gint64 shape[GCP_MAX_DIMS];
  gsize n_bytes;
  const void *data;
} GcpTensorView;

/* A loaded file; read-only, so it may be shared between threads. */
typedef struct _GcpSafetensors GcpSafetensors;

/* Maps the file (missing file: GCP_ERROR_NOT_FOUND; a FIFO, directory or
 * device: GCP_ERROR_INVALID, see gcp_open_regular()).  The mapping relies on
 * the file not being truncated while loaded, which our writer never does: it
 * replaces files by renaming. */
GcpSafetensors *gcp_safetensors_load (const char *path, GError **error);

/* Parses a whole file held in memory; keeps a reference to bytes. */
GcpSafetensors *gcp_safetensors_parse (GBytes *bytes, GError **error);

void gcp_safetensors_free (GcpSafetensors *st);

/* Tensors are numbered in the order of their data in the file. */
guint gcp_safetensors_n_tensors (const GcpSafetensors *st);
const GcpTensorView *gcp_safetensors_tensor (const GcpSafetensors *st, guint index);

/* NULL when there is no tensor of that name. */
const GcpTensorView *gcp_safetensors_lookup (const GcpSafetensors *st, const char *name);

/* The data of an F32 tensor of exactly this shape, or NULL with an error that
 * names the tensor and says what was expected and found (GCP_ERROR_NOT_FOUND
 * for a missing tensor, GCP_ERROR_MISMATCH for a wrong dtype or shape). */
const float *gcp_safetensors_get_f32 (const GcpSafetensors *st, const char *name,
                                      int n_dims, const gint64 *shape, GError **error);

/* The SHA-256 of the bytes of the whole file, lowercase hex (newly allocated). */
char *gcp_safetensors_sha256 (const GcpSafetensors *st);

/* A "__metadata__" value, NULL when absent. */
const char *gcp_safetensors_metadata (const GcpSafetensors *st, const char *key);

/* Builds a file.  Mistakes in add() and set_metadata() (a duplicate or
 * non-UTF-8 name, a bad shape, …) are kept and reported by save(), as
 * GCP_ERROR_INVALID, so callers can add tensors without checking each call. */
typedef struct _GcpSafetensorsWriter GcpSafetensorsWriter;

GcpSafetensorsWriter *gcp_safetensors_writer_new (void);
void gcp_safetensors_writer_free (GcpSafetensorsWriter *writer);

/* data holds the tensor in host byte order and C order; it is borrowed, not
 * copied, and must stay valid until the last save().  It may be NULL when the
 * tensor has no elements. */
void gcp_safetensors_writer_add (GcpSafetensorsWriter *writer, const char *name,
                                 GcpDType dtype, int n_dims, const gint64 *shape,
                                 const void *data);

/* Sets (or replaces) a "__metadata__" entry. */
void gcp_safetensors_writer_set_metadata (GcpSafetensorsWriter *writer, const char *key,
                                          const char *value);

/* Writes the file atomically (gcp-atomic-file.h): on failure the file at
 * path, if any, is left untouched and no temporary file remains.  A file
 * there that gcp_safetensors_may_replace refuses gives its error.  A full disk
 * or quota gives GCP_ERROR_NO_SPACE, other system failures GCP_ERROR_IO.  The
 * writer can be saved again. */
gboolean gcp_safetensors_writer_save (GcpSafetensorsWriter *writer, const char *path,
                                      GError **error);

/* Whether a file of this format (the "format" metadata, "gegl-cut/1"; NULL:
 * any) may replace what is at path: nothing, or a .safetensors file whose
 * format has the same name before its '/'.  Anything else (a photo, a folder,
 * a damaged file) is refused with GCP_ERROR_MISMATCH naming path and what it
 * is, so that a mistyped output path never destroys someone's data. */
gboolean gcp_safetensors_may_replace (const char *path, const char *format,
                                      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcpSafetensors, gcp_safetensors_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcpSafetensorsWriter, gcp_safetensors_writer_free)

G_END_DECLS
