/* gegl-cut operations: what the gcut:* operations share. */
#pragma once

#include <glib/gi18n-lib.h>

#include <gegl-plugin.h>
#include <gegl.h>
#include <gcut/gcut.h>

G_BEGIN_DECLS

/* The device property of every op: 0 auto, 1 cpu, 2 cuda. */
GcutBackend *gcut_ops_backend (int device, GError **error);

/* A trained generator (and its projection heads F when the file has them),
 * loaded once and shared: models are cached by path, modification time and
 * size, so an edited file is read again. */
typedef struct _GcutOpsModel GcutOpsModel;

GcutOpsModel *gcut_ops_model_get (const char *name_or_path, GError **error);
/* Wraps networks made elsewhere (gcut:train); takes them. */
GcutOpsModel *gcut_ops_model_new (GcutNetwork *G, GcutNetwork *F);
GcutOpsModel *gcut_ops_model_ref (GcutOpsModel *model);
void gcut_ops_model_unref (GcutOpsModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutOpsModel, gcut_ops_model_unref)
/* The model at style strength s (gct-strength.h): itself at 1 and above;
 * below, for a model that records its base, a model whose generator
 * interpolates the base's weights and its own (kept for the last few
 * strengths).  NULL where the pixels are to be blended instead: without an
 * error for a model without a base record, with one saying why the base
 * cannot be used. */
GcutOpsModel *gcut_ops_model_at_strength (GcutOpsModel *model, double s, GError **error);
GcutNetwork *gcut_ops_model_generator (GcutOpsModel *model);
GcutNetwork *gcut_ops_model_heads (GcutOpsModel *model); /* NULL without F */
/* The palette of a model file that has one (gcp_model_palette), else NULL;
 * an interpolation at a strength has none of its own. */
const float *gcut_ops_model_palette (GcutOpsModel *model);

/* R'G'B'A float of the whole input box, as the engine's NCHW RGB in [-1, 1].
 * NaN becomes 0 and values are clamped to [0, 1] first: the networks were
 * trained on display-referred pixels, and one NaN would otherwise reach every
 * pixel through the instance norms' whole-image statistics. */
void gcut_ops_rgba_to_rgb (const float *rgba, gsize n_pixels, gsize plane, float *rgb);

/* Runs G (ResNet or SinCUT) over input (its whole box) into output, alpha
 * carried through; progress goes to op between from and to (0…1).  A SinCUT
 * G's noise comes from noise_seed.  Out of memory, the run goes on in smaller
 * tiles and then, off the CPU, on the CPU, saying so on the console. */
gboolean gcut_ops_translate (GeglOperation *op, GcutNetwork *G, GcutBackend *backend,
                             int tile_size, guint64 noise_seed, GeglBuffer *input,
                             GeglBuffer *output, const GeglRectangle *box, double from,
                             double to, GError **error);

/* Moves the pixels of output's box by amount (0…1) to the palette levels
 * (gct-palette.h): a pass over the box for its histogram, a pass to map it,
 * a strip of rows at a time. */
void gcut_ops_match_palette (GeglBuffer *output, const GeglRectangle *box,
                             const float *levels, double amount);

/* A failed run: the reason goes to the op's outputs (see
 * gcut_ops_report_error) and to a warning on the console, and the input is
 * passed through unchanged. */
void gcut_ops_fail (GeglOperation *op, char **error_field, gboolean *failed_field,
                    const GError *error, GeglBuffer *input, GeglBuffer *output,
                    const GeglRectangle *box);

/* What GIMP's filter dialogs need (gcut-dialog-props.c).  Every op has the
 * outputs "error" (why the last run failed: GIMP shows it, the plug-ins read
 * it) and "failed" (whether it did: hides GIMP's message box otherwise); only
 * the op sets them, through these two, and they are cleared whenever a setting
 * changes. */
void gcut_ops_report_error (GeglOperation *op, char **error_field, gboolean *failed_field,
                            const GError *error);
void gcut_ops_clear_error (GeglOperation *op, char **error_field, gboolean *failed_field);

/* The model an op uses unless told otherwise: the bundled one. */
#define GCUT_OPS_DEFAULT_MODEL "starry-night"

/* Choices: GIMP shows a string property as a bare text field but an enum as a
 * list.  A choice is an enum whose value 0, "other", leaves a string property
 * as typed and whose other values each stand for one string; the installed
 * models (as listed when first asked: GIMP lists a model trained later after
 * a restart) and the training qualities (gcp-quality.h), standing for their
 * recipes.  The defaults are the values of the default model and quality. */
GType gcut_ops_model_choice_get_type (void);
int gcut_ops_model_choice_default (void);
GType gcut_ops_quality_choice_get_type (void);
int gcut_ops_quality_choice_default (void);

/* Hooks klass's properties, after GEGL's class init: the outputs as above,
 * and the choice property choice (NULL: none) and the string property it
 * stands for follow each other. */
void gcut_ops_class_link_properties (GObjectClass *klass, const char *choice,
                                     const char *string);

/* The largest image the ops process, in pixels: beyond it a run would take
 * hours and the temporary features hundreds of gigabytes. */
#define GCUT_OPS_MAX_PIXELS (G_GINT64_CONSTANT (1) << 30)

/* The region every op needs: the whole input however little is asked for,
 * except for images over the limit, where only roi is passed through. */
GeglRectangle gcut_ops_whole_input (GeglOperation *op, const GeglRectangle *roi);
/* The class functions every op shares: R'G'B'A float on every pad; the whole
 * input (see gcut_ops_whole_input) required, invalidated and cached; not
 * threaded by GEGL. */
void gcut_ops_class_whole_image (GeglOperationClass *klass);

/* FALSE, with the error, when op's input is over the limit. */
gboolean gcut_ops_check_size (GeglOperation *op, GError **error);

G_END_DECLS
