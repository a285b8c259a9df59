/*
 * fit.c
 *	  Fitting a model to a regular series: the automatic choices (season,
 *	  window), scaling, initialisation or warm start (whether the model
 *	  fits: warm_start.c), training of every ensemble member with interrupt
 *	  checks and progress notices, the Theta weight, and the calibration of
 *	  prediction intervals, each step a function of its own below, the
 *	  rules in the core (rnn_pipeline.h, rnn_theta.h, rnn_predict.h).  Used
 *	  by rnn_train and rnn_backtest.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/ipc.h"
#include "utils/memutils.h"

#include "rnn_pg.h"
#include "rnn_blas.h"
#include "rnn_calendar.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_series.h"
#include "rnn_theta.h"
#include "rnn_threads.h"
#include "rnn_train.h"


/*
 * What every trained model records at the end of training: its training
 * time since t0, in whole milliseconds (so that the three decimals JSON
 * prints give back the same double), its configuration, and what trained
 * it (format 10): this library's version, the BLAS and the kernel it
 * picked for this CPU, and rnn_forecast.threads.  The same rows,
 * configuration and seed give the same model only where all three are the
 * same (README, Limits).
 */
void
rnn_fit_finish(RnnModel *m, const RnnConfig *cfg, instr_time t0)
{
	instr_time	t1;
	char		blas[128];

	INSTR_TIME_SET_CURRENT(t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	m->train_seconds = round(INSTR_TIME_GET_DOUBLE(t1) * 1000.0) / 1000.0;
	rnn_config_record(m, cfg);
	rnn_blas_describe(blas, sizeof(blas));
	snprintf(m->trained_with, sizeof(m->trained_with), "rnn_forecast %s; %s; %d thread%s",
			 RNN_EXTVERSION, blas, rnn_threads, rnn_threads == 1 ? "" : "s");
}

/* Once per mini-batch: cancellation and the training-time limit. */
static void
check_interrupts(void *arg)
{
	RnnFitProgress *p = arg;

	CHECK_FOR_INTERRUPTS();
	if (rnn_max_training_seconds > 0)
	{
		instr_time	now;

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, p->start);
		if (INSTR_TIME_GET_DOUBLE(now) > rnn_max_training_seconds)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s: training took longer than rnn_forecast.max_training_seconds (%d s)",
							p->fname, rnn_max_training_seconds),
					 errhint("Train fewer epochs or a smaller model, or ask a superuser to raise rnn_forecast.max_training_seconds.")));
	}
}

/* the configuration's epochs, capped by rnn_forecast.max_epochs */
static int
fit_epochs(const RnnConfig *cfg)
{
	return rnn_max_epochs > 0 && cfg->epochs > rnn_max_epochs ? rnn_max_epochs : cfg->epochs;
}

static void
report_epoch(void *arg, int epoch, double train_loss, double val_loss)
{
	RnnFitProgress *p = arg;
	instr_time	now;
	char	   *member = "";

	if (!rnn_progress)
		return;
	if (epoch != 1 && epoch % 10 != 0 && epoch != p->epochs)
		return;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, p->start);
	if (p->members > 1)
		member = psprintf(" (member %d/%d)", p->member + 1, p->members);
	if (val_loss >= 0)
		ereport(NOTICE,
				(errmsg("%s: epoch %d/%d%s, training loss %.4g, validation loss %.4g, %.1f s",
						p->fname, epoch, p->epochs, member, train_loss, val_loss,
						INSTR_TIME_GET_DOUBLE(now)),
				 p->group ? errdetail("Training on %s.", p->group) : 0));
	else
		ereport(NOTICE,
				(errmsg("%s: epoch %d/%d%s, training loss %.4g, %.1f s",
						p->fname, epoch, p->epochs, member, train_loss, INSTR_TIME_GET_DOUBLE(now)),
				 p->group ? errdetail("Training on %s.", p->group) : 0));
}

void
rnn_fit_progress_init(RnnFitProgress *p, instr_time start, const RnnConfig *cfg, const char *fname)
{
	p->start = start;
	p->epochs = fit_epochs(cfg);
	p->member = 0;
	p->members = rnn_config_members(cfg);
	p->fname = fname;
	p->group = cfg->group;
	p->hooks.arg = p;
	p->hooks.check = check_interrupts;
	p->hooks.epoch_done = report_epoch;
}

/* The network's shape for cfg, within the hard limits and rnn_forecast.max_parameters. */
void
rnn_fit_architecture(RnnModel *m, const RnnConfig *cfg, int window, int outputs, const char *fname)
{
	int			members = rnn_config_members(cfg);

	if (members > RNN_MAX_ENSEMBLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: strategy => 'mixed' trains %d members of each kind, more than %d in all",
						fname, cfg->ensemble, RNN_MAX_ENSEMBLE),
				 errhint("Choose an ensemble of at most %d.", RNN_MAX_ENSEMBLE / 2)));
	m->shape.cell = cfg->cell;
	m->shape.input_size = 1 + m->n_features;
	m->shape.hidden_size = cfg->hidden_size;
	m->shape.num_layers = cfg->num_layers;
	m->shape.bidirectional = cfg->bidirectional ? 1 : 0;
	m->shape.output_size = outputs;
	m->shape.seq2seq = cfg->strategy == RNN_STRATEGY_SEQ2SEQ;
	if (rnn_shape_check(&m->shape) != RNN_OK ||
		rnn_param_count(&m->shape) * members > (size_t) RNN_MAX_PARAMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the model would have %zu parameters, more than the limit of %d",
						fname, rnn_param_count(&m->shape) * members, RNN_MAX_PARAMS)));
	if (rnn_param_count(&m->shape) * members > (size_t) rnn_max_parameters)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the model would have %zu parameters, more than rnn_forecast.max_parameters (%d)",
						fname, rnn_param_count(&m->shape) * members, rnn_max_parameters),
				 errhint("Choose a smaller hidden_size, num_layers or ensemble, or ask a superuser to raise rnn_forecast.max_parameters.")));
}

/*
 * Refuse a training that would need more than
 * rnn_forecast.max_training_memory: the activations of the largest batch,
 * weights, gradients, Adam moments and the best copy, the series and its
 * windows' outputs.
 */
void
rnn_check_training_memory(const RnnModel *m, const RnnConfig *cfg, int window, size_t n,
						  size_t n_win, const char *fname)
{
	int			members = rnn_config_members(cfg);

	/*
	 * activations of the largest batch (at least 256 rows are assumed), its
	 * inputs, outputs, targets and output gradients, window offsets, weights,
	 * gradients, Adam moments and the best copy, and the series (its values,
	 * adjusted and scaled copies)
	 */
	int			batch = cfg->batch_size <= 0 || (size_t) cfg->batch_size > n_win ?
		(int) Min(n_win, (size_t) RNN_MAX_BATCH) : cfg->batch_size;
	double		rows = Max(batch, 256);
	bool		refit = rnn_config_refit(cfg, m->n_series > 0);

	/*
	 * with threads, every part of a batch has activations for its share of
	 * the rows and gradients of its own (rnn_train_segments)
	 */
	int			parts = Min(rnn_threads, (int) rows);
	int			part_rows = ((int) rows + parts - 1) / parts;
	double		bytes = (double) rnn_work_bytes(&m->shape, window, part_rows) * parts +
		sizeof(rnn_real) * (double) part_rows * parts *
		((double) window * m->shape.input_size + 3.0 * m->shape.output_size) +
		(double) n_win * sizeof(size_t) * (refit ? 2 : 1) +
		(refit ? 6.0 : 5.0) * sizeof(rnn_real) * rnn_param_count(&m->shape) * members +
		(parts - 1.0) * sizeof(rnn_real) * rnn_param_count(&m->shape) +
		(double) n * (2 * sizeof(double) + sizeof(rnn_real)) +
		(double) n * m->n_features * (sizeof(double) + sizeof(rnn_real));

	/*
	 * the allocator's own overhead (page rounding, memory-context blocks):
	 * test/t/memory.sh measured up to 0.13% above the sum, on a 3-layer GRU
	 */
	bytes = bytes * 1.01 + 1024.0 * 1024.0;

	if (rnn_progress)
		ereport(NOTICE,
				(errmsg("%s: about %.0f bytes of working memory for %zu windows", fname, bytes, n_win)));
	if (bytes > (double) rnn_max_training_memory * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: training would need about %.0f MB, more than rnn_forecast.max_training_memory (%d MB)",
						fname, bytes / (1024 * 1024), rnn_max_training_memory),
				 errhint("Choose a smaller batch_size, window or hidden_size, or ask a superuser to raise rnn_forecast.max_training_memory.")));
}

/* a check for the core's long loops outside training: cancel and terminate land */
void
rnn_check_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
horizon_context(void *arg)
{
	errcontext("%s: the timestamps of the forecast horizon must exist as timestamptz (up to 294276 AD); "
			   "forecast fewer steps, or use bigint step numbers", (const char *) arg);
}

/* Initial weights: the warm-start model's, or seeded ones per member. */
void
rnn_fit_init_params(RnnModel *m, const RnnConfig *cfg, const RnnModel *init)
{
	m->n_params = rnn_param_count(&m->shape);
	m->params = palloc_extended(sizeof(rnn_real) * m->n_params * m->members, MCXT_ALLOC_HUGE);
	if (init)
	{
		/* the checks of the architecture ensure it (warm_start_mismatch): never read past init's */
		if (init->n_params != m->n_params || init->members != m->members)
			elog(ERROR, "warm-start model has %d x %zu parameters, the network %d x %zu",
				 init->members, init->n_params, m->members, m->n_params);
		memcpy(m->params, init->params, sizeof(rnn_real) * m->n_params * m->members);
		return;
	}
	for (int k = 0; k < m->members; k++)
	{
		rnn_init_params(m->params + (size_t) k * m->n_params, &m->shape,
						(uint64_t) cfg->seed + 7919 * (uint64_t) k);
		/* relative windows: start from the naive forecast (output 0) */
		if (m->scaling == RNN_SCALE_WINDOW)
			rnn_zero_output_layer(m->params + (size_t) k * m->n_params, &m->shape);
	}
}

/* The training loop's settings from cfg (the caller sets the seed per member). */
void
rnn_fit_train_spec(RnnTrainSpec *spec, const RnnModel *m, const RnnConfig *cfg)
{
	memset(spec, 0, sizeof(*spec));
	spec->shape = m->shape;
	spec->window = m->window;
	spec->epochs = fit_epochs(cfg);
	spec->batch_size = cfg->batch_size;
	spec->learning_rate = cfg->learning_rate;
	spec->optimizer = cfg->optimizer;
	spec->clip_norm = cfg->clip_norm;
	spec->validation_fraction = cfg->validation_fraction;
	spec->patience = cfg->patience;
	spec->loss = cfg->loss;
	spec->quantile = cfg->quantile;

	/*
	 * relative windows: the initial (naive) weights must be beaten on the
	 * held-out windows, of which there are at least a few (a global model
	 * holds out the horizon of every series long enough)
	 */
	spec->validate_initial = m->scaling == RNN_SCALE_WINDOW;
	spec->min_validation = m->scaling != RNN_SCALE_WINDOW ? 0 :
		m->n_series > 0 ? Max(RNN_FIT_MIN_VALIDATION, cfg->horizon) : RNN_FIT_MIN_VALIDATION;
	spec->window_norm = m->scaling == RNN_SCALE_WINDOW ? RNN_NORM_LAST :
		m->scaling == RNN_SCALE_LEVEL ? RNN_NORM_MEAN_RATIO : RNN_NORM_NONE;
	spec->refit = rnn_config_refit(cfg, m->n_series > 0);
	/*
	 * one series: an epoch is a sample of at most RNN_FIT_EPOCH_WINDOWS
	 * windows (no M3 or data/ series has that many, so they are unchanged;
	 * test/bench/long_series.sh: a 4,000-point half-hourly series trains
	 * several times faster, its forecast no worse); a global model's epoch
	 * stays every window
	 */
	spec->epoch_windows = cfg->epoch_size >= 0 ? (size_t) cfg->epoch_size :
		m->n_series > 0 ? 0 : RNN_FIT_EPOCH_WINDOWS;
	/*
	 * and, with that automatic sample, the held-out windows too: the
	 * validation after every epoch held 10% of all windows, so a series of
	 * a million rows validated 100,000 windows per epoch and trained 512
	 * (174 s for 1M hourly rows); no series below 10,250 windows changes
	 */
	spec->max_validation = cfg->epoch_size < 0 && m->n_series == 0 ? RNN_FIT_VALIDATION_WINDOWS : 0;
	spec->threads = rnn_threads;
}

/*
 * A FATAL error (pg_terminate_backend) does not unwind: it exits, and the
 * exit callbacks free the transaction's memory (ShutdownPostgres).  This
 * one, registered after them, runs before them and stops a training's
 * worker threads first.
 */
static void
stop_training_threads(int code, Datum arg)
{
	rnn_threads_abandon();
}

/*
 * rnn_train_segments with the caller's hooks, which may throw (cancel, the
 * time limit): worker threads are stopped and joined before the error
 * travels on and the training's memory is freed.
 */
RnnStatus
rnn_fit_run_training(rnn_real *params, RnnTrainResult *res, const rnn_real *series,
					 const size_t *seg_start, const size_t *seg_len, size_t n_seg,
					 const RnnTrainSpec *spec, const RnnTrainHooks *hooks)
{
	static int	exit_callback_pid = 0;
	RnnStatus	rs = RNN_OK;

	/* once per process (a preloaded library's postmaster registrations do not carry over) */
	if (spec->threads > 1 && exit_callback_pid != MyProcPid)
	{
		before_shmem_exit(stop_training_threads, (Datum) 0);
		exit_callback_pid = MyProcPid;
	}
	PG_TRY();
	{
		rs = rnn_train_segments(params, res, series, seg_start, seg_len, n_seg, spec,
								&rnn_palloc_allocator, hooks);
	}
	PG_CATCH();
	{
		rnn_threads_abandon();
		PG_RE_THROW();
	}
	PG_END_TRY();
	return rs;
}

/*
 * Train m's member k (its weights: the initial ones, or a warm start's) with
 * spec.  A mixed model's one-step members train as networks of one output,
 * started from their own initial weights (or the warm start's first
 * output), and are kept inside the direct members' shape.
 */
RnnStatus
rnn_fit_train_member(RnnModel *m, int k, bool warm, RnnTrainResult *res, const rnn_real *series,
					 const size_t *seg_start, const size_t *seg_len, size_t n_seg,
					 const RnnTrainSpec *spec, const RnnTrainHooks *hooks)
{
	rnn_real   *params = m->params + (size_t) k * m->n_params;
	RnnTrainSpec one = *spec;
	rnn_real   *w;
	RnnStatus	rs;

	if (!RNN_MEMBER_ONE_STEP(m, k))
		return rnn_fit_run_training(params, res, series, seg_start, seg_len, n_seg, spec, hooks);
	one.shape.output_size = 1;
	w = palloc(sizeof(rnn_real) * rnn_param_count(&one.shape));
	if (warm)
		rnn_params_extract_one_step(w, params, &m->shape);
	else
	{
		rnn_init_params(w, &one.shape, spec->seed);
		if (m->scaling == RNN_SCALE_WINDOW)
			rnn_zero_output_layer(w, &one.shape);
	}
	rs = rnn_fit_run_training(w, res, series, seg_start, seg_len, n_seg, &one, hooks);
	rnn_params_embed_one_step(params, w, &m->shape);
	pfree(w);
	return rs;
}

/* The time axis of axis in m: timestamp type, step, last row, time zone. */
void
rnn_model_set_axis(RnnModel *m, const RnnAxis *axis)
{
	m->ts_kind = axis->ts_kind;
	m->step_kind = axis->step_kind;
	m->step = axis->step;
	m->last_ts = axis->last_ts;
	m->month_end = axis->month_end;
	strlcpy(m->time_zone, axis->time_zone, sizeof(m->time_zone));
}

/*
 * The features of a training: the user's n_user columns (feats, on the
 * series' grid) and, with calendar => true, the calendar's for each step;
 * sets m->n_features and m->calendar (the model's axis must be set; the
 * last of the n rows is `shift` steps from m->last_ts, 0 but for a
 * backtest's fold).  A warm start must have the same features.  NULL when
 * there are none.
 */
double *
rnn_fit_features(RnnModel *m, const double *feats, int n_user, size_t n, int64 shift,
				 const RnnConfig *cfg, const RnnModel *init, const char *fname)
{
	int			bits = 0;
	int			K;
	double	   *F;

	if (cfg->calendar)
	{
		bits = rnn_axis_calendar_bits(m);
		if (bits == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: calendar => true needs date, timestamp or timestamptz rows less than a year apart", fname),
					 errdetail("These rows are %s.", m->ts_kind == RNN_TS_NONE ? "ordered without timestamps" :
							   m->ts_kind == RNN_TS_BIGINT ? "numbered by bigint steps" : "a year or more apart")));
	}
	K = n_user + rnn_calendar_count(bits);
	if (K >= RNN_MAX_INPUT_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: %d features are more than the %d a model takes", fname, K, RNN_MAX_INPUT_SIZE - 1)));
	if (init && !rnn_warm_features_fit(init, K, bits))
	{
		int			init_user = init->n_features - rnn_calendar_count(init->calendar);

		if (init_user != n_user)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: warm-start model was trained with %d feature%s, these rows have %d",
							fname, init_user, init_user == 1 ? "" : "s", n_user),
					 (init->calendar != 0) != (bits != 0) ?
					 errdetail("Its calendar features are %s, this configuration's are %s.",
							   init->calendar ? "on" : "off", bits ? "on" : "off") : 0,
					 errhint("Pass the features the model was trained with, or set on_init_mismatch => 'cold' to train from scratch.")));
		/* the same user features: the calendar differs */
		if ((init->calendar != 0) != (bits != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: warm-start model was trained with calendar => %s, this configuration has calendar => %s",
							fname, init->calendar ? "true" : "false", bits ? "true" : "false"),
					 errhint("Set calendar as the model was trained, or set on_init_mismatch => 'cold' to train from scratch.")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: warm-start model's %d calendar features are not these rows' %d",
						fname, rnn_calendar_count(init->calendar), rnn_calendar_count(bits)),
				 errhint("Train on rows of the model's step, or set on_init_mismatch => 'cold' to train from scratch.")));
	}
	m->n_features = K;
	m->calendar = bits;
	if (K == 0)
		return NULL;
	F = palloc_extended(sizeof(double) * n * K, MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < n_user; j++)
			F[i * K + j] = feats[i * n_user + j];
	if (bits)
		rnn_calendar_rows(m, shift - (int64) (n - 1), n, F, K, n_user);
	return F;
}

/*
 * The features on the network's scale (rnn_pipeline_scale_features); a
 * warm start keeps its model's statistics.
 */
rnn_real *
rnn_fit_scale_features(RnnModel *m, const double *F, size_t n, const RnnModel *init)
{
	int			K = m->n_features;
	rnn_real   *Fs = palloc_extended(sizeof(rnn_real) * n * K, MCXT_ALLOC_HUGE);
	int			bad = 0;
	bool		keep = init != NULL && init->n_features == K;

	m->feature_mean = palloc(sizeof(double) * K);
	m->feature_std = palloc(sizeof(double) * K);
	if (keep)
	{
		memcpy(m->feature_mean, init->feature_mean, sizeof(double) * K);
		memcpy(m->feature_std, init->feature_std, sizeof(double) * K);
	}
	if (rnn_pipeline_scale_features(m, F, n, keep, Fs, &bad) != RNN_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rnn_train: feature %d is too large to train on", bad + 1),
				 errhint("Rescale the feature.")));
	return Fs;
}

/*
 * A member's losses into the ensemble's means: its validation loss always
 * (the untrained weights' when it kept them), its training loss only when
 * an epoch was kept (the untrained weights' training loss is not measured:
 * it was counted as 0).
 */
void
rnn_fit_sum_losses(const RnnTrainResult *res, double *sum_train, int *trained, double *sum_val)
{
	if (res->best_epoch > 0)
	{
		*sum_train += res->train_loss;
		(*trained)++;
	}
	*sum_val += res->val_loss;
}

/*
 * The first member's loss history stands for the ensemble: its epochs run,
 * best epoch and loss per epoch (rnn_model_info says so).
 */
void
rnn_fit_keep_history(RnnModel *m, const RnnTrainResult *res)
{
	m->epochs_run = res->epochs_run;
	m->best_epoch = res->best_epoch;
	m->n_loss = res->epochs_run;
	m->loss_train = res->loss_train;
	m->loss_val = res->loss_val;
}

static void fit_series(RnnModel *m, const double *values, const double *feats, int n_user,
					   size_t n, const RnnAxis *axis, const RnnConfig *cfg,
					   const RnnModel *init, const char *fname, const instr_time *start);

void
rnn_fit(RnnModel *m, const double *values, const double *feats, int n_user, size_t n,
		const RnnAxis *axis, const RnnConfig *cfg, const RnnModel *init, const char *fname)
{
	fit_series(m, values, feats, n_user, n, axis, cfg, init, fname, NULL);
}

/*
 * The windows the training of one series holds out for early stopping (the
 * last ones); *capped: fewer than validation_fraction, the series being long
 */
static size_t
held_out_windows(size_t n, int window, int outputs, const RnnConfig *cfg, const RnnTrainSpec *spec,
				 bool *capped)
{
	return rnn_train_held_out(rnn_window_count(n, window, outputs), cfg->validation_fraction,
							  spec->max_validation, capped);
}

/*
 * Choose m's Theta weight on held-out data: a model trained by the same
 * configuration (without the combination) on all but the tail of the
 * series forecasts the tail (rnn_theta_choose_weight, which fills err[3]).
 * The weight stays dflt when the series is too short (err NaN).
 */
static double
choose_theta_weight(double *err, const double *values, size_t n, const RnnAxis *axis,
					const RnnConfig *cfg, int season, int window, int m_log, int m_deseasonalize,
					double dflt, const char *fname, const instr_time *start, RnnFitProgress *prog)
{
	RnnConfig	sub = *cfg;
	RnnModel	mv;
	size_t		tail,
				origins;
	double		w;
	MemoryContext cxt,
				old;

	for (int i = 0; i < 3; i++)
		err[i] = NAN;
	if (!rnn_theta_selection_tail(n, cfg->horizon, window, &tail, &origins))
		return dflt;
	sub.theta_weight = 0;
	/* its notices' DETAIL: the group's rows, and what the second model leaves out */
	sub.group = cfg->group ? psprintf("%s, without its last %zu points", cfg->group, tail) : NULL;
	/* the pipeline of the model it stands for, not one chosen again on fewer points */
	sub.season = season;
	sub.window = window;
	sub.log = m_log;
	sub.deseasonalize = m_deseasonalize;
	/* the second model's memory is freed as soon as the weight is known */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "rnn_forecast theta_weight validation",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	/* its progress notices and errors say which training they come from */
	fit_series(&mv, values, NULL, 0, n - tail, axis, &sub, NULL,
			   psprintf("%s (validating theta_weight)", fname), start);
	/* whether it forecasts below 0 is the model's it stands for, as its pipeline is */
	mv.nonnegative = rnn_series_nonnegative(values, n);
	rnn_report_status(rnn_theta_choose_weight(&w, err, &mv, n - tail, values, n, n - tail, origins,
											  cfg->horizon, dflt, prog->hooks.check,
											  prog->hooks.arg, &rnn_palloc_allocator),
					  fname);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return w;
}

/*
 * The zeros before a launch (rnn_pipeline_launch_zeros) are left out
 * where the pipeline may take the log: under an automatic log when the
 * rows after them are enough to train on (a window, of 2 unless given,
 * and the outputs), so that no training fails for it; under a log the
 * model must take (log => true, a logged warm start), which the zeros
 * would refuse, after three values, as the warm start's check
 * (rnn_warm_log_mismatch) reads them: too few rows left is then said as
 * such.  Returns the values from the first one kept; *F (the features'
 * rows, or NULL) and *n follow.
 */
static const double *
fit_drop_launch(RnnModel *m, const double *values, double **F, size_t *n, const RnnConfig *cfg,
				const RnnModel *init, int log_mode, int outputs)
{
	int			w = cfg->window > 0 ? cfg->window : init && init->window > 0 ? init->window : 2;
	size_t		z;

	z = log_mode == 0 ? 0 :
		rnn_pipeline_launch_zeros(values, *n, log_mode == 1 ? RNN_PIPELINE_LAUNCH_REST :
								  (size_t) w + outputs);
	if (z > 0)
	{
		values += z;
		if (*F)
			*F += z * m->n_features;
		*n -= z;
		m->leading_zeros_dropped = true;
	}
	return values;
}

/*
 * The window: the network reads two seasons (at least 12 steps) but
 * leaves half the rows as windows; seasonal differences need one season
 * more (rnn_pipeline_choose_window).  Refused: one no longer than the
 * differences' lag, or longer than the n rows leave with the outputs.
 */
static int
fit_window(const RnnModel *m, const RnnConfig *cfg, const RnnModel *init, int season, int lag,
		   size_t n, int outputs, const char *fname)
{
	int			window = rnn_pipeline_choose_window(cfg->window, init != NULL, init ? init->window : 0, season,
										n > (size_t) (outputs + lag) ? n - outputs - lag : 0, lag);
	if (window <= lag)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: window (%d) must be longer than the lag of the differences (%d) with scaling => '%s'",
						fname, window, lag, rnn_scaling_name(m->scaling))));
	if (n < (size_t) window + outputs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: too few rows: %zu, need at least %d", fname, n, window + outputs),
				 errdetail("Training needs window (%d) + outputs (%d) rows after gaps are filled.",
						   window, outputs),
				 init ? errhint("The warm-start model reads windows of %d steps: add rows, or train from scratch (on_init_mismatch => 'cold' does when the rows are too few).", window) :
				 errhint("Add rows, or choose a smaller window or horizon.")));
	return window;
}

void
rnn_values_too_small(const char *fname, double spread)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: values are too small to train on", fname),
			 errdetail("Their scale (their spread, or for equal values their size) is %g, below the 1e-300 a model can keep.", spread),
			 errhint("Rescale the values, e.g. multiply them by a power of ten.")));
}

/*
 * What the model keeps of its series: the last window (with each step's
 * features), the rows, the seed, the naive forecast's MASE scale, and
 * whether the values as given (before spikes were replaced) are all at
 * least 0 (a spike below 0 replaced still says the series goes below 0).
 */
static void
fit_keep_state(RnnModel *m, const double *values, const double *given, const double *F,
			   size_t n, const RnnConfig *cfg, int season)
{
	int			window = m->window;

	m->n_history = window;
	m->history = palloc(sizeof(double) * window * (1 + m->n_features));
	for (int t = 0; t < window; t++)
	{
		size_t		i = n - window + t;

		m->history[(size_t) t * (1 + m->n_features)] = values[i];
		if (m->n_features > 0)
			memcpy(m->history + (size_t) t * (1 + m->n_features) + 1, F + i * m->n_features,
				   sizeof(double) * m->n_features);
	}
	m->rows = (int64) n;
	m->seed = (uint64_t) cfg->seed;
	m->naive_scale = rnn_series_naive_mae(values, n, season);
	/* the values as given: a spike below 0 replaced still says the series goes below 0 */
	m->nonnegative = rnn_series_nonnegative(given, n);
}

/*
 * The rows' step (on m's axis) and the forecast's timestamps, or step
 * numbers, over the horizon: within what a model can store, refused before
 * training.
 */
static void
fit_check_horizon(const RnnModel *m, const RnnConfig *cfg, const char *fname)
{
	if (m->step_kind == RNN_STEP_MONTHS && m->step > RNN_MAX_MONTH_STEP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the rows are " INT64_FORMAT " months apart, more than the %d a model can store",
						fname, m->step, RNN_MAX_MONTH_STEP),
				 errhint("Use bigint step numbers (e.g. the year) as the timestamp.")));
	{
		/* the forecast timestamps must exist (timestamptz ends in 294276 AD) */
		bool		isnull;
		ErrorContextCallback ecb;

		ecb.callback = horizon_context;
		ecb.arg = (void *) fname;
		ecb.previous = error_context_stack;
		error_context_stack = &ecb;
		(void) rnn_future_timestamptz(m, Max(cfg->horizon, 1), &isnull);
		error_context_stack = ecb.previous;
	}
	if (m->ts_kind == RNN_TS_BIGINT)
	{
		/* and the step numbers (ts_bigint) must exist as bigint */
		int64		key;

		if (!rnn_key_after(m, Max(cfg->horizon, 1), &key))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: the step numbers of the forecast horizon pass the end of bigint", fname),
					 errdetail("The last row is " INT64_FORMAT " and the step " INT64_FORMAT "; a horizon of %d after it does not fit.",
							   m->last_ts, m->step, Max(cfg->horizon, 1)),
					 errhint("Number the steps from a smaller value.")));
	}
}

/*
 * The pipeline (rnn_pipeline_fit): the log of a positive series and
 * seasonal indices shrunk by their noise, when anything of them is left
 * (automatic under scaling 'auto'/'window'/'zscore'); a warm start keeps
 * its model's choices and re-estimates the indices on these rows (or keeps
 * its model's on rows too few for them).  An imported model keeps its
 * JSON's choices (none without a "pipeline") unless the configuration sets
 * log or deseasonalize: nothing is chosen automatically for weights
 * trained elsewhere.  Refused first: a warm start whose log or seasonal
 * adjustment these rows cannot continue, log => true or scaling =>
 * 'level' on a value at or below 0, deseasonalize => true on rows too few
 * for indices (except in a weight's validation model, start, and a
 * backtest's folds).  values: the series after its spikes were replaced,
 * given: before (which the warm start's checks read, as they replace the
 * spikes themselves).  Returns the adjusted series (palloc'd, n values).
 */
static double *
fit_pipeline(RnnModel *m, const double *values, const double *given, size_t n,
			 const RnnAxis *axis, const RnnConfig *cfg, const RnnModel *init, int season,
			 int log_mode, int ds_mode, const instr_time *start, const char *fname)
{
	bool		warm = init != NULL;
	bool		imported = warm && rnn_model_imported(init);
	double	   *adj = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);

	if (warm)
	{
		bool		is_log;
		/* (on the values before their spikes were replaced: the check replaces them itself) */
		char	   *why = rnn_warm_pipeline_mismatch(init, cfg, axis, given, n, &is_log);

		if (why && is_log)
			rnn_warm_log_error(why, fname);
		if (why)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: too few rows to continue the warm-start model's seasonal adjustment", fname),
					 errdetail_internal("%s", why),
					 errhint("Continue the model on more rows, or train from scratch: without the model, or with on_init_mismatch => 'cold', which does when the model does not fit.")));
	}
	{
		int			phase;
		RnnStatus	rs;

		if (warm && !imported && cfg->deseasonalize >= 0 && (cfg->deseasonalize == 1) != (ds_mode == 1))
			rnn_warm_kept_notice(fname, cfg, ds_mode == 1 ? "deseasonalize => true" : "deseasonalize => false",
							 cfg->deseasonalize == 1 ? "deseasonalize => true" : "deseasonalize => false");
		if ((log_mode == 1 || ds_mode == 1) && m->scaling == RNN_SCALE_LEVEL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: scaling => 'level' cannot be combined with log or deseasonalize", fname)));
		rs = rnn_pipeline_fit(m, values, n, season, log_mode, ds_mode, adj, &rnn_palloc_allocator);
		if (rs == RNN_ERR_DOMAIN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: log => true needs positive values", fname),
					 errhint("Leave log unset: it is used only when every value is positive.")));
		if (rs == RNN_ERR_NONFINITE)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: values are too large to train on", fname),
					 errdetail("Their seasonal indices exceed 1e300 in magnitude."),
					 errhint("Rescale the values, e.g. divide them by a power of ten.")));
		rnn_report_status(rs, fname);
		/* rows too few to estimate the indices again: a warm start keeps its model's */
		if (warm && !imported && ds_mode == 1 && m->n_seasonal == 0 && init->n_seasonal == season &&
			rnn_warm_season_phase(init, axis, &phase))
			rnn_report_status(rnn_pipeline_keep_indices(m, adj, n, season, init->seasonal, phase,
														&rnn_palloc_allocator), fname);
		/*
		 * deseasonalize => true asked for what these rows cannot give (as
		 * log => true on a non-positive value): an error, not a model
		 * silently without it.  The model that validates the Theta weight
		 * (start) takes the outer model's choice on fewer rows, and a
		 * backtest's early folds have fewer rows than the series: they may
		 * go without.
		 */
		if (start == NULL && !cfg->fold && cfg->deseasonalize == 1 && (!warm || imported) &&
			m->n_seasonal == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: deseasonalize => true needs a season of 2 to %d steps and two seasons of rows",
							fname, RNN_MAX_SEASON_INDICES),
					 errdetail("The season is %d and the series has %zu rows.", season, n),
					 errhint("Leave deseasonalize unset: it is used only when the series holds two seasons.")));
	}

	if (m->scaling == RNN_SCALE_LEVEL)
	{
		/* each window is divided by its own mean: the series must be positive (warm start too) */
		for (size_t i = 0; i < n; i++)
			if (!(values[i] > 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: scaling => 'level' needs positive values", fname),
						 errdetail("The value at %s is %g.",
								   rnn_point_text(m, (int64) i - (int64) (n - 1) + axis->shift), values[i]),
						 errhint("Use scaling => 'window', which subtracts the level instead of dividing by it.")));
	}
	return adj;
}

/*
 * The network's series (palloc'd, n values) from the adjusted series adj:
 * z-scores (a warm start keeps the statistics its weights were trained
 * with; an imported model given another scaling, or another log, gets them
 * from these rows: the JSON's are of the other series), differenced at the
 * lag.  Values too large for the stored statistics are refused here.
 */
static rnn_real *
fit_scale(RnnModel *m, const double *adj, size_t n, int lag, const RnnModel *init,
		  const char *fname)
{
	bool		keep_stats = init != NULL && m->scaling == init->scaling &&
		(m->log_transform != 0) == (init->log_transform != 0);
	rnn_real   *scaled = palloc_extended(sizeof(rnn_real) * n, MCXT_ALLOC_HUGE);

	if (keep_stats)
	{
		m->scale_mean = init->scale_mean;
		m->scale_std = init->scale_std;
	}
	switch (rnn_pipeline_scale_series(m, adj, n, lag, keep_stats, scaled))
	{
		case RNN_OK:
			break;
		case RNN_ERR_LIMIT:
			/* the stored model bounds its statistics: refuse before training, not after */
			if (m->scale_std < 1e-300)
				rnn_values_too_small(fname, m->scale_std);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: values are too large to train on", fname),
					 errdetail("Their mean or spread exceeds 1e300 in magnitude."),
					 errhint("Rescale the values, e.g. divide them by a power of ten.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: values are too large to train on", fname),
					 errhint("Rescale the values, or use scaling => 'zscore'.")));
	}
	return scaled;
}

/*
 * The ensemble's members trained on the network's series scaled[0..n-1]
 * (from lag on: its first lag values have no differences), each from its
 * own seed; m keeps the first member's loss curves and the members' mean
 * losses.
 */
static void
fit_members(RnnModel *m, const rnn_real *scaled, size_t n, int lag, int members, bool warm,
			const RnnConfig *cfg, RnnTrainSpec *spec, RnnFitProgress *prog, int window,
			int outputs, const char *fname)
{
	double		sum_train = 0,
				sum_val = 0;
	int			trained = 0;	/* members that kept a trained epoch */

	for (int k = 0; k < members; k++)
	{
		RnnTrainResult res;
		RnnStatus	rs;
		size_t		seg_start = 0,
					seg_len = n - lag;

		prog->member = k;
		spec->seed = (uint64_t) cfg->seed + 7919 * (uint64_t) k;
		rs = rnn_fit_train_member(m, k, warm, &res, scaled + lag, &seg_start, &seg_len, 1, spec,
								  &prog->hooks);
		if (rs == RNN_ERR_LIMIT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s: batch_size 0 puts %zu windows in one batch, more than %d",
							fname, rnn_window_count(n, window, outputs), RNN_MAX_BATCH),
					 errhint("Set a batch_size.")));
		rnn_report_status(rs, fname);
		rnn_fit_sum_losses(&res, &sum_train, &trained, &sum_val);
		if (k == 0)
			rnn_fit_keep_history(m, &res);
	}
	m->train_loss = trained > 0 ? (float) (sum_train / trained) : -1.0;
	m->val_loss = (m->n_loss > 0 && m->loss_val[0] >= 0) || m->best_epoch == 0 ?
		(float) (sum_val / members) : -1.0;
}

/*
 * The Theta method's weight in the forecast: the configuration's, else by
 * rule (rnn_theta_weight; 0 for a constant series), else, for a cold
 * start that is not itself a weight's validation model (start), by
 * validation where rnn_theta_route says; then Theta fitted on the adjusted
 * series adj, as the pipeline made it.  t0: the training's start.
 */
static void
fit_theta(RnnModel *m, const double *values, const double *adj, size_t n, const RnnAxis *axis,
		  const RnnConfig *cfg, const RnnModel *init, int season, int window, int outputs,
		  const RnnTrainSpec *spec, RnnFitProgress *prog, const instr_time *t0,
		  const instr_time *start, const char *fname)
{
	bool		warm = init != NULL;
	bool		imported = warm && rnn_model_imported(init);

	m->theta_weight = rnn_theta_weight(cfg->theta_weight, false, m->n_features, imported,
									   season > 1 && m->n_seasonal == 0 &&
									   (cfg->deseasonalize == 0 ||
										(m->scaling != RNN_SCALE_WINDOW &&
										 m->scaling != RNN_SCALE_ZSCORE)),
									   warm ? init->theta_weight : -1);

	/*
	 * a constant series: both forecast it exactly and no validation can
	 * choose between them; the network alone (no epoch beats its naive
	 * forecast) follows a window's last value, where Theta's smoothing
	 * would carry a spike into the forecasts of the windows after it
	 * (rnn_anomaly flagged every row of the constant for a window)
	 */
	if (cfg->theta_weight < 0 && !warm && rnn_series_constant(values, n))
		m->theta_weight = 0;
	if (m->theta_weight > 0 && cfg->theta_weight < 0 && !warm && !start)
	{
		/*
		 * the weight by validation, where rnn_theta_route says: this
		 * training's held-out windows, or a second model's forecasts of the
		 * series' tail, or nowhere (the default stays)
		 */
		bool		capped;
		size_t		n_val = held_out_windows(n, window, outputs, cfg, spec, &capped);
		size_t		first,
					origins;
		double		e[3] = {NAN, NAN, NAN};

		switch (rnn_theta_route(n, n_val, capped, spec->refit, cfg->horizon, &first, &origins))
		{
			case RNN_THETA_ROUTE_HELD_OUT:
				rnn_report_status(rnn_theta_choose_weight(&m->theta_weight, e, m, n, values, n,
														  first, origins, cfg->horizon,
														  m->theta_weight, prog->hooks.check,
														  prog->hooks.arg, &rnn_palloc_allocator),
								  fname);
				break;
			case RNN_THETA_ROUTE_SECOND_MODEL:
				m->theta_weight = choose_theta_weight(e, values, n, axis, cfg, season, window,
													  m->log_transform ? 1 : 0,
													  m->n_seasonal > 0 ? 1 : 0,
													  m->theta_weight, fname, t0, prog);
				break;
			case RNN_THETA_ROUTE_KEEP:
				break;
		}
		if (isfinite(e[0]) && isfinite(e[1]) && isfinite(e[2]))
		{
			/* kept in the model (format 9) for rnn_model_info */
			m->theta_validation.series = 1;
			m->theta_validation.network = e[0];
			m->theta_validation.theta = e[1];
			m->theta_validation.combined = e[2];
		}
	}
	if (m->theta_weight > 0)
		rnn_theta_fit(&m->theta, adj, n);	/* the adjusted series, as the pipeline made it */
}

/*
 * Interval calibration on the held-out windows' targets, or on the last
 * 30 points when fewer are held out (those include training windows), with
 * a NOTICE when the intervals rest on few origins.
 */
static void
fit_calibrate(RnnModel *m, const double *values, const double *F, size_t n,
			  const RnnConfig *cfg, int season, int window, int outputs, int ds_mode,
			  const RnnTrainSpec *spec, RnnFitProgress *prog, const char *fname)
{
	bool		capped;
	size_t		n_val = held_out_windows(n, window, outputs, cfg, spec, &capped);
	RnnStatus	rs;

	/* errors on the network's scale: intervals follow the log and the season */
	m->cal_scaled = 1;
	rs = rnn_calibrate(m, values, F, n, rnn_calibration_first_origin(n, window, n_val, outputs),
					   rnn_calibration_max_steps(cfg->horizon, season),
					   rnn_floor_lag(season, m->n_seasonal, ds_mode),
					   prog->hooks.check, prog->hooks.arg, &rnn_palloc_allocator);
	rnn_report_status(rs, fname);
	if (m->cal_n > 0 && m->cal_n < RNN_FEW_CAL_ORIGINS)
		ereport(NOTICE,
				(errmsg("%s: the prediction intervals rest on %d forecast origin%s only, and are widened %.2fx at 90%%",
						fname, m->cal_n, m->cal_n == 1 ? "" : "s", rnn_interval_widening(m->cal_n, 0.9)),
				 cfg->group ?
				 errdetail("Fewer than %d origins were held out of %s; rnn_model_info(model)->'calibration' shows few_samples.",
						   RNN_FEW_CAL_ORIGINS, cfg->group) :
				 errdetail("Fewer than %d origins were held out; rnn_model_info(model)->'calibration' shows few_samples.",
						   RNN_FEW_CAL_ORIGINS),
				 errhint("More rows give intervals that rest on more errors.")));
}

/*
 * rnn_fit; start: the outer training's start when this fit is the model
 * that chooses its Theta weight (the time limit counts from there; no
 * calibration).  The steps in order: the configuration resolved and the
 * axis checked; scaling and the pipeline's modes; the zeros before a
 * launch left out, the season, the spikes replaced; the window and the
 * network; the pipeline and the scaled series; the members trained; what
 * the model keeps; the Theta weight; the intervals.
 */
static void
fit_series(RnnModel *m, const double *values, const double *feats, int n_user, size_t n,
		   const RnnAxis *axis, const RnnConfig *cfg, const RnnModel *init, const char *fname,
		   const instr_time *start)
{
	bool		warm = init != NULL;
	bool		imported = warm && rnn_model_imported(init);
	RnnConfig	resolved = rnn_config_resolve(cfg, init, RNN_STRATEGY_RECURSIVE);
	int			outputs;
	int			season,
				window,
				lag;
	int			ds_mode;		/* the pipeline's seasonal mode (rnn_pipeline_modes) */
	int			members = rnn_config_members(&resolved);
	rnn_real   *scaled;
	double	   *adj;
	double	   *F = NULL;		/* (n, n_features): the user's features, then the calendar's */
	rnn_real   *Fs = NULL;		/* the same, scaled */
	RnnTrainSpec spec;
	RnnFitProgress prog;
	instr_time	t0;
	const double *given;		/* the values before spikes were replaced */
	int			log_mode;		/* the pipeline's log mode (rnn_pipeline_modes) */

	cfg = &resolved;
	outputs = cfg->strategy == RNN_STRATEGY_RECURSIVE ? 1 : cfg->horizon;
	if (cfg->strategy == RNN_STRATEGY_SEQ2SEQ && cfg->bidirectional)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: strategy => 'seq2seq' needs bidirectional => false", fname),
				 errdetail("The decoder starts from the encoder's final states, which a reverse direction does not end at.")));
	INSTR_TIME_SET_CURRENT(t0);
	if (start)
		t0 = *start;
	/*
	 * a global model's scale, log and seasonal indices are its series'; one
	 * series continued from it would start from none of them (it trained,
	 * flat, where a cold start followed the season)
	 */
	if (warm && init->n_series > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the warm-start model is a global model", fname),
				 errhint("Warm-start one series' model from one series' model, or continue the global model with rnn_train(series, ts, value, config, init).")));
	memset(m, 0, sizeof(*m));
	rnn_model_set_axis(m, axis);
	m->strategy = cfg->strategy;
	fit_check_horizon(m, cfg, fname);
	if (warm)
		rnn_check_warm_axis(init, axis, n, fname);
	F = rnn_fit_features(m, feats, n_user, n, axis->shift, cfg, init, fname);

	/*
	 * scaling: a warm start keeps its model's, except that an imported
	 * model takes a scaling the configuration names (its weights come from
	 * elsewhere: the user knows what they were trained on); auto makes
	 * every window relative to its last value, after the pipeline below
	 * took out the log level and the seasonal pattern
	 */
	m->scaling = !warm ? cfg->scaling :
		imported && cfg->scaling != RNN_CONFIG_SCALE_AUTO ? cfg->scaling : init->scaling;
	if (m->scaling == RNN_CONFIG_SCALE_AUTO)
		m->scaling = RNN_SCALE_WINDOW;
	if (warm && !imported && cfg->scaling != RNN_CONFIG_SCALE_AUTO && cfg->scaling != m->scaling)
		rnn_warm_kept_notice(fname, cfg, psprintf("scaling => '%s'", rnn_scaling_name(m->scaling)),
						 psprintf("scaling => '%s'", rnn_scaling_name(cfg->scaling)));

	/* the pipeline's log mode, which the two steps below read (the pipeline itself below) */
	rnn_pipeline_modes(cfg->log, cfg->deseasonalize, m->scaling, warm, imported,
					   warm ? init->log_transform : 0, warm ? (init->n_seasonal > 0) : 0,
					   &log_mode, &ds_mode);

	values = fit_drop_launch(m, values, &F, &n, cfg, init, log_mode, outputs);

	/* season: given, the warm-start model's, from the step, or from the autocorrelation */
	season = rnn_pipeline_choose_season(cfg->season, warm, warm ? init->season : 1,
										warm ? init->ts_kind : RNN_TS_NONE,
										m->ts_kind, m->step_kind, m->step, values, n,
										rnn_check_interrupts, NULL);

	/*
	 * one-point spikes replaced by their neighbours (rnn_pipeline_clean_spikes)
	 * before anything reads the values: the pipeline, Theta, the windows,
	 * the history kept and the calibration's actuals
	 */
	given = values;
	m->despike = rnn_pipeline_despike(cfg->despike, m->scaling, warm, imported,
									  warm ? init->despike : 0, m->n_features);
	if (m->despike)
	{
		size_t		count;

		values = rnn_pipeline_despiked(values, n, season, log_mode, &count, &rnn_palloc_allocator);
		m->spikes_replaced = (int32) count;
	}

	lag = m->scaling == RNN_SCALE_SEASONAL ? season : m->scaling == RNN_SCALE_DIFF ? 1 : 0;
	if (m->n_features > 0 && (lag > 0 || cfg->strategy == RNN_STRATEGY_SEQ2SEQ))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: features cannot be combined with %s", fname,
						lag > 0 ? psprintf("scaling => '%s'", rnn_scaling_name(m->scaling)) :
						"strategy => 'seq2seq'"),
				 errhint("Use scaling => 'window', 'zscore', 'level' or 'none' and a recursive or direct strategy.")));
	if (m->scaling == RNN_SCALE_SEASONAL && season < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: scaling => 'seasonal' needs a season of at least 2, not %d", fname, season),
				 errhint("Set season, or use scaling => 'window'.")));

	window = fit_window(m, cfg, init, season, lag, n, outputs, fname);

	rnn_fit_architecture(m, cfg, window, outputs, fname);
	rnn_check_training_memory(m, cfg, window, n, rnn_window_count(n, window, outputs), fname);
	if (warm)
		rnn_check_warm_start(init, &m->shape, window, cfg->strategy, members, fname);
	m->window = window;
	m->season = season;
	m->members = members;
	rnn_fit_init_params(m, cfg, init);

	adj = fit_pipeline(m, values, given, n, axis, cfg, init, season, log_mode, ds_mode, start, fname);

	scaled = fit_scale(m, adj, n, lag, init, fname);

	if (m->n_features > 0)
		Fs = rnn_fit_scale_features(m, F, n, warm ? init : NULL);
	rnn_fit_train_spec(&spec, m, cfg);
	spec.window = window - lag;
	spec.n_features = m->n_features;
	spec.features = Fs;
	rnn_fit_progress_init(&prog, t0, cfg, fname);

	fit_members(m, scaled, n, lag, members, warm, cfg, &spec, &prog, window, outputs, fname);

	fit_keep_state(m, values, given, F, n, cfg, season);

	/* the Theta forecast combined with the network's (rnn_theta.h) */
	fit_theta(m, values, adj, n, axis, cfg, init, season, window, outputs, &spec, &prog, &t0,
			  start, fname);
	if (start)
		return;					/* the weight's model: no intervals needed */

	fit_calibrate(m, values, F, n, cfg, season, window, outputs, ds_mode, &spec, &prog, fname);

	rnn_fit_finish(m, cfg, t0);
}
