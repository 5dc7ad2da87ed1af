/* gegl-cut training: the trainer's D and G step plans and their losses. */
#include "gct-trainer-private.h"

void
gct_step_plan_clear (StepPlan *p)
{
  g_clear_pointer (&p->plan, gcut_plan_free);
  g_clear_pointer (&p->graph, gcut_graph_free);
  g_clear_pointer (&p->wrt, g_free);
}

/* ---- graphs ---- */

/* Room for the values of n parameters, or NULL with an error. */
static GcutValue *
try_values (gsize n, GError **error)
{
  GcutValue *v = g_try_new (GcutValue, n);
  if (!v)
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                 "not enough memory for the %" G_GSIZE_FORMAT " parameters of a plan", n);
  return v;
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
      p->noise[side][i]
          = gcut_input (g, name,
                        gcut_stylegan2_generator_noise_shape (
                            t->G, gct_trainer_image_shape (t->batch, t->crop), i));
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

/* The contrastive terms of one side: translation out of G's input, keys
 * from the source's taps.  nce and src (either may be NULL) receive the tap
 * means of the contrastive loss and of SRC. */
static void
side_losses (GctTrainer *t, StepPlan *p, int side, GcutValue out, const GcutValue *ktaps,
             GcutValue *nce, GcutValue *src)
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
      if (gct_trainer_flip_equivariance (t))
        {
          g_snprintf (name, sizeof name, "idx_q_%s%d", names[side], i);
          p->idx_q[side][i] = gcut_input_indices (g, name, t->n_patches[i]);
        }
      else
        p->idx_q[side][i] = p->idx_k[side][i];
      GcutValue k = gcut_patch_heads_build (t->F, g, i, ktaps[i], p->idx_k[side][i]);
      GcutValue q = gcut_patch_heads_build (t->F, g, i, qtaps[i], p->idx_q[side][i]);
      if (nce)
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
  if (nce)
    *nce = mean_times (g, l, t->n_taps, 1.0);
}

/* total + w·v, starting the sum at the first term. */
static GcutValue
add_term (GcutGraph *g, GcutValue total, GcutValue v, double w)
{
  GcutValue term = gcut_affine (g, v, (float)w, 0.0f);
  return total == GCUT_NONE ? term : gcut_add (g, total, term);
}

gboolean
gct_trainer_build_d_plan (GctTrainer *t, GError **error)
{
  StepPlan *p = &t->dplan;
  GcutGraph *g;
  gsize n = gcut_network_n_params (t->D);
  GctGanMode mode
      = t->recipe->gan.kind == GCP_GAN_NONSATURATING ? GCT_GAN_NONSAT : GCT_GAN_LSGAN;

  p->graph = g = gcut_graph_new ();
  p->fake = gcut_input (g, "fake", gct_trainer_image_shape (t->batch, t->crop));
  p->y = gcut_input (g, "y", gct_trainer_image_shape (t->batch, t->crop));
  GcutValue real = build_d (t, g, p->y);
  p->loss[L_D] = gct_gan_d (g, real, build_d (t, g, p->fake), mode);
  if (!(p->wrt = try_values (n, error)))
    return FALSE;
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

gboolean
gct_trainer_build_g_plan (GctTrainer *t, GError **error)
{
  StepPlan *p = &t->gplan;
  const GcpRecipe *r = t->recipe;
  GcutGraph *g;
  GcutValue xtaps[NT], ytaps[NT], fx = GCUT_NONE, fy = GCUT_NONE, outputs[1 + N_L];
  gsize ng = gcut_network_n_params (t->G);
  gsize nf = t->F ? gcut_network_n_params (t->F) : 0;
  GctGanMode mode = r->gan.kind == GCP_GAN_NONSATURATING ? GCT_GAN_NONSAT : GCT_GAN_LSGAN;
  gboolean need_x = t->sx != NULL;
  gboolean need_y = t->use[L_NCE_Y] || t->use[L_L1];
  GcutValue total = GCUT_NONE;
  int n_out = 0;

  gct_step_plan_clear (p);
  for (int i = 0; i < N_L; i++)
    p->loss[i] = GCUT_NONE;
  p->graph = g = gcut_graph_new ();
  p->inv_gamma = t->F && r->nce.kind == GCP_NCE_HDCE ? gcut_param (
                     g, "hdce.inv_gamma", (GcutShape){ 2, { 1, 1 } }, &t->inv_gamma, NULL)
                                                     : GCUT_NONE;
  p->x = need_x ? gcut_input (g, "x", gct_trainer_image_shape (t->batch, t->crop))
                : GCUT_NONE;
  p->y = need_y ? gcut_input (g, "y", gct_trainer_image_shape (t->batch, t->crop))
                : GCUT_NONE;
  p->xsrc = p->ysrc = GCUT_NONE;

  /* G(x) first: the step runs the plan as far as G(x) before the D update. */
  if (need_x)
    fx = build_g (t, g, p->x, noise_inputs (t, p, g, 0), xtaps, FALSE);
  p->fake = fx;
  if (need_y)
    fy = build_g (t, g, p->y, noise_inputs (t, p, g, 1), ytaps, FALSE);
  if (gct_trainer_flip_equivariance (t))
    {
      /* G translated the flipped crops: keys from the encoder on the originals. */
      p->xsrc = gcut_input (g, "x_src", gct_trainer_image_shape (t->batch, t->crop));
      build_g (t, g, p->xsrc, NULL, xtaps, TRUE);
      if (need_y)
        {
          p->ysrc = gcut_input (g, "y_src", gct_trainer_image_shape (t->batch, t->crop));
          build_g (t, g, p->ysrc, NULL, ytaps, TRUE);
        }
    }
  if (t->D)
    p->loss[L_GAN] = gct_gan_g (g, build_d (t, g, fx), mode);
  if (t->F)
    side_losses (t, p, 0, fx, xtaps, t->use[L_NCE_X] ? &p->loss[L_NCE_X] : NULL,
                 t->use[L_SRC] ? &p->loss[L_SRC] : NULL);
  if (t->use[L_NCE_Y])
    side_losses (t, p, 1, fy, ytaps, &p->loss[L_NCE_Y], NULL);
  if (t->use[L_L1])
    p->loss[L_L1] = gct_l1_identity (g, fy, p->y);

  if (t->use[L_GAN])
    total = add_term (g, total, p->loss[L_GAN], r->gan.weight);
  if (t->use[L_NCE_Y])
    total = add_term (g, total, gcut_add (g, p->loss[L_NCE_X], p->loss[L_NCE_Y]),
                      0.5 * r->nce.weight);
  else if (t->use[L_NCE_X])
    total = add_term (g, total, p->loss[L_NCE_X], r->nce.weight);
  if (t->use[L_SRC])
    total = add_term (g, total, p->loss[L_SRC], r->src.weight);
  if (t->use[L_L1])
    total = add_term (g, total, p->loss[L_L1], r->identity_l1.weight);
  p->loss[L_G] = total;

  /* G(x) is an output for the D step. */
  if (t->D)
    outputs[n_out++] = fx;
  for (int i = L_GAN; i < N_L; i++)
    if (t->use[i])
      outputs[n_out++] = p->loss[i];
  if (!(p->wrt = try_values (ng + nf, error)))
    return FALSE;
  gcut_network_values (t->G, g, p->wrt);
  if (t->F)
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

gboolean
gct_trainer_measure_taps (GctTrainer *t, GError **error)
{
  const GcpRecipe *r = t->recipe;
  g_autoptr (GcutGraph) g = gcut_graph_new ();
  GcutValue taps[NT];

  build_g (t, g, gcut_input (g, "x", gct_trainer_image_shape (1, t->crop)), NULL, taps,
           TRUE);
  if (!gcut_graph_check (g, error))
    return FALSE;
  guint32 max_hw = 1;
  gboolean ok = TRUE;
  for (int i = 0; i < t->n_taps; i++)
    {
      GcutShape s = gcut_graph_shape (g, taps[i]);
      t->tap_w[i] = (int)s.dims[3];
      t->tap_hw[i] = (int)(s.dims[2] * s.dims[3]);
      t->n_patches[i] = MIN (r->heads.n_patches, t->tap_hw[i]);
      max_hw = MAX (max_hw, (guint32)t->tap_hw[i]);
      for (int side = 0; side < 2; side++)
        {
          t->idx_k[side][i] = g_try_new (gint32, t->n_patches[i]);
          t->idx_q[side][i] = gct_trainer_flip_equivariance (t)
                                  ? g_try_new (gint32, t->n_patches[i])
                                  : t->idx_k[side][i];
          ok = ok && t->idx_k[side][i] && t->idx_q[side][i];
        }
    }
  t->perm = g_try_new (guint32, max_hw);
  t->scratch = g_try_new (guint32, max_hw);
  if (!ok || !t->perm || !t->scratch)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory to draw patches among %u places (%d² crops)",
                   max_hw, t->crop);
      return FALSE;
    }
  return TRUE;
}
