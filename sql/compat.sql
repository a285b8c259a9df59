-- models written by earlier versions stay readable: a format 1 model
-- (rnn_forecast 0.1.0) forecasts as it did when it was written (155.27,
-- 156.59, 157.93); its intervals come from the same stored held-out errors
-- by the current method (normalised, pooled split conformal; since 0.8.0's
-- last commits with the step floor and the exponential tail above 0.8, which
-- widened these).  Format 2 models (rnn_forecast 0.2.0) forecast as they did
-- when they were written: they keep their held-out errors in the series'
-- units (cal_scaled = 0), and the interval is the forecast +- the half-width
-- of the current method.
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

-- Two format 2 models written by rnn_forecast 0.2.0 (commit 8d00e14):
-- format_v2_seasonal.hex: rnn_train(ts, value, rnn_config(hidden_size => 4,
-- epochs => 5, horizon => 3) ORDER BY ts) on the first 120 rows of
-- data/co2.csv (date axis, months; LSTM, ensemble of 3, season 12, seasonal
-- differences, recursive); 0.2.0 forecast it (rnn_forecast(m, 3), level 0.9) as
--   step 1  323.3301  [322.6404, 324.0199]
--   step 2  323.9180  [323.2211, 324.6149]
--   step 3  324.6572  [323.9603, 325.3541]
-- format_v2_direct.hex: rnn_train(i::bigint, 10 + 3 * sin(i / 4.0) + 0.05 * i,
-- rnn_config(hidden_size => 4, epochs => 5, horizon => 3, strategy => 'direct')
-- ORDER BY i) over i = 1..80 (bigint axis; LSTM, ensemble of 3, inferred
-- season 25, seasonal differences, 3 outputs); 0.2.0 forecast it as
--   step 1   16.3091  [ 15.5472,  17.0710]
--   step 2   15.1704  [ 13.1761,  17.1648]
--   step 3   15.8395  [ 13.8451,  17.8339]
\set s `cat test/ref/models/format_v2_seasonal.hex`
\set d `cat test/ref/models/format_v2_direct.hex`
SELECT get_byte(decode(:'s', 'hex'), 4) AS seasonal_format, get_byte(decode(:'d', 'hex'), 4) AS direct_format;
SELECT step, ts::date, round(forecast::numeric, 4) AS forecast, round(lower::numeric, 4) AS lower,
       round(upper::numeric, 4) AS upper
FROM rnn_forecast(decode(:'s', 'hex'), 3);
SELECT step, ts, round(forecast::numeric, 4) AS forecast, round(lower::numeric, 4) AS lower,
       round(upper::numeric, 4) AS upper
FROM rnn_forecast(decode(:'d', 'hex'), 3);
SELECT rnn_model_info(decode(:'s', 'hex'))->>'strategy' AS seasonal_strategy,
       rnn_model_info(decode(:'s', 'hex'))->'scaling'->>'method' AS seasonal_scaling,
       rnn_model_info(decode(:'d', 'hex'))->>'strategy' AS direct_strategy,
       rnn_model_info(decode(:'d', 'hex'))->>'output_size' AS direct_outputs;
-- read in format 2, written back in format 3 with its errors still in the
-- series' units (flags 0: not cal_scaled): the same forecasts and intervals, bit for bit
SELECT m AS name, get_byte(rnn_model_from_json(rnn_model_to_json(decode(hex, 'hex'))), 4) AS rewritten_version,
       get_byte(rnn_model_from_json(rnn_model_to_json(decode(hex, 'hex'))), 6) AS rewritten_flags,
       (SELECT bool_and((a.forecast, a.lower, a.upper) IS NOT DISTINCT FROM (b.forecast, b.lower, b.upper))
          FROM rnn_forecast(decode(hex, 'hex'), 3) a
          JOIN rnn_forecast(rnn_model_from_json(rnn_model_to_json(decode(hex, 'hex'))), 3) b USING (step))
         AS same_forecasts
FROM (VALUES ('seasonal', :'s'), ('direct', :'d')) v(m, hex);

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

-- the update also leaves every function as a fresh install defines it: volatility,
-- parallel safety, strictness, defaults, body, comment, privileges and, for the
-- aggregates, their transition and final functions
CREATE TEMP VIEW rnn_ext_defs AS
SELECT p.oid::regprocedure::text AS fn,
       concat_ws(' | ', p.prokind, p.provolatile, p.proparallel, p.proisstrict, p.prosecdef, p.proretset,
                 p.procost, p.prorows, p.prorettype::regtype, p.proallargtypes::regtype[], p.proargmodes,
                 p.proargnames, pg_get_expr(p.proargdefaults, 0), p.prosrc, p.probin, p.proconfig, p.proacl,
                 obj_description(p.oid, 'pg_proc'), a.aggkind, a.aggtransfn::regprocedure,
                 a.aggfinalfn::regprocedure, a.aggtranstype::regtype, a.aggfinalextra, a.aggfinalmodify,
                 a.agginitval, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn) AS def
FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rnn_forecast');
CREATE TABLE fresh_defs AS SELECT * FROM rnn_ext_defs;
SET client_min_messages = warning;
DROP EXTENSION rnn_forecast;
RESET client_min_messages;
CREATE EXTENSION rnn_forecast VERSION '0.1.0';
ALTER EXTENSION rnn_forecast UPDATE;
SELECT DISTINCT fn AS differs_after_update_from_010 FROM (
  (SELECT * FROM rnn_ext_defs EXCEPT SELECT * FROM fresh_defs) UNION
  (SELECT * FROM fresh_defs EXCEPT SELECT * FROM rnn_ext_defs)) d ORDER BY 1;

-- upgrade: install 0.2.0, store models, update to the current version, use them
SET client_min_messages = warning;
DROP EXTENSION rnn_forecast;
RESET client_min_messages;
CREATE EXTENSION rnn_forecast VERSION '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast';
-- a model written by 0.2.0 itself (format 2) and one trained through the 0.2.0
-- functions (by the current library: format 3)
CREATE TABLE v020_models AS
SELECT 'written by 0.2.0' AS name, decode(:'s', 'hex') AS m
UNION ALL
SELECT 'trained under 0.2.0', rnn_train(ts, value, rnn_config(hidden_size => 4, "window" => 12, epochs => 3,
                                                              horizon => 3, strategy => 'direct', ensemble => 1)
                                        ORDER BY ts)
FROM (SELECT date '2000-01-01' + i * 7 AS ts, 5 + cos(i / 2.0) AS value FROM generate_series(1, 60) i) r;
SELECT name, get_byte(m, 4) AS format_version FROM v020_models ORDER BY name;
CREATE TABLE v020_forecasts AS SELECT name, step, forecast, lower, upper FROM v020_models, rnn_forecast(m, 3);
ALTER EXTENSION rnn_forecast UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'rnn_forecast';
SELECT v.name, bool_and((f.forecast, f.lower, f.upper) IS NOT DISTINCT FROM (o.forecast, o.lower, o.upper)) AS same_after_update,
       count(*) AS steps
FROM v020_models v, rnn_forecast(v.m, 3) f JOIN v020_forecasts o USING (step)
WHERE o.name = v.name
GROUP BY v.name ORDER BY v.name;
-- the new functions exist after the update: the log key, global models
SELECT rnn_config(log => true, deseasonalize => false)->'log' AS log,
       rnn_config(log => true, deseasonalize => false)->'deseasonalize' AS deseasonalize;
CREATE TABLE v020_global AS
SELECT rnn_train(s, i::bigint, 3 + sin(i / 3.0 + k), rnn_config(hidden_size => 2, "window" => 6, epochs => 1,
                                                                horizon => 2, ensemble => 1) ORDER BY s, i) AS m
FROM (VALUES ('a', 0), ('b', 1)) v(s, k), generate_series(1, 30) i;
SELECT rnn_model_series(m) AS series FROM v020_global;
SELECT count(*) AS global_steps FROM v020_global, rnn_forecast(m, 'b', 2);
-- the same objects and definitions as a fresh install of the current version
SELECT DISTINCT fn AS differs_after_update_from_020 FROM (
  (SELECT * FROM rnn_ext_defs EXCEPT SELECT * FROM fresh_defs) UNION
  (SELECT * FROM fresh_defs EXCEPT SELECT * FROM rnn_ext_defs)) d ORDER BY 1;
SELECT count(*) AS missing_or_extra FROM (
  (SELECT fn FROM rnn_ext_defs EXCEPT SELECT fn FROM fresh_defs) UNION ALL
  (SELECT fn FROM fresh_defs EXCEPT SELECT fn FROM rnn_ext_defs)) d;
SET client_min_messages = warning;
DROP EXTENSION rnn_forecast;
RESET client_min_messages;
CREATE EXTENSION rnn_forecast;
DROP TABLE v020_models, v020_forecasts, v020_global, fresh_defs;
DROP VIEW rnn_ext_defs;
