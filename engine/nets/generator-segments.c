/* Splitting the generator at its checkpoints, and what each piece needs. */
#include "generator-private.h"

static void
add_norm (GcutSegment *s, int scale, int channels, double cost)
{
  g_assert (s->n_norms < GCUT_SEGMENT_MAX_NORMS);
  s->norm_scale[s->n_norms] = scale;
  s->norm_channels[s->n_norms] = channels;
  s->pass_cost[s->n_norms++] = cost;
}

/* Walks the layers of s, tracking resolution, channels, the cost so far and
 * `spread`: how many pixels (at the current resolution) next to a window's cut
 * edge may differ from the whole image's values, since the network pads there
 * as if it were the image border. */
static void
describe (GcutSegment *s, const GcutLayer *layers, int scale, int channels)
{
  double cost = 1;
  int spread = 0;

  s->scale_in = scale;
  s->c_in = channels;
  for (int i = s->first; i < s->last; i++)
    {
      const GcutLayer *l = &layers[i];
      double conv = 0;
      switch (l->kind)
        {
        case GCUT_LAYER_CONV:
          if (l->stride == 2)
            {
              scale *= 2;
              spread = spread / 2 + 1;
            }
          else
            spread += l->k / 2;
          cost += (double)l->c_in * l->c_out * l->k * l->k / ((double)scale * scale);
          channels = l->c_out;
          break;
        case GCUT_LAYER_CONV_T:
          cost += (double)l->c_in * l->c_out * l->k * l->k / ((double)scale * scale);
          scale /= 2;
          spread = 2 * spread + 2;
          channels = l->c_out;
          break;
        case GCUT_LAYER_DOWN:
          scale *= 2;
          spread = spread / 2 + 1;
          break;
        case GCUT_LAYER_UP:
          scale /= 2;
          spread = 2 * spread + 4;
          break;
        case GCUT_LAYER_NORM:
          add_norm (s, scale, channels, cost);
          break;
        case GCUT_LAYER_RESBLOCK:
          conv = 9.0 * channels * channels / ((double)scale * scale);
          add_norm (s, scale, channels, cost += conv);
          add_norm (s, scale, channels, cost += conv);
          spread += 2;
          break;
        default:
          break;
        }
    }
  s->pass_cost[s->n_norms] = cost;
  s->scale_out = scale;
  s->c_out = channels;
  s->halo = (spread * scale + 3) / 4 * 4;
}

int
gcut_generator_segments (const GcutNetwork *G, GcutSegment *segments)
{
  int n_layers, n = 0, end = 0, scale = 1, channels = 3;
  const GcutLayer *layers = gcut_resnet_generator_layers (G, &n_layers);

  /* The encoder ends at the first residual block or upsampling layer. */
  while (end < n_layers && layers[end].kind != GCUT_LAYER_RESBLOCK
         && layers[end].kind != GCUT_LAYER_UP && layers[end].kind != GCUT_LAYER_CONV_T)
    end++;
  segments[n++] = (GcutSegment){ .first = 0, .last = end };
  for (; end < n_layers && layers[end].kind == GCUT_LAYER_RESBLOCK; end++)
    segments[n++] = (GcutSegment){ .first = end, .last = end + 1 };
  segments[n++] = (GcutSegment){ .first = end, .last = n_layers };
  for (int i = 0; i < n; i++)
    {
      describe (&segments[i], layers, scale, channels);
      scale = segments[i].scale_out;
      channels = segments[i].c_out;
    }
  return n;
}
