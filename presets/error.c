#include <gcp/gcp-error.h>

/* Unformatted: clang-format would put spaces around the dashes of the name. */
/* clang-format off */
G_DEFINE_QUARK (gcut-presets-error-quark, gcp_error)
/* clang-format on */
