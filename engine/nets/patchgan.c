/* CUT's NLayerDiscriminator (PatchGAN) with instance norm. */
#include "sequential-private.h"

typedef struct
{
  GcutPatchGanConfig config;
  int n_layers;
  GcutLayer layers[48];
} PatchGan;

static void
push (PatchGan *d, GcutLayer l)
{
  d->layers[d->n_layers++] = l;
}

/* One stage: conv 4×4 (stride 2, or stride 1 then blur-down), [IN], LeakyReLU. */
static void
stage (PatchGan *d, int c_in, int c_out, gboolean norm)
{
  gboolean aa = d->config.antialias;
  push (d, (GcutLayer){ GCUT_LAYER_CONV, c_in, c_out, 4, aa ? 1 : 2, 1 });
  if (norm)
    push (d, (GcutLayer){ GCUT_LAYER_NORM });
  push (d, (GcutLayer){ GCUT_LAYER_LEAKY_RELU });
  if (aa)
    push (d, (GcutLayer){ GCUT_LAYER_DOWN });
}

static void
describe (PatchGan *d)
{
  const int ndf = d->config.ndf;
  int mult = 1;

  stage (d, 3, ndf, FALSE);
  for (int n = 1; n < d->config.n_layers; n++)
    {
      int prev = mult;
      mult = MIN (1 << n, 8);
      stage (d, ndf * prev, ndf * mult, TRUE);
    }
  push (d, (GcutLayer){ GCUT_LAYER_CONV, ndf * mult,
                        ndf * MIN (1 << d->config.n_layers, 8), 4, 1, 1 });
  push (d, (GcutLayer){ GCUT_LAYER_NORM });
  push (d, (GcutLayer){ GCUT_LAYER_LEAKY_RELU });
  push (d, (GcutLayer){ GCUT_LAYER_CONV, ndf * MIN (1 << d->config.n_layers, 8), 1, 4, 1,
                        1 });
}

GcutNetwork *
gcut_patchgan_new (const GcutPatchGanConfig *config)
{
  PatchGan d = { .config = *config };
  GcutNetwork *net;

  g_return_val_if_fail (config->ndf > 0 && config->n_layers >= 1 && config->n_layers <= 8,
                        NULL);
  describe (&d);
  net = gcut_network_new (GCUT_NETWORK_PATCHGAN, &d, sizeof d);
  gcut_sequential_declare (net, d.layers, d.n_layers);
  return gcut_network_finish (net);
}

GcutValue
gcut_patchgan_build (GcutNetwork *net, GcutGraph *graph, GcutValue x)
{
  const PatchGan *d = gcut_network_config (net);
  return gcut_sequential_build (net, graph, d->layers, d->n_layers, x, NULL, 0, NULL);
}

GcutValue
gcut_patchgan_build_hooked (GcutNetwork *net, GcutGraph *graph, GcutValue x,
                            GcutActivationHook act, gpointer act_data)
{
  const PatchGan *d = gcut_network_config (net);
  return gcut_sequential_build_hooked (net, graph, d->layers, d->n_layers, x, act,
                                       act_data);
}
