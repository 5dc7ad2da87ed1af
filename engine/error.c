#include <gcut/gcut-error.h>

G_DEFINE_QUARK (gcut - engine - error - quark, gcut_error)
