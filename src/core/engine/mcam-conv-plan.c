/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The choice of convolution kernel, by measurement: Winograd F(4x4) or
 * F(2x2), the own 1x1 kernel (mcam-pointwise.c), the few-columns kernel
 * (mcam-smalln.c), im2col + the 1x1 kernel for few output channels, or
 * im2col + OpenBLAS; and the packed weights each reads. Every rule says
 * what was measured (one thread unless said; ms per layer). Environment
 * switches for A/B runs: MCAM_WINOGRAD_MIN_TILES, MCAM_WINOGRAD4_MIN_TILES,
 * MCAM_POINTWISE, MCAM_SMALLN_MAX. */

#include "config.h"

#include "mcam-conv-plan.h"

#define MCAM_WINOGRAD_MIN_TILES_DEFAULT 32
#define MCAM_WINOGRAD4_MIN_TILES_DEFAULT 128

/* The Winograd weights are made on first use, not at load: a layer that
 * never runs with enough tiles (layer4 at batch 1) never pays 16/9 of its
 * weights in memory. g_once makes concurrent first calls safe. The cache
 * is the one thing a forward writes into a const McamConv. */
const float *
_mcam_conv_winograd_weights (const McamConv *conv)
{
  McamConv *mut = (McamConv *) conv;

  if (g_once_init_enter (&mut->wino))
    g_once_init_leave (&mut->wino, mcam_winograd_transform_weights (conv));
  return conv->wino;
}

const float *
_mcam_conv_winograd4_weights (const McamConv *conv)
{
  McamConv *mut = (McamConv *) conv;

  if (g_once_init_enter (&mut->wino4))
    g_once_init_leave (&mut->wino4, mcam_winograd4_transform_weights (conv));
  return conv->wino4;
}

/* Winograd pays off when its 16 GEMMs are wide enough: with few tiles
 * (a 7x7 map at batch 1 is 16 tiles) they run so far below the GEMM peak
 * that im2col's single, 9x deeper GEMM is faster despite 2.25x the work.
 * MCAM_WINOGRAD_MIN_TILES overrides the threshold (0 disables Winograd),
 * for benchmarks; tests set it with mcam_conv_set_winograd_min_tiles().
 * F(4x4) likewise with its own threshold (4x4 tiles). */
static gint64 winograd_min_tiles = -1, winograd4_min_tiles = -1;

void
mcam_conv_set_winograd_min_tiles (gint64 n)
{
  __atomic_store_n (&winograd_min_tiles, n > 0 ? n : G_MAXINT64, __ATOMIC_RELAXED);
}

void
mcam_conv_set_winograd4_min_tiles (gint64 n)
{
  __atomic_store_n (&winograd4_min_tiles, n > 0 ? n : G_MAXINT64, __ATOMIC_RELAXED);
}

static gint64
min_tiles_setting (gint64 *var, const char *env_name, gint64 dflt)
{
  gint64 v = __atomic_load_n (var, __ATOMIC_RELAXED);

  if (v < 0)
    {
      const char *env = g_getenv (env_name);

      v = env ? g_ascii_strtoll (env, NULL, 10) : dflt;
      v = v > 0 ? v : G_MAXINT64;
      __atomic_store_n (var, v, __ATOMIC_RELAXED);
    }
  return v;
}

gboolean
_mcam_conv_is_pointwise (const McamConv *conv)
{
  return conv->kh == 1 && conv->kw == 1 && conv->stride == 1 && conv->pad == 0;
}

static gint pointwise_enabled (void);

static McamWinoKind
winograd_by_tiles (const McamConv *conv, int B, int H, int W)
{
  /* MCAM_WINOGRAD_MIN_TILES=0 turns both variants off */
  if (!mcam_winograd_applies (conv) ||
      min_tiles_setting (&winograd_min_tiles, "MCAM_WINOGRAD_MIN_TILES",
                         MCAM_WINOGRAD_MIN_TILES_DEFAULT) == G_MAXINT64)
    return MCAM_WINO_NONE;
  if (mcam_winograd4_available () &&
      (gint64) B * ((H + 3) / 4) * ((W + 3) / 4) >=
      min_tiles_setting (&winograd4_min_tiles, "MCAM_WINOGRAD4_MIN_TILES",
                         MCAM_WINOGRAD4_MIN_TILES_DEFAULT))
    return MCAM_WINO_4;
  if ((gint64) B * ((H + 1) / 2) * ((W + 1) / 2) >=
      min_tiles_setting (&winograd_min_tiles, "MCAM_WINOGRAD_MIN_TILES",
                         MCAM_WINOGRAD_MIN_TILES_DEFAULT))
    return MCAM_WINO_2;
  return MCAM_WINO_NONE;
}

/* A convolution of few output channels — the groups of ResNeXt (4-32
 * channels) and RegNet (8) — as im2col and the 1x1 kernel's 8-row tiles
 * over the im2col rows (mcam-pointwise.c), where that measured faster
 * (one thread, batch 1, ms per layer, OpenBLAS or Winograd / own): where
 * F(2x2)'s 16 products would be small, 14x14 maps (ResNeXt-50 512>512 in
 * 32 groups 1.45 / 0.95; RegNetY-400MF 208>208 in 26 groups 0.54 / 0.33),
 * and on large maps (RegNetY 48>48 s2 on 112x112, 3136 outputs, 0.83 /
 * 0.68). Elsewhere the kernel's 48-pixel tile or its 8 rows lose: 7x7
 * maps (49 = 48 + 1 pixels, 0.28 / 0.34), 4-channel groups (ResNeXt layer1
 * F(4x4) 1.05 / 1.36). */
#define SMALL_M_MAX 32

gboolean
_mcam_conv_use_small_m (const McamConv *conv, int B, int H, int W)
{
  int oh = mcam_conv_out_size (H, conv->kh, conv->stride, conv->pad);
  int ow = mcam_conv_out_size (W, conv->kw, conv->stride, conv->pad);

  if (conv->out_c > SMALL_M_MAX || conv->out_c < 8 || _mcam_conv_is_pointwise (conv) ||
      !pointwise_enabled ())
    return FALSE;
  switch (winograd_by_tiles (conv, B, H, W))
    {
    case MCAM_WINO_2:
      return (gint64) B * ((H + 1) / 2) * ((W + 1) / 2) <= 64;
    case MCAM_WINO_NONE:
      return (gint64) B * oh * ow >= 2048;
    case MCAM_WINO_4:
    default:
      return FALSE;
    }
}

McamWinoKind
_mcam_conv_use_winograd (const McamConv *conv, int B, int H, int W)
{
  return _mcam_conv_use_small_m (conv, B, H, W) ? MCAM_WINO_NONE : winograd_by_tiles (conv, B, H, W);
}

static gint pointwise_setting = -1;

/* The own 1x1 kernel (mcam-pointwise.c) or OpenBLAS, by measurement (one
 * thread, ms per layer OpenBLAS / own, load ~4.5). MobileNetV3-L: 16>64
 * 112x112 0.42 / 0.27; 24>72 56x56 0.107 / 0.071; 40>120 28x28 0.055 /
 * 0.041; 80>480 14x14 0.110 / 0.093; 160>960 7x7 0.149 / 0.135; but 672>112
 * 14x14 0.185 / 0.186, 960>160 7x7 0.138 / 0.142. ResNet-50: 256>64 56x56
 * 0.85 / 0.60; 512>256 28x28 1.25 / 1.09; 512>2048 7x7 1.28 / 1.10; but
 * 1024>512 14x14 1.35 / 1.56, 2048>512 7x7 1.11 / 1.41 (the K blocks'
 * partial sums and the weights, 2-4 MB, streamed per 48 pixels; OpenBLAS
 * keeps them packed in cache). So: K <= 512. On a quiet machine (load
 * 0.8) also 256>1024 14x14 +res 0.78 / 0.90 and 512>2048 7x7 1.35 / 1.48:
 * the whole weight matrix (1-4 MB) is streamed once per 48 pixels, so
 * below 784 pixels only weights under 256K floats (EfficientNet's 192>1152
 * 7x7: 0.30 / 0.25). On 7x7 maps (48 pixels and a 1-pixel tail) also K
 * <= 256: RegNetY-400MF 440>440 7x7 0.23 / 0.27, 160>960 7x7 0.149 / 0.135
 * and 192>1152 as above. And the squeeze-excite 1x1
 * convs on 1x1 maps (N = 1, a matrix-vector product) 960>240 0.063 / 0.15:
 * the 16-pixel vectors are all padding there, so N >= 16.
 * Since the few pixels past a block's 16-pixel vectors have their own
 * narrow path (mcam-pointwise.c) the small-weight cases win at any K
 * (EfficientNet-B0, load ~1.5: 1152>192 7x7 0.255 / 0.205, 672>192 7x7
 * 0.160 / 0.126, 672>112 14x14 0.252 / 0.217; RegNetY-400MF 440>440 7x7
 * 0.243 / 0.22), but not 1152>320 7x7 (0.42 / 0.44). So: K <= 512 from
 * 784 pixels on, any K below 256K floats of weights.
 * $MCAM_POINTWISE=0 turns the own kernel off (A/B benchmarks), =all takes
 * it for every 1x1 conv of 16 pixels or more (measuring). */
static gint
pointwise_enabled (void)
{
  gint v = __atomic_load_n (&pointwise_setting, __ATOMIC_RELAXED);

  if (v < 0)
    {
      const char *env = g_getenv ("MCAM_POINTWISE");

      v = (env == NULL || g_strcmp0 (env, "0") != 0) && mcam_pointwise_available ();
      if (v && g_strcmp0 (env, "all") == 0)
        v = 2;
      __atomic_store_n (&pointwise_setting, v, __ATOMIC_RELAXED);
    }
  return v;
}

gboolean
_mcam_conv_use_own_pointwise (int k, int m, gsize n)
{
  gint v = pointwise_enabled ();

  if (v == 2)
    return n >= 16;
  return v && n >= 16 && ((gsize) k * m < 256 * 1024 || (k <= 512 && n >= 784));
}

const float *
_mcam_conv_pointwise_weights (const McamConv *conv)
{
  McamConv *mut = (McamConv *) conv;

  if (g_once_init_enter (&mut->pw))
    g_once_init_leave (&mut->pw, mcam_pointwise_pack (conv));
  return conv->pw;
}

static gint64 smalln_max = -1;

/* The few-columns kernel (mcam-smalln.c) or OpenBLAS: see there. Up to
 * $MCAM_SMALLN_MAX columns (0: never), and only for 64 output channels or
 * more: its tile is 64 channels, and on ResNeXt-50's groups of 16 and 32
 * channels the padding made them slower (512>512 3x3 14x14 in 32 groups
 * 1.43 -> 2.05 ms). */
gboolean
_mcam_conv_use_smalln (gsize n, int m)
{
  gint64 v = __atomic_load_n (&smalln_max, __ATOMIC_RELAXED);

  if (v < 0)
    {
      const char *env = g_getenv ("MCAM_SMALLN_MAX");

      v = !mcam_smalln_available () ? 0 : env != NULL ? g_ascii_strtoll (env, NULL, 10) : 64;
      __atomic_store_n (&smalln_max, v, __ATOMIC_RELAXED);
    }
  return n >= 1 && (gint64) n <= v && m >= 64;
}

const float *
_mcam_conv_smalln_weights (const McamConv *conv)
{
  McamConv *mut = (McamConv *) conv;

  if (g_once_init_enter (&mut->sn))
    g_once_init_leave (&mut->sn, mcam_smalln_pack (conv->weight, 1, conv->out_c,
                                                   conv->in_c * conv->kh * conv->kw));
  return conv->sn;
}

/* The Winograd weights packed for mcam_smalln_forward when the layer's
 * products (n_tiles columns) are narrow enough for it, else NULL. */
const float *
_mcam_conv_winograd_small_weights (const McamConv *conv, const float *u, int points, gsize n_tiles,
                        float **slot)
{
  if (!_mcam_conv_use_smalln (n_tiles, conv->out_c))
    return NULL;
  if (g_once_init_enter (slot))
    g_once_init_leave (slot, mcam_smalln_pack (u, points, conv->out_c, conv->in_c));
  return *slot;
}
