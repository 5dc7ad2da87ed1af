/* An image in memory behind a generator run's callbacks (run-io.h). */
#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "run-io.h"

gboolean
gc_io_read (int x, int y, int w, int h, float *rgb, gpointer data, GError **error)
{
  GcIo *io = data;
  g_assert_true (x >= 0 && y >= 0 && w >= 1 && h >= 1);
  g_assert_true (x + w <= io->width && y + h <= io->height);
  if (io->fail_read)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no reading");
      return FALSE;
    }
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < h; r++)
      memcpy (rgb + ((gsize)c * h + r) * w,
              io->input + ((gsize)c * io->height + y + r) * io->width + x,
              w * sizeof (float));
  return TRUE;
}

gboolean
gc_io_write (int x, int y, int w, int h, const float *rgb, gpointer data, GError **error)
{
  GcIo *io = data;
  g_assert_true (x >= 0 && y >= 0 && w >= 1 && h >= 1);
  g_assert_true (x + w <= io->width && y + h <= io->height);
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < h; r++)
      memcpy (io->output + ((gsize)c * io->height + y + r) * io->width + x,
              rgb + ((gsize)c * h + r) * w, w * sizeof (float));
  return TRUE;
}

gboolean
gc_io_progress (double fraction, gpointer data)
{
  GcIo *io = data;
  g_assert_cmpfloat (fraction, >=, io->last_fraction);
  g_assert_cmpfloat (fraction, <=, 1.0);
  io->last_fraction = fraction;
  return ++io->n_progress != io->cancel_at;
}

float *
gc_test_image (int width, int height, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  float *p = g_new (float, 3 * (gsize)width * height);
  for (int c = 0; c < 3; c++)
    {
      double f[4][3];
      for (int k = 0; k < 4; k++)
        for (int i = 0; i < 3; i++)
          f[k][i] = g_rand_double_range (rand, i < 2 ? -0.15 : 0, i < 2 ? 0.15 : 6.3);
      for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
          {
            double v = 0.1 * g_rand_double_range (rand, -1, 1);
            for (int k = 0; k < 4; k++)
              v += 0.22 * sin (f[k][0] * x + f[k][1] * y + f[k][2]);
            p[((gsize)c * height + y) * width + x] = CLAMP (v, -1, 1);
          }
    }
  return p;
}

float *
gc_one_pass (GcutGraph *graph, GcutValue x, GcutValue y, const float *input, int width,
             int height, void (*setup) (GcutPlan *plan, gpointer data), gpointer data)
{
  GcutShape xs = gcut_graph_shape (graph, x);
  const int ph = xs.dims[2], pw = xs.dims[3];
  g_autoptr (GcutPlan) plan = gcut_plan_new (
      graph, gcut_backend_cpu (), &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1 }, NULL);
  g_autofree float *padded = g_new (float, 3 * (gsize)pw * ph);
  float *out = g_new (float, 3 * (gsize)width * height);

  g_assert_nonnull (plan);
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < ph; r++)
      for (int i = 0; i < pw; i++)
        padded[((gsize)c * ph + r) * pw + i]
            = input[((gsize)c * height + MIN (r, height - 1)) * width
                    + MIN (i, width - 1)];
  if (setup)
    setup (plan, data);
  g_assert_true (gcut_plan_set_input (plan, x, padded, NULL));
  g_assert_true (gcut_plan_forward (plan, NULL));
  g_assert_true (gcut_plan_get_output (plan, y, padded, NULL));
  for (int c = 0; c < 3; c++)
    for (int r = 0; r < height; r++)
      memcpy (out + ((gsize)c * height + r) * width, padded + ((gsize)c * ph + r) * pw,
              width * sizeof (float));
  return out;
}
