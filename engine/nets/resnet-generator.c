/* CUT's ResnetGenerator, layer for layer as the official nn.Sequential. */
#include "generator-private.h"

const int gcut_generator_tap_layers[GCUT_GENERATOR_N_TAPS] = { 0, 4, 8, 12, 16 };

typedef struct
{
  GcutResnetGeneratorConfig config;
  int n_layers;
  GcutLayer layers[64];
} Generator;

static void
push (Generator *g, GcutLayer l)
{
  g->layers[g->n_layers++] = l;
}

static void
describe (Generator *g)
{
  const GcutResnetGeneratorConfig *c = &g->config;
  const int ngf = c->ngf;

  push (g, (GcutLayer){ GCUT_LAYER_REFLECT_PAD, .pad = 3 });
  push (g, (GcutLayer){ GCUT_LAYER_CONV, 3, ngf, 7, 1, 0 });
  push (g, (GcutLayer){ GCUT_LAYER_NORM });
  push (g, (GcutLayer){ GCUT_LAYER_RELU });
  for (int i = 0, mult = 1; i < 2; i++, mult *= 2)
    {
      push (g, (GcutLayer){ GCUT_LAYER_CONV, ngf * mult, ngf * mult * 2, 3,
                            c->antialias ? 1 : 2, 1 });
      push (g, (GcutLayer){ GCUT_LAYER_NORM });
      push (g, (GcutLayer){ GCUT_LAYER_RELU });
      if (c->antialias)
        push (g, (GcutLayer){ GCUT_LAYER_DOWN });
    }
  for (int i = 0; i < c->n_blocks; i++)
    push (g, (GcutLayer){ GCUT_LAYER_RESBLOCK, ngf * 4 });
  for (int i = 0, mult = 4; i < 2; i++, mult /= 2)
    {
      if (c->antialias_up)
        {
          push (g, (GcutLayer){ GCUT_LAYER_UP });
          push (g, (GcutLayer){ GCUT_LAYER_CONV, ngf * mult, ngf * mult / 2, 3, 1, 1 });
        }
      else
        push (g,
              (GcutLayer){ GCUT_LAYER_CONV_T, ngf * mult, ngf * mult / 2, 3, 2, 1, 1 });
      push (g, (GcutLayer){ GCUT_LAYER_NORM });
      push (g, (GcutLayer){ GCUT_LAYER_RELU });
    }
  push (g, (GcutLayer){ GCUT_LAYER_REFLECT_PAD, .pad = 3 });
  push (g, (GcutLayer){ GCUT_LAYER_CONV, ngf, 3, 7, 1, 0 });
  push (g, (GcutLayer){ GCUT_LAYER_TANH });
}

GcutNetwork *
gcut_resnet_generator_new (const GcutResnetGeneratorConfig *config)
{
  Generator g = { .config = *config };
  GcutNetwork *net;

  g_return_val_if_fail (
      config->ngf > 0 && config->n_blocks >= 0 && config->n_blocks <= 32, NULL);
  describe (&g);
  net = gcut_network_new (GCUT_NETWORK_RESNET_GENERATOR, &g, sizeof g);
  gcut_sequential_declare (net, g.layers, g.n_layers);
  return gcut_network_finish (net);
}

/* Layers up to the last tap make the encoder. */
GcutValue
gcut_resnet_generator_build (GcutNetwork *net, GcutGraph *graph, GcutValue x,
                             GcutValue *taps, gboolean encode_only)
{
  const Generator *g = gcut_network_config (net);
  GcutValue scratch[GCUT_GENERATOR_N_TAPS];

  if (gcut_network_kind (net) != GCUT_NETWORK_RESNET_GENERATOR)
    {
      gcut_graph_set_error (graph,
                            g_error_new_literal (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                                                 "not a ResNet generator"));
      return GCUT_NONE;
    }
  int last_tap = gcut_generator_tap_layers[GCUT_GENERATOR_N_TAPS - 1];
  /* The official encoder stops right after the last tap, before any in-place
   * activation could change it. */
  int n = encode_only ? MIN (g->n_layers, last_tap + 1) : g->n_layers;
  GcutValue y;

  y = gcut_sequential_build (net, graph, g->layers, n, x, gcut_generator_tap_layers,
                             GCUT_GENERATOR_N_TAPS, taps ? taps : scratch);
  return encode_only ? GCUT_NONE : y;
}

int
gcut_resnet_generator_tap_channels (const GcutNetwork *net, int tap)
{
  const Generator *g = gcut_network_config (net);
  int channels = 3;
  g_return_val_if_fail (gcut_network_kind (net) == GCUT_NETWORK_RESNET_GENERATOR, 0);
  for (int i = 0; i <= gcut_generator_tap_layers[tap] && i < g->n_layers; i++)
    {
      const GcutLayer *l = &g->layers[i];
      if (l->kind == GCUT_LAYER_CONV || l->kind == GCUT_LAYER_CONV_T)
        channels = l->c_out;
    }
  return channels;
}

const GcutLayer *
gcut_resnet_generator_layers (const GcutNetwork *net, int *n_layers)
{
  const Generator *g = gcut_network_config (net);
  *n_layers = g->n_layers;
  return g->layers;
}
