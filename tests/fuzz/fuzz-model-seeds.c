/* Writes seed inputs for fuzz-model-file into the folder given: a valid small
 * model, one with D and F, one with a recipe and training record, one
 * fine-tuned from a base (its "base" record) and one with a palette. */
#include <gcp/gcp-model-file.h>

int
main (int argc, char **argv)
{
  GcpGeneratorConfig c = { GCP_GENERATOR_RESNET, 1, 5, TRUE, TRUE, 2 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GcutNetwork) G = NULL;
  g_autoptr (GcpRecipe) recipe = gcp_recipe_new_default ();
  g_autofree char *recipe_json = NULL, *a = NULL, *b = NULL, *d = NULL, *e = NULL,
                  *p = NULL;
  float levels[3 * GCP_PALETTE_LEVELS];
  GcpBaseRecord base
      = { "photo-base",
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
  g_autoptr (GcpSafetensorsWriter) tuned = NULL, painted = NULL;
  GcutPatchGanConfig dc = { 1, 1, TRUE };
  g_autoptr (GcutNetwork) D = gcut_patchgan_new (&dc);

  if (argc != 2)
    {
      g_printerr ("usage: %s FOLDER\n", argv[0]);
      return 2;
    }
  g_mkdir_with_parents (argv[1], 0755);
  G = gcp_generator_new (&c, &error);
  gcut_network_init_xavier (G, 0.02f, 1);
  recipe->generator = c;
  recipe_json = gcp_recipe_to_json (recipe);
  a = g_build_filename (argv[1], "plain.safetensors", NULL);
  b = g_build_filename (argv[1], "recipe.safetensors", NULL);
  d = g_build_filename (argv[1], "with-d.safetensors", NULL);
  e = g_build_filename (argv[1], "with-base.safetensors", NULL);
  p = g_build_filename (argv[1], "with-palette.safetensors", NULL);
  for (int i = 0; i < 3 * GCP_PALETTE_LEVELS; i++)
    levels[i] = (i / GCP_PALETTE_LEVELS ? -0.5f : 0.0f)
                + (float)(i % GCP_PALETTE_LEVELS) / GCP_PALETTE_LEVELS;
  painted = gcp_model_writer_new (G, &c, NULL, NULL);
  gcp_model_writer_set_palette (painted, levels);
  tuned = gcp_model_writer_new (G, &c, NULL, NULL);
  gcp_model_writer_set_base (tuned, &base);
  if (!gcp_model_save (a, G, &c, NULL, NULL, NULL, NULL, &error)
      || !gcp_model_save (b, G, &c, recipe_json, "{\"steps\": 1}", NULL, NULL, &error)
      || !gcp_model_save (d, G, &c, NULL, NULL, D, NULL, &error)
      || !gcp_safetensors_writer_save (tuned, e, &error)
      || !gcp_safetensors_writer_save (painted, p, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}
