/* Pixels between GEGL and the networks (training/pixels.c), the same
 * whichever conversions babl picked in this process.  babl times its
 * candidates and keeps the fastest, and they round differently:
 *
 * gct_buffer_get_rgba: every value of the common formats comes out as a fixed
 * formula gives it.  For u16 → float one candidate (sse2-int16) multiplies by
 * 1/65535, so reading through babl failed here in most runs, and gave
 * different models and translations from one run to the next.
 *
 * gct_pixel_from_net: translations come out on the 16-bit grid, where babl's
 * float → u16 conversions agree (x86-64-v3-gggl rounds ties to even, simple
 * up; about 1 value in 256 of a translation was a tie, so its PNG or 16-bit
 * GIMP layer changed with the load). */
#include <math.h>
#include <string.h>

#include "image-io.h"

#define SIDE 256 /* SIDE² pixels hold every u16 value */

static float
srgb_encode (double v)
{
  return (float)(v > 0.0031308 ? 1.055 * pow (v, 1 / 2.4) - 0.055 : 12.92 * v);
}

typedef struct
{
  const char *format;
  gboolean linear;
} Case;

/* Channel c of pixel i holds step (i + 97·c) mod (max + 1) of max (alpha
 * included): every value of the integer types; this is its fraction of full
 * scale, as stored (floats hold the fraction itself, rounded). */
static double
expected_fraction (const Babl *type, gsize i, int c)
{
  gsize max = type == babl_type ("u8") ? 255 : 65535;
  double f = (double)((i + 97 * c) % (max + 1)) / max;
  return type == babl_type ("float") ? (float)f : f;
}

static void
fill (void *data, const Babl *format, gsize n_pixels)
{
  const Babl *type = babl_format_get_type (format, 0);
  int nc = babl_format_get_n_components (format);
  for (gsize i = 0; i < n_pixels; i++)
    for (int c = 0; c < nc; c++)
      {
        double f = expected_fraction (type, i, c);
        gsize k = i * nc + c;
        if (type == babl_type ("u8"))
          ((guint8 *)data)[k] = (guint8)lrint (f * 255);
        else if (type == babl_type ("u16"))
          ((guint16 *)data)[k] = (guint16)lrint (f * 65535);
        else
          ((float *)data)[k] = (float)f;
      }
}

static void
test_format (gconstpointer data)
{
  const Case *tc = data;
  const Babl *format = babl_format (tc->format);
  const Babl *type = babl_format_get_type (format, 0);
  int nc = babl_format_get_n_components (format);
  gboolean alpha = babl_format_has_alpha (format), grey = nc - alpha == 1;
  GeglRectangle r = { 0, 0, SIDE, SIDE };
  gsize n = (gsize)SIDE * SIDE;
  g_autoptr (GeglBuffer) buffer = gegl_buffer_new (&r, format);
  g_autofree void *raw = g_malloc (n * babl_format_get_bytes_per_pixel (format));
  g_autofree float *rgba = g_new (float, n * 4);
  g_autoptr (GError) error = NULL;
  gsize wrong = 0;

  fill (raw, format, n);
  gegl_buffer_set (buffer, &r, 0, format, raw, GEGL_AUTO_ROWSTRIDE);
  g_assert_true (gct_buffer_get_rgba (buffer, &r, rgba, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      {
        /* Grey spreads over R, G, B; missing alpha is opaque. */
        int src = c == 3 ? (alpha ? nc - 1 : -1) : grey ? 0 : c;
        double f = src < 0 ? 1.0 : expected_fraction (type, i, src);
        float want = tc->linear && c < 3 ? srgb_encode (f) : (float)f;
        if (memcmp (&rgba[4 * i + c], &want, sizeof want) != 0 && wrong++ < 3)
          g_test_message ("%s: pixel %" G_GSIZE_FORMAT " channel %d: %.9g, expected %.9g",
                          tc->format, i, c, rgba[4 * i + c], want);
      }
  if (wrong)
    g_test_fail_printf ("%s: %" G_GSIZE_FORMAT " values differ from the formula",
                        tc->format, wrong);
}

/* The float nearest some k/65535 (k integer), k the nearest to the exact
 * (v + 1)/2·65535 clamped to [0, 65535]; the ends; NaN. */
static void
test_from_net (void)
{
  GRand *r = g_rand_new_with_seed (11);
  int wrong = 0;
  for (int i = 0; i < 1000000; i++)
    {
      float v = i < 4 ? (float[]){ -1.f, 1.f, -2.f, 3.f }[i]
                      : (float)g_rand_double_range (r, -1.05, 1.05);
      float p = gct_pixel_from_net (v);
      double k = floor (p * 65535.0 + 0.5);
      double want = CLAMP (((double)v + 1) * 0.5 * 65535, 0, 65535);
      if ((p != (float)(k / 65535) || fabs (k - want) > 0.5) && wrong++ < 3)
        g_test_message ("%.9g gives %.9g (%.9g/65535), expected the grid value nearest "
                        "%.9g/65535",
                        v, p, p * 65535.0, want);
    }
  g_rand_free (r);
  g_assert_cmpfloat (gct_pixel_from_net (NAN), ==, 0.f);
  if (wrong)
    g_test_fail_printf ("%d values off the 16-bit grid or not nearest", wrong);
}

int
main (int argc, char **argv)
{
  static const Case cases[] = {
    { "R'G'B' u8", FALSE },  { "R'G'B'A u8", FALSE },  { "Y'A u8", FALSE },
    { "R'G'B' u16", FALSE }, { "R'G'B'A u16", FALSE }, { "Y' u16", FALSE },
    { "RGBA u8", TRUE },     { "RGB u16", TRUE },      { "YA u16", TRUE },
    { "RGBA float", TRUE },  { "RGB float", TRUE },    { "R'G'B'A float", FALSE },
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  gegl_init (NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/pixels/%s", cases[i].format);
      g_strdelimit (name, "' ", '_');
      g_test_add_data_func (name, &cases[i], test_format);
    }
  g_test_add_func ("/pixels/from-net", test_from_net);
  status = g_test_run ();
  gegl_exit ();
  return status;
}
