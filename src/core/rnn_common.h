/*
 * rnn_common.h
 *	  Types, limits and status codes shared by the numerical core.
 *
 * The core (everything under src/core) includes no PostgreSQL header: it is
 * built into the extension and, on its own, into the C test program.  It
 * never calls malloc, exit or printf; memory comes from an RnnAlloc that the
 * caller provides (palloc in a memory context inside the server).
 */
#ifndef RNN_COMMON_H
#define RNN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * The working precision.  The extension and its stored models use float32
 * (as PyTorch does by default); the gradient-check test compiles the core
 * with RNN_DOUBLE so that central differences are exact enough to compare.
 */
#ifdef RNN_DOUBLE
typedef double rnn_real;
#else
typedef float rnn_real;
#endif

/* Hard limits: every dimension read from a model or a config is bounded. */
#define RNN_MAX_INPUT_SIZE		1024
#define RNN_MAX_HIDDEN_SIZE		1024
#define RNN_MAX_LAYERS			8
#define RNN_MAX_OUTPUT_SIZE		1024
#define RNN_MAX_WINDOW			10000
#define RNN_MAX_PARAMS			(64 * 1024 * 1024)	/* 256 MB of float32 */
#define RNN_MAX_EPOCHS			100000
/* the training rows a model records at most (100,000,000 per series of 1,048,576, and margin) */
#define RNN_MAX_MODEL_ROWS		INT64_C(9000000000000000)
#define RNN_MAX_BATCH			65536
#define RNN_MAX_THREADS			64		/* threads one training may use */
#define RNN_MAX_ROWS			((int64_t) 100 * 1000 * 1000)
#define RNN_MAX_HORIZON			100000
#define RNN_MAX_MONTH_STEP		1200	/* a calendar step of at most 100 years */
#define RNN_MAX_CAL_STEPS		1024	/* horizon steps with calibrated errors */
#define RNN_MAX_CAL_SAMPLES		256		/* held-out errors kept per step */
#define RNN_MAX_ENSEMBLE		64
#define RNN_MAX_SEASON_INDICES	1024	/* longest season that is adjusted by indices */
#define RNN_MAX_SPIKES			8		/* one-point spikes a series' pipeline replaces */

/* Status codes returned by core functions. */
typedef enum RnnStatus
{
	RNN_OK = 0,
	RNN_ERR_ALLOC,				/* allocator returned NULL */
	RNN_ERR_ARGUMENT,			/* a caller passed inconsistent arguments */
	RNN_ERR_DIVERGED,			/* loss or weights became non-finite */
	RNN_ERR_CORRUPT,			/* malformed model bytes */
	RNN_ERR_VERSION,			/* unknown model format version */
	RNN_ERR_LIMIT,				/* a dimension above its limit */
	RNN_ERR_DUPLICATE,			/* duplicate timestamp */
	RNN_ERR_MISSING,			/* missing value with missing => error */
	RNN_ERR_NOVALUES,			/* all values missing */
	RNN_ERR_IRREGULAR,			/* timestamps too irregular to regularise */
	RNN_ERR_NONFINITE,			/* infinity in the data */
	RNN_ERR_DOMAIN,				/* a value the model's log transform cannot take (<= 0) */
	RNN_ERR_OFFGRID				/* a few rows off the grid the others define */
} RnnStatus;

/*
 * Memory provider: palloc in a context in the server, malloc in tests.  The
 * memory is uninitialised (zeroing a large activation block would take
 * seconds that no interrupt check can cut short); the core writes
 * everything before reading it, and the tests fill fresh memory with junk
 * to prove it.
 */
typedef struct RnnAlloc
{
	void	   *(*alloc) (void *ctx, size_t size);	/* uninitialised memory or NULL */
	void		(*release) (void *ctx, void *ptr);
	void	   *ctx;
} RnnAlloc;

static inline void *
rnn_alloc(const RnnAlloc *a, size_t size)
{
	return a->alloc(a->ctx, size == 0 ? 1 : size);
}

static inline void
rnn_release(const RnnAlloc *a, void *ptr)
{
	if (ptr)
		a->release(a->ctx, ptr);
}

/* Multiply two sizes, returning false on overflow. */
static inline bool
rnn_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return false;
	*out = a * b;
	return true;
}

#endif							/* RNN_COMMON_H */
