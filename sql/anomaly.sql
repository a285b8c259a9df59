-- rnn_anomaly: each row against the one-step forecast from the rows before it and the
-- model's calibrated interval. The Mauna Loa CO2 series (data/co2.csv, 468 months): a model
-- trained on the first 400 months, anomalies injected at known rows of the last 68.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
SET extra_float_digits = 0;

CREATE TABLE an_co2 (ts date, value float8);
\copy an_co2 FROM 'data/co2.csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE an_co2 ADD COLUMN k int;
UPDATE an_co2 a SET k = n.k FROM (SELECT ts, row_number() OVER (ORDER BY ts) AS k FROM an_co2) n WHERE n.ts = a.ts;
CREATE TABLE an_model AS
SELECT rnn_train(ts, value, rnn_config(horizon => 1, epochs => 30, hidden_size => 16, ensemble => 1)) AS m
FROM an_co2 WHERE k <= 400;
SELECT (rnn_model_info(m)->>'window')::int AS "window", rnn_model_info(m)->'calibration'->>'samples' AS cal_samples
FROM an_model;

-- injected: spikes of +4 ppm (months 410, 425, 450), dropouts to 0 (415, 440), a level
-- shift of +3 ppm (455 to 460). A value the model cannot read (0 under its log) is a gap in
-- the windows after it; other anomalous values stay in them.
CREATE TABLE an_truth AS
SELECT k, CASE WHEN k IN (410, 425, 450) THEN 'spike' WHEN k IN (415, 440) THEN 'dropout'
               WHEN k BETWEEN 455 AND 460 THEN 'shift' END AS kind
FROM an_co2;
UPDATE an_co2 a SET value = CASE t.kind WHEN 'spike' THEN a.value + 4 WHEN 'dropout' THEN 0
                                        WHEN 'shift' THEN a.value + 3 END
FROM an_truth t WHERE t.k = a.k AND t.kind IS NOT NULL;

CREATE TABLE an_out AS
SELECT c.k, c.value, t.kind, (rnn_anomaly(c.value, m.m) OVER (ORDER BY c.ts)).*
FROM an_co2 c JOIN an_truth t USING (k), an_model m;

-- NULL while fewer rows than the window came before; then every row has a verdict
SELECT count(*) FILTER (WHERE expected IS NULL) AS no_forecast, (SELECT rnn_model_info(m)->>'window' FROM an_model) AS "window",
       count(*) FILTER (WHERE is_anomaly IS NOT NULL) AS verdicts
FROM an_out;
-- the expected value is the previous row's one-step forecast (rnn_predict_rows, on the
-- months before the injections), or after a flagged row, which the window leaves out, the
-- two-step forecast from the row before it (a window alone and a batch of them may round
-- differently in float32's last bits); the flag says the value is outside [lower, upper],
-- and the score passes 0.995 exactly then
SELECT count(*) AS compared, count(*) FILTER (WHERE b.is_anomaly) AS after_a_flag,
       count(*) FILTER (WHERE CASE WHEN b.is_anomaly THEN abs(o.expected - p2.f[2]) > 1e-6 * abs(p2.f[2])
                                   ELSE abs(o.expected - p.f[1]) > 1e-9 * greatest(1, abs(p.f[1])) END) AS expected_differs
FROM an_out o
JOIN an_out b ON b.k = o.k - 1
JOIN (SELECT k, rnn_predict_rows(value, m, 2) OVER (ORDER BY ts) AS f FROM an_co2, an_model WHERE k <= 400) p
  ON p.k = o.k - 1
JOIN (SELECT k, rnn_predict_rows(value, m, 2) OVER (ORDER BY ts) AS f FROM an_co2, an_model WHERE k <= 400) p2
  ON p2.k = o.k - 2
WHERE o.expected IS NOT NULL;
SELECT count(*) FILTER (WHERE is_anomaly <> (value < lower OR value > upper)) AS flag_differs,
       count(*) FILTER (WHERE is_anomaly <> (score > 0.995)) AS score_differs,
       count(*) FILTER (WHERE score < 0.5 OR score > 1) AS score_out_of_range
FROM an_out WHERE expected IS NOT NULL;
-- at levels above the score's grid (0.999) too: at 0.9999 every month's score passes
-- 0.99995 exactly when it is flagged, and the month after training given a value between
-- the 0.999 and 0.9999 upper bounds is not flagged and scores 0.99995 (the level that holds
-- it), not 1 (before: 1, as outside every interval of the grid)
SELECT count(*) FILTER (WHERE is_anomaly <> (score > 0.99995)) AS score_differs_at_9999
FROM (SELECT (rnn_anomaly(c.value, m.m, 0.9999) OVER (ORDER BY c.ts)).* FROM an_co2 c, an_model m) x
WHERE expected IS NOT NULL;
SELECT (a).is_anomaly, (a).score
FROM (SELECT k, rnn_anomaly(v, m, 0.9999) OVER (ORDER BY k) AS a
      FROM (SELECT k, value AS v FROM an_co2 WHERE k <= 400
            UNION ALL
            SELECT 401, ((SELECT upper FROM rnn_forecast(m, 1, 0.999)) + (SELECT upper FROM rnn_forecast(m, 1, 0.9999))) / 2
            FROM an_model) r, an_model) x
WHERE k = 401;
-- and between the grid's levels: at 0.9505 a value between the row's 0.95 and 0.9505 upper
-- bounds is not flagged and scores 0.97525 (before: 0.9755, the grid level above, past
-- 0.5 + level/2)
WITH b AS (SELECT (a).upper
           FROM unnest(ARRAY[0.95, 0.9505]::float8[]) l,
                LATERAL (SELECT k, rnn_anomaly(value, m, l) OVER (ORDER BY k) AS a
                         FROM an_co2, an_model WHERE k <= 401) x
           WHERE k = 401)
SELECT (a).is_anomaly, (a).score
FROM (SELECT k, rnn_anomaly(v, m, 0.9505) OVER (ORDER BY k) AS a
      FROM (SELECT k, value AS v FROM an_co2 WHERE k <= 400
            UNION ALL SELECT 401, (SELECT avg(upper) FROM b)) r, an_model) x
WHERE k = 401;

-- precision and recall at level 0.99 on the 68 months after training
SELECT count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL) AS true_positives,
       count(*) FILTER (WHERE is_anomaly AND kind IS NULL) AS false_positives,
       count(*) FILTER (WHERE NOT is_anomaly AND kind IS NOT NULL) AS missed,
       round(count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL)::numeric
             / nullif(count(*) FILTER (WHERE is_anomaly), 0), 2) AS precision,
       round(count(*) FILTER (WHERE is_anomaly AND kind IS NOT NULL)::numeric
             / count(*) FILTER (WHERE kind IS NOT NULL), 2) AS recall
FROM an_out WHERE k > 400;
SELECT kind, count(*) AS injected, count(*) FILTER (WHERE is_anomaly) AS flagged,
       round(min(score)::numeric, 3) AS min_score
FROM an_out WHERE kind IS NOT NULL GROUP BY kind ORDER BY kind;
-- after a gap (a dropout the logged model cannot read), the row is compared with the forecast
-- two steps ahead from the last month before the gap (rnn_predict_rows there, horizon 2, to
-- float32 rounding), and its interval is the wider one of two steps
SELECT o.k, abs(o.expected - p.f[2]) <= 1e-6 * abs(p.f[2]) AS two_step_forecast,
       o.upper - o.lower > b.upper - b.lower AS wider_than_one_step, o.is_anomaly
FROM an_out o
JOIN (SELECT k, rnn_predict_rows(CASE WHEN value > 0 THEN value END, m, 2) OVER (ORDER BY ts) AS f
      FROM an_co2, an_model) p ON p.k = o.k - 2
JOIN an_out b ON b.k = o.k - 2
WHERE o.k IN (416, 441) ORDER BY o.k;
-- after an outage longer than the window (30 months of NULLs, the window 24) the month after
-- it is compared with the 31-step forecast from the last month before it (before 2026-12-06:
-- no verdict, as its window held nothing); the ts form over the rows without those months
-- the same; after more than twice the window (50 months), no forecast
CREATE TABLE an_outage AS
SELECT gap, k, ts, CASE WHEN k BETWEEN 301 AND 300 + gap THEN NULL ELSE value END AS v
FROM an_co2, (VALUES (30), (50)) g(gap) WHERE k <= 400;
SELECT a.gap, (a.r).is_anomaly IS NOT NULL AS verdict,
       abs((a.r).expected - p.f[a.gap + 1]) <= 1e-6 * abs(p.f[a.gap + 1]) AS from_before_the_outage,
       abs((a.r).expected - (t.r).expected) <= 1e-9 * abs((t.r).expected) AS ts_form_same
FROM (SELECT gap, k, rnn_anomaly(v, m) OVER (PARTITION BY gap ORDER BY ts) AS r FROM an_outage, an_model) a
JOIN (SELECT gap, k, rnn_anomaly(ts, v, m) OVER (PARTITION BY gap ORDER BY ts) AS r
      FROM an_outage, an_model WHERE v IS NOT NULL) t ON t.gap = a.gap AND t.k = a.k
JOIN (SELECT gap, k, rnn_predict_rows(v, m, 51) OVER (PARTITION BY gap ORDER BY ts) AS f
      FROM an_outage, an_model) p ON p.gap = a.gap AND p.k = 300
WHERE a.k = 301 + a.gap ORDER BY a.gap;
-- on the months the model was trained on, how many rows are flagged at 0.99
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged, count(*) FILTER (WHERE is_anomaly IS NOT NULL) AS rows
FROM an_out WHERE k <= 400;

-- a NULL value gets a forecast and bounds but no verdict (rounded: the bounds' last digits
-- follow the BLAS kernel the CPU selects)
SELECT round(((a).expected)::numeric, 6) AS expected, round(((a).lower)::numeric, 6) AS lower,
       round(((a).upper)::numeric, 6) AS upper, (a).is_anomaly, (a).score
FROM (SELECT i, rnn_anomaly(v, m) OVER (ORDER BY i) AS a FROM
  (SELECT k AS i, CASE WHEN k = 420 THEN NULL ELSE value END AS v FROM an_co2) x, an_model) y
ORDER BY i OFFSET 419 LIMIT 1;
-- errors
SELECT (rnn_anomaly(value, m, 1.5) OVER (ORDER BY ts)).is_anomaly FROM an_co2, an_model LIMIT 1;
SELECT count(*) AS rows, count(a) AS results FROM (SELECT rnn_anomaly(value, NULL) OVER (ORDER BY ts) AS a FROM an_co2) x;
SELECT (rnn_anomaly(value, m, NULL) OVER (ORDER BY ts)).is_anomaly FROM an_co2, an_model LIMIT 1;
-- a global model (0.6.0): each window forecast as a series of its own, its pipeline reading the
-- partition's rows up to it (at most 1,000; since 2026-12-06, before the window alone), as
-- rnn_forecast(model, history, 1) forecasts the rows before the row (after a flagged row, the
-- rows before that, as rnn_forecast(model, history, 2) forecasts them two steps ahead), with
-- three spikes of 5 ppm, each flagged (read from the window alone, more than 10 of the 61
-- months were flagged without any spike)
CREATE TABLE an_global AS
SELECT rnn_train(s, ts, value, rnn_config(epochs => 1, hidden_size => 4, ensemble => 1)) AS m
FROM an_co2, (VALUES ('a'), ('b')) v(s) WHERE k <= 100;
SELECT (rnn_model_info(m)->>'window')::int AS w FROM an_global \gset
SELECT :w AS "window", count(*) AS rows, count(*) FILTER (WHERE prev) AS after_a_flag,
       count(*) FILTER (WHERE abs((a).expected - f) <= 1e-9 * abs(f)) AS expected_equals_array_form,
       count(*) FILTER (WHERE (a).lower < (a).expected AND (a).expected < (a).upper) AS inside_bounds
FROM (SELECT k, a, prev, CASE WHEN prev THEN (rnn_forecast(m, h2, 2))[2] ELSE (rnn_forecast(m, h, 1))[1] END AS f
      FROM (SELECT *, coalesce(lag((a).is_anomaly) OVER (ORDER BY k), false) AS prev
            FROM (SELECT k, g.m, rnn_anomaly(value, g.m) OVER (ORDER BY ts) AS a,
                         array_agg(value) OVER (ORDER BY ts ROWS BETWEEN 1000 PRECEDING AND 1 PRECEDING) AS h,
                         array_agg(value) OVER (ORDER BY ts ROWS BETWEEN 1001 PRECEDING AND 2 PRECEDING) AS h2
                  FROM (SELECT k, ts, value + CASE WHEN k IN (210, 230, 245) THEN 5 ELSE 0 END AS value FROM an_co2) c,
                       an_global g) y0) y
      WHERE k BETWEEN 200 AND 260) x;

-- one model at several levels, a partition each: a partition may pass another level than
-- the one before with the same model (the model stays decoded, the intervals are prepared
-- again); each partition's verdicts equal that level's query alone
SELECT l.lv, count(*) AS rows,
       count(*) FILTER (WHERE (x.a).is_anomaly IS DISTINCT FROM (y.a).is_anomaly OR (x.a).lower IS DISTINCT FROM (y.a).lower
                        OR (x.a).upper IS DISTINCT FROM (y.a).upper OR (x.a).score IS DISTINCT FROM (y.a).score) AS differ
FROM (VALUES (0.5::float8), (0.9), (0.99)) l(lv)
JOIN (SELECT lv, k, rnn_anomaly(value, m, lv) OVER (PARTITION BY lv ORDER BY ts) AS a
      FROM an_co2, an_model, (VALUES (0.5::float8), (0.9), (0.99)) v(lv)) x USING (lv)
JOIN LATERAL (SELECT k, rnn_anomaly(value, m, l.lv) OVER (ORDER BY ts) AS a FROM an_co2, an_model) y USING (k)
GROUP BY l.lv ORDER BY l.lv;

-- a model that keeps the season in the series (deseasonalize => false): its intervals are
-- floored by the lesser of the naive forecast's errors and the seasonal naive's of the
-- changes (the last value plus the change over the same months a year before), not by the
-- naive forecast's alone, which misses the season: its 90% one-step interval is narrower
-- than twice the mean monthly change of its last 30 training months (5.1 ppm wide, more than
-- four times it, with the naive floor alone; 1.4 with the seasonal one)
-- a warm start from it that does not repeat deseasonalize => false keeps the season, and the floor
CREATE TABLE an_kept AS
SELECT 'trained' AS kind, rnn_train(ts, value, rnn_config(horizon => 1, epochs => 30, hidden_size => 16, ensemble => 1, deseasonalize => false)) AS m
FROM an_co2 WHERE k <= 400;
INSERT INTO an_kept
SELECT 'warm start', rnn_train(ts, value, rnn_config(horizon => 1, epochs => 2, hidden_size => 16, ensemble => 1), (SELECT m FROM an_kept))
FROM an_co2 WHERE k <= 400;
SELECT kind, rnn_model_info(m)->'pipeline'->'seasonal_indices' IS NULL OR rnn_model_info(m)->'pipeline'->'seasonal_indices' = 'null' AS no_indices,
       f.upper - f.lower < 2 * (SELECT avg(abs(d)) FROM (SELECT k, value - lag(value) OVER (ORDER BY k) AS d
                                                      FROM an_co2 WHERE k <= 400) x WHERE k > 370)
         AS narrower_than_the_naive_floor
FROM an_kept, rnn_forecast(m, 1, 0.9) f ORDER BY kind;


-- a model of a constant series (an error count that is 0) takes the network alone, whose
-- untrained weights forecast a window's last value: one spike is flagged and the zeros after
-- it are not (before: Theta's smoothing of the windows holding the spike put the forecasts off
-- 0 and the zero-width interval flagged the next 14 days)
CREATE TABLE an_zero AS SELECT date '2024-01-01' + i AS day, 0::float8 AS errors FROM generate_series(0, 99) i;
CREATE TABLE an_zero_model AS
SELECT rnn_train(day, errors, rnn_config(epochs => 10, hidden_size => 4, ensemble => 1)) AS m
FROM an_zero WHERE day < date '2024-03-15';
SELECT rnn_model_info(m)->'combination' IS NULL AS network_alone,
       (SELECT forecast = 0 AND lower = 0 AND upper = 0 FROM rnn_forecast(m, 1, 0.99)) AS exact
FROM an_zero_model;
SELECT count(*) FILTER (WHERE (a).is_anomaly) AS flagged,
       string_agg(day::text, ',') FILTER (WHERE (a).is_anomaly) AS days
FROM (SELECT day, rnn_anomaly(day, errors, m.m, 0.99) OVER (ORDER BY day) AS a
      FROM (SELECT day, CASE WHEN day = date '2024-03-20' THEN 1 ELSE errors END AS errors FROM an_zero) r,
           an_zero_model m) x;


-- the form without ts places each window in the season by the rotation that fits the
-- partition's changes so far best, by their absolute errors: one doubled value does not
-- misplace the windows after it (with squared errors, as before 2026-12-06, it did for the
-- rest of this 7-week partition: 22 of its 33 rows after the spike flagged, none in the ts form)
CREATE TABLE an_week AS SELECT date '2024-01-01' + d AS day,
       300 + 10 * sin(2 * pi() * d / 7) + d / 20.0 + 3 * sin(3 * d) AS v FROM generate_series(0, 199) d;
CREATE TABLE an_week_model AS
SELECT rnn_train(day, v, rnn_config(epochs => 5, hidden_size => 8, ensemble => 1)) AS m
FROM an_week WHERE day < date '2024-06-01';
SELECT count(*) AS rows, count(*) FILTER (WHERE (a).is_anomaly) AS flagged_without_ts,
       count(*) FILTER (WHERE (b).is_anomaly) AS flagged_with_ts,
       count(*) FILTER (WHERE abs((a).expected - (b).expected) > 1e-6 * abs((b).expected)) AS placed_elsewhere
FROM (SELECT day, rnn_anomaly(v, m.m, 0.99) OVER w AS a, rnn_anomaly(day, v, m.m, 0.99) OVER w AS b
      FROM (SELECT day, CASE WHEN day = date '2024-06-15' THEN 2 * v ELSE v END AS v
            FROM an_week WHERE day >= date '2024-06-01') r, an_week_model m
      WINDOW w AS (ORDER BY day)) x
WHERE day > date '2024-06-15';

DROP TABLE an_co2, an_model, an_truth, an_out, an_global, an_kept, an_zero, an_zero_model, an_outage, an_week, an_week_model;
