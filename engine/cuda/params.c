/* Device copies of parameters, which live in the networks' host buffers.  One
 * copy per parameter, shared by every kernel that reads it; uploaded once per
 * run (a run begins with each forward pass) the first time a kernel reads it,
 * straight from the host buffer once its pages are locked, else through a
 * pinned staging buffer. */
#include <string.h>
#include <unistd.h>
#include "cuda-private.h"

/* Page-locked ranges.  Parameters (and gradients) lie side by side in a
 * network's buffer and share pages, and a copy must lie within one locked
 * range: a range that overlaps locked ones is merged with them into one.  A
 * range locked by someone else makes the lock fail; copies from it stay
 * correct, only staged. */
typedef struct
{
  guintptr start, end;
  int refs;
} Locked;

GArray *
gcut_cuda_locked_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (Locked));
}

static void
page_range (const void *host, gsize bytes, guintptr *a, guintptr *b)
{
  const guintptr page = sysconf (_SC_PAGESIZE);
  *a = (guintptr)host & ~(page - 1);
  *b = ((guintptr)host + MAX (bytes, 1) + page - 1) & ~(page - 1);
}

gboolean
gcut_cuda_lock_host (GcutCudaBackend *be, const void *host, gsize bytes)
{
  GArray *locked = be->locked;
  guintptr a, b;
  int refs = 1;
  gboolean merged = TRUE;

  page_range (host, bytes, &a, &b);
  for (guint i = 0; i < locked->len; i++)
    {
      Locked *r = &g_array_index (locked, Locked, i);
      if (r->start <= a && b <= r->end)
        {
          r->refs++;
          return TRUE;
        }
    }
  cudaStreamSynchronize (be->stream); /* no copy may be using what is relocked */
  while (merged)
    {
      merged = FALSE;
      for (guint i = 0; i < locked->len; i++)
        {
          Locked *r = &g_array_index (locked, Locked, i);
          if (r->start < b && a < r->end)
            {
              a = MIN (a, r->start), b = MAX (b, r->end), refs += r->refs;
              cudaHostUnregister ((void *)r->start);
              g_array_remove_index (locked, i);
              merged = TRUE;
              break;
            }
        }
    }
  if (cudaHostRegister ((void *)a, b - a, cudaHostRegisterDefault) != cudaSuccess)
    {
      cudaGetLastError ();
      return FALSE;
    }
  g_array_append_val (locked, ((Locked){ a, b, refs }));
  return TRUE;
}

void
gcut_cuda_unlock_host (GcutCudaBackend *be, const void *host, gsize bytes)
{
  guintptr a, b;
  page_range (host, bytes, &a, &b);
  for (guint i = 0; i < be->locked->len; i++)
    {
      Locked *r = &g_array_index (be->locked, Locked, i);
      if (r->start <= a && b <= r->end)
        {
          if (--r->refs == 0)
            {
              cudaStreamSynchronize (be->stream);
              cudaHostUnregister ((void *)r->start);
              g_array_remove_index (be->locked, i);
            }
          return;
        }
    }
}

GcutCudaMirror *
gcut_cuda_mirror_get (GcutCudaBackend *be, void *host, gsize bytes, GError **error)
{
  GcutCudaMirror *m = g_hash_table_lookup (be->mirrors, host);

  if (m)
    {
      if (m->bytes != bytes)
        {
          g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                               "two host tensors of different sizes start at one "
                               "address");
          return NULL;
        }
      m->refs++;
      return m;
    }
  m = g_new0 (GcutCudaMirror, 1);
  m->host = host;
  m->bytes = bytes;
  m->refs = 1;
  if (!gcut_cuda_check (cudaMalloc (&m->dev, MAX (bytes, 4)),
                        "allocating a parameter's device copy", error)
      || (!(m->locked = gcut_cuda_lock_host (be, host, bytes))
          && !gcut_cuda_check (cudaMallocHost (&m->pinned, MAX (bytes, 4)),
                               "allocating pinned memory", error))
      || !gcut_cuda_check (cudaEventCreateWithFlags (&m->staged, cudaEventDisableTiming),
                           "creating an event", error))
    {
      m->refs = 0;
      gcut_cuda_mirror_unref (be, m);
      return NULL;
    }
  g_hash_table_insert (be->mirrors, host, m);
  return m;
}

void
gcut_cuda_mirror_update (GcutCudaBackend *be, GcutCudaMirror *m)
{
  if (m->generation == be->generation)
    return;
  m->generation = be->generation;
  if (!m->pinned) /* page-locked: copied straight from the host buffer */
    {
      gcut_cuda_warn_once (
          cudaMemcpyAsync (m->dev, m->host, m->bytes, cudaMemcpyHostToDevice, be->stream),
          "uploading a parameter");
      return;
    }
  gcut_cuda_warn_once (cudaEventSynchronize (m->staged), "staging a parameter");
  memcpy (m->pinned, m->host, m->bytes);
  gcut_cuda_warn_once (
      cudaMemcpyAsync (m->dev, m->pinned, m->bytes, cudaMemcpyHostToDevice, be->stream),
      "uploading a parameter");
  gcut_cuda_warn_once (cudaEventRecord (m->staged, be->stream), "staging a parameter");
}

void
gcut_cuda_mirror_unref (GcutCudaBackend *be, GcutCudaMirror *m)
{
  if (m->refs > 0 && --m->refs > 0)
    return;
  if (g_hash_table_lookup (be->mirrors, m->host) == m)
    g_hash_table_remove (be->mirrors, m->host);
  cudaStreamSynchronize (be->stream);
  if (m->dev)
    cudaFree (m->dev);
  if (m->pinned)
    cudaFreeHost (m->pinned);
  if (m->locked)
    gcut_cuda_unlock_host (be, m->host, m->bytes);
  if (m->staged)
    cudaEventDestroy (m->staged);
  g_free (m);
}
