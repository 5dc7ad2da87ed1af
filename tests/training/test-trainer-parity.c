/* Records a short training run for tests/reference/cut_trainer.py or
 * sincut_trainer.py, which replay it step by step in PyTorch and compare
 * (run-trainer-parity.sh).
 *
 *   test-trainer-parity --recipe R --content C --style S --steps N --out DIR
 *
 * writes the checkpoint before step k+1 as DIR/ckpt.<k>.safetensors, k = 0 … N
 * (G, D, F, the Adam states, the loss history), and DIR/record.safetensors:
 * each step's crops (x.<k>, y.<k>), patch locations (idx.<side>.<tap>.<k>, I32),
 * the StyleGAN2-lite G's noise (noise.<side>.<input>.<k>) and gradients
 * (grad.<k>.G.<name>, grad.<k>.D.<name>, grad.<k>.F.<name>), and as metadata the loss
 * names and each network's parameter names with their offsets in its flat buffer (which
 * the Adam state follows). */
#include <stdlib.h>

#include <gegl.h>

#include "gct-trainer.h"

typedef struct
{
  GcpSafetensorsWriter *w;
  GPtrArray *buffers; /* what w borrows */
} Record;

static void
add_copy (Record *r, const char *name, GcpDType dtype, int n_dims, const gint64 *shape,
          const void *data, gsize n_bytes)
{
  void *copy = g_memdup2 (data, n_bytes);
  g_ptr_array_add (r->buffers, copy);
  gcp_safetensors_writer_add (r->w, name, dtype, n_dims, shape, copy);
}

static void
observe (const GctStepInputs *in, gpointer data)
{
  Record *r = data;
  gint64 shape[4] = { in->batch, 3, in->crop, in->crop };
  gsize n = (gsize)in->batch * 3 * in->crop * in->crop * sizeof (float);
  char name[64];

  g_snprintf (name, sizeof name, "x.%" G_GINT64_FORMAT, in->step);
  add_copy (r, name, GCP_DTYPE_F32, 4, shape, in->x, n);
  g_snprintf (name, sizeof name, "y.%" G_GINT64_FORMAT, in->step);
  add_copy (r, name, GCP_DTYPE_F32, 4, shape, in->y, n);
  g_assert_false (in->flipped); /* the references replay no flip-equivariance */
  for (int side = 0; side < 2; side++)
    for (int i = 0; i < in->n_taps && in->idx[side][i]; i++)
      {
        gint64 p = in->n_patches[i];
        g_snprintf (name, sizeof name, "idx.%d.%d.%" G_GINT64_FORMAT, side, i, in->step);
        add_copy (r, name, GCP_DTYPE_I32, 1, &p, in->idx[side][i], p * sizeof (gint32));
      }
  for (int side = 0; side < 2; side++)
    for (int i = 0; i < in->n_noise && in->noise[side][i]; i++)
      {
        const GcutShape *s = &in->noise_shape[i];
        gint64 ns[4];
        gsize len = sizeof (float);
        for (int d = 0; d < 4; d++)
          len *= (gsize)(ns[d] = s->dims[d]);
        g_snprintf (name, sizeof name, "noise.%d.%d.%" G_GINT64_FORMAT, side, i,
                    in->step);
        add_copy (r, name, GCP_DTYPE_F32, 4, ns, in->noise[side][i], len);
      }
}

/* A step's gradients; the parameter order as metadata. */
static void
add_network (Record *r, GcutNetwork *net, const char *tag, int step)
{
  g_autoptr (GString) order = g_string_new (NULL);
  for (guint i = 0; i < gcut_network_n_params (net); i++)
    {
      const char *pname = gcut_network_param_name (net, i);
      GcutShape s = gcut_network_param_shape (net, i);
      gint64 shape[8];
      gsize n = 1;
      for (int d = 0; d < s.n_dims; d++)
        n *= (gsize)(shape[d] = s.dims[d]);
      g_autofree char *name = g_strdup_printf ("grad.%d.%s.%s", step, tag, pname);
      add_copy (r, name, GCP_DTYPE_F32, s.n_dims, shape, gcut_network_param_grad (net, i),
                n * sizeof (float));
      /* the name and the offset in the flat buffer, which may have gaps */
      g_string_append_printf (order, "%s%s:%td", i ? "," : "", pname,
                              gcut_network_param_data (net, i)
                                  - gcut_network_data (net, &n));
    }
  g_autofree char *key = g_strdup_printf ("order.%s", tag);
  gcp_safetensors_writer_set_metadata (r->w, key, order->str);
}

static gboolean
save_checkpoint (GctTrainer *t, const char *out, GError **error)
{
  g_autofree char *base = g_strdup_printf ("ckpt.%" G_GINT64_FORMAT ".safetensors",
                                           gct_trainer_step_count (t));
  g_autofree char *path = g_build_filename (out, base, NULL);
  return gct_trainer_save_checkpoint (t, path, error);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *recipe_path = NULL, *content_path = NULL, *style_path = NULL,
                  *out = NULL;
  int steps = 1, threads = 2;
  GOptionEntry entries[]
      = { { "recipe", 0, 0, G_OPTION_ARG_FILENAME, &recipe_path, "recipe file", "FILE" },
          { "content", 0, 0, G_OPTION_ARG_FILENAME, &content_path, "content image",
            "FILE" },
          { "style", 0, 0, G_OPTION_ARG_FILENAME, &style_path, "style image", "FILE" },
          { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "steps to record", "N" },
          { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "CPU threads", "N" },
          { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "output folder", "DIR" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- record training steps");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !recipe_path || !content_path
      || !style_path || !out)
    {
      g_printerr ("%s\n", error ? error->message
                                : "--recipe, --content, --style and "
                                  "--out are required");
      return 2;
    }

  gegl_init (NULL, NULL);
  gcut_backend_set_threads (gcut_backend_cpu (), threads);
  g_autoptr (GcpRecipe) recipe = gcp_recipe_load_file (recipe_path, &error);
  g_autoptr (GctImageReader) content
      = recipe ? gct_image_reader_open (content_path, &error) : NULL;
  g_autoptr (GctImageReader) style
      = content ? gct_image_reader_open (style_path, &error) : NULL;
  g_autoptr (GctTrainer) t
      = style ? gct_trainer_new (recipe, content, style, NULL, &error) : NULL;
  g_autofree char *record = g_build_filename (out, "record.safetensors", NULL);
  Record r = { gcp_safetensors_writer_new (), g_ptr_array_new_with_free_func (g_free) };
  gboolean ok = t && save_checkpoint (t, out, &error);

  if (ok)
    gct_trainer_set_step_observer (t, observe, &r);
  for (int i = 0; ok && i < steps; i++)
    {
      ok = gct_trainer_step (t, &error) && save_checkpoint (t, out, &error);
      if (ok)
        {
          add_network (&r, gct_trainer_generator (t), "G", i);
          add_network (&r, gct_trainer_discriminator (t), "D", i);
          add_network (&r, gct_trainer_heads (t), "F", i);
        }
    }
  if (ok)
    {
      int n_losses;
      const char *const *names = gct_trainer_loss_names (t, &n_losses);
      g_autoptr (GString) joined = g_string_new (NULL);
      for (int i = 0; i < n_losses; i++)
        g_string_append_printf (joined, "%s%s", i ? "," : "", names[i]);
      g_autofree char *n_steps = g_strdup_printf ("%d", steps);
      gcp_safetensors_writer_set_metadata (r.w, "losses", joined->str);
      gcp_safetensors_writer_set_metadata (r.w, "steps", n_steps);
      ok = gcp_safetensors_writer_save (r.w, record, &error);
    }
  gcp_safetensors_writer_free (r.w);
  g_ptr_array_unref (r.buffers);
  if (!ok)
    g_printerr ("test-trainer-parity: %s\n", error->message);
  g_clear_pointer (&t, gct_trainer_free);
  gegl_exit ();
  return ok ? 0 : 1;
}
