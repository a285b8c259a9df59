/*
 * bench_core.c
 *	  Trains the standard workload with the core alone (no PostgreSQL), for
 *	  profiling and for the training loop's own speed: LSTM (or GRU, tanh
 *	  RNN) hidden 64, 2 layers, window 48, batch 64, Adam, one epoch over N
 *	  windows of a noisy sine, on 1 or more threads.  Prints windows per
 *	  second as one JSON line.
 *	  Build: make -C test bench_core; run: test/bench_core [windows [cell [threads]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

#include "rnn_net.h"
#include "rnn_rng.h"
#include "rnn_threads.h"
#include "rnn_train.h"

static void *
b_alloc(void *ctx, size_t n)
{
	void *p = malloc(n); if (p) memset(p, 0xA5, n); return p;
}

static void
b_free(void *ctx, void *p)
{
	free(p);
}

int
main(int argc, char **argv)
{
	size_t		windows = argc > 1 ? (size_t) atol(argv[1]) : 20000;
	int			cell = argc > 2 ? rnn_cell_from_name(argv[2]) : RNN_CELL_LSTM;
	int			threads = argc > 3 ? atoi(argv[3]) : 1;
	size_t		n = windows + 48;
	RnnAlloc	a = {b_alloc, b_free, NULL};
	RnnTrainSpec spec = {0};
	RnnTrainResult res;
	RnnRng		rng;
	float	   *series = malloc(sizeof(float) * n);
	float	   *params;
	struct timespec t0,
				t1;
	double		sec;

	rnn_rng_seed(&rng, 1);
	for (size_t i = 0; i < n; i++)
		series[i] = (float) (sin(2 * M_PI * i / 50.0) + 0.1 * rnn_rng_uniform(&rng, -1, 1));
	if (cell == 0 || threads < 1 || windows < 1)
	{
		fprintf(stderr, "usage: bench_core [windows [lstm|gru|rnn_tanh [threads]]]\n");
		return 2;
	}
	spec.shape = (RnnShape) {cell, 1, 64, 2, 0, 1, 0};
	spec.threads = threads;
	spec.window = 48;
	spec.epochs = 1;
	spec.batch_size = 64;
	spec.learning_rate = 0.001;
	spec.optimizer = RNN_OPT_ADAM;
	spec.loss = RNN_LOSS_MSE;
	spec.seed = 1;
	params = malloc(sizeof(float) * rnn_param_count(&spec.shape));
	rnn_init_params(params, &spec.shape, 42);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rnn_train(params, &res, series, n, &spec, &a, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sec = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"impl\":\"rnn_forecast core\",\"cell\":\"%s\",\"threads\":%d,\"windows\":%zu,\"seconds\":%.3f,\"windows_per_second\":%.1f,\"loss\":%.5f}\n",
		   rnn_cell_name(cell), threads, windows, sec, windows / sec, res.train_loss);
	return 0;
}
