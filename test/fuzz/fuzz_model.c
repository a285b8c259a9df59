/*
 * fuzz_model.c
 *	  libFuzzer target for the stored model format and what runs on a decoded
 *	  model: rnn_model_decode, then (when it accepts the value) a forecast from
 *	  the model's own history and the interval half-widths.
 *
 *	  make -C test fuzz_model
 *	  test/fuzz/fuzz_model -max_total_time=60 CORPUS_DIR   (seeds: test/fuzz/corpus)
 *
 * Every input is decoded twice: as given, and with its last 4 bytes replaced
 * by the CRC-32 of the bytes before them.  Almost every mutation of a real
 * model fails the checksum, so the second pass is what lets the fuzzer reach
 * the size, range and finiteness checks behind it and the forecasting code.
 *
 * Memory comes from a malloc-based RnnAlloc that records every block, so that
 * everything the core allocated (also on its early error returns) is freed
 * after each input and LeakSanitizer sees no leak of ours.  The core's
 * allocator hands out uninitialised memory, so fresh blocks are filled with
 * junk, and every forecast is made twice, with blocks filled with two
 * different junk patterns: a forecast that differs between the two has read
 * memory the core never wrote.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnn_common.h"
#include "rnn_model.h"
#include "rnn_net.h"
#include "rnn_predict.h"

/* Skip forecasting when parameters x time steps x passes exceed this. */
#define FUZZ_MAX_WORK	1000000.0
#define FUZZ_HORIZON	3

/* ---- a tracking malloc allocator ---- */

typedef struct Arena
{
	void	  **blocks;
	size_t		n;
	size_t		cap;
	int			junk;			/* byte that fresh blocks are filled with */
} Arena;

static void *
arena_alloc(void *ctx, size_t size)
{
	Arena	   *ar = ctx;
	void	   *p;

	if (ar->n == ar->cap)
	{
		size_t		cap = ar->cap ? ar->cap * 2 : 64;
		void	  **nb = realloc(ar->blocks, cap * sizeof(void *));

		if (!nb)
			return NULL;
		ar->blocks = nb;
		ar->cap = cap;
	}
	p = malloc(size);
	if (p)
	{
		memset(p, ar->junk, size);	/* the core must write before it reads */
		ar->blocks[ar->n++] = p;
	}
	return p;
}

static void
arena_release(void *ctx, void *ptr)
{
	Arena	   *ar = ctx;

	/* most releases are of recent blocks: search from the end */
	for (size_t i = ar->n; i-- > 0;)
		if (ar->blocks[i] == ptr)
		{
			free(ptr);
			ar->blocks[i] = ar->blocks[--ar->n];
			return;
		}
	/* releasing a block the allocator never gave out is a bug of the core */
	fprintf(stderr, "fuzz_model: release of an unknown pointer %p\n", ptr);
	abort();
}

static void
arena_free_all(Arena *ar)
{
	for (size_t i = 0; i < ar->n; i++)
		free(ar->blocks[i]);
	free(ar->blocks);
	ar->blocks = NULL;
	ar->n = ar->cap = 0;
}

/* equal doubles, NaN equal to NaN */
static bool
same_double(double a, double b)
{
	return (a != a && b != b) || memcmp(&a, &b, sizeof(double)) == 0;
}

/* ---- what runs on a decoded model ---- */

static void
check_halfwidths(const RnnModel *m, const RnnAlloc *a)
{
	static const double levels[] = {0.0, 0.5, 0.9, 0.99, 1.0};

	for (int h = 1; h <= FUZZ_HORIZON + 2; h++)
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
		{
			double		q = rnn_interval_halfwidth(m, h, levels[l], a);

			/* NaN means "not calibrated"; otherwise a non-negative width */
			if (m->cal_steps >= 1 && m->cal_n >= 1 && !(q >= 0))
			{
				fprintf(stderr, "fuzz_model: half-width %g at step %d level %g of a calibrated model\n",
						q, h, levels[l]);
				abort();
			}
		}
	/* a far step exercises the random-walk widening */
	(void) rnn_interval_halfwidth(m, RNN_MAX_HORIZON, 0.9, a);
}

static void
forecast_history(const RnnModel *m)
{
	int			T = m->n_history;
	int			W = m->window > 0 ? m->window : T;
	int			O = m->shape.output_size;
	int			horizon = FUZZ_HORIZON;
	int			passes;
	double		work;
	double		out[2][FUZZ_HORIZON];
	RnnStatus	st[2];
	/* finite junk (0x7F7F7F7F is 3.4e38 as a float) that differs from 0 */
	static const int junk[2] = {0x00, 0x7F};

	if (T < 1 || T < W)
		return;					/* the server refuses these before forecasting */
	if (m->shape.input_size != 1 && horizon > O)
		horizon = O;			/* recursive forecasts need one input */
	passes = (horizon + O - 1) / O;
	work = (double) m->n_params * m->members * W * passes;
	if (work > FUZZ_MAX_WORK)
		return;

	for (int k = 0; k < 2; k++)
	{
		Arena		ar = {.junk = junk[k]};
		RnnAlloc	a = {arena_alloc, arena_release, &ar};

		memset(out[k], 0, sizeof(out[k]));
		st[k] = rnn_forecast_batch(out[k], m, m->history, 1, T, horizon, NULL, &a);
		arena_free_all(&ar);
		if (st[k] != RNN_OK && st[k] != RNN_ERR_ARGUMENT && st[k] != RNN_ERR_ALLOC &&
			st[k] != RNN_ERR_NONFINITE)
		{
			fprintf(stderr, "fuzz_model: rnn_forecast_batch returned unexpected status %d\n", (int) st[k]);
			abort();
		}
	}
	if (st[0] != st[1])
	{
		fprintf(stderr, "fuzz_model: rnn_forecast_batch returned %d and %d for the same input\n",
				(int) st[0], (int) st[1]);
		abort();
	}
	if (st[0] == RNN_OK)
		for (int h = 0; h < horizon; h++)
			if (!same_double(out[0][h], out[1][h]))
			{
				fprintf(stderr, "fuzz_model: forecast step %d is %.17g or %.17g depending on the junk "
						"in fresh memory: the core read memory it had not written\n",
						h + 1, out[0][h], out[1][h]);
				abort();
			}
}

static void
one_input(const uint8_t *buf, size_t len)
{
	Arena		ar = {.junk = 0xA5};
	RnnAlloc	a = {arena_alloc, arena_release, &ar};
	RnnModel	m;
	const char *why = NULL;
	RnnStatus	st;

	st = rnn_model_decode(&m, buf, len, &a, &why);
	if (st == RNN_OK)
	{
		if (m.n_params * (size_t) m.members == 0 || !m.params)
			abort();
		forecast_history(&m);
		check_halfwidths(&m, &a);
	}
	else if (st != RNN_ERR_CORRUPT && st != RNN_ERR_VERSION && st != RNN_ERR_LIMIT &&
			 st != RNN_ERR_ALLOC)
	{
		fprintf(stderr, "fuzz_model: rnn_model_decode returned unexpected status %d\n", (int) st);
		abort();
	}
	else if (st != RNN_ERR_ALLOC && (why == NULL || why[0] == '\0'))
	{
		fprintf(stderr, "fuzz_model: rnn_model_decode failed (status %d) without a reason\n", (int) st);
		abort();
	}
	arena_free_all(&ar);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *copy;
	uint32_t	crc;

	/* as given, from an exactly sized heap copy so that ASan sees overreads */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	one_input(copy, size);

	/* with a checksum that matches, to get past the CRC check */
	if (size >= 8)
	{
		crc = rnn_crc32(copy, size - 4);
		for (int i = 0; i < 4; i++)
			copy[size - 4 + i] = (uint8_t) (crc >> (8 * i));
		one_input(copy, size);
	}
	free(copy);
	return 0;
}
