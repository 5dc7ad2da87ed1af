/* The steady state of a plan allocates no memory of its own: no tensor, no
 * workspace, nothing that grows with the images.  oneDNN's execute call builds a
 * small argument map on the heap for every primitive it runs (its C API offers no
 * way around that), so the check is that nothing larger than a few hundred bytes
 * is asked for, and that the total per step stays tiny. */
#include "test-util.h"
#include "tiny-step.h"

/* Counting allocations: this executable's malloc family shadows libc's for
 * every library in the process (oneDNN and OpenMP included). */
extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void *__libc_memalign (size_t, size_t);
static volatile gint allocations;
static volatile gsize largest, total;

static void
count (size_t n)
{
  g_atomic_int_inc (&allocations);
  largest = MAX (largest, n);
  total += n;
}

void *
malloc (size_t n)
{
  count (n);
  return __libc_malloc (n);
}

void *
calloc (size_t n, size_t m)
{
  count (n * m);
  return __libc_calloc (n, m);
}

void *
realloc (void *p, size_t n)
{
  count (n);
  return __libc_realloc (p, n);
}

int
posix_memalign (void **p, size_t align, size_t n)
{
  count (n);
  *p = __libc_memalign (align, n);
  return *p ? 0 : ENOMEM;
}

void *
aligned_alloc (size_t align, size_t n)
{
  count (n);
  return __libc_memalign (align, n);
}

static void
test_no_allocation (void)
{
  Step s;
  float x[3 * 32 * 32], *seeds[3];
  gint32 idx[16];
  GcutValue values[3];

  step_init (&s, 0, 32);
  values[0] = s.fake, values[1] = s.logits, values[2] = s.feat;
  gc_fill_random (x, G_N_ELEMENTS (x), -1, 1, 5);
  for (int i = 0; i < 16; i++)
    idx[i] = (i * 37) % 64;
  for (int i = 0; i < 3; i++)
    {
      GcutShape shape = gcut_graph_shape (s.graph, values[i]);
      seeds[i] = gc_random_floats (gc_numel (&shape), -1, 1, 10 + i);
    }
  step_run (&s, x, idx, seeds); /* warm-up: thread pools start here */
  allocations = 0, largest = 0, total = 0;
  for (int r = 0; r < 3; r++)
    step_run (&s, x, idx, seeds);
  gsize n = allocations, seen_largest = largest, seen_total = total;
  g_test_message ("3 steps: %" G_GSIZE_FORMAT " allocations, %" G_GSIZE_FORMAT
                  " bytes, largest %" G_GSIZE_FORMAT,
                  n, seen_total, seen_largest);
  g_assert_cmpuint (seen_largest, <=, 1024);
  g_assert_cmpuint (seen_total, <=, 3 * 128 * 1024);
  for (int i = 0; i < 3; i++)
    g_free (seeds[i]);
  step_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plan/no-allocation", test_no_allocation);
  return g_test_run ();
}
