/* Tiles, windows, pixels and memory budgets of whole-image generator runs
 * (generator-tiles-private.h). */
#include <gio/gio.h>

#include "generator-tiles-private.h"

#define MIN_BUDGET ((gsize)8 << 20) /* below, every tile is the smallest */
#define MIN_TILE 64

static int
round_up (int size, int align)
{
  return (size + align - 1) / align * align;
}

gboolean
gcut_tiles_init (GcutTiles *t, const GcutGeneratorRun *run, GcutBackend *backend,
                 int align, int min_size, GError **error)
{
  g_return_val_if_fail (run->read && run->write, FALSE);
  /* Past 2^30 the padded sides and windows would overflow an int. */
  if (run->width < 1 || run->height < 1 || run->width > 1 << 30 || run->height > 1 << 30
      || run->tile_size < 0)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "cannot translate a %d×%d image in tiles of %d", run->width,
                   run->height, run->tile_size);
      return FALSE;
    }
  *t = (GcutTiles){ run, backend ? backend : gcut_backend_cpu (), align };
  t->pw = MAX (round_up (run->width, align), min_size);
  t->ph = MAX (round_up (run->height, align), min_size);
  return TRUE;
}

GcutRect
gcut_tiles_tile (const GcutTiles *t, int i, int j)
{
  int x = i * t->tile, y = j * t->tile;
  return (GcutRect){ x, y, MIN (t->tile, t->pw - x), MIN (t->tile, t->ph - y) };
}

GcutRect
gcut_tiles_window (const GcutTiles *t, int halo, GcutRect tile)
{
  int w = MIN (t->tile + 2 * halo, t->pw), h = MIN (t->tile + 2 * halo, t->ph);
  return (GcutRect){ CLAMP (tile.x - halo, 0, t->pw - w),
                     CLAMP (tile.y - halo, 0, t->ph - h), w, h };
}

float *
gcut_tiles_alloc (gsize n, GError **error)
{
  float *p = g_try_new (float, n);
  if (!p)
    g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                 "out of memory for %" G_GSIZE_FORMAT " MiB of image blocks",
                 (n * sizeof (float)) >> 20);
  return p;
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

gboolean
gcut_tiles_advance (GcutTiles *t, double cost, GError **error)
{
  const GcutGeneratorRun *run = t->run;
  t->done += cost;
  if (run->progress && !run->progress (MIN (t->done / t->total, 1.0), run->data))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "translation cancelled");
      return FALSE;
    }
  return TRUE;
}

gboolean
gcut_tiles_read (const GcutTiles *t, GcutRect r, float *block, float *scratch,
                 GError **error)
{
  const GcutGeneratorRun *run = t->run;
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

gboolean
gcut_tiles_write (const GcutTiles *t, GcutRect tile, GcutRect win, const float *block,
                  float *scratch, GError **error)
{
  const GcutGeneratorRun *run = t->run;
  int w = MIN (tile.x + tile.w, run->width) - tile.x;
  int h = MIN (tile.y + tile.h, run->height) - tile.y;
  GError *local = NULL;

  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        scratch[((gsize)c * h + y) * w + x]
            = block[((gsize)c * win.h + tile.y - win.y + y) * win.w + tile.x - win.x + x];
  if (!run->write (tile.x, tile.y, w, h, scratch, run->data, &local))
    return callback_failed (local, "writing the image", error);
  return TRUE;
}

GcutPlan *
gcut_tiles_plan (GcutTiles *t, GcutGraph *graph, GcutValue y, GError **error)
{
  GcutPlan *plan = gcut_plan_new (
      graph, t->backend,
      &(GcutPlanSpec){ .outputs = &y, .n_outputs = 1, .precision = t->run->precision },
      error);
  if (plan)
    t->arena = MAX (t->arena, gcut_plan_memory_size (plan));
  return plan;
}

/* Working memory is a + b·area (every intermediate scales with the area): two
 * small plans predict it for any window without building a large one. */
static gboolean
fit_arena (GcutTiles *t, gboolean windows, GcutTilesProbe probe, gpointer data, double *a,
           double *b, GError **error)
{
  double small, large;
  if (!probe (t, 64, 64, windows, &small, data, error)
      || !probe (t, 128, 128, windows, &large, data, error))
    return FALSE;
  *b = (large - small) / (128 * 128 - 64 * 64);
  *a = small - *b * 64 * 64;
  return TRUE;
}

/* As many tiles as the largest allowed needs, but split evenly: less overlap. */
static int
even_tile (int size, int largest, int align)
{
  int n = (size + largest - 1) / largest;
  return round_up ((size + n - 1) / n, align);
}

static gsize
budget_of (const GcutGeneratorRun *run, GcutBackend *backend)
{
  if (run->memory_budget)
    return run->memory_budget;
  return gcut_backend_memory_budget (backend ? backend : gcut_backend_cpu ());
}

gboolean
gcut_tiles_shrink (GcutGeneratorRun *run, GcutBackend *backend)
{
  gsize budget;
  if (run->tile_size > 0)
    {
      if (run->tile_size <= MIN_TILE)
        return FALSE;
      run->tile_size = MAX (run->tile_size / 2, MIN_TILE);
      return TRUE;
    }
  budget = budget_of (run, backend);
  if (budget <= MIN_BUDGET)
    return FALSE;
  run->memory_budget = MAX (budget / 4, MIN_BUDGET);
  return TRUE;
}

static int
pick_tile (GcutTiles *t, int max_halo, GcutTilesProbe probe, gpointer data,
           GError **error)
{
  gsize budget = budget_of (t->run, t->backend);
  double a, b;
  int size = MAX (t->pw, t->ph);

  if (t->run->tile_size > 0)
    return round_up (MIN (t->run->tile_size, size), t->align);
  if (!fit_arena (t, FALSE, probe, data, &a, &b, error))
    return 0;
  if (a + b * t->pw * t->ph <= budget)
    return size;
  if (!fit_arena (t, TRUE, probe, data, &a, &b, error))
    return 0;
  for (; size > MIN_TILE; size -= t->align)
    if (a + b * MIN (size + 2 * max_halo, t->pw) * MIN (size + 2 * max_halo, t->ph)
        <= budget)
      break;
  return MAX (even_tile (t->pw, size, t->align), even_tile (t->ph, size, t->align));
}

void
gcut_tiles_set_tile (GcutTiles *t, int tile)
{
  t->tile = tile;
  t->nx = (t->pw + tile - 1) / tile;
  t->ny = (t->ph + tile - 1) / tile;
}

gboolean
gcut_tiles_choose (GcutTiles *t, int max_halo, GcutTilesProbe probe, gpointer data,
                   GError **error)
{
  int tile = pick_tile (t, max_halo, probe, data, error);
  if (tile <= 0)
    return FALSE;
  gcut_tiles_set_tile (t, tile);
  return TRUE;
}
