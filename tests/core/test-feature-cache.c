/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The feature cache: features equal the backbone's own forward pass, the
 * file is reused while nothing changed and recomputed when an image, the
 * image list or the backbone changes; a failed computation leaves the old
 * file whole. */

#include <string.h>
#include <utime.h>

#include "mcam/mcam.h"
#include "mcam/mcam-feature-cache.h"
#include "mcam-test-util.h"

static const char *const fixture_images[] = {
  "img-pattern.png", "img-photo.jpg", "img-gray.png", "img-rgba.png", "img-photo.png",
};
#define N_IMAGES G_N_ELEMENTS (fixture_images)

typedef struct
{
  char    *dir;
  char    *paths[N_IMAGES + 1];
  char    *cache;
  McamNet *net;
} Fixture;

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (from, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, data, (gssize) len, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = mcam_test_fixture ("net-basic.safetensors");

  fx->dir = g_dir_make_tmp ("mcam-fcache-XXXXXX", &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < N_IMAGES; i++)
    {
      g_autofree char *src = mcam_test_fixture (fixture_images[i]);
      fx->paths[i] = g_build_filename (fx->dir, fixture_images[i], NULL);
      copy_file (src, fx->paths[i]);
    }
  fx->cache = g_build_filename (fx->dir, "mem.safetensors.features", NULL);
  fx->net = mcam_net_load (model, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  for (gsize i = 0; i < N_IMAGES; i++)
    {
      g_unlink (fx->paths[i]);
      g_free (fx->paths[i]);
    }
  g_unlink (fx->cache);
  g_rmdir (fx->dir);
  g_free (fx->dir);
  g_free (fx->cache);
  mcam_net_free (fx->net);
}

static McamFeatureCache *
open_cache (Fixture *fx, int n, GError **error)
{
  return mcam_feature_cache_open (fx->cache, fx->net, (const char *const *) fx->paths, n, 2,
                                  NULL, NULL, NULL, error);
}

static void
test_reuse (Fixture *fx, gconstpointer data)
{
  const McamNetInfo *info = mcam_net_get_info (fx->net);
  gsize D = (gsize) info->feat_c * info->feat_h * info->feat_w;
  int C = info->n_classes;
  g_autoptr(GError) error = NULL;
  g_autoptr(McamFeatureCache) a = NULL, b = NULL, c = NULL, d = NULL, mem = NULL;
  g_autofree float *first = NULL;

  a = open_cache (fx, N_IMAGES, &error);
  g_assert_no_error (error);
  g_assert_false (mcam_feature_cache_was_reused (a));
  g_assert_cmpint (mcam_feature_cache_get_n (a), ==, N_IMAGES);
  g_assert_true (g_file_test (fx->cache, G_FILE_TEST_IS_REGULAR));

  /* equal to a plain forward pass of each image */
  for (gsize i = 0; i < N_IMAGES; i++)
    {
      g_autoptr(McamImage) img = mcam_image_load (fx->paths[i], 0, &error);
      g_autoptr(McamTensor) in = NULL, f = NULL, z = NULL;
      g_assert_no_error (error);
      in = mcam_image_preprocess (img, &info->preprocess);
      g_assert_true (mcam_net_forward (fx->net, in, &f, &z, NULL, &error));
      g_assert_cmpfloat (mcam_test_rel_error (mcam_feature_cache_get_features (a) + i * D,
                                              f->data, D, 1e-6), <, 1e-5);
      g_assert_cmpfloat (mcam_test_rel_error (mcam_feature_cache_get_logits (a) + i * C,
                                              z->data, C, 1e-6), <, 1e-5);
    }
  first = g_memdup2 (mcam_feature_cache_get_features (a), sizeof (float) * N_IMAGES * D);

  /* unchanged: reused, same values */
  b = open_cache (fx, N_IMAGES, &error);
  g_assert_no_error (error);
  g_assert_true (mcam_feature_cache_was_reused (b));
  g_assert_cmpmem (mcam_feature_cache_get_features (b), sizeof (float) * N_IMAGES * D, first,
                   sizeof (float) * N_IMAGES * D);

  /* another list: recomputed */
  c = open_cache (fx, N_IMAGES - 1, &error);
  g_assert_no_error (error);
  g_assert_false (mcam_feature_cache_was_reused (c));

  /* a changed image (same size, another mtime): recomputed */
  d = open_cache (fx, N_IMAGES - 1, &error);
  g_assert_true (mcam_feature_cache_was_reused (d));
  g_clear_pointer (&d, mcam_feature_cache_free);
  {
    struct utimbuf t = { 1000000000, 1000000000 };
    g_assert_cmpint (utime (fx->paths[1], &t), ==, 0);
  }
  d = open_cache (fx, N_IMAGES - 1, &error);
  g_assert_no_error (error);
  g_assert_false (mcam_feature_cache_was_reused (d));

  /* no file: computed in memory, same values */
  mem = mcam_feature_cache_open (NULL, fx->net, (const char *const *) fx->paths, N_IMAGES, 3,
                                 NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (mcam_test_rel_error (mcam_feature_cache_get_features (mem), first,
                                          N_IMAGES * D, 1e-6), <, 1e-5);
}

/* A broken image fails naming it, and the earlier cache file stays whole. */
static void
test_failure_keeps_old (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McamFeatureCache) a = NULL, b = NULL;
  g_autofree char *before = NULL, *after = NULL;
  gsize len_before, len_after;

  a = open_cache (fx, N_IMAGES, &error);
  g_assert_no_error (error);
  g_clear_pointer (&a, mcam_feature_cache_free);
  g_file_get_contents (fx->cache, &before, &len_before, NULL);

  g_file_set_contents (fx->paths[3], "not an image", -1, &error);
  g_assert_no_error (error);
  b = open_cache (fx, N_IMAGES, &error);
  g_assert_null (b);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fixture_images[3]));

  g_file_get_contents (fx->cache, &after, &len_after, NULL);
  g_assert_cmpmem (before, len_before, after, len_after);
  /* no temp file left behind */
  {
    g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (name, "."));
  }
}

int
main (int argc, char **argv)
{
  mcam_test_init (&argc, &argv);
  g_test_add ("/mcam/feature-cache/reuse", Fixture, NULL, fixture_setup, test_reuse,
              fixture_teardown);
  g_test_add ("/mcam/feature-cache/failure-keeps-old", Fixture, NULL, fixture_setup,
              test_failure_keeps_old, fixture_teardown);
  return g_test_run ();
}
