#pragma once

#include "graph-private.h"

/* Appends to graph the backward pass of its first n_forward nodes: gradients of
 * Σ seed·value for each seed value (a SEED node is added per seed) with respect
 * to each wrt value.  grad_of[v] (for v < n_forward) receives the value holding
 * v's gradient, or GCUT_NONE where none flows (zero gradient). */
gboolean gcut_autodiff (GcutGraph *graph, int n_forward, const GcutValue *seeds,
                        int n_seeds, GcutValue *seed_nodes, const GcutValue *wrt,
                        int n_wrt, GcutValue *grad_of, GError **error);
