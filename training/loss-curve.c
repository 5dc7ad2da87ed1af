/* gegl-cut training: the loss-curve picture (gct-loss-curve.h). */
#include <math.h>
#include <string.h>

#include <gegl.h>

#include "gct-gegl-compat.h"
#include "gct-loss-curve.h"

#define W 900
#define H 480
/* Margins: room for the tick labels left and below, the legend above. */
#define ML 70
#define MR 20
#define MT 40
#define MB 50
#define PW (W - ML - MR)
#define PH (H - MT - MB)

static const float colors[][3]
    = { { 0.85f, 0.1f, 0.1f }, { 0.1f, 0.45f, 0.85f }, { 0.1f, 0.65f, 0.2f },
        { 0.6f, 0.2f, 0.75f }, { 0.95f, 0.55f, 0.0f }, { 0.0f, 0.65f, 0.65f },
        { 0.3f, 0.3f, 0.3f },  { 0.75f, 0.6f, 0.1f } };

/* How much of a loss's colour its raw values get, over white. */
#define FAINT 0.3f

const float *
gct_loss_color (int l)
{
  return colors[l % G_N_ELEMENTS (colors)];
}

static void
plot (GctImage *im, int x, int y, const float rgb[3])
{
  if (x < 0 || y < 0 || x >= im->width || y >= im->height)
    return;
  float *p = im->rgba + ((gsize)y * im->width + x) * 4;
  p[0] = rgb[0], p[1] = rgb[1], p[2] = rgb[2], p[3] = 1;
}

/* Two pixels thick. */
static void
line (GctImage *im, int x0, int y0, int x1, int y1, const float rgb[3])
{
  int dx = ABS (x1 - x0), sx = x0 < x1 ? 1 : -1;
  int dy = -ABS (y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
  for (;;)
    {
      plot (im, x0, y0, rgb);
      plot (im, x0, y0 + 1, rgb);
      if (x0 == x1 && y0 == y1)
        break;
      int e2 = 2 * err;
      if (e2 >= dy)
        err += dy, x0 += sx;
      if (e2 <= dx)
        err += dx, y0 += sy;
    }
}

/* The debiased exponential moving average of gct_loss_smooth, one value at a
 * time. */
typedef struct
{
  double beta, sum, beta_t;
} Ema;

static void
ema_init (Ema *e, gint64 n_steps)
{
  double tau = MAX (1.0, n_steps / 50.0);
  e->beta = 1.0 - 1.0 / tau;
  e->sum = 0.0;
  e->beta_t = 1.0;
}

/* The smoothed value after x; NAN before the first finite value. */
static double
ema_add (Ema *e, float x)
{
  if (isfinite (x))
    {
      e->sum = e->beta * e->sum + (1.0 - e->beta) * x;
      e->beta_t *= e->beta;
    }
  return e->beta_t < 1.0 ? e->sum / (1.0 - e->beta_t) : NAN;
}

void
gct_loss_smooth (const float *history, gint64 n_steps, int n_losses, int l,
                 double *smoothed)
{
  Ema e;

  ema_init (&e, n_steps);
  for (gint64 i = 0; i < n_steps; i++)
    smoothed[i] = ema_add (&e, history[i * n_losses + l]);
}

/* What one pixel column shows of one loss. */
typedef struct
{
  double smooth, lo, hi; /* NAN: nothing finite */
} Column;

/* Column c of cols covers steps [c·n/cols, (c+1)·n/cols); its raw range
 * starts at the last value before it, so that the raw values join up when
 * columns are wider than a step. */
static void
columns (const float *history, gint64 n, int n_losses, int l, Column *col, int cols)
{
  double last = NAN;
  Ema e;

  ema_init (&e, n);
  for (int c = 0; c < cols; c++)
    {
      gint64 a = (gint64)c * n / cols, b = MAX ((gint64)(c + 1) * n / cols, a + 1);
      col[c] = (Column){ NAN, last, last };
      for (gint64 i = a; i < b; i++)
        {
          float x = history[i * n_losses + l];
          col[c].smooth = ema_add (&e, x);
          if (isfinite (x))
            {
              col[c].lo = isnan (col[c].lo) ? x : MIN (col[c].lo, x);
              col[c].hi = isnan (col[c].hi) ? x : MAX (col[c].hi, x);
              last = x;
            }
        }
    }
}

double
gct_loss_plot (GctImage *im, int x, int y, int width, int height, const float *history,
               gint64 n_steps, int n_losses)
{
  const float grey[3] = { 0.85f, 0.85f, 0.85f };
  int cols = (int)MIN ((gint64)width, n_steps);
  g_autofree Column *col = NULL;
  double top = 0.0;

  for (int k = 1; k <= 4; k++)
    line (im, x, y + height - 1 - k * (height - 1) / 4, x + width - 1,
          y + height - 1 - k * (height - 1) / 4, grey);
  if (cols < 1 || n_losses < 1)
    return 1.0;
  col = g_new (Column, (gsize)cols * n_losses);
  for (int l = 0; l < n_losses; l++)
    {
      columns (history, n_steps, n_losses, l, col + (gsize)l * cols, cols);
      for (int c = 0; c < cols; c++)
        if (isfinite (col[(gsize)l * cols + c].smooth))
          top = MAX (top, col[(gsize)l * cols + c].smooth);
    }
  top = top > 0.0 ? top * 1.1 : 1.0;

#define COL_X(c) (x + (cols > 1 ? (c) * (width - 1) / (cols - 1) : 0))
#define VALUE_Y(v) (y + height - 1 - (int)lrint (MIN ((v) / top, 1.0) * (height - 1)))
  for (int l = 0; l < n_losses; l++)
    {
      const float *rgb = gct_loss_color (l);
      const float faint[3] = { 1.f - FAINT * (1.f - rgb[0]), 1.f - FAINT * (1.f - rgb[1]),
                               1.f - FAINT * (1.f - rgb[2]) };
      for (int c = 0; c < cols; c++)
        {
          const Column *k = &col[(gsize)l * cols + c];
          if (!isnan (k->lo))
            for (int py = VALUE_Y (k->hi); py <= VALUE_Y (k->lo); py++)
              plot (im, COL_X (c), py, faint);
        }
    }
  for (int l = 0; l < n_losses; l++)
    for (int c = 0, px = -1, py = -1; c < cols; c++)
      {
        const Column *k = &col[(gsize)l * cols + c];
        if (isnan (k->smooth))
          continue;
        if (px >= 0)
          line (im, px, py, COL_X (c), VALUE_Y (k->smooth), gct_loss_color (l));
        else
          plot (im, COL_X (c), VALUE_Y (k->smooth), gct_loss_color (l));
        px = COL_X (c), py = VALUE_Y (k->smooth);
      }
#undef COL_X
#undef VALUE_Y
  return top;
}

/* Text through GEGL's pango renderer, composited over the plot: x, y is the
 * top left, or with right_align the top right. */
typedef struct
{
  GeglNode *graph, *top;
} Labels;

static void
label (Labels *labels, const char *text, int x, int y, gboolean right_align)
{
  GeglNode *t = gegl_node_new_child (labels->graph, "operation", "gegl:text", "string",
                                     text, "size", 13.0, NULL);
  GeglNode *move, *over;
  int width = 0;

  if (right_align)
    {
      /* The rendered width is known once the text op has laid out its string. */
      gegl_node_process (t);
      gegl_node_get (t, "width", &width, NULL);
    }
  move = gegl_node_new_child (labels->graph, "operation", "gegl:translate", "x",
                              (double)(x - width), "y", (double)y, NULL);
  over = gegl_node_new_child (labels->graph, "operation", "gegl:over", NULL);
  gegl_node_link (t, move);
  gegl_node_link (labels->top, over);
  gct_node_connect (over, "aux", move, "output");
  labels->top = over;
}

/* Where legend entry l starts: after the longer names before it. */
static int
legend_x (const char *const *names, int l)
{
  int x = ML + 60;
  for (int i = 0; i < l; i++)
    x += 40 + 9 * (int)strlen (names[i]);
  return x;
}

/* The tick values, the axis names and the legend's names. */
static void
annotate (GctImage *im, double top, gint64 n, const char *const *names, int nl)
{
  g_autoptr (GeglBuffer) buffer = NULL;
  GeglRectangle box = { 0, 0, W, H };
  Labels labels = { gegl_node_new () };
  char text[64];

  buffer = gegl_buffer_new (&box, babl_format ("R'G'B'A float"));
  gegl_buffer_set (buffer, &box, 0, babl_format ("R'G'B'A float"), im->rgba,
                   GEGL_AUTO_ROWSTRIDE);
  labels.top = gegl_node_new_child (labels.graph, "operation", "gegl:buffer-source",
                                    "buffer", buffer, NULL);
  for (int k = 0; k <= 4; k++)
    {
      g_snprintf (text, sizeof text, "%.3g", top * k / 4);
      label (&labels, text, ML - 8, MT + PH - k * PH / 4 - 8, TRUE);
    }
  for (int k = 0; k <= 10; k += 2)
    {
      g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, n * k / 10);
      label (&labels, text, ML + k * PW / 10 - 4 * (int)strlen (text), MT + PH + 10,
             FALSE);
    }
  label (&labels, "step", ML + PW / 2 - 14, H - 22, FALSE);
  label (&labels, "loss", 8, MT - 28, FALSE);
  label (&labels, "lines: smoothed (EMA); faint: each step", ML + PW, MT - 28, TRUE);
  for (int l = 0; l < nl; l++)
    label (&labels, names[l], legend_x (names, l) + 20, 10, FALSE);
  gegl_node_blit (labels.top, 1.0, &box, babl_format ("R'G'B'A float"), im->rgba,
                  GEGL_AUTO_ROWSTRIDE, GEGL_BLIT_DEFAULT);
  g_object_unref (labels.graph);
}

gboolean
gct_loss_curve_save (GctTrainer *trainer, const char *path, GError **error)
{
  const float black[3] = { 0, 0, 0 };
  gint64 n;
  int nl;
  const float *hist = gct_trainer_loss_history (trainer, &n);
  const char *const *names = gct_trainer_loss_names (trainer, &nl);
  g_autoptr (GctImage) im = g_new0 (GctImage, 1);
  double top;

  if (n == 0)
    return TRUE;
  im->width = W, im->height = H;
  im->rgba = g_new (float, (gsize)W *H * 4);
  for (gsize i = 0; i < (gsize)W * H * 4; i++)
    im->rgba[i] = 1;
  top = gct_loss_plot (im, ML, MT, PW, PH, hist, n, nl);
  line (im, ML, MT, ML, MT + PH, black);
  line (im, ML, MT + PH, ML + PW, MT + PH, black);
  for (int k = 0; k <= 10; k++)
    line (im, ML + k * PW / 10, MT + PH, ML + k * PW / 10, MT + PH + 6, black);
  for (int l = 0; l < nl; l++)
    for (int y = 0; y < 10; y++)
      for (int dx = 0; dx < 16; dx++)
        plot (im, legend_x (names, l) + dx, 14 + y, gct_loss_color (l));
  annotate (im, top, n, names, nl);
  return gct_image_save (im, path, error);
}
