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

	s->n++;
	s->abs_err += err;
	add_square(&s->sq_scale, &s->sq_sum, err);
	s->smape += denom > 0 ? 200.0 * err / denom : 0;
	if (!isnan(lower) && !isnan(upper))
	{
		/* Gneiting and Raftery's interval score: a miss costs 2 / alpha times its distance */
		double		penalty = 2.0 / (1.0 - level);

		s->n_interval++;
		s->covered += actual >= lower && actual <= upper ? 1 : 0;
		s->interval_score += (upper - lower) + penalty * fmax(lower - actual, 0) +
			penalty * fmax(actual - upper, 0);
	}
}

void
rnn_score_add(RnnScores *a, const RnnScores *b)
{
	a->n += b->n;
	a->abs_err += b->abs_err;
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
	if (!(scale > 0) || s->n == 0)
		return;
	a->mase += s->abs_err / s->n / scale;
	a->n_mase++;
	if (s->n_interval > 0)
	{
		a->msis += s->interval_score / s->n_interval / scale;
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
}

void
rnn_score_metrics(RnnMetrics *out, const RnnScores *s, const RnnScaled *sc)
{
	out->points = s->n;
	out->mae = s->n ? s->abs_err / s->n : NAN;
	out->rmse = s->n ? s->sq_scale * sqrt(s->sq_sum / s->n) : NAN;
	out->smape = s->n ? s->smape / s->n : NAN;
	out->mase = sc->n_mase ? sc->mase / sc->n_mase : NAN;
	out->msis = sc->n_msis ? sc->msis / sc->n_msis : NAN;
	out->coverage = s->n_interval ? s->covered / (double) s->n_interval : NAN;
}
