/*
 * fuzz_model.c
 *	  libFuzzer target for the stored model format and what runs on a decoded
 *	  model: rnn_model_decode, then (when it accepts the value) a forecast from
 *	  the model's own history, its interval bounds and the interval
 *	  half-widths; for a global model (format 3, n_series > 0), the same from
 *	  a few of its series' views (rnn_model_series_view) and lookups of every
 *	  series by name (rnn_model_find_series); then rnn_model_free, which must
 *	  release every block that decoding allocated.
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
#include "rnn_theta.h"

/* Skip forecasting when parameters x time steps x passes exceed this. */
#define FUZZ_MAX_WORK	1000000.0
#define FUZZ_HORIZON	3
/* series of a global model forecast from: the first, second, middle and last */
#define FUZZ_SERIES		4

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

/* lower <= upper for every step that has an interval (the bounds of forecast fc) */
static void
check_bounds(const RnnModel *m, const double *fc, int horizon)
{
	Arena		ar = {.junk = 0x5A};
	RnnAlloc	a = {arena_alloc, arena_release, &ar};
	RnnIntervals iv;

	if (rnn_intervals_prepare(&iv, m, 0.9, &a) == RNN_OK)
	{
		for (int h = 1; h <= horizon; h++)
		{
			double		lo,
						hi;

			rnn_interval_bounds(m, &iv, fc[h - 1], h, m->phase_last, &lo, &hi);
			if (!isnan(lo) && !isnan(hi) && lo > hi)
			{
				fprintf(stderr, "fuzz_model: interval [%.17g, %.17g] at step %d of forecast %.17g is reversed\n",
						lo, hi, h, fc[h - 1]);
				abort();
			}
		}
		rnn_intervals_free(&iv, &a);
	}
	arena_free_all(&ar);
}

/*
 * A forecast from hist (T rows), made twice with fresh memory filled with
 * different junk: the same status and the same values both times.
 */
static void
forecast_history(const RnnModel *m, const double *hist, int T)
{
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
	if (m->shape.input_size != 1 && m->n_features == 0 && horizon > O)
		horizon = O;			/* recursive forecasts need one input, or features */
	passes = (horizon + O - 1) / O;
	work = (double) m->n_params * m->members * W * passes;
	if (work > FUZZ_MAX_WORK)
		return;

	for (int k = 0; k < 2; k++)
	{
		Arena		ar = {.junk = junk[k]};
		RnnAlloc	a = {arena_alloc, arena_release, &ar};

		memset(out[k], 0, sizeof(out[k]));
		if (m->n_features > 0)
		{
			/* future features: the history's last row's, step after step */
			double	   *future = arena_alloc(&ar, sizeof(double) * horizon * m->n_features);

			for (int h = 0; h < horizon && future; h++)
				memcpy(future + (size_t) h * m->n_features,
					   hist + (size_t) (T - 1) * m->shape.input_size + 1,
					   sizeof(double) * m->n_features);
			st[k] = future ? rnn_forecast_features(out[k], m, hist, future, 1, T, horizon, NULL,
												   NULL, NULL, &a) : RNN_ERR_ALLOC;
		}
		else
			st[k] = rnn_forecast_batch(out[k], m, hist, 1, T, horizon, NULL, &a);
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
	if (st[0] == RNN_OK)
	{
		/* the stored Theta state combined, then Theta refitted on the history (format 6) */
		rnn_theta_combine(out[0], m, &m->theta, horizon, m->phase_last);
		rnn_theta_combine_histories(out[1], m, hist, NULL, 1, T, m->shape.input_size, horizon, NULL);
		check_bounds(m, out[0], horizon);
	}
}

/* equal names (bytes and length) */
static bool
same_name(const RnnSeriesState *st, const char *name, int32_t len)
{
	return st->name_len == len && memcmp(st->name, name, len) == 0;
}

/* rnn_model_find_series(m, name) must find exactly the series so called, or -1 */
static void
check_lookup(const RnnModel *m, const char *name, int32_t len)
{
	int			found = rnn_model_find_series(m, name, len);
	int			expect = -1;

	for (int32_t i = 0; i < m->n_series; i++)
		if (same_name(&m->series[i], name, len))
		{
			expect = i;
			break;
		}
	if (found != expect)
	{
		fprintf(stderr, "fuzz_model: rnn_model_find_series found %d for a %d-byte name, not %d\n",
				found, (int) len, expect);
		abort();
	}
}

/*
 * A global model: every series is found by its name and names that are not
 * there are not; a few series forecast from their own history through
 * their view, padded at the front with its first value up to the window
 * as rnn_forecast_view does.
 */
static void
global_series(const RnnModel *m)
{
	int32_t		n = m->n_series;
	int32_t		pick[FUZZ_SERIES] = {0, 1, n / 2, n - 1};
	char		absent[RNN_MAX_SERIES_NAME + 1];
	const RnnSeriesState *last = &m->series[n - 1];
	static const char other[] = "no such series";

	for (int32_t i = 0; i < n; i++)
		if (rnn_model_find_series(m, m->series[i].name, m->series[i].name_len) != i)
		{
			fprintf(stderr, "fuzz_model: series %d of %d is not found by its name\n", (int) i, (int) n);
			abort();
		}
	/* longer than the last (greatest) name with it as a prefix: after every name */
	memcpy(absent, last->name, last->name_len);
	absent[last->name_len] = (char) 0xFF;
	if (rnn_model_find_series(m, absent, last->name_len + 1) != -1)
	{
		fprintf(stderr, "fuzz_model: a name after every series name was found\n");
		abort();
	}
	check_lookup(m, other, (int32_t) strlen(other));
	check_lookup(m, other, 0);	/* the empty name (never stored) */
	if (m->series[0].name_len > 1)
		check_lookup(m, m->series[0].name, m->series[0].name_len - 1);

	for (int k = 0; k < FUZZ_SERIES; k++)
	{
		RnnModel	view;
		double	   *hist;
		int			T,
					W;
		bool		seen = false;

		for (int j = 0; j < k; j++)
			seen |= pick[j] == pick[k];
		if (seen || pick[k] < 0 || pick[k] >= n)
			continue;
		rnn_model_series_view(&view, m, pick[k]);
		if (view.n_series != 0 || view.series != NULL || view.params != m->params ||
			view.history != m->series[pick[k]].history)
		{
			fprintf(stderr, "fuzz_model: the view of series %d is not a single-series model on its history\n",
					(int) pick[k]);
			abort();
		}
		T = view.n_history;
		W = view.window;		/* >= 1 in a global model */
		if (T < 1)
			continue;			/* decoding refuses these */
		{
			/* rows of input_size values: a value and its features */
			size_t		I = (size_t) view.shape.input_size;

			hist = malloc(sizeof(double) * (size_t) (T < W ? W : T) * I);
			if (!hist)
				continue;
			for (int t = 0; t < W - T; t++)
				memcpy(hist + (size_t) t * I, view.history, sizeof(double) * I);
			memcpy(hist + (size_t) (T < W ? W - T : 0) * I, view.history, sizeof(double) * (size_t) T * I);
		}
		forecast_history(&view, hist, T < W ? W : T);
		free(hist);
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
		forecast_history(&m, m.history, m.n_history);
		check_halfwidths(&m, &a);
		if (m.n_series > 0)
			global_series(&m);
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

	/*
	 * rnn_model_free releases what decoding allocated, also after it failed
	 * (an allocation failure included): nothing may be left.
	 */
	rnn_model_free(&m, &a);
	if (ar.n != 0)
	{
		fprintf(stderr, "fuzz_model: rnn_model_free left %zu block(s) of a model decoded with status %d\n",
				ar.n, (int) st);
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
