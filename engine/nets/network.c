/* Parameter storage shared by all networks. */
#include <math.h>
#include "network-private.h"

typedef struct
{
  char *name;
  GcutShape shape;
  gsize offset;
} Param;

struct _GcutNetwork
{
  GArray *params; /* Param */
  GHashTable *by_name;
  float *data, *grad;
  gsize n_floats;
  GcutNetworkKind kind;
  gpointer config;
  gsize config_size;
  /* values of the parameters in the graph last built into */
  guint64 bound_serial;
  GcutValue *bound;
};

GcutNetwork *
gcut_network_new (GcutNetworkKind kind, gpointer config, gsize config_size)
{
  GcutNetwork *net = g_new0 (GcutNetwork, 1);
  net->kind = kind;
  net->params = g_array_new (FALSE, TRUE, sizeof (Param));
  net->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  net->config = g_memdup2 (config, config_size);
  net->config_size = config_size;
  return net;
}

void
gcut_network_free (GcutNetwork *net)
{
  if (!net)
    return;
  for (guint i = 0; i < net->params->len; i++)
    g_free (g_array_index (net->params, Param, i).name);
  g_array_free (net->params, TRUE);
  g_hash_table_destroy (net->by_name);
  free (net->data);
  free (net->grad);
  g_free (net->bound);
  g_free (net->config);
  g_free (net);
}

gconstpointer
gcut_network_config (const GcutNetwork *net)
{
  return net->config;
}

GcutNetworkKind
gcut_network_kind (const GcutNetwork *net)
{
  return net->kind;
}

void
gcut_network_declare (GcutNetwork *net, const char *name, GcutShape shape)
{
  Param p = { g_strdup (name), shape, net->n_floats };
  /* 16-float alignment keeps every parameter on its own cache line. */
  net->n_floats += (gcut_shape_numel (&shape) + 15) / 16 * 16;
  g_array_append_val (net->params, p);
  g_hash_table_insert (net->by_name, p.name, GUINT_TO_POINTER (net->params->len));
}

/* Zeroed; NULL when out of memory (the size follows from a recipe or a
 * model file, so failing is an error to report, not a reason to abort). */
static float *
alloc_floats (gsize n)
{
  void *p = NULL;
  if (n > G_MAXSIZE / sizeof (float) - 1
      || posix_memalign (&p, 64, MAX (n, 1) * sizeof (float)) != 0)
    return NULL;
  memset (p, 0, MAX (n, 1) * sizeof (float));
  return p;
}

GcutNetwork *
gcut_network_finish (GcutNetwork *net)
{
  net->data = alloc_floats (net->n_floats);
  net->grad = alloc_floats (net->n_floats);
  net->bound = g_new (GcutValue, net->params->len);
  if (!net->data || !net->grad)
    g_clear_pointer (&net, gcut_network_free);
  return net;
}

GcutNetwork *
gcut_network_copy (const GcutNetwork *net)
{
  GcutNetwork *copy = gcut_network_new (net->kind, net->config, net->config_size);
  for (guint i = 0; i < net->params->len; i++)
    {
      const Param *p = &g_array_index (net->params, Param, i);
      gcut_network_declare (copy, p->name, p->shape);
    }
  copy = gcut_network_finish (copy);
  if (copy)
    memcpy (copy->data, net->data, net->n_floats * sizeof (float));
  return copy;
}

guint
gcut_network_n_params (const GcutNetwork *net)
{
  return net->params->len;
}

const char *
gcut_network_param_name (const GcutNetwork *net, guint index)
{
  return g_array_index (net->params, Param, index).name;
}

GcutShape
gcut_network_param_shape (const GcutNetwork *net, guint index)
{
  return g_array_index (net->params, Param, index).shape;
}

float *
gcut_network_param_data (GcutNetwork *net, guint index)
{
  return net->data + g_array_index (net->params, Param, index).offset;
}

float *
gcut_network_param_grad (GcutNetwork *net, guint index)
{
  return net->grad + g_array_index (net->params, Param, index).offset;
}

int
gcut_network_find (const GcutNetwork *net, const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (net->by_name, name)) - 1;
}

float *
gcut_network_data (GcutNetwork *net, gsize *n)
{
  *n = net->n_floats;
  return net->data;
}

float *
gcut_network_grads (GcutNetwork *net, gsize *n)
{
  *n = net->n_floats;
  return net->grad;
}

static double
normal (GRand *rand)
{
  double u = g_rand_double (rand), v = g_rand_double (rand);
  return sqrt (-2.0 * log1p (-u)) * cos (2.0 * G_PI * v);
}

void
gcut_network_init_xavier (GcutNetwork *net, float gain, guint64 seed)
{
  GRand *rand = g_rand_new_with_seed_array ((const guint32[]){ seed, seed >> 32 }, 2);
  for (guint i = 0; i < net->params->len; i++)
    {
      const Param *p = &g_array_index (net->params, Param, i);
      float *w = net->data + p->offset;
      gint64 n = gcut_shape_numel (&p->shape);
      double fan_in, fan_out, std;
      if (p->shape.n_dims < 2) /* biases */
        {
          memset (w, 0, n * sizeof (float));
          continue;
        }
      /* PyTorch's fans: dim 1 in, dim 0 out, times the kernel size. */
      fan_in = (double)n / p->shape.dims[0];
      fan_out = (double)n / p->shape.dims[1];
      std = gain * sqrt (2.0 / (fan_in + fan_out));
      for (gint64 k = 0; k < n; k++)
        w[k] = std * normal (rand);
    }
  g_rand_free (rand);
}

static void
bind_graph (GcutNetwork *net, GcutGraph *graph)
{
  if (net->bound_serial == graph->serial)
    return;
  net->bound_serial = graph->serial;
  for (guint i = 0; i < net->params->len; i++)
    net->bound[i] = GCUT_NONE;
}

GcutValue
gcut_network_value (GcutNetwork *net, GcutGraph *graph, const char *name)
{
  int i = gcut_network_find (net, name);
  bind_graph (net, graph);
  if (i < 0)
    {
      gcut_graph_set_error (graph, g_error_new (GCUT_ERROR, GCUT_ERROR_NOT_FOUND,
                                                "the network has no parameter %s", name));
      return GCUT_NONE;
    }
  if (net->bound[i] == GCUT_NONE)
    net->bound[i]
        = gcut_param (graph, name, gcut_network_param_shape (net, i),
                      gcut_network_param_data (net, i), gcut_network_param_grad (net, i));
  return net->bound[i];
}

void
gcut_network_values (GcutNetwork *net, GcutGraph *graph, GcutValue *wrt)
{
  for (guint i = 0; i < net->params->len; i++)
    wrt[i] = gcut_network_value (net, graph, gcut_network_param_name (net, i));
}

void
gcut_declare_conv (GcutNetwork *net, const char *prefix, int c_in, int c_out, int k)
{
  g_autofree char *w = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *b = g_strconcat (prefix, ".bias", NULL);
  gcut_network_declare (net, w, gcut_shape4 (c_out, c_in, k, k));
  gcut_network_declare (net, b, gcut_shape1 (c_out));
}

void
gcut_declare_conv_transpose (GcutNetwork *net, const char *prefix, int c_in, int c_out,
                             int k)
{
  g_autofree char *w = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *b = g_strconcat (prefix, ".bias", NULL);
  gcut_network_declare (net, w, gcut_shape4 (c_in, c_out, k, k));
  gcut_network_declare (net, b, gcut_shape1 (c_out));
}

GcutValue
gcut_layer_conv (GcutNetwork *net, GcutGraph *graph, const char *prefix, GcutValue x,
                 int stride, int padding)
{
  g_autofree char *w = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *b = g_strconcat (prefix, ".bias", NULL);
  return gcut_conv2d (graph, x, gcut_network_value (net, graph, w),
                      gcut_network_value (net, graph, b), stride, padding, 1);
}

GcutValue
gcut_layer_conv_transpose (GcutNetwork *net, GcutGraph *graph, const char *prefix,
                           GcutValue x, int stride, int padding, int output_padding)
{
  g_autofree char *w = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *b = g_strconcat (prefix, ".bias", NULL);
  return gcut_conv_transpose2d (graph, x, gcut_network_value (net, graph, w),
                                gcut_network_value (net, graph, b), stride, padding,
                                output_padding, 1);
}
