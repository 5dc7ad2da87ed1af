/* gegl-cut training: the trainer's files: the model, checkpoints, resuming
 * from a checkpoint. */
#include <string.h>

#include <json-glib/json-glib.h>
#include <gcp/gcp-network-io.h>

#include "gct-trainer-private.h"

/* The random streams of trainer.rng, in order. */
static const char *const rng_names[N_RNG] = { "crops", "patches", "noise" };

/* One side's images for the training record (none when no loss reads it). */
static GcpImageRecord
set_record (const GctSetSampler *s)
{
  GcpImageRecord rec = { 0 };
  if (!s)
    return rec;
  rec.n_images = (int)gct_set_sampler_n_images (s);
  if (rec.n_images == 1)
    gct_set_sampler_image (s, 0, &rec.width, &rec.height, &rec.sha256);
  else
    rec.sha256 = gct_set_sampler_sha256 (s);
  return rec;
}

char *
gct_trainer_training_json (GctTrainer *t)
{
  GcpLossValue losses[N_L];
  g_autofree char *device = g_strdup (gcut_backend_name (t->backend));
  for (int i = 0; i < t->n_used; i++)
    losses[i] = (GcpLossValue){ t->names[i], t->step > 0 ? t->values[t->used[i]] : 0 };
  GcpTrainingRecord rec = { .steps = t->step,
                            .seconds = t->seconds,
                            .device = device,
                            .losses = losses,
                            .n_losses = t->step > 0 ? t->n_used : 0,
                            .content = set_record (t->sx),
                            .style = set_record (t->sy) };
  return gcp_training_record_to_json (&rec);
}

/* A writer with G, the recipe, the training record, the base record and the
 * palette. */
static GcpSafetensorsWriter *
model_writer (GctTrainer *t)
{
  g_autofree char *recipe = gcp_recipe_to_json (t->recipe);
  g_autofree char *training = gct_trainer_training_json (t);
  GcpSafetensorsWriter *w
      = gcp_model_writer_new (t->G, &t->recipe->generator, recipe, training);
  gcp_model_writer_set_base (w, gct_trainer_base (t, NULL));
  gcp_model_writer_set_palette (w, gct_trainer_palette (t));
  return w;
}

gboolean
gct_trainer_save_model (GctTrainer *t, const char *path, GError **error)
{
  g_autoptr (GcpSafetensorsWriter) w = model_writer (t);
  if (t->F)
    gcp_network_add_to (t->F, w, "F.");
  return gcp_safetensors_writer_save (w, path, error);
}

/* The checkpoint's "images": {"content": [SHA-256, …], "style": […]}, each
 * image's checksum in order, so that a resume can check it has the same. */
static char *
images_json (GctTrainer *t)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  const GctSetSampler *sides[2] = { t->sx, t->sy };
  const char *keys[2] = { "content", "style" };

  json_builder_begin_object (b);
  for (int side = 0; side < 2; side++)
    {
      json_builder_set_member_name (b, keys[side]);
      json_builder_begin_array (b);
      for (guint i = 0; sides[side] && i < gct_set_sampler_n_images (sides[side]); i++)
        {
          int w, h;
          const char *sha;
          gct_set_sampler_image (sides[side], i, &w, &h, &sha);
          json_builder_add_string_value (b, sha);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* The images given for a resume must be those of the checkpoint's "images"
 * (absent in checkpoints from before sets: not checked). */
static gboolean
check_images (GctTrainer *t, const char *json, const GctImageSet *sets[2],
              const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const GctSetSampler *sides[2] = { t->sx, t->sy };
  const char *keys[2] = { "content", "style" };
  JsonObject *obj;

  if (!json)
    return TRUE;
  if (!json_parser_load_from_data (parser, json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto corrupt;
  obj = json_node_get_object (json_parser_get_root (parser));
  for (int side = 0; side < 2; side++)
    {
      JsonNode *node = json_object_get_member (obj, keys[side]);
      JsonArray *list
          = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
      guint given = sides[side] ? gct_set_sampler_n_images (sides[side]) : 0;

      if (!list)
        goto corrupt;
      if (json_array_get_length (list) != given)
        {
          g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                       "%s: the run trained on %u %s images; %u given", path,
                       json_array_get_length (list), keys[side], given);
          return FALSE;
        }
      for (guint i = 0; i < given; i++)
        {
          JsonNode *item = json_array_get_element (list, i);
          const char *want = JSON_NODE_HOLDS_VALUE (item)
                                     && json_node_get_value_type (item) == G_TYPE_STRING
                                 ? json_node_get_string (item)
                                 : NULL;
          const char *sha, *name = gct_image_set_name (sets[side], i);
          int w, h;

          if (!want)
            goto corrupt;
          gct_set_sampler_image (sides[side], i, &w, &h, &sha);
          if (strcmp (sha, want))
            {
              g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                           "%s: %s image %u of %u (%s) is not the one the run trained "
                           "on; resume with the same images",
                           path, keys[side], i + 1, given, name);
              return FALSE;
            }
        }
    }
  return TRUE;

corrupt:
  g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
               "%s: metadata “images” is not a list of content and style checksums",
               path);
  return FALSE;
}

gboolean
gct_trainer_save_checkpoint (GctTrainer *t, const char *path, GError **error)
{
  GcpSafetensorsWriter *w = model_writer (t);
  g_autofree char *images = images_json (t);
  gint64 rng_shape[2] = { N_RNG, RNG_WORDS };
  gint64 n_steps;
  gct_trainer_loss_history (t, &n_steps);
  gint64 loss_shape[2] = { n_steps, t->n_used };
  gboolean ok;

  gcp_safetensors_writer_set_metadata (w, "images", images);
  if (t->D)
    gcp_network_add_to (t->D, w, "D.");
  if (t->F)
    gcp_network_add_to (t->F, w, "F.");
  gct_adam_add_to (t->adam_G, w, "adam.G.");
  if (t->D)
    gct_adam_add_to (t->adam_D, w, "adam.D.");
  if (t->F)
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

/* The optional networks: those this recipe has, and only those. */
static gboolean
load_optional (GctTrainer *t, const GcpModel *model, GcutNetwork *net, GctAdam *adam,
               const char *name, GError **error)
{
  const GcpSafetensors *st = gcp_model_file (model);
  g_autofree char *prefix = g_strconcat (name, ".", NULL);
  g_autofree char *adam_prefix = g_strconcat ("adam.", name, ".", NULL);

  if (!net)
    {
      if (!gcp_model_has (model, prefix))
        return TRUE;
      g_set_error (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CHECKPOINT,
                   "the checkpoint has a network %s, which its recipe does not use",
                   name);
      return FALSE;
    }
  return gcp_model_load_network (model, prefix, net, error)
         && gct_adam_load (adam, st, adam_prefix, error);
}

GctTrainer *
gct_trainer_new_from_checkpoint (const char *path, GctImageReader *content,
                                 GctImageReader *style, GcutBackend *backend,
                                 gint64 steps, GError **error)
{
  g_autoptr (GctImageSet) cs = gct_image_set_of (content);
  g_autoptr (GctImageSet) ss = gct_image_set_of (style);
  return gct_trainer_new_from_checkpoint_sets (path, cs, ss, backend, steps, error);
}

GctTrainer *
gct_trainer_new_from_checkpoint_sets (const char *path, const GctImageSet *content,
                                      const GctImageSet *style, GcutBackend *backend,
                                      gint64 steps, GError **error)
{
  const GctImageSet *sets[2] = { content, style };
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
  /* The base is in the weights already: it is not read again. */
  t = gct_trainer_make (recipe, content, style, backend, FALSE, error);
  if (!t)
    return NULL;
  st = gcp_model_file (model);
  if (!gcp_model_load_network (model, "G.", t->G, error)
      || !gct_adam_load (t->adam_G, st, "adam.G.", error)
      || !load_optional (t, model, t->D, t->adam_D, "D", error)
      || !load_optional (t, model, t->F, t->adam_F, "F", error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (!check_images (t, gcp_safetensors_metadata (st, "images"), sets, path, error))
    return NULL;
  if (gcp_model_base (model))
    {
      t->base.name = g_strdup (gcp_model_base (model)->name);
      t->base.sha256 = g_strdup (gcp_model_base (model)->sha256);
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
