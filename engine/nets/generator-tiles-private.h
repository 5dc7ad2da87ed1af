/* What the whole-image runners of both generators share (generator-tiles.c):
 * the padded image, its tiles and their windows, reading and writing pixels
 * through the run's callbacks, progress, plans, and the tile size a memory
 * budget allows. */
#pragma once

#include <gcut/gcut.h>

typedef struct
{
  int x, y, w, h;
} GcutRect;

typedef struct
{
  const GcutGeneratorRun *run;
  GcutBackend *backend;
  int align;          /* window origins and sizes stay multiples of it */
  int pw, ph;         /* the image padded (edges repeated) to multiples of align */
  int tile, nx, ny;   /* output tiles, tile a multiple of align */
  double done, total; /* progress, in the runner's units of work */
  gsize arena;        /* the largest plan's working memory */
} GcutTiles;

/* Pads the image of run to multiples of align (a power of two), and to at
 * least min_size; backend NULL is the CPU.  FALSE for an empty image or a
 * negative tile size. */
gboolean gcut_tiles_init (GcutTiles *t, const GcutGeneratorRun *run, GcutBackend *backend,
                          int align, int min_size, GError **error);

/* Tile (i, j), cut to the padded image. */
GcutRect gcut_tiles_tile (const GcutTiles *t, int i, int j);
/* The tile with `halo` (a multiple of align) around it, inside the padded
 * image: at the border it abuts the border, so the network pads there as it
 * does for the whole image, and its origin stays a multiple of align, so
 * strided layers sample the same phase as over the whole image.  All windows
 * of one halo have the same size, so one plan serves them all. */
GcutRect gcut_tiles_window (const GcutTiles *t, int halo, GcutRect tile);

/* n floats for image blocks; NULL with GCUT_ERROR_OUT_OF_MEMORY where there
 * is no room (they are as large as the plans' memory: a run retries in
 * smaller tiles, where aborting would take the host application down). */
float *gcut_tiles_alloc (gsize n, GError **error);

/* The (3, r.h, r.w) block of the padded image at r; scratch holds 3·r.w·r.h. */
gboolean gcut_tiles_read (const GcutTiles *t, GcutRect r, float *block, float *scratch,
                          GError **error);
/* Tile `tile` of a (3, win.h, win.w) output block, cut to the image. */
gboolean gcut_tiles_write (const GcutTiles *t, GcutRect tile, GcutRect win,
                           const float *block, float *scratch, GError **error);
/* Adds cost to the work done and reports it; FALSE when the user cancels. */
gboolean gcut_tiles_advance (GcutTiles *t, double cost, GError **error);
/* A forward plan for y, in the run's precision, its memory counted in arena. */
GcutPlan *gcut_tiles_plan (GcutTiles *t, GcutGraph *graph, GcutValue y, GError **error);

/* The arena of the one-pass plan over a w×h image or (windows) the largest
 * arena of any plan the tiled run makes for w×h windows.  Arenas depend on
 * the shapes alone; the kernels' scratch is left out of budgets because
 * oneDNN sizes its workspaces by the thread count, and tiles chosen with it
 * would change the output's last bits with the number of threads. */
typedef gboolean (*GcutTilesProbe) (GcutTiles *t, int w, int h, gboolean windows,
                                    double *bytes, gpointer data, GError **error);
/* Sets tile (a multiple of align) and the number of tiles, nx and ny. */
void gcut_tiles_set_tile (GcutTiles *t, int tile);
/* Sets the tile size: the run's tile_size rounded up to align or, for 0,
 * the whole image when its one-pass plan fits the memory budget, else the
 * largest tiles (with windows of max_halo) whose plans do, split evenly. */
gboolean gcut_tiles_choose (GcutTiles *t, int max_halo, GcutTilesProbe probe,
                            gpointer data, GError **error);

/* For a run that ran out of memory: halves its tile size or, for automatic
 * tiles, quarters its memory budget; FALSE when its tiles are the smallest
 * already. */
gboolean gcut_tiles_shrink (GcutGeneratorRun *run, GcutBackend *backend);
