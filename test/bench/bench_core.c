/*
 * bench_core.c
 *	  Trains the standard workload with the core alone (no PostgreSQL), for
 *	  profiling and for the training loop's own speed: LSTM (or GRU, tanh
 *	  RNN) hidden 64, 2 layers, window 48, batch 64, Adam, one epoch over N
 *	  windows of a noisy sine, on 1 or more threads (hidden size, layers,
 *	  window and batch size can be given: 32 1 24 32 is the default
 *	  configuration's network on a monthly window).  Prints windows per
 *	  second and a hash of the trained weights (FNV-1a of their bytes: two
 *	  builds that train bit for bit alike print the same) as one JSON line;
 *	  then the trained network's one-window forecasts (rnn_forward_infer
 *	  from rearranged weights, batches of one, as one rnn_forecast call
 *	  makes them) over the same windows: forecasts per second and a hash of
 *	  the forecasts.
 *	  Build: make -C test bench_core; run:
 *	  test/bench_core [windows [cell [threads [hidden [layers [window [batch]]]]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <stdint.h>

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
	int			hidden = argc > 4 ? atoi(argv[4]) : 64;
	int			layers = argc > 5 ? atoi(argv[5]) : 2;
	int			window = argc > 6 ? atoi(argv[6]) : 48;
	int			batch = argc > 7 ? atoi(argv[7]) : 64;
	size_t		n;
	uint64_t	hash = 14695981039346656037ULL;
	RnnAlloc	a = {b_alloc, b_free, NULL};
	RnnTrainSpec spec = {0};
	RnnTrainResult res;
	RnnRng		rng;
	float	   *series;
	float	   *params;
	size_t		nbytes;
	struct timespec t0,
				t1;
	double		sec,
				isec;
	uint64_t	ihash = 14695981039346656037ULL;
	float	   *hhT,
				y;
	RnnWork    *iw;

	if (cell == 0 || threads < 1 || windows < 1 || hidden < 1 || hidden > 1024 ||
		layers < 1 || layers > 8 || window < 1 || window > 10000 || batch < 1)
	{
		fprintf(stderr, "usage: bench_core [windows [lstm|gru|rnn_tanh [threads [hidden [layers [window [batch]]]]]]]\n");
		return 2;
	}
	n = windows + window;
	series = malloc(sizeof(float) * n);
	rnn_rng_seed(&rng, 1);
	for (size_t i = 0; i < n; i++)
		series[i] = (float) (sin(2 * M_PI * i / 50.0) + 0.1 * rnn_rng_uniform(&rng, -1, 1));
	spec.shape = (RnnShape) {cell, 1, hidden, layers, 0, 1, 0};
	spec.threads = threads;
	spec.window = window;
	spec.epochs = 1;
	spec.batch_size = batch;
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
	nbytes = sizeof(float) * rnn_param_count(&spec.shape);
	for (size_t i = 0; i < nbytes; i++)
		hash = (hash ^ ((const unsigned char *) params)[i]) * 1099511628211ULL;
	/* inference: every window once, a batch of one */
	/* 64-byte aligned, as rnn_forecast's rearranged weights are (rnn_predict.c) */
	hhT = aligned_alloc(64, (sizeof(float) * rnn_infer_weights_count(&spec.shape) + 63) / 64 * 64);
	iw = rnn_work_create_infer(&spec.shape, window, 1, &a);
	if (!hhT || !iw)
	{
		fprintf(stderr, "bench_core: out of memory\n");
		return 1;
	}
	rnn_infer_weights(hhT, params, &spec.shape);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < windows; i++)
	{
		rnn_forward_infer(&y, series + i, params, hhT, &spec.shape, window, 1, iw);
		for (size_t k = 0; k < sizeof(y); k++)
			ihash = (ihash ^ ((const unsigned char *) &y)[k]) * 1099511628211ULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	isec = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	rnn_work_free(iw, &a);
	free(hhT);
	printf("{\"impl\":\"rnn_forecast core\",\"cell\":\"%s\",\"threads\":%d,\"hidden\":%d,\"layers\":%d,\"window\":%d,\"batch\":%d,\"windows\":%zu,\"seconds\":%.3f,\"windows_per_second\":%.1f,\"loss\":%.5f,\"weights_hash\":\"%016llx\",\"forecasts_per_second\":%.1f,\"forecasts_hash\":\"%016llx\"}\n",
		   rnn_cell_name(cell), threads, hidden, layers, window, batch, windows, sec, windows / sec,
		   res.train_loss, (unsigned long long) hash, windows / isec, (unsigned long long) ihash);
	return 0;
}
