/* Features at the checkpoints of a tiled generator run, in a temporary file:
 * two planes (written by one segment while the next reads the other), each
 * height × width pixels of `channels` floats, pixel-interleaved so that a row of
 * a window is one read. */
#pragma once

#include <glib.h>

typedef struct _GcutFeatureStore GcutFeatureStore;

/* image_width × image_height is the image being translated, for messages. */
GcutFeatureStore *gcut_feature_store_new (int width, int height, int channels,
                                          int image_width, int image_height,
                                          GError **error);
void gcut_feature_store_free (GcutFeatureStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutFeatureStore, gcut_feature_store_free)

/* Reads the rectangle (x, y, w, h) of plane `plane` as a (C, h, w) block. */
gboolean gcut_feature_store_read (GcutFeatureStore *store, int plane, int x, int y, int w,
                                  int h, float *block, GError **error);
/* Writes the rectangle (x, y, w, h) of plane `plane` from a (C, bh, bw) block,
 * starting at its pixel (bx, by). */
gboolean gcut_feature_store_write (GcutFeatureStore *store, int plane, int x, int y,
                                   int w, int h, const float *block, int bw, int bh,
                                   int bx, int by, GError **error);
