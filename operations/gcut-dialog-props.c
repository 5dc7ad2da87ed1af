/* gegl-cut operations: what GIMP's filter dialogs need from the properties.
 *
 * GIMP (2.10 and 3) builds a filter's dialog from its properties: a string
 * is a bare text field, an enum a list, and a string with the ui key "error"
 * a message box that stays visible unless its "visible" key says otherwise.
 * So the ops have
 *  - choices: an enum whose value 0 ("other") leaves a string property as
 *    typed and whose other values each stand for one string (an installed
 *    model, a quality's recipe); the two follow each other, so the gegl tool
 *    and XML keep using the string;
 *  - outputs: "error" and "failed", set by the op only.  "failed" (never
 *    shown) is the "visible" key of "error", so the box shows only with a
 *    message.  They are cleared when any setting changes, and a run's new
 *    outcome is announced from the main loop: a notify makes GEGL invalidate
 *    the node, which must not happen in the middle of processing. */
#include <string.h>

#include <gcp/gcp-model-file.h>
#include <gcp/gcp-quality.h>

#include "gcut-ops.h"

/* The strings the values ≥ 1 of a choice enum stand for, NULL-terminated. */
static GQuark
strings_quark (void)
{
  return g_quark_from_static_string ("gcut-ops-choice-strings");
}

/* Registers an enum type name: value 0 "other" labelled other_label, value
 * k ≥ 1 nicks[k - 1] labelled labels[k - 1] and standing for strings[k - 1].
 * Takes the three arrays.  Labels are translated now, as GEGL does for its
 * enums: GIMP shows the value names as they are. */
static GType
choice_register (const char *name, const char *other_label, char **nicks, char **labels,
                 char **strings)
{
  guint n = g_strv_length (nicks);
  GEnumValue *values = g_new0 (GEnumValue, n + 2);
  GType type;

  values[0] = (GEnumValue){ 0, g_dgettext (GETTEXT_PACKAGE, other_label), "other" };
  for (guint i = 0; i < n; i++)
    values[i + 1] = (GEnumValue){ (int)i + 1, labels[i], nicks[i] };
  /* The arrays live as long as the type: for the whole process. */
  type = g_enum_register_static (name, values);
  g_type_set_qdata (type, strings_quark (), strings);
  g_free (nicks);
  g_free (labels);
  return type;
}

/* Index + 1 of s in the choice's strings, 0 when it is not one of them. */
static int
choice_find (GType type, const char *s)
{
  char **strings = g_type_get_qdata (type, strings_quark ());

  for (int i = 0; strings && strings[i]; i++)
    if (g_strcmp0 (strings[i], s) == 0)
      return i + 1;
  return 0;
}

GType
gcut_ops_model_choice_get_type (void)
{
  static gsize type;

  if (g_once_init_enter (&type))
    {
      g_auto (GStrv) models = gcp_model_list ();
      GPtrArray *names = g_ptr_array_new ();
      char **nicks, **labels;

      /* A model called "other" would read as the value "other". */
      for (int i = 0; models[i]; i++)
        if (strcmp (models[i], "other") != 0)
          g_ptr_array_add (names, g_strdup (models[i]));
      g_ptr_array_add (names, NULL);
      nicks = g_strdupv ((char **)names->pdata);
      labels = g_strdupv ((char **)names->pdata);
      g_once_init_leave (&type,
                         choice_register ("GcutOpsModelChoice",
                                          N_ ("Other: a file or a name"), nicks, labels,
                                          (char **)g_ptr_array_free (names, FALSE)));
    }
  return type;
}

int
gcut_ops_model_choice_default (void)
{
  return choice_find (gcut_ops_model_choice_get_type (), GCUT_OPS_DEFAULT_MODEL);
}

GType
gcut_ops_quality_choice_get_type (void)
{
  static gsize type;

  if (g_once_init_enter (&type))
    {
      int n;
      const GcpQuality *q = gcp_qualities (&n);
      char **nicks = g_new0 (char *, n + 1), **labels = g_new0 (char *, n + 1);
      char **recipes = g_new0 (char *, n + 1);

      for (int i = 0; i < n; i++)
        {
          nicks[i] = g_strdup (q[i].name);
          labels[i] = g_strdup (g_dgettext (GETTEXT_PACKAGE, q[i].label));
          recipes[i] = g_strdup (q[i].recipe);
        }
      g_once_init_leave (&type, choice_register ("GcutOpsQualityChoice",
                                                 N_ ("Other: the recipe below"), nicks,
                                                 labels, recipes));
    }
  return type;
}

int
gcut_ops_quality_choice_default (void)
{
  const GcpQuality *q = gcp_quality_find (GCP_QUALITY_DEFAULT);
  return choice_find (gcut_ops_quality_choice_get_type (), q->recipe);
}

/* What a class's property hooks need, kept with its type. */
typedef struct
{
  GObjectSetPropertyFunc set_property; /* GEGL's */
  GObjectGetPropertyFunc get_property;
  GParamSpec *choice, *string; /* NULL without a choice */
  GParamSpec *error, *failed;
} Links;

static GQuark
links_quark (void)
{
  return g_quark_from_static_string ("gcut-ops-links");
}

static Links *
links_of (GObject *object)
{
  return g_type_get_qdata (G_OBJECT_TYPE (object), links_quark ());
}

static void
get_value (GObject *object, Links *l, GParamSpec *pspec, GValue *value)
{
  g_value_init (value, pspec->value_type);
  l->get_property (object, pspec->param_id, value, pspec);
}

/* Sets pspec through GEGL's function and says so (a direct set does not). */
static void
set_value (GObject *object, Links *l, GParamSpec *pspec, const GValue *value)
{
  l->set_property (object, pspec->param_id, value, pspec);
  g_object_notify_by_pspec (object, pspec);
}

/* After changed (the choice or the string) was set: when the choice names a
 * listed value that the string is not, the other one follows.  A string typed
 * while the choice is "other" leaves it "other", even when it names a listed
 * value: the list does not jump under a user's typing. */
static void
follow (GObject *object, Links *l, GParamSpec *changed)
{
  g_auto (GValue) choice = G_VALUE_INIT, string = G_VALUE_INIT;
  char **strings = g_type_get_qdata (l->choice->value_type, strings_quark ());
  int k;

  get_value (object, l, l->choice, &choice);
  get_value (object, l, l->string, &string);
  k = g_value_get_enum (&choice);
  if (k == 0 || g_strcmp0 (g_value_get_string (&string), strings[k - 1]) == 0)
    return;
  if (changed == l->choice)
    {
      g_value_set_string (&string, strings[k - 1]);
      set_value (object, l, l->string, &string);
    }
  else
    {
      g_value_set_enum (
          &choice, choice_find (l->choice->value_type, g_value_get_string (&string)));
      set_value (object, l, l->choice, &choice);
    }
}

static void
clear_outputs (GObject *object, Links *l)
{
  g_auto (GValue) error = G_VALUE_INIT, failed = G_VALUE_INIT;

  get_value (object, l, l->error, &error);
  get_value (object, l, l->failed, &failed);
  /* NULL: the object is being constructed. */
  if (g_value_get_string (&error) && *g_value_get_string (&error))
    {
      g_value_set_string (&error, "");
      set_value (object, l, l->error, &error);
    }
  if (g_value_get_boolean (&failed))
    {
      g_value_set_boolean (&failed, FALSE);
      set_value (object, l, l->failed, &failed);
    }
}

static void
set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  Links *l = links_of (object);

  if (pspec == l->failed)
    return;
  if (pspec == l->error)
    {
      g_auto (GValue) current = G_VALUE_INIT;

      /* Only its first value, at construction: a host that copies every
       * property back (GIMP restoring a dialog) must not bring back an old
       * message. */
      get_value (object, l, pspec, &current);
      if (!g_value_get_string (&current))
        l->set_property (object, id, value, pspec);
      return;
    }
  l->set_property (object, id, value, pspec);
  if (l->choice && (pspec == l->choice || pspec == l->string))
    follow (object, l, pspec);
  clear_outputs (object, l);
}

void
gcut_ops_class_link_properties (GObjectClass *klass, const char *choice,
                                const char *string)
{
  Links *l = g_new0 (Links, 1);

  l->set_property = klass->set_property;
  l->get_property = klass->get_property;
  l->error = g_object_class_find_property (klass, "error");
  l->failed = g_object_class_find_property (klass, "failed");
  g_return_if_fail (l->error && l->failed);
  if (choice)
    {
      l->choice = g_object_class_find_property (klass, choice);
      l->string = g_object_class_find_property (klass, string);
      g_return_if_fail (l->choice && l->string);
    }
  /* Lives as long as the class: for the whole process. */
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), links_quark (), l);
  klass->set_property = set_property;
}

static gboolean
notify_outputs (gpointer data)
{
  g_object_notify (data, "error");
  g_object_notify (data, "failed");
  return G_SOURCE_REMOVE;
}

/* Sets the outputs to message (NULL: cleared) and, if that changes them,
 * announces it from the main loop. */
static void
set_outputs (GeglOperation *op, char **error_field, gboolean *failed_field,
             const char *message)
{
  if (g_strcmp0 (*error_field, message ? message : "") == 0
      && *failed_field == (message != NULL))
    return;
  g_free (*error_field);
  *error_field = g_strdup (message ? message : "");
  *failed_field = message != NULL;
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, notify_outputs, g_object_ref (op),
                   g_object_unref);
}

void
gcut_ops_report_error (GeglOperation *op, char **error_field, gboolean *failed_field,
                       const GError *error)
{
  set_outputs (op, error_field, failed_field, error->message);
}

void
gcut_ops_clear_error (GeglOperation *op, char **error_field, gboolean *failed_field)
{
  set_outputs (op, error_field, failed_field, NULL);
}
