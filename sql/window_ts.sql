-- rnn_predict_rows(ts, ...) and rnn_anomaly(ts, ...) (0.8.0): the window functions over
-- time-stamped rows. The windows are the model's steps: a step without a row is a gap, as a
-- NULL value is in the forms without ts; the season's phase comes from the model's time axis,
-- not from the rows; a row off the grid, a duplicate or a row out of order is an error.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
SET extra_float_digits = 0;
-- forms that batch their windows differently (a frame of rows, NULL-valued rows, rows without
-- ts) may round a float32 network's output differently in the last bits, by how the BLAS
-- kernel of the CPU blocks the products: the same forecast is equal within 1e-6 relative,
-- NULL as NULL
CREATE FUNCTION pg_temp.same(a float8[], b float8[]) RETURNS boolean LANGUAGE sql AS
'SELECT (a IS NULL AND b IS NULL) OR (a IS NOT NULL AND b IS NOT NULL AND
   (SELECT bool_and(x IS NOT DISTINCT FROM y OR coalesce(abs(x - y) <= 1e-6 * abs(y), false)) FROM unnest(a, b) u(x, y)))';
CREATE FUNCTION pg_temp.same(a rnn_anomaly_result, b rnn_anomaly_result) RETURNS boolean LANGUAGE sql AS
'SELECT (a::text IS NULL AND b::text IS NULL) OR (a::text IS NOT NULL AND b::text IS NOT NULL AND a.is_anomaly IS NOT DISTINCT FROM b.is_anomaly AND
   pg_temp.same(ARRAY[a.expected, a.lower, a.upper, a.score], ARRAY[b.expected, b.lower, b.upper, b.score]))';

-- 400 days of a weekly pattern, a trend and a promotion every 9th day
CREATE TABLE wt_days AS
SELECT date '2024-01-01' + d AS day, d,
       CASE WHEN d % 9 = 4 THEN 1.0 ELSE 0.0 END AS promo,
       50 + 8 * sin(2 * pi() * d / 7) + d * 0.03 + ((d * 7919) % 13) * 0.4
          + CASE WHEN d % 9 = 4 THEN 12 ELSE 0 END AS v
FROM generate_series(0, 399) d;
-- models on the first 300 days, window 14 (the promotions, without their feature, are spikes
-- that despike would replace in what the model keeps: kept, so that a window of the rows and
-- the model's stored history hold the same values)
CREATE TABLE wt_models AS
SELECT 'plain' AS kind, rnn_train(day, v, rnn_config(horizon => 3, epochs => 2, hidden_size => 8, ensemble => 1,
                                                    "window" => 14, deseasonalize => false, log => false)) AS m
FROM wt_days WHERE d < 300
UNION ALL
SELECT 'seasonal', rnn_train(day, v, rnn_config(horizon => 3, epochs => 2, hidden_size => 8, ensemble => 1,
                                                "window" => 14, deseasonalize => true, theta_weight => 0,
                                                despike => false))
FROM wt_days WHERE d < 300
UNION ALL
SELECT 'calendar', rnn_train(day, v, rnn_config(horizon => 3, epochs => 2, hidden_size => 8, ensemble => 1,
                                                "window" => 14, calendar => true, theta_weight => 0))
FROM wt_days WHERE d < 300
UNION ALL
SELECT 'promo', rnn_train(day, v, ARRAY[promo], rnn_config(horizon => 2, epochs => 2, hidden_size => 8,
                                                          ensemble => 1, "window" => 14))
FROM wt_days WHERE d < 300;
SELECT kind, rnn_model_info(m)->'time'->>'kind' AS time_kind,
       CASE WHEN jsonb_typeof(rnn_model_info(m)->'pipeline'->'seasonal_indices') = 'array'
            THEN jsonb_array_length(rnn_model_info(m)->'pipeline'->'seasonal_indices') ELSE 0 END AS indices,
       rnn_model_info(m)->'features'->>'count' AS features
FROM wt_models ORDER BY kind;

-- the same days with six of them absent (no row at all)
CREATE TABLE wt_gappy AS SELECT * FROM wt_days WHERE d NOT IN (50, 51, 52, 120, 305, 306);

-- a step without a row is a gap: over the gappy rows, the ts form gives every row what the
-- form without ts gives over all the days with NULL values on the absent ones; the form
-- without ts over the gappy rows themselves reads the rows after a gap as a step earlier
CREATE TABLE wt_cmp AS
SELECT g.d, g.ts_anomaly, f.null_rows_anomaly, r.row_anomaly, g.ts_rows, f.null_rows_rows
FROM (SELECT d, rnn_anomaly(day, v, m) OVER w AS ts_anomaly, rnn_predict_rows(day, v, m, 3) OVER w AS ts_rows
      FROM wt_gappy, wt_models WHERE kind = 'plain' WINDOW w AS (ORDER BY day)) g
JOIN (SELECT d, rnn_anomaly(CASE WHEN d IN (50, 51, 52, 120, 305, 306) THEN NULL ELSE v END, m) OVER w AS null_rows_anomaly,
             rnn_predict_rows(CASE WHEN d IN (50, 51, 52, 120, 305, 306) THEN NULL ELSE v END, m, 3) OVER w AS null_rows_rows
      FROM wt_days, wt_models WHERE kind = 'plain' WINDOW w AS (ORDER BY day)) f USING (d)
JOIN (SELECT d, rnn_anomaly(v, m) OVER (ORDER BY day) AS row_anomaly
      FROM wt_gappy, wt_models WHERE kind = 'plain') r USING (d);
SELECT count(*) AS rows,
       count(*) FILTER (WHERE ts_anomaly IS NOT NULL) AS anomaly_results,
       count(*) FILTER (WHERE pg_temp.same(ts_anomaly, null_rows_anomaly)) AS anomaly_as_null_rows,
       count(*) FILTER (WHERE pg_temp.same(ts_rows, null_rows_rows)) AS rows_as_null_rows,
       count(*) FILTER (WHERE NOT pg_temp.same(ts_anomaly, row_anomaly)) AS differ_without_ts
FROM wt_cmp;
-- rnn_anomaly compares the row after the three absent days with the forecast four steps
-- ahead from the last day before them (rnn_predict_rows there, horizon 4; a window alone and
-- a batch of them may round differently in float32's last bits), or, when that day was
-- flagged, five steps ahead from the day before it (a flagged value is left out of the
-- window of the next row with a value): past_gap(expected, day 49 flagged, the forecasts
-- from day 49, from day 48)
CREATE FUNCTION pg_temp.past_gap(expected float8, flagged boolean, f49 float8[], f48 float8[])
RETURNS boolean LANGUAGE sql AS
'SELECT CASE WHEN flagged THEN abs(expected - f48[5]) <= 1e-6 * abs(f48[5])
             ELSE abs(expected - f49[4]) <= 1e-6 * abs(f49[4]) END';
SELECT c.d, pg_temp.past_gap((c.ts_anomaly).expected, (b.ts_anomaly).is_anomaly, p.f, q.f) AS four_step_forecast
FROM wt_cmp c
JOIN wt_cmp b ON b.d = 49
JOIN (SELECT d, rnn_predict_rows(day, v, m, 5) OVER (ORDER BY day) AS f FROM wt_gappy, wt_models WHERE kind = 'plain') p
  ON p.d = 49
JOIN (SELECT d, rnn_predict_rows(day, v, m, 5) OVER (ORDER BY day) AS f FROM wt_gappy, wt_models WHERE kind = 'plain') q
  ON q.d = 48
WHERE c.d = 53;
-- the gap of three days moves the forecasts of the 14 rows after it (their windows hold it)
SELECT min(d), max(d), count(*) FROM wt_cmp
WHERE d BETWEEN 40 AND 100 AND NOT pg_temp.same(ts_anomaly, row_anomaly);

-- the phase comes from the model's time axis: two partitions that start 3 days apart give
-- the same forecast at every day both have a full window for, and the last training day
-- gives the model's stored forecast (its phase_last; the models forecast without Theta,
-- which a window function fits on the window alone; float32 networks: a batch of windows
-- and a batch of one may round differently in the last bits)
CREATE FUNCTION pg_temp.near(a float8[], b float8[]) RETURNS boolean LANGUAGE sql AS
'SELECT bool_and(abs(x - y) <= 1e-6 * abs(y)) FROM unnest(a, b) u(x, y)';
CREATE TABLE wt_phase AS
SELECT p.start, k.kind, w.d, rnn_predict_rows(w.day, w.v, k.m, 3) OVER (PARTITION BY p.start, k.kind ORDER BY w.day) AS f
FROM (VALUES (0), (3)) p(start), wt_models k, wt_days w
WHERE w.d >= p.start AND k.kind IN ('seasonal', 'calendar');
SELECT kind, count(*) AS days_in_both,
       count(*) FILTER (WHERE pg_temp.same(a.f, b.f)) AS same
FROM wt_phase a JOIN wt_phase b USING (kind, d)
WHERE a.start = 0 AND b.start = 3 AND b.f IS NOT NULL GROUP BY kind ORDER BY kind;
SELECT kind, min(d) FILTER (WHERE f IS NOT NULL) AS first_forecast FROM wt_phase WHERE start = 3
GROUP BY kind ORDER BY kind;
SELECT p.kind, p.start, pg_temp.near(p.f, (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(k.m, 3))) AS stored_forecast
FROM wt_phase p JOIN wt_models k USING (kind) WHERE p.d = 299 ORDER BY 1, 2;

-- a model with calendar features takes rows with timestamps only
SELECT rnn_anomaly(v, m) OVER (ORDER BY day) FROM wt_days, wt_models WHERE kind = 'calendar' LIMIT 1;

-- features: the steps forecast read the features of the rows at those steps; a step without
-- a row has none, so no forecast
SELECT d, pg_temp.near(f, (SELECT array_agg(forecast ORDER BY step)
                            FROM rnn_forecast(m, 2, 0.9, ARRAY[[0.0], [1.0]]))) AS as_rnn_forecast
FROM (SELECT d, m, rnn_predict_rows(day, v, m, 2, ARRAY[promo]) OVER (ORDER BY day) AS f
      FROM wt_days, wt_models WHERE kind = 'promo') s
WHERE d = 299;
SELECT d, f IS NULL AS no_forecast
FROM (SELECT d, rnn_predict_rows(day, v, m, 2, ARRAY[promo]) OVER (ORDER BY day) AS f
      FROM wt_gappy, wt_models WHERE kind = 'promo') s
WHERE d BETWEEN 302 AND 307 ORDER BY d;
SELECT count(*) FILTER (WHERE (a).is_anomaly IS NOT NULL) AS scored,
       count(*) FILTER (WHERE (a).is_anomaly) AS anomalies
FROM (SELECT rnn_anomaly(day, v, m, 0.99, ARRAY[promo]) OVER (ORDER BY day) AS a
      FROM wt_gappy, wt_models WHERE kind = 'promo') s;
-- with features, missing steps that still have their rows (NULL values, their features
-- given) move the window back too (2026-12-05): the row after the three NULL days is
-- compared with the forecast four steps ahead from the day before them with the NULL days'
-- features (rnn_predict_rows there; past_gap: five from the day before that one when it
-- was flagged), in the ts form and the form without ts
-- alike, which agree on every row; a calendar model computes its features from the steps,
-- so absent days move its windows as NULL-valued rows do
CREATE TABLE wt_fgap AS
SELECT d, rnn_anomaly(day, v_null, m, 0.99, ARRAY[promo]) OVER w AS ts_a,
       rnn_anomaly(v_null, m, 0.99, ARRAY[promo]) OVER w AS rows_a,
       rnn_predict_rows(day, v_null, m, 5, ARRAY[promo]) OVER w AS f
FROM (SELECT *, CASE WHEN d IN (50, 51, 52, 120, 305, 306) THEN NULL ELSE v END AS v_null FROM wt_days) x,
     wt_models WHERE kind = 'promo' WINDOW w AS (ORDER BY day);
SELECT count(*) FILTER (WHERE ts_a IS NOT NULL) AS results,
       count(*) FILTER (WHERE pg_temp.same(ts_a, rows_a)) AS ts_as_rows,
       (SELECT pg_temp.past_gap((a.ts_a).expected, (b.ts_a).is_anomaly, b.f, c.f)
        FROM wt_fgap a, wt_fgap b, wt_fgap c WHERE a.d = 53 AND b.d = 49 AND c.d = 48) AS four_step_forecast
FROM wt_fgap;
SELECT count(*) FILTER (WHERE g.a IS NOT NULL) AS results,
       count(*) FILTER (WHERE pg_temp.same(g.a, n.a)) AS absent_as_null_rows,
       (SELECT pg_temp.past_gap((a.a).expected, (a49.a).is_anomaly, b.f, c.f)
        FROM (SELECT d, rnn_anomaly(day, v, m) OVER (ORDER BY day) AS a FROM wt_gappy, wt_models WHERE kind = 'calendar') a
        JOIN (SELECT d, rnn_anomaly(day, v, m) OVER (ORDER BY day) AS a FROM wt_gappy, wt_models WHERE kind = 'calendar') a49
          ON a49.d = 49
        JOIN (SELECT d, rnn_predict_rows(day, v, m, 5) OVER (ORDER BY day) AS f FROM wt_gappy, wt_models WHERE kind = 'calendar') b
          ON b.d = 49
        JOIN (SELECT d, rnn_predict_rows(day, v, m, 5) OVER (ORDER BY day) AS f FROM wt_gappy, wt_models WHERE kind = 'calendar') c
          ON c.d = 48
        WHERE a.d = 53) AS four_step_forecast
FROM (SELECT d, rnn_anomaly(day, v, m) OVER (ORDER BY day) AS a FROM wt_gappy, wt_models WHERE kind = 'calendar') g
JOIN (SELECT d, rnn_anomaly(day, CASE WHEN d IN (50, 51, 52, 120, 305, 306) THEN NULL ELSE v END, m) OVER (ORDER BY day) AS a
      FROM wt_days, wt_models WHERE kind = 'calendar') n USING (d);

-- bigint steps: a model trained without timestamps numbers its steps from the first after
-- its training rows (1); its last training row is step 0
CREATE TABLE wt_none AS
SELECT rnn_train(v, rnn_config(horizon => 2, epochs => 2, hidden_size => 8, ensemble => 1, "window" => 6,
                              deseasonalize => false) ORDER BY d) AS m
FROM wt_days WHERE d < 300;
SELECT pg_temp.near(f, (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, 2))) AS stored_forecast
FROM (SELECT d, m, rnn_predict_rows((d - 299)::bigint, v, m, 2) OVER (ORDER BY d) AS f FROM wt_days, wt_none) s
WHERE d = 299;

-- the series of a global model: rnn_predict_rows(series, ts, ...) and rnn_anomaly(series, ts,
-- ...) forecast each partition's series with its own scale, seasonal indices and place in the
-- season, as rnn_forecast(model, series, horizon, level) does: at each series' last training
-- day its stored forecast, and the day after its step-1 forecast and interval. Three stores
-- of different sizes, the third starting 3 days later (another place in the week). Without the
-- series, each window is a series the model never saw, its pipeline from the partition's rows up
-- to it: over the training rows themselves, the series' stored forecast (since 2026-12-06; from
-- the window alone it differed)
CREATE TABLE wt_stores AS
SELECT s AS store, day, d, promo, v * 10 ^ (s - 1) + s AS v
FROM generate_series(1, 3) s, wt_days WHERE d >= CASE WHEN s = 3 THEN 3 ELSE 0 END;
CREATE TABLE wt_global AS
SELECT rnn_train(store::text, day, v, rnn_config(horizon => 3, epochs => 2, hidden_size => 8, ensemble => 1,
                                                 "window" => 14, theta_weight => 0, despike => false)) AS g
FROM wt_stores WHERE d < 300;
SELECT s.name, (x->'numbers'->>5)::int AS phase
FROM wt_global, rnn_model_series(g) s(name),
     jsonb_array_elements(rnn_model_to_json(g)->'series_state') x WHERE x->>'name' = s.name ORDER BY 1;
CREATE TABLE wt_series AS
SELECT store, d, rnn_predict_rows(store::text, day, v, g, 3) OVER w AS f,
       rnn_anomaly(store::text, day, v, g, 0.99) OVER w AS a,
       rnn_predict_rows(day, v, g, 3) OVER w AS unseen
FROM wt_stores, wt_global WINDOW w AS (PARTITION BY store ORDER BY day);
SELECT store, pg_temp.near(f, (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(g, store::text, 3)))
         AS stored_forecast,
       pg_temp.near(unseen, f) AS unseen_from_the_same_rows_as_stored
FROM wt_series, wt_global WHERE d = 299 ORDER BY store;
-- (the day after an unflagged row: after a flagged one the expected value is the two-step
-- forecast from the row before it)
SELECT store, (SELECT (p.a).is_anomaly FROM wt_series p WHERE p.store = wt_series.store AND p.d = 299)
         AS last_training_day_flagged,
       pg_temp.near(ARRAY[(a).expected, (a).lower, (a).upper], ARRAY[r.forecast, r.lower, r.upper])
         AS step_1_forecast_and_interval
FROM wt_series, wt_global, rnn_forecast(g, store::text, 1, 0.99) r WHERE d = 300 ORDER BY store;
-- a global model with features, and one with calendar features: each store's last training
-- day gives rnn_forecast(model, store, 2, 0.9, future)'s forecast and its stored one
CREATE TABLE wt_global_features AS
SELECT 'promo' AS kind, rnn_train(store::text, day, v, ARRAY[promo],
                                  rnn_config(horizon => 2, epochs => 2, hidden_size => 8, ensemble => 1, "window" => 14)) AS g
FROM wt_stores WHERE d < 300
UNION ALL
SELECT 'calendar', rnn_train(store::text, day, v, rnn_config(horizon => 2, epochs => 2, hidden_size => 8, ensemble => 1,
                                                             "window" => 14, calendar => true, theta_weight => 0))
FROM wt_stores WHERE d < 300;
SELECT 'promo' AS kind, store,
       pg_temp.near(f, (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(g, store::text, 2, 0.9, ARRAY[[0.0], [1.0]])))
         AS as_rnn_forecast
FROM (SELECT store, d, g, rnn_predict_rows(store::text, day, v, g, 2, ARRAY[promo]) OVER (PARTITION BY store ORDER BY day) AS f
      FROM wt_stores, wt_global_features WHERE kind = 'promo') x
WHERE d = 299
UNION ALL
SELECT 'calendar', store, pg_temp.near(f, (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(g, store::text, 2)))
FROM (SELECT store, d, g, rnn_predict_rows(store::text, day, v, g, 2) OVER (PARTITION BY store ORDER BY day) AS f
      FROM wt_stores, wt_global_features WHERE kind = 'calendar') x
WHERE d = 299 ORDER BY 1, 2;
-- absent days are gaps, as NULL values are
SELECT count(*) AS rows, count(*) FILTER (WHERE pg_temp.same(g.a, s.a) AND pg_temp.same(g.f, s.f)) AS as_null_rows
FROM (SELECT store, d, rnn_predict_rows(store::text, day, v, m, 3) OVER w AS f, rnn_anomaly(store::text, day, v, m) OVER w AS a
      FROM wt_stores, (SELECT g AS m FROM wt_global) k
      WHERE d NOT IN (50, 51, 52, 120, 305, 306) WINDOW w AS (PARTITION BY store ORDER BY day)) g
JOIN (SELECT store, d, rnn_predict_rows(store::text, day, CASE WHEN d IN (50, 51, 52, 120, 305, 306) THEN NULL ELSE v END, m, 3) OVER w AS f,
             rnn_anomaly(store::text, day, CASE WHEN d IN (50, 51, 52, 120, 305, 306) THEN NULL ELSE v END, m) OVER w AS a
      FROM wt_stores, (SELECT g AS m FROM wt_global) k WINDOW w AS (PARTITION BY store ORDER BY day)) s USING (store, d);
-- a global model with features after three NULL-valued days: the next day is compared
-- with the four-step forecast from the day before them with those days' features (past_gap:
-- five steps from the day before that one when it was flagged), in the
-- series form (the series' view of the model) and the form without a series (each window a
-- series of its own)
CREATE TABLE wt_gfgap AS
SELECT store, d, rnn_anomaly(store::text, day, v_null, g, 0.99, ARRAY[promo]) OVER w AS s,
       rnn_anomaly(day, v_null, g, 0.99, ARRAY[promo]) OVER w AS a,
       rnn_predict_rows(store::text, day, v_null, g, 5, ARRAY[promo]) OVER w AS fs,
       rnn_predict_rows(day, v_null, g, 5, ARRAY[promo]) OVER w AS fa
FROM (SELECT *, CASE WHEN d IN (50, 51, 52) THEN NULL ELSE v END AS v_null FROM wt_stores) x, wt_global_features
WHERE kind = 'promo' WINDOW w AS (PARTITION BY store ORDER BY day);
SELECT a.store, pg_temp.past_gap((a.s).expected, (b.s).is_anomaly, b.fs, c.fs) AS series_four_step,
       pg_temp.past_gap((a.a).expected, (b.a).is_anomaly, b.fa, c.fa) AS window_four_step
FROM wt_gfgap a JOIN wt_gfgap b ON b.store = a.store AND b.d = 49
JOIN wt_gfgap c ON c.store = a.store AND c.d = 48
WHERE a.d = 53 ORDER BY a.store;
-- errors: a series the model does not have, two series in a partition, a NULL series, a
-- model that is not global
SELECT rnn_anomaly('store 9', day, v, g) OVER (ORDER BY day) FROM wt_days, wt_global LIMIT 1;
SELECT rnn_predict_rows(store::text, day, v, g) OVER (ORDER BY day) FROM wt_stores, wt_global
WHERE (store = 1 AND d < 100) OR (store = 2 AND d >= 100);
SELECT rnn_anomaly(store::text, day, v, g) OVER (ORDER BY day, store) FROM wt_stores, wt_global;
SELECT rnn_predict_rows(NULL::text, day, v, g) OVER (ORDER BY day) FROM wt_days, wt_global LIMIT 1;
SELECT rnn_anomaly('1', day, v, m) OVER (ORDER BY day) FROM wt_days, wt_models WHERE kind = 'plain' LIMIT 1;

-- errors
CREATE TABLE wt_month AS
SELECT rnn_train(month, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 4, ensemble => 1, "window" => 4)) AS m
FROM (SELECT (date '2015-01-01' + make_interval(months => i))::date AS month, 10 + i % 5 AS v
      FROM generate_series(0, 39) i) r;
-- a row off the model's grid (the 15th of a month in a series of the 1st)
SELECT rnn_anomaly(ts, v, m) OVER (ORDER BY ts)
FROM (VALUES (date '2018-06-01', 1.0), (date '2018-06-15', 2.0)) r(ts, v), wt_month;
-- a duplicate timestamp
SELECT rnn_predict_rows(ts, v, m) OVER (ORDER BY ts)
FROM (VALUES (date '2018-06-01', 1.0), (date '2018-07-01', 2.0), (date '2018-07-01', 3.0)) r(ts, v), wt_month;
-- rows out of time order
SELECT rnn_anomaly(ts, v, m) OVER (ORDER BY v)
FROM (VALUES (date '2018-07-01', 1.0), (date '2018-06-01', 2.0)) r(ts, v), wt_month;
-- a NULL timestamp
SELECT rnn_anomaly(ts, v, m) OVER (ORDER BY v)
FROM (VALUES (date '2018-07-01', 1.0), (NULL::date, 2.0)) r(ts, v), wt_month;
-- timestamps of another type than the model's
SELECT rnn_anomaly(ts::timestamp, v, m) OVER (ORDER BY ts)
FROM (VALUES (date '2018-07-01', 1.0)) r(ts, v), wt_month;
-- features for a model without, none for a model with
SELECT rnn_anomaly(day, v, m, 0.99, ARRAY[promo]) OVER (ORDER BY day) FROM wt_days, wt_models WHERE kind = 'plain' LIMIT 1;
SELECT rnn_predict_rows(day, v, m, 2) OVER (ORDER BY day) FROM wt_days, wt_models WHERE kind = 'promo' LIMIT 1;
