/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MCAM_PROFILE=1: where a forward pass spends its time, node by node.
 * Times are the process's CPU time (every thread's, so OpenBLAS's workers
 * count) around each node's kernel call: on a machine shared with other
 * jobs the wall clock mostly measures waiting for a core, CPU time does not.
 * Prefer instruction counts (perf stat, callgrind) for decisions between two
 * kernels. MCAM_PROFILE=wall: the wall clock instead, to see how well a
 * node uses several threads (on a quiet machine). */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mcam-conv.h"
#include "mcam-graph-profile.h"

typedef struct
{
  int     order;      /* first-seen order: the graph's node order */
  char   *name;
  char   *kind;
  char   *geom;
  double  flops;      /* summed over calls */
  GArray *ns;         /* gint64 per call */
} Entry;

static GMutex lock;
static GHashTable *entries;   /* McamNode * -> Entry * */
static int on = -1;

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static double
median_ms (GArray *ns)
{
  g_autoptr (GArray) s = g_array_copy (ns);

  g_array_sort (s, cmp_i64);
  if (s->len == 0)
    return 0;
  if (s->len % 2)
    return g_array_index (s, gint64, s->len / 2) / 1e6;
  return (g_array_index (s, gint64, s->len / 2 - 1) +
          g_array_index (s, gint64, s->len / 2)) / 2e6;
}

static double
total_ms (GArray *ns)
{
  gint64 t = 0;

  for (guint i = 0; i < ns->len; i++)
    t += g_array_index (ns, gint64, i);
  return t / 1e6;
}

static int
cmp_order (gconstpointer a, gconstpointer b)
{
  return (*(Entry * const *) a)->order - (*(Entry * const *) b)->order;
}

static void
report (void)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  g_autoptr (GHashTable) kinds = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GPtrArray) kind_order = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  double sum_med = 0;

  if (entries == NULL)
    return;
  g_hash_table_iter_init (&it, entries);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (all, v);
  g_ptr_array_sort (all, cmp_order);
  for (guint i = 0; i < all->len; i++)
    sum_med += median_ms (((Entry *) g_ptr_array_index (all, i))->ns);
  fprintf (stderr, "MCAM_PROFILE (%s): %u nodes, sum of per-node medians %.2f ms\n",
           on == 2 ? "wall clock" : "process CPU time", all->len, sum_med);
  fprintf (stderr, "%4s %-10s %-28s %6s %9s %6s %8s  %s\n", "#", "kind", "geometry", "calls",
           "median", "share", "GFLOP/s", "node");
  for (guint i = 0; i < all->len; i++)
    {
      Entry *e = g_ptr_array_index (all, i);
      double med = median_ms (e->ns), tot = total_ms (e->ns);
      double *k;

      fprintf (stderr, "%4u %-10s %-28s %6u %8.3fms %5.1f%% %8.1f  %s\n", i, e->kind, e->geom,
               e->ns->len, med, sum_med > 0 ? 100 * med / sum_med : 0,
               tot > 0 ? e->flops / (tot * 1e6) : 0, e->name);
      k = g_hash_table_lookup (kinds, e->kind);
      if (k == NULL)
        {
          k = g_new0 (double, 3);
          g_hash_table_insert (kinds, e->kind, k);
          g_ptr_array_add (kind_order, e->kind);
        }
      k[0] += med;
      k[1] += 1;
      k[2] += e->ns->len ? e->flops / e->ns->len : 0;
    }
  fprintf (stderr, "per kind: %-17s %6s %9s %6s %8s\n", "kind", "nodes", "median", "share",
           "GFLOP/s");
  for (guint i = 0; i < kind_order->len; i++)
    {
      double *k = g_hash_table_lookup (kinds, g_ptr_array_index (kind_order, i));

      fprintf (stderr, "          %-17s %6.0f %8.2fms %5.1f%% %8.1f\n",
               (char *) g_ptr_array_index (kind_order, i), k[1], k[0],
               sum_med > 0 ? 100 * k[0] / sum_med : 0, k[0] > 0 ? k[2] / (k[0] * 1e6) : 0);
    }
}

gboolean
_mcam_graph_profile_on (void)
{
  if (G_UNLIKELY (on < 0))
    {
      const char *e = g_getenv ("MCAM_PROFILE");

      on = e == NULL || *e == '\0' || g_strcmp0 (e, "0") == 0 ? 0
         : g_strcmp0 (e, "wall") == 0 ? 2 : 1;
      if (on)
        atexit (report);
    }
  return on;
}

gint64
_mcam_graph_profile_now (void)
{
  struct timespec ts;

  clock_gettime (on == 2 ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
describe (const McamNode *n, const McamShape *in, const McamShape *out, Entry *e)
{
  const char *op = mcam_op_type_to_string (n->op);
  gint64 numel = _mcam_shape_numel (out);

  if (n->op == MCAM_OP_CONV)
    {
      int H = in->ndim == 4 ? (int) in->d[2] : 0, W = in->ndim == 4 ? (int) in->d[3] : 0;
      int cin = n->convs ? n->convs[0]->in_c : 1;

      if (n->convs == NULL)
        e->kind = g_strdup ("dwconv");
      else if (n->n_convs > 1)   /* mcam-dnnl.c prepared the whole conv, or not */
        e->kind = g_strdup (n->dnnl_conv != NULL && n->dnnl_conv->dnnl != NULL ? "dnnl-grp"
                                                                              : "grpconv");
      else if (n->convs[0]->dnnl != NULL)   /* mcam-dnnl.c prepared it */
        e->kind = g_strdup ("dnnl");
      else if (n->convs[0]->wino4 != NULL)
        e->kind = g_strdup ("wino4");
      else if (n->convs[0]->wino != NULL)
        e->kind = g_strdup ("wino");
      else if (n->convs[0]->pw != NULL)   /* mcam-pointwise.c took it */
        e->kind = g_strdup (n->kh == 1 && n->kw == 1 ? "pw1x1" : "im2col-pw");
      else if (n->kh == 1 && n->kw == 1 && n->attrs.stride[0] == 1)
        e->kind = g_strdup ("conv1x1");
      else
        e->kind = g_strdup ("im2col");
      e->geom = g_strdup_printf ("%d>%d k%d s%d %dx%d%s%s", n->in_c, n->out_c, n->kh,
                                 n->attrs.stride[0], H, W, n->residual >= 0 ? " +res" : "",
                                 n->attrs.act.kind != MCAM_ACT_NONE ? " +act" : "");
      e->flops += 2.0 * numel * cin * n->kh * n->kw;
    }
  else if (n->op == MCAM_OP_GEMM || n->op == MCAM_OP_MATMUL)
    {
      e->kind = g_strdup (op);
      e->geom = g_strdup_printf ("%d>%d", n->in_c, n->out_c);
      e->flops += 2.0 * numel * n->in_c;
    }
  else
    {
      GString *s = g_string_new (NULL);

      for (int k = 0; k < out->ndim; k++)
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, k ? "x" : "", out->d[k]);
      e->kind = g_strdup (op);
      e->geom = g_string_free (s, FALSE);
    }
}

void
_mcam_graph_profile_add (const McamNode *n, const char *name, const McamShape *in,
                         const McamShape *out, gint64 ns)
{
  Entry *e;

  g_mutex_lock (&lock);
  if (entries == NULL)
    entries = g_hash_table_new (NULL, NULL);
  e = g_hash_table_lookup (entries, n);
  if (e == NULL)
    {
      e = g_new0 (Entry, 1);
      e->order = (int) g_hash_table_size (entries);
      e->name = g_strdup (name ? name : "?");
      e->ns = g_array_new (FALSE, FALSE, sizeof (gint64));
      describe (n, in, out, e);
      g_hash_table_insert (entries, (gpointer) n, e);
    }
  else if (n->op == MCAM_OP_CONV || n->op == MCAM_OP_GEMM || n->op == MCAM_OP_MATMUL)
    {
      /* flops again for this call (geometry strings from the first) */
      char *k = e->kind, *g = e->geom;
      describe (n, in, out, e);
      g_free (e->kind);
      g_free (e->geom);
      e->kind = k;
      e->geom = g;
    }
  g_array_append_val (e->ns, ns);
  g_mutex_unlock (&lock);
}
