/*
 * rnn_blas.c
 *	  GEMM dispatch to OpenBLAS, plus a naive reference kernel.
 */
#include "rnn_blas.h"

#include <cblas.h>

static bool use_naive = false;

/* Declared by OpenBLAS (cblas.h of OpenBLAS has them; keep prototypes explicit). */
extern void openblas_set_num_threads(int num_threads);
extern int	openblas_get_parallel(void);

void
rnn_blas_use_naive(bool naive)
{
	use_naive = naive;
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
