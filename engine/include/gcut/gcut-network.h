/* gegl-cut engine: networks and their parameters.
 *
 * A network owns its parameters in one contiguous buffer (and one for their
 * gradients), each named by its key in the official PyTorch state dict, e.g.
 * "model.1.weight", so weights can be exchanged with the reference code.  Its
 * build function adds its layers to a graph; a network used several times in
 * one graph shares its parameter values there, so gradients add up.
 */
#pragma once

#include <gcut/gcut-graph.h>
#include <gcut/gcut-plan.h>

G_BEGIN_DECLS

typedef struct _GcutNetwork GcutNetwork;

void gcut_network_free (GcutNetwork *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutNetwork, gcut_network_free)

guint gcut_network_n_params (const GcutNetwork *net);
const char *gcut_network_param_name (const GcutNetwork *net, guint index);
GcutShape gcut_network_param_shape (const GcutNetwork *net, guint index);
float *gcut_network_param_data (GcutNetwork *net, guint index);
float *gcut_network_param_grad (GcutNetwork *net, guint index);
/* Index of a parameter by name, or -1. */
int gcut_network_find (const GcutNetwork *net, const char *name);
/* All parameters (and all gradients) as one buffer of n floats. */
float *gcut_network_data (GcutNetwork *net, gsize *n);
float *gcut_network_grads (GcutNetwork *net, gsize *n);

/* Initialization as the official code: weights of convolutions and linear layers
 * xavier_normal(gain), biases 0; deterministic for a seed. */
void gcut_network_init_xavier (GcutNetwork *net, float gain, guint64 seed);

/* The value of a parameter in graph (bound once per graph). */
GcutValue gcut_network_value (GcutNetwork *net, GcutGraph *graph, const char *name);
/* Marks every parameter of net in graph into wrt (n_params entries), for
 * differentiating with respect to all of them. */
void gcut_network_values (GcutNetwork *net, GcutGraph *graph, GcutValue *wrt);

/* CUT's ResnetGenerator ("resnet_9blocks" by default). */
typedef struct
{
  int ngf;               /* 64 */
  int n_blocks;          /* 9 */
  gboolean antialias;    /* downsampling: blur (TRUE) or strided convs */
  gboolean antialias_up; /* upsampling: blur (TRUE) or transposed convs */
} GcutResnetGeneratorConfig;

#define GCUT_GENERATOR_N_TAPS 5
/* The official encoder taps: outputs of model layers 0, 4, 8, 12 and 16. */
extern const int gcut_generator_tap_layers[GCUT_GENERATOR_N_TAPS];

GcutNetwork *gcut_resnet_generator_new (const GcutResnetGeneratorConfig *config);
/* Output in [-1, 1] for an (N, 3, H, W) input; taps (may be NULL) receive the
 * encoder features.  encode_only stops after the last tap and returns
 * GCUT_NONE as the output. */
GcutValue gcut_resnet_generator_build (GcutNetwork *net, GcutGraph *graph, GcutValue x,
                                       GcutValue *taps, gboolean encode_only);
/* Channels of each tap. */
int gcut_resnet_generator_tap_channels (const GcutNetwork *net, int tap);

/* Translating a whole image of any size in tiles, with memory bounded by the
 * tile size and results equal to one pass over the image (to float rounding):
 * every instance norm uses the statistics of the whole image, found by running
 * the network up to it over all tiles; the features between residual blocks go
 * through a temporary file in g_get_tmp_dir().  Like a one-pass run, the image is
 * first padded (edges replicated) to a multiple of 4, and to at least 8 so that
 * tiny images work too. */

/* Reads the RGB of the input rectangle (x, y, w, h), inside [0,width)×[0,height),
 * as a (3, h, w) NCHW block in [-1, 1]. */
typedef gboolean (*GcutImageReadFunc) (int x, int y, int w, int h, float *rgb,
                                       gpointer data, GError **error);
/* Receives the output RGB of a rectangle inside the image, (3, h, w) in [-1, 1]. */
typedef gboolean (*GcutImageWriteFunc) (int x, int y, int w, int h, const float *rgb,
                                        gpointer data, GError **error);
/* fraction 0…1 of the whole job; return FALSE to cancel (error
 * G_IO_ERROR_CANCELLED). */
typedef gboolean (*GcutProgressFunc) (double fraction, gpointer data);

typedef struct
{
  int width, height;   /* the image, ≥ 1 each */
  int tile_size;       /* output tile edge in pixels (rounded up to a multiple of
                        * 4); 0 = automatic: the whole image when it fits the
                        * memory budget, else the largest tile that does */
  gsize memory_budget; /* bytes of plan working memory; 0 = 512 MiB */
  GcutPrecision precision;
  GcutImageReadFunc read;
  GcutImageWriteFunc write;
  GcutProgressFunc progress; /* may be NULL */
  gpointer data;
  gsize *arena_bytes; /* may be NULL; receives the largest plan working memory */
} GcutGeneratorRun;

/* Runs G over the image of run on backend (NULL: the CPU). */
gboolean gcut_resnet_generator_run (GcutNetwork *G, GcutBackend *backend,
                                    const GcutGeneratorRun *run, GError **error);

/* PatchGAN discriminator (NLayerDiscriminator). */
typedef struct
{
  int ndf;      /* 64 */
  int n_layers; /* 3 */
  gboolean antialias;
} GcutPatchGanConfig;

GcutNetwork *gcut_patchgan_new (const GcutPatchGanConfig *config);
/* Logit map for an (N, 3, H, W) image (30×30 for 256²). */
GcutValue gcut_patchgan_build (GcutNetwork *net, GcutGraph *graph, GcutValue x);

/* Stands in for each LeakyReLU(0.2) of a network while it is built: called in
 * build order (index from 0) with the activation's input, returns what the
 * network continues with.  For linearizing D around a point (R1). */
typedef GcutValue (*GcutActivationHook) (GcutGraph *graph, GcutValue x, int index,
                                         gpointer data);
GcutValue gcut_patchgan_build_hooked (GcutNetwork *net, GcutGraph *graph, GcutValue x,
                                      GcutActivationHook act, gpointer act_data);

/* CUT's projection heads F (PatchSampleF with MLPs): per tap l,
 * Linear(C_l, nc) → ReLU → Linear(nc, nc), then L2 normalization. */
GcutNetwork *gcut_patch_heads_new (const int *tap_channels, int n_taps, int nc);
/* Unit feature rows (N·P, nc) of tap `tap` (N, C_l, H, W) at locations idx (P). */
GcutValue gcut_patch_heads_build (GcutNetwork *net, GcutGraph *graph, int tap,
                                  GcutValue features, GcutValue idx);

G_END_DECLS
