#include "sequential-private.h"

#define IN_EPS 1e-5f

static char *
layer_prefix (int index, const char *inner)
{
  return inner ? g_strdup_printf ("model.%d.conv_block.%s", index, inner)
               : g_strdup_printf ("model.%d", index);
}

void
gcut_sequential_declare (GcutNetwork *net, const GcutLayer *layers, int n_layers)
{
  for (int i = 0; i < n_layers; i++)
    {
      const GcutLayer *l = &layers[i];
      g_autofree char *p = layer_prefix (i, NULL);
      g_autofree char *p1 = layer_prefix (i, "1");
      g_autofree char *p5 = layer_prefix (i, "5");
      switch (l->kind)
        {
        case GCUT_LAYER_CONV:
          gcut_declare_conv (net, p, l->c_in, l->c_out, l->k);
          break;
        case GCUT_LAYER_CONV_T:
          gcut_declare_conv_transpose (net, p, l->c_in, l->c_out, l->k);
          break;
        case GCUT_LAYER_RESBLOCK:
          gcut_declare_conv (net, p1, l->c_in, l->c_in, 3);
          gcut_declare_conv (net, p5, l->c_in, l->c_in, 3);
          break;
        default:
          break;
        }
    }
}

typedef struct
{
  GcutNetwork *net;
  GcutGraph *graph;
  const GcutNormStats *stats; /* NULL: every norm computes its statistics */
  int n_norms;                /* norms built so far */
  gboolean stopped;
  GcutActivationHook act; /* NULL: LeakyReLUs as they are */
  gpointer act_data;
  int n_acts; /* LeakyReLUs built so far */
} Builder;

static GcutValue
norm (Builder *b, GcutValue x)
{
  const GcutNormStats *s = b->stats;
  int i = b->n_norms++;
  g_autofree char *w_name = NULL, *b_name = NULL;
  gint64 c;

  if (!s || (i >= s->n_fixed && !s->stop))
    return gcut_instance_norm (b->graph, x, GCUT_NONE, GCUT_NONE, IN_EPS);
  if (i == s->n_fixed)
    {
      b->stopped = TRUE;
      return x;
    }
  if (x == GCUT_NONE)
    return x;
  /* A depthwise 1×1 convolution, into which the plan fuses a following ReLU. */
  c = gcut_graph_shape (b->graph, x).dims[1];
  w_name = g_strdup_printf ("norm.%d.scale", i);
  b_name = g_strdup_printf ("norm.%d.shift", i);
  return gcut_conv2d (
      b->graph, x,
      gcut_param (b->graph, w_name, (GcutShape){ 4, { c, 1, 1, 1 } }, s->scale[i], NULL),
      gcut_param (b->graph, b_name, (GcutShape){ 1, { c } }, s->shift[i], NULL), 1, 0,
      (int)c);
}

/* x + IN(conv(reflpad(ReLU(IN(conv(reflpad(x))))))) */
static GcutValue
resblock (Builder *b, int index, GcutValue x)
{
  g_autofree char *p1 = layer_prefix (index, "1");
  g_autofree char *p5 = layer_prefix (index, "5");
  GcutValue h = gcut_pad (b->graph, x, GCUT_PAD_REFLECT, 1, 1, 1, 1);
  h = norm (b, gcut_layer_conv (b->net, b->graph, p1, h, 1, 0));
  if (b->stopped)
    return h;
  h = gcut_pad (b->graph, gcut_relu (b->graph, h), GCUT_PAD_REFLECT, 1, 1, 1, 1);
  h = norm (b, gcut_layer_conv (b->net, b->graph, p5, h, 1, 0));
  if (b->stopped)
    return h;
  return gcut_add (b->graph, x, h);
}

static GcutValue
layer (Builder *b, const GcutLayer *l, int index, GcutValue x)
{
  g_autofree char *p = layer_prefix (index, NULL);
  GcutGraph *graph = b->graph;
  switch (l->kind)
    {
    case GCUT_LAYER_REFLECT_PAD:
      return gcut_pad (graph, x, GCUT_PAD_REFLECT, l->pad, l->pad, l->pad, l->pad);
    case GCUT_LAYER_CONV:
      return gcut_layer_conv (b->net, graph, p, x, l->stride, l->pad);
    case GCUT_LAYER_CONV_T:
      return gcut_layer_conv_transpose (b->net, graph, p, x, l->stride, l->pad,
                                        l->out_pad);
    case GCUT_LAYER_NORM:
      return norm (b, x);
    case GCUT_LAYER_RELU:
      return gcut_relu (graph, x);
    case GCUT_LAYER_LEAKY_RELU:
      if (b->act)
        return b->act (graph, x, b->n_acts++, b->act_data);
      return gcut_leaky_relu (graph, x, 0.2f);
    case GCUT_LAYER_TANH:
      return gcut_tanh (graph, x);
    case GCUT_LAYER_DOWN:
      return gcut_blur_down (graph, x);
    case GCUT_LAYER_UP:
      return gcut_blur_up (graph, x);
    case GCUT_LAYER_RESBLOCK:
      return resblock (b, index, x);
    }
  g_assert_not_reached ();
}

static gboolean
in_place (GcutLayerKind kind)
{
  return kind == GCUT_LAYER_RELU || kind == GCUT_LAYER_LEAKY_RELU;
}

GcutValue
gcut_sequential_build (GcutNetwork *net, GcutGraph *graph, const GcutLayer *layers,
                       int n_layers, GcutValue x, const int *tap_layers, int n_taps,
                       GcutValue *taps)
{
  Builder b = { net, graph };
  int last_tap = n_taps ? tap_layers[n_taps - 1] : -1;
  for (int i = 0; i < n_layers; i++)
    {
      x = layer (&b, &layers[i], i, x);
      for (int t = 0; t < n_taps; t++)
        if (tap_layers[t] == i
            || (tap_layers[t] == i - 1 && i <= last_tap && in_place (layers[i].kind)))
          taps[t] = x;
    }
  return x;
}

GcutValue
gcut_sequential_build_hooked (GcutNetwork *net, GcutGraph *graph, const GcutLayer *layers,
                              int n_layers, GcutValue x, GcutActivationHook act,
                              gpointer act_data)
{
  Builder b = { net, graph, .act = act, .act_data = act_data };
  for (int i = 0; i < n_layers; i++)
    x = layer (&b, &layers[i], i, x);
  return x;
}

GcutValue
gcut_sequential_build_range (GcutNetwork *net, GcutGraph *graph, const GcutLayer *layers,
                             int first, int last, GcutValue x, const GcutNormStats *stats)
{
  Builder b = { net, graph, stats };
  for (int i = first; i < last && !b.stopped; i++)
    x = layer (&b, &layers[i], i, x);
  return x;
}
