/* Reverse-mode differentiation on the graph: each op class adds its own
 * backward nodes; contributions to a value feeding several consumers are summed. */
#include "autodiff-private.h"

/* Sum of the collected contributions, or GCUT_NONE. */
static GcutValue
sum_contributions (GcutGraph *graph, GArray *parts)
{
  GcutValue sum = GCUT_NONE;
  if (!parts)
    return GCUT_NONE;
  for (guint i = 0; i < parts->len; i++)
    {
      GcutValue part = g_array_index (parts, GcutValue, i);
      if (sum == GCUT_NONE)
        sum = part;
      else
        {
          GcutValue in[2] = { sum, part };
          sum = gcut_graph_add (graph, GCUT_OP_ADD, in, 2, NULL);
        }
    }
  return sum;
}

static void
contribute (GArray **parts, GcutValue v, GcutValue grad)
{
  if (!parts[v])
    parts[v] = g_array_new (FALSE, FALSE, sizeof (GcutValue));
  g_array_append_val (parts[v], grad);
}

gboolean
gcut_autodiff (GcutGraph *graph, int n_forward, const GcutValue *seeds, int n_seeds,
               GcutValue *seed_nodes, const GcutValue *wrt, int n_wrt, GcutValue *grad_of,
               GError **error)
{
  g_autofree gboolean *requires = g_new0 (gboolean, n_forward);
  GArray **parts = g_new0 (GArray *, n_forward);

  for (int i = 0; i < n_wrt; i++)
    requires[wrt[i]] = TRUE;
  for (int v = 0; v < n_forward; v++)
    {
      const GcutNode *node = gcut_graph_node (graph, v);
      /* Nothing flows back through detach: what only reaches the values
       * differentiated with respect to through it needs no backward pass. */
      if (node->op == GCUT_OP_DETACH)
        continue;
      for (int i = 0; i < node->n_inputs; i++)
        requires[v] |= requires[node->inputs[i]];
    }

  for (int i = 0; i < n_seeds; i++)
    {
      GcutNode seed = { .op = GCUT_OP_SEED,
                        .dtype = GCUT_DTYPE_F32,
                        .shape = gcut_graph_node (graph, seeds[i])->shape,
                        .name = g_strdup ("seed") };
      g_array_append_val (graph->nodes, seed);
      seed_nodes[i] = graph->nodes->len - 1;
      contribute (parts, seeds[i], seed_nodes[i]);
    }

  for (int v = n_forward - 1; v >= 0; v--)
    {
      GcutNode node = *gcut_graph_node (graph, v); /* the array may grow */
      gboolean need[GCUT_MAX_INPUTS] = { FALSE };
      GcutValue gx[GCUT_MAX_INPUTS] = { GCUT_NONE, GCUT_NONE, GCUT_NONE, GCUT_NONE };
      gboolean any = FALSE;

      grad_of[v] = sum_contributions (graph, parts[v]);
      if (grad_of[v] == GCUT_NONE || node.n_inputs == 0)
        continue;
      for (int i = 0; i < node.n_inputs; i++)
        any |= need[i] = requires[node.inputs[i]];
      if (!any)
        continue;
      if (!gcut_op_class (node.op)->backward)
        {
          gcut_graph_set_error (graph, g_error_new (GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                                               "%s cannot be differentiated",
                                               gcut_op_class (node.op)->name));
          break;
        }
      gcut_op_class (node.op)->backward (graph, v, grad_of[v], need, gx);
      for (int i = 0; i < node.n_inputs; i++)
        if (need[i] && gx[i] != GCUT_NONE)
          contribute (parts, node.inputs[i], gx[i]);
    }

  for (int v = 0; v < n_forward; v++)
    if (parts[v])
      g_array_free (parts[v], TRUE);
  g_free (parts);
  return gcut_graph_check (graph, error);
}
