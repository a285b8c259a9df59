-- rnn_forecast: table form with timestamps and intervals, array form, LATERAL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
SET TimeZone = 'UTC';

CREATE TABLE hourly AS
SELECT TIMESTAMPTZ '2024-03-01 00:00+00' + i * INTERVAL '1 hour' AS ts,
       10 + 3 * sin(i * 2 * pi() / 24) AS v
FROM generate_series(0, 239) i;
CREATE TABLE hmodel AS
SELECT rnn_train(ts, v, rnn_config(cell => 'gru', hidden_size => 12, epochs => 40, horizon => 1)) AS model FROM hourly;

SELECT rnn_model_info(model)->'time' AS time, rnn_model_info(model)->'season' AS season,
       rnn_model_info(model)->'window' AS "window"
FROM hmodel;

-- future timestamps continue the hourly grid, intervals contain the forecast
SELECT step, ts, lower <= forecast AND forecast <= upper AS ordered, upper - lower > 0 AS positive_width
FROM hmodel, rnn_forecast(model, 6);

-- wider level, wider interval
SELECT bool_and(w99.upper - w99.lower >= w50.upper - w50.lower) AS wider
FROM hmodel, rnn_forecast(model, 24, 0.99) w99 JOIN rnn_forecast(model, 24, 0.5) w50 USING (step);

-- the forecast follows the daily cycle
SELECT avg(abs(forecast - (10 + 3 * sin((240 + step - 1) * 2 * pi() / 24)))) < 0.5 AS accurate
FROM hmodel, rnn_forecast(model, 24);

-- array form: the training series reproduces the table form (the network reads its last
-- window; the Theta forecast it is combined with is fitted on the whole history given)
SELECT (rnn_forecast(model, (SELECT array_agg(v ORDER BY ts) FROM hourly), 3))
       = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(model, 3)) AS same
FROM hmodel;
-- with the network alone, the last window is enough
SELECT (rnn_forecast(m, (SELECT array_agg(v ORDER BY ts) FROM (SELECT * FROM hourly ORDER BY ts DESC
                                                              LIMIT (rnn_model_info(m)->>'window')::int) t), 3))
       = (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, 3)) AS same_window
FROM (SELECT rnn_train(ts, v, rnn_config(hidden_size => 8, epochs => 5, theta_weight => 0)) AS m FROM hourly) n;
-- longer histories use their last window
SELECT array_length(rnn_forecast(model, (SELECT array_agg(v ORDER BY ts) FROM hourly), 30), 1) FROM hmodel;

-- direct multi-step: a model with horizon 6 outputs six steps at once
CREATE TABLE dmodel AS
SELECT rnn_train(ts, v, rnn_config(hidden_size => 8, epochs => 20, horizon => 6, strategy => 'direct')) AS model FROM hourly;
SELECT rnn_model_info(model)->'output_size' AS output_size,
       (SELECT count(*) FROM rnn_forecast(model, 6)) AS direct_steps,
       (SELECT count(*) FROM rnn_forecast(model, 14)) AS recursive_steps
FROM dmodel;

-- per-series forecasts with LATERAL
CREATE TABLE shop AS
SELECT s AS store, DATE '2023-01-01' + i AS day, 100 * s + 10 * sin(i * 2 * pi() / 7) AS sales
FROM generate_series(1, 2) s, generate_series(0, 89) i;
CREATE TABLE shop_models AS
SELECT store, rnn_train(day, sales, rnn_config(hidden_size => 8, epochs => 15)) AS model
FROM shop GROUP BY store;
SELECT store, f.step, f.ts::date AS day, round(f.forecast::numeric, -2) AS level
FROM shop_models, LATERAL rnn_forecast(model, 2) f ORDER BY store, step;
