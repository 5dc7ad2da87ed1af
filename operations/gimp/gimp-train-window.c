/* The training window (see gimp-train-window.h). */
#include <math.h>

#include <glib/gi18n-lib.h>

#include "gct-loss-curve.h"
#include "gimp-train-window.h"
#include "gimp-ui-compat.h"

/* The loss plot, in pixels. */
#define PLOT_WIDTH 320
#define PLOT_HEIGHT 120

struct _GcutTrainWindow
{
  GtkWidget *dialog;
  GtkWidget *preview;
  GtkWidget *plot;
  GtkWidget *bar;
  GtkWidget *losses;
  GcutTrainRun *run;
  gboolean cancelled;
  gint64 plotted_at; /* g_get_monotonic_time of the last plot */
};

/* The plot is redrawn at most this often, in microseconds: it goes through
 * the whole history. */
#define PLOT_EVERY 250000

static void
cancel (GcutTrainWindow *window)
{
  if (window->cancelled)
    return;
  window->cancelled = TRUE;
  gtk_dialog_set_response_sensitive (GTK_DIALOG (window->dialog), GTK_RESPONSE_CANCEL,
                                     FALSE);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (window->bar),
                             _ ("Cancelling after this step…"));
  gcut_train_run_cancel (window->run);
}

static void
on_response (GtkDialog *dialog, int response, gpointer data)
{
  cancel (data);
}

static gboolean
on_delete (GtkWidget *widget, GdkEvent *event, gpointer data)
{
  cancel (data);
  return TRUE; /* the run closes the window when it has stopped */
}

static guchar
to_byte (float v)
{
  return (guchar)lrintf (CLAMP (isfinite (v) ? v : 0.0f, 0.0f, 1.0f) * 255.0f);
}

static void
show_image (GtkWidget *widget, const GctImage *image)
{
  g_autoptr (GdkPixbuf) pixbuf
      = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, image->width, image->height);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);

  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width * 4; x++)
      pixels[y * stride + x] = to_byte (image->rgba[(gsize)y * image->width * 4 + x]);
  gtk_image_set_from_pixbuf (GTK_IMAGE (widget), pixbuf);
}

static GtkWidget *
framed (GtkWidget *child)
{
  GtkWidget *frame = gtk_frame_new (NULL);

  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  gtk_container_add (GTK_CONTAINER (frame), child);
  return frame;
}

static GtkWidget *
small_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gcut_ui_label_set_xalign (label, 0.0f);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_SCALE, PANGO_SCALE_SMALL, -1);
  return label;
}

GcutTrainWindow *
gcut_train_window_new (const char *help_id, GcutTrainRun *run, const char *device,
                       const GctImage *thumb)
{
  GcutTrainWindow *window = g_new0 (GcutTrainWindow, 1);
  GtkWidget *vbox, *hbox, *side;
  g_autofree char *device_text = g_strdup_printf (_ ("Device: %s"), device);

  window->run = run;
  window->dialog = gimp_dialog_new (_ ("Training a Contrastive Translator"), "gegl-cut",
                                    NULL, 0, gimp_standard_help_func, help_id,
                                    _ ("_Cancel"), GTK_RESPONSE_CANCEL, NULL);
  gimp_window_set_transient (GTK_WINDOW (window->dialog));
  g_signal_connect (window->dialog, "response", G_CALLBACK (on_response), window);
  g_signal_connect (window->dialog, "delete-event", G_CALLBACK (on_delete), window);

  vbox = gcut_ui_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (window->dialog))),
                      vbox, TRUE, TRUE, 0);
  hbox = gcut_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);

  /* The content as the generator translates it now. */
  window->preview = gtk_image_new ();
  gtk_widget_set_size_request (window->preview, 200, 200);
  gtk_box_pack_start (GTK_BOX (hbox), framed (window->preview), FALSE, FALSE, 0);
  if (thumb)
    show_image (window->preview, thumb);

  side = gcut_ui_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_pack_start (GTK_BOX (hbox), side, TRUE, TRUE, 0);
  window->plot = gtk_image_new ();
  gtk_widget_set_size_request (window->plot, PLOT_WIDTH, PLOT_HEIGHT);
  gtk_box_pack_start (GTK_BOX (side), framed (window->plot), FALSE, FALSE, 0);
  window->losses = small_label (NULL);
  gtk_label_set_line_wrap (GTK_LABEL (window->losses), TRUE);
  gtk_box_pack_start (GTK_BOX (side), window->losses, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (side),
                      small_label (_ ("Lines: smoothed losses; faint: each step")), FALSE,
                      FALSE, 0);

  window->bar = gcut_ui_progress_bar_new ();
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (window->bar), _ ("Starting…"));
  gtk_box_pack_start (GTK_BOX (vbox), window->bar, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), small_label (device_text), FALSE, FALSE, 0);

  gtk_widget_show_all (window->dialog);
  return window;
}

/* The latest value of each loss, in the colour of its curve. */
static char *
losses_markup (const GcutTrainStatus *s)
{
  GString *text = g_string_new (NULL);
  const float *last = s->history + (s->n_steps - 1) * s->n_losses;

  for (int l = 0; l < s->n_losses; l++)
    {
      const float *rgb = gct_loss_color (l);
      g_autofree char *name = g_markup_escape_text (s->names[l], -1);

      g_string_append_printf (
          text, "%s<span foreground=\"#%02x%02x%02x\">■</span> %s %.3g", l ? "   " : "",
          to_byte (rgb[0]), to_byte (rgb[1]), to_byte (rgb[2]), name, last[l]);
    }
  return g_string_free (text, FALSE);
}

static void
show_plot (GcutTrainWindow *window, const GcutTrainStatus *s)
{
  GctImage plot
      = { PLOT_WIDTH, PLOT_HEIGHT, g_new (float, (gsize)PLOT_WIDTH *PLOT_HEIGHT * 4) };

  for (gsize i = 0; i < (gsize)PLOT_WIDTH * PLOT_HEIGHT * 4; i++)
    plot.rgba[i] = 1.0f;
  gct_loss_plot (&plot, 0, 0, PLOT_WIDTH, PLOT_HEIGHT, s->history, s->n_steps,
                 s->n_losses);
  show_image (window->plot, &plot);
  g_free (plot.rgba);
}

void
gcut_train_window_update (GcutTrainWindow *window, const GcutTrainStatus *status)
{
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (window->bar),
                                 status->total > 0 ? (double)status->step / status->total
                                                   : 0.0);
  if (!window->cancelled)
    gtk_progress_bar_set_text (GTK_PROGRESS_BAR (window->bar), status->text);
  if (status->n_steps > 0 && status->n_losses > 0)
    {
      g_autofree char *markup = losses_markup (status);
      gint64 now = g_get_monotonic_time ();

      gtk_label_set_markup (GTK_LABEL (window->losses), markup);
      if (now - window->plotted_at >= PLOT_EVERY || status->step == status->total)
        {
          show_plot (window, status);
          window->plotted_at = now;
        }
    }
  if (status->preview)
    show_image (window->preview, status->preview);
}

void
gcut_train_window_destroy (GcutTrainWindow *window)
{
  gtk_widget_destroy (window->dialog);
  g_free (window);
}
