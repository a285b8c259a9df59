/*
 * rnn_theta.c
 *	  The Theta method on the adjusted series and its combination with the
 *	  network's forecast (see rnn_theta.h).
 */
#include "rnn_theta.h"

#include <math.h>
#include <string.h>

#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_series.h"

#define ALPHA_STEPS 100			/* alpha = 0.01, 0.02, ..., 1 */
#define ALPHA_BLOCK 20			/* alphas fitted in one pass (ALPHA_STEPS a multiple) */

/*
 * Simple exponential smoothing of u[0..n-1] at alpha from the level l0 it
 * has before u[0] (L_0 = l0, L_t+1 = L_t + alpha (u_t - L_t)), l0 the one
 * of the least squared one-step errors u_t - L_t over t = 0 .. n-1 (as the
 * textbook Theta, R's forecast::thetaf, chooses it).  L_t is g_t l0 + c_t
 * with g_t = (1 - alpha)^t and c_t the smoothing started from 0, so the
 * errors are linear in l0 and l0 = sum g_t (u_t - c_t) / sum g_t^2.  All on
 * u - u[0] (smoothing commutes with a shift), so that a constant series is
 * its own level exactly.  For each of ALPHA_BLOCK alphas, sets sse[k] to
 * the sum of squares and level[k] to L_n, the level after u[n-1].
 */
static void
ses_fit(const double *u, size_t n, const double *alpha, double *sse, double *level)
{
	double		g[ALPHA_BLOCK],
				c[ALPHA_BLOCK],
				sgg[ALPHA_BLOCK],
				sgr[ALPHA_BLOCK],
				l0[ALPHA_BLOCK];

	/*
	 * ALPHA_BLOCK alphas at once, each alpha's arithmetic in the order of
	 * one alone (the loop over k vectorises; nothing is reassociated)
	 */
	for (int k = 0; k < ALPHA_BLOCK; k++)
	{
		g[k] = 1;
		c[k] = 0;
		sgg[k] = 0;
		sgr[k] = 0;
		sse[k] = 0;
	}
	for (size_t t = 0; t < n; t++)
	{
		double		x = u[t] - u[0];

		for (int k = 0; k < ALPHA_BLOCK; k++)
		{
			sgg[k] += g[k] * g[k];
			sgr[k] += g[k] * (x - c[k]);
			c[k] += alpha[k] * (x - c[k]);
			g[k] *= 1 - alpha[k];
		}
	}
	for (int k = 0; k < ALPHA_BLOCK; k++)
	{
		l0[k] = sgr[k] / sgg[k];	/* sgg >= 1: the t = 0 term */
		g[k] = 1;
		c[k] = 0;
	}
	for (size_t t = 0; t < n; t++)
	{
		double		x = u[t] - u[0];

		for (int k = 0; k < ALPHA_BLOCK; k++)
		{
			double		e = x - (g[k] * l0[k] + c[k]);

			sse[k] += e * e;
			c[k] += alpha[k] * (x - c[k]);
			g[k] *= 1 - alpha[k];
		}
	}
	for (int k = 0; k < ALPHA_BLOCK; k++)
		level[k] = u[0] + (g[k] * l0[k] + c[k]);
}

void
rnn_theta_fit(RnnTheta *th, const double *u, size_t n)
{
	double		best_sse = INFINITY;
	double		mean_t,
				mean_u = 0,
				sxy = 0,
				sxx = 0;

	/* the unfitted state is all zeros (as a zeroed model's) */
	th->level = th->drift = th->alpha = 0;
	th->n = 0;
	if (n > RNN_THETA_MAX_POINTS)
	{
		u += n - RNN_THETA_MAX_POINTS;
		n = RNN_THETA_MAX_POINTS;
	}
	/*
	 * fitted on a copy scaled by a power of two where the magnitude is
	 * extreme: equivariant (not beyond 1e300, which is left unfitted below)
	 */
	{
		int			e = rnn_series_extreme_exponent(u, n);
		bool		bounded = true;

		for (size_t t = 0; t < n && bounded; t++)
			bounded = isfinite(u[t]) && fabs(u[t]) <= 1e300;
		if (e != 0 && bounded)
		{
			double		w[RNN_THETA_MAX_POINTS];

			for (size_t t = 0; t < n; t++)
				w[t] = ldexp(u[t], -e);
			rnn_theta_fit(th, w, n);
			th->level = ldexp(th->level, e);
			th->drift = ldexp(th->drift, e);
			return;
		}
	}
	for (size_t t = 0; t < n; t++)
	{
		if (!isfinite(u[t]) || fabs(u[t]) > 1e300)
			return;
		mean_u += u[t];
	}
	if (n == 0)
		return;
	mean_u /= (double) n;
	mean_t = ((double) n - 1) / 2;
	for (size_t t = 0; t < n; t++)
	{
		sxy += ((double) t - mean_t) * (u[t] - mean_u);
		sxx += ((double) t - mean_t) * ((double) t - mean_t);
	}
	th->drift = sxx > 0 ? sxy / sxx / 2 : 0;
	th->level = u[n - 1];
	for (int k0 = 1; k0 <= ALPHA_STEPS; k0 += ALPHA_BLOCK)
	{
		double		alpha[ALPHA_BLOCK],
					level[ALPHA_BLOCK],
					sse[ALPHA_BLOCK];

		for (int k = 0; k < ALPHA_BLOCK; k++)
			alpha[k] = (double) (k0 + k) / ALPHA_STEPS;
		ses_fit(u, n, alpha, sse, level);
		/* the smallest alpha of the least error (strictly less to move) */
		for (int k = 0; k < ALPHA_BLOCK; k++)
			if (sse[k] < best_sse)
			{
				best_sse = sse[k];
				th->alpha = alpha[k];
				th->level = level[k];
			}
	}
	/* no alpha's error was finite (changes beyond 1e154 square to inf) */
	if (!isfinite(th->level) || !isfinite(th->drift) || th->alpha == 0)
	{
		th->level = th->drift = th->alpha = 0;
		return;
	}
	th->n = (int32_t) n;
}

double
rnn_theta_forecast(const RnnTheta *th, int h)
{
	double		a = th->alpha;

	return th->level + th->drift * ((double) (h - 1) + (1.0 - pow(1.0 - a, (double) th->n)) / a);
}

void
rnn_theta_fit_values(RnnTheta *th, const RnnModel *m, const double *v, size_t n, size_t stride,
					 int32_t phase_last)
{
	double		u[RNN_THETA_MAX_POINTS];
	size_t		skip = n > RNN_THETA_MAX_POINTS ? n - RNN_THETA_MAX_POINTS : 0;

	for (size_t t = skip; t < n; t++)
		u[t - skip] = rnn_pipeline_in(m, v[t * stride],
									  rnn_pipeline_phase(m, phase_last, (long) t - (long) (n - 1)));
	rnn_theta_fit(th, u, n - skip);
}

/* the blend of out with Theta's forecasts at the model's weight, not floored */
static void
theta_blend(double *out, const RnnModel *m, const RnnTheta *th, int horizon, int32_t phase_last)
{
	double		w = m->theta_weight;

	for (int h = 0; w > 0 && th->n >= 1 && h < horizon; h++)
	{
		double		f = rnn_pipeline_out(m, rnn_theta_forecast(th, h + 1),
										 rnn_pipeline_phase(m, phase_last, h + 1));

		out[h] = (1.0 - w) * out[h] + w * f;
	}
}

void
rnn_theta_combine(double *out, const RnnModel *m, const RnnTheta *th, int horizon,
				  int32_t phase_last)
{
	theta_blend(out, m, th, horizon, phase_last);
	/* the final forecast, combined or the network's alone */
	rnn_pipeline_floor(m, out, (size_t) horizon);
}

void
rnn_theta_combine_histories(double *out, const RnnModel *m, const double *hist,
							const double *given, int B, int T, int stride, int horizon,
							const int32_t *phases)
{
	for (int b = 0; b < B; b++)
	{
		const double *hb = hist + (size_t) b * T * stride;
		double	   *ob = out + (size_t) b * horizon;
		int32_t		ph = phases ? phases[b] : m->phase_last;

		if (m->theta_weight > 0)
		{
			RnnTheta	th;

			rnn_theta_fit_values(&th, m, hb, (size_t) T, (size_t) stride, ph);
			theta_blend(ob, m, &th, horizon, ph);
		}
		/* each history's own floor: none where it holds a value below 0 */
		if (rnn_pipeline_history_floors(m, (given ? given : hist) + (size_t) b * T * stride,
										(size_t) T, (size_t) stride))
			rnn_floor_at_zero(ob, (size_t) horizon);
	}
}

double
rnn_theta_weight(double configured, bool global, int n_features, bool imported,
				 bool season_unadjusted, double warm_weight)
{
	if (configured >= 0)
		return configured;
	if (n_features > 0 || imported || season_unadjusted)
		return 0;
	if (warm_weight >= 0)
		return warm_weight;
	return global ? RNN_THETA_WEIGHT_GLOBAL : RNN_THETA_WEIGHT_SERIES;
}

size_t
rnn_theta_selection_origins(int steps)
{
	return steps > RNN_THETA_SELECT_MIN_ORIGINS ? (size_t) steps : RNN_THETA_SELECT_MIN_ORIGINS;
}

RnnThetaRoute
rnn_theta_route(size_t n, size_t n_val, bool capped, bool refit, int steps,
				size_t *first_origin, size_t *origins)
{
	size_t		k = rnn_theta_selection_origins(steps);

	*first_origin = 0;
	*origins = 0;
	if (steps < 1)
		return RNN_THETA_ROUTE_KEEP;
	if (!refit && n_val >= k + (size_t) steps - 1 && n_val <= n)
	{
		size_t		o = n_val - (size_t) steps + 1;

		if (o > RNN_THETA_SELECT_MAX_ORIGINS)
			o = RNN_THETA_SELECT_MAX_ORIGINS;
		if (o < k)
			o = k;				/* steps above the cap: k of them */
		*origins = o;
		*first_origin = n - (size_t) steps + 1 - o;
		return RNN_THETA_ROUTE_HELD_OUT;
	}
	return capped ? RNN_THETA_ROUTE_KEEP : RNN_THETA_ROUTE_SECOND_MODEL;
}

bool
rnn_theta_selection_tail(size_t n, int steps, int window, size_t *tail, size_t *origins)
{
	size_t		k = rnn_theta_selection_origins(steps);
	size_t		v = k + (size_t) steps - 1;

	if (steps < 1 || window < 1 || n < 3 * v ||
		n - v < (size_t) window + (size_t) (steps > 12 ? steps : 12))
		return false;
	*tail = v;
	*origins = k;
	return true;
}

bool
rnn_theta_selection_global(size_t n, int steps, int window, size_t *tail, size_t *origins)
{
	if (rnn_theta_selection_tail(n, steps, window, tail, origins))
		return true;
	if (steps < 1 || window < 1 || n < 2 * (size_t) steps + (size_t) window)
		return false;
	*tail = (size_t) steps;
	*origins = 1;
	return true;
}

/* the mean of count errors */
static double
mean_error(const float *err, size_t count)
{
	double		sum = 0;

	for (size_t i = 0; i < count; i++)
		sum += err[i];
	return sum / (double) count;
}

RnnStatus
rnn_theta_choose_weight(double *w, double *err_out, const RnnModel *mv, size_t mv_n,
						const double *v, size_t n, size_t first_origin, size_t origins,
						int steps, double dflt, void (*check) (void *), void *check_arg,
						const RnnAlloc *a)
{
	RnnModel	view = *mv;
	size_t		count = origins * (size_t) steps;
	float	   *err;
	double	   *fc;
	int32_t    *phases;
	double		mean[3] = {NAN, NAN, NAN};
	size_t		bad[2] = {0, 0};
	RnnStatus	st;

	*w = dflt;
	if (err_out)
		memcpy(err_out, mean, sizeof(mean));
	if (origins < 1 || steps < 1 || first_origin < 1 || mv_n < 1 || mv_n > n ||
		first_origin + origins - 1 + (size_t) steps > n)
		return RNN_ERR_ARGUMENT;
	err = rnn_alloc(a, sizeof(float) * count);
	fc = rnn_alloc(a, sizeof(double) * count * (err_out ? 3 : 2));
	phases = rnn_alloc(a, sizeof(int32_t) * origins);
	if (!err || !fc || !phases)
	{
		st = RNN_ERR_ALLOC;
		goto done;
	}
	/* mv's last point is v[mv_n - 1]; the phases count from v[n - 1] */
	view.phase_last = rnn_pipeline_phase(mv, mv->phase_last, (long) (n - mv_n));
	view.cal_scaled = 1;
	/* the network alone, and Theta alone */
	st = rnn_validation_forecasts(fc, phases, &view, v, n, first_origin, origins, steps,
								  check, check_arg, a);
	/*
	 * each as the model would give it at weight 0 and 1 (at 0 or above,
	 * where it is kept there: on a copy, the combination below takes them
	 * as they are and is kept there itself, as the model's is)
	 */
	for (int k = 0; k < 2 && st == RNN_OK; k++)
	{
		memcpy(fc + 2 * count, fc + k * count, sizeof(double) * count);
		rnn_pipeline_floor(&view, fc + 2 * count, count);
		bad[k] = rnn_validation_error_of(err, &view, v, first_origin, origins, steps,
										 fc + 2 * count, phases);
		mean[k] = mean_error(err, count);
	}

	/*
	 * each forecast weighted by the other's error: by its inverse error; a
	 * forecaster with a non-finite forecast (an overflow) gets none
	 */
	if (st != RNN_OK || (bad[0] > 0 && bad[1] > 0))
		*w = dflt;
	else if (bad[0] > 0 || bad[1] > 0)
		*w = bad[0] > 0 ? 1 : 0;
	else if (isfinite(mean[0]) && isfinite(mean[1]) && mean[0] + mean[1] > 0)
		*w = mean[0] / (mean[0] + mean[1]);
	/* and the combination at that weight, when both could forecast (and it is asked for) */
	if (err_out && st == RNN_OK && bad[0] == 0 && bad[1] == 0)
	{
		for (size_t i = 0; i < count; i++)
			fc[2 * count + i] = (1 - *w) * fc[i] + *w * fc[count + i];
		rnn_pipeline_floor(&view, fc + 2 * count, count);
		if (rnn_validation_error_of(err, &view, v, first_origin, origins, steps,
									fc + 2 * count, phases) == 0)
			mean[2] = mean_error(err, count);
	}
	if (err_out)
		memcpy(err_out, mean, sizeof(mean));
done:
	rnn_release(a, err);
	rnn_release(a, fc);
	rnn_release(a, phases);
	return st;
}

bool
rnn_theta_combination_kept(double net_sum, double comb_sum, size_t validated)
{
	return validated == 0 || !isfinite(net_sum) || !isfinite(comb_sum) || comb_sum <= net_sum;
}

bool
rnn_theta_pool_decide(RnnModel *m, const double sum[3], size_t validated)
{
	if (validated > 0)
	{
		m->theta_validation.series = (int32_t) validated;
		m->theta_validation.network = sum[0] / (double) validated;
		m->theta_validation.theta = sum[1] / (double) validated;
		m->theta_validation.combined = sum[2] / (double) validated;
	}
	if (rnn_theta_combination_kept(sum[0], sum[2], validated))
		return true;
	m->theta_weight = 0;
	for (int32_t k = 0; k < m->n_series; k++)
		m->series[k].theta_weight = 0;
	return false;
}

bool
rnn_theta_valid(const RnnTheta *th)
{
	if (th->n == 0)
		return th->level == 0 && th->drift == 0 && th->alpha == 0;
	return th->n > 0 && th->n <= RNN_THETA_MAX_POINTS &&
		isfinite(th->level) && fabs(th->level) <= 1e300 &&
		isfinite(th->drift) && fabs(th->drift) <= 1e300 &&
		th->alpha >= 0.01 && th->alpha <= 1;
}
