/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What loading leaves behind: the weights a loaded network holds (each
 * parameter once, after the BatchNorm folds: mcam_net_get_weight_bytes
 * against the stored parameter count, on every model fixture), a
 * safetensors file's mcam.target taken as the default layer, and an
 * explicit zero Pad before a Conv merged into the conv's pads (merged vs
 * not merged, forward and reverse pass). */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mcam-test-util.h"
#include "mcam/mcam-error.h"
#include "mcam/mcam-net.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-graph-private.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

static float rnd (guint32 *s);

static McamNet *
load (const char *file)
{
  g_autofree char *path = mcam_test_fixture (file);
  g_autoptr (GError) error = NULL;
  McamNet *net = mcam_net_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (net);
  return net;
}

/* ---- held bytes ----------------------------------------------------------- */

static const char *const models[] = {
  "net-basic.safetensors", "net-bottleneck.safetensors",
  "onnx/resnext-st.safetensors", "onnx/wide-resnet-st.safetensors",
  "onnx/resnet.onnx", "onnx/resnext.onnx", "onnx/wide-resnet.onnx", "onnx/vgg.onnx",
  "onnx/densenet.onnx", "onnx/densenet-long.onnx", "onnx/mobilenet-v2.onnx",
  "onnx/mobilenet-v3.onnx", "onnx/mobilenet-v3-op17.onnx", "onnx/efficientnet.onnx",
  "onnx/regnety.onnx", "onnx/convnext.onnx", "onnx/convnext-op17.onnx",
};

/* Before issue 10's memory work every parameter lived two to three times
 * (the file's tensor, the node's folded copy, the kernel's copy): the
 * bound of 1.2 x the stored bytes fails on any of those coming back. The
 * Winograd transforms, made at the first forward, are 16/9 of the 3x3
 * weights at most. */
static void
test_held_bytes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autoptr (McamNet) net = load (models[i]);
      const McamNetInfo *info = mcam_net_get_info (net);
      double stored = 4.0 * (double) info->n_params;
      g_autoptr (GError) error = NULL;
      g_autoptr (McamTensor) x = NULL, logits = NULL;
      gsize held, wino = 0, held2;

      held = mcam_net_get_weight_bytes (net, &wino);
      g_test_message ("%s: %" G_GINT64_FORMAT " parameters, holds %" G_GSIZE_FORMAT
                      " bytes = %.3f x stored", models[i], info->n_params, held, held / stored);
      g_assert_cmpfloat (held, <=, 1.2 * stored);
      /* the folds drop BatchNorm's four vectors per channel, never a weight */
      g_assert_cmpfloat (held, >=, 0.5 * stored);
      g_assert_cmpuint (wino, ==, 0);

      x = mcam_tensor_new_4d (2, 3, info->preprocess.height, info->preprocess.width);
      for (gsize k = 0; k < x->n; k++)
        x->data[k] = (float) sin ((double) k);
      g_assert_true (mcam_net_forward (net, x, NULL, &logits, NULL, &error));
      g_assert_no_error (error);
      held2 = mcam_net_get_weight_bytes (net, &wino);
      g_assert_cmpuint (held2, ==, held);
      g_assert_cmpfloat (wino, <=, 16.0 / 9.0 * held);
      if (wino > 0)
        g_test_message ("%s: Winograd transforms %" G_GSIZE_FORMAT " bytes after a forward",
                        models[i], wino);
    }
}

/* ---- peak memory of a load ------------------------------------------------ */

/* kB of a /proc/self/status field, -1 when unreadable */
static gint64
status_kb (const char *field)
{
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL) ||
      (p = strstr (text, field)) == NULL)
    return -1;
  return g_ascii_strtoll (p + strlen (field), NULL, 10);
}

/* VmHWM back to the current RSS (Linux >= 4.0) */
static gboolean
reset_peak (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");
  gboolean ok;

  if (f == NULL)
    return FALSE;
  ok = fputs ("5", f) >= 0;
  return fclose (f) == 0 && ok;
}

/* A copy of a safetensors fixture with `key` set to `value` in its metadata;
 * widen > 1: the same architecture with every width (the dimensions that
 * are multiples of 8: net-basic's widths are [8,16,24,32], while 3 = RGB,
 * 5 classes, 7 and 1 are not) times widen, and random weights. */
static char *
write_from_fixture (const char *fixture, int widen, const char *key, const char *value,
                    gsize *file_size)
{
  g_autofree char *src = mcam_test_fixture (fixture);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (src, &error);
  g_autoptr (McamSafetensorsWriter) w = mcam_safetensors_writer_new ();
  const char *const *names;
  GHashTableIter it;
  const char *k, *v;
  GStatBuf sb;
  guint32 seed = 5;
  char *out;

  g_assert_no_error (error);
  names = mcam_safetensors_get_names (st);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr (McamTensor) t = NULL;
      gint64 shape[8];
      int ndim = 0;

      if (g_str_has_suffix (names[i], ".num_batches_tracked"))
        continue;   /* int64, and not read */
      if (widen == 1)
        {
          t = mcam_safetensors_read (st, names[i], 0, NULL, &error);
          g_assert_no_error (error);
          mcam_safetensors_writer_add_tensor (w, names[i], t);
          continue;
        }
      g_assert_true (mcam_safetensors_get_shape (st, names[i], &ndim, shape));
      for (int d = 0; d < ndim; d++)
        if (shape[d] % 8 == 0)
          shape[d] *= widen;
      t = mcam_tensor_new (ndim, shape);
      for (gsize j = 0; j < t->n; j++)
        t->data[j] = g_str_has_suffix (names[i], "running_var") ? 1.0f : 0.05f * rnd (&seed);
      mcam_safetensors_writer_add_tensor (w, names[i], t);
    }
  g_hash_table_iter_init (&it, mcam_safetensors_get_all_metadata (st));
  while (g_hash_table_iter_next (&it, (gpointer *) &k, (gpointer *) &v))
    mcam_safetensors_writer_set_metadata (w, k, v);
  mcam_safetensors_writer_set_metadata (w, key, value);
  out = g_build_filename (g_get_tmp_dir (), "mcam-test-net-load.safetensors", NULL);
  g_assert_true (mcam_safetensors_writer_save (w, out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (out, &sb), ==, 0);
  if (file_size != NULL)
    *file_size = (gsize) sb.st_size;
  return out;
}

/* The peak RSS of a load (VmHWM, reset through clear_refs) against the file
 * size: the file's bytes plus the graph's one copy is 2x; the engine before
 * issue 10's memory work took 3.9x. Bound 2.6x (5 runs: 2.1x), and what
 * stays after the load under 1.5x. */
static void
test_peak_rss (void)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  McamNet *net;
  gsize size = 0;
  gint64 before, peak, after;

  /* net-basic's architecture, widths x 16: 8.6 M parameters, 34 MB, large
   * enough that the process's own few MB do not hide a copy */
  path = write_from_fixture ("net-basic.safetensors", 16, "mcam.widths",
                             "[128, 256, 384, 512]", &size);
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  if (!reset_peak () ||
      (before = status_kb ("VmRSS:")) < 0 || status_kb ("VmHWM:") > before + 1024)
    {
      g_test_skip ("no /proc/self/clear_refs to reset the peak RSS");
      g_unlink (path);
      return;
    }
  net = mcam_net_load (path, &error);
  g_assert_no_error (error);
  peak = status_kb ("VmHWM:") - before;
  after = status_kb ("VmRSS:") - before;
  g_test_message ("file %.1f MB: load peak +%.1f MB (%.2f x), after +%.1f MB (%.2f x)",
                  size / 1e6, peak * 1024 / 1e6, peak * 1024.0 / size, after * 1024 / 1e6,
                  after * 1024.0 / size);
#if defined(__SANITIZE_THREAD__)
  /* TSan's shadow memory (several times what is touched) is in RSS too:
   * neither bound means anything there; the held-bytes test still counts. */
  g_test_message ("under TSan: RSS includes the shadow memory, not checked");
#else
  g_assert_cmpfloat (peak * 1024.0, <=, 2.6 * size);
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  /* ASan holds freed blocks in its quarantine (256 MB by default), so what
   * the load freed still counts in RSS: only the peak is checked there (the
   * held-bytes test above counts the graph's own copy exactly). */
  g_test_message ("under a sanitizer: the RSS after the load is not checked");
#else
  g_assert_cmpfloat (after * 1024.0, <=, 1.5 * size);
#endif
  mcam_net_free (net);
  g_unlink (path);
}

/* ---- mcam.target in a safetensors file ----------------------------------- */

static void
test_safetensors_target (void)
{
  g_autoptr (McamNet) ref = load ("net-bottleneck.safetensors");
  g_auto (GStrv) layers = mcam_net_list_layers (ref);
  const McamNetInfo *ri = mcam_net_get_info (ref);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamTensor) x = NULL, f_ref = NULL, f = NULL, l_ref = NULL, l = NULL;
  const char *layer = NULL;
  const char *default_target;

  /* an inner layer the logits follow from (not the default) */
  default_target = ri->target;
  for (int i = (int) g_strv_length (layers) - 1; i >= 0 && layer == NULL; i--)
    {
      g_autoptr (McamNet) probe = load ("net-bottleneck.safetensors");

      if (strcmp (layers[i], default_target) != 0 &&
          mcam_net_set_target (probe, layers[i], NULL) &&
          mcam_net_get_info (probe)->feat_h > mcam_net_get_info (ref)->feat_h)
        layer = layers[i];
    }
  g_assert_nonnull (layer);
  g_assert_true (mcam_net_set_target (ref, layer, &error));
  g_assert_no_error (error);

  {
    g_autofree char *path = write_from_fixture ("net-bottleneck.safetensors", 1, "mcam.target",
                                                layer, NULL);
    g_autoptr (McamNet) net = mcam_net_load (path, &error);
    const McamNetInfo *info;

    g_assert_no_error (error);
    info = mcam_net_get_info (net);
    g_assert_cmpstr (info->target, ==, layer);
    g_assert_cmpint (info->feat_c, ==, ri->feat_c);
    g_assert_cmpint (info->feat_h, ==, ri->feat_h);
    g_assert_cmpint (info->feat_w, ==, ri->feat_w);
    g_assert_false (g_strv_contains ((const char *const *) info->unknown_keys, "mcam.target"));
    x = mcam_tensor_new_4d (1, 3, info->preprocess.height, info->preprocess.width);
    for (gsize k = 0; k < x->n; k++)
      x->data[k] = (float) cos (0.37 * (double) k);
    g_assert_true (mcam_net_forward (ref, x, &f_ref, &l_ref, NULL, &error));
    g_assert_true (mcam_net_forward (net, x, &f, &l, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (f->n, ==, f_ref->n);
    g_assert_cmpfloat (mcam_test_rel_error (f->data, f_ref->data, f->n, 1e-6), ==, 0.0);
    g_assert_cmpfloat (mcam_test_rel_error (l->data, l_ref->data, l->n, 1e-6), ==, 0.0);
    g_unlink (path);
  }
  /* a name that is no layer is refused by name */
  {
    g_autofree char *path = write_from_fixture ("net-bottleneck.safetensors", 1, "mcam.target",
                                                "layer9.nope", NULL);
    McamNet *net = mcam_net_load (path, &error);

    g_assert_null (net);
    g_assert_error (error, MCAM_ERROR, MCAM_ERROR_USAGE);
    g_assert_nonnull (strstr (error->message, "layer9.nope"));
    g_unlink (path);
  }
}

/* ---- Pad + Conv ----------------------------------------------------------- */

static float
rnd (guint32 *s)
{
  *s = *s * 1664525u + 1013904223u;
  return (float) ((*s >> 8) / 16777216.0 * 2.0 - 1.0);
}

typedef struct
{
  int C, O, G, k, s;
  int conv_pads[4], pad[4];
  gboolean merges;
} PadCase;

static int
count_live (McamGraph *g, McamOpType op)
{
  int n = 0;

  for (guint i = 0; i < g->nodes->len; i++)
    n += !_mcam_graph_node (g, i)->dead && _mcam_graph_node (g, i)->op == op;
  return n;
}

/* input -> Pad(pads, value) -> Conv -> GAP -> Flatten; logits, the gradient
 * of their sum w.r.t. the input, and the number of live Pad nodes. */
static void
run_pad_conv (const PadCase *pc, float value, const McamTensor *x, McamTensor **y,
              McamTensor **grad, int *n_pads)
{
  g_autoptr (McamGraph) g = mcam_graph_new ("pad-conv");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamTensor) x1 = NULL;
  gint64 in_shape[4] = { 1, pc->C, x->shape[2], x->shape[3] };
  gint64 ws[4] = { pc->O, pc->C / pc->G, pc->k, pc->k }, bs[1] = { pc->O };
  g_autofree float *seed = NULL;
  McamNodeAttrs at;
  guint32 s = 7;
  float *w = g_new (float, mcam_shape_numel (4, ws)), *b = g_new (float, pc->O);
  int in[3], v;

  for (gint64 i = 0; i < mcam_shape_numel (4, ws); i++)
    w[i] = rnd (&s);
  for (int i = 0; i < pc->O; i++)
    b[i] = rnd (&s);
  in[0] = mcam_graph_add_input (g, "x", 4, in_shape, &error);
  mcam_node_attrs_init (&at);
  memcpy (at.pads, pc->pad, sizeof at.pads);
  at.value = value;
  v = mcam_graph_add_node (g, MCAM_OP_PAD, "pad", in, 1, "padded", &at, &error);
  g_assert_no_error (error);
  in[0] = v;
  in[1] = mcam_graph_add_constant (g, "w", 4, ws, w, &error);
  in[2] = mcam_graph_add_constant (g, "b", 1, bs, b, &error);
  mcam_node_attrs_init (&at);
  memcpy (at.pads, pc->conv_pads, sizeof at.pads);
  at.stride[0] = at.stride[1] = pc->s;
  at.group = pc->G;
  v = mcam_graph_add_node (g, MCAM_OP_CONV, "conv", in, 3, "conv", &at, &error);
  g_assert_no_error (error);
  v = mcam_graph_add_node (g, MCAM_OP_GLOBAL_AVGPOOL, "gap", &v, 1, "gap", NULL, &error);
  v = mcam_graph_add_node (g, MCAM_OP_FLATTEN, "flat", &v, 1, "logits", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (mcam_graph_finish (g, v, &error));
  g_assert_no_error (error);
  *n_pads = count_live (g, MCAM_OP_PAD);
  g_assert_true (mcam_graph_run (g, mcam_graph_get_input (g), x, -1, NULL, y, NULL, &error));
  g_assert_no_error (error);
  /* the reverse pass for the first image */
  x1 = mcam_tensor_new_4d (1, pc->C, (int) x->shape[2], (int) x->shape[3]);
  memcpy (x1->data, x->data, sizeof (float) * x1->n);
  seed = g_new (float, pc->O);
  for (int o = 0; o < pc->O; o++)
    seed[o] = 1.0f + 0.1f * o;
  g_assert_true (mcam_graph_gradient (g, mcam_graph_get_input (g), x1, seed, grad, NULL, &error));
  g_assert_no_error (error);
}

static void
test_pad_conv (void)
{
  static const PadCase cases[] = {
    /* pad 1 all round before an unpadded 3x3: merged to pads 1 */
    { 4, 6, 1, 3, 1, { 0, 0, 0, 0 }, { 1, 1, 1, 1 }, TRUE },
    /* pad 1 + the conv's own 1, stride 2 */
    { 3, 5, 1, 3, 2, { 1, 1, 1, 1 }, { 1, 1, 1, 1 }, TRUE },
    /* grouped */
    { 4, 8, 2, 3, 1, { 0, 0, 0, 0 }, { 2, 2, 2, 2 }, TRUE },
    /* TF-style "same" for stride 2: bottom/right only; depthwise takes it */
    { 6, 6, 6, 3, 2, { 0, 0, 0, 0 }, { 0, 0, 1, 1 }, TRUE },
    /* the same before a full conv: its kernel needs equal pads, so the Pad stays */
    { 3, 4, 1, 3, 2, { 0, 0, 0, 0 }, { 0, 0, 1, 1 }, FALSE },
  };
  const int B = 2, H = 9, W = 10;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const PadCase *pc = &cases[i];
      g_autoptr (McamTensor) x = mcam_tensor_new_4d (B, pc->C, H, W);
      g_autoptr (McamTensor) y0 = NULL, y1 = NULL, g0 = NULL, g1 = NULL, y2 = NULL, g2 = NULL;
      guint32 s = 11 + (guint32) i;
      int n0, n1, n2;

      for (gsize k = 0; k < x->n; k++)
        x->data[k] = rnd (&s);
      run_pad_conv (pc, 0.0f, x, &y0, &g0, &n0);
      /* the reference: a Pad of a value that is not zero is never merged, and
       * 1e-30 times the weights is below float resolution of the sums */
      run_pad_conv (pc, 1e-30f, x, &y1, &g1, &n1);
      g_assert_cmpint (n0, ==, pc->merges ? 0 : 1);
      g_assert_cmpint (n1, ==, 1);
      g_assert_cmpfloat (mcam_test_rel_error (y0->data, y1->data, y0->n, 1e-6), <=, 1e-6);
      g_assert_cmpfloat (mcam_test_rel_error (g0->data, g1->data, g0->n, 1e-6), <=, 1e-6);
      /* and the padding value matters where it is not merged (the check has teeth) */
      run_pad_conv (pc, 0.5f, x, &y2, &g2, &n2);
      g_assert_cmpint (n2, ==, 1);
      g_assert_cmpfloat (mcam_test_rel_error (y2->data, y1->data, y2->n, 1e-6), >, 1e-3);
    }
}

int
main (int argc, char **argv)
{
  /* the bounds on the kernels' copies are those of the engine's own
   * kernels; oneDNN's copies are bounded in test-dnnl */
  g_setenv ("MCAM_DNNL", "0", TRUE);
  mcam_test_init (&argc, &argv);
  g_test_add_func ("/net-load/held-bytes", test_held_bytes);
  g_test_add_func ("/net-load/peak-rss", test_peak_rss);
  g_test_add_func ("/net-load/safetensors-target", test_safetensors_target);
  g_test_add_func ("/net-load/pad-conv", test_pad_conv);
  return g_test_run ();
}
