/* gegl-cut training: the images of one side of a training run.
 *
 * A GctImageSet lists the content photos (or the style paintings) of a run:
 * image files, folders of images, or image readers (image-io.h).  A folder is
 * listed when it is added: its images (by the name's extension, as
 * gct_image_file_name() tells; not hidden files) in byte order of their
 * names, without recursing; its other files and subfolders are skipped, and
 * gct_image_set_skipped() lists them for the caller to note.  An image file
 * GEGL then cannot read is an error, not skipped.
 *
 * A GctSetSampler makes one sampler (gct-sampling.h) per image, reading the
 * images one at a time so that only what the samplers keep stays in memory
 * (resize_crop: the load_size² resize of each image; zoom_crops: each image,
 * reduced to at most GCT_SAMPLING_MAX_PIXELS), and draws every crop from one
 * image chosen uniformly by the random stream passed in.  With one image it
 * draws nothing more: its crops are the sampler's own, bit for bit.
 */
#pragma once

#include "gct-random.h"
#include "gct-sampling.h"
#include "image-io.h"

G_BEGIN_DECLS

typedef struct _GctImageSet GctImageSet;

GctImageSet *gct_image_set_new (void);
void gct_image_set_free (GctImageSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctImageSet, gct_image_set_free)
/* An image file, or the images of a folder; fails on a path that is neither,
 * or a folder without images. */
gboolean gct_image_set_add_path (GctImageSet *set, const char *path, GError **error);
/* An image reader, borrowed: it must outlive the set. */
void gct_image_set_add_reader (GctImageSet *set, GctImageReader *reader);
/* A set of the one reader (borrowed), or an empty set for NULL. */
GctImageSet *gct_image_set_of (GctImageReader *reader);
guint gct_image_set_size (const GctImageSet *set);
/* The file of image i; NULL for a reader. */
const char *gct_image_set_path (const GctImageSet *set, guint i);
/* What messages call image i: its file or its reader's name. */
const char *gct_image_set_name (const GctImageSet *set, guint i);
/* "FILE: why" for each file of a folder that was skipped; NULL-terminated. */
const char *const *gct_image_set_skipped (const GctImageSet *set);

typedef struct _GctSetSampler GctSetSampler;

/* Fails with the first image that cannot be read or sampled (the message
 * names it), or on an empty set.  histogram, when not NULL, receives every
 * image's pixels as read (gct-palette.h). */
GctSetSampler *gct_set_sampler_new (const GctImageSet *set,
                                    const GctSamplingConfig *config,
                                    GctHistogram *histogram, GError **error);
void gct_set_sampler_free (GctSetSampler *sampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GctSetSampler, gct_set_sampler_free)
/* Fills out, n × 3 × crop × crop floats, with n crops (gct_sampler_sample). */
void gct_set_sampler_sample (GctSetSampler *sampler, GctRng *rng, int n, float *out);
guint gct_set_sampler_n_images (const GctSetSampler *sampler);
/* Image i's size and the SHA-256 of its R'G'B'A float rows (lowercase hex). */
void gct_set_sampler_image (const GctSetSampler *sampler, guint i, int *width,
                            int *height, const char **sha256);
/* The set's checksum: the image's SHA-256 for one image, else the SHA-256 of
 * the images' checksums, in order, each followed by a newline. */
const char *gct_set_sampler_sha256 (const GctSetSampler *sampler);

G_END_DECLS
