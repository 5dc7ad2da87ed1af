/* Bounding a test's memory, to check that what a file, a recipe or an image
 * asks for is refused with an error instead of an abort. */
#pragma once

#include <glib.h>

/* Limits the process's address space (RLIMIT_AS) to what it has now plus
 * extra bytes: running past it makes allocations fail, which GLib turns into
 * an abort.  For a subprocess: g_test_trap_subprocess(). */
void gcp_test_limit_address_space (gsize extra);
