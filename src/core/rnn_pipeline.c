/*
 * rnn_pipeline.c
 *	  Log transform and classical seasonal adjustment around the network.
 */
#include "rnn_pipeline.h"

#include "rnn_calendar.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rnn_series.h"
#include "rnn_theta.h"

/* exp of at most this: forecasts stay finite */
#define RNN_LOG_MAX 700.0

/*
 * A seasonal deviation's weight halves every RNN_SEASON_HALF_LIFE seasons
 * back, or every 1 / RNN_SEASON_HALF_LIFE_SHARE of the series when that is
 * longer: a season that changed shape counts soon, while a long series of
 * many short seasons (days of hours, weeks of days) keeps enough of them
 * for its indices not to be noise (chosen on the M3 folds: README, Accuracy)
 */
#define RNN_SEASON_HALF_LIFE 2.0
#define RNN_SEASON_HALF_LIFE_SHARE 4.0

/*
 * The centred moving average of order m of u at t (2 x m for even m: half
 * weight on the two ends), half = m / 2 points either side
 */
static double
centred_average(const double *u, size_t t, int m)
{
	int			half = m / 2;
	double		ma = 0;

	if (m % 2 == 1)
	{
		for (int j = -half; j <= half; j++)
			ma += u[t + j];
	}
	else
	{
		for (int j = -half + 1; j <= half - 1; j++)
			ma += u[t + j];
		ma += 0.5 * (u[t - half] + u[t + half]);
	}
	return ma / m;
}

/*
 * The plain classical indices of u[0..n-1] (n >= 2m + 1): per phase, the
 * mean deviation from the centred moving average of order m (2 x m for
 * even m), centred to sum 0, into idx, with each phase's count of
 * deviations in cnt; *var gets the deviations' variance about their
 * phase's mean, pooled over the phases, with *dof_out degrees of freedom.
 */
static void
plain_indices(const double *u, size_t n, int m, double *idx, size_t *cnt, double *var,
			  size_t *dof_out)
{
	int			half = m / 2;
	double		sum[RNN_MAX_SEASON_INDICES],
				sq[RNN_MAX_SEASON_INDICES],
				mean = 0,
				ss = 0;
	size_t		dof = 0;

	for (int k = 0; k < m; k++)
	{
		sum[k] = 0;
		sq[k] = 0;
		cnt[k] = 0;
	}
	for (size_t t = (size_t) half; t + half < n; t++)
	{
		double		r = u[t] - centred_average(u, t, m);

		sum[t % m] += r;
		sq[t % m] += r * r;
		cnt[t % m]++;
	}
	for (int k = 0; k < m; k++)
	{
		idx[k] = cnt[k] ? sum[k] / cnt[k] : 0;
		ss += sq[k] - (cnt[k] ? sum[k] * idx[k] : 0);
		dof += cnt[k] > 1 ? cnt[k] - 1 : 0;
		mean += idx[k];
	}
	for (int k = 0; k < m; k++)
		idx[k] -= mean / m;
	*var = dof > 0 ? ss / dof : 0;
	*dof_out = dof;
}

/*
 * The quantile of the F distribution with d1 and d2 degrees of freedom
 * whose standard normal score is z, by Paulson's cube-root normal
 * approximation solved for F; 0 when it has no solution (d2 too small).
 */
static double
f_quantile(double d1, double d2, double z)
{
	double		a = 1.0 - 2.0 / (9.0 * d2),
				b = 1.0 - 2.0 / (9.0 * d1),
				c1 = 2.0 / (9.0 * d1),
				c2 = 2.0 / (9.0 * d2),
				A = a * a - z * z * c2,
				D = a * a * b * b - A * (b * b - z * z * c1),
				x;

	if (!(A > 0) || D < 0)
		return 0;
	x = (a * b + sqrt(D)) / A;
	return x * x * x;
}

/*
 * How far the season of u[lo..lo+m-1] departs from the indices old (cnt:
 * their deviations' counts, var: the deviations' variance; old and cnt
 * NULL: from a line alone, of variance var): the season's values less old,
 * less their level and trend (a least-squares line, so that a level shift
 * between seasons is no departure), fitted again without the point
 * farthest from it (one spike is no change of shape, and would tilt the
 * line), their squares over each index's variance (1 + 1 / count times
 * var) summed without that point, over m - 3 degrees of freedom.
 */
static double
season_departure(const double *u, size_t lo, int m, const double *old, const size_t *cnt,
				 double var)
{
	double		y[RNN_MAX_SEASON_INDICES];
	double		a,
				b,
				e2 = 0,
				far = -1;
	int			skip = -1;

	for (int j = 0; j < m; j++)
		y[j] = u[lo + j] - (old ? old[(lo + j) % (size_t) m] : 0);
	for (int pass = 0; pass < 2; pass++)
	{
		double		sx = 0,
					sy = 0,
					sxx = 0,
					sxy = 0,
					k = 0;

		for (int j = 0; j < m; j++)
			if (j != skip)
			{
				sx += j;
				sy += y[j];
				sxx += (double) j * j;
				sxy += j * y[j];
				k++;
			}
		b = (k * sxy - sx * sy) / (k * sxx - sx * sx);
		a = (sy - b * sx) / k;
		for (int j = 0; pass == 0 && j < m; j++)
			if (fabs(y[j] - a - b * j) > far)
			{
				far = fabs(y[j] - a - b * j);
				skip = j;
			}
	}
	for (int j = 0; j < m; j++)
	{
		size_t		k = (lo + j) % (size_t) m;
		double		e = y[j] - a - b * j;

		if (j != skip)
			e2 += old ? e * e / (1.0 + 1.0 / (double) (cnt[k] ? cnt[k] : 1)) : e * e;
	}
	return e2 / var / (m - 3);
}

/* (rnn_pipeline.h: a new shape held for the last two seasons) */
bool
rnn_pipeline_season_changed(const double *u, size_t n, int m, double *fresh, double *var)
{
	double		old[RNN_MAX_SEASON_INDICES];
	size_t		cnt[RNN_MAX_SEASON_INDICES],
				dof;
	double		q;

	if (m < 4 || m > RNN_MAX_SEASON_INDICES || n < (size_t) 4 * m + 1)
		return false;
	plain_indices(u, n - 2 * m, m, old, cnt, var, &dof);
	if (!(*var > 0) || !isfinite(*var) || dof < RNN_SEASON_SHIFT_MIN_DOF)
		return false;
	q = f_quantile(m - 3, (double) dof, RNN_SEASON_SHIFT_Z);
	if (!(q > 0))
		return false;
	if (!(season_departure(u, n - 2 * m, m, old, cnt, *var) > q) ||
		!(season_departure(u, n - m, m, old, cnt, *var) > q))
		return false;

	/*
	 * and depart alike: the changes from the season before to the last,
	 * position by position, less their line (fitted again without the
	 * farthest: one spike), leave no more than twice the deviations' noise
	 * allows (the same test), where seasons that both swing wildly, each its
	 * own way, are no shape at all
	 */
	{
		double		change[RNN_MAX_SEASON_INDICES];

		for (int j = 0; j < m; j++)
			change[j] = u[n - m + j] - u[n - 2 * m + j];
		if (!(season_departure(change, 0, m, NULL, NULL, 2 * *var) <= q))
			return false;
	}

	/*
	 * the new shape: the two seasons less their mean and the trend between
	 * their means (whole seasons: none of the pattern is in either mean,
	 * where a slope fitted inside a season takes some of it), by position
	 */
	{
		double		before = 0,
					last = 0,
					slope,
					centre = (double) (n - 1) - (m - 0.5);

		for (int j = 0; j < m; j++)
		{
			before += u[n - 2 * m + j];
			last += u[n - m + j];
		}
		slope = (last - before) / ((double) m * m);
		for (int k = 0; k < m; k++)
			fresh[k] = 0;
		for (size_t t = n - 2 * (size_t) m; t < n; t++)
			fresh[t % (size_t) m] += 0.5 * (u[t] - 0.5 * (before + last) / m -
											 slope * ((double) t - centre));
	}
	*var *= 0.5;
	return true;
}

/*
 * Shrunk towards no season by the positive-part James-Stein factor: m - 1
 * free indices (they sum to 0; ss their sum of squares), each estimated
 * with squared standard error se2.  A strong season keeps nearly all of its
 * indices, noise little or none.  *shrink (when not NULL) gets the factor.
 */
static void
shrink_indices(double *idx, int m, double ss, double se2, double *shrink)
{
	double		f = ss > 0 ? 1.0 - (double) (m - 1) * se2 / ss : 0;

	if (!(f > 0))
		f = 0;
	for (int k = 0; k < m; k++)
		idx[k] = f > 0 ? idx[k] * f : 0;
	if (shrink)
		*shrink = f;
}

/*
 * Exactly two seasons (n = 2m), too short for the moving average: the
 * least-squares fit of a line and m indices, u[t] = a + b t + idx[t % m]
 * (b the change of the seasons' means over a season, the indices each
 * position's mean less the line), whose residuals (each position's change
 * less the mean change, halved) leave m - 1 degrees of freedom for the
 * noise; each index a mean of two points.  Shrunk as the longer series'
 * (rnn_pipeline_seasonal_indices).
 */
static bool
two_season_indices(const double *u, int m, double *idx, double *shrink)
{
	double		first = 0,
				second = 0,
				b,
				mean = 0,
				rss = 0,
				ss = 0,
				se2;

	for (int k = 0; k < m; k++)
	{
		first += u[k];
		second += u[k + m];
	}
	b = (second - first) / ((double) m * m);
	for (int k = 0; k < m; k++)
	{
		double		w1 = u[k] - b * k,
					w2 = u[k + m] - b * (k + m);

		idx[k] = 0.5 * (w1 + w2);
		mean += idx[k];
		rss += 0.5 * (w1 - w2) * (w1 - w2);
	}
	mean /= m;
	for (int k = 0; k < m; k++)
	{
		idx[k] -= mean;
		ss += idx[k] * idx[k];
	}
	se2 = rss / (m - 1) / 2;
	if (!isfinite(ss) || !isfinite(se2))
		return false;
	shrink_indices(idx, m, ss, se2, shrink);
	return true;
}

/*
 * The centred moving average of order m (as centred_average) at t of the
 * step that is 0 before point `at` and 1 from it on
 */
static double
centred_step(size_t t, size_t at, int m)
{
	int			half = m / 2;
	double		ma = 0;

	if (m % 2 == 1)
	{
		for (int j = -half; j <= half; j++)
			ma += t + j >= at;
	}
	else
	{
		for (int j = -half + 1; j <= half - 1; j++)
			ma += t + j >= at;
		ma += 0.5 * ((t - half >= at) + (t + half >= at));
	}
	return ma / m;
}

static void select_kth(double *x, size_t n, size_t k);
static bool seasonal_indices(const double *u, size_t n, int m, double *idx, double *shrink,
							 bool *changed, const RnnAlloc *a);

/*
 * Steps in the level of u[0..n-1] (n >= 5m), at most RNN_SEASON_STEPS,
 * into at[] (each step's first point) and delta[] (its size); their count.
 * S(t) = u(t) - u(t - m), t = m .. n - 1, is free of the season at every
 * point, a trend makes it a constant, and a step of size d at p adds d to
 * it for t = p .. p + m - 1 (a plateau, cut short at either end of the
 * series); one outlier o at q adds o at q and takes it away at q + m.  So
 * D(t), the mean of S over t .. t + m - 1 (the mean of the season from t on
 * less the mean of the season before), less the level of S around it (the
 * median of S over the five seasons around, at least three, of which a
 * plateau is one: a trend whose slope drifts moves it along), peaks at a
 * step.  A step is found where the largest of those, in units of their
 * noise, exceeds RNN_SEASON_STEP times the noise's spread: S's from point
 * to point (1.4826 / sqrt 2 times the median change), or the windows' own
 * where it is larger (their quarter nearest 0, as a normal's: noise that
 * persists for months, as CO2's growth rate, which changes from point to
 * point miss, and without which M3's folds lost: 706 of 10,812 series-folds
 * moved, summed sMAPE +94.9; a step moves 2m - 1 windows, so that in four
 * seasons they are most of them and none is found), and its
 * size exceeds a billionth of the series' largest magnitude (a noise-free
 * series' step, whose noise is only rounding); it is placed at the start
 * of the plateau that fits S best (the largest square of its sum over its
 * length, within m of the peak, cut short where the series is: a step in
 * the first or the last season too), its size that plateau's mean distance
 * from the level, and it is a step only where the plateau's median point
 * is lifted by at least half that (one or two outliers lift one or two of
 * its points).  Its plateau is then taken out of S and the next one looked
 * for.  (2026-12-07, a black-box hunt: the first version placed a step in
 * the last season at the season's start, took D's own median and spread,
 * which a step covers most of in a series of four or five seasons, and
 * needed a spread above 0.)  None without the scratch (4 (n - m) values)
 * from a.
 */
#define RNN_SEASON_STEP 6.0
#define RNN_SEASON_STEPS 3

static size_t
size_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t
size_max(size_t a, size_t b)
{
	return a > b ? a : b;
}

static int
level_steps(const double *u, size_t n, int m, const RnnAlloc *a, size_t *at, double *delta)
{
	size_t		ns;
	double	   *S,
			   *x,
			   *level,
				big = 0;
	size_t	   *count;
	int			found = 0;

	if (a == NULL || m < 2 || n < (size_t) 5 * m)
		return 0;
	ns = n - (size_t) m;
	S = rnn_alloc(a, sizeof(double) * (4 * ns + 1));
	if (S == NULL)
		return 0;
	x = S + ns;
	level = x + ns;
	count = (size_t *) rnn_alloc(a, sizeof(size_t) * (ns / m + 1));
	if (count == NULL)
	{
		rnn_release(a, S);
		return 0;
	}
	for (size_t t = 0; t < n; t++)
		big = fmax(big, fabs(u[t]));
	/* S[i] is S(m + i) */
	for (size_t i = 0; i < ns; i++)
		S[i] = u[m + i] - u[i];
	while (found < RNN_SEASON_STEPS)
	{
		double		spread,
					far = -1,
					size = 0,
					sign,
					base = 0,
					best_score = -1,
					best_mean = 0,
					in = 0;
		size_t		nd = ns - (size_t) m + 1,
					best = 0,
					hi,
					c_best = 0;

		/* S's noise: its changes from point to point, where a trend's drift cancels */
		for (size_t i = 1; i < ns; i++)
			x[i - 1] = fabs(S[i] - S[i - 1]);
		select_kth(x, ns - 1, (ns - 1) / 2);
		spread = 1.4826 * x[(ns - 1) / 2] / M_SQRT2;
		/*
		 * C at t = m + i: the mean of S[i .. i + m - 1] less the median of S
		 * over the five seasons around it (those the series has: at least
		 * three, of which the step's plateau is one), the level of S there,
		 * which a trend whose slope drifts moves with it; in units of its
		 * noise's spread over S's, sqrt(1 / m + 1.57 / count)
		 */
		for (size_t b = 0; b * m < nd; b++)
		{
			size_t		from = b * m > 2 * (size_t) m ? b * m - 2 * m : 0,
						to = size_min(ns, b * m + 3 * (size_t) m);

			memcpy(x, S + from, sizeof(double) * (to - from));
			select_kth(x, to - from, (to - from) / 2);
			level[b] = x[(to - from) / 2];
			count[b] = to - from;
		}
		for (size_t i = 0; i < nd; i++)
		{
			double		c,
						lv = level[i / m];

			/* the window's sum, moved along by a point */
			if (i == 0)
				for (int j = 0; j < m; j++)
					in += S[j];
			else
				in += S[i + m - 1] - S[i - 1];
			c = (in / m - lv) / sqrt(1.0 / m + 1.57 / (double) count[i / m]);
			x[i] = c;
			if (fabs(c) > far)
			{
				far = fabs(c);
				best = i;
				base = lv;
				size = fabs(in / m - lv);
			}
		}
		/*
		 * the windows' own spread too (the quarter of them nearest 0, as a
		 * normal's: a step moves the windows near it, two steps most of
		 * them): S's noise may persist for months (a growth rate that runs
		 * high for a year), which its changes from point to point miss
		 */
		{
			double	   *y = level + ns;

			for (size_t i = 0; i < nd; i++)
				y[i] = fabs(x[i]);
			select_kth(y, nd, nd / 4);
			spread = fmax(spread, y[nd / 4] / 0.3186);
		}
		if (!(far > RNN_SEASON_STEP * spread) || !(size > 1e-9 * big) || !isfinite(far))
			break;
		sign = x[best] > 0 ? 1 : -1;
		/*
		 * the plateau's start c (a point of u) within m of the peak at
		 * t = m + best (c >= t - m + 1 = best + 1): S over max(c, m) ..
		 * min(c + m, n) - 1, against the seasons either side
		 */
		hi = size_min(best + 2 * (size_t) m - 1, n - 1);
		for (size_t c = best + 1; c <= hi; c++)
		{
			size_t		from = size_max(c, (size_t) m),
						to = size_min(c + m, n);
			double		plateau = 0,
						score;

			for (size_t t = from; t < to; t++)
				plateau += S[t - m] - base;
			score = plateau * plateau / (double) (to - from);
			if (plateau * sign > 0 && score > best_score)
			{
				best_score = score;
				best_mean = plateau / (double) (to - from);
				c_best = c;
			}
		}
		if (best_score < 0)
			break;
		/*
		 * a step lifts most of its plateau, one or two outliers a point or
		 * two of it: the median point of the plateau at least half its mean
		 */
		{
			size_t		from = size_max(c_best, (size_t) m),
						to = size_min(c_best + m, n),
						k = 0;

			for (size_t t = from; t < to; t++)
				x[k++] = (S[t - m] - base) * sign;
			select_kth(x, k, k / 2);
			if (!(x[k / 2] >= 0.5 * fabs(best_mean)))
				break;
		}
		at[found] = c_best;
		delta[found] = best_mean;
		for (size_t t = size_max(c_best, (size_t) m); t < size_min(c_best + m, n); t++)
			S[t - m] -= best_mean;
		found++;
	}
	rnn_release(a, count);
	rnn_release(a, S);
	return found;
}

/* on a copy scaled by a power of two where u's magnitude is extreme (rnn_series_extreme_exponent) */
bool
rnn_pipeline_seasonal_indices(const double *u, size_t n, int m, double *idx, double *shrink,
							  bool *changed, const RnnAlloc *a)
{
	int			e = rnn_series_extreme_exponent(u, n);

	if (a && e != 0 && m >= 2 && m <= RNN_MAX_SEASON_INDICES)
	{
		double	   *w = rnn_alloc(a, sizeof(double) * n);
		bool		ok;

		if (w == NULL)
			return false;
		for (size_t t = 0; t < n; t++)
			w[t] = ldexp(u[t], -e);
		ok = seasonal_indices(w, n, m, idx, shrink, changed, a);
		rnn_release(a, w);
		for (int k = 0; ok && k < m; k++)
			idx[k] = ldexp(idx[k], e);
		return ok;
	}
	return seasonal_indices(u, n, m, idx, shrink, changed, a);
}

static bool
seasonal_indices(const double *u, size_t n, int m, double *idx, double *shrink,
				 bool *changed, const RnnAlloc *a)
{
	int			half = m / 2;
	double		mean = 0,
				se2 = 0,
				var_sum = 0,
				ss = 0,
				half_life;
	int			measured = 0;
	size_t		count[RNN_MAX_SEASON_INDICES];
	double		wsum[RNN_MAX_SEASON_INDICES];
	double		w2sum[RNN_MAX_SEASON_INDICES];
	double		sq[RNN_MAX_SEASON_INDICES];
	int			steps;
	size_t		step_at[RNN_SEASON_STEPS];
	double		step_size[RNN_SEASON_STEPS];

	if (changed)
		*changed = false;
	if (m < 2 || m > RNN_MAX_SEASON_INDICES || n < (size_t) 2 * m)
		return false;
	if (n == (size_t) 2 * m)
		return two_season_indices(u, m, idx, shrink);
	/* the half-life in points */
	half_life = fmax(RNN_SEASON_HALF_LIFE * m, (double) n / RNN_SEASON_HALF_LIFE_SHARE);
	for (int k = 0; k < m; k++)
	{
		idx[k] = 0;
		sq[k] = 0;
		wsum[k] = 0;
		w2sum[k] = 0;
		count[k] = 0;
	}
	/*
	 * a step in the level: the deviations of the series without it, so that
	 * the averages that straddle it do not leave a ramp of deviations
	 */
	steps = level_steps(u, n, m, a, step_at, step_size);
	for (size_t t = (size_t) half; t + half < n; t++)
	{
		double		r = u[t] - centred_average(u, t, m),
					w;

		for (int k = 0; k < steps; k++)
			r -= step_size[k] * ((t >= step_at[k]) - centred_step(t, step_at[k], m));

		/* halved every half_life points before the newest deviation */
		w = exp2(-(double) (n - 1 - half - t) / half_life);
		idx[t % m] += w * r;
		sq[t % m] += w * r * r;
		wsum[t % m] += w;
		w2sum[t % m] += w * w;
		count[t % m]++;
	}
	for (int k = 0; k < m; k++)
	{
		double		W = wsum[k];

		if (count[k] == 0)
			return false;
		idx[k] /= W;
		/*
		 * The phase's variance with these weights (unbiased: over W - sum w^2
		 * / W; rounding can make it a hair below 0), and its weighted mean's
		 * squared standard error, the variance times sum w^2 / W^2
		 */
		if (count[k] > 1)
		{
			double		var = (sq[k] - W * idx[k] * idx[k]) / (W - w2sum[k] / W);

			var = var > 0 ? var : 0;
			se2 += var * w2sum[k] / (W * W);
			var_sum += var;
			measured++;
		}
		mean += idx[k];
	}
	/* a phase of one point (under 3 seasons) has the measured phases' mean variance */
	if (measured == 0)
		return false;
	se2 = (se2 + (double) (m - measured) * var_sum / measured) / m;
	mean /= m;
	for (int k = 0; k < m; k++)
	{
		idx[k] -= mean;
		ss += idx[k] * idx[k];
	}
	if (!isfinite(ss) || !isfinite(se2))
		return false;

	/*
	 * a season that took a new shape for its last two seasons
	 * (rnn_pipeline_season_changed): their own deviations, instead of the weighted means
	 * that still hold the old shape
	 */
	{
		double		fresh[RNN_MAX_SEASON_INDICES];
		double		var;

		if (rnn_pipeline_season_changed(u, n, m, fresh, &var))
		{
			if (changed)
				*changed = true;
			ss = 0;
			for (int k = 0; k < m; k++)
			{
				idx[k] = fresh[k];
				ss += idx[k] * idx[k];
			}
			se2 = var;
		}
	}

	shrink_indices(idx, m, ss, se2, shrink);
	return true;
}

int
rnn_pipeline_phase(const RnnModel *m, int phase_last, long offset)
{
	long		s = m->n_seasonal > 0 ? m->n_seasonal : 1;
	long		p = ((long) phase_last + offset) % s;

	return (int) (p < 0 ? p + s : p);
}

double
rnn_pipeline_in(const RnnModel *m, double v, int phase)
{
	double		a = v;

	if (m->log_transform)
	{
		if (!(v > 0))
			return NAN;
		a = log(v);
	}
	if (m->n_seasonal > 0)
		a -= m->seasonal[phase];
	return a;
}

double
rnn_pipeline_out(const RnnModel *m, double a, int phase)
{
	if (m->n_seasonal > 0)
		a += m->seasonal[phase];
	if (m->log_transform)
	{
		if (a > RNN_LOG_MAX)
			a = RNN_LOG_MAX;
		a = exp(a);
	}
	return a;
}

void
rnn_pipeline_floor(const RnnModel *m, double *out, size_t n)
{
	if (m->nonnegative)
		rnn_floor_at_zero(out, n);
}

void
rnn_floor_at_zero(double *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (out[i] < 0)
			out[i] = 0;
}

bool
rnn_pipeline_history_floors(const RnnModel *m, const double *hist, size_t T, size_t stride)
{
	if (!m->nonnegative)
		return false;
	for (size_t t = 0; t < T; t++)
		if (hist[t * stride] < 0)
			return false;
	return true;
}

int
rnn_pipeline_guess_phase(const RnnModel *m, const double *hist, int T, const RnnAlloc *a)
{
	RnnPhaseTrack track;
	int32_t    *anchor;
	int			phase;

	if (m->n_seasonal < 2 || T < 2)
		return m->phase_last;
	/* a value the pipeline cannot read: no guess (the stream would skip it) */
	for (int t = 0; t < T; t++)
		if (!isfinite(rnn_pipeline_in(m, hist[t], 0)))
			return m->phase_last;
	/* the stream's criterion over these T values, read as one partition */
	anchor = a ? rnn_phase_anchor_table(m, a) : NULL;
	rnn_phase_track_reset(&track);
	track.anchor = anchor;
	for (int t = 0; t < T; t++)
		rnn_phase_track_add(&track, m, hist[t], false);
	phase = rnn_phase_track_phase(&track, m);
	if (anchor)
		rnn_release(a, anchor);
	return phase;
}

/* value k of the model's stored window (each row's first column) */
static inline double
anchor_value(const RnnModel *m, int32_t k)
{
	return m->history[(size_t) k * (size_t) m->shape.input_size];
}

int32_t *
rnn_phase_anchor_table(const RnnModel *m, const RnnAlloc *a)
{
	int32_t		n = m->n_history;
	int32_t    *pi;
	bool		varies = false;

	if (m->n_series > 0 || m->n_seasonal < 2 || m->history == NULL || n < RNN_PHASE_ANCHOR_MIN ||
		m->shape.input_size < 1)
		return NULL;
	for (int32_t k = 0; k < n; k++)
	{
		if (!isfinite(anchor_value(m, k)))
			return NULL;
		varies = varies || anchor_value(m, k) != anchor_value(m, 0);
	}
	if (!varies)
		return NULL;
	pi = rnn_alloc(a, sizeof(int32_t) * (size_t) n);
	if (pi == NULL)
		return NULL;
	pi[0] = 0;
	for (int32_t k = 1; k < n; k++)
	{
		int32_t		j = pi[k - 1];

		while (j > 0 && anchor_value(m, k) != anchor_value(m, j))
			j = pi[j - 1];
		pi[k] = anchor_value(m, k) == anchor_value(m, j) ? j + 1 : 0;
	}
	return pi;
}

void
rnn_phase_track_reset(RnnPhaseTrack *t)
{
	t->rows = 0;
	t->prev = 0;
	t->have_prev = false;
	t->any = false;
	memset(t->rough, 0, sizeof(t->rough));
	t->anchor = NULL;
	t->matched = 0;
	t->anchor_end = 0;
}

/* the stored window's matcher: one more row (v, or none) */
static void
anchor_add(RnnPhaseTrack *t, const RnnModel *m, double v, bool missing)
{
	int32_t		j = t->matched;

	if (missing)
	{
		t->matched = 0;
		return;
	}
	while (j > 0 && v != anchor_value(m, j))
		j = t->anchor[j - 1];
	if (v == anchor_value(m, j))
		j++;
	if (j == m->n_history)
	{
		/* the latest whole occurrence places the rows (it may overlap the next) */
		t->anchor_end = t->rows + 1;
		j = t->anchor[j - 1];
	}
	t->matched = j;
}

void
rnn_phase_track_add(RnnPhaseTrack *t, const RnnModel *m, double v, bool missing)
{
	int			s = m->n_seasonal;
	double		a = v;

	if (!missing && m->log_transform)
		a = v > 0 ? log(v) : NAN;
	missing = missing || !isfinite(a);
	if (!missing && t->have_prev && s >= 2 && s <= RNN_MAX_SEASON_INDICES)
	{
		double		d = a - t->prev;
		/* with row 0 at phase q, this row (t->rows) is at (q + rows) % s */
		int			p = (int) (t->rows % s);

		for (int q = 0; q < s; q++)
		{
			int			cur = p,
						before = p == 0 ? s - 1 : p - 1;
			double		e = d - (m->seasonal[cur] - m->seasonal[before]);

			t->rough[q] += fabs(e);
			p = p + 1 == s ? 0 : p + 1;
		}
		t->any = true;
	}
	if (t->anchor)
		anchor_add(t, m, v, missing);
	t->prev = a;
	t->have_prev = !missing;
	t->rows++;
}

int
rnn_phase_track_phase(const RnnPhaseTrack *t, const RnnModel *m)
{
	int			s = m->n_seasonal;
	int			last;
	int			best;

	if (s < 2 || s > RNN_MAX_SEASON_INDICES || t->rows < 1)
		return m->phase_last;
	/* the stored window ended at row anchor_end - 1 at phase_last */
	if (t->anchor_end > 0)
		return rnn_pipeline_phase(m, m->phase_last, (long) (t->rows - t->anchor_end));
	if (!t->any)
		return m->phase_last;
	last = (int) ((t->rows - 1) % s);
	/* the rotation that puts the last row at phase_last */
	best = rnn_pipeline_phase(m, m->phase_last, -(long) last);
	if (!isfinite(t->rough[best]))
		return m->phase_last;
	/* the last row's phases in order, as rnn_pipeline_guess_phase, for the same ties */
	for (int ph = 0; ph < s; ph++)
	{
		int			q = rnn_pipeline_phase(m, ph, -(long) last);

		if (t->rough[q] < t->rough[best] * (1.0 - 1e-9))
			best = q;
	}
	return rnn_pipeline_phase(m, best, last);
}

size_t
rnn_pipeline_launch_zeros(const double *v, size_t n, size_t min_rest)
{
	size_t		z = 0;

	while (z < n && v[z] == 0)
		z++;
	if (z < RNN_PIPELINE_LAUNCH_ZEROS || n - z < min_rest || n - z == 0)
		return 0;
	for (size_t i = z; i < n; i++)
		if (!(v[i] > 0))
			return 0;
	return z;
}

static int	double_cmp(const void *a, const void *b);

/*
 * x[0..n-1] reordered so that x[k] is the value sorting would put there,
 * those before it no greater and those after no smaller (k < n): three-way
 * partitions around a median of three (equal values, as in counts' changes,
 * take one step), in linear time on average; after 2 log2(n) partitions
 * (an adversarial order) the part left is sorted instead, so that the
 * worst case stays n log n.  A value no comparison orders (NaN) counts as
 * equal to the pivot: the loop ends whatever the values.
 */
static void
select_kth(double *x, size_t n, size_t k)
{
	size_t		lo = 0,
				hi = n;			/* the part [lo, hi) holds position k */
	int			budget = 2;

	for (size_t m = n; m > 1; m >>= 1)
		budget += 2;
	while (hi - lo > 1)
	{
		double		a = x[lo],
					b = x[lo + (hi - lo) / 2],
					c = x[hi - 1],
					p;
		size_t		lt = lo,
					i = lo,
					gt = hi;

		if (budget-- == 0)
		{
			qsort(x + lo, hi - lo, sizeof(double), double_cmp);
			return;
		}
		p = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		/* [lo, lt) < p, [lt, i) = p, [gt, hi) > p */
		while (i < gt)
		{
			double		t = x[i];

			if (t < p)
			{
				x[i++] = x[lt];
				x[lt++] = t;
			}
			else if (t > p)
			{
				x[i] = x[--gt];
				x[gt] = t;
			}
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return;				/* k among the values equal to the pivot */
	}
}

double
rnn_pipeline_median(double *x, size_t n)
{
	double		below;

	select_kth(x, n, n / 2);
	if (n % 2)
		return x[n / 2];
	/* the largest of the lower half, all no greater than x[n / 2] */
	below = x[0];
	for (size_t i = 1; i < n / 2; i++)
		if (x[i] > below)
			below = x[i];
	return 0.5 * (below + x[n / 2]);
}

/*
 * the points at[0..c-1] of v set to their neighbours' mean on the adjusted
 * scale adj (idx: m indices, or none), and back on v's scale
 */
static void
refill(double *v, size_t n, double *adj, const double *idx, int m, bool logged,
	   const size_t *at, size_t c)
{
	for (size_t j = 0; j < c; j++)
	{
		size_t		t = at[j];
		double		x;

		if (t == 0 || t + 1 >= n)
			continue;
		x = 0.5 * adj[t - 1] + 0.5 * adj[t + 1] + (m ? idx[t % (size_t) m] : 0);
		x = logged ? exp(x) : x;
		/* (a value beyond a double, near 1e308, stays as it was) */
		if (!isfinite(x))
			continue;
		adj[t] = 0.5 * adj[t - 1] + 0.5 * adj[t + 1];
		v[t] = x;
	}
}

/*
 * base[0..n-1]: v on the pipeline's scale (its log when logged), at the
 * points at[0..c-1] (all n when at is NULL), as the points refill set
 */
static void
spike_base(const double *v, size_t n, bool logged, const size_t *at, size_t c, double *base)
{
	for (size_t j = 0; j < (at ? c : n); j++)
	{
		size_t		i = at ? at[j] : j;

		base[i] = logged ? log(v[i]) : v[i];
	}
}

/*
 * adj[0..n-1]: base (v on the pipeline's scale, spike_base) less the m
 * seasonal indices estimated on it into idx (none when m is 0); false when
 * the indices cannot be estimated
 */
static bool
spike_scale(const double *base, size_t n, int m, double *idx, double *adj, const RnnAlloc *a)
{
	memcpy(adj, base, sizeof(double) * n);
	if (m && !rnn_pipeline_seasonal_indices(adj, n, m, idx, NULL, NULL, a))
		return false;
	for (size_t i = 0; m && i < n; i++)
		adj[i] -= idx[i % (size_t) m];
	return true;
}

size_t
rnn_pipeline_clean_spikes(double *v, size_t n, int season, int log_mode, double k,
						  const RnnAlloc *a)
{
	bool		positive = true;
	bool		logged;
	double	   *adj,
			   *d,
			   *base,
			   *idx = NULL;
	size_t		replaced = 0;
	size_t		fixed[RNN_SPIKE_ROUNDS];
	int			m = season >= 2 && season <= RNN_MAX_SEASON_INDICES ? season : 0;

	if (!(k > 0) || n < 5)
		return 0;
	if (season >= 2 && (m == 0 || n < 2 * (size_t) m + 1))
		return 0;
	for (size_t i = 0; i < n; i++)
	{
		if (!isfinite(v[i]))
			return 0;			/* (a value nothing can be measured against) */
		positive = positive && v[i] > 0;
	}
	logged = positive && log_mode != 0;
	adj = rnn_alloc(a, sizeof(double) * n);
	d = rnn_alloc(a, sizeof(double) * n);
	base = rnn_alloc(a, sizeof(double) * n);
	if (m)
		idx = rnn_alloc(a, sizeof(double) * m);
	/* the logs once, and again only where a spike was replaced */
	if (base)
		spike_base(v, n, logged, NULL, 0, base);
	/*
	 * one spike a round, the largest, and the indices and the spread again
	 * without it: a spike moves its position's index, which would make the
	 * same position of the other seasons look like dips
	 */
	for (int round = 0; adj && d && base && (idx || !m) && round < RNN_SPIKE_ROUNDS; round++)
	{
		double		sigma,
					med,
					best = 0;
		size_t		at = 0;

		if (!spike_scale(base, n, m, idx, adj, a))
			break;
		for (size_t i = 1; i < n; i++)
			d[i - 1] = adj[i] - adj[i - 1];
		med = rnn_pipeline_median(d, n - 1);
		for (size_t i = 1; i < n; i++)
			d[i - 1] = fabs(adj[i] - adj[i - 1] - med);
		sigma = 1.4826 * rnn_pipeline_median(d, n - 1);
		if (!(sigma > 0) || !isfinite(sigma))
			break;
		for (size_t t = 1; t + 1 < n; t++)
		{
			double		l = adj[t] - adj[t - 1],
						r = adj[t] - adj[t + 1];

			if (l * r > 0 && fmin(fabs(l), fabs(r)) > k * sigma && fmin(fabs(l), fabs(r)) > best)
			{
				best = fmin(fabs(l), fabs(r));
				at = t;
			}
		}
		if (at == 0)
			break;
		fixed[replaced++] = at;
		refill(v, n, adj, idx, m, logged, fixed, replaced);
		spike_base(v, n, logged, fixed, replaced, base);
	}
	/*
	 * the values put in were placed by indices that still held the spikes
	 * (each is its position's index plus its neighbours' adjusted mean):
	 * placed again by the indices without them
	 */
	for (int pass = 0; replaced > 0 && m && pass < 3 && spike_scale(base, n, m, idx, adj, a); pass++)
	{
		refill(v, n, adj, idx, m, logged, fixed, replaced);
		spike_base(v, n, logged, fixed, replaced, base);
	}
	if (adj)
		rnn_release(a, adj);
	if (base)
		rnn_release(a, base);
	if (d)
		rnn_release(a, d);
	if (idx)
		rnn_release(a, idx);
	return replaced;
}

RnnStatus
rnn_pipeline_fit(RnnModel *m, const double *v, size_t n, int season,
				 int log_mode, int deseason_mode, double *adj, const RnnAlloc *a)
{
	bool		positive = true;
	bool		constant = rnn_series_constant(v, n);

	for (size_t i = 0; i < n && positive; i++)
		positive = v[i] > 0;
	if (log_mode == 1 && !positive)
		return RNN_ERR_DOMAIN;
	/* a constant series is left as it is: exp(log(42)) need not be 42 */
	m->log_transform = positive && (log_mode == 1 || (log_mode < 0 && !constant));
	for (size_t i = 0; i < n; i++)
		adj[i] = m->log_transform ? log(v[i]) : v[i];

	m->n_seasonal = 0;
	m->seasonal = NULL;
	m->phase_last = 0;
	m->season_changed = 0;
	if (deseason_mode != 0 && season >= 2 && season <= RNN_MAX_SEASON_INDICES)
	{
		double	   *idx = rnn_alloc(a, sizeof(double) * season);
		double		shrink = 0;
		bool		changed = false;

		if (idx == NULL)
			return RNN_ERR_ALLOC;
		if (rnn_pipeline_seasonal_indices(adj, n, season, idx, &shrink, &changed, a) &&
			(deseason_mode == 1 || shrink > 0))
		{
			/* a model keeps indices up to 1e300 (additive, near the values' own 1e300 limit) */
			for (int k = 0; k < season; k++)
				if (!(fabs(idx[k]) <= 1e300))
				{
					rnn_release(a, idx);
					return RNN_ERR_NONFINITE;
				}
			m->n_seasonal = season;
			m->seasonal = idx;
			m->season_changed = changed;
			m->phase_last = (int32_t) ((n - 1) % (size_t) season);
			for (size_t i = 0; i < n; i++)
				adj[i] -= idx[i % (size_t) season];
		}
		else
			rnn_release(a, idx);
	}
	return RNN_OK;
}

RnnStatus
rnn_pipeline_keep_indices(RnnModel *m, double *adj, size_t n, int season,
						  const double *given, int given_phase, const RnnAlloc *a)
{
	double	   *idx;

	if (season < 2 || season > RNN_MAX_SEASON_INDICES || given_phase < 0 ||
		given_phase >= season || n < 1)
		return RNN_ERR_ARGUMENT;
	idx = rnn_alloc(a, sizeof(double) * season);
	if (idx == NULL)
		return RNN_ERR_ALLOC;
	/* point i is at phase given_phase - (n - 1 - i) of the given ones; idx is by i % season */
	m->n_seasonal = season;
	for (int q = 0; q < season; q++)
		idx[q] = given[rnn_pipeline_phase(m, given_phase, q - (long) ((n - 1) % (size_t) season))];
	for (size_t i = 0; i < n; i++)
		adj[i] -= idx[i % (size_t) season];
	m->seasonal = idx;
	m->phase_last = (int32_t) ((n - 1) % (size_t) season);
	return RNN_OK;
}

double
rnn_pipeline_change_spread(const double *adj, size_t n)
{
	double		ss = 0,
				sd;
	int			e = rnn_series_extreme_exponent(adj, n);

	if (n < 3)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		double		d = ldexp(adj[i] - adj[i - 1], -e);

		ss += d * d;
	}
	sd = ldexp(sqrt(ss / (double) (n - 1)), e);
	/* 0 unless a spread: rnn_pipeline_spread_or_magnitude's test */
	return rnn_pipeline_spread_or_magnitude(sd, adj, n) == sd ? sd : 0;
}

/* the scale of adj given its change spread (one that passed the magnitude test, or 0) */
static double
scale_of_spread(double spread, const double *adj, size_t n)
{
	return spread > 0 ? spread : rnn_pipeline_spread_or_magnitude(0, adj, n);
}

double
rnn_pipeline_change_scale(const double *adj, size_t n)
{
	return scale_of_spread(rnn_pipeline_change_spread(adj, n), adj, n);
}

double
rnn_pipeline_spread_or_magnitude(double spread, const double *adj, size_t n)
{
	double		mag = 0;

	for (size_t i = 0; i < n; i++)
		if (fabs(adj[i]) > mag)
			mag = fabs(adj[i]);
	if (isfinite(spread) && spread > 1e-12 * mag)
		return spread;
	/* constant (to 12 digits of its own magnitude): its magnitude, or 1 for zeros */
	return mag > 0 && isfinite(mag) ? mag : 1;
}

void
rnn_pipeline_modes(int cfg_log, int cfg_ds, int scaling, bool warm, bool imported,
				   int init_log, int init_ds, int *log_mode, int *ds_mode)
{
	bool		plain = scaling == RNN_SCALE_WINDOW || scaling == RNN_SCALE_ZSCORE;

	*log_mode = imported && cfg_log >= 0 ? cfg_log :
		warm ? init_log : cfg_log < 0 && !plain ? 0 : cfg_log;
	*ds_mode = imported && cfg_ds >= 0 ? cfg_ds :
		warm ? init_ds : cfg_ds < 0 && !plain ? 0 : cfg_ds;
}

double *
rnn_pipeline_despiked(const double *v, size_t n, int season, int log_mode, size_t *count,
					  const RnnAlloc *a)
{
	double	   *c = rnn_alloc(a, sizeof(double) * (n ? n : 1));

	*count = 0;
	if (!c)
		return NULL;
	memcpy(c, v, sizeof(double) * n);
	*count = rnn_pipeline_clean_spikes(c, n, season, log_mode, RNN_SPIKE_K, a);
	return c;
}

double *
rnn_pipeline_histories_despiked(const RnnModel *m, const double *hist, int B, int T, int stride,
								bool *failed, void (*check) (void *), void *check_arg,
								const RnnAlloc *a)
{
	double	   *c;
	/* the points that are read: Theta's last ones, or the window where that is longer */
	int			L = T < RNN_THETA_MAX_POINTS ? T : RNN_THETA_MAX_POINTS;

	*failed = false;
	if (!m->despike || m->n_series > 0 || m->n_features > 0 || m->shape.input_size != 1 ||
		stride != 1 || B < 1 || T < 1)
		return NULL;
	if (m->window > L)
		L = m->window < T ? m->window : T;
	c = rnn_alloc(a, sizeof(double) * (size_t) B * (size_t) T);
	if (!c)
	{
		*failed = true;
		return NULL;
	}
	memcpy(c, hist, sizeof(double) * (size_t) B * (size_t) T);
	for (int b = 0; b < B; b++)
	{
		if (check)
			check(check_arg);
		rnn_pipeline_clean_spikes(c + (size_t) b * T + (T - L), (size_t) L, m->season,
								  m->log_transform ? -1 : 0, RNN_SPIKE_K, a);
	}
	return c;
}

bool
rnn_pipeline_despike(int cfg_despike, int scaling, bool warm, bool imported, int init_despike,
					 int n_features)
{
	if (cfg_despike >= 0)
		return cfg_despike != 0;
	if (imported)
		return false;
	if (warm)
		return init_despike != 0;
	return n_features == 0 && (scaling == RNN_SCALE_WINDOW || scaling == RNN_SCALE_ZSCORE);
}

RnnStatus
rnn_pipeline_scale_series(RnnModel *m, const double *adj, size_t n, int lag, bool keep,
						  rnn_real *scaled)
{
	if (n < 1 || lag < 0)
		return RNN_ERR_ARGUMENT;
	if (!keep)
	{
		m->scale_mean = 0;
		m->scale_std = 1;
		if (m->scaling != RNN_SCALE_NONE && m->scaling != RNN_SCALE_LEVEL)
		{
			double		s = 0;

			for (size_t i = 0; i < n; i++)
				s += adj[i];
			m->scale_mean = s / n;
			if (m->scaling == RNN_SCALE_WINDOW && n > 2)
				m->scale_std = rnn_pipeline_change_scale(adj, n);
			else
			{
				double		ss = 0;
				int			e = rnn_series_extreme_exponent(adj, n);

				for (size_t i = 0; i < n; i++)
				{
					double		d = ldexp(adj[i] - m->scale_mean, -e);

					ss += d * d;
				}
				m->scale_std = n > 1 ? ldexp(sqrt(ss / (n - 1)), e) : 0;
			}
			m->scale_std = rnn_pipeline_spread_or_magnitude(m->scale_std, adj, n);
		}
	}
	if (!(m->scale_std <= 1e300) || !(fabs(m->scale_mean) <= 1e300) || !(m->scale_std >= 1e-300))
		return RNN_ERR_LIMIT;
	for (size_t i = 0; i < n; i++)
	{
		double		z = (adj[i] - m->scale_mean) / m->scale_std;

		if (!isfinite(z) || fabs(z) > 1e30)
			return RNN_ERR_NONFINITE;
		scaled[i] = (rnn_real) z;
	}
	/* seasonal (or first) differences: the network sees and predicts z[t] - z[t - lag] */
	for (size_t i = n - 1; lag > 0 && i >= (size_t) lag; i--)
		scaled[i] -= scaled[i - lag];
	return RNN_OK;
}

RnnStatus
rnn_pipeline_series_state(RnnSeriesState *st, const double *v, size_t n,
						  int season, int window, int log_mode, int deseason_mode,
						  const double *given, int given_phase, rnn_real *scaled,
						  const RnnAlloc *a)
{
	RnnModel	tmp;
	double	   *adj = rnn_alloc(a, sizeof(double) * (n ? n : 1));
	size_t		keep = n < (size_t) window ? n : (size_t) window;
	RnnStatus	rs;

	if (!adj)
		return RNN_ERR_ALLOC;
	memset(&tmp, 0, sizeof(tmp));
	rs = rnn_pipeline_fit(&tmp, v, n, season, log_mode, deseason_mode, adj, a);
	if (rs == RNN_OK && tmp.n_seasonal == 0 && deseason_mode == 1 && given != NULL)
		rs = rnn_pipeline_keep_indices(&tmp, adj, n, season, given, given_phase, a);
	if (rs != RNN_OK)
	{
		rnn_release(a, adj);
		return rs;
	}
	st->log_transform = tmp.log_transform;
	st->n_seasonal = tmp.n_seasonal;
	st->seasonal = tmp.seasonal;
	st->season_changed = tmp.season_changed;
	st->phase_last = tmp.phase_last;
	st->scale_mean = 0;
	for (size_t i = 0; i < n; i++)
		st->scale_mean += adj[i];
	st->scale_mean = n ? st->scale_mean / (double) n : 0;
	st->spread = rnn_pipeline_change_spread(adj, n);
	st->scale_std = scale_of_spread(st->spread, adj, n);
	rnn_theta_fit(&st->theta, adj, n);
	/* a stored model bounds its statistics (as one series' scale): refused before training */
	if (!(fabs(st->scale_mean) <= 1e300) || !(st->scale_std <= 1e300) || !(st->scale_std >= 1e-300) ||
		(st->spread != 0 && !(st->spread >= 1e-300)))
		rs = RNN_ERR_LIMIT;
	for (size_t i = 0; scaled != NULL && i < n && rs == RNN_OK; i++)
	{
		double		z = (adj[i] - st->scale_mean) / st->scale_std;

		if (!isfinite(z) || fabs(z) > 1e30)
			rs = RNN_ERR_NONFINITE;
		else
			scaled[i] = (rnn_real) z;
	}
	rnn_release(a, adj);
	if (rs != RNN_OK)
		return rs;
	st->naive_scale = rnn_series_naive_mae(v, n, season);
	if (!isfinite(st->naive_scale))
		return RNN_ERR_LIMIT;
	st->n_history = (int32_t) keep;
	st->history = rnn_alloc(a, sizeof(double) * (keep ? keep : 1));
	if (!st->history)
		return RNN_ERR_ALLOC;
	memcpy(st->history, v + n - keep, sizeof(double) * keep);
	return RNN_OK;
}

static RnnStatus relative_spread(const RnnSeriesState *st, int ns, const RnnAlloc *a, double *rel);
static double spreadless_scale(double rel, double mean, double max_dev);
static RnnStatus spreadless_or_zero_scale(const RnnSeriesState *all, int ns, double rel, double mean,
										  double max_dev, const RnnAlloc *a, double *s);

/*
 * rnn_pipeline_unseen_view of v[0..n-1] once its leading zeros (whether z
 * were left out) and spikes (how many) are dealt with
 */
static RnnStatus
unseen_view_of(RnnModel *view, RnnSeriesState *st, const RnnModel *m, const double *v, size_t n,
			   const double *given, const double *rows, int log_mode, int ds_mode, bool zeros,
			   size_t spikes, const RnnAlloc *a)
{
	RnnModel	one = *m;
	RnnStatus	rs;

	memset(st, 0, sizeof(*st));
	st->leading_zeros_dropped = zeros;
	st->spikes_replaced = (int32_t) spikes;
	rs = rnn_pipeline_series_state(st, v, n, m->season, m->window, log_mode, ds_mode, NULL, 0, NULL, a);
	if (rs == RNN_ERR_LIMIT)
		return RNN_ERR_NONFINITE;	/* a history beyond the scales a model keeps: too large for it */
	if (rs != RNN_OK)
		return rs;
	if (st->log_transform)
	{
		/*
		 * a log history is read on the scale the model's log series share,
		 * as they were in training; it keeps its own spread for its
		 * intervals only where they do (format 11)
		 */
		bool		own;
		double		c = rnn_model_shared_log_scale(m, &own);

		if (c > 0)
		{
			st->scale_std = c;
			if (!own)
				st->spread = 0;
		}
	}
	else if (st->spread == 0 && m->n_series > 0)
	{
		/*
		 * without a spread of its own (constant, or fewer than three
		 * points: no seasonal indices), scaled as a kept series of the
		 * kind is (rnn_pipeline_scale_spreadless), not by its magnitude
		 */
		double		rel,
					dev = 0,
					s;

		rs = relative_spread(m->series, m->n_series, a, &rel);
		if (rs != RNN_OK)
			return rs;
		for (size_t i = 0; i < n; i++)
			dev = fmax(dev, fabs(v[i] - st->scale_mean));
		rs = spreadless_or_zero_scale(m->series, m->n_series, rel, st->scale_mean, dev, a, &s);
		if (rs != RNN_OK)
			return rs;
		if (s > 0)
			st->scale_std = s;
	}
	st->rows = (int64_t) n;
	st->theta_weight = m->theta_weight;	/* an unseen series: the model's weight */
	if (rows)
	{
		rnn_release(a, st->history);
		st->history = (double *) rows + (n - (size_t) st->n_history) * (size_t) m->shape.input_size;
	}
	one.n_series = 1;
	one.series = st;
	rnn_model_series_view(view, &one, 0);
	/* (the history as given: a spike below 0 replaced still says it goes below 0) */
	view->nonnegative = rnn_pipeline_history_floors(m, given, n, 1);
	return RNN_OK;
}

RnnStatus
rnn_pipeline_unseen_view(RnnModel *view, RnnSeriesState *st, const RnnModel *m,
						 const double *v, size_t n, const double *rows, const RnnAlloc *a)
{
	RnnStatus	rs;
	size_t		z,
				spikes = 0;
	double	   *clean = NULL;
	const double *given;		/* the history less the zeros, before spikes were replaced */

	/* (a model of one series: its own pipeline) */
	int			log_mode = m->n_series == 0 && m->log_transform ? -1 : 0,
				ds_mode = m->n_series == 0 && m->n_seasonal > 0 ? -1 : 0;

	/*
	 * log and seasonal indices as in training: automatic when some kept
	 * series took them (the default), else none (log => false or
	 * deseasonalize => false, whose series all went without)
	 */
	for (int32_t k = 0; k < m->n_series; k++)
	{
		if (m->series[k].log_transform)
			log_mode = -1;
		if (m->series[k].n_seasonal > 0)
			ds_mode = -1;
	}
	/* the zeros before a launch, left out as training leaves a series' out */
	z = log_mode != 0 ? rnn_pipeline_launch_zeros(v, n, RNN_PIPELINE_LAUNCH_REST) : 0;
	v += z;
	n -= z;
	if (rows)
		rows += z * (size_t) m->shape.input_size;
	given = v;
	/* and its spikes replaced, as the model's series' were */
	if (m->despike && n > 0)
	{
		clean = rnn_pipeline_despiked(v, n, m->season, log_mode, &spikes, a);
		if (!clean)
			return RNN_ERR_ALLOC;
		v = clean;
	}
	rs = unseen_view_of(view, st, m, v, n, given, rows, log_mode, ds_mode, z > 0, spikes, a);
	if (clean)
		rnn_release(a, clean);
	return rs;
}

static int
double_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* A series' z-scores (u - mean) / std become (u - mean) / scale, its std scale. */
static void
rescale_series(RnnSeriesState *st, rnn_real *z, size_t n, double scale)
{
	double		f = st->scale_std / scale;

	for (size_t i = 0; i < n; i++)
		z[i] = (rnn_real) (z[i] * f);
	st->scale_std = scale;
}

RnnStatus
rnn_pipeline_share_log_scale(RnnSeriesState *st, int ns, rnn_real *scaled,
							 const size_t *seg_start, const size_t *seg_len,
							 const RnnAlloc *a)
{
	int			n = 0;
	double	   *sd;
	double		common;

	for (int k = 0; k < ns; k++)
		n += st[k].log_transform != 0;
	if (n == 0)
		return RNN_OK;
	sd = rnn_alloc(a, sizeof(double) * (size_t) n);
	if (sd == NULL)
		return RNN_ERR_ALLOC;
	n = 0;
	for (int k = 0; k < ns; k++)
		if (st[k].log_transform)
			sd[n++] = st[k].scale_std;
	qsort(sd, (size_t) n, sizeof(double), double_cmp);
	common = sd[n / 2];
	rnn_release(a, sd);
	for (int k = 0; k < ns; k++)
		if (st[k].log_transform)
			rescale_series(&st[k], scaled + seg_start[k], seg_len[k], common);
	return RNN_OK;
}

/*
 * The median over the series st[0..ns-1] of value(series), over those for
 * which it is positive; 0 when none has one.
 */
static RnnStatus
series_median(const RnnSeriesState *st, int ns, double (*value) (const RnnSeriesState *),
			  const RnnAlloc *a, double *med)
{
	int			n = 0;
	double	   *r;

	*med = 0;
	r = rnn_alloc(a, sizeof(double) * (size_t) (ns > 0 ? ns : 1));
	if (r == NULL)
		return RNN_ERR_ALLOC;
	for (int k = 0; k < ns; k++)
	{
		double		u = value(&st[k]);

		if (u > 0)
			r[n++] = u;
	}
	if (n > 0)
	{
		qsort(r, (size_t) n, sizeof(double), double_cmp);
		*med = r[n / 2];
	}
	rnn_release(a, r);
	return RNN_OK;
}

/* a non-log series' spread over its level (0: none, for series_median) */
static double
spread_over_level(const RnnSeriesState *st)
{
	return !st->log_transform && st->spread > 0 && fabs(st->scale_mean) > 0 ?
		st->spread / fabs(st->scale_mean) : 0;
}

/*
 * A global model's relative spread, from its series' states: the log
 * series' shared scale (a spread of log values), else the median spread
 * over level of the non-log series that have a spread; 0 when neither.
 */
static RnnStatus
relative_spread(const RnnSeriesState *st, int ns, const RnnAlloc *a, double *rel)
{
	RnnStatus	rs;

	*rel = 0;
	for (int k = 0; k < ns; k++)
		if (st[k].log_transform)
		{
			*rel = st[k].scale_std;
			return RNN_OK;
		}
	rs = series_median(st, ns, spread_over_level, a, rel);
	if (!(*rel > 0) || !isfinite(*rel))
		*rel = 0;
	return rs;
}

/*
 * The scale of a non-log series without a spread of its own (level mean,
 * largest distance max_dev of its adjusted values from it): its level
 * times the model's relative spread, or that distance when larger (two
 * points far apart keep inputs within +-1); 0: keep the scale it has.
 */
static double
spreadless_scale(double rel, double mean, double max_dev)
{
	double		s = rel * fabs(mean);

	if (!(rel > 0) || !(s > 0) || !isfinite(s))
		return 0;
	return max_dev > s && isfinite(max_dev) ? max_dev : s;
}

/*
 * A series' scale in the values' units (a log series': its scale times its
 * geometric level), within the bounds a stored scale keeps; 0 (none, for
 * series_median) for a series without a level.  Their median is the scale
 * of a series of zeros, which has neither spread nor level (the level
 * leaves such series out, in training and in a stored model alike: a
 * stored spread is not training's).
 */
static double
unit_scale(const RnnSeriesState *st)
{
	double		u = st->log_transform ? exp(st->scale_mean) * st->scale_std :
		st->scale_mean != 0 ? st->scale_std : 0;

	return u >= 1e-300 && u <= 1e300 ? u : 0;
}

/* spreadless_scale, and for a series of zeros (mean and max_dev 0) the model's median unit scale */
static RnnStatus
spreadless_or_zero_scale(const RnnSeriesState *all, int ns, double rel, double mean, double max_dev,
						 const RnnAlloc *a, double *s)
{
	*s = spreadless_scale(rel, mean, max_dev);
	if (*s == 0 && mean == 0 && max_dev == 0)
		return series_median(all, ns, unit_scale, a, s);
	return RNN_OK;
}

RnnStatus
rnn_pipeline_scale_spreadless(RnnSeriesState *st, int ns, rnn_real *scaled,
							  const size_t *seg_start, const size_t *seg_len,
							  const RnnAlloc *a)
{
	double		rel;
	RnnStatus	rs = relative_spread(st, ns, a, &rel);

	if (rs != RNN_OK)
		return rs;
	for (int k = 0; k < ns; k++)
	{
		double		dev = 0,
					s;

		if (st[k].log_transform || st[k].spread > 0)
			continue;
		for (size_t i = 0; i < seg_len[k]; i++)
			dev = fmax(dev, fabs((double) scaled[seg_start[k] + i]) * st[k].scale_std);
		if ((rs = spreadless_or_zero_scale(st, ns, rel, st[k].scale_mean, dev, a, &s)) != RNN_OK)
			return rs;
		if (s > 0)
			rescale_series(&st[k], scaled + seg_start[k], seg_len[k], s);
	}
	return RNN_OK;
}

int
rnn_pipeline_default_season(int ts_kind, int step_kind, int64_t step)
{
	const int64_t hour = RNN_USECS_PER_DAY / 24;

	if (step_kind == RNN_STEP_MONTHS)
		return step == 1 ? 12 : step == 3 ? 4 : 1;
	if (ts_kind == RNN_TS_DATE)
		return step == 1 ? 7 : step == 7 ? 52 : 1;
	if (ts_kind == RNN_TS_TIMESTAMP || ts_kind == RNN_TS_TIMESTAMPTZ)
	{
		/* RNN_STEP_LOCAL_DAYS steps are whole days: the same table */
		if (step == hour)
			return 24;
		if (step == RNN_USECS_PER_DAY)
			return 7;
		if (step == 7 * RNN_USECS_PER_DAY)
			return 52;
		if (step > 0 && step < hour && RNN_USECS_PER_DAY % step == 0 &&
			RNN_USECS_PER_DAY / step <= 2000)
			return (int) (RNN_USECS_PER_DAY / step);
	}
	return 1;
}

int
rnn_pipeline_choose_season(int cfg_season, bool warm, int init_season, int init_ts_kind,
						   int ts_kind, int step_kind, int64_t step,
						   const double *v, size_t n, void (*check) (void *), void *check_arg)
{
	if (cfg_season > 0)
		return cfg_season;
	if (warm)
		return !(init_ts_kind == RNN_TS_NONE && init_season <= 1) ? init_season :
			rnn_pipeline_default_season(ts_kind, step_kind, step);
	if (ts_kind == RNN_TS_NONE || ts_kind == RNN_TS_BIGINT)
		return rnn_series_acf_season(v, n, (int) (n / 3 < 400 ? n / 3 : 400), check, check_arg);
	return rnn_pipeline_default_season(ts_kind, step_kind, step);
}

int
rnn_pipeline_auto_window(int season, size_t room, int lag)
{
	int			net = 2 * season;
	int			cap = season > RNN_PIPELINE_MAX_AUTO_WINDOW ? season : RNN_PIPELINE_MAX_AUTO_WINDOW;

	if (net > cap)
		net = cap;
	if (net < 12)
		net = 12;
	if ((size_t) net > room / 2)
		net = room / 2 < 2 ? 2 : (int) (room / 2);
	return net + lag;
}

int
rnn_pipeline_choose_window(int cfg_window, bool warm, int init_window, int season,
						   size_t room, int lag)
{
	if (cfg_window > 0)
		return cfg_window;
	if (warm && init_window > 0)
		return init_window;
	return rnn_pipeline_auto_window(season, room, lag);
}

static int
size_order(const void *a, const void *b)
{
	size_t		x = *(const size_t *) a;
	size_t		y = *(const size_t *) b;

	return x < y ? -1 : x > y;
}

size_t
rnn_pipeline_global_room(size_t *len, size_t ns, int outputs)
{
	size_t		median;

	if (ns == 0)
		return SIZE_MAX;
	qsort(len, ns, sizeof(size_t), size_order);
	median = len[ns / 2];
	if (median > (size_t) outputs)
		return median - (size_t) outputs;
	return len[ns - 1] > (size_t) outputs ? len[ns - 1] - (size_t) outputs : SIZE_MAX;
}

RnnStatus
rnn_pipeline_scale_features(RnnModel *m, const double *F, size_t n, bool keep,
							rnn_real *Fs, int *bad)
{
	int			K = m->n_features;
	int			n_user = K - rnn_calendar_count(m->calendar);

	for (int j = 0; j < K; j++)
	{
		if (!keep)
		{
			m->feature_mean[j] = 0;
			m->feature_std[j] = 1;
		}
		if (!keep && j < n_user && m->scaling != RNN_SCALE_NONE && n > 0)
		{
			double		s = 0,
						ss = 0,
						mag = 0;

			for (size_t i = 0; i < n; i++)
				s += F[i * K + j];
			m->feature_mean[j] = s / n;
			for (size_t i = 0; i < n; i++)
			{
				double		d = F[i * K + j] - m->feature_mean[j];

				ss += d * d;
				if (fabs(F[i * K + j]) > mag)
					mag = fabs(F[i * K + j]);
			}
			if (!isfinite(s) || !isfinite(ss))
			{
				/*
				 * beyond 1e154 the sums overflow: the same on the values over
				 * their magnitude (ordinary features keep the plain sums' bits)
				 */
				s = ss = 0;
				for (size_t i = 0; i < n; i++)
					s += F[i * K + j] / mag;
				m->feature_mean[j] = s / n * mag;
				for (size_t i = 0; i < n; i++)
				{
					double		d = (F[i * K + j] - m->feature_mean[j]) / mag;

					ss += d * d;
				}
				m->feature_std[j] = n > 1 ? sqrt(ss / (n - 1)) * mag : 0;
			}
			else
				m->feature_std[j] = n > 1 ? sqrt(ss / (n - 1)) : 0;
			/* a constant feature (to 12 digits) is divided by its magnitude, or 1 */
			if (!(m->feature_std[j] > 1e-12 * mag))
				m->feature_std[j] = mag > 0 ? mag : 1;
		}
		if (!(fabs(m->feature_mean[j]) <= 1e300) || !(m->feature_std[j] <= 1e300) ||
			!(m->feature_std[j] >= 1e-300))
		{
			*bad = j;
			return RNN_ERR_NONFINITE;
		}
		for (size_t i = 0; i < n; i++)
		{
			double		z = (F[i * K + j] - m->feature_mean[j]) / m->feature_std[j];

			if (!(fabs(z) <= 1e30))
			{
				*bad = j;
				return RNN_ERR_NONFINITE;
			}
			Fs[i * K + j] = (rnn_real) z;
		}
	}
	return RNN_OK;
}
