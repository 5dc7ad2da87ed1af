#include <string.h>
#include <sys/resource.h>

#include "test-memory.h"

gboolean
gcp_test_cap_address_space (gsize extra)
{
  g_autofree char *status = NULL;
  const char *line;
  struct rlimit lim;
  guint64 kib;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      || !(line = strstr (status, "\nVmSize:")))
    return FALSE;
  kib = g_ascii_strtoull (line + strlen ("\nVmSize:"), NULL, 10);
  lim.rlim_cur = lim.rlim_max = kib * 1024 + extra;
  return setrlimit (RLIMIT_AS, &lim) == 0;
}
