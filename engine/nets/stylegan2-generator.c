/* SinCUT's generator: the official StyleGAN2Generator (StyleGAN2Encoder +
 * StyleGAN2Decoder) without style vectors.  Encoder: identity, 1×1 ConvLayer,
 * n_downsampling downsampling ResBlocks, n_blocks / 2 ResBlocks; decoder:
 * n_blocks / 2 ResBlocks, n_downsampling StyledConvs (demodulated 3×3
 * transposed conv, blur, noise, fused activation), 1×1 ConvLayer to RGB. */
#include <math.h>
#include <string.h>
#include <gcut/gcut-math.h>
#include "stylegan2-private.h"

const int gcut_stylegan2_tap_layers[GCUT_STYLEGAN2_N_TAPS] = { 0, 2, 4 };

#define MAX_DOWN 4

typedef struct
{
  GcutStyleGan2GeneratorConfig config;
  int c_max;
  /* Offsets in consts of the constants the graph reads: the blur filters,
   * and per upsampling layer an identity of its output width and a stack of
   * 9×9 identities (one per input channel), the two matrix products that
   * turn the (out, in, 3, 3) weight into the (in, out, 3, 3) one of the
   * transposed conv; c_max ones, which spread the one-channel noise over
   * a layer's channels; c_max × 1/√2 for the identity skips. */
  gsize blur, blur_up, eye_out[MAX_DOWN], eye9, ones, inv_sqrt2;
  float consts[];
} Generator;

/* The official channels[res]: round(16384 / res · ngf / 32), half to even as
 * Python's round, at most 512 up to 32². */
static int
channels (const GcutStyleGan2GeneratorConfig *c, int res)
{
  int n = (int)nearbyint (16384.0 / res * (c->ngf / 32.0));
  return res <= 32 ? MIN (n, 512) : n;
}

static gboolean
config_valid (const GcutStyleGan2GeneratorConfig *c)
{
  return c->ngf >= 1 && c->ngf <= 512 && c->n_downsampling >= 1
         && c->n_downsampling <= MAX_DOWN && c->n_blocks >= 0 && c->n_blocks <= 64
         && c->size >= 8 && c->size <= 1024 && (c->size & (c->size - 1)) == 0
         && (c->size >> c->n_downsampling) >= 4
         && c->n_downsampling + c->n_blocks / 2 >= 3;
}

static char *
enc (int i)
{
  return g_strdup_printf ("encoder.convs.%d", i);
}

static char *
dec (int i)
{
  return g_strdup_printf ("decoder.convs.%d", i);
}

static void
declare (GcutSg2Decl *d, const GcutStyleGan2GeneratorConfig *c)
{
  int res = c->size, layer = 1, n_res = c->n_blocks / 2;
  g_autofree char *first = enc (layer++);

  gcut_sg2_declare_conv_layer (d, first, 3, channels (c, res), 1, FALSE, TRUE);
  for (int i = 0; i < c->n_downsampling; i++, res /= 2)
    {
      g_autofree char *p = enc (layer++);
      gcut_sg2_declare_resblock (d, p, channels (c, res), channels (c, res / 2), TRUE);
    }
  for (int i = 0; i < n_res; i++)
    {
      g_autofree char *p = enc (layer++);
      gcut_sg2_declare_resblock (d, p, channels (c, res), channels (c, res), FALSE);
    }
  layer = 0;
  for (int i = 0; i < n_res; i++)
    {
      g_autofree char *p = dec (layer++);
      gcut_sg2_declare_resblock (d, p, channels (c, res), channels (c, res), FALSE);
    }
  for (int i = 0; i < c->n_downsampling; i++, res *= 2)
    {
      g_autofree char *p = dec (layer++);
      int c_in = channels (c, res), c_out = channels (c, res * 2);
      gcut_sg2_declare (d, p, "conv.weight", gcut_shape4 (c_out, c_in, 3, 3));
      gcut_sg2_declare (d, p, "noise.weight", gcut_shape1 (1));
      gcut_sg2_declare (d, p, "activate.bias", gcut_shape4 (1, c_out, 1, 1));
    }
  {
    g_autofree char *p = dec (layer);
    gcut_sg2_declare_conv_layer (d, p, channels (c, res), 3, 1, FALSE, TRUE);
  }
}

gint64
gcut_stylegan2_generator_count_params (const GcutStyleGan2GeneratorConfig *config)
{
  GcutSg2Decl d = { NULL, 0 };
  if (!config_valid (config))
    return -1;
  declare (&d, config);
  return d.n_floats;
}

/* copies identities of size n, one after the other, into zeroed memory. */
static void
fill_eye (float *dst, int n, int copies)
{
  for (int k = 0; k < copies; k++)
    for (int i = 0; i < n; i++)
      dst[(gsize)k * n * n + i * n + i] = 1;
}

GcutNetwork *
gcut_stylegan2_generator_new (const GcutStyleGan2GeneratorConfig *config)
{
  const GcutStyleGan2GeneratorConfig *c = config;
  g_autofree Generator *g = NULL;
  GcutSg2Decl d = { NULL, 0 };
  gsize n = 0, size;
  int c_max = 3, in_max = 0;

  g_return_val_if_fail (config_valid (config), NULL);
  for (int res = 4; res <= c->size; res *= 2)
    c_max = MAX (c_max, channels (c, res));
  /* Lay out the constants, then fill them. */
  {
    gsize blur, blur_up, eye_out[MAX_DOWN], eye9, ones, inv_sqrt2;
    int res = c->size >> c->n_downsampling;
    blur = n;
    n += (gsize)c_max * 16;
    blur_up = n;
    n += (gsize)c_max * 16;
    for (int i = 0; i < c->n_downsampling; i++, res *= 2)
      {
        int c_out = channels (c, res * 2);
        eye_out[i] = n;
        n += (gsize)c_out * c_out;
        in_max = MAX (in_max, channels (c, res));
      }
    eye9 = n;
    n += (gsize)in_max * 81;
    ones = n;
    n += c_max;
    inv_sqrt2 = n;
    n += c_max;
    size = sizeof (Generator) + n * sizeof (float);
    g = g_malloc0 (size);
    g->config = *c;
    g->c_max = c_max;
    g->blur = blur;
    g->blur_up = blur_up;
    g->eye9 = eye9;
    g->ones = ones;
    g->inv_sqrt2 = inv_sqrt2;
    memcpy (g->eye_out, eye_out, sizeof eye_out);
  }
  gcut_sg2_fill_blur (g->consts + g->blur, c_max, 1);
  /* The upsampling blur's filter is ×4 (upfirdn2d's upsample_factor²). */
  gcut_sg2_fill_blur (g->consts + g->blur_up, c_max, 4);
  for (int i = 0, res = c->size >> c->n_downsampling; i < c->n_downsampling;
       i++, res *= 2)
    fill_eye (g->consts + g->eye_out[i], channels (c, res * 2), 1);
  fill_eye (g->consts + g->eye9, 9, in_max);
  for (int i = 0; i < c_max; i++)
    {
      g->consts[g->ones + i] = 1;
      g->consts[g->inv_sqrt2 + i] = 1 / G_SQRT2;
    }

  d.net = gcut_network_new (GCUT_NETWORK_STYLEGAN2_GENERATOR, g, size);
  declare (&d, c);
  return gcut_network_finish (d.net);
}

int
gcut_stylegan2_generator_n_noise (const GcutNetwork *net)
{
  const Generator *g = gcut_network_config (net);
  return g->config.n_downsampling;
}

GcutShape
gcut_stylegan2_generator_noise_shape (const GcutNetwork *net, GcutShape x_shape,
                                      int index)
{
  const Generator *g = gcut_network_config (net);
  gint64 h = x_shape.dims[2], w = x_shape.dims[3];

  for (int i = 0; i < g->config.n_downsampling; i++)
    {
      h = (h - 2) / 2 + 1;
      w = (w - 2) / 2 + 1;
    }
  return gcut_shape4 (x_shape.dims[0], 1, h << (index + 1), w << (index + 1));
}

/* StyledConv: demodulated weight w / √(Σ w² + 1e-8) per output filter (the
 * root as exp(−½·log), from existing ops), transposed conv stride 2, blur
 * pad 1 (with the activation's bias), + strength · noise, activation, with
 * the activation's √2 in the weight, bias and strength.  The noise reaches
 * every channel through a 1×1 conv with weights strength·1, which also keeps
 * it apart from the blocked layout of the image. */
static GcutValue
styled_conv (GcutSg2Builder *b, const Generator *g, int index, const char *prefix,
             GcutValue x, GcutValue noise)
{
  GcutGraph *graph = b->graph;
  g_autofree char *w_name = g_strconcat (prefix, ".conv.weight", NULL);
  g_autofree char *n_name = g_strconcat (prefix, ".noise.weight", NULL);
  g_autofree char *b_name = g_strconcat (prefix, ".activate.bias", NULL);
  int i = gcut_network_find (b->net, w_name);
  GcutShape s = gcut_network_param_shape (b->net, i);
  gint64 c_out = s.dims[0], c_in = s.dims[1];
  GcutValue w, norm, eye_out, eye9, spread;

  w = gcut_sg2_reshape (b, gcut_sg2_weight (b, w_name, 1), gcut_shape2 (c_out, c_in * 9));
  norm = gcut_affine (graph, gcut_sum_rows (graph, gcut_square (graph, w)), 1, 1e-8f);
  w = gcut_mul (
      graph, w,
      gcut_exp (graph, gcut_affine (graph, gcut_log (graph, norm), -0.5f, 0.5 * G_LN2)));
  eye_out = gcut_param (graph, "eye", gcut_shape2 (c_out, c_out),
                        (float *)g->consts + g->eye_out[index], NULL);
  eye9 = gcut_param (graph, "eye9", (GcutShape){ 3, { c_in, 9, 9 } },
                     (float *)g->consts + g->eye9, NULL);
  w = gcut_matmul (graph, w, eye_out, TRUE, FALSE); /* (in·9, out) */
  w = gcut_reshape (graph, w, (GcutShape){ 3, { c_in, 9, c_out } });
  w = gcut_matmul (graph, w, eye9, TRUE, FALSE); /* (in, out, 9) */
  w = gcut_sg2_reshape (b, w, gcut_shape4 (c_in, c_out, 3, 3));

  x = gcut_conv_transpose2d (graph, x, w, GCUT_NONE, 2, 0, 0, 1);
  x = gcut_sg2_blur (b, x, g->consts + g->blur_up, 1, gcut_sg2_bias (b, b_name, G_SQRT2));
  spread = gcut_mul (
      graph,
      gcut_param (graph, "ones", gcut_shape4 (c_out, 1, 1, 1),
                  (float *)g->consts + g->ones, NULL),
      gcut_affine (graph,
                   gcut_sg2_reshape (b, gcut_network_value (b->net, graph, n_name),
                                     gcut_shape4 (1, 1, 1, 1)),
                   G_SQRT2, 0));
  x = gcut_add (graph, x, gcut_conv2d (graph, noise, spread, GCUT_NONE, 1, 0, 1));
  return gcut_sg2_act (b, x);
}

/* StyledConv's upsampling: the transposed conv (3 taps, stride 2) and the
 * blur (4 taps, padding 1) make output r read inputs ⌈(r − 3)/2⌉ … ⌊(r + 2)/2⌋,
 * so r differs near the left edge when r ≤ 2·spread + 1; the right alike. */
static int
styled_conv_spread (int spread)
{
  return 2 * spread + 2;
}

/* Follows gcut_stylegan2_generator_build layer by layer. */
int
gcut_stylegan2_generator_halo (const GcutNetwork *net)
{
  const Generator *g = gcut_network_config (net);
  const GcutStyleGan2GeneratorConfig *c = &g->config;
  int m = 1 << c->n_downsampling, s = gcut_sg2_conv_layer_spread (0, 1, FALSE);

  for (int i = 0; i < c->n_downsampling; i++)
    s = gcut_sg2_resblock_spread (s, TRUE);
  for (int i = 0; i < 2 * (c->n_blocks / 2); i++)
    s = gcut_sg2_resblock_spread (s, FALSE);
  for (int i = 0; i < c->n_downsampling; i++)
    s = styled_conv_spread (s);
  s = gcut_sg2_conv_layer_spread (s, 1, FALSE);
  return (s + m - 1) / m * m;
}

GcutValue
gcut_stylegan2_generator_build (GcutNetwork *net, GcutGraph *graph, GcutValue x,
                                const GcutValue *noise, GcutValue *taps,
                                gboolean encode_only)
{
  const Generator *g = gcut_network_config (net);
  const GcutStyleGan2GeneratorConfig *c = &g->config;
  GcutSg2Builder b
      = { net, graph, g->consts + g->blur, g->c_max, g->consts + g->inv_sqrt2 };
  int n_res = c->n_blocks / 2, n_enc = 2 + c->n_downsampling + n_res;
  int last_tap = gcut_stylegan2_tap_layers[GCUT_STYLEGAN2_N_TAPS - 1], tap = 0;
  int layer = 0;

  g_return_val_if_fail (noise || encode_only, GCUT_NONE);
  for (; layer < n_enc; layer++)
    {
      g_autofree char *p = enc (layer);
      if (layer == 1)
        x = gcut_sg2_conv_layer (&b, p, x, 1, FALSE, TRUE, G_SQRT2);
      else if (layer > 1)
        x = gcut_sg2_resblock (&b, p, x, layer < 2 + c->n_downsampling);
      if (tap < GCUT_STYLEGAN2_N_TAPS && layer == gcut_stylegan2_tap_layers[tap])
        {
          if (taps)
            taps[tap] = x;
          tap++;
        }
      if (encode_only && layer == last_tap)
        return GCUT_NONE;
    }
  for (layer = 0; layer < n_res; layer++)
    {
      g_autofree char *p = dec (layer);
      x = gcut_sg2_resblock (&b, p, x, FALSE);
    }
  for (int i = 0; i < c->n_downsampling; i++, layer++)
    {
      g_autofree char *p = dec (layer);
      x = styled_conv (&b, g, i, p, x, noise[i]);
    }
  {
    g_autofree char *p = dec (layer);
    return gcut_sg2_conv_layer (&b, p, x, 1, FALSE, TRUE, G_SQRT2);
  }
}

int
gcut_stylegan2_generator_tap_channels (const GcutNetwork *net, int tap)
{
  const Generator *g = gcut_network_config (net);
  int layer = gcut_stylegan2_tap_layers[tap];
  int halvings = CLAMP (layer - 1, 0, g->config.n_downsampling);

  return layer == 0 ? 3 : channels (&g->config, g->config.size >> halvings);
}
