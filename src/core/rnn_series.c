/*
 * rnn_series.c
 *	  Regularisation of time-stamped rows into a series on a fixed grid.
 */
#include "rnn_series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct KeyedRow
{
	int64_t		key;
	double		value;
	bool		missing;
} KeyedRow;

/*
 * The rows in key order: the caller's arrays when their keys already
 * ascend (rows NULL: nothing copied), else a sorted copy in rows.
 */
typedef struct SortedRows
{
	const KeyedRow *rows;
	const int64_t *keys;
	const double *values;
	const bool *isnull;
} SortedRows;

static inline int64_t
row_key(const SortedRows *r, size_t i)
{
	return r->rows ? r->rows[i].key : r->keys ? r->keys[i] : (int64_t) i;
}

static inline double
row_value(const SortedRows *r, size_t i)
{
	return r->rows ? r->rows[i].value : r->values[i];
}

static inline bool
row_missing(const SortedRows *r, size_t i)
{
	return r->rows ? r->rows[i].missing : r->isnull[i] || isnan(r->values[i]);
}

static void
sift_down(KeyedRow *r, size_t root, size_t n)
{
	KeyedRow	x = r[root];

	for (;;)
	{
		size_t		c = 2 * root + 1;

		if (c >= n)
			break;
		if (c + 1 < n && r[c + 1].key > r[c].key)
			c++;
		if (r[c].key <= x.key)
			break;
		r[root] = r[c];
		root = c;
	}
	r[root] = x;
}

/*
 * Heapsort by key: O(n log n) on any order, in place, and check (may be
 * NULL; may not return) runs every 65,536 sift-downs, so a cancel lands
 * while millions of rows are sorted.
 */
static void
sort_rows(KeyedRow *r, size_t n, void (*check) (void *), void *check_arg)
{
	size_t		ops = 0;

	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
	{
		sift_down(r, i, n);
		if (check && (++ops & 0xFFFF) == 0)
			check(check_arg);
	}
	for (size_t end = n - 1; end > 0; end--)
	{
		KeyedRow	t = r[0];

		r[0] = r[end];
		r[end] = t;
		sift_down(r, 0, end);
		if (check && (++ops & 0xFFFF) == 0)
			check(check_arg);
	}
}

static int64_t
gcd64(int64_t a, int64_t b)
{
	while (b != 0)
	{
		int64_t		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Fill missing entries by linear interpolation; ends take the nearest value. */
static void
interpolate_missing(double *v, const bool *missing, size_t n)
{
	size_t		prev = SIZE_MAX;

	for (size_t i = 0; i < n; i++)
	{
		if (missing[i])
			continue;
		if (prev == SIZE_MAX)
		{
			for (size_t j = 0; j < i; j++)
				v[j] = v[i];
		}
		else if (i > prev + 1)
		{
			for (size_t j = prev + 1; j < i; j++)
				v[j] = v[prev] + (v[i] - v[prev]) * (double) (j - prev) / (double) (i - prev);
		}
		prev = i;
	}
	for (size_t j = prev + 1; j < n; j++)
		v[j] = v[prev];
}

/*
 * A few rows off the grid of the others (one row at noon in a daily series)
 * must not make the step finer: when the distance d between most
 * neighbours (a majority) is a multiple of the step (their greatest common
 * divisor) and at least 90% of the rows share one position modulo d, the
 * rest are off the grid: RNN_ERR_OFFGRID with the first of them in
 * *bad_key and d in *grid.  rows are sorted, distinct, with distances below
 * INT64_MAX.  Two linear passes of majority votes, nothing allocated.
 */
static RnnStatus
off_grid_rows(const SortedRows *rows, size_t n, int64_t step, int64_t *bad_key, int64_t *grid)
{
	int64_t		d = 0,
				cand = 0,
				first_off = 0;
	size_t		votes = 0,
				count = 0,
				on = 0;
	bool		found = false;

	if (n < 3)
		return RNN_OK;
	/* the majority distance between neighbours, if there is one */
	for (size_t i = 1; i < n; i++)
	{
		int64_t		dist = (int64_t) ((uint64_t) row_key(rows, i) - (uint64_t) row_key(rows, i - 1));

		if (votes == 0)
		{
			d = dist;
			votes = 1;
		}
		else
			votes += dist == d ? 1 : -1;
	}
	for (size_t i = 1; i < n; i++)
		count += (int64_t) ((uint64_t) row_key(rows, i) - (uint64_t) row_key(rows, i - 1)) == d;
	if (2 * count <= n - 1 || d <= step || d % step != 0)
		return RNN_OK;
	/* the commonest position modulo d (majority vote), then its share */
	votes = 0;
	for (size_t i = 0; i < n; i++)
	{
		int64_t		r = (int64_t) (((uint64_t) row_key(rows, i) - (uint64_t) row_key(rows, 0)) % (uint64_t) d);

		if (votes == 0)
		{
			cand = r;
			votes = 1;
		}
		else
			votes += r == cand ? 1 : -1;
	}
	for (size_t i = 0; i < n; i++)
	{
		int64_t		r = (int64_t) (((uint64_t) row_key(rows, i) - (uint64_t) row_key(rows, 0)) % (uint64_t) d);

		if (r == cand)
			on++;
		else if (!found)
		{
			found = true;
			first_off = row_key(rows, i);
		}
	}
	if (!found || (double) on < 0.9 * (double) n)
		return RNN_OK;
	*bad_key = first_off;
	*grid = d;
	return RNN_ERR_OFFGRID;
}

RnnStatus
rnn_series_regularize(RnnSeries *out, const int64_t *keys,
					  const double *values, const bool *isnull,
					  size_t n, bool interpolate, bool keep_missing, int64_t max_points,
					  const RnnAlloc *a, int64_t *bad_key,
					  void (*check) (void *), void *check_arg)
{
	KeyedRow   *copy = NULL;
	SortedRows	r;
	bool	   *missing;
	size_t		npoints;
	size_t		n_present = 0;
	int64_t		step = 1;
	bool		ascending = true;

	memset(out, 0, sizeof(*out));
	*bad_key = 0;
	if (n == 0)
		return RNN_ERR_NOVALUES;
	if ((int64_t) n > max_points)
	{
		*bad_key = (int64_t) n;
		return RNN_ERR_LIMIT;
	}

	/* infinite values are errors, named in the rows' order */
	for (size_t i = 0; i < n; i++)
	{
		if (!isnull[i] && isinf(values[i]))
		{
			*bad_key = keys ? keys[i] : (int64_t) i;
			return RNN_ERR_NONFINITE;
		}
		if (keys && i > 0 && keys[i] < keys[i - 1])
			ascending = false;
	}

	/*
	 * rows whose keys never descend (as a table often returns them) are read
	 * where they are; others are sorted in a copy, O(n log n)
	 */
	memset(&r, 0, sizeof(r));
	r.keys = keys;
	r.values = values;
	r.isnull = isnull;
	if (!ascending)
	{
		copy = rnn_alloc(a, n * sizeof(KeyedRow));
		if (copy == NULL)
			return RNN_ERR_ALLOC;
		for (size_t i = 0; i < n; i++)
		{
			copy[i].key = keys[i];
			copy[i].value = values[i];
			copy[i].missing = isnull[i] || isnan(values[i]);
		}
		sort_rows(copy, n, check, check_arg);
		r.rows = copy;
	}
	if (keys)
	{
		for (size_t i = 1; i < n; i++)
		{
			if (row_key(&r, i) == row_key(&r, i - 1))
			{
				*bad_key = row_key(&r, i);
				rnn_release(a, copy);
				return RNN_ERR_DUPLICATE;
			}
		}
		/* the step is the greatest common divisor of the distances */
		step = 0;
		for (size_t i = 1; i < n; i++)
		{
			/* keys are distinct and sorted; a distance can overflow int64 */
			uint64_t	dist = (uint64_t) row_key(&r, i) - (uint64_t) row_key(&r, i - 1);

			if (dist > (uint64_t) INT64_MAX)
			{
				*bad_key = row_key(&r, i);
				rnn_release(a, copy);
				return RNN_ERR_IRREGULAR;
			}
			step = gcd64((int64_t) dist, step);
		}
		if (step == 0)
			step = 1;
		{
			RnnStatus	st = off_grid_rows(&r, n, step, bad_key, &out->step);

			if (st != RNN_OK)
			{
				rnn_release(a, copy);
				return st;
			}
		}
		{
			uint64_t	span = ((uint64_t) row_key(&r, n - 1) - (uint64_t) row_key(&r, 0)) / (uint64_t) step;

			/*
			 * A grid much larger than the rows means irregular timestamps
			 * (a few seconds of jitter), not gaps: refuse rather than fill.
			 */
			if (span + 1 > (uint64_t) max_points || span + 1 > 10 * (uint64_t) n)
			{
				*bad_key = (int64_t) (span + 1);
				rnn_release(a, copy);
				return RNN_ERR_IRREGULAR;
			}
			npoints = (size_t) span + 1;
		}
	}
	else
		npoints = n;

	out->values = rnn_alloc(a, npoints * sizeof(double));
	missing = rnn_alloc(a, npoints * sizeof(bool));
	if (out->values == NULL || missing == NULL)
	{
		rnn_release(a, out->values);
		rnn_release(a, missing);
		rnn_release(a, copy);
		out->values = NULL;
		return RNN_ERR_ALLOC;
	}
	memset(missing, 1, npoints * sizeof(bool));
	for (size_t i = 0; i < n; i++)
	{
		size_t		j = keys ? (size_t) (((uint64_t) row_key(&r, i) - (uint64_t) row_key(&r, 0)) / (uint64_t) step) : i;

		if (check && (i & 0xFFFFF) == 0xFFFFF)
			check(check_arg);	/* may not return: nothing but a's memory is held */

		if (!row_missing(&r, i))
		{
			out->values[j] = row_value(&r, i);
			missing[j] = false;
			n_present++;
		}
	}
	if (n_present == 0)
	{
		rnn_release(a, copy);
		rnn_release(a, missing);
		rnn_release(a, out->values);
		out->values = NULL;
		return RNN_ERR_NOVALUES;
	}
	/* (at least one point has a value) */
	while (missing[out->lead_missing])
		out->lead_missing++;
	while (missing[npoints - 1 - out->trail_missing])
		out->trail_missing++;
	if (n_present < npoints - out->lead_missing - out->trail_missing && !interpolate)
	{
		/* a gap between values (the ends are rnn_series_trim_ends's to drop) */
		for (size_t j = out->lead_missing; j < npoints; j++)
		{
			if (missing[j])
			{
				*bad_key = keys ? row_key(&r, 0) + (int64_t) j * step : (int64_t) j;
				break;
			}
		}
		rnn_release(a, copy);
		rnn_release(a, missing);
		rnn_release(a, out->values);
		out->values = NULL;
		out->lead_missing = out->trail_missing = 0;
		return RNN_ERR_MISSING;
	}
	if (check)
		check(check_arg);
	interpolate_missing(out->values, missing, npoints);
	out->n = npoints;
	out->first_key = keys ? row_key(&r, 0) : 0;
	out->step = step;
	out->n_filled = npoints - n_present;
	rnn_release(a, copy);
	if (keep_missing)
		out->missing = missing;
	else
		rnn_release(a, missing);
	return RNN_OK;
}

/* s without its first z < n points, `filled` of which were filled in */
static void
drop_first(RnnSeries *s, size_t z, size_t filled)
{
	if (z > 0)
	{
		memmove(s->values, s->values + z, sizeof(double) * (s->n - z));
		if (s->missing)
			memmove(s->missing, s->missing + z, sizeof(bool) * (s->n - z));
	}
	s->n -= z;
	s->first_key += (int64_t) z * s->step;
	s->n_filled -= filled;
	s->trimmed_lead += z;
}

void
rnn_series_trim_ends(RnnSeries *s)
{
	size_t		lead = s->lead_missing,
				trail = s->trail_missing;

	/* (regularising refuses a series without values: lead + trail < n) */
	if (lead + trail == 0 || lead + trail >= s->n)
		return;
	drop_first(s, lead, lead);
	s->n -= trail;
	s->n_filled -= trail;
	s->lead_missing = 0;
	s->trail_missing = 0;
}

void
rnn_series_drop_lead(RnnSeries *s, size_t z)
{
	size_t		filled = 0;

	if (z == 0 || z >= s->n)
		return;
	for (size_t i = 0; s->missing && i < z; i++)
		filled += s->missing[i] && filled < s->n_filled;
	drop_first(s, z, filled);
}

size_t
rnn_series_missing_before(const RnnSeries *s, size_t end)
{
	size_t		g = 0;

	if (s->missing == NULL)
		return 0;
	while (g < end && s->missing[end - 1 - g])
		g++;
	return g;
}

bool
rnn_series_nonnegative(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(v[i] >= 0))
			return false;
	return n > 0;
}

bool
rnn_series_constant(const double *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[0])
			return false;
	return true;
}

double
rnn_series_naive_mae(const double *v, size_t n, int season)
{
	size_t		m = season >= 1 && (size_t) season < n ? (size_t) season : 1;
	double		sum = 0;

	if (n <= m)
		return 0;
	for (size_t t = m; t < n; t++)
		sum += fabs(v[t] - v[t - m]);
	return sum / (double) (n - m);
}

int
rnn_series_extreme_exponent(const double *x, size_t n)
{
	double		mag = 0;

	for (size_t t = 0; t < n; t++)
		if (isfinite(x[t]))
			mag = fmax(mag, fabs(x[t]));
	if (mag > 0 && (mag > ldexp(1, RNN_EXTREME_EXP) || mag < ldexp(1, -RNN_EXTREME_EXP)))
		return ilogb(mag);
	return 0;
}

/*
 * autocorrelation of the first differences d[t] = v[t+1] - v[t] at a lag,
 * each centred difference times 2^-e (rnn_series_extreme_exponent)
 */
static double
diff_acf(const double *v, size_t nd, double mean, double var, int lag, int e)
{
	double		acc = 0;

	if (e == 0)
		for (size_t t = (size_t) lag; t < nd; t++)
			acc += ((v[t + 1] - v[t]) - mean) * ((v[t + 1 - lag] - v[t - lag]) - mean);
	else
		for (size_t t = (size_t) lag; t < nd; t++)
			acc += ldexp((v[t + 1] - v[t]) - mean, -e) *
				ldexp((v[t + 1 - lag] - v[t - lag]) - mean, -e);
	return acc / var;
}

int
rnn_series_acf_season(const double *v, size_t n, int max_lag,
					  void (*check) (void *), void *check_arg)
{
	size_t		nd;
	double		mean = 0,
				var = 0,
				prev = 0;
	int			e = rnn_series_extreme_exponent(v, n);

	if (n < 8 || max_lag < 2)
		return 1;
	/* differences, so that a trend does not pass for a season */
	nd = n - 1;
	mean = (v[n - 1] - v[0]) / (double) nd;
	for (size_t t = 0; t < nd; t++)
	{
		double		d = ldexp((v[t + 1] - v[t]) - mean, -e);

		var += d * d;
	}
	if (!(var > 0))
		return 1;
	if ((size_t) max_lag > nd / 2)
		max_lag = (int) (nd / 2);
	for (int lag = 1; lag <= max_lag; lag++)
	{
		double		cur;

		if (check)
			check(check_arg);	/* each lag reads the whole series */
		cur = diff_acf(v, nd, mean, var, lag, e);

		/* the first local peak above 0.3 wins, not its multiples */
		if (lag >= 2 && cur > 0.3 && cur >= prev &&
			(lag == max_lag || cur >= diff_acf(v, nd, mean, var, lag + 1, e)))
			return lag;
		prev = cur;
	}
	return 1;
}
