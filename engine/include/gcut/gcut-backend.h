/* gegl-cut engine: compute backends. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GcutBackend GcutBackend;

/* The CPU backend (oneDNN); always available, never freed. */
GcutBackend *gcut_backend_cpu (void);
const char *gcut_backend_name (const GcutBackend *backend);
/* Threads the backend may use; 0 = all cores. */
void gcut_backend_set_threads (GcutBackend *backend, int n_threads);

G_END_DECLS
