-- rnn_forecast 0.4.0 -> 0.5.0: the time_zone and on_init_mismatch keys of rnn_config, and a
-- seventh column of rnn_forecast's table forms, ts_local (the forecast's wall-clock time in the
-- series' own calendar, whatever the session's TimeZone). Changing a result type needs DROP
-- FUNCTION: views that call rnn_forecast's table forms must be dropped before the update and
-- created again after it (the update stops with PostgreSQL's dependency error otherwise).
-- rnn_predict_rows, a window function that forecasts every row's window in batches, and
-- rnn_anomaly, which flags rows outside the calibrated interval of that forecast.
-- Stored models of format 3 keep working as before (their timestamptz calendar follows the
-- session's TimeZone); models trained from now on are format 4 and record their zone.
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.5.0'" to load this file. \quit

CREATE FUNCTION @extschema@.rnn_predict_rows(value float8, model bytea, horizon integer DEFAULT 1)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'rnn_predict_rows'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_predict_rows(float8, bytea, integer) IS
'Window function: the forecast after the model''s window of rows ending at each row (window ORDER BY), computed in batches of rows';

CREATE TYPE @extschema@.rnn_anomaly_result AS (
    expected float8,
    lower float8,
    upper float8,
    is_anomaly boolean,
    score float8
);

CREATE FUNCTION @extschema@.rnn_anomaly(value float8, model bytea, level float8 DEFAULT 0.99)
RETURNS @extschema@.rnn_anomaly_result
AS 'MODULE_PATHNAME', 'rnn_anomaly'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_anomaly(float8, bytea, float8) IS
'Window function: each row against the one-step forecast from the model''s window of rows before it and its calibrated interval at level';


DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer, text, integer,
    boolean, boolean, boolean, integer, text);

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
    on_error text DEFAULT NULL,
    on_init_mismatch text DEFAULT NULL,
    time_zone text DEFAULT NULL)
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
        'on_error', on_error,
        'on_init_mismatch', on_init_mismatch,
        'time_zone', time_zone)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';

DROP FUNCTION @extschema@.rnn_forecast(bytea, integer, float8);
DROP FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8);

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint,
              ts_local timestamp)
AS 'MODULE_PATHNAME', 'rnn_forecast_table'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, integer, float8) IS
'Forecasts horizon steps after the training data, with a level prediction interval (ts_bigint: the step numbers of a bigint series; ts_local: the time in the series'' own calendar)';

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, series text, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint,
              ts_local timestamp)
AS 'MODULE_PATHNAME', 'rnn_forecast_series'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8) IS
'Forecasts horizon steps after the training data of one series of a global model, with a level prediction interval (ts_bigint: the step numbers of a bigint series; ts_local: the time in the series'' own calendar)';
