/* CUT's PatchSampleF: a two-layer MLP per tap over sampled feature vectors. */
#include "network-private.h"

typedef struct
{
  int n_taps, nc;
} Heads;

GcutNetwork *
gcut_patch_heads_new (const int *tap_channels, int n_taps, int nc)
{
  Heads h = { n_taps, nc };
  GcutNetwork *net;

  g_return_val_if_fail (n_taps > 0 && nc > 0, NULL);
  net = gcut_network_new (GCUT_NETWORK_PATCH_HEADS, &h, sizeof h);
  for (int t = 0; t < n_taps; t++)
    {
      g_autofree char *w0 = g_strdup_printf ("mlp_%d.0.weight", t);
      g_autofree char *b0 = g_strdup_printf ("mlp_%d.0.bias", t);
      g_autofree char *w2 = g_strdup_printf ("mlp_%d.2.weight", t);
      g_autofree char *b2 = g_strdup_printf ("mlp_%d.2.bias", t);
      gcut_network_declare (net, w0, gcut_shape2 (nc, tap_channels[t]));
      gcut_network_declare (net, b0, gcut_shape1 (nc));
      gcut_network_declare (net, w2, gcut_shape2 (nc, nc));
      gcut_network_declare (net, b2, gcut_shape1 (nc));
    }
  return gcut_network_finish (net);
}

GcutValue
gcut_patch_heads_build (GcutNetwork *net, GcutGraph *graph, int tap, GcutValue features,
                        GcutValue idx)
{
  const Heads *h = gcut_network_config (net);
  g_autofree char *w0 = g_strdup_printf ("mlp_%d.0.weight", tap);
  g_autofree char *b0 = g_strdup_printf ("mlp_%d.0.bias", tap);
  g_autofree char *w2 = g_strdup_printf ("mlp_%d.2.weight", tap);
  g_autofree char *b2 = g_strdup_printf ("mlp_%d.2.bias", tap);
  GcutValue v;

  if (tap < 0 || tap >= h->n_taps)
    {
      gcut_graph_set_error (graph,
                            g_error_new (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                                         "there is no projection head %d (%d taps)", tap,
                                         h->n_taps));
      return GCUT_NONE;
    }
  v = gcut_gather_locations (graph, features, idx);
  v = gcut_linear (graph, v, gcut_network_value (net, graph, w0),
                   gcut_network_value (net, graph, b0));
  v = gcut_relu (graph, v);
  v = gcut_linear (graph, v, gcut_network_value (net, graph, w2),
                   gcut_network_value (net, graph, b2));
  return gcut_l2_normalize (graph, v, 1e-7f);
}
