/* A training-like step on small G, D and F: forward, then backward from seeds
 * on the fake image, D's logits and one head's features. */
#pragma once

#include <gcut/gcut.h>

typedef struct
{
  GcutNetwork *G, *D, *F;
  GcutGraph *graph;
  GcutPlan *plan;
  GcutValue x, fake, logits, feat, idx;
} Step;

void step_init (Step *s, int block, int size);
void step_run (Step *s, const float *x, const gint32 *idx, float *const *seeds);
void step_clear (Step *s);
