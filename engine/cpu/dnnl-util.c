/* oneDNN plumbing shared by the convolution and matrix-product kernels. */
#include "dnnl-private.h"

GcutDnnlSeq *
gcut_dnnl_seq (GcutCpuKernel *k)
{
  if (!k->state)
    k->state = g_new0 (GcutDnnlSeq, 1);
  return k->state;
}

gboolean
gcut_dnnl_attr_new (GcutAct act, float slope, dnnl_primitive_attr_t *attr, GError **error)
{
  dnnl_post_ops_t post_ops;
  dnnl_alg_kind_t alg = act == GCUT_ACT_TANH ? dnnl_eltwise_tanh : dnnl_eltwise_relu;
  /* oneDNN's relu alpha is the slope below zero: 0 for ReLU. */
  float alpha = act == GCUT_ACT_LEAKY_RELU ? slope : 0.f;
  gboolean ok;

  *attr = NULL;
  if (!gcut_dnnl_check (dnnl_primitive_attr_create (attr), "creating attributes", error))
    return FALSE;
  ok = gcut_dnnl_check (
      dnnl_primitive_attr_set_scratchpad_mode (*attr, dnnl_scratchpad_mode_user),
      "asking for a user scratchpad", error);
  if (ok && act != GCUT_ACT_NONE)
    {
      ok = gcut_dnnl_check (dnnl_post_ops_create (&post_ops), "creating post-ops", error);
      if (ok)
        {
          ok = gcut_dnnl_check (gcut_dnnl_post_ops_append_eltwise (post_ops, alg, alpha),
                                "adding the activation post-op", error)
               && gcut_dnnl_check (dnnl_primitive_attr_set_post_ops (*attr, post_ops),
                                   "setting post-ops", error);
          dnnl_post_ops_destroy (post_ops);
        }
    }
  if (!ok)
    g_clear_pointer (attr, dnnl_primitive_attr_destroy);
  return ok;
}

static gboolean
keep_mem (GcutDnnlSeq *s, dnnl_memory_t mem, GError **error)
{
  if (s->n_mems == GCUT_DNNL_MAX_MEMS)
    {
      dnnl_memory_destroy (mem);
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_BACKEND,
                           "too many oneDNN memories for one kernel");
      return FALSE;
    }
  s->mems[s->n_mems++] = mem;
  return TRUE;
}

static dnnl_memory_t
new_mem (GcutCpuKernel *k, const GcutDnnlMd *md, void *data, GError **error)
{
  dnnl_memory_t mem;
  if (!gcut_dnnl_check (dnnl_memory_create (&mem, md, gcut_cpu_engine (), data),
                        "creating a memory", error)
      || !keep_mem (gcut_dnnl_seq (k), mem, error))
    return NULL;
  return mem;
}

static void
update_scratch (GcutCpuKernel *k)
{
  GcutDnnlSeq *s = gcut_dnnl_seq (k);
  k->scratch_bytes = s->copies_bytes + s->scratchpad_bytes;
}

/* A copy in md's layout, placed in the kernel's part of the scratch rather
 * than owned: the plan's memory size then counts it, and kernels share it. */
static dnnl_memory_t
new_copy (GcutCpuKernel *k, const GcutDnnlMd *md, GError **error)
{
  GcutDnnlSeq *s = gcut_dnnl_seq (k);
  dnnl_memory_t mem = new_mem (k, md, DNNL_MEMORY_NONE, error);
  gsize bytes = dnnl_memory_desc_get_size (md);

  if (!mem)
    return NULL;
  s->copies[s->n_copies++]
      = (GcutDnnlCopy){ mem, s->copies_bytes, bytes, gcut_dnnl_md_is_padded (md) };
  /* 64-byte aligned, like oneDNN's own buffers */
  s->copies_bytes += (bytes + 63) & ~(gsize)63;
  update_scratch (k);
  return mem;
}

GcutDnnlArg
gcut_dnnl_tensor_arg (int arg, const GcutTensor *t, gboolean output)
{
  GcutDnnlArg a = { .arg = arg, .data = t->data, .output = output };
  gcut_cpu_layout (t, &a.layout);
  return a;
}

gboolean
gcut_dnnl_is_reference (const_dnnl_primitive_desc_t pd)
{
  const char *name = NULL;
  dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &name);
  return name && g_str_has_prefix (name, "ref");
}

/* The plan's scratch is only known at run time: bound then. */
static gboolean
scratch_mem (GcutCpuKernel *k, const_dnnl_primitive_desc_t pd, dnnl_memory_t *mem,
             GError **error)
{
  const GcutDnnlMd *md = dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  gsize bytes = md ? dnnl_memory_desc_get_size (md) : 0;
  GcutDnnlSeq *s = gcut_dnnl_seq (k);

  *mem = NULL;
  if (!bytes)
    return TRUE;
  s->scratchpad_bytes = MAX (s->scratchpad_bytes, bytes);
  update_scratch (k);
  return (*mem = new_mem (k, md, DNNL_MEMORY_NONE, error)) != NULL;
}

static gboolean
add_call (GcutCpuKernel *k, const_dnnl_primitive_desc_t pd, const dnnl_exec_arg_t *args,
          int n_args, GError **error)
{
  GcutDnnlSeq *s = gcut_dnnl_seq (k);
  GcutDnnlCall *call = &s->calls[s->n_calls];

  if (s->n_calls == GCUT_DNNL_MAX_CALLS)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_BACKEND,
                           "too many oneDNN primitives for one kernel");
      return FALSE;
    }
  if (!scratch_mem (k, pd, &call->scratch, error))
    return FALSE;
  memcpy (call->args, args, n_args * sizeof *args);
  call->n_args = n_args;
  if (call->scratch)
    call->args[call->n_args++] = (dnnl_exec_arg_t){ DNNL_ARG_SCRATCHPAD, call->scratch };
  if (!gcut_dnnl_check (dnnl_primitive_create (&call->prim, pd), "creating a primitive",
                        error))
    return FALSE;
  s->n_calls++;
  return TRUE;
}

static gboolean
add_reorder (GcutCpuKernel *k, dnnl_memory_t from, dnnl_memory_t to, GError **error)
{
  const GcutDnnlMd *from_md, *to_md;
  g_auto (dnnl_primitive_desc_t) pd = NULL;
  g_auto (dnnl_primitive_attr_t) attr = NULL;
  dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };

  dnnl_memory_get_memory_desc (from, &from_md);
  dnnl_memory_get_memory_desc (to, &to_md);
  return gcut_dnnl_attr_new (GCUT_ACT_NONE, 0.f, &attr, error)
         && gcut_dnnl_check (
             dnnl_reorder_primitive_desc_create (&pd, from_md, gcut_cpu_engine (), to_md,
                                                 gcut_cpu_engine (), attr),
             "creating a reorder", error)
         && add_call (k, pd, args, G_N_ELEMENTS (args), error);
}

gboolean
gcut_dnnl_add (GcutCpuKernel *k, const_dnnl_primitive_desc_t pd, const GcutDnnlArg *args,
               int n_args, GError **error)
{
  dnnl_exec_arg_t exec[GCUT_DNNL_MAX_ARGS] = { { 0 } };
  dnnl_memory_t user[GCUT_DNNL_MAX_ARGS];

  if (n_args >= GCUT_DNNL_MAX_ARGS)
    {
      g_set_error_literal (error, GCUT_ERROR, GCUT_ERROR_BACKEND,
                           "too many arguments for one oneDNN primitive");
      return FALSE;
    }
  for (int i = 0; i < n_args; i++)
    {
      const GcutDnnlMd *want
          = dnnl_primitive_desc_query_md (pd, dnnl_query_exec_arg_md, args[i].arg);
      g_autoptr (GcutDnnlMd) md = NULL;
      exec[i].arg = args[i].arg;
      if (!gcut_dnnl_check (gcut_dnnl_md_new (&md, &args[i].layout),
                            "describing a memory", error)
          || !(user[i] = new_mem (k, md, args[i].data, error)))
        return FALSE;
      exec[i].memory
          = dnnl_memory_desc_equal (md, want) ? user[i] : new_copy (k, want, error);
      if (!exec[i].memory
          || (!args[i].output && exec[i].memory != user[i]
              && !add_reorder (k, user[i], exec[i].memory, error)))
        return FALSE;
    }
  if (!add_call (k, pd, exec, n_args, error))
    return FALSE;
  for (int i = 0; i < n_args; i++)
    if (args[i].output && exec[i].memory != user[i]
        && !add_reorder (k, exec[i].memory, user[i], error))
      return FALSE;
  return TRUE;
}

/* Failures here could only come from a broken library: the primitives were
 * made for exactly these memories. */
void
gcut_dnnl_run (GcutCpuKernel *k, void *scratch)
{
  GcutDnnlSeq *s = k->state;
  for (int i = 0; i < s->n_copies; i++)
    {
      GcutDnnlCopy *c = &s->copies[i];
      void *data = (char *)scratch + c->offset;
      /* Primitives read padding lanes (3 channels in blocks of 16, say), and
       * reorders into the copy do not always clear them; the scratch holds
       * whatever the kernel before left there. */
      if (c->padded)
        memset (data, 0, c->bytes);
      dnnl_memory_set_data_handle (c->mem, data);
    }
  for (int i = 0; i < s->n_calls; i++)
    {
      GcutDnnlCall *call = &s->calls[i];
      if (call->scratch)
        dnnl_memory_set_data_handle (call->scratch, (char *)scratch + s->copies_bytes);
      dnnl_primitive_execute (call->prim, gcut_cpu_stream (), call->n_args, call->args);
    }
  dnnl_stream_wait (gcut_cpu_stream ());
}

void
gcut_dnnl_release (GcutCpuKernel *k)
{
  GcutDnnlSeq *s = k->state;
  if (!s)
    return;
  for (int i = 0; i < s->n_calls; i++)
    dnnl_primitive_destroy (s->calls[i].prim);
  for (int i = 0; i < s->n_mems; i++)
    dnnl_memory_destroy (s->mems[i]);
  if (s->hint)
    dnnl_primitive_desc_destroy (s->hint);
  g_free (s);
  k->state = NULL;
}
