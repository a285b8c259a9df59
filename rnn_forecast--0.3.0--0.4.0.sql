-- rnn_forecast 0.3.0 -> 0.4.0: the epoch_size and on_error keys of rnn_config,
-- rnn_train(ts, value) and rnn_train(series, ts, value) with the default configuration, and
-- a sixth column of rnn_forecast's table forms, ts_bigint (the step numbers of a bigint
-- series). Changing a result type needs DROP FUNCTION: views that call rnn_forecast's table
-- forms must be dropped before the update and created again after it (the update stops
-- with PostgreSQL's dependency error otherwise). Stored models are unchanged (format 3).
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.4.0'" to load this file. \quit

DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer, text, integer,
    boolean, boolean, boolean);

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
    refit boolean DEFAULT NULL,
    epoch_size integer DEFAULT NULL,
    on_error text DEFAULT NULL)
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
        'refit', refit,
        'epoch_size', epoch_size,
        'on_error', on_error)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';

DO $per_type$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION @extschema@.rnn_train_ts_transfn(internal, %1$s, float8)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_ts_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_train(ts %1$s, value float8) (
                SFUNC = @extschema@.rnn_train_ts_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_train(%1$s, float8) IS
            'Trains a model with the default configuration (horizon 1) on time-stamped rows; returns the model as bytea';

            CREATE FUNCTION @extschema@.rnn_train_series_transfn(internal, text, %1$s, float8)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_series_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_train(series text, ts %1$s, value float8) (
                SFUNC = @extschema@.rnn_train_series_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_train(text, %1$s, float8) IS
            'Trains one global model with the default configuration (horizon 1) on the rows of many series; returns the model as bytea';
        $f$, t);
    END LOOP;
END
$per_type$;

DROP FUNCTION @extschema@.rnn_forecast(bytea, integer, float8);
DROP FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8);

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint)
AS 'MODULE_PATHNAME', 'rnn_forecast_table'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, integer, float8) IS
'Forecasts horizon steps after the training data, with a level prediction interval (ts_bigint: the step numbers of a bigint series)';

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, series text, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint)
AS 'MODULE_PATHNAME', 'rnn_forecast_series'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8) IS
'Forecasts horizon steps after the training data of one series of a global model, with a level prediction interval (ts_bigint: the step numbers of a bigint series)';
