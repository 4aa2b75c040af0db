/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preprocessing as the model was trained (issue #17) with memory bounded by
 * the output (issue #13): the 8-bit pixels torchvision's Resize + CenterCrop
 * give on PIL images for every mode and interpolation, byte for byte; the
 * logits of a tiny ResNet whose metadata names the preprocessing, to 1e-4;
 * an unknown key reported and ignored; and images of extreme aspect
 * (1 x 30,000,000 pixels) preprocessed within a stated memory bound, checked
 * against a direct one-dimensional reference. Fixtures:
 * tools/make_preprocess_fixtures.py. */

#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include "mcam/mcam-feature-cache.h"
#include "mcam/mcam-image.h"
#include "mcam/mcam-model-meta.h"
#include "mcam/mcam-net.h"
#include "mcam/mcam-safetensors.h"
#include "mcam-test-util.h"

static McamImage *
transposed (const McamImage *img)
{
  McamImage *t = mcam_image_new (img->height, img->width);

  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      memcpy (t->rgb + ((gsize) x * t->width + y) * 3, img->rgb + ((gsize) y * img->width + x) * 3, 3);
  return t;
}

/* "pp-photo.png" or "pp-photo.png^T" (the same, transposed: the portrait case). */
static McamImage *
load_case_image (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *file = g_strndup (name, strcspn (name, "^"));
  g_autofree char *path = mcam_test_fixture (file);
  g_autoptr (McamImage) img = mcam_image_load (path, 0, &error);

  g_assert_no_error (error);
  if (g_str_has_suffix (name, "^T"))
    return transposed (img);
  return g_steal_pointer (&img);
}

static McamTensor *
read_fixture (McamSafetensors *st, const char *name)
{
  g_autoptr (GError) error = NULL;
  McamTensor *t = mcam_safetensors_read (st, name, 0, NULL, &error);

  g_assert_no_error (error);
  return t;
}

/* Every "<image>|<mode>|<W>x<H>|<resize-size>|<interpolation>" case: our
 * 8-bit pixels equal PIL's exactly. */
static void
test_pixels (void)
{
  g_autofree char *path = mcam_test_fixture ("pp-torch.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (path, &error);
  const char *const *names;
  int n_cases = 0, per_interp[3] = { 0 };

  g_assert_no_error (error);
  names = mcam_safetensors_get_names (st);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (names[i], "|", -1);
      McamPreprocess pp = { .mean = { 0, 0, 0 }, .std = { 1, 1, 1 } };
      g_autoptr (McamImage) img = NULL;
      g_autoptr (McamTensor) ref = NULL;
      g_autofree guint8 *got = NULL;
      int size, wrong = 0;

      if (g_strv_length (f) != 5)
        continue;
      g_assert_cmpint (sscanf (f[2], "%dx%d", &pp.width, &pp.height), ==, 2);
      size = atoi (f[3]);
      pp.resize = g_str_equal (f[1], "stretch") ? MCAM_RESIZE_STRETCH : MCAM_RESIZE_CENTER_CROP;
      if (pp.resize == MCAM_RESIZE_CENTER_CROP)
        pp.resize_size = size > 0 ? size : mcam_preprocess_default_resize_size (pp.width, pp.height);
      pp.interpolation = g_str_equal (f[4], "bicubic") ? MCAM_INTERP_BICUBIC
                       : g_str_equal (f[4], "nearest") ? MCAM_INTERP_NEAREST
                       : MCAM_INTERP_BILINEAR;
      g_assert_true (g_str_equal (f[4], mcam_interpolation_get_name (pp.interpolation)));

      img = load_case_image (f[0]);
      ref = read_fixture (st, names[i]);
      g_assert_cmpint (ref->n, ==, (gsize) pp.width * pp.height * 3);
      got = g_malloc ((gsize) pp.width * pp.height * 3);
      mcam_image_preprocess_pixels (img, &pp, got);
      for (gsize k = 0; k < ref->n; k++)
        if (got[k] != (guint8) ref->data[k])
          {
            if (wrong++ == 0)
              g_test_message ("%s: byte %zu is %d, PIL %d", names[i], k, got[k],
                              (int) ref->data[k]);
          }
      if (wrong > 0)
        g_error ("%s: %d of %zu bytes differ from PIL", names[i], wrong, ref->n);

      /* and the float path is those bytes, normalised */
      {
        g_autoptr (McamTensor) t = mcam_image_preprocess (img, &pp);

        for (gsize k = 0; k < (gsize) pp.width * pp.height; k++)
          g_assert_cmpfloat (t->data[k], ==, got[k * 3] / 255.0f);
      }
      per_interp[pp.interpolation]++;
      n_cases++;
    }
  g_test_message ("%d cases byte-exact (bilinear %d, bicubic %d, nearest %d)", n_cases,
                  per_interp[0], per_interp[1], per_interp[2]);
  /* 4 images x 6 settings x 3 interpolations */
  g_assert_cmpint (n_cases, ==, 72);
}

/* A model file naming its preprocessing: loaded, preprocessed as its metadata
 * says, run: torchvision's logits to 1e-4. */
static void
test_logits (gconstpointer data)
{
  const char *variant = data;
  g_autofree char *model = g_strdup_printf ("pp-resnet-%s.safetensors", variant);
  g_autofree char *model_path = mcam_test_fixture (model);
  g_autofree char *ref_path = mcam_test_fixture ("pp-torch.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (McamSafetensors) st = mcam_safetensors_open (ref_path, &error);
  g_autoptr (McamNet) net = mcam_net_load (model_path, &error);
  const McamNetInfo *info;
  const McamPreprocess *pp;
  const char *images[] = { "pp-photo.png", "pp-photo.png^T", "pp-tiny.png" };

  g_assert_no_error (error);
  info = mcam_net_get_info (net);
  pp = &info->preprocess;

  /* what the metadata says, and what was assumed */
  if (g_str_equal (variant, "default") || g_str_equal (variant, "typo"))
    {
      /* mcam.resize = center-crop and no other key: torchvision's ImageNet
       * evaluation preset, Resize(256) + CenterCrop(224), bilinear */
      g_assert_cmpint (pp->resize, ==, MCAM_RESIZE_CENTER_CROP);
      g_assert_cmpint (pp->resize_size, ==, 256);
      g_assert_cmpint (pp->interpolation, ==, MCAM_INTERP_BILINEAR);
      g_assert_true (info->meta_assumed & MCAM_META_RESIZE_SIZE);
      g_assert_true (info->meta_assumed & MCAM_META_INTERPOLATION);
      g_assert_false (info->meta_assumed & MCAM_META_RESIZE);
    }
  else if (g_str_equal (variant, "232"))
    {
      g_assert_cmpint (pp->resize_size, ==, 232);
      g_assert_false (info->meta_assumed & MCAM_META_RESIZE_SIZE);
    }
  else if (g_str_equal (variant, "bicubic") || g_str_equal (variant, "nearest"))
    {
      g_assert_cmpstr (mcam_interpolation_get_name (pp->interpolation), ==, variant);
      g_assert_false (info->meta_assumed & MCAM_META_INTERPOLATION);
    }
  else if (g_str_equal (variant, "stretch-bicubic"))
    {
      g_assert_cmpint (pp->resize, ==, MCAM_RESIZE_STRETCH);
      g_assert_cmpint (pp->width, ==, 224);
      g_assert_cmpint (pp->height, ==, 192);
    }
  if (g_str_equal (variant, "typo"))
    g_assert_cmpstrv (info->unknown_keys, ((const char *const[]) { "mcam.resize_size", NULL }));
  else
    g_assert_cmpstrv (info->unknown_keys, ((const char *const[]) { NULL }));

  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s|%s|logits", model, images[i]);
      g_autoptr (McamImage) img = load_case_image (images[i]);
      g_autoptr (McamTensor) ref = read_fixture (st, name);
      g_autoptr (McamTensor) input = mcam_image_preprocess (img, pp);
      g_autoptr (McamTensor) logits = NULL;
      double diff = 0.0;

      g_assert_true (mcam_net_forward (net, input, NULL, &logits, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (logits->n, ==, ref->n);
      for (gsize k = 0; k < ref->n; k++)
        diff = MAX (diff, fabs ((double) logits->data[k] - ref->data[k]));
      g_test_message ("%s: max |ours - torchvision| = %.3g", name, diff);
      g_assert_cmpfloat (diff, <=, 1e-4);
    }
}

/* One row of n pixels resized to m by PIL's formula, written directly: per
 * output, the filter over its window, normalised, in 22-bit fixed point,
 * rounded and clipped. No tables, no streaming, no shared columns: the
 * reference for the resampler's long-filter path. (The doubles are formed as
 * PIL forms them, operation for operation: a weight one unit of 2^-22 off
 * could flip a rounding, and the test is byte-exact.) */
static void
reference_1d (const guint8 *in, int n, int m, gboolean bicubic, guint8 *out)
{
  double scale = (double) n / m, stretch = MAX (scale, 1.0);
  double support = (bicubic ? 2.0 : 1.0) * stretch, ss = 1.0 / stretch;

  for (int o = 0; o < m; o++)
    {
      double center = (o + 0.5) * scale, total = 0.0;
      int lo = MAX (0, (int) (center - support + 0.5));
      int hi = MIN (n, (int) (center + support + 0.5));
      gint64 acc = 1 << 21;

      for (int pass = 0; pass < 2; pass++)
        for (int i = lo; i < hi; i++)
          {
            double x = fabs ((i - center + 0.5) * ss), w, f;

            if (bicubic)
              w = x < 1.0 ? (1.5 * x - 2.5) * x * x + 1
                : x < 2.0 ? (((x - 5) * x + 8) * x - 4) * -0.5 : 0.0;
            else
              w = x < 1.0 ? 1.0 - x : 0.0;
            if (pass == 0)
              {
                total += w;
                continue;
              }
            f = w / total * (1 << 22);
            acc += in[i] * (gint64) (f < 0 ? f - 0.5 : f + 0.5);
          }
      out[o] = (guint8) CLAMP (acc >> 22, 0, 255);
    }
}

/* The rectangle the network sees with Resize(256) + CenterCrop(224) of a
 * 300 x 240 image: resized to 320 x 256 (torchvision: int(256 * 300 / 240)),
 * the crop at (48, 16) of that, i.e. at (45, 15) source pixels, 210 wide and
 * high (224 * 240 / 256). */
static void
test_source_rect (void)
{
  g_autoptr (McamImage) img = mcam_image_new (300, 240);
  McamPreprocess pp = { 224, 224, MCAM_RESIZE_CENTER_CROP, { 0, 0, 0 }, { 1, 1, 1 }, 256, 0 };
  double x0, y0, w, h;

  mcam_image_preprocess_source_rect (img, &pp, &x0, &y0, &w, &h);
  g_assert_cmpfloat_with_epsilon (x0, 45.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (y0, 15.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (w, 210.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (h, 210.0, 1e-12);

  /* portrait: the same, transposed */
  {
    g_autoptr (McamImage) tall = mcam_image_new (240, 300);

    mcam_image_preprocess_source_rect (tall, &pp, &x0, &y0, &w, &h);
    g_assert_cmpfloat_with_epsilon (x0, 15.0, 1e-12);
    g_assert_cmpfloat_with_epsilon (y0, 45.0, 1e-12);
  }
}

/* The feature cache's key includes the preprocessing: the variant files hold
 * the same weights (same fingerprint, same shapes) and differ only in
 * mcam.resize-size / mcam.interpolation, so a cache written for one must not
 * be reused for another; the typo'd file preprocesses as the default one and
 * may reuse its cache. */
static void
test_feature_cache_key (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mcam-pp-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "f.features", NULL);
  g_autofree char *image = mcam_test_fixture ("pp-photo.png");
  const char *paths[] = { image };
  const struct { const char *variant; gboolean reused; } steps[] = {
    { "default", FALSE }, { "default", TRUE }, { "232", FALSE }, { "bicubic", FALSE },
    { "nearest", FALSE }, { "default", FALSE }, { "typo", TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *name = g_strdup_printf ("pp-resnet-%s.safetensors", steps[i].variant);
      g_autofree char *path = mcam_test_fixture (name);
      g_autoptr (GError) error = NULL;
      g_autoptr (McamNet) net = mcam_net_load (path, &error);
      g_autoptr (McamFeatureCache) fc = NULL;

      g_assert_no_error (error);
      fc = mcam_feature_cache_open (cache, net, paths, 1, 1, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      if (mcam_feature_cache_was_reused (fc) != steps[i].reused)
        g_error ("step %zu (%s): cache %s", i, steps[i].variant,
                 steps[i].reused ? "recomputed, expected reused" : "reused, expected recomputed");
    }
  g_remove (cache);
  g_rmdir (dir);
}

/* The bound on the process's peak RSS: 1 GB. A sanitizer's shadow memory is
 * counted in RSS too (ThreadSanitizer maps ~4x the application's memory, ASan
 * ~2x): under one, the bound grows by that factor, so the test still catches
 * a resampler that holds the whole source at output width (5.96 GB before). */
#if defined(__SANITIZE_THREAD__)
#define PEAK_RSS_LIMIT_KB (4L * 1024 * 1024)
#elif defined(__SANITIZE_ADDRESS__)
#define PEAK_RSS_LIMIT_KB (2L * 1024 * 1024)
#else
#define PEAK_RSS_LIMIT_KB (1L * 1024 * 1024)
#endif

static glong
peak_rss_kb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* 1 x 30,000,000 and 30,000,000 x 1 pixels (a 90 MB image, under the 100 MP
 * decode limit), stretched to 224 x 224 and centre-cropped: the old
 * resampler kept every source row at output width (20 GB). Each result
 * against the one-dimensional reference, and the whole process's peak RSS
 * under 1 GB. */
static void
test_extreme_aspect (void)
{
  const int n = 30000000, side = 224;
  g_autoptr (McamImage) tall = mcam_image_new (1, n);
  g_autoptr (McamImage) wide = NULL;
  g_autofree guint8 *line = g_malloc (n);
  g_autofree guint8 *ref = g_malloc (side);
  g_autofree guint8 *got = g_malloc ((gsize) side * side * 3);
  guint32 state = 12345;

  /* a grey pattern with structure at every scale: a ramp plus noise */
  for (int i = 0; i < n; i++)
    {
      state = state * 1664525u + 1013904223u;
      line[i] = (guint8) (((gint64) i * 200 / n) + (state >> 28));
      memset (tall->rgb + (gsize) i * 3, line[i], 3);
    }
  wide = transposed (tall);

  for (int interp = MCAM_INTERP_BILINEAR; interp <= MCAM_INTERP_BICUBIC; interp++)
    {
      McamPreprocess pp = { side, side, MCAM_RESIZE_STRETCH, { 0, 0, 0 }, { 1, 1, 1 },
                            0, interp };

      reference_1d (line, n, side, interp == MCAM_INTERP_BICUBIC, ref);
      /* tall: every output row is the reference value, across the row
       * (the one source column upsampled exactly) */
      mcam_image_preprocess_pixels (tall, &pp, got);
      for (int y = 0; y < side; y++)
        for (int x = 0; x < side * 3; x++)
          if (got[(gsize) y * side * 3 + x] != ref[y])
            g_error ("1x%d %s: pixel (%d,%d) is %d, reference %d", n,
                     mcam_interpolation_get_name (interp), x / 3, y,
                     got[(gsize) y * side * 3 + x], ref[y]);
      mcam_image_preprocess_pixels (wide, &pp, got);
      for (int y = 0; y < side; y++)
        for (int x = 0; x < side * 3; x++)
          if (got[(gsize) y * side * 3 + x] != ref[x / 3])
            g_error ("%dx1 %s: pixel (%d,%d) is %d, reference %d", n,
                     mcam_interpolation_get_name (interp), x / 3, y,
                     got[(gsize) y * side * 3 + x], ref[x / 3]);
    }

  /* centre crop (Resize(256) + CenterCrop(224)) and nearest: a thin slice
   * at the centre, so the output varies little; what matters is that it
   * runs in bounded memory and agrees between the two orientations */
  for (int interp = MCAM_INTERP_BILINEAR; interp <= MCAM_INTERP_NEAREST; interp++)
    {
      McamPreprocess pp = { side, side, MCAM_RESIZE_CENTER_CROP, { 0, 0, 0 }, { 1, 1, 1 },
                            256, interp };
      g_autofree guint8 *got_t = g_malloc ((gsize) side * side * 3);

      mcam_image_preprocess_pixels (tall, &pp, got);
      mcam_image_preprocess_pixels (wide, &pp, got_t);
      for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
          g_assert_cmpint (got[((gsize) y * side + x) * 3], ==, got_t[((gsize) x * side + y) * 3]);
    }

  g_test_message ("peak RSS %ld MB (two 90 MB images and a 30 MB line)", peak_rss_kb () / 1024);
  g_assert_cmpint (peak_rss_kb (), <, PEAK_RSS_LIMIT_KB);
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);

  g_test_add_func ("/mcam/preprocess/pixels", test_pixels);
  g_test_add_data_func ("/mcam/preprocess/logits/default", "default", test_logits);
  g_test_add_data_func ("/mcam/preprocess/logits/resize-size-232", "232", test_logits);
  g_test_add_data_func ("/mcam/preprocess/logits/bicubic", "bicubic", test_logits);
  g_test_add_data_func ("/mcam/preprocess/logits/nearest", "nearest", test_logits);
  g_test_add_data_func ("/mcam/preprocess/logits/stretch-bicubic", "stretch-bicubic", test_logits);
  g_test_add_data_func ("/mcam/preprocess/logits/unknown-key", "typo", test_logits);
  g_test_add_func ("/mcam/preprocess/source-rect", test_source_rect);
  g_test_add_func ("/mcam/preprocess/feature-cache-key", test_feature_cache_key);
  g_test_add_func ("/mcam/preprocess/extreme-aspect", test_extreme_aspect);
  return g_test_run ();
}
