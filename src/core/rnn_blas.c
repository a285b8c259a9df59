/*
 * rnn_blas.c
 *	  GEMM dispatch to OpenBLAS, plus a naive reference kernel, and the lock
 *	  that lets several threads call the serial OpenBLAS at once.
 *
 * The serial OpenBLAS (Debian's libopenblas0-serial 0.3.21, built without
 * USE_LOCKING) hands out its packing buffers from a table without a lock:
 * two threads in sgemm at once can get the same buffer and compute wrong
 * results (OpenBLAS issue #2126; test/test_core.c shows it: 32x256x64
 * products in two threads went wrong hundreds of times in 20,000 calls).
 * The table is reached through blas_memory_alloc and blas_memory_free,
 * which OpenBLAS calls through its PLT: the definitions below come first
 * in the lookup order (the program, or this library before the OpenBLAS it
 * needs) and call OpenBLAS's own under a mutex.  Only that table is shared:
 * with the lock, concurrent products are exact.  rnn_blas_thread_safe()
 * checks that the lock is really in the path before threads are used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rnn_blas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static bool use_naive = false;

/* Declared by OpenBLAS (cblas.h of OpenBLAS has them; keep prototypes explicit). */
extern void openblas_set_num_threads(int num_threads);
extern int	openblas_get_parallel(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

/* OpenBLAS's buffer allocator (memory.c), interposed below */
void	   *blas_memory_alloc(int procpos);
void		blas_memory_free(void *buffer);

static pthread_mutex_t buffer_lock = PTHREAD_MUTEX_INITIALIZER;
static void *(*openblas_alloc) (int) = NULL;
static void (*openblas_free) (void *) = NULL;
static unsigned long buffer_allocs = 0;	/* under buffer_lock */

/* OpenBLAS's definitions, the next ones after this object's */
static void
find_openblas_allocator(void)
{
	if (!openblas_alloc)
	{
		openblas_alloc = (void *(*) (int)) dlsym(RTLD_NEXT, "blas_memory_alloc");
		openblas_free = (void (*) (void *)) dlsym(RTLD_NEXT, "blas_memory_free");
	}
}

void *
blas_memory_alloc(int procpos)
{
	void	   *buffer;

	pthread_mutex_lock(&buffer_lock);
	find_openblas_allocator();
	buffer = openblas_alloc(procpos);
	buffer_allocs++;
	pthread_mutex_unlock(&buffer_lock);
	return buffer;
}

void
blas_memory_free(void *buffer)
{
	pthread_mutex_lock(&buffer_lock);
	find_openblas_allocator();
	openblas_free(buffer);
	pthread_mutex_unlock(&buffer_lock);
}

bool
rnn_blas_thread_safe(void)
{
	static int	known = -1;

	if (known < 0)
	{
		/* a product large enough for OpenBLAS's buffered path (zeros: BSS) */
		static float a[128 * 128],
					b[128 * 128],
					c[128 * 128];
		unsigned long before;

		pthread_mutex_lock(&buffer_lock);
		find_openblas_allocator();
		before = buffer_allocs;
		pthread_mutex_unlock(&buffer_lock);
		known = 0;
		if (openblas_alloc && openblas_free)
		{
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 128, 128, 128,
						1, a, 128, b, 128, 0, c, 128);
			pthread_mutex_lock(&buffer_lock);
			known = buffer_allocs > before;
			pthread_mutex_unlock(&buffer_lock);
		}
	}
	return known != 0;
}

void
rnn_blas_use_naive(bool naive)
{
	use_naive = naive;
}

void
rnn_blas_describe(char *out, size_t len)
{
	const char *config = openblas_get_config();
	const char *core = openblas_get_corename();
	size_t		version_len;
	size_t		n = 0;

	if (len == 0)
		return;
	if (use_naive)
	{
		snprintf(out, len, "naive GEMM");
		return;
	}
	/* the configuration starts "OpenBLAS 0.3.21 ...": keep the first two words */
	config = config ? config : "OpenBLAS";
	version_len = strcspn(config, " ");
	if (config[version_len] == ' ')
		version_len += 1 + strcspn(config + version_len + 1, " ");
	snprintf(out, len, "%.*s, kernel %s", (int) version_len, config, core ? core : "unknown");
	/* printable ASCII only (the model format keeps nothing else) */
	for (; out[n]; n++)
		if (out[n] < 0x20 || out[n] > 0x7e)
			out[n] = '?';
}

void
rnn_blas_set_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
}

bool
rnn_blas_is_parallel(void)
{
	return openblas_get_parallel() != 0;
}

void
rnn_gemm_naive(bool trans_a, bool trans_b, int M, int N, int K,
			   rnn_real alpha, const rnn_real *A, int lda,
			   const rnn_real *B, int ldb,
			   rnn_real beta, rnn_real *C, int ldc)
{
	for (int i = 0; i < M; i++)
	{
		for (int j = 0; j < N; j++)
		{
			double		acc = 0.0;

			for (int k = 0; k < K; k++)
			{
				rnn_real	a = trans_a ? A[(size_t) k * lda + i] : A[(size_t) i * lda + k];
				rnn_real	b = trans_b ? B[(size_t) j * ldb + k] : B[(size_t) k * ldb + j];

				acc += (double) a * b;
			}
			C[(size_t) i * ldc + j] = (rnn_real) (alpha * acc +
												  (beta == 0 ? 0.0 : (double) beta * C[(size_t) i * ldc + j]));
		}
	}
}

void
rnn_gemm(bool trans_a, bool trans_b, int M, int N, int K,
		 rnn_real alpha, const rnn_real *A, int lda,
		 const rnn_real *B, int ldb,
		 rnn_real beta, rnn_real *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0)
	{
		/* BLAS would still scale C by beta; do it here without calling it */
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++)
				C[(size_t) i * ldc + j] = beta == 0 ? 0 : beta * C[(size_t) i * ldc + j];
		return;
	}
	if (use_naive)
	{
		rnn_gemm_naive(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
		return;
	}
#ifdef RNN_DOUBLE
	cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
				trans_b ? CblasTrans : CblasNoTrans,
				M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
				trans_b ? CblasTrans : CblasNoTrans,
				M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
