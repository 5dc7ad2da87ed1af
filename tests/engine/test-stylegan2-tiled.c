/* SinCUT's StyleGAN2-lite generator over whole images: tiled runs match one
 * pass, and the position noise is the same whichever window makes it. */
#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "run-io.h"
#include "test-util.h"

#define SEED 1234

/* A small G with every parameter random, the noise strengths and biases
 * included (the official initialization zeroes them, which would hide the
 * noise and the biases' padding from the comparison). */
static GcutNetwork *
small_generator (int n_downsampling, int n_blocks)
{
  GcutStyleGan2GeneratorConfig config = { 2, n_downsampling, n_blocks, 64 };
  GcutNetwork *G = gcut_stylegan2_generator_new (&config);
  g_autoptr (GRand) rand = g_rand_new_with_seed (n_downsampling * 10 + n_blocks);

  gcut_stylegan2_init (G, 7);
  for (guint i = 0; i < gcut_network_n_params (G); i++)
    {
      const char *name = gcut_network_param_name (G, i);
      GcutShape s = gcut_network_param_shape (G, i);
      float *p = gcut_network_param_data (G, i);
      if (g_str_has_suffix (name, ".bias") || g_str_has_suffix (name, ".noise.weight"))
        for (gint64 k = 0; k < gc_numel (&s); k++)
          p[k] = g_rand_double_range (rand, -0.5, 0.5);
    }
  return G;
}

/* The reference: one plan over the image padded (edges repeated) to a
 * multiple of 2^n_downsampling, with the whole noise grid. */
typedef struct
{
  GcutGraph *graph;
  GcutValue *noise;
  int n_noise;
} Noise;

static void
set_noise (GcutPlan *plan, gpointer data)
{
  const Noise *n = data;
  for (int i = 0; i < n->n_noise; i++)
    {
      GcutShape s = gcut_graph_shape (n->graph, n->noise[i]);
      g_autofree float *v = g_new (float, gc_numel (&s));
      gcut_stylegan2_generator_noise_fill (SEED, i, 0, 0, s.dims[2], s.dims[3], v);
      g_assert_true (gcut_plan_set_input (plan, n->noise[i], v, NULL));
    }
}

static float *
one_pass (GcutNetwork *G, const float *input, int width, int height)
{
  int n_noise = gcut_stylegan2_generator_n_noise (G), m = 1 << n_noise;
  GcutShape xs = gc_shape4 (1, 3, (height + m - 1) / m * m, (width + m - 1) / m * m);
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autofree GcutValue *noise = g_new (GcutValue, n_noise);
  GcutValue x = gcut_input (graph, "image", xs), y;

  for (int i = 0; i < n_noise; i++)
    noise[i]
        = gcut_input (graph, "noise", gcut_stylegan2_generator_noise_shape (G, xs, i));
  y = gcut_stylegan2_generator_build (G, graph, x, noise, NULL, FALSE);
  return gc_one_pass (graph, x, y, input, width, height, set_noise,
                      &(Noise){ graph, noise, n_noise });
}

typedef struct
{
  int width, height, tile;
  int n_downsampling, n_blocks;
  gsize budget;
  gboolean in_place; /* read and write one image */
  int min_tiles;     /* at least this many progress reports */
} Case;

static void
check_case (gconstpointer data)
{
  const Case *k = data;
  g_autoptr (GcutNetwork) G = small_generator (k->n_downsampling, k->n_blocks);
  gsize n = 3 * (gsize)k->width * k->height;
  g_autofree float *input = gc_test_image (k->width, k->height, k->width * 7 + k->height);
  g_autofree float *ref = one_pass (G, input, k->width, k->height);
  g_autofree float *out = g_new0 (float, n);
  g_autoptr (GError) error = NULL;
  GcIo io = { k->width, k->height, input, out };
  GcutGeneratorRun run
      = { k->width,   k->height,   k->tile,        k->budget, GCUT_PRECISION_EXACT,
          gc_io_read, gc_io_write, gc_io_progress, &io,       NULL,
          SEED };
  double worst = 0, range = 0;

  if (k->in_place)
    {
      memcpy (out, input, n * sizeof (float));
      io.input = out;
    }
  g_assert_true (gcut_generator_run (G, NULL, &run, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_true (isfinite (out[i]));
      worst = MAX (worst, fabs (out[i] - ref[i]));
      range = MAX (range, fabs (ref[i]));
    }
  g_test_message ("%d×%d, tile %d, %d downsamplings, %d blocks: max |tiled − one pass| "
                  "= %.3g (outputs up to %.3g), %d tiles",
                  k->width, k->height, k->tile, k->n_downsampling, k->n_blocks, worst,
                  range, io.n_progress);
  g_print ("# %s: max abs diff %.3g of outputs up to %.3g, %d tiles\n",
           g_test_get_path (), worst, range, io.n_progress);
  g_assert_cmpfloat (range, >, 0.1);
  g_assert_cmpfloat (worst, <=, 1e-6 * MAX (range, 1));
  g_assert_cmpfloat (io.last_fraction, ==, 1.0);
  g_assert_cmpint (io.n_progress, >=, k->min_tiles);
}

static const Case cases[] = {
  { 131, 97, 32, 1, 4, 0, FALSE, 5 * 4 },
  { 131, 97, 32, 2, 2, 0, FALSE, 5 * 4 },
  { 64, 64, 16, 1, 4, 0, FALSE, 4 * 4 },
  { 101, 75, 8, 1, 4, 0, FALSE, 13 * 10 }, /* tiles smaller than the halo */
  { 101, 75, 8, 2, 2, 0, FALSE, 13 * 10 },
  { 101, 75, 16, 1, 4, 0, TRUE, 7 * 5 }, /* in place */
  { 150, 90, 48, 2, 2, 0, TRUE, 4 * 2 },
  { 3, 200, 16, 1, 4, 0, FALSE, 13 },
  { 3, 200, 16, 2, 2, 0, FALSE, 13 },
  { 1, 1, 16, 1, 4, 0, FALSE, 1 },
  { 1, 1, 0, 2, 2, 0, FALSE, 1 },
  /* Automatic: one window within the default budget, tiles under a small one. */
  { 131, 97, 0, 1, 4, 0, FALSE, 1 },
  { 200, 136, 0, 2, 2, 3 << 20, TRUE, 2 },
  { 200, 136, 0, 1, 4, 3 << 20, FALSE, 2 },
};

/* Any window of the noise is the same part of the whole grid. */
static void
test_noise_windows (void)
{
  const int h = 40, w = 56;
  g_autofree float *all = g_new (float, h *w);
  double sum = 0, sum2 = 0;

  for (int index = 0; index < 2; index++)
    {
      gcut_stylegan2_generator_noise_fill (SEED, index, 0, 0, h, w, all);
      for (int y0 = 0; y0 < h; y0 += 13)
        for (int x0 = 0; x0 < w; x0 += 11)
          {
            int bh = MIN (17, h - y0), bw = MIN (23, w - x0);
            g_autofree float *part = g_new (float, bh *bw);
            gcut_stylegan2_generator_noise_fill (SEED, index, y0, x0, bh, bw, part);
            for (int y = 0; y < bh; y++)
              g_assert_cmpmem (part + y * bw, bw * sizeof (float),
                               all + (y0 + y) * w + x0, bw * sizeof (float));
          }
    }
  /* Standard normal, and another seed or input gives other values. */
  {
    const int n = 1 << 18;
    g_autofree float *v = g_new (float, n), *u = g_new (float, n);
    g_autofree float *t = g_new (float, n);
    int same = 0;
    gcut_stylegan2_generator_noise_fill (SEED, 0, 0, 0, 512, 512, v);
    gcut_stylegan2_generator_noise_fill (SEED + 1, 0, 0, 0, 512, 512, u);
    gcut_stylegan2_generator_noise_fill (SEED, 1, 0, 0, 512, 512, t);
    for (int i = 0; i < n; i++)
      {
        g_assert_true (isfinite (v[i]));
        sum += v[i];
        sum2 += (double)v[i] * v[i];
        same += v[i] == u[i] || v[i] == t[i];
      }
    g_assert_cmpfloat (fabs (sum / n), <, 0.01);
    g_assert_cmpfloat (fabs (sum2 / n - 1), <, 0.01);
    g_assert_cmpint (same, <, 4);
  }
}

static void
test_cancel (void)
{
  g_autoptr (GcutNetwork) G = small_generator (1, 4);
  g_autofree float *input = gc_test_image (100, 60, 1);
  g_autofree float *out = g_new0 (float, 3 * 100 * 60);
  g_autoptr (GError) error = NULL;
  GcIo io = { 100, 60, input, out, .cancel_at = 3 };
  GcutGeneratorRun run
      = { 100, 60, 16, 0, GCUT_PRECISION_EXACT, gc_io_read, gc_io_write, gc_io_progress,
          &io };

  g_assert_false (gcut_stylegan2_generator_run (G, NULL, &run, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (io.n_progress, ==, 3);
}

/* Failures a caller can cause come back as errors. */
static void
test_errors (void)
{
  g_autoptr (GcutNetwork) G = small_generator (1, 4);
  GcutPatchGanConfig d_config = { 8, 3, TRUE };
  g_autoptr (GcutNetwork) D = gcut_patchgan_new (&d_config);
  GcutResnetGeneratorConfig r_config = { 8, 2, TRUE, TRUE };
  g_autoptr (GcutNetwork) R = gcut_resnet_generator_new (&r_config);
  g_autofree float *input = gc_test_image (20, 20, 1);
  g_autofree float *out = g_new0 (float, 3 * 20 * 20);
  g_autoptr (GError) error = NULL;
  GcIo io = { 20, 20, input, out, .fail_read = TRUE };
  GcutGeneratorRun run
      = { 20, 20, 8, 0, GCUT_PRECISION_EXACT, gc_io_read, gc_io_write, NULL, &io };

  g_assert_false (gcut_generator_run (G, NULL, &run, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  io.fail_read = FALSE;
  g_assert_false (gcut_generator_run (D, NULL, &run, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (gcut_stylegan2_generator_run (R, NULL, &run, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (gcut_resnet_generator_run (G, NULL, &run, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  run.width = 0;
  g_assert_false (gcut_generator_run (G, NULL, &run, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  run.width = 20;
  run.tile_size = -4;
  g_assert_false (gcut_generator_run (G, NULL, &run, &error));
  g_assert_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *k = &cases[i];
      g_autofree char *path
          = g_strdup_printf ("/stylegan2-tiled/%dx%d-tile%d-down%d-blocks%d%s%s",
                             k->width, k->height, k->tile, k->n_downsampling, k->n_blocks,
                             k->budget ? "-budget" : "", k->in_place ? "-in-place" : "");
      g_test_add_data_func (path, k, check_case);
    }
  g_test_add_func ("/stylegan2-tiled/noise-windows", test_noise_windows);
  g_test_add_func ("/stylegan2-tiled/cancel", test_cancel);
  g_test_add_func ("/stylegan2-tiled/errors", test_errors);
  return g_test_run ();
}
