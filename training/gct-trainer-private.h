/* gegl-cut training: the trainer's state, shared by its files (trainer.c:
 * making, running, accessors; trainer-plans.c: the D and G step plans;
 * trainer-step.c: one step; trainer-checkpoint.c: model and checkpoint files). */
#pragma once

#include "gct-adam.h"
#include "gct-image-set.h"
#include "gct-losses.h"
#include "gct-r1.h"
#include "gct-random.h"
#include "gct-sampling.h"
#include "gct-trainer.h"

G_BEGIN_DECLS

/* Room for either generator's taps (ResNet 5, StyleGAN2-lite 3). */
#define NT GCUT_GENERATOR_N_TAPS
G_STATIC_ASSERT (GCUT_STYLEGAN2_N_TAPS <= NT);
/* StyleGAN2-lite: one noise input per upsampling, at most 4 (the recipe's
 * n_downsampling range). */
#define MAX_NOISE GCT_TRAINER_MAX_NOISE
/* The random streams saved in checkpoints: crops, patches, noise. */
#define N_RNG 3
#define RNG_WORDS 6

enum
{
  L_D,
  L_R1, /* not a graph loss: gct_r1_apply, after D's backward */
  L_GAN,
  L_NCE_X,
  L_NCE_Y,
  L_SRC,
  L_L1,
  L_G,
  N_L
};
/* The names of the losses above, by index (trainer.c). */
extern const char *const gct_trainer_all_loss_names[N_L];

typedef struct
{
  GcutGraph *graph;
  GcutPlan *plan;
  GcutValue x, y;       /* crops of the step (G's inputs, flipped when flipped) */
  GcutValue fake;       /* G(x): the G plan's output, the D plan's input */
  GcutValue xsrc, ysrc; /* flip-equivariance: the unflipped crops; else GCUT_NONE */
  GcutValue idx_q[2][NT], idx_k[2][NT]; /* [0] for x, [1] for y; equal without flips */
  GcutValue noise[2][MAX_NOISE];        /* G's noise on x and on y; unset without */
  GcutValue loss[N_L];
  GcutValue *wrt;
  GcutValue inv_gamma; /* hDCE: 1/Γ, read from the trainer's inv_gamma */
} StepPlan;

struct _GctTrainer
{
  GcpRecipe *recipe;
  GcutBackend *backend;
  GcutPrecision precision;
  /* D only with the GAN loss, F only with NCE or SRC (NULL otherwise), and
   * their Adam states likewise. */
  GcutNetwork *G, *D, *F;
  GctAdam *adam_G, *adam_D, *adam_F;
  /* NULL for a side no loss reads (no content crops without GAN, NCE and SRC) */
  GctSetSampler *sx, *sy;
  GcpBaseRecord base;   /* name NULL: random initialization */
  gboolean has_palette; /* the recipe's palette, of the style images: */
  float palette[3 * GCP_PALETTE_LEVELS];
  gboolean heads_from_base; /* F came from the base too */
  GctRng rng[N_RNG];        /* crops, patches, noise */
  gint64 step;
  int batch, crop;
  float inv_gamma; /* hDCE: 1/Γ of this step */

  gboolean use[N_L];
  int n_used,
      used[N_L]; /* indices into gct_trainer_all_loss_names of the reported losses */
  const char *names[N_L];

  StepPlan dplan, gplan;
  GctR1 *r1; /* NULL without the R1 penalty */
  int n_taps, tap_hw[NT], tap_w[NT], n_patches[NT];
  /* StyleGAN2-lite G: its noise inputs, their shapes for one side, and their
   * values for x and for y, drawn every step from the noise stream */
  int n_noise;
  GcutShape noise_shape[MAX_NOISE];
  float *noise[2][MAX_NOISE];

  /* step buffers, allocated once */
  float *xbuf, *ybuf, *xin, *yin, *fake;
  gint32 *idx_q[2][NT], *idx_k[2][NT];
  guint32 *perm, *scratch;
  double values[N_L];

  float *history;                  /* n_used per step */
  gsize history_len, history_room; /* floats */
  double seconds;                  /* training time, including before a resume */

  GctProgressFunc progress;
  gpointer progress_data;
  GctStepObserver observer;
  gpointer observer_data;
  char *ckpt_path;
  gint64 ckpt_every, ckpt_step;
  char *last_good; /* the last checkpoint written or loaded */
  gint cancel;

  /* data borrowed by the checkpoint writer */
  gint64 ckpt_step_value;
  double ckpt_seconds;
  guint64 rng_words[N_RNG * RNG_WORDS];
};

static inline gboolean
gct_trainer_flip_equivariance (const GctTrainer *t)
{
  return t->recipe->nce.flip_equivariance;
}

static inline GcutShape
gct_trainer_image_shape (int b, int s)
{
  return (GcutShape){ 4, { b, 3, s, s } };
}

/* trainer.c: room for n more floats in the loss history. */
gboolean gct_trainer_history_reserve (GctTrainer *t, gsize n, GError **error);
/* trainer.c: a trainer at step 0; the networks from the recipe's base when
 * from_base (else random: a checkpoint's weights come next). */
GctTrainer *gct_trainer_make (const GcpRecipe *recipe, const GctImageSet *content,
                              const GctImageSet *style, GcutBackend *backend,
                              gboolean from_base, GError **error);

/* trainer-plans.c */
void gct_step_plan_clear (StepPlan *p);
gboolean gct_trainer_build_d_plan (GctTrainer *t, GError **error);
gboolean gct_trainer_build_g_plan (GctTrainer *t, GError **error);
/* The taps' shapes (from a G graph on one crop), hence the patches per tap;
 * allocates the patch index buffers. */
gboolean gct_trainer_measure_taps (GctTrainer *t, GError **error);

G_END_DECLS
