/* Single-image sampling: Pillow-compatible resizes, CUT's resize_and_crop and
 * SinCUT's zoom_and_patch, determinism. */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gct-sampling.h"
#include "trainer-test-util.h"

/* ---- against Pillow ---- */

static void
test_pillow (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gct-sampling-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "resize.bin", NULL);
  const char *image = GCT_TEST_SAMPLE_IMAGE;
  const char *argv[] = { GCT_TEST_PYTHON, GCT_TEST_SAMPLING_SCRIPT, image, path, NULL };
  g_autofree char *err = NULL;
  g_autofree char *data = NULL;
  gsize len, pos = 0;
  int status, n_cases = 0;

  if (!*GCT_TEST_PYTHON)
    {
      g_test_skip ("no /usr/bin/python3");
      return;
    }
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               NULL, &err, &status, NULL));
  if (!g_spawn_check_wait_status (status, NULL))
    {
      if (strstr (err, "No module named"))
        {
          g_test_skip ("/usr/bin/python3 has no Pillow");
          return;
        }
      g_error ("sampling-reference.py failed: %s", err);
    }
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  while (pos < len)
    {
      gint32 hdr[5];
      memcpy (hdr, data + pos, sizeof hdr);
      pos += sizeof hdr;
      int sw = hdr[0], sh = hdr[1], dw = hdr[2], dh = hdr[3];
      gsize ns = (gsize)sw * sh * 3, nd = (gsize)dw * dh * 3;
      const guint8 *src8 = (const guint8 *)data + pos, *ref = src8 + ns;
      g_autofree float *src = g_new (float, ns);
      g_autofree float *dst = g_new (float, nd);
      double worst = 0, sum = 0;

      g_assert_cmpuint (pos + ns + nd, <=, len);
      for (gsize i = 0; i < ns; i++)
        src[i] = src8[i] / 255.0f;
      g_assert_true (gct_resample (src, sw, sh, 3, dst, dw, dh,
                                   hdr[4] ? GCT_FILTER_BICUBIC : GCT_FILTER_BILINEAR,
                                   NULL));
      for (gsize i = 0; i < nd; i++)
        {
          double d = fabs (dst[i] * 255.0 - ref[i]);
          worst = MAX (worst, d);
          sum += d;
        }
      g_test_message ("%s %dx%d -> %dx%d: max |ours - Pillow| %.3f/255, mean %.4f/255",
                      hdr[4] ? "bicubic" : "bilinear", sw, sh, dw, dh, worst, sum / nd);
      /* Pillow rounds to 8 bits after each pass; we do not. */
      g_assert_cmpfloat (worst, <=, 2.0);
      g_assert_cmpfloat (sum / nd, <, 0.4);
      pos += ns + nd;
      n_cases++;
    }
  g_assert_cmpint (n_cases, ==, 5);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- streamed and windowed resizes ---- */

static float *
noise_rgb (int w, int h, guint64 seed)
{
  float *v = g_new (float, (gsize)w *h * 3);
  GctRng rng;
  gct_rng_init (&rng, seed, GCT_STREAM_NOISE);
  for (gsize i = 0; i < (gsize)w * h * 3; i++)
    v[i] = gct_rng_float (&rng);
  return v;
}

/* Fed in strips of any height, or cut into windows anywhere (edges
 * included), a resize gives exactly the pixels of the whole resize. */
static void
test_streamed_windowed (void)
{
  static const int cases[][4] = {
    { 97, 61, 31, 40 }, { 40, 33, 90, 75 }, { 300, 20, 64, 64 }, { 64, 64, 64, 64 }
  };
  for (gsize ci = 0; ci < G_N_ELEMENTS (cases); ci++)
    for (int f = 0; f < 2; f++)
      {
        const int sw = cases[ci][0], sh = cases[ci][1], dw = cases[ci][2],
                  dh = cases[ci][3], win = 16;
        GctFilter filter = f ? GCT_FILTER_BICUBIC : GCT_FILTER_BILINEAR;
        gsize n = (gsize)dw * dh * 3;
        g_autofree float *src = noise_rgb (sw, sh, ci);
        g_autofree float *whole = g_new (float, n), *part = g_new (float, n);
        g_autofree float *cut = g_new (float, win *win * 3);

        g_assert_true (gct_resample (src, sw, sh, 3, whole, dw, dh, filter, NULL));
        for (int rows = 1; rows <= 7; rows += 3)
          {
            g_autoptr (GctResampler) r
                = gct_resampler_new (sw, sh, dw, dh, 3, filter, NULL);
            memset (part, 0, n * sizeof (float));
            for (int y = 0; y < sh; y += rows)
              gct_resampler_push (r, src + (gsize)y * sw * 3, MIN (rows, sh - y), part);
            g_assert_cmpmem (whole, n * sizeof (float), part, n * sizeof (float));
          }
        /* Room for outputs down to half the size: these read fewer rows. */
        g_autoptr (GctResampleWindow) w = gct_resample_window_new (
            sw, sh, MAX (win, dw / 2), MAX (win, dh / 2), win, win, 3, filter, NULL);
        g_assert_nonnull (w);
        for (int i = 0; i < 9; i++)
          {
            /* Both edges and the middle, on each axis. */
            int x0 = (dw - win) * (i % 3) / 2, y0 = (dh - win) * (i / 3) / 2;
            gct_resample_window_run (w, src, dw, dh, x0, y0, cut);
            for (int y = 0; y < win; y++)
              g_assert_cmpmem (cut + (gsize)y * win * 3, win * 3 * sizeof (float),
                               whole + ((gsize)(y0 + y) * dw + x0) * 3,
                               win * 3 * sizeof (float));
          }
      }
}

/* ---- the sampler ---- */

static GctImage *
make_image (int w, int h)
{
  GctImage *img = g_new0 (GctImage, 1);
  img->width = w;
  img->height = h;
  img->rgba = g_new (float, (gsize)w *h * 4);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *p = img->rgba + ((gsize)y * w + x) * 4;
        p[0] = (float)x / (w - 1);
        p[1] = (float)y / (h - 1);
        p[2] = 0.5f + 0.5f * sinf (x * 0.3f) * cosf (y * 0.2f);
        p[3] = (x + y) % 3 / 2.0f;
      }
  return img;
}

/* A sampler of an image in memory. */
static GctSampler *
sampler_new (const GctImage *image, const GctSamplingConfig *config, GError **error)
{
  g_autoptr (GctImageReader) reader
      = gct_image_reader_new_for_image (image, "test image");
  return gct_sampler_new (reader, config, NULL, NULL, error);
}

static void
check_range (const float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    g_assert_true (v[i] >= -1.0f && v[i] <= 1.0f);
}

static void
test_resize_crop (void)
{
  g_autoptr (GctImage) img = make_image (200, 120);
  GctSamplingConfig config = { GCT_SAMPLING_RESIZE_CROP, 72, 64, 0, 0, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (GctSampler) s = sampler_new (img, &config, &error);
  g_autofree float *resized = g_new (float, 72 * 72 * 3);
  g_autofree float *rgb = g_new (float, 200 * 120 * 3);
  const int n = 64, plane = 64 * 64;
  g_autofree float *batch = g_new (float, (gsize)n * 3 * plane);
  GctRng rng;
  int flips = 0, found = 0;

  g_assert_no_error (error);
  for (int i = 0; i < 200 * 120; i++)
    for (int c = 0; c < 3; c++)
      rgb[i * 3 + c] = img->rgba[i * 4 + c];
  g_assert_true (
      gct_resample (rgb, 200, 120, 3, resized, 72, 72, GCT_FILTER_BICUBIC, NULL));
  gct_rng_init (&rng, 5, GCT_STREAM_CROPS);
  gct_sampler_sample (s, &rng, n, batch);
  check_range (batch, (gsize)n * 3 * plane);

  /* Each crop is a 64² window of the 72² resize, flipped or not. */
  for (int b = 0; b < n; b++)
    {
      const float *crop = batch + (gsize)b * 3 * plane;
      gboolean ok = FALSE;
      for (int y0 = 0; y0 <= 8 && !ok; y0++)
        for (int x0 = 0; x0 <= 8 && !ok; x0++)
          for (int flip = 0; flip < 2 && !ok; flip++)
            {
              gboolean match = TRUE;
              for (int c = 0; c < 3 && match; c++)
                for (int y = 0; y < 64 && match; y += 7)
                  for (int x = 0; x < 64 && match; x += 5)
                    {
                      int sx = x0 + (flip ? 63 - x : x);
                      float want = 2 * resized[((y0 + y) * 72 + sx) * 3 + c] - 1;
                      match = crop[c * plane + y * 64 + x] == want;
                    }
              if (match)
                {
                  ok = TRUE;
                  flips += flip;
                }
            }
      found += ok;
    }
  g_assert_cmpint (found, ==, n);
  g_assert_cmpint (flips, >, 16);
  g_assert_cmpint (flips, <, 48);

  /* Deterministic for a seed, different for another. */
  {
    g_autofree float *again = g_new (float, (gsize)n * 3 * plane);
    gct_rng_init (&rng, 5, GCT_STREAM_CROPS);
    gct_sampler_sample (s, &rng, n, again);
    g_assert_cmpmem (batch, (gsize)n * 3 * plane * 4, again, (gsize)n * 3 * plane * 4);
    gct_rng_init (&rng, 6, GCT_STREAM_CROPS);
    gct_sampler_sample (s, &rng, n, again);
    g_assert_true (memcmp (batch, again, (gsize)n * 3 * plane * 4) != 0);
  }

  /* Alpha is ignored. */
  {
    g_autoptr (GctImage) other = make_image (200, 120);
    g_autofree float *b2 = g_new (float, 3 * plane);
    g_autofree float *b1 = g_new (float, 3 * plane);
    for (int i = 0; i < 200 * 120; i++)
      other->rgba[i * 4 + 3] = 0;
    g_autoptr (GctSampler) s2 = sampler_new (other, &config, NULL);
    gct_rng_init (&rng, 8, GCT_STREAM_CROPS);
    gct_sampler_sample (s, &rng, 1, b1);
    gct_rng_init (&rng, 8, GCT_STREAM_CROPS);
    gct_sampler_sample (s2, &rng, 1, b2);
    g_assert_cmpmem (b1, 3 * plane * 4, b2, 3 * plane * 4);
  }
}

static void
test_zoom_crops (void)
{
  g_autoptr (GctImage) img = make_image (600, 400);
  GctSamplingConfig config = { GCT_SAMPLING_ZOOM_CROPS, 0, 32, 1 / 3.0, 1.0, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (GctSampler) s = sampler_new (img, &config, &error);
  const int n = 16, per = 3 * 32 * 32;
  g_autofree float *a = g_new (float, (gsize)n *per);
  g_autofree float *b = g_new (float, (gsize)n *per);
  GctRng rng;

  g_assert_no_error (error);
  for (int t = 0; t < 20; t++)
    {
      gct_rng_init (&rng, t, GCT_STREAM_CROPS);
      gct_sampler_sample (s, &rng, n, a);
      check_range (a, (gsize)n * per);
      gct_rng_init (&rng, t, GCT_STREAM_CROPS);
      gct_sampler_sample (s, &rng, n, b);
      g_assert_cmpmem (a, (gsize)n * per * 4, b, (gsize)n * per * 4);
      /* The crops of a batch come from different cells (at least 6 × 4 of
       * them here): no two are equal. */
      for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
          g_assert_true (memcmp (a + i * per, b + j * per, per * 4) != 0);
    }

  /* The zoom is visible: the red channel (x ramp) spans more at lower zoom.
   * Over many batches the horizontal gradient of red varies by the zoom. */
  {
    double lo = 1e9, hi = 0;
    for (int t = 0; t < 40; t++)
      {
        gct_rng_init (&rng, 100 + t, GCT_STREAM_CROPS);
        gct_sampler_sample (s, &rng, 1, a);
        double slope = fabs (a[31] - a[0]) / 31; /* red, first row */
        lo = MIN (lo, slope);
        hi = MAX (hi, slope);
      }
    /* x ramp: 2/(W' - 1) per pixel with W' from 200 to 600. */
    g_assert_cmpfloat (hi / lo, >, 1.8);
    g_assert_cmpfloat (hi, <, 2.0 / 199 * 1.05);
    g_assert_cmpfloat (lo, >, 2.0 / 599 * 0.95);
  }

  /* An image smaller than the crop is upscaled to it. */
  {
    g_autoptr (GctImage) tiny = make_image (20, 10);
    g_autoptr (GctSampler) st = sampler_new (tiny, &config, &error);
    g_assert_no_error (error);
    gct_rng_init (&rng, 1, GCT_STREAM_CROPS);
    gct_sampler_sample (st, &rng, n, a);
    check_range (a, (gsize)n * per);
    /* The whole (upscaled) image: red spans -1 … 1 along the row. */
    g_assert_cmpfloat (fabs (a[0] - a[31]), >, 1.9);
  }
}

/* ---- an image larger than memory allows ---- */

#define LARGE 12000

/* A LARGE² image made up as it is read (red and green ramps); counts the rows
 * read in *data. */
static gboolean
read_large (gpointer data, int y, int n_rows, float *rgba, GError **error)
{
  for (int r = 0; r < n_rows; r++)
    for (int x = 0; x < LARGE; x++)
      {
        float *p = rgba + ((gsize)r * LARGE + x) * 4;
        p[0] = (float)x / (LARGE - 1);
        p[1] = (float)(y + r) / (LARGE - 1);
        p[2] = p[3] = 1.0f;
      }
  *(int *)data += n_rows;
  return TRUE;
}

/* The image is 2.3 GB as R'G'B'A float and 1.7 GB as RGB; with room for
 * 512 MB more than the process has, both modes read it once and sample it:
 * resize_crop keeps its 286² resize, zoom_crops its reduction to
 * GCT_SAMPLING_MAX_PIXELS (200 MB), and zoomed crops never make the zoomed
 * image. */
static void
test_large_image (void)
{
  const GctSamplingConfig modes[2]
      = { { GCT_SAMPLING_RESIZE_CROP, 286, 256, 0, 0, TRUE },
          { GCT_SAMPLING_ZOOM_CROPS, 0, 64, 1 / 3.0, 1.0, TRUE } };
  const int n = 4;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_autofree float *batch = g_new (float, (gsize)n * 3 * 256 * 256);
  gcp_test_limit_address_space (512 << 20);
  for (int m = 0; m < 2; m++)
    {
      g_autoptr (GError) error = NULL;
      int rows_read = 0, crop = modes[m].crop_size;
      g_autoptr (GctImageReader) reader
          = gct_image_reader_new (LARGE, LARGE, "large", read_large, &rows_read, NULL);
      g_autoptr (GctSampler) s = gct_sampler_new (reader, &modes[m], NULL, NULL, &error);
      GctRng rng;

      g_assert_no_error (error);
      g_assert_cmpint (rows_read, ==, LARGE);
      gct_rng_init (&rng, 1, GCT_STREAM_CROPS);
      gct_sampler_sample (s, &rng, n, batch);
      check_range (batch, (gsize)n * 3 * crop * crop);
    }
}

static void
test_errors (void)
{
  g_autoptr (GctImage) img = make_image (30, 30);
  GctSamplingConfig bad_load = { GCT_SAMPLING_RESIZE_CROP, 100, 128, 0, 0, TRUE };
  GctSamplingConfig bad_zoom = { GCT_SAMPLING_ZOOM_CROPS, 0, 16, 0.9, 0.5, TRUE };
  GctImage empty = { 0, 0, NULL };
  GError *error = NULL;

  g_assert_null (sampler_new (img, &bad_load, &error));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (sampler_new (img, &bad_zoom, &error));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (sampler_new (&empty, &bad_zoom, &error));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sampling/pillow", test_pillow);
  g_test_add_func ("/sampling/resize-crop", test_resize_crop);
  g_test_add_func ("/sampling/zoom-crops", test_zoom_crops);
  g_test_add_func ("/sampling/streamed-windowed", test_streamed_windowed);
  g_test_add_func ("/sampling/large-image", test_large_image);
  g_test_add_func ("/sampling/errors", test_errors);
  return g_test_run ();
}
