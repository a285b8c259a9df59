/*
 * rnn_threads.h
 *	  Persistent worker threads for one training: a job is split in a fixed
 *	  number of parts; the calling (main) thread runs part 0 and every part
 *	  that has no worker, a worker thread runs each other part, and the call
 *	  returns when every part is done.
 *
 * Which thread runs a part never changes what the part computes, so results
 * depend on the number of parts only.  Worker threads block every signal
 * and never call rnn_step_hook: only the main thread runs the server's
 * hooks.  Memory comes from the RnnAlloc, allocated by the main thread
 * before any worker starts.
 *
 * Leaving by longjmp: the main thread's hooks may longjmp out (a cancel)
 * while workers run a part, or while they wait for the next job.  The
 * caller must then call rnn_threads_abandon() before the memory of the
 * pool and of the job is freed: it asks the workers to stop (a worker in a
 * part leaves it at its next time step) and joins them.
 */
#ifndef RNN_THREADS_H
#define RNN_THREADS_H

#include "rnn_common.h"

typedef struct RnnThreads RnnThreads;

/* One part of a job: part is 0 .. parts - 1. */
typedef void (*RnnPartFn) (void *arg, int part);

/*
 * A pool for jobs of `parts` parts (1 .. RNN_MAX_THREADS): parts - 1
 * worker threads, or fewer when the system refuses to create them (their
 * parts then run on the main thread).  NULL when memory runs out.
 */
RnnThreads *rnn_threads_start(int parts, const RnnAlloc *a);

/* Run fn(arg, k) for every part k; returns when all are done. */
void		rnn_threads_run(RnnThreads *t, RnnPartFn fn, void *arg);

/* Worker threads actually running (0 .. parts - 1). */
int			rnn_threads_workers(const RnnThreads *t);

/* Stop and join the workers, free the pool (NULL: nothing). */
void		rnn_threads_stop(RnnThreads *t, const RnnAlloc *a);

/*
 * After a longjmp out of a training: stop and join the workers of every
 * pool still started (main thread only).  Their memory is left to the
 * caller's allocator.  Nothing to do when no pool is started.
 */
void		rnn_threads_abandon(void);

/*
 * Tests only: false makes rnn_threads_start create no worker threads, so
 * every part runs on the main thread in part order.
 */
void		rnn_threads_allow_workers(bool allow);

/*
 * The check between time steps of the network's passes: rnn_step_hook on
 * the main thread; in a worker, leaves the part when the pool is stopping.
 */
void		rnn_step_check(void);

#endif							/* RNN_THREADS_H */
