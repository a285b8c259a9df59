-- rnn_forecast 0.5.0 -> 0.6.0: covariates (rnn_train with a features float8[] argument,
-- rnn_forecast with future features) and the calendar key of rnn_config. Models written by
-- 0.5.0 keep working; models trained with features are format 5, which 0.5.0 cannot read.
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.6.0'" to load this file. \quit

-- rnn_config gains calendar: a new argument list needs DROP FUNCTION
DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer, text, integer,
    boolean, boolean, boolean, integer, text, text, text);

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
    calendar boolean DEFAULT NULL)
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
        'calendar', calendar)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';

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

CREATE FUNCTION @extschema@.rnn_forecast(model bytea, history float8[], horizon integer, future float8[])
RETURNS float8[]
AS 'MODULE_PATHNAME', 'rnn_forecast_array'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rnn_forecast(bytea, float8[], integer, float8[]) IS
'Forecasts horizon steps of a model trained with features after the given history (T rows of the value and its features), given the features of those steps';

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
