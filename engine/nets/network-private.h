#pragma once

#include <gcut/gcut-network.h>
#include "../graph-private.h"

/* Declaring parameters while a network is made; the buffers are laid out by
 * gcut_network_finish(), which returns net, or frees it and returns NULL when
 * they do not fit in memory (constructors return what it returns). */
GcutNetwork *gcut_network_new (GcutNetworkKind kind, gpointer config, gsize config_size);
void gcut_network_declare (GcutNetwork *net, const char *name, GcutShape shape);
GcutNetwork *gcut_network_finish (GcutNetwork *net);
/* The configuration copied at creation. */
gconstpointer gcut_network_config (const GcutNetwork *net);

/* Layers shared by the networks; `prefix` is the state-dict prefix of the layer,
 * e.g. "model.1". */
void gcut_declare_conv (GcutNetwork *net, const char *prefix, int c_in, int c_out, int k);
void gcut_declare_conv_transpose (GcutNetwork *net, const char *prefix, int c_in,
                                  int c_out, int k);
GcutValue gcut_layer_conv (GcutNetwork *net, GcutGraph *graph, const char *prefix,
                           GcutValue x, int stride, int padding);
GcutValue gcut_layer_conv_transpose (GcutNetwork *net, GcutGraph *graph,
                                     const char *prefix, GcutValue x, int stride,
                                     int padding, int output_padding);
