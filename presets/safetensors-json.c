/* A strict JSON syntax check for safetensors headers.
 *
 * json-glib builds the tree we read, but it accepts comments, single quotes,
 * hex numbers and anything after the root value, and it recurses once per
 * nesting level, so a header of "[[[[…" could exhaust the stack.  This pass
 * walks the text once, without recursion, and rejects all of that first.
 * For safetensors headers it also rejects integers outside the 64-bit range,
 * which json-glib misreads as other, plausible counts (1.6 wraps them, 2^64
 * to −1; 1.10 saturates them at 2^63 − 1): only the text tells them apart.
 */
#include <string.h>

#include "safetensors-private.h"

/* A valid header nests three deep ({ "t": { "shape": [ ); leave room. */
#define MAX_DEPTH 16

typedef struct
{
  const char *text;
  const char *p;
  const char *end;
  gboolean int64; /* integers must fit in a gint64 */
  GError **error;
} Scanner;

static gboolean
fail (Scanner *s, const char *what)
{
  g_set_error (s->error, GCP_ERROR, GCP_ERROR_CORRUPT,
               "header is not valid JSON: %s at byte %" G_GSIZE_FORMAT, what,
               (gsize)(s->p - s->text));
  return FALSE;
}

static void
skip_space (Scanner *s)
{
  while (s->p < s->end
         && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

/* The value of the four hex digits at p (p + 4 <= end), or -1. */
static int
hex4 (const char *p)
{
  int value = 0;

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* A "\uXXXX" escape at s->p, or -1. */
static int
unicode_escape (Scanner *s)
{
  if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
    return -1;
  return hex4 (s->p + 2);
}

static gboolean
scan_string (Scanner *s)
{
  s->p++; /* the opening quote */
  while (s->p < s->end)
    {
      guchar c = *s->p;

      if (c == '"')
        {
          s->p++;
          return TRUE;
        }
      if (c < 0x20)
        return fail (s, "control character in a string");
      if (c != '\\')
        {
          s->p++;
          continue;
        }
      if (s->end - s->p < 2)
        break;
      if (s->p[1] != '\0' && strchr ("\"\\/bfnrt", s->p[1]) != NULL)
        {
          s->p += 2;
          continue;
        }
      if (s->p[1] != 'u')
        return fail (s, "unknown escape in a string");

      int unit = unicode_escape (s);

      if (unit < 0)
        return fail (s, "malformed \\u escape");
      /* We hand names to C code as NUL-terminated strings. */
      if (unit == 0)
        return fail (s, "\\u0000 in a string");
      if (unit >= 0xdc00 && unit <= 0xdfff)
        return fail (s, "unpaired UTF-16 surrogate");
      s->p += 6;
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          int low = unicode_escape (s);

          if (low < 0xdc00 || low > 0xdfff)
            return fail (s, "unpaired UTF-16 surrogate");
          s->p += 6;
        }
    }
  return fail (s, "unterminated string");
}

static gboolean
scan_digits (Scanner *s)
{
  const char *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > start;
}

/* The integer from start to s->p fits in a gint64 (its digits have no
 * leading zeros). */
static gboolean
check_int_range (Scanner *s, const char *start)
{
  const gboolean negative = *start == '-';
  const char *digits = start + negative;
  const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
  const gsize n = s->p - digits, n_limit = strlen (limit);
  const int shown = MIN ((int)(s->p - start), 24);

  if (n < n_limit || (n == n_limit && memcmp (digits, limit, n) <= 0))
    return TRUE;
  g_set_error (s->error, GCP_ERROR, GCP_ERROR_CORRUPT,
               "header: the integer %.*s%s at byte %" G_GSIZE_FORMAT
               " is outside the 64-bit range",
               shown, start, shown < s->p - start ? "…" : "", (gsize)(start - s->text));
  return FALSE;
}

static gboolean
scan_number (Scanner *s)
{
  const char *start = s->p;
  gboolean integer = TRUE;

  if (*s->p == '-')
    s->p++;
  /* No leading zeros: "0" stands alone, "01" is two tokens and fails later. */
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return fail (s, "malformed number");
  if (s->p < s->end && *s->p == '.')
    {
      integer = FALSE;
      s->p++;
      if (!scan_digits (s))
        return fail (s, "malformed number");
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      integer = FALSE;
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        return fail (s, "malformed number");
    }
  return !integer || !s->int64 || check_int_range (s, start);
}

static gboolean
scan_literal (Scanner *s)
{
  static const char *const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize len = strlen (literals[i]);

      if ((gsize)(s->end - s->p) >= len && memcmp (s->p, literals[i], len) == 0)
        {
          s->p += len;
          return TRUE;
        }
    }
  return fail (s, "unexpected character");
}

static gboolean
check_strict (const char *text, gsize len, gboolean int64, GcpJsonKeyFunc root_key,
              gpointer data, GError **error)
{
  Scanner s = { text, text, text + len, int64, error };
  char open[MAX_DEPTH]; /* '{' or '[' for each container we are in */
  int depth = 0;
  enum
  {
    VALUE, /* a value must come next */
    KEY,   /* a member name must come next */
    AFTER  /* a value ended: ',', a closer, or the end */
  } state
      = VALUE;

  for (;;)
    {
      skip_space (&s);
      if (s.p == s.end)
        {
          if (state == AFTER && depth == 0)
            return TRUE;
          return fail (&s, "unexpected end");
        }

      if (state == KEY)
        {
          const char *key = s.p + 1;

          if (*s.p != '"')
            return fail (&s, "expected a member name");
          if (!scan_string (&s))
            return FALSE;
          if (depth == 1 && root_key && !root_key (key, s.p - 1 - key, data, error))
            return FALSE;
          skip_space (&s);
          if (s.p == s.end || *s.p != ':')
            return fail (&s, "expected “:”");
          s.p++;
          state = VALUE;
        }
      else if (state == AFTER)
        {
          char closer;

          if (depth == 0)
            return fail (&s, "text after the end");
          closer = open[depth - 1] == '{' ? '}' : ']';
          if (*s.p == ',')
            {
              s.p++;
              state = open[depth - 1] == '{' ? KEY : VALUE;
            }
          else if (*s.p == closer)
            {
              s.p++;
              depth--;
            }
          else
            return fail (&s,
                         closer == '}' ? "expected “,” or “}”" : "expected “,” or “]”");
        }
      else if (*s.p == '{' || *s.p == '[')
        {
          char closer = *s.p == '{' ? '}' : ']';

          if (depth == MAX_DEPTH)
            return fail (&s, "nested too deeply");
          open[depth++] = *s.p++;
          skip_space (&s);
          if (s.p < s.end && *s.p == closer)
            {
              s.p++;
              depth--;
              state = AFTER;
            }
          else
            state = closer == '}' ? KEY : VALUE;
        }
      else
        {
          gboolean ok;

          if (*s.p == '"')
            ok = scan_string (&s);
          else if (*s.p == '-' || g_ascii_isdigit (*s.p))
            ok = scan_number (&s);
          else
            ok = scan_literal (&s);
          if (!ok)
            return FALSE;
          state = AFTER;
        }
    }
}

gboolean
gcp_json_check_strict (const char *text, gsize len, GError **error)
{
  return check_strict (text, len, FALSE, NULL, NULL, error);
}

gboolean
gcp_json_check_strict_keys (const char *text, gsize len, GcpJsonKeyFunc root_key,
                            gpointer data, GError **error)
{
  return check_strict (text, len, TRUE, root_key, data, error);
}
