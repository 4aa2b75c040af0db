/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Backbone features of an image list, computed once and kept in a file
 * (see mcam-feature-cache.h).
 *
 * A reused file is read whole into memory, not mapped: training touches every
 * row every epoch, so a mapping saved no memory, and a mapped file truncated
 * or rewritten meanwhile (another run writing the same OUT.features) made the
 * next access SIGBUS. The read is capped by the size the header's shape must
 * have, which comes from the backbone, not from the file.
 *
 * File layout (little-endian, this machine's float32):
 *   0     "MCAMFEAT"                      8 bytes
 *   8     version (1), n, c, h, w, C      6 × guint32
 *   32    key: SHA-256 hex of the key text, NUL-padded to 72 bytes
 *   104   zero padding up to HEADER_SIZE
 *   HEADER_SIZE  features [n, c·h·w] float32, then logits [n, C] float32
 * The key text holds the backbone fingerprint, the preprocessing and, per
 * image, "path\tsize\tmtime" — a changed image, list or backbone misses. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "mcam/mcam-error.h"
#include "mcam/mcam-feature-cache.h"
#include "mcam/mcam-image.h"
#include "mcam-file.h"

#define MAGIC       "MCAMFEAT"
#define VERSION     1u
#define KEY_OFFSET  32
#define KEY_SIZE    72
#define HEADER_SIZE 4096

struct _McamFeatureCache
{
  int          n, c, h, w, C;
  float       *owned;       /* features then logits, read or computed */
  const float *features;
  const float *logits;
  gboolean     reused;
};

void
mcam_feature_cache_free (McamFeatureCache *cache)
{
  if (cache == NULL)
    return;
  g_free (cache->owned);
  g_free (cache);
}

int
mcam_feature_cache_get_n (McamFeatureCache *cache)
{
  return cache->n;
}

const float *
mcam_feature_cache_get_features (McamFeatureCache *cache)
{
  return cache->features;
}

const float *
mcam_feature_cache_get_logits (McamFeatureCache *cache)
{
  return cache->logits;
}

gboolean
mcam_feature_cache_was_reused (McamFeatureCache *cache)
{
  return cache->reused;
}

/* SHA-256 of the key text; fails when an image cannot be stat'ed. */
static char *
compute_key (McamNet *net, const char *const *paths, int n, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  const McamPreprocess *pp = &info->preprocess;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *head = NULL;

  /* the layer too: two layers of one network may have the same shape */
  head = g_strdup_printf ("mcam-features 1\nbackbone %s\nfeatures %dx%dx%d of %s classes %d\n"
                          "input %dx%d resize %d size %d interpolation %d "
                          "mean %.9g %.9g %.9g std %.9g %.9g %.9g\n",
                          info->fingerprint ? info->fingerprint : "-", info->feat_c,
                          info->feat_h, info->feat_w, info->target, info->n_classes, pp->width,
                          pp->height, (int) pp->resize, pp->resize_size,
                          (int) pp->interpolation, pp->mean[0], pp->mean[1],
                          pp->mean[2], pp->std[0], pp->std[1], pp->std[2]);
  g_checksum_update (sum, (const guchar *) head, -1);
  for (int i = 0; i < n; i++)
    {
      GStatBuf st;
      g_autofree char *line = NULL;

      if (g_stat (paths[i], &st) != 0)
        {
          int err = errno;
          g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO, "%s: cannot read the image (%s)",
                       paths[i], g_strerror (err));
          return NULL;
        }
      line = g_strdup_printf ("%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT ".%09ld\n",
                              paths[i], (gint64) st.st_size, (gint64) st.st_mtim.tv_sec,
                              (long) st.st_mtim.tv_nsec);
      g_checksum_update (sum, (const guchar *) line, -1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

static void
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

/* A cache over data laid out as the file's body: n×(c·h·w) features, then
 * n×C logits. The caller says who owns the data. */
static McamFeatureCache *
cache_new (int n, int c, int h, int w, int C, const float *data)
{
  McamFeatureCache *cache = g_new0 (McamFeatureCache, 1);

  cache->n = n;
  cache->c = c;
  cache->h = h;
  cache->w = w;
  cache->C = C;
  cache->features = data;
  cache->logits = data + (gsize) n * c * h * w;
  return cache;
}

static guint32
get_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

/* Try the existing file: NULL without error when absent, stale or malformed
 * (it is then recomputed); NULL with error when the path is not a regular file
 * (a FIFO or a folder must not be replaced) or the data cannot be read. */
static McamFeatureCache *
try_reuse (const char *path, const char *key, int n, int c, int h, int w, int C,
           GError **error)
{
  guint8 d[HEADER_SIZE];
  gsize D = (gsize) c * h * w, body;
  char stored[KEY_SIZE + 1];
  g_autofree float *data = NULL;
  McamFeatureCache *cache;
  struct stat st;
  int fd;

  if (stat (path, &st) != 0 && errno == ENOENT)
    return NULL;
  fd = mcam_file_open_regular (path, "feature cache", &st, error);
  if (fd < 0)
    return NULL;
  body = sizeof (float) * ((gsize) n * D + (gsize) n * C);
  if ((guint64) st.st_size != HEADER_SIZE + body
      || !mcam_file_pread_exact (fd, d, HEADER_SIZE, 0, path, "feature cache", NULL))
    goto stale;
  if (memcmp (d, MAGIC, 8) != 0 || get_u32 (d + 8) != VERSION)
    goto stale;
  if (get_u32 (d + 12) != (guint32) n || get_u32 (d + 16) != (guint32) c ||
      get_u32 (d + 20) != (guint32) h || get_u32 (d + 24) != (guint32) w ||
      get_u32 (d + 28) != (guint32) C)
    goto stale;
  memcpy (stored, d + KEY_OFFSET, KEY_SIZE);
  stored[KEY_SIZE] = '\0';
  if (strcmp (stored, key) != 0)
    goto stale;

  data = g_try_malloc (MAX (body, 1));
  if (data == NULL)
    {
      g_autofree char *shown = mcam_file_display_name (path);
      g_autofree char *size = g_format_size_full (body, G_FORMAT_SIZE_IEC_UNITS);

      close (fd);
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_TOO_LARGE,
                   "Cannot read feature cache “%s”: its %s do not fit in memory", shown, size);
      return NULL;
    }
  /* A file cut short since fstat is stale: recomputed, never a crash. */
  if (!mcam_file_pread_exact (fd, data, body, HEADER_SIZE, path, "feature cache", NULL))
    goto stale;
  close (fd);

  cache = cache_new (n, c, h, w, C, data);
  cache->owned = g_steal_pointer (&data);
  cache->reused = TRUE;
  return cache;

stale:
  close (fd);
  return NULL;
}

/* Compute features and logits of images [start, start + B) into f, z. */
static gboolean
compute_batch (McamNet *net, const char *const *paths, int start, int B, float *f, float *z,
               GCancellable *cancellable, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  const McamPreprocess *pp = &info->preprocess;
  gsize in_size = (gsize) 3 * pp->height * pp->width;
  gsize D = (gsize) info->feat_c * info->feat_h * info->feat_w;
  g_autoptr(McamTensor) input = mcam_tensor_new_4d (B, 3, pp->height, pp->width);
  g_autoptr(McamTensor) feats = NULL;
  g_autoptr(McamTensor) logits = NULL;

  for (int k = 0; k < B; k++)
    {
      g_autoptr(McamImage) img = mcam_image_load (paths[start + k], 0, error);
      if (img == NULL)
        return FALSE;
      mcam_image_preprocess_into (img, pp, input->data + (gsize) k * in_size);
    }
  if (!mcam_net_forward (net, input, &feats, &logits, cancellable, error))
    return FALSE;
  memcpy (f, feats->data, sizeof (float) * B * D);
  memcpy (z, logits->data, sizeof (float) * (gsize) B * info->n_classes);
  return TRUE;
}

McamFeatureCache *
mcam_feature_cache_open (const char *cache_path, McamNet *net, const char *const *paths,
                         int n, int batch, McamFeatureCacheProgress progress,
                         gpointer user_data, GCancellable *cancellable, GError **error)
{
  const McamNetInfo *info = mcam_net_get_info (net);
  int c = info->feat_c, h = info->feat_h, w = info->feat_w, C = info->n_classes;
  gsize D = (gsize) c * h * w;
  g_autofree char *key = NULL;
  g_autoptr(McamFileTemp) temp = NULL;
  g_autofree float *fbuf = NULL, *zbuf = NULL;
  g_autofree float *all = NULL;
  McamFeatureCache *cache;
  int fd = -1;
  gboolean ok = FALSE;

  g_return_val_if_fail (net != NULL && n >= 0, NULL);
  if (batch <= 0)
    batch = 16;

  key = compute_key (net, paths, n, error);
  if (key == NULL)
    return NULL;
  if (cache_path != NULL)
    {
      g_autoptr(GError) reuse_error = NULL;

      cache = try_reuse (cache_path, key, n, c, h, w, C, &reuse_error);
      if (reuse_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&reuse_error));
          return NULL;
        }
      if (cache != NULL)
        {
          if (progress != NULL)
            progress (n, n, user_data);
          return cache;
        }
    }

  fbuf = g_new (float, (gsize) batch * D);
  zbuf = g_new (float, (gsize) batch * C);
  if (cache_path == NULL)
    all = g_new (float, MAX (1, (gsize) n * (D + C)));
  else
    {
      /* The logits go after every feature row: keep them in memory and write
       * them at the end; the features stream to a temp file beside the target
       * (nameless where the file system allows: a kill leaves nothing). */
      guint8 header[HEADER_SIZE] = { 0 };

      temp = mcam_file_temp_new (cache_path, error);
      if (temp == NULL)
        return NULL;
      fd = mcam_file_temp_get_fd (temp);
      all = g_new (float, MAX (1, (gsize) n * C));
      memcpy (header, MAGIC, 8);
      put_u32 (header + 8, VERSION);
      put_u32 (header + 12, (guint32) n);
      put_u32 (header + 16, (guint32) c);
      put_u32 (header + 20, (guint32) h);
      put_u32 (header + 24, (guint32) w);
      put_u32 (header + 28, (guint32) C);
      memcpy (header + KEY_OFFSET, key, MIN (strlen (key), (gsize) KEY_SIZE));
      if (!mcam_file_write_all (fd, header, HEADER_SIZE, cache_path, error))
        goto out;
    }

  for (int start = 0; start < n; start += batch)
    {
      int B = MIN (batch, n - start);
      float *fdst = cache_path == NULL ? all + (gsize) start * D : fbuf;
      float *zdst = cache_path == NULL ? all + (gsize) n * D + (gsize) start * C
                                       : all + (gsize) start * C;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      if (!compute_batch (net, paths, start, B, fdst, zbuf, cancellable, error))
        goto out;
      memcpy (zdst, zbuf, sizeof (float) * B * C);
      if (cache_path != NULL && !mcam_file_write_all (fd, fbuf, sizeof (float) * B * D, cache_path, error))
        goto out;
      if (progress != NULL)
        progress (start + B, n, user_data);
    }

  if (cache_path == NULL)
    {
      cache = cache_new (n, c, h, w, C, all);
      cache->owned = g_steal_pointer (&all);
      return cache;
    }

  if (!mcam_file_write_all (fd, all, sizeof (float) * (gsize) n * C, cache_path, error))
    goto out;
  if (!mcam_file_temp_commit (temp, error))
    goto out;
  ok = TRUE;

out:
  g_clear_pointer (&temp, mcam_file_temp_free);   /* an uncommitted temp is removed */
  if (!ok)
    return NULL;

  cache = try_reuse (cache_path, key, n, c, h, w, C, error);
  if (cache == NULL && error != NULL && *error != NULL)
    return NULL;
  if (cache == NULL)
    {
      g_set_error (error, MCAM_ERROR, MCAM_ERROR_IO,
                   "%s: the feature cache just written cannot be read back", cache_path);
      return NULL;
    }
  cache->reused = FALSE;
  return cache;
}
