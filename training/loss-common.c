/* gegl-cut training: helpers shared by the losses (see gct-losses-private.h). */
#include <math.h>
#include <stdarg.h>

#include "gct-losses-private.h"

GcutShape
gct_shape2 (gint64 a, gint64 b)
{
  return (GcutShape){ .n_dims = 2, .dims = { a, b } };
}

GcutShape
gct_shape3 (gint64 a, gint64 b, gint64 c)
{
  return (GcutShape){ .n_dims = 3, .dims = { a, b, c } };
}

GcutValue
gct_fail (GcutGraph *g, const char *loss, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  gcut_graph_set_error (
      g, g_error_new (GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT, "%s: %s", loss, msg));
  return GCUT_NONE;
}

GctNceOptions
gct_nce_options_default (void)
{
  return (
      GctNceOptions){ .batch = 1, .all_negatives_from_minibatch = FALSE, .tau = 0.07f };
}

gboolean
gct_nce_check (GcutGraph *g, GcutValue q, GcutValue k, const GctNceOptions *o,
               const char *loss, gint64 *groups, gint64 *per_group, gint64 *channels)
{
  if (gcut_graph_check (g, NULL) == FALSE || q == GCUT_NONE || k == GCUT_NONE)
    {
      if (gcut_graph_check (g, NULL))
        gct_fail (g, loss, "q or k is GCUT_NONE");
      return FALSE;
    }
  GcutShape sq = gcut_graph_shape (g, q), sk = gcut_graph_shape (g, k);
  if (sq.n_dims != 2 || sk.n_dims != 2 || sq.dims[0] != sk.dims[0]
      || sq.dims[1] != sk.dims[1])
    {
      gct_fail (g, loss, "q and k must be (rows, channels) of the same shape");
      return FALSE;
    }
  if (o->batch < 1 || sq.dims[0] % o->batch != 0)
    {
      gct_fail (g, loss,
                "option batch (%d) must be ≥ 1 and divide the %" G_GINT64_FORMAT " rows",
                o->batch, sq.dims[0]);
      return FALSE;
    }
  if (!(o->tau > 0) || !isfinite (o->tau))
    {
      gct_fail (g, loss, "option tau (%g) must be positive", o->tau);
      return FALSE;
    }
  *groups = o->all_negatives_from_minibatch ? 1 : o->batch;
  *per_group = sq.dims[0] / *groups;
  *channels = sq.dims[1];
  if (*per_group < 2)
    {
      gct_fail (g, loss, "each group of negatives needs at least 2 rows");
      return FALSE;
    }
  return TRUE;
}

GcutValue
gct_similarities (GcutGraph *g, GcutValue a, GcutValue b, gint64 groups, gint64 n,
                  gint64 c)
{
  GcutValue a3 = gcut_reshape (g, a, gct_shape3 (groups, n, c));
  GcutValue b3 = a == b ? a3 : gcut_reshape (g, b, gct_shape3 (groups, n, c));
  return gcut_matmul (g, a3, b3, FALSE, TRUE);
}

GcutValue
gct_row_dots (GcutGraph *g, GcutValue q, GcutValue k)
{
  return gcut_sum_rows (g, gcut_mul (g, q, k));
}

GcutValue
gct_fill_diagonal_rows (GcutGraph *g, GcutValue x, gint64 groups, gint64 n, float value)
{
  GcutValue x3 = gcut_reshape (g, x, gct_shape3 (groups, n, n));
  return gcut_reshape (g, gcut_fill_diagonal (g, x3, value), gct_shape2 (groups * n, n));
}

GcutValue
gct_row_max_detached (GcutGraph *g, GcutValue x)
{
  return gcut_max_rows (g, gcut_detach (g, x));
}

GcutValue
gct_ones_like (GcutGraph *g, GcutValue x)
{
  return gcut_affine (g, gcut_detach (g, x), 0.0f, 1.0f);
}

GcutValue
gct_over_tau (GcutGraph *g, GcutValue q, float tau)
{
  return gcut_affine (g, q, 1.0f / tau, 0.0f);
}

GcutValue
gct_weighted_nce (GcutGraph *g, GcutValue s, GcutValue pos, GcutValue f, gint64 groups,
                  gint64 n, float tau)
{
  GcutValue logits = gcut_add (g, s, gcut_log (g, f));
  logits = gct_fill_diagonal_rows (g, logits, groups, n, -10.0f / tau);
  GcutValue neg = gcut_logsumexp_rows (g, logits);
  return gcut_mean_all (g, gcut_softplus (g, gcut_sub (g, neg, pos)));
}
