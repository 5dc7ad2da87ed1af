/* gcut-train: trains a CUT-family translator on content photos and style
 * paintings (one of each, or sets: --content and --style repeated, or
 * folders) and writes the model.
 *
 *   gcut-train --content photo.jpg --style painting.jpg --recipe NAME|FILE \
 *              -o model.safetensors [--init BASE|none] [--steps N] [--seed N]
 *              [--device cpu|auto] [--resume CKPT] [--snapshot-every N]
 *              [--checkpoint-every N] [--threads N]
 *
 * Beside the model it writes STEM.ckpt.safetensors (the resumable checkpoint,
 * every --checkpoint-every steps and on Ctrl-C), STEM.step-NNNNNN.png (G over
 * the whole content image, every --snapshot-every steps) and STEM.losses.png
 * (the loss curves), where STEM is the output path without ".safetensors".
 *
 * None of these may be one of the inputs, and the model and checkpoint paths
 * may only hold models already.  SIGINT, SIGTERM and SIGHUP stop the run
 * between steps and write the checkpoint; a second one kills it.  Temporary
 * files that a killed run left for these outputs are removed at the start. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gegl.h>

#include <gcp/gcp-atomic-file.h>

#include "gct-duration.h"
#include "gct-file-set.h"
#include "gct-image-set.h"
#include "gct-loss-curve.h"
#include "gct-palette.h"
#include "gct-trainer.h"
#include "gct-translate.h"
#include "image-io.h"

static char **content_paths, **style_paths;
static char *recipe_name, *output, *device, *resume, *ckpt_option, *init;
/* The image the snapshots translate: the first content image (else style). */
static const char *snapshot_path;
static gint64 steps, seed = -1, snapshot_every, ckpt_every = 500;
static int threads;

static GctTrainer *the_trainer;
static gboolean is_tty;
static gint64 last_print;
static char *stem;
static GcutBackend *backend;
static GctFileSet *inputs;

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
static volatile sig_atomic_t stopped_by;

static void
on_stop_signal (int sig)
{
  stopped_by = sig;
  if (the_trainer)
    gct_trainer_cancel (the_trainer);
  /* A second one kills the process the usual way. */
  for (guint i = 0; i < G_N_ELEMENTS (stop_signals); i++)
    signal (stop_signals[i], SIG_DFL);
}

static void
catch_stop_signals (void)
{
  struct sigaction sa = { 0 };

  sa.sa_handler = on_stop_signal;
  sigemptyset (&sa.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (stop_signals); i++)
    sigaction (stop_signals[i], &sa, NULL);
}

/* Whether name (in the output's folder) is one of this run's outputs. */
static gboolean
is_run_output (const char *name, gpointer data)
{
  const char *const *outputs = data;
  g_autofree char *stem_base = g_path_get_basename (stem);
  gsize n = strlen (stem_base);
  const char *step;

  for (int i = 0; outputs[i]; i++)
    if (strcmp (name, outputs[i]) == 0)
      return TRUE;
  /* STEM.step-NNNNNN.png, the snapshots. */
  if (strncmp (name, stem_base, n) != 0 || !g_str_has_prefix (name + n, ".step-"))
    return FALSE;
  step = name + n + strlen (".step-");
  while (g_ascii_isdigit (*step))
    step++;
  return step > name + n + strlen (".step-") && strcmp (step, ".png") == 0;
}

/* Removes what an interrupted run left beside the outputs. */
static void
clean_leftovers (const char *model, const char *ckpt, const char *curve)
{
  g_autofree char *dir = g_path_get_dirname (model);
  g_autofree char *ckpt_dir = g_path_get_dirname (ckpt);
  g_autofree char *model_base = g_path_get_basename (model);
  g_autofree char *ckpt_base = g_path_get_basename (ckpt);
  g_autofree char *curve_base = g_path_get_basename (curve);
  gboolean ckpt_beside = strcmp (dir, ckpt_dir) == 0;
  const char *outputs[]
      = { model_base, curve_base, ckpt_beside ? ckpt_base : NULL, NULL };
  guint n = gcp_atomic_file_clean (dir, is_run_output, outputs);

  if (!ckpt_beside)
    n += gcp_atomic_file_clean_for (ckpt);
  if (n > 0)
    g_print ("Removed %u temporary file%s that an interrupted run left.\n", n,
             n == 1 ? "" : "s");
}

/* Refuses outputs that are inputs, or the same file twice, or a model or
 * checkpoint path holding something else than a model. */
static gboolean
check_outputs (const char *model, const char *ckpt, const char *curve, GError **error)
{
  const char *const outputs[] = { model, ckpt, curve };
  const char *const what[] = { "the model", "the checkpoint", "the loss curve" };

  for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
    {
      const char *input = gct_file_set_lookup (inputs, outputs[i]);

      /* Resuming keeps writing the checkpoint it started from. */
      if (input && !(i == 1 && resume && strcmp (input, resume) == 0))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                       "refusing to write %s to %s: it is the input %s", what[i],
                       outputs[i], input);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (gct_same_file (outputs[i], outputs[j]))
          {
            g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                         "refusing to write %s to %s: %s goes there", what[i], outputs[i],
                         what[j]);
            return FALSE;
          }
    }
  return gcp_safetensors_may_replace (model, GCP_MODEL_FORMAT, error)
         && gcp_safetensors_may_replace (ckpt, GCP_MODEL_FORMAT, error);
}

static void
snapshot (gint64 step)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctImage) image = gct_image_load (snapshot_path, &error);
  g_autofree char *path
      = g_strdup_printf ("%s.step-%06" G_GINT64_FORMAT ".png", stem, step);
  const GcpRecipe *r = gct_trainer_recipe (the_trainer);
  /* Snapshots may be tiled: never bf16, whose rounding would show the tiles. */
  GcutPrecision prec = MIN (gcp_recipe_engine_precision (r), GCUT_PRECISION_FAST);

  if (gct_file_set_lookup (inputs, path))
    g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                 "not written over the input %s", gct_file_set_lookup (inputs, path));
  /* As gcut-translate will show the model: with its palette. */
  if (!error && image
      && gct_translate_image (gct_trainer_generator (the_trainer), backend, prec, image,
                              0, 0, NULL, &error))
    {
      gct_palette_match_image (gct_trainer_palette (the_trainer), image, 1.0);
      gct_image_save (image, path, &error);
    }
  if (error)
    {
      g_printerr ("%sgcut-train: snapshot at step %" G_GINT64_FORMAT ": %s\n",
                  is_tty ? "\n" : "", step, error->message);
      return;
    }
  if (!is_tty)
    g_print ("snapshot %s\n", path);
}

static gboolean
on_progress (const GctProgress *p, gpointer data)
{
  (void)data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = p->step == p->total;

  if (snapshot_every > 0 && p->step % snapshot_every == 0)
    snapshot (p->step);
  if (!last && now - last_print < (is_tty ? 200000 : 2000000))
    return TRUE;
  last_print = now;

  g_autoptr (GString) line = g_string_new (NULL);
  g_autofree char *eta = gct_format_duration (p->eta_seconds);
  int width = 20, filled = p->total > 0 ? (int)(width * p->step / p->total) : 0;
  if (is_tty)
    {
      g_string_append_c (line, '[');
      for (int i = 0; i < width; i++)
        g_string_append_c (line, i < filled ? '#' : '.');
      g_string_append (line, "] ");
    }
  g_string_append_printf (line, "%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, p->step,
                          p->total);
  for (int i = 0; i < p->n_losses; i++)
    g_string_append_printf (line, " %s %.4g", p->names[i], p->values[i]);
  g_string_append_printf (line, " | %.2f it/s ETA %s", p->steps_per_second, eta);
  if (is_tty)
    {
      g_print ("\r%s\033[K", line->str);
      if (last)
        g_print ("\n");
    }
  else
    g_print ("%s\n", line->str);
  fflush (stdout);
  return TRUE;
}

/* Run from the build tree, before installing: where a bare name is in none
 * of the data folders, the source tree's (recipes, and the base models the
 * GIMP qualities' recipes start from). */
static gboolean
use_source_tree (const GError *error, const char *env, const char *dir)
{
  if (!g_error_matches (error, GCP_ERROR, GCP_ERROR_NOT_FOUND) || g_getenv (env)
      || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return FALSE;
  g_setenv (env, dir, TRUE);
  return TRUE;
}

static void
find_base_in_source_tree (const GcpRecipe *recipe)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *found = NULL;

  if (recipe->init && *recipe->init && !strchr (recipe->init, '/')
      && !(found = gcp_model_find (recipe->init, &error)))
    use_source_tree (error, "GEGL_CUT_MODEL_PATH", GCT_SOURCE_MODELS);
}

/* A file in the current folder is meant even without a '/' (as by
 * gcut-translate); other bare names are installed models. */
static char *
local_file (const char *name)
{
  if (!strchr (name, '/') && g_file_test (name, G_FILE_TEST_IS_REGULAR))
    return g_strconcat ("./", name, NULL);
  return g_strdup (name);
}

/* Lists the images of paths in set, and among the inputs. */
static gboolean
add_paths (GctImageSet *set, char **paths, GError **error)
{
  for (int i = 0; paths && paths[i]; i++)
    if (!gct_image_set_add_path (set, paths[i], error))
      return FALSE;
  for (const char *const *skipped = gct_image_set_skipped (set); *skipped; skipped++)
    g_print ("Skipping %s\n", *skipped);
  for (guint i = 0; i < gct_image_set_size (set); i++)
    gct_file_set_add (inputs, gct_image_set_path (set, i));
  return TRUE;
}

/* " --content A --style B …": the images, for the resume command. */
static char *
image_args (void)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; content_paths && content_paths[i]; i++)
    {
      g_autofree char *q = g_shell_quote (content_paths[i]);
      g_string_append_printf (s, " --content %s", q);
    }
  for (int i = 0; style_paths && style_paths[i]; i++)
    {
      g_autofree char *q = g_shell_quote (style_paths[i]);
      g_string_append_printf (s, " --style %s", q);
    }
  return g_string_free (s, FALSE);
}

/* What a side trains on: "forest.jpg", "12 images" or "none". */
static char *
describe_side (const GctImageSet *set)
{
  guint n = gct_image_set_size (set);
  if (n == 1)
    return g_strdup (gct_image_set_path (set, 0));
  return n ? g_strdup_printf ("%u images", n) : g_strdup ("none");
}

static void
print_start (GctTrainer *trainer, const GctImageSet *content, const GctImageSet *style,
             const char *ckpt)
{
  g_autofree char *c = describe_side (content), *s = describe_side (style);
  gboolean heads;
  const GcpBaseRecord *base = gct_trainer_base (trainer, &heads);

  if (base && gct_trainer_step_count (trainer) == 0)
    g_print ("Fine-tuning from the base model %s (SHA-256 %.12s…): G%s from the base, "
             "the rest from random weights\n",
             base->name, base->sha256, heads ? " and F" : "");
  else if (base)
    g_print ("Fine-tuned from the base model %s (SHA-256 %.12s…)\n", base->name,
             base->sha256);
  g_print ("Training on %s (content) and %s (style): steps %" G_GINT64_FORMAT
           " to %" G_GINT64_FORMAT " on %s, checkpoint %s\n",
           c, s, gct_trainer_step_count (trainer), gct_trainer_total_steps (trainer),
           gcut_backend_name (backend), ckpt);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[]
      = { { "content", 'c', 0, G_OPTION_ARG_FILENAME_ARRAY, &content_paths,
            "The photo to translate (domain X), or a folder of photos; repeat for "
            "several",
            "IMAGE|FOLDER" },
          { "style", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &style_paths,
            "The painting whose style to learn (domain Y), or a folder of them; "
            "repeat for several",
            "IMAGE|FOLDER" },
          { "recipe", 'r', 0, G_OPTION_ARG_STRING, &recipe_name,
            "A recipe name (cut, cut-cpu, fastcut, …) or a JSON file", "NAME|FILE" },
          { "init", 0, 0, G_OPTION_ARG_FILENAME, &init,
            "Fine-tune from this base model (a name or a file; default: the "
            "recipe's init; none: random weights)",
            "BASE|none" },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The model file to write",
            "MODEL.safetensors" },
          { "steps", 'n', 0, G_OPTION_ARG_INT64, &steps,
            "Training steps (default: the recipe's; the decay keeps its share)", "N" },
          { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
            "Random seed (default: the recipe's)", "N" },
          { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
            "cpu, cuda or auto (default auto)", "DEVICE" },
          { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume,
            "Continue the run saved in this checkpoint (its recipe is used)", "CKPT" },
          { "snapshot-every", 0, 0, G_OPTION_ARG_INT64, &snapshot_every,
            "Write G(content) as STEM.step-N.png every N steps (default: never)", "N" },
          { "checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &ckpt_every,
            "Write the checkpoint every N steps (default 500; 0: only on Ctrl-C)", "N" },
          { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &ckpt_option,
            "Checkpoint path (default STEM.ckpt.safetensors)", "PATH" },
          { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: all)",
            "N" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("");
  g_autoptr (GError) error = NULL;
  g_autoptr (GctImageSet) content = gct_image_set_new ();
  g_autoptr (GctImageSet) style = gct_image_set_new ();
  g_autoptr (GcpRecipe) recipe = NULL;
  g_autoptr (GctTrainer) trainer = NULL;
  g_autofree char *reason = NULL, *ckpt = NULL, *curve = NULL, *images = NULL;
  int status = 0;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (
      ctx, "Trains a contrastive translator (CUT, FastCUT, hDCE+SRC, MoNCE) from a\n"
           "content photo and a style painting (or sets of them: repeat --content and\n"
           "--style, or give folders), and writes the model that gcut-translate and\n"
           "the GEGL operations apply.  --init fine-tunes a base model instead of\n"
           "starting from random weights.  Ctrl-C (or SIGTERM, SIGHUP) stops between\n"
           "steps and writes a checkpoint that --resume continues exactly.  No output\n"
           "may be an input, and -o and --checkpoint replace only models.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("gcut-train: %s\n", error->message);
      return 2;
    }
  if (argc != 1 || (!content_paths && !style_paths) || !output
      || (!recipe_name && !resume))
    {
      g_printerr ("gcut-train: give --content, --style, -o and --recipe (or --resume); "
                  "see --help\n");
      return 2;
    }
  if (resume && init)
    {
      g_printerr ("gcut-train: --init starts a new run; a resumed run keeps its base\n");
      return 2;
    }
  if (steps < 0 || snapshot_every < 0 || ckpt_every < 0 || threads < 0)
    {
      g_printerr ("gcut-train: --steps, --snapshot-every, --checkpoint-every and "
                  "--threads must not be negative\n");
      return 2;
    }
  stem = g_str_has_suffix (output, ".safetensors")
             ? g_strndup (output, strlen (output) - strlen (".safetensors"))
             : g_strdup (output);
  ckpt = ckpt_option ? g_strdup (ckpt_option)
                     : g_strconcat (stem, ".ckpt.safetensors", NULL);
  curve = g_strconcat (stem, ".losses.png", NULL);
  is_tty = isatty (STDOUT_FILENO);

  /* The images are listed here, and read by the trainer, once each, keeping
   * only what the recipe needs. */
  inputs = gct_file_set_new ();
  if (!add_paths (content, content_paths, &error)
      || !add_paths (style, style_paths, &error))
    {
      g_printerr ("gcut-train: %s\n", error->message);
      g_clear_pointer (&inputs, gct_file_set_free);
      g_free (stem);
      return 1;
    }
  snapshot_path
      = content_paths ? gct_image_set_path (content, 0) : gct_image_set_path (style, 0);
  if (recipe_name && g_file_test (recipe_name, G_FILE_TEST_EXISTS))
    gct_file_set_add (inputs, recipe_name);
  if (resume)
    gct_file_set_add (inputs, resume);
  if (!check_outputs (output, ckpt, curve, &error))
    {
      g_printerr ("gcut-train: %s\n", error->message);
      g_clear_pointer (&inputs, gct_file_set_free);
      g_free (stem);
      return 2;
    }
  clean_leftovers (output, ckpt, curve);

  backend = gcut_backend_get (device ? device : "auto", &reason, &error);
  if (!backend)
    {
      g_printerr ("gcut-train: %s\n", error->message);
      return 1;
    }
  if (reason)
    g_print ("%s\n", reason);
  gcut_backend_set_threads (backend, threads);

  gegl_init (NULL, NULL);

  if (resume)
    {
      if (recipe_name || seed >= 0)
        g_print ("Resuming: the checkpoint's recipe and seed are used; --recipe and "
                 "--seed are ignored.\n");
      trainer = gct_trainer_new_from_checkpoint_sets (resume, content, style, backend,
                                                      steps, &error);
    }
  else
    {
      recipe = gcp_recipe_load (recipe_name, &error);
      if (!recipe && use_source_tree (error, "GEGL_CUT_RECIPE_PATH", GCT_SOURCE_RECIPES))
        {
          g_clear_error (&error);
          recipe = gcp_recipe_load (recipe_name, &error);
        }
      if (recipe)
        {
          if (steps > 0)
            gcp_recipe_set_steps (recipe, steps);
          if (seed >= 0)
            recipe->seed = seed;
          if (init)
            {
              g_free (recipe->init);
              recipe->init = g_str_equal (init, "none") ? NULL : local_file (init);
            }
          find_base_in_source_tree (recipe);
          trainer = gct_trainer_new_from_sets (recipe, content, style, backend, &error);
        }
    }
  if (!trainer)
    {
      g_printerr ("gcut-train: %s\n", error->message);
      status = 1;
      goto out;
    }
  the_trainer = trainer;
  gct_trainer_set_progress (trainer, on_progress, NULL);
  gct_trainer_set_checkpoint (trainer, ckpt, ckpt_every);
  catch_stop_signals ();
  print_start (trainer, content, style, ckpt);

  if (!gct_trainer_run (trainer, 0, &error))
    {
      if (is_tty)
        g_print ("\n");
      if (g_error_matches (error, GCT_TRAINER_ERROR, GCT_TRAINER_ERROR_CANCELLED))
        {
          images = image_args ();
          g_printerr ("gcut-train: %s.\nResume with: %s%s --resume %s -o %s\n",
                      error->message, argv[0], images, ckpt, output);
          status = 128 + (stopped_by ? stopped_by : SIGINT);
          g_clear_error (&error);
          if (!gct_loss_curve_save (trainer, curve, &error))
            g_printerr ("gcut-train: %s\n", error->message);
        }
      else
        {
          g_printerr ("gcut-train: %s\n", error->message);
          status = 1;
        }
      goto out;
    }
  if (!gct_trainer_save_model (trainer, output, &error)
      || !gct_trainer_save_checkpoint (trainer, ckpt, &error))
    {
      g_printerr ("gcut-train: %s\n", error->message);
      status = 1;
      goto out;
    }
  g_print ("Wrote %s (checkpoint %s)\n", output, ckpt);
  if (gct_loss_curve_save (trainer, curve, &error))
    g_print ("Loss curves: %s\n", curve);
  else
    {
      g_printerr ("gcut-train: %s\n", error->message);
      status = 1;
    }

out:
  the_trainer = NULL;
  g_clear_pointer (&trainer, gct_trainer_free);
  g_clear_pointer (&inputs, gct_file_set_free);
  g_free (stem);
  gegl_exit ();
  return status;
}
