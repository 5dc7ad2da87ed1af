/* The oneDNN calls whose form differs between oneDNN 2 (Debian 12) and 3
 * (Debian 13): oneDNN 3 made memory descriptors opaque handles, dropped
 * operation descriptors (primitive descriptors are made in one call), and
 * took the scale out of the eltwise post-op.  Kernels describe memories as
 * GcutDnnlLayout values and make their primitive descriptors here; this layer
 * (dnnl-compat.c) is the only code that looks at DNNL_VERSION_MAJOR. */
#pragma once

#include <glib.h>
#include <oneapi/dnnl/dnnl.h>

/* A memory descriptor: GcutDnnlMd * is the handle in both versions (oneDNN
 * 3's dnnl_memory_desc_t, a pointer to oneDNN 2's struct), and
 * const GcutDnnlMd * what oneDNN's queries return and its calls take. */
#if DNNL_VERSION_MAJOR >= 3
typedef struct dnnl_memory_desc GcutDnnlMd;
#else
typedef dnnl_memory_desc_t GcutDnnlMd;
#endif

/* A memory layout: dims in a format tag (dnnl_format_tag_any lets the
 * primitive choose), or with tag dnnl_format_tag_undef, in strides. */
typedef struct
{
  int ndims;
  dnnl_dims_t dims;
  dnnl_data_type_t type;
  dnnl_format_tag_t tag;
  dnnl_dims_t strides;
} GcutDnnlLayout;

/* A descriptor of layout, to be freed with gcut_dnnl_md_free. */
dnnl_status_t gcut_dnnl_md_new (GcutDnnlMd **md, const GcutDnnlLayout *layout);
void gcut_dnnl_md_free (GcutDnnlMd *md);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GcutDnnlMd, gcut_dnnl_md_free)
/* TRUE when md's layout has padding lanes (3 channels in blocks of 16, say). */
gboolean gcut_dnnl_md_is_padded (const GcutDnnlMd *md);

typedef enum
{
  GCUT_CONV_FORWARD,
  GCUT_CONV_BACKWARD_DATA,
  GCUT_CONV_BACKWARD_WEIGHTS
} GcutConvPass;

/* One pass of a convolution x → y with weights w (a deconvolution when
 * transposed, whose algorithm is always direct), in forward terms. */
typedef struct
{
  gboolean transposed;
  GcutConvPass pass;
  dnnl_alg_kind_t alg;
  GcutDnnlLayout x, w, y;
  const GcutDnnlLayout *bias; /* forward only; NULL: none */
  dnnl_dims_t strides, pad_l, pad_r;
} GcutDnnlConv;

/* Backward passes take the forward pd they are chosen against as hint. */
dnnl_status_t gcut_dnnl_conv_pd (dnnl_primitive_desc_t *pd, const GcutDnnlConv *conv,
                                 const_dnnl_primitive_attr_t attr,
                                 const_dnnl_primitive_desc_t hint);
/* dst = src·weights (+ bias: NULL for none). */
dnnl_status_t gcut_dnnl_matmul_pd (dnnl_primitive_desc_t *pd, const GcutDnnlLayout *src,
                                   const GcutDnnlLayout *weights,
                                   const GcutDnnlLayout *bias, const GcutDnnlLayout *dst,
                                   const_dnnl_primitive_attr_t attr);
/* An unscaled eltwise post-op. */
dnnl_status_t gcut_dnnl_post_ops_append_eltwise (dnnl_post_ops_t post_ops,
                                                 dnnl_alg_kind_t alg, float alpha);
