/* gegl-cut training: adversarial losses, on discriminator logit maps.
 *
 * LSGAN (GCT_GAN_LSGAN; CUT and the recipes built on it):
 *   L_D = ½[ mean (D(y) − 1)² + mean D(G(x))² ],   L_G = mean (D(G(x)) − 1)².
 * Non-saturating (GCT_GAN_NONSAT; SinCUT):
 *   L_D = ½[ mean softplus(−D(y)) + mean softplus(D(G(x))) ],
 *   L_G = mean softplus(−D(G(x))).
 * The ½ on L_D is the official code's (cut_model.py: (fake + real)·0.5, in
 * both modes).  Means are over each whole logit map.  D(G(x)) given to
 * gct_gan_d is the caller's to detach (the D step uses the detached fake).
 * R1 for SinCUT is a separate regularizer, not part of this file. */
#include "gct-losses-private.h"

static gboolean
mode_ok (GcutGraph *g, GctGanMode mode, const char *loss)
{
  if (mode != GCT_GAN_LSGAN && mode != GCT_GAN_NONSAT)
    return gct_fail (g, loss, "option mode (%d) is not a GctGanMode", (int)mode), FALSE;
  return TRUE;
}

GcutValue
gct_gan_d (GcutGraph *g, GcutValue real, GcutValue fake, GctGanMode mode)
{
  if (!mode_ok (g, mode, "GAN D"))
    return GCUT_NONE;
  GcutValue lr, lf;
  if (mode == GCT_GAN_LSGAN)
    {
      lr = gcut_square (g, gcut_affine (g, real, 1.0f, -1.0f));
      lf = gcut_square (g, fake);
    }
  else
    {
      lr = gcut_softplus (g, gcut_affine (g, real, -1.0f, 0.0f));
      lf = gcut_softplus (g, fake);
    }
  GcutValue sum = gcut_add (g, gcut_mean_all (g, lr), gcut_mean_all (g, lf));
  return gcut_affine (g, sum, 0.5f, 0.0f);
}

GcutValue
gct_gan_g (GcutGraph *g, GcutValue fake, GctGanMode mode)
{
  if (!mode_ok (g, mode, "GAN G"))
    return GCUT_NONE;
  if (mode == GCT_GAN_LSGAN)
    return gcut_mean_all (g, gcut_square (g, gcut_affine (g, fake, 1.0f, -1.0f)));
  return gcut_mean_all (g, gcut_softplus (g, gcut_affine (g, fake, -1.0f, 0.0f)));
}
