/* CUT's blur resampling as 1-D tap lists (blur-taps-private.h). */
#include <string.h>

#include "blur-taps-private.h"

typedef struct
{
  gint64 out, in;
  float w;
} Triplet;

static void
add_triplet (GArray *t, gint64 out, gint64 in, float w)
{
  Triplet tr = { out, in, w };
  g_array_append_val (t, tr);
}

static gint64
reflect (gint64 i, gint64 n)
{
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

/* Downsample of n pixels: output y reads padded pixel 2y + i, which is pixel
 * 2y + i − 1 reflected, with weight [1,2,1][i]/4. */
static void
down_map (gint64 n, GArray *t)
{
  static const float f[3] = { 0.25f, 0.5f, 0.25f };
  for (gint64 y = 0; y < (n - 1) / 2 + 1; y++)
    for (int i = 0; i < 3; i++)
      add_triplet (t, y, reflect (2 * y + i - 1, n), f[i]);
}

/* Upsample of n pixels: padded pixel i (pixel i − 1, replicated) adds to full
 * output 2i + k − 2 (stride 2, padding 2) with weight 2·[1,3,3,1][k]/8; the crop
 * keeps full outputs 1 to 2n, as output u = 2i + k − 3. */
static void
up_map (gint64 n, GArray *t)
{
  static const float f[4] = { 0.25f, 0.75f, 0.75f, 0.25f };
  for (gint64 i = 0; i < n + 2; i++)
    for (int k = 0; k < 4; k++)
      {
        gint64 u = 2 * i + k - 3;
        if (u >= 0 && u < 2 * n)
          add_triplet (t, u, CLAMP (i - 1, 0, n - 1), f[k]);
      }
}

/* The tap lists of n_out outputs from the triplets of a map, or of its
 * transpose. */
static GcutBlurTaps
build_taps (const GArray *triplets, gint64 n_out, gboolean transpose)
{
  GcutBlurTaps list = { g_new0 (gint32, n_out + 1), g_new (GcutBlurTap, triplets->len) };
  g_autofree gint32 *len = g_new0 (gint32, n_out);
  gint32 packed = 0;

  for (guint k = 0; k < triplets->len; k++)
    {
      const Triplet *tr = &g_array_index (triplets, Triplet, k);
      list.start[(transpose ? tr->in : tr->out) + 1]++;
    }
  for (gint64 o = 0; o < n_out; o++)
    list.start[o + 1] += list.start[o];
  for (guint k = 0; k < triplets->len; k++)
    {
      const Triplet *tr = &g_array_index (triplets, Triplet, k);
      gint64 o = transpose ? tr->in : tr->out, i = transpose ? tr->out : tr->in;
      GcutBlurTap *taps = list.taps + list.start[o];
      int j = 0;
      while (j < len[o] && taps[j].at != i)
        j++;
      if (j == len[o])
        taps[len[o]++] = (GcutBlurTap){ i, 0.f };
      taps[j].w += tr->w;
    }
  for (gint64 o = 0; o < n_out; o++) /* close the gaps merging left */
    {
      gint32 from = list.start[o];
      list.start[o] = packed;
      memmove (list.taps + packed, list.taps + from, len[o] * sizeof (GcutBlurTap));
      packed += len[o];
    }
  list.start[n_out] = packed;
  return list;
}

GcutBlurTaps
gcut_blur_taps (GcutOp op, const GcutShape *in, const GcutShape *out, int d)
{
  gboolean backward = op == GCUT_OP_BLUR_DOWN_BWD || op == GCUT_OP_BLUR_UP_BWD;
  /* the forward map's input size: the result's size for backward ops */
  gint64 n = (backward ? out : in)->dims[d];
  g_autoptr (GArray) triplets = g_array_new (FALSE, FALSE, sizeof (Triplet));

  if (op == GCUT_OP_BLUR_DOWN || op == GCUT_OP_BLUR_DOWN_BWD)
    down_map (n, triplets);
  else
    up_map (n, triplets);
  return build_taps (triplets, out->dims[d], backward);
}

void
gcut_blur_taps_clear (GcutBlurTaps *taps)
{
  g_clear_pointer (&taps->start, g_free);
  g_clear_pointer (&taps->taps, g_free);
}
