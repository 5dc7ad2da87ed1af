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

/* What a network is, for code handed one it did not make (model files hold
 * ResNet or StyleGAN2-lite generators). */
typedef enum
{
  GCUT_NETWORK_RESNET_GENERATOR,
  GCUT_NETWORK_PATCHGAN,
  GCUT_NETWORK_PATCH_HEADS,
  GCUT_NETWORK_STYLEGAN2_GENERATOR,
  GCUT_NETWORK_STYLEGAN2_DISCRIMINATOR
} GcutNetworkKind;

GcutNetworkKind gcut_network_kind (const GcutNetwork *net);

/* Every constructor below returns NULL when the parameters do not fit in
 * memory (their sizes come from recipes and model files). */
void gcut_network_free (GcutNetwork *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutNetwork, gcut_network_free)
/* The same kind, configuration and parameter values (gradients zero); NULL
 * when out of memory. */
GcutNetwork *gcut_network_copy (const GcutNetwork *net);

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
 * tile size and results equal to one pass over the image (to float rounding).
 * Like a one-pass run, the image is first padded (edges replicated) to a
 * multiple of the generator's alignment: 4 for a ResNet G (and at least 8, so
 * that tiny images work too), 2^n_downsampling for a StyleGAN2-lite one.  A
 * rectangle of the output is written only after every read of the input that
 * covers it, so read and write may use the same image. */

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
                        * the alignment); 0 = automatic: the whole image when it
                        * fits the memory budget, else the largest tile that does */
  gsize memory_budget; /* bytes of plan working memory; 0 =
                        * gcut_backend_memory_budget() */
  GcutPrecision precision;
  GcutImageReadFunc read;
  GcutImageWriteFunc write;
  GcutProgressFunc progress; /* may be NULL */
  gpointer data;
  gsize *arena_bytes; /* may be NULL; receives the largest plan working memory */
  guint64 noise_seed; /* the StyleGAN2-lite G's noise (see
                       * gcut_stylegan2_generator_noise_fill) */
} GcutGeneratorRun;

/* Runs G, a ResNet or StyleGAN2-lite generator, over the image of run on
 * backend (NULL: the CPU), with the runner of its kind below.  A run that runs
 * out of memory starts again in smaller tiles (half the tile size, or a
 * quarter of the budget) until the tiles are the smallest, so read may see a
 * rectangle again, write may write one twice, and progress starts over. */
gboolean gcut_generator_run (GcutNetwork *G, GcutBackend *backend,
                             const GcutGeneratorRun *run, GError **error);
/* A ResNet G: every instance norm uses the statistics of the whole image, found
 * by running the network up to it over all tiles; the features between
 * residual blocks go through a temporary file in g_get_tmp_dir(). */
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

/* SinCUT's StyleGAN2-style networks, as the official StyleGAN2Generator and
 * StyleGAN2Discriminator built by the sincut options (netG and netD
 * "stylegan2").  Equalized learning rate: weights are stored N(0, 1)-scaled and
 * multiplied by 1/√fan_in at every use.  Widths come from the official tables:
 * G round(512·ngf/res), D ⌊256·ndf/res⌋, capped (512, 384) up to 32², where res
 * runs from `size`, the official min(load_size, crop_size) as a power of two
 * (64 for SinCUT), down by 2 per downsampling.  The blur filters are fixed
 * buffers in the official state dict, not parameters here; the modulated
 * conv's official (1, out, in, 3, 3) weight is kept as (out, in, 3, 3). */
typedef struct
{
  int ngf;            /* 10 */
  int n_downsampling; /* 1 */
  int n_blocks;       /* 6: n_blocks / 2 residual blocks in encoder and decoder */
  int size;           /* 64 */
} GcutStyleGan2GeneratorConfig;

#define GCUT_STYLEGAN2_N_TAPS 3
/* The sincut nce_layers: the input and encoder layers 2 and 4 (the
 * encoder is identity, a 1×1 ConvLayer, then the residual blocks). */
extern const int gcut_stylegan2_tap_layers[GCUT_STYLEGAN2_N_TAPS];

/* NULL unless ngf ≥ 1, 1 ≤ n_downsampling, size a power of two in [8, 1024]
 * with size >> n_downsampling ≥ 4, and the encoder reaching layer 4
 * (n_downsampling + n_blocks / 2 ≥ 3). */
GcutNetwork *gcut_stylegan2_generator_new (const GcutStyleGan2GeneratorConfig *config);
/* Parameter count of such a network without making it; −1 for a config that
 * gcut_stylegan2_generator_new refuses. */
gint64 gcut_stylegan2_generator_count_params (const GcutStyleGan2GeneratorConfig *config);
/* The decoder's noise: one input per upsampling layer (n_downsampling),
 * (N, 1, H, W) at that layer's output size, standard normal values given by
 * the caller, so that seeded runs (and tiles) can agree. */
int gcut_stylegan2_generator_n_noise (const GcutNetwork *net);
GcutShape gcut_stylegan2_generator_noise_shape (const GcutNetwork *net, GcutShape x_shape,
                                                int index);
/* Output for an (N, 3, H, W) input: the last layer's scaled LeakyReLU, no tanh;
 * each downsampling maps a side s to ⌊(s − 2)/2⌋ + 1 and each upsampling
 * doubles it (so even sizes come back unchanged).  noise: n_noise values (may
 * be NULL when encode_only); taps (may be NULL) receive the features of
 * gcut_stylegan2_tap_layers; encode_only stops after the last tap and returns
 * GCUT_NONE. */
GcutValue gcut_stylegan2_generator_build (GcutNetwork *net, GcutGraph *graph, GcutValue x,
                                          const GcutValue *noise, GcutValue *taps,
                                          gboolean encode_only);
int gcut_stylegan2_generator_tap_channels (const GcutNetwork *net, int tap);

/* The noise of translations, a function of position: the value of noise
 * input `index` at (row, col) of its grid over the whole padded image (the
 * shape gcut_stylegan2_generator_noise_shape gives for it) is a standard
 * normal derived from a hash of (seed, index, row, col), so any window of it
 * is made on its own and tiles agree with one pass.  Fills the (h, w) block
 * whose top-left is (row, col), all ≥ 0. */
void gcut_stylegan2_generator_noise_fill (guint64 seed, int index, int row, int col,
                                          int h, int w, float *dst);
/* A StyleGAN2-lite G, which has no normalization: each tile runs in a window
 * with the network's receptive radius around it, the noise from
 * run->noise_seed as above. */
gboolean gcut_stylegan2_generator_run (GcutNetwork *G, GcutBackend *backend,
                                       const GcutGeneratorRun *run, GError **error);

typedef struct
{
  int ndf;  /* 8 */
  int size; /* 64: the number of halvings, log2(size) − 2 */
} GcutStyleGan2DiscriminatorConfig;

/* NULL unless ndf ≥ 1 and size a power of two in [8, 1024]. */
GcutNetwork *
gcut_stylegan2_discriminator_new (const GcutStyleGan2DiscriminatorConfig *config);
/* One logit per image, (N, 1).  As in the official network, the input must
 * come down to 4×4: sides from size to 5/4·size − 1 (64 to 79 for size 64);
 * other sizes are graph errors. */
GcutValue gcut_stylegan2_discriminator_build (GcutNetwork *net, GcutGraph *graph,
                                              GcutValue x);
/* The same with each LeakyReLU(0.2) (the one inside every fused activation)
 * replaced by act, in build order.  The constant factors around it are folded
 * into the layer before, so act receives the official pre-activation times a
 * positive constant (√2, or 1 in a ResBlock's second conv), and should be
 * positively homogeneous like LeakyReLU itself (R1's frozen slopes are). */
GcutValue gcut_stylegan2_discriminator_build_hooked (GcutNetwork *net, GcutGraph *graph,
                                                     GcutValue x, GcutActivationHook act,
                                                     gpointer act_data);

/* The official initialization of either network: every weight N(0, 1), biases
 * and noise strengths 0; deterministic for a seed. */
void gcut_stylegan2_init (GcutNetwork *net, guint64 seed);

G_END_DECLS
