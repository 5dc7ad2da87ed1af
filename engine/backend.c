/* Backend-independent entry points. */
#include "backend-private.h"

const char *
gcut_backend_name (const GcutBackend *backend)
{
  return backend->name;
}

void
gcut_backend_set_threads (GcutBackend *backend, int n_threads)
{
  backend->set_threads (backend, n_threads);
}

gsize
gcut_backend_memory_budget (GcutBackend *backend)
{
  if (backend->memory_budget)
    return backend->memory_budget (backend);
  return GCUT_DEFAULT_MEMORY_BUDGET;
}
