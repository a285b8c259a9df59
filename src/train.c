/*
 * train.c
 *	  The training aggregates rnn_train(...): the transition functions
 *	  collect rows in the aggregate context, the final function regularises
 *	  the series, trains the network with the core and returns the model.
 *
 * The final function only reads the state, so it may run more than once.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "rnn_pg.h"

PG_FUNCTION_INFO_V1(rnn_train_transfn);
PG_FUNCTION_INFO_V1(rnn_train_ts_transfn);
PG_FUNCTION_INFO_V1(rnn_train_series_transfn);
PG_FUNCTION_INFO_V1(rnn_train_finalfn);

/* rnn_train(value float8 [, config jsonb]): rows in the aggregate's ORDER BY order */
Datum
rnn_train_transfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st = rnn_rows_state(fcinfo, RNN_TS_NONE, "rnn_train");

	rnn_rows_add(st, 0, PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1));
	rnn_rows_options(fcinfo, st, 2, -1);
	PG_RETURN_POINTER(st);
}

/* rnn_train(ts, value float8, config jsonb [, init bytea]) */
Datum
rnn_train_ts_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(rnn_rows_ts_transfn(fcinfo, 4, "rnn_train"));
}

/* rnn_train(series text, ts, value float8, config jsonb [, init bytea]): a global model */
Datum
rnn_train_series_transfn(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(rnn_rows_series_transfn(fcinfo, 5, "rnn_train"));
}

/*
 * Final function: regularise, fit, store.  It only reads the state, so it
 * may run more than once.
 */
Datum
rnn_train_finalfn(PG_FUNCTION_ARGS)
{
	RnnRows    *st;
	RnnConfig	cfg;
	RnnSeries	series;
	RnnAxis		axis;
	RnnModel	m;
	RnnModel	init;
	MemoryContext trainctx,
				old;
	bytea	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RnnRows *) PG_GETARG_POINTER(0);

	/* everything below lives in a context deleted on the way out */
	trainctx = AllocSetContextCreate(CurrentMemoryContext, "rnn_train",
									 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(trainctx);
	rnn_config_from_jsonb(&cfg, st->config);
	if (st->init)
		rnn_model_read(&init, st->init);
	if (st->names)
		rnn_fit_global(&m, st, &cfg, st->init ? &init : NULL, "rnn_train");
	else
	{
		rnn_rows_to_series(&series, &axis, st, cfg.interpolate, "rnn_train");
		rnn_fit(&m, series.values, series.n, &axis, &cfg, st->init ? &init : NULL, "rnn_train");
	}
	MemoryContextSwitchTo(old);
	result = rnn_model_write(&m);
	MemoryContextDelete(trainctx);
	PG_RETURN_BYTEA_P(result);
}
