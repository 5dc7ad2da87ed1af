/* SinCUT's discriminator: the official StyleGAN2Discriminator for netD
 * "stylegan2" (not the patch variants): a 1×1 ConvLayer, downsampling
 * ResBlocks from size² to 4², a 3×3 ConvLayer, then two EqualLinears on the
 * flattened 4×4 map (the minibatch-stddev feature is disabled there). */
#include <math.h>
#include <gcut/gcut-math.h>
#include "stylegan2-private.h"

typedef struct
{
  GcutStyleGan2DiscriminatorConfig config;
  int c_max;
  float blur[]; /* gcut_sg2_fill_blur (…, c_max, 1) */
} Discriminator;

/* The official channels[res]: int(16384 / res · ndf / 64), at most 384 up to 32². */
static int
channels (const GcutStyleGan2DiscriminatorConfig *c, int res)
{
  int n = (int)(16384.0 / res * (c->ndf / 64.0));
  return res <= 32 ? MIN (n, 384) : n;
}

static int
log2_size (const GcutStyleGan2DiscriminatorConfig *c)
{
  return g_bit_nth_msf (c->size, -1);
}

static void
declare (GcutSg2Decl *d, const GcutStyleGan2DiscriminatorConfig *c)
{
  int c_in = channels (c, c->size), c4 = channels (c, 4);

  gcut_sg2_declare_conv_layer (d, "convs.0", 3, c_in, 1, FALSE, TRUE);
  for (int i = log2_size (c), layer = 1; i > 2; i--, layer++)
    {
      g_autofree char *p = g_strdup_printf ("convs.%d", layer);
      int c_out = channels (c, 1 << (i - 1));
      gcut_sg2_declare_resblock (d, p, c_in, c_out, TRUE);
      c_in = c_out;
    }
  gcut_sg2_declare_conv_layer (d, "final_conv", c_in, c4, 3, FALSE, TRUE);
  gcut_sg2_declare (d, "final_linear.0", "weight", gcut_shape2 (c4, c4 * 16));
  gcut_sg2_declare (d, "final_linear.0", "bias", gcut_shape1 (c4));
  gcut_sg2_declare (d, "final_linear.1", "weight", gcut_shape2 (1, c4));
  gcut_sg2_declare (d, "final_linear.1", "bias", gcut_shape1 (1));
}

GcutNetwork *
gcut_stylegan2_discriminator_new (const GcutStyleGan2DiscriminatorConfig *config)
{
  const GcutStyleGan2DiscriminatorConfig *c = config;
  g_autofree Discriminator *dis = NULL;
  GcutSg2Decl d = { NULL, 0 };
  gsize size;
  int c_max = 3;

  g_return_val_if_fail (c->ndf >= 1 && c->ndf <= 512 && c->size >= 8 && c->size <= 1024
                            && (c->size & (c->size - 1)) == 0,
                        NULL);
  for (int res = 4; res <= c->size; res *= 2)
    c_max = MAX (c_max, channels (c, res));
  size = sizeof (Discriminator) + (gsize)c_max * 16 * sizeof (float);
  dis = g_malloc0 (size);
  dis->config = *c;
  dis->c_max = c_max;
  gcut_sg2_fill_blur (dis->blur, c_max, 1);
  d.net = gcut_network_new (GCUT_NETWORK_STYLEGAN2_DISCRIMINATOR, dis, size);
  declare (&d, c);
  return gcut_network_finish (d.net);
}

GcutValue
gcut_stylegan2_discriminator_build_hooked (GcutNetwork *net, GcutGraph *graph,
                                           GcutValue x, GcutActivationHook act,
                                           gpointer act_data)
{
  const Discriminator *dis = gcut_network_config (net);
  GcutSg2Builder b = { net, graph, dis->blur, dis->c_max, NULL, act, act_data };
  GcutShape s;

  x = gcut_sg2_conv_layer (&b, "convs.0", x, 1, FALSE, TRUE, G_SQRT2);
  for (int i = log2_size (&dis->config), layer = 1; i > 2; i--, layer++)
    {
      g_autofree char *p = g_strdup_printf ("convs.%d", layer);
      x = gcut_sg2_resblock (&b, p, x, TRUE);
    }
  x = gcut_sg2_conv_layer (&b, "final_conv", x, 3, FALSE, TRUE, G_SQRT2);
  if (x == GCUT_NONE)
    return GCUT_NONE;
  s = gcut_graph_shape (graph, x);
  if (s.dims[2] != 4 || s.dims[3] != 4)
    {
      gcut_graph_set_error (
          graph, g_error_new (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                              "the StyleGAN2 discriminator (size %d) ends at "
                              "%" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                              " instead of 4×4: give it images of %d to %d pixels a side",
                              dis->config.size, s.dims[3], s.dims[2], dis->config.size,
                              dis->config.size * 5 / 4 - 1));
      return GCUT_NONE;
    }
  x = gcut_sg2_linear (&b, "final_linear.0", x, TRUE);
  x = gcut_sg2_linear (&b, "final_linear.1", x, FALSE);
  return gcut_reshape (graph, x, gcut_shape2 (s.dims[0], 1));
}

GcutValue
gcut_stylegan2_discriminator_build (GcutNetwork *net, GcutGraph *graph, GcutValue x)
{
  return gcut_stylegan2_discriminator_build_hooked (net, graph, x, NULL, NULL);
}
