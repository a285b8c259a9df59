/*
 * train.c
 *	  The training aggregates rnn_train(...): the transition functions
 *	  collect rows in the aggregate context, the final function regularises
 *	  the series, trains the network with the core and returns the model.
 *
 * The final function only reads the state, so it may run more than once.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "rnn_pg.h"
#include "rnn_predict.h"
#include "rnn_series.h"
#include "rnn_train.h"

PG_FUNCTION_INFO_V1(rnn_train_transfn);
PG_FUNCTION_INFO_V1(rnn_train_ts_transfn);
PG_FUNCTION_INFO_V1(rnn_train_finalfn);

typedef struct TrainState
{
	int			ts_kind;		/* RnnTsKind */
	size_t		n;
	size_t		cap;
	int64	   *keys;			/* NULL for ts_kind NONE */
	double	   *values;
	bool	   *isnull;
	Jsonb	   *config;			/* first non-null config, copied */
	bytea	   *init;			/* warm-start model, copied */
} TrainState;

static TrainState *
train_state(FunctionCallInfo fcinfo, int ts_kind)
{
	MemoryContext aggctx;
	TrainState *st;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "rnn_train called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (TrainState *) PG_GETARG_POINTER(0);
	st = MemoryContextAllocZero(aggctx, sizeof(TrainState));
	st->ts_kind = ts_kind;
	st->cap = 1024;
	st->values = MemoryContextAlloc(aggctx, sizeof(double) * st->cap);
	st->isnull = MemoryContextAlloc(aggctx, sizeof(bool) * st->cap);
	if (ts_kind != RNN_TS_NONE)
		st->keys = MemoryContextAlloc(aggctx, sizeof(int64) * st->cap);
	return st;
}

/* Append one row, growing geometrically up to RNN_MAX_ROWS. */
static void
train_state_add(TrainState *st, int64 key, bool value_null, double value)
{
	if (st->n == st->cap)
	{
		size_t		newcap = st->cap * 2;

		if (st->n >= (size_t) RNN_MAX_ROWS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows for rnn_train"),
					 errdetail("A model is trained on at most " INT64_FORMAT " rows.", RNN_MAX_ROWS)));
		st->values = repalloc_huge(st->values, sizeof(double) * newcap);
		st->isnull = repalloc_huge(st->isnull, sizeof(bool) * newcap);
		if (st->keys)
			st->keys = repalloc_huge(st->keys, sizeof(int64) * newcap);
		st->cap = newcap;
	}
	if (st->keys)
		st->keys[st->n] = key;
	st->values[st->n] = value_null ? 0 : value;
	st->isnull[st->n] = value_null;
	st->n++;
}

static void
train_state_options(FunctionCallInfo fcinfo, TrainState *st, int config_arg, int init_arg)
{
	MemoryContext old;

	if (st->config == NULL && config_arg < PG_NARGS() && !PG_ARGISNULL(config_arg))
	{
		MemoryContext aggctx;

		AggCheckCallContext(fcinfo, &aggctx);
		old = MemoryContextSwitchTo(aggctx);
		st->config = DatumGetJsonbPCopy(PG_GETARG_DATUM(config_arg));
		MemoryContextSwitchTo(old);
	}
	if (st->init == NULL && init_arg < PG_NARGS() && !PG_ARGISNULL(init_arg))
	{
		MemoryContext aggctx;

		AggCheckCallContext(fcinfo, &aggctx);
		old = MemoryContextSwitchTo(aggctx);
		st->init = DatumGetByteaPCopy(PG_GETARG_DATUM(init_arg));
		MemoryContextSwitchTo(old);
	}
}

/* rnn_train(value float8 [, config jsonb]): rows in the aggregate's ORDER BY order */
Datum
rnn_train_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state(fcinfo, RNN_TS_NONE);

	train_state_add(st, 0, PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1));
	train_state_options(fcinfo, st, 2, 99);
	PG_RETURN_POINTER(st);
}

/* rnn_train(ts, value float8, config jsonb [, init bytea]) */
Datum
rnn_train_ts_transfn(PG_FUNCTION_ARGS)
{
	Oid			ts_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	int			kind;
	TrainState *st;
	int64		key = 0;

	switch (ts_type)
	{
		case TIMESTAMPTZOID:
			kind = RNN_TS_TIMESTAMPTZ;
			break;
		case TIMESTAMPOID:
			kind = RNN_TS_TIMESTAMP;
			break;
		case DATEOID:
			kind = RNN_TS_DATE;
			break;
		case INT8OID:
			kind = RNN_TS_BIGINT;
			break;
		default:
			elog(ERROR, "rnn_train: unsupported timestamp type %u", ts_type);
	}
	st = train_state(fcinfo, kind);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_train: a timestamp is NULL"),
				 errdetail("Every row needs a timestamp; missing values may be NULL, timestamps may not.")));
	switch (kind)
	{
		case RNN_TS_DATE:
			key = PG_GETARG_DATEADT(1);
			if (DATE_NOT_FINITE((DateADT) key))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("rnn_train: timestamp is infinite")));
			break;
		case RNN_TS_BIGINT:
			key = PG_GETARG_INT64(1);
			break;
		default:
			key = PG_GETARG_INT64(1);	/* Timestamp and TimestampTz are int64 */
			if (TIMESTAMP_NOT_FINITE(key))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("rnn_train: timestamp is infinite")));
			break;
	}
	train_state_add(st, key, PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2));
	train_state_options(fcinfo, st, 3, 4);
	PG_RETURN_POINTER(st);
}

/* ---- final function ---- */

typedef struct ProgressArg
{
	instr_time	start;
	int			epochs;
} ProgressArg;

static void
check_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
report_epoch(void *arg, int epoch, double train_loss, double val_loss)
{
	ProgressArg *p = arg;
	instr_time	now;

	if (!rnn_progress)
		return;
	if (epoch != 1 && epoch % 10 != 0 && epoch != p->epochs)
		return;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, p->start);
	if (val_loss >= 0)
		ereport(NOTICE,
				(errmsg("rnn_train: epoch %d/%d, training loss %.4g, validation loss %.4g, %.1f s",
						epoch, p->epochs, train_loss, val_loss, INSTR_TIME_GET_DOUBLE(now))));
	else
		ereport(NOTICE,
				(errmsg("rnn_train: epoch %d/%d, training loss %.4g, %.1f s",
						epoch, p->epochs, train_loss, INSTR_TIME_GET_DOUBLE(now))));
}

/* A key as text for messages, month numbers as YYYY-MM. */
static char *
key_text(int ts_kind, bool months, int64 key)
{
	if (months)
		return psprintf(INT64_FORMAT "-%02d", key >= 0 ? key / 12 : -((-key + 11) / 12),
						(int) (key - 12 * (key >= 0 ? key / 12 : -((-key + 11) / 12))) + 1);
	return rnn_key_to_text(ts_kind, key);
}

static void
series_error(RnnStatus st, int ts_kind, bool months, int64 bad)
{
	switch (st)
	{
		case RNN_ERR_NOVALUES:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rnn_train: all values are NULL or NaN"),
					 errdetail("There is nothing to train on.")));
			break;
		case RNN_ERR_NONFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("rnn_train: infinite value at %s", key_text(ts_kind, months, bad)),
					 errhint("Replace infinities with NULL to have them interpolated, or filter them out.")));
			break;
		case RNN_ERR_DUPLICATE:
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("rnn_train: duplicate timestamp %s", key_text(ts_kind, months, bad)),
					 errhint("Aggregate the rows to one value per timestamp first, e.g. with GROUP BY.")));
			break;
		case RNN_ERR_MISSING:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rnn_train: missing value at %s", key_text(ts_kind, months, bad)),
					 errdetail("The configuration has missing => 'error'."),
					 errhint("Use missing => 'interpolate' to fill gaps and NULLs by linear interpolation.")));
			break;
		case RNN_ERR_IRREGULAR:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("rnn_train: timestamps are too irregular to infer a step"),
					 errdetail("A regular grid through the rows would need " INT64_FORMAT " points.", bad),
					 errhint("Truncate the timestamps to a regular step first, e.g. with date_trunc or date_bin.")));
			break;
		case RNN_ERR_LIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows for rnn_train"),
					 errdetail("A model is trained on at most " INT64_FORMAT " rows.", RNN_MAX_ROWS)));
			break;
		default:
			rnn_report_status(st, "rnn_train");
	}
}

/* Compare architecture of a warm-start model with the configuration. */
static void
check_warm_start(const RnnModel *init, const RnnShape *s, int window)
{
	const char *what = NULL;
	int			have = 0,
				want = 0;

	if (init->shape.cell != s->cell)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_train: warm-start model does not match the configuration"),
				 errdetail("The model's cell is %s, the configuration's is %s.",
						   rnn_cell_name(init->shape.cell), rnn_cell_name(s->cell))));
	{
		struct
		{
			const char *label;
			int			model;
			int			config;
		}			dims[] = {
			{"hidden_size", init->shape.hidden_size, s->hidden_size},
			{"num_layers", init->shape.num_layers, s->num_layers},
			{"bidirectional", init->shape.bidirectional, s->bidirectional},
			{"horizon (output size)", init->shape.output_size, s->output_size},
			{"input_size", init->shape.input_size, s->input_size},
			{"window", init->window > 0 ? init->window : window, window},
		};

		for (size_t i = 0; i < lengthof(dims) && what == NULL; i++)
			if (dims[i].model != dims[i].config)
			{
				what = dims[i].label;
				have = dims[i].model;
				want = dims[i].config;
			}
	}
	if (what)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_train: warm-start model does not match the configuration"),
				 errdetail("The model's %s is %d, the configuration's is %d.", what, have, want),
				 errhint("Give the configuration the model's architecture; only window may be left out to take the model's.")));
	if (init->members != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rnn_train: warm start from an ensemble is not supported")));
}

Datum
rnn_train_finalfn(PG_FUNCTION_ARGS)
{
	TrainState *st;
	RnnConfig	cfg;
	RnnSeries	series;
	RnnModel	m;
	RnnModel	init;
	RnnTrainSpec spec;
	RnnTrainResult res;
	RnnTrainHooks hooks;
	ProgressArg parg;
	RnnStatus	rs;
	int64		bad = 0;
	int64	   *keys = NULL;
	bool		months = false;
	int			season,
				window;
	size_t		n;
	rnn_real   *scaled;
	instr_time	t0,
				t1;
	MemoryContext trainctx,
				old;
	bytea	   *result;
	bool		warm;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (TrainState *) PG_GETARG_POINTER(0);
	INSTR_TIME_SET_CURRENT(t0);

	/* everything below lives in a context deleted on the way out */
	trainctx = AllocSetContextCreate(CurrentMemoryContext, "rnn_train",
									 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(trainctx);

	rnn_config_from_jsonb(&cfg, st->config);
	warm = st->init != NULL;
	if (warm)
		rnn_model_read(&init, st->init);

	/* keys: copy (the state must stay unchanged), months when aligned */
	if (st->keys)
	{
		keys = palloc(sizeof(int64) * st->n);
		memcpy(keys, st->keys, sizeof(int64) * st->n);
		months = rnn_keys_to_months(st->ts_kind, keys, st->n);
	}
	rs = rnn_series_regularize(&series, keys, st->values, st->isnull, st->n,
							   cfg.interpolate, RNN_MAX_ROWS, &rnn_palloc_allocator, &bad);
	if (rs != RNN_OK)
		series_error(rs, st->ts_kind, months, bad);
	n = series.n;

	memset(&m, 0, sizeof(m));
	m.ts_kind = st->ts_kind;
	m.step_kind = months ? RNN_STEP_MONTHS : RNN_STEP_UNITS;
	m.step = series.step;
	if (st->keys)
	{
		/* the native value of the last row is the largest key */
		m.last_ts = st->keys[0];
		for (size_t i = 1; i < st->n; i++)
			if (st->keys[i] > m.last_ts)
				m.last_ts = st->keys[i];
	}
	else
		m.last_ts = (int64) n - 1;
	if (warm && (init.ts_kind != m.ts_kind || (n > 1 && init.ts_kind != RNN_TS_NONE &&
											   (init.step_kind != m.step_kind || init.step != m.step))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_train: warm-start model was trained on a different time axis"),
				 errdetail("The model's timestamps are of another type or step than these rows'.")));

	/* season and window */
	season = cfg.season > 0 ? cfg.season :
		warm ? init.season : rnn_default_season(m.ts_kind, m.step_kind, m.step);
	window = cfg.window;
	if (window == 0 && warm && init.window > 0)
		window = init.window;
	if (window == 0)
	{
		/* two seasons (at least 12 steps), but leave half the rows as windows */
		window = Max(2 * season, 12);
		if ((size_t) window > (n > (size_t) cfg.horizon ? (n - cfg.horizon) / 2 : 1))
			window = (int) Max(2, (n > (size_t) cfg.horizon ? (n - cfg.horizon) / 2 : 1));
	}
	if (n < (size_t) window + cfg.horizon)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_train: too few rows: %zu, need at least %d", n, window + cfg.horizon),
				 errdetail("Training needs window (%d) + horizon (%d) rows after gaps are filled.",
						   window, cfg.horizon),
				 errhint("Add rows, or choose a smaller window or horizon.")));

	/* architecture */
	m.shape.cell = cfg.cell;
	m.shape.input_size = 1;
	m.shape.hidden_size = cfg.hidden_size;
	m.shape.num_layers = cfg.num_layers;
	m.shape.bidirectional = cfg.bidirectional ? 1 : 0;
	m.shape.output_size = cfg.horizon;
	if (rnn_shape_check(&m.shape) != RNN_OK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rnn_train: the network would have %zu parameters, more than the limit of %d",
						rnn_param_count(&m.shape), RNN_MAX_PARAMS)));
	if (warm)
	{
		/* hand-written configs may leave sizes out: those take the model's */
		check_warm_start(&init, &m.shape, window);
	}
	m.window = window;
	m.season = season;
	m.members = 1;
	m.n_params = rnn_param_count(&m.shape);
	m.params = palloc_extended(sizeof(rnn_real) * m.n_params, MCXT_ALLOC_HUGE);
	if (warm)
		memcpy(m.params, init.params, sizeof(rnn_real) * m.n_params);
	else
		rnn_init_params(m.params, &m.shape, (uint64_t) cfg.seed);

	/* scaling: a warm start keeps the statistics its weights were trained with */
	m.scaling = warm ? init.scaling : cfg.scaling;
	m.scale_mean = 0;
	m.scale_std = 1;
	if (warm)
	{
		m.scale_mean = init.scale_mean;
		m.scale_std = init.scale_std;
	}
	else if (m.scaling != RNN_SCALE_NONE)
	{
		double		sum = 0,
					ss = 0;

		for (size_t i = 0; i < n; i++)
			sum += series.values[i];
		m.scale_mean = sum / n;
		for (size_t i = 0; i < n; i++)
			ss += (series.values[i] - m.scale_mean) * (series.values[i] - m.scale_mean);
		m.scale_std = n > 1 ? sqrt(ss / (n - 1)) : 0;
		if (!(m.scale_std > 1e-12 * Max(1.0, fabs(m.scale_mean))) || !isfinite(m.scale_std))
			m.scale_std = 1;	/* a constant series */
	}
	scaled = palloc_extended(sizeof(rnn_real) * n, MCXT_ALLOC_HUGE);
	for (size_t i = 0; i < n; i++)
	{
		double		z = (series.values[i] - m.scale_mean) / m.scale_std;

		if (!isfinite(z) || fabs(z) > 1e30)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("rnn_train: values are too large to train on"),
					 errhint("Rescale the values, or use scaling => 'zscore'.")));
		scaled[i] = (rnn_real) z;
	}

	memset(&spec, 0, sizeof(spec));
	spec.shape = m.shape;
	spec.window = window;
	spec.epochs = cfg.epochs;
	spec.batch_size = cfg.batch_size;
	spec.learning_rate = cfg.learning_rate;
	spec.optimizer = cfg.optimizer;
	spec.clip_norm = cfg.clip_norm;
	spec.validation_fraction = cfg.validation_fraction;
	spec.patience = cfg.patience;
	spec.seed = (uint64_t) cfg.seed;
	spec.loss = cfg.loss;
	spec.quantile = cfg.quantile;
	spec.window_level = m.scaling == RNN_SCALE_WINDOW;
	parg.start = t0;
	parg.epochs = cfg.epochs;
	hooks.arg = &parg;
	hooks.check = check_interrupts;
	hooks.epoch_done = report_epoch;

	rs = rnn_train(m.params, &res, scaled, n, &spec, &rnn_palloc_allocator, &hooks);
	if (rs == RNN_ERR_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rnn_train: batch_size 0 puts %zu windows in one batch, more than %d",
						rnn_window_count(n, window, cfg.horizon), RNN_MAX_BATCH),
				 errhint("Set a batch_size.")));
	rnn_report_status(rs, "rnn_train");

	/* history: the last window of the series */
	m.n_history = window;
	m.history = palloc(sizeof(double) * window);
	memcpy(m.history, series.values + n - window, sizeof(double) * window);

	m.rows = (int64) n;
	m.epochs_run = res.epochs_run;
	m.best_epoch = res.best_epoch;
	m.train_loss = res.train_loss;
	m.val_loss = res.val_loss;
	m.seed = (uint64_t) cfg.seed;
	m.n_loss = res.epochs_run;
	m.loss_train = res.loss_train;
	m.loss_val = res.loss_val;

	/* interval calibration on held-out windows (the last ones when few) */
	{
		size_t		region = res.n_val + cfg.horizon - 1;
		size_t		minimum = Max(30, n * 3 / 10);

		if (region < minimum)
			region = Min(minimum, n - window);
		rs = rnn_calibrate(&m, series.values, n, n - region,
						   Max(cfg.horizon, Max(season, 12)), &rnn_palloc_allocator);
		rnn_report_status(rs, "rnn_train");
	}

	INSTR_TIME_SET_CURRENT(t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	m.train_seconds = INSTR_TIME_GET_DOUBLE(t1);

	MemoryContextSwitchTo(old);
	result = rnn_model_write(&m);
	MemoryContextDelete(trainctx);
	PG_RETURN_BYTEA_P(result);
}
