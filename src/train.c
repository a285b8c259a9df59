/*
 * train.c
 *	  The training aggregates rnn_train(...): the transition functions
 *	  collect rows in the aggregate context, the final function regularises
 *	  the series, trains the network with the core and returns the model.
 *
 * The final function only reads the state, so it may run more than once.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "rnn_pg.h"

PG_FUNCTION_INFO_V1(rnn_train_transfn);
PG_FUNCTION_INFO_V1(rnn_train_ts_transfn);
PG_FUNCTION_INFO_V1(rnn_train_series_transfn);
PG_FUNCTION_INFO_V1(rnn_train_features_transfn);
PG_FUNCTION_INFO_V1(rnn_train_series_features_transfn);
PG_FUNCTION_INFO_V1(rnn_train_finalfn);

/*
 * rnn_train(value float8 [, config jsonb [, init bytea]]): rows in the
 * aggregate's ORDER BY order, optionally continuing from a model
 */
Datum
rnn_train_transfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st = rnn_rows_state(fcinfo, RNN_TS_NONE, "rnn_train");

	/* the options before the row, as in every form (their messages count the row as the next) */
	rnn_rows_options(fcinfo, st, 2, 3);
	(void) rnn_rows_add(st, 0, PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(st);
}

/* rnn_train(ts, value float8, config jsonb [, init bytea]) */
Datum
rnn_train_ts_transfn(PG_FUNCTION_ARGS)
{
	RNN_SKIP_EMPTY_ROW(1, 2);
	PG_RETURN_POINTER(rnn_rows_ts_transfn(fcinfo, -1, 4, "rnn_train"));
}

/* rnn_train(ts, value float8, features float8[], config jsonb [, init bytea]) */
Datum
rnn_train_features_transfn(PG_FUNCTION_ARGS)
{
	RNN_SKIP_EMPTY_ROW(1, 2);
	PG_RETURN_POINTER(rnn_rows_ts_transfn(fcinfo, 3, 5, "rnn_train"));
}

/* rnn_train(series text, ts, value float8, config jsonb [, init bytea]): a global model */
Datum
rnn_train_series_transfn(PG_FUNCTION_ARGS)
{
	RNN_SKIP_EMPTY_ROW(2, 3);
	PG_RETURN_POINTER(rnn_rows_series_transfn(fcinfo, -1, 5, "rnn_train"));
}

/* rnn_train(series text, ts, value float8, features float8[], config jsonb [, init bytea]) */
Datum
rnn_train_series_features_transfn(PG_FUNCTION_ARGS)
{
	RNN_SKIP_EMPTY_ROW(2, 3);
	PG_RETURN_POINTER(rnn_rows_series_transfn(fcinfo, 4, 6, "rnn_train"));
}

/* the error context of a training: which group's rows it was */
static void
group_context(void *arg)
{
	errcontext("rnn_train over %s", (const char *) arg);
}

/* regularise, fit and store the group's rows (errors propagate) */
static bytea *
train_group(RnnRows *st, const RnnConfig *cfg, MemoryContext trainctx)
{
	RnnSeries	series;
	RnnAxis		axis;
	RnnModel	m;
	RnnModel	init;
	MemoryContext old;

	/* everything but the result lives in trainctx, which the caller deletes */
	old = MemoryContextSwitchTo(trainctx);
	/* a row's error that on_error => 'null' kept: this group's, inside its subtransaction */
	rnn_rows_raise_deferred(st, "rnn_train");
	if (st->init)
	{
		rnn_model_read(&init, st->init);
		if (cfg->time_zone[0] == '\0' && init.time_zone[0] != '\0')
		{
			/* a warm start continues the model's calendar, in its zone, not the session's */
			RnnConfig  *c = palloc(sizeof(RnnConfig));

			*c = *cfg;
			strlcpy(c->time_zone, init.time_zone, sizeof(c->time_zone));
			cfg = c;
		}
	}
	if (st->names)
		rnn_fit_global(&m, st, cfg, st->init ? &init : NULL, "rnn_train");
	else
	{
		double	   *feats = NULL;

		rnn_rows_to_series(&series, &axis, st, cfg, "rnn_train");
		if (st->n_feat > 0)
			feats = rnn_rows_features_to_grid(st, &series, cfg, NULL, "rnn_train");
		rnn_fit(&m, series.values, feats, st->n_feat, series.n, &axis, cfg,
				rnn_warm_start_or_cold(st->init ? &init : NULL, &axis, series.n, series.values,
									   st->n_feat, cfg, RNN_STRATEGY_RECURSIVE, false, "rnn_train"),
				"rnn_train");
	}
	MemoryContextSwitchTo(old);
	return rnn_model_write(&m);
}

/*
 * Whether on_error => 'null' may catch an error of this class in parallel
 * mode, without a subtransaction to roll back: the group's own problems
 * (its data, its configuration, its limits), which the training raises
 * from computation that holds no locks, buffers or files.  The rest
 * (cancels, memory, internal and system errors) ends the statement.
 */
static bool
parallel_catchable(int sqlerrcode)
{
	int			cls = ERRCODE_TO_CATEGORY(sqlerrcode);

	return cls == ERRCODE_TO_CATEGORY(ERRCODE_DATA_EXCEPTION) ||
		cls == ERRCODE_TO_CATEGORY(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION) ||
		cls == ERRCODE_TO_CATEGORY(ERRCODE_PROGRAM_LIMIT_EXCEEDED) ||
		cls == ERRCODE_TO_CATEGORY(ERRCODE_FEATURE_NOT_SUPPORTED) ||
		cls == ERRCODE_TO_CATEGORY(ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION);
}

/*
 * on_error => 'null': train in a subtransaction; when it fails for a reason
 * of this group's (its data, its limits), roll it back, warn with the
 * reason and the group's rows, and return NULL so the other groups of a
 * GROUP BY go on.  Cancels, shutdowns and internal errors still end the
 * statement.  In parallel mode (a parallel worker, or the leader while a
 * Gather below the aggregate runs, which the planner chooses for a large
 * table) PostgreSQL allows no subtransaction: there the group's own
 * problems (parallel_catchable, raised under this group's error context)
 * are caught without one, the rest ends the statement: a parallel worker's
 * error that reaches the leader while it trains is not this group's.
 */
static bytea *
train_group_or_null(RnnRows *st, const RnnConfig *cfg, const char *rows,
					MemoryContext trainctx)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		parallel = IsInParallelMode();
	bytea	   *result = NULL;

	if (!parallel)
		BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		result = train_group(st, cfg, trainctx);
		if (!parallel)
		{
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
	}
	PG_CATCH();
	{
		ErrorData  *ed;
		int			cls;
		const char *msg;
		char	   *line;		/* the group's CONTEXT line, and where the error's has it */

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		line = ed->context ? strstr(ed->context, psprintf("rnn_train over %s", rows)) : NULL;

		/*
		 * in parallel mode, only the group's own errors: a worker's error
		 * that the leader's interrupt check raises while it trains carries
		 * the worker's context (and the stack of when the plan started), not
		 * this group's line
		 */
		if (parallel && (!parallel_catchable(ed->sqlerrcode) || line == NULL))
			PG_RE_THROW();
		FlushErrorState();
		if (!parallel)
		{
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		cls = ERRCODE_TO_CATEGORY(ed->sqlerrcode);
		if (cls == ERRCODE_TO_CATEGORY(ERRCODE_OPERATOR_INTERVENTION) ||
			cls == ERRCODE_TO_CATEGORY(ERRCODE_SYSTEM_ERROR) ||
			cls == ERRCODE_TO_CATEGORY(ERRCODE_INTERNAL_ERROR))
			ReThrowError(ed);
		MemoryContextReset(trainctx);
		msg = ed->message;
		if (strncmp(msg, "rnn_train: ", 11) == 0)
			msg += 11;
		/*
		 * the error's context down to the group's line, which the warning
		 * gets again with every line outside it
		 */
		if (line == ed->context)
			ed->context = NULL;
		else if (line)
			line[-1] = '\0';
		ereport(WARNING,
				(errcode(ed->sqlerrcode),
				 errmsg("rnn_train: NULL for a group that cannot be trained: %s", msg),
				 ed->detail ? errdetail("%s The group has %s.", ed->detail, rows) :
				 errdetail("The group has %s.", rows),
				 ed->hint ? errhint("%s", ed->hint) : 0,
				 ed->context ? errcontext("%s", ed->context) : 0));
		FreeErrorData(ed);
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

/*
 * Final function: regularise, fit, store.  It only reads the state, so it
 * may run more than once.  Errors and progress messages say which group's
 * rows they are about (first and last timestamp, row count).
 */
Datum
rnn_train_finalfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;
	RnnConfig	cfg;
	ErrorContextCallback errcb;
	MemoryContext trainctx;
	bytea	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RnnRows *) PG_GETARG_POINTER(0);
	rnn_config_from_jsonb(&cfg, st->config);

	errcb.callback = group_context;
	errcb.arg = rnn_rows_describe(st);
	cfg.group = (const char *) errcb.arg;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	trainctx = AllocSetContextCreate(CurrentMemoryContext, "rnn_train",
									 ALLOCSET_DEFAULT_SIZES);
	if (cfg.on_error_null)
		result = train_group_or_null(st, &cfg, (const char *) errcb.arg, trainctx);
	else
		result = train_group(st, &cfg, trainctx);
	MemoryContextDelete(trainctx);
	error_context_stack = errcb.previous;
	pfree(errcb.arg);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(result);
}
