/*
 * rnn_score.c
 *	  Forecast accuracy: point sums, interval scores and scaled means.
 */
#include "rnn_score.h"

#include <math.h>

/* add e^2 to the scaled sum of squares (scale, sum): the largest error so far is the scale */
static void
add_square(double *scale, double *sum, double e)
{
	if (e == 0 || isnan(e))
		return;
	if (e > *scale)
	{
		*sum = 1.0 + *sum * (*scale / e) * (*scale / e);
		*scale = e;
	}
	else
		*sum += (e / *scale) * (e / *scale);
}

void
rnn_score_point(RnnScores *s, double actual, double forecast, double lower, double upper,
				double level)
{
	double		err = fabs(actual - forecast);
	double		denom = fabs(actual) + fabs(forecast);
	/* the same on the small scale, where err and denom may overflow (1e308 and -1e308) */
	double		a_small = actual * RNN_SCORE_SMALL,
				f_small = forecast * RNN_SCORE_SMALL,
				err_small = fabs(a_small - f_small);

	s->n++;
	s->abs_err += err;
	s->abs_err_small += err_small;
	add_square(&s->sq_scale, &s->sq_sum, err);
	if (denom > 0)
	{
		double		t = 200.0 * err / denom;

		/* (at most 200: where 200 err or err overflowed, the ratio first) */
		if (!isfinite(t))
			t = 200.0 * (err_small / (fabs(a_small) + fabs(f_small)));
		s->smape += t;
	}
	if (!isnan(lower) && !isnan(upper))
	{
		/* Gneiting and Raftery's interval score: a miss costs 2 / alpha times its distance */
		double		penalty = 2.0 / (1.0 - level),
					l_small = lower * RNN_SCORE_SMALL,
					u_small = upper * RNN_SCORE_SMALL;

		s->n_interval++;
		s->covered += actual >= lower && actual <= upper ? 1 : 0;
		s->interval_score += (upper - lower) + penalty * fmax(lower - actual, 0) +
			penalty * fmax(actual - upper, 0);
		s->interval_small += (u_small - l_small) + penalty * fmax(l_small - a_small, 0) +
			penalty * fmax(a_small - u_small, 0);
	}
}

/* a sum and its small-scale twin: the plain one where it is finite */
static double
sum_or_small(double sum, double small, double divisor)
{
	if (isfinite(sum))
		return sum / divisor;
	return small / divisor / RNN_SCORE_SMALL;
}

void
rnn_score_add(RnnScores *a, const RnnScores *b)
{
	a->n += b->n;
	a->abs_err += b->abs_err;
	a->abs_err_small += b->abs_err_small;
	a->interval_small += b->interval_small;
	if (b->sq_scale > a->sq_scale)
	{
		a->sq_sum = b->sq_sum + (a->sq_scale > 0 ? a->sq_sum * (a->sq_scale / b->sq_scale) * (a->sq_scale / b->sq_scale) : 0);
		a->sq_scale = b->sq_scale;
	}
	else if (b->sq_scale > 0)
		a->sq_sum += b->sq_sum * (b->sq_scale / a->sq_scale) * (b->sq_scale / a->sq_scale);
	a->smape += b->smape;
	a->n_interval += b->n_interval;
	a->covered += b->covered;
	a->interval_score += b->interval_score;
}

void
rnn_scaled_add(RnnScaled *a, const RnnScores *s, double scale)
{
	double		mase;

	if (!(scale > 0) || s->n == 0)
		return;
	mase = sum_or_small(s->abs_err, s->abs_err_small, (double) s->n) / scale;
	a->mase += mase;
	a->mase_small += mase * RNN_SCORE_SMALL;
	a->n_mase++;
	if (s->n_interval > 0)
	{
		double		msis = sum_or_small(s->interval_score, s->interval_small, (double) s->n_interval) / scale;

		a->msis += msis;
		a->msis_small += msis * RNN_SCORE_SMALL;
		a->n_msis++;
	}
}

void
rnn_scaled_merge(RnnScaled *a, const RnnScaled *b)
{
	a->mase += b->mase;
	a->n_mase += b->n_mase;
	a->msis += b->msis;
	a->n_msis += b->n_msis;
	a->mase_small += b->mase_small;
	a->msis_small += b->msis_small;
}

void
rnn_score_metrics(RnnMetrics *out, const RnnScores *s, const RnnScaled *sc)
{
	out->points = s->n;
	out->mae = s->n ? sum_or_small(s->abs_err, s->abs_err_small, (double) s->n) : NAN;
	out->rmse = s->n ? s->sq_scale * sqrt(s->sq_sum / s->n) : NAN;
	out->smape = s->n ? s->smape / s->n : NAN;
	out->mase = sc->n_mase ? sum_or_small(sc->mase, sc->mase_small, sc->n_mase) : NAN;
	out->msis = sc->n_msis ? sum_or_small(sc->msis, sc->msis_small, sc->n_msis) : NAN;
	out->coverage = s->n_interval ? s->covered / (double) s->n_interval : NAN;
}
