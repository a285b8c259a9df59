/*
 * rnn_forecast.c
 *	  Module entry: PG_MODULE_MAGIC, GUCs, and the palloc allocator the
 *	  numerical core draws its memory from.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "rnn_blas.h"
#include "rnn_net.h"
#include "rnn_pg.h"

PG_MODULE_MAGIC;

int			rnn_threads = 1;
bool		rnn_progress = false;
int			rnn_max_parameters = 16 * 1024 * 1024;
int			rnn_max_training_seconds = 3600;
int			rnn_max_epochs = 0;
int			rnn_max_training_memory = 2048;	/* MB */
int			rnn_max_series = 100000;

void		_PG_init(void);

/*
 * rnn_forecast.threads: the threads one training uses, the extension's own
 * (src/core/rnn_threads.c) over a single-threaded BLAS.  More than one is
 * refused when OpenBLAS's buffer table is not behind the core's lock
 * (another copy of OpenBLAS loaded first into the backend): its products
 * could then go wrong.
 */
static bool
check_threads(int *newval, void **extra, GucSource source)
{
	if (*newval > 1 && !rnn_blas_thread_safe())
	{
		GUC_check_errdetail("The OpenBLAS loaded in this backend cannot be called from several threads at once.");
		GUC_check_errhint("Load rnn_forecast before any other library that uses OpenBLAS.");
		return false;
	}
	return true;
}


/* The core calls this once per time step: cancellation within one step. */
static void
step_interrupt_check(void)
{
	CHECK_FOR_INTERRUPTS();
}

void
_PG_init(void)
{
	rnn_step_hook = step_interrupt_check;
	/* one BLAS thread per calling thread, whichever OpenBLAS variant is loaded */
	if (rnn_blas_is_parallel())
		rnn_blas_set_threads(1);
	DefineCustomIntVariable("rnn_forecast.threads",
							"Threads one training uses.",
							"Every mini-batch is split among them; results are reproducible for a given number.",
							&rnn_threads,
							1, 1, RNN_MAX_THREADS,
							PGC_USERSET,
							0,
							check_threads, NULL, NULL);
	DefineCustomBoolVariable("rnn_forecast.progress",
							 "Send a NOTICE with the losses as training runs.",
							 NULL,
							 &rnn_progress,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("rnn_forecast.max_parameters",
							"Largest number of weights (all ensemble members) a model may have.",
							"Training and importing refuse larger models before allocating them.",
							&rnn_max_parameters,
							16 * 1024 * 1024, 1, RNN_MAX_PARAMS,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("rnn_forecast.max_training_seconds",
							"Longest time one model may train; 0 means no limit.",
							NULL,
							&rnn_max_training_seconds,
							3600, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("rnn_forecast.max_epochs",
							"Most epochs any training runs, whatever its configuration asks; 0 means no limit.",
							"Bounds the work of every training on a server (the test suite uses it to run training-heavy tests under valgrind).",
							&rnn_max_epochs,
							0, 0, RNN_MAX_EPOCHS,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("rnn_forecast.max_training_memory",
							"Largest working memory one training may allocate.",
							"Activations, gradients and optimizer state are estimated before anything is allocated.",
							&rnn_max_training_memory,
							2048, 1, 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("rnn_forecast.max_series",
							"Most series one global model may be trained on.",
							"A global aggregate with more distinct series names stops with an error.",
							&rnn_max_series,
							100000, 1, RNN_MAX_SERIES,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("rnn_forecast");
#else
	EmitWarningsOnPlaceholders("rnn_forecast");
#endif
}

static void *
palloc_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE);
}

static void
palloc_release(void *ctx, void *ptr)
{
	pfree(ptr);
}

const RnnAlloc rnn_palloc_allocator = {palloc_alloc, palloc_release, NULL};
