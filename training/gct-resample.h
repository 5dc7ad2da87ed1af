/* gegl-cut training: resizing as Pillow's Image.resize does (Resample.c), in
 * float.
 *
 * Separable, horizontal pass then vertical, bicubic with a = −0.5 (support 2)
 * or bilinear (triangle, support 1); when shrinking, the kernel is stretched
 * by the scale factor (antialiasing); weights are normalized per output
 * pixel and each pass is clamped to [0, 1].  Unlike Pillow we keep floats
 * between and after the passes instead of rounding to 8 bits, so results
 * differ from Pillow's by its rounding: tests/training/test-sampling checks at
 * most 2/255 per channel and a mean under 0.4/255 on data/samples/forest.jpg
 * (as Pillow decodes it), shrinking and enlarging.
 *
 * Three ways to run it, giving the same values: a whole image in memory
 * (gct_resample); an image read a row at a time, so that one larger than
 * memory can be reduced as it is read (GctResampler); and small windows of a
 * large output, so that crops of a zoomed image never need the zoomed image
 * (GctResampleWindow).  Images are interleaved, `channels` floats per pixel,
 * rows top to bottom.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GCT_FILTER_BILINEAR,
  GCT_FILTER_BICUBIC,
} GctFilter;

/* Resizes src, sw × sh, to dst, dw × dh.  FALSE, with an error, when the
 * memory for it is not there. */
gboolean gct_resample (const float *src, int sw, int sh, int channels, float *dst, int dw,
                       int dh, GctFilter filter, GError **error);

/* A resize fed a row at a time.  Its memory is the taps and a ring of as many
 * rows of the output's width as one output row reads: independent of the
 * source's height. */
typedef struct _GctResampler GctResampler;

GctResampler *gct_resampler_new (int sw, int sh, int dw, int dh, int channels,
                                 GctFilter filter, GError **error);
void gct_resampler_free (GctResampler *resampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctResampler, gct_resampler_free)
/* The next n_rows rows of the source (the first call gives row 0).  Every
 * output row whose source rows are all in is written to dst, the whole dw ×
 * dh output: after the last source row, all of it. */
void gct_resampler_push (GctResampler *resampler, const float *rows, int n_rows,
                         float *dst);

/* Windows of w × h pixels of an sw × sh image resized to dw × dh, for any dw
 * >= min_dw and dh >= min_dh: the fewer the output pixels, the more source
 * pixels each reads, so the minimum sizes bound the memory. */
typedef struct _GctResampleWindow GctResampleWindow;

GctResampleWindow *gct_resample_window_new (int sw, int sh, int min_dw, int min_dh, int w,
                                            int h, int channels, GctFilter filter,
                                            GError **error);
void gct_resample_window_free (GctResampleWindow *window);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctResampleWindow, gct_resample_window_free)
/* Pixels [x0, x0 + w) × [y0, y0 + h) of src resized to dw × dh, into dst (w ×
 * h pixels). */
void gct_resample_window_run (GctResampleWindow *window, const float *src, int dw, int dh,
                              int x0, int y0, float *dst);

G_END_DECLS
