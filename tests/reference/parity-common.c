/* What the network parity tests share (parity-common.h). */
#include <math.h>

#include <gcp/gcp-network-io.h>

#include "parity-common.h"

/* A bias feeding an instance norm has, exactly, zero gradient: the norm
 * removes it.  Both sides then hold rounding noise, which no relative test can
 * compare; such tensors (largest reference entry below VANISHING of the
 * network's largest gradient entry) must be as small on our side. */
#define VANISHING 1e-5

char *parity_dir;
int parity_failures, parity_comparisons;

GcpSafetensors *
parity_load (const char *file)
{
  g_autofree char *path = g_build_filename (parity_dir, file, NULL);
  g_autoptr (GError) error = NULL;
  GcpSafetensors *st = gcp_safetensors_load (path, &error);
  if (!st)
    g_error ("%s", error->message);
  return st;
}

const float *
parity_expect (GcpSafetensors *st, const char *name, GcutShape shape)
{
  g_autoptr (GError) error = NULL;
  const float *p = gcp_safetensors_get_f32 (st, name, shape.n_dims, shape.dims, &error);
  if (!p)
    g_error ("%s", error->message);
  return p;
}

gint64
parity_numel (GcutShape s)
{
  gint64 n = 1;
  for (int i = 0; i < s.n_dims; i++)
    n *= s.dims[i];
  return n;
}

double
parity_largest (const float *p, gint64 n)
{
  double m = 0;
  for (gint64 i = 0; i < n; i++)
    m = MAX (m, fabs (p[i]));
  return m;
}

static void
report (gboolean ok)
{
  parity_failures += !ok;
  parity_comparisons++;
}

void
parity_compare (const char *what, const float *ours, const float *ref, gint64 n,
                double tol, gboolean relative)
{
  double worst = 0, scale = parity_largest (ref, n);
  for (gint64 i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double)ours[i] - ref[i]));
  double err = relative ? worst / MAX (scale, 1e-30) : worst;
  gboolean ok = err <= tol && isfinite (err);
  if (!ok || g_getenv ("PARITY_VERBOSE"))
    g_print ("%s %-44s %s error %.3g (largest |ref| %.3g)\n", ok ? "ok  " : "FAIL", what,
             relative ? "relative" : "max abs", err, scale);
  report (ok);
}

void
parity_load_net (GcutNetwork *net, const char *file)
{
  g_autoptr (GcpSafetensors) st = parity_load (file);
  g_autoptr (GError) error = NULL;
  if (!gcp_network_load (net, st, "", NULL, &error))
    g_error ("%s: %s", file, error->message);
}

void
parity_compare_grads (GcutNetwork *net, GcpSafetensors *ref, const char *tag, double tol)
{
  double scale = 0;
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < gcut_network_n_params (net); i++)
      {
        g_autofree char *name
            = g_strdup_printf ("grad.%s.%s", tag, gcut_network_param_name (net, i));
        GcutShape shape = gcut_network_param_shape (net, i);
        gint64 n = parity_numel (shape);
        const float *theirs = parity_expect (ref, name, shape);
        const float *ours = gcut_network_param_grad (net, i);
        double r = parity_largest (theirs, n);
        if (pass == 0)
          scale = MAX (scale, r);
        else if (r > VANISHING * scale)
          parity_compare (name, ours, theirs, n, tol, TRUE);
        else
          {
            gboolean ok = parity_largest (ours, n) <= VANISHING * scale;
            if (!ok || g_getenv ("PARITY_VERBOSE"))
              g_print ("%s %-44s vanishing: ours %.3g, reference %.3g, bound %.3g\n",
                       ok ? "ok  " : "FAIL", name, parity_largest (ours, n), r,
                       VANISHING * scale);
            report (ok);
          }
      }
}
