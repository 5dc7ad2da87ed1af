/* gegl-cut engine: errors reported through GError. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GCUT_ERROR (gcut_error_quark ())

typedef enum
{
  GCUT_ERROR_INVALID_ARGUMENT, /* a shape, size or option the caller got wrong */
  GCUT_ERROR_UNSUPPORTED,      /* valid, but this backend cannot do it */
  GCUT_ERROR_BACKEND,          /* the backend library failed (oneDNN, CUDA, …) */
  GCUT_ERROR_OUT_OF_MEMORY,
  GCUT_ERROR_NOT_FOUND, /* a named parameter or value is missing */
  GCUT_ERROR_NUMERIC    /* NaN or Inf where finite numbers are required */
} GcutError;

GQuark gcut_error_quark (void);

G_END_DECLS
