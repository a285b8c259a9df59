-- Covariates: rnn_train(ts, value, features float8[], config [, init]) reads each value
-- with the next step's features; rnn_forecast(model, horizon, level, future) takes the
-- future steps' features; calendar => true adds features from the timestamps.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
-- the format a model's content needs: every trained model is format 10, as it records what
-- trained it (model_io.sql), and a global model of log series 11, as it keeps their own
-- spreads (global.sql), so the format checks here read it without that text and those spreads
CREATE FUNCTION pg_temp.content_format(m bytea) RETURNS int LANGUAGE sql AS
$$ SELECT (rnn_model_info(rnn_model_from_json(CASE WHEN j ? 'series_state' THEN jsonb_set(j, '{series_state}',
     (SELECT jsonb_agg(e - 'spread' ORDER BY o) FROM jsonb_array_elements(j->'series_state') WITH ORDINALITY s(e, o)))
     ELSE j END))->>'format_version')::int
   FROM (SELECT rnn_model_to_json(m) #- '{training,trained_with}' AS j) t $$;

-- PyTorch fixture (test/ref/make_features.py): an LSTM with input_size 3 (value + 2
-- features), one SGD step over every window in SQL equals PyTorch's step, and the
-- recursive forecast of the result from the future features equals PyTorch's
\set fx `cat test/ref/fixtures/features_lstm.json`
CREATE TABLE fe_fx AS SELECT :'fx'::jsonb AS j;
CREATE TABLE fe_rows AS
SELECT i, (j->'series'->>(i - 1))::float8 AS v,
       ARRAY[(j->'features'->(i - 1)->>0)::float8, (j->'features'->(i - 1)->>1)::float8] AS f
FROM fe_fx, generate_series(1, 30) i;
CREATE FUNCTION fe_weights(sd jsonb) RETURNS float8[] LANGUAGE sql AS $$
  SELECT array_agg(v::text::float8 ORDER BY k)
  FROM jsonb_path_query(sd, 'lax $.** ? (@.type() == "number")') WITH ORDINALITY AS t(v, k)
$$;
CREATE TABLE fe_step AS
SELECT rnn_train(DATE '2024-01-01' + i, v, f,
                 rnn_config(cell => 'lstm', hidden_size => 4, epochs => 1, optimizer => 'sgd',
                            learning_rate => 0.1, batch_size => 0, validation_fraction => 0,
                            clip_norm => 0, loss => 'mse', ensemble => 1),
                 (SELECT rnn_model_from_json(j->'model') FROM fe_fx)) AS m
FROM fe_rows;
SELECT max(abs(a - b)) < 1e-5 AS step_matches_pytorch, max(abs(a - c)) > 1e-3 AS step_moves_weights
FROM fe_step, fe_fx,
     unnest(fe_weights(rnn_model_to_json(m)->'state_dict'), fe_weights(j->'after'),
            fe_weights(j->'model'->'state_dict')) AS u(a, b, c);
SELECT f.step, f.ts_local::date AS day, abs(f.forecast - (j->'forecast'->>(f.step - 1))::float8) < 1e-4 AS matches_pytorch
FROM fe_step, fe_fx,
     rnn_forecast(m, 3, 0.9, (SELECT array_agg(ARRAY[(e->>0)::float8, (e->>1)::float8] ORDER BY o)
                              FROM jsonb_array_elements(j->'future') WITH ORDINALITY AS t(e, o))) f
ORDER BY f.step;
SELECT rnn_model_info(m)->'features' AS features, pg_temp.content_format(m) AS format,
       rnn_model_info(m)->'input_size' AS input_size
FROM fe_step;

-- a daily series whose spikes follow a promotion flag known in advance
CREATE TABLE fe_sales AS
SELECT i, DATE '2024-01-01' + i AS day,
       100 + 10 * sin(2 * pi() * i / 7) + CASE WHEN i % 11 = 0 THEN 40 ELSE 0 END + ((i * 7919) % 13) - 6 AS v,
       (i % 11 = 0)::int::float8 AS promo
FROM generate_series(0, 259) i;
CREATE TABLE fe_models AS
SELECT 'date' AS kind, rnn_train(day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 15, ensemble => 1, season => 7)) AS m
FROM fe_sales WHERE i < 240
UNION ALL
SELECT 'timestamp', rnn_train(day::timestamp, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 15, ensemble => 1, season => 7))
FROM fe_sales WHERE i < 240
UNION ALL
SELECT 'timestamptz', rnn_train(day::timestamp AT TIME ZONE 'UTC', v, ARRAY[promo],
                                rnn_config(hidden_size => 8, epochs => 15, ensemble => 1, season => 7, time_zone => 'UTC'))
FROM fe_sales WHERE i < 240
UNION ALL
SELECT 'bigint', rnn_train(i::bigint, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 15, ensemble => 1, season => 7))
FROM fe_sales WHERE i < 240;
-- one network, one pipeline: every axis gives the same forecast, and the promotion days
-- (every 11th) are forecast well above the others
CREATE TABLE fe_fc AS
SELECT kind, f.* FROM fe_models,
       rnn_forecast(m, 20, 0.9, (SELECT array_agg(promo ORDER BY i) FROM fe_sales WHERE i >= 240)) f;
SELECT kind, count(*) AS steps, max(abs(forecast - (SELECT forecast FROM fe_fc d WHERE d.kind = 'date' AND d.step = fe_fc.step))) < 1e-9 AS same_as_date,
       bool_and(lower < forecast AND forecast < upper) AS intervals
FROM fe_fc GROUP BY kind ORDER BY kind;
SELECT avg(forecast) FILTER (WHERE s.promo = 1) - avg(forecast) FILTER (WHERE s.promo = 0) > 25 AS promotions_forecast_higher
FROM fe_fc JOIN fe_sales s ON s.i = 239 + fe_fc.step WHERE kind = 'date';
SELECT kind, min(ts_local)::date AS first_day, max(ts_local)::date AS last_day, min(ts_bigint) AS first_bigint
FROM fe_fc GROUP BY kind ORDER BY kind;

-- a NULL feature (or a NULL array) is interpolated like a missing value: the same model as
-- with the interpolated values given
CREATE TABLE fe_gap AS
SELECT rnn_train(day, v, CASE WHEN i = 100 THEN ARRAY[NULL]::float8[] WHEN i = 101 THEN NULL ELSE ARRAY[i::float8] END,
                 rnn_config(hidden_size => 4, epochs => 2, ensemble => 1)) AS a,
       rnn_train(day, v, ARRAY[i::float8], rnn_config(hidden_size => 4, epochs => 2, ensemble => 1)) AS b
FROM fe_sales WHERE i < 240;
SELECT rnn_model_to_json(a)->'state_dict' = rnn_model_to_json(b)->'state_dict' AS same_weights FROM fe_gap;

-- calendar => true: the cycles each step makes meaningful
CREATE TABLE fe_cal AS
SELECT 'daily' AS kind, rnn_train(day, v, rnn_config(hidden_size => 4, epochs => 2, ensemble => 1, calendar => true)) AS m
FROM fe_sales
UNION ALL
SELECT 'hourly', rnn_train(TIMESTAMPTZ '2024-03-30 00:00+01' + i * INTERVAL '1 hour', v,
                           rnn_config(hidden_size => 4, epochs => 2, ensemble => 1, calendar => true, time_zone => 'Europe/Berlin'))
FROM fe_sales
UNION ALL
SELECT 'monthly', rnn_train(DATE '2000-01-01' + make_interval(months => i), v,
                            rnn_config(hidden_size => 4, epochs => 2, ensemble => 1, calendar => true))
FROM fe_sales
UNION ALL
SELECT 'promo and daily', rnn_train(day, v, ARRAY[promo], rnn_config(hidden_size => 4, epochs => 2, ensemble => 1, calendar => true))
FROM fe_sales WHERE i < 240;
SELECT kind, rnn_model_info(m)->'features'->'count' AS count, rnn_model_info(m)->'features'->'user' AS "user",
       rnn_model_info(m)->'features'->'calendar' AS calendar, rnn_model_info(m)->'config'->'calendar' AS config
FROM fe_cal ORDER BY kind;
-- calendar-only models forecast without future values; a model with features of its own
-- needs them
SELECT kind, count(*) AS steps FROM fe_cal, rnn_forecast(m, 5) f WHERE kind <> 'promo and daily' GROUP BY kind ORDER BY kind;
SELECT count(*) AS steps FROM fe_cal, rnn_forecast(m, 5, 0.9, ARRAY[0, 1, 0, 0, 0]::float8[]) WHERE kind = 'promo and daily';
-- the stored calendar features of the history are those of its days: the week, month and
-- year cycles of the last training day, 2024-09-16 (a Monday, day 16 of 30, in September),
-- next to the values they must have
SELECT rnn_model_info(m)->'time'->>'last' AS last, x.*
FROM fe_cal, LATERAL (SELECT (rnn_model_info(m)->>'window')::int - 1 AS h) w,
     LATERAL (SELECT c.name, round(((rnn_model_to_json(m)->'history'->>(h * 7 + c.col))::float8)::numeric, 6) AS stored,
                     round(c.want::numeric, 6) AS expected
              FROM (VALUES ('week_sin', 1, sin(0.0)), ('week_cos', 2, cos(0.0)),
                           ('month_sin', 3, sin(2 * pi() * 15 / 30)), ('month_cos', 4, cos(2 * pi() * 15 / 30)),
                           ('year_sin', 5, sin(2 * pi() * (8 + 15.0 / 30) / 12)),
                           ('year_cos', 6, cos(2 * pi() * (8 + 15.0 / 30) / 12))) AS c(name, col, want)) x
WHERE kind = 'daily';
-- hourly rows in Europe/Berlin across the change to summer time (2024-03-31): the time of
-- day is the wall-clock hour; the stored day cycle of the last row (2024-04-09 18:00 UTC,
-- 20:00 CEST)
SELECT rnn_model_info(m)->'time'->>'last' AS last,
       round(((rnn_model_to_json(m)->'history'->>(h * 5 + 1))::float8)::numeric, 6) AS day_sin,
       round(sin(2 * pi() * 20 / 24)::numeric, 6) AS expected
FROM fe_cal, LATERAL (SELECT (rnn_model_info(m)->>'window')::int - 1 AS h) w
WHERE kind = 'hourly';

-- JSON round trip: the same forecasts
SELECT kind, bool_and(abs(a.forecast - b.forecast) < 1e-9) AS same_forecast
FROM fe_cal, rnn_forecast(m, 5, 0.9, CASE WHEN kind = 'promo and daily' THEN ARRAY[0, 1, 0, 0, 0]::float8[] END) a
     JOIN rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 5, 0.9,
                       CASE WHEN kind = 'promo and daily' THEN ARRAY[0, 1, 0, 0, 0]::float8[] END) b USING (step)
GROUP BY kind ORDER BY kind;

-- warm start: the same features continue; other features are an error
SELECT length(rnn_train(day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 1, ensemble => 1), (SELECT m FROM fe_models WHERE kind = 'date'))) > 0 AS warm
FROM fe_sales;
SELECT rnn_train(day, v, ARRAY[promo, promo], rnn_config(hidden_size => 8, epochs => 1, ensemble => 1), (SELECT m FROM fe_models WHERE kind = 'date'))
FROM fe_sales;
-- a backtest fold whose training part ends in steps without a value forecasts them too, from
-- their features: a step there without its row (no features) is an error that says so
SELECT rnn_backtest(day, CASE WHEN i IN (238, 239) THEN NULL ELSE v END, ARRAY[promo],
                    rnn_config(hidden_size => 4, epochs => 1, ensemble => 1), 10, 2)
FROM fe_sales WHERE i <> 238;
-- on_init_mismatch => 'cold' keeps a warm start whose features (user columns and calendar)
-- match: the same weights as under 'error', without a NOTICE (before 2026-12-06 it compared
-- the model's input_size with one of no features and trained from scratch); a mismatch of
-- either kind is said and trains from scratch
SELECT rnn_model_to_json(rnn_train(day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 1, ensemble => 1, on_init_mismatch => 'cold'), w.m))->'state_dict'
       = rnn_model_to_json(rnn_train(day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 1, ensemble => 1), w.m))->'state_dict' AS features_warm
FROM fe_sales, fe_models w WHERE w.kind = 'date';
SELECT rnn_model_to_json(rnn_train(day, v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1, calendar => true, on_init_mismatch => 'cold'), w.m))->'state_dict'
       = rnn_model_to_json(rnn_train(day, v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1, calendar => true), w.m))->'state_dict' AS calendar_warm
FROM fe_sales, fe_cal w WHERE w.kind = 'daily';
SELECT length(rnn_train(day, v, rnn_config(hidden_size => 8, epochs => 1, ensemble => 1, on_init_mismatch => 'cold'), w.m)) > 0 AS cold
FROM fe_sales, fe_models w WHERE w.kind = 'date';
SELECT length(rnn_train(day, v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1, on_init_mismatch => 'cold'), w.m)) > 0 AS cold
FROM fe_sales, fe_cal w WHERE w.kind = 'daily';
-- without 'cold', a calendar that differs is said in the message itself
SELECT rnn_train(day, v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1), w.m)
FROM fe_sales, fe_cal w WHERE w.kind = 'daily';

-- errors
SELECT rnn_train(day, v, CASE WHEN i = 5 THEN ARRAY[promo, promo] ELSE ARRAY[promo] END, rnn_config()) FROM fe_sales;
-- (its CONTEXT names the row's timestamp, and a global model's its series: the row number is
-- the rows' order in the aggregate's input)
SELECT rnn_train('s' || s, day, v, CASE WHEN s = 2 AND i = 7 THEN ARRAY[promo, promo] ELSE ARRAY[promo] END, rnn_config())
FROM (SELECT s, f.* FROM fe_sales f, generate_series(1, 2) s ORDER BY s, i) x;
-- a NULL array is missing features in any row, the first too (it was an error there, so the
-- result hung on the rows' order): the same weights as the row's features given as NULLs
SELECT rnn_model_to_json(rnn_train(day, v, CASE WHEN i = 0 THEN NULL ELSE ARRAY[promo] END,
                                   rnn_config(hidden_size => 4, epochs => 1, ensemble => 1) ORDER BY i))->'state_dict'
       = rnn_model_to_json(rnn_train(day, v, CASE WHEN i = 0 THEN ARRAY[NULL]::float8[] ELSE ARRAY[promo] END,
                                     rnn_config(hidden_size => 4, epochs => 1, ensemble => 1) ORDER BY i))->'state_dict'
         AS first_row_null_array
FROM fe_sales;
SELECT rnn_train(day, v, NULL::float8[], rnn_config()) FROM fe_sales;
SELECT rnn_train(day, v, ARRAY[]::float8[], rnn_config()) FROM fe_sales;
SELECT rnn_train(day, v, ARRAY[[promo]], rnn_config()) FROM fe_sales;
SELECT rnn_train(day, v, ARRAY['infinity'::float8], rnn_config()) FROM fe_sales;
SELECT rnn_train(day, v, CASE WHEN i = 7 THEN ARRAY[NULL::float8] ELSE ARRAY[promo] END, rnn_config(missing => 'error')) FROM fe_sales;
SELECT rnn_train(day, v, ARRAY[promo], rnn_config(scaling => 'seasonal', season => 7)) FROM fe_sales;
SELECT rnn_train(i::bigint, v, rnn_config(calendar => true)) FROM fe_sales;
SELECT rnn_train(DATE '2000-01-01' + make_interval(years => i), v, rnn_config(calendar => true)) FROM fe_sales;
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[1, 0]::float8[]);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[[1, 0], [0, 0], [0, 0]]::float8[]);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[[[1], [0], [0]]]::float8[]);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[1, NULL, 0]::float8[]);
-- NaN is missing as NULL is (as rnn_evaluate and rnn_backtest say), infinity is infinite, and a
-- value beyond the network's inputs names its feature and step (it was "values are too large
-- for the model"); a NULL future (a subquery over no rows) says so
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[1, 'NaN', 0]::float8[]);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[1, 0, '-Infinity']::float8[]);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, ARRAY[1, 1e300, 0]::float8[]);
SELECT * FROM rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), 3, 0.9, NULL::float8[]);
-- the history form too (it was strict, so NULL); a NULL model or history is still NULL
SELECT rnn_forecast(m, ARRAY[[1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [6, 0], [7, 0], [8, 0], [9, 0], [10, 0],
                             [11, 0], [12, 0], [13, 0], [14, 0]]::float8[], 3, NULL::float8[])
FROM fe_models WHERE kind = 'date';
SELECT rnn_forecast(NULL::bytea, ARRAY[[1, 0]]::float8[], 3, ARRAY[1, 0, 0]::float8[]) IS NULL AS null_model,
       rnn_forecast(m, NULL::float8[], 3, ARRAY[1, 0, 0]::float8[]) IS NULL AS null_history,
       rnn_forecast(m, ARRAY[[1, 0]]::float8[], NULL, ARRAY[1, 0, 0]::float8[]) IS NULL AS null_horizon
FROM fe_models WHERE kind = 'date';
-- a feature near 1e160 trains (its sum of squares overflowed: "feature 1 is too large to train
-- on"), and forecasts as the same feature at 1
SELECT (SELECT array_agg(round(forecast::numeric, 4)) FROM rnn_forecast(a, 3, 0.9, ARRAY[1e160, 0, 0]::float8[])) =
       (SELECT array_agg(round(forecast::numeric, 4)) FROM rnn_forecast(b, 3, 0.9, ARRAY[1, 0, 0]::float8[])) AS scale_free
FROM (SELECT rnn_train(day, v, ARRAY[promo * 1e160], rnn_config(epochs => 3, horizon => 3)) AS a,
             rnn_train(day, v, ARRAY[promo], rnn_config(epochs => 3, horizon => 3)) AS b FROM fe_sales) x;
SELECT * FROM rnn_forecast((SELECT m FROM fe_cal WHERE kind = 'daily'), 3, 0.9, ARRAY[1, 0, 0]::float8[]);
SELECT rnn_forecast((SELECT m FROM fe_models WHERE kind = 'date'), ARRAY[1, 2, 3]::float8[], 1);
SELECT rnn_predict(v, (SELECT m FROM fe_models WHERE kind = 'date'), 1) FROM fe_sales;
SELECT rnn_predict_rows(v, (SELECT m FROM fe_models WHERE kind = 'date')) OVER (ORDER BY i) FROM fe_sales LIMIT 1;
SELECT rnn_anomaly(v, (SELECT m FROM fe_models WHERE kind = 'date')) OVER (ORDER BY i) FROM fe_sales LIMIT 1;
SELECT rnn_evaluate((SELECT m FROM fe_models WHERE kind = 'date'), day, v) FROM fe_sales WHERE i >= 240;

-- global models: one network over the rows of many series with features; each series'
-- forecast reads its own future features
CREATE TABLE fe_stores AS
SELECT 's' || s AS store, i, DATE '2024-01-01' + i AS day,
       (50 + 20 * s) * (1 + 0.1 * sin(2 * pi() * i / 7)) + CASE WHEN (i + s) % 11 = 0 THEN 30 + 10 * s ELSE 0 END
       + ((i * 7919 + s * 31) % 13) - 6 AS v,
       ((i + s) % 11 = 0)::int::float8 AS promo
FROM generate_series(1, 4) s, generate_series(0, 159) i;
CREATE TABLE fe_global AS
SELECT rnn_train(store, day, v, ARRAY[promo], rnn_config(horizon => 14, strategy => 'recursive', epochs => 30, ensemble => 1)) AS m,
       rnn_train(store, day, v, rnn_config(horizon => 14, strategy => 'recursive', epochs => 30, ensemble => 1)) AS m0
FROM fe_stores WHERE i < 146;
SELECT rnn_model_info(m)->'features'->'count' AS features, rnn_model_info(m)->'series'->'count' AS series,
       pg_temp.content_format(m) AS format, pg_temp.content_format(m0) AS plain_format
FROM fe_global;
CREATE TABLE fe_gfc AS
SELECT 'features' AS model, s.name AS store, f.*
FROM fe_global CROSS JOIN LATERAL rnn_model_series(fe_global.m) s(name)
     CROSS JOIN LATERAL rnn_forecast(fe_global.m, s.name, 14, 0.9,
                                     (SELECT array_agg(promo ORDER BY i) FROM fe_stores WHERE store = s.name AND i >= 146)) f
UNION ALL
SELECT 'plain', s.name, f.*
FROM fe_global CROSS JOIN LATERAL rnn_model_series(fe_global.m0) s(name)
     CROSS JOIN LATERAL rnn_forecast(fe_global.m0, s.name, 14) f;
-- the promotion flag makes the forecasts better: the mean absolute error with features is
-- less than 0.75 of the plain model's (3.37 against 5.65 on 2026-12-06; before the seasonal
-- indices weighed recent weeks more, 3.25 against 10.5, and the test asked for half: the plain
-- model's indices, which take in the promotions, got better, the features model's the same)
SELECT (SELECT avg(abs(forecast - v)) FROM fe_gfc JOIN fe_stores USING (store) WHERE model = 'features' AND day = ts_local::date)
     < 0.75 * (SELECT avg(abs(forecast - v)) FROM fe_gfc JOIN fe_stores USING (store) WHERE model = 'plain' AND day = ts_local::date)
       AS features_cut_the_error,
       (SELECT count(*) FROM fe_gfc WHERE model = 'features') AS steps;
-- JSON round trip of a global model with features: the same forecasts
SELECT bool_and(abs(a.forecast - b.forecast) < 1e-9) AS same_forecast
FROM fe_global,
     rnn_forecast(m, 's2', 5, 0.9, ARRAY[0, 1, 0, 0, 0]::float8[]) a
     JOIN rnn_forecast(rnn_model_from_json(rnn_model_to_json(m)), 's2', 5, 0.9, ARRAY[0, 1, 0, 0, 0]::float8[]) b USING (step);
-- NULL arguments of the forms with future features give no rows
SELECT (SELECT count(*) FROM rnn_forecast(NULL::bytea, 3, 0.9, ARRAY[1, 0, 0]::float8[])) AS null_model,
       (SELECT count(*) FROM fe_global, rnn_forecast(m, NULL::text, 3, 0.9, ARRAY[1, 0, 0]::float8[])) AS null_series;
-- errors: no future features, a single-series call, warm starts with other features
SELECT * FROM fe_global, rnn_forecast(m, 's1', 3);
SELECT * FROM fe_global, rnn_forecast(m, 3, 0.9, ARRAY[1, 0, 0]::float8[]);
SELECT * FROM fe_global, rnn_forecast(m0, 's1', 3, 0.9, ARRAY[1, 0, 0]::float8[]);
SELECT rnn_train(store, day, v, rnn_config(horizon => 14, strategy => 'recursive', epochs => 1, ensemble => 1), (SELECT m FROM fe_global))
FROM fe_stores;

-- backtests with features: each fold trains on the rows before its origin and forecasts from
-- the features of its horizon's rows; the last fold is exactly a training on the rows before
-- it and rnn_forecast with those rows' promotion flags
CREATE TABLE fe_bt AS
SELECT rnn_backtest(day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 20, ensemble => 1), 14, 3) AS f,
       rnn_backtest(day, v, rnn_config(hidden_size => 8, epochs => 20, ensemble => 1), 14, 3) AS p,
       rnn_backtest(day, v, rnn_config(hidden_size => 8, epochs => 20, ensemble => 1, calendar => true), 14, 3) AS c
FROM fe_sales;
SELECT f->'points' AS points, (f->>'mae')::float8 < (p->>'mae')::float8 AS features_better,
       c->'points' AS calendar_points, f->'per_fold'->2->>'origin' AS last_origin
FROM fe_bt;
SELECT round((f->'per_fold'->2->>'mae')::numeric, 4) = round(avg(abs(x.forecast - s.v))::numeric, 4) AS last_fold_is_a_forecast
FROM fe_bt,
     (SELECT fc.* FROM (SELECT rnn_train(day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 20, ensemble => 1)) AS m
                        FROM fe_sales WHERE i < 246) t,
             rnn_forecast(t.m, 14, 0.9, (SELECT array_agg(promo ORDER BY i) FROM fe_sales WHERE i >= 246)) fc) x
     JOIN fe_sales s ON s.day = x.ts_local::date
GROUP BY f;
SELECT (g->>'points')::int AS points, (g->>'series')::int AS series,
       (g->>'mae')::float8 < (gp->>'mae')::float8 AS features_better
FROM (SELECT rnn_backtest(store, day, v, ARRAY[promo], rnn_config(hidden_size => 8, epochs => 20, ensemble => 1, strategy => 'recursive', horizon => 14), 14, 2) AS g,
             rnn_backtest(store, day, v, rnn_config(hidden_size => 8, epochs => 20, ensemble => 1, strategy => 'recursive', horizon => 14), 14, 2) AS gp
      FROM fe_stores) b;

-- a fold's horizon missing a feature is an error naming the step (the fold forecasts from its
-- features, which are not interpolated, as rnn_forecast's future ones are not; before
-- 2026-12-06 they were filled in silently); a feature missing in the training part is
-- interpolated as in training
SELECT rnn_backtest(day, v, CASE WHEN i = 255 THEN NULL ELSE ARRAY[promo] END, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1), 14, 3)
FROM fe_sales;
SELECT rnn_backtest(day, v, CASE WHEN i = 100 THEN NULL ELSE ARRAY[promo] END, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1), 14, 3)->'points' AS points
FROM fe_sales;
SELECT rnn_backtest(store, day, v, CASE WHEN i = 155 AND store = 's2' THEN ARRAY[NULL]::float8[] ELSE ARRAY[promo] END,
                    rnn_config(hidden_size => 4, epochs => 1, ensemble => 1, horizon => 14), 14, 2)
FROM fe_stores;

-- rnn_evaluate with features: each step's forecast reads the features of that step's row; the
-- score is that of rnn_forecast with the same future features
SELECT round((e->>'mae')::numeric, 4) = round(x.mae::numeric, 4) AS same_as_forecast, e->'points' AS points
FROM (SELECT rnn_evaluate(m, day, v, ARRAY[promo]) AS e FROM fe_models, fe_sales WHERE kind = 'date' AND i >= 240 GROUP BY m) a,
     (SELECT avg(abs(f.forecast - s.v)) AS mae
      FROM fe_models, rnn_forecast(m, 20, 0.9, (SELECT array_agg(promo ORDER BY i) FROM fe_sales WHERE i >= 240)) f
           JOIN fe_sales s ON s.day = f.ts_local::date
      WHERE kind = 'date') x;
SELECT rnn_evaluate(m, day, v, ARRAY[promo]) FROM fe_models, fe_sales WHERE kind = 'date' AND i >= 240 AND i <> 245 GROUP BY m;
SELECT rnn_evaluate(m, day, v, ARRAY[promo, promo]) FROM fe_models, fe_sales WHERE kind = 'date' AND i >= 240 GROUP BY m;
-- rows after the last value (days to come, their features not entered yet) are neither
-- forecast nor read: the score is that of the rows up to it (before 2026-12-06: 'the features
-- at ... are NULL', for a row that is not scored); a NaN feature of a scored step is named
SELECT a.e = b.e AS same_score, a.e->'max_step' AS max_step
FROM (SELECT rnn_evaluate(m, day, CASE WHEN i >= 255 THEN NULL ELSE v END, CASE WHEN i >= 255 THEN NULL ELSE ARRAY[promo] END) AS e
      FROM fe_models, fe_sales WHERE kind = 'date' AND i >= 240 GROUP BY m) a,
     (SELECT rnn_evaluate(m, day, v, ARRAY[promo]) AS e FROM fe_models, fe_sales WHERE kind = 'date' AND i BETWEEN 240 AND 254 GROUP BY m) b;
SELECT rnn_evaluate(m, day, v, CASE WHEN i = 243 THEN ARRAY['NaN'::float8] ELSE ARRAY[promo] END)
FROM fe_models, fe_sales WHERE kind = 'date' AND i >= 240 GROUP BY m;
-- with calendar features too (computed for the scored steps)
SELECT rnn_evaluate(m, day, v, ARRAY[promo])->'points' AS points FROM fe_cal, fe_sales WHERE kind = 'promo and daily' AND i >= 240 GROUP BY m;

-- the array form with features: a history of rows (value, features) and the future features;
-- from the model's own last window (the fine-tuned PyTorch model: no seasonal indices, so no
-- season position to guess) it is rnn_forecast's forecast, and PyTorch's
SELECT bool_and(abs(a.f - b.forecast) <= 1e-6 * greatest(1, abs(b.forecast))) AS same_as_stored,
       bool_and(abs(a.f - (j->'forecast'->>(a.step::int - 1))::float8) < 1e-4) AS matches_pytorch
FROM fe_step, fe_fx,
     LATERAL unnest(rnn_forecast(m, (SELECT array_agg(ARRAY[v, f[1], f[2]] ORDER BY i) FROM fe_rows WHERE i > 25), 3,
                                 (SELECT array_agg(ARRAY[(e->>0)::float8, (e->>1)::float8] ORDER BY o)
                                  FROM jsonb_array_elements(j->'future') WITH ORDINALITY AS t(e, o)))) WITH ORDINALITY AS a(f, step)
     JOIN rnn_forecast(m, 3, 0.9, (SELECT array_agg(ARRAY[(e->>0)::float8, (e->>1)::float8] ORDER BY o)
                                   FROM jsonb_array_elements(j->'future') WITH ORDINALITY AS t(e, o))) b USING (step);
-- a global model forecasts a series it never saw from its history with features
SELECT array_length(rnn_forecast(m, (SELECT array_agg(ARRAY[v * 1.5, promo] ORDER BY i) FROM fe_stores WHERE store = 's1' AND i < 146),
                                 14, (SELECT array_agg(promo ORDER BY i) FROM fe_stores WHERE store = 's1' AND i >= 146)), 1) AS steps
FROM fe_global;
SELECT rnn_forecast(m, ARRAY[[1, 0], [2, 0]]::float8[], 3) FROM fe_models WHERE kind = 'date';
SELECT rnn_forecast(m, ARRAY[1, 2, 3]::float8[], 3, ARRAY[1, 0, 0]::float8[]) FROM fe_models WHERE kind = 'date';
SELECT rnn_forecast(m, ARRAY[[1, 0], [2, 0]]::float8[], 3, ARRAY[1, 0, 0]::float8[]) FROM fe_cal WHERE kind = 'promo and daily';

-- window functions with a global model with features: each window is a series of its own
-- (its pipeline from the partition's rows up to it, at most 1,000: since 2026-12-06, before the
-- window alone), read with its rows' features; at a store's last training row rnn_predict_rows
-- is the array form's forecast from the store's rows so far and the next rows' flags
SELECT (rnn_model_info(m)->>'window')::int AS gw FROM fe_global \gset
SELECT bool_and(abs(p.f[s] - a.f[s]) <= 1e-9 * abs(a.f[s])) AS predict_rows_equals_array_form
FROM (SELECT f FROM (SELECT i, rnn_predict_rows(v, g.m, 2, ARRAY[promo]) OVER (ORDER BY day) AS f
                     FROM fe_stores, fe_global g WHERE store = 's1') r WHERE i = 145) p,
     (SELECT rnn_forecast(g.m, (SELECT array_agg(ARRAY[v, promo] ORDER BY i) FROM fe_stores
                                WHERE store = 's1' AND i BETWEEN 146 - 1000 AND 145), 2,
                          (SELECT array_agg(promo ORDER BY i) FROM fe_stores WHERE store = 's1' AND i IN (146, 147))) AS f
      FROM fe_global g) a,
     generate_series(1, 2) s;
SELECT store, count(*) FILTER (WHERE (a).expected IS NOT NULL) AS forecasts,
       bool_and((a).expected IS NULL OR ((a).lower < (a).expected AND (a).expected < (a).upper)) AS bounds_around
FROM (SELECT store, rnn_anomaly(v, g.m, 0.99, ARRAY[promo]) OVER (PARTITION BY store ORDER BY day) AS a
      FROM fe_stores, fe_global g) x
GROUP BY store ORDER BY store;
