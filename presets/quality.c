/* The training qualities (gcp-quality.h). */
#include <glib/gi18n-lib.h>

#include <gcp/gcp-quality.h>

/* The times are those of a 2-core laptop CPU; "best" is meant for a GPU. */
static const GcpQuality qualities[] = {
  { "quick", N_ ("Quick (about 2 minutes)"), "quick",
    N_ ("A first look at the style, in about two minutes on a laptop") },
  { "balanced", N_ ("Balanced (about 5 minutes)"), "balanced",
    N_ ("The style and the photo together, in about five minutes on a laptop") },
  { "best", N_ ("Best (GPU, or a day on a CPU)"), "best",
    N_ ("The published settings: about a day on a GPU, far longer on a CPU") },
};

const GcpQuality *
gcp_qualities (int *n_qualities)
{
  *n_qualities = G_N_ELEMENTS (qualities);
  return qualities;
}

const GcpQuality *
gcp_quality_find (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (qualities); i++)
    if (g_strcmp0 (name, qualities[i].name) == 0)
      return &qualities[i];
  return NULL;
}

const GcpQuality *
gcp_quality_for_recipe (const char *recipe)
{
  for (gsize i = 0; i < G_N_ELEMENTS (qualities); i++)
    if (g_strcmp0 (recipe, qualities[i].recipe) == 0)
      return &qualities[i];
  return NULL;
}
