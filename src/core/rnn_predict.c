/*
 * rnn_predict.c
 *	  Forecasts from a model, and split-conformal calibration of intervals:
 *	  the absolute errors of forecasts made on held-out windows, per horizon
 *	  step, give the interval half-width at any level.
 */
#include "rnn_predict.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnn_net.h"
#include "rnn_pipeline.h"
#include "rnn_theta.h"

/* the z-score every scaling but none starts with */
static double
scale_in(const RnnModel *m, double v)
{
	return m->scaling != RNN_SCALE_NONE && m->scaling != RNN_SCALE_LEVEL ?
		(v - m->scale_mean) / m->scale_std : v;
}

static double
scale_out(const RnnModel *m, double v)
{
	return m->scaling != RNN_SCALE_NONE && m->scaling != RNN_SCALE_LEVEL ?
		v * m->scale_std + m->scale_mean : v;
}

RnnStatus
rnn_model_prepare_infer(RnnModel *m, const RnnAlloc *a)
{
	size_t		per = rnn_infer_weights_count(&m->shape);
	rnn_real   *dst;

	m->infer_block = NULL;
	m->infer_hhT = m->infer_of = NULL;
	if (m->params == NULL || m->members < 1)
		return RNN_OK;
	m->infer_block = rnn_alloc(a, sizeof(rnn_real) * per * m->members + 64);
	if (m->infer_block == NULL)
		return RNN_ERR_ALLOC;
	dst = (rnn_real *) (((uintptr_t) m->infer_block + 63) & ~(uintptr_t) 63);
	for (int member = 0; member < m->members; member++)
		rnn_infer_weights(dst + (size_t) member * per, m->params + (size_t) member * m->n_params,
						  &m->shape);
	m->infer_hhT = dst;
	m->infer_of = m->params;
	return RNN_OK;
}

/* member's rearranged weights, when m has them for its own params */
static const rnn_real *
infer_weights_of(const RnnModel *m, int member)
{
	if (m->infer_hhT == NULL || m->infer_of != m->params)
		return NULL;
	return m->infer_hhT + (size_t) member * rnn_infer_weights_count(&m->shape);
}

RnnStatus
rnn_forecast_batch(double *out, const RnnModel *m, const double *hist,
				   int B, int T, int horizon, const int32_t *phases, const RnnAlloc *a)
{
	return rnn_forecast_batch_checked(out, m, hist, B, T, horizon, phases, NULL, NULL, a);
}

RnnStatus
rnn_forecast_batch_checked(double *out, const RnnModel *m, const double *hist,
						   int B, int T, int horizon, const int32_t *phases,
						   void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	return rnn_forecast_features(out, m, hist, NULL, B, T, horizon, phases, check, check_arg, a);
}

/* a feature on the network's scale */
static double
feature_in(const RnnModel *m, int j, double f)
{
	return (f - m->feature_mean[j]) / m->feature_std[j];
}

RnnStatus
rnn_forecast_features(double *out, const RnnModel *m, const double *hist, const double *future,
					  int B, int T, int horizon, const int32_t *phases,
					  void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	const RnnShape *s = &m->shape;
	int			I = s->input_size;
	int			O = s->output_size;
	int			K = m->n_features;
	int			W = m->window > 0 ? m->window : T;
	int			skip = T - W;
	int			lag = RNN_DIFF_LAG(m);
	int			Tn = W - lag;	/* steps the network reads */
	bool		feed = I == 1 || K > 0; /* recursive passes feed the value back */
	rnn_real   *x,
			   *y;
	double	   *buf;
	double	   *base_of;
	RnnWork    *work;
	int			passes;
	size_t		row;
	RnnStatus	status = RNN_OK;

	if (B < 1 || T < 1 || W < 1 || skip < 0 || horizon < 1 || horizon > RNN_MAX_HORIZON ||
		(horizon > O && !feed) || Tn < 1 || (lag > 0 && I != 1) ||
		(K > 0 && (future == NULL || I != K + 1)))
		return RNN_ERR_ARGUMENT;
	passes = (horizon + O - 1) / O;
	row = (size_t) W + (size_t) passes * O;

	/*
	 * buf (B, W + passes*O, I) holds the scaled window followed by the
	 * scaled forecasts (and, with features, the future steps' features), so
	 * the recursive passes just slide along it.
	 */
	buf = rnn_alloc(a, sizeof(double) * (size_t) B * row * I);
	x = rnn_alloc(a, sizeof(rnn_real) * (size_t) Tn * B * I);
	y = rnn_alloc(a, sizeof(rnn_real) * (size_t) B * O);
	base_of = rnn_alloc(a, sizeof(double) * B);
	work = rnn_work_create_infer(s, Tn, B, a);
	if (!buf || !x || !y || !work || !base_of)
	{
		status = RNN_ERR_ALLOC;
		goto done;
	}
	memset(buf, 0, sizeof(double) * (size_t) B * row * I);

	for (int b = 0; b < B; b++)
		for (int t = 0; t < W; t++)
			for (int i = 0; i < I; i++)
			{
				double		v = hist[((size_t) b * T + skip + t) * I + i];
				double		u,
							z;

				if (K > 0 && i > 0)
					u = z = feature_in(m, i - 1, v);
				else
				{
					int			ph = rnn_pipeline_phase(m, phases ? phases[b] : m->phase_last,
														(long) (skip + t) - (T - 1));

					u = rnn_pipeline_in(m, v, ph);
					z = scale_in(m, u);
				}
				if (isnan(u) && m->log_transform)
				{
					status = RNN_ERR_DOMAIN;
					goto done;
				}
				/* float32 network inputs: far out of range is an error, not inf */
				if (!(fabs(z) <= 1e30))
				{
					status = RNN_ERR_NONFINITE;
					goto done;
				}
				buf[((size_t) b * row + t) * I + i] = z;
			}
	/* the future steps' features: rows W .. W + horizon - 1 */
	for (int b = 0; b < B && K > 0; b++)
		for (int h = 0; h < horizon; h++)
			for (int j = 0; j < K; j++)
			{
				double		z = feature_in(m, j, future[((size_t) b * horizon + h) * K + j]);

				if (!(fabs(z) <= 1e30))
				{
					status = RNN_ERR_NONFINITE;
					goto done;
				}
				buf[((size_t) b * row + W + h) * I + 1 + j] = z;
			}
	for (size_t k = 0; k < (size_t) B * horizon; k++)
		out[k] = 0.0;

	for (int member = 0; member < m->members; member++)
	{
		const rnn_real *params = m->params + (size_t) member * m->n_params;
		const rnn_real *hhT = infer_weights_of(m, member);
		/* a mixed model's one-step members feed their first output back */
		int			Om = RNN_MEMBER_ONE_STEP(m, member) ? 1 : O;
		int			member_passes = (horizon + Om - 1) / Om;

		for (int p = 0; p < member_passes; p++)
		{
			if (check)
				check(check_arg);	/* may not return: nothing is left allocated but a's */
			/* x (Tn, B, I) time-major from the window at buf rows p*Om .. p*Om+W-1 */
			for (int b = 0; b < B; b++)
			{
				const double *win = buf + ((size_t) b * row + (size_t) p * Om) * I;

				if (lag > 0)
				{
					/* (seasonal) differences x[t + lag] - x[t] */
					for (int t = 0; t < Tn; t++)
						x[(size_t) t * B + b] = (rnn_real) (win[t + lag] - win[t]);
					continue;
				}
				if (K > 0)
				{
					/* the features of the step after each input step */
					for (int t = 0; t < W; t++)
						for (int j = 1; j < I; j++)
							x[((size_t) t * B + b) * I + j] = (rnn_real) win[(size_t) (t + 1) * I + j];
				}
				if (m->scaling == RNN_SCALE_LEVEL)
				{
					/* level scaling: v / mean(window) - 1 (of the values) */
					double		mean = 0;

					for (int t = 0; t < W; t++)
						mean += win[(size_t) t * I];
					mean /= W;
					if (!(mean > 0))
					{
						status = RNN_ERR_NONFINITE;
						goto done;
					}
					base_of[b] = mean;
					for (int t = 0; t < W; t++)
						x[((size_t) t * B + b) * I] = (rnn_real) (win[(size_t) t * I] / mean - 1.0);
					continue;
				}
				/* window scaling: relative to the window's last value */
				base_of[b] = m->scaling == RNN_SCALE_WINDOW ? win[(size_t) (W - 1) * I] : 0.0;
				for (int t = 0; t < W; t++)
					for (int i = 0; i < (K > 0 ? 1 : I); i++)
						x[((size_t) t * B + b) * I + i] = (rnn_real) (win[(size_t) t * I + i] - base_of[b]);
			}
			rnn_forward_infer(y, x, params, hhT, s, Tn, B, work);
			for (int b = 0; b < B; b++)
			{
				double	   *next = buf + ((size_t) b * row + W + (size_t) p * Om) * I;

				for (int o = 0; o < Om; o++)
				{
					int			h = p * Om + o;
					double		v = y[(size_t) b * O + o];

					/* undo the transform: the value one season back, the level, or the mean */
					if (lag > 0)
						v += next[o - lag];
					else if (m->scaling == RNN_SCALE_LEVEL)
						v = (v + 1.0) * base_of[b];
					else
						v += base_of[b];
					/* recursive passes feed the outputs back */
					if (feed)
						next[(size_t) o * I] = v;
					if (h < horizon)
						out[(size_t) b * horizon + h] +=
							rnn_pipeline_out(m, scale_out(m, v),
											 rnn_pipeline_phase(m, phases ? phases[b] : m->phase_last, h + 1));
				}
			}
		}
	}
	for (size_t k = 0; k < (size_t) B * horizon; k++)
		out[k] /= m->members;
done:
	rnn_work_free(work, a);
	rnn_release(a, buf);
	rnn_release(a, base_of);
	rnn_release(a, x);
	rnn_release(a, y);
	return status;
}

static int
float_cmp(const void *a, const void *b)
{
	float		fa = *(const float *) a;
	float		fb = *(const float *) b;

	return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/* |actual - forecast|, in the model's scaled units when it calibrates there */
static double
calibration_error(const RnnModel *m, double actual, double forecast, int phase)
{
	if (m->cal_scaled)
		return fabs(rnn_pipeline_in(m, actual, phase) - rnn_pipeline_in(m, forecast, phase)) /
			m->scale_std;
	return fabs(actual - forecast);
}

/*
 * The network's forecasts fc (origins, steps) from `origins` consecutive
 * origins of v, and each origin's phase (see rnn_calibration_errors).
 */
static RnnStatus
origin_forecasts(double *fc, int32_t *phases, const RnnModel *m, const double *v,
				 const double *feats, size_t n, size_t first_origin, size_t origins, int steps,
				 void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	int			W = m->window;
	int			T = first_origin >= (size_t) W ? W : (int) first_origin;
	int			K = m->n_features;
	int			I = K + 1;
	int			len = W > T ? W : T;
	double	   *hist,
			   *future = NULL;
	RnnStatus	st;

	if (T < 1 || origins < 1 || first_origin + origins - 1 + (size_t) steps > n ||
		(K > 0 && !feats))
		return RNN_ERR_ARGUMENT;
	hist = rnn_alloc(a, sizeof(double) * origins * len * I);
	if (K > 0)
		future = rnn_alloc(a, sizeof(double) * origins * steps * K);
	if (!hist || (K > 0 && !future))
	{
		st = RNN_ERR_ALLOC;
		goto done;
	}
	for (size_t o = 0; o < origins; o++)
	{
		double	   *row = hist + o * len * I;

		/* a history shorter than the window is padded with its first row */
		for (int t = 0; t < len; t++)
		{
			size_t		src = first_origin + o - T + (t < len - T ? 0 : (size_t) (t - (len - T)));

			row[(size_t) t * I] = v[src];
			for (int j = 0; j < K; j++)
				row[(size_t) t * I + 1 + j] = feats[src * K + j];
		}
		for (int h = 0; h < steps && K > 0; h++)
			memcpy(future + (o * steps + h) * K, feats + (first_origin + o + h) * K,
				   sizeof(double) * K);
		/* the series ends at n - 1 with phase_last; this history at first_origin + o - 1 */
		phases[o] = rnn_pipeline_phase(m, m->phase_last, (long) (first_origin + o) - (long) n);
	}
	st = rnn_forecast_features(fc, m, hist, future, (int) origins, len, steps, phases,
							   check, check_arg, a);
done:
	rnn_release(a, hist);
	rnn_release(a, future);
	return st;
}

/* Theta fitted on v up to origin first_origin + o (at most its last RNN_THETA_MAX_POINTS) */
static void
origin_theta(RnnTheta *th, const RnnModel *m, const double *v, size_t end, int32_t phase)
{
	size_t		start = end > RNN_THETA_MAX_POINTS ? end - RNN_THETA_MAX_POINTS : 0;

	rnn_theta_fit_values(th, m, v + start, end - start, 1, phase);
}

/* err (steps, origins) of the forecasts fc; a non-finite error stored as 0 and counted */
static size_t
origin_errors(float *err, const RnnModel *m, const double *v, size_t first_origin,
			  size_t origins, int steps, const double *fc, const int32_t *phases)
{
	size_t		bad = 0;

	for (int h = 0; h < steps; h++)
		for (size_t o = 0; o < origins; o++)
		{
			double		e = calibration_error(m, v[first_origin + o + h], fc[o * steps + h],
											  rnn_pipeline_phase(m, phases[o], h + 1));

			bad += !isfinite(e);
			err[(size_t) h * origins + o] = (float) (isfinite(e) ? e : 0.0);
		}
	return bad;
}

RnnStatus
rnn_calibration_errors(float *err, const RnnModel *m, const double *v, const double *feats,
					   size_t n, size_t first_origin, size_t origins, int steps,
					   void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	double	   *fc = rnn_alloc(a, sizeof(double) * origins * steps);
	int32_t    *phases = rnn_alloc(a, sizeof(int32_t) * (origins ? origins : 1));
	RnnStatus	st;

	st = !fc || !phases ? RNN_ERR_ALLOC :
		origin_forecasts(fc, phases, m, v, feats, n, first_origin, origins, steps, check,
						 check_arg, a);
	/* combined with Theta fitted on the series up to each origin, as the model's forecast is */
	for (size_t o = 0; st == RNN_OK && m->theta_weight > 0 && o < origins; o++)
	{
		RnnTheta	th;

		if (check && o % 64 == 63)
			check(check_arg);	/* up to 100 passes over 1,000 points an origin */
		origin_theta(&th, m, v, first_origin + o, phases[o]);
		rnn_theta_combine(fc + o * steps, m, &th, steps, phases[o]);
	}
	/* the final forecasts, as the model's are (rnn_theta_combine floors the combined ones) */
	if (st == RNN_OK && !(m->theta_weight > 0))
		rnn_pipeline_floor(m, fc, origins * steps);
	if (st == RNN_OK)
		(void) origin_errors(err, m, v, first_origin, origins, steps, fc, phases);
	rnn_release(a, fc);
	rnn_release(a, phases);
	return st;
}

RnnStatus
rnn_validation_forecasts(double *fc, int32_t *phases, const RnnModel *m, const double *v,
						 size_t n, size_t first_origin, size_t origins, int steps,
						 void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	size_t		count = origins * (size_t) steps;
	RnnStatus	st;

	st = origin_forecasts(fc, phases, m, v, NULL, n, first_origin, origins, steps, check,
						  check_arg, a);
	/* Theta alone, on the series' scale; NaN where it could not be fitted */
	for (size_t o = 0; st == RNN_OK && o < origins; o++)
	{
		RnnTheta	th;

		if (check && o % 64 == 63)
			check(check_arg);
		origin_theta(&th, m, v, first_origin + o, phases[o]);
		for (int h = 0; h < steps; h++)
			fc[count + o * steps + h] = th.n < 1 ? NAN :
				rnn_pipeline_out(m, rnn_theta_forecast(&th, h + 1),
								 rnn_pipeline_phase(m, phases[o], h + 1));
	}
	return st;
}

size_t
rnn_validation_error_of(float *err, const RnnModel *m, const double *v, size_t first_origin,
						size_t origins, int steps, const double *fc, const int32_t *phases)
{
	return origin_errors(err, m, v, first_origin, origins, steps, fc, phases);
}

/* the index of the k-th of `keep` evenly spaced order statistics of count errors (the largest last) */
static inline size_t
kept_index(size_t k, size_t keep, size_t count)
{
	return keep == count ? k : (size_t) ((double) (k + 1) * count / keep) - 1;
}

/* v[i] on the network's scale (before its z-score), i's phase counted back from the series' end */
static double
pipeline_in_at(const RnnModel *m, const double *v, size_t n, long i)
{
	return rnn_pipeline_in(m, v[i], rnn_pipeline_phase(m, m->phase_last, i - (long) (n - 1)));
}

/* the features' change from row i to row j, through beta (rnn_feature_effect) */
static double
feature_change(const RnnModel *m, const double *feats, const double *beta, long i, long j)
{
	int			K = m->n_features;
	double		d = 0;

	for (int k = 0; k < K; k++)
		d += beta[k] * (feats[(size_t) j * K + k] - feats[(size_t) i * K + k]) / m->feature_std[k];
	return d;
}

RnnStatus
rnn_feature_effect(double *beta, const RnnModel *m, const double *v, const double *feats,
				   size_t n, size_t end, const RnnAlloc *a)
{
	int			K = m->n_features;
	double	   *A,
			   *b,
			   *zbar,
			   *z,
			   *zz,
				ybar = 0,
				trace = 0;
	size_t		rows = 0,
				start;
	int			kept = 0;
	bool		solved = true;

	for (int k = 0; k < K; k++)
		beta[k] = 0;
	if (end > n)
		end = n;
	if (K < 1 || K > RNN_FLOOR_MAX_FEATURES || !feats || end < 2 + (size_t) K)
		return RNN_OK;
	A = rnn_alloc(a, sizeof(double) * ((size_t) K * K + 4 * (size_t) K));
	if (!A)
		return RNN_ERR_ALLOC;
	b = A + (size_t) K * K;
	zbar = b + K;
	zz = zbar + K;
	z = zz + K;
	memset(A, 0, sizeof(double) * ((size_t) K * K + 3 * (size_t) K));
	/* the latest rows only: at most K^2 RNN_FEATURE_EFFECT_ROWS / 2 products */
	start = end > RNN_FEATURE_EFFECT_ROWS ? end - RNN_FEATURE_EFFECT_ROWS : 1;
	/* two passes: the means of the rows with finite changes, then their centred products */
	for (int pass = 0; pass < 2; pass++)
	{
		double		prev = pipeline_in_at(m, v, n, (long) start - 1);

		for (size_t t = start; t < end; t++)
		{
			double		cur = pipeline_in_at(m, v, n, (long) t),
						y = cur - prev;
			bool		finite = isfinite(y);

			prev = cur;

			for (int k = 0; k < K && finite; k++)
			{
				z[k] = (feats[t * K + k] - feats[(t - 1) * K + k]) / m->feature_std[k];
				finite = isfinite(z[k]);
			}
			if (!finite)
				continue;
			if (pass == 0)
			{
				rows++;
				ybar += y;
				for (int k = 0; k < K; k++)
					zbar[k] += z[k];
				continue;
			}
			y -= ybar;
			for (int k = 0; k < K; k++)
			{
				zz[k] += z[k] * z[k];
				z[k] -= zbar[k];
				b[k] += z[k] * y;
				for (int l = 0; l <= k; l++)
					A[(size_t) k * K + l] += z[k] * z[l];
			}
		}
		if (pass == 0)
		{
			if (rows < 2 + (size_t) K)
			{
				rnn_release(a, A);
				return RNN_OK;
			}
			ybar /= (double) rows;
			for (int k = 0; k < K; k++)
				zbar[k] /= (double) rows;
		}
	}
	/*
	 * a feature whose changes are all the same (a time index) or nearly so
	 * has no effect apart from the drift, which is not kept: its centred
	 * variance is rounding beside its uncentred one; it is left out (its
	 * row and column the identity's, its beta 0)
	 */
	for (int k = 0; k < K; k++)
	{
		if (A[(size_t) k * K + k] > 1e-12 * zz[k] && isfinite(A[(size_t) k * K + k]))
		{
			trace += A[(size_t) k * K + k];
			kept++;
			continue;
		}
		for (int l = 0; l < K; l++)
		{
			A[(size_t) k * K + l] = 0;
			A[(size_t) l * K + k] = 0;
		}
		A[(size_t) k * K + k] = -1;		/* marked: the identity's after the ridge */
		b[k] = 0;
	}
	if (kept == 0 || !isfinite(trace))
	{
		rnn_release(a, A);
		return RNN_OK;
	}
	/* a ridge of 1e-6 of the mean variance keeps a copy of a feature solvable */
	for (int k = 0; k < K; k++)
		A[(size_t) k * K + k] = A[(size_t) k * K + k] < 0 ? 1 :
			A[(size_t) k * K + k] + 1e-6 * trace / kept;
	/* Cholesky, lower triangle in place, then the two triangular solves */
	for (int k = 0; k < K && solved; k++)
	{
		for (int l = 0; l <= k; l++)
		{
			double		s = A[(size_t) k * K + l];

			for (int p = 0; p < l; p++)
				s -= A[(size_t) k * K + p] * A[(size_t) l * K + p];
			if (l < k)
				A[(size_t) k * K + l] = s / A[(size_t) l * K + l];
			else if (s > 0)
				A[(size_t) k * K + k] = sqrt(s);
			else
				solved = false;
		}
	}
	for (int k = 0; k < K && solved; k++)
	{
		double		s = b[k];

		for (int p = 0; p < k; p++)
			s -= A[(size_t) k * K + p] * z[p];
		z[k] = s / A[(size_t) k * K + k];
	}
	for (int k = K - 1; k >= 0 && solved; k--)
	{
		double		s = z[k];

		for (int p = k + 1; p < K; p++)
			s -= A[(size_t) p * K + k] * beta[p];
		beta[k] = s / A[(size_t) k * K + k];
	}
	for (int k = 0; k < K; k++)
		if (!solved || !isfinite(beta[k]))
			beta[k] = 0;
	rnn_release(a, A);
	return RNN_OK;
}

void
rnn_naive_errors(float *err, const RnnModel *m, const double *v, const double *feats,
				 const double *beta, size_t n, size_t first_origin, size_t origins, int steps,
				 int lag)
{
	if (!feats)
		beta = NULL;
	for (int h = 0; h < steps; h++)
	{
		/* the season's offset back from the origin's last value */
		long		back = lag > 0 ? (long) lag * ((h + lag) / lag) : 0;

		for (size_t o = 0; o < origins; o++)
		{
			long		last = (long) (first_origin + o) - 1,
						to = last + h + 1;
			double		f = pipeline_in_at(m, v, n, last),
						e;

			if (back > 0 && last >= back)
			{
				double		g = f + pipeline_in_at(m, v, n, to - back) -
					pipeline_in_at(m, v, n, last - back);

				if (beta)
					g -= feature_change(m, feats, beta, last - back, to - back);
				if (isfinite(g))
					f = g;
			}
			if (beta)
			{
				double		g = f + feature_change(m, feats, beta, last, to);

				if (isfinite(g))
					f = g;
			}
			e = fabs(pipeline_in_at(m, v, n, to) - f) / m->scale_std;
			err[(size_t) h * origins + o] = (float) (isfinite(e) ? e : 0.0);
		}
	}
}

int
rnn_floor_lag(int season, int n_seasonal, int deseason_mode)
{
	return season > 1 && n_seasonal == 0 && deseason_mode == 0 ? season : 0;
}

void
rnn_floor_pick(float *naive, float *seasonal, int steps, size_t count)
{
	for (int h = 0; h < steps; h++)
	{
		float	   *a = naive + (size_t) h * count,
				   *b = seasonal + (size_t) h * count;

		qsort(a, count, sizeof(float), float_cmp);
		qsort(b, count, sizeof(float), float_cmp);
		for (size_t c = 0; c < count; c++)
			if (b[c] < a[c])
				a[c] = b[c];
	}
}

void
rnn_calibration_floor(RnnModel *m, float *naive, size_t count)
{
	size_t		keep = (size_t) m->cal_n;

	if (m->cal_steps < 1 || keep < 1 || count < keep)
		return;
	for (int h = 0; h < m->cal_steps; h++)
	{
		float	   *row = naive + (size_t) h * count;

		qsort(row, count, sizeof(float), float_cmp);
		for (size_t k = 0; k < keep; k++)
		{
			float		f = row[kept_index(k, keep, count)];

			if (m->cal_err[(size_t) h * keep + k] < f)
				m->cal_err[(size_t) h * keep + k] = f;
		}
	}
}

RnnStatus
rnn_calibration_store(RnnModel *m, float *err, int steps, size_t count, const RnnAlloc *a)
{
	size_t		keep = count < RNN_MAX_CAL_SAMPLES ? count : RNN_MAX_CAL_SAMPLES;

	m->cal_steps = 0;
	m->cal_n = 0;
	if (steps < 1 || count < 1)
		return RNN_OK;
	m->cal_err = rnn_alloc(a, sizeof(float) * keep * steps);
	if (!m->cal_err)
		return RNN_ERR_ALLOC;
	for (int h = 0; h < steps; h++)
	{
		float	   *row = err + (size_t) h * count;

		qsort(row, count, sizeof(float), float_cmp);
		/* evenly spaced order statistics, the largest always kept */
		for (size_t k = 0; k < keep; k++)
			m->cal_err[(size_t) h * keep + k] = row[kept_index(k, keep, count)];
	}
	m->cal_steps = steps;
	m->cal_n = (int32_t) keep;
	return RNN_OK;
}

/*
 * Whether beta (m->n_features) from rnn_feature_effect moves the naive
 * forecast at all
 */
static bool
any_effect(const RnnModel *m, const double *beta)
{
	for (int k = 0; k < m->n_features; k++)
		if (beta[k] != 0)
			return true;
	return false;
}

/*
 * The floor's benchmarks into naive (steps, origins), for one series'
 * origins: the naive forecast's errors, then at each rank the least of
 * those and of each other benchmark the series calls for (rnn_floor_pick):
 * the seasonal naive of the changes at floor_lag > 0, and both again with
 * the features' changes through beta (NULL: none).  other: room for one
 * more (steps, origins).
 */
static void
floor_benchmarks(float *naive, float *other, const RnnModel *m, const double *v,
				 const double *feats, const double *beta, size_t n, size_t first_origin,
				 size_t origins, int steps, int floor_lag)
{
	rnn_naive_errors(naive, m, v, NULL, NULL, n, first_origin, origins, steps, 0);
	for (int b = 1; b < 4; b++)
	{
		int			lag = (b & 1) ? floor_lag : 0;
		const double *eff = (b & 2) ? beta : NULL;

		if ((b & 1 && lag < 1) || (b & 2 && !eff))
			continue;
		rnn_naive_errors(other, m, v, feats, eff, n, first_origin, origins, steps, lag);
		rnn_floor_pick(naive, other, steps, origins);
	}
}

RnnStatus
rnn_calibrate(RnnModel *m, const double *v, const double *feats, size_t n,
			  size_t first_origin, int max_steps, int floor_lag,
			  void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	int			W = m->window;
	size_t		origins;
	int			steps;
	float	   *err,
			   *other;
	double	   *beta = NULL;
	bool		floored = floor_lag >= 0 && m->cal_scaled,
				with_effect = floored && m->n_features > 0 && feats;
	RnnStatus	st;

	m->cal_steps = 0;
	m->cal_n = 0;
	if (W < 1 || m->shape.input_size != 1 + m->n_features || first_origin < (size_t) W ||
		first_origin >= n)
		return RNN_OK;
	/* every origin must have `steps` actual values after it */
	steps = max_steps;
	if ((size_t) steps > (n - first_origin + 1) / 2)
		steps = (int) ((n - first_origin + 1) / 2);
	if (steps < 1)
		steps = 1;
	if (steps > RNN_MAX_CAL_STEPS)
		steps = RNN_MAX_CAL_STEPS;
	origins = n - first_origin - (size_t) steps + 1;
	if (origins > RNN_MAX_CAL_SAMPLES)
	{
		/* keep the latest origins */
		first_origin += origins - RNN_MAX_CAL_SAMPLES;
		origins = RNN_MAX_CAL_SAMPLES;
	}
	err = rnn_alloc(a, sizeof(float) * origins * steps);
	other = rnn_alloc(a, sizeof(float) * origins * steps);
	if (with_effect)
		beta = rnn_alloc(a, sizeof(double) * m->n_features);
	if (!err || !other || (with_effect && !beta))
	{
		st = RNN_ERR_ALLOC;
		goto done;
	}
	/* the features' effect on the floor, from the rows before the origins */
	st = beta ? rnn_feature_effect(beta, m, v, feats, n, first_origin, a) : RNN_OK;
	if (st == RNN_OK)
		st = rnn_calibration_errors(err, m, v, feats, n, first_origin, origins, steps, check,
									check_arg, a);
	if (st == RNN_OK)
		st = rnn_calibration_store(m, err, steps, origins, a);
	if (st == RNN_OK && floored)
	{
		floor_benchmarks(err, other, m, v, feats, beta && any_effect(m, beta) ? beta : NULL,
						 n, first_origin, origins, steps, floor_lag);
		rnn_calibration_floor(m, err, origins);
	}
done:
	rnn_release(a, err);
	rnn_release(a, other);
	rnn_release(a, beta);
	return st;
}

void
rnn_interval_bounds(const RnnModel *m, const RnnIntervals *iv, double forecast, int h,
					int phase_last, double *lower, double *upper)
{
	double		hw = rnn_intervals_halfwidth(iv, h);

	if (isnan(hw))
	{
		*lower = *upper = NAN;
		return;
	}
	if (m->cal_scaled)
	{
		/* around the forecast on the network's scale, then back */
		int			ph = rnn_pipeline_phase(m, phase_last, h);
		double		c = rnn_pipeline_in(m, forecast, ph);

		if (isnan(c))
		{
			/* a log model's forecast of 0 (underflow): the bounds of its logarithm */
			*lower = 0;
			*upper = 0;
			return;
		}
		hw *= m->scale_std * (m->interval_factor > 0 ? m->interval_factor : 1);
		/*
		 * the way there and back rounds: the forecast itself may come back
		 * 1e-14 beside c, outside a narrow interval (one of zero width)
		 */
		*lower = fmin(rnn_pipeline_out(m, c - hw, ph), forecast);
		*upper = fmax(rnn_pipeline_out(m, c + hw, ph), forecast);
	}
	else
	{
		*lower = forecast - hw;
		*upper = forecast + hw;
	}
	/*
	 * at least the values that round to the forecast, a few units in its
	 * last place: a series that held one value gets a forecast of it that
	 * the way through the log may put 1 unit beside it (19.990000000000002
	 * for 19.99), and an interval of zero width would leave out the value
	 * itself; wider intervals are as they were, bit for bit
	 */
	{
		double		slack = RNN_BOUND_ULPS * DBL_EPSILON * fabs(forecast);

		*lower = fmin(*lower, forecast - slack);
		*upper = fmax(*upper, forecast + slack);
	}
	/* a model trained on values at least 0: its bounds too (its forecast already is) */
	if (m->nonnegative)
	{
		*lower = fmax(*lower, 0);
		*upper = fmax(*upper, 0);
	}
}

/* the mean held-out error at step s (0-based) */
static double
step_mean_error(const RnnModel *m, int s)
{
	double		sum = 0;

	for (int k = 0; k < m->cal_n; k++)
		sum += m->cal_err[(size_t) s * m->cal_n + k];
	return sum / m->cal_n;
}

/*
 * Per-step scale of the held-out errors: their mean at each step, made
 * non-decreasing in the step (an error that shrinks with the horizon is an
 * accident of few samples), and at step 1 at least step 2's mean shrunk as
 * a random walk's would be, by sqrt(1/2): the held-out origins flatter the
 * first step most (the windows before it are the ones training fitted
 * best), and on the M3 series' training parts the first step's intervals
 * covered least.  Only step 1: a floor at later steps lowers the pooled
 * quantile and so narrows the steps it does not raise (step 1 among them).
 * scale has cal_steps entries.
 */
static void
interval_scales(const RnnModel *m, double *scale)
{
	double		prev = 0;

	for (int s = 0; s < m->cal_steps; s++)
	{
		double		e = step_mean_error(m, s);

		if (s == 0 && m->cal_steps > 1)
		{
			double		next = step_mean_error(m, 1) * sqrt(0.5);

			if (e < next)
				e = next;
		}
		if (e < prev)
			e = prev;
		scale[s] = e > 1e-300 ? e : 1e-300;
		prev = scale[s];
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The split-conformal quantile at level of n sorted values: the ceil((n + 1) level)-th. */
static double
conformal_quantile(const double *sorted, size_t n, double level)
{
	double		rank = ceil((double) (n + 1) * level);
	size_t		k;

	/* the callers pass levels in (0, 1); NaN and the rest are clamped before the cast */
	if (!(rank >= 1))
		k = 1;
	else if (rank > (double) n)
		k = n;
	else
		k = (size_t) rank;
	return sorted[k - 1];
}

/* the standard normal quantile at p in (0, 1), by bisection on erfc */
static double
normal_quantile(double p)
{
	double		lo = -40,
				hi = 40;

	for (int it = 0; it < 200 && hi - lo > 1e-12; it++)
	{
		double		mid = 0.5 * (lo + hi);

		if (0.5 * erfc(-mid / sqrt(2.0)) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

int
rnn_global_calibration_steps(const size_t *len, size_t ns, int window, int steps,
							 size_t *min_len)
{
	size_t		usable = 0;
	size_t		want;

	*min_len = 0;
	if (ns == 0 || window < 1 || steps < 1)
		return 0;
	for (size_t k = 0; k < ns; k++)
	{
		if (len[k] >= (size_t) steps + 2 * (size_t) window)
		{
			*min_len = (size_t) steps + 2 * (size_t) window;
			return steps;
		}
		if (len[k] > (size_t) window)
			usable++;
	}
	if (usable == 0)
		return 0;
	/* half of the series longer than the window, at most RNN_FEW_CAL_ORIGINS */
	want = (usable + 1) / 2;
	if (want > (size_t) RNN_FEW_CAL_ORIGINS)
		want = RNN_FEW_CAL_ORIGINS;
	for (int s = steps; s >= 1; s--)
	{
		size_t		count = 0;

		for (size_t k = 0; k < ns; k++)
			if (len[k] >= (size_t) window + (size_t) s)
				count++;
		if (count >= want)
		{
			*min_len = (size_t) window + (size_t) s;
			return s;
		}
	}
	return 0;					/* not reached: s = 1 counts every usable series */
}

RnnStatus
rnn_calibrate_global(RnnModel *m, const double *const *values, const double *const *feats,
					 const size_t *len, int horizon, double validation_fraction, const int *floor_lags,
					 void (*check) (void *), void *check_arg, const RnnAlloc *a)
{
	size_t		ns = m->n_series > 0 ? (size_t) m->n_series : 0;
	int			W = m->window;
	int			steps = horizon < 1 ? 1 : horizon > RNN_MAX_CAL_STEPS ? RNN_MAX_CAL_STEPS : horizon;
	size_t		min_len = 0;
	size_t		count = 0,
				c = 0;
	float	   *err,
			   *pooled,
			   *bench[4] = {NULL, NULL, NULL, NULL};
	double	   *beta = NULL;
	bool		any_lag = false,
				with_feats = m->n_features > 0 && feats;
	RnnStatus	st = RNN_OK;

	m->cal_steps = 0;
	m->cal_n = 0;
	steps = rnn_global_calibration_steps(len, ns, W, steps, &min_len);
	for (size_t k = 0; k < ns && steps > 0; k++)
		if (len[k] >= min_len)
			count++;
	if (count == 0)
		return RNN_OK;
	for (size_t k = 0; k < ns && floor_lags; k++)
		any_lag = any_lag || (len[k] >= min_len && floor_lags[k] > 0);

	/*
	 * bench[b], pooled like the network's errors: the naive forecast's (b =
	 * 0), the seasonal naive's of the series that kept their season (b & 1),
	 * the features' changes through each series' effect (b & 2); a series
	 * for which part of a benchmark does not apply leaves that part out (no
	 * season: bench[1] its naive errors, bench[3] its naive with the effect;
	 * no effect: bench[2] its naive, bench[3] its seasonal naive)
	 */
	err = rnn_alloc(a, sizeof(float) * (size_t) steps);
	pooled = rnn_alloc(a, sizeof(float) * count * (size_t) steps);
	if (with_feats)
		beta = rnn_alloc(a, sizeof(double) * m->n_features);
	if (!err || !pooled || (with_feats && !beta))
	{
		st = RNN_ERR_ALLOC;
		goto done;
	}
	for (int b = 0; b < 4; b++)
		if ((b == 0 || !(b & 1) || any_lag) && (!(b & 2) || with_feats) &&
			!(bench[b] = rnn_alloc(a, sizeof(float) * count * (size_t) steps)))
		{
			st = RNN_ERR_ALLOC;
			goto done;
		}
	m->cal_scaled = 1;
	for (size_t k = 0; k < ns; k++)
	{
		RnnModel	view;
		size_t		n = len[k];
		size_t		hold;
		const double *f = with_feats ? feats[k] : NULL;
		bool		effect = false;
		float		unit;

		if (n < min_len)
			continue;
		if (check)
			check(check_arg);
		/* the series' held-out end: its last validation_fraction, at least the steps */
		hold = (size_t) floor(validation_fraction * (double) (n - (size_t) W));
		if (hold < (size_t) steps)
			hold = (size_t) steps;
		if (hold > n - (size_t) W)
			hold = n - (size_t) W;
		rnn_model_series_view(&view, m, (int32_t) k);
		view.cal_scaled = 1;
		st = rnn_calibration_errors(err, &view, values[k], f, n, n - hold, 1, steps, check,
									check_arg, a);
		if (st == RNN_OK && f)
		{
			/* its features' effect, from its rows before the origin */
			st = rnn_feature_effect(beta, &view, values[k], f, n, n - hold, a);
			effect = any_effect(&view, beta);
		}
		if (st != RNN_OK)
			goto done;
		/* divided by the series' factor, which the view carries */
		unit = (float) view.interval_factor;
		for (int h = 0; h < steps; h++)
			pooled[(size_t) h * count + c] = err[h] / unit;
		for (int b = 0; b < 4; b++)
		{
			int			lag = (b & 1) && floor_lags ? floor_lags[k] : 0;

			if (!bench[b])
				continue;
			rnn_naive_errors(err, &view, values[k], f, (b & 2) && effect ? beta : NULL, n,
							 n - hold, 1, steps, lag > 0 ? lag : 0);
			for (int h = 0; h < steps; h++)
				bench[b][(size_t) h * count + c] = err[h] / unit;
		}
		c++;
	}
	st = rnn_calibration_store(m, pooled, steps, count, a);
	if (st == RNN_OK)
	{
		for (int b = 1; b < 4; b++)
			if (bench[b])
				rnn_floor_pick(bench[0], bench[b], steps, count);
		rnn_calibration_floor(m, bench[0], count);
	}
done:
	rnn_release(a, err);
	rnn_release(a, pooled);
	for (int b = 0; b < 4; b++)
		rnn_release(a, bench[b]);
	rnn_release(a, beta);
	return st;
}

size_t
rnn_calibration_first_origin(size_t n, int window, size_t n_val, int outputs)
{
	size_t		region = n_val + (size_t) outputs - 1;

	if (region < RNN_MIN_CAL_REGION)
	{
		region = RNN_MIN_CAL_REGION;
		if (n > (size_t) window && region > n - (size_t) window)
			region = n - (size_t) window;
	}
	return region < n ? n - region : 0;
}

int
rnn_calibration_max_steps(int horizon, int season)
{
	int			s = season > 12 ? season : 12;

	return horizon > s ? horizon : s;
}

double
rnn_interval_widening(int origins, double level)
{
	double		z,
				z2,
				t,
				nu;

	if (origins >= RNN_FEW_CAL_ORIGINS || origins < 1 || !(level > 0 && level < 1))
		return 1.0;
	z = normal_quantile(0.5 + 0.5 * level);
	if (!(z > 1e-6))
		return 1.0;
	z2 = z * z;
	nu = origins > 1 ? origins - 1 : 1;
	/*
	 * Student's t quantile with nu degrees of freedom: exact for 1 and 2
	 * (Cauchy's tan, and 2's closed form), where the expansion falls short
	 * (6.01 for 6.31 at 90% and 1 degree), else A&S 26.7.5; one origin
	 * takes one degree, as two do
	 */
	if (nu == 1)
		t = tan(M_PI * 0.5 * level);
	else if (nu == 2)
		t = level / sqrt(0.5 * (1.0 - level * level));
	else
		t = z + z * (z2 + 1) / 4 / nu
		+ z * ((5 * z2 + 16) * z2 + 3) / 96 / (nu * nu)
		+ z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384 / (nu * nu * nu)
		+ z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160 / (nu * nu * nu * nu);
	return sqrt(t / z * sqrt(1.0 + 1.0 / origins));
}

/*
 * q at level from the sorted normalised errors r (n of them): the
 * split-conformal quantile, above RNN_TAIL_FROM at least an exponential
 * tail's through the median and the RNN_TAIL_FROM quantile (a few dozen
 * held-out errors say little about how far the largest 1% go), times the
 * few-origin widening.  Below RNN_LOW_FROM see interval_q.
 */
static double
interval_q_high(const double *r, size_t n, int cal_n, double level)
{
	double		q = conformal_quantile(r, n, level);

	if (level > RNN_TAIL_FROM && level < 1)
	{
		double		med = conformal_quantile(r, n, 0.5),
					from = conformal_quantile(r, n, RNN_TAIL_FROM),
					tail = from + (from - med) / log(0.5 / (1.0 - RNN_TAIL_FROM)) *
			log((1.0 - RNN_TAIL_FROM) / (1.0 - level));

		if (tail > q)
			q = tail;
	}
	return q * rnn_interval_widening(cal_n, level);
}

/*
 * q at level: below RNN_LOW_FROM at most RNN_LOW_FROM's q (q_from, which
 * does not depend on the level: the caller computes it once for all its
 * levels) scaled as the quantiles of an exponential distribution of
 * absolute errors (a Laplace distribution of errors) scale,
 * q_from * ln(1 - level) / ln(1 - from).  The stored errors are floored
 * rank by rank by the naive forecast's, whose errors at a step are alike in
 * size, and the held-out origins are few: both make the low quantiles too
 * wide for the errors to come, which are more often small.  Non-decreasing
 * in level, as both terms are.
 */
static double
interval_q(const double *r, size_t n, int cal_n, double level, double q_from)
{
	double		q = interval_q_high(r, n, cal_n, level);

	if (level > 0 && level < RNN_LOW_FROM)
	{
		double		cap = q_from * log(1.0 - level) / log(1.0 - RNN_LOW_FROM);

		if (cap < q)
			q = cap;
	}
	return q;
}

RnnStatus
rnn_intervals_prepare(RnnIntervals *iv, const RnnModel *m, double level, const RnnAlloc *a)
{
	return rnn_intervals_prepare_levels(iv, &level, 1, m, a);
}

RnnStatus
rnn_intervals_prepare_levels(RnnIntervals *iv, const double *levels, int count,
							 const RnnModel *m, const RnnAlloc *a)
{
	size_t		n = (size_t) m->cal_steps * m->cal_n;
	double	   *scale;
	double	   *r;
	double		q_from;

	for (int k = 0; k < count; k++)
	{
		iv[k].steps = 0;
		iv[k].q = NAN;
		iv[k].scale = NULL;
	}
	if (m->cal_steps < 1 || m->cal_n < 1 || count < 1)
		return RNN_OK;
	scale = rnn_alloc(a, sizeof(double) * m->cal_steps);
	r = rnn_alloc(a, sizeof(double) * n);
	if (scale == NULL || r == NULL)
	{
		rnn_release(a, scale);
		rnn_release(a, r);
		return RNN_ERR_ALLOC;
	}
	interval_scales(m, scale);

	/* split conformal on the errors of all steps pooled, each normalised by its step's scale */
	for (int s = 0; s < m->cal_steps; s++)
		for (int j = 0; j < m->cal_n; j++)
			r[(size_t) s * m->cal_n + j] = m->cal_err[(size_t) s * m->cal_n + j] / scale[s];
	qsort(r, n, sizeof(double), cmp_double);
	q_from = interval_q_high(r, n, m->cal_n, RNN_LOW_FROM);
	for (int k = 0; k < count; k++)
	{
		/* each keeps its own copy of the scales, the first the array itself */
		double	   *sk = k == 0 ? scale : rnn_alloc(a, sizeof(double) * m->cal_steps);

		if (sk == NULL)
		{
			/* none is left half prepared: no scales, no steps */
			for (int j = 0; j < k; j++)
			{
				rnn_intervals_free(&iv[j], a);
				iv[j].steps = 0;
				iv[j].q = NAN;
			}
			rnn_release(a, r);
			return RNN_ERR_ALLOC;
		}
		if (k > 0)
			memcpy(sk, scale, sizeof(double) * m->cal_steps);
		iv[k].scale = sk;
		iv[k].steps = m->cal_steps;
		iv[k].q = interval_q(r, n, m->cal_n, levels[k], q_from);
	}
	rnn_release(a, r);
	return RNN_OK;
}

double
rnn_intervals_halfwidth(const RnnIntervals *iv, int h)
{
	double		hw;

	if (iv->steps < 1 || isnan(iv->q))
		return NAN;
	hw = iv->q * iv->scale[(h <= iv->steps ? h : iv->steps) - 1];
	/* beyond the calibrated steps, widen as a random walk would */
	if (h > iv->steps)
		hw *= sqrt((double) h / (double) iv->steps);
	return hw;
}

void
rnn_intervals_free(RnnIntervals *iv, const RnnAlloc *a)
{
	rnn_release(a, iv->scale);
	iv->scale = NULL;
}

double
rnn_interval_halfwidth(const RnnModel *m, int h, double level, const RnnAlloc *a)
{
	RnnIntervals iv;
	double		hw;

	if (rnn_intervals_prepare(&iv, m, level, a) != RNN_OK)
		return NAN;
	hw = rnn_intervals_halfwidth(&iv, h);
	rnn_intervals_free(&iv, a);
	return hw;
}
