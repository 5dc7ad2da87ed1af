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
#include "generator-tiles-private.h"

#define IN_EPS 1e-5

typedef struct
{
  GcutTiles t; /* the image padded to a multiple of 4, at least 8 */
  GcutNetwork *G;
  GcutSegment seg[GCUT_MAX_SEGMENTS];
  int n_seg;
  GcutFeatureStore *store;
} Job;

/* Today's one-pass run, for images that fit in one window. */
static gboolean
run_whole (Job *job, GError **error)
{
  GcutRect all = { 0, 0, job->t.pw, job->t.ph };
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree float *block = NULL, *scratch = NULL;
  GcutValue x, y;

  x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, all.h, all.w } });
  y = gcut_resnet_generator_build (job->G, graph, x, NULL, FALSE);
  job->t.total = 1;
  return (plan = gcut_tiles_plan (&job->t, graph, y, error))
         && (block = gcut_tiles_alloc (3 * (gsize)all.w * all.h, error))
         && (scratch = gcut_tiles_alloc (3 * (gsize)all.w * all.h, error))
         && gcut_tiles_read (&job->t, all, block, scratch, error)
         && gcut_plan_set_input (plan, x, block, error) && gcut_plan_forward (plan, error)
         && gcut_plan_get_output (plan, y, block, error)
         && gcut_tiles_write (&job->t, all, all, block, scratch, error)
         && gcut_tiles_advance (&job->t, 1, error);
}

static gboolean
load_input (Job *job, int si, GcutRect win, float *block, float *scratch, GError **error)
{
  int s = job->seg[si].scale_in;
  if (si == 0)
    return gcut_tiles_read (&job->t, win, block, scratch, error);
  return gcut_feature_store_read (job->store, (si - 1) % 2, win.x / s, win.y / s,
                                  win.w / s, win.h / s, block, error);
}

static gboolean
store_output (Job *job, int si, GcutRect t, GcutRect win, const float *block,
              float *scratch, GError **error)
{
  int s = job->seg[si].scale_out;
  if (si == job->n_seg - 1)
    return gcut_tiles_write (&job->t, t, win, block, scratch, error);
  return gcut_feature_store_write (job->store, si % 2, t.x / s, t.y / s, t.w / s, t.h / s,
                                   block, win.w / s, win.h / s, (t.x - win.x) / s,
                                   (t.y - win.y) / s, error);
}

/* Sums and sums of squares per channel over tile t of a (C, ·, ·) block of
 * window win, both at 1/scale resolution. */
static void
accumulate (const float *block, int C, GcutRect win, GcutRect t, int scale, double *sums)
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
  GcutRect win = gcut_tiles_window (&job->t, s->halo, gcut_tiles_tile (&job->t, 0, 0));
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
  return gcut_tiles_plan (&job->t, graph, *y, error);
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
  GcutRect w0 = gcut_tiles_window (&job->t, s->halo, gcut_tiles_tile (&job->t, 0, 0));
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree float *in = NULL, *out = NULL, *scratch = NULL;
  g_autofree double *sums = g_new0 (double, 2 * out_c);
  GcutValue x, y;

  plan = pass_plan (job, s, k, scale, shift, w0.w, w0.h, graph, &x, &y, error);
  if (!plan
      || !(in = gcut_tiles_alloc (
               (gsize)s->c_in * (w0.w / s->scale_in) * (w0.h / s->scale_in), error))
      || !(out = gcut_tiles_alloc ((gsize)out_c * (w0.w / out_scale) * (w0.h / out_scale),
                                   error))
      || !(scratch = gcut_tiles_alloc (3 * (gsize)w0.w * w0.h, error)))
    return FALSE;
  for (int j = 0; j < job->t.ny; j++)
    for (int i = 0; i < job->t.nx; i++)
      {
        GcutRect t = gcut_tiles_tile (&job->t, i, j);
        GcutRect win = gcut_tiles_window (&job->t, s->halo, t);
        if (!load_input (job, si, win, in, scratch, error)
            || !gcut_plan_set_input (plan, x, in, error)
            || !gcut_plan_forward (plan, error)
            || !gcut_plan_get_output (plan, y, out, error))
          return FALSE;
        if (!last)
          accumulate (out, out_c, win, t, out_scale, sums);
        else if (!store_output (job, si, t, win, out, scratch, error))
          return FALSE;
        if (!gcut_tiles_advance (&job->t, pass_cost (job, s, k), error))
          return FALSE;
      }
  if (!last)
    finish_norm (sums, out_c, (double)(job->t.pw / out_scale) * (job->t.ph / out_scale),
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
  /* Summed in the order the passes add it, so the last report is exactly 1. */
  for (int si = 0; si < job->n_seg; si++)
    for (int k = 0; k <= job->seg[si].n_norms; k++)
      for (int t = 0; t < job->t.nx * job->t.ny; t++)
        job->t.total += pass_cost (job, &job->seg[si], k);
  job->store = gcut_feature_store_new (job->t.pw / 4, job->t.ph / 4, job->seg[0].c_out,
                                       job->t.run->width, job->t.run->height, error);
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
probe_arena (GcutTiles *t, int w, int h, gboolean passes, double *bytes, gpointer data,
             GError **error)
{
  Job *job = data;
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree float *stats = g_new0 (float, job->seg[0].c_out);
  float *fixed[GCUT_SEGMENT_MAX_NORMS] = { stats, stats, stats, stats };
  const int probed[] = { 0, 1, job->n_seg - 1 };
  GcutValue x = gcut_input (graph, "image", (GcutShape){ 4, { 1, 3, h, w } });
  GcutValue y = gcut_resnet_generator_build (job->G, graph, x, NULL, FALSE);

  if (!(plan = gcut_tiles_plan (t, graph, y, error)))
    return FALSE;
  *bytes = gcut_plan_arena_size (plan);
  for (gsize i = 0; passes && i < G_N_ELEMENTS (probed); i++)
    for (int k = 0; k <= job->seg[probed[i]].n_norms; k++)
      {
        g_autoptr (GcutGraph) g = gcut_graph_new ();
        g_autoptr (GcutPlan) p = pass_plan (job, &job->seg[probed[i]], k, fixed, fixed, w,
                                            h, g, &x, &y, error);
        if (!p)
          return FALSE;
        *bytes = MAX (*bytes, gcut_plan_arena_size (p));
      }
  return TRUE;
}

gboolean
gcut_resnet_generator_run (GcutNetwork *G, GcutBackend *backend,
                           const GcutGeneratorRun *run, GError **error)
{
  Job job = { .G = G };
  int min_halo = G_MAXINT, max_halo = 0;
  gboolean ok;

  if (gcut_network_kind (G) != GCUT_NETWORK_RESNET_GENERATOR)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           "not a ResNet generator (CUT, FastCUT, hDCE, MoNCE)");
      return FALSE;
    }
  /* The generator halves twice and doubles twice; its residual blocks reflect
   * one pixel at 1/4 resolution, which needs two there. */
  if (!gcut_tiles_init (&job.t, run, backend, 4, 8, error))
    return FALSE;
  job.n_seg = gcut_generator_segments (G, job.seg);
  for (int i = 0; i < job.n_seg; i++)
    {
      min_halo = MIN (min_halo, job.seg[i].halo);
      max_halo = MAX (max_halo, job.seg[i].halo);
    }
  if (!gcut_tiles_choose (&job.t, max_halo, probe_arena, &job, error))
    return FALSE;
  /* When every window would be the whole image, tiles only repeat work. */
  if (job.t.tile + 2 * min_halo >= MAX (job.t.pw, job.t.ph))
    ok = run_whole (&job, error);
  else
    ok = run_tiled (&job, error);
  g_clear_pointer (&job.store, gcut_feature_store_free);
  if (ok && run->arena_bytes)
    *run->arena_bytes = job.t.arena;
  return ok;
}
