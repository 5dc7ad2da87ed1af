/* Adam against torch.optim.Adam, the learning-rate schedule, and saving and
 * restoring the optimizer state. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include <gcp/gcp-safetensors.h>
#include "gct-adam.h"

#define N 1000
#define STEPS 5

static const GctAdamConfig configs[] = {
  { 2e-4, 0.5, 0.999, 1e-8 },
  { 2e-3, 0.0, 0.99, 1e-8 },
};

static double
lr_at (double base, int step)
{
  return base * (1.0 - 0.1 * step);
}

static void
test_torch (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gct-adam-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "adam.bin", NULL);
  const char *argv[] = { GCT_TEST_PYTHON, GCT_TEST_ADAM_SCRIPT, path, NULL };
  g_autofree char *err = NULL;
  g_autofree char *data = NULL;
  gsize len;
  int status;
  const float *f;

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
          g_test_skip ("/usr/bin/python3 has no torch or numpy");
          return;
        }
      g_error ("adam-reference.py failed: %s", err);
    }
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, ==, G_N_ELEMENTS (configs) * (N + STEPS * 2 * N) * 4);
  f = (const float *)data;
  for (guint c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autoptr (GctAdam) adam = gct_adam_new (N, &configs[c]);
      float params[N];
      double worst = 0;

      memcpy (params, f, sizeof params);
      f += N;
      for (int s = 0; s < STEPS; s++)
        {
          const float *grad = f, *expect = f + N;
          gct_adam_step (adam, params, grad, lr_at (configs[c].lr, s));
          for (int i = 0; i < N; i++)
            {
              double rel = fabs ((double)params[i] - expect[i])
                           / MAX (fabs ((double)expect[i]), 1e-6);
              worst = MAX (worst, rel);
              if (rel > 1e-6)
                g_error ("config %u step %d param %d: %.9g, torch %.9g", c, s + 1, i,
                         params[i], expect[i]);
            }
          f += 2 * N;
        }
      g_assert_cmpint (gct_adam_steps (adam), ==, STEPS);
      g_test_message ("config %u: worst relative difference %.3g", c, worst);
    }
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_schedule (void)
{
  /* CUT: 200 + 200 epochs; LambdaLR: 1 - max(0, e + 1 - 200) / 201. */
  for (int e = 0; e < 400; e++)
    {
      double expect = 2e-4 * (1.0 - MAX (0, e + 1 - 200) / 201.0);
      g_assert_cmpfloat_with_epsilon (gct_lr_linear (2e-4, e, 200, 200), expect, 1e-15);
    }
  g_assert_cmpfloat (gct_lr_linear (1.0, 0, 10, 5), ==, 1.0);
  g_assert_cmpfloat (gct_lr_linear (1.0, 8, 10, 5), ==, 1.0);
  g_assert_cmpfloat_with_epsilon (gct_lr_linear (1.0, 10, 10, 5), 1 - 1 / 6.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (gct_lr_linear (1.0, 14, 10, 5), 1 / 6.0, 1e-15);
  g_assert_cmpfloat (gct_lr_linear (1.0, 15, 10, 5), ==, 0.0);
  g_assert_cmpfloat (gct_lr_linear (1.0, 1000, 10, 5), ==, 0.0);
  /* No decay at all. */
  g_assert_cmpfloat (gct_lr_linear (1.0, 5, 10, 0), ==, 1.0);
}

static void
test_resume (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gct-adam-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "state.safetensors", NULL);
  g_autoptr (GctAdam) a = gct_adam_new (N, &configs[0]);
  g_autoptr (GctAdam) b = gct_adam_new (N, &configs[0]);
  g_autoptr (GctAdam) small = gct_adam_new (N - 1, &configs[0]);
  g_autoptr (GcpSafetensorsWriter) w = gcp_safetensors_writer_new ();
  g_autoptr (GcpSafetensors) st = NULL;
  g_autoptr (GError) error = NULL;
  float pa[N], pb[N], g[N];

  for (int i = 0; i < N; i++)
    pa[i] = sinf (i);
  for (int s = 0; s < 3; s++)
    {
      for (int i = 0; i < N; i++)
        g[i] = cosf (i * (s + 1));
      gct_adam_step (a, pa, g, 2e-4);
    }
  gct_adam_add_to (a, w, "adam.G.");
  g_assert_true (gcp_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
  st = gcp_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (gct_adam_load (b, st, "adam.G.", &error));
  g_assert_no_error (error);
  g_assert_cmpint (gct_adam_steps (b), ==, 3);
  memcpy (pb, pa, sizeof pa);
  /* Both continue identically, bit for bit. */
  for (int s = 0; s < 3; s++)
    {
      for (int i = 0; i < N; i++)
        g[i] = cosf (i * (s + 5));
      gct_adam_step (a, pa, g, 1e-4);
      gct_adam_step (b, pb, g, 1e-4);
    }
  g_assert_cmpmem (pa, sizeof pa, pb, sizeof pb);

  /* A state of another size is refused, and so is a missing prefix. */
  g_assert_false (gct_adam_load (small, st, "adam.G.", &error));
  g_assert_nonnull (error);
  g_test_message ("rejected: %s", error->message);
  g_clear_error (&error);
  g_assert_false (gct_adam_load (b, st, "adam.D.", &error));
  g_assert_error (error, GCP_ERROR, GCP_ERROR_NOT_FOUND);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_network (void)
{
  GcutPatchGanConfig dc = { 4, 2, TRUE };
  g_autoptr (GcutNetwork) D = gcut_patchgan_new (&dc);
  g_autoptr (GctAdam) adam = gct_adam_new_for_network (D, &configs[0]);
  gsize n, ng;
  float *p = gcut_network_data (D, &n);
  float *g = gcut_network_grads (D, &ng);
  g_autofree float *before = NULL;

  g_assert_cmpuint (gct_adam_size (adam), ==, n);
  g_assert_cmpuint (ng, ==, n);
  gcut_network_init_xavier (D, 0.02f, 1);
  for (gsize i = 0; i < n; i++)
    g[i] = (i % 3) - 1.0f;
  before = g_memdup2 (p, n * sizeof (float));
  gct_adam_step_network (adam, D, 1e-3);
  /* The first Adam step moves every parameter with a gradient by about lr. */
  for (guint k = 0; k < gcut_network_n_params (D); k++)
    {
      const float *pk = gcut_network_param_data (D, k);
      gsize off = pk - p;
      float gk = gcut_network_param_grad (D, k)[0];
      if (gk != 0)
        g_assert_cmpfloat (fabsf (pk[0] - before[off] + 1e-3f * (gk > 0 ? 1 : -1)), <,
                           1e-6);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/adam/torch", test_torch);
  g_test_add_func ("/adam/schedule", test_schedule);
  g_test_add_func ("/adam/resume", test_resume);
  g_test_add_func ("/adam/network", test_network);
  return g_test_run ();
}
