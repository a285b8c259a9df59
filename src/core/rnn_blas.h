/*
 * rnn_blas.h
 *	  Row-major GEMM used by the network: cblas_sgemm (or dgemm in the
 *	  double-precision test build) and a naive reference kernel.
 */
#ifndef RNN_BLAS_H
#define RNN_BLAS_H

#include "rnn_common.h"

/*
 * C (M,N) = alpha * op(A) (M,K) @ op(B) (K,N) + beta * C, row-major.
 * trans_a / trans_b: op(X) = X^T when true.  lda/ldb/ldc are row strides.
 */
void		rnn_gemm(bool trans_a, bool trans_b, int M, int N, int K,
					 rnn_real alpha, const rnn_real *A, int lda,
					 const rnn_real *B, int ldb,
					 rnn_real beta, rnn_real *C, int ldc);

/* The same contract computed with plain loops (tests compare the two). */
void		rnn_gemm_naive(bool trans_a, bool trans_b, int M, int N, int K,
						   rnn_real alpha, const rnn_real *A, int lda,
						   const rnn_real *B, int ldb,
						   rnn_real beta, rnn_real *C, int ldc);

/* Use the naive kernel for every rnn_gemm call (tests only). */
void		rnn_blas_use_naive(bool naive);

/*
 * The BLAS products go through, as printable text for a model's provenance:
 * "OpenBLAS 0.3.21, kernel Haswell" (the library's version and the kernel
 * it picked for this CPU, which sets the order of its additions), or the
 * naive kernel's name when tests use it.  Truncated to fit len.
 */
void		rnn_blas_describe(char *out, size_t len);

/* BLAS threading: number of threads, and whether the loaded OpenBLAS can use more than one. */
void		rnn_blas_set_threads(int n);
bool		rnn_blas_is_parallel(void);

/*
 * Whether several threads may call rnn_gemm at once: OpenBLAS's buffer
 * allocator goes through this file's lock (see rnn_blas.c).  Call it on one
 * thread first (it runs a probe product once).
 */
bool		rnn_blas_thread_safe(void);

#endif							/* RNN_BLAS_H */
