/* Tests of the .safetensors reader and writer: round trips, the exact bytes
 * we write, hostile files, atomic saves, and a file from an independent
 * Python writer. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#endif

#include <glib/gstdio.h>

#include <gcp/gcp-safetensors.h>
#include "test-memory.h"

/* ---- helpers ---- */

/* A file: the header's length, the header, then data_len bytes of data. */
static GBytes *
make_file_len (const char *header, gsize header_len, gsize data_len)
{
  GByteArray *file = g_byte_array_new ();
  guint64 n = GUINT64_TO_LE ((guint64)header_len);

  g_byte_array_append (file, (const guint8 *)&n, 8);
  g_byte_array_append (file, (const guint8 *)header, header_len);
  for (gsize i = 0; i < data_len; i++)
    {
      guint8 b = i * 7 + 1;
      g_byte_array_append (file, &b, 1);
    }
  return g_byte_array_free_to_bytes (file);
}

static GBytes *
make_file (const char *header, gsize data_len)
{
  return make_file_len (header, strlen (header), data_len);
}

/* Parses bytes, expecting an error with this code whose message holds part. */
static void
expect_error (GBytes *bytes, GcpError code, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpSafetensors) st = gcp_safetensors_parse (bytes, &error);

  g_assert_null (st);
  g_assert_error (error, GCP_ERROR, (int)code);
  if (part && !strstr (error->message, part))
    g_error ("message “%s” lacks “%s”", error->message, part);
  g_test_message ("rejected: %s", error->message);
}

static GcpSafetensors *
parse_ok (GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  GcpSafetensors *st = gcp_safetensors_parse (bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (st);
  return st;
}

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("gcp-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_dir_close (d);
  g_rmdir (path);
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents;
  gsize len;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

static void
assert_bytes_equal (GBytes *got, const void *expected, gsize len)
{
  gsize got_len;
  const guint8 *data = g_bytes_get_data (got, &got_len);

  g_assert_cmpmem (data, got_len, expected, len);
}

static void
assert_aligned (const GcpTensorView *view)
{
  g_assert_nonnull (view->data);
  g_assert_cmpuint ((guintptr)view->data % gcp_dtype_size (view->dtype), ==, 0);
}

/* ---- dtypes ---- */

static void
test_dtypes (void)
{
  static const struct
  {
    GcpDType dtype;
    const char *name;
    gsize size;
  } expected[] = {
    { GCP_DTYPE_F32, "F32", 4 },   { GCP_DTYPE_F16, "F16", 2 },
    { GCP_DTYPE_BF16, "BF16", 2 }, { GCP_DTYPE_F64, "F64", 8 },
    { GCP_DTYPE_I64, "I64", 8 },   { GCP_DTYPE_I32, "I32", 4 },
    { GCP_DTYPE_I16, "I16", 2 },   { GCP_DTYPE_I8, "I8", 1 },
    { GCP_DTYPE_U8, "U8", 1 },     { GCP_DTYPE_BOOL, "BOOL", 1 },
    { GCP_DTYPE_U16, "U16", 2 },   { GCP_DTYPE_U32, "U32", 4 },
    { GCP_DTYPE_U64, "U64", 8 },
  };

  g_assert_cmpuint (G_N_ELEMENTS (expected), ==, GCP_DTYPE_N_TYPES);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (gcp_dtype_name (expected[i].dtype), ==, expected[i].name);
      g_assert_cmpuint (gcp_dtype_size (expected[i].dtype), ==, expected[i].size);
    }
  g_assert_null (gcp_dtype_name (GCP_DTYPE_N_TYPES));
  g_assert_null (gcp_dtype_name ((GcpDType)-1));
  g_assert_cmpuint (gcp_dtype_size (GCP_DTYPE_N_TYPES), ==, 0);
}

/* ---- round trip ---- */

static void
test_round_trip (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (GcpSafetensorsWriter) writer = gcp_safetensors_writer_new ();
  g_autoptr (GcpSafetensors) st = NULL;
  g_autoptr (GError) error = NULL;
  const float weight[2][3] = { { 1, -2, 3.5f }, { 0, 1e-30f, -1e30f } };
  const double scale = 0.1;
  const gint64 steps[2] = { -1, G_MAXINT64 };
  const gint32 ids[3] = { G_MININT32, 0, 42 };
  const gint16 small[2] = { -7, 7 };
  const gint8 tiny[3] = { -128, 0, 127 };
  const guint8 pixels[5] = { 0, 1, 2, 254, 255 };
  const guint8 mask[2] = { 1, 0 };
  const guint16 half[3] = { 0x3c00, 0xc000, 0x7e00 }; /* 1, -2, NaN */
  const guint16 brain[2] = { 0x3f80, 0xff80 };        /* 1, -inf */
  const guint16 u16[1] = { 65535 };
  const guint32 u32[1] = { 4000000000u };
  const guint64 u64[1] = { G_MAXUINT64 };
  const gint64 s23[] = { 2, 3 }, s2[] = { 2 }, s3[] = { 3 }, s5[] = { 5 }, s1[] = { 1 };
  const gint64 s0[] = { 0 }, s20[] = { 2, 0 };
  const struct
  {
    const char *name;
    GcpDType dtype;
    int n_dims;
    const gint64 *shape;
    const void *data;
    gsize n_bytes;
  } tensors[] = {
    { "g.weight", GCP_DTYPE_F32, 2, s23, weight, sizeof weight },
    { "g.scale", GCP_DTYPE_F64, 0, NULL, &scale, sizeof scale },
    { "opt.steps", GCP_DTYPE_I64, 1, s2, steps, sizeof steps },
    { "ids", GCP_DTYPE_I32, 1, s3, ids, sizeof ids },
    { "small", GCP_DTYPE_I16, 1, s2, small, sizeof small },
    { "tiny", GCP_DTYPE_I8, 1, s3, tiny, sizeof tiny },
    { "pixels", GCP_DTYPE_U8, 1, s5, pixels, sizeof pixels },
    { "mask", GCP_DTYPE_BOOL, 1, s2, mask, sizeof mask },
    { "half", GCP_DTYPE_F16, 1, s3, half, sizeof half },
    { "brain", GCP_DTYPE_BF16, 1, s2, brain, sizeof brain },
    { "u16", GCP_DTYPE_U16, 1, s1, u16, sizeof u16 },
    { "u32", GCP_DTYPE_U32, 1, s1, u32, sizeof u32 },
    { "u64", GCP_DTYPE_U64, 1, s1, u64, sizeof u64 },
    { "empty", GCP_DTYPE_F32, 1, s0, NULL, 0 },
    { "empty2", GCP_DTYPE_I8, 2, s20, pixels, 0 },
    { "名前 \"quoted\"\n", GCP_DTYPE_U8, 1, s1, pixels, 1 },
  };
  guint64 end = 0;

  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    gcp_safetensors_writer_add (writer, tensors[i].name, tensors[i].dtype,
                                tensors[i].n_dims, tensors[i].shape, tensors[i].data);
  gcp_safetensors_writer_set_metadata (writer, "format", "gegl-cut/1");
  gcp_safetensors_writer_set_metadata (writer, "recipe", "{\"lr\": 2e-4}\n\t\x01");
  gcp_safetensors_writer_set_metadata (writer, "empty", "");
  gcp_safetensors_writer_set_metadata (writer, "format", "gegl-cut/2"); /* replaces */
  g_assert_true (gcp_safetensors_writer_save (writer, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  st = gcp_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gcp_safetensors_n_tensors (st), ==, G_N_ELEMENTS (tensors));
  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      const GcpTensorView *view = gcp_safetensors_lookup (st, tensors[i].name);

      g_assert_nonnull (view);
      g_assert_cmpstr (view->name, ==, tensors[i].name);
      g_assert_cmpint (view->dtype, ==, tensors[i].dtype);
      g_assert_cmpint (view->n_dims, ==, tensors[i].n_dims);
      if (tensors[i].n_dims > 0)
        g_assert_cmpmem (view->shape, view->n_dims * sizeof (gint64), tensors[i].shape,
                         tensors[i].n_dims * sizeof (gint64));
      g_assert_cmpuint (view->n_bytes, ==, tensors[i].n_bytes);
      if (view->n_bytes > 0)
        g_assert_cmpmem (view->data, view->n_bytes, tensors[i].data, tensors[i].n_bytes);
      assert_aligned (view);
    }
  g_assert_null (gcp_safetensors_lookup (st, "absent"));
  g_assert_cmpstr (gcp_safetensors_metadata (st, "format"), ==, "gegl-cut/2");
  g_assert_cmpstr (gcp_safetensors_metadata (st, "recipe"), ==, "{\"lr\": 2e-4}\n\t\x01");
  g_assert_cmpstr (gcp_safetensors_metadata (st, "empty"), ==, "");
  g_assert_null (gcp_safetensors_metadata (st, "absent"));

  /* Indexes follow the data; largest dtypes come first, so all are aligned. */
  for (guint i = 0; i < gcp_safetensors_n_tensors (st); i++)
    {
      const GcpTensorView *view = gcp_safetensors_tensor (st, i);

      if (i > 0)
        g_assert_cmpuint (gcp_dtype_size (view->dtype), <=,
                          gcp_dtype_size (gcp_safetensors_tensor (st, i - 1)->dtype));
      end += view->n_bytes;
    }
  g_assert_cmpstr (gcp_safetensors_tensor (st, 0)->name, ==, "u64"); /* U64 ranks first */

  /* The header is padded so the data starts 8-aligned, and ends the file. */
  {
    g_autoptr (GBytes) bytes = read_bytes (path);
    guint64 header_len;

    memcpy (&header_len, g_bytes_get_data (bytes, NULL), 8);
    header_len = GUINT64_FROM_LE (header_len);
    g_assert_cmpuint (header_len % 8, ==, 0);
    g_assert_cmpuint (8 + header_len + end, ==, g_bytes_get_size (bytes));
  }

  /* get_f32 of the right shape gives the numbers back. */
  {
    const float *w = gcp_safetensors_get_f32 (st, "g.weight", 2, s23, &error);

    g_assert_no_error (error);
    g_assert_cmpmem (w, sizeof weight, weight, sizeof weight);
    g_assert_nonnull (gcp_safetensors_get_f32 (st, "empty", 1, s0, &error));
    g_assert_no_error (error);
  }
  remove_tree (dir);
}

/* A writer can be saved twice, and saving again replaces the file. */
static void
test_save_replaces (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr (GcpSafetensorsWriter) first = gcp_safetensors_writer_new ();
  g_autoptr (GcpSafetensorsWriter) second = gcp_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  const float a[1] = { 1 }, b[2] = { 2, 3 };
  const gint64 s1[] = { 1 }, s2[] = { 2 };

  gcp_safetensors_writer_add (first, "a", GCP_DTYPE_F32, 1, s1, a);
  gcp_safetensors_writer_add (second, "b", GCP_DTYPE_F32, 1, s2, b);
  g_assert_true (gcp_safetensors_writer_save (first, path, &error));
  g_assert_true (gcp_safetensors_writer_save (first, path, &error));
  g_assert_true (gcp_safetensors_writer_save (second, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  g_autoptr (GcpSafetensors) st = gcp_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_null (gcp_safetensors_lookup (st, "a"));
  g_assert_cmpfloat (gcp_safetensors_get_f32 (st, "b", 1, s2, &error)[1], ==, 3);
  remove_tree (dir);
}

/* ---- exact bytes ---- */

static GBytes *
save_to_bytes (GcpSafetensorsWriter *writer)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "x.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  GBytes *bytes;

  g_assert_true (gcp_safetensors_writer_save (writer, path, &error));
  g_assert_no_error (error);
  bytes = read_bytes (path);
  remove_tree (dir);
  return bytes;
}

/* The first three are the reference implementation's own test vectors. */
static void
test_exact_bytes (void)
{
  static const char empty[] = "\x08\0\0\0\0\0\0\0{}      ";
  static const char framework[] = "\x28\0\0\0\0\0\0\0"
                                  "{\"__metadata__\":{\"framework\":\"pt\"}}     ";
  static const char attn0[] = "\x48\0\0\0\0\0\0\0"
                              "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_"
                              "offsets\":[0,24]}}       "
                              "\0\0\0\0"
                              "\0\0\x80\x3f"
                              "\0\0\0\x40"
                              "\0\0\x40\x40"
                              "\0\0\x80\x40"
                              "\0\0\xa0\x40";
  /* Ours: metadata sorted, tensors by dtype size then name, escaped names. */
  static const char mixed[]
      = "\x18\x01\0\0\0\0\0\0"
        "{\"__metadata__\":{\"arch\":\"x\",\"format\":\"gegl-cut/1\"},"
        "\"z\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]},"
        "\"c\\\"\\n\\u0001\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[19,19]}}"
        "   "
        "\0\0\0\0\0\0\xe0\x3f"
        "\0\0\x80\x3f"
        "\0\0\0\xc0"
        "\x01\x02\x03";
  const float attn[6] = { 0, 1, 2, 3, 4, 5 }, two[2] = { 1, -2 };
  const double half = 0.5;
  const guint8 bytes3[3] = { 1, 2, 3 };
  const gint64 s1123[] = { 1, 1, 2, 3 }, s2[] = { 2 }, s3[] = { 3 }, s0[] = { 0 };

  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    g_autoptr (GBytes) got = save_to_bytes (w);
    assert_bytes_equal (got, empty, sizeof empty - 1);
  }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    gcp_safetensors_writer_set_metadata (w, "framework", "pt");
    g_autoptr (GBytes) got = save_to_bytes (w);
    assert_bytes_equal (got, framework, sizeof framework - 1);
  }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    gcp_safetensors_writer_add (w, "attn0", GCP_DTYPE_F32, 4, s1123, attn);
    g_autoptr (GBytes) got = save_to_bytes (w);
    assert_bytes_equal (got, attn0, sizeof attn0 - 1);
  }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    gcp_safetensors_writer_add (w, "b", GCP_DTYPE_U8, 1, s3, bytes3);
    gcp_safetensors_writer_add (w, "c\"\n\x01", GCP_DTYPE_BOOL, 1, s0, NULL);
    gcp_safetensors_writer_add (w, "a", GCP_DTYPE_F32, 1, s2, two);
    gcp_safetensors_writer_add (w, "z", GCP_DTYPE_F64, 0, NULL, &half);
    gcp_safetensors_writer_set_metadata (w, "format", "gegl-cut/1");
    gcp_safetensors_writer_set_metadata (w, "arch", "x");
    g_autoptr (GBytes) got = save_to_bytes (w);
    assert_bytes_equal (got, mixed, sizeof mixed - 1);

    /* And the reader takes the hand-built file. */
    g_autoptr (GBytes) file = g_bytes_new_static (mixed, sizeof mixed - 1);
    g_autoptr (GcpSafetensors) st = parse_ok (file);
    g_assert_cmpuint (gcp_safetensors_n_tensors (st), ==, 4);
    g_assert_cmpstr (gcp_safetensors_tensor (st, 3)->name, ==, "c\"\n\x01");
    g_assert_cmpfloat (*(const double *)gcp_safetensors_lookup (st, "z")->data, ==, 0.5);
  }
}

/* ---- hostile files ---- */

typedef struct
{
  const char *name;
  const char *header;
  gsize data_len;
  GcpError code;
  const char *message; /* a part of the expected message */
} Hostile;

#define T(fields) "\"t\":{" fields "}"
#define F32_2 "\"dtype\":\"F32\",\"shape\":[2]"

static const Hostile hostile[] = {
  /* syntax */
  { "not-json", "{\"t\":", 0, GCP_ERROR_CORRUPT, "not valid JSON" },
  { "garbage", "{hello}", 0, GCP_ERROR_CORRUPT, "not valid JSON" },
  { "comment", "{/* x */}", 0, GCP_ERROR_CORRUPT, "not valid JSON" },
  { "single-quotes", "{'t':1}", 0, GCP_ERROR_CORRUPT, "not valid JSON" },
  { "trailing-text", "{} x", 0, GCP_ERROR_CORRUPT, "text after the end" },
  { "two-objects", "{}{}", 0, GCP_ERROR_CORRUPT, "text after the end" },
  { "trailing-comma", "{\"__metadata__\":{},}", 0, GCP_ERROR_CORRUPT, "not valid JSON" },
  { "leading-zero", "{" T (F32_2 ",\"data_offsets\":[0,08]") "}", 8, GCP_ERROR_CORRUPT,
    "not valid JSON" },
  { "hex-number", "{" T (F32_2 ",\"data_offsets\":[0,0x8]") "}", 8, GCP_ERROR_CORRUPT,
    "not valid JSON" },
  { "bad-escape", "{\"\\x41\":1}", 0, GCP_ERROR_CORRUPT, "escape" },
  { "raw-newline", "{\"a\nb\":1}", 0, GCP_ERROR_CORRUPT, "control character" },
  { "nul-escape", "{\"a\\u0000b\":1}", 0, GCP_ERROR_CORRUPT, "\\u0000" },
  { "lone-surrogate", "{\"\\ud800\":1}", 0, GCP_ERROR_CORRUPT, "surrogate" },
  { "lone-low-surrogate", "{\"\\udc00\":1}", 0, GCP_ERROR_CORRUPT, "surrogate" },
  { "unterminated", "{\"abc", 0, GCP_ERROR_CORRUPT, "unterminated" },
  { "leading-space", " {}", 0, GCP_ERROR_CORRUPT, "start with" },
  { "array", "[]", 0, GCP_ERROR_CORRUPT, "start with" },
  { "string", "\"{}\"", 0, GCP_ERROR_CORRUPT, "start with" },
  /* tensor entries */
  { "entry-array", "{\"t\":[1]}", 0, GCP_ERROR_CORRUPT, "“t”: entry is not an object" },
  { "entry-null", "{\"t\":null}", 0, GCP_ERROR_CORRUPT, "“t”: entry is not an object" },
  { "missing-dtype", "{" T ("\"shape\":[2],\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: missing “dtype”" },
  { "missing-shape", "{" T ("\"dtype\":\"F32\",\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: missing “shape”" },
  { "missing-offsets", "{" T (F32_2) "}", 8, GCP_ERROR_CORRUPT,
    "“t”: missing “data_offsets”" },
  { "extra-key", "{" T (F32_2 ",\"data_offsets\":[0,8],\"offset\":0") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: unexpected key “offset”" },
  { "unknown-dtype",
    "{" T ("\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]") "}", 2,
    GCP_ERROR_UNSUPPORTED, "“t”: unsupported dtype “F8_E4M3”" },
  { "lowercase-dtype",
    "{" T ("\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_UNSUPPORTED, "unsupported dtype “f32”" },
  { "dtype-number", "{" T ("\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: dtype is not a string" },
  /* shapes */
  { "shape-number", "{" T ("\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: shape is not an array" },
  { "shape-negative",
    "{" T ("\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: shape[0] is not" },
  { "shape-float", "{" T ("\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]") "}",
    8, GCP_ERROR_CORRUPT, "“t”: shape[0] is not" },
  { "shape-exponent",
    "{" T ("\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: shape[0] is not" },
  { "shape-string",
    "{" T ("\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: shape[0] is not" },
  { "shape-bool",
    "{" T ("\"dtype\":\"F32\",\"shape\":[1,true],\"data_offsets\":[0,4]") "}", 4,
    GCP_ERROR_CORRUPT, "“t”: shape[1] is not" },
  /* json-glib misreads integers outside gint64 (1.6 wraps them, 1.10
   * saturates them at 2^63 − 1); the text shows them. */
  { "shape-2^63",
    "{" T ("\"dtype\":\"U8\",\"shape\":[9223372036854775808],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT,
    "integer 9223372036854775808 at byte 28 is outside the 64-bit" },
  { "shape-2^64",
    "{" T ("\"dtype\":\"U8\",\"shape\":[18446744073709551616],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "integer 18446744073709551616 at byte 28 is outside" },
  { "shape-2^65+1",
    "{" T ("\"dtype\":\"U8\",\"shape\":[36893488147419103233],"
           "\"data_offsets\":[0,1]") "}",
    1, GCP_ERROR_CORRUPT, "integer 36893488147419103233 at byte 28 is outside" },
  { "shape-long-integer",
    "{" T ("\"dtype\":\"U8\",\"shape\":[1000000000000000000000000000001],"
           "\"data_offsets\":[0,1]") "}",
    1, GCP_ERROR_CORRUPT, "integer 100000000000000000000000… at byte 28 is outside" },
  { "shape-minus-2^63-1",
    "{" T ("\"dtype\":\"U8\",\"shape\":[-9223372036854775809],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "integer -9223372036854775809 at byte 28 is outside" },
  { "offsets-2^64",
    "{" T ("\"dtype\":\"U8\",\"shape\":[0],"
           "\"data_offsets\":[0,18446744073709551616]") "}",
    0, GCP_ERROR_CORRUPT, "integer 18446744073709551616 at byte 49 is outside" },
  /* the limits themselves are read exactly */
  { "shape-2^63-1",
    "{" T ("\"dtype\":\"U8\",\"shape\":[9223372036854775807],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "U8 [9223372036854775807] needs 9223372036854775807" },
  { "shape-minus-2^63",
    "{" T ("\"dtype\":\"U8\",\"shape\":[-9223372036854775808],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "“t”: shape[0] is not a non-negative 64-bit integer" },
  { "shape-9-dims",
    "{" T ("\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],"
           "\"data_offsets\":[0,1]") "}",
    1, GCP_ERROR_UNSUPPORTED, "“t”: 9 dimensions" },
  { "shape-overflow",
    "{" T ("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "“t”: shape [4294967296, 4294967296] has too many elements" },
  { "shape-overflow-bytes",
    "{" T ("\"dtype\":\"F64\",\"shape\":[2305843009213693952],"
           "\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "too many elements" },
  { "shape-overflow-then-0",
    "{" T ("\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,"
           "4294967296,0],\"data_offsets\":[0,0]") "}",
    0, GCP_ERROR_CORRUPT, "too many elements" },
  /* offsets */
  { "offsets-number", "{" T (F32_2 ",\"data_offsets\":8") "}", 8, GCP_ERROR_CORRUPT,
    "“t”: data_offsets is not a pair" },
  { "offsets-one", "{" T (F32_2 ",\"data_offsets\":[8]") "}", 8, GCP_ERROR_CORRUPT,
    "“t”: data_offsets is not a pair" },
  { "offsets-three", "{" T (F32_2 ",\"data_offsets\":[0,8,8]") "}", 8, GCP_ERROR_CORRUPT,
    "“t”: data_offsets is not a pair" },
  { "offsets-negative", "{" T (F32_2 ",\"data_offsets\":[-8,0]") "}", 8,
    GCP_ERROR_CORRUPT, "“t”: data_offsets is not a pair" },
  { "offsets-float", "{" T (F32_2 ",\"data_offsets\":[0,8.0]") "}", 8, GCP_ERROR_CORRUPT,
    "“t”: data_offsets is not a pair" },
  { "offsets-reversed", "{" T (F32_2 ",\"data_offsets\":[8,0]") "}", 8, GCP_ERROR_CORRUPT,
    "“t”: data_offsets [8, 0] end before they begin" },
  { "offsets-past-end", "{" T (F32_2 ",\"data_offsets\":[0,8]") "}", 7, GCP_ERROR_CORRUPT,
    "“t”: data_offsets [0, 8] run past the end of the data (7 bytes)" },
  { "offsets-huge",
    "{" T (F32_2 ",\"data_offsets\":[9223372036854775800,"
                 "9223372036854775807]") "}",
    8, GCP_ERROR_CORRUPT, "run past the end" },
  { "size-mismatch", "{" T (F32_2 ",\"data_offsets\":[0,4]") "}", 4, GCP_ERROR_CORRUPT,
    "“t”: data_offsets [0, 4] hold 4 bytes, but F32 [2] needs 8" },
  /* coverage of the data */
  { "overlap",
    "{\"a\":{" F32_2 ",\"data_offsets\":[0,8]},"
    "\"b\":{" F32_2 ",\"data_offsets\":[4,12]}}",
    12, GCP_ERROR_CORRUPT, "tensor “b” overlaps tensor “a”" },
  { "same-range",
    "{\"a\":{" F32_2 ",\"data_offsets\":[0,8]},"
    "\"b\":{" F32_2 ",\"data_offsets\":[0,8]}}",
    8, GCP_ERROR_CORRUPT, "overlaps" },
  { "empty-inside",
    "{\"a\":{" F32_2 ",\"data_offsets\":[0,8]},"
    "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
    8, GCP_ERROR_CORRUPT, "tensor “e” overlaps tensor “a”" },
  { "hole",
    "{\"a\":{" F32_2 ",\"data_offsets\":[0,8]},"
    "\"b\":{" F32_2 ",\"data_offsets\":[12,20]}}",
    20, GCP_ERROR_CORRUPT, "4 bytes before tensor “b” belong to no tensor" },
  { "hole-at-start", "{" T (F32_2 ",\"data_offsets\":[4,12]") "}", 12, GCP_ERROR_CORRUPT,
    "4 bytes before tensor “t”" },
  { "trailing-data", "{" T (F32_2 ",\"data_offsets\":[0,8]") "}", 11, GCP_ERROR_CORRUPT,
    "the last 3 bytes of data belong to no tensor" },
  { "data-but-no-tensors", "{}", 1, GCP_ERROR_CORRUPT, "the last 1 bytes" },
  /* duplicates: json-glib would keep one of each silently */
  { "duplicate-tensor",
    "{" T (F32_2 ",\"data_offsets\":[0,8]") "," T (F32_2 ",\"data_offsets\":[0,8]") "}",
    8, GCP_ERROR_CORRUPT, "tensor “t” appears twice" },
  { "duplicate-empty-tensor",
    "{\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
    "\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}",
    0, GCP_ERROR_CORRUPT, "tensor “e” appears twice" },
  { "duplicate-escaped",
    "{\"t\":{" F32_2 ",\"data_offsets\":[0,8]},"
    "\"\\u0074\":{" F32_2 ",\"data_offsets\":[0,8]}}",
    8, GCP_ERROR_CORRUPT, "tensor “t” appears twice" },
  { "duplicate-dtype",
    "{" T ("\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],"
           "\"data_offsets\":[0,8]") "}",
    8, GCP_ERROR_CORRUPT, "tensor “t”: key “dtype” appears twice" },
  { "duplicate-metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0,
    GCP_ERROR_CORRUPT, "“__metadata__” appears twice" },
  { "duplicate-metadata-key", "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0,
    GCP_ERROR_CORRUPT, "__metadata__ key “k” appears twice" },
  { "duplicate-deep",
    "{\"t\":{\"dtype\":\"F32\",\"shape\":[{\"x\":1,\"x\":1}],"
    "\"data_offsets\":[0,8]}}",
    8, GCP_ERROR_CORRUPT, "key “x” appears twice" },
  /* metadata */
  { "metadata-string", "{\"__metadata__\":\"x\"}", 0, GCP_ERROR_CORRUPT,
    "__metadata__ is not an object" },
  { "metadata-number", "{\"__metadata__\":{\"k\":1}}", 0, GCP_ERROR_CORRUPT,
    "__metadata__ “k” is not a string" },
  { "metadata-null", "{\"__metadata__\":{\"k\":null}}", 0, GCP_ERROR_CORRUPT,
    "__metadata__ “k” is not a string" },
  { "metadata-object", "{\"__metadata__\":{\"k\":{\"a\":\"b\"}}}", 0, GCP_ERROR_CORRUPT,
    "__metadata__ “k” is not a string" },
};

static void
test_hostile (gconstpointer data)
{
  const Hostile *h = data;
  g_autoptr (GBytes) bytes = make_file (h->header, h->data_len);

  expect_error (bytes, h->code, h->message);
}

static void
test_short_files (void)
{
  static const guint8 zeros[8] = { 0 };

  for (gsize len = 0; len < 8; len++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (zeros, len);
      expect_error (bytes, GCP_ERROR_CORRUPT, "too short");
    }
}

static void
test_header_lengths (void)
{
  static const guint64 lengths[] = { 100000001, G_MAXUINT64, G_MAXUINT64 - 7 };
  guint8 file[16] = { 0 };
  guint64 n;

  {
    g_autoptr (GBytes) bytes = g_bytes_new (file, sizeof file);
    expect_error (bytes, GCP_ERROR_CORRUPT, "header length is 0");
  }
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      n = GUINT64_TO_LE (lengths[i]);
      memcpy (file, &n, 8);
      g_autoptr (GBytes) bytes = g_bytes_new (file, sizeof file);
      expect_error (bytes, GCP_ERROR_CORRUPT, "over the limit");
    }

  /* 100 MB is allowed but this file is far too short: a truncated header. */
  n = GUINT64_TO_LE (100000000);
  memcpy (file, &n, 8);
  {
    g_autoptr (GBytes) bytes = g_bytes_new (file, sizeof file);
    expect_error (bytes, GCP_ERROR_CORRUPT, "runs past the end of the file");
  }
  {
    g_autoptr (GBytes) bytes = make_file_len ("{}", 3, 0); /* claims one byte more */
    g_autoptr (GBytes) cut = g_bytes_new_from_bytes (bytes, 0, 10);
    expect_error (cut, GCP_ERROR_CORRUPT, "runs past the end of the file (10 bytes)");
  }
}

static void
test_bad_utf8 (void)
{
  static const char *const headers[] = {
    "{\"\xff\":1}",         /* not UTF-8 at all */
    "{\"\xc3\":1}",         /* truncated sequence */
    "{\"\xed\xa0\x80\":1}", /* an encoded surrogate */
    "{\"\xc0\xaf\":1}",     /* overlong */
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr (GBytes) bytes = make_file (headers[i], 0);
      expect_error (bytes, GCP_ERROR_CORRUPT, "not valid UTF-8");
    }
  {
    /* A NUL inside the header: some writers pad with them; the reference
     * refuses them and so do we. */
    g_autoptr (GBytes) bytes = make_file_len ("{}\0\0\0\0\0\0", 8, 0);
    expect_error (bytes, GCP_ERROR_CORRUPT, "not valid UTF-8");
  }
}

/* Deep nesting must not exhaust the stack (json-glib recurses). */
static void
test_deep_nesting (void)
{
  const gsize depth = 1000000;
  GString *header = g_string_new ("{\"t\":");

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (header, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (header, ']');
  g_string_append_c (header, '}');
  {
    g_autoptr (GBytes) bytes = make_file (header->str, 0);
    expect_error (bytes, GCP_ERROR_CORRUPT, "nested too deeply");
  }
  g_string_free (header, TRUE);
}

/* ---- unusual but valid files ---- */

static void
test_valid_oddities (void)
{
  /* Whitespace, any key order, padding, a scalar, empty tensors at the end. */
  const char *header
      = "{ \n\t\"b\" : { \"shape\" : [ ] , \"data_offsets\" : [ 8 , 12 ] ,"
        " \"dtype\" : \"F32\" } ,\r\n"
        "\"__metadata__\":{\"k\":\"v\\u00e9\\ud83c\\udfa8\\/\"},"
        "\"z1\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[12,12]},"
        "\"a\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
        "\"z0\":{\"dtype\":\"F64\",\"shape\":[3,0,2],\"data_offsets\":[12,12]}"
        "}        ";
  g_autoptr (GBytes) bytes = make_file (header, 12);
  g_autoptr (GcpSafetensors) st = parse_ok (bytes);
  g_autoptr (GError) error = NULL;
  const gint64 s302[] = { 3, 0, 2 };

  g_assert_cmpuint (gcp_safetensors_n_tensors (st), ==, 4);
  g_assert_cmpstr (gcp_safetensors_tensor (st, 0)->name, ==, "a");
  g_assert_cmpstr (gcp_safetensors_tensor (st, 1)->name, ==, "b");
  /* Empty tensors at one offset come in name order. */
  g_assert_cmpstr (gcp_safetensors_tensor (st, 2)->name, ==, "z0");
  g_assert_cmpstr (gcp_safetensors_tensor (st, 3)->name, ==, "z1");
  g_assert_cmpint (gcp_safetensors_lookup (st, "b")->n_dims, ==, 0);
  g_assert_cmpuint (gcp_safetensors_lookup (st, "z0")->n_bytes, ==, 0);
  g_assert_nonnull (gcp_safetensors_lookup (st, "z0")->data);
  g_assert_cmpstr (gcp_safetensors_metadata (st, "k"), ==, "v\xc3\xa9\xf0\x9f\x8e\xa8/");
  g_assert_nonnull (gcp_safetensors_get_f32 (st, "b", 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (gcp_safetensors_get_f32 (st, "z0", 3, s302, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_MISMATCH);

  {
    g_autoptr (GBytes) empty = make_file ("{}", 0);
    g_autoptr (GcpSafetensors) none = parse_ok (empty);
    g_assert_cmpuint (gcp_safetensors_n_tensors (none), ==, 0);
  }
}

/* A foreign file whose data starts at an odd address still gives aligned,
 * correct floats. */
static void
test_misaligned (void)
{
  /* 73 bytes of header: the data starts at byte 81 of the file. */
  const char *header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                       "\"__metadata__\":{}}";
  const float values[3] = { 1.5f, -0.25f, 1e10f };
  const gint64 s3[] = { 3 };
  g_autoptr (GByteArray) file = g_byte_array_new ();
  guint64 n = GUINT64_TO_LE (strlen (header));
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (strlen (header) % 4, !=, 0);
  g_byte_array_append (file, (const guint8 *)&n, 8);
  g_byte_array_append (file, (const guint8 *)header, strlen (header));
  for (guint i = 0; i < 3; i++)
    {
      guint32 bits;

      memcpy (&bits, &values[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_byte_array_append (file, (const guint8 *)&bits, 4);
    }
  g_autoptr (GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&file));
  g_autoptr (GcpSafetensors) st = parse_ok (bytes);
  const float *w = gcp_safetensors_get_f32 (st, "w", 1, s3, &error);

  g_assert_no_error (error);
  g_assert_cmpuint ((guintptr)w % sizeof (float), ==, 0);
  g_assert_cmpfloat (w[0], ==, 1.5f);
  g_assert_cmpfloat (w[1], ==, -0.25f);
  g_assert_cmpfloat (w[2], ==, 1e10f);
}

/* load() names the file in its errors and tells a missing file and one that
 * is not a regular file apart. */
static void
test_load_errors (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing.safetensors", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_null (gcp_safetensors_load (missing, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "missing.safetensors"));
  g_clear_error (&error);

  g_assert_null (gcp_safetensors_load (dir, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "is a directory, not a regular file"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (cut, "\x10\0\0\0\0\0\0\0{}", 10, NULL));
  g_assert_null (gcp_safetensors_load (cut, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_CORRUPT);
  g_assert_true (g_str_has_suffix (error->message, "truncated?"));
  g_assert_nonnull (strstr (error->message, "cut.safetensors: header length 16"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (cut, "", 0, NULL));
  g_assert_null (gcp_safetensors_load (cut, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_CORRUPT);
  remove_tree (dir);
}

/* A misaligned tensor too large to copy under a 64 MB address-space cap is an
 * error, not an abort: the copy's size is the file's to choose. */
static void
test_misaligned_out_of_memory (void)
{
  const gsize n_bytes = 256 << 20;
  g_autofree char *header
      = g_strdup_printf ("{\"w\":{\"dtype\":\"F32\",\"shape\":[%" G_GSIZE_FORMAT
                         "],\"data_offsets\":[0,%" G_GSIZE_FORMAT "]}}",
                         n_bytes / 4, n_bytes);
  guint64 len = GUINT64_TO_LE (strlen (header));
  gsize size = 8 + strlen (header) + n_bytes;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  guint8 *file;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_assert_cmpuint (strlen (header) % 4, !=, 0);
  /* Zero pages: the data is never touched before the cap. */
  file = g_malloc0 (size);
  memcpy (file, &len, 8);
  memcpy (file + 8, header, strlen (header));
  bytes = g_bytes_new_take (file, size);
  gcp_test_limit_address_space (64 << 20);
  g_assert_null (gcp_safetensors_parse (bytes, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not enough memory"));
  g_test_message ("%s", error->message);
}

/* ---- get_f32 ---- */

static void
test_get_f32_errors (void)
{
  const char *header
      = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,48]},"
        "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[48,52]}}";
  g_autoptr (GBytes) bytes = make_file (header, 52);
  g_autoptr (GcpSafetensors) st = parse_ok (bytes);
  const gint64 s34[] = { 3, 4 }, s43[] = { 4, 3 }, s12[] = { 12 }, s2[] = { 2 };
  const struct
  {
    const char *name;
    int n_dims;
    const gint64 *shape;
    GcpError code;
    const char *message;
  } cases[] = {
    { "absent", 1, s2, GCP_ERROR_NOT_FOUND, "no tensor “absent”" },
    { "h", 1, s2, GCP_ERROR_MISMATCH, "tensor “h”: expected dtype F32, found F16" },
    { "w", 2, s43, GCP_ERROR_MISMATCH,
      "tensor “w”: expected shape [4, 3], found [3, 4]" },
    { "w", 1, s12, GCP_ERROR_MISMATCH, "tensor “w”: expected shape [12], found [3, 4]" },
    { "w", 0, NULL, GCP_ERROR_MISMATCH, "tensor “w”: expected shape [], found [3, 4]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (gcp_safetensors_get_f32 (st, cases[i].name, cases[i].n_dims,
                                              cases[i].shape, &error));
      g_assert_error (error, GCP_ERROR, (int)cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
  {
    g_autoptr (GError) error = NULL;
    g_assert_nonnull (gcp_safetensors_get_f32 (st, "w", 2, s34, &error));
    g_assert_no_error (error);
  }
}

/* ---- corrupted copies of a good file: errors, never crashes ---- */

static GBytes *
good_file (void)
{
  g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
  const float f[6] = { 1, 2, 3, 4, 5, 6 };
  const guint16 h[3] = { 1, 2, 3 };
  const guint8 b[1] = { 1 };
  const gint64 s23[] = { 2, 3 }, s3[] = { 3 }, s1[] = { 1 }, s0[] = { 0 };

  gcp_safetensors_writer_add (w, "g.conv.weight", GCP_DTYPE_F32, 2, s23, f);
  gcp_safetensors_writer_add (w, "g.norm", GCP_DTYPE_F16, 1, s3, h);
  gcp_safetensors_writer_add (w, "flag", GCP_DTYPE_BOOL, 1, s1, b);
  gcp_safetensors_writer_add (w, "none", GCP_DTYPE_I64, 1, s0, NULL);
  gcp_safetensors_writer_set_metadata (w, "format", "gegl-cut/1");
  gcp_safetensors_writer_set_metadata (w, "arch",
                                       "{\"kind\": \"resnet\", \"blocks\": 9}");
  return save_to_bytes (w);
}

static void
check_views (const GcpSafetensors *st)
{
  for (guint i = 0; i < gcp_safetensors_n_tensors (st); i++)
    {
      const GcpTensorView *view = gcp_safetensors_tensor (st, i);
      gsize n = gcp_dtype_size (view->dtype);
      volatile guint8 sum = 0;

      for (int d = 0; d < view->n_dims; d++)
        n *= view->shape[d];
      g_assert_cmpuint (n, ==, view->n_bytes);
      g_assert_true (gcp_safetensors_lookup (st, view->name) == view);
      assert_aligned (view);
      /* Touch every byte so valgrind sees any stray pointer. */
      for (gsize j = 0; j < view->n_bytes; j++)
        sum += ((const guint8 *)view->data)[j];
      (void)sum;
    }
}

static void
test_truncations (void)
{
  g_autoptr (GBytes) good = good_file ();
  gsize len = g_bytes_get_size (good);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_from_bytes (good, 0, cut);
      g_autoptr (GError) error = NULL;
      g_autoptr (GcpSafetensors) st = gcp_safetensors_parse (bytes, &error);

      g_assert_null (st);
      g_assert_error (error, GCP_ERROR, GCP_ERROR_CORRUPT);
    }
  {
    g_autoptr (GcpSafetensors) st = parse_ok (good);
    check_views (st);
  }
}

static void
test_corruptions (void)
{
  static const guint8 replacements[] = { 0,   ' ', '"', '\\', '{', '}', '[',  ']',
                                         ',', ':', '0', '9',  '-', 'x', 0x80, 0xff };
  g_autoptr (GBytes) good = good_file ();
  gsize len;
  const guint8 *data = g_bytes_get_data (good, &len);
  guint n_ok = 0, n_failed = 0;

  for (gsize at = 0; at < len; at++)
    for (guint r = 0; r < G_N_ELEMENTS (replacements) + 1; r++)
      {
        guint8 *copy = g_memdup2 (data, len);
        g_autoptr (GBytes) bytes = NULL;
        g_autoptr (GError) error = NULL;
        g_autoptr (GcpSafetensors) st = NULL;

        copy[at] = r < G_N_ELEMENTS (replacements) ? replacements[r] : copy[at] ^ 0x01;
        bytes = g_bytes_new_take (copy, len);
        st = gcp_safetensors_parse (bytes, &error);
        if (st)
          {
            g_assert_no_error (error);
            check_views (st);
            n_ok++;
          }
        else
          {
            g_assert_nonnull (error);
            g_assert_true (error->domain == GCP_ERROR);
            n_failed++;
          }
      }
  g_test_message ("%u corrupted copies parsed, %u refused", n_ok, n_failed);
  g_assert_cmpuint (n_failed, >, 0);
}

/* ---- writer mistakes ---- */

static void
test_writer_mistakes (void)
{
  const float f[2] = { 1, 2 };
  const gint64 s2[] = { 2 }, neg[] = { -2 }, nine[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  const gint64 huge[] = { G_MAXINT64, G_MAXINT64 };
  const struct
  {
    const char *what;
    const char *name;
    GcpDType dtype;
    int n_dims;
    const gint64 *shape;
    const void *data;
    const char *message;
  } cases[] = {
    { "duplicate", "a", GCP_DTYPE_F32, 1, s2, f, "tensor “a” added twice" },
    { "reserved", "__metadata__", GCP_DTYPE_F32, 1, s2, f, "cannot name a tensor" },
    { "no-name", NULL, GCP_DTYPE_F32, 1, s2, f, "missing or not valid UTF-8" },
    { "bad-utf8", "\xff", GCP_DTYPE_F32, 1, s2, f, "missing or not valid UTF-8" },
    { "bad-dtype", "b", GCP_DTYPE_N_TYPES, 1, s2, f, "invalid dtype" },
    { "negative", "b", GCP_DTYPE_F32, 1, neg, f, "“b”: invalid shape [-2]" },
    { "nine-dims", "b", GCP_DTYPE_F32, 9, nine, f, "9 dimensions" },
    { "no-shape", "b", GCP_DTYPE_F32, 1, NULL, f, "“b”: no shape" },
    { "overflow", "b", GCP_DTYPE_F32, 2, huge, f, "invalid shape" },
    { "no-data", "b", GCP_DTYPE_F32, 1, s2, NULL, "“b”: no data" },
  };
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
      g_autoptr (GError) error = NULL;

      gcp_safetensors_writer_add (w, "a", GCP_DTYPE_F32, 1, s2, f);
      gcp_safetensors_writer_add (w, cases[i].name, cases[i].dtype, cases[i].n_dims,
                                  cases[i].shape, cases[i].data);
      gcp_safetensors_writer_add (w, "c", GCP_DTYPE_F32, 1, s2, f); /* fine, ignored */
      g_assert_false (gcp_safetensors_writer_save (w, path, &error));
      g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
      if (!strstr (error->message, cases[i].message))
        g_error ("%s: message “%s” lacks “%s”", cases[i].what, error->message,
                 cases[i].message);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }
  {
    g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
    g_autoptr (GError) error = NULL;

    gcp_safetensors_writer_set_metadata (w, "k", "\xfe");
    g_assert_false (gcp_safetensors_writer_save (w, path, &error));
    g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  }
  g_assert_cmpuint (count_entries (dir), ==, 0);
  remove_tree (dir);
}

/* ---- atomic saves ---- */

static void
write_small (const char *path)
{
  g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  static const float f[4] = { 1, 2, 3, 4 };
  const gint64 s4[] = { 4 };

  gcp_safetensors_writer_add (w, "old", GCP_DTYPE_F32, 1, s4, f);
  g_assert_true (gcp_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
}

/* Saves n_floats floats over path; returns the error. */
static GError *
save_big (const char *path, gsize n_floats)
{
  g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
  g_autofree float *f = g_new0 (float, n_floats);
  const gint64 shape[] = { n_floats };
  GError *error = NULL;

  gcp_safetensors_writer_add (w, "new", GCP_DTYPE_F32, 1, shape, f);
  g_assert_false (gcp_safetensors_writer_save (w, path, &error));
  g_assert_nonnull (error);
  g_test_message ("save failed: %s", error->message);
  return error;
}

static void
test_save_missing_dir (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *path = g_build_filename (missing, "m.safetensors", NULL);
  g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;

  g_assert_false (gcp_safetensors_writer_save (w, path, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "m.safetensors"));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_entries (dir), ==, 0);
  remove_tree (dir);
}

/* A failure before any byte is written keeps the old file. */
static void
test_save_invalid_keeps_old (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  const gint64 neg[] = { -1 };

  write_small (path);
  g_autoptr (GBytes) before = read_bytes (path);
  gcp_safetensors_writer_add (w, "x", GCP_DTYPE_U8, 1, neg, "");
  g_assert_false (gcp_safetensors_writer_save (w, path, &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_INVALID);
  g_autoptr (GBytes) after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tree (dir);
}

/* Runs child (dir) in a forked process and returns its exit status.
 *
 * Not g_test_trap_subprocess(): its child watch starts a GLib thread that
 * valgrind reports as a possible leak.  And since valgrind checks the forked
 * child for leaks too, the caller holds no heap memory across the fork: dir
 * lives on its stack and the child does all the work. */
static int
run_in_child (int (*child) (const char *), const char *dir)
{
  pid_t pid;
  int status;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int code = child (dir);

      fflush (stdout);
      _exit (code);
    }
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  if (!WIFEXITED (status))
    g_error ("the child process died of signal %d", WTERMSIG (status));
  return WEXITSTATUS (status);
}

/* Writes a small file in dir, fails to save a big one over it, and checks
 * the error, that the small file is byte-identical and nothing else is left. */
static void
check_failed_save (const char *dir, GcpError code, const char *message_start)
{
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  write_small (path);
  g_autoptr (GBytes) before = read_bytes (path);
  error = save_big (path, 1 << 20);
  g_assert_error (error, GCP_ERROR, (int)code);
  g_assert_true (g_str_has_prefix (error->message, message_start));
  g_assert_nonnull (strstr (error->message, "m.safetensors"));
  g_autoptr (GBytes) after = read_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpuint (count_entries (dir), ==, 1);
}

/* A dir for run_in_child(), in a stack buffer of PATH_MAX bytes. */
static void
make_stack_temp_dir (char *dir, gsize size)
{
  g_snprintf (dir, size, "%s/gcp-test-XXXXXX", g_get_tmp_dir ());
  g_assert_nonnull (g_mkdtemp (dir));
}

/* A write that fails half-way (here: past the process's file size limit). */
static int
save_over_size_limit (const char *dir)
{
  struct rlimit limit = { 65536, 65536 };

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  check_failed_save (dir, GCP_ERROR_IO, "error writing");
  return 0;
}

static void
test_save_fails_midway (void)
{
  char dir[4096];

  make_stack_temp_dir (dir, sizeof dir);
  g_assert_cmpint (run_in_child (save_over_size_limit, dir), ==, 0);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tree (dir);
}

#ifdef __linux__
/* Not g_file_set_contents(): /proc files must be written in place. */
static gboolean
write_proc (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (gssize)strlen (text);
  close (fd);
  return ok;
}

/* Mounts a tiny tmpfs on dir in a private user and mount namespace. */
static gboolean
mount_tiny_tmpfs (const char *dir)
{
  g_autofree char *uid_map = g_strdup_printf ("0 %d 1", (int)getuid ());
  g_autofree char *gid_map = g_strdup_printf ("0 %d 1", (int)getgid ());

  if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
    return FALSE;
  write_proc ("/proc/self/setgroups", "deny");
  if (!write_proc ("/proc/self/uid_map", uid_map)
      || !write_proc ("/proc/self/gid_map", gid_map))
    return FALSE;
  /* The type is ignored here, but valgrind wants a string. */
  mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL);
  return mount ("tmpfs", dir, "tmpfs", 0, "size=64k") == 0;
}

#define SKIPPED 77

/* In the child: the mount is private to it, so it checks everything. */
static int
save_on_full_disk (const char *dir)
{
  if (!mount_tiny_tmpfs (dir))
    {
      printf ("# cannot mount a small tmpfs: %s\n", g_strerror (errno));
      return SKIPPED;
    }
  check_failed_save (dir, GCP_ERROR_NO_SPACE, "disk full while writing");
  return 0;
}
#endif

/* A full disk gives GCP_ERROR_NO_SPACE and keeps the old file.  Needs a
 * small file system: a tmpfs mounted where user namespaces are allowed. */
static void
test_save_disk_full (void)
{
#ifdef __linux__
  char dir[4096];
  int status;

  make_stack_temp_dir (dir, sizeof dir);
  status = run_in_child (save_on_full_disk, dir);
  if (status == SKIPPED)
    g_test_skip ("cannot mount a small tmpfs here (needs user namespaces): the "
                 "disk-full path was not exercised");
  else
    g_assert_cmpint (status, ==, 0);
  remove_tree (dir);
#else
  g_test_skip ("needs Linux namespaces to fill a small file system");
#endif
}

/* ---- a file from an independent writer ---- */

static void
test_python_reference (void)
{
  const char *python = GCP_TEST_PYTHON;
  const char *script = GCP_TEST_REFERENCE_SCRIPT;
  g_autofree char *dir = NULL, *path = NULL, *err_out = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpSafetensors) st = NULL;
  int status = 0;

  if (!*python || !g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip (
          "/usr/bin/python3 not found: not checked against an independent writer");
      return;
    }
  dir = make_temp_dir ();
  path = g_build_filename (dir, "reference.safetensors", NULL);
  {
    const char *argv[] = { python, script, path, NULL };

    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                  &err_out, &status, &error);
    g_assert_no_error (error);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
      g_error ("%s failed: %s", script, err_out);
  }

  st = gcp_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gcp_safetensors_n_tensors (st), ==, 9);
  g_assert_cmpstr (gcp_safetensors_metadata (st, "format"), ==, "gegl-cut/1");
  g_assert_cmpstr (gcp_safetensors_metadata (st, "note"), ==,
                   "written by write-reference.py");
  for (guint i = 0; i < gcp_safetensors_n_tensors (st); i++)
    assert_aligned (gcp_safetensors_tensor (st, i));

  /* The script writes tensors in this order, without alignment. */
  g_assert_cmpstr (gcp_safetensors_tensor (st, 0)->name, ==, "bytes");
  g_assert_cmpstr (gcp_safetensors_tensor (st, 1)->name, ==, "weight");
  {
    const gint64 s23[] = { 2, 3 };
    const float *w = gcp_safetensors_get_f32 (st, "weight", 2, s23, &error);

    g_assert_no_error (error);
    for (int i = 0; i < 6; i++)
      g_assert_cmpfloat (w[i], ==, i * 0.5f - 1);
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "bytes");
    static const guint8 expected[] = { 1, 2, 255 };

    g_assert_cmpint (v->dtype, ==, GCP_DTYPE_U8);
    g_assert_cmpmem (v->data, v->n_bytes, expected, sizeof expected);
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "steps");
    const gint64 *s = v->data;

    g_assert_cmpint (v->dtype, ==, GCP_DTYPE_I64);
    g_assert_cmpint (s[0], ==, -5);
    g_assert_cmpint (s[1], ==, G_GINT64_CONSTANT (1) << 40);
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "half");
    const guint16 *h = v->data;

    g_assert_cmpint (v->dtype, ==, GCP_DTYPE_F16);
    g_assert_cmphex (h[0], ==, 0x3e00); /* 1.5 */
    g_assert_cmphex (h[1], ==, 0xc000); /* -2 */
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "scale");

    g_assert_cmpint (v->dtype, ==, GCP_DTYPE_F64);
    g_assert_cmpint (v->n_dims, ==, 0);
    g_assert_cmpfloat (*(const double *)v->data, ==, 0.125);
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "mask");
    static const guint8 expected[] = { 1, 0, 0, 1 };

    g_assert_cmpint (v->dtype, ==, GCP_DTYPE_BOOL);
    g_assert_cmpmem (v->data, v->n_bytes, expected, sizeof expected);
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "empty");

    g_assert_cmpint (v->n_dims, ==, 2);
    g_assert_cmpint (v->shape[0], ==, 0);
    g_assert_cmpint (v->shape[1], ==, 4);
    g_assert_cmpuint (v->n_bytes, ==, 0);
  }
  {
    const GcpTensorView *v = gcp_safetensors_lookup (st, "ids");
    const gint32 *ids = v->data;

    g_assert_cmpint (ids[0], ==, -1);
    g_assert_cmpint (ids[2], ==, 7);
  }
  {
    /* Escaped in the file as \u00e9 … \ud83c\udfa8. */
    const GcpTensorView *v = gcp_safetensors_lookup (st, "é-名前-🎨");

    g_assert_nonnull (v);
    g_assert_cmpint (*(const gint16 *)v->data, ==, -300);
  }
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/safetensors/dtypes", test_dtypes);
  g_test_add_func ("/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/safetensors/exact-bytes", test_exact_bytes);
  g_test_add_func ("/safetensors/valid-oddities", test_valid_oddities);
  g_test_add_func ("/safetensors/misaligned", test_misaligned);
  g_test_add_func ("/safetensors/misaligned-out-of-memory",
                   test_misaligned_out_of_memory);
  g_test_add_func ("/safetensors/load-errors", test_load_errors);
  g_test_add_func ("/safetensors/get-f32-errors", test_get_f32_errors);
  g_test_add_func ("/safetensors/python-reference", test_python_reference);
  g_test_add_func ("/safetensors/hostile/short-files", test_short_files);
  g_test_add_func ("/safetensors/hostile/header-lengths", test_header_lengths);
  g_test_add_func ("/safetensors/hostile/bad-utf8", test_bad_utf8);
  g_test_add_func ("/safetensors/hostile/deep-nesting", test_deep_nesting);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *name
          = g_strconcat ("/safetensors/hostile/", hostile[i].name, NULL);
      g_test_add_data_func (name, &hostile[i], test_hostile);
    }
  g_test_add_func ("/safetensors/hostile/truncations", test_truncations);
  g_test_add_func ("/safetensors/hostile/corruptions", test_corruptions);
  g_test_add_func ("/safetensors/writer/mistakes", test_writer_mistakes);
  g_test_add_func ("/safetensors/writer/replaces", test_save_replaces);
  g_test_add_func ("/safetensors/writer/missing-dir", test_save_missing_dir);
  g_test_add_func ("/safetensors/writer/invalid-keeps-old", test_save_invalid_keeps_old);
  g_test_add_func ("/safetensors/writer/fails-midway", test_save_fails_midway);
  g_test_add_func ("/safetensors/writer/disk-full", test_save_disk_full);

  return g_test_run ();
}
