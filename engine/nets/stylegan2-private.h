/* Layers shared by the StyleGAN2-style networks (stylegan2-layers.c), named
 * as the official modules (ConvLayer, ResBlock, StyledConv, EqualLinear). */
#pragma once

#include "network-private.h"

/* Parameter declarations; with net NULL they are only counted. */
typedef struct
{
  GcutNetwork *net;
  gint64 n_floats;
} GcutSg2Decl;

void gcut_sg2_declare (GcutSg2Decl *d, const char *prefix, const char *name,
                       GcutShape shape);
/* ConvLayer: [blur] → equalized conv without bias → [fused LeakyReLU with bias]. */
void gcut_sg2_declare_conv_layer (GcutSg2Decl *d, const char *prefix, int c_in, int c_out,
                                  int k, gboolean down, gboolean activate);
/* ResBlock; the skip is a blurred strided 1×1 conv when down, else identity
 * (every use here keeps the width when not downsampling). */
void gcut_sg2_declare_resblock (GcutSg2Decl *d, const char *prefix, int c_in, int c_out,
                                gboolean down);

/* c copies of the normalized [1,3,3,1]ᵀ[1,3,3,1] filter times gain, the
 * (c, 1, 4, 4) weight of a depthwise blur. */
void gcut_sg2_fill_blur (float *dst, int c, float gain);

typedef struct
{
  GcutNetwork *net;
  GcutGraph *graph;
  const float *blur; /* gcut_sg2_fill_blur (…, c_max, 1) */
  int c_max;
  const float *inv_sqrt2; /* c_max × 1/√2, for identity skips (NULL: none) */
  GcutActivationHook act; /* NULL: plain LeakyReLU(0.2) */
  gpointer act_data;
  int n_acts;
} GcutSg2Builder;

/* Depthwise blur with zero padding on every side, gain-scaled filter data
 * (c_max copies), plus bias (C) (may be GCUT_NONE). */
GcutValue gcut_sg2_blur (GcutSg2Builder *b, GcutValue x, const float *filter, int pad,
                         GcutValue bias);
/* A bias parameter, (1, C, 1, 1) or (C), as (C) times gain. */
GcutValue gcut_sg2_bias (GcutSg2Builder *b, const char *name, float gain);
/* The equalized-lr weight: the parameter times gain/√(its fan-in). */
GcutValue gcut_sg2_weight (GcutSg2Builder *b, const char *name, double gain);
/* gcut_reshape for parameters and values made from them, which keeps them
 * in the plain layout when the rank changes to or from 4. */
GcutValue gcut_sg2_reshape (GcutSg2Builder *b, GcutValue x, GcutShape shape);
/* LeakyReLU(0.2) or the hook, on an input that already holds the bias and
 * the activation's √2 (or, in a ResBlock's conv2, the 1/√2 that cancels it):
 * a hook sees the official pre-activation times a positive constant. */
GcutValue gcut_sg2_act (GcutSg2Builder *b, GcutValue x);
/* ConvLayer with weights and bias times gain (√2 where the fused activation
 * stands alone). */
GcutValue gcut_sg2_conv_layer (GcutSg2Builder *b, const char *prefix, GcutValue x, int k,
                               gboolean down, gboolean activate, double gain);
GcutValue gcut_sg2_resblock (GcutSg2Builder *b, const char *prefix, GcutValue x,
                             gboolean down);
/* Windows of an image cut from it without context: given `spread` pixels
 * next to a cut edge of a layer's input that may differ from the whole
 * image's values (the network pads there as if it were the image border),
 * how many of its output may; for the layers above, on inputs of even size. */
int gcut_sg2_conv_layer_spread (int spread, int k, gboolean down);
int gcut_sg2_resblock_spread (int spread, gboolean down);
/* EqualLinear on the flattened (N, C, H, W) → (N, out, 1, 1), with the fused
 * activation or a plain bias. */
GcutValue gcut_sg2_linear (GcutSg2Builder *b, const char *prefix, GcutValue x,
                           gboolean activate);

/* The context in pixels a window of the generator's input needs on each side
 * for the inner part of its output to equal the whole image's, a multiple of
 * 2^n_downsampling (stylegan2-generator.c). */
int gcut_stylegan2_generator_halo (const GcutNetwork *net);
