-- rnn_forecast 0.2.0 -> 0.3.0: global models (rnn_train over many series, rnn_forecast by
-- series, rnn_model_series), the log and deseasonalize keys of rnn_config, model format 3.
-- Models stored by 0.1.0 and 0.2.0 (formats 1 and 2) stay readable.
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.3.0'" to load this file. \quit

DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer, text, integer);

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
    ensemble integer DEFAULT NULL,
    log boolean DEFAULT NULL,
    deseasonalize boolean DEFAULT NULL,
    refit boolean DEFAULT NULL)
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
        'ensemble', ensemble,
        'log', log,
        'deseasonalize', deseasonalize,
        'refit', refit)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, series text, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8)
AS 'MODULE_PATHNAME', 'rnn_forecast_series'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8) IS
'Forecasts horizon steps after the training data of one series of a global model, with a level prediction interval';

CREATE FUNCTION @extschema@.rnn_model_series(model bytea)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'rnn_model_series'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000;

COMMENT ON FUNCTION @extschema@.rnn_model_series(bytea) IS
'The series a global model was trained on, in name order';

-- ---------------------------------------------------------------------------
-- Global models (0.3.0): one network over many series, once per timestamp type
-- ---------------------------------------------------------------------------

DO $global$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION @extschema@.rnn_train_series_transfn(internal, text, %1$s, float8, jsonb)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_series_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE FUNCTION @extschema@.rnn_train_series_transfn(internal, text, %1$s, float8, jsonb, bytea)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_series_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_train(series text, ts %1$s, value float8, config jsonb) (
                SFUNC = @extschema@.rnn_train_series_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            CREATE AGGREGATE @extschema@.rnn_train(series text, ts %1$s, value float8, config jsonb, init bytea) (
                SFUNC = @extschema@.rnn_train_series_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_train(text, %1$s, float8, jsonb) IS
            'Trains one global model on the rows of many series (each scaled by itself); returns the model as bytea';
            COMMENT ON AGGREGATE @extschema@.rnn_train(text, %1$s, float8, jsonb, bytea) IS
            'Continues training a global model on the rows of many series (warm start); returns the model as bytea';

            CREATE FUNCTION @extschema@.rnn_backtest_series_transfn(internal, text, %1$s, float8, jsonb, integer, integer)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_series_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_backtest(series text, ts %1$s, value float8, config jsonb, horizon integer, folds integer) (
                SFUNC = @extschema@.rnn_backtest_series_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_backtest_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_backtest(text, %1$s, float8, jsonb, integer, integer) IS
            'Backtests a global model on rolling origins: metrics per fold, overall and per series';
        $f$, t);
    END LOOP;
END
$global$;
