/* Tiled whole-image generator runs match one pass over the image. */
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "run-io.h"
#include "test-util.h"

/* The reference: one plan over the image padded (edges replicated) to a
 * multiple of 4, at least 8. */
static float *
one_pass (GcutNetwork *G, const float *input, int width, int height)
{
  int pw = MAX ((width + 3) / 4 * 4, 8), ph = MAX ((height + 3) / 4 * 4, 8);
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  GcutValue x = gcut_input (graph, "image", gc_shape4 (1, 3, ph, pw));
  GcutValue y = gcut_resnet_generator_build (G, graph, x, NULL, FALSE);
  return gc_one_pass (graph, x, y, input, width, height, NULL, NULL);
}

typedef struct
{
  int width, height, tile;
  int ngf, n_blocks;
  gboolean antialias, antialias_up;
  gsize budget;
} Case;

static void
check_case (gconstpointer data)
{
  const Case *k = data;
  GcutResnetGeneratorConfig config
      = { k->ngf, k->n_blocks, k->antialias, k->antialias_up };
  g_autoptr (GcutNetwork) G = gcut_resnet_generator_new (&config);
  g_autofree float *input = gc_test_image (k->width, k->height, k->width * 7 + k->height);
  g_autofree float *ref = NULL;
  g_autofree float *out = g_new0 (float, 3 * (gsize)k->width * k->height);
  g_autoptr (GError) error = NULL;
  GcIo io = { k->width, k->height, input, out };
  GcutGeneratorRun run
      = { k->width,   k->height,   k->tile,        k->budget, GCUT_PRECISION_EXACT,
          gc_io_read, gc_io_write, gc_io_progress, &io };
  double worst = 0, range = 0;

  gcut_network_init_xavier (G, 0.02f, 5 + k->ngf);
  ref = one_pass (G, input, k->width, k->height);
  g_assert_true (gcut_resnet_generator_run (G, NULL, &run, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < 3 * (gsize)k->width * k->height; i++)
    {
      worst = MAX (worst, fabs (out[i] - ref[i]));
      range = MAX (range, fabs (ref[i]));
    }
  g_test_message ("%d×%d, tile %d, ngf %d, %d blocks, antialias %d/%d: max |tiled − "
                  "one pass| = %.3g (outputs up to %.3g), %d progress reports",
                  k->width, k->height, k->tile, k->ngf, k->n_blocks, k->antialias,
                  k->antialias_up, worst, range, io.n_progress);
  g_print ("# %s: max abs diff %.3g\n", g_test_get_path (), worst);
  g_assert_cmpfloat (worst, <=, 1e-3);
  if (k->width * k->height > 1)
    g_assert_cmpfloat (range, >, 1e-3);
  g_assert_cmpfloat (io.last_fraction, ==, 1.0);
  /* Tiled runs report once per tile and pass; one-pass runs once. */
  if (k->budget || MAX (k->width, k->height) > 2 * k->tile)
    g_assert_cmpint (io.n_progress, >, 1);
}

static const Case cases[] = {
  { 200, 136, 64, 8, 2, TRUE, TRUE },
  { 200, 136, 64, 12, 3, FALSE, FALSE },
  { 131, 97, 64, 16, 2, TRUE, FALSE },
  { 131, 97, 64, 8, 3, FALSE, TRUE },
  { 131, 97, 64, 8, 0, TRUE, TRUE },
  { 3, 200, 64, 8, 2, TRUE, TRUE },
  { 1, 1, 64, 8, 2, FALSE, FALSE },
  /* Automatic tiles under a budget too small for the whole image. */
  { 200, 136, 0, 8, 2, TRUE, TRUE, 3 << 20 },
};

static GcutNetwork *
small_generator (void)
{
  GcutResnetGeneratorConfig config = { 8, 2, TRUE, TRUE };
  GcutNetwork *G = gcut_resnet_generator_new (&config);
  gcut_network_init_xavier (G, 0.02f, 3);
  return G;
}

static gboolean
run_small (GcutNetwork *G, GcIo *io, GError **error)
{
  GcutGeneratorRun run
      = { io->width,   io->height,     64, 0, GCUT_PRECISION_EXACT, gc_io_read,
          gc_io_write, gc_io_progress, io };
  return gcut_resnet_generator_run (G, NULL, &run, error);
}

static void
test_cancel (void)
{
  g_autoptr (GcutNetwork) G = small_generator ();
  g_autofree float *input = gc_test_image (200, 136, 1);
  g_autofree float *out = g_new0 (float, 3 * 200 * 136);
  g_autoptr (GError) error = NULL;
  GcIo io = { 200, 136, input, out, .cancel_at = 5 };

  g_assert_false (run_small (G, &io, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (io.n_progress, ==, 5);
}

static void
test_read_error (void)
{
  g_autoptr (GcutNetwork) G = small_generator ();
  g_autofree float *input = gc_test_image (200, 136, 1);
  g_autofree float *out = g_new0 (float, 3 * 200 * 136);
  g_autoptr (GError) error = NULL;
  GcIo io = { 200, 136, input, out, .fail_read = TRUE };

  g_assert_false (run_small (G, &io, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  io.width = io.height = 1;
  g_clear_error (&error);
  g_assert_false (run_small (G, &io, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

/* A file size limit below what the features need reads as a full disk. */
static void
test_no_space (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GcutNetwork) G = small_generator ();
      g_autofree float *input = gc_test_image (200, 136, 1);
      g_autofree float *out = g_new0 (float, 3 * 200 * 136);
      g_autoptr (GError) error = NULL;
      GcIo io = { 200, 136, input, out };
      struct rlimit limit = { 4096, 4096 };

      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
      g_assert_false (run_small (G, &io, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
      g_assert_nonnull (strstr (error->message, "no space left in "));
      g_assert_nonnull (strstr (error->message, "200×136 image"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Automatic tiles depend on the image and the budget only: oneDNN sizes its
 * workspaces by the thread count, and a budget measured with them tiled an
 * image near the limit at 16 threads but not at 1, which changes the output's
 * last bits (tiled runs match one pass to ~1e-7, not exactly).  Over budgets
 * from a quarter to twice the one-pass memory, runs at 1 and 16 threads cut
 * the image alike (seen by their progress reports: one per tile and pass). */
static void
test_tiles_ignore_threads (void)
{
  const int w = 200, h = 136;
  g_autoptr (GcutNetwork) G = small_generator ();
  g_autofree float *input = gc_test_image (w, h, 4);
  g_autofree float *out = g_new0 (float, 3 * w * h);
  g_autoptr (GError) error = NULL;
  GcIo io = { w, h, input, out };
  gsize whole = 0;
  GcutGeneratorRun run
      = { w,   h,     0, 0, GCUT_PRECISION_EXACT, gc_io_read, gc_io_write, gc_io_progress,
          &io, &whole };
  int differ = 0;

  g_assert_true (gcut_generator_run (G, NULL, &run, &error));
  g_assert_no_error (error);
  run.arena_bytes = NULL;
  for (int k = 0; k < 12; k++)
    {
      int reports[2];
      run.memory_budget = whole / 4 + whole * 7 / 4 * k / 12;
      for (int i = 0; i < 2; i++)
        {
          gcut_backend_set_threads (gcut_backend_cpu (), i ? 16 : 1);
          io.n_progress = 0;
          io.last_fraction = 0;
          g_assert_true (gcut_generator_run (G, NULL, &run, &error));
          g_assert_no_error (error);
          reports[i] = io.n_progress;
        }
      if (reports[0] != reports[1] && differ++ < 3)
        g_test_message ("budget %" G_GSIZE_FORMAT
                        " KiB: %d reports at 1 thread, %d at 16",
                        run.memory_budget >> 10, reports[0], reports[1]);
    }
  gcut_backend_set_threads (gcut_backend_cpu (), 0);
  if (differ)
    g_test_fail_printf ("%d budgets of 12 cut the image differently at 1 and 16 threads",
                        differ);
}

/* The process's address space in bytes (VmSize). */
static gsize
address_space (void)
{
  g_autofree char *status = NULL;
  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  const char *line = strstr (status, "VmSize:");
  g_assert_nonnull (line);
  return (gsize)g_ascii_strtoull (line + strlen ("VmSize:"), NULL, 10) << 10;
}

static void
limit_address_space (gsize bytes)
{
  struct rlimit limit = { bytes, RLIM_INFINITY };
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
}

/* With room for half the memory of one 512×384 tile, gcut_generator_run goes
 * on in smaller tiles and still matches one pass; with room for nothing it
 * fails with GCUT_ERROR_OUT_OF_MEMORY instead of aborting. */
static void
test_out_of_memory (void)
{
  if (g_test_subprocess ())
    {
      const int w = 512, h = 384;
      g_autoptr (GcutNetwork) G = small_generator ();
      g_autofree float *input = gc_test_image (w, h, 2);
      g_autofree float *ref = one_pass (G, input, w, h);
      g_autofree float *out = g_new0 (float, 3 * w * h);
      g_autoptr (GError) error = NULL;
      GcIo io = { w, h, input, out };
      gsize whole = 0, smaller = 0;
      GcutGeneratorRun run = { w,          h,           w,    0,   GCUT_PRECISION_EXACT,
                               gc_io_read, gc_io_write, NULL, &io, &whole };
      double worst = 0;

      /* Large blocks on their own mappings, unmapped when freed: else the
       * first run's freed memory would stay in the address space for the
       * second to reuse. */
      mallopt (M_MMAP_THRESHOLD, 1 << 17);
      g_assert_true (gcut_generator_run (G, NULL, &run, &error));
      g_assert_no_error (error);
      limit_address_space (address_space () + whole / 2);
      run.arena_bytes = &smaller;
      g_assert_true (gcut_generator_run (G, NULL, &run, &error));
      g_assert_no_error (error);
      for (gsize i = 0; i < 3 * (gsize)w * h; i++)
        worst = MAX (worst, fabs (out[i] - ref[i]));
      g_print ("# one tile: %" G_GSIZE_FORMAT " KiB; under half that: %" G_GSIZE_FORMAT
               " KiB, max |diff| to one pass %.3g\n",
               whole >> 10, smaller >> 10, worst);
      g_assert_cmpuint (smaller, <, whole / 2);
      g_assert_cmpfloat (worst, <=, 1e-3);

      limit_address_space (address_space () + (1 << 20));
      g_assert_false (gcut_generator_run (G, NULL, &run, &error));
      g_assert_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *k = &cases[i];
      g_autofree char *path = g_strdup_printf (
          "/generator-tiled/%dx%d-tile%d-ngf%d-blocks%d-%s%s", k->width, k->height,
          k->tile, k->ngf, k->n_blocks, k->antialias ? "blur" : "strided",
          k->antialias_up ? "-blurup" : "-convt");
      g_test_add_data_func (path, k, check_case);
    }
  g_test_add_func ("/generator-tiled/cancel", test_cancel);
  g_test_add_func ("/generator-tiled/read-error", test_read_error);
  g_test_add_func ("/generator-tiled/no-space", test_no_space);
  g_test_add_func ("/generator-tiled/out-of-memory", test_out_of_memory);
  g_test_add_func ("/generator-tiled/tiles-ignore-threads", test_tiles_ignore_threads);
  return g_test_run ();
}
