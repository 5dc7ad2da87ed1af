/* Writes its argument count, its arguments and its environment, each ended by
 * a NUL: what a program linked with wait_policy_dep sees after the hook in
 * engine/omp-wait-policy.c ran.  Links libgomp, as our programs do. */
#include <stdio.h>
#include <string.h>

#include <omp.h>

extern char **environ;

static void
put (const char *s)
{
  fwrite (s, 1, strlen (s) + 1, stdout);
}

int
main (int argc, char **argv)
{
  printf ("%d", argc);
  putchar ('\0');
  for (int i = 0; i < argc; i++)
    put (argv[i]);
  for (char **e = environ; *e; e++)
    put (*e);
  return omp_get_max_threads () > 0 && fflush (stdout) == 0 ? 0 : 1;
}
