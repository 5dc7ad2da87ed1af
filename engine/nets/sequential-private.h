/* The official networks are nn.Sequential lists; describing them as layer lists
 * gives parameter names ("model.<index>") and tap indices that match. */
#pragma once

#include "network-private.h"

typedef enum
{
  GCUT_LAYER_REFLECT_PAD, /* pad */
  GCUT_LAYER_CONV,        /* c_in → c_out, k, stride, pad, with bias */
  GCUT_LAYER_CONV_T,      /* c_in → c_out, k, stride, pad, out_pad, with bias */
  GCUT_LAYER_NORM,        /* instance norm without affine */
  GCUT_LAYER_RELU,        /* in place, as the official nn.ReLU(True) */
  GCUT_LAYER_LEAKY_RELU,  /* 0.2, in place */
  GCUT_LAYER_TANH,
  GCUT_LAYER_DOWN,    /* antialiased Downsample */
  GCUT_LAYER_UP,      /* antialiased Upsample */
  GCUT_LAYER_RESBLOCK /* ResnetBlock(c_in) */
} GcutLayerKind;

typedef struct
{
  GcutLayerKind kind;
  int c_in, c_out, k, stride, pad, out_pad;
} GcutLayer;

void gcut_sequential_declare (GcutNetwork *net, const GcutLayer *layers, int n_layers);
/* Runs layers [0, n_layers) on x.  taps[i] receives the output of layer
 * tap_layers[i] (ascending); like the official encoder, which keeps a reference
 * to that tensor and stops after the last tap, an in-place activation right after
 * a tap changes it, unless it comes after the last tap. */
GcutValue gcut_sequential_build (GcutNetwork *net, GcutGraph *graph,
                                 const GcutLayer *layers, int n_layers, GcutValue x,
                                 const int *tap_layers, int n_taps, GcutValue *taps);

/* Runs layers [0, n_layers) with each LeakyReLU replaced by act. */
GcutValue gcut_sequential_build_hooked (GcutNetwork *net, GcutGraph *graph,
                                        const GcutLayer *layers, int n_layers, GcutValue x,
                                        GcutActivationHook act, gpointer act_data);

/* Instance norms whose statistics are already known, for running a network in
 * tiles.  Norms are counted from 0 in build order: norm i < n_fixed becomes the
 * per-channel affine x·scale[i] + shift[i] (C floats each, read at every run,
 * so they must outlive the plan). */
typedef struct
{
  int n_fixed;
  float *const *scale;
  float *const *shift;
  /* TRUE: stop at the input of norm n_fixed and return it. */
  gboolean stop;
} GcutNormStats;

/* Runs layers [first, last) on x (parameter names keep their absolute index),
 * with the norms of stats. */
GcutValue gcut_sequential_build_range (GcutNetwork *net, GcutGraph *graph,
                                       const GcutLayer *layers, int first, int last,
                                       GcutValue x, const GcutNormStats *stats);
