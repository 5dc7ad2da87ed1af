/* The training window (see gimp-train-window.h). */
#include <math.h>

#include "gimp-plugin.h"
#include <libgimp/gimpui.h>

#include "gimp-train-window.h"

struct _GcutTrainWindow
{
  GtkWidget *dialog;
  GtkWidget *preview;
  GtkWidget *bar;
  GtkWidget *losses;
  GDestroyNotify on_cancel;
  gpointer data;
  gboolean cancelled;
};

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
  window->on_cancel (window->data);
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

GcutTrainWindow *
gcut_train_window_new (const char *device, GDestroyNotify on_cancel, gpointer data)
{
  GcutTrainWindow *window = g_new0 (GcutTrainWindow, 1);
  GtkWidget *vbox, *frame, *label;
  g_autofree char *device_text = g_strdup_printf (_ ("Device: %s"), device);

  window->on_cancel = on_cancel;
  window->data = data;
  window->dialog = gimp_dialog_new (
      _ ("Training a Contrastive Translator"), GCUT_PLUG_IN_ROLE, NULL, 0,
      gimp_standard_help_func, GCUT_PROC_TRAIN, _ ("_Cancel"), GTK_RESPONSE_CANCEL, NULL);
  gimp_window_set_transient (GTK_WINDOW (window->dialog));
  g_signal_connect (window->dialog, "response", G_CALLBACK (on_response), window);
  g_signal_connect (window->dialog, "delete-event", G_CALLBACK (on_delete), window);

  vbox = gtk_vbox_new (FALSE, 6);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (window->dialog))),
                      vbox, TRUE, TRUE, 0);

  frame = gtk_frame_new (NULL);
  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  gtk_box_pack_start (GTK_BOX (vbox), frame, FALSE, FALSE, 0);
  window->preview = gtk_image_new ();
  gtk_widget_set_size_request (window->preview, 200, 200);
  gtk_container_add (GTK_CONTAINER (frame), window->preview);

  window->bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (window->bar), _ ("Starting…"));
  gtk_box_pack_start (GTK_BOX (vbox), window->bar, FALSE, FALSE, 0);

  window->losses = gtk_label_new (NULL);
  gtk_misc_set_alignment (GTK_MISC (window->losses), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (window->losses), PANGO_ATTR_SCALE,
                             PANGO_SCALE_SMALL, -1);
  gtk_box_pack_start (GTK_BOX (vbox), window->losses, FALSE, FALSE, 0);

  label = gtk_label_new (device_text);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gimp_label_set_attributes (GTK_LABEL (label), PANGO_ATTR_SCALE, PANGO_SCALE_SMALL, -1);
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);

  gtk_widget_show_all (window->dialog);
  return window;
}

void
gcut_train_window_set_progress (GcutTrainWindow *window, double fraction,
                                const char *text, const char *losses)
{
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (window->bar), fraction);
  if (!window->cancelled)
    gtk_progress_bar_set_text (GTK_PROGRESS_BAR (window->bar), text);
  gtk_label_set_text (GTK_LABEL (window->losses), losses);
}

static guchar
to_byte (float v)
{
  return (guchar)lrintf (CLAMP (isfinite (v) ? v : 0.0f, 0.0f, 1.0f) * 255.0f);
}

void
gcut_train_window_set_preview (GcutTrainWindow *window, const GctImage *image)
{
  g_autoptr (GdkPixbuf) pixbuf
      = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, image->width, image->height);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);

  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width * 4; x++)
      pixels[y * stride + x] = to_byte (image->rgba[(gsize)y * image->width * 4 + x]);
  gtk_image_set_from_pixbuf (GTK_IMAGE (window->preview), pixbuf);
}

void
gcut_train_window_destroy (GcutTrainWindow *window)
{
  gtk_widget_destroy (window->dialog);
  g_free (window);
}
