/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ThreadSanitizer builds only (meson adds this file when b_sanitize is
 * 'thread'). GLib 2.74's GMutex and GCond are futex-based on Linux (its
 * GRecMutex and GRWLock are pthread ones, which TSan intercepts), and GLib
 * is not instrumented: TSan sees neither those locks nor its atomics, so
 * every access ordered by them looks like a race (the network's
 * cached scratch buffer, the worker pool's job fields, the app's job queue,
 * a result handed to the main loop, a reference-counted box freed by the
 * last thread that held it). These definitions take the place of GLib's for
 * every call made from our code (the executable binds them at link time;
 * GLib's own internal calls still go to GLib), call GLib's through dlsym
 * (RTLD_NEXT), and tell TSan the ordering GLib guarantees:
 *   - locks: a lock acquires the lock's address, an unlock releases it, a
 *     wait on a GCond releases then re-acquires its mutex;
 *   - hand-offs: a push on a GAsyncQueue releases the queue and a pop
 *     acquires it; a task started in a thread, a value returned from it and
 *     the value propagated; a source callback set and attached, then run;
 *   - GLib's own bookkeeping inside a queue push or pop, a thread-pool push
 *     and a source attach (list nodes, the context's arrays) is not
 *     recorded: it is ordered by locks inside libglib;
 *   - g_atomic_rc_box_release: the releases before the last one happen
 *     before the clear function (the free);
 *   - quarks and interned strings: every call runs under one lock of ours
 *     (GLib's quark_global is a GMutex taken inside libglib);
 *   - one-time initialisation: g_once_init_leave releases the location, a
 *     g_once_init_enter that did not initialise acquires it.
 * A race in code of ours is still reported: only the happens-before edges
 * GLib really provides are added, and only GLib's own accesses inside GLib's
 * calls are ever ignored. */

#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <gio/gio.h>
#include <pthread.h>
#include <sanitizer/tsan_interface.h>

/* real_NAME: GLib's own NAME, looked up once (atomically: any thread may be
 * the first caller). */
#define REAL(ret, name, params)                                               \
  static ret (*real_##name) params;                                           \
  static void resolve_##name (void)                                           \
  {                                                                           \
    if (__atomic_load_n (&real_##name, __ATOMIC_ACQUIRE) == NULL)             \
      __atomic_store_n (&real_##name,                                         \
                        (ret (*) params) dlsym (RTLD_NEXT, #name),            \
                        __ATOMIC_RELEASE);                                    \
  }

/* Lock functions: GLib's, then acquire (a successful try too); release, then
 * GLib's unlock. */
#define LOCKED_BY(type, name)                                                 \
  REAL (void, name, (type *))                                                 \
  void name (type *l)                                                         \
  {                                                                           \
    resolve_##name ();                                                        \
    real_##name (l);                                                          \
    __tsan_acquire (l);                                                       \
  }
#define TRIED_BY(type, name)                                                  \
  REAL (gboolean, name, (type *))                                             \
  gboolean name (type *l)                                                     \
  {                                                                           \
    resolve_##name ();                                                        \
    gboolean ok = real_##name (l);                                            \
    if (ok)                                                                   \
      __tsan_acquire (l);                                                     \
    return ok;                                                                \
  }
#define UNLOCKED_BY(type, name)                                               \
  REAL (void, name, (type *))                                                 \
  void name (type *l)                                                         \
  {                                                                           \
    resolve_##name ();                                                        \
    __tsan_release (l);                                                       \
    real_##name (l);                                                          \
  }

LOCKED_BY (GMutex, g_mutex_lock)
TRIED_BY (GMutex, g_mutex_trylock)
UNLOCKED_BY (GMutex, g_mutex_unlock)
LOCKED_BY (GRecMutex, g_rec_mutex_lock)
TRIED_BY (GRecMutex, g_rec_mutex_trylock)
UNLOCKED_BY (GRecMutex, g_rec_mutex_unlock)
LOCKED_BY (GRWLock, g_rw_lock_writer_lock)
UNLOCKED_BY (GRWLock, g_rw_lock_writer_unlock)
LOCKED_BY (GRWLock, g_rw_lock_reader_lock)
UNLOCKED_BY (GRWLock, g_rw_lock_reader_unlock)

REAL (void, g_cond_wait, (GCond *, GMutex *))
REAL (gboolean, g_cond_wait_until, (GCond *, GMutex *, gint64))

void
g_cond_wait (GCond *c, GMutex *m)
{
  resolve_g_cond_wait ();
  __tsan_release (m);
  real_g_cond_wait (c, m);
  __tsan_acquire (m);
}

gboolean
g_cond_wait_until (GCond *c, GMutex *m, gint64 end_time)
{
  resolve_g_cond_wait_until ();
  __tsan_release (m);
  gboolean ok = real_g_cond_wait_until (c, m, end_time);
  __tsan_acquire (m);
  return ok;
}

/* TSan's dynamic annotations (exported by its runtime; GCC 12's header does
 * not declare them). */
void AnnotateIgnoreReadsBegin (const char *file, int line);
void AnnotateIgnoreReadsEnd (const char *file, int line);
void AnnotateIgnoreWritesBegin (const char *file, int line);
void AnnotateIgnoreWritesEnd (const char *file, int line);

/* What GLib itself reads, writes, allocates and frees inside CALL, ordered
 * by a lock of its own that TSan cannot see, is not recorded. */
#define IGNORING(call)                                                        \
  do                                                                          \
    {                                                                         \
      AnnotateIgnoreReadsBegin (__FILE__, __LINE__);                          \
      AnnotateIgnoreWritesBegin (__FILE__, __LINE__);                         \
      call;                                                                   \
      AnnotateIgnoreWritesEnd (__FILE__, __LINE__);                           \
      AnnotateIgnoreReadsEnd (__FILE__, __LINE__);                            \
    }                                                                         \
  while (0)

/* Hand-offs ------------------------------------------------------------- */

/* A push allocates a GList node that the pop, in another thread, frees
 * (G_DEBUG=gc-friendly clears it first): both under the queue's GMutex, so
 * GLib's own work inside them is ignored; the data pushed is ordered by the
 * release and acquire on the queue. */

REAL (void, g_async_queue_push, (GAsyncQueue *, gpointer))
REAL (void, g_async_queue_push_front, (GAsyncQueue *, gpointer))
REAL (gpointer, g_async_queue_pop, (GAsyncQueue *))
REAL (gpointer, g_async_queue_try_pop, (GAsyncQueue *))
REAL (gpointer, g_async_queue_timeout_pop, (GAsyncQueue *, guint64))

void
g_async_queue_push (GAsyncQueue *q, gpointer data)
{
  resolve_g_async_queue_push ();
  __tsan_release (q);
  IGNORING (real_g_async_queue_push (q, data));
}

void
g_async_queue_push_front (GAsyncQueue *q, gpointer data)
{
  resolve_g_async_queue_push_front ();
  __tsan_release (q);
  IGNORING (real_g_async_queue_push_front (q, data));
}

#define POPPED_BY(name, params, args)                                         \
  gpointer name params                                                        \
  {                                                                           \
    gpointer data;                                                            \
                                                                              \
    resolve_##name ();                                                        \
    IGNORING (data = real_##name args);                                       \
    __tsan_acquire (q);                                                       \
    return data;                                                              \
  }

POPPED_BY (g_async_queue_pop, (GAsyncQueue *q), (q))
POPPED_BY (g_async_queue_try_pop, (GAsyncQueue *q), (q))
POPPED_BY (g_async_queue_timeout_pop, (GAsyncQueue *q, guint64 timeout), (q, timeout))

/* GLib's thread pools (GTask's, which GIO and GTK's icon loader use) push
 * a GList node on the pool's own queue and the pool thread, after popping
 * it inside libglib, frees it (G_DEBUG=gc-friendly clears it first): ordered
 * by the queue's GMutex. Ignoring the push leaves nothing recorded for that
 * free to race with (it was reported from every GTask: 128 reports in one
 * run of the app suite, all 24-byte nodes). The task itself is ordered by
 * the GTask functions below. */
REAL (gboolean, g_thread_pool_push, (GThreadPool *, gpointer, GError **))

gboolean
g_thread_pool_push (GThreadPool *pool, gpointer data, GError **error)
{
  gboolean ok;

  resolve_g_thread_pool_push ();
  IGNORING (ok = real_g_thread_pool_push (pool, data, error));
  return ok;
}

/* Reference-counted boxes: the clear function runs in the thread that drops
 * the last reference; the others' releases happen before it. */
static __thread GDestroyNotify rc_clear;

static void
rc_clear_trampoline (gpointer box)
{
  GDestroyNotify clear = rc_clear;

  __tsan_acquire (box);
  if (clear != NULL)
    clear (box);
}

REAL (void, g_atomic_rc_box_release_full, (gpointer, GDestroyNotify))

void
g_atomic_rc_box_release_full (gpointer box, GDestroyNotify clear)
{
  GDestroyNotify saved = rc_clear;

  resolve_g_atomic_rc_box_release_full ();
  __tsan_release (box);
  rc_clear = clear;
  real_g_atomic_rc_box_release_full (box, rc_clear_trampoline);
  rc_clear = saved;
}

void
g_atomic_rc_box_release (gpointer box)
{
  g_atomic_rc_box_release_full (box, NULL);
}

/* Sources: whatever the attaching thread did before g_source_attach happens
 * before the callback runs (GLib orders them with the context's lock). One
 * token for all sources: coarser than the real order, never finer. */
static int source_token;

typedef struct
{
  GSourceFunc    func;
  gpointer       data;
  GDestroyNotify notify;
} SourceCall;

static gboolean
source_trampoline (gpointer p)
{
  SourceCall *c = p;

  __tsan_acquire (&source_token);
  return c->func (c->data);
}

static void
source_call_free (gpointer p)
{
  SourceCall *c = p;

  __tsan_acquire (&source_token);
  if (c->notify != NULL)
    c->notify (c->data);
  g_free (c);
}

REAL (void, g_source_set_callback, (GSource *, GSourceFunc, gpointer, GDestroyNotify))
REAL (guint, g_source_attach, (GSource *, GMainContext *))

void
g_source_set_callback (GSource *source, GSourceFunc func, gpointer data,
                       GDestroyNotify notify)
{
  SourceCall *c;

  resolve_g_source_set_callback ();
  if (func == NULL)
    {
      real_g_source_set_callback (source, func, data, notify);
      return;
    }
  c = g_new (SourceCall, 1);
  *c = (SourceCall) { func, data, notify };
  real_g_source_set_callback (source, source_trampoline, c, source_call_free);
}

/* The release comes BEFORE GLib's attach: once the source is in the
 * context, the main thread may dispatch it while this thread is still inside
 * g_source_attach (a release after it was seen to come too late: the main
 * thread's trampoline acquired the token before it, and every Notify a worker
 * posted then looked like a race). Attaching also updates the context's own
 * arrays under its lock; what GLib itself reads and writes inside the attach
 * is ignored — the main loop grows the same arrays under the same futex lock
 * TSan cannot see (a worker's g_idle_add against the main thread's iteration
 * was reported as a race in g_realloc). */
guint
g_source_attach (GSource *source, GMainContext *context)
{
  guint id;

  resolve_g_source_attach ();
  __tsan_release (&source_token);
  IGNORING (id = real_g_source_attach (source, context));
  return id;
}

guint
g_idle_add_full (gint priority, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();
  guint id;

  if (priority != G_PRIORITY_DEFAULT_IDLE)
    g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  id = g_source_attach (source, NULL);
  g_source_unref (source);
  return id;
}

guint
g_idle_add (GSourceFunc func, gpointer data)
{
  return g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, func, data, NULL);
}

/* Quarks and interned strings -------------------------------------------- */

/* GLib copies each new quark's string into a shared block of 4088 bytes
 * (quark_strdup) and grows the quark array and its hash table, all under
 * quark_global, a GMutex taken inside libglib. The app's worker, the first
 * to initialise some classes while it loads a model, makes quarks (and the
 * block they go in); the main thread's GSettings then makes one for a key
 * name and copies it into the same block: TSan saw the main thread's memcpy
 * and the worker's malloc, unordered. Each quark call from outside libglib
 * (our code, GObject, GIO, GTK: calls between libraries go through the PLT
 * and so reach these definitions) runs under one pthread mutex of ours,
 * which TSan sees: the order it adds is the one quark_global gives, taken a
 * little earlier. Calls made inside libglib itself still go straight to
 * GLib. None of these functions calls back out, so the lock cannot nest. */
static pthread_mutex_t quark_lock = PTHREAD_MUTEX_INITIALIZER;

#define QUARK_WRAPPER(ret, name, type)                                        \
  REAL (ret, name, (type))                                                    \
  ret name (type arg)                                                         \
  {                                                                           \
    ret r;                                                                    \
                                                                              \
    resolve_##name ();                                                        \
    pthread_mutex_lock (&quark_lock);                                         \
    r = real_##name (arg);                                                    \
    pthread_mutex_unlock (&quark_lock);                                       \
    return r;                                                                 \
  }

QUARK_WRAPPER (GQuark, g_quark_from_string, const gchar *)
QUARK_WRAPPER (GQuark, g_quark_from_static_string, const gchar *)
QUARK_WRAPPER (GQuark, g_quark_try_string, const gchar *)
QUARK_WRAPPER (const gchar *, g_quark_to_string, GQuark)
QUARK_WRAPPER (const gchar *, g_intern_string, const gchar *)
QUARK_WRAPPER (const gchar *, g_intern_static_string, const gchar *)

/* One-time initialisation ------------------------------------------------- */

/* The g_once_init_enter macro reads *location with an atomic load, which
 * TSan sees (our code is instrumented); GLib's g_once_init_leave publishes
 * the value with an atomic store, and a thread that found the
 * initialisation under way waits on GLib's GCond, neither of which it sees.
 * So leave releases the location before the value is published, and an
 * enter that lets its caller through without initialising acquires it.
 * Covers the G_DEFINE_TYPE *_get_type functions of every library that calls
 * through the PLT, and mcam-conv.c's Winograd weights. (The names are in
 * parentheses: GLib also defines them as macros.) */
REAL (gboolean, g_once_init_enter, (volatile void *))
REAL (void, g_once_init_leave, (volatile void *, gsize))

gboolean
(g_once_init_enter) (volatile void *location)
{
  gboolean mine;

  resolve_g_once_init_enter ();
  mine = real_g_once_init_enter (location);
  if (!mine)
    __tsan_acquire ((void *) location);
  return mine;
}

void
(g_once_init_leave) (volatile void *location, gsize result)
{
  resolve_g_once_init_leave ();
  __tsan_release ((void *) location);
  real_g_once_init_leave (location, result);
}

/* Tasks run in a thread: the caller's work before g_task_run_in_thread
 * happens before the thread function; the thread's work before
 * g_task_return_* happens before g_task_propagate_* reads the value. */
static void
task_trampoline (GTask *task, gpointer source_object, gpointer task_data,
                 GCancellable *cancellable)
{
  GTaskThreadFunc func = (GTaskThreadFunc) g_object_get_data (G_OBJECT (task),
                                                               "mcam-tsan-func");
  __tsan_acquire (task);
  func (task, source_object, task_data, cancellable);
}

REAL (void, g_task_run_in_thread, (GTask *, GTaskThreadFunc))
REAL (void, g_task_run_in_thread_sync, (GTask *, GTaskThreadFunc))

void
g_task_run_in_thread (GTask *task, GTaskThreadFunc func)
{
  resolve_g_task_run_in_thread ();
  g_object_set_data (G_OBJECT (task), "mcam-tsan-func", (gpointer) func);
  __tsan_release (task);
  real_g_task_run_in_thread (task, task_trampoline);
}

void
g_task_run_in_thread_sync (GTask *task, GTaskThreadFunc func)
{
  resolve_g_task_run_in_thread_sync ();
  g_object_set_data (G_OBJECT (task), "mcam-tsan-func", (gpointer) func);
  __tsan_release (task);
  real_g_task_run_in_thread_sync (task, task_trampoline);
  __tsan_acquire (task);
}

#define RETURN_WRAPPER(name, params, args)                                   \
  REAL (void, name, params)                                                  \
  void name params                                                           \
  {                                                                          \
    resolve_##name ();                                                       \
    __tsan_release (task);                                                   \
    real_##name args;                                                        \
  }

RETURN_WRAPPER (g_task_return_pointer, (GTask *task, gpointer result, GDestroyNotify notify),
                (task, result, notify))
RETURN_WRAPPER (g_task_return_boolean, (GTask *task, gboolean result), (task, result))
RETURN_WRAPPER (g_task_return_int, (GTask *task, gssize result), (task, result))
RETURN_WRAPPER (g_task_return_error, (GTask *task, GError *error), (task, error))

#define PROPAGATE_WRAPPER(ret, name)                                         \
  REAL (ret, name, (GTask *, GError **))                                     \
  ret name (GTask *task, GError **error)                                     \
  {                                                                          \
    resolve_##name ();                                                       \
    __tsan_acquire (task);                                                   \
    return real_##name (task, error);                                        \
  }

PROPAGATE_WRAPPER (gpointer, g_task_propagate_pointer)
PROPAGATE_WRAPPER (gboolean, g_task_propagate_boolean)
PROPAGATE_WRAPPER (gssize, g_task_propagate_int)
