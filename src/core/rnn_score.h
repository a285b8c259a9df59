/*
 * rnn_score.h
 *	  Scoring forecasts against what happened: running sums of points
 *	  (MAE, RMSE, sMAPE, interval coverage and interval score) and the
 *	  scaled metrics (MASE, MSIS) averaged over units, as the M competitions
 *	  score them.  rnn_backtest and rnn_evaluate report these.
 */
#ifndef RNN_SCORE_H
#define RNN_SCORE_H

#include "rnn_common.h"

#define RNN_SCORE_SMALL 0x1p-32

/* Running sums of one set of scored points. */
typedef struct RnnScores
{
	size_t		n;
	double		abs_err;
	/*
	 * abs_err and interval_score again with every term times RNN_SCORE_SMALL
	 * (an exact power of 2, so these are the same bits scaled where nothing
	 * under- or overflows): the metrics read them where the plain sums
	 * overflowed (actuals near 1e308), so a mean that fits a double is not
	 * lost to its sum
	 */
	double		abs_err_small;
	double		interval_small;
	/*
	 * the squared errors' sum as sq_scale^2 x sq_sum (sq_sum >= 1 once
	 * there is one), so that errors beyond 1e154 do not overflow it
	 */
	double		sq_scale;
	double		sq_sum;
	double		smape;			/* 200 |a - f| / (|a| + |f|) summed; 0 where both are 0 */
	double		covered;
	size_t		n_interval;		/* the points with an interval */
	double		interval_score; /* width + 2 / alpha x the miss, summed */
} RnnScores;

/*
 * The scaled metrics: means over units (a fold, or a series in a fold),
 * each unit scaled by its own training part's in-sample seasonal naive
 * MAE: MASE, and MSIS over the units with intervals.
 */
typedef struct RnnScaled
{
	double		mase;
	int			n_mase;
	double		msis;
	int			n_msis;
	/* mase and msis with each unit's times RNN_SCORE_SMALL (as RnnScores') */
	double		mase_small;
	double		msis_small;
} RnnScaled;

/* The reported figures; NAN where there is nothing to average. */
typedef struct RnnMetrics
{
	size_t		points;
	double		mae;
	double		rmse;
	double		smape;
	double		mase;
	double		msis;
	double		coverage;
} RnnMetrics;

/*
 * One point: actual against forecast, and against the interval [lower,
 * upper] of the given level (in (0, 1)) unless either bound is NaN.
 */
void		rnn_score_point(RnnScores *s, double actual, double forecast, double lower,
							double upper, double level);

/* add the points of b to a */
void		rnn_score_add(RnnScores *a, const RnnScores *b);

/* one unit's points s, scaled by its naive MAE (skipped when not positive, or no points) */
void		rnn_scaled_add(RnnScaled *a, const RnnScores *s, double scale);

/* add the units of b to a */
void		rnn_scaled_merge(RnnScaled *a, const RnnScaled *b);

/* the figures of s, with sc's means of the scaled ones */
void		rnn_score_metrics(RnnMetrics *out, const RnnScores *s, const RnnScaled *sc);

#endif							/* RNN_SCORE_H */
