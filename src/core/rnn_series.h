/*
 * rnn_series.h
 *	  Turning collected rows into a regular series: sort by key, reject
 *	  duplicates and infinities, infer the step, fill gaps and missing values.
 */
#ifndef RNN_SERIES_H
#define RNN_SERIES_H

#include "rnn_common.h"

typedef struct RnnSeries
{
	double	   *values;			/* n values on a regular grid */
	size_t		n;
	int64_t		first_key;		/* key of values[0] */
	int64_t		step;			/* key distance between neighbours (>= 1) */
	size_t		n_filled;		/* grid points or values that were filled in */
	size_t		lead_missing;	/* of which before the first value (filled with it) */
	size_t		trail_missing;	/* and after the last value (filled with it) */
	size_t		trimmed_lead;	/* points rnn_series_trim_ends and rnn_series_drop_lead
								 * dropped at the start */
	bool	   *missing;		/* (n) the points filled in; NULL unless asked for */
} RnnSeries;

/*
 * Regularise rows (keys[i], values[i]); isnull[i] marks NULLs and NaN
 * values count as missing too.  keys may be NULL: the rows are then already
 * in order with keys 0, 1, 2, ...  With interpolate false a missing value or
 * grid point between two values is an error (the missing points before the
 * first value and after the last are filled with it either way, and
 * counted in lead_missing and trail_missing).  keep_missing: out->missing
 * marks the points filled in (allocated from a, the caller's to release
 * with out->values).  max_points bounds the grid.  On error, *bad_key
 * holds the offending key (or row number when keys is NULL).  A few rows off
 * the grid of the others (at least 90% of the rows share a position modulo
 * the commonest distance, which the rest would make finer) are
 * RNN_ERR_OFFGRID, with the first such row in *bad_key and the others' step
 * in out->step.  check (may be NULL; may not return) runs while the rows
 * are sorted.
 */
RnnStatus	rnn_series_regularize(RnnSeries *out, const int64_t *keys,
								  const double *values, const bool *isnull,
								  size_t n, bool interpolate, bool keep_missing, int64_t max_points,
								  const RnnAlloc *a, int64_t *bad_key,
								  void (*check) (void *), void *check_arg);

/*
 * Drop the points before the first value and after the last (lead_missing,
 * trail_missing), which regularising filled with the nearest value: a
 * series to train on runs from its first value to its last, so that its
 * forecasts start after its last value rather than after values made up.
 * Records the points dropped at the start in trimmed_lead (for columns on
 * the same grid) and clears lead_missing and trail_missing; the missing
 * marks, when kept, follow the values.
 */
void		rnn_series_trim_ends(RnnSeries *s);

/*
 * Drop the first z points of s (z < n: the zeros before a launch,
 * rnn_pipeline_launch_zeros), as rnn_series_trim_ends drops missing ends:
 * trimmed_lead counts them for columns on the same grid, and the missing
 * marks, when kept, follow the values.
 */
void		rnn_series_drop_lead(RnnSeries *s, size_t z);

/*
 * The points filled in just before `end` (0 < end <= s->n): how far a part
 * of the series that ends there must move back to end at a value.  A
 * backtest fold trained up to `end` would otherwise train on values
 * interpolated toward the points after it, the ones it is scored on.  0
 * without missing marks.
 */
size_t		rnn_series_missing_before(const RnnSeries *s, size_t end);

/* Whether v[0..n-1] are all equal (true for n < 2). */
bool		rnn_series_constant(const double *v, size_t n);

/*
 * Whether every value is at least 0 (n > 0): sales, counts, loads; such a
 * series is never forecast below 0 (RnnModel.nonnegative).
 */
bool		rnn_series_nonnegative(const double *v, size_t n);

/* Mean absolute error of the in-sample seasonal naive forecast (MASE scale). */
double		rnn_series_naive_mae(const double *v, size_t n, int season);

/*
 * A series whose largest finite magnitude is outside [2^-RNN_EXTREME_EXP,
 * 2^RNN_EXTREME_EXP] has its sums of squares (spreads, seasonal indices,
 * autocorrelations, the Theta method's errors) taken on values scaled by
 * 2^-e, e this exponent of that magnitude (exact: x * 2^-e is near 1); 0
 * inside, or without a finite value above 0, and then nothing changes, bit
 * for bit.  (2026-12-07: the squares overflowed at 1e200, and a series
 * got no seasonal indices, or underflowed at 1e-200, shrink 0 and a
 * spread of 0.)
 */
#define RNN_EXTREME_EXP 400
int			rnn_series_extreme_exponent(const double *x, size_t n);

/*
 * Seasonal period from the autocorrelation of the first differences: the
 * first lag in [2, max_lag] that is a local peak above 0.3, else 1.  check
 * (may be NULL; may not return) is called before every lag.
 */
int			rnn_series_acf_season(const double *v, size_t n, int max_lag,
								  void (*check) (void *), void *check_arg);

#endif							/* RNN_SERIES_H */
