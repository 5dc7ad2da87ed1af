/* Whether a recipe's networks can run on its crops, found by building them:
 * the spatial sizes do not depend on the widths, so narrow copies (width 1)
 * of the generator and discriminator are built on a crop in a graph, which
 * infers every shape and records the first that cannot be made, and the
 * smallest crop they take is found the same way.  The trainer would
 * otherwise fail inside a convolution, naming no key. */
#include <math.h>

#include <gcp/gcp-model-file.h>
#include "presets-private.h"

/* How far the search for the smallest crop goes (the schema's largest). */
#define MAX_CROP 4096

int
gcp_stylegan2_discriminator_size (int crop)
{
  int size = 1 << (int)lrint (log2 (crop));
  return size >= 8 && size <= 1024 && crop >= size && crop <= size * 5 / 4 - 1 ? size : 0;
}

static GcutNetwork *
narrow_discriminator (const GcpRecipe *r, int crop)
{
  int size;

  if (r->discriminator.kind == GCP_DISCRIMINATOR_PATCHGAN)
    return gcut_patchgan_new (&(GcutPatchGanConfig){ 1, r->discriminator.n_layers,
                                                     r->discriminator.antialias });
  size = gcp_stylegan2_discriminator_size (crop);
  /* At least one channel at the largest resolution. */
  return gcut_stylegan2_discriminator_new (
      &(GcutStyleGan2DiscriminatorConfig){ MAX (1, size / 256), size });
}

/* Builds G (and its taps) and D on one crop; FALSE with the engine's message
 * when a shape cannot be made. */
typedef struct
{
  int n_taps;
  gint64 locations[GCUT_GENERATOR_N_TAPS];
  int out_side; /* G's output side */
} CropShapes;

static gboolean
build_on (const GcpRecipe *r, int crop, CropShapes *shapes, GError **error)
{
  GcpGeneratorConfig narrow = r->generator;
  g_autoptr (GcutNetwork) G = NULL;
  g_autoptr (GcutNetwork) D = NULL;
  g_autoptr (GcutGraph) graph = gcut_graph_new ();
  GcutShape shape = { 4, { 1, 3, crop, crop } };
  GcutValue x = gcut_input (graph, "x", shape), y, taps[GCUT_GENERATOR_N_TAPS];
  gboolean sg2 = r->generator.kind == GCP_GENERATOR_STYLEGAN2_LITE;

  narrow.ngf = 1;
  if (!(G = gcp_generator_new (&narrow, error)))
    return FALSE;
  if (sg2)
    {
      GcutValue noise[8];
      int n = gcut_stylegan2_generator_n_noise (G);
      g_assert (n <= (int)G_N_ELEMENTS (noise)); /* one per downsampling, ≤ 4 */
      for (int i = 0; i < n; i++)
        noise[i] = gcut_input (graph, "noise",
                               gcut_stylegan2_generator_noise_shape (G, shape, i));
      y = gcut_stylegan2_generator_build (G, graph, x, noise, taps, FALSE);
    }
  else
    y = gcut_resnet_generator_build (G, graph, x, taps, FALSE);
  D = narrow_discriminator (r, crop);
  if (D && r->discriminator.kind == GCP_DISCRIMINATOR_PATCHGAN)
    gcut_patchgan_build (D, graph, x);
  else if (D)
    gcut_stylegan2_discriminator_build (D, graph, x);
  if (!gcut_graph_check (graph, error))
    return FALSE;
  shapes->n_taps = sg2 ? GCUT_STYLEGAN2_N_TAPS : GCUT_GENERATOR_N_TAPS;
  for (int t = 0; t < shapes->n_taps; t++)
    {
      GcutShape s = gcut_graph_shape (graph, taps[t]);
      shapes->locations[t] = s.dims[2] * s.dims[3];
    }
  shapes->out_side = (int)gcut_graph_shape (graph, y).dims[3];
  return TRUE;
}

/* The smallest crop, a multiple of 4 as the schema asks, that G and D take
 * and that G gives back whole; 0 if none up to MAX_CROP. */
static int
smallest_crop (const GcpRecipe *r)
{
  for (int crop = 4; crop <= MAX_CROP; crop += 4)
    {
      CropShapes shapes;
      if ((r->discriminator.kind == GCP_DISCRIMINATOR_PATCHGAN
           || gcp_stylegan2_discriminator_size (crop))
          && build_on (r, crop, &shapes, NULL) && shapes.out_side == crop)
        return crop;
    }
  return 0;
}

static gboolean
crop_unusable (const GcpRecipe *r, const char *why, GError **error)
{
  int least = smallest_crop (r);
  if (least)
    g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                 "sampling.crop_size: %s; the smallest these networks take is %d, got %d",
                 why, least, r->sampling.crop_size);
  else
    g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                 "sampling.crop_size: %s, got %d; no crop up to %d suits these networks",
                 why, r->sampling.crop_size, MAX_CROP);
  return FALSE;
}

gboolean
gcp_recipe_check_networks (const GcpRecipe *r, GError **error)
{
  int crop = r->sampling.crop_size;
  gboolean across = r->nce.negatives == GCP_NEGATIVES_ACROSS_CROPS;
  g_autoptr (GError) local = NULL;
  CropShapes shapes;

  if (r->discriminator.kind == GCP_DISCRIMINATOR_STYLEGAN2_LITE
      && !gcp_stylegan2_discriminator_size (crop))
    return crop_unusable (r,
                          "the stylegan2-lite discriminator takes crops of 2^k to "
                          "5/4·2^k − 1 pixels, k from 3 to 10 (64 to 79, 128 to 159, …)",
                          error);
  if (!build_on (r, crop, &shapes, &local))
    {
      g_autofree char *why = g_strdup_printf (
          "the networks cannot run on crops this small (%s)", local->message);
      return crop_unusable (r, why, error);
    }
  if (shapes.out_side != crop)
    {
      g_autofree char *why = g_strdup_printf (
          "the generator gives back %d-pixel images for these crops", shapes.out_side);
      return crop_unusable (r, why, error);
    }
  /* Each contrastive row needs another in its group as a negative: a group
   * is a crop's patches (same_image) or those of the whole batch. */
  for (int t = 0; t < shapes.n_taps; t++)
    {
      gint64 patches = MIN (r->heads.n_patches, shapes.locations[t]);
      if (patches * (across ? r->sampling.batch : 1) >= 2)
        continue;
      if (shapes.locations[t] < 2)
        return crop_unusable (r, "the generator's features at one tap are a single pixel",
                              error);
      g_set_error (error, GCP_ERROR, GCP_ERROR_INVALID,
                   "architecture.heads.n_patches: must be at least 2 when each crop's "
                   "patches are the negatives (losses.nce.negatives same_image, or a "
                   "batch of 1), got %d",
                   r->heads.n_patches);
      return FALSE;
    }
  return TRUE;
}
