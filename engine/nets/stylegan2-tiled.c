/* Translating a whole image with SinCUT's StyleGAN2-lite generator in tiles
 * (gcut-network.h).
 *
 * The network has no normalization, so an output pixel depends only on the
 * input within the network's receptive radius: each tile runs in a window with
 * that much context (halo) around it, and the noise of the window is its part
 * of the whole image's noise grid.  All windows have one size, so one plan
 * serves them all; an image that fits the memory budget is one window. */
#include <string.h>

#include "generator-tiles-private.h"
#include "stylegan2-private.h"

typedef struct
{
  GcutTiles t; /* the image padded to a multiple of 2^n_downsampling */
  GcutNetwork *G;
  int halo, n_noise;
} Job;

/* A tile's output, kept until no later window reads its input. */
typedef struct
{
  GcutRect tile;
  int last;    /* the last tile, in run order, whose window covers it */
  float rgb[]; /* (3, tile.h, tile.w) */
} Pending;

/* The plan of the whole network over w×h windows; noise gets its inputs. */
static GcutPlan *
window_plan (GcutTiles *t, GcutNetwork *G, int w, int h, GcutGraph *graph, GcutValue *x,
             GcutValue *noise, GcutValue *y, GError **error)
{
  GcutShape xs = { 4, { 1, 3, h, w } };

  *x = gcut_input (graph, "x", xs);
  for (int i = 0; i < gcut_stylegan2_generator_n_noise (G); i++)
    noise[i]
        = gcut_input (graph, "noise", gcut_stylegan2_generator_noise_shape (G, xs, i));
  *y = gcut_stylegan2_generator_build (G, graph, *x, noise, NULL, FALSE);
  return gcut_tiles_plan (t, graph, *y, error);
}

/* One plan serves the whole image and the windows alike. */
static gboolean
probe_arena (GcutTiles *t, int w, int h, gboolean windows, double *bytes, gpointer data,
             GError **error)
{
  Job *job = data;
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autofree GcutValue *noise = g_new (GcutValue, job->n_noise);
  GcutValue x, y;
  g_autoptr (GcutPlan) plan = window_plan (t, job->G, w, h, graph, &x, noise, &y, error);

  if (!plan)
    return FALSE;
  *bytes = gcut_plan_arena_size (plan);
  return TRUE;
}

/* The noise inputs of window win, from its place in the whole image. */
static gboolean
set_noise (Job *job, GcutGraph *graph, GcutPlan *plan, const GcutValue *noise,
           GcutRect win, float *buffer, GError **error)
{
  for (int i = 0; i < job->n_noise; i++)
    {
      GcutShape s = gcut_graph_shape (graph, noise[i]);
      int h = (int)s.dims[2], w = (int)s.dims[3], scale = win.h / h;

      gcut_stylegan2_generator_noise_fill (job->t.run->noise_seed, i, win.y / scale,
                                           win.x / scale, h, w, buffer);
      if (!gcut_plan_set_input (plan, noise[i], buffer, error))
        return FALSE;
    }
  return TRUE;
}

/* Tile (i, j) is read by the windows of tiles up to column li and row lj;
 * window origins grow with the tile's, and the last of those windows in run
 * order is that of tile (li, lj). */
static int
last_reader (const Job *job, int i, int j)
{
  const GcutTiles *t = &job->t;
  GcutRect r = gcut_tiles_tile (t, i, j);
  int li = i, lj = j;

  while (li + 1 < t->nx
         && gcut_tiles_window (t, job->halo, gcut_tiles_tile (t, li + 1, j)).x
                < r.x + r.w)
    li++;
  while (lj + 1 < t->ny
         && gcut_tiles_window (t, job->halo, gcut_tiles_tile (t, i, lj + 1)).y
                < r.y + r.h)
    lj++;
  return lj * t->nx + li;
}

/* Writes the pending tiles no window after tile k reads; they leave in the
 * order they came, which delays some a little but never writes one early. */
static gboolean
flush (Job *job, GQueue *pending, int k, float *scratch, GError **error)
{
  while (!g_queue_is_empty (pending))
    {
      Pending *p = g_queue_peek_head (pending);
      if (p->last > k)
        break;
      if (!gcut_tiles_write (&job->t, p->tile, p->tile, p->rgb, scratch, error))
        return FALSE;
      g_free (g_queue_pop_head (pending));
    }
  return TRUE;
}

/* The tile of a (3, win.h, win.w) output, pending until its last reader. */
static Pending *
keep_tile (const Job *job, int i, int j, GcutRect win, const float *out, GError **error)
{
  GcutRect r = gcut_tiles_tile (&job->t, i, j);
  Pending *p = g_try_malloc (sizeof (Pending) + 3 * (gsize)r.w * r.h * sizeof (float));

  if (!p)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "out of memory for a finished %d×%d tile", r.w, r.h);
      return NULL;
    }
  p->tile = r;
  p->last = last_reader (job, i, j);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < r.h; y++)
      memcpy (p->rgb + ((gsize)c * r.h + y) * r.w,
              out + ((gsize)c * win.h + r.y - win.y + y) * win.w + r.x - win.x,
              r.w * sizeof (float));
  return p;
}

static gboolean
run_tiles (Job *job, GQueue *pending, GError **error)
{
  GcutTiles *t = &job->t;
  GcutRect w0 = gcut_tiles_window (t, job->halo, gcut_tiles_tile (t, 0, 0));
  gsize n = 3 * (gsize)w0.w * w0.h;
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  g_autoptr (GcutPlan) plan = NULL;
  g_autofree GcutValue *noise = g_new (GcutValue, job->n_noise);
  g_autofree float *in = NULL, *out = NULL, *scratch = NULL;
  GcutValue x, y;
  Pending *p;

  plan = window_plan (t, job->G, w0.w, w0.h, graph, &x, noise, &y, error);
  if (!plan || !(in = gcut_tiles_alloc (n, error)) || !(out = gcut_tiles_alloc (n, error))
      || !(scratch = gcut_tiles_alloc (n, error)))
    return FALSE;
  t->total = t->nx * t->ny;
  for (int j = 0; j < t->ny; j++)
    for (int i = 0; i < t->nx; i++)
      {
        GcutRect win = gcut_tiles_window (t, job->halo, gcut_tiles_tile (t, i, j));
        /* The noise of the last upsampling is at full resolution: it fits in
         * the output block before that is filled. */
        if (!gcut_tiles_read (t, win, in, scratch, error)
            || !gcut_plan_set_input (plan, x, in, error)
            || !set_noise (job, graph, plan, noise, win, out, error)
            || !gcut_plan_forward (plan, error)
            || !gcut_plan_get_output (plan, y, out, error)
            || !(p = keep_tile (job, i, j, win, out, error)))
          return FALSE;
        g_queue_push_tail (pending, p);
        if (!flush (job, pending, j * t->nx + i, scratch, error)
            || !gcut_tiles_advance (t, 1, error))
          return FALSE;
      }
  return TRUE;
}

gboolean
gcut_stylegan2_generator_run (GcutNetwork *G, GcutBackend *backend,
                              const GcutGeneratorRun *run, GError **error)
{
  Job job = { .G = G };
  GQueue pending = G_QUEUE_INIT;
  int align;
  gboolean ok;

  if (gcut_network_kind (G) != GCUT_NETWORK_STYLEGAN2_GENERATOR)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           "not a StyleGAN2-lite generator (SinCUT)");
      return FALSE;
    }
  /* Every downsampling halves the sides, every upsampling doubles them back. */
  job.n_noise = gcut_stylegan2_generator_n_noise (G);
  align = 1 << job.n_noise;
  job.halo = gcut_stylegan2_generator_halo (G);
  if (!gcut_tiles_init (&job.t, run, backend, align, align, error)
      || !gcut_tiles_choose (&job.t, job.halo, probe_arena, &job, error))
    return FALSE;
  /* When a window would span the whole image, tiles only repeat work. */
  if (job.t.tile + 2 * job.halo >= MAX (job.t.pw, job.t.ph))
    gcut_tiles_set_tile (&job.t, MAX (job.t.pw, job.t.ph));
  ok = run_tiles (&job, &pending, error);
  g_queue_clear_full (&pending, g_free);
  if (ok && run->arena_bytes)
    *run->arena_bytes = job.t.arena;
  return ok;
}
