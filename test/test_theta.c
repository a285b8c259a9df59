/*
 * test_theta.c
 *	  Core tests of the Theta combination: the fit against values worked
 *	  out by hand, the unfitted state, the combination on the series' scale
 *	  (log and seasonal indices undone), and format 6 (weight and states
 *	  read back; every truncation and single-bit flip refused; models
 *	  without a weight stay format 4).
 */
#include "test_util.h"

#include "rnn_model.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_theta.h"

static int
close_to(double a, double b, double tol)
{
	return fabs(a - b) <= tol * (1 + fabs(b));
}

static void
test_fit(void)
{
	/* a straight line: alpha 1 (no one-step error can beat following it), level the last */
	double		line[20];
	double		bad[3] = {1, NAN, 2};
	double		noisy[40];
	RnnTheta	th;

	for (int t = 0; t < 20; t++)
		line[t] = 3 + 0.5 * t;
	rnn_theta_fit(&th, line, 20);
	report(th.n == 20 && th.alpha == 1 && close_to(th.level, 12.5, 1e-12) &&
		   close_to(th.drift, 0.25, 1e-12),
		   "theta: a line gives alpha 1, its last value and half its slope (%g, %g, %g)",
		   th.alpha, th.level, th.drift);
	/* h steps ahead: level + b/2 ((h - 1) + 1): half the line's pace */
	report(close_to(rnn_theta_forecast(&th, 1), 12.75, 1e-12) &&
		   close_to(rnn_theta_forecast(&th, 4), 13.5, 1e-12),
		   "theta: forecasts of a line grow at half its slope");

	/*
	 * a level with alternating noise: a small alpha (large enough to leave
	 * the start at 6 behind), level near the mean, no drift
	 */
	for (int t = 0; t < 40; t++)
		noisy[t] = 7 + (t % 2 ? 1 : -1);
	rnn_theta_fit(&th, noisy, 40);
	report(th.n == 40 && th.alpha <= 0.2 && fabs(th.level - 7) < 0.1 && fabs(th.drift) < 0.01,
		   "theta: alternating noise gives a small alpha (%g), level %g near the mean", th.alpha,
		   th.level);

	rnn_theta_fit(&th, bad, 3);
	report(th.n == 0 && th.level == 0 && th.drift == 0 && th.alpha == 0 && rnn_theta_valid(&th),
		   "theta: a non-finite value leaves the unfitted (all zero) state");
	/*
	 * changes whose squares overflow (1e160; before 2026-12-07 no alpha had a
	 * finite error and the fit was left unfitted), or underflow: fitted on
	 * values scaled by a power of two, as the same series near 1 (exactly, by
	 * a power of two)
	 */
	{
		RnnTheta	one,
					big,
					tiny;
		double		x[40];

		for (int t = 0; t < 40; t++)
			x[t] = 3 * t + (t % 2 ? 1 : -1) * (1 + t % 3);
		rnn_theta_fit(&one, x, 40);
		for (int t = 0; t < 40; t++)
			x[t] = ldexp(3 * t + (t % 2 ? 1 : -1) * (1 + t % 3), 600);
		rnn_theta_fit(&big, x, 40);
		for (int t = 0; t < 40; t++)
			x[t] = ldexp(3 * t + (t % 2 ? 1 : -1) * (1 + t % 3), -600);
		rnn_theta_fit(&tiny, x, 40);
		for (int t = 0; t < 40; t++)
			noisy[t] = (t % 2 ? 1e160 : -1e160);
		rnn_theta_fit(&th, noisy, 40);
		report(one.n == 40 && big.n == 40 && tiny.n == 40 && big.alpha == one.alpha &&
			   tiny.alpha == one.alpha && big.level == ldexp(one.level, 600) &&
			   big.drift == ldexp(one.drift, 600) && tiny.level == ldexp(one.level, -600) &&
			   tiny.drift == ldexp(one.drift, -600) && th.n == 40 && th.alpha > 0 &&
			   fabs(th.level) < 1e160 && rnn_theta_valid(&th),
			   "theta: values scaled by 2^600 or 2^-600 (squares that overflow or underflow) fit as the same series near 1, times the scale; +-1e160 fits (alpha %g)",
			   th.alpha);
	}
	rnn_theta_fit(&th, line, 1);
	report(th.n == 1 && th.level == 3 && th.drift == 0 && rnn_theta_valid(&th),
		   "theta: one point is its own level");
	th.alpha = 0;
	report(!rnn_theta_valid(&th), "theta: alpha 0 with points is invalid");
}

/* the squared one-step errors of smoothing u at alpha from level l0 before u[0]; *end: L_n */
static double
ses_sse(const double *u, int n, double alpha, double l0, double *end)
{
	double		level = l0,
				sse = 0;

	for (int t = 0; t < n; t++)
	{
		sse += (u[t] - level) * (u[t] - level);
		level += alpha * (u[t] - level);
	}
	*end = level;
	return sse;
}

/*
 * The smoothing's initial level is the one of the least squared one-step
 * errors, found here the long way: for each alpha of the grid, the vertex
 * of the parabola through the squared errors at three levels, then the
 * alpha of the least error.
 */
static void
test_initial_level(void)
{
	double		u[30],
				flat[12];
	RnnTheta	th;
	bool		ok = true;
	double		moved = 0;

	for (int c = 0; c < 4; c++)
	{
		int			n = 6 + 8 * c;
		double		best = INFINITY,
					want_alpha = 0,
					want_level = 0;

		for (int t = 0; t < n; t++)
			u[t] = 5 + 0.02 * t + 0.5 * sin(2.3 * t + c) + (t == 0 ? (c % 2 ? 2.0 : -1.5) : 0);
		for (int k = 1; k <= 100; k++)
		{
			double		alpha = k / 100.0,
						end,
						sse,
						sm = ses_sse(u, n, alpha, u[0] - 1, &end),
						s0 = ses_sse(u, n, alpha, u[0], &end),
						sp = ses_sse(u, n, alpha, u[0] + 1, &end);

			/* the errors are linear in the level: their squares a parabola's vertex */
			sse = ses_sse(u, n, alpha, u[0] - (sp - sm) / (2 * (sp - 2 * s0 + sm)), &end);
			if (sse < best * (1 - 1e-9))
			{
				best = sse;
				want_alpha = alpha;
				want_level = end;
			}
		}
		rnn_theta_fit(&th, u, (size_t) n);
		ok = ok && th.n == n && th.alpha == want_alpha && close_to(th.level, want_level, 1e-9);
		{
			/* what starting at u[0] (errors from u[1] on) would have given */
			double		from_first;

			ses_sse(u + 1, n - 1, want_alpha, u[0], &from_first);
			moved = fmax(moved, fabs(from_first - want_level));
		}
	}
	for (int t = 0; t < 12; t++)
		flat[t] = 0.1 * 3;
	rnn_theta_fit(&th, flat, 12);
	report(ok && moved > 1e-3 && th.level == flat[0] && th.drift == 0,
		   "theta: the smoothing starts from the level of the least squared one-step errors (against the vertex of the squared errors' parabola for each alpha: 4 series of 6 to 30 points, level to 1e-9, the same alpha; starting at the first value would move the level by up to %.3f); a constant series is its own level exactly",
		   moved);
}

/* a model shell with a pipeline (log, seasonal indices of season 4) and a history */
static void
make_model(RnnModel *m, double w)
{
	RnnShape	s = {RNN_CELL_GRU, 1, 4, 1, 0, 1, 0};

	memset(m, 0, sizeof(*m));
	m->shape = s;
	m->window = 8;
	m->season = 4;
	m->members = 1;
	m->strategy = RNN_STRATEGY_RECURSIVE;
	m->scaling = RNN_SCALE_WINDOW;
	m->scale_mean = 0;
	m->scale_std = 0.1;
	m->ts_kind = RNN_TS_BIGINT;
	m->step = 1;
	m->log_transform = 1;
	m->n_seasonal = 4;
	m->seasonal = calloc(4, sizeof(double));
	m->seasonal[0] = 0.1;
	m->seasonal[1] = -0.1;
	m->seasonal[2] = 0.05;
	m->seasonal[3] = -0.05;
	m->phase_last = 3;
	m->n_history = 8;
	m->history = calloc(8, sizeof(double));
	for (int t = 0; t < 8; t++)
		m->history[t] = 100 + t;
	m->rows = 8;
	m->val_loss = -1;
	m->n_params = rnn_param_count(&s);
	m->params = calloc(m->n_params, sizeof(rnn_real));
	m->loss_train = calloc(1, sizeof(float));
	m->loss_val = calloc(1, sizeof(float));
	m->cal_err = calloc(1, sizeof(float));
	m->theta_weight = w;
}

static void
test_combine(void)
{
	RnnModel	m;
	double		v[24],
				out[3] = {10, 20, 30},
				u[24];
	RnnTheta	th,
				direct;

	make_model(&m, 0.75);
	/* a series with the model's multiplicative season, ending at phase 3 */
	for (int t = 0; t < 24; t++)
		v[t] = exp(log(50 + 2 * t) + m.seasonal[(t + 3 - 23 % 4 + 4) % 4]);
	rnn_theta_fit_values(&th, &m, v, 24, 1, 3);
	for (int t = 0; t < 24; t++)
		u[t] = rnn_pipeline_in(&m, v[t], rnn_pipeline_phase(&m, 3, t - 23));
	rnn_theta_fit(&direct, u, 24);
	report(th.n == 24 && th.level == direct.level && th.alpha == direct.alpha &&
		   th.drift == direct.drift,
		   "theta: fitting the values is fitting their adjusted series (log, less the indices)");
	rnn_theta_combine(out, &m, &th, 3, 3);
	{
		double		f1 = exp(rnn_theta_forecast(&th, 1) + m.seasonal[0]);
		double		f3 = exp(rnn_theta_forecast(&th, 3) + m.seasonal[2]);

		report(close_to(out[0], 0.25 * 10 + 0.75 * f1, 1e-12) &&
			   close_to(out[2], 0.25 * 30 + 0.75 * f3, 1e-12),
			   "theta: combined on the series' scale, each step with its own seasonal index");
	}
	m.theta_weight = 0;
	out[0] = 10;
	rnn_theta_combine(out, &m, &th, 1, 3);
	report(out[0] == 10, "theta: weight 0 leaves the network's forecast");
	m.theta_weight = 0.75;
	th.n = 0;
	rnn_theta_combine(out, &m, &th, 1, 3);
	report(out[0] == 10, "theta: an unfitted state leaves the network's forecast");
	rnn_model_free(&m, &test_allocator);
}

/* m encoded into a new *buf of *len bytes, and decoded from it into d */
/*
 * A flag byte of series "b"'s record in buf (a global model's encoding):
 * the k-th byte after its phase (log, month_end, nonnegative, leading
 * zeros and spikes) is `is`, and set to `bad` the value is refused.  buf is
 * changed (resealed).
 */
static void
series_b_flag_byte(uint8_t *buf, size_t len, int k, uint8_t is, uint8_t bad, const char *what)
{
	size_t		at = 0;
	RnnModel	d;
	const char *why = NULL;
	RnnStatus	st;

	/* u16 name length 1 (little-endian), the name "b" */
	for (size_t i = 2; i + 1 < len && at == 0; i++)
		if (buf[i] == 'b' && buf[i - 2] == 1 && buf[i - 1] == 0)
			at = i;
	if (at == 0)
	{
		report(0, "%s: series b's record is found", what);
		return;
	}
	/* name "b", then last_ts 8, rows 8, three f64, phase 4: the flag bytes */
	at += 1 + 8 + 8 + 24 + 4 + (size_t) k;
	report(at < len && buf[at] == is, "%s: series b's byte is %d", what, is);
	buf[at] = bad;
	reseal_model(buf, len);
	st = rnn_model_decode(&d, buf, len, &test_allocator, &why);
	report(st == RNN_ERR_CORRUPT, "%s: a series byte of %d is refused (%s)", what, bad,
		   why ? why : "");
	rnn_model_free(&d, &test_allocator);
}

static RnnStatus
encode_and_decode(const RnnModel *m, uint8_t **buf, size_t *len, RnnModel *d, const char **why)
{
	*len = rnn_model_encoded_size(m);
	*buf = malloc(*len);
	rnn_model_encode(m, *buf);
	*why = NULL;
	return rnn_model_decode(d, *buf, *len, &test_allocator, why);
}

/*
 * The Theta fit one alpha at a time, as it was before the fit took twenty
 * alphas a pass (2026-12-06): the reference the blocked fit must equal bit
 * for bit.
 */
static double
ref_ses(const double *u, size_t n, double alpha, double *level)
{
	double		g = 1,
				c = 0,
				sgg = 0,
				sgr = 0,
				l0,
				sse = 0;

	for (size_t t = 0; t < n; t++)
	{
		sgg += g * g;
		sgr += g * (u[t] - u[0] - c);
		c += alpha * (u[t] - u[0] - c);
		g *= 1 - alpha;
	}
	l0 = sgr / sgg;
	g = 1;
	c = 0;
	for (size_t t = 0; t < n; t++)
	{
		double		e = u[t] - u[0] - (g * l0 + c);

		sse += e * e;
		c += alpha * (u[t] - u[0] - c);
		g *= 1 - alpha;
	}
	*level = u[0] + (g * l0 + c);
	return sse;
}

static void
test_blocked_fit(void)
{
	uint64_t	x = 12345;
	int			same = 0,
				runs = 0;

	for (int r = 0; r < 200; r++)
	{
		size_t		n = 1 + (size_t) (r * 37 % 1000);
		double	   *u = malloc(sizeof(double) * n);
		RnnTheta	th;
		double		best = INFINITY,
					best_alpha = 0,
					best_level = 0;

		for (size_t t = 0; t < n; t++)
		{
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			u[t] = (r % 3 ? 5 + 0.01 * t : 100) + (double) (x >> 40) / (1 << 24) * (r % 5 + 0.1);
		}
		for (int k = 1; k <= 100; k++)
		{
			double		level,
						sse = ref_ses(u, n, (double) k / 100, &level);

			if (sse < best)
			{
				best = sse;
				best_alpha = (double) k / 100;
				best_level = level;
			}
		}
		rnn_theta_fit(&th, u, n);
		runs++;
		same += th.alpha == best_alpha && th.level == best_level;
		free(u);
	}
	report(same == runs, "theta: the fit of twenty alphas a pass equals one alpha at a time bit for bit (%d of %d series)",
		   same, runs);
}

static void
test_format(void)
{
	RnnModel	m,
				d;
	size_t		len;
	uint8_t    *buf,
			   *bad;
	const char *why;
	RnnStatus	st;
	RnnSeriesState *series;

	/* format 7 is a global model's: a single-series model claiming it is refused */
	make_model(&m, 0.5);
	len = rnn_model_encoded_size(&m);
	buf = malloc(len);
	rnn_model_encode(&m, buf);
	buf[4] = 7;
	reseal_model(buf, len);
	st = rnn_model_decode(&d, buf, len, &test_allocator, &why);
	report(st == RNN_ERR_CORRUPT && why && strstr(why, "format-7") != NULL,
		   "theta: a single-series model marked format 7 is refused (%s)", why ? why : "accepted");
	rnn_model_free(&d, &test_allocator);
	free(buf);
	rnn_model_free(&m, &test_allocator);

	/* a global model of two series, each with its Theta state */
	make_model(&m, 0.5);
	series = calloc(2, sizeof(RnnSeriesState));
	for (int i = 0; i < 2; i++)
	{
		RnnSeriesState *s = &series[i];

		s->name = malloc(1);
		s->name[0] = (char) ('a' + i);
		s->name_len = 1;
		s->rows = 30;
		s->scale_std = 0.2;
		s->n_history = 8;
		s->history = calloc(8, sizeof(double));
		for (int t = 0; t < 8; t++)
			s->history[t] = 1 + i + t;
		s->theta.level = 1.5 + i;
		s->theta.drift = 0.01 * (i + 1);
		s->theta.alpha = 0.3;
		s->theta.n = 30;
		s->theta_weight = 0.5;	/* the model's: format 6 */
	}
	m.log_transform = 0;
	m.n_seasonal = 0;
	m.phase_last = 0;
	m.n_history = 0;
	m.n_series = 2;
	m.series = series;
	len = rnn_model_encoded_size(&m);
	buf = malloc(len);
	rnn_model_encode(&m, buf);
	st = rnn_model_decode(&d, buf, len, &test_allocator, &why);
	report(len > 0 && buf[4] == 6 && st == RNN_OK && d.theta_weight == 0.5 && d.n_series == 2 &&
		   d.series[1].theta.level == 2.5 && d.series[1].theta.drift == 0.02 &&
		   d.series[0].theta.alpha == 0.3 && d.series[0].theta.n == 30 && d.format_version == 6 &&
		   d.series[0].theta_weight == 0.5 && d.series[1].theta_weight == 0.5,
		   "theta: a combined global model is written as format 6 and read back (%zu bytes: %s)", len,
		   why ? why : "ok");
	rnn_model_free(&d, &test_allocator);
	free(buf);

	/* a series with a weight of its own: format 7 */
	series[1].theta_weight = 0.125;
	st = encode_and_decode(&m, &buf, &len, &d, &why);
	{
		RnnModel	v0,
					v1;

		if (st == RNN_OK)
		{
			rnn_model_series_view(&v0, &d, 0);
			rnn_model_series_view(&v1, &d, 1);
		}
		report(buf[4] == 7 && st == RNN_OK && d.format_version == 7 && d.theta_weight == 0.5 &&
			   d.series[0].theta_weight == 0.5 && d.series[1].theta_weight == 0.125 &&
			   v0.theta_weight == 0.5 && v1.theta_weight == 0.125 && d.series[1].theta.level == 2.5,
			   "theta: per-series weights are written as format 7, read back and used by each series (%s)",
			   why ? why : "ok");
		if (st == RNN_OK)
		{
			d.theta_weight = 0;
			rnn_model_series_view(&v1, &d, 1);
			report(v1.theta_weight == 0, "theta: the model's weight 0 turns every series' combination off");
		}
	}
	rnn_model_free(&d, &test_allocator);
	report(every_cut_and_flip_refused(buf, len),
		   "theta: every truncation and single-bit flip of a format-7 model is rejected");
	free(buf);
	/* each series' own floor at 0 (the byte after month_end), and the model's for every series */
	series[1].nonnegative = 1;
	st = encode_and_decode(&m, &buf, &len, &d, &why);
	{
		RnnModel	v0,
					v1;

		if (st == RNN_OK)
		{
			rnn_model_series_view(&v0, &d, 0);
			rnn_model_series_view(&v1, &d, 1);
		}
		report(st == RNN_OK && d.nonnegative == 0 && d.series[0].nonnegative == 0 &&
			   d.series[1].nonnegative == 1 && v0.nonnegative == 0 && v1.nonnegative == 1,
			   "nonnegative: a global model's series keeps its own floor, and its view floors (%s)",
			   why ? why : "ok");
		rnn_model_free(&d, &test_allocator);
		free(buf);
		m.nonnegative = 1;
		series[1].nonnegative = 0;
		st = encode_and_decode(&m, &buf, &len, &d, &why);
		report(st == RNN_OK && d.series[0].nonnegative == 1 && d.series[1].nonnegative == 1,
			   "nonnegative: the model's flag floors every series, also one written without its own");
		rnn_model_free(&d, &test_allocator);
		free(buf);
		m.nonnegative = 0;
		series[1].nonnegative = 1;
		st = encode_and_decode(&m, &buf, &len, &d, &why);
		if (st == RNN_OK)
			rnn_model_free(&d, &test_allocator);
		/* the byte after log and month_end */
		series_b_flag_byte(buf, len, 2, 1, 2, "nonnegative");
		free(buf);
		series[1].nonnegative = 0;
	}
	/* each series' zeros before its launch and spikes (the byte after nonnegative, once reserved) */
	series[1].leading_zeros_dropped = 1;
	series[1].spikes_replaced = 2;
	st = encode_and_decode(&m, &buf, &len, &d, &why);
	{
		RnnModel	v1;

		if (st == RNN_OK)
			rnn_model_series_view(&v1, &d, 1);
		report(st == RNN_OK && d.leading_zeros_dropped == 0 && d.series[0].leading_zeros_dropped == 0 &&
			   d.series[1].leading_zeros_dropped == 1 && v1.leading_zeros_dropped == 1 &&
			   d.series[1].spikes_replaced == 2 && d.series[0].spikes_replaced == 0 &&
			   v1.spikes_replaced == 2,
			   "leading zeros and spikes: a global model's series keeps its own, and its view shows them (%s)",
			   why ? why : "ok");
		if (st == RNN_OK)
			rnn_model_free(&d, &test_allocator);
		/* the byte after log, month_end and nonnegative */
		series_b_flag_byte(buf, len, 3, 1 | 2 << 1, (RNN_MAX_SPIKES + 1) << 1, "leading zeros and spikes");
		free(buf);
	}
	series[1].leading_zeros_dropped = 0;
	series[1].spikes_replaced = 0;
	/* a global model keeps both per series: the model's own mark and count are refused */
	m.leading_zeros_dropped = 1;
	st = rnn_model_validate(&m, &why);
	m.leading_zeros_dropped = 0;
	m.spikes_replaced = 1;
	report(st == RNN_ERR_CORRUPT && rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT,
		   "leading zeros and spikes: a global model's own mark or count is refused (%s)", why ? why : "");
	m.spikes_replaced = 0;

	/* a series whose indices are its last two seasons' (bit 5 of that byte, 2026-12-08) */
	{
		double		idx[4] = {0.1, -0.1, 0.05, -0.05};
		RnnModel	v1;

		series[1].n_seasonal = 4;
		series[1].seasonal = idx;
		series[1].season_changed = 1;
		st = encode_and_decode(&m, &buf, &len, &d, &why);
		if (st == RNN_OK)
			rnn_model_series_view(&v1, &d, 1);
		report(st == RNN_OK && d.series[1].season_changed == 1 && d.series[0].season_changed == 0 &&
			   v1.season_changed == 1 && d.season_changed == 0,
			   "season change: a global model's series keeps its mark, and its view shows it (%s)",
			   why ? why : "ok");
		if (st == RNN_OK)
			rnn_model_free(&d, &test_allocator);
		/* bits 6 and 7 of the byte are reserved */
		series_b_flag_byte(buf, len, 3, 32, 64 | 32, "season change");
		free(buf);
		series[1].n_seasonal = 0;
		st = rnn_model_validate(&m, &why);
		report(st == RNN_ERR_CORRUPT, "season change: a series' mark without seasonal indices is refused (%s)",
			   why ? why : "");
		series[1].seasonal = NULL;
		series[1].season_changed = 0;
		m.season_changed = 1;
		st = rnn_model_validate(&m, &why);
		report(st == RNN_ERR_CORRUPT, "season change: a global model's own mark is refused (%s)",
			   why ? why : "");
		m.season_changed = 0;
	}

	series[1].theta_weight = 1.5;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "theta: a series' weight above 1 is refused");
	series[1].theta_weight = 0.5;

	m.theta_weight = 1.5;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "theta: a weight above 1 is refused");
	m.theta_weight = 0.5;

	series[1].theta.alpha = 2;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "theta: a series' alpha above 1 is refused");
	series[1].theta.alpha = 0.3;

	/* format 9: the validation's figures of a global model; no more series than it has */
	m.theta_validation.series = 2;
	m.theta_validation.network = 1.25;
	m.theta_validation.theta = 1.5;
	m.theta_validation.combined = 1.125;
	len = rnn_model_encoded_size(&m);
	buf = malloc(len);
	rnn_model_encode(&m, buf);
	st = rnn_model_decode(&d, buf, len, &test_allocator, &why);
	report(buf[4] == 9 && st == RNN_OK && d.theta_validation.series == 2 &&
		   d.theta_validation.combined == 1.125 && d.series[1].theta_weight == 0.5,
		   "theta: a global model's validation figures are written as format 9 and read back (%s)",
		   st == RNN_OK ? "ok" : why);
	rnn_model_free(&d, &test_allocator);
	free(buf);
	m.theta_validation.series = 3;
	buf = malloc(rnn_model_encoded_size(&m));
	rnn_model_encode(&m, buf);
	why = NULL;
	st = rnn_model_decode(&d, buf, len, &test_allocator, &why);
	report(st == RNN_ERR_CORRUPT && why && strstr(why, "validation") != NULL,
		   "theta: a format-9 global model validated on more series than it has is refused (%s)",
		   why ? why : "accepted");
	rnn_model_free(&d, &test_allocator);
	free(buf);
	memset(&m.theta_validation, 0, sizeof(m.theta_validation));

	/*
	 * format 11: a series whose own spread is not its (shared) scale; read
	 * back with it, the same bytes again, its factor (spread / scale)^power
	 * on its view; every truncation and bit flip refused; a spread that is
	 * not a positive finite number, or a format-11 value none of whose
	 * spreads differ from their scales (the checksum made right), refused
	 */
	series[0].spread = 0.2;		/* its scale: no factor */
	series[1].spread = 0.8;
	st = encode_and_decode(&m, &buf, &len, &d, &why);
	{
		RnnModel	v0,
					v1;
		uint8_t    *again = malloc(len);
		bool		same = false;

		if (st == RNN_OK)
		{
			rnn_model_series_view(&v0, &d, 0);
			rnn_model_series_view(&v1, &d, 1);
			if (rnn_model_encoded_size(&d) == len)
			{
				rnn_model_encode(&d, again);
				same = memcmp(again, buf, len) == 0;
			}
		}
		report(buf[4] == 11 && st == RNN_OK && d.format_version == 11 && d.series[1].spread == 0.8 &&
			   d.series[0].spread == 0.2 && v0.interval_factor == 1 &&
			   fabs(v1.interval_factor - pow(4.0, RNN_SPREAD_POWER)) < 1e-15 && same,
			   "theta: a series' own spread is written as format 11, read back as the same bytes, and scales its half-widths (%s)",
			   st == RNN_OK ? "ok" : why);
		free(again);
	}
	rnn_model_free(&d, &test_allocator);
	report(every_cut_and_flip_refused(buf, len),
		   "theta: every truncation and single-bit flip of a format-11 model is rejected");
	bad = malloc(len);
	/* series 1's spread (the last 8 bytes of its record, before the checksum) set to its scale */
	memcpy(bad, buf, len);
	memcpy(bad + len - 12, &series[1].scale_std, 8);	/* little-endian hosts, as the tests run */
	reseal_model(bad, len);
	why = NULL;
	st = rnn_model_decode(&d, bad, len, &test_allocator, &why);
	report(st == RNN_ERR_CORRUPT && why && strstr(why, "format-11") != NULL,
		   "theta: a format-11 model none of whose spreads differ from their scales is refused (%s)",
		   why ? why : "accepted");
	rnn_model_free(&d, &test_allocator);
	{
		/* 0 and -0 (never written), subnormal, a ratio to the scale (0.2) past 1e100 */
		double		badv[8] = {-0.5, NAN, INFINITY, 0.0, -0.0, 1e-310, 1e-200, 1e200};
		bool		all = true;

		for (int k = 0; k < 8; k++)
		{
			memcpy(bad + len - 12, &badv[k], 8);
			reseal_model(bad, len);
			why = NULL;
			st = rnn_model_decode(&d, bad, len, &test_allocator, &why);
			all = all && st == RNN_ERR_CORRUPT && why != NULL;
			rnn_model_free(&d, &test_allocator);
		}
		series[1].spread = -1;
		all = all && rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT;
		report(all, "theta: a series' spread that is negative, NaN, infinite, 0, subnormal or more than 1e100 times from its scale is refused");
	}
	free(bad);
	free(buf);
	series[1].spread = 0;		/* unknown: its scale */
	series[0].spread = 0;

	m.theta_weight = 0;
	len = rnn_model_encoded_size(&m);
	buf = malloc(len);
	rnn_model_encode(&m, buf);
	report(buf[4] == 4, "theta: a model with weight 0 is written as format 4 (read by 0.6.0)");
	free(buf);
	rnn_model_free(&m, &test_allocator);
}

/* series without a spread of their own: scaled by their level times the model's relative spread */
static void
test_scale_spreadless(void)
{
	RnnSeriesState st[4];
	rnn_real	scaled[6] = {0, 0, 0, 0.5f, -0.5f, 1};
	size_t		start[4] = {0, 2, 3, 5},
				len[4] = {2, 1, 2, 1};
	bool		ok;

	memset(st, 0, sizeof(st));
	/* a log series (the shared scale 0.04), a constant at 40, two points of a series at -50, zeros */
	st[0].log_transform = 1;
	st[0].scale_std = 0.04;
	st[0].spread = 0.04;
	st[1].scale_mean = 40;
	st[1].scale_std = 40;
	st[2].scale_mean = -50;
	st[2].scale_std = 51;
	st[3].scale_mean = 0;
	st[3].scale_std = 1;
	ok = rnn_pipeline_scale_spreadless(st, 4, scaled, start, len, &test_allocator) == RNN_OK;
	report(ok && st[0].scale_std == 0.04 && close_to(st[1].scale_std, 1.6, 1e-12) && st[3].scale_std == 1 &&
		   scaled[5] == 1 && scaled[0] == 0,
		   "theta: a constant series without a spread of its own takes its level times the log series' shared scale");
	/* two points 25.5 from their mean: that distance is larger than 0.04 x 50, inputs +-1 */
	report(close_to(st[2].scale_std, 25.5, 1e-12) && close_to(scaled[3], 1, 1e-6) && close_to(scaled[4], -1, 1e-6),
		   "theta: ... or its largest distance from its level when larger, its values rescaled");
	/* no log series: the median spread over level of the others */
	memset(st, 0, sizeof(st));
	st[0].scale_mean = 100;
	st[0].spread = st[0].scale_std = 5;
	st[1].scale_mean = 10;
	st[1].spread = st[1].scale_std = 1;
	st[2].scale_mean = -20;
	st[2].spread = st[2].scale_std = 0.4;
	st[3].scale_mean = 30;
	st[3].scale_std = 30;
	scaled[5] = 0;				/* constant */
	ok = rnn_pipeline_scale_spreadless(st, 4, scaled, start, len, &test_allocator) == RNN_OK;
	report(ok && close_to(st[3].scale_std, 30 * 0.05, 1e-12) && st[0].scale_std == 5 && st[2].scale_std == 0.4,
		   "theta: ... or without log series, the median of the others' spread over level (0.02, 0.05, 0.1)");
}

/* a history a global model did not keep: its own pipeline and scale, the model's weight */
static void
test_unseen_view(void)
{
	RnnModel	m,
				view;
	RnnSeriesState st,
				st2;
	double		v[40],
				rows[40];
	bool		ok;

	make_model(&m, 0.5);
	for (int t = 0; t < 40; t++)
		v[t] = rows[t] = 50 + t + (t % 4 == 0 ? 5 : 0);
	ok = rnn_pipeline_unseen_view(&view, &st, &m, v, 40, NULL, &test_allocator) == RNN_OK;
	report(ok && view.n_series == 0 && view.series == NULL && view.rows == 40 &&
		   view.theta_weight == 0.5 && view.n_history == 8 && view.history == st.history &&
		   view.history != v && view.history[7] == v[39] && view.history[0] == v[32] &&
		   view.scale_std == st.scale_std && view.scale_std != m.scale_std &&
		   view.log_transform == 1 && view.theta.n == 40 && view.naive_scale > 0,
		   "theta: an unseen history is a series of its own, at the model's weight");
	/* with rows of values and features, the view's history is their last rows */
	m.theta_weight = 0;
	ok = rnn_pipeline_unseen_view(&view, &st2, &m, v, 40, rows, &test_allocator) == RNN_OK;
	report(ok && view.history == rows + 32 && view.n_history == 8 && view.theta_weight == 0,
		   "theta: an unseen history's rows become its history; the model's weight 0 stays off");
	rnn_release(&test_allocator, st.history);
	rnn_release(&test_allocator, st.seasonal);
	rnn_release(&test_allocator, st2.seasonal);
	/* a model trained without the log: the history goes without it too */
	m.log_transform = 0;
	ok = rnn_pipeline_unseen_view(&view, &st, &m, v, 40, NULL, &test_allocator) == RNN_OK;
	report(ok && view.log_transform == 0 && view.n_seasonal > 0,
		   "theta: an unseen history takes the log only where the model's series did");
	rnn_release(&test_allocator, st.history);
	rnn_release(&test_allocator, st.seasonal);
	rnn_model_free(&m, &test_allocator);
}

/* the held-out tail the weight is chosen on (its errors: sql/theta.sql) */
static void
test_selection_global(void)
{
	size_t		tail,
				origins;

	/* three tails: as for one series; else one origin when a window and h points stay */
	report(rnn_theta_selection_global(45, 8, 12, &tail, &origins) && tail == 15 && origins == 8,
		   "theta: a global model's long series is validated on 8 origins");
	report(rnn_theta_selection_global(44, 8, 12, &tail, &origins) && tail == 8 && origins == 1 &&
		   rnn_theta_selection_global(28, 8, 12, &tail, &origins) && tail == 8 && origins == 1 &&
		   !rnn_theta_selection_global(27, 8, 12, &tail, &origins),
		   "theta: a global model's shorter series on one origin, down to 2h + window points");
}

static void
test_selection_tail(void)
{
	size_t		tail = 0,
				origins = 0;
	RnnModel	m;
	double		w = -1,
				v[40] = {0};

	/* horizon 1: 8 origins of one step, 8 points; three tails are 24 points */
	report(rnn_theta_selection_tail(24, 1, 4, &tail, &origins) && tail == 8 && origins == 8 &&
		   !rnn_theta_selection_tail(23, 1, 4, &tail, &origins),
		   "theta: horizon 1 chooses on 8 one-step origins from 24 points on");
	/* horizon 18 (monthly M3): 18 origins, 35 points, 105 points at least */
	report(rnn_theta_selection_tail(105, 18, 24, &tail, &origins) && tail == 35 && origins == 18 &&
		   !rnn_theta_selection_tail(104, 18, 24, &tail, &origins),
		   "theta: horizon 18 chooses on 18 origins from 105 points on");
	/* the model without the tail needs a window and 12 points more */
	report(!rnn_theta_selection_tail(40, 6, 22, &tail, &origins) &&
		   rnn_theta_selection_tail(40, 6, 14, &tail, &origins) && tail == 13,
		   "theta: a window too long for the rest leaves the default");
	memset(&m, 0, sizeof(m));
	report(rnn_theta_choose_weight(&w, NULL, &m, 30, v, 40, 30, 8, 6, 0.75, NULL, NULL,
								   &test_allocator) == RNN_ERR_ARGUMENT && w == 0.75,
		   "theta: origins past the series' end are refused, the default kept");
}

/*
 * The validation's errors: a network of zero weights forecasts the last
 * value (the naive forecast; window scaling), Theta on a straight line has
 * alpha 1 and half its slope as drift, so on v_t = 10 + 2 t with no log and
 * no season the errors at step h are 2h (network) and h (Theta) over the
 * scale, the weight is 2/3 and the combination's errors are 2/3 the network's.
 */
static void
test_choose_errors(void)
{
	RnnModel	m;
	double		v[40],
				e[3] = {0, 0, 0},
				w = -1,
				net = 0;

	make_model(&m, 0.5);
	m.log_transform = 0;
	m.n_seasonal = 0;
	for (int t = 0; t < 40; t++)
		v[t] = 10 + 2 * t;
	for (int h = 1; h <= 6; h++)
		net += 2.0 * h / m.scale_std / 6;
	report(rnn_theta_choose_weight(&w, e, &m, 40, v, 40, 26, 8, 6, 0.75, NULL, NULL,
								   &test_allocator) == RNN_OK &&
		   close_to(e[0], net, 1e-6) && close_to(e[1], net / 2, 1e-6) &&
		   close_to(w, 2.0 / 3, 1e-6) && close_to(e[2], net * 2 / 3, 1e-6),
		   "theta: validation errors of the network, Theta and their combination at the weight");
	rnn_model_free(&m, &test_allocator);

	/* the combination stays unless the network alone is better pooled over the series */
	report(rnn_theta_combination_kept(2.0, 1.9, 3) && rnn_theta_combination_kept(2.0, 2.0, 3) &&
		   !rnn_theta_combination_kept(1.9, 2.0, 3) && rnn_theta_combination_kept(1.9, 2.0, 0) &&
		   rnn_theta_combination_kept(NAN, 2.0, 3),
		   "theta: a global model drops the combination only when the network alone validated better");
	/* a warm start keeps its model's weight, 0 included; without one, the default */
	report(rnn_theta_weight(-1, true, 0, false, false, 0) == 0 &&
		   rnn_theta_weight(-1, true, 0, false, false, 0.3) == 0.3 &&
		   rnn_theta_weight(-1, true, 0, false, false, -1) == RNN_THETA_WEIGHT_GLOBAL &&
		   rnn_theta_weight(-1, false, 0, false, false, -1) == RNN_THETA_WEIGHT_SERIES &&
		   rnn_theta_weight(0.2, true, 0, false, false, 0) == 0.2,
		   "theta: a warm start keeps its model's weight, 0 too");
}

/* where one series' weight is validated: held-out windows, a second model, or nowhere */
static void
test_route(void)
{
	size_t		first = 99,
				origins = 99;

	/* horizon 6: 8 origins need 13 held-out windows; the latest origins end the series */
	report(rnn_theta_route(200, 30, false, false, 6, &first, &origins) == RNN_THETA_ROUTE_HELD_OUT &&
		   origins == 25 && first == 170 && first + origins - 1 + 6 == 200 &&
		   rnn_theta_route(200, 13, false, false, 6, &first, &origins) == RNN_THETA_ROUTE_HELD_OUT &&
		   origins == 8 && first == 187,
		   "theta: a series with enough held-out windows is validated on the latest of them");
	report(rnn_theta_route(200, 30, true, false, 6, &first, &origins) == RNN_THETA_ROUTE_HELD_OUT &&
		   origins == 25 && first == 170,
		   "theta: held-out windows enough for the origins are used even when their count was capped");
	report(rnn_theta_route(200, 12, false, false, 6, &first, &origins) == RNN_THETA_ROUTE_SECOND_MODEL &&
		   origins == 0 &&
		   rnn_theta_route(200, 30, false, true, 6, &first, &origins) == RNN_THETA_ROUTE_SECOND_MODEL &&
		   rnn_theta_route(200, 30, true, true, 6, &first, &origins) == RNN_THETA_ROUTE_KEEP &&
		   rnn_theta_route(200, 12, true, false, 6, &first, &origins) == RNN_THETA_ROUTE_KEEP,
		   "theta: too few held-out windows, or a refit, take a second model; capped ones keep the default");
	report(rnn_theta_route(5000, 2000, false, false, 1, &first, &origins) == RNN_THETA_ROUTE_HELD_OUT &&
		   origins == RNN_THETA_SELECT_MAX_ORIGINS && first == 5000 - RNN_THETA_SELECT_MAX_ORIGINS,
		   "theta: at most %d held-out origins", RNN_THETA_SELECT_MAX_ORIGINS);
}

/* a global model's validation pooled: the figures kept, the combination dropped or not */
static void
test_pool_decide(void)
{
	RnnModel	m;
	RnnSeriesState st[2];
	double		kept[3] = {4, 5, 3},
				dropped[3] = {3, 5, 4},
				none[3] = {0, 0, 0};

	make_model(&m, 0.5);
	memset(st, 0, sizeof(st));
	st[0].theta_weight = 0.5;
	st[1].theta_weight = 0.25;
	m.n_series = 2;
	m.series = st;
	report(rnn_theta_pool_decide(&m, kept, 2) && m.theta_validation.series == 2 &&
		   m.theta_validation.network == 2 && m.theta_validation.theta == 2.5 &&
		   m.theta_validation.combined == 1.5 && m.theta_weight == 0.5 && st[1].theta_weight == 0.25,
		   "theta: a pooled validation that favours the combination keeps it and its figures");
	report(!rnn_theta_pool_decide(&m, dropped, 2) && m.theta_validation.network == 1.5 &&
		   m.theta_validation.combined == 2 && m.theta_weight == 0 && st[0].theta_weight == 0 &&
		   st[1].theta_weight == 0,
		   "theta: a pooled validation where the network alone is better drops the combination everywhere");
	memset(&m.theta_validation, 0, sizeof(m.theta_validation));
	m.theta_weight = 0.5;
	report(rnn_theta_pool_decide(&m, none, 0) && m.theta_validation.series == 0 &&
		   m.theta_validation.network == 0 && m.theta_validation.combined == 0 && m.theta_weight == 0.5,
		   "theta: no series validated: no figures, the combination kept");
	m.n_series = 0;
	m.series = NULL;
	rnn_model_free(&m, &test_allocator);
}

/*
 * One series' calibration with a floor lag (a model that keeps its season):
 * the network's errors stored, floored at each rank by the lesser of the
 * naive and seasonal naive forecasts' errors; never above the naive floor's.
 */
static void
test_calibrate_seasonal_floor(void)
{
	RnnModel	m,
				ref;
	double		v[60];
	float		err[12 * 19],
				naive[12 * 19],
				seasonal[12 * 19];
	const double pattern[4] = {3, -2, 1, -2};
	float	   *plain;
	bool		ok,
				below = true,
				lower = false;
	size_t		first = 30,
				origins = 19;	/* 12 steps from origin 30 of 60 points */

	make_model(&m, 0);
	free(m.seasonal);
	m.seasonal = NULL;
	m.n_seasonal = 0;
	m.log_transform = 0;
	m.scale_mean = 20;
	m.scale_std = 2;
	free(m.cal_err);
	m.cal_err = NULL;
	m.cal_scaled = 1;
	for (size_t i = 0; i < m.n_params; i++)
		m.params[i] = (rnn_real) (0.3 * sin(0.7 * (double) i + 0.2));
	for (int t = 0; t < 60; t++)
		v[t] = 20 + 0.2 * t + pattern[t % 4] + 0.3 * sin(1.3 * t);
	ok = rnn_calibrate(&m, v, NULL, 60, first, 12, 0, NULL, NULL, &test_allocator) == RNN_OK &&
		m.cal_steps == 12 && m.cal_n == 19;
	plain = m.cal_err;
	m.cal_err = NULL;
	ok = ok && rnn_calibrate(&m, v, NULL, 60, first, 12, 4, NULL, NULL, &test_allocator) == RNN_OK &&
		m.cal_steps == 12 && m.cal_n == 19;
	/* by hand */
	memset(&ref, 0, sizeof(ref));
	ok = ok && rnn_calibration_errors(err, &m, v, NULL, 60, first, origins, 12, NULL, NULL,
									  &test_allocator) == RNN_OK &&
		rnn_calibration_store(&ref, err, 12, origins, &test_allocator) == RNN_OK;
	rnn_naive_errors(naive, &m, v, NULL, NULL, 60, first, origins, 12, 0);
	rnn_naive_errors(seasonal, &m, v, NULL, NULL, 60, first, origins, 12, 4);
	rnn_floor_pick(naive, seasonal, 12, origins);
	rnn_calibration_floor(&ref, naive, origins);
	for (int i = 0; ok && i < 12 * 19; i++)
	{
		ok = m.cal_err[i] == ref.cal_err[i];
		below = below && m.cal_err[i] <= plain[i];
		lower = lower || m.cal_err[i] < plain[i];
	}
	report(ok && below && lower,
		   "theta: one series that keeps its season: its calibration floored by the lesser of the naive and seasonal naive errors at each rank (as composed by hand), below the naive floor somewhere and above it nowhere");
	rnn_release(&test_allocator, plain);
	rnn_release(&test_allocator, ref.cal_err);
	rnn_model_free(&m, &test_allocator);
}

/*
 * rnn_calibrate_global's errors by hand for series 0 and 1 of m, one origin
 * each at origin[k], 6 steps: the network's (pooled), the naive forecast's
 * and, with lag > 0, the seasonal naive's, each (6, 2).
 */
static bool
global_errors_by_hand(RnnModel *m, const double *const *vals, const size_t *len,
					  const size_t *origin, int lag, float *pooled, float *naive, float *seasonal)
{
	float		err[6];

	for (int k = 0; k < 2; k++)
	{
		RnnModel	view;

		/* in the series' own spread: divided by its factor (1 unless it shares a scale) */
		float		unit;

		rnn_model_series_view(&view, m, k);
		view.cal_scaled = 1;
		unit = (float) rnn_series_interval_factor(&m->series[k]);
		if (rnn_calibration_errors(err, &view, vals[k], NULL, len[k], origin[k], 1, 6, NULL,
								   NULL, &test_allocator) != RNN_OK)
			return false;
		for (int h = 0; h < 6; h++)
			pooled[h * 2 + k] = err[h] / unit;
		rnn_naive_errors(err, &view, vals[k], NULL, NULL, len[k], origin[k], 1, 6, 0);
		for (int h = 0; h < 6; h++)
			naive[h * 2 + k] = err[h] / unit;
		if (lag > 0)
		{
			rnn_naive_errors(err, &view, vals[k], NULL, NULL, len[k], origin[k], 1, 6, lag);
			for (int h = 0; h < 6; h++)
				seasonal[h * 2 + k] = err[h] / unit;
		}
	}
	return true;
}

/*
 * A global model's intervals (rnn_calibrate_global) are the per-series
 * primitives composed: one origin per long enough series at the start of
 * its held-out end, the network's errors pooled and stored, floored by the
 * naive forecast's from the same origins.
 */
static void
test_calibrate_global(void)
{
	RnnModel	m,
				ref;
	RnnSeriesState st[3];
	double		v0[40],
				v1[100],
				v2[12];
	const double *vals[3] = {v0, v1, v2};
	size_t		len[3] = {40, 100, 12};
	/* held out: at least the 6 steps (40 points: 0.1 x 32 is 3), else 0.1 x (100 - 8) = 9 */
	size_t		origin[2] = {34, 91};
	float		pooled[12],
				naive[12];
	rnn_real	scaled[100];
	bool		ok = true;
	RnnStatus	rs;

	make_model(&m, 0);
	free(m.cal_err);			/* rnn_calibration_store allocates its own */
	m.cal_err = NULL;
	for (size_t i = 0; i < m.n_params; i++)
		m.params[i] = (rnn_real) (0.3 * sin(0.7 * (double) i + 0.2));
	for (int t = 0; t < 100; t++)
	{
		double		s = (t % 4 == 0 ? 1.1 : t % 4 == 2 ? 0.9 : 1.0);

		if (t < 40)
			v0[t] = s * (100 + 2 * t + 3 * sin(t));
		v1[t] = s * (50 + 0.5 * t + 2 * cos(0.3 * t));
		if (t < 12)
			v2[t] = 20 + t;
	}
	memset(st, 0, sizeof(st));
	for (int k = 0; k < 3; k++)
		ok = ok && rnn_pipeline_series_state(&st[k], vals[k], len[k], 4, 8, -1, -1, NULL, 0, scaled,
											 &test_allocator) == RNN_OK;
	m.n_series = 3;
	m.series = st;
	rs = rnn_calibrate_global(&m, vals, NULL, len, 6, 0.1, NULL, NULL, NULL, &test_allocator);

	/* the same by hand: series 0 and 1 (series 2, 12 points, is shorter than 6 + 2 x 8) */
	ok = ok && global_errors_by_hand(&m, vals, len, origin, 0, pooled, naive, NULL);
	memset(&ref, 0, sizeof(ref));
	ok = ok && rnn_calibration_store(&ref, pooled, 6, 2, &test_allocator) == RNN_OK;
	rnn_calibration_floor(&ref, naive, 2);
	ok = ok && rs == RNN_OK && m.cal_scaled == 1 && m.cal_steps == 6 && m.cal_n == 2 &&
		ref.cal_steps == 6 && ref.cal_n == 2;
	for (int i = 0; ok && i < 12; i++)
		ok = m.cal_err[i] == ref.cal_err[i] && m.cal_err[i] > 0;
	report(ok, "theta: a global model's intervals pool one held-out origin per long enough series, naive-floored");

	/*
	 * the same series kept seasonal (deseasonalize => false: no indices),
	 * floor lag 4: the floor is the lesser at each rank of the pooled naive
	 * and seasonal naive errors
	 */
	for (int k = 0; k < 3; k++)
	{
		rnn_release(&test_allocator, st[k].seasonal);
		rnn_release(&test_allocator, st[k].history);
	}
	memset(st, 0, sizeof(st));
	for (int k = 0; k < 3; k++)
		ok = ok && rnn_pipeline_series_state(&st[k], vals[k], len[k], 4, 8, -1, 0, NULL, 0, scaled,
											 &test_allocator) == RNN_OK && st[k].n_seasonal == 0;
	rnn_release(&test_allocator, m.cal_err);
	m.cal_err = NULL;
	m.season = 4;
	{
		int			lags[3] = {4, 4, 4};

		rs = rnn_calibrate_global(&m, vals, NULL, len, 6, 0.1, lags, NULL, NULL, &test_allocator);
	}
	{
		float		seasonal[12],
					plain[12];
		bool		lower = false;

		ok = ok && global_errors_by_hand(&m, vals, len, origin, 4, pooled, naive, seasonal);
		memcpy(plain, naive, sizeof(plain));
		rnn_release(&test_allocator, ref.cal_err);
		memset(&ref, 0, sizeof(ref));
		ok = ok && rnn_calibration_store(&ref, pooled, 6, 2, &test_allocator) == RNN_OK;
		rnn_floor_pick(naive, seasonal, 6, 2);
		rnn_calibration_floor(&ref, naive, 2);
		/* the seasonal naive is the lesser somewhere: these series have a season */
		{
			double		before = 0,
						after = 0;

			for (int i = 0; i < 12; i++)
			{
				before += plain[i];
				after += naive[i];
			}
			lower = after < before - 1e-6;
		}
		ok = ok && rs == RNN_OK && lower && m.cal_steps == 6 && m.cal_n == 2;
		for (int i = 0; ok && i < 12; i++)
			ok = m.cal_err[i] == ref.cal_err[i] && m.cal_err[i] > 0;
	}
	report(ok, "theta: a global model that keeps its series' season floors its intervals by the lesser of the naive and seasonal naive forecasts' errors at each rank");

	/*
	 * log series that share one scale (rnn_pipeline_share_log_scale): each
	 * one's errors are pooled in its own spread, and its half-widths in
	 * scaled units are that spread's: the shared scale times its factor
	 */
	for (int k = 0; k < 3; k++)
	{
		rnn_release(&test_allocator, st[k].seasonal);
		rnn_release(&test_allocator, st[k].history);
	}
	memset(st, 0, sizeof(st));
	for (int k = 0; k < 3; k++)
		ok = ok && rnn_pipeline_series_state(&st[k], vals[k], len[k], 4, 8, 1, -1, NULL, 0, scaled,
											 &test_allocator) == RNN_OK && st[k].log_transform &&
			st[k].spread == st[k].scale_std;
	{
		rnn_real	all[152];
		size_t		seg_start[3] = {0, 40, 140};
		double		own[3],
					f0,
					f1;
		RnnModel	view;
		RnnIntervals iv;
		double		lo,
					hi,
					c;

		memset(all, 0, sizeof(all));
		for (int k = 0; k < 3; k++)
			own[k] = st[k].scale_std;
		ok = ok && rnn_pipeline_share_log_scale(st, 3, all, seg_start, len, &test_allocator) == RNN_OK;
		rnn_release(&test_allocator, m.cal_err);
		m.cal_err = NULL;
		rs = rnn_calibrate_global(&m, vals, NULL, len, 6, 0.1, NULL, NULL, NULL, &test_allocator);
		f0 = rnn_series_interval_factor(&st[0]);
		f1 = rnn_series_interval_factor(&st[1]);
		/* the spreads stay each series' own, the scales are shared, the factors differ */
		ok = ok && rs == RNN_OK && st[0].spread == own[0] && st[1].spread == own[1] &&
			st[0].scale_std == st[1].scale_std && st[1].scale_std == st[2].scale_std &&
			fabs(f0 - pow(own[0] / st[0].scale_std, RNN_SPREAD_POWER)) < 1e-12 &&
			fabs(f1 - pow(own[1] / st[1].scale_std, RNN_SPREAD_POWER)) < 1e-12 &&
			fabs(f0 - f1) > 0.05;
		ok = ok && global_errors_by_hand(&m, vals, len, origin, 0, pooled, naive, NULL);
		rnn_release(&test_allocator, ref.cal_err);
		memset(&ref, 0, sizeof(ref));
		ok = ok && rnn_calibration_store(&ref, pooled, 6, 2, &test_allocator) == RNN_OK;
		rnn_calibration_floor(&ref, naive, 2);
		for (int i = 0; ok && i < 12; i++)
			ok = m.cal_err[i] == ref.cal_err[i] && m.cal_err[i] > 0;
		report(ok, "theta: log series that share a scale pool their errors in their own spreads, composed by hand");

		/* series 1's 90% interval at step 3: the shared scale times its factor, on the log scale */
		rnn_model_series_view(&view, &m, 1);
		ok = rnn_intervals_prepare(&iv, &view, 0.9, &test_allocator) == RNN_OK;
		rnn_interval_bounds(&view, &iv, 60.0, 3, view.phase_last, &lo, &hi);
		c = rnn_pipeline_in(&view, 60.0, rnn_pipeline_phase(&view, view.phase_last, 3));
		ok = ok && view.interval_factor == f1 &&
			fabs(rnn_pipeline_in(&view, hi, rnn_pipeline_phase(&view, view.phase_last, 3)) - c -
				 rnn_intervals_halfwidth(&iv, 3) * view.scale_std * f1) < 1e-9 &&
			fabs(c - rnn_pipeline_in(&view, lo, rnn_pipeline_phase(&view, view.phase_last, 3)) -
				 rnn_intervals_halfwidth(&iv, 3) * view.scale_std * f1) < 1e-9;
		rnn_intervals_free(&iv, &test_allocator);
		report(ok, "theta: a series that shares a scale gets half-widths of the shared scale times its own factor");

		/*
		 * the same series given as a history the model did not keep: on the
		 * shared scale with its own spread, so its half-width in log units
		 * is the kept series'
		 */
		{
			RnnModel	unseen;
			RnnSeriesState ust;

			ok = rnn_pipeline_unseen_view(&unseen, &ust, &m, v1, 100, NULL, &test_allocator) == RNN_OK &&
				ust.log_transform && ust.scale_std == view.scale_std && ust.spread == own[1] &&
				unseen.interval_factor == f1 &&
				fabs(unseen.scale_std * unseen.interval_factor - view.scale_std * view.interval_factor) <
				1e-12 * view.scale_std;
			report(ok, "theta: a history the model did not keep gets the half-width of a kept series of its spread (%g against %g)",
				   unseen.scale_std * unseen.interval_factor, view.scale_std * view.interval_factor);
			rnn_release(&test_allocator, ust.seasonal);
			rnn_release(&test_allocator, ust.history);
		}
	}

	/* no series long enough for a window and a step: no calibration */
	len[0] = len[1] = 8;
	len[2] = 8;
	report(rnn_calibrate_global(&m, vals, NULL, len, 6, 0.1, NULL, NULL, NULL, &test_allocator) == RNN_OK &&
		   m.cal_steps == 0 && m.cal_n == 0,
		   "theta: a global model without a series longer than its window gets no intervals");
	rnn_release(&test_allocator, ref.cal_err);
	for (int k = 0; k < 3; k++)
	{
		rnn_release(&test_allocator, st[k].seasonal);
		rnn_release(&test_allocator, st[k].history);
	}
	m.n_series = 0;
	m.series = NULL;
	rnn_model_free(&m, &test_allocator);
}

int
main(void)
{
	test_fit();
	test_initial_level();
	test_selection_tail();
	test_selection_global();
	test_combine();
	test_format();
	test_blocked_fit();
	test_unseen_view();
	test_scale_spreadless();
	test_choose_errors();
	test_route();
	test_pool_decide();
	test_calibrate_global();
	test_calibrate_seasonal_floor();
	return finish("theta");
}
