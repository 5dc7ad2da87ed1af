/* Model files that ask for more than a model can hold, and networks that do
 * not fit in memory: refused with an error, within bounded memory.
 *
 * The memory bounds are checked in a subprocess whose address space is capped
 * (gcp_test_cap_address_space) at what it already uses plus the allowance.
 * Its time limit is only a generous guard against hangs. */
#include <string.h>

#include <gcut/gcut-error.h>
#include <gcp/gcp-model-file.h>
#include "test-memory.h"

#define MiB (1024 * 1024)
/* A hang, not a slow machine: a refusal takes milliseconds. */
#define SUBPROCESS_TIMEOUT_US (120 * G_USEC_PER_SEC)

/* A model file whose header lists empty tensors prefix0, prefix1, … (hex)
 * until it is header_bytes long, after valid model metadata. */
static GBytes *
empty_tensors (gsize header_bytes, const char *prefix)
{
  GString *h = g_string_sized_new (header_bytes + 8);
  guint64 len;

  g_string_append (h, "01234567{\"__metadata__\":{\"format\":\"" GCP_MODEL_FORMAT
                      "\",\"architecture\":\"{}\"}");
  for (guint i = 0; h->len + 80 < header_bytes + 8; i++)
    g_string_append_printf (
        h, ",\"%s%x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}", prefix,
        i);
  g_string_append_c (h, '}');
  len = GUINT64_TO_LE ((guint64)h->len - 8);
  memcpy (h->str, &len, 8);
  return g_string_free_to_bytes (h);
}

static void
expect_refused (GBytes *bytes, GcpError code, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GcpModel) m = gcp_model_parse (bytes, &error);

  g_assert_null (m);
  g_assert_error (error, GCP_ERROR, (int)code);
  if (!strstr (error->message, part))
    g_error ("message “%.200s” lacks “%s”", error->message, part);
  g_test_message ("refused: %.200s", error->message);
}

/* The file: 1.7 million empty tensors in a header just under the
 * safetensors limit of 100 MB cost 3.1 GB to refuse. */
static void
test_many_tensors_memory (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GBytes) b = empty_tensors (99900000, "G.");
      if (!gcp_test_cap_address_space (100 * MiB))
        {
          g_test_skip ("no /proc/self/status");
          return;
        }
      expect_refused (b, GCP_ERROR_CORRUPT, "header");
      return;
    }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Within the header size a model may have, more tensors than one holds. */
static void
test_tensor_count (void)
{
  g_autoptr (GBytes) b = empty_tensors (200000, "G.");
  expect_refused (b, GCP_ERROR_CORRUPT, "tensors, more than");
}

/* A name no model has, even among tensors that would otherwise pass. */
static void
test_unknown_name (void)
{
  g_autoptr (GBytes) b = empty_tensors (300, "weights.");
  expect_refused (b, GCP_ERROR_MISMATCH, "“weights.0”");
}

/* A generator whose parameters do not fit in memory (ngf 512, 32 blocks: 2.4
 * billion) is an error, not an abort. */
static void
test_generator_out_of_memory (void)
{
  if (g_test_subprocess ())
    {
      GcpGeneratorConfig huge = { GCP_GENERATOR_RESNET, 512, 32, TRUE, TRUE, 2 };
      g_autoptr (GError) error = NULL;
      if (!gcp_test_cap_address_space (1024 * MiB))
        {
          g_test_skip ("no /proc/self/status");
          return;
        }
      g_assert_null (gcp_generator_new (&huge, &error));
      g_assert_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY);
      g_test_message ("%s", error->message);
      return;
    }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model-limits/many-tensors-memory", test_many_tensors_memory);
  g_test_add_func ("/model-limits/tensor-count", test_tensor_count);
  g_test_add_func ("/model-limits/unknown-name", test_unknown_name);
  g_test_add_func ("/model-limits/generator-out-of-memory", test_generator_out_of_memory);
  return g_test_run ();
}
