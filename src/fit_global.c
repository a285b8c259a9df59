/*
 * fit_global.c
 *	  Fitting one network to many series (a global model): each series is
 *	  regularised and put through its own pipeline (log, seasonal indices,
 *	  scale), the windows of all series train one network, and the
 *	  held-out ends of all series calibrate one set of intervals, on the
 *	  network's scale.  Used by rnn_train(series text, ts, value, config).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"

#include "rnn_pg.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_series.h"
#include "rnn_theta.h"
#include "rnn_train.h"

/* the series an error is about, for the error context */
typedef struct SeriesErrorArg
{
	const char *name;
	int			len;
} SeriesErrorArg;

static void
series_error_context(void *arg)
{
	SeriesErrorArg *e = arg;

	if (e->name)
		errcontext("series \"%.*s\"", e->len, e->name);
}

static const RnnNames *sort_names;

static int
name_order(const void *a, const void *b)
{
	int32		i = *(const int32 *) a;
	int32		j = *(const int32 *) b;
	int32		n = Min(sort_names->len[i], sort_names->len[j]);
	int			c = memcmp(sort_names->name[i], sort_names->name[j], n);

	if (c != 0)
		return c;
	return sort_names->len[i] < sort_names->len[j] ? -1 : sort_names->len[i] > sort_names->len[j];
}

/*
 * Regularise every series of a global aggregate's rows, in name order (the
 * model's records are sorted for lookups); all must share one time axis.
 * Errors name the series.
 */
RnnGlobalData *
rnn_global_collect(const RnnRows *rows, const RnnConfig *cfg, const char *fname)
{
	const RnnNames *names = rows->names;
	int32		ns = names->n;
	int32	   *by_name = palloc(sizeof(int32) * ns);
	int32	   *order = NULL;
	RnnGlobalData *g = palloc0(sizeof(RnnGlobalData));
	SeriesErrorArg earg = {NULL, 0};
	ErrorContextCallback ecb;

	if (cfg->strategy == RNN_STRATEGY_SEQ2SEQ || cfg->bidirectional)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: a global model does not take %s", fname,
						cfg->strategy == RNN_STRATEGY_SEQ2SEQ ? "strategy => 'seq2seq'" : "bidirectional => true"),
				 errhint("A global model's strategy is auto (mixed), mixed, recursive or direct, with bidirectional => false.")));
	if (cfg->scaling != RNN_CONFIG_SCALE_AUTO && cfg->scaling != RNN_SCALE_WINDOW)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: a global model needs scaling => 'auto' or 'window', not '%s'", fname,
						rnn_scaling_name(cfg->scaling)),
				 errdetail("Each series is scaled by itself and its windows taken relative to their last value.")));

	for (int32 i = 0; i < ns; i++)
		by_name[i] = i;
	sort_names = names;
	qsort(by_name, ns, sizeof(int32), name_order);

	g->name = palloc(sizeof(char *) * ns);
	g->name_len = palloc(sizeof(int32) * ns);
	g->series = palloc0(sizeof(RnnSeries) * ns);
	g->axes = palloc0(sizeof(RnnAxis) * ns);
	g->n_user = rows->n_feat;
	g->feat = palloc0(sizeof(double *) * ns);
	g->feat_filled = palloc0(sizeof(bool *) * ns);
	g->zeros_dropped = palloc0(sizeof(bool) * ns);
	g->ref = -1;

	ecb.callback = series_error_context;
	ecb.arg = &earg;
	ecb.previous = error_context_stack;
	error_context_stack = &ecb;
	g->ns = 0;
	for (int32 j = 0; j < ns; j++)
	{
		int32		i = by_name[j];
		int32		k = g->ns;
		RnnRows    *one;
		size_t		rows_k;

		CHECK_FOR_INTERRUPTS();
		one = rnn_rows_of_series(rows, &order, i);
		/*
		 * a series without a value (a store LEFT JOINed to a calendar before
		 * its first sale) is left out, as one without rows is
		 */
		if (ns > 1 && !rnn_rows_has_value(one))
		{
			rnn_rows_free(one);
			continue;
		}
		g->ns++;
		g->name[k] = names->name[i];
		g->name_len[k] = names->len[i];
		earg.name = g->name[k];
		earg.len = g->name_len[k];
		/* (the step comes from every row's timestamp, values or not) */
		rows_k = one->n;
		rnn_rows_to_series(&g->series[k], &g->axes[k], one, cfg, fname);
		/*
		 * the zeros before a launch are left out where the series may be
		 * logged (one series' rule, rnn_pipeline_launch_zeros; three values
		 * after them give a spread), before the features take the same grid
		 */
		if (cfg->log != 0)
		{
			size_t		z = rnn_pipeline_launch_zeros(g->series[k].values, g->series[k].n,
													  RNN_PIPELINE_LAUNCH_REST);

			rnn_series_drop_lead(&g->series[k], z);
			g->zeros_dropped[k] = z > 0;
		}
		if (one->n_feat > 0)
			g->feat[k] = rnn_rows_features_to_grid(one, &g->series[k], cfg, &g->feat_filled[k], fname);
		rnn_rows_free(one);
		if (rows_k >= 2 || ns == 1)
		{
			if (g->ref < 0)
				g->ref = k;
			else if (g->axes[k].step_kind != g->axes[g->ref].step_kind ||
					 g->axes[k].step != g->axes[g->ref].step)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: the series of a global model must share one step", fname),
						 errdetail("Series \"%.*s\" has another step than series \"%.*s\".",
								   g->name_len[k], g->name[k],
								   g->name_len[g->ref], g->name[g->ref]),
						 errhint("Train series of different frequencies in different groups.")));
		}
	}
	error_context_stack = ecb.previous;
	if (g->ns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: all values are NULL or NaN", fname),
				 errdetail("No series has a value to train on.")));
	if (g->ref < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: every series has a single row", fname),
				 errdetail("A global model needs at least one series with two rows to find the step.")));
	pfree(by_name);
	return g;
}

/*
 * Why a global warm start cannot keep the log of a series the model knows
 * (rnn_warm_log_mismatch for each, after the spikes the training replaces,
 * at the season it replaces them at), or NULL.
 */
static char *
global_warm_log_mismatch(const RnnModel *init, const RnnGlobalData *g, const RnnConfig *cfg)
{
	int			season = -1;

	for (int32 k = 0; init->n_series > 0 && k < g->ns; k++)
	{
		int32		w = rnn_model_find_series(init, g->name[k], g->name_len[k]);
		char	   *why;

		if (w < 0)
			continue;
		if (season < 0 && rnn_pipeline_despike(cfg->despike, RNN_SCALE_WINDOW, true,
											   rnn_model_imported(init), init->despike, 0))
			season = rnn_pipeline_choose_season(cfg->season, true, init->season, init->ts_kind,
												g->axes[k].ts_kind, g->axes[k].step_kind,
												g->axes[k].step, NULL, 0, NULL, NULL);
		why = rnn_warm_log_mismatch(init->series[w].log_transform != 0, cfg, &g->axes[k],
									g->series[k].values, g->series[k].n, season,
									g->name[k], g->name_len[k]);
		if (why)
			return why;
	}
	return NULL;
}

void
rnn_fit_global(RnnModel *m, const RnnRows *rows, const RnnConfig *cfg, const RnnModel *init,
			   const char *fname)
{
	RnnGlobalData *g = rnn_global_collect(rows, cfg, fname);
	char	   *why = init ? global_warm_log_mismatch(init, g, cfg) : NULL;
	size_t		longest = 0;

	/* the log first, as for one series; then what rnn_warm_start_or_cold checks */
	if (why && !cfg->init_mismatch_cold)
		rnn_warm_log_error(why, fname);
	if (why)
	{
		rnn_warm_cold_notice(why, cfg->group, fname);
		init = NULL;
	}
	for (int32 k = 0; k < g->ns; k++)
		longest = Max(longest, g->series[k].n);
	init = rnn_warm_start_or_cold(init, &g->axes[g->ref], longest, NULL, g->n_user, cfg,
								  RNN_GLOBAL_STRATEGY, true, fname);
	if (init && init->n_series > 0)
	{
		/*
		 * a model holds the series of its rows: the warm-start model's others
		 * are not in it, which a nightly job on recent rows should hear of
		 */
		bool	   *seen = palloc0(sizeof(bool) * init->n_series);
		int32		missing = init->n_series;
		int32		first = -1;

		for (int32 k = 0; k < g->ns; k++)
		{
			int32		w = rnn_model_find_series(init, g->name[k], g->name_len[k]);

			if (w >= 0 && !seen[w])
			{
				seen[w] = true;
				missing--;
			}
		}
		for (int32 w = 0; w < init->n_series && first < 0; w++)
			if (!seen[w])
				first = w;
		if (missing > 0)
			ereport(NOTICE,
					(errmsg("%s: %d series of the warm-start model %s no rows here and %s not in the new model",
							fname, missing, missing == 1 ? "has" : "have", missing == 1 ? "is" : "are"),
					 errdetail("The first is \"%s\". The group has %s.",
							   pnstrdup(init->series[first].name, init->series[first].name_len),
							   cfg->group ? cfg->group : "no rows described"),
					 errhint("A model holds the series of the rows it is trained on: train on every series' rows to keep them.")));
		pfree(seen);
	}
	rnn_fit_global_data(m, g, 0, NULL, cfg, init, fname);
}

static void fit_global_cuts(RnnModel *m, const RnnGlobalData *g, size_t cut, const size_t *cuts,
							const RnnConfig *cfg, const RnnModel *init, const RnnModel *pipeline,
							const char *fname, const instr_time *start);

/*
 * Fit a global model to g's series without their last `cut` points (a
 * backtest's fold; 0 to train on everything), or without their last
 * cuts[k] (g's series k) when cuts is not NULL.  Series left with fewer
 * than two points are left out.
 */
void
rnn_fit_global_data(RnnModel *m, const RnnGlobalData *g, size_t cut, const size_t *cuts,
					const RnnConfig *cfg, const RnnModel *init, const char *fname)
{
	fit_global_cuts(m, g, cut, cuts, cfg, init, NULL, fname, NULL);
}

/*
 * Each series' Theta weight, chosen by validation (rnn_theta_choose_weight):
 * a second global model, trained by the same configuration with one member
 * and without the combination, on every series without its tail (rnn_theta_selection_global;
 * the series m was trained on, series[k] for m->series[k], are g's without
 * their last `cut` points), and each series' own pipeline choices, forecasts
 * the tails (outer_cuts: g's series k cut by outer_cuts[k] instead, when
 * not NULL).  A series too short for a tail keeps the model's weight.  When
 * the network alone beat the combination at those weights, pooled over the
 * validated series (rnn_theta_combination_kept), the model drops the
 * combination: weight 0 for the model and every series.
 */
static void
choose_series_weights(RnnModel *m, const RnnGlobalData *g, const int32 *pick,
					  const RnnSeries *series, size_t cut, const size_t *outer_cuts,
					  const RnnConfig *cfg, const char *fname,
					  const instr_time *start, RnnFitProgress *prog)
{
	size_t	   *cuts = palloc(sizeof(size_t) * g->ns);
	size_t	   *tails = palloc0(sizeof(size_t) * m->n_series);
	size_t	   *origins = palloc0(sizeof(size_t) * m->n_series);
	bool		any = false;
	double		pooled[3] = {0, 0, 0};
	int32		validated = 0;
	RnnConfig	sub = *cfg;
	RnnModel	mv;
	MemoryContext cxt,
				old;

	/* a series not validated is left out of the second model */
	for (int32 k = 0; k < g->ns; k++)
		cuts[k] = g->series[k].n;
	for (int32 k = 0; k < m->n_series; k++)
		if (rnn_theta_selection_global(series[k].n, cfg->horizon, m->window, &tails[k], &origins[k]))
		{
			cuts[pick[k]] = (outer_cuts ? outer_cuts[pick[k]] : cut) + tails[k];
			any = true;
		}
	if (!any)
		return;
	sub.theta_weight = 0;
	/* one member: a third of the default's cost, the same weights on the M3 folds (README) */
	sub.ensemble = 1;
	/* its notices' DETAIL: the group's rows, and what the second model leaves out */
	sub.group = cfg->group ? psprintf("%s, without each validated series' last points", cfg->group) : NULL;
	sub.season = m->season;
	sub.window = m->window;
	/* the second model's memory is freed as soon as the weights are known */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "rnn_forecast theta_weight validation",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	fit_global_cuts(&mv, g, 0, cuts, &sub, NULL, m, psprintf("%s (validating theta_weight)", fname),
					start);
	/* whether it forecasts below 0 is the model's it stands for (the cut rows may not say) */
	mv.nonnegative = m->nonnegative;
	for (int32 k = 0; k < m->n_series; k++)
	{
		RnnSeriesState *st = &m->series[k];
		RnnModel	view;
		int32		i;
		size_t		n = series[k].n;
		double		e[3] = {NAN, NAN, NAN};

		if (origins[k] == 0 ||
			(i = rnn_model_find_series(&mv, st->name, st->name_len)) < 0)
			continue;
		rnn_model_series_view(&view, &mv, i);
		rnn_report_status(rnn_theta_choose_weight(&st->theta_weight, e, &view, n - tails[k],
												  series[k].values, n, n - tails[k], origins[k],
												  cfg->horizon, m->theta_weight,
												  prog->hooks.check, prog->hooks.arg,
												  &rnn_palloc_allocator),
						  fname);
		/* the series whose three errors are all finite (the combination's needs both forecasts) */
		if (isfinite(e[0]) && isfinite(e[1]) && isfinite(e[2]))
		{
			for (int j = 0; j < 3; j++)
				pooled[j] += e[j];
			validated++;
		}
	}
	MemoryContextSwitchTo(old);
	/* the figures kept in the model, and the combination itself, pooled over the validated series */
	if (!rnn_theta_pool_decide(m, pooled, (size_t) validated))
		ereport(rnn_progress ? NOTICE : DEBUG1,
				(errmsg("%s: no combination with Theta: the network alone was better on the validation",
						fname),
				 errdetail("Mean validation error over %d series: the network alone %.4g, combined with Theta %.4g.",
						   validated, m->theta_validation.network, m->theta_validation.combined)));
	MemoryContextDelete(cxt);
}

/*
 * rnn_fit_global_data with each series' own cut (cuts[k] for g's series k;
 * NULL: `cut` for all).  pipeline: a model whose series keep their log and
 * seasonal choices (the deployed model a validation model stands for), or
 * NULL.  start: the outer training's start when this model validates
 * another's weights (the time limit counts from there; no calibration, no
 * weights chosen), else NULL.
 */
static void
fit_global_cuts(RnnModel *m, const RnnGlobalData *g, size_t cut, const size_t *cuts,
				const RnnConfig *cfg, const RnnModel *init, const RnnModel *pipeline,
				const char *fname, const instr_time *start)
{
	int32		ns = 0;
	int32	   *pick = palloc(sizeof(int32) * g->ns);
	int32	   *spikes;		/* (ns) each series' spikes replaced */
	RnnSeries  *series = palloc(sizeof(RnnSeries) * g->ns);
	RnnAxis    *axes = palloc(sizeof(RnnAxis) * g->ns);
	size_t	   *seg_start = palloc(sizeof(size_t) * g->ns);
	size_t	   *seg_len = palloc(sizeof(size_t) * g->ns);
	size_t		total = 0;
	int32		ref = g->ref;
	int			outputs;
	int			season,
				window;
	rnn_real   *scaled;
	int		   *floor_lags;		/* each series' rnn_floor_lag */
	double	  **F = palloc0(sizeof(double *) * g->ns);	/* each series' features, unscaled */
	rnn_real   *Fs = NULL;
	SeriesErrorArg earg = {NULL, 0};
	ErrorContextCallback ecb;
	RnnTrainSpec spec;
	RnnFitProgress prog;
	instr_time	t0;
	double		sum_train = 0,
				sum_val = 0;
	int			trained = 0;	/* members that kept a trained epoch */
	bool		warm = init != NULL;
	bool		keep_weights;
	RnnConfig	resolved = rnn_config_resolve(cfg, init, RNN_GLOBAL_STRATEGY);

	cfg = &resolved;
	outputs = cfg->strategy == RNN_STRATEGY_RECURSIVE ? 1 : cfg->horizon;
	if (start)
		t0 = *start;
	else
		INSTR_TIME_SET_CURRENT(t0);
	if (warm && init->n_series == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the warm-start model is a single-series model", fname),
				 errhint("Warm-start a global model from a global model, or use rnn_train(ts, value, config, init).")));
	/* the series that keep at least two points (all of them when cut is 0) */
	for (int32 k = 0; k < g->ns; k++)
	{
		size_t		c = cuts ? cuts[k] : cut;

		if (c == 0 || g->series[k].n >= c + 2)
		{
			pick[ns] = k;
			series[ns] = g->series[k];
			series[ns].n -= c;
			axes[ns] = g->axes[k];
			total += series[ns].n;
			ns++;
		}
	}
	if (ns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: no series keeps two rows before the last %zu", fname, cut)));
	ecb.callback = series_error_context;
	ecb.arg = &earg;
	ecb.previous = error_context_stack;
	error_context_stack = &ecb;

	memset(m, 0, sizeof(*m));
	m->ts_kind = g->axes[ref].ts_kind;
	m->step_kind = g->axes[ref].step_kind;
	strlcpy(m->time_zone, g->axes[ref].time_zone, sizeof(m->time_zone));
	m->step = g->axes[ref].step;
	m->strategy = cfg->strategy;
	m->scaling = RNN_SCALE_WINDOW;
	m->scale_std = 1;			/* each series keeps its own scale */
	if (warm && !rnn_axis_matches(init, &g->axes[ref]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: warm-start model was trained on a different time axis", fname),
				 errdetail_internal("%s", rnn_warm_axis_text(init, &g->axes[ref]))));

	/*
	 * season: given, the warm-start model's (unless it has neither a time
	 * axis nor a season), from the step, or from the longest series
	 */
	{
		int32		longest = 0;

		for (int32 k = 1; k < ns; k++)
			if (series[k].n > series[longest].n)
				longest = k;
		season = rnn_pipeline_choose_season(cfg->season, warm, warm ? init->season : 1,
											warm ? init->ts_kind : RNN_TS_NONE,
											m->ts_kind, m->step_kind, m->step,
											series[longest].values, series[longest].n,
											rnn_check_interrupts, NULL);
	}

	/*
	 * window: two seasons (at least 12 steps) but at most half the median
	 * series, so that most series give windows; shorter series are padded
	 */
	{
		size_t	   *len = palloc(sizeof(size_t) * ns);

		for (int32 k = 0; k < ns; k++)
			len[k] = series[k].n;
		window = rnn_pipeline_choose_window(cfg->window, warm, warm ? init->window : 0, season,
											rnn_pipeline_global_room(len, ns, outputs), 0);
		pfree(len);
	}

	/*
	 * each series' one-point spikes replaced (as for one series), before its
	 * pipeline, windows and history read it; a model with features or the
	 * calendar's keeps them (a feature may explain a spike)
	 */
	m->despike = rnn_pipeline_despike(cfg->despike, RNN_SCALE_WINDOW, warm,
									  warm && rnn_model_imported(init), warm ? init->despike : 0,
									  g->n_user + (cfg->calendar ? 1 : 0));
	spikes = palloc0(sizeof(int32) * ns);
	for (int32 j = 0; m->despike && j < ns; j++)
	{
		size_t		count;

		CHECK_FOR_INTERRUPTS();
		series[j].values = rnn_pipeline_despiked(series[j].values, series[j].n, season, cfg->log,
												 &count, &rnn_palloc_allocator);
		spikes[j] = (int32) count;
	}

	/*
	 * features: each series' own and its calendar's (relative to its last
	 * row, over its whole grid; a backtest's fold uses the first rows)
	 */
	for (int32 k = 0; k < ns; k++)
	{
		const RnnSeries *whole = &g->series[pick[k]];

		earg.name = g->name[pick[k]];
		earg.len = g->name_len[pick[k]];
		/* (the series' own axis: its calendar's steps are those its forecasts take) */
		m->last_ts = axes[k].last_ts;
		m->month_end = axes[k].month_end && m->step_kind == RNN_STEP_MONTHS;
		F[k] = rnn_fit_features(m, g->feat[pick[k]], g->n_user, whole->n, 0, cfg, init, fname);
	}
	earg.name = NULL;
	/* the model's own: its latest series' last row and month ends (each series keeps its own) */
	for (int32 k = 0; k < ns; k++)
		if (k == 0 || axes[k].last_ts > m->last_ts)
		{
			m->last_ts = axes[k].last_ts;
			m->month_end = axes[k].month_end && m->step_kind == RNN_STEP_MONTHS;
		}
	if (m->n_features > 0 && cfg->strategy == RNN_STRATEGY_SEQ2SEQ)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: features cannot be combined with strategy => 'seq2seq'", fname)));

	m->theta_weight = rnn_theta_weight(cfg->theta_weight, true, m->n_features,
									   warm && rnn_model_imported(init),
									   season > 1 && cfg->deseasonalize == 0,
									   warm ? init->theta_weight : -1);
	/* a warm start that kept its model's weight keeps its series' too (below) */
	keep_weights = warm && cfg->theta_weight < 0 && m->theta_weight > 0 && init->theta_weight > 0;
	rnn_fit_architecture(m, cfg, window, outputs, fname);
	rnn_check_training_memory(m, cfg, window, total, total, fname);
	if (warm)
		rnn_check_warm_start(init, &m->shape, window, cfg->strategy, rnn_config_members(cfg), fname);
	m->window = window;
	m->season = season;
	m->members = rnn_config_members(cfg);
	rnn_fit_init_params(m, cfg, init);

	/*
	 * deseasonalize => true without a season to remove is an error, as for
	 * one series; a series of the model too short for indices (two seasons
	 * and a point) goes without them, as short series go without windows,
	 * and rnn_model_info's pipeline counts those deseasonalized
	 */
	if (cfg->deseasonalize == 1 && (season < 2 || season > RNN_MAX_SEASON_INDICES))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: deseasonalize => true needs a season of 2 to %d steps",
						fname, RNN_MAX_SEASON_INDICES),
				 errdetail("The season is %d.", season),
				 errhint("Give a season, or leave deseasonalize unset.")));

	/* every series through its pipeline, onto the network's scale */
	scaled = palloc_extended(sizeof(rnn_real) * Max(total, 1), MCXT_ALLOC_HUGE);
	m->n_series = ns;
	m->series = palloc0(sizeof(RnnSeriesState) * ns);
	floor_lags = palloc0(sizeof(int) * ns);
	total = 0;
	for (int32 k = 0; k < ns; k++)
	{
		RnnSeriesState *st = &m->series[k];
		RnnStatus	rs;
		int			log_mode = cfg->log;
		int			ds_mode = cfg->deseasonalize;
		const double *given = NULL;
		int			given_phase = 0;

		CHECK_FOR_INTERRUPTS();
		earg.name = g->name[pick[k]];
		earg.len = g->name_len[pick[k]];
		st->theta_weight = m->theta_weight;
		if (warm || pipeline)
		{
			/* a known series keeps its pipeline choices and its Theta weight */
			const RnnModel *from = warm ? init : pipeline;
			int			w = rnn_model_find_series(from, earg.name, earg.len);

			if (w >= 0)
			{
				RnnModel	known;
				int64		steps;

				log_mode = from->series[w].log_transform;
				ds_mode = from->series[w].n_seasonal > 0;
				if (keep_weights)
					st->theta_weight = init->series[w].theta_weight;

				/*
				 * its indices, for rows too few to estimate them again,
				 * placed at this fit's last point: a model this one
				 * validates fitted the same series from the same first
				 * point (its rows more); a warm start's last point is
				 * `steps` on the time axis after the model's last of the
				 * series (a warm start cuts nothing)
				 */
				rnn_model_series_view(&known, from, w);
				if (known.n_seasonal == season &&
					(!warm || (known.ts_kind != RNN_TS_NONE && known.ts_kind == axes[k].ts_kind &&
							   rnn_steps_from_last(&known, axes[k].ts_kind, axes[k].last_ts, &steps, NULL))))
				{
					given = known.seasonal;
					given_phase = rnn_pipeline_phase(&known, known.phase_last,
													 (long) (warm ? steps % season :
															 -((from->series[w].rows - (int64) series[k].n) % season)));
				}
			}
		}
		rs = rnn_pipeline_series_state(st, series[k].values, series[k].n, season, window,
									   log_mode, ds_mode, given, given_phase, scaled + total,
									   &rnn_palloc_allocator);
		if (rs == RNN_ERR_DOMAIN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: log => true needs positive values", fname),
					 errhint("Leave log unset: it is used only for series whose values are all positive.")));
		if (rs == RNN_ERR_LIMIT && (st->scale_std < 1e-300 || (st->spread != 0 && st->spread < 1e-300)))
			rnn_values_too_small(fname, st->spread != 0 && st->spread < st->scale_std ? st->spread : st->scale_std);
		if (rs == RNN_ERR_NONFINITE || rs == RNN_ERR_LIMIT)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: values are too large to train on", fname),
					 rs == RNN_ERR_LIMIT ? errdetail("Their mean or spread exceeds 1e300 in magnitude.") : 0,
					 errhint("Rescale the values, e.g. divide them by a power of ten.")));
		rnn_report_status(rs, fname);
		/* the calibration's floor: the seasonal naive too where the season stays */
		floor_lags[k] = rnn_floor_lag(season, st->n_seasonal, ds_mode);
		if (m->n_features > 0)
		{
			/* the history's rows: each value with the features of its step */
			int			K = m->n_features;
			double	   *rows = palloc(sizeof(double) * Max(st->n_history, 1) * (1 + K));

			for (int32 t = 0; t < st->n_history; t++)
			{
				size_t		i = series[k].n - st->n_history + t;

				rows[(size_t) t * (1 + K)] = st->history[t];
				memcpy(rows + (size_t) t * (1 + K) + 1, F[k] + i * K, sizeof(double) * K);
			}
			st->history = rows;
		}
		st->name = g->name[pick[k]];
		st->name_len = g->name_len[pick[k]];
		st->last_ts = axes[k].last_ts;
		st->month_end = axes[k].month_end && m->step_kind == RNN_STEP_MONTHS;
		/* a series never below 0 is not forecast below 0, whatever the others are */
		st->nonnegative = rnn_series_nonnegative(g->series[pick[k]].values, series[k].n);
		st->leading_zeros_dropped = g->zeros_dropped[pick[k]];
		st->spikes_replaced = spikes[k];
		st->rows = (int64) series[k].n;
		seg_start[k] = total;
		seg_len[k] = series[k].n;
		if (series[k].n < (size_t) window + outputs)
			m->n_short++;
		total += series[k].n;
	}
	earg.name = NULL;
	if (m->n_short == ns)
	{
		size_t		longest_n = 0;

		for (int32 k = 0; k < ns; k++)
			longest_n = Max(longest_n, series[k].n);
		/*
		 * the automatic window (at least 2) fits the longest series when
		 * any series leaves it room: the rows that takes are the need
		 */
		if (cfg->window <= 0 && !warm)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: no series is long enough for a window and %d output%s", fname,
							outputs, outputs == 1 ? "" : "s"),
					 errdetail("The longest series has %zu rows; the automatic window of at least 2 and %d output%s need %d.",
							   longest_n, outputs, outputs == 1 ? "" : "s", outputs + 2),
					 errhint("Add rows, choose a smaller horizon, or set window => 1.")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: no series is long enough for a window of %d and %d output%s", fname,
						window, outputs, outputs == 1 ? "" : "s"),
				 errdetail("The longest series has %zu rows.", longest_n),
				 warm ? errhint("The warm-start model reads windows of %d steps: add rows, or train from scratch (on_init_mismatch => 'cold' does when the rows are too few).", window) :
				 errhint("Choose a smaller window.")));
	}

	/*
	 * log series share one scale, the median spread of their changes: the
	 * loss then weighs relative errors alike in every series, as sMAPE and
	 * MAPE-like measures do, and the inputs stay near unit size
	 */
	rnn_report_status(rnn_pipeline_share_log_scale(m->series, ns, scaled, seg_start, seg_len,
												   &rnn_palloc_allocator), fname);
	/* and a series without a spread of its own is scaled by its level times theirs */
	rnn_report_status(rnn_pipeline_scale_spreadless(m->series, ns, scaled, seg_start, seg_len,
													&rnn_palloc_allocator), fname);

	if (m->n_features > 0)
	{
		/* the features of all series, in the order of the values, scaled alike */
		int			K = m->n_features;
		double	   *all = palloc_extended(sizeof(double) * Max(total, 1) * K, MCXT_ALLOC_HUGE);

		for (int32 k = 0; k < ns; k++)
			memcpy(all + seg_start[k] * K, F[k], sizeof(double) * seg_len[k] * K);
		Fs = rnn_fit_scale_features(m, all, total, init);
		pfree(all);
	}

	/* one network over the windows of all series */
	rnn_fit_train_spec(&spec, m, cfg);
	spec.n_features = m->n_features;
	spec.features = Fs;
	rnn_fit_progress_init(&prog, t0, cfg, fname);
	for (int k = 0; k < m->members; k++)
	{
		RnnTrainResult res;
		RnnStatus	rs;

		prog.member = k;
		spec.seed = (uint64_t) cfg->seed + 7919 * (uint64_t) k;
		rs = rnn_fit_train_member(m, k, warm, &res, scaled, seg_start, seg_len, ns, &spec,
								  &prog.hooks);
		rnn_report_status(rs == RNN_ERR_LIMIT ? RNN_ERR_ARGUMENT : rs, fname);
		rnn_fit_sum_losses(&res, &sum_train, &trained, &sum_val);
		if (k == 0)
			rnn_fit_keep_history(m, &res);
	}
	m->train_loss = trained > 0 ? sum_train / trained : -1.0;
	m->val_loss = m->loss_val[0] >= 0 || m->best_epoch == 0 ? sum_val / m->members : -1.0;
	m->rows = (int64) total;
	m->seed = (uint64_t) cfg->seed;
	m->naive_scale = 0;
	/* every series at least 0: none of them is forecast below it */
	m->nonnegative = true;
	for (int32 k = 0; k < ns && m->nonnegative; k++)
		m->nonnegative = rnn_series_nonnegative(g->series[pick[k]].values, series[k].n);

	/*
	 * each series' own Theta weight, when the weight is automatic (before
	 * the intervals, which are calibrated on the combined forecasts)
	 */
	if (m->theta_weight > 0 && cfg->theta_weight < 0 && !warm && !start)
		choose_series_weights(m, g, pick, series, cut, cuts, cfg, fname, &t0, &prog);

	/*
	 * intervals: one forecast from the start of every series' held-out end,
	 * errors on each series' scale, pooled, floored by the naive forecast's
	 * (rnn_calibrate_global); not for a model that validates another's weights
	 */
	if (!start)
	{
		const double **vals = palloc(sizeof(double *) * ns);
		size_t	   *len = palloc(sizeof(size_t) * ns);

		for (int32 k = 0; k < ns; k++)
		{
			vals[k] = series[k].values;
			len[k] = series[k].n;
		}
		rnn_report_status(rnn_calibrate_global(m, vals, (const double *const *) F, len,
											   cfg->horizon, cfg->validation_fraction,
											   floor_lags,
											   prog.hooks.check, prog.hooks.arg,
											   &rnn_palloc_allocator),
						  fname);
		pfree(vals);
		pfree(len);
	}
	error_context_stack = ecb.previous;

	rnn_fit_finish(m, cfg, t0);
}
