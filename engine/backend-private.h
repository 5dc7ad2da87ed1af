/* The backend table: what a plan needs from a device.  The CPU backend lives in
 * cpu/, the CUDA one (a module loaded at run time) in cuda/. */
#pragma once

#include <gcut/gcut-backend.h>
#include "graph-private.h"

/* A value as a backend sees it: its shape, its layout and where it lives.
 * Images are plain NCHW (block 1) or channel-blocked nChw{block}c, where
 * element (n, c, h, w) sits at ((n·C/B + c/B)·H·W + h·W + w)·B + c%B; a block
 * > 1 is only used when it divides C.  Everything else is plain row-major. */
typedef struct
{
  GcutShape shape;
  GcutDType dtype;
  int block;
  void *data;
} GcutTensor;

#define GCUT_DEFAULT_MEMORY_BUDGET ((gsize)512 << 20)

struct _GcutBackend
{
  const char *name;
  /* The channel block this backend computes images in fastest. */
  int (*preferred_block) (GcutBackend *backend);
  void (*set_threads) (GcutBackend *backend, int n_threads);
  /* May be NULL (GCUT_DEFAULT_MEMORY_BUDGET): gcut_backend_memory_budget(). */
  gsize (*memory_budget) (GcutBackend *backend);
  gpointer (*alloc) (GcutBackend *backend, gsize bytes, GError **error);
  void (*free) (GcutBackend *backend, gpointer data);
  void (*zero) (GcutBackend *backend, void *data, gsize bytes);
  /* Between plain host memory (NCHW float32 or int32) and a backend tensor. */
  void (*upload) (GcutBackend *backend, const GcutTensor *dst, const void *host);
  void (*download) (GcutBackend *backend, const GcutTensor *src, void *host);
  /* Kernels: prepared once for fixed tensors (data pointers included), then run
   * any number of times; scratch is shared by all kernels of a plan. */
  gpointer (*prepare) (GcutBackend *backend, const GcutNode *node, const GcutTensor *in,
                       const GcutTensor *out, gsize *scratch_bytes, GError **error);
  void (*run) (GcutBackend *backend, gpointer kernel, void *scratch);
  void (*release) (GcutBackend *backend, gpointer kernel);
  /* May be NULL: a forward pass begins (parameters may have changed). */
  void (*begin) (GcutBackend *backend);
  /* May be NULL: waits for the kernels run so far and delivers what they
   * write to host memory (parameter gradients); called at the end of each
   * backward pass. */
  void (*finish) (GcutBackend *backend);
};

static inline gsize
gcut_tensor_bytes (const GcutTensor *t)
{
  return gcut_shape_numel (&t->shape) * 4;
}
