/* Building blocks of the StyleGAN2-style networks, from existing ops:
 * equalized lr = weight × constant, upfirdn2d without resampling = depthwise
 * conv with the 4×4 filter and zero padding, fused activation = bias,
 * LeakyReLU(0.2), ×√2.  Elementwise ops take only plain layouts (CPU plans
 * block image channels), so every bias and constant factor goes into the
 * weights and bias of the conv or linear before it: LeakyReLU is positively
 * homogeneous, √2·LeakyReLU(z) = LeakyReLU(√2·z). */
#include <math.h>
#include <gcut/gcut-math.h>
#include "stylegan2-private.h"

void
gcut_sg2_declare (GcutSg2Decl *d, const char *prefix, const char *name, GcutShape shape)
{
  g_autofree char *full = g_strconcat (prefix, ".", name, NULL);
  if (d->net)
    gcut_network_declare (d->net, full, shape);
  d->n_floats += gcut_shape_numel (&shape);
}

/* Index of the conv inside a ConvLayer: after the blur when downsampling. */
static int
conv_index (gboolean down)
{
  return down ? 1 : 0;
}

void
gcut_sg2_declare_conv_layer (GcutSg2Decl *d, const char *prefix, int c_in, int c_out,
                             int k, gboolean down, gboolean activate)
{
  int i = conv_index (down);
  g_autofree char *w = g_strdup_printf ("%d.weight", i);
  g_autofree char *bias = g_strdup_printf ("%d.bias", i + 1);

  gcut_sg2_declare (d, prefix, w, gcut_shape4 (c_out, c_in, k, k));
  if (activate)
    gcut_sg2_declare (d, prefix, bias, gcut_shape4 (1, c_out, 1, 1));
}

void
gcut_sg2_declare_resblock (GcutSg2Decl *d, const char *prefix, int c_in, int c_out,
                           gboolean down)
{
  g_autofree char *conv1 = g_strconcat (prefix, ".conv1", NULL);
  g_autofree char *conv2 = g_strconcat (prefix, ".conv2", NULL);
  g_autofree char *skip = g_strconcat (prefix, ".skip", NULL);

  gcut_sg2_declare_conv_layer (d, conv1, c_in, c_in, 3, FALSE, TRUE);
  gcut_sg2_declare_conv_layer (d, conv2, c_in, c_out, 3, down, TRUE);
  if (down)
    gcut_sg2_declare_conv_layer (d, skip, c_in, c_out, 1, TRUE, FALSE);
}

void
gcut_sg2_fill_blur (float *dst, int c, float gain)
{
  static const float k[4] = { 1, 3, 3, 1 };
  for (int i = 0; i < c; i++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 4; x++)
        dst[i * 16 + y * 4 + x] = k[y] * k[x] / 64.0f * gain;
}

GcutValue
gcut_sg2_blur (GcutSg2Builder *b, GcutValue x, const float *filter, int pad,
               GcutValue bias)
{
  gint64 c;

  if (x == GCUT_NONE)
    return GCUT_NONE;
  c = gcut_graph_shape (b->graph, x).dims[1];
  g_return_val_if_fail (c <= b->c_max, GCUT_NONE);
  /* The filter is symmetric, so correlation is the official convolution. */
  return gcut_conv2d (
      b->graph, x,
      gcut_param (b->graph, "blur", gcut_shape4 (c, 1, 4, 4), (float *)filter, NULL),
      bias, 1, pad, (int)c);
}

/* A parameter's (its numel) elements as (n), times gain. */
GcutValue
gcut_sg2_bias (GcutSg2Builder *b, const char *name, float gain)
{
  int i = gcut_network_find (b->net, name);
  GcutShape s;

  if (i < 0)
    return gcut_network_value (b->net, b->graph, name); /* records the error */
  s = gcut_network_param_shape (b->net, i);
  return gcut_affine (b->graph,
                      gcut_sg2_reshape (b, gcut_network_value (b->net, b->graph, name),
                                        gcut_shape1 (gcut_shape_numel (&s))),
                      gain, 0);
}

GcutValue
gcut_sg2_reshape (GcutSg2Builder *b, GcutValue x, GcutShape shape)
{
  /* Through (n, 1, 1, 1): a 4-D value made straight from one of another
   * rank would take the blocked layout of an image with shape.dims[1]
   * channels (in the backward pass too), which a reshape cannot fill. */
  x = gcut_reshape (b->graph, x, gcut_shape4 (gcut_shape_numel (&shape), 1, 1, 1));
  return gcut_reshape (b->graph, x, shape);
}

GcutValue
gcut_sg2_act (GcutSg2Builder *b, GcutValue x)
{
  if (x == GCUT_NONE)
    return GCUT_NONE;
  x = b->act ? b->act (b->graph, x, b->n_acts, b->act_data)
             : gcut_leaky_relu (b->graph, x, 0.2f);
  b->n_acts++;
  return x;
}

GcutValue
gcut_sg2_weight (GcutSg2Builder *b, const char *name, double gain)
{
  int i = gcut_network_find (b->net, name);
  GcutShape s;

  if (i < 0)
    return gcut_network_value (b->net, b->graph, name); /* records the error */
  s = gcut_network_param_shape (b->net, i);
  return gcut_affine (b->graph, gcut_network_value (b->net, b->graph, name),
                      gain / sqrt ((double)gcut_shape_numel (&s) / s.dims[0]), 0);
}

GcutValue
gcut_sg2_conv_layer (GcutSg2Builder *b, const char *prefix, GcutValue x, int k,
                     gboolean down, gboolean activate, double gain)
{
  int i = conv_index (down);
  g_autofree char *w = g_strdup_printf ("%s.%d.weight", prefix, i);
  g_autofree char *bias = g_strdup_printf ("%s.%d.bias", prefix, i + 1);
  /* The fused activation's bias goes into the conv (the official conv has
   * none): the same sum, and no (1, C, 1, 1) bias meets a blocked image. */
  GcutValue bv = activate ? gcut_sg2_bias (b, bias, gain) : GCUT_NONE;

  /* upfirdn2d pads ((p + 1) / 2, p / 2) with p = 2 + k − 1: even, symmetric. */
  if (down)
    x = gcut_sg2_blur (b, x, b->blur, (k + 1) / 2, GCUT_NONE);
  x = gcut_conv2d (b->graph, x, gcut_sg2_weight (b, w, gain), bv, down ? 2 : 1,
                   down ? 0 : k / 2, 1);
  return activate ? gcut_sg2_act (b, x) : x;
}

/* (√2·LeakyReLU(z2) + skip) / √2 = LeakyReLU(z2) + skip / √2: conv2 keeps
 * gain 1, the skip conv takes 1/√2, an identity skip a depthwise 1×1 conv
 * by 1/√2. */
GcutValue
gcut_sg2_resblock (GcutSg2Builder *b, const char *prefix, GcutValue x, gboolean down)
{
  g_autofree char *conv1 = g_strconcat (prefix, ".conv1", NULL);
  g_autofree char *conv2 = g_strconcat (prefix, ".conv2", NULL);
  g_autofree char *skip = g_strconcat (prefix, ".skip", NULL);
  GcutValue y, s;

  y = gcut_sg2_conv_layer (b, conv1, x, 3, FALSE, TRUE, G_SQRT2);
  y = gcut_sg2_conv_layer (b, conv2, y, 3, down, TRUE, 1);
  if (down)
    s = gcut_sg2_conv_layer (b, skip, x, 1, TRUE, FALSE, 1 / G_SQRT2);
  else if (x == GCUT_NONE)
    s = GCUT_NONE;
  else
    {
      gint64 c = gcut_graph_shape (b->graph, x).dims[1];
      g_return_val_if_fail (b->inv_sqrt2 && c <= b->c_max, GCUT_NONE);
      s = gcut_conv2d (b->graph, x,
                       gcut_param (b->graph, "1/sqrt2", gcut_shape4 (c, 1, 1, 1),
                                   (float *)b->inv_sqrt2, NULL),
                       GCUT_NONE, 1, 0, (int)c);
    }
  return gcut_add (b->graph, y, s);
}

/* For a layer whose output j reads inputs stride·j + lo … stride·j + hi. */
static int
spread_through (int spread, int stride, int lo, int hi)
{
  /* Output j near the left edge differs when it reads an input below
   * `spread` (those past the edge included); mirrored for the right edge,
   * counting from an output size of input size / stride. */
  int left = (spread - lo + stride - 1) / stride, right = (spread + hi) / stride;
  return MAX (left, right);
}

int
gcut_sg2_conv_layer_spread (int spread, int k, gboolean down)
{
  /* As gcut_sg2_conv_layer: the blur (4 taps, padding (k + 1) / 2) then the
   * stride-2 conv without padding, or a conv padded k / 2. */
  int pad = (k + 1) / 2;
  return down ? spread_through (spread, 2, -pad, k - 1 - pad + 3)
              : spread_through (spread, 1, -(k / 2), k / 2);
}

int
gcut_sg2_resblock_spread (int spread, gboolean down)
{
  int y = gcut_sg2_conv_layer_spread (gcut_sg2_conv_layer_spread (spread, 3, FALSE), 3,
                                      down);
  return MAX (y, down ? gcut_sg2_conv_layer_spread (spread, 1, TRUE) : spread);
}

/* EqualLinear as a conv: on the flattened (C, H, W) map a conv with the
 * (out, C, H, W) kernel, on (N, C, 1, 1) a 1×1 one; unlike a flattening
 * reshape, convs take the blocked layouts of CPU plans. */
GcutValue
gcut_sg2_linear (GcutSg2Builder *b, const char *prefix, GcutValue x, gboolean activate)
{
  g_autofree char *w = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bias = g_strconcat (prefix, ".bias", NULL);
  double gain = activate ? G_SQRT2 : 1;
  int i = gcut_network_find (b->net, w);
  GcutShape xs, ws;

  if (x == GCUT_NONE || i < 0)
    return gcut_network_value (b->net, b->graph, w); /* GCUT_NONE, or records why */
  xs = gcut_graph_shape (b->graph, x);
  ws = gcut_network_param_shape (b->net, i);
  if (ws.dims[1] != xs.dims[1] * xs.dims[2] * xs.dims[3])
    {
      gcut_graph_set_error (
          b->graph,
          g_error_new (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "%s takes %" G_GINT64_FORMAT " features, not %" G_GINT64_FORMAT,
                       prefix, ws.dims[1], xs.dims[1] * xs.dims[2] * xs.dims[3]));
      return GCUT_NONE;
    }
  x = gcut_conv2d (
      b->graph, x,
      gcut_sg2_reshape (b, gcut_sg2_weight (b, w, gain),
                        gcut_shape4 (ws.dims[0], xs.dims[1], xs.dims[2], xs.dims[3])),
      gcut_sg2_bias (b, bias, gain), 1, 0, 1);
  return activate ? gcut_sg2_act (b, x) : x;
}

static double
normal (GRand *rand)
{
  double u = g_rand_double (rand), v = g_rand_double (rand);
  return sqrt (-2.0 * log1p (-u)) * cos (2.0 * G_PI * v);
}

void
gcut_stylegan2_init (GcutNetwork *net, guint64 seed)
{
  GRand *rand = g_rand_new_with_seed_array ((const guint32[]){ seed, seed >> 32 }, 2);
  for (guint i = 0; i < gcut_network_n_params (net); i++)
    {
      const char *name = gcut_network_param_name (net, i);
      GcutShape s = gcut_network_param_shape (net, i);
      float *w = gcut_network_param_data (net, i);
      gint64 n = gcut_shape_numel (&s);
      gboolean zero
          = g_str_has_suffix (name, ".bias") || g_str_has_suffix (name, ".noise.weight");
      for (gint64 k = 0; k < n; k++)
        w[k] = zero ? 0.0f : (float)normal (rand);
    }
  g_rand_free (rand);
}
