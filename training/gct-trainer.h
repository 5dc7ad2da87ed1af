/* gegl-cut training: the trainer, one CUT-family training run on content
 * images (domain X) and style images (domain Y): one of each, or sets
 * (gct-image-set.h), each crop from one image of its set.
 *
 * A GctTrainer owns the generator G, the discriminator D, the projection heads
 * F, their three Adam states, a copy of the recipe, the random streams (crops,
 * patch locations, flips and the StyleGAN2-lite G's noise) and the step
 * counter.  G and D are of the recipe's kinds: CUT's ResNet G and PatchGAN D,
 * or SinCUT's StyleGAN2-lite networks (whose R1 and init are the official
 * ones; G's noise inputs get fresh N(0, 1) values every step, the same in
 * both plans).  One step follows the official
 * CUT order (METHODS.md §3):
 *
 *   1. crops x (content) and y (style) from the samplers; the patch locations
 *      of every tap (the first P of a random permutation, the same for the
 *      queries and the keys of a tap);
 *   2. D update: L_D = gan_d(D(y), D(detach(G(x)))), Adam on D;
 *   3. G+F loss with the updated D:
 *        λ_GAN·gan_g(D(G(x))) + λ_NCE·(NCE(G(x), x) [+ NCE(G(y), y)] / 2)
 *        + λ_SRC·SRC(G(x), x) + λ_L1·|G(y) − y|,
 *      each contrastive term averaged over the encoder's taps (5 for the
 *      ResNet G, 3 for StyleGAN2-lite), keys from the
 *      encoder on the source, queries from the encoder on the translation,
 *      both through F;
 *   4. Adam on G, then on F, at the rate of the linear schedule.
 *
 * A network no loss uses is neither built nor stepped: without the GAN loss
 * (losses.gan.weight 0) there is no D and no D step; without NCE and SRC no F;
 * without GAN, NCE and SRC no G(x) and no content images.  A reconstruction
 * recipe (presets/recipes/base-photo.json: L1 identity alone) trains G(y) ≈ y
 * on the style images and nothing else.
 *
 * Fine-tuning: when the recipe names a base model ("init"), G starts from the
 * base's generator, which must be of the recipe's architecture.generator, and
 * F from the base's heads when it has heads of the recipe's shapes (else
 * fresh); D and the Adam states start fresh.  The trainer records the base
 * (its name and the SHA-256 of its file) in the checkpoints and the model, and
 * a resumed run keeps that record without reading the base again.
 *
 * The graphs and plans are built once, when the trainer is made; a step
 * allocates nothing.  Two plans: the D step (G forward without gradients, D
 * forward and backward) and the G step (G on x and y, the encoder on the
 * translations, F, D forward, every loss, backward into G and F).  G(x) is
 * thus computed twice per step (once per plan), where the official code keeps
 * the tensor; the results are the same because G does not change in between.
 * Keys come from the taps of the G(x) pass itself (the encoder is the first
 * layers of G, so they are the encoder's features of x), except for
 * flip-equivariance (FastCUT), where the translation is made from the flipped
 * crop and the keys need the encoder on the unflipped one.
 *
 * hDCE's curriculum Γ(t) = Γ0 + (Γ_final − Γ0)·t/T moves every step, as in
 * the official code: 1/Γ is a value the G-step plan reads at each run.
 *
 * Robustness: every loss and every updated parameter is checked for NaN/Inf
 * after each step; a non-finite value stops the run with GCT_TRAINER_ERROR_NUMERIC
 * naming the loss and the step and the last good checkpoint, which is never
 * overwritten with bad weights.  cancellation is a flag checked before each
 * step (safe to set from a signal handler).  Checkpoints (G, D, F, the Adam
 * states, the step, the random streams and the loss history) are written
 * atomically through the presets model-file writer; resuming one reproduces
 * the losses of an uninterrupted run with the same seed.
 */
#pragma once

#include <gcp/gcp-model-file.h>
#include <gcp/gcp-recipe.h>
#include <gcut/gcut.h>

#include "gct-image-set.h"
#include "image-io.h"

G_BEGIN_DECLS

#define GCT_TRAINER_ERROR (gct_trainer_error_quark ())
GQuark gct_trainer_error_quark (void);

typedef enum
{
  GCT_TRAINER_ERROR_UNSUPPORTED, /* a recipe feature the trainer cannot run yet */
  GCT_TRAINER_ERROR_NUMERIC,     /* a loss or a parameter became NaN or Inf */
  GCT_TRAINER_ERROR_CANCELLED,   /* gct_trainer_cancel() stopped the run */
  GCT_TRAINER_ERROR_CHECKPOINT,  /* a checkpoint does not fit this run */
  GCT_TRAINER_ERROR_BASE         /* the recipe's base model does not fit it */
} GctTrainerError;

/* The losses a trainer reports, in this order; the ones the recipe does not
 * use are absent (see gct_trainer_loss_names). */
#define GCT_TRAINER_MAX_LOSSES 8

typedef struct
{
  gint64 step;  /* steps done, counting the one just finished */
  gint64 total; /* steps of the run */
  int n_losses;
  const char *const *names;
  const double *values;    /* this step's losses, in the order of names */
  double steps_per_second; /* over the steps of this session */
  double eta_seconds;      /* to the end of the run; < 0 when unknown */
} GctProgress;

/* Called after every step; return FALSE to cancel. */
typedef gboolean (*GctProgressFunc) (const GctProgress *progress, gpointer user_data);

typedef struct _GctTrainer GctTrainer;

/* A fresh run (step 0) of recipe (copied) on the two sets of images (either
 * may be empty when no loss reads its side), on backend (NULL: the CPU).  The
 * networks are initialized from recipe->seed, then from the base model the
 * recipe names in "init" (a name or a path, gcp_model_load).  Fails with
 * GCT_TRAINER_ERROR_UNSUPPORTED for a crop the StyleGAN2-lite D cannot take or
 * a missing side, GCT_TRAINER_ERROR_BASE for a base of another architecture,
 * the presets' error for a base that cannot be loaded, the sampler's error
 * for impossible crops or an image it cannot hold, and the engine's error
 * when a plan cannot be built.  The images are read here, once each, keeping
 * only what the recipe's sampling needs (gct-sampling.h). */
GctTrainer *gct_trainer_new_from_sets (const GcpRecipe *recipe,
                                       const GctImageSet *content,
                                       const GctImageSet *style, GcutBackend *backend,
                                       GError **error);
/* The same on one content and one style image (either may be NULL). */
GctTrainer *gct_trainer_new (const GcpRecipe *recipe, GctImageReader *content,
                             GctImageReader *style, GcutBackend *backend, GError **error);
/* Continues the run saved in a checkpoint: its recipe (total steps overridden
 * by steps when steps > 0, the decay keeping its share of them), networks,
 * optimizer states, step, random streams, loss history and base record (the
 * base is not read again).  The images must be those the run trained on
 * (checkpoints record the checksum of each; GCT_TRAINER_ERROR_CHECKPOINT
 * names the first that differs).  A path without a '/' is a file in the
 * current folder. */
GctTrainer *gct_trainer_new_from_checkpoint_sets (const char *path,
                                                  const GctImageSet *content,
                                                  const GctImageSet *style,
                                                  GcutBackend *backend, gint64 steps,
                                                  GError **error);
/* The same on one content and one style image (either may be NULL). */
GctTrainer *gct_trainer_new_from_checkpoint (const char *path, GctImageReader *content,
                                             GctImageReader *style, GcutBackend *backend,
                                             gint64 steps, GError **error);
void gct_trainer_free (GctTrainer *trainer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctTrainer, gct_trainer_free)

const GcpRecipe *gct_trainer_recipe (const GctTrainer *trainer);
GcutNetwork *gct_trainer_generator (GctTrainer *trainer);
/* NULL when the recipe has no GAN loss. */
GcutNetwork *gct_trainer_discriminator (GctTrainer *trainer);
/* NULL when the recipe has neither NCE nor SRC. */
GcutNetwork *gct_trainer_heads (GctTrainer *trainer);
/* The base the run was fine-tuned from (NULL: random initialization);
 * heads_from_base (may be NULL) tells whether F came from it too. */
const GcpBaseRecord *gct_trainer_base (const GctTrainer *trainer,
                                       gboolean *heads_from_base);
/* The style images' palette (gct-palette.h) when the recipe records one,
 * else NULL. */
const float *gct_trainer_palette (const GctTrainer *trainer);
gint64 gct_trainer_step_count (const GctTrainer *trainer);
gint64 gct_trainer_total_steps (const GctTrainer *trainer);

/* The names of the reported losses ("D", "G_GAN", "NCE_X", "NCE_Y", "SRC",
 * "L1_idt", "G") that this recipe uses. */
const char *const *gct_trainer_loss_names (const GctTrainer *trainer, int *n_losses);
/* Loss values of every step so far (including those before a resume), row by
 * row: n_steps rows of n_losses floats. */
const float *gct_trainer_loss_history (const GctTrainer *trainer, gint64 *n_steps);

void gct_trainer_set_progress (GctTrainer *trainer, GctProgressFunc func,
                               gpointer user_data);
/* StyleGAN2-lite G: at most this many noise inputs (one per upsampling). */
#define GCT_TRAINER_MAX_NOISE 4

/* What one step feeds its networks, for tests that replay a step elsewhere
 * (tests/training/test-trainer-parity.c against a PyTorch trainer).  The
 * arrays belong to the trainer and are valid during the call only. */
typedef struct
{
  gint64 step; /* the step about to run, counted from 0 */
  int batch, crop;
  const float *x, *y; /* the crops, batch×3×crop×crop, before any flip */
  gboolean flipped;   /* flip-equivariance: G translates both crops mirrored */
  int n_taps;         /* G's taps: 5 (ResNet) or 3 (StyleGAN2-lite) */
  int n_patches[GCUT_GENERATOR_N_TAPS];
  /* The sampled locations (h·W + w) of each tap, [0] for the x side, [1] for
   * the y side (NULL without the identity term): the keys' locations in the
   * source's taps, the queries' mirrored when flipped. */
  const gint32 *idx[2][GCUT_GENERATOR_N_TAPS];
  /* StyleGAN2-lite G: its noise inputs (0 for the ResNet G), each of one
   * side's shape batch×1×H×W, the values of G(x) [0] and of G(y) [1] (NULL
   * when G does not run on y); the D step and the G step see the same. */
  int n_noise;
  GcutShape noise_shape[GCT_TRAINER_MAX_NOISE];
  const float *noise[2][GCT_TRAINER_MAX_NOISE];
} GctStepInputs;

typedef void (*GctStepObserver) (const GctStepInputs *inputs, gpointer user_data);

/* Called at each step once its crops and patch locations are drawn, before any
 * network runs; NULL removes it. */
void gct_trainer_set_step_observer (GctTrainer *trainer, GctStepObserver func,
                                    gpointer user_data);
/* A checkpoint is written to path every `every` steps (0: never) and when a
 * run is cancelled.  path NULL turns checkpoints off. */
void gct_trainer_set_checkpoint (GctTrainer *trainer, const char *path, gint64 every);
/* The step of the last checkpoint written or loaded (-1: none). */
gint64 gct_trainer_last_checkpoint_step (const GctTrainer *trainer);

/* Asks the run to stop before its next step.  Async-signal-safe: it only
 * stores to an atomic int, so a SIGINT handler may call it. */
void gct_trainer_cancel (GctTrainer *trainer);

/* One step (step 1 … 4 above). */
gboolean gct_trainer_step (GctTrainer *trainer, GError **error);
/* Steps until the step counter reaches until (≤ 0: the recipe's total), with
 * progress and checkpoints.  On cancellation it writes the checkpoint (when one
 * is configured) and fails with GCT_TRAINER_ERROR_CANCELLED. */
gboolean gct_trainer_run (GctTrainer *trainer, gint64 until, GError **error);

/* Writes the resumable checkpoint (atomically). */
gboolean gct_trainer_save_checkpoint (GctTrainer *trainer, const char *path,
                                      GError **error);
/* Writes the model users load: G and F (for the similarity maps; when the
 * recipe has F) with the recipe, the training record (device, time, last
 * losses, image sizes or set sizes) and the base record; no D or optimizer
 * state. */
gboolean gct_trainer_save_model (GctTrainer *trainer, const char *path, GError **error);

/* The training record gct_trainer_save_model writes, as JSON. */
char *gct_trainer_training_json (GctTrainer *trainer);

G_END_DECLS
