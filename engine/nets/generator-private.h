/* Running the ResnetGenerator in segments and tiles (generator-tiled.c). */
#pragma once

#include "sequential-private.h"

/* The generator's layer list (resnet-generator.c). */
const GcutLayer *gcut_resnet_generator_layers (const GcutNetwork *net, int *n_layers);

#define GCUT_SEGMENT_MAX_NORMS 4
/* The encoder, at most 32 residual blocks (resnet-generator.c) and the decoder. */
#define GCUT_MAX_SEGMENTS 34

/* A piece of the generator between two checkpoints: the encoder (image →
 * features at 1/4 resolution), one residual block, or the decoder (→ image).
 * Sizes in pixels of the full-resolution (padded) image unless said. */
typedef struct
{
  int first, last;         /* its layers */
  int scale_in, scale_out; /* input and output are 1/scale of full resolution */
  int c_in, c_out;         /* channels of input and output */
  int halo;                /* context each side a tile needs; a multiple of 4 */
  int n_norms;             /* instance norms, resolved one pass each */
  int norm_scale[GCUT_SEGMENT_MAX_NORMS];    /* resolution of each norm's input */
  int norm_channels[GCUT_SEGMENT_MAX_NORMS]; /* and its channels */
  /* Estimated multiply-adds per full-resolution window pixel of pass k: up to
   * norm k, and the whole segment for k = n_norms. */
  double pass_cost[GCUT_SEGMENT_MAX_NORMS + 1];
} GcutSegment;

/* Fills segments (n_blocks + 2 of them) and returns how many. */
int gcut_generator_segments (const GcutNetwork *G, GcutSegment *segments);
