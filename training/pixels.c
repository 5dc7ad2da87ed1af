/* gegl-cut training: pixels between GEGL and the networks, the same in every
 * process whatever conversions babl picks (image-io.h).
 *
 * babl picks among its conversions between two formats by timing them when a
 * process first needs one, and its conversions from 16-bit integers and from
 * linear light differ in the last bit (sse2-int16 and x86-64-v3-simple round
 * u16 → float differently): left to babl, the same photo would reach the
 * network as different floats in different runs, so models and translations
 * would differ with the machine's load.  For the formats images come in (sRGB,
 * 8 or 16-bit integers, gamma-encoded or linear, and linear float) babl only
 * copies, adds alpha or widens to R'G'B'A or RGBA of the buffer's own type,
 * which every path does exactly; the division and the sRGB curve are ours.
 * Other formats (float R'G'B', other spaces, premultiplied, CMYK, …) go
 * through babl. */
#include <math.h>
#include <string.h>

#include <gcut/gcut-error.h>

#include "image-io.h"

typedef enum
{
  VIA_BABL,
  VIA_INTEGERS, /* R'G'B'A u8 or u16 */
  VIA_LINEAR    /* RGBA u8, u16 or float, then the sRGB curve */
} Route;

static gboolean
name_in (const char *name, const char *const *names)
{
  for (; *names; names++)
    if (!strcmp (name, *names))
      return TRUE;
  return FALSE;
}

/* How to read format, and as which format. */
static Route
route (const Babl *format, const Babl **read_as)
{
  static const char *const gamma[] = { "R'G'B'", "R'G'B'A", "Y'", "Y'A", NULL };
  static const char *const linear[] = { "RGB", "RGBA", "Y", "YA", NULL };
  const char *model = babl_get_name (babl_format_get_model (format));
  const char *type = babl_get_name (babl_format_get_type (format, 0));
  gboolean integer = !strcmp (type, "u8") || !strcmp (type, "u16");
  char name[32];

  if (babl_format_get_space (format) != babl_space ("sRGB"))
    return VIA_BABL;
  if (integer && name_in (model, gamma))
    {
      g_snprintf (name, sizeof name, "R'G'B'A %s", type);
      *read_as = babl_format (name);
      return VIA_INTEGERS;
    }
  if ((integer || !strcmp (type, "float")) && name_in (model, linear))
    {
      g_snprintf (name, sizeof name, "RGBA %s", type);
      *read_as = babl_format (name);
      return VIA_LINEAR;
    }
  return VIA_BABL;
}

/* The sRGB transfer function. */
static float
srgb_encode (double v)
{
  return (float)(v > 0.0031308 ? 1.055 * pow (v, 1 / 2.4) - 0.055 : 12.92 * v);
}

/* Value i of raw pixels of component type `type`, full scale 1. */
static double
value (const void *raw, const Babl *type, gsize i)
{
  if (type == babl_type ("u8"))
    return ((const guint8 *)raw)[i] / 255.0;
  if (type == babl_type ("u16"))
    return ((const guint16 *)raw)[i] / 65535.0;
  return ((const float *)raw)[i];
}

gboolean
gct_buffer_get_rgba (GeglBuffer *buffer, const GeglRectangle *rect, float *rgba,
                     GError **error)
{
  const Babl *read_as = NULL;
  Route how = route (gegl_buffer_get_format (buffer), &read_as);
  gsize n = (gsize)rect->width * rect->height * 4;
  g_autofree void *raw = NULL;
  const Babl *type;

  if (how == VIA_BABL)
    {
      gegl_buffer_get (buffer, rect, 1.0, babl_format ("R'G'B'A float"), rgba,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
      return TRUE;
    }
  type = babl_format_get_type (read_as, 0);
  raw = g_try_malloc (n / 4 * babl_format_get_bytes_per_pixel (read_as));
  if (!raw)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_OUT_OF_MEMORY,
                   "not enough memory to read %d×%d pixels", rect->width, rect->height);
      return FALSE;
    }
  gegl_buffer_get (buffer, rect, 1.0, read_as, raw, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_CLAMP);
  for (gsize i = 0; i < n; i++)
    {
      double v = value (raw, type, i);
      /* Alpha is linear in both models. */
      rgba[i] = how == VIA_LINEAR && i % 4 != 3 ? srgb_encode (v) : (float)v;
    }
  return TRUE;
}

/* The network's [−1, 1] as [0, 1] on the 16-bit grid, k/65535.  Hosts convert
 * the result to their formats through babl, and babl's float → u16
 * conversions round ties differently (x86-64-v3-gggl to even, simple up): a
 * value a tie away from two u16 values, 1 in 256 of them, came out either way
 * with the machine's load.  On the grid every conversion agrees: to u16 it is
 * exact, to u8 it is k/257, never within 1/514 of a tie, and floats keep it. */
float
gct_pixel_from_net (float v)
{
  double u = ((double)v + 1) * 0.5;
  if (!(u > 0)) /* NaN too */
    return 0.f;
  return (float)(floor (MIN (u, 1.0) * 65535 + 0.5) / 65535);
}
