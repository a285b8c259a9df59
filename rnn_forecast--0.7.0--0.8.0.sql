-- rnn_forecast 0.7.0 -> 0.8.0: rnn_predict_rows and rnn_anomaly over time-stamped rows, a
-- first argument ts of each timestamp type, and for the series of a global model a first
-- argument series before it; rnn_backtest and rnn_evaluate also return the interval score
-- (msis), which the backtest's comment now lists; rnn_config takes despike. One model format
-- is new: a global model whose log series keep spreads of their own is written as format 11,
-- which 0.7.0 does not read; nor does it read models with the flags 0.8.0 added without a
-- format (month ends, the floor at 0, zeros before a launch left out, spikes replaced).
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.8.0'" to load this file. \quit

-- 0.8.0: the despike key of rnn_config (one-point spikes replaced before training)
DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer, text, integer,
    boolean, boolean, boolean, integer, text, text, text, boolean, float8);

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
    time_zone text DEFAULT NULL,
    calendar boolean DEFAULT NULL,
    theta_weight float8 DEFAULT NULL,
    despike boolean DEFAULT NULL)
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
        'time_zone', time_zone,
        'calendar', calendar,
        'theta_weight', theta_weight,
        'despike', despike)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';

-- ---------------------------------------------------------------------------
-- 0.8.0: the window functions over time-stamped rows, once per timestamp type:
-- rnn_predict_rows(ts, value, model, horizon [, features]) and
-- rnn_anomaly(ts, value, model, level [, features]); the windows are the model's
-- steps, a step without a row is a gap, a row off the model's grid an error
-- ---------------------------------------------------------------------------

DO $window_ts$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION @extschema@.rnn_predict_rows(ts %1$s, value float8, model bytea, horizon integer DEFAULT 1)
            RETURNS float8[]
            AS 'MODULE_PATHNAME', 'rnn_predict_rows_ts'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_predict_rows(%1$s, float8, bytea, integer) IS
            'Window function over time-stamped rows (ORDER BY ts): the forecast after the model''s window of steps ending at each row; a step without a row is a gap, a row off the model''s time grid an error';

            CREATE FUNCTION @extschema@.rnn_predict_rows(ts %1$s, value float8, model bytea, horizon integer, features float8[])
            RETURNS float8[]
            AS 'MODULE_PATHNAME', 'rnn_predict_rows_ts'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_predict_rows(%1$s, float8, bytea, integer, float8[]) IS
            'Window function over time-stamped rows for a model trained with features: the forecast after the model''s window of steps ending at each row, the steps forecast reading the features of the rows at those steps';

            CREATE FUNCTION @extschema@.rnn_anomaly(ts %1$s, value float8, model bytea, level float8 DEFAULT 0.99)
            RETURNS @extschema@.rnn_anomaly_result
            AS 'MODULE_PATHNAME', 'rnn_anomaly_ts'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_anomaly(%1$s, float8, bytea, float8) IS
            'Window function over time-stamped rows (ORDER BY ts): each row against the one-step forecast from the model''s window of steps before it and its calibrated interval at level; a step without a row is a gap, a row off the model''s time grid an error';

            CREATE FUNCTION @extschema@.rnn_anomaly(ts %1$s, value float8, model bytea, level float8, features float8[])
            RETURNS @extschema@.rnn_anomaly_result
            AS 'MODULE_PATHNAME', 'rnn_anomaly_ts'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_anomaly(%1$s, float8, bytea, float8, float8[]) IS
            'Window function over time-stamped rows for a model trained with features: each row against the one-step forecast from the window of steps before it with the row''s own features, and its calibrated interval at level';
        $f$, t);
    END LOOP;
END
$window_ts$;

-- 0.8.0: the same for the series of a global model, the rows naming their series:
-- rnn_predict_rows(series, ts, value, model, horizon [, features]) and
-- rnn_anomaly(series, ts, value, model, level [, features]), each series forecast with its
-- own scale, seasonal indices, place in the season and Theta weight
DO $window_series$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION @extschema@.rnn_predict_rows(series text, ts %1$s, value float8, model bytea, horizon integer DEFAULT 1)
            RETURNS float8[]
            AS 'MODULE_PATHNAME', 'rnn_predict_rows_series'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_predict_rows(text, %1$s, float8, bytea, integer) IS
            'Window function over the time-stamped rows of a series of a global model (PARTITION BY series ORDER BY ts): the forecast after the model''s window of steps ending at each row, with the series'' own scale, season and Theta weight';

            CREATE FUNCTION @extschema@.rnn_predict_rows(series text, ts %1$s, value float8, model bytea, horizon integer, features float8[])
            RETURNS float8[]
            AS 'MODULE_PATHNAME', 'rnn_predict_rows_series'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_predict_rows(text, %1$s, float8, bytea, integer, float8[]) IS
            'Window function over the time-stamped rows of a series of a global model trained with features: the forecast after the window of steps ending at each row, the steps forecast reading the features of the rows at those steps';

            CREATE FUNCTION @extschema@.rnn_anomaly(series text, ts %1$s, value float8, model bytea, level float8 DEFAULT 0.99)
            RETURNS @extschema@.rnn_anomaly_result
            AS 'MODULE_PATHNAME', 'rnn_anomaly_series'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_anomaly(text, %1$s, float8, bytea, float8) IS
            'Window function over the time-stamped rows of a series of a global model (PARTITION BY series ORDER BY ts): each row against the one-step forecast from the window of steps before it, with the series'' own scale and season, and its calibrated interval at level';

            CREATE FUNCTION @extschema@.rnn_anomaly(series text, ts %1$s, value float8, model bytea, level float8, features float8[])
            RETURNS @extschema@.rnn_anomaly_result
            AS 'MODULE_PATHNAME', 'rnn_anomaly_series'
            LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

            COMMENT ON FUNCTION @extschema@.rnn_anomaly(text, %1$s, float8, bytea, float8, float8[]) IS
            'Window function over the time-stamped rows of a series of a global model trained with features: each row against the one-step forecast from the window of steps before it with the row''s own features, and its calibrated interval at level';
        $f$, t);
    END LOOP;
END
$window_series$;

-- ---------------------------------------------------------------------------
-- 0.8.0: rnn_backtest and rnn_evaluate return msis, the 90% interval's mean scaled
-- interval score; the backtest's comment lists it with the other metrics
-- ---------------------------------------------------------------------------

DO $comments$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
            COMMENT ON AGGREGATE @extschema@.rnn_backtest(%1$s, float8, jsonb, integer, integer) IS
            'Trains on rolling origins and scores each fold''s forecast: MAE, RMSE, sMAPE, MASE, interval coverage and interval score (MSIS)';
        $f$, t);
    END LOOP;
END
$comments$;

-- ---------------------------------------------------------------------------
-- 0.8.0: the history form with future is not strict: a NULL future is the error of a missing
-- one, as in the table forms (it was NULL); a NULL model, history or horizon is still NULL
-- ---------------------------------------------------------------------------

ALTER FUNCTION @extschema@.rnn_forecast(bytea, float8[], integer, float8[]) CALLED ON NULL INPUT;
