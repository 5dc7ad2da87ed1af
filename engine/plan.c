/* Compiling a graph into a plan, and running it. */
#include <gcut/gcut-plan.h>
#include "arena-private.h"
#include "autodiff-private.h"
#include "backend-private.h"

struct _GcutPlan
{
  GcutGraph *graph; /* the caller's forward nodes (fused), then the backward pass */
  GcutBackend *backend;
  int n_user;     /* values of the caller's graph */
  GcutValue *map; /* caller's value → plan value */
  int n_forward;  /* nodes [0, n_forward) run in gcut_plan_forward() */
  GcutValue *grad_of;
  GcutValue *seed_of; /* plan value → its SEED node, or GCUT_NONE */
  gboolean *readable; /* values kept intact until the plan ends */
  GcutTensor *tensors;
  gpointer *kernels;
  void *arena, *scratch;
  gsize scratch_bytes;
  gsize arena_bytes;
  GPtrArray *zero_grads; /* GcutTensor* of parameter gradients no path reaches */
  gboolean forward_done;
  int resume_at;   /* where gcut_plan_forward() starts: after a forward_until */
  gint64 *profile; /* µs per node when GCUT_PROFILE is set, else NULL */
};

static gboolean
is_fusable_producer (const GcutNode *node)
{
  return (node->op == GCUT_OP_CONV2D || node->op == GCUT_OP_INSTANCE_NORM)
         && node->p.act == GCUT_ACT_NONE;
}

static gboolean
in_list (GcutValue v, const GcutValue *list, int n)
{
  for (int i = 0; i < n; i++)
    if (list[i] == v)
      return TRUE;
  return FALSE;
}

/* Copies the caller's graph, folding each activation into the convolution or
 * normalization before it when nothing else reads the pre-activation value. */
static void
copy_fused (GcutPlan *plan, const GcutGraph *src, const GcutPlanSpec *spec)
{
  int n = gcut_graph_n_values (src);
  g_autofree int *consumers = g_new0 (int, n);

  for (int v = 0; v < n; v++)
    {
      const GcutNode *node = gcut_graph_node (src, v);
      for (int i = 0; i < node->n_inputs; i++)
        consumers[node->inputs[i]]++;
    }

  plan->graph = gcut_graph_new ();
  plan->n_user = n;
  plan->map = g_new (GcutValue, n);
  for (int v = 0; v < n; v++)
    {
      GcutNode node = *gcut_graph_node (src, v);
      if (node.op == GCUT_OP_ACT)
        {
          GcutValue u = node.inputs[0];
          const GcutNode *prod = gcut_graph_node (src, u);
          GcutNode *target = gcut_graph_node (plan->graph, plan->map[u]);
          if (is_fusable_producer (prod) && target->p.act == GCUT_ACT_NONE
              && consumers[u] == 1 && !in_list (u, spec->outputs, spec->n_outputs)
              && !in_list (u, spec->seeds, spec->n_seeds)
              && !in_list (u, spec->wrt, spec->n_wrt))
            {
              target->p.act = node.p.act;
              target->p.slope = node.p.slope;
              plan->map[v] = plan->map[u];
              plan->map[u] = GCUT_NONE;
              continue;
            }
        }
      for (int i = 0; i < node.n_inputs; i++)
        node.inputs[i] = plan->map[node.inputs[i]];
      node.name = g_strdup (node.name);
      g_array_append_val (plan->graph->nodes, node);
      plan->map[v] = plan->graph->nodes->len - 1;
    }
}

static gboolean
map_values (GcutPlan *plan, const GcutValue *src, int n, GcutValue *dst, const char *what,
            GError **error)
{
  for (int i = 0; i < n; i++)
    {
      if (src[i] < 0 || src[i] >= plan->n_user || plan->map[src[i]] == GCUT_NONE)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "%s %d (value %d) is not a value of the graph", what, i, src[i]);
          return FALSE;
        }
      dst[i] = plan->map[src[i]];
    }
  return TRUE;
}

static gboolean
makes_fresh_weight_grad (GcutOp op)
{
  return op == GCUT_OP_CONV2D_BWD_WEIGHTS || op == GCUT_OP_CONV_T2D_BWD_WEIGHTS
         || op == GCUT_OP_BIAS_GRAD || op == GCUT_OP_INSTANCE_NORM_BWD_GAMMA
         || op == GCUT_OP_LINEAR_BWD_WEIGHTS;
}

/* Parameter gradients are written straight into the caller's storage: by the
 * kernel that makes them when it makes nothing else, else by a copy. */
static void
bind_param_grads (GcutPlan *plan, const GcutValue *wrt, int n_wrt, GcutValue *bound)
{
  for (int i = 0; i < n_wrt; i++)
    {
      GcutNode *p = gcut_graph_node (plan->graph, wrt[i]);
      GcutValue g = plan->grad_of[wrt[i]];
      int uses = 0;

      bound[i] = GCUT_NONE;
      if (p->op != GCUT_OP_PARAM || !p->grad || g == GCUT_NONE)
        continue;
      for (guint v = 0; v < plan->graph->nodes->len; v++)
        {
          const GcutNode *node = gcut_graph_node (plan->graph, v);
          for (int k = 0; k < node->n_inputs; k++)
            uses += node->inputs[k] == g;
        }
      for (int j = 0; j < i; j++)
        uses += bound[j] == g;
      if (!makes_fresh_weight_grad (gcut_graph_node (plan->graph, g)->op) || uses > 0)
        g = gcut_graph_add (plan->graph, GCUT_OP_COPY, &g, 1, NULL);
      bound[i] = g;
    }
}

/* Images are blocked when the block divides their channels; parameters, weight
 * gradients and whatever the caller's storage receives stay plain. */
static int
pick_block (const GcutPlan *plan, GcutValue v, int block, const gboolean *external)
{
  const GcutNode *node = gcut_graph_node (plan->graph, v);
  if (node->shape.n_dims != 4 || node->op == GCUT_OP_PARAM || external[v]
      || node->op == GCUT_OP_CONV2D_BWD_WEIGHTS
      || node->op == GCUT_OP_CONV_T2D_BWD_WEIGHTS)
    return 1;
  return node->shape.dims[1] % block == 0 ? block : 1;
}

/* Ops whose image operands must all share one layout. */
static gboolean
needs_uniform_layout (GcutOp op)
{
  switch (op)
    {
    case GCUT_OP_CONV2D:
    case GCUT_OP_CONV2D_BWD_DATA:
    case GCUT_OP_CONV2D_BWD_WEIGHTS:
    case GCUT_OP_CONV_T2D:
    case GCUT_OP_CONV_T2D_BWD_DATA:
    case GCUT_OP_CONV_T2D_BWD_WEIGHTS:
    case GCUT_OP_GATHER:
    case GCUT_OP_GATHER_BWD:
    case GCUT_OP_COPY:
    case GCUT_OP_BIAS_GRAD:
      return FALSE;
    default:
      return TRUE;
    }
}

static gboolean
assign_layouts (GcutPlan *plan, const GcutPlanSpec *spec, const gboolean *external,
                GError **error)
{
  int n = plan->graph->nodes->len;
  int block = spec->block ? spec->block : plan->backend->preferred_block (plan->backend);

  if (block != 1 && block != 8 && block != 16)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "channel block %d: use 0 (automatic), 1, 8 or 16", block);
      return FALSE;
    }
  plan->tensors = g_new0 (GcutTensor, n);
  for (int v = 0; v < n; v++)
    {
      const GcutNode *node = gcut_graph_node (plan->graph, v);
      const GcutTensor *first = NULL;
      plan->tensors[v] = (GcutTensor){ .shape = node->shape,
                                       .dtype = node->dtype,
                                       .block = pick_block (plan, v, block, external) };
      if (!needs_uniform_layout (node->op) || node->shape.n_dims != 4)
        continue;
      /* Same-shaped results follow their inputs: the sum of two weight
       * gradients (a weight shared by two convolutions) stays plain. */
      for (int i = 0; i < node->n_inputs; i++)
        {
          const GcutTensor *in = &plan->tensors[node->inputs[i]];
          if (in->shape.n_dims != 4)
            continue;
          if (!first)
            {
              first = in;
              if (!external[v])
                plan->tensors[v].block = in->block;
            }
          else if (in->block != first->block)
            {
              g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                           "%s: mixes a parameter or weight gradient with an image; only "
                           "convolutions take parameters as images",
                           gcut_op_class (node->op)->name);
              return FALSE;
            }
        }
      if (first && first->block != plan->tensors[v].block)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_UNSUPPORTED,
                       "%s: its result goes to parameter storage in another layout",
                       gcut_op_class (node->op)->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* Ops whose kernels may write their result over their input (elementwise, or
 * a copy): where nothing reads the input after them, the two share storage,
 * which saves the copy and the memory. */
static gboolean
may_overwrite_input (GcutOp op)
{
  return op == GCUT_OP_RESHAPE || op == GCUT_OP_DETACH || op == GCUT_OP_FILL_DIAGONAL
         || op == GCUT_OP_ACT;
}

/* Places every value that is neither the caller's memory nor bound to it;
 * a value that overwrites its input takes the input's place (owner). */
static gboolean
place_values (GcutPlan *plan, const gboolean *external, GError **error)
{
  int n = plan->graph->nodes->len;
  g_autofree GcutArenaItem *items = g_new0 (GcutArenaItem, n);
  g_autofree int *owner = g_new (int, n);

  for (int v = 0; v < n; v++)
    {
      const GcutNode *node = gcut_graph_node (plan->graph, v);
      gboolean leaf = node->n_inputs == 0;
      items[v].first = leaf ? 0 : v;
      items[v].last = plan->readable[v] || leaf ? n : v;
      if (node->op != GCUT_OP_PARAM && !external[v])
        items[v].bytes = gcut_tensor_bytes (&plan->tensors[v]);
      for (int i = 0; i < node->n_inputs; i++)
        items[node->inputs[i]].last = MAX (items[node->inputs[i]].last, v);
    }
  for (int v = 0; v < n; v++)
    {
      const GcutNode *node = gcut_graph_node (plan->graph, v);
      GcutValue x = node->n_inputs == 1 ? node->inputs[0] : GCUT_NONE;
      owner[v] = v;
      /* items[x].last is still x's own last reader: only a value whose last
       * reader came before v can have taken in others since. */
      if (x != GCUT_NONE && may_overwrite_input (node->op) && items[v].bytes
          && items[owner[x]].bytes && items[x].last == v
          && plan->tensors[x].block == plan->tensors[v].block
          && gcut_tensor_bytes (&plan->tensors[x]) == items[v].bytes)
        {
          int o = owner[v] = owner[x];
          items[o].last = MAX (items[o].last, items[v].last);
          items[v].bytes = 0;
        }
    }
  plan->arena_bytes = gcut_arena_place (items, n);
  plan->arena = plan->backend->alloc (plan->backend, MAX (plan->arena_bytes, 1), error);
  if (!plan->arena)
    return FALSE;
  for (int v = 0; v < n; v++)
    if (items[owner[v]].bytes)
      plan->tensors[v].data = (char *)plan->arena + items[owner[v]].offset;
  return TRUE;
}

static gboolean
prepare_kernels (GcutPlan *plan, GError **error)
{
  int n = plan->graph->nodes->len;
  gsize scratch = 0;

  plan->kernels = g_new0 (gpointer, n);
  for (int v = 0; v < n; v++)
    {
      const GcutNode *node = gcut_graph_node (plan->graph, v);
      GcutTensor in[GCUT_MAX_INPUTS];
      gsize need = 0;
      if (node->n_inputs == 0)
        continue;
      for (int i = 0; i < node->n_inputs; i++)
        in[i] = plan->tensors[node->inputs[i]];
      plan->kernels[v] = plan->backend->prepare (plan->backend, node, in,
                                                 &plan->tensors[v], &need, error);
      if (!plan->kernels[v])
        {
          g_prefix_error (error, "%s: ", gcut_op_class (node->op)->name);
          return FALSE;
        }
      scratch = MAX (scratch, need);
    }
  plan->scratch_bytes = scratch;
  if (scratch)
    plan->scratch = plan->backend->alloc (plan->backend, scratch, error);
  return !scratch || plan->scratch;
}

GcutPlan *
gcut_plan_new (GcutGraph *graph, GcutBackend *backend, const GcutPlanSpec *spec,
               GError **error)
{
  g_autoptr (GcutPlan) plan = g_new0 (GcutPlan, 1);
  g_autofree GcutValue *outputs = g_new (GcutValue, spec->n_outputs + 1);
  g_autofree GcutValue *seeds = g_new (GcutValue, spec->n_seeds + 1);
  g_autofree GcutValue *seed_nodes = g_new (GcutValue, spec->n_seeds + 1);
  g_autofree GcutValue *wrt = g_new (GcutValue, spec->n_wrt + 1);
  g_autofree GcutValue *bound = g_new (GcutValue, spec->n_wrt + 1);
  g_autofree gboolean *external = NULL;
  int n;

  if (!gcut_graph_check (graph, error))
    return NULL;
  if ((spec->n_seeds > 0) != (spec->n_wrt > 0))
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           "a backward pass needs both seeds and values to "
                           "differentiate with respect to");
      return NULL;
    }
  plan->backend = backend;
  copy_fused (plan, graph, spec);
  if (!map_values (plan, spec->outputs, spec->n_outputs, outputs, "output", error)
      || !map_values (plan, spec->seeds, spec->n_seeds, seeds, "seed", error)
      || !map_values (plan, spec->wrt, spec->n_wrt, wrt, "wrt", error))
    return NULL;
  for (int i = 0; i < spec->n_wrt; i++)
    {
      GcutOp op = gcut_graph_node (plan->graph, wrt[i])->op;
      if (op != GCUT_OP_PARAM && op != GCUT_OP_INPUT)
        {
          g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                       "wrt %d: gradients are taken with respect to parameters and "
                       "inputs only",
                       i);
          return NULL;
        }
    }

  plan->n_forward = plan->graph->nodes->len;
  plan->grad_of = g_new (GcutValue, plan->n_forward);
  for (int v = 0; v < plan->n_forward; v++)
    plan->grad_of[v] = GCUT_NONE;
  if (spec->n_seeds
      && !gcut_autodiff (plan->graph, plan->n_forward, seeds, spec->n_seeds, seed_nodes,
                         wrt, spec->n_wrt, plan->grad_of, error))
    return NULL;
  bind_param_grads (plan, wrt, spec->n_wrt, bound);
  if (!gcut_graph_check (plan->graph, error))
    return NULL;

  n = plan->graph->nodes->len;
  for (int v = 0; v < n; v++)
    gcut_graph_node (plan->graph, v)->precision = spec->precision;
  plan->seed_of = g_new (GcutValue, n);
  plan->readable = g_new0 (gboolean, n);
  external = g_new0 (gboolean, n);
  for (int v = 0; v < n; v++)
    plan->seed_of[v] = GCUT_NONE;
  for (int i = 0; i < spec->n_seeds; i++)
    plan->seed_of[seeds[i]] = seed_nodes[i];
  for (int i = 0; i < spec->n_outputs; i++)
    plan->readable[outputs[i]] = TRUE;
  plan->zero_grads = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < spec->n_wrt; i++)
    {
      GcutValue g = plan->grad_of[wrt[i]];
      if (bound[i] != GCUT_NONE)
        external[bound[i]] = TRUE;
      else if (g != GCUT_NONE)
        plan->readable[g] = TRUE;
    }

  if (!assign_layouts (plan, spec, external, error)
      || !place_values (plan, external, error))
    return NULL;
  for (int i = 0; i < spec->n_wrt; i++)
    {
      GcutNode *p = gcut_graph_node (plan->graph, wrt[i]);
      if (p->op != GCUT_OP_PARAM)
        continue;
      plan->tensors[wrt[i]].data = p->data;
      if (bound[i] != GCUT_NONE)
        plan->tensors[bound[i]].data = p->grad;
      else if (p->grad)
        {
          GcutTensor *t = g_new (GcutTensor, 1);
          *t = plan->tensors[wrt[i]];
          t->data = p->grad;
          g_ptr_array_add (plan->zero_grads, t);
        }
    }
  for (int v = 0; v < n; v++)
    if (gcut_graph_node (plan->graph, v)->op == GCUT_OP_PARAM)
      plan->tensors[v].data = gcut_graph_node (plan->graph, v)->data;

  if (!prepare_kernels (plan, error))
    return NULL;
  if (g_getenv ("GCUT_PROFILE"))
    plan->profile = g_new0 (gint64, n);
  return g_steal_pointer (&plan);
}

/* GCUT_PROFILE=1: time spent per op, printed when the plan is freed;
 * GCUT_PROFILE=nodes: per node too. */
static void
print_profile (const GcutPlan *plan)
{
  gint64 per_op[GCUT_OP_COUNT] = { 0 }, total = 0;
  for (guint v = 0; v < plan->graph->nodes->len; v++)
    {
      per_op[gcut_graph_node (plan->graph, v)->op] += plan->profile[v];
      total += plan->profile[v];
    }
  g_printerr ("gcut plan profile (%u nodes, %.3f s):\n", plan->graph->nodes->len,
              total / 1e6);
  if (g_strcmp0 (g_getenv ("GCUT_PROFILE"), "nodes") == 0)
    for (guint v = 0; v < plan->graph->nodes->len; v++)
      if (plan->profile[v])
        {
          const GcutNode *node = gcut_graph_node (plan->graph, v);
          g_autofree char *shape = gcut_shape_to_string (&node->shape);
          g_printerr ("  %4u %-28s %-22s %8.4f s\n", v, gcut_op_class (node->op)->name,
                      shape, plan->profile[v] / 1e6);
        }
  for (int op = 0; op < GCUT_OP_COUNT; op++)
    if (per_op[op])
      g_printerr ("  %-32s %8.3f s %5.1f%%\n", gcut_op_class (op)->name, per_op[op] / 1e6,
                  100.0 * per_op[op] / MAX (total, 1));
}

void
gcut_plan_free (GcutPlan *plan)
{
  if (!plan)
    return;
  if (plan->profile)
    print_profile (plan);
  if (plan->kernels)
    for (guint v = 0; v < plan->graph->nodes->len; v++)
      if (plan->kernels[v])
        plan->backend->release (plan->backend, plan->kernels[v]);
  if (plan->arena)
    plan->backend->free (plan->backend, plan->arena);
  if (plan->scratch)
    plan->backend->free (plan->backend, plan->scratch);
  if (plan->zero_grads)
    g_ptr_array_free (plan->zero_grads, TRUE);
  gcut_graph_free (plan->graph);
  g_free (plan->kernels);
  g_free (plan->tensors);
  g_free (plan->map);
  g_free (plan->grad_of);
  g_free (plan->seed_of);
  g_free (plan->readable);
  g_free (plan->profile);
  g_free (plan);
}

gsize
gcut_plan_arena_size (const GcutPlan *plan)
{
  return plan->arena_bytes;
}

gsize
gcut_plan_memory_size (const GcutPlan *plan)
{
  return plan->arena_bytes + plan->scratch_bytes;
}

static GcutValue
lookup (GcutPlan *plan, GcutValue v, GError **error)
{
  if (v < 0 || v >= plan->n_user || plan->map[v] == GCUT_NONE)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "value %d is not part of this plan", v);
      return GCUT_NONE;
    }
  return plan->map[v];
}

static GcutValue
lookup_op (GcutPlan *plan, GcutValue v, GcutOp op, const char *what, GError **error)
{
  GcutValue pv = lookup (plan, v, error);
  if (pv != GCUT_NONE && gcut_graph_node (plan->graph, pv)->op != op)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT, "value %d is not %s",
                   v, what);
      return GCUT_NONE;
    }
  return pv;
}

gboolean
gcut_plan_set_input (GcutPlan *plan, GcutValue input, const float *data, GError **error)
{
  GcutValue v = lookup_op (plan, input, GCUT_OP_INPUT, "an image or matrix input", error);
  if (v == GCUT_NONE)
    return FALSE;
  plan->backend->upload (plan->backend, &plan->tensors[v], data);
  plan->forward_done = FALSE;
  plan->resume_at = 0;
  return TRUE;
}

gboolean
gcut_plan_set_indices (GcutPlan *plan, GcutValue input, const gint32 *idx, GError **error)
{
  GcutValue v = lookup_op (plan, input, GCUT_OP_INDICES, "an index input", error);
  if (v == GCUT_NONE)
    return FALSE;
  /* Every consumer indexes positions of a (N, C, H, W) image: check the range
   * here, once, so kernels can trust it. */
  for (guint c = v + 1; c < plan->graph->nodes->len; c++)
    {
      const GcutNode *node = gcut_graph_node (plan->graph, c);
      gint64 limit;
      if (node->op != GCUT_OP_GATHER || node->inputs[1] != v)
        continue;
      limit = plan->tensors[node->inputs[0]].shape.dims[2]
              * plan->tensors[node->inputs[0]].shape.dims[3];
      for (gint64 i = 0; i < plan->tensors[v].shape.dims[0]; i++)
        if (idx[i] < 0 || idx[i] >= limit)
          {
            g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                         "index %d at position %" G_GINT64_FORMAT
                         " is outside the %" G_GINT64_FORMAT " locations of the image",
                         idx[i], i, limit);
            return FALSE;
          }
    }
  plan->backend->upload (plan->backend, &plan->tensors[v], idx);
  plan->forward_done = FALSE;
  plan->resume_at = 0;
  return TRUE;
}

gboolean
gcut_plan_set_seed (GcutPlan *plan, GcutValue value, const float *grad, GError **error)
{
  GcutValue v = lookup (plan, value, error);
  if (v == GCUT_NONE)
    return FALSE;
  if (v >= plan->n_forward || plan->seed_of[v] == GCUT_NONE)
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "value %d is not a seed of this plan", value);
      return FALSE;
    }
  plan->backend->upload (plan->backend, &plan->tensors[plan->seed_of[v]], grad);
  return TRUE;
}

static void
run_range (GcutPlan *plan, int from, int to)
{
  for (int v = from; v < to; v++)
    if (plan->kernels[v])
      {
        gint64 start = plan->profile ? g_get_monotonic_time () : 0;
        plan->backend->run (plan->backend, plan->kernels[v], plan->scratch);
        if (plan->profile)
          plan->profile[v] += g_get_monotonic_time () - start;
      }
}

gboolean
gcut_plan_forward_until (GcutPlan *plan, GcutValue value, GError **error)
{
  GcutValue v = lookup (plan, value, error);
  if (v == GCUT_NONE)
    return FALSE;
  if (plan->backend->begin)
    plan->backend->begin (plan->backend);
  run_range (plan, 0, v + 1);
  plan->resume_at = v + 1;
  plan->forward_done = FALSE;
  return TRUE;
}

gboolean
gcut_plan_forward (GcutPlan *plan, GError **error)
{
  /* Also after a forward_until: parameters may have changed since. */
  if (plan->backend->begin)
    plan->backend->begin (plan->backend);
  run_range (plan, plan->resume_at, plan->n_forward);
  plan->resume_at = 0;
  plan->forward_done = TRUE;
  return TRUE;
}

gboolean
gcut_plan_backward (GcutPlan *plan, GError **error)
{
  if (!plan->forward_done)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                           "the backward pass needs a forward pass on the same inputs "
                           "first");
      return FALSE;
    }
  for (guint i = 0; i < plan->zero_grads->len; i++)
    {
      GcutTensor *t = g_ptr_array_index (plan->zero_grads, i);
      plan->backend->zero (plan->backend, t->data, gcut_tensor_bytes (t));
    }
  run_range (plan, plan->n_forward, plan->graph->nodes->len);
  if (plan->backend->finish)
    plan->backend->finish (plan->backend);
  return TRUE;
}

gboolean
gcut_plan_get_output (GcutPlan *plan, GcutValue value, float *data, GError **error)
{
  GcutValue v = lookup (plan, value, error);
  if (v == GCUT_NONE)
    return FALSE;
  if (!plan->readable[v])
    {
      g_set_error (error, GCUT_ERROR, GCUT_ERROR_INVALID_ARGUMENT,
                   "value %d was not asked for as an output of this plan", value);
      return FALSE;
    }
  plan->backend->download (plan->backend, &plan->tensors[v], data);
  return TRUE;
}

gboolean
gcut_plan_get_grad (GcutPlan *plan, GcutValue input, float *data, GError **error)
{
  GcutValue v = lookup_op (plan, input, GCUT_OP_INPUT, "an input", error);
  if (v == GCUT_NONE)
    return FALSE;
  if (v >= plan->n_forward || plan->grad_of[v] == GCUT_NONE)
    {
      memset (data, 0, gcut_tensor_bytes (&plan->tensors[v]));
      return TRUE;
    }
  plan->backend->download (plan->backend, &plan->tensors[plan->grad_of[v]], data);
  return TRUE;
}
