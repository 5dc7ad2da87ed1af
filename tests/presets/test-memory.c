#include <string.h>
#include <sys/resource.h>

#include "test-memory.h"

void
gcp_test_limit_address_space (gsize extra)
{
  g_autofree char *status = NULL;
  const char *line;
  struct rlimit limit = { 0, RLIM_INFINITY };

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmSize:");
  g_assert_nonnull (line);
  limit.rlim_cur = (g_ascii_strtoull (line + strlen ("VmSize:"), NULL, 10) << 10) + extra;
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
}
