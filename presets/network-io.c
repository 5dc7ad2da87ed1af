#include <math.h>
#include <gcp/gcp-error.h>
#include <gcp/gcp-network-io.h>

static gboolean
is_ignored (const char *name, const char *const *ignore)
{
  for (; ignore && *ignore; ignore++)
    if (g_str_equal (name, *ignore))
      return TRUE;
  return FALSE;
}

/* Every tensor under prefix must belong to the network. */
static gboolean
check_no_extras (GcutNetwork *net, const GcpSafetensors *st, const char *prefix,
                 const char *const *ignore, GError **error)
{
  for (guint i = 0; i < gcp_safetensors_n_tensors (st); i++)
    {
      const char *name = gcp_safetensors_tensor (st, i)->name;
      if (!g_str_has_prefix (name, prefix) || is_ignored (name + strlen (prefix), ignore))
        continue;
      if (gcut_network_find (net, name + strlen (prefix)) < 0)
        {
          g_set_error (error, GCP_ERROR, GCP_ERROR_MISMATCH,
                       "tensor %s is not a parameter of this network: the file "
                       "describes another architecture",
                       name);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gcp_network_load (GcutNetwork *net, const GcpSafetensors *st, const char *prefix,
                  const char *const *ignore, GError **error)
{
  if (!check_no_extras (net, st, prefix, ignore, error))
    return FALSE;
  for (guint i = 0; i < gcut_network_n_params (net); i++)
    {
      g_autofree char *name
          = g_strconcat (prefix, gcut_network_param_name (net, i), NULL);
      GcutShape shape = gcut_network_param_shape (net, i);
      gint64 n = 1;
      const float *src
          = gcp_safetensors_get_f32 (st, name, shape.n_dims, shape.dims, error);
      float *dst = gcut_network_param_data (net, i);
      if (!src)
        return FALSE;
      for (int d = 0; d < shape.n_dims; d++)
        n *= shape.dims[d];
      for (gint64 k = 0; k < n; k++)
        {
          if (!isfinite (src[k]))
            {
              g_set_error (
                  error, GCP_ERROR, GCP_ERROR_CORRUPT,
                  "tensor %s holds a non-finite value at element %" G_GINT64_FORMAT, name,
                  k);
              return FALSE;
            }
          dst[k] = src[k];
        }
    }
  return TRUE;
}

void
gcp_network_add_to (GcutNetwork *net, GcpSafetensorsWriter *writer, const char *prefix)
{
  for (guint i = 0; i < gcut_network_n_params (net); i++)
    {
      g_autofree char *name
          = g_strconcat (prefix, gcut_network_param_name (net, i), NULL);
      GcutShape shape = gcut_network_param_shape (net, i);
      gcp_safetensors_writer_add (writer, name, GCP_DTYPE_F32, shape.n_dims, shape.dims,
                                  gcut_network_param_data (net, i));
    }
}
