-- rnn_forecast 0.5.0 -> 0.6.0
\echo Use "ALTER EXTENSION rnn_forecast UPDATE TO '0.6.0'" to load this file. \quit

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
