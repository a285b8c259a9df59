/*
 * rows.c
 *	  Rows collected by the aggregates (rnn_train, rnn_backtest,
 *	  rnn_evaluate) and their conversion to a regular series: timestamps to
 *	  keys, calendar months, gaps, and errors that name the offending row.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "rnn_pg.h"

/* The RnnTsKind of a SQL type, or -1. */
int
rnn_ts_kind_of_type(Oid type)
{
	switch (type)
	{
		case TIMESTAMPTZOID:
			return RNN_TS_TIMESTAMPTZ;
		case TIMESTAMPOID:
			return RNN_TS_TIMESTAMP;
		case DATEOID:
			return RNN_TS_DATE;
		case INT8OID:
			return RNN_TS_BIGINT;
	}
	return -1;
}

/* The state of a row-collecting aggregate, created in the aggregate context. */
RnnRows *
rnn_rows_state(FunctionCallInfo fcinfo, int ts_kind, const char *fname)
{
	MemoryContext aggctx;
	RnnRows    *st;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fname);
	if (!PG_ARGISNULL(0))
		return (RnnRows *) PG_GETARG_POINTER(0);
	st = MemoryContextAllocZero(aggctx, sizeof(RnnRows));
	st->ts_kind = ts_kind;
	st->cap = 1024;
	st->values = MemoryContextAlloc(aggctx, sizeof(double) * st->cap);
	st->isnull = MemoryContextAlloc(aggctx, sizeof(bool) * st->cap);
	if (ts_kind != RNN_TS_NONE)
		st->keys = MemoryContextAlloc(aggctx, sizeof(int64) * st->cap);
	return st;
}

/*
 * a row's own errors and the group's limits, which on_error => 'null'
 * defers to the group's training
 */
typedef enum RnnRowError
{
	ROW_OK = 0,
	ROW_TS_NULL,
	ROW_TS_INFINITE,
	ROW_FEATURES_NDIM,			/* arg: the dimensions */
	ROW_FEATURES_COUNT,			/* arg: the count */
	ROW_FEATURE_INFINITE,		/* arg: the feature (1-based) */
	ROW_FEATURES_EMPTY,
	ROW_FEATURES_TOO_MANY,		/* arg: the count */
	ROW_SERIES_NULL,
	ROW_SERIES_NAME,			/* arg: its length in bytes */
	/* the group's limits, reached at row `row` */
	ROW_MEMORY_LIMIT,			/* arg: the rows collected */
	ROW_TOO_MANY_ROWS,
	ROW_TOO_MANY_SERIES
} RnnRowError;

static void row_problem(RnnRows *st, int kind, size_t row, int arg, const char *fname);
static char *key_text(int ts_kind, int step_kind, int64 key);

/* the group reached a limit under on_error => 'null': its rows are no longer kept */
#define ROWS_FULL(st) ((st)->deferred >= ROW_MEMORY_LIMIT)

/*
 * Append one row, growing geometrically up to RNN_MAX_ROWS; false when it
 * was left out: a limit reached under on_error => 'null', whose error then
 * waits for the group's training (row_problem), and every row after it
 * (the group trains to NULL).
 */
bool
rnn_rows_add(RnnRows *st, int64 key, bool value_null, double value)
{
	st->seen++;
	if (ROWS_FULL(st))
		return false;
	/*
	 * one series' rows (a global model's series are counted when they are
	 * built, and the group as a whole is bounded by the memory limit)
	 */
	if (st->names == NULL && st->n >= (size_t) RNN_MAX_ROWS)
	{
		row_problem(st, ROW_TOO_MANY_ROWS, st->seen, 0, NULL);
		return false;
	}
	if (st->n == st->cap)
	{
		size_t		newcap = st->names == NULL ? Min(st->cap * 2, (size_t) RNN_MAX_ROWS) : st->cap * 2;
		/* key, value, null flag, series index, and the regular series made from them */
		double		row_bytes = sizeof(int64) + sizeof(double) + sizeof(bool) + sizeof(int32) +
			2 * sizeof(double) +
			(double) st->n_feat * (sizeof(double) + sizeof(bool) + 3 * sizeof(double) + sizeof(rnn_real));

		/* the rows held count against the same limit as training's working memory */
		if ((double) newcap * row_bytes > (double) rnn_max_training_memory * 1024 * 1024)
		{
			row_problem(st, ROW_MEMORY_LIMIT, st->seen, (int) st->n, NULL);
			return false;
		}
		st->values = repalloc_huge(st->values, sizeof(double) * newcap);
		st->isnull = repalloc_huge(st->isnull, sizeof(bool) * newcap);
		if (st->keys)
			st->keys = repalloc_huge(st->keys, sizeof(int64) * newcap);
		if (st->n_feat > 0)
		{
			st->feats = repalloc_huge(st->feats, sizeof(double) * newcap * st->n_feat);
			st->feat_null = repalloc_huge(st->feat_null, sizeof(bool) * newcap * st->n_feat);
		}
		st->cap = newcap;
	}
	if (st->keys)
		st->keys[st->n] = key;
	st->values[st->n] = value_null ? 0 : value;
	st->isnull[st->n] = value_null;
	st->n++;
	return true;
}

/* Raise a row's error: row (1-based; 0: not known) and its figure arg; n_feat for counts. */
static void
row_error(int kind, size_t row, int arg, int n_feat, const char *fname)
{
	char	   *at = row > 0 ? psprintf(" (row %zu)", row) : "";

	switch (kind)
	{
		case ROW_TS_NULL:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: a timestamp is NULL%s", fname, at),
					 errdetail("Every row needs a timestamp; missing values may be NULL, timestamps may not.")));
			break;
		case ROW_TS_INFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s: timestamp is infinite%s", fname, at)));
			break;
		case ROW_FEATURES_NDIM:
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s: features must be a one-dimensional array, not %d-dimensional", fname, arg)));
			break;
		case ROW_FEATURES_COUNT:
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s: every row must have %d feature%s, as the first; row %zu has %d",
							fname, n_feat, n_feat == 1 ? "" : "s", row, arg)));
			break;
		case ROW_FEATURE_INFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: feature %d of row %zu is infinite", fname, arg, row)));
			break;
		case ROW_FEATURES_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s: features must have at least one element%s", fname, at),
					 errhint("Call %s without the features argument for a series without features.", fname)));
			break;
		case ROW_FEATURES_TOO_MANY:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s: %d features are more than the %d a model takes", fname, arg,
							RNN_MAX_INPUT_SIZE - 9)));
			break;
		case ROW_SERIES_NULL:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: a series name is NULL%s", fname, at),
					 errdetail("Every row of a global model names its series.")));
			break;
		case ROW_SERIES_NAME:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: a series name must have 1 to %d bytes, not %d%s", fname,
							RNN_MAX_SERIES_NAME, arg, at)));
			break;
		case ROW_MEMORY_LIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("collecting more than %d rows would exceed rnn_forecast.max_training_memory (%d MB)",
							arg, rnn_max_training_memory),
					 errdetail("Reached at row %zu of the group.", row),
					 errhint("Train on fewer rows, or ask a superuser to raise rnn_forecast.max_training_memory.")));
			break;
		case ROW_TOO_MANY_ROWS:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows for one series"),
					 errdetail("A series has at most " INT64_FORMAT " rows; reached at row %zu of the group.",
							   RNN_MAX_ROWS, row)));
			break;
		case ROW_TOO_MANY_SERIES:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("more than rnn_forecast.max_series (%d) series in one global model",
							rnn_max_series),
					 errdetail("Reached at row %zu of the group.", row),
					 errhint("Group the rows into several models (e.g. GROUP BY a region), or ask a superuser to raise rnn_forecast.max_series.")));
			break;
	}
}

/*
 * A row's error: raised at once, or under on_error => 'null' (st->defer_errors)
 * kept, the first of them, for rnn_rows_raise_deferred.
 */
static void
row_problem(RnnRows *st, int kind, size_t row, int arg, const char *fname)
{
	if (!st->defer_errors)
		row_error(kind, row, arg, st->n_feat, fname);
	if (st->deferred == ROW_OK)
	{
		st->deferred = kind;
		st->deferred_row = row;
		st->deferred_arg = arg;
	}
}

/*
 * The first row error kept under on_error => 'null', raised (inside the
 * group's training), and a features form whose every array was NULL.
 */
void
rnn_rows_raise_deferred(const RnnRows *st, const char *fname)
{
	if (st->deferred != ROW_OK)
		row_error(st->deferred, st->deferred_row, st->deferred_arg, st->n_feat, fname);
	if (st->feat_form && st->n_feat == 0 && st->n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: every row's features are NULL", fname),
				 errdetail("The features arrays say how many features a row has; all %zu rows passed NULL.", st->n),
				 errhint("Call %s without the features argument for a series without features.", fname)));
}

/* A timestamp datum of the kind as a key, or what is wrong with it (ROW_OK: nothing). */
static int
ts_key_problem(Datum d, bool isnull, int ts_kind, int64 *key)
{
	if (isnull)
		return ROW_TS_NULL;
	if (ts_kind == RNN_TS_DATE)
	{
		*key = DatumGetDateADT(d);
		return DATE_NOT_FINITE((DateADT) *key) ? ROW_TS_INFINITE : ROW_OK;
	}
	*key = DatumGetInt64(d);	/* bigint, Timestamp and TimestampTz */
	return ts_kind != RNN_TS_BIGINT && TIMESTAMP_NOT_FINITE(*key) ? ROW_TS_INFINITE : ROW_OK;
}

/*
 * The timestamp of the row about to be added (argument argno) as a key.
 * NULL and infinite timestamps are errors that name the row, or with
 * st->defer_errors kept for later: false, and the row is left out.
 */
bool
rnn_rows_key(FunctionCallInfo fcinfo, RnnRows *st, int argno, const char *fname, int64 *key)
{
	int			problem = ts_key_problem(PG_ARGISNULL(argno) ? (Datum) 0 : PG_GETARG_DATUM(argno),
										 PG_ARGISNULL(argno), st->ts_kind, key);

	if (problem == ROW_OK)
		return true;
	row_problem(st, problem, ++st->seen, 0, fname);
	return false;
}

/* The timestamp argument as a key (errors for NULL and infinite). */
int64
rnn_ts_arg_key(FunctionCallInfo fcinfo, int argno, int ts_kind, const char *fname)
{
	return rnn_ts_datum_key(PG_ARGISNULL(argno) ? (Datum) 0 : PG_GETARG_DATUM(argno),
							PG_ARGISNULL(argno), ts_kind, fname);
}

/* A timestamp datum of the kind as a key (errors for NULL and infinite). */
int64
rnn_ts_datum_key(Datum d, bool isnull, int ts_kind, const char *fname)
{
	int64		key = 0;
	int			problem = ts_key_problem(d, isnull, ts_kind, &key);

	if (problem != ROW_OK)
		row_error(problem, 0, 0, 0, fname);
	return key;
}

/*
 * A stored value's TOAST pointer into *ptr: true when d is one (a value
 * stored out of line, as a model of more than about 2 KB is).  Two such
 * pointers to the same value are the same value, which is never changed in
 * place: rows that join one stored model pass it so, and are known to pass
 * the same one without reading it at each row.
 */
bool
rnn_toast_pointer(Datum d, struct varatt_external *ptr)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (!VARATT_IS_EXTERNAL_ONDISK(v))
		return false;
	VARATT_EXTERNAL_GET_POINTER(*ptr, v);
	return true;
}

/* whether d is a TOAST pointer to the value of kept (one from rnn_toast_pointer) */
bool
rnn_same_toast_value(Datum d, const struct varatt_external *kept)
{
	struct varatt_external e;

	return rnn_toast_pointer(d, &e) && e.va_valueid == kept->va_valueid &&
		e.va_toastrelid == kept->va_toastrelid;
}

/*
 * Whether argument argno is the same value as the copy kept (NULL for
 * none): byte for byte (whole), or a model by its length and checksum;
 * kept_toast: the kept value's TOAST pointer, or NULL.
 */
bool
rnn_arg_same_as_kept(FunctionCallInfo fcinfo, int argno, const struct varlena *kept, bool whole,
					 const struct varatt_external *kept_toast)
{
	struct varlena *v;
	Size		len;

	if (PG_ARGISNULL(argno) || kept == NULL)
		return PG_ARGISNULL(argno) && kept == NULL;
	/*
	 * the same stored value: without this, every row read the whole model,
	 * a global model's warm start O(rows x series)
	 */
	if (kept_toast && rnn_same_toast_value(PG_GETARG_DATUM(argno), kept_toast))
		return true;
	v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
	len = VARSIZE_ANY_EXHDR(v);
	if (len != VARSIZE_ANY_EXHDR(kept))
		return false;
	/* a model is known by its length and checksum (its last 4 bytes) */
	if (!whole && len >= 4)
		return memcmp(VARDATA_ANY(v) + len - 4, VARDATA_ANY(kept) + len - 4, 4) == 0;
	return memcmp(VARDATA_ANY(v), VARDATA_ANY(kept), len) == 0;
}

/*
 * Keep the first row's jsonb configuration (at config_arg) and warm-start
 * model (at init_arg, or -1), copied into the aggregate context; every later
 * row must pass the same ones.  Called before the row is added (the row
 * is st->seen + 1): the configuration says whether a row's own errors wait
 * (on_error => 'null').
 */
void
rnn_rows_options(FunctionCallInfo fcinfo, RnnRows *st, int config_arg, int init_arg)
{
	MemoryContext aggctx,
				old;
	bool		has_config = config_arg >= 0 && config_arg < PG_NARGS();
	bool		has_init = init_arg >= 0 && init_arg < PG_NARGS();

	if (st->options_stable)
		return;
	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "called in non-aggregate context");
	if (st->options_seen)
	{
		if (has_config && !rnn_arg_same_as_kept(fcinfo, config_arg, (struct varlena *) st->config, true, NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("every row of one training must pass the same configuration"),
					 errdetail("Row %zu passes another configuration than the first row.", st->seen + 1),
					 errhint("Pass the configuration as a constant, e.g. rnn_config(...).")));
		if (has_init && !rnn_arg_same_as_kept(fcinfo, init_arg, (struct varlena *) st->init, false,
													 st->init_toasted ? &st->init_toast : NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("every row of one training must pass the same warm-start model"),
					 errdetail("Row %zu passes another model (or NULL) than the first row.", st->seen + 1),
					 errhint("Group by the model too, as in GROUP BY s.store, m.model.")));
		return;
	}
	old = MemoryContextSwitchTo(aggctx);
	if (has_config && !PG_ARGISNULL(config_arg))
	{
		RnnConfig	cfg;

		st->config = DatumGetJsonbPCopy(PG_GETARG_DATUM(config_arg));
		/* a bad configuration is an error at the first row, not after collecting all */
		rnn_config_from_jsonb(&cfg, st->config);
		st->defer_errors = cfg.on_error_null;
	}
	if (has_init && !PG_ARGISNULL(init_arg))
	{
		st->init_toasted = rnn_toast_pointer(PG_GETARG_DATUM(init_arg), &st->init_toast);
		st->init = DatumGetByteaPCopy(PG_GETARG_DATUM(init_arg));
	}
	st->options_seen = true;

	/*
	 * constants need no comparison at every row (it took 18% of collecting
	 * 10M rows: the jsonb of rnn_config() is a few hundred bytes)
	 */
	st->options_stable = (!has_config || get_fn_expr_arg_stable(fcinfo->flinfo, config_arg)) &&
		(!has_init || get_fn_expr_arg_stable(fcinfo->flinfo, init_arg));
	MemoryContextSwitchTo(old);
}

/* The features of row `row` missing (its array NULL, or left out by a deferred error). */
static void
row_features_missing(RnnRows *st, size_t row)
{
	for (int j = 0; j < st->n_feat; j++)
		st->feat_null[row * st->n_feat + j] = true;
}

/*
 * A problem with the features of the first row that has them, which fix
 * their count: an error at once, or under on_error => 'null' kept, and the
 * row (just added) left out.
 */
static void
first_features_problem(RnnRows *st, int kind, int arg, const char *fname)
{
	row_problem(st, kind, st->seen, arg, fname);
	st->n--;
}

static void
feature_context(void *arg)
{
	errcontext("while reading %s", (const char *) arg);
}

/* the CONTEXT of a row's features error: the row's timestamp and series (the row just added) */
static void
row_features_context(void *arg)
{
	const RnnRows *st = arg;
	size_t		row = st->n - 1;

	if (st->n == 0 || !st->keys)
		return;
	if (st->sidx)
		errcontext("the features of the row at %s of series \"%.*s\"",
				   key_text(st->ts_kind, RNN_STEP_UNITS, st->keys[row]),
				   Min(st->names->len[st->sidx[row]], 64), st->names->name[st->sidx[row]]);
	else
		errcontext("the features of the row at %s", key_text(st->ts_kind, RNN_STEP_UNITS, st->keys[row]));
}

static void rows_add_features(FunctionCallInfo fcinfo, RnnRows *st, int argno, const char *fname);

/*
 * The features of the row just added (rnn_rows_add), a float8[] at argno:
 * the first array fixes their count, every row must have as many; a NULL
 * array or element is a missing value (interpolated like values, or an
 * error under missing => 'error'), whichever row comes first.  Its errors
 * name the row (row_features_context).
 */
void
rnn_rows_add_features(FunctionCallInfo fcinfo, RnnRows *st, int argno, const char *fname)
{
	ErrorContextCallback ecb;

	/* (pushed per row: a few stores; the text is made only for an error) */
	ecb.callback = row_features_context;
	ecb.arg = st;
	ecb.previous = error_context_stack;
	error_context_stack = &ecb;
	rows_add_features(fcinfo, st, argno, fname);
	error_context_stack = ecb.previous;
}

static void
rows_add_features(FunctionCallInfo fcinfo, RnnRows *st, int argno, const char *fname)
{
	size_t		row = st->n - 1;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	st->feat_form = true;
	if (PG_ARGISNULL(argno))
	{
		/* missing features; before the first array, their count is not known yet */
		row_features_missing(st, row);
		return;
	}
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
	{
		if (st->n_feat == 0)
			return first_features_problem(st, ROW_FEATURES_NDIM, ARR_NDIM(arr), fname);
		row_problem(st, ROW_FEATURES_NDIM, st->seen, ARR_NDIM(arr), fname);
		row_features_missing(st, row);
		return;
	}
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (st->n_feat == 0)
	{
		MemoryContext aggctx;

		if (n < 1)
			return first_features_problem(st, ROW_FEATURES_EMPTY, 0, fname);
		if (n >= RNN_MAX_INPUT_SIZE - 8)
			return first_features_problem(st, ROW_FEATURES_TOO_MANY, n, fname);
		if (!AggCheckCallContext(fcinfo, &aggctx))
			elog(ERROR, "%s called in non-aggregate context", fname);
		st->n_feat = n;
		st->feats = MemoryContextAllocHuge(aggctx, sizeof(double) * st->cap * n);
		st->feat_null = MemoryContextAllocHuge(aggctx, sizeof(bool) * st->cap * n);
		/* the rows before, whose arrays were NULL: missing features (in any row order) */
		for (size_t i = 0; i < row * (size_t) n; i++)
		{
			st->feats[i] = 0;
			st->feat_null[i] = true;
		}
	}
	if (n != st->n_feat)
	{
		row_problem(st, ROW_FEATURES_COUNT, st->seen, n, fname);
		row_features_missing(st, row);
		return;
	}
	for (int j = 0; j < n; j++)
	{
		double		v = nulls[j] ? 0 : DatumGetFloat8(elems[j]);

		if (!nulls[j] && isinf(v))
		{
			row_problem(st, ROW_FEATURE_INFINITE, st->seen, j + 1, fname);
			v = 0;
			nulls[j] = true;
		}
		st->feats[row * n + j] = v;
		st->feat_null[row * n + j] = nulls[j] || isnan(v);
	}
	pfree(elems);
	pfree(nulls);
}

/*
 * The features on the grid of series (made from st by rnn_rows_to_series
 * with the same cfg): each feature regularised as the values were, its gaps
 * and NULLs filled the same way, over the series' points (from its first
 * value to its last).  (series->n, st->n_feat) values; *filled (when not
 * NULL) marks the ones filled in.
 */
static void rows_to_grid(RnnSeries *series, RnnAxis *axis, const RnnRows *st, bool values,
						 const RnnConfig *cfg, const char *fname);
static void series_error(RnnStatus st, int ts_kind, int step_kind, int64 bad, int64 grid,
						 const char *fname);

double *
rnn_rows_features_to_grid(const RnnRows *st, const RnnSeries *series, const RnnConfig *cfg,
						  bool **filled, const char *fname)
{
	int			k = st->n_feat;
	double	   *F = palloc_extended(sizeof(double) * series->n * k, MCXT_ALLOC_HUGE);
	RnnRows		col = *st;
	RnnConfig	filling = *cfg;

	if (filled)
		*filled = palloc_extended(sizeof(bool) * series->n * k, MCXT_ALLOC_HUGE);

	col.values = palloc_extended(sizeof(double) * st->n, MCXT_ALLOC_HUGE);
	col.isnull = palloc_extended(sizeof(bool) * st->n, MCXT_ALLOC_HUGE);
	col.n_feat = 0;
	filling.interpolate = true;
	for (int j = 0; j < k; j++)
	{
		RnnSeries	fs;
		RnnAxis		axis;
		ErrorContextCallback ecb;
		char		what[64];

		for (size_t i = 0; i < st->n; i++)
		{
			col.values[i] = st->feats[i * k + j];
			col.isnull[i] = st->feat_null[i * k + j];
		}
		snprintf(what, sizeof(what), "feature %d", j + 1);
		if (!rnn_rows_has_value(&col))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: feature %d is NULL on every row", fname, j + 1),
					 errdetail("A feature without a value cannot be filled in; the values' own rows are fine.")));
		ecb.callback = feature_context;
		ecb.arg = what;
		ecb.previous = error_context_stack;
		error_context_stack = &ecb;
		/*
		 * interpolated here whatever missing says: the rows the values'
		 * series left out at its ends (no value) may miss features freely
		 */
		rows_to_grid(&fs, &axis, &col, false, &filling, fname);
		/* (the values' series may have lost points without a value at its ends) */
		if (fs.n < series->trimmed_lead + series->n ||
			fs.first_key + (int64) series->trimmed_lead * fs.step != series->first_key ||
			fs.step != series->step)
			elog(ERROR, "%s: feature %d is on another grid than the values", fname, j + 1);
		for (size_t i = 0; !cfg->interpolate && i < series->n; i++)
			if (fs.missing[series->trimmed_lead + i])
				/* missing => 'error': a feature missing at a point of the series */
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s: feature %d is missing at %s", fname, j + 1,
								key_text(st->ts_kind, axis.step_kind,
										 series->first_key + (int64) i * fs.step)),
						 errdetail("The configuration has missing => 'error'; a feature is missing where it is NULL or NaN, or the step has no row."),
						 errhint("Use missing => 'interpolate' to fill gaps and NULLs by linear interpolation.")));
		error_context_stack = ecb.previous;
		for (size_t i = 0; i < series->n; i++)
		{
			F[i * k + j] = fs.values[series->trimmed_lead + i];
			if (filled)
				(*filled)[i * k + j] = fs.missing[series->trimmed_lead + i];
		}
		pfree(fs.values);
		if (fs.missing)
			pfree(fs.missing);
	}
	pfree(col.values);
	pfree(col.isnull);
	return F;
}

/*
 * The transition of the forms (ts, value [, features], config [, init]):
 * argument 1 the timestamp, 2 the value, features_arg the features (-1:
 * none), the configuration after them, init_arg the warm-start model (-1:
 * none).  The row is added with its features, or left out when its
 * timestamp's error waits (on_error => 'null').
 */
RnnRows *
rnn_rows_ts_transfn(FunctionCallInfo fcinfo, int features_arg, int init_arg, const char *fname)
{
	/* the argument's type is looked up at the first row only */
	int			kind = PG_ARGISNULL(0) ? rnn_ts_kind_of_type(get_fn_expr_argtype(fcinfo->flinfo, 1)) :
		((RnnRows *) PG_GETARG_POINTER(0))->ts_kind;
	RnnRows    *st;
	int64		key;

	if (kind < 0)
		elog(ERROR, "%s: unsupported timestamp type", fname);
	st = rnn_rows_state(fcinfo, kind, fname);
	/* the options first: they say whether a row's error waits (on_error) */
	rnn_rows_options(fcinfo, st, features_arg >= 0 ? features_arg + 1 : 3, init_arg);
	if (rnn_rows_key(fcinfo, st, 1, fname, &key) &&
		rnn_rows_add(st, key, PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2)) &&
		features_arg >= 0)
		rnn_rows_add_features(fcinfo, st, features_arg, fname);
	return st;
}

/*
 * The index of a series name, added when new (in the aggregate context);
 * -1 for a new one past rnn_forecast.max_series.
 */
static int32
names_lookup(RnnNames *t, MemoryContext cxt, const char *name, int32 len)
{
	uint32		h = hash_bytes((const unsigned char *) name, len);
	uint32		mask;
	int32		i;

	if (t->slots == 0 || 2 * (t->n + 1) >= t->slots)
	{
		/* grow (or create) and rehash */
		int32		slots = t->slots ? t->slots * 2 : 1024;


		t->slot = MemoryContextAllocZero(cxt, sizeof(int32) * slots);
		t->slots = slots;
		mask = (uint32) slots - 1;
		for (int32 k = 0; k < t->n; k++)
		{
			uint32		j = hash_bytes((const unsigned char *) t->name[k], t->len[k]) & mask;

			while (t->slot[j] != 0)
				j = (j + 1) & mask;
			t->slot[j] = k + 1;
		}
	}
	mask = (uint32) t->slots - 1;
	for (uint32 j = h & mask;; j = (j + 1) & mask)
	{
		if (t->slot[j] == 0)
		{
			if (t->n >= rnn_max_series)
				return -1;		/* a series too many: the caller's error */
			if (t->n == t->cap)
			{
				t->cap = t->cap ? t->cap * 2 : 256;
				t->name = t->name ? repalloc(t->name, sizeof(char *) * t->cap) :
					MemoryContextAlloc(cxt, sizeof(char *) * t->cap);
				t->len = t->len ? repalloc(t->len, sizeof(int32) * t->cap) :
					MemoryContextAlloc(cxt, sizeof(int32) * t->cap);
			}
			i = t->n++;
			t->name[i] = MemoryContextAlloc(cxt, len > 0 ? len : 1);
			memcpy(t->name[i], name, len);
			t->len[i] = len;
			t->slot[j] = i + 1;
			return i;
		}
		i = t->slot[j] - 1;
		if (t->len[i] == len && memcmp(t->name[i], name, len) == 0)
			return i;
	}
}

/*
 * The transition of the global aggregates over (state, series text, ts,
 * value, config jsonb [, init bytea]).
 */
RnnRows *
rnn_rows_series_transfn(FunctionCallInfo fcinfo, int features_arg, int init_arg, const char *fname)
{
	int			kind = PG_ARGISNULL(0) ? rnn_ts_kind_of_type(get_fn_expr_argtype(fcinfo->flinfo, 2)) :
		((RnnRows *) PG_GETARG_POINTER(0))->ts_kind;
	MemoryContext aggctx;
	RnnRows    *st;
	text	   *name;
	int32		len,
				s;
	int64		key;
	size_t		n0;

	if (kind < 0)
		elog(ERROR, "%s: unsupported timestamp type", fname);
	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "%s called in non-aggregate context", fname);
	st = rnn_rows_state(fcinfo, kind, fname);
	if (st->names == NULL)
	{
		st->names = MemoryContextAllocZero(aggctx, sizeof(RnnNames));
		st->sidx = MemoryContextAlloc(aggctx, sizeof(int32) * st->cap);
	}
	/* the options first: they say whether a row's error waits (on_error) */
	rnn_rows_options(fcinfo, st, features_arg >= 0 ? features_arg + 1 : 4, init_arg);
	if (PG_ARGISNULL(1))
	{
		row_problem(st, ROW_SERIES_NULL, ++st->seen, 0, fname);
		return st;
	}
	name = PG_GETARG_TEXT_PP(1);
	len = (int32) VARSIZE_ANY_EXHDR(name);
	if (len < 1 || len > RNN_MAX_SERIES_NAME)
	{
		row_problem(st, ROW_SERIES_NAME, ++st->seen, len, fname);
		return st;
	}
	if (!rnn_rows_key(fcinfo, st, 2, fname, &key))
		return st;
	n0 = st->cap;
	if (!rnn_rows_add(st, key, PG_ARGISNULL(3), PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3)))
		return st;
	if (st->cap != n0)
		st->sidx = repalloc_huge(st->sidx, sizeof(int32) * st->cap);
	/* its series (after the row was kept: a series is known by its rows) */
	if ((s = names_lookup(st->names, aggctx, VARDATA_ANY(name), len)) < 0)
	{
		st->n--;				/* the row of a series too many is left out */
		row_problem(st, ROW_TOO_MANY_SERIES, st->seen, 0, fname);
		return st;
	}
	st->sidx[st->n - 1] = s;
	if (features_arg >= 0)
		rnn_rows_add_features(fcinfo, st, features_arg, fname);
	return st;
}

/*
 * The rows of series s as a state of their own (sharing nothing with st);
 * *order (computed on the first call, NULL before) groups the rows by
 * series: order[start[s] .. start[s+1]-1] are the rows of series s.
 */
RnnRows *
rnn_rows_of_series(const RnnRows *st, int32 **order, int32 s)
{
	int32	   *o = *order;
	int32		ns = st->names->n;
	int32	   *start;
	RnnRows    *one;
	size_t		from,
				to;

	if (o == NULL)
	{
		/* counting sort by series, rows in their input order within each */
		int32	   *fill;

		o = palloc_extended(sizeof(int32) * (st->n + ns + 1), MCXT_ALLOC_HUGE);
		start = o + st->n;
		fill = palloc0(sizeof(int32) * (ns + 1));
		for (size_t i = 0; i < st->n; i++)
			fill[st->sidx[i] + 1]++;
		for (int32 k = 0; k < ns; k++)
			fill[k + 1] += fill[k];
		memcpy(start, fill, sizeof(int32) * (ns + 1));
		for (size_t i = 0; i < st->n; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			o[fill[st->sidx[i]]++] = (int32) i;
		}
		pfree(fill);
		*order = o;
	}
	start = o + st->n;
	from = start[s];
	to = start[s + 1];
	one = palloc0(sizeof(RnnRows));
	one->ts_kind = st->ts_kind;
	one->n = to - from;
	one->cap = one->n;
	one->values = palloc(sizeof(double) * (one->n ? one->n : 1));
	one->isnull = palloc(sizeof(bool) * (one->n ? one->n : 1));
	one->keys = palloc(sizeof(int64) * (one->n ? one->n : 1));
	for (size_t i = from; i < to; i++)
	{
		one->values[i - from] = st->values[o[i]];
		one->isnull[i - from] = st->isnull[o[i]];
		one->keys[i - from] = st->keys[o[i]];
	}
	if (st->n_feat > 0)
	{
		int			k = st->n_feat;

		one->n_feat = k;
		one->feats = palloc(sizeof(double) * (one->n ? one->n : 1) * k);
		one->feat_null = palloc(sizeof(bool) * (one->n ? one->n : 1) * k);
		for (size_t i = from; i < to; i++)
		{
			memcpy(one->feats + (i - from) * k, st->feats + (size_t) o[i] * k, sizeof(double) * k);
			memcpy(one->feat_null + (i - from) * k, st->feat_null + (size_t) o[i] * k, sizeof(bool) * k);
		}
	}
	return one;
}

/* Free a state made by rnn_rows_of_series. */
void
rnn_rows_free(RnnRows *one)
{
	pfree(one->values);
	pfree(one->isnull);
	pfree(one->keys);
	if (one->n_feat > 0)
	{
		pfree(one->feats);
		pfree(one->feat_null);
	}
	pfree(one);
}

/* Whether any of the rows has a value (not NULL, not NaN). */
bool
rnn_rows_has_value(const RnnRows *st)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->isnull[i] && !isnan(st->values[i]))
			return true;
	return false;
}

/*
 * A key as text for messages: month numbers as YYYY-MM, local days as the
 * wall-clock time.
 */
static char *
key_text(int ts_kind, int step_kind, int64 key)
{
	if (step_kind == RNN_STEP_LOCAL_DAYS)
		return rnn_key_to_text(RNN_TS_TIMESTAMP, key);
	if (step_kind == RNN_STEP_MONTHS)
	{
		int64		year = key >= 0 ? key / 12 : -((-key + 11) / 12);

		return psprintf(INT64_FORMAT "-%02d", year, (int) (key - 12 * year) + 1);
	}
	return rnn_key_to_text(ts_kind, key);
}

/*
 * The rows of an aggregate group for messages: "3 rows from 2024-01-01 to
 * 2024-01-03" (with the series count of a global model; rows in ORDER BY
 * order have no timestamps to show).
 */
char *
rnn_rows_describe(const RnnRows *st)
{
	StringInfoData s;

	initStringInfo(&s);
	if (st->n == 0 && st->seen > 0)
		/* a row's problem that on_error => 'null' deferred left every row out */
		appendStringInfo(&s, "%zu row%s read, none kept", st->seen, st->seen == 1 ? "" : "s");
	else if (ROWS_FULL(st) || (st->deferred != ROW_OK && st->seen > st->n))
		/* a limit stopped keeping its rows, or rows were left out: what was kept describes the rest */
		appendStringInfo(&s, "%zu rows read; the %zu kept are", st->seen, st->n);
	else
		appendStringInfo(&s, "%zu row%s", st->n, st->n == 1 ? "" : "s");
	if (st->names)
		appendStringInfo(&s, " of %d series", st->names->n);
	if (st->keys && st->n > 0)
	{
		int64		lo = st->keys[0],
					hi = st->keys[0];

		for (size_t i = 1; i < st->n; i++)
		{
			if (st->keys[i] < lo)
				lo = st->keys[i];
			if (st->keys[i] > hi)
				hi = st->keys[i];
		}
		appendStringInfo(&s, " from %s to %s", key_text(st->ts_kind, RNN_STEP_UNITS, lo),
						 key_text(st->ts_kind, RNN_STEP_UNITS, hi));
	}
	return s.data;
}

/* A distance between keys for messages: "1 day", "12:00:00", "5". */
static char *
step_text(int ts_kind, int64 d)
{
	if (ts_kind == RNN_TS_DATE)
		return psprintf(INT64_FORMAT " day%s", d, d == 1 ? "" : "s");
	if (ts_kind == RNN_TS_TIMESTAMP || ts_kind == RNN_TS_TIMESTAMPTZ)
	{
		Interval   *iv = palloc0(sizeof(Interval));

		if (d % USECS_PER_DAY == 0)
			return psprintf(INT64_FORMAT " day%s", d / USECS_PER_DAY, d == USECS_PER_DAY ? "" : "s");
		iv->time = d;
		return DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv)));
	}
	return psprintf(INT64_FORMAT, d);
}

static void
series_error(RnnStatus st, int ts_kind, int step_kind, int64 bad, int64 grid, const char *fname)
{
	switch (st)
	{
		case RNN_ERR_OFFGRID:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: the row at %s is off the grid of the other rows", fname,
							key_text(ts_kind, step_kind, bad)),
					 errdetail("At least 90%% of the rows lie %s apart or a multiple of it; the few others would make the step finer and fill the points between.",
							   step_text(ts_kind, grid)),
					 ts_kind == RNN_TS_TIMESTAMPTZ ?
					 errhint("Move such rows onto the grid (e.g. date_trunc or date_bin to the step), or delete them; rows at local midnight need time_zone in rnn_config set to their zone (a warm-start model's zone, or the session's TimeZone, is used otherwise).") :
					 errhint("Move such rows onto the grid (e.g. date_trunc or date_bin to the step), or delete them.")));
			break;
		case RNN_ERR_NOVALUES:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: all values are NULL or NaN", fname),
					 errdetail("There is nothing to train on.")));
			break;
		case RNN_ERR_NONFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: infinite value at %s", fname, key_text(ts_kind, step_kind, bad)),
					 errhint("Replace infinities with NULL to have them interpolated, or filter them out.")));
			break;
		case RNN_ERR_DUPLICATE:
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("%s: duplicate timestamp %s", fname, key_text(ts_kind, step_kind, bad)),
					 errhint("Aggregate the rows to one value per timestamp first, e.g. with GROUP BY.")));
			break;
		case RNN_ERR_MISSING:
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: missing value at %s", fname, key_text(ts_kind, step_kind, bad)),
					 errdetail("The configuration has missing => 'error'."),
					 errhint("Use missing => 'interpolate' to fill gaps and NULLs by linear interpolation.")));
			break;
		case RNN_ERR_IRREGULAR:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: timestamps are too irregular to infer a step", fname),
					 errdetail("A regular grid through the rows would need " INT64_FORMAT " points.", bad),
					 ts_kind == RNN_TS_TIMESTAMPTZ ?
					 errhint("Truncate the timestamps to a regular step first, e.g. with date_trunc or date_bin; rows at local midnight need time_zone in rnn_config set to their zone (a warm-start model's zone, or the session's TimeZone, is used otherwise).") :
					 errhint("Truncate the timestamps to a regular step first, e.g. with date_trunc or date_bin.")));
			break;
		case RNN_ERR_LIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows for %s", fname),
					 errdetail("A series has at most " INT64_FORMAT " rows.", RNN_MAX_ROWS)));
			break;
		default:
			rnn_report_status(st, fname);
	}
}

/*
 * Regularise the collected rows (leaving the state unchanged) into *series
 * and describe the time axis in *axis.  timestamptz rows are read in the
 * configured time zone, else the session's: month-aligned rows step in its
 * calendar months, rows at one time of day there in its days (across DST
 * changes), others in absolute time.  Every row's key counts for the grid,
 * and the missing points at the ends are filled with the nearest value.
 * values: the values' own rows, whose grid errors are diagnosed (a feature
 * column's keys are theirs).
 */
static void
rows_to_grid(RnnSeries *series, RnnAxis *axis, const RnnRows *st, bool values,
			 const RnnConfig *cfg, const char *fname)
{
	const int64 *keys = st->keys;
	int64	   *converted = NULL;
	int			step_kind = RNN_STEP_UNITS;
	int64		bad = 0;
	RnnStatus	rs;
	pg_tz	   *tz = NULL;
	bool		month_end = false;

	memset(axis, 0, sizeof(*axis));
	if (st->ts_kind == RNN_TS_TIMESTAMPTZ)
		tz = rnn_training_tz(cfg->time_zone, axis->time_zone);
	/* the keys as they are, or converted to months or local days (a copy) */
	if (st->keys)
	{
		if ((converted = rnn_keys_to_months(st->ts_kind, st->keys, st->n, tz, &month_end)) != NULL)
			step_kind = RNN_STEP_MONTHS;
		else if (st->ts_kind == RNN_TS_TIMESTAMPTZ &&
				 (converted = rnn_keys_to_local_days(st->keys, st->n, tz)) != NULL)
			step_kind = RNN_STEP_LOCAL_DAYS;
		if (converted)
			keys = converted;
	}
	rs = rnn_series_regularize(series, keys, st->values, st->isnull, st->n,
							   cfg->interpolate, true, RNN_MAX_ROWS, &rnn_palloc_allocator, &bad,
							   rnn_check_interrupts, NULL);
	/*
	 * sub-daily timestamptz rows at fixed local times across a DST change:
	 * off the absolute grid, or on one finer than their local step (6-hourly
	 * rows became hourly, most points filled in); they step in local time as
	 * timestamp rows
	 */
	if (values && st->ts_kind == RNN_TS_TIMESTAMPTZ && step_kind == RNN_STEP_UNITS && st->n > 2 &&
		(rs == RNN_ERR_OFFGRID || rs == RNN_ERR_IRREGULAR || rs == RNN_OK))
	{
		int64		local_step = rnn_keys_local_step(st->keys, st->n, tz);

		if (local_step > 0 && (rs != RNN_OK || series->step < local_step))
		{
			const char *zone = pg_get_timezone_name(tz);

			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: the rows are on a grid of %s in %s's local time, but not in absolute time",
							fname, step_text(RNN_TS_TIMESTAMP, local_step), zone),
					 errdetail("A daylight saving change moves rows at fixed local times; on a grid of absolute time they would %s.",
							   rs == RNN_OK ? psprintf("take a step of %s and fill the points between",
													   step_text(RNN_TS_TIMESTAMP, series->step)) :
							   "be off the grid"),
					 errhint("Pass the local times as timestamp to step in them: ts AT TIME ZONE '%s'. Or move the rows onto an absolute grid with date_bin.",
							 zone)));
		}
	}
	/*
	 * a monthly series but for a few rows: those are named, not the whole
	 * series (timestamptz rows at local midnight too, which went to local
	 * days when the months did not hold)
	 */
	if (values && rs == RNN_ERR_IRREGULAR && step_kind != RNN_STEP_MONTHS && st->keys &&
		rnn_keys_month_strays(st->ts_kind, st->keys, st->n, tz, &bad))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the row at %s is off the grid of the other rows", fname,
						key_text(st->ts_kind, RNN_STEP_UNITS, bad)),
				 errdetail("At least 90%% of the rows lie on one day of the month (or on month ends) at one time of day; the few others would make the step finer and fill the points between."),
				 errhint("Move such rows onto the grid (e.g. date_trunc('month', ...)), or delete them.")));
	if (rs != RNN_OK)
		series_error(rs, st->ts_kind, step_kind, bad, series->step, fname);

	axis->ts_kind = st->ts_kind;
	axis->step_kind = step_kind;
	axis->step = series->step;
	axis->month_end = month_end;
	if (st->keys)
	{
		/* the native value of the last row is the largest key */
		axis->last_ts = st->keys[0];
		for (size_t i = 1; i < st->n; i++)
			if (st->keys[i] > axis->last_ts)
				axis->last_ts = st->keys[i];
	}
	else
		axis->last_ts = (int64) series->n - 1;
	if (converted)
		pfree(converted);
}

/*
 * The series to train on (or backtest): the rows regularised as
 * rows_to_grid does, from the first row with a value to the last (rows
 * without one before or after them are not data: filled with the nearest
 * value they would put made-up steps at the ends, and the forecasts would
 * start after the last row instead of after the last value).  axis->last_ts
 * is the last row with a value.
 */
void
rnn_rows_to_series(RnnSeries *series, RnnAxis *axis, const RnnRows *st,
				   const RnnConfig *cfg, const char *fname)
{
	bool		trail,
				any = false;

	rows_to_grid(series, axis, st, true, cfg, fname);
	trail = series->trail_missing > 0;
	rnn_series_trim_ends(series);
	if (!st->keys)
	{
		/* rows without timestamps: the last value's row, counted from the first row (0) */
		axis->last_ts = (int64) (series->trimmed_lead + series->n) - 1;
		return;
	}
	/* the native value of the last row with a value */
	for (size_t i = 0; trail && i < st->n; i++)
		if (!st->isnull[i] && !isnan(st->values[i]) && (!any || st->keys[i] > axis->last_ts))
		{
			axis->last_ts = st->keys[i];
			any = true;
		}
}
