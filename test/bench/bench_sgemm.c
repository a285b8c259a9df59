/*
 * bench_sgemm.c
 *	  The one-core sgemm bound of the standard training workload: how many
 *	  windows per second a training loop could reach if it did nothing but
 *	  the matrix products a training step needs, each at the speed the
 *	  serial OpenBLAS reaches on one core at that shape.
 *
 *	  The products of one mini-batch (B windows of T steps, L layers, hidden
 *	  H, input I, G gates per cell, one output), counted for an ideal
 *	  implementation: every product that does not depend on the recurrence
 *	  is one GEMM over all T steps, the recurrent ones are one GEMM per step.
 *	    forward, layer l:  X_l (T*B, I_l) @ W_ih^T          once
 *	                       h (B, H) @ W_hh^T                 T-1 times (h_0 = 0)
 *	    head:              h_T (B, H) @ fc^T                 once
 *	    backward, layer l: dG (B, G*H) @ W_hh               T-1 times
 *	                       dG^T (G*H, (T-1)*B) @ H_prev      once (dW_hh)
 *	                       dG^T (G*H, T*B) @ X_l             once (dW_ih)
 *	                       dG (T*B, G*H) @ W_ih              once, l > 0 (dX_l)
 *	    head:              dy^T @ h_T, dy @ fc               once each
 *	  Each shape is timed alone on warm caches (best of several rounds of
 *	  repeated calls on the same operands, as a training step reuses its
 *	  weights), and the bound is B / (sum of count * seconds per call).
 *	  Biases, activations, their derivatives and Adam are not counted: they
 *	  are the work a real loop adds on top of the bound.
 *
 *	  Build: make -C test bench_sgemm
 *	  Run:   OPENBLAS_NUM_THREADS=1 test/bench_sgemm [lstm|gru|rnn_tanh|all]
 *	  Prints a table per cell and one JSON line per cell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#define T_STEPS 48
#define BATCH 64
#define HIDDEN 64
#define LAYERS 2
#define INPUT 1

typedef struct Shape
{
	const char *what;
	int			ta,
				tb;				/* op(A) = A^T, op(B) = B^T */
	int			M,
				N,
				K;
	int			count;			/* calls per mini-batch */
} Shape;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds per call of C (M,N) += op(A) @ op(B), row-major, best of rounds. */
static double
time_shape(const Shape *s)
{
	size_t		na = (size_t) s->M * s->K,
				nb = (size_t) s->K * s->N,
				nc = (size_t) s->M * s->N;
	float	   *a = malloc(sizeof(float) * na);
	float	   *b = malloc(sizeof(float) * nb);
	float	   *c = malloc(sizeof(float) * nc);
	double		flops = 2.0 * s->M * s->N * s->K;
	int			reps = (int) (2e8 / flops) + 1;	/* about 0.1 s per round at 2 GFLOP/s */
	double		best = 1e30;

	for (size_t i = 0; i < na; i++)
		a[i] = (float) ((i * 7919) % 1000) / 1000.0f - 0.5f;
	for (size_t i = 0; i < nb; i++)
		b[i] = (float) ((i * 104729) % 1000) / 1000.0f - 0.5f;
	memset(c, 0, sizeof(float) * nc);
	for (int round = 0; round < 7; round++)
	{
		double		t0 = now(),
					dt;

		for (int r = 0; r < reps; r++)
			cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
						s->tb ? CblasTrans : CblasNoTrans, s->M, s->N, s->K,
						1.0f, a, s->ta ? s->M : s->K, b, s->tb ? s->K : s->N,
						1.0f, c, s->N);
		dt = (now() - t0) / reps;
		if (dt < best)
			best = dt;
	}
	free(a);
	free(b);
	free(c);
	return best;
}

/* The products of one mini-batch for a cell with G gates; returns the count. */
static int
shapes_of(int G, Shape *sh)
{
	int			n = 0;
	int			GH = G * HIDDEN;
	int			TB = T_STEPS * BATCH;

	for (int l = 0; l < LAYERS; l++)
	{
		int			Il = l == 0 ? INPUT : HIDDEN;

		sh[n++] = (Shape) {l == 0 ? "fwd x@W_ih^T (layer 0)" : "fwd x@W_ih^T (layer 1)",
		0, 1, TB, GH, Il, 1};
		sh[n++] = (Shape) {"fwd h@W_hh^T (per step)", 0, 1, BATCH, GH, HIDDEN, T_STEPS - 1};
		sh[n++] = (Shape) {"bwd dG@W_hh (per step)", 0, 0, BATCH, HIDDEN, GH, T_STEPS - 1};
		sh[n++] = (Shape) {"bwd dW_hh += dG^T@H", 1, 0, GH, HIDDEN, (T_STEPS - 1) * BATCH, 1};
		sh[n++] = (Shape) {l == 0 ? "bwd dW_ih += dG^T@X (layer 0)" : "bwd dW_ih += dG^T@X (layer 1)",
		1, 0, GH, Il, TB, 1};
		if (l > 0)
			sh[n++] = (Shape) {"bwd dX += dG@W_ih", 0, 0, TB, Il, GH, 1};
	}
	sh[n++] = (Shape) {"fwd head h_T@fc^T", 0, 1, BATCH, 1, HIDDEN, 1};
	sh[n++] = (Shape) {"bwd head dy^T@h_T", 1, 0, 1, HIDDEN, BATCH, 1};
	sh[n++] = (Shape) {"bwd head dy@fc", 0, 0, BATCH, HIDDEN, 1, 1};
	return n;
}

static void
bound_of(const char *cell, int G)
{
	Shape		sh[32];
	int			n = shapes_of(G, sh);
	double		batch_seconds = 0,
				batch_flops = 0;

	printf("%s, hidden %d, %d layers, window %d, batch %d: products of one mini-batch\n",
		   cell, HIDDEN, LAYERS, T_STEPS, BATCH);
	printf("| product | op | M x N x K | calls | GFLOP/s | us per batch |\n|---|---|---|---:|---:|---:|\n");
	for (int i = 0; i < n; i++)
	{
		double		sec = time_shape(&sh[i]);
		double		fl = 2.0 * sh[i].M * sh[i].N * sh[i].K;

		batch_seconds += sec * sh[i].count;
		batch_flops += fl * sh[i].count;
		printf("| %s | %s%s | %d x %d x %d | %d | %.1f | %.1f |\n", sh[i].what,
			   sh[i].ta ? "T" : "N", sh[i].tb ? "T" : "N", sh[i].M, sh[i].N, sh[i].K,
			   sh[i].count, fl / sec / 1e9, sec * sh[i].count * 1e6);
	}
	printf("GEMM FLOPs per window %.3f M; sgemm time per batch %.1f us (%.1f GFLOP/s overall)\n",
		   batch_flops / BATCH / 1e6, batch_seconds * 1e6, batch_flops / batch_seconds / 1e9);
	printf("{\"cell\":\"%s\",\"gemm_mflop_per_window\":%.3f,\"sgemm_gflops\":%.2f,\"bound_windows_per_second\":%.1f}\n\n",
		   cell, batch_flops / BATCH / 1e6, batch_flops / batch_seconds / 1e9,
		   BATCH / batch_seconds);
}

int
main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	int			any = 0;

	if (strcmp(which, "all") == 0 || strcmp(which, "lstm") == 0)
		bound_of("lstm", 4), any = 1;
	if (strcmp(which, "all") == 0 || strcmp(which, "gru") == 0)
		bound_of("gru", 3), any = 1;
	if (strcmp(which, "all") == 0 || strcmp(which, "rnn_tanh") == 0)
		bound_of("rnn_tanh", 1), any = 1;
	if (!any)
	{
		fprintf(stderr, "usage: bench_sgemm [lstm|gru|rnn_tanh|all]\n");
		return 2;
	}
	return 0;
}
