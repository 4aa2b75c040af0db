/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ResNet engine against PyTorch: fixtures written by tools/make_fixtures.py
 * (custom ResNets from torchvision's blocks, random weights and BatchNorm
 * statistics) hold an input batch and what torch computed for it. Also
 * metadata, classes, scores, cancellation and malformed model files. */

#include "config.h"

#include <string.h>

#include "mcam/mcam.h"
#include "mcam-test-util.h"

/* DESIGN 8: logits within 1e-4 relative, f within 1e-3. */
#define LOGITS_TOL 1e-4
#define FEATURES_TOL 1e-3

typedef struct
{
  McamTensor *input, *features, *logits;
  double      flops;
  gint64      n_params;
} Expected;

static void
expected_clear (Expected *e)
{
  mcam_tensor_free (e->input);
  mcam_tensor_free (e->features);
  mcam_tensor_free (e->logits);
}

static void
load_expected (const char *name, Expected *e)
{
  g_autofree char *file = g_strdup_printf ("net-%s-expected.safetensors", name);
  g_autofree char *path = mcam_test_fixture (file);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (path, &error);

  g_assert_no_error (error);
  e->input = mcam_safetensors_read (st, "input", 0, NULL, &error);
  g_assert_no_error (error);
  e->features = mcam_safetensors_read (st, "features", 0, NULL, &error);
  g_assert_no_error (error);
  e->logits = mcam_safetensors_read (st, "logits", 0, NULL, &error);
  g_assert_no_error (error);
  e->flops = g_ascii_strtod (mcam_safetensors_get_metadata (st, "flops"), NULL);
  e->n_params = g_ascii_strtoll (mcam_safetensors_get_metadata (st, "n_params"), NULL, 10);
}

static McamNet *
load_fixture_net (const char *name)
{
  g_autofree char *file = g_strdup_printf ("net-%s.safetensors", name);
  g_autofree char *path = mcam_test_fixture (file);
  g_autoptr (GError) error = NULL;
  McamNet *net = mcam_net_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (net);
  return net;
}

/* Forward the whole batch, then each image alone: both must match torch. */
static void
check_against_torch (McamNet *net, Expected *e)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McamTensor) f = NULL, logits = NULL, head = NULL;
  gint64 B = e->input->shape[0];
  gsize in1 = e->input->n / B, f1 = e->features->n / B, l1 = e->logits->n / B;

  g_assert_true (mcam_net_forward (net, e->input, &f, &logits, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (mcam_tensor_has_shape (f, 4, e->features->shape));
  g_assert_true (mcam_tensor_has_shape (logits, 2, e->logits->shape));
  g_test_message ("batch of %" G_GINT64_FORMAT ": logits rel err %.3g, f rel err %.3g", B,
                  mcam_test_rel_error (logits->data, e->logits->data, logits->n, 1e-6),
                  mcam_test_rel_error (f->data, e->features->data, f->n, 1e-6));
  g_assert_cmpfloat (mcam_test_rel_error (logits->data, e->logits->data, logits->n, 1e-6), <=,
                     LOGITS_TOL);
  g_assert_cmpfloat (mcam_test_rel_error (f->data, e->features->data, f->n, 1e-6), <=,
                     FEATURES_TOL);

  /* the head alone on f gives the same logits */
  head = mcam_net_head_forward (net, f);
  g_assert_cmpfloat (mcam_test_rel_error (head->data, logits->data, head->n, 1e-6), <=, 1e-6);

  for (gint64 b = 0; b < B; b++)
    {
      gint64 shape[4] = { 1, e->input->shape[1], e->input->shape[2], e->input->shape[3] };
      g_autoptr (McamTensor) one = mcam_tensor_new_view (e->input->data + b * in1, 4, shape);
      g_autoptr (McamTensor) f_one = NULL, l_one = NULL;

      g_assert_true (mcam_net_forward (net, one, &f_one, &l_one, NULL, &error));
      g_assert_cmpfloat (mcam_test_rel_error (l_one->data, e->logits->data + b * l1, l1, 1e-6),
                         <=, LOGITS_TOL);
      g_assert_cmpfloat (mcam_test_rel_error (f_one->data, e->features->data + b * f1, f1, 1e-6),
                         <=, FEATURES_TOL);
    }
}

static void
test_net_basic (void)
{
  g_autoptr (McamNet) net = load_fixture_net ("basic");
  const McamNetInfo *info = mcam_net_get_info (net);
  Expected e = { 0 };

  load_expected ("basic", &e);
  g_assert_cmpstr (info->arch, ==, "resnet");
  g_assert_nonnull (strstr (info->description, "basic blocks [2,"));
  g_assert_nonnull (strstr (info->description, "ImageNet stem"));
  g_assert_nonnull (strstr (info->description, ",32]"));
  g_assert_cmpstr (info->target, ==, "layer4.0");
  g_assert_cmpint (info->preprocess.width, ==, 48);
  g_assert_cmpint (info->preprocess.height, ==, 40);
  g_assert_cmpint (info->preprocess.resize, ==, MCAM_RESIZE_STRETCH);
  g_assert_cmpfloat_with_epsilon (info->preprocess.std[2], 0.225, 1e-7);
  g_assert_cmpint (info->n_classes, ==, 5);
  g_assert_cmpstr (info->classes[1], ==, "dog");
  g_assert_null (info->classes[5]);
  g_assert_false (info->multilabel);
  g_assert_cmpint (info->feat_c, ==, 32);
  g_assert_cmpint (info->feat_h, ==, 2);
  g_assert_cmpint (info->feat_w, ==, 2);
  g_assert_cmpint (info->n_params, ==, e.n_params);
  g_assert_cmpfloat (mcam_net_flops (net), ==, e.flops);
  g_assert_cmpuint (strlen (info->fingerprint), ==, 64);
  check_against_torch (net, &e);
  expected_clear (&e);
}

static void
test_net_bottleneck (void)
{
  g_autoptr (McamNet) net = load_fixture_net ("bottleneck");
  const McamNetInfo *info = mcam_net_get_info (net);
  Expected e = { 0 };

  load_expected ("bottleneck", &e);
  g_assert_nonnull (strstr (info->description, "bottleneck blocks ["));
  g_assert_nonnull (strstr (info->description, "small stem"));
  g_assert_true (info->multilabel);
  g_assert_cmpint (info->feat_c, ==, 64);
  g_assert_cmpint (info->feat_h, ==, 4);
  g_assert_cmpint (info->n_params, ==, e.n_params);
  g_assert_cmpfloat (mcam_net_flops (net), ==, e.flops);
  check_against_torch (net, &e);
  expected_clear (&e);
}

static void
test_net_scores (void)
{
  g_autoptr (McamNet) soft = load_fixture_net ("basic");
  g_autoptr (McamNet) multi = load_fixture_net ("bottleneck");
  const float logits5[5] = { 1.0f, -2.0f, 0.5f, 3.0f, 0.0f };
  const float logits4[4] = { 0.0f, 2.0f, -1.0f, 40.0f };
  float s5[5], s4[4];
  double sum = 0.0;

  mcam_net_scores (soft, logits5, s5);
  for (int i = 0; i < 5; i++)
    sum += s5[i];
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
  /* softmax ratio = exp of the logit difference */
  g_assert_cmpfloat_with_epsilon (s5[3] / s5[0], exp (2.0), 1e-4);

  mcam_net_scores (multi, logits4, s4);
  g_assert_cmpfloat_with_epsilon (s4[0], 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon (s4[1], 1.0 / (1.0 + exp (-2.0)), 1e-7);
  g_assert_cmpfloat_with_epsilon (s4[3], 1.0, 1e-7);
}

static void
test_net_find_class (void)
{
  g_autoptr (McamNet) net = load_fixture_net ("basic");

  g_assert_cmpint (mcam_net_find_class (net, "dog"), ==, 1);
  g_assert_cmpint (mcam_net_find_class (net, "fish"), ==, 4);
  g_assert_cmpint (mcam_net_find_class (net, "0"), ==, 0);
  g_assert_cmpint (mcam_net_find_class (net, "4"), ==, 4);
  /* the class named "3" is index 3 too: name and index agree */
  g_assert_cmpint (mcam_net_find_class (net, "3"), ==, 3);
  g_assert_cmpint (mcam_net_find_class (net, "5"), ==, -1);
  g_assert_cmpint (mcam_net_find_class (net, "-1"), ==, -1);
  g_assert_cmpint (mcam_net_find_class (net, "2x"), ==, -1);
  g_assert_cmpint (mcam_net_find_class (net, "horse"), ==, -1);
  g_assert_cmpint (mcam_net_find_class (net, ""), ==, -1);
  g_assert_cmpint (mcam_net_find_class (net, "99999999999999999999"), ==, -1);
}

static void
test_net_cancel (void)
{
  g_autoptr (McamNet) net = load_fixture_net ("basic");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  McamTensor *f = (McamTensor *) 0x1, *logits = (McamTensor *) 0x1;
  Expected e = { 0 };

  load_expected ("basic", &e);
  g_cancellable_cancel (cancellable);
  g_assert_false (mcam_net_forward (net, e.input, &f, &logits, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f);
  g_assert_null (logits);
  expected_clear (&e);
}

static void
test_net_bad_input (void)
{
  g_autoptr (McamNet) net = load_fixture_net ("basic");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamTensor) gray = mcam_tensor_new_4d (1, 1, 40, 48);
  g_autoptr (McamTensor) flat = mcam_tensor_new_3d (3, 40, 48);
  g_autoptr (McamTensor) logits = NULL;

  g_assert_false (mcam_net_forward (net, gray, NULL, &logits, NULL, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_false (mcam_net_forward (net, flat, NULL, &logits, NULL, &error));
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_null (logits);
}

/* ---- malformed model files ------------------------------------------------ */

typedef enum { EDIT_NONE, EDIT_DROP, EDIT_RESHAPE, EDIT_NAN, EDIT_SCALE } EditKind;

/* Copy a fixture model with one tensor dropped/reshaped/poisoned and one
 * metadata key replaced (value NULL: removed; key NULL: none). */
static char *
write_variant (const char *fixture, const char *tensor, EditKind edit,
               const char *meta_key, const char *meta_value, gboolean no_metadata)
{
  g_autofree char *file = g_strdup_printf ("net-%s.safetensors", fixture);
  g_autofree char *src = mcam_test_fixture (file);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (src, &error);
  g_autoptr (McamSafetensorsWriter) w = mcam_safetensors_writer_new ();
  const char *const *names = mcam_safetensors_get_names (st);
  g_autofree char *dir = g_dir_make_tmp ("mcam-test-net-XXXXXX", &error);
  char *out;
  GHashTableIter it;
  gpointer k, v;

  g_assert_no_error (error);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr (McamTensor) t = NULL;

      if (g_str_has_suffix (names[i], "num_batches_tracked"))
        continue;   /* int64: the writer stores F32 only, and we never read it */
      t = mcam_safetensors_read (st, names[i], 0, NULL, &error);
      g_assert_no_error (error);
      if (tensor != NULL && strcmp (names[i], tensor) == 0)
        {
          if (edit == EDIT_DROP)
            continue;
          if (edit == EDIT_RESHAPE)
            {
              gint64 shape[1] = { (gint64) t->n - 1 };
              mcam_safetensors_writer_add (w, names[i], 1, shape, t->data);
              continue;
            }
          if (edit == EDIT_NAN)
            t->data[t->n / 2] = NAN;
          if (edit == EDIT_SCALE)
            t->data[0] *= 1.5f;
        }
      mcam_safetensors_writer_add_tensor (w, names[i], t);
    }
  if (!no_metadata)
    {
      g_hash_table_iter_init (&it, mcam_safetensors_get_all_metadata (st));
      while (g_hash_table_iter_next (&it, &k, &v))
        if (meta_key == NULL || strcmp (k, meta_key) != 0)
          mcam_safetensors_writer_set_metadata (w, k, v);
      if (meta_key != NULL && meta_value != NULL)
        mcam_safetensors_writer_set_metadata (w, meta_key, meta_value);
    }
  out = g_build_filename (dir, "model.safetensors", NULL);
  g_assert_true (mcam_safetensors_writer_save (w, out, &error));
  g_assert_no_error (error);
  return out;
}

static void
remove_variant (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_remove (path);
  g_rmdir (dir);
}

static void
expect_load_error (const char *path, int code, const char *must_mention)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = mcam_net_load (path, &error);

  g_assert_null (net);
  g_assert_error (error, MCAM_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  if (must_mention != NULL)
    g_assert_nonnull (strstr (error->message, must_mention));
}

static void
test_net_malformed (void)
{
  static const struct
  {
    const char *fixture, *tensor;
    EditKind    edit;
    const char *key, *value;
    int         code;
    const char *mention;
  } cases[] = {
    { "basic", "layer2.0.bn1.running_var", EDIT_DROP, NULL, NULL, MCAM_ERROR_SHAPE,
      "layer2.0.bn1.running_var" },
    { "basic", "layer1.1.conv2.weight", EDIT_RESHAPE, NULL, NULL, MCAM_ERROR_SHAPE,
      "layer1.1.conv2.weight" },
    { "bottleneck", "layer1.0.downsample.0.weight", EDIT_DROP, NULL, NULL, MCAM_ERROR_SHAPE,
      "layer1.0.downsample.0.weight" },
    { "bottleneck", "fc.bias", EDIT_RESHAPE, NULL, NULL, MCAM_ERROR_SHAPE, "fc.bias" },
    { "basic", "layer3.0.conv1.weight", EDIT_NAN, NULL, NULL, MCAM_ERROR_VALUE,
      "layer3.0.conv1.weight" },
    { "basic", NULL, EDIT_NONE, "mcam.arch", "vgg16", MCAM_ERROR_FORMAT, "mcam.arch" },
    { "basic", NULL, EDIT_NONE, "mcam.layers", "[1,1]", MCAM_ERROR_FORMAT, "mcam.layers" },
    { "basic", NULL, EDIT_NONE, "mcam.layers", "[2,1,1,-1]", MCAM_ERROR_FORMAT, "mcam.layers" },
    { "basic", NULL, EDIT_NONE, "mcam.widths", "[8,16,24,1e9]", MCAM_ERROR_FORMAT, "mcam.widths" },
    { "basic", NULL, EDIT_NONE, "mcam.widths", "[8,16,24,33]", MCAM_ERROR_SHAPE, "layer4.0.conv1.weight" },
    { "basic", NULL, EDIT_NONE, "mcam.block", "bottleneck", MCAM_ERROR_SHAPE, "layer1.0.conv1.weight" },
    { "basic", NULL, EDIT_NONE, "mcam.stem", "small", MCAM_ERROR_SHAPE, "conv1.weight" },
    { "basic", NULL, EDIT_NONE, "mcam.input", "48by40", MCAM_ERROR_FORMAT, "mcam.input" },
    { "basic", NULL, EDIT_NONE, "mcam.input", "0x40", MCAM_ERROR_FORMAT, "mcam.input" },
    { "basic", NULL, EDIT_NONE, "mcam.mean", "[0.5,0.5]", MCAM_ERROR_FORMAT, "mcam.mean" },
    { "basic", NULL, EDIT_NONE, "mcam.std", "[0.5,0,0.5]", MCAM_ERROR_FORMAT, "mcam.std" },
    /* positive or finite as doubles, not as the float32 they are used in */
    { "basic", NULL, EDIT_NONE, "mcam.std", "[0.5,1e-300,0.5]", MCAM_ERROR_FORMAT, "mcam.std" },
    { "basic", NULL, EDIT_NONE, "mcam.mean", "[0.5,1e300,0.5]", MCAM_ERROR_FORMAT, "mcam.mean" },
    { "basic", NULL, EDIT_NONE, "mcam.classes", "[\"a\",\"b\"]", MCAM_ERROR_SHAPE, "mcam.classes" },
    { "basic", NULL, EDIT_NONE, "mcam.classes", "{\"a\":1}", MCAM_ERROR_FORMAT, "mcam.classes" },
    { "basic", NULL, EDIT_NONE, "mcam.multilabel", "yes", MCAM_ERROR_FORMAT, "mcam.multilabel" },
    { "basic", NULL, EDIT_NONE, "mcam.format", "2", MCAM_ERROR_FORMAT, "mcam.format" },
    { "basic", NULL, EDIT_NONE, "mcam.block", NULL, MCAM_ERROR_FORMAT, "mcam.block" },
    /* resnet-like weights with more blocks than the metadata says */
    { "basic", NULL, EDIT_NONE, "mcam.layers", "[1,1,1,1]", MCAM_ERROR_SHAPE, "layer1.1." },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_variant (cases[i].fixture, cases[i].tensor, cases[i].edit,
                                             cases[i].key, cases[i].value, FALSE);
      expect_load_error (path, cases[i].code, cases[i].mention);
      remove_variant (path);
    }
}

static void
test_net_not_a_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = NULL;
  g_autofree char *expected = mcam_test_fixture ("net-basic-expected.safetensors");

  /* a valid safetensors file that is not a ResNet */
  net = mcam_net_load (expected, &error);
  g_assert_null (net);
  g_assert_error (error, MCAM_ERROR, MCAM_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "conv1.weight"));
  g_clear_error (&error);

  net = mcam_net_load ("/nonexistent/model.safetensors", &error);
  g_assert_null (net);
  g_assert_nonnull (error);
}

/* A bare torchvision state_dict (no metadata): the architecture is inferred. */
static void
test_net_inferred (void)
{
  g_autofree char *path = write_variant ("bottleneck", NULL, EDIT_NONE, NULL, NULL, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = mcam_net_load (path, &error);
  g_autoptr (McamNet) ref = load_fixture_net ("bottleneck");
  const McamNetInfo *info;
  Expected e = { 0 };

  g_assert_no_error (error);
  info = mcam_net_get_info (net);
  g_assert_cmpstr (info->arch, ==, "resnet");
  /* the same description as with the metadata: blocks, widths, stem inferred */
  g_assert_cmpstr (info->description, ==, mcam_net_get_info (ref)->description);
  g_assert_nonnull (strstr (info->description, "small stem"));
  g_assert_cmpint (info->preprocess.width, ==, 224);
  g_assert_cmpstr (info->classes[2], ==, "2");
  /* same tensors, same fingerprint, whatever the metadata says */
  g_assert_cmpstr (info->fingerprint, ==, mcam_net_get_info (ref)->fingerprint);

  load_expected ("bottleneck", &e);
  /* multilabel defaults to false; the numbers are the same */
  check_against_torch (net, &e);
  expected_clear (&e);
  remove_variant (path);
}

static void
test_net_fingerprint (void)
{
  g_autoptr (McamNet) a = load_fixture_net ("basic");
  g_autoptr (McamNet) b = load_fixture_net ("basic");
  g_autoptr (McamNet) other = load_fixture_net ("bottleneck");
  g_autofree char *path = write_variant ("basic", "layer4.0.bn2.running_mean", EDIT_SCALE,
                                         "mcam.classes", "[\"q\",\"r\",\"s\",\"t\",\"u\"]",
                                         FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) changed = mcam_net_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (mcam_net_get_info (a)->fingerprint, ==, mcam_net_get_info (b)->fingerprint);
  g_assert_cmpstr (mcam_net_get_info (a)->fingerprint, !=,
                   mcam_net_get_info (other)->fingerprint);
  g_assert_cmpstr (mcam_net_get_info (a)->fingerprint, !=,
                   mcam_net_get_info (changed)->fingerprint);
  remove_variant (path);
}

/* An input of another size than mcam.input (57x57 for a 48x40 model). */
static void
test_net_other_size (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strdup_printf ("net-%s-expected.safetensors", name);
  g_autofree char *path = mcam_test_fixture (file);
  g_autoptr (McamNet) net = load_fixture_net (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (path, &error);
  g_autoptr (McamTensor) x = NULL, f_ref = NULL, l_ref = NULL, f = NULL, logits = NULL;

  g_assert_no_error (error);
  x = mcam_safetensors_read (st, "input_other_size", 0, NULL, &error);
  f_ref = mcam_safetensors_read (st, "features_other_size", 0, NULL, &error);
  l_ref = mcam_safetensors_read (st, "logits_other_size", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (mcam_net_forward (net, x, &f, &logits, NULL, &error));
  g_assert_true (mcam_tensor_has_shape (f, 4, f_ref->shape));
  g_assert_cmpfloat (mcam_test_rel_error (logits->data, l_ref->data, logits->n, 1e-6), <=,
                     LOGITS_TOL);
  g_assert_cmpfloat (mcam_test_rel_error (f->data, f_ref->data, f->n, 1e-6), <=, FEATURES_TOL);
}

/* Several threads forwarding through one net at once (the app's worker and
 * a trainer may): the shared scratch buffer, the thread helper and the
 * lazily made Winograd weights must stay correct. */
typedef struct
{
  McamNet  *net;
  Expected *e;
  double    worst;
} ConcurrentJob;

static gpointer
concurrent_main (gpointer data)
{
  ConcurrentJob *job = data;

  for (int r = 0; r < 4; r++)
    {
      g_autoptr (McamTensor) logits = NULL;
      double err;

      if (!mcam_net_forward (job->net, job->e->input, NULL, &logits, NULL, NULL))
        {
          job->worst = INFINITY;
          break;
        }
      err = mcam_test_rel_error (logits->data, job->e->logits->data, logits->n, 1e-6);
      job->worst = MAX (job->worst, err);
    }
  return NULL;
}

static void
test_net_concurrent (void)
{
  /* fresh net: its Winograd weights are made during the race */
  g_autoptr (McamNet) net = load_fixture_net ("bottleneck");
  Expected e = { 0 };
  ConcurrentJob jobs[3];
  GThread *threads[3];

  load_expected ("bottleneck", &e);
  for (int i = 0; i < 3; i++)
    {
      jobs[i] = (ConcurrentJob) { net, &e, 0.0 };
      threads[i] = g_thread_new ("forward", concurrent_main, &jobs[i]);
    }
  for (int i = 0; i < 3; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpfloat (jobs[i].worst, <=, LOGITS_TOL);
    }
  expected_clear (&e);
}

/* Real torchvision resnet18/resnet50 (random weights and BN statistics),
 * exported with PyTorch's own outputs by tools/bench_torch.py into tools/out/
 * (100+ MB, not committed): checked when present, skipped otherwise. */
static void
test_net_torchvision (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strdup_printf ("tools/out/%s.safetensors", name);
  g_autofree char *efile = g_strdup_printf ("tools/out/%s-expected.safetensors", name);
  g_autofree char *path = mcam_test_source_path (file);
  g_autofree char *epath = mcam_test_source_path (efile);
  g_autoptr (GError) error = NULL;
  g_autoptr (McamNet) net = NULL;
  g_autoptr (McamSafetensors) st = NULL;
  g_autoptr (McamTensor) input = NULL, f_ref = NULL, l_ref = NULL, f = NULL, logits = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) || !g_file_test (epath, G_FILE_TEST_EXISTS))
    {
      /* 45-100 MB each: not committed. These figures (torchvision's own
       * resnet18/50 logits and features) are checked only by the dev-time
       * tool; docs/ROBUSTNESS.md counts these two skips as expected. */
      g_test_skip ("torchvision resnet18/50 logits and features vs PyTorch are checked only "
                   "at dev time (tools/bench_torch.py writes tools/out/); the ResNet "
                   "blocks themselves are checked above against the committed fixtures");
      return;
    }
  net = mcam_net_load (path, &error);
  g_assert_no_error (error);
  st = mcam_safetensors_open (epath, &error);
  g_assert_no_error (error);
  input = mcam_safetensors_read (st, "input", 0, NULL, &error);
  f_ref = mcam_safetensors_read (st, "features", 0, NULL, &error);
  l_ref = mcam_safetensors_read (st, "logits", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcam_net_get_info (net)->arch, ==, name);

  g_assert_true (mcam_net_forward (net, input, &f, &logits, NULL, &error));
  g_test_message ("%s: logits rel err %.3g, f rel err %.3g", name,
                  mcam_test_rel_error (logits->data, l_ref->data, logits->n, 1e-6),
                  mcam_test_rel_error (f->data, f_ref->data, f->n, 1e-6));
  g_assert_cmpfloat (mcam_test_rel_error (logits->data, l_ref->data, logits->n, 1e-6), <=,
                     LOGITS_TOL);
  g_assert_cmpfloat (mcam_test_rel_error (f->data, f_ref->data, f->n, 1e-6), <=, FEATURES_TOL);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/net/basic", test_net_basic);
  g_test_add_func ("/mcam/net/bottleneck", test_net_bottleneck);
  g_test_add_func ("/mcam/net/scores", test_net_scores);
  g_test_add_func ("/mcam/net/find-class", test_net_find_class);
  g_test_add_func ("/mcam/net/cancel", test_net_cancel);
  g_test_add_func ("/mcam/net/bad-input", test_net_bad_input);
  g_test_add_func ("/mcam/net/malformed", test_net_malformed);
  g_test_add_func ("/mcam/net/not-a-model", test_net_not_a_model);
  g_test_add_func ("/mcam/net/inferred-arch", test_net_inferred);
  g_test_add_func ("/mcam/net/fingerprint", test_net_fingerprint);
  g_test_add_data_func ("/mcam/net/other-size/basic", "basic", test_net_other_size);
  g_test_add_data_func ("/mcam/net/other-size/bottleneck", "bottleneck", test_net_other_size);
  g_test_add_func ("/mcam/net/concurrent", test_net_concurrent);
  g_test_add_data_func ("/mcam/net/torchvision/resnet18", "resnet18", test_net_torchvision);
  g_test_add_data_func ("/mcam/net/torchvision/resnet50", "resnet50", test_net_torchvision);
  return g_test_run ();
}
