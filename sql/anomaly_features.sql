-- rnn_anomaly(value, model, level, features) and rnn_predict_rows(value, model, horizon,
-- features): the window functions with models trained with covariates, each row passing its
-- own features. The Mauna Loa CO2 series (data/co2.csv, 468 months) with promotions: one
-- month in 8 (chosen by md5 of the month number, so not periodic) lifted by 2 ppm and
-- flagged promo = 1; models with and without the flag trained on the first 400 months, then
-- the anomalies of sql/anomaly.sql injected in the last 68 (never on a promotion month).
-- The models keep no seasonal indices (deseasonalize => false; the window of 24 months holds
-- two seasons): a window function's rows carry no timestamps, so a deseasonalized model
-- guesses each window's place in the season from its values, and a promotion can mislead it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
SET extra_float_digits = 0;

CREATE TABLE af_co2 (ts date, value float8);
\copy af_co2 FROM 'data/co2.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE af_co2 ADD COLUMN k int, ADD COLUMN kind text, ADD COLUMN promo float8;
UPDATE af_co2 a SET k = n.k FROM (SELECT ts, row_number() OVER (ORDER BY ts) AS k FROM af_co2) n WHERE n.ts = a.ts;
UPDATE af_co2 SET kind = CASE WHEN k IN (410, 425, 450) THEN 'spike' WHEN k IN (415, 440) THEN 'dropout'
                              WHEN k BETWEEN 455 AND 460 THEN 'shift' END;
UPDATE af_co2 SET promo = CASE WHEN kind IS NULL AND get_byte(decode(md5('promo' || k), 'hex'), 0) < 32
                               THEN 1 ELSE 0 END;
UPDATE af_co2 SET value = value + 2 * promo;
SELECT count(*) FILTER (WHERE promo = 1 AND k <= 400) AS promotions_trained,
       string_agg(k::text, ',' ORDER BY k) FILTER (WHERE promo = 1 AND k > 400) AS promotions_after
FROM af_co2;

CREATE TABLE af_models AS
SELECT 'plain' AS kind, rnn_train(ts, value, rnn_config(horizon => 1, epochs => 30, hidden_size => 16, ensemble => 1, deseasonalize => false)) AS m
FROM af_co2 WHERE k <= 400
UNION ALL
SELECT 'features', rnn_train(ts, value, ARRAY[promo], rnn_config(horizon => 1, epochs => 30, hidden_size => 16, ensemble => 1, deseasonalize => false))
FROM af_co2 WHERE k <= 400
UNION ALL
-- a cheaper one on the first 300 months, whose last row lies in the second batch of 256 rows
SELECT 'features300', rnn_train(ts, value, ARRAY[promo], rnn_config(horizon => 1, epochs => 5, hidden_size => 8, ensemble => 1, deseasonalize => false))
FROM af_co2 WHERE k <= 300;
SELECT kind, (rnn_model_info(m)->>'window')::int AS "window", rnn_model_info(m)->'features'->'user' AS user_features
FROM af_models ORDER BY kind;

-- rnn_predict_rows with features at a model's last training row is rnn_forecast's forecast
-- from the same history with the features of the rows after it as the future (3 steps,
-- recursive: the output size is 1); the rows whose steps run past the partition's end and
-- the first window - 1 rows are NULL.  The two forms add a window's recurrent products in
-- different orders (one history, a batch of histories), so they agree to a few float32
-- ulps of the scaled value: about 1e-9 of a CO2 level in the log scaling's units
CREATE TABLE af_rows AS
SELECT k, rnn_predict_rows(value, m, 3, ARRAY[promo]) OVER (ORDER BY ts) AS f
FROM af_co2, af_models WHERE af_models.kind = 'features' AND k <= 403;
SELECT count(*) FILTER (WHERE f IS NULL AND k < 24) AS null_before_window,
       count(*) FILTER (WHERE f IS NULL AND k > 400) AS null_at_end,
       count(*) FILTER (WHERE f IS NOT NULL) AS forecasts
FROM af_rows;
SELECT r.step, abs(a.f[r.step] - r.forecast) <= 1e-8 * abs(r.forecast) AS equals_rnn_forecast
FROM af_rows a, af_models m,
     rnn_forecast(m.m, 3, 0.99, (SELECT array_agg(promo ORDER BY k) FROM af_co2 WHERE k BETWEEN 401 AND 403)) r
WHERE a.k = 400 AND m.kind = 'features' ORDER BY r.step;
-- rows after the last training row whose values are not known yet (NULL; their features
-- are): their windows end in missing values, so they move back to the last training row, and
-- the row g after it gets rnn_forecast's steps g + 1 .. g + 3 from there, the features of every
-- step between known (before, the NULLs were filled with the last value and forecast from)
SELECT a.k, a.k - 400 AS g, r.step - (a.k - 400) AS step,
       abs(a.f[r.step - (a.k - 400)] - r.forecast) <= 1e-8 * abs(r.forecast) AS equals_rnn_forecast
FROM (SELECT k, rnn_predict_rows(CASE WHEN k <= 400 THEN value END, m, 3, ARRAY[promo]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features' AND k <= 405) a, af_models m,
     rnn_forecast(m.m, 5, 0.99, (SELECT array_agg(promo ORDER BY k) FROM af_co2 WHERE k BETWEEN 401 AND 405)) r
WHERE a.k IN (401, 402) AND m.kind = 'features' AND r.step > a.k - 400 AND r.step <= a.k - 400 + 3
ORDER BY a.k, r.step;
-- the same in the middle of a longer partition, in its second batch
SELECT r.step, abs(a.f[r.step] - r.forecast) <= 1e-8 * abs(r.forecast) AS equals_rnn_forecast
FROM (SELECT k, rnn_predict_rows(value, m, 3, ARRAY[promo]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features300') a, af_models m,
     rnn_forecast(m.m, 3, 0.99, (SELECT array_agg(promo ORDER BY k) FROM af_co2 WHERE k BETWEEN 301 AND 303)) r
WHERE a.k = 300 AND m.kind = 'features300' ORDER BY r.step;
-- the promotion reaches the forecast: the forecast for a promotion month is about 2 ppm above
-- the same history's forecast without it (2.2 to 2.3 with the BLAS kernels seen so far)
SELECT abs(a.f[1] - b.f[1] - 2) < 0.5 AS promotion_effect_about_2
FROM (SELECT k, rnn_predict_rows(value, m, 1, ARRAY[CASE WHEN k = 401 THEN 1 ELSE promo END]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features' AND k <= 401) a
JOIN (SELECT k, rnn_predict_rows(value, m, 1, ARRAY[CASE WHEN k = 401 THEN 0 ELSE promo END]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features' AND k <= 401) b USING (k)
WHERE k = 400;

-- now the anomalies: spikes of +4 ppm, dropouts to 0, a level shift of +3 ppm
UPDATE af_co2 SET value = CASE kind WHEN 'spike' THEN value + 4 WHEN 'dropout' THEN 0 WHEN 'shift' THEN value + 3 END
WHERE kind IS NOT NULL;
CREATE TABLE af_out AS
SELECT 'plain' AS model, c.k, c.value, c.kind, c.promo, (rnn_anomaly(c.value, m.m) OVER (ORDER BY c.ts)).*
FROM af_co2 c, af_models m WHERE m.kind = 'plain'
UNION ALL
SELECT 'features', c.k, c.value, c.kind, c.promo, (rnn_anomaly(c.value, m.m, 0.99, ARRAY[c.promo]) OVER (ORDER BY c.ts)).*
FROM af_co2 c, af_models m WHERE m.kind = 'features';

-- the expected value is the previous row's one-step rnn_predict_rows forecast with features
-- (the row's own features are its forecast step's), on all 468 rows (two batches) but the
-- two after a dropout (a value the logged model cannot read, the dropouts' 0, is a gap in
-- rnn_anomaly's windows: NULL for rnn_predict_rows) and the two after those; after a flagged
-- row, which the window leaves out, the two-step forecast from the row before it with the
-- flagged row's features and its own (to float32 rounding: a window alone)
-- (the window calls are MATERIALIZED: computed once, whatever the join's plan; a nested loop
-- that rescanned one per row of af_out took 254 s under valgrind, on 2026-12-07)
WITH p AS MATERIALIZED (
    SELECT k, (rnn_predict_rows(CASE WHEN value > 0 THEN value END, m, 1, ARRAY[promo]) OVER (ORDER BY ts))[1] AS f
    FROM af_co2, af_models WHERE af_models.kind = 'features'),
p2 AS MATERIALIZED (
    SELECT k, rnn_predict_rows(CASE WHEN value > 0 THEN value END, m, 2, ARRAY[promo]) OVER (ORDER BY ts) AS f
    FROM af_co2, af_models WHERE af_models.kind = 'features')
SELECT count(*) AS compared, count(*) FILTER (WHERE b.is_anomaly) > 5 AS many_after_a_flag,
       count(*) FILTER (WHERE CASE WHEN b.is_anomaly THEN abs(o.expected - p2.f[2]) > 1e-6 * abs(p2.f[2])
                                   ELSE abs(o.expected - p.f) > 1e-9 * greatest(1, abs(p.f)) END) AS expected_differs,
       count(*) FILTER (WHERE (o.expected IS NULL) <> (p.f IS NULL)) AS null_differs
FROM af_out o
JOIN af_out b ON b.model = o.model AND b.k = o.k - 1
JOIN p ON p.k = o.k - 1
LEFT JOIN p2 ON p2.k = o.k - 2
WHERE o.model = 'features' AND o.k - 1 NOT IN (SELECT k FROM af_co2 WHERE kind = 'dropout')
  AND o.k - 2 NOT IN (SELECT k FROM af_co2 WHERE kind = 'dropout');
-- after a dropout, the row is compared with the forecast two steps ahead from the month
-- before the gap, with the features of the dropout month and its own (rnn_predict_rows
-- there, horizon 2, to float32 rounding), and with the interval of two steps: on the model's
-- log scale its width is that of rnn_forecast's step 2, whatever the origin (before
-- 2026-12-07 this compared widths in ppm with the row before the gap's one-step interval,
-- which a build whose weights round differently (the baseline x86-64's, RNN_CLONES=0) made
-- the wider: its steps 1 and 2 have the same log width, and that row's level is higher)
-- (before 2026-12-05 a model with features filled the gap with the last value and compared
-- the row with a one-step forecast: both months after the dropouts were flagged)
SELECT o.k, abs(o.expected - p.f[2]) <= 1e-6 * abs(p.f[2]) AS two_step_forecast,
       abs(ln(o.upper / o.lower) - (SELECT ln(upper / lower) FROM af_models, rnn_forecast(m, 2, 0.99, ARRAY[0, 0])
                                    WHERE kind = 'features' AND step = 2)) <= 1e-9 * ln(o.upper / o.lower)
           AS two_step_interval,
       o.is_anomaly
FROM af_out o
JOIN (SELECT k, rnn_predict_rows(CASE WHEN value > 0 THEN value END, m, 2, ARRAY[promo]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features') p ON p.k = o.k - 2
JOIN af_out b ON b.k = o.k - 2 AND b.model = 'features'
WHERE o.model = 'features' AND o.k - 1 IN (SELECT k FROM af_co2 WHERE kind = 'dropout') ORDER BY o.k;
-- a gap of two months whose second is a promotion (429, 430 NULL): month 431 is compared
-- with the forecast three steps ahead from 428 with the features of 429, 430 and 431 in
-- that order (rnn_predict_rows there, horizon 3), not the one without 430's promotion
SELECT abs(a.e - p.f[3]) <= 1e-6 * abs(p.f[3]) AS three_step_forecast,
       abs(a.e - q.f[3]) > 1e-3 AS gap_promotion_read
FROM (SELECT k, (rnn_anomaly(CASE WHEN k IN (429, 430) THEN NULL ELSE value END, m, 0.99, ARRAY[promo])
                 OVER (ORDER BY ts)).expected AS e
      FROM af_co2, af_models WHERE af_models.kind = 'features') a
JOIN (SELECT k, rnn_predict_rows(CASE WHEN k IN (429, 430) OR value <= 0 THEN NULL ELSE value END, m, 3, ARRAY[promo])
                OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features') p ON p.k = a.k - 3
JOIN (SELECT k, rnn_predict_rows(CASE WHEN k IN (429, 430) OR value <= 0 THEN NULL ELSE value END, m, 3,
                                 ARRAY[CASE WHEN k = 430 THEN 0 ELSE promo END]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features') q ON q.k = a.k - 3
WHERE a.k = 431;
SELECT count(*) FILTER (WHERE is_anomaly <> (value < lower OR value > upper)) AS flag_differs,
       count(*) FILTER (WHERE is_anomaly <> (score > 0.995)) AS score_differs,
       count(*) FILTER (WHERE score < 0.5 OR score > 1) AS score_out_of_range,
       count(*) FILTER (WHERE expected IS NULL) AS no_forecast
FROM af_out WHERE model = 'features';

-- what the figures of test/bench/anomaly_features.sh show (precision, recall, errors and
-- flags per model; their counts follow the trained weights, which move with the CPU's BLAS
-- kernels), as comparisons: with the flag the promotion months are forecast with less than
-- half the plain model's error and flagged less often at 0.9 (score above 0.95); the model
-- with features flags at least 4 of the 5 spikes and dropouts at 0.99 and at most 2
-- promotion months: its intervals are floored by the naive forecast that knows the
-- promotions (the changes' least squares on the flag's changes), under a third as wide as
-- the plain model's, whose floor is the promotion jumps (before 2026-12-05 both were about
-- 10 ppm wide at 0.99, and the spikes scored inside them)
SELECT (SELECT avg(abs(value - expected)) FROM af_out WHERE model = 'features' AND kind IS NULL AND promo = 1 AND score IS NOT NULL)
       < 0.5 * (SELECT avg(abs(value - expected)) FROM af_out WHERE model = 'plain' AND kind IS NULL AND promo = 1 AND score IS NOT NULL)
         AS promotion_error_halved,
       (SELECT count(*) FROM af_out WHERE model = 'features' AND kind IS NULL AND promo = 1 AND score > 0.95)
       < (SELECT count(*) FROM af_out WHERE model = 'plain' AND kind IS NULL AND promo = 1 AND score > 0.95)
         AS fewer_promotions_flagged_090,
       (SELECT count(*) FILTER (WHERE is_anomaly) FROM af_out WHERE model = 'features' AND kind IN ('spike', 'dropout'))
         >= 4 AS spikes_and_dropouts_flagged,
       (SELECT count(*) FILTER (WHERE is_anomaly) FROM af_out WHERE model = 'features' AND promo = 1)
         <= 2 AS few_promotions_flagged_099,
       (SELECT avg(upper - lower) FROM af_out WHERE model = 'features')
       < (SELECT avg(upper - lower) FROM af_out WHERE model = 'plain') / 3 AS narrower_than_a_third;

-- missing features: a row whose features are NULL (array or element, or NaN) has no
-- forecast, as its step's feature is unknown (all NULL); the windows after it interpolate
-- it; rnn_predict_rows is NULL where one of the steps forecast misses it
SELECT k, (a).expected IS NULL AS no_expected, (a).is_anomaly IS NULL AS no_verdict, f IS NULL AS no_forecast
FROM (SELECT k, rnn_anomaly(value, m.m, 0.99, x.f) OVER (ORDER BY ts) AS a,
             rnn_predict_rows(CASE WHEN value > 0 THEN value END, m.m, 2, x.f) OVER (ORDER BY ts) AS f
      FROM af_co2 c, af_models m,
           LATERAL (SELECT CASE c.k WHEN 420 THEN NULL WHEN 424 THEN ARRAY[NULL]::float8[]
                                    WHEN 428 THEN ARRAY['NaN']::float8[] ELSE ARRAY[c.promo] END AS f) x
      WHERE m.kind = 'features') y
WHERE k BETWEEN 417 AND 429 ORDER BY k;
-- a row inside the windows with missing features: the same forecast as with its features
-- interpolated by hand (the neighbours' mean)
SELECT abs(a.f[1] - b.f[1]) <= 1e-9 * abs(b.f[1]) AS interpolated
FROM (SELECT k, rnn_predict_rows(value, m, 1, CASE WHEN k = 390 THEN NULL ELSE ARRAY[promo] END) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features' AND k <= 401) a
JOIN (SELECT k, rnn_predict_rows(value, m, 1, ARRAY[CASE WHEN k = 390 THEN
                 (SELECT avg(promo) FROM af_co2 WHERE k IN (389, 391)) ELSE promo END]) OVER (ORDER BY ts) AS f
      FROM af_co2, af_models WHERE af_models.kind = 'features' AND k <= 401) b USING (k)
WHERE k = 400;
-- features missing on every row: no forecasts
SELECT count(*) FILTER (WHERE (rnn_anomaly).expected IS NOT NULL) AS forecasts
FROM (SELECT rnn_anomaly(value, m, 0.99, NULL::float8[]) OVER (ORDER BY ts)
      FROM af_co2, af_models WHERE af_models.kind = 'features') x;

-- errors
SELECT (rnn_anomaly(value, m) OVER (ORDER BY ts)).is_anomaly FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
SELECT rnn_predict_rows(value, m, 1) OVER (ORDER BY ts) FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
SELECT (rnn_anomaly(value, m, 0.99, ARRAY[promo]) OVER (ORDER BY ts)).is_anomaly FROM af_co2, af_models WHERE af_models.kind = 'plain' LIMIT 1;
SELECT rnn_predict_rows(value, m, 1, ARRAY[promo]) OVER (ORDER BY ts) FROM af_co2, af_models WHERE af_models.kind = 'plain' LIMIT 1;
SELECT (rnn_anomaly(value, m, 0.99, CASE WHEN k = 30 THEN ARRAY[promo, 1] ELSE ARRAY[promo] END) OVER (ORDER BY ts)).is_anomaly
FROM af_co2, af_models WHERE af_models.kind = 'features';
SELECT rnn_predict_rows(value, m, 1, ARRAY[]::float8[]) OVER (ORDER BY ts) FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
SELECT rnn_predict_rows(value, m, 1, ARRAY[[promo]]) OVER (ORDER BY ts) FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
SELECT rnn_predict_rows(value, m, 1, ARRAY[CASE WHEN k = 7 THEN 'Infinity' ELSE promo END]) OVER (ORDER BY ts)
FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
SELECT (rnn_anomaly(value, m, 1.5, ARRAY[promo]) OVER (ORDER BY ts)).is_anomaly FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
SELECT count(a) AS results FROM (SELECT rnn_anomaly(value, NULL, 0.99, ARRAY[promo]) OVER (ORDER BY ts) AS a FROM af_co2) x;
SELECT rnn_predict_rows(value, m, 0, ARRAY[promo]) OVER (ORDER BY ts) FROM af_co2, af_models WHERE af_models.kind = 'features' LIMIT 1;
-- calendar features cannot be computed for rows without timestamps (errcode 0A000), with
-- user features or without
CREATE TABLE af_calendar AS
SELECT 'with promo' AS kind, rnn_train(ts, value, ARRAY[promo], rnn_config(calendar => true, epochs => 1, hidden_size => 4, ensemble => 1)) AS m
FROM af_co2 WHERE k <= 100
UNION ALL
SELECT 'calendar only', rnn_train(ts, value, rnn_config(calendar => true, epochs => 1, hidden_size => 4, ensemble => 1))
FROM af_co2 WHERE k <= 100;
SELECT (rnn_anomaly(value, m, 0.99, ARRAY[promo]) OVER (ORDER BY ts)).is_anomaly FROM af_co2, af_calendar WHERE af_calendar.kind = 'with promo' LIMIT 1;
SELECT rnn_predict_rows(value, m) OVER (ORDER BY ts) FROM af_co2, af_calendar WHERE af_calendar.kind = 'calendar only' LIMIT 1;
\set VERBOSITY sqlstate
SELECT (rnn_anomaly(value, m) OVER (ORDER BY ts)).is_anomaly FROM af_co2, af_calendar WHERE af_calendar.kind = 'calendar only' LIMIT 1;
\set VERBOSITY default

DROP TABLE af_co2, af_models, af_rows, af_out, af_calendar;
