/* gegl-cut training: the losses, as graph builders.
 *
 * Each builder adds to a graph the nodes that compute one loss from values
 * already in it (projected patch features, discriminator logits, images) and
 * returns the loss as a (1) value; its backward pass comes from the engine's
 * autodiff, so every backend that runs the ops runs the loss.  Formulas and the
 * points where the official code differs from the papers are in each file's
 * doc comment and in /work/shared/METHODS.md §2.
 *
 * Contrastive losses take q (B·P, C), the unit feature rows of the translated
 * image (queries), and k (B·P, C), those of the source image at the same
 * locations (keys), B images of P locations each, rows ordered image by image
 * (as gcut_gather_locations gives them).  Keys are detached inside the loss.
 * s_ij = q_i·k_j; "groups" are the sets of rows that are each other's
 * negatives: each image (the official default) or the whole minibatch
 * (official nce_includes_all_negatives_from_minibatch, used by SinCUT).
 *
 * Errors follow the graph's rules (gcut-graph.h): an invalid option (named in
 * the message) or a shape mismatch is recorded in the graph and the builder
 * returns GCUT_NONE.
 */
#pragma once

#include <gcut/gcut.h>

G_BEGIN_DECLS

/* Options shared by the contrastive losses. */
typedef struct
{
  int batch; /* B ≥ 1; the rows of q and k must be a multiple of it */
  gboolean all_negatives_from_minibatch; /* one group of B·P rows instead of B of P */
  float tau;                             /* temperature τ > 0 (0.07) */
} GctNceOptions;

/* batch 1, same-image negatives, τ = 0.07 */
GctNceOptions gct_nce_options_default (void);

/* PatchNCE (patch-nce.c). */
GcutValue gct_patch_nce (GcutGraph *g, GcutValue q, GcutValue k, const GctNceOptions *o);

/* DCE, decoupled (dce.c). */
GcutValue gct_dce (GcutGraph *g, GcutValue q, GcutValue k, const GctNceOptions *o);

/* hDCE (hdce.c). */
typedef enum
{
  GCT_HDCE_OFFICIAL,  /* weights multiply the similarity (Hneg_SRC code) */
  GCT_HDCE_IMPORTANCE /* the paper's importance sampling, weights on e^{s/τ} */
} GctHdceForm;

typedef struct
{
  GctNceOptions nce;
  float gamma; /* Γ > 0 (γ = 1/Γ): the current value of the curriculum */
  GctHdceForm form;
  /* When not GCUT_NONE, a (1, 1) value holding 1/Γ, used instead of gamma: read
   * at every run, so a curriculum moves Γ every step without a new plan. */
  GcutValue inv_gamma;
} GctHdceOptions;

GctHdceOptions gct_hdce_options_default (void); /* Γ = 50, official form */
GcutValue gct_hdce (GcutGraph *g, GcutValue q, GcutValue k, const GctHdceOptions *o);

typedef enum
{
  GCT_GAMMA_LINEAR, /* Γ(t) = Γ0 + (Γ_final − Γ0)·t/T */
  GCT_GAMMA_STEPPED /* the same, then Γ = 1 for t > step_at (cityscapes recipe) */
} GctGammaSchedule;

/* Curriculum value of Γ at step t of T (t clamped to [0, T]). */
double gct_hdce_gamma (gint64 step, gint64 total, double gamma0, double gamma_final,
                       GctGammaSchedule mode, gint64 step_at);

/* SRC (src.c). */
typedef enum
{
  GCT_SRC_JSD, /* the paper's and the official default */
  GCT_SRC_KL,  /* Σ_k KL(P_k ‖ Q_k)        (supplement C.3) */
  GCT_SRC_L1,  /* Σ_k Σ_{j≠k} |k_k·k_j − q_k·q_j| */
  GCT_SRC_L2   /* Σ_k Σ_{j≠k} (k_k·k_j − q_k·q_j)² */
} GctSrcVariant;

typedef struct
{
  int batch;
  gboolean all_from_minibatch; /* relations over all B·P rows (official SRC's view) */
  GctSrcVariant variant;
} GctSrcOptions;

GctSrcOptions gct_src_options_default (void); /* batch 1, per image, JSD */
GcutValue gct_src (GcutGraph *g, GcutValue q, GcutValue k, const GctSrcOptions *o);

/* WeightNCE (weight-nce.c). */
typedef struct
{
  GctNceOptions nce;
  float beta;              /* β > 0 (0.1) */
  float q_weight;          /* Q > 0 (1) */
  gboolean detach_weights; /* FALSE: gradients also flow through w */
} GctWeightNceOptions;

GctWeightNceOptions gct_weight_nce_options_default (void);
GcutValue gct_weight_nce (GcutGraph *g, GcutValue q, GcutValue k,
                          const GctWeightNceOptions *o);

/* MoNCE (monce.c). */
typedef enum
{
  GCT_MONCE_HARD, /* K = e^{s/β}: unpaired translation */
  GCT_MONCE_EASY  /* K = e^{(1−s)/β}: paired translation */
} GctMonceCost;

typedef struct
{
  GctNceOptions nce;
  float beta;     /* β > 0 (0.1 in the horse→zebra recipe; official code default 1) */
  float q_weight; /* Q > 0 (1) */
  GctMonceCost cost;
  int iterations; /* Sinkhorn iterations ≥ 1 (50) */
} GctMonceOptions;

GctMonceOptions gct_monce_options_default (void);
GcutValue gct_monce (GcutGraph *g, GcutValue q, GcutValue k, const GctMonceOptions *o);
/* The transport plan T (groups, n, n) alone, n rows per group, as the
 * official sinkhorn() returns it (T_ij between query i and key j). */
GcutValue gct_monce_plan (GcutGraph *g, GcutValue q, GcutValue k,
                          const GctMonceOptions *o);

/* GAN losses (gan.c), on discriminator logit maps of any shape. */
typedef enum
{
  GCT_GAN_LSGAN, /* CUT, FastCUT, hDCE+SRC, MoNCE */
  GCT_GAN_NONSAT /* SinCUT (with R1, which is not a loss of this file) */
} GctGanMode;

/* Discriminator loss from D(y) (real) and D(G(x)) (fake, detached by the caller). */
GcutValue gct_gan_d (GcutGraph *g, GcutValue real, GcutValue fake, GctGanMode mode);
/* Generator loss from D(G(x)). */
GcutValue gct_gan_g (GcutGraph *g, GcutValue fake, GctGanMode mode);

/* L1 identity (identity.c): mean |G(y) − y|, same shapes. */
GcutValue gct_l1_identity (GcutGraph *g, GcutValue gy, GcutValue y);

G_END_DECLS
