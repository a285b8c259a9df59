-- global models: one network trained across the series of a group
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
SET TimeZone = 'UTC';

-- 2 regions x 6 monthly series (level, trend and season of their own), and one short series
CREATE TABLE sales AS
SELECT r AS region, r || '-' || s AS store, date '2015-01-01' + (i || ' months')::interval AS day,
       (100 * s + 3 * i + 10 * s * sin(2 * pi() * i / 12) + 5 * sin(i * 7.1 + s)) * (CASE r WHEN 'north' THEN 1 ELSE 2 END) AS sales
FROM (VALUES ('north'), ('south')) rr(r), generate_series(1, 6) s, generate_series(0, 59) i;
INSERT INTO sales
SELECT 'north', 'north-new', date '2019-08-01' + (i || ' months')::interval, 50 + i
FROM generate_series(0, 4) i;

CREATE TABLE gm AS
SELECT region, rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 10)) AS model
FROM sales GROUP BY region;

-- one model per region; it knows its series and what it did to them
SELECT region, rnn_model_info(model)->'series' AS series,
       rnn_model_info(model)->'pipeline'->>'series_logged' AS logged,
       rnn_model_info(model)->'pipeline'->>'series_deseasonalized' AS deseasonalized,
       rnn_model_info(model)->>'strategy' AS strategy, rnn_model_info(model)->>'season' AS season
FROM gm ORDER BY region;
SELECT region, array_agg(s ORDER BY s) AS series FROM gm, rnn_model_series(model) s GROUP BY region ORDER BY region;
-- the model's time axis ends at its latest series' last row (it said 2000-01-01, the epoch)
SELECT region, rnn_model_info(model)->'time'->>'last' = (SELECT max(day)::date::text FROM sales s WHERE s.region = gm.region) AS last_is_latest
FROM gm ORDER BY region;
-- the recorded configuration keeps log and deseasonalize as given (null: chosen per series,
-- which the pipeline counts above; it recorded false, the single-series fields of a global model);
-- refit and epoch_size as training chose them (automatic: refit, every window per epoch; they
-- were recorded null)
SELECT region, rnn_model_info(model)->'config'->'log' AS config_log,
       rnn_model_info(model)->'config'->'deseasonalize' AS config_deseasonalize,
       rnn_model_info(model)->'config'->'refit' AS config_refit,
       rnn_model_info(model)->'config'->'epoch_size' AS config_epoch_size
FROM gm ORDER BY region;

-- forecasts for every series of every model: 6 steps each, on the monthly grid after each
-- series' own last month, positive intervals around the forecast (log series)
CREATE TABLE gf AS
SELECT region, s AS store, f.*
FROM gm, rnn_model_series(gm.model) s, rnn_forecast(gm.model, s, 6, 0.9) f;
SELECT region, count(*) AS rows, count(DISTINCT store) AS stores,
       bool_and(lower <= forecast AND forecast <= upper) AS ordered, bool_and(lower > 0) AS positive
FROM gf GROUP BY region ORDER BY region;
SELECT store, min(ts)::date AS first, max(ts)::date AS last FROM gf
WHERE store IN ('north-1', 'north-new') GROUP BY store ORDER BY store;
-- the short series (5 rows, shorter than the window) still gets a forecast near its level
SELECT bool_and(forecast BETWEEN 40 AND 80) AS plausible_short FROM gf WHERE store = 'north-new';
-- the forecasts follow each series: within 15% of the next 6 true values (no noise term)
WITH truth AS (
  SELECT r AS region, r || '-' || s AS store, h AS step,
         (100 * s + 3 * (59 + h) + 10 * s * sin(2 * pi() * (59 + h) / 12)) * (CASE r WHEN 'north' THEN 1 ELSE 2 END) AS actual
  FROM (VALUES ('north'), ('south')) rr(r), generate_series(1, 6) s, generate_series(1, 6) h)
SELECT region, avg(abs(f.forecast - t.actual) / t.actual) < 0.15 AS close
FROM gf f JOIN truth t USING (region, store, step) GROUP BY region ORDER BY region;

-- the same network forecasts a series it never saw, scaled by the history given
SELECT array_length(rnn_forecast(model, ARRAY[10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38]::float8[], 6), 1) AS steps,
       (rnn_forecast(model, ARRAY[10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38]::float8[], 1))[1] BETWEEN 30 AND 50 AS plausible
FROM gm WHERE region = 'north';

-- errors that say what to do
SELECT * FROM gm, rnn_forecast(gm.model, 'east-1', 3) WHERE region = 'north';
SELECT * FROM gm, rnn_forecast(gm.model, 3) WHERE region = 'north';
SELECT * FROM rnn_forecast((SELECT rnn_train(i::bigint, i::float8, rnn_config(epochs => 1, hidden_size => 2)) FROM generate_series(1, 40) i), 'a', 3);
SELECT rnn_train(NULL::text, day::date, sales, rnn_config()) FROM sales;
SELECT rnn_train(store, day::date, sales, rnn_config(epochs => 1))
FROM sales WHERE store = 'north-1' OR (store = 'north-2' AND extract(month FROM day) IN (1, 4, 7, 10));
SELECT rnn_train(store, day::date, sales, rnn_config(epochs => 1)) FROM sales WHERE day = date '2015-02-01';
SELECT rnn_train(store, CASE WHEN store = 'south-3' AND day = date '2016-01-01' THEN date '2016-02-01' ELSE day::date END,
                 sales, rnn_config(epochs => 1))
FROM sales WHERE region = 'south';
SELECT rnn_train(store, day::date, sales, rnn_config(strategy => 'seq2seq')) FROM sales;

SET rnn_forecast.max_series = 5;
SELECT rnn_train(store, day::date, sales, rnn_config(epochs => 1)) FROM sales WHERE region = 'south';
RESET rnn_forecast.max_series;

-- JSON round trip: the same forecasts for every series
SELECT bool_and(a.forecast = b.forecast AND a.lower = b.lower AND a.upper = b.upper AND a.ts = b.ts) AS same
FROM gm, rnn_model_series(gm.model) s, rnn_forecast(gm.model, s, 6) a
JOIN rnn_forecast(rnn_model_from_json(rnn_model_to_json(gm.model)), s, 6) b USING (step);
SELECT jsonb_array_length(rnn_model_to_json(model)->'series_state') AS exported_series FROM gm ORDER BY region;
-- the same bytes; a log flag or seasonal indices of the model's own in a global model's JSON
-- are refused (each series has its own)
SELECT region, rnn_model_from_json(rnn_model_to_json(model)) = model AS json_round_trip_bytes
FROM gm ORDER BY region;
-- so do models on bigint step numbers beyond 2^53 (epoch nanoseconds: JSON numbers were read
-- through a double, and refused beyond 9e15), one series and global, and the exported step
-- numbers are exact (17 digits of a double made ...0200 of the last one ...0300)
SELECT kind, rnn_model_from_json(rnn_model_to_json(m)) = m AS json_round_trip_bytes,
       coalesce(rnn_model_to_json(m)->'series_state'->0->'numbers'->0, rnn_model_to_json(m)->'time'->'last_value') AS last_value
FROM (SELECT 'global' AS kind, rnn_train('s' || k, 1717200000000000200 + i * 3600000000000, 100 * k + 10 * sin(i),
                                         rnn_config(epochs => 1, hidden_size => 2, ensemble => 1)) AS m
      FROM generate_series(1, 2) k, generate_series(0, 39) i
      UNION ALL
      SELECT 'one series', rnn_train(1717200000000000200 + i * 3600000000000, 100 + 10 * sin(i),
                                     rnn_config(epochs => 1, hidden_size => 2, ensemble => 1))
      FROM generate_series(0, 39) i
      UNION ALL
      -- a step beyond 9e15 (a year in nanoseconds) and the largest seed rnn_config takes
      SELECT 'yearly, largest seed', rnn_train(i * 31536000000000000, 100 + 10 * sin(i),
                                               rnn_config(epochs => 1, hidden_size => 2, ensemble => 1, seed => 9007199254740991))
      FROM generate_series(0, 39) i) x ORDER BY kind;
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(model), '{pipeline,log}', 'true')) FROM gm WHERE region = 'north';
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(model), '{pipeline,seasonal_indices}', '[0.1, -0.1, 0.1, -0.1, 0, 0, 0]'))
FROM gm WHERE region = 'north';

-- warm start: known series keep their pipeline, a new series joins, the weights move on
-- (nothing held out: with held-out windows the old weights are kept unless beaten there)
CREATE TABLE gm2 AS
SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 3, validation_fraction => 0),
                 (SELECT model FROM gm WHERE region = 'north')) AS model
FROM (SELECT store, day, sales FROM sales WHERE region = 'north'
      UNION ALL SELECT 'north-7', day, sales * 1.5 FROM sales WHERE store = 'north-1') s;
SELECT (rnn_model_info(model)->'series'->>'count')::int AS series,
       rnn_model_to_json(model)->'state_dict' <> (SELECT rnn_model_to_json(model)->'state_dict' FROM gm WHERE region = 'north') AS weights_changed
FROM gm2;
SELECT count(*) AS new_series_steps FROM gm2, rnn_forecast(gm2.model, 'north-7', 6);
-- the model joined to every row (stored out of line, as TOAST) is known by its stored value
-- without reading it at each row (a global warm start was O(rows x series)): the same model as
-- from a constant copy of it; each region's rows with their own region's model train, one
-- region's rows with two models do not
SELECT pg_column_size(g.model) > 2000 AS stored_out_of_line,
       rnn_model_to_json(rnn_train(s.store, s.day::date, s.sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1), g.model))->'state_dict'
       = (SELECT rnn_model_to_json(rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1),
                                             (SELECT model || ''::bytea FROM gm WHERE region = 'north')))->'state_dict'
          FROM sales WHERE region = 'north') AS same_as_constant
FROM sales s JOIN gm g USING (region) WHERE region = 'north' GROUP BY g.model;
SELECT s.region, rnn_model_info(rnn_train(s.store, s.day::date, s.sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1), g.model))->'series'->>'count' AS series
FROM sales s JOIN gm g USING (region) GROUP BY s.region, g.model ORDER BY s.region;
SELECT rnn_train(s.store, s.day::date, s.sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1), g.model)
FROM sales s, gm g WHERE s.region = 'north';
-- the count of short series comes from the series records on import, as training counts them
-- (it was taken from the document: a JSON without "series", or with another "short", said so)
SELECT rnn_model_info(rnn_model_from_json(jsonb_set(rnn_model_to_json(model), '{series,short}', '5')))->'series'
         = rnn_model_info(model)->'series' AS short_recounted,
       rnn_model_info(rnn_model_from_json(rnn_model_to_json(model) - 'series'))->'series'
         = rnn_model_info(model)->'series' AS without_series_key
FROM gm WHERE region = 'north';
-- the new model holds the series of its rows: known series without rows are not carried over,
-- and a NOTICE counts them (they went silently before 2026-12-06)
SELECT (rnn_model_info(rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1),
                                 (SELECT model FROM gm WHERE region = 'north')))->'series'->>'count')::int AS series
FROM sales WHERE store IN ('north-1', 'north-2');
SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 9),
                 (SELECT model FROM gm WHERE region = 'north')) FROM sales WHERE region = 'north';
SELECT rnn_train(store, day::date, sales, rnn_config(), (SELECT rnn_train(day::date, sales, rnn_config(epochs => 1, hidden_size => 2)) FROM sales WHERE store = 'north-1'))
FROM sales WHERE region = 'north';
-- and the other way: one series continued from a global model (it trained flat from none of
-- the model's scale, log and indices before 2026-12-06); under 'cold' it trains from scratch
SELECT rnn_train(day::date, sales, rnn_config(horizon => 6, hidden_size => 8), (SELECT model FROM gm WHERE region = 'north'))
FROM sales WHERE store = 'north-1';
SELECT rnn_model_info(rnn_train(day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1, on_init_mismatch => 'cold'),
                                (SELECT model FROM gm WHERE region = 'north')))->'pipeline'->>'log' AS cold_log
FROM sales WHERE store = 'north-1';
-- known series on fewer rows than two seasons (all but north-1: 20 months) keep
-- their seasonal indices, placed by the time axis (they lost them before 2026-12-06)
SELECT (rnn_model_info(g.model)->'pipeline'->>'series_deseasonalized')::int AS before,
       (rnn_model_info(w)->'pipeline'->>'series_deseasonalized')::int AS after_20_months,
       -- north-2 ends on the same month: its last row keeps its index
       (SELECT abs((a->'seasonal_indices'->>(a->'numbers'->>5)::int)::float8
                   - (b->'seasonal_indices'->>(b->'numbers'->>5)::int)::float8) < 1e-12
        FROM jsonb_array_elements(rnn_model_to_json(w)->'series_state') a,
             jsonb_array_elements(rnn_model_to_json(g.model)->'series_state') b
        WHERE a->>'name' = 'north-2' AND b->>'name' = 'north-2') AS placed
FROM gm g, LATERAL (SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1), g.model) AS w
                    FROM sales WHERE region = 'north' AND (day >= date '2018-05-01' OR store = 'north-1')) x
WHERE g.region = 'north';
-- a known series keeps its log: a value at or below 0 in a logged series, or a log => false,
-- is the log mismatch that names the series (it was 'log => true needs positive values',
-- with a hint to leave log unset, and 'cold' did not apply); 'cold' trains from scratch.
-- The one day at 0 is a spike the pipeline replaces (despike) before the log, so by default
-- the warm start continues (since 2026-12-08: the check read the 0 before); with
-- despike => false it is the mismatch, and 'cold' trains with north-2 not logged
SELECT rnn_model_info(w)->'pipeline'->>'series_logged' AS logged,
       rnn_model_info(w)->'pipeline'->>'series_spikes_replaced' AS spikes_replaced
FROM (SELECT rnn_train(store, day::date, CASE WHEN store = 'north-2' AND day = date '2019-03-01' THEN 0 ELSE sales END,
                       rnn_config(horizon => 6, hidden_size => 8, epochs => 1), (SELECT model FROM gm WHERE region = 'north')) AS w
      FROM sales WHERE region = 'north') x;
SELECT rnn_train(store, day::date, CASE WHEN store = 'north-2' AND day = date '2019-03-01' THEN 0 ELSE sales END,
                 rnn_config(horizon => 6, hidden_size => 8, epochs => 1, despike => false), (SELECT model FROM gm WHERE region = 'north'))
FROM sales WHERE region = 'north';
SELECT rnn_train(store, day::date, sales, rnn_config(horizon => 6, hidden_size => 8, epochs => 1, log => false),
                 (SELECT model FROM gm WHERE region = 'north'))
FROM sales WHERE region = 'north';
SELECT rnn_model_info(rnn_train(store, day::date, CASE WHEN store = 'north-2' AND day = date '2019-03-01' THEN 0 ELSE sales END,
                                rnn_config(horizon => 6, hidden_size => 8, epochs => 1, despike => false, on_init_mismatch => 'cold'),
                                (SELECT model FROM gm WHERE region = 'north')))->'pipeline'->>'series_logged' AS logged_after_cold
FROM sales WHERE region = 'north';

-- strategy auto is mixed for a global model (direct in 0.6.0); recursive or direct
-- when asked (a direct global model with its series' own Theta weights is format 9 with the
-- figures of the validation that chose them, format 7 without)
SELECT rnn_config(strategy => 'recursive')->>'strategy' AS asked,
       rnn_model_info(rnn_train(store, day::date, sales, rnn_config(strategy => 'recursive', epochs => 1, hidden_size => 2)))->>'strategy' AS trained
FROM sales WHERE region = 'south';
SELECT rnn_model_info(m)->>'strategy' AS strategy, pg_temp.content_format(m) AS format,
       pg_temp.content_format(rnn_model_from_json(rnn_model_to_json(m) - 'theta_validation')) AS without_validation,
       rnn_model_info(m)->>'members' AS members
FROM (SELECT rnn_train(store, day::date, sales, rnn_config(strategy => 'direct', epochs => 1, hidden_size => 2)) AS m
      FROM sales WHERE region = 'south') t;

-- the four timestamp types
SELECT t, rnn_model_info(m)->'time'->>'kind' AS kind, (rnn_model_info(m)->'series'->>'count')::int AS series
FROM (SELECT 'timestamptz' t, rnn_train(store, day::timestamptz, sales, rnn_config(epochs => 1, hidden_size => 2)) m FROM sales WHERE region = 'south'
      UNION ALL SELECT 'timestamp', rnn_train(store, day::timestamp, sales, rnn_config(epochs => 1, hidden_size => 2)) FROM sales WHERE region = 'south'
      UNION ALL SELECT 'bigint', rnn_train(store, (extract(year FROM day) * 12 + extract(month FROM day))::bigint, sales, rnn_config(epochs => 1, hidden_size => 2)) FROM sales WHERE region = 'south') x
ORDER BY t;

-- backtest of a global model on rolling origins: 2 folds of 6 steps, every series scored
-- (the short series keeps too few rows before the folds and is left out)
CREATE TABLE gb AS
SELECT region, rnn_backtest(store, day::date, sales, rnn_config(hidden_size => 4, epochs => 3), 6, 2) AS r
FROM sales GROUP BY region;
SELECT region, jsonb_array_length(r->'per_fold') AS folds, (r->>'points')::int AS points,
       jsonb_array_length(r->'per_series') AS series, (r->>'smape')::float8 < 15 AS smape_ok,
       (r->'per_fold'->0->>'steps_before_end')::int AS first_cut,
       (SELECT sum((x->>'points')::int) FROM jsonb_array_elements(r->'per_series') x) = (r->>'points')::int AS consistent
FROM gb ORDER BY region;
SELECT r->'per_series'->0->>'series' AS first_series, r->'per_series'->0 ? 'mase' AS has_mase,
       (r->'per_series'->0->>'msis')::float8 > 0 AS has_msis,
       -- every series in every fold: the overall MSIS is the mean of the series'
       abs((r->>'msis')::float8 - (SELECT avg((x->>'msis')::float8) FROM jsonb_array_elements(r->'per_series') x))
         < 1e-4 * (r->>'msis')::float8 AS msis_mean_of_series
FROM gb WHERE region = 'south';
SELECT rnn_backtest(store, day::date, sales, rnn_config(), 6, 0) FROM sales;
-- a series whose fold ends in steps without a value is cut at its last value and forecast
-- that many steps further, the other series at the fold's origin: south-2 without May and
-- June 2019, one fold of 6 from July; its MAE is that of the model trained on those rows,
-- scored on steps 3 to 8 of its forecast
CREATE TABLE gb_tail AS
SELECT rnn_backtest(store, day::date, CASE WHEN store = 'south-2' AND day >= date '2019-05-01'
                                                AND day < date '2019-07-01' THEN NULL ELSE sales END,
                    rnn_config(hidden_size => 4, epochs => 3), 6, 1) AS r
FROM sales WHERE region = 'south';
SELECT (r->>'points')::int AS points, x->'points' AS south2_points,
       abs((x->>'mae')::float8 - y.mae) < 1e-6 * y.mae AS south2_from_its_last_value
FROM gb_tail, jsonb_array_elements(r->'per_series') x,
     (SELECT avg(abs(f.forecast - s.sales)) AS mae
      FROM (SELECT rnn_train(store, day::date, sales, rnn_config(hidden_size => 4, epochs => 3, horizon => 6)) AS m
            FROM sales WHERE region = 'south' AND day < date '2019-07-01'
              AND NOT (store = 'south-2' AND day >= date '2019-05-01')) t,
           rnn_forecast(t.m, 'south-2', 8) f
      JOIN sales s ON s.store = 'south-2' AND s.day = f.ts
      WHERE f.step > 2) y
WHERE x->>'series' = 'south-2';
DROP TABLE gb_tail;
-- a fold's Theta-weight validation model, trained on each series without its tail, keeps
-- the fold model's seasonal indices when too few rows remain to estimate them (30 months,
-- fewer than two seasons once the tail is off), placed by the rows between, not
-- by the series' last timestamp (a fold's series keep theirs, 6 steps on): the fold scores
-- as the model trained on its rows forecasts (fails with the placement by time)
SELECT count(*) AS series, bool_and(abs((x->>'mae')::float8 - y.mae) < 1e-5 * y.mae) AS fold_as_trained
FROM (SELECT rnn_backtest(store, day::date, sales, rnn_config(hidden_size => 4, epochs => 3), 6, 1) AS r
      FROM sales WHERE region = 'south' AND day < date '2015-01-01' + interval '36 months') b,
     jsonb_array_elements(b.r->'per_series') x,
     (SELECT s AS store, avg(abs(f.forecast - v.sales)) AS mae
      FROM (SELECT rnn_train(store, day::date, sales, rnn_config(hidden_size => 4, epochs => 3, horizon => 6)) AS m
            FROM sales WHERE region = 'south' AND day < date '2015-01-01' + interval '30 months') t,
           rnn_model_series(t.m) s, rnn_forecast(t.m, s, 6) f, sales v
      WHERE v.store = s AND v.day = f.ts
      GROUP BY s) y
WHERE x->>'series' = y.store;
-- a series whose gap leaves it fewer than two steps before the fold is left out of it (and
-- of the scores), the others scored as before
SELECT jsonb_path_query_array(r, '$.per_fold[*].series') AS fold_series,
       jsonb_path_query_array(r, '$.per_series[*].series') AS scored
FROM (SELECT rnn_backtest(store, day::date, CASE WHEN store = 'south-2' AND day >= date '2015-02-01'
                                                 AND day < date '2019-07-01' THEN NULL ELSE sales END,
                          rnn_config(hidden_size => 4, epochs => 1), 6, 1) AS r
      FROM sales WHERE region = 'south') x;

-- intervals for series too short for a held-out end: four series of 20 steps, window 8,
-- horizon 6 (a held-out end needs 6 + 2 x 8 = 22 rows): the errors of the last 6 steps of
-- each series calibrate the intervals, widened for resting on 4 origins, not none at all
CREATE TABLE gshort AS
SELECT rnn_train('s' || k, i::bigint, 100 + 3 * i + 10 * sin(i * k), rnn_config(horizon => 6, epochs => 3, hidden_size => 4) || '{"window": 8}') AS model
FROM generate_series(1, 4) k, generate_series(1, 20) i;
SELECT c->>'steps' AS steps, c->>'samples' AS samples, c->>'few_samples' AS few_samples
FROM (SELECT rnn_model_info(model)->'calibration' AS c FROM gshort) x;
SELECT count(*) AS steps, bool_and(lower < forecast AND forecast < upper) AS around,
       bool_and(upper - lower >= 0) AS ordered
FROM gshort, rnn_model_series(gshort.model) s, rnn_forecast(gshort.model, s, 6) f;

-- a series of zeros in a global model of small values has neither spread nor level: it takes
-- the model's median scale in the values' units, so its intervals are of the others' size
-- (before 2026-12-06 its scale was 1 in any unit: +-3.96 beside series of 0.001 to 0.004), and
-- a history of zeros forecasts about 0, not the network's drift times 1
CREATE TABLE gzero AS
SELECT c.log, rnn_train(s, d::bigint, v, rnn_config(horizon => 4, epochs => 3, hidden_size => 4, ensemble => 1) || c.cfg) AS m
FROM (SELECT 's' || k AS s, d, 0.001 * k + 0.0001 * sin(d * 2 * pi() / 7) + 0.000003 * d * k AS v
      FROM generate_series(1, 3) k, generate_series(0, 99) d
      UNION ALL SELECT 'zero', d, 0 FROM generate_series(0, 99) d) x,
     (VALUES ('automatic', '{}'::jsonb), ('false', '{"log": false}')) c(log, cfg)
GROUP BY c.log, c.cfg;
SELECT log, s = 'zero' AS zero, bool_and(forecast = 0) AS forecast_zero,
       max(upper - lower) < 0.01 AS width_of_the_data
FROM gzero, rnn_model_series(m) s, rnn_forecast(m, s, 4) f GROUP BY log, s = 'zero' ORDER BY 1, 2;
-- (log => false: a model of format 10, whose stored series keep no spread of their own)
SELECT log, rnn_model_info(m)->>'format_version' AS format,
       (SELECT max(abs(x)) FROM unnest(rnn_forecast(m, array_fill(0::float8, ARRAY[30]), 4)) x) < 1e-3 AS zero_history_about_zero
FROM gzero ORDER BY log;
DROP TABLE gzero;
-- a series far calmer than the model's others (1e9 that moves by 2, beside three near 100 to
-- 300): its errors enter the pooled calibration divided by (its spread / the shared scale)^0.5,
-- so it moves the others' intervals little (a factor proportional to the ratio, tried on
-- 2026-12-07 for the calm series' own intervals, made series 1's [7.4e-37, 1.3e40]: reverted)
CREATE TABLE g_calm AS SELECT s::text AS s, i::bigint AS t, (100 * s + 10 * sin(i) + (i * 7919 % 13))::float8 AS v
FROM generate_series(1, 3) s, generate_series(1, 30) i;
SELECT (w.hi - w.lo) / (o.hi - o.lo) BETWEEN 0.5 AND 2 AS others_alike
FROM (SELECT lower AS lo, upper AS hi
      FROM (SELECT rnn_train(s, t, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1, season => 1, theta_weight => 0, "window" => 4)) AS m
            FROM (SELECT * FROM g_calm UNION ALL SELECT 'big', i, 1e9 + (i % 3) FROM generate_series(1, 30) i) x) y,
           rnn_forecast(m, '1', 2) WHERE step = 1) w,
     (SELECT lower AS lo, upper AS hi
      FROM (SELECT rnn_train(s, t, v, rnn_config(epochs => 2, hidden_size => 4, ensemble => 1, season => 1, theta_weight => 0, "window" => 4)) AS m
            FROM g_calm) y,
           rnn_forecast(m, '1', 2) WHERE step = 1) o;
DROP TABLE g_calm;

-- log series share one scale in a global model (the median spread of their changes), and each
-- keeps its own spread (format 11): its intervals are calibrated in it, so on the log scale a
-- series' half-width is the shared one times (its spread / the shared scale)^0.5, the same
-- factor at every step; a noisy series gets wider intervals than a calm one.  Without the
-- spreads (a model of format 10) every series gets the shared half-width.
CREATE TABLE gspread AS
SELECT rnn_train(s, i::bigint, 100 * exp(0.01 * i + a * sin(i * 7.1 + a * 40)), rnn_config(horizon => 4, epochs => 3, hidden_size => 4) || '{"window": 8}') AS model
FROM (VALUES ('calm', 0.01), ('mid', 0.05), ('mid2', 0.06), ('wild', 0.2)) v(s, a), generate_series(1, 60) i
GROUP BY ();
CREATE TABLE gspread_w AS
SELECT f.model, s, step, ln(upper / forecast) AS up, ln(forecast / lower) AS down,
       (j->>'spread')::float8 / (j->'numbers'->>3)::float8 AS ratio
FROM (SELECT 'kept' AS model, model AS m FROM gspread
      UNION ALL SELECT 'dropped', rnn_model_from_json(jsonb_set(rnn_model_to_json(model), '{series_state}',
          (SELECT jsonb_agg(e - 'spread' ORDER BY o) FROM jsonb_array_elements(rnn_model_to_json(model)->'series_state') WITH ORDINALITY x(e, o))))
      FROM gspread) f(model, m),
     rnn_model_series(f.m) s, rnn_forecast(f.m, s, 4) r,
     jsonb_array_elements(rnn_model_to_json(f.m)->'series_state') j
WHERE j->>'name' = s;
SELECT rnn_model_info(model)->>'format_version' AS format,
       (SELECT count(*) FROM jsonb_array_elements(rnn_model_to_json(model)->'series_state') e WHERE e ? 'spread') AS spreads,
       rnn_model_info(model)->'calibration'->>'series_own_spread' AS own_spread,
       rnn_model_from_json(rnn_model_to_json(model)) = model AS json_round_trip_bytes
FROM gspread;
-- each series' log half-width over calm's at the same step: sqrt(ratio / calm's ratio) with the
-- spreads, 1 without; up and down alike
SELECT w.model, w.s, round(w.ratio::numeric, 2) AS spread_over_scale,
       bool_and(abs(w.up / c.up - CASE w.model WHEN 'kept' THEN sqrt(coalesce(w.ratio, 1) / coalesce(c.ratio, 1)) ELSE 1 END) < 1e-9
                AND abs(w.up - w.down) < 1e-9) AS half_width_as_spread
FROM gspread_w w JOIN gspread_w c ON c.model = w.model AND c.s = 'calm' AND c.step = w.step
GROUP BY w.model, w.s, w.ratio ORDER BY w.model DESC, w.s;
-- a log series' own training history, given as a history the model did not keep, is read on
-- the scale the log series share, as in training: it gives the series' stored forecast
-- exactly (at one Theta weight for all: a history the model did not keep takes the model's)
CREATE TABLE gspread_fixed AS
SELECT rnn_train(s, i::bigint, 100 * exp(0.01 * i + a * sin(i * 7.1 + a * 40)), rnn_config(horizon => 4, epochs => 3, hidden_size => 4, theta_weight => 0.5) || '{"window": 8}') AS model
FROM (VALUES ('calm', 0.01), ('mid', 0.05), ('mid2', 0.06), ('wild', 0.2)) v(s, a), generate_series(1, 60) i
GROUP BY ();
SELECT s, max(abs(x.f / k.forecast - 1)) AS history_form_off_by
FROM gspread_fixed g, rnn_model_series(g.model) s, rnn_forecast(g.model, s, 4) k,
     LATERAL unnest(rnn_forecast(g.model, (SELECT array_agg(100 * exp(0.01 * i + a * sin(i * 7.1 + a * 40)) ORDER BY i)
                                          FROM (VALUES ('calm', 0.01), ('mid', 0.05), ('mid2', 0.06), ('wild', 0.2)) v(n, a),
                                               generate_series(1, 60) i WHERE n = s), 4)) WITH ORDINALITY x(f, step)
WHERE x.step = k.step
GROUP BY s ORDER BY s;
-- the same for models trained without the log or without seasonal indices: a history goes
-- through the pipeline the model's series took (before 2026-12-06 its log and indices were
-- chosen on the history itself, so a kept series' own history did not give its stored
-- forecast), and rnn_predict over a series' rows is that history form (it puts up to 1,000
-- rows through a global model's pipeline; before, a model without Theta read only its window,
-- too few to scale the series and place its season)
CREATE TABLE gpipe_rows AS
SELECT s AS store, date '2024-01-01' + d AS day, 100 * s + 10 * sin(2 * pi() * d / 7) + d / 20.0 + 3 * sin(d * s) AS v
FROM generate_series(1, 3) s, generate_series(0, 199) d;
CREATE TABLE gpipe AS
SELECT k, rnn_train(store::text, day, v, cfg) AS model
FROM gpipe_rows,
     (VALUES ('default', rnn_config(horizon => 7, epochs => 3, hidden_size => 8, ensemble => 1, theta_weight => 0)),
             ('log => false', rnn_config(horizon => 7, epochs => 3, hidden_size => 8, ensemble => 1, theta_weight => 0, log => false)),
             ('deseasonalize => false', rnn_config(horizon => 7, epochs => 3, hidden_size => 8, ensemble => 1, theta_weight => 0,
                                                   deseasonalize => false))) c(k, cfg)
GROUP BY k;
SELECT g.k, max(abs(h.f / s.forecast - 1)) < 1e-9 AS history_form_is_stored,
       max(abs(p.f / s.forecast - 1)) < 1e-9 AS rnn_predict_is_stored
FROM gpipe g, rnn_forecast(g.model, '1', 3) s,
     unnest(rnn_forecast(g.model, (SELECT array_agg(v ORDER BY day) FROM gpipe_rows WHERE store = 1), 3)) WITH ORDINALITY h(f, step),
     unnest((SELECT rnn_predict(v, g.model, 3 ORDER BY day) FROM gpipe_rows WHERE store = 1)) WITH ORDINALITY p(f, step)
WHERE h.step = s.step AND p.step = s.step
GROUP BY g.k ORDER BY g.k;
-- a series kept on its values (not logged: a constant one is never) without a spread of its
-- own, a constant or a single row, is scaled by its level times the log series' shared scale,
-- so its forecast stays near its value and its interval is relative like theirs (before
-- 2026-12-06 it was scaled by its magnitude: a constant 42.5 got 41.88 in [-107, 191], a row of
-- 150 147.8 in [-378, 674], where a varying series had +-7%)
CREATE TABLE gconst AS
SELECT rnn_train(s, day, v, rnn_config(horizon => 3, epochs => 2, hidden_size => 8, ensemble => 1)) AS model
FROM (SELECT 'a' AS s, date '2024-01-01' + d AS day, 100 + 10 * sin(2 * pi() * d / 7) + d / 20.0 + 3 * sin(d) AS v FROM generate_series(0, 199) d
      UNION ALL SELECT 'b', date '2024-01-01' + d, 200 + 10 * sin(2 * pi() * d / 7) + 3 * sin(2 * d) FROM generate_series(0, 199) d
      UNION ALL SELECT 'const', date '2024-01-01' + d, 42.5 FROM generate_series(0, 199) d
      UNION ALL SELECT 'one', date '2024-07-18', 150) r;
SELECT s, max(abs(f.forecast / v.v - 1)) < 0.01 AS forecast_within_1pct,
       max((f.upper - f.lower) / f.forecast) < 0.3 AS interval_under_30pct,
       bool_and(f.lower > 0) AS lower_positive
FROM gconst, (VALUES ('const', 42.5), ('one', 150)) v(s, v), rnn_forecast(model, v.s, 2, 0.9) f
GROUP BY s ORDER BY s;
SELECT max((f.upper - f.lower) / f.forecast) < 0.3 AS varying_series_interval_under_30pct
FROM gconst, rnn_forecast(model, 'a', 2, 0.9) f;
-- the constant series' rows as a history (scaled as the model scaled them, not by their
-- magnitude) give its stored forecast
SELECT v.s, max(abs(h.f / f.forecast - 1)) < 1e-9 AS history_form_is_stored
FROM gconst, (VALUES ('const', ARRAY(SELECT 42.5::float8 FROM generate_series(0, 199)))) v(s, hist),
     rnn_forecast(model, v.s, 2) f, unnest(rnn_forecast(model, v.hist, 2)) WITH ORDINALITY h(f, step)
WHERE h.step = f.step GROUP BY v.s ORDER BY v.s;
-- the step of a global model comes from every row's timestamp, also of a series with one value
SELECT rnn_train(s, d, v, rnn_config(epochs => 1, hidden_size => 2, ensemble => 1))
FROM (SELECT 'daily' AS s, date '2024-01-01' + i AS d, 10 + sin(i) AS v FROM generate_series(0, 59) i
      UNION ALL SELECT 'weekly', date '2024-01-01' + 7 * i, CASE WHEN i = 0 THEN 5 END FROM generate_series(0, 4) i) r;
-- where the median series leaves no room for the horizon, the automatic window is half of what
-- the longest leaves (it was two seasons, 14 days, and no series fitted); where none leaves
-- any, the error names the rows the shortest window needs (it named the window of 14)
SELECT rnn_model_info(rnn_train(s::text, date '2024-01-01' + d, (s * 10 + d)::float8,
                                rnn_config(epochs => 1, hidden_size => 2, ensemble => 1, horizon => 4)))->'window' AS window
FROM generate_series(1, 3) s, generate_series(0, 11) d WHERE s = 3 OR d < 2;
SELECT rnn_train(s::text, date '2024-01-01' + d, (s * 10 + d)::float8,
                 rnn_config(epochs => 1, hidden_size => 2, ensemble => 1, horizon => 4))
FROM generate_series(1, 3) s, generate_series(0, 1) d;
