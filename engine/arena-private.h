#pragma once

#include <glib.h>

typedef struct
{
  gsize bytes;
  int first, last; /* steps during which the value must stay intact */
  gsize offset;    /* result */
} GcutArenaItem;

/* Assigns offsets; returns the arena size. */
gsize gcut_arena_place (GcutArenaItem *items, int n_items);
