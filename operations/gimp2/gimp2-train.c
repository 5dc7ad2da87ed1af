/* Training in the plug-in process (gimp-train-ui.h) on a drawable and a
 * style from a drawable or a file. */
#include <gegl.h>

#include "gimp-train-ui.h"
#include "gimp2-plugin.h"

static GctImage *
read_drawable (gint32 drawable, double scale, GError **error)
{
  g_autoptr (GeglBuffer) buffer = gimp_drawable_get_buffer (drawable);
  return gcut_train_read_buffer (buffer, scale, error);
}

/* A drawable's pixels, for the trainer to read in strips. */
static GctImageReader *
drawable_reader (gint32 drawable, const char *name)
{
  g_autoptr (GeglBuffer) buffer = gimp_drawable_get_buffer (drawable);
  return gct_image_reader_new_for_buffer (buffer, name);
}

static GctImageReader *
load_style (const GcutTrainValues *values, GError **error)
{
  if (values->style_drawable != -1)
    {
      if (!gimp_item_is_valid (values->style_drawable)
          || !gimp_item_is_drawable (values->style_drawable))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("The style drawable %d does not exist"),
                       values->style_drawable);
          return NULL;
        }
      return drawable_reader (values->style_drawable, "the style layer");
    }
  if (!*values->style_file)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _ ("Choose a style image: a layer or an image file"));
      return NULL;
    }
  return gct_image_reader_open (values->style_file, error);
}

char *
gcut_train (gint32 drawable, const GcutTrainValues *values, gboolean interactive,
            GError **error)
{
  g_autoptr (GctImageReader) content = NULL, style = NULL;
  g_autoptr (GctImage) thumb = NULL;
  GcutTrainJob job = { .recipe = values->recipe,
                       .steps = values->steps,
                       .model_name = values->model_name };

  if (!(style = load_style (values, error)))
    return NULL;
  content = drawable_reader (drawable, "the image");
  if (interactive
      && !(thumb = read_drawable (
               drawable, gcut_train_thumb_scale (content, GCUT_TRAIN_THUMB_SIZE), error)))
    return NULL;
  job.content = content;
  job.style = style;
  job.thumb = thumb;
  return gcut_train_in_gimp (&job, GCUT_PROC_TRAIN, error);
}
