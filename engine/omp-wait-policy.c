/* Short OpenMP spinning in every program we build, unless the user chose.
 *
 * By default libgomp's threads spin 300000 times (4 to 8 ms here) at a barrier
 * before they sleep.  When other processes hold the cores, a spinning thread
 * takes the CPU from the very thread it waits for, and training slows several
 * times over.  GOMP_SPINCOUNT=1000 (some 20 us) keeps the spin that catches a
 * partner arriving soon on an idle machine, where sleeping at once
 * (OMP_WAIT_POLICY=passive) loses a quarter of cut-cpu's speed, and yields the
 * CPU soon under load (bench/race_load.py).  How threads wait changes no
 * result.
 *
 * Why a re-execution: libgomp reads the variables once, in its constructor,
 * and has no call to change the spin count later; oneDNN links libgomp, so
 * main() is too late.  An executable's constructors run after every library's
 * (priorities order them only within one object).  Its preinit array runs
 * before them, but libc's constructor then resets environ to the original
 * block, so a setenv() there is lost.  A library of ours initialised before
 * libgomp would depend on link order and on ld.so's sorting of unrelated
 * objects.  So the program executes itself again, once, with the variable
 * added: same argv, environment, pid and open files.  A user who set either
 * variable keeps it.
 *
 * Linked whole into executables only (wait_policy_dep): a shared object's
 * preinit array never runs.  In GIMP (which links libgomp) and the gegl CLI
 * (where libgomp comes with the first module that needs it, maybe ours),
 * libgomp is set up before any code of our GEGL module runs: there the user
 * sets the variable (README, "Busy machines"). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#ifdef GCUT_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

static const char short_spin[] = "GOMP_SPINCOUNT=1000";

static bool
names_wait_policy (const char *entry)
{
  return strncmp (entry, "OMP_WAIT_POLICY=", 16) == 0
         || strncmp (entry, "GOMP_SPINCOUNT=", 15) == 0;
}

static void
spin_briefly (int argc, char **argv, char **envp)
{
  size_t n = 0;
  char **env;

  (void)argc;
  for (; envp[n]; n++)
    if (names_wait_policy (envp[n]))
      return; /* the user's choice, or our second run */
  /* No program interpreter: ld.so was run as the program, so /proc/self/exe
   * is ld.so.  Under valgrind it is valgrind's tool, and the new image would
   * run outside valgrind.  Set-id programs are left alone. */
  if (getauxval (AT_BASE) == 0 || getauxval (AT_SECURE) || RUNNING_ON_VALGRIND)
    return;
  env = malloc ((n + 2) * sizeof *env);
  if (!env)
    return;
  memcpy (env, envp, n * sizeof *env);
  env[n] = (char *)short_spin;
  env[n + 1] = NULL;
  execve ("/proc/self/exe", argv, env);
  free (env); /* no /proc, or exec refused: run on with libgomp's default */
}

__attribute__ ((section (".preinit_array"),
                used)) static void (*const wait_policy_hook) (int, char **, char **)
    = spin_briefly;
