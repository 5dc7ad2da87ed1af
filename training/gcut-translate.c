/* gcut-translate: runs a trained generator over images.
 *
 *   gcut-translate MODEL INPUT OUTPUT
 *   gcut-translate MODEL -o OUTDIR INPUT…   (files, folders, glob patterns)
 *
 * MODEL is a model file (a path, or a bare name found by gcp_model_find).
 * --strength applies less of its style, as gcut:translate's strength does
 * (gct-strength.h); then --palette moves the result's tones and colours to
 * the painting's, for a model that records them (gct-palette.h).
 * With --untrained there is no MODEL: the generator is the CUT ResnetGenerator
 * initialized as the official code does (--seed, --ngf, --n-blocks), which
 * exercises the inference path without a trained model.
 *
 * The batch form loads the model once, skips outputs that exist (unless
 * --overwrite), never writes over an input, goes on past images it cannot
 * read or write and lists them at the end.  --jobs N keeps N images in
 * flight: they load and save in parallel while the generator runs on one at a
 * time, with all the backend's threads. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gegl.h>
#include <glib/gstdio.h>
#include <gcp/gcp-atomic-file.h>
#include <gcp/gcp-model-file.h>
#include <gcut/gcut.h>

#include "gct-batch.h"
#include "gct-duration.h"
#include "gct-palette.h"
#include "gct-strength.h"
#include "gct-translate.h"
#include "image-io.h"

static int ngf = 64, n_blocks = 9, threads, tile_size, jobs = 1;
static gboolean exact, untrained, overwrite;
static gint64 seed = 1, noise_seed;
static char *device, *outdir, *format, *shard;
static double strength = 1, palette = 1;

/* The generator and how to run it; one image at a time goes through it. */
typedef struct
{
  GcutNetwork *G;
  GcutBackend *backend;
  GMutex lock;
  gboolean blend; /* --strength by pixels */
  float *palette; /* the model's (gcp_model_palette); NULL: none */
} Translator;

static GcutNetwork *
untrained_generator (GError **error)
{
  GcpGeneratorConfig config = { GCP_GENERATOR_RESNET, ngf, n_blocks, TRUE, TRUE, 2 };
  /* Too large for memory is an error, not an abort. */
  GcutNetwork *G = gcp_generator_new (&config, error);
  if (G)
    gcut_network_init_xavier (G, 0.02f, seed);
  return G;
}

/* The generator at --strength: the model's own, or interpolated with its
 * base's; *blend when pixels are to be blended instead. */
static GcutNetwork *
at_strength (GcpModel *model, const char *name, gboolean *blend)
{
  const GcpBaseRecord *base = gcp_model_base (model);
  g_autofree char *path = gcp_model_find (name, NULL);
  g_autofree char *folder = path ? g_path_get_dirname (path) : NULL;
  g_autoptr (GcpModel) base_model = NULL;
  g_autoptr (GError) error = NULL;
  GcutNetwork *G = NULL;

  *blend = strength < 1;
  if (strength >= 1 || !base)
    return gcp_model_steal_generator (model);
  base_model = gcp_model_load_base (base, folder, gcp_model_architecture (model), &error);
  if (base_model)
    G = gct_strength_interpolate (gcp_model_generator (base_model),
                                  gcp_model_generator (model),
                                  gcp_model_architecture (model), strength, &error);
  if (G)
    {
      *blend = FALSE;
      return G;
    }
  g_printerr ("gcut-translate: %s; blending pixels for the strength instead\n",
              error->message);
  return gcp_model_steal_generator (model);
}

/* The model's generator at --strength, and a copy of its palette. */
static GcutNetwork *
load_generator (const char *name_or_path, gboolean *blend, float **levels, GError **error)
{
  /* A file in the current folder is meant even without a '/'. */
  g_autofree char *name
      = !strchr (name_or_path, '/') && g_file_test (name_or_path, G_FILE_TEST_IS_REGULAR)
            ? g_strconcat ("./", name_or_path, NULL)
            : g_strdup (name_or_path);
  g_autoptr (GcpModel) model = gcp_model_load (name, error);

  if (!model)
    return NULL;
  *levels = gct_palette_copy (gcp_model_palette (model));
  return at_strength (model, name, blend);
}

/* The generator's result at --strength, in place. */
static gboolean
run_generator (Translator *t, GctImage *image, gsize *arena, GError **error)
{
  gsize bytes = (gsize)image->width * image->height * 4 * sizeof (float);
  g_autofree float *input = NULL;
  gboolean ok;

  /* Strength 0: the input itself (gct-strength.h says why). */
  if (strength <= 0)
    return TRUE;
  if (t->blend && !(input = g_try_malloc (bytes)))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory to keep the input for the strength");
      return FALSE;
    }
  if (input)
    memcpy (input, image->rgba, bytes);
  g_mutex_lock (&t->lock);
  ok = gct_translate_image (t->G, t->backend,
                            exact ? GCUT_PRECISION_EXACT : GCUT_PRECISION_FAST, image,
                            tile_size, noise_seed, arena, error);
  g_mutex_unlock (&t->lock);
  if (ok && input)
    gct_strength_blend (input, image->rgba, (gsize)image->width * image->height,
                        strength);
  return ok;
}

/* The translation of image, at --strength, then --palette. */
static gboolean
translate (Translator *t, GctImage *image, gsize *arena, GError **error)
{
  if (!run_generator (t, image, arena, error))
    return FALSE;
  gct_palette_match_image (t->palette, image, palette);
  return TRUE;
}

static gboolean
translate_file (Translator *t, const char *in, const char *out, gboolean verbose,
                GError **error)
{
  g_autoptr (GctImage) image = gct_image_load (in, error);
  gint64 start = g_get_monotonic_time ();
  gsize arena = 0;
  gboolean ok;

  if (!image)
    return FALSE;
  if (verbose)
    g_print ("Translating %dx%d pixels on %s...\n", image->width, image->height,
             gcut_backend_name (t->backend));
  ok = translate (t, image, &arena, error);
  if (ok && verbose)
    g_print ("Done in %.2f s (%.0f MiB of working memory).\n",
             (g_get_monotonic_time () - start) / 1e6, arena / 1048576.0);
  return ok && gct_image_save (image, out, error);
}

/* MODEL INPUT OUTPUT: OUTPUT is replaced if it exists, unless it is an input. */
static int
translate_one (Translator *t, const char *model, const char *in, const char *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GctFileSet) inputs = gct_file_set_new ();
  const char *clash;

  gct_file_set_add (inputs, in);
  if (model && g_file_test (model, G_FILE_TEST_EXISTS))
    gct_file_set_add (inputs, model);
  clash = gct_file_set_lookup (inputs, out);
  if (clash)
    {
      g_printerr ("gcut-translate: refusing to write %s: it is the input %s\n", out,
                  clash);
      return 2;
    }
  gcp_atomic_file_clean_for (out);
  if (!translate_file (t, in, out, TRUE, &error))
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 1;
    }
  g_print ("Wrote %s\n", out);
  return 0;
}

/* ---- the batch form ---- */

typedef enum
{
  TRANSLATED,
  SKIPPED,
  FAILED
} Outcome;

typedef struct
{
  Translator *translator;
  GctFileSet *inputs;
  GAsyncQueue *results;
} Batch;

typedef struct
{
  const GctBatchItem *item;
  Outcome outcome;
  char *message;
  double seconds;
} Result;

static void
result_free (gpointer data)
{
  Result *r = data;

  g_free (r->message);
  g_free (r);
}

/* "INPUT: why", unless why names the input already. */
static char *
failure_text (const char *input, const char *why)
{
  return g_str_has_prefix (why, input) ? g_strdup (why)
                                       : g_strdup_printf ("%s: %s", input, why);
}

/* In a worker thread: never prints, the main thread reports. */
static void
run_item (gpointer data, gpointer user_data)
{
  Batch *b = user_data;
  Result *r = g_new0 (Result, 1);
  const char *input;
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GError) error = NULL;

  r->item = data;
  input = gct_file_set_lookup (b->inputs, r->item->output);
  if (input)
    {
      r->outcome = FAILED;
      r->message = g_strdup_printf ("%s: refusing to write %s, which is the input %s",
                                    r->item->input, r->item->output, input);
    }
  else if (!overwrite && g_file_test (r->item->output, G_FILE_TEST_EXISTS))
    r->outcome = SKIPPED;
  else if (translate_file (b->translator, r->item->input, r->item->output, FALSE, &error))
    r->outcome = TRANSLATED;
  else
    {
      r->outcome = FAILED;
      r->message = failure_text (r->item->input, error->message);
    }
  r->seconds = (g_get_monotonic_time () - start) / 1e6;
  g_async_queue_push (b->results, r);
}

typedef struct
{
  guint total, count[3];
  double busy_seconds; /* of the images translated or failed */
  gint64 start;
  gboolean tty;
} Progress;

static void
report (Progress *p, const Result *r)
{
  guint done = p->count[TRANSLATED] + p->count[SKIPPED] + p->count[FAILED];

  if (r->outcome == FAILED)
    g_printerr ("%sFAILED %s\n", p->tty ? "\r\033[K" : "", r->message);
  else if (!p->tty && r->outcome == SKIPPED)
    g_print ("skipped %s: %s exists\n", r->item->input, r->item->output);
  else if (!p->tty)
    g_print ("translated %s -> %s (%.2f s)\n", r->item->input, r->item->output,
             r->seconds);
  if (p->tty)
    {
      int width = 20, filled = (int)(width * (gint64)done / MAX (p->total, 1));
      guint worked = p->count[TRANSLATED] + p->count[FAILED];
      double elapsed = (g_get_monotonic_time () - p->start) / 1e6;
      g_autofree char *eta
          = gct_format_duration (worked ? elapsed / worked * (p->total - done) : -1);
      g_autoptr (GString) bar = g_string_new ("[");

      for (int i = 0; i < width; i++)
        g_string_append_c (bar, i < filled ? '#' : '.');
      g_print ("\r%s] %u/%u  %u translated, %u skipped, %u failed  ETA %s\033[K%s",
               bar->str, done, p->total, p->count[TRANSLATED], p->count[SKIPPED],
               p->count[FAILED], eta, done == p->total ? "\n" : "");
    }
  fflush (stdout);
}

static gboolean
parse_shard (int *k, int *n)
{
  char *end;

  if (!shard)
    return TRUE;
  *k = (int)g_ascii_strtoll (shard, &end, 10);
  if (*end != '/')
    return FALSE;
  *n = (int)g_ascii_strtoll (end + 1, &end, 10);
  return *end == '\0' && *n >= 1 && *k >= 1 && *k <= *n;
}

static gboolean
is_batch_output (const char *name, gpointer data)
{
  return g_hash_table_contains (data, name);
}

static int
translate_batch (Translator *t, const char *model, char **args, int n_args)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *probe = g_strconcat ("x.", format ? format : "png", NULL);
  g_autoptr (GctBatch) batch = NULL;
  g_autoptr (GPtrArray) work = g_ptr_array_new ();
  g_autoptr (GPtrArray) failures = g_ptr_array_new_with_free_func (result_free);
  g_autoptr (GHashTable) names
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *part = NULL;
  Batch b = { t, NULL, NULL };
  Progress p = { 0 };
  GThreadPool *pool;
  int k = 1, n = 1;

  if (format && format[0] == '.')
    format++;
  if (!parse_shard (&k, &n))
    {
      g_printerr ("gcut-translate: --shard takes K/N, 1 ≤ K ≤ N (got %s)\n", shard);
      return 2;
    }
  if (!gct_image_saver (probe, &error))
    {
      g_printerr ("gcut-translate: --format: %s\n", error->message);
      return 2;
    }
  batch = gct_batch_new (args, n_args, outdir, format ? format : "png", &error);
  if (!batch)
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 2;
    }
  if (g_mkdir_with_parents (outdir, 0777) != 0)
    {
      g_printerr ("gcut-translate: cannot create %s: %s\n", outdir, g_strerror (errno));
      return 1;
    }
  if (model && g_file_test (model, G_FILE_TEST_EXISTS))
    gct_file_set_add (batch->inputs, model);
  for (guint i = 0; i < batch->items->len; i++)
    {
      GctBatchItem *item = g_ptr_array_index (batch->items, i);

      if (gct_batch_item_in_shard (item, k, n))
        {
          g_ptr_array_add (work, item);
          g_hash_table_add (names, g_path_get_basename (item->output));
        }
    }
  gcp_atomic_file_clean (outdir, is_batch_output, names);

  b.inputs = batch->inputs;
  b.results = g_async_queue_new ();
  p.total = work->len;
  p.start = g_get_monotonic_time ();
  p.tty = isatty (STDOUT_FILENO);
  part = shard ? g_strdup_printf (" (shard %d of %d)", k, n) : g_strdup ("");
  g_print ("%u image%s%s to %s\n", work->len, work->len == 1 ? "" : "s", part, outdir);
  pool = g_thread_pool_new (run_item, &b, MAX (jobs, 1), TRUE, NULL);
  for (guint i = 0; i < work->len; i++)
    g_thread_pool_push (pool, g_ptr_array_index (work, i), NULL);
  for (guint i = 0; i < work->len; i++)
    {
      Result *r = g_async_queue_pop (b.results);

      p.count[r->outcome]++;
      report (&p, r);
      if (r->outcome == FAILED)
        g_ptr_array_add (failures, r);
      else
        result_free (r);
    }
  g_thread_pool_free (pool, FALSE, TRUE);
  g_async_queue_unref (b.results);

  g_print ("%u translated, %u skipped (output exists), %u failed\n", p.count[TRANSLATED],
           p.count[SKIPPED], p.count[FAILED] + batch->problems->len);
  if (failures->len == 0 && batch->problems->len == 0)
    return 0;
  g_printerr ("Failed:\n");
  for (guint i = 0; i < batch->problems->len; i++)
    g_printerr ("  %s\n", (char *)g_ptr_array_index (batch->problems, i));
  for (guint i = 0; i < failures->len; i++)
    {
      Result *r = g_ptr_array_index (failures, i);
      g_printerr ("  %s\n", r->message);
    }
  return 1;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &outdir,
      "Translate every INPUT into this folder (the batch form)", "OUTDIR" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "Batch: write OUTDIR/STEM.FORMAT, STEM the input's name without its "
      "extension (default png; jpg, tif, webp, exr, … as GEGL writes them)",
      "FORMAT" },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite,
      "Batch: translate again where the output exists (default: skip it)", NULL },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
      "Batch: images in flight (default 1).  They load and save in parallel; "
      "the generator takes one at a time.  Memory: N images (16 bytes per pixel "
      "decoded, plus the encoded file) and one translation's working memory",
      "N" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard,
      "Batch: only the inputs of part K of N (1 ≤ K ≤ N), for spreading a batch over "
      "machines: each file's part is a hash of its output name, so the N parts "
      "cover every input once",
      "K/N" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device, "cpu, cuda or auto (default cpu)",
      "DEVICE" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: all)", "N" },
    { "tile-size", 't', 0, G_OPTION_ARG_INT, &tile_size,
      "Translate in tiles of N pixels, with the same result to float rounding and "
      "less memory (default 0: the whole image when its intermediates fit in 512 "
      "MiB, or half the free memory of a GPU, else the largest tiles that fit; "
      "smaller ones when memory runs out)",
      "N" },
    { "exact", 0, 0, G_OPTION_ARG_NONE, &exact,
      "Only algorithms that match direct computation to float rounding", NULL },
    { "untrained", 0, 0, G_OPTION_ARG_NONE, &untrained,
      "No MODEL: an untrained generator initialized from --seed", NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed,
      "With --untrained: initialization seed (default 1)", "N" },
    { "noise-seed", 0, 0, G_OPTION_ARG_INT64, &noise_seed,
      "Seed of the noise of SinCUT models (default 0, as gcut:translate's)", "N" },
    { "strength", 0, 0, G_OPTION_ARG_DOUBLE, &strength,
      "How much of the style, 0 to 1 (default 1): 0 writes the input unchanged; a "
      "model fine-tuned from a base interpolates its weights with the base's, "
      "others blend their result with the input",
      "S" },
    { "palette", 0, 0, G_OPTION_ARG_DOUBLE, &palette,
      "How far the result takes the painting's tones and colours, 0 to 1 (default "
      "1), for a model trained with a palette (recipes quick and balanced); then "
      "even --strength 0 recolours",
      "P" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "With --untrained: width (default 64)", "N" },
    { "n-blocks", 0, 0, G_OPTION_ARG_INT, &n_blocks,
      "With --untrained: residual blocks (default 9)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx
      = g_option_context_new ("MODEL INPUT OUTPUT | MODEL -o OUTDIR INPUT…");
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  Translator t = { 0 };
  const char *model;
  int first, status;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (
      ctx,
      "Translates INPUT with the generator of MODEL (a .safetensors file written by\n"
      "gcut-train, or the bare name of an installed model) and writes OUTPUT, in any\n"
      "format GEGL knows.  With --untrained, give no MODEL.\n"
      "\n"
      "With -o OUTDIR, translates every INPUT (image files, folders of images, quoted\n"
      "glob patterns) into OUTDIR, loading the model once.  Outputs that exist are\n"
      "skipped, inputs are never written over, and images that fail are listed at\n"
      "the end; the exit status is 1 when any failed.  Progress goes to a terminal\n"
      "as a bar, elsewhere as one line per image.  Temporary files of an interrupted\n"
      "run are removed.  To spread a folder over machines, run the same command on\n"
      "each with --shard K/N (K = 1 … N): see the README for GNU parallel and Slurm.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 2;
    }
  first = untrained ? 1 : 2;
  if (outdir ? argc < first + 1 : argc != first + 2)
    {
      g_printerr ("gcut-translate: give %s%s (see --help)\n",
                  untrained ? "" : "a model, ",
                  outdir ? "-o OUTDIR and input images" : "an input and an output image");
      return 2;
    }
  if (!outdir && (format || overwrite || shard || jobs != 1))
    {
      g_printerr ("gcut-translate: --format, --overwrite, --jobs and --shard are for "
                  "the batch form (-o OUTDIR)\n");
      return 2;
    }
  if (tile_size < 0 || noise_seed < 0 || jobs < 1 || threads < 0)
    {
      g_printerr ("gcut-translate: --tile-size, --noise-seed and --threads must be 0 or "
                  "more, --jobs 1 or more\n");
      return 2;
    }
  if (untrained && (ngf < 1 || ngf > 512 || n_blocks < 0 || n_blocks > 32))
    {
      g_printerr ("gcut-translate: --ngf must be 1…512 and --n-blocks 0…32\n");
      return 2;
    }
  if (!(strength >= 0 && strength <= 1 && palette >= 0 && palette <= 1))
    {
      g_printerr ("gcut-translate: --strength and --palette must be in [0, 1]\n");
      return 2;
    }
  model = untrained ? NULL : argv[1];

  t.backend = gcut_backend_get (device ? device : "cpu", &reason, &error);
  if (!t.backend)
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 1;
    }
  gcut_backend_set_threads (t.backend, threads);
  t.blend = strength < 1;
  t.G = untrained ? untrained_generator (&error)
                  : load_generator (model, &t.blend, &t.palette, &error);
  if (!t.G)
    {
      g_printerr ("gcut-translate: %s\n", error->message);
      return 1;
    }
  g_mutex_init (&t.lock);

  gegl_init (NULL, NULL);
  status = outdir ? translate_batch (&t, model, argv + first, argc - first)
                  : translate_one (&t, model, argv[first], argv[first + 1]);
  gcut_network_free (t.G);
  g_free (t.palette);
  g_mutex_clear (&t.lock);
  gegl_exit ();
  return status;
}
