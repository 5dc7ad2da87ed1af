/* One broadcasting kernel for every elementwise op, driven by the node's op:
 * y = f(a, b) (binary) or f(a) (unary; EXPAND is α·a broadcast to y's shape).
 * Shapes are right-aligned into 4 dimensions, a broadcast dimension gets
 * stride 0, and neighbouring dimensions that both operands step through alike
 * are merged, so most calls are one flat loop or rows × columns.  Work is
 * split into (row, chunk of columns) items.  Channel-blocked images are taken
 * only where all operands share one shape and layout. */
#include <math.h>
#include "cpu-private.h"

#define CHUNK 8192
#define PARALLEL_MIN 32768 /* elements below which one thread is faster */

typedef struct
{
  int nd;
  gint64 dims[4], sa[4], sb[4]; /* in y's dimensions; strides in floats */
  gint64 rows, cols, n_chunks;
} Ew;

gboolean
gcut_cpu_check_plain (const GcutCpuKernel *k, GError **error)
{
  for (int i = -1; i < k->n_in; i++)
    {
      const GcutTensor *t = i < 0 ? &k->out : &k->in[i];
      if (t->block > 1)
        {
          g_autofree char *s = gcut_shape_to_string (&t->shape);
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                       "works on plain layouts only, not on the image %s in blocks of "
                       "%d channels (use a plan with block 1)",
                       s, t->block);
          return FALSE;
        }
    }
  return TRUE;
}

/* Strides of t right-aligned against y's 4-D shape, 0 where t broadcasts. */
static void
strides_of (const GcutShape *t, const gint64 *ydims, gint64 *st)
{
  int off = 4 - t->n_dims;
  gint64 s = 1;
  for (int d = 3; d >= 0; d--)
    {
      gint64 n = d >= off ? t->dims[d - off] : 1;
      st[d] = n == 1 && ydims[d] != 1 ? 0 : s;
      s *= n;
    }
}

/* Channel-blocked operands line up element for element when every one has
 * the result's shape and block: then the op is one flat loop. */
static gboolean
blocked_alike (const GcutCpuKernel *k)
{
  if (k->out.block <= 1)
    return FALSE;
  for (int i = 0; i < k->n_in; i++)
    if (k->in[i].block != k->out.block
        || !gcut_shape_equal (&k->in[i].shape, &k->out.shape))
      return FALSE;
  return TRUE;
}

static gboolean
ew_prepare (GcutCpuKernel *k, GError **error)
{
  Ew *e;
  gint64 dims[4], sa[4], sb[4];
  int off = 4 - k->out.shape.n_dims;

  if (blocked_alike (k))
    {
      e = k->state = g_new0 (Ew, 1);
      e->nd = 1;
      e->dims[0] = e->cols = gcut_shape_numel (&k->out.shape);
      e->sa[0] = e->sb[0] = e->rows = 1;
      e->n_chunks = (e->cols + CHUNK - 1) / CHUNK;
      return TRUE;
    }
  if (!gcut_cpu_check_plain (k, error))
    return FALSE;
  for (int d = 0; d < 4; d++)
    dims[d] = d >= off ? k->out.shape.dims[d - off] : 1;
  strides_of (&k->in[0].shape, dims, sa);
  strides_of (&k->in[k->n_in > 1 ? 1 : 0].shape, dims, sb);

  /* Merge dimension d into the next kept one when both operands step through
   * them as one (contiguous together, or both broadcast). */
  e = k->state = g_new0 (Ew, 1);
  for (int d = 0; d < 4; d++)
    {
      if (dims[d] == 1)
        continue;
      if (e->nd > 0)
        {
          int p = e->nd - 1;
          if (e->sa[p] == sa[d] * dims[d] && e->sb[p] == sb[d] * dims[d])
            {
              e->dims[p] *= dims[d];
              e->sa[p] = sa[d];
              e->sb[p] = sb[d];
              continue;
            }
        }
      e->dims[e->nd] = dims[d];
      e->sa[e->nd] = sa[d];
      e->sb[e->nd] = sb[d];
      e->nd++;
    }
  if (e->nd == 0)
    {
      e->nd = 1;
      e->dims[0] = 1;
      e->sa[0] = e->sb[0] = 1;
    }
  e->cols = e->dims[e->nd - 1];
  e->rows = 1;
  for (int d = 0; d < e->nd - 1; d++)
    e->rows *= e->dims[d];
  e->n_chunks = (e->cols + CHUNK - 1) / CHUNK;
  return TRUE;
}

/* y[i] = expr of x = a[i·sa], z = b[i·sb], with the usual strides unrolled so
 * the loops vectorize. */
#define EW_ROW(expr)                                                                     \
  do                                                                                     \
    {                                                                                    \
      if (sa == 1 && sb == 1)                                                            \
        {                                                                                \
          _Pragma ("omp simd") for (gint64 i = 0; i < n; i++)                            \
          {                                                                              \
            const float x = a[i], z = b[i];                                              \
            y[i] = (expr);                                                               \
          }                                                                              \
        }                                                                                \
      else if (sa == 1 && sb == 0)                                                       \
        {                                                                                \
          const float z = b[0];                                                          \
          _Pragma ("omp simd") for (gint64 i = 0; i < n; i++)                            \
          {                                                                              \
            const float x = a[i];                                                        \
            y[i] = (expr);                                                               \
          }                                                                              \
        }                                                                                \
      else if (sa == 0 && sb == 1)                                                       \
        {                                                                                \
          const float x = a[0];                                                          \
          _Pragma ("omp simd") for (gint64 i = 0; i < n; i++)                            \
          {                                                                              \
            const float z = b[i];                                                        \
            y[i] = (expr);                                                               \
          }                                                                              \
        }                                                                                \
      else if (sa == 0 && sb == 0)                                                       \
        {                                                                                \
          const float x = a[0], z = b[0], v = (expr);                                    \
          _Pragma ("omp simd") for (gint64 i = 0; i < n; i++) y[i] = v;                  \
        }                                                                                \
      else                                                                               \
        for (gint64 i = 0; i < n; i++)                                                   \
          {                                                                              \
            const float x = a[i * sa], z = b[i * sb];                                    \
            y[i] = (expr);                                                               \
          }                                                                              \
    }                                                                                    \
  while (0)

static inline float
softplus (float x)
{
  return fmaxf (x, 0.f) + log1pf (expf (-fabsf (x)));
}

static void
ew_row (GcutOp op, const float *a, gint64 sa, const float *b, gint64 sb, float *y,
        gint64 n, float alpha, float beta)
{
  switch (op)
    {
    case GCUT_OP_ADD_BROADCAST:
      EW_ROW (x + z);
      break;
    case GCUT_OP_SUB:
      EW_ROW (x - z);
      break;
    case GCUT_OP_MUL:
      EW_ROW (x * z);
      break;
    case GCUT_OP_DIV:
      EW_ROW (x / z);
      break;
    case GCUT_OP_DIV_BWD:
      EW_ROW (-(x * z));
      break;
    case GCUT_OP_SQUARE_BWD:
      EW_ROW (2.f * x * z);
      break;
    case GCUT_OP_ABS_BWD:
      EW_ROW (z > 0.f ? x : z < 0.f ? -x : 0.f);
      break;
    case GCUT_OP_SOFTPLUS_BWD:
      EW_ROW (x / (1.f + expf (-z)));
      break;
    case GCUT_OP_AFFINE:
      /* α = 0 is a constant, even over inf and NaN (ones_like) */
      if (alpha == 0.f)
        EW_ROW (((void)x, (void)z, beta));
      else
        EW_ROW (((void)z, alpha * x + beta));
      break;
    case GCUT_OP_EXPAND:
      EW_ROW (((void)z, alpha * x));
      break;
    case GCUT_OP_EXP:
      EW_ROW (((void)z, expf (x)));
      break;
    case GCUT_OP_LOG:
      EW_ROW (((void)z, logf (x)));
      break;
    case GCUT_OP_SQUARE:
      EW_ROW (((void)z, x * x));
      break;
    case GCUT_OP_ABS:
      EW_ROW (((void)z, fabsf (x)));
      break;
    case GCUT_OP_SOFTPLUS:
      EW_ROW (((void)z, softplus (x)));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
ew_run (GcutCpuKernel *k, void *scratch)
{
  const Ew *e = k->state;
  const float *a = k->in[0].data, *b = k->in[k->n_in > 1 ? 1 : 0].data;
  float *y = k->out.data;
  const GcutOp op = k->node->op;
  const float alpha = k->node->p.alpha, beta = k->node->p.beta;
  const gint64 items = e->rows * e->n_chunks, last = e->nd - 1;

#pragma omp parallel for if (e->rows * e->cols >= PARALLEL_MIN)
  for (gint64 t = 0; t < items; t++)
    {
      gint64 r = t / e->n_chunks, c0 = t % e->n_chunks * CHUNK, oa = 0, ob = 0, rem = r;
      for (int d = last - 1; d >= 0; d--)
        {
          gint64 i = rem % e->dims[d];
          rem /= e->dims[d];
          oa += i * e->sa[d];
          ob += i * e->sb[d];
        }
      ew_row (op, a + oa + c0 * e->sa[last], e->sa[last], b + ob + c0 * e->sb[last],
              e->sb[last], y + r * e->cols + c0, MIN (CHUNK, e->cols - c0), alpha, beta);
    }
}

static void
ew_release (GcutCpuKernel *k)
{
  g_free (k->state);
}

const GcutCpuOp gcut_cpu_elementwise = { ew_prepare, ew_run, ew_release };
