/* gegl-cut training: the trainer's files: the model, checkpoints, resuming
 * from a checkpoint. */
#include <string.h>

#include <gcp/gcp-network-io.h>

#include "gct-trainer-private.h"

/* The random streams of trainer.rng, in order. */
static const char *const rng_names[N_RNG] = { "crops", "patches", "noise" };

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
                              n_steps ? t->history : NULL);
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
gct_trainer_new_from_checkpoint (const char *path, GctImageReader *content,
                                 GctImageReader *style, GcutBackend *backend,
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
  t = gct_trainer_new (recipe, content, style, backend, error);
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
      if (!gct_rng_state_valid (&t->rng[i]))
        {
          g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                       "%s: trainer.rng: the state of the %s random stream is all zero, "
                       "which no run produces (the generator would only draw zeros); the "
                       "checkpoint is damaged",
                       path, rng_names[i]);
          return NULL;
        }
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
  if (!gct_trainer_history_reserve (t, v->n_bytes / sizeof (float), error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  memcpy (t->history, v->data, v->n_bytes);
  t->history_len = v->n_bytes / sizeof (float);
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
