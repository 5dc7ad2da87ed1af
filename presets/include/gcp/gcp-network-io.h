/* Moving network parameters between engine networks and .safetensors files. */
#pragma once

#include <gcp/gcp-safetensors.h>
#include <gcut/gcut-network.h>

G_BEGIN_DECLS

/* Copies every parameter of net from the tensor named prefix + its name (prefix
 * may be ""), checking dtype and shape; fails naming the first missing or
 * mismatched tensor, or a tensor under prefix that net does not have (which
 * would mean the file describes another architecture).  Names listed in
 * `ignore` (NULL-terminated, may be NULL) are allowed extras. */
gboolean gcp_network_load (GcutNetwork *net, const GcpSafetensors *st, const char *prefix,
                           const char *const *ignore, GError **error);
/* Adds net's parameters to writer under prefix; the data stays borrowed. */
void gcp_network_add_to (GcutNetwork *net, GcpSafetensorsWriter *writer,
                         const char *prefix);

G_END_DECLS
