/* Opening backends by name.  The CUDA backend is a module (cuda/) opened with
 * GModule only when asked for, so that programs that never use a GPU, GIMP
 * and every GEGL process included, never load CUDA's libraries. */
#include <gmodule.h>
#include <string.h>
#include "backend-private.h"
#include "gcut-cuda-paths.h" /* generated: GCUT_CUDA_MODULE_BUILD, _INSTALLED */

typedef GcutBackend *(*CudaNewFunc) (GError **error);

/* Turns the loader's message about a missing library into the reason a user
 * can act on. */
static char *
explain_open_failure (const char *path, const char *message)
{
  const char *what = strstr (message, "libcudnn")     ? "cuDNN not found"
                     : strstr (message, "libcublas")  ? "cuBLAS not found"
                     : strstr (message, "libcuda.so") ? "no NVIDIA driver"
                     : strstr (message, "libcudart")
                         ? "the CUDA runtime not found"
                         : "the CUDA module could not be loaded";
  return g_strdup_printf ("%s (%s: %s)", what, path, message);
}

static GcutBackend *
open_cuda (GError **error)
{
  static GMutex lock;
  static GcutBackend *backend;
  const char *candidates[] = { g_getenv ("GCUT_CUDA_MODULE"), GCUT_CUDA_MODULE_BUILD,
                               GCUT_CUDA_MODULE_INSTALLED };
  g_autofree char *failure = NULL;
  GModule *module = NULL;
  CudaNewFunc create = NULL;
  GcutBackend *result;

  g_mutex_lock (&lock);
  if (backend)
    {
      g_mutex_unlock (&lock);
      return backend;
    }
  for (guint i = 0; i < G_N_ELEMENTS (candidates) && !module; i++)
    {
      if (!candidates[i] || !*candidates[i]
          || !g_file_test (candidates[i], G_FILE_TEST_EXISTS))
        continue;
      module = g_module_open (candidates[i], G_MODULE_BIND_LOCAL);
      if (!module && !failure)
        failure = explain_open_failure (candidates[i], g_module_error ());
    }
  if (!module)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED, "%s",
                   failure ? failure
                           : "the CUDA backend is not installed (libgcut-cuda.so not "
                             "found; set GCUT_CUDA_MODULE to its path)");
      g_mutex_unlock (&lock);
      return NULL;
    }
  if (!g_module_symbol (module, "gcut_cuda_backend_new", (gpointer *)&create) || !create)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_BACKEND,
                   "the CUDA module %s has no gcut_cuda_backend_new",
                   g_module_name (module));
      g_module_close (module);
      g_mutex_unlock (&lock);
      return NULL;
    }
  result = create (error);
  if (result)
    {
      g_module_make_resident (module);
      backend = result;
    }
  else
    g_module_close (module);
  g_mutex_unlock (&lock);
  return result;
}

GcutBackend *
gcut_backend_get (const char *name, char **reason, GError **error)
{
  g_autoptr (GError) cuda_error = NULL;
  GcutBackend *backend;

  if (reason)
    *reason = NULL;
  if (!name || g_str_equal (name, "cpu"))
    {
      if (reason)
        *reason = g_strdup ("the CPU backend, as asked");
      return gcut_backend_cpu ();
    }
  if (g_str_equal (name, "cuda"))
    {
      backend = open_cuda (error);
      if (backend && reason)
        *reason = g_strdup ("the CUDA backend, as asked");
      return backend;
    }
  if (!g_str_equal (name, "auto"))
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "unknown device \"%s\": use cpu, cuda or auto", name);
      return NULL;
    }
  backend = open_cuda (&cuda_error);
  if (backend)
    {
      if (reason)
        *reason = g_strdup ("the CUDA backend: a GPU was found");
      return backend;
    }
  if (reason)
    *reason = g_strdup_printf ("the CPU backend: %s", cuda_error->message);
  return gcut_backend_cpu ();
}
