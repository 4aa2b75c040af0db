/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Convolutions (and max-pooling) by oneDNN (issue 14; docs/ONEDNN.md): its
 * AVX-512 kernels over channel-blocked maps ran every ResNet-50 layer at
 * 150–215 GFLOP/s in a stand-alone test on this machine (100–250 inside the
 * network, Winograd counted as direct), where our kernels reach 70–135
 * outside Winograd (stride-2 3×3, 3×3 on 7×7, the 14×14 and 7×7 1×1 convs)
 * and ONNX Runtime's MLAS ~100–160. The price is the layout: a blocked map
 * (mcam-dnnl.h) costs a reorder to and from the engine's CNHW, so the graph
 * executor keeps maps blocked between the oneDNN nodes that pass them on
 * (graph/mcam-graph-dnnl.c).
 *
 * Per conv and per call geometry (batch, H, W, layouts, activation, a
 * residual or not) one prepared set: the convolution primitive (weights in
 * the layout it chose, reordered once; a residual as the "sum" post-op and
 * the activation as eltwise post-ops, so the output is written once), and
 * the reorders of a plain input or output. Scratch memory is the caller's
 * (scratchpad mode "user"): two threads may run the same conv at once.
 *
 * Threads: this oneDNN is built on OpenMP; each call sets the calling
 * thread's OpenMP team to the engine's thread count. */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mcam/mcam-blas.h"
#include "mcam-dnnl.h"

#ifdef MCAM_HAVE_DNNL

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

typedef struct _Prim Prim;
struct _Prim
{
  Prim              *next;
  int                B, H, W, threads;
  McamDnnlIo         io;
  McamConvAct        act;
  gboolean           failed;    /* oneDNN refused it: the caller's kernel runs */
  dnnl_primitive_t   conv;
  dnnl_memory_desc_t src_md, dst_md, wei_md, bias_md, scratch_md;
  dnnl_primitive_t   src_reorder;   /* plain input -> src_md, or NULL: read in place */
  dnnl_primitive_t   dst_reorder;   /* dst_md -> plain output, or NULL: written in place */
  dnnl_primitive_t   res_reorder;   /* residual -> dst_md, or NULL: copied as it is */
  dnnl_memory_desc_t res_md;
  float             *weights;       /* in wei_md; owned unless borrowed */
  gboolean           borrowed;
  gsize              src_off, dst_off, scratch_off, ws_floats;
};

typedef struct
{
  GMutex   lock;
  Prim    *prims;
  gboolean refused;   /* oneDNN refused a geometry: the engine's kernels run this conv */
} State;

static dnnl_engine_t engine;

gboolean
mcam_dnnl_available (void)
{
  static gsize avail = 0;

  if (g_once_init_enter (&avail))
    {
      gboolean ok = g_strcmp0 (g_getenv ("MCAM_DNNL"), "0") != 0 &&
                    dnnl_engine_create (&engine, dnnl_cpu, 0) == dnnl_success;

      g_once_init_leave (&avail, ok ? 2 : 1);
    }
  return avail == 2;
}

/* The eltwise post-ops of an activation; FALSE when oneDNN has none. */
static gboolean
append_act (dnnl_post_ops_t po, const McamConvAct *act)
{
  switch (act->kind)
    {
    case MCAM_VEC_NONE:
      return TRUE;
    case MCAM_VEC_CLIP:
      if (act->a == 0.0f && isinf (act->b) && act->b > 0)
        return po == NULL || dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_relu, 0.0f,
                                                           0.0f) == dnnl_success;
      return po == NULL || dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_clip, act->a,
                                                         act->b) == dnnl_success;
    case MCAM_VEC_SIGMOID:
      return po == NULL || dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_logistic, 0.0f,
                                                         0.0f) == dnnl_success;
    case MCAM_VEC_SILU:
      return po == NULL || dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_swish, 1.0f,
                                                         0.0f) == dnnl_success;
    case MCAM_VEC_HARD_SWISH:
      return po == NULL || dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_hardswish, 0.0f,
                                                         0.0f) == dnnl_success;
    case MCAM_VEC_HARD_SIGMOID:   /* max(0, min(1, a x + b)) */
      return po == NULL ||
             (dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_linear, act->a, act->b) ==
                dnnl_success &&
              dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_clip, 0.0f, 1.0f) ==
                dnnl_success);
    case MCAM_VEC_GELU:
      return po == NULL || dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_gelu_erf, 0.0f,
                                                         0.0f) == dnnl_success;
    default:
      return FALSE;
    }
}

static int
env_int (const char *name, int dflt)
{
  const char *e = g_getenv (name);

  return e != NULL && *e != '\0' ? atoi (e) : dflt;
}

gboolean
mcam_dnnl_takes (const McamConv *conv, int B, int H, int W, const McamConvAct *act)
{
  const State *st = conv->dnnl;

  /* every geometry: oneDNN's Winograd beat ours on 56x56 too (ResNet-50
   * 54.5 against 55.1 ms with our F(4x4) there) */
  return mcam_dnnl_available () && conv->kh == conv->kw && append_act (NULL, act) &&
         (st == NULL || !g_atomic_int_get (&st->refused));
}

static gboolean
use_wino (const McamConv *conv)
{
  return conv->kh == 3 && conv->stride == 1 && conv->pad == 1 && conv->groups <= 1 &&
         env_int ("MCAM_DNNL_WINO", 1);
}

static void
plain_md (dnnl_memory_desc_t *md, int B, int C, int H, int W)
{
  dnnl_dims_t dims = { B, C, H, W };
  dnnl_dims_t strides = { (gint64) H * W, (gint64) B * H * W, W, 1 };

  dnnl_memory_desc_init_by_strides (md, 4, dims, dnnl_f32, strides);
}

static void
blocked_md (dnnl_memory_desc_t *md, int B, int C, int H, int W)
{
  dnnl_dims_t dims = { B, C, H, W };

  dnnl_memory_desc_init_by_tag (md, 4, dims, dnnl_f32, dnnl_aBcd16b);
}

gsize
mcam_dnnl_blocked_size (int B, int C, int H, int W)
{
  return (gsize) B * ((C + 15) / 16 * 16) * H * W;
}

static gsize
floats_of (const dnnl_memory_desc_t *md)
{
  /* rounded to 64 bytes: the next buffer in the workspace stays aligned */
  return (dnnl_memory_desc_get_size (md) / sizeof (float) + 15) & ~(gsize) 15;
}

static dnnl_primitive_t
make_reorder (const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to)
{
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t p = NULL;

  if (dnnl_reorder_primitive_desc_create (&pd, from, engine, to, engine, NULL) != dnnl_success)
    return NULL;
  if (dnnl_primitive_create (&p, pd) != dnnl_success)
    p = NULL;
  dnnl_primitive_desc_destroy (pd);
  return p;
}

static void
exec_reorder (dnnl_primitive_t r, dnnl_stream_t s, const dnnl_memory_desc_t *from_md,
              const void *from, const dnnl_memory_desc_t *to_md, void *to)
{
  dnnl_memory_t a, b;

  dnnl_memory_create (&a, from_md, engine, (void *) from);
  dnnl_memory_create (&b, to_md, engine, to);
  {
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, a }, { DNNL_ARG_TO, b } };
    dnnl_primitive_execute (r, s, 2, args);
  }
  dnnl_memory_destroy (a);
  dnnl_memory_destroy (b);
}

static void
prim_free (Prim *p)
{
  if (p->conv)
    dnnl_primitive_destroy (p->conv);
  if (p->src_reorder)
    dnnl_primitive_destroy (p->src_reorder);
  if (p->dst_reorder)
    dnnl_primitive_destroy (p->dst_reorder);
  if (p->res_reorder)
    dnnl_primitive_destroy (p->res_reorder);
  if (!p->borrowed)
    g_aligned_free (p->weights);
  g_free (p);
}

void
_mcam_dnnl_conv_free (gpointer state)
{
  State *st = state;

  if (st == NULL)
    return;
  while (st->prims)
    {
      Prim *p = st->prims;

      st->prims = p->next;
      prim_free (p);
    }
  g_mutex_clear (&st->lock);
  g_free (st);
}

static void
stream_destroy (gpointer s)
{
  dnnl_stream_destroy (s);
}

/* One stream per thread that runs convolutions, kept for its life. */
static dnnl_stream_t
thread_stream (void)
{
  static GPrivate key = G_PRIVATE_INIT (stream_destroy);
  dnnl_stream_t s = g_private_get (&key);

  if (s == NULL && dnnl_stream_create (&s, engine, dnnl_stream_default_flags) == dnnl_success)
    g_private_set (&key, s);
  return s;
}

/* Build the set for one geometry; p->failed when oneDNN refuses it. */
static void
prepare (const McamConv *conv, State *st, Prim *p)
{
  int B = p->B, H = p->H, W = p->W;
  int OH = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int OW = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);
  dnnl_memory_desc_t src_want, dst_want, wei_any, in_plain, out_plain;
  dnnl_convolution_desc_t cd;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  dnnl_primitive_desc_t pd = NULL;
  int G = MAX (conv->groups, 1), wn = G > 1 ? 5 : 4;
  /* grouped: [G][out_c / G][in_c / G][kh][kw] */
  dnnl_dims_t wd = { conv->out_c, conv->in_c, conv->kh, conv->kw }, bd = { conv->out_c };
  dnnl_dims_t wdg = { G, conv->out_c / G, conv->in_c / G, conv->kh, conv->kw };
  dnnl_dims_t strides = { conv->stride, conv->stride }, pads = { conv->pad, conv->pad };
  gsize off = 0;

  p->failed = TRUE;
  plain_md (&in_plain, B, conv->in_c, H, W);
  plain_md (&out_plain, B, conv->out_c, OH, OW);
  if (p->io.in_blocked)
    blocked_md (&src_want, B, conv->in_c, H, W);
  else
    {
      dnnl_dims_t d = { B, conv->in_c, H, W };
      dnnl_memory_desc_init_by_tag (&src_want, 4, d, dnnl_f32, dnnl_format_tag_any);
    }
  if (p->io.out_blocked)
    blocked_md (&dst_want, B, conv->out_c, OH, OW);
  else
    {
      dnnl_dims_t d = { B, conv->out_c, OH, OW };
      dnnl_memory_desc_init_by_tag (&dst_want, 4, d, dnnl_f32, dnnl_format_tag_any);
    }
  dnnl_memory_desc_init_by_tag (&wei_any, wn, G > 1 ? wdg : wd, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag (&p->bias_md, 1, bd, dnnl_f32, dnnl_x);
  dnnl_primitive_attr_create (&attr);
  dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user);
  dnnl_post_ops_create (&po);
  if ((p->io.has_res && dnnl_post_ops_append_sum (po, 1.0f) != dnnl_success) ||
      !append_act (po, &p->act) || dnnl_primitive_attr_set_post_ops (attr, po) != dnnl_success)
    goto out;
  for (int wino = use_wino (conv); wino >= 0 && pd == NULL; wino--)
    if (dnnl_convolution_forward_desc_init (&cd, dnnl_forward_inference,
                                            wino ? dnnl_convolution_winograd
                                                 : dnnl_convolution_direct,
                                            &src_want, &wei_any, &p->bias_md, &dst_want, strides,
                                            pads, pads) != dnnl_success ||
        dnnl_primitive_desc_create (&pd, &cd, attr, engine, NULL) != dnnl_success)
      pd = NULL;
  if (pd == NULL)
    goto out;
  /* oneDNN's reference kernels are plain loops, hundreds of times slower
   * than ours (a grouped conv of 4-channel groups on blocked maps took
   * ResNeXt-50 to 4.3 s): the engine's kernel runs such a conv */
  {
    const char *impl = NULL;

    if (dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success ||
        impl == NULL || g_str_has_prefix (impl, "ref"))
      goto out;
  }
  p->src_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
  p->dst_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
  p->wei_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  p->scratch_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  if (dnnl_primitive_create (&p->conv, pd) != dnnl_success)
    {
      p->conv = NULL;
      goto out;
    }
  /* a plain input or output through a buffer of the workspace, unless the
   * conv takes the plain layout as it is (the stem's 3-channel input) */
  if (!p->io.in_blocked && !dnnl_memory_desc_equal (&p->src_md, &in_plain))
    {
      if ((p->src_reorder = make_reorder (&in_plain, &p->src_md)) == NULL)
        goto out;
      p->src_off = off;
      off += floats_of (&p->src_md);
    }
  if (!p->io.out_blocked && !dnnl_memory_desc_equal (&p->dst_md, &out_plain))
    {
      if ((p->dst_reorder = make_reorder (&p->dst_md, &out_plain)) == NULL)
        goto out;
      p->dst_off = off;
      off += floats_of (&p->dst_md);
    }
  if (p->io.has_res)
    {
      if (p->io.res_blocked)
        blocked_md (&p->res_md, B, conv->out_c, OH, OW);
      else
        p->res_md = out_plain;
      if (!dnnl_memory_desc_equal (&p->res_md, &p->dst_md) &&
          (p->res_reorder = make_reorder (&p->res_md, &p->dst_md)) == NULL)
        goto out;
    }
  p->scratch_off = off;
  off += floats_of (&p->scratch_md);
  p->ws_floats = off;

  /* the weights in the chosen layout: shared with an earlier geometry that
   * chose the same */
  for (Prim *q = st->prims; q != NULL; q = q->next)
    if (!q->failed && q->weights != NULL && dnnl_memory_desc_equal (&q->wei_md, &p->wei_md))
      {
        p->weights = q->weights;
        p->borrowed = TRUE;
        break;
      }
  if (p->weights == NULL)
    {
      dnnl_memory_desc_t wei_plain;
      dnnl_primitive_t r;
      dnnl_stream_t s = thread_stream ();

      dnnl_memory_desc_init_by_tag (&wei_plain, wn, G > 1 ? wdg : wd, dnnl_f32,
                                    G > 1 ? dnnl_goihw : dnnl_oihw);
      p->weights = g_aligned_alloc0 (floats_of (&p->wei_md), sizeof (float), 64);
      if (s == NULL || (r = make_reorder (&wei_plain, &p->wei_md)) == NULL)
        goto out;
      exec_reorder (r, s, &wei_plain, conv->weight, &p->wei_md, p->weights);
      dnnl_stream_wait (s);
      dnnl_primitive_destroy (r);
    }
  p->failed = FALSE;
out:
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  dnnl_post_ops_destroy (po);
  dnnl_primitive_attr_destroy (attr);
}

static gboolean
same_act (const McamConvAct *a, const McamConvAct *b)
{
  return a->kind == b->kind && (a->kind == MCAM_VEC_NONE || (a->a == b->a && a->b == b->b));
}

/* The prepared set for this call, made on first use. */
static Prim *
lookup (const McamConv *conv, int B, int H, int W, const McamDnnlIo *io, const McamConvAct *act)
{
  McamConv *c = (McamConv *) conv;
  int threads = mcam_blas_get_threads ();
  State *st;
  Prim *p;

  if (g_once_init_enter (&c->dnnl))
    {
      State *s = g_new0 (State, 1);

      g_mutex_init (&s->lock);
      g_once_init_leave (&c->dnnl, s);
    }
  st = c->dnnl;
  /* oneDNN fixes a primitive's thread count when it is made (the calling
   * thread's OpenMP team size): set it first, and keep one per count */
  if (omp_get_max_threads () != threads)
    omp_set_num_threads (threads);
  g_mutex_lock (&st->lock);
  for (p = st->prims; p != NULL; p = p->next)
    if (p->B == B && p->H == H && p->W == W && p->threads == threads &&
        p->io.in_blocked == io->in_blocked &&
        p->io.out_blocked == io->out_blocked && p->io.has_res == io->has_res &&
        (!io->has_res || p->io.res_blocked == io->res_blocked) && same_act (&p->act, act))
      break;
  if (p == NULL)
    {
      p = g_new0 (Prim, 1);
      p->B = B;
      p->H = H;
      p->W = W;
      p->threads = threads;
      p->io = *io;
      p->act = *act;
      prepare (conv, st, p);
      if (p->failed)
        g_atomic_int_set (&st->refused, TRUE);
      p->next = st->prims;
      st->prims = p;
    }
  g_mutex_unlock (&st->lock);
  return p;
}

gsize
mcam_dnnl_workspace_size (const McamConv *conv, int B, int H, int W, const McamDnnlIo *io,
                          const McamConvAct *act)
{
  Prim *p = lookup (conv, B, H, W, io, act);

  return p->failed ? 0 : p->ws_floats + 16;
}

gboolean
mcam_dnnl_forward (const McamConv *conv, int B, int H, int W, const McamDnnlIo *io,
                   const float *in, float *out, const float *res, const McamConvAct *act,
                   float *workspace)
{
  Prim *p = lookup (conv, B, H, W, io, act);
  dnnl_stream_t s = thread_stream ();
  const float *src = in;
  float *dst = out, *ws;
  dnnl_memory_t m[5];

  if (p->failed || s == NULL)
    return FALSE;
  /* the workspace aligned to 64 bytes for oneDNN's buffers */
  ws = (float *) (((guintptr) workspace + 63) & ~(guintptr) 63);
  if (p->src_reorder)
    {
      dnnl_memory_desc_t in_plain;

      plain_md (&in_plain, B, conv->in_c, H, W);
      exec_reorder (p->src_reorder, s, &in_plain, in, &p->src_md, ws + p->src_off);
      src = ws + p->src_off;
    }
  if (p->dst_reorder)
    dst = ws + p->dst_off;
  if (p->io.has_res)
    {
      if (p->res_reorder)
        exec_reorder (p->res_reorder, s, &p->res_md, res, &p->dst_md, dst);
      else if (res != dst)
        memcpy (dst, res, dnnl_memory_desc_get_size (&p->dst_md));
    }
  dnnl_memory_create (&m[0], &p->src_md, engine, (void *) src);
  dnnl_memory_create (&m[1], &p->wei_md, engine, p->weights);
  dnnl_memory_create (&m[2], &p->bias_md, engine, conv->bias);
  dnnl_memory_create (&m[3], &p->dst_md, engine, dst);
  dnnl_memory_create (&m[4], &p->scratch_md, engine, ws + p->scratch_off);
  {
    dnnl_exec_arg_t args[5] = { { DNNL_ARG_SRC, m[0] },     { DNNL_ARG_WEIGHTS, m[1] },
                                { DNNL_ARG_BIAS, m[2] },    { DNNL_ARG_DST, m[3] },
                                { DNNL_ARG_SCRATCHPAD, m[4] } };

    dnnl_primitive_execute (p->conv, s, 5, args);
  }
  for (int i = 0; i < 5; i++)
    dnnl_memory_destroy (m[i]);
  if (p->dst_reorder)
    {
      dnnl_memory_desc_t out_plain;
      int OH = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
      int OW = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);

      plain_md (&out_plain, B, conv->out_c, OH, OW);
      exec_reorder (p->dst_reorder, s, &p->dst_md, dst, &out_plain, out);
    }
  dnnl_stream_wait (s);
  return TRUE;
}

void
mcam_dnnl_reorder (int B, int C, int H, int W, const float *src, gboolean src_blocked,
                   float *dst)
{
  dnnl_memory_desc_t pl, bl;
  dnnl_primitive_t r;
  dnnl_stream_t s;

  g_return_if_fail (mcam_dnnl_available ());
  s = thread_stream ();
  plain_md (&pl, B, C, H, W);
  blocked_md (&bl, B, C, H, W);
  r = src_blocked ? make_reorder (&bl, &pl) : make_reorder (&pl, &bl);
  g_return_if_fail (r != NULL && s != NULL);
  if (src_blocked)
    exec_reorder (r, s, &bl, src, &pl, dst);
  else
    exec_reorder (r, s, &pl, src, &bl, dst);
  dnnl_stream_wait (s);
  dnnl_primitive_destroy (r);
}

gsize
_mcam_dnnl_weight_bytes (const McamConv *conv)
{
  State *st = conv->dnnl;
  gsize n = 0;

  if (st == NULL)
    return 0;
  g_mutex_lock (&st->lock);
  for (Prim *p = st->prims; p != NULL; p = p->next)
    if (!p->failed && !p->borrowed && p->weights != NULL)
      n += dnnl_memory_desc_get_size (&p->wei_md);
  g_mutex_unlock (&st->lock);
  return n;
}

/* ---- max-pooling of blocked maps ------------------------------------------ */

typedef struct _PoolPrim PoolPrim;
struct _PoolPrim
{
  PoolPrim          *next;
  int                B, C, H, W, threads;
  dnnl_primitive_t   pool;    /* NULL: oneDNN refused it */
  dnnl_memory_desc_t src_md, dst_md, scratch_md;
};

typedef struct
{
  GMutex    lock;
  PoolPrim *prims;
  int       k, stride, pad;
  gboolean  refused;   /* a geometry was refused: the engine's pooling runs the layer */
} PoolState;

gpointer
mcam_dnnl_maxpool_new (int k, int stride, int pad)
{
  PoolState *st = g_new0 (PoolState, 1);

  g_mutex_init (&st->lock);
  st->k = k;
  st->stride = stride;
  st->pad = pad;
  return st;
}

void
mcam_dnnl_maxpool_free (gpointer state)
{
  PoolState *st = state;

  if (st == NULL)
    return;
  while (st->prims)
    {
      PoolPrim *p = st->prims;

      st->prims = p->next;
      if (p->pool)
        dnnl_primitive_destroy (p->pool);
      g_free (p);
    }
  g_mutex_clear (&st->lock);
  g_free (st);
}

static PoolPrim *
pool_lookup (PoolState *st, int B, int C, int H, int W)
{
  int threads = mcam_blas_get_threads ();
  PoolPrim *p;

  if (omp_get_max_threads () != threads)
    omp_set_num_threads (threads);
  g_mutex_lock (&st->lock);
  for (p = st->prims; p != NULL; p = p->next)
    if (p->B == B && p->C == C && p->H == H && p->W == W && p->threads == threads)
      break;
  if (p == NULL)
    {
      int OH = mcam_conv_out_size (H, st->k, st->stride, st->pad);
      int OW = mcam_conv_out_size (W, st->k, st->stride, st->pad);
      dnnl_dims_t strides = { st->stride, st->stride }, kernel = { st->k, st->k };
      dnnl_dims_t pads = { st->pad, st->pad };
      dnnl_pooling_desc_t pd_desc;
      dnnl_primitive_attr_t attr;
      dnnl_primitive_desc_t pd = NULL;

      p = g_new0 (PoolPrim, 1);
      p->B = B, p->C = C, p->H = H, p->W = W, p->threads = threads;
      blocked_md (&p->src_md, B, C, H, W);
      blocked_md (&p->dst_md, B, C, OH, OW);
      dnnl_primitive_attr_create (&attr);
      dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user);
      if (OH > 0 && OW > 0 &&
          dnnl_pooling_forward_desc_init (&pd_desc, dnnl_forward_inference, dnnl_pooling_max,
                                          &p->src_md, &p->dst_md, strides, kernel, pads,
                                          pads) == dnnl_success &&
          dnnl_primitive_desc_create (&pd, &pd_desc, attr, engine, NULL) == dnnl_success)
        {
          p->scratch_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
          if (dnnl_primitive_create (&p->pool, pd) != dnnl_success)
            p->pool = NULL;
        }
      if (pd)
        dnnl_primitive_desc_destroy (pd);
      dnnl_primitive_attr_destroy (attr);
      if (p->pool == NULL)
        g_atomic_int_set (&st->refused, TRUE);
      p->next = st->prims;
      st->prims = p;
    }
  g_mutex_unlock (&st->lock);
  return p;
}

gboolean
mcam_dnnl_maxpool_usable (gpointer state)
{
  PoolState *st = state;

  return st != NULL && !g_atomic_int_get (&st->refused);
}

gsize
mcam_dnnl_maxpool_workspace_size (gpointer state, int B, int C, int H, int W)
{
  PoolPrim *p = pool_lookup (state, B, C, H, W);

  return p->pool == NULL ? 0 : floats_of (&p->scratch_md) + 16;
}

gboolean
mcam_dnnl_maxpool (gpointer state, int B, int C, int H, int W, const float *in, float *out,
                   float *workspace)
{
  PoolPrim *p = pool_lookup (state, B, C, H, W);
  dnnl_stream_t s = thread_stream ();
  float *ws = (float *) (((guintptr) workspace + 63) & ~(guintptr) 63);
  dnnl_memory_t m[3];

  if (p->pool == NULL || s == NULL)
    return FALSE;
  dnnl_memory_create (&m[0], &p->src_md, engine, (void *) in);
  dnnl_memory_create (&m[1], &p->dst_md, engine, out);
  dnnl_memory_create (&m[2], &p->scratch_md, engine, ws);
  {
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, m[0] }, { DNNL_ARG_DST, m[1] },
                                { DNNL_ARG_SCRATCHPAD, m[2] } };

    dnnl_primitive_execute (p->pool, s, 3, args);
  }
  dnnl_stream_wait (s);
  for (int i = 0; i < 3; i++)
    dnnl_memory_destroy (m[i]);
  return TRUE;
}

#else /* no oneDNN at build time */

gpointer mcam_dnnl_maxpool_new (int k, int stride, int pad) { return NULL; }
void mcam_dnnl_maxpool_free (gpointer state) { }
gboolean mcam_dnnl_maxpool_usable (gpointer state) { return FALSE; }
gsize mcam_dnnl_maxpool_workspace_size (gpointer state, int B, int C, int H, int W) { return 0; }
gboolean mcam_dnnl_maxpool (gpointer state, int B, int C, int H, int W, const float *in,
                            float *out, float *workspace) { return FALSE; }

gboolean mcam_dnnl_available (void) { return FALSE; }
gboolean mcam_dnnl_takes (const McamConv *conv, int B, int H, int W, const McamConvAct *act) { return FALSE; }
gsize mcam_dnnl_blocked_size (int B, int C, int H, int W) { return (gsize) B * C * H * W; }
gsize mcam_dnnl_workspace_size (const McamConv *conv, int B, int H, int W,
                                const McamDnnlIo *io, const McamConvAct *act) { return 0; }
gboolean mcam_dnnl_forward (const McamConv *conv, int B, int H, int W, const McamDnnlIo *io,
                            const float *in, float *out, const float *res,
                            const McamConvAct *act, float *workspace) { return FALSE; }
void mcam_dnnl_reorder (int B, int C, int H, int W, const float *src, gboolean src_blocked,
                        float *dst) { g_return_if_reached (); }
void _mcam_dnnl_conv_free (gpointer state) { }
gsize _mcam_dnnl_weight_bytes (const McamConv *conv) { return 0; }

#endif
