/* Shapes: sizes, equality and printing for messages. */
#include "graph-private.h"

gint64
gcut_shape_numel (const GcutShape *s)
{
  gint64 n = 1;
  for (int i = 0; i < s->n_dims; i++)
    n *= s->dims[i];
  return n;
}

gboolean
gcut_shape_equal (const GcutShape *a, const GcutShape *b)
{
  if (a->n_dims != b->n_dims)
    return FALSE;
  for (int i = 0; i < a->n_dims; i++)
    if (a->dims[i] != b->dims[i])
      return FALSE;
  return TRUE;
}

char *
gcut_shape_to_string (const GcutShape *s)
{
  GString *str = g_string_new ("(");
  for (int i = 0; i < s->n_dims; i++)
    g_string_append_printf (str, i ? ", %" G_GINT64_FORMAT : "%" G_GINT64_FORMAT,
                            s->dims[i]);
  g_string_append_c (str, ')');
  return g_string_free (str, FALSE);
}

GcutShape
gcut_shape4 (gint64 n, gint64 c, gint64 h, gint64 w)
{
  return (GcutShape){ 4, { n, c, h, w } };
}

GcutShape
gcut_shape2 (gint64 rows, gint64 cols)
{
  return (GcutShape){ 2, { rows, cols } };
}

GcutShape
gcut_shape1 (gint64 n)
{
  return (GcutShape){ 1, { n } };
}
