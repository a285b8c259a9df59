-- rnn_forecast 0.8.0: install script (the current version only: earlier versions install
-- from their own scripts, 0.7.0 from 0.6.0's and its upgrade)
--
-- One source for every timestamp type: the objects that exist once per type of the ts
-- argument (timestamptz, timestamp, date, bigint) are declared once, in the loops below,
-- with the type substituted by format(). Each C function reads the type of its argument at
-- run time (get_fn_expr_argtype), so one symbol serves all four. Concrete types rather than
-- anyelement keep the signatures of 0.2.0 (views and pg_dump output that name them keep
-- working) and let PostgreSQL refuse a wrong type when the query is planned.
\echo Use "CREATE EXTENSION rnn_forecast" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Configuration
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.rnn_config_check(config jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'rnn_config_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_config_check(jsonb) IS
'Validates a training configuration and returns it with every key (null = chosen automatically)';

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
-- Training aggregates
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.rnn_train_transfn(internal, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION @extschema@.rnn_train_transfn(internal, float8, jsonb)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION @extschema@.rnn_train_finalfn(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'rnn_train_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_train(value float8) (
    SFUNC = @extschema@.rnn_train_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_train_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.rnn_train(value float8, config jsonb) (
    SFUNC = @extschema@.rnn_train_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_train_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_train(float8) IS
'Trains a model on the rows in the aggregate''s ORDER BY order; returns the model as bytea';
COMMENT ON AGGREGATE @extschema@.rnn_train(float8, jsonb) IS
'Trains a model on the rows in the aggregate''s ORDER BY order; returns the model as bytea';

-- 0.6.0: the ORDER BY form with a warm start (fine-tuning, e.g. of an imported PyTorch model)
CREATE FUNCTION @extschema@.rnn_train_transfn(internal, float8, jsonb, bytea)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_train(value float8, config jsonb, init bytea) (
    SFUNC = @extschema@.rnn_train_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_train_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.rnn_train(float8, jsonb, bytea) IS
'Continues training the init model on the rows in the aggregate''s ORDER BY order (warm start); returns the model as bytea';

-- ---------------------------------------------------------------------------
-- The aggregates over time-stamped rows, once per timestamp type
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.rnn_backtest_finalfn(internal)
RETURNS jsonb AS 'MODULE_PATHNAME', 'rnn_backtest_finalfn'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rnn_evaluate_finalfn(internal)
RETURNS jsonb AS 'MODULE_PATHNAME', 'rnn_evaluate_finalfn'
LANGUAGE C STABLE PARALLEL SAFE;

DO $per_type$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        -- rnn_train(ts, value [, config [, init]])
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

            CREATE FUNCTION @extschema@.rnn_train_ts_transfn(internal, %1$s, float8, jsonb)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_ts_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE FUNCTION @extschema@.rnn_train_ts_transfn(internal, %1$s, float8, jsonb, bytea)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_ts_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_train(ts %1$s, value float8, config jsonb) (
                SFUNC = @extschema@.rnn_train_ts_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            CREATE AGGREGATE @extschema@.rnn_train(ts %1$s, value float8, config jsonb, init bytea) (
                SFUNC = @extschema@.rnn_train_ts_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_train(%1$s, float8, jsonb) IS
            'Trains a model on time-stamped rows (sorted, step inferred, gaps filled); returns the model as bytea';
            COMMENT ON AGGREGATE @extschema@.rnn_train(%1$s, float8, jsonb, bytea) IS
            'Continues training the init model on time-stamped rows (warm start); returns the model as bytea';
        $f$, t);

        -- rnn_backtest(ts, value, config, horizon, folds) and rnn_evaluate(model, ts, value);
        -- their final functions are declared above the loop
        EXECUTE format($f$
            CREATE FUNCTION @extschema@.rnn_backtest_transfn(internal, %1$s, float8, jsonb, integer, integer)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_backtest(ts %1$s, value float8, config jsonb, horizon integer, folds integer) (
                SFUNC = @extschema@.rnn_backtest_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_backtest_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_backtest(%1$s, float8, jsonb, integer, integer) IS
            'Trains on rolling origins and scores each fold''s forecast: MAE, RMSE, sMAPE, MASE, interval coverage and interval score (MSIS)';

            CREATE FUNCTION @extschema@.rnn_evaluate_transfn(internal, bytea, %1$s, float8)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_evaluate_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_evaluate(model bytea, ts %1$s, value float8) (
                SFUNC = @extschema@.rnn_evaluate_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_evaluate_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_evaluate(bytea, %1$s, float8) IS
            'Scores the model''s forecast against the actual rows after its training data';
        $f$, t);
    END LOOP;
END
$per_type$;

-- ---------------------------------------------------------------------------
-- Forecasting
-- ---------------------------------------------------------------------------

-- STABLE, not IMMUTABLE: ts of date and timestamp series is their wall-clock time in the
-- session's TimeZone (as a cast gives), and models of format 3 or older continue their
-- calendar in the session's zone. ts_local (the wall-clock time in the series' own
-- calendar) and the ts of timestamptz models of format 4 do not depend on the session.
CREATE FUNCTION @extschema@.rnn_forecast(model bytea, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint,
              ts_local timestamp)
AS 'MODULE_PATHNAME', 'rnn_forecast_table'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, integer, float8) IS
'Forecasts horizon steps after the training data, with a level prediction interval (ts_bigint: the step numbers of a bigint series; ts_local: the time in the series'' own calendar)';

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, history float8[], horizon integer)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'rnn_forecast_array'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, float8[], integer) IS
'Forecasts horizon steps after the given history (1-D, or 2-D T x input_size)';

CREATE FUNCTION @extschema@.rnn_predict_transfn(internal, float8, bytea, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'rnn_predict_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.rnn_predict_finalfn(internal)
RETURNS float8[] AS 'MODULE_PATHNAME', 'rnn_predict_finalfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.rnn_predict(value float8, model bytea, horizon integer) (
    SFUNC = @extschema@.rnn_predict_transfn,
    STYPE = internal,
    FINALFUNC = @extschema@.rnn_predict_finalfn,
    PARALLEL = SAFE
);

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, series text, horizon integer, level float8 DEFAULT 0.9)
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint,
              ts_local timestamp)
AS 'MODULE_PATHNAME', 'rnn_forecast_series'
LANGUAGE C STABLE STRICT PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8) IS
'Forecasts horizon steps after the training data of one series of a global model, with a level prediction interval (ts_bigint: the step numbers of a bigint series; ts_local: the time in the series'' own calendar)';

CREATE FUNCTION @extschema@.rnn_model_series(model bytea)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'rnn_model_series'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000;

COMMENT ON FUNCTION @extschema@.rnn_model_series(bytea) IS
'The series a global model was trained on, in name order';

COMMENT ON AGGREGATE @extschema@.rnn_predict(float8, bytea, integer) IS
'Forecasts after the rows given (ORDER BY order); also a window function: NULL until the frame holds a full window';

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
-- Inspection and interchange
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.rnn_model_info(model bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'rnn_model_info'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_model_info(bytea) IS
'Architecture, sizes, time axis, scaling and training metrics of a model';

CREATE FUNCTION @extschema@.rnn_model_to_json(model bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'rnn_model_to_json'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_model_to_json(bytea) IS
'The model as JSON with weights under PyTorch state_dict names (load_state_dict-ready)';

CREATE FUNCTION @extschema@.rnn_model_from_json(model jsonb)
RETURNS bytea
AS 'MODULE_PATHNAME', 'rnn_model_from_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_model_from_json(jsonb) IS
'A model from JSON (e.g. a PyTorch state_dict); missing scaling means none';

-- ---------------------------------------------------------------------------
-- Global models (0.3.0): one network over many series, once per timestamp type
-- ---------------------------------------------------------------------------

DO $global$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
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

-- ---------------------------------------------------------------------------
-- Covariates (0.6.0): rnn_train(ts, value, features float8[], config [, init]), once per
-- timestamp type, and rnn_forecast(model, horizon, level, future float8[])
-- ---------------------------------------------------------------------------

DO $features$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['timestamptz', 'timestamp', 'date', 'bigint'] LOOP
        EXECUTE format($f$
            CREATE FUNCTION @extschema@.rnn_train_features_transfn(internal, %1$s, float8, float8[], jsonb)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_features_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE FUNCTION @extschema@.rnn_train_features_transfn(internal, %1$s, float8, float8[], jsonb, bytea)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_features_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_train(ts %1$s, value float8, features float8[], config jsonb) (
                SFUNC = @extschema@.rnn_train_features_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            CREATE AGGREGATE @extschema@.rnn_train(ts %1$s, value float8, features float8[], config jsonb, init bytea) (
                SFUNC = @extschema@.rnn_train_features_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_train(%1$s, float8, float8[], jsonb) IS
            'Trains a model on time-stamped rows with features known at each row''s time (the network reads each value with the next step''s features); returns the model as bytea';
            COMMENT ON AGGREGATE @extschema@.rnn_train(%1$s, float8, float8[], jsonb, bytea) IS
            'Continues training a model with features (warm start); returns the model as bytea';

            CREATE FUNCTION @extschema@.rnn_train_series_features_transfn(internal, text, %1$s, float8, float8[], jsonb)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_series_features_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE FUNCTION @extschema@.rnn_train_series_features_transfn(internal, text, %1$s, float8, float8[], jsonb, bytea)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_train_series_features_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_train(series text, ts %1$s, value float8, features float8[], config jsonb) (
                SFUNC = @extschema@.rnn_train_series_features_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            CREATE AGGREGATE @extschema@.rnn_train(series text, ts %1$s, value float8, features float8[], config jsonb, init bytea) (
                SFUNC = @extschema@.rnn_train_series_features_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_train_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_train(text, %1$s, float8, float8[], jsonb) IS
            'Trains one global model on the rows of many series with features known at each row''s time; returns the model as bytea';
            COMMENT ON AGGREGATE @extschema@.rnn_train(text, %1$s, float8, float8[], jsonb, bytea) IS
            'Continues training a global model with features (warm start); returns the model as bytea';

            CREATE FUNCTION @extschema@.rnn_backtest_features_transfn(internal, %1$s, float8, float8[], jsonb, integer, integer)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_features_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_backtest(ts %1$s, value float8, features float8[], config jsonb, horizon integer, folds integer) (
                SFUNC = @extschema@.rnn_backtest_features_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_backtest_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_backtest(%1$s, float8, float8[], jsonb, integer, integer) IS
            'Backtests a model with features on rolling origins: each fold forecasts from the features of its horizon''s rows';

            CREATE FUNCTION @extschema@.rnn_backtest_series_features_transfn(internal, text, %1$s, float8, float8[], jsonb, integer, integer)
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_backtest_series_features_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_backtest(series text, ts %1$s, value float8, features float8[], config jsonb, horizon integer, folds integer) (
                SFUNC = @extschema@.rnn_backtest_series_features_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_backtest_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_backtest(text, %1$s, float8, float8[], jsonb, integer, integer) IS
            'Backtests a global model with features on rolling origins: metrics per fold, overall and per series';

            CREATE FUNCTION @extschema@.rnn_evaluate_transfn(internal, bytea, %1$s, float8, float8[])
            RETURNS internal AS 'MODULE_PATHNAME', 'rnn_evaluate_transfn'
            LANGUAGE C PARALLEL SAFE;

            CREATE AGGREGATE @extschema@.rnn_evaluate(model bytea, ts %1$s, value float8, features float8[]) (
                SFUNC = @extschema@.rnn_evaluate_transfn,
                STYPE = internal,
                FINALFUNC = @extschema@.rnn_evaluate_finalfn,
                PARALLEL = SAFE
            );

            COMMENT ON AGGREGATE @extschema@.rnn_evaluate(bytea, %1$s, float8, float8[]) IS
            'Scores a model with features against the rows after its training data, forecasting each step from the features of its row';
        $f$, t);
    END LOOP;
END
$features$;

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, horizon integer, level float8, future float8[])
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint,
              ts_local timestamp)
AS 'MODULE_PATHNAME', 'rnn_forecast_table'
LANGUAGE C STABLE PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, integer, float8, float8[]) IS
'Forecasts horizon steps of a model trained with features, given the features of those steps (at least horizon rows of as many values as the model was trained with)';

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, series text, horizon integer, level float8, future float8[])
RETURNS TABLE(step integer, ts timestamptz, forecast float8, lower float8, upper float8, ts_bigint bigint,
              ts_local timestamp)
AS 'MODULE_PATHNAME', 'rnn_forecast_series'
LANGUAGE C STABLE PARALLEL SAFE
ROWS 24;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, text, integer, float8, float8[]) IS
'Forecasts horizon steps of one series of a global model trained with features, given the features of those steps';

-- (not strict since 0.8.0: NULL for a NULL model, history or horizon, but a NULL future is an
-- error, as in the table forms: a subquery over no rows is NULL)
CREATE FUNCTION @extschema@.rnn_forecast(model bytea, history float8[], horizon integer, future float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'rnn_forecast_array'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, float8[], integer, float8[]) IS
'Forecasts horizon steps of a model trained with features after the given history (T rows of the value and its features), given the features of those steps';

-- 0.6.0: the window functions with each row's own features (models trained with features)
CREATE FUNCTION @extschema@.rnn_predict_rows(value float8, model bytea, horizon integer, features float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'rnn_predict_rows'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_predict_rows(float8, bytea, integer, float8[]) IS
'Window function for a model trained with features: the forecast after the model''s window of rows ending at each row, reading the rows'' own features and, for the steps forecast, those of the rows after it';

CREATE FUNCTION @extschema@.rnn_anomaly(value float8, model bytea, level float8, features float8[])
RETURNS @extschema@.rnn_anomaly_result
AS 'MODULE_PATHNAME', 'rnn_anomaly'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_anomaly(float8, bytea, float8, float8[]) IS
'Window function for a model trained with features: each row against the one-step forecast from the window of rows before it (values and features) with the row''s own features, and its calibrated interval at level';
