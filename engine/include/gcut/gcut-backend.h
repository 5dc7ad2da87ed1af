/* gegl-cut engine: compute backends. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GcutBackend GcutBackend;

/* The CPU backend (oneDNN); always available, never freed. */
GcutBackend *gcut_backend_cpu (void);
const char *gcut_backend_name (const GcutBackend *backend);
/* A backend by name: "cpu", "cuda" (the CUDA module, opened on first use) or
 * "auto" (CUDA when the module loads and finds a GPU, else the CPU).  reason
 * (may be NULL) receives a sentence saying which was chosen and why, to free
 * with g_free().  "cuda" fails with the reason it cannot run ("no NVIDIA
 * driver", "cuDNN not found", "no CUDA device", "out of GPU memory", …). */
GcutBackend *gcut_backend_get (const char *name, char **reason, GError **error);
/* Threads the backend may use; 0 = all cores. */
void gcut_backend_set_threads (GcutBackend *backend, int n_threads);
/* The working memory a whole-image run plans for when its caller sets no
 * budget: 512 MiB on the CPU, half the free memory of a GPU. */
gsize gcut_backend_memory_budget (GcutBackend *backend);

G_END_DECLS
