/* gegl-cut presets: errors reported through GError. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GCP_ERROR (gcp_error_quark ())

typedef enum
{
  GCP_ERROR_IO,          /* the system refused a read, write, rename, … */
  GCP_ERROR_NOT_FOUND,   /* no such file, or no such tensor in a file */
  GCP_ERROR_CORRUPT,     /* the file breaks its format: truncated, bad header, … */
  GCP_ERROR_UNSUPPORTED, /* a well-formed file using something we do not handle */
  GCP_ERROR_MISMATCH,    /* a well-formed file that is not what the caller expects */
  GCP_ERROR_INVALID,     /* the caller asked for something impossible */
  GCP_ERROR_NO_SPACE     /* the disk or the quota filled up while writing */
} GcpError;

GQuark gcp_error_quark (void);

G_END_DECLS
