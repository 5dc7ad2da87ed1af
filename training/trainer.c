/* gegl-cut training: the trainer (gct-trainer.h): making one, running it,
 * its accessors.  The step plans are in trainer-plans.c, one step in
 * trainer-step.c, the files in trainer-checkpoint.c. */
#include <math.h>
#include <string.h>

#include "gct-trainer-private.h"

G_DEFINE_QUARK (gct - trainer - error - quark, gct_trainer_error)

const char *const gct_trainer_all_loss_names[N_L]
    = { "D", "R1", "G_GAN", "NCE_X", "NCE_Y", "SRC", "L1_idt", "G" };

void
gct_trainer_free (GctTrainer *t)
{
  if (!t)
    return;
  gct_step_plan_clear (&t->dplan);
  gct_step_plan_clear (&t->gplan);
  g_clear_pointer (&t->r1, gct_r1_free);
  g_clear_pointer (&t->G, gcut_network_free);
  g_clear_pointer (&t->D, gcut_network_free);
  g_clear_pointer (&t->F, gcut_network_free);
  g_clear_pointer (&t->adam_G, gct_adam_free);
  g_clear_pointer (&t->adam_D, gct_adam_free);
  g_clear_pointer (&t->adam_F, gct_adam_free);
  g_clear_pointer (&t->sx, gct_set_sampler_free);
  g_clear_pointer (&t->sy, gct_set_sampler_free);
  g_free (t->base.name);
  g_free (t->base.sha256);
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
  g_free (t->history);
  g_free (t->ckpt_path);
  g_free (t->last_good);
  g_free (t);
}

/* ---- making a trainer ---- */

/* n floats, or NULL with an error naming what they were for and the batch. */
static float *
try_floats (gsize n, const GctTrainer *t, const char *what, GError **error)
{
  float *v = g_try_new (float, n);
  if (!v)
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                 "not enough memory for %s (%" G_GSIZE_FORMAT
                 " values; the recipe's batch is %d crops of %d²)",
                 what, n, t->batch, t->crop);
  return v;
}

gboolean
gct_trainer_history_reserve (GctTrainer *t, gsize n, GError **error)
{
  gsize need = t->history_len + n, room = MAX (t->history_room, 64);
  float *h;

  if (need <= t->history_room)
    return TRUE;
  while (room < need)
    room *= 2;
  h = g_try_renew (float, t->history, room);
  if (!h)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory for a loss history of %" G_GSIZE_FORMAT " steps",
                   need / MAX (t->n_used, 1));
      return FALSE;
    }
  t->history = h;
  t->history_room = room;
  return TRUE;
}

/* D of the recipe's kind.  The StyleGAN2-lite D is sized as the official
 * code does (gcp_stylegan2_discriminator_size: the recipe's validation has
 * checked that the crop fits). */
static GcutNetwork *
discriminator_new (const GcpRecipe *r, GError **error)
{
  const int ndf = r->discriminator.ndf;
  GcutNetwork *D
      = r->discriminator.kind == GCP_DISCRIMINATOR_PATCHGAN
            ? gcut_patchgan_new (&(GcutPatchGanConfig){ ndf, r->discriminator.n_layers,
                                                        r->discriminator.antialias })
            : gcut_stylegan2_discriminator_new (&(GcutStyleGan2DiscriminatorConfig){
                ndf, gcp_stylegan2_discriminator_size (r->sampling.crop_size) });
  if (!D)
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                 "not enough memory for the discriminator (architecture.discriminator: "
                 "ndf %d)",
                 ndf);
  return D;
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

/* The samplers of the sides the recipe's losses read: content crops for G(x)
 * (GAN, NCE, SRC), style crops for D's real inputs and G(y) (identity NCE,
 * L1), and the style's palette when the recipe records one.  A side no
 * loss reads is not loaded. */
static gboolean
make_samplers (GctTrainer *t, const GctImageSet *content, const GctImageSet *style,
               GError **error)
{
  const GcpRecipe *r = t->recipe;
  gboolean need_x = r->gan.weight > 0 || r->nce.weight > 0 || r->src.weight > 0;
  gboolean need_y = r->gan.weight > 0 || (r->nce.weight > 0 && r->nce.identity)
                    || r->identity_l1.weight > 0;
  GctSamplingConfig sc;
  /* The recipe's palette: counted while the style images are read. */
  g_autoptr (GctHistogram) style_pixels = r->palette ? gct_histogram_new () : NULL;

  gct_sampling_config_from_recipe (r, &sc);
  if (need_x && (!content || !gct_image_set_size (content)))
    {
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_UNSUPPORTED,
                   "the recipe needs content images (its GAN, NCE or SRC loss "
                   "translates them), and none were given");
      return FALSE;
    }
  if (need_y && (!style || !gct_image_set_size (style)))
    {
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_UNSUPPORTED,
                   "the recipe needs style images (for its GAN loss, identity NCE or "
                   "L1 identity), and none were given");
      return FALSE;
    }
  if (need_x && !(t->sx = gct_set_sampler_new (content, &sc, NULL, error)))
    {
      g_prefix_error (error, "content: ");
      return FALSE;
    }
  if (need_y && !(t->sy = gct_set_sampler_new (style, &sc, style_pixels, error)))
    {
      g_prefix_error (error, "style: ");
      return FALSE;
    }
  t->has_palette
      = need_y && style_pixels && gct_histogram_palette (style_pixels, t->palette);
  return TRUE;
}

/* G (and F when it fits) from the recipe's base model, whose generator must be
 * the recipe's; D and the optimizer states start afresh.  D is never taken
 * from the base: model files hold none, and one trained against another
 * style would judge the wrong target. */
static gboolean
init_from_base (GctTrainer *t, GError **error)
{
  const GcpRecipe *r = t->recipe;
  g_autoptr (GcpModel) base = gcp_model_load (r->init, error);
  g_autofree char *diff = NULL, *file = NULL;

  if (!base)
    {
      g_prefix_error (error, "init: ");
      return FALSE;
    }
  diff = gcp_generator_config_differences (&r->generator, "the recipe",
                                           gcp_model_architecture (base), "the base");
  if (diff)
    {
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_BASE,
                   "init: the base model %s has another generator than the recipe's "
                   "architecture.generator: %s",
                   r->init, diff);
      return FALSE;
    }
  if (!gcp_model_load_network (base, "G.", t->G, error))
    return FALSE;
  /* F's shapes follow heads.nc, which the base's recipe may set otherwise;
   * nothing is copied unless every tensor fits. */
  t->heads_from_base = t->F && gcp_model_has (base, "F.")
                       && gcp_model_load_network (base, "F.", t->F, NULL);
  file = g_path_get_basename (r->init);
  t->base.name = g_str_has_suffix (file, ".safetensors")
                     ? g_strndup (file, strlen (file) - strlen (".safetensors"))
                     : g_strdup (file);
  t->base.sha256 = gcp_model_sha256 (base);
  return TRUE;
}

GctTrainer *
gct_trainer_make (const GcpRecipe *recipe, const GctImageSet *content,
                  const GctImageSet *style, GcutBackend *backend, gboolean from_base,
                  GError **error)
{
  g_autoptr (GctTrainer) t = g_new0 (GctTrainer, 1);
  const GcpRecipe *r;
  GctRng init;
  guint64 seeds[3];
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

  if (!make_samplers (t, content, style, error))
    return NULL;

  /* Only the networks the losses use: D for the GAN loss, F for NCE and SRC. */
  t->G = gcp_generator_new (&r->generator, error);
  if (!t->G || (r->gan.weight > 0 && !(t->D = discriminator_new (r, error))))
    return NULL;
  gboolean sg2 = gcut_network_kind (t->G) == GCUT_NETWORK_STYLEGAN2_GENERATOR;
  t->n_taps = sg2 ? GCUT_STYLEGAN2_N_TAPS : GCUT_GENERATOR_N_TAPS;
  for (int i = 0; i < t->n_taps; i++)
    taps_c[i] = sg2 ? gcut_stylegan2_generator_tap_channels (t->G, i)
                    : gcut_resnet_generator_tap_channels (t->G, i);
  if ((r->nce.weight > 0 || r->src.weight > 0)
      && !(t->F = gcut_patch_heads_new (taps_c, t->n_taps, r->heads.nc)))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory for the projection heads (architecture.heads: nc "
                   "%d)",
                   r->heads.nc);
      return NULL;
    }
  /* Three seeds whichever networks exist, so G's and F's do not depend on it. */
  gct_rng_init (&init, (guint64)r->seed, GCT_STREAM_INIT);
  for (int i = 0; i < 3; i++)
    seeds[i] = gct_rng_next_u64 (&init);
  init_network (t->G, seeds[0]);
  if (t->D)
    init_network (t->D, seeds[1]);
  if (t->F)
    init_network (t->F, seeds[2]);
  if (from_base && r->init && *r->init && !init_from_base (t, error))
    return NULL;
  t->n_noise = sg2 ? gcut_stylegan2_generator_n_noise (t->G) : 0;
  if (t->n_noise > MAX_NOISE)
    {
      g_set_error (
          error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_UNSUPPORTED,
          "architecture.generator: %d noise inputs, the trainer takes at most %d",
          t->n_noise, MAX_NOISE);
      return NULL;
    }
  for (int i = 0; i < t->n_noise; i++)
    {
      t->noise_shape[i] = gcut_stylegan2_generator_noise_shape (
          t->G, gct_trainer_image_shape (t->batch, t->crop), i);
      for (int side = 0; side < 2; side++)
        if (!(t->noise[side][i] = try_floats (gcut_shape_numel (&t->noise_shape[i]), t,
                                              "G's noise", error)))
          return NULL;
    }
  gct_rng_init (&t->rng[0], (guint64)r->seed, GCT_STREAM_CROPS);
  gct_rng_init (&t->rng[1], (guint64)r->seed, GCT_STREAM_PATCHES);
  gct_rng_init (&t->rng[2], (guint64)r->seed, GCT_STREAM_NOISE);

  GctAdamConfig ac
      = { r->optimizer.lr, r->optimizer.beta1, r->optimizer.beta2, r->optimizer.eps };
  if (!(t->adam_G = gct_adam_new_for_network (t->G, &ac))
      || (t->D && !(t->adam_D = gct_adam_new_for_network (t->D, &ac)))
      || (t->F && !(t->adam_F = gct_adam_new_for_network (t->F, &ac))))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory for the optimizer's moments (twice the networks' "
                   "parameters)");
      return NULL;
    }

  /* Which losses this recipe reports. */
  t->use[L_D] = t->use[L_GAN] = t->D != NULL;
  t->use[L_NCE_X] = r->nce.weight > 0;
  t->use[L_NCE_Y] = r->nce.weight > 0 && r->nce.identity;
  t->use[L_SRC] = r->src.weight > 0;
  t->use[L_L1] = r->identity_l1.weight > 0;
  t->use[L_R1] = r->r1.weight > 0;
  t->use[L_G] = TRUE;
  for (int i = 0; i < N_L; i++)
    if (t->use[i])
      {
        t->names[t->n_used] = gct_trainer_all_loss_names[i];
        t->used[t->n_used++] = i;
      }
  /* Room for the whole run (up to 16M values), so steps do not reallocate. */
  if (!gct_trainer_history_reserve (
          t, (gsize)MIN (r->schedule.steps, ((gint64)1 << 24) / t->n_used) * t->n_used,
          error))
    return NULL;

  /* Plans; the tap shapes (hence P per tap) come from a G graph. */
  if (t->D && !gct_trainer_build_d_plan (t, error))
    return NULL;
  if (t->use[L_R1]
      && !(t->r1 = gct_r1_new (t->D, t->backend, t->batch, t->crop, GCT_R1_EPS, error)))
    return NULL;
  if (t->F && !gct_trainer_measure_taps (t, error))
    return NULL;
  if (!gct_trainer_build_g_plan (t, error))
    return NULL;

  gsize img = (gsize)t->batch * 3 * t->crop * t->crop;
  if (!(t->xbuf = try_floats (img, t, "the crops", error))
      || !(t->ybuf = try_floats (img, t, "the crops", error))
      || !(t->xin = try_floats (img, t, "the crops", error))
      || !(t->yin = try_floats (img, t, "the crops", error))
      || !(t->fake = try_floats (img, t, "the crops", error)))
    return NULL;
  return g_steal_pointer (&t);
}

GctTrainer *
gct_trainer_new_from_sets (const GcpRecipe *recipe, const GctImageSet *content,
                           const GctImageSet *style, GcutBackend *backend, GError **error)
{
  return gct_trainer_make (recipe, content, style, backend, TRUE, error);
}

GctTrainer *
gct_trainer_new (const GcpRecipe *recipe, GctImageReader *content, GctImageReader *style,
                 GcutBackend *backend, GError **error)
{
  g_autoptr (GctImageSet) cs = gct_image_set_of (content);
  g_autoptr (GctImageSet) ss = gct_image_set_of (style);
  return gct_trainer_new_from_sets (recipe, cs, ss, backend, error);
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
const GcpBaseRecord *
gct_trainer_base (const GctTrainer *t, gboolean *heads_from_base)
{
  if (heads_from_base)
    *heads_from_base = t->heads_from_base;
  return t->base.name ? &t->base : NULL;
}
const float *
gct_trainer_palette (const GctTrainer *t)
{
  return t->has_palette ? t->palette : NULL;
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
    *n_steps = t->n_used ? (gint64)(t->history_len / t->n_used) : 0;
  return t->history;
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
