-- rnn_forecast 0.6.0 -> 0.7.0: forecasts combined with the Theta method (the theta_weight
-- key of rnn_config; by default 0.75 for one series, 0.5 for a global model, 0 with
-- features; each series of a global model its own, chosen by validation). Models written by
-- 0.6.0 keep working and forecast as before; models trained with a Theta weight are format 6
-- (7 for a global model whose series have weights of their own), which 0.6.0 cannot read.
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.7.0'" to load this file. \quit

-- rnn_config gains theta_weight: a new argument list needs DROP FUNCTION
DROP FUNCTION @extschema@.rnn_config(text, integer, integer, boolean, integer, integer, integer, integer,
    float8, text, float8, float8, integer, bigint, text, text, text, float8, integer, text, integer,
    boolean, boolean, boolean, integer, text, text, text, boolean);

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
    theta_weight float8 DEFAULT NULL)
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
        'theta_weight', theta_weight)))
$$;

COMMENT ON FUNCTION @extschema@.rnn_config IS
'Training configuration for rnn_train; every argument is optional, use named notation';
