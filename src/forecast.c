/*
 * forecast.c
 *	  Forecasting SQL functions: rnn_forecast(model, horizon, level) as a
 *	  table of future steps with intervals, rnn_forecast(model, history,
 *	  horizon) as an array, and the rnn_predict aggregate / window function.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "rnn_pg.h"
#include "rnn_calendar.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_series.h"
#include "rnn_theta.h"

PG_FUNCTION_INFO_V1(rnn_forecast_table);
PG_FUNCTION_INFO_V1(rnn_forecast_series);
PG_FUNCTION_INFO_V1(rnn_model_series);
PG_FUNCTION_INFO_V1(rnn_forecast_array);
PG_FUNCTION_INFO_V1(rnn_predict_transfn);
PG_FUNCTION_INFO_V1(rnn_predict_finalfn);

static void
check_horizon(int horizon, const char *fname)
{
	if (horizon < 1 || horizon > RNN_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: horizon must be between 1 and %d, not %d", fname, RNN_MAX_HORIZON, horizon)));
}

/* A horizon beyond the output size needs a univariate (recursive) model. */
void
rnn_check_model_horizon(const RnnModel *m, int horizon, const char *fname)
{
	check_horizon(horizon, fname);
	if (horizon > m->shape.output_size && m->shape.input_size != 1 && m->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: horizon %d exceeds the model's output size %d", fname, horizon, m->shape.output_size),
				 errdetail("Recursive forecasts need a model with input_size 1; this one has %d.",
						   m->shape.input_size)));
}

/*
 * horizon forecasts after hist (T rows) whose last row has the given phase;
 * F: the horizon steps' features for a model with features (NULL without)
 */
static double *
forecast_at_phase(const RnnModel *m, const double *hist, int T, int horizon, int32_t phase,
				  const double *F, const char *fname)
{
	double	   *out = palloc(sizeof(double) * horizon);
	RnnStatus	st = rnn_forecast_features(out, m, hist, F, 1, T, horizon, &phase, NULL, NULL,
										   &rnn_palloc_allocator);

	rnn_report_status(st, fname);
	rnn_theta_combine(out, m, &m->theta, horizon, phase);
	for (int h = 0; h < horizon; h++)
		if (!isfinite(out[h]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: the forecast is not finite", fname),
					 errdetail("The recursive forecast grew beyond the range of double precision at step %d.", h + 1)));
	return out;
}

/* the forms that take a global model (its series named) and a calendar model (timestamps) */
#define HINT_GLOBAL_FORMS "Forecast its series with rnn_forecast(model, series, horizon, level[, future]), or over rows with rnn_predict_rows(series, ts, value, model, horizon[, features])."
#define HINT_CALENDAR_FORMS "Forecast it with rnn_forecast(model, horizon, level[, future]), or over rows with rnn_predict_rows(ts, value, model, horizon[, features])."

/*
 * A model trained with features forecasts only where the future features
 * can be given: rnn_forecast(model, horizon, level, future).
 */
void
rnn_check_no_features(const RnnModel *m, const char *fname)
{
	if (m->n_features > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s does not take models trained with features", fname),
				 errdetail("The model reads %d feature%s besides the values.", m->n_features,
						   m->n_features == 1 ? "" : "s"),
				 /* the forms that take it: a global model's name its series, calendar features need timestamps */
				 m->n_series > 0 ?
				 errhint("%s", HINT_GLOBAL_FORMS) :
				 m->calendar ?
				 errhint("%s", HINT_CALENDAR_FORMS) :
				 strcmp(fname, "rnn_predict") == 0 ?
				 errhint("Forecast it over rows with rnn_predict_rows(value, model, horizon, features), or with rnn_forecast(model, horizon, level, future).") :
				 errhint("Forecast it with rnn_forecast(model, horizon, level, future).")));
}

/*
 * The features of the horizon steps after a model's last training row
 * (horizon rows of m->n_features): the user's from future (at least
 * horizon rows of as many values as the model was trained with: a 2-D
 * array, or a 1-D one for a single feature; NULL when the model has none),
 * then the calendar's, computed from the model's time axis.  history: the
 * call is rnn_forecast(model, history, horizon, future), whose form the
 * hints name (else the table forms').
 */
static double *
future_features(const RnnModel *m, ArrayType *future, int horizon, bool history, const char *fname)
{
	int			K = m->n_features;
	int			n_user = K - rnn_calendar_count(m->calendar);
	double	   *F = palloc(sizeof(double) * horizon * (K > 0 ? K : 1));

	if (n_user > 0 && future == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model was trained with %d feature%s: pass their future values",
						fname, n_user, n_user == 1 ? "" : "s"),
				 errdetail("future is missing or NULL (a subquery over no rows is NULL)."),
				 errhint("Call rnn_forecast(model, %s, future) with at least %d rows of %d value%s, e.g. array_agg(ARRAY[...] ORDER BY ts).",
						 history ? "history, horizon" : "[series,] horizon, level",
						 horizon, n_user, n_user == 1 ? "" : "s")));
	if (n_user == 0 && future != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 K > 0 ?
				 errmsg("%s: the model's features are calendar ones only, computed from its time axis, but future features were given", fname) :
				 errmsg("%s: the model was trained without features, but future features were given", fname),
				 errhint("Call rnn_forecast(model, %s).", history ? "history, horizon" : "[series,] horizon, level")));
	if (n_user > 0)
	{
		int			ndim = ARR_NDIM(future);
		int			rows = ndim >= 1 ? ARR_DIMS(future)[0] : 0;
		int			cols = ndim == 2 ? ARR_DIMS(future)[1] : 1;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		if (ndim > 2)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s: future must be a 1-D or 2-D array, not %d-D", fname, ndim),
					 errhint("A model trained with %d feature%s needs %s: one row per forecast step.",
							 n_user, n_user == 1 ? "" : "s", n_user == 1 ? "a 1-D or 2-D array" : "a 2-D array")));
		if (ndim < 1 || cols != n_user || rows < horizon)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s: future must have at least %d rows of %d value%s; it has %d of %d",
							fname, horizon, n_user, n_user == 1 ? "" : "s", rows, ndim == 0 ? 0 : cols),
					 errhint("A model trained with %d feature%s needs a %s array: one row per forecast step.",
							 n_user, n_user == 1 ? "" : "s", n_user == 1 ? "1-D or 2-D" : "2-D")));
		deconstruct_array(future, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &nelems);
		for (int h = 0; h < horizon; h++)
			for (int j = 0; j < n_user; j++)
			{
				int			e = h * n_user + j;

				double		x = nulls[e] ? NAN : DatumGetFloat8(elems[e]);

				/* as rnn_evaluate's and a backtest's: NaN is missing, as NULL is */
				if (isnan(x))
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("%s: future feature %d of step %d is missing (NULL or NaN)", fname,
									j + 1, h + 1),
							 errdetail("Future features are not interpolated: every step needs its values.")));
				if (isinf(x))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("%s: future feature %d of step %d is infinite", fname, j + 1, h + 1)));
				/* the network's inputs are bounded (rnn_pipeline_scale_features) */
				if (!(fabs((x - m->feature_mean[j]) / m->feature_std[j]) <= 1e30))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("%s: future feature %d of step %d is too large for the model", fname,
									j + 1, h + 1),
							 errdetail("After the model's scaling of the feature (mean %g, standard deviation %g) it exceeds 1e30 in magnitude.",
									   m->feature_mean[j], m->feature_std[j])));
				F[(size_t) h * K + j] = x;
			}
	}
	if (m->calendar)
		rnn_calendar_rows(m, 1, horizon, F, K, n_user);
	return F;
}

/* horizon forecasts of a model with features after its stored history */
static double *
forecast_with_features(const RnnModel *m, ArrayType *future, int horizon, const char *fname)
{
	double	   *F = future_features(m, future, horizon, false, fname);

	if (m->n_series > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model is a global model of %d series", fname, m->n_series),
				 errhint("Name the series: rnn_forecast(model, series, horizon, level); rnn_model_series(model) lists them.")));
	return rnn_forecast_view(m, F, horizon, fname);
}

/*
 * horizon forecasts after the history a series view (or a single-series
 * model) keeps, padded at the front with its first row when the series was
 * shorter than the window; F: the horizon steps' features (horizon rows of
 * n_features, the calendar's included; NULL without features)
 */
double *
rnn_forecast_view(const RnnModel *view, const double *F, int horizon, const char *fname)
{
	const double *hist = view->history;
	int			T = view->n_history;
	int			I = view->shape.input_size;

	if (T < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model keeps no history to forecast from", fname),
				 errhint("Pass the recent values: rnn_forecast(model, history float8[], horizon).")));
	if (view->window > 0 && T < view->window)
	{
		double	   *pad = palloc(sizeof(double) * view->window * I);

		for (int t = 0; t < view->window - T; t++)
			memcpy(pad + (size_t) t * I, hist, sizeof(double) * I);
		memcpy(pad + (size_t) (view->window - T) * I, hist, sizeof(double) * T * I);
		hist = pad;
		T = view->window;
	}
	return forecast_at_phase(view, hist, T, horizon, view->phase_last, F, fname);
}

/*
 * horizon forecasts after hist (T rows); an error when any is not finite.
 * A global model scales a history it did not keep by the history itself.
 */
static double *forecast_history(const RnnModel *m, const double *hist, int T, int horizon,
								 int32_t given_phase, const char *fname);

double *
rnn_forecast_or_error(const RnnModel *m, const double *hist, int T, int horizon, const char *fname)
{
	return forecast_history(m, hist, T, horizon, -1, fname);
}

/*
 * rnn_forecast_or_error with the place of the history's last value in the
 * season given (phase >= 0: a one-series seasonal model, from more rows
 * than hist holds), or guessed from hist (-1)
 */
static double *
forecast_history(const RnnModel *m, const double *hist, int T, int horizon, int32_t given_phase,
				 const char *fname)
{
	int32_t		phase = m->phase_last;

	if (m->n_series > 0)
	{
		RnnModel	view;
		RnnSeriesState st;

		rnn_report_status(rnn_pipeline_unseen_view(&view, &st, m, hist, (size_t) T, NULL,
												   &rnn_palloc_allocator),
						  fname);
		return rnn_forecast_view(&view, NULL, horizon, fname);
	}

	/*
	 * The stored history ends where training did; another history's place
	 * in the season is the one the model's seasonal indices fit best.
	 */
	if (hist != m->history)
	{
		/* Theta fitted on the history given, and the floor by its values */
		RnnModel	one = *m;
		bool		failed;
		double	   *clean;

		one.nonnegative = rnn_pipeline_history_floors(m, hist, (size_t) T, 1);
		/*
		 * the place in the season by the values as given (the stored window
		 * is found among them as it was kept: cleaning a longer history may
		 * replace one of its values), as rnn_predict's row track reads them
		 */
		if (m->n_seasonal > 0)
			phase = given_phase >= 0 && given_phase < m->n_seasonal ? given_phase :
				rnn_pipeline_guess_phase(m, hist, T, &rnn_palloc_allocator);
		/* then its one-point spikes replaced, as training replaced the series' */
		clean = rnn_pipeline_histories_despiked(m, hist, 1, T, m->shape.input_size, &failed,
												rnn_check_interrupts, NULL, &rnn_palloc_allocator);
		if (failed)
			rnn_report_status(RNN_ERR_ALLOC, fname);
		if (clean)
			hist = clean;
		if (m->theta_weight > 0)
			rnn_theta_fit_values(&one.theta, m, hist, (size_t) T, 1, phase);
		return forecast_at_phase(&one, hist, T, horizon, phase, NULL, fname);
	}
	return forecast_at_phase(m, hist, T, horizon, phase, NULL, fname);
}

/* horizon forecasts after the history the model keeps (an error when it keeps none) */
double *
rnn_forecast_stored(const RnnModel *m, int horizon, const char *fname)
{
	rnn_check_no_features(m, fname);
	if (m->n_series > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model is a global model of %d series", fname, m->n_series),
				 errhint("Name the series: rnn_forecast(model, series, horizon, level); rnn_model_series(model) lists them.")));
	if (m->n_history < 1 || (m->window > 0 && m->n_history < m->window))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model keeps no history to forecast from", fname),
				 errhint("Pass the recent values: rnn_forecast(model, history float8[], horizon).")));
	return rnn_forecast_or_error(m, m->history, m->n_history, horizon, fname);
}

typedef struct TableCtx
{
	RnnModel	m;
	double	   *fc;
	RnnIntervals iv;
} TableCtx;

/*
 * The row (step, ts, forecast, lower, upper, ts_bigint, ts_local) of step
 * h.  ts_bigint: the step number of a bigint series (its last one plus h
 * steps), h for rows without timestamps (rnn_evaluate's numbering), NULL
 * for calendar timestamps.  ts_local: the wall-clock time in the series'
 * own calendar (date at midnight, timestamp, or timestamptz in the model's
 * zone), whatever the session's TimeZone.  Row types of five or six
 * columns (the 0.3.0 and 0.4.0 scripts under this library) get the first
 * five or six.
 */
static Datum
forecast_row(FuncCallContext *funcctx, TableCtx *ctx, int h)
{
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, true, true};
	double		lo,
				hi;

	rnn_interval_bounds(&ctx->m, &ctx->iv, ctx->fc[h - 1], h, ctx->m.phase_last, &lo, &hi);
	values[0] = Int32GetDatum(h);
	values[1] = rnn_future_timestamptz(&ctx->m, h, &nulls[1]);
	values[2] = Float8GetDatum(ctx->fc[h - 1]);
	if (isnan(lo))
		nulls[3] = nulls[4] = true;
	else
	{
		values[3] = Float8GetDatum(lo);
		values[4] = Float8GetDatum(hi);
	}
	if (ctx->m.ts_kind == RNN_TS_NONE)
	{
		values[5] = Int64GetDatum((int64) h);
		nulls[5] = false;
	}
	else if (ctx->m.ts_kind == RNN_TS_BIGINT)
	{
		int64		key;

		/* a step number past bigint is an error, as a timestamp past timestamptz is */
		if (!rnn_key_after(&ctx->m, h, &key))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("rnn_forecast: step %d's step number passes the end of bigint", h),
					 errhint("Forecast fewer steps.")));
		values[5] = Int64GetDatum(key);
		nulls[5] = false;
	}
	if (funcctx->tuple_desc->natts >= 7)
		values[6] = rnn_future_local(&ctx->m, h, &nulls[6]);
	return HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls));
}

/* The first call of a forecast table: the row type, the level, a context. */
static TableCtx *
forecast_table_start(FunctionCallInfo fcinfo, FuncCallContext *funcctx, double level)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rnn_forecast: return type must be a row type");
	if (tupdesc->natts < 5 || tupdesc->natts > 7)
		elog(ERROR, "rnn_forecast: return type must have 5 to 7 columns");
	funcctx->tuple_desc = BlessTupleDesc(tupdesc);
	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_forecast: level must be between 0 and 1 (exclusive), not %g", level)));
	return palloc0(sizeof(TableCtx));
}

/* The next row of a forecast table, or its end. */
static Datum
forecast_table_next(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_PERCALL_SETUP();
	TableCtx   *ctx = funcctx->user_fctx;

	if (funcctx->call_cntr < funcctx->max_calls)
	{
		/* SRF_RETURN_NEXT counts the call before it evaluates its argument */
		Datum		row = forecast_row(funcctx, ctx, (int) funcctx->call_cntr + 1);

		SRF_RETURN_NEXT(funcctx, row);
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * rnn_forecast(model bytea, horizon int, level float8)
 *	 RETURNS TABLE(step int, ts timestamptz, forecast float8, lower float8, upper float8)
 */
Datum
rnn_forecast_table(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	TableCtx   *ctx;

	/* the form with future features is not strict (future may be NULL): NULL arguments give no rows */
	if (SRF_IS_FIRSTCALL() && (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)))
	{
		funcctx = SRF_FIRSTCALL_INIT();
		SRF_RETURN_DONE(funcctx);
	}
	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		bytea	   *raw = PG_GETARG_BYTEA_PP(0);
		int			horizon = PG_GETARG_INT32(1);
		double		level = PG_GETARG_FLOAT8(2);

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		ctx = forecast_table_start(fcinfo, funcctx, level);
		rnn_model_read(&ctx->m, raw);
		rnn_check_model_horizon(&ctx->m, horizon, "rnn_forecast");
		if (ctx->m.n_features > 0 || PG_NARGS() > 3)
			ctx->fc = forecast_with_features(&ctx->m, PG_NARGS() > 3 && !PG_ARGISNULL(3) ?
											 PG_GETARG_ARRAYTYPE_P(3) : NULL, horizon, "rnn_forecast");
		else
			ctx->fc = rnn_forecast_stored(&ctx->m, horizon, "rnn_forecast");
		rnn_report_status(rnn_intervals_prepare(&ctx->iv, &ctx->m, level, &rnn_palloc_allocator),
						  "rnn_forecast");
		funcctx->max_calls = horizon;
		funcctx->user_fctx = ctx;
		MemoryContextSwitchTo(old);
	}
	return forecast_table_next(fcinfo);
}

/*
 * rnn_forecast(model bytea, series text, horizon int, level float8)
 *	 RETURNS TABLE(step int, ts timestamptz, forecast float8, lower float8, upper float8)
 * The model is decoded once per backend and value (rnn_model_cached), so a
 * query that forecasts every series of a model decodes it once.
 */
Datum
rnn_forecast_series(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	TableCtx   *ctx;

	/* as rnn_forecast_table: NULL arguments but future give no rows */
	if (SRF_IS_FIRSTCALL() && (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3)))
	{
		funcctx = SRF_FIRSTCALL_INIT();
		SRF_RETURN_DONE(funcctx);
	}
	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		const RnnModel *m = rnn_model_cached(PG_GETARG_DATUM(0));
		text	   *name = PG_GETARG_TEXT_PP(1);
		int			horizon = PG_GETARG_INT32(2);
		double		level = PG_GETARG_FLOAT8(3);
		int			i;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		ctx = forecast_table_start(fcinfo, funcctx, level);
		if (m->n_series == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_forecast: the model is not a global model"),
					 errhint("Forecast a single-series model with rnn_forecast(model, horizon, level).")));
		i = rnn_model_find_series(m, VARDATA_ANY(name), (int32_t) VARSIZE_ANY_EXHDR(name));
		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_forecast: the model has no series \"%s\"", text_to_cstring(name)),
					 errhint("rnn_model_series(model) lists its series; rnn_forecast(model, history float8[], horizon) forecasts another one.")));
		rnn_model_series_view(&ctx->m, m, i);
		rnn_check_model_horizon(&ctx->m, horizon, "rnn_forecast");
		if (ctx->m.n_features > 0 || PG_NARGS() > 4)
			ctx->fc = forecast_with_features(&ctx->m, PG_NARGS() > 4 && !PG_ARGISNULL(4) ?
											 PG_GETARG_ARRAYTYPE_P(4) : NULL, horizon, "rnn_forecast");
		else
			ctx->fc = rnn_forecast_view(&ctx->m, NULL, horizon, "rnn_forecast");
		rnn_report_status(rnn_intervals_prepare(&ctx->iv, &ctx->m, level, &rnn_palloc_allocator),
						  "rnn_forecast");
		/* the cached model may be replaced between rows: keep what the rows need */
		if (ctx->m.n_seasonal > 0)
		{
			double	   *seasonal = palloc(sizeof(double) * ctx->m.n_seasonal);

			memcpy(seasonal, ctx->m.seasonal, sizeof(double) * ctx->m.n_seasonal);
			ctx->m.seasonal = seasonal;
		}
		ctx->m.params = NULL;
		ctx->m.history = NULL;
		ctx->m.feature_mean = ctx->m.feature_std = NULL;
		ctx->m.cal_err = NULL;
		ctx->m.loss_train = ctx->m.loss_val = NULL;
		funcctx->max_calls = horizon;
		funcctx->user_fctx = ctx;
		MemoryContextSwitchTo(old);
	}
	return forecast_table_next(fcinfo);
}

/* rnn_model_series(model bytea) RETURNS SETOF text: the series of a global model */
Datum
rnn_model_series(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	const RnnModel *m;

	if (SRF_IS_FIRSTCALL())
	{
		funcctx = SRF_FIRSTCALL_INIT();
		m = rnn_model_cached(PG_GETARG_DATUM(0));
		funcctx->max_calls = m->n_series;
	}
	funcctx = SRF_PERCALL_SETUP();
	m = rnn_model_cached(PG_GETARG_DATUM(0));
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		const RnnSeriesState *st = &m->series[funcctx->call_cntr];
		Datum		name = PointerGetDatum(cstring_to_text_with_len(st->name, st->name_len));

		SRF_RETURN_NEXT(funcctx, name);
	}
	SRF_RETURN_DONE(funcctx);
}

ArrayType *
rnn_float8_array(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * A model with features forecasts from a history of T rows (a value and
 * its features) given the future features F (horizon rows): a global
 * model scales a series it did not keep by the history's values, as
 * without features.
 */
double *
rnn_forecast_history_features(const RnnModel *m, const double *hist, int T, const double *F,
							  int horizon, const char *fname)
{
	int			I = m->shape.input_size;
	double	   *values = palloc(sizeof(double) * T);
	RnnModel	one = *m;

	for (int t = 0; t < T; t++)
		values[t] = hist[(size_t) t * I];
	if (m->n_series > 0)
	{
		RnnModel	view;
		RnnSeriesState st;

		/* the history's last rows, with their features */
		rnn_report_status(rnn_pipeline_unseen_view(&view, &st, m, values, (size_t) T, hist,
												   &rnn_palloc_allocator),
						  fname);
		return rnn_forecast_view(&view, F, horizon, fname);
	}
	one.history = (double *) hist;
	one.n_history = T;
	one.nonnegative = rnn_pipeline_history_floors(m, values, (size_t) T, 1);
	if (m->n_seasonal > 0)
		one.phase_last = rnn_pipeline_guess_phase(m, values, T, &rnn_palloc_allocator);
	if (m->theta_weight > 0)
		rnn_theta_fit_values(&one.theta, &one, values, (size_t) T, 1, one.phase_last);
	return rnn_forecast_view(&one, F, horizon, fname);
}

/*
 * rnn_forecast(model bytea, history float8[], horizon int [, future float8[]]) RETURNS float8[]
 * history: 1-D (T values) or 2-D (T rows of input_size values: for a model
 * with features, each row's value and features); future: the features of
 * the steps forecast.
 */
Datum
rnn_forecast_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	int			horizon;
	const RnnModel *m;
	int			ndim;
	int			T,
				I;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	double	   *hist;
	bool		with_future = PG_NARGS() > 3;

	/*
	 * (the form with future is not strict: NULL for a NULL model, history
	 * or horizon, as the strict form without, but a NULL future is the
	 * error of a missing one, as in the table forms)
	 */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	arr = PG_GETARG_ARRAYTYPE_P(1);
	horizon = PG_GETARG_INT32(2);
	/* one model for many rows is decoded once (cached for the transaction) */
	m = rnn_model_cached(PG_GETARG_DATUM(0));
	ndim = ARR_NDIM(arr);
	if (m->calendar)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rnn_forecast(model, history, horizon) does not take models with calendar features"),
				 errdetail("A history array carries no timestamps to compute them from."),
				 m->n_series > 0 ?
				 errhint("%s", HINT_GLOBAL_FORMS) :
				 errhint("%s", HINT_CALENDAR_FORMS)));
	if (m->n_features > 0 && !with_future)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_forecast: the model was trained with %d feature%s: pass their future values",
						m->n_features, m->n_features == 1 ? "" : "s"),
				 errhint("Call rnn_forecast(model, history, horizon, future) with a history of rows of the value and its %d feature%s.",
						 m->n_features, m->n_features == 1 ? "" : "s")));
	rnn_check_model_horizon(m, horizon, "rnn_forecast");
	if (ndim == 1)
	{
		T = ARR_DIMS(arr)[0];
		I = 1;
	}
	else if (ndim == 2)
	{
		T = ARR_DIMS(arr)[0];
		I = ARR_DIMS(arr)[1];
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("history must be a 1-D or 2-D array, not %d-D", ndim)));
	if (I != m->shape.input_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("history has %d value%s per step, the model's input_size is %d",
						I, I == 1 ? "" : "s", m->shape.input_size),
				 m->shape.input_size > 1 ?
				 errhint("Pass a 2-D array of T rows with %d values each.", m->shape.input_size) :
				 errhint("Pass a 1-D array of recent values.")));
	/* a global model pads a short history as it does its short series */
	if (T < 1 || (m->window > 0 && T < m->window && (m->n_series == 0 || T < 2)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("history has %d step%s, the model needs at least %d",
						T, T == 1 ? "" : "s", m->n_series > 0 ? 2 : Max(m->window, 1))));
	if (T > RNN_MAX_WINDOW && m->window == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("history has %d steps, more than the limit of %d", T, RNN_MAX_WINDOW)));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &nelems);
	hist = palloc(sizeof(double) * nelems);
	for (int i = 0; i < nelems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("history must not contain NULL (element %d)", i + 1)));
		hist[i] = DatumGetFloat8(elems[i]);
		if (!isfinite(hist[i]))
			ereport(ERROR,
					(errcode(isinf(hist[i]) ? ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE : ERRCODE_DATA_EXCEPTION),
					 errmsg("history must contain finite values (element %d is %g)", i + 1, hist[i])));
	}
	if (with_future)
		PG_RETURN_ARRAYTYPE_P(rnn_float8_array(rnn_forecast_history_features(m, hist, T,
																		 future_features(m, PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3), horizon, true, "rnn_forecast"),
																		 horizon, "rnn_forecast"),
											   horizon));
	PG_RETURN_ARRAYTYPE_P(rnn_float8_array(rnn_forecast_or_error(m, hist, T, horizon, "rnn_forecast"), horizon));
}

/* ---- rnn_predict(value, model, horizon): aggregate and window function ---- */

typedef struct PredictState
{
	const RnnModel *m;			/* the call site's model (predict_model), or &own */
	RnnModel	own;			/* a group's copy of a model other than the call site's */
	RnnModelDatum key;			/* the first row's model datum */
	int			horizon;
	size_t		n;
	size_t		cap;
	double	   *values;
	bool	   *isnull;
	bool		null_model;		/* the group's rows pass a NULL model: the result is NULL */
	/*
	 * where the rows fall in a one-series model's season (predict_phase):
	 * the rows up to the last that has a value, read as they come; pending:
	 * the missing rows after it, not read yet
	 */
	bool		tracking;
	RnnPhaseTrack track;
	size_t		pending;
} PredictState;

/*
 * The checks of a model that forecasts rows one value each (rnn_predict,
 * rnn_predict_rows, rnn_anomaly): the horizon, and one input per step.
 */
void
rnn_check_predict_model(const RnnModel *m, int horizon, const char *fname)
{
	rnn_check_no_features(m, fname);
	rnn_check_model_horizon(m, horizon, fname);
	if (m->shape.input_size != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a model with input_size 1; this one has %d",
						fname, m->shape.input_size),
				 errhint("Use rnn_forecast(model, history float8[][], horizon) for multivariate models.")));
}

/*
 * The model of an rnn_predict call site: decoded, with its rearranged
 * weights and its stored window's table (rnn_phase_anchor_table).
 */
typedef struct PredictModel
{
	RnnModel	m;
	RnnModelDatum key;
	int32_t    *anchor;
} PredictModel;

/*
 * The model for a group's first row.  A moving window frame starts a new
 * group at every row; copying the model and rearranging its weights for
 * each (a few hundred KB) cost about as much as the forecast itself.  The
 * first model a call site sees is kept for the query in the function's
 * fn_extra, where no other model can replace it while groups use it; a
 * group with another model gets its own copy in its own context, as every
 * group did before.
 */
static const RnnModel *
predict_model(FunctionCallInfo fcinfo, Datum model, RnnModel *own, const int32_t **anchor)
{
	PredictModel *pm = (PredictModel *) fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (pm != NULL && rnn_model_datum_same(&pm->key, model))
	{
		*anchor = pm->anchor;
		return &pm->m;
	}
	if (pm != NULL)
	{
		rnn_model_copy(own, rnn_model_cached(model));
		rnn_report_status(rnn_model_prepare_infer(own, &rnn_palloc_allocator), "rnn_predict");
		*anchor = rnn_phase_anchor_table(own, &rnn_palloc_allocator);
		return own;
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	pm = palloc0(sizeof(PredictModel));
	rnn_model_copy(&pm->m, rnn_model_cached(model));
	rnn_report_status(rnn_model_prepare_infer(&pm->m, &rnn_palloc_allocator), "rnn_predict");
	rnn_model_datum_keep(&pm->key, model);
	pm->anchor = rnn_phase_anchor_table(&pm->m, &rnn_palloc_allocator);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = pm;	/* only once complete */
	*anchor = pm->anchor;
	return &pm->m;
}

Datum
rnn_predict_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx,
				old;
	PredictState *st;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "rnn_predict called in non-aggregate context");
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_predict: horizon must not be NULL")));
	if (!PG_ARGISNULL(0) && ((PredictState *) PG_GETARG_POINTER(0))->null_model != PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_predict: every row of a group must pass the same model and horizon"),
				 errdetail("Some rows pass a NULL model and some do not.")));
	if (PG_ARGISNULL(2))
	{
		/*
		 * a NULL model (a group whose training failed with on_error =>
		 * 'null', joined): no forecast, as a strict function gives
		 */
		if (PG_ARGISNULL(0))
		{
			st = MemoryContextAllocZero(aggctx, sizeof(PredictState));
			st->null_model = true;
			PG_RETURN_POINTER(st);
		}
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	if (PG_ARGISNULL(0))
	{
		Datum		model = PG_GETARG_DATUM(2);

		/*
		 * A moving frame starts a new group at every row: the model is
		 * prepared once per call site (predict_model).
		 */
		const int32_t *anchor;

		old = MemoryContextSwitchTo(aggctx);
		st = palloc0(sizeof(PredictState));
		st->m = predict_model(fcinfo, model, &st->own, &anchor);
		rnn_model_datum_keep(&st->key, model);
		st->horizon = PG_GETARG_INT32(3);
		rnn_check_predict_model(st->m, st->horizon, "rnn_predict");
		st->cap = 64;
		st->values = palloc(sizeof(double) * st->cap);
		st->isnull = palloc(sizeof(bool) * st->cap);
		st->tracking = st->m->n_series == 0 && st->m->n_seasonal >= 2;
		if (st->tracking)
		{
			rnn_phase_track_reset(&st->track);
			st->track.anchor = anchor;
		}
		MemoryContextSwitchTo(old);
	}
	else
	{
		st = (PredictState *) PG_GETARG_POINTER(0);
		if (PG_GETARG_INT32(3) != st->horizon || !rnn_model_datum_same(&st->key, PG_GETARG_DATUM(2)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_predict: every row of a group must pass the same model and horizon")));
	}
	if (st->n == st->cap)
	{
		if (st->n >= (size_t) RNN_MAX_ROWS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows for rnn_predict")));
		st->cap *= 2;
		st->values = repalloc_huge(st->values, sizeof(double) * st->cap);
		st->isnull = repalloc_huge(st->isnull, sizeof(bool) * st->cap);
	}
	st->isnull[st->n] = PG_ARGISNULL(1);
	st->values[st->n] = PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1);
	if (!st->isnull[st->n] && isinf(st->values[st->n]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rnn_predict: value is infinite (row %zu of the group)", st->n + 1)));
	if (st->tracking)
	{
		if (st->isnull[st->n] || isnan(st->values[st->n]))
			st->pending++;
		else
		{
			for (; st->pending > 0; st->pending--)
				rnn_phase_track_add(&st->track, st->m, 0, true);
			rnn_phase_track_add(&st->track, st->m, st->values[st->n], false);
		}
	}
	st->n++;
	PG_RETURN_POINTER(st);
}

/*
 * Forecast after the rows seen; NULL while fewer rows than the model's
 * window have been seen (the first rows of a window frame).  Reads the
 * state only, as a window function's final function must.
 */
/*
 * Where the last of the first n rows seen falls in a one-series model's
 * season: every row of the frame read as rnn_predict_rows reads a
 * partition (RnnPhaseTrack: missing rows break the changes around them,
 * the model's own last window places them), not only the window's.  The
 * transition function reads each row as it comes, so that a window
 * aggregate over a growing frame does not read them again for every row;
 * the missing rows it holds back are read here, on a copy (a final
 * function leaves the state as it is).  -1 without seasonal indices or for
 * a global model (its pipeline places a history by itself).
 */
static int32_t
predict_phase(const PredictState *st, size_t n)
{
	RnnPhaseTrack track;
	size_t		read = st->n - st->pending;

	if (!st->tracking)
		return -1;
	Assert(n >= read);
	if (n == read)
		return rnn_phase_track_phase(&st->track, st->m);
	track = st->track;
	for (; read < n; read++)
		rnn_phase_track_add(&track, st->m, 0, true);
	return rnn_phase_track_phase(&track, st->m);
}

Datum
rnn_predict_finalfn(PG_FUNCTION_ARGS)
{
	PredictState *st;
	size_t		W,
				n,
				g = 0;
	RnnSeries	s;
	int64		bad;
	RnnStatus	rs;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (PredictState *) PG_GETARG_POINTER(0);
	if (st->null_model)
		PG_RETURN_NULL();
	n = st->n;
	W = st->m->window > 0 ? (size_t) st->m->window : Min(n, (size_t) RNN_MAX_WINDOW);
	if (n < W || W == 0)
		PG_RETURN_NULL();
	/*
	 * A window that ends in missing values (up to RNN_ROWS_MAX_GAP of them,
	 * past the whole window, as rnn_predict_rows) moves back to its last
	 * value when the rows before it fill it, and the forecast is of the
	 * steps after the last row, not from values filled in after the last
	 * known one; more missing rows than that: no forecast, as there
	 */
	while (g < n && (st->isnull[n - 1 - g] || isnan(st->values[n - 1 - g])))
		g++;
	if (g > RNN_ROWS_MAX_GAP(W))
		PG_RETURN_NULL();
	if (g > 0 && (st->m->window <= 0 || n - g >= W) && st->horizon + (int) g <= RNN_MAX_HORIZON)
	{
		n -= g;
		if (st->m->window <= 0)
			W = Min(n, (size_t) RNN_MAX_WINDOW);
	}
	else
		g = 0;
	/*
	 * a model combined with Theta fits it on up to RNN_THETA_MAX_POINTS rows,
	 * and a global model puts as many through its pipeline (scale, season)
	 */
	if ((st->m->theta_weight > 0 || st->m->n_series > 0) && W < Min(n, (size_t) RNN_THETA_MAX_POINTS))
		W = Min(n, (size_t) RNN_THETA_MAX_POINTS);
	/* NULL and NaN values inside the window are interpolated */
	rs = rnn_series_regularize(&s, NULL, st->values + n - W, st->isnull + n - W, W,
							   true, false, RNN_MAX_ROWS, &rnn_palloc_allocator, &bad, NULL, NULL);
	if (rs == RNN_ERR_NOVALUES)
		PG_RETURN_NULL();
	rnn_report_status(rs, "rnn_predict");
	/*
	 * rows without a value before the first one are no history (a training
	 * leaves them out too): not filled in for Theta or the pipeline, as long
	 * as a whole window remains
	 */
	if (s.lead_missing > 0 && W - s.lead_missing >= (size_t) Max(st->m->window, 1))
	{
		s.values += s.lead_missing;
		W -= s.lead_missing;
	}
	PG_RETURN_ARRAYTYPE_P(rnn_float8_array(forecast_history(st->m, s.values, (int) W,
															st->horizon + (int) g,
															predict_phase(st, n), "rnn_predict") + g,
										   st->horizon));
}
