/* gegl-cut training: one training step of the trainer. */
#include <math.h>

#include "gct-trainer-private.h"

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

/* The D update on the step's G(x) (the G plan run as far as G(x)) and y. */
static gboolean
d_step (GctTrainer *t, double lr, GError **error)
{
  const GcpRecipe *r = t->recipe;
  StepPlan *d = &t->dplan, *p = &t->gplan;
  const float one = 1.0f;
  float v;
  gsize n;

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
  return TRUE;
}

gboolean
gct_trainer_step (GctTrainer *t, GError **error)
{
  const GcpRecipe *r = t->recipe;
  StepPlan *p;
  gboolean flipped = FALSE;
  const float one = 1.0f;
  float v;
  double lr = gct_lr_linear (r->optimizer.lr, t->step, r->schedule.decay_start,
                             r->schedule.steps - r->schedule.decay_start);
  gsize n;

  /* Room for this step's losses, before anything changes. */
  if (!gct_trainer_history_reserve (t, t->n_used, error))
    return FALSE;
  /* hDCE's curriculum, per step as the official code (the plan reads it). */
  t->inv_gamma = (float)(1.0
                         / gct_hdce_gamma (t->step, r->schedule.steps, r->nce.gamma_start,
                                           r->nce.gamma_end,
                                           r->nce.gamma_schedule == GCP_GAMMA_STEPPED
                                               ? GCT_GAMMA_STEPPED
                                               : GCT_GAMMA_LINEAR,
                                           r->nce.gamma_step_at));
  p = &t->gplan;

  /* 1. crops and patch locations (of the sides and taps the losses read) */
  if (t->sx)
    gct_set_sampler_sample (t->sx, &t->rng[0], t->batch, t->xbuf);
  if (t->sy)
    gct_set_sampler_sample (t->sy, &t->rng[0], t->batch, t->ybuf);
  if (gct_trainer_flip_equivariance (t))
    flipped = gct_rng_coin (&t->rng[2]);
  if (flipped)
    {
      flip_images (t->xbuf, t->xin, t->batch, t->crop);
      if (t->sy)
        flip_images (t->ybuf, t->yin, t->batch, t->crop);
    }
  if (t->F)
    sample_patches (t, 0, flipped);
  if (t->use[L_NCE_Y])
    sample_patches (t, 1, flipped);
  const float *xin = flipped ? t->xin : t->xbuf, *yin = flipped ? t->yin : t->ybuf;
  /* G's noise (StyleGAN2-lite), one draw per step and side G runs on. */
  for (int side = 0; side < 2; side++)
    for (int i = 0; i < t->n_noise && (side ? p->y : p->x) != GCUT_NONE; i++)
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
                           .x = t->sx ? t->xbuf : NULL,
                           .y = t->sy ? t->ybuf : NULL,
                           .flipped = flipped,
                           .n_taps = t->n_taps,
                           .n_noise = t->n_noise };
      for (int i = 0; i < t->n_taps && t->F; i++)
        {
          in.n_patches[i] = t->n_patches[i];
          in.idx[0][i] = t->idx_k[0][i];
          in.idx[1][i] = t->use[L_NCE_Y] ? t->idx_k[1][i] : NULL;
        }
      for (int i = 0; i < t->n_noise; i++)
        {
          in.noise_shape[i] = t->noise_shape[i];
          in.noise[0][i] = p->x != GCUT_NONE ? t->noise[0][i] : NULL;
          in.noise[1][i] = p->y != GCUT_NONE ? t->noise[1][i] : NULL;
        }
      t->observer (&in, t->observer_data);
    }

  /* 2. the G plan's inputs */
  if ((p->x != GCUT_NONE && !gcut_plan_set_input (p->plan, p->x, xin, error))
      || (p->y != GCUT_NONE && !gcut_plan_set_input (p->plan, p->y, yin, error))
      || (p->xsrc != GCUT_NONE && !gcut_plan_set_input (p->plan, p->xsrc, t->xbuf, error))
      || (p->ysrc != GCUT_NONE
          && !gcut_plan_set_input (p->plan, p->ysrc, t->ybuf, error)))
    return FALSE;
  for (int side = 0; side < 2; side++)
    for (int i = 0; i < t->n_noise && (side ? p->y : p->x) != GCUT_NONE; i++)
      if (!gcut_plan_set_input (p->plan, p->noise[side][i], t->noise[side][i], error))
        return FALSE;
  for (int side = 0; side < 2 && t->F; side++)
    for (int i = 0; i < t->n_taps && (side == 0 || t->use[L_NCE_Y]); i++)
      if (!gcut_plan_set_indices (p->plan, p->idx_k[side][i], t->idx_k[side][i], error)
          || (p->idx_q[side][i] != p->idx_k[side][i]
              && !gcut_plan_set_indices (p->plan, p->idx_q[side][i], t->idx_q[side][i],
                                         error)))
        return FALSE;
  /* 3. D on G(x), computed once for both updates as in the official code:
   * the G plan runs as far as G(x), and finishes after the D update. */
  if (t->D && !d_step (t, lr, error))
    return FALSE;

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
            g_autofree char *what
                = g_strdup_printf ("the %s loss", gct_trainer_all_loss_names[i]);
            return numeric_error (t, error, what);
          }
      }
  if (!gcut_plan_set_seed (p->plan, p->loss[L_G], &one, error)
      || !gcut_plan_backward (p->plan, error))
    return FALSE;

  /* 5. Adam on G, then F */
  gct_adam_step (t->adam_G, gcut_network_data (t->G, &n), gcut_network_grads (t->G, &n),
                 lr);
  if (t->F)
    gct_adam_step (t->adam_F, gcut_network_data (t->F, &n), gcut_network_grads (t->F, &n),
                   lr);
  if (!network_finite (t->G))
    return numeric_error (t, error, "a parameter of G");
  if (t->F && !network_finite (t->F))
    return numeric_error (t, error, "a parameter of F");

  for (int i = 0; i < t->n_used; i++)
    t->history[t->history_len++] = (float)t->values[t->used[i]];
  t->step++;
  return TRUE;
}
