/*
 * warm_start.c
 *	  Whether a warm-start model (rnn_train's init) continues these rows and
 *	  this configuration: its architecture, time axis, features, log and
 *	  seasonal adjustment; the errors that say why not, the NOTICE of
 *	  on_init_mismatch => 'cold' that sets it aside, and the NOTICE of a
 *	  setting the warm start keeps from its model.  Used by fit.c (one
 *	  series), fit_global.c and train.c.
 */
#include "postgres.h"

#include "rnn_pg.h"
#include "rnn_calendar.h"
#include "rnn_pipeline.h"


/*
 * How the architecture of a warm-start model differs from the
 * configuration's (a sentence for errdetail), or NULL when it matches.
 */
static char *
warm_start_mismatch(const RnnModel *init, const RnnShape *s, int window, int strategy, int members)
{
	bool		mixed = strategy == RNN_STRATEGY_MIXED;

	struct
	{
		const char *label;
		int			model;
		int			config;
		bool		flag;		/* named true or false, as the configuration spells it */
	}			dims[] = {
		{"hidden_size", init->shape.hidden_size, s->hidden_size, false},
		{"num_layers", init->shape.num_layers, s->num_layers, false},
		{"bidirectional", init->shape.bidirectional, s->bidirectional, true},
		{init->shape.seq2seq ? "output size (the decoder's steps, horizon)" :
			"output size (horizon, under strategy direct or mixed)",
		init->shape.output_size, s->output_size, false},
		{"input_size", init->shape.input_size, s->input_size, false},
		{"window", init->window > 0 ? init->window : window, window, false},
		{mixed ? "ensemble (members of each kind)" : "ensemble", mixed ? init->members / 2 : init->members,
		mixed ? members / 2 : members, false},
	};

	if (init->shape.cell != s->cell)
		return psprintf("The model's cell is %s, the configuration's is %s.",
						rnn_cell_name(init->shape.cell), rnn_cell_name(s->cell));
	/*
	 * another kind of network: mixed members, or an encoder-decoder's
	 * decoder, whose weights the other has not (its weights would be read
	 * in the other's layout); or another strategy with another output size
	 */
	if ((init->strategy == RNN_STRATEGY_MIXED) != mixed ||
		(init->shape.seq2seq != 0) != (s->seq2seq != 0) ||
		(init->shape.output_size != s->output_size && init->strategy != strategy &&
		 init->strategy != RNN_STRATEGY_AUTO))
		return psprintf("The model's strategy is %s, the configuration's is %s.",
						rnn_strategy_name(init->strategy), rnn_strategy_name(strategy));
	for (size_t i = 0; i < lengthof(dims); i++)
		if (dims[i].model != dims[i].config && dims[i].flag)
			return psprintf("The model's %s is %s, the configuration's is %s.", dims[i].label,
							dims[i].model ? "true" : "false", dims[i].config ? "true" : "false");
		else if (dims[i].model != dims[i].config)
			return psprintf("The model's %s is %d, the configuration's is %d.",
							dims[i].label, dims[i].model, dims[i].config);
	return NULL;
}

/* Compare the architecture of a warm-start model with the configuration. */
void
rnn_check_warm_start(const RnnModel *init, const RnnShape *s, int window, int strategy, int members,
					 const char *fname)
{
	char	   *why = warm_start_mismatch(init, s, window, strategy, members);

	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: warm-start model does not match the configuration", fname),
				 errdetail_internal("%s", why),
				 errhint("Give the configuration the model's architecture; only window may be left out to take the model's, or set on_init_mismatch => 'cold' to train from scratch instead.")));
}

/*
 * Whether a model was made by rnn_model_from_json (from PyTorch, or a
 * model's JSON moved in): it records no training configuration, which
 * every model trained by rnn_train since format 4 does.
 */
bool
rnn_model_imported(const RnnModel *m)
{
	return m->format_version >= 4 && m->config[0] == '\0';
}

/*
 * A warm start keeps its model's part of the pipeline (kept) where the
 * configuration names another (asked): its weights learnt on that scale.
 * A NOTICE, not an error, so that a nightly job's one configuration serves
 * the first training and the warm starts after it.
 */
void
rnn_warm_kept_notice(const char *fname, const RnnConfig *cfg, const char *kept, const char *asked)
{
	ereport(NOTICE,
			(errmsg("%s: the warm start keeps the model's %s; %s is not applied", fname, kept, asked),
			 cfg->group ?
			 errdetail("A warm start continues on the scale its weights learnt. Training on %s.", cfg->group) :
			 errdetail("A warm start continues on the scale its weights learnt."),
			 errhint("Train without the model to change it.")));
}

/*
 * Whether a warm-start model's time axis continues these rows': the same
 * timestamp type and step (a grid of local days and one of absolute days
 * are the same network input).  A model without a time axis (imported, or
 * trained on ORDER BY rows) continues on rows of any axis and takes theirs;
 * a model with one does not continue on ORDER BY rows (see
 * rnn_check_warm_axis).
 */
bool
rnn_axis_matches(const RnnModel *init, const RnnAxis *axis)
{
	bool		days = (init->step_kind == RNN_STEP_UNITS || init->step_kind == RNN_STEP_LOCAL_DAYS) &&
		(axis->step_kind == RNN_STEP_UNITS || axis->step_kind == RNN_STEP_LOCAL_DAYS);

	if (init->ts_kind == RNN_TS_NONE)
		return true;
	return init->ts_kind == axis->ts_kind &&
		(axis->ts_kind == RNN_TS_NONE ||
		 ((init->step_kind == axis->step_kind || days) && init->step == axis->step));
}

/*
 * Refuse a warm start whose model's time axis these rows do not continue
 * (n rows: one row has no step to compare).  A model without an axis fits
 * any rows; a model with one is refused on ORDER BY rows rather than
 * silently losing the timestamps its forecasts carry.
 */
void
rnn_check_warm_axis(const RnnModel *init, const RnnAxis *axis, size_t n, const char *fname)
{
	if (init->ts_kind == RNN_TS_NONE)
		return;
	if (axis->ts_kind == RNN_TS_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: warm-start model has a time axis; rows in ORDER BY order have none", fname),
				 errdetail("The model was trained on %s timestamps; the new model would forecast steps without them.",
						   rnn_ts_kind_name(init->ts_kind)),
				 errhint("Continue on time-stamped rows with rnn_train(ts, value, config, init).")));
	if (init->ts_kind != axis->ts_kind || (n > 1 && !rnn_axis_matches(init, axis)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: warm-start model was trained on a different time axis", fname),
				 errdetail_internal("%s", rnn_warm_axis_text(init, axis))));
}

/* The time axes of a warm-start model and of its rows, told apart: type and step of each. */
char *
rnn_warm_axis_text(const RnnModel *init, const RnnAxis *axis)
{
	RnnModel   *rows = palloc0(sizeof(RnnModel));

	rnn_model_set_axis(rows, axis);
	return psprintf("The model's timestamps are %s, a step of %s; these rows' are %s, a step of %s.",
					rnn_ts_kind_name(init->ts_kind), rnn_step_text(init),
					rnn_ts_kind_name(rows->ts_kind), rnn_step_text(rows));
}

/*
 * Why a warm start cannot keep the log a series of the model works on
 * (logged), or NULL: a log => true or false in cfg that differs from it (a
 * warm start keeps it), or a value at or below 0 among the rows' values (n
 * on axis; NULL: not checked) after the zeros before a launch
 * (rnn_pipeline_launch_zeros) when it takes the log, and after the
 * one-point spikes the training replaces (despike_season >= 0: the season
 * it replaces them at, rnn_pipeline_clean_spikes; -1 when it does not), so
 * that a one-day 0 a cold start would replace does not stop a nightly warm
 * start.  series: the series' name for a global model (name_len bytes),
 * else NULL.
 */
char *
rnn_warm_log_mismatch(bool logged, const RnnConfig *cfg, const RnnAxis *axis,
					  const double *values, size_t n, int despike_season,
					  const char *series, int name_len)
{
	char	   *of = series ? psprintf("Series \"%.*s\": the model works on", name_len, series) :
		pstrdup("The model works on");
	size_t		z;
	const double *rest;			/* the values after those zeros */
	double	   *clean = NULL;

	if (cfg->log >= 0 && (cfg->log != 0) != logged)
		return psprintf("%s %s of the values, which a warm start keeps; the configuration says log => %s.",
						of, logged ? "the logarithm" : "the level", cfg->log ? "true" : "false");
	if (!logged || !values)
		return NULL;
	/* (the zeros before a launch are left out, as training leaves them) */
	z = rnn_pipeline_launch_zeros(values, n, RNN_PIPELINE_LAUNCH_REST);
	rest = values + z;
	for (size_t j = 0; j < n - z; j++)
		if (!(rest[j] > 0))
		{
			RnnModel   *rows;
			size_t		count;

			/* the spikes replaced, as training replaces them before its log */
			if (despike_season >= 0 && !clean)
			{
				clean = rnn_pipeline_despiked(rest, n - z, despike_season, 1, &count,
											  &rnn_palloc_allocator);
				if (count > 0)
				{
					rest = clean;
					if (rest[j] > 0)
						continue;
				}
			}
			/* the point named on these rows' axis */
			rows = palloc0(sizeof(RnnModel));
			rnn_model_set_axis(rows, axis);
			return psprintf("%s the logarithm of the values, which a warm start keeps; the value at %s is %g.",
							of, rnn_point_text(rows, (int64) (z + j) - (int64) (n - 1)), rest[j]);
		}
	return NULL;
}

/*
 * The season at which a warm start of one series replaces its rows' spikes
 * (the model's, or the configuration's: rnn_pipeline_choose_season), or -1
 * when it does not replace them (rnn_pipeline_despike)
 */
static int
warm_despike_season(const RnnModel *init, const RnnConfig *cfg, const RnnAxis *axis)
{
	if (!rnn_pipeline_despike(cfg->despike, RNN_SCALE_WINDOW, true, rnn_model_imported(init),
							  init->despike, 0))
		return -1;
	return rnn_pipeline_choose_season(cfg->season, true, init->season, init->ts_kind,
									  axis->ts_kind, axis->step_kind, axis->step, NULL, 0,
									  NULL, NULL);
}

/* rnn_warm_log_mismatch for a single-series model (an imported one takes the configuration's log) */
static char *
warm_log_mismatch(const RnnModel *init, const RnnConfig *cfg, const RnnAxis *axis,
				  const double *values, size_t n)
{
	if (init == NULL || init->n_series > 0)
		return NULL;
	/*
	 * an imported model takes the configuration's log, or without one its
	 * JSON pipeline's, which a value at or below 0 does not fit either
	 */
	if (rnn_model_imported(init) && (cfg->log >= 0 || !init->log_transform))
		return NULL;
	return rnn_warm_log_mismatch(init->log_transform != 0, cfg, axis, values, n,
								 warm_despike_season(init, cfg, axis), NULL, 0);
}

/*
 * Where the last of a warm start's rows (on axis) falls in its model's
 * seasonal indices, placed by the time axis: false for rows without
 * timestamps or off the model's grid, which cannot be placed.
 */
bool
rnn_warm_season_phase(const RnnModel *init, const RnnAxis *axis, int *phase)
{
	int64		steps;

	if (init->n_seasonal < 2 || init->ts_kind == RNN_TS_NONE || axis->ts_kind != init->ts_kind ||
		!rnn_steps_from_last(init, axis->ts_kind, axis->last_ts, &steps, NULL))
		return false;
	*phase = rnn_pipeline_phase(init, init->phase_last, (long) ((steps + axis->shift) % init->n_seasonal));
	return true;
}

/*
 * Why a warm start of one series cannot keep its model's seasonal
 * adjustment on n rows, or NULL: it re-estimates the indices on the rows
 * at the season it uses (the configuration's, else the model's), which
 * takes two seasons; on fewer it keeps the model's, placed by
 * the time axis, when the season is theirs and the rows can be placed
 * (otherwise the network, trained on adjusted values, would get raw ones).
 */
static char *
warm_season_mismatch(const RnnModel *init, const RnnConfig *cfg, const RnnAxis *axis, size_t n)
{
	int			season;
	int			phase;

	if (init == NULL || init->n_series > 0 || rnn_model_imported(init) || init->n_seasonal < 2)
		return NULL;
	season = cfg->season > 0 ? cfg->season : init->season;
	if (n >= (size_t) 2 * season ||
		(init->n_seasonal == season && rnn_warm_season_phase(init, axis, &phase)))
		return NULL;
	if (init->n_seasonal != season)
		return psprintf("The model removes a season of %d steps; the configuration's season is %d, whose indices %zu rows are too few to estimate (%d).",
						init->n_seasonal, season, n, 2 * season);
	return psprintf("The model removes a season of %d steps, whose indices a warm start re-estimates on its rows, or places on the model's time axis; %zu rows are fewer than two seasons (%d), and cannot be placed (no timestamps, or off the model's grid).",
					init->n_seasonal, n, 2 * init->n_seasonal);
}

/*
 * Why a warm start of one series cannot keep its model's pipeline on these
 * rows, or NULL: its log first (*is_log set), then its seasonal adjustment.
 * The 'cold' choice (rnn_warm_start_or_cold) and the training's errors
 * (fit_series) both ask here, so the two agree.
 */
char *
rnn_warm_pipeline_mismatch(const RnnModel *init, const RnnConfig *cfg, const RnnAxis *axis,
					   const double *values, size_t n, bool *is_log)
{
	char	   *why = warm_log_mismatch(init, cfg, axis, values, n);

	*is_log = why != NULL;
	return why ? why : warm_season_mismatch(init, cfg, axis, n);
}

/* The error of a warm start whose log does not fit (why: rnn_warm_log_mismatch's). */
void
rnn_warm_log_error(const char *why, const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: the warm-start model's log does not fit", fname),
			 errdetail_internal("%s", why),
			 errhint("Continue the model with log unset (on positive values, for a model of the logarithm), or train from scratch: without the model, or with on_init_mismatch => 'cold', which does when the model does not fit.")));
}

/*
 * on_init_mismatch => 'cold' setting a warm-start model aside: the NOTICE
 * that says why, and which group (its rows, as the errors' context says)
 */
void
rnn_warm_cold_notice(const char *why, const char *group, const char *fname)
{
	ereport(NOTICE,
			(errmsg("%s: the warm-start model does not match; training from scratch", fname),
			 group ? errdetail_internal("%s The group has %s.", why, group) :
			 errdetail_internal("%s", why),
			 errhint("on_init_mismatch => 'cold' chose this; with 'error' the training stops instead.")));
}

/*
 * Whether a warm-start model takes the features of a training: K in all,
 * calendar bits of them the calendar's.  An imported PyTorch model (no
 * recorded features) whose input_size is 1 + K reads them as they come.
 */
bool
rnn_warm_features_fit(const RnnModel *init, int K, int bits)
{
	if (init->n_features == K && init->calendar == bits)
		return true;
	return init->n_features == 0 && bits == 0 && K > 0 &&
		init->shape.input_size == 1 + K && rnn_model_imported(init);
}

/*
 * Why a warm-start model does not fit rows of this kind (n_user feature
 * columns) or the configuration's network (NULL: it fits): single-series or
 * global, time axis, step, features, shape.
 */
static char *
warm_kind_mismatch(const RnnModel *init, const RnnAxis *axis, size_t rows, int n_user,
				   const RnnConfig *cfg, int dflt, bool global, const char *fname)
{
	RnnConfig	c;
	RnnModel	t;
	int			window,
				outputs,
				bits;
	char	   *why;

	if (global && init->n_series == 0)
		return pstrdup("It is a single-series model; these rows train a global model.");
	if (!global && init->n_series > 0)
		return pstrdup("It is a global model; these rows train a single-series model.");
	if (init->ts_kind != RNN_TS_NONE && axis->ts_kind == RNN_TS_NONE)
		return pstrdup("The model has a time axis; rows in the aggregate's ORDER BY order have none.");
	if (!rnn_axis_matches(init, axis) && (global || rows > 1 || init->ts_kind != axis->ts_kind))
		return rnn_warm_axis_text(init, axis);
	/* the features the training will have (rows that cannot have a calendar are its error) */
	memset(&t, 0, sizeof(t));
	rnn_model_set_axis(&t, axis);
	bits = cfg->calendar ? rnn_axis_calendar_bits(&t) : 0;
	t.n_features = n_user + rnn_calendar_count(bits);
	if (!rnn_warm_features_fit(init, t.n_features, bits))
	{
		int			init_user = init->n_features - rnn_calendar_count(init->calendar);

		if (init_user == n_user && (init->calendar != 0) == (bits != 0))
			return psprintf("The model has %d calendar features; these rows' calendar has %d.",
							rnn_calendar_count(init->calendar), rnn_calendar_count(bits));
		return psprintf("The model was trained with %d feature%s and calendar => %s; these rows have %d and calendar => %s.",
						init_user, init_user == 1 ? "" : "s", init->calendar ? "true" : "false",
						n_user, cfg->calendar ? "true" : "false");
	}
	c = rnn_config_resolve(cfg, init, dflt);
	window = c.window > 0 ? c.window : init->window;
	outputs = c.strategy == RNN_STRATEGY_RECURSIVE ? 1 : c.horizon;
	rnn_fit_architecture(&t, &c, window, outputs, fname);
	why = warm_start_mismatch(init, &t.shape, window, c.strategy, rnn_config_members(&c));
	/* rows too few for the model's window, where a cold start would choose a shorter one */
	if (why == NULL && rows > 0 && rows < (size_t) window + outputs)
		why = psprintf("The model reads windows of %d steps for %d output%s; %s %zu rows.",
					   window, outputs, outputs == 1 ? "" : "s",
					   global ? "the longest series has" : "these are", rows);
	return why;
}

/*
 * on_init_mismatch => 'cold': a warm-start model that does not fit these
 * rows or the configuration is set aside with a NOTICE that says why, and
 * the training starts from scratch (NULL returned).  Under 'error' (the
 * default) init comes back unchanged and the training's own checks raise
 * the error.  dflt and global as for rnn_config_resolve and rnn_fit_global;
 * n_user the rows' feature columns.  A single-series model's pipeline is checked
 * first (warm_pipeline_mismatch, which the training asks too).
 */
const RnnModel *
rnn_warm_start_or_cold(const RnnModel *init, const RnnAxis *axis, size_t rows, const double *values,
					   int n_user, const RnnConfig *cfg, int dflt, bool global, const char *fname)
{
	char	   *why = NULL;
	bool		is_log;

	if (init == NULL || !cfg->init_mismatch_cold)
		return init;
	if (!global)
		why = rnn_warm_pipeline_mismatch(init, cfg, axis, values, rows, &is_log);
	if (why == NULL)
		why = warm_kind_mismatch(init, axis, rows, n_user, cfg, dflt, global, fname);
	if (why == NULL)
		return init;
	rnn_warm_cold_notice(why, cfg->group, fname);
	return NULL;
}
