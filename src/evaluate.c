/*
 * evaluate.c
 *	  Scoring forecasts in SQL: rnn_backtest trains on rolling origins and
 *	  scores each fold's forecast; rnn_evaluate scores a model's forecast
 *	  against the actual rows that followed its training data.  Both return
 *	  MAE, RMSE, sMAPE, MASE (scaled by the in-sample seasonal naive MAE),
 *	  the coverage of the 90% prediction interval and its mean scaled
 *	  interval score (MSIS, on the same scale) as jsonb; the figures
 *	  themselves are the core's (rnn_score.c).
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "rnn_pg.h"
#include "rnn_calendar.h"
#include "rnn_predict.h"
#include "rnn_score.h"

PG_FUNCTION_INFO_V1(rnn_backtest_transfn);
PG_FUNCTION_INFO_V1(rnn_backtest_series_transfn);
PG_FUNCTION_INFO_V1(rnn_backtest_features_transfn);
PG_FUNCTION_INFO_V1(rnn_backtest_series_features_transfn);
PG_FUNCTION_INFO_V1(rnn_backtest_finalfn);
PG_FUNCTION_INFO_V1(rnn_evaluate_transfn);
PG_FUNCTION_INFO_V1(rnn_evaluate_finalfn);

#define EVAL_LEVEL 0.9

static void
append_number(StringInfo buf, const char *key, double v, bool last)
{
	if (isfinite(v))
		appendStringInfo(buf, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
	else
		appendStringInfo(buf, "\"%s\": null%s", key, last ? "" : ", ");
}

/* The metrics of s as JSON members (no braces), with sc's means of the scaled ones. */
static void
append_scores(StringInfo buf, const RnnScores *s, const RnnScaled *sc)
{
	RnnMetrics	r;

	rnn_score_metrics(&r, s, sc);
	appendStringInfo(buf, "\"points\": %zu, ", r.points);
	append_number(buf, "mae", r.mae, false);
	append_number(buf, "rmse", r.rmse, false);
	append_number(buf, "smape", r.smape, false);
	append_number(buf, "mase", r.mase, false);
	append_number(buf, "msis", r.msis, false);
	append_number(buf, "coverage", r.coverage, true);
}

/* ---- rnn_backtest(ts, value, config, horizon, folds) ---- */

/*
 * A fold forecasts its horizon from the features of those steps, which
 * are not interpolated (as rnn_forecast refuses a NULL future feature),
 * and of the gap steps without a value just before it, which it forecasts
 * from its last value: one filled in there (filled: (n, k) marks; NULL:
 * none) is an error that names the step, the fold and the series (NULL:
 * one series).
 */
static void
backtest_check_future(const bool *filled, int k, size_t origin, size_t gap, size_t h,
					  const RnnAxis *axis, size_t n, int fold, const char *series)
{
	for (size_t s = origin - gap; filled && s < origin + h; s++)
		for (int j = 0; j < k; j++)
			if (filled[s * (size_t) k + j])
			{
				/* the step named in the series' own calendar */
				RnnModel   *m = palloc0(sizeof(RnnModel));

				rnn_model_set_axis(m, axis);
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("rnn_backtest: feature %d of the step at %s is missing", j + 1,
								rnn_point_text(m, (int64) s - (int64) (n - 1))),
						 s < origin ?
						 errdetail("Fold %d%s%s trains up to its last value, %zu steps before its horizon, and forecasts that step from its features, which are not interpolated.",
								   fold, series ? " of series " : "", series ? series : "", gap) :
						 errdetail("Fold %d%s%s forecasts that step from its features, which are not interpolated.",
								   fold, series ? " of series " : "", series ? series : ""),
						 errhint("Give the rows of every fold's horizon (the last folds x horizon rows), and the rows without a value just before it, their features.")));
			}
}

/* the CONTEXT line of an error in a fold's training or forecast: arg, the text */
static void
fold_error_context(void *arg)
{
	errcontext("%s", (const char *) arg);
}

/* put a fold's CONTEXT line (text) on the error context stack; the caller pops it */
static void
fold_context_push(ErrorContextCallback *ecb, char *text)
{
	ecb->callback = fold_error_context;
	ecb->arg = text;
	ecb->previous = error_context_stack;
	error_context_stack = ecb;
}

/* horizon and folds, at arguments arg and arg + 1: the first row's, the same on every row */
static void
backtest_options(FunctionCallInfo fcinfo, RnnRows *st, int arg)
{
	if (PG_ARGISNULL(arg) || PG_ARGISNULL(arg + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_backtest: horizon and folds must not be NULL")));
	if (st->n > 1)
	{
		if (PG_GETARG_INT32(arg) != st->horizon || PG_GETARG_INT32(arg + 1) != st->folds)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_backtest: every row must pass the same horizon and folds"),
					 errdetail("Row %zu passes horizon %d and folds %d, the first row %d and %d.",
							   st->n, PG_GETARG_INT32(arg), PG_GETARG_INT32(arg + 1),
							   st->horizon, st->folds)));
		return;
	}
	st->horizon = PG_GETARG_INT32(arg);
	st->folds = PG_GETARG_INT32(arg + 1);
	if (st->horizon < 1 || st->horizon > RNN_MAX_OUTPUT_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_backtest: horizon must be between 1 and %d", RNN_MAX_OUTPUT_SIZE)));
	if (st->folds < 1 || st->folds > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_backtest: folds must be between 1 and 100")));
}

/*
 * Every feature of a series for its whole grid (the user's, then the
 * calendar's relative to the series' last row), as the folds' models read
 * them: a fold's forecast takes its horizon's rows.  NULL without features.
 */
static double *
backtest_features(const RnnAxis *axis, const double *feats, int n_user, size_t n,
				  const RnnConfig *cfg, int *K)
{
	RnnModel	t;
	double	   *F;

	memset(&t, 0, sizeof(t));
	rnn_model_set_axis(&t, axis);
	F = rnn_fit_features(&t, feats, n_user, n, 0, cfg, NULL, "rnn_backtest");
	*K = t.n_features;
	return F;
}

/* per series of a global backtest: pooled points and its folds' scaled metrics */
typedef struct SeriesScores
{
	RnnScores	s;
	RnnScaled	sc;
} SeriesScores;

/*
 * The global backtest: every fold trains one model on all series without
 * their last (folds - f) * horizon points and scores each series' forecast
 * of the next horizon points.  A series whose training part ends in steps
 * without a value is cut before them, and forecast that many steps further
 * (as one series' backtest does).  MASE (and MSIS) is the mean over series and
 * folds of each one's, as the M competitions average it.
 */
static Datum
backtest_global(RnnRows *st, RnnConfig *cfg)
{
	RnnGlobalData *g = rnn_global_collect(st, cfg, "rnn_backtest");
	size_t		h = (size_t) st->horizon;
	SeriesScores *per = palloc0(sizeof(SeriesScores) * g->ns);
	size_t	   *cuts = palloc(sizeof(size_t) * g->ns);
	double	  **F = palloc0(sizeof(double *) * g->ns);
	int			K = 0;
	RnnScores	total;
	RnnScaled	overall = {0};
	double		seconds = 0;
	StringInfoData out;
	MemoryContext foldctx,
				old;

	memset(&total, 0, sizeof(total));
	initStringInfo(&out);
	appendStringInfo(&out, "{\"horizon\": %zu, \"folds\": %d, \"level\": %g, \"series\": %d, \"per_fold\": [",
					 h, st->folds, EVAL_LEVEL, g->ns);
	if (g->n_user > 0 || cfg->calendar)
		for (int32 k = 0; k < g->ns; k++)
			F[k] = backtest_features(&g->axes[k], g->feat[k], g->n_user, g->series[k].n, cfg, &K);
	foldctx = AllocSetContextCreate(CurrentMemoryContext, "rnn_backtest fold",
									ALLOCSET_DEFAULT_SIZES);
	for (int f = 0; f < st->folds; f++)
	{
		size_t		cut = (size_t) (st->folds - f) * h;
		RnnModel	m;
		RnnScores	fs;
		RnnScaled	fold = {0};
		int32		k = 0;
		ErrorContextCallback ecb;

		/*
		 * each series' own cut: before the steps without a value that end
		 * its part (no such steps in a series too short for the fold, which
		 * is left out); one that would forecast more than RNN_MAX_HORIZON
		 * steps is left out of the fold (its whole length as its cut)
		 */
		for (int32 j = 0; j < g->ns; j++)
		{
			size_t		n = g->series[j].n;

			cuts[j] = n <= cut ? cut : cut + rnn_series_missing_before(&g->series[j], n - cut);
			if (cuts[j] - cut + h > RNN_MAX_HORIZON)
				cuts[j] = n;
		}
		old = MemoryContextSwitchTo(foldctx);
		fold_context_push(&ecb, psprintf("rnn_backtest fold %d of %d, each series without its last %zu steps",
										 f + 1, st->folds, cut));
		rnn_fit_global_data(&m, g, cut, cuts, cfg, NULL, "rnn_backtest");
		seconds += m.train_seconds;
		memset(&fs, 0, sizeof(fs));
		for (int32 i = 0; i < m.n_series; i++)
		{
			RnnModel	view;
			RnnIntervals iv;
			double	   *fc;
			RnnScores	s;
			const RnnSeries *ser;
			size_t		origin,
						gap;

			CHECK_FOR_INTERRUPTS();
			/* the model's series are g's in the same (name) order, some left out */
			while (g->name_len[k] != m.series[i].name_len ||
				   memcmp(g->name[k], m.series[i].name, g->name_len[k]) != 0)
				k++;
			ser = &g->series[k];
			origin = ser->n - cut;
			gap = cuts[k] - cut;
			backtest_check_future(g->feat_filled[k], g->n_user, origin, gap, h, &g->axes[k], ser->n,
								  f + 1, pnstrdup(g->name[k], g->name_len[k]));
			rnn_model_series_view(&view, &m, i);
			fc = rnn_forecast_view(&view, K > 0 ? F[k] + (origin - gap) * K : NULL, (int) (gap + h),
								   "rnn_backtest");
			rnn_report_status(rnn_intervals_prepare(&iv, &view, EVAL_LEVEL, &rnn_palloc_allocator),
							  "rnn_backtest");
			memset(&s, 0, sizeof(s));
			for (size_t j = 0; j < h; j++)
			{
				double		lo,
							hi;

				if (ser->missing && ser->missing[origin + j])
					continue;	/* filled in: nothing to score */
				rnn_interval_bounds(&view, &iv, fc[gap + j], (int) (gap + j) + 1, view.phase_last,
									&lo, &hi);
				rnn_score_point(&s, ser->values[origin + j], fc[gap + j], lo, hi, EVAL_LEVEL);
			}
			rnn_score_add(&fs, &s);
			rnn_score_add(&total, &s);
			rnn_score_add(&per[k].s, &s);
			rnn_scaled_add(&fold, &s, view.naive_scale);
			rnn_scaled_add(&per[k].sc, &s, view.naive_scale);
		}
		error_context_stack = ecb.previous;
		MemoryContextSwitchTo(old);
		appendStringInfo(&out, "%s{\"fold\": %d, \"steps_before_end\": %zu, \"series\": %d, ",
						 f ? ", " : "", f + 1, cut, m.n_series);
		append_scores(&out, &fs, &fold);
		appendStringInfoChar(&out, '}');
		rnn_scaled_merge(&overall, &fold);
		MemoryContextReset(foldctx);
	}
	MemoryContextDelete(foldctx);
	appendStringInfoString(&out, "], ");
	append_scores(&out, &total, &overall);
	appendStringInfoString(&out, ", \"per_series\": [");
	for (int32 k = 0, first = 1; k < g->ns; k++)
	{
		if (per[k].s.n == 0)
			continue;
		appendStringInfoString(&out, first ? "{\"series\": " : ", {\"series\": ");
		first = 0;
		escape_json(&out, pnstrdup(g->name[k], g->name_len[k]));
		appendStringInfoString(&out, ", ");
		append_scores(&out, &per[k].s, &per[k].sc);
		appendStringInfoChar(&out, '}');
	}
	appendStringInfo(&out, "], \"training_seconds\": %.3f}", seconds);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

Datum
rnn_backtest_transfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;

	RNN_SKIP_EMPTY_ROW(1, 2);
	st = rnn_rows_ts_transfn(fcinfo, -1, -1, "rnn_backtest");
	backtest_options(fcinfo, st, 4);
	PG_RETURN_POINTER(st);
}

/* rnn_backtest(ts, value, features, config, horizon, folds) */
Datum
rnn_backtest_features_transfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;

	RNN_SKIP_EMPTY_ROW(1, 2);
	st = rnn_rows_ts_transfn(fcinfo, 3, -1, "rnn_backtest");
	backtest_options(fcinfo, st, 5);
	PG_RETURN_POINTER(st);
}

/* rnn_backtest(series text, ts, value, features, config, horizon, folds) */
Datum
rnn_backtest_series_features_transfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;

	RNN_SKIP_EMPTY_ROW(2, 3);
	st = rnn_rows_series_transfn(fcinfo, 4, -1, "rnn_backtest");
	backtest_options(fcinfo, st, 6);
	PG_RETURN_POINTER(st);
}

/* rnn_backtest(series text, ts, value, config, horizon, folds): a global model's backtest */
Datum
rnn_backtest_series_transfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;

	RNN_SKIP_EMPTY_ROW(2, 3);
	st = rnn_rows_series_transfn(fcinfo, -1, -1, "rnn_backtest");
	backtest_options(fcinfo, st, 5);
	PG_RETURN_POINTER(st);
}

/* The timestamp of series index i as text in the rows' type, the series ending at axis->last_ts. */
static char *
index_text(const RnnAxis *axis, size_t n, size_t i)
{
	RnnModel	m;

	if (axis->ts_kind == RNN_TS_NONE)
		return psprintf("%zu", i + 1);
	memset(&m, 0, sizeof(m));
	rnn_model_set_axis(&m, axis);
	if (axis->ts_kind == RNN_TS_BIGINT)
		return psprintf(INT64_FORMAT, axis->last_ts - (int64) (n - 1 - i) * axis->step);
	/* in the rows' own type, ISO 8601: a date, a timestamp, a timestamptz (the session's zone) */
	return rnn_point_iso(&m, (int64) i - (int64) (n - 1));
}

Datum
rnn_backtest_finalfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;
	RnnConfig	cfg;
	RnnSeries	series;
	RnnAxis		axis;
	StringInfoData out;
	RnnScores	total;
	RnnScaled	overall = {0};
	double		seconds = 0;
	MemoryContext foldctx,
				old;
	size_t		h;
	double	   *feats = NULL,
			   *F = NULL;
	bool	   *filled = NULL;
	int			K = 0;
	RnnModel	rows_axis;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RnnRows *) PG_GETARG_POINTER(0);
	rnn_rows_raise_deferred(st, "rnn_backtest");
	rnn_config_from_jsonb(&cfg, st->config);
	cfg.horizon = st->horizon;
	cfg.fold = true;
	if (st->names)
		return backtest_global(st, &cfg);
	h = (size_t) st->horizon;
	rnn_rows_to_series(&series, &axis, st, &cfg, "rnn_backtest");
	if (series.n <= (size_t) st->folds * h)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_backtest: too few rows: %zu for %d folds of horizon %zu", series.n, st->folds, h),
				 errhint("Use fewer folds or a shorter horizon.")));
	if (st->n_feat > 0)
		feats = rnn_rows_features_to_grid(st, &series, &cfg, &filled, "rnn_backtest");
	if (st->n_feat > 0 || cfg.calendar)
		F = backtest_features(&axis, feats, st->n_feat, series.n, &cfg, &K);
	/* the rows' axis, to name a fold's points in the rows' own type */
	memset(&rows_axis, 0, sizeof(rows_axis));
	rnn_model_set_axis(&rows_axis, &axis);

	memset(&total, 0, sizeof(total));
	initStringInfo(&out);
	appendStringInfo(&out, "{\"horizon\": %zu, \"folds\": %d, \"level\": %g, \"per_fold\": [",
					 h, st->folds, EVAL_LEVEL);
	foldctx = AllocSetContextCreate(CurrentMemoryContext, "rnn_backtest fold",
									ALLOCSET_DEFAULT_SIZES);
	for (int f = 0; f < st->folds; f++)
	{
		size_t		origin = series.n - (size_t) (st->folds - f) * h;

		/*
		 * a training part that ends in steps without a value ends at its
		 * last value instead (their values were interpolated toward the
		 * horizon's), and the fold forecasts gap + h steps from there
		 */
		size_t		gap = rnn_series_missing_before(&series, origin);
		size_t		end = origin - gap;
		RnnModel	m;
		RnnIntervals iv;
		RnnAxis		fold_axis = axis;
		double	   *fc;
		RnnScores	s;
		RnnScaled	fold = {0};
		ErrorContextCallback ecb;

		if (gap + h > RNN_MAX_HORIZON)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_backtest: fold %d's training part ends in %zu steps without a value", f + 1, gap),
					 errdetail("The fold would forecast %zu steps from its last value, more than %d.",
							   gap + h, RNN_MAX_HORIZON),
					 errhint("Use fewer folds, or backtest the rows after the gap.")));
		backtest_check_future(filled, st->n_feat, origin, gap, h, &axis, series.n, f + 1, NULL);
		old = MemoryContextSwitchTo(foldctx);
		fold_context_push(&ecb, psprintf("rnn_backtest fold %d of %d, trained on the %zu step%s up to %s",
										 f + 1, st->folds, end, end == 1 ? "" : "s",
										 rnn_point_text(&rows_axis, (int64) end - (int64) series.n)));
		/* the fold's training part ends `series.n - end` steps before the last row */
		fold_axis.shift = -(int64) (series.n - end);
		rnn_fit(&m, series.values, feats, st->n_feat, end, &fold_axis, &cfg, NULL, "rnn_backtest");
		seconds += m.train_seconds;
		fc = K > 0 ? rnn_forecast_view(&m, F + end * K, (int) (gap + h), "rnn_backtest") :
			rnn_forecast_stored(&m, (int) (gap + h), "rnn_backtest");
		rnn_report_status(rnn_intervals_prepare(&iv, &m, EVAL_LEVEL, &rnn_palloc_allocator),
						  "rnn_backtest");
		memset(&s, 0, sizeof(s));
		for (size_t k = 0; k < h; k++)
		{
			double		lo,
						hi;

			/* a step without a row or value was filled in: nothing to score */
			if (series.missing && series.missing[origin + k])
				continue;
			rnn_interval_bounds(&m, &iv, fc[gap + k], (int) (gap + k) + 1, m.phase_last, &lo, &hi);
			rnn_score_point(&s, series.values[origin + k], fc[gap + k], lo, hi, EVAL_LEVEL);
			rnn_score_point(&total, series.values[origin + k], fc[gap + k], lo, hi, EVAL_LEVEL);
		}
		error_context_stack = ecb.previous;
		MemoryContextSwitchTo(old);
		appendStringInfo(&out, "%s{\"fold\": %d, \"origin\": ", f ? ", " : "", f + 1);
		escape_json(&out, index_text(&axis, series.n, origin));
		appendStringInfo(&out, ", \"train_rows\": %zu, ", end);
		rnn_scaled_add(&fold, &s, m.naive_scale);
		append_scores(&out, &s, &fold);
		appendStringInfoChar(&out, '}');
		rnn_scaled_merge(&overall, &fold);
		MemoryContextReset(foldctx);
	}
	MemoryContextDelete(foldctx);
	/* overall: pooled points; MASE and MSIS the means of the folds' (each scaled by its training part) */
	appendStringInfoString(&out, "], ");
	append_scores(&out, &total, &overall);
	appendStringInfo(&out, ", \"training_seconds\": %.3f}", seconds);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

/* ---- rnn_evaluate(model, ts, value) ---- */

typedef struct EvalState
{
	RnnRows    *rows;
	bytea	   *model;
	struct varatt_external model_toast; /* the first row's model as stored (rnn_toast_pointer) */
	bool		model_toasted;
} EvalState;

Datum
rnn_evaluate_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx,
				old;
	EvalState  *es;
	int			kind = rnn_ts_kind_of_type(get_fn_expr_argtype(fcinfo->flinfo, 2));
	int64		key;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "rnn_evaluate called in non-aggregate context");
	if (kind < 0)
		elog(ERROR, "rnn_evaluate: unsupported timestamp type");
	RNN_SKIP_EMPTY_ROW(2, 3);
	if (!PG_ARGISNULL(0) && (((EvalState *) PG_GETARG_POINTER(0))->model == NULL) != PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_evaluate: every row of a group must pass the same model"),
				 errdetail("Some rows pass a NULL model and some do not.")));
	if (PG_ARGISNULL(1))
	{
		/* a NULL model (a failed training, joined): no score, as a strict function gives */
		if (PG_ARGISNULL(0))
			PG_RETURN_POINTER(MemoryContextAllocZero(aggctx, sizeof(EvalState)));
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	if (PG_ARGISNULL(0))
	{
		old = MemoryContextSwitchTo(aggctx);
		es = palloc0(sizeof(EvalState));
		es->model = DatumGetByteaPCopy(PG_GETARG_DATUM(1));
		es->model_toasted = rnn_toast_pointer(PG_GETARG_DATUM(1), &es->model_toast);
		MemoryContextSwitchTo(old);
		es->rows = rnn_rows_state(fcinfo, kind, "rnn_evaluate");
	}
	else
	{
		es = (EvalState *) PG_GETARG_POINTER(0);
		/* a model is known by its length and checksum, a joined one by its stored value */
		if (!rnn_arg_same_as_kept(fcinfo, 1, (struct varlena *) es->model, false,
								  es->model_toasted ? &es->model_toast : NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_evaluate: every row of a group must pass the same model"),
					 errhint("Group by the model too, e.g. GROUP BY m.series, m.model.")));
	}
	key = rnn_ts_arg_key(fcinfo, 2, kind, "rnn_evaluate");
	if (!PG_ARGISNULL(3) && isinf(PG_GETARG_FLOAT8(3)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("rnn_evaluate: infinite value at %s", rnn_key_to_text(kind, key)),
				 errhint("Replace infinities with NULL to have them skipped.")));
	(void) rnn_rows_add(es->rows, key, PG_ARGISNULL(3), PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3));
	/* rnn_evaluate(model, ts, value, features): the rows' features, for the forecast steps */
	if (PG_NARGS() > 4)
		rnn_rows_add_features(fcinfo, es->rows, 4, "rnn_evaluate");
	PG_RETURN_POINTER(es);
}

/*
 * The features of forecast steps 1..max_step for a model with features:
 * the user's from the rows at those steps (every step needs a row with its
 * features), the calendar's from the model's axis.
 */
static double *
evaluate_features(const RnnModel *m, const RnnRows *rows, const int *steps, int max_step)
{
	int			K = m->n_features;
	int			n_user = K - rnn_calendar_count(m->calendar);
	double	   *F;
	bool	   *have;

	if (n_user != rows->n_feat)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_evaluate: the model was trained with %d feature%s, the rows pass %d",
						n_user, n_user == 1 ? "" : "s", rows->n_feat),
				 n_user > 0 ? errhint("Call rnn_evaluate(model, ts, value, features).") :
				 errhint("Call rnn_evaluate(model, ts, value).")));
	if (m->n_series > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rnn_evaluate: the model is a global model of %d series", m->n_series)));
	F = palloc0(sizeof(double) * max_step * K);
	have = palloc0(sizeof(bool) * (max_step + 1));
	for (size_t i = 0; i < rows->n; i++)
	{
		if (steps[i] == 0)
			continue;
		for (int j = 0; j < n_user; j++)
			if (rows->feat_null[i * n_user + j])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("rnn_evaluate: feature %d of the step at %s is missing (NULL or NaN)", j + 1,
								rnn_key_to_text(rows->ts_kind, rows->keys[i])),
						 errdetail("The forecast of every step reads its features; they are not interpolated.")));
		memcpy(F + (size_t) (steps[i] - 1) * K, rows->feats + i * n_user, sizeof(double) * n_user);
		have[steps[i]] = true;
	}
	for (int h = 1; h <= max_step && n_user > 0; h++)
		if (!have[h])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rnn_evaluate: no row gives the features of forecast step %d", h),
					 errdetail("The rows reach step %d; a model with features forecasts each step from that step's features.",
							   max_step),
					 errhint("Pass a row (its value may be NULL) for every step up to the last one scored.")));
	if (m->calendar)
		rnn_calendar_rows(m, 1, max_step, F, K, n_user);
	return F;
}

Datum
rnn_evaluate_finalfn(PG_FUNCTION_ARGS)
{
	EvalState  *es;
	RnnModel	m;
	RnnIntervals iv;
	int		   *steps;
	int			max_step = 0;
	double	   *fc;
	RnnScores	s;
	StringInfoData out;
	size_t		n,
				skipped = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	es = (EvalState *) PG_GETARG_POINTER(0);
	if (es->model == NULL)
		PG_RETURN_NULL();		/* the group's model is NULL */
	rnn_model_read(&m, es->model);
	if (m.n_series > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rnn_evaluate: the model is a global model of %d series; rnn_evaluate scores a model of one series", m.n_series),
				 errhint("Join rnn_forecast(model, series, horizon) to a series' rows and score them, or backtest: rnn_backtest(series, ts, value, config, horizon, folds).")));
	if (m.n_history < 1 || (m.window > 0 && m.n_history < m.window))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_evaluate: the model keeps no history to forecast from"),
				 errdetail("rnn_evaluate scores the forecast after the model's training rows; a model imported without its history has none.")));
	n = es->rows->n;
	steps = palloc(sizeof(int) * n);
	for (size_t i = 0; i < n; i++)
	{
		steps[i] = rnn_steps_after(&m, es->rows->ts_kind, es->rows->keys[i], "rnn_evaluate");
		if (steps[i] > max_step)
			max_step = steps[i];
		if (steps[i] == 0)
			skipped++;			/* in the training period: not a forecast */
	}
	if (max_step == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_evaluate: every row lies in the model's training period"),
				 errdetail("The model's last training row is %s; only later rows are forecasts to score.",
						   m.ts_kind == RNN_TS_NONE ? "step 0" : rnn_key_to_text(m.ts_kind, m.last_ts)),
				 errhint("Pass the rows after it, e.g. WHERE ts > the last training timestamp.")));
	{
		/*
		 * the forecast reaches the last row with a value, the last one
		 * scored: rows after it (days to come, their features not known
		 * yet) are neither forecast nor read
		 */
		int			last = 0;

		for (size_t i = 0; i < n; i++)
			if (steps[i] > last && !es->rows->isnull[i] && !isnan(es->rows->values[i]))
				last = steps[i];
		for (size_t i = 0; i < n; i++)
			if (steps[i] > last)
				steps[i] = 0;
		max_step = last;
	}
	{
		/* one actual per step: a duplicate timestamp would be scored twice */
		bool	   *seen = palloc0(sizeof(bool) * (max_step + 1));

		for (size_t i = 0; i < n; i++)
		{
			if (steps[i] == 0)
				continue;
			if (seen[steps[i]])
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("rnn_evaluate: duplicate timestamp %s",
								rnn_key_to_text(es->rows->ts_kind, es->rows->keys[i])),
						 errhint("Aggregate the rows to one value per timestamp first, e.g. with GROUP BY.")));
			seen[steps[i]] = true;
		}
	}
	if (max_step > m.shape.output_size && m.shape.input_size != 1 && m.n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_evaluate: rows reach step %d, beyond the model's output size %d",
						max_step, m.shape.output_size)));
	if (max_step == 0)
		fc = NULL;				/* no value to score */
	else if (m.n_features > 0 || es->rows->n_feat > 0)
		fc = rnn_forecast_view(&m, evaluate_features(&m, es->rows, steps, max_step), max_step,
							   "rnn_evaluate");
	else
		fc = rnn_forecast_stored(&m, max_step, "rnn_evaluate");
	rnn_report_status(rnn_intervals_prepare(&iv, &m, EVAL_LEVEL, &rnn_palloc_allocator),
					  "rnn_evaluate");
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < n; i++)
	{
		double		f,
					lo,
					hi;

		if (steps[i] == 0 || es->rows->isnull[i] || isnan(es->rows->values[i]))
			continue;			/* training period, or nothing to score */
		f = fc[steps[i] - 1];
		rnn_interval_bounds(&m, &iv, f, steps[i], m.phase_last, &lo, &hi);
		rnn_score_point(&s, es->rows->values[i], f, lo, hi, EVAL_LEVEL);
	}
	initStringInfo(&out);
	appendStringInfo(&out, "{\"level\": %g, \"max_step\": %d, \"skipped_training_rows\": %zu, ",
					 EVAL_LEVEL, max_step, skipped);
	{
		RnnScaled	one = {0};

		rnn_scaled_add(&one, &s, m.naive_scale);
		append_scores(&out, &s, &one);
	}
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
