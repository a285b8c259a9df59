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
 *	  row.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif
#include "windowapi.h"

#include "rnn_pg.h"
#include "rnn_pipeline.h"
#include "rnn_predict.h"
#include "rnn_series.h"

PG_FUNCTION_INFO_V1(rnn_predict_rows);
PG_FUNCTION_INFO_V1(rnn_anomaly);

/* rnn_anomaly's score: intervals at levels 1/1000 .. 999/1000 */
#define RNN_SCORE_LEVELS 999

/* rows forecast in one pass of the network */
#define RNN_ROWS_BATCH 256

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
	double	   *vals;			/* (W + RNN_ROWS_BATCH) values read (a lag of one reads one more) */
	bool	   *vnull;
	bool	   *wnull;			/* (W) the gaps of one window */
	double	   *hist;			/* (RNN_ROWS_BATCH, W) */
	int32_t    *phases;			/* (RNN_ROWS_BATCH) */
	double	   *out;			/* (RNN_ROWS_BATCH, horizon) */
	int		   *slot;			/* (RNN_ROWS_BATCH) row b's history in hist, -1: none */
	int64		from;			/* partition position of vals[0] */
	int			nvals;			/* values read for the batch */
	Arena		arena;
	RnnAlloc	arena_alloc;
	/* rnn_anomaly: its level, intervals and result row type */
	double		level;
	bool		calibrated;
	RnnIntervals iv;			/* at level */
	RnnIntervals *grid;			/* (RNN_SCORE_LEVELS) at level k / 1000 */
	TupleDesc	tupdesc;
} RowsCache;

/* Per partition (zeroed at its start): which rows the cache's forecasts are for. */
typedef struct RowsPart
{
	int64		first;			/* partition position of row 0 of the batch */
	int			count;			/* rows in the batch; 0: none yet */
	RowsCache  *cache;			/* the model of the partition's first row */
} RowsPart;

/* The model of this row: the cache's when the same, else decoded into a new cache. */
static RowsCache *
rows_cache(FunctionCallInfo fcinfo, Datum model, int horizon, const char *fname)
{
	RowsCache  *c = (RowsCache *) fcinfo->flinfo->fn_extra;
	bytea	   *raw;
	MemoryContext cxt,
				old;
	int			W;

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
	rnn_model_datum_keep(&c->key, model);
	rnn_check_predict_model(&c->m, horizon, fname);
	if (c->m.window < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a model with a fixed window; this one reads histories of any length", fname),
				 errhint("Use rnn_predict(value, model, horizon) over a frame of the rows to read.")));
	W = c->m.window;
	c->W = W;
	c->horizon = horizon;
	c->vals = palloc(sizeof(double) * (W + RNN_ROWS_BATCH));
	c->vnull = palloc(sizeof(bool) * (W + RNN_ROWS_BATCH));
	c->wnull = palloc(sizeof(bool) * W);
	c->hist = palloc(sizeof(double) * (size_t) W * RNN_ROWS_BATCH);
	c->phases = palloc(sizeof(int32_t) * RNN_ROWS_BATCH);
	c->out = palloc(sizeof(double) * (size_t) horizon * RNN_ROWS_BATCH);
	c->slot = palloc(sizeof(int) * RNN_ROWS_BATCH);
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
 * Forecast for rows first .. first + RNN_ROWS_BATCH - 1 of the partition
 * (fewer at its end) from the window of W rows ending `lag` rows before
 * each (0: at the row itself, rnn_predict_rows; 1: the rows before it,
 * rnn_anomaly): read the values, build each window (NULL and NaN values
 * interpolated, as rnn_predict does), and run the network once over all of
 * them.  Returns the rows read; c->vals holds the values from c->from on.
 */
static int
rows_batch(WindowObject win, RowsCache *c, int64 first, int lag, const char *fname)
{
	int			W = c->W;
	int64		from = Max(first - lag - (W - 1), 0);
	int			n = 0;
	int			rows = 0;
	int			k = 0;

	CHECK_FOR_INTERRUPTS();
	/* the rows before `from` are never read again */
	WinSetMarkPosition(win, from);
	for (int64 p = from; p < first + RNN_ROWS_BATCH; p++)
	{
		bool		isnull,
					isout;
		Datum		d = WinGetFuncArgInPartition(win, 0, (int) (p - first), WINDOW_SEEK_CURRENT,
												 false, &isnull, &isout);

		if (isout)
			break;
		c->vnull[n] = isnull;
		c->vals[n] = isnull ? 0 : DatumGetFloat8(d);
		if (!isnull && isinf(c->vals[n]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: value is infinite (row " INT64_FORMAT " of the partition)", fname, p + 1)));
		n++;
		if (p >= first)
			rows++;
	}
	c->from = from;
	c->nvals = n;
	for (int b = 0; b < rows; b++)
	{
		int64		end = first + b - lag;	/* the window ends at this row */
		int			off = (int) (end - (W - 1) - from);
		double	   *h = c->hist + (size_t) k * W;
		bool		any_null = false;

		c->slot[b] = -1;
		if (end - (W - 1) < 0)
			continue;			/* fewer rows than the window so far */
		for (int t = 0; t < W; t++)
		{
			/* rnn_anomaly: a value a logged model cannot read is a gap in the windows after it */
			c->wnull[t] = c->vnull[off + t] ||
				(lag && c->m.log_transform && c->m.n_series == 0 && !(c->vals[off + t] > 0));
			any_null |= c->wnull[t] || isnan(c->vals[off + t]);
		}
		if (any_null)
		{
			RnnSeries	s;
			int64		bad;
			RnnStatus	rs = rnn_series_regularize(&s, NULL, c->vals + off, c->wnull, W, true,
												   RNN_MAX_ROWS, &rnn_palloc_allocator, &bad,
												   NULL, NULL);

			if (rs == RNN_ERR_NOVALUES)
				continue;		/* nothing but NULLs: NULL, as rnn_predict */
			rnn_report_status(rs, fname);
			memcpy(h, s.values, sizeof(double) * W);
		}
		else
			memcpy(h, c->vals + off, sizeof(double) * W);
		c->phases[k] = c->m.n_seasonal > 0 ? rnn_pipeline_guess_phase(&c->m, h, W) : c->m.phase_last;
		c->slot[b] = k++;
	}
	if (k == 0)
		return rows;
	if (c->m.n_series > 0)
	{
		/* a global model scales every history by itself: one pass each */
		for (int j = 0; j < k; j++)
		{
			double	   *f = rnn_forecast_or_error(&c->m, c->hist + (size_t) j * W, W, c->horizon,
												  fname);

			memcpy(c->out + (size_t) j * c->horizon, f, sizeof(double) * c->horizon);
		}
	}
	else
	{
		arena_reset(&c->arena);
		rnn_report_status(rnn_forecast_batch_checked(c->out, &c->m, c->hist, k, W, c->horizon,
													 c->phases, rnn_check_interrupts, NULL,
													 &c->arena_alloc),
						  fname);
	}
	return rows;
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
		part->count = rows_batch(win, c, pos, lag, fname);
	}
}

/*
 * rnn_predict_rows(value float8, model bytea, horizon int DEFAULT 1)
 *	 RETURNS float8[], a window function: the horizon forecasts after the
 *	 model's window of rows ending at the current row (partition order, the
 *	 frame is not used); NULL while fewer rows than the window have passed,
 *	 or when the window holds nothing but NULLs.
 */
Datum
rnn_predict_rows(PG_FUNCTION_ARGS)
{
	WindowObject win = PG_WINDOW_OBJECT();
	RowsPart   *part = (RowsPart *) WinGetPartitionLocalMemory(win, sizeof(RowsPart));
	int64		pos = WinGetCurrentPosition(win);
	bool		model_null,
				horizon_null;
	Datum		model = WinGetFuncArgCurrent(win, 1, &model_null);
	Datum		horizon = WinGetFuncArgCurrent(win, 2, &horizon_null);
	RowsCache  *c;
	int			b;

	if (model_null || horizon_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_predict_rows: model and horizon must not be NULL")));
	c = rows_cache(fcinfo, model, DatumGetInt32(horizon), "rnn_predict_rows");
	rows_position(win, part, c, pos, 0, "rnn_predict_rows", "horizon");
	b = (int) (pos - part->first);
	if (b < 0 || b >= part->count || c->slot[b] < 0)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(rnn_float8_array(c->out + (size_t) c->slot[b] * c->horizon, c->horizon));
}

/*
 * rnn_anomaly's intervals: at its level, and at the grid of levels that
 * places a value in the forecast error distribution (prepared once per
 * model and level).
 */
static void
anomaly_prepare(FunctionCallInfo fcinfo, RowsCache *c, double level)
{
	MemoryContext old;
	TupleDesc	tupdesc;

	if (c->tupdesc != NULL && c->level == level)
		return;
	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("level must be between 0 and 1 (exclusive), not %g", level)));
	if (c->tupdesc != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rnn_anomaly: every row of a partition must pass the same model and level")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE || tupdesc->natts != 5)
		elog(ERROR, "rnn_anomaly: return type must be rnn_anomaly_result");
	old = MemoryContextSwitchTo(c->cxt);
	c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
	c->level = level;
	rnn_report_status(rnn_intervals_prepare(&c->iv, &c->m, level, &rnn_palloc_allocator), "rnn_anomaly");
	c->calibrated = c->iv.steps > 0;
	if (c->calibrated)
	{
		c->grid = palloc(sizeof(RnnIntervals) * RNN_SCORE_LEVELS);
		for (int k = 0; k < RNN_SCORE_LEVELS; k++)
			rnn_report_status(rnn_intervals_prepare(&c->grid[k], &c->m, (k + 1) / 1000.0,
													&rnn_palloc_allocator), "rnn_anomaly");
	}
	MemoryContextSwitchTo(old);
}

/*
 * Where v falls in the forecast error distribution: 0.5 + L / 2 for the
 * smallest level L (of 1/1000 .. 999/1000) whose interval holds v; 1 when
 * none does.  Intervals widen with the level, so a bisection finds it.
 */
static double
anomaly_score(RowsCache *c, double fc, int phase, double v)
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

		rnn_interval_bounds(&c->m, &c->grid[mid], fc, 1, phase, &l, &u);
		if (l <= v && v <= u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo == RNN_SCORE_LEVELS ? 1.0 : 0.5 + 0.5 * (lo + 1) / 1000.0;
}

/*
 * rnn_anomaly(value float8, model bytea, level float8 DEFAULT 0.99)
 *	 RETURNS rnn_anomaly_result (expected, lower, upper, is_anomaly, score),
 *	 a window function: the row against the one-step forecast from the
 *	 model's window of rows before it (window ORDER BY) and its calibrated
 *	 interval at level.  NULL while fewer rows than the window came before;
 *	 is_anomaly and score NULL for a NULL value, the bounds too for a model
 *	 without calibration.
 */
Datum
rnn_anomaly(PG_FUNCTION_ARGS)
{
	WindowObject win = PG_WINDOW_OBJECT();
	RowsPart   *part = (RowsPart *) WinGetPartitionLocalMemory(win, sizeof(RowsPart));
	int64		pos = WinGetCurrentPosition(win);
	bool		model_null,
				level_null,
				value_null;
	Datum		model = WinGetFuncArgCurrent(win, 1, &model_null);
	Datum		level = WinGetFuncArgCurrent(win, 2, &level_null);
	RowsCache  *c;
	int			b;
	Datum		values[5];
	bool		nulls[5] = {false, true, true, true, true};
	double		fc,
				v;
	int			phase;

	if (model_null || level_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rnn_anomaly: model and level must not be NULL")));
	c = rows_cache(fcinfo, model, 1, "rnn_anomaly");
	if (c->m.n_series > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rnn_anomaly does not take global models yet"),
				 errdetail("A global model's intervals are calibrated per series; rows of a window function carry no series name."),
				 errhint("Train a model per series (GROUP BY), or compare rnn_predict_rows with the values.")));
	anomaly_prepare(fcinfo, c, DatumGetFloat8(level));
	rows_position(win, part, c, pos, 1, "rnn_anomaly", "level");
	b = (int) (pos - part->first);
	if (b < 0 || b >= part->count || c->slot[b] < 0)
		PG_RETURN_NULL();
	fc = c->out[c->slot[b]];
	phase = c->phases[c->slot[b]];
	values[0] = Float8GetDatum(fc);
	value_null = c->vnull[pos - c->from];
	v = c->vals[pos - c->from];
	if (c->calibrated)
	{
		double		lo,
					hi;

		rnn_interval_bounds(&c->m, &c->iv, fc, 1, phase, &lo, &hi);
		values[1] = Float8GetDatum(lo);
		values[2] = Float8GetDatum(hi);
		nulls[1] = nulls[2] = false;
		if (!value_null && !isnan(v))
		{
			values[3] = BoolGetDatum(v < lo || v > hi);
			values[4] = Float8GetDatum(anomaly_score(c, fc, phase, v));
			nulls[3] = nulls[4] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls)));
}
