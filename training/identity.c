/* gegl-cut training: the L1 identity term, L = mean |G(y) − y| over every
 * element (torch.nn.L1Loss, SinCUT's lambda_IDT term).  The NCE identity term
 * of CUT is the contrastive loss itself on (y, G(y)) features: call
 * gct_patch_nce (or gct_dce / gct_hdce for hDCE+SRC's dce_idt) with them. */
#include "gct-losses-private.h"

GcutValue
gct_l1_identity (GcutGraph *g, GcutValue gy, GcutValue y)
{
  return gcut_mean_all (g, gcut_abs (g, gcut_sub (g, gy, y)));
}
