/* libFuzzer target: the model reader on arbitrary bytes.  Any input must be
 * either accepted or refused with a GError; never a crash, a leak or an abort.
 *
 * Built only with clang (see tests/fuzz/meson.build).  To run it with the
 * libraries instrumented too:
 *
 *   CC=clang meson setup /tmp/build-fuzz -Db_sanitize=address,undefined \
 *       -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
 *   ninja -C /tmp/build-fuzz tests/fuzz/fuzz-model-file
 *   mkdir -p /tmp/corpus && /tmp/build-fuzz/tests/fuzz/fuzz-model-file \
 *       -max_total_time=60 -max_len=65536 /tmp/corpus \
 *       /tmp/build-fuzz/tests/fuzz/seeds
 *
 * The seeds folder is written by the `fuzz-model-seeds` helper next to it
 * (a valid small model and a few variants), so the fuzzer starts from files
 * that reach past the header checks. */
#include <stdint.h>
#include <gcp/gcp-model-file.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  GcpModel *model = gcp_model_parse (bytes, &error);

  if (model)
    {
      /* Touch what a caller would. */
      (void)gcp_model_recipe_json (model);
      (void)gcp_model_training_json (model);
      (void)gcp_model_has (model, "D.");
      gcp_model_free (model);
    }
  else
    {
      if (!error || !error->message)
        __builtin_trap ();
      g_error_free (error);
    }
  g_bytes_unref (bytes);
  return 0;
}
