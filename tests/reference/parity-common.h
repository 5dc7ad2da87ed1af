/* What the network parity tests share: reading the reference's safetensors
 * and comparing our tensors with it, counting failures. */
#pragma once

#include <gcp/gcp-safetensors.h>
#include <gcut/gcut.h>

/* The folder the reference exported the case into (--dir). */
extern char *parity_dir;
extern int parity_failures, parity_comparisons;

/* A file of parity_dir; aborts the test when it cannot be read. */
GcpSafetensors *parity_load (const char *file);
/* A float32 tensor of the given shape; aborts when absent or misshapen. */
const float *parity_expect (GcpSafetensors *st, const char *name, GcutShape shape);
gint64 parity_numel (GcutShape s);
double parity_largest (const float *p, gint64 n);
/* Reports the error against tol, relative to ref's largest entry or absolute. */
void parity_compare (const char *what, const float *ours, const float *ref, gint64 n,
                     double tol, gboolean relative);
void parity_load_net (GcutNetwork *net, const char *file);
/* Every parameter gradient of net against the reference's grad.TAG.* within tol
 * of its tensor's largest entry, except the analytically zero ones (below). */
void parity_compare_grads (GcutNetwork *net, GcpSafetensors *ref, const char *tag,
                           double tol);
