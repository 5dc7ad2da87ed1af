/* oneDNN 2 and 3 behind one interface (dnnl-compat.h): the oneDNN 3 forms
 * first, then the oneDNN 2 ones, then what both share. */
#include <string.h>

#include "cpu-private.h"

#if DNNL_VERSION_MAJOR >= 3

dnnl_status_t
gcut_dnnl_md_new (GcutDnnlMd **md, const GcutDnnlLayout *l)
{
  *md = NULL;
  if (l->tag == dnnl_format_tag_undef)
    return dnnl_memory_desc_create_with_strides (md, l->ndims, l->dims, l->type,
                                                 l->strides);
  return dnnl_memory_desc_create_with_tag (md, l->ndims, l->dims, l->type, l->tag);
}

void
gcut_dnnl_md_free (GcutDnnlMd *md)
{
  if (md)
    dnnl_memory_desc_destroy (md);
}

gboolean
gcut_dnnl_md_is_padded (const GcutDnnlMd *md)
{
  int ndims = 0;
  const dnnl_dims_t *dims = NULL, *padded = NULL;

  if (dnnl_memory_desc_query (md, dnnl_query_ndims_s32, &ndims) != dnnl_success
      || dnnl_memory_desc_query (md, dnnl_query_dims, &dims) != dnnl_success
      || dnnl_memory_desc_query (md, dnnl_query_padded_dims, &padded) != dnnl_success)
    return FALSE;
  return memcmp (*dims, *padded, ndims * sizeof (dnnl_dim_t)) != 0;
}

static dnnl_status_t
conv_pd (dnnl_primitive_desc_t *pd, const GcutDnnlConv *c, const GcutDnnlMd *x,
         const GcutDnnlMd *w, const GcutDnnlMd *b, const GcutDnnlMd *y,
         const_dnnl_primitive_attr_t attr, const_dnnl_primitive_desc_t hint)
{
  static const dnnl_dims_t no_dilation = { 0 };
  dnnl_engine_t e = gcut_cpu_engine ();

  if (c->transposed)
    switch (c->pass)
      {
      case GCUT_CONV_FORWARD:
        return dnnl_deconvolution_forward_primitive_desc_create (
            pd, e, dnnl_forward_training, dnnl_deconvolution_direct, x, w, b, y,
            c->strides, no_dilation, c->pad_l, c->pad_r, attr);
      case GCUT_CONV_BACKWARD_DATA:
        return dnnl_deconvolution_backward_data_primitive_desc_create (
            pd, e, dnnl_deconvolution_direct, x, w, y, c->strides, no_dilation, c->pad_l,
            c->pad_r, hint, attr);
      default:
        return dnnl_deconvolution_backward_weights_primitive_desc_create (
            pd, e, dnnl_deconvolution_direct, x, w, NULL, y, c->strides, no_dilation,
            c->pad_l, c->pad_r, hint, attr);
      }
  switch (c->pass)
    {
    case GCUT_CONV_FORWARD:
      return dnnl_convolution_forward_primitive_desc_create (
          pd, e, dnnl_forward_training, c->alg, x, w, b, y, c->strides, no_dilation,
          c->pad_l, c->pad_r, attr);
    case GCUT_CONV_BACKWARD_DATA:
      return dnnl_convolution_backward_data_primitive_desc_create (
          pd, e, c->alg, x, w, y, c->strides, no_dilation, c->pad_l, c->pad_r, hint,
          attr);
    default:
      return dnnl_convolution_backward_weights_primitive_desc_create (
          pd, e, c->alg, x, w, NULL, y, c->strides, no_dilation, c->pad_l, c->pad_r, hint,
          attr);
    }
}

static dnnl_status_t
matmul_pd (dnnl_primitive_desc_t *pd, const GcutDnnlMd *src, const GcutDnnlMd *weights,
           const GcutDnnlMd *bias, const GcutDnnlMd *dst,
           const_dnnl_primitive_attr_t attr)
{
  return dnnl_matmul_primitive_desc_create (pd, gcut_cpu_engine (), src, weights, bias,
                                            dst, attr);
}

dnnl_status_t
gcut_dnnl_post_ops_append_eltwise (dnnl_post_ops_t post_ops, dnnl_alg_kind_t alg,
                                   float alpha)
{
  return dnnl_post_ops_append_eltwise (post_ops, alg, alpha, 0.f);
}

#else /* oneDNN 2 */

dnnl_status_t
gcut_dnnl_md_new (GcutDnnlMd **md, const GcutDnnlLayout *l)
{
  dnnl_status_t status;

  *md = g_new0 (GcutDnnlMd, 1);
  if (l->tag == dnnl_format_tag_undef)
    status
        = dnnl_memory_desc_init_by_strides (*md, l->ndims, l->dims, l->type, l->strides);
  else
    status = dnnl_memory_desc_init_by_tag (*md, l->ndims, l->dims, l->type, l->tag);
  if (status != dnnl_success)
    g_clear_pointer (md, g_free);
  return status;
}

void
gcut_dnnl_md_free (GcutDnnlMd *md)
{
  g_free (md);
}

gboolean
gcut_dnnl_md_is_padded (const GcutDnnlMd *md)
{
  return memcmp (md->dims, md->padded_dims, md->ndims * sizeof (dnnl_dim_t)) != 0;
}

static dnnl_status_t
conv_desc (dnnl_convolution_desc_t *d, const GcutDnnlConv *c, const GcutDnnlMd *x,
           const GcutDnnlMd *w, const GcutDnnlMd *b, const GcutDnnlMd *y)
{
  if (c->transposed)
    switch (c->pass)
      {
      case GCUT_CONV_FORWARD:
        return dnnl_deconvolution_forward_desc_init (d, dnnl_forward_training,
                                                     dnnl_deconvolution_direct, x, w, b,
                                                     y, c->strides, c->pad_l, c->pad_r);
      case GCUT_CONV_BACKWARD_DATA:
        return dnnl_deconvolution_backward_data_desc_init (
            d, dnnl_deconvolution_direct, x, w, y, c->strides, c->pad_l, c->pad_r);
      default:
        return dnnl_deconvolution_backward_weights_desc_init (
            d, dnnl_deconvolution_direct, x, w, NULL, y, c->strides, c->pad_l, c->pad_r);
      }
  switch (c->pass)
    {
    case GCUT_CONV_FORWARD:
      return dnnl_convolution_forward_desc_init (d, dnnl_forward_training, c->alg, x, w,
                                                 b, y, c->strides, c->pad_l, c->pad_r);
    case GCUT_CONV_BACKWARD_DATA:
      return dnnl_convolution_backward_data_desc_init (d, c->alg, x, w, y, c->strides,
                                                       c->pad_l, c->pad_r);
    default:
      return dnnl_convolution_backward_weights_desc_init (d, c->alg, x, w, NULL, y,
                                                          c->strides, c->pad_l, c->pad_r);
    }
}

static dnnl_status_t
conv_pd (dnnl_primitive_desc_t *pd, const GcutDnnlConv *c, const GcutDnnlMd *x,
         const GcutDnnlMd *w, const GcutDnnlMd *b, const GcutDnnlMd *y,
         const_dnnl_primitive_attr_t attr, const_dnnl_primitive_desc_t hint)
{
  dnnl_convolution_desc_t d;
  dnnl_status_t status = conv_desc (&d, c, x, w, b, y);

  if (status != dnnl_success)
    return status;
  return dnnl_primitive_desc_create (pd, &d, attr, gcut_cpu_engine (), hint);
}

static dnnl_status_t
matmul_pd (dnnl_primitive_desc_t *pd, const GcutDnnlMd *src, const GcutDnnlMd *weights,
           const GcutDnnlMd *bias, const GcutDnnlMd *dst,
           const_dnnl_primitive_attr_t attr)
{
  dnnl_matmul_desc_t d;
  dnnl_status_t status = dnnl_matmul_desc_init (&d, src, weights, bias, dst);

  if (status != dnnl_success)
    return status;
  return dnnl_primitive_desc_create (pd, &d, attr, gcut_cpu_engine (), NULL);
}

dnnl_status_t
gcut_dnnl_post_ops_append_eltwise (dnnl_post_ops_t post_ops, dnnl_alg_kind_t alg,
                                   float alpha)
{
  return dnnl_post_ops_append_eltwise (post_ops, 1.f, alg, alpha, 0.f);
}

#endif

/* Descriptors of the 4 layouts, NULL where a layout is NULL. */
static dnnl_status_t
mds_new (GcutDnnlMd *md[4], const GcutDnnlLayout *const layout[4])
{
  for (int i = 0; i < 4; i++)
    {
      dnnl_status_t status
          = layout[i] ? gcut_dnnl_md_new (&md[i], layout[i]) : dnnl_success;
      if (status != dnnl_success)
        return status;
    }
  return dnnl_success;
}

static void
mds_free (GcutDnnlMd *md[4])
{
  for (int i = 0; i < 4; i++)
    gcut_dnnl_md_free (md[i]);
}

dnnl_status_t
gcut_dnnl_conv_pd (dnnl_primitive_desc_t *pd, const GcutDnnlConv *conv,
                   const_dnnl_primitive_attr_t attr, const_dnnl_primitive_desc_t hint)
{
  const GcutDnnlLayout *const layout[4] = { &conv->x, &conv->w, conv->bias, &conv->y };
  GcutDnnlMd *md[4] = { NULL };
  dnnl_status_t status = mds_new (md, layout);

  *pd = NULL;
  if (status == dnnl_success)
    status = conv_pd (pd, conv, md[0], md[1], md[2], md[3], attr, hint);
  if (status != dnnl_success)
    *pd = NULL;
  mds_free (md);
  return status;
}

dnnl_status_t
gcut_dnnl_matmul_pd (dnnl_primitive_desc_t *pd, const GcutDnnlLayout *src,
                     const GcutDnnlLayout *weights, const GcutDnnlLayout *bias,
                     const GcutDnnlLayout *dst, const_dnnl_primitive_attr_t attr)
{
  const GcutDnnlLayout *const layout[4] = { src, weights, bias, dst };
  GcutDnnlMd *md[4] = { NULL };
  dnnl_status_t status = mds_new (md, layout);

  *pd = NULL;
  if (status == dnnl_success)
    status = matmul_pd (pd, md[0], md[1], md[2], md[3], attr);
  if (status != dnnl_success)
    *pd = NULL;
  mds_free (md);
  return status;
}
