/* Prints the title and the property labels of GEGL operations, as a host
 * application that sets its locale (GIMP) would show them:
 *   op-labels OP… */
#include <locale.h>

#include <gegl.h>
#include <gegl-plugin.h>

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  gegl_init (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      guint n = 0;
      GParamSpec **specs = gegl_operation_list_properties (argv[i], &n);
      g_print ("%s: %s\n", argv[i], gegl_operation_get_key (argv[i], "title"));
      for (guint p = 0; p < n; p++)
        g_print ("  %s: %s\n", specs[p]->name, g_param_spec_get_nick (specs[p]));
      g_free (specs);
    }
  gegl_exit ();
  return 0;
}
