/*
 * test_features.c
 *	  Core tests of covariates: the calendar cycles, the format-5 encoding,
 *	  the convention that the network reads each value with the next step's
 *	  features (in training and in forecasts), and that zero feature weights
 *	  give the univariate network's forecasts.
 */
#include "test_util.h"

#include "rnn_calendar.h"
#include "rnn_model.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_rng.h"
#include "rnn_train.h"

static int
close_to(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

static void
test_calendar(void)
{
	double		f[8];
	RnnCivilTime t;
	const int64_t hour = INT64_C(3600000000),
				day = 24 * hour;

	report(rnn_calendar_bits(hour, 0) == (RNN_CAL_DAY | RNN_CAL_WEEK) &&
		   rnn_calendar_bits(day, 0) == (RNN_CAL_WEEK | RNN_CAL_MONTH | RNN_CAL_YEAR) &&
		   rnn_calendar_bits(7 * day, 0) == RNN_CAL_YEAR &&
		   rnn_calendar_bits(365 * day, 0) == 0 &&
		   rnn_calendar_bits(0, 1) == RNN_CAL_YEAR && rnn_calendar_bits(0, 3) == RNN_CAL_YEAR &&
		   rnn_calendar_bits(0, 12) == 0 && rnn_calendar_bits(0, 0) == 0,
		   "calendar: the cycles each step makes meaningful");
	report(rnn_calendar_count(RNN_CAL_ALL) == 8 && rnn_calendar_count(RNN_CAL_YEAR) == 2 &&
		   rnn_calendar_count(0) == 0, "calendar: two features per cycle");

	/* 1970-01-01 was a Thursday: day 3 of a week that starts on Monday */
	t.year = 1970;
	t.month = 1;
	t.day = 1;
	t.seconds = 0;
	rnn_calendar_features(RNN_CAL_WEEK, &t, f);
	report(close_to(f[0], sin(2 * M_PI * 3 / 7), 1e-12) && close_to(f[1], cos(2 * M_PI * 3 / 7), 1e-12),
		   "calendar: 1970-01-01 is a Thursday (%.6f %.6f)", f[0], f[1]);
	/* 2024-02-29 18:00, a leap day and a Thursday */
	t.year = 2024;
	t.month = 2;
	t.day = 29;
	t.seconds = 18 * 3600.0;
	rnn_calendar_features(RNN_CAL_ALL, &t, f);
	report(close_to(f[0], sin(2 * M_PI * 0.75), 1e-12) && close_to(f[1], cos(2 * M_PI * 0.75), 1e-12) &&
		   close_to(f[2], sin(2 * M_PI * (3 + 0.75) / 7), 1e-12) &&
		   close_to(f[4], sin(2 * M_PI * (28 + 0.75) / 29), 1e-12) &&
		   close_to(f[6], sin(2 * M_PI * (1 + (28 + 0.75) / 29) / 12), 1e-12),
		   "calendar: 2024-02-29 18:00 in the day, week, month (of 29 days) and year");
	/* years before 1970 and far from it: 1600-03-01 was a Wednesday */
	t.year = 1600;
	t.month = 3;
	t.day = 1;
	t.seconds = 0;
	rnn_calendar_features(RNN_CAL_WEEK, &t, f);
	report(close_to(f[0], sin(2 * M_PI * 2 / 7), 1e-12), "calendar: 1600-03-01 is a Wednesday");
	{
		char		names[128];

		rnn_calendar_names(RNN_CAL_WEEK | RNN_CAL_YEAR, names, sizeof(names));
		report(strcmp(names, "week_sin, week_cos, year_sin, year_cos") == 0, "calendar: names (%s)", names);
	}
}

/* A model of input_size 1 + K with K features (the last 2 the week's calendar). */
static void
make_feature_model(RnnModel *m, int K, int window, uint64_t seed)
{
	RnnShape	s = {RNN_CELL_LSTM, 1 + K, 6, 1, 0, 1, 0};

	memset(m, 0, sizeof(*m));
	m->shape = s;
	m->window = window;
	m->season = 1;
	m->members = 1;
	m->strategy = RNN_STRATEGY_RECURSIVE;
	m->scaling = RNN_SCALE_WINDOW;
	m->scale_mean = 10;
	m->scale_std = 2;
	m->ts_kind = RNN_TS_DATE;
	m->step_kind = RNN_STEP_UNITS;
	m->step = 1;
	m->last_ts = 9000;
	m->n_features = K;
	m->calendar = K >= 3 ? RNN_CAL_WEEK : 0;
	m->feature_mean = calloc(K, sizeof(double));
	m->feature_std = calloc(K, sizeof(double));
	for (int j = 0; j < K; j++)
	{
		m->feature_mean[j] = j < K - 2 ? 0.5 : 0;
		m->feature_std[j] = j < K - 2 ? 0.25 : 1;
	}
	m->n_history = window;
	m->history = calloc((size_t) window * (1 + K), sizeof(double));
	for (int t = 0; t < window; t++)
	{
		m->history[(size_t) t * (1 + K)] = 10 + sin(t);
		for (int j = 0; j < K; j++)
			m->history[(size_t) t * (1 + K) + 1 + j] = cos(t + j);
	}
	m->rows = 100;
	m->val_loss = -1;
	m->n_params = rnn_param_count(&s);
	m->params = calloc(m->n_params, sizeof(rnn_real));
	m->loss_train = calloc(1, sizeof(float));
	m->loss_val = calloc(1, sizeof(float));
	m->cal_err = calloc(1, sizeof(float));
	rnn_init_params(m->params, &s, seed);
}

static void
free_model(RnnModel *m)
{
	rnn_model_free(m, &test_allocator);
}

static void
test_encoding(void)
{
	RnnModel	m,
				d,
				plain;
	size_t		len;
	uint8_t    *buf;
	const char *why;
	RnnStatus	st;

	make_feature_model(&m, 3, 5, 1);
	len = rnn_model_encoded_size(&m);
	buf = malloc(len);
	rnn_model_encode(&m, buf);
	st = rnn_model_decode(&d, buf, len, &test_allocator, &why);
	report(len > 0 && buf[4] == 5 && buf[5] == 0 && st == RNN_OK && d.n_features == 3 &&
		   d.calendar == RNN_CAL_WEEK && d.feature_mean[0] == 0.5 && d.feature_std[0] == 0.25 &&
		   d.feature_std[2] == 1 && d.history[4 * 4 + 2] == m.history[4 * 4 + 2] &&
		   d.format_version == 5,
		   "features: a model with features is written as format 5 and read back (%zu bytes)", len);
	free_model(&d);
	report(every_cut_and_flip_refused(buf, len),
		   "features: every truncation and single-bit flip of a format-5 model is rejected");

	/* features that do not match the input size, or unknown calendar bits, are refused */
	m.n_features = 2;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "features: a count other than input_size - 1 is refused");
	m.n_features = 3;
	m.calendar = 16;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "features: unknown calendar bits are refused");
	m.calendar = RNN_CAL_WEEK;
	m.ts_kind = RNN_TS_BIGINT;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "features: calendar features need a calendar axis");
	m.ts_kind = RNN_TS_DATE;
	m.feature_std[1] = 0;
	report(rnn_model_validate(&m, &why) == RNN_ERR_CORRUPT, "features: a zero feature spread is refused");
	m.feature_std[1] = 0.25;
	free(buf);

	/* a model without features stays format 4 (readable by 0.5.0) */
	make_feature_model(&plain, 0, 5, 1);
	len = rnn_model_encoded_size(&plain);
	buf = malloc(len);
	rnn_model_encode(&plain, buf);
	report(buf[4] == 4, "features: a model without features is written as format 4");
	free(buf);
	free_model(&plain);
	free_model(&m);
}

/* weight_ih_l0 of a shape: its offset and columns */
static void
weight_ih(const RnnShape *s, size_t *offset, int *rows, int *cols)
{
	RnnTensorInfo t[RNN_MAX_TENSORS];
	int			n = rnn_tensor_table(s, t);

	for (int i = 0; i < n; i++)
		if (strstr(t[i].name, "weight_ih_l0") && !strstr(t[i].name, "reverse"))
		{
			*offset = t[i].offset;
			*rows = t[i].rows;
			*cols = t[i].cols;
			return;
		}
	*offset = 0;
	*rows = *cols = 0;
}

static void
test_forecast(void)
{
	RnnModel	m,
				u;
	const int	K = 3,
				W = 5,
				H = 4;
	double		future[4 * 3],
				other[4 * 3],
				fm[4],
				fo[4],
				fu[4];
	double		hist[5];
	size_t		off_m,
				off_u;
	int			rows,
				cols,
				ru,
				cu;
	RnnStatus	s1,
				s2,
				s3;

	make_feature_model(&m, K, W, 7);
	for (int i = 0; i < H * K; i++)
		future[i] = other[i] = sin(3.0 * i);
	/* only step 3's features differ */
	for (int j = 0; j < K; j++)
		other[2 * K + j] += 1.5;
	s1 = rnn_forecast_features(fm, &m, m.history, future, 1, W, H, NULL, NULL, NULL, &test_allocator);
	s2 = rnn_forecast_features(fo, &m, m.history, other, 1, W, H, NULL, NULL, NULL, &test_allocator);
	report(s1 == RNN_OK && s2 == RNN_OK && fm[0] == fo[0] && fm[1] == fo[1] && fm[2] != fo[2],
		   "features: the features of step h reach the forecast of step h, not the earlier ones");
	report(rnn_forecast_features(fm, &m, m.history, NULL, 1, W, H, NULL, NULL, NULL, &test_allocator) ==
		   RNN_ERR_ARGUMENT, "features: a model with features needs the future ones");

	/* zero feature weights: the forecasts of the univariate network with column 0's weights */
	make_feature_model(&u, 0, W, 7);
	weight_ih(&m.shape, &off_m, &rows, &cols);
	weight_ih(&u.shape, &off_u, &ru, &cu);
	{
		/* every other tensor has the same size: copy them around weight_ih_l0 */
		size_t		before = off_m,
					after_m = off_m + (size_t) rows * cols,
					after_u = off_u + (size_t) ru * cu;

		memcpy(u.params, m.params, sizeof(rnn_real) * before);
		memcpy(u.params + after_u, m.params + after_m, sizeof(rnn_real) * (m.n_params - after_m));
		for (int r = 0; r < rows; r++)
		{
			u.params[off_u + r] = m.params[off_m + (size_t) r * cols];
			for (int c = 1; c < cols; c++)
				m.params[off_m + (size_t) r * cols + c] = 0;
		}
	}
	for (int t = 0; t < W; t++)
		hist[t] = m.history[(size_t) t * (1 + K)];
	s1 = rnn_forecast_features(fm, &m, m.history, future, 1, W, H, NULL, NULL, NULL, &test_allocator);
	s3 = rnn_forecast_batch(fu, &u, hist, 1, W, H, NULL, &test_allocator);
	report(s1 == RNN_OK && s3 == RNN_OK && close_to(fm[0], fu[0], 1e-9) && close_to(fm[3], fu[3], 1e-9),
		   "features: zero feature weights give the univariate forecasts (%.6f %.6f, %.6f %.6f)",
		   fm[0], fu[0], fm[3], fu[3]);
	free_model(&m);
	free_model(&u);
}

/*
 * A series that is its own next-step feature: v[t] = f[t] with f random
 * signs.  Reading the features of the step it predicts, a network learns it;
 * without them nothing can.
 */
static void
test_training(void)
{
	enum
	{
		N = 400
	};
	rnn_real	v[N],
				f[N];
	RnnRng		rng;
	RnnTrainSpec spec;
	RnnShape	s1 = {RNN_CELL_GRU, 1, 8, 1, 0, 1, 0},
				s2 = {RNN_CELL_GRU, 2, 8, 1, 0, 1, 0};
	rnn_real   *p1 = malloc(rnn_param_count(&s1) * sizeof(rnn_real)),
			   *p2 = malloc(rnn_param_count(&s2) * sizeof(rnn_real));
	RnnTrainResult r1,
				r2;
	RnnStatus	st1,
				st2;

	rnn_rng_seed(&rng, 11);
	for (int i = 0; i < N; i++)
		v[i] = f[i] = rnn_rng_below(&rng, 2) ? 1 : -1;
	memset(&spec, 0, sizeof(spec));
	spec.window = 4;
	spec.epochs = 30;
	spec.batch_size = 32;
	spec.learning_rate = 0.01;
	spec.optimizer = RNN_OPT_ADAM;
	spec.validation_fraction = 0.2;
	spec.seed = 3;
	spec.loss = RNN_LOSS_MSE;
	spec.shape = s1;
	rnn_init_params(p1, &s1, 5);
	st1 = rnn_train(p1, &r1, v, N, &spec, &test_allocator, NULL);
	spec.shape = s2;
	spec.n_features = 1;
	spec.features = f;
	rnn_init_params(p2, &s2, 5);
	st2 = rnn_train(p2, &r2, v, N, &spec, &test_allocator, NULL);
	report(st1 == RNN_OK && st2 == RNN_OK && r2.val_loss < 0.05 && r1.val_loss > 0.5,
		   "features: the next step's features are read (held-out loss %.4f with, %.4f without)",
		   r2.val_loss, r1.val_loss);
	free(r1.loss_train);
	free(r1.loss_val);
	free(r2.loss_train);
	free(r2.loss_val);
	spec.features = NULL;
	report(rnn_train(p2, &r2, v, N, &spec, &test_allocator, NULL) == RNN_ERR_ARGUMENT,
		   "features: a spec with features and no values is refused");
	free(p1);
	free(p2);
}

/*
 * The floor of a model with features: the naive forecast that knows the
 * features' effect on the changes (rnn_feature_effect, rnn_naive_errors with
 * beta), exact on a trend with flag jumps; and rnn_calibrate's floor, the
 * lesser at each rank of that and the plain naive forecast, as composed by
 * hand.
 */
static void
test_floor(void)
{
	enum
	{
		N = 80, H = 4
	};
	RnnModel	m,
				ref,
				pl;
	double		v[N],
				x[N],
				beta[1],
				wide[RNN_FLOOR_MAX_FEATURES + 1];
	float		err[H * N],
				naive[H * N],
				feat[H * N];
	const float *plain;
	bool		exact = true,
				ok,
				same = true,
				below = true,
				lower = false;
	size_t		first = 50,
				origins = 27;	/* H steps from origin 50 of 80 */

	make_feature_model(&m, 1, 5, 7);
	m.feature_std[0] = 0.5;
	m.scale_std = 2;
	/*
	 * a trend and 3 times a feature that drifts (its changes' mean is 0.05:
	 * the fit must centre them) and jumps by 1 where a flag is on: the
	 * changes are 0.1 + 3 dx
	 */
	for (int t = 0; t < N; t++)
	{
		x[t] = ((t * 7) % 5 == 1 ? 1 : 0) + 0.05 * t;
		v[t] = 10 + 0.1 * t + 3 * x[t];
	}
	ok = rnn_feature_effect(beta, &m, v, x, N, first, &test_allocator) == RNN_OK &&
		close_to(beta[0], 3 * 0.5, 1e-5);
	rnn_naive_errors(err, &m, v, x, beta, N, first, origins, H, 0);
	rnn_naive_errors(naive, &m, v, NULL, NULL, N, first, origins, H, 0);
	for (int h = 0; h < H; h++)
		for (size_t o = 0; o < origins; o++)
		{
			exact = exact && close_to(err[h * origins + o], 0.1 * (h + 1) / 2, 1e-5);
			lower = lower || naive[h * origins + o] > 1;
		}
	report(ok && exact && lower,
		   "intervals: the floor's naive forecast with the features' effect on the changes (least squares of the centred changes, beta %.6f for 1.5) is exact on a trend with jumps of a drifting feature, where the plain naive misses the jumps",
		   beta[0]);

	/*
	 * the seasonal naive of the changes with the effect: exact on a trend, a
	 * season of 4 and the feature's jumps (beta given)
	 */
	{
		const double pattern[4] = {0, 3, -1, 2};
		double		vs[N],
					b15 = 1.5;

		for (int t = 0; t < N; t++)
			vs[t] = 10 + 0.1 * t + pattern[t % 4] + 3 * x[t];
		rnn_naive_errors(err, &m, vs, x, &b15, N, first, origins, H, 4);
		exact = true;
		for (int i = 0; i < H * (int) origins; i++)
			exact = exact && err[i] < 1e-5;
		/*
		 * a time index changes by the same every row: no effect (the drift is
		 * not kept), on a curved series; the centred squares of its changes of
		 * 1.1 / std are rounding, not 0
		 */
		ok = true;
		for (int t = 0; t < N; t++)
			vs[t] = 1.1 * t;
		for (int t = 0; t < N; t++)
			v[t] = 3 + 0.7 * t + 0.01 * t * t;
		for (int i = 0; i < 8; i++)
		{
			m.feature_std[0] = 0.3 + 7.7 * i;
			for (size_t e = 20; e <= N; e += 7)
				ok = ok && rnn_feature_effect(beta, &m, v, vs, N, e, &test_allocator) == RNN_OK &&
					beta[0] == 0;
		}
		m.feature_std[0] = 0.5;
		for (int t = 0; t < N; t++)
			v[t] = 10 + 0.1 * t + 3 * x[t];
		report(exact && ok,
			   "intervals: the floor's seasonal naive of the changes with the features' effect is exact on a trend, a season and the features' jumps; a time index as the feature has no effect");
	}

	/* too few rows, too many features: the plain naive forecast (beta 0) */
	ok = rnn_feature_effect(beta, &m, v, x, N, 2, &test_allocator) == RNN_OK && beta[0] == 0;
	m.n_features = RNN_FLOOR_MAX_FEATURES + 1;
	wide[0] = 1;
	ok = ok && rnn_feature_effect(wide, &m, v, v, N, 20, &test_allocator) == RNN_OK &&
		wide[0] == 0;
	m.n_features = 1;
	report(ok, "intervals: no features' effect from fewer rows than features + 2, nor beyond RNN_FLOOR_MAX_FEATURES");

	/* rnn_calibrate's floor on the series with noise, against the plain naive floor */
	for (int t = 0; t < N; t++)
		v[t] += 0.4 * sin(1.7 * t);
	for (size_t i = 0; i < m.n_params; i++)
		m.params[i] = (rnn_real) (0.05 * sin(0.7 * (double) i + 0.2));
	free(m.cal_err);
	m.cal_err = NULL;
	m.cal_scaled = 1;
	ok = rnn_calibrate(&m, v, x, N, first, H, 0, NULL, NULL, &test_allocator) == RNN_OK &&
		m.cal_steps == H && m.cal_n == (int) origins;
	/* by hand: the network's errors stored twice, floored by the plain naive and by the lesser */
	memset(&ref, 0, sizeof(ref));
	memset(&pl, 0, sizeof(pl));
	ok = ok && rnn_calibration_errors(err, &m, v, x, N, first, origins, H, NULL, NULL,
									  &test_allocator) == RNN_OK &&
		rnn_calibration_store(&ref, err, H, origins, &test_allocator) == RNN_OK &&
		rnn_calibration_errors(err, &m, v, x, N, first, origins, H, NULL, NULL,
							   &test_allocator) == RNN_OK &&
		rnn_calibration_store(&pl, err, H, origins, &test_allocator) == RNN_OK &&
		rnn_feature_effect(beta, &m, v, x, N, first, &test_allocator) == RNN_OK;
	rnn_naive_errors(naive, &m, v, NULL, NULL, N, first, origins, H, 0);
	rnn_calibration_floor(&pl, naive, origins);
	rnn_naive_errors(naive, &m, v, NULL, NULL, N, first, origins, H, 0);
	rnn_naive_errors(feat, &m, v, x, beta, N, first, origins, H, 0);
	rnn_floor_pick(naive, feat, H, origins);
	rnn_calibration_floor(&ref, naive, origins);
	plain = pl.cal_err;
	lower = false;
	for (size_t i = 0; ok && i < H * origins; i++)
	{
		same = same && m.cal_err[i] == ref.cal_err[i];
		below = below && m.cal_err[i] <= plain[i];
		lower = lower || m.cal_err[i] < plain[i];
	}
	report(ok && same && below && lower,
		   "intervals: a model with features floors its calibration by the lesser at each rank of the naive forecast's errors and those of the naive with the features' effect (as composed by hand): below the plain naive floor somewhere, above it nowhere");
	rnn_release(&test_allocator, pl.cal_err);
	rnn_release(&test_allocator, ref.cal_err);
	free_model(&m);
}

/*
 * A global model with features (rnn_calibrate_global): each series' floor
 * benchmarks pooled, the series that kept its season with the seasonal
 * naive too, each with its own features' effect, the floor the least of
 * them at each rank, as composed by hand.
 */
static void
test_floor_global(void)
{
	enum
	{
		H = 6
	};
	RnnModel	m,
				ref;
	RnnSeriesState st[2];
	double		v0[60],
				v1[50],
				x0[60],
				x1[50],
				beta[1];
	const double *vals[2] = {v0, v1},
			   *feats[2] = {x0, x1};
	size_t		len[2] = {60, 50},
				origin[2] = {54, 44};	/* held out: the 6 steps (0.1 x 52 and 0.1 x 42 are fewer) */
	int			lags[2] = {4, 0};
	float		err[H],
				pooled[H * 2],
				bench[4][H * 2];
	rnn_real	scaled[60];
	bool		ok = true,
				lower = false;
	RnnStatus	rs;

	make_feature_model(&m, 1, 8, 3);
	m.season = 4;
	free(m.cal_err);
	m.cal_err = NULL;
	for (size_t i = 0; i < m.n_params; i++)
		m.params[i] = (rnn_real) (0.05 * sin(0.7 * (double) i + 0.2));
	for (int t = 0; t < 60; t++)
	{
		x0[t] = (t * 7) % 5 == 1 ? 1 : 0;
		v0[t] = 100 + 0.5 * t + 6 * (t % 4 == 1) + 4 * x0[t] + 0.3 * sin(1.7 * t);
		if (t < 50)
		{
			x1[t] = (t * 3) % 7 == 2 ? 1 : 0;
			v1[t] = 40 - 0.2 * t + 3 * x1[t] + 0.4 * cos(1.1 * t);
		}
	}
	memset(st, 0, sizeof(st));
	for (int k = 0; k < 2; k++)
		ok = ok && rnn_pipeline_series_state(&st[k], vals[k], len[k], 4, 8, 0, 0, NULL, 0, scaled,
											 &test_allocator) == RNN_OK && st[k].n_seasonal == 0;
	m.n_series = 2;
	m.series = st;
	rs = rnn_calibrate_global(&m, vals, feats, len, H, 0.1, lags, NULL, NULL, &test_allocator);

	/* by hand: each series' errors at its origin, pooled (step h of series k at h * 2 + k) */
	for (int k = 0; ok && k < 2; k++)
	{
		RnnModel	view;

		rnn_model_series_view(&view, &m, k);
		view.cal_scaled = 1;
		ok = rnn_calibration_errors(err, &view, vals[k], feats[k], len[k], origin[k], 1, H,
									NULL, NULL, &test_allocator) == RNN_OK &&
			rnn_feature_effect(beta, &view, vals[k], feats[k], len[k], origin[k],
							   &test_allocator) == RNN_OK && beta[0] > 0;
		for (int h = 0; h < H; h++)
			pooled[h * 2 + k] = err[h];
		for (int b = 0; b < 4; b++)
		{
			rnn_naive_errors(err, &view, vals[k], feats[k], (b & 2) ? beta : NULL, len[k],
							 origin[k], 1, H, (b & 1) ? lags[k] : 0);
			for (int h = 0; h < H; h++)
				bench[b][h * 2 + k] = err[h];
		}
	}
	memset(&ref, 0, sizeof(ref));
	ok = ok && rnn_calibration_store(&ref, pooled, H, 2, &test_allocator) == RNN_OK;
	for (int b = 1; b < 4; b++)
		rnn_floor_pick(bench[0], bench[b], H, 2);
	rnn_calibration_floor(&ref, bench[0], 2);
	ok = ok && rs == RNN_OK && m.cal_steps == H && m.cal_n == 2 && ref.cal_n == 2;
	for (int i = 0; ok && i < H * 2; i++)
		ok = m.cal_err[i] == ref.cal_err[i];
	/* the plain naive floor alone is wider somewhere */
	rnn_release(&test_allocator, ref.cal_err);
	memset(&ref, 0, sizeof(ref));
	ok = ok && rnn_calibration_store(&ref, pooled, H, 2, &test_allocator) == RNN_OK;
	for (int k = 0; ok && k < 2; k++)
	{
		RnnModel	view;

		rnn_model_series_view(&view, &m, k);
		view.cal_scaled = 1;
		rnn_naive_errors(err, &view, vals[k], NULL, NULL, len[k], origin[k], 1, H, 0);
		for (int h = 0; h < H; h++)
			bench[0][h * 2 + k] = err[h];
	}
	rnn_calibration_floor(&ref, bench[0], 2);
	for (int i = 0; ok && i < H * 2; i++)
	{
		ok = m.cal_err[i] <= ref.cal_err[i];
		lower = lower || m.cal_err[i] < ref.cal_err[i];
	}
	report(ok && lower,
		   "intervals: a global model with features floors each series by its own features' effect (and the seasonal naive where it kept its season), the least at each rank of the pooled benchmarks as composed by hand, below the plain naive floor somewhere");
	rnn_release(&test_allocator, ref.cal_err);
	m.n_series = 0;
	m.series = NULL;
	for (int k = 0; k < 2; k++)
	{
		rnn_release(&test_allocator, st[k].seasonal);
		rnn_release(&test_allocator, st[k].history);
	}
	free_model(&m);
}

int
main(void)
{
	test_calendar();
	test_encoding();
	test_forecast();
	test_training();
	test_floor();
	test_floor_global();
	return finish("features");
}
