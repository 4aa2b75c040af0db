/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fork-join over persistent worker threads (see mcam-parallel.h). */

#include "config.h"

#include "mcam/mcam-blas.h"
#include "mcam-parallel.h"

#define MAX_WORKERS 63
/* Workers spin, then yield, then sleep: a forward pass runs a few hundred
 * short jobs back to back and a futex wake-up per job would cost more than
 * many of them; but a long spin steals a core from the other processes of
 * a busy machine. The spin is timed, not counted: 200 pauses were meant
 * as 15 us but a pause takes 13 ns on this CPU (2.7 us), so a worker
 * slept between most layers: MobileNetV3-Large on two threads took 5.0-5.8
 * ms a forward, 4.1-4.2 with the workers spinning 250 us (EfficientNet-B0
 * 10.0 -> 7.5-7.7; one thread 5.3). */
#define SPIN_US 250
#define YIELD_ROUNDS 20

/* Pause until *v != seen or SPIN_US have passed; returns *v. */
static gint
spin_while_equal (volatile gint *v, gint seen)
{
  gint64 start = 0;
  gint now = g_atomic_int_get (v);

  for (int r = 0; now == seen; r++)
    {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#endif
      if ((r & 63) == 0)
        {
          gint64 t = g_get_monotonic_time ();

          if (start == 0)
            start = t;
          else if (t - start > SPIN_US)
            break;
        }
      now = g_atomic_int_get (v);
    }
  return now;
}

typedef struct
{
  GMutex           run_lock;   /* one job at a time */
  GMutex           lock;       /* guards the fields below */
  GCond            wake;       /* workers: a new job */
  GCond            done;       /* caller: the last worker finished */
  int              n_workers;
  volatile gint    generation; /* bumped per job */
  McamParallelFunc func;
  gpointer         data;
  int              n;
  volatile gint    next;       /* next index to take */
  volatile gint    active;     /* workers still in the current job */
  int              wanted;     /* workers taking part in the current job */
} Pool;

static Pool pool;

static void
run_items (void)
{
  for (;;)
    {
      int i = g_atomic_int_add (&pool.next, 1);
      if (i >= pool.n)
        break;
      pool.func (pool.data, i);
    }
}

static gpointer
worker_main (gpointer arg)
{
  int id = GPOINTER_TO_INT (arg);
  int seen = 0;

  for (;;)
    {
      int gen = spin_while_equal (&pool.generation, seen);

      for (int r = 0; gen == seen && r < YIELD_ROUNDS; r++)
        {
          g_thread_yield ();
          gen = g_atomic_int_get (&pool.generation);
        }
      if (gen == seen)
        {
          g_mutex_lock (&pool.lock);
          while ((gen = g_atomic_int_get (&pool.generation)) == seen)
            g_cond_wait (&pool.wake, &pool.lock);
          g_mutex_unlock (&pool.lock);
        }
      seen = gen;
      /* workers beyond the job's thread count sit this one out */
      if (id >= pool.wanted)
        continue;
      run_items ();
      if (g_atomic_int_dec_and_test (&pool.active))
        {
          g_mutex_lock (&pool.lock);
          g_cond_signal (&pool.done);
          g_mutex_unlock (&pool.lock);
        }
    }
  return NULL;
}

#ifdef MCAM_HAVE_DNNL
#include <omp.h>

/* With oneDNN, which runs on OpenMP's threads, the engine's own jobs run
 * there too: two sets of workers, each spinning a while after its job,
 * fought for the same cores at every change between a oneDNN conv and one
 * of ours. */
static gboolean
use_openmp (void)
{
  static int on = -1;

  if (on < 0)
    on = g_strcmp0 (g_getenv ("MCAM_PARALLEL"), "pool") != 0;
  return on;
}

static void
parallel_for_omp (int n, McamParallelFunc func, gpointer data, int threads)
{
  gint next = 0;

#pragma omp parallel num_threads (threads)
  {
    for (int i; (i = g_atomic_int_add (&next, 1)) < n;)
      func (data, i);
  }
}
#endif

void
mcam_parallel_for (int n, McamParallelFunc func, gpointer data)
{
  int threads = MIN (MIN (mcam_blas_get_threads (), n), MAX_WORKERS + 1);

  if (n <= 0)
    return;
#ifdef MCAM_HAVE_DNNL
  if (use_openmp ())
    {
      if (threads <= 1 || omp_in_parallel ())
        for (int i = 0; i < n; i++)
          func (data, i);
      else
        parallel_for_omp (n, func, data, threads);
      return;
    }
#endif
  if (threads <= 1 || !g_mutex_trylock (&pool.run_lock))
    {
      for (int i = 0; i < n; i++)
        func (data, i);
      return;
    }

  while (pool.n_workers < threads - 1)
    {
      GThread *t = g_thread_try_new ("mcam-worker", worker_main,
                                     GINT_TO_POINTER (pool.n_workers), NULL);
      if (t == NULL)
        break;
      g_thread_unref (t);
      pool.n_workers++;
    }
  threads = MIN (threads, pool.n_workers + 1);

  g_mutex_lock (&pool.lock);
  pool.func = func;
  pool.data = data;
  pool.n = n;
  pool.wanted = threads - 1;
  g_atomic_int_set (&pool.next, 0);
  g_atomic_int_set (&pool.active, threads - 1);
  g_atomic_int_inc (&pool.generation);
  g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.lock);

  run_items ();

  if (threads > 1)
    {
      /* the others are finishing their last item: spin first (not for
       * ever: on a busy machine a descheduled worker needs this core) */
      while (g_atomic_int_get (&pool.active) > 0)
        {
          gint a = g_atomic_int_get (&pool.active);

          if (spin_while_equal (&pool.active, a) == a)
            break;
        }
      for (int r = 0; r < YIELD_ROUNDS && g_atomic_int_get (&pool.active) > 0; r++)
        g_thread_yield ();
      g_mutex_lock (&pool.lock);
      while (g_atomic_int_get (&pool.active) > 0)
        g_cond_wait (&pool.done, &pool.lock);
      g_mutex_unlock (&pool.lock);
    }
  g_mutex_unlock (&pool.run_lock);
}
