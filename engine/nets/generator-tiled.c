/* Translating a whole image in tiles with exact instance norms (gcut-network.h).
 *
 * The generator is cut into segments at 1/4 resolution (encoder, each residual
 * block, decoder) whose outputs go to a feature store.  Within a segment, pass k
 * runs it over every tile up to the input of norm k and sums that norm's
 * statistics over the whole image; later passes use them as a fixed affine.  A
 * tile runs in a window with enough context (halo) around it that its output is
 * the same as the whole image's; all windows of a pass have one size, so one
 * plan serves them all. */
#include <math.h>

#include <gio/gio.h>

#include "feature-store-private.h"
#include "generator-private.h"

#define DEFAULT_BUDGET ((gsize)512 << 20)
#define MIN_TILE 64
#define IN_EPS 1e-5

typedef struct
{
  int x, y, w, h;
} Rect;

typedef struct
{
  GcutNetwork *G;
  GcutBackend *backend;
  const GcutGeneratorRun *run;
  int pw, ph; /* the image padded to a multiple of 4, at least 8 */
  int tile, nx, ny;
  GcutSegment seg[GCUT_MAX_SEGMENTS];
  int n_seg;
  GcutFeatureStore *store;
  double done, total; /* estimated cost */
  gsize arena;        /* the largest plan's */
} Job;

static Rect
tile_rect (const Job *job, int i, int j)
{
  int x = i * job->tile, y = j * job->tile;
  return (Rect){ x, y, MIN (job->tile, job->pw - x), MIN (job->tile, job->ph - y) };
}

/* The tile with `halo` around it, inside the image: at the image border it
 * abuts the border, so the network pads there as it does for the whole image.
 * Origins stay multiples of 4, so strided layers sample the same phase. */
static Rect
window (const Job *job, int halo, Rect t)
{
  int w = MIN (job->tile + 2 * halo, job->pw), h = MIN (job->tile + 2 * halo, job->ph);
  return (Rect){ CLAMP (t.x - halo, 0, job->pw - w), CLAMP (t.y - halo, 0, job->ph - h),
                 w, h };
}

static gboolean
callback_failed (GError *local, const char *what, GError **error)
{
  if (local)
    g_propagate_error (error, local);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed", what);
  return FALSE;
}

static gboolean
advance (Job *job, double cost, GError **error)
{
  const GcutGeneratorRun *run = job->run;
  job->done += cost;
  if (run->progress && !run->progress (MIN (job->done / job->total, 1.0), run->data))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "translation cancelled");
      return FALSE;
    }
  return TRUE;
}

/* The (3, r.h, r.w) block of the padded image at r; scratch holds 3·r.w·r.h. */
static gboolean
read_image (const Job *job, Rect r, float *block, float *scratch, GError **error)
{
  const GcutGeneratorRun *run = job->run;
  int w = MIN (r.x + r.w, run->width) - r.x, h = MIN (r.y + r.h, run->height) - r.y;
  GError *local = NULL;

  if (!run->read (r.x, r.y, w, h, scratch, run->data, &local))
    return callback_failed (local, "reading the image", error);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < r.h; y++)
      for (int x = 0; x < r.w; x++)
        block[((gsize)c * r.h + y) * r.w + x]
            = scratch[((gsize)c * h + MIN (y, h - 1)) * w + MIN (x, w - 1)];
  return TRUE;
}

/* Tile t of a (3, win.h, win.w) output block, cut to the image. */
static gboolean
write_image (const Job *job, Rect t, Rect win, const float *block, float *scratch,
             GError **error)
{
  const GcutGeneratorRun *run = job->run;
  int w = MIN (t.x + t.w, run->width) - t.x, h = MIN (t.y + t.h, run->height) - t.y;
  GError *local = NULL;

  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        scratch[((gsize)c * h + y) * w + x]
            = block[((gsize)c * win.h + t.y - win.y + y) * win.w + t.x - win.x + x];
  if (!run->write (t.x, t.y, w, h, scratch, run->data, &local))
    return callback_failed (local, "writing the image", error);
  return TRUE;
}

static GcutPlan *
new_plan (Job *job, GcutGraph *graph, GcutValue y, GError **error)
{
  GcutPlan *plan = gcut_plan_new (
      graph, job->backend,
      &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1, .precision = job->run->precision },
      error);
  if (plan)
    job->arena = MAX (job->arena, gcut_plan_memory_size (plan));
  return plan;
}

/* Today's one-pass run, for images that fit in one window. */
static gboolean
run_whole (Job *job, GError **error)
{
  Rect all = { 0, 0, job->pw, job->ph };
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree float *block = g_new (float, 3 * (gsize)all.w * all.h);
  g_autofree float *scratch = g_new (float, 3 * (gsize)all.w * all.h);
  GcutValue x, y;

  x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, all.h, all.w } });
  y = gcut_resnet_generator_build (job->G, graph, x, NULL, FALSE);
  job->total = 1;
  return (plan = new_plan (job, graph, y, error))
         && read_image (job, all, block, scratch, error)
         && gcut_plan_set_input (plan, x, block, error) && gcut_plan_forward (plan, error)
         && gcut_plan_get_output (plan, y, block, error)
         && write_image (job, all, all, block, scratch, error) && advance (job, 1, error);
}

static gboolean
load_input (Job *job, int si, Rect win, float *block, float *scratch, GError **error)
{
  int s = job->seg[si].scale_in;
  if (si == 0)
    return read_image (job, win, block, scratch, error);
  return gcut_feature_store_read (job->store, (si - 1) % 2, win.x / s, win.y / s,
                                  win.w / s, win.h / s, block, error);
}

static gboolean
store_output (Job *job, int si, Rect t, Rect win, const float *block, float *scratch,
              GError **error)
{
  int s = job->seg[si].scale_out;
  if (si == job->n_seg - 1)
    return write_image (job, t, win, block, scratch, error);
  return gcut_feature_store_write (job->store, si % 2, t.x / s, t.y / s, t.w / s, t.h / s,
                                   block, win.w / s, win.h / s, (t.x - win.x) / s,
                                   (t.y - win.y) / s, error);
}

/* Sums and sums of squares per channel over tile t of a (C, ·, ·) block of
 * window win, both at 1/scale resolution. */
static void
accumulate (const float *block, int C, Rect win, Rect t, int scale, double *sums)
{
  int bw = win.w / scale, bh = win.h / scale;
  int x0 = (t.x - win.x) / scale, y0 = (t.y - win.y) / scale;
#pragma omp parallel for
  for (int c = 0; c < C; c++)
    for (int y = y0; y < y0 + t.h / scale; y++)
      {
        const float *row = block + ((gsize)c * bh + y) * bw;
        double s = 0, s2 = 0;
        for (int x = x0; x < x0 + t.w / scale; x++)
          {
            s += row[x];
            s2 += (double)row[x] * row[x];
          }
        sums[2 * c] += s;
        sums[2 * c + 1] += s2;
      }
}

/* Instance norm as PyTorch's (biased variance) as x·scale + shift. */
static void
finish_norm (const double *sums, int C, double n, float *scale, float *shift)
{
  for (int c = 0; c < C; c++)
    {
      double mean = sums[2 * c] / n;
      double var = MAX (sums[2 * c + 1] / n - mean * mean, 0);
      double rstd = 1 / sqrt (var + IN_EPS);
      scale[c] = rstd;
      shift[c] = -mean * rstd;
    }
}

static double
pass_cost (const Job *job, const GcutSegment *s, int k)
{
  Rect win = window (job, s->halo, tile_rect (job, 0, 0));
  return s->pass_cost[k] * win.w * win.h;
}

/* The plan of pass k of s for w×h windows: up to norm k, or (k = n_norms) the
 * whole segment. */
static GcutPlan *
pass_plan (Job *job, const GcutSegment *s, int k, float **scale, float **shift, int w,
           int h, GcutGraph *graph, GcutValue *x, GcutValue *y, GError **error)
{
  GcutNormStats stats = { k, scale, shift, k < s->n_norms };
  int n_layers;
  const GcutLayer *layers = gcut_resnet_generator_layers (job->G, &n_layers);

  *x = gcut_input (graph, "x",
                   (GcutShape){ 4, { 1, s->c_in, h / s->scale_in, w / s->scale_in } });
  *y = gcut_sequential_build_range (job->G, graph, layers, s->first, s->last, *x, &stats);
  return new_plan (job, graph, *y, error);
}

/* Pass k of segment si over all tiles: up to norm k, whose statistics it finds,
 * or (k = n_norms) the whole segment, whose output it stores. */
static gboolean
run_pass (Job *job, int si, int k, float **scale, float **shift, GError **error)
{
  const GcutSegment *s = &job->seg[si];
  gboolean last = k == s->n_norms;
  int out_scale = last ? s->scale_out : s->norm_scale[k];
  int out_c = last ? s->c_out : s->norm_channels[k];
  Rect w0 = window (job, s->halo, tile_rect (job, 0, 0));
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree float *in = NULL, *out = NULL, *scratch = NULL;
  g_autofree double *sums = g_new0 (double, 2 * out_c);
  GcutValue x, y;

  plan = pass_plan (job, s, k, scale, shift, w0.w, w0.h, graph, &x, &y, error);
  if (!plan)
    return FALSE;
  in = g_new (float, (gsize)s->c_in *(w0.w / s->scale_in) * (w0.h / s->scale_in));
  out = g_new (float, (gsize)out_c *(w0.w / out_scale) * (w0.h / out_scale));
  scratch = g_new (float, 3 * (gsize)w0.w * w0.h);
  for (int j = 0; j < job->ny; j++)
    for (int i = 0; i < job->nx; i++)
      {
        Rect t = tile_rect (job, i, j), win = window (job, s->halo, t);
        if (!load_input (job, si, win, in, scratch, error)
            || !gcut_plan_set_input (plan, x, in, error)
            || !gcut_plan_forward (plan, error)
            || !gcut_plan_get_output (plan, y, out, error))
          return FALSE;
        if (!last)
          accumulate (out, out_c, win, t, out_scale, sums);
        else if (!store_output (job, si, t, win, out, scratch, error))
          return FALSE;
        if (!advance (job, pass_cost (job, s, k), error))
          return FALSE;
      }
  if (!last)
    finish_norm (sums, out_c, (double)(job->pw / out_scale) * (job->ph / out_scale),
                 scale[k], shift[k]);
  return TRUE;
}

static gboolean
run_segment (Job *job, int si, GError **error)
{
  const GcutSegment *s = &job->seg[si];
  float *scale[GCUT_SEGMENT_MAX_NORMS], *shift[GCUT_SEGMENT_MAX_NORMS];
  g_autofree float *stats = NULL;
  gsize n = 0;

  for (int k = 0; k < s->n_norms; k++)
    n += 2 * s->norm_channels[k];
  stats = g_new (float, n);
  n = 0;
  for (int k = 0; k < s->n_norms; k++)
    {
      scale[k] = stats + n;
      shift[k] = stats + n + s->norm_channels[k];
      n += 2 * s->norm_channels[k];
    }
  for (int k = 0; k <= s->n_norms; k++)
    if (!run_pass (job, si, k, scale, shift, error))
      return FALSE;
  return TRUE;
}

static gboolean
run_tiled (Job *job, GError **error)
{
  job->nx = (job->pw + job->tile - 1) / job->tile;
  job->ny = (job->ph + job->tile - 1) / job->tile;
  /* Summed in the order the passes add it, so the last report is exactly 1. */
  for (int si = 0; si < job->n_seg; si++)
    for (int k = 0; k <= job->seg[si].n_norms; k++)
      for (int t = 0; t < job->nx * job->ny; t++)
        job->total += pass_cost (job, &job->seg[si], k);
  job->store = gcut_feature_store_new (job->pw / 4, job->ph / 4, job->seg[0].c_out,
                                       job->run->width, job->run->height, error);
  if (!job->store)
    return FALSE;
  for (int si = 0; si < job->n_seg; si++)
    if (!run_segment (job, si, error))
      return FALSE;
  return TRUE;
}

/* The working memory of the one-pass plan over a w×h image or, with passes, the
 * most of any plan over w×h windows: also the passes of the encoder, a residual
 * block and the decoder. */
static gboolean
probe_arena (Job *job, int w, int h, gboolean passes, double *bytes, GError **error)
{
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree float *stats = g_new0 (float, job->seg[0].c_out);
  float *fixed[GCUT_SEGMENT_MAX_NORMS] = { stats, stats, stats, stats };
  const int probed[] = { 0, 1, job->n_seg - 1 };
  GcutValue x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, h, w } });
  GcutValue y = gcut_resnet_generator_build (job->G, graph, x, NULL, FALSE);

  if (!(plan = new_plan (job, graph, y, error)))
    return FALSE;
  *bytes = gcut_plan_memory_size (plan);
  for (gsize i = 0; passes && i < G_N_ELEMENTS (probed); i++)
    for (int k = 0; k <= job->seg[probed[i]].n_norms; k++)
      {
        g_autoptr (GcutGraph) g = gcut_graph_new ();
        g_autoptr (GcutPlan) p = pass_plan (job, &job->seg[probed[i]], k, fixed, fixed, w,
                                            h, g, &x, &y, error);
        if (!p)
          return FALSE;
        *bytes = MAX (*bytes, gcut_plan_memory_size (p));
      }
  return TRUE;
}

/* Working memory is a + b·area (every intermediate scales with the area): two
 * small plans predict it for any window without building a large one. */
static gboolean
fit_arena (Job *job, gboolean passes, double *a, double *b, GError **error)
{
  double small, large;
  if (!probe_arena (job, 64, 64, passes, &small, error)
      || !probe_arena (job, 128, 128, passes, &large, error))
    return FALSE;
  *b = (large - small) / (128 * 128 - 64 * 64);
  *a = small - *b * 64 * 64;
  return TRUE;
}

static int
even_tile (int size, int largest)
{
  int n = (size + largest - 1) / largest;
  return ((size + n - 1) / n + 3) / 4 * 4;
}

static gboolean
choose_tile (Job *job, int max_halo, GError **error)
{
  gsize budget = job->run->memory_budget ? job->run->memory_budget : DEFAULT_BUDGET;
  double a, b;
  int t = MAX (job->pw, job->ph);

  if (job->run->tile_size > 0)
    {
      job->tile = (job->run->tile_size + 3) / 4 * 4;
      return TRUE;
    }
  if (!fit_arena (job, FALSE, &a, &b, error))
    return FALSE;
  if (a + b * job->pw * job->ph <= budget)
    {
      job->tile = t;
      return TRUE;
    }
  if (!fit_arena (job, TRUE, &a, &b, error))
    return FALSE;
  for (; t > MIN_TILE; t -= 4)
    if (a + b * MIN (t + 2 * max_halo, job->pw) * MIN (t + 2 * max_halo, job->ph)
        <= budget)
      break;
  /* As many tiles as the largest needs, but split evenly: less overlap. */
  job->tile = MAX (even_tile (job->pw, t), even_tile (job->ph, t));
  return TRUE;
}

/* The generator halves twice and doubles twice; its residual blocks reflect
 * one pixel at 1/4 resolution, which needs two there. */
static int
padded_size (int size)
{
  return MAX ((size + 3) / 4 * 4, 8);
}

gboolean
gcut_resnet_generator_run (GcutNetwork *G, GcutBackend *backend,
                           const GcutGeneratorRun *run, GError **error)
{
  Job job = { G, backend ? backend : gcut_backend_cpu (), run };
  int min_halo = G_MAXINT, max_halo = 0;
  gboolean ok;

  g_return_val_if_fail (run->width >= 1 && run->height >= 1 && run->tile_size >= 0,
                        FALSE);
  g_return_val_if_fail (run->read && run->write, FALSE);
  /* Model files may hold SinCUT's StyleGAN2-lite generator, whose noise and
   * layers this tiling does not know. */
  if (gcut_network_kind (G) != GCUT_NETWORK_RESNET_GENERATOR)
    {
      g_set_error_literal (
          error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
          "applying SinCUT (StyleGAN2-lite) models is not supported yet; "
          "only ResNet generators (CUT, FastCUT, hDCE, MoNCE) are");
      return FALSE;
    }
  job.pw = padded_size (run->width);
  job.ph = padded_size (run->height);
  job.n_seg = gcut_generator_segments (G, job.seg);
  for (int i = 0; i < job.n_seg; i++)
    {
      min_halo = MIN (min_halo, job.seg[i].halo);
      max_halo = MAX (max_halo, job.seg[i].halo);
    }
  if (!choose_tile (&job, max_halo, error))
    return FALSE;
  /* When every window would be the whole image, tiles only repeat work. */
  if (job.tile + 2 * min_halo >= MAX (job.pw, job.ph))
    ok = run_whole (&job, error);
  else
    ok = run_tiled (&job, error);
  g_clear_pointer (&job.store, gcut_feature_store_free);
  if (ok && run->arena_bytes)
    *run->arena_bytes = job.arena;
  return ok;
}
