-- timestamps: step inference, gaps, calendar months, duplicates, missing values
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;
SET TimeZone = 'UTC';

-- monthly dates on the first: forecasts fall on the first of the next months
CREATE TABLE monthly AS
SELECT (DATE '2015-01-01' + make_interval(months => i))::date AS d, 50 + 10 * sin(i * 2 * pi() / 12) AS v
FROM generate_series(0, 71) i;
CREATE TABLE mm AS SELECT rnn_train(d, v, rnn_config(hidden_size => 8, epochs => 10)) AS m FROM monthly;
SELECT rnn_model_info(m)->'time' AS time, rnn_model_info(m)->'season' AS season FROM mm;
SELECT step, ts FROM mm, rnn_forecast(m, 14) WHERE step IN (1, 2, 12, 13, 14);

-- month ends stay month ends
CREATE TABLE eom AS
SELECT (DATE '2016-02-01' + make_interval(months => i + 1))::date - 1 AS d, i::float8 AS v
FROM generate_series(0, 47) i;
SELECT min(d), max(d) FROM eom;
SELECT f.step, f.ts::date FROM (SELECT rnn_train(d, v, rnn_config(hidden_size => 4, epochs => 2)) m FROM eom) t,
       rnn_forecast(m, 3) f;
-- ... also after 28 February, which the last row alone cannot tell from the 28th of every
-- month: the model records month_end (it forecast the 28ths, refused the real month ends in
-- rnn_evaluate and the model's own rows in the ts window functions); rows on the 28th stay
-- on the 28th, and yearly rows on 28 February stay there
CREATE TABLE eom_feb AS SELECT rnn_train(d, v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1)) AS m
FROM eom WHERE d <= DATE '2019-02-28';
SELECT f.step, f.ts_local::date, (SELECT rnn_model_info(m)->'time'->'month_end' FROM eom_feb) AS month_end
FROM eom_feb, rnn_forecast(m, 3) f;
SELECT (rnn_evaluate(m, d, v)->>'points')::int AS scored_month_ends FROM eom_feb, eom WHERE d > DATE '2019-02-28' GROUP BY m;
SELECT count(r) AS window_results FROM (SELECT rnn_predict_rows(d, v, m, 1) OVER (ORDER BY d) AS r FROM eom, eom_feb WHERE d <= DATE '2019-02-28') x;
SELECT rnn_model_from_json(rnn_model_to_json(m)) = m AS json_round_trip FROM eom_feb;
-- month ends claimed for a last row that is not one are refused on import
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{time,month_end}', 'true'))
FROM (SELECT rnn_train((DATE '2016-01-15' + make_interval(months => i))::date, i::float8, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1)) m
      FROM generate_series(0, 37) i) t;
SELECT f.ts_local::date AS on_the_28th
FROM (SELECT rnn_train((DATE '2016-01-28' + make_interval(months => i))::date, i::float8, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1)) m
      FROM generate_series(0, 37) i) t, rnn_forecast(m, 2) f;
SELECT f.ts_local::date AS yearly_feb_28
FROM (SELECT rnn_train((DATE '1990-02-28' + make_interval(years => i))::date, i::float8, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1)) m
      FROM generate_series(0, 29) i) t, rnn_forecast(m, 2) f;
-- a global model's series keep their own, and the model its latest series' (which the forms
-- without a series name follow); a series' month_end on an axis of days is refused on import
CREATE TABLE eom_global AS SELECT rnn_train(s::text, d, v + s, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1)) m
FROM eom, generate_series(1, 2) s WHERE d <= DATE '2019-02-28';
SELECT f.ts_local::date AS global_month_ends, rnn_model_info(m)->'time'->'month_end' AS model_month_end
FROM eom_global, rnn_forecast(m, '1', 2) f;
SELECT count(r) AS window_results
FROM (SELECT rnn_predict_rows(d, v, m, 1) OVER (ORDER BY d) AS r FROM eom, eom_global WHERE d <= DATE '2019-02-28') x;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{series_state,0,month_end}', 'true'))
FROM (SELECT rnn_train(s::text, DATE '2024-01-01' + i, i::float8 + s, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1)) m
      FROM generate_series(0, 39) i, generate_series(1, 2) s) t;
-- rows without timestamps keep their last row's place through JSON (every byte back)
SELECT rnn_model_from_json(rnn_model_to_json(m)) = m AS order_by_round_trip, rnn_model_to_json(m)->'time' AS time
FROM (SELECT rnn_train(v, rnn_config(hidden_size => 4, epochs => 1, ensemble => 1) ORDER BY d) m FROM eom) t;

-- quarterly and yearly seasons come from the step
SELECT rnn_model_info(rnn_train(d, v, rnn_config(hidden_size => 4, epochs => 1)))->'season' AS quarterly
FROM (SELECT (DATE '2000-01-01' + make_interval(months => 3 * i))::date d, i::float8 v FROM generate_series(0, 39) i) q;
SELECT rnn_model_info(rnn_train(d, v, rnn_config(hidden_size => 4, epochs => 1)))->'time'->>'step' AS yearly
FROM (SELECT (DATE '1900-01-01' + make_interval(years => i))::date d, i::float8 v FROM generate_series(0, 39) i) y;

-- daily timestamps with gaps: the step is inferred and gaps are interpolated
CREATE TABLE gappy AS
SELECT TIMESTAMP '2024-01-01' + i * INTERVAL '1 day' AS ts, i::float8 AS v
FROM generate_series(0, 59) i WHERE i NOT IN (10, 11, 12, 40);
SELECT rnn_model_info(m)->'time'->>'step' AS step, rnn_model_info(m)->'training'->>'rows' AS rows,
       rnn_model_info(m)->'season' AS season
FROM (SELECT rnn_train(ts, v, rnn_config(hidden_size => 4, epochs => 1)) m FROM gappy) t;
SELECT step, ts FROM (SELECT rnn_train(ts, v, rnn_config(hidden_size => 4, epochs => 1)) m FROM gappy) t,
     rnn_forecast(m, 2);
-- the rows may come in any order
SELECT rnn_model_to_json(a)->'history' = rnn_model_to_json(b)->'history' AS order_free
FROM (SELECT rnn_train(ts, v, rnn_config(hidden_size => 4, epochs => 1)) a FROM (SELECT * FROM gappy ORDER BY ts) s) x,
     (SELECT rnn_train(ts, v, rnn_config(hidden_size => 4, epochs => 1)) b FROM (SELECT * FROM gappy ORDER BY ts DESC) s) y;
-- missing => 'error' refuses gaps and NULLs, naming the timestamp
SELECT rnn_train(ts, v, rnn_config(missing => 'error')) FROM gappy;
SELECT rnn_train(i::bigint, CASE WHEN i = 20 THEN NULL ELSE i END::float8, rnn_config(missing => 'error'))
FROM generate_series(1, 50) i;
-- rows without a value before the first value or after the last are no gap: left out (below)
SELECT rnn_model_info(rnn_train(i::bigint, CASE WHEN i IN (1, 50) THEN NULL ELSE i END::float8,
                                rnn_config(missing => 'error', epochs => 1)))->'training'->'rows' AS rows
FROM generate_series(1, 50) i;
-- a feature missing at the series' first or last value is (the row with both missing is left out)
SELECT rnn_train(i::bigint, i::float8, ARRAY[CASE WHEN i = 50 THEN NULL ELSE i END], rnn_config(missing => 'error', epochs => 1))
FROM generate_series(1, 50) i;
SELECT rnn_train(i::bigint, i::float8, ARRAY[CASE WHEN i = 1 THEN NULL ELSE i END], rnn_config(missing => 'error', epochs => 1))
FROM generate_series(1, 50) i;
SELECT rnn_model_info(rnn_train(i::bigint, CASE WHEN i = 50 THEN NULL ELSE i END::float8, ARRAY[CASE WHEN i = 50 THEN NULL ELSE i END],
                                rnn_config(missing => 'error', epochs => 1)))->'training'->'rows' AS rows
FROM generate_series(1, 50) i;
-- and a row left out may miss its feature while a later one left out has it
SELECT rnn_model_info(rnn_train(i::bigint, CASE WHEN i > 48 THEN NULL ELSE i END::float8, ARRAY[CASE WHEN i = 49 THEN NULL ELSE i END],
                                rnn_config(missing => 'error', epochs => 1)))->'training'->'rows' AS rows
FROM generate_series(1, 50) i;
-- NULL values are interpolated by default: the history holds the filled value
SELECT (rnn_model_to_json(rnn_train(i::bigint, CASE WHEN i = 99 THEN NULL ELSE i END::float8,
                                    rnn_config(hidden_size => 4, "window" => 4, epochs => 1)))->'history') AS history
FROM generate_series(1, 100) i;
-- rows without a value before the first value and after the last are left out (they would
-- be filled with the nearest value, made-up steps at the series' ends): the model is the one
-- trained on the rows from the first value to the last, and the forecasts start at the
-- first row without a value after the last one (before: after the last row, from a window
-- that ended in copies of the last value)
CREATE TABLE ta_ends AS
SELECT rnn_train(i::bigint, CASE WHEN i <= 3 OR i >= 98 THEN NULL ELSE sin(i / 4.0) + i / 50.0 END,
                 rnn_config(hidden_size => 4, "window" => 4, epochs => 2, ensemble => 1)) AS ends,
       rnn_train(i::bigint, sin(i / 4.0) + i / 50.0,
                 rnn_config(hidden_size => 4, "window" => 4, epochs => 2, ensemble => 1)) FILTER (WHERE i BETWEEN 4 AND 97) AS cut,
       rnn_train(date '2024-01-01' + i, CASE WHEN i >= 96 THEN NULL ELSE sin(i / 4.0) + i / 50.0 END, ARRAY[i % 7],
                 rnn_config(hidden_size => 4, "window" => 4, epochs => 2, ensemble => 1)) AS ends_features,
       rnn_train(date '2024-01-01' + i, sin(i / 4.0) + i / 50.0, ARRAY[i % 7],
                 rnn_config(hidden_size => 4, "window" => 4, epochs => 2, ensemble => 1)) FILTER (WHERE i < 96) AS cut_features
FROM generate_series(1, 100) i;
SELECT rnn_model_to_json(ends)->'state_dict' = rnn_model_to_json(cut)->'state_dict' AS same_weights,
       rnn_model_to_json(ends)->'history' = rnn_model_to_json(cut)->'history' AS same_history,
       rnn_model_info(ends)->'time' = rnn_model_info(cut)->'time' AS same_time,
       (SELECT array_agg(ts_bigint ORDER BY step) FROM rnn_forecast(ends, 2)) AS forecast_steps,
       rnn_model_to_json(ends_features)->'state_dict' = rnn_model_to_json(cut_features)->'state_dict' AS same_weights_features,
       (SELECT min(ts)::date FROM rnn_forecast(ends_features, 1, 0.9, ARRAY[[96 % 7]])) AS features_first_forecast
FROM ta_ends;
-- a global model's series each from its first value to its last
SELECT s, (SELECT min(ts_bigint) FROM rnn_forecast(m, s, 2)) AS first_forecast
FROM (SELECT rnn_train(k::text, i::bigint, CASE WHEN k = 2 AND i > 45 THEN NULL ELSE sin(i / 4.0) * k + 10 END,
                       rnn_config(hidden_size => 4, "window" => 4, epochs => 1, ensemble => 1)) AS m
      FROM generate_series(1, 2) k, generate_series(1, 50) i) g, rnn_model_series(m) s ORDER BY s;
DROP TABLE ta_ends;

-- duplicates are refused with the timestamp
SELECT rnn_train(d, 1.0, NULL) FROM (SELECT DATE '2020-01-01' + (i % 30) d FROM generate_series(1, 40) i) t;
SELECT rnn_train(i::bigint / 2, 1.0, NULL) FROM generate_series(1, 40) i;
-- jittered timestamps are refused, not filled with millions of points
SELECT rnn_train(TIMESTAMPTZ '2024-01-01 00:00+00' + i * INTERVAL '1 minute' + (i % 7) * INTERVAL '1 ms', 1.0, NULL)
FROM generate_series(1, 100) i;

-- bigint steps: ts is NULL in forecasts
SELECT step, ts IS NULL AS no_ts FROM (SELECT rnn_train(i::bigint * 5, sin(i::float8), rnn_config(hidden_size => 4, epochs => 1)) m
                                      FROM generate_series(1, 60) i) t, rnn_forecast(m, 2);
SELECT rnn_model_info(rnn_train(i::bigint * 5, sin(i::float8), rnn_config(hidden_size => 4, epochs => 1)))->'time' AS time
FROM generate_series(1, 60) i;

-- monthly rows but for one, on another day: the row is named as off the grid, as in a daily
-- series (the whole series was "too irregular to infer a step", 3,623 points); on the 1st,
-- on month ends with one on the 30th, and with an extra row mid-month
SELECT rnn_train(d, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1))
FROM (SELECT CASE WHEN i = 60 THEN date '2020-01-02' ELSE (date '2015-01-01' + make_interval(months => i))::date END AS d,
             100 + i::float8 AS v FROM generate_series(0, 119) i) s;
SELECT rnn_train(d, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1))
FROM (SELECT CASE WHEN i = 66 THEN date '2020-07-30' ELSE (date '2015-02-01' + make_interval(months => i))::date - 1 END AS d,
             100 + i::float8 AS v FROM generate_series(0, 119) i) s;
SELECT rnn_train(d, v, rnn_config(horizon => 2, epochs => 1, hidden_size => 2, ensemble => 1))
FROM (SELECT (date '2015-02-01' + make_interval(months => i))::date - 1 AS d, 100 + i::float8 AS v FROM generate_series(0, 119) i
      UNION ALL SELECT date '2020-07-15', 5) s;
