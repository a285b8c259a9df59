-- Right answers at the edges (issue 11): values near 1e-12, a stray row off a daily grid,
-- constant and all-zero series, intervals that rest on few calibration errors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS rnn_forecast;
RESET client_min_messages;

-- a series between 1.1e-12 and 1.8e-12 is not a constant: it is scaled by its own changes
-- and forecast on its own scale (with and without the log)
CREATE TABLE tiny AS
SELECT date '2024-01-01' + i AS day, (1.45 + 0.35 * sin(i / 4.0)) * 1e-12 AS v FROM generate_series(0, 120) i;
SELECT l AS log, (rnn_model_info(m)->'scaling'->>'std')::float8 < 1e-3 AS own_scale,
       (SELECT bool_and(forecast BETWEEN 1e-12 AND 2e-12 AND lower < forecast AND forecast < upper)
        FROM rnn_forecast(m, 3)) AS forecast_on_its_scale
FROM (SELECT l, rnn_train(day, v, rnn_config(epochs => 5, log => l, horizon => 3)) AS m
      FROM tiny, (VALUES (true), (false)) x(l) GROUP BY l) t ORDER BY l;

-- a daily timestamp series with one row at noon: an error that names the row, not a
-- 12-hour grid
CREATE TABLE daily AS
SELECT timestamp '2024-01-01' + i * interval '1 day' + CASE WHEN i = 100 THEN interval '12 hours' ELSE interval '0' END AS ts,
       10 + sin(i / 5.0) AS v
FROM generate_series(0, 200) i;
SELECT rnn_train(ts, v) FROM daily;
SELECT rnn_backtest(ts, v, rnn_config(epochs => 1), 2, 1) FROM daily;
-- as the hint says: moved onto the grid it trains on a daily step
SELECT rnn_model_info(m)->'time'->>'step' AS step, rnn_model_info(m)->'training'->>'rows' AS rows
FROM (SELECT rnn_train(date_trunc('day', ts), v, rnn_config(epochs => 1, ensemble => 1)) AS m FROM daily) x;
-- half of the rows at noon is a 12-hour series (no error)
SELECT rnn_model_info(m)->'time'->>'step' AS step
FROM (SELECT rnn_train(timestamp '2024-01-01' + i * interval '1 day' + (i % 2) * interval '12 hours', sin(i),
                       rnn_config(epochs => 1, ensemble => 1)) AS m FROM generate_series(0, 100) i) x;

-- constant and all-zero series: the forecast is the value, and the interval holds it
SELECT c AS value, bool_and(forecast = c AND lower <= c AND c <= upper) AS holds, count(*) AS steps
FROM (VALUES (42.0::float8), (0), (-3.5), (1e-14)) v(c),
     LATERAL (SELECT rnn_train(date '2024-01-01' + i, c, rnn_config(horizon => 3)) AS m
              FROM generate_series(0, 59) i) t,
     rnn_forecast(t.m, 5) f
GROUP BY c ORDER BY c;

-- ten rows: the intervals rest on few origins, are widened, and rnn_model_info says so
CREATE TABLE ten AS
SELECT date '2024-01-01' + i AS day, 10 + sin(i) AS v FROM generate_series(0, 9) i;
SELECT rnn_model_info(m)->'calibration' AS calibration
FROM (SELECT rnn_train(day, v) AS m FROM ten) x;
-- a long series does not get the flag
SELECT rnn_model_info(m)->'calibration'->'few_samples' AS few_samples
FROM (SELECT rnn_train(date '2024-01-01' + i, sin(i / 3.0), rnn_config(epochs => 2, ensemble => 1)) AS m
      FROM generate_series(0, 199) i) x;

-- messages that name the row and say what to do
CREATE TABLE held AS
SELECT date '2024-01-01' + i AS day, 10 + sin(i / 2.0) + i / 50.0 AS v FROM generate_series(0, 79) i;
CREATE TABLE held_model AS
SELECT rnn_train(day, v, rnn_config(horizon => 5, epochs => 3, ensemble => 1)) AS m FROM held WHERE day < date '2024-03-11';
-- rows of the training period are skipped (and counted), the later ones scored
SELECT e->'points' AS points, e->'skipped_training_rows' AS skipped, e->'max_step' AS max_step
FROM (SELECT rnn_evaluate(m, day, v) AS e FROM held_model, held WHERE day >= date '2024-03-01' GROUP BY m) x;
SELECT rnn_evaluate(m, day, v) FROM held_model, held WHERE day < date '2024-03-01' GROUP BY m;
-- timestamps of another type: the types and the cast
SELECT rnn_evaluate(m, day::timestamp, v) FROM held_model, held WHERE day >= date '2024-03-11' GROUP BY m;
SELECT rnn_evaluate(m, 1::bigint, 1.0)
FROM (SELECT rnn_train(v, rnn_config(epochs => 1, ensemble => 1) ORDER BY day) AS m FROM held) x, held
WHERE day = date '2024-03-11' GROUP BY m;
SELECT rnn_evaluate(m, day, v)
FROM (SELECT rnn_train(v, rnn_config(epochs => 1, ensemble => 1) ORDER BY day) AS m FROM held) x, held
WHERE day = date '2024-03-11' GROUP BY m;
-- scaling => 'level' names the timestamp of the first value that is not positive
SELECT rnn_train(day, v - 10.5, rnn_config(scaling => 'level')) FROM held;
-- values near 1e40, 1e100 and 1e300 of both signs train and forecast finite values (1e300 was
-- refused until 2026-12-07: the square of its spread overflowed); near 1e307 they are refused
-- before training
SELECT bool_and(forecast IS NOT NULL AND abs(forecast) < 1e42 AND lower <= forecast AND forecast <= upper) AS finite
FROM (SELECT rnn_train(day, (v - 10.5) * 1e40, rnn_config(epochs => 3, ensemble => 1, horizon => 2)) AS m FROM held) x,
     rnn_forecast(x.m, 2);
SELECT bool_and(forecast IS NOT NULL AND abs(forecast) < 1e102 AND lower <= forecast AND forecast <= upper) AS finite
FROM (SELECT rnn_train(day, (v - 10.5) * 1e100, rnn_config(epochs => 3, ensemble => 1, horizon => 2)) AS m FROM held) x,
     rnn_forecast(x.m, 2);
SELECT bool_and(forecast IS NOT NULL AND abs(forecast) < 1e302 AND lower <= forecast AND forecast <= upper) AS finite
FROM (SELECT rnn_train(day, (v - 10.5) * 1e300, rnn_config(epochs => 3, ensemble => 1, horizon => 2)) AS m FROM held) x,
     rnn_forecast(x.m, 2);
SELECT rnn_train(day, (v - 10.5) * 1e307, rnn_config(epochs => 3, ensemble => 1)) FROM held;
-- and so is a seasonal series whose additive indices would pass 1e300 (a black-box hunt,
-- 2026-12-07: near 1.2e299 it trained, then failed to store: "A seasonal index is not finite")
SELECT rnn_train(date '2020-01-01' + t, (10 * sin(2 * pi() * t / 7) + 0.05 * t - 2) * 1.2e299,
                 rnn_config(horizon => 7, hidden_size => 4, ensemble => 1, epochs => 3))
FROM generate_series(0, 125) t;
-- a seasonal series of either sign (no log) scaled by 2^-600, 2^600, 1e-200 or 1e200 is
-- forecast as the same series at its own scale, times the factor: exactly by a power of two,
-- to 1e-14 by the others, with the same intervals (until 2026-12-07 the sums of squares behind
-- the seasonal indices, the spread and Theta's fit underflowed or overflowed there: no indices,
-- and -2.51 (1e-200) or -3.72 (1e200) for 9.92 three months on)
CREATE TEMP TABLE scaled AS
WITH s AS (SELECT date '2015-01-01' + make_interval(months => t) AS ts, t,
                  10 * sin(2 * pi() * t / 12) + 0.5 * sin(t * 7.1) + 0.05 * t - 3 AS v
           FROM generate_series(0, 71) t),
     sc(k) AS (VALUES (1::float8), (2::float8 ^ (-600)), (2::float8 ^ 600), (1e-200::float8), (1e200::float8))
SELECT k, f.step, f.forecast / k AS fc, f.lower / k AS lo, f.upper / k AS up
FROM sc, LATERAL (SELECT rnn_train(ts, v * k, rnn_config(horizon => 3, hidden_size => 4, ensemble => 1, epochs => 3)) AS m
                  FROM s) x, rnn_forecast(x.m, 3) f;
SELECT a.k::text AS factor, count(*) AS steps,
       max(abs(a.fc - b.fc) / abs(b.fc)) < CASE WHEN a.k IN (1e-200, 1e200) THEN 1e-14 ELSE 1e-300 END AS same_forecast,
       max(abs(a.up - a.lo - (b.up - b.lo)) / (b.up - b.lo)) < CASE WHEN a.k IN (1e-200, 1e200) THEN 1e-14 ELSE 1e-300 END AS same_width
FROM scaled a JOIN scaled b ON b.k = 1 AND b.step = a.step
WHERE a.k <> 1 GROUP BY a.k ORDER BY a.k;
DROP TABLE scaled;
-- so is a global model's series beyond it, named (it trained, then failed to store its
-- model: "A series record is invalid or out of order")
SELECT rnn_train(s, day, v * CASE s WHEN 'a' THEN 1e300 ELSE 1 END, rnn_config(epochs => 2, ensemble => 1, log => false))
FROM held, (VALUES ('a'), ('b')) x(s);

-- and values whose spread is below the 1e-300 a model keeps, one series or a global model's
-- (2026-12-07; before, both trained and then failed to store the model: "Its scaling statistics
-- are not finite and positive", "A series record is invalid or out of order")
SELECT rnn_train(t, (t % 2) * 1e-305, rnn_config(epochs => 1, ensemble => 1, hidden_size => 2))
FROM generate_series(1, 20::bigint) t;
SELECT rnn_train('s' || (t % 2), t / 2, (t % 2) * 1e-310 + 1e-310 * (t % 3), rnn_config(epochs => 1, ensemble => 1, hidden_size => 2))
FROM generate_series(1, 40::bigint) t;
-- refused before training, with what to do: rows every 101 years (a step the model format
-- cannot store), dates whose forecasts lie beyond timestamptz's range (294276 AD)
SELECT rnn_train(date '1000-01-01' + make_interval(years => 101 * i), i, rnn_config(epochs => 1))
FROM generate_series(0, 20) i;
SELECT rnn_train(date '294276-06-01' + 7 * i, sin(i), rnn_config(epochs => 1, horizon => 3)) IS NOT NULL
FROM generate_series(0, 29) i;
SELECT rnn_train(date '294276-06-01' + 7 * i, sin(i), rnn_config(epochs => 1, ensemble => 1, horizon => 3)) IS NOT NULL
       AS trained_until_294276
FROM generate_series(0, 25) i;
-- integers in the configuration are exact: no float8 rounding lets 32.0000000000000000001 in
SELECT rnn_config_check('{"hidden_size": 32.0000000000000000001}');
SELECT rnn_config_check('{"hidden_size": 32.000}')->'hidden_size' AS hidden_size;
-- a warm start with scaling => 'level' checks that the new rows are positive too
SELECT rnn_train(day, v - 10.5, rnn_config(scaling => 'level', epochs => 1, ensemble => 1),
                 (SELECT rnn_train(day, v, rnn_config(scaling => 'level', epochs => 1, ensemble => 1)) FROM held))
FROM held;

-- bigint series: forecasts carry the next step numbers in ts_bigint (ts stays NULL); rows
-- without timestamps number the steps 1, 2, ... as rnn_evaluate does; calendar series NULL
SELECT 'bigint, every 5' AS series, array_agg(f.ts_bigint ORDER BY f.step) AS ts_bigint, bool_and(f.ts IS NULL) AS ts_null
FROM (SELECT rnn_train(100 + 5 * i::bigint, sin(i), rnn_config(epochs => 1, ensemble => 1)) AS m
      FROM generate_series(0, 40) i) x, rnn_forecast(x.m, 3) f
UNION ALL
SELECT 'ORDER BY rows', array_agg(f.ts_bigint ORDER BY f.step), bool_and(f.ts IS NULL)
FROM (SELECT rnn_train(sin(i), rnn_config(epochs => 1, ensemble => 1) ORDER BY i) AS m
      FROM generate_series(0, 40) i) x, rnn_forecast(x.m, 3) f
UNION ALL
SELECT 'date', array_agg(f.ts_bigint ORDER BY f.step), bool_and(f.ts IS NULL) FROM held_model, rnn_forecast(m, 3) f
UNION ALL
SELECT 'global, bigint', array_agg(f.ts_bigint ORDER BY f.step), bool_and(f.ts IS NULL)
FROM (SELECT rnn_train(s, 10 * i::bigint + k, sin(i + k), rnn_config(epochs => 1, ensemble => 1, horizon => 2))
      FROM (VALUES ('a', 0), ('b', 3)) v(s, k), generate_series(0, 30) i) x(m), rnn_forecast(x.m, 'b', 2) f
ORDER BY 1;

DROP TABLE tiny, daily, ten, held, held_model;
-- bigint step numbers past the end of bigint: a training whose horizon passes it is refused,
-- and a forecast past it is an error (before: ts_bigint NULL), as timestamps past timestamptz are
SELECT rnn_train(9223372036854775807 - 5 * (59 - i)::bigint, 10 + sin(i), rnn_config(epochs => 1, hidden_size => 4, ensemble => 1))
FROM generate_series(0, 59) i;
SELECT count(*) FROM (SELECT rnn_train(9223372036854775802 - 5 * (59 - i)::bigint, 10 + sin(i), rnn_config(epochs => 1, hidden_size => 4, ensemble => 1)) AS m
                      FROM generate_series(0, 59) i) x, rnn_forecast(m, 2);

-- a series never below 0 (sales) is never forecast below 0, nor its bounds, in any form (bit 2
-- of the model's flags): a store closed for its last 5 days (its zeros turn the log off, and the weekly
-- season is added back around 0) was forecast at -4 to -7, the 90% interval below 0 for three
-- days; the same store with one value below 0 keeps the sign
CREATE TABLE closed AS
SELECT date '2024-01-01' + d AS day,
       CASE WHEN d < 195 THEN 100 + 5 * sin(2 * pi() * d / 7) + (abs(hashint4(d)) % 5) ELSE 0 END::float8 AS sales
FROM generate_series(0, 199) d;
CREATE TABLE closed_m AS
SELECT 'closed' AS k, rnn_train(day, sales, rnn_config(horizon => 7, epochs => 20)) AS m FROM closed
UNION ALL
SELECT 'one below 0', rnn_train(day, CASE WHEN day = date '2024-03-01' THEN -1 ELSE sales END, rnn_config(horizon => 7, epochs => 20))
FROM closed;
SELECT k, rnn_model_info(m)->'pipeline'->'nonnegative' AS nonnegative,
       (SELECT min(lower) >= 0 AND min(forecast) >= 0 FROM rnn_forecast(m, 7)) AS table_form,
       (SELECT min(x) >= 0 FROM unnest(rnn_forecast(m, (SELECT array_agg(sales ORDER BY day) FROM closed), 7)) x) AS history_form,
       (SELECT min(x) >= 0 FROM (SELECT unnest(rnn_predict_rows(sales, m, 7) OVER (ORDER BY day)) AS x FROM closed) r) AS window_form,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM closed_m ORDER BY k;
-- a global model over intermittent demand: every series at least 0, so is every bound
SELECT rnn_model_info(g)->'pipeline'->'nonnegative' AS nonnegative,
       (SELECT min(f.lower) >= 0 FROM rnn_model_series(g) s, rnn_forecast(g, s, 14) f) AS bounds
FROM (SELECT rnn_train(k::text, date '2024-01-01' + d, (CASE WHEN abs(hashint4(k * 100000 + d)) % 100 < 10 + k
                                                            THEN 1 + abs(hashint4(k * 7 + d * 13)) % 5 ELSE 0 END)::float8,
                       rnn_config(horizon => 14, epochs => 5, hidden_size => 8))
      FROM generate_series(1, 5) k, generate_series(0, 119) d) x(g);
-- each series of a global model has its own floor: a store closed for its last days beside a
-- balance below 0 (before 2026-12-06 the model's one flag was off: the store was forecast at
-- -4 to -7), and the floor survives JSON
SELECT rnn_model_info(m)->'pipeline'->'nonnegative' AS all_series,
       rnn_model_info(m)->'pipeline'->'series_nonnegative' AS series_nonnegative,
       (SELECT min(lower) >= 0 AND min(forecast) >= 0 FROM rnn_forecast(m, 'store', 7)) AS store_floored,
       (SELECT max(forecast) < 0 FROM rnn_forecast(m, 'balance', 7)) AS balance_below_0,
       (SELECT min(forecast) < 0 FROM rnn_forecast(rnn_model_from_json(rnn_model_to_json(m) #- '{series_state,1,nonnegative}'),
                                                   'store', 7)) AS store_below_0_without,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM (SELECT rnn_train(s, day, v, rnn_config(horizon => 7, epochs => 20)) AS m
      FROM (SELECT 'store' AS s, day, sales AS v FROM closed
            UNION ALL SELECT 'balance', day, -100 + 5 * sin(2 * pi() * (day - date '2024-01-01') / 7) FROM closed) r) x;
DROP TABLE closed, closed_m;
-- the zeros before a launch (24 months before a product's first sale, then about 4% a month)
-- are left out where the pipeline may take the log (2026-12-07; before, the zeros kept the
-- series from the log and the growth was forecast as a line: hard_series.sql's MAE 134 against
-- 46.5 on the rows from the launch on): the model is the one trained on the rows from the
-- launch on, and rnn_model_info says so; log => false keeps them, and one zero at the start
-- (where a count or a trend may start) is no launch
CREATE TABLE launch AS
SELECT date '2020-01-01' + make_interval(months => t) AS ts,
       CASE WHEN t < 24 THEN 0 ELSE round(20 * exp(0.04 * (t - 24) + 0.05 * sin(t))) END::float8 AS v
FROM generate_series(0, 71) t;
CREATE TABLE launch_m AS
SELECT 'all rows' AS k, rnn_train(ts, v, rnn_config(horizon => 6, epochs => 20)) AS m FROM launch
UNION ALL SELECT 'from the launch', rnn_train(ts, v, rnn_config(horizon => 6, epochs => 20)) FROM launch WHERE v > 0
UNION ALL SELECT 'log => false', rnn_train(ts, v, rnn_config(horizon => 6, epochs => 20, log => false)) FROM launch
UNION ALL SELECT 'one zero', rnn_train(ts, v, rnn_config(horizon => 6, epochs => 20)) FROM launch WHERE ts >= date '2021-12-01';
-- (a nightly fine-tuning of the logged model on every row again: the zeros are no values at or
-- below 0 to the log it keeps)
INSERT INTO launch_m
SELECT 'warm start', rnn_train(ts, v, rnn_config(horizon => 6, epochs => 5), (SELECT m FROM launch_m WHERE k = 'from the launch'))
FROM launch;
SELECT k, rnn_model_info(m)->'pipeline'->'leading_zeros_dropped' AS dropped, rnn_model_info(m)->'pipeline'->'log' AS log,
       rnn_model_info(m)->'training'->'rows' AS rows,
       (SELECT array_agg(forecast ORDER BY step) FROM rnn_forecast(m, 6)) =
       (SELECT array_agg(f.forecast ORDER BY f.step) FROM launch_m l, rnn_forecast(l.m, 6) f WHERE l.k = 'from the launch') AS as_from_launch,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM launch_m ORDER BY k;
-- a global model's series the same, marked in its record; its whole history, given as one the
-- model did not keep, gives its stored forecast (at one Theta weight for all, as above)
SELECT rnn_model_info(m)->'pipeline'->'series_leading_zeros_dropped' AS series_dropped,
       rnn_model_info(m)->'pipeline'->'series_logged' AS series_logged,
       rnn_model_to_json(m)->'series_state'->0->'leading_zeros_dropped' AS launch_record,
       (SELECT (s->'numbers'->>1)::int FROM jsonb_array_elements(rnn_model_to_json(m)->'series_state') s
        WHERE s->>'name' = 'launch') AS launch_rows,
       (SELECT max(abs(x.f / k.forecast - 1)) < 1e-12
        FROM rnn_forecast(m, 'launch', 6) k,
             unnest(rnn_forecast(m, (SELECT array_agg(v ORDER BY ts) FROM launch), 6)) WITH ORDINALITY x(f, step)
        WHERE x.step = k.step) AS history_form_same,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM (SELECT rnn_train(s, ts, v, rnn_config(horizon => 6, epochs => 10, theta_weight => 0.5)) AS m
      FROM (SELECT 'launch' AS s, ts, v FROM launch
            UNION ALL SELECT 'steady', ts, 100 + 10 * sin(extract(month FROM ts)) FROM launch) r) x;
DROP TABLE launch, launch_m;
-- one-point spikes (a month 4 times its neighbours two months before the end of training) are
-- replaced by their neighbours before training (despike, 2026-12-07): the model says how many,
-- and forecasts the next year far closer to the series without the spike than the model that
-- keeps it (test/bench/hard_series.sql, case spike: holdout MAE 3.5 against 15.4 and 1.9);
-- despike => false keeps it; a model with features keeps it too (a feature may explain a
-- spike: a promotion) unless despike => true; a global model counts its series that had one
CREATE TABLE spiky AS
SELECT s, date '2010-01-01' + make_interval(months => t) AS ts, t,
       (100 * (1 + 0.2 * sin(2 * pi() * t / 12)) + 0.3 * t + 2 * sin(t * 7.3))
       * CASE WHEN s = 'spike' AND t = 70 THEN 4 ELSE 1 END AS v
FROM generate_series(0, 83) t, unnest(ARRAY['spike', 'plain']) s;
CREATE TABLE spiky_m AS
SELECT s || ', default' AS k, s, rnn_train(ts, v, rnn_config(horizon => 12, epochs => 30)) AS m FROM spiky WHERE t < 72 GROUP BY s
UNION ALL
SELECT 'spike, despike => false', 'spike', rnn_train(ts, v, rnn_config(horizon => 12, epochs => 30, despike => false))
FROM spiky WHERE t < 72 AND s = 'spike'
UNION ALL
SELECT 'spike, a feature', 'spike', rnn_train(ts, v, ARRAY[t::float8], rnn_config(horizon => 12, epochs => 1))
FROM spiky WHERE t < 72 AND s = 'spike'
UNION ALL
SELECT 'spike, a feature, despike => true', 'spike', rnn_train(ts, v, ARRAY[t::float8], rnn_config(horizon => 12, epochs => 1, despike => true))
FROM spiky WHERE t < 72 AND s = 'spike';
SELECT k, rnn_model_info(m)->'pipeline'->'despike' AS despike, rnn_model_info(m)->'pipeline'->'spikes_replaced' AS replaced,
       rnn_model_info(m)->'config'->'despike' AS config,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM spiky_m ORDER BY k;
SELECT (SELECT avg(abs(f.forecast - a.v)) FROM spiky_m x, rnn_forecast(x.m, 12) f JOIN spiky a ON a.ts = f.ts::date
        WHERE x.k = 'spike, default' AND a.s = 'spike')
       < 0.5 * (SELECT avg(abs(f.forecast - a.v)) FROM spiky_m x, rnn_forecast(x.m, 12) f JOIN spiky a ON a.ts = f.ts::date
                WHERE x.k = 'spike, despike => false' AND a.s = 'spike') AS under_half_the_error;
SELECT rnn_model_info(m)->'pipeline'->'despike' AS despike, rnn_model_info(m)->'config'->'despike' AS config,
       rnn_model_info(m)->'pipeline'->'series_spikes_replaced' AS series_spikes_replaced,
       (SELECT s->'spikes_replaced' FROM jsonb_array_elements(rnn_model_to_json(m)->'series_state') s
        WHERE s->>'name' = 'spike') AS spike_record,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM (SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 5)) AS m FROM spiky WHERE t < 72) x;
-- a nightly warm start of a logged model whose new rows hold a one-month 0 (a dropout, which a
-- cold start replaces as a spike before it takes the log) continues the model, the 0 replaced
-- (before 2026-12-08 the warm start's log check read the 0 and refused: "the warm-start
-- model's log does not fit"); with despike => false the 0 is a value the log cannot read, as
-- before; a 0 at the last row is no spike (it may be a new level); a global model's series the same
CREATE TABLE dropout AS
SELECT s, ts, t, CASE WHEN s = 'plain' AND t = 74 THEN 0 ELSE v END AS v FROM spiky WHERE t < 78;
SELECT rnn_model_info(m)->'pipeline'->'log' AS log, rnn_model_info(w)->'pipeline'->'log' AS warm_log,
       rnn_model_info(w)->'pipeline'->'spikes_replaced' AS replaced, rnn_model_info(w)->'training'->'rows' AS rows
FROM (SELECT m, (SELECT rnn_train(ts, v, rnn_config(horizon => 12, epochs => 2), x.m) FROM dropout WHERE s = 'plain') AS w
      FROM spiky_m x WHERE k = 'plain, default') y;
SELECT rnn_train(ts, v, rnn_config(horizon => 12, epochs => 2, despike => false), (SELECT m FROM spiky_m WHERE k = 'plain, default'))
FROM dropout WHERE s = 'plain';
SELECT rnn_train(ts, v, rnn_config(horizon => 12, epochs => 2), (SELECT m FROM spiky_m WHERE k = 'plain, default'))
FROM dropout WHERE s = 'plain' AND t < 75;
-- nine spikes ten times the level and the 0: the training replaces eight (its most), the
-- largest, and the check as many, so the 0 stays and is named (the check once read the values
-- the training had already cleaned and cleaned them again: here it named -71.95, a value no
-- row holds; where the second cleaning took the 0 it passed, and the training failed with
-- "log => true needs positive values" and the hint to leave log unset)
SELECT rnn_train(ts, CASE WHEN t IN (5, 12, 20, 28, 36, 44, 52, 60, 66) THEN 10 * v ELSE v END,
                 rnn_config(horizon => 12, epochs => 2), (SELECT m FROM spiky_m WHERE k = 'plain, default'))
FROM dropout WHERE s = 'plain';
SELECT rnn_model_info(w)->'pipeline'->'series_logged' AS series_logged,
       rnn_model_info(w)->'pipeline'->'series_spikes_replaced' AS series_spikes_replaced
FROM (SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 2),
                       (SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 2)) FROM spiky WHERE t < 72)) AS w
      FROM dropout) x;
SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 2, despike => false),
                 (SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 2)) FROM spiky WHERE t < 72))
FROM dropout;
-- a history given to a one-series model whose training replaced spikes has its own spikes
-- replaced too (stop 52; before, the network and Theta read them: the training rows as a
-- history forecast up to 10% off the stored forecasts here): the training rows as an array and
-- to rnn_predict's aggregate give the stored forecasts (to float rounding), as they do for the
-- model that kept the spike; a history less its first 24 rows has the spike replaced too
SELECT x.k,
       bool_and(abs(f.forecast - a.hist[f.step]) <= 1e-7 * abs(f.forecast)) AS history_is_stored,
       bool_and(abs(f.forecast - a.agg[f.step]) <= 1e-7 * abs(f.forecast)) AS aggregate_is_stored,
       bool_and(abs(a.later[f.step] - a.hist[f.step]) <= 0.02 * abs(a.hist[f.step])) AS shorter_within_2pct
FROM spiky_m x CROSS JOIN LATERAL rnn_forecast(x.m, 12) f
CROSS JOIN LATERAL (SELECT rnn_forecast(x.m, array_agg(v ORDER BY t), 12) AS hist,
                           rnn_predict(v, x.m, 12 ORDER BY t) AS agg,
                           rnn_forecast(x.m, array_agg(v ORDER BY t) FILTER (WHERE t >= 24), 12) AS later
                    FROM spiky WHERE s = 'spike' AND t < 72) a
WHERE x.k IN ('spike, default', 'spike, despike => false') GROUP BY x.k ORDER BY x.k;
-- rnn_predict_rows replaces each window's spikes as rnn_predict over a frame of the window does:
-- a series without a season (window 12) with a spike of 40 every 20 rows, and the same series
-- without them; every row's forecast the same both ways, and where a window holds a spike
-- inside it (not at its ends: the last value may be a new level) the forecast stays within 1
-- of the spike-free series' (the model that keeps spikes: up to 6.7 off)
CREATE TABLE spiky_rows AS
SELECT t, 100 + 0.5 * t + 3 * sin(t * 1.7) AS c,
       100 + 0.5 * t + 3 * sin(t * 1.7) + CASE WHEN t % 20 = 10 THEN 40 ELSE 0 END AS v
FROM generate_series(1, 120) t;
CREATE TABLE spiky_rows_m AS
SELECT d, rnn_train(t, v, rnn_config(horizon => 1, epochs => 3, "window" => 12, despike => d, season => 1)) AS m
FROM spiky_rows, (VALUES (true), (false)) dd(d) GROUP BY d;
SELECT d, rnn_model_info(m)->'pipeline'->'spikes_replaced' AS replaced,
       count(b) AS forecasts,
       count(*) FILTER (WHERE abs(b[1] - f[1]) <= 1e-5 * abs(f[1])) AS batched_as_framed,
       max(abs(b[1] - bc[1])) FILTER (WHERE inside) < 1 AS spike_inside_within_1
FROM (SELECT p.d, p.m, rnn_predict_rows(r.v, p.m, 1) OVER o AS b,
             rnn_predict(r.v, p.m, 1) OVER (o ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS f,
             rnn_predict_rows(r.c, p.m, 1) OVER o AS bc,
             r.t >= 12 AND r.t % 20 <> 10 AND (r.t - 1) / 20 * 20 + 10 BETWEEN r.t - 10 AND r.t - 1 AS inside
      FROM spiky_rows r, spiky_rows_m p WINDOW o AS (PARTITION BY p.d ORDER BY r.t)) x
GROUP BY d, m ORDER BY d;
DROP TABLE spiky_rows, spiky_rows_m;
DROP TABLE spiky, spiky_m, dropout;
-- a season that took a new shape two seasons before the end of training (its peak three
-- months earlier for the last 24 of 96 months) is adjusted by the new shape (since
-- 2026-12-08: its indices still held most of the old one, and test/bench/hard_series.sql's
-- case phase had holdout MAE 13.0 against the seasonal naive forecast's 1.59; now 1.63): the
-- indices follow the new shape, not the old, and so do a global model's series' and the next
-- year's forecasts; the same series without the move keeps its indices
CREATE TABLE moved AS
SELECT s, date '2010-01-01' + make_interval(months => t) AS ts, t,
       100 * (1 + 0.3 * sin(2 * pi() * t / 12 + CASE WHEN s = 'moved' AND t >= 72 THEN pi() / 2 ELSE 0 END))
       + 3 * sin(t * 7.3) AS v
FROM generate_series(0, 107) t, unnest(ARRAY['moved', 'kept']) s;
CREATE TABLE moved_m AS
SELECT s, rnn_train(ts, v, rnn_config(horizon => 12, epochs => 10)) AS m FROM moved WHERE t < 96 GROUP BY s;
CREATE FUNCTION pg_temp.corr_with(idx jsonb, shift float8) RETURNS float8 LANGUAGE sql AS $$
    SELECT corr((i.x)::float8, sin(2 * pi() * (i.k - 1) / 12 + shift))
    FROM jsonb_array_elements_text(idx) WITH ORDINALITY i(x, k) $$;
SELECT s, rnn_model_info(m)->'pipeline'->'season_changed' AS season_changed,
       round(pg_temp.corr_with(rnn_model_info(m)->'pipeline'->'seasonal_indices', pi() / 2)::numeric, 2) AS with_new_shape,
       round(pg_temp.corr_with(rnn_model_info(m)->'pipeline'->'seasonal_indices', 0)::numeric, 2) AS with_old_shape,
       (SELECT avg(abs(f.forecast - a.v)) < 3 FROM rnn_forecast(m, 12) f JOIN moved a ON a.ts = f.ts::date AND a.s = x.s) AS mae_under_3,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM moved_m x ORDER BY s;
SELECT rnn_model_info(m)->'pipeline'->'series_season_changed' AS series_season_changed, st->'season_changed' AS record,
       round(pg_temp.corr_with(st->'seasonal_indices', pi() / 2)::numeric, 2) AS with_new_shape,
       (SELECT avg(abs(f.forecast - a.v)) < 3 FROM rnn_forecast(m, 'moved', 12) f JOIN moved a ON a.ts = f.ts::date AND a.s = 'moved') AS mae_under_3,
       rnn_model_from_json(rnn_model_to_json(m)) = m AS json_bytes
FROM (SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 10)) AS m FROM moved WHERE t < 96) x,
     jsonb_array_elements(rnn_model_to_json(x.m)->'series_state') st
WHERE st->>'name' = 'moved';
-- a level that fell from 1000 to 50 twelve months before the end of 72 (a store that lost most
-- of its trade), with a +-20% season: the centred averages that straddle the fall leave a ramp
-- of deviations in the newest season, which hid the season until 2026-12-07 (no indices; MAE
-- 6.92 over the next 12 months, the seasonal naive forecast's 1.89); now the deviations are
-- taken from the series without the step, and the indices are the season's (MAE 1.46). Its
-- intervals still allow the whole fall again: the held-out origins before it missed by all of
-- it (README, Limits: taking the step out of those errors was tried on 2026-12-07 and left,
-- since the Theta method's drift, fitted across the step, then missed outside the intervals)
CREATE TABLE fell AS
SELECT date '2015-01-01' + make_interval(months => t) AS ts, t,
       (CASE WHEN t >= 60 THEN 50 ELSE 1000 END) * (1 + 0.2 * sin(2 * pi() * t / 12)) * (1 + 0.03 * sin(t * 7.1)) AS v
FROM generate_series(0, 83) t;
SELECT pg_temp.corr_with(rnn_model_info(m)->'pipeline'->'seasonal_indices', 0) > 0.95 AS with_the_season,
       (SELECT avg(abs(f.forecast - a.v)) < 3 FROM rnn_forecast(m, 12) f JOIN fell a ON a.ts = f.ts::date) AS mae_under_3
FROM (SELECT rnn_train(ts, v, rnn_config(horizon => 12, hidden_size => 4, ensemble => 1, epochs => 3)) AS m
      FROM fell WHERE t < 72) x;

-- a global model's own mark, which only its series may carry, is refused
SELECT rnn_model_from_json(jsonb_set(rnn_model_to_json(m), '{pipeline,season_changed}', 'true')) IS NULL
FROM (SELECT rnn_train(s, ts, v, rnn_config(horizon => 12, epochs => 1)) AS m FROM moved WHERE t < 96) x;
DROP TABLE moved, moved_m;
-- a forecast is inside its own interval, also one of zero width (a flat series that ends in one
-- change: its held-out errors are all 0); the way to the network's scale and back rounded it
-- 1e-14 outside
SELECT bool_and(lower <= forecast AND forecast <= upper) AS inside
FROM (SELECT rnn_train(day, v, rnn_config(horizon => 7, epochs => 5)) AS m
      FROM (SELECT date '2024-01-01' + d AS day, CASE WHEN d = 99 THEN 60 ELSE 50 END::float8 AS v
            FROM generate_series(0, 99) d) t) x, rnn_forecast(x.m, 7) f;
-- a series that holds one value (5, with a 6 every 50 days): its forecasts come back from the log
-- 1 unit in the last place beside 5 and its held-out errors are all 0, so the interval was the
-- forecast alone and left out every 5 that came (rnn_evaluate's coverage 0, a black-box hunt);
-- since 2026-12-07 an interval holds the values a few units in the last place either side (this
-- small model forecasts 5 - 8.9e-16 with an interval 8.9e-15 wide: the 4 units either side)
SELECT (rnn_evaluate(m, s.day, s.v)->>'coverage')::float8 AS coverage
FROM (SELECT rnn_train(day, v, rnn_config(horizon => 7, hidden_size => 4, ensemble => 1, epochs => 3)) AS m
      FROM (SELECT date '2024-01-01' + i AS day, CASE WHEN i % 50 = 0 THEN 6 ELSE 5 END::float8 AS v
            FROM generate_series(0, 185) i) t) x,
     (SELECT date '2024-01-01' + i AS day, 5::float8 AS v FROM generate_series(186, 192) i) s
GROUP BY m;
-- the floor is on the final forecast, once: two members at -1 and +1 average 0 (it was each
-- member at 0 or above: 0.5), and a model whose imported intervals are absolute keeps its
-- bounds at 0 or above too
CREATE TABLE tiny AS
SELECT rnn_model_to_json(rnn_train(i::bigint, (i % 3)::float8, rnn_config(hidden_size => 1, ensemble => 2, epochs => 1, "window" => 2,
                                   horizon => 1, scaling => 'none', season => 1, deseasonalize => false, theta_weight => 0))) AS j
FROM generate_series(1, 30) i;
SELECT nn, f.forecast
FROM tiny, LATERAL (VALUES (true), (false)) v(nn),
     rnn_forecast(rnn_model_from_json(jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(j,
       '{state_dict,fc.weight}', '[[0]]'), '{state_dict,fc.bias}', '[-1]'),
       '{ensemble_state_dicts,0,fc.weight}', '[[0]]'), '{ensemble_state_dicts,0,fc.bias}', '[1]'),
       '{pipeline,nonnegative}', to_jsonb(nn))), 1) f ORDER BY nn;
SELECT min(f.lower) >= 0 AS absolute_bounds
FROM tiny, rnn_forecast(rnn_model_from_json(jsonb_set(jsonb_set(jsonb_set(jsonb_set(j,
       '{state_dict,fc.weight}', '[[0]]'), '{state_dict,fc.bias}', '[-0.2]'), '{ensemble_state_dicts,0,fc.bias}', '[-0.2]'),
       '{pipeline,intervals}', '"absolute"')), 3) f;
-- the floor of a history given to the model follows the history: where it holds a value below 0,
-- the forecast and bounds may go below 0 too (before 2026-12-06 they were floored by the
-- training rows alone). One series, its output fixed at -1 below the window's last value
CREATE TABLE tiny_m AS
SELECT rnn_model_from_json(jsonb_set(jsonb_set(jsonb_set(jsonb_set(j,
       '{state_dict,fc.weight}', '[[0]]'), '{state_dict,fc.bias}', '[-1]'),
       '{ensemble_state_dicts,0,fc.weight}', '[[0]]'), '{ensemble_state_dicts,0,fc.bias}', '[-1]')) AS m
FROM tiny;
SELECT rnn_forecast(m, ARRAY[2, 0]::float8[], 1) AS array_nonnegative, rnn_forecast(m, ARRAY[-2, 0]::float8[], 1) AS array_below_0,
       (SELECT rnn_predict(v, m, 1 ORDER BY i) FROM unnest(ARRAY[2, 0]::float8[]) WITH ORDINALITY u(v, i)) AS predict_nonnegative,
       (SELECT rnn_predict(v, m, 1 ORDER BY i) FROM unnest(ARRAY[-2, 0]::float8[]) WITH ORDINALITY u(v, i)) AS predict_below_0,
       (SELECT forecast FROM rnn_forecast(m, 1)) AS stored
FROM tiny_m;
-- a window of rows: the forecast after each window, and the interval of each row's window before it
SELECT i, v, rnn_predict_rows(v, m, 1) OVER w AS forecast, round(((rnn_anomaly(v, m, 0.9) OVER w)).lower::numeric, 6) AS lower
FROM tiny_m, (VALUES (1, 1.0), (2, 0), (3, 0), (4, -2), (5, 0), (6, 0), (7, 0)) r(i, v) WINDOW w AS (ORDER BY i) ORDER BY i;
-- a global model: a history it never saw
SELECT rnn_model_info(m)->'pipeline'->'nonnegative' AS nonnegative,
       rnn_forecast(m, ARRAY[2, 0]::float8[], 1) AS array_nonnegative, rnn_forecast(m, ARRAY[-2, 0]::float8[], 1) AS array_below_0
FROM (SELECT rnn_model_from_json(jsonb_set(jsonb_set(jsonb_set(jsonb_set(rnn_model_to_json(g),
       '{state_dict,fc.weight}', '[[0]]'), '{state_dict,fc.bias}', '[-1]'),
       '{ensemble_state_dicts,0,fc.weight}', '[[0]]'), '{ensemble_state_dicts,0,fc.bias}', '[-1]')) AS m
      FROM (SELECT rnn_train(k::text, i::bigint, (i % 3)::float8, rnn_config(hidden_size => 1, ensemble => 2, epochs => 1, "window" => 2,
                   horizon => 1, scaling => 'window', log => false, season => 1, deseasonalize => false, theta_weight => 0,
                   strategy => 'direct')) AS g
            FROM generate_series(1, 2) k, generate_series(1, 30) i) x) y;
DROP TABLE tiny, tiny_m;
