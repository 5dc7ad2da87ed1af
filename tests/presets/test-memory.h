/* Bounding a test's memory, to check that what a file or a size asks for is
 * refused with an error instead of an abort. */
#pragma once

#include <glib.h>

/* Caps the address space (RLIMIT_AS) at what the process uses now plus
 * extra bytes: running past it makes allocations fail, which GLib turns into
 * an abort.  For g_test_trap_subprocess() children.  FALSE where the current
 * size cannot be known (no /proc). */
gboolean gcp_test_cap_address_space (gsize extra);
