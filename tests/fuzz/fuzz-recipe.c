/* libFuzzer target: the recipe parser on arbitrary bytes (build and run as
 * fuzz-model-file; seeds: presets/recipes/). */
#include <stdint.h>
#include <gcp/gcp-recipe.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  GcpRecipe *recipe = gcp_recipe_parse ((const char *)data, (gssize)size, &error);

  if (recipe)
    {
      /* What we write must read back. */
      char *json = gcp_recipe_to_json (recipe);
      GcpRecipe *again = gcp_recipe_parse (json, -1, NULL);
      if (!again)
        __builtin_trap ();
      gcp_recipe_free (again);
      g_free (json);
      gcp_recipe_free (recipe);
    }
  else
    {
      if (!error || !error->message)
        __builtin_trap ();
      g_error_free (error);
    }
  return 0;
}
