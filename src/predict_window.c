/*
 * predict_window.c
 *	  Window functions that forecast every row's window in batches:
 *	  rnn_predict_rows(value, model, horizon) gives every row the forecast
 *	  after the model's window of rows ending at it, and rnn_anomaly(value,
 *	  model, level) compares every row with the one-step forecast from the
 *	  window of rows before it and its calibrated interval.  Both read ahead
 *	  in their partition (window ORDER BY) and forecast RNN_ROWS_BATCH rows
 *	  in one pass of the network (one GEMM per step for the whole batch),
 *	  where the aggregate rnn_predict over a moving frame makes one pass per
 *	  row.  With a features argument (models trained with covariates) each
 *	  row also passes its own features: the windows read them with the
 *	  values, and the steps forecast take those of the rows after the window.
 *	  With a first ts argument (0.8.0) each row passes its timestamp: the
 *	  windows are the model's steps before the row, steps without a row are
 *	  gaps (as NULL values are), a row off the model's time grid is an
 *	  error, the season's phase comes from the model's own time axis, and
 *	  models with calendar features compute them from the steps.
 *	  rnn_anomaly leaves a flagged value out of the next row's window (as a
 *	  missing step): that row's window is built and forecast again, alone.
 *	  A global model without a series argument scales each window by the
 *	  partition's values up to it: one pass of the network per window, and
 *	  rnn_anomaly makes it in the row's call, once for the expected value and
 *	  its interval (defer_unseen).
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif
#include "windowapi.h"

#include "rnn_pg.h"
#include "rnn_calendar.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_series.h"
#include "rnn_theta.h"

PG_FUNCTION_INFO_V1(rnn_predict_rows);
PG_FUNCTION_INFO_V1(rnn_anomaly);
PG_FUNCTION_INFO_V1(rnn_predict_rows_ts);
PG_FUNCTION_INFO_V1(rnn_anomaly_ts);
PG_FUNCTION_INFO_V1(rnn_predict_rows_series);
PG_FUNCTION_INFO_V1(rnn_anomaly_series);

/*
 * The most missing steps a window that ends in them moves back by, past the
 * whole window: after a longer run the row has no window (NULL)
 */

/* rnn_anomaly's score: intervals at levels 1/1000 .. 999/1000 */
#define RNN_SCORE_LEVELS 999

/* rows forecast in one pass of the network */
#define RNN_ROWS_BATCH 256

/* the ts form: how far a row may lie from the model's last training row, in steps */
#define RNN_MAX_WINDOW_STEP (INT64CONST(1) << 60)

/*
 * The network's workspace for a batch (tens of MB for a large model): a
 * buffer kept across batches and handed out front to back, so that no
 * batch maps and faults in fresh pages.  What does not fit comes from
 * palloc, and the buffer grows to that size at the next reset.
 */
typedef struct Arena
{
	MemoryContext cxt;
	char	   *raw;			/* as palloc'd */
	char	   *buf;			/* raw aligned to 64 bytes */
	size_t		cap;
	size_t		used;
	size_t		spill;			/* bytes that did not fit since the reset */
} Arena;

static void *
arena_alloc(void *ctx, size_t size)
{
	Arena	   *a = (Arena *) ctx;
	size_t		need = TYPEALIGN(64, size);

	if (a->used + need > a->cap)
	{
		a->spill += need;
		return MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	}
	a->used += need;
	return a->buf + a->used - need;
}

static void
arena_release(void *ctx, void *ptr)
{
	Arena	   *a = (Arena *) ctx;

	if ((char *) ptr < a->buf || (char *) ptr >= a->buf + a->cap)
		pfree(ptr);
}

static void
arena_reset(Arena *a)
{
	if (a->spill > 0)
	{
		size_t		cap = TYPEALIGN(64, a->used + a->spill) + 64;

		if (a->raw)
			pfree(a->raw);
		a->raw = MemoryContextAllocHuge(a->cxt, cap);
		a->buf = (char *) TYPEALIGN(64, a->raw);
		a->cap = cap - 64;
	}
	a->used = 0;
	a->spill = 0;
}

/*
 * The decoded model and the buffers of one query's call site (fn_extra),
 * kept while the partitions pass the same model; replaced when a
 * partition passes another (partitions are evaluated one after the other).
 */
typedef struct RowsCache
{
	MemoryContext cxt;
	RnnModelDatum key;			/* the model datum decoded into m */
	RnnModel	m;
	int			horizon;
	int			W;
	int			K;				/* features the network reads per step (0: none) */
	int			K_user;			/* of which each row passes in its array (the rest: calendar) */
	int			ts_kind;		/* the ts form's timestamp type; -1: the form without ts */
	int			a0;				/* arguments before value: 2 (series, ts), 1 (ts) or 0 */
	const RnnModel *mp;			/* what the rows are forecast with: &m, or the series' view */
	RnnModel	view;			/* the series form: the view of series view_series of m */
	int			view_series;
	double	   *vals;			/* (cap: 2W + RNN_ROWS_BATCH + horizon) values read */
	int64	   *steps;			/* the same rows' steps after the model's last training row (ts form) */
	bool	   *vnull;
	double	   *feats;			/* (cap, K) features read */
	bool	   *fnull;			/* the same: missing (NULL array or element, NaN) */
	bool	   *wnull;			/* (W) the gaps of one window */
	double	   *wcol;			/* (W) one window's values, or one feature of it */
	double	   *hist;			/* (RNN_ROWS_BATCH, W, 1 + K) */
	double	   *future;			/* (RNN_ROWS_BATCH, horizon, K) the forecast steps' features */
	int32_t    *phases;			/* (RNN_ROWS_BATCH) */
	double	   *out;			/* (RNN_ROWS_BATCH, horizon) */
	int		   *gaps;			/* (RNN_ROWS_BATCH) the missing steps a window was moved back by */
	int		   *gap_row;		/* (RNN_ROWS_BATCH) such a window's row's place in vals */
	int64	   *gap_end;		/* (RNN_ROWS_BATCH) its last step (ts) or row after the move */
	int		   *slot;			/* (RNN_ROWS_BATCH) row b's history in hist, -1: none */
	int32_t    *tphase;			/* (RNN_ROWS_BATCH) the form without ts: the season's phase at row b's window end */
	int32_t    *anchor;			/* the model's stored window, for the phase (rnn_phase_anchor_table; NULL: none) */
	int64		cal_lo;			/* the first step of the batch's calendar features in cal */
	int64		cal_n;			/* their steps (0: none, computed per window) */
	/*
	 * rnn_anomaly: the window of the row at partition position skip_for
	 * leaves out the row at skip_pos (the flagged row before it), placed in
	 * the season by the rows before that one (skip_tphase: the flagged
	 * row's tphase); -1: none.  That window goes to the spare slot
	 * RNN_ROWS_BATCH of hist, future, phases, out, gaps and gap_row.
	 */
	int64		skip_pos;
	int64		skip_for;
	int32_t		skip_tphase;
	int		   *widx;			/* (W + horizon) one window's rows in vals, then its forecast steps' (-1: no row) */
	double	   *cal;			/* the ts form's calendar features of a batch's steps (cal_cap rows) */
	size_t		cal_cap;
	int64		from;			/* partition position of vals[0] */
	/*
	 * a global model without a series: the steps before each window's end
	 * its pipeline reads (RNN_THETA_MAX_POINTS, or the window when longer), read
	 * before the batch's windows; 0 for every other model (rows_unseen_history)
	 */
	int			L;
	double	   *lvals;			/* (L) one such history */
	bool	   *lnull;
	/*
	 * rnn_anomaly with such a model: the batch leaves each window's forecast
	 * to its row's call, which builds the window's pipeline once for the
	 * forecast and its interval (anomaly)
	 */
	bool		defer_unseen;
	int			nvals;			/* values read for the batch */
	Arena		arena;
	RnnAlloc	arena_alloc;
	/* rnn_anomaly: its level, intervals and result row type */
	double		level;
	bool		calibrated;
	RnnIntervals iv;			/* at level: a copy of grid[RNN_SCORE_LEVELS] */
	RnnIntervals *grid;			/* (RNN_SCORE_LEVELS + 1) at level k / 1000, then at level */
	TupleDesc	tupdesc;
} RowsCache;

/*
 * Per partition (zeroed at its start, which is rnn_phase_track_reset's
 * state): which rows the cache's forecasts are for, and where the rows read
 * so far fall in the model's season.
 */
typedef struct RowsPart
{
	int64		first;			/* partition position of row 0 of the batch */
	int			count;			/* rows in the batch; 0: none yet */
	RowsCache  *cache;			/* the model of the partition's first row */
	RnnPhaseTrack track;		/* rows 0 .. track.rows - 1 of the partition */
	/* the ts form: rows 0 .. checked - 1 were found in order on the grid */
	int64		checked;
	int64		first_step;		/* row 0's step */
	int64		last_step;		/* row checked - 1's */
	int			series;			/* the series form: 1 + the partition's series; 0: not yet */
	/*
	 * rnn_anomaly: the last row with a verdict, when it was flagged (1 + its
	 * position; 0: none), and its phase at its window's end: the windows of
	 * the rows after it leave it out until one of them has a verdict (rows
	 * without a value pass it on)
	 */
	int64		flagged;
	int32_t		flagged_tphase;
	int8		model_null;		/* the rows pass a NULL model: 1; a model: 2; 0: no row yet */
} RowsPart;

/*
 * The features form of these window functions, or the form without, fits
 * the model: a model with user features needs each row's, a model without
 * takes none, and calendar features cannot be computed for rows that carry
 * no timestamps.  call names the form to use instead.
 */
static void
rows_check_features(const RnnModel *m, bool given, bool ts, const char *fname, const char *call_with,
					const char *call_without)
{
	int			n_user = m->n_features - rnn_calendar_count(m->calendar);

	if (m->calendar != 0 && !ts)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s does not take models with calendar features without timestamps", fname),
				 errdetail("Calendar features are computed from timestamps, and these rows pass none."),
				 errhint("Pass each row's timestamp first: %s(ts, value, model, ...).", fname)));
	if (n_user > 0 && !given)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model was trained with %d feature%s: pass each row's features",
						fname, n_user, n_user == 1 ? "" : "s"),
				 errhint("Call %s with an array of %d value%s on every row, e.g. ARRAY[promo].",
						 call_with, n_user, n_user == 1 ? "" : "s")));
	if (n_user == 0 && given)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model was trained without features, but features were given", fname),
				 errhint("Call %s.", call_without)));
}

/*
 * The model of this row: the cache's when the same, else decoded into a new
 * cache.  with_features: the call passes each row's features; ts_kind: the
 * type of the ts form's timestamps (-1: the form without); by_series: the
 * rows name their series of a global model.
 */
static RowsCache *
rows_cache(FunctionCallInfo fcinfo, Datum model, int horizon, bool with_features, int ts_kind,
		   bool by_series, const char *fname, const char *call_with, const char *call_without)
{
	RowsCache  *c = (RowsCache *) fcinfo->flinfo->fn_extra;
	bytea	   *raw;
	MemoryContext cxt,
				old;
	int			W,
				K;
	size_t		cap;

	if (c != NULL && c->horizon == horizon && rnn_model_datum_same(&c->key, model))
		return c;

	/* read in the row's context: the cache keeps the decoded model, not the bytes */
	raw = (bytea *) PG_DETOAST_DATUM_PACKED(model);
	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "rnn_forecast window model",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(RowsCache));
	c->cxt = cxt;
	rnn_model_read(&c->m, raw);
	/* for the batches of fewer than RNN_INFER_MAX_ROWS windows, and global models' windows */
	rnn_report_status(rnn_model_prepare_infer(&c->m, &rnn_palloc_allocator), fname);
	rnn_model_datum_keep(&c->key, model);
	rows_check_features(&c->m, with_features, ts_kind >= 0, fname, call_with, call_without);
	if (by_series && c->m.n_series == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model is not a global model", fname),
				 errhint("Call %s without the series argument.", fname)));
	if (ts_kind >= 0)
		rnn_check_ts_kind(&c->m, ts_kind, fname);
	K = with_features || (ts_kind >= 0 && c->m.calendar != 0) ? c->m.n_features : 0;
	if (K > 0)
	{
		rnn_check_model_horizon(&c->m, horizon, fname);
		if (c->m.shape.input_size != 1 + c->m.n_features)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the model reads %d inputs per step, not a value and its %d feature%s",
							fname, c->m.shape.input_size, c->m.n_features,
							c->m.n_features == 1 ? "" : "s")));
	}
	else
		rnn_check_predict_model(&c->m, horizon, fname);
	if (c->m.window < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a model with a fixed window; this one reads histories of any length", fname),
				 errhint("Use rnn_predict(value, model, horizon) over a frame of the rows to read.")));
	W = c->m.window;
	c->W = W;
	c->K = K;
	c->K_user = K - rnn_calendar_count(c->m.calendar);
	c->ts_kind = ts_kind;
	c->a0 = by_series ? 2 : ts_kind >= 0 ? 1 : 0;
	c->mp = &c->m;
	c->view_series = -1;
	c->horizon = horizon;
	/*
	 * the window before the batch and the steps a window that ends in
	 * missing ones moves back by (at most RNN_ROWS_MAX_GAP), the batch, and
	 * (features) the forecast steps after it
	 */
	c->L = c->m.n_series > 0 && !by_series ? Max(RNN_THETA_MAX_POINTS, W) : 0;
	cap = (size_t) W + RNN_ROWS_MAX_GAP(W) + RNN_ROWS_BATCH + (c->K_user > 0 ? horizon : 0) + c->L;
	if (c->L > 0)
	{
		c->lvals = palloc(sizeof(double) * c->L);
		c->lnull = palloc(sizeof(bool) * c->L);
	}
	c->vals = palloc(sizeof(double) * cap);
	c->vnull = palloc(sizeof(bool) * cap);
	if (ts_kind >= 0)
		c->steps = palloc(sizeof(int64) * cap);
	c->widx = palloc(sizeof(int) * (W + horizon));
	c->wnull = palloc(sizeof(bool) * W);
	c->wcol = palloc(sizeof(double) * W);
	c->hist = MemoryContextAllocHuge(cxt, sizeof(double) * (size_t) W * (1 + K) * (RNN_ROWS_BATCH + 1));
	if (c->K_user > 0)
	{
		c->feats = MemoryContextAllocHuge(cxt, sizeof(double) * cap * K);
		c->fnull = MemoryContextAllocHuge(cxt, sizeof(bool) * cap * K);
	}
	if (K > 0)
	{
		c->future = MemoryContextAllocHuge(cxt, sizeof(double) * (size_t) horizon * K * (RNN_ROWS_BATCH + 1));
	}
	c->phases = palloc(sizeof(int32_t) * (RNN_ROWS_BATCH + 1));
	c->out = MemoryContextAllocHuge(cxt, sizeof(double) * (size_t) horizon * (RNN_ROWS_BATCH + 1));
	c->gaps = palloc0(sizeof(int) * (RNN_ROWS_BATCH + 1));
	c->gap_row = palloc(sizeof(int) * (RNN_ROWS_BATCH + 1));
	c->gap_end = palloc(sizeof(int64) * (RNN_ROWS_BATCH + 1));
	c->slot = palloc(sizeof(int) * RNN_ROWS_BATCH);
	c->tphase = palloc0(sizeof(int32_t) * RNN_ROWS_BATCH);
	c->anchor = rnn_phase_anchor_table(&c->m, &rnn_palloc_allocator);
	c->skip_pos = -1;
	c->skip_for = -1;
	c->arena.cxt = cxt;
	c->arena_alloc.alloc = arena_alloc;
	c->arena_alloc.release = arena_release;
	c->arena_alloc.ctx = &c->arena;
	MemoryContextSwitchTo(old);

	/* the partition before used another model: its cache goes */
	if (fcinfo->flinfo->fn_extra != NULL)
		MemoryContextDelete(((RowsCache *) fcinfo->flinfo->fn_extra)->cxt);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

/*
 * The features a row passes (a float8[] of c->K_user values) into dst (K,
 * the calendar's after them are computed per window), with missing ones (a
 * NULL array or element, NaN) marked in dnull.  p: the row's partition
 * position, for the errors.
 */
static void
rows_read_features(RowsCache *c, Datum d, bool isnull, int64 p, double *dst, bool *dnull,
				   const char *fname)
{
	int			K = c->K_user;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (isnull)
	{
		for (int j = 0; j < K; j++)
		{
			dst[j] = 0;
			dnull[j] = true;
		}
		return;
	}
	arr = DatumGetArrayTypeP(d);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: features must be a one-dimensional array, not %d-dimensional",
						fname, ARR_NDIM(arr))));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n != K)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: the model was trained with %d feature%s; row " INT64_FORMAT " of the partition has %d",
						fname, K, K == 1 ? "" : "s", p + 1, n),
				 errhint("Pass an array of %d value%s on every row, in the order of training.",
						 K, K == 1 ? "" : "s")));
	for (int j = 0; j < K; j++)
	{
		double		v = nulls[j] ? 0 : DatumGetFloat8(elems[j]);

		if (!nulls[j] && isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: feature %d of row " INT64_FORMAT " of the partition is infinite",
							fname, j + 1, p + 1)));
		dst[j] = v;
		dnull[j] = nulls[j] || isnan(v);
	}
	pfree(elems);
	pfree(nulls);
	if ((Pointer) arr != DatumGetPointer(d))
		pfree(arr);
}

/*
 * One window's column (c->wcol, W values, the missing ones marked in
 * c->wnull) with its gaps interpolated as rnn_predict does (in place), and
 * copied to dst at stride dstride.  False when the window holds nothing but
 * missing values.
 */
static bool
rows_fill_window(RowsCache *c, double *dst, int dstride, const char *fname)
{
	int			W = c->W;
	bool		any_null = false;

	for (int t = 0; t < W; t++)
		any_null |= c->wnull[t] || isnan(c->wcol[t]);
	if (any_null)
	{
		RnnSeries	s;
		int64		bad;
		RnnStatus	rs = rnn_series_regularize(&s, NULL, c->wcol, c->wnull, W, true, false,
											   RNN_MAX_ROWS, &rnn_palloc_allocator, &bad,
											   NULL, NULL);

		if (rs == RNN_ERR_NOVALUES)
			return false;
		rnn_report_status(rs, fname);
		memcpy(c->wcol, s.values, sizeof(double) * W);
		pfree(s.values);
	}
	for (int t = 0; t < W; t++)
		dst[(size_t) t * dstride] = c->wcol[t];
	return true;
}

/*
 * The series form: a row after the partition's first (its series d) names
 * the same series.
 */
static void
rows_same_series(const RowsCache *c, const RowsPart *part, Datum d, bool isnull, const char *fname)
{
	const RnnSeriesState *st = &c->m.series[part->series - 1];
	text	   *name;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: series must not be NULL", fname)));
	name = DatumGetTextPP(d);
	if (VARSIZE_ANY_EXHDR(name) != st->name_len ||
		memcmp(VARDATA_ANY(name), st->name, st->name_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: every row of a partition must pass the same series", fname),
				 errhint("Partition the window by the series: OVER (PARTITION BY series ORDER BY ts).")));
}

/*
 * The ts form: the step of row p of the partition (its timestamp d) after
 * the model's last training row; the rows must come in time order, one per
 * step, on the model's grid.
 */
static int64
rows_step(RowsCache *c, RowsPart *part, Datum d, bool isnull, int64 p, const char *fname)
{
	int64		key;
	int64		step;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the timestamp of row " INT64_FORMAT " of the partition is NULL", fname, p + 1),
				 errdetail("Every row needs a timestamp; missing values may be NULL, timestamps may not.")));
	key = rnn_ts_datum_key(d, isnull, c->ts_kind, fname);

	if (!rnn_steps_from_last(c->mp, c->ts_kind, key, &step, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s (row " INT64_FORMAT " of the partition) is not on the model's time grid",
						fname, rnn_key_to_text(c->ts_kind, key), p + 1),
				 errdetail("The model steps %s from its last training row %s.",
						   rnn_step_text(c->mp),
						   c->mp->ts_kind == RNN_TS_NONE ? "(step 0)" : rnn_key_to_text(c->mp->ts_kind, c->mp->last_ts)),
				 errhint("Regularise the rows to the model's step first, e.g. date_trunc and GROUP BY.")));
	/* (steps this far apart leave room for the windows' arithmetic) */
	if (step < -RNN_MAX_WINDOW_STEP || step > RNN_MAX_WINDOW_STEP)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s: %s (row " INT64_FORMAT " of the partition) is out of range: " INT64_FORMAT " steps from the model's last training row",
						fname, rnn_key_to_text(c->ts_kind, key), p + 1, step)));
	if (p == part->checked)
	{
		if (p == 0)
			part->first_step = step;
		else if (step <= part->last_step)
			ereport(ERROR,
					(errcode(step == part->last_step ? ERRCODE_UNIQUE_VIOLATION : ERRCODE_INVALID_PARAMETER_VALUE),
					 step == part->last_step ?
					 errmsg("%s: duplicate timestamp %s (rows " INT64_FORMAT " and " INT64_FORMAT " of the partition)",
							fname, rnn_key_to_text(c->ts_kind, key), p, p + 1) :
					 errmsg("%s: row " INT64_FORMAT " of the partition (%s) comes before the row above it",
							fname, p + 1, rnn_key_to_text(c->ts_kind, key)),
					 step == part->last_step ?
					 errhint("Aggregate the rows to one value per timestamp first, e.g. with GROUP BY.") :
					 errhint("Order the window by the timestamp: OVER (PARTITION BY ... ORDER BY ts).")));
		part->checked = p + 1;
		part->last_step = step;
	}
	return step;
}

/*
 * The rows of the W steps of the window ending at end (a row without ts, a
 * step of the model with ts) in c->vals, -1 for a step without a row; q: in
 * the ts form, a row at or after the window's end to search back from.
 */
static void
rows_window_index(RowsCache *c, int *widx, int64 end, int64 from, int q)
{
	int			W = c->W;

	if (c->ts_kind < 0)
	{
		for (int t = 0; t < W; t++)
			widx[t] = (int) (end - (W - 1) + t - from);
		return;
	}
	/* each step's row, or -1: the rows in order, one per step */
	for (int t = W - 1; t >= 0; t--)
	{
		while (q >= 0 && c->steps[q] > end - (W - 1) + t)
			q--;
		widx[t] = q >= 0 && c->steps[q] == end - (W - 1) + t ? q : -1;
	}
}

/*
 * Whether a window's step (its row q in c->vals, -1: none) is missing: no
 * row, a NULL or NaN value, or a value a logged model cannot read (0 or
 * below: a closed day), in rnn_predict_rows and rnn_anomaly alike.  A
 * global model without a series reads each window as a series of its own,
 * logged only when it can be.
 */
static bool
rows_step_missing(const RowsCache *c, int q, int lag)
{
	return q < 0 || c->vnull[q] || isnan(c->vals[q]) ||
		(c->mp->log_transform && c->mp->n_series == 0 && !(c->vals[q] > 0));
}

/*
 * rows_step_missing in the window of the row at partition position pos:
 * also the flagged row rnn_anomaly leaves out of it (c->skip_pos)
 */
static bool
rows_window_missing(const RowsCache *c, int q, int lag, int64 pos)
{
	return rows_step_missing(c, q, lag) ||
		(pos == c->skip_for && q >= 0 && c->from + q == c->skip_pos);
}

/*
 * A window moved back to end at step end (its row's missing steps after it):
 * the user features of the steps end + 1 .. end + nsteps into dst (nsteps, K),
 * each step's from its row (a missing step still has a row with its features
 * unless the ts form has none there), the calendar's computed.  q: the row
 * of the window (its place in c->vals), where the search for the steps'
 * rows starts.  False when one of them is unknown (no row, a NULL or NaN
 * feature): the window is then not moved.  dst NULL: only the check.
 */
static bool
rows_gap_future(const RowsCache *c, double *dst, int64 end, int nsteps, int q)
{
	int			K = c->K;
	int			Ku = c->K_user;
	int			n = c->nvals;
	int			r = q;

	/* (calendar features alone need no row: they are computed from the steps) */
	for (int s = 0; s < nsteps && Ku > 0; s++)
	{
		int64		step = end + 1 + s;

		if (c->ts_kind < 0)
			r = (int) (step - c->from);
		else
		{
			/* (the steps grow: after the first, the search moves forward) */
			while (r > 0 && c->steps[r] > step)
				r--;
			while (r < n - 1 && c->steps[r] < step)
				r++;
		}
		if (r < 0 || r >= n || (c->ts_kind >= 0 && c->steps[r] != step))
			return false;
		for (int j = 0; j < Ku; j++)
		{
			if (c->fnull[(size_t) r * K + j])
				return false;
			if (dst)
				dst[(size_t) s * K + j] = c->feats[(size_t) r * K + j];
		}
	}
	if (dst && K > Ku)
		rnn_calendar_rows(c->mp, end + 1, nsteps, dst, K, Ku);
	return true;
}

/*
 * The window of the row at partition position pos (row b of the batch in
 * c->vals) into hist slot k, with its forecast steps' features, phase and
 * gaps (a window that ends in missing steps moves back to its last known
 * step, gaps[k] of them, when the partition has the rows before it); the
 * form without ts reads the season's phase at its end from tphase[b].
 * False when the row has no window: too few rows before it, nothing but
 * NULLs, a feature missing.
 */
static bool
rows_window(RowsCache *c, RowsPart *part, int64 pos, int b, int k, int lag, const char *fname)
{
	int			W = c->W;
	int			K = c->K;
	int			Ku = c->K_user;
	int			I = 1 + K;
	int			horizon = c->horizon;
	bool		ts = c->ts_kind >= 0;
	int64		from = c->from;
	int			n = c->nvals;
	int64		cal_lo = c->cal_lo,
				cal_n = c->cal_n;
	int		   *widx = c->widx;
	int		   *fidx = c->widx + W;
	int64		end;		/* the window's last step (ts) or row */
	int			g;			/* the missing steps it was moved back by */
	double	   *h = c->hist + (size_t) k * W * I;
	bool		ok = true;

	if (!ts)
	{
		end = pos - lag;
		if (end - (W - 1) < 0)
			return false;		/* fewer rows than the window so far */
		rows_window_index(c, widx, end, from, -1);
		for (int s = 0; s < horizon; s++)
			fidx[s] = end + 1 + s - from < n ? (int) (end + 1 + s - from) : -1;
	}
	else
	{
		int			q = (int) (pos - from);

		end = c->steps[q] - lag;
		if (end - (W - 1) < part->first_step)
			return false;		/* the window reaches before the partition's first row */
		rows_window_index(c, widx, end, from, q);
		for (int s = 0; s < horizon && Ku > 0; s++)
		{
			while (q < n && c->steps[q] < end + 1 + s)
				q++;
			fidx[s] = q < n && c->steps[q] == end + 1 + s ? q : -1;
		}
	}
	if (Ku > 0)
	{
		/* the forecast steps' user features: each step's row, all known */
		double	   *fut = c->future + (size_t) k * horizon * K;

		for (int s = 0; s < horizon && ok; s++)
			for (int j = 0; j < Ku; j++)
			{
				if (fidx[s] < 0 || c->fnull[(size_t) fidx[s] * K + j])
				{
					ok = false;
					break;
				}
				fut[(size_t) s * K + j] = c->feats[(size_t) fidx[s] * K + j];
			}
		if (!ok)
			return false;		/* the partition ends before a step, or a step misses one */
	}
	/*
	 * A window that ends in missing steps moves back to its last known
	 * step, at most RNN_ROWS_MAX_GAP steps back, even past the whole window
	 * (when the partition has the rows and, with features, the missing
	 * steps' features are known), and the row takes the forecasts that many
	 * steps further: the steps after its own (rnn_predict_rows), or its own
	 * step (rnn_anomaly), not a forecast from values filled in.  The last
	 * known step is the last row up to the window's end with a value (and
	 * not the flagged row rnn_anomaly leaves out); rows are on distinct
	 * steps, so a gap of g steps has at most g rows, all read (rows_batch).
	 */
	{
		int			q = (int) (pos - from) - lag;

#define ROW_STEP(q) (ts ? c->steps[q] : from + (q))
		while (q >= 0 && end - ROW_STEP(q) <= RNN_ROWS_MAX_GAP(W) && rows_window_missing(c, q, lag, pos))
			q--;
		g = q < 0 ? 0 : (int) Min(end - ROW_STEP(q), (int64) RNN_ROWS_MAX_GAP(W) + 1);
#undef ROW_STEP
	}
	if (g > 0 && g <= RNN_ROWS_MAX_GAP(W) && end - g - (W - 1) >= (ts ? part->first_step : 0) &&
		horizon + g <= RNN_MAX_HORIZON &&
		(K == 0 || rows_gap_future(c, NULL, end - g, g + horizon, (int) (pos - from))))
	{
		end -= g;
		rows_window_index(c, widx, end, from, (int) (pos - from));
	}
	else
		g = 0;
	c->gap_row[k] = (int) (pos - from);
	c->gap_end[k] = end;
	/* a value a logged model cannot read is a gap in the windows after it */
	for (int t = 0; t < W; t++)
	{
		c->wcol[t] = widx[t] >= 0 ? c->vals[widx[t]] : 0;
		c->wnull[t] = rows_window_missing(c, widx[t], lag, pos);
	}
	if (!rows_fill_window(c, h, I, fname))
		return false;			/* nothing but NULLs: NULL, as rnn_predict */
	/* c->wcol: the window's values, gaps filled */
	if (ts)
		c->phases[k] = rnn_pipeline_phase(c->mp, c->mp->phase_last,
										  (long) (end % Max(c->mp->n_seasonal, 1)));
	else
		c->phases[k] = pos == c->skip_for ?
			rnn_pipeline_phase(c->mp, c->skip_tphase, -(g - (pos - c->skip_pos))) :
			rnn_pipeline_phase(c->mp, c->tphase[b], -g);
	c->gaps[k] = g;
	for (int j = 0; j < Ku && ok; j++)
	{
		for (int t = 0; t < W; t++)
		{
			int			q = widx[t];

			c->wcol[t] = q >= 0 ? c->feats[(size_t) q * K + j] : 0;
			c->wnull[t] = q < 0 || c->fnull[(size_t) q * K + j];
		}
		ok = rows_fill_window(c, h + 1 + j, I, fname);
	}
	if (!ok)
		return false;			/* a feature missing on every row of the window */
	if (K > Ku && cal_n > 0)
	{
		/* the calendar's features of the window's steps and of the forecast steps */
		int			Kc = K - Ku;
		double	   *fut = c->future + (size_t) k * horizon * K;

		for (int t = 0; t < W; t++)
			memcpy(h + (size_t) t * I + 1 + Ku, c->cal + (size_t) (end - (W - 1) + t - cal_lo) * Kc,
				   sizeof(double) * Kc);
		for (int s = 0; s < horizon; s++)
			memcpy(fut + (size_t) s * K + Ku, c->cal + (size_t) (end + 1 + s - cal_lo) * Kc,
				   sizeof(double) * Kc);
	}
	else if (K > Ku)
	{
		rnn_calendar_rows(c->mp, end - (W - 1), W, h, I, 1 + Ku);
		rnn_calendar_rows(c->mp, end + 1, horizon, c->future + (size_t) k * horizon * K, K, Ku);
	}
	return true;
}

/*
 * A global model without a series reads the window in hist slot j as a
 * series it never saw, and puts the partition's values up to the window's
 * end through its pipeline (log, seasonal indices, scale, Theta), at most
 * c->L steps, as rnn_predict does over a frame from the partition's start:
 * a window alone is too few values to scale a series and place its season.
 * Missing values are interpolated over the whole history (the network
 * reads its last W values), the rows without a value before the first one
 * left out as long as a window remains: the history rnn_predict reads over
 * the frame ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.  (The window
 * holds a value; rnn_anomaly's flagged row lies after its end, or is
 * missing here too while c->skip_for is set.)
 * Returns the history (palloc'd), its length in *n (at least W).
 */
static double *
rows_unseen_history(const RowsCache *c, int j, int lag, int *n, const char *fname)
{
	int			W = c->W;
	int64		e = c->gap_end[j];
	int64		pos = c->from + c->gap_row[j];
	int64		lo;
	int			len;
	RnnSeries	s;
	int64		bad;
	double	   *out;

	if (c->ts_kind < 0)
	{
		/* a row is a step: the rows read before the window's last */
		lo = Max(e - (c->L - 1), c->from);
		len = (int) (e - lo + 1);
		for (int t = 0; t < len; t++)
		{
			int			q = (int) (lo + t - c->from);

			c->lnull[t] = rows_window_missing(c, q, lag, pos);
			c->lvals[t] = c->lnull[t] ? 0 : c->vals[q];
		}
	}
	else
	{
		/* the steps from the first row read (a step without a row: missing) */
		int			q = c->gap_row[j];

		lo = Min(Max(e - (c->L - 1), c->steps[0]), e - (W - 1));
		len = (int) (e - lo + 1);
		for (int t = 0; t < len; t++)
			c->lnull[t] = true;
		while (q >= 0 && c->steps[q] > e)
			q--;
		for (; q >= 0 && c->steps[q] >= lo; q--)
		{
			int64		t = c->steps[q] - lo;

			c->lnull[t] = rows_window_missing(c, q, lag, pos);
			c->lvals[t] = c->lnull[t] ? 0 : c->vals[q];
		}
	}
	rnn_report_status(rnn_series_regularize(&s, NULL, c->lvals, c->lnull, (size_t) len, true, false,
											RNN_MAX_ROWS, &rnn_palloc_allocator, &bad, NULL, NULL),
					  fname);
	out = s.values;
	if (s.lead_missing > 0 && len - (int) s.lead_missing >= W)
	{
		out += s.lead_missing;
		len -= (int) s.lead_missing;
	}
	*n = len;
	return out;
}

/*
 * The view of the global model c->mp (no series) that reads the window in
 * hist slot j as a series it never saw: its pipeline reads the partition's
 * values up to the window's end (rows_unseen_history), the network the
 * window.  *rowsp: the history's rows with their features, which the view
 * reads (palloc'd; NULL for a model without features): free it after.
 */
static void
rows_unseen_view(const RowsCache *c, int j, int lag, RnnModel *view, RnnSeriesState *st,
				 double **rowsp, const char *fname)
{
	int			W = c->W;
	int			I = 1 + c->K;
	int			n;
	double	   *v = rows_unseen_history(c, j, lag, &n, fname);
	double	   *rows = NULL;

	if (c->K > 0)
	{
		/* the features of the window's rows (the pipeline reads the values only) */
		rows = palloc0(sizeof(double) * (size_t) n * I);
		memcpy(rows + (size_t) (n - W) * I, c->hist + (size_t) j * W * I, sizeof(double) * W * I);
		for (int t = 0; t < n; t++)
			rows[(size_t) t * I] = v[t];
	}
	rnn_report_status(rnn_pipeline_unseen_view(view, st, c->mp, v, (size_t) n, rows, &rnn_palloc_allocator),
					  fname);
	*rowsp = rows;
}

/*
 * The forecasts H steps ahead of the window in hist slot j with the global
 * model c->mp (no series), as rnn_forecast(model, history, H) gives them
 * for the history rows_unseen_view reads; fut: the forecast steps' features
 * (NULL without).
 */
static double *
rows_forecast_unseen(const RowsCache *c, int j, int lag, const double *fut, int H, const char *fname)
{
	RnnModel	view;
	RnnSeriesState st;
	double	   *rows,
			   *f;

	rows_unseen_view(c, j, lag, &view, &st, &rows, fname);
	f = rnn_forecast_view(&view, fut, H, fname);
	if (rows)
		pfree(rows);
	return f;
}

/*
 * The H-step forecasts of a one-series model c->mp after the B windows hist
 * (B rows of c->W steps; fut: their forecast steps' features, NULL
 * without), into out (B rows of H), as rnn_forecast(model, history, H)
 * gives them: each window's one-point spikes replaced when the training
 * replaced the series', its own Theta, its floor by the values as given.
 * alloc: the network's working memory (the batch's arena, or palloc).
 */
static void
rows_forecast_windows(const RowsCache *c, double *out, const double *hist, const double *fut,
					  int B, int H, const int32_t *phases, const RnnAlloc *alloc,
					  const char *fname)
{
	bool		failed;
	double	   *clean = rnn_pipeline_histories_despiked(c->mp, hist, B, c->W, 1 + c->K, &failed,
														rnn_check_interrupts, NULL,
														&rnn_palloc_allocator);

	if (failed)
		rnn_report_status(RNN_ERR_ALLOC, fname);
	rnn_report_status(rnn_forecast_features(out, c->mp, clean ? clean : hist, fut, B, c->W, H,
											phases, rnn_check_interrupts, NULL, alloc),
					  fname);
	rnn_theta_combine_histories(out, c->mp, clean ? clean : hist, hist, B, c->W, 1 + c->K, H,
								phases);
	if (clean)
		pfree(clean);
}

/*
 * The forecasts g + 1 .. g + horizon steps ahead of the window in hist slot
 * j, moved back by g = gaps[j] missing steps (ending at step end), into
 * out[j], one window at a time (a gap is rare; the batch forecasts horizon
 * steps)
 */
static void
rows_forecast_moved(RowsCache *c, int j, int lag, const char *fname)
{
	int			W = c->W;
	int			K = c->K;
	int			I = 1 + K;
	int			g = c->gaps[j];
	int			H = g + c->horizon;
	const double *hj = c->hist + (size_t) j * W * I;
	double	   *f,
			   *fut = NULL;

	if (K > 0)
	{
		/* the missing steps' features and the forecast steps' */
		fut = palloc(sizeof(double) * (size_t) H * K);
		rows_gap_future(c, fut, c->gap_end[j], H, c->gap_row[j]);
	}
	if (c->mp->n_series > 0)
		f = rows_forecast_unseen(c, j, lag, fut, H, fname);
	else
	{
		f = palloc(sizeof(double) * H);
		rows_forecast_windows(c, f, hj, fut, 1, H, &c->phases[j], &rnn_palloc_allocator, fname);
	}
	memcpy(c->out + (size_t) j * c->horizon, f + g, sizeof(double) * c->horizon);
	pfree(f);
	if (fut)
		pfree(fut);
}

/*
 * Forecast for rows first .. first + RNN_ROWS_BATCH - 1 of the partition
 * (fewer at its end) from the window of W steps ending `lag` steps before
 * each (0: at the row itself, rnn_predict_rows; 1: the steps before it,
 * rnn_anomaly): read the values (and features), build each window (NULL
 * and NaN values and features inside it interpolated, as rnn_predict does;
 * one that ends in missing steps moved back past them), and run the
 * network once over all of them.  Without ts a row is a step; with ts
 * the steps are the model's and a step without a row is a gap.  With
 * features, the forecast steps take the features of the horizon steps
 * after the window: a window whose steps run past the partition's end, or
 * whose steps miss a feature, has no forecast (future features are not
 * interpolated).  A global model without a series forecasts one window at a
 * time, and under c->defer_unseen not at all: c->out is left to each row's
 * call.  Returns the rows read; c->vals holds the values from c->from on.
 */
static int
rows_batch(WindowObject win, RowsCache *c, RowsPart *part, int64 first, int lag,
		   const char *fname)
{
	RnnPhaseTrack *track = &part->track;
	int			W = c->W;
	int			K = c->K;
	int			Ku = c->K_user;
	int			horizon = c->horizon;
	bool		ts = c->ts_kind >= 0;
	/*
	 * the rows of a window of W steps are among the W rows before it; a
	 * window moved back past the g <= RNN_ROWS_MAX_GAP missing steps it ends
	 * in, among the W + g before it (read for every batch: RNN_ROWS_MAX_GAP more
	 * rows than the batch's windows need when none ends in a gap), so that
	 * every row's window is the same whatever batch it falls in
	 */
	int64		from_w = Max(first - lag - RNN_ROWS_MAX_GAP(W) - (W - 1), 0);
	/* (and a global model without a series: the rows its pipeline reads before them) */
	int64		from = Max(from_w - c->L, 0);
	/* the last row read: the batch's last, or the last forecast step's features */
	int64		last = first + RNN_ROWS_BATCH - 1 + (Ku > 0 ? Max(horizon - lag, 0) : 0);
	int			n = 0;
	int			rows = 0;
	int			k = 0;
	int64		cal_lo,
				cal_n;

	CHECK_FOR_INTERRUPTS();
	/* the rows before `from` are never read again */
	WinSetMarkPosition(win, from);
	for (int64 p = from; p <= last; p++)
	{
		bool		isnull,
					isout;
		Datum		d = WinGetFuncArgInPartition(win, c->a0, (int) (p - first), WINDOW_SEEK_CURRENT,
												 false, &isnull, &isout);

		if (isout)
			break;
		c->vnull[n] = isnull;
		c->vals[n] = isnull ? 0 : DatumGetFloat8(d);
		if (!isnull && isinf(c->vals[n]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: value is infinite (row " INT64_FORMAT " of the partition)", fname, p + 1)));
		if (c->a0 == 2 && p >= part->checked)
		{
			/* the series form: a row of another series is an error before its step is read */
			d = WinGetFuncArgInPartition(win, 0, (int) (p - first), WINDOW_SEEK_CURRENT,
										 false, &isnull, &isout);
			rows_same_series(c, part, d, isnull, fname);
		}
		if (ts)
		{
			d = WinGetFuncArgInPartition(win, c->a0 - 1, (int) (p - first), WINDOW_SEEK_CURRENT,
										 false, &isnull, &isout);
			c->steps[n] = rows_step(c, part, d, isnull, p, fname);
		}
		if (Ku > 0)
		{
			d = WinGetFuncArgInPartition(win, c->a0 + 3, (int) (p - first), WINDOW_SEEK_CURRENT,
										 false, &isnull, &isout);
			rows_read_features(c, d, isnull, p, c->feats + (size_t) n * K,
							   c->fnull + (size_t) n * K, fname);
		}
		n++;
		if (p >= first && p < first + RNN_ROWS_BATCH)
			rows++;
	}
	c->from = from;
	c->nvals = n;
	/*
	 * The ts form's calendar features: once for the batch's steps, from its
	 * first row's to its last forecast step (unless gaps make that range far
	 * longer than the rows), else per window
	 */
	cal_lo = ts && K > Ku && rows > 0 ? c->steps[from_w - from] : 0;
	cal_n = ts && K > Ku && rows > 0 ? c->steps[first + rows - 1 - from] + horizon - cal_lo + 1 : 0;
	if (cal_n > 4 * (int64) (W + RNN_ROWS_BATCH + horizon))
		cal_n = 0;
	if (cal_n > 0)
	{
		if ((size_t) cal_n > c->cal_cap)
		{
			if (c->cal)
				pfree(c->cal);
			c->cal = MemoryContextAllocHuge(c->cxt, sizeof(double) * (size_t) cal_n * (K - Ku));
			c->cal_cap = (size_t) cal_n;
		}
		rnn_calendar_rows(c->mp, cal_lo, (size_t) cal_n, c->cal, K - Ku, 0);
	}
	c->cal_lo = cal_lo;
	c->cal_n = cal_n;
	for (int b = 0; b < rows; b++)
	{
		int64		pos = first + b;

		if (!ts)
		{
			/* the season's phase from the partition's rows up to the window's end */
			track->anchor = c->anchor;
			while (c->mp->n_seasonal > 0 && c->mp->n_series == 0 && track->rows <= pos - lag)
			{
				int64		q = track->rows - from;

				/* (rows are read in order: none before `from` is still to come) */
				rnn_phase_track_add(track, c->mp, q >= 0 ? c->vals[q] : 0,
									q < 0 || c->vnull[q] || isnan(c->vals[q]));
			}
			c->tphase[b] = rnn_phase_track_phase(track, c->mp);
		}
		c->slot[b] = rows_window(c, part, pos, b, k, lag, fname) ? k++ : -1;
	}
	if (k == 0)
		return rows;
	if (c->defer_unseen)
		return rows;			/* each row's call forecasts its window (anomaly) */
	if (c->mp->n_series > 0)
	{
		/*
		 * a global model scales every history by itself: one pass each (a
		 * window moved back by a gap: below)
		 */
		for (int j = 0; j < k; j++)
		{
			double	   *f;

			if (c->gaps[j] > 0)
				continue;
			f = rows_forecast_unseen(c, j, lag, K > 0 ? c->future + (size_t) j * horizon * K : NULL,
												 horizon, fname);

			memcpy(c->out + (size_t) j * horizon, f, sizeof(double) * horizon);
		}
	}
	else
	{
		arena_reset(&c->arena);
		rows_forecast_windows(c, c->out, c->hist, K > 0 ? c->future : NULL, k, horizon,
							  c->phases, &c->arena_alloc, fname);
	}
	/* a window moved back by g steps: the steps g + 1 .. g + horizon ahead */
	for (int j = 0; j < k; j++)
		if (c->gaps[j] > 0)
			rows_forecast_moved(c, j, lag, fname);
	return rows;
}

/* The type of the ts form's timestamps (-1: the form without ts). */
static int
rows_ts_kind(FunctionCallInfo fcinfo, int a0)
{
	int			kind;

	if (a0 == 0)
		return -1;
	kind = rnn_ts_kind_of_type(get_fn_expr_argtype(fcinfo->flinfo, a0 - 1));
	if (kind < 0)
		elog(ERROR, "could not determine the type of the timestamps");
	return kind;
}

/*
 * The series form: the series the current row names (argument 0) is the
 * partition's, and the rows are forecast with its view of the global model.
 */
static void
rows_series(WindowObject win, RowsPart *part, RowsCache *c, const char *fname)
{
	bool		isnull;
	Datum		d = WinGetFuncArgCurrent(win, 0, &isnull);
	text	   *name;
	int			i;

	if (part->series != 0 && part->cache == c)
	{
		/* a later row of the partition (same model): the series of its first */
		rows_same_series(c, part, d, isnull, fname);
		i = part->series - 1;
	}
	else
	{
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: series must not be NULL", fname)));
		name = DatumGetTextPP(d);
		i = rnn_model_find_series(&c->m, VARDATA_ANY(name), (int32_t) VARSIZE_ANY_EXHDR(name));
		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the model has no series \"%s\"", fname, text_to_cstring(name)),
					 errhint("rnn_model_series(model) lists its series; without the series argument each window is forecast as a series of its own.")));
		part->series = i + 1;
	}
	if (c->view_series != i)
	{
		rnn_model_series_view(&c->view, &c->m, i);
		c->view_series = i;
	}
	c->mp = &c->view;
}

/*
 * Whether the current row's model is NULL, which gives it NULL (a group
 * whose training failed with on_error => 'null', joined): every row of the
 * partition must pass a NULL model then, or none.
 */
static bool
rows_model_null(RowsPart *part, bool isnull, const char *fname, const char *argname)
{
	int8		state = isnull ? 1 : 2;

	if (part->model_null != 0 && part->model_null != state)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: every row of a partition must pass the same model and %s", fname, argname),
				 errdetail("Some rows pass a NULL model and some do not.")));
	part->model_null = state;
	return isnull;
}

/* Make the batch cover row pos of the partition (one model per partition). */
static void
rows_position(WindowObject win, RowsPart *part, RowsCache *c, int64 pos, int lag, const char *fname,
			  const char *argname)
{
	if (part->cache != NULL && part->cache != c)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: every row of a partition must pass the same model and %s", fname, argname)));
	part->cache = c;
	if (part->count == 0 || pos < part->first || pos >= part->first + part->count)
	{
		/* the partition's first row, or past the batch: the next batch starts here */
		part->first = pos;
		part->count = rows_batch(win, c, part, pos, lag, fname);
	}
}

/*
 * rnn_predict_rows(value float8, model bytea, horizon int DEFAULT 1)
 *	 RETURNS float8[], a window function: the horizon forecasts after the
 *	 model's window of rows ending at the current row (partition order, the
 *	 frame is not used); NULL while fewer rows than the window have passed,
 *	 or when the window holds nothing but NULLs.
 * rnn_predict_rows(value float8, model bytea, horizon int, features float8[])
 *	 the same for a model trained with features: the window reads the rows'
 *	 own features, the forecast steps those of the horizon rows after the
 *	 current one; NULL when the partition ends before them or one of them
 *	 misses a feature.
 */
static Datum
predict_rows(FunctionCallInfo fcinfo, int a0)
{
	WindowObject win = PG_WINDOW_OBJECT();
	RowsPart   *part = (RowsPart *) WinGetPartitionLocalMemory(win, sizeof(RowsPart));
	int64		pos = WinGetCurrentPosition(win);
	bool		model_null,
				horizon_null;
	Datum		model = WinGetFuncArgCurrent(win, a0 + 1, &model_null);
	Datum		horizon = WinGetFuncArgCurrent(win, a0 + 2, &horizon_null);
	RowsCache  *c;
	int			b;

	if (horizon_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_predict_rows: horizon must not be NULL")));
	if (rows_model_null(part, model_null, "rnn_predict_rows", "horizon"))
		PG_RETURN_NULL();
	c = rows_cache(fcinfo, model, DatumGetInt32(horizon), PG_NARGS() > a0 + 3, rows_ts_kind(fcinfo, a0),
				   a0 == 2, "rnn_predict_rows",
				   a0 == 2 ? "rnn_predict_rows(series, ts, value, model, horizon, features)" :
				   a0 == 1 ? "rnn_predict_rows(ts, value, model, horizon, features)" :
				   "rnn_predict_rows(value, model, horizon, features)",
				   a0 == 2 ? "rnn_predict_rows(series, ts, value, model, horizon)" :
				   a0 == 1 ? "rnn_predict_rows(ts, value, model, horizon)" :
				   "rnn_predict_rows(value, model, horizon)");
	if (a0 == 2)
		rows_series(win, part, c, "rnn_predict_rows");
	rows_position(win, part, c, pos, 0, "rnn_predict_rows", "horizon");
	b = (int) (pos - part->first);
	if (b < 0 || b >= part->count || c->slot[b] < 0)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(rnn_float8_array(c->out + (size_t) c->slot[b] * c->horizon, c->horizon));
}

Datum
rnn_predict_rows(PG_FUNCTION_ARGS)
{
	return predict_rows(fcinfo, 0);
}

/*
 * rnn_predict_rows(ts, value float8, model bytea, horizon int DEFAULT 1)
 *	 and rnn_predict_rows(ts, value, model, horizon, features float8[]),
 *	 ts of the model's timestamp type (bigint step numbers for a model
 *	 trained without timestamps): the same over the model's steps, the
 *	 window ORDER BY ts; NULL while the window reaches before the
 *	 partition's first row.
 */
Datum
rnn_predict_rows_ts(PG_FUNCTION_ARGS)
{
	return predict_rows(fcinfo, 1);
}

/*
 * rnn_predict_rows(series text, ts, value float8, model bytea, horizon int
 *	 DEFAULT 1) and rnn_predict_rows(series, ts, value, model, horizon,
 *	 features float8[]) for a global model, the window PARTITION BY series
 *	 ORDER BY ts: the ts form with the series' own scale, seasonal indices,
 *	 place in the season (its time axis), log and Theta weight, as
 *	 rnn_forecast(model, series, horizon) forecasts it.
 */
Datum
rnn_predict_rows_series(PG_FUNCTION_ARGS)
{
	return predict_rows(fcinfo, 2);
}

/*
 * rnn_anomaly's intervals: at its level, and at the grid of levels that
 * places a value in the forecast error distribution (prepared once per
 * model and level; again when a partition passes the model of the one
 * before at another level, which part, the partition's state before its
 * first row is placed, tells from a level change inside a partition).
 */
static void
anomaly_prepare(FunctionCallInfo fcinfo, RowsCache *c, const RowsPart *part, double level)
{
	MemoryContext old;
	TupleDesc	tupdesc;

	if (c->tupdesc != NULL && c->level == level)
		return;
	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_anomaly: level must be between 0 and 1 (exclusive), not %g", level)));
	/* a row of this partition already used the model at another level */
	if (part->cache != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_anomaly: every row of a partition must pass the same model and level")));
	old = MemoryContextSwitchTo(c->cxt);
	if (c->tupdesc == NULL)
	{
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE || tupdesc->natts != 5)
			elog(ERROR, "rnn_anomaly: return type must be rnn_anomaly_result");
		c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
	}
	else
	{
		/* a new partition with the model of the one before at another level */
		for (int k = 0; k <= RNN_SCORE_LEVELS; k++)
			rnn_intervals_free(&c->grid[k], &rnn_palloc_allocator);
		pfree(c->grid);
		c->grid = NULL;
	}
	c->level = level;
	{
		/* the grid and, after it, the row's own level: the errors sorted once */
		double	   *levels = palloc(sizeof(double) * (RNN_SCORE_LEVELS + 1));

		for (int k = 0; k < RNN_SCORE_LEVELS; k++)
			levels[k] = (k + 1) / 1000.0;
		levels[RNN_SCORE_LEVELS] = level;
		c->grid = palloc(sizeof(RnnIntervals) * (RNN_SCORE_LEVELS + 1));
		rnn_report_status(rnn_intervals_prepare_levels(c->grid, levels, RNN_SCORE_LEVELS + 1, &c->m,
													   &rnn_palloc_allocator), "rnn_anomaly");
		pfree(levels);
		c->iv = c->grid[RNN_SCORE_LEVELS];
	}
	c->calibrated = c->iv.steps > 0;
	MemoryContextSwitchTo(old);
}

/*
 * Where v falls in the distribution of the errors of forecasts h steps
 * ahead: 0.5 + L / 2 for the smallest level L (of 1/1000 .. 999/1000) whose
 * interval holds v; 1 when none does.  Intervals widen with the level, so a
 * bisection finds it.
 */
static double
anomaly_score(RowsCache *c, const RnnModel *m, double fc, int h, int phase, double v)
{
	int			lo = 0,
				hi = RNN_SCORE_LEVELS;	/* the answer is in [lo, hi]; hi: none */

	if (v == fc)
		return 0.5;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		double		l,
					u;

		rnn_interval_bounds(m, &c->grid[mid], fc, h, phase, &l, &u);
		if (l <= v && v <= u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo == RNN_SCORE_LEVELS ? 1.0 : (1000 + lo + 1) / 2000.0;
}

/*
 * rnn_anomaly(value float8, model bytea, level float8 DEFAULT 0.99)
 *	 RETURNS rnn_anomaly_result (expected, lower, upper, is_anomaly, score),
 *	 a window function: the row against the one-step forecast from the
 *	 model's window of rows before it (window ORDER BY) and its calibrated
 *	 interval at level; the row after a flagged one (after the rows without
 *	 a value that follow it) against the forecast from a window that leaves
 *	 the flagged value out.  NULL while fewer rows than the window came before;
 *	 is_anomaly and score NULL for a NULL value, the bounds too for a model
 *	 without calibration.
 * rnn_anomaly(value float8, model bytea, level float8, features float8[])
 *	 the same for a model trained with features: the window reads the rows'
 *	 own features, the forecast step the current row's; all NULL when the
 *	 current row misses a feature.
 */
static Datum
anomaly(FunctionCallInfo fcinfo, int a0)
{
	WindowObject win = PG_WINDOW_OBJECT();
	RowsPart   *part = (RowsPart *) WinGetPartitionLocalMemory(win, sizeof(RowsPart));
	int64		pos = WinGetCurrentPosition(win);
	bool		model_null,
				level_null,
				value_null;
	Datum		model = WinGetFuncArgCurrent(win, a0 + 1, &model_null);
	Datum		level = WinGetFuncArgCurrent(win, a0 + 2, &level_null);
	RowsCache  *c;
	int			b,
				j;
	Datum		values[5];
	bool		nulls[5] = {false, true, true, true, true};
	double		fc,
				v,
				score;
	int			phase,
				hstep;
	const RnnModel *bm;
	RnnModel	view;
	RnnSeriesState wstate;

	if (level_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_anomaly: level must not be NULL")));
	if (rows_model_null(part, model_null, "rnn_anomaly", "level"))
		PG_RETURN_NULL();
	c = rows_cache(fcinfo, model, 1, PG_NARGS() > a0 + 3, rows_ts_kind(fcinfo, a0), a0 == 2, "rnn_anomaly",
				   a0 == 2 ? "rnn_anomaly(series, ts, value, model, level, features)" :
				   a0 == 1 ? "rnn_anomaly(ts, value, model, level, features)" :
				   "rnn_anomaly(value, model, level, features)",
				   a0 == 2 ? "rnn_anomaly(series, ts, value, model, level)" :
				   a0 == 1 ? "rnn_anomaly(ts, value, model, level)" : "rnn_anomaly(value, model, level)");
	if (a0 == 2)
		rows_series(win, part, c, "rnn_anomaly");
	c->defer_unseen = a0 != 2 && c->m.n_series > 0;
	anomaly_prepare(fcinfo, c, part, DatumGetFloat8(level));
	bm = c->mp;
	rows_position(win, part, c, pos, 1, "rnn_anomaly", "level");
	b = (int) (pos - part->first);
	j = b >= 0 && b < part->count ? c->slot[b] : -1;
	if (j >= 0 && part->flagged > 0)
	{
		/*
		 * the last row with a value was flagged: this row's window leaves it
		 * out, as a missing step, so that the row takes the forecast one
		 * step further from the window before it (built again in the spare
		 * slot, placed in the season by the rows before the flagged one)
		 */
		c->skip_pos = part->flagged - 1;
		c->skip_for = pos;
		c->skip_tphase = part->flagged_tphase;
		j = rows_window(c, part, pos, b, RNN_ROWS_BATCH, 1, "rnn_anomaly") ? RNN_ROWS_BATCH : -1;
		/*
		 * (the flagged row stays left out until the window's forecast and
		 * interval are made: a global model's history reads it too)
		 */
		if (j >= 0 && !c->defer_unseen)
			rows_forecast_moved(c, j, 1, "rnn_anomaly");
	}
	if (j < 0)
	{
		c->skip_pos = -1;
		c->skip_for = -1;
		PG_RETURN_NULL();		/* no verdict: a flagged row waits on */
	}
	/* after g missing steps, the forecast g + 1 steps from the last known one */
	hstep = c->gaps[j] + 1;
	fc = c->defer_unseen ? NAN : c->out[j];	/* (deferred: made below) */
	phase = c->phases[j];
	if (c->defer_unseen)
	{
		/*
		 * a global model forecasts the window as a series of its own, its
		 * pipeline reading the partition's values up to the window's end (as
		 * rnn_forecast(model, history, horizon) reads a history), built once
		 * for the forecast and its interval, the global calibration on that
		 * series' scale; after g missing steps, the forecast g + 1 steps ahead
		 */
		int			g = c->gaps[j];
		double	   *fut = NULL,
				   *rows;

		if (c->K > 0 && g > 0)
		{
			fut = palloc(sizeof(double) * (size_t) (g + 1) * c->K);
			rows_gap_future(c, fut, c->gap_end[j], g + 1, c->gap_row[j]);
		}
		else if (c->K > 0)
			fut = c->future + (size_t) j * c->horizon * c->K;
		rows_unseen_view(c, j, 1, &view, &wstate, &rows, "rnn_anomaly");
		fc = rnn_forecast_view(&view, fut, g + 1, "rnn_anomaly")[g];
		bm = &view;
		phase = wstate.phase_last;
	}
	else
	{
		/* the floor of the window's forecast (rnn_theta_combine_histories) */
		view = *c->mp;
		view.nonnegative = rnn_pipeline_history_floors(c->mp, c->hist + (size_t) j * c->W * (1 + c->K),
													   (size_t) c->W, (size_t) (1 + c->K));
		bm = &view;
	}
	c->skip_pos = -1;
	c->skip_for = -1;
	values[0] = Float8GetDatum(fc);
	value_null = c->vnull[pos - c->from];
	v = c->vals[pos - c->from];
	if (c->calibrated)
	{
		double		lo,
					hi;

		rnn_interval_bounds(bm, &c->iv, fc, hstep, phase, &lo, &hi);
		values[1] = Float8GetDatum(lo);
		values[2] = Float8GetDatum(hi);
		nulls[1] = nulls[2] = false;
		if (!value_null && !isnan(v))
		{
			values[3] = BoolGetDatum(v < lo || v > hi);
			/* a verdict ends the last flagged row's turn, or starts its own */
			part->flagged = v < lo || v > hi ? pos + 1 : 0;
			part->flagged_tphase = c->tphase[b];
			score = anomaly_score(c, bm, fc, hstep, phase, v);
			/*
			 * a level between the grid's (or above its last, 0.999) may hold
			 * a value the grid level below it does not: the score of a value
			 * inside the row's interval is then that level's, so that it is
			 * above 0.5 + level / 2 exactly when the row is flagged
			 */
			if (v >= lo && v <= hi && score > 0.5 + 0.5 * c->level)
				score = 0.5 + 0.5 * c->level;
			values[4] = Float8GetDatum(score);
			nulls[3] = nulls[4] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls)));
}

Datum
rnn_anomaly(PG_FUNCTION_ARGS)
{
	return anomaly(fcinfo, 0);
}

/*
 * rnn_anomaly(ts, value float8, model bytea, level float8 DEFAULT 0.99) and
 * rnn_anomaly(ts, value, model, level, features float8[]), ts of the
 * model's timestamp type: the same over the model's steps, the window
 * ORDER BY ts (the window is the W steps before the row's, a step without
 * a row a gap); NULL while it reaches before the partition's first row.
 */
Datum
rnn_anomaly_ts(PG_FUNCTION_ARGS)
{
	return anomaly(fcinfo, 1);
}

/*
 * rnn_anomaly(series text, ts, value float8, model bytea, level float8
 *	 DEFAULT 0.99) and rnn_anomaly(series, ts, value, model, level, features
 *	 float8[]) for a global model, the window PARTITION BY series ORDER BY
 *	 ts: the ts form with the series' own view of the model (its interval
 *	 on the series' scale, as rnn_forecast(model, series, 1, level)).
 */
Datum
rnn_anomaly_series(PG_FUNCTION_ARGS)
{
	return anomaly(fcinfo, 2);
}
