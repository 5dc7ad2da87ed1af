/* One entry point for translating with whatever generator a model holds. */
#include <gcut/gcut.h>

gboolean
gcut_generator_run (GcutNetwork *G, GcutBackend *backend, const GcutGeneratorRun *run,
                    GError **error)
{
  switch (gcut_network_kind (G))
    {
    case GCUT_NETWORK_RESNET_GENERATOR:
      return gcut_resnet_generator_run (G, backend, run, error);
    case GCUT_NETWORK_STYLEGAN2_GENERATOR:
      return gcut_stylegan2_generator_run (G, backend, run, error);
    default:
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           "the network is not a generator");
      return FALSE;
    }
}
