/* Lifetime-based placement of a plan's intermediates in one arena: values whose
 * lifetimes do not overlap may share bytes. */
#include "arena-private.h"

#define ALIGN 64

/* g_sort_array (GLib 2.82) deprecates g_qsort_with_data, the only one in
 * Debian 12's GLib (2.74); both sort stably. */
#if !GLIB_CHECK_VERSION(2, 82, 0)
#define g_sort_array(array, n, size, compare, data)                                      \
  g_qsort_with_data (array, n, size, compare, data)
#endif

static int
by_size_desc (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const GcutArenaItem *items = user_data;
  gsize sa = items[*(const int *)a].bytes, sb = items[*(const int *)b].bytes;
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* Greedy: largest first, each at the lowest offset that collides with no placed
 * item whose lifetime overlaps. */
gsize
gcut_arena_place (GcutArenaItem *items, int n_items)
{
  g_autofree int *order = g_new (int, n_items);
  g_autofree int *placed = g_new (int, n_items);
  int n_placed = 0;
  gsize total = 0;

  for (int i = 0; i < n_items; i++)
    order[i] = i;
  g_sort_array (order, n_items, sizeof (int), by_size_desc, items);

  for (int k = 0; k < n_items; k++)
    {
      GcutArenaItem *it = &items[order[k]];
      gsize offset = 0;
      gboolean moved = TRUE;
      if (it->bytes == 0)
        continue;
      while (moved)
        {
          moved = FALSE;
          for (int j = 0; j < n_placed; j++)
            {
              const GcutArenaItem *o = &items[placed[j]];
              gboolean live_together = it->first <= o->last && o->first <= it->last;
              gboolean bytes_overlap
                  = offset < o->offset + o->bytes && o->offset < offset + it->bytes;
              if (live_together && bytes_overlap)
                {
                  offset = (o->offset + o->bytes + ALIGN - 1) / ALIGN * ALIGN;
                  moved = TRUE;
                }
            }
        }
      it->offset = offset;
      placed[n_placed++] = order[k];
      total = MAX (total, offset + it->bytes);
    }
  return total;
}
