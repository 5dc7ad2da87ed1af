/* Padding and its backward, one output row per work item.  In any channel
 * block a row of pixels is contiguous, so a row's interior is a single copy and
 * only the border pixels go through the index map. */
#include "cpu-private.h"

/* Where padded position i (counted from the image's first pixel) reads from in
 * a dimension of `size`, or -1 where zero padding reads nothing.  The op
 * checked that reflection needs at most one bounce. */
static inline gint64
source_index (GcutPadMode mode, gint64 i, gint64 size)
{
  if (i >= 0 && i < size)
    return i;
  switch (mode)
    {
    case GCUT_PAD_REFLECT:
      return i < 0 ? -i : 2 * (size - 1) - i;
    case GCUT_PAD_REPLICATE:
      return i < 0 ? 0 : size - 1;
    default:
      return -1;
    }
}

/* The k-th border position of a padded dimension: the `before` leading ones,
 * then those after the `size` copied ones. */
static inline gint64
border_position (gint64 k, int before, gint64 size)
{
  return k < before ? k : size + k;
}

typedef struct
{
  gint64 planes, h, w, ho, wo; /* planes = images × channel blocks */
  int top, bottom, left, right, B;
  GcutPadMode mode;
} PadGeometry;

static PadGeometry
pad_geometry (const GcutCpuKernel *k, const GcutTensor *image, const GcutTensor *padded)
{
  const int *pad = k->node->p.pad;
  const gint64 *dims = image->shape.dims;
  return (PadGeometry){ .planes = dims[0] * dims[1] / image->block,
                        .h = dims[2],
                        .w = dims[3],
                        .ho = padded->shape.dims[2],
                        .wo = padded->shape.dims[3],
                        .top = pad[0],
                        .bottom = pad[1],
                        .left = pad[2],
                        .right = pad[3],
                        .B = image->block,
                        .mode = k->node->p.pad_mode };
}

static gboolean
pad_prepare (GcutCpuKernel *k, GError **error)
{
  return TRUE;
}

/* One padded row from image row src (NULL: a row of zero padding). */
static void
pad_row (const PadGeometry *g, const float *src, float *dst)
{
  const int B = g->B;
  if (!src)
    {
      memset (dst, 0, g->wo * B * sizeof (float));
      return;
    }
  memcpy (dst + g->left * B, src, g->w * B * sizeof (float));
  for (gint64 k = 0; k < g->left + g->right; k++)
    {
      gint64 ox = border_position (k, g->left, g->w);
      gint64 sx = source_index (g->mode, ox - g->left, g->w);
      for (int l = 0; l < B; l++)
        dst[ox * B + l] = sx < 0 ? 0.f : src[sx * B + l];
    }
}

static void
pad_run (GcutCpuKernel *k, void *scratch)
{
  const PadGeometry g = pad_geometry (k, &k->in[0], &k->out);
  const float *x = k->in[0].data;
  float *y = k->out.data;

#pragma omp parallel for collapse(2)
  for (gint64 pl = 0; pl < g.planes; pl++)
    for (gint64 oy = 0; oy < g.ho; oy++)
      {
        gint64 sy = source_index (g.mode, oy - g.top, g.h);
        pad_row (&g, sy < 0 ? NULL : x + (pl * g.h + sy) * g.w * g.B,
                 y + (pl * g.ho + oy) * g.wo * g.B);
      }
}

/* Adds (or with `add` unset, stores) padded gradient row src folded onto the
 * image row dst. */
static void
fold_row (const PadGeometry *g, const float *src, float *dst, gboolean add)
{
  const int B = g->B;
  const float *inner = src + g->left * B;
  if (add)
    {
#pragma omp simd
      for (gint64 i = 0; i < g->w * B; i++)
        dst[i] += inner[i];
    }
  else
    memcpy (dst, inner, g->w * B * sizeof (float));
  for (gint64 k = 0; k < g->left + g->right; k++)
    {
      gint64 ox = border_position (k, g->left, g->w);
      gint64 sx = source_index (g->mode, ox - g->left, g->w);
      if (sx >= 0)
        for (int l = 0; l < B; l++)
          dst[sx * B + l] += src[ox * B + l];
    }
}

/* Each image row gathers the padded rows that were copied from it, in a fixed
 * order: no write conflicts and deterministic sums. */
static void
pad_bwd_run (GcutCpuKernel *k, void *scratch)
{
  const PadGeometry g = pad_geometry (k, &k->out, &k->in[0]);
  const float *gy = k->in[0].data;
  float *gx = k->out.data;

#pragma omp parallel for collapse(2)
  for (gint64 pl = 0; pl < g.planes; pl++)
    for (gint64 sy = 0; sy < g.h; sy++)
      {
        const float *src = gy + pl * g.ho * g.wo * g.B;
        float *dst = gx + (pl * g.h + sy) * g.w * g.B;
        fold_row (&g, src + (sy + g.top) * g.wo * g.B, dst, FALSE);
        for (gint64 k = 0; k < g.top + g.bottom; k++)
          {
            gint64 oy = border_position (k, g.top, g.h);
            if (source_index (g.mode, oy - g.top, g.h) == sy)
              fold_row (&g, src + oy * g.wo * g.B, dst, TRUE);
          }
      }
}

const GcutCpuOp gcut_cpu_pad = { pad_prepare, pad_run, NULL };
const GcutCpuOp gcut_cpu_pad_bwd = { pad_prepare, pad_bwd_run, NULL };
