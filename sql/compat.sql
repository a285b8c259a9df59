-- models written by earlier versions stay readable: a format 1 model
-- (rnn_forecast 0.1.0) forecasts as it did when it was written (155.27,
-- 156.59, 157.93); its intervals come from the same stored held-out errors
-- by the current method (normalised, pooled split conformal)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
SET TimeZone = 'UTC';

\set m `cat test/ref/models/format_v1_gru.hex`
SELECT get_byte(decode(:'m', 'hex'), 4) AS format_version;
SELECT step, ts::date, round(forecast::numeric, 2) AS forecast, round(lower::numeric, 2) AS lower,
       round(upper::numeric, 2) AS upper
FROM rnn_forecast(decode(:'m', 'hex'), 3);
SELECT rnn_model_info(decode(:'m', 'hex'))->>'strategy' AS strategy,
       rnn_model_info(decode(:'m', 'hex'))->'naive_scale' AS naive_scale;
-- a model read in format 1 is written back in the current format
SELECT get_byte(rnn_model_from_json(rnn_model_to_json(decode(:'m', 'hex'))), 4) AS rewritten_version;

-- upgrade: install 0.1.0, store a model, update to the current version, use it
SET client_min_messages = warning;
DROP EXTENSION rnn_forecast CASCADE;
RESET client_min_messages;
CREATE EXTENSION rnn_forecast VERSION '0.1.0';
CREATE TABLE old_models AS
SELECT rnn_train(i::bigint, sin(i / 3.0), rnn_config(hidden_size => 4, "window" => 6, epochs => 3)) AS m
FROM generate_series(1, 60) i;
CREATE TABLE old_forecasts AS SELECT step, forecast FROM old_models, rnn_forecast(m, 3);
ALTER EXTENSION rnn_forecast UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast';
SELECT bool_and(f.forecast = o.forecast) AS same_after_update
FROM old_models, rnn_forecast(m, 3) f JOIN old_forecasts o USING (step);
-- the new functions exist after the update
SELECT rnn_config(ensemble => 2)->'ensemble' AS ensemble;
SELECT (rnn_evaluate(m, 61::bigint, sin(61 / 3.0))->>'points')::int AS evaluated FROM old_models;
-- the update leaves the same objects as a fresh install of the current version
CREATE TABLE updated_objects AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rnn_forecast') AND deptype = 'e';
SET client_min_messages = warning;
DROP EXTENSION rnn_forecast;
RESET client_min_messages;
CREATE EXTENSION rnn_forecast;
SELECT count(*) AS missing_or_extra FROM (
  (SELECT object FROM updated_objects EXCEPT
   SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
   WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rnn_forecast') AND deptype = 'e')
  UNION ALL
  (SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
   WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rnn_forecast') AND deptype = 'e'
   EXCEPT SELECT object FROM updated_objects)) d;
