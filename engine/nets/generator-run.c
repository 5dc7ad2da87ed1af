/* One entry point for translating with whatever generator a model holds.  A
 * run that runs out of memory (a GPU's, mostly) is tried again in smaller
 * tiles until the tiles are the smallest. */
#include <gcut/gcut.h>

#include "generator-tiles-private.h"

static gboolean
run_once (GcutNetwork *G, GcutBackend *backend, const GcutGeneratorRun *run,
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

gboolean
gcut_generator_run (GcutNetwork *G, GcutBackend *backend, const GcutGeneratorRun *run,
                    GError **error)
{
  GcutGeneratorRun r = *run;
  GError *local = NULL;

  while (!run_once (G, backend, &r, &local))
    {
      if (!g_error_matches (local, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY)
          || !gcut_tiles_shrink (&r, backend))
        {
          g_propagate_error (error, local);
          return FALSE;
        }
      g_info ("%s: trying again in smaller tiles", local->message);
      g_clear_error (&local);
    }
  return TRUE;
}
