/*
 * rnn_threads.c
 *	  Persistent worker threads for one training (see rnn_threads.h).
 *
 * Workers are created once per pool and woken per job with a condition
 * variable; the main thread runs part 0 meanwhile and then waits for the
 * others.  A stop request is a flag read without the lock at every time
 * step of a worker's part (rnn_step_check), so a worker leaves a part
 * within one step by longjmp to the start of the part, on its own stack.
 */
#include "rnn_threads.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>

#include "rnn_blas.h"
#include "rnn_net.h"

typedef struct Worker
{
	RnnThreads *pool;
	int			part;			/* the part this worker runs: 1 .. parts - 1 */
	pthread_t	tid;
	jmp_buf		leave;			/* where a stopping worker leaves its part */
} Worker;

struct RnnThreads
{
	int			parts;
	int			workers;		/* threads started: they run parts 1 .. workers */
	pthread_mutex_t mu;
	pthread_cond_t wake;		/* a job or a stop request for the workers */
	pthread_cond_t done;		/* the last worker finished its part */
	uint64_t	job;			/* job number, advanced per rnn_threads_run */
	int			remaining;		/* workers still in the current job */
	int			stop;			/* written under mu, read by rnn_step_check without it */
	RnnPartFn	fn;
	void	   *arg;
	RnnThreads *next_started;	/* pools started and not stopped (main thread only) */
	Worker	   *w;				/* (parts - 1) */
};

/* the worker a thread is, NULL on the main thread */
static __thread Worker *this_worker = NULL;

/* pools started and not yet stopped, most recent first (main thread only) */
static RnnThreads *started = NULL;

static bool allow_workers = true;

void
rnn_threads_allow_workers(bool allow)
{
	allow_workers = allow;
}

/* one part, left early by longjmp when the pool stops (no locals change after setjmp) */
static void
run_part(Worker *w, RnnPartFn fn, void *arg)
{
	if (setjmp(w->leave) == 0)
		fn(arg, w->part);
}

static void *
worker_main(void *p)
{
	Worker	   *w = p;
	RnnThreads *t = w->pool;
	sigset_t	all;
	uint64_t	seen = 0;

	/* inherited already (created with all signals blocked); stated again here */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	this_worker = w;
	pthread_mutex_lock(&t->mu);
	for (;;)
	{
		RnnPartFn	fn;
		void	   *arg;

		while (t->job == seen && !t->stop)
			pthread_cond_wait(&t->wake, &t->mu);
		if (t->stop)
			break;
		seen = t->job;
		fn = t->fn;
		arg = t->arg;
		pthread_mutex_unlock(&t->mu);
		run_part(w, fn, arg);
		pthread_mutex_lock(&t->mu);
		if (--t->remaining == 0)
			pthread_cond_signal(&t->done);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

RnnThreads *
rnn_threads_start(int parts, const RnnAlloc *a)
{
	RnnThreads *t;

	if (parts < 1)
		parts = 1;
	if (parts > RNN_MAX_THREADS)
		parts = RNN_MAX_THREADS;
	t = rnn_alloc(a, sizeof(RnnThreads));
	if (!t)
		return NULL;
	t->w = rnn_alloc(a, sizeof(Worker) * (size_t) (parts > 1 ? parts - 1 : 1));
	if (!t->w)
	{
		rnn_release(a, t);
		return NULL;
	}
	t->parts = parts;
	t->workers = 0;
	t->job = 0;
	t->remaining = 0;
	t->stop = 0;
	t->fn = NULL;
	t->arg = NULL;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->wake, NULL);
	pthread_cond_init(&t->done, NULL);
	/* workers only when OpenBLAS may be called from several threads at once */
	if (parts > 1 && allow_workers && rnn_blas_thread_safe())
	{
		sigset_t	all,
					old;

		/* workers start with every signal blocked: no window before they block them */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (int j = 0; j < parts - 1; j++)
		{
			t->w[j].pool = t;
			t->w[j].part = j + 1;
			if (pthread_create(&t->w[j].tid, NULL, worker_main, &t->w[j]) != 0)
				break;			/* the parts without a worker run on the main thread */
			t->workers++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	t->next_started = started;
	started = t;
	return t;
}

int
rnn_threads_workers(const RnnThreads *t)
{
	return t ? t->workers : 0;
}

void
rnn_threads_run(RnnThreads *t, RnnPartFn fn, void *arg)
{
	if (t->workers > 0)
	{
		pthread_mutex_lock(&t->mu);
		t->fn = fn;
		t->arg = arg;
		t->remaining = t->workers;
		t->job++;
		pthread_cond_broadcast(&t->wake);
		pthread_mutex_unlock(&t->mu);
	}
	/* part 0 here, in which rnn_step_hook may longjmp out (see rnn_threads_abandon) */
	fn(arg, 0);
	for (int k = t->workers + 1; k < t->parts; k++)
		fn(arg, k);
	if (t->workers > 0)
	{
		pthread_mutex_lock(&t->mu);
		while (t->remaining > 0)
			pthread_cond_wait(&t->done, &t->mu);
		pthread_mutex_unlock(&t->mu);
	}
}

/* ask the workers to stop, wherever they are, and wait for them to end */
static void
join_workers(RnnThreads *t)
{
	pthread_mutex_lock(&t->mu);
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&t->wake);
	pthread_mutex_unlock(&t->mu);
	for (int j = 0; j < t->workers; j++)
		pthread_join(t->w[j].tid, NULL);
	t->workers = 0;
}

void
rnn_threads_stop(RnnThreads *t, const RnnAlloc *a)
{
	RnnThreads **pp;

	if (!t)
		return;
	join_workers(t);
	for (pp = &started; *pp; pp = &(*pp)->next_started)
		if (*pp == t)
		{
			*pp = t->next_started;
			break;
		}
	pthread_cond_destroy(&t->done);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->mu);
	rnn_release(a, t->w);
	rnn_release(a, t);
}

void
rnn_threads_abandon(void)
{
	while (started)
	{
		RnnThreads *t = started;

		started = t->next_started;
		join_workers(t);
	}
}

void
rnn_step_check(void)
{
	Worker	   *w = this_worker;

	if (w)
	{
		if (__atomic_load_n(&w->pool->stop, __ATOMIC_RELAXED))
			longjmp(w->leave, 1);
		return;
	}
	if (rnn_step_hook)
		rnn_step_hook();
}
