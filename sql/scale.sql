-- scale (0.6.0): rows read in place when their keys ascend, constant arguments compared once,
-- models made in the query found by the forecast cache
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
SET TimeZone = 'UTC';

-- the same rows (gaps: every 10th day missing; NULL and NaN values) in ascending key order,
-- read in place, and in a shuffled order, sorted first: one model, one forecast
CREATE TABLE sc_rows AS
SELECT date '2024-01-01' + d AS day,
       CASE WHEN d % 13 = 5 THEN NULL WHEN d = 40 THEN 'NaN'::float8
            ELSE 50 + 10 * sin(2 * pi() * d / 7) + d / 10.0 END AS v
FROM generate_series(0, 299) d WHERE d % 10 <> 9;
CREATE TABLE sc_asc AS SELECT * FROM sc_rows ORDER BY day;
CREATE TABLE sc_shuffled AS SELECT * FROM sc_rows ORDER BY md5(day::text);
SELECT (SELECT day FROM sc_asc LIMIT 1) < (SELECT day FROM sc_asc OFFSET 1 LIMIT 1) AS asc_first,
       (SELECT array_agg(day) FROM sc_shuffled) <> (SELECT array_agg(day ORDER BY day) FROM sc_shuffled) AS shuffled;
CREATE TABLE sc_models AS
SELECT 'asc' AS k, rnn_train(day, v, rnn_config(horizon => 7, hidden_size => 4, epochs => 3, ensemble => 1)) AS model FROM sc_asc
UNION ALL
SELECT 'shuffled', rnn_train(day, v, rnn_config(horizon => 7, hidden_size => 4, epochs => 3, ensemble => 1)) FROM sc_shuffled;
SELECT (a.i - 'training' - 'config') = (b.i - 'training' - 'config') AS same_model,
       (a.i->'training') - 'training_seconds' = (b.i->'training') - 'training_seconds' AS same_training,
       a.i->'training'->>'rows' AS rows
FROM (SELECT rnn_model_info(model) i FROM sc_models WHERE k = 'asc') a,
     (SELECT rnn_model_info(model) i FROM sc_models WHERE k = 'shuffled') b;
SELECT count(*) AS steps, bool_and(fa.forecast = fb.forecast AND fa.upper = fb.upper) AS same_forecast
FROM sc_models a, rnn_forecast(a.model, 7) fa, sc_models b, rnn_forecast(b.model, 7) fb
WHERE a.k = 'asc' AND b.k = 'shuffled' AND fa.step = fb.step;
-- errors in ascending rows name the row as in sorted ones
SELECT rnn_train(day, v) FROM (SELECT day, v FROM sc_asc UNION ALL SELECT date '2024-10-25', 1) x;
SELECT rnn_train(day, v) FROM (SELECT day, v FROM sc_shuffled UNION ALL SELECT date '2024-10-25', 1) x;
SELECT rnn_train(day, v, rnn_config(missing => 'error')) FROM sc_asc;
SELECT rnn_train(day, v, rnn_config(missing => 'error')) FROM sc_shuffled;
SELECT rnn_train(d, v) FROM (VALUES (1::bigint, 1::float8), (2, 'Infinity'), (3, 2)) x(d, v);

-- a configuration that is not a constant is still compared at every row
SELECT rnn_train(day, v, CASE WHEN day = date '2024-02-01' THEN rnn_config(hidden_size => 4) ELSE rnn_config() END)
FROM sc_asc;

-- two global models made in the query (not stored: no TOAST pointer to know them by), each
-- series forecast from the right one; the same as from the table
CREATE TABLE sc_global AS
SELECT k, rnn_train(s, day, v * k, rnn_config(horizon => 3, hidden_size => 4, epochs => 2, ensemble => 1)) AS model
FROM (SELECT 'a' AS s, day, v FROM sc_asc UNION ALL SELECT 'b', day, v + 20 FROM sc_asc) x,
     (VALUES (1), (3)) m(k)
GROUP BY k;
CREATE TABLE sc_from_table AS
SELECT m.k, s, f.step, f.forecast FROM sc_global m, rnn_model_series(m.model) s, rnn_forecast(m.model, s, 3) f;
CREATE TABLE sc_from_query AS
SELECT m.k, s, f.step, f.forecast
FROM (SELECT k, model || ''::bytea AS model FROM sc_global ORDER BY k OFFSET 0) m,
     rnn_model_series(m.model) s, rnn_forecast(m.model, s, 3) f;
SELECT (SELECT count(*) FROM sc_from_table) AS forecasts,
       (SELECT count(*) FROM (SELECT * FROM sc_from_table EXCEPT SELECT * FROM sc_from_query) d) AS differ,
       (SELECT count(*) FROM (SELECT * FROM sc_from_query EXCEPT SELECT * FROM sc_from_table) d) AS differ_back,
       (SELECT avg(forecast) FROM sc_from_query WHERE k = 3) > 2 * (SELECT avg(forecast) FROM sc_from_query WHERE k = 1) AS models_apart;
