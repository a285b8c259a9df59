-- rnn_forecast 0.1.0 -> 0.2.0: strategy and ensemble in rnn_config, rnn_backtest, rnn_evaluate.
-- Models stored by 0.1.0 (format version 1) stay readable.
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.2.0'" to load this file. \quit

DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer);

CREATE FUNCTION @extschema@.rnn_config(
    cell text DEFAULT NULL,
    hidden_size integer DEFAULT NULL,
    num_layers integer DEFAULT NULL,
    bidirectional boolean DEFAULT NULL,
    "window" integer DEFAULT NULL,
    horizon integer DEFAULT NULL,
    epochs integer DEFAULT NULL,
    batch_size integer DEFAULT NULL,
    learning_rate float8 DEFAULT NULL,
    optimizer text DEFAULT NULL,
    clip_norm float8 DEFAULT NULL,
    validation_fraction float8 DEFAULT NULL,
    patience integer DEFAULT NULL,
    seed bigint DEFAULT NULL,
    missing text DEFAULT NULL,
    scaling text DEFAULT NULL,
    loss text DEFAULT NULL,
    quantile float8 DEFAULT NULL,
    season integer DEFAULT NULL,
    strategy text DEFAULT NULL,
    ensemble integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT @extschema@.rnn_config_check(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'cell', cell,
        'hidden_size', hidden_size,
        'num_layers', num_layers,
        'bidirectional', bidirectional,
        'window', "window",
        'horizon', horizon,
        'epochs', epochs,
        'batch_size', batch_size,
        'learning_rate', learning_rate,
        'optimizer', optimizer,
        'clip_norm', clip_norm,
        'validation_fraction', validation_fraction,
        'patience', patience,
        'seed', seed,
        'missing', missing,
        'scaling', scaling,
        'loss', loss,
        'quantile', quantile,
        'season', season,
        'strategy', strategy,
        'ensemble', ensemble)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';

-- ---------------------------------------------------------------------------
-- Evaluation
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.rnn_backtest_finalfn(internal)
RETURNS jsonb AS 'MODULE_PATHNAME', 'rnn_backtest_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rnn_evaluate_finalfn(internal)
RETURNS jsonb AS 'MODULE_PATHNAME', 'rnn_evaluate_finalfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rnn_backtest_transfn(internal, timestamptz, float8, jsonb, integer, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_backtest(ts timestamptz, value float8, config jsonb, horizon integer, folds integer) (
    SFUNC = @extschema@.rnn_backtest_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_backtest_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_backtest(timestamptz, float8, jsonb, integer, integer) IS
'Trains on rolling origins and scores each fold''s forecast: MAE, RMSE, sMAPE, MASE, interval coverage';

CREATE FUNCTION @extschema@.rnn_evaluate_transfn(internal, bytea, timestamptz, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_evaluate_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_evaluate(model bytea, ts timestamptz, value float8) (
    SFUNC = @extschema@.rnn_evaluate_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_evaluate_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_evaluate(bytea, timestamptz, float8) IS
'Scores the model''s forecast against the actual rows after its training data';

CREATE FUNCTION @extschema@.rnn_backtest_transfn(internal, timestamp, float8, jsonb, integer, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_backtest(ts timestamp, value float8, config jsonb, horizon integer, folds integer) (
    SFUNC = @extschema@.rnn_backtest_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_backtest_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_backtest(timestamp, float8, jsonb, integer, integer) IS
'Trains on rolling origins and scores each fold''s forecast: MAE, RMSE, sMAPE, MASE, interval coverage';

CREATE FUNCTION @extschema@.rnn_evaluate_transfn(internal, bytea, timestamp, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_evaluate_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_evaluate(model bytea, ts timestamp, value float8) (
    SFUNC = @extschema@.rnn_evaluate_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_evaluate_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_evaluate(bytea, timestamp, float8) IS
'Scores the model''s forecast against the actual rows after its training data';

CREATE FUNCTION @extschema@.rnn_backtest_transfn(internal, date, float8, jsonb, integer, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_backtest(ts date, value float8, config jsonb, horizon integer, folds integer) (
    SFUNC = @extschema@.rnn_backtest_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_backtest_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_backtest(date, float8, jsonb, integer, integer) IS
'Trains on rolling origins and scores each fold''s forecast: MAE, RMSE, sMAPE, MASE, interval coverage';

CREATE FUNCTION @extschema@.rnn_evaluate_transfn(internal, bytea, date, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_evaluate_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_evaluate(model bytea, ts date, value float8) (
    SFUNC = @extschema@.rnn_evaluate_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_evaluate_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_evaluate(bytea, date, float8) IS
'Scores the model''s forecast against the actual rows after its training data';

CREATE FUNCTION @extschema@.rnn_backtest_transfn(internal, bigint, float8, jsonb, integer, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_backtest(ts bigint, value float8, config jsonb, horizon integer, folds integer) (
    SFUNC = @extschema@.rnn_backtest_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_backtest_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_backtest(bigint, float8, jsonb, integer, integer) IS
'Trains on rolling origins and scores each fold''s forecast: MAE, RMSE, sMAPE, MASE, interval coverage';

CREATE FUNCTION @extschema@.rnn_evaluate_transfn(internal, bytea, bigint, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_evaluate_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_evaluate(model bytea, ts bigint, value float8) (
    SFUNC = @extschema@.rnn_evaluate_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_evaluate_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_evaluate(bytea, bigint, float8) IS
'Scores the model''s forecast against the actual rows after its training data';
