/* gegl-cut training: the trainer (gct-trainer.h). */
#include <math.h>
#include <string.h>

#include <gcp/gcp-network-io.h>

#include "gct-adam.h"
#include "gct-losses.h"
#include "gct-r1.h"
#include "gct-random.h"
#include "gct-sampling.h"
#include "gct-trainer.h"

G_DEFINE_QUARK (gct - trainer - error - quark, gct_trainer_error)

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
static const char *const loss_names[N_L]
    = { "D", "R1", "G_GAN", "NCE_X", "NCE_Y", "SRC", "L1_idt", "G" };

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
  GcutNetwork *G, *D, *F;
  GctAdam *adam_G, *adam_D, *adam_F;
  GctSampler *sx, *sy;
  GctRng rng[N_RNG]; /* crops, patches, noise */
  gint64 step;
  int batch, crop;
  float inv_gamma; /* hDCE: 1/Γ of this step */

  gboolean use[N_L];
  int n_used, used[N_L]; /* indices into loss_names of the reported losses */
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

  GArray *history;                   /* floats, n_used per step */
  GctImage content_info, style_info; /* sizes only */
  char *content_sha, *style_sha;
  double seconds; /* training time, including before a resume */

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

static void
step_plan_clear (StepPlan *p)
{
  g_clear_pointer (&p->plan, gcut_plan_free);
  g_clear_pointer (&p->graph, gcut_graph_free);
  g_clear_pointer (&p->wrt, g_free);
}

void
gct_trainer_free (GctTrainer *t)
{
  if (!t)
    return;
  step_plan_clear (&t->dplan);
  step_plan_clear (&t->gplan);
  g_clear_pointer (&t->r1, gct_r1_free);
  g_clear_pointer (&t->G, gcut_network_free);
  g_clear_pointer (&t->D, gcut_network_free);
  g_clear_pointer (&t->F, gcut_network_free);
  g_clear_pointer (&t->adam_G, gct_adam_free);
  g_clear_pointer (&t->adam_D, gct_adam_free);
  g_clear_pointer (&t->adam_F, gct_adam_free);
  g_clear_pointer (&t->sx, gct_sampler_free);
  g_clear_pointer (&t->sy, gct_sampler_free);
  g_clear_pointer (&t->recipe, gcp_recipe_free);
  g_free (t->xbuf);
  g_free (t->ybuf);
  g_free (t->xin);
  g_free (t->yin);
  g_free (t->fake);
  for (int s = 0; s < 2; s++)
    for (int l = 0; l < NT; l++)
      {
        if (t->idx_q[s][l] != t->idx_k[s][l])
          g_free (t->idx_q[s][l]);
        g_free (t->idx_k[s][l]);
      }
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < MAX_NOISE; i++)
      g_free (t->noise[s][i]);
  g_free (t->perm);
  g_free (t->scratch);
  if (t->history)
    g_array_unref (t->history);
  g_free (t->content_sha);
  g_free (t->style_sha);
  g_free (t->ckpt_path);
  g_free (t->last_good);
  g_free (t);
}

/* ---- graphs ---- */

static gboolean
flip_equivariance (const GctTrainer *t)
{
  return t->recipe->nce.flip_equivariance;
}

static GcutValue
contrastive (GctTrainer *t, GcutGraph *g, GcutValue q, GcutValue k, GcutValue inv_gamma)
{
  const GcpRecipe *r = t->recipe;
  GctNceOptions nce = gct_nce_options_default ();
  nce.batch = t->batch;
  nce.all_negatives_from_minibatch = r->nce.negatives == GCP_NEGATIVES_ACROSS_CROPS;
  nce.tau = (float)r->nce.tau;
  switch (r->nce.kind)
    {
    case GCP_NCE_PATCHNCE:
      return gct_patch_nce (g, q, k, &nce);
    case GCP_NCE_DCE:
      return gct_dce (g, q, k, &nce);
    case GCP_NCE_HDCE:
      {
        GctHdceOptions o = gct_hdce_options_default ();
        o.nce = nce;
        o.inv_gamma = inv_gamma;
        o.form = r->nce.hdce_form == GCP_HDCE_PAPER ? GCT_HDCE_IMPORTANCE
                                                    : GCT_HDCE_OFFICIAL;
        return gct_hdce (g, q, k, &o);
      }
    case GCP_NCE_WEIGHTNCE:
      {
        GctWeightNceOptions o = gct_weight_nce_options_default ();
        o.nce = nce;
        o.beta = (float)r->nce.beta;
        o.q_weight = (float)r->nce.q;
        return gct_weight_nce (g, q, k, &o);
      }
    case GCP_NCE_MONCE:
      {
        GctMonceOptions o = gct_monce_options_default ();
        o.nce = nce;
        o.beta = (float)r->nce.beta;
        o.q_weight = (float)r->nce.q;
        o.cost = r->nce.monce_cost == GCP_MONCE_EASY ? GCT_MONCE_EASY : GCT_MONCE_HARD;
        o.iterations = r->nce.sinkhorn_iters;
        return gct_monce (g, q, k, &o);
      }
    }
  return GCUT_NONE;
}

static GcutShape
image_shape (int b, int s)
{
  return (GcutShape){ 4, { b, 3, s, s } };
}

/* The networks by kind.  noise: G's inputs for a full pass (unused by the
 * ResNet G and by encode_only passes). */
static GcutValue
build_g (GctTrainer *t, GcutGraph *g, GcutValue x, const GcutValue *noise,
         GcutValue *taps, gboolean encode_only)
{
  if (gcut_network_kind (t->G) == GCUT_NETWORK_STYLEGAN2_GENERATOR)
    return gcut_stylegan2_generator_build (t->G, g, x, noise, taps, encode_only);
  return gcut_resnet_generator_build (t->G, g, x, taps, encode_only);
}

static GcutValue
build_d (GctTrainer *t, GcutGraph *g, GcutValue x)
{
  if (gcut_network_kind (t->D) == GCUT_NETWORK_STYLEGAN2_DISCRIMINATOR)
    return gcut_stylegan2_discriminator_build (t->D, g, x);
  return gcut_patchgan_build (t->D, g, x);
}

/* The inputs for G's noise on one side's batch (none for the ResNet G). */
static const GcutValue *
noise_inputs (GctTrainer *t, StepPlan *p, GcutGraph *g, int side)
{
  for (int i = 0; i < t->n_noise; i++)
    {
      char name[32];
      g_snprintf (name, sizeof name, "noise_%s%d", side ? "y" : "x", i);
      p->noise[side][i] = gcut_input (g, name,
                                      gcut_stylegan2_generator_noise_shape (
                                          t->G, image_shape (t->batch, t->crop), i));
    }
  return p->noise[side];
}

/* The sum of a list of (1) values times w / n. */
static GcutValue
mean_times (GcutGraph *g, const GcutValue *v, int n, double w)
{
  GcutValue s = v[0];
  for (int i = 1; i < n; i++)
    s = gcut_add (g, s, v[i]);
  return gcut_affine (g, s, (float)(w / n), 0.0f);
}

/* The contrastive term(s) of one side: translation out of G's input, keys
 * from the source's taps.  Returns the tap mean of the loss; src (may be NULL)
 * receives the tap mean of SRC. */
static GcutValue
side_losses (GctTrainer *t, StepPlan *p, int side, GcutValue out, const GcutValue *ktaps,
             GcutValue *src)
{
  GcutGraph *g = p->graph;
  /* zeroed: GCC cannot see that the first n_taps ≥ 1 get set */
  GcutValue qtaps[NT], l[NT] = { 0 }, s[NT] = { 0 };
  const char *names[2] = { "x", "y" };

  build_g (t, g, out, NULL, qtaps, TRUE);
  for (int i = 0; i < t->n_taps; i++)
    {
      char name[32];
      g_snprintf (name, sizeof name, "idx_k_%s%d", names[side], i);
      p->idx_k[side][i] = gcut_input_indices (g, name, t->n_patches[i]);
      if (flip_equivariance (t))
        {
          g_snprintf (name, sizeof name, "idx_q_%s%d", names[side], i);
          p->idx_q[side][i] = gcut_input_indices (g, name, t->n_patches[i]);
        }
      else
        p->idx_q[side][i] = p->idx_k[side][i];
      GcutValue k = gcut_patch_heads_build (t->F, g, i, ktaps[i], p->idx_k[side][i]);
      GcutValue q = gcut_patch_heads_build (t->F, g, i, qtaps[i], p->idx_q[side][i]);
      l[i] = contrastive (t, g, q, k, p->inv_gamma);
      if (src)
        {
          GctSrcOptions so = gct_src_options_default ();
          so.batch = t->batch;
          so.all_from_minibatch = t->recipe->nce.negatives == GCP_NEGATIVES_ACROSS_CROPS;
          so.variant = t->recipe->src.variant == GCP_SRC_KL ? GCT_SRC_KL : GCT_SRC_JSD;
          s[i] = gct_src (g, q, k, &so);
        }
    }
  if (src)
    *src = mean_times (g, s, t->n_taps, 1.0);
  return mean_times (g, l, t->n_taps, 1.0);
}

static gboolean
build_d_plan (GctTrainer *t, GError **error)
{
  StepPlan *p = &t->dplan;
  GcutGraph *g;
  gsize n = gcut_network_n_params (t->D);
  GctGanMode mode
      = t->recipe->gan.kind == GCP_GAN_NONSATURATING ? GCT_GAN_NONSAT : GCT_GAN_LSGAN;

  p->graph = g = gcut_graph_new ();
  p->fake = gcut_input (g, "fake", image_shape (t->batch, t->crop));
  p->y = gcut_input (g, "y", image_shape (t->batch, t->crop));
  GcutValue real = build_d (t, g, p->y);
  p->loss[L_D] = gct_gan_d (g, real, build_d (t, g, p->fake), mode);
  p->wrt = g_new (GcutValue, n);
  gcut_network_values (t->D, g, p->wrt);
  if (!gcut_graph_check (g, error))
    return FALSE;
  p->plan = gcut_plan_new (g, t->backend,
                           &(GcutPlanSpec){ .outputs = &p->loss[L_D],
                                            .n_outputs = 1,
                                            .seeds = &p->loss[L_D],
                                            .n_seeds = 1,
                                            .wrt = p->wrt,
                                            .n_wrt = (int)n,
                                            .precision = t->precision },
                           error);
  return p->plan != NULL;
}

static gboolean
build_g_plan (GctTrainer *t, GError **error)
{
  StepPlan *p = &t->gplan;
  const GcpRecipe *r = t->recipe;
  GcutGraph *g;
  GcutValue xtaps[NT], ytaps[NT], fx, fy = GCUT_NONE, outputs[1 + N_L];
  gsize ng = gcut_network_n_params (t->G), nf = gcut_network_n_params (t->F);
  GctGanMode mode = r->gan.kind == GCP_GAN_NONSATURATING ? GCT_GAN_NONSAT : GCT_GAN_LSGAN;
  gboolean need_y = t->use[L_NCE_Y] || t->use[L_L1];
  int n_out = 0;

  step_plan_clear (p);
  for (int i = 0; i < N_L; i++)
    p->loss[i] = GCUT_NONE;
  p->graph = g = gcut_graph_new ();
  p->inv_gamma = r->nce.kind == GCP_NCE_HDCE ? gcut_param (
                     g, "hdce.inv_gamma", (GcutShape){ 2, { 1, 1 } }, &t->inv_gamma, NULL)
                                             : GCUT_NONE;
  p->x = gcut_input (g, "x", image_shape (t->batch, t->crop));
  p->y = need_y ? gcut_input (g, "y", image_shape (t->batch, t->crop)) : GCUT_NONE;
  p->xsrc = p->ysrc = GCUT_NONE;

  /* G(x) first: the step runs the plan as far as G(x) before the D update. */
  p->fake = fx = build_g (t, g, p->x, noise_inputs (t, p, g, 0), xtaps, FALSE);
  if (need_y)
    fy = build_g (t, g, p->y, noise_inputs (t, p, g, 1), ytaps, FALSE);
  if (flip_equivariance (t))
    {
      /* G translated the flipped crops: keys from the encoder on the originals. */
      p->xsrc = gcut_input (g, "x_src", image_shape (t->batch, t->crop));
      build_g (t, g, p->xsrc, NULL, xtaps, TRUE);
      if (need_y)
        {
          p->ysrc = gcut_input (g, "y_src", image_shape (t->batch, t->crop));
          build_g (t, g, p->ysrc, NULL, ytaps, TRUE);
        }
    }
  p->loss[L_GAN] = gct_gan_g (g, build_d (t, g, fx), mode);
  p->loss[L_NCE_X]
      = side_losses (t, p, 0, fx, xtaps, t->use[L_SRC] ? &p->loss[L_SRC] : NULL);
  if (t->use[L_NCE_Y])
    p->loss[L_NCE_Y] = side_losses (t, p, 1, fy, ytaps, NULL);
  if (t->use[L_L1])
    p->loss[L_L1] = gct_l1_identity (g, fy, p->y);

  GcutValue total = gcut_affine (g, p->loss[L_GAN], (float)r->gan.weight, 0.0f);
  GcutValue nce = t->use[L_NCE_Y]
                      ? gcut_affine (g, gcut_add (g, p->loss[L_NCE_X], p->loss[L_NCE_Y]),
                                     (float)(0.5 * r->nce.weight), 0.0f)
                      : gcut_affine (g, p->loss[L_NCE_X], (float)r->nce.weight, 0.0f);
  total = gcut_add (g, total, nce);
  if (t->use[L_SRC])
    total = gcut_add (g, total,
                      gcut_affine (g, p->loss[L_SRC], (float)r->src.weight, 0.0f));
  if (t->use[L_L1])
    total = gcut_add (g, total,
                      gcut_affine (g, p->loss[L_L1], (float)r->identity_l1.weight, 0.0f));
  p->loss[L_G] = total;

  outputs[n_out++] = fx;
  for (int i = L_GAN; i < N_L; i++)
    if (t->use[i])
      outputs[n_out++] = p->loss[i];
  p->wrt = g_new (GcutValue, ng + nf);
  gcut_network_values (t->G, g, p->wrt);
  gcut_network_values (t->F, g, p->wrt + ng);
  if (!gcut_graph_check (g, error))
    return FALSE;
  p->plan = gcut_plan_new (g, t->backend,
                           &(GcutPlanSpec){ .outputs = outputs,
                                            .n_outputs = n_out,
                                            .seeds = &p->loss[L_G],
                                            .n_seeds = 1,
                                            .wrt = p->wrt,
                                            .n_wrt = (int)(ng + nf),
                                            .precision = t->precision },
                           error);
  return p->plan != NULL;
}

/* ---- making a trainer ---- */

static char *
image_sha (const GctImage *image)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)image->rgba,
                                      (gsize)image->width * image->height * 4
                                          * sizeof (float));
}

/* D of the recipe's kind.  The StyleGAN2-lite D is sized as the official
 * code does, the crop rounded to a power of two in log2, and takes only sides
 * from that size to 5/4 of it less one. */
static GcutNetwork *
discriminator_new (const GcpRecipe *r, GError **error)
{
  int crop = r->sampling.crop_size, size;

  if (r->discriminator.kind == GCP_DISCRIMINATOR_PATCHGAN)
    return gcut_patchgan_new (&(GcutPatchGanConfig){
        r->discriminator.ndf, r->discriminator.n_layers, r->discriminator.antialias });
  size = 1 << (int)lrint (log2 (crop));
  if (size > 1024 || crop < size || crop > size * 5 / 4 - 1)
    {
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_UNSUPPORTED,
                   "sampling.crop_size: the stylegan2-lite discriminator takes crops of "
                   "2^k to 5/4·2^k − 1 pixels (k up to 10: 64 to 79, 128 to 159, …), "
                   "got %d",
                   crop);
      return NULL;
    }
  return gcut_stylegan2_discriminator_new (
      &(GcutStyleGan2DiscriminatorConfig){ r->discriminator.ndf, size });
}

/* The official initializations: xavier_normal (gain 0.02) for the ResNet G,
 * PatchGAN D and F; the StyleGAN2-lite networks keep their own (init_net
 * skips them). */
static void
init_network (GcutNetwork *net, guint64 seed)
{
  GcutNetworkKind k = gcut_network_kind (net);
  if (k == GCUT_NETWORK_STYLEGAN2_GENERATOR || k == GCUT_NETWORK_STYLEGAN2_DISCRIMINATOR)
    gcut_stylegan2_init (net, seed);
  else
    gcut_network_init_xavier (net, 0.02f, seed);
}

static GctTrainer *
trainer_make (const GcpRecipe *recipe, const GctImage *content, const GctImage *style,
              GcutBackend *backend, GError **error)
{
  g_autoptr (GctTrainer) t = g_new0 (GctTrainer, 1);
  const GcpRecipe *r;
  GctRng init;
  int taps_c[NT];

  if (!gcp_recipe_validate (recipe, error))
    return NULL;
  t->recipe = gcp_recipe_copy (recipe);
  r = t->recipe;
  t->backend = backend ? backend : gcut_backend_cpu ();
  t->precision = gcp_recipe_engine_precision (r);
  t->batch = r->sampling.batch;
  t->crop = r->sampling.crop_size;
  t->ckpt_step = -1;

  GctSamplingConfig sc
      = { .mode = r->sampling.mode == GCP_SAMPLING_ZOOM_CROPS ? GCT_SAMPLING_ZOOM_CROPS
                                                              : GCT_SAMPLING_RESIZE_CROP,
          .load_size = r->sampling.load_size,
          .crop_size = r->sampling.crop_size,
          .zoom_min = r->sampling.zoom_min,
          .zoom_max = r->sampling.zoom_max,
          .flip = r->sampling.flip };
  t->sx = gct_sampler_new (content, &sc, error);
  if (!t->sx)
    return NULL;
  t->sy = gct_sampler_new (style, &sc, error);
  if (!t->sy)
    return NULL;
  t->content_info = (GctImage){ content->width, content->height, NULL };
  t->style_info = (GctImage){ style->width, style->height, NULL };
  t->content_sha = image_sha (content);
  t->style_sha = image_sha (style);

  t->G = gcp_generator_new (&r->generator, error);
  if (!t->G || !(t->D = discriminator_new (r, error)))
    return NULL;
  gboolean sg2 = gcut_network_kind (t->G) == GCUT_NETWORK_STYLEGAN2_GENERATOR;
  t->n_taps = sg2 ? GCUT_STYLEGAN2_N_TAPS : GCUT_GENERATOR_N_TAPS;
  for (int i = 0; i < t->n_taps; i++)
    taps_c[i] = sg2 ? gcut_stylegan2_generator_tap_channels (t->G, i)
                    : gcut_resnet_generator_tap_channels (t->G, i);
  t->F = gcut_patch_heads_new (taps_c, t->n_taps, r->heads.nc);
  gct_rng_init (&init, (guint64)r->seed, GCT_STREAM_INIT);
  init_network (t->G, gct_rng_next_u64 (&init));
  init_network (t->D, gct_rng_next_u64 (&init));
  init_network (t->F, gct_rng_next_u64 (&init));
  t->n_noise = sg2 ? gcut_stylegan2_generator_n_noise (t->G) : 0;
  g_assert (t->n_noise <= MAX_NOISE);
  for (int i = 0; i < t->n_noise; i++)
    {
      t->noise_shape[i] = gcut_stylegan2_generator_noise_shape (
          t->G, image_shape (t->batch, t->crop), i);
      for (int side = 0; side < 2; side++)
        t->noise[side][i] = g_new (float, gcut_shape_numel (&t->noise_shape[i]));
    }
  gct_rng_init (&t->rng[0], (guint64)r->seed, GCT_STREAM_CROPS);
  gct_rng_init (&t->rng[1], (guint64)r->seed, GCT_STREAM_PATCHES);
  gct_rng_init (&t->rng[2], (guint64)r->seed, GCT_STREAM_NOISE);

  GctAdamConfig ac
      = { r->optimizer.lr, r->optimizer.beta1, r->optimizer.beta2, r->optimizer.eps };
  gsize n;
  gcut_network_data (t->G, &n);
  t->adam_G = gct_adam_new (n, &ac);
  gcut_network_data (t->D, &n);
  t->adam_D = gct_adam_new (n, &ac);
  gcut_network_data (t->F, &n);
  t->adam_F = gct_adam_new (n, &ac);

  /* Which losses this recipe reports. */
  t->use[L_D] = t->use[L_GAN] = t->use[L_NCE_X] = t->use[L_G] = TRUE;
  t->use[L_NCE_Y] = r->nce.identity;
  t->use[L_SRC] = r->src.weight > 0;
  t->use[L_L1] = r->identity_l1.weight > 0;
  t->use[L_R1] = r->r1.weight > 0;
  for (int i = 0; i < N_L; i++)
    if (t->use[i])
      {
        t->names[t->n_used] = loss_names[i];
        t->used[t->n_used++] = i;
      }
  /* Room for the whole run (up to 16M values), so steps do not reallocate. */
  t->history = g_array_sized_new (
      FALSE, FALSE, sizeof (float),
      (guint)(MIN (r->schedule.steps, ((gint64)1 << 24) / t->n_used) * t->n_used));

  /* Plans; the tap shapes (hence P per tap) come from the D graph's G. */
  if (!build_d_plan (t, error))
    return NULL;
  if (t->use[L_R1]
      && !(t->r1 = gct_r1_new (t->D, t->backend, t->batch, t->crop, GCT_R1_EPS, error)))
    return NULL;
  {
    g_autoptr (GcutGraph) g = gcut_graph_new ();
    GcutValue taps[NT];
    build_g (t, g, gcut_input (g, "x", image_shape (1, t->crop)), NULL, taps, TRUE);
    if (!gcut_graph_check (g, error))
      return NULL;
    guint32 max_hw = 1;
    for (int i = 0; i < t->n_taps; i++)
      {
        GcutShape s = gcut_graph_shape (g, taps[i]);
        t->tap_w[i] = (int)s.dims[3];
        t->tap_hw[i] = (int)(s.dims[2] * s.dims[3]);
        t->n_patches[i] = MIN (r->heads.n_patches, t->tap_hw[i]);
        max_hw = MAX (max_hw, (guint32)t->tap_hw[i]);
        for (int side = 0; side < 2; side++)
          {
            t->idx_k[side][i] = g_new (gint32, t->n_patches[i]);
            t->idx_q[side][i] = flip_equivariance (t) ? g_new (gint32, t->n_patches[i])
                                                      : t->idx_k[side][i];
          }
      }
    t->perm = g_new (guint32, max_hw);
    t->scratch = g_new (guint32, max_hw);
  }
  if (!build_g_plan (t, error))
    return NULL;

  gsize img = (gsize)t->batch * 3 * t->crop * t->crop;
  t->xbuf = g_new (float, img);
  t->ybuf = g_new (float, img);
  t->xin = g_new (float, img);
  t->yin = g_new (float, img);
  t->fake = g_new (float, img);
  return g_steal_pointer (&t);
}

GctTrainer *
gct_trainer_new (const GcpRecipe *recipe, const GctImage *content, const GctImage *style,
                 GcutBackend *backend, GError **error)
{
  return trainer_make (recipe, content, style, backend, error);
}

/* ---- one step ---- */

static void
flip_images (const float *src, float *dst, int n_images, int s)
{
  for (gsize row = 0; row < (gsize)n_images * 3 * s; row++)
    for (int x = 0; x < s; x++)
      dst[row * s + x] = src[row * s + (s - 1 - x)];
}

static gboolean
numeric_error (GctTrainer *t, GError **error, const char *what)
{
  g_autofree char *last
      = t->ckpt_step >= 0 && t->last_good
            ? g_strdup_printf ("the last good checkpoint is %s (step %" G_GINT64_FORMAT
                               ")",
                               t->last_good, t->ckpt_step)
            : g_strdup ("no checkpoint was written before it");
  g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_NUMERIC,
               "%s became NaN or infinite at step %" G_GINT64_FORMAT "; %s", what,
               t->step + 1, last);
  return FALSE;
}

static gboolean
network_finite (GcutNetwork *net)
{
  gsize n;
  const float *d = gcut_network_data (net, &n);
  int bad = 0;
#pragma omp parallel for reduction(| : bad) schedule(static)
  for (gsize i = 0; i < n; i++)
    bad |= !isfinite (d[i]);
  return !bad;
}

static void
sample_patches (GctTrainer *t, int side, gboolean flipped)
{
  for (int i = 0; i < t->n_taps; i++)
    {
      gct_rng_permutation_prefix (&t->rng[1], (guint32)t->tap_hw[i],
                                  (guint32)t->n_patches[i], t->perm, t->scratch);
      for (int j = 0; j < t->n_patches[i]; j++)
        t->idx_k[side][i][j] = (gint32)t->perm[j];
      if (t->idx_q[side][i] != t->idx_k[side][i])
        for (int j = 0; j < t->n_patches[i]; j++)
          {
            /* The translation is of the flipped crop: the same place mirrored. */
            gint32 v = t->idx_k[side][i][j], w = t->tap_w[i];
            t->idx_q[side][i][j] = flipped ? v - v % w + (w - 1 - v % w) : v;
          }
    }
}

gboolean
gct_trainer_step (GctTrainer *t, GError **error)
{
  const GcpRecipe *r = t->recipe;
  StepPlan *d = &t->dplan, *p;
  gboolean flipped = FALSE;
  const float one = 1.0f;
  float v;
  double lr = gct_lr_linear (r->optimizer.lr, t->step, r->schedule.decay_start,
                             r->schedule.steps - r->schedule.decay_start);
  gsize n;

  /* hDCE's curriculum, per step as the official code (the plan reads it). */
  t->inv_gamma = (float)(1.0
                         / gct_hdce_gamma (t->step, r->schedule.steps, r->nce.gamma_start,
                                           r->nce.gamma_end,
                                           r->nce.gamma_schedule == GCP_GAMMA_STEPPED
                                               ? GCT_GAMMA_STEPPED
                                               : GCT_GAMMA_LINEAR,
                                           r->nce.gamma_step_at));
  p = &t->gplan;

  /* 1. crops and patch locations */
  gct_sampler_sample (t->sx, &t->rng[0], t->batch, t->xbuf);
  gct_sampler_sample (t->sy, &t->rng[0], t->batch, t->ybuf);
  if (flip_equivariance (t))
    flipped = gct_rng_coin (&t->rng[2]);
  if (flipped)
    {
      flip_images (t->xbuf, t->xin, t->batch, t->crop);
      flip_images (t->ybuf, t->yin, t->batch, t->crop);
    }
  sample_patches (t, 0, flipped);
  if (t->use[L_NCE_Y])
    sample_patches (t, 1, flipped);
  const float *xin = flipped ? t->xin : t->xbuf, *yin = flipped ? t->yin : t->ybuf;
  /* G's noise (StyleGAN2-lite), one draw per step and side. */
  for (int side = 0; side < (p->y != GCUT_NONE ? 2 : 1); side++)
    for (int i = 0; i < t->n_noise; i++)
      {
        gint64 len = gcut_shape_numel (&t->noise_shape[i]);
        for (gint64 j = 0; j < len; j++)
          t->noise[side][i][j] = (float)gct_rng_normal (&t->rng[2]);
      }
  if (t->observer)
    {
      GctStepInputs in = { .step = t->step,
                           .batch = t->batch,
                           .crop = t->crop,
                           .x = t->xbuf,
                           .y = t->ybuf,
                           .flipped = flipped,
                           .n_taps = t->n_taps,
                           .n_noise = t->n_noise };
      for (int i = 0; i < t->n_taps; i++)
        {
          in.n_patches[i] = t->n_patches[i];
          in.idx[0][i] = t->idx_k[0][i];
          in.idx[1][i] = t->use[L_NCE_Y] ? t->idx_k[1][i] : NULL;
        }
      for (int i = 0; i < t->n_noise; i++)
        {
          in.noise_shape[i] = t->noise_shape[i];
          in.noise[0][i] = t->noise[0][i];
          in.noise[1][i] = p->y != GCUT_NONE ? t->noise[1][i] : NULL;
        }
      t->observer (&in, t->observer_data);
    }

  /* 2. the G plan's inputs */
  if (!gcut_plan_set_input (p->plan, p->x, xin, error)
      || (p->y != GCUT_NONE && !gcut_plan_set_input (p->plan, p->y, yin, error))
      || (p->xsrc != GCUT_NONE && !gcut_plan_set_input (p->plan, p->xsrc, t->xbuf, error))
      || (p->ysrc != GCUT_NONE
          && !gcut_plan_set_input (p->plan, p->ysrc, t->ybuf, error)))
    return FALSE;
  for (int side = 0; side < (p->y != GCUT_NONE ? 2 : 1); side++)
    for (int i = 0; i < t->n_noise; i++)
      if (!gcut_plan_set_input (p->plan, p->noise[side][i], t->noise[side][i], error))
        return FALSE;
  for (int side = 0; side < 2; side++)
    for (int i = 0; i < t->n_taps && (side == 0 || t->use[L_NCE_Y]); i++)
      if (!gcut_plan_set_indices (p->plan, p->idx_k[side][i], t->idx_k[side][i], error)
          || (p->idx_q[side][i] != p->idx_k[side][i]
              && !gcut_plan_set_indices (p->plan, p->idx_q[side][i], t->idx_q[side][i],
                                         error)))
        return FALSE;
  /* 3. D on G(x), computed once for both updates as in the official code:
   * the G plan runs as far as G(x), and finishes after the D update. */
  if (!gcut_plan_forward_until (p->plan, p->fake, error)
      || !gcut_plan_get_output (p->plan, p->fake, t->fake, error)
      || !gcut_plan_set_input (d->plan, d->fake, t->fake, error)
      || !gcut_plan_set_input (d->plan, d->y, t->ybuf, error)
      || !gcut_plan_forward (d->plan, error)
      || !gcut_plan_get_output (d->plan, d->loss[L_D], &v, error))
    return FALSE;
  t->values[L_D] = v;
  if (!isfinite (v))
    return numeric_error (t, error, "the D loss");
  if (!gcut_plan_set_seed (d->plan, d->loss[L_D], &one, error)
      || !gcut_plan_backward (d->plan, error))
    return FALSE;
  /* R1 on the real crops every interval steps, its gradient times the
   * interval (StyleGAN2's lazy regularization); between, the last value is
   * reported. */
  if (t->r1 && t->step % r->r1.interval == 0)
    {
      if (!gct_r1_apply (t->r1, t->ybuf, r->r1.weight, r->r1.interval, &t->values[L_R1],
                         error))
        return FALSE;
      if (!isfinite (t->values[L_R1]))
        return numeric_error (t, error, "the R1 penalty");
    }
  gct_adam_step (t->adam_D, gcut_network_data (t->D, &n), gcut_network_grads (t->D, &n),
                 lr);
  if (!network_finite (t->D))
    return numeric_error (t, error, "a parameter of D");

  /* 4. G and F, with the updated D */
  if (!gcut_plan_forward (p->plan, error))
    return FALSE;
  for (int i = L_GAN; i < N_L; i++)
    if (t->use[i])
      {
        if (!gcut_plan_get_output (p->plan, p->loss[i], &v, error))
          return FALSE;
        t->values[i] = v;
        if (!isfinite (v))
          {
            g_autofree char *what = g_strdup_printf ("the %s loss", loss_names[i]);
            return numeric_error (t, error, what);
          }
      }
  if (!gcut_plan_set_seed (p->plan, p->loss[L_G], &one, error)
      || !gcut_plan_backward (p->plan, error))
    return FALSE;

  /* 5. Adam on G, then F */
  gct_adam_step (t->adam_G, gcut_network_data (t->G, &n), gcut_network_grads (t->G, &n),
                 lr);
  gct_adam_step (t->adam_F, gcut_network_data (t->F, &n), gcut_network_grads (t->F, &n),
                 lr);
  if (!network_finite (t->G))
    return numeric_error (t, error, "a parameter of G");
  if (!network_finite (t->F))
    return numeric_error (t, error, "a parameter of F");

  for (int i = 0; i < t->n_used; i++)
    {
      float f = (float)t->values[t->used[i]];
      g_array_append_val (t->history, f);
    }
  t->step++;
  return TRUE;
}

/* ---- running ---- */

void
gct_trainer_cancel (GctTrainer *t)
{
  g_atomic_int_set (&t->cancel, 1);
}

gboolean
gct_trainer_run (GctTrainer *t, gint64 until, GError **error)
{
  gint64 start = g_get_monotonic_time (), first = t->step, last_time = start;
  double values[N_L];

  if (until <= 0)
    until = t->recipe->schedule.steps;
  while (t->step < until)
    {
      if (g_atomic_int_get (&t->cancel))
        {
          g_autoptr (GError) ckpt_error = NULL;
          gboolean saved = t->ckpt_step == t->step && t->last_good && t->ckpt_path
                           && !strcmp (t->last_good, t->ckpt_path);
          if (t->ckpt_path && !saved
              && !gct_trainer_save_checkpoint (t, t->ckpt_path, &ckpt_error))
            {
              g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED,
                           "cancelled at step %" G_GINT64_FORMAT
                           ", but the checkpoint could not be written: %s",
                           t->step, ckpt_error->message);
              return FALSE;
            }
          if (t->ckpt_path)
            g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED,
                         "cancelled at step %" G_GINT64_FORMAT
                         "; the checkpoint %s holds it",
                         t->step, t->ckpt_path);
          else
            g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED,
                         "cancelled at step %" G_GINT64_FORMAT, t->step);
          return FALSE;
        }
      if (!gct_trainer_step (t, error))
        return FALSE;
      gint64 now = g_get_monotonic_time ();
      t->seconds += (now - last_time) / 1e6;
      last_time = now;
      if (t->ckpt_path && t->ckpt_every > 0 && t->step % t->ckpt_every == 0
          && !gct_trainer_save_checkpoint (t, t->ckpt_path, error))
        return FALSE;
      if (t->progress)
        {
          double elapsed = (now - start) / 1e6;
          double its = elapsed > 0 ? (t->step - first) / elapsed : 0;
          for (int i = 0; i < t->n_used; i++)
            values[i] = t->values[t->used[i]];
          GctProgress pr = { .step = t->step,
                             .total = until,
                             .n_losses = t->n_used,
                             .names = t->names,
                             .values = values,
                             .steps_per_second = its,
                             .eta_seconds = its > 0 ? (until - t->step) / its : -1 };
          if (!t->progress (&pr, t->progress_data))
            gct_trainer_cancel (t);
        }
    }
  return TRUE;
}

/* ---- accessors ---- */

const GcpRecipe *
gct_trainer_recipe (const GctTrainer *t)
{
  return t->recipe;
}
GcutNetwork *
gct_trainer_generator (GctTrainer *t)
{
  return t->G;
}
GcutNetwork *
gct_trainer_discriminator (GctTrainer *t)
{
  return t->D;
}
GcutNetwork *
gct_trainer_heads (GctTrainer *t)
{
  return t->F;
}
gint64
gct_trainer_step_count (const GctTrainer *t)
{
  return t->step;
}
gint64
gct_trainer_total_steps (const GctTrainer *t)
{
  return t->recipe->schedule.steps;
}
const char *const *
gct_trainer_loss_names (const GctTrainer *t, int *n_losses)
{
  if (n_losses)
    *n_losses = t->n_used;
  return t->names;
}
const float *
gct_trainer_loss_history (const GctTrainer *t, gint64 *n_steps)
{
  if (n_steps)
    *n_steps = t->n_used ? (gint64)t->history->len / t->n_used : 0;
  return (const float *)t->history->data;
}
void
gct_trainer_set_progress (GctTrainer *t, GctProgressFunc func, gpointer user_data)
{
  t->progress = func;
  t->progress_data = user_data;
}
void
gct_trainer_set_step_observer (GctTrainer *t, GctStepObserver func, gpointer user_data)
{
  t->observer = func;
  t->observer_data = user_data;
}
void
gct_trainer_set_checkpoint (GctTrainer *t, const char *path, gint64 every)
{
  g_free (t->ckpt_path);
  t->ckpt_path = g_strdup (path);
  t->ckpt_every = every;
}
gint64
gct_trainer_last_checkpoint_step (const GctTrainer *t)
{
  return t->ckpt_step;
}

/* ---- files ---- */

char *
gct_trainer_training_json (GctTrainer *t)
{
  GcpLossValue losses[N_L];
  g_autofree char *device = g_strdup (gcut_backend_name (t->backend));
  for (int i = 0; i < t->n_used; i++)
    losses[i] = (GcpLossValue){ t->names[i], t->step > 0 ? t->values[t->used[i]] : 0 };
  GcpTrainingRecord rec
      = { .steps = t->step,
          .seconds = t->seconds,
          .device = device,
          .losses = losses,
          .n_losses = t->step > 0 ? t->n_used : 0,
          .content = { t->content_info.width, t->content_info.height, t->content_sha },
          .style = { t->style_info.width, t->style_info.height, t->style_sha } };
  return gcp_training_record_to_json (&rec);
}

gboolean
gct_trainer_save_model (GctTrainer *t, const char *path, GError **error)
{
  g_autofree char *recipe = gcp_recipe_to_json (t->recipe);
  g_autofree char *training = gct_trainer_training_json (t);
  return gcp_model_save (path, t->G, &t->recipe->generator, recipe, training, NULL, t->F,
                         error);
}

gboolean
gct_trainer_save_checkpoint (GctTrainer *t, const char *path, GError **error)
{
  g_autofree char *recipe = gcp_recipe_to_json (t->recipe);
  g_autofree char *training = gct_trainer_training_json (t);
  GcpSafetensorsWriter *w
      = gcp_model_writer_new (t->G, &t->recipe->generator, recipe, training);
  gint64 rng_shape[2] = { N_RNG, RNG_WORDS };
  gint64 n_steps;
  gct_trainer_loss_history (t, &n_steps);
  gint64 loss_shape[2] = { n_steps, t->n_used };
  gboolean ok;

  gcp_network_add_to (t->D, w, "D.");
  gcp_network_add_to (t->F, w, "F.");
  gct_adam_add_to (t->adam_G, w, "adam.G.");
  gct_adam_add_to (t->adam_D, w, "adam.D.");
  gct_adam_add_to (t->adam_F, w, "adam.F.");
  t->ckpt_step_value = t->step;
  for (int i = 0; i < N_RNG; i++)
    {
      guint64 *o = t->rng_words + i * RNG_WORDS;
      memcpy (o, t->rng[i].s, 4 * sizeof (guint64));
      memcpy (o + 4, &t->rng[i].spare, sizeof (double));
      o[5] = (guint64)t->rng[i].has_spare;
    }
  gcp_safetensors_writer_add (w, "trainer.step", GCP_DTYPE_I64, 0, NULL,
                              &t->ckpt_step_value);
  t->ckpt_seconds = t->seconds;
  gcp_safetensors_writer_add (w, "trainer.seconds", GCP_DTYPE_F64, 0, NULL,
                              &t->ckpt_seconds);
  gcp_safetensors_writer_add (w, "trainer.rng", GCP_DTYPE_U64, 2, rng_shape,
                              t->rng_words);
  gcp_safetensors_writer_add (w, "trainer.losses", GCP_DTYPE_F32, 2, loss_shape,
                              n_steps ? t->history->data : NULL);
  ok = gcp_safetensors_writer_save (w, path, error);
  gcp_safetensors_writer_free (w);
  if (ok)
    {
      t->ckpt_step = t->step;
      g_free (t->last_good);
      t->last_good = g_strdup (path);
    }
  return ok;
}

static const GcpTensorView *
ckpt_tensor (const GcpSafetensors *st, const char *name, GcpDType dtype, int n_dims,
             const gint64 *shape, GError **error)
{
  const GcpTensorView *v = gcp_safetensors_lookup (st, name);
  gboolean ok = v && v->dtype == dtype && v->n_dims == n_dims;
  for (int i = 0; ok && i < n_dims; i++)
    ok = shape[i] < 0 || v->shape[i] == shape[i];
  if (!ok)
    g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                 "%s: missing or of the wrong type or shape; this is not a training "
                 "checkpoint",
                 name);
  return ok ? v : NULL;
}

GctTrainer *
gct_trainer_new_from_checkpoint (const char *path, const GctImage *content,
                                 const GctImage *style, GcutBackend *backend,
                                 gint64 steps, GError **error)
{
  /* A checkpoint is a file even without a '/' (not an installed model name). */
  g_autofree char *file
      = strchr (path, '/') ? g_strdup (path) : g_strconcat ("./", path, NULL);
  g_autoptr (GcpModel) model = gcp_model_load (file, error);
  g_autoptr (GcpRecipe) recipe = NULL;
  g_autoptr (GctTrainer) t = NULL;
  const GcpSafetensors *st;
  const GcpTensorView *v;

  if (!model)
    return NULL;
  if (!gcp_model_recipe_json (model) || !gcp_model_has (model, "adam.G."))
    {
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                   "%s: a model without the training state (no recipe or optimizer "
                   "state); only checkpoints can be resumed",
                   path);
      return NULL;
    }
  recipe = gcp_recipe_parse (gcp_model_recipe_json (model), -1, error);
  if (!recipe)
    {
      g_prefix_error (error, "%s: recipe: ", path);
      return NULL;
    }
  if (steps > 0)
    {
      /* Keep the recipe's proportion of constant rate and decay (as
       * gcut-train --steps does for a fresh run). */
      double frac = recipe->schedule.steps > 0
                        ? (double)recipe->schedule.decay_start / recipe->schedule.steps
                        : 0.5;
      recipe->schedule.steps = steps;
      recipe->schedule.decay_start = (gint64)(frac * steps);
    }
  t = trainer_make (recipe, content, style, backend, error);
  if (!t)
    return NULL;
  st = gcp_model_file (model);
  if (!gcp_model_load_network (model, "G.", t->G, error)
      || !gcp_model_load_network (model, "D.", t->D, error)
      || !gcp_model_load_network (model, "F.", t->F, error)
      || !gct_adam_load (t->adam_G, st, "adam.G.", error)
      || !gct_adam_load (t->adam_D, st, "adam.D.", error)
      || !gct_adam_load (t->adam_F, st, "adam.F.", error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  v = ckpt_tensor (st, "trainer.step", GCP_DTYPE_I64, 0, NULL, error);
  if (!v)
    return NULL;
  memcpy (&t->step, v->data, sizeof (gint64));
  v = ckpt_tensor (st, "trainer.rng", GCP_DTYPE_U64, 2, (gint64[]){ N_RNG, RNG_WORDS },
                   error);
  if (!v)
    return NULL;
  for (int i = 0; i < N_RNG; i++)
    {
      const guint64 *o = (const guint64 *)v->data + i * RNG_WORDS;
      memcpy (t->rng[i].s, o, 4 * sizeof (guint64));
      memcpy (&t->rng[i].spare, o + 4, sizeof (double));
      t->rng[i].has_spare = o[5] != 0;
    }
  v = ckpt_tensor (st, "trainer.losses", GCP_DTYPE_F32, 2, (gint64[]){ -1, t->n_used },
                   error);
  if (!v)
    return NULL;
  if (t->step < 0 || v->shape[0] != t->step)
    {
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                   "%s: the loss history (%" G_GINT64_FORMAT
                   " steps) does not match the step (%" G_GINT64_FORMAT ")",
                   path, v->shape[0], t->step);
      return NULL;
    }
  g_array_append_vals (t->history, v->data, (guint)(v->n_bytes / sizeof (float)));
  if (t->step > 0)
    for (int i = 0; i < t->n_used; i++)
      t->values[t->used[i]] = ((const float *)v->data)[(t->step - 1) * t->n_used + i];
  v = gcp_safetensors_lookup (st, "trainer.seconds");
  if (v && v->dtype == GCP_DTYPE_F64 && v->n_bytes == sizeof (double))
    memcpy (&t->seconds, v->data, sizeof (double));
  t->ckpt_step = t->step;
  t->last_good = g_strdup (path);
  return g_steal_pointer (&t);
}
