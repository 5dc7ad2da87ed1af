/* oneDNN plumbing shared by the convolution and matrix-product kernels: a
 * kernel is a fixed sequence of primitives over memories bound at prepare
 * time (e.g. weights reorder → convolution), run with the plan's scratch. */
#pragma once

#include "cpu-private.h"

#define GCUT_DNNL_MAX_CALLS 4
#define GCUT_DNNL_MAX_ARGS 6
#define GCUT_DNNL_MAX_MEMS 16

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (dnnl_primitive_desc_t, dnnl_primitive_desc_destroy, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (dnnl_primitive_attr_t, dnnl_primitive_attr_destroy, NULL)

typedef struct
{
  dnnl_primitive_t prim;
  dnnl_memory_t scratch; /* NULL when the primitive needs none */
  int n_args;
  dnnl_exec_arg_t args[GCUT_DNNL_MAX_ARGS];
} GcutDnnlCall;

/* A buffer in a primitive's own layout, alive only while the kernel runs: it
 * lives in the plan's shared scratch, at `offset`. */
typedef struct
{
  dnnl_memory_t mem;
  gsize offset, bytes;
  gboolean padded; /* its layout has padding lanes, which must read as zeros */
} GcutDnnlCopy;

/* The kernel's scratch: its copies, then the largest scratchpad of its
 * primitives. */
typedef struct
{
  int n_calls, n_mems, n_copies;
  GcutDnnlCall calls[GCUT_DNNL_MAX_CALLS];
  dnnl_memory_t mems[GCUT_DNNL_MAX_MEMS];
  GcutDnnlCopy copies[GCUT_DNNL_MAX_MEMS];
  gsize copies_bytes, scratchpad_bytes;
  dnnl_primitive_desc_t hint; /* forward pd the backward pds were made from */
} GcutDnnlSeq;

/* The kernel's state, created empty on first use. */
GcutDnnlSeq *gcut_dnnl_seq (GcutCpuKernel *k);
/* Attributes for a kernel's primitives: a user-managed scratchpad, and `act`
 * (not NONE for backward passes) as an eltwise post-op. */
gboolean gcut_dnnl_attr_new (GcutAct act, float slope, dnnl_primitive_attr_t *attr,
                             GError **error);
/* A buffer of the kernel in its own layout, for one argument of a primitive. */
typedef struct
{
  int arg; /* DNNL_ARG_… */
  GcutDnnlLayout layout;
  void *data;
  gboolean output;
} GcutDnnlArg;

GcutDnnlArg gcut_dnnl_tensor_arg (int arg, const GcutTensor *t, gboolean output);
/* Appends the primitive of pd over these buffers.  Where pd wants another
 * layout, it works on a copy in the scratch, with a reorder appended before it
 * (inputs) or after it (outputs). */
gboolean gcut_dnnl_add (GcutCpuKernel *k, const_dnnl_primitive_desc_t pd,
                        const GcutDnnlArg *args, int n_args, GError **error);
/* TRUE when pd is oneDNN's slow reference implementation. */
gboolean gcut_dnnl_is_reference (const_dnnl_primitive_desc_t pd);

void gcut_dnnl_run (GcutCpuKernel *k, void *scratch);
void gcut_dnnl_release (GcutCpuKernel *k);

/* A convolution kernel, or with `transposed` a deconvolution one (cpu/conv2d.c). */
gboolean gcut_cpu_conv_prepare (GcutCpuKernel *k, gboolean transposed, GcutConvPass pass,
                                GError **error);
